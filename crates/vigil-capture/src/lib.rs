//! Packet sources: pcap and pcapng files (and stdin), and a pcap writer.
//!
//! [`CaptureReader`] reads classic pcap (microsecond and nanosecond magic,
//! both byte orders, and the "modified" Kuznetzov variant) and pcapng
//! (several sections and interfaces, enhanced, simple and obsolete packet
//! blocks, per-interface link type, `if_tsresol` and `if_tsoffset`) from a
//! file or any [`std::io::Read`], incrementally, with a bounded buffer and
//! no allocation per packet: each [`CapturePacket`] borrows the reader's
//! buffer until the next call.
//!
//! ```no_run
//! # fn main() -> Result<(), vigil_capture::CaptureError> {
//! let mut reader = vigil_capture::CaptureReader::open("capture.pcap".as_ref())?;
//! while let Some(pkt) = reader.next_packet()? {
//!     println!("{} bytes at {}.{:09}", pkt.data.len(), pkt.ts.secs, pkt.ts.nanos);
//! }
//! # Ok(())
//! # }
//! ```
//!
//! # Errors
//!
//! Every error is a [`CaptureError`] naming the input, the byte offset of the
//! record (or header) at fault and the reason. Packets before a bad record
//! have already been returned; after an error, [`CaptureReader::next_packet`]
//! returns `Ok(None)` forever. Choices made here:
//!
//! - An empty input, or one shorter than 4 bytes, or one whose first four
//!   bytes are neither a pcap nor a pcapng magic, is
//!   [`CaptureErrorKind::NotACapture`] at offset 0.
//! - A pcap link type that vigil cannot decode is reported when opening (at
//!   offset 20, the header's link type field). A pcapng interface with such a
//!   link type is accepted, and the error is raised lazily, at the first
//!   packet read on that interface (at that packet's block offset): an
//!   unused exotic interface does not stop a file.
//! - A captured length above [`MAX_CAPLEN`] is [`CaptureErrorKind::Corrupt`];
//!   nothing is allocated for it. One above the header's snapshot length is
//!   read whole: the snaplen is advisory (libpcap and Wireshark read such
//!   records too).
//!
//! # Use of `pcap-parser`
//!
//! The pcapng section header and interface description blocks (with their
//! option lists) are parsed with `pcap-parser`. Its streaming readers are not
//! used: they need the whole file header in the first `read` call (so they
//! fail on pipes that deliver a few bytes at a time), report errors without
//! the reason, allocate an option list for every enhanced packet block, do
//! not know the obsolete packet block, decode `if_tsoffset` as little-endian
//! in big-endian sections and reject every power-of-two `if_tsresol`. The
//! framing, the fixed-layout packet records and the timestamp arithmetic are
//! therefore done here, on a buffer this crate owns.

#![warn(missing_docs)]
#![cfg_attr(
    not(test),
    warn(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)
)]

mod reader;
mod writer;

#[cfg(test)]
mod tests;

pub use reader::CaptureReader;
pub use vigil_wire::{LinkType, Timestamp};
pub use writer::PcapWriter;

use std::fmt;

/// Largest captured length accepted for one packet (256 KiB, libpcap's
/// `MAXIMUM_SNAPLEN`). A record claiming more is corrupt.
pub const MAX_CAPLEN: u32 = 256 * 1024;

/// One packet as read. `data` borrows the reader's buffer until the next call.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CapturePacket<'a> {
    /// The captured bytes (the record's captured length).
    pub data: &'a [u8],
    /// Length of the packet on the wire (may exceed `data.len()`).
    pub orig_len: u32,
    /// Capture timestamp, with the interface's resolution and offset applied.
    pub ts: Timestamp,
    /// Link-layer type of `data`.
    pub link: LinkType,
    /// pcapng interface id within its section (0 for pcap).
    pub interface: u32,
    /// Byte offset of this record's header (pcap) or block (pcapng) in the input.
    pub offset: u64,
}

/// The kind of capture file being read.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum CaptureFormat {
    /// Classic pcap; `nanos` is true for the nanosecond-resolution magic.
    Pcap {
        /// Timestamps carry nanoseconds (magic `0xa1b23c4d`) rather than
        /// microseconds.
        nanos: bool,
    },
    /// pcapng.
    PcapNg,
}

/// An error while reading a capture: the input's name, the byte offset of the
/// record or header at fault, and what went wrong.
///
/// Displays as `"{file}: byte offset {offset}: {reason}"`.
#[derive(Debug, thiserror::Error)]
#[error("{file}: byte offset {offset}: {kind}{}", DetailFmt(.detail))]
pub struct CaptureError {
    /// Name of the input (the path, or `<stdin>`, or the name given to
    /// [`CaptureReader::from_read`]).
    pub file: String,
    /// Byte offset in the input of the record, block or header at fault.
    pub offset: u64,
    /// What went wrong.
    pub kind: CaptureErrorKind,
    /// Extra context appended to the message in parentheses (for example the
    /// magic number of a file that is not a capture), if any.
    pub detail: Option<String>,
}

/// Formats an optional detail as `" (detail)"`.
struct DetailFmt<'a>(&'a Option<String>);

impl fmt::Display for DetailFmt<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            Some(d) => write!(f, " ({d})"),
            None => Ok(()),
        }
    }
}

/// What went wrong while reading a capture.
#[derive(Debug, thiserror::Error)]
pub enum CaptureErrorKind {
    /// Reading the input failed.
    #[error("read error: {0}")]
    Io(std::io::Error),
    /// The input is not a pcap or pcapng file (or is empty).
    #[error("not a pcap or pcapng file")]
    NotACapture,
    /// The capture uses a link type (DLT) that vigil cannot decode.
    #[error("unsupported link type {0}")]
    UnsupportedLinkType(u32),
    /// The input ends in the middle of a header or record.
    #[error("truncated record")]
    Truncated,
    /// A header or record is malformed; the string says how.
    #[error("{0}")]
    Corrupt(String),
}

impl CaptureError {
    /// Builds an error without detail.
    pub fn new(file: impl Into<String>, offset: u64, kind: CaptureErrorKind) -> CaptureError {
        CaptureError {
            file: file.into(),
            offset,
            kind,
            detail: None,
        }
    }

    /// Returns the error with `detail` appended to its message.
    pub fn with_detail(mut self, detail: impl Into<String>) -> CaptureError {
        self.detail = Some(detail.into());
        self
    }
}
