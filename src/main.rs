//! The `exhunt` command: argument parsing lives in the library; this only runs it.

fn main() {
    std::process::exit(exhunt::cli::main());
}
