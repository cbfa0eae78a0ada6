//! Compiling the YARA rules: the embedded pack (strict syntax) and the user's folders (legacy
//! syntax accepted: relaxed regular expressions, modules exhunt does not build are ignored with
//! a warning). Each user file that does not compile is reported and skipped; the rest load.
//! Every rule's metadata becomes a [`RuleMeta`] so that its matches are ordinary findings.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use exhunt_core::model::{Severity, Stage};
use exhunt_core::rules::{DiagnosticLevel, RuleDiagnostic, RuleMeta};
use yara_x::{Compiler, MetaValue, SourceCode};

use crate::embedded;
use crate::iocs::HashIocs;

/// External variables defined for every rule; set per file by the scanner.
pub(crate) const STRING_GLOBALS: &[&str] = &[
    "filename",
    "filepath",
    "extension",
    "filetype",
    "exhunt_area",
];
/// Boolean external variables.
pub(crate) const BOOL_GLOBALS: &[&str] = &["exhunt_stock", "exhunt_webpage"];
/// Integer external variables.
pub(crate) const INT_GLOBALS: &[&str] = &["exhunt_depth"];

/// YARA modules community rules import that this build does not include: rules that use them
/// are skipped with a warning instead of failing their whole file.
const MISSING_MODULES: &[&str] = &[
    "pe", "elf", "dotnet", "macho", "dex", "lnk", "cuckoo", "magic", "vt", "console", "crx",
    "olecf", "vba",
];

/// Embedded files whose rules only run on server-side pages: each of their conditions starts
/// with `exhunt_webpage and` (a test holds them to it), so running them on other files could
/// never match and would only cost time.
pub(crate) const PAGE_SCOPE_FILES: &[&str] = &["webpages.yar"];

/// The compiled rules and what is known about each.
pub(crate) struct CompiledYara {
    /// Rules for every file: the pack (except its page-scope files) and the user's rules.
    pub(crate) all_files: yara_x::Rules,
    /// Page-scope rules, run on server-side pages only (see [`PAGE_SCOPE_FILES`]).
    pub(crate) pages: Option<yara_x::Rules>,
    /// (namespace, identifier) → metadata.
    pub(crate) metas: HashMap<(String, String), Arc<RuleMeta>>,
    /// Raw YARA metadata of each rule, for the JSONL output.
    pub(crate) raw_meta: HashMap<(String, String), serde_json::Value>,
}

/// Where each namespace came from: (origin, embedded?).
type Origins = HashMap<String, (String, bool)>;

/// A compiler with exhunt's settings: relaxed regular expressions (legacy rules), modules this
/// build lacks ignored, and the external variables defined.
fn new_compiler<'a>() -> Compiler<'a> {
    let mut compiler = Compiler::new();
    // Must be set on an empty compiler; the embedded pack is also checked under the strict
    // syntax by a test.
    compiler.relaxed_re_syntax(true);
    for m in MISSING_MODULES {
        compiler.ignore_module(*m);
    }
    define_globals(&mut compiler);
    compiler
}

/// The namespace of an embedded rule file.
fn embedded_namespace(name: &str) -> String {
    format!("exhunt_{}", sanitize(name.trim_end_matches(".yar")))
}

/// Add the embedded YARA files of one scope (page-scope files or the others), each in its own
/// namespace.
fn add_embedded(
    compiler: &mut Compiler<'_>,
    page_scope: bool,
    origins: &mut Origins,
    diags: &mut Vec<RuleDiagnostic>,
) {
    for (name, text) in embedded::YARA {
        if PAGE_SCOPE_FILES.contains(name) != page_scope {
            continue;
        }
        let ns = embedded_namespace(name);
        compiler.new_namespace(&ns);
        let origin = format!("embedded:rules/files/{name}");
        if let Err(e) = compiler.add_source(SourceCode::from(*text).with_origin(&origin)) {
            diags.push(error(&origin, format!("does not compile: {e}")));
        }
        origins.insert(ns, (origin, true));
    }
}

/// Compile the embedded page-scope files into their own rule set.
fn compile_pages() -> (Option<yara_x::Rules>, Origins, Vec<RuleDiagnostic>) {
    let mut compiler = new_compiler();
    let mut origins = Origins::new();
    let mut diags = Vec::new();
    add_embedded(&mut compiler, true, &mut origins, &mut diags);
    let rules = (!origins.is_empty()).then(|| compiler.build());
    (rules, origins, diags)
}

/// Compile the embedded pack and the user's files; load hash lists found on the way. The
/// page-scope set compiles on a second thread meanwhile.
pub(crate) fn compile(
    embedded_rules: bool,
    user_paths: &[PathBuf],
    iocs: &mut HashIocs,
    diags: &mut Vec<RuleDiagnostic>,
) -> CompiledYara {
    std::thread::scope(|s| {
        let pages = embedded_rules.then(|| s.spawn(compile_pages));
        let mut origins = Origins::new();
        let all_files = compile_all_files(embedded_rules, user_paths, iocs, &mut origins, diags);
        let mut metas = Metas::default();
        metas.describe(&all_files, &origins, diags);
        let mut pages_rules = None;
        match pages.map(|h| h.join()) {
            Some(Ok((rules, page_origins, page_diags))) => {
                diags.extend(page_diags);
                if let Some(rules) = rules {
                    metas.describe(&rules, &page_origins, diags);
                    pages_rules = Some(rules);
                }
            }
            Some(Err(_)) => diags.push(error(
                "embedded:rules/files",
                "the page-scope rules could not be compiled (compiler thread failed)".into(),
            )),
            None => {}
        }
        CompiledYara {
            all_files,
            pages: pages_rules,
            metas: metas.metas,
            raw_meta: metas.raw,
        }
    })
}

/// Compile the rules that run on every file: the embedded pack but its page-scope files, and
/// the user's folders.
fn compile_all_files(
    embedded_rules: bool,
    user_paths: &[PathBuf],
    iocs: &mut HashIocs,
    origins: &mut Origins,
    diags: &mut Vec<RuleDiagnostic>,
) -> yara_x::Rules {
    let mut compiler = new_compiler();
    if embedded_rules {
        add_embedded(&mut compiler, false, origins, diags);
        for (name, text) in embedded::IOCS {
            iocs.add_list(&format!("embedded:rules/files/{name}"), text, diags);
        }
    }
    let mut n = 0;
    for path in user_paths {
        let origin = path.display().to_string();
        let (yar, lists) = match list_user_files(path) {
            Ok(v) => v,
            Err(e) => {
                diags.push(error(&origin, e));
                continue;
            }
        };
        if yar.is_empty() && lists.is_empty() {
            diags.push(warning(
                &origin,
                "no .yar/.yara rule files or hash lists here".into(),
            ));
        }
        for f in lists {
            let o = f.display().to_string();
            match std::fs::read(&f) {
                Ok(b) => iocs.add_list(&o, &String::from_utf8_lossy(&b), diags),
                Err(e) => diags.push(error(&o, format!("cannot read: {e}"))),
            }
        }
        for f in yar {
            let o = f.display().to_string();
            let text = match std::fs::read(&f) {
                Ok(b) => b,
                Err(e) => {
                    diags.push(error(&o, format!("cannot read: {e}")));
                    continue;
                }
            };
            n += 1;
            let ns = format!("user{n}_{}", sanitize(&file_stem(&f)));
            compiler.new_namespace(&ns);
            let text = String::from_utf8_lossy(&text).into_owned();
            let imports_missing: Vec<&str> = MISSING_MODULES
                .iter()
                .copied()
                .filter(|m| text.contains(&format!("import \"{m}\"")))
                .collect();
            match compiler.add_source(SourceCode::from(text.as_str()).with_origin(&o)) {
                Ok(_) => {
                    if !imports_missing.is_empty() {
                        diags.push(warning(
                            &o,
                            format!(
                                "imports module(s) {} that exhunt does not include: the rules using them were skipped",
                                imports_missing.join(", ")
                            ),
                        ));
                    }
                    origins.insert(ns, (o, false));
                }
                Err(e) => diags.push(error(&o, format!("skipped, does not compile: {e}"))),
            }
        }
    }
    compiler.build()
}

/// What is known about each compiled rule, gathered set by set.
#[derive(Default)]
struct Metas {
    metas: HashMap<(String, String), Arc<RuleMeta>>,
    raw: HashMap<(String, String), serde_json::Value>,
}

impl Metas {
    /// Record the metadata of every rule of `rules`, checking the embedded ones.
    fn describe(
        &mut self,
        rules: &yara_x::Rules,
        origins: &Origins,
        diags: &mut Vec<RuleDiagnostic>,
    ) {
        for r in rules.iter() {
            let key = (r.namespace().to_string(), r.identifier().to_string());
            let (origin, embedded) = origins
                .get(r.namespace())
                .cloned()
                .unwrap_or_else(|| (r.namespace().to_string(), false));
            let pairs: Vec<(String, serde_json::Value)> = r
                .metadata()
                .map(|(k, v)| (k.to_string(), meta_json(v)))
                .collect();
            let tags: Vec<String> = r.tags().map(|t| t.identifier().to_string()).collect();
            let meta = rule_meta(r.identifier(), &origin, embedded, &pairs, &tags);
            if embedded {
                for problem in check_embedded(&pairs) {
                    diags.push(RuleDiagnostic {
                        level: DiagnosticLevel::Error,
                        origin: origin.clone(),
                        rule_id: Some(meta.id.clone()),
                        message: problem,
                    });
                }
            }
            let mut obj = serde_json::Map::new();
            for (k, v) in pairs {
                obj.entry(k)
                    .and_modify(|e| {
                        if let serde_json::Value::Array(a) = e {
                            a.push(v.clone());
                        } else {
                            *e = serde_json::Value::Array(vec![e.clone(), v.clone()]);
                        }
                    })
                    .or_insert(v);
            }
            self.raw.insert(key.clone(), serde_json::Value::Object(obj));
            self.metas.insert(key, Arc::new(meta));
        }
    }
}

/// Define the external variables every rule may use.
fn define_globals(compiler: &mut Compiler<'_>) {
    for g in STRING_GLOBALS {
        compiler.define_global(g, "").expect("valid global");
    }
    for g in BOOL_GLOBALS {
        compiler.define_global(g, false).expect("valid global");
    }
    for g in INT_GLOBALS {
        compiler.define_global(g, 0i64).expect("valid global");
    }
}

fn error(origin: &str, message: String) -> RuleDiagnostic {
    RuleDiagnostic {
        level: DiagnosticLevel::Error,
        origin: origin.to_string(),
        rule_id: None,
        message,
    }
}

fn warning(origin: &str, message: String) -> RuleDiagnostic {
    RuleDiagnostic {
        level: DiagnosticLevel::Warning,
        ..error(origin, message)
    }
}

fn file_stem(p: &Path) -> String {
    p.file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default()
}

fn sanitize(s: &str) -> String {
    s.chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
        .collect()
}

/// YARA files and hash lists under a user path, sorted.
fn list_user_files(path: &Path) -> Result<(Vec<PathBuf>, Vec<PathBuf>), String> {
    if !path.exists() {
        return Err("YARA path does not exist or is not readable".into());
    }
    let mut yar = Vec::new();
    let mut lists = Vec::new();
    for e in walkdir::WalkDir::new(path).follow_links(true).max_depth(16) {
        let e = match e {
            Ok(e) => e,
            Err(err) => return Err(format!("cannot list: {err}")),
        };
        if !e.file_type().is_file() {
            continue;
        }
        let name = e.file_name().to_string_lossy().to_lowercase();
        let in_iocs = e
            .path()
            .parent()
            .and_then(|p| p.file_name())
            .is_some_and(|n| n.to_string_lossy().eq_ignore_ascii_case("iocs"));
        if name.ends_with(".yar") || name.ends_with(".yara") {
            yar.push(e.into_path());
        } else if name.ends_with(".sha256")
            || name.ends_with(".sha256.txt")
            || (in_iocs && name.ends_with(".txt"))
        {
            lists.push(e.into_path());
        }
    }
    yar.sort();
    lists.sort();
    Ok((yar, lists))
}

fn meta_json(v: MetaValue<'_>) -> serde_json::Value {
    match v {
        MetaValue::Integer(i) => i.into(),
        MetaValue::Float(f) => serde_json::Number::from_f64(f)
            .map(serde_json::Value::Number)
            .unwrap_or(serde_json::Value::Null),
        MetaValue::Bool(b) => b.into(),
        MetaValue::String(s) => s.into(),
        MetaValue::Bytes(b) => String::from_utf8_lossy(b).into_owned().into(),
    }
}

fn text_of(v: &serde_json::Value) -> Option<String> {
    match v {
        serde_json::Value::String(s) => Some(s.clone()),
        serde_json::Value::Number(n) => Some(n.to_string()),
        serde_json::Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

fn first(pairs: &[(String, serde_json::Value)], keys: &[&str]) -> Option<String> {
    keys.iter().find_map(|k| {
        pairs
            .iter()
            .find(|(pk, _)| pk.eq_ignore_ascii_case(k))
            .and_then(|(_, v)| text_of(v))
            .filter(|s| !s.trim().is_empty())
    })
}

fn all(pairs: &[(String, serde_json::Value)], keys: &[&str]) -> Vec<String> {
    pairs
        .iter()
        .filter(|(k, _)| keys.iter().any(|x| k.eq_ignore_ascii_case(x)))
        .filter_map(|(_, v)| text_of(v))
        .flat_map(|s| {
            s.split([',', ' '])
                .map(str::trim)
                .filter(|x| !x.is_empty())
                .map(str::to_string)
                .collect::<Vec<_>>()
        })
        .collect()
}

/// Severity from a Loki/THOR-style score (0-100).
fn severity_from_score(score: i64) -> Severity {
    match score {
        s if s >= 80 => Severity::High,
        s if s >= 60 => Severity::Medium,
        s if s >= 40 => Severity::Low,
        _ => Severity::Info,
    }
}

/// Turn a YARA rule's metadata into exhunt's.
fn rule_meta(
    ident: &str,
    origin: &str,
    embedded: bool,
    pairs: &[(String, serde_json::Value)],
    yara_tags: &[String],
) -> RuleMeta {
    let severity = first(pairs, &["severity"])
        .and_then(|s| s.parse::<Severity>().ok())
        .or_else(|| {
            first(pairs, &["score"])
                .and_then(|s| s.trim().parse::<f64>().ok())
                .map(|s| severity_from_score(s as i64))
        })
        .unwrap_or(Severity::High);
    let stage = first(pairs, &["stage"])
        .and_then(|s| {
            Stage::ALL
                .into_iter()
                .find(|st| st.as_str().eq_ignore_ascii_case(s.trim()))
        })
        .unwrap_or(Stage::Backdoor);
    let mut tags: Vec<String> = if embedded {
        first(pairs, &["tags"])
            .map(|s| {
                s.split(',')
                    .map(|t| t.trim().to_string())
                    .filter(|t| !t.is_empty())
                    .collect()
            })
            .unwrap_or_default()
    } else {
        vec!["user rule".into()]
    };
    tags.extend(yara_tags.iter().cloned());
    let references: Vec<String> = pairs
        .iter()
        .filter(|(k, _)| {
            ["reference", "references", "ref", "url", "report"]
                .iter()
                .any(|x| k.eq_ignore_ascii_case(x))
        })
        .filter_map(|(_, v)| text_of(v))
        .collect();
    let description = first(pairs, &["description", "desc", "info"]).unwrap_or_default();
    let author = first(pairs, &["author"]);
    RuleMeta {
        id: first(pairs, &["id"])
            .filter(|_| embedded)
            .unwrap_or_else(|| format!("YARA:{ident}")),
        title: first(pairs, &["title"])
            .or_else(|| (!embedded).then(|| format!("YARA rule {ident}")))
            .unwrap_or_else(|| ident.to_string()),
        description,
        severity,
        stage,
        cves: all(pairs, &["cves", "cve"]),
        tags,
        attack: all(pairs, &["attack", "mitre_attack", "mitre"]),
        references,
        author,
        remediation: first(pairs, &["remediation"]).unwrap_or_else(|| {
            "Review the file: if it is not yours, preserve a copy, remove it, and treat the server as compromised.".into()
        }),
        origin: origin.to_string(),
        escalate_on_intrusion: first(pairs, &["escalate_on_intrusion"])
            .and_then(|s| s.parse::<Severity>().ok()),
    }
}

/// Problems with an embedded rule's metadata (the pack must be complete and valid).
fn check_embedded(pairs: &[(String, serde_json::Value)]) -> Vec<String> {
    let mut out = Vec::new();
    for key in [
        "id",
        "title",
        "description",
        "severity",
        "stage",
        "attack",
        "reference",
        "remediation",
    ] {
        if first(pairs, &[key]).is_none() {
            out.push(format!("embedded YARA rule lacks meta '{key}'"));
        }
    }
    if let Some(s) = first(pairs, &["severity"]) {
        if s.parse::<Severity>().is_err() {
            out.push(format!("bad severity '{s}'"));
        }
    }
    if let Some(s) = first(pairs, &["stage"]) {
        if !Stage::ALL.iter().any(|st| st.as_str() == s) {
            out.push(format!("bad stage '{s}'"));
        }
    }
    if let Some(s) = first(pairs, &["escalate_on_intrusion"]) {
        if s.parse::<Severity>().is_err() {
            out.push(format!("bad escalate_on_intrusion '{s}'"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn embedded_pack_compiles_strictly_with_complete_metadata() {
        for (name, text) in embedded::YARA {
            let mut c = Compiler::new();
            define_globals(&mut c);
            c.add_source(*text)
                .unwrap_or_else(|e| panic!("{name} does not compile strictly: {e}"));
            assert!(c.warnings().is_empty(), "{name}: {:?}", c.warnings());
        }
        let mut diags = Vec::new();
        let y = compile(true, &[], &mut HashIocs::default(), &mut diags);
        assert!(diags.is_empty(), "{diags:#?}");
        assert!(y.metas.len() >= 20, "{} rules", y.metas.len());
        let mut ids: Vec<&str> = y.metas.values().map(|m| m.id.as_str()).collect();
        ids.sort();
        let n = ids.len();
        ids.dedup();
        assert_eq!(ids.len(), n, "duplicate rule ids");
    }

    /// The condition of every rule of a YARA source, as written.
    fn conditions(text: &str) -> Vec<(String, String)> {
        text.split("\nrule ")
            .skip(1)
            .map(|block| {
                let name = block.split_whitespace().next().unwrap_or("").to_string();
                let cond = block
                    .split_once("condition:")
                    .map(|(_, c)| c.trim().to_string())
                    .unwrap_or_default();
                (name, cond)
            })
            .collect()
    }

    #[test]
    fn page_scope_files_hold_only_rules_that_require_a_page() {
        let mut pages = 0;
        for (name, text) in embedded::YARA {
            let scoped = PAGE_SCOPE_FILES.contains(name);
            for (rule, cond) in conditions(text) {
                let requires_page = cond.starts_with("exhunt_webpage and");
                assert_eq!(
                    scoped, requires_page,
                    "{name}: rule {rule}: page-scope files hold exactly the rules whose condition starts with `exhunt_webpage and`"
                );
                pages += usize::from(scoped);
            }
        }
        assert!(pages >= 5, "{pages} page-scope rules");
        let mut diags = Vec::new();
        let y = compile(true, &[], &mut HashIocs::default(), &mut diags);
        assert!(diags.is_empty(), "{diags:#?}");
        let page_rules = y.pages.as_ref().map_or(0, |r| r.iter().count());
        assert_eq!(page_rules, pages);
        assert_eq!(y.all_files.iter().count() + page_rules, y.metas.len());
    }

    #[test]
    fn scores_map_to_severities() {
        assert_eq!(severity_from_score(90), Severity::High);
        assert_eq!(severity_from_score(70), Severity::Medium);
        assert_eq!(severity_from_score(50), Severity::Low);
        assert_eq!(severity_from_score(10), Severity::Info);
    }
}
