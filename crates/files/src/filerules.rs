//! `file:` rules: conditions on a file's name and location, written in YAML with the same
//! condition language as log rules, optionally with a test of values read from the content
//! (configuration files: a path, a module type).
//!
//! ```yaml
//! file:
//!   match:
//!     all:
//!       - {field: folder, endswith: /frontend/httpproxy/ecp/auth}
//!       - {field: stock, equals: "false"}
//! ```
//! Fields: `path` and `folder` (below the system drive root, lower case, leading `/`), `name`,
//! `ext` (no dot), `size` (bytes), `area`, `depth`, `stock` (`true`/`false`).
//!
//! A `content:` block makes the rule read the file: `extract` is a regular expression
//! (case-insensitive) whose `value` group is taken from each match, only inside the `body`
//! group of `within` when that is given; `match` is a condition on the field `value` (trimmed,
//! `/` turned into `\`). Every value that holds makes one finding, with its line as evidence.

use std::sync::Arc;

use exhunt_core::rules::condition::{Condition, ConditionSpec, EvalCtx, FieldLookup};
use exhunt_core::rules::{DiagnosticLevel, PendingRule, RuleDiagnostic, RuleMeta};
use regex::{Regex, RegexBuilder};
use serde::Deserialize;

/// The fields a file rule may test.
pub(crate) const FIELDS: &[&str] = &[
    "path", "folder", "name", "ext", "size", "area", "depth", "stock",
];

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileSpec {
    #[serde(rename = "match")]
    condition: ConditionSpec,
    content: Option<ContentSpec>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ContentSpec {
    within: Option<String>,
    extract: String,
    #[serde(rename = "match")]
    condition: ConditionSpec,
}

/// A compiled `file:` rule.
#[derive(Debug)]
pub(crate) struct FileRule {
    pub(crate) meta: Arc<RuleMeta>,
    condition: Condition,
    content: Option<ContentCheck>,
}

impl FileRule {
    /// Does the rule's name and location condition hold for this file?
    pub(crate) fn matches(&self, record: &FileRecord) -> bool {
        self.condition.eval(&mut EvalCtx::new(record))
    }

    /// The test of the file's content, for rules that read it.
    pub(crate) fn content(&self) -> Option<&ContentCheck> {
        self.content.as_ref()
    }
}

/// The `content:` part of a file rule: values read out of the file and tested.
#[derive(Debug)]
pub(crate) struct ContentCheck {
    within: Option<Regex>,
    extract: Regex,
    condition: Condition,
}

/// One value of a file's content that met a rule.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct ContentHit {
    /// Byte offset of the match in the text.
    pub(crate) offset: usize,
    /// The value, as tested.
    pub(crate) value: String,
    /// The line holding it, trimmed.
    pub(crate) line: String,
}

/// The record a content condition sees: one extracted value.
struct ValueRecord<'a>(&'a str);

impl FieldLookup for ValueRecord<'_> {
    fn lookup(&self, name: &str) -> Option<&str> {
        (name == "value").then_some(self.0)
    }
}

impl ContentCheck {
    fn compile(spec: &ContentSpec) -> Result<ContentCheck, String> {
        let build = |what: &str, pattern: &str, group: &str| -> Result<Regex, String> {
            let re = RegexBuilder::new(pattern)
                .case_insensitive(true)
                .size_limit(4 << 20)
                .build()
                .map_err(|e| format!("content.{what}: bad regex: {e}"))?;
            if !re.capture_names().flatten().any(|n| n == group) {
                return Err(format!(
                    "content.{what}: the regex needs a named group (?P<{group}>...)"
                ));
            }
            Ok(re)
        };
        let within = match &spec.within {
            Some(p) => Some(build("within", p, "body")?),
            None => None,
        };
        let extract = build("extract", &spec.extract, "value")?;
        let condition = Condition::compile(&spec.condition)?;
        let mut fields = Vec::new();
        condition.fields(&mut fields);
        if let Some(bad) = fields.iter().find(|f| f.as_str() != "value") {
            return Err(format!(
                "content.match: unknown field '{bad}' (a content condition tests `value`)"
            ));
        }
        Ok(ContentCheck {
            within,
            extract,
            condition,
        })
    }

    /// Every value of `text` that meets the condition, in order.
    pub(crate) fn hits(&self, text: &str) -> Vec<ContentHit> {
        let regions: Vec<(usize, &str)> = match &self.within {
            Some(within) => within
                .captures_iter(text)
                .filter_map(|c| c.name("body"))
                .map(|m| (m.start(), m.as_str()))
                .collect(),
            None => vec![(0, text)],
        };
        let mut hits = Vec::new();
        for (base, region) in regions {
            for c in self.extract.captures_iter(region) {
                let (Some(whole), Some(raw)) = (c.get(0), c.name("value")) else {
                    continue;
                };
                let value = raw.as_str().trim().replace('/', "\\");
                if self.condition.eval(&mut EvalCtx::new(&ValueRecord(&value))) {
                    let offset = base + whole.start();
                    hits.push(ContentHit {
                        offset,
                        value,
                        line: line_at(text, offset).trim().to_string(),
                    });
                }
            }
        }
        hits
    }
}

/// The line of `text` that holds byte `offset`.
fn line_at(text: &str, offset: usize) -> &str {
    let start = text[..offset].rfind('\n').map_or(0, |i| i + 1);
    let end = text[offset..].find('\n').map_or(text.len(), |i| offset + i);
    &text[start..end]
}

/// Compile the pending `file:` rules; the bad ones become error diagnostics.
pub(crate) fn compile(pending: &[PendingRule], diags: &mut Vec<RuleDiagnostic>) -> Vec<FileRule> {
    let mut out = Vec::new();
    for p in pending {
        let error = |message: String| RuleDiagnostic {
            level: DiagnosticLevel::Error,
            origin: p.meta.origin.clone(),
            rule_id: Some(p.meta.id.clone()),
            message,
        };
        let spec: FileSpec = match serde_yaml_ng::from_value(p.logic.clone()) {
            Ok(s) => s,
            Err(e) => {
                diags.push(error(format!("invalid file: block: {e}")));
                continue;
            }
        };
        let condition = match Condition::compile(&spec.condition) {
            Ok(c) => c,
            Err(e) => {
                diags.push(error(e));
                continue;
            }
        };
        let mut fields = Vec::new();
        condition.fields(&mut fields);
        if let Some(bad) = fields.iter().find(|f| !FIELDS.contains(&f.as_str())) {
            diags.push(error(format!(
                "unknown file field '{bad}' (known: {})",
                FIELDS.join(", ")
            )));
            continue;
        }
        let content = match spec.content.as_ref().map(ContentCheck::compile).transpose() {
            Ok(c) => c,
            Err(e) => {
                diags.push(error(e));
                continue;
            }
        };
        out.push(FileRule {
            meta: Arc::clone(&p.meta),
            condition,
            content,
        });
    }
    out
}

/// The facts of one file that file rules see.
#[derive(Debug, Clone)]
pub(crate) struct FileRecord {
    pub(crate) path: String,
    pub(crate) folder: String,
    pub(crate) name: String,
    pub(crate) ext: String,
    pub(crate) size: String,
    pub(crate) area: &'static str,
    pub(crate) depth: String,
    pub(crate) stock: bool,
}

impl FileRecord {
    /// Build the record from a path below the system root (lower case, leading `/`).
    pub(crate) fn new(sys_path: &str, size: u64, area: &'static str, depth: usize) -> FileRecord {
        let (folder, name) = sys_path.rsplit_once('/').unwrap_or(("", sys_path));
        let ext = name.rsplit_once('.').map(|(_, e)| e).unwrap_or("");
        FileRecord {
            path: sys_path.to_string(),
            folder: folder.to_string(),
            name: name.to_string(),
            ext: ext.to_string(),
            size: size.to_string(),
            area,
            depth: depth.to_string(),
            stock: crate::stock::is_stock(folder, name),
        }
    }
}

impl FieldLookup for FileRecord {
    fn lookup(&self, name: &str) -> Option<&str> {
        Some(match name {
            "path" => &self.path,
            "folder" => &self.folder,
            "name" => &self.name,
            "ext" => &self.ext,
            "size" => &self.size,
            "area" => self.area,
            "depth" => &self.depth,
            "stock" => {
                if self.stock {
                    "true"
                } else {
                    "false"
                }
            }
            _ => return None,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use exhunt_core::rules::{RuleSet, RuleSources};

    /// The embedded `file:` rules, compiled.
    fn embedded() -> Vec<FileRule> {
        let set = RuleSet::load(&RuleSources {
            embedded: true,
            user_paths: vec![],
        });
        let mut diags = Vec::new();
        let rules = compile(&set.file_rules, &mut diags);
        assert!(diags.is_empty(), "{diags:#?}");
        rules
    }

    /// Ids of the rules that fire on a file at `sys_path` in `area`, with the values found.
    fn fire(sys_path: &str, area: &'static str, text: &str) -> Vec<(String, String)> {
        let record = FileRecord::new(sys_path, text.len() as u64, area, 0);
        let mut out = Vec::new();
        for r in embedded().iter().filter(|r| r.matches(&record)) {
            match r.content() {
                Some(c) => out.extend(
                    c.hits(text)
                        .into_iter()
                        .map(|h| (r.meta.id.clone(), h.value)),
                ),
                None => out.push((r.meta.id.clone(), String::new())),
            }
        }
        out
    }

    const APPHOST: &str = "/windows/system32/inetsrv/config/applicationhost.config";

    #[test]
    fn virtual_directory_into_a_staging_folder() {
        let good = r#"<virtualDirectory path="/" physicalPath="%SystemDrive%\inetpub\wwwroot" />"#;
        assert!(fire(APPHOST, "iis-config", good).is_empty());
        let bad = "<sites>\n  <virtualDirectory path=\"/x\" physicalPath=\"C:/ProgramData/COM\" />\n</sites>";
        assert_eq!(
            fire(APPHOST, "iis-config", bad),
            [("EXH-FC-001".to_string(), r"C:\ProgramData\COM".to_string())]
        );
        let rule = embedded()
            .into_iter()
            .find(|r| r.meta.id == "EXH-FC-001")
            .unwrap();
        let hit = &rule.content().unwrap().hits(bad)[0];
        assert_eq!(
            hit.line,
            r#"<virtualDirectory path="/x" physicalPath="C:/ProgramData/COM" />"#
        );
        assert_eq!(&bad[hit.offset..hit.offset + 12], "physicalPath");
    }

    #[test]
    fn native_modules_outside_known_folders() {
        let cfg = r#"<globalModules>
<add name="UriCacheModule" image="%windir%\System32\inetsrv\cachuri.dll" />
<add name="RewriteModule" image="%SystemRoot%\system32\inetsrv\rewrite.dll" />
<add name="kerbauth" image="C:\Program Files\Microsoft\Exchange Server\V15\Bin\kerbauth.dll" />
<add name="ApplicationRequestRouting" image="%ProgramFiles%\IIS\Application Request Routing\requestRouter.dll" />
<add name="Evil" image="C:\ProgramData\svc\iisx.dll" />
<add name="Odd" image="%windir%\Temp\inetsrv.dll" />
</globalModules>"#;
        assert_eq!(
            fire(APPHOST, "iis-config", cfg),
            [
                (
                    "EXH-FC-002".to_string(),
                    r"C:\ProgramData\svc\iisx.dll".to_string()
                ),
                (
                    "EXH-FC-002".to_string(),
                    r"%windir%\Temp\inetsrv.dll".to_string()
                ),
            ]
        );
    }

    #[test]
    fn foreign_managed_modules_only_in_exchange_and_machine_config() {
        let cfg = r#"<system.webServer><modules>
<add name="Exchange" type="Microsoft.Exchange.HttpProxy.ProxyModule" />
<add name="Steal" type="ExtenderControlDesigner, ExtenderControlDesigner" />
</modules></system.webServer>
<appSettings><add key="x" type="NotInASection" /></appSettings>"#;
        let web = "/program files/microsoft/exchange server/v15/frontend/httpproxy/owa/web.config";
        assert_eq!(
            fire(web, "exchange-web", cfg),
            [(
                "EXH-FC-003".to_string(),
                "ExtenderControlDesigner, ExtenderControlDesigner".to_string()
            )]
        );
        assert!(fire("/inetpub/wwwroot/web.config", "web", cfg).is_empty());
        assert!(fire("/windows/other.config", "iis-config", cfg).is_empty());
    }

    #[test]
    fn bad_content_blocks_are_reported() {
        let load = |content: &str| {
            let text = format!(
                "id: T-1\ntitle: t\ndescription: d\nseverity: low\nstage: backdoor\nremediation: r\nfile:\n  match: {{field: name, equals: a.config}}\n  content:\n{content}"
            );
            let set = RuleSet::from_text("test", &text);
            assert!(set.diagnostics.is_empty(), "{:?}", set.diagnostics);
            let mut diags = Vec::new();
            let rules = compile(&set.file_rules, &mut diags);
            (
                rules.len(),
                diags.iter().map(|d| d.message.clone()).collect::<Vec<_>>(),
            )
        };
        let (n, msgs) =
            load("    extract: 'path=\"([^\"]*)\"'\n    match: {field: value, contains: x}\n");
        assert_eq!(n, 0);
        assert!(msgs[0].contains("(?P<value>"), "{msgs:?}");
        let (n, msgs) =
            load("    extract: 'p=\"(?P<value>[^\"]*)\"'\n    match: {field: name, contains: x}\n");
        assert_eq!(n, 0);
        assert!(msgs[0].contains("unknown field 'name'"), "{msgs:?}");
        let (n, msgs) = load(
            "    extract: 'p=\"(?P<value>[^\"]*)\"'\n    match: {field: value, contains: x}\n",
        );
        assert_eq!((n, msgs.len()), (1, 0));
    }
}
