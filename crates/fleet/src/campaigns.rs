//! Published campaigns and actors, as data (`rules/campaigns/*.yml`, embedded; more with
//! `--campaigns DIR`): name, aliases, time window, indicator lists, rule tags, references.
//!
//! A server or cluster **matches published indicators of** a campaign when one of its
//! indicators is in the campaign's lists (a strong match), or when rules that fired on it carry
//! one of the campaign's rule tags (a weak match: the technique was published for that actor,
//! and others used it too). Neither is an attribution, and the outputs never word it as one.

use std::collections::BTreeSet;
use std::path::Path;

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use crate::indicator::IndicatorType;

mod embedded {
    include!(concat!(env!("OUT_DIR"), "/campaigns.rs"));
}

/// One campaign file.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct CampaignFile {
    campaign: CampaignDef,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct CampaignDef {
    id: String,
    name: String,
    #[serde(default)]
    kind: Option<String>,
    #[serde(default)]
    aliases: Vec<String>,
    #[serde(default)]
    description: String,
    #[serde(default)]
    window: Option<WindowDef>,
    #[serde(default)]
    cves: Vec<String>,
    #[serde(default)]
    rule_tags: Vec<String>,
    #[serde(default)]
    indicators: IndicatorsDef,
    #[serde(default)]
    references: Vec<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct WindowDef {
    from: NaiveDate,
    #[serde(default)]
    to: Option<NaiveDate>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct IndicatorsDef {
    #[serde(default)]
    ip: Vec<String>,
    #[serde(default)]
    user_agent: Vec<String>,
    #[serde(default)]
    url_path: Vec<String>,
    #[serde(default)]
    file_name: Vec<String>,
    #[serde(default)]
    sha256: Vec<String>,
    #[serde(default)]
    export_path: Vec<String>,
}

/// A published campaign or actor.
#[derive(Debug, Clone, Serialize)]
pub struct Campaign {
    /// Stable id (`hafnium-2021`).
    pub id: String,
    /// Display name.
    pub name: String,
    /// `actor` or `campaign`.
    pub kind: String,
    /// Other names.
    pub aliases: Vec<String>,
    /// What the sources say, in a sentence or two.
    pub description: String,
    /// Published activity window.
    pub from: Option<NaiveDate>,
    /// End of the window (open when absent).
    pub to: Option<NaiveDate>,
    /// CVEs the campaign exploited.
    pub cves: Vec<String>,
    /// Rule tags that name it (compared case-insensitively).
    pub rule_tags: Vec<String>,
    /// Published indicators: (type, value as written).
    pub indicators: Vec<(IndicatorType, String)>,
    /// Sources.
    pub references: Vec<String>,
    /// The file it came from.
    pub origin: String,
}

/// How a campaign was matched.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct CampaignMatch {
    /// Campaign id.
    pub id: String,
    /// Campaign name.
    pub name: String,
    /// True when a published indicator matched (not only a rule tag).
    pub by_indicator: bool,
    /// What matched: `file_name dukybyssss.aspx`, `rule tag HAFNIUM`.
    pub matched: Vec<String>,
}

impl CampaignMatch {
    /// The wording every output uses: "matches published indicators of …".
    pub fn wording(&self) -> String {
        if self.by_indicator {
            format!(
                "matches published indicators of {} ({})",
                self.name,
                self.matched.join("; ")
            )
        } else {
            format!(
                "uses techniques published for {} ({}); no published indicator of it matched",
                self.name,
                self.matched.join("; ")
            )
        }
    }
}

/// Loaded campaigns, with the problems met loading them.
#[derive(Debug, Clone, Default)]
pub struct Campaigns {
    /// The definitions.
    pub list: Vec<Campaign>,
    /// Files that could not be read, with the reason.
    pub problems: Vec<String>,
}

impl Campaigns {
    /// The embedded definitions (`rules/campaigns/`).
    pub fn embedded() -> Campaigns {
        let mut c = Campaigns::default();
        for (name, text) in embedded::FILES {
            c.add_text(&format!("embedded:campaigns/{name}"), text);
        }
        c
    }

    /// Add the `.yml`/`.yaml` files of a folder (or one file).
    pub fn add_path(&mut self, path: &Path) {
        let files: Vec<std::path::PathBuf> = if path.is_dir() {
            match std::fs::read_dir(path) {
                Ok(rd) => {
                    let mut v: Vec<_> = rd
                        .flatten()
                        .map(|e| e.path())
                        .filter(|p| exhunt_core::rules::has_yaml_name(p))
                        .collect();
                    v.sort();
                    v
                }
                Err(e) => {
                    self.problems
                        .push(format!("{}: cannot list: {e}", path.display()));
                    return;
                }
            }
        } else {
            vec![path.to_path_buf()]
        };
        for f in files {
            match std::fs::read_to_string(&f) {
                Ok(text) => self.add_text(&f.display().to_string(), &text),
                Err(e) => self
                    .problems
                    .push(format!("{}: cannot read: {e}", f.display())),
            }
        }
    }

    /// Parse one campaign file.
    pub fn add_text(&mut self, origin: &str, text: &str) {
        let def: CampaignFile = match serde_yaml_ng::from_str(text) {
            Ok(d) => d,
            Err(e) => {
                self.problems.push(format!("{origin}: {e}"));
                return;
            }
        };
        let d = def.campaign;
        let mut indicators = Vec::new();
        let lists = [
            (IndicatorType::Ip, d.indicators.ip),
            (IndicatorType::UserAgent, d.indicators.user_agent),
            (IndicatorType::UrlPath, d.indicators.url_path),
            (IndicatorType::FileName, d.indicators.file_name),
            (IndicatorType::Sha256, d.indicators.sha256),
            (IndicatorType::ExportPath, d.indicators.export_path),
        ];
        for (t, values) in lists {
            indicators.extend(values.into_iter().map(|v| (t, v)));
        }
        if self.list.iter().any(|c| c.id == d.id) {
            self.problems.push(format!(
                "{origin}: campaign id '{}' is defined twice; the first is kept",
                d.id
            ));
            return;
        }
        self.list.push(Campaign {
            id: d.id,
            name: d.name,
            kind: d.kind.unwrap_or_else(|| "campaign".into()),
            aliases: d.aliases,
            description: d.description,
            from: d.window.as_ref().map(|w| w.from),
            to: d.window.as_ref().and_then(|w| w.to),
            cves: d.cves,
            rule_tags: d.rule_tags,
            indicators,
            references: d.references,
            origin: origin.to_string(),
        });
    }

    /// Match a server's (or cluster's) indicators and rule tags against every campaign. With
    /// `activity` (the first and last attack activity), a campaign whose published window does
    /// not overlap it is not matched: a web-shell name used in 2021 is not the 2022 campaign
    /// that reused it.
    pub fn matches<'a>(
        &self,
        indicators: impl IntoIterator<Item = (IndicatorType, &'a str)> + Clone,
        tags: &BTreeSet<String>,
        activity: Option<(DateTime<Utc>, DateTime<Utc>)>,
    ) -> Vec<CampaignMatch> {
        let mut out = Vec::new();
        for c in &self.list {
            if let Some((first, last)) = activity {
                let before = c.from.is_some_and(|f| last.date_naive() < f);
                let after = c.to.is_some_and(|t| first.date_naive() > t);
                if before || after {
                    continue;
                }
            }
            let mut matched = Vec::new();
            for (t, v) in indicators.clone() {
                if c.indicators
                    .iter()
                    .any(|(ct, cv)| *ct == t && indicator_eq(t, cv, v))
                {
                    matched.push(format!("{} {v}", t.label()));
                }
            }
            matched.sort();
            matched.dedup();
            let by_indicator = !matched.is_empty();
            for tag in &c.rule_tags {
                if tags.iter().any(|t| t.eq_ignore_ascii_case(tag)) {
                    matched.push(format!("rule tag {tag}"));
                }
            }
            matched.dedup();
            if !matched.is_empty() {
                out.push(CampaignMatch {
                    id: c.id.clone(),
                    name: c.name.clone(),
                    by_indicator,
                    matched,
                });
            }
        }
        // Indicator matches first, then by the amount of evidence.
        out.sort_by(|a, b| {
            b.by_indicator
                .cmp(&a.by_indicator)
                .then(b.matched.len().cmp(&a.matched.len()))
                .then(a.name.cmp(&b.name))
        });
        out
    }
}

/// Does an observed value equal a published one? Addresses exactly; hashes, user agents, paths
/// and names case-insensitively; a published file name also matches a path ending in it.
fn indicator_eq(t: IndicatorType, published: &str, seen: &str) -> bool {
    match t {
        IndicatorType::Ip => published.trim() == seen,
        IndicatorType::UrlPath => {
            let p = published.to_lowercase();
            let s = seen.to_lowercase();
            s == p || (!p.starts_with('/') && s.ends_with(&format!("/{p}")))
        }
        IndicatorType::FileName => {
            let p = published.to_lowercase();
            let s = seen.to_lowercase();
            s == p || s.ends_with(&format!("/{p}"))
        }
        IndicatorType::UserAgent => {
            crate::view::normalize_user_agent(published).eq_ignore_ascii_case(seen)
        }
        _ => published.eq_ignore_ascii_case(seen),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn embedded_campaigns_load_without_problems() {
        let c = Campaigns::embedded();
        assert!(c.problems.is_empty(), "{:?}", c.problems);
        assert!(c.list.iter().any(|c| c.name.contains("HAFNIUM")));
        for x in &c.list {
            assert!(!x.references.is_empty(), "{} has no reference", x.id);
        }
    }

    #[test]
    fn matching_is_worded_as_published_indicators_not_attribution() {
        let mut c = Campaigns::default();
        c.add_text(
            "t.yml",
            "campaign:\n  id: x\n  name: Group X\n  rule_tags: [GroupX]\n  indicators:\n    file_name: [evil.aspx]\n  references: [https://example.org]\n",
        );
        assert!(c.problems.is_empty(), "{:?}", c.problems);
        let tags: BTreeSet<String> = ["groupx".to_string()].into_iter().collect();
        let m = c.matches([(IndicatorType::FileName, "evil.aspx")], &tags, None);
        assert_eq!(m.len(), 1);
        assert!(m[0].by_indicator);
        assert!(m[0]
            .wording()
            .starts_with("matches published indicators of Group X"));
        let m = c.matches([(IndicatorType::FileName, "other.aspx")], &tags, None);
        assert!(!m[0].by_indicator);
        assert!(m[0].wording().contains("no published indicator"));
        let m = c.matches(std::iter::empty(), &BTreeSet::new(), None);
        assert!(m.is_empty());
        // Activity entirely before a campaign's window is not that campaign.
        c.add_text(
            "w.yml",
            "campaign:\n  id: w\n  name: Later\n  window: {from: 2022-08-01}\n  indicators:\n    file_name: [evil.aspx]\n  references: [x]\n",
        );
        let t = |s: &str| DateTime::parse_from_rfc3339(s).unwrap().to_utc();
        let span = Some((t("2021-03-03T00:00:00Z"), t("2021-03-10T00:00:00Z")));
        let m = c.matches(
            [(IndicatorType::FileName, "evil.aspx")],
            &BTreeSet::new(),
            span,
        );
        assert_eq!(m.iter().map(|m| m.id.as_str()).collect::<Vec<_>>(), ["x"]);
        let span = Some((t("2022-09-01T00:00:00Z"), t("2022-09-10T00:00:00Z")));
        let m = c.matches(
            [(IndicatorType::FileName, "evil.aspx")],
            &BTreeSet::new(),
            span,
        );
        assert_eq!(m.len(), 2);
    }

    #[test]
    fn bad_campaign_files_are_reported() {
        let mut c = Campaigns::default();
        c.add_text("bad.yml", "campaign:\n  id: y\n  nme: typo\n");
        assert_eq!(c.list.len(), 0);
        assert!(c.problems[0].starts_with("bad.yml:"), "{:?}", c.problems);
    }
}
