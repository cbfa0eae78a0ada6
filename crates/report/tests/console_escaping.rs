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
    assert!(
        r.findings.iter().any(|f| f.evidence.contains('\u{202E}')),
        "the fixture's evidence carries a bidi override"
    );
    let mut out = Vec::new();
    ConsoleWriter::new(&mut out, false)
        .write_report(&r)
        .unwrap();
    let text = String::from_utf8(out).unwrap();
    assert!(text.contains("victim7@contoso.com"), "{text}");
    // No control character but the line ends, and no invisible format character (a bidi
    // override that would show `evil\u{202E}gpj.exe` as `evilexe.jpg`).
    let bad: Vec<char> = text
        .chars()
        .filter(|&c| (c.is_control() && c != '\n') || matches!(c, '\u{200B}'..='\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' | '\u{FEFF}'))
        .collect();
    assert!(bad.is_empty(), "{bad:?} printed raw:\n{text}");
}
