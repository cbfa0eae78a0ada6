//! `.reg` registry exports (regedit writes UTF-16LE with a BOM).
//!
//! Used values: `...\ExchangeServer\v15\Setup` `MsiProductMajor/MsiProductMinor/MsiBuildMajor/MsiBuildMinor`
//! and `OwaVersion` (not updated by every security update: CU-level lower bounds), the Exchange product
//! uninstall entry's `DisplayVersion` (CU level), and uninstall entries of installed updates
//! (`DisplayName` = "Security Update for Exchange Server 2019 Cumulative Update 12 (KB5019758)"), which the
//! build table maps to an exact build by product, CU and KB.

use super::text::read_text;
use super::{BuildEvidence, EvidenceSource};
use crate::table::{table, Product};
use crate::version::BuildNumber;
use std::collections::HashMap;
use std::path::Path;

const MAX_BYTES: u64 = 512 * 1024 * 1024;

/// Scan one registry export.
pub(crate) fn scan(path: &Path) -> Vec<BuildEvidence> {
    let Some(text) = read_text(path, MAX_BYTES) else {
        return Vec::new();
    };
    if !text.trim_start().starts_with("Windows Registry Editor")
        && !text.trim_start().starts_with("REGEDIT4")
    {
        return Vec::new();
    }
    let mut out = Vec::new();
    for (key, values) in keys(&text) {
        let lk = key.to_ascii_lowercase();
        if lk.ends_with(r"\microsoft\exchangeserver\v15\setup") {
            out.extend(setup_key(path, &key, &values));
        }
        if lk.contains(r"\currentversion\uninstall\") {
            out.extend(uninstall_entry(path, &key, &values));
        }
    }
    out
}

type Values = HashMap<String, String>;

/// Split the export into keys and their (lower-cased name → decoded value) pairs.
fn keys(text: &str) -> Vec<(String, Values)> {
    let mut out: Vec<(String, Values)> = Vec::new();
    for line in text.lines() {
        let line = line.trim();
        if let Some(k) = line.strip_prefix('[').and_then(|l| l.strip_suffix(']')) {
            out.push((k.to_string(), Values::new()));
        } else if let (Some(rest), Some((_, vals))) = (line.strip_prefix('"'), out.last_mut()) {
            if let Some((name, value)) = rest.split_once("\"=") {
                vals.insert(name.to_ascii_lowercase(), decode_value(value));
            }
        }
    }
    out
}

fn decode_value(v: &str) -> String {
    if let Some(hex) = v.strip_prefix("dword:") {
        return u32::from_str_radix(hex.trim(), 16)
            .map(|n| n.to_string())
            .unwrap_or_default();
    }
    match v.strip_prefix('"').and_then(|s| s.strip_suffix('"')) {
        Some(s) => s.replace("\\\\", "\\").replace("\\\"", "\""),
        None => String::new(),
    }
}

fn setup_key(path: &Path, key: &str, v: &Values) -> Vec<BuildEvidence> {
    let mut out = Vec::new();
    let num = |k: &str| v.get(k).and_then(|s| s.parse::<u32>().ok());
    if let (Some(a), Some(b), Some(c), Some(d)) = (
        num("msiproductmajor"),
        num("msiproductminor"),
        num("msibuildmajor"),
        num("msibuildminor"),
    ) {
        let build = BuildNumber::new(a, b, c, d);
        let detail = format!("[{key}] MsiProductMajor/Minor, MsiBuildMajor/Minor = {build} (CU level: SUs do not update these)");
        out.push(BuildEvidence::new(
            EvidenceSource::RegistryExport,
            path,
            build,
            false,
            detail,
        ));
    }
    if let Some(Ok(build)) = v.get("owaversion").map(|s| BuildNumber::parse(s)) {
        let detail =
            format!("[{key}] OwaVersion = {build} (may not track security updates; CU level)");
        out.push(BuildEvidence::new(
            EvidenceSource::RegistryExport,
            path,
            build,
            false,
            detail,
        ));
    }
    out
}

fn uninstall_entry(path: &Path, key: &str, v: &Values) -> Vec<BuildEvidence> {
    let Some(name) = v.get("displayname") else {
        return Vec::new();
    };
    let lname = name.to_ascii_lowercase();
    if !lname.contains("exchange server") {
        return Vec::new();
    }
    if lname.contains("security update") || lname.contains("hotfix update") {
        return match update_build(name) {
            Some(build) => {
                let detail =
                    format!("[{key}] installed update \"{name}\" = {build} per the build table");
                vec![BuildEvidence::new(
                    EvidenceSource::RegistryExport,
                    path,
                    build,
                    true,
                    detail,
                )]
            }
            None => Vec::new(),
        };
    }
    match v.get("displayversion").map(|s| BuildNumber::parse(s)) {
        Some(Ok(build)) if build.major == 15 => {
            let detail = format!("[{key}] \"{name}\" DisplayVersion = {build} (CU level)");
            vec![BuildEvidence::new(
                EvidenceSource::RegistryExport,
                path,
                build,
                false,
                detail,
            )]
        }
        _ => Vec::new(),
    }
}

/// Map "Security Update for Exchange Server 2019 Cumulative Update 12 (KB5019758)" to its build.
fn update_build(display_name: &str) -> Option<BuildNumber> {
    let l = display_name.to_ascii_lowercase();
    let product = if l.contains("exchange server 2013") {
        Product::Exchange2013
    } else if l.contains("exchange server 2016") {
        Product::Exchange2016
    } else if l.contains("exchange server 2019") {
        Product::Exchange2019
    } else if l.contains("subscription edition") || l.contains("exchange server se") {
        Product::ExchangeSe
    } else {
        return None;
    };
    let kb_pos = l.find("kb")?;
    let kb: String = l[kb_pos + 2..]
        .chars()
        .take_while(char::is_ascii_digit)
        .collect();
    let cu = cu_name(&l);
    table()
        .iter()
        .filter(|r| r.product == product)
        .filter(|r| {
            r.kb.as_deref()
                .is_some_and(|k| k.eq_ignore_ascii_case(&format!("KB{kb}")))
        })
        .filter(|r| cu.as_deref().is_none_or(|c| r.cu.eq_ignore_ascii_case(c)))
        .map(|r| r.build)
        .max()
}

fn cu_name(l: &str) -> Option<String> {
    let digits = |s: &str| {
        s.chars()
            .take_while(char::is_ascii_digit)
            .collect::<String>()
    };
    if let Some(i) = l.find("cumulative update ") {
        let n = digits(&l[i + 18..]);
        return (!n.is_empty()).then(|| format!("CU{n}"));
    }
    let i = l.find(" cu")?;
    let n = digits(&l[i + 3..]);
    (!n.is_empty()).then(|| format!("CU{n}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn maps_update_display_names() {
        assert_eq!(
            update_build(
                "Security Update for Exchange Server 2019 Cumulative Update 12 (KB5019758)"
            ),
            Some(BuildNumber::new(15, 2, 1118, 20))
        );
        assert_eq!(
            update_build("Security Update for Exchange Server 2016 CU23 (KB5019758)"),
            Some(BuildNumber::new(15, 1, 2507, 16))
        );
        assert_eq!(
            update_build("Security Update for Exchange Server 2016 CU23 (KB0000000)"),
            None
        );
    }
}
