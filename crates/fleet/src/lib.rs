//! exhunt's fleet view: many servers and organisations in one picture.
//!
//! The fleet view is one more consumer of scan results and knows nothing of how findings were
//! found. It is fed server by server and finding by finding through light, owned views
//! ([`view::FindingView`], [`view::HostFacts`]) — from a finished multi-root scan
//! ([`from_report`]) or from result files read as streams ([`input`], `exhunt merge`) — into
//! per-server [`digest::HostDigest`]s, whose size grows with a server's distinct rules and
//! indicators, never with its findings. [`fleet::FleetBuilder`] turns the digests into a
//! [`fleet::Fleet`]:
//!
//! * per organisation: servers, compromised / exploitation attempted / no evidence / **not
//!   assessable** ([`assess`]), earliest compromise;
//! * per server: verdict and reason, key moments, web shells, attacker addresses, installed
//!   build and missing fixes, coverage;
//! * campaign **indicators** with their spread ([`indicator`]), private and ordinary-user
//!   addresses excluded;
//! * **clusters** of servers tied by shared infrastructure or backdoors, matched against
//!   published campaigns defined as data ([`campaigns`]).
//!
//! The writers (console, JSONL, HTML, CSV, STIX 2.1) live in `exhunt-report` and only read the
//! [`fleet::Fleet`].

#![deny(missing_docs)]
#![forbid(unsafe_code)]

pub mod assess;
pub mod campaigns;
pub mod digest;
pub mod fleet;
pub mod from_report;
pub mod indicator;
pub mod input;
pub mod view;

pub use campaigns::{CampaignMatch, Campaigns};
pub use fleet::{Fleet, FleetBuilder, FleetHost, FleetOptions, InputProblem};
pub use indicator::IndicatorType;
