//! The per-host result: one JSON line each.

use crate::fingerprint::BuildSource;
use crate::net::tls::CertInfo;
use crate::ntlm::NtlmInfo;
use exhunt_builds::{cves_of, MissingFix, Precision};
use serde::Serialize;

/// One response that showed something.
#[derive(Debug, Clone, Serialize)]
pub struct Evidence {
    /// e.g. `GET https://host:443/owa/auth/logon.aspx`.
    pub request: String,
    /// HTTP status.
    pub status: u16,
    /// What it showed.
    pub finding: String,
}

/// Identity hints (host names, not versions).
#[derive(Debug, Clone, Default, Serialize)]
pub struct Identity {
    /// Front-end/back-end style headers seen (name → value), first value wins.
    pub headers: Vec<(String, String)>,
    /// `Server` header.
    pub server: Option<String>,
    /// Page title.
    pub title: Option<String>,
    /// Anonymous NTLM information (only with `--ntlm-info`).
    pub ntlm: Option<NtlmInfo>,
}

/// Result for one target.
#[derive(Debug, Clone, Serialize)]
pub struct HostResult {
    /// Canonical target key (`[scheme://]host[:port]`); `--resume` matches on it.
    pub target: String,
    /// The input line it came from.
    pub input: String,
    /// Address actually contacted (`ip:port`).
    pub address: Option<String>,
    /// Scheme of the connection that answered.
    pub scheme: Option<&'static str>,
    /// A TCP (and, for HTTPS, TLS) connection succeeded.
    pub reachable: bool,
    /// Some response looked like Exchange.
    pub is_exchange: bool,
    /// Build reported (`15.1.2507.16`, or CU level `15.1.2507`).
    pub build: Option<String>,
    /// Where the build came from.
    pub build_source: Option<BuildSource>,
    /// Precision of the build.
    pub precision: Option<Precision>,
    /// Product name.
    pub product: Option<String>,
    /// CU name.
    pub cu: Option<String>,
    /// SU/HU label, exact builds only.
    pub update: Option<String>,
    /// Full published name.
    pub update_name: Option<String>,
    /// Release date.
    pub release_date: Option<String>,
    /// `vulnerable`, `potentially_vulnerable`, `patched`, `unknown`, `not_exchange`, `unreachable`, `invalid`.
    pub exposure: &'static str,
    /// Status wording.
    pub status: String,
    /// Fixes certainly missing; written as their ids (`exhunt builds` tells each one's name,
    /// update and CVEs), with the CVEs flattened into `missing_cves`.
    #[serde(serialize_with = "fix_ids")]
    pub missing_fixes: Vec<MissingFix>,
    /// Every CVE of the missing fixes, sorted.
    pub missing_cves: Vec<&'static str>,
    /// Ids of the missing fixes known to be exploited in the wild.
    pub exploited_missing: Vec<&'static str>,
    /// Fixes that may be missing (CU level only), as ids.
    #[serde(serialize_with = "fix_ids")]
    pub possibly_missing_fixes: Vec<MissingFix>,
    /// Every CVE of the possibly missing fixes, sorted.
    pub possibly_missing_cves: Vec<&'static str>,
    /// TLS certificate, for HTTPS.
    pub tls: Option<CertInfo>,
    /// Identity hints.
    pub identity: Identity,
    /// Which response showed what.
    pub evidence: Vec<Evidence>,
    /// Errors met (connect, TLS, HTTP, timeouts).
    pub errors: Vec<String>,
    /// Requests sent.
    pub requests: u32,
    /// Wall time for this target.
    pub elapsed_ms: u64,
    /// Build table version used.
    pub table_version: &'static str,
}

/// Write fixes as their ids: a result line stays short at a million targets.
fn fix_ids<S: serde::Serializer>(fixes: &[MissingFix], s: S) -> Result<S::Ok, S::Error> {
    s.collect_seq(fixes.iter().map(|f| f.id))
}

impl HostResult {
    /// Set the missing and possibly missing fixes, and the lists derived from them.
    pub fn set_fixes(&mut self, missing: Vec<MissingFix>, possibly: Vec<MissingFix>) {
        self.missing_cves = cves_of(&missing);
        self.exploited_missing = missing
            .iter()
            .filter(|f| f.exploited)
            .map(|f| f.id)
            .collect();
        self.possibly_missing_cves = cves_of(&possibly);
        self.missing_fixes = missing;
        self.possibly_missing_fixes = possibly;
    }

    /// An empty result for a target.
    pub fn new(target: String, input: String) -> Self {
        Self {
            target,
            input,
            address: None,
            scheme: None,
            reachable: false,
            is_exchange: false,
            build: None,
            build_source: None,
            precision: None,
            product: None,
            cu: None,
            update: None,
            update_name: None,
            release_date: None,
            exposure: "unreachable",
            status: String::new(),
            missing_fixes: Vec::new(),
            missing_cves: Vec::new(),
            exploited_missing: Vec::new(),
            possibly_missing_fixes: Vec::new(),
            possibly_missing_cves: Vec::new(),
            tls: None,
            identity: Identity::default(),
            evidence: Vec::new(),
            errors: Vec::new(),
            requests: 0,
            elapsed_ms: 0,
            table_version: exhunt_builds::TABLE_VERSION,
        }
    }

    /// An input line that could not be parsed.
    pub fn invalid(input: &str, error: String) -> Self {
        let mut r = Self::new(
            input.trim().chars().take(300).collect(),
            input.trim().chars().take(300).collect(),
        );
        r.exposure = "invalid";
        r.status = "invalid target".into();
        r.errors.push(error);
        r
    }

    /// Severity rank for "worst first" ordering (lower is worse).
    pub fn severity(&self) -> (u8, std::cmp::Reverse<usize>, std::cmp::Reverse<usize>) {
        let rank = match self.exposure {
            "vulnerable" => 0,
            "potentially_vulnerable" => 1,
            "unknown" => 2,
            "patched" => 3,
            _ => 4,
        };
        let exploited = self.missing_fixes.iter().filter(|m| m.exploited).count();
        (
            rank,
            std::cmp::Reverse(exploited),
            std::cmp::Reverse(self.missing_fixes.len()),
        )
    }
}
