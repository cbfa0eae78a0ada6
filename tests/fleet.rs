//! End-to-end: the fleet view on the bundled fleet demo (`examples/fleet/`, see its README):
//! `exhunt scan` with several roots and `exhunt merge` of single scans give the same fleet; the
//! fleet verdicts are the single-root verdicts; indicators have the right spread and exclude
//! private and ordinary users' addresses; a cut result file, a server seen twice, a corrupt zip
//! among good roots and Velociraptor hunt results are handled.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

use serde_json::Value;

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn demo() -> PathBuf {
    repo().join("examples/fleet")
}

const SERVERS: &[(&str, &str)] = &[
    ("alpha", "EX-A1"),
    ("alpha", "EX-A2"),
    ("beta", "EX-B1"),
    ("beta", "EX-B2"),
    ("gamma", "EX-G1"),
    ("gamma", "EX-G2"),
    ("gamma", "EX-G3"),
];

fn exhunt(args: &[&str], cwd: &Path) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_exhunt"))
        .args(args)
        .current_dir(cwd)
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn lines(path: &Path) -> Vec<Value> {
    std::fs::read_to_string(path)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

fn kind<'a>(v: &'a [Value], k: &str) -> Vec<&'a Value> {
    v.iter().filter(|x| x["kind"] == k).collect()
}

/// The fleet lines without what differs between runs (where and when the scan ran).
fn fleet_view(v: &[Value]) -> Vec<String> {
    v.iter()
        .filter(|x| matches!(x["kind"].as_str(), Some("host" | "indicator" | "cluster")))
        .map(|x| {
            let mut x = x.clone();
            if let Value::Object(m) = &mut x {
                m.remove("origin");
                m.remove("scanned");
            }
            x.to_string()
        })
        .collect()
}

struct Runs {
    dir: tempfile::TempDir,
    fleet: Vec<Value>,
    fleet_code: i32,
    fleet_stdout: String,
    singles: BTreeMap<String, (i32, PathBuf)>,
}

/// One multi-root scan and one single scan per server, shared by the tests.
fn runs() -> &'static Runs {
    static RUNS: OnceLock<Runs> = OnceLock::new();
    RUNS.get_or_init(|| {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("fleet.jsonl");
        let html = dir.path().join("fleet.html");
        let (code, stdout, stderr) = exhunt(
            &[
                "scan",
                "--roots-from",
                "roots.csv",
                "--jsonl",
                out.to_str().unwrap(),
                "--html",
                html.to_str().unwrap(),
                "--color=never",
            ],
            &demo(),
        );
        assert!(code == 1, "fleet scan exit {code}: {stderr}");
        let mut singles = BTreeMap::new();
        for (org, host) in SERVERS {
            let p = dir.path().join(format!("{org}-{host}.jsonl"));
            let root = format!("collections/{org}/{host}");
            let (c, _, e) = exhunt(
                &[
                    "scan",
                    &root,
                    "--org",
                    org,
                    "--jsonl",
                    p.to_str().unwrap(),
                    "-q",
                ],
                &demo(),
            );
            assert!(c <= 1, "{host}: {e}");
            singles.insert(host.to_string(), (c, p));
        }
        Runs {
            fleet: lines(&out),
            fleet_code: code,
            fleet_stdout: stdout,
            singles,
            dir,
        }
    })
}

fn host<'a>(v: &'a [Value], name: &str) -> &'a Value {
    kind(v, "host")
        .into_iter()
        .find(|h| h["host"] == name)
        .unwrap_or_else(|| panic!("no host line for {name}"))
}

#[test]
fn fleet_verdicts_are_the_single_root_verdicts() {
    let r = runs();
    let expected = [
        ("EX-A1", "compromised"),
        ("EX-A2", "no evidence found"),
        ("EX-B1", "compromised"),
        ("EX-B2", "not assessable"),
        ("EX-G1", "compromised"),
        ("EX-G2", "exploitation attempted"),
        ("EX-G3", "no evidence found"),
    ];
    for (name, verdict) in expected {
        let h = host(&r.fleet, name);
        assert_eq!(h["verdict"], verdict, "{name}: {}", h["reason"]);
        let single = lines(&r.singles[name].1);
        let summary = single.last().unwrap();
        assert_eq!(summary["kind"], "summary");
        assert_eq!(
            summary["hosts"][0]["verdict"], verdict,
            "single scan of {name}"
        );
        assert_eq!(summary["hosts"][0]["name"], name);
        assert_eq!(h["reason"], summary["hosts"][0]["reason"], "{name}");
    }
    let b2 = host(&r.fleet, "EX-B2");
    let why = b2["reason"].as_str().unwrap();
    assert!(
        why.contains("ProxyLogon") && why.contains("2021-03-05"),
        "{why}"
    );
    // Exit status as for a scan: 1 when any server shows findings.
    assert_eq!(r.fleet_code, 1);
    let s = kind(&r.fleet, "fleet_summary");
    assert_eq!(s.len(), 1);
    assert_eq!(r.fleet.last().unwrap()["kind"], "fleet_summary");
    let orgs = s[0]["organisations"].as_array().unwrap();
    let beta = orgs.iter().find(|o| o["org"] == "beta").unwrap();
    assert_eq!(beta["servers"], 2);
    assert_eq!(beta["compromised"], 1);
    assert_eq!(beta["not_assessable"], 1);
    assert_eq!(beta["earliest_compromise_host"], "EX-B1");
    // The console shows the organisation table, then servers worst first.
    let out = &r.fleet_stdout;
    let (orgs_at, servers_at) = (
        out.find("Organisations").unwrap(),
        out.find("Servers, worst first").unwrap(),
    );
    assert!(orgs_at < servers_at);
    assert!(out.find("alpha/EX-A1").unwrap() < out.find("beta/EX-B2").unwrap());
}

#[test]
fn every_finding_line_carries_host_and_org() {
    let r = runs();
    let findings = kind(&r.fleet, "finding");
    assert!(findings.len() > 50);
    for f in findings {
        assert!(f["host"].is_string(), "{f}");
        assert!(
            ["alpha", "beta", "gamma"].contains(&f["org"].as_str().unwrap()),
            "{f}"
        );
    }
}

#[test]
fn indicators_have_their_spread_and_exclude_private_and_user_addresses() {
    let r = runs();
    let ind = kind(&r.fleet, "indicator");
    let find = |t: &str, v: &str| {
        ind.iter()
            .find(|i| i["type"] == t && i["value"] == v)
            .copied()
    };
    let ip = find("ip", "203.0.113.77").expect("the shared attacker address");
    assert_eq!(ip["host_count"], 2);
    assert_eq!(ip["org_count"], 2);
    assert_eq!(ip["orgs"], serde_json::json!(["alpha", "beta"]));
    assert_eq!(ip["first_seen"], "2021-03-03T02:41:27Z");
    assert!(ip["rules"]
        .as_array()
        .unwrap()
        .iter()
        .any(|r| r == "EXH-WS-001"));
    // Sorted by spread: the widest first.
    assert_eq!(ind[0]["host_count"], 2);
    let shared_hash = ind
        .iter()
        .filter(|i| i["type"] == "sha256" && i["host_count"] == 2)
        .count();
    assert_eq!(shared_hash, 1, "the same web shell on two servers");
    assert_eq!(find("ip", "198.51.100.201").unwrap()["host_count"], 1);
    // The penetration tester's private address and the user's script address are not indicators.
    assert!(find("ip", "10.20.0.5").is_none());
    assert!(find("ip", "192.0.2.80").is_none());
    assert!(ind
        .iter()
        .all(|i| !i["value"].as_str().unwrap().starts_with("10.")));
    let s = kind(&r.fleet, "fleet_summary")[0];
    assert_eq!(
        s["excluded"]["private_addresses"],
        serde_json::json!(["10.20.0.5"])
    );
    assert_eq!(
        s["excluded"]["ordinary_user_addresses"],
        serde_json::json!(["192.0.2.80"])
    );
    // One cluster: the two servers hit by the same infrastructure, in two organisations.
    let clusters = kind(&r.fleet, "cluster");
    assert_eq!(clusters.len(), 1);
    let hosts: Vec<&str> = clusters[0]["hosts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["host"].as_str().unwrap())
        .collect();
    assert_eq!(hosts, ["EX-A1", "EX-B1"]);
    let wording = clusters[0]["campaigns"][0]["wording"].as_str().unwrap();
    assert!(
        wording.starts_with("matches published indicators of HAFNIUM"),
        "{wording}"
    );
    // The other campaign: ProxyShell, on its own server.
    let g1 = host(&r.fleet, "EX-G1");
    assert_eq!(g1["campaigns"][0]["id"], "proxyshell-2021");
    assert_eq!(g1["cluster"], Value::Null);
}

#[test]
fn scan_of_several_roots_and_merge_of_single_scans_give_the_same_fleet() {
    let r = runs();
    let merged = r.dir.path().join("merged.jsonl");
    let mut args = vec!["merge".to_string()];
    args.extend(r.singles.values().map(|(_, p)| p.display().to_string()));
    args.extend(["--jsonl".into(), merged.display().to_string(), "-q".into()]);
    let refs: Vec<&str> = args.iter().map(String::as_str).collect();
    let (code, _, err) = exhunt(&refs, &demo());
    assert_eq!(code, 1, "{err}");
    let m = lines(&merged);
    assert_eq!(fleet_view(&m), fleet_view(&r.fleet));
    let s = m.last().unwrap();
    assert_eq!(s["kind"], "fleet_summary");
    assert_eq!(s["servers"], 7);
    assert_eq!(s["input_problems"]["listed"], 0);
}

#[test]
fn a_cut_result_file_is_reported_with_its_line_and_the_rest_is_merged() {
    let r = runs();
    let dir = tempfile::tempdir().unwrap();
    let text = std::fs::read_to_string(&r.singles["EX-A1"].1).unwrap();
    // Cut in the middle of the 5th line: no summary, a partial last line.
    let cut: usize = text.lines().take(4).map(|l| l.len() + 1).sum::<usize>() + 40;
    let truncated = dir.path().join("EX-A1.jsonl");
    std::fs::write(&truncated, &text[..cut]).unwrap();
    let garbage = dir.path().join("EX-A2.jsonl");
    let good = std::fs::read_to_string(&r.singles["EX-A2"].1).unwrap();
    std::fs::write(&garbage, format!("not json at all\n{good}")).unwrap();
    let out = dir.path().join("m.jsonl");
    let (code, _, err) = exhunt(
        &[
            "merge",
            truncated.to_str().unwrap(),
            garbage.to_str().unwrap(),
            r.singles["EX-B1"].1.to_str().unwrap(),
            "--jsonl",
            out.to_str().unwrap(),
            "-q",
        ],
        &demo(),
    );
    assert_eq!(code, 1, "{err}");
    let m = lines(&out);
    let issues = kind(&m, "issue");
    let at = |kind: &str| {
        issues
            .iter()
            .find(|i| i["issue"] == kind)
            .unwrap_or_else(|| panic!("no {kind} issue in {issues:?}"))
    };
    let t = at("truncated");
    assert_eq!(t["path"], truncated.display().to_string());
    assert_eq!(t["line"], 5);
    let bad = at("malformed-line");
    assert_eq!(bad["path"], garbage.display().to_string());
    assert_eq!(bad["line"], 1);
    assert!(at("no-summary")["message"]
        .as_str()
        .unwrap()
        .contains("EX-A1"));
    // The cut server is still there (its verdict from the findings read), and so are the rest.
    let a1 = host(&m, "EX-A1");
    assert!(
        a1["reason"].as_str().unwrap().contains("summary line"),
        "{a1}"
    );
    assert_eq!(host(&m, "EX-A2")["verdict"], "no evidence found");
    assert_eq!(host(&m, "EX-B1")["verdict"], "compromised");
}

#[test]
fn the_same_server_twice_is_reported_and_the_newer_scan_wins() {
    let r = runs();
    let dir = tempfile::tempdir().unwrap();
    // An older scan of EX-B2 that (wrongly) found nothing to worry about.
    let text = std::fs::read_to_string(&r.singles["EX-B2"].1).unwrap();
    let mut v: Vec<Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let older = dir.path().join("old-EX-B2.jsonl");
    let s = v.last_mut().unwrap();
    s["finished"] = "2021-03-11T00:00:00Z".into();
    s["hosts"][0]["coverage"] = serde_json::json!({});
    let mut f = std::fs::File::create(&older).unwrap();
    for x in &v {
        writeln!(f, "{x}").unwrap();
    }
    drop(f);
    // Both orders: the newer scan wins by its time, not by its place on the command line.
    let newer = r.singles["EX-B2"].1.clone();
    for (i, files) in [[&newer, &older], [&older, &newer]].iter().enumerate() {
        let out = dir.path().join(format!("m{i}.jsonl"));
        let (_, _, err) = exhunt(
            &[
                "merge",
                files[0].to_str().unwrap(),
                files[1].to_str().unwrap(),
                "--jsonl",
                out.to_str().unwrap(),
                "-q",
            ],
            &demo(),
        );
        let m = lines(&out);
        assert_eq!(kind(&m, "host").len(), 1, "{err}");
        let h = host(&m, "EX-B2");
        assert!(
            h["reason"].as_str().unwrap().contains("ProxyLogon"),
            "the newer scan: {h}"
        );
        let d = &m.last().unwrap()["duplicates"];
        assert_eq!(d.as_array().unwrap().len(), 1, "{d}");
        assert_eq!(d[0]["host"], "EX-B2");
        assert!(d[0]["dropped"][0]
            .as_str()
            .unwrap()
            .contains("old-EX-B2.jsonl"));
    }
}

fn zip_dir(src: &Path, zip_path: &Path) {
    let f = std::fs::File::create(zip_path).unwrap();
    let mut z = zip::ZipWriter::new(f);
    let opts = zip::write::SimpleFileOptions::default();
    let mut stack = vec![src.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap().flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else {
                let rel = p
                    .strip_prefix(src)
                    .unwrap()
                    .to_string_lossy()
                    .replace('\\', "/");
                z.start_file(rel, opts).unwrap();
                z.write_all(&std::fs::read(&p).unwrap()).unwrap();
            }
        }
    }
    z.finish().unwrap();
}

#[test]
fn a_corrupt_zip_among_good_roots_is_a_problem_of_that_root_only() {
    let dir = tempfile::tempdir().unwrap();
    let good = dir.path().join("EX-B1.zip");
    zip_dir(&demo().join("collections/beta/EX-B1"), &good);
    let bad = dir.path().join("EX-B9.zip");
    let bytes = std::fs::read(&good).unwrap();
    std::fs::write(&bad, &bytes[..bytes.len() / 3]).unwrap(); // cut: no central directory
    let missing = dir.path().join("EX-B8");
    let out = dir.path().join("f.jsonl");
    let (code, stdout, err) = exhunt(
        &[
            "scan",
            good.to_str().unwrap(),
            bad.to_str().unwrap(),
            demo().join("collections/alpha/EX-A2").to_str().unwrap(),
            missing.to_str().unwrap(),
            "--org",
            "beta",
            "--jsonl",
            out.to_str().unwrap(),
            "--color=never",
        ],
        &demo(),
    );
    assert_eq!(code, 1, "{err}\n{stdout}");
    let m = lines(&out);
    assert_eq!(host(&m, "EX-B1")["verdict"], "compromised");
    assert_eq!(host(&m, "EX-A2")["verdict"], "no evidence found");
    for name in ["EX-B9", "EX-B8"] {
        let h = host(&m, name);
        assert_eq!(h["verdict"], "not assessable");
        assert!(
            h["reason"]
                .as_str()
                .unwrap()
                .starts_with("the evidence could not be read"),
            "{h}"
        );
    }
    let issues: Vec<&Value> = kind(&m, "issue")
        .into_iter()
        .filter(|i| i["issue"] == "bad-root")
        .collect();
    assert_eq!(issues.len(), 2, "{issues:?}");
    assert!(issues.iter().any(|i| i["path"] == bad.display().to_string()
        && i["message"].as_str().unwrap().contains("zip")));
    assert!(stdout.contains("Inputs that could not be used"), "{stdout}");
}

#[test]
fn velociraptor_hunt_results_merge_by_client_fqdn() {
    let r = runs();
    let dir = tempfile::tempdir().unwrap();
    // The rows a hunt returns: exhunt's lines plus ClientId, Fqdn and FlowId, all clients in one
    // JSONL file (`hunt_results()`, or `results/All ….json` in an export zip).
    let mut rows = String::new();
    for (i, (_, name)) in SERVERS.iter().enumerate().take(3) {
        for mut v in lines(&r.singles[*name].1) {
            if let Value::Object(m) = &mut v {
                m.insert("ClientId".into(), format!("C.{i:016x}").into());
                m.insert(
                    "Fqdn".into(),
                    format!("{}.corp.example", name.to_lowercase()).into(),
                );
                m.insert("FlowId".into(), format!("F.FLOW{i}").into());
            }
            rows.push_str(&v.to_string());
            rows.push('\n');
        }
    }
    rows.push_str("{\"ClientId\":\"C.1\",\"FlowId\":\"F.X\",\"ReturnCode\":1,\"Upload\":{}}\n");
    let jsonl = dir.path().join("hunt.json");
    std::fs::write(&jsonl, &rows).unwrap();
    let zip_path = dir.path().join("H.1234.zip");
    {
        let f = std::fs::File::create(&zip_path).unwrap();
        let mut z = zip::ZipWriter::new(f);
        let o = zip::write::SimpleFileOptions::default();
        z.start_file("hunt_info.json", o).unwrap();
        z.write_all(b"{}").unwrap();
        z.start_file("results/All Custom.Exchange.Exhunt%2FResults.json", o)
            .unwrap();
        z.write_all(rows.as_bytes()).unwrap();
        // A per-client copy of the same rows, which must not be counted twice.
        z.start_file("ex-a1-C.0/results/Custom.Exchange.Exhunt%2FResults.json", o)
            .unwrap();
        z.write_all(rows.as_bytes()).unwrap();
        z.finish().unwrap();
    }
    // The same rows as one JSON array (a JSON download of the rows).
    let array = dir.path().join("hunt-array.json");
    let items: Vec<&str> = rows.lines().collect();
    std::fs::write(&array, format!("[\n{}\n]\n", items.join(",\n"))).unwrap();
    for input in [&jsonl, &zip_path, &array] {
        let out = dir.path().join("m.jsonl");
        let (code, _, err) = exhunt(
            &[
                "merge",
                input.to_str().unwrap(),
                "--org",
                "hunt",
                "--jsonl",
                out.to_str().unwrap(),
                "-q",
            ],
            &demo(),
        );
        assert_eq!(code, 1, "{err}");
        let m = lines(&out);
        let hosts: Vec<String> = kind(&m, "host")
            .iter()
            .map(|h| {
                format!(
                    "{}/{}",
                    h["org"].as_str().unwrap(),
                    h["host"].as_str().unwrap()
                )
            })
            .collect();
        assert_eq!(hosts.len(), 3, "{hosts:?}");
        // The hosts are named by their Velociraptor FQDN; their own org label wins over --org.
        assert!(
            hosts.contains(&"alpha/ex-a1.corp.example".to_string()),
            "{hosts:?}"
        );
        assert_eq!(host(&m, "ex-a1.corp.example")["verdict"], "compromised");
        assert_eq!(host(&m, "ex-b1.corp.example")["verdict"], "compromised");
        assert_eq!(
            m.last().unwrap()["input_problems"]["listed"],
            0,
            "{}",
            m.last().unwrap()
        );
        assert!(m.last().unwrap()["duplicates"]
            .as_array()
            .unwrap()
            .is_empty());
    }
}

#[test]
fn fleet_jsonl_follows_the_shared_contract_checker() {
    let checker = repo().join("../shared/tools/check-jsonl.py");
    if !checker.exists() || Command::new("python3").arg("--version").output().is_err() {
        eprintln!("SKIPPED: ../shared/tools/check-jsonl.py or python3 not available");
        return;
    }
    let r = runs();
    let path = r.dir.path().join("fleet.jsonl");
    let out = Command::new("python3")
        .arg(&checker)
        .arg(&path)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
}

#[test]
fn the_fleet_page_is_written_and_self_contained() {
    let r = runs();
    let html = std::fs::read_to_string(r.dir.path().join("fleet.html")).unwrap();
    assert!(html.contains("Content-Security-Policy"));
    assert!(html.contains("id=\"activity\""));
    assert!(html.contains("matches published indicators of HAFNIUM"));
    assert!(html.contains("href=\"#srv-0\""));
    assert!(
        !html.contains("src=\"http"),
        "nothing is loaded from the network"
    );
}

/// Whose mail was read travels into the fleet view: from a multi-root scan and from `merge`
/// of a scan's JSONL alike, per server and per organisation.
#[test]
fn mail_the_intruders_reached_is_in_the_fleet_view() {
    let r = runs();
    // Web shells on EX-A1: code ran with the server's rights, so every mailbox was reachable.
    let a1 = host(&r.fleet, "EX-A1");
    assert!(
        a1["mail_reached"]
            .as_array()
            .unwrap()
            .iter()
            .any(|m| m["scope"] == "all-mailboxes"),
        "{a1}"
    );
    let s = r.fleet.last().unwrap();
    let alpha = s["organisations"]
        .as_array()
        .unwrap()
        .iter()
        .find(|o| o["org"] == "alpha")
        .unwrap();
    assert_eq!(alpha["servers_all_mail_reachable"], 1, "{alpha}");
    // A clean server reached nothing.
    assert_eq!(
        host(&r.fleet, "EX-A2")["mail_reached"],
        serde_json::json!([])
    );

    // The single-server demo: the SSRF and OWA victims by name, through merge.
    let dir = tempfile::tempdir().unwrap();
    let single = dir.path().join("ex2016.jsonl");
    let merged = dir.path().join("merged.jsonl");
    let root = repo().join("examples/compromised-ex2016");
    let (code, _, err) = exhunt(
        &[
            "scan",
            root.to_str().unwrap(),
            "--org",
            "contoso",
            "-q",
            "--jsonl",
            single.to_str().unwrap(),
        ],
        &repo(),
    );
    assert_eq!(code, 1, "{err}");
    let (code, out, err) = exhunt(
        &[
            "merge",
            single.to_str().unwrap(),
            "--jsonl",
            merged.to_str().unwrap(),
        ],
        &repo(),
    );
    assert_eq!(code, 1, "{err}");
    let m = lines(&merged);
    let h = kind(&m, "host")[0];
    let named: Vec<&str> = h["mail_reached"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|x| x["scope"] == "named")
        .map(|x| x["mailbox"].as_str().unwrap())
        .collect();
    for who in [
        "ceo@contoso.local",
        "cfo@contoso.local",
        "carol@contoso.local",
    ] {
        assert!(named.contains(&who), "{who} missing from {named:?}");
    }
    assert_eq!(h["mailboxes_reached"], named.len());
    let ceo = h["mail_reached"]
        .as_array()
        .unwrap()
        .iter()
        .find(|x| x["mailbox"] == "ceo@contoso.local")
        .unwrap();
    let methods: Vec<&str> = ceo["methods"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_str().unwrap())
        .collect();
    assert!(methods.iter().any(|x| x.contains("SSRF")), "{methods:?}");
    assert_eq!(m.last().unwrap()["input_problems"]["listed"], 0);
    // The console says it per server and per organisation.
    assert!(out.contains("mail reached: "), "{out}");
    assert!(out.contains("ceo@contoso.local"), "{out}");
    assert!(out.contains("MAILBOXES"), "{out}");
}

/// A root's server renamed (`--host`, a roots file's `host`) keeps what its scan found of mail
/// and web-shell use: nothing stays under the old name.
#[test]
fn a_renamed_server_keeps_its_mail_access() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("fleet.jsonl");
    let iocs = dir.path().join("iocs.csv");
    let root = repo().join("examples/compromised-ex2016");
    let (code, _, err) = exhunt(
        &[
            "scan",
            root.to_str().unwrap(),
            "--host",
            "MAIL-01",
            "-q",
            "--jsonl",
            out.to_str().unwrap(),
            "--indicators",
            iocs.to_str().unwrap(),
        ],
        &repo(),
    );
    assert_eq!(code, 1, "{err}");
    let v = lines(&out);
    let hosts: Vec<&str> = kind(&v, "host")
        .iter()
        .map(|h| h["host"].as_str().unwrap())
        .collect();
    assert_eq!(hosts, ["MAIL-01"]);
    for k in ["data_access", "shell_use"] {
        let records = kind(&v, k);
        assert!(!records.is_empty(), "no {k} line");
        assert!(records.iter().all(|r| r["host"] == "MAIL-01"), "{k}");
    }
    assert!(host(&v, "MAIL-01")["mailboxes_reached"].as_u64().unwrap() >= 3);
    // The indicators name the server by its new name too.
    let iocs = std::fs::read_to_string(&iocs).unwrap();
    assert!(iocs.lines().count() > 1, "{iocs}");
    assert!(
        iocs.lines().skip(1).all(|l| l.contains("MAIL-01")),
        "{iocs}"
    );
}

/// A per-root output that cannot be written (here `/dev/full`: no space left) is given up at
/// its first failed write; every root is still scanned and the fleet page still written, and
/// the run exits 2 naming the output.
#[cfg(target_os = "linux")]
#[test]
fn a_full_disk_under_one_output_keeps_the_fleet_page() {
    let dir = tempfile::tempdir().unwrap();
    let html = dir.path().join("fleet.html");
    let indicators = dir.path().join("iocs.csv");
    let (code, _stdout, err) = exhunt(
        &[
            "scan",
            "--roots-from",
            "roots.csv",
            "--jsonl",
            "/dev/full",
            "--html",
            html.to_str().unwrap(),
            "--indicators",
            indicators.to_str().unwrap(),
            "--quiet",
        ],
        &demo(),
    );
    assert_eq!(code, 2, "{err}");
    // The roots were scanned: the indicators of the compromised servers are there.
    let iocs = std::fs::read_to_string(&indicators).unwrap();
    assert!(iocs.lines().count() > 1, "{iocs}");
    assert!(
        err.contains("the JSONL output could not be written") && err.contains("space"),
        "{err}"
    );
    let page = std::fs::read_to_string(&html).unwrap();
    for (_, name) in SERVERS {
        assert!(page.contains(name), "{name} missing from the fleet page");
    }
    // The fleet verdict (not the page title, which names the fleet's size too) counts every
    // server by its verdict, as the single-root scans judge them.
    assert!(
        page.contains("<div class=\"host\">3 of 7 server(s)</div>"),
        "the fleet verdict: 3 of the 7 compromised"
    );
    let why = page.split("<div class=\"why\">").nth(1).unwrap_or("");
    assert!(
        why.starts_with("3 compromised, 1 with exploitation attempts, 2 without evidence of compromise in what was read, 1 not assessable"),
        "{why:.200}"
    );
}
