//! `--stix FILE.json`: the campaign indicators as a STIX 2.1 bundle a CERT can share with the
//! organisations and with partners (MISP imports it).
//!
//! Objects: an `identity` for the producer and one per organisation; a TLP 2.0
//! `marking-definition` (the OASIS ids) applied to every object; one `indicator` per campaign
//! indicator with a STIX pattern (`ipv4-addr`/`ipv6-addr`, the HTTP `User-Agent` header, the
//! HTTP request path, `file:name`, `file:hashes.'SHA-256'`, the export file's name and folder);
//! one `sighting` per indicator and organisation (`where_sighted_refs` set, `modified` = the
//! last observation: MISP drops sightings without the identity and dates them by `modified`);
//! one `campaign` per fleet cluster, and one per published campaign an indicator belongs to,
//! tied by `indicates` relationships (and `related-to` between a cluster and a published
//! campaign whose indicators it matches — never `attributed-to`).
//!
//! Ids are derived from the object's content (see [`id`]), so exporting the same fleet twice
//! gives the same ids and MISP updates instead of duplicating.

use std::collections::BTreeMap;
use std::io::Write;
use std::net::IpAddr;

use chrono::{DateTime, Utc};
use exhunt_fleet::{Fleet, IndicatorType};
use serde_json::{json, Value};
use uuid::Uuid;

use super::{org_label, FleetWriter};

/// exhunt's UUIDv5 namespace for STIX objects (not the SCO namespace).
const NAMESPACE: Uuid = Uuid::from_u128(0x6b1e_2c7a_9d40_5f3e_8a21_c4d7_0e95_b318);

/// The TLP 2.0 extension definition (OASIS).
const TLP2_EXTENSION: &str = "extension-definition--60a3c5c5-0d10-413e-aab3-9e08dde9e88d";

/// (label, TLP 2.0 level, OASIS marking id).
const TLP2: &[(&str, &str, &str)] = &[
    ("TLP:CLEAR", "clear", "94868c89-83c2-464b-929b-a1a8aa3c8487"),
    ("TLP:GREEN", "green", "bab4a63c-aed9-4cf5-a766-dfca5abac2bb"),
    ("TLP:AMBER", "amber", "55d920b0-5e8b-4f79-9ee9-91f868d9b421"),
    (
        "TLP:AMBER+STRICT",
        "amber+strict",
        "939a9414-2ddd-4d32-a0cd-375ea402b003",
    ),
    ("TLP:RED", "red", "e828b379-4e03-4974-9ac4-e53a884c97c1"),
];

/// Options of the STIX export.
#[derive(Debug, Clone)]
pub struct StixOptions {
    /// The producer's name (the CERT).
    pub producer: String,
    /// A TLP label (`TLP:AMBER`, `TLP:WHITE` is read as `TLP:CLEAR`); `None`: no marking.
    pub tlp: Option<String>,
}

impl Default for StixOptions {
    fn default() -> Self {
        StixOptions {
            producer: "exhunt fleet export".into(),
            tlp: Some("TLP:AMBER".into()),
        }
    }
}

/// Writes the bundle.
pub struct StixWriter<W: Write> {
    out: W,
    options: StixOptions,
}

impl<W: Write> StixWriter<W> {
    /// A writer over `out`.
    pub fn new(out: W, options: StixOptions) -> Self {
        StixWriter { out, options }
    }
}

/// The TLP 2.0 marking of a label, if it names one.
pub fn tlp_marking(label: &str) -> Option<(&'static str, &'static str, &'static str)> {
    let l = label.trim().to_ascii_uppercase().replace(' ', "");
    let l = if l == "TLP:WHITE" {
        "TLP:CLEAR".to_string()
    } else {
        l
    };
    TLP2.iter().copied().find(|(name, _, _)| *name == l)
}

/// A STIX id whose UUID is derived from the object's content (SHA-1 in an exhunt namespace, as
/// UUIDv5 does) but carries the version-4 bits: STIX says SDOs and SROs SHOULD use UUIDv4, and
/// v4 only asks for unpredictable bits, which a hash gives; re-exports keep their ids.
fn id(kind: &str, key: &str) -> String {
    let mut b = Uuid::new_v5(&NAMESPACE, format!("{kind}|{key}").as_bytes()).into_bytes();
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    format!("{kind}--{}", Uuid::from_bytes(b))
}

/// STIX timestamps: UTC with millisecond precision.
fn ts(t: &DateTime<Utc>) -> String {
    t.format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string()
}

/// A string literal inside a STIX pattern: `'` and `\` escaped.
fn lit(s: &str) -> String {
    format!("'{}'", s.replace('\\', "\\\\").replace('\'', "\\'"))
}

/// The STIX pattern of an indicator.
pub fn pattern(kind: IndicatorType, value: &str) -> String {
    match kind {
        IndicatorType::Ip => match value.parse::<IpAddr>() {
            Ok(IpAddr::V6(_)) => format!("[ipv6-addr:value = {}]", lit(value)),
            _ => format!("[ipv4-addr:value = {}]", lit(value)),
        },
        IndicatorType::UserAgent => format!(
            "[network-traffic:extensions.'http-request-ext'.request_header.'User-Agent' = {}]",
            lit(value)
        ),
        IndicatorType::UrlPath => format!(
            "[network-traffic:extensions.'http-request-ext'.request_value = {}]",
            lit(value)
        ),
        IndicatorType::FileName => format!("[file:name = {}]", lit(value)),
        IndicatorType::Sha256 => format!("[file:hashes.'SHA-256' = {}]", lit(value)),
        IndicatorType::ExportPath => {
            let cut = value.rfind(['\\', '/']);
            match cut {
                Some(i) if i + 1 < value.len() => format!(
                    "[file:name = {} AND file:parent_directory_ref.path = {}]",
                    lit(&value[i + 1..]),
                    lit(&value[..i])
                ),
                _ => format!("[file:name = {}]", lit(value)),
            }
        }
    }
}

impl<W: Write> FleetWriter for StixWriter<W> {
    fn write_fleet(&mut self, f: &Fleet) -> std::io::Result<()> {
        let now = ts(&f.finished);
        let mut objects: Vec<Value> = Vec::new();
        let marking = self.options.tlp.as_deref().and_then(tlp_marking);
        let markings: Vec<String> = marking
            .map(|(_, _, uuid)| format!("marking-definition--{uuid}"))
            .into_iter()
            .collect();
        let producer = id("identity", &format!("producer|{}", self.options.producer));
        objects.push(json!({
            "type": "identity", "spec_version": "2.1", "id": producer,
            "created": now, "modified": now,
            "name": self.options.producer, "identity_class": "organization",
            "object_marking_refs": markings,
        }));
        if let Some((name, level, uuid)) = marking {
            objects.push(json!({
                "type": "marking-definition", "spec_version": "2.1",
                "id": format!("marking-definition--{uuid}"),
                "created": "2022-10-01T00:00:00.000Z", "name": name,
                "extensions": {TLP2_EXTENSION: {"extension_type": "property-extension", "tlp_2_0": level}},
            }));
        }
        // One identity per organisation (sightings need it in the bundle).
        let mut org_ids: BTreeMap<Option<String>, String> = BTreeMap::new();
        for o in &f.orgs {
            let name = match &o.org {
                Some(n) => n.clone(),
                None => "Servers without an organisation label".to_string(),
            };
            let oid = id("identity", &format!("org|{name}"));
            objects.push(json!({
                "type": "identity", "spec_version": "2.1", "id": oid,
                "created": now, "modified": now,
                "name": name, "identity_class": "organization",
                "object_marking_refs": markings,
            }));
            org_ids.insert(o.org.clone(), oid);
        }
        // Published campaigns that some indicator or cluster matches.
        let mut published: BTreeMap<String, String> = BTreeMap::new();
        let want = |cid: &str, published: &mut BTreeMap<String, String>| {
            published
                .entry(cid.to_string())
                .or_insert_with(|| id("campaign", &format!("published|{cid}")))
                .clone()
        };
        for i in &f.indicators {
            for c in &i.campaigns {
                want(c, &mut published);
            }
        }
        for c in &f.clusters {
            for m in c.campaigns.iter().filter(|m| m.by_indicator) {
                want(&m.id, &mut published);
            }
        }
        for (cid, sid) in &published {
            let def = f.campaigns.iter().find(|c| &c.id == cid);
            let name = def.map(|d| d.name.clone()).unwrap_or_else(|| cid.clone());
            let mut o = json!({
                "type": "campaign", "spec_version": "2.1", "id": sid,
                "created": now, "modified": now, "created_by_ref": producer,
                "name": name,
                "description": def.map(|d| d.description.clone()).unwrap_or_default(),
                "object_marking_refs": markings,
            });
            if let Some(d) = def {
                if !d.aliases.is_empty() {
                    o["aliases"] = json!(d.aliases);
                }
                if let Some(from) = d.from {
                    o["first_seen"] = json!(format!("{from}T00:00:00.000Z"));
                }
                if !d.references.is_empty() {
                    // As text: a URL in `external_references` needs a hash of the page
                    // (best practice the strict validator enforces), which exhunt cannot give.
                    o["description"] = json!(format!(
                        "{} Sources: {}",
                        d.description,
                        d.references.join(" ; ")
                    ));
                }
            }
            objects.push(o);
        }
        // Indicators and sightings.
        let mut ind_ids = Vec::with_capacity(f.indicators.len());
        for i in &f.indicators {
            let pat = pattern(i.kind, &i.value);
            let iid = id("indicator", &pat);
            ind_ids.push(iid.clone());
            let valid_from = i.first.as_ref().map(ts).unwrap_or_else(|| now.clone());
            let orgs: Vec<&str> = i.orgs.iter().map(org_label).collect();
            objects.push(json!({
                "type": "indicator", "spec_version": "2.1", "id": iid,
                "created": now, "modified": now, "created_by_ref": producer,
                "name": format!("Exchange intrusion {}: {}", i.kind.label(), i.value),
                "description": format!(
                    "exhunt fleet: seen on {} Exchange server(s) in {} organisation(s) ({}); rules {}",
                    i.hosts.len(), i.orgs.len(), orgs.join(", "), i.rules.join(", ")
                ),
                "indicator_types": ["malicious-activity"],
                "pattern": pat, "pattern_type": "stix", "pattern_version": "2.1",
                "valid_from": valid_from,
                "object_marking_refs": markings,
            }));
            for c in &i.campaigns {
                let cid = &published[c];
                objects.push(json!({
                    "type": "relationship", "spec_version": "2.1",
                    "id": id("relationship", &format!("{iid}|indicates|{cid}")),
                    "created": now, "modified": now, "created_by_ref": producer,
                    "relationship_type": "indicates", "source_ref": iid, "target_ref": cid,
                    "description": "the value is in the campaign's published indicators",
                    "object_marking_refs": markings,
                }));
            }
            let mut by_org: BTreeMap<&Option<String>, Vec<usize>> = BTreeMap::new();
            for &h in &i.hosts {
                by_org.entry(&f.hosts[h].org).or_default().push(h);
            }
            for (org, hs) in by_org {
                let servers = f
                    .orgs
                    .iter()
                    .find(|o| &o.org == org)
                    .map(|o| o.servers)
                    .unwrap_or(hs.len());
                let last = i.last.as_ref().map(ts).unwrap_or_else(|| now.clone());
                let mut s = json!({
                    "type": "sighting", "spec_version": "2.1",
                    "id": id("sighting", &format!("{iid}|{}", org_label(org))),
                    "created": last, "modified": last, "created_by_ref": producer,
                    "sighting_of_ref": iid,
                    "where_sighted_refs": [org_ids[org]],
                    "count": hs.len(),
                    "description": format!(
                        "exhunt fleet: {} of {} Exchange server(s) of {}: {}",
                        hs.len(), servers, org_label(org),
                        hs.iter().map(|&h| f.hosts[h].host.as_str()).collect::<Vec<_>>().join(", ")
                    ),
                    "object_marking_refs": markings,
                });
                if let (Some(a), Some(b)) = (&i.first, &i.last) {
                    s["first_seen"] = json!(ts(a));
                    s["last_seen"] = json!(ts(b));
                }
                objects.push(s);
            }
        }
        // One campaign per cluster of servers.
        for c in &f.clusters {
            let cid = id(
                "campaign",
                &format!(
                    "cluster|{}",
                    c.linked_by
                        .iter()
                        .map(|&k| f.indicators[k].value.as_str())
                        .collect::<Vec<_>>()
                        .join("|")
                ),
            );
            let wording: Vec<String> = c.campaigns.iter().map(|m| m.wording()).collect();
            let mut o = json!({
                "type": "campaign", "spec_version": "2.1", "id": cid,
                "created": now, "modified": now, "created_by_ref": producer,
                "name": format!("exhunt fleet cluster {}: {} servers in {} organisation(s)", c.id, c.hosts.len(), c.orgs.len()),
                "description": format!(
                    "Exchange servers tied by shared infrastructure or backdoors: {}.{}",
                    c.hosts.iter().map(|&h| f.hosts[h].label()).collect::<Vec<_>>().join(", "),
                    if wording.is_empty() { String::new() } else { format!(" The cluster {}.", wording.join("; ")) }
                ),
                "object_marking_refs": markings,
            });
            if let Some(a) = &c.first {
                o["first_seen"] = json!(ts(a));
            }
            if let Some(b) = &c.last {
                o["last_seen"] = json!(ts(b));
            }
            objects.push(o);
            for &k in &c.linked_by {
                let iid = &ind_ids[k];
                objects.push(json!({
                    "type": "relationship", "spec_version": "2.1",
                    "id": id("relationship", &format!("{iid}|indicates|{cid}")),
                    "created": now, "modified": now, "created_by_ref": producer,
                    "relationship_type": "indicates", "source_ref": iid, "target_ref": cid,
                    "object_marking_refs": markings,
                }));
            }
            for m in c.campaigns.iter().filter(|m| m.by_indicator) {
                let pid = &published[&m.id];
                objects.push(json!({
                    "type": "relationship", "spec_version": "2.1",
                    "id": id("relationship", &format!("{cid}|related-to|{pid}")),
                    "created": now, "modified": now, "created_by_ref": producer,
                    "relationship_type": "related-to", "source_ref": cid, "target_ref": pid,
                    "description": m.wording(),
                    "object_marking_refs": markings,
                }));
            }
        }
        // Empty marking lists are not allowed: drop them when there is no TLP.
        if markings.is_empty() {
            for o in &mut objects {
                if let Some(m) = o.as_object_mut() {
                    m.remove("object_marking_refs");
                }
            }
        }
        let bundle = json!({
            "type": "bundle",
            "id": id("bundle", &format!("{}|{}", now, f.hosts.len())),
            "objects": objects,
        });
        serde_json::to_writer_pretty(&mut self.out, &bundle)?;
        self.out.write_all(b"\n")?;
        self.out.flush()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn patterns_escape_quotes_and_backslashes() {
        assert_eq!(
            pattern(IndicatorType::Ip, "203.0.113.77"),
            "[ipv4-addr:value = '203.0.113.77']"
        );
        assert_eq!(
            pattern(IndicatorType::Ip, "2001:db8::1"),
            "[ipv6-addr:value = '2001:db8::1']"
        );
        assert_eq!(
            pattern(IndicatorType::UserAgent, "it's"),
            "[network-traffic:extensions.'http-request-ext'.request_header.'User-Agent' = 'it\\'s']"
        );
        assert_eq!(
            pattern(IndicatorType::ExportPath, r"\\EX01\C$\pst\ceo.pst"),
            r"[file:name = 'ceo.pst' AND file:parent_directory_ref.path = '\\\\EX01\\C$\\pst']"
        );
    }

    #[test]
    fn tlp_labels_map_to_the_oasis_ids() {
        assert_eq!(
            tlp_marking("TLP:AMBER").unwrap().2,
            "55d920b0-5e8b-4f79-9ee9-91f868d9b421"
        );
        assert_eq!(tlp_marking("tlp:white").unwrap().1, "clear");
        assert_eq!(
            tlp_marking("TLP:AMBER+STRICT").unwrap().2,
            "939a9414-2ddd-4d32-a0cd-375ea402b003"
        );
        assert!(tlp_marking("secret").is_none());
    }
}
