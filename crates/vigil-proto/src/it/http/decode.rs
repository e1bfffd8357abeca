//! Content-Encoding decoding (gzip, deflate) for bodies, the way libhtp
//! 0.5 does it for Suricata 7: "gzip" starts as zlib's automatic gzip/zlib
//! mode and "deflate" as raw deflate; a failure is logged, and the
//! decompressor restarts up to three times (same mode past the gzip header,
//! then the other mode), after which the data passes through undecoded.
//!
//! Streaming and bounded: output is handed on in pieces, kept only up to
//! the caller's limit, and a decompression bomb stops the decoder.

use flate2::{Crc, Decompress, FlushDecompress, Status as ZStatus};

/// A coding libhtp decodes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Coding {
    /// zlib's gzip-or-zlib automatic mode.
    Gzip,
    /// Raw deflate.
    Deflate,
}

/// Decompressed output past this many bytes, at a ratio above
/// [`BOMB_RATIO`], is a compression bomb (Suricata's defaults).
pub(crate) const BOMB_LIMIT: u64 = 1024 * 1024;
const BOMB_RATIO: u64 = 2048;
/// Restarts libhtp allows a decompressor.
const MAX_RESTARTS: u8 = 3;
/// Gzip header bytes accepted (name, comment and extra field included).
const GZIP_HEADER_LIMIT: usize = 64 * 1024;
/// Output produced per inflate step.
const STEP: usize = 16 * 1024;

/// What the decoder hands on.
#[derive(Default)]
pub(crate) struct Output {
    /// Decoded bytes produced by the last call (up to its `keep`).
    pub chunk: Vec<u8>,
    /// Total decoded bytes so far.
    pub total: u64,
}

/// Why decoding stopped.
#[derive(Debug)]
enum Stop {
    /// Corrupt input for this mode.
    Data,
    /// Too much output: a compression bomb.
    Bomb,
}

/// One inflate run in a fixed mode.
struct Inflater {
    /// Gzip mode: header bytes while the format is being decided.
    head: Vec<u8>,
    z: Option<Decompress>,
    ended: bool,
    produced: u64,
    /// A gzip member: its trailer (CRC-32 and size) is checked, as zlib
    /// does, against the output.
    gzip: Option<GzipTail>,
}

/// The end of a gzip member.
struct GzipTail {
    crc: Crc,
    /// Trailer bytes after the deflate stream.
    tail: Vec<u8>,
    body_done: bool,
}

impl Inflater {
    fn new(mode: Coding) -> Inflater {
        let z = match mode {
            Coding::Deflate => Some(Decompress::new(false)),
            Coding::Gzip => None,
        };
        Inflater {
            head: Vec::new(),
            z,
            ended: false,
            produced: 0,
            gzip: None,
        }
    }

    /// Inflates `input`, handing output to `next`.
    fn run(
        &mut self,
        input: &[u8],
        next: &mut dyn FnMut(&[u8]) -> Result<(), Stop>,
    ) -> Result<(), Stop> {
        if self.ended || input.is_empty() {
            return Ok(());
        }
        if self.z.is_none() {
            // Gzip mode: decide gzip or zlib and read a gzip header.
            self.head.extend_from_slice(input);
            let body = match gzip_or_zlib(&self.head)? {
                Header::NeedMore => {
                    if self.head.len() > GZIP_HEADER_LIMIT {
                        return Err(Stop::Data);
                    }
                    return Ok(());
                }
                Header::Zlib => {
                    self.z = Some(Decompress::new(true));
                    std::mem::take(&mut self.head)
                }
                Header::Gzip(len) => {
                    self.z = Some(Decompress::new(false));
                    self.gzip = Some(GzipTail {
                        crc: Crc::new(),
                        tail: Vec::new(),
                        body_done: false,
                    });
                    let body = self.head.split_off(len.min(self.head.len()));
                    self.head = Vec::new();
                    body
                }
            };
            return self.inflate(&body, next);
        }
        self.inflate(input, next)
    }

    fn inflate(
        &mut self,
        mut input: &[u8],
        next: &mut dyn FnMut(&[u8]) -> Result<(), Stop>,
    ) -> Result<(), Stop> {
        if let Some(g) = self.gzip.as_mut()
            && g.body_done
        {
            return Self::trailer(g, input, &mut self.ended);
        }
        let Some(z) = self.z.as_mut() else {
            return Ok(());
        };
        let mut buf = vec![0u8; STEP];
        while !input.is_empty() {
            let (in0, out0) = (z.total_in(), z.total_out());
            let status = z
                .decompress(input, &mut buf, FlushDecompress::None)
                .map_err(|_| Stop::Data)?;
            let used = usize::try_from(z.total_in() - in0).unwrap_or(input.len());
            let made = usize::try_from(z.total_out() - out0).unwrap_or(0);
            input = input.get(used..).unwrap_or(&[]);
            if made > 0 {
                self.produced += made as u64;
                let out = buf.get(..made).unwrap_or(&[]);
                if let Some(g) = self.gzip.as_mut() {
                    g.crc.update(out);
                }
                next(out)?;
            }
            match status {
                ZStatus::StreamEnd => {
                    if let Some(g) = self.gzip.as_mut() {
                        g.body_done = true;
                        return Self::trailer(g, input, &mut self.ended);
                    }
                    // What follows the stream is ignored, as libhtp does.
                    self.ended = true;
                    return Ok(());
                }
                ZStatus::Ok | ZStatus::BufError => {
                    if used == 0 && made == 0 {
                        return Ok(());
                    }
                }
            }
        }
        Ok(())
    }
}

impl Inflater {
    /// Collects and checks a gzip trailer; anything after it is ignored.
    fn trailer(g: &mut GzipTail, input: &[u8], ended: &mut bool) -> Result<(), Stop> {
        let need = 8usize.saturating_sub(g.tail.len());
        g.tail
            .extend_from_slice(input.get(..need.min(input.len())).unwrap_or(&[]));
        let Some(t) = g.tail.get(..8) else {
            return Ok(());
        };
        *ended = true;
        let crc = u32::from_le_bytes([t[0], t[1], t[2], t[3]]);
        let size = u32::from_le_bytes([t[4], t[5], t[6], t[7]]);
        if crc != g.crc.sum() || size != g.crc.amount() {
            return Err(Stop::Data);
        }
        Ok(())
    }
}

enum Header {
    NeedMore,
    Zlib,
    /// A complete gzip header of this many bytes.
    Gzip(usize),
}

/// zlib's automatic header detection (windowBits 15+32): gzip when the
/// data starts with the gzip magic (header checked as zlib does: method 8,
/// no reserved flags, header CRC when present), zlib otherwise.
fn gzip_or_zlib(h: &[u8]) -> Result<Header, Stop> {
    match h {
        [] | [0x1f] => return Ok(Header::NeedMore),
        [0x1f, 0x8b, ..] => {}
        _ => return Ok(Header::Zlib),
    }
    let Some(fixed) = h.get(..10) else {
        return Ok(Header::NeedMore);
    };
    let (method, flags) = (fixed[2], fixed[3]);
    if method != 8 || flags & 0xe0 != 0 {
        return Err(Stop::Data);
    }
    let mut pos = 10;
    if flags & 0x04 != 0 {
        let Some(xlen) = h.get(pos..pos + 2) else {
            return Ok(Header::NeedMore);
        };
        pos += 2 + usize::from(u16::from_le_bytes([xlen[0], xlen[1]]));
        if h.len() < pos {
            return Ok(Header::NeedMore);
        }
    }
    for bit in [0x08, 0x10] {
        if flags & bit != 0 {
            match memchr::memchr(0, h.get(pos..).unwrap_or(&[])) {
                Some(i) => pos += i + 1,
                None => return Ok(Header::NeedMore),
            }
        }
    }
    if flags & 0x02 != 0 {
        let Some(crc) = h.get(pos..pos + 2) else {
            return Ok(Header::NeedMore);
        };
        let mut c = Crc::new();
        c.update(h.get(..pos).unwrap_or(&[]));
        if u32::from(u16::from_le_bytes([crc[0], crc[1]])) != c.sum() & 0xffff {
            return Err(Stop::Data);
        }
        pos += 2;
    }
    Ok(Header::Gzip(pos))
}

/// Where libhtp restarts in a chunk: past a gzip header it can see.
fn probe(data: &[u8]) -> usize {
    let consumed = match data {
        [0x1f, 0x8b, _, flags, ..] if *flags != 0 => {
            if flags & 0x18 != 0 {
                let name = data.get(10..).unwrap_or(&[]);
                10 + name.iter().position(|&c| c == 0).unwrap_or(name.len()) + 1
            } else if flags & 0x02 != 0 {
                12
            } else {
                10
            }
        }
        _ => 0,
    };
    if consumed > data.len() { 0 } else { consumed }
}

/// One decompressor of the chain.
struct Layer {
    mode: Coding,
    restarts: u8,
    passthrough: bool,
    inf: Inflater,
}

impl Layer {
    fn new(mode: Coding) -> Layer {
        Layer {
            mode,
            restarts: 0,
            passthrough: false,
            inf: Inflater::new(mode),
        }
    }

    /// Decodes one chunk; returns the failures logged and whether the
    /// chunk is to be passed on undecoded (libhtp hands such data to the
    /// body callback directly, past any further layers).
    fn feed(
        &mut self,
        data: &[u8],
        next: &mut dyn FnMut(&[u8]) -> Result<(), Stop>,
    ) -> Result<(u32, bool), Stop> {
        if self.passthrough {
            return Ok((0, true));
        }
        let mut failures = 0;
        let mut from = 0;
        loop {
            let input = data.get(from..).unwrap_or(&[]);
            match self.inf.run(input, next) {
                Ok(()) => return Ok((failures, false)),
                Err(Stop::Bomb) => return Err(Stop::Bomb),
                Err(Stop::Data) => {
                    failures += 1;
                    if self.inf.produced > 0 {
                        // Output came before the error: libhtp keeps it and
                        // ends the stream there.
                        self.inf.ended = true;
                        return Ok((failures, false));
                    }
                    if self.restarts < MAX_RESTARTS {
                        if self.restarts > 0 {
                            self.mode = match self.mode {
                                Coding::Gzip => Coding::Deflate,
                                Coding::Deflate => Coding::Gzip,
                            };
                        }
                        self.restarts += 1;
                        from = probe(data);
                        self.inf = Inflater::new(self.mode);
                        continue;
                    }
                    // Every attempt failed: maybe it is not compressed.
                    self.passthrough = true;
                    return Ok((failures, true));
                }
            }
        }
    }
}

/// Outcome of feeding compressed bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Status {
    Ok,
    /// Decompression failures logged by libhtp in this call (each is a
    /// GZIP_DECOMPRESSION_FAILED event).
    Failed(u32),
    /// A decompression bomb: decoding stopped.
    Bomb,
}

/// A chain of decoders, in the order the Content-Encoding header lists
/// them (libhtp undoes the first listed first).
pub(crate) struct Decoder {
    layers: Vec<Layer>,
    out: Output,
    input_total: u64,
    stopped: bool,
}

impl Decoder {
    /// A decoder for `codings`.
    pub fn new(codings: &[Coding]) -> Decoder {
        Decoder {
            layers: codings.iter().map(|&c| Layer::new(c)).collect(),
            out: Output::default(),
            input_total: 0,
            stopped: false,
        }
    }

    /// Decodes `data`; at most `keep` decoded bytes are returned in the
    /// output's chunk, all of them are counted.
    pub fn feed(&mut self, data: &[u8], keep: usize) -> (Status, &Output) {
        self.out.chunk.clear();
        self.input_total = self.input_total.saturating_add(data.len() as u64);
        if self.stopped || data.is_empty() {
            return (Status::Ok, &self.out);
        }
        let input_total = self.input_total;
        let out = &mut self.out;
        let mut collect = |buf: &[u8]| -> Result<(), Stop> {
            let total = out.total.saturating_add(buf.len() as u64);
            if total > BOMB_LIMIT && total / input_total.max(1) > BOMB_RATIO {
                return Err(Stop::Bomb);
            }
            out.total = total;
            let room = keep.saturating_sub(out.chunk.len());
            out.chunk
                .extend_from_slice(buf.get(..room.min(buf.len())).unwrap_or(&[]));
            Ok(())
        };
        let mut failures = 0;
        let r = feed_chain(&mut self.layers, data, &mut collect, &mut failures);
        let status = match r {
            Err(Stop::Bomb) => {
                self.stopped = true;
                Status::Bomb
            }
            _ if failures > 0 => Status::Failed(failures),
            _ => Status::Ok,
        };
        (status, &self.out)
    }
}

/// Feeds `data` to the first layer, whose output feeds the rest.
fn feed_chain(
    layers: &mut [Layer],
    data: &[u8],
    sink: &mut dyn FnMut(&[u8]) -> Result<(), Stop>,
    failures: &mut u32,
) -> Result<(), Stop> {
    let Some((first, rest)) = layers.split_first_mut() else {
        return sink(data);
    };
    let mut inner_failures = 0;
    let r = {
        let mut next = |buf: &[u8]| feed_chain(rest, buf, sink, &mut inner_failures);
        first.feed(data, &mut next)
    };
    *failures += inner_failures;
    let (n, passthrough) = r?;
    *failures += n;
    if passthrough {
        sink(data)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use flate2::Compression;
    use flate2::write::{DeflateEncoder, GzEncoder, ZlibEncoder};
    use std::io::Write;

    fn gzip(data: &[u8]) -> Vec<u8> {
        let mut e = GzEncoder::new(Vec::new(), Compression::default());
        e.write_all(data).unwrap();
        e.finish().unwrap()
    }

    fn decode(codings: &[Coding], pieces: &[&[u8]]) -> (Vec<u8>, u32) {
        let mut d = Decoder::new(codings);
        let mut got = Vec::new();
        let mut fails = 0;
        for p in pieces {
            let (st, out) = d.feed(p, usize::MAX);
            if let Status::Failed(n) = st {
                fails += n;
            }
            got.extend_from_slice(&out.chunk);
        }
        (got, fails)
    }

    #[test]
    fn gzip_in_pieces() {
        let text = b"hello hello hello hello world".repeat(20);
        let z = gzip(&text);
        let pieces: Vec<&[u8]> = z.chunks(3).collect();
        assert_eq!(decode(&[Coding::Gzip], &pieces), (text, 0));
    }

    #[test]
    fn deflate_modes_as_libhtp() {
        // Raw deflate: fine. zlib-wrapped "deflate": two failures (raw,
        // raw again) before the switch to zlib's automatic mode works.
        let mut e = DeflateEncoder::new(Vec::new(), Compression::default());
        e.write_all(b"xyz").unwrap();
        let raw = e.finish().unwrap();
        assert_eq!(decode(&[Coding::Deflate], &[&raw]), (b"xyz".to_vec(), 0));
        let mut e = ZlibEncoder::new(Vec::new(), Compression::default());
        e.write_all(b"abcabcabc").unwrap();
        let z = e.finish().unwrap();
        assert_eq!(
            decode(&[Coding::Deflate], &[&z]),
            (b"abcabcabc".to_vec(), 2)
        );
        // "gzip" carrying zlib is read by the automatic mode.
        assert_eq!(decode(&[Coding::Gzip], &[&z]), (b"abcabcabc".to_vec(), 0));
    }

    #[test]
    fn bad_gzip_flags_restart_past_the_header() {
        let mut z = gzip(b"payload");
        z[3] = 0x20;
        assert_eq!(decode(&[Coding::Gzip], &[&z]), (b"payload".to_vec(), 2));
    }

    #[test]
    fn corrupt_passes_through_after_four_failures() {
        let junk: &[u8] = &[0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3, 0xff, 0xff, 0xff];
        let (got, fails) = decode(&[Coding::Gzip], &[junk, b"plain"]);
        assert_eq!(fails, 4);
        let mut want = junk.to_vec();
        want.extend_from_slice(b"plain");
        assert_eq!(got, want);
    }

    #[test]
    fn bomb_stops() {
        // One deflate layer tops out near 1:1032; a bomb needs two.
        let z = gzip(&gzip(&vec![0u8; 16 * 1024 * 1024]));
        let mut d = Decoder::new(&[Coding::Gzip, Coding::Gzip]);
        let mut bomb = false;
        for piece in z.chunks(16) {
            let (st, out) = d.feed(piece, 10);
            assert!(out.chunk.len() <= 10);
            if st == Status::Bomb {
                bomb = true;
            }
        }
        assert!(bomb);
    }
}
