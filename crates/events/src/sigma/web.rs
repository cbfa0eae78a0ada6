//! Sigma `webserver` rules on IIS W3C logs: a compiled detection becomes an exhunt condition
//! for the log hunter.
//!
//! Field mapping (Sigma → IIS W3C column):
//!
//! | Sigma | IIS |
//! |---|---|
//! | `cs-uri-query` | `cs-uri` (stem + `?` + query: Sigma rules put path fragments there) |
//! | `cs-uri-stem`, `cs-method`, `sc-status`, `c-ip`, `s-ip`, `s-port`, `cs-username`, `cs-host`, `cs-version` | same name |
//! | `c-useragent`, `cs-user-agent` | `cs(User-Agent)` |
//! | `cs-referer`, `cs-referrer` | `cs(Referer)` |
//! | `cs-cookie` | `cs(Cookie)` |
//! | keywords (no field) | the whole line (`_raw`) |
//!
//! Not translatable, and reported per rule: numeric comparisons, CIDR, field references and
//! fields with no IIS column.

use exhunt_core::rules::condition::{ConditionSpec, OneOrMany};

use super::expr::{Expr, FieldTest, Matcher};

/// The IIS column for a Sigma webserver field (lower-cased), if there is one.
pub fn iis_field(sigma: &str) -> Option<&'static str> {
    Some(match sigma {
        "cs-uri-query" | "cs-uri" => "cs-uri",
        "cs-uri-stem" => "cs-uri-stem",
        "cs-method" => "cs-method",
        "sc-status" => "sc-status",
        "c-ip" => "c-ip",
        "s-ip" => "s-ip",
        "s-port" => "s-port",
        "cs-username" => "cs-username",
        "cs-host" => "cs-host",
        "cs-version" => "cs-version",
        "c-useragent" | "cs-user-agent" | "cs(user-agent)" => "cs(user-agent)",
        "cs-referer" | "cs-referrer" | "cs(referer)" => "cs(referer)",
        "cs-cookie" | "cs(cookie)" => "cs(cookie)",
        "_text" | "keywords" => "_raw",
        _ => return None,
    })
}

/// Translate a compiled Sigma detection into an exhunt condition over IIS columns.
pub fn to_condition(expr: &Expr) -> Result<ConditionSpec, String> {
    Ok(match expr {
        Expr::And(list) => ConditionSpec {
            all: Some(list.iter().map(to_condition).collect::<Result<_, _>>()?),
            ..Default::default()
        },
        Expr::Or(list) => ConditionSpec {
            any: Some(list.iter().map(to_condition).collect::<Result<_, _>>()?),
            ..Default::default()
        },
        Expr::Not(inner) => ConditionSpec {
            none: Some(vec![to_condition(inner)?]),
            ..Default::default()
        },
        Expr::Field(t) => field_test(t)?,
    })
}

fn field_test(t: &FieldTest) -> Result<ConditionSpec, String> {
    let field = iis_field(&t.field)
        .ok_or_else(|| format!("webserver field `{}` has no IIS W3C column", t.field))?;
    let tests = t
        .matchers
        .iter()
        .map(|m| matcher(field, m))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(match tests.len() {
        1 => tests.into_iter().next().expect("one"),
        _ if t.all => ConditionSpec {
            all: Some(tests),
            ..Default::default()
        },
        _ => ConditionSpec {
            any: Some(tests),
            ..Default::default()
        },
    })
}

fn matcher(field: &str, m: &Matcher) -> Result<ConditionSpec, String> {
    let base = ConditionSpec {
        field: Some(field.to_string()),
        ..Default::default()
    };
    let one = |s: &str| Some(OneOrMany::One(s.to_string()));
    Ok(match m {
        Matcher::Exact(v, cased) => ConditionSpec {
            equals: one(v),
            case_sensitive: *cased,
            ..base
        },
        Matcher::Contains(v, cased) => ConditionSpec {
            contains: one(v),
            case_sensitive: *cased,
            ..base
        },
        Matcher::StartsWith(v, cased) => ConditionSpec {
            startswith: one(v),
            case_sensitive: *cased,
            ..base
        },
        Matcher::EndsWith(v, cased) => ConditionSpec {
            endswith: one(v),
            case_sensitive: *cased,
            ..base
        },
        // The compiled regex carries its own flags: compile it as written.
        Matcher::Regex(re) => ConditionSpec {
            regex: one(re.as_str()),
            case_sensitive: true,
            ..base
        },
        Matcher::Null => ConditionSpec {
            empty: Some(true),
            ..base
        },
        Matcher::Exists(e) => ConditionSpec {
            empty: Some(!e),
            ..base
        },
        Matcher::Num(..) => {
            return Err("numeric comparisons on IIS fields are not supported".into())
        }
        Matcher::Cidr(_) => return Err("`|cidr` on IIS fields is not supported".into()),
        Matcher::FieldRef(_) => return Err("`|fieldref` on IIS fields is not supported".into()),
    })
}
