//! The exact set of requests the probe can send, checked both on the catalogue and on the wire.

mod support;

use exhunt_probe::checks::{self, ALL, NTLM_NEGOTIATE, USER_AGENT};
use exhunt_probe::net::conn::ConnSettings;
use exhunt_probe::net::tls::client_config;
use exhunt_probe::targets::{Host, Scheme, Target};
use exhunt_probe::{ProbeConfig, Prober};
use std::collections::BTreeSet;
use std::time::Duration;
use support::mock::{start, Variant};

/// The whole allowed set: (method, path, extra header names).
const EXPECTED: &[(&str, &str, &[&str])] = &[
    ("GET", "/owa/auth/logon.aspx", &[]),
    ("GET", "/owa/", &[]),
    (
        "GET",
        "/ecp/Current/exporttool/microsoft.exchange.ediscovery.exporttool.application",
        &[],
    ),
    ("GET", "/autodiscover/autodiscover.xml", &[]),
    ("GET", "/EWS/Exchange.asmx", &["Authorization"]),
];

/// Fragments of the exploit-like checks in exchange_fingerprint_checks.csv (never to be sent).
const FORBIDDEN: &[&str] = &[
    "x-anonresource",
    "x-beresource",
    "autodiscover.json",
    "@",
    "/owa/auth/x.js",
    "default.flt",
    "mapi/nspi",
    "powershell",
    "interactsh",
];

#[test]
fn catalogue_is_exactly_the_passive_set() {
    let got: Vec<(&str, &str, Vec<&str>)> = ALL
        .iter()
        .map(|c| (c.method, c.path, c.headers.iter().map(|h| h.0).collect()))
        .collect();
    let want: Vec<(&str, &str, Vec<&str>)> = EXPECTED
        .iter()
        .map(|(m, p, h)| (*m, *p, h.to_vec()))
        .collect();
    assert_eq!(got, want);
    for c in ALL {
        assert_eq!(c.method, "GET");
        let text = format!("{} {:?}", c.path, c.headers).to_ascii_lowercase();
        for f in FORBIDDEN {
            assert!(!text.contains(f), "{} contains forbidden {f}", c.id);
        }
        assert_eq!(c.opt_in, c.id == checks::NTLM_EWS.id);
    }
    assert_eq!(
        checks::NTLM_EWS.headers,
        &[("Authorization", NTLM_NEGOTIATE)]
    );
}

#[tokio::test]
async fn wire_requests_across_all_variants_stay_in_the_set() {
    let variants = [
        Variant::Ex2013,
        Variant::Ex2016Cu19NoHeader,
        Variant::Ex2016Patched,
        Variant::Ex2019Unpatched,
        Variant::ExSe,
        Variant::ExStripped,
        Variant::NotExchange,
        Variant::Slow,
    ];
    let allowed: BTreeSet<(String, String)> = EXPECTED
        .iter()
        .map(|(m, p, _)| (m.to_string(), p.to_string()))
        .collect();
    let mut seen = BTreeSet::new();
    for ntlm in [false, true] {
        for v in variants {
            for tls in [false, true] {
                let m = start(v, tls, "127.0.0.1:0").await.unwrap();
                let cfg = ProbeConfig {
                    conn: ConnSettings {
                        connect_timeout: Duration::from_secs(2),
                        tls_timeout: Duration::from_secs(2),
                        request_timeout: Duration::from_millis(300),
                        max_body: 64 * 1024,
                        tls: client_config().unwrap(),
                    },
                    schemes: vec![Scheme::Https, Scheme::Http],
                    retries: 1,
                    backoff: Duration::from_millis(10),
                    total_timeout: Duration::from_secs(3),
                    ntlm_info: ntlm,
                };
                let t = Target {
                    host: Host::Name("localhost".into()),
                    port: Some(m.addr.port()),
                    scheme: None,
                };
                let _ = Prober::new(cfg, 0.0, 2).probe(&t, "x").await;
                for q in m.recorded() {
                    assert!(
                        allowed.contains(&(q.method.clone(), q.path.clone())),
                        "{v:?} sent {} {}",
                        q.method,
                        q.path
                    );
                    let names: BTreeSet<&str> = q.headers.iter().map(|(k, _)| k.as_str()).collect();
                    let mut ok: BTreeSet<&str> = ["host", "user-agent", "accept"].into();
                    if ntlm && q.path == "/EWS/Exchange.asmx" {
                        ok.insert("authorization");
                    }
                    assert!(
                        names.is_subset(&ok),
                        "{v:?} {} sent headers {names:?}",
                        q.path
                    );
                    for (k, val) in &q.headers {
                        if k == "user-agent" {
                            assert_eq!(val, USER_AGENT);
                        }
                        if k == "authorization" {
                            assert_eq!(val, NTLM_NEGOTIATE);
                        }
                    }
                    seen.insert((q.method, q.path));
                }
            }
        }
    }
    assert_eq!(
        seen, allowed,
        "every catalogue request is reachable and nothing else was sent"
    );
}
