//! `run(ProbeArgs)` end to end on loopback: input file with hosts, ranges and junk, JSONL streaming,
//! `--resume` from a torn file, exit code.

mod support;

use clap::Parser;
use exhunt_probe::{run, ProbeArgs};
use std::io::Write;
use support::mock::{start, Variant};

#[derive(Parser)]
struct Cli {
    #[command(flatten)]
    args: ProbeArgs,
}

fn args(v: &[&str]) -> ProbeArgs {
    Cli::try_parse_from(std::iter::once("probe").chain(v.iter().copied()))
        .unwrap()
        .args
}

fn lines(p: &std::path::Path) -> Vec<serde_json::Value> {
    std::fs::read_to_string(p)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

#[test]
fn file_input_jsonl_and_resume() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let (a, b, c) = rt.block_on(async {
        (
            start(Variant::Ex2019Unpatched, false, "127.0.0.1:0")
                .await
                .unwrap(),
            start(Variant::Ex2016Patched, true, "127.0.0.1:0")
                .await
                .unwrap(),
            start(Variant::NotExchange, false, "127.0.0.1:0")
                .await
                .unwrap(),
        )
    });
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("targets.txt");
    let mut f = std::fs::File::create(&input).unwrap();
    writeln!(f, "# comment line").unwrap();
    writeln!(f, "http://127.0.0.1:{}/owa", a.addr.port()).unwrap();
    writeln!(f, "127.0.0.1:{}", b.addr.port()).unwrap();
    writeln!(f, "127.0.0.1/32:{}", c.addr.port()).unwrap();
    writeln!(f, "not a target!").unwrap();
    drop(f);
    let out = dir.path().join("out.jsonl");
    let common = [
        "--no-progress",
        "--rate",
        "0",
        "--request-timeout",
        "2",
        "--retries",
        "0",
    ];
    let mut v = vec![
        "-i",
        input.to_str().unwrap(),
        "--jsonl",
        out.to_str().unwrap(),
    ];
    v.extend(common);
    assert_eq!(
        run(args(&v)).unwrap(),
        1,
        "a vulnerable host gives exit code 1"
    );
    let got = lines(&out);
    assert_eq!(got.len(), 4);
    let by = |t: &str| {
        got.iter()
            .find(|l| l["target"] == t)
            .unwrap_or_else(|| panic!("{t} in {got:?}"))
            .clone()
    };
    let va = by(&format!("http://127.0.0.1:{}", a.addr.port()));
    assert_eq!(va["exposure"], "vulnerable");
    assert_eq!(va["address"], format!("127.0.0.1:{}", a.addr.port()));
    let ids = va["missing_fixes"].as_array().unwrap();
    assert!(ids.contains(&"proxynotshell-owassrf".into()), "{ids:?}");
    assert!(va["missing_cves"]
        .as_array()
        .unwrap()
        .contains(&"CVE-2022-41082".into()));
    assert!(va["exploited_missing"]
        .as_array()
        .unwrap()
        .contains(&"proxynotshell-owassrf".into()));
    let vb = by(&format!("127.0.0.1:{}", b.addr.port()));
    assert_eq!(vb["exposure"], "patched");
    assert_eq!(vb["scheme"], "https");
    assert!(vb["tls"]["subject"].as_str().unwrap().contains("rcgen"));
    assert_eq!(
        by(&format!("127.0.0.1:{}", c.addr.port()))["exposure"],
        "not_exchange"
    );
    assert_eq!(by("not a target!")["exposure"], "invalid");

    // Keep two lines plus a torn third: resume must re-probe only the two missing targets.
    let text = std::fs::read_to_string(&out).unwrap();
    let keep: Vec<&str> = text.lines().take(2).collect();
    std::fs::write(
        &out,
        format!("{}\n{}\n{{\"target\":\"torn", keep[0], keep[1]),
    )
    .unwrap();
    let before = a.recorded().len() + b.recorded().len() + c.recorded().len();
    let mut v = vec![
        "-i",
        input.to_str().unwrap(),
        "--jsonl",
        out.to_str().unwrap(),
        "--resume",
    ];
    v.extend(common);
    let _ = run(args(&v)).unwrap();
    let got2 = lines(&out);
    assert_eq!(got2.len(), 4, "no duplicates, torn line cut");
    let mut targets: Vec<String> = got2
        .iter()
        .map(|l| l["target"].as_str().unwrap().to_string())
        .collect();
    targets.sort();
    targets.dedup();
    assert_eq!(targets.len(), 4);
    let after = a.recorded().len() + b.recorded().len() + c.recorded().len();
    let full_run = before;
    assert!(
        after > before && after - before < full_run,
        "only the missing targets were probed again ({before} -> {after})"
    );
}

#[test]
fn no_targets_is_an_error_and_bad_flags_are_rejected() {
    assert!(run(args(&["--no-progress"])).is_err());
    assert!(Cli::try_parse_from(["probe", "--timeout", "-1", "x"]).is_err());
    assert!(Cli::try_parse_from(["probe", "--concurrency", "0", "x"]).is_err());
    assert!(
        Cli::try_parse_from(["probe", "--resume", "x"]).is_err(),
        "--resume needs --jsonl"
    );
    assert!(Cli::try_parse_from(["probe", "--schemes", "gopher", "x"]).is_err());
}
