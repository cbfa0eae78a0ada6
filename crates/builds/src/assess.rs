//! Assessment of one build: product, CU/SU names, and which tracked fixes it lacks.
//!
//! The rule for "carries a fix" copies HealthChecker's `Test-ExchangeBuildGreaterOrEqualThanSecurityPatch`:
//! at or above the fixing update on the build's own CU line, or on a CU released after the fix.

use crate::fixes::{Fix, CONFIG_DEPENDENT, FIXES};
use crate::table::{cu_base, cu_line, rows_for_build, table, BuildRecord, Product, TABLE_VERSION};
use crate::version::BuildNumber;
use serde::Serialize;
use std::collections::HashMap;
use std::sync::{Mutex, OnceLock};

/// The exact status wording for a build seen only to CU precision.
pub const CU_LEVEL_WORDING: &str =
    "CU level: potentially vulnerable, security update level not visible";

/// How precisely the build is known.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Precision {
    /// Four-part build: the security-update level is visible.
    Exact,
    /// Three-part build (or a lower bound): only the cumulative update is visible.
    CuLevel,
    /// Nothing usable (unparsable input).
    None,
}

/// Overall exposure verdict.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Exposure {
    /// At least one tracked fix is certainly missing.
    Vulnerable,
    /// Only the CU is visible and some fixes depend on the unseen SU level.
    PotentiallyVulnerable,
    /// Build not in the table, or not an Exchange 2013+ build.
    Unknown,
    /// No tracked fix missing (configuration-dependent CVEs are not judged).
    Patched,
}

impl Exposure {
    /// Lower-case label used in tables and JSON.
    pub fn label(self) -> &'static str {
        match self {
            Exposure::Vulnerable => "vulnerable",
            Exposure::PotentiallyVulnerable => "potentially_vulnerable",
            Exposure::Unknown => "unknown",
            Exposure::Patched => "patched",
        }
    }
}

/// A missing (or possibly missing) fix, as reported.
#[derive(Debug, Clone, Serialize)]
pub struct MissingFix {
    /// Fix id, e.g. "proxylogon".
    pub id: &'static str,
    /// Fix name, e.g. "ProxyLogon".
    pub name: &'static str,
    /// The update label that carries it, e.g. "Mar21SU".
    pub update: &'static str,
    /// CVE ids.
    pub cves: &'static [&'static str],
    /// Known exploited in the wild.
    pub exploited: bool,
}

impl From<&'static Fix> for MissingFix {
    fn from(f: &'static Fix) -> Self {
        Self {
            id: f.id,
            name: f.name,
            update: f.update,
            cves: f.cves,
            exploited: f.exploited,
        }
    }
}

/// The CVEs of `fixes`, each once, sorted (one fix can share a CVE with another).
pub fn cves_of<'a>(fixes: impl IntoIterator<Item = &'a MissingFix>) -> Vec<&'static str> {
    let mut out: Vec<&'static str> = fixes
        .into_iter()
        .flat_map(|f| f.cves.iter().copied())
        .collect();
    out.sort_unstable();
    out.dedup();
    out
}

/// A known build near an unknown one.
#[derive(Debug, Clone, Serialize)]
pub struct Neighbour {
    /// Build.
    pub build: BuildNumber,
    /// Update name.
    pub name: String,
    /// Release date.
    pub release_date: String,
}

/// Everything the table says about one build.
#[derive(Debug, Clone, Serialize)]
pub struct Assessment {
    /// The input as given.
    pub input: String,
    /// Parsed build, if the input parsed.
    pub build: Option<BuildNumber>,
    /// Precision of the build.
    pub precision: Precision,
    /// True when the exact build (or, at CU level, the CU line) is in the table.
    pub known: bool,
    /// Product.
    pub product: Option<Product>,
    /// CU name ("CU19", "RTM").
    pub cu: Option<String>,
    /// Update label ("Mar21SU"), for exact builds that are SUs/HUs.
    pub update: Option<String>,
    /// Full published name of the matching row.
    pub update_name: Option<String>,
    /// Release date of the matching row (of the CU, at CU level).
    pub release_date: Option<String>,
    /// KB article of the matching row.
    pub kb: Option<String>,
    /// Verdict.
    pub exposure: Exposure,
    /// Status wording for people.
    pub status: String,
    /// Fixes certainly missing.
    pub missing_fixes: Vec<MissingFix>,
    /// CU level only: fixes that later SUs of this CU carry; present or not depending on the unseen SU.
    pub possibly_missing_fixes: Vec<MissingFix>,
    /// Fixes never issued for this product because it was out of support (ids).
    pub not_issued_for_product: Vec<&'static str>,
    /// Nearest known builds, for unknown builds.
    pub neighbours: Vec<Neighbour>,
    /// Caveats and source discrepancies.
    pub notes: Vec<String>,
    /// Version of the embedded table.
    pub table_version: &'static str,
}

/// Whether a build carries one fix.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum FixState {
    Fixed,
    Missing,
    NotIssued,
}

fn fix_state(fix: &Fix, product: Product, cu_key: (u32, u32, u32), revision: u32) -> FixState {
    let line = cu_line(cu_key);
    if let Some(min_rev) = line
        .iter()
        .filter(|r| r.update.as_deref() == Some(fix.update))
        .filter_map(|r| r.build.revision)
        .min()
    {
        return if revision >= min_rev {
            FixState::Fixed
        } else {
            FixState::Missing
        };
    }
    if let Some(base) = cu_base(cu_key) {
        if base.release_date.as_str() >= fix.released {
            return FixState::Fixed;
        }
    }
    let product_got_it = table()
        .iter()
        .any(|r| r.product == product && r.update.as_deref() == Some(fix.update));
    let later_cu = table()
        .iter()
        .any(|r| r.product == product && r.release_date.as_str() >= fix.released);
    if !product_got_it && !later_cu {
        FixState::NotIssued
    } else {
        FixState::Missing
    }
}

fn evaluate(
    product: Product,
    cu_key: (u32, u32, u32),
    revision: u32,
) -> (Vec<&'static Fix>, Vec<&'static str>) {
    let mut missing = Vec::new();
    let mut not_issued = Vec::new();
    for f in FIXES {
        match fix_state(f, product, cu_key, revision) {
            FixState::Fixed => {}
            FixState::Missing => missing.push(f),
            FixState::NotIssued => not_issued.push(f.id),
        }
    }
    (missing, not_issued)
}

/// Parse a version string and assess it. Never panics; unparsable input yields `Precision::None`.
pub fn assess_str(input: &str) -> Assessment {
    match BuildNumber::parse(input) {
        Ok(b) => {
            let mut a = assess(b);
            a.input = input.trim().to_string();
            a
        }
        Err(e) => {
            let mut a = empty(input, None, Precision::None);
            a.status = format!("unknown: {e}");
            a
        }
    }
}

/// Like [`assess`], memoised (at most 4096 distinct builds are kept): for scanners that assess
/// the same few builds many times.
pub fn assess_cached(b: BuildNumber) -> Assessment {
    static CACHE: OnceLock<Mutex<HashMap<BuildNumber, Assessment>>> = OnceLock::new();
    let cache = CACHE.get_or_init(|| Mutex::new(HashMap::new()));
    if let Some(a) = cache.lock().ok().and_then(|c| c.get(&b).cloned()) {
        return a;
    }
    let a = assess(b);
    if let Ok(mut c) = cache.lock() {
        if c.len() < 4096 {
            c.insert(b, a.clone());
        }
    }
    a
}

/// Assess a parsed build: exact (four parts) or CU level (three parts).
pub fn assess(b: BuildNumber) -> Assessment {
    let precision = if b.is_exact() {
        Precision::Exact
    } else {
        Precision::CuLevel
    };
    let mut a = empty(&b.to_string(), Some(b), precision);
    let Some(product) = Product::from_build(&b) else {
        a.status = match b.major {
            14 => "unknown: Exchange 2010 build, outside this table (end of support 2020-10-13)"
                .to_string(),
            8 => "unknown: Exchange 2007 build, outside this table (end of support 2017-04-11)"
                .to_string(),
            _ => "unknown: not an Exchange 2013 or later build".to_string(),
        };
        return a;
    };
    a.product = Some(product);
    if product == Product::Exchange2013 {
        a.notes.push("Exchange Server 2013 reached end of support on 2023-04-11 and receives no further security updates".into());
    }
    let line = cu_line(b.cu_key());
    let Some(base) = cu_base(b.cu_key()) else {
        a.neighbours = neighbours(&b);
        a.status = unknown_wording(&a.neighbours);
        return a;
    };
    a.cu = Some(base.cu.clone());
    match b.revision {
        Some(rev) => assess_exact(&mut a, b, product, rev),
        None => assess_cu_level(&mut a, b, product, base, &line),
    }
    for c in CONFIG_DEPENDENT {
        a.notes.push(format!(
            "{c}: depends on configuration, not visible in the build number"
        ));
    }
    a
}

fn assess_exact(a: &mut Assessment, b: BuildNumber, product: Product, rev: u32) {
    let rows = rows_for_build(&b);
    let Some(row) = rows.first() else {
        a.neighbours = neighbours(&b);
        a.status = unknown_wording(&a.neighbours);
        a.notes.push(format!(
            "the CU line {} {} is known, but revision {} is not in the table",
            product.name(),
            a.cu.as_deref().unwrap_or("?"),
            rev
        ));
        return;
    };
    a.known = true;
    a.update = row.update.clone();
    a.update_name = Some(row.name.clone());
    a.release_date = Some(row.release_date.clone());
    a.kb = row.kb.clone();
    for r in &rows {
        if !r.notes.is_empty() {
            a.notes.push(r.notes.clone());
        }
        if !r.source.starts_with("learn") {
            a.notes.push(format!("source: {}", r.source));
        }
    }
    let (missing, not_issued) = evaluate(product, b.cu_key(), rev);
    a.missing_fixes = missing.into_iter().map(MissingFix::from).collect();
    a.not_issued_for_product = not_issued;
    push_caveats(a);
    if a.missing_fixes.is_empty() {
        a.exposure = Exposure::Patched;
        a.status = "patched: no tracked security fix missing".into();
    } else {
        a.exposure = Exposure::Vulnerable;
        a.status = format!(
            "vulnerable: {} tracked security fix(es) missing",
            a.missing_fixes.len()
        );
    }
}

fn assess_cu_level(
    a: &mut Assessment,
    b: BuildNumber,
    product: Product,
    base: &BuildRecord,
    line: &[&BuildRecord],
) {
    a.known = true;
    a.update_name = Some(format!("{} {}", product.name(), base.cu));
    a.release_date = Some(base.release_date.clone());
    a.kb = base.kb.clone();
    let lowest = base.build.revision.unwrap_or(0);
    let highest = line
        .iter()
        .filter_map(|r| r.build.revision)
        .max()
        .unwrap_or(lowest);
    let (worst, not_issued) = evaluate(product, b.cu_key(), lowest);
    let (best, _) = evaluate(product, b.cu_key(), highest);
    a.not_issued_for_product = not_issued;
    a.missing_fixes = best.iter().map(|f| MissingFix::from(*f)).collect();
    a.possibly_missing_fixes = worst
        .iter()
        .filter(|f| !best.iter().any(|g| g.id == f.id))
        .map(|f| MissingFix::from(*f))
        .collect();
    push_caveats(a);
    if a.missing_fixes.is_empty() {
        a.exposure = if a.possibly_missing_fixes.is_empty() {
            Exposure::Patched
        } else {
            Exposure::PotentiallyVulnerable
        };
        a.status = CU_LEVEL_WORDING.to_string();
        if a.possibly_missing_fixes.is_empty() {
            a.status.push_str("; no tracked fix depends on it");
        }
    } else {
        a.exposure = Exposure::Vulnerable;
        a.status = format!(
            "{CU_LEVEL_WORDING}; vulnerable in any case: {} tracked fix(es) were never released for this CU",
            a.missing_fixes.len()
        );
    }
}

fn push_caveats(a: &mut Assessment) {
    let ids: Vec<&str> = a
        .missing_fixes
        .iter()
        .chain(&a.possibly_missing_fixes)
        .map(|m| m.id)
        .collect();
    for f in FIXES {
        let issued = !a.not_issued_for_product.contains(&f.id);
        if !f.caveat.is_empty()
            && (ids.contains(&f.id) || (issued && f.caveat.contains("not visible")))
        {
            a.notes
                .push(format!("{} ({}): {}", f.name, f.update, f.caveat));
        }
    }
    if !a.not_issued_for_product.is_empty() {
        a.notes.push(format!(
            "not issued for this product (out of support when released): {}",
            a.not_issued_for_product.join(", ")
        ));
    }
}

fn neighbours(b: &BuildNumber) -> Vec<Neighbour> {
    let t = table();
    let idx = t.partition_point(|r| r.build < *b);
    let lo = idx.saturating_sub(2);
    let hi = (idx + 2).min(t.len());
    t[lo..hi]
        .iter()
        .filter(|r| r.build != *b)
        .map(|r| Neighbour {
            build: r.build,
            name: r.name.clone(),
            release_date: r.release_date.clone(),
        })
        .collect()
}

fn unknown_wording(n: &[Neighbour]) -> String {
    let names: Vec<String> = n
        .iter()
        .map(|x| format!("{} ({})", x.build, x.name))
        .collect();
    if names.is_empty() {
        "unknown build: not in the table".into()
    } else {
        format!(
            "unknown build: not in the table; nearest known: {}",
            names.join(", ")
        )
    }
}

fn empty(input: &str, build: Option<BuildNumber>, precision: Precision) -> Assessment {
    Assessment {
        input: input.trim().chars().take(120).collect(),
        build,
        precision,
        known: false,
        product: None,
        cu: None,
        update: None,
        update_name: None,
        release_date: None,
        kb: None,
        exposure: Exposure::Unknown,
        status: String::new(),
        missing_fixes: Vec::new(),
        possibly_missing_fixes: Vec::new(),
        not_issued_for_product: Vec::new(),
        neighbours: Vec::new(),
        notes: Vec::new(),
        table_version: TABLE_VERSION,
    }
}
