//! The HTTP/2 connection as Suricata 7's parser follows it: the client
//! preface, frames in both directions, one transaction per stream (and
//! one per stream-0 frame), stream states, header blocks (HEADERS,
//! PUSH_PROMISE, CONTINUATION) through one HPACK table per direction, and
//! DATA as files, decompressed by their `content-encoding`.

use std::collections::VecDeque;
use std::io::Write;

use flate2::write::{DeflateDecoder, GzDecoder};

use super::UpgradeRequest;
use super::hpack::{self, DynTable, Field, Stop};
use super::tx::{
    CONTINUATION, DATA, FileState, Frame, FrameData, GOAWAY, HEADERS, Http2FileInfo, Http2Tx,
    PRIORITY, PUSH_PROMISE, RST_STREAM, SETTINGS, SETTINGS_IDS, Side, WINDOW_UPDATE,
};
use crate::{AppParser, AppProto, Direction, ParseOutput};

/// The client connection preface.
pub(crate) const PREFACE: &[u8; 24] = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";
const HEADER_LEN: usize = 9;
/// Frames shorter than this are reassembled whole; a longer one is
/// handled from its first bytes and the rest skipped, with
/// `long_frame_data` (Suricata's `HTTP2_MAX_HANDLED_FRAME_SIZE`).
const MAX_HANDLED_FRAME: usize = 65536;
/// Bytes of a long frame needed before it is handled.
const MIN_HANDLED_FRAME: usize = 256;
/// Open transactions past which the oldest is dropped, with
/// `too_many_streams` (Suricata's `HTTP2_MAX_STREAMS`).
pub(crate) const MAX_STREAMS: usize = 4096;
/// Frames kept per transaction side (for the record and keywords); the
/// frame types seen are counted past it.
const MAX_FRAMES: usize = 256;
/// Header fields kept per transaction side.
const MAX_FIELDS: usize = 2048;
/// Body bytes kept per side for `file.data` (the HTTP/1 body limit).
pub(crate) const BODY_LIMIT: usize = 100 * 1024;
/// Header block bytes held while a block continues in CONTINUATION frames.
const MAX_HEADER_BLOCK: usize = 64 * 1024;
/// Body bytes kept for `file.data` over all the streams of a connection.
const BODY_BUDGET: usize = 1024 * 1024;
/// Streams of a connection whose bodies are decompressed at once (a
/// brotli window may take 16 MiB): past these, bodies pass as they are.
const MAX_DECODERS: usize = 64;
const MAX_BROTLI_DECODERS: usize = 4;

/// Frame flags.
const FLAG_END_STREAM: u8 = 0x1;
const FLAG_END_HEADERS: u8 = 0x4;
const FLAG_PADDED: u8 = 0x8;
const FLAG_PRIORITY: u8 = 0x20;

/// Suricata's HTTP/2 event names (as its EVE and `app-layer-event` write
/// them).
pub(crate) mod ev {
    pub const INVALID_CLIENT_MAGIC: &str = "invalid_client_magic";
    pub const INVALID_FRAME_DATA: &str = "invalid_frame_data";
    pub const INVALID_HEADER: &str = "invalid_header";
    pub const INVALID_FRAME_LENGTH: &str = "invalid_frame_length";
    pub const EXTRA_HEADER_DATA: &str = "extra_header_data";
    pub const LONG_FRAME_DATA: &str = "long_frame_data";
    pub const STREAM_ID_REUSE: &str = "stream_id_reuse";
    pub const INVALID_HTTP1_SETTINGS: &str = "invalid_http1_settings";
    pub const FAILED_DECOMPRESSION: &str = "failed_decompression";
    pub const HEADER_INTEGER_OVERFLOW: &str = "header_integer_overflow";
    pub const TOO_MANY_STREAMS: &str = "too_many_streams";
    pub const AUTHORITY_HOST_MISMATCH: &str = "authority_host_mismatch";
    pub const USERINFO_IN_URI: &str = "userinfo_in_uri";
}

/// Stream states (RFC 7540 section 5.1, as Suricata orders them; the
/// transaction is complete from `Closed` on).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum State {
    Open = 1,
    Reserved = 2,
    DataClient = 3,
    HalfClosedClient = 4,
    DataServer = 5,
    HalfClosedServer = 6,
    Closed = 7,
    /// A stream-0 frame: complete at once.
    Global = 8,
    /// Dropped for too many open streams.
    Todrop = 9,
}

/// Where decoded body bytes go: counted, and kept up to [`BODY_LIMIT`].
#[derive(Default)]
struct Sink {
    produced: u64,
    body: Vec<u8>,
    /// Body bytes it may keep (at most [`BODY_LIMIT`]).
    cap: usize,
}

impl Write for Sink {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.produced = self.produced.saturating_add(buf.len() as u64);
        let room = self.cap.min(BODY_LIMIT).saturating_sub(self.body.len());
        self.body
            .extend_from_slice(buf.get(..room.min(buf.len())).unwrap_or(&[]));
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// A direction's body decoder, chosen by the first `content-encoding`.
enum Body {
    /// No (or an unknown) content-encoding yet: bytes as they are.
    Plain(Sink, bool),
    Gzip(Box<GzDecoder<Sink>>),
    Deflate(Box<DeflateDecoder<Sink>>),
    Brotli(Box<brotli_decompressor::DecompressorWriter<Sink>>),
}

impl Default for Body {
    fn default() -> Self {
        Body::Plain(Sink::default(), false)
    }
}

impl Body {
    fn sink(&self) -> &Sink {
        match self {
            Body::Plain(s, _) => s,
            Body::Gzip(d) => d.get_ref(),
            Body::Deflate(d) => d.get_ref(),
            Body::Brotli(d) => d.get_ref(),
        }
    }

    fn sink_mut(&mut self) -> &mut Sink {
        match self {
            Body::Plain(s, _) => s,
            Body::Gzip(d) => d.get_mut(),
            Body::Deflate(d) => d.get_mut(),
            Body::Brotli(d) => d.get_mut(),
        }
    }

    /// The first `content-encoding` header decides (Suricata ignores the
    /// others): `gzip`, `deflate` (raw deflate) and `br` are decoded, while
    /// the connection has decoders to spare (`decoders`: gzip/deflate and
    /// brotli ones in use).
    fn set_encoding(&mut self, value: &[u8], decoders: (usize, usize)) {
        let Body::Plain(sink, decided) = self else {
            return;
        };
        if *decided {
            return;
        }
        let sink = std::mem::take(sink);
        let (flate, brotli) = decoders;
        *self = match value {
            b"gzip" if flate < MAX_DECODERS => Body::Gzip(Box::new(GzDecoder::new(sink))),
            b"deflate" if flate < MAX_DECODERS => {
                Body::Deflate(Box::new(DeflateDecoder::new(sink)))
            }
            b"br" if brotli < MAX_BROTLI_DECODERS => Body::Brotli(Box::new(
                brotli_decompressor::DecompressorWriter::new(sink, 4096),
            )),
            _ => Body::Plain(sink, true),
        };
    }

    /// (gzip/deflate, brotli) decoders it holds.
    fn decoders(&self) -> (usize, usize) {
        match self {
            Body::Plain(..) => (0, 0),
            Body::Gzip(_) | Body::Deflate(_) => (1, 0),
            Body::Brotli(_) => (0, 1),
        }
    }

    /// Decodes `data`; on an error the decoder is dropped (later data
    /// passes as it is) and the frame's output is not counted.
    fn feed(&mut self, data: &[u8]) -> Result<(), ()> {
        let (produced, kept) = {
            let s = self.sink();
            (s.produced, s.body.len())
        };
        let res = match self {
            Body::Plain(s, _) => s.write(data).map(|_| ()),
            Body::Gzip(d) => write_some(d.as_mut(), data),
            Body::Deflate(d) => write_some(d.as_mut(), data),
            Body::Brotli(d) => write_some(d.as_mut(), data),
        };
        if res.is_err() {
            let mut sink = std::mem::take(self.sink_mut());
            sink.produced = produced;
            sink.body.truncate(kept);
            *self = Body::Plain(sink, true);
            return Err(());
        }
        Ok(())
    }
}

/// Writes what the decoder takes (it stops taking at the end of its
/// stream: trailing bytes are ignored, as Suricata's reader does), then
/// flushes its output.
fn write_some(w: &mut dyn Write, mut data: &[u8]) -> std::io::Result<()> {
    while !data.is_empty() {
        let n = w.write(data)?;
        if n == 0 {
            break;
        }
        data = data.get(n..).unwrap_or(&[]);
    }
    w.flush()
}

/// One direction's body seen as a file.
#[derive(Default)]
struct FileTrack {
    open: bool,
    /// Decoded bytes at the file's start.
    start: u64,
}

/// A transaction being parsed.
struct Stream {
    tx: Http2Tx,
    state: State,
    child_stream_id: u32,
    body: [Body; 2],
    files: [FileTrack; 2],
    /// Files ended since the last hand-over: (direction, state, size).
    ended: Vec<(Direction, FileState, u64)>,
    /// Handed over (logged) at the end of parsing data in this direction:
    /// it is kept, for the frames that still refer to it, until data of
    /// the other direction was parsed (Suricata frees a transaction once
    /// both directions' packets inspected it).
    handed_over: Option<Direction>,
    /// A partial copy was handed over for the request's header rules.
    request_shown: bool,
}

impl Stream {
    fn new(id: u64, stream_id: u32, state: State) -> Stream {
        Stream {
            tx: Http2Tx {
                id,
                stream_id,
                ..Http2Tx::default()
            },
            state,
            child_stream_id: 0,
            body: [Body::default(), Body::default()],
            files: [FileTrack::default(), FileTrack::default()],
            ended: Vec::new(),
            handed_over: None,
            request_shown: false,
        }
    }

    fn side_mut(&mut self, dir: Direction) -> &mut Side {
        &mut self.tx.sides[dir.index()]
    }

    fn push_frame(&mut self, dir: Direction, ftype: u8, data: Option<FrameData>) {
        let side = self.side_mut(dir);
        if ftype < 16 {
            side.types |= 1 << ftype;
        }
        if let Some(d) = data
            && side.frames.len() < MAX_FRAMES
        {
            side.frames.push(Frame { data: d });
        }
    }

    fn fields_kept(&self, dir: Direction) -> usize {
        self.tx.sides[dir.index()]
            .frames
            .iter()
            .map(|f| match &f.data {
                FrameData::Headers { fields, .. } => fields.len(),
                _ => 0,
            })
            .sum()
    }

    fn complete(&self) -> bool {
        self.state >= State::Closed
    }

    /// The transaction as handed over now (bodies included).
    fn snapshot(&self, with_body: bool) -> Http2Tx {
        let mut tx = Http2Tx {
            id: self.tx.id,
            stream_id: self.tx.stream_id,
            ..Http2Tx::default()
        };
        for (i, s) in self.tx.sides.iter().enumerate() {
            tx.sides[i].frames = s.frames.clone();
            tx.sides[i].types = s.types;
            if with_body {
                tx.sides[i].body = self.body[i].sink().body.clone();
            }
        }
        tx
    }
}

/// A header block continuing in CONTINUATION frames: the bytes of its
/// last, cut field.
struct Continued {
    stream_id: u32,
    tail: Vec<u8>,
}

/// The HTTP/2 parser of one flow.
pub struct Http2Parser {
    /// The client preface was checked.
    magic_done: bool,
    /// Bytes of an incomplete frame (or preface), per direction.
    buf: [Vec<u8>; 2],
    /// Bytes of a long frame still to skip, per direction.
    skip: [u64; 2],
    /// HPACK tables of what each direction sends.
    tables: [DynTable; 2],
    continued: [Option<Continued>; 2],
    streams: VecDeque<Stream>,
    next_id: u64,
    /// A direction that cannot be followed any more (a gap, a parse error).
    dead: [bool; 2],
    /// Events raised before there was an output to put them in (the
    /// hand-over from HTTP/1).
    queued: Vec<(&'static str, u64)>,
    /// Body bytes kept over the streams (bounded by [`BODY_BUDGET`]).
    body_kept: usize,
}

impl Default for Http2Parser {
    fn default() -> Self {
        Self::new()
    }
}

impl Http2Parser {
    pub fn new() -> Http2Parser {
        Http2Parser {
            magic_done: false,
            buf: [Vec::new(), Vec::new()],
            skip: [0, 0],
            tables: [DynTable::default(), DynTable::default()],
            continued: [None, None],
            streams: VecDeque::new(),
            next_id: 0,
            dead: [false, false],
            queued: Vec::new(),
            body_kept: 0,
        }
    }

    /// The parser of a connection upgraded from HTTP/1 (`Upgrade: h2c`):
    /// the upgrade request becomes stream 1, its `HTTP2-Settings` a
    /// stream-0 SETTINGS (Suricata's `HTTP2MimicHttp1Request`).
    pub fn after_upgrade(req: &UpgradeRequest) -> Http2Parser {
        let mut p = Http2Parser::new();
        if let Some(m) = &req.method {
            p.mimic_header(b":method", m);
        }
        if let Some(u) = &req.uri {
            p.mimic_header(b":path", u);
        }
        for (name, value) in &req.headers {
            if name.as_slice() == b"HTTP2-Settings" {
                p.mimic_settings(value);
            } else if name.eq_ignore_ascii_case(b"host") {
                p.mimic_header(b":authority", value);
            } else {
                p.mimic_header(name, value);
            }
        }
        p
    }

    fn mimic_header(&mut self, name: &[u8], value: &[u8]) {
        let mut out = ParseOutput::default();
        let idx = self.find_or_create(1, HEADERS, Direction::ToServer, &mut out);
        let field = Field::Header(hpack::Header {
            name: name.into(),
            value: value.into(),
            shared: false,
        });
        if let Some(s) = self.streams.get_mut(idx) {
            s.push_frame(
                Direction::ToServer,
                HEADERS,
                Some(FrameData::Headers {
                    priority: None,
                    fields: vec![field],
                }),
            );
            s.state = State::HalfClosedClient;
        }
        self.queue(out);
    }

    fn mimic_settings(&mut self, value: &[u8]) {
        let Some(dec) = decode_base64(value) else {
            self.queue_last(ev::INVALID_HTTP1_SETTINGS);
            return;
        };
        if dec.len() % 6 != 0 {
            self.queue_last(ev::INVALID_HTTP1_SETTINGS);
        }
        let mut out = ParseOutput::default();
        let idx = self.find_or_create(0, SETTINGS, Direction::ToServer, &mut out);
        if let Some(s) = self.streams.get_mut(idx) {
            s.push_frame(
                Direction::ToServer,
                SETTINGS,
                Some(FrameData::Settings(parse_settings(&dec))),
            );
        }
        self.queue(out);
    }

    fn queue(&mut self, out: ParseOutput) {
        for e in out.events {
            if let Some(id) = e.tx_id {
                self.queued.push((e.name, id));
            }
        }
    }

    fn queue_last(&mut self, name: &'static str) {
        if let Some(s) = self.streams.back() {
            self.queued.push((name, s.tx.id));
        }
    }

    /// Raises `name` on the newest transaction (Suricata's state-level
    /// events), if there is one.
    fn event_last(&self, out: &mut ParseOutput, name: &'static str) {
        if let Some(s) = self.streams.back() {
            out.tx_event(AppProto::Http2, name, s.tx.id);
        }
    }

    fn parse_dir(&mut self, dir: Direction, data: &[u8], out: &mut ParseOutput) {
        let d = dir.index();
        if self.dead[d] {
            return;
        }
        let mut data = data;
        // A long frame's rest.
        if self.skip[d] > 0 {
            let n = usize::try_from(self.skip[d])
                .unwrap_or(usize::MAX)
                .min(data.len());
            self.skip[d] -= n as u64;
            data = data.get(n..).unwrap_or(&[]);
        }
        let owned;
        if !self.buf[d].is_empty() {
            let mut b = std::mem::take(&mut self.buf[d]);
            b.extend_from_slice(data);
            owned = b;
            data = &owned;
        }
        let mut pos = 0;
        if dir == Direction::ToServer && !self.magic_done {
            let Some(head) = data.get(..PREFACE.len()) else {
                self.buf[d] = data.to_vec();
                return;
            };
            if head == PREFACE {
                pos = PREFACE.len();
            } else if std::str::from_utf8(head).is_ok() {
                self.event_last(out, ev::INVALID_CLIENT_MAGIC);
            } else {
                // Suricata's parser errors out: nothing more is parsed.
                self.dead = [true, true];
                return;
            }
            self.magic_done = true;
        }
        while let Some(rest) = data.get(pos..) {
            if rest.is_empty() {
                break;
            }
            let Some(h) = rest.get(..HEADER_LEN) else {
                self.buf[d] = rest.to_vec();
                break;
            };
            let length = usize::from(h[0]) << 16 | usize::from(h[1]) << 8 | usize::from(h[2]);
            let ftype = h[3];
            let flags = h[4];
            let stream_id = u32::from_be_bytes([h[5], h[6], h[7], h[8]]) & 0x7fff_ffff;
            let avail = rest.len() - HEADER_LEN;
            let (take, complete) = if avail >= length {
                (length, true)
            } else if length < MAX_HANDLED_FRAME || avail < MIN_HANDLED_FRAME {
                // Wait for the whole frame (or enough of a long one).
                self.buf[d] = rest.to_vec();
                break;
            } else {
                self.event_last(out, ev::LONG_FRAME_DATA);
                self.skip[d] = (length - avail) as u64;
                (avail, false)
            };
            let payload = rest.get(HEADER_LEN..HEADER_LEN + take).unwrap_or(&[]);
            pos += HEADER_LEN + take;
            self.frame(dir, ftype, flags, stream_id, length, payload, complete, out);
        }
    }

    /// One frame (`payload` is all of it unless `complete` is false).
    #[allow(clippy::too_many_arguments)]
    fn frame(
        &mut self,
        dir: Direction,
        ftype: u8,
        flags: u8,
        stream_id: u32,
        length: usize,
        payload: &[u8],
        complete: bool,
        out: &mut ParseOutput,
    ) {
        // A SETTINGS acknowledgement (empty) is no transaction.
        if length == 0 && ftype == SETTINGS {
            return;
        }
        let d = dir.index();
        let data = self.frame_data(dir, ftype, flags, stream_id, payload, complete, out);
        // The stream the frame belongs to.
        let sid = match (&data, ftype) {
            (Parsed::PromiseHeaders { promised, .. }, PUSH_PROMISE) => *promised,
            (_, CONTINUATION) if dir == Direction::ToClient => self.child_stream_id(stream_id),
            _ => stream_id,
        };
        let idx = self.find_or_create(sid, ftype, dir, out);
        let encoding = match &data {
            Parsed::Headers { fields, .. } | Parsed::PromiseHeaders { fields, .. } => fields
                .iter()
                .any(|f| matches!(f, Field::Header(h) if h.name.as_ref() == b"content-encoding")),
            _ => false,
        };
        let decoders = if encoding { self.decoders() } else { (0, 0) };
        let Some(s) = self.streams.get_mut(idx) else {
            return;
        };
        let fields = match &data {
            Parsed::Headers { fields, .. } | Parsed::PromiseHeaders { fields, .. } => Some(fields),
            _ => None,
        };
        // Child stream of a push promise (its CONTINUATIONs).
        let to_client = dir == Direction::ToClient;
        match (ftype, &data) {
            (PUSH_PROMISE, Parsed::PromiseHeaders { promised, .. }) if to_client => {
                if flags & FLAG_END_HEADERS == 0 {
                    s.child_stream_id = *promised;
                }
                s.state = State::Reserved;
            }
            (CONTINUATION, Parsed::Headers { .. })
                if to_client && flags & FLAG_END_HEADERS != 0 =>
            {
                s.child_stream_id = 0;
            }
            (HEADERS, Parsed::Headers { .. }) if to_client => s.child_stream_id = 0,
            (RST_STREAM, Parsed::Frame(_)) => s.child_stream_id = 0,
            _ => {}
        }
        let mut host_events = Vec::new();
        if let Some(fields) = fields {
            host_checks(fields, &mut s.body[d], decoders, &mut host_events);
        }
        // Closing.
        if (ftype == HEADERS && fields.is_some()) || ftype == DATA {
            if flags & FLAG_END_STREAM != 0 {
                s.state = match (s.state, dir) {
                    (State::HalfClosedClient | State::DataServer, Direction::ToClient) => {
                        State::Closed
                    }
                    (State::HalfClosedClient | State::DataServer, Direction::ToServer) => s.state,
                    (State::HalfClosedServer, Direction::ToServer) => State::Closed,
                    (State::HalfClosedServer, Direction::ToClient) => s.state,
                    (State::Closed | State::Global | State::Todrop, _) => s.state,
                    (_, Direction::ToClient) => State::HalfClosedServer,
                    (_, Direction::ToServer) => State::HalfClosedClient,
                };
            } else if ftype == DATA {
                let floor = match dir {
                    Direction::ToServer => State::DataClient,
                    Direction::ToClient => State::DataServer,
                };
                if s.state < floor {
                    s.state = floor;
                }
            }
        }
        let id = s.tx.id;
        let stored = match data {
            Parsed::Headers { fields, priority } => Some(FrameData::Headers { priority, fields }),
            Parsed::PromiseHeaders { fields, .. } => Some(FrameData::Headers {
                priority: None,
                fields,
            }),
            Parsed::Frame(f) => Some(f),
            Parsed::None => None,
        };
        s.push_frame(dir, ftype, stored);
        for e in host_events {
            out.tx_event(AppProto::Http2, e, id);
        }
        if ftype == DATA {
            self.data(dir, flags, stream_id, payload, out);
        }
    }

    /// A DATA frame's payload goes to its stream's file.
    fn data(
        &mut self,
        dir: Direction,
        flags: u8,
        stream_id: u32,
        payload: &[u8],
        out: &mut ParseOutput,
    ) {
        let d = dir.index();
        let Some(idx) = self.find(stream_id) else {
            return;
        };
        let content = if flags & FLAG_PADDED != 0 {
            match unpad(payload) {
                Some(c) => c,
                None => return,
            }
        } else {
            payload
        };
        let kept = self.body_kept;
        let failed = {
            let Some(s) = self.streams.get_mut(idx) else {
                return;
            };
            let body = &mut s.body[d];
            let sink = body.sink_mut();
            sink.cap = sink.body.len() + BODY_BUDGET.saturating_sub(kept);
            let kept_before = sink.body.len();
            let before = body.sink().produced;
            let res = body.feed(content);
            let grown = body.sink().body.len().saturating_sub(kept_before);
            self.body_kept += grown;
            match res {
                Ok(()) => {
                    let file = &mut s.files[d];
                    if !file.open {
                        file.open = true;
                        file.start = before;
                    }
                    if flags & FLAG_END_STREAM != 0 {
                        file.open = false;
                        let size = body.sink().produced.saturating_sub(file.start);
                        s.ended.push((dir, FileState::Closed, size));
                    }
                    false
                }
                Err(()) => true,
            }
        };
        if failed {
            self.event_last(out, ev::FAILED_DECOMPRESSION);
        }
    }

    /// Parses a frame's payload by type (events as Suricata raises them,
    /// on the newest transaction, before the frame's own is found).
    #[allow(clippy::too_many_arguments)]
    fn frame_data(
        &mut self,
        dir: Direction,
        ftype: u8,
        flags: u8,
        stream_id: u32,
        payload: &[u8],
        complete: bool,
        out: &mut ParseOutput,
    ) -> Parsed {
        let be32 =
            |b: &[u8]| -> Option<u32> { Some(u32::from_be_bytes(b.get(..4)?.try_into().ok()?)) };
        match ftype {
            GOAWAY => match be32(payload) {
                Some(c) => Parsed::Frame(FrameData::GoAway(c)),
                None => {
                    self.event_last(out, ev::INVALID_FRAME_LENGTH);
                    Parsed::None
                }
            },
            SETTINGS => {
                let set = parse_settings(payload);
                for (id, value) in &set {
                    if *id == 1 {
                        // What one side announces sizes the other's encoder.
                        self.tables[dir.reverse().index()].set_settings_size(*value);
                    }
                }
                Parsed::Frame(FrameData::Settings(set))
            }
            RST_STREAM | WINDOW_UPDATE | PRIORITY => {
                let want = if ftype == PRIORITY { 5 } else { 4 };
                if payload.len() != want {
                    self.event_last(out, ev::INVALID_FRAME_LENGTH);
                    return Parsed::None;
                }
                let v = be32(payload).unwrap_or(0);
                Parsed::Frame(match ftype {
                    RST_STREAM => FrameData::RstStream(v),
                    WINDOW_UPDATE => FrameData::WindowUpdate(v & 0x7fff_ffff),
                    _ => FrameData::Priority(payload.get(4).copied().unwrap_or(0)),
                })
            }
            HEADERS | PUSH_PROMISE | CONTINUATION => {
                self.header_block(dir, ftype, flags, stream_id, payload, complete, out)
            }
            _ => Parsed::None,
        }
    }

    /// A HEADERS, PUSH_PROMISE or CONTINUATION frame: its header block
    /// fragment decoded. A block cut by the end of a frame without
    /// END_HEADERS continues in the next CONTINUATION of the stream.
    #[allow(clippy::too_many_arguments)]
    fn header_block(
        &mut self,
        dir: Direction,
        ftype: u8,
        flags: u8,
        stream_id: u32,
        payload: &[u8],
        complete: bool,
        out: &mut ParseOutput,
    ) -> Parsed {
        let d = dir.index();
        let invalid = |me: &Self, out: &mut ParseOutput| {
            if complete {
                me.event_last(out, ev::INVALID_FRAME_DATA);
            }
            Parsed::None
        };
        let mut frag = payload;
        if ftype != CONTINUATION && flags & FLAG_PADDED != 0 {
            // Suricata skips the pad length but decodes the padding as
            // header block bytes (zeros: an empty literal per 3 bytes, and
            // a cut one makes the frame invalid), measured on 7.0.10.
            match frag.split_first() {
                Some((_, rest)) => frag = rest,
                None => return invalid(self, out),
            }
        }
        let mut priority = None;
        let mut promised = 0;
        if ftype == HEADERS && flags & FLAG_PRIORITY != 0 {
            let Some(p) = frag.get(..5) else {
                return invalid(self, out);
            };
            priority = p.get(4).copied();
            frag = frag.get(5..).unwrap_or(&[]);
        }
        if ftype == PUSH_PROMISE {
            let Some(p) = frag.get(..4) else {
                return invalid(self, out);
            };
            promised = u32::from_be_bytes([p[0], p[1], p[2], p[3]]) & 0x7fff_ffff;
            frag = frag.get(4..).unwrap_or(&[]);
        }
        // A CONTINUATION picks up the cut field of its stream's block.
        let joined;
        if ftype == CONTINUATION
            && let Some(c) = self.continued[d].take()
            && c.stream_id == stream_id
        {
            let mut j = c.tail;
            j.extend_from_slice(frag);
            joined = j;
            frag = &joined;
        } else if ftype != CONTINUATION {
            self.continued[d] = None;
        }
        let keep = self
            .find(match ftype {
                PUSH_PROMISE => promised,
                _ => stream_id,
            })
            .and_then(|i| self.streams.get(i))
            .map_or(MAX_FIELDS, |s| {
                MAX_FIELDS.saturating_sub(s.fields_kept(dir))
            });
        let mut fields = Vec::new();
        let stop = hpack::decode(frag, &mut self.tables[d], &mut fields, keep);
        let ends = flags & FLAG_END_HEADERS != 0;
        match stop {
            Stop::End => {}
            Stop::Incomplete(at) if !ends && complete => {
                let tail = frag.get(at..).unwrap_or(&[]);
                if tail.len() <= MAX_HEADER_BLOCK {
                    self.continued[d] = Some(Continued {
                        stream_id,
                        tail: tail.to_vec(),
                    });
                }
            }
            Stop::Incomplete(_) => return invalid(self, out),
            Stop::Overflow(_) => {
                if ftype == HEADERS {
                    self.event_last(out, ev::EXTRA_HEADER_DATA);
                }
            }
        }
        // Field errors and table size updates (Suricata's process_headers).
        for f in &fields {
            match f {
                Field::Error(hpack::FieldError::IntegerOverflow) => {
                    self.event_last(out, ev::HEADER_INTEGER_OVERFLOW);
                }
                Field::Error(_) => self.event_last(out, ev::INVALID_HEADER),
                _ => {}
            }
        }
        if let Some(size) = hpack::size_update(&fields) {
            self.tables[d].max_size = usize::try_from(size).unwrap_or(usize::MAX);
        }
        match ftype {
            PUSH_PROMISE => Parsed::PromiseHeaders { promised, fields },
            _ => Parsed::Headers { fields, priority },
        }
    }

    /// Decoders in use over the connection's streams.
    fn decoders(&self) -> (usize, usize) {
        self.streams
            .iter()
            .flat_map(|s| s.body.iter().map(Body::decoders))
            .fold((0, 0), |a, b| (a.0 + b.0, a.1 + b.1))
    }

    fn find(&self, stream_id: u32) -> Option<usize> {
        self.streams
            .iter()
            .rposition(|s| s.tx.stream_id == stream_id)
    }

    fn child_stream_id(&self, stream_id: u32) -> u32 {
        match self.find(stream_id).and_then(|i| self.streams.get(i)) {
            Some(s) if s.child_stream_id > 0 => s.child_stream_id,
            _ => stream_id,
        }
    }

    /// The transaction of stream `sid` (a new one for each stream-0 frame).
    fn find_or_create(
        &mut self,
        sid: u32,
        ftype: u8,
        dir: Direction,
        out: &mut ParseOutput,
    ) -> usize {
        let _ = dir;
        if sid != 0
            && let Some(i) = self.find(sid)
        {
            if self
                .streams
                .get(i)
                .is_some_and(|s| s.state == State::Closed)
                && !matches!(ftype, RST_STREAM | WINDOW_UPDATE | PRIORITY)
            {
                self.event_last(out, ev::STREAM_ID_REUSE);
            }
            return i;
        }
        let id = self.next_id;
        self.next_id += 1;
        if sid == 0 {
            self.streams.push_back(Stream::new(id, 0, State::Global));
            return self.streams.len() - 1;
        }
        if self.streams.len() > MAX_STREAMS
            && let Some(old) = self.streams.iter_mut().find(|s| s.state != State::Todrop)
        {
            old.state = State::Todrop;
            out.tx_event(AppProto::Http2, ev::TOO_MANY_STREAMS, old.tx.id);
        }
        self.streams.push_back(Stream::new(id, sid, State::Open));
        self.streams.len() - 1
    }

    /// Hands over the files that ended and the transactions that are
    /// complete (`dir`: the direction whose data was just parsed), or all
    /// of them at the flow's end (`None`; open files truncated).
    ///
    /// A file is logged once data of the other direction was parsed (on
    /// the next packet of its own direction, as Suricata's file logger
    /// sees it), with its transaction as it stands then.
    fn emit(&mut self, out: &mut ParseOutput, dir: Option<Direction>) {
        for (name, id) in self.queued.drain(..) {
            out.tx_event(AppProto::Http2, name, id);
        }
        for s in self.streams.iter_mut() {
            if dir.is_none() {
                for (d, fdir) in [(0, Direction::ToServer), (1, Direction::ToClient)] {
                    let file = &mut s.files[d];
                    if file.open {
                        file.open = false;
                        let size = s.body[d].sink().produced.saturating_sub(file.start);
                        s.ended.push((fdir, FileState::Truncated, size));
                    }
                }
            }
            let due = |f: Direction| dir.is_none_or(|d| f == d.reverse());
            if s.ended.iter().any(|(f, _, _)| due(*f)) {
                let snap = s.snapshot(false);
                let (now, later): (Vec<_>, Vec<_>) =
                    s.ended.drain(..).partition(|(f, _, _)| due(*f));
                s.ended = later;
                for (direction, state, size) in now {
                    out.tx(Http2FileInfo {
                        tx: snap.clone(),
                        direction,
                        state,
                        size,
                    });
                }
            }
        }
        if let Some(d) = dir {
            let mut freed = 0;
            self.streams.retain(|s| {
                let keep = s.handed_over != Some(d.reverse()) || !s.ended.is_empty();
                if !keep {
                    freed += s.body.iter().map(|b| b.sink().body.len()).sum::<usize>();
                }
                keep
            });
            self.body_kept = self.body_kept.saturating_sub(freed);
        }
        for s in self.streams.iter_mut() {
            // A request under way: its header rules run now.
            if s.handed_over.is_none()
                && dir.is_some()
                && !s.complete()
                && !s.request_shown
                && matches!(
                    s.state,
                    State::DataClient
                        | State::HalfClosedClient
                        | State::DataServer
                        | State::HalfClosedServer
                )
            {
                s.request_shown = true;
                let mut tx = s.snapshot(false);
                tx.partial = true;
                tx.finalize();
                out.tx(tx);
            }
            if s.handed_over.is_none() && (dir.is_none() || s.complete()) {
                let mut tx = s.snapshot(true);
                tx.finalize();
                out.tx(tx);
                s.handed_over = Some(dir.unwrap_or(Direction::ToServer));
            }
        }
        if dir.is_none() {
            self.streams.clear();
            self.body_kept = 0;
        }
    }
}

/// A frame's parsed payload.
enum Parsed {
    None,
    Frame(FrameData),
    Headers {
        fields: Vec<Field>,
        priority: Option<u8>,
    },
    PromiseHeaders {
        promised: u32,
        fields: Vec<Field>,
    },
}

/// The settings of a SETTINGS payload, up to the first identifier Suricata
/// does not know.
pub(crate) fn parse_settings(payload: &[u8]) -> Vec<(u16, u32)> {
    let mut out = Vec::new();
    for c in payload.chunks_exact(6) {
        let id = u16::from_be_bytes([c[0], c[1]]);
        if !SETTINGS_IDS.iter().any(|(i, _, _)| *i == id) {
            break;
        }
        out.push((id, u32::from_be_bytes([c[2], c[3], c[4], c[5]])));
    }
    out
}

/// A padded payload without its pad length and padding.
fn unpad(payload: &[u8]) -> Option<&[u8]> {
    let (&pad, rest) = payload.split_first()?;
    rest.get(..rest.len().checked_sub(usize::from(pad))?)
}

/// `content-encoding`, and the `:authority` checks of Suricata 7: userinfo
/// in it, a `host` header that differs (within one frame).
fn host_checks(
    fields: &[Field],
    body: &mut Body,
    decoders: (usize, usize),
    events: &mut Vec<&'static str>,
) {
    let mut authority = None;
    let mut host = None;
    for f in fields {
        let Field::Header(h) = f else { continue };
        if h.name.as_ref() == b"content-encoding" {
            body.set_encoding(&h.value, decoders);
        } else if h.name.eq_ignore_ascii_case(b":authority") {
            authority = Some(&h.value);
            if h.value.contains(&b'@') {
                events.push(ev::USERINFO_IN_URI);
            }
        } else if h.name.eq_ignore_ascii_case(b"host") {
            host = Some(&h.value);
        }
    }
    if let (Some(a), Some(h)) = (authority, host)
        && !a.eq_ignore_ascii_case(h)
    {
        events.push(ev::AUTHORITY_HOST_MISMATCH);
    }
}

/// Base64 (standard alphabet; the URL-safe one of RFC 7540 too) of an
/// `HTTP2-Settings` header, padding optional.
fn decode_base64(v: &[u8]) -> Option<Vec<u8>> {
    let v = v
        .strip_suffix(b"==")
        .or_else(|| v.strip_suffix(b"="))
        .unwrap_or(v);
    let mut out = Vec::with_capacity(v.len() * 3 / 4);
    let mut acc: u32 = 0;
    let mut bits = 0;
    for &c in v {
        let x = match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'+' | b'-' => 62,
            b'/' | b'_' => 63,
            _ => return None,
        };
        acc = (acc << 6) | u32::from(x);
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
        }
    }
    if bits >= 6 {
        return None;
    }
    Some(out)
}

impl AppParser for Http2Parser {
    fn parse(&mut self, dir: Direction, data: &[u8], out: &mut ParseOutput) {
        self.parse_dir(dir, data, out);
        self.emit(out, Some(dir));
    }

    fn gap(&mut self, dir: Direction, _len: u64, out: &mut ParseOutput) {
        // Frames cannot be found again after missing bytes.
        let d = dir.index();
        self.dead[d] = true;
        self.buf[d] = Vec::new();
        self.continued[d] = None;
        self.emit(out, Some(dir));
    }

    fn finish(&mut self, out: &mut ParseOutput) {
        self.emit(out, None);
    }
}
