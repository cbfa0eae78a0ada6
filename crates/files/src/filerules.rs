//! `file:` rules: conditions on a file's name and location (no content), written in YAML with
//! the same condition language as log rules.
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

use std::sync::Arc;

use exhunt_core::rules::condition::{Condition, ConditionSpec, EvalCtx, FieldLookup};
use exhunt_core::rules::{DiagnosticLevel, PendingRule, RuleDiagnostic, RuleMeta};
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
}

/// A compiled `file:` rule.
#[derive(Debug)]
pub(crate) struct FileRule {
    pub(crate) meta: Arc<RuleMeta>,
    condition: Condition,
}

impl FileRule {
    /// Does the rule hold for this file?
    pub(crate) fn matches(&self, record: &FileRecord) -> bool {
        self.condition.eval(&mut EvalCtx::new(record))
    }
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
        out.push(FileRule {
            meta: Arc::clone(&p.meta),
            condition,
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
