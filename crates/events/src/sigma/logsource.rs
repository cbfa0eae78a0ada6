//! Sigma `logsource` → where a rule applies in the evidence, and how its fields are named there.
//!
//! The mapping is data, as chainsaw's mapping files and pySigma's processing pipelines are:
//! [`Mapping::embedded`] is `crates/events/data/sigma-mapping.yml`, compiled into the binary,
//! and `--sigma-mapping FILE` replaces it with a user's file of the same shape (renamed channels
//! of a collection, JSON exported from a SIEM with other field names). The file's header
//! documents every key.
//!
//! In short: Windows `category` and `service` logsources name channels, event ids and
//! (optionally) providers; a global `fields` table renames Sigma's names to the event's
//! (`Provider_Name` → `Provider`); a target may rename more (`Image` → `NewProcessName` on
//! Security 4688) and list the Sigma fields its events never carry (`missing`). Following the
//! Sigma specification, a rule testing a missing field still runs there: the test simply does
//! not match. `webserver` rules map to exhunt's source-neutral request fields and run on IIS,
//! HttpProxy and remote PowerShell logs.

use std::collections::HashMap;
use std::path::Path;
use std::sync::OnceLock;

use exhunt_core::SourceKind;
use serde::Deserialize;

use crate::engine::Scope;

/// The embedded mapping's text.
pub const EMBEDDED_MAPPING: &str = include_str!("../../data/sigma-mapping.yml");

/// Sysmon's channel (lower case).
pub const SYSMON: &str = "microsoft-windows-sysmon/operational";

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct MappingSpec {
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    fields: HashMap<String, String>,
    #[serde(default)]
    categories: HashMap<String, Vec<TargetSpec>>,
    #[serde(default)]
    services: HashMap<String, Vec<TargetSpec>>,
    #[serde(default)]
    webserver: Option<WebSpec>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct TargetSpec {
    channel: OneOrMany,
    #[serde(default)]
    event_id: Vec<u32>,
    #[serde(default)]
    provider: Option<OneOrMany>,
    #[serde(default)]
    label: Option<String>,
    #[serde(default)]
    fields: HashMap<String, String>,
    #[serde(default)]
    missing: Vec<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct WebSpec {
    sources: Vec<SourceKind>,
    fields: HashMap<String, String>,
}

#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum OneOrMany {
    One(String),
    Many(Vec<String>),
}

impl OneOrMany {
    fn lower(&self) -> Vec<String> {
        match self {
            OneOrMany::One(s) => vec![s.to_lowercase()],
            OneOrMany::Many(v) => v.iter().map(|s| s.to_lowercase()).collect(),
        }
    }
}

/// One place a rule applies, with the field names used there.
#[derive(Debug, Clone)]
pub struct Target {
    /// Channel, provider and event id filter.
    pub scope: Scope,
    /// Sigma field (lower case) → event field, this target's renames and the global ones.
    pub renames: HashMap<String, String>,
    /// Sigma fields (lower case) this target's events never carry.
    pub missing: Vec<String>,
    /// A label for messages (`Security 4688`).
    pub label: String,
}

impl Target {
    /// The event field a Sigma field (lower case) reads here (lower case).
    pub fn field(&self, sigma: &str) -> String {
        self.renames
            .get(sigma)
            .cloned()
            .unwrap_or_else(|| sigma.to_string())
    }
}

/// Where `webserver` rules run and how their fields are named there.
#[derive(Debug, Clone)]
pub struct WebMapping {
    /// The request logs they run on.
    pub sources: Vec<SourceKind>,
    /// Sigma field (lower case) → log field (lower case, `_url`, `_stem`, …).
    pub fields: HashMap<String, String>,
}

/// A Sigma mapping: logsources to targets, field names to the evidence's.
#[derive(Debug, Clone)]
pub struct Mapping {
    /// Where the mapping came from (`embedded` or a path).
    pub origin: String,
    /// The mapping's own name.
    pub name: String,
    fields: HashMap<String, String>,
    categories: HashMap<String, Vec<Target>>,
    services: HashMap<String, Vec<Target>>,
    web: Option<WebMapping>,
}

/// Field renames in the form names are compared in ([`crate::event::field_key`]).
fn lower_map(m: &HashMap<String, String>) -> HashMap<String, String> {
    use crate::event::field_key;
    m.iter()
        .map(|(k, v)| (field_key(k), field_key(v)))
        .collect()
}

impl Mapping {
    /// The mapping compiled into the binary.
    pub fn embedded() -> &'static Mapping {
        static M: OnceLock<Mapping> = OnceLock::new();
        M.get_or_init(|| {
            Mapping::from_yaml("embedded:sigma-mapping.yml", EMBEDDED_MAPPING)
                .expect("the embedded Sigma mapping is valid (checked by a test)")
        })
    }

    /// Read a mapping file.
    pub fn load(path: &Path) -> Result<Mapping, String> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| format!("cannot read Sigma mapping {}: {e}", path.display()))?;
        Mapping::from_yaml(&path.display().to_string(), &text)
    }

    /// Parse a mapping from YAML text; `origin` names it in messages.
    pub fn from_yaml(origin: &str, text: &str) -> Result<Mapping, String> {
        let spec: MappingSpec =
            serde_yaml_ng::from_str(text).map_err(|e| format!("Sigma mapping {origin}: {e}"))?;
        let global = lower_map(&spec.fields);
        let targets = |list: &[TargetSpec], what: &str| -> Result<Vec<Target>, String> {
            if list.is_empty() {
                return Err(format!("Sigma mapping {origin}: {what} has no target"));
            }
            Ok(list
                .iter()
                .map(|t| {
                    let mut renames = global.clone();
                    renames.extend(lower_map(&t.fields));
                    let channels = t.channel.lower();
                    Target {
                        scope: Scope {
                            channels: channels.clone(),
                            providers: t
                                .provider
                                .as_ref()
                                .map(OneOrMany::lower)
                                .unwrap_or_default(),
                            event_ids: t.event_id.clone(),
                        },
                        renames,
                        missing: t
                            .missing
                            .iter()
                            .map(|f| crate::event::field_key(f))
                            .collect(),
                        label: t.label.clone().unwrap_or_else(|| channels.join(", ")),
                    }
                })
                .collect())
        };
        let mut categories = HashMap::new();
        for (k, v) in &spec.categories {
            categories.insert(
                k.to_ascii_lowercase(),
                targets(v, &format!("category `{k}`"))?,
            );
        }
        let mut services = HashMap::new();
        for (k, v) in &spec.services {
            services.insert(
                k.to_ascii_lowercase(),
                targets(v, &format!("service `{k}`"))?,
            );
        }
        let web = match spec.webserver {
            Some(w) if w.sources.is_empty() => {
                return Err(format!("Sigma mapping {origin}: webserver has no sources"))
            }
            Some(w) => Some(WebMapping {
                sources: w.sources,
                fields: w
                    .fields
                    .iter()
                    .map(|(k, v)| {
                        // Log field names keep their spelling for evidence; conditions lower-case them.
                        (k.to_ascii_lowercase(), v.to_string())
                    })
                    .collect(),
            }),
            None => None,
        };
        Ok(Mapping {
            origin: origin.to_string(),
            name: spec.name.unwrap_or_else(|| origin.to_string()),
            fields: global,
            categories,
            services,
            web,
        })
    }

    /// The global rename of a Sigma field (lower case), if any.
    pub fn global_field(&self, sigma: &str) -> Option<&str> {
        self.fields.get(sigma).map(String::as_str)
    }

    /// Where `webserver` rules run, if this mapping says.
    pub fn web(&self) -> Option<&WebMapping> {
        self.web.as_ref()
    }

    /// Where a rule with this logsource applies, or why it cannot.
    pub fn targets(
        &self,
        product: Option<&str>,
        category: Option<&str>,
        service: Option<&str>,
    ) -> Result<&[Target], String> {
        match product {
            Some(p) if p.eq_ignore_ascii_case("windows") => {}
            None => {
                return Err(format!(
                    "logsource without `product: windows` ({}) is not Windows event-log evidence",
                    category.or(service).unwrap_or("no category or service")
                ))
            }
            Some(p) => return Err(format!("product `{p}` is not Windows event-log evidence")),
        }
        if let Some(c) = category {
            return self
                .categories
                .get(&c.to_ascii_lowercase())
                .map(Vec::as_slice)
                .ok_or_else(|| {
                    format!("category `{c}` has no event-log mapping in {}", self.origin)
                });
        }
        let Some(s) = service else {
            return Err("logsource has neither `category` nor `service`".into());
        };
        self.services
            .get(&s.to_ascii_lowercase())
            .map(Vec::as_slice)
            .ok_or_else(|| format!("service `{s}` has no channel mapping in {}", self.origin))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn embedded_mapping_parses_and_maps_process_creation_to_sysmon_and_4688() {
        let m = Mapping::embedded();
        let t = m
            .targets(Some("windows"), Some("process_creation"), None)
            .unwrap();
        assert_eq!(t.len(), 2);
        assert_eq!(t[0].scope.event_ids, [1]);
        assert_eq!(t[1].scope.channels, ["security"]);
        assert_eq!(t[1].field("image"), "newprocessname");
        assert_eq!(t[0].field("image"), "image");
        assert_eq!(t[1].field("provider_name"), "provider");
        assert!(t[1].missing.contains(&"originalfilename".to_string()));
        let web = m.web().unwrap();
        assert!(web.sources.contains(&SourceKind::HttpProxy));
        assert_eq!(web.fields["cs-uri-query"], "_url");
    }

    #[test]
    fn a_user_mapping_renames_channels_and_fields() {
        let m = Mapping::from_yaml(
            "siem.yml",
            "fields: {Provider_Name: provider_name}\nservices:\n  security: [{channel: WinSec, fields: {TargetUserName: user.target}}]\n",
        )
        .unwrap();
        let t = m.targets(Some("windows"), None, Some("security")).unwrap();
        assert_eq!(t[0].scope.channels, ["winsec"]);
        assert_eq!(t[0].field("targetusername"), "user.target");
        assert_eq!(t[0].field("provider_name"), "provider_name");
        let err = m
            .targets(Some("windows"), Some("process_creation"), None)
            .unwrap_err();
        assert!(err.contains("siem.yml"), "{err}");
        assert!(Mapping::from_yaml("bad.yml", "categories: {x: []}").is_err());
        assert!(Mapping::from_yaml("bad.yml", "nonsense: 1").is_err());
    }
}
