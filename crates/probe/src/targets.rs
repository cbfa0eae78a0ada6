//! Target parsing: host names, IPv4/IPv6 addresses, CIDR ranges, `host:port`, `[v6]:port` and
//! `http(s)://` URLs, one per line (`#` starts a comment). CIDR ranges expand lazily.

use ipnet::IpNet;
use std::fmt;
use std::net::IpAddr;

/// Largest CIDR range accepted, in addresses (a /8 for IPv4).
pub const MAX_RANGE_ADDRESSES: u128 = 1 << 24;

/// URL scheme.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum Scheme {
    /// TLS.
    Https,
    /// Plain HTTP.
    Http,
}

impl Scheme {
    /// "https" or "http".
    pub fn as_str(self) -> &'static str {
        match self {
            Scheme::Https => "https",
            Scheme::Http => "http",
        }
    }

    /// Default port.
    pub fn default_port(self) -> u16 {
        match self {
            Scheme::Https => 443,
            Scheme::Http => 80,
        }
    }
}

/// A host: a DNS name or an address.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Host {
    /// DNS name (resolved at probe time).
    Name(String),
    /// Literal address.
    Ip(IpAddr),
}

impl fmt::Display for Host {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Host::Name(n) => f.write_str(n),
            Host::Ip(ip) => write!(f, "{ip}"),
        }
    }
}

/// One concrete target.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Target {
    /// Host.
    pub host: Host,
    /// Explicit port, if any.
    pub port: Option<u16>,
    /// Scheme pinned by a URL, if any.
    pub scheme: Option<Scheme>,
}

impl Target {
    /// Canonical key used in output and for `--resume`: `[scheme://]host[:port]`, IPv6 in brackets when a port follows.
    pub fn key(&self) -> String {
        let host = match (&self.host, self.port) {
            (Host::Ip(IpAddr::V6(v6)), Some(_)) => format!("[{v6}]"),
            (h, _) => h.to_string(),
        };
        let mut s = match self.scheme {
            Some(sc) => format!("{}://{host}", sc.as_str()),
            None => host,
        };
        if let Some(p) = self.port {
            s.push_str(&format!(":{p}"));
        }
        s
    }
}

/// One parsed input line.
#[derive(Debug, Clone)]
pub enum Line {
    /// A single target.
    One(Target),
    /// A CIDR range, with an optional port applied to every address.
    Range(IpNet, Option<u16>, Option<Scheme>),
}

impl Line {
    /// Number of targets this line expands to.
    pub fn count(&self) -> u128 {
        match self {
            Line::One(_) => 1,
            Line::Range(net, ..) => range_size(net),
        }
    }

    /// Expand lazily into targets.
    pub fn expand(self) -> Box<dyn Iterator<Item = Target> + Send> {
        match self {
            Line::One(t) => Box::new(std::iter::once(t)),
            Line::Range(net, port, scheme) => Box::new(net.hosts().map(move |ip| Target {
                host: Host::Ip(ip),
                port,
                scheme,
            })),
        }
    }
}

fn range_size(net: &IpNet) -> u128 {
    let host_bits = u32::from(net.max_prefix_len() - net.prefix_len());
    let n = 1u128.checked_shl(host_bits).unwrap_or(u128::MAX);
    match net {
        IpNet::V4(_) if host_bits >= 2 => n - 2,
        _ => n,
    }
}

/// Parse one input line. `Ok(None)` for blank or comment lines.
pub fn parse_line(raw: &str) -> Result<Option<Line>, String> {
    let line = raw.split('#').next().unwrap_or("").trim();
    if line.is_empty() {
        return Ok(None);
    }
    if line.len() > 300 {
        return Err("target longer than 300 characters".into());
    }
    let (scheme, rest) = if let Some(r) = strip_prefix_ci(line, "https://") {
        (Some(Scheme::Https), r)
    } else if let Some(r) = strip_prefix_ci(line, "http://") {
        (Some(Scheme::Http), r)
    } else {
        (None, line)
    };
    let rest = if scheme.is_some() {
        rest.split(['/', '?']).next().unwrap_or("")
    } else {
        rest
    };
    if scheme.is_none() && rest.contains('/') {
        return parse_range(rest).map(Some);
    }
    let (host, port) = split_host_port(rest)?;
    let host = parse_host(host)?;
    Ok(Some(Line::One(Target { host, port, scheme })))
}

fn strip_prefix_ci<'a>(s: &'a str, p: &str) -> Option<&'a str> {
    (s.len() >= p.len() && s.is_char_boundary(p.len()) && s[..p.len()].eq_ignore_ascii_case(p))
        .then(|| &s[p.len()..])
}

fn parse_range(s: &str) -> Result<Line, String> {
    // "10.0.0.0/24", "10.0.0.0/24:8443" or "[2001:db8::/120]:443"
    let (cidr, port) = if let Some(inner) = s.strip_prefix('[') {
        let (c, after) = inner.split_once(']').ok_or("unclosed '['")?;
        (c, parse_port_suffix(after)?)
    } else if let Some((c, p)) = s.rsplit_once(':').filter(|(c, _)| !c.contains(':')) {
        (
            c,
            Some(p.parse::<u16>().map_err(|_| format!("bad port {p:?}"))?),
        )
    } else {
        (s, None)
    };
    let net: IpNet = cidr
        .parse()
        .map_err(|_| format!("not a CIDR range: {cidr:?}"))?;
    if range_size(&net) > MAX_RANGE_ADDRESSES {
        return Err(format!(
            "range {net} is larger than {MAX_RANGE_ADDRESSES} addresses; split it"
        ));
    }
    Ok(Line::Range(net.trunc(), port, None))
}

fn parse_port_suffix(after: &str) -> Result<Option<u16>, String> {
    match after.strip_prefix(':') {
        Some(p) => p
            .parse::<u16>()
            .map(Some)
            .map_err(|_| format!("bad port {p:?}")),
        None if after.is_empty() => Ok(None),
        None => Err(format!("unexpected {after:?}")),
    }
}

fn split_host_port(s: &str) -> Result<(&str, Option<u16>), String> {
    if let Some(inner) = s.strip_prefix('[') {
        let (h, after) = inner.split_once(']').ok_or("unclosed '['")?;
        return Ok((h, parse_port_suffix(after)?));
    }
    match s.matches(':').count() {
        0 => Ok((s, None)),
        1 => {
            let (h, p) = s.split_once(':').unwrap_or((s, ""));
            let port = p.parse::<u16>().map_err(|_| format!("bad port {p:?}"))?;
            if port == 0 {
                return Err("port 0".into());
            }
            Ok((h, Some(port)))
        }
        _ => Ok((s, None)), // bare IPv6
    }
}

fn parse_host(h: &str) -> Result<Host, String> {
    if let Ok(ip) = h.parse::<IpAddr>() {
        return Ok(Host::Ip(ip));
    }
    let valid = !h.is_empty()
        && h.len() <= 253
        && h.split('.').all(|l| {
            !l.is_empty()
                && l.len() <= 63
                && l.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        });
    if valid {
        Ok(Host::Name(h.to_ascii_lowercase()))
    } else {
        Err(format!("not a host name, address or range: {h:?}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn one(s: &str) -> Target {
        match parse_line(s).unwrap().unwrap() {
            Line::One(t) => t,
            Line::Range(..) => panic!("range"),
        }
    }

    #[test]
    fn forms() {
        assert_eq!(one("Mail.Example.org").key(), "mail.example.org");
        assert_eq!(one("mail.example.org:8443").key(), "mail.example.org:8443");
        assert_eq!(one("192.0.2.7").key(), "192.0.2.7");
        assert_eq!(one("::1").key(), "::1");
        assert_eq!(one("[::1]:8443").key(), "[::1]:8443");
        assert_eq!(
            one("https://mail.example.org/owa").key(),
            "https://mail.example.org"
        );
        assert_eq!(
            one("HTTP://127.0.0.1:8080/x?y").key(),
            "http://127.0.0.1:8080"
        );
        assert_eq!(one("  host # comment").key(), "host");
        assert!(parse_line("# only a comment").unwrap().is_none());
        assert!(parse_line("").unwrap().is_none());
    }

    #[test]
    fn ranges_expand_lazily() {
        let l = parse_line("192.0.2.0/30:8443").unwrap().unwrap();
        assert_eq!(l.count(), 2);
        let keys: Vec<String> = l.expand().map(|t| t.key()).collect();
        assert_eq!(keys, vec!["192.0.2.1:8443", "192.0.2.2:8443"]);
        let v6 = parse_line("[2001:db8::/126]:443").unwrap().unwrap();
        assert_eq!(v6.count(), 4);
        let big = parse_line("10.0.0.0/8").unwrap().unwrap();
        assert_eq!(big.count(), (1 << 24) - 2);
        assert!(parse_line("0.0.0.0/0").is_err());
        assert!(parse_line("2001:db8::/32").is_err());
    }

    #[test]
    fn rejects_garbage() {
        for bad in [
            "host:99999",
            "host:0",
            "ho st",
            "a..b",
            "[::1",
            "1.2.3.4/33",
            "x:y",
            "https://",
            "é.example",
        ] {
            assert!(parse_line(bad).is_err(), "{bad}");
        }
    }
}
