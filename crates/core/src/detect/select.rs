//! Selective search: which lines of a log are worth splitting into fields, decided on raw text.
//!
//! For one log kind, every rule contributes a raw-line filter derived from its condition
//! ([`crate::rules::raw`]): regexes that match wherever the rule can. From each filter the
//! engine picks what is cheapest to look for across a whole buffer — the member of an `all:`
//! group with the longest literal prefixes, the rule's whole pattern rather than a common
//! literal — and one multi-pattern regex searches a region for the next line where any rule
//! can match (as ripgrep searches its regex over the whole buffer). On that line, every
//! filter's regexes run at once (one overlapping pass), and only rules whose whole filter holds
//! make the line worth parsing. A rule with no derivable filter uses its `prefilter:` literals
//! (a hint); a rule with neither is checked on every line.

use memchr::memmem;
use regex_automata::meta::{Config, Regex};
use regex_automata::{Input, MatchKind, PatternID, PatternSet};
use regex_syntax::hir::Hir;

use crate::model::SourceKind;
use crate::rules::raw::{Dialect, RawFilter};
use crate::rules::LogRule;

/// The bytes of U+0130 (capital I with dot above): the one character whose Unicode lower case
/// (`i` + a combining dot) lets a case-insensitive value test match where a raw search of
/// ASCII-lower-cased text cannot. A line holding it is checked against every rule.
const FOLD_HAZARD: &str = "\u{130}";

/// A filter over the ids of the leaf regexes.
#[derive(Debug)]
enum LeafFilter {
    Leaf(usize),
    All(Vec<LeafFilter>),
    Any(Vec<LeafFilter>),
}

impl LeafFilter {
    fn eval(&self, set: &PatternSet) -> bool {
        match self {
            LeafFilter::Leaf(i) => set.contains(PatternID::must(*i)),
            LeafFilter::All(l) => l.iter().all(|f| f.eval(set)),
            LeafFilter::Any(l) => l.iter().any(|f| f.eval(set)),
        }
    }
}

/// What the region search found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Hit {
    /// A line some rule may match, starting at this byte.
    Line(usize),
    /// A directive line (`#…`), starting at this byte.
    Directive(usize),
}

/// The compiled selective search of one log kind.
pub(crate) struct Selector {
    /// Finds the next line worth a look: the rules' finder regexes (`None`: no rule has one).
    /// The directive marker and the fold hazard are searched apart (memchr-fast, over the span
    /// before the finder's match): two-byte markers in the union would limit its literal
    /// prefilter to two-byte fingerprints, which stop at every `/e`, `/o`… of a URL.
    finder: Option<Regex>,
    directive: memmem::Finder<'static>,
    hazard: memmem::Finder<'static>,
    /// Every regex of every rule's filter, run together (overlapping) on a candidate line.
    leaves: Option<Regex>,
    /// Rules with a raw filter: (rule index, filter over leaf ids; `None`: no line check).
    filtered: Vec<(usize, Option<LeafFilter>)>,
    /// Rules checked on every line: nothing can be required of their raw text.
    pub(crate) unfiltered: Vec<usize>,
    /// Every rule of this kind.
    all: Vec<usize>,
}

fn build(patterns: &[Hir], kind: MatchKind) -> Option<Regex> {
    Regex::builder()
        .configure(Config::new().match_kind(kind).utf8_empty(false))
        .build_many_from_hir(patterns)
        .ok()
}

fn index_of(list: &mut Vec<Hir>, h: &Hir) -> usize {
    match list.iter().position(|x| x == h) {
        Some(i) => i,
        None => {
            list.push(h.clone());
            list.len() - 1
        }
    }
}

fn to_leaf_filter(f: &RawFilter, leaves: &mut Vec<Hir>) -> LeafFilter {
    match f {
        RawFilter::Regex(h) => LeafFilter::Leaf(index_of(leaves, h)),
        RawFilter::All(l) => LeafFilter::All(l.iter().map(|f| to_leaf_filter(f, leaves)).collect()),
        RawFilter::Any(l) => LeafFilter::Any(l.iter().map(|f| to_leaf_filter(f, leaves)).collect()),
    }
}

/// The raw filter of a rule in logs of `kind`: derived from its condition, else its
/// `prefilter:` literals.
pub(crate) fn rule_filter(rule: &LogRule, kind: SourceKind) -> Option<RawFilter> {
    let dialect = if kind.is_w3c() {
        Dialect::W3c
    } else {
        Dialect::Csv
    };
    rule.condition.raw_filter(dialect).or_else(|| {
        let lits = rule.literals.as_ref()?;
        let parts: Vec<RawFilter> = lits
            .iter()
            .map(|l| RawFilter::Regex(Hir::literal(l.to_ascii_lowercase().into_bytes())))
            .collect();
        Some(RawFilter::Any(parts))
    })
}

impl Selector {
    /// Compile the selective search for the rules (indices into `rules`) of one kind.
    pub(crate) fn new(rules: &[LogRule], kind: SourceKind) -> Selector {
        let mut finders: Vec<Hir> = Vec::new();
        let mut leaves: Vec<Hir> = Vec::new();
        let mut filtered = Vec::new();
        let mut unfiltered = Vec::new();
        let mut all = Vec::new();
        for (ri, rule) in rules.iter().enumerate() {
            if !rule.applies_to(kind) {
                continue;
            }
            all.push(ri);
            let found = rule_filter(rule, kind).and_then(|f| Some((f.finder()?, f)));
            match found {
                Some((alts, filter)) => {
                    for a in &alts {
                        index_of(&mut finders, a);
                    }
                    filtered.push((ri, Some(to_leaf_filter(&filter, &mut leaves))));
                }
                None => unfiltered.push(ri),
            }
        }
        let finder = if finders.is_empty() {
            None
        } else {
            match build(&finders, MatchKind::LeftmostFirst) {
                Some(r) => Some(r),
                None => {
                    // Patterns too big for an automaton (a huge user pack): those rules are
                    // checked on every line instead. Slower, never silent about a match.
                    unfiltered.extend(filtered.drain(..).map(|(ri, _)| ri));
                    unfiltered.sort_unstable();
                    None
                }
            }
        };
        let leaves = if filtered.is_empty() {
            None
        } else {
            let built = build(&leaves, MatchKind::All);
            if built.is_none() {
                // Without the line check, every rule found by the region search is evaluated.
                filtered.iter_mut().for_each(|(_, f)| *f = None);
            }
            built
        };
        Selector {
            finder,
            directive: memmem::Finder::new(b"\n#").into_owned(),
            hazard: memmem::Finder::new(FOLD_HAZARD.as_bytes()).into_owned(),
            leaves,
            filtered,
            unfiltered,
            all,
        }
    }

    /// The next line at or after `pos` (a line start) in the lower-cased `region` that is worth
    /// a look, or `None` when there is none.
    pub(crate) fn next(&self, region: &[u8], pos: usize) -> Option<Hit> {
        let found = self.finder.as_ref().and_then(|f| {
            f.search(&Input::new(region).span(pos..region.len()))
                .map(|m| m.start())
        });
        // The markers only matter before the finder's match: each byte is searched once.
        let until = found.map_or(region.len(), |at| (at + 1).min(region.len()));
        let span = &region[pos..until];
        let directive = self.directive.find(span).map(|i| pos + i);
        let hazard = self.hazard.find(span).map(|i| pos + i);
        let line_at =
            |at: usize| memchr::memrchr(b'\n', &region[pos..at]).map_or(pos, |i| pos + i + 1);
        match (directive, hazard.or(found)) {
            (Some(d), Some(l)) if l <= d => Some(Hit::Line(line_at(l))),
            (Some(d), _) => Some(Hit::Directive(d + 1)),
            (None, Some(l)) => Some(Hit::Line(line_at(l))),
            (None, None) => None,
        }
    }

    /// A reusable set for [`Selector::candidates`].
    pub(crate) fn pattern_set(&self) -> PatternSet {
        PatternSet::new(self.leaves.as_ref().map_or(0, |r| r.pattern_len()))
    }

    /// The rules worth evaluating on one line (lower-cased, without its newline), in rule
    /// order: those whose raw filter holds, plus the unfiltered ones when `with_unfiltered`, or
    /// every rule when `every_rule`.
    pub(crate) fn candidates(
        &self,
        line: &[u8],
        with_unfiltered: bool,
        every_rule: bool,
        set: &mut PatternSet,
        out: &mut Vec<usize>,
    ) {
        out.clear();
        if every_rule || memmem::find(line, FOLD_HAZARD.as_bytes()).is_some() {
            out.extend_from_slice(&self.all);
            return;
        }
        set.clear();
        if let Some(leaves) = &self.leaves {
            leaves.which_overlapping_matches(&Input::new(line), set);
        }
        for (ri, filter) in &self.filtered {
            if filter.as_ref().is_none_or(|f| f.eval(set)) {
                out.push(*ri);
            }
        }
        if with_unfiltered {
            out.extend_from_slice(&self.unfiltered);
            out.sort_unstable();
        }
    }
}
