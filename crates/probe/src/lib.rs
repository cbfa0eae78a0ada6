//! `exhunt probe`: passive, rate-limited remote exposure assessment of Microsoft Exchange servers.
//!
//! The binary flattens [`ProbeArgs`] into its `probe` subcommand and calls [`run`].
//! The complete set of requests the probe can send is [`checks::ALL`].

mod args;
pub mod checks;
pub mod fingerprint;
mod limits;
pub mod net;
pub mod ntlm;
mod output;
mod probe;
mod progress;
pub mod record;
mod run;
mod summary;
pub mod targets;

pub use args::ProbeArgs;
pub use limits::{PerHostLimiter, RateLimiter};
pub use output::{key_hash, load_resume};
pub use probe::{ProbeConfig, Prober};
pub use record::HostResult;
pub use run::run;
pub use summary::Summary;
