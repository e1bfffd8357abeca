//! Content-Encoding decoding (gzip, deflate) for bodies, streaming and
//! bounded: output is counted, kept only up to the body limit, and a
//! decompression bomb stops the decoder.

use std::io::{self, Write};

use flate2::write::{DeflateDecoder, GzDecoder, ZlibDecoder};

/// A coding libhtp decodes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Coding {
    Gzip,
    Deflate,
}

/// Decompressed output past this many bytes, at a ratio above
/// [`BOMB_RATIO`], is a compression bomb (Suricata's defaults).
pub(crate) const BOMB_LIMIT: u64 = 1024 * 1024;
const BOMB_RATIO: u64 = 2048;

/// What the decoder hands on.
#[derive(Default)]
pub(crate) struct Output {
    /// Decoded bytes produced by the last call.
    pub chunk: Vec<u8>,
    /// Total decoded bytes so far.
    pub total: u64,
}

struct Collect {
    out: Output,
    /// A layer failed since the last call (and now passes data through).
    failed: bool,
    /// Bytes kept per call at most (the caller stores up to its limit;
    /// beyond it only the count matters).
    keep: usize,
    input_total: u64,
}

impl Write for Collect {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let total = self.out.total.saturating_add(buf.len() as u64);
        if total > BOMB_LIMIT && total / self.input_total.max(1) > BOMB_RATIO {
            return Err(io::Error::other("compression bomb"));
        }
        self.out.total = total;
        let room = self.keep.saturating_sub(self.out.chunk.len());
        self.out
            .chunk
            .extend_from_slice(buf.get(..room.min(buf.len())).unwrap_or(&[]));
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// One decoding layer writing into the next (or the collector).
enum Sink {
    Collect(Collect),
    Layer(Box<Layer>),
}

impl Write for Sink {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match self {
            Sink::Collect(c) => c.write(buf),
            Sink::Layer(l) => l.write(buf),
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl Sink {
    /// The collector at the end of the chain (absent only while a layer is
    /// being switched, which never spans a call).
    fn collect(&mut self) -> Option<&mut Collect> {
        match self {
            Sink::Collect(c) => Some(c),
            Sink::Layer(l) => l.sink_mut()?.collect(),
        }
    }
}

/// A layer whose format is decided by its first bytes.
enum Layer {
    /// Waiting for enough bytes to pick the format.
    Sniff {
        coding: Coding,
        head: Vec<u8>,
        next: Sink,
    },
    Gzip(GzDecoder<Sink>),
    Zlib(ZlibDecoder<Sink>),
    Raw(DeflateDecoder<Sink>),
    /// Decoding failed: bytes pass through unchanged, as libhtp does.
    Passthrough(Sink),
    /// A placeholder while switching variants.
    Empty,
}

impl Layer {
    fn sink_mut(&mut self) -> Option<&mut Sink> {
        match self {
            Layer::Sniff { next, .. } => Some(next),
            Layer::Gzip(d) => Some(d.get_mut()),
            Layer::Zlib(d) => Some(d.get_mut()),
            Layer::Raw(d) => Some(d.get_mut()),
            Layer::Passthrough(s) => Some(s),
            Layer::Empty => None,
        }
    }

    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        if let Layer::Sniff { coding, head, .. } = self {
            head.extend_from_slice(buf);
            if head.len() < 2 {
                return Ok(buf.len());
            }
            let coding = *coding;
            let Layer::Sniff { head, next, .. } = std::mem::replace(self, Layer::Empty) else {
                return Ok(buf.len());
            };
            let gzip_magic = head.starts_with(&[0x1f, 0x8b]);
            let zlib = head.first().zip(head.get(1)).is_some_and(|(&a, &b)| {
                a & 0x0f == 8 && (u16::from(a) << 8 | u16::from(b)) % 31 == 0
            });
            *self = match (coding, gzip_magic, zlib) {
                (_, true, _) => Layer::Gzip(GzDecoder::new(next)),
                (_, false, true) => Layer::Zlib(ZlibDecoder::new(next)),
                _ => Layer::Raw(DeflateDecoder::new(next)),
            };
            self.feed(&head)?;
            return Ok(buf.len());
        }
        self.feed(buf)?;
        Ok(buf.len())
    }

    fn feed(&mut self, buf: &[u8]) -> io::Result<()> {
        // The decoders buffer their output until flushed: flush after each
        // write so decoded bytes reach the collector (and the bomb check).
        let r = match self {
            Layer::Gzip(d) => d.write_all(buf).and_then(|()| d.flush()),
            Layer::Zlib(d) => d.write_all(buf).and_then(|()| d.flush()),
            Layer::Raw(d) => d.write_all(buf).and_then(|()| d.flush()),
            Layer::Passthrough(s) => return s.write_all(buf),
            Layer::Sniff { .. } | Layer::Empty => return Ok(()),
        };
        match r {
            Ok(()) => Ok(()),
            Err(e) if e.to_string() == "compression bomb" => Err(e),
            Err(_) => {
                // Corrupt stream: pass the rest through undecoded.
                let old = std::mem::replace(self, Layer::Empty);
                let sink = match old {
                    Layer::Gzip(d) => d.into_inner_sink(),
                    Layer::Zlib(d) => d.into_inner_sink(),
                    Layer::Raw(d) => d.into_inner_sink(),
                    other => {
                        *self = other;
                        return Ok(());
                    }
                };
                *self = Layer::Passthrough(sink);
                // Note the failure at the end of the chain and hand this
                // block on undecoded, as libhtp does; outer layers go on.
                if let Layer::Passthrough(sink) = self {
                    if let Some(c) = sink.collect() {
                        c.failed = true;
                    }
                    return sink.write_all(buf);
                }
                Ok(())
            }
        }
    }
}

/// Recovers the sink of a failed decoder without flushing it again.
trait IntoSink {
    fn into_inner_sink(self) -> Sink;
}

macro_rules! into_sink {
    ($t:ident) => {
        impl IntoSink for $t<Sink> {
            fn into_inner_sink(mut self) -> Sink {
                // `finish` would try to flush pending output through the
                // broken stream; swap the sink out instead.
                std::mem::replace(
                    self.get_mut(),
                    Sink::Collect(Collect {
                        out: Output::default(),
                        failed: false,
                        keep: 0,
                        input_total: 0,
                    }),
                )
            }
        }
    };
}
into_sink!(GzDecoder);
into_sink!(ZlibDecoder);
into_sink!(DeflateDecoder);

/// Outcome of feeding compressed bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Status {
    Ok,
    /// The stream was corrupt; later bytes pass through (raise
    /// GZIP_DECOMPRESSION_FAILED once).
    Failed,
    /// A decompression bomb: decoding stopped.
    Bomb,
}

/// A chain of decoders (outermost coding first, as the header lists them
/// in reverse order of application).
pub(crate) struct Decoder {
    top: Sink,
    stopped: bool,
    /// Returned if the chain is ever found mid-switch (never expected).
    empty: Output,
}

impl Decoder {
    /// A decoder for `codings` applied in header order (the last listed is
    /// undone first).
    pub fn new(codings: &[Coding]) -> Decoder {
        let mut sink = Sink::Collect(Collect {
            out: Output::default(),
            failed: false,
            keep: 0,
            input_total: 0,
        });
        for &coding in codings {
            sink = Sink::Layer(Box::new(Layer::Sniff {
                coding,
                head: Vec::new(),
                next: sink,
            }));
        }
        Decoder {
            top: sink,
            stopped: false,
            empty: Output::default(),
        }
    }

    /// Decodes `data`; at most `keep` decoded bytes are returned in the
    /// output's chunk, all of them are counted.
    pub fn feed(&mut self, data: &[u8], keep: usize) -> (Status, &Output) {
        if let Some(c) = self.top.collect() {
            c.out.chunk.clear();
            c.keep = keep;
            c.input_total = c.input_total.saturating_add(data.len() as u64);
        }
        let status = if self.stopped {
            Status::Ok
        } else {
            match self.top.write_all(data) {
                Ok(()) => Status::Ok,
                Err(e) if e.to_string() == "compression bomb" => {
                    self.stopped = true;
                    Status::Bomb
                }
                Err(_) => Status::Failed,
            }
        };
        let failed = self
            .top
            .collect()
            .is_some_and(|c| std::mem::take(&mut c.failed));
        let status = match status {
            Status::Ok if failed => Status::Failed,
            other => other,
        };
        match self.top.collect() {
            Some(c) => (status, &c.out),
            None => (status, &self.empty),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use flate2::Compression;
    use flate2::write::{GzEncoder, ZlibEncoder};

    fn gzip(data: &[u8]) -> Vec<u8> {
        let mut e = GzEncoder::new(Vec::new(), Compression::default());
        e.write_all(data).unwrap();
        e.finish().unwrap()
    }

    #[test]
    fn gzip_in_pieces() {
        let text = b"hello hello hello hello world".repeat(20);
        let z = gzip(&text);
        let mut d = Decoder::new(&[Coding::Gzip]);
        let mut got = Vec::new();
        for piece in z.chunks(3) {
            let (st, out) = d.feed(piece, usize::MAX);
            assert_eq!(st, Status::Ok);
            got.extend_from_slice(&out.chunk);
        }
        assert_eq!(got, text);
    }

    #[test]
    fn deflate_zlib_and_raw() {
        let mut e = ZlibEncoder::new(Vec::new(), Compression::default());
        e.write_all(b"abcabcabc").unwrap();
        let z = e.finish().unwrap();
        let mut d = Decoder::new(&[Coding::Deflate]);
        assert_eq!(d.feed(&z, 100).1.chunk, b"abcabcabc");
        let mut e = flate2::write::DeflateEncoder::new(Vec::new(), Compression::default());
        e.write_all(b"xyz").unwrap();
        let raw = e.finish().unwrap();
        let mut d = Decoder::new(&[Coding::Deflate]);
        assert_eq!(d.feed(&raw, 100).1.chunk, b"xyz");
    }

    #[test]
    fn corrupt_passes_through() {
        let mut d = Decoder::new(&[Coding::Gzip]);
        let (st, _) = d.feed(&[0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3, 0xff, 0xff, 0xff], 100);
        assert_eq!(st, Status::Failed);
        let (st, out) = d.feed(b"plain", 100);
        assert_eq!(st, Status::Ok);
        assert_eq!(out.chunk, b"plain");
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
