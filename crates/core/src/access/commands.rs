//! Cmdlet invocations in command text (event data, script blocks, process command lines, the
//! ECP server log's `S:CMD=` and the remote PowerShell logs): which mailboxes a mailbox-moving
//! cmdlet named and where the mail went. Which cmdlets and parameters count is mapping data.

use std::sync::OnceLock;

use regex::Regex;

use super::mapping::AccessMappings;

/// One call of a mapped cmdlet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Invocation {
    /// Index into [`AccessMappings::cmdlets`].
    pub cmdlet: usize,
    /// Mailboxes named (as written, variables resolved where the text says their values).
    pub victims: Vec<String>,
    /// A victim variable whose value the text does not show (`$m`).
    pub unresolved: Option<String>,
    /// Destinations, per victim when the destination uses the victim variable.
    pub destinations: Vec<String>,
}

fn ps_param() -> &'static Regex {
    static R: OnceLock<Regex> = OnceLock::new();
    R.get_or_init(|| {
        Regex::new(r#"(?i)(?:^|\s)-([a-z][a-z0-9]*)(?::|\s+)((?:"[^"]*"|'[^']*'|[^\s"',]+)(?:\s*,\s*(?:"[^"]*"|'[^']*'|[^\s"',]+))*)"#)
            .expect("valid regex")
    })
}

fn ecp_param() -> &'static Regex {
    static R: OnceLock<Regex> = OnceLock::new();
    R.get_or_init(|| Regex::new(r"(?i)\.([a-z][a-z0-9]*)='((?:[^']|'')*)'").expect("valid regex"))
}

fn items() -> &'static Regex {
    static R: OnceLock<Regex> = OnceLock::new();
    R.get_or_init(|| Regex::new(r#""([^"]*)"|'([^']*)'|([^\s"',]+)"#).expect("valid regex"))
}

/// The values of a parameter: one, or a comma list; quotes removed.
fn values(v: &str) -> Vec<String> {
    items()
        .captures_iter(v)
        .filter_map(|c| c.get(1).or(c.get(2)).or(c.get(3)))
        .map(|m| m.as_str().trim().to_string())
        .filter(|s| !s.is_empty())
        .collect()
}

/// The values a script gives a variable: `foreach ($m in 'a','b')` or `$m = 'a'`.
fn resolve_variable(text: &str, var: &str) -> Option<Vec<String>> {
    let name = regex::escape(var.trim_start_matches('$'));
    let foreach = Regex::new(&format!(
        r#"(?i)foreach\s*\(\s*\${name}\s+in\s+(?:@\()?((?:"[^"]*"|'[^']*')(?:\s*,\s*(?:"[^"]*"|'[^']*'))*)"#
    ))
    .ok()?;
    if let Some(c) = foreach.captures(text) {
        return Some(values(&c[1]));
    }
    let assign = Regex::new(&format!(r#"(?i)\${name}\s*=\s*("[^"]*"|'[^']*')"#)).ok()?;
    assign.captures(text).map(|c| values(&c[1]))
}

/// The end of the invocation that starts at `start`: the next unquoted `;`, `|`, `}` or line
/// break.
fn invocation_end(text: &str, start: usize) -> usize {
    let mut quote: Option<char> = None;
    for (i, ch) in text[start..].char_indices() {
        match quote {
            Some(q) if ch == q => quote = None,
            Some(_) => {}
            None => match ch {
                '"' | '\'' => quote = Some(ch),
                ';' | '|' | '}' | '\n' | '\r' => return start + i,
                _ => {}
            },
        }
    }
    text.len()
}

fn named(list: &[String], name: &str) -> bool {
    list.iter().any(|p| p.eq_ignore_ascii_case(name))
}

/// The parameters a splatted hashtable gives: `$p = @{ Mailbox = 'ceo'; FilePath = '…' }` for
/// `@p`; `None` when the text does not show the table.
fn splatted(text: &str, var: &str) -> Option<Vec<(String, Vec<String>)>> {
    let name = regex::escape(var);
    let table = Regex::new(&format!(r"(?is)\${name}\s*=\s*@\{{(.*?)\}}")).ok()?;
    let body = table.captures(text)?.get(1)?.as_str();
    static PAIR: OnceLock<Regex> = OnceLock::new();
    let pair = PAIR.get_or_init(|| {
        Regex::new(r#"(?i)([a-z][a-z0-9]*)\s*=\s*((?:"[^"]*"|'[^']*'|[^\s"';,]+)(?:\s*,\s*(?:"[^"]*"|'[^']*'|[^\s"';,]+))*)"#)
            .expect("valid regex")
    });
    Some(
        pair.captures_iter(body)
            .map(|c| (c[1].to_string(), values(&c[2])))
            .collect(),
    )
}

/// Splatted tables read per call at most.
const MAX_SPLATS: usize = 4;

fn splat_use() -> &'static Regex {
    static R: OnceLock<Regex> = OnceLock::new();
    R.get_or_init(|| Regex::new(r"(?i)(?:^|\s)@([a-z_][a-z0-9_]*)").expect("valid regex"))
}

/// Every call of a mapped cmdlet in `text`.
pub(crate) fn invocations(text: &str, maps: &AccessMappings) -> Vec<Invocation> {
    // Process command lines quote inner quotes as \" ; read them as plain quotes. A backtick
    // at the end of a line continues the command on the next one.
    let text = text
        .replace("\\\"", "\"")
        .replace("`\r\n", " ")
        .replace("`\n", " ");
    let lower = text.to_ascii_lowercase();
    let mut out = Vec::new();
    for (ci, c) in maps.cmdlets.iter().enumerate() {
        let needle = c.name.to_ascii_lowercase();
        let mut from = 0;
        while let Some(pos) = lower[from..].find(&needle) {
            let at = from + pos;
            let end_name = at + needle.len();
            from = end_name;
            let before_ok = lower[..at]
                .chars()
                .next_back()
                .is_none_or(|ch| !(ch.is_ascii_alphanumeric() || ch == '-'));
            let after_ok = lower[end_name..]
                .chars()
                .next()
                .is_none_or(|ch| !(ch.is_ascii_alphanumeric() || ch == '-'));
            if !before_ok || !after_ok {
                continue;
            }
            let seg = &text[end_name..invocation_end(&text, end_name)];
            let mut params: Vec<(String, Vec<String>)> = Vec::new();
            for cap in ps_param().captures_iter(seg) {
                params.push((cap[1].to_string(), values(&cap[2])));
            }
            for cap in ecp_param().captures_iter(seg) {
                params.push((cap[1].to_string(), vec![cap[2].replace("''", "'")]));
            }
            let mut victims = Vec::new();
            let mut unresolved = None;
            // Splatted parameters (`New-MailboxExportRequest @p`): from the table the script
            // builds, else the mailbox is reported as not shown.
            // Each name once, and a few at most: a call takes one table, and every lookup
            // searches the whole text.
            let mut splats: Vec<&str> = Vec::new();
            for cap in splat_use().captures_iter(seg) {
                let name = cap.get(1).map_or("", |m| m.as_str());
                if splats.len() < MAX_SPLATS && !splats.contains(&name) {
                    splats.push(name);
                }
            }
            for name in splats {
                match splatted(&text, name) {
                    Some(table) => params.extend(table),
                    None => unresolved = Some(format!("@{name}")),
                }
            }
            let mut var_values: Option<(String, Vec<String>)> = None;
            for (name, vals) in &params {
                if !named(&c.victim, name) {
                    continue;
                }
                for v in vals {
                    if v.starts_with('$') {
                        match resolve_variable(&text, v) {
                            Some(list) if !list.is_empty() => {
                                victims.extend(list.iter().cloned());
                                var_values = Some((v.clone(), list));
                            }
                            _ => unresolved = Some(v.clone()),
                        }
                    } else {
                        victims.push(v.clone());
                    }
                }
            }
            let mut destinations = Vec::new();
            for (name, vals) in &params {
                if !named(&c.destination, name) {
                    continue;
                }
                for v in vals {
                    match &var_values {
                        Some((var, list)) if v.contains(var.as_str()) => {
                            destinations.extend(list.iter().map(|x| v.replace(var.as_str(), x)))
                        }
                        _ => destinations.push(v.clone()),
                    }
                }
            }
            if victims.is_empty() && unresolved.is_none() && destinations.is_empty() {
                continue;
            }
            out.push(Invocation {
                cmdlet: ci,
                victims,
                unresolved,
                destinations,
            });
        }
    }
    out
}

/// A destination path as a lower-cased path below the drive root (`/inetpub/wwwroot/x.pst`):
/// `\\HOST\C$\…`, `C:\…` and `\\localhost\c$\…` all become the same.
pub(crate) fn drive_path(dest: &str) -> Option<String> {
    let d = dest.trim().replace('\\', "/").to_ascii_lowercase();
    let rest = if let Some(unc) = d.strip_prefix("//") {
        // //host/c$/rest
        let mut parts = unc.splitn(3, '/');
        let _host = parts.next()?;
        let share = parts.next()?;
        if !share.ends_with('$') {
            return None;
        }
        parts.next()?.to_string()
    } else if d.len() > 2 && d.as_bytes()[1] == b':' {
        d[2..].trim_start_matches('/').to_string()
    } else {
        return None;
    };
    Some(format!("/{rest}"))
}

/// The URL path IIS would serve a drive path at, for the web folders an intruder writes to.
pub(crate) fn served_at(drive: &str) -> Option<String> {
    if let Some(i) = drive.find("/inetpub/wwwroot/") {
        return Some(drive[i + "/inetpub/wwwroot".len()..].to_string());
    }
    drive
        .find("/frontend/httpproxy/")
        .map(|i| drive[i + "/frontend/httpproxy".len()..].to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn maps() -> AccessMappings {
        AccessMappings::embedded()
    }

    fn names(inv: &[Invocation], m: &AccessMappings) -> Vec<(String, Vec<String>, Vec<String>)> {
        inv.iter()
            .map(|i| {
                (
                    m.cmdlets[i.cmdlet].name.clone(),
                    i.victims.clone(),
                    i.destinations.clone(),
                )
            })
            .collect()
    }

    #[test]
    fn event_data_and_ecp_forms() {
        let m = maps();
        let inv = invocations(
            r#"New-MailboxExportRequest -Mailbox "ceo" -FilePath "\\EX01\C$\ProgramData\pst\ceo.pst""#,
            &m,
        );
        assert_eq!(
            names(&inv, &m),
            [(
                "New-MailboxExportRequest".into(),
                vec!["ceo".into()],
                vec![r"\\EX01\C$\ProgramData\pst\ceo.pst".into()]
            )]
        );
        let inv = invocations(
            r"S:CMD=New-MailboxExportRequest.Mailbox='carol'.FilePath='\\EX01\C$\inetpub\wwwroot\aspnet_client\system_web\carol.pst';S:URL=/ecp/x",
            &m,
        );
        assert_eq!(inv[0].victims, ["carol"]);
        assert!(inv[0].destinations[0].ends_with("carol.pst"));
        // Single quotes, a colon-bound parameter, and a list.
        let inv = invocations(
            "New-MailboxSearch -Name x -SourceMailboxes 'a@x.org','b@x.org' -TargetMailbox:disc",
            &m,
        );
        assert_eq!(inv[0].victims, ["a@x.org", "b@x.org"]);
        assert_eq!(inv[0].destinations, ["disc"]);
    }

    #[test]
    fn script_variables_are_resolved_or_reported() {
        let m = maps();
        // As Sysmon logs it: inner quotes escaped as \".
        let cmd = r#"powershell.exe -nop -c "Add-PSSnapin Microsoft.Exchange.Management.PowerShell.SnapIn; foreach ($m in 'ceo','cfo','legal') { New-MailboxExportRequest -Mailbox $m -FilePath \"\\EX01\C$\ProgramData\pst\$m.pst\" }""#;
        let inv = invocations(cmd, &m);
        assert_eq!(inv.len(), 1, "{inv:?}");
        assert_eq!(inv[0].victims, ["ceo", "cfo", "legal"]);
        assert_eq!(inv[0].destinations.len(), 3);
        assert!(
            inv[0].destinations[1].contains("cfo.pst"),
            "{:?}",
            inv[0].destinations
        );
        let inv = invocations(
            "Get-Mailbox | % { New-MailboxExportRequest -Mailbox $_ -FilePath \\\\s\\x$\\a.pst }",
            &m,
        );
        assert_eq!(inv[0].unresolved.as_deref(), Some("$_"));
        // Names inside other words are not calls; other cmdlets are ignored.
        assert!(invocations("Get-MailboxExportRequestStatistics -Identity x", &m).is_empty());
        assert!(invocations("Get-Mailbox -ResultSize Unlimited | Export-Csv x.csv", &m).is_empty());
    }

    #[test]
    fn continued_and_splatted_commands_are_read() {
        let m = maps();
        // A script block with backtick continuations, as 4104 records it.
        let inv = invocations(
            "New-MailboxExportRequest `\r\n    -Mailbox 'cfo' `\r\n    -FilePath '\\\\EX01\\C$\\ProgramData\\cfo.pst'\r\n",
            &m,
        );
        assert_eq!(names(&inv, &m)[0].1, ["cfo"], "{inv:?}");
        assert_eq!(names(&inv, &m)[0].2, [r"\\EX01\C$\ProgramData\cfo.pst"]);
        // Splatting: the parameters come from the hashtable.
        let inv = invocations(
            "$p = @{\n  Mailbox = 'legal'\n  FilePath = \"\\\\EX01\\C$\\inetpub\\wwwroot\\aspnet_client\\l.pst\"\n}\nNew-MailboxExportRequest @p",
            &m,
        );
        assert_eq!(names(&inv, &m)[0].1, ["legal"], "{inv:?}");
        assert!(
            names(&inv, &m)[0].2[0].ends_with(r"aspnet_client\l.pst"),
            "{inv:?}"
        );
        let inv = invocations(
            "$a=@{Mailbox='ceo';FilePath='C:\\x.pst'}; New-MailboxExportRequest @a",
            &m,
        );
        assert_eq!(names(&inv, &m)[0].1, ["ceo"], "{inv:?}");
        // A table the text does not show: reported, not dropped.
        let inv = invocations("New-MailboxExportRequest @params", &m);
        assert_eq!(inv.len(), 1, "{inv:?}");
        assert_eq!(inv[0].unresolved.as_deref(), Some("@params"));
    }

    #[test]
    fn destinations_map_to_drive_and_web_paths() {
        let d =
            drive_path(r"\\EX01\C$\inetpub\wwwroot\aspnet_client\system_web\carol.pst").unwrap();
        assert_eq!(d, "/inetpub/wwwroot/aspnet_client/system_web/carol.pst");
        assert_eq!(
            served_at(&d).unwrap(),
            "/aspnet_client/system_web/carol.pst"
        );
        let d = drive_path(r"C:\Program Files\Microsoft\Exchange Server\V15\FrontEnd\HttpProxy\owa\auth\errorEE.aspx").unwrap();
        assert_eq!(served_at(&d).unwrap(), "/owa/auth/erroree.aspx");
        assert_eq!(drive_path(r"\\fileserver\share\x.pst"), None);
    }
}
