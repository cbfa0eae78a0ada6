//! The probe against mock Exchange servers on 127.0.0.1 (and ::1 when available).
//! Only loopback addresses are contacted.

mod support;

use exhunt_probe::net::conn::ConnSettings;
use exhunt_probe::net::tls::client_config;
use exhunt_probe::targets::{Host, Scheme, Target};
use exhunt_probe::{HostResult, ProbeConfig, Prober};
use std::net::{IpAddr, Ipv4Addr};
use std::time::{Duration, Instant};
use support::mock::{start, Variant};

fn prober(ntlm: bool) -> Prober {
    let cfg = ProbeConfig {
        conn: ConnSettings {
            connect_timeout: Duration::from_secs(2),
            tls_timeout: Duration::from_secs(2),
            request_timeout: Duration::from_millis(700),
            max_body: 64 * 1024,
            tls: client_config().unwrap(),
        },
        schemes: vec![Scheme::Https, Scheme::Http],
        retries: 1,
        backoff: Duration::from_millis(20),
        total_timeout: Duration::from_secs(5),
        ntlm_info: ntlm,
    };
    Prober::new(cfg, 0.0, 4)
}

fn target(port: u16, scheme: Option<Scheme>) -> Target {
    Target {
        host: Host::Ip(IpAddr::V4(Ipv4Addr::LOCALHOST)),
        port: Some(port),
        scheme,
    }
}

async fn probe_variant(v: Variant, tls: bool) -> (HostResult, Vec<support::mock::Recorded>) {
    let m = start(v, tls, "127.0.0.1:0").await.unwrap();
    let scheme = if tls { Scheme::Https } else { Scheme::Http };
    let r = prober(false)
        .probe(&target(m.addr.port(), Some(scheme)), "test")
        .await;
    (r, m.recorded())
}

fn missing(r: &HostResult) -> Vec<&str> {
    r.missing_fixes.iter().map(|m| m.id).collect()
}

#[tokio::test]
async fn exchange_2013_via_exporttool_manifest() {
    let (r, reqs) = probe_variant(Variant::Ex2013, false).await;
    assert!(r.is_exchange && r.reachable);
    assert_eq!(r.build.as_deref(), Some("15.0.1497.2"));
    assert_eq!(r.product.as_deref(), Some("Exchange Server 2013"));
    assert_eq!(r.exposure, "vulnerable");
    assert!(missing(&r).contains(&"proxylogon"));
    let paths: Vec<&str> = reqs.iter().map(|q| q.path.as_str()).collect();
    assert_eq!(
        paths,
        [
            "/owa/auth/logon.aspx",
            "/ecp/Current/exporttool/microsoft.exchange.ediscovery.exporttool.application"
        ]
    );
    assert!(r
        .evidence
        .iter()
        .any(|e| e.finding.contains("exporttool manifest")));
}

#[tokio::test]
async fn exchange_2016_cu_level_is_honest() {
    let (r, _) = probe_variant(Variant::Ex2016Cu19NoHeader, false).await;
    assert_eq!(r.build.as_deref(), Some("15.1.2176"));
    assert_eq!(format!("{:?}", r.precision.unwrap()), "CuLevel");
    assert!(
        r.status.starts_with(exhunt_builds::CU_LEVEL_WORDING),
        "{}",
        r.status
    );
    assert_eq!(r.update, None);
    assert!(r
        .possibly_missing_fixes
        .iter()
        .any(|m| m.id == "proxylogon"));
    assert_eq!(r.cu.as_deref(), Some("CU19"));
}

#[tokio::test]
async fn exchange_2016_patched_with_header_uses_one_request() {
    let (r, reqs) = probe_variant(Variant::Ex2016Patched, false).await;
    assert_eq!(r.exposure, "patched", "{r:?}");
    assert_eq!(r.build.as_deref(), Some("15.1.2507.72"));
    assert_eq!(r.update.as_deref(), Some("Aug26SU"));
    assert_eq!(reqs.len(), 1);
    assert_eq!(r.requests, 1);
    assert!(r
        .identity
        .headers
        .iter()
        .any(|(k, v)| k == "x-feserver" && v == "EX01"));
}

#[tokio::test]
async fn exchange_2019_unpatched() {
    let (r, _) = probe_variant(Variant::Ex2019Unpatched, false).await;
    assert_eq!(r.product.as_deref(), Some("Exchange Server 2019"));
    assert_eq!(r.exposure, "vulnerable");
    assert!(missing(&r).contains(&"proxynotshell-owassrf"));
    assert!(r.status.contains("X-OWA-Version"));
}

#[tokio::test]
async fn exchange_se_over_self_signed_tls() {
    let (r, _) = probe_variant(Variant::ExSe, true).await;
    assert_eq!(r.scheme, Some("https"));
    assert_eq!(r.product.as_deref(), Some("Exchange Server SE"));
    assert_eq!(r.build.as_deref(), Some("15.2.2562.46"));
    assert_eq!(r.exposure, "patched");
    let tls = r.tls.expect("certificate recorded");
    assert!(tls.self_signed);
    assert!(tls.subject.contains("rcgen"), "{}", tls.subject);
    assert!(tls.dns_names.contains(&"mail.contoso.test".to_string()));
}

#[tokio::test]
async fn stripped_build_path_is_unknown_exchange() {
    let (r, reqs) = probe_variant(Variant::ExStripped, false).await;
    assert!(r.is_exchange);
    assert_eq!(r.exposure, "unknown");
    assert_eq!(r.build, None);
    assert!(reqs.iter().any(|q| q.path == "/owa/"));
}

#[tokio::test]
async fn not_exchange() {
    let (r, reqs) = probe_variant(Variant::NotExchange, false).await;
    assert!(r.reachable && !r.is_exchange);
    assert_eq!(r.exposure, "not_exchange");
    let paths: Vec<&str> = reqs.iter().map(|q| q.path.as_str()).collect();
    assert_eq!(
        paths,
        [
            "/owa/auth/logon.aspx",
            "/owa/",
            "/autodiscover/autodiscover.xml"
        ]
    );
}

#[tokio::test]
async fn slow_server_times_out_with_retries_and_bounded_time() {
    let t = Instant::now();
    let (r, reqs) = probe_variant(Variant::Slow, false).await;
    assert!(t.elapsed() < Duration::from_secs(4), "{:?}", t.elapsed());
    assert!(r.reachable);
    assert!(
        r.errors.iter().any(|e| e.contains("request timeout")),
        "{:?}",
        r.errors
    );
    assert_eq!(reqs.len(), 2, "one try plus one retry");
    assert_eq!(r.exposure, "unreachable");
}

#[tokio::test]
async fn broken_and_garbage_servers() {
    for v in [Variant::Broken, Variant::Garbage] {
        let (r, _) = probe_variant(v, false).await;
        assert!(!r.is_exchange, "{v:?}");
        assert!(!r.errors.is_empty(), "{v:?}");
        assert_eq!(r.requests, 2, "{v:?}: {:?}", r.errors);
    }
}

#[tokio::test]
async fn https_first_then_plain_http_on_the_same_port() {
    let m = start(Variant::Ex2019Unpatched, false, "127.0.0.1:0")
        .await
        .unwrap();
    let r = prober(false).probe(&target(m.addr.port(), None), "x").await;
    assert_eq!(r.scheme, Some("http"));
    assert!(
        r.errors.iter().any(|e| e.starts_with("https://")),
        "{:?}",
        r.errors
    );
    assert_eq!(r.exposure, "vulnerable");
}

#[tokio::test]
async fn closed_port_is_unreachable_without_retry_storm() {
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = l.local_addr().unwrap().port();
    drop(l);
    let r = prober(false)
        .probe(&target(port, Some(Scheme::Http)), "x")
        .await;
    assert!(!r.reachable);
    assert_eq!(r.exposure, "unreachable");
    assert!(r.errors[0].contains("refused"), "{:?}", r.errors);
}

#[tokio::test]
async fn ntlm_info_only_when_opted_in() {
    let m = start(Variant::Ex2019Unpatched, false, "127.0.0.1:0")
        .await
        .unwrap();
    let t = target(m.addr.port(), Some(Scheme::Http));
    let r = prober(false).probe(&t, "x").await;
    assert!(r.identity.ntlm.is_none());
    assert!(m
        .recorded()
        .iter()
        .all(|q| !q.headers.iter().any(|(k, _)| k == "authorization")));
    let r = prober(true).probe(&t, "x").await;
    let n = r.identity.ntlm.expect("ntlm decoded");
    assert_eq!(n.dns_computer.as_deref(), Some("EX01.contoso.test"));
    assert_eq!(n.os_version.as_deref(), Some("10.0.17763"));
}

#[tokio::test]
async fn ipv6_loopback_when_available() {
    let Ok(m) = start(Variant::Ex2016Patched, true, "[::1]:0").await else {
        eprintln!("no IPv6 loopback here; skipped");
        return;
    };
    let t = Target {
        host: Host::Ip("::1".parse().unwrap()),
        port: Some(m.addr.port()),
        scheme: None,
    };
    let r = prober(false).probe(&t, "x").await;
    assert_eq!(r.exposure, "patched", "{r:?}");
    assert!(r.address.unwrap().starts_with("[::1]:"));
}
