//! Sigma `logsource` → where the rule applies in Windows event logs, and how fields are named
//! there.
//!
//! | logsource | channel | event ids |
//! |---|---|---|
//! | `category: process_creation` | Sysmon/Operational **and** Security | 1 **and** 4688 (fields renamed, below) |
//! | `category: file_event` / `file_change` / `file_delete` | Sysmon | 11 / 2 / 23, 26 |
//! | `category: image_load` / `process_access` / `network_connection` / `dns_query` | Sysmon | 7 / 10 / 3 / 22 |
//! | `category: registry_event` / `registry_add` / `registry_delete` / `registry_set` / `registry_rename` | Sysmon | 12-14 / 12 / 12 / 13 / 14 |
//! | `category: pipe_created` / `create_remote_thread` / `driver_load` / `raw_access_thread` | Sysmon | 17, 18 / 8 / 6 / 9 |
//! | `category: process_termination` / `create_stream_hash` / `wmi_event` / `process_tampering` | Sysmon | 5 / 15 / 19-21 / 25 |
//! | `category: ps_script` / `ps_module` | Microsoft-Windows-PowerShell/Operational | 4104 / 4103 |
//! | `category: ps_classic_start` / `ps_classic_provider_start` / `ps_classic_script` | Windows PowerShell | 400 / 600 / 800 |
//! | `service: security`, `system`, `application`, `sysmon`, `powershell`, `powershell-classic`, `msexchange-management`, `windefend`, `taskscheduler`, `wmi`, `dns-server`, … | the service's channel | from the rule's `EventID` |
//!
//! Security 4688 carries fewer fields than Sysmon 1. Process-creation rules are renamed for it:
//! `Image`→`NewProcessName`, `ParentImage`→`ParentProcessName`, `CommandLine`→`CommandLine`,
//! `User`→`SubjectUserName`, `LogonId`→`SubjectLogonId`, `IntegrityLevel`→`MandatoryLabel`,
//! `ProcessId`→`NewProcessId`, `ParentProcessId`→`ProcessId`. A rule reading a field 4688
//! lacks (`OriginalFileName`, `ParentCommandLine`, `Hashes`, `Description`, `Product`,
//! `Company`, `CurrentDirectory`, …) runs on Sysmon 1 only, and a warning says so: a missing
//! field would silently disable its filters on 4688 and turn it noisy.

use crate::engine::Scope;

/// Sysmon's channel.
pub const SYSMON: &str = "microsoft-windows-sysmon/operational";

/// A field renaming: `None` = keep the name, `Some(None)` = no such field there,
/// `Some(Some(name))` = renamed.
pub type Rename = fn(&str) -> Option<Option<&'static str>>;

/// One place a rule applies, with an optional field renaming.
#[derive(Debug, Clone)]
pub struct Target {
    /// Channel, provider and event id filter.
    pub scope: Scope,
    /// Field renaming for this target (`None` entries: the field does not exist there).
    pub rename: Option<Rename>,
    /// A label for messages (`Security 4688`).
    pub label: &'static str,
}

fn scope(channel: &str, ids: &[u32]) -> Scope {
    Scope {
        channels: vec![channel.to_string()],
        providers: vec![],
        event_ids: ids.to_vec(),
    }
}

fn sysmon(ids: &[u32]) -> Vec<Target> {
    vec![Target {
        scope: scope(SYSMON, ids),
        rename: None,
        label: "Sysmon",
    }]
}

/// Sigma process-creation field → Security 4688 field (`Some(None)`: no equivalent).
pub fn security_4688(field: &str) -> Option<Option<&'static str>> {
    Some(match field {
        "image" => Some("NewProcessName"),
        "parentimage" => Some("ParentProcessName"),
        "commandline" => Some("CommandLine"),
        "user" => Some("SubjectUserName"),
        "logonid" => Some("SubjectLogonId"),
        "integritylevel" => Some("MandatoryLabel"),
        "processid" => Some("NewProcessId"),
        "parentprocessid" => Some("ProcessId"),
        "eventid" | "channel" | "provider" | "computer" | "_text" => return None,
        "originalfilename" | "parentcommandline" | "hashes" | "md5" | "sha1" | "sha256"
        | "imphash" | "description" | "product" | "company" | "currentdirectory"
        | "fileversion" | "parentuser" | "processguid" | "parentprocessguid" | "logonguid"
        | "terminalsessionid" => None,
        _ => return None,
    })
}

/// Where a rule with this logsource applies, or why it cannot.
pub fn targets(
    product: Option<&str>,
    category: Option<&str>,
    service: Option<&str>,
) -> Result<Vec<Target>, String> {
    match product {
        Some("windows") => {}
        None if category == Some("webserver") => {
            return Err("`webserver` rules run on IIS logs, which this event hunter does not read (not yet wired to the log hunter)".into())
        }
        None => {
            return Err(format!(
                "logsource without `product: windows` ({}) is not Windows event-log evidence",
                category.or(service).unwrap_or("no category or service")
            ))
        }
        Some(p) => return Err(format!("product `{p}` is not Windows event-log evidence")),
    }
    if let Some(c) = category {
        let t = match c {
            "process_creation" => vec![
                Target {
                    scope: scope(SYSMON, &[1]),
                    rename: None,
                    label: "Sysmon 1",
                },
                Target {
                    scope: scope("security", &[4688]),
                    rename: Some(security_4688),
                    label: "Security 4688",
                },
            ],
            "file_event" => sysmon(&[11]),
            "file_change" => sysmon(&[2]),
            "file_delete" => sysmon(&[23, 26]),
            "image_load" => sysmon(&[7]),
            "process_access" => sysmon(&[10]),
            "network_connection" => sysmon(&[3]),
            "dns_query" => sysmon(&[22]),
            "registry_event" => sysmon(&[12, 13, 14]),
            "registry_add" | "registry_delete" => sysmon(&[12]),
            "registry_set" => sysmon(&[13]),
            "registry_rename" => sysmon(&[14]),
            "pipe_created" => sysmon(&[17, 18]),
            "create_remote_thread" => sysmon(&[8]),
            "driver_load" => sysmon(&[6]),
            "raw_access_thread" => sysmon(&[9]),
            "process_termination" => sysmon(&[5]),
            "create_stream_hash" => sysmon(&[15]),
            "wmi_event" => sysmon(&[19, 20, 21]),
            "process_tampering" => sysmon(&[25]),
            "sysmon_status" => sysmon(&[4, 16]),
            "ps_script" | "ps_module" => vec![Target {
                scope: scope(
                    "microsoft-windows-powershell/operational",
                    if c == "ps_script" { &[4104] } else { &[4103] },
                ),
                rename: None,
                label: "PowerShell",
            }],
            "ps_classic_start" | "ps_classic_provider_start" | "ps_classic_script" => {
                vec![Target {
                    scope: scope(
                        "windows powershell",
                        match c {
                            "ps_classic_start" => &[400],
                            "ps_classic_provider_start" => &[600],
                            _ => &[800],
                        },
                    ),
                    rename: None,
                    label: "Windows PowerShell",
                }]
            }
            other => return Err(format!("category `{other}` has no event-log mapping")),
        };
        return Ok(t);
    }
    let Some(s) = service else {
        return Err("logsource has neither `category` nor `service`".into());
    };
    let channel = match s {
        "security" => "security",
        "system" => "system",
        "application" => "application",
        "sysmon" => SYSMON,
        "powershell" => "microsoft-windows-powershell/operational",
        "powershell-classic" => "windows powershell",
        "msexchange-management" => "msexchange management",
        "windefend" => "microsoft-windows-windows defender/operational",
        "taskscheduler" => "microsoft-windows-taskscheduler/operational",
        "wmi" => "microsoft-windows-wmi-activity/operational",
        "dns-server" => "dns server",
        "driver-framework" => "microsoft-windows-driverframeworks-usermode/operational",
        "ntlm" => "microsoft-windows-ntlm/operational",
        "bits-client" => "microsoft-windows-bits-client/operational",
        "codeintegrity-operational" => "microsoft-windows-codeintegrity/operational",
        "firewall-as" => "microsoft-windows-windows firewall with advanced security/firewall",
        "terminalservices-localsessionmanager" => {
            "microsoft-windows-terminalservices-localsessionmanager/operational"
        }
        "printservice-operational" => "microsoft-windows-printservice/operational",
        "smbclient-security" => "microsoft-windows-smbclient/security",
        "openssh" => "openssh/operational",
        "iis-configuration" => "microsoft-iis-configuration/operational",
        "shell-core" => "microsoft-windows-shell-core/operational",
        "capi2" => "microsoft-windows-capi2/operational",
        "appmodel-runtime" => "microsoft-windows-appmodel-runtime/admin",
        "lsa-server" => "microsoft-windows-lsa/operational",
        "dhcp" => "microsoft-windows-dhcp-server/operational",
        "diagnosis-scripted" => "microsoft-windows-diagnosis-scripted/operational",
        other => return Err(format!("service `{other}` has no channel mapping")),
    };
    Ok(vec![Target {
        scope: scope(channel, &[]),
        rename: None,
        label: "service channel",
    }])
}
