//! Process trees rebuilt from one log's process-creation events (Sysmon 1, Security 4688), so
//! that rules can ask where a process came from: "a SYSTEM process whose ancestry leads to the
//! IIS worker through a process running as an application-pool identity".
//!
//! While a file is read, every process creation is kept as a compact [`ProcNode`] (ids, image,
//! command line, user). After the file, each node's parent is found: by Sysmon's
//! `ParentProcessGuid`, which names one process exactly; else (Security 4688) the latest earlier
//! creation of its parent process id on the same computer (process ids are reused) — unless the
//! child's own event names a different parent image, which means the parent's creation is not
//! in the log and the id was reused. The chain is walked up to [`MAX_DEPTH`] ancestors. Rules that read the tree fields are evaluated then, on an event
//! built from the node with these fields (names are case-insensitive in rules):
//!
//! | field | value |
//! |---|---|
//! | `Image`, `CommandLine`, `ParentImage`, `ProcessId`, `ParentProcessId`, `User` | the process (4688's `NewProcessName` is `Image` here) |
//! | `_user`, `_user_sid` | the account the process runs as (4688 v2: the target subject when set, else the subject) |
//! | `_parent` | the parent's image |
//! | `_ancestry` | the ancestors' images, nearest first, joined by ` < ` |
//! | `_ancestry_users` | the ancestors' accounts (`DOMAIN\name [SID]`), nearest first, joined by ` < ` |
//! | `_ancestry_records` | the record ids of the ancestors' creation events, nearest first, joined by ` < ` (findings list them as `ancestor_record_ids`); the n-th id is the n-th ancestor's, and the last ancestor has none when its creation is not in the log (it is known from its child's event) |
//!
//! Sysmon names accounts but not their SIDs; the well-known logon sessions give them whatever
//! the system's language (`LogonId` 0x3e7 is SYSTEM, S-1-5-18; 0x3e4 NETWORK SERVICE,
//! S-1-5-20; 0x3e5 LOCAL SERVICE, S-1-5-19), so a rule can test the SID instead of a name that
//! a German or French Windows writes differently.
//!
//! The tree of one file only: a parent created before the log's first record is known by the
//! `ParentImage`/`ParentProcessName` (and Sysmon's `ParentUser`) of its child, not further.

use std::collections::HashMap;
use std::sync::Mutex;

use chrono::{DateTime, Utc};

use crate::event::Event;

/// Ancestors followed at most.
pub const MAX_DEPTH: usize = 16;

/// Process creations kept per file; beyond it tree rules see only the first ones (and the file
/// gets an issue saying so).
pub const MAX_NODES: usize = 250_000;

/// Longest command line kept per node: Windows' own limit (32,767 characters), so that padding
/// a command line cannot push its payload out of a tree rule's sight.
const MAX_CMD: usize = 32 * 1024;

/// Longest image path or account name kept per node (Windows paths are at most 32,767
/// characters; anything longer is padding).
const MAX_NAME: usize = 4 * 1024;

/// Bytes of command lines, images and accounts kept in full per file. Beyond it nodes are
/// still kept, shrunk ([`ProcNode::shrink`]: what linking and tree rules need, the ends of long
/// texts), so that padded launches cannot hide the later ones from the tree rules; beyond twice
/// it, or [`MAX_NODES`], they are dropped and counted. This bounds the tree's memory.
pub const MAX_CMD_BYTES: usize = 64 << 20;

/// Bytes kept of each end of a command line, and of a name, in a shrunk node.
const SHRUNK_CMD_END: usize = 512;
const SHRUNK_NAME: usize = 260;

/// Field names that make a rule a tree rule (lower case).
pub const TREE_FIELDS: &[&str] = &[
    "_ancestry",
    "_ancestry_records",
    "_ancestry_users",
    "_parent",
    "_user",
    "_user_sid",
];

/// One process creation, compact.
#[derive(Debug, Clone)]
pub struct ProcNode {
    /// Record id of the creation event.
    pub record_id: u64,
    /// Creation time.
    pub time: Option<DateTime<Utc>>,
    /// Channel of the creation event.
    pub channel: String,
    /// Event id (1 or 4688).
    pub event_id: u32,
    /// Computer.
    pub computer: String,
    /// Process id.
    pub pid: u64,
    /// Parent (creator) process id.
    pub ppid: u64,
    /// Image path.
    pub image: String,
    /// Command line (capped).
    pub command_line: String,
    /// Account, `DOMAIN\name` where known.
    pub user: String,
    /// Account SID where known.
    pub user_sid: String,
    /// Parent image as the event names it.
    pub parent_image: String,
    /// Parent account as the event names it (Sysmon's `ParentUser`).
    pub parent_user: String,
    /// Sysmon's `ProcessGuid` (empty for 4688).
    pub guid: String,
    /// Sysmon's `ParentProcessGuid` (empty for 4688).
    pub parent_guid: String,
}

/// Parse a process id written in decimal (Sysmon) or `0x` hexadecimal (Security).
fn pid_of(v: Option<&str>) -> Option<u64> {
    let v = v?.trim();
    match v.strip_prefix("0x").or_else(|| v.strip_prefix("0X")) {
        Some(h) => u64::from_str_radix(h, 16).ok(),
        None => v.parse().ok(),
    }
}

/// The SID of a well-known logon session (Sysmon's `LogonId`), whatever the system's language
/// calls its account.
fn well_known_logon_sid(logon_id: Option<&str>) -> Option<&'static str> {
    match pid_of(logon_id)? {
        0x3e7 => Some("S-1-5-18"),
        0x3e4 => Some("S-1-5-20"),
        0x3e5 => Some("S-1-5-19"),
        _ => None,
    }
}

/// A GUID as Sysmon writes it, normalised for comparison (`{…}`, any case); empty stays empty,
/// and so does the all-zero GUID Sysmon writes for an unknown parent.
fn guid_of(v: Option<&str>) -> String {
    let g = v
        .unwrap_or("")
        .trim()
        .trim_matches(|c| c == '{' || c == '}')
        .to_ascii_lowercase();
    if g.bytes().all(|b| b == b'0' || b == b'-') {
        String::new()
    } else {
        g
    }
}

/// The first `n` bytes of `s` (at a character boundary).
fn cap(s: &str, n: usize) -> String {
    if s.len() <= n {
        return s.to_string();
    }
    let mut end = n;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    s[..end].to_string()
}

/// The last `n` bytes of `s` (at a character boundary): for paths, whose file name is what
/// rules and parent links compare, and which padding pushes to the end.
fn cap_tail(s: &str, n: usize) -> String {
    if s.len() <= n {
        return s.to_string();
    }
    let mut start = s.len() - n;
    while !s.is_char_boundary(start) {
        start += 1;
    }
    s[start..].to_string()
}

fn account(domain: Option<&str>, name: Option<&str>) -> String {
    match (domain.filter(|d| !d.is_empty() && *d != "-"), name) {
        (Some(d), Some(n)) if !n.is_empty() && n != "-" => format!("{d}\\{n}"),
        (_, Some(n)) if n != "-" => n.to_string(),
        _ => String::new(),
    }
}

impl ProcNode {
    /// The node of a process-creation event (Sysmon 1 or Security 4688), if it is one.
    pub fn from_event(ev: &Event) -> Option<ProcNode> {
        let sysmon = ev.event_id == 1
            && ev
                .channel
                .eq_ignore_ascii_case(crate::sigma::logsource::SYSMON);
        let security = ev.event_id == 4688 && ev.channel.eq_ignore_ascii_case("Security");
        let mut node = ProcNode {
            record_id: ev.record_id,
            time: ev.timestamp,
            channel: ev.channel.clone(),
            event_id: ev.event_id,
            computer: ev.computer.clone(),
            pid: 0,
            ppid: 0,
            image: String::new(),
            command_line: cap(ev.get("CommandLine").unwrap_or(""), MAX_CMD),
            user: String::new(),
            user_sid: String::new(),
            parent_image: String::new(),
            parent_user: String::new(),
            guid: String::new(),
            parent_guid: String::new(),
        };
        if sysmon {
            node.pid = pid_of(ev.get("ProcessId"))?;
            node.ppid = pid_of(ev.get("ParentProcessId")).unwrap_or(0);
            node.image = cap_tail(ev.get("Image").unwrap_or(""), MAX_NAME);
            node.user = cap(ev.get("User").unwrap_or(""), MAX_NAME);
            node.parent_image = cap_tail(ev.get("ParentImage").unwrap_or(""), MAX_NAME);
            node.parent_user = cap(ev.get("ParentUser").unwrap_or(""), MAX_NAME);
            node.user_sid = well_known_logon_sid(ev.get("LogonId"))
                .unwrap_or("")
                .to_string();
            node.guid = guid_of(ev.get("ProcessGuid"));
            node.parent_guid = guid_of(ev.get("ParentProcessGuid"));
        } else if security {
            node.pid = pid_of(ev.get("NewProcessId"))?;
            node.ppid = pid_of(ev.get("ProcessId")).unwrap_or(0);
            node.image = cap_tail(ev.get("NewProcessName").unwrap_or(""), MAX_NAME);
            node.parent_image = cap_tail(ev.get("ParentProcessName").unwrap_or(""), MAX_NAME);
            // Version 2 names the new process's account as the target subject when it differs
            // from the creator's; the NULL SID there means "the same as the subject".
            let target_sid = ev.get("TargetUserSid").unwrap_or("");
            if !target_sid.is_empty() && target_sid != "S-1-0-0" {
                node.user_sid = cap(target_sid, MAX_NAME);
                node.user = cap(
                    &account(ev.get("TargetDomainName"), ev.get("TargetUserName")),
                    MAX_NAME,
                );
            } else {
                node.user_sid = cap(ev.get("SubjectUserSid").unwrap_or(""), MAX_NAME);
                node.user = cap(
                    &account(ev.get("SubjectDomainName"), ev.get("SubjectUserName")),
                    MAX_NAME,
                );
            }
        } else {
            return None;
        }
        Some(node)
    }

    /// Keep only what linking and tree rules need most: the head and tail of the command
    /// line, the ends of paths, the start of account names.
    fn shrink(&mut self) {
        if self.command_line.len() > 2 * SHRUNK_CMD_END {
            let head = cap(&self.command_line, SHRUNK_CMD_END);
            let tail = cap_tail(&self.command_line, SHRUNK_CMD_END);
            self.command_line = format!("{head}…{tail}");
        }
        self.image = cap_tail(&self.image, SHRUNK_NAME);
        self.parent_image = cap_tail(&self.parent_image, SHRUNK_NAME);
        for name in [&mut self.user, &mut self.parent_user, &mut self.user_sid] {
            *name = cap(name, SHRUNK_NAME);
        }
    }

    /// The text bytes the node holds (what [`MAX_CMD_BYTES`] counts).
    fn bytes(&self) -> usize {
        [
            &self.command_line,
            &self.image,
            &self.user,
            &self.user_sid,
            &self.parent_image,
            &self.parent_user,
            &self.guid,
            &self.parent_guid,
            &self.channel,
            &self.computer,
        ]
        .iter()
        .map(|s| s.len())
        .sum()
    }

    fn user_label(&self) -> String {
        match (self.user.is_empty(), self.user_sid.is_empty()) {
            (false, false) => format!("{} [{}]", self.user, self.user_sid),
            (false, true) => self.user.clone(),
            (true, false) => format!("[{}]", self.user_sid),
            (true, true) => String::new(),
        }
    }
}

/// Process creations of one file, collected while it is read (from several threads).
#[derive(Debug, Default)]
pub struct TreeCollector {
    nodes: Mutex<Vec<ProcNode>>,
    cmd_bytes: std::sync::atomic::AtomicUsize,
    dropped: std::sync::atomic::AtomicU64,
    shrunk: std::sync::atomic::AtomicU64,
}

impl TreeCollector {
    /// Keep the node of `ev` if it is a process creation.
    pub fn add(&self, ev: &Event) {
        let Some(mut node) = ProcNode::from_event(ev) else {
            return;
        };
        let mut nodes = self.nodes.lock().unwrap_or_else(|p| p.into_inner());
        let bytes = self.cmd_bytes.load(std::sync::atomic::Ordering::Relaxed);
        let mut size = node.bytes();
        let over_budget = bytes + size > MAX_CMD_BYTES;
        if over_budget {
            node.shrink();
            size = node.bytes();
        }
        if nodes.len() >= MAX_NODES || bytes + size > 2 * MAX_CMD_BYTES {
            self.dropped
                .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            return;
        }
        if over_budget {
            self.shrunk
                .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        }
        self.cmd_bytes
            .fetch_add(size, std::sync::atomic::Ordering::Relaxed);
        nodes.push(node);
    }

    /// Process creations that were not kept (over [`MAX_NODES`] or [`MAX_CMD_BYTES`]).
    pub fn dropped(&self) -> u64 {
        self.dropped.load(std::sync::atomic::Ordering::Relaxed)
    }

    /// Process creations kept shrunk, over [`MAX_CMD_BYTES`] (the ends of their command
    /// lines, the file names of their paths): tree rules saw them so.
    pub fn shrunk(&self) -> u64 {
        self.shrunk.load(std::sync::atomic::Ordering::Relaxed)
    }

    /// Hand `f` the events tree rules run on: one per process creation, with the tree fields,
    /// in time order, one at a time (each carries up to [`MAX_DEPTH`] ancestors' names: all of
    /// them at once would be many times the log's size).
    pub fn for_each_event(self, mut f: impl FnMut(Event)) {
        let mut nodes = self.nodes.into_inner().unwrap_or_else(|p| p.into_inner());
        nodes.sort_by_key(|n| (n.time, n.record_id));
        // (computer, pid) -> node indexes in time order; (computer, guid) -> node index.
        let mut by_pid: HashMap<(&str, u64), Vec<usize>> = HashMap::new();
        let mut by_guid: HashMap<(&str, &str), usize> = HashMap::new();
        for (i, n) in nodes.iter().enumerate() {
            by_pid
                .entry((n.computer.as_str(), n.pid))
                .or_default()
                .push(i);
            if !n.guid.is_empty() {
                by_guid
                    .entry((n.computer.as_str(), n.guid.as_str()))
                    .or_insert(i);
            }
        }
        let parent_of = |i: usize| -> Option<usize> {
            let n = &nodes[i];
            if !n.parent_guid.is_empty() {
                // The GUID names one process: its creation is in the log or it is not.
                return by_guid
                    .get(&(n.computer.as_str(), n.parent_guid.as_str()))
                    .copied()
                    .filter(|&p| p != i);
            }
            if n.ppid == 0 {
                return None;
            }
            let list = by_pid.get(&(n.computer.as_str(), n.ppid))?;
            // The latest creation of that id before this one (ids are reused)…
            let at = list.partition_point(|&j| j < i);
            let p = list[at.checked_sub(1)?];
            // …if it is the process the child's event names as its parent: another image means
            // the real parent's creation is missing from the log and the id was reused.
            // File names are compared: the same file can be written in other path forms
            // (`\Device\HarddiskVolume2\…`, 8.3 names of its folders).
            let file = |path: &str| path.rsplit(['\\', '/']).next().unwrap_or(path).to_string();
            let (named, image) = (file(&n.parent_image), file(&nodes[p].image));
            (named.is_empty() || image.is_empty() || named.eq_ignore_ascii_case(&image))
                .then_some(p)
        };
        // Each node's parent, once.
        let parents: Vec<Option<usize>> = (0..nodes.len()).map(parent_of).collect();
        let parent_of = |i: usize| parents[i];
        for i in 0..nodes.len() {
            let n = &nodes[i];
            let mut images: Vec<String> = Vec::new();
            let mut users: Vec<String> = Vec::new();
            let mut records: Vec<String> = Vec::new();
            let mut cur = parent_of(i);
            // The parent as the child's own event names it, when its creation is not in the log.
            if cur.is_none() && !n.parent_image.is_empty() {
                images.push(n.parent_image.clone());
                users.push(n.parent_user.clone());
            }
            let mut seen = vec![i];
            while let Some(p) = cur {
                if images.len() >= MAX_DEPTH || seen.contains(&p) {
                    break;
                }
                seen.push(p);
                let pn = &nodes[p];
                images.push(pn.image.clone());
                users.push(pn.user_label());
                records.push(pn.record_id.to_string());
                let next = parent_of(p);
                if next.is_none() && !pn.parent_image.is_empty() && images.len() < MAX_DEPTH {
                    images.push(pn.parent_image.clone());
                    users.push(pn.parent_user.clone());
                }
                cur = next;
            }
            if users.first().is_some_and(String::is_empty) && !n.parent_user.is_empty() {
                users[0] = n.parent_user.clone();
            }
            let parent = images.first().cloned().unwrap_or_default();
            let fields: Vec<(&str, String)> = vec![
                ("Image", n.image.clone()),
                ("CommandLine", n.command_line.clone()),
                ("ProcessId", n.pid.to_string()),
                ("ParentProcessId", n.ppid.to_string()),
                ("ParentImage", parent.clone()),
                ("User", n.user.clone()),
                ("_user", n.user.clone()),
                ("_user_sid", n.user_sid.clone()),
                ("_parent", parent),
                ("_ancestry", images.join(" < ")),
                (
                    "_ancestry_users",
                    users
                        .iter()
                        .filter(|u| !u.is_empty())
                        .cloned()
                        .collect::<Vec<_>>()
                        .join(" < "),
                ),
                ("_ancestry_records", records.join(" < ")),
            ];
            f(Event::synthetic(
                &n.channel,
                n.event_id,
                n.record_id,
                &n.computer,
                n.time,
                &fields,
            ));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn padded_names_are_capped_and_counted_against_the_budget() {
        let huge = format!(r"C:\{}\x.exe", "A".repeat(100_000));
        let ev = Event::synthetic(
            crate::sigma::logsource::SYSMON,
            1,
            7,
            "EX01",
            None,
            &[
                ("ProcessId", "4400".into()),
                ("ParentProcessId", "4300".into()),
                ("Image", huge.clone()),
                ("ParentImage", huge.clone()),
                ("User", huge),
                ("CommandLine", "x".into()),
            ],
        );
        let node = ProcNode::from_event(&ev).unwrap();
        assert_eq!(node.image.len(), MAX_NAME);
        assert_eq!(node.parent_image.len(), MAX_NAME);
        assert_eq!(node.user.len(), MAX_NAME);
        assert!(node.bytes() >= 3 * MAX_NAME);
        // A padded path keeps its file name.
        assert!(
            node.image.ends_with(r"\x.exe"),
            "{}",
            &node.image[node.image.len() - 20..]
        );
        let tree = TreeCollector::default();
        tree.add(&ev);
        assert_eq!(
            tree.cmd_bytes.load(std::sync::atomic::Ordering::Relaxed),
            node.bytes()
        );
    }

    /// Launches padded to the budget do not hide the next ones: over the budget nodes are
    /// shrunk (command line ends, file names kept), and dropped only well beyond it.
    #[test]
    fn padded_launches_shrink_later_nodes_instead_of_dropping_them() {
        let launch = |pid: u64, cmd: String| {
            Event::synthetic(
                crate::sigma::logsource::SYSMON,
                1,
                pid,
                "EX01",
                None,
                &[
                    ("ProcessId", pid.to_string()),
                    ("ParentProcessId", "4300".into()),
                    ("Image", r"C:\Windows\System32\cmd.exe".into()),
                    (
                        "ParentImage",
                        r"C:\Windows\System32\inetsrv\w3wp.exe".into(),
                    ),
                    ("User", r"NT AUTHORITY\SYSTEM".into()),
                    ("CommandLine", cmd),
                ],
            )
        };
        let tree = TreeCollector::default();
        let padded = "A".repeat(MAX_CMD - 100);
        let mut pid = 10_000;
        while tree.cmd_bytes.load(std::sync::atomic::Ordering::Relaxed) < MAX_CMD_BYTES {
            pid += 1;
            tree.add(&launch(pid, padded.clone()));
        }
        let payload = format!("cmd /c {} & whoami /priv", "B".repeat(5000));
        tree.add(&launch(pid + 1, payload));
        assert_eq!(tree.dropped(), 0);
        // Those over the budget, and only those, are counted as shortened: the last padded
        // launches and the payload, not the first 2,000 padded ones.
        let launches = pid + 1 - 10_000;
        assert!(
            (2..launches / 10).contains(&tree.shrunk()),
            "{} of {launches} shortened",
            tree.shrunk()
        );
        let mut last = None;
        tree.for_each_event(|ev| last = Some(ev));
        let last = last.unwrap();
        let cmd = last.get("CommandLine").unwrap();
        assert!(
            cmd.starts_with("cmd /c BBB") && cmd.ends_with("& whoami /priv") && cmd.len() < 1100,
            "{} bytes",
            cmd.len()
        );
        assert_eq!(last.get("Image"), Some(r"C:\Windows\System32\cmd.exe"));
    }
}
