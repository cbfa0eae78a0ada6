//! One HTTP(S) connection to one address: TCP connect and TLS handshake under their own timeouts,
//! then HTTP/1.1 requests on it (keep-alive) with a capped response body.

use super::tls::{describe, CertInfo};
use crate::checks::{CheckRequest, USER_AGENT};
use crate::targets::Scheme;
use bytes::Bytes;
use http_body_util::{BodyExt, Empty};
use hyper::client::conn::http1;
use hyper::{HeaderMap, Request};
use hyper_util::rt::TokioIo;
use rustls::pki_types::ServerName;
use std::future::Future;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpStream;
use tokio::time::timeout;
use tokio_rustls::TlsConnector;

trait Io: AsyncRead + AsyncWrite + Send + Unpin {}
impl<T: AsyncRead + AsyncWrite + Send + Unpin> Io for T {}

/// Why a connection attempt failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ConnectError {
    /// TCP connect timed out.
    ConnectTimeout,
    /// TCP connect refused (port closed): not retried.
    Refused,
    /// Other TCP error.
    Io(String),
    /// TLS handshake timed out.
    TlsTimeout,
    /// TLS handshake failed (e.g. plain HTTP on the port).
    Tls(String),
    /// HTTP/1 handshake failed.
    Http(String),
}

impl ConnectError {
    /// Worth retrying with backoff.
    pub fn retryable(&self) -> bool {
        matches!(
            self,
            ConnectError::ConnectTimeout | ConnectError::Io(_) | ConnectError::TlsTimeout
        )
    }
}

impl std::fmt::Display for ConnectError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ConnectError::ConnectTimeout => f.write_str("connect timeout"),
            ConnectError::Refused => f.write_str("connection refused"),
            ConnectError::Io(e) => write!(f, "connect error: {e}"),
            ConnectError::TlsTimeout => f.write_str("TLS handshake timeout"),
            ConnectError::Tls(e) => write!(f, "TLS error: {e}"),
            ConnectError::Http(e) => write!(f, "HTTP handshake error: {e}"),
        }
    }
}

/// Connection settings shared by all probes.
#[derive(Clone)]
pub struct ConnSettings {
    /// TCP connect timeout.
    pub connect_timeout: Duration,
    /// TLS handshake timeout.
    pub tls_timeout: Duration,
    /// Timeout for one request (headers and capped body).
    pub request_timeout: Duration,
    /// Response body cap in bytes.
    pub max_body: usize,
    /// TLS client configuration.
    pub tls: Arc<rustls::ClientConfig>,
}

/// The hyper connection future: it does the actual reading and writing, and is polled by the
/// task that sends requests (no task of its own: a spawn and a cross-task wake-up per target
/// were a measurable share of a probe at scale).
type Driver = Pin<Box<dyn Future<Output = hyper::Result<()>> + Send>>;

/// An open connection.
pub struct Conn {
    sender: http1::SendRequest<Empty<Bytes>>,
    /// The connection future, `None` once it has finished (the peer closed, or an error).
    driver: Option<Driver>,
    /// Certificate seen during the TLS handshake.
    pub cert: Option<CertInfo>,
    /// False once the connection cannot carry another request.
    pub reusable: bool,
}

/// A response, body capped.
pub struct Response {
    /// Status code.
    pub status: u16,
    /// Headers.
    pub headers: HeaderMap,
    /// Body (at most `max_body` bytes).
    pub body: Vec<u8>,
}

/// Open a connection to `addr`; `sni` is the host name for TLS (none for IP targets).
pub async fn connect(
    s: &ConnSettings,
    addr: SocketAddr,
    scheme: Scheme,
    sni: Option<&str>,
) -> Result<Conn, ConnectError> {
    let tcp = match timeout(s.connect_timeout, TcpStream::connect(addr)).await {
        Err(_) => return Err(ConnectError::ConnectTimeout),
        Ok(Err(e)) if e.kind() == std::io::ErrorKind::ConnectionRefused => {
            return Err(ConnectError::Refused)
        }
        Ok(Err(e)) => return Err(ConnectError::Io(e.to_string())),
        Ok(Ok(t)) => t,
    };
    // TLS writes its handshake and then the request in several small segments, which Nagle's
    // algorithm would hold back for the peer's delayed ACK; a plain HTTP request is a single
    // write, so that connection saves the system call.
    if scheme == Scheme::Https {
        let _ = tcp.set_nodelay(true);
    }
    let (io, cert): (Box<dyn Io>, Option<CertInfo>) = match scheme {
        Scheme::Http => (Box::new(tcp), None),
        Scheme::Https => {
            let name = match sni.and_then(|n| ServerName::try_from(n.to_string()).ok()) {
                Some(n) => n,
                None => ServerName::IpAddress(addr.ip().into()),
            };
            let tls = match timeout(
                s.tls_timeout,
                TlsConnector::from(s.tls.clone()).connect(name, tcp),
            )
            .await
            {
                Err(_) => return Err(ConnectError::TlsTimeout),
                Ok(Err(e)) => return Err(ConnectError::Tls(e.to_string())),
                Ok(Ok(t)) => t,
            };
            let (_, session) = tls.get_ref();
            let proto = session
                .protocol_version()
                .map(|v| format!("{v:?}"))
                .unwrap_or_default();
            let cert = session
                .peer_certificates()
                .and_then(|c| c.first())
                .map(|c| describe(c, proto));
            (Box::new(tls), cert)
        }
    };
    let (sender, conn) = match timeout(s.request_timeout, http1::handshake(TokioIo::new(io))).await
    {
        Err(_) => return Err(ConnectError::Http("timeout".into())),
        Ok(Err(e)) => return Err(ConnectError::Http(e.to_string())),
        Ok(Ok(x)) => x,
    };
    Ok(Conn {
        sender,
        driver: Some(Box::pin(conn)),
        cert,
        reusable: true,
    })
}

impl Conn {
    /// Send one catalogue request with the given Host header.
    pub async fn send(
        &mut self,
        s: &ConnSettings,
        check: &CheckRequest,
        host_header: &str,
    ) -> Result<Response, String> {
        let Conn {
            sender,
            driver,
            reusable,
            ..
        } = self;
        let exchange = exchange(sender, reusable, s, check, host_header);
        let res = timeout(s.request_timeout, drive(driver, exchange)).await;
        match res {
            Err(_) => {
                self.reusable = false;
                Err("request timeout".into())
            }
            Ok(Err(e)) => {
                self.reusable = false;
                Err(e)
            }
            Ok(Ok(r)) => Ok(r),
        }
    }
}

/// Run `work` while polling the connection future that feeds it; once the connection future
/// has finished, only `work` is left to finish (with what was already received, or an error).
async fn drive<T>(driver: &mut Option<Driver>, work: impl Future<Output = T>) -> T {
    let mut work = std::pin::pin!(work);
    loop {
        let Some(d) = driver.as_mut() else {
            return work.await;
        };
        tokio::select! {
            biased;
            out = &mut work => return out,
            _ = d => *driver = None,
        }
    }
}

/// One request and its capped response on an open connection.
async fn exchange(
    sender: &mut http1::SendRequest<Empty<Bytes>>,
    reusable: &mut bool,
    s: &ConnSettings,
    check: &CheckRequest,
    host_header: &str,
) -> Result<Response, String> {
    sender
        .ready()
        .await
        .map_err(|e| format!("connection closed: {e}"))?;
    let mut b = Request::builder()
        .method(check.method)
        .uri(check.path)
        .header("host", host_header)
        .header("user-agent", USER_AGENT)
        .header("accept", "*/*");
    for (k, v) in check.headers {
        b = b.header(*k, *v);
    }
    let req = b
        .body(Empty::<Bytes>::new())
        .map_err(|e| format!("request build: {e}"))?;
    let resp = sender
        .send_request(req)
        .await
        .map_err(|e| format!("no response: {e}"))?;
    let (parts, mut body) = resp.into_parts();
    let status = parts.status.as_u16();
    let headers = parts.headers;
    if headers
        .get("connection")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.eq_ignore_ascii_case("close"))
    {
        *reusable = false;
    }
    let announced = headers
        .get("content-length")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok())
        .unwrap_or(0);
    let mut buf = Vec::with_capacity(announced.min(s.max_body));
    while let Some(frame) = body.frame().await {
        let frame = frame.map_err(|e| format!("body: {e}"))?;
        if let Some(d) = frame.data_ref() {
            let room = s.max_body.saturating_sub(buf.len());
            buf.extend_from_slice(&d[..d.len().min(room)]);
            if buf.len() >= s.max_body {
                *reusable = false;
                break;
            }
        }
    }
    Ok(Response {
        status,
        headers,
        body: buf,
    })
}
