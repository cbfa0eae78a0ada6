//! `exhunt builds <version>...`: print what the build table knows.

use crate::assess::{assess_str, Assessment};
use crate::table::{TABLE_SOURCE, TABLE_VERSION};
use std::io::Write;

/// Arguments of `exhunt builds`.
#[derive(Debug, Clone, clap::Args)]
pub struct BuildsArgs {
    /// Exchange build numbers: `15.1.2176.2`, `15.01.2176.002`, or CU level `15.1.2176`.
    #[arg(required = true, value_name = "VERSION")]
    pub versions: Vec<String>,
    /// Print one JSON object per version (JSON Lines) instead of text.
    #[arg(long)]
    pub json: bool,
}

/// Run `exhunt builds`. Exit code: 0 when every version is known to the table, 1 otherwise.
pub fn run(args: BuildsArgs) -> anyhow::Result<i32> {
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    let mut all_known = true;
    for v in &args.versions {
        let a = assess_str(v);
        all_known &= a.known;
        if args.json {
            serde_json::to_writer(&mut out, &a)?;
            writeln!(out)?;
        } else {
            out.write_all(render_text(&a).as_bytes())?;
        }
    }
    Ok(if all_known { 0 } else { 1 })
}

/// Human-readable rendering of one assessment.
pub fn render_text(a: &Assessment) -> String {
    let mut s = String::new();
    let mut line = |k: &str, v: &str| s.push_str(&format!("{k:<16}{v}\n"));
    line("input", &a.input);
    if let Some(b) = a.build {
        line("build", &format!("{b} ({})", b.long_form()));
    }
    line("precision", &format!("{:?}", a.precision).to_lowercase());
    if let Some(p) = a.product {
        line("product", p.name());
    }
    if let Some(cu) = &a.cu {
        line("cu", cu);
    }
    if let Some(u) = &a.update {
        line("update", u);
    }
    if let Some(n) = &a.update_name {
        line("name", n);
    }
    if let Some(d) = &a.release_date {
        line("released", d);
    }
    if let Some(kb) = &a.kb {
        line("kb", kb);
    }
    line("exposure", a.exposure.label());
    line("status", &a.status);
    for (title, list) in [
        ("missing", &a.missing_fixes),
        ("possibly missing", &a.possibly_missing_fixes),
    ] {
        for m in list {
            let star = if m.exploited {
                " [exploited in the wild]"
            } else {
                ""
            };
            line(
                title,
                &format!("{} ({}): {}{star}", m.name, m.update, m.cves.join(", ")),
            );
        }
    }
    for n in &a.neighbours {
        line(
            "nearest known",
            &format!("{} {} ({})", n.build, n.name, n.release_date),
        );
    }
    for n in &a.notes {
        line("note", n);
    }
    line("table", &format!("version {TABLE_VERSION}; {TABLE_SOURCE}"));
    s.push('\n');
    s
}
