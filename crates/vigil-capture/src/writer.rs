//! A minimal classic pcap writer (for tests and generated samples).

use crate::{MAX_CAPLEN, Timestamp};
use std::io::{self, Write};

/// Writes a classic pcap file: microsecond timestamps, little-endian,
/// version 2.4.
///
/// ```
/// use vigil_capture::{PcapWriter, Timestamp};
/// let mut w = PcapWriter::new(Vec::new(), 1, 65535)?;
/// w.write_packet(Timestamp { secs: 1_700_000_000, nanos: 5_000 }, &[0u8; 60])?;
/// let bytes: Vec<u8> = w.into_inner();
/// assert_eq!(bytes.len(), 24 + 16 + 60);
/// # Ok::<(), std::io::Error>(())
/// ```
#[derive(Debug)]
pub struct PcapWriter<W: Write> {
    w: W,
    /// Most bytes stored per packet: the snapshot length, capped at
    /// [`MAX_CAPLEN`] (so readers accept every record written).
    limit: u32,
}

impl<W: Write> PcapWriter<W> {
    /// Writes the 24-byte file header for link type `link` (a DLT number,
    /// e.g. 1 for Ethernet) and snapshot length `snaplen` (0 means the
    /// maximum, [`MAX_CAPLEN`]).
    pub fn new(mut w: W, link: u32, snaplen: u32) -> io::Result<Self> {
        let limit = if snaplen == 0 {
            MAX_CAPLEN
        } else {
            snaplen.min(MAX_CAPLEN)
        };
        let mut h = [0u8; 24];
        h[0..4].copy_from_slice(&0xa1b2_c3d4u32.to_le_bytes());
        h[4..6].copy_from_slice(&2u16.to_le_bytes());
        h[6..8].copy_from_slice(&4u16.to_le_bytes());
        // thiszone (8..12) and sigfigs (12..16) stay 0.
        h[16..20].copy_from_slice(&limit.to_le_bytes());
        h[20..24].copy_from_slice(&link.to_le_bytes());
        w.write_all(&h)?;
        Ok(PcapWriter { w, limit })
    }

    /// Writes one packet captured at `ts` whose wire length is `data.len()`;
    /// bytes beyond the snapshot length are not stored.
    pub fn write_packet(&mut self, ts: Timestamp, data: &[u8]) -> io::Result<()> {
        let orig = u32::try_from(data.len()).map_err(|_| invalid("packet longer than 4 GiB"))?;
        self.write_record(ts, data, orig)
    }

    /// Writes one record with an explicit wire length `orig_len` (which may
    /// exceed `data.len()`, for a packet captured truncated); bytes beyond
    /// the snapshot length are not stored.
    pub fn write_record(&mut self, ts: Timestamp, data: &[u8], orig_len: u32) -> io::Result<()> {
        let secs = u32::try_from(ts.secs).map_err(|_| invalid("timestamp outside pcap's range"))?;
        let caplen = data.len().min(self.limit as usize);
        let stored = data.get(..caplen).unwrap_or(data);
        let mut h = [0u8; 16];
        h[0..4].copy_from_slice(&secs.to_le_bytes());
        h[4..8].copy_from_slice(&(ts.nanos.min(999_999_999) / 1000).to_le_bytes());
        h[8..12].copy_from_slice(&(caplen as u32).to_le_bytes());
        h[12..16].copy_from_slice(&orig_len.to_le_bytes());
        self.w.write_all(&h)?;
        self.w.write_all(stored)
    }

    /// Flushes the underlying writer.
    pub fn flush(&mut self) -> io::Result<()> {
        self.w.flush()
    }

    /// Returns the underlying writer (not flushed: call [`PcapWriter::flush`]
    /// first for a buffered writer whose errors matter).
    pub fn into_inner(self) -> W {
        self.w
    }
}

fn invalid(msg: &'static str) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidInput, msg)
}
