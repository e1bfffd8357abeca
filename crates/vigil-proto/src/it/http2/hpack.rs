//! HPACK header decoding (RFC 7541) with Suricata 7's semantics.
//!
//! Suricata keeps what a header block decodes to, field by field, errors
//! included (an index past the tables, index 0, an integer overflow), and
//! logs it so; its dynamic table follows the RFC with two twists kept here:
//! a `SETTINGS_HEADER_TABLE_SIZE` above 64 KiB only keeps the first entries
//! ("best effort", `HTTP2_MAX_TABLESIZE`), and a table size update
//! evicts at once but takes effect as the table's size only after the
//! whole block (the largest update of the block wins). Huffman strings
//! decode leniently (see [`super::huffman`]).
//!
//! Memory is bounded: the table never stores more than [`MAX_TABLE_SIZE`]
//! bytes of entries whatever size the peer announces (Suricata only bounds
//! it for SETTINGS), and strings are at most a frame long.

use std::collections::VecDeque;
use std::sync::Arc;

use super::huffman;

/// Shared bytes: header names and values referenced by the dynamic table
/// and by every field decoded from it are one allocation.
pub(crate) type Bytes = Arc<[u8]>;

/// Dynamic table bytes (RFC sizes: name + value + 32) Suricata keeps at
/// most when the peer allows more (`HTTP2_MAX_TABLESIZE`).
pub(crate) const MAX_TABLE_SIZE: usize = 65536;

/// Default `SETTINGS_HEADER_TABLE_SIZE`.
const DEFAULT_TABLE_SIZE: usize = 4096;

/// Entries of the static table.
const STATIC_ENTRIES: u64 = 61;

#[rustfmt::skip]
static STATIC: [(&str, &str); 61] = [
    (":authority", ""), (":method", "GET"), (":method", "POST"), (":path", "/"),
    (":path", "/index.html"), (":scheme", "http"), (":scheme", "https"),
    (":status", "200"), (":status", "204"), (":status", "206"), (":status", "304"),
    (":status", "400"), (":status", "404"), (":status", "500"), ("accept-charset", ""),
    ("accept-encoding", "gzip, deflate"), ("accept-language", ""), ("accept-ranges", ""),
    ("accept", ""), ("access-control-allow-origin", ""), ("age", ""), ("allow", ""),
    ("authorization", ""), ("cache-control", ""), ("content-disposition", ""),
    ("content-encoding", ""), ("content-language", ""), ("content-length", ""),
    ("content-location", ""), ("content-range", ""), ("content-type", ""), ("cookie", ""),
    ("date", ""), ("etag", ""), ("expect", ""), ("expires", ""), ("from", ""), ("host", ""),
    ("if-match", ""), ("if-modified-since", ""), ("if-none-match", ""), ("if-range", ""),
    ("if-unmodified-since", ""), ("last-modified", ""), ("link", ""), ("location", ""),
    ("max-forwards", ""), ("proxy-authenticate", ""), ("proxy-authorization", ""),
    ("range", ""), ("referer", ""), ("refresh", ""), ("retry-after", ""), ("server", ""),
    ("set-cookie", ""), ("strict-transport-security", ""), ("transfer-encoding", ""),
    ("user-agent", ""), ("vary", ""), ("via", ""), ("www-authenticate", ""),
];

/// A field that did not decode to a header, as Suricata names it in EVE
/// (`{"error": "HTTP2HeaderDecodeNotIndexed"}`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum FieldError {
    /// An index past the static and dynamic tables.
    NotIndexed,
    /// An integer that does not fit 64 bits: decoding stops there.
    IntegerOverflow,
    /// Index 0.
    Index0,
}

impl FieldError {
    pub(crate) fn name(self) -> &'static str {
        match self {
            FieldError::NotIndexed => "HTTP2HeaderDecodeNotIndexed",
            FieldError::IntegerOverflow => "HTTP2HeaderDecodeIntegerOverflow",
            FieldError::Index0 => "HTTP2HeaderDecodeIndex0",
        }
    }
}

/// One decoded header.
#[derive(Clone, Debug)]
pub(crate) struct Header {
    pub name: Bytes,
    pub value: Bytes,
    /// The name is a dynamic-table entry's (indexed from it, or inserted
    /// into it): Suricata logs such a name once per header block.
    pub shared: bool,
}

/// One field of a header block.
#[derive(Clone, Debug)]
pub(crate) enum Field {
    Header(Header),
    /// A dynamic table size update.
    SizeUpdate(u64),
    Error(FieldError),
}

/// One direction's dynamic table (the decoder of what that side sends).
#[derive(Debug)]
pub(crate) struct DynTable {
    /// Oldest first.
    entries: VecDeque<(Bytes, Bytes)>,
    /// Suricata's running size: what was added (stored or not) less what
    /// was evicted.
    current_size: usize,
    /// Size of the entries actually stored.
    stored: usize,
    pub max_size: usize,
    /// 0: the table's size fits; 1: the peer announced more than
    /// [`MAX_TABLE_SIZE`], entries are kept while they fit; 2: one did not
    /// fit, no more are kept.
    pub overflow: u8,
}

impl Default for DynTable {
    fn default() -> Self {
        DynTable {
            entries: VecDeque::new(),
            current_size: 0,
            stored: 0,
            max_size: DEFAULT_TABLE_SIZE,
            overflow: 0,
        }
    }
}

fn entry_size(name: &[u8], value: &[u8]) -> usize {
    32usize
        .saturating_add(name.len())
        .saturating_add(value.len())
}

impl DynTable {
    /// Number of entries.
    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.entries.len()
    }

    /// `SETTINGS_HEADER_TABLE_SIZE` announced by the peer.
    pub(crate) fn set_settings_size(&mut self, size: u32) {
        self.max_size = size as usize;
        self.overflow = u8::from(size as usize > MAX_TABLE_SIZE);
    }

    /// Evicts the oldest entries while `limit` is exceeded.
    fn evict_to(&mut self, limit: usize) {
        while self.current_size > limit {
            let Some((n, v)) = self.entries.pop_front() else {
                break;
            };
            let size = entry_size(&n, &v);
            self.current_size = self.current_size.saturating_sub(size);
            self.stored = self.stored.saturating_sub(size);
        }
    }

    /// Adds an entry as Suricata does; returns whether it is stored.
    fn insert(&mut self, name: &Bytes, value: &Bytes) -> bool {
        let size = entry_size(name, value);
        self.current_size = self.current_size.saturating_add(size);
        let mut keep = match self.overflow {
            0 => true,
            1 => {
                if self.current_size <= MAX_TABLE_SIZE {
                    true
                } else {
                    if self.current_size > self.max_size {
                        self.overflow = 2;
                    }
                    false
                }
            }
            _ => false,
        };
        // vigil's bound, whatever size updates announced.
        if self.stored.saturating_add(size) > MAX_TABLE_SIZE {
            keep = false;
        }
        if keep {
            self.entries.push_back((name.clone(), value.clone()));
            self.stored += size;
        }
        self.evict_to(self.max_size);
        keep && self
            .entries
            .back()
            .is_some_and(|(n, _)| Arc::ptr_eq(n, name))
    }

    /// Entry `index` (62 = the newest).
    fn get(&self, index: u64) -> Option<&(Bytes, Bytes)> {
        let back = usize::try_from(index.checked_sub(STATIC_ENTRIES)?).ok()?;
        let pos = self.entries.len().checked_sub(back)?;
        self.entries.get(pos)
    }
}

/// Why decoding a block stopped before its end.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Stop {
    /// The block was decoded to its end.
    End,
    /// The field at this offset is cut short.
    Incomplete(usize),
    /// An integer overflowed in the field at this offset (an
    /// [`FieldError::IntegerOverflow`] field was added); the rest is left.
    Overflow(usize),
}

enum Fail {
    Incomplete,
    Overflow,
}

/// Decodes header block bytes, appending at most `keep` fields to `out`
/// (further fields are decoded, so that the table stays right, and
/// dropped). Returns where it stopped.
pub(crate) fn decode(data: &[u8], table: &mut DynTable, out: &mut Vec<Field>, keep: usize) -> Stop {
    let mut pos = 0;
    while pos < data.len() {
        let start = pos;
        match field(data, &mut pos, table) {
            Ok(f) => {
                if out.len() < keep {
                    out.push(f);
                }
            }
            Err(Fail::Incomplete) => return Stop::Incomplete(start),
            Err(Fail::Overflow) => {
                if out.len() < keep {
                    out.push(Field::Error(FieldError::IntegerOverflow));
                }
                return Stop::Overflow(start);
            }
        }
    }
    Stop::End
}

/// The largest table size update among `fields`, if any (Suricata sets the
/// table's size to it once the block is decoded).
pub(crate) fn size_update(fields: &[Field]) -> Option<u64> {
    fields
        .iter()
        .filter_map(|f| match f {
            Field::SizeUpdate(n) => Some(*n),
            _ => None,
        })
        .max()
}

fn field(data: &[u8], pos: &mut usize, table: &mut DynTable) -> Result<Field, Fail> {
    let first = *data.get(*pos).ok_or(Fail::Incomplete)?;
    if first & 0x80 != 0 {
        let index = varint(data, pos, 7)?;
        return Ok(indexed(index, table));
    }
    if first & 0x40 != 0 {
        let index = varint(data, pos, 6)?;
        let (name, shared) = literal_name(data, pos, index, table)?;
        let value = string(data, pos)?;
        let stored = table.insert(&name, &value);
        return Ok(Field::Header(Header {
            name,
            value,
            shared: shared || stored,
        }));
    }
    if first & 0x20 != 0 {
        let size = varint(data, pos, 5)?;
        if (size as usize) < table.max_size {
            table.evict_to(size as usize);
        }
        return Ok(Field::SizeUpdate(size));
    }
    // Without indexing (0000) and never indexed (0001).
    let index = varint(data, pos, 4)?;
    let (name, shared) = literal_name(data, pos, index, table)?;
    let value = string(data, pos)?;
    Ok(Field::Header(Header {
        name,
        value,
        shared,
    }))
}

fn indexed(index: u64, table: &DynTable) -> Field {
    if index == 0 {
        return Field::Error(FieldError::Index0);
    }
    if let Some((n, v)) = static_entry(index) {
        return Field::Header(Header {
            name: Arc::from(n.as_bytes()),
            value: Arc::from(v.as_bytes()),
            shared: false,
        });
    }
    match table.get(index) {
        Some((n, v)) => Field::Header(Header {
            name: n.clone(),
            value: v.clone(),
            shared: true,
        }),
        None => Field::Error(FieldError::NotIndexed),
    }
}

fn static_entry(index: u64) -> Option<(&'static str, &'static str)> {
    let i = usize::try_from(index.checked_sub(1)?).ok()?;
    STATIC.get(i).copied()
}

/// The name of a literal field: a string when `index` is 0, else the
/// indexed entry's name (an index past the tables gives an empty name, as
/// in Suricata).
fn literal_name(
    data: &[u8],
    pos: &mut usize,
    index: u64,
    table: &DynTable,
) -> Result<(Bytes, bool), Fail> {
    if index == 0 {
        return Ok((string(data, pos)?, false));
    }
    if let Some((n, _)) = static_entry(index) {
        return Ok((Arc::from(n.as_bytes()), false));
    }
    Ok(match table.get(index) {
        Some((n, _)) => (n.clone(), true),
        None => (Arc::from(&b""[..]), false),
    })
}

/// An HPACK integer with an `n`-bit prefix, as Suricata reads it: more
/// than 9 continuation bytes (or 9 and a final byte above 1) read as 0, a
/// sum past 64 bits is an overflow.
fn varint(data: &[u8], pos: &mut usize, n: u32) -> Result<u64, Fail> {
    let max = (1u64 << n) - 1;
    let first = *data.get(*pos).ok_or(Fail::Incomplete)?;
    *pos += 1;
    let prefix = u64::from(first) & max;
    if prefix < max {
        return Ok(prefix);
    }
    let start = *pos;
    while data.get(*pos).ok_or(Fail::Incomplete)? & 0x80 != 0 {
        *pos += 1;
    }
    let cont = data.get(start..*pos).unwrap_or(&[]);
    let last = u64::from(*data.get(*pos).ok_or(Fail::Incomplete)?);
    *pos += 1;
    if cont.len() > 9 || (cont.len() == 9 && last > 1) {
        return Ok(0);
    }
    let mut value = max;
    for (i, &b) in cont.iter().enumerate() {
        value = value.wrapping_add(u64::from(b & 0x7f) << (7 * i));
    }
    value
        .checked_add(last << (7 * cont.len()))
        .ok_or(Fail::Overflow)
}

/// A string literal (Huffman-coded or not).
fn string(data: &[u8], pos: &mut usize) -> Result<Bytes, Fail> {
    let huffman = data.get(*pos).ok_or(Fail::Incomplete)? & 0x80 != 0;
    let len = varint(data, pos, 7)?;
    let len = usize::try_from(len).map_err(|_| Fail::Incomplete)?;
    let end = pos.checked_add(len).ok_or(Fail::Incomplete)?;
    let raw = data.get(*pos..end).ok_or(Fail::Incomplete)?;
    *pos = end;
    if huffman {
        let mut out = Vec::with_capacity(raw.len() + raw.len() / 2);
        huffman::decode(raw, &mut out);
        Ok(Arc::from(out))
    } else {
        Ok(Arc::from(raw))
    }
}
