//! The `exhunt` command: argument parsing lives in the library; this only runs it.

/// mimalloc: event-log hunting allocates a small map per record, and the system allocator made
/// that a quarter of the run time.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() {
    std::process::exit(exhunt::cli::main());
}
