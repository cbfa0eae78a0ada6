//! A minimal RFC 4180 CSV reader for the embedded table (quoted fields, doubled quotes).

/// Split CSV text into rows of fields. Never panics; a malformed quote simply runs to the end.
pub(crate) fn parse_csv(text: &str) -> Vec<Vec<String>> {
    let mut rows = Vec::new();
    let mut row = Vec::new();
    let mut field = String::new();
    let mut in_quotes = false;
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match (c, in_quotes) {
            ('"', true) if chars.peek() == Some(&'"') => {
                field.push('"');
                chars.next();
            }
            ('"', true) => in_quotes = false,
            ('"', false) if field.is_empty() => in_quotes = true,
            (',', false) => row.push(std::mem::take(&mut field)),
            ('\r', false) => {}
            ('\n', false) => {
                row.push(std::mem::take(&mut field));
                rows.push(std::mem::take(&mut row));
            }
            (c, _) => field.push(c),
        }
    }
    if !field.is_empty() || !row.is_empty() {
        row.push(field);
        rows.push(row);
    }
    rows
}

#[cfg(test)]
mod tests {
    use super::parse_csv;

    #[test]
    fn quoted_fields() {
        let rows = parse_csv("a,\"b, c\",\"say \"\"hi\"\"\"\r\nx,,z\n");
        assert_eq!(
            rows,
            vec![vec!["a", "b, c", "say \"hi\""], vec!["x", "", "z"]]
        );
    }

    #[test]
    fn unterminated_quote_does_not_panic() {
        let rows = parse_csv("a,\"b");
        assert_eq!(rows.len(), 1);
    }
}
