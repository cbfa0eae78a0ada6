//! The remediation checklist: what to do about one host, derived from what was found there.
//! Each action says why it is on the list (the evidence behind it), so a reader can weigh it.

use std::collections::BTreeSet;

use exhunt_core::access::{DataAccess, MailboxScope};
use exhunt_core::correlate::Story;
use exhunt_core::scan::HostReport;
use exhunt_core::{Finding, Severity, SourceKind, Stage, VerdictLevel};

/// How soon an action is due.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Priority {
    /// Contain: today.
    Now,
    /// Eradicate and recover: this week.
    Next,
    /// Verify and improve.
    Then,
}

impl Priority {
    pub fn label(self) -> &'static str {
        match self {
            Priority::Now => "Now",
            Priority::Next => "Next",
            Priority::Then => "Then",
        }
    }
}

/// One checklist entry.
#[derive(Debug, Clone)]
pub(crate) struct Action {
    pub priority: Priority,
    pub title: String,
    pub detail: String,
    /// Why: the evidence that put it on the list.
    pub because: String,
    /// Concrete items (web-shell paths, addresses, CVEs), shown as a list; plain text.
    pub items: Vec<String>,
}

fn action(
    priority: Priority,
    title: &str,
    detail: &str,
    because: String,
    items: Vec<String>,
) -> Action {
    Action {
        priority,
        title: title.to_string(),
        detail: detail.to_string(),
        because,
        items,
    }
}

/// Where a web-shell URL path lives on disk on a default install (best guess, for the hunt).
fn disk_hint(url: &str) -> Option<&'static str> {
    let u = url.to_ascii_lowercase();
    if u.starts_with("/aspnet_client/") {
        Some(r"C:\inetpub\wwwroot\aspnet_client\")
    } else if u.starts_with("/owa/auth/") {
        Some(r"<Exchange>\FrontEnd\HttpProxy\owa\auth\")
    } else if u.starts_with("/ecp/auth/") {
        Some(r"<Exchange>\FrontEnd\HttpProxy\ecp\auth\")
    } else if u.starts_with("/oab/") {
        Some(r"<Exchange>\ClientAccess\OAB\ or FrontEnd\HttpProxy\oab\")
    } else {
        None
    }
}

/// The notification step: which mailboxes the intruders reached, for the people who must tell
/// their owners and the authorities.
fn notification(reached: &[&DataAccess], compromised: bool) -> Option<Action> {
    if reached.is_empty() && !compromised {
        return None;
    }
    let mut named: Vec<(String, Vec<&str>)> = Vec::new();
    for d in reached.iter().filter(|d| d.scope == MailboxScope::Named) {
        let label = d.label().to_string();
        match named.iter_mut().find(|(l, _)| *l == label) {
            Some((_, how)) => {
                if !how.contains(&d.method.as_str()) {
                    how.push(&d.method)
                }
            }
            None => named.push((label, vec![&d.method])),
        }
    }
    named.sort();
    let mut items: Vec<String> = named
        .iter()
        .map(|(m, how)| format!("{m} — {}", how.join("; ")))
        .collect();
    let unknown: BTreeSet<&str> = reached
        .iter()
        .filter(|d| d.scope == MailboxScope::NotRecorded)
        .map(|d| d.method.as_str())
        .collect();
    if !unknown.is_empty() {
        items.push(format!(
            "mailbox not recorded — {}",
            unknown.into_iter().collect::<Vec<_>>().join("; ")
        ));
    }
    let all = reached
        .iter()
        .any(|d| d.scope == MailboxScope::AllMailboxes);
    if all {
        items.push(
            "all mailboxes on this server were reachable (code ran with the server's rights)"
                .into(),
        );
    }
    Some(action(
        if named.is_empty() { Priority::Then } else { Priority::Next },
        "Notify: assess reporting duties for the mail that was reached",
        "Tell the owners of the mailboxes listed and check the notification duties that apply (data-protection authority — often within 72 hours —, national CERT, sector regulator, affected partners). Where the evidence names no mailbox, or code ran as SYSTEM, every mailbox on the server must be assumed read.",
        if reached.is_empty() {
            "verdict: compromised (an intruder with SYSTEM rights on Exchange could read every mailbox)".into()
        } else {
            format!(
                "{} mailbox(es) named in the evidence of intruder activity{}",
                named.len(),
                if all { "; code ran with the server's rights" } else { "" }
            )
        },
        items,
    ))
}

/// The checklist for one host.
pub(crate) fn plan(
    host: &HostReport,
    findings: &[&Finding],
    stories: &[&Story],
    reached: &[&DataAccess],
) -> Vec<Action> {
    let mut out = Vec::new();
    let compromised = host.verdict == VerdictLevel::Compromised;
    let attempted = host.verdict == VerdictLevel::ExploitationAttempted;
    let stages: BTreeSet<Stage> = findings
        .iter()
        .filter(|f| f.severity >= Severity::Medium)
        .map(|f| f.rule.stage)
        .collect();
    // CVEs the evidence shows attacks on (exposure findings list missing fixes, not attacks).
    let cves: BTreeSet<&str> = findings
        .iter()
        .filter(|f| f.rule.stage != Stage::Exposure)
        .flat_map(|f| f.rule.cves.iter().map(String::as_str))
        .collect();
    let mut shells: BTreeSet<String> = stories
        .iter()
        .flat_map(|s| s.web_shells.iter().cloned())
        .collect();
    for f in findings.iter().filter(|f| f.rule.stage == Stage::Backdoor) {
        if f.source == SourceKind::Files {
            shells.insert(f.path.clone());
        }
    }
    let hostile_ips: BTreeSet<&str> = stories
        .iter()
        .filter(|s| s.max_severity >= Severity::High)
        .flat_map(|s| s.client_ips.iter().map(String::as_str))
        .collect();

    if stages.contains(&Stage::Ransomware) {
        out.push(action(
            Priority::Now,
            "Isolate the server and the domain's backups",
            "Ransomware activity was found: disconnect the server from the network (keep it powered on for memory capture), protect backups from deletion, and start the organisation's ransomware playbook.",
            "ransomware-stage findings".into(),
            vec![],
        ));
    }
    if compromised {
        out.push(action(
            Priority::Now,
            "Contain: take the server off the internet and preserve evidence",
            "Block inbound HTTPS to the server (or stop the published rule on the reverse proxy) while keeping it running; capture memory and a disk image, and copy the IIS, HttpProxy, ECP and event logs before anything is cleaned. Work from copies.",
            "verdict: compromised (see the reason above)".into(),
            vec![],
        ));
    }
    if !shells.is_empty() {
        out.push(action(
            Priority::Now,
            "Preserve, then remove every web shell",
            "Hash and copy each file, then delete it. Search all web-facing folders for other .aspx files created around the same times (attackers drop several); compare with a clean server of the same build.",
            format!("{} web-shell path(s) were used", shells.len()),
            shells
                .iter()
                .map(|s| match disk_hint(s) {
                    Some(h) => format!("{s}  (on disk under {h})"),
                    None => s.clone(),
                })
                .collect(),
        ));
    }
    if cves.contains("CVE-2021-27065") {
        out.push(action(
            Priority::Now,
            "Check and clean the virtual-directory settings",
            "Run Get-OabVirtualDirectory | fl ExternalUrl,InternalUrl (and the same for ECP/OWA): a script in a URL field is how CVE-2021-27065 writes its shell. Reset the field, then look for the .aspx file the reset wrote.",
            "findings of the ProxyLogon file-write chain".into(),
            vec![],
        ));
    }
    if !hostile_ips.is_empty() && (compromised || attempted) {
        out.push(action(
            Priority::Now,
            "Block the attacker addresses (after the investigation has them)",
            "Add the addresses to the perimeter block list and search the proxy, VPN and firewall logs of the whole organisation for them.",
            "client addresses of high-severity stories".into(),
            hostile_ips.iter().map(|s| s.to_string()).collect(),
        ));
    }
    if compromised || attempted || !cves.is_empty() {
        out.push(action(
            if compromised { Priority::Next } else { Priority::Now },
            "Bring Exchange to the latest Cumulative Update and Security Update",
            "Install the latest CU for the version, then the latest SU (run setup elevated; check the build with Get-ExchangeServer | fl AdminDisplayVersion and `exhunt builds`). Enable Extended Protection and AMSI integration where supported.",
            if cves.is_empty() {
                "attack activity was found".into()
            } else {
                "the evidence shows attacks on these vulnerabilities".into()
            },
            cves.iter().map(|c| c.to_string()).collect(),
        ));
    }
    if compromised {
        out.push(action(
            Priority::Next,
            "Reset credentials that the server could reach",
            "Code in a web shell runs as SYSTEM on Exchange: assume LSASS was read. Reset the passwords of every account that logged on to the server (administrators, service accounts), the Exchange computer account, and accounts in privileged groups; reset krbtgt twice (with the replication wait in between) if domain admin credentials were exposed. Review Exchange RBAC role assignments and new accounts.",
            "a successful intrusion gives SYSTEM rights".into(),
            vec![],
        ));
        out.push(action(
            Priority::Next,
            "Check for mailbox exports and mail theft",
            "Run Get-MailboxExportRequest and search the MSExchange Management event log for New-MailboxExportRequest and New-ManagementRoleAssignment; look for .pst files in web folders and in C:\\ProgramData, C:\\Windows\\Temp and C:\\Users\\Public; review message tracking for mass forwarding rules.",
            if stages.contains(&Stage::Espionage) {
                "espionage-stage findings".into()
            } else {
                "a compromised Exchange server gives access to every mailbox".into()
            },
            vec![],
        ));
        out.push(action(
            Priority::Next,
            "Rebuild rather than clean",
            "A server on which attacker code ran as SYSTEM cannot be proven clean. Build a new server (or recover with Setup /m:RecoverServer on a freshly installed Windows), fully patched before it is published, move the mailboxes or databases across, then retire the old one. If rebuilding must wait, at least remove the shells, patch, reset credentials and watch closely.",
            "verdict: compromised".into(),
            vec![],
        ));
    }
    out.extend(notification(reached, compromised));
    if stages.contains(&Stage::PostExploitation) {
        out.push(action(
            Priority::Next,
            "Hunt for what the intruder did next",
            "Look for w3wp.exe child processes (cmd, powershell, rundll32 comsvcs MiniDump), new scheduled tasks and services, new local or domain accounts, and archives in ProgramData; extend the hunt to the domain controllers.",
            "post-exploitation findings".into(),
            vec![],
        ));
    }
    let missing: Vec<String> = host
        .missing_sources
        .iter()
        .map(|k| k.describe().to_string())
        .chain(
            [SourceKind::Evtx, SourceKind::Files]
                .into_iter()
                .filter(|k| !host.coverage.contains_key(k))
                .map(|k| format!("{} (not examined in this scan)", k.describe())),
        )
        .collect();
    if !missing.is_empty() {
        out.push(action(
            Priority::Then,
            "Close the gaps in the evidence and scan again",
            "The verdict only covers what was read. Collect the missing sources (a triage collection with KAPE or Velociraptor of the Exchange logging folders, IIS logs, event logs and web folders) and run exhunt again.",
            "these sources were not part of the scan".into(),
            missing,
        ));
    }
    if !compromised {
        out.push(action(
            Priority::Then,
            "Keep watching",
            "Keep IIS and Exchange logs for at least 90 days, forward them to central logging, and re-run the scan after each new Exchange security advisory.",
            match host.verdict {
                VerdictLevel::NoEvidence => "no evidence of compromise was found in what was read".into(),
                VerdictLevel::NotAssessable => "the evidence read cannot rule out a compromise (see the verdict's reason)".into(),
                _ => "attempts were seen without proof of success".into(),
            },
            vec![],
        ));
    }
    out.sort_by_key(|a| a.priority);
    out
}
