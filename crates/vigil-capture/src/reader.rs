//! The pcap / pcapng reader: buffer management, framing, records.

use crate::{
    CaptureError, CaptureErrorKind, CaptureFormat, CapturePacket, LinkType, MAX_CAPLEN, Timestamp,
};
use pcap_parser::{
    IDB_MAGIC, OptionCode, SHB_MAGIC, SPB_MAGIC, parse_interfacedescriptionblock_be,
    parse_interfacedescriptionblock_le, parse_sectionheaderblock,
};
use std::io::{self, Read};
use std::path::Path;

/// pcapng Enhanced Packet Block type.
const EPB_TYPE: u32 = pcap_parser::EPB_MAGIC;
/// pcapng (obsolete) Packet Block type.
const OPB_TYPE: u32 = 0x0000_0002;

/// First buffer size: small, so short inputs (tests, fuzzing) stay cheap.
const INITIAL_BUF: usize = 64 * 1024;
/// The buffer doubles on each compaction up to this size, so long files are
/// read in 1 MiB chunks.
const TARGET_BUF: usize = 1024 * 1024;
/// Largest pcapng block that is buffered whole (section headers, interface
/// descriptions and packet blocks). Other blocks are skipped while streaming
/// and may be of any length. The buffer therefore never exceeds
/// `max(TARGET_BUF, MAX_BLOCK)` bytes.
const MAX_BLOCK: u32 = 1024 * 1024;
/// Most interfaces accepted in one pcapng section (bounds memory).
const MAX_INTERFACES: usize = 65_536;
/// Mask of the link type proper in a pcap header's link type field (the
/// upper bits carry FCS information).
const LINKTYPE_MASK: u32 = 0x03FF_FFFF;

/// Input bytes with a growable window: `buf[start..end]` is buffered and not
/// yet consumed; `buf[0]` is at input offset `base`.
struct Input {
    input: Box<dyn Read + Send>,
    buf: Vec<u8>,
    start: usize,
    end: usize,
    base: u64,
    eof: bool,
}

impl Input {
    fn new(input: Box<dyn Read + Send>) -> Input {
        Input {
            input,
            buf: vec![0; INITIAL_BUF],
            start: 0,
            end: 0,
            base: 0,
            eof: false,
        }
    }

    /// Input offset of the first unconsumed byte.
    #[inline]
    fn pos(&self) -> u64 {
        self.base + self.start as u64
    }

    /// Number of buffered, unconsumed bytes.
    #[inline]
    fn avail(&self) -> usize {
        self.end - self.start
    }

    /// The unconsumed bytes.
    #[inline]
    fn data(&self) -> &[u8] {
        self.buf.get(self.start..self.end).unwrap_or(&[])
    }

    /// Makes at least `n` bytes available; `Ok(false)` if the input ends first.
    #[inline]
    fn fill(&mut self, n: usize) -> io::Result<bool> {
        if self.avail() >= n {
            return Ok(true);
        }
        self.fill_slow(n)
    }

    #[cold]
    fn fill_slow(&mut self, n: usize) -> io::Result<bool> {
        // Move the partial record to the front. A buffer that reads filled
        // to the brink doubles (up to TARGET_BUF), so long inputs are read in
        // big chunks and short ones stay cheap; a record larger than the
        // buffer grows it to fit.
        let was_full = self.end == self.buf.len();
        if self.start > 0 {
            self.buf.copy_within(self.start..self.end, 0);
            self.base += self.start as u64;
            self.end -= self.start;
            self.start = 0;
        }
        let mut want = self.buf.len();
        if was_full && want < TARGET_BUF {
            want = (want * 2).min(TARGET_BUF);
        }
        if want < n {
            want = n;
        }
        if want > self.buf.len() {
            self.buf.resize(want, 0);
        }
        while self.avail() < n {
            if self.eof {
                return Ok(false);
            }
            let space = self.buf.get_mut(self.end..).unwrap_or(&mut []);
            match self.input.read(space) {
                Ok(0) => self.eof = true,
                // min(): a misbehaving reader must not move `end` past the buffer.
                Ok(k) => self.end = (self.end + k).min(self.buf.len()),
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
        Ok(true)
    }

    /// Consumes `n` bytes, reading and discarding what is not buffered;
    /// `Ok(false)` if the input ends first.
    fn skip(&mut self, mut n: u64) -> io::Result<bool> {
        loop {
            let avail = self.avail() as u64;
            if avail >= n {
                self.start += n as usize;
                return Ok(true);
            }
            n -= avail;
            self.base += self.end as u64;
            self.start = 0;
            self.end = 0;
            if self.eof {
                return Ok(false);
            }
            let space = self.buf.as_mut_slice();
            match self.input.read(space) {
                Ok(0) => self.eof = true,
                Ok(k) => self.end = k.min(self.buf.len()),
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
    }
}

/// Reads a `u32` at `at` in `b` with the given byte order (0 if out of range;
/// callers check lengths first).
#[inline]
fn rd32(b: &[u8], at: usize, be: bool) -> u32 {
    match b.get(at..at + 4).and_then(|s| <[u8; 4]>::try_from(s).ok()) {
        Some(a) if be => u32::from_be_bytes(a),
        Some(a) => u32::from_le_bytes(a),
        None => 0,
    }
}

/// Reads a `u16` at `at` in `b` with the given byte order (0 if out of range).
#[inline]
fn rd16(b: &[u8], at: usize, be: bool) -> u16 {
    match b.get(at..at + 2).and_then(|s| <[u8; 2]>::try_from(s).ok()) {
        Some(a) if be => u16::from_be_bytes(a),
        Some(a) => u16::from_le_bytes(a),
        None => 0,
    }
}

/// How an interface's timestamp ticks convert to seconds and nanoseconds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum TsScale {
    /// 10^-6 s per tick (the pcapng default).
    Micro,
    /// 10^-9 s per tick.
    Nano,
    /// 10^-k s per tick. `div` = 10^k, or 0 when 10^k exceeds `u64` (then no
    /// tick count reaches a second); nanoseconds are `frac * mul / ndiv` with
    /// one of `mul`, `ndiv` equal to 1, and `ndiv` = 0 meaning always 0.
    Dec { div: u64, mul: u64, ndiv: u64 },
    /// 2^-shift s per tick, shift in 0..=127.
    Bin { shift: u32 },
}

impl TsScale {
    /// Decodes an `if_tsresol` option value.
    fn from_tsresol(r: u8) -> TsScale {
        if r & 0x80 != 0 {
            return TsScale::Bin {
                shift: u32::from(r & 0x7f),
            };
        }
        let k = u32::from(r);
        match k {
            6 => TsScale::Micro,
            9 => TsScale::Nano,
            0..=9 => TsScale::Dec {
                div: 10u64.pow(k),
                mul: 10u64.pow(9 - k),
                ndiv: 1,
            },
            10..=19 => TsScale::Dec {
                div: 10u64.pow(k),
                mul: 1,
                ndiv: 10u64.pow(k - 9),
            },
            20..=28 => TsScale::Dec {
                div: 0,
                mul: 1,
                ndiv: 10u64.pow(k - 9),
            },
            _ => TsScale::Dec {
                div: 0,
                mul: 1,
                ndiv: 0,
            },
        }
    }

    /// Splits a tick count into whole seconds and nanoseconds (< 10^9).
    #[inline]
    fn split(self, t: u64) -> (u64, u32) {
        match self {
            TsScale::Micro => (t / 1_000_000, (t % 1_000_000) as u32 * 1000),
            TsScale::Nano => (t / 1_000_000_000, (t % 1_000_000_000) as u32),
            TsScale::Dec { div, mul, ndiv } => {
                let (secs, frac) = t.checked_div(div).zip(t.checked_rem(div)).unwrap_or((0, t));
                let nanos = if ndiv == 0 {
                    0
                } else if ndiv == 1 {
                    frac * mul
                } else {
                    frac / ndiv
                };
                (secs, nanos as u32)
            }
            TsScale::Bin { shift } => {
                let (secs, frac) = if shift >= 64 {
                    (0, t)
                } else {
                    (t >> shift, t & ((1u64 << shift) - 1))
                };
                let nanos = (u128::from(frac) * 1_000_000_000) >> shift;
                (secs, nanos as u32)
            }
        }
    }
}

/// One pcapng interface, as described by its IDB.
#[derive(Clone, Copy, Debug)]
struct Iface {
    dlt: u32,
    link: Option<LinkType>,
    snaplen: u32,
    scale: TsScale,
    /// `if_tsoffset`, seconds added to every timestamp.
    offset: i64,
}

/// Classic pcap state (from the file header).
#[derive(Clone, Copy, Debug)]
struct PcapState {
    be: bool,
    nanos: bool,
    /// Record header length: 16, or 24 for the modified (Kuznetzov) format.
    hdr_len: usize,
    link: LinkType,
}

/// pcapng state: the current section's byte order and interfaces.
#[derive(Debug)]
struct NgState {
    be: bool,
    ifaces: Vec<Iface>,
}

#[derive(Debug)]
enum Kind {
    Pcap(PcapState),
    PcapNg(NgState),
}

/// Where a packet's data lies in the buffer, and its metadata.
struct Rec {
    data_start: usize,
    data_len: usize,
    orig_len: u32,
    ts: Timestamp,
    link: LinkType,
    interface: u32,
    offset: u64,
}

/// Result of processing one pcapng block.
enum Step {
    Packet(Rec),
    Continue,
    End,
}

/// An internal error before the file name is attached.
struct Fail {
    offset: u64,
    kind: CaptureErrorKind,
    detail: Option<String>,
}

impl Fail {
    fn new(offset: u64, kind: CaptureErrorKind) -> Fail {
        Fail {
            offset,
            kind,
            detail: None,
        }
    }

    fn corrupt(offset: u64, reason: String) -> Fail {
        Fail::new(offset, CaptureErrorKind::Corrupt(reason))
    }

    fn detail(mut self, d: String) -> Fail {
        self.detail = Some(d);
        self
    }
}

/// Fills `n` bytes or fails: end of input is `Truncated` at `offset`, a read
/// error is `Io` at `offset`.
fn need(src: &mut Input, n: usize, offset: u64, what: &str) -> Result<(), Fail> {
    match src.fill(n) {
        Ok(true) => Ok(()),
        Ok(false) => Err(Fail::new(offset, CaptureErrorKind::Truncated)
            .detail(format!("{what} needs {n} bytes, {} left", src.avail()))),
        Err(e) => Err(Fail::new(offset, CaptureErrorKind::Io(e))),
    }
}

/// Converts whole seconds plus an offset into a `Timestamp`, saturating.
#[inline]
fn make_ts(secs: u64, nanos: u32, offset: i64) -> Timestamp {
    Timestamp {
        secs: i64::try_from(secs)
            .unwrap_or(i64::MAX)
            .saturating_add(offset),
        nanos,
    }
}

/// A reader of pcap and pcapng captures from a file or any byte stream.
///
/// Reads incrementally through a buffer of at most about 1 MiB; hands out
/// packets that borrow that buffer. `Send`, so it can live on a reader thread.
pub struct CaptureReader {
    name: String,
    src: Input,
    total_len: Option<u64>,
    format: CaptureFormat,
    kind: Kind,
    /// Set after the end of input or an error: `next_packet` returns `None`.
    done: bool,
}

impl std::fmt::Debug for CaptureReader {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CaptureReader")
            .field("name", &self.name)
            .field("format", &self.format)
            .field("bytes_read", &self.bytes_read())
            .field("total_len", &self.total_len)
            .field("done", &self.done)
            .finish_non_exhaustive()
    }
}

impl CaptureReader {
    /// Opens a capture file; `-` means standard input (named `<stdin>`).
    ///
    /// Reads and checks the file header (for pcapng, the first section
    /// header block). Fails with `Io` if the file cannot be opened or read,
    /// `NotACapture`, `Truncated`, `Corrupt` or, for pcap,
    /// `UnsupportedLinkType` (at offset 20).
    pub fn open(path: &Path) -> Result<CaptureReader, CaptureError> {
        if path == Path::new("-") {
            return CaptureReader::from_read("<stdin>", Box::new(io::stdin()));
        }
        let name = path.display().to_string();
        let file = std::fs::File::open(path)
            .map_err(|e| CaptureError::new(name.clone(), 0, CaptureErrorKind::Io(e)))?;
        let total_len = file
            .metadata()
            .ok()
            .filter(|m| m.is_file())
            .map(|m| m.len());
        let mut reader = CaptureReader::from_read(name, Box::new(file))?;
        reader.total_len = total_len;
        Ok(reader)
    }

    /// Reads a capture from any byte stream (a pipe, a socket, memory),
    /// tolerating short reads. `name` is used in error messages.
    ///
    /// Reads and checks the file header, as [`CaptureReader::open`] does.
    pub fn from_read(
        name: impl Into<String>,
        input: Box<dyn Read + Send>,
    ) -> Result<CaptureReader, CaptureError> {
        let name = name.into();
        let mut src = Input::new(input);
        let header = Self::read_header(&mut src);
        let (format, kind) = match header {
            Ok(v) => v,
            Err(f) => {
                return Err(CaptureError {
                    file: name,
                    offset: f.offset,
                    kind: f.kind,
                    detail: f.detail,
                });
            }
        };
        let mut reader = CaptureReader {
            name,
            src,
            total_len: None,
            format,
            kind,
            done: false,
        };
        if let Kind::PcapNg(_) = reader.kind {
            // Process the first section header block now, so a broken header
            // fails the open.
            match reader.ng_step() {
                Ok(_) => {}
                Err(f) => return Err(reader.fail(f)),
            }
        }
        Ok(reader)
    }

    /// Reads the magic number and, for pcap, the file header.
    fn read_header(src: &mut Input) -> Result<(CaptureFormat, Kind), Fail> {
        match src.fill(4) {
            Ok(true) => {}
            Ok(false) => {
                let detail = match src.avail() {
                    0 => "empty input".to_string(),
                    n => format!("input is only {n} bytes long"),
                };
                return Err(Fail::new(0, CaptureErrorKind::NotACapture).detail(detail));
            }
            Err(e) => return Err(Fail::new(0, CaptureErrorKind::Io(e))),
        }
        let magic = rd32(src.data(), 0, true);
        // (big-endian file, nanosecond timestamps, record header length)
        let pcap = match magic {
            0xa1b2_c3d4 => Some((true, false, 16)),
            0xd4c3_b2a1 => Some((false, false, 16)),
            0xa1b2_3c4d => Some((true, true, 16)),
            0x4d3c_b2a1 => Some((false, true, 16)),
            0xa1b2_cd34 => Some((true, false, 24)),
            0x34cd_b2a1 => Some((false, false, 24)),
            SHB_MAGIC => None,
            _ => {
                return Err(Fail::new(0, CaptureErrorKind::NotACapture)
                    .detail(format!("magic 0x{magic:08x}")));
            }
        };
        let Some((be, nanos, hdr_len)) = pcap else {
            return Ok((
                CaptureFormat::PcapNg,
                Kind::PcapNg(NgState {
                    be: false,
                    ifaces: Vec::new(),
                }),
            ));
        };
        need(src, 24, 0, "the pcap file header")?;
        let h = src.data();
        let dlt = rd32(h, 20, be) & LINKTYPE_MASK;
        let link = LinkType::from_dlt(dlt)
            .ok_or_else(|| Fail::new(20, CaptureErrorKind::UnsupportedLinkType(dlt)))?;
        src.start += 24;
        Ok((
            CaptureFormat::Pcap { nanos },
            Kind::Pcap(PcapState {
                be,
                nanos,
                hdr_len,
                link,
            }),
        ))
    }

    /// Returns the next packet, `Ok(None)` at the clean end of the input.
    ///
    /// The packet borrows the reader's buffer until the next call. After an
    /// error (or the end), every later call returns `Ok(None)`.
    #[inline]
    pub fn next_packet(&mut self) -> Result<Option<CapturePacket<'_>>, CaptureError> {
        if self.done {
            return Ok(None);
        }
        let step = match self.kind {
            Kind::Pcap(st) => self.pcap_record(st),
            Kind::PcapNg(_) => loop {
                match self.ng_step() {
                    Ok(Step::Continue) => continue,
                    Ok(Step::Packet(r)) => break Ok(Some(r)),
                    Ok(Step::End) => break Ok(None),
                    Err(f) => break Err(f),
                }
            },
        };
        match step {
            Ok(Some(r)) => {
                let range = r.data_start..r.data_start + r.data_len;
                if range.end > self.src.buf.len() {
                    // Unreachable by construction; fail cleanly rather than panic.
                    let f = Fail::corrupt(r.offset, "internal error: record outside buffer".into());
                    return Err(self.fail(f));
                }
                let data = self.src.buf.get(range).unwrap_or(&[]);
                Ok(Some(CapturePacket {
                    data,
                    orig_len: r.orig_len,
                    ts: r.ts,
                    link: r.link,
                    interface: r.interface,
                    offset: r.offset,
                }))
            }
            Ok(None) => {
                self.done = true;
                Ok(None)
            }
            Err(f) => Err(self.fail(f)),
        }
    }

    /// Turns an internal failure into the public error and stops the reader.
    fn fail(&mut self, f: Fail) -> CaptureError {
        self.done = true;
        CaptureError {
            file: self.name.clone(),
            offset: f.offset,
            kind: f.kind,
            detail: f.detail,
        }
    }

    /// Input bytes consumed so far: the offset just past the last record
    /// returned (or header read). For a progress bar, against
    /// [`CaptureReader::total_len`].
    pub fn bytes_read(&self) -> u64 {
        self.src.pos()
    }

    /// Size of the input when known: the file size for a regular file opened
    /// with [`CaptureReader::open`], `None` for stdin and [`CaptureReader::from_read`].
    pub fn total_len(&self) -> Option<u64> {
        self.total_len
    }

    /// The capture format, from the file's magic number.
    pub fn format(&self) -> CaptureFormat {
        self.format
    }

    /// The input's name, as used in error messages.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Reads one classic pcap record.
    #[inline]
    fn pcap_record(&mut self, st: PcapState) -> Result<Option<Rec>, Fail> {
        let src = &mut self.src;
        let offset = src.pos();
        let hdr_len = st.hdr_len;
        match src.fill(hdr_len) {
            Ok(true) => {}
            Ok(false) if src.avail() == 0 => return Ok(None),
            Ok(false) => {
                return Err(
                    Fail::new(offset, CaptureErrorKind::Truncated).detail(format!(
                        "record header needs {hdr_len} bytes, {} left",
                        src.avail()
                    )),
                );
            }
            Err(e) => return Err(Fail::new(offset, CaptureErrorKind::Io(e))),
        }
        let h = src.data();
        let ts_sec = rd32(h, 0, st.be);
        let ts_frac = rd32(h, 4, st.be);
        let caplen = rd32(h, 8, st.be);
        let orig_len = rd32(h, 12, st.be);
        if caplen > MAX_CAPLEN {
            return Err(Fail::corrupt(
                offset,
                format!("captured length {caplen} exceeds the maximum {MAX_CAPLEN}"),
            ));
        }
        // A captured length above the header's snapshot length is accepted
        // (up to MAX_CAPLEN): the snaplen is advisory, and libpcap and
        // Wireshark read such records too rather than drop the rest of the file.
        let total = hdr_len + caplen as usize;
        need(src, total, offset, "record")?;
        let data_start = src.start + hdr_len;
        src.start += total;
        let nanos = if st.nanos {
            u64::from(ts_frac)
        } else {
            u64::from(ts_frac) * 1000
        };
        Ok(Some(Rec {
            data_start,
            data_len: caplen as usize,
            orig_len,
            ts: Timestamp::new(i64::from(ts_sec), nanos),
            link: st.link,
            interface: 0,
            offset,
        }))
    }

    /// Processes one pcapng block.
    fn ng_step(&mut self) -> Result<Step, Fail> {
        let Kind::PcapNg(ng) = &mut self.kind else {
            return Ok(Step::End);
        };
        let src = &mut self.src;
        let offset = src.pos();
        match src.fill(12) {
            Ok(true) => {}
            Ok(false) if src.avail() == 0 => return Ok(Step::End),
            Ok(false) => {
                return Err(Fail::new(offset, CaptureErrorKind::Truncated)
                    .detail(format!("block header needs 12 bytes, {} left", src.avail())));
            }
            Err(e) => return Err(Fail::new(offset, CaptureErrorKind::Io(e))),
        }
        let h = src.data();
        let mut be = ng.be;
        if rd32(h, 0, false) == SHB_MAGIC {
            be = match rd32(h, 8, true) {
                0x1a2b_3c4d => true,
                0x4d3c_2b1a => false,
                bom => {
                    return Err(Fail::corrupt(
                        offset,
                        format!("bad byte-order magic 0x{bom:08x} in section header block"),
                    ));
                }
            };
        }
        let btype = rd32(h, 0, be);
        let blen = rd32(h, 4, be);
        if blen < 12 {
            return Err(Fail::corrupt(
                offset,
                format!("block length {blen} is smaller than 12"),
            ));
        }
        if blen & 3 != 0 {
            return Err(Fail::corrupt(
                offset,
                format!("block length {blen} is not a multiple of 4"),
            ));
        }
        let (what, min) = match btype {
            SHB_MAGIC => ("section header block", 28),
            IDB_MAGIC => ("interface description block", 20),
            EPB_TYPE => ("enhanced packet block", 32),
            SPB_MAGIC => ("simple packet block", 16),
            OPB_TYPE => ("packet block", 32),
            _ => {
                // NRB, ISB, DSB, custom, unknown: skip, streaming.
                match src.skip(u64::from(blen) - 4) {
                    Ok(true) => {}
                    Ok(false) => {
                        return Err(Fail::new(offset, CaptureErrorKind::Truncated)
                            .detail(format!("block of type 0x{btype:08x} needs {blen} bytes")));
                    }
                    Err(e) => return Err(Fail::new(offset, CaptureErrorKind::Io(e))),
                }
                need(src, 4, offset, "block trailer")?;
                let trailer = rd32(src.data(), 0, be);
                if trailer != blen {
                    return Err(trailer_mismatch(offset, trailer, blen));
                }
                src.start += 4;
                return Ok(Step::Continue);
            }
        };
        if blen < min {
            return Err(Fail::corrupt(
                offset,
                format!("block length {blen} is too small for a {what} (minimum {min})"),
            ));
        }
        if blen > MAX_BLOCK {
            return Err(Fail::corrupt(
                offset,
                format!("block length {blen} of a {what} exceeds the maximum {MAX_BLOCK}"),
            ));
        }
        let len = blen as usize;
        if btype == EPB_TYPE || btype == OPB_TYPE {
            // Check the captured length before waiting for the data.
            need(src, 28, offset, what)?;
            let caplen = rd32(src.data(), 20, be);
            check_caplen(offset, caplen, blen, 28)?;
        }
        need(src, len, offset, what)?;
        let block = src.data().get(..len).unwrap_or(&[]);
        let trailer = rd32(block, len - 4, be);
        if trailer != blen {
            return Err(trailer_mismatch(offset, trailer, blen));
        }
        let step = match btype {
            SHB_MAGIC => {
                let shb = match parse_sectionheaderblock(block) {
                    Ok((_, shb)) => shb,
                    Err(_) => {
                        return Err(Fail::corrupt(
                            offset,
                            "malformed section header block".into(),
                        ));
                    }
                };
                if shb.major_version != 1 {
                    return Err(Fail::corrupt(
                        offset,
                        format!(
                            "unsupported pcapng version {}.{}",
                            shb.major_version, shb.minor_version
                        ),
                    ));
                }
                ng.be = be;
                ng.ifaces.clear();
                Step::Continue
            }
            IDB_MAGIC => {
                if ng.ifaces.len() >= MAX_INTERFACES {
                    return Err(Fail::corrupt(
                        offset,
                        format!("more than {MAX_INTERFACES} interfaces in one section"),
                    ));
                }
                let iface = parse_idb(block, be).ok_or_else(|| {
                    Fail::corrupt(offset, "malformed interface description block".into())
                })?;
                ng.ifaces.push(iface);
                Step::Continue
            }
            SPB_MAGIC => {
                let iface = *ng.ifaces.first().ok_or_else(|| {
                    Fail::corrupt(
                        offset,
                        "simple packet block, but the section defines no interface".into(),
                    )
                })?;
                let link = iface.link.ok_or_else(|| {
                    Fail::new(offset, CaptureErrorKind::UnsupportedLinkType(iface.dlt))
                })?;
                let orig_len = rd32(block, 8, be);
                let mut caplen = (blen - 16).min(orig_len);
                if iface.snaplen != 0 {
                    caplen = caplen.min(iface.snaplen);
                }
                if caplen > MAX_CAPLEN {
                    return Err(Fail::corrupt(
                        offset,
                        format!("captured length {caplen} exceeds the maximum {MAX_CAPLEN}"),
                    ));
                }
                Step::Packet(Rec {
                    data_start: src.start + 12,
                    data_len: caplen as usize,
                    orig_len,
                    ts: Timestamp::default(),
                    link,
                    interface: 0,
                    offset,
                })
            }
            _ => {
                // EPB or OPB: same layout but for a 16-bit interface id (and
                // a drop count) in the OPB.
                let if_id = if btype == EPB_TYPE {
                    rd32(block, 8, be)
                } else {
                    u32::from(rd16(block, 8, be))
                };
                let ticks = (u64::from(rd32(block, 12, be)) << 32) | u64::from(rd32(block, 16, be));
                let caplen = rd32(block, 20, be);
                let orig_len = rd32(block, 24, be);
                let iface = *ng.ifaces.get(if_id as usize).ok_or_else(|| {
                    Fail::corrupt(
                        offset,
                        format!(
                            "packet on interface {if_id}, but the section defines {} interface(s)",
                            ng.ifaces.len()
                        ),
                    )
                })?;
                let link = iface.link.ok_or_else(|| {
                    Fail::new(offset, CaptureErrorKind::UnsupportedLinkType(iface.dlt))
                })?;
                // caplen above the interface snaplen: accepted, as for pcap.
                let (secs, nanos) = iface.scale.split(ticks);
                Step::Packet(Rec {
                    data_start: src.start + 28,
                    data_len: caplen as usize,
                    orig_len,
                    ts: make_ts(secs, nanos, iface.offset),
                    link,
                    interface: if_id,
                    offset,
                })
            }
        };
        src.start += len;
        Ok(step)
    }
}

/// Checks a packet block's captured length against the maximum and the
/// block's room for data (`hdr` bytes of header before it, 4 after).
fn check_caplen(offset: u64, caplen: u32, blen: u32, hdr: u32) -> Result<(), Fail> {
    if caplen > MAX_CAPLEN {
        return Err(Fail::corrupt(
            offset,
            format!("captured length {caplen} exceeds the maximum {MAX_CAPLEN}"),
        ));
    }
    if u64::from(caplen) + u64::from(hdr) + 4 > u64::from(blen) {
        return Err(Fail::corrupt(
            offset,
            format!("captured length {caplen} does not fit in a block of length {blen}"),
        ));
    }
    Ok(())
}

fn trailer_mismatch(offset: u64, trailer: u32, blen: u32) -> Fail {
    Fail::corrupt(
        offset,
        format!("trailing block length {trailer} does not match leading block length {blen}"),
    )
}

/// Parses an interface description block (whole, trailer checked) with
/// `pcap-parser`, reading `if_tsresol` and `if_tsoffset` (first occurrence of
/// each) in the section's byte order.
fn parse_idb(block: &[u8], be: bool) -> Option<Iface> {
    let parsed = if be {
        parse_interfacedescriptionblock_be(block)
    } else {
        parse_interfacedescriptionblock_le(block)
    };
    let (_, idb) = parsed.ok()?;
    let dlt = u32::from(idb.linktype.0 as u16);
    let mut tsresol = None;
    let mut tsoffset = None;
    for opt in &idb.options {
        let v: &[u8] = opt.value.as_ref();
        if opt.code == OptionCode::IfTsresol && tsresol.is_none() {
            tsresol = v.first().copied();
        } else if opt.code == OptionCode::IfTsoffset && tsoffset.is_none() {
            if let Some(a) = v.get(..8).and_then(|s| <[u8; 8]>::try_from(s).ok()) {
                tsoffset = Some(if be {
                    i64::from_be_bytes(a)
                } else {
                    i64::from_le_bytes(a)
                });
            }
        } else if opt.code == OptionCode::EndOfOpt {
            break;
        }
    }
    Some(Iface {
        dlt,
        link: LinkType::from_dlt(dlt),
        snaplen: idb.snaplen,
        scale: TsScale::from_tsresol(tsresol.unwrap_or(6)),
        offset: tsoffset.unwrap_or(0),
    })
}

#[cfg(test)]
mod scale_tests {
    use super::TsScale;

    #[test]
    fn tsresol_forms() {
        assert_eq!(TsScale::from_tsresol(6).split(1_500_000), (1, 500_000_000));
        assert_eq!(TsScale::from_tsresol(9).split(2_000_000_007), (2, 7));
        assert_eq!(TsScale::from_tsresol(3).split(1_234), (1, 234_000_000));
        assert_eq!(TsScale::from_tsresol(0).split(17), (17, 0));
        assert_eq!(
            TsScale::from_tsresol(12).split(3_000_000_000_123),
            (3, 123 / 1000)
        );
        assert_eq!(
            TsScale::from_tsresol(12).split(3_000_123_456_789),
            (3, 123_456)
        );
        // 2^-10: 1024 ticks per second; 512 ticks = 0.5 s.
        assert_eq!(
            TsScale::from_tsresol(0x8a).split(1024 * 5 + 512),
            (5, 500_000_000)
        );
        // 2^-0 and 2^-127 (extremes) do not panic.
        assert_eq!(TsScale::from_tsresol(0x80).split(9), (9, 0));
        assert_eq!(TsScale::from_tsresol(0xff).split(u64::MAX), (0, 0));
        assert_eq!(TsScale::from_tsresol(0xc0).split(u64::MAX).0, 0);
        // Absurd powers of ten.
        assert_eq!(TsScale::from_tsresol(19).split(u64::MAX).0, 1);
        assert_eq!(TsScale::from_tsresol(20).split(u64::MAX).0, 0);
        assert_eq!(TsScale::from_tsresol(127).split(u64::MAX), (0, 0));
        for r in 0..=255u8 {
            let (_, n) = TsScale::from_tsresol(r).split(u64::MAX);
            assert!(n < 1_000_000_000, "tsresol {r}");
        }
    }
}
