//! The Velociraptor client artifact (`contrib/velociraptor/Custom.Exchange.Exhunt.yaml`) has the
//! structure Velociraptor requires and names what exhunt really has: its name follows the
//! naming rules, exhunt is a tool with a pinned SHA-256 served by the server, the parameters
//! are well formed, the sources run serially (no source preconditions, so Results sees what Run
//! wrote), every `--option` the VQL passes is an option of `exhunt scan`, and the line kinds
//! and columns it names are the ones exhunt writes.

use std::path::PathBuf;
use std::process::Command;

use serde_yaml_ng::Value;

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn artifact() -> Value {
    let text =
        std::fs::read_to_string(repo().join("contrib/velociraptor/Custom.Exchange.Exhunt.yaml"))
            .unwrap();
    serde_yaml_ng::from_str(&text).unwrap()
}

fn s(v: &Value) -> &str {
    v.as_str().unwrap_or_else(|| panic!("not a string: {v:?}"))
}

#[test]
fn artifact_has_the_structure_velociraptor_requires() {
    let a = artifact();
    let name = s(&a["name"]);
    // Letters, digits and `_` in dot-separated parts, each starting with a letter.
    assert!(
        name.split('.').all(
            |p| p.chars().next().is_some_and(|c| c.is_ascii_alphabetic())
                && p.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
        ),
        "{name}"
    );
    assert!(
        name.to_ascii_lowercase().contains("exhunt"),
        "exhunt merge finds hunt results by this name"
    );
    assert_eq!(s(&a["type"]).to_ascii_uppercase(), "CLIENT");
    let tools = a["tools"].as_sequence().unwrap();
    let tool = tools
        .iter()
        .find(|t| t["name"] == "exhunt")
        .expect("an exhunt tool");
    let hash = s(&tool["expected_hash"]);
    assert!(
        hash.len() == 64
            && hash
                .bytes()
                .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase()),
        "{hash}"
    );
    assert_eq!(tool["serve_locally"], Value::Bool(true));
    if let Some(url) = tool["url"].as_str() {
        assert!(url.starts_with("https://"), "{url}");
    }
    let perms: Vec<&str> = a["required_permissions"]
        .as_sequence()
        .unwrap()
        .iter()
        .map(s)
        .collect();
    assert!(perms.contains(&"EXECVE"));
    assert!(a["resources"]["timeout"].as_u64().unwrap() > 0);
    let params = a["parameters"].as_sequence().unwrap();
    let names: Vec<&str> = params.iter().map(|p| s(&p["name"])).collect();
    for want in ["Drives", "Org", "Threads", "Since"] {
        assert!(names.contains(&want), "parameter {want} missing: {names:?}");
    }
    for p in params {
        if let Some(d) = p.get("default") {
            assert!(d.is_string(), "defaults are strings: {p:?}");
        }
        if let Some(t) = p.get("type") {
            assert!(
                ["int", "bool", "string", "timestamp", "csv"].contains(&s(t)),
                "{p:?}"
            );
        }
    }
    let sources = a["sources"].as_sequence().unwrap();
    let snames: Vec<&str> = sources.iter().map(|x| s(&x["name"])).collect();
    assert_eq!(snames, ["Run", "Results"]);
    assert!(
        sources.iter().all(|x| x.get("precondition").is_none()),
        "a source precondition would run the sources in parallel"
    );
    let run = s(&sources[0]["query"]);
    let results = s(&sources[1]["query"]);
    assert!(run.contains("Artifact.Generic.Utils.FetchBinary(ToolName=\"exhunt\")"));
    assert!(run.contains("execve(argv=["));
    assert!(run.contains("upload(file="));
    assert!(
        run.contains("\"--host\", Fqdn"),
        "hosts are named by their FQDN, as merge keys them"
    );
    assert!(results.contains("parse_jsonl("));
}

#[test]
fn the_vql_names_exhunts_options_line_kinds_and_columns() {
    let a = artifact();
    let run = s(&a["sources"][0]["query"]).to_string();
    let results = s(&a["sources"][1]["query"]).to_string();
    // Every option the VQL passes is an option of `exhunt scan`.
    let help = Command::new(env!("CARGO_BIN_EXE_exhunt"))
        .args(["scan", "--help"])
        .output()
        .unwrap();
    let help = String::from_utf8(help.stdout).unwrap();
    let mut options = Vec::new();
    for part in run.split('"').skip(1).step_by(2) {
        if part.starts_with("--") {
            options.push(part.to_string());
        }
    }
    assert!(options.len() >= 6, "{options:?}");
    for o in &options {
        assert!(
            help.contains(&format!("{o} ")) || help.contains(&format!("{o}\n")),
            "exhunt scan has no {o}"
        );
    }
    assert!(run.contains("\"scan\""));
    // The kinds and columns it names are what exhunt writes.
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("x.jsonl");
    Command::new(env!("CARGO_BIN_EXE_exhunt"))
        .args([
            "scan",
            "examples/fleet/collections/alpha/EX-A1",
            "--host",
            "ex-a1.corp.example",
            "-q",
            "--jsonl",
        ])
        .arg(&out)
        .current_dir(repo())
        .status()
        .unwrap();
    let lines: Vec<serde_json::Value> = std::fs::read_to_string(&out)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let kinds: std::collections::BTreeSet<&str> =
        lines.iter().filter_map(|l| l["kind"].as_str()).collect();
    let filter = results
        .split("kind =~ \"^(")
        .nth(1)
        .unwrap()
        .split(")$\"")
        .next()
        .unwrap();
    for k in filter.split('|') {
        assert!(
            kinds.contains(k) || k == "issue",
            "exhunt writes no '{k}' lines: {kinds:?}"
        );
    }
    let finding = lines.iter().find(|l| l["kind"] == "finding").unwrap();
    assert_eq!(
        finding["host"], "ex-a1.corp.example",
        "--host names the server"
    );
    for c in a["column_types"].as_sequence().unwrap() {
        let col = s(&c["name"]);
        assert!(finding.get(col).is_some(), "finding lines have no '{col}'");
    }
    // The columns the Results comment promises.
    let promised = results
        .split("rows:")
        .nth(1)
        .unwrap()
        .split('…')
        .next()
        .unwrap();
    for col in promised
        .split(|c: char| c == ',' || c.is_whitespace() || c == '-')
        .filter(|w| !w.is_empty())
    {
        assert!(
            lines
                .iter()
                .any(|l| l["kind"] == "finding" && l.get(col).is_some()),
            "no finding line has '{col}'"
        );
    }
}

#[test]
fn pin_script_writes_the_hash_of_a_build() {
    let dir = tempfile::tempdir().unwrap();
    let contrib = dir.path().join("contrib/velociraptor");
    std::fs::create_dir_all(&contrib).unwrap();
    for f in ["Custom.Exchange.Exhunt.yaml", "pin.sh"] {
        std::fs::copy(repo().join("contrib/velociraptor").join(f), contrib.join(f)).unwrap();
    }
    let bin = dir.path().join("exhunt.exe");
    std::fs::write(&bin, b"not really a binary").unwrap();
    let ok = Command::new("bash")
        .arg(contrib.join("pin.sh"))
        .arg(&bin)
        .arg("1.2.3")
        .output()
        .unwrap();
    assert!(
        ok.status.success(),
        "{}",
        String::from_utf8_lossy(&ok.stderr)
    );
    let text = std::fs::read_to_string(contrib.join("Custom.Exchange.Exhunt.yaml")).unwrap();
    // sha256("not really a binary")
    let want = {
        let out = Command::new("sha256sum").arg(&bin).output().unwrap();
        String::from_utf8(out.stdout).unwrap()[..64].to_string()
    };
    assert!(
        text.contains(&format!("expected_hash: \"{want}\"")),
        "{text}"
    );
    assert!(text.contains("version: \"1.2.3\""));
}
