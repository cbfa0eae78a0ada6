//! Detection: rules evaluated against records.

pub mod logs;

pub use logs::{FileScan, LogEngine, LogScanOptions};
