//! Detection: rules evaluated against records.

pub mod logs;
mod select;

pub use logs::{FileScan, LogEngine, LogScanOptions};
