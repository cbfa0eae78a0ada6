//! `exhunt builds` argument parsing and output.

use clap::Parser;
use exhunt_builds::{assess_str, render_text, BuildsArgs};

#[derive(Parser)]
struct Cli {
    #[command(flatten)]
    args: BuildsArgs,
}

#[test]
fn parses_versions_and_json_flag() {
    let c = Cli::try_parse_from(["builds", "15.1.2176.2", "15.2.1118", "--json"]).unwrap();
    assert_eq!(c.args.versions, vec!["15.1.2176.2", "15.2.1118"]);
    assert!(c.args.json);
    assert!(Cli::try_parse_from(["builds"]).is_err());
}

#[test]
fn text_rendering_mentions_everything() {
    let t = render_text(&assess_str("15.1.2176.2"));
    for want in [
        "Exchange Server 2016",
        "CU19",
        "2020-12-15",
        "vulnerable",
        "CVE-2021-26855",
        "ProxyLogon",
        "table",
    ] {
        assert!(t.contains(want), "missing {want} in\n{t}");
    }
    let u = render_text(&assess_str("15.1.2176.7"));
    assert!(u.contains("nearest known"));
}
