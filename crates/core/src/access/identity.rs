//! Mailbox identities as logs spell them (`Smtp~ceo@contoso.local`, `SMTP:ceo@contoso.local`,
//! `CONTOSO\ceo`, `ceo`), reduced to one key per person where the evidence allows it.

use std::collections::{BTreeMap, BTreeSet};

use super::mapping::AccessMappings;

/// A logged identity cleaned for comparison: prefixes removed, lower-cased; `None` when it
/// names no mailbox (a server anchor, a SID, the system account, a computer account).
pub(crate) fn clean(raw: &str, maps: &AccessMappings) -> Option<String> {
    let mut v = raw.trim().trim_matches(['"', '\'']).trim();
    let lower = v.to_ascii_lowercase();
    if v.is_empty() || v == "-" {
        return None;
    }
    if maps.not_a_mailbox.iter().any(|p| lower.starts_with(p)) {
        return None;
    }
    for p in &maps.strip_prefixes {
        if lower.starts_with(p) {
            v = &v[p.len()..];
            break;
        }
    }
    let v = v.trim().to_ascii_lowercase();
    if v.is_empty() || v.ends_with('$') || v.starts_with('$') {
        return None;
    }
    if maps.not_a_mailbox.iter().any(|p| v.starts_with(p)) {
        return None;
    }
    Some(v)
}

/// The part that names the person: `ceo` for `ceo@contoso.local`, `CONTOSO\ceo` and `ceo`.
fn local_part(id: &str) -> &str {
    let id = id.rsplit('\\').next().unwrap_or(id);
    id.split('@').next().unwrap_or(id)
}

/// Unify the identities of one host: a bare alias (`ceo`) or `DOMAIN\ceo` joins the single SMTP
/// address with that local part, if exactly one was logged; otherwise each stays apart.
/// Returns identity → key (the SMTP address, or the identity itself).
pub(crate) fn unify(ids: &BTreeSet<String>) -> BTreeMap<String, String> {
    let mut smtp_by_local: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    for id in ids {
        if id.contains('@') && !id.contains('\\') {
            smtp_by_local.entry(local_part(id)).or_default().push(id);
        }
    }
    let mut key_of = BTreeMap::new();
    for id in ids {
        let key = if id.contains('@') {
            id.clone()
        } else {
            match smtp_by_local.get(local_part(id)).map(Vec::as_slice) {
                Some([one]) => one.to_string(),
                _ => id.clone(),
            }
        };
        key_of.insert(id.clone(), key);
    }
    key_of
}

#[cfg(test)]
mod tests {
    use super::*;

    fn maps() -> AccessMappings {
        AccessMappings::embedded()
    }

    #[test]
    fn identities_are_cleaned() {
        let m = maps();
        assert_eq!(
            clean("Smtp~CEO@contoso.local", &m).as_deref(),
            Some("ceo@contoso.local")
        );
        assert_eq!(
            clean("SMTP:ceo@contoso.local", &m).as_deref(),
            Some("ceo@contoso.local")
        );
        assert_eq!(
            clean("CONTOSO\\Carol", &m).as_deref(),
            Some("contoso\\carol")
        );
        for none in [
            "ServerInfo~a]@ex01:444/ews/exchange.asmx",
            "Sid~S-1-5-21-1-2-3-1105",
            "DatabaseGuid~1234",
            "NT AUTHORITY\\SYSTEM",
            "CONTOSO\\EX01$",
            "",
            "-",
            "$m",
        ] {
            assert_eq!(clean(none, &m), None, "{none}");
        }
    }

    #[test]
    fn aliases_join_the_single_matching_address() {
        let ids: BTreeSet<String> = [
            "ceo",
            "ceo@contoso.local",
            "contoso\\carol",
            "carol@contoso.local",
            "bob",
            "bob@a.com",
            "bob@b.com",
            "legal",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        let key = unify(&ids);
        assert_eq!(key["ceo"], "ceo@contoso.local");
        assert_eq!(key["contoso\\carol"], "carol@contoso.local");
        assert_eq!(
            key["bob"], "bob",
            "two addresses share the local part: no guess"
        );
        assert_eq!(key["legal"], "legal");
        let people: BTreeSet<&String> = key.values().collect();
        assert_eq!(people.len(), 6);
    }
}
