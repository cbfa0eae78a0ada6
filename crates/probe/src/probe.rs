//! Probing one target: resolve, connect (HTTPS then HTTP unless pinned), send the passive checks
//! in order, stop as soon as the answer is known, and turn what was seen into a [`HostResult`].

use crate::checks::{CheckRequest, AUTODISCOVER, ECP_EXPORTTOOL, NTLM_EWS, OWA_LOGON, OWA_ROOT};
use crate::fingerprint::{analyze, BuildSource};
use crate::limits::{PerHostLimiter, RateLimiter};
use crate::net::conn::{connect, Conn, ConnSettings, ConnectError, Response};
use crate::record::{Evidence, HostResult};
use crate::targets::{Host, Scheme, Target};
use exhunt_builds::{assess_cached, BuildNumber};
use std::net::{IpAddr, SocketAddr};
use std::time::Duration;
use tokio::time::{sleep, timeout, Instant};

/// Settings for probing.
#[derive(Clone)]
pub struct ProbeConfig {
    /// Connection settings.
    pub conn: ConnSettings,
    /// Scheme order for targets without a pinned scheme.
    pub schemes: Vec<Scheme>,
    /// Retries per connection or request.
    pub retries: u32,
    /// First backoff delay (doubles per retry).
    pub backoff: Duration,
    /// Wall-time cap per target.
    pub total_timeout: Duration,
    /// Send the opt-in anonymous NTLM negotiation.
    pub ntlm_info: bool,
}

/// Probes targets under shared limits.
pub struct Prober {
    cfg: ProbeConfig,
    rate: RateLimiter,
    hosts: PerHostLimiter,
}

/// Per-target working state.
struct State {
    r: HostResult,
    builds: Vec<(BuildSource, BuildNumber, String)>,
    signs: Vec<String>,
    responses: u32,
}

/// Where the checks go.
struct Endpoint {
    addr: SocketAddr,
    scheme: Scheme,
    sni: Option<String>,
    host_header: String,
}

impl Prober {
    /// A prober with a global request rate (per second, 0 = unlimited) and a per-address connection limit.
    pub fn new(cfg: ProbeConfig, rate: f64, per_host: usize) -> Self {
        Self {
            cfg,
            rate: RateLimiter::new(rate),
            hosts: PerHostLimiter::new(per_host),
        }
    }

    /// Probe one target. Never panics; every failure ends up in `errors`.
    pub async fn probe(&self, t: &Target, input: &str) -> HostResult {
        let start = Instant::now();
        let mut st = State {
            r: HostResult::new(t.key(), input.to_string()),
            builds: Vec::new(),
            signs: Vec::new(),
            responses: 0,
        };
        if timeout(self.cfg.total_timeout, self.probe_inner(t, &mut st))
            .await
            .is_err()
        {
            st.r.errors.push(format!(
                "total timeout ({} s)",
                self.cfg.total_timeout.as_secs_f64()
            ));
        }
        st.r.elapsed_ms = u64::try_from(start.elapsed().as_millis()).unwrap_or(u64::MAX);
        finalize(st)
    }

    async fn probe_inner(&self, t: &Target, st: &mut State) {
        let ip = match resolve(&t.host, self.cfg.conn.connect_timeout).await {
            Ok(ip) => ip,
            Err(e) => {
                st.r.errors.push(e);
                return;
            }
        };
        let attempts: Vec<(Scheme, u16)> = match (t.scheme, t.port) {
            (Some(s), p) => vec![(s, p.unwrap_or(s.default_port()))],
            (None, Some(p)) => self.cfg.schemes.iter().map(|s| (*s, p)).collect(),
            (None, None) => self
                .cfg
                .schemes
                .iter()
                .map(|s| (*s, s.default_port()))
                .collect(),
        };
        let _permit = self.hosts.acquire(ip).await;
        for (scheme, port) in attempts {
            let ep = Endpoint {
                addr: SocketAddr::new(ip, port),
                scheme,
                sni: match &t.host {
                    Host::Name(n) => Some(n.clone()),
                    Host::Ip(_) => None,
                },
                host_header: host_header(&t.host, port, scheme),
            };
            st.r.address = Some(ep.addr.to_string());
            match self.connect_retrying(&ep).await {
                Ok(conn) => {
                    st.r.reachable = true;
                    st.r.scheme = Some(scheme.as_str());
                    st.r.tls = conn.cert.clone();
                    self.run_checks(conn, &ep, st).await;
                    return;
                }
                Err(e) => {
                    st.r.errors
                        .push(format!("{}://{}: {e}", scheme.as_str(), ep.addr))
                }
            }
        }
    }

    async fn connect_retrying(&self, ep: &Endpoint) -> Result<Conn, ConnectError> {
        let mut attempt = 0;
        loop {
            match connect(&self.cfg.conn, ep.addr, ep.scheme, ep.sni.as_deref()).await {
                Ok(c) => return Ok(c),
                Err(e) if e.retryable() && attempt < self.cfg.retries => {
                    sleep(self.cfg.backoff * 2u32.saturating_pow(attempt)).await;
                    attempt += 1;
                }
                Err(e) => return Err(e),
            }
        }
    }

    /// The check sequence: each later request only when the earlier ones left the question open.
    async fn run_checks(&self, conn: Conn, ep: &Endpoint, st: &mut State) {
        let mut conn = Some(conn);
        let mut next: Option<&CheckRequest> = Some(&OWA_LOGON);
        while let Some(check) = next {
            if !self.request(&mut conn, ep, check, st).await {
                return;
            }
            next = self.next_check(check, st);
        }
    }

    fn next_check(&self, done: &CheckRequest, st: &State) -> Option<&'static CheckRequest> {
        let exchange = !st.signs.is_empty();
        let exact = st.builds.iter().any(|b| b.1.is_exact());
        let order: [&'static CheckRequest; 4] =
            [&OWA_ROOT, &ECP_EXPORTTOOL, &AUTODISCOVER, &NTLM_EWS];
        let start = order
            .iter()
            .position(|c| c.id == done.id)
            .map_or(0, |i| i + 1);
        order[start..].iter().copied().find(|c| match c.id {
            id if id == OWA_ROOT.id => st.builds.is_empty(),
            id if id == ECP_EXPORTTOOL.id => exchange && !exact,
            id if id == AUTODISCOVER.id => !exchange,
            id if id == NTLM_EWS.id => self.cfg.ntlm_info && exchange,
            _ => false,
        })
    }

    /// Send one check (reconnecting/retrying as needed) and record what it showed. False if it failed.
    async fn request(
        &self,
        conn: &mut Option<Conn>,
        ep: &Endpoint,
        check: &CheckRequest,
        st: &mut State,
    ) -> bool {
        let mut attempt = 0;
        loop {
            if conn.as_ref().is_none_or(|c| !c.reusable) {
                match self.connect_retrying(ep).await {
                    Ok(c) => *conn = Some(c),
                    Err(e) => {
                        st.r.errors
                            .push(format!("{} {}: reconnect: {e}", check.method, check.path));
                        return false;
                    }
                }
            }
            let Some(c) = conn.as_mut() else { return false };
            self.rate.acquire().await;
            st.r.requests += 1;
            match c.send(&self.cfg.conn, check, &ep.host_header).await {
                Ok(resp) => {
                    record(st, ep, check, &resp);
                    return true;
                }
                Err(e) => {
                    *conn = None;
                    if attempt >= self.cfg.retries {
                        st.r.errors
                            .push(format!("{} {}: {e}", check.method, check.path));
                        return false;
                    }
                    sleep(self.cfg.backoff * 2u32.saturating_pow(attempt)).await;
                    attempt += 1;
                }
            }
        }
    }
}

async fn resolve(host: &Host, t: Duration) -> Result<IpAddr, String> {
    match host {
        Host::Ip(ip) => Ok(*ip),
        Host::Name(n) => match timeout(t, tokio::net::lookup_host((n.as_str(), 0))).await {
            Err(_) => Err(format!("DNS timeout for {n}")),
            Ok(Err(e)) => Err(format!("DNS error for {n}: {e}")),
            Ok(Ok(mut addrs)) => addrs
                .next()
                .map(|a| a.ip())
                .ok_or_else(|| format!("no address for {n}")),
        },
    }
}

fn host_header(host: &Host, port: u16, scheme: Scheme) -> String {
    let h = match host {
        Host::Ip(IpAddr::V6(v6)) => format!("[{v6}]"),
        h => h.to_string(),
    };
    if port == scheme.default_port() {
        h
    } else {
        format!("{h}:{port}")
    }
}

fn record(st: &mut State, ep: &Endpoint, check: &CheckRequest, resp: &Response) {
    st.responses += 1;
    let o = analyze(check, resp.status, &resp.headers, &resp.body);
    let request = format!(
        "{} {}://{}{}",
        check.method,
        ep.scheme.as_str(),
        ep.host_header,
        check.path
    );
    let mut findings: Vec<String> = o.builds.iter().map(|b| b.2.clone()).collect();
    findings.extend(
        o.exchange_signs
            .iter()
            .filter(|s| !s.contains("X-OWA-Version") && !s.contains("build path"))
            .cloned(),
    );
    if let Some(l) = &o.location {
        findings.push(format!("Location: {l}"));
    }
    if findings.is_empty() {
        findings.push(format!(
            "no Exchange sign (Server: {})",
            o.server.as_deref().unwrap_or("-")
        ));
    }
    st.r.evidence.push(Evidence {
        request,
        status: resp.status,
        finding: findings.join("; "),
    });
    let id = &mut st.r.identity;
    for (name, value) in o.identity {
        if !id.headers.iter().any(|(n, _)| n == name) {
            id.headers.push((name.to_string(), value));
        }
    }
    if id.server.is_none() {
        id.server = o.server;
    }
    if id.title.is_none() {
        id.title = o.title;
    }
    if check.id == NTLM_EWS.id {
        id.ntlm = o
            .www_authenticate
            .iter()
            .find_map(|v| crate::ntlm::from_header(v));
    }
    st.builds.extend(o.builds);
    st.signs.extend(o.exchange_signs);
}

/// Choose the build to report: a four-part `X-OWA-Version`, then the export-tool manifest, then the page path.
fn finalize(mut st: State) -> HostResult {
    let r = &mut st.r;
    r.is_exchange = !st.signs.is_empty();
    let pick = [
        BuildSource::XOwaVersion,
        BuildSource::ExportTool,
        BuildSource::OwaPath,
    ]
    .iter()
    .find_map(|src| {
        st.builds
            .iter()
            .find(|b| b.0 == *src && (b.1.is_exact() || *src == BuildSource::OwaPath))
    })
    .or_else(|| st.builds.first());
    if let Some((src, b, _)) = pick {
        let a = assess_cached(*b);
        r.build = Some(b.to_string());
        r.build_source = Some(*src);
        r.precision = Some(a.precision);
        r.product = a.product.map(|p| p.name().to_string());
        r.cu = a.cu.clone();
        r.update = a.update.clone();
        r.update_name = a.update_name.clone();
        r.release_date = a.release_date.clone();
        r.exposure = a.exposure.label();
        r.status = a.status.clone();
        if *src == BuildSource::XOwaVersion && b.is_exact() {
            r.status.push_str(
                " (build from X-OWA-Version, which may not reflect the security-update level)",
            );
        }
        let cus: Vec<_> = st.builds.iter().map(|x| x.1.cu_key()).collect();
        if cus.iter().any(|k| *k != b.cu_key()) {
            r.errors
                .push("responses disagree on the CU; reported the most precise source".into());
        }
        r.set_fixes(a.missing_fixes, a.possibly_missing_fixes);
    } else if r.is_exchange {
        r.exposure = "unknown";
        r.status = "Exchange, build not visible (build path removed or hidden)".into();
    } else if st.responses > 0 {
        r.exposure = "not_exchange";
        r.status = "reachable, no Exchange sign".into();
    } else {
        r.exposure = "unreachable";
        r.status = if r.reachable {
            "connected, no HTTP response".into()
        } else {
            "unreachable".into()
        };
    }
    st.r
}
