//! Readers: turn evidence files into records, streaming and never failing on bad input.

pub mod chunks;
pub mod open;
pub mod record;
