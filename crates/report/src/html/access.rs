//! The host sections "Mail the intruders reached" (ordered by volume) and "Who used each web
//! shell". Every string from the evidence is escaped.

use std::fmt::Write;

use exhunt_core::access::{ActorRole, MailboxScope};
use exhunt_core::scan::HostReport;
use exhunt_core::ScanReport;

use super::escape::{cap, esc};
use super::util::{bytes, count, span};

/// "Mail the intruders reached" for one host, ordered by volume (bytes sent, else size on
/// disk), then requests.
pub(crate) fn mail_section(s: &mut String, r: &ScanReport, h: &HostReport) {
    let list: Vec<_> = r
        .access
        .data_access
        .iter()
        .filter(|d| d.host == h.name)
        .collect();
    s.push_str("<h3 id=\"mail-reached\">Mail the intruders reached</h3>");
    if list.is_empty() {
        s.push_str("<p class=\"muted\">No intruder activity that reached mail was found in the evidence that was read.</p>");
        return;
    }
    s.push_str("<p class=\"small muted\">Mailboxes reached by activity of the attack stories (their requests, and — on a server where an intruder had a foothold — other requests from their addresses while they were active), ordered by volume. Bytes are what the server sent to the client where the log records it (HttpProxy ResponseBytes, IIS sc-bytes when logged); files show their size on disk. Where the evidence shows access but names no mailbox, the row says so.</p>");
    s.push_str("<table><thead><tr><th>Mailbox</th><th>How</th><th class=\"num\">Count</th><th class=\"num\">Volume</th><th>When (UTC)</th><th>Client addresses</th><th>Story</th><th>Evidence</th></tr></thead><tbody>");
    for d in list {
        let volume = match (d.bytes, d.size_on_disk) {
            (Some(b), _) => format!("{} sent", bytes(b)),
            (None, Some(z)) => format!("{} on disk", bytes(z)),
            _ => "not logged".into(),
        };
        let class = match d.scope {
            MailboxScope::Named => "mono",
            MailboxScope::NotRecorded => "warn",
            MailboxScope::AllMailboxes => "warn strong",
        };
        let aliases = if d.also_logged_as.is_empty() {
            String::new()
        } else {
            format!(
                "<div class=\"small muted\">also logged as {}</div>",
                esc(&cap(&d.also_logged_as.join(", "), 200))
            )
        };
        let details: String = d
            .details
            .iter()
            .take(4)
            .map(|x| {
                format!(
                    "<div class=\"small muted mono\">{}</div>",
                    esc(&cap(x, 300))
                )
            })
            .collect();
        let evidence: String = d
            .evidence
            .iter()
            .take(5)
            .map(|e| {
                format!(
                    "<div class=\"small mono\">{}</div>",
                    esc(&cap(&e.display(), 200))
                )
            })
            .collect();
        let more = d
            .evidence_total
            .saturating_sub(d.evidence.len().min(5) as u64);
        let _ = write!(
            s,
            "<tr><td class=\"{class}\">{}{aliases}</td><td>{}{details}</td><td class=\"num\">{} <span class=\"small muted\">{}</span></td><td class=\"num\">{}</td><td>{}</td><td class=\"mono\">{}</td><td>{}</td><td>{evidence}{}</td></tr>",
            esc(d.label()),
            esc(&d.method),
            count(d.requests),
            esc(&d.unit),
            volume,
            span(d.first, d.last),
            esc(&if d.client_ips.is_empty() { "—".to_string() } else { d.client_ips.join(", ") }),
            d.story.map(|x| format!("#{x}")).unwrap_or_else(|| "—".into()),
            if more > 0 { format!("<div class=\"small muted\">… and {more} more</div>") } else { String::new() }
        );
    }
    s.push_str("</tbody></table>");
    for sw in r.access.sweeps.iter().filter(|x| x.host == h.name) {
        let addrs: Vec<String> = sw
            .windows
            .iter()
            .map(|(ip, a, b)| format!("{ip} ({})", span(Some(*a), Some(*b))))
            .collect();
        let _ = write!(
            s,
            "<p class=\"small muted\">Requests from {} looked for in {} log file(s) ({}) whose time span overlaps their activity; {} skipped (outside it); {} line(s) from these addresses.</p>",
            esc(&cap(&addrs.join("; "), 600)),
            count(sw.files_read),
            bytes(sw.bytes_read),
            count(sw.files_skipped),
            count(sw.lines_found)
        );
    }
}

/// "Who used each web shell" for one host.
pub(crate) fn shell_section(s: &mut String, r: &ScanReport, h: &HostReport) {
    let list: Vec<_> = r
        .access
        .shell_use
        .iter()
        .filter(|a| a.host == h.name)
        .collect();
    if list.is_empty() {
        return;
    }
    s.push_str("<h3 id=\"shell-use\">Who used each web shell</h3><p class=\"small muted\">Requests to each shell grouped into actors by client address, user agent, client shape (published web-shell clients) and time gaps. Use = the shell answered (2xx/500); probe = only requests for a page that was not there.</p>");
    s.push_str("<table><thead><tr><th>Web shell</th><th>Actor</th><th>Role</th><th>Client addresses</th><th>Client</th><th>User agents</th><th class=\"num\">Requests</th><th>First → last (UTC)</th><th>Story</th></tr></thead><tbody>");
    for a in list {
        let statuses: Vec<String> = a.statuses.iter().map(|(k, v)| format!("{k}×{v}")).collect();
        let _ = write!(
            s,
            "<tr><td class=\"mono\">{}</td><td class=\"num\">{}</td><td>{}</td><td class=\"mono\">{}</td><td>{}</td><td class=\"small mono\">{}</td><td class=\"num\">{} <span class=\"small muted\">{}</span></td><td>{}</td><td>{}</td></tr>",
            esc(&cap(&a.shell, 120)),
            a.actor,
            match a.role {
                ActorRole::Use => "use",
                ActorRole::Probe => "probe",
            },
            esc(&a.client_ips.join(", ")),
            esc(&a.clients.join(" + ")),
            esc(&cap(&a.user_agents.join(" | "), 300)),
            count(a.requests),
            esc(&statuses.join(" ")),
            span(a.first, a.last),
            a.story.map(|x| format!("#{x}")).unwrap_or_else(|| "—".into()),
        );
    }
    s.push_str("</tbody></table>");
}
