//! Passive analysis of one HTTP response: which Exchange traits and which build it shows.

use crate::checks::CheckRequest;
use exhunt_builds::BuildNumber;
use hyper::HeaderMap;
use regex::bytes::Regex;
use std::sync::OnceLock;

/// Where a build number was seen.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum BuildSource {
    /// `X-OWA-Version` response header (four parts; whether it tracks SUs is uncertain).
    XOwaVersion,
    /// ECP export-tool ClickOnce manifest (four parts).
    ExportTool,
    /// `/owa/auth/<build>/` in the logon page (usually three parts: CU level).
    OwaPath,
}

/// What one response showed.
#[derive(Debug, Clone, Default)]
pub struct Observation {
    /// Builds seen, with their source and the exact text.
    pub builds: Vec<(BuildSource, BuildNumber, String)>,
    /// Reasons to believe this is Exchange (empty: no sign).
    pub exchange_signs: Vec<String>,
    /// Identity headers (name, value).
    pub identity: Vec<(&'static str, String)>,
    /// Page title.
    pub title: Option<String>,
    /// Redirect target.
    pub location: Option<String>,
    /// `Server` header.
    pub server: Option<String>,
    /// `WWW-Authenticate` values.
    pub www_authenticate: Vec<String>,
}

struct Patterns {
    owa_path: Regex,
    owa_legacy: Regex,
    export: Regex,
    title_open: Regex,
}

/// Longest page title kept (characters between the tags, after trimming).
const MAX_TITLE: usize = 200;

/// The text of the page's `<title>` element: the run of characters up to the next tag, when that
/// tag closes the title and the run is short. (A capture regex with a bounded lazy repeat did
/// the same at several times the cost, on every response of a scan.)
fn page_title<'b>(p: &Patterns, body: &'b [u8]) -> Option<&'b [u8]> {
    let start = p.title_open.find(body)?.end();
    let rest = &body[start..];
    let end = memchr::memchr(b'<', rest)?;
    let close = rest.get(end..end + 8)?;
    if !close.eq_ignore_ascii_case(b"</title>") {
        return None;
    }
    let text = rest[..end].trim_ascii();
    (text.len() <= MAX_TITLE).then_some(text)
}

fn patterns() -> &'static Patterns {
    static P: OnceLock<Patterns> = OnceLock::new();
    P.get_or_init(|| Patterns {
        owa_path: Regex::new(r"(?i)/owa/auth/(\d{1,2}\.\d{1,2}\.\d{1,5}(?:\.\d{1,5})?)/")
            .expect("static regex"),
        owa_legacy: Regex::new(r"(?i)/owa/(\d{1,2}\.\d{1,2}\.\d{1,5}(?:\.\d{1,5})?)/")
            .expect("static regex"),
        export: Regex::new(
            r#"(?is)<assemblyIdentity[^>]*?\sversion="(\d{1,2}\.\d{1,2}\.\d{1,5}\.\d{1,5})""#,
        )
        .expect("static regex"),
        title_open: Regex::new(r"(?i)<title>").expect("static regex"),
    })
}

const IDENTITY_HEADERS: &[&str] = &[
    "x-feserver",
    "x-beserver",
    "x-calculatedbetarget",
    "x-diaginfo",
    "request-id",
    "x-owa-version",
];

fn header(h: &HeaderMap, name: &str) -> Option<String> {
    h.get(name)
        .and_then(|v| v.to_str().ok())
        .map(|s| s.trim().chars().take(200).collect())
}

/// Analyse a response to `check`.
pub fn analyze(check: &CheckRequest, status: u16, headers: &HeaderMap, body: &[u8]) -> Observation {
    let p = patterns();
    let mut o = Observation {
        server: header(headers, "server"),
        location: header(headers, "location"),
        www_authenticate: headers
            .get_all("www-authenticate")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .map(|s| s.chars().take(2048).collect())
            .collect(),
        ..Default::default()
    };
    for name in IDENTITY_HEADERS {
        if let Some(v) = header(headers, name) {
            o.identity.push((name, v));
        }
    }
    if let Some(v) = header(headers, "x-owa-version") {
        match BuildNumber::parse(&v) {
            Ok(b) => {
                o.builds
                    .push((BuildSource::XOwaVersion, b, format!("X-OWA-Version: {v}")));
                o.exchange_signs.push("X-OWA-Version header".into());
            }
            Err(_) => o
                .exchange_signs
                .push(format!("X-OWA-Version header (unparsable {v:?})")),
        }
    }
    for name in ["x-feserver", "x-beserver", "x-calculatedbetarget"] {
        if headers.contains_key(name) {
            o.exchange_signs.push(format!("{name} header"));
        }
    }
    if let Some(loc) = &o.location {
        if loc.to_ascii_lowercase().contains("/owa/auth/logon.aspx") {
            o.exchange_signs
                .push("redirect to /owa/auth/logon.aspx".into());
        }
    }
    if (200..300).contains(&status) {
        if let Some(title) = page_title(p, body) {
            let t = String::from_utf8_lossy(title).into_owned();
            let lt = t.to_ascii_lowercase();
            if lt.contains("outlook") || lt.contains("exchange log in") {
                o.exchange_signs.push(format!("title {t:?}"));
            }
            o.title = Some(t);
        }
        if check.id == crate::checks::ECP_EXPORTTOOL.id {
            if let Some(c) = p.export.captures(body) {
                let v = String::from_utf8_lossy(&c[1]).into_owned();
                if let Ok(b) = BuildNumber::parse(&v) {
                    o.builds.push((
                        BuildSource::ExportTool,
                        b,
                        format!("exporttool manifest version=\"{v}\""),
                    ));
                    o.exchange_signs.push("ECP export-tool manifest".into());
                }
            }
        }
    }
    let path_match = p
        .owa_path
        .captures(body)
        .or_else(|| p.owa_legacy.captures(body));
    if let Some(c) = path_match {
        let v = String::from_utf8_lossy(&c[1]).into_owned();
        if let Ok(b) = BuildNumber::parse(&v) {
            o.builds.push((
                BuildSource::OwaPath,
                b,
                format!("page references {}", String::from_utf8_lossy(&c[0])),
            ));
            o.exchange_signs.push("OWA build path in page".into());
        }
    }
    o
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checks::{ECP_EXPORTTOOL, OWA_LOGON};

    #[test]
    fn logon_page() {
        let mut h = HeaderMap::new();
        h.insert("x-owa-version", "15.1.2507.16".parse().unwrap());
        h.insert("x-feserver", "EX01".parse().unwrap());
        let body = br#"<html><head><title>Outlook</title><link href="/owa/auth/15.1.2507/themes/resources/favicon.ico"></head>"#;
        let o = analyze(&OWA_LOGON, 200, &h, body);
        assert_eq!(o.builds.len(), 2);
        assert_eq!(o.builds[0].0, BuildSource::XOwaVersion);
        assert_eq!(o.builds[1].1, BuildNumber::cu_level(15, 1, 2507));
        assert!(o.exchange_signs.len() >= 3);
        assert_eq!(o.title.as_deref(), Some("Outlook"));
    }

    #[test]
    fn titles_are_read_between_their_tags_only() {
        let p = patterns();
        let t = |b: &[u8]| page_title(p, b).map(|t| String::from_utf8_lossy(t).into_owned());
        assert_eq!(
            t(b"<TITLE>\r\n  Outlook \n</Title>").as_deref(),
            Some("Outlook")
        );
        assert_eq!(t(b"<title></title>").as_deref(), Some(""));
        assert_eq!(t(b"<title>Outlook<b>x</b></title>"), None);
        assert_eq!(t(b"<title>Outlook"), None);
        let long = format!("<title>{}</title>", "x".repeat(MAX_TITLE + 1));
        assert_eq!(t(long.as_bytes()), None);
        let fits = format!("<title> {} </title>", "x".repeat(MAX_TITLE));
        assert_eq!(t(fits.as_bytes()).map(|s| s.len()), Some(MAX_TITLE));
    }

    #[test]
    fn export_manifest_and_nothing() {
        let body = br#"<asmv1:assembly><assemblyIdentity name="microsoft.exchange.ediscovery.exporttool.application" version="15.2.1118.20" publicKeyToken="x" /></asmv1:assembly>"#;
        let o = analyze(&ECP_EXPORTTOOL, 200, &HeaderMap::new(), body);
        assert_eq!(o.builds[0].1, BuildNumber::new(15, 2, 1118, 20));
        let n = analyze(
            &OWA_LOGON,
            404,
            &HeaderMap::new(),
            b"<title>nginx</title> \xff\xfe",
        );
        assert!(n.builds.is_empty() && n.exchange_signs.is_empty());
    }
}
