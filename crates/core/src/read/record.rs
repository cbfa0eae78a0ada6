//! One parsed log line: values looked up by column name, for every log format.
//!
//! Columns come from the file's own header (`#Fields:` directive or a bare CSV header line),
//! because they differ between IIS configurations and Exchange builds. A [`Schema`] maps
//! lower-cased names to positions and knows where the well-known roles (time, client address,
//! request id, URL, status) sit in this file.

use std::borrow::Cow;
use std::collections::HashMap;

use chrono::{DateTime, NaiveDate, NaiveDateTime, NaiveTime, Utc};

use crate::rules::condition::FieldLookup;

/// The column layout of a log file (it can change inside a file).
#[derive(Debug, Clone, Default)]
pub struct Schema {
    names: Vec<String>,
    index: HashMap<String, usize>,
    w3c: bool,
}

impl Schema {
    /// A schema from column names; `w3c` for space-separated IIS logs, else CSV.
    pub fn new(names: Vec<String>, w3c: bool) -> Schema {
        let index = names
            .iter()
            .enumerate()
            .map(|(i, n)| (n.trim().to_ascii_lowercase(), i))
            .collect();
        Schema { names, index, w3c }
    }

    /// The schema a `#Fields:` directive line declares (`None` for any other line): names
    /// split on spaces in W3C logs (`w3c`), as CSV otherwise.
    pub fn from_directive(line: &[u8], w3c: bool) -> Option<Schema> {
        let text = String::from_utf8_lossy(line);
        let rest = text
            .get(..8)
            .filter(|p| p.eq_ignore_ascii_case("#fields:"))
            .map(|_| text[8..].trim())?;
        let names: Vec<String> = if w3c {
            rest.split_whitespace().map(str::to_string).collect()
        } else {
            parse_csv(rest)
                .into_iter()
                .map(|s| s.trim().to_string())
                .collect()
        };
        Some(Schema::new(names, w3c))
    }

    /// Column count.
    pub fn len(&self) -> usize {
        self.names.len()
    }

    /// True when no columns are known yet.
    pub fn is_empty(&self) -> bool {
        self.names.is_empty()
    }

    /// Column names as the file spells them.
    pub fn names(&self) -> &[String] {
        &self.names
    }

    /// Position of a lower-cased column name.
    pub fn position(&self, lower: &str) -> Option<usize> {
        self.index.get(lower).copied()
    }

    /// True for W3C (space-separated) layouts.
    pub fn is_w3c(&self) -> bool {
        self.w3c
    }

    fn first_of(&self, names: &[&str]) -> Option<usize> {
        names.iter().find_map(|n| self.position(n))
    }
}

/// A parsed line.
#[derive(Debug)]
pub struct LineRecord<'a> {
    schema: &'a Schema,
    values: Vec<Cow<'a, str>>,
    raw: &'a str,
    uri: Option<String>,
}

/// How a line failed to fit its schema (it is still evaluated with the columns it has).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Malformed {
    /// Columns found.
    pub found: usize,
    /// Columns the header declares.
    pub expected: usize,
}

impl<'a> LineRecord<'a> {
    /// Parse `raw` (one line without its newline) with `schema`.
    pub fn parse(schema: &'a Schema, raw: &'a str) -> (LineRecord<'a>, Option<Malformed>) {
        let values = if schema.w3c {
            parse_w3c(schema, raw)
        } else if !raw.contains('"') {
            // Most CSV lines quote nothing: borrow the fields instead of copying them.
            raw.split(',').map(Cow::Borrowed).collect()
        } else {
            parse_csv(raw).into_iter().map(Cow::Owned).collect()
        };
        let malformed = (values.len() != schema.len()).then(|| Malformed {
            found: values.len(),
            expected: schema.len(),
        });
        let mut rec = LineRecord {
            schema,
            values,
            raw,
            uri: None,
        };
        rec.uri = rec.compose_uri();
        (rec, malformed)
    }

    fn value_at(&self, i: Option<usize>) -> Option<&str> {
        i.and_then(|i| self.values.get(i)).map(|s| s.as_ref())
    }

    fn compose_uri(&self) -> Option<String> {
        let stem = self.value_at(self.schema.first_of(&["cs-uri-stem", "urlstem"]))?;
        match self.value_at(self.schema.first_of(&["cs-uri-query", "urlquery"])) {
            Some(q) if !q.is_empty() => Some(format!("{stem}?{}", q.trim_start_matches('?'))),
            _ => Some(stem.to_string()),
        }
    }

    /// The raw line.
    pub fn raw(&self) -> &str {
        self.raw
    }

    /// The record time in UTC, from `date`+`time` (W3C) or `DateTime`/`TimeStamp` (CSV).
    pub fn timestamp(&self) -> Option<DateTime<Utc>> {
        if self.schema.w3c {
            let d = self.value_at(self.schema.position("date"))?;
            let t = self.value_at(self.schema.position("time"))?;
            return parse_w3c_time(d, t);
        }
        let v = self
            .value_at(
                self.schema
                    .first_of(&["datetime", "timestamp", "date-time"]),
            )
            .or_else(|| self.values.first().map(|s| s.as_ref()))?;
        parse_iso_time(v)
    }

    /// The client address. On the Exchange back-end IIS site (port 444) the client is the
    /// front-end proxy, not the real client, so none is given there.
    pub fn client_ip(&self) -> Option<&str> {
        if self.schema.w3c && self.value_at(self.schema.position("s-port")) == Some("444") {
            return None;
        }
        self.value_at(
            self.schema
                .first_of(&["c-ip", "clientipaddress", "clientip"]),
        )
        .filter(|s| !s.is_empty())
    }

    /// The request id: `RequestId` column, or the `cafeReqId=` Exchange adds to IIS queries.
    pub fn request_id(&self) -> Option<String> {
        if let Some(v) = self
            .value_at(self.schema.first_of(&["requestid"]))
            .filter(|s| !s.is_empty())
        {
            return Some(v.to_ascii_lowercase());
        }
        let q = self.value_at(self.schema.position("cs-uri-query"))?;
        let start = q.find("cafeReqId=")? + "cafeReqId=".len();
        let id: String = q[start..]
            .chars()
            .take_while(|c| c.is_ascii_hexdigit() || *c == '-')
            .collect();
        (id.len() >= 8).then(|| id.to_ascii_lowercase())
    }

    /// The URL path requested.
    pub fn url_path(&self) -> Option<&str> {
        self.value_at(self.schema.first_of(&["cs-uri-stem", "urlstem"]))
            .filter(|s| !s.is_empty())
    }
}

/// Source-neutral field names, so that one rule can cover IIS and HttpProxy logs:
/// `_url` (path `?` query), `_stem`, `_method`, `_status`, `_user`, `_ua`, `_client`, and
/// `_raw` (the whole line). `cs-uri` is the IIS spelling of `_url`.
const ROLES: &[(&str, &[&str])] = &[
    ("_stem", &["cs-uri-stem", "urlstem"]),
    ("_method", &["cs-method", "method"]),
    ("_status", &["sc-status", "httpstatus"]),
    ("_user", &["cs-username", "authenticateduser"]),
    ("_ua", &["cs(user-agent)", "useragent"]),
    ("_client", &["c-ip", "clientipaddress"]),
];

/// The columns a source-neutral role name (`_stem`, `_method`, `_status`, `_user`, `_ua`,
/// `_client`) stands for, in order of preference; `None` for other names.
pub fn role_columns(role: &str) -> Option<&'static [&'static str]> {
    ROLES
        .iter()
        .find(|(r, _)| *r == role)
        .map(|(_, cols)| *cols)
}

impl FieldLookup for LineRecord<'_> {
    fn lookup(&self, name: &str) -> Option<&str> {
        match name {
            "_raw" => Some(self.raw),
            "_url" => self.uri.as_deref(),
            "cs-uri" if self.schema.w3c => self.uri.as_deref(),
            _ if name.starts_with('_') => ROLES
                .iter()
                .find(|(role, _)| *role == name)
                .and_then(|(_, cols)| self.value_at(self.schema.first_of(cols))),
            _ => self.value_at(self.schema.position(name)),
        }
    }
}

/// Split a W3C line; `-` means empty; `+` is a space in `cs(…)` header fields.
fn parse_w3c<'a>(schema: &Schema, raw: &'a str) -> Vec<Cow<'a, str>> {
    raw.split(' ')
        .enumerate()
        .map(|(i, v)| {
            if v == "-" {
                Cow::Borrowed("")
            } else if v.contains('+')
                && schema.names.get(i).is_some_and(|n| {
                    n.starts_with("cs(") || n.starts_with("sc(") || n.starts_with("s(")
                })
            {
                Cow::Owned(v.replace('+', " "))
            } else {
                Cow::Borrowed(v)
            }
        })
        .collect()
}

/// Split one CSV line (RFC 4180 quoting, `""` inside quotes).
///
/// Malformed quoting keeps what the line shows: text after a closing quote continues the field
/// with the quote kept (`"a"b` is `a"b`), a quote inside an unquoted field is a character, and
/// an unterminated quoted field runs to the end of the line. So every value is the raw text
/// minus the outer quotes of a well-formed quoted field and the doubling of quotes inside it,
/// which is what the engine's raw-text search relies on (a splitter that dropped such a quote
/// would make a value that no raw search can find).
pub fn parse_csv(raw: &str) -> Vec<String> {
    let bytes = raw.as_bytes();
    let mut fields = Vec::new();
    let mut pos = 0;
    loop {
        let mut value = String::new();
        let mut unquoted_from = pos;
        if bytes.get(pos) == Some(&b'"') {
            pos += 1;
            loop {
                match memchr::memchr(b'"', &bytes[pos..]) {
                    None => {
                        // Unterminated: the rest of the line.
                        value.push_str(&raw[pos..]);
                        fields.push(value);
                        return fields;
                    }
                    Some(i) => {
                        value.push_str(&raw[pos..pos + i]);
                        pos += i + 1;
                        match bytes.get(pos) {
                            Some(b'"') => {
                                value.push('"');
                                pos += 1;
                            }
                            None | Some(b',') => break,
                            Some(_) => {
                                // Text after the closing quote: the quote stays.
                                value.push('"');
                                break;
                            }
                        }
                    }
                }
            }
            unquoted_from = pos;
        }
        let end = memchr::memchr(b',', &bytes[unquoted_from..])
            .map_or(bytes.len(), |i| unquoted_from + i);
        value.push_str(&raw[unquoted_from..end]);
        fields.push(value);
        if end >= bytes.len() {
            return fields;
        }
        pos = end + 1;
    }
}

/// Parse W3C `date` + `time` (UTC).
pub fn parse_w3c_time(date: &str, time: &str) -> Option<DateTime<Utc>> {
    let d = NaiveDate::parse_from_str(date, "%Y-%m-%d").ok()?;
    let t = NaiveTime::parse_from_str(time, "%H:%M:%S%.f").ok()?;
    Some(NaiveDateTime::new(d, t).and_utc())
}

/// Parse an ISO 8601 time as Exchange writes it (`2021-03-03T02:41:27.513Z`, or without zone).
pub fn parse_iso_time(v: &str) -> Option<DateTime<Utc>> {
    let v = v.trim();
    if let Ok(t) = DateTime::parse_from_rfc3339(v) {
        return Some(t.to_utc());
    }
    NaiveDateTime::parse_from_str(v.trim_end_matches('Z'), "%Y-%m-%dT%H:%M:%S%.f")
        .or_else(|_| NaiveDateTime::parse_from_str(v, "%Y-%m-%d %H:%M:%S%.f"))
        .ok()
        .map(|t| t.and_utc())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn iis_schema() -> Schema {
        Schema::new(
            "date time s-ip cs-method cs-uri-stem cs-uri-query s-port cs-username c-ip cs(User-Agent) cs(Referer) sc-status sc-substatus sc-win32-status time-taken"
                .split(' ')
                .map(String::from)
                .collect(),
            true,
        )
    }

    #[test]
    fn w3c_line_fields_by_name() {
        let s = iis_schema();
        let raw = "2021-03-03 02:41:27 10.0.0.5 POST /ecp/y.js &CorrelationID=<empty>;&cafeReqId=8a1b2c3d-0000-4000-8000-000000000001; 443 - 203.0.113.77 python-requests/2.25.1+(x) - 200 0 0 31";
        let (r, bad) = LineRecord::parse(&s, raw);
        assert!(bad.is_none());
        assert_eq!(r.lookup("cs-method"), Some("POST"));
        assert_eq!(
            r.lookup("cs(user-agent)"),
            Some("python-requests/2.25.1 (x)")
        );
        assert_eq!(r.lookup("cs-username"), Some(""));
        assert_eq!(
            r.lookup("cs-uri").unwrap(),
            "/ecp/y.js?&CorrelationID=<empty>;&cafeReqId=8a1b2c3d-0000-4000-8000-000000000001;"
        );
        assert_eq!(r.client_ip(), Some("203.0.113.77"));
        assert_eq!(
            r.request_id().as_deref(),
            Some("8a1b2c3d-0000-4000-8000-000000000001")
        );
        assert_eq!(
            r.timestamp().unwrap().to_rfc3339(),
            "2021-03-03T02:41:27+00:00"
        );
        let (_, bad) = LineRecord::parse(&s, "2021-03-03 02:41:27 10.0.0.5 GET");
        assert_eq!(
            bad,
            Some(Malformed {
                found: 4,
                expected: 15
            })
        );
    }

    #[test]
    fn csv_quotes_commas_and_doubled_quotes() {
        let s = Schema::new(
            vec![
                "TimeStamp".into(),
                "ServerName".into(),
                "EventId".into(),
                "EventData".into(),
            ],
            false,
        );
        let raw = r#"2021-03-03T02:43:10.001Z,EX01,ECP.Request,"S:CMD=Set-OabVirtualDirectory.ExternalUrl='http://f/<script language=""JScript"" runat=""server"">x</script>',a""#;
        assert_eq!(
            parse_csv(r#"a,"b, c",,"say ""hi""""#),
            ["a", "b, c", "", r#"say "hi""#]
        );
        assert_eq!(
            parse_csv(r#""tool, with"quote,x"#),
            [r#"tool, with"quote"#, "x"]
        );
        assert_eq!(parse_csv(r#"ab"c,"open"#), [r#"ab"c"#, "open"]);
        assert_eq!(parse_csv(""), [""]);
        assert_eq!(parse_csv("a,"), ["a", ""]);
        let (r, bad) = LineRecord::parse(&s, raw);
        assert!(bad.is_none(), "{bad:?}");
        assert!(r
            .lookup("eventdata")
            .unwrap()
            .contains(r#"language="JScript""#));
        assert!(r.lookup("eventdata").unwrap().ends_with("',a"));
        assert_eq!(
            r.timestamp().unwrap().to_rfc3339(),
            "2021-03-03T02:43:10.001+00:00"
        );
    }

    #[test]
    fn times_parse_in_exchange_shapes() {
        assert!(parse_iso_time("2021-03-03T02:41:27.513Z").is_some());
        assert!(parse_iso_time("2021-03-03T02:41:27").is_some());
        assert!(parse_iso_time("garbage").is_none());
        assert!(parse_w3c_time("2021-13-03", "00:00:00").is_none());
    }
}
