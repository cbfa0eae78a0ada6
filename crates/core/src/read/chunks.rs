//! Streaming a log file as large regions of whole lines.
//!
//! Searching a big buffer at once (rather than line by line) is what lets the prefilter run at
//! `grep` speed. The reader keeps memory bounded (`chunk` bytes, growing to `max_line` for a
//! single long line), transcodes UTF-16 files to UTF-8 on the fly, strips a UTF-8 byte order
//! mark, and reports lines longer than `max_line` instead of failing.

use std::io::{self, Read};

use encoding_rs::{UTF_16BE, UTF_16LE};
use encoding_rs_io::DecodeReaderBytesBuilder;

/// Default region size.
pub const DEFAULT_CHUNK: usize = 1 << 20;
/// Default longest line kept whole; longer lines are cut and reported.
pub const DEFAULT_MAX_LINE: usize = 8 << 20;

/// The text encoding a file was read in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TextEncoding {
    /// UTF-8 (or ASCII), with or without a byte order mark.
    Utf8,
    /// UTF-16 little-endian, transcoded.
    Utf16Le,
    /// UTF-16 big-endian, transcoded.
    Utf16Be,
}

/// Sniff the encoding from the first bytes of a file.
pub fn sniff_encoding(head: &[u8]) -> TextEncoding {
    match head {
        [0xFF, 0xFE, ..] => TextEncoding::Utf16Le,
        [0xFE, 0xFF, ..] => TextEncoding::Utf16Be,
        // No BOM, but ASCII text in UTF-16 has every other byte zero.
        [a, 0, b, 0, ..] if *a != 0 && *b != 0 => TextEncoding::Utf16Le,
        [0, a, 0, b, ..] if *a != 0 && *b != 0 => TextEncoding::Utf16Be,
        _ => TextEncoding::Utf8,
    }
}

/// Wrap a reader so that it yields UTF-8, whatever `encoding` the file uses.
pub fn utf8_reader<R: Read + 'static>(inner: R, encoding: TextEncoding) -> Box<dyn Read> {
    match encoding {
        TextEncoding::Utf8 => Box::new(inner),
        TextEncoding::Utf16Le => Box::new(
            DecodeReaderBytesBuilder::new()
                .encoding(Some(UTF_16LE))
                .bom_override(true)
                .build(inner),
        ),
        TextEncoding::Utf16Be => Box::new(
            DecodeReaderBytesBuilder::new()
                .encoding(Some(UTF_16BE))
                .bom_override(true)
                .build(inner),
        ),
    }
}

/// A run of whole lines handed to the caller.
#[derive(Debug)]
pub struct Region<'a> {
    /// The bytes: complete lines, each ending in `\n` except perhaps the last of the file.
    pub bytes: &'a [u8],
    /// 1-based number of the first line in `bytes`.
    pub first_line: u64,
    /// True for the first region of the file.
    pub at_file_start: bool,
    /// True when the last line has no newline because the file ended (maybe truncated).
    pub unterminated_tail: bool,
    /// True when `bytes` is the first `max_line` bytes of a single over-long line.
    pub oversized_line: bool,
}

/// Reads a stream as [`Region`]s.
pub struct ChunkReader<R: Read> {
    inner: R,
    buf: Vec<u8>,
    len: usize,
    consumed: usize,
    eof: bool,
    next_line: u64,
    started: bool,
    max_line: usize,
    skipping_long_line: bool,
    /// Bytes read from the stream so far.
    pub bytes_read: u64,
}

impl<R: Read> ChunkReader<R> {
    /// A reader with the given region size and longest line.
    pub fn new(inner: R, chunk: usize, max_line: usize) -> Self {
        ChunkReader {
            inner,
            buf: vec![0; chunk.max(4)],
            len: 0,
            consumed: 0,
            eof: false,
            next_line: 1,
            started: false,
            max_line: max_line.max(chunk.max(4)),
            skipping_long_line: false,
            bytes_read: 0,
        }
    }

    /// The number of lines handed out so far.
    pub fn lines(&self) -> u64 {
        self.next_line - 1
    }

    fn fill(&mut self) -> io::Result<()> {
        // Move the unconsumed tail to the front.
        if self.consumed > 0 {
            self.buf.copy_within(self.consumed..self.len, 0);
            self.len -= self.consumed;
            self.consumed = 0;
        }
        while self.len < self.buf.len() && !self.eof {
            match self.inner.read(&mut self.buf[self.len..]) {
                Ok(0) => self.eof = true,
                Ok(n) => {
                    self.len += n;
                    self.bytes_read += n as u64;
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
        Ok(())
    }

    /// The next region, or `None` at the end of the stream.
    pub fn next_region(&mut self) -> io::Result<Option<Region<'_>>> {
        loop {
            self.fill()?;
            if self.skipping_long_line {
                // Drop the rest of an over-long line that was already reported.
                match memchr::memchr(b'\n', &self.buf[..self.len]) {
                    Some(i) => {
                        self.consumed = i + 1;
                        self.skipping_long_line = false;
                        self.next_line += 1;
                        continue;
                    }
                    None if self.eof => {
                        self.len = 0;
                        self.skipping_long_line = false;
                        self.next_line += 1;
                        return Ok(None);
                    }
                    None => {
                        self.consumed = self.len;
                        continue;
                    }
                }
            }
            let mut start = 0;
            let at_file_start = !self.started;
            if at_file_start && self.buf[..self.len].starts_with(&[0xEF, 0xBB, 0xBF]) {
                start = 3;
            }
            if self.len == start {
                if self.eof {
                    return Ok(None);
                }
                continue;
            }
            let data = &self.buf[start..self.len];
            let end = match memchr::memrchr(b'\n', data) {
                _ if self.eof => data.len(),
                Some(i) => i + 1,
                None if self.len < self.buf.len() => continue,
                None if self.buf.len() < self.max_line => {
                    let grow = (self.buf.len() * 2).min(self.max_line);
                    self.buf.resize(grow, 0);
                    continue;
                }
                None => {
                    // A single line longer than max_line: hand out its head, skip the rest.
                    self.started = true;
                    self.skipping_long_line = true;
                    self.consumed = self.len;
                    let first_line = self.next_line;
                    return Ok(Some(Region {
                        bytes: &self.buf[start..self.len],
                        first_line,
                        at_file_start,
                        unterminated_tail: false,
                        oversized_line: true,
                    }));
                }
            };
            self.started = true;
            let bytes = &self.buf[start..start + end];
            let first_line = self.next_line;
            let newlines = memchr::memchr_iter(b'\n', bytes).count() as u64;
            let unterminated_tail = bytes.last() != Some(&b'\n');
            self.next_line += newlines + u64::from(unterminated_tail);
            self.consumed = start + end;
            return Ok(Some(Region {
                bytes,
                first_line,
                at_file_start,
                unterminated_tail,
                oversized_line: false,
            }));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn regions(data: &[u8], chunk: usize, max_line: usize) -> Vec<(String, u64, bool, bool)> {
        let mut r = ChunkReader::new(data, chunk, max_line);
        let mut out = Vec::new();
        while let Some(reg) = r.next_region().unwrap() {
            out.push((
                String::from_utf8_lossy(reg.bytes).into_owned(),
                reg.first_line,
                reg.unterminated_tail,
                reg.oversized_line,
            ));
        }
        out
    }

    #[test]
    fn splits_on_line_boundaries_and_counts_lines() {
        let data = b"aaaa\nbbbb\ncccc\ndd";
        let got = regions(data, 64, 64);
        assert_eq!(got, vec![("aaaa\nbbbb\ncccc\ndd".into(), 1, true, false)]);
        let got = regions(data, 8, 64);
        let joined: String = got.iter().map(|g| g.0.clone()).collect();
        assert_eq!(joined, "aaaa\nbbbb\ncccc\ndd");
        assert_eq!(got.last().unwrap().1, 3, "{got:?}");
        assert_eq!(got.len(), 3);
        assert!(got.last().unwrap().2);
    }

    #[test]
    fn strips_utf8_bom_only_at_start() {
        let got = regions(b"\xEF\xBB\xBF#Fields: a\n1\n", 64, 64);
        assert_eq!(got[0].0, "#Fields: a\n1\n");
    }

    #[test]
    fn oversized_line_is_cut_and_reported_then_reading_goes_on() {
        let mut data = vec![b'x'; 300];
        data.extend_from_slice(b"\nnext\n");
        let got = regions(&data, 64, 128);
        assert!(got[0].3, "first region must be the oversized head");
        assert_eq!(got[0].0.len(), 128);
        assert_eq!(got[0].1, 1);
        let last = got.last().unwrap();
        assert_eq!(last.0, "next\n");
        assert_eq!(last.1, 2);
    }

    #[test]
    fn utf16_is_detected_and_transcoded() {
        let text = "#Fields: date time\n2021-03-03 00:00:00\n";
        let mut bytes = vec![0xFF, 0xFE];
        for u in text.encode_utf16() {
            bytes.extend_from_slice(&u.to_le_bytes());
        }
        assert_eq!(sniff_encoding(&bytes), TextEncoding::Utf16Le);
        assert_eq!(sniff_encoding(&bytes[2..]), TextEncoding::Utf16Le);
        let mut s = String::new();
        utf8_reader(std::io::Cursor::new(bytes), TextEncoding::Utf16Le)
            .read_to_string(&mut s)
            .unwrap();
        assert_eq!(s, text);
        assert_eq!(sniff_encoding(b"#Fields"), TextEncoding::Utf8);
    }
}
