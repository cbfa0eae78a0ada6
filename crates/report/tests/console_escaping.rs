//! The console prints logged text that an intruder wrote (mailbox names from `-Mailbox` values
//! and OWA URLs, user agents, paths): no control character of it reaches the terminal.

mod support;

use exhunt_report::{ConsoleWriter, ReportWriter};
use support::*;

#[test]
fn no_control_character_of_the_evidence_reaches_the_terminal() {
    let r = hostile_report();
    assert!(
        r.access
            .data_access
            .iter()
            .any(|d| d.label().contains('\u{1b}')),
        "the fixture's mailbox names carry an escape sequence"
    );
    let mut out = Vec::new();
    ConsoleWriter::new(&mut out, false)
        .write_report(&r)
        .unwrap();
    let text = String::from_utf8(out).unwrap();
    assert!(text.contains("victim7@contoso.com"), "{text}");
    for bad in ['\u{1b}', '\u{0}', '\u{7}', '\r'] {
        assert!(!text.contains(bad), "{bad:?} printed raw:\n{text}");
    }
}
