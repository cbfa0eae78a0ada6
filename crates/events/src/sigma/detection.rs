//! Compiling a Sigma `detection:` block: search identifiers (maps, lists of maps, keyword
//! lists) with field modifiers, and the `condition` expression over them.

use std::collections::BTreeMap;

use base64::Engine as _;
use serde_yaml_ng::Value;

use super::expr::{Expr, FieldTest, Matcher, NumOp, SigmaRegex};
use super::glob::{Atom, Glob};

/// Why a detection cannot be compiled (the rule is listed as unsupported with this reason).
pub type Unsupported = String;

/// Compile the `detection:` block into one expression.
pub fn compile_detection(detection: &Value) -> Result<Expr, Unsupported> {
    let map = detection
        .as_mapping()
        .ok_or("`detection` is not a mapping")?;
    let mut searches: BTreeMap<String, Expr> = BTreeMap::new();
    let mut condition: Option<&Value> = None;
    for (k, v) in map {
        let name = k.as_str().ok_or("a detection key is not a string")?;
        match name {
            "condition" => condition = Some(v),
            "timeframe" => {
                return Err("`timeframe` (aggregation over time) is not supported".into())
            }
            "fields" => {}
            _ => {
                let e = compile_search(v).map_err(|e| format!("search `{name}`: {e}"))?;
                searches.insert(name.to_string(), e);
            }
        }
    }
    let condition = condition.ok_or("detection has no `condition`")?;
    let conds: Vec<String> = match condition {
        Value::String(s) => vec![s.clone()],
        Value::Sequence(l) => l
            .iter()
            .map(|c| {
                c.as_str()
                    .map(str::to_string)
                    .ok_or("a condition is not a string")
            })
            .collect::<Result<_, _>>()?,
        _ => return Err("`condition` is neither a string nor a list".into()),
    };
    let mut parts = Vec::new();
    for c in &conds {
        parts.push(parse_condition(c, &searches)?);
    }
    Ok(if parts.len() == 1 {
        parts.pop().expect("one")
    } else {
        Expr::Or(parts)
    })
}

fn compile_search(v: &Value) -> Result<Expr, Unsupported> {
    match v {
        Value::Mapping(m) => compile_map(m),
        Value::Sequence(items) => {
            if items.iter().all(|i| i.is_mapping()) {
                let l = items
                    .iter()
                    .map(|i| compile_map(i.as_mapping().expect("mapping")))
                    .collect::<Result<Vec<_>, _>>()?;
                Ok(Expr::Or(l))
            } else if items.iter().all(|i| !i.is_mapping() && !i.is_sequence()) {
                keyword_test(items, &[])
            } else {
                Err("a search list mixes maps and values".into())
            }
        }
        Value::String(_) | Value::Number(_) => keyword_test(std::slice::from_ref(v), &[]),
        _ => Err("a search is neither a map, a list nor a value".into()),
    }
}

fn keyword_test(values: &[Value], modifiers: &[&str]) -> Result<Expr, Unsupported> {
    // Keywords are searched anywhere in the event's data: substring semantics.
    let mut mods: Vec<&str> = modifiers.to_vec();
    if !mods
        .iter()
        .any(|m| matches!(*m, "contains" | "startswith" | "endswith" | "re"))
    {
        mods.push("contains");
    }
    Ok(Expr::Field(field_test("_text", values, &mods)?))
}

fn compile_map(m: &serde_yaml_ng::Mapping) -> Result<Expr, Unsupported> {
    let mut tests = Vec::new();
    for (k, v) in m {
        let key = k.as_str().ok_or("a field name is not a string")?;
        let mut parts = key.split('|');
        let field = parts.next().unwrap_or("");
        let mods: Vec<&str> = parts.collect();
        let values: Vec<Value> = match v {
            Value::Sequence(l) => l.clone(),
            v => vec![v.clone()],
        };
        if field.is_empty() {
            tests.push(keyword_test(&values, &mods)?);
            continue;
        }
        tests.push(Expr::Field(field_test(field, &values, &mods)?));
    }
    Ok(if tests.len() == 1 {
        tests.pop().expect("one")
    } else {
        Expr::And(tests)
    })
}

/// Build the test of one field from its values and modifiers.
fn field_test(field: &str, values: &[Value], mods: &[&str]) -> Result<FieldTest, Unsupported> {
    let mut all = false;
    let mut cased = false;
    let mut kind = "eq";
    let mut re_flags = String::new();
    let mut wide = false;
    let mut b64: Option<&str> = None;
    let mut windash = false;
    for m in mods {
        match *m {
            "all" => all = true,
            "cased" => cased = true,
            "contains" | "startswith" | "endswith" | "re" | "exists" | "cidr" | "gt" | "gte"
            | "lt" | "lte" | "fieldref" => kind = m,
            "i" | "m" | "s" if kind == "re" => re_flags.push_str(m),
            "wide" | "utf16le" => wide = true,
            "base64" | "base64offset" => b64 = Some(m),
            "windash" => windash = true,
            other => return Err(format!("modifier `{other}` is not supported")),
        }
    }
    if values.is_empty() {
        return Err(format!("field `{field}` has an empty value list"));
    }
    let mut matchers = Vec::new();
    for v in values {
        let text = match v {
            Value::Null => {
                matchers.push(Matcher::Null);
                continue;
            }
            Value::String(s) => s.clone(),
            Value::Number(n) => n.to_string(),
            Value::Bool(b) => b.to_string(),
            _ => return Err(format!("field `{field}` has a value that is not a scalar")),
        };
        match kind {
            "exists" => {
                matchers.push(Matcher::Exists(text.eq_ignore_ascii_case("true")));
                continue;
            }
            "cidr" => {
                let net = text
                    .parse::<ipnet::IpNet>()
                    .map_err(|e| format!("bad CIDR `{text}`: {e}"))?;
                matchers.push(Matcher::Cidr(net));
                continue;
            }
            "gt" | "gte" | "lt" | "lte" => {
                let n: f64 = text
                    .parse()
                    .map_err(|_| format!("`{text}` is not a number"))?;
                let op = match kind {
                    "gt" => NumOp::Gt,
                    "gte" => NumOp::Gte,
                    "lt" => NumOp::Lt,
                    _ => NumOp::Lte,
                };
                matchers.push(Matcher::Num(op, n));
                continue;
            }
            "fieldref" => {
                matchers.push(Matcher::FieldRef(text.to_ascii_lowercase()));
                continue;
            }
            "re" => {
                let flags = if re_flags.is_empty() {
                    String::new()
                } else {
                    format!("(?{re_flags})")
                };
                let re = SigmaRegex::lazy(format!("{flags}{text}"))
                    .map_err(|e| format!("regex `{text}` does not compile: {e}"))?;
                matchers.push(Matcher::Regex(re));
                continue;
            }
            _ => {}
        }
        // Encodings turn the value into literals (no wildcards).
        let literals: Vec<String> = if let Some(b) = b64 {
            let bytes: Vec<u8> = if wide {
                text.encode_utf16().flat_map(u16::to_le_bytes).collect()
            } else {
                text.into_bytes()
            };
            let enc = base64::engine::general_purpose::STANDARD;
            if b == "base64" {
                vec![escape_wildcards(&enc.encode(&bytes))]
            } else {
                base64_offsets(&bytes)
                    .into_iter()
                    .map(|s| escape_wildcards(&s))
                    .collect()
            }
        } else if wide {
            return Err("`wide`/`utf16le` without `base64`/`base64offset` is not supported".into());
        } else if windash {
            windash_variants(&text)
        } else {
            vec![text]
        };
        for lit in literals {
            matchers.push(wildcard_matcher(&lit, kind, cased)?);
        }
    }
    Ok(FieldTest {
        // Event field names are looked up without spaces (`Threat Name` is `ThreatName`): the
        // literal index keys on the same form.
        field: crate::event::field_key(field),
        matchers,
        all,
    })
}

fn escape_wildcards(s: &str) -> String {
    s.replace('\\', "\\\\")
        .replace('*', "\\*")
        .replace('?', "\\?")
}

/// The `windash` variants: each `-` or `/` that starts a word, as each of the five dashes.
fn windash_variants(s: &str) -> Vec<String> {
    ['-', '/', '\u{2013}', '\u{2014}', '\u{2015}']
        .iter()
        .map(|d| {
            let mut out = String::with_capacity(s.len());
            let mut prev: Option<char> = None;
            for c in s.chars() {
                let word_start = prev.is_none_or(|p| p.is_whitespace());
                if (c == '-' || c == '/') && word_start {
                    out.push(*d);
                } else {
                    out.push(c);
                }
                prev = Some(c);
            }
            out
        })
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .collect()
}

/// The three base64 renderings of `value` at each byte offset (Sigma `base64offset`).
fn base64_offsets(value: &[u8]) -> Vec<String> {
    let enc = base64::engine::general_purpose::STANDARD;
    let start = [0usize, 2, 3];
    let end_trim = [0usize, 3, 2];
    (0..3)
        .map(|i| {
            let mut buf = vec![b' '; i];
            buf.extend_from_slice(value);
            let e = enc.encode(&buf);
            let trim = end_trim[(value.len() + i) % 3];
            let end = e.len().saturating_sub(trim);
            e.get(start[i]..end).unwrap_or("").to_string()
        })
        .collect()
}

/// One piece of a Sigma value: literal text or a wildcard.
#[derive(Debug, Clone, PartialEq)]
enum Piece {
    Lit(String),
    Star,
    One,
}

/// Split a Sigma value into literal text and `*`/`?` wildcards (`\*`, `\?`, `\\` escape; any
/// other backslash is literal, as in `C:\Windows\`).
fn pieces(value: &str) -> Vec<Piece> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut chars = value.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' => match chars.peek() {
                Some('*') | Some('?') | Some('\\') => cur.push(chars.next().expect("peeked")),
                _ => cur.push('\\'),
            },
            '*' | '?' => {
                if !cur.is_empty() {
                    out.push(Piece::Lit(std::mem::take(&mut cur)));
                }
                out.push(if c == '*' { Piece::Star } else { Piece::One });
            }
            c => cur.push(c),
        }
    }
    if !cur.is_empty() {
        out.push(Piece::Lit(cur));
    }
    out
}

/// Compile a Sigma value with `*`/`?` wildcards and the position modifier (`contains`,
/// `startswith`, `endswith`, or plain equality) into the cheapest matcher.
fn wildcard_matcher(value: &str, kind: &str, cased: bool) -> Result<Matcher, Unsupported> {
    let mut p = pieces(value);
    if matches!(kind, "contains" | "endswith") {
        p.insert(0, Piece::Star);
    }
    if matches!(kind, "contains" | "startswith") {
        p.push(Piece::Star);
    }
    p.dedup_by(|a, b| *a == Piece::Star && *b == Piece::Star);
    let norm = |s: &str| {
        if cased {
            s.to_string()
        } else {
            s.to_lowercase()
        }
    };
    use Piece::{Lit, Star};
    match p.as_slice() {
        [] => return Ok(Matcher::Exact(String::new(), cased)),
        [Lit(a)] => return Ok(Matcher::Exact(norm(a), cased)),
        [Star, Lit(a)] => return Ok(Matcher::EndsWith(norm(a), cased)),
        [Lit(a), Star] => return Ok(Matcher::StartsWith(norm(a), cased)),
        [Star, Lit(a), Star] => return Ok(Matcher::Contains(norm(a), cased)),
        [Star] => return Ok(Matcher::Exists(true)),
        _ => {}
    }
    let mut re = String::from("^");
    for piece in &p {
        match piece {
            Lit(s) => re.push_str(&regex::escape(s)),
            Star => re.push_str(".*"),
            Piece::One => re.push('.'),
        }
    }
    re.push('$');
    let flags = if cased { "(?s)" } else { "(?is)" };
    let regex = SigmaRegex::from_wildcards(format!("{flags}{re}"));
    let anchored_start = p.first() != Some(&Star);
    let anchored_end = p.last() != Some(&Star);
    let segments = p
        .split(|piece| *piece == Star)
        .map(|seg| {
            seg.iter()
                .map(|piece| match piece {
                    Lit(s) => Atom::Lit(s.clone()),
                    _ => Atom::One,
                })
                .collect()
        })
        .collect();
    Ok(Matcher::Glob(Glob::new(
        segments,
        anchored_start,
        anchored_end,
        cased,
        regex,
    )))
}

// ---- condition ----

#[derive(Debug, Clone, PartialEq)]
enum Tok {
    Ident(String),
    And,
    Or,
    Not,
    Open,
    Close,
    OneOf,
    AllOf,
}

fn tokenize(s: &str) -> Result<Vec<Tok>, Unsupported> {
    if s.contains('|') {
        return Err("aggregation in the condition (`| count()` …) is not supported".into());
    }
    let spaced = s.replace('(', " ( ").replace(')', " ) ");
    let words: Vec<&str> = spaced.split_whitespace().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < words.len() {
        let w = words[i];
        let lw = w.to_ascii_lowercase();
        let next_is_of = words
            .get(i + 1)
            .is_some_and(|n| n.eq_ignore_ascii_case("of"));
        match lw.as_str() {
            "and" => out.push(Tok::And),
            "or" => out.push(Tok::Or),
            "not" => out.push(Tok::Not),
            "(" => out.push(Tok::Open),
            ")" => out.push(Tok::Close),
            "1" | "any" if next_is_of => {
                out.push(Tok::OneOf);
                i += 1;
            }
            "all" if next_is_of => {
                out.push(Tok::AllOf);
                i += 1;
            }
            n if next_is_of && n.parse::<u32>().is_ok() => {
                return Err(format!("`{n} of` (more than one) is not supported"));
            }
            _ => out.push(Tok::Ident(w.to_string())),
        }
        i += 1;
    }
    Ok(out)
}

struct Parser<'a> {
    toks: Vec<Tok>,
    pos: usize,
    searches: &'a BTreeMap<String, Expr>,
}

/// Parse a condition string over the named searches.
fn parse_condition(s: &str, searches: &BTreeMap<String, Expr>) -> Result<Expr, Unsupported> {
    let mut p = Parser {
        toks: tokenize(s)?,
        pos: 0,
        searches,
    };
    let e = p.or()?;
    if p.pos != p.toks.len() {
        return Err(format!("condition `{s}`: unexpected `{:?}`", p.toks[p.pos]));
    }
    Ok(e)
}

impl Parser<'_> {
    fn peek(&self) -> Option<&Tok> {
        self.toks.get(self.pos)
    }

    fn or(&mut self) -> Result<Expr, Unsupported> {
        let mut l = vec![self.and()?];
        while self.peek() == Some(&Tok::Or) {
            self.pos += 1;
            l.push(self.and()?);
        }
        Ok(if l.len() == 1 {
            l.pop().expect("one")
        } else {
            Expr::Or(l)
        })
    }

    fn and(&mut self) -> Result<Expr, Unsupported> {
        let mut l = vec![self.unary()?];
        while self.peek() == Some(&Tok::And) {
            self.pos += 1;
            l.push(self.unary()?);
        }
        Ok(if l.len() == 1 {
            l.pop().expect("one")
        } else {
            Expr::And(l)
        })
    }

    fn unary(&mut self) -> Result<Expr, Unsupported> {
        let tok = self
            .toks
            .get(self.pos)
            .cloned()
            .ok_or("condition ends too early")?;
        self.pos += 1;
        match tok {
            Tok::Not => Ok(Expr::Not(Box::new(self.unary()?))),
            Tok::Open => {
                let e = self.or()?;
                if self.peek() != Some(&Tok::Close) {
                    return Err("unbalanced parentheses in condition".into());
                }
                self.pos += 1;
                Ok(e)
            }
            Tok::OneOf | Tok::AllOf => {
                let Some(Tok::Ident(pat)) = self.toks.get(self.pos).cloned() else {
                    return Err("`1 of`/`all of` must be followed by a name or pattern".into());
                };
                self.pos += 1;
                let picked: Vec<Expr> = self
                    .searches
                    .iter()
                    .filter(|(name, _)| pat == "them" || glob_name(&pat, name))
                    .map(|(_, e)| e.clone())
                    .collect();
                if picked.is_empty() {
                    return Err(format!("`{pat}` names no search"));
                }
                Ok(if tok == Tok::OneOf {
                    Expr::Or(picked)
                } else {
                    Expr::And(picked)
                })
            }
            Tok::Ident(name) => self
                .searches
                .get(&name)
                .cloned()
                .ok_or_else(|| format!("condition names unknown search `{name}`")),
            t => Err(format!("unexpected `{t:?}` in condition")),
        }
    }
}

/// Search-name patterns of `1 of selection_*`.
fn glob_name(pattern: &str, name: &str) -> bool {
    match pattern.split_once('*') {
        None => pattern == name,
        Some((pre, post)) => {
            name.len() >= pre.len() + post.len() && name.starts_with(pre) && name.ends_with(post)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64offset_matches_pysigma() {
        // Values from the Sigma specification's example ("/bin/bash").
        let v = base64_offsets(b"/bin/bash");
        assert_eq!(v, ["L2Jpbi9iYXNo", "9iaW4vYmFza", "vYmluL2Jhc2"]);
    }

    #[test]
    fn wildcards_pick_cheap_matchers() {
        let m = |v: &str, k: &str| wildcard_matcher(v, k, false).unwrap();
        assert!(
            matches!(m(r"\cmd.exe", "endswith"), Matcher::EndsWith(s, false) if s == r"\cmd.exe")
        );
        assert!(matches!(m("a*b", "eq"), Matcher::Glob(_)));
        assert!(matches!(m(r"a\*b", "eq"), Matcher::Exact(s, _) if s == "a*b"));
        // A trailing backslash stays literal when `contains` adds its wildcards.
        assert!(matches!(m(r"\Temp\", "contains"), Matcher::Contains(s, _) if s == r"\temp\"));
    }

    proptest::proptest! {
        /// A wildcard value matched by the glob matcher gives exactly what the regex it also
        /// compiles to gives (the regex was the matcher before). Patterns and values are ASCII:
        /// anything else is handed to that same regex by design, so comparing there would
        /// compare the regex with itself. The values tried are built from the pattern
        /// (wildcards filled, case changed, cut short, framed) so that most of them nearly match.
        #[test]
        fn wildcard_globs_match_as_their_regex_does(
            value in "[abAB*?\\\\ ]{0,8}",
            fill in "[abAB?*\\\\K ]{0,3}",
            frame in "[abAB \\\\]{0,2}",
            kind in proptest::sample::select(vec!["eq", "contains", "startswith", "endswith"]),
            cased: bool,
            upper: bool,
        ) {
            let matcher = wildcard_matcher(&value, kind, cased).unwrap();
            proptest::prop_assume!(matches!(matcher, Matcher::Glob(_)), "not a glob");
            let Matcher::Glob(g) = matcher else { unreachable!() };
            let one = fill.chars().next().map(String::from).unwrap_or_default();
            let filled = value.replace('*', &fill).replace('?', &one);
            let filled = if upper { filled.to_uppercase() } else { filled };
            let mut hays = vec![
                filled.clone(),
                format!("{frame}{filled}"),
                format!("{filled}{frame}"),
                format!("{frame}{filled}{frame}"),
            ];
            for cut in 0..filled.chars().count() {
                hays.push(filled.chars().skip(cut).collect());
                hays.push(filled.chars().take(cut).collect());
            }
            for hay in hays {
                let lowered = hay.to_lowercase();
                proptest::prop_assert_eq!(
                    g.is_match(&hay, || lowered.as_str()),
                    g.regex().is_match(&hay),
                    "value {:?} ({}, cased {}) on {:?}", value, kind, cased, hay
                );
            }
        }
    }

    #[test]
    fn windash_expands_word_starts() {
        let v = windash_variants("procdump -ma");
        assert!(v.contains(&"procdump /ma".to_string()));
        assert_eq!(v.len(), 5);
    }
}
