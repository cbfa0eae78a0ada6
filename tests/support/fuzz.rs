//! Shared by every `fuzz_*` property test of the workspace (each crate's `tests/fuzz.rs`
//! includes this file): the case budget and seed, and a guard that turns a hang into a failure.
//!
//! CI runs each target for a fixed number of cases with a fixed seed, a few seconds in all.
//! A long local run is one command (see the README, "Development"):
//!
//! ```sh
//! EXHUNT_FUZZ_CASES=20000 EXHUNT_FUZZ_SEED=random cargo test --release --workspace fuzz_
//! ```
//!
//! A failing case is shrunk and its seed saved under the crate's `tests/fuzz-regressions/`;
//! commit that file: the case is replayed first on every later run (and turn it into a named
//! regression test once the bug is fixed).
#![allow(dead_code)]

use std::sync::mpsc;
use std::time::Duration;

use proptest::test_runner::{Config, FileFailurePersistence, RngSeed};

/// The seed CI uses, so that every run explores the same cases.
pub const SEED: u64 = 0x0e8_4a57;

/// The longest one case may run before it counts as a hang.
pub const HANG: Duration = Duration::from_secs(20);

/// The proptest configuration of a target whose CI budget is `ci_cases` cases:
/// `EXHUNT_FUZZ_CASES` overrides the count, `EXHUNT_FUZZ_SEED` the seed (`random` for a fresh
/// one each run).
pub fn config(ci_cases: u32) -> Config {
    let cases = std::env::var("EXHUNT_FUZZ_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(ci_cases);
    let rng_seed = match std::env::var("EXHUNT_FUZZ_SEED").as_deref() {
        Ok("random") => RngSeed::Random,
        Ok(s) => RngSeed::Fixed(s.parse().unwrap_or(SEED)),
        Err(_) => RngSeed::Fixed(SEED),
    };
    Config {
        cases,
        rng_seed,
        failure_persistence: Some(Box::new(FileFailurePersistence::Direct(
            "tests/fuzz-regressions/failures.txt",
        ))),
        max_shrink_time: 60_000,
        ..Config::default()
    }
}

/// Run `work` on its own thread and return its result; a panic inside fails the case, and so
/// does taking longer than [`HANG`] (the thread is left behind: the test fails anyway).
pub fn bounded<T: Send + 'static>(what: &str, work: impl FnOnce() -> T + Send + 'static) -> T {
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(work());
    });
    match rx.recv_timeout(HANG) {
        Ok(v) => v,
        Err(mpsc::RecvTimeoutError::Timeout) => panic!("hang: {what} ran for over {HANG:?}"),
        Err(mpsc::RecvTimeoutError::Disconnected) => panic!("panic: {what} panicked (see above)"),
    }
}

/// Small random edits of `seed`: flipped, inserted and deleted bytes, a cut, a repeated
/// slice — the damage a bad copy or a hostile file does to a valid input.
pub fn mutate(seed: &[u8], edits: &[(u8, usize, u8)]) -> Vec<u8> {
    let mut v = seed.to_vec();
    for &(op, at, byte) in edits {
        if v.is_empty() {
            v.push(byte);
            continue;
        }
        let i = at % v.len();
        match op % 6 {
            0 => v[i] ^= byte | 1,
            1 => v.insert(i, byte),
            2 => {
                v.remove(i);
            }
            3 => v.truncate(i),
            4 => {
                let end = (i + 1 + byte as usize).min(v.len());
                let slice = v[i..end].to_vec();
                v.splice(i..i, slice);
            }
            _ => v[i] = byte,
        }
    }
    v
}

/// Strategy for a list of [`mutate`] edits.
pub fn edits(max: usize) -> impl proptest::strategy::Strategy<Value = Vec<(u8, usize, u8)>> {
    proptest::collection::vec(
        (
            proptest::num::u8::ANY,
            proptest::num::usize::ANY,
            proptest::num::u8::ANY,
        ),
        1..max,
    )
}
