//! A mock Exchange (or not-Exchange) HTTP(S) server on loopback, for tests and the benchmark.
//! It records every request it receives so tests can assert exactly what the probe sent.
#![allow(dead_code)]

use bytes::Bytes;
use http_body_util::Full;
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::io::AsyncWriteExt;
use tokio::net::TcpListener;

/// What the mock pretends to be.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Variant {
    /// Exchange 2013 CU23 RTM: page path 15.0.1497, export-tool manifest 15.0.1497.2 (vulnerable).
    Ex2013,
    /// Exchange 2016 CU19, page path only (CU level), no X-OWA-Version.
    Ex2016Cu19NoHeader,
    /// Exchange 2016 CU23 Aug26SU with X-OWA-Version 15.1.2507.72 (patched).
    Ex2016Patched,
    /// Exchange 2019 CU12 RTM with X-OWA-Version 15.2.1118.7 (vulnerable).
    Ex2019Unpatched,
    /// Exchange SE: page path 15.2.2562, export-tool manifest 15.2.2562.46 (patched).
    ExSe,
    /// Exchange with the build path stripped by a rewrite rule (identity headers only).
    ExStripped,
    /// A plain web server.
    NotExchange,
    /// Exchange 2019 that waits 5 s before every response.
    Slow,
    /// Accepts and closes at once.
    Broken,
    /// Answers with bytes that are not HTTP.
    Garbage,
}

/// One received request.
#[derive(Debug, Clone)]
pub struct Recorded {
    pub method: String,
    /// Path and query as received.
    pub path: String,
    /// Lower-cased header names and values.
    pub headers: Vec<(String, String)>,
}

/// A running mock.
pub struct Mock {
    pub addr: SocketAddr,
    pub requests: Arc<Mutex<Vec<Recorded>>>,
    pub connections: Arc<AtomicUsize>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for Mock {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl Mock {
    /// Requests received so far.
    pub fn recorded(&self) -> Vec<Recorded> {
        self.requests.lock().unwrap().clone()
    }
}

struct Profile {
    cu_path: Option<&'static str>,
    owa_version: Option<&'static str>,
    export: Option<&'static str>,
    fe_server: Option<&'static str>,
    delay: Option<Duration>,
}

fn profile(v: Variant) -> Profile {
    let p = |cu_path, owa_version, export| Profile {
        cu_path,
        owa_version,
        export,
        fe_server: Some("EX01"),
        delay: None,
    };
    match v {
        Variant::Ex2013 => p(Some("15.0.1497"), None, Some("15.0.1497.2")),
        Variant::Ex2016Cu19NoHeader => p(Some("15.1.2176"), None, None),
        Variant::Ex2016Patched => p(Some("15.1.2507"), Some("15.1.2507.72"), None),
        Variant::Ex2019Unpatched => p(Some("15.2.1118"), Some("15.2.1118.7"), None),
        Variant::ExSe => p(Some("15.2.2562"), None, Some("15.2.2562.46")),
        Variant::ExStripped => p(None, None, None),
        Variant::Slow => Profile {
            delay: Some(Duration::from_secs(5)),
            ..p(Some("15.2.1118"), Some("15.2.1118.7"), None)
        },
        Variant::NotExchange | Variant::Broken | Variant::Garbage => Profile {
            cu_path: None,
            owa_version: None,
            export: None,
            fe_server: None,
            delay: None,
        },
    }
}

/// A self-signed certificate configuration (rcgen), as Exchange ships by default.
pub fn tls_acceptor() -> tokio_rustls::TlsAcceptor {
    let ck = rcgen::generate_simple_self_signed(vec![
        "mail.contoso.test".to_string(),
        "localhost".to_string(),
    ])
    .expect("rcgen");
    let cert = ck.cert.der().clone();
    let key = rustls::pki_types::PrivateKeyDer::Pkcs8(ck.key_pair.serialize_der().into());
    let cfg = rustls::ServerConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .expect("versions")
    .with_no_client_auth()
    .with_single_cert(vec![cert], key)
    .expect("cert");
    tokio_rustls::TlsAcceptor::from(Arc::new(cfg))
}

/// Start a mock on `bind` (e.g. "127.0.0.1:0" or "[::1]:0").
pub async fn start(variant: Variant, tls: bool, bind: &str) -> std::io::Result<Mock> {
    let listener = TcpListener::bind(bind).await?;
    Ok(serve(
        listener,
        variant,
        if tls { Some(tls_acceptor()) } else { None },
    ))
}

/// Serve on an existing listener, recording requests.
pub fn serve(
    listener: TcpListener,
    variant: Variant,
    tls: Option<tokio_rustls::TlsAcceptor>,
) -> Mock {
    serve_with(listener, variant, tls, true)
}

/// Serve on an existing listener; `record = false` keeps memory flat for benchmarks.
pub fn serve_with(
    listener: TcpListener,
    variant: Variant,
    tls: Option<tokio_rustls::TlsAcceptor>,
    record: bool,
) -> Mock {
    let addr = listener.local_addr().expect("addr");
    let requests = Arc::new(Mutex::new(Vec::new()));
    let connections = Arc::new(AtomicUsize::new(0));
    let (reqs, conns) = (requests.clone(), connections.clone());
    let task = tokio::spawn(async move {
        loop {
            let Ok((mut stream, _)) = listener.accept().await else {
                continue;
            };
            conns.fetch_add(1, Ordering::Relaxed);
            let reqs = reqs.clone();
            let tls = tls.clone();
            tokio::spawn(async move {
                match variant {
                    Variant::Broken => {
                        let _ = stream.shutdown().await;
                        return;
                    }
                    Variant::Garbage => {
                        let _ = stream
                            .write_all(b"\x16\x03garbage that is not HTTP\r\n\r\n")
                            .await;
                        let _ = stream.shutdown().await;
                        return;
                    }
                    _ => {}
                }
                let svc = service_fn(move |req| handle(req, variant, record.then(|| reqs.clone())));
                match tls {
                    Some(acc) => {
                        if let Ok(s) = acc.accept(stream).await {
                            let _ = http1::Builder::new()
                                .serve_connection(TokioIo::new(s), svc)
                                .await;
                        }
                    }
                    None => {
                        let _ = http1::Builder::new()
                            .serve_connection(TokioIo::new(stream), svc)
                            .await;
                    }
                }
            });
        }
    });
    Mock {
        addr,
        requests,
        connections,
        task,
    }
}

async fn handle(
    req: Request<Incoming>,
    variant: Variant,
    reqs: Option<Arc<Mutex<Vec<Recorded>>>>,
) -> Result<Response<Full<Bytes>>, std::convert::Infallible> {
    let path = req
        .uri()
        .path_and_query()
        .map(|p| p.as_str().to_string())
        .unwrap_or_default();
    let auth = req
        .headers()
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    if let Some(reqs) = reqs {
        let headers: Vec<(String, String)> = req
            .headers()
            .iter()
            .map(|(k, v)| (k.as_str().to_string(), v.to_str().unwrap_or("").to_string()))
            .collect();
        reqs.lock().unwrap().push(Recorded {
            method: req.method().to_string(),
            path: path.clone(),
            headers,
        });
    }
    let p = profile(variant);
    if let Some(d) = p.delay {
        tokio::time::sleep(d).await;
    }
    let mut b = Response::builder().header(
        "server",
        if p.fe_server.is_some() {
            "Microsoft-IIS/10.0"
        } else {
            "nginx"
        },
    );
    if let Some(fe) = p.fe_server {
        b = b
            .header("x-feserver", fe)
            .header("request-id", "3f2a3c1e-0000-4000-8000-000000000000");
    }
    if let Some(v) = p.owa_version {
        if path.starts_with("/owa") {
            b = b.header("x-owa-version", v);
        }
    }
    let lower = path.to_ascii_lowercase();
    let exchange = p.fe_server.is_some();
    let (status, body): (u16, String) = if !exchange {
        if lower == "/" {
            (200, "<html><title>Welcome to nginx!</title></html>".into())
        } else {
            (404, "<html><title>404 Not Found</title></html>".into())
        }
    } else if lower.starts_with("/owa/auth/logon.aspx") {
        let link = p.cu_path.map(|c| format!(r#"<link rel="shortcut icon" href="/owa/auth/{c}/themes/resources/favicon.ico" type="image/x-icon">"#)).unwrap_or_default();
        (200, format!("<!DOCTYPE html><html><head><title>Outlook</title>{link}</head><body>logon</body></html>"))
    } else if lower == "/owa/" || lower == "/owa" {
        b = b.header("location", "https://mail.contoso.test/owa/auth/logon.aspx?url=https%3a%2f%2fmail.contoso.test%2fowa%2f&reason=0");
        (302, String::new())
    } else if lower.starts_with("/ecp/current/exporttool/") {
        match p.export {
            Some(v) => (
                200,
                format!(
                    r#"<?xml version="1.0" encoding="utf-8"?><asmv1:assembly xmlns:asmv1="urn:schemas-microsoft-com:asm.v1"><assemblyIdentity name="microsoft.exchange.ediscovery.exporttool.application" version="{v}" publicKeyToken="31bf3856ad364e35" language="neutral" processorArchitecture="msil" xmlns="urn:schemas-microsoft-com:asm.v1" /></asmv1:assembly>"#
                ),
            ),
            None => (404, String::new()),
        }
    } else if lower.starts_with("/autodiscover/autodiscover.xml") {
        b = b
            .header("www-authenticate", "Negotiate")
            .header("www-authenticate", "NTLM");
        (401, String::new())
    } else if lower.starts_with("/ews/exchange.asmx")
        && auth.as_deref().is_some_and(|a| a.starts_with("NTLM "))
    {
        use base64::Engine;
        let t2 = exhunt_probe::ntlm::encode_type2("CONTOSO", "EX01.contoso.test", (10, 0, 17763));
        b = b.header(
            "www-authenticate",
            format!(
                "NTLM {}",
                base64::engine::general_purpose::STANDARD.encode(t2)
            ),
        );
        (401, String::new())
    } else {
        (404, String::new())
    };
    Ok(b.status(status)
        .body(Full::new(Bytes::from(body)))
        .expect("response"))
}
