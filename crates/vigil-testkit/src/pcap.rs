//! A minimal classic-pcap (libpcap 2.4, microsecond, little-endian) writer.

use std::io;
use std::path::Path;

use crate::conversation::Frame;

/// pcap link type: Ethernet (DLT_EN10MB).
pub const LINKTYPE_ETHERNET: u32 = 1;
/// pcap link type: raw IPv4/IPv6, no link layer.
pub const LINKTYPE_RAW: u32 = 101;

/// A capture timestamp: seconds since the Unix epoch and microseconds.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Timestamp {
    /// Whole seconds since 1970-01-01T00:00:00Z.
    pub secs: u32,
    /// Microseconds (0..1_000_000).
    pub micros: u32,
}

impl Timestamp {
    /// A timestamp; `micros` beyond one second carry into `secs`.
    pub fn new(secs: u32, micros: u32) -> Self {
        Self {
            secs: secs + micros / 1_000_000,
            micros: micros % 1_000_000,
        }
    }

    /// This timestamp plus `micros` microseconds.
    pub fn add_micros(self, micros: u64) -> Self {
        let total = u64::from(self.micros) + micros;
        Self {
            secs: self.secs + (total / 1_000_000) as u32,
            micros: (total % 1_000_000) as u32,
        }
    }

    /// This timestamp plus `millis` milliseconds.
    pub fn add_millis(self, millis: u64) -> Self {
        self.add_micros(millis * 1000)
    }
}

/// One captured packet.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Record {
    /// Capture time.
    pub ts: Timestamp,
    /// Original length on the wire (at least `data.len()`).
    pub orig_len: u32,
    /// Captured bytes (at most the file's snaplen).
    pub data: Vec<u8>,
}

/// An in-memory classic pcap file.
///
/// Written little-endian with magic `a1b2c3d4` (microsecond timestamps),
/// version 2.4, thiszone 0, sigfigs 0, snaplen 65535 and link type
/// [`LINKTYPE_ETHERNET`] unless chosen otherwise. Frames longer than the
/// snaplen are truncated in the record (original length kept).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PcapFile {
    linktype: u32,
    snaplen: u32,
    records: Vec<Record>,
}

impl Default for PcapFile {
    fn default() -> Self {
        Self::new()
    }
}

impl PcapFile {
    /// An empty Ethernet capture with snaplen 65535.
    pub fn new() -> Self {
        Self::with_linktype(LINKTYPE_ETHERNET)
    }

    /// An empty capture with the given link type (see [`LINKTYPE_RAW`]).
    pub fn with_linktype(linktype: u32) -> Self {
        Self {
            linktype,
            snaplen: 65535,
            records: Vec::new(),
        }
    }

    /// Changes the snaplen written in the header and applied to later pushes.
    pub fn snaplen(mut self, snaplen: u32) -> Self {
        self.snaplen = snaplen;
        self
    }

    /// Appends a frame captured at `secs`.`micros`.
    pub fn add(&mut self, secs: u32, micros: u32, frame: &[u8]) -> &mut Self {
        self.push(Timestamp::new(secs, micros), frame)
    }

    /// Appends a frame captured at `ts`.
    pub fn push(&mut self, ts: Timestamp, frame: &[u8]) -> &mut Self {
        let caplen = frame.len().min(self.snaplen as usize);
        self.records.push(Record {
            ts,
            orig_len: frame.len() as u32,
            data: frame[..caplen].to_vec(),
        });
        self
    }

    /// Appends frames (e.g. from a [`TcpConversation`](crate::TcpConversation)).
    pub fn extend<'a>(&mut self, frames: impl IntoIterator<Item = &'a Frame>) -> &mut Self {
        for f in frames {
            self.push(f.ts, &f.data);
        }
        self
    }

    /// Stably sorts the records by timestamp (for merging several flows).
    pub fn sort_by_time(&mut self) -> &mut Self {
        self.records.sort_by_key(|r| r.ts);
        self
    }

    /// The records so far.
    pub fn records(&self) -> &[Record] {
        &self.records
    }

    /// Number of records.
    pub fn len(&self) -> usize {
        self.records.len()
    }

    /// Whether there are no records.
    pub fn is_empty(&self) -> bool {
        self.records.is_empty()
    }

    /// The link type written in the file header.
    pub fn linktype(&self) -> u32 {
        self.linktype
    }

    /// The complete file.
    pub fn to_bytes(&self) -> Vec<u8> {
        let size: usize = 24
            + self
                .records
                .iter()
                .map(|r| 16 + r.data.len())
                .sum::<usize>();
        let mut out = Vec::with_capacity(size);
        out.extend_from_slice(&0xa1b2_c3d4u32.to_le_bytes());
        out.extend_from_slice(&2u16.to_le_bytes());
        out.extend_from_slice(&4u16.to_le_bytes());
        out.extend_from_slice(&0i32.to_le_bytes()); // thiszone
        out.extend_from_slice(&0u32.to_le_bytes()); // sigfigs
        out.extend_from_slice(&self.snaplen.to_le_bytes());
        out.extend_from_slice(&self.linktype.to_le_bytes());
        for r in &self.records {
            out.extend_from_slice(&r.ts.secs.to_le_bytes());
            out.extend_from_slice(&r.ts.micros.to_le_bytes());
            out.extend_from_slice(&(r.data.len() as u32).to_le_bytes());
            out.extend_from_slice(&r.orig_len.to_le_bytes());
            out.extend_from_slice(&r.data);
        }
        out
    }

    /// Writes the file to `path` (created or truncated).
    pub fn write_to(&self, path: impl AsRef<Path>) -> io::Result<()> {
        std::fs::write(path, self.to_bytes())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_and_record_layout() {
        let mut p = PcapFile::new();
        p.add(0x0102_0304, 5, &[0xaa, 0xbb, 0xcc]);
        let b = p.to_bytes();
        assert_eq!(
            &b[..24],
            &[
                0xd4, 0xc3, 0xb2, 0xa1, 2, 0, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 0, 0, 1, 0,
                0, 0
            ]
        );
        assert_eq!(
            &b[24..],
            &[
                4, 3, 2, 1, 5, 0, 0, 0, 3, 0, 0, 0, 3, 0, 0, 0, 0xaa, 0xbb, 0xcc
            ]
        );
    }

    #[test]
    fn snaplen_truncates() {
        let mut p = PcapFile::with_linktype(LINKTYPE_RAW).snaplen(2);
        p.push(Timestamp::new(1, 2_500_000), &[1, 2, 3, 4]);
        let r = &p.records()[0];
        assert_eq!(
            r.ts,
            Timestamp {
                secs: 3,
                micros: 500_000
            }
        );
        assert_eq!((r.orig_len, r.data.as_slice()), (4, &[1u8, 2][..]));
        let b = p.to_bytes();
        assert_eq!(&b[16..24], &[2, 0, 0, 0, 101, 0, 0, 0]);
        assert_eq!(b.len(), 24 + 16 + 2);
    }
}
