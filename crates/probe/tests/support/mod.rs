//! Shared test support: the loopback mock Exchange server.
pub mod mock;
