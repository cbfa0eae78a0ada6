//! The literal index must not change what the event hunter finds: every SigmaHQ Windows rule of
//! the shared corpus over every EVTX of the corpus (attack captures and the evtx crate's
//! samples), with and without it; and it must spare nearly every rule check.

mod corpus_support;

use std::collections::BTreeMap;
use std::path::PathBuf;

use corpus_support::{assert_same, attack_captures, corpus, evtx_files, findings_of};
use exhunt_core::rules::RuleSet;
use exhunt_events::{EventHunter, EventOptions};

fn hunter(literal_index: bool) -> EventHunter {
    hunter_of(
        &RuleSet::default(),
        vec![corpus().join("sigma/SigmaHQ__sigma-all/rules/windows")],
        literal_index,
    )
}

fn hunter_of(rules: &RuleSet, sigma_dirs: Vec<PathBuf>, literal_index: bool) -> EventHunter {
    EventHunter::new(
        rules,
        EventOptions {
            sigma_dirs,
            literal_index,
            // Every match kept: which records a capped rule keeps depends on the order the
            // EVTX chunks are parsed in, not on the index.
            max_findings_per_rule: u64::MAX,
            ..Default::default()
        },
    )
}

fn corpus_files() -> Vec<PathBuf> {
    let mut files = attack_captures();
    // The evtx crate's own samples: other channels (and damaged files) than attack captures.
    let captures = files.len();
    evtx_files(&corpus().join("evtx/omerbenamram__evtx"), &mut files);
    assert!(
        files.len() >= captures + 20,
        "the evtx crate's samples are there"
    );
    files.sort();
    files
}

/// exhunt's own event rules are indexed by the literals their conditions need, too.
#[test]
fn literal_index_keeps_every_finding_of_the_built_in_event_rules() {
    let rules = RuleSet::load(&exhunt_core::rules::RuleSources {
        embedded: true,
        user_paths: vec![],
    });
    let (fast, every) = (
        hunter_of(&rules, vec![], true),
        hunter_of(&rules, vec![], false),
    );
    let mut fired = std::collections::BTreeSet::new();
    for path in corpus_files() {
        let (a, b) = (findings_of(&fast, &path), findings_of(&every, &path));
        assert_same(&a, &b, &path);
        fired.extend(a.iter().map(|f| f.split(' ').next().unwrap().to_string()));
    }
    assert!(
        fired.len() > 25,
        "{} built-in rules fired: {fired:?}",
        fired.len()
    );
}

#[test]
fn literal_index_finds_exactly_what_checking_every_rule_finds() {
    let files = corpus_files();
    assert!(files.len() > 400, "{} EVTX files", files.len());
    let (fast, every) = (hunter(true), hunter(false));
    assert!(fast.rule_count() > 2000, "{} rules", fast.rule_count());
    let mut per_rule: BTreeMap<String, usize> = BTreeMap::new();
    for path in &files {
        let (a, b) = (findings_of(&fast, path), findings_of(&every, path));
        assert_same(&a, &b, path);
        for f in a {
            *per_rule
                .entry(f.split(' ').next().unwrap().to_string())
                .or_default() += 1;
        }
    }
    // The comparison is only worth something if many rules fire.
    assert!(per_rule.len() > 150, "{} rules fired", per_rule.len());
    // And the index must spare nearly every rule check: with all 2,407 rules, 20,748 checks
    // instead of 2,114,170 on 2026-12-04 (1/102); 26,272 (1/80) before an `or` required
    // unions of its alternatives' clauses and regexes their longest literals.
    let (checked, all) = (fast.rule_checks(), every.rule_checks());
    assert!(
        checked > 0 && checked * 90 < all,
        "{checked} rule checks with the index, {all} without"
    );
}
