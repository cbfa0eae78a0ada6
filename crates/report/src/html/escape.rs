//! The one escaping function of the HTML report. Every string that did not come from this
//! crate's own templates goes through [`esc`] — evidence, paths, rule text, host names — in
//! text and in quoted attribute values alike.
//!
//! Besides the five HTML-significant characters it makes invisible characters visible, so that
//! what an analyst reads is what the log holds: C0/C1 control characters become `\xNN`, and
//! bidirectional overrides and zero-width characters (which can make `gpj.exe` read as
//! `exe.jpg`) become `\u{NNNN}`.

use std::fmt;

/// A string that displays HTML-escaped. Safe in element content and in attribute values
/// quoted with `"` or `'`; never safe in unquoted attributes, URLs, `<script>` or `<style>`.
#[derive(Debug, Clone, Copy)]
pub struct Escaped<'a>(&'a str);

/// Escape `s` for HTML text or a quoted attribute value: `write!(out, "{}", esc(s))`.
pub fn esc(s: &str) -> Escaped<'_> {
    Escaped(s)
}

/// Escape a string to an owned `String` (for tests and small helpers).
pub fn esc_string(s: &str) -> String {
    esc(s).to_string()
}

/// Characters that change how surrounding text is displayed without being seen (bidi
/// overrides that reverse a file name, zero-width characters): shown escaped by every writer.
pub fn is_invisible_format(c: char) -> bool {
    matches!(c,
        '\u{200B}'..='\u{200F}' // zero-width space/joiners, LRM, RLM
        | '\u{202A}'..='\u{202E}' // embeddings and overrides
        | '\u{2066}'..='\u{2069}' // isolates
        | '\u{2028}' | '\u{2029}' // line/paragraph separators
        | '\u{FEFF}')
}

impl fmt::Display for Escaped<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let s = self.0;
        let mut start = 0;
        for (i, c) in s.char_indices() {
            let rep: Option<&str> = match c {
                '&' => Some("&amp;"),
                '<' => Some("&lt;"),
                '>' => Some("&gt;"),
                '"' => Some("&quot;"),
                '\'' => Some("&#39;"),
                '\n' | '\t' => None,
                c if c.is_control() || is_invisible_format(c) => {
                    f.write_str(&s[start..i])?;
                    start = i + c.len_utf8();
                    let n = c as u32;
                    if n <= 0xFF {
                        write!(f, "\\x{n:02x}")?;
                    } else {
                        write!(f, "\\u{{{n:04x}}}")?;
                    }
                    continue;
                }
                _ => None,
            };
            if let Some(rep) = rep {
                f.write_str(&s[start..i])?;
                f.write_str(rep)?;
                start = i + 1;
            }
        }
        f.write_str(&s[start..])
    }
}

/// Cut `s` to at most `max` characters, saying how much was left out. The cut is on a
/// character boundary; the marker is plain text (escape the result as usual).
pub fn cap(s: &str, max: usize) -> std::borrow::Cow<'_, str> {
    match s.char_indices().nth(max) {
        None => std::borrow::Cow::Borrowed(s),
        Some((end, _)) => std::borrow::Cow::Owned(format!(
            "{} …[{} more bytes not shown]",
            &s[..end],
            s.len() - end
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_markup_and_quotes() {
        assert_eq!(
            esc_string(r#"<script>alert("x")</script>"#),
            "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;"
        );
        assert_eq!(
            esc_string(r#""><img src=x onerror='alert(1)'>"#),
            "&quot;&gt;&lt;img src=x onerror=&#39;alert(1)&#39;&gt;"
        );
        assert_eq!(esc_string("a & b"), "a &amp; b");
        assert_eq!(esc_string("&amp;"), "&amp;amp;");
    }

    #[test]
    fn leaves_plain_text_and_unicode_alone() {
        assert_eq!(
            esc_string("C:\\inetpub\\wwwroot €→ ok"),
            "C:\\inetpub\\wwwroot €→ ok"
        );
        assert_eq!(esc_string("line1\nline2\tx"), "line1\nline2\tx");
        assert_eq!(esc_string(""), "");
    }

    #[test]
    fn makes_controls_and_bidi_visible() {
        assert_eq!(esc_string("a\u{1b}[31mb\u{0}c\r"), "a\\x1b[31mb\\x00c\\x0d");
        assert_eq!(esc_string("x\u{7f}\u{85}"), "x\\x7f\\x85");
        assert_eq!(esc_string("evil\u{202E}gpj.exe"), "evil\\u{202e}gpj.exe");
        assert_eq!(
            esc_string("zero\u{200B}width\u{FEFF}"),
            "zero\\u{200b}width\\u{feff}"
        );
    }

    #[test]
    fn lossy_bytes_stay_replacement_characters() {
        let s = String::from_utf8_lossy(b"ok\xff\xfe<b>");
        assert_eq!(esc_string(&s), "ok\u{FFFD}\u{FFFD}&lt;b&gt;");
    }

    #[test]
    fn javascript_urls_are_only_text() {
        // Escaping keeps the text; the writer never puts evidence into href/src at all.
        assert_eq!(esc_string("javascript:alert(1)"), "javascript:alert(1)");
    }

    #[test]
    fn cap_cuts_on_char_boundaries() {
        assert_eq!(cap("short", 10), "short");
        let c = cap("€€€€", 2);
        assert!(c.starts_with("€€ …["), "{c}");
        assert!(c.contains("6 more bytes"), "{c}");
        let long = "A".repeat(100_000);
        assert!(cap(&long, 500).len() < 600);
    }
}
