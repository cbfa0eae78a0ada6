//! The compiled form of a Sigma detection and its evaluation against an [`Event`].

use std::sync::{Arc, OnceLock};

use exhunt_core::rules::condition::FieldLookup;
use regex::{Regex, RegexBuilder};

use crate::event::Event;

/// A compiled Sigma detection.
#[derive(Debug, Clone)]
pub enum Expr {
    /// Every child holds.
    And(Vec<Expr>),
    /// At least one child holds.
    Or(Vec<Expr>),
    /// The child does not hold.
    Not(Box<Expr>),
    /// A test of one field.
    Field(FieldTest),
}

/// A test of one field: any matcher (or, with `|all`, every matcher) holds.
#[derive(Debug, Clone)]
pub struct FieldTest {
    /// Lower-cased field name (`_text` for keywords).
    pub field: String,
    /// The values' matchers.
    pub matchers: Vec<Matcher>,
    /// `|all`: every matcher must hold.
    pub all: bool,
}

/// How one value is compared.
#[derive(Debug, Clone)]
pub enum Matcher {
    /// Whole value equals (lower-cased unless `cased`).
    Exact(String, bool),
    /// Value contains.
    Contains(String, bool),
    /// Value starts with.
    StartsWith(String, bool),
    /// Value ends with.
    EndsWith(String, bool),
    /// Wildcard pattern or `|re`, as a regex.
    Regex(SigmaRegex),
    /// `null`: the field is absent (the Sigma specification tells `null` from the empty
    /// value `''`; an EventData element rendered as JSON null counts as absent).
    Null,
    /// `|exists`.
    Exists(bool),
    /// `|gt`, `|gte`, `|lt`, `|lte`.
    Num(NumOp, f64),
    /// `|cidr`.
    Cidr(ipnet::IpNet),
    /// `|fieldref`: equals another field (lower-cased name).
    FieldRef(String),
}

/// A Sigma regex with its flags written inline (`(?is)…`), so that its text alone says what it
/// matches. Wildcard patterns are compiled on first use: with the literal index most of them
/// never run, and compiling thousands of them would cost more than the hunt.
#[derive(Debug, Clone)]
pub struct SigmaRegex {
    pattern: String,
    compiled: Arc<OnceLock<Option<Regex>>>,
}

/// The size limit of a compiled Sigma regex.
const REGEX_SIZE_LIMIT: usize = 8 << 20;

impl SigmaRegex {
    /// Compile now (for `|re` values, so that a pattern too big is reported at load).
    pub fn compile(pattern: String) -> Result<SigmaRegex, String> {
        let re = RegexBuilder::new(&pattern)
            .size_limit(REGEX_SIZE_LIMIT)
            .build()
            .map_err(|e| e.to_string())?;
        Ok(SigmaRegex {
            pattern,
            compiled: Arc::new(OnceLock::from(Some(re))),
        })
    }

    /// Check the syntax now and compile on first use — unless the pattern is large enough that
    /// it might exceed the size limit, which is then reported at load.
    pub fn lazy(pattern: String) -> Result<SigmaRegex, String> {
        let hir = regex_syntax::Parser::new()
            .parse(&pattern)
            .map_err(|e| e.to_string())?;
        if pattern.len() > 512 || has_big_repetition(&hir) {
            return SigmaRegex::compile(pattern);
        }
        Ok(SigmaRegex {
            pattern,
            compiled: Arc::new(OnceLock::new()),
        })
    }

    /// Compile on first use a pattern built from escaped literals and wildcards (always valid,
    /// and small).
    pub fn from_wildcards(pattern: String) -> SigmaRegex {
        SigmaRegex {
            pattern,
            compiled: Arc::new(OnceLock::new()),
        }
    }

    /// The pattern, flags included.
    pub fn as_str(&self) -> &str {
        &self.pattern
    }

    /// Whether the regex matches `v` (never, if it could not be compiled).
    pub fn is_match(&self, v: &str) -> bool {
        self.compiled
            .get_or_init(|| {
                RegexBuilder::new(&self.pattern)
                    .size_limit(REGEX_SIZE_LIMIT)
                    .build()
                    .ok()
            })
            .as_ref()
            .is_some_and(|re| re.is_match(v))
    }
}

/// A counted repetition large enough to make a compiled regex big.
fn has_big_repetition(hir: &regex_syntax::hir::Hir) -> bool {
    use regex_syntax::hir::HirKind;
    match hir.kind() {
        HirKind::Repetition(r) => {
            r.min > 32 || r.max.is_some_and(|m| m > 32) || has_big_repetition(&r.sub)
        }
        HirKind::Capture(c) => has_big_repetition(&c.sub),
        HirKind::Concat(l) | HirKind::Alternation(l) => l.iter().any(has_big_repetition),
        _ => false,
    }
}

/// Numeric comparison operators.
#[derive(Debug, Clone, Copy)]
pub enum NumOp {
    /// `>`
    Gt,
    /// `>=`
    Gte,
    /// `<`
    Lt,
    /// `<=`
    Lte,
}

impl Expr {
    /// Evaluate against an event.
    pub fn eval(&self, ev: &Event) -> bool {
        match self {
            Expr::And(l) => l.iter().all(|e| e.eval(ev)),
            Expr::Or(l) => l.iter().any(|e| e.eval(ev)),
            Expr::Not(e) => !e.eval(ev),
            Expr::Field(t) => t.eval(ev),
        }
    }

    /// Field names read (lower-cased).
    pub fn fields(&self, out: &mut Vec<String>) {
        match self {
            Expr::And(l) | Expr::Or(l) => l.iter().for_each(|e| e.fields(out)),
            Expr::Not(e) => e.fields(out),
            Expr::Field(t) => {
                if t.field != "_text" && !out.contains(&t.field) {
                    out.push(t.field.clone());
                }
            }
        }
    }

    /// Rename every field (lower case in, lower case out) for a logsource whose events name
    /// them differently; keywords (`_text`) keep their name.
    pub fn rename(&mut self, map: &dyn Fn(&str) -> String) {
        match self {
            Expr::And(l) | Expr::Or(l) => l.iter_mut().for_each(|e| e.rename(map)),
            Expr::Not(e) => e.rename(map),
            Expr::Field(t) if t.field != "_text" => t.field = map(&t.field).to_ascii_lowercase(),
            Expr::Field(_) => {}
        }
    }

    /// Field names tested under a negation (`not filter`): where such a field is missing, the
    /// filter cannot exclude anything.
    pub fn negated_fields(&self, out: &mut Vec<String>) {
        self.negated_into(false, out);
    }

    fn negated_into(&self, negated: bool, out: &mut Vec<String>) {
        match self {
            Expr::And(l) | Expr::Or(l) => l.iter().for_each(|e| e.negated_into(negated, out)),
            Expr::Not(e) => e.negated_into(!negated, out),
            Expr::Field(t) => {
                if negated && t.field != "_text" && !out.contains(&t.field) {
                    out.push(t.field.clone());
                }
            }
        }
    }

    /// Event ids this detection requires (an `EventID` test every match must pass), if any.
    pub fn required_event_ids(&self) -> Option<Vec<u32>> {
        match self {
            Expr::Field(t) if t.field == "eventid" && !t.all => t
                .matchers
                .iter()
                .map(|m| match m {
                    Matcher::Exact(s, _) => s.parse().ok(),
                    _ => None,
                })
                .collect(),
            Expr::And(l) => {
                let sets: Vec<Vec<u32>> = l.iter().filter_map(Expr::required_event_ids).collect();
                let mut it = sets.into_iter();
                let first = it.next()?;
                Some(it.fold(first, |acc, s| {
                    acc.into_iter().filter(|x| s.contains(x)).collect()
                }))
            }
            Expr::Or(l) => {
                let mut out = Vec::new();
                for e in l {
                    for id in e.required_event_ids()? {
                        if !out.contains(&id) {
                            out.push(id);
                        }
                    }
                }
                Some(out)
            }
            _ => None,
        }
    }
}

impl FieldTest {
    fn eval(&self, ev: &Event) -> bool {
        let value = ev.lookup(&self.field);
        // Lower-cased once for every case-insensitive matcher of the test.
        let lowered: OnceLock<String> = OnceLock::new();
        let test = |m: &Matcher| matches(m, value, ev, &lowered);
        if self.all {
            self.matchers.iter().all(test)
        } else {
            self.matchers.iter().any(test)
        }
    }
}

fn cmp_text<'a>(v: &'a str, cased: bool, lowered: &'a OnceLock<String>) -> &'a str {
    if cased || !v.bytes().any(|b| b.is_ascii_uppercase() || b >= 0x80) {
        v
    } else {
        lowered.get_or_init(|| v.to_lowercase())
    }
}

fn matches(m: &Matcher, value: Option<&str>, ev: &Event, lowered: &OnceLock<String>) -> bool {
    match m {
        Matcher::Null => value.is_none(),
        Matcher::Exists(want) => value.is_some() == *want,
        _ if value.is_none() => false,
        _ => {
            let v = value.unwrap_or("");
            match m {
                Matcher::Exact(s, cased) => cmp_text(v, *cased, lowered) == s,
                Matcher::Contains(s, cased) => cmp_text(v, *cased, lowered).contains(s.as_str()),
                Matcher::StartsWith(s, cased) => {
                    cmp_text(v, *cased, lowered).starts_with(s.as_str())
                }
                Matcher::EndsWith(s, cased) => cmp_text(v, *cased, lowered).ends_with(s.as_str()),
                Matcher::Regex(re) => re.is_match(v),
                Matcher::Num(op, n) => v.trim().parse::<f64>().is_ok_and(|x| match op {
                    NumOp::Gt => x > *n,
                    NumOp::Gte => x >= *n,
                    NumOp::Lt => x < *n,
                    NumOp::Lte => x <= *n,
                }),
                Matcher::Cidr(net) => v
                    .trim()
                    .trim_start_matches("::ffff:")
                    .parse::<std::net::IpAddr>()
                    .is_ok_and(|ip| net.contains(&ip)),
                Matcher::FieldRef(other) => ev.lookup(other).is_some_and(|o| o == v),
                Matcher::Null | Matcher::Exists(_) => unreachable_false(),
            }
        }
    }
}

/// Arms handled before the value is read.
fn unreachable_false() -> bool {
    false
}
