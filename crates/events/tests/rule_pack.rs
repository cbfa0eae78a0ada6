//! Compiled rule packs (`exhunt rules compile`): a pack of a rule set loads the same rules,
//! reports the same problems and finds the same as the folder it was compiled from; a damaged,
//! truncated or foreign pack is reported and what can be read of it still loads.

mod corpus_support;

use std::path::{Path, PathBuf};

use corpus_support::{assert_same, attack_captures, corpus, findings_of};
use exhunt_core::rules::{DiagnosticLevel, RuleSet};
use exhunt_events::sigma::pack::{is_pack, write_pack, PackSummary};
use exhunt_events::{EventHunter, EventOptions};

fn hunter(sigma: &Path) -> EventHunter {
    EventHunter::new(
        &RuleSet::default(),
        EventOptions {
            sigma_dirs: vec![sigma.to_path_buf()],
            max_findings_per_rule: u64::MAX,
            ..Default::default()
        },
    )
}

fn pack_of(sources: &[PathBuf], dir: &Path) -> (PathBuf, PackSummary) {
    let path = dir.join("rules.exhpack");
    let mut out = std::io::BufWriter::new(std::fs::File::create(&path).unwrap());
    let summary = write_pack(sources, "2026-12-04T00:00:00Z", &mut out).unwrap();
    drop(out);
    (path, summary)
}

/// Why no pack is written from `source`: the error `write_pack` returns, once it is checked
/// that nothing was written.
fn refusal(source: &Path) -> String {
    let mut out = Vec::new();
    let e = write_pack(&[source.to_path_buf()], "2026-12-04T00:00:00Z", &mut out).unwrap_err();
    assert!(out.is_empty(), "{} bytes written before: {e}", out.len());
    e.to_string()
}

/// Every rule's metadata, and every diagnostic, as text.
fn loaded(h: &EventHunter) -> (Vec<String>, Vec<String>) {
    loaded_as_from(h, None)
}

/// The same, with each rule file named as a load of `pack` names it: `PACK (from FILE)`.
fn loaded_as_from(h: &EventHunter, pack: Option<&Path>) -> (Vec<String>, Vec<String>) {
    let name = |origin: &str| match pack {
        Some(p) => format!("{} (from {origin})", p.display()),
        None => origin.to_string(),
    };
    let metas = h
        .rule_metas()
        .iter()
        .map(|m| {
            let mut m = (**m).clone();
            m.origin = name(&m.origin);
            serde_json::to_string(&m).unwrap()
        })
        .collect();
    let diags = h
        .diagnostics()
        .iter()
        .map(|d| {
            let mut d = d.clone();
            d.origin = name(&d.origin);
            d.to_string()
        })
        .collect();
    (metas, diags)
}

#[test]
fn a_pack_of_the_sigmahq_set_loads_and_finds_what_the_folder_does() {
    let rules = corpus().join("sigma/SigmaHQ__sigma-all/rules/windows");
    let tmp = tempfile::tempdir().unwrap();
    let (pack, summary) = pack_of(std::slice::from_ref(&rules), tmp.path());
    assert!(is_pack(&pack));
    assert!(summary.files > 2000, "{summary:?}");
    assert_eq!(
        summary.files,
        summary.rules + summary.yaml + summary.unsupported
    );
    let (from_folder, from_pack) = (hunter(&rules), hunter(&pack));
    let (metas, diags) = loaded_as_from(&from_folder, Some(&pack));
    assert!(metas.len() > 2000, "{} rules", metas.len());
    assert_eq!(loaded(&from_pack), (metas, diags));

    let files = attack_captures();
    assert!(files.len() > 400, "{} EVTX files", files.len());
    let mut total = 0;
    for f in &files {
        let a = findings_of(&from_pack, f);
        assert_same(&a, &findings_of(&from_folder, f), f);
        total += a.len();
    }
    assert!(total > 1500, "{total} findings");
}

const RULE: &str = r#"title: Whoami run by the web server
id: 00000000-0000-4000-8000-00000000000A
status: test
level: high
tags: [attack.discovery, attack.t1033]
logsource: {product: windows, category: process_creation}
detection:
    selection:
        Image|endswith: '\whoami.exe'
        ParentImage|endswith: '\w3wp.exe'
    condition: selection
falsepositives: [Administrators]
"#;

/// A folder of six rule files: a rule, two JSON cannot hold exactly (a YAML tag the compiler
/// refuses, a NaN it accepts), a two-document collection, a correlation rule and a file that is
/// not YAML; and a link back to the folder itself.
fn small_folder(dir: &Path) -> PathBuf {
    let rules = dir.join("rules");
    std::fs::create_dir_all(&rules).unwrap();
    std::fs::write(rules.join("a_whoami.yml"), RULE).unwrap();
    let nan = RULE
        .replace("0000000A", "0000000C")
        .replace("falsepositives: [Administrators]", "falsepositives: [.nan]");
    std::fs::write(rules.join("a_whoami_nan.yml"), nan).unwrap();
    std::fs::write(
        rules.join("e_correlation.yml"),
        "title: Many whoami\nid: 00000000-0000-4000-8000-00000000000D\ncorrelation:\n  type: event_count\n  rules: [x]\n",
    )
    .unwrap();
    #[cfg(unix)]
    std::os::unix::fs::symlink(&rules, rules.join("loop")).unwrap();
    let tagged = RULE
        .replace("0000000A", "0000000B")
        .replace("Image|endswith: '", "Image|endswith: !custom '");
    std::fs::write(rules.join("b_tagged.yml"), tagged).unwrap();
    std::fs::write(
        rules.join("c_collection.yml"),
        format!("action: global\ntitle: x\n---\n{RULE}"),
    )
    .unwrap();
    std::fs::write(rules.join("d_broken.yml"), "title: [unclosed\n  : :\n").unwrap();
    rules
}

#[test]
fn a_pack_keeps_every_file_as_the_folder_load_judges_it() {
    let tmp = tempfile::tempdir().unwrap();
    let rules = small_folder(tmp.path());
    let (pack, summary) = pack_of(std::slice::from_ref(&rules), tmp.path());
    let expected = PackSummary {
        files: 6,
        rules: 1,
        yaml: 2,
        unsupported: 3,
    };
    assert_eq!(summary, expected);
    let from_folder = loaded_as_from(&hunter(&rules), Some(&pack));
    let from_pack = loaded(&hunter(&pack));
    assert_eq!(from_pack, from_folder);
    // Each file is named as found in the pack, with the path it was compiled from.
    let whoami = rules.join("a_whoami.yml");
    let expected = format!("{} (from {})", pack.display(), whoami.display());
    assert!(
        from_pack
            .0
            .iter()
            .any(|m| m.contains(&serde_json::to_string(&expected).unwrap())),
        "{:?}",
        from_pack.0
    );
    // The tagged value is kept as YAML in the pack and refused by both loads the same way (not
    // a scalar); the NaN rule, kept as YAML too, loads; the folder's link to itself adds nothing.
    assert_eq!(from_pack.0.len(), 2, "{:?}", from_pack.1);
    assert!(from_pack.0.iter().any(|m| m.contains("0000000C")));
    assert!(
        !from_pack.1.iter().any(|d| d.contains("duplicate")),
        "{:?}",
        from_pack.1
    );
    assert!(from_pack
        .1
        .iter()
        .any(|d| d.contains("e_correlation.yml") && d.contains("correlation rules")));
    assert!(from_pack
        .1
        .iter()
        .any(|d| d.contains("c_collection.yml") && d.contains("multi-document")));
    assert!(from_pack.1.iter().any(|d| d.contains("d_broken.yml")));
}

fn errors(h: &EventHunter) -> Vec<String> {
    h.diagnostics()
        .iter()
        .filter(|d| d.level == DiagnosticLevel::Error)
        .map(|d| d.to_string())
        .collect()
}

#[test]
fn a_truncated_or_damaged_pack_is_reported_and_the_rest_still_loads() {
    let tmp = tempfile::tempdir().unwrap();
    let rules = tmp.path().join("rules");
    std::fs::create_dir_all(&rules).unwrap();
    for i in 0..3 {
        let r = RULE
            .replace("0000000A", &format!("0000001{i}"))
            .replace("Whoami run", &format!("Whoami {i} run"));
        std::fs::write(rules.join(format!("r{i}.yml")), r).unwrap();
    }
    let (pack, _) = pack_of(std::slice::from_ref(&rules), tmp.path());
    let text = std::fs::read_to_string(&pack).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 5, "header, three rules, end");
    assert_eq!(hunter(&pack).rule_count(), 3);
    assert!(errors(&hunter(&pack)).is_empty());

    // Cut before the end line (a copy that stopped short).
    let cut = tmp.path().join("cut.exhpack");
    std::fs::write(&cut, lines[..3].join("\n")).unwrap();
    let h = hunter(&cut);
    assert_eq!(h.rule_count(), 2);
    let e = errors(&h);
    assert!(
        e.len() == 1 && e[0].contains("truncated") && e[0].contains("2 of 3"),
        "{e:?}"
    );

    // Cut inside the second rule's line: that line is damaged, the count says so.
    let mid = tmp.path().join("mid.exhpack");
    let upto = text.find(lines[2]).unwrap() + lines[2].len() / 2;
    std::fs::write(&mid, &text[..upto]).unwrap();
    let h = hunter(&mid);
    assert_eq!(h.rule_count(), 1);
    let e = errors(&h);
    assert!(
        e.len() == 2
            && e.iter().any(|m| m.contains("mid.exhpack:3"))
            && e.iter()
                .any(|m| m.contains("1 of 3 rule files read, 1 damaged line skipped")),
        "{e:?}"
    );

    // A byte order mark (an editor's re-save) is skipped; a UTF-16 copy is refused as such.
    let bom = tmp.path().join("bom.json");
    std::fs::write(&bom, format!("\u{feff}{text}")).unwrap();
    assert!(is_pack(&bom));
    assert_eq!(hunter(&bom).rule_count(), 3);
    assert!(errors(&hunter(&bom)).is_empty());
    let utf16 = tmp.path().join("utf16.exhpack");
    let wide: Vec<u8> = [0xFF, 0xFE]
        .into_iter()
        .chain(text.encode_utf16().flat_map(u16::to_le_bytes))
        .collect();
    std::fs::write(&utf16, wide).unwrap();
    let e = errors(&hunter(&utf16));
    assert!(e.len() == 1 && e[0].contains("UTF-16"), "{e:?}");

    // A pack in a rules folder is read as a pack.
    let folder = tmp.path().join("with-pack");
    std::fs::create_dir_all(&folder).unwrap();
    std::fs::copy(&pack, folder.join("set.exhpack")).unwrap();
    assert_eq!(hunter(&folder).rule_count(), 3);

    // One rule line damaged: that line is reported, the others load.
    let damaged = tmp.path().join("damaged.exhpack");
    let mut l = lines.clone();
    let bad = l[2][..l[2].len() / 2].to_string();
    l[2] = &bad;
    std::fs::write(&damaged, l.join("\n") + "\n").unwrap();
    let h = hunter(&damaged);
    assert_eq!(h.rule_count(), 2);
    let e = errors(&h);
    assert!(
        e.len() == 1 && e[0].contains("damaged.exhpack:3") && e[0].contains("unreadable"),
        "{e:?}"
    );

    // A pack of another format: refused whole, with what to do.
    let other = tmp.path().join("other.exhpack");
    std::fs::write(
        &other,
        text.replacen("\"exhunt_sigma_pack\":1", "\"exhunt_sigma_pack\":99", 1),
    )
    .unwrap();
    let h = hunter(&other);
    assert_eq!(h.rule_count(), 0);
    let e = errors(&h);
    assert!(
        e.len() == 1 && e[0].contains("format 99") && e[0].contains("exhunt rules compile"),
        "{e:?}"
    );
}

#[test]
fn a_pack_is_not_packed_again_and_an_empty_folder_is_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let rules = small_folder(tmp.path());
    let (pack, _) = pack_of(std::slice::from_ref(&rules), tmp.path());
    let mut sink = Vec::new();
    let e = write_pack(&[pack], "t", &mut sink).unwrap_err();
    assert!(e.to_string().contains("is a rule pack"), "{e}");
    // A rule file that cannot be read: no pack (it would lack that rule everywhere).
    #[cfg(unix)]
    {
        std::os::unix::fs::symlink(tmp.path().join("gone.yml"), rules.join("z_gone.yml")).unwrap();
        let e = write_pack(&[rules], "t", &mut sink).unwrap_err();
        assert!(e.to_string().contains("z_gone.yml"), "{e}");
    }
    let empty = tmp.path().join("empty");
    std::fs::create_dir_all(&empty).unwrap();
    let e = write_pack(&[empty], "t", &mut sink).unwrap_err();
    assert!(e.to_string().contains("no Sigma rule files"), "{e}");
    assert!(sink.is_empty(), "nothing written before the check");
}

#[test]
fn rules_too_deep_to_read_are_reported_and_keep_a_pack_from_being_written() {
    let tmp = tempfile::tempdir().unwrap();
    let rules = tmp.path().join("rules");
    std::fs::create_dir_all(&rules).unwrap();
    std::fs::write(rules.join("a_whoami.yml"), RULE).unwrap();
    let deep = (0..40).fold(rules.clone(), |p, i| p.join(format!("d{i}")));
    std::fs::create_dir_all(&deep).unwrap();
    std::fs::write(
        deep.join("b_whoami.yml"),
        RULE.replace("0000000A", "0000000E"),
    )
    .unwrap();
    // The rule on top loads; the one under 40 folders is named as not read.
    let h = hunter(&rules);
    assert_eq!(h.rule_count(), 1);
    assert!(
        h.diagnostics()
            .iter()
            .any(|d| d.level == DiagnosticLevel::Error
                && d.message.contains("folders deep: not read")),
        "{:?}",
        h.diagnostics()
    );
    // A pack would lack that rule on every server it went to: none is written.
    let e = refusal(&rules);
    assert!(e.contains("folders deep"), "{e}");
}

#[test]
fn a_mistyped_sigma_path_is_named_once_as_missing() {
    let tmp = tempfile::tempdir().unwrap();
    let missing = tmp.path().join("rulez.exhpack");
    let h = hunter(&missing);
    assert_eq!(h.rule_count(), 0);
    let said: Vec<_> = h
        .diagnostics()
        .iter()
        .map(|d| (d.level, &d.message))
        .collect();
    assert_eq!(said.len(), 1, "{said:?}");
    assert_eq!(said[0].0, DiagnosticLevel::Error);
    assert!(
        said[0].1.contains("cannot read this --sigma path")
            && said[0].1.contains("no Sigma rule was loaded"),
        "{said:?}"
    );
    // Compiling from it says the same, and writes nothing.
    let e = refusal(&missing);
    let why = e.replace(&missing.display().to_string(), "PATH");
    assert!(why.starts_with("cannot read PATH: "), "{e}");
    assert!(!why.contains("folder"), "{e}");
}
