//! Stand-alone `probe` command (what `exhunt probe` does): flattens [`ProbeArgs`] and calls [`run`].
//! Used by `bench/probe.sh` when the `exhunt` binary does not have the subcommand wired yet.

use clap::Parser;
use exhunt_probe::{run, ProbeArgs};

#[derive(Parser)]
#[command(
    name = "probe",
    about = "exhunt probe: passive remote exposure assessment of Exchange servers"
)]
struct Cli {
    #[command(flatten)]
    args: ProbeArgs,
}

fn main() {
    let cli = Cli::parse();
    match run(cli.args) {
        Ok(code) => std::process::exit(code),
        Err(e) => {
            eprintln!("error: {e:#}");
            std::process::exit(2);
        }
    }
}
