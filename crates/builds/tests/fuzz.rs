//! Property-based fuzzing of the build-string parser and the PE version reader, and of the
//! assessment built on them. Zero panics; budget and long runs: `tests/support/fuzz.rs` at
//! the workspace root.

#[path = "../../../tests/support/fuzz.rs"]
mod fuzz;

use exhunt_builds::{assess_str, pe_file_version, BuildNumber};
use proptest::prelude::*;

proptest! {
    #![proptest_config(fuzz::config(512))]

    /// Any text: a build or an error, never a panic; the assessment of it neither.
    #[test]
    fn fuzz_build_string_parser(s in prop_oneof![
        "\\PC{0,100}",
        "[0-9.]{0,30}",
        "(Version |Exchange/|v)?[0-9]{1,12}\\.[0-9]{1,12}( \\(Build )?[0-9.]{0,14}\\)?",
    ]) {
        let _ = BuildNumber::parse(&s);
        let _ = assess_str(&s);
    }

    /// Well-formed builds read back as written.
    #[test]
    fn fuzz_build_strings_round_trip(a in 0u32..100, b in 0u32..100, c in 0u32..100_000, d in proptest::option::of(0u32..100_000)) {
        let text = match d {
            Some(d) => format!("{a}.{b}.{c}.{d}"),
            None => format!("{a}.{b}.{c}"),
        };
        let parsed = BuildNumber::parse(&text).unwrap();
        prop_assert_eq!(parsed.to_string(), text);
    }

    /// Bytes with the version resource's signature planted anywhere, cut anywhere.
    #[test]
    fn fuzz_pe_version_reader(mut bytes in proptest::collection::vec(any::<u8>(), 0..400), at in any::<usize>(), cut in any::<usize>()) {
        let i = at % (bytes.len() + 1);
        bytes.splice(i..i, [0xBD, 0x04, 0xEF, 0xFE, 0, 0, 1, 0]);
        bytes.truncate(cut % (bytes.len() + 1));
        let _ = pe_file_version(&bytes);
    }
}
