//! Field conditions: the match language shared by every record-based rule.
//!
//! A condition is either a field test (`field:` plus operators) or a group (`all:`, `any:`,
//! `none:`) of conditions. Operators accept one value or a list (any of them matches):
//! `equals`, `contains`, `startswith`, `endswith`, `like` (PowerShell-style `*`/`?` wildcards),
//! `regex`; `empty: true|false` tests for an empty or missing value; `not: true` negates the
//! whole field test. Matching is case-insensitive unless `case_sensitive: true`. Named regex
//! groups (`(?P<path>…)`) become fields `$path` for the conditions that follow in the same
//! `all:` group.

use regex::{Regex, RegexBuilder};
use serde::Deserialize;

/// One value or a list of values in a rule file.
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub enum OneOrMany {
    /// A single value.
    One(String),
    /// A list of values.
    Many(Vec<String>),
}

impl OneOrMany {
    /// The values as a list.
    pub fn into_vec(self) -> Vec<String> {
        match self {
            OneOrMany::One(s) => vec![s],
            OneOrMany::Many(v) => v,
        }
    }
}

/// A condition as written in a rule file.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConditionSpec {
    /// The field to test (`_raw` is the whole line; `$name` a regex capture).
    pub field: Option<String>,
    /// Exact match (any of).
    pub equals: Option<OneOrMany>,
    /// Substring match (any of).
    pub contains: Option<OneOrMany>,
    /// Prefix match (any of).
    pub startswith: Option<OneOrMany>,
    /// Suffix match (any of).
    pub endswith: Option<OneOrMany>,
    /// Wildcard match, `*` and `?`, anchored at both ends (any of).
    pub like: Option<OneOrMany>,
    /// Regular expression, unanchored (any of).
    pub regex: Option<OneOrMany>,
    /// True: value is empty or absent; false: value is present and not empty.
    pub empty: Option<bool>,
    /// Negate the field test.
    #[serde(default)]
    pub not: bool,
    /// Compare case-sensitively (default: insensitive).
    #[serde(default)]
    pub case_sensitive: bool,
    /// Every sub-condition holds.
    pub all: Option<Vec<ConditionSpec>>,
    /// At least one sub-condition holds.
    pub any: Option<Vec<ConditionSpec>>,
    /// No sub-condition holds.
    pub none: Option<Vec<ConditionSpec>>,
}

/// Access to the values of one record during evaluation.
pub trait FieldLookup {
    /// The value of `name` (already lower-cased), or `None` when the record has no such field.
    fn lookup(&self, name: &str) -> Option<&str>;
}

/// The evaluation context: the record plus regex captures collected so far.
pub struct EvalCtx<'r> {
    record: &'r dyn FieldLookup,
    captures: Vec<(String, String)>,
}

impl<'r> EvalCtx<'r> {
    /// A fresh context over `record`.
    pub fn new(record: &'r dyn FieldLookup) -> Self {
        EvalCtx {
            record,
            captures: Vec::new(),
        }
    }

    /// The value of a field or capture (`$name`).
    pub fn get(&self, name: &str) -> Option<&str> {
        if let Some(cap) = name.strip_prefix('$') {
            return self
                .captures
                .iter()
                .rev()
                .find(|(k, _)| k == cap)
                .map(|(_, v)| v.as_str());
        }
        self.record.lookup(name)
    }

    /// Captures collected by regex conditions that matched.
    pub fn captures(&self) -> &[(String, String)] {
        &self.captures
    }
}

#[derive(Debug, Clone)]
pub(super) enum Op {
    Equals(Vec<String>),
    Contains(Vec<String>),
    StartsWith(Vec<String>),
    EndsWith(Vec<String>),
    Regex(Vec<Re>),
    Empty(bool),
}

/// A compiled regex and whether it has named groups (captures to keep), decided once at compile
/// time: asking the regex on every evaluation costs more than many searches do.
#[derive(Debug, Clone)]
pub(super) struct Re {
    re: Regex,
    named: bool,
}

impl Re {
    fn new(re: Regex) -> Re {
        let named = re.capture_names().flatten().next().is_some();
        Re { re, named }
    }
}

impl std::ops::Deref for Re {
    type Target = Regex;
    fn deref(&self) -> &Regex {
        &self.re
    }
}

/// A compiled condition, ready to evaluate.
#[derive(Debug, Clone)]
pub enum Condition {
    /// A test of one field.
    Field {
        /// Lower-cased field name (or `$capture`).
        field: String,
        /// Operators, all of which must hold.
        ops: Vec<OpBox>,
        /// Negate the result.
        negate: bool,
        /// Case-sensitive comparison.
        case_sensitive: bool,
    },
    /// Every child holds.
    All(Vec<Condition>),
    /// At least one child holds.
    Any(Vec<Condition>),
    /// No child holds.
    None(Vec<Condition>),
}

/// An operator of a field test (opaque; built by [`Condition::compile`]).
#[derive(Debug, Clone)]
pub struct OpBox(pub(super) Op);

/// What one operator compares a value with, for engines that index rules by the literals
/// they need (see [`OpBox::view`]).
#[derive(Debug)]
pub enum OpView<'a> {
    /// `equals`: one of these values.
    Equals(&'a [String]),
    /// `contains`: one of these.
    Contains(&'a [String]),
    /// `startswith`: one of these.
    StartsWith(&'a [String]),
    /// `endswith`: one of these.
    EndsWith(&'a [String]),
    /// `regex` (and `like`, compiled to a regex): one of these patterns.
    Regex(Vec<&'a str>),
    /// `empty`: the value is (or is not) empty.
    Empty(bool),
}

impl OpBox {
    /// What the operator compares with.
    pub fn view(&self) -> OpView<'_> {
        match &self.0 {
            Op::Equals(v) => OpView::Equals(v),
            Op::Contains(v) => OpView::Contains(v),
            Op::StartsWith(v) => OpView::StartsWith(v),
            Op::EndsWith(v) => OpView::EndsWith(v),
            Op::Regex(v) => OpView::Regex(v.iter().map(|r| r.as_str()).collect()),
            Op::Empty(b) => OpView::Empty(*b),
        }
    }
}

impl Condition {
    /// Compile a rule-file condition, checking it is well-formed.
    pub fn compile(spec: &ConditionSpec) -> Result<Condition, String> {
        let groups = [&spec.all, &spec.any, &spec.none]
            .iter()
            .filter(|g| g.is_some())
            .count();
        if spec.field.is_some() && groups > 0 {
            return Err(
                "a condition has either `field:` or one of `all:`/`any:`/`none:`, not both".into(),
            );
        }
        if let Some(field) = &spec.field {
            return Self::compile_field(field, spec);
        }
        if groups != 1 {
            return Err("a condition needs `field:` with operators, or exactly one of `all:`, `any:`, `none:`".into());
        }
        let compile_list = |list: &Vec<ConditionSpec>| -> Result<Vec<Condition>, String> {
            if list.is_empty() {
                return Err("an `all:`/`any:`/`none:` group must not be empty".into());
            }
            list.iter().map(Condition::compile).collect()
        };
        if let Some(list) = &spec.all {
            Ok(Condition::All(compile_list(list)?))
        } else if let Some(list) = &spec.any {
            Ok(Condition::Any(merge_regex_alternatives(compile_list(
                list,
            )?)))
        } else {
            Ok(Condition::None(compile_list(
                spec.none.as_ref().expect("checked"),
            )?))
        }
    }

    fn compile_field(field: &str, spec: &ConditionSpec) -> Result<Condition, String> {
        let cs = spec.case_sensitive;
        let norm = |v: &OneOrMany| -> Vec<String> {
            v.clone()
                .into_vec()
                .into_iter()
                .map(|s| if cs { s } else { s.to_lowercase() })
                .collect()
        };
        let mut ops = Vec::new();
        if let Some(v) = &spec.equals {
            ops.push(Op::Equals(norm(v)));
        }
        if let Some(v) = &spec.contains {
            ops.push(Op::Contains(norm(v)));
        }
        if let Some(v) = &spec.startswith {
            ops.push(Op::StartsWith(norm(v)));
        }
        if let Some(v) = &spec.endswith {
            ops.push(Op::EndsWith(norm(v)));
        }
        if let Some(v) = &spec.like {
            let res = v
                .clone()
                .into_vec()
                .iter()
                .map(|p| build_regex(&like_to_regex(p), cs).map(Re::new))
                .collect::<Result<Vec<_>, _>>()?;
            ops.push(Op::Regex(res));
        }
        if let Some(v) = &spec.regex {
            let res = v
                .clone()
                .into_vec()
                .iter()
                .map(|p| build_regex(p, cs).map(Re::new))
                .collect::<Result<Vec<_>, _>>()?;
            ops.push(Op::Regex(res));
        }
        if let Some(e) = spec.empty {
            ops.push(Op::Empty(e));
        }
        if ops.is_empty() {
            return Err(format!(
                "condition on field '{field}' has no operator (equals, contains, startswith, endswith, like, regex, empty)"
            ));
        }
        let field = if field.starts_with('$') {
            field.to_string()
        } else {
            field.to_ascii_lowercase()
        };
        Ok(Condition::Field {
            field,
            ops: ops.into_iter().map(OpBox).collect(),
            negate: spec.not,
            case_sensitive: cs,
        })
    }

    /// Evaluate against a record, collecting regex captures into `ctx`.
    pub fn eval(&self, ctx: &mut EvalCtx<'_>) -> bool {
        match self {
            Condition::All(list) => list.iter().all(|c| c.eval(ctx)),
            Condition::Any(list) => list.iter().any(|c| c.eval(ctx)),
            Condition::None(list) => !list.iter().any(|c| c.eval(ctx)),
            Condition::Field {
                field,
                ops,
                negate,
                case_sensitive,
            } => {
                let raw = ctx.get(field);
                let mut new_caps = Vec::new();
                let ok = eval_ops(raw, ops, *case_sensitive, &mut new_caps);
                let result = ok != *negate;
                if result && !*negate {
                    ctx.captures.extend(new_caps);
                }
                result
            }
        }
    }

    /// Every field name this condition reads (lower-cased; captures excluded).
    pub fn fields(&self, out: &mut Vec<String>) {
        match self {
            Condition::All(l) | Condition::Any(l) | Condition::None(l) => {
                l.iter().for_each(|c| c.fields(out))
            }
            Condition::Field { field, .. } => {
                if !field.starts_with('$') && !out.contains(field) {
                    out.push(field.clone());
                }
            }
        }
    }

    /// Literals of which at least one must occur (case-insensitively) in any raw line this
    /// condition can match, or `None` when no such set can be derived.
    pub fn required_literals(&self) -> Option<Vec<String>> {
        match self {
            Condition::Field {
                ops, negate: false, ..
            } => ops
                .iter()
                .filter_map(|op| op_literals(&op.0))
                .min_by_key(|s| literal_set_cost(s)),
            Condition::Field { .. } => None,
            Condition::All(list) => list
                .iter()
                .filter_map(Condition::required_literals)
                .min_by_key(|s| literal_set_cost(s)),
            Condition::Any(list) => {
                let mut out = Vec::new();
                for c in list {
                    out.extend(c.required_literals()?);
                }
                Some(out)
            }
            Condition::None(_) => None,
        }
    }
}

/// Prefer few, long literals.
fn literal_set_cost(set: &[String]) -> (usize, usize) {
    let shortest = set.iter().map(|s| s.len()).min().unwrap_or(0);
    (usize::MAX - shortest.min(16), set.len())
}

/// The shortest literal worth feeding to the prefilter.
const MIN_LITERAL: usize = 3;

/// Take the longest piece of `s` that survives log encodings (spaces become `+` in IIS user
/// agents, quotes are doubled in CSV, the `?` of `_url` is the gap between the stem and query
/// columns), so that it appears verbatim in the raw line.
fn robust_piece(s: &str) -> Option<String> {
    s.split([' ', '+', '"', ',', '\t', '?'])
        .max_by_key(|p| p.len())
        .filter(|p| p.len() >= MIN_LITERAL)
        .map(|p| p.to_ascii_lowercase())
}

fn op_literals(op: &Op) -> Option<Vec<String>> {
    let pieces = |vals: &Vec<String>| -> Option<Vec<String>> {
        vals.iter().map(|v| robust_piece(v)).collect()
    };
    match op {
        Op::Equals(v) | Op::Contains(v) | Op::StartsWith(v) | Op::EndsWith(v) => pieces(v),
        Op::Regex(res) => res
            .iter()
            .map(|re| like_literal(re.as_str()))
            .collect::<Option<Vec<_>>>(),
        Op::Empty(_) => None,
    }
}

/// For regexes made from `like` patterns, recover the longest literal run; plain regexes yield
/// nothing (rules give an explicit `prefilter:` for those).
fn like_literal(re: &str) -> Option<String> {
    let body = re.strip_prefix(LIKE_PREFIX)?.strip_suffix('$')?;
    let mut best = String::new();
    let mut cur = String::new();
    let mut chars = body.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' => {
                if let Some(n) = chars.next() {
                    cur.push(n);
                }
            }
            '.' => {
                // `.*` or `.`: a wildcard ends the literal run.
                if chars.peek() == Some(&'*') {
                    chars.next();
                }
                if cur.len() > best.len() {
                    best = std::mem::take(&mut cur);
                } else {
                    cur.clear();
                }
            }
            other => cur.push(other),
        }
    }
    if cur.len() > best.len() {
        best = cur;
    }
    robust_piece(&best)
}

const LIKE_PREFIX: &str = "(?s)^";

/// Translate a PowerShell `-like` pattern (`*`, `?`) to an anchored regex.
pub fn like_to_regex(pattern: &str) -> String {
    let mut re = String::from(LIKE_PREFIX);
    for c in pattern.chars() {
        match c {
            '*' => re.push_str(".*"),
            '?' => re.push('.'),
            c => re.push_str(&regex::escape(&c.to_string())),
        }
    }
    re.push('$');
    re
}

/// The field, case flag and patterns of a test that is only plain regexes (not `like`
/// translations, no named groups, not negated): such tests can share one regex.
fn plain_regex(c: &Condition) -> Option<(&str, bool, Vec<&str>)> {
    let Condition::Field {
        field,
        ops,
        negate: false,
        case_sensitive,
    } = c
    else {
        return None;
    };
    let [OpBox(Op::Regex(res))] = ops.as_slice() else {
        return None;
    };
    if field.starts_with('$')
        || res
            .iter()
            .any(|r| r.as_str().starts_with(LIKE_PREFIX) || r.named)
    {
        return None;
    }
    Some((
        field.as_str(),
        *case_sensitive,
        res.iter().map(|r| r.as_str()).collect(),
    ))
}

/// In an `any:` group, the plain-regex tests of one field become a single regex with the
/// patterns as alternatives: one search of the value instead of one per pattern (event rules
/// test command lines against many shapes). The result is the same, captures excepted, which
/// is why tests with named groups are left alone.
fn merge_regex_alternatives(list: Vec<Condition>) -> Vec<Condition> {
    // Which test matched first decides the captures kept: leave such groups as written.
    if list.iter().any(has_captures) {
        return list;
    }
    let mut groups: Vec<(String, bool, Vec<String>)> = Vec::new();
    let mut rest = Vec::new();
    for c in list {
        match plain_regex(&c) {
            Some((field, cs, pats)) => {
                let pats = pats.into_iter().map(str::to_string);
                match groups.iter_mut().find(|g| g.0 == field && g.1 == cs) {
                    Some(g) => g.2.extend(pats),
                    None => groups.push((field.to_string(), cs, pats.collect())),
                }
            }
            None => rest.push(c),
        }
    }
    let mut out = Vec::with_capacity(groups.len() + rest.len());
    for (field, cs, pats) in groups {
        let joined = pats
            .iter()
            .map(|p| format!("(?:{p})"))
            .collect::<Vec<_>>()
            .join("|");
        let res = match build_regex(&joined, cs) {
            Ok(one) => vec![Re::new(one)],
            // Too large together: keep them apart (each compiled before).
            Err(_) => pats
                .iter()
                .filter_map(|p| build_regex(p, cs).ok().map(Re::new))
                .collect(),
        };
        out.push(Condition::Field {
            field,
            ops: vec![OpBox(Op::Regex(res))],
            negate: false,
            case_sensitive: cs,
        });
    }
    out.extend(rest);
    out
}

fn has_captures(c: &Condition) -> bool {
    match c {
        Condition::All(l) | Condition::Any(l) | Condition::None(l) => l.iter().any(has_captures),
        Condition::Field { ops, .. } => ops.iter().any(|op| match &op.0 {
            Op::Regex(res) => res.iter().any(|r| r.named),
            _ => false,
        }),
    }
}

fn build_regex(pattern: &str, case_sensitive: bool) -> Result<Regex, String> {
    RegexBuilder::new(pattern)
        .case_insensitive(!case_sensitive)
        .size_limit(4 << 20)
        .build()
        .map_err(|e| format!("bad regex '{pattern}': {e}"))
}

fn eval_ops(
    raw: Option<&str>,
    ops: &[OpBox],
    case_sensitive: bool,
    caps: &mut Vec<(String, String)>,
) -> bool {
    let value = raw.unwrap_or("");
    // Equality, prefix and suffix tests of an ASCII value compare in place, ignoring ASCII
    // case (the rule's values are lower-cased when compiled); `contains` and non-ASCII values
    // compare a lower-cased copy; regexes carry their own case flag and copy nothing.
    let ascii = value.is_ascii();
    let insensitive_in_place = !case_sensitive && ascii;
    let needs_lowered = !case_sensitive
        && ops.iter().any(|op| match op.0 {
            Op::Contains(_) => true,
            Op::Equals(_) | Op::StartsWith(_) | Op::EndsWith(_) => !ascii,
            _ => false,
        });
    let lowered;
    let cmp: &str = if !needs_lowered || value.bytes().all(|b| !b.is_ascii_uppercase()) {
        value
    } else {
        lowered = value.to_lowercase();
        &lowered
    };
    let eq = |a: &str, b: &str| {
        if insensitive_in_place {
            a.eq_ignore_ascii_case(b)
        } else {
            a == b
        }
    };
    ops.iter().all(|op| match &op.0 {
        Op::Empty(want) => value.is_empty() == *want,
        _ if raw.is_none() => false,
        Op::Equals(v) => v.iter().any(|x| eq(cmp, x)),
        Op::Contains(v) => v.iter().any(|x| cmp.contains(x.as_str())),
        Op::StartsWith(v) => v.iter().any(|x| {
            cmp.len() >= x.len() && cmp.is_char_boundary(x.len()) && eq(&cmp[..x.len()], x)
        }),
        Op::EndsWith(v) => v.iter().any(|x| {
            cmp.len() >= x.len()
                && cmp.is_char_boundary(cmp.len() - x.len())
                && eq(&cmp[cmp.len() - x.len()..], x)
        }),
        // Without named groups there is nothing to capture, and `is_match` lets the regex
        // engine skip the slower capture-tracking search.
        Op::Regex(res) => res.iter().any(|re| {
            if !re.named {
                return re.is_match(value);
            }
            regex_captures(re, value, caps)
        }),
    })
}

/// Run a regex with named groups and collect what they captured; `true` on a match.
fn regex_captures(re: &regex::Regex, value: &str, caps: &mut Vec<(String, String)>) -> bool {
    match re.captures(value) {
        Some(c) => {
            for name in re.capture_names().flatten() {
                if let Some(m) = c.name(name) {
                    caps.push((name.to_string(), m.as_str().to_string()));
                }
            }
            true
        }
        None => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    struct Rec(HashMap<String, String>);
    impl FieldLookup for Rec {
        fn lookup(&self, name: &str) -> Option<&str> {
            self.0.get(name).map(|s| s.as_str())
        }
    }

    fn rec(pairs: &[(&str, &str)]) -> Rec {
        Rec(pairs
            .iter()
            .map(|(k, v)| (k.to_ascii_lowercase(), v.to_string()))
            .collect())
    }

    fn cond(yaml: &str) -> Condition {
        let spec: ConditionSpec = serde_yaml_ng::from_str(yaml).unwrap();
        Condition::compile(&spec).unwrap()
    }

    #[test]
    fn like_matches_powershell_semantics() {
        let c = cond(
            "all:\n - {field: AnchorMailbox, like: 'ServerInfo~*/*'}\n - {field: AnchorMailbox, not: true, like: ['ServerInfo~*/autodiscover*', 'ServerInfo~localhost*/*']}",
        );
        let hit = rec(&[(
            "AnchorMailbox",
            "ServerInfo~a]@ex01:444/ecp/proxyLogon.ecp?#",
        )]);
        let auto = rec(&[(
            "AnchorMailbox",
            "ServerInfo~a]@ex01:444/autodiscover/autodiscover.xml?#",
        )]);
        let local = rec(&[("AnchorMailbox", "ServerInfo~localhost/ecp/default.flt?")]);
        let benign = rec(&[("AnchorMailbox", "Server~ex01~1942062522")]);
        assert!(c.eval(&mut EvalCtx::new(&hit)));
        assert!(!c.eval(&mut EvalCtx::new(&auto)));
        assert!(!c.eval(&mut EvalCtx::new(&local)));
        assert!(!c.eval(&mut EvalCtx::new(&benign)));
        assert_eq!(c.required_literals(), Some(vec!["serverinfo~".into()]));
    }

    #[test]
    fn captures_flow_to_later_conditions() {
        let c = cond(
            r#"all:
 - {field: _raw, regex: "Download failed and temporary file '?(?P<path>[^']*?)'? needs to be removed"}
 - {field: $path, not: true, contains: '\clientaccess\oab\'}"#,
        );
        let bad = rec(&[(
            "_raw",
            r"x,Download failed and temporary file 'C:\inetpub\wwwroot\aspnet_client\a.aspx' needs to be removed",
        )]);
        let good = rec(&[(
            "_raw",
            r"x,Download failed and temporary file 'C:\Program Files\Microsoft\Exchange Server\V15\ClientAccess\OAB\Temp\x.lzx' needs to be removed",
        )]);
        let mut ctx = EvalCtx::new(&bad);
        assert!(c.eval(&mut ctx));
        assert_eq!(
            ctx.captures()[0].1,
            r"C:\inetpub\wwwroot\aspnet_client\a.aspx"
        );
        assert!(!c.eval(&mut EvalCtx::new(&good)));
    }

    #[test]
    fn empty_and_missing_fields() {
        let c = cond("{field: AuthenticatedUser, empty: true}");
        assert!(c.eval(&mut EvalCtx::new(&rec(&[("AuthenticatedUser", "")]))));
        assert!(c.eval(&mut EvalCtx::new(&rec(&[]))));
        assert!(!c.eval(&mut EvalCtx::new(&rec(&[("AuthenticatedUser", "x")]))));
        let c = cond("{field: ua, contains: python}");
        assert!(
            !c.eval(&mut EvalCtx::new(&rec(&[]))),
            "missing field never matches"
        );
    }

    #[test]
    fn literals_survive_encodings() {
        let c = cond(
            "{field: 'cs(User-Agent)', contains: ['Microsoft WinRM Client', 'antSword/v2.1']}",
        );
        assert_eq!(
            c.required_literals(),
            Some(vec!["microsoft".into(), "antsword/v2.1".into()])
        );
        let c = cond("{field: x, regex: 'a.*b'}");
        assert_eq!(c.required_literals(), None);
        let c = cond("any:\n - {field: x, contains: abcd}\n - {field: y, empty: true}");
        assert_eq!(c.required_literals(), None);
    }

    #[test]
    fn malformed_conditions_are_rejected() {
        for bad in [
            "{field: x}",
            "{all: []}",
            "{field: x, contains: a, all: [{field: y, empty: true}]}",
            "{field: x, regex: '('}",
        ] {
            let spec: ConditionSpec = serde_yaml_ng::from_str(bad).unwrap();
            assert!(Condition::compile(&spec).is_err(), "{bad}");
        }
        assert!(serde_yaml_ng::from_str::<ConditionSpec>("{field: x, contain: a}").is_err());
    }

    #[test]
    fn regex_alternatives_of_one_field_share_one_regex() {
        let spec: ConditionSpec = serde_yaml_ng::from_str(
            "any:\n  - {field: CommandLine, regex: 'netsh\\s+add\\s+helper'}\n  - {field: CommandLine, regex: '\\bsc\\s+create\\b'}\n  - {field: Image, endswith: '\\sc.exe'}\n  - {field: CommandLine, regex: 'vssadmin\\s+delete'}\n",
        )
        .unwrap();
        let c = Condition::compile(&spec).unwrap();
        let Condition::Any(list) = &c else {
            panic!("{c:?}")
        };
        assert_eq!(
            list.len(),
            2,
            "three regexes on CommandLine became one: {list:?}"
        );
        let rec = |cmd: &str, image: &str| {
            Rec(HashMap::from([
                ("commandline".to_string(), cmd.to_string()),
                ("image".to_string(), image.to_string()),
            ]))
        };
        for (cmd, image, want) in [
            ("NETSH add helper x.dll", "a.exe", true),
            ("sc create svc binpath= x", "a.exe", true),
            ("vssadmin delete shadows", "a.exe", true),
            ("vssadmin list shadows", r"C:\Windows\sc.exe", true),
            ("vssadmin list shadows", "a.exe", false),
        ] {
            let r = rec(cmd, image);
            assert_eq!(c.eval(&mut EvalCtx::new(&r)), want, "{cmd} {image}");
        }
    }
}
