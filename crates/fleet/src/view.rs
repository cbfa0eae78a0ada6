//! The light, owned views the fleet view is fed with: one [`FindingView`] per finding and one
//! [`HostFacts`] per server. They come from a finished scan ([`crate::from_report`]) or from
//! parsed result lines ([`crate::input`]); the fleet view never sees how findings were found.

use std::collections::BTreeMap;
use std::sync::OnceLock;

use chrono::{DateTime, Utc};
use exhunt_core::model::{Outcome, SourceCoverage};
use exhunt_core::{Severity, SourceKind, Stage, VerdictLevel};
use regex::Regex;

/// Mail intruder activity reached on one server: one mailbox (or "not recorded", or "all
/// mailboxes") with the methods and how much, from the scan's `data_access` records.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MailReached {
    /// The mailbox as the scan labels it (an address, `mailbox not recorded`, or `all
    /// mailboxes on this server were reachable`).
    pub mailbox: String,
    /// `named`, `not-recorded` or `all-mailboxes`.
    pub scope: String,
    /// How it was reached (OWA session, SSRF to EWS, PST export…).
    pub methods: Vec<String>,
    /// Requests, calls or files, summed over the methods.
    pub requests: u64,
    /// Earliest evidence.
    pub first: Option<DateTime<Utc>>,
    /// Latest evidence.
    pub last: Option<DateTime<Utc>>,
}

impl MailReached {
    /// True when one named mailbox was reached.
    pub fn is_named(&self) -> bool {
        self.scope == "named"
    }

    /// Fold another record of the same mailbox in.
    pub fn merge(&mut self, other: MailReached) {
        for m in other.methods {
            if !self.methods.contains(&m) {
                self.methods.push(m);
            }
        }
        self.requests = self.requests.saturating_add(other.requests);
        self.first = match (self.first, other.first) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
        self.last = self.last.max(other.last);
    }
}

/// What the fleet view needs of one finding.
#[derive(Debug, Clone)]
pub struct FindingView {
    /// Organisation label, if any.
    pub org: Option<String>,
    /// Server name.
    pub host: String,
    /// Rule id.
    pub rule_id: String,
    /// Rule title.
    pub title: String,
    /// Severity (after escalation).
    pub severity: Severity,
    /// Attack stage.
    pub stage: Stage,
    /// Success or failure, as the rule judged it.
    pub outcome: Outcome,
    /// Rule tags (campaign, actor, technique).
    pub tags: Vec<String>,
    /// CVEs the rule names.
    pub cves: Vec<String>,
    /// When, if the evidence says.
    pub timestamp: Option<DateTime<Utc>>,
    /// The source kind (`None` when a result line names an unknown one).
    pub source: Option<SourceKind>,
    /// Path of the evidence, relative to the scanned root.
    pub path: String,
    /// 1-based line of a text log.
    pub line: Option<u64>,
    /// Record id of an event.
    pub record_id: Option<u64>,
    /// The client address.
    pub client_ip: Option<String>,
    /// The account the request was authenticated as (`cs-username`, `AuthenticatedUser`).
    pub user: Option<String>,
    /// The server's own address on that request (IIS `s-ip`).
    pub server_ip: Option<String>,
    /// The client's user agent (IIS `+` read as a space).
    pub user_agent: Option<String>,
    /// The URL path requested, or the URL a file on disk is served at.
    pub url_path: Option<String>,
    /// A file finding's file name.
    pub file_name: Option<String>,
    /// A file finding's SHA-256 (lower-case hex).
    pub sha256: Option<String>,
    /// The `-FilePath` of a mailbox export command.
    pub export_path: Option<String>,
    /// The installed build an exposure finding names.
    pub build: Option<String>,
    /// The story (per scan) the finding belongs to.
    pub story: Option<u64>,
    /// The raw evidence (kept only for bounded examples).
    pub evidence: String,
}

impl FindingView {
    /// Fill the derived facts (user agent, user, server address, file name, export path) from
    /// the finding's record fields (`field` looks a column up by name, case-insensitively).
    pub fn derive<'a>(&mut self, field: impl Fn(&str) -> Option<&'a str>) {
        let nonempty = |v: Option<&'a str>| v.map(str::trim).filter(|v| !v.is_empty() && *v != "-");
        if self.user_agent.is_none() {
            self.user_agent = nonempty(field("cs(User-Agent)"))
                .or_else(|| nonempty(field("UserAgent")))
                .map(normalize_user_agent);
        }
        if self.user.is_none() {
            self.user = nonempty(field("cs-username"))
                .or_else(|| nonempty(field("AuthenticatedUser")))
                .map(str::to_string);
        }
        if self.server_ip.is_none() {
            self.server_ip = nonempty(field("s-ip")).map(str::to_string);
        }
        if self.source == Some(SourceKind::Files) && self.file_name.is_none() {
            self.file_name = nonempty(field("name"))
                .map(str::to_string)
                .or_else(|| self.path.rsplit('/').next().map(str::to_string))
                .map(|n| n.to_lowercase());
        }
        if self.url_path.is_none() {
            self.url_path = nonempty(field("url_path")).map(str::to_string);
        }
        if self.stage == Stage::Espionage && self.export_path.is_none() {
            self.export_path = export_path(&self.evidence);
        }
        if self.stage == Stage::Exposure && self.build.is_none() {
            self.build = nonempty(field("build")).map(str::to_string);
        }
        if let Some(h) = &mut self.sha256 {
            h.make_ascii_lowercase();
        }
    }

    /// True for a file-system time (weaker than a recorded time: copies and intruders change it).
    pub fn time_is_file_time(&self) -> bool {
        self.source == Some(SourceKind::Files)
    }
}

/// A user agent as the fleet view compares it: W3C logs write spaces as `+` (and a literal `+`
/// as `+` too), so `+` is read as a space and runs of spaces as one, for IIS and HttpProxy alike.
pub fn normalize_user_agent(ua: &str) -> String {
    let mut out = String::with_capacity(ua.len());
    for c in ua.trim().chars() {
        let c = if c == '+' { ' ' } else { c };
        if c == ' ' && out.ends_with(' ') {
            continue;
        }
        out.push(c);
    }
    out.trim().to_string()
}

/// The `-FilePath` argument of a mailbox export command in `text`, unquoted.
pub fn export_path(text: &str) -> Option<String> {
    static RE: OnceLock<Regex> = OnceLock::new();
    let re = RE.get_or_init(|| {
        Regex::new(
            r#"(?i)-FilePath\s*[: ]\s*(?:\\?"((?:[^"\\]|\\[^"])+)\\?"|'([^']+)'|([^\s;"']+))"#,
        )
        .expect("export path regex")
    });
    let c = re.captures(text)?;
    let v = c.get(1).or(c.get(2)).or(c.get(3))?.as_str();
    let v = v.trim_end_matches('\\').trim();
    (!v.is_empty()).then(|| v.to_string())
}

/// What the fleet view needs of one server's scan.
#[derive(Debug, Clone)]
pub struct HostFacts {
    /// Organisation label, if any.
    pub org: Option<String>,
    /// Server name.
    pub host: String,
    /// The verdict the scan gave.
    pub verdict: VerdictLevel,
    /// Its reason.
    pub reason: String,
    /// What was read, per source kind.
    pub coverage: BTreeMap<SourceKind, SourceCoverage>,
    /// Source kinds expected but not found.
    pub missing_sources: Vec<SourceKind>,
    /// When the scan finished (decides which of two scans of one host wins).
    pub scanned: Option<DateTime<Utc>>,
    /// Where the facts came from: the root scanned, or the result file (and line).
    pub origin: String,
    /// Input problems the scan met on this server's evidence.
    pub scan_issues: u64,
    /// Why the evidence could not be read at all (an unreadable root, a corrupt zip).
    pub read_error: Option<String>,
    /// Why the scan stopped before reading everything (Ctrl-C, SIGTERM), if it did.
    pub interrupted: Option<String>,
}

/// A coverage span of the log sources (every kind but files), `(first, last)`.
pub fn log_span(
    coverage: &BTreeMap<SourceKind, SourceCoverage>,
) -> (Option<DateTime<Utc>>, Option<DateTime<Utc>>) {
    let mut first: Option<DateTime<Utc>> = None;
    let mut last: Option<DateTime<Utc>> = None;
    for (k, c) in coverage {
        if *k == SourceKind::Files {
            continue;
        }
        if let Some(t) = c.first {
            first = Some(first.map_or(t, |f| f.min(t)));
        }
        if let Some(t) = c.last {
            last = Some(last.map_or(t, |l| l.max(t)));
        }
    }
    (first, last)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn export_paths_are_read_from_cmdlets_and_command_lines() {
        assert_eq!(
            export_path(r#"-Mailbox "ceo" -FilePath "\\EX01\C$\ProgramData\pst\ceo.pst""#)
                .as_deref(),
            Some(r"\\EX01\C$\ProgramData\pst\ceo.pst")
        );
        assert_eq!(
            export_path(r#"New-MailboxExportRequest -Mailbox $m -FilePath \"\\EX01\C$\ProgramData\pst\$m.pst\" }"#)
                .as_deref(),
            Some(r"\\EX01\C$\ProgramData\pst\$m.pst")
        );
        assert_eq!(
            export_path("-FilePath C:\\inetpub\\wwwroot\\aspnet_client\\x.aspx -Mailbox a")
                .as_deref(),
            Some(r"C:\inetpub\wwwroot\aspnet_client\x.aspx")
        );
        assert_eq!(export_path("Remove-MailboxExportRequest -Identity x"), None);
    }

    #[test]
    fn derived_fields_read_both_log_spellings() {
        let mut v = FindingView {
            org: None,
            host: "EX01".into(),
            rule_id: "R".into(),
            title: "t".into(),
            severity: Severity::High,
            stage: Stage::Backdoor,
            outcome: Outcome::Success,
            tags: vec![],
            cves: vec![],
            timestamp: None,
            source: Some(SourceKind::Iis),
            path: "u_ex210303.log".into(),
            line: Some(1),
            record_id: None,
            client_ip: Some("203.0.113.77".into()),
            user: None,
            server_ip: None,
            user_agent: None,
            url_path: None,
            file_name: None,
            sha256: None,
            export_path: None,
            build: None,
            story: None,
            evidence: String::new(),
        };
        let fields: BTreeMap<&str, &str> = [
            ("cs(User-Agent)", "Mozilla/5.0+(Windows+NT+10.0)"),
            ("cs-username", "-"),
            ("s-ip", "10.10.1.10"),
        ]
        .into_iter()
        .collect();
        v.derive(|k| fields.get(k).copied());
        assert_eq!(
            v.user_agent.as_deref(),
            Some("Mozilla/5.0 (Windows NT 10.0)")
        );
        // The same agent from IIS (`+` for spaces) and HttpProxy (spaces, a literal `+`).
        assert_eq!(
            normalize_user_agent(
                "Mozilla/5.0+(compatible;+Googlebot/2.1;++http://www.google.com/bot.html)"
            ),
            normalize_user_agent(
                "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)"
            )
        );
        assert_eq!(v.user, None, "'-' is no user");
        assert_eq!(v.server_ip.as_deref(), Some("10.10.1.10"));
    }
}
