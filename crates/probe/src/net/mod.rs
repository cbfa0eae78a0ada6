//! Networking: connections with phase timeouts, TLS, and single HTTP/1.1 exchanges.

pub mod conn;
pub mod tls;
