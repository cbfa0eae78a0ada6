//! The complete catalogue of requests `exhunt probe` can send. Nothing else is ever sent.
//!
//! Only the passive checks of `shared/reference/exchange_fingerprint_checks.csv` are here: plain GETs
//! of normal pages or static files, and (opt-in) an anonymous NTLM negotiation. The exploit-like
//! checks listed there (`X-AnonResource` cookies, `autodiscover.json?@...` path confusion, the
//! CVE-2022-41040 probe, web-shell URL requests) are deliberately absent; a test enforces it.

/// One request the probe may send.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CheckRequest {
    /// Check id (matches `exchange_fingerprint_checks.csv` where one exists).
    pub id: &'static str,
    /// HTTP method.
    pub method: &'static str,
    /// Request path (never built from response data).
    pub path: &'static str,
    /// Extra request headers beyond Host, User-Agent and Accept.
    pub headers: &'static [(&'static str, &'static str)],
    /// Sent only with `--ntlm-info`.
    pub opt_in: bool,
    /// What the response can show.
    pub purpose: &'static str,
}

/// Anonymous NTLM Type 1 (negotiate) message, as sent by nmap's `http-ntlm-info.nse`.
pub const NTLM_NEGOTIATE: &str = "NTLM TlRMTVNTUAABAAAAB4IIogAAAAAAAAAAAAAAAAAAAAAGAbEdAAAADw==";

/// User-Agent of every request.
pub const USER_AGENT: &str = "exhunt-probe/0.1 (passive Exchange exposure check)";

/// `GET /owa/auth/logon.aspx`: OWA logon page; build path in the body, `X-OWA-Version` header.
pub const OWA_LOGON: CheckRequest = CheckRequest {
    id: "owa_build_path",
    method: "GET",
    path: "/owa/auth/logon.aspx",
    headers: &[],
    opt_in: false,
    purpose: "body /owa/auth/<build>/ (CU level), X-OWA-Version header, OWA title",
};

/// `GET /owa/`: redirect to the logon page; may carry `X-OWA-Version`.
pub const OWA_ROOT: CheckRequest = CheckRequest {
    id: "x_owa_version",
    method: "GET",
    path: "/owa/",
    headers: &[],
    opt_in: false,
    purpose: "X-OWA-Version header, redirect to /owa/auth/logon.aspx",
};

/// ECP export-tool ClickOnce manifest: a static file carrying a four-part version.
pub const ECP_EXPORTTOOL: CheckRequest = CheckRequest {
    id: "ecp_exporttool",
    method: "GET",
    path: "/ecp/Current/exporttool/microsoft.exchange.ediscovery.exporttool.application",
    headers: &[],
    opt_in: false,
    purpose: "<assemblyIdentity version=\"15.x.y.z\">",
};

/// `GET /autodiscover/autodiscover.xml`: the 401 carries front-end/back-end identity headers.
pub const AUTODISCOVER: CheckRequest = CheckRequest {
    id: "fe_be_headers",
    method: "GET",
    path: "/autodiscover/autodiscover.xml",
    headers: &[],
    opt_in: false,
    purpose: "X-FEServer / X-BEServer / X-CalculatedBETarget / X-DiagInfo / request-id",
};

/// Anonymous NTLM negotiation against EWS (opt-in): Windows build and AD names.
pub const NTLM_EWS: CheckRequest = CheckRequest {
    id: "ntlm_info",
    method: "GET",
    path: "/EWS/Exchange.asmx",
    headers: &[("Authorization", NTLM_NEGOTIATE)],
    opt_in: true,
    purpose: "NTLM Type 2: NetBIOS/DNS names, Windows build",
};

/// Every request the probe can send, in the order it may send them.
pub const ALL: &[CheckRequest] = &[OWA_LOGON, OWA_ROOT, ECP_EXPORTTOOL, AUTODISCOVER, NTLM_EWS];
