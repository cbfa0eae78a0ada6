//! A small EVTX writer, for test fixtures and benchmark data: real file header, 64 KiB chunks
//! with CRC32s, event records whose BinXML is a template instance with an inline template
//! definition and typed substitution values — the shape Windows writes. Files it writes are
//! read back by the `evtx` crate in the tests.
//!
//! Names are written inline (each element's name right after its reference) and the chunk's
//! string and template tables are left empty, which readers resolve by offset.

use chrono::{DateTime, Utc};

const FILE_HEADER_SIZE: usize = 4096;
const CHUNK_SIZE: usize = 65536;
const CHUNK_HEADER_SIZE: usize = 512;

/// One event to write.
#[derive(Debug, Clone)]
pub struct WriterEvent {
    /// `System/Provider/@Name`.
    pub provider: String,
    /// `System/EventID`.
    pub event_id: u16,
    /// `System/Level`.
    pub level: u8,
    /// `System/Channel`.
    pub channel: String,
    /// `System/Computer`.
    pub computer: String,
    /// `System/TimeCreated/@SystemTime` and the record header time.
    pub time: DateTime<Utc>,
    /// EventData: `(Some(name), value)` for `<Data Name="…">`, `(None, value)` for unnamed data.
    pub data: Vec<(Option<String>, String)>,
    /// UserData instead of EventData: (root element, [(leaf, value)]).
    pub user_data: Option<(String, Vec<(String, String)>)>,
}

impl WriterEvent {
    /// An event with named EventData.
    pub fn new(
        channel: &str,
        provider: &str,
        event_id: u16,
        computer: &str,
        time: DateTime<Utc>,
        data: &[(&str, &str)],
    ) -> WriterEvent {
        WriterEvent {
            provider: provider.into(),
            event_id,
            level: 4,
            channel: channel.into(),
            computer: computer.into(),
            time,
            data: data
                .iter()
                .map(|(k, v)| (Some(k.to_string()), v.to_string()))
                .collect(),
            user_data: None,
        }
    }
}

/// Builds an EVTX file in memory.
#[derive(Debug)]
pub struct EvtxWriter {
    chunks: Vec<Vec<u8>>,
    cur: Vec<u8>,
    first_id: u64,
    last_id: u64,
    last_offset: u32,
    next_id: u64,
}

impl Default for EvtxWriter {
    fn default() -> Self {
        Self::new()
    }
}

impl EvtxWriter {
    /// An empty log whose first record id is 1.
    pub fn new() -> EvtxWriter {
        EvtxWriter {
            chunks: vec![],
            cur: vec![0; CHUNK_HEADER_SIZE],
            first_id: 1,
            last_id: 0,
            last_offset: 0,
            next_id: 1,
        }
    }

    /// Append one event; returns its record id.
    pub fn add(&mut self, ev: &WriterEvent) -> u64 {
        let id = self.next_id;
        let mut rec = record(ev, id, self.cur.len() as u32);
        if self.cur.len() + rec.len() > CHUNK_SIZE {
            self.close_chunk();
            rec = record(ev, id, self.cur.len() as u32);
            assert!(
                rec.len() <= CHUNK_SIZE - CHUNK_HEADER_SIZE,
                "event too large for a chunk"
            );
        }
        if self.last_id < self.first_id {
            self.first_id = id;
        }
        self.last_offset = self.cur.len() as u32;
        self.cur.extend_from_slice(&rec);
        self.last_id = id;
        self.next_id += 1;
        id
    }

    fn close_chunk(&mut self) {
        if self.last_id < self.first_id {
            return;
        }
        let mut c = std::mem::replace(&mut self.cur, vec![0; CHUNK_HEADER_SIZE]);
        let free = c.len() as u32;
        c.resize(CHUNK_SIZE, 0);
        c[..8].copy_from_slice(b"ElfChnk\0");
        c[8..16].copy_from_slice(&self.first_id.to_le_bytes());
        c[16..24].copy_from_slice(&self.last_id.to_le_bytes());
        c[24..32].copy_from_slice(&self.first_id.to_le_bytes());
        c[32..40].copy_from_slice(&self.last_id.to_le_bytes());
        c[40..44].copy_from_slice(&128u32.to_le_bytes());
        c[44..48].copy_from_slice(&self.last_offset.to_le_bytes());
        c[48..52].copy_from_slice(&free.to_le_bytes());
        let data_crc = crc32fast::hash(&c[CHUNK_HEADER_SIZE..free as usize]);
        c[52..56].copy_from_slice(&data_crc.to_le_bytes());
        let mut h = crc32fast::Hasher::new();
        h.update(&c[..120]);
        h.update(&c[128..512]);
        let header_crc = h.finalize();
        c[124..128].copy_from_slice(&header_crc.to_le_bytes());
        self.chunks.push(c);
        self.first_id = self.next_id;
    }

    /// The finished file.
    pub fn finish(mut self) -> Vec<u8> {
        self.close_chunk();
        let n = self.chunks.len() as u64;
        let mut out = vec![0u8; FILE_HEADER_SIZE];
        out[..8].copy_from_slice(b"ElfFile\0");
        out[8..16].copy_from_slice(&0u64.to_le_bytes());
        out[16..24].copy_from_slice(&n.saturating_sub(1).to_le_bytes());
        out[24..32].copy_from_slice(&self.next_id.to_le_bytes());
        out[32..36].copy_from_slice(&128u32.to_le_bytes());
        out[36..38].copy_from_slice(&2u16.to_le_bytes());
        out[38..40].copy_from_slice(&3u16.to_le_bytes());
        out[40..42].copy_from_slice(&4096u16.to_le_bytes());
        out[42..44].copy_from_slice(&(n as u16).to_le_bytes());
        let crc = crc32fast::hash(&out[..120]);
        out[124..128].copy_from_slice(&crc.to_le_bytes());
        for c in self.chunks {
            out.extend_from_slice(&c);
        }
        out
    }
}

/// BinXML value types used here.
const T_STRING: u8 = 0x01;
const T_U8: u8 = 0x04;
const T_U16: u8 = 0x06;
const T_U64: u8 = 0x0a;
const T_FILETIME: u8 = 0x11;

/// Builds a template body and its substitution values, tracking chunk offsets.
struct Bx {
    buf: Vec<u8>,
    base: u32,
    values: Vec<(u8, Vec<u8>)>,
}

impl Bx {
    fn pos(&self) -> u32 {
        self.base + self.buf.len() as u32
    }
    fn u8(&mut self, v: u8) {
        self.buf.push(v);
    }
    fn u16(&mut self, v: u16) {
        self.buf.extend_from_slice(&v.to_le_bytes());
    }
    fn u32(&mut self, v: u32) {
        self.buf.extend_from_slice(&v.to_le_bytes());
    }
    fn name(&mut self, name: &str) {
        let at = self.pos() + 4;
        self.u32(at);
        self.u32(0); // next string
        self.u16(0); // hash (not checked by readers)
        let units: Vec<u16> = name.encode_utf16().collect();
        self.u16(units.len() as u16);
        for u in units {
            self.u16(u);
        }
        self.u16(0);
    }
    fn open(&mut self, name: &str, has_attrs: bool) {
        self.u8(if has_attrs { 0x41 } else { 0x01 });
        self.u16(0xffff);
        self.u32(0); // data size (not needed by readers)
        self.name(name);
        if has_attrs {
            self.u32(0); // attribute list size
        }
    }
    fn subst(&mut self, ty: u8, bytes: Vec<u8>) {
        let idx = self.values.len() as u16;
        self.values.push((ty, bytes));
        self.u8(0x0d);
        self.u16(idx);
        self.u8(ty);
    }
    fn attr(&mut self, name: &str, more: bool, ty: u8, bytes: Vec<u8>) {
        self.u8(if more { 0x46 } else { 0x06 });
        self.name(name);
        self.subst(ty, bytes);
    }
    fn text_element(&mut self, name: &str, ty: u8, bytes: Vec<u8>) {
        self.open(name, false);
        self.u8(0x02);
        self.subst(ty, bytes);
        self.u8(0x04);
    }
}

fn utf16(s: &str) -> Vec<u8> {
    s.encode_utf16().flat_map(u16::to_le_bytes).collect()
}

fn filetime(t: DateTime<Utc>) -> u64 {
    let unix_100ns =
        t.timestamp() as i128 * 10_000_000 + i128::from(t.timestamp_subsec_nanos() / 100);
    (unix_100ns + 116_444_736_000_000_000) as u64
}

/// One record (header, BinXML, size copy) to be placed at chunk offset `at`.
fn record(ev: &WriterEvent, id: u64, at: u32) -> Vec<u8> {
    // BinXML starts 24 bytes into the record.
    let bin_at = at + 24;
    let mut head = Vec::new();
    head.extend_from_slice(&[0x0f, 1, 1, 0, 0x0c, 1]);
    head.extend_from_slice(&(id as u32).to_le_bytes()); // template id
    let def_at = bin_at + head.len() as u32 + 4;
    head.extend_from_slice(&def_at.to_le_bytes());
    // Template definition header: next offset, GUID, data size (filled below).
    let body_at = def_at + 24;
    let mut bx = Bx {
        buf: Vec::new(),
        base: body_at,
        values: Vec::new(),
    };
    bx.buf.extend_from_slice(&[0x0f, 1, 1, 0]);
    bx.open("Event", true);
    bx.u8(0x06);
    bx.name("xmlns");
    bx.u8(0x05);
    bx.u8(T_STRING);
    let ns = "http://schemas.microsoft.com/win/2004/08/events/event";
    bx.u16(ns.encode_utf16().count() as u16);
    bx.buf.extend_from_slice(&utf16(ns));
    bx.u8(0x02);
    bx.open("System", false);
    bx.u8(0x02);
    bx.open("Provider", true);
    bx.attr("Name", false, T_STRING, utf16(&ev.provider));
    bx.u8(0x03);
    bx.text_element("EventID", T_U16, ev.event_id.to_le_bytes().to_vec());
    bx.text_element("Level", T_U8, vec![ev.level]);
    bx.open("TimeCreated", true);
    bx.attr(
        "SystemTime",
        false,
        T_FILETIME,
        filetime(ev.time).to_le_bytes().to_vec(),
    );
    bx.u8(0x03);
    bx.text_element("EventRecordID", T_U64, id.to_le_bytes().to_vec());
    bx.text_element("Channel", T_STRING, utf16(&ev.channel));
    bx.text_element("Computer", T_STRING, utf16(&ev.computer));
    bx.u8(0x04); // </System>
    if let Some((root, leaves)) = &ev.user_data {
        bx.open("UserData", false);
        bx.u8(0x02);
        bx.open(root, false);
        bx.u8(0x02);
        for (k, v) in leaves {
            bx.text_element(k, T_STRING, utf16(v));
        }
        bx.u8(0x04);
        bx.u8(0x04);
    } else if !ev.data.is_empty() {
        bx.open("EventData", false);
        bx.u8(0x02);
        for (name, value) in &ev.data {
            match name {
                Some(n) => {
                    bx.open("Data", true);
                    bx.u8(0x06);
                    bx.name("Name");
                    bx.u8(0x05);
                    bx.u8(T_STRING);
                    bx.u16(n.encode_utf16().count() as u16);
                    bx.buf.extend_from_slice(&utf16(n));
                }
                None => bx.open("Data", false),
            }
            bx.u8(0x02);
            bx.subst(T_STRING, utf16(value));
            bx.u8(0x04);
        }
        bx.u8(0x04);
    }
    bx.u8(0x04); // </Event>
    bx.u8(0x00); // EOF
    let mut bin = head;
    bin.extend_from_slice(&0u32.to_le_bytes()); // next template
    let mut guid = [0u8; 16];
    guid[..8].copy_from_slice(&id.to_le_bytes());
    guid[8..].copy_from_slice(b"exhuntT\0");
    bin.extend_from_slice(&guid);
    bin.extend_from_slice(&(bx.buf.len() as u32).to_le_bytes());
    bin.extend_from_slice(&bx.buf);
    bin.extend_from_slice(&(bx.values.len() as u32).to_le_bytes());
    for (ty, bytes) in &bx.values {
        bin.extend_from_slice(&(bytes.len() as u16).to_le_bytes());
        bin.push(*ty);
        bin.push(0);
    }
    for (_, bytes) in &bx.values {
        bin.extend_from_slice(bytes);
    }
    // Keep records 8-byte aligned, as Windows does.
    let total = 24 + bin.len() + 4;
    let pad = (8 - total % 8) % 8;
    bin.extend(std::iter::repeat_n(0u8, pad));
    let size = (24 + bin.len() + 4) as u32;
    let mut out = Vec::with_capacity(size as usize);
    out.extend_from_slice(&[0x2a, 0x2a, 0, 0]);
    out.extend_from_slice(&size.to_le_bytes());
    out.extend_from_slice(&id.to_le_bytes());
    out.extend_from_slice(&filetime(ev.time).to_le_bytes());
    out.extend_from_slice(&bin);
    out.extend_from_slice(&size.to_le_bytes());
    out
}
