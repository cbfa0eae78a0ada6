//! SHA-256 hash IOC lists: `<sha256> [description]` per line, `#` comments.

use std::collections::HashMap;

use exhunt_core::rules::{DiagnosticLevel, RuleDiagnostic};

/// Known-bad hashes with their description and the list they came from.
#[derive(Debug, Default)]
pub(crate) struct HashIocs {
    by_hash: HashMap<[u8; 32], (String, String)>,
}

impl HashIocs {
    /// Add the entries of one list; malformed lines become warnings.
    pub(crate) fn add_list(&mut self, origin: &str, text: &str, diags: &mut Vec<RuleDiagnostic>) {
        for (i, line) in text.lines().enumerate() {
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let (hash, desc) =
                match line.split_once(|c: char| c.is_whitespace() || c == ';' || c == ',') {
                    Some((h, d)) => (h, d.trim()),
                    None => (line, ""),
                };
            match parse_hex32(hash) {
                Some(h) => {
                    let desc = if desc.is_empty() { "listed hash" } else { desc };
                    self.by_hash
                        .insert(h, (desc.to_string(), origin.to_string()));
                }
                None => diags.push(RuleDiagnostic {
                    level: DiagnosticLevel::Warning,
                    origin: origin.to_string(),
                    rule_id: None,
                    message: format!(
                        "line {}: not a SHA-256 hash (64 hex digits), line skipped",
                        i + 1
                    ),
                }),
            }
        }
    }

    /// The description and origin list of a hash, if listed.
    pub(crate) fn get(&self, hash: &[u8; 32]) -> Option<&(String, String)> {
        self.by_hash.get(hash)
    }

    /// Number of hashes.
    pub(crate) fn len(&self) -> usize {
        self.by_hash.len()
    }
}

fn parse_hex32(s: &str) -> Option<[u8; 32]> {
    let b = s.as_bytes();
    if b.len() != 64 {
        return None;
    }
    let mut out = [0u8; 32];
    for (i, pair) in b.chunks(2).enumerate() {
        let hi = (pair[0] as char).to_digit(16)?;
        let lo = (pair[1] as char).to_digit(16)?;
        out[i] = (hi * 16 + lo) as u8;
    }
    Some(out)
}

/// Lower-case hex of a digest.
pub(crate) fn hex(bytes: &[u8]) -> String {
    const H: &[u8; 16] = b"0123456789abcdef";
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        s.push(H[(b >> 4) as usize] as char);
        s.push(H[(b & 15) as usize] as char);
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lists_parse_with_warnings() {
        let mut iocs = HashIocs::default();
        let mut d = Vec::new();
        let h = "AB".repeat(32);
        iocs.add_list("t.txt", &format!("# c\n{h} evil page\nnothex\n\n"), &mut d);
        assert_eq!(iocs.len(), 1);
        assert_eq!(d.len(), 1);
        assert!(d[0].message.contains("line 3"));
        let (desc, origin) = iocs.get(&[0xab; 32]).unwrap();
        assert_eq!((desc.as_str(), origin.as_str()), ("evil page", "t.txt"));
        assert_eq!(hex(&[0x0f, 0xa0]), "0fa0");
    }
}
