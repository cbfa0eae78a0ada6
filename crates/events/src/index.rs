//! The literal index: which rules an event can still match, found by one automaton per field.
//!
//! Channel and event id narrow a record to the rules of its kind — for Sysmon 1 that is still a
//! thousand Sigma process-creation rules. Nearly every one of them requires some literal of some
//! field (`Image|endswith: '\whoami.exe'`, `CommandLine|contains: ' -enc '`…). From each rule
//! variant the index derives its requirements as clauses that must all be met, each a set of
//! (field, literal) pairs of which at least one must occur, case-insensitively: an `and` gives
//! every member's clauses (up to four, the most selective), an `or` one clause with each
//! member's most selective one; `not`, numbers, CIDR, `exists` and keyword searches give none.
//! A literal longer than 12 bytes is indexed by a 12-byte window of it. The literals of each
//! field go into one Aho-Corasick automaton. For an event, each field's value is searched once,
//! and only the variants whose every clause was met — plus those with no requirement — are
//! evaluated. The search costs about the length of the event's values; what still grows with
//! the rule count is the matches it reports and the rules it lets through (measured in
//! `bench/SIGMA_RESULTS.md`: 0.23 rule checks per event with 200 SigmaHQ rules, 2.6 with 2,407).
//!
//! The search runs over ASCII-lower-cased values. A value with any non-ASCII character (`®` in
//! a Sysmon `Product`) is not searched: every variant with a requirement on that field is kept,
//! since Unicode case folding (the Kelvin sign is a `k`, `İ` lower-cases to `i` plus a dot)
//! could match there what an ASCII search cannot. For ASCII values the translation is exact: a
//! literal that is not ASCII can never occur (such a test only needs the field to be non-ASCII),
//! and regex literals are taken from the pattern folded to ASCII lower case.

use std::collections::HashMap;
use std::sync::OnceLock;

use rayon::prelude::*;

use aho_corasick::{AhoCorasick, AhoCorasickBuilder, AhoCorasickKind, MatchKind};
use regex_syntax::hir::literal::{ExtractKind, Extractor};
use regex_syntax::hir::{
    Class, ClassBytes, ClassBytesRange, ClassUnicode, ClassUnicodeRange, Hir, HirKind, Repetition,
};

use crate::engine::{Logic, Variant};
use crate::event::Event;
use crate::sigma::expr::{Expr, FieldTest, Matcher};
use exhunt_core::rules::condition::{Condition, OpView};

/// One way a requirement is met: the lower-cased field holds the ASCII-lower-cased literal, or
/// (`None`) the field's value is not all ASCII.
type Need = (String, Option<Vec<u8>>);

/// One requirement of a variant: a list of needs of which one must be met.
type Clause = Vec<Need>;

/// Most clauses kept per variant (the most selective ones).
const MAX_CLAUSES: usize = 4;

/// The literal index over a set of rule variants.
#[derive(Debug, Default)]
pub struct LiteralIndex {
    /// Per field (lower-cased name): its automaton and, per pattern, the clauses it serves.
    fields: HashMap<String, FieldAutomaton>,
    /// Per variant: its clauses, as a range of clause ids; every one must be met. An empty
    /// range: nothing is required, the variant is always a candidate.
    clauses: Vec<std::ops::Range<u32>>,
    /// Number of clauses of all variants.
    clause_count: usize,
}

#[derive(Debug)]
struct FieldAutomaton {
    /// The literals, compiled on first use (fields no event holds cost nothing).
    literals: Vec<Vec<u8>>,
    ac: OnceLock<Option<AhoCorasick>>,
    /// Per pattern: the clauses it meets.
    clauses: Vec<Vec<u32>>,
    /// Every clause with a need on this field (met when the value is not ASCII).
    any: Vec<u32>,
}

/// Which variants an event can match: the result of [`LiteralIndex::scan`].
#[derive(Debug, Default)]
pub struct Hits {
    /// Marks per clause.
    met: Vec<bool>,
}

impl Hits {
    /// Whether variant `v` can still match: every clause of it is met.
    pub fn admits(&self, index: &LiteralIndex, v: usize) -> bool {
        index
            .clauses
            .get(v)
            .is_none_or(|r| r.clone().all(|c| self.met[c as usize]))
    }
}

impl LiteralIndex {
    /// Build the index of `variants`.
    pub fn new(variants: &[Variant]) -> LiteralIndex {
        #[derive(Default)]
        struct Building {
            literals: Vec<Vec<u8>>,
            position: HashMap<Vec<u8>, usize>,
            serves: Vec<Vec<u32>>,
            any: Vec<u32>,
        }
        let mut per_field: HashMap<String, Building> = HashMap::new();
        let requirements: Vec<Vec<Clause>> = variants
            .par_iter()
            .map(|v| {
                let mut clauses = match &v.logic {
                    Logic::Sigma(expr) => requirement(expr),
                    Logic::Native(c) => native_requirement(c),
                };
                // The most selective first; a few are enough to dismiss nearly every event.
                clauses.sort_by_key(|c| std::cmp::Reverse(score(c)));
                clauses.truncate(MAX_CLAUSES);
                clauses
            })
            .collect();
        let mut ranges = Vec::with_capacity(variants.len());
        let mut next: u32 = 0;
        for clauses in requirements {
            let first = next;
            for needs in clauses {
                let ci = next;
                next += 1;
                for (field, lit) in needs {
                    let b = per_field.entry(field).or_default();
                    if b.any.last() != Some(&ci) {
                        b.any.push(ci);
                    }
                    let Some(lit) = lit else { continue };
                    let lit = representative(lit);
                    let p = match b.position.get(&lit) {
                        Some(&p) => p,
                        None => {
                            b.position.insert(lit.clone(), b.literals.len());
                            b.literals.push(lit);
                            b.serves.push(Vec::new());
                            b.literals.len() - 1
                        }
                    };
                    if b.serves[p].last() != Some(&ci) {
                        b.serves[p].push(ci);
                    }
                }
            }
            ranges.push(first..next);
        }
        let fields = per_field
            .into_iter()
            .map(|(field, b)| {
                let fa = FieldAutomaton {
                    literals: b.literals,
                    ac: OnceLock::new(),
                    clauses: b.serves,
                    any: b.any,
                };
                (field, fa)
            })
            .collect();
        LiteralIndex {
            fields,
            clauses: ranges,
            clause_count: next as usize,
        }
    }

    /// Whether variant `v` has a requirement.
    pub fn is_indexed(&self, v: usize) -> bool {
        self.clauses.get(v).is_some_and(|r| !r.is_empty())
    }

    /// Number of variants with a requirement.
    pub fn indexed_len(&self) -> usize {
        self.clauses.iter().filter(|r| !r.is_empty()).count()
    }

    /// Search the event's values; `hits` is reused between events.
    pub fn scan(&self, ev: &Event, hits: &mut Hits) {
        hits.met.clear();
        hits.met.resize(self.clause_count, false);
        let mut lower = Vec::new();
        for (name, value) in ev.lower_fields() {
            let Some(fa) = self.fields.get(name) else {
                continue;
            };
            if !value.is_ascii() {
                for &ci in &fa.any {
                    hits.met[ci as usize] = true;
                }
                continue;
            }
            let Some(ac) = fa.automaton() else {
                // No automaton could be built: every clause of the field counts as met.
                for &ci in &fa.any {
                    hits.met[ci as usize] = true;
                }
                continue;
            };
            let hay: &[u8] = if value.bytes().any(|b| b.is_ascii_uppercase()) {
                lower.clear();
                lower.extend(value.bytes().map(|b| b.to_ascii_lowercase()));
                &lower
            } else {
                value.as_bytes()
            };
            for m in ac.find_overlapping_iter(hay) {
                for &ci in &fa.clauses[m.pattern().as_usize()] {
                    hits.met[ci as usize] = true;
                }
            }
        }
    }
}

impl FieldAutomaton {
    fn automaton(&self) -> Option<&AhoCorasick> {
        self.ac
            .get_or_init(|| {
                AhoCorasickBuilder::new()
                    .match_kind(MatchKind::Standard)
                    .kind(Some(AhoCorasickKind::ContiguousNFA))
                    .build(&self.literals)
                    .ok()
            })
            .as_ref()
    }
}

/// Longest literal the automata hold. A field holding a literal holds each of its parts, so a
/// long literal is indexed by one 12-byte window of it: the automata stay small (the 5,600
/// hashes of SigmaHQ's driver rules are 277 KB as written, and the automaton over them took
/// 30 ms to build), and 12 bytes are still rare in event values.
const MAX_INDEXED_LITERAL: usize = 12;

/// The window of `lit` the index searches for: the whole literal when short, else the window
/// of [`MAX_INDEXED_LITERAL`] bytes with the most distinct bytes (a run of one repeated
/// character is the least telling), the last one on ties (file names end paths).
fn representative(lit: Vec<u8>) -> Vec<u8> {
    let max = MAX_INDEXED_LITERAL;
    if lit.len() <= max {
        return lit;
    }
    let distinct = |w: &[u8]| {
        let mut seen = [false; 256];
        w.iter()
            .filter(|&&b| !std::mem::replace(&mut seen[b as usize], true))
            .count()
    };
    let best = (0..=lit.len() - max)
        .max_by_key(|&start| (distinct(&lit[start..start + max]), start))
        .unwrap_or(0);
    lit[best..best + max].to_vec()
}

/// What `expr` requires, as clauses that must all be met (each a list of needs of which one
/// is met by any event the expression matches); empty when nothing can be required. From an
/// `and`, every member's clauses; from an `or`, one clause: the union of each member's most
/// selective clause (none, if a member requires nothing).
pub(crate) fn requirement(expr: &Expr) -> Vec<Clause> {
    match expr {
        Expr::And(list) => list.iter().flat_map(requirement).collect(),
        Expr::Or(list) => {
            union_of_best(list.iter().map(requirement)).map_or_else(Vec::new, |c| vec![c])
        }
        Expr::Not(_) => Vec::new(),
        Expr::Field(t) => field_requirement(t),
    }
}

/// One clause met whenever any of the alternatives is: the union of each one's most
/// selective clause; `None` when some alternative requires nothing.
fn union_of_best(alternatives: impl Iterator<Item = Vec<Clause>>) -> Option<Clause> {
    let mut out = Vec::new();
    for clauses in alternatives {
        out.extend(clauses.into_iter().max_by_key(|c| score(c))?);
    }
    Some(out)
}

/// What an exhunt `event:` condition requires, with the same meaning as [`requirement`].
/// Computed names (`_cmd`, `_text`), captures and names with spaces are not event fields the
/// index sees: nothing is required of them.
pub(crate) fn native_requirement(c: &Condition) -> Vec<Clause> {
    match c {
        Condition::All(list) => list.iter().flat_map(native_requirement).collect(),
        Condition::Any(list) => {
            union_of_best(list.iter().map(native_requirement)).map_or_else(Vec::new, |c| vec![c])
        }
        Condition::None(_) | Condition::Field { negate: true, .. } => Vec::new(),
        Condition::Field { field, ops, .. } => {
            native_field_requirement(field, ops).into_iter().collect()
        }
    }
}

/// The clause of one native field test, if it has one.
fn native_field_requirement(
    field: &str,
    ops: &[exhunt_core::rules::condition::OpBox],
) -> Option<Clause> {
    // `_cmd` is the first non-empty of these fields (see `Event::command`): a literal it needs
    // is in one of them.
    let names: &[&str] = if field == "_cmd" {
        &crate::event::COMMAND_FIELDS
    } else if field.starts_with('_') || field.starts_with('$') || field.contains(' ') {
        return None;
    } else {
        &[]
    };
    // Every operator must hold: the most selective one is required.
    let lits = ops
        .iter()
        .filter_map(|op| op_literals(op.view()))
        .max_by_key(|l| {
            (
                l.iter().map(Vec::len).min().unwrap_or(usize::MAX).min(64),
                std::cmp::Reverse(l.len()),
            )
        })?;
    let fields: Vec<String> = if names.is_empty() {
        vec![field.to_string()]
    } else {
        names.iter().map(|n| n.to_string()).collect()
    };
    if lits.is_empty() {
        return Some(fields.into_iter().map(|f| (f, None)).collect());
    }
    Some(
        fields
            .iter()
            .flat_map(|f| lits.iter().map(move |l| (f.clone(), Some(l.clone()))))
            .collect(),
    )
}

/// Literals of which one occurs (ASCII-lower-cased) in any ASCII value the operator accepts,
/// as [`matcher_literals`] says of a Sigma matcher.
fn op_literals(op: OpView<'_>) -> Option<Vec<Vec<u8>>> {
    let values = match op {
        OpView::Equals(v) | OpView::Contains(v) | OpView::StartsWith(v) | OpView::EndsWith(v) => v,
        OpView::Regex(patterns) => {
            let mut out = Vec::new();
            for p in patterns {
                out.extend(regex_literals(p)?);
            }
            return Some(out);
        }
        OpView::Empty(_) => return None,
    };
    let mut out = Vec::new();
    for s in values {
        if s.is_empty() {
            return None;
        }
        if s.is_ascii() {
            out.push(s.to_ascii_lowercase().into_bytes());
        }
    }
    Some(out)
}

/// Prefer requirements whose shortest literal is long, then fewer of them.
fn score(needs: &[Need]) -> (usize, std::cmp::Reverse<usize>) {
    let shortest = needs
        .iter()
        .map(|(_, l)| l.as_ref().map_or(64, Vec::len))
        .min()
        .unwrap_or(usize::MAX);
    (shortest.min(64), std::cmp::Reverse(needs.len()))
}

/// The clauses of one field test: with `|all`, one per matcher that requires a literal (each
/// must hold); else one, the union of every matcher's literals (none if one requires nothing).
fn field_requirement(t: &FieldTest) -> Vec<Clause> {
    // `_text` (keywords) is every data value joined: not one field of the event.
    if t.field == "_text" {
        return Vec::new();
    }
    let clause = |lits: Vec<Vec<u8>>| -> Clause {
        if lits.is_empty() {
            // Only a value that is not all ASCII can pass.
            return vec![(t.field.clone(), None)];
        }
        lits.into_iter()
            .map(|l| (t.field.clone(), Some(l)))
            .collect()
    };
    let per_matcher = t.matchers.iter().map(matcher_literals);
    if t.all {
        return per_matcher.flatten().map(clause).collect();
    }
    per_matcher
        .collect::<Option<Vec<_>>>()
        .map(|l| clause(l.into_iter().flatten().collect()))
        .into_iter()
        .collect()
}

/// Literals of which one occurs (ASCII-lower-cased) in any ASCII value the matcher accepts;
/// `Some(vec![])` when it accepts no ASCII value.
fn matcher_literals(m: &Matcher) -> Option<Vec<Vec<u8>>> {
    match m {
        Matcher::Exact(s, _)
        | Matcher::Contains(s, _)
        | Matcher::StartsWith(s, _)
        | Matcher::EndsWith(s, _) => {
            if s.is_empty() {
                None
            } else if !s.is_ascii() {
                Some(vec![])
            } else {
                Some(vec![s.to_ascii_lowercase().into_bytes()])
            }
        }
        Matcher::Regex(re) => regex_literals(re.as_str()),
        // Every literal run of the pattern is in every match: the longest is required.
        Matcher::Glob(g) if g.is_ascii() => g
            .literals()
            .max_by_key(|l| l.len())
            .filter(|l| l.len() >= MIN_REGEX_LITERAL)
            .map(|l| vec![l.to_ascii_lowercase().into_bytes()]),
        Matcher::Glob(g) => regex_literals(g.regex().as_str()),
        Matcher::Null
        | Matcher::Exists(_)
        | Matcher::Num(..)
        | Matcher::Cidr(_)
        | Matcher::FieldRef(_) => None,
    }
}

/// Shortest literal worth indexing a regex by.
const MIN_REGEX_LITERAL: usize = 2;

/// Literals every match of `pattern` holds, on ASCII values folded to lower case: the pattern is
/// read case-insensitively (a superset of what it matches either way), each class kept to its
/// ASCII lower-case members, then prefix (else suffix) literals are extracted.
fn regex_literals(pattern: &str) -> Option<Vec<Vec<u8>>> {
    // An ASCII pattern is read without Unicode (much faster): on ASCII text it matches the same.
    let hir = regex_syntax::ParserBuilder::new()
        .case_insensitive(true)
        .unicode(!pattern.is_ascii())
        .utf8(!pattern.is_ascii())
        .build()
        .parse(pattern)
        .ok()?;
    let hir = ascii_lower(&hir)?;
    for kind in [ExtractKind::Prefix, ExtractKind::Suffix] {
        let seq = Extractor::new().kind(kind).extract(&hir);
        if let (Some(lits), Some(n)) = (seq.literals(), seq.min_literal_len()) {
            if n >= MIN_REGEX_LITERAL {
                let mut out: Vec<Vec<u8>> = lits.iter().map(|l| l.as_bytes().to_vec()).collect();
                out.sort();
                out.dedup();
                return Some(out);
            }
        }
        if seq.is_finite() && seq.literals().is_some_and(|l| l.is_empty()) {
            // Matches nothing on ASCII text.
            return Some(vec![]);
        }
    }
    // Wildcard patterns (`^.*cmd\.exe /c .*>.*$`) have neither: look inside.
    inner_literals(&hir).filter(|l| l.iter().all(|x| x.len() >= MIN_REGEX_LITERAL))
}

/// Literals of which one occurs in every match of `hir`: from a concatenation, its longest run
/// of literal text (or a member's own requirement); from an alternation, every branch's.
fn inner_literals(hir: &Hir) -> Option<Vec<Vec<u8>>> {
    match hir.kind() {
        HirKind::Literal(l) => Some(vec![l.0.to_vec()]),
        HirKind::Capture(c) => inner_literals(&c.sub),
        HirKind::Repetition(r) if r.min >= 1 => inner_literals(&r.sub),
        HirKind::Alternation(l) => {
            let mut out = Vec::new();
            for h in l {
                out.extend(inner_literals(h)?);
            }
            Some(out)
        }
        HirKind::Concat(l) => l
            .iter()
            .filter_map(inner_literals)
            .max_by_key(|lits| lits.iter().map(Vec::len).min().unwrap_or(0)),
        _ => None,
    }
}

/// The pattern as it applies to ASCII-lower-cased ASCII text: classes keep their ASCII members,
/// capitals replaced by lower-case letters.
fn ascii_lower(hir: &Hir) -> Option<Hir> {
    Some(match hir.kind() {
        HirKind::Empty => Hir::empty(),
        HirKind::Look(l) => Hir::look(*l),
        HirKind::Literal(lit) => {
            let text = std::str::from_utf8(&lit.0).ok()?;
            if !text.is_ascii() {
                // Non-ASCII text never occurs in an ASCII value.
                return Some(Hir::fail());
            }
            Hir::literal(text.to_ascii_lowercase().into_bytes())
        }
        HirKind::Class(Class::Unicode(c)) => class(c),
        HirKind::Class(Class::Bytes(c)) => {
            let mut ascii = c.clone();
            ascii.intersect(&ClassBytes::new([ClassBytesRange::new(0, 0x7f)]));
            let upper = ClassBytes::new([ClassBytesRange::new(b'A', b'Z')]);
            let mut caps = ascii.clone();
            caps.intersect(&upper);
            ascii.union(&ClassBytes::new(caps.ranges().iter().map(|r| {
                ClassBytesRange::new(r.start().to_ascii_lowercase(), r.end().to_ascii_lowercase())
            })));
            ascii.difference(&upper);
            Hir::class(Class::Bytes(ascii))
        }
        HirKind::Repetition(r) => Hir::repetition(Repetition {
            sub: Box::new(ascii_lower(&r.sub)?),
            ..r.clone()
        }),
        HirKind::Capture(c) => ascii_lower(&c.sub)?,
        HirKind::Concat(l) => Hir::concat(l.iter().map(ascii_lower).collect::<Option<_>>()?),
        HirKind::Alternation(l) => {
            Hir::alternation(l.iter().map(ascii_lower).collect::<Option<_>>()?)
        }
    })
}

fn class(c: &ClassUnicode) -> Hir {
    let mut ascii = c.clone();
    ascii.intersect(&ClassUnicode::new([ClassUnicodeRange::new('\0', '\x7f')]));
    let upper = ClassUnicode::new([ClassUnicodeRange::new('A', 'Z')]);
    let mut caps = ascii.clone();
    caps.intersect(&upper);
    ascii.union(&ClassUnicode::new(caps.ranges().iter().map(|r| {
        ClassUnicodeRange::new(r.start().to_ascii_lowercase(), r.end().to_ascii_lowercase())
    })));
    ascii.difference(&upper);
    Hir::class(Class::Unicode(ascii))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lits(pattern: &str) -> Option<Vec<String>> {
        regex_literals(pattern).map(|v| {
            v.into_iter()
                .map(|l| String::from_utf8(l).unwrap())
                .collect()
        })
    }

    #[test]
    fn long_literals_are_indexed_by_their_most_varied_window() {
        let r = |s: &str| String::from_utf8(representative(s.as_bytes().to_vec())).unwrap();
        assert_eq!(r(r"\whoami.exe"), r"\whoami.exe");
        // A hash: any window is as good; the last is taken.
        assert_eq!(r("md5=0123456789abcdef"), "456789abcdef");
        // The padding run is avoided.
        assert_eq!(r("-enc q1w2e3r4aaaaaaaaaaaaaaa"), "nc q1w2e3r4a");
    }

    #[test]
    fn regex_literals_fold_to_ascii_lower_case() {
        assert_eq!(
            lits(r"(?i)\\WhoAmI\.exe$"),
            Some(vec![r"\whoami.exe".into()])
        );
        // The Kelvin sign folds with k: only the ASCII spelling can occur in ASCII text.
        assert_eq!(lits("\u{212A}ey"), Some(vec!["key".into()]));
        assert_eq!(lits(r"[a-z]+\.exe"), Some(vec![".exe".into()]));
        assert_eq!(lits(r"a.*b"), None);
        assert_eq!(
            lits(r"(?is)^.*cmd\.exe /C .* > .*\\Temp\\.* 2>\&1.*$"),
            Some(vec!["cmd.exe /c ".into()])
        );
        assert_eq!(lits("é"), Some(vec![]));
    }
}
