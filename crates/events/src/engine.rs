//! The detection engine: compiled event rules (native and Sigma) indexed by channel and event
//! id, so that most records are dismissed by a hash lookup on two System fields before any
//! condition runs — and, for EVTX, before the record's JSON is even parsed. The rules left are
//! narrowed again by the literal index ([`crate::index`]): one automaton per field finds which
//! rules the event's values can still satisfy, so only those are evaluated (their number still
//! grows with the rule count, far more slowly).

use std::cell::RefCell;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, OnceLock};

use exhunt_core::discover::LogFile;
use exhunt_core::rules::condition::{Condition, EvalCtx};
use exhunt_core::rules::RuleMeta;
use exhunt_core::Finding;
use rustc_hash::FxHashMap;
use serde_json::Value;

use crate::event::{flatten, peek_channel_and_id, Event};
use crate::finding::build_finding;
use crate::index::{Hits, LiteralIndex};
use crate::read::RecordHandler;
use crate::sigma::Expr;
use crate::tree::{TreeCollector, TREE_FIELDS};

/// Where a rule applies. Empty lists mean "any".
#[derive(Debug, Clone, Default)]
pub struct Scope {
    /// Lower-cased channel names.
    pub channels: Vec<String>,
    /// Lower-cased provider names.
    pub providers: Vec<String>,
    /// Event ids.
    pub event_ids: Vec<u32>,
}

impl Scope {
    /// True when an event of this channel, provider and id is in scope.
    pub fn applies(&self, ev: &Event) -> bool {
        (self.channels.is_empty()
            || self
                .channels
                .iter()
                .any(|c| c.eq_ignore_ascii_case(&ev.channel)))
            && (self.providers.is_empty()
                || self
                    .providers
                    .iter()
                    .any(|p| p.eq_ignore_ascii_case(&ev.provider)))
            && (self.event_ids.is_empty() || self.event_ids.contains(&ev.event_id))
    }
}

/// A rule's condition.
#[derive(Debug)]
pub enum Logic {
    /// A native `event:` condition.
    Native(Condition),
    /// A compiled Sigma detection.
    Sigma(Expr),
}

impl Logic {
    fn eval(&self, ev: &Event) -> bool {
        match self {
            Logic::Native(c) => c.eval(&mut EvalCtx::new(ev)),
            Logic::Sigma(e) => e.eval(ev),
        }
    }

    /// Field names the condition reads (lower-cased).
    pub fn fields(&self) -> Vec<String> {
        let mut out = Vec::new();
        match self {
            Logic::Native(c) => c.fields(&mut out),
            Logic::Sigma(e) => e.fields(&mut out),
        }
        out
    }
}

/// One way a rule applies: a scope and the logic to run there (a Sigma process-creation rule
/// has one variant for Sysmon 1 and one, with renamed fields, for Security 4688).
#[derive(Debug)]
pub struct Variant {
    /// Index of the rule in [`Engine::rules`].
    pub rule: usize,
    /// Where it applies.
    pub scope: Scope,
    /// What it checks.
    pub logic: Logic,
}

/// A rule's identity and evidence fields.
#[derive(Debug)]
pub struct RuleEntry {
    /// Metadata shared with findings.
    pub meta: Arc<RuleMeta>,
    /// Fields kept as evidence (lower-cased): those the logic reads plus extras.
    pub fields: Vec<String>,
}

#[derive(Debug, Default)]
struct IdIndex {
    by_id: FxHashMap<u32, Vec<usize>>,
    any_id: Vec<usize>,
}

impl IdIndex {
    fn add(&mut self, ids: &[u32], v: usize) {
        if ids.is_empty() {
            self.any_id.push(v);
        }
        for id in ids {
            self.by_id.entry(*id).or_default().push(v);
        }
    }

    /// The variants of event `id`, then those of any id.
    fn get(&self, id: u32) -> [&[usize]; 2] {
        let by_id = self.by_id.get(&id).map_or(&[][..], Vec::as_slice);
        [by_id, &self.any_id]
    }
}

/// The variants that may apply to a record of one channel and event id, as the engine's own
/// lists (nothing copied per record): the channel's for that id, the channel's for any id, then
/// those of any channel for that id and for any id — the order they are evaluated in.
#[derive(Debug, Clone, Copy, Default)]
struct Candidates<'e>([&'e [usize]; 4]);

impl<'e> Candidates<'e> {
    fn is_empty(&self) -> bool {
        self.0.iter().all(|l| l.is_empty())
    }

    fn iter(&self) -> impl Iterator<Item = usize> + 'e {
        self.0.into_iter().flatten().copied()
    }
}

/// Compiled rules ready to evaluate events; shared by all threads.
#[derive(Debug, Default)]
pub struct Engine {
    /// The rules.
    pub rules: Vec<RuleEntry>,
    variants: Vec<Variant>,
    by_channel: FxHashMap<String, IdIndex>,
    any_channel: IdIndex,
    /// Variants reading process-tree fields: run on every process creation after the file.
    tree_variants: Vec<Variant>,
    /// Findings kept per rule and file; more are counted as suppressed.
    pub max_findings_per_rule: u64,
    /// The literal index, built on first use (after every rule is added).
    index: OnceLock<LiteralIndex>,
    /// Evaluate every candidate of the channel/event-id lookup, without the literal index (the
    /// reference the index is tested against).
    pub without_literal_index: bool,
    /// Rule variants evaluated on an event so far (past the channel, event id, literal index
    /// and provider checks): what the index lets through.
    checks: AtomicU64,
}

impl Engine {
    /// An empty engine keeping at most `max_findings_per_rule` findings per rule and file.
    pub fn new(max_findings_per_rule: u64) -> Engine {
        Engine {
            max_findings_per_rule,
            ..Default::default()
        }
    }

    /// Add a rule with its variants; returns its index.
    pub fn add_rule(
        &mut self,
        meta: Arc<RuleMeta>,
        extra_fields: &[String],
        variants: Vec<(Scope, Logic)>,
    ) -> usize {
        let rule = self.rules.len();
        let mut fields: Vec<String> = Vec::new();
        for (scope, logic) in variants {
            let reads = logic.fields();
            let reads_tree = reads.iter().any(|f| TREE_FIELDS.contains(&f.as_str()));
            for f in reads {
                if !fields.contains(&f) {
                    fields.push(f);
                }
            }
            if reads_tree {
                self.tree_variants.push(Variant { rule, scope, logic });
                continue;
            }
            let v = self.variants.len();
            if scope.channels.is_empty() {
                self.any_channel.add(&scope.event_ids, v);
            }
            for c in &scope.channels {
                self.by_channel
                    .entry(c.clone())
                    .or_default()
                    .add(&scope.event_ids, v);
            }
            self.variants.push(Variant { rule, scope, logic });
        }
        for f in extra_fields {
            if !fields.contains(f) {
                fields.push(f.clone());
            }
        }
        self.rules.push(RuleEntry { meta, fields });
        rule
    }

    /// Number of rules.
    pub fn len(&self) -> usize {
        self.rules.len()
    }

    /// True when no rule is loaded.
    pub fn is_empty(&self) -> bool {
        self.rules.is_empty()
    }

    /// The literal index over every variant, built on the first call. Call it once after the
    /// last rule is added and before hunting (as `EventHunter::new` does): building it runs a
    /// parallel loop, in which a rayon worker may pick up a hunting job that needs the index.
    pub fn literal_index(&self) -> &LiteralIndex {
        self.index.get_or_init(|| LiteralIndex::new(&self.variants))
    }

    /// Sigma regexes that could not be compiled, as (rule index, pattern, error): with
    /// `compile_now` every one is compiled to find out; without, only those some event needed
    /// (regexes are compiled on first use).
    pub fn regex_errors(&self, compile_now: bool) -> Vec<(usize, String, String)> {
        let mut out: Vec<(usize, String, String)> = Vec::new();
        for v in self.variants.iter().chain(&self.tree_variants) {
            let Logic::Sigma(expr) = &v.logic else {
                continue;
            };
            let mut regexes = Vec::new();
            expr.regexes(&mut regexes);
            for re in regexes {
                if let Some(e) = re.error(compile_now) {
                    if !out.iter().any(|(r, p, _)| *r == v.rule && p == re.as_str()) {
                        out.push((v.rule, re.as_str().to_string(), e.to_string()));
                    }
                }
            }
        }
        out
    }

    /// Rule variants evaluated on an event so far, by every hunt with this engine (process-tree
    /// rules, run on every process creation after the file, not counted).
    pub fn checks(&self) -> u64 {
        self.checks.load(Ordering::Relaxed)
    }

    /// True when some rule reads the process tree (see [`crate::tree`]).
    pub fn has_tree_rules(&self) -> bool {
        !self.tree_variants.is_empty()
    }

    /// Variants that may apply to an event of `channel` and `event_id`.
    fn candidates(&self, channel: &str, event_id: u32) -> Candidates<'_> {
        let of_channel = self.by_channel.get(channel).or_else(|| {
            channel
                .bytes()
                .any(|b| b.is_ascii_uppercase())
                .then(|| self.by_channel.get(&channel.to_lowercase()))
                .flatten()
        });
        let [a, b] = of_channel.map_or([&[][..]; 2], |ix| ix.get(event_id));
        let [c, d] = self.any_channel.get(event_id);
        Candidates([a, b, c, d])
    }
}

/// The engine applied to one file: counts findings per rule to cap them.
pub struct FileHunt<'a> {
    engine: &'a Engine,
    file: &'a LogFile,
    counts: Vec<AtomicU64>,
    cancel: exhunt_core::cancel::Cancel,
    tree: Option<TreeCollector>,
}

/// True for the process-creation events the tree is built from.
fn is_process_creation(channel: &str, event_id: u32) -> bool {
    (event_id == 1 && channel.eq_ignore_ascii_case(crate::sigma::logsource::SYSMON))
        || (event_id == 4688 && channel.eq_ignore_ascii_case("security"))
}

impl<'a> FileHunt<'a> {
    /// Start hunting `file`.
    pub fn new(engine: &'a Engine, file: &'a LogFile) -> FileHunt<'a> {
        FileHunt {
            engine,
            file,
            counts: (0..engine.rules.len()).map(|_| AtomicU64::new(0)).collect(),
            cancel: exhunt_core::cancel::Cancel::default(),
            tree: engine.has_tree_rules().then(TreeCollector::default),
        }
    }

    /// Stop reading once `cancel` is set (the scan was interrupted).
    pub fn with_cancel(mut self, cancel: exhunt_core::cancel::Cancel) -> FileHunt<'a> {
        self.cancel = cancel;
        self
    }

    /// Run the process-tree rules once the whole file is read: their findings, how many
    /// process creations were over the tree's limit (not part of it), and how many were kept
    /// shortened ([`crate::tree::TreeCollector::shrunk`]).
    pub fn finish_tree(&mut self) -> (Vec<Finding>, u64, u64) {
        let Some(tree) = self.tree.take() else {
            return (vec![], 0, 0);
        };
        let (dropped, shrunk) = (tree.dropped(), tree.shrunk());
        let mut out = Vec::new();
        tree.for_each_event(|ev| {
            let mut matched: Vec<usize> = Vec::new();
            for v in &self.engine.tree_variants {
                if matched.contains(&v.rule) || !v.scope.applies(&ev) || !v.logic.eval(&ev) {
                    continue;
                }
                matched.push(v.rule);
                let n = self.counts[v.rule].fetch_add(1, Ordering::Relaxed) + 1;
                if n <= self.engine.max_findings_per_rule {
                    out.push(build_finding(&self.engine.rules[v.rule], &ev, self.file));
                }
            }
        });
        (out, dropped, shrunk)
    }

    /// (rule index, matches not kept) for rules that hit the cap.
    pub fn suppressed(&self) -> Vec<(usize, u64)> {
        let keep = self.engine.max_findings_per_rule;
        self.counts
            .iter()
            .enumerate()
            .filter_map(|(i, c)| {
                let n = c.load(Ordering::Relaxed);
                (n > keep).then(|| (i, n - keep))
            })
            .collect()
    }

    fn evaluate(&self, ev: &Event, cands: Candidates<'_>) -> Vec<Finding> {
        thread_local! {
            static HITS: RefCell<Hits> = RefCell::new(Hits::default());
        }
        if self.engine.without_literal_index {
            return self.evaluate_with(ev, cands, |_| true);
        }
        // The index is built before any hunt (`EventHunter::new`): building it runs a parallel
        // loop, and a rayon worker waiting on one may run another chunk's events — which would
        // find the scratch below still borrowed, or wait on this very initialisation.
        let index = self.engine.literal_index();
        HITS.with(|hits| match hits.try_borrow_mut() {
            Ok(mut hits) => {
                index.scan(ev, &mut hits);
                self.evaluate_with(ev, cands, |v| hits.admits(index, v))
            }
            Err(_) => {
                let mut own = Hits::default();
                index.scan(ev, &mut own);
                self.evaluate_with(ev, cands, |v| own.admits(index, v))
            }
        })
    }

    fn evaluate_with(
        &self,
        ev: &Event,
        cands: Candidates<'_>,
        admits: impl Fn(usize) -> bool,
    ) -> Vec<Finding> {
        let mut out = Vec::new();
        let mut matched_rules: Vec<usize> = Vec::new();
        let mut checked = 0;
        for vi in cands.iter() {
            let v = &self.engine.variants[vi];
            if matched_rules.contains(&v.rule) || !admits(vi) {
                continue;
            }
            if !v.scope.providers.is_empty()
                && !v
                    .scope
                    .providers
                    .iter()
                    .any(|p| p.eq_ignore_ascii_case(&ev.provider))
            {
                continue;
            }
            if !v.scope.event_ids.is_empty() && !v.scope.event_ids.contains(&ev.event_id) {
                continue;
            }
            checked += 1;
            if !v.logic.eval(ev) {
                continue;
            }
            matched_rules.push(v.rule);
            let n = self.counts[v.rule].fetch_add(1, Ordering::Relaxed) + 1;
            if n > self.engine.max_findings_per_rule {
                continue;
            }
            out.push(build_finding(&self.engine.rules[v.rule], ev, self.file));
        }
        // One shared count per event, not per rule checked.
        if checked > 0 {
            self.engine.checks.fetch_add(checked, Ordering::Relaxed);
        }
        out
    }
}

impl<'a> FileHunt<'a> {
    /// The candidate rules of a record of `channel` and `event_id`, and whether the process
    /// tree keeps it; `None` when nothing reads it.
    fn interest(&self, channel: &str, event_id: u32) -> Option<(Candidates<'a>, bool)> {
        let cands = self.engine.candidates(channel, event_id);
        let for_tree = self.tree.is_some() && is_process_creation(channel, event_id);
        (!cands.is_empty() || for_tree).then_some((cands, for_tree))
    }

    /// Flatten a record some rule or the tree reads, and evaluate it; `None` when it does not
    /// have the shape of an event (no `Event/System`).
    fn hunt_record(
        &self,
        event: &Value,
        record_id: Option<u64>,
        (cands, for_tree): (Candidates<'_>, bool),
    ) -> Option<Vec<Finding>> {
        let ev = flatten(event, record_id)?;
        if let (true, Some(tree)) = (for_tree, &self.tree) {
            tree.add(&ev);
        }
        if cands.is_empty() {
            // Kept for the tree only: no rule to evaluate now (not even the index).
            return Some(vec![]);
        }
        Some(self.evaluate(&ev, cands))
    }
}

impl RecordHandler for FileHunt<'_> {
    fn handle(&self, event: &Value, record_id: Option<u64>) -> Vec<Finding> {
        let Some((channel, id)) = peek_channel_and_id(event) else {
            return vec![];
        };
        match self.interest(channel, id) {
            Some(interest) => self
                .hunt_record(event, record_id, interest)
                .unwrap_or_default(),
            None => vec![],
        }
    }

    fn handle_bytes(&self, json: &[u8], record_id: Option<u64>) -> Result<Vec<Finding>, String> {
        // Channel and id read from the bytes: most records are dismissed without parsing, and
        // the others are not looked up again after it.
        let peeked = crate::peek::channel_and_id(json);
        let interest = match &peeked {
            Some((channel, id)) => match self.interest(channel, *id) {
                Some(interest) => Some(interest),
                None => return Ok(vec![]),
            },
            None => None,
        };
        let v: Value = serde_json::from_slice(json).map_err(|e| e.to_string())?;
        let Some((channel, id)) = peek_channel_and_id(&v) else {
            // Not an event, though its bytes peeked as one: a bad record.
            return match interest {
                Some(_) => Err("record without Event/System".to_string()),
                None => Ok(vec![]),
            };
        };
        // The first `Channel` and `EventID` keys of the bytes are System's in the evtx crate's
        // JSON; a record whose System lacks one (a carved record) can hold data fields of those
        // names. Its candidates are then taken from its System, not from the peek (so are
        // those of a channel with non-ASCII capitals, which the peek lower-cased otherwise).
        let peek_was_system =
            matches!(&peeked, Some((c, i)) if *i == id && c.eq_ignore_ascii_case(channel));
        match interest {
            Some(interest) if peek_was_system => self
                .hunt_record(&v, record_id, interest)
                .ok_or_else(|| "record without Event/System".to_string()),
            _ => Ok(match self.interest(channel, id) {
                Some(interest) => self
                    .hunt_record(&v, record_id, interest)
                    .unwrap_or_default(),
                None => vec![],
            }),
        }
    }

    fn stopped(&self) -> bool {
        self.cancel.is_cancelled()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sigma::expr::{FieldTest, Matcher};
    use exhunt_core::model::{Severity, SourceKind, Stage};

    fn whoami_on_security_4688() -> Engine {
        let meta = RuleMeta {
            id: "T-1".into(),
            title: "whoami".into(),
            description: String::new(),
            severity: Severity::High,
            stage: Stage::Exploitation,
            cves: vec![],
            tags: vec![],
            attack: vec![],
            references: vec![],
            author: None,
            remediation: String::new(),
            origin: "test".into(),
            escalate_on_intrusion: None,
        };
        let scope = Scope {
            channels: vec!["security".into()],
            providers: vec![],
            event_ids: vec![4688],
        };
        let logic = Logic::Sigma(Expr::Field(FieldTest {
            field: "commandline".into(),
            matchers: vec![Matcher::Contains("whoami".into(), false)],
            all: false,
        }));
        let mut engine = Engine::new(10);
        engine.add_rule(Arc::new(meta), &[], vec![(scope, logic)]);
        engine.literal_index();
        engine
    }

    #[test]
    fn candidates_come_from_the_records_system_not_a_data_field_of_the_same_name() {
        let engine = whoami_on_security_4688();
        let file = LogFile {
            path: "x.evtx".into(),
            rel: "x.evtx".into(),
            kind: SourceKind::Evtx,
            size: 0,
            host: "EX01".into(),
        };
        let hunt = FileHunt::new(&engine, &file);
        let security = br#"{"Event":{"System":{"EventID":4688,"Channel":"Security"},"EventData":{"CommandLine":"whoami"}}}"#;
        assert_eq!(hunt.handle_bytes(security, Some(1)).unwrap().len(), 1);
        // System names no channel; a data field called Channel says Security.
        let carved = br#"{"Event":{"System":{"EventID":4688},"EventData":{"Channel":"Security","CommandLine":"whoami"}}}"#;
        assert!(hunt.handle_bytes(carved, Some(2)).unwrap().is_empty());
        // Not an event at all, though its bytes peek as one: a bad record.
        let other = br#"{"Channel":"Security","EventID":4688}"#;
        assert!(hunt.handle_bytes(other, Some(3)).is_err());
    }
}
