//! OPC UA binary: OPC UA Connection Protocol and UA Secure Conversation
//! over TCP (OPC 10000-6 6.7 and 7.1), on port 4840 and detected by content
//! elsewhere (a plausible first message header).
//!
//! Per direction the stream is cut into chunks by their 8-byte header
//! (`HEL`, `ACK`, `ERR`, `RHE`, `OPN`, `MSG`, `CLO`; chunk type `F`, `C`,
//! `A`; size). Secure chunks carry the secure channel id, the asymmetric
//! (OPN: security policy URI, sender certificate, receiver thumbprint) or
//! symmetric (token id) security header and, when readable, the sequence
//! header (sequence number, request id). `C` chunks are reassembled up to
//! their `F` chunk (dropped on `A`). Bodies are decoded when readable: on a
//! channel whose policy is `None`, or (policy unknown or not `None`) when
//! the sequence header and body decode as a known service message, which is
//! the case for mode `Sign`. Otherwise the message is logged with its
//! plaintext headers and `"encrypted":true`.
//!
//! Transactions: a Hello with its Acknowledge; a request with its response
//! (same request id, and OPN request with OPN response); an Error, a
//! ReverseHello, a CloseSecureChannel request, an encrypted MSG or a
//! message without its partner is a record of its own. Records are oriented
//! by the client (`src_ip` is the client's), the message sent by the client
//! under `request`, the server's under `response`. See `docs/events.md`,
//! `opcua`.
//!
//! Rule fields ([`Transaction::uints`] / [`Transaction::buffers`]):
//! - `opcua.msg_type` (uint, multi): message type of each part: 1 HEL,
//!   2 ACK, 3 ERR, 4 RHE, 5 OPN, 6 MSG, 7 CLO.
//! - `opcua.service` (uint, multi): namespace-0 binary encoding id of each
//!   part's service message (631 ReadRequest, 634 ReadResponse, ...).
//! - `opcua.status_code` (uint): ServiceResult of the response, or the
//!   error of an ERR message / abort chunk.
//! - `opcua.security_mode` (uint): MessageSecurityMode of the channel
//!   (1 None, 2 Sign, 3 SignAndEncrypt): from the OpenSecureChannel request
//!   when readable, else inferred (policy `None`: 1; readable bodies under
//!   another policy: 2; unreadable ones: 3).
//! - `opcua.request_id`, `opcua.secure_channel_id` (uint).
//! - `opcua.attribute_id` (uint, multi): attribute ids read, written or
//!   monitored.
//! - `opcua.service_name` (buffer, multi): message names (`ReadRequest`).
//! - `opcua.security_policy` (buffer): the channel's SecurityPolicyUri.
//! - `opcua.node_id` (buffer, multi): node ids accessed by the request
//!   (read, written, browsed, monitored, registered, deleted; object and
//!   method of calls) in string form (`ns=2;s=Foo`, `i=2258`).
//!
//! Memory is bounded per flow: one chunk held per direction (at most
//! [`MAX_CHUNK_KEPT`] bytes of it; the rest is skipped), at most
//! [`MAX_PARTIAL`] messages under reassembly per direction with
//! [`MAX_MESSAGE_KEPT`] body bytes each and [`MAX_CHUNKS`] chunks,
//! [`MAX_PENDING`] requests awaiting their response, and
//! [`services::MAX_ITEMS`] operations kept per message.

mod binary;
mod ids;
mod services;

pub use binary::{Identifier, NodeId};
pub use ids::{service_name, status_name};
pub use services::{Detail, Header, ServiceBody};

use crate::{
    AppParser, AppProto, Direction, ParseOutput, Probe, ProtoInfo, Transaction, Transport,
};
use binary::{DecodeError, Kept, Reader};
use std::collections::VecDeque;
use vigil_eve::JsonWriter;

/// Registration of OPC UA binary.
pub static INFO: ProtoInfo = ProtoInfo {
    proto: AppProto::Opcua,
    tcp_ports: &[4840],
    udp_ports: &[],
    probe_tcp: Some(probe),
    probe_udp: None,
    port_only: false,
    new_parser,
};

const P: AppProto = AppProto::Opcua;
/// Message header length.
const HEADER: usize = 8;
/// Declared chunk sizes above this are taken as a framing error (no stack
/// negotiates buffers this large; 16 MiB).
pub const MAX_CHUNK_SIZE: u32 = 16 << 20;
/// Bytes of one chunk held (header included); the rest is skipped.
pub const MAX_CHUNK_KEPT: usize = 64 << 10;
/// Body bytes kept of a message under reassembly.
pub const MAX_MESSAGE_KEPT: usize = 64 << 10;
/// Chunks of one message before it is dropped.
pub const MAX_CHUNKS: u32 = 4096;
/// Messages under reassembly per direction.
pub const MAX_PARTIAL: usize = 4;
/// Requests awaiting their response per flow.
pub const MAX_PENDING: usize = 64;
/// Longest EndpointUrl, ServerUri and Reason the standard allows.
const MAX_URL: usize = 4096;
/// Longest SecurityPolicyUri the standard allows.
const MAX_POLICY_URI: usize = 255;
/// Smallest buffer size a Hello or Acknowledge may announce (1024 with ECC
/// policies, 8192 otherwise).
const MIN_BUFFER_SIZE: u32 = 1024;
/// Reason strings, URLs and URIs are logged up to this length.
const MAX_TEXT: usize = 1024;

/// Message type of a chunk.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MsgType {
    Hel,
    Ack,
    Err,
    Rhe,
    Opn,
    Msg,
    Clo,
}

impl MsgType {
    fn from_bytes(b: &[u8]) -> Option<MsgType> {
        Some(match b {
            b"HEL" => MsgType::Hel,
            b"ACK" => MsgType::Ack,
            b"ERR" => MsgType::Err,
            b"RHE" => MsgType::Rhe,
            b"OPN" => MsgType::Opn,
            b"MSG" => MsgType::Msg,
            b"CLO" => MsgType::Clo,
            _ => return None,
        })
    }
    /// The three-letter code.
    pub fn name(self) -> &'static str {
        match self {
            MsgType::Hel => "HEL",
            MsgType::Ack => "ACK",
            MsgType::Err => "ERR",
            MsgType::Rhe => "RHE",
            MsgType::Opn => "OPN",
            MsgType::Msg => "MSG",
            MsgType::Clo => "CLO",
        }
    }
    /// The `opcua.msg_type` value (Snort 3's numbering).
    pub fn code(self) -> u8 {
        match self {
            MsgType::Hel => 1,
            MsgType::Ack => 2,
            MsgType::Err => 3,
            MsgType::Rhe => 4,
            MsgType::Opn => 5,
            MsgType::Msg => 6,
            MsgType::Clo => 7,
        }
    }
    /// Smallest chunk of this type: header and fixed fields.
    fn min_size(self) -> u32 {
        match self {
            MsgType::Hel => 32,
            MsgType::Ack => 28,
            MsgType::Err | MsgType::Rhe => 16,
            MsgType::Opn => 32,
            MsgType::Msg | MsgType::Clo => 24,
        }
    }
    /// Whether the type may use `C` and `A` chunks (only MSG may).
    fn chunked(self) -> bool {
        self == MsgType::Msg
    }
    fn secure(self) -> bool {
        matches!(self, MsgType::Opn | MsgType::Msg | MsgType::Clo)
    }
}

/// What is wrong with an 8-byte header.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum BadHeader {
    Type,
    Size,
}

/// A checked message header.
#[derive(Clone, Copy, Debug)]
struct ChunkHeader {
    msg_type: MsgType,
    chunk_type: u8,
    size: u32,
}

fn read_header(h: &[u8]) -> Result<ChunkHeader, BadHeader> {
    let (Some(t), Some(&chunk_type), Some(s)) = (h.get(..3), h.get(3), h.get(4..8)) else {
        return Err(BadHeader::Size);
    };
    let msg_type = MsgType::from_bytes(t).ok_or(BadHeader::Type)?;
    let size = u32::from_le_bytes(s.try_into().map_err(|_| BadHeader::Size)?);
    if !(HEADER as u32..=MAX_CHUNK_SIZE).contains(&size) {
        return Err(BadHeader::Size);
    }
    Ok(ChunkHeader {
        msg_type,
        chunk_type,
        size,
    })
}

/// A header plausible enough to resynchronise on: known type, a chunk type
/// the type allows, and a size in range.
fn plausible_header(h: &[u8]) -> bool {
    match read_header(h) {
        Ok(c) => {
            let chunk_ok = c.chunk_type == b'F'
                || (c.msg_type.chunked() && matches!(c.chunk_type, b'C' | b'A'));
            chunk_ok && c.size >= c.msg_type.min_size()
        }
        Err(_) => false,
    }
}

/// Content prober: a plausible first message header. A Hello (the usual
/// start) also needs a protocol version below 256; secure messages seen
/// mid-stream need the header alone.
pub fn probe(_dir: Direction, data: &[u8]) -> Probe {
    const TYPES: [&[u8; 3]; 7] = [b"HEL", b"ACK", b"ERR", b"RHE", b"OPN", b"MSG", b"CLO"];
    let n = data.len().min(3);
    let prefix = data.get(..n).unwrap_or(&[]);
    if !TYPES.iter().any(|t| t.starts_with(prefix)) {
        return Probe::NoMatch;
    }
    let Some(h) = data.get(..HEADER) else {
        // Check the chunk byte as soon as it is there.
        return match data.get(3) {
            Some(c) if !matches!(c, b'F' | b'C' | b'A') => Probe::NoMatch,
            _ => Probe::NeedMore,
        };
    };
    if !plausible_header(h) {
        return Probe::NoMatch;
    }
    if h.starts_with(b"HEL") {
        return match data.get(8..12) {
            None => Probe::NeedMore,
            Some(v) if v.get(1..) == Some(&[0, 0, 0][..]) => Probe::Match,
            Some(_) => Probe::NoMatch,
        };
    }
    Probe::Match
}

fn new_parser(_transport: Transport) -> Box<dyn AppParser> {
    Box::new(OpcuaParser::default())
}

/// Limits negotiated by Hello/Acknowledge for chunks sent in one direction
/// (0: no limit known).
#[derive(Clone, Copy, Debug, Default)]
struct Limits {
    max_chunk: u32,
    max_message: u32,
    max_chunks: u32,
}

/// A message under reassembly.
#[derive(Debug)]
struct Partial {
    msg: Message,
    /// Request id of readable chunks; `None` for encrypted ones.
    key: Option<u32>,
    body: Vec<u8>,
    body_len: u64,
    /// A chunk was cut: later bytes are not kept.
    broken: bool,
    readable: bool,
    reported_count: bool,
    reported_size: bool,
}

#[derive(Default)]
struct DirState {
    /// The current chunk from its header (at most [`MAX_CHUNK_KEPT`]
    /// bytes), or while resynchronising the last bytes seen (< 8).
    buf: Vec<u8>,
    /// Declared size of the current chunk; 0 while reading its header.
    size: u32,
    /// Bytes of the current chunk skipped beyond `buf`.
    skipped: usize,
    /// Skip the current chunk (bad size for its type).
    discard: bool,
    /// Scanning for a header after a gap or a framing error.
    resync: bool,
    partials: Vec<Partial>,
    last_seq: Option<u32>,
    reported_seq: bool,
    reported_chunk_size: bool,
    limits: Limits,
}

/// Security state of the flow's secure channel.
#[derive(Default, Debug)]
struct Channel {
    policy_uri: Option<Kept>,
    /// The policy is `None`: everything is readable.
    policy_none: Option<bool>,
    security_mode: Option<u32>,
    /// SecureChannelId assigned by the server.
    id: Option<u32>,
    reported_id: bool,
}

/// The per-flow OPC UA parser.
pub struct OpcuaParser {
    dirs: [DirState; 2],
    /// The direction the OPC UA client sends in (learned from Hello,
    /// OpenSecureChannel and readable requests/responses).
    client_dir: Direction,
    channel: Channel,
    hello: Option<Message>,
    pending: VecDeque<Message>,
}

impl Default for OpcuaParser {
    fn default() -> Self {
        OpcuaParser {
            dirs: Default::default(),
            client_dir: Direction::ToServer,
            channel: Channel::default(),
            hello: None,
            pending: VecDeque::new(),
        }
    }
}

impl AppParser for OpcuaParser {
    fn parse(&mut self, dir: Direction, mut data: &[u8], out: &mut ParseOutput) {
        let d = dir.index();
        while !data.is_empty() {
            let Some(st) = self.dirs.get_mut(d) else {
                return;
            };
            if st.resync {
                let used = resync_scan(st, data);
                data = data.get(used..).unwrap_or(&[]);
                if st.resync {
                    return;
                }
                continue;
            }
            if st.size == 0 {
                let need = HEADER.saturating_sub(st.buf.len());
                let n = need.min(data.len());
                st.buf.extend_from_slice(data.get(..n).unwrap_or(&[]));
                data = data.get(n..).unwrap_or(&[]);
                if st.buf.len() < HEADER {
                    return;
                }
                match read_header(&st.buf) {
                    Ok(h) => {
                        st.size = h.size;
                        st.skipped = 0;
                        st.discard = false;
                        if h.size < h.msg_type.min_size() {
                            out.event(P, "INVALID_MESSAGE_SIZE");
                            st.discard = true;
                        }
                    }
                    Err(bad) => {
                        out.event(
                            P,
                            match bad {
                                BadHeader::Type => "INVALID_MESSAGE_TYPE",
                                BadHeader::Size => "INVALID_MESSAGE_SIZE",
                            },
                        );
                        // Rescan from the byte after the bad header start.
                        st.buf.remove(0);
                        st.resync = true;
                        continue;
                    }
                }
            }
            let size = st.size as usize;
            let keep = size.min(MAX_CHUNK_KEPT);
            if st.buf.len() < keep {
                let n = (keep - st.buf.len()).min(data.len());
                st.buf.extend_from_slice(data.get(..n).unwrap_or(&[]));
                data = data.get(n..).unwrap_or(&[]);
                if st.buf.len() < keep {
                    return;
                }
            }
            let to_skip = size.saturating_sub(keep).saturating_sub(st.skipped);
            let n = to_skip.min(data.len());
            st.skipped += n;
            data = data.get(n..).unwrap_or(&[]);
            if st.skipped < size.saturating_sub(keep) {
                return;
            }
            let chunk = std::mem::take(&mut st.buf);
            let discard = st.discard;
            st.size = 0;
            st.skipped = 0;
            if !discard {
                self.on_chunk(dir, &chunk, size, out);
            }
            if let Some(st) = self.dirs.get_mut(d) {
                // Reuse the buffer, unless a large chunk grew it.
                if chunk.capacity() <= 16 << 10 {
                    st.buf = chunk;
                    st.buf.clear();
                }
            }
        }
    }

    fn gap(&mut self, dir: Direction, _len: u64, _out: &mut ParseOutput) {
        if let Some(st) = self.dirs.get_mut(dir.index()) {
            st.buf.clear();
            st.size = 0;
            st.skipped = 0;
            st.partials.clear();
            st.last_seq = None;
            st.resync = true;
        }
    }

    fn finish(&mut self, out: &mut ParseOutput) {
        if let Some(h) = self.hello.take() {
            self.emit(Some(h), None, out);
        }
        while let Some(r) = self.pending.pop_front() {
            self.emit(Some(r), None, out);
        }
    }
}

/// Looks for a plausible header in the held tail and `data`. On success
/// `st.resync` is cleared and `st.buf` holds the header's first bytes when
/// it starts in the tail; returns the bytes of `data` consumed.
fn resync_scan(st: &mut DirState, data: &[u8]) -> usize {
    let mut window = st.buf.clone();
    window.extend_from_slice(data.get(..HEADER.min(data.len())).unwrap_or(&[]));
    for i in 0..st.buf.len() {
        if window.get(i..i + HEADER).is_some_and(plausible_header) {
            st.buf.drain(..i);
            st.resync = false;
            return 0;
        }
    }
    let mut i = 0;
    while let Some(h) = data.get(i..i + HEADER) {
        if plausible_header(h) {
            st.buf.clear();
            st.resync = false;
            return i;
        }
        i += 1;
    }
    // Keep the last bytes: a header may start there.
    if data.len() >= HEADER - 1 {
        st.buf.clear();
        let from = data.len() - (HEADER - 1);
        st.buf.extend_from_slice(data.get(from..).unwrap_or(&[]));
    } else {
        st.buf.extend_from_slice(data);
        let cut = st.buf.len().saturating_sub(HEADER - 1);
        st.buf.drain(..cut);
    }
    data.len()
}

/// A whole message (all its chunks) in one direction.
#[derive(Clone, Debug, PartialEq)]
pub struct Message {
    /// The sender.
    pub direction: Direction,
    pub msg_type: MsgType,
    /// Chunk type of the last chunk (`F`, or `A` when aborted).
    pub chunk_type: u8,
    /// Sum of the chunk sizes.
    pub message_size: u64,
    pub chunks: u32,
    pub secure_channel_id: Option<u32>,
    pub security: Security,
    /// Sequence header of the first chunk (readable messages).
    pub sequence_number: Option<u32>,
    pub request_id: Option<u32>,
    /// The sequence header and body are not readable.
    pub encrypted: bool,
    /// The body was longer than what is kept: decoded as far as kept.
    pub truncated: bool,
    pub content: Content,
}

/// The security header of a secure message.
#[derive(Clone, Debug, PartialEq, Default)]
pub enum Security {
    #[default]
    None,
    /// OPN: asymmetric algorithm security header.
    Asymmetric {
        policy_uri: Option<Kept>,
        sender_certificate_length: Option<usize>,
        receiver_thumbprint_length: Option<usize>,
    },
    /// MSG/CLO: symmetric algorithm security header.
    Symmetric { token_id: u32 },
}

/// What a message says.
#[derive(Clone, Debug, PartialEq, Default)]
pub enum Content {
    #[default]
    None,
    /// HEL / ACK fields (ACK has no endpoint URL).
    Hello {
        protocol_version: u32,
        receive_buffer_size: u32,
        send_buffer_size: u32,
        max_message_size: u32,
        max_chunk_count: u32,
        endpoint_url: Option<Kept>,
    },
    /// ERR message, or the body of an abort chunk.
    Error { error: u32, reason: Option<Kept> },
    /// RHE message.
    ReverseHello {
        server_uri: Option<Kept>,
        endpoint_url: Option<Kept>,
    },
    /// A decoded service message.
    Service(Box<ServiceBody>),
}

impl Message {
    fn new(direction: Direction, msg_type: MsgType, chunk_type: u8, size: usize) -> Message {
        Message {
            direction,
            msg_type,
            chunk_type,
            message_size: size as u64,
            chunks: 1,
            secure_channel_id: None,
            security: Security::None,
            sequence_number: None,
            request_id: None,
            encrypted: false,
            truncated: false,
            content: Content::None,
        }
    }
    /// The decoded service body.
    pub fn service(&self) -> Option<&ServiceBody> {
        match &self.content {
            Content::Service(s) => Some(s),
            _ => None,
        }
    }
    /// Namespace-0 numeric type id of the service message.
    pub fn service_id(&self) -> Option<u32> {
        self.service().and_then(ServiceBody::type_numeric)
    }
    /// The service message name.
    pub fn service_name(&self) -> Option<&'static str> {
        self.service().and_then(|s| s.name)
    }
    /// Status: ServiceResult, or the error of ERR / abort.
    pub fn status_code(&self) -> Option<u32> {
        match &self.content {
            Content::Service(s) => s.service_result(),
            Content::Error { error, .. } => Some(*error),
            _ => None,
        }
    }
}

/// Decodes a String field into a kept value, checking the standard's cap.
fn text(
    r: &mut Reader<'_>,
    max: usize,
    out: &mut ParseOutput,
) -> Result<Option<Kept>, DecodeError> {
    let s = r.bytes()?;
    if s.is_some_and(|s| s.len() > max) {
        out.event(P, "STRING_TOO_LONG");
    }
    Ok(s.map(|s| Kept::with_cap(s, MAX_TEXT)))
}

/// Raises the anomaly for a decode that stopped early, unless it stopped
/// at the end of bytes the parser itself cut off.
fn report_decode_error(e: DecodeError, truncated: bool, out: &mut ParseOutput) {
    match e {
        DecodeError::Eof if truncated => {}
        DecodeError::TooDeep => out.event(P, "NESTING_TOO_DEEP"),
        DecodeError::Eof | DecodeError::Invalid => out.event(P, "MALFORMED_MESSAGE"),
    }
}

/// The asymmetric security header of an OPN chunk.
fn asymmetric_header(r: &mut Reader<'_>, out: &mut ParseOutput) -> Result<Security, DecodeError> {
    let policy = r.bytes()?;
    if policy.is_some_and(|p| p.len() > MAX_POLICY_URI) {
        out.event(P, "STRING_TOO_LONG");
    }
    let cert = r.bytes()?;
    let thumb = r.bytes()?;
    Ok(Security::Asymmetric {
        policy_uri: policy.map(|p| Kept::with_cap(p, MAX_TEXT)),
        sender_certificate_length: cert.map(<[u8]>::len),
        receiver_thumbprint_length: thumb.map(<[u8]>::len),
    })
}

/// Symmetric signature length of a policy (mode Sign), to strip it from
/// each chunk before reassembly.
fn signature_len(policy: &[u8]) -> Option<usize> {
    match ids::policy_short_name(policy)? {
        b"Basic128Rsa15" | b"Basic256" => Some(20),
        b"Basic256Sha256" | b"Aes128_Sha256_RsaOaep" | b"Aes256_Sha256_RsaPss" => Some(32),
        _ => None,
    }
}

/// Whether `body` starts like a readable service message: a known
/// namespace-0 type id and a header that decodes (or runs past the end of
/// what is there, for a first chunk or a truncated body).
fn plausible_body(body: &[u8]) -> bool {
    match services::decode(body) {
        Some(sb) => {
            sb.name.is_some()
                && (sb.header.is_some() || sb.error == Some(DecodeError::Eof))
                && !matches!(sb.error, Some(DecodeError::Invalid))
        }
        None => false,
    }
}

impl OpcuaParser {
    fn on_chunk(&mut self, dir: Direction, chunk: &[u8], size: usize, out: &mut ParseOutput) {
        let Ok(h) = read_header(chunk) else {
            return;
        };
        let truncated = chunk.len() < size;
        let body = chunk.get(HEADER..).unwrap_or(&[]);
        let chunk_ok =
            h.chunk_type == b'F' || (h.msg_type.chunked() && matches!(h.chunk_type, b'C' | b'A'));
        if !chunk_ok {
            out.event(P, "INVALID_CHUNK_TYPE");
        }
        // Negotiated chunk size for this direction.
        if let Some(st) = self.dirs.get_mut(dir.index()) {
            let max = st.limits.max_chunk;
            if max != 0 && size > max as usize && !st.reported_chunk_size {
                st.reported_chunk_size = true;
                out.event(P, "CHUNK_TOO_LARGE");
            }
        }
        if h.msg_type.secure() {
            // Only MSG chunks may be intermediate or aborts.
            let chunk_type = if h.msg_type.chunked() {
                h.chunk_type
            } else {
                b'F'
            };
            self.secure_chunk(dir, h.msg_type, chunk_type, size, body, truncated, out);
        } else {
            let msg =
                self.connection_message(dir, h.msg_type, h.chunk_type, size, body, truncated, out);
            self.on_message(msg, out);
        }
    }

    /// HEL, ACK, ERR, RHE.
    #[allow(clippy::too_many_arguments)]
    fn connection_message(
        &mut self,
        dir: Direction,
        mt: MsgType,
        chunk_type: u8,
        size: usize,
        body: &[u8],
        truncated: bool,
        out: &mut ParseOutput,
    ) -> Message {
        let mut msg = Message::new(dir, mt, chunk_type, size);
        msg.truncated = truncated;
        let mut r = Reader::new(body);
        let res = (|| -> Result<Content, DecodeError> {
            Ok(match mt {
                MsgType::Hel | MsgType::Ack => Content::Hello {
                    protocol_version: r.u32()?,
                    receive_buffer_size: r.u32()?,
                    send_buffer_size: r.u32()?,
                    max_message_size: r.u32()?,
                    max_chunk_count: r.u32()?,
                    endpoint_url: if mt == MsgType::Hel {
                        text(&mut r, MAX_URL, out)?
                    } else {
                        None
                    },
                },
                MsgType::Err => Content::Error {
                    error: r.u32()?,
                    reason: text(&mut r, MAX_URL, out)?,
                },
                _ => Content::ReverseHello {
                    server_uri: text(&mut r, MAX_URL, out)?,
                    endpoint_url: text(&mut r, MAX_URL, out)?,
                },
            })
        })();
        match res {
            Ok(c) => {
                msg.content = c;
                if r.remaining() > 0 && !truncated {
                    out.event(P, "EXTRA_DATA");
                }
            }
            Err(e) => report_decode_error(e, truncated, out),
        }
        if let Content::Hello {
            receive_buffer_size: rbs,
            send_buffer_size: sbs,
            max_message_size: mms,
            max_chunk_count: mcc,
            ..
        } = msg.content
        {
            let mut bad = rbs < MIN_BUFFER_SIZE || sbs < MIN_BUFFER_SIZE;
            let peer = dir.reverse();
            if mt == MsgType::Hel {
                self.client_dir = dir;
                self.set_limits(dir, sbs, None, None);
                self.set_limits(peer, rbs, Some(mms), Some(mcc));
            } else {
                self.client_dir = peer;
                if let Some(Content::Hello {
                    receive_buffer_size: hr,
                    send_buffer_size: hs,
                    ..
                }) = self.hello.as_ref().map(|h| &h.content)
                {
                    // The server may only lower the client's sizes.
                    bad |= rbs > *hs || sbs > *hr;
                }
                self.set_limits(peer, rbs, Some(mms), Some(mcc));
                self.set_limits(dir, sbs, None, None);
            }
            if bad {
                out.event(P, "INVALID_BUFFER_SIZE");
            }
        }
        msg
    }

    fn set_limits(
        &mut self,
        dir: Direction,
        chunk: u32,
        message: Option<u32>,
        chunks: Option<u32>,
    ) {
        if let Some(st) = self.dirs.get_mut(dir.index()) {
            st.limits.max_chunk = chunk;
            if let Some(m) = message {
                st.limits.max_message = m;
            }
            if let Some(c) = chunks {
                st.limits.max_chunks = c;
            }
        }
    }

    /// OPN, MSG, CLO chunk: security and sequence headers, reassembly.
    #[allow(clippy::too_many_arguments)]
    fn secure_chunk(
        &mut self,
        dir: Direction,
        mt: MsgType,
        chunk_type: u8,
        size: usize,
        body: &[u8],
        truncated: bool,
        out: &mut ParseOutput,
    ) {
        let mut msg = Message::new(dir, mt, chunk_type, size);
        msg.truncated = truncated;
        let mut r = Reader::new(body);
        let Ok(channel_id) = r.u32() else {
            return;
        };
        msg.secure_channel_id = Some(channel_id);
        // Security header; `Some(true)` when the policy says readable.
        let readable_hint = if mt == MsgType::Opn {
            match asymmetric_header(&mut r, out) {
                Ok(sec) => msg.security = sec,
                Err(e) => {
                    report_decode_error(e, truncated, out);
                    msg.encrypted = true;
                    self.on_message(msg, out);
                    return;
                }
            }
            let policy = match &msg.security {
                Security::Asymmetric { policy_uri, .. } => policy_uri.clone(),
                _ => None,
            };
            if policy.as_ref().is_none_or(|p| p.bytes.is_empty()) {
                out.event(P, "INVALID_SECURITY_POLICY");
            }
            let none = policy
                .as_ref()
                .is_some_and(|p| ids::policy_short_name(&p.bytes) == Some(&b"None"[..]));
            self.channel.policy_uri = policy;
            self.channel.policy_none = Some(none);
            if none {
                self.channel.security_mode = Some(1);
            }
            Some(none)
        } else {
            let Ok(token_id) = r.u32() else {
                return;
            };
            msg.security = Security::Symmetric { token_id };
            if let Some(id) = self.channel.id
                && id != channel_id
                && !self.channel.reported_id
            {
                self.channel.reported_id = true;
                out.event(P, "SECURE_CHANNEL_ID_MISMATCH");
            }
            self.channel.policy_none.filter(|n| *n)
        };
        let rest = r.rest();
        let seq = rest.get(..8).and_then(|s| {
            let a: [u8; 4] = s.get(..4)?.try_into().ok()?;
            let b: [u8; 4] = s.get(4..8)?.try_into().ok()?;
            Some((u32::from_le_bytes(a), u32::from_le_bytes(b)))
        });
        let sig_len = if self.channel.policy_none == Some(false) {
            self.channel
                .policy_uri
                .as_ref()
                .and_then(|p| signature_len(&p.bytes))
        } else {
            None
        };
        let Some(st) = self.dirs.get_mut(dir.index()) else {
            return;
        };
        // Readable: a None policy, a continuation of a readable message,
        // or a first chunk that decodes as a service message.
        let readable = match readable_hint {
            Some(true) => true,
            _ if mt == MsgType::Opn => false,
            _ => {
                let continues_readable = seq.is_some_and(|(_, rid)| {
                    st.partials
                        .iter()
                        .any(|p| p.readable && p.msg.msg_type == mt && p.key == Some(rid))
                });
                let continues_encrypted = st
                    .partials
                    .iter()
                    .any(|p| !p.readable && p.msg.msg_type == mt);
                if continues_readable {
                    true
                } else if continues_encrypted {
                    false
                } else if chunk_type == b'A' {
                    // An abort body is Error + Reason, not a service message:
                    // readable when its status code is a known one.
                    rest.get(8..12)
                        .and_then(|e| e.try_into().ok())
                        .is_some_and(|e: [u8; 4]| ids::status_name(u32::from_le_bytes(e)).is_some())
                } else {
                    rest.get(8..).is_some_and(plausible_body)
                }
            }
        };
        let mut payload: &[u8] = &[];
        if readable {
            if let Some((s, rid)) = seq {
                msg.sequence_number = Some(s);
                msg.request_id = Some(rid);
                if let Some(last) = st.last_seq {
                    let next = s == last.wrapping_add(1) || (last > u32::MAX - 1024 && s < 1024);
                    if !next && !st.reported_seq {
                        st.reported_seq = true;
                        out.event(P, "SEQUENCE_NUMBER_INVALID");
                    }
                }
                st.last_seq = Some(s);
            }
            payload = rest.get(8..).unwrap_or(&[]);
            // Mode Sign: drop each chunk's signature before joining bodies.
            if let Some(n) = sig_len.filter(|_| !truncated && mt != MsgType::Opn) {
                payload = payload
                    .get(..payload.len().saturating_sub(n))
                    .unwrap_or(&[]);
            }
        } else {
            msg.encrypted = true;
            st.last_seq = None;
        }
        if mt != MsgType::Opn && self.channel.policy_none != Some(true) {
            self.channel.security_mode = Some(if readable { 2 } else { 3 });
        }
        let key = if readable { msg.request_id } else { None };
        let pos = st
            .partials
            .iter()
            .position(|p| p.msg.msg_type == mt && p.readable == readable && p.key == key);
        let limits = st.limits;
        match chunk_type {
            b'C' => {
                let i = match pos {
                    Some(i) => i,
                    None => {
                        if st.partials.len() >= MAX_PARTIAL {
                            st.partials.remove(0);
                            out.event(P, "TOO_MANY_PARTIAL_MESSAGES");
                        }
                        msg.chunks = 0;
                        msg.message_size = 0;
                        st.partials.push(Partial {
                            msg,
                            key,
                            body: Vec::new(),
                            body_len: 0,
                            broken: false,
                            readable,
                            reported_count: false,
                            reported_size: false,
                        });
                        st.partials.len() - 1
                    }
                };
                let drop = st
                    .partials
                    .get_mut(i)
                    .is_some_and(|p| add_chunk(p, payload, size, truncated, limits, out));
                if drop {
                    st.partials.remove(i);
                }
            }
            b'A' => {
                // The message is abandoned; the abort chunk says why.
                let mut m = match pos {
                    Some(i) => {
                        let mut p = st.partials.remove(i);
                        p.msg.chunks = p.msg.chunks.saturating_add(1);
                        p.msg.message_size += size as u64;
                        p.msg
                    }
                    None => msg,
                };
                m.chunk_type = b'A';
                if readable {
                    let mut ar = Reader::new(payload);
                    let res = (|| -> Result<Content, DecodeError> {
                        Ok(Content::Error {
                            error: ar.u32()?,
                            reason: text(&mut ar, MAX_URL, out)?,
                        })
                    })();
                    match res {
                        Ok(c) => m.content = c,
                        Err(e) => report_decode_error(e, truncated, out),
                    }
                }
                self.on_message(m, out);
            }
            _ => {
                let (mut m, body, cut) = match pos {
                    Some(i) => {
                        let mut p = st.partials.remove(i);
                        add_chunk(&mut p, payload, size, truncated, limits, out);
                        let cut = p.broken || p.body_len > p.body.len() as u64;
                        (p.msg, p.body, cut)
                    }
                    None => {
                        let kept = payload
                            .get(..payload.len().min(MAX_MESSAGE_KEPT))
                            .unwrap_or(&[]);
                        if limits.max_message != 0 && payload.len() > limits.max_message as usize {
                            out.event(P, "MESSAGE_TOO_LARGE");
                        }
                        (msg, kept.to_vec(), truncated || kept.len() < payload.len())
                    }
                };
                m.chunk_type = b'F';
                m.truncated = cut;
                if readable {
                    self.decode_body(&mut m, &body, out);
                }
                self.on_message(m, out);
            }
        }
    }

    fn decode_body(&mut self, m: &mut Message, body: &[u8], out: &mut ParseOutput) {
        let Some(sb) = services::decode(body) else {
            if !(m.truncated && body.is_empty()) {
                out.event(P, "MALFORMED_MESSAGE");
            }
            return;
        };
        if sb.name.is_none() {
            out.event(P, "UNKNOWN_SERVICE");
        }
        if let Some(e) = sb.error {
            report_decode_error(e, m.truncated, out);
        }
        match &sb.detail {
            Detail::OpenRequest(o) => self.channel.security_mode = Some(o.security_mode),
            Detail::OpenResponse(o) if o.channel_id != 0 => {
                self.channel.id = Some(o.channel_id);
            }
            _ => {}
        }
        m.content = Content::Service(Box::new(sb));
    }

    /// Pairs and emits a finished message.
    fn on_message(&mut self, msg: Message, out: &mut ParseOutput) {
        let dir = msg.direction;
        match msg.msg_type {
            MsgType::Hel => {
                self.client_dir = dir;
                if let Some(h) = self.hello.take() {
                    self.emit(Some(h), None, out);
                }
                self.hello = Some(msg);
                return;
            }
            MsgType::Ack => {
                self.client_dir = dir.reverse();
                let h = self.hello.take();
                self.emit(h, Some(msg), out);
                return;
            }
            MsgType::Err => {
                if let Some(h) = self.hello.take() {
                    self.emit(Some(h), None, out);
                }
                self.emit_alone(msg, out);
                return;
            }
            MsgType::Rhe => {
                self.client_dir = dir.reverse();
                self.emit(None, Some(msg), out);
                return;
            }
            _ => {}
        }
        // Role: the service message says; else the direction does.
        let is_request = match msg.service_name() {
            Some(name) => {
                let req = ids::is_request(name);
                self.client_dir = if req { dir } else { dir.reverse() };
                req
            }
            None => dir == self.client_dir,
        };
        if msg.msg_type == MsgType::Opn
            && !is_request
            && msg.secure_channel_id.is_some_and(|c| c != 0)
        {
            self.channel.id = msg.secure_channel_id;
        }
        if is_request {
            let pairs = msg.msg_type == MsgType::Opn
                || (msg.msg_type == MsgType::Msg && !msg.encrypted && msg.chunk_type != b'A');
            if !pairs {
                self.emit(Some(msg), None, out);
                return;
            }
            if self.pending.len() >= MAX_PENDING {
                out.event(P, "TOO_MANY_TRANSACTIONS");
                if let Some(old) = self.pending.pop_front() {
                    self.emit(Some(old), None, out);
                }
            }
            self.pending.push_back(msg);
        } else {
            let pos = if msg.encrypted {
                if msg.msg_type == MsgType::Opn {
                    self.pending
                        .iter()
                        .position(|p| p.msg_type == MsgType::Opn && p.request_id.is_none())
                } else {
                    None
                }
            } else {
                msg.request_id.and_then(|id| {
                    self.pending
                        .iter()
                        .position(|p| p.msg_type == msg.msg_type && p.request_id == Some(id))
                })
            };
            let req = pos.and_then(|i| self.pending.remove(i));
            self.emit(req, Some(msg), out);
        }
    }

    fn emit_alone(&mut self, msg: Message, out: &mut ParseOutput) {
        if msg.direction == self.client_dir {
            self.emit(Some(msg), None, out);
        } else {
            self.emit(None, Some(msg), out);
        }
    }

    fn emit(&mut self, request: Option<Message>, response: Option<Message>, out: &mut ParseOutput) {
        if request.is_none() && response.is_none() {
            return;
        }
        // A record's client is the request's sender, else the response's peer.
        let client_dir = match (&request, &response) {
            (Some(r), _) => r.direction,
            (None, Some(r)) => r.direction.reverse(),
            (None, None) => self.client_dir,
        };
        out.tx(OpcuaTx {
            client_dir,
            request,
            response,
            security_policy: self.channel.policy_uri.clone(),
            security_mode: self.channel.security_mode,
        });
    }
}

/// Appends one chunk's body to a message under reassembly and checks the
/// limits; returns true when the message is to be dropped.
fn add_chunk(
    p: &mut Partial,
    payload: &[u8],
    size: usize,
    truncated: bool,
    limits: Limits,
    out: &mut ParseOutput,
) -> bool {
    p.msg.chunks = p.msg.chunks.saturating_add(1);
    p.msg.message_size += size as u64;
    p.body_len += payload.len() as u64;
    if !p.broken {
        let room = MAX_MESSAGE_KEPT.saturating_sub(p.body.len());
        p.body
            .extend_from_slice(payload.get(..room.min(payload.len())).unwrap_or(&[]));
    }
    // Bytes of this chunk were skipped: what follows would not line up.
    p.broken |= truncated;
    if limits.max_message != 0 && p.body_len > u64::from(limits.max_message) && !p.reported_size {
        p.reported_size = true;
        out.event(P, "MESSAGE_TOO_LARGE");
    }
    let over_negotiated = limits.max_chunks != 0 && p.msg.chunks > limits.max_chunks;
    if (over_negotiated || p.msg.chunks > MAX_CHUNKS) && !p.reported_count {
        p.reported_count = true;
        out.event(P, "TOO_MANY_CHUNKS");
    }
    p.msg.chunks > MAX_CHUNKS
}

/// One OPC UA transaction: a request and/or its response.
#[derive(Clone, Debug, PartialEq)]
pub struct OpcuaTx {
    /// The direction the client sends in (the record's orientation).
    pub client_dir: Direction,
    pub request: Option<Message>,
    pub response: Option<Message>,
    /// The channel's SecurityPolicyUri when known.
    pub security_policy: Option<Kept>,
    /// The channel's MessageSecurityMode when known or inferred.
    pub security_mode: Option<u32>,
}

impl OpcuaTx {
    fn parts(&self) -> impl Iterator<Item = &Message> {
        self.request.iter().chain(self.response.iter())
    }
    fn first(&self) -> Option<&Message> {
        self.parts().next()
    }
}

fn write_message(w: &mut JsonWriter<'_>, key: &str, m: &Message) {
    w.open_object_key(key);
    w.string("message_type", m.msg_type.name());
    w.string(
        "chunk_type",
        char::from(m.chunk_type).encode_utf8(&mut [0; 4]),
    );
    w.uint("message_size", m.message_size);
    if m.chunks > 1 {
        w.uint("chunk_count", u64::from(m.chunks));
    }
    if let Some(c) = m.secure_channel_id {
        w.uint("secure_channel_id", u64::from(c));
    }
    match &m.security {
        Security::None => {}
        Security::Asymmetric {
            policy_uri,
            sender_certificate_length,
            receiver_thumbprint_length,
        } => {
            if let Some(p) = policy_uri {
                w.bytes_as_string("security_policy_uri", &p.bytes);
            }
            if let Some(n) = sender_certificate_length {
                w.uint("sender_certificate_length", *n as u64);
            }
            if let Some(n) = receiver_thumbprint_length {
                w.uint("receiver_certificate_thumbprint_length", *n as u64);
            }
        }
        Security::Symmetric { token_id } => w.uint("token_id", u64::from(*token_id)),
    }
    if let Some(s) = m.sequence_number {
        w.uint("sequence_number", u64::from(s));
    }
    if let Some(r) = m.request_id {
        w.uint("request_id", u64::from(r));
    }
    if m.encrypted {
        w.boolean("encrypted", true);
    }
    if m.truncated {
        w.boolean("truncated", true);
    }
    match &m.content {
        Content::None => {}
        Content::Hello {
            protocol_version,
            receive_buffer_size,
            send_buffer_size,
            max_message_size,
            max_chunk_count,
            endpoint_url,
        } => {
            w.uint("protocol_version", u64::from(*protocol_version));
            w.uint("receive_buffer_size", u64::from(*receive_buffer_size));
            w.uint("send_buffer_size", u64::from(*send_buffer_size));
            w.uint("max_message_size", u64::from(*max_message_size));
            w.uint("max_chunk_count", u64::from(*max_chunk_count));
            if let Some(u) = endpoint_url {
                w.bytes_as_string("endpoint_url", &u.bytes);
            }
        }
        Content::Error { error, reason } => {
            w.uint("error", u64::from(*error));
            services::write_status(w, "status", *error);
            if let Some(r) = reason {
                w.bytes_as_string("reason", &r.bytes);
            }
        }
        Content::ReverseHello {
            server_uri,
            endpoint_url,
        } => {
            if let Some(u) = server_uri {
                w.bytes_as_string("server_uri", &u.bytes);
            }
            if let Some(u) = endpoint_url {
                w.bytes_as_string("endpoint_url", &u.bytes);
            }
        }
        Content::Service(sb) => {
            if let Some(n) = sb.name {
                w.string("service", n);
            }
            w.bytes_as_string("type_id", &sb.type_id.to_bytes());
            sb.write_eve(w);
        }
    }
    w.close_object();
}

impl Transaction for OpcuaTx {
    fn event_type(&self) -> &'static str {
        "opcua"
    }

    fn log_direction(&self) -> Direction {
        self.client_dir
    }

    fn write_eve(&self, w: &mut JsonWriter<'_>) {
        w.open_object_key("opcua");
        if let Some(m) = self.first() {
            w.string("message_type", m.msg_type.name());
        }
        if let Some(c) = self
            .parts()
            .find_map(|m| m.secure_channel_id.filter(|c| *c != 0))
        {
            w.uint("secure_channel_id", u64::from(c));
        }
        if let Some(r) = self.parts().find_map(|m| m.request_id) {
            w.uint("request_id", u64::from(r));
        }
        if let Some(s) = self.parts().find_map(Message::service_name) {
            w.string("service", s);
        }
        if let Some(m) = &self.request {
            write_message(w, "request", m);
        }
        if let Some(m) = &self.response {
            write_message(w, "response", m);
        }
        w.close_object();
    }

    fn buffer(&self, name: &str) -> Option<&[u8]> {
        match name {
            "opcua.service_name" => self
                .parts()
                .find_map(Message::service_name)
                .map(str::as_bytes),
            "opcua.security_policy" => self.security_policy.as_ref().map(|k| &k.bytes[..]),
            "opcua.node_id" => {
                let mut first: Option<&[u8]> = None;
                if let Some(s) = self.request.as_ref().and_then(Message::service) {
                    s.detail.accessed_nodes(&mut |n| {
                        first.get_or_insert(n);
                    });
                }
                first
            }
            _ => None,
        }
    }

    fn buffers(&self, name: &str, f: &mut dyn FnMut(&[u8])) {
        match name {
            "opcua.service_name" => self
                .parts()
                .filter_map(Message::service_name)
                .for_each(|n| f(n.as_bytes())),
            "opcua.node_id" => {
                if let Some(s) = self.request.as_ref().and_then(Message::service) {
                    s.detail.accessed_nodes(f);
                }
            }
            _ => {
                if let Some(b) = self.buffer(name) {
                    f(b);
                }
            }
        }
    }

    fn uints(&self, name: &str, f: &mut dyn FnMut(u64)) {
        match name {
            "opcua.msg_type" => self.parts().for_each(|m| f(u64::from(m.msg_type.code()))),
            "opcua.service" => self
                .parts()
                .filter_map(Message::service_id)
                .for_each(|id| f(u64::from(id))),
            "opcua.status_code" => {
                if let Some(c) = self.parts().filter_map(Message::status_code).next() {
                    f(u64::from(c));
                }
            }
            "opcua.security_mode" => {
                if let Some(m) = self.security_mode {
                    f(u64::from(m));
                }
            }
            "opcua.request_id" => {
                if let Some(r) = self.parts().find_map(|m| m.request_id) {
                    f(u64::from(r));
                }
            }
            "opcua.secure_channel_id" => {
                if let Some(c) = self
                    .parts()
                    .find_map(|m| m.secure_channel_id.filter(|c| *c != 0))
                {
                    f(u64::from(c));
                }
            }
            "opcua.attribute_id" => {
                if let Some(s) = self.request.as_ref().and_then(Message::service) {
                    s.detail.attribute_ids(f);
                }
            }
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests;
