//! The security fixes tracked by exhunt, and the update (SU/HU) label that first carried each.
//!
//! Source: `shared/reference/exposure.md` (section "Which builds first fix the headline CVEs"),
//! which follows HealthChecker's `Invoke-AnalyzerSecurityCveCheck.ps1` SU→CVE map and Microsoft's
//! ProxyShell guidance. A build carries a fix when it is at or above the row labelled `update`
//! on its own CU line, or when its CU was released on or after `released` (later CUs include
//! earlier fixes).

use serde::Serialize;

/// A tracked security fix (one security update's headline CVEs).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Fix {
    /// Stable identifier, e.g. "proxylogon".
    pub id: &'static str,
    /// Display name, e.g. "ProxyLogon".
    pub name: &'static str,
    /// Update label in the build table that first carries the fix, e.g. "Mar21SU".
    pub update: &'static str,
    /// Release date of that update (`YYYY-MM-DD`).
    pub released: &'static str,
    /// KB article of the update, when known.
    pub kb: &'static str,
    /// CVE identifiers fixed.
    pub cves: &'static [&'static str],
    /// True when the CVE is known to be exploited in the wild.
    pub exploited: bool,
    /// For exploited fixes: the earliest date (`YYYY-MM-DD`) public reporting puts exploitation
    /// in the wild at (empty when not exploited). A server lacking the fix was exposed from this
    /// date (or from its build's release, if later): the "not assessable" rule checks that the
    /// logs reach back that far.
    pub exploited_since: &'static str,
    /// Caveat, e.g. that configuration steps are needed and cannot be seen from the build.
    pub caveat: &'static str,
}

/// Every tracked fix, oldest first.
///
/// `exploited_since` sources (public reporting): ProxyLogon — Volexity saw the attacks "as
/// early as" 6 January 2021; ProxyShell — internet-wide scanning began in the first week of
/// August 2021, right after the Black Hat talk of 5 August (mass exploitation from 20 August);
/// CVE-2021-42321 — Microsoft reported limited targeted attacks when the fix came out
/// (9 November 2021); ProxyNotShell — GTSC noticed the attacks in early August 2022 (OWASSRF,
/// fixed by the same update, was used from late 2022).
pub const FIXES: &[Fix] = &[
    Fix {
        id: "proxylogon",
        name: "ProxyLogon",
        update: "Mar21SU",
        released: "2021-03-02",
        kb: "KB5000871",
        cves: &[
            "CVE-2021-26855",
            "CVE-2021-26857",
            "CVE-2021-26858",
            "CVE-2021-27065",
            "CVE-2021-26412",
            "CVE-2021-27078",
            "CVE-2021-26854",
        ],
        exploited: true,
        exploited_since: "2021-01-06",
        caveat: "the special March 2021 SUs for out-of-support CUs fix only this set",
    },
    Fix {
        id: "proxyshell-1",
        name: "ProxyShell (part 1)",
        update: "Apr21SU",
        released: "2021-04-13",
        kb: "KB5001779",
        cves: &["CVE-2021-34473", "CVE-2021-34523"],
        exploited: true,
        exploited_since: "2021-08-06",
        caveat: "fixed in April 2021 but disclosed July 2021; a fully patched server needs the May 2021 SU as well",
    },
    Fix {
        id: "proxyshell-2",
        name: "ProxyShell (part 2)",
        update: "May21SU",
        released: "2021-05-11",
        kb: "KB5003435",
        cves: &["CVE-2021-31207"],
        exploited: true,
        exploited_since: "2021-08-06",
        caveat: "",
    },
    Fix {
        id: "cve-2021-42321",
        name: "CVE-2021-42321 post-auth RCE",
        update: "Nov21SU",
        released: "2021-11-09",
        kb: "KB5007409",
        cves: &["CVE-2021-42321"],
        exploited: true,
        exploited_since: "2021-11-09",
        caveat: "",
    },
    Fix {
        id: "cve-2022-23277",
        name: "CVE-2022-23277 post-auth RCE",
        update: "Mar22SU",
        released: "2022-03-08",
        kb: "KB5010324",
        cves: &["CVE-2022-23277"],
        exploited: false,
        exploited_since: "",
        caveat: "",
    },
    Fix {
        id: "proxynotshell-owassrf",
        name: "ProxyNotShell / OWASSRF",
        update: "Nov22SU",
        released: "2022-11-08",
        kb: "KB5019758",
        cves: &[
            "CVE-2022-41040",
            "CVE-2022-41082",
            "CVE-2022-41080",
            "CVE-2022-41078",
            "CVE-2022-41079",
            "CVE-2022-41123",
        ],
        exploited: true,
        exploited_since: "2022-08-01",
        caveat: "Sep-Nov 2022 builds relied on URL-rewrite/EEMS mitigation M1, which the build number does not show; CVE-2022-41123 applies to 2016/2019 only",
    },
    Fix {
        id: "feb23su",
        name: "February 2023 RCEs",
        update: "Feb23SU",
        released: "2023-02-14",
        kb: "",
        cves: &["CVE-2023-21529", "CVE-2023-21706", "CVE-2023-21707"],
        exploited: false,
        exploited_since: "",
        caveat: "",
    },
    Fix {
        id: "aug23su",
        name: "August 2023 SU set",
        update: "Aug23SU",
        released: "2023-08-08",
        kb: "",
        cves: &["CVE-2023-36744", "CVE-2023-36745", "CVE-2023-36756", "CVE-2023-36757", "CVE-2023-36777"],
        exploited: false,
        exploited_since: "",
        caveat: "",
    },
    Fix {
        id: "cve-2023-36778",
        name: "CVE-2023-36778 RCE",
        update: "Oct23SU",
        released: "2023-10-10",
        kb: "",
        cves: &["CVE-2023-36778"],
        exploited: false,
        exploited_since: "",
        caveat: "",
    },
    Fix {
        id: "cve-2024-26198",
        name: "CVE-2024-26198 RCE",
        update: "Mar24SU",
        released: "2024-03-12",
        kb: "",
        cves: &["CVE-2024-26198"],
        exploited: false,
        exploited_since: "",
        caveat: "",
    },
    Fix {
        id: "cve-2024-49040",
        name: "CVE-2024-49040 header spoofing",
        update: "Nov24SUv2",
        released: "2024-11-27",
        kb: "",
        cves: &["CVE-2024-49040"],
        exploited: false,
        exploited_since: "",
        caveat: "a setting override also needs checking (not visible in the build)",
    },
    Fix {
        id: "cve-2025-53786",
        name: "CVE-2025-53786 hybrid elevation",
        update: "Apr25HU",
        released: "2025-04-18",
        kb: "",
        cves: &["CVE-2025-53786"],
        exploited: false,
        exploited_since: "",
        caveat: "hybrid configuration steps are also needed (not visible in the build)",
    },
    Fix {
        id: "aug25su",
        name: "August 2025 SU set",
        update: "Aug25SU",
        released: "2025-08-12",
        kb: "",
        cves: &["CVE-2025-25005", "CVE-2025-25006", "CVE-2025-25007", "CVE-2025-33051"],
        exploited: false,
        exploited_since: "",
        caveat: "overrides also need checking (not visible in the build)",
    },
    Fix {
        id: "oct25su",
        name: "October 2025 SU set",
        update: "Oct25SU",
        released: "2025-10-14",
        kb: "",
        cves: &["CVE-2025-59249", "CVE-2025-53782", "CVE-2025-59248"],
        exploited: false,
        exploited_since: "",
        caveat: "CVE-2025-53782/59248 also need overrides (not visible in the build)",
    },
    Fix {
        id: "dec25su",
        name: "December 2025 SU set",
        update: "Dec25SU",
        released: "2025-12-09",
        kb: "",
        cves: &["CVE-2025-64666", "CVE-2025-64667"],
        exploited: false,
        exploited_since: "",
        caveat: "",
    },
    Fix {
        id: "cve-2026-21527",
        name: "CVE-2026-21527",
        update: "Feb26SU",
        released: "2026-02-10",
        kb: "",
        cves: &["CVE-2026-21527"],
        exploited: false,
        exploited_since: "",
        caveat: "",
    },
];

/// CVEs whose exposure depends on configuration that neither a build number nor a remote
/// request can show (reported as a note, never as patched/missing).
pub const CONFIG_DEPENDENT: &[&str] = &["CVE-2024-21410 (Extended Protection)"];

/// Find a fix by id.
pub fn fix_by_id(id: &str) -> Option<&'static Fix> {
    FIXES.iter().find(|f| f.id == id)
}
