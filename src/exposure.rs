//! Local exposure: the installed Exchange build, read from the evidence, judged against the
//! embedded build table (the same table and wording as `exhunt probe`).

use std::collections::BTreeMap;
use std::sync::Arc;

use exhunt_builds::{
    best_evidence, cves_of, detect_installed_build_until, Assessment, BuildEvidence, Exposure,
};
use exhunt_core::discover::{rel_path, Inventory};
use exhunt_core::model::{Finding, Location, Outcome};
use exhunt_core::rules::RuleMeta;
use exhunt_core::scan::{Contribution, Hunter, ScanConfig};
use exhunt_core::{Severity, SourceKind, Stage};
use serde_json::json;

/// The rule id of exposure findings.
pub const EXPOSURE_RULE_ID: &str = "EXH-EXP-001";

/// Finds the installed build of each host and reports the fixes it lacks.
#[derive(Debug, Default)]
pub struct ExposureHunter;

impl Hunter for ExposureHunter {
    fn name(&self) -> &'static str {
        "exposure"
    }

    fn hunt(&self, inventory: &Inventory, config: &ScanConfig) -> Contribution {
        let mut out = Contribution {
            rules_run: 1,
            ..Default::default()
        };
        for host in &inventory.hosts {
            let mut evidence: Vec<BuildEvidence> = Vec::new();
            for sr in &host.system_roots {
                let dir = if sr.is_empty() {
                    inventory.root.clone()
                } else {
                    inventory.root.join(sr)
                };
                evidence.extend(detect_installed_build_until(&dir, &|| {
                    config.cancel.is_cancelled()
                }));
            }
            if let Some(best) = best_evidence(&evidence) {
                out.findings
                    .push(finding(&inventory.root, &host.name, best, &evidence));
            }
        }
        out
    }
}

fn severity(a: &Assessment) -> Severity {
    match a.exposure {
        Exposure::Vulnerable if a.missing_fixes.iter().any(|m| m.exploited) => Severity::High,
        Exposure::Vulnerable | Exposure::PotentiallyVulnerable => Severity::Medium,
        Exposure::Unknown => Severity::Low,
        Exposure::Patched => Severity::Info,
    }
}

fn finding(
    root: &std::path::Path,
    host: &str,
    best: &BuildEvidence,
    all: &[BuildEvidence],
) -> Finding {
    let a = &best.assessment;
    let cves: Vec<String> = cves_of(a.missing_fixes.iter().chain(&a.possibly_missing_fixes))
        .into_iter()
        .map(String::from)
        .collect();
    let product = a
        .product
        .map(|p| p.name().to_string())
        .unwrap_or_else(|| "Exchange".into());
    let names: Vec<String> = a
        .missing_fixes
        .iter()
        .map(|m| {
            let star = if m.exploited {
                ", exploited in the wild"
            } else {
                ""
            };
            format!("{} ({}{star})", m.name, m.update)
        })
        .collect();
    let title = match a.exposure {
        Exposure::Vulnerable => format!(
            "Installed {product} build {} lacks security fixes",
            best.build
        ),
        Exposure::PotentiallyVulnerable => format!(
            "Installed {product} build {} seen at CU level only",
            best.build
        ),
        Exposure::Unknown => format!(
            "Installed Exchange build {} is not in the build table",
            best.build
        ),
        Exposure::Patched => format!(
            "Installed {product} build {} carries every tracked fix",
            best.build
        ),
    };
    let description = format!(
        "The evidence shows the installed Exchange build ({}: {}). Build table {}: {}.{}",
        best.source_label(),
        best.detail,
        a.table_version,
        a.status,
        if names.is_empty() {
            String::new()
        } else {
            format!(" Missing: {}.", names.join("; "))
        }
    );
    let meta = Arc::new(RuleMeta {
        id: EXPOSURE_RULE_ID.into(),
        title,
        description,
        severity: severity(a),
        stage: Stage::Exposure,
        cves,
        tags: vec!["exposure".into()],
        attack: vec!["T1190".into()],
        author: None,
        references: vec![
            "https://learn.microsoft.com/en-us/exchange/new-features/build-numbers-and-release-dates".into(),
            "https://github.com/microsoft/CSS-Exchange/tree/main/Diagnostics/HealthChecker".into(),
        ],
        remediation: "Install the latest cumulative update and security update for this product \
                      (or move to Exchange Server SE); an out-of-support version must be replaced. \
                      Patching does not remove a compromise: hunt first, then patch."
            .into(),
        origin: "embedded:build-table".into(),
        escalate_on_intrusion: None,
    });
    let mut fields = BTreeMap::new();
    fields.insert("build".into(), best.build.to_string());
    fields.insert(
        "precision".into(),
        format!("{:?}", best.precision).to_lowercase(),
    );
    fields.insert("status".into(), a.status.clone());
    if let Some(cu) = &a.cu {
        fields.insert("cu".into(), cu.clone());
    }
    if let Some(u) = &a.update_name {
        fields.insert("update".into(), u.clone());
    }
    let mut extra = BTreeMap::new();
    extra.insert("exposure".into(), json!(a.exposure.label()));
    extra.insert(
        "assessment".into(),
        serde_json::to_value(a).unwrap_or_default(),
    );
    extra.insert(
        "build_evidence".into(),
        json!(all
            .iter()
            .map(|e| json!({
                "source": e.source_label(),
                "path": rel_path(root, &e.path),
                "build": e.build.to_string(),
                "detail": e.detail,
            }))
            .collect::<Vec<_>>()),
    );
    Finding {
        severity: meta.severity,
        rule: meta,
        host: host.to_string(),
        source: SourceKind::Files,
        path: rel_path(root, &best.path),
        location: Location::File,
        timestamp: None,
        client_ip: None,
        request_id: None,
        url_path: None,
        outcome: Outcome::Unknown,
        notes: Vec::new(),
        fields,
        evidence: best.detail.clone(),
        story: None,
        extra,
    }
}

trait SourceLabel {
    fn source_label(&self) -> String;
}

impl SourceLabel for BuildEvidence {
    fn source_label(&self) -> String {
        format!("{:?}", self.source)
    }
}
