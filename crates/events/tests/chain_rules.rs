//! The built-in event rules of the whole chain (credential access, escalation and execution from
//! the web tier, persistence, defence evasion, discovery and staging), each on a record written
//! in the real EVTX format with the fields Windows/Sysmon/PowerShell put there, next to a benign
//! look-alike that must stay silent. Real CC0 samples of the same techniques are measured in
//! crates/events/MEASUREMENTS.md (bench/measure_corpus.sh).

use std::collections::BTreeSet;
use std::path::Path;

use chrono::{DateTime, TimeZone, Utc};
use exhunt_core::discover::LogFile;
use exhunt_core::rules::{RuleSet, RuleSources};
use exhunt_core::SourceKind;
use exhunt_events::evtx_writer::{EvtxWriter, WriterEvent};
use exhunt_events::{EventHunter, EventOptions};

const SYSMON: &str = "Microsoft-Windows-Sysmon/Operational";
const PS: &str = "Microsoft-Windows-PowerShell/Operational";
const W3WP: &str = r"C:\Windows\System32\inetsrv\w3wp.exe";

fn t(sec: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2021, 3, 3, 10, sec / 60, sec % 60)
        .unwrap()
}

fn ev(channel: &str, id: u16, fields: &[(&str, &str)]) -> WriterEvent {
    let provider = match channel {
        SYSMON => "Microsoft-Windows-Sysmon",
        PS => "Microsoft-Windows-PowerShell",
        "Security" => "Microsoft-Windows-Security-Auditing",
        "System" => "Service Control Manager",
        "Microsoft-Windows-Windows Defender/Operational" => "Microsoft-Windows-Windows Defender",
        _ => "Test-Provider",
    };
    WriterEvent::new(channel, provider, id, "EX01.corp.local", t(0), fields)
}

fn sysmon_proc(
    pid: &str,
    ppid: &str,
    image: &str,
    cmd: &str,
    parent: &str,
    user: &str,
) -> WriterEvent {
    ev(
        SYSMON,
        1,
        &[
            ("ProcessId", pid),
            ("Image", image),
            ("OriginalFileName", image.rsplit('\\').next().unwrap()),
            ("CommandLine", cmd),
            ("User", user),
            ("ParentProcessId", ppid),
            ("ParentImage", parent),
        ],
    )
}

fn sec4688(pid: &str, ppid: &str, image: &str, cmd: &str, sid: &str, user: &str) -> WriterEvent {
    let (domain, name) = user.split_once('\\').unwrap_or(("", user));
    ev(
        "Security",
        4688,
        &[
            ("SubjectUserSid", sid),
            ("SubjectUserName", name),
            ("SubjectDomainName", domain),
            ("NewProcessId", pid),
            ("NewProcessName", image),
            ("ProcessId", ppid),
            ("CommandLine", cmd),
            ("TargetUserSid", "S-1-0-0"),
        ],
    )
}

/// Rule ids raised by the built-in rules on `events` (one EVTX file), in record order.
fn fired(dir: &Path, name: &str, events: &[WriterEvent]) -> Vec<(u64, String)> {
    let mut out: Vec<(u64, String)> = findings(dir, name, events)
        .iter()
        .map(|f| (f.extra["record_id"].as_u64().unwrap(), f.rule.id.clone()))
        .collect();
    out.sort();
    out
}

/// The findings of the built-in rules on `events` (one EVTX file, record n at second n - 1).
fn findings(dir: &Path, name: &str, events: &[WriterEvent]) -> Vec<exhunt_core::Finding> {
    let mut w = EvtxWriter::new();
    for (i, e) in events.iter().enumerate() {
        let mut e = e.clone();
        e.time = t(i as u32);
        w.add(&e);
    }
    let path = dir.join(name);
    std::fs::write(&path, w.finish()).unwrap();
    let rules = RuleSet::load(&RuleSources {
        embedded: true,
        user_paths: vec![],
    });
    let hunter = EventHunter::new(&rules, EventOptions::default());
    assert!(
        hunter.diagnostics().is_empty(),
        "{:#?}",
        hunter.diagnostics()
    );
    let c = hunter.hunt_file(&LogFile {
        path: path.clone(),
        rel: name.into(),
        kind: SourceKind::Evtx,
        size: std::fs::metadata(&path).unwrap().len(),
        host: "EX01".into(),
    });
    assert!(c.issues.is_empty(), "{:?}", c.issues);
    c.findings
}

fn ids_at(hits: &[(u64, String)], record: u64) -> BTreeSet<&str> {
    hits.iter()
        .filter(|(r, _)| *r == record)
        .map(|(_, id)| id.as_str())
        .collect()
}

/// Each case: (expected rule, attack record, benign look-alike).
fn cases() -> Vec<(&'static str, WriterEvent, WriterEvent)> {
    let lsass = r"C:\Windows\system32\lsass.exe";
    vec![
        (
            "EXH-EV-050",
            ev(SYSMON, 10, &[("SourceImage", r"C:\Users\Public\x.exe"), ("TargetImage", lsass), ("GrantedAccess", "0x1010")]),
            ev(SYSMON, 10, &[("SourceImage", r"C:\Users\Public\x.exe"), ("TargetImage", lsass), ("GrantedAccess", "0x1400")]),
        ),
        (
            "EXH-EV-045",
            ev(SYSMON, 10, &[("SourceImage", r"C:\Windows\System32\rundll32.exe"), ("TargetImage", lsass), ("GrantedAccess", "0x1fffff"),
                ("CallTrace", r"C:\Windows\SYSTEM32\ntdll.dll+9d234|C:\Windows\System32\KERNELBASE.dll+2c13e|C:\Windows\System32\dbgcore.DLL+6dc0|C:\Windows\System32\comsvcs.dll+1a3d")]),
            ev(SYSMON, 10, &[("SourceImage", r"C:\Windows\System32\WerFault.exe"), ("TargetImage", lsass), ("GrantedAccess", "0x1fffff"),
                ("CallTrace", r"C:\Windows\SYSTEM32\ntdll.dll+9d234|C:\Windows\System32\dbgcore.DLL+6dc0")]),
        ),
        (
            "EXH-EV-051",
            ev("Security", 4663, &[("ObjectName", r"\Device\HarddiskVolume2\Windows\System32\lsass.exe"), ("AccessMask", "0x10"), ("ProcessName", r"C:\Windows\System32\Taskmgr.exe")]),
            ev("Security", 4663, &[("ObjectName", r"\Device\HarddiskVolume2\Windows\System32\lsass.exe"), ("AccessMask", "0x10"), ("ProcessName", r"C:\Windows\System32\svchost.exe")]),
        ),
        (
            "EXH-EV-052",
            ev(SYSMON, 11, &[("Image", r"C:\Windows\System32\rundll32.exe"), ("TargetFilename", r"C:\Windows\Temp\76nivOxA.dmp")]),
            ev(SYSMON, 11, &[("Image", r"C:\Windows\System32\WerFault.exe"), ("TargetFilename", r"C:\ProgramData\Microsoft\Windows\WER\ReportQueue\lsass.exe.dmp")]),
        ),
        (
            "EXH-EV-053",
            // ProcDump renamed: its file metadata still says procdump.
            {
                let mut e = sysmon_proc("10", "9", r"C:\Users\Public\svc.exe", "svc.exe -accepteula -ma 660 out.dmp", r"C:\Windows\System32\cmd.exe", "CORP\\admin");
                e.data[2].1 = "procdump".into();
                e
            },
            sysmon_proc("10", "9", r"C:\Windows\System32\svc.exe", "svc.exe -ma 660 out.dmp", r"C:\Windows\System32\cmd.exe", "CORP\\admin"),
        ),
        (
            "EXH-EV-054",
            ev(PS, 4103, &[("ContextInfo", r"Host Application = powershell.exe -NoP -C C:\Windows\System32\rundll32.exe C:\Windows\System32\comsvcs.dll, #+0024 (Get-Process lsass).Id \Windows\Temp\x.dmp full"), ("Payload", "")]),
            ev(PS, 4103, &[("ContextInfo", r"Host Application = powershell.exe -c Get-Item C:\Windows\System32\comsvcs.dll"), ("Payload", "")]),
        ),
        (
            "EXH-EV-055",
            ev(PS, 4104, &[("ScriptBlockText", "$r = $MiniDumpWriteDump.Invoke($null, @($hProcess, $ProcessId, $FileStream.SafeFileHandle, 2, [IntPtr]::Zero, [IntPtr]::Zero, [IntPtr]::Zero))")]),
            ev(PS, 4104, &[("ScriptBlockText", "Get-Process lsass | Select-Object Id, WorkingSet")]),
        ),
        (
            "EXH-EV-056",
            sysmon_proc("10", "9", r"C:\Users\Public\m.exe", r#"m.exe "privilege::debug" "sekurlsa::logonpasswords" exit"#, r"C:\Windows\System32\cmd.exe", "CORP\\admin"),
            sysmon_proc("10", "9", r"C:\Users\Public\m.exe", "m.exe --list", r"C:\Windows\System32\cmd.exe", "CORP\\admin"),
        ),
        (
            "EXH-EV-057",
            sec4688("0x10", "0x9", r"C:\Windows\System32\reg.exe", r"reg  save HKLM\SAM C:\ProgramData\sam.save", "S-1-5-18", r"NT AUTHORITY\SYSTEM"),
            sec4688("0x10", "0x9", r"C:\Windows\System32\reg.exe", r"reg  save HKLM\SOFTWARE\Contoso C:\backup\contoso.reg", "S-1-5-18", r"NT AUTHORITY\SYSTEM"),
        ),
        (
            "EXH-EV-058",
            sec4688("0x10", "0x9", r"C:\Windows\System32\ntdsutil.exe", r#"ntdsutil  "ac i ntds" "ifm" "create full c:\hacker" q q"#, "S-1-5-18", r"NT AUTHORITY\SYSTEM"),
            sec4688("0x10", "0x9", r"C:\Windows\System32\ntdsutil.exe", r#"ntdsutil  "metadata cleanup" q"#, "S-1-5-18", r"NT AUTHORITY\SYSTEM"),
        ),
        (
            "EXH-EV-046",
            ev(SYSMON, 13, &[("Image", r"C:\Windows\system32\reg.exe"), ("TargetObject", r"HKLM\System\CurrentControlSet\Control\SecurityProviders\WDigest\UseLogonCredential"), ("Details", "DWORD (0x00000001)")]),
            ev(SYSMON, 13, &[("Image", r"C:\Windows\system32\reg.exe"), ("TargetObject", r"HKLM\System\CurrentControlSet\Control\SecurityProviders\WDigest\UseLogonCredential"), ("Details", "DWORD (0x00000000)")]),
        ),
        (
            "EXH-EV-060",
            sec4688("0x105c", "0x12dc", r"C:\inetpub\wwwroot\aspnet_client\GodPotato-NET4.exe", r#"GodPotato-NET4.exe -cmd "cmd /c whoami""#, "S-1-5-82-1-2", r"IIS APPPOOL\DefaultAppPool"),
            sec4688("0x105c", "0x12dc", r"C:\Program Files\Potatoes\inventory.exe", "inventory.exe --potato-count", "S-1-5-21-1-2-3-1001", r"CORP\farmer"),
        ),
        (
            "EXH-EV-061",
            ev(SYSMON, 17, &[("Image", r"C:\Users\Public\ps.exe"), ("PipeName", r"\4b1d3e8c\pipe\spoolss")]),
            ev(SYSMON, 17, &[("Image", r"C:\Windows\System32\spoolsv.exe"), ("PipeName", r"\spoolss")]),
        ),
        (
            "EXH-EV-070",
            sec4688("0x10", "0x9", r"C:\Windows\System32\schtasks.exe", r"schtasks  /create /s fs02 /tn t /tr myapp.exe /sc daily", "S-1-5-21-1-2-3-1001", r"CORP\admin"),
            sec4688("0x10", "0x9", r"C:\Windows\System32\schtasks.exe", "schtasks  /query /fo list", "S-1-5-21-1-2-3-1001", r"CORP\admin"),
        ),
        (
            "EXH-EV-071",
            ev("Security", 4698, &[("TaskName", r"\eviltask"), ("TaskContent", r"<Task><Actions><Exec><Command>C:\ProgramData\upd.exe</Command></Exec></Actions></Task>")]),
            ev("Security", 4698, &[("TaskName", r"\Vendor\Update"), ("TaskContent", r#"<Task><Actions><Exec><Command>"C:\Program Files\Vendor\update.exe"</Command></Exec></Actions></Task>"#)]),
        ),
        (
            "EXH-EV-072",
            ev(SYSMON, 20, &[("EventType", "WmiConsumerEvent"), ("Operation", "Created"), ("Name", " \"Evil\""), ("Type", "Command Line"), ("Destination", " \"cmd.exe /c calc\"")]),
            ev(SYSMON, 20, &[("EventType", "WmiConsumerEvent"), ("Operation", "Created"), ("Name", " \"SCM Event Log Consumer\""), ("Type", "Log File"), ("Destination", "")]),
        ),
        (
            "EXH-EV-073",
            ev("Security", 4697, &[("ServiceName", "iOWamcEn"), ("ServiceFileName", r"%COMSPEC% /b /c start /b /min powershell -nop -w hidden -e aQBlAHgA")]),
            ev("Security", 4697, &[("ServiceName", "VendorSvc"), ("ServiceFileName", r#""C:\Program Files\Vendor\svc.exe""#)]),
        ),
        (
            "EXH-EV-074",
            sec4688("0x10", "0x9", r"C:\Windows\System32\WindowsPowerShell\v1.0\powershell.exe", r#"powershell.exe  -command "Set-MpPreference -DisableRealtimeMonitoring $true""#, "S-1-5-18", r"NT AUTHORITY\SYSTEM"),
            sec4688("0x10", "0x9", r"C:\Windows\System32\WindowsPowerShell\v1.0\powershell.exe", r#"powershell.exe  -command "Set-MpPreference -DisableRealtimeMonitoring $false""#, "S-1-5-18", r"NT AUTHORITY\SYSTEM"),
        ),
        (
            "EXH-EV-076",
            ev("Microsoft-Windows-Windows Defender/Operational", 5007, &[("Old Value", ""), ("New Value", r"HKLM\SOFTWARE\Microsoft\Windows Defender\Exclusions\Paths\C:\inetpub\wwwroot\aspnet_client = 0x0")]),
            ev("Microsoft-Windows-Windows Defender/Operational", 5007, &[("Old Value", ""), ("New Value", r"HKLM\SOFTWARE\Microsoft\Windows Defender\Features\TamperProtection = 0x5")]),
        ),
        (
            "EXH-EV-077",
            sec4688("0x10", "0x9", r"C:\Windows\System32\wbem\WMIC.exe", r#"wmic  nteventlog where filename="security" cl"#, "S-1-5-18", r"NT AUTHORITY\SYSTEM"),
            sec4688("0x10", "0x9", r"C:\Windows\System32\wevtutil.exe", "wevtutil  qe Security /c:5", "S-1-5-18", r"NT AUTHORITY\SYSTEM"),
        ),
        (
            "EXH-EV-079",
            ev(SYSMON, 13, &[("Image", r"C:\Windows\system32\reg.exe"), ("TargetObject", r"HKLM\System\CurrentControlSet\Control\Terminal Server\fDenyTSConnections"), ("Details", "DWORD (0x00000000)")]),
            ev(SYSMON, 13, &[("Image", r"C:\Windows\system32\reg.exe"), ("TargetObject", r"HKLM\System\CurrentControlSet\Control\Terminal Server\fDenyTSConnections"), ("Details", "DWORD (0x00000001)")]),
        ),
        (
            "EXH-EV-080",
            sec4688("0x10", "0x9", r"C:\Windows\System32\netsh.exe", "netsh  I p a v l=8001 listena=0.0.0.0 connectp=3389 c=1.1.1.1", "S-1-5-18", r"NT AUTHORITY\SYSTEM"),
            sec4688("0x10", "0x9", r"C:\Windows\System32\netsh.exe", "netsh  interface portproxy show all", "S-1-5-18", r"NT AUTHORITY\SYSTEM"),
        ),
        (
            "EXH-EV-083",
            sec4688("0x10", "0x9", r"C:\Windows\System32\sc.exe", r#"sc.exe  create hijackservice binpath= "cmd.exe /k tscon 2 /dest:rdp-tcp#5""#, "S-1-5-18", r"NT AUTHORITY\SYSTEM"),
            sec4688("0x10", "0x9", r"C:\Windows\System32\sc.exe", "sc.exe  query hijackservice", "S-1-5-18", r"NT AUTHORITY\SYSTEM"),
        ),
        (
            "EXH-EV-085",
            {
                let mut e = ev("MSExchange Management", 1, &[]);
                e.provider = "MSExchange CmdletLogs".into();
                e.data = vec![(None, "Install-TransportAgent".into()), (None, r#"-Name "Evil" -AssemblyPath "C:\ProgramData\a.dll" -TransportAgentFactory "hack""#.into())];
                e
            },
            {
                let mut e = ev("MSExchange Management", 1, &[]);
                e.provider = "MSExchange CmdletLogs".into();
                e.data = vec![(None, "Get-TransportAgent".into()), (None, "".into())];
                e
            },
        ),
        (
            "EXH-EV-086",
            ev(SYSMON, 12, &[("EventType", "DeleteValue"), ("Image", r"C:\Windows\system32\reg.exe"), ("TargetObject", r"HKLM\SOFTWARE\Microsoft\Windows NT\CurrentVersion\Schedule\TaskCache\Tree\WinUpdate\SD")]),
            ev(SYSMON, 12, &[("EventType", "DeleteKey"), ("Image", r"C:\Windows\system32\svchost.exe"), ("TargetObject", r"HKLM\SOFTWARE\Microsoft\Windows NT\CurrentVersion\Schedule\TaskCache\Tree\WinUpdate")]),
        ),
        (
            "EXH-EV-090",
            sec4688("0x10", "0x9", r"C:\Windows\System32\inetsrv\appcmd.exe", "appcmd.exe  list apppool /text:*", "S-1-5-18", r"NT AUTHORITY\SYSTEM"),
            sec4688("0x10", "0x9", r"C:\Windows\System32\inetsrv\appcmd.exe", "appcmd.exe  list apppool /state:Started", "S-1-5-18", r"NT AUTHORITY\SYSTEM"),
        ),
        (
            "EXH-EV-092",
            ev(SYSMON, 11, &[("Image", r"C:\ProgramData\7z.exe"), ("TargetFilename", r"C:\Program Files\Microsoft\Exchange Server\V15\FrontEnd\HttpProxy\owa\auth\Current\scripts\pst.7z")]),
            ev(SYSMON, 11, &[("Image", r"C:\ProgramData\7z.exe"), ("TargetFilename", r"D:\Backups\pst.7z")]),
        ),
        (
            "EXH-EV-095",
            sec4688("0x10", "0x9", r"C:\Windows\System32\vssadmin.exe", "vssadmin.exe  delete shadows /all /quiet", "S-1-5-18", r"NT AUTHORITY\SYSTEM"),
            sec4688("0x10", "0x9", r"C:\Windows\System32\vssadmin.exe", "vssadmin.exe  list shadows", "S-1-5-18", r"NT AUTHORITY\SYSTEM"),
        ),
        (
            "EXH-EV-036",
            ev(SYSMON, 12, &[("EventType", "CreateKey"), ("Image", lsass), ("TargetObject", r"HKLM\SAM\SAM\Domains\Account\Users\Names\support$")]),
            ev(SYSMON, 12, &[("EventType", "CreateKey"), ("Image", lsass), ("TargetObject", r"HKLM\SAM\SAM\Domains\Account\Users\Names\support")]),
        ),
        (
            "EXH-EV-037",
            ev("Security", 4722, &[("TargetUserName", "Guest"), ("TargetSid", "S-1-5-21-1470532092-3758209836-3742276719-501")]),
            ev("Security", 4722, &[("TargetUserName", "jdoe"), ("TargetSid", "S-1-5-21-1470532092-3758209836-3742276719-1501")]),
        ),
        (
            "EXH-EV-047",
            ev(SYSMON, 11, &[("Image", lsass), ("TargetFilename", r"C:\Windows\System32\mimilsa.log")]),
            ev(SYSMON, 11, &[("Image", lsass), ("TargetFilename", r"C:\Windows\System32\LogFiles\lsass.etl")]),
        ),
        (
            "EXH-EV-048",
            ev(SYSMON, 11, &[("Image", r"C:\Windows\explorer.exe"), ("TargetFilename", r"C:\Users\Public\procdump64.exe")]),
            ev(SYSMON, 11, &[("Image", r"C:\Windows\explorer.exe"), ("TargetFilename", r"C:\Users\Public\procmon.exe")]),
        ),
        (
            "EXH-EV-049",
            sysmon_proc("10", "9", r"C:\Users\Public\wsass\WerFaultSecure.exe", "WerFaultSecure.exe /h /pid 860", r"C:\Users\Public\wsass\WSASS.exe", "CORP\\admin"),
            sysmon_proc("10", "9", r"C:\Windows\System32\WerFaultSecure.exe", "WerFaultSecure.exe -u -p 4120 -s 336", r"C:\Windows\System32\svchost.exe", r"NT AUTHORITY\SYSTEM"),
        ),
        (
            "EXH-EV-059",
            sec4688("0x10", "0x9", r"C:\Windows\System32\diskshadow.exe", "diskshadow.exe  /s shadow.txt", "S-1-5-21-1-2-3-1001", r"CORP\admin"),
            sec4688("0x10", "0x9", r"C:\Windows\System32\diskshadow.exe", "diskshadow.exe  /l log.txt", "S-1-5-21-1-2-3-1001", r"CORP\admin"),
        ),
        (
            "EXH-EV-075",
            ev(PS, 4104, &[("ScriptBlockText", r"Add-MpPreference -ExclusionPath 'C:\Program Files\Microsoft\Exchange Server\V15\Mailbox'")]),
            ev(PS, 4104, &[("ScriptBlockText", "Get-MpPreference | Select-Object -ExpandProperty ExclusionPath")]),
        ),
        (
            "EXH-EV-078",
            ev("Security", 4719, &[("CategoryId", "%%8276"), ("SubcategoryGuid", "{0CCE922B-69AE-11D9-BED3-505054503030}"), ("AuditPolicyChanges", "%%8448, %%8450")]),
            ev("Security", 4719, &[("CategoryId", "%%8276"), ("SubcategoryGuid", "{0CCE922B-69AE-11D9-BED3-505054503030}"), ("AuditPolicyChanges", "%%8449, %%8451")]),
        ),
        (
            "EXH-EV-081",
            sec4688("0x10", "0x9", r"C:\Windows\System32\netsh.exe", "netsh  advfirewall set allprofiles state off", "S-1-5-18", r"NT AUTHORITY\SYSTEM"),
            sec4688("0x10", "0x9", r"C:\Windows\System32\netsh.exe", "netsh  advfirewall set allprofiles state on", "S-1-5-18", r"NT AUTHORITY\SYSTEM"),
        ),
        (
            "EXH-EV-082",
            {
                let mut e = ev("System", 1, &[("FinalStatus", "0x0"), ("DeviceName", "SysmonDrv")]);
                e.provider = "Microsoft-Windows-FilterManager".into();
                e
            },
            {
                let mut e = ev("System", 1, &[("FinalStatus", "0x0"), ("DeviceName", "CldFlt")]);
                e.provider = "Microsoft-Windows-FilterManager".into();
                e
            },
        ),
        (
            "EXH-EV-084",
            sec4688("0x10", "0x9", r"C:\Windows\System32\netsh.exe", "netsh  add helper C:\\Users\\Public\\h.dll", "S-1-5-18", r"NT AUTHORITY\SYSTEM"),
            sec4688("0x10", "0x9", r"C:\Windows\System32\netsh.exe", "netsh  show helper", "S-1-5-18", r"NT AUTHORITY\SYSTEM"),
        ),
        (
            "EXH-EV-091",
            sec4688("0x10", "0x9", r"C:\Windows\System32\WindowsPowerShell\v1.0\powershell.exe", r#"powershell.exe -c "Add-PSSnapin Microsoft.Exchange.Management.PowerShell.SnapIn; Get-Mailbox -ResultSize Unlimited | Select Name""#, "S-1-5-18", r"NT AUTHORITY\SYSTEM"),
            // The same sweep from a script file (an administrator's report) is not matched.
            ev(PS, 4104, &[("ScriptBlockText", "Add-PSSnapin Microsoft.Exchange.Management.PowerShell.SnapIn; Get-Mailbox -ResultSize Unlimited | Get-MailboxStatistics"), ("Path", r"C:\Scripts\Mailbox-SizeReport.ps1")]),
        ),
    ]
}

#[test]
fn each_chain_rule_fires_on_its_record_and_not_on_the_look_alike() {
    let dir = tempfile::tempdir().unwrap();
    for (want, attack, benign) in cases() {
        let hits = fired(dir.path(), &format!("{want}.evtx"), &[attack, benign]);
        assert!(
            ids_at(&hits, 1).contains(want),
            "{want} did not fire on its record: {hits:?}"
        );
        assert!(
            !ids_at(&hits, 2).contains(want),
            "{want} fired on the benign look-alike: {hits:?}"
        );
    }
}

#[test]
fn process_tree_finds_a_potato_escalation_under_the_iis_worker() {
    // The web shell runs in an application pool (IIS APPPOOL), starts a Potato tool under another
    // name, which starts cmd.exe as SYSTEM: the SYSTEM process's ancestry leads to w3wp.exe
    // through a lower-privileged account. Security 4688 version 1 records the new process's
    // account as the subject, and only the creator's process id (as Windows writes it, in hex).
    let pool = (
        "S-1-5-82-3006700770-424185619-1745488364-794895919-4004696415",
        r"IIS APPPOOL\DefaultAppPool",
    );
    let events = [
        sec4688(
            "0x1a0",
            "0x2c4",
            W3WP,
            "c:\\windows\\system32\\inetsrv\\w3wp.exe -ap \"DefaultAppPool\"",
            pool.0,
            pool.1,
        ),
        sec4688(
            "0x1b8",
            "0x1a0",
            r"C:\Windows\System32\cmd.exe",
            r"cmd /c C:\Users\Public\svc.exe -cmd whoami",
            pool.0,
            pool.1,
        ),
        sec4688(
            "0x1c0",
            "0x1b8",
            r"C:\Users\Public\svc.exe",
            r"C:\Users\Public\svc.exe -cmd whoami",
            pool.0,
            pool.1,
        ),
        sec4688(
            "0x1d0",
            "0x1c0",
            r"C:\Windows\System32\cmd.exe",
            "cmd.exe /c whoami",
            "S-1-5-18",
            r"CONTOSO\EX01$",
        ),
        // Look-alikes: a SYSTEM process under services.exe, and an Exchange app pool's own
        // SYSTEM child (Exchange pools run as LocalSystem: no escalation there).
        sec4688(
            "0x2c4",
            "0x280",
            r"C:\Windows\System32\svchost.exe",
            "svchost.exe -k iissvcs",
            "S-1-5-18",
            r"CONTOSO\EX01$",
        ),
        sec4688(
            "0x300",
            "0x2c4",
            W3WP,
            "w3wp.exe -ap \"MSExchangeOWAAppPool\"",
            "S-1-5-18",
            r"CONTOSO\EX01$",
        ),
        sec4688(
            "0x310",
            "0x300",
            r"C:\Windows\System32\cmd.exe",
            "cmd /c MSExchangeHMHost probe",
            "S-1-5-18",
            r"CONTOSO\EX01$",
        ),
    ];
    let dir = tempfile::tempdir().unwrap();
    let hits = fired(dir.path(), "Security.evtx", &events);
    let esc: Vec<u64> = hits
        .iter()
        .filter(|(_, id)| id == "EXH-EV-062")
        .map(|(r, _)| *r)
        .collect();
    // The records are written in time order, after the parent of each: record 5 (svchost)
    // comes later than its child w3wp in this file, so w3wp's parent is known only by id.
    assert_eq!(esc, [4], "{hits:?}");
    // The grandchildren of w3wp (the renamed tool and its SYSTEM shell) are EXH-EV-064's too
    // where their image is a shell.
    assert!(ids_at(&hits, 4).contains("EXH-EV-064"), "{hits:?}");
    assert!(
        !ids_at(&hits, 7).contains("EXH-EV-064"),
        "direct child is EXH-EV-010's: {hits:?}"
    );
}

#[test]
fn process_tree_links_sysmon_ids_and_parent_user() {
    // Sysmon 1 names the parent's account (ParentUser) and uses decimal process ids.
    let mut shell = sysmon_proc(
        "4400",
        "4300",
        r"C:\Windows\System32\cmd.exe",
        "cmd /c sc create upd binPath= C:\\ProgramData\\u.exe",
        W3WP,
        r"IIS APPPOOL\Intranet",
    );
    shell
        .data
        .push((Some("ParentUser".into()), r"IIS APPPOOL\Intranet".into()));
    let sc = sysmon_proc(
        "4500",
        "4400",
        r"C:\Windows\System32\sc.exe",
        r"sc  create upd binPath= C:\ProgramData\u.exe",
        r"C:\Windows\System32\cmd.exe",
        r"IIS APPPOOL\Intranet",
    );
    let benign = sysmon_proc(
        "4600",
        "4444",
        r"C:\Windows\System32\sc.exe",
        r"sc  create upd binPath= C:\ProgramData\u.exe",
        r"C:\Windows\explorer.exe",
        r"CORP\admin",
    );
    let dir = tempfile::tempdir().unwrap();
    let hits = fired(dir.path(), "Sysmon.evtx", &[shell, sc, benign]);
    assert!(ids_at(&hits, 2).contains("EXH-EV-063"), "{hits:?}");
    assert!(!ids_at(&hits, 3).contains("EXH-EV-063"), "{hits:?}");
    // The same command line alone is EXH-EV-083 (weak alone) on both.
    assert!(ids_at(&hits, 3).contains("EXH-EV-083"), "{hits:?}");
}

/// A Sysmon process creation with its GUIDs, logon id and the parent's account.
fn sysmon_guid(
    (pid, guid): (&str, &str),
    (ppid, parent_guid): (&str, &str),
    (image, cmd): (&str, &str),
    parent: &str,
    (user, logon_id): (&str, &str),
) -> WriterEvent {
    let mut e = sysmon_proc(pid, ppid, image, cmd, parent, user);
    for (name, value) in [
        ("ProcessGuid", guid),
        ("ParentProcessGuid", parent_guid),
        ("LogonId", logon_id),
    ] {
        e.data.push((Some(name.into()), value.into()));
    }
    e
}

#[test]
fn sysmon_parents_are_linked_by_guid_not_by_a_reused_process_id() {
    let pool = (r"IIS APPPOOL\Intranet", "0x5a1c3");
    // w3wp (pid 4400) starts a shell: a tree rule's case.
    let w3wp = sysmon_guid(
        ("4400", "{0bd3c6a8-1000-6040-0b00-000000001f00}"),
        ("700", "{0bd3c6a8-0100-6040-0100-000000001f00}"),
        (W3WP, r#"w3wp.exe -ap "Intranet""#),
        r"C:\Windows\System32\svchost.exe",
        (r"NT AUTHORITY\SYSTEM", "0x3e7"),
    );
    let shell = sysmon_guid(
        ("4500", "{0bd3c6a8-2000-6040-0c00-000000001f00}"),
        ("4400", "{0bd3c6a8-1000-6040-0b00-000000001f00}"),
        (
            r"C:\Windows\System32\cmd.exe",
            r"cmd /c sc create upd binPath= C:\ProgramData\u.exe",
        ),
        W3WP,
        pool,
    );
    let sc = sysmon_guid(
        ("4600", "{0bd3c6a8-3000-6040-0d00-000000001f00}"),
        ("4500", "{0bd3c6a8-2000-6040-0c00-000000001f00}"),
        (
            r"C:\Windows\System32\sc.exe",
            r"sc  create upd binPath= C:\ProgramData\u.exe",
        ),
        r"C:\Windows\System32\cmd.exe",
        pool,
    );
    // An administrator's sc.exe started from the administrator's own cmd.exe, which reused the
    // id 4500 after the shell exited: same id, same image, but its GUID is another process,
    // whose creation is not in this log. By process id (and image) it would inherit the web
    // shell's ancestry.
    let admin_sc = sysmon_guid(
        ("4700", "{0bd3c6a8-4000-6040-0e00-000000001f00}"),
        ("4500", "{0bd3c6a8-3fff-6040-0f00-000000001f00}"),
        (
            r"C:\Windows\System32\sc.exe",
            r"sc  create upd binPath= C:\ProgramData\u.exe",
        ),
        r"C:\Windows\System32\cmd.exe",
        (r"CORP\admin", "0x9f1e2"),
    );
    let dir = tempfile::tempdir().unwrap();
    let found = findings(dir.path(), "Sysmon.evtx", &[w3wp, shell, sc, admin_sc]);
    let tree_finding = |record: u64| {
        found
            .iter()
            .find(|f| f.rule.id == "EXH-EV-063" && f.extra["record_id"] == record)
    };
    let f = tree_finding(3).expect("sc.exe under the web shell");
    // The finding names the creation events its ancestry was read from, nearest first.
    assert_eq!(
        f.extra["ancestor_record_ids"],
        serde_json::json!([2, 1]),
        "{:?}",
        f.extra
    );
    assert!(
        tree_finding(4).is_none(),
        "no ancestry through a reused id: {found:#?}"
    );
}

#[test]
fn security_parents_are_not_taken_from_a_reused_process_id_of_another_image() {
    // 4688 names the creator by process id and (version 2) by image: when the latest process
    // with that id is another program, the real parent's creation is not in the log.
    let pool = (
        "S-1-5-82-3006700770-424185619-1745488364-794895919-4004696415",
        r"IIS APPPOOL\DefaultAppPool",
    );
    let w3wp = sec4688(
        "0x1a0",
        "0x2c4",
        W3WP,
        r#"w3wp.exe -ap "DefaultAppPool""#,
        pool.0,
        pool.1,
    );
    let mut potato = sec4688(
        "0x1c0",
        "0x1a0",
        r"C:\Users\Public\svc.exe",
        r"C:\Users\Public\svc.exe -cmd whoami",
        pool.0,
        pool.1,
    );
    potato
        .data
        .push((Some("ParentProcessName".into()), W3WP.into()));
    let system_shell = |parent: &str| {
        let mut e = sec4688(
            "0x1d0",
            "0x1c0",
            r"C:\Windows\System32\cmd.exe",
            "cmd.exe /c whoami",
            "S-1-5-18",
            r"CONTOSO\EX01$",
        );
        e.data
            .push((Some("ParentProcessName".into()), parent.into()));
        e
    };
    let dir = tempfile::tempdir().unwrap();
    // (file, the SYSTEM shell's recorded creator, whether the chain is under w3wp)
    let cases = [
        ("Security.evtx", r"C:\Users\Public\svc.exe", true),
        // The same file under another path form is the same parent.
        (
            "Security1.evtx",
            r"\Device\HarddiskVolume2\Users\Public\svc.exe",
            true,
        ),
        // The same ids, but the shell's creator was services.exe: id 0x1c0 was reused.
        ("Security2.evtx", r"C:\Windows\System32\services.exe", false),
    ];
    for (file, creator, under_w3wp) in cases {
        let events = [w3wp.clone(), potato.clone(), system_shell(creator)];
        let hits = fired(dir.path(), file, &events);
        assert_eq!(
            ids_at(&hits, 3).contains("EXH-EV-062"),
            under_w3wp,
            "{file} ({creator}): {hits:?}"
        );
    }
}

#[test]
fn a_localised_system_account_is_known_by_its_logon_session() {
    // A German Windows: SYSTEM is "NT-AUTORITÄT\SYSTEM", NETWORK SERVICE "NT-AUTORITÄT\NETZWERKDIENST".
    let w3wp = sysmon_guid(
        ("4400", "{0bd3c6a8-1000-6040-0b00-000000001f00}"),
        ("700", ""),
        (W3WP, r#"w3wp.exe -ap "Intranet""#),
        r"C:\Windows\System32\svchost.exe",
        (r"NT-AUTORITÄT\NETZWERKDIENST", "0x3e4"),
    );
    let potato = sysmon_guid(
        ("4500", "{0bd3c6a8-2000-6040-0c00-000000001f00}"),
        ("4400", "{0bd3c6a8-1000-6040-0b00-000000001f00}"),
        (
            r"C:\Users\Public\svc.exe",
            r"C:\Users\Public\svc.exe -cmd whoami",
        ),
        W3WP,
        (r"NT-AUTORITÄT\NETZWERKDIENST", "0x3e4"),
    );
    let shell = |logon_id: &str| {
        sysmon_guid(
            ("4600", "{0bd3c6a8-3000-6040-0d00-000000001f00}"),
            ("4500", "{0bd3c6a8-2000-6040-0c00-000000001f00}"),
            (r"C:\Windows\System32\cmd.exe", "cmd.exe /c whoami"),
            r"C:\Users\Public\svc.exe",
            (r"NT-AUTORITÄT\SYSTEM", logon_id),
        )
    };
    let dir = tempfile::tempdir().unwrap();
    let hits = fired(
        dir.path(),
        "Sysmon.evtx",
        &[w3wp.clone(), potato.clone(), shell("0x3e7")],
    );
    assert!(ids_at(&hits, 3).contains("EXH-EV-062"), "{hits:?}");
    // Another session of an account that happens to be called SYSTEM is not SYSTEM.
    let hits = fired(
        dir.path(),
        "Sysmon2.evtx",
        &[w3wp, potato, shell("0x7a3f1")],
    );
    assert!(!ids_at(&hits, 3).contains("EXH-EV-062"), "{hits:?}");
}
