//! Sigma `webserver` rules on request logs: a compiled detection becomes an exhunt condition for
//! the log hunter, with the field names of the mapping's `webserver:` section (by default the
//! source-neutral request fields, so that one rule runs on IIS, HttpProxy and remote PowerShell
//! logs alike):
//!
//! | Sigma | exhunt |
//! |---|---|
//! | `cs-uri-query` | `_url` (stem + `?` + query: Sigma rules put path fragments there) |
//! | `cs-uri-stem`, `cs-method`, `sc-status`, `c-ip`, `cs-username`, `c-useragent` | `_stem`, `_method`, `_status`, `_client`, `_user`, `_ua` |
//! | `cs-referer`, `cs-cookie`, `cs-host`, `s-ip`, `s-port` | the IIS column |
//! | keywords (no field) | the whole line (`_raw`) |
//!
//! Not translatable, and reported per rule: numeric comparisons, CIDR, field references and
//! fields the mapping does not name.

use exhunt_core::rules::condition::{ConditionSpec, OneOrMany};

use super::expr::{Expr, FieldTest, Matcher};
use super::logsource::WebMapping;

/// Translate a compiled Sigma detection into an exhunt condition over request-log fields.
pub fn to_condition(expr: &Expr, web: &WebMapping) -> Result<ConditionSpec, String> {
    Ok(match expr {
        Expr::And(list) => ConditionSpec {
            all: Some(
                list.iter()
                    .map(|e| to_condition(e, web))
                    .collect::<Result<_, _>>()?,
            ),
            ..Default::default()
        },
        Expr::Or(list) => ConditionSpec {
            any: Some(
                list.iter()
                    .map(|e| to_condition(e, web))
                    .collect::<Result<_, _>>()?,
            ),
            ..Default::default()
        },
        Expr::Not(inner) => ConditionSpec {
            none: Some(vec![to_condition(inner, web)?]),
            ..Default::default()
        },
        Expr::Field(t) => field_test(t, web)?,
    })
}

fn field_test(t: &FieldTest, web: &WebMapping) -> Result<ConditionSpec, String> {
    let sigma = if t.field == "_text" {
        "keywords"
    } else {
        t.field.as_str()
    };
    let field = web.fields.get(sigma).ok_or_else(|| {
        format!(
            "webserver field `{}` has no request-log field in the mapping",
            t.field
        )
    })?;
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
        Matcher::Glob(g) => ConditionSpec {
            regex: one(g.regex().as_str()),
            case_sensitive: true,
            ..base
        },
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
