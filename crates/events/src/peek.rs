//! Reading `Channel` and `EventID` straight from a record's JSON bytes, so that records no
//! rule applies to are never parsed. Anything unusual returns `None` and the caller parses.

/// The channel and event id of an event in the `evtx` JSON shape, if they can be read
/// cheaply (the first `"Channel"` and `"EventID"` keys, which belong to `System`).
pub fn channel_and_id(json: &[u8]) -> Option<(String, u32)> {
    let channel = string_after(json, b"\"Channel\"")?;
    let id = id_after(json, b"\"EventID\"")?;
    Some((channel, id))
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    memchr::memmem::find(hay, needle)
}

fn value_start(json: &[u8], key: &[u8]) -> Option<usize> {
    let mut i = find(json, key)? + key.len();
    while i < json.len() && matches!(json[i], b' ' | b'\t' | b'\n' | b'\r' | b':') {
        i += 1;
    }
    (i < json.len()).then_some(i)
}

fn string_after(json: &[u8], key: &[u8]) -> Option<String> {
    let i = value_start(json, key)?;
    if json[i] != b'"' {
        return None;
    }
    let rest = &json[i + 1..];
    let end = rest.iter().position(|&b| b == b'"' || b == b'\\')?;
    if rest[end] == b'\\' {
        return None;
    }
    std::str::from_utf8(&rest[..end])
        .ok()
        .map(str::to_lowercase)
}

fn id_after(json: &[u8], key: &[u8]) -> Option<u32> {
    let i = value_start(json, key)?;
    let rest = &json[i..];
    let digits = if rest[0] == b'{' {
        // {"#attributes": {...}, "#text": 4625}
        let obj_end = rest.iter().position(|&b| b == b'}')?;
        let obj_end = rest[obj_end + 1..]
            .iter()
            .position(|&b| b == b'}')
            .map_or(obj_end, |e| obj_end + 1 + e);
        let t = value_start(&rest[..obj_end], b"\"#text\"")?;
        &rest[t..obj_end]
    } else {
        rest
    };
    let digits = digits.strip_prefix(b"\"").unwrap_or(digits);
    let n = digits.iter().take_while(|b| b.is_ascii_digit()).count();
    std::str::from_utf8(&digits[..n]).ok()?.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_plain_and_qualified_ids() {
        let a = br#"{"Event":{"System":{"EventID": 4688, "Channel": "Security"}}}"#;
        assert_eq!(channel_and_id(a), Some(("security".into(), 4688)));
        let b = br##"{"Event":{"System":{"EventID":{"#attributes":{"Qualifiers":16384},"#text":1},"Channel":"MSExchange Management"}}}"##;
        assert_eq!(channel_and_id(b), Some(("msexchange management".into(), 1)));
        let c = br#"{"Event":{"System":{"Channel":"a\"b","EventID":1}}}"#;
        assert_eq!(channel_and_id(c), None);
    }
}
