//! Property-based fuzzing of the probe's response parser: any status, headers and body for
//! each passive check, and NTLM challenges (well-formed, damaged and random). Zero panics;
//! budget and long runs: `tests/support/fuzz.rs` at the workspace root.

#[path = "../../../tests/support/fuzz.rs"]
mod fuzz;

use exhunt_probe::checks::ALL;
use exhunt_probe::fingerprint::analyze;
use exhunt_probe::ntlm::{decode_type2, encode_type2, from_header};
use hyper::header::{HeaderName, HeaderValue};
use hyper::HeaderMap;
use proptest::prelude::*;

fn body_piece() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        Just(b"<title>Outlook</title>".to_vec()),
        Just(b"/owa/auth/15.1.2176/themes/resources/favicon.ico".to_vec()),
        Just(b"/owa/auth/99999999999999999999.1/".to_vec()),
        Just(b"<assemblyIdentity name=\"microsoft.exchange.ediscovery.exporttool.application\" version=\"15.2.1118.7\"".to_vec()),
        Just(b"version=\"15.2.1118.".to_vec()),
        Just(b"<Autodiscover><Response><Error>".to_vec()),
        proptest::collection::vec(any::<u8>(), 0..120),
        "[ -~]{0,120}".prop_map(String::into_bytes),
    ]
}

fn header() -> impl Strategy<Value = (String, Vec<u8>)> {
    let name = prop_oneof![
        Just("server".to_string()),
        Just("x-owa-version".to_string()),
        Just("location".to_string()),
        Just("www-authenticate".to_string()),
        Just("x-feserver".to_string()),
        Just("x-calculatedbetarget".to_string()),
        Just("request-id".to_string()),
        "[a-z-]{1,12}",
    ];
    let value = prop_oneof![
        Just(b"15.2.1118.7".to_vec()),
        Just(b"NTLM TlRMTVNTUAACAAAA".to_vec()),
        Just(b"Negotiate, NTLM".to_vec()),
        proptest::collection::vec(32u8..=255, 0..80),
    ];
    (name, value)
}

proptest! {
    #![proptest_config(fuzz::config(512))]

    /// Any response to any check: an observation, never a panic.
    #[test]
    fn fuzz_probe_response_parser(
        check in 0usize..16,
        status in any::<u16>(),
        headers in proptest::collection::vec(header(), 0..8),
        body in proptest::collection::vec(body_piece(), 0..12),
    ) {
        let mut h = HeaderMap::new();
        for (n, v) in headers {
            if let (Ok(n), Ok(v)) = (HeaderName::from_bytes(n.as_bytes()), HeaderValue::from_bytes(&v)) {
                h.append(n, v);
            }
        }
        let body = body.concat();
        let _ = fuzz::bounded("analysing a response", move || analyze(&ALL[check % ALL.len()], status, &h, &body));
    }

    /// NTLM challenges: real ones decode back; damaged and random ones are refused or read.
    #[test]
    fn fuzz_ntlm_challenge(domain in "[A-Z]{0,15}", host in "[a-z.]{0,40}", edits in fuzz::edits(8), noise in "\\PC{0,80}") {
        let good = encode_type2(&domain, &host, (10, 0, 17763));
        let info = decode_type2(&good).expect("a well-formed challenge decodes");
        prop_assert_eq!(info.netbios_domain.as_deref().unwrap_or(""), domain.as_str());
        let _ = decode_type2(&fuzz::mutate(&good, &edits));
        let _ = from_header(&noise);
        let _ = from_header(&format!("Negotiate, NTLM {noise}"));
    }
}
