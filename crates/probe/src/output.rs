//! JSONL output: streaming writes, and `--resume` from a partial file.

use std::collections::HashSet;
use std::fs::{File, OpenOptions};
use std::hash::{DefaultHasher, Hash, Hasher};
use std::io::{BufRead, BufReader, Seek, SeekFrom, Write};
use std::path::Path;

/// 64-bit hash of a target key (memory for `--resume` stays at ~16 bytes per finished target).
pub fn key_hash(key: &str) -> u64 {
    let mut h = DefaultHasher::new();
    key.hash(&mut h);
    h.finish()
}

/// Read the targets already finished in a partial JSONL file and cut off a torn last line.
/// Returns the hashes of finished target keys.
pub fn load_resume(path: &Path) -> anyhow::Result<HashSet<u64>> {
    let mut done = HashSet::new();
    let file = match File::open(path) {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(done),
        Err(e) => {
            return Err(anyhow::anyhow!(
                "cannot read {} for --resume: {e}",
                path.display()
            ))
        }
    };
    let mut reader = BufReader::new(file);
    let mut good_len: u64 = 0;
    let mut line = Vec::new();
    loop {
        line.clear();
        let n = reader.read_until(b'\n', &mut line)?;
        if n == 0 || line.last() != Some(&b'\n') {
            break;
        }
        match serde_json::from_slice::<serde_json::Value>(&line) {
            Ok(v) => {
                if let Some(t) = v.get("target").and_then(|t| t.as_str()) {
                    done.insert(key_hash(t));
                }
                good_len += n as u64;
            }
            Err(_) => break,
        }
    }
    let f = OpenOptions::new().write(true).open(path)?;
    if f.metadata()?.len() != good_len {
        f.set_len(good_len)?;
    }
    Ok(done)
}

/// Where JSON lines go.
pub enum Sink {
    /// Not written.
    None,
    /// Standard output.
    Stdout(std::io::BufWriter<std::io::Stdout>),
    /// A file.
    File(std::io::BufWriter<File>),
}

impl Sink {
    /// Open `path` (`-` = stdout); append when resuming, else truncate.
    pub fn open(path: Option<&Path>, append: bool) -> anyhow::Result<Sink> {
        Ok(match path {
            None => Sink::None,
            Some(p) if p.as_os_str() == "-" => {
                Sink::Stdout(std::io::BufWriter::new(std::io::stdout()))
            }
            Some(p) => {
                let mut f = OpenOptions::new()
                    .create(true)
                    .write(true)
                    .append(append)
                    .truncate(!append)
                    .open(p)
                    .map_err(|e| anyhow::anyhow!("cannot open {}: {e}", p.display()))?;
                if append {
                    f.seek(SeekFrom::End(0))?;
                }
                Sink::File(std::io::BufWriter::with_capacity(64 * 1024, f))
            }
        })
    }

    /// True when JSONL goes to stdout (the summary then goes to stderr).
    pub fn is_stdout(&self) -> bool {
        matches!(self, Sink::Stdout(_))
    }

    /// Write one line.
    pub fn write_line(&mut self, line: &[u8]) -> std::io::Result<()> {
        match self {
            Sink::None => Ok(()),
            Sink::Stdout(w) => w.write_all(line).and_then(|_| w.write_all(b"\n")),
            Sink::File(w) => w.write_all(line).and_then(|_| w.write_all(b"\n")),
        }
    }

    /// Flush buffered lines.
    pub fn flush(&mut self) -> std::io::Result<()> {
        match self {
            Sink::None => Ok(()),
            Sink::Stdout(w) => w.flush(),
            Sink::File(w) => w.flush(),
        }
    }
}
