//! Exchange build numbers: parsing and ordering.
//!
//! Accepted spellings: `15.1.2176.2`, the zero-padded long form `15.01.2176.002`,
//! the CU-level form `15.1.2176` (three parts, as seen in OWA logon pages),
//! the AdminDisplayVersion form `Version 15.1 (Build 2176.2)`, and the Exchange
//! log form `Exchange/15.01.2176.009`.

use serde::{Serialize, Serializer};
use std::cmp::Ordering;
use std::fmt;
use std::str::FromStr;

/// A parsed Exchange build number. `revision` is `None` for a CU-level build
/// (three parts: the security-update level is not visible).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct BuildNumber {
    /// Major version (15 for Exchange 2013 and later).
    pub major: u32,
    /// Minor version: 0 = 2013, 1 = 2016, 2 = 2019 and SE.
    pub minor: u32,
    /// Build: identifies the cumulative update (CU).
    pub build: u32,
    /// Revision: identifies the security or hotfix update within a CU, when visible.
    pub revision: Option<u32>,
}

/// Why a version string could not be parsed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseBuildError {
    /// The rejected input (trimmed, at most 80 characters).
    pub input: String,
    /// Human-readable reason.
    pub reason: &'static str,
}

impl fmt::Display for ParseBuildError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "not an Exchange build number {:?}: {}",
            self.input, self.reason
        )
    }
}

impl std::error::Error for ParseBuildError {}

impl BuildNumber {
    /// A four-part (exact) build number.
    pub const fn new(major: u32, minor: u32, build: u32, revision: u32) -> Self {
        Self {
            major,
            minor,
            build,
            revision: Some(revision),
        }
    }

    /// A three-part (CU-level) build number.
    pub const fn cu_level(major: u32, minor: u32, build: u32) -> Self {
        Self {
            major,
            minor,
            build,
            revision: None,
        }
    }

    /// True when the revision (security-update level) is visible.
    pub fn is_exact(&self) -> bool {
        self.revision.is_some()
    }

    /// The same build without its revision.
    pub fn to_cu_level(self) -> Self {
        Self {
            revision: None,
            ..self
        }
    }

    /// `(major, minor, build)`: the key of the CU line this build belongs to.
    pub fn cu_key(&self) -> (u32, u32, u32) {
        (self.major, self.minor, self.build)
    }

    /// Zero-padded long form, e.g. `15.01.2176.002` (CU level: `15.01.2176`).
    pub fn long_form(&self) -> String {
        match self.revision {
            Some(r) => format!(
                "{}.{:02}.{:04}.{:03}",
                self.major, self.minor, self.build, r
            ),
            None => format!("{}.{:02}.{:04}", self.major, self.minor, self.build),
        }
    }

    /// Parse a version string; see the module documentation for accepted forms.
    pub fn parse(input: &str) -> Result<Self, ParseBuildError> {
        let err = |reason| ParseBuildError {
            input: input.trim().chars().take(80).collect(),
            reason,
        };
        let s = input.trim();
        if s.is_empty() {
            return Err(err("empty"));
        }
        if s.len() > 80 {
            return Err(err("too long"));
        }
        if let Some(b) = parse_admin_display(s) {
            return Ok(b);
        }
        let s = s
            .strip_prefix("Exchange/")
            .or_else(|| s.strip_prefix("exchange/"))
            .unwrap_or(s);
        let s = s.strip_prefix(['v', 'V']).unwrap_or(s);
        let parts: Vec<&str> = s.split('.').collect();
        if !(3..=4).contains(&parts.len()) {
            return Err(err("expected 3 or 4 dot-separated numbers"));
        }
        let mut nums = [0u32; 4];
        for (i, p) in parts.iter().enumerate() {
            if p.is_empty() || p.len() > 9 || !p.bytes().all(|b| b.is_ascii_digit()) {
                return Err(err("each part must be a decimal number"));
            }
            nums[i] = p.parse().map_err(|_| err("number out of range"))?;
        }
        Ok(Self {
            major: nums[0],
            minor: nums[1],
            build: nums[2],
            revision: (parts.len() == 4).then_some(nums[3]),
        })
    }
}

/// `Version 15.1 (Build 2176.2)` as printed by `Get-ExchangeServer`.
fn parse_admin_display(s: &str) -> Option<BuildNumber> {
    let rest = s.strip_prefix("Version ")?;
    let (mm, rest) = rest.split_once(" (Build ")?;
    let br = rest.strip_suffix(')')?;
    let (major, minor) = mm.split_once('.')?;
    let (build, rev) = br.split_once('.')?;
    Some(BuildNumber {
        major: major.trim().parse().ok()?,
        minor: minor.trim().parse().ok()?,
        build: build.trim().parse().ok()?,
        revision: Some(rev.trim().parse().ok()?),
    })
}

impl FromStr for BuildNumber {
    type Err = ParseBuildError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

impl fmt::Display for BuildNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.revision {
            Some(r) => write!(f, "{}.{}.{}.{}", self.major, self.minor, self.build, r),
            None => write!(f, "{}.{}.{}", self.major, self.minor, self.build),
        }
    }
}

impl Serialize for BuildNumber {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl PartialOrd for BuildNumber {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for BuildNumber {
    /// Orders by major, minor, build, then revision; a CU-level build sorts
    /// before every exact build of the same CU.
    fn cmp(&self, other: &Self) -> Ordering {
        self.cu_key().cmp(&other.cu_key()).then_with(|| {
            self.revision
                .map(i64::from)
                .unwrap_or(-1)
                .cmp(&other.revision.map(i64::from).unwrap_or(-1))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_short_long_and_cu_forms() {
        assert_eq!(
            BuildNumber::parse("15.1.2176.2").unwrap(),
            BuildNumber::new(15, 1, 2176, 2)
        );
        assert_eq!(
            BuildNumber::parse("15.01.2176.002").unwrap(),
            BuildNumber::new(15, 1, 2176, 2)
        );
        assert_eq!(
            BuildNumber::parse(" 15.1.2176 ").unwrap(),
            BuildNumber::cu_level(15, 1, 2176)
        );
        assert_eq!(
            BuildNumber::parse("Version 15.1 (Build 2176.2)").unwrap(),
            BuildNumber::new(15, 1, 2176, 2)
        );
        assert_eq!(
            BuildNumber::parse("Exchange/15.01.2176.009").unwrap(),
            BuildNumber::new(15, 1, 2176, 9)
        );
    }

    #[test]
    fn rejects_garbage_without_panicking() {
        for bad in [
            "",
            "15",
            "15.1",
            "a.b.c",
            "15.1.2176.2.9",
            "15..2176",
            "99999999999.1.1",
            "15.1.-3.2",
            "１５.1.1",
        ] {
            assert!(BuildNumber::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn long_form_and_order() {
        assert_eq!(
            BuildNumber::new(15, 2, 792, 10).long_form(),
            "15.02.0792.010"
        );
        assert!(BuildNumber::cu_level(15, 1, 2176) < BuildNumber::new(15, 1, 2176, 0));
        assert!(BuildNumber::new(15, 1, 2176, 14) < BuildNumber::new(15, 1, 2242, 4));
    }
}
