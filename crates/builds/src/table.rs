//! The embedded build table (`data/exchange_builds.csv`), parsed once on first use.

use crate::csv::parse_csv;
use crate::version::BuildNumber;
use serde::Serialize;
use std::sync::OnceLock;

/// Version of the embedded table: the date of the newest source snapshot it was built from.
pub const TABLE_VERSION: &str = "2026-08-20";

/// Where the table came from (see `data/SOURCE.md`).
pub const TABLE_SOURCE: &str = "Microsoft Learn 'Exchange Server build numbers and release dates' \
(via righel/ms-exchange-version-nse scrape, 2026-08-20), cross-checked with microsoft/Get-ExchangeBuildNumber \
(2026-08-19); pre-March-2021 SUs from microsoft/CSS-Exchange HealthChecker";

const RAW: &str = include_str!("../data/exchange_builds.csv");

/// Exchange products covered by the table.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub enum Product {
    /// Exchange Server 2013 (15.0).
    #[serde(rename = "Exchange Server 2013")]
    Exchange2013,
    /// Exchange Server 2016 (15.1).
    #[serde(rename = "Exchange Server 2016")]
    Exchange2016,
    /// Exchange Server 2019 (15.2, build below 2562).
    #[serde(rename = "Exchange Server 2019")]
    Exchange2019,
    /// Exchange Server Subscription Edition (15.2, build 2562 or higher).
    #[serde(rename = "Exchange Server SE")]
    ExchangeSe,
}

impl Product {
    /// Display name, e.g. "Exchange Server 2016".
    pub fn name(self) -> &'static str {
        match self {
            Product::Exchange2013 => "Exchange Server 2013",
            Product::Exchange2016 => "Exchange Server 2016",
            Product::Exchange2019 => "Exchange Server 2019",
            Product::ExchangeSe => "Exchange Server SE",
        }
    }

    /// The product a build number belongs to, if it is Exchange 2013 or later.
    pub fn from_build(b: &BuildNumber) -> Option<Product> {
        match (b.major, b.minor) {
            (15, 0) => Some(Product::Exchange2013),
            (15, 1) => Some(Product::Exchange2016),
            (15, 2) if b.build >= 2562 => Some(Product::ExchangeSe),
            (15, 2) => Some(Product::Exchange2019),
            _ => None,
        }
    }

    fn from_csv(s: &str) -> Option<Product> {
        match s {
            "2013" => Some(Product::Exchange2013),
            "2016" => Some(Product::Exchange2016),
            "2019" => Some(Product::Exchange2019),
            "SE" => Some(Product::ExchangeSe),
            _ => None,
        }
    }
}

/// What kind of release a table row is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ReleaseKind {
    /// A cumulative update (or RTM/SP1/Preview): the base build of a CU line.
    CumulativeUpdate,
    /// A security update (SU) on a CU line.
    SecurityUpdate,
    /// A hotfix update (HU) on a CU line; it changes the build too.
    HotfixUpdate,
    /// An alias build string (e.g. the OWA/registry version of a CU), flagged in the source.
    Alias,
}

/// One row of the build table.
#[derive(Debug, Clone, Serialize)]
pub struct BuildRecord {
    /// Product.
    pub product: Product,
    /// Full update name as published, e.g. "Exchange Server 2016 CU19 Mar21SU".
    pub name: String,
    /// CU name: "CU19", "RTM", "SP1", "Preview".
    pub cu: String,
    /// Update label within the CU, e.g. "Mar21SU", "Apr24HU"; `None` for the CU itself.
    pub update: Option<String>,
    /// Release kind.
    pub kind: ReleaseKind,
    /// Release date, `YYYY-MM-DD` or `YYYY-MM` (see `date_precision`).
    pub release_date: String,
    /// "day" or "month".
    pub date_precision: String,
    /// The build.
    pub build: BuildNumber,
    /// KB article, when published.
    pub kb: Option<String>,
    /// Notes from the source table (discrepancies, special SUs).
    pub notes: String,
    /// Source of the row.
    pub source: String,
}

/// All rows, sorted by build.
pub fn table() -> &'static [BuildRecord] {
    static TABLE: OnceLock<Vec<BuildRecord>> = OnceLock::new();
    TABLE.get_or_init(|| {
        let mut rows: Vec<BuildRecord> = parse_csv(RAW)
            .into_iter()
            .skip(1)
            .filter_map(|r| record_from_row(&r))
            .collect();
        rows.sort_by_key(|r| r.build);
        rows
    })
}

/// Number of data rows in the embedded CSV (for integrity checks).
#[cfg(test)]
pub fn raw_row_count() -> usize {
    parse_csv(RAW).len().saturating_sub(1)
}

/// Rows whose build equals `b` exactly (four parts).
pub fn rows_for_build(b: &BuildNumber) -> Vec<&'static BuildRecord> {
    table().iter().filter(|r| r.build == *b).collect()
}

/// All rows on the CU line `(major, minor, build)`, sorted by revision.
pub fn cu_line(key: (u32, u32, u32)) -> Vec<&'static BuildRecord> {
    table().iter().filter(|r| r.build.cu_key() == key).collect()
}

/// The base row of a CU line (the CU release itself), or its earliest row.
pub fn cu_base(key: (u32, u32, u32)) -> Option<&'static BuildRecord> {
    let line = cu_line(key);
    line.iter()
        .find(|r| r.kind == ReleaseKind::CumulativeUpdate)
        .or_else(|| {
            line.iter()
                .filter(|r| r.kind != ReleaseKind::Alias)
                .min_by(|a, b| a.release_date.cmp(&b.release_date))
        })
        .or_else(|| line.first())
        .copied()
}

fn record_from_row(r: &[String]) -> Option<BuildRecord> {
    if r.len() < 13 {
        return None;
    }
    let product = Product::from_csv(r[0].trim())?;
    let build = BuildNumber::parse(&r[4])
        .ok()
        .filter(BuildNumber::is_exact)?;
    let name = r[1].trim().to_string();
    let rest = name.strip_prefix("Exchange Server ").unwrap_or(&name);
    let rest = rest.split_once(' ').map(|x| x.1).unwrap_or("");
    let (cu, tail) = rest.split_once(' ').unwrap_or((rest, ""));
    let tail = tail.trim();
    let first = tail.split_whitespace().next().unwrap_or("");
    let (kind, update) = if tail.is_empty() || is_half_year_label(tail) {
        (ReleaseKind::CumulativeUpdate, None)
    } else if first.contains("SU") {
        (ReleaseKind::SecurityUpdate, Some(first.to_string()))
    } else if first.ends_with("HU") {
        (ReleaseKind::HotfixUpdate, Some(first.to_string()))
    } else {
        (ReleaseKind::Alias, None)
    };
    let opt = |s: &String| Some(s.trim().to_string()).filter(|s| !s.is_empty());
    Some(BuildRecord {
        product,
        cu: cu.to_string(),
        update,
        kind,
        release_date: r[2].trim().to_string(),
        date_precision: r[3].trim().to_string(),
        build,
        kb: opt(&r[6]),
        notes: r[11].trim().to_string(),
        source: r[12].trim().to_string(),
        name,
    })
}

/// "(2022H1)" style labels that name a CU release, not an update.
fn is_half_year_label(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() == 8
        && b[0] == b'('
        && b[7] == b')'
        && b[5] == b'H'
        && b[1..5].iter().all(u8::is_ascii_digit)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_csv_row_is_loaded() {
        assert_eq!(table().len(), raw_row_count());
        assert!(table().len() > 250);
    }

    #[test]
    fn names_split_into_cu_and_update() {
        let r = rows_for_build(&BuildNumber::new(15, 1, 2176, 9));
        assert_eq!(r.len(), 1);
        assert_eq!(r[0].cu, "CU19");
        assert_eq!(r[0].update.as_deref(), Some("Mar21SU"));
        assert_eq!(r[0].kind, ReleaseKind::SecurityUpdate);
        let cu23 = rows_for_build(&BuildNumber::new(15, 1, 2507, 6));
        assert_eq!(cu23[0].kind, ReleaseKind::CumulativeUpdate);
        let alias = rows_for_build(&BuildNumber::new(15, 2, 858, 2));
        assert_eq!(alias[0].kind, ReleaseKind::Alias);
        let hu = rows_for_build(&BuildNumber::new(15, 2, 1544, 11));
        assert_eq!(hu[0].kind, ReleaseKind::HotfixUpdate);
        let se = rows_for_build(&BuildNumber::new(15, 2, 2562, 17));
        assert_eq!(se[0].product, Product::ExchangeSe);
        assert_eq!(se[0].cu, "RTM");
    }
}
