//! Console summary: counts by product and by exposure, and the worst hosts first. Memory is bounded:
//! only counters and the `top` worst rows are kept.

use crate::record::HostResult;
use std::collections::BTreeMap;
use std::fmt::Write;

/// One row of the worst-hosts table.
#[derive(Debug, Clone)]
struct Row {
    severity: (u8, std::cmp::Reverse<usize>, std::cmp::Reverse<usize>),
    target: String,
    build: String,
    product: String,
    exposure: &'static str,
    missing: String,
}

/// Running totals.
#[derive(Debug, Default)]
pub struct Summary {
    /// Targets finished.
    pub total: u64,
    /// Reachable targets.
    pub reachable: u64,
    /// Exchange servers.
    pub exchange: u64,
    /// Requests sent.
    pub requests: u64,
    /// Exchange servers by product.
    pub by_product: BTreeMap<String, u64>,
    /// All targets by exposure label.
    pub by_exposure: BTreeMap<&'static str, u64>,
    top: usize,
    worst: Vec<Row>,
}

impl Summary {
    /// Keep the `top` worst hosts.
    pub fn new(top: usize) -> Self {
        Self {
            top,
            ..Default::default()
        }
    }

    /// Count one result.
    pub fn add(&mut self, r: &HostResult) {
        self.total += 1;
        self.requests += u64::from(r.requests);
        self.reachable += u64::from(r.reachable);
        *self.by_exposure.entry(r.exposure).or_default() += 1;
        if !r.is_exchange {
            return;
        }
        self.exchange += 1;
        let product = r
            .product
            .clone()
            .unwrap_or_else(|| "Exchange (build not visible or unknown)".into());
        *self.by_product.entry(product).or_default() += 1;
        if self.top == 0 || r.exposure == "patched" {
            return;
        }
        let sev = r.severity();
        if self.worst.len() >= self.top && self.worst.last().is_some_and(|w| w.severity <= sev) {
            return;
        }
        let missing: Vec<&str> = r.missing_fixes.iter().map(|m| m.name).collect();
        let row = Row {
            severity: sev,
            target: r.target.clone(),
            build: r.build.clone().unwrap_or_else(|| "-".into()),
            product: [r.product.as_deref(), r.cu.as_deref(), r.update.as_deref()]
                .iter()
                .flatten()
                .map(|s| s.replace("Exchange Server ", ""))
                .collect::<Vec<_>>()
                .join(" "),
            exposure: r.exposure,
            missing: if missing.is_empty() {
                "-".into()
            } else {
                missing.join(", ")
            },
        };
        let pos = self.worst.partition_point(|w| w.severity <= row.severity);
        self.worst.insert(pos, row);
        self.worst.truncate(self.top);
    }

    /// Render as text; `elapsed` in seconds.
    pub fn render(&self, elapsed: f64) -> String {
        let mut s = String::new();
        let rate = if elapsed > 0.0 {
            self.total as f64 / elapsed
        } else {
            0.0
        };
        let _ = writeln!(
            s,
            "exhunt probe: {} targets, {} reachable, {} Exchange; {} requests in {:.1} s ({:.0} targets/s)",
            self.total, self.reachable, self.exchange, self.requests, elapsed, rate
        );
        let _ = writeln!(
            s,
            "\n{:<44} {:>8}",
            "BY PRODUCT (Exchange servers)", "HOSTS"
        );
        for (k, v) in &self.by_product {
            let _ = writeln!(s, "{k:<44} {v:>8}");
        }
        let _ = writeln!(s, "\n{:<44} {:>8}", "BY EXPOSURE (all targets)", "HOSTS");
        for label in [
            "vulnerable",
            "potentially_vulnerable",
            "unknown",
            "patched",
            "not_exchange",
            "unreachable",
            "invalid",
        ] {
            if let Some(v) = self.by_exposure.get(label) {
                let _ = writeln!(s, "{label:<44} {v:>8}");
            }
        }
        if !self.worst.is_empty() {
            let _ = writeln!(s, "\nWORST HOSTS FIRST (top {})", self.top);
            let _ = writeln!(
                s,
                "{:<28} {:<16} {:<22} {:<23} MISSING",
                "TARGET", "BUILD", "PRODUCT", "EXPOSURE"
            );
            for w in &self.worst {
                let _ = writeln!(
                    s,
                    "{:<28} {:<16} {:<22} {:<23} {}",
                    clip(&w.target, 28),
                    w.build,
                    clip(&w.product, 22),
                    w.exposure,
                    w.missing
                );
            }
        }
        s
    }
}

fn clip(s: &str, n: usize) -> String {
    if s.chars().count() <= n {
        s.to_string()
    } else {
        let mut c: String = s.chars().take(n - 1).collect();
        c.push('~');
        c
    }
}
