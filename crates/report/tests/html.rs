//! HTML report: structure, escaping of hostile evidence, and size on large scans.

mod support;

use exhunt_core::ScanReport;
use exhunt_report::html::content_security_policy;
use exhunt_report::ReportWriter;
use exhunt_report::{HtmlOptions, HtmlWriter};
use support::*;

fn html(r: &ScanReport) -> String {
    let mut w = HtmlWriter::new(Vec::new());
    w.write_report(r).unwrap();
    String::from_utf8(w.into_inner()).unwrap()
}

#[test]
fn demo_report_has_every_part() {
    let r = demo_report();
    let h = html(&r);
    assert!(h.starts_with("<!DOCTYPE html>"));
    for needle in [
        "<meta http-equiv=\"Content-Security-Policy\"",
        "class=\"verdict v-compromised\"",
        ">compromised<",
        "<svg",
        "Evidence read",
        "Findings by stage",
        "first exploitation",
        "first backdoor access",
        "last activity",
        "Attack stories",
        "What to do",
        "Preserve, then remove every web shell",
        "/aspnet_client/system_web/KZsqDfnb.aspx",
        "Reset credentials",
        "mailbox exports",
        "Rebuild rather than clean",
        "Bring Exchange to the latest Cumulative Update",
        "CVE-2021-27065",
        "Evidence examined",
        "IIS W3C logs",
        "Findings by rule",
        "EXH-PL-004",
        "class=\"chip attack\"",
        "class=\"chip tag\"",
        "Scan notes",
        "truncated-line",
    ] {
        assert!(h.contains(needle), "missing {needle:?}");
    }
    // Every finding of the demo is listed (it is small), each rule is one collapsed group.
    assert_eq!(h.matches("<pre class=\"ev\">").count(), r.findings.len());
    let rules: std::collections::BTreeSet<&str> =
        r.findings.iter().map(|f| f.rule.id.as_str()).collect();
    assert_eq!(h.matches("<details class=\"rule\"").count(), rules.len());
    assert!(!h.contains("<details class=\"rule\" data-sev=\"critical\" open"));
    // Nothing is fetched: no external URL in src/href attributes, one style, one script.
    assert_eq!(h.matches("<script").count(), 1);
    assert_eq!(h.matches("<style").count(), 1);
    assert!(!h.contains(" src="));
}

#[test]
fn csp_allows_only_the_embedded_style_and_script() {
    let csp = content_security_policy();
    assert!(
        csp.starts_with("default-src 'none'; style-src 'sha256-"),
        "{csp}"
    );
    assert!(csp.contains("script-src 'sha256-"));
    assert!(csp.contains("img-src data:"));
    assert!(!csp.contains("unsafe"));
    // The hashes match the bytes actually between the tags.
    let h = html(&report_of(vec![]));
    let style = between(&h, "<style>", "</style>");
    let script = between(&h, "<script>", "</script>");
    assert!(csp.contains(&format!("'sha256-{}'", sha256_b64(style.as_bytes()))));
    assert!(csp.contains(&format!("'sha256-{}'", sha256_b64(script.as_bytes()))));
    // No inline style attributes or event handlers anywhere (the CSP would block them).
    assert!(!h.contains(" style=\""));
    assert!(!h.contains(" onclick="));
}

fn between<'a>(h: &'a str, a: &str, b: &str) -> &'a str {
    let i = h.find(a).unwrap() + a.len();
    let j = h[i..].find(b).unwrap() + i;
    &h[i..j]
}

/// A small independent SHA-256 (FIPS 180-4) so the test does not trust the build script's.
fn sha256_b64(data: &[u8]) -> String {
    const K: [u32; 64] = [
        0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4,
        0xab1c5ed5, 0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe,
        0x9bdc06a7, 0xc19bf174, 0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f,
        0x4a7484aa, 0x5cb0a9dc, 0x76f988da, 0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7,
        0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967, 0x27b70a85, 0x2e1b2138, 0x4d2c6dfc,
        0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85, 0xa2bfe8a1, 0xa81a664b,
        0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070, 0x19a4c116,
        0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
        0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7,
        0xc67178f2,
    ];
    let mut h: [u32; 8] = [
        0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab,
        0x5be0cd19,
    ];
    let mut msg = data.to_vec();
    msg.push(0x80);
    while msg.len() % 64 != 56 {
        msg.push(0);
    }
    msg.extend_from_slice(&((data.len() as u64) * 8).to_be_bytes());
    for chunk in msg.chunks(64) {
        let mut w = [0u32; 64];
        for i in 0..16 {
            w[i] = u32::from_be_bytes(chunk[i * 4..i * 4 + 4].try_into().unwrap());
        }
        for i in 16..64 {
            let s0 = w[i - 15].rotate_right(7) ^ w[i - 15].rotate_right(18) ^ (w[i - 15] >> 3);
            let s1 = w[i - 2].rotate_right(17) ^ w[i - 2].rotate_right(19) ^ (w[i - 2] >> 10);
            w[i] = w[i - 16]
                .wrapping_add(s0)
                .wrapping_add(w[i - 7])
                .wrapping_add(s1);
        }
        let mut v = h;
        for i in 0..64 {
            let s1 = v[4].rotate_right(6) ^ v[4].rotate_right(11) ^ v[4].rotate_right(25);
            let ch = (v[4] & v[5]) ^ (!v[4] & v[6]);
            let t1 = v[7]
                .wrapping_add(s1)
                .wrapping_add(ch)
                .wrapping_add(K[i])
                .wrapping_add(w[i]);
            let s0 = v[0].rotate_right(2) ^ v[0].rotate_right(13) ^ v[0].rotate_right(22);
            let maj = (v[0] & v[1]) ^ (v[0] & v[2]) ^ (v[1] & v[2]);
            let t2 = s0.wrapping_add(maj);
            v = [
                t1.wrapping_add(t2),
                v[0],
                v[1],
                v[2],
                v[3].wrapping_add(t1),
                v[4],
                v[5],
                v[6],
            ];
        }
        for i in 0..8 {
            h[i] = h[i].wrapping_add(v[i]);
        }
    }
    let bytes: Vec<u8> = h.iter().flat_map(|x| x.to_be_bytes()).collect();
    const B64: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for c in bytes.chunks(3) {
        let n = (c[0] as u32) << 16
            | (*c.get(1).unwrap_or(&0) as u32) << 8
            | *c.get(2).unwrap_or(&0) as u32;
        for k in 0..4 {
            if k <= c.len() {
                out.push(B64[(n >> (18 - 6 * k) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

#[test]
fn sha256_helper_is_right() {
    assert_eq!(
        sha256_b64(b"abc"),
        "ungWv48Bz+pBQUDeXa4iI7ADYaOWF3qctBD/YfIAFa0="
    );
}

#[test]
fn hostile_evidence_is_only_text() {
    let h = html(&hostile_report());
    // Exactly our own active elements, nothing the payloads tried to add.
    assert_eq!(h.matches("<script").count(), 1, "script tags");
    assert_eq!(h.matches("<style").count(), 1, "style tags");
    for bad in [
        "<img",
        "<svg onload",
        "<iframe",
        "<base",
        "<link",
        "<meta http-equiv=\"refresh\"",
        "<div id=pwned",
        "<blink",
    ] {
        assert!(
            !h.to_ascii_lowercase().contains(&bad.to_ascii_lowercase()),
            "unescaped {bad}"
        );
    }
    // The payloads are shown, escaped (also in the mail and web-shell sections).
    assert!(h.contains("Mail the intruders reached"));
    assert!(h.contains("victim0@contoso.com&lt;script&gt;"));
    assert!(h.contains("Who used each web shell"));
    assert!(h.contains("&lt;script&gt;document.title=&#39;PWNED-1&#39;"));
    assert!(h.contains("&quot;&gt;&lt;img src=x onerror=&quot;document.title=&#39;PWNED-2&#39;"));
    // Links: only in-page anchors and the rule's https reference; never javascript:.
    for (i, _) in h.match_indices("href=\"") {
        let v = &h[i + 6..];
        assert!(
            v.starts_with('#') || v.starts_with("https://example.org/"),
            "href {}",
            &v[..v.len().min(60)]
        );
    }
    assert!(!h.contains("href=\"javascript"));
    // Controls and bidi overrides are visible, never raw.
    assert!(h.contains("ctl:\\x1b[31mred\\x00\\x07\\x0d\\u{202e}gpj.exe\\u{200b}"));
    for c in ['\u{1b}', '\u{0}', '\u{7}', '\r', '\u{202E}', '\u{200B}'] {
        assert!(!h.contains(c), "raw {c:?}");
    }
    // Lossy bytes render as replacement characters; the very long line is cut.
    assert!(h.contains("/owa/auth/\u{FFFD}\u{FFFD}"));
    assert!(!h.contains(&"A".repeat(1000)));
    assert!(h.contains("more bytes not shown"));
}

#[test]
fn twenty_thousand_findings_stay_small() {
    let r = big_report(20_000, 40);
    let started = std::time::Instant::now();
    let h = html(&r);
    let elapsed = started.elapsed();
    let path = target_dir().join("report-20k.html");
    std::fs::write(&path, &h).unwrap();
    eprintln!(
        "20,000 findings: {} bytes in {elapsed:?} ({})",
        h.len(),
        path.display()
    );
    assert!(h.len() < 2_500_000, "{} bytes", h.len());
    assert_eq!(h.matches("<details class=\"rule\"").count(), 40);
    assert!(h.matches("<pre class=\"ev\">").count() <= HtmlOptions::default().max_rows_total);
    assert!(h.contains("more finding(s) of this rule are counted above but not listed"));
    assert!(h.contains("<svg") && h.ends_with("</html>\n"));
    assert_eq!(h.matches("<svg").count(), h.matches("</svg>").count());
}

#[test]
fn extra_facts_are_shown_escaped() {
    let a = rule(
        "EXH-F-001",
        "Web shell file",
        exhunt_core::Severity::Critical,
        exhunt_core::Stage::Backdoor,
    );
    let mut f = finding(
        &a,
        "EX01",
        None,
        "C/inetpub/wwwroot/aspnet_client/x.aspx",
        0,
        None,
        None,
        "<%@ Page %>",
    );
    f.extra.insert("sha256".into(), "ab12".into());
    f.extra
        .insert("matches".into(), serde_json::json!(["<script>"]));
    let h = html(&report_of(vec![f]));
    assert!(h.contains("sha256=ab12"));
    assert!(h.contains("matches=[&quot;&lt;script&gt;&quot;]"));
}

#[test]
fn empty_scan_says_nothing_found() {
    let h = html(&report_of(vec![]));
    assert!(h.contains("class=\"verdict v-clean\""));
    assert!(h.contains("No rule matched."));
    assert!(h.contains("Close the gaps in the evidence"));
}

#[test]
fn options_change_caps_and_labels() {
    let r = big_report(500, 5);
    let mut w = HtmlWriter::with_options(
        Vec::new(),
        HtmlOptions {
            classification: Some("TLP:RED".into()),
            max_rows_per_rule: 3,
            ..HtmlOptions::default()
        },
    );
    w.write_report(&r).unwrap();
    let h = String::from_utf8(w.into_inner()).unwrap();
    assert!(h.contains(">TLP:RED<"));
    assert_eq!(h.matches("<pre class=\"ev\">").count(), 15);
}
