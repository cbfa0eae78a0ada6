//! The literal index: which rules an event can still match, found by one automaton per field.
//!
//! Channel and event id narrow a record to the rules of its kind — for Sysmon 1 that is still a
//! thousand Sigma process-creation rules. Nearly every one of them requires some literal of some
//! field (`Image|endswith: '\whoami.exe'`, `CommandLine|contains: ' -enc '`…). From each rule
//! variant the index derives its requirements as clauses that must all be met, each a set of
//! (field, literal) pairs of which at least one must occur, case-insensitively: an `and` gives
//! every member's clauses (up to four, the most selective), an `or` up to four unions of one
//! clause of each member (whichever member matches, such a union is met); `not`, numbers,
//! CIDR, `exists` and keyword searches give none. A regex gives the longest of its prefix,
//! suffix or inner literals. A literal longer than 12 bytes is indexed by a 12-byte window of
//! it. The literals of each
//! field go into one Aho-Corasick automaton. For an event, each field's value is searched once,
//! and only the variants whose every clause was met — plus those with no requirement — are
//! evaluated. The search costs about the length of the event's values; what still grows with
//! the rule count is the matches it reports and the rules it lets through (measured in
//! `bench/SIGMA_RESULTS.md`: 0.23 rule checks per event with 200 SigmaHQ rules, 2.0 with 2,407).
//!
//! The search runs over ASCII-lower-cased values. A value with any non-ASCII character (`®` in
//! a Sysmon `Product`) is not searched: every variant with a requirement on that field is kept,
//! since Unicode case folding (the Kelvin sign is a `k`, `İ` lower-cases to `i` plus a dot)
//! could match there what an ASCII search cannot. For ASCII values the translation is exact: a
//! literal that is not ASCII can never occur (such a test only needs the field to be non-ASCII),
//! and regex literals are taken from the pattern folded to ASCII lower case.

use std::collections::hash_map::Entry;
use std::sync::OnceLock;

use rayon::prelude::*;
use rustc_hash::FxHashMap;

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
type Need<'a> = (&'a str, Option<Vec<u8>>);

/// One requirement of a variant: a list of needs of which one must be met.
type Clause<'a> = Vec<Need<'a>>;

/// Most clauses kept per variant (the most selective ones).
const MAX_CLAUSES: usize = 4;

/// The literal index over a set of rule variants.
#[derive(Debug, Default)]
pub struct LiteralIndex {
    /// Per field (lower-cased name): its automaton and, per pattern, the clauses it serves.
    fields: FxHashMap<String, FieldAutomaton>,
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
    /// Scratch: a value lower-cased.
    lower: Vec<u8>,
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
            /// Each literal and its pattern number.
            position: FxHashMap<Vec<u8>, usize>,
            serves: Vec<Vec<u32>>,
            any: Vec<u32>,
        }
        let mut per_field: FxHashMap<&str, Building> = FxHashMap::default();
        let requirements: Vec<Vec<Clause>> = variants
            .par_iter()
            .map(|v| {
                let mut clauses = match &v.logic {
                    Logic::Sigma(expr) => requirement(expr),
                    Logic::Native(c) => native_requirement(c),
                };
                // The most selective first; a few are enough to dismiss nearly every event.
                clauses.sort_by_cached_key(|c| std::cmp::Reverse(score(c)));
                clauses.truncate(MAX_CLAUSES);
                for (_, lit) in clauses.iter_mut().flatten() {
                    if let Some(l) = lit {
                        representative(l);
                    }
                }
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
                    let p = match b.position.entry(lit) {
                        Entry::Occupied(e) => *e.get(),
                        Entry::Vacant(e) => {
                            b.serves.push(Vec::new());
                            *e.insert(b.serves.len() - 1)
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
                let mut literals = vec![Vec::new(); b.serves.len()];
                for (lit, p) in b.position {
                    literals[p] = lit;
                }
                let fa = FieldAutomaton {
                    literals,
                    ac: OnceLock::new(),
                    clauses: b.serves,
                    any: b.any,
                };
                (field.to_string(), fa)
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
        let Hits { met, lower } = hits;
        for (name, value) in ev.lower_fields() {
            let Some(fa) = self.fields.get(name) else {
                continue;
            };
            if !value.is_ascii() {
                for &ci in &fa.any {
                    met[ci as usize] = true;
                }
                continue;
            }
            let Some(ac) = fa.automaton() else {
                // No automaton could be built: every clause of the field counts as met.
                for &ci in &fa.any {
                    met[ci as usize] = true;
                }
                continue;
            };
            let hay: &[u8] = if value.bytes().any(|b| b.is_ascii_uppercase()) {
                lower.clear();
                lower.extend(value.bytes().map(|b| b.to_ascii_lowercase()));
                lower
            } else {
                value.as_bytes()
            };
            for m in ac.find_overlapping_iter(hay) {
                for &ci in &fa.clauses[m.pattern().as_usize()] {
                    met[ci as usize] = true;
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

/// Cut `lit` to the window the index searches for: the whole literal when short, else the window
/// of [`MAX_INDEXED_LITERAL`] bytes with the most distinct bytes (a run of one repeated
/// character is the least telling), the last one on ties (file names end paths).
fn representative(lit: &mut Vec<u8>) {
    let max = MAX_INDEXED_LITERAL;
    if lit.len() <= max {
        return;
    }
    // Distinct bytes of the window, kept up to date as it slides one byte at a time.
    let mut count = [0u8; 256];
    let mut distinct = 0usize;
    for &b in &lit[..max] {
        count[b as usize] += 1;
        distinct += usize::from(count[b as usize] == 1);
    }
    let (mut best, mut best_distinct) = (0, distinct);
    for start in 1..=lit.len() - max {
        let (out, inn) = (lit[start - 1], lit[start + max - 1]);
        count[out as usize] -= 1;
        distinct -= usize::from(count[out as usize] == 0);
        count[inn as usize] += 1;
        distinct += usize::from(count[inn as usize] == 1);
        if distinct >= best_distinct {
            (best, best_distinct) = (start, distinct);
        }
    }
    lit.copy_within(best..best + max, 0);
    lit.truncate(max);
}

/// What `expr` requires, as clauses that must all be met (each a list of needs of which one
/// is met by any event the expression matches); empty when nothing can be required. From an
/// `and`, every member's clauses; from an `or`, see [`or_requirement`].
pub(crate) fn requirement(expr: &Expr) -> Vec<Clause<'_>> {
    match expr {
        Expr::And(list) => list.iter().flat_map(requirement).collect(),
        Expr::Or(list) => or_requirement(list.iter().map(requirement)),
        Expr::Not(_) => Vec::new(),
        Expr::Field(t) => field_requirement(t),
    }
}

/// Clauses an `or` yields at most.
const MAX_OR_CLAUSES: usize = 4;

/// Clauses of each alternative an `or` combines (its most selective ones).
const OR_CHOICES: usize = 3;

/// What an `or` requires: whichever alternative matches, all of its clauses are met, so a
/// union of one clause of every alternative is met too. Of these unions, the most selective
/// ones (by [`score`]) are kept: `(a1 and a2) or b` gives `a1 ∪ b` and `a2 ∪ b`, and when `a1`
/// is common (`Image` holds `\windows\`) the rarer `a2 ∪ b` still dismisses the event. None
/// when some alternative requires nothing.
fn or_requirement<'a>(alternatives: impl Iterator<Item = Vec<Clause<'a>>>) -> Vec<Clause<'a>> {
    // Each alternative's most selective clauses, with their scores (a clause can hold thousands
    // of needs: each is scored once).
    let mut choices: Vec<Vec<(Score, Clause<'a>)>> = Vec::new();
    for clauses in alternatives {
        if clauses.is_empty() {
            return Vec::new();
        }
        let mut scored: Vec<(Score, Clause<'a>)> =
            clauses.into_iter().map(|c| (score(&c), c)).collect();
        scored.sort_by_key(|(s, _)| std::cmp::Reverse(*s));
        scored.truncate(OR_CHOICES);
        choices.push(scored);
    }
    if choices.is_empty() {
        return Vec::new();
    }
    if choices.iter().all(|c| c.len() == 1) {
        // One clause each: their union is the only one.
        return vec![choices
            .into_iter()
            .flat_map(|mut c| c.remove(0).1)
            .collect()];
    }
    // Unions are scored as they are chosen — (shortest literal, needs), the clause picked of
    // each alternative so far — and built only once chosen.
    let mut unions: Vec<(usize, usize, Vec<usize>)> = vec![(usize::MAX, 0, Vec::new())];
    for clauses in &choices {
        let mut next = Vec::with_capacity(unions.len() * clauses.len());
        for (shortest, needs, picks) in &unions {
            for (k, ((clause_shortest, _), clause)) in clauses.iter().enumerate() {
                let mut picks = picks.clone();
                picks.push(k);
                next.push((
                    (*shortest).min(*clause_shortest),
                    needs + clause.len(),
                    picks,
                ));
            }
        }
        next.sort_by_key(|(shortest, needs, _)| (std::cmp::Reverse(*shortest), *needs));
        next.truncate(MAX_OR_CLAUSES);
        unions = next;
    }
    unions
        .into_iter()
        .map(|(_, _, picks)| {
            picks
                .iter()
                .zip(&choices)
                .flat_map(|(&k, clauses)| clauses[k].1.iter().cloned())
                .collect()
        })
        .collect()
}

/// What an exhunt `event:` condition requires, with the same meaning as [`requirement`].
/// Computed names (`_cmd`, `_text`), captures and names with spaces are not event fields the
/// index sees: nothing is required of them.
pub(crate) fn native_requirement(c: &Condition) -> Vec<Clause<'_>> {
    match c {
        Condition::All(list) => list.iter().flat_map(native_requirement).collect(),
        Condition::Any(list) => or_requirement(list.iter().map(native_requirement)),
        Condition::None(_) | Condition::Field { negate: true, .. } => Vec::new(),
        Condition::Field { field, ops, .. } => {
            native_field_requirement(field, ops).into_iter().collect()
        }
    }
}

/// The clause of one native field test, if it has one.
fn native_field_requirement<'a>(
    field: &'a str,
    ops: &[exhunt_core::rules::condition::OpBox],
) -> Option<Clause<'a>> {
    // `_cmd` is the first non-empty of these fields (see `Event::command`): a literal it needs
    // is in one of them.
    let names: &[&'static str] = if field == "_cmd" {
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
    let fields: Vec<&'a str> = if names.is_empty() {
        vec![field]
    } else {
        names.to_vec()
    };
    if lits.is_empty() {
        return Some(fields.into_iter().map(|f| (f, None)).collect());
    }
    Some(
        fields
            .iter()
            .flat_map(|&f| lits.iter().map(move |l| (f, Some(l.clone()))))
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

/// How selective a clause is: the length of its shortest literal (capped), then how few
/// needs it has — the larger, the more selective.
type Score = (usize, std::cmp::Reverse<usize>);

/// Prefer requirements whose shortest literal is long, then fewer of them.
fn score(needs: &[Need<'_>]) -> Score {
    let shortest = needs
        .iter()
        .map(|(_, l)| l.as_ref().map_or(64, Vec::len))
        .min()
        .unwrap_or(usize::MAX);
    (shortest.min(64), std::cmp::Reverse(needs.len()))
}

/// The clauses of one field test: with `|all`, one per matcher that requires a literal (each
/// must hold); else one, the union of every matcher's literals (none if one requires nothing).
fn field_requirement(t: &FieldTest) -> Vec<Clause<'_>> {
    // `_text` (keywords) is every data value joined: not one field of the event.
    if t.field == "_text" {
        return Vec::new();
    }
    // `_cmd` (a mapping may name it) is the first non-empty of these fields, as for the
    // built-in conditions: a literal it needs is in one of them.
    let named = [t.field.as_str()];
    let fields: &[&str] = if t.field == "_cmd" {
        &crate::event::COMMAND_FIELDS
    } else {
        &named
    };
    let clause = |lits: Vec<Vec<u8>>| -> Clause {
        if lits.is_empty() {
            // Only a value that is not all ASCII can pass.
            return fields.iter().map(|&f| (f, None)).collect();
        }
        fields
            .iter()
            .flat_map(|&f| lits.iter().map(move |l| (f, Some(l.clone()))))
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
/// ASCII lower-case members, then the best of its prefix, suffix and inner literal sets is kept.
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
    // Every match starts with one of the prefixes, ends with one of the suffixes, and holds
    // one of the inner literals (`^.*cmd\.exe /c .*>.*$` has neither of the first two): the
    // set whose shortest literal is longest is the most telling (`\.exe\s+werfaultsecure\.exe`
    // is found by `werfaultsecure.exe`, not by its prefix `.exe`).
    let mut sets = Vec::new();
    for kind in [ExtractKind::Prefix, ExtractKind::Suffix] {
        let seq = Extractor::new().kind(kind).extract(&hir);
        if seq.is_finite() && seq.literals().is_some_and(|l| l.is_empty()) {
            // Matches nothing on ASCII text.
            return Some(vec![]);
        }
        if let Some(lits) = seq.literals() {
            sets.push(lits.iter().map(|l| l.as_bytes().to_vec()).collect());
        }
    }
    sets.extend(inner_literals(&hir));
    let mut best: Vec<Vec<u8>> = sets
        .into_iter()
        .filter(|l: &Vec<Vec<u8>>| !l.is_empty() && l.iter().all(|x| x.len() >= MIN_REGEX_LITERAL))
        .max_by_key(|l| {
            let shortest = l.iter().map(Vec::len).min().unwrap_or(0);
            (shortest.min(64), std::cmp::Reverse(l.len()))
        })?;
    best.sort();
    best.dedup();
    Some(best)
}

/// Literals of which one occurs in every match of `hir`: from a concatenation, those of the
/// member (a run of literal text, or a member's own requirement) whose shortest literal is
/// longest; from an alternation, every branch's.
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
        let r = |s: &str| {
            let mut lit = s.as_bytes().to_vec();
            representative(&mut lit);
            String::from_utf8(lit).unwrap()
        };
        assert_eq!(r(r"\whoami.exe"), r"\whoami.exe");
        // A hash: any window is as good; the last is taken.
        assert_eq!(r("md5=0123456789abcdef"), "456789abcdef");
        // The padding run is avoided.
        assert_eq!(r("-enc q1w2e3r4aaaaaaaaaaaaaaa"), "nc q1w2e3r4a");
    }

    fn contains(field: &str, value: &str) -> Expr {
        Expr::Field(FieldTest {
            field: field.into(),
            matchers: vec![Matcher::Contains(value.into(), false)],
            all: false,
        })
    }

    /// The clauses of `expr`, each sorted, in order.
    fn clauses(expr: &Expr) -> Vec<Vec<String>> {
        let mut out: Vec<Vec<String>> = requirement(expr)
            .into_iter()
            .map(|c| {
                let mut c: Vec<String> = c
                    .into_iter()
                    .map(|(f, l)| format!("{f}:{}", String::from_utf8(l.unwrap()).unwrap()))
                    .collect();
                c.sort();
                c
            })
            .collect();
        out.sort();
        out
    }

    #[test]
    fn a_test_of_the_command_is_indexed_by_the_fields_it_stands_for() {
        // `_cmd` is worked out from the event, never one of its fields: a clause keyed by it
        // would never be met, and the rule never checked.
        assert_eq!(
            clauses(&contains("_cmd", "-enc ")),
            vec![vec![
                "commandline:-enc ",
                "data:-enc ",
                "payload:-enc ",
                "scriptblocktext:-enc ",
            ]]
        );
    }

    #[test]
    fn an_or_requires_a_union_of_each_alternatives_clauses() {
        // SigmaHQ's path traversal rule: `(Image has \windows\ and CommandLine has \..\windows\)
        // or CommandLine has .exe\..\`. The longest literal of the first alternative is the
        // common `\windows\`; the union with its other clause still dismisses most events.
        let expr = Expr::Or(vec![
            Expr::And(vec![
                contains("image", r"\windows\"),
                contains("commandline", r"\..\win\"),
            ]),
            contains("commandline", r".exe\..\"),
        ]);
        assert_eq!(
            clauses(&expr),
            vec![
                vec![r"commandline:.exe\..\", r"commandline:\..\win\"],
                vec![r"commandline:.exe\..\", r"image:\windows\"],
            ]
        );
        // An alternative that requires nothing: the `or` requires nothing.
        let open = Expr::Or(vec![
            contains("image", r"\windows\"),
            Expr::Not(Box::new(contains("image", "x"))),
        ]);
        assert!(requirement(&open).is_empty());
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
        // The longest of the prefix, suffix and inner literals: not `.exe`, the prefix.
        assert_eq!(
            lits(r#"(?i)\.exe["']?\s+[^"]{0,64}werfaultsecure\.exe["']?\s+\d{2,10}"#),
            Some(vec!["werfaultsecure.exe".into()])
        );
    }
}
