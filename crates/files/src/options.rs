//! What the file hunter scans and how: library options and the command-line flags that
//! produce them.

use std::path::PathBuf;
use std::time::Duration;

/// Options of the file hunter.
#[derive(Debug, Clone)]
pub struct FileOptions {
    /// Scan files at all (`--no-file-scan` turns it off).
    pub enabled: bool,
    /// Scan every file under the root, not only web folders and staging places.
    pub deep: bool,
    /// Files larger than this (bytes) are not read; they are listed as skipped issues and only
    /// the name/location rules run on them.
    pub max_file_size: u64,
    /// Longest time the YARA scan of one file may take.
    pub file_timeout: Duration,
    /// Load the rule pack built into exhunt.
    pub embedded_rules: bool,
    /// User folders (or single files) of YARA rules (`.yar`, `.yara`) and SHA-256 lists
    /// (`*.sha256`, `*.sha256.txt`, or `.txt` files in an `iocs` folder).
    pub yara_paths: Vec<PathBuf>,
}

/// Default size limit: large enough for LSASS dumps and staged archives of a small mailbox.
pub const DEFAULT_MAX_FILE_SIZE: u64 = 256 * 1024 * 1024;

/// Default per-file scan timeout, in seconds.
pub const DEFAULT_FILE_TIMEOUT_SECS: u64 = 30;

impl Default for FileOptions {
    fn default() -> Self {
        FileOptions {
            enabled: true,
            deep: false,
            max_file_size: DEFAULT_MAX_FILE_SIZE,
            file_timeout: Duration::from_secs(DEFAULT_FILE_TIMEOUT_SECS),
            embedded_rules: true,
            yara_paths: Vec::new(),
        }
    }
}

/// The file-scan flags of `exhunt scan` (flatten into the command with `#[command(flatten)]`).
#[derive(Debug, Clone, clap::Args)]
pub struct FileArgs {
    /// Scan every file under the root for web shells and intrusion traces, not only the web
    /// folders, Exchange FrontEnd/ClientAccess and staging places (slower).
    #[arg(long)]
    pub deep: bool,
    /// Largest file read for content checks (e.g. 256MiB, 1G, 500000); larger files are listed
    /// as skipped and only checked by name and location.
    #[arg(long, value_name = "SIZE", default_value = "256MiB", value_parser = parse_size)]
    pub max_file_size: u64,
    /// Per-file YARA scan timeout in seconds.
    #[arg(long, value_name = "SECONDS", default_value_t = DEFAULT_FILE_TIMEOUT_SECS)]
    pub file_timeout: u64,
    /// Also load YARA rules (.yar/.yara, legacy syntax accepted) and SHA-256 lists from this
    /// folder or file; repeatable. A file that does not compile is reported and skipped.
    #[arg(long = "yara", value_name = "DIR")]
    pub yara: Vec<PathBuf>,
    /// Do not scan files (logs and events only).
    #[arg(long)]
    pub no_file_scan: bool,
}

impl FileArgs {
    /// The hunter options these flags stand for.
    pub fn to_options(&self) -> FileOptions {
        FileOptions {
            enabled: !self.no_file_scan,
            deep: self.deep,
            max_file_size: self.max_file_size,
            file_timeout: Duration::from_secs(self.file_timeout.max(1)),
            embedded_rules: true,
            yara_paths: self.yara.clone(),
        }
    }
}

/// Parse a size such as `500000`, `64K`, `256MiB`, `1G` (binary units, case-insensitive).
pub fn parse_size(s: &str) -> Result<u64, String> {
    let t = s.trim();
    let split = t.find(|c: char| !c.is_ascii_digit()).unwrap_or(t.len());
    let (num, unit) = t.split_at(split);
    let n: u64 = num
        .parse()
        .map_err(|_| format!("'{s}' is not a size (e.g. 500000, 64K, 256MiB, 1G)"))?;
    let mult: u64 = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 1,
        "k" | "kb" | "kib" => 1 << 10,
        "m" | "mb" | "mib" => 1 << 20,
        "g" | "gb" | "gib" => 1 << 30,
        other => return Err(format!("unknown size unit '{other}' in '{s}' (K, M, G)")),
    };
    n.checked_mul(mult)
        .ok_or_else(|| format!("size '{s}' is too large"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    #[derive(Parser)]
    struct Cli {
        #[command(flatten)]
        files: FileArgs,
    }

    #[test]
    fn sizes_parse() {
        assert_eq!(parse_size("500000"), Ok(500_000));
        assert_eq!(parse_size("64K"), Ok(64 << 10));
        assert_eq!(parse_size("256MiB"), Ok(256 << 20));
        assert_eq!(parse_size("1g"), Ok(1 << 30));
        assert!(parse_size("12 parsecs").is_err());
        assert!(parse_size("").is_err());
    }

    #[test]
    fn flags_become_options() {
        let cli = Cli::parse_from([
            "x",
            "--deep",
            "--max-file-size",
            "1M",
            "--file-timeout",
            "5",
            "--yara",
            "a",
            "--yara",
            "b",
        ]);
        let o = cli.files.to_options();
        assert!(o.enabled && o.deep);
        assert_eq!(o.max_file_size, 1 << 20);
        assert_eq!(o.file_timeout, Duration::from_secs(5));
        assert_eq!(o.yara_paths.len(), 2);
        let o = Cli::parse_from(["x", "--no-file-scan"]).files.to_options();
        assert!(!o.enabled);
        assert_eq!(o.max_file_size, DEFAULT_MAX_FILE_SIZE);
    }
}
