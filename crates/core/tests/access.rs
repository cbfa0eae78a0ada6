//! The access analysis on real-format IIS and HttpProxy files: who used a web shell (actors by
//! client shape and address), mass probing of shell names, sessions from intruder addresses
//! found by the second read only inside the intruder's time window, and no second read at all
//! on a server without a foothold.

use std::path::Path;

use exhunt_core::access::{ActorRole, MailboxScope};
use exhunt_core::{scan, RuleSet, RuleSources, ScanConfig, ScanReport};

const IIS_HEADER: &str = "#Software: Microsoft Internet Information Services 10.0\n#Version: 1.0\n#Date: 2021-03-03 00:00:00\n#Fields: date time s-ip cs-method cs-uri-stem cs-uri-query s-port cs-username c-ip cs(User-Agent) cs(Referer) sc-status sc-substatus sc-win32-status time-taken\n";

fn rules() -> RuleSet {
    let set = RuleSet::load(&RuleSources {
        embedded: true,
        user_paths: vec![],
    });
    assert!(!set.has_errors());
    set
}

/// One request of an IIS log: an ordinary OWA visit by a browser unless said otherwise.
struct Req<'a> {
    /// `YYYY-MM-DD HH:MM:SS`.
    time: &'a str,
    method: &'a str,
    stem: &'a str,
    query: &'a str,
    user: &'a str,
    ip: &'a str,
    ua: &'a str,
    status: u16,
}

impl Default for Req<'_> {
    fn default() -> Self {
        Req {
            time: "2021-03-03 00:00:00",
            method: "GET",
            stem: "/owa/",
            query: "-",
            user: "-",
            ip: "10.10.3.45",
            ua: "Mozilla/5.0+(Windows+NT+10.0)",
            status: 200,
        }
    }
}

/// The intruder drives the web shell with AntSword.
fn antsword(time: &str) -> String {
    Req {
        time,
        method: "POST",
        stem: SHELL,
        ip: INTRUDER,
        ua: "antSword/v2.1",
        ..Req::default()
    }
    .w3c()
}

/// The intruder's address opens bob's mailbox in OWA.
fn bob_owa(time: &str) -> String {
    Req {
        time,
        user: "CONTOSO\\bob",
        ip: INTRUDER,
        ..Req::default()
    }
    .w3c()
}

/// The intruder's address reads one of bob's messages.
fn bob_get_item(time: &str) -> String {
    Req {
        time,
        method: "POST",
        stem: "/owa/service.svc",
        query: "action=GetItem",
        user: "CONTOSO\\bob",
        ip: INTRUDER,
        ..Req::default()
    }
    .w3c()
}

impl Req<'_> {
    /// Its line in the columns of [`IIS_HEADER`].
    fn w3c(&self) -> String {
        let Req {
            time,
            method,
            stem,
            query,
            user,
            ip,
            ua,
            status,
        } = self;
        format!("{time} 10.0.0.5 {method} {stem} {query} 443 {user} {ip} {ua} - {status} 0 0 120\n")
    }

    /// Its line in the columns an IIS restart switched to (client address and user first).
    fn after_restart(&self) -> String {
        let Req {
            time,
            method,
            stem,
            query,
            user,
            ip,
            ua,
            status,
        } = self;
        format!("{time} {ip} {user} 10.0.0.5 {method} {stem} {query} 443 {ua} - {status} 0 0 120\n")
    }
}

fn write_iis(dir: &Path, name: &str, lines: &[String]) {
    let folder = dir.join("inetpub/logs/LogFiles/W3SVC1");
    std::fs::create_dir_all(&folder).unwrap();
    std::fs::write(folder.join(name), format!("{IIS_HEADER}{}", lines.concat())).unwrap();
}

fn run(dir: &Path) -> ScanReport {
    scan(&ScanConfig::new(dir), &rules()).unwrap()
}

const SHELL: &str = "/aspnet_client/system_web/Xq7fdkpa.aspx";

/// The intruder's address of most cases.
const INTRUDER: &str = "203.0.113.77";

/// The actors found using `shell`.
fn actors_of<'r>(r: &'r ScanReport, shell: &str) -> Vec<&'r exhunt_core::access::ShellActor> {
    r.access
        .shell_use
        .iter()
        .filter(|a| a.shell == shell)
        .collect()
}

/// The one OWA session of the intruder's address: bob's mailbox, two requests.
fn bob_read_in_owa_twice(r: &ScanReport) -> Vec<&exhunt_core::access::DataAccess> {
    let owa: Vec<_> = r
        .access
        .data_access
        .iter()
        .filter(|d| d.method == "OWA session")
        .collect();
    assert_eq!(owa.len(), 1, "{:#?}", r.access.data_access);
    assert_eq!(owa[0].mailbox.as_deref(), Some("contoso\\bob"));
    assert_eq!(owa[0].requests, 2);
    owa
}

/// The findings of one rule.
fn findings_of<'r>(r: &'r ScanReport, rule: &str) -> Vec<&'r exhunt_core::Finding> {
    r.findings.iter().filter(|f| f.rule.id == rule).collect()
}

#[test]
fn a_shell_used_by_two_clients_has_two_actors_and_a_reuse_finding() {
    let dir = tempfile::tempdir().unwrap();
    write_iis(
        dir.path(),
        "u_ex210303.log",
        &[
            // The first actor checks the page with a browser, then drives it with AntSword.
            Req {
                time: "2021-03-03 02:47:10",
                stem: SHELL,
                ip: INTRUDER,
                ..Req::default()
            }
            .w3c(),
            antsword("2021-03-03 02:48:10"),
            antsword("2021-03-03 02:49:10"),
            // Benign traffic in between.
            Req {
                time: "2021-03-03 09:00:00",
                user: "CONTOSO\\alice",
                ip: "10.10.3.20",
                ..Req::default()
            }
            .w3c(),
        ],
    );
    write_iis(
        dir.path(),
        "u_ex210306.log",
        &[
            // Three days later another address tunnels through it with reGeorg.
            Req {
                time: "2021-03-06 11:00:00",
                stem: SHELL,
                query: "cmd=connect&target=10.10.1.5&port=3389",
                ip: "198.51.100.9",
                ua: "-",
                ..Req::default()
            }
            .w3c(),
            Req {
                time: "2021-03-06 11:00:01",
                method: "POST",
                stem: SHELL,
                query: "cmd=read",
                ip: "198.51.100.9",
                ua: "-",
                ..Req::default()
            }
            .w3c(),
            Req {
                time: "2021-03-06 11:00:02",
                method: "POST",
                stem: SHELL,
                query: "cmd=forward",
                ip: "198.51.100.9",
                ua: "-",
                ..Req::default()
            }
            .w3c(),
        ],
    );
    let r = run(dir.path());
    let actors = actors_of(&r, SHELL);
    assert_eq!(actors.len(), 2, "{actors:#?}");
    assert_eq!(actors[0].client_ips, ["203.0.113.77"]);
    assert_eq!(
        actors[0].requests, 3,
        "the browser check and the AntSword use are one actor"
    );
    assert!(actors[0].clients.iter().any(|c| c.starts_with("AntSword")));
    assert_eq!(actors[1].client_ips, ["198.51.100.9"]);
    assert_eq!(actors[1].clients, ["reGeorg tunnel (cmd= in the query)"]);
    assert!(actors.iter().all(|a| a.role == ActorRole::Use));
    let reuse = findings_of(&r, "EXH-AC-001");
    assert_eq!(reuse.len(), 1);
    assert_eq!(reuse[0].client_ip.as_deref(), Some("198.51.100.9"));
    assert_eq!(reuse[0].line(), Some(5));
    // The actors are in the stories.
    let story = r
        .stories
        .iter()
        .find(|s| Some(s.id) == actors[0].story)
        .unwrap();
    assert!(!story.actors.is_empty());
}

#[test]
fn one_address_with_one_tool_is_one_actor_and_no_reuse() {
    let dir = tempfile::tempdir().unwrap();
    let lines: Vec<String> = (0..5)
        .map(|i| antsword(&format!("2021-03-0{} 02:47:10", 3 + i)))
        .collect();
    write_iis(dir.path(), "u_ex210303.log", &lines);
    let r = run(dir.path());
    assert_eq!(r.access.shell_use.len(), 1);
    assert_eq!(r.access.shell_use[0].requests, 5);
    assert!(!r.findings.iter().any(|f| f.rule.id == "EXH-AC-001"));
}

#[test]
fn mass_probing_of_shell_names_is_one_finding_and_no_actor() {
    let dir = tempfile::tempdir().unwrap();
    let names = [
        "errorFS.aspx",
        "OutlookEN.aspx",
        "zntwv.aspx",
        "fexppw.aspx",
        "Err0r.aspx",
        "getpp.aspx",
    ];
    let mut lines = Vec::new();
    for (k, ip) in ["198.51.100.61", "198.51.100.62", "198.51.100.63"]
        .iter()
        .enumerate()
    {
        for (i, n) in names.iter().enumerate() {
            lines.push(
                Req {
                    time: &format!("2021-03-0{} 17:27:{:02}", 5 + k, 10 + i),
                    stem: &format!("/owa/auth/{n}"),
                    ip,
                    status: 404,
                    ..Req::default()
                }
                .w3c(),
            );
        }
    }
    write_iis(dir.path(), "u_ex210305.log", &lines);
    let r = run(dir.path());
    let probes: Vec<_> = r
        .findings
        .iter()
        .filter(|f| f.rule.id == "EXH-AC-002")
        .collect();
    assert_eq!(probes.len(), 1, "one finding per server");
    assert!(probes[0].notes[0].starts_with("3 address(es) requested 6 web-shell path(s) that were not there (6 of them published shell names), 18 request(s)"), "{:?}", probes[0].notes);
    // Probes answered 404 make no shell and no actor; nothing was reached.
    assert!(r.access.shell_use.is_empty());
    assert!(r.access.data_access.is_empty());
    // Two addresses trying two names each stay below the thresholds.
    let dir = tempfile::tempdir().unwrap();
    write_iis(dir.path(), "u_ex210305.log", &lines[..2]);
    assert!(!run(dir.path())
        .findings
        .iter()
        .any(|f| f.rule.id == "EXH-AC-002"));
}

#[test]
fn sessions_from_intruder_addresses_are_found_only_in_their_window() {
    let dir = tempfile::tempdir().unwrap();
    write_iis(
        dir.path(),
        "u_ex210303.log",
        &[
            antsword("2021-03-03 02:47:10"),
            // The intruder reads bob's mail in OWA an hour later: no rule flags these lines.
            bob_owa("2021-03-03 03:40:00"),
            bob_get_item("2021-03-03 03:40:05"),
            // bob from his own address: never counted.
            Req {
                time: "2021-03-03 03:41:00",
                method: "POST",
                stem: "/owa/service.svc",
                query: "action=GetItem",
                user: "CONTOSO\\bob",
                ip: "10.10.3.44",
                ..Req::default()
            }
            .w3c(),
            antsword("2021-03-03 04:10:00"),
        ],
    );
    // A day outside the intruder's active window (plus the margin): not read at all.
    write_iis(
        dir.path(),
        "u_ex210320.log",
        &[Req {
            time: "2021-03-20 10:00:00",
            method: "POST",
            stem: "/owa/service.svc",
            query: "action=GetItem",
            user: "CONTOSO\\dave",
            ip: INTRUDER,
            ..Req::default()
        }
        .w3c()],
    );
    let r = run(dir.path());
    let owa = bob_read_in_owa_twice(&r);
    assert_eq!(owa[0].client_ips, ["203.0.113.77"]);
    let sweep = &r.access.sweeps[0];
    assert_eq!((sweep.files_read, sweep.files_skipped), (1, 1), "{sweep:?}");
    // The web shell ran as SYSTEM: every mailbox was reachable, and the record says so.
    assert!(r
        .access
        .data_access
        .iter()
        .any(|d| d.scope == MailboxScope::AllMailboxes && d.requests == 2));
}

#[test]
fn no_foothold_means_no_second_read() {
    let dir = tempfile::tempdir().unwrap();
    write_iis(
        dir.path(),
        "u_ex210303.log",
        &[
            // A failed attempt only (the page is not there), and the same address in OWA.
            Req {
                time: "2021-03-03 02:47:10",
                method: "POST",
                stem: "/ecp/y.js",
                ip: INTRUDER,
                ua: "python-requests/2.25.1",
                status: 404,
                ..Req::default()
            }
            .w3c(),
            bob_owa("2021-03-03 03:40:00"),
        ],
    );
    let r = run(dir.path());
    assert!(!r.findings.is_empty());
    assert!(r.access.sweeps.is_empty(), "{:?}", r.access.sweeps);
    assert!(r.access.data_access.is_empty());
}

/// The second read starts far into a large file (at the intruder's window). When an IIS
/// restart wrote a new header with other columns before that point, the lines read are parsed
/// with the new columns, not the file's first header.
#[test]
fn a_column_change_before_the_intruder_s_window_is_applied() {
    let dir = tempfile::tempdir().unwrap();
    // Columns after the restart: the client address and user come first.
    let restart = "#Software: Microsoft Internet Information Services 10.0\n#Version: 1.0\n#Date: 2021-03-03 01:30:00\n#Fields: date time c-ip cs-username s-ip cs-method cs-uri-stem cs-uri-query s-port cs(User-Agent) cs(Referer) sc-status sc-substatus sc-win32-status time-taken\n";
    let mut lines = Vec::new();
    // Ordinary traffic before the restart (600 KB) and after it, up to the intruder (500 KB):
    // the second read seeks past the restart's header.
    for i in 0..6000 {
        let t = format!("2021-03-03 00:{:02}:{:02}", i / 100 % 60, i % 60);
        lines.push(
            Req {
                time: &t,
                user: "CONTOSO\\carol",
                ip: "10.10.3.45",
                ..Req::default()
            }
            .w3c(),
        );
    }
    lines.push(restart.to_string());
    for i in 0..5000 {
        let t = format!(
            "2021-03-03 {:02}:{:02}:{:02}",
            1 + (30 + i / 240) / 60,
            (30 + i / 240) % 60,
            i % 60
        );
        lines.push(
            Req {
                time: &t,
                user: "CONTOSO\\carol",
                ip: "10.10.3.45",
                ..Req::default()
            }
            .after_restart(),
        );
    }
    lines.push(
        Req {
            time: "2021-03-03 02:47:10",
            method: "POST",
            stem: SHELL,
            ip: INTRUDER,
            ua: "antSword/v2.1",
            ..Req::default()
        }
        .after_restart(),
    );
    lines.push(
        Req {
            time: "2021-03-03 03:40:00",
            user: "CONTOSO\\bob",
            ip: INTRUDER,
            ..Req::default()
        }
        .after_restart(),
    );
    lines.push(
        Req {
            time: "2021-03-03 03:40:05",
            method: "POST",
            stem: "/owa/service.svc",
            query: "action=GetItem",
            user: "CONTOSO\\bob",
            ip: INTRUDER,
            ..Req::default()
        }
        .after_restart(),
    );
    lines.push(
        Req {
            time: "2021-03-03 04:10:00",
            method: "POST",
            stem: SHELL,
            ip: INTRUDER,
            ua: "antSword/v2.1",
            ..Req::default()
        }
        .after_restart(),
    );
    write_iis(dir.path(), "u_ex210303.log", &lines);
    let r = run(dir.path());
    bob_read_in_owa_twice(&r);
    // The window searched begins after the restart (the case this test is about: the second
    // read starts past the restart's header, so its columns must be found before the start).
    let restart_at =
        chrono::TimeZone::with_ymd_and_hms(&chrono::Utc, 2021, 3, 3, 1, 30, 0).unwrap();
    let windows = &r.access.sweeps[0].windows;
    assert!(
        !windows.is_empty() && windows.iter().all(|w| w.1 > restart_at),
        "precondition: {windows:?}"
    );
}

/// One address, two actors (its client changed after a long gap): the reuse finding is
/// anchored on the second actor's own request, not on the first actor's line from the same
/// address.
#[test]
fn the_reuse_finding_points_at_the_second_actor_s_request() {
    let dir = tempfile::tempdir().unwrap();
    let ip = "203.0.113.77";
    write_iis(
        dir.path(),
        "u_ex210303.log",
        &[Req {
            time: "2021-03-03 02:47:10",
            method: "POST",
            stem: SHELL,
            ip,
            ua: "antSword/v2.1",
            ..Req::default()
        }
        .w3c()],
    );
    // Five days later the same address comes back with another client; its first try fails.
    let chopper = "Mozilla/4.0+(compatible;+MSIE+6.0;+Windows+NT+5.1)";
    write_iis(
        dir.path(),
        "u_ex210308.log",
        &[
            Req {
                time: "2021-03-08 09:00:00",
                method: "POST",
                stem: SHELL,
                ip,
                ua: chopper,
                status: 404,
                ..Req::default()
            }
            .w3c(),
            Req {
                time: "2021-03-08 09:00:30",
                method: "POST",
                stem: SHELL,
                ip,
                ua: chopper,
                ..Req::default()
            }
            .w3c(),
        ],
    );
    let r = run(dir.path());
    let actors = actors_of(&r, SHELL);
    assert_eq!(actors.len(), 2, "{actors:#?}");
    let reuse = findings_of(&r, "EXH-AC-001");
    assert_eq!(reuse.len(), 1, "{:#?}", r.findings);
    assert!(
        reuse[0].path.ends_with("u_ex210308.log"),
        "{}",
        reuse[0].path
    );
    assert_eq!(
        reuse[0].line(),
        Some(6),
        "the second actor's answered request"
    );
}
