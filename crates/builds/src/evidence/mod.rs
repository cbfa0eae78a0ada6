//! Offline detection of the installed Exchange build from an evidence tree (a copied system
//! drive or a triage collection). Path matching is case-insensitive: Windows paths copied to
//! Linux keep whatever casing the collector produced.

mod httpproxy;
mod pe;
pub(crate) use pe::file_version as pe_file_version;
mod registry;
mod setup_log;
mod text;
mod walk;

use crate::assess::{assess, Assessment, Precision};
use crate::version::BuildNumber;
use serde::Serialize;
use std::path::{Path, PathBuf};

/// Which kind of artefact showed a build.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum EvidenceSource {
    /// `ExSetup.exe` version resource (the build HealthChecker reports).
    ExSetupVersionResource,
    /// A `.reg` export: an installed security-update entry, `OwaVersion`, or the Msi* setup values.
    RegistryExport,
    /// `#Version:` header of an HttpProxy log: the build that was running when the log was written.
    HttpProxyLog,
    /// A version folder under `owa/auth/`.
    OwaAuthFolder,
    /// `ExchangeSetupLogs/ExchangeSetup.log` (cumulative-update setup only; SUs do not write it).
    SetupLog,
}

/// One piece of evidence for the installed build.
#[derive(Debug, Clone, Serialize)]
pub struct BuildEvidence {
    /// Kind of artefact.
    pub source: EvidenceSource,
    /// The file or folder that showed it.
    pub path: PathBuf,
    /// The build seen.
    pub build: BuildNumber,
    /// Exact, or only a CU-level lower bound (e.g. setup log, Msi* registry values).
    pub precision: Precision,
    /// What exactly was seen, e.g. `line 6: "Setup version: 15.1.2176.9."`.
    pub detail: String,
    /// The build table's assessment of this build at this precision.
    pub assessment: Assessment,
}

impl BuildEvidence {
    pub(crate) fn new(
        source: EvidenceSource,
        path: &Path,
        build: BuildNumber,
        exact: bool,
        detail: String,
    ) -> Self {
        let (build_for_assessment, precision) = if exact && build.is_exact() {
            (build, Precision::Exact)
        } else {
            (build.to_cu_level(), Precision::CuLevel)
        };
        Self {
            source,
            path: path.to_path_buf(),
            build,
            precision,
            detail,
            assessment: assess(build_for_assessment),
        }
    }
}

/// Find every trace of the installed Exchange build below `system_root`. Never panics; unreadable
/// files are skipped. Results are ordered most authoritative first (see [`EvidenceSource`] order),
/// newest build first within a source.
pub fn detect_installed_build(system_root: &Path) -> Vec<BuildEvidence> {
    detect_installed_build_until(system_root, &|| false)
}

/// [`detect_installed_build`] that stops walking once `stop` says so (the scan was
/// interrupted); what was found until then is returned.
pub fn detect_installed_build_until(
    system_root: &Path,
    stop: &dyn Fn() -> bool,
) -> Vec<BuildEvidence> {
    let mut out = Vec::new();
    let mut proxy = httpproxy::Aggregator::default();
    walk::walk(system_root, stop, &mut |entry| match entry.kind {
        walk::Kind::Dir => {
            if let Some(b) = owa_auth_folder(&entry.lower_components) {
                let exact = b.is_exact();
                let detail = format!("version folder {} under owa/auth", b);
                out.push(BuildEvidence::new(
                    EvidenceSource::OwaAuthFolder,
                    entry.path,
                    b,
                    exact,
                    detail,
                ));
            }
        }
        walk::Kind::File => {
            let name = entry
                .lower_components
                .last()
                .map(String::as_str)
                .unwrap_or("");
            let parent = entry
                .lower_components
                .iter()
                .rev()
                .nth(1)
                .map(String::as_str)
                .unwrap_or("");
            if name == "exchangesetup.log" && parent == "exchangesetuplogs" {
                out.extend(setup_log::scan(entry.path));
            } else if name == "exsetup.exe" {
                out.extend(pe::scan(entry.path));
            } else if name.ends_with(".reg") {
                out.extend(registry::scan(entry.path));
            } else if name.ends_with(".log")
                && httpproxy::is_httpproxy_path(&entry.lower_components)
            {
                proxy.add(entry.path);
            }
        }
    });
    out.extend(proxy.finish());
    out.sort_by(|a, b| {
        a.source
            .cmp(&b.source)
            .then(b.build.cmp(&a.build))
            .then(a.path.cmp(&b.path))
    });
    out
}

/// The evidence item to trust most: the most authoritative exact source, else the newest CU-level one.
pub fn best_evidence(evidence: &[BuildEvidence]) -> Option<&BuildEvidence> {
    evidence
        .iter()
        .filter(|e| e.precision == Precision::Exact)
        .min_by(|a, b| a.source.cmp(&b.source).then(b.build.cmp(&a.build)))
        .or_else(|| evidence.iter().max_by(|a, b| a.build.cmp(&b.build)))
}

/// `.../owa/auth/<15.x.y.z>` (the last component being a version).
fn owa_auth_folder(lower: &[String]) -> Option<BuildNumber> {
    let n = lower.len();
    if n < 3 || lower[n - 2] != "auth" || lower[n - 3] != "owa" {
        return None;
    }
    let b = BuildNumber::parse(&lower[n - 1]).ok()?;
    (b.major >= 8).then_some(b)
}
