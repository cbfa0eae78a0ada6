//! The mapping files the access analysis reads (`mapping:` documents under `rules/access/`):
//! which log fields name a mailbox and which requests reach mail (`mail-access`), which
//! cmdlets export whole mailboxes and which of their parameters name the victim, and the
//! request shapes of published web-shell clients with the thresholds for probing
//! (`shell-use`). Nothing about mailboxes or shell clients is hard-coded in Rust.
//!
//! Several documents of one kind add up (a user's `--rules` folder can extend the built-in
//! ones); every problem becomes a [`RuleDiagnostic`] and the rest still loads.

use std::sync::Arc;

use serde::Deserialize;

use crate::model::{Severity, SourceKind, Stage};
use crate::rules::condition::{Condition, ConditionSpec};
use crate::rules::{DiagnosticLevel, PendingMapping, RuleDiagnostic, RuleMeta};

/// The mapping kind that describes mail access.
pub const MAIL_ACCESS: &str = "mail-access";
/// The mapping kind that describes web-shell clients and probing.
pub const SHELL_USE: &str = "shell-use";

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct MailAccessDoc {
    #[allow(dead_code)]
    mapping: String,
    #[serde(default)]
    #[allow(dead_code)]
    description: Option<String>,
    #[serde(default)]
    keep_fields: Vec<String>,
    #[serde(default)]
    bytes_fields: Vec<String>,
    #[serde(default)]
    identities: Option<IdentitySpec>,
    #[serde(default)]
    session_margin_hours: Option<f64>,
    #[serde(default)]
    exclude: Option<ConditionSpec>,
    #[serde(default)]
    requests: Vec<SignatureSpec>,
    #[serde(default)]
    command_fields: Vec<Vec<String>>,
    #[serde(default)]
    cmdlets: Vec<CmdletSpec>,
    #[serde(default)]
    export_files: Vec<RuleListSpec>,
    #[serde(default)]
    full_access: Option<RuleListSpec>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct IdentitySpec {
    #[serde(default)]
    strip_prefixes: Vec<String>,
    #[serde(default)]
    not_a_mailbox: Vec<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct SignatureSpec {
    id: String,
    method: String,
    sources: Vec<SourceKind>,
    #[serde(rename = "match")]
    matcher: ConditionSpec,
    #[serde(default)]
    mailbox: Vec<String>,
    #[serde(default)]
    mailbox_from_export: bool,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct CmdletSpec {
    name: String,
    method: String,
    #[serde(default)]
    victim: Vec<String>,
    #[serde(default)]
    destination: Vec<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RuleListSpec {
    method: String,
    rules: Vec<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ShellUseDoc {
    #[allow(dead_code)]
    mapping: String,
    #[serde(default)]
    #[allow(dead_code)]
    description: Option<String>,
    #[serde(default)]
    split_gap_hours: Option<f64>,
    #[serde(default)]
    use_status: Vec<String>,
    #[serde(default)]
    probe_status: Vec<String>,
    #[serde(default)]
    probing: Option<ProbingSpec>,
    #[serde(default)]
    clients: Vec<ClientSpec>,
    #[serde(default)]
    published_names: Vec<String>,
    #[serde(default)]
    findings: Option<FindingsSpec>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ProbingSpec {
    min_addresses: usize,
    min_names_one_address: usize,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ClientSpec {
    name: String,
    #[serde(rename = "match")]
    matcher: ConditionSpec,
    #[serde(default)]
    rotates_user_agent: bool,
    #[serde(default)]
    generic: bool,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct FindingsSpec {
    reuse: Option<MetaSpec>,
    probing: Option<MetaSpec>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct MetaSpec {
    id: String,
    title: String,
    description: String,
    severity: Severity,
    stage: Stage,
    #[serde(default)]
    cves: Vec<String>,
    #[serde(default)]
    tags: Vec<String>,
    #[serde(default)]
    attack: Vec<String>,
    #[serde(default)]
    references: Vec<String>,
    remediation: String,
}

/// A request signature: which log lines reach mail, and which of their fields name the mailbox.
#[derive(Debug, Clone)]
pub struct RequestSignature {
    /// Identifier in the mapping file.
    pub id: String,
    /// How the mail was reached, in words (`SSRF to OWA (explicit logon)`…).
    pub method: String,
    /// Log kinds it applies to.
    pub sources: Vec<SourceKind>,
    /// The condition over the line's fields (and `$captures`).
    pub condition: Condition,
    /// Fields (or `$captures`) that may name the mailbox, first usable one wins; empty: the
    /// line names none ("mailbox not recorded").
    pub mailbox: Vec<String>,
    /// The mailbox is the one whose export wrote the requested file.
    pub mailbox_from_export: bool,
}

/// A cmdlet that moves whole mailboxes, and which of its parameters name victim and destination.
#[derive(Debug, Clone)]
pub struct CmdletMap {
    /// The cmdlet name (`New-MailboxExportRequest`).
    pub name: String,
    /// How the mail was reached, in words.
    pub method: String,
    /// Parameters naming the mailbox(es) taken.
    pub victim: Vec<String>,
    /// Parameters naming where the mail went.
    pub destination: Vec<String>,
}

/// A request shape of a published web-shell client.
#[derive(Debug, Clone)]
pub struct ClientShape {
    /// The tool or client family.
    pub name: String,
    /// The condition over the request's fields.
    pub condition: Condition,
    /// The tool picks a new user agent per connection or run (user agents cannot tie its
    /// requests together).
    pub rotates_user_agent: bool,
    /// A shape many clients share (a browser GET, no user agent): a change to or from it does
    /// not separate actors.
    pub generic: bool,
}

/// Every mapping the access analysis reads, compiled.
#[derive(Debug, Clone, Default)]
pub struct AccessMappings {
    /// Columns the log engine keeps on findings for this analysis (lower-cased).
    pub keep_fields: Vec<String>,
    /// Columns holding the bytes sent to the client (lower-cased), first present wins.
    pub bytes_fields: Vec<String>,
    /// Prefixes removed from logged identities (`Smtp~`, `SMTP:`), lower-cased.
    pub strip_prefixes: Vec<String>,
    /// Prefixes of anchors that name no mailbox (`ServerInfo~`, `Sid~`…), lower-cased.
    pub not_a_mailbox: Vec<String>,
    /// Sessions from intruder addresses are looked for this long before and after their
    /// flagged activity.
    pub session_margin: chrono::Duration,
    /// Lines no request signature is tried on (e.g. the Exchange back-end site, whose requests
    /// were proxied by the front end and are counted there).
    pub exclude: Vec<Condition>,
    /// Request signatures, in order (first match wins).
    pub requests: Vec<RequestSignature>,
    /// Groups of fields that hold a command line, in order (the first group present is used).
    pub command_fields: Vec<Vec<String>>,
    /// Cmdlets that move whole mailboxes.
    pub cmdlets: Vec<CmdletMap>,
    /// Rules whose findings are export files on disk (or archives of them), each list with
    /// its method label.
    pub export_files: Vec<(String, Vec<String>)>,
    /// Rules whose findings show code running with the server's rights, and the method label.
    pub full_access: Option<(String, Vec<String>)>,
    /// Request shapes of web-shell clients, in order (first match wins).
    pub clients: Vec<ClientShape>,
    /// Requests by one address further apart than this start a new actor when the client
    /// shape changes.
    pub split_gap: chrono::Duration,
    /// Status patterns (`2*`) of a web-shell request that was answered (use).
    pub use_status: Vec<String>,
    /// Status patterns of a request for a page that is not there (probing).
    pub probe_status: Vec<String>,
    /// Mass probing: this many addresses probing shell paths…
    pub probe_min_addresses: usize,
    /// …or one address trying this many distinct names.
    pub probe_min_names: usize,
    /// Published web-shell file names (lower-cased).
    pub published_names: Vec<String>,
    /// The finding "backdoor reused by another actor".
    pub reuse_meta: Option<Arc<RuleMeta>>,
    /// The finding "mass probing of published web-shell names".
    pub probing_meta: Option<Arc<RuleMeta>>,
}

impl AccessMappings {
    /// Compile every mapping document of the kinds this analysis reads; other kinds are left
    /// to their owners. Problems are returned as diagnostics.
    pub fn compile(docs: &[PendingMapping]) -> (AccessMappings, Vec<RuleDiagnostic>) {
        let mut m = AccessMappings {
            session_margin: chrono::Duration::hours(1),
            split_gap: chrono::Duration::hours(24),
            probe_min_addresses: 3,
            probe_min_names: 5,
            ..Default::default()
        };
        let mut diags = Vec::new();
        for d in docs {
            let res = match d.kind.as_str() {
                MAIL_ACCESS => serde_yaml_ng::from_value::<MailAccessDoc>(d.doc.clone())
                    .map_err(|e| format!("invalid mail-access mapping: {e}"))
                    .and_then(|doc| m.add_mail(doc, &d.origin)),
                SHELL_USE => serde_yaml_ng::from_value::<ShellUseDoc>(d.doc.clone())
                    .map_err(|e| format!("invalid shell-use mapping: {e}"))
                    .and_then(|doc| m.add_shell(doc, &d.origin)),
                _ => Ok(()),
            };
            if let Err(message) = res {
                diags.push(RuleDiagnostic {
                    level: DiagnosticLevel::Error,
                    origin: d.origin.clone(),
                    rule_id: None,
                    message,
                });
            }
        }
        m.keep_fields.sort();
        m.keep_fields.dedup();
        (m, diags)
    }

    /// The columns the log engine should keep on findings, from the `mail-access` mappings
    /// among `docs` (without compiling the rest).
    pub fn kept_fields(docs: &[PendingMapping]) -> Vec<String> {
        let mut out: Vec<String> = docs
            .iter()
            .filter(|d| d.kind == MAIL_ACCESS)
            .filter_map(|d| d.doc.get("keep_fields").and_then(|v| v.as_sequence()))
            .flatten()
            .filter_map(|v| v.as_str())
            .map(|s| s.to_ascii_lowercase())
            .collect();
        out.sort();
        out.dedup();
        out
    }

    fn add_mail(&mut self, doc: MailAccessDoc, origin: &str) -> Result<(), String> {
        let lower = |v: Vec<String>| v.into_iter().map(|s| s.to_ascii_lowercase());
        let mut requests = Vec::new();
        for s in doc.requests {
            let condition = Condition::compile(&s.matcher)
                .map_err(|e| format!("request signature '{}': {e}", s.id))?;
            if s.sources.is_empty() {
                return Err(format!("request signature '{}': `sources` is empty", s.id));
            }
            requests.push(RequestSignature {
                id: s.id,
                method: s.method,
                sources: s.sources,
                condition,
                mailbox: s
                    .mailbox
                    .into_iter()
                    .map(|f| {
                        if f.starts_with('$') {
                            f
                        } else {
                            f.to_ascii_lowercase()
                        }
                    })
                    .collect(),
                mailbox_from_export: s.mailbox_from_export,
            });
        }
        for c in &doc.cmdlets {
            if c.name.trim().is_empty() || c.victim.is_empty() && c.destination.is_empty() {
                return Err(format!(
                    "cmdlet '{}': a name and at least one victim or destination parameter are needed",
                    c.name
                ));
            }
        }
        self.keep_fields.extend(lower(doc.keep_fields));
        self.bytes_fields.extend(lower(doc.bytes_fields));
        if let Some(i) = doc.identities {
            self.strip_prefixes.extend(lower(i.strip_prefixes));
            self.not_a_mailbox.extend(lower(i.not_a_mailbox));
        }
        if let Some(h) = doc.session_margin_hours {
            if !(0.0..=24.0 * 30.0).contains(&h) {
                return Err(format!("{origin}: session_margin_hours must be 0 to 720"));
            }
            self.session_margin = chrono::Duration::seconds((h * 3600.0) as i64);
        }
        if let Some(e) = &doc.exclude {
            self.exclude
                .push(Condition::compile(e).map_err(|e| format!("exclude: {e}"))?);
        }
        self.requests.extend(requests);
        self.command_fields.extend(
            doc.command_fields
                .into_iter()
                .map(|g| g.into_iter().map(|f| f.to_ascii_lowercase()).collect()),
        );
        self.cmdlets
            .extend(doc.cmdlets.into_iter().map(|c| CmdletMap {
                name: c.name,
                method: c.method,
                victim: c.victim,
                destination: c.destination,
            }));
        self.export_files
            .extend(doc.export_files.into_iter().map(|e| (e.method, e.rules)));
        if let Some(f) = doc.full_access {
            self.full_access = Some((f.method, f.rules));
        }
        Ok(())
    }

    fn add_shell(&mut self, doc: ShellUseDoc, origin: &str) -> Result<(), String> {
        let mut clients = Vec::new();
        for c in doc.clients {
            let condition = Condition::compile(&c.matcher)
                .map_err(|e| format!("client shape '{}': {e}", c.name))?;
            clients.push(ClientShape {
                name: c.name,
                condition,
                rotates_user_agent: c.rotates_user_agent,
                generic: c.generic,
            });
        }
        if let Some(h) = doc.split_gap_hours {
            // NaN fails both comparisons; a huge value would overflow the duration.
            if !(h > 0.0 && h <= 8760.0) {
                return Err("split_gap_hours must be more than 0 and at most 8760 (a year)".into());
            }
            self.split_gap = chrono::Duration::seconds((h * 3600.0) as i64);
        }
        if let Some(p) = doc.probing {
            if p.min_addresses == 0 || p.min_names_one_address == 0 {
                return Err("probing thresholds must be at least 1".into());
            }
            self.probe_min_addresses = p.min_addresses;
            self.probe_min_names = p.min_names_one_address;
        }
        self.clients.extend(clients);
        self.use_status.extend(doc.use_status);
        self.probe_status.extend(doc.probe_status);
        self.published_names
            .extend(doc.published_names.iter().map(|s| s.to_ascii_lowercase()));
        if let Some(f) = doc.findings {
            let meta = |m: MetaSpec| {
                Arc::new(RuleMeta {
                    id: m.id,
                    title: m.title,
                    description: m.description.trim().to_string(),
                    severity: m.severity,
                    stage: m.stage,
                    cves: m.cves,
                    tags: m.tags,
                    attack: m.attack,
                    references: m.references,
                    remediation: m.remediation.trim().to_string(),
                    origin: origin.to_string(),
                    author: None,
                    escalate_on_intrusion: None,
                })
            };
            if let Some(r) = f.reuse {
                self.reuse_meta = Some(meta(r));
            }
            if let Some(p) = f.probing {
                self.probing_meta = Some(meta(p));
            }
        }
        Ok(())
    }

    /// The mappings built into the binary (for tests and tools).
    pub fn embedded() -> AccessMappings {
        let set = crate::rules::RuleSet::load(&crate::rules::RuleSources {
            embedded: true,
            user_paths: vec![],
        });
        AccessMappings::compile(&set.mappings).0
    }
}

/// Does a status match one of the `*`-patterns (`2*`, `404`)?
pub fn status_matches(status: &str, patterns: &[String]) -> bool {
    let s = status.trim();
    patterns.iter().any(|p| match p.strip_suffix('*') {
        Some(prefix) => s.starts_with(prefix) && !s.is_empty(),
        None => s == p,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn embedded_mappings_compile_without_problems() {
        let set = crate::rules::RuleSet::load(&crate::rules::RuleSources {
            embedded: true,
            user_paths: vec![],
        });
        let (m, diags) = AccessMappings::compile(&set.mappings);
        assert!(diags.is_empty(), "{diags:#?}");
        assert!(!m.requests.is_empty() && !m.cmdlets.is_empty() && !m.clients.is_empty());
        assert!(m.keep_fields.contains(&"responsebytes".to_string()));
        assert!(m.reuse_meta.is_some() && m.probing_meta.is_some());
        assert_eq!(AccessMappings::kept_fields(&set.mappings), m.keep_fields);
    }

    #[test]
    fn bad_mapping_is_reported_by_file() {
        let set = crate::rules::RuleSet::from_text(
            "x.yml",
            "mapping: mail-access\nrequests:\n  - {id: a, method: m, sources: [iis], match: {field: x}}\n",
        );
        let (_, diags) = AccessMappings::compile(&set.mappings);
        assert_eq!(diags.len(), 1);
        assert!(
            diags[0].message.contains("request signature 'a'"),
            "{:?}",
            diags[0]
        );
        assert_eq!(diags[0].origin, "x.yml");
    }

    #[test]
    fn status_patterns() {
        let p = vec!["2*".to_string(), "500".to_string()];
        assert!(status_matches("200", &p) && status_matches("500", &p));
        assert!(!status_matches("404", &p) && !status_matches("", &p));
    }
}
