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
    /// `|re`.
    Regex(SigmaRegex),
    /// A value with `*`/`?` wildcards.
    Glob(super::glob::Glob),
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
/// matches. Patterns are compiled on first use: with the literal index most of them never run,
/// and compiling every one of a large rule set would cost more than the hunt. The syntax is
/// checked at load; a pattern whose compiled form is over the size limit is found when first
/// used, and reported then ([`SigmaRegex::error`]) or by `exhunt rules`, which compiles every
/// pattern.
///
/// An ASCII pattern is compiled twice, each on first need: without Unicode for ASCII values
/// (nearly all of them), with Unicode for the others. On ASCII text both match the same (`\w`,
/// `\s`, `\b`, classes and case folding differ only on other characters), and the ASCII form is
/// far smaller: SigmaHQ's `-k\s\w{1,64}` is 64 copies of Unicode's word class, 26 ms to
/// compile, and a few hundred states without it.
#[derive(Debug, Clone)]
pub struct SigmaRegex {
    pattern: String,
    compiled: Arc<OnceLock<Result<Regex, String>>>,
    ascii: Arc<OnceLock<Option<regex::bytes::Regex>>>,
}

/// The size limit of a compiled Sigma regex.
const REGEX_SIZE_LIMIT: usize = 8 << 20;

impl SigmaRegex {
    /// Check the syntax now (an error is the reason the rule is not loaded); compile on first
    /// use.
    pub fn lazy(pattern: String) -> Result<SigmaRegex, String> {
        regex_syntax::Parser::new()
            .parse(&pattern)
            .map_err(|e| e.to_string())?;
        Ok(SigmaRegex::from_wildcards(pattern))
    }

    /// Compile on first use a pattern built from escaped literals and wildcards (always valid,
    /// and small).
    pub fn from_wildcards(pattern: String) -> SigmaRegex {
        SigmaRegex {
            pattern,
            compiled: Arc::new(OnceLock::new()),
            ascii: Arc::new(OnceLock::new()),
        }
    }

    /// The pattern, flags included.
    pub fn as_str(&self) -> &str {
        &self.pattern
    }

    fn compiled(&self) -> &Result<Regex, String> {
        self.compiled.get_or_init(|| {
            RegexBuilder::new(&self.pattern)
                .size_limit(REGEX_SIZE_LIMIT)
                .build()
                .map_err(|e| e.to_string())
        })
    }

    /// The pattern without Unicode, for ASCII values; `None` when the pattern is not ASCII or
    /// needs Unicode (`\p{L}`).
    fn ascii(&self) -> Option<&regex::bytes::Regex> {
        self.ascii
            .get_or_init(|| {
                if !self.pattern.is_ascii() {
                    return None;
                }
                regex::bytes::RegexBuilder::new(&self.pattern)
                    .unicode(false)
                    .size_limit(REGEX_SIZE_LIMIT)
                    .build()
                    .ok()
            })
            .as_ref()
    }

    /// Whether the regex matches `v`. A value that is not ASCII needs the Unicode form; when
    /// that is too big to compile (reported, see [`SigmaRegex::error`]), the ASCII form is run
    /// on its bytes — its classes miss the non-ASCII letters, but a padding character can no
    /// longer switch the test off. Never, if neither form compiles.
    pub fn is_match(&self, v: &str) -> bool {
        if v.is_ascii() {
            if let Some(re) = self.ascii() {
                return re.is_match(v.as_bytes());
            }
        }
        match self.compiled() {
            Ok(re) => re.is_match(v),
            Err(_) => self.ascii().is_some_and(|re| re.is_match(v.as_bytes())),
        }
    }

    /// Why the pattern could not be compiled: with `compile_now`, compiling it if that was not
    /// done yet; without, only if some event already needed it.
    pub fn error(&self, compile_now: bool) -> Option<&str> {
        let state = if compile_now {
            Some(self.compiled())
        } else {
            self.compiled.get()
        };
        state.and_then(|r| r.as_ref().err()).map(String::as_str)
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

    /// Every regex the detection holds (`|re` values and wildcard patterns).
    pub fn regexes<'a>(&'a self, out: &mut Vec<&'a SigmaRegex>) {
        match self {
            Expr::And(l) | Expr::Or(l) => l.iter().for_each(|e| e.regexes(out)),
            Expr::Not(e) => e.regexes(out),
            Expr::Field(t) => out.extend(t.matchers.iter().filter_map(|m| match m {
                Matcher::Regex(re) => Some(re),
                Matcher::Glob(g) => Some(g.regex()),
                _ => None,
            })),
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
            Expr::Field(t) if t.field != "_text" => {
                t.field = crate::event::field_key(&map(&t.field))
            }
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
                Matcher::Glob(g) => g.is_match(v, || lowered.get_or_init(|| v.to_lowercase())),
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

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// Pieces of ASCII patterns: classes, boundaries and case folding that Unicode mode
    /// treats differently on other characters.
    fn piece() -> impl Strategy<Value = String> {
        prop::sample::select(vec![
            "a", "K", "s", "-", r"\w", r"\W", r"\s", r"\S", r"\d", r"\b", r"\B", ".", "[^a]",
            "[a-c]", r"[\w-]", "(?:a|bb)", "x{1,3}", r"\w{1,5}",
        ])
        .prop_map(str::to_string)
    }

    proptest! {
        /// On ASCII values the ASCII-only compilation of a pattern matches exactly as the
        /// Unicode one does.
        #[test]
        fn ascii_values_match_as_in_unicode_mode(
            pieces in prop::collection::vec((piece(), prop::sample::select(vec!["", "*", "+", "?"])), 1..5),
            flags in prop::sample::select(vec!["", "(?i)", "(?s)", "(?is)"]),
            hay in "[aAbBcCkKsSx0-9_ \\n-]{0,12}",
        ) {
            let pattern = format!(
                "{flags}{}",
                pieces.iter().map(|(p, q)| format!("(?:{p}){q}")).collect::<String>()
            );
            let re = SigmaRegex::lazy(pattern.clone()).unwrap();
            let unicode = Regex::new(&pattern).unwrap();
            prop_assert!(re.ascii().is_some(), "{pattern} has no ASCII form");
            prop_assert_eq!(re.is_match(&hay), unicode.is_match(&hay), "{} on {:?}", pattern, hay);
        }
    }

    #[test]
    fn values_that_are_not_ascii_use_unicode() {
        // `\w` holds `é` only in Unicode mode; the Kelvin sign folds to `k` only there.
        let re = SigmaRegex::lazy(r"^\w$".into()).unwrap();
        assert!(re.is_match("é"));
        assert!(re.is_match("e"));
        let re = SigmaRegex::lazy("(?i)^k$".into()).unwrap();
        assert!(re.is_match("\u{212A}"));
        assert!(re.is_match("K"));
        assert!(!re.is_match("x"));
    }
}
