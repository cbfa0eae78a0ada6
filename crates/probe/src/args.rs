//! Command-line arguments of `exhunt probe`.

use crate::targets::Scheme;
use std::path::PathBuf;

/// `exhunt probe`: passive remote exposure assessment of Exchange servers.
///
/// Sends only plain GETs of normal pages and static files (and, with `--ntlm-info`, an anonymous
/// NTLM negotiation); never exploit-like requests. Exit code: 0 when no host was found vulnerable
/// or potentially vulnerable, 1 otherwise.
#[derive(Debug, Clone, clap::Args)]
pub struct ProbeArgs {
    /// Targets: host names, IPs, CIDR ranges, host:port, [IPv6]:port, or http(s):// URLs.
    #[arg(value_name = "TARGET")]
    pub targets: Vec<String>,

    /// Read targets from a file, one per line (`-` = stdin; `#` starts a comment).
    #[arg(short = 'i', long = "input", value_name = "FILE")]
    pub input: Option<PathBuf>,

    /// Write one JSON line per host to FILE (`-` = stdout) as results arrive.
    #[arg(long, value_name = "FILE")]
    pub jsonl: Option<PathBuf>,

    /// Skip targets already in the --jsonl file and append to it (a torn last line is cut off).
    #[arg(long, requires = "jsonl")]
    pub resume: bool,

    /// Targets probed at once.
    #[arg(long, default_value_t = 100, value_parser = clap::value_parser!(u32).range(1..=100_000))]
    pub concurrency: u32,

    /// Global limit on HTTP requests per second (0 = unlimited).
    #[arg(long, default_value_t = 150.0)]
    pub rate: f64,

    /// Simultaneous connections per IP address.
    #[arg(long, default_value_t = 4, value_parser = clap::value_parser!(u32).range(1..=100_000))]
    pub per_host: u32,

    /// TCP connect timeout, seconds (also used for DNS).
    #[arg(long, default_value_t = 5.0, value_parser = positive_secs)]
    pub connect_timeout: f64,

    /// TLS handshake timeout, seconds.
    #[arg(long, default_value_t = 5.0, value_parser = positive_secs)]
    pub tls_timeout: f64,

    /// Timeout for one request (headers and body), seconds.
    #[arg(long, default_value_t = 10.0, value_parser = positive_secs)]
    pub request_timeout: f64,

    /// Wall-time limit per target, seconds.
    #[arg(long, default_value_t = 30.0, value_parser = positive_secs)]
    pub timeout: f64,

    /// Retries for a failed connection or request (exponential backoff from --backoff-ms).
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u32).range(0..=10))]
    pub retries: u32,

    /// First retry delay in milliseconds.
    #[arg(long, default_value_t = 250)]
    pub backoff_ms: u64,

    /// Schemes to try, in order, for targets without http(s)://.
    #[arg(long, value_delimiter = ',', default_value = "https,http")]
    pub schemes: Vec<Scheme>,

    /// Also send an anonymous NTLM negotiation to /EWS/Exchange.asmx (reveals AD names and the Windows build).
    #[arg(long)]
    pub ntlm_info: bool,

    /// Response body cap in bytes.
    #[arg(long, default_value_t = 256 * 1024)]
    pub max_body: usize,

    /// Worst hosts listed in the summary.
    #[arg(long, default_value_t = 20)]
    pub top: usize,

    /// Never show the progress bar (it is shown only on a terminal anyway).
    #[arg(long)]
    pub no_progress: bool,

    /// Worker threads for the async runtime (default: number of CPUs).
    #[arg(long, hide = true)]
    pub threads: Option<usize>,
}

fn positive_secs(s: &str) -> Result<f64, String> {
    let v: f64 = s.parse().map_err(|_| format!("not a number: {s}"))?;
    if v.is_finite() && v > 0.0 && v <= 86_400.0 {
        Ok(v)
    } else {
        Err("must be between 0 and 86400 seconds".into())
    }
}
