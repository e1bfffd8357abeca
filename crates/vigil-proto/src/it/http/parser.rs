//! The HTTP/1.x connection parser: one state machine per direction, modelled
//! on libhtp 0.5 as Suricata 7 drives it (IDS personality, its defaults).
//!
//! Transactions are created when a request starts (or when a response comes
//! without one) and numbered from 0; a response pairs with the oldest
//! transaction that has none. A transaction is logged once both sides are
//! complete, in order, or at the end of the flow.

use std::collections::VecDeque;

use super::decode::{self, Coding, Decoder};
use super::multipart::{self, Multipart};
use super::tx::{AddOutcome, FileInfo, FileState, HttpTx, TxPart};
use super::util::{self, Protocol};
use crate::{AppParser, AppProto, Direction, ParseOutput, Transaction};

const PROTO: AppProto = AppProto::Http;

/// Longest header or request/response line (libhtp's field limit as
/// Suricata sets it); longer is REQUEST/RESPONSE_FIELD_TOO_LONG and the
/// direction stops.
pub(crate) const FIELD_LIMIT: usize = 18_000;
/// Headers per message (Suricata 7's default headers limit).
pub(crate) const HEADERS_LIMIT: usize = 1024;
/// Header bytes (names and values) stored per message: with up to
/// [`MAX_OPEN_TXS`] pipelined requests this bounds a flow's header memory
/// (libhtp has no such cap; real header sections are far smaller).
pub(crate) const HEADER_BYTES_LIMIT: usize = 32 * 1024;
/// Pipelined requests beyond this many open transactions keep no body for
/// the rule buffers (their files are still tracked), bounding body memory.
const BODY_KEEP_TXS: usize = 8;
/// Body bytes kept per transaction and direction for rule buffers
/// (request-body-limit / response-body-limit: 100kb).
pub(crate) const BODY_LIMIT: usize = 100 * 1024;
/// Raw header bytes kept per message for `http.header.raw`.
const RAW_HEADER_LIMIT: usize = 64 * 1024;
/// Transactions open at once (libhtp's max-tx default); past it the flow
/// stops being parsed.
pub(crate) const MAX_OPEN_TXS: usize = 512;
/// Request bytes held while waiting for the answer to a CONNECT.
const CONNECT_HOLD_LIMIT: usize = 64 * 1024;
/// libhtp stops adding events after this many messages per connection.
const MAX_EVENTS: u32 = 256;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum ReqState {
    Idle,
    Line,
    Headers,
    BodyIdentity,
    ChunkLen,
    ChunkData,
    ChunkDataEnd,
    /// After a request: decides whether the next bytes start a new request
    /// or are unexpected body data.
    Finalize,
    /// A CONNECT request waits for its response.
    ConnectWait,
    /// Data after a short HTTP/0.9 request is ignored.
    Ignore09,
    /// Tunnel, error or limit: nothing more is parsed.
    Stopped,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum ResState {
    Idle,
    Line,
    Headers,
    BodyIdentity,
    BodyClose,
    ChunkLen,
    ChunkData,
    ChunkDataEnd,
    Finalize,
    Stopped,
}

/// The body framing of a message.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Framing {
    None,
    Length(u64),
    Chunked,
    Close,
}

/// A file being tracked for a body.
#[derive(Debug)]
struct FileTrack {
    name: Vec<u8>,
    size: u64,
    gaps: bool,
    /// Start and end of a Content-Range response.
    range: Option<(u64, u64)>,
    /// The body went past the body limit: the file stops there.
    truncated: bool,
}

impl FileTrack {
    fn new(name: Vec<u8>) -> FileTrack {
        FileTrack {
            name,
            size: 0,
            gaps: false,
            range: None,
            truncated: false,
        }
    }

    /// How Suricata closes it normally.
    fn close_state(&self) -> FileState {
        if self.gaps || self.truncated {
            FileState::Truncated
        } else {
            FileState::Closed
        }
    }
}

/// Per-direction parser state of one transaction.
#[derive(Default)]
struct SideTx {
    complete: bool,
    decoder: Option<Decoder>,
    file: Option<FileTrack>,
    /// A file is wanted for this body (PUT request, any response).
    file_wanted: bool,
    file_name: Vec<u8>,
    /// A multipart/form-data request body: its file parts are the files.
    multipart: Option<Multipart>,
    /// Decoded body bytes so far: files only get the first
    /// [`BODY_LIMIT`] of them (Suricata's body limit bounds its files).
    body_seen: u64,
    /// Header flags logged once per transaction.
    warned_unparseable: bool,
    warned_invalid: bool,
    warned_folding: bool,
    warned_repetition: bool,
    warned_unexpected_body: bool,
    headers_over_limit: bool,
}

/// A transaction being parsed.
struct Slot {
    tx: HttpTx,
    req: SideTx,
    res: SideTx,
    protocol: Protocol,
    method_known: bool,
    is_09: bool,
    is_connect: bool,
    is_head: bool,
    status: Option<u16>,
    seen_100: bool,
    /// Events Suricata raises from libhtp's transaction flags when the
    /// request completes, in its order.
    req_flags: Vec<&'static str>,
    /// Request framing, known after the headers.
    req_framing: Framing,
    /// Hostname and port of an absolute request URI (normalized); libhtp
    /// copies them into the transaction when the headers are done.
    uri_host: Option<Vec<u8>>,
    uri_port: Option<u16>,
    /// Files that ended, logged with the transaction's record (Suricata
    /// logs a transaction's files in the same pass as the transaction).
    files: Vec<(Direction, FileTrack, FileState)>,
    /// Progress of the request at its last partial snapshot: raw header
    /// bytes seen and whether the headers were complete.
    partial_seen: Option<(usize, bool)>,
}

impl Slot {
    fn new(id: u64) -> Slot {
        Slot {
            tx: HttpTx {
                id,
                ..HttpTx::default()
            },
            req: SideTx::default(),
            res: SideTx::default(),
            protocol: Protocol::Invalid,
            method_known: false,
            is_09: false,
            is_connect: false,
            is_head: false,
            status: None,
            seen_100: false,
            req_flags: Vec::new(),
            req_framing: Framing::None,
            uri_host: None,
            uri_port: None,
            files: Vec::new(),
            partial_seen: None,
        }
    }
}

/// Line accumulation for one direction.
#[derive(Default)]
struct LineBuf {
    buf: Vec<u8>,
    /// The response side treats a lone CR as a line end; a CR at the end of
    /// a chunk waits for the next byte.
    pending_cr: bool,
}

/// What reading a line found.
enum Line {
    /// A complete line (terminator included) is in the buffer.
    Complete,
    /// More bytes are needed.
    Partial,
    /// The line exceeds [`FIELD_LIMIT`].
    TooLong,
}

impl LineBuf {
    /// Appends bytes of `data[*pos..]` up to and including the next LF (or,
    /// with `lone_cr`, a CR not followed by LF). Each byte is scanned once.
    fn read(&mut self, data: &[u8], pos: &mut usize, lone_cr: bool) -> Line {
        loop {
            let rest = data.get(*pos..).unwrap_or(&[]);
            if self.pending_cr {
                match rest.first() {
                    None => return Line::Partial,
                    Some(&c @ (b'\n' | b'\r')) => {
                        // CRLF ends the line; CRCR does not (libhtp keeps
                        // reading).
                        if self.buf.len() >= FIELD_LIMIT {
                            return Line::TooLong;
                        }
                        self.buf.push(c);
                        *pos += 1;
                        if c == b'\n' {
                            self.pending_cr = false;
                            return Line::Complete;
                        }
                        continue;
                    }
                    Some(_) => {
                        // A lone CR ends the line.
                        self.pending_cr = false;
                        return Line::Complete;
                    }
                }
            }
            let found = if lone_cr {
                memchr::memchr2(b'\n', b'\r', rest)
            } else {
                memchr::memchr(b'\n', rest)
            };
            let Some(i) = found else {
                if self.buf.len() + rest.len() > FIELD_LIMIT {
                    return Line::TooLong;
                }
                self.buf.extend_from_slice(rest);
                *pos = data.len();
                return Line::Partial;
            };
            let take = rest.get(..=i).unwrap_or(&[]);
            if self.buf.len() + take.len() > FIELD_LIMIT {
                return Line::TooLong;
            }
            let bare_lf = rest.get(i) == Some(&b'\n')
                && match i.checked_sub(1) {
                    Some(p) => rest.get(p) != Some(&b'\r'),
                    None => self.buf.last() != Some(&b'\r'),
                };
            self.buf.extend_from_slice(take);
            *pos += i + 1;
            if rest.get(i) == Some(&b'\r') {
                self.pending_cr = true;
                continue;
            }
            // libhtp's response side reads "LF CR" as one line end.
            if lone_cr && bare_lf && rest.get(i + 1) == Some(&b'\r') {
                self.buf.push(b'\r');
                *pos += 1;
            }
            return Line::Complete;
        }
    }

    fn take(&mut self) -> Vec<u8> {
        std::mem::take(&mut self.buf)
    }
}

/// Whether a header line (terminator stripped) continues the previous
/// one. libhtp answers yes for an empty line too (a lone "\r\r\n").
fn is_folded(data: &[u8]) -> bool {
    data.first().is_none_or(|&c| is_folding_char(c))
}

/// libhtp's folding characters: SP, HT and NUL.
fn is_folding_char(c: u8) -> bool {
    util::is_lws(c) || c == 0
}

/// Is this line just a terminator ("\n" or "\r\n")?
fn is_terminator(line: &[u8]) -> bool {
    line == b"\n" || line == b"\r\n"
}

/// The HTTP parser of one flow.
pub struct HttpParser {
    req_state: ReqState,
    res_state: ResState,
    req_line: LineBuf,
    res_line: LineBuf,
    /// A header line waiting to see whether the next line folds into it.
    req_header: Option<Vec<u8>>,
    res_header: Option<Vec<u8>>,
    req_left: u64,
    res_left: u64,
    txs: VecDeque<Slot>,
    /// Id of the first slot in `txs`.
    base_id: u64,
    next_id: u64,
    req_tx: Option<u64>,
    res_tx: Option<u64>,
    /// Next transaction id the response side pairs with.
    next_res_id: u64,
    /// Request bytes held while a CONNECT waits for its answer.
    held: Vec<u8>,
    events: u32,
    /// The header state is reading trailers after a chunked body.
    req_trailer: bool,
    res_trailer: bool,
    /// A 101 answer: both directions stop after this response.
    tunnel_after_response: bool,
    /// A 101 answered with `Upgrade: h2c`: the connection goes to HTTP/2
    /// with this request once the response is done.
    h2c: Option<crate::it::http2::UpgradeRequest>,
    /// The flow is ending (`finish`).
    closing: bool,
    /// After a successful CONNECT.
    tunnel: Tunnel,
    /// Request bytes that followed the CONNECT request.
    tunnel_held: Vec<u8>,
    /// A CONNECT got a 2xx answer (the tunnel opens when it completes).
    connect_accepted: bool,
}

impl Default for HttpParser {
    fn default() -> Self {
        Self::new()
    }
}

impl HttpParser {
    /// A parser for a new connection.
    pub fn new() -> HttpParser {
        HttpParser {
            req_state: ReqState::Idle,
            res_state: ResState::Idle,
            req_line: LineBuf::default(),
            res_line: LineBuf::default(),
            req_header: None,
            res_header: None,
            req_left: 0,
            res_left: 0,
            txs: VecDeque::new(),
            base_id: 0,
            next_id: 0,
            req_tx: None,
            res_tx: None,
            next_res_id: 0,
            held: Vec::new(),
            events: 0,
            req_trailer: false,
            res_trailer: false,
            tunnel_after_response: false,
            h2c: None,
            closing: false,
            tunnel: Tunnel::None,
            tunnel_held: Vec::new(),
            connect_accepted: false,
        }
    }

    fn slot(&mut self, id: Option<u64>) -> Option<&mut Slot> {
        let idx = id?.checked_sub(self.base_id)?;
        self.txs.get_mut(usize::try_from(idx).ok()?)
    }

    fn event(&mut self, out: &mut ParseOutput, name: &'static str, tx: Option<u64>) {
        if self.events >= MAX_EVENTS {
            return;
        }
        self.events += 1;
        match tx {
            Some(id) => out.tx_event(PROTO, name, id),
            None => out.event(PROTO, name),
        }
    }

    fn req_event(&mut self, out: &mut ParseOutput, name: &'static str) {
        let tx = self.req_tx;
        self.event(out, name, tx);
    }

    fn res_event(&mut self, out: &mut ParseOutput, name: &'static str) {
        let tx = self.res_tx;
        self.event(out, name, tx);
    }

    // ---------------------------------------------------------------
    // Request side
    // ---------------------------------------------------------------

    fn parse_request(&mut self, data: &[u8], out: &mut ParseOutput) {
        let mut pos = 0;
        loop {
            let before = (pos, self.req_state);
            match self.req_state {
                ReqState::Ignore09 => return,
                ReqState::Stopped => {
                    self.tunnel_data(Direction::ToServer, data.get(pos..).unwrap_or(&[]));
                    return;
                }
                ReqState::ConnectWait => {
                    // Hold (bounded) until the response line decides.
                    let rest = data.get(pos..).unwrap_or(&[]);
                    let room = CONNECT_HOLD_LIMIT.saturating_sub(self.held.len());
                    self.held
                        .extend_from_slice(rest.get(..room.min(rest.len())).unwrap_or(&[]));
                    return;
                }
                ReqState::Idle => {
                    if pos >= data.len() {
                        return;
                    }
                    if self.txs.len() >= MAX_OPEN_TXS {
                        self.req_state = ReqState::Stopped;
                        return;
                    }
                    let id = self.next_id;
                    self.next_id += 1;
                    self.txs.push_back(Slot::new(id));
                    self.req_tx = Some(id);
                    self.req_state = ReqState::Line;
                }
                ReqState::Line => match self.req_line.read(data, &mut pos, false) {
                    Line::Partial => return,
                    Line::TooLong => {
                        self.req_event(out, "REQUEST_FIELD_TOO_LONG");
                        self.req_state = ReqState::Stopped;
                        return;
                    }
                    Line::Complete => {
                        let line = self.req_line.take();
                        if is_terminator(&line) {
                            continue;
                        }
                        self.request_line(util::chomp(&line), data.get(pos..), out);
                    }
                },
                ReqState::Headers => match self.req_line.read(data, &mut pos, false) {
                    Line::Partial => return,
                    Line::TooLong => {
                        self.req_event(out, "REQUEST_FIELD_TOO_LONG");
                        self.req_state = ReqState::Stopped;
                        return;
                    }
                    Line::Complete => {
                        let line = self.req_line.take();
                        let next = data.get(pos).copied();
                        self.request_header_line(line, next, out);
                    }
                },
                ReqState::BodyIdentity => {
                    let rest = data.get(pos..).unwrap_or(&[]);
                    let n = usize::try_from(self.req_left)
                        .unwrap_or(usize::MAX)
                        .min(rest.len());
                    let chunk = rest.get(..n).unwrap_or(&[]);
                    pos += n;
                    self.req_left -= n as u64;
                    if let Some(s) = self.slot(self.req_tx) {
                        s.tx.req.message_len += n as u64;
                    }
                    self.body_data(Direction::ToServer, chunk, out);
                    if self.req_left == 0 {
                        self.req_state = ReqState::Finalize;
                    } else {
                        return;
                    }
                }
                ReqState::ChunkLen => match self.req_line.read(data, &mut pos, false) {
                    Line::Partial => return,
                    Line::TooLong => {
                        self.req_event(out, "REQUEST_FIELD_TOO_LONG");
                        self.req_state = ReqState::Stopped;
                        return;
                    }
                    Line::Complete => {
                        let line = self.req_line.take();
                        if let Some(s) = self.slot(self.req_tx) {
                            s.tx.req.message_len += line.len() as u64;
                        }
                        if util::chunk_extension(util::chomp(&line)) {
                            self.req_event(out, "REQUEST_CHUNK_EXTENSION");
                        }
                        match util::parse_chunk_len(util::chomp(&line)) {
                            Ok(0) => self.req_state = ReqState::Headers,
                            Ok(n) => {
                                self.req_left = n.unsigned_abs();
                                self.req_state = ReqState::ChunkData;
                            }
                            Err(true) => {}
                            Err(false) => {
                                self.req_event(out, "INVALID_REQUEST_CHUNK_LEN");
                                self.req_state = ReqState::Stopped;
                                return;
                            }
                        }
                        if self.req_state == ReqState::Headers {
                            self.req_trailer = true;
                        }
                    }
                },
                ReqState::ChunkData => {
                    let rest = data.get(pos..).unwrap_or(&[]);
                    let n = usize::try_from(self.req_left)
                        .unwrap_or(usize::MAX)
                        .min(rest.len());
                    let chunk = rest.get(..n).unwrap_or(&[]);
                    pos += n;
                    self.req_left -= n as u64;
                    if let Some(s) = self.slot(self.req_tx) {
                        s.tx.req.message_len += n as u64;
                    }
                    self.body_data(Direction::ToServer, chunk, out);
                    if self.req_left == 0 {
                        self.req_state = ReqState::ChunkDataEnd;
                    } else {
                        return;
                    }
                }
                ReqState::ChunkDataEnd => {
                    let rest = data.get(pos..).unwrap_or(&[]);
                    match memchr::memchr(b'\n', rest) {
                        Some(i) => {
                            pos += i + 1;
                            if let Some(s) = self.slot(self.req_tx) {
                                s.tx.req.message_len += i as u64 + 1;
                            }
                            self.req_state = ReqState::ChunkLen;
                        }
                        None => {
                            if let Some(s) = self.slot(self.req_tx) {
                                s.tx.req.message_len += rest.len() as u64;
                            }
                            return;
                        }
                    }
                }
                ReqState::Finalize => {
                    if !self.request_finalize(data, &mut pos, out) {
                        return;
                    }
                }
            }
            if (pos, self.req_state) == before && pos >= data.len() {
                return;
            }
        }
    }

    /// Handles a complete request line; `rest` is the unread rest of the
    /// current chunk (libhtp peeks into it for the "missing protocol" case).
    fn request_line(&mut self, line: &[u8], rest: Option<&[u8]>, out: &mut ParseOutput) {
        let id = self.req_tx;
        let mut events: Vec<&'static str> = Vec::new();
        let len = line.len();
        let mut pos = 0;
        while pos < len && line.get(pos).is_some_and(|&c| util::is_space(c)) {
            pos += 1;
        }
        if pos > 0 {
            events.push("REQUEST_LINE_LEADING_WHITESPACE");
        }
        let mstart = pos;
        while pos < len && line.get(pos).is_some_and(|&c| !util::is_space(c)) {
            pos += 1;
        }
        let method = line.get(mstart..pos).unwrap_or(&[]).to_vec();
        let method_known = util::method_known(&method);
        let mut bad_method_delim = false;
        while pos < len && line.get(pos).is_some_and(|&c| util::is_space(c)) {
            if line.get(pos) != Some(&b' ') && !bad_method_delim {
                bad_method_delim = true;
                events.push("METHOD_DELIM_NON_COMPLIANT");
            }
            pos += 1;
        }
        let mut uri = None;
        let mut protocol = None;
        if pos < len {
            let start = pos;
            let mut bad_delim = false;
            while pos < len && line.get(pos) != Some(&b' ') {
                if !bad_delim && line.get(pos).is_some_and(|&c| util::is_space(c)) {
                    bad_delim = true;
                }
                pos += 1;
            }
            if bad_delim && pos == len {
                // Other whitespace delimits the URI when no space does.
                pos = start;
                while pos < len && line.get(pos).is_some_and(|&c| !util::is_space(c)) {
                    pos += 1;
                }
            }
            if bad_delim {
                events.push("URI_DELIM_NON_COMPLIANT");
            }
            uri = Some(line.get(start..pos).unwrap_or(&[]).to_vec());
            while pos < len && line.get(pos).is_some_and(|&c| util::is_space(c)) {
                pos += 1;
            }
            if pos < len {
                protocol = Some(line.get(pos..).unwrap_or(&[]).to_vec());
            }
        }
        let proto_num = protocol
            .as_deref()
            .map_or(Protocol::V0_9, util::parse_protocol);
        let mut is_09 = protocol.is_none();
        if is_09 && !method_known {
            // libhtp's "unknown method" notes map to no Suricata event name.
            events.push("UNKNOWN_ERROR");
        } else if !is_09 && !method_known && proto_num == Protocol::Invalid {
            events.push("UNKNOWN_ERROR");
        }
        let is_connect = method == b"CONNECT";
        // Short HTTP/0.9 requests followed by what looks like a header line
        // were HTTP/1.x requests missing the protocol.
        if is_09 && let Some(rest) = rest {
            let mut after_spaces = false;
            for &c in rest {
                if c == b':' {
                    // libhtp notes "missing protocol"; Suricata raises no
                    // event for it.
                    is_09 = false;
                    break;
                } else if util::is_lws(c) {
                    after_spaces = true;
                } else if util::is_space(c) || after_spaces {
                    break;
                }
            }
        }
        let mut host_invalid = false;
        if let Some(s) = self.slot(id) {
            s.tx.req.line = Some(line.to_vec());
            s.method_known = method_known;
            s.is_connect = is_connect;
            s.is_head = method == b"HEAD";
            s.protocol = if protocol.is_some() {
                proto_num
            } else {
                Protocol::V0_9
            };
            s.is_09 = is_09;
            if let Some(u) = &uri {
                let parsed = if is_connect {
                    let hp = util::parse_hostport(u);
                    host_invalid |= hp.invalid;
                    util::Uri {
                        hostname: hp.hostname,
                        port: hp.port.map(|n| n.to_string().into_bytes()),
                        ..Default::default()
                    }
                } else {
                    util::parse_uri(u)
                };
                let mut normalized = util::normalized_uri(&parsed);
                if is_connect {
                    normalized.clear();
                }
                if let Some(h) = &parsed.hostname {
                    let norm = util::normalize_hostname(h);
                    if !util::valid_hostname(&norm) {
                        host_invalid = true;
                    }
                    s.uri_host = Some(norm);
                }
                if let Some(p) = &parsed.port {
                    match util::parse_int_ws(p, 10) {
                        Some(n) if (1..65536).contains(&n) => {
                            s.uri_port = u16::try_from(n).ok();
                        }
                        _ => host_invalid = true,
                    }
                }
                s.tx.req.uri_normalized = Some(normalized);
                s.tx.req.parsed_uri = parsed;
            }
            s.tx.req.method = Some(method);
            s.tx.req.uri = uri;
            s.tx.req.protocol = protocol;
        }
        if host_invalid && let Some(s) = self.slot(id) {
            s.req_flags.push("REQUEST_URI_HOST_INVALID");
        }
        for e in events {
            self.req_event(out, e);
        }
        if is_09 {
            // A short HTTP/0.9 request is complete; the request stream
            // carries nothing more of interest.
            if let Some(s) = self.slot(id)
                && !s.method_known
            {
                s.req_flags.push("REQUEST_LINE_INVALID");
            }
            self.request_complete(out);
            self.req_state = ReqState::Ignore09;
        } else {
            self.req_state = ReqState::Headers;
        }
    }

    /// One header-section line (terminator included) of a request.
    fn request_header_line(&mut self, line: Vec<u8>, next: Option<u8>, out: &mut ParseOutput) {
        if is_terminator(&line) {
            if let Some(h) = self.req_header.take() {
                self.process_header(Direction::ToServer, &h, out);
            }
            self.end_of_headers(Direction::ToServer, out);
            return;
        }
        self.append_raw(Direction::ToServer, &line);
        let data = util::chomp(&line);
        if !is_folded(data) {
            if let Some(h) = self.req_header.take() {
                self.process_header(Direction::ToServer, &h, out);
            }
            // Held back unless the next byte (when known) says the line
            // cannot be continued.
            match next {
                Some(c) if !is_folding_char(c) => {
                    self.process_header(Direction::ToServer, data, out)
                }
                _ => self.req_header = Some(data.to_vec()),
            }
            return;
        }
        match self.req_header.as_mut() {
            Some(h) => {
                if h.len() + data.len() > FIELD_LIMIT {
                    self.req_event(out, "REQUEST_FIELD_TOO_LONG");
                    self.req_state = ReqState::Stopped;
                    return;
                }
                h.extend_from_slice(data);
            }
            None => {
                let warn = self
                    .slot(self.req_tx)
                    .is_some_and(|s| !std::mem::replace(&mut s.req.warned_folding, true));
                if warn {
                    self.req_event(out, "INVALID_REQUEST_FIELD_FOLDING");
                }
                let start = data
                    .iter()
                    .position(|&c| !is_folding_char(c))
                    .unwrap_or(data.len());
                self.req_header = Some(data.get(start..).unwrap_or(&[]).to_vec());
            }
        }
    }

    fn append_raw(&mut self, dir: Direction, line: &[u8]) {
        let id = match dir {
            Direction::ToServer => self.req_tx,
            Direction::ToClient => self.res_tx,
        };
        if let Some(s) = self.slot(id) {
            let raw = match dir {
                Direction::ToServer => &mut s.tx.req.raw_headers,
                Direction::ToClient => &mut s.tx.res.raw_headers,
            };
            let room = RAW_HEADER_LIMIT.saturating_sub(raw.len());
            raw.extend_from_slice(line.get(..room.min(line.len())).unwrap_or(&[]));
        }
    }

    /// Splits a header line into name and value and adds it, with libhtp's
    /// warnings.
    fn process_header(&mut self, dir: Direction, data: &[u8], out: &mut ParseOutput) {
        let (is_req, id) = match dir {
            Direction::ToServer => (true, self.req_tx),
            Direction::ToClient => (false, self.res_tx),
        };
        let mut events: Vec<&'static str> = Vec::new();
        let Some(s) = self.slot(id) else { return };
        let side = if is_req { &mut s.req } else { &mut s.res };
        // A NUL ends the search for the colon in requests only; response
        // names lose any trailing byte up to 0x20, request names SP/HT.
        let colon = data.iter().position(|&c| c == b':' || (is_req && c == 0));
        let trailing = |b: u8| if is_req { util::is_lws(b) } else { b <= 0x20 };
        let (name, value) = match colon {
            Some(c) if data.get(c) == Some(&b':') => {
                let mut name_end = c;
                let mut invalid = c == 0;
                while name_end > 0 && data.get(name_end - 1).is_some_and(|&b| trailing(b)) {
                    name_end -= 1;
                    invalid = true;
                }
                let name = data.get(..name_end).unwrap_or(&[]);
                if !name.iter().all(|&b| util::is_token(b)) {
                    invalid = true;
                }
                if invalid && !side.warned_invalid {
                    side.warned_invalid = true;
                    events.push(if is_req {
                        "REQUEST_HEADER_INVALID"
                    } else {
                        "RESPONSE_HEADER_INVALID"
                    });
                }
                let value = data.get(c + 1..).unwrap_or(&[]);
                let start = value
                    .iter()
                    .position(|&b| !util::is_lws(b))
                    .unwrap_or(value.len());
                let value = value.get(start..).unwrap_or(&[]);
                let end = value
                    .iter()
                    .rposition(|&b| !util::is_lws(b))
                    .map_or(0, |p| p + 1);
                (name.to_vec(), value.get(..end).unwrap_or(&[]).to_vec())
            }
            _ => {
                if !side.warned_unparseable {
                    side.warned_unparseable = true;
                    // A response line without a colon also counts as the
                    // transaction's one "invalid field" warning.
                    if !is_req {
                        side.warned_invalid = true;
                    }
                    events.push(if is_req {
                        "REQUEST_FIELD_MISSING_COLON"
                    } else {
                        "RESPONSE_FIELD_MISSING_COLON"
                    });
                }
                (Vec::new(), data.to_vec())
            }
        };
        let headers = if is_req {
            &mut s.tx.req.headers
        } else {
            &mut s.tx.res.headers
        };
        let over_bytes =
            headers.bytes.saturating_add(name.len() + value.len()) > HEADER_BYTES_LIMIT;
        if (headers.len() >= HEADERS_LIMIT && headers.get(&name).is_none()) || over_bytes {
            if !side.headers_over_limit {
                side.headers_over_limit = true;
                events.push(if is_req {
                    "REQUEST_TOO_MANY_HEADERS"
                } else {
                    "RESPONSE_TOO_MANY_HEADERS"
                });
            }
        } else {
            match headers.add(name, value) {
                AddOutcome::Added | AddOutcome::Merged => {}
                AddOutcome::AmbiguousContentLength => events.push(if is_req {
                    "DUPLICATE_CONTENT_LENGTH_FIELD_IN_REQUEST"
                } else {
                    "DUPLICATE_CONTENT_LENGTH_FIELD_IN_RESPONSE"
                }),
                AddOutcome::Excessive => {
                    if !side.warned_repetition {
                        side.warned_repetition = true;
                        events.push(if is_req {
                            "REQUEST_HEADER_REPETITION"
                        } else {
                            "RESPONSE_HEADER_REPETITION"
                        });
                    }
                }
            }
        }
        for e in events {
            self.event(out, e, id);
        }
    }

    /// The end of a header section (or of the trailers after a chunked
    /// body).
    fn end_of_headers(&mut self, dir: Direction, out: &mut ParseOutput) {
        match dir {
            Direction::ToServer => {
                if std::mem::take(&mut self.req_trailer) {
                    self.req_state = ReqState::Finalize;
                    return;
                }
                self.request_headers_done(out);
            }
            Direction::ToClient => {
                if std::mem::take(&mut self.res_trailer) {
                    self.res_state = ResState::Finalize;
                    return;
                }
                self.response_headers_done(out);
            }
        }
    }

    /// The request headers are complete: hostname, body framing, checks.
    fn request_headers_done(&mut self, out: &mut ParseOutput) {
        let id = self.req_tx;
        let mut events: Vec<&'static str> = Vec::new();
        let mut flags: Vec<&'static str> = Vec::new();
        let Some(s) = self.slot(id) else {
            self.req_state = ReqState::Stopped;
            return;
        };
        let req = &mut s.tx.req;
        req.hostname = s.uri_host.clone();
        req.port = s.uri_port;
        req.port_set = true;
        let mut invalid = false;
        let framing = if let Some(te) = req.headers.value(b"transfer-encoding") {
            if has_token(te, b"chunked") {
                if s.protocol < Protocol::V1_1 {
                    flags.push("INVALID_TRANSFER_ENCODING_VALUE_IN_REQUEST");
                }
                Framing::Chunked
            } else {
                events.push("INVALID_TRANSFER_ENCODING_VALUE_IN_REQUEST");
                invalid = true;
                Framing::None
            }
        } else if let Some(cl) = req.headers.value(b"content-length") {
            match util::parse_content_length(cl) {
                Some(n) => Framing::Length(n.unsigned_abs()),
                None => {
                    events.push("INVALID_CONTENT_LENGTH_FIELD_IN_REQUEST");
                    invalid = true;
                    Framing::None
                }
            }
        } else {
            Framing::None
        };
        // Hostname: the URI's wins; the Host header fills in or conflicts.
        match req.headers.value(b"host") {
            None => {
                if s.protocol >= Protocol::V1_1 {
                    flags.push("MISSING_HOST_HEADER");
                }
            }
            Some(h) => {
                let hp = util::parse_hostport(h);
                let mut header_invalid = hp.invalid;
                if let Some(name) = &hp.hostname
                    && !util::valid_hostname(name)
                {
                    header_invalid = true;
                }
                match hp.hostname {
                    Some(name) => match &req.hostname {
                        None => {
                            req.hostname = Some(name);
                            req.port = hp.port;
                        }
                        Some(uri_host) => {
                            let differs = !util::eq_nocase(uri_host, &name)
                                || matches!((req.port, hp.port), (Some(a), Some(b)) if a != b);
                            if differs {
                                flags.push("HOST_HEADER_AMBIGUOUS");
                            }
                        }
                    },
                    None => {
                        if req.hostname.is_some() {
                            flags.push("HOST_HEADER_AMBIGUOUS");
                        }
                    }
                }
                if header_invalid {
                    flags.push("REQUEST_HEADER_HOST_INVALID");
                }
            }
        }
        if let Some(auth) = req.headers.value(b"authorization") {
            let scheme = util::trim(auth);
            let end = scheme
                .iter()
                .position(|&c| util::is_space(c))
                .unwrap_or(scheme.len());
            let scheme = scheme.get(..end).unwrap_or(&[]);
            if !(util::eq_nocase(scheme, b"basic")
                || util::eq_nocase(scheme, b"digest")
                || util::eq_nocase(scheme, b"bearer"))
            {
                flags.push("REQUEST_AUTH_UNRECOGNIZED");
            }
        }
        // Order as Suricata checks the flags; URI host problems were noted
        // at the request line.
        let uri_host = s.req_flags.contains(&"REQUEST_URI_HOST_INVALID");
        let line_invalid = s.req_flags.contains(&"REQUEST_LINE_INVALID");
        s.req_flags.clear();
        for f in [
            "INVALID_TRANSFER_ENCODING_VALUE_IN_REQUEST",
            "INVALID_CONTENT_LENGTH_FIELD_IN_REQUEST",
            "MISSING_HOST_HEADER",
            "HOST_HEADER_AMBIGUOUS",
        ] {
            if flags.contains(&f) {
                s.req_flags.push(f);
            }
        }
        if uri_host {
            s.req_flags.push("REQUEST_URI_HOST_INVALID");
        }
        for f in ["REQUEST_HEADER_HOST_INVALID", "REQUEST_AUTH_UNRECOGNIZED"] {
            if flags.contains(&f) {
                s.req_flags.push(f);
            }
        }
        if line_invalid {
            s.req_flags.push("REQUEST_LINE_INVALID");
        }
        s.req_framing = framing;
        // libhtp also logs these two as messages, which Suricata maps to
        // the same events: they are raised now and again from the flags
        // when the request completes.
        for f in ["MISSING_HOST_HEADER", "HOST_HEADER_AMBIGUOUS"] {
            if flags.contains(&f) {
                events.push(f);
            }
        }
        // Bodies: PUT bodies are files; request decompression is on.
        let is_put = matches!(req.method.as_deref(), Some(b"PUT" | b"POST"));
        let codings = content_codings(req.headers.value(b"content-encoding"), &mut events);
        if !codings.is_empty() {
            s.req.decoder = Some(Decoder::new(&codings));
        }
        let boundary = req
            .headers
            .value(b"content-type")
            .and_then(multipart::boundary);
        match boundary {
            Some(b) if req.method.as_deref() == Some(b"POST") => {
                s.req.multipart = Some(Multipart::new(&b));
            }
            _ if is_put => {
                s.req.file_wanted = true;
                s.req.file_name = req.parsed_uri_path();
            }
            _ => {}
        }
        let is_connect = s.is_connect;
        for e in events {
            self.req_event(out, e);
        }
        if invalid {
            // libhtp refuses to go on with an unframeable request; Suricata
            // then stops parsing the flow and logs what it has.
            self.abort(out);
            return;
        }
        if is_connect {
            self.req_state = ReqState::ConnectWait;
            return;
        }
        match framing {
            Framing::Chunked => self.req_state = ReqState::ChunkLen,
            Framing::Length(n) if n > 0 => {
                self.req_left = n;
                self.req_state = ReqState::BodyIdentity;
            }
            _ => self.req_state = ReqState::Finalize,
        }
    }

    /// After a request: completes it when the chunk ends or the next line
    /// starts with a known method; other bytes are unexpected body data.
    /// Returns false when more data is needed.
    fn request_finalize(&mut self, data: &[u8], pos: &mut usize, out: &mut ParseOutput) -> bool {
        // The chunk ends here, or a bare LF follows (libhtp leaves it
        // unread: it opens the next, empty, transaction).
        if self.req_line.buf.is_empty() && matches!(data.get(*pos), None | Some(b'\n')) {
            self.request_complete(out);
            return true;
        }
        match self.req_line.read(data, pos, false) {
            Line::Partial => return false,
            Line::TooLong => {
                // Too long to be a request line: body data.
                let line = self.req_line.take();
                self.unexpected_request_body(&line, out);
                return true;
            }
            Line::Complete => {}
        }
        let line = self.req_line.take();
        let trimmed = util::trim(&line);
        let end = trimmed
            .iter()
            .position(|&c| util::is_space(c))
            .unwrap_or(trimmed.len());
        let method = trimmed.get(..end).unwrap_or(&[]);
        if !method.is_empty() && util::method_known(method) {
            self.request_complete(out);
            // The line starts the next request.
            self.start_request_with_line(line, data, *pos, out);
            return true;
        }
        if method.is_empty() {
            // Whitespace lines between requests are body data too, silently.
            self.request_body_bytes(&line, out);
            return true;
        }
        self.unexpected_request_body(&line, out);
        true
    }

    fn unexpected_request_body(&mut self, line: &[u8], out: &mut ParseOutput) {
        let warn = self.slot(self.req_tx).is_some_and(|s| {
            !matches!(s.req_framing, Framing::Length(n) if n > 0)
                && !std::mem::replace(&mut s.req.warned_unexpected_body, true)
        });
        if warn {
            self.req_event(out, "REQUEST_BODY_UNEXPECTED");
        }
        self.request_body_bytes(line, out);
    }

    fn request_body_bytes(&mut self, bytes: &[u8], out: &mut ParseOutput) {
        self.body_data(Direction::ToServer, bytes, out);
    }

    /// Starts a new transaction whose request line was already read.
    fn start_request_with_line(
        &mut self,
        line: Vec<u8>,
        data: &[u8],
        pos: usize,
        out: &mut ParseOutput,
    ) {
        if self.txs.len() >= MAX_OPEN_TXS {
            self.req_state = ReqState::Stopped;
            return;
        }
        let id = self.next_id;
        self.next_id += 1;
        self.txs.push_back(Slot::new(id));
        self.req_tx = Some(id);
        self.request_line(util::chomp(&line), data.get(pos..), out);
    }

    /// After request data: a request still being parsed whose line is
    /// complete is handed over (inspection only) when it progressed since
    /// its last snapshot, so rules on its line and headers run now, as
    /// Suricata inspects a transaction in progress (libhtp's request
    /// progress is "headers" once the line is parsed, "body" after them).
    fn partial_request_snapshot(&mut self, out: &mut ParseOutput) {
        let headers_done = match self.req_state {
            ReqState::Headers => false,
            ReqState::BodyIdentity
            | ReqState::ChunkLen
            | ReqState::ChunkData
            | ReqState::ChunkDataEnd
            | ReqState::Finalize => true,
            _ => return,
        };
        let Some(s) = self.slot(self.req_tx) else {
            return;
        };
        if s.req.complete || s.tx.part != TxPart::Whole {
            return;
        }
        let progress = (s.tx.req.raw_headers.len(), headers_done);
        if s.partial_seen == Some(progress) {
            return;
        }
        s.partial_seen = Some(progress);
        let mut snap = s.tx.clone();
        snap.part = TxPart::PartialRequest { headers_done };
        snap.finalize();
        out.tx(snap);
    }

    /// The request side of the current transaction is done.
    fn request_complete(&mut self, out: &mut ParseOutput) {
        let id = self.req_tx;
        let mut file = None;
        let mut flags = Vec::new();
        if let Some(s) = self.slot(id)
            && !s.req.complete
        {
            s.req.complete = true;
            flags = std::mem::take(&mut s.req_flags);
            file = s.req.file.take();
        }
        for f in flags {
            self.event(out, f, id);
        }
        if let Some(f) = file {
            self.file_done(id, Direction::ToServer, f);
        }
        // The request is inspected by rules now, not when its response
        // ends (the record is still written then). A transaction that is
        // already done (its response came first) needs no snapshot.
        if let Some(s) = self.slot(id)
            && !s.res.complete
            && s.tx.part == TxPart::Whole
        {
            let mut snap = s.tx.clone();
            s.tx.part = TxPart::WholeAfterRequest;
            snap.part = TxPart::RequestSnapshot;
            snap.finalize();
            out.tx(snap);
        }
        self.req_state = ReqState::Idle;
        self.req_tx = None;
        self.emit_ready(out);
    }

    // ---------------------------------------------------------------
    // Bodies and files
    // ---------------------------------------------------------------

    /// Body bytes (de-chunked) of the current message in `dir`.
    fn body_data(&mut self, dir: Direction, bytes: &[u8], out: &mut ParseOutput) {
        if bytes.is_empty() {
            return;
        }
        let id = match dir {
            Direction::ToServer => self.req_tx,
            Direction::ToClient => self.res_tx,
        };
        let open = self.txs.len();
        let mut event = None;
        let mut event_count = 1;
        let mut closed: Vec<FileTrack> = Vec::new();
        if let Some(s) = self.slot(id) {
            let range = match dir {
                Direction::ToClient => s
                    .tx
                    .res
                    .headers
                    .value(b"content-range")
                    .and_then(super::tx::parse_content_range)
                    // A range covering the whole file is an ordinary file.
                    .filter(|&(a, b, size)| !(a == 0 && size > 0 && b + 1 == size))
                    .and_then(|(a, b, _)| Some((u64::try_from(a).ok()?, u64::try_from(b).ok()?)))
                    .filter(|&(_, end)| end > 0),
                Direction::ToServer => None,
            };
            let (side, body) = match dir {
                Direction::ToServer => (&mut s.req, &mut s.tx.req.body),
                Direction::ToClient => (&mut s.res, &mut s.tx.res.body),
            };
            let keep = if open > BODY_KEEP_TXS {
                0
            } else {
                BODY_LIMIT.saturating_sub(body.len())
            };
            // Multipart needs every decoded byte, the buffers only `keep`.
            let want = if side.multipart.is_some() {
                usize::MAX
            } else {
                keep
            };
            let mut decoded_owned = Vec::new();
            let produced = match side.decoder.as_mut() {
                Some(d) => {
                    let before = side_total(d);
                    let (status, o) = d.feed(bytes, want);
                    match status {
                        decode::Status::Ok => {}
                        // Every failed (re)start of libhtp's decompressor
                        // is logged, and each becomes an event.
                        decode::Status::Failed(n) => {
                            event = Some("GZIP_DECOMPRESSION_FAILED");
                            event_count = n;
                        }
                        decode::Status::Bomb => event = Some("COMPRESSION_BOMB"),
                    }
                    decoded_owned.extend_from_slice(&o.chunk);
                    o.total.saturating_sub(before)
                }
                None => {
                    decoded_owned
                        .extend_from_slice(bytes.get(..want.min(bytes.len())).unwrap_or(&[]));
                    bytes.len() as u64
                }
            };
            body.extend_from_slice(
                decoded_owned
                    .get(..keep.min(decoded_owned.len()))
                    .unwrap_or(&[]),
            );
            let limit = BODY_LIMIT as u64;
            let file_room = limit.saturating_sub(side.body_seen);
            let over = produced > file_room;
            side.body_seen = side.body_seen.saturating_add(produced);
            let produced = produced.min(file_room);
            if over && let Some(f) = side.file.as_mut() {
                f.truncated = true;
            }
            if let Some(mp) = side.multipart.as_mut() {
                let mut evs = Vec::new();
                let room = usize::try_from(file_room).unwrap_or(usize::MAX);
                mp.feed(
                    decoded_owned
                        .get(..room.min(decoded_owned.len()))
                        .unwrap_or(&[]),
                    &mut |e| evs.push(e),
                );
                for e in evs {
                    match e {
                        multipart::Event::Open(name) => side.file = Some(FileTrack::new(name)),
                        multipart::Event::Data(n) => {
                            if let Some(f) = side.file.as_mut() {
                                f.size = f.size.saturating_add(n as u64);
                            }
                        }
                        multipart::Event::Close => closed.extend(side.file.take()),
                    }
                }
            } else if produced > 0 {
                if side.file_wanted && side.file.is_none() {
                    let mut f = FileTrack::new(std::mem::take(&mut side.file_name));
                    f.range = range;
                    side.file = Some(f);
                }
                if let Some(f) = side.file.as_mut() {
                    f.size = f.size.saturating_add(produced);
                    f.truncated |= over;
                }
            }
            if over
                && side.multipart.is_some()
                && let Some(f) = side.file.as_mut()
            {
                f.truncated = true;
            }
        }
        for f in closed {
            self.file_done(id, dir, f);
        }
        if let Some(e) = event {
            for _ in 0..event_count {
                self.event(out, e, id);
            }
        }
    }

    /// Files kept per transaction until it is logged (a multipart body
    /// can carry many; past this they are counted no more).
    const MAX_FILES_PER_TX: usize = 64;

    /// A file of transaction `id` ended: it is logged with the transaction.
    fn file_done(&mut self, id: Option<u64>, dir: Direction, file: FileTrack) {
        if let Some(s) = self.slot(id)
            && s.files.len() < Self::MAX_FILES_PER_TX
        {
            let state = file.close_state();
            s.files.push((dir, file, state));
        }
    }

    /// Logs a finished transaction and its files: request files before
    /// the `http` record; response files after it, or before it when they
    /// were cut short or the flow is ending (the reference's order).
    fn emit_slot(&mut self, slot: Slot, out: &mut ParseOutput) {
        let mut tx = slot.tx;
        tx.finalize();
        let mut after = Vec::new();
        for (dir, file, state) in slot.files {
            let info = file_info(&tx, dir, file, state);
            if dir == Direction::ToClient && state == FileState::Closed && !self.closing {
                after.push(info);
            } else {
                out.tx(info);
            }
        }
        out.tx(tx);
        for info in after {
            out.tx(info);
        }
    }

    /// Logs finished transactions from the front, in order.
    fn emit_ready(&mut self, out: &mut ParseOutput) {
        while self
            .txs
            .front()
            .is_some_and(|s| s.req.complete && s.res.complete)
        {
            let Some(slot) = self.txs.pop_front() else {
                break;
            };
            self.base_id += 1;
            self.emit_slot(slot, out);
        }
    }

    // ---------------------------------------------------------------
    // Response side
    // ---------------------------------------------------------------

    fn parse_response(&mut self, data: &[u8], out: &mut ParseOutput) {
        let mut pos = 0;
        loop {
            let before = (pos, self.res_state);
            if self.res_state == ResState::ChunkLen && self.junk_chunk_len(data, pos, out) {
                return;
            }
            if self.res_state == ResState::Finalize
                && let Some(req) = self.h2c.take()
            {
                // The 101 is done; what follows is HTTP/2's.
                self.response_complete(out);
                out.handover = Some(crate::Handover::H2cUpgrade(req));
                out.change_protocol(Some(AppProto::Http2), data.len().saturating_sub(pos));
                return;
            }
            match self.res_state {
                ResState::Stopped => {
                    self.tunnel_data(Direction::ToClient, data.get(pos..).unwrap_or(&[]));
                    return;
                }
                ResState::Idle => {
                    if pos >= data.len() {
                        return;
                    }
                    self.response_start(out);
                }
                ResState::Line => match self.res_line.read(data, &mut pos, true) {
                    Line::Partial => return,
                    Line::TooLong => {
                        self.res_event(out, "RESPONSE_FIELD_TOO_LONG");
                        self.res_state = ResState::Stopped;
                        return;
                    }
                    Line::Complete => {
                        let line = self.res_line.take();
                        if line.iter().all(|&c| util::is_space(c)) {
                            continue;
                        }
                        self.response_line(line, data, pos, out);
                    }
                },
                ResState::Headers => match self.res_line.read(data, &mut pos, true) {
                    Line::Partial => return,
                    Line::TooLong => {
                        self.res_event(out, "RESPONSE_FIELD_TOO_LONG");
                        self.res_state = ResState::Stopped;
                        return;
                    }
                    Line::Complete => {
                        let line = self.res_line.take();
                        let next = data.get(pos).copied();
                        self.response_header_line(line, next, out);
                    }
                },
                ResState::BodyIdentity | ResState::ChunkData => {
                    let rest = data.get(pos..).unwrap_or(&[]);
                    let n = usize::try_from(self.res_left)
                        .unwrap_or(usize::MAX)
                        .min(rest.len());
                    let chunk = rest.get(..n).unwrap_or(&[]);
                    pos += n;
                    self.res_left -= n as u64;
                    if let Some(s) = self.slot(self.res_tx) {
                        s.tx.res.message_len += n as u64;
                    }
                    self.body_data(Direction::ToClient, chunk, out);
                    if self.res_left > 0 {
                        return;
                    }
                    self.res_state = if self.res_state == ResState::ChunkData {
                        ResState::ChunkDataEnd
                    } else {
                        ResState::Finalize
                    };
                }
                ResState::BodyClose => {
                    let rest = data.get(pos..).unwrap_or(&[]);
                    if let Some(s) = self.slot(self.res_tx) {
                        s.tx.res.message_len += rest.len() as u64;
                    }
                    self.body_data(Direction::ToClient, rest, out);
                    return;
                }
                ResState::ChunkLen => match self.res_line.read(data, &mut pos, false) {
                    Line::Partial => return,
                    Line::TooLong => {
                        self.res_event(out, "RESPONSE_FIELD_TOO_LONG");
                        self.res_state = ResState::Stopped;
                        return;
                    }
                    Line::Complete => {
                        let line = self.res_line.take();
                        if let Some(s) = self.slot(self.res_tx) {
                            s.tx.res.message_len += line.len() as u64;
                        }
                        // libhtp logs "Request chunk extension" on either side.
                        if util::chunk_extension(util::chomp(&line)) {
                            self.res_event(out, "REQUEST_CHUNK_EXTENSION");
                        }
                        match util::parse_chunk_len(util::chomp(&line)) {
                            Ok(0) => {
                                self.res_trailer = true;
                                self.res_state = ResState::Headers;
                            }
                            Ok(n) => {
                                self.res_left = n.unsigned_abs();
                                self.res_state = ResState::ChunkData;
                            }
                            Err(true) => {}
                            Err(false) => {
                                // Not chunked after all: the rest is body
                                // until the connection closes.
                                self.res_event(out, "INVALID_RESPONSE_CHUNK_LEN");
                                self.body_data(Direction::ToClient, &line, out);
                                self.res_state = ResState::BodyClose;
                            }
                        }
                    }
                },
                ResState::ChunkDataEnd => {
                    let rest = data.get(pos..).unwrap_or(&[]);
                    match memchr::memchr(b'\n', rest) {
                        Some(i) => {
                            pos += i + 1;
                            if let Some(s) = self.slot(self.res_tx) {
                                s.tx.res.message_len += i as u64 + 1;
                            }
                            self.res_state = ResState::ChunkLen;
                        }
                        None => {
                            if let Some(s) = self.slot(self.res_tx) {
                                s.tx.res.message_len += rest.len() as u64;
                            }
                            return;
                        }
                    }
                }
                ResState::Finalize => {
                    if !self.response_finalize(data, &mut pos, out) {
                        return;
                    }
                }
            }
            if (pos, self.res_state) == before && pos >= data.len() {
                return;
            }
        }
    }

    /// A chunk-size line that starts with junk: libhtp gives up on chunked
    /// framing and reads the rest of the connection as body. How much it
    /// counts in `length` depends on where the junk starts (measured
    /// against Suricata 7.0.10): right after the headers or a chunk in the
    /// same data, one extra byte; at the start of new data without a line
    /// end, nothing extra and no event; with a line end, the line twice.
    /// Returns true when it took over the data.
    fn junk_chunk_len(&mut self, data: &[u8], pos: usize, out: &mut ParseOutput) -> bool {
        if !self.res_line.buf.is_empty() || self.res_line.pending_cr {
            return false;
        }
        let rest = data.get(pos..).unwrap_or(&[]);
        let first = rest
            .iter()
            .find(|&&c| !matches!(c, b'\r' | b'\n' | b' ' | b'\t' | 0x0b | 0x0c));
        match first {
            Some(c) if !c.is_ascii_hexdigit() => {}
            _ => return false,
        }
        let total = rest.len() as u64;
        let (extra, event, line): (u64, bool, &[u8]) = if pos > 0 {
            (1, true, &[])
        } else {
            match memchr::memchr(b'\n', rest) {
                None => (0, false, &[]),
                Some(i) => {
                    let line = rest.get(..=i).unwrap_or(&[]);
                    (2 * line.len() as u64, true, line)
                }
            }
        };
        if event {
            self.res_event(out, "INVALID_RESPONSE_CHUNK_LEN");
        }
        if let Some(s) = self.slot(self.res_tx) {
            s.tx.res.message_len += extra + total;
        }
        self.body_data(Direction::ToClient, line, out);
        self.body_data(Direction::ToClient, rest, out);
        self.res_state = ResState::BodyClose;
        true
    }

    /// A response begins: pair it with the oldest transaction without one,
    /// or create one ("unable to match response to request").
    fn response_start(&mut self, out: &mut ParseOutput) {
        let id = self.next_res_id;
        let exists = self.slot(Some(id)).is_some();
        if !exists {
            if self.txs.len() >= MAX_OPEN_TXS || id != self.next_id {
                self.res_state = ResState::Stopped;
                return;
            }
            self.next_id += 1;
            let mut slot = Slot::new(id);
            slot.tx.req.uri = Some(b"/libhtp::request_uri_not_seen".to_vec());
            slot.tx.req.parsed_uri.path = Some(b"/libhtp::request_uri_not_seen".to_vec());
            slot.tx.req.uri_normalized = Some(b"/libhtp::request_uri_not_seen".to_vec());
            // libhtp puts its request side into "finalize" for this one:
            // it completes with the next request data or the close. When a
            // request is being read, it is simply complete.
            let idle = self.req_state == ReqState::Idle;
            slot.req.complete = !idle;
            self.txs.push_back(slot);
            if idle {
                self.req_tx = Some(id);
                self.req_state = ReqState::Finalize;
            }
            self.res_tx = Some(id);
            self.next_res_id += 1;
            self.res_event(out, "UNABLE_TO_MATCH_RESPONSE_TO_REQUEST");
            self.res_state = ResState::Line;
            return;
        }
        self.next_res_id += 1;
        self.res_tx = Some(id);
        let (is_09, line_missing) = match self.slot(Some(id)) {
            // An unknown method without protocol is no HTTP/0.9 request for
            // the response side: its status line is parsed.
            Some(s) => (
                s.is_09 && s.method_known,
                s.tx.req.method.is_none() && s.tx.req.uri.is_none(),
            ),
            None => (false, false),
        };
        if is_09 {
            self.res_state = ResState::BodyClose;
            self.open_response_body(Some(id));
        } else {
            self.res_state = ResState::Line;
        }
        if line_missing && self.req_state == ReqState::Line && self.req_tx == Some(id) {
            self.res_event(out, "REQUEST_LINE_INCOMPLETE");
        }
    }

    fn open_response_body(&mut self, id: Option<u64>) {
        if let Some(s) = self.slot(id) {
            s.res.file_wanted = true;
            s.res.file_name = response_file_name(&s.tx);
        }
    }

    /// A complete status line (or what should have been one).
    fn response_line(&mut self, line: Vec<u8>, data: &[u8], pos: usize, out: &mut ParseOutput) {
        let data_line = util::chomp(&line);
        if treat_as_body(data_line) {
            // Browsers show such "responses" as body; so does libhtp, unless
            // the next line looks like a real status line.
            if data.get(pos) == Some(&b'H') && pos + 1 < data.len() {
                return;
            }
            let first = self.slot(self.res_tx).is_some_and(|s| {
                s.tx.res.message_len += line.len() as u64;
                !s.res.file_wanted
            });
            if first {
                self.open_response_body(self.res_tx);
            }
            self.body_data(Direction::ToClient, &line, out);
            // The next line is looked at again; the response ends with the
            // data at hand (libhtp finalizes it when the chunk is used up).
            if pos >= data.len() {
                self.res_state = ResState::Finalize;
            }
            return;
        }
        let mut events: Vec<&'static str> = Vec::new();
        let len = data_line.len();
        let mut i = 0;
        let at = |i: usize| data_line.get(i).copied();
        while i < len && at(i).is_some_and(util::is_space) {
            i += 1;
        }
        let start = i;
        while i < len && at(i).is_some_and(|c| !util::is_space(c)) {
            i += 1;
        }
        let mut protocol = None;
        let mut status = None;
        let mut message = None;
        if i > start {
            protocol = Some(data_line.get(start..i).unwrap_or(&[]).to_vec());
            while i < len && at(i).is_some_and(util::is_space) {
                i += 1;
            }
            let start = i;
            while i < len && at(i).is_some_and(|c| !util::is_space(c)) {
                i += 1;
            }
            if i > start {
                status = Some(data_line.get(start..i).unwrap_or(&[]).to_vec());
                while i < len && at(i).is_some_and(util::is_space) {
                    i += 1;
                }
                if i < len {
                    message = Some(data_line.get(i..).unwrap_or(&[]).to_vec());
                }
            }
        }
        let proto_num = protocol
            .as_deref()
            .map_or(Protocol::Invalid, util::parse_protocol);
        if proto_num == Protocol::Invalid {
            events.push("RESPONSE_INVALID_PROTOCOL");
        }
        let status_num = status.as_deref().and_then(util::parse_status);
        if status_num.is_none() {
            events.push("RESPONSE_INVALID_STATUS");
        }
        if let Some(s) = self.slot(self.res_tx) {
            s.tx.res.line = Some(data_line.to_vec());
            s.tx.res.protocol = protocol;
            s.tx.res.status = status;
            s.tx.res.message = message;
            s.status = status_num;
            s.tx.res.raw_headers.clear();
        }
        for e in events {
            self.res_event(out, e);
        }
        self.res_state = ResState::Headers;
        // A CONNECT waiting on this answer can now go on.
        if self.req_state == ReqState::ConnectWait && self.req_tx == self.res_tx {
            self.resume_after_connect(status_num, out);
        }
    }

    fn response_header_line(&mut self, line: Vec<u8>, next: Option<u8>, out: &mut ParseOutput) {
        // A lone CR is no line at all for libhtp.
        if line == b"\r" {
            return;
        }
        // "SP LF" ends the headers too when no LF follows at once.
        let ws_terminator = matches!(line.as_slice(), [c, b'\n'] if util::is_lws(*c))
            && next.is_some_and(|c| c != b'\n');
        if is_terminator(&line) || ws_terminator {
            if let Some(h) = self.res_header.take() {
                self.process_header(Direction::ToClient, &h, out);
            }
            self.end_of_headers(Direction::ToClient, out);
            return;
        }
        if !self.res_trailer {
            self.append_raw(Direction::ToClient, &line);
        }
        let data = util::chomp(&line);
        if !is_folded(data) {
            if let Some(h) = self.res_header.take() {
                self.process_header(Direction::ToClient, &h, out);
            }
            if next.is_some_and(is_folding_char) {
                self.res_header = Some(data.to_vec());
            } else {
                self.process_header(Direction::ToClient, data, out);
            }
            return;
        }
        let http11 = self.slot(self.res_tx).is_some_and(|s| {
            s.tx.res.protocol.as_deref().map(util::parse_protocol) == Some(Protocol::V1_1)
        });
        let pending_has_colon = self
            .res_header
            .as_ref()
            .map(|h| memchr::memchr(b':', h).is_some());
        match pending_has_colon {
            None => {
                self.warn_res_folding(out);
                let start = data
                    .iter()
                    .position(|&c| !is_folding_char(c))
                    .unwrap_or(data.len());
                self.res_header = Some(data.get(start..).unwrap_or(&[]).to_vec());
            }
            // Browsers read a folded line that looks like a header as a new
            // header; so does libhtp for HTTP/1.1 responses.
            Some(true) if http11 && memchr::memchr(b':', data).is_some() => {
                self.warn_res_folding(out);
                if let Some(h) = self.res_header.take() {
                    self.process_header(Direction::ToClient, &h, out);
                }
                self.res_header = Some(data.get(1..).unwrap_or(&[]).to_vec());
            }
            Some(_) => {
                if let Some(h) = self.res_header.as_mut() {
                    if h.len() + data.len() > FIELD_LIMIT {
                        self.res_event(out, "RESPONSE_FIELD_TOO_LONG");
                        self.res_state = ResState::Stopped;
                        return;
                    }
                    h.extend_from_slice(data);
                }
            }
        }
    }

    fn warn_res_folding(&mut self, out: &mut ParseOutput) {
        let warn = self
            .slot(self.res_tx)
            .is_some_and(|s| !std::mem::replace(&mut s.res.warned_folding, true));
        if warn {
            self.res_event(out, "INVALID_RESPONSE_FIELD_FOLDING");
        }
    }

    /// The response headers are complete: decide the body.
    fn response_headers_done(&mut self, out: &mut ParseOutput) {
        let id = self.res_tx;
        let mut events: Vec<&'static str> = Vec::new();
        let Some(s) = self.slot(id) else {
            self.res_state = ResState::Stopped;
            return;
        };
        let status = s.status;
        let code = status.unwrap_or(0);
        let res = &s.tx.res;
        let te = res.headers.value(b"transfer-encoding").map(<[u8]>::to_vec);
        let cl = res.headers.value(b"content-length").map(<[u8]>::to_vec);
        let ct = res.headers.value(b"content-type").map(<[u8]>::to_vec);
        if s.is_connect && (200..300).contains(&code) {
            // A tunnel: nothing more is HTTP.
            self.res_state = ResState::Finalize;
            return;
        }
        if code == 101 && te.is_none() && cl.is_none() {
            // Switching protocols: the rest is not HTTP. Suricata hands an
            // `Upgrade: h2c` (exactly) over to HTTP/2 with the request.
            if res.headers.value(b"upgrade") == Some(b"h2c") {
                let req = &s.tx.req;
                self.h2c = Some(crate::it::http2::UpgradeRequest {
                    method: req.method.clone(),
                    uri: req.uri.clone(),
                    headers: req
                        .headers
                        .list
                        .iter()
                        .map(|h| (h.name.clone(), h.value.clone()))
                        .collect(),
                });
            }
            self.res_state = ResState::Finalize;
            self.tunnel_after_response = true;
            return;
        }
        if code == 100 && te.is_none() && cl.is_none() {
            if s.seen_100 {
                events.push("100_CONTINUE_ALREADY_SEEN");
            }
            s.seen_100 = true;
            s.tx.res.headers = Default::default();
            s.tx.res.raw_headers.clear();
            for e in events {
                self.res_event(out, e);
            }
            self.res_state = ResState::Line;
            return;
        }
        let protocol_old =
            s.tx.res
                .protocol
                .as_deref()
                .map_or(Protocol::Invalid, util::parse_protocol)
                < Protocol::V1_1;
        let mut framing;
        if s.is_head {
            framing = Framing::None;
        } else {
            framing = Framing::Close;
            if (100..200).contains(&code) || code == 204 || code == 304 {
                if te.is_none() && cl.is_none() {
                    framing = Framing::None;
                } else {
                    events.push("UNKNOWN_ERROR");
                }
            }
        }
        if framing == Framing::Close {
            // libhtp compares ignoring case and NUL bytes here.
            let te_clean: Option<Vec<u8>> = te
                .as_deref()
                .map(|t| t.iter().copied().filter(|&c| c != 0).collect());
            if let Some(te_c) = te_clean
                .as_deref()
                .filter(|t| util::find_nocase(t, b"chunked").is_some())
            {
                let te = te.as_deref().unwrap_or(te_c);
                if !util::eq_nocase(te, b"chunked") {
                    events.push("RESPONSE_ABNORMAL_TRANSFER_ENCODING");
                }
                if protocol_old {
                    events.push("RESPONSE_CHUNKED_OLD_PROTO");
                }
                framing = Framing::Chunked;
            } else if let Some(cl) = cl.as_deref() {
                match util::parse_content_length(cl) {
                    Some(n) => framing = Framing::Length(n.unsigned_abs()),
                    None => {
                        events.push("INVALID_CONTENT_LENGTH_FIELD_IN_RESPONSE");
                        for e in events {
                            self.res_event(out, e);
                        }
                        self.res_state = ResState::Stopped;
                        return;
                    }
                }
            } else if ct
                .as_deref()
                .is_some_and(|c| util::find_nocase(c, b"multipart/byteranges").is_some())
            {
                events.push("RESPONSE_MULTIPART_BYTERANGES");
                for e in events {
                    self.res_event(out, e);
                }
                self.res_state = ResState::Stopped;
                return;
            }
        }
        let codings = content_codings(s.tx.res.headers.value(b"content-encoding"), &mut events);
        if !codings.is_empty() && framing != Framing::None {
            s.res.decoder = Some(Decoder::new(&codings));
        }
        for e in events {
            self.res_event(out, e);
        }
        match framing {
            Framing::None | Framing::Length(0) => self.res_state = ResState::Finalize,
            Framing::Length(n) => {
                self.open_response_body(id);
                self.res_left = n;
                self.res_state = ResState::BodyIdentity;
            }
            Framing::Chunked => {
                self.open_response_body(id);
                self.res_state = ResState::ChunkLen;
            }
            Framing::Close => {
                self.open_response_body(id);
                self.res_state = ResState::BodyClose;
            }
        }
    }

    /// After a response: completes it when the chunk ends or a status line
    /// follows; other bytes are more body. Returns false when more data is
    /// needed.
    fn response_finalize(&mut self, data: &[u8], pos: &mut usize, out: &mut ParseOutput) -> bool {
        if self.res_line.buf.is_empty() && *pos >= data.len() {
            self.response_complete(out);
            return true;
        }
        match self.res_line.read(data, pos, false) {
            Line::Partial => return false,
            Line::TooLong => {
                let line = self.res_line.take();
                self.response_extra_body(&line, out);
                return true;
            }
            Line::Complete => {}
        }
        let line = self.res_line.take();
        if treat_as_body(&line) {
            self.response_extra_body(&line, out);
            return true;
        }
        // The line is the next status line (or, after a CONNECT, the
        // first bytes of the tunnel).
        self.response_complete(out);
        if self.res_state == ResState::Stopped {
            self.tunnel_data(Direction::ToClient, &line);
        }
        if self.res_state == ResState::Idle {
            self.response_start(out);
            match self.res_state {
                ResState::Line => self.response_line(line, data, *pos, out),
                ResState::BodyClose => {
                    if let Some(s) = self.slot(self.res_tx) {
                        s.tx.res.message_len += line.len() as u64;
                    }
                    self.body_data(Direction::ToClient, &line, out);
                }
                _ => {}
            }
        }
        true
    }

    fn response_extra_body(&mut self, line: &[u8], out: &mut ParseOutput) {
        // libhtp's "Unexpected response body" raises no event.
        if let Some(s) = self.slot(self.res_tx) {
            s.tx.res.message_len += line.len() as u64;
        }
        self.body_data(Direction::ToClient, line, out);
    }

    /// The response side of the current transaction is done.
    fn response_complete(&mut self, out: &mut ParseOutput) {
        let id = self.res_tx;
        let mut file = None;
        if let Some(s) = self.slot(id)
            && !s.res.complete
        {
            s.res.complete = true;
            file = s.res.file.take();
        }
        if let Some(f) = file {
            self.file_done(id, Direction::ToClient, f);
        }
        self.res_tx = None;
        self.res_state = if self.tunnel_after_response {
            self.req_state = ReqState::Stopped;
            ResState::Stopped
        } else {
            ResState::Idle
        };
        // A successful CONNECT turns the connection into a tunnel.
        let tunnel = self
            .slot(id)
            .is_some_and(|s| s.is_connect && s.status.is_some_and(|c| (200..300).contains(&c)));
        self.emit_ready(out);
        if tunnel {
            if id == Some(0) {
                self.open_tunnel();
            } else {
                self.res_state = ResState::Stopped;
                self.req_state = ReqState::Stopped;
                self.tunnel = Tunnel::Dead;
            }
        }
    }

    /// The answer to a CONNECT arrived: a 2xx opens a tunnel (the request
    /// side stops unless what follows is plainly another request), anything
    /// else lets the held request bytes be parsed.
    fn resume_after_connect(&mut self, status: Option<u16>, out: &mut ParseOutput) {
        let held = std::mem::take(&mut self.held);
        if status.is_some_and(|c| (200..300).contains(&c)) {
            // The tunnel is open. Suricata completes the CONNECT without its
            // completion checks and re-detects the protocol of what follows
            // (handled in `tunnel_data` once the response is done).
            if let Some(s) = self.slot(self.req_tx) {
                s.req_flags.clear();
            }
            self.request_complete(out);
            self.req_state = ReqState::Stopped;
            self.tunnel_held = held;
            self.connect_accepted = true;
        } else {
            self.req_state = ReqState::Finalize;
            self.parse_request(&held, out);
        }
    }

    /// Data after a successful CONNECT: it belongs to whatever the tunnel
    /// carries. Before the CONNECT's response is done the client's bytes
    /// are held (bounded); once it is, the flow is handed back to protocol
    /// detection (Suricata's `AppLayerRequestProtocolChange` with no
    /// expected protocol): the bytes after the response in this data, and
    /// the held ones, are the next protocol's first bytes. HTTP inside the
    /// tunnel gets a fresh HTTP state (transaction ids from 0), TLS a TLS
    /// state, and so on.
    fn tunnel_data(&mut self, dir: Direction, data: &[u8]) {
        if data.is_empty() {
            return;
        }
        match &mut self.tunnel {
            Tunnel::None => {
                // The CONNECT was accepted but its response is not done:
                // keep the client's tunnel bytes for the tunnel.
                if self.connect_accepted && dir == Direction::ToServer {
                    let room = CONNECT_HOLD_LIMIT.saturating_sub(self.tunnel_held.len());
                    self.tunnel_held
                        .extend_from_slice(data.get(..room.min(data.len())).unwrap_or(&[]));
                }
            }
            Tunnel::Dead => {}
            Tunnel::Handover { asked, tail } => {
                if !*asked {
                    *tail += data.len();
                }
            }
        }
    }

    /// The CONNECT's response is complete: the tunnel opens; the change of
    /// protocol is asked for at the end of the current data.
    fn open_tunnel(&mut self) {
        self.tunnel = Tunnel::Handover {
            asked: false,
            tail: 0,
        };
        self.req_state = ReqState::Stopped;
        self.res_state = ResState::Stopped;
    }

    /// Asks for the protocol change once the data that opened the tunnel is
    /// parsed.
    fn ask_handover(&mut self, out: &mut ParseOutput) {
        if let Tunnel::Handover { asked, tail } = &mut self.tunnel
            && !*asked
        {
            *asked = true;
            let tail = *tail;
            // libhtp consumed the line ending that followed the CONNECT
            // request while probing the tunnel: detection starts after it.
            let held = std::mem::take(&mut self.tunnel_held);
            let start = held
                .iter()
                .position(|&c| !util::is_space(c))
                .unwrap_or(held.len());
            let held = held.get(start..).unwrap_or(&[]).to_vec();
            out.change_protocol_with_held(None, tail, held);
        }
    }
}

/// What follows a successful CONNECT.
enum Tunnel {
    None,
    /// The tunnel is open: the flow goes back to protocol detection.
    /// `tail`: bytes of the current data past the CONNECT's response.
    Handover {
        asked: bool,
        tail: usize,
    },
    Dead,
}

/// Suricata logs file names from Content-Disposition's `filename=`, else
/// the normalized URI path.
fn response_file_name(tx: &HttpTx) -> Vec<u8> {
    if let Some(cd) = tx.res.headers.value(b"content-disposition")
        && let Some(name) = disposition_filename(cd)
    {
        return name;
    }
    tx.req.parsed_uri_path()
}

/// The `filename=` value of a Content-Disposition header, unquoted.
pub(crate) fn disposition_filename(cd: &[u8]) -> Option<Vec<u8>> {
    let at = util::find_nocase(cd, b"filename=")?;
    let v = cd.get(at + 9..)?;
    let end = memchr::memchr(b';', v).unwrap_or(v.len());
    let mut v = util::trim(v.get(..end)?);
    if let [b'"', inner @ .., b'"'] = v {
        v = inner;
    } else if let Some(rest) = v.strip_prefix(b"\"") {
        v = rest;
    }
    Some(v.to_vec())
}

/// libhtp: a status line must start (after whitespace) with "HTTP",
/// case-insensitively; otherwise it is body data.
fn treat_as_body(line: &[u8]) -> bool {
    let start = line
        .iter()
        .position(|&c| !(util::is_space(c) || c == 0))
        .unwrap_or(line.len());
    match line.get(start..start + 4) {
        Some(w) => !w.eq_ignore_ascii_case(b"HTTP"),
        None => true,
    }
}

/// Whether a comma-separated header value has `token` (case-insensitive).
fn has_token(value: &[u8], token: &[u8]) -> bool {
    value
        .split(|&c| c == b',')
        .any(|t| util::eq_nocase(util::trim(t), token))
}

/// The decoders a Content-Encoding value asks for (at most two layers, as
/// Suricata's response-body-decompress-layer-limit).
fn content_codings(value: Option<&[u8]>, events: &mut Vec<&'static str>) -> Vec<Coding> {
    let Some(v) = value else {
        return Vec::new();
    };
    let clean: Vec<u8> = v.iter().copied().filter(|&c| c != 0).collect();
    let single = |t: &[u8]| -> Option<Option<Coding>> {
        if util::eq_nocase(t, b"gzip") || util::eq_nocase(t, b"x-gzip") {
            Some(Some(Coding::Gzip))
        } else if util::eq_nocase(t, b"deflate") || util::eq_nocase(t, b"x-deflate") {
            Some(Some(Coding::Deflate))
        } else if util::eq_nocase(t, b"inflate") || util::eq_nocase(t, b"lzma") {
            // LZMA is off in Suricata's defaults; "inflate" is ignored.
            Some(None)
        } else {
            None
        }
    };
    if let Some(c) = single(&clean) {
        return c.into_iter().collect();
    }
    // Layers are the non-empty tokens between ',' and ' ' (two at most,
    // Suricata's layer limit). Whether libhtp reports too many layers
    // depends on its tokenizer, which also counts the empty token of a
    // " ," (measured against Suricata 7.0.10): spaces after a separator
    // are skipped.
    let mut counted = 0;
    let mut pos = 0;
    while pos < clean.len() {
        let rest = clean.get(pos..).unwrap_or(&[]);
        let end = rest
            .iter()
            .position(|&c| c == b',' || c == b' ')
            .unwrap_or(rest.len());
        pos += end + 1;
        while clean.get(pos) == Some(&b' ') {
            pos += 1;
        }
        counted += 1;
    }
    if counted > 2 {
        events.push("TOO_MANY_ENCODING_LAYERS");
    }
    let mut out = Vec::new();
    for token in clean
        .split(|&c| c == b',' || c == b' ')
        .filter(|t| !t.is_empty())
        .take(2)
    {
        match single(token) {
            Some(Some(c)) => out.push(c),
            Some(None) => {}
            // libhtp still decodes a token that merely contains the name
            // ("C-E gzip has abnormal value").
            None if util::find_nocase(token, b"gzip").is_some() => {
                events.push("ABNORMAL_CE_HEADER");
                out.push(Coding::Gzip);
            }
            None if util::find_nocase(token, b"deflate").is_some() => {
                events.push("ABNORMAL_CE_HEADER");
                out.push(Coding::Deflate);
            }
            None => events.push("ABNORMAL_CE_HEADER"),
        }
    }
    // libhtp chains the decompressors in the order listed.
    out
}

fn side_total(d: &mut Decoder) -> u64 {
    d.feed(&[], 0).1.total
}

/// The `fileinfo` record of a file of `tx`, with its `http` object.
fn file_info(tx: &HttpTx, dir: Direction, file: FileTrack, state: FileState) -> FileInfo {
    let mut http = HttpTx {
        id: tx.id,
        req: tx.req.clone(),
        res: tx.res.clone(),
        bufs: Default::default(),
        part: Default::default(),
    };
    // The http object only needs the logged fields; bodies stay out.
    http.req.body = Vec::new();
    http.res.body = Vec::new();
    FileInfo {
        tx_id: tx.id,
        direction: dir,
        http,
        filename: file.name,
        gaps: file.gaps,
        state,
        size: file.size,
        range: file.range,
    }
}

impl AppParser for HttpParser {
    fn tx_state(&self, tx_id: u64) -> Option<Box<dyn Transaction>> {
        let idx = usize::try_from(tx_id.checked_sub(self.base_id)?).ok()?;
        let s = self.txs.get(idx)?;
        // Only a request already handed over as a snapshot, whose record
        // is still to come.
        if s.tx.part != TxPart::WholeAfterRequest {
            return None;
        }
        let mut view = s.tx.clone();
        view.part = TxPart::RequestSnapshot;
        view.finalize();
        Some(Box::new(view))
    }

    fn parse(&mut self, dir: Direction, data: &[u8], out: &mut ParseOutput) {
        match dir {
            Direction::ToServer => {
                self.parse_request(data, out);
                self.partial_request_snapshot(out);
            }
            Direction::ToClient => self.parse_response(data, out),
        }
        self.ask_handover(out);
    }

    fn gap(&mut self, dir: Direction, len: u64, out: &mut ParseOutput) {
        if matches!(self.tunnel, Tunnel::Handover { .. }) {
            return;
        }
        // Inside a body of known length the gap is body bytes the file
        // records as missing; a gap reaching past the body ends it and the
        // parser picks up at the next message. Anywhere else (a line or a
        // header, chunk framing) the direction cannot resync.
        match dir {
            Direction::ToServer => match self.req_state {
                ReqState::BodyIdentity | ReqState::ChunkData => {
                    let n = len.min(self.req_left);
                    self.req_left -= n;
                    self.note_gap(self.req_tx, Direction::ToServer, n);
                    if self.req_left > 0 {
                        return;
                    }
                    if self.req_state == ReqState::ChunkData {
                        self.req_state = if n == len {
                            ReqState::ChunkDataEnd
                        } else {
                            ReqState::Stopped
                        };
                    } else {
                        self.request_complete(out);
                    }
                }
                ReqState::Finalize => self.request_complete(out),
                ReqState::Idle | ReqState::Ignore09 | ReqState::Stopped => {}
                _ => self.req_state = ReqState::Stopped,
            },
            Direction::ToClient => match self.res_state {
                ResState::BodyIdentity | ResState::ChunkData => {
                    let n = len.min(self.res_left);
                    self.res_left -= n;
                    self.note_gap(self.res_tx, Direction::ToClient, n);
                    if self.res_left > 0 {
                        return;
                    }
                    if self.res_state == ResState::ChunkData {
                        self.res_state = if n == len {
                            ResState::ChunkDataEnd
                        } else {
                            ResState::Stopped
                        };
                    } else {
                        self.response_complete(out);
                    }
                }
                ResState::BodyClose => self.note_gap(self.res_tx, Direction::ToClient, len),
                ResState::Finalize => self.response_complete(out),
                ResState::Idle | ResState::Stopped => {}
                _ => self.res_state = ResState::Stopped,
            },
        }
    }

    fn close(&mut self, dir: Direction, out: &mut ParseOutput) {
        let closing = std::mem::replace(&mut self.closing, true);
        match dir {
            Direction::ToServer => self.close_request(out),
            Direction::ToClient => self.close_response(out),
        }
        self.closing = closing;
    }

    fn finish(&mut self, out: &mut ParseOutput) {
        self.closing = true;
        self.close_response(out);
        self.close_request(out);
        // Everything still open is logged now, files as truncated.
        self.flush_all(out);
        self.req_state = ReqState::Stopped;
        self.res_state = ResState::Stopped;
    }
}

impl HttpParser {
    /// The server's stream ended: a line still buffered is processed as
    /// it is, and the message being read ends (a close-delimited body; a
    /// body cut short too: libhtp finishes it and its file closes
    /// normally).
    fn close_response(&mut self, out: &mut ParseOutput) {
        if self.res_state == ResState::Line && !self.res_line.buf.is_empty() {
            let line = self.res_line.take();
            self.response_line(line, &[], 0, out);
        }
        // A chunk-size line cut by the close is counted and handed on as
        // body data (libhtp flushes it so).
        if self.res_state == ResState::ChunkLen && !self.res_line.buf.is_empty() {
            let line = self.res_line.take();
            if let Some(s) = self.slot(self.res_tx) {
                s.tx.res.message_len += line.len() as u64;
            }
            self.body_data(Direction::ToClient, &line, out);
            self.response_complete(out);
        }
        // Trailers cut by the close: the message is done (libhtp does not
        // parse a trailer line still held for folding).
        if self.res_state == ResState::Headers && self.res_trailer {
            self.res_header = None;
            self.res_trailer = false;
            self.res_state = ResState::Finalize;
            self.res_line.buf.clear();
        }
        if self.res_state == ResState::Finalize && !self.res_line.buf.is_empty() {
            let line = self.res_line.take();
            if treat_as_body(&line) {
                self.response_extra_body(&line, out);
            }
        }
        if matches!(
            self.res_state,
            ResState::BodyClose
                | ResState::Finalize
                | ResState::BodyIdentity
                | ResState::ChunkData
                | ResState::ChunkDataEnd
        ) || (self.res_state == ResState::ChunkLen && self.res_line.buf.is_empty())
        {
            self.response_complete(out);
        }
    }

    /// The client's stream ended: a request body cut short ends there.
    fn close_request(&mut self, out: &mut ParseOutput) {
        if matches!(
            self.req_state,
            ReqState::BodyIdentity | ReqState::ChunkData | ReqState::ChunkDataEnd
        ) || (self.req_state == ReqState::Finalize && self.req_line.buf.is_empty())
        {
            self.request_complete(out);
        }
    }

    /// Parsing cannot go on (an unframeable request): like Suricata after a
    /// parser error, stop both directions and log what there is.
    fn abort(&mut self, out: &mut ParseOutput) {
        self.flush_all(out);
        self.req_state = ReqState::Stopped;
        self.res_state = ResState::Stopped;
    }

    /// Logs every open transaction (open files as truncated).
    fn flush_all(&mut self, out: &mut ParseOutput) {
        let closing = std::mem::replace(&mut self.closing, true);
        while let Some(mut slot) = self.txs.pop_front() {
            if let Some(f) = slot.req.file.take() {
                slot.files
                    .push((Direction::ToServer, f, FileState::Truncated));
            }
            if let Some(f) = slot.res.file.take() {
                slot.files
                    .push((Direction::ToClient, f, FileState::Truncated));
            }
            self.base_id += 1;
            self.emit_slot(slot, out);
        }
        self.closing = closing;
    }

    fn note_gap(&mut self, id: Option<u64>, dir: Direction, len: u64) {
        if let Some(s) = self.slot(id) {
            let side = match dir {
                Direction::ToServer => {
                    s.tx.req.message_len += len;
                    &mut s.req
                }
                Direction::ToClient => {
                    s.tx.res.message_len += len;
                    &mut s.res
                }
            };
            if side.file_wanted && side.file.is_none() {
                side.file = Some(FileTrack::new(std::mem::take(&mut side.file_name)));
            }
            if let Some(f) = side.file.as_mut() {
                f.gaps = true;
                f.size = f.size.saturating_add(len);
            }
        }
    }
}
