//! Campaign indicators: which facts of a finding are attacker infrastructure or backdoors that
//! can be shared, and which addresses are never indicators.
//!
//! From findings that show an attempt or worse (severity medium and above, not exposure):
//! * `ip`: the client address (parsed; public addresses only, see [`AddressClass`]);
//! * `user_agent`: the client's user agent in a web log;
//! * `url_path`: the URL path of a backdoor-stage finding (a web shell requested, or a web shell
//!   on disk at the URL it is served at), lower-cased as IIS matches it;
//! * `file_name`: the name of a backdoor file on disk, lower-cased;
//! * `sha256`: the hash of a file judged malicious;
//! * `export_path`: the `-FilePath` of a mailbox export command.
//!
//! Not indicators: private, loopback, link-local, shared (CGNAT), multicast and unspecified
//! addresses; the server's own addresses (IIS `s-ip`); and addresses (and user agents) that
//! also appear as ordinary users' clients — a request authenticated as a person's account
//! (not empty, not a machine account `…$`, not SYSTEM) from an address that did nothing of high
//! severity on that server, which is what an organisation's NAT or proxy address looks like.
//! Every exclusion is counted in the fleet summary.

use std::net::IpAddr;

use exhunt_core::correlate::shows_attempt_by;
use exhunt_core::{Severity, SourceKind, Stage};
use serde::Serialize;

use crate::view::FindingView;

/// The kind of a campaign indicator.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum IndicatorType {
    /// A client address.
    Ip,
    /// A client user agent.
    UserAgent,
    /// A web-shell URL path.
    UrlPath,
    /// A backdoor file name.
    FileName,
    /// A file SHA-256.
    Sha256,
    /// A mailbox-export path.
    ExportPath,
}

impl IndicatorType {
    /// Every type, in output order.
    pub const ALL: [IndicatorType; 6] = [
        IndicatorType::Ip,
        IndicatorType::UserAgent,
        IndicatorType::UrlPath,
        IndicatorType::FileName,
        IndicatorType::Sha256,
        IndicatorType::ExportPath,
    ];

    /// The name used in outputs and campaign files.
    pub fn as_str(self) -> &'static str {
        match self {
            IndicatorType::Ip => "ip",
            IndicatorType::UserAgent => "user_agent",
            IndicatorType::UrlPath => "url_path",
            IndicatorType::FileName => "file_name",
            IndicatorType::Sha256 => "sha256",
            IndicatorType::ExportPath => "export_path",
        }
    }

    /// A label for people.
    pub fn label(self) -> &'static str {
        match self {
            IndicatorType::Ip => "address",
            IndicatorType::UserAgent => "user agent",
            IndicatorType::UrlPath => "web-shell URL path",
            IndicatorType::FileName => "backdoor file name",
            IndicatorType::Sha256 => "file SHA-256",
            IndicatorType::ExportPath => "mailbox-export path",
        }
    }

    /// True for the types that tie servers into one cluster (infrastructure and backdoors; a
    /// user agent or an export path is too common to prove a shared intruder).
    pub fn links_servers(self) -> bool {
        matches!(
            self,
            IndicatorType::Ip
                | IndicatorType::UrlPath
                | IndicatorType::FileName
                | IndicatorType::Sha256
        )
    }
}

/// Why an address is or is not an indicator.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AddressClass {
    /// A public address: can be an indicator.
    Public,
    /// A private, loopback, link-local, shared or otherwise non-routable address.
    Private,
    /// Not an address at all.
    Invalid,
}

/// Classify a client address as logged (`::ffff:a.b.c.d` is read as IPv4; a port or zone
/// suffix is not an address).
pub fn classify_address(s: &str) -> AddressClass {
    let Ok(ip) = s.trim().parse::<IpAddr>() else {
        return AddressClass::Invalid;
    };
    let ip = match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map(IpAddr::V4).unwrap_or(ip),
        v4 => v4,
    };
    let private = match ip {
        IpAddr::V4(v4) => {
            let o = v4.octets();
            v4.is_private()
                || v4.is_loopback()
                || v4.is_link_local()
                || v4.is_unspecified()
                || v4.is_broadcast()
                || v4.is_multicast()
                || (o[0] == 100 && (64..128).contains(&o[1])) // shared address space (CGNAT)
                || o[0] == 0
        }
        IpAddr::V6(v6) => {
            v6.is_loopback()
                || v6.is_unspecified()
                || v6.is_multicast()
                || v6.is_unique_local()
                || v6.is_unicast_link_local()
        }
    };
    if private {
        AddressClass::Private
    } else {
        AddressClass::Public
    }
}

/// True for an account name that is a person's (not empty, not a machine account, not SYSTEM).
pub fn is_person_account(user: &str) -> bool {
    let u = user.trim();
    if u.is_empty() || u == "-" || u.ends_with('$') {
        return false;
    }
    let l = u.to_ascii_lowercase();
    !(l.contains("system") && (l.starts_with("nt authority") || l == "system"))
        && l != "s-1-5-18"
        && !l.starts_with("healthmailbox")
}

/// True when a finding is of enough weight for its facts to be indicators.
pub fn yields_indicators(f: &FindingView) -> bool {
    shows_attempt_by(f.stage, f.severity)
}

/// The candidate indicators of one finding (before the fleet-wide exclusions), with the
/// address check applied to `ip`.
pub fn candidates(f: &FindingView) -> Vec<(IndicatorType, String)> {
    let mut out = Vec::new();
    if !yields_indicators(f) {
        return out;
    }
    if let Some(ip) = &f.client_ip {
        if classify_address(ip) == AddressClass::Public {
            out.push((IndicatorType::Ip, ip.trim().to_string()));
        }
    }
    let web = matches!(
        f.source,
        Some(SourceKind::Iis | SourceKind::HttpProxy | SourceKind::Rps)
    );
    if web {
        if let Some(ua) = &f.user_agent {
            out.push((IndicatorType::UserAgent, ua.clone()));
        }
    }
    if f.stage == Stage::Backdoor {
        if let Some(p) = &f.url_path {
            out.push((IndicatorType::UrlPath, p.to_lowercase()));
        }
        if f.source == Some(SourceKind::Files) {
            if let Some(n) = &f.file_name {
                out.push((IndicatorType::FileName, n.to_lowercase()));
            }
        }
    }
    if let Some(h) = &f.sha256 {
        if f.source == Some(SourceKind::Files) && f.stage != Stage::Exposure {
            out.push((IndicatorType::Sha256, h.to_ascii_lowercase()));
        }
    }
    if let Some(p) = &f.export_path {
        out.push((IndicatorType::ExportPath, p.clone()));
    }
    out
}

/// True when this finding looks like an ordinary user's request: authenticated as a person's
/// account and of no weight.
pub fn is_ordinary_use(f: &FindingView) -> bool {
    f.severity < Severity::High && f.user.as_deref().is_some_and(is_person_account)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn private_and_odd_addresses_are_not_indicators() {
        for a in [
            "10.1.2.3",
            "172.16.0.1",
            "192.168.1.1",
            "127.0.0.1",
            "::1",
            "169.254.3.3",
            "100.64.1.1",
            "fe80::1",
            "fd00::1",
            "::ffff:10.0.0.1",
            "0.0.0.0",
        ] {
            assert_eq!(classify_address(a), AddressClass::Private, "{a}");
        }
        for a in [
            "203.0.113.77",
            "198.51.100.5",
            "2001:db8::1",
            "::ffff:8.8.8.8",
            "100.128.0.1",
        ] {
            assert_eq!(classify_address(a), AddressClass::Public, "{a}");
        }
        assert_eq!(classify_address("203.0.113.77:443"), AddressClass::Invalid);
        assert_eq!(classify_address("-"), AddressClass::Invalid);
    }

    #[test]
    fn person_accounts() {
        assert!(is_person_account("CONTOSO\\alice"));
        assert!(is_person_account("bob@contoso.com"));
        for u in [
            "",
            "-",
            "CONTOSO\\EX01$",
            "NT AUTHORITY\\SYSTEM",
            "S-1-5-18",
            "HealthMailbox0a1b",
        ] {
            assert!(!is_person_account(u), "{u}");
        }
    }
}
