//! Exchange build knowledge for exhunt.
//!
//! * [`assess_str`]/[`assess`]: a version string → product, CU/SU name, release date, precision,
//!   missing security fixes and status wording, from an embedded, versioned table
//!   ([`TABLE_VERSION`], data in `data/exchange_builds.csv`, provenance in `data/SOURCE.md`).
//! * [`detect_installed_build`]: the installed build, found offline in an evidence tree.
//! * [`BuildsArgs`]/[`run`]: the `exhunt builds` command.

mod assess;
mod cli;
mod csv;
mod evidence;
mod fixes;
mod table;
mod version;

pub use assess::{
    assess, assess_cached, assess_str, cves_of, Assessment, Exposure, MissingFix, Neighbour,
    Precision, CU_LEVEL_WORDING,
};
pub use cli::{render_text, run, BuildsArgs};
pub use evidence::{
    best_evidence, detect_installed_build, detect_installed_build_until, BuildEvidence,
    EvidenceSource,
};
pub use fixes::{fix_by_id, Fix, CONFIG_DEPENDENT, FIXES};
pub use table::{
    cu_line, rows_for_build, table, BuildRecord, Product, ReleaseKind, TABLE_SOURCE, TABLE_VERSION,
};
pub use version::{BuildNumber, ParseBuildError};

/// The FileVersion of a PE image's version resource (used for `ExSetup.exe`).
pub fn pe_file_version(image: &[u8]) -> Option<BuildNumber> {
    evidence::pe_file_version(image)
}
