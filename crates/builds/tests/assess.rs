//! Assessments of well-known builds against exposure.md's "which builds first fix" section.

use exhunt_builds::{assess_str, Exposure, Precision, Product, CU_LEVEL_WORDING};

fn missing_ids(v: &str) -> Vec<&'static str> {
    assess_str(v).missing_fixes.iter().map(|m| m.id).collect()
}

#[test]
fn cu19_rtm_misses_proxylogon_and_proxyshell() {
    let a = assess_str("15.1.2176.2");
    assert_eq!(a.product, Some(Product::Exchange2016));
    assert_eq!(a.cu.as_deref(), Some("CU19"));
    assert_eq!(a.precision, Precision::Exact);
    assert_eq!(a.release_date.as_deref(), Some("2020-12-15"));
    assert_eq!(a.exposure, Exposure::Vulnerable);
    let ids = missing_ids("15.1.2176.2");
    assert!(ids.contains(&"proxylogon"));
    assert!(ids.contains(&"proxyshell-1") && ids.contains(&"proxyshell-2"));
    assert!(a
        .missing_fixes
        .iter()
        .any(|m| m.cves.contains(&"CVE-2021-26855")));
}

#[test]
fn long_form_is_the_same_build() {
    let a = assess_str("15.01.2176.002");
    assert_eq!(a.build.unwrap().to_string(), "15.1.2176.2");
    assert_eq!(a.update_name.as_deref(), Some("Exchange Server 2016 CU19"));
}

#[test]
fn proxylogon_fixing_builds() {
    for v in [
        "15.0.1497.12",
        "15.0.1473.6",
        "15.0.1395.12",
        "15.0.847.64",
        "15.1.2176.9",
        "15.1.2106.13",
        "15.1.1415.10",
        "15.1.2044.13",
        "15.2.792.10",
        "15.2.721.13",
        "15.2.221.18",
        "15.2.659.12",
        "15.1.2242.4",
        "15.2.858.5",
    ] {
        assert!(
            !missing_ids(v).contains(&"proxylogon"),
            "{v} should carry ProxyLogon"
        );
    }
    for v in ["15.1.2176.4", "15.2.792.5", "15.1.2106.8"] {
        assert!(
            missing_ids(v).contains(&"proxylogon"),
            "{v} lacks ProxyLogon"
        );
    }
}

#[test]
fn special_march_sus_fix_only_proxylogon() {
    let ids = missing_ids("15.1.2044.13"); // 2016 CU17 Mar21SU
    assert!(!ids.contains(&"proxylogon"));
    assert!(ids.contains(&"proxyshell-2") && ids.contains(&"proxynotshell-owassrf"));
}

#[test]
fn proxyshell_needs_may21su() {
    let apr = missing_ids("15.1.2176.12");
    assert!(!apr.contains(&"proxyshell-1") && apr.contains(&"proxyshell-2"));
    let may = missing_ids("15.1.2176.14");
    assert!(!may.contains(&"proxyshell-1") && !may.contains(&"proxyshell-2"));
    assert!(!missing_ids("15.1.2308.8").contains(&"proxyshell-2"));
    assert!(!missing_ids("15.2.922.7").contains(&"proxyshell-2"));
}

#[test]
fn proxynotshell_fixing_builds() {
    for v in [
        "15.0.1497.44",
        "15.1.2375.37",
        "15.1.2507.16",
        "15.2.986.36",
        "15.2.1118.20",
        "15.2.1258.12",
    ] {
        assert!(!missing_ids(v).contains(&"proxynotshell-owassrf"), "{v}");
    }
    for v in ["15.1.2507.13", "15.2.1118.15", "15.2.986.30"] {
        assert!(missing_ids(v).contains(&"proxynotshell-owassrf"), "{v}");
    }
}

#[test]
fn newest_builds_are_patched() {
    for v in [
        "15.1.2507.72",
        "15.2.1748.49",
        "15.2.1544.44",
        "15.2.2562.46",
    ] {
        let a = assess_str(v);
        assert_eq!(a.exposure, Exposure::Patched, "{v}: {:?}", a.missing_fixes);
        assert!(a.status.starts_with("patched"));
    }
}

#[test]
fn se_rtm_lacks_august_2025_fixes_only_from_later_sus() {
    let ids = missing_ids("15.2.2562.17");
    assert!(ids.contains(&"aug25su"));
    assert!(!ids.contains(&"proxylogon") && !ids.contains(&"cve-2025-53786"));
}

#[test]
fn exchange_2013_later_fixes_are_not_issued_not_missing() {
    let a = assess_str("15.0.1497.48");
    assert_eq!(a.exposure, Exposure::Patched);
    assert!(a.not_issued_for_product.contains(&"cve-2024-26198"));
    assert!(a.notes.iter().any(|n| n.contains("end of support")));
}

#[test]
fn cu_level_is_reported_honestly() {
    // 2016 CU23 at CU level: later SUs exist for every tracked fix, so nothing is certain.
    let a = assess_str("15.1.2507");
    assert_eq!(a.precision, Precision::CuLevel);
    assert_eq!(a.exposure, Exposure::PotentiallyVulnerable);
    assert!(a.status.starts_with(CU_LEVEL_WORDING));
    assert!(a.missing_fixes.is_empty());
    assert!(a
        .possibly_missing_fixes
        .iter()
        .any(|m| m.id == "proxynotshell-owassrf"));
    assert_eq!(a.update, None, "the SU must not be guessed");
    // 2016 CU19 at CU level: CVE-2021-42321 was never released for CU19.
    let b = assess_str("15.1.2176");
    assert_eq!(b.exposure, Exposure::Vulnerable);
    assert!(b.status.starts_with(CU_LEVEL_WORDING));
    assert!(b.missing_fixes.iter().any(|m| m.id == "cve-2021-42321"));
    assert!(b
        .possibly_missing_fixes
        .iter()
        .any(|m| m.id == "proxylogon"));
}

#[test]
fn unknown_builds_have_neighbours() {
    let a = assess_str("15.1.2176.7");
    assert_eq!(a.exposure, Exposure::Unknown);
    assert!(!a.known);
    assert!(
        a.status.contains("15.1.2176.4") && a.status.contains("15.1.2176.9"),
        "{}",
        a.status
    );
    assert!(a
        .neighbours
        .iter()
        .any(|n| n.build.to_string() == "15.1.2176.9"));
    let far = assess_str("15.1.9999.1");
    assert_eq!(far.exposure, Exposure::Unknown);
    assert!(!far.neighbours.is_empty());
    let e2010 = assess_str("14.3.513.0");
    assert!(e2010.status.contains("Exchange 2010"));
}

#[test]
fn bad_input_never_panics() {
    for s in [
        "",
        "garbage",
        "15.1",
        "15.1.2176.2.1",
        "٣.١.٢",
        "15.1.4294967295.4294967295",
        "15.1.99999999999.1",
    ] {
        let a = assess_str(s);
        assert!(!a.known, "{s}");
        assert_eq!(a.exposure, Exposure::Unknown);
    }
}

#[test]
fn json_shape() {
    let v = serde_json::to_value(assess_str("15.2.1118.7")).unwrap();
    assert_eq!(v["product"], "Exchange Server 2019");
    assert_eq!(v["precision"], "exact");
    assert_eq!(v["exposure"], "vulnerable");
    assert_eq!(v["build"], "15.2.1118.7");
    assert!(v["missing_fixes"]
        .as_array()
        .unwrap()
        .iter()
        .any(|m| m["cves"][0] == "CVE-2022-41040"));
}

#[test]
fn cves_of_fixes_are_each_listed_once_and_sorted() {
    let a = assess_str("15.1.2176.2");
    let cves = exhunt_builds::cves_of(&a.missing_fixes);
    assert!(cves.contains(&"CVE-2021-26855"), "{cves:?}");
    assert!(
        cves.windows(2).all(|w| w[0] < w[1]),
        "sorted, no repeats: {cves:?}"
    );
    let all: usize = a.missing_fixes.iter().map(|f| f.cves.len()).sum();
    let twice = exhunt_builds::cves_of(a.missing_fixes.iter().chain(&a.missing_fixes));
    assert_eq!(
        twice, cves,
        "a fix listed twice adds nothing ({all} CVE mentions)"
    );
}
