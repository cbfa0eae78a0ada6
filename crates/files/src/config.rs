//! IIS configuration tampering: virtual directories pointing into staging folders, native
//! modules loaded from unexpected places, and foreign managed modules or handlers in
//! Exchange's own configuration. Path allow-lists are easier to read (and to test) in code
//! than in YARA, so these checks live here; their metadata is in [`metas`].

use std::sync::Arc;

use exhunt_core::model::{Severity, Stage};
use exhunt_core::rules::RuleMeta;
use regex::Regex;

use crate::areas::Area;

/// One tampering hit: the rule and the offending line.
#[derive(Debug)]
pub(crate) struct ConfigHit {
    pub(crate) meta: Arc<RuleMeta>,
    pub(crate) offset: usize,
    pub(crate) text: String,
}

/// Compiled checks.
pub(crate) struct ConfigChecks {
    vdir: Arc<RuleMeta>,
    native: Arc<RuleMeta>,
    managed: Arc<RuleMeta>,
    re_physical: Regex,
    re_image: Regex,
    re_section: Regex,
    re_type: Regex,
}

fn meta(
    id: &str,
    title: &str,
    description: &str,
    severity: Severity,
    refs: &[&str],
    remediation: &str,
) -> Arc<RuleMeta> {
    Arc::new(RuleMeta {
        id: id.into(),
        title: title.into(),
        description: description.into(),
        severity,
        stage: Stage::Backdoor,
        cves: vec![],
        tags: vec!["IIS".into(), "configuration".into(), "persistence".into()],
        attack: vec!["T1505.004".into()],
        references: refs.iter().map(|s| s.to_string()).collect(),
        remediation: remediation.into(),
        origin: "embedded:crates/files/src/config.rs".into(),
        escalate_on_intrusion: None,
    })
}

impl ConfigChecks {
    pub(crate) fn new() -> ConfigChecks {
        ConfigChecks {
            vdir: meta(
                "EXH-FC-001",
                "IIS virtual directory or application pointing into a staging folder",
                "applicationHost.config maps a site, application or virtual directory to a folder under ProgramData, Users\\Public, Windows\\Temp, PerfLogs or C:\\root. ProxyShell intruders created virtual directories served from C:\\ProgramData\\{COM,WHO,ZING,ZOO,XYZ,AUX,CON} to host shells outside the watched web roots; no Exchange or IIS default points there.",
                Severity::High,
                &["https://github.com/Neo23x0/signature-base/blob/master/yara/expl_proxyshell.yar"],
                "Remove the virtual directory (compare applicationHost.config with a clean server's), preserve the folder it served and look for web shells in it; treat the server as compromised.",
            ),
            native: meta(
                "EXH-FC-002",
                "Native IIS module loaded from an unexpected path",
                "A globalModules/modules entry loads a native DLL from outside the folders IIS, the .NET Framework and Exchange install to (System32/SysWOW64\\inetsrv, Microsoft.NET, Exchange Server, Program Files\\IIS). Malicious native IIS modules (IIS-Raid, Microsoft's 2022 'malicious IIS extensions' report) see every request and password, and survive web-shell cleanup.",
                Severity::High,
                &["https://www.microsoft.com/en-us/security/blog/2022/07/26/malicious-iis-extensions-quietly-open-persistent-backdoors-into-servers/"],
                "Identify the DLL (signature, vendor); if it is unknown, remove the module from applicationHost.config, preserve the DLL and treat the server as compromised.",
            ),
            managed: meta(
                "EXH-FC-003",
                "Foreign managed module or handler in Exchange's web configuration",
                "A web.config of Exchange's FrontEnd/ClientAccess, or a machine-level config, adds a managed module or handler whose type is not from Microsoft/System namespaces. Exchange's own configuration only references its own and .NET types; a foreign type there runs on every OWA/ECP request (the Owowa credential stealer worked this way). Security products can add their own, hence medium.",
                Severity::Medium,
                &["https://securelist.com/owowa-credential-stealer-and-remote-access/105219/"],
                "Identify the type's assembly and vendor; if unknown, remove the entry, preserve the assembly and treat the server as compromised.",
            ),
            re_physical: Regex::new(r#"(?i)physicalPath\s*=\s*"([^"]*)""#).expect("valid regex"),
            re_image: Regex::new(r#"(?i)<add\s[^>]*\bimage\s*=\s*"([^"]*)""#).expect("valid regex"),
            re_section: Regex::new(r"(?is)<(modules|handlers|httpModules|httpHandlers)\b[^>]*>(.*?)</(?:modules|handlers|httpModules|httpHandlers)>")
                .expect("valid regex"),
            re_type: Regex::new(r#"(?i)<add\s[^>]*\btype\s*=\s*"([^"]*)""#).expect("valid regex"),
        }
    }

    /// The metadata of every rule here.
    pub(crate) fn metas(&self) -> [&Arc<RuleMeta>; 3] {
        [&self.vdir, &self.native, &self.managed]
    }

    /// Check one configuration file (`name` lower case). Only `applicationhost.config`,
    /// `web.config` and `machine.config` are looked at.
    pub(crate) fn check(&self, name: &str, area: Area, data: &[u8]) -> Vec<ConfigHit> {
        let is_apphost = name == "applicationhost.config";
        let is_web = name == "web.config" || name == "machine.config";
        if !is_apphost && !is_web {
            return Vec::new();
        }
        let text = String::from_utf8_lossy(data);
        let mut hits = Vec::new();
        if is_apphost {
            for c in self.re_physical.captures_iter(&text) {
                let (m, path) = (c.get(0).expect("whole"), &c[1]);
                if points_into_staging(path) {
                    hits.push(self.hit(&self.vdir, &text, m.start()));
                }
            }
        }
        for c in self.re_image.captures_iter(&text) {
            let (m, path) = (c.get(0).expect("whole"), &c[1]);
            if !native_path_expected(path) {
                hits.push(self.hit(&self.native, &text, m.start()));
            }
        }
        let exchange_or_machine = area == Area::ExchangeWeb || area == Area::IisConfig;
        if exchange_or_machine {
            for s in self.re_section.captures_iter(&text) {
                let body = s.get(2).expect("body");
                for c in self.re_type.captures_iter(body.as_str()) {
                    if !managed_type_expected(&c[1]) {
                        let at = body.start() + c.get(0).expect("whole").start();
                        hits.push(self.hit(&self.managed, &text, at));
                    }
                }
            }
        }
        hits
    }

    fn hit(&self, meta: &Arc<RuleMeta>, text: &str, offset: usize) -> ConfigHit {
        let line_start = text[..offset].rfind('\n').map(|i| i + 1).unwrap_or(0);
        let line_end = text[offset..]
            .find('\n')
            .map(|i| offset + i)
            .unwrap_or(text.len());
        ConfigHit {
            meta: Arc::clone(meta),
            offset,
            text: text[line_start..line_end].trim().to_string(),
        }
    }
}

fn norm(path: &str) -> String {
    path.trim().to_ascii_lowercase().replace('/', "\\")
}

/// Does a physical path lead into a folder intruders staged in?
fn points_into_staging(path: &str) -> bool {
    let p = norm(path);
    [
        "\\programdata\\",
        "%programdata%",
        "%allusersprofile%",
        "\\users\\public",
        "%public%",
        "\\windows\\temp",
        "%temp%",
        "%tmp%",
        "\\perflogs",
        ":\\root\\",
    ]
    .iter()
    .any(|s| p.contains(s) || p.ends_with(s.trim_end_matches('\\')))
}

/// Is a native module path one that IIS, .NET or Exchange installs to?
fn native_path_expected(path: &str) -> bool {
    let p = norm(path);
    let in_windows =
        p.starts_with("%windir%") || p.starts_with("%systemroot%") || p.contains(":\\windows\\");
    (in_windows
        && (p.contains("\\system32\\inetsrv\\")
            || p.contains("\\syswow64\\inetsrv\\")
            || p.contains("\\microsoft.net\\framework")))
        || p.contains("%exchangeinstalldir%")
        || p.contains("\\microsoft\\exchange server\\")
        || p.contains("%programfiles%\\iis\\")
        || p.contains("\\program files\\iis\\")
        || p.contains("\\program files (x86)\\iis\\")
        || p.contains("%programfiles%\\iis express\\")
}

/// Is a managed module/handler type from Microsoft's or .NET's namespaces?
fn managed_type_expected(t: &str) -> bool {
    let t = t.trim();
    let lower = t.to_ascii_lowercase();
    t.is_empty()
        || lower.starts_with("microsoft.")
        || lower.starts_with("system.")
        || lower.starts_with("asp.")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn virtual_directory_into_programdata() {
        let c = ConfigChecks::new();
        let good = br#"<virtualDirectory path="/" physicalPath="%SystemDrive%\inetpub\wwwroot" />"#;
        assert!(c
            .check("applicationhost.config", Area::IisConfig, good)
            .is_empty());
        let bad = br#"<virtualDirectory path="/x" physicalPath="C:\ProgramData\COM" />"#;
        let hits = c.check("applicationhost.config", Area::IisConfig, bad);
        assert_eq!(hits.len(), 1);
        assert_eq!(hits[0].meta.id, "EXH-FC-001");
        assert!(hits[0].text.contains("ProgramData"));
    }

    #[test]
    fn native_modules_outside_known_folders() {
        let c = ConfigChecks::new();
        let cfg = br#"<globalModules>
<add name="UriCacheModule" image="%windir%\System32\inetsrv\cachuri.dll" />
<add name="RewriteModule" image="%SystemRoot%\system32\inetsrv\rewrite.dll" />
<add name="kerbauth" image="C:\Program Files\Microsoft\Exchange Server\V15\Bin\kerbauth.dll" />
<add name="ApplicationRequestRouting" image="%ProgramFiles%\IIS\Application Request Routing\requestRouter.dll" />
<add name="Evil" image="C:\ProgramData\svc\iisx.dll" />
</globalModules>"#;
        let hits = c.check("applicationhost.config", Area::IisConfig, cfg);
        assert_eq!(hits.len(), 1, "{hits:?}");
        assert!(hits[0].text.contains("iisx.dll"));
    }

    #[test]
    fn foreign_managed_modules_only_in_exchange_config() {
        let c = ConfigChecks::new();
        let cfg = br#"<system.webServer><modules>
<add name="Exchange" type="Microsoft.Exchange.HttpProxy.ProxyModule" />
<add name="Steal" type="ExtenderControlDesigner, ExtenderControlDesigner" />
</modules></system.webServer>"#;
        assert_eq!(c.check("web.config", Area::ExchangeWeb, cfg).len(), 1);
        assert!(c.check("web.config", Area::Web, cfg).is_empty());
        assert!(c.check("other.config", Area::ExchangeWeb, cfg).is_empty());
    }
}
