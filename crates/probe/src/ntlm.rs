//! Decoding an NTLM Type 2 (challenge) message from `WWW-Authenticate: NTLM <base64>`.

use base64::Engine;
use serde::Serialize;

/// What an anonymous NTLM negotiation reveals.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct NtlmInfo {
    /// Target name (usually the NetBIOS domain).
    pub target_name: Option<String>,
    /// NetBIOS computer name.
    pub netbios_computer: Option<String>,
    /// NetBIOS domain name.
    pub netbios_domain: Option<String>,
    /// DNS computer name.
    pub dns_computer: Option<String>,
    /// DNS domain name.
    pub dns_domain: Option<String>,
    /// DNS forest name.
    pub dns_tree: Option<String>,
    /// Windows version (`major.minor.build`), when the server sends it.
    pub os_version: Option<String>,
}

/// Find an NTLM challenge in a `WWW-Authenticate` header value and decode it.
pub fn from_header(value: &str) -> Option<NtlmInfo> {
    let b64 = value
        .split(',')
        .map(str::trim)
        .find_map(|v| v.strip_prefix("NTLM "))?;
    let raw = base64::engine::general_purpose::STANDARD
        .decode(b64.trim())
        .ok()?;
    decode_type2(&raw)
}

/// Decode a Type 2 message. `None` if it is not one; never panics on short or hostile input.
pub fn decode_type2(m: &[u8]) -> Option<NtlmInfo> {
    if m.len() < 32 || &m[..8] != b"NTLMSSP\0" || u32_at(m, 8)? != 2 {
        return None;
    }
    let mut info = NtlmInfo {
        target_name: secbuf(m, 12).map(utf16),
        ..Default::default()
    };
    let flags = u32_at(m, 20)?;
    if m.len() >= 48 {
        if let Some(mut av) = secbuf(m, 40) {
            while av.len() >= 4 {
                let id = u16::from_le_bytes([av[0], av[1]]);
                let len = usize::from(u16::from_le_bytes([av[2], av[3]]));
                let Some(val) = av.get(4..4 + len) else { break };
                let s = Some(utf16(val));
                match id {
                    0 => break,
                    1 => info.netbios_computer = s,
                    2 => info.netbios_domain = s,
                    3 => info.dns_computer = s,
                    4 => info.dns_domain = s,
                    5 => info.dns_tree = s,
                    _ => {}
                }
                av = &av[4 + len..];
            }
        }
    }
    if flags & 0x0200_0000 != 0 && m.len() >= 56 {
        let build = u16::from_le_bytes([m[50], m[51]]);
        info.os_version = Some(format!("{}.{}.{}", m[48], m[49], build));
    }
    Some(info)
}

fn u32_at(m: &[u8], o: usize) -> Option<u32> {
    let b = m.get(o..o + 4)?;
    Some(u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
}

fn secbuf(m: &[u8], o: usize) -> Option<&[u8]> {
    let len = usize::from(u16::from_le_bytes([*m.get(o)?, *m.get(o + 1)?]));
    let off = usize::try_from(u32_at(m, o + 4)?).ok()?;
    m.get(off..off.checked_add(len)?)
}

fn utf16(b: &[u8]) -> String {
    let u: Vec<u16> = b
        .chunks_exact(2)
        .map(|c| u16::from_le_bytes([c[0], c[1]]))
        .collect();
    String::from_utf16_lossy(&u)
}

/// Build a Type 2 message (for tests and the mock server).
pub fn encode_type2(netbios_domain: &str, dns_computer: &str, os: (u8, u8, u16)) -> Vec<u8> {
    let enc = |s: &str| {
        s.encode_utf16()
            .flat_map(u16::to_le_bytes)
            .collect::<Vec<u8>>()
    };
    let target = enc(netbios_domain);
    let mut av = Vec::new();
    for (id, v) in [(2u16, enc(netbios_domain)), (3u16, enc(dns_computer))] {
        av.extend_from_slice(&id.to_le_bytes());
        av.extend_from_slice(&(v.len() as u16).to_le_bytes());
        av.extend_from_slice(&v);
    }
    av.extend_from_slice(&[0, 0, 0, 0]);
    let mut m = b"NTLMSSP\0".to_vec();
    m.extend_from_slice(&2u32.to_le_bytes());
    let t_off = 56u32;
    m.extend_from_slice(&(target.len() as u16).to_le_bytes());
    m.extend_from_slice(&(target.len() as u16).to_le_bytes());
    m.extend_from_slice(&t_off.to_le_bytes());
    m.extend_from_slice(&0x0281_0205u32.to_le_bytes());
    m.extend_from_slice(&[0x11; 8]);
    m.extend_from_slice(&[0; 8]);
    let av_off = t_off + target.len() as u32;
    m.extend_from_slice(&(av.len() as u16).to_le_bytes());
    m.extend_from_slice(&(av.len() as u16).to_le_bytes());
    m.extend_from_slice(&av_off.to_le_bytes());
    m.extend_from_slice(&[os.0, os.1]);
    m.extend_from_slice(&os.2.to_le_bytes());
    m.extend_from_slice(&[0, 0, 0, 15]);
    m.extend_from_slice(&target);
    m.extend_from_slice(&av);
    m
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip() {
        let m = encode_type2("CONTOSO", "EX01.contoso.local", (10, 0, 17763));
        let i = decode_type2(&m).unwrap();
        assert_eq!(i.netbios_domain.as_deref(), Some("CONTOSO"));
        assert_eq!(i.dns_computer.as_deref(), Some("EX01.contoso.local"));
        assert_eq!(i.os_version.as_deref(), Some("10.0.17763"));
        let hdr = format!(
            "Negotiate, NTLM {}",
            base64::engine::general_purpose::STANDARD.encode(&m)
        );
        assert_eq!(from_header(&hdr), Some(i));
    }

    #[test]
    fn hostile_input() {
        let m = encode_type2("A", "B", (1, 2, 3));
        for cut in 0..m.len() {
            let _ = decode_type2(&m[..cut]);
        }
        let mut bad = m.clone();
        bad[40] = 0xFF;
        bad[41] = 0xFF;
        let _ = decode_type2(&bad);
        assert_eq!(from_header("NTLM !!!"), None);
        assert_eq!(from_header("Basic realm=x"), None);
    }
}
