//! The command-line definition and its dispatch: each subcommand's arguments and glue live in
//! its own file under `commands/` (`scan`, `merge`, `rules`), or in its crate (`probe`, `builds`).

use std::fs::File;
use std::io::{self, BufWriter};
use std::path::Path;

use clap::{CommandFactory, Parser, Subcommand, ValueEnum};

use crate::commands::{merge, rules, scan};

const EXIT_HELP: &str = "\
Exit status:
  0  nothing found (no finding of severity low or above)
  1  findings were reported (on any server, for a fleet)
  2  usage error or fatal error (unreadable root, output file not writable)

Input problems (malformed lines, truncated or unreadable files, UTF-16, binary junk) never stop
a scan: they are counted and listed in the console summary and in the JSONL output.";

/// exhunt: was this Exchange server exploited, backdoored, and what now?
#[derive(Debug, Parser)]
#[command(name = "exhunt", version, about, after_help = EXIT_HELP)]
pub struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Hunt an evidence tree (mounted drive, triage collection, folder of logs) for compromise.
    #[command(after_help = EXIT_HELP)]
    Scan(Box<scan::ScanArgs>),
    /// Merge result files of earlier scans (JSONL, Velociraptor hunt exports) into one fleet view.
    #[command(after_help = EXIT_HELP)]
    Merge(Box<merge::MergeArgs>),
    /// Check Exchange servers remotely for missing fixes, with passive requests only.
    Probe(exhunt_probe::ProbeArgs),
    /// Show what the build table knows about Exchange version numbers.
    Builds(exhunt_builds::BuildsArgs),
    /// List the loaded rules, check user rule files, or print the prefilter literals.
    Rules(rules::RulesArgs),
    /// Print a shell completion script.
    Completions {
        /// The shell.
        shell: clap_complete::Shell,
    },
    /// Print the manual page (roff).
    Man,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub(crate) enum ColorChoice {
    Auto,
    Always,
    Never,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub(crate) enum Format {
    /// Verdict, coverage, findings grouped by stage with examples and remediation.
    Human,
    /// One line per finding.
    Table,
    /// JSON Lines on standard output (same as `--jsonl -`).
    Json,
}

/// Parse the process arguments, run, and return the exit status.
pub fn main() -> i32 {
    let cli = match Cli::try_parse() {
        Ok(c) => c,
        Err(e) => {
            let code = if e.use_stderr() { 2 } else { 0 };
            let _ = e.print();
            return code;
        }
    };
    let result = match cli.command {
        Command::Scan(a) => scan::run(*a),
        Command::Merge(a) => merge::run(*a),
        Command::Probe(a) => exhunt_probe::run(a),
        Command::Builds(a) => exhunt_builds::run(a),
        Command::Rules(a) => rules::run(a),
        Command::Completions { shell } => {
            clap_complete::generate(shell, &mut Cli::command(), "exhunt", &mut io::stdout());
            Ok(0)
        }
        Command::Man => clap_mangen::Man::new(Cli::command())
            .render(&mut io::stdout())
            .map(|_| 0)
            .map_err(Into::into),
    };
    match result {
        Ok(code) => code,
        Err(e) if is_broken_pipe(&e) => 0,
        Err(e) => {
            eprintln!("exhunt: error: {e:#}");
            2
        }
    }
}

fn is_broken_pipe(e: &anyhow::Error) -> bool {
    e.downcast_ref::<io::Error>()
        .is_some_and(|e| e.kind() == io::ErrorKind::BrokenPipe)
}

/// Create an output file, naming it in the error.
pub(crate) fn create(path: &Path) -> anyhow::Result<BufWriter<File>> {
    File::create(path)
        .map(BufWriter::new)
        .map_err(|e| anyhow::anyhow!("cannot write {}: {e}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cli_definition_is_consistent() {
        Cli::command().debug_assert();
    }
}
