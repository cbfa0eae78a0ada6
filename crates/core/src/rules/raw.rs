//! Raw-text filters: what a rule's condition requires of a raw log line, before any field is
//! split.
//!
//! A field condition tests a *value* (a column after unescaping); the log engine searches raw
//! *lines*. This module turns each positive field test into a regex over the raw line that
//! matches whenever the test can hold: a necessary condition, never a sufficient one, so the
//! engine may skip every line it rejects and still find exactly what a check of every line
//! finds. The translation follows how each log writes its values:
//!
//! - the text searched is ASCII-lower-cased (so that the search can be case-sensitive and use
//!   SIMD prefilters): every class gets the lower-case image of its ASCII capitals;
//! - a value never holds a line break;
//! - W3C (IIS) values never hold a space (a space in `cs(User-Agent)` is written `+`, an empty
//!   value `-`), so a class keeps to one token, which makes `.*` as selective as the field;
//! - CSV values may be quoted, with `"` doubled inside quotes;
//! - invalid UTF-8 becomes U+FFFD in the value but stays raw bytes in the line;
//! - `^`/`$` of a value sit next to a field delimiter (or the line's ends) in the raw line;
//! - `_url` (and `cs-uri` in IIS) is the stem and the query joined by `?`: the `?` may stand for
//!   the stem/query gap of the raw line;
//! - long bounded repetitions (`.{0,300}`) are relaxed to unbounded ones, which keeps the
//!   automata small.
//!
//! Conditions that cannot be translated (negations, `empty:`, regex captures, word
//! boundaries) give no filter; groups combine what their members give (`all:` needs every
//! member's filter that exists, `any:` needs one of its members, so all of them must give one).

use regex_syntax::hir::literal::{ExtractKind, Extractor};
use regex_syntax::hir::{
    Class, ClassBytes, ClassBytesRange, ClassUnicode, ClassUnicodeRange, Hir, HirKind, Look,
    Repetition,
};

use super::condition::{Condition, Op};

/// How a log kind writes values into its raw lines.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dialect {
    /// W3C extended (IIS): space-separated, `-` for empty, `+` for spaces in `cs(…)` fields.
    W3c,
    /// CSV (HttpProxy, ECP, OAB, RPS): comma-separated, RFC 4180 quoting.
    Csv,
}

/// A necessary condition on one raw line, over its ASCII-lower-cased text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RawFilter {
    /// The regex must match somewhere in the line.
    Regex(Hir),
    /// Every member must hold.
    All(Vec<RawFilter>),
    /// At least one member must hold.
    Any(Vec<RawFilter>),
}

/// Repetition bounds above this are relaxed to "unbounded" (a superset, and far smaller).
const MAX_BOUNDED_REPEAT: u32 = 8;

/// Where a condition's value comes from in the raw line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Place {
    /// `_raw`: the whole line.
    Line,
    /// One column.
    Field(Dialect),
    /// `_url`: stem `?` query, two columns.
    Url(Dialect),
}

impl Condition {
    /// The raw-line filter this condition implies in logs of `dialect`, or `None` when
    /// nothing can be required of the raw text.
    pub fn raw_filter(&self, dialect: Dialect) -> Option<RawFilter> {
        match self {
            Condition::All(list) => {
                let parts: Vec<RawFilter> =
                    list.iter().filter_map(|c| c.raw_filter(dialect)).collect();
                combine(parts, RawFilter::All)
            }
            Condition::Any(list) => {
                let parts = list
                    .iter()
                    .map(|c| c.raw_filter(dialect))
                    .collect::<Option<Vec<_>>>()?;
                combine(parts, RawFilter::Any)
            }
            Condition::None(_) => None,
            Condition::Field { negate: true, .. } => None,
            Condition::Field {
                field,
                ops,
                case_sensitive,
                ..
            } => {
                let place = match field.as_str() {
                    "_raw" => Place::Line,
                    "_url" => Place::Url(dialect),
                    "cs-uri" if dialect == Dialect::W3c => Place::Url(dialect),
                    f if f.starts_with('$') => return None,
                    _ => Place::Field(dialect),
                };
                let parts: Vec<RawFilter> = ops
                    .iter()
                    .filter_map(|op| op_filter(&op.0, *case_sensitive, place))
                    .collect();
                combine(parts, RawFilter::All)
            }
        }
    }
}

fn combine(mut parts: Vec<RawFilter>, group: fn(Vec<RawFilter>) -> RawFilter) -> Option<RawFilter> {
    match parts.len() {
        0 => None,
        1 => parts.pop(),
        _ => Some(group(parts)),
    }
}

/// One operator (any of its values) as a raw regex.
fn op_filter(op: &Op, case_sensitive: bool, place: Place) -> Option<RawFilter> {
    let patterns: Vec<String> = match op {
        Op::Equals(v) => v
            .iter()
            .map(|x| format!("^{}$", regex_syntax::escape(x)))
            .collect(),
        Op::Contains(v) => v.iter().map(|x| regex_syntax::escape(x)).collect(),
        Op::StartsWith(v) => v
            .iter()
            .map(|x| format!("^{}", regex_syntax::escape(x)))
            .collect(),
        Op::EndsWith(v) => v
            .iter()
            .map(|x| format!("{}$", regex_syntax::escape(x)))
            .collect(),
        Op::Regex(res) => res.iter().map(|r| r.as_str().to_string()).collect(),
        Op::Empty(_) => return None,
    };
    if patterns.is_empty() {
        return None;
    }
    let mut alternatives = Vec::with_capacity(patterns.len());
    for p in &patterns {
        let hir = regex_syntax::ParserBuilder::new()
            .case_insensitive(!case_sensitive)
            .build()
            .parse(p)
            .ok()?;
        // A test that an empty value passes requires nothing of the raw text.
        if hir.properties().minimum_len().unwrap_or(0) == 0 {
            return None;
        }
        alternatives.push(to_raw(&hir, place)?);
    }
    Some(RawFilter::Regex(Hir::alternation(alternatives)))
}

/// Translate a value regex into a raw-line regex (see the module documentation).
fn to_raw(hir: &Hir, place: Place) -> Option<Hir> {
    Some(match hir.kind() {
        HirKind::Empty => Hir::empty(),
        HirKind::Literal(lit) => {
            let text = std::str::from_utf8(&lit.0).ok()?;
            Hir::concat(
                text.chars()
                    .map(|c| raw_class(&ClassUnicode::new([ClassUnicodeRange::new(c, c)]), place))
                    .collect(),
            )
        }
        HirKind::Class(Class::Unicode(cls)) => raw_class(cls, place),
        HirKind::Class(Class::Bytes(_)) => return None,
        HirKind::Look(look) => match look {
            Look::Start | Look::StartLF | Look::StartCRLF => value_start(place),
            Look::End | Look::EndLF | Look::EndCRLF => value_end(place),
            _ => return None,
        },
        HirKind::Repetition(rep) => {
            let sub = to_raw(&rep.sub, place)?;
            let relax = rep.max.is_none_or(|m| m > MAX_BOUNDED_REPEAT);
            Hir::repetition(Repetition {
                min: rep.min.min(MAX_BOUNDED_REPEAT),
                max: if relax { None } else { rep.max },
                greedy: rep.greedy,
                sub: Box::new(sub),
            })
        }
        HirKind::Capture(cap) => to_raw(&cap.sub, place)?,
        HirKind::Concat(subs) => Hir::concat(
            subs.iter()
                .map(|h| to_raw(h, place))
                .collect::<Option<Vec<_>>>()?,
        ),
        HirKind::Alternation(subs) => Hir::alternation(
            subs.iter()
                .map(|h| to_raw(h, place))
                .collect::<Option<Vec<_>>>()?,
        ),
    })
}

fn has(cls: &ClassUnicode, c: char) -> bool {
    cls.ranges().iter().any(|r| r.start() <= c && c <= r.end())
}

fn chars(list: &[char]) -> ClassUnicode {
    ClassUnicode::new(list.iter().map(|&c| ClassUnicodeRange::new(c, c)))
}

/// One character position of the value, as the raw line can show it.
fn raw_class(cls: &ClassUnicode, place: Place) -> Hir {
    let mut raw = cls.clone();
    // Lower-cased text: capitals become their lower-case letters.
    let upper = ClassUnicode::new([ClassUnicodeRange::new('A', 'Z')]);
    let mut caps = cls.clone();
    caps.intersect(&upper);
    let lowered = ClassUnicode::new(caps.ranges().iter().map(|r| {
        ClassUnicodeRange::new(r.start().to_ascii_lowercase(), r.end().to_ascii_lowercase())
    }));
    raw.union(&lowered);
    raw.difference(&upper);
    raw.difference(&chars(&['\n']));
    let mut alternatives = Vec::new();
    match place {
        Place::Line => {}
        Place::Field(Dialect::W3c) | Place::Url(Dialect::W3c) => {
            if has(cls, ' ') {
                raw.union(&chars(&['+']));
            }
            raw.difference(&chars(&[' ']));
            // The `?` joining stem and query is the space between the two columns.
            if matches!(place, Place::Url(_)) && has(cls, '?') {
                raw.union(&chars(&[' ']));
            }
        }
        Place::Field(Dialect::Csv) | Place::Url(Dialect::Csv) => {
            if has(cls, '"') {
                alternatives.push(Hir::literal(*b"\"\""));
            }
            // Stem and query are columns apart: the `?` may stand for anything between them.
            if matches!(place, Place::Url(_)) && has(cls, '?') {
                alternatives.push(Hir::repetition(Repetition {
                    min: 0,
                    max: None,
                    greedy: true,
                    sub: Box::new(Hir::class(Class::Unicode(negated(&['\n'])))),
                }));
            }
        }
    }
    if has(cls, '\u{FFFD}') {
        // Invalid UTF-8 in the line is U+FFFD in the value.
        alternatives.push(Hir::repetition(Repetition {
            min: 1,
            max: None,
            greedy: true,
            sub: Box::new(Hir::class(Class::Bytes(ClassBytes::new([
                ClassBytesRange::new(0x80, 0xFF),
            ])))),
        }));
    }
    let class = Hir::class(Class::Unicode(raw));
    if alternatives.is_empty() {
        class
    } else {
        alternatives.insert(0, class);
        Hir::alternation(alternatives)
    }
}

fn negated(list: &[char]) -> ClassUnicode {
    let mut c = chars(list);
    c.negate();
    c
}

/// Where a value starts in the raw line: the line start, or just after a delimiter (the
/// delimiter is consumed, which a filter may do).
fn value_start(place: Place) -> Hir {
    let delimiters: &[char] = match place {
        Place::Line => &[],
        Place::Field(Dialect::W3c) | Place::Url(Dialect::W3c) => &[' '],
        Place::Field(Dialect::Csv) | Place::Url(Dialect::Csv) => &[',', '"'],
    };
    let mut alternatives = vec![Hir::look(Look::StartLF)];
    if !delimiters.is_empty() {
        alternatives.push(Hir::class(Class::Unicode(chars(delimiters))));
    }
    Hir::alternation(alternatives)
}

/// Where a value ends in the raw line: the line end, a delimiter, or the `\r`/NUL padding the
/// reader strips from the end of a line.
fn value_end(place: Place) -> Hir {
    let followers: &[char] = match place {
        Place::Line => &['\r', '\0'],
        Place::Field(Dialect::W3c) | Place::Url(Dialect::W3c) => &[' ', '\r', '\0'],
        Place::Field(Dialect::Csv) | Place::Url(Dialect::Csv) => &[',', '"', '\r', '\0'],
    };
    Hir::alternation(vec![
        Hir::look(Look::EndLF),
        Hir::class(Class::Unicode(chars(followers))),
    ])
}

impl RawFilter {
    /// Evaluate with `matched(leaf)` telling whether each regex matched the line.
    pub fn eval(&self, matched: &mut impl FnMut(&Hir) -> bool) -> bool {
        match self {
            RawFilter::Regex(h) => matched(h),
            RawFilter::All(list) => list.iter().all(|f| f.eval(matched)),
            RawFilter::Any(list) => list.iter().any(|f| f.eval(matched)),
        }
    }

    /// Every regex of the filter.
    pub fn leaves<'a>(&'a self, out: &mut Vec<&'a Hir>) {
        match self {
            RawFilter::Regex(h) => out.push(h),
            RawFilter::All(list) | RawFilter::Any(list) => list.iter().for_each(|f| f.leaves(out)),
        }
    }

    /// Regexes of which one matches in every line the filter passes, chosen to be cheap to
    /// search for across a whole buffer: from an `all:` group, the member with the longest
    /// literal prefixes (a search engine's prefilter looks for those); a member whose prefixes
    /// are short or unknown is replaced by its literal suffixes when those are better.
    /// `None` when some branch has nothing worth searching for.
    pub fn finder(&self) -> Option<Vec<Hir>> {
        match self {
            RawFilter::Regex(h) => Some(vec![searchable(h)]),
            RawFilter::All(list) => list
                .iter()
                .filter_map(RawFilter::finder)
                .max_by_key(|alts| finder_score(alts)),
            RawFilter::Any(list) => {
                let mut out = Vec::new();
                for f in list {
                    out.extend(f.finder()?);
                }
                Some(out)
            }
        }
    }
}

/// Shortest literal a searcher could look for first in `hir` (0: none), by prefix.
fn prefix_len(hir: &Hir) -> usize {
    literal_len(hir, ExtractKind::Prefix)
}

fn literal_len(hir: &Hir, kind: ExtractKind) -> usize {
    let seq = Extractor::new().kind(kind).extract(hir);
    if !seq.is_finite() {
        return 0;
    }
    seq.min_literal_len().unwrap_or(0)
}

/// The finder's score: its weakest alternative's prefix length.
fn finder_score(alts: &[Hir]) -> usize {
    alts.iter().map(prefix_len).min().unwrap_or(0)
}

/// Shortest literal worth a prefilter.
const GOOD_LITERAL: usize = 3;

/// `hir` itself when its prefixes are good; else its literal suffixes (each match ends with one
/// of them) when they are longer.
fn searchable(hir: &Hir) -> Hir {
    let prefix = prefix_len(hir);
    if prefix >= GOOD_LITERAL {
        return hir.clone();
    }
    let seq = Extractor::new().kind(ExtractKind::Suffix).extract(hir);
    match (seq.literals(), seq.min_literal_len()) {
        (Some(lits), Some(n)) if n > prefix && n >= GOOD_LITERAL => Hir::alternation(
            lits.iter()
                .map(|l| Hir::literal(l.as_bytes().to_vec()))
                .collect(),
        ),
        _ => hir.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::condition::{ConditionSpec, EvalCtx, FieldLookup};
    use std::collections::HashMap;

    fn cond(yaml: &str) -> Condition {
        let spec: ConditionSpec = serde_yaml_ng::from_str(yaml).unwrap();
        Condition::compile(&spec).unwrap()
    }

    fn is_match(hir: &Hir, line: &str) -> bool {
        let re = regex_automata::meta::Regex::builder()
            .configure(regex_automata::meta::Config::new().utf8_empty(false))
            .build_from_hir(hir)
            .unwrap();
        re.is_match(line.to_ascii_lowercase().as_bytes())
    }

    fn passes(f: &RawFilter, line: &str) -> bool {
        f.eval(&mut |h| is_match(h, line))
    }

    struct Rec(HashMap<String, String>);
    impl FieldLookup for Rec {
        fn lookup(&self, name: &str) -> Option<&str> {
            self.0.get(name).map(String::as_str)
        }
    }

    #[test]
    fn w3c_fields_stay_in_their_token() {
        let c = cond(r"{field: cs-uri-stem, regex: '^/owa/auth/.*\.(aspx|ashx|asmx)$'}");
        let f = c.raw_filter(Dialect::W3c).unwrap();
        assert!(passes(
            &f,
            "2021-03-03 00:00:00 10.0.0.1 POST /OWA/auth/x.ASPX - 443 -"
        ));
        assert!(passes(&f, "/owa/auth/x.aspx"));
        // The literal is there, but `.aspx` is in another token: no candidate.
        assert!(!passes(&f, "GET /owa/auth/logon.css x.aspx 443"));
        assert!(!passes(&f, "GET /owa/auth/x.aspxy - 443"));
    }

    #[test]
    fn w3c_spaces_are_plus_signs() {
        let c = cond("{field: 'cs(User-Agent)', contains: 'Microsoft WinRM Client'}");
        let f = c.raw_filter(Dialect::W3c).unwrap();
        assert!(passes(
            &f,
            "POST /powershell - 80 - 10.0.0.1 Microsoft+WinRM+Client -"
        ));
        assert!(!passes(
            &f,
            "POST /powershell - 80 - 10.0.0.1 Microsoft+WinRM - Client"
        ));
    }

    #[test]
    fn csv_quoted_values_and_doubled_quotes() {
        let c = cond(r#"{field: UserAgent, contains: 'say "hi"'}"#);
        let f = c.raw_filter(Dialect::Csv).unwrap();
        assert!(passes(&f, r#"a,"say ""hi"", friend",b"#));
        assert!(passes(&f, r#"a,say "hi",b"#));
        assert!(!passes(&f, "a,say hi,b"));
        let c = cond("{field: AnchorMailbox, like: 'ServerInfo~*/*'}");
        let f = c.raw_filter(Dialect::Csv).unwrap();
        assert!(passes(&f, "x,ServerInfo~a]@ex01:444/ecp/y.js?#,y"));
        assert!(passes(&f, r#"x,"ServerInfo~a]@ex01:444/ecp/y.js?a,b#",y"#));
        assert!(
            !passes(&f, "x,Smtp~ServerInfo~a/,y"),
            "not at the start of a value"
        );
    }

    #[test]
    fn url_joins_stem_and_query() {
        let c = cond("{field: _url, contains: 'autodiscover.json?@'}");
        let w3c = c.raw_filter(Dialect::W3c).unwrap();
        assert!(passes(
            &w3c,
            "POST /autodiscover/autodiscover.json @x/powershell 443"
        ));
        assert!(!passes(
            &w3c,
            "POST /autodiscover/autodiscover.json Email=a%40b 443"
        ));
        let csv = c.raw_filter(Dialect::Csv).unwrap();
        assert!(passes(
            &csv,
            "t,/autodiscover/autodiscover.json,a,b,?@x/powershell,c"
        ));
        let c = cond(r"{field: _url, regex: 'autodiscover\.json.*(@|%40).*powershell'}");
        let w3c = c.raw_filter(Dialect::W3c).unwrap();
        assert!(passes(
            &w3c,
            "POST /autodiscover/autodiscover.json @x/PowerShell/ 443"
        ));
        assert!(!passes(
            &w3c,
            "GET /autodiscover/autodiscover.json Email=a%40b 443 - 1.2.3.4 Outlook"
        ));
    }

    #[test]
    fn what_cannot_be_required_gives_no_filter() {
        for yaml in [
            "{field: a, not: true, contains: abc}",
            "{field: a, empty: false}",
            "{field: a, regex: 'x*'}",
            "{field: $path, contains: abc}",
            r"{field: a, regex: '\bword\b'}",
            "any:\n - {field: a, contains: abc}\n - {field: b, empty: true}",
        ] {
            assert_eq!(cond(yaml).raw_filter(Dialect::W3c), None, "{yaml}");
        }
        let c = cond("all:\n - {field: a, contains: abc}\n - {field: b, empty: true}");
        assert!(c.raw_filter(Dialect::Csv).is_some());
    }

    #[test]
    fn finder_prefers_the_most_selective_member() {
        let c = cond(
            "all:\n - {field: cs-method, equals: POST}\n - {field: cs-uri-stem, like: '/owa/auth/Current/themes/resources/*'}",
        );
        let f = c.raw_filter(Dialect::W3c).unwrap();
        let finder = f.finder().unwrap();
        assert_eq!(finder.len(), 1);
        assert!(is_match(
            &finder[0],
            "x /owa/auth/current/themes/resources/a.css y"
        ));
        assert!(!is_match(&finder[0], "x POST y"));
    }

    #[test]
    fn a_raw_filter_never_rejects_a_line_the_condition_accepts() {
        // Values as the W3C writer spells them, and what the condition sees.
        let c = cond(
            r"all:
 - {field: cs-method, equals: post}
 - {field: 'cs(user-agent)', regex: 'Python-Requests/2\.\d+ \(X\)'}
 - {field: cs-uri-stem, like: '/ECP/?.js'}",
        );
        let rec = Rec([
            ("cs-method", "POST"),
            ("cs(user-agent)", "python-requests/2.25 (x)"),
            ("cs-uri-stem", "/ecp/y.js"),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect());
        assert!(c.eval(&mut EvalCtx::new(&rec)));
        let f = c.raw_filter(Dialect::W3c).unwrap();
        assert!(passes(
            &f,
            "2021-03-03 02:41:27 10.0.0.5 POST /ecp/y.js - 443 - 1.2.3.4 python-requests/2.25+(x) - 200 0 0 1"
        ));
    }
}
