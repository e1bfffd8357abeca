//! HTTP/2 transactions (one per stream, one per stream-0 frame): the EVE
//! `http` object as Suricata 7's HTTP/2 logger writes it, the `fileinfo`
//! record of a stream's body and the rule buffers.

use std::sync::Arc;

use vigil_eve::JsonWriter;

use super::hpack::{Bytes, Field};
use crate::it::http::write_bytes;
use crate::{Direction, Transaction};

/// Frame types.
pub(crate) const DATA: u8 = 0;
pub(crate) const HEADERS: u8 = 1;
pub(crate) const PRIORITY: u8 = 2;
pub(crate) const RST_STREAM: u8 = 3;
pub(crate) const SETTINGS: u8 = 4;
pub(crate) const PUSH_PROMISE: u8 = 5;
pub(crate) const GOAWAY: u8 = 7;
pub(crate) const WINDOW_UPDATE: u8 = 8;
pub(crate) const CONTINUATION: u8 = 9;

/// Frame type names as rules write them (`http2.frametype`).
pub(crate) const FRAME_TYPES: [&str; 10] = [
    "DATA",
    "HEADERS",
    "PRIORITY",
    "RST_STREAM",
    "SETTINGS",
    "PUSH_PROMISE",
    "PING",
    "GOAWAY",
    "WINDOW_UPDATE",
    "CONTINUATION",
];

/// Error codes (RFC 7540 section 7) as Suricata's enum names them.
const ERROR_CODES: [&str; 14] = [
    "NoError",
    "ProtocolError",
    "InternalError",
    "FlowControlError",
    "SettingsTimeout",
    "StreamClosed",
    "FrameSizeError",
    "RefusedStream",
    "Cancel",
    "CompressionError",
    "ConnectError",
    "EnhanceYourCalm",
    "InadequateSecurity",
    "Http11Required",
];

/// Error code names as rules write them (`http2.errorcode`).
pub(crate) const ERROR_CODE_RULE_NAMES: [&str; 14] = [
    "NO_ERROR",
    "PROTOCOL_ERROR",
    "INTERNAL_ERROR",
    "FLOW_CONTROL_ERROR",
    "SETTINGS_TIMEOUT",
    "STREAM_CLOSED",
    "FRAME_SIZE_ERROR",
    "REFUSED_STREAM",
    "CANCEL",
    "COMPRESSION_ERROR",
    "CONNECT_ERROR",
    "ENHANCE_YOUR_CALM",
    "INADEQUATE_SECURITY",
    "HTTP_1_1_REQUIRED",
];

/// Settings Suricata 7.0.10 knows, by identifier: its EVE name and the
/// rule name. A SETTINGS frame's list stops at the first other identifier
/// (RFC 8441's 8 and RFC 9218's 9 included, as measured).
pub(crate) const SETTINGS_IDS: [(u16, &str, &str); 6] = [
    (1, "SETTINGSHEADERTABLESIZE", "SETTINGS_HEADER_TABLE_SIZE"),
    (2, "SETTINGSENABLEPUSH", "SETTINGS_ENABLE_PUSH"),
    (
        3,
        "SETTINGSMAXCONCURRENTSTREAMS",
        "SETTINGS_MAX_CONCURRENT_STREAMS",
    ),
    (
        4,
        "SETTINGSINITIALWINDOWSIZE",
        "SETTINGS_INITIAL_WINDOW_SIZE",
    ),
    (5, "SETTINGSMAXFRAMESIZE", "SETTINGS_MAX_FRAME_SIZE"),
    (
        6,
        "SETTINGSMAXHEADERLISTSIZE",
        "SETTINGS_MAX_HEADER_LIST_SIZE",
    ),
];

/// What a frame kept in a transaction carries.
#[derive(Clone, Debug)]
pub(crate) enum FrameData {
    /// HEADERS (its priority weight when flagged), PUSH_PROMISE and
    /// CONTINUATION: the decoded header fields.
    Headers {
        priority: Option<u8>,
        fields: Vec<Field>,
    },
    Settings(Vec<(u16, u32)>),
    GoAway(u32),
    RstStream(u32),
    Priority(u8),
    WindowUpdate(u32),
}

/// A frame of a transaction.
#[derive(Clone, Debug)]
pub(crate) struct Frame {
    pub data: FrameData,
}

/// One side of a transaction.
#[derive(Clone, Debug, Default)]
pub(crate) struct Side {
    pub frames: Vec<Frame>,
    /// Frame types seen (bit per type), frames kept or not.
    pub types: u16,
    /// Body (DATA, decoded), up to the body limit: `file.data`.
    pub body: Vec<u8>,
}

impl Side {
    fn header_fields(&self) -> impl Iterator<Item = &[Field]> {
        self.frames.iter().filter_map(|f| match &f.data {
            FrameData::Headers { fields, .. } => Some(fields.as_slice()),
            _ => None,
        })
    }

    /// Every decoded header, in order.
    fn headers(&self) -> impl Iterator<Item = (&Bytes, &Bytes)> {
        self.header_fields().flatten().filter_map(|f| match f {
            Field::Header(h) => Some((&h.name, &h.value)),
            _ => None,
        })
    }

    /// The first value of header `name`.
    fn first(&self, name: &[u8]) -> Option<&[u8]> {
        self.headers()
            .find(|(n, _)| n.as_ref() == name)
            .map(|(_, v)| v.as_ref())
    }

    /// Every value of header `name` joined with ", ".
    fn joined(&self, name: &[u8]) -> Option<Vec<u8>> {
        let mut out: Option<Vec<u8>> = None;
        for (_, v) in self.headers().filter(|(n, _)| n.as_ref() == name) {
            match out.as_mut() {
                None => out = Some(v.to_vec()),
                Some(o) => {
                    o.extend_from_slice(b", ");
                    o.extend_from_slice(v);
                }
            }
        }
        out
    }

    /// Whether a frame of type `t` was seen.
    pub(crate) fn has_type(&self, t: u8) -> bool {
        t < 16 && self.types & (1 << t) != 0
    }
}

/// Rule buffers composed once, when the transaction is handed over.
#[derive(Clone, Debug, Default)]
pub(crate) struct Buffers {
    uri: Option<Vec<u8>>,
    method: Option<Vec<u8>>,
    authority: Option<Vec<u8>>,
    host: Option<Vec<u8>>,
    user_agent: Option<Vec<u8>>,
    status: Option<Vec<u8>>,
    cookie: Option<Vec<u8>>,
    set_cookie: Option<Vec<u8>>,
    header: [Vec<u8>; 2],
    header_raw: [Vec<u8>; 2],
    header_names: [Vec<u8>; 2],
}

/// An HTTP/2 transaction: a stream, or one frame of stream 0.
#[derive(Clone, Debug, Default)]
pub struct Http2Tx {
    pub(crate) id: u64,
    pub(crate) stream_id: u32,
    /// To-server and to-client sides.
    pub(crate) sides: [Side; 2],
    pub(crate) bufs: Buffers,
    /// A copy of a stream whose request is under way (headers sent, data
    /// or its end coming), handed over for the to-server rules on its
    /// headers only (Suricata inspects HTTP/2 request buffers from the
    /// "data client" state on).
    pub(crate) partial: bool,
}

fn side_idx(dir: Direction) -> usize {
    dir.index()
}

impl Http2Tx {
    pub(crate) fn side(&self, dir: Direction) -> &Side {
        &self.sides[side_idx(dir)]
    }

    /// Builds the rule buffers.
    pub(crate) fn finalize(&mut self) {
        let ts = &self.sides[0];
        let tc = &self.sides[1];
        let b = &mut self.bufs;
        b.uri = ts.first(b":path").map(<[u8]>::to_vec);
        b.method = ts.first(b":method").map(<[u8]>::to_vec);
        b.authority = ts.joined(b":authority");
        b.host = b.authority.as_deref().map(normalize_host);
        b.user_agent = ts.joined(b"user-agent");
        b.status = tc.first(b":status").map(<[u8]>::to_vec);
        b.cookie = ts.joined(b"cookie");
        b.set_cookie = tc.joined(b"set-cookie");
        for (i, side) in self.sides.iter().enumerate() {
            let cookie: &[u8] = if i == 0 { b"cookie" } else { b"set-cookie" };
            let mut header = Vec::new();
            let mut raw = Vec::new();
            let mut names = b"\r\n".to_vec();
            for (n, v) in side.headers() {
                if !n.eq_ignore_ascii_case(cookie) {
                    header.extend_from_slice(n);
                    header.extend_from_slice(b": ");
                    header.extend_from_slice(trim_spaces(v));
                    header.extend_from_slice(b"\r\n");
                }
                raw.extend_from_slice(n);
                raw.extend_from_slice(b": ");
                raw.extend_from_slice(v);
                raw.extend_from_slice(b"\r\n");
                names.extend_from_slice(n);
                names.extend_from_slice(b"\r\n");
            }
            if names.len() > 2 {
                names.extend_from_slice(b"\r\n");
            } else {
                names.clear();
            }
            b.header[i] = header;
            b.header_raw[i] = raw;
            b.header_names[i] = names;
        }
    }

    /// Whether Suricata's logger writes a record for it: headers, settings,
    /// an error code or a priority in either direction.
    pub(crate) fn loggable(&self) -> bool {
        self.sides.iter().any(|s| {
            s.frames
                .iter()
                .any(|f| !matches!(f.data, FrameData::WindowUpdate(_)))
        })
    }

    /// Writes the members of the `http` object.
    pub(crate) fn write_http_fields(&self, w: &mut JsonWriter<'_>) {
        w.string("version", "2");
        let mut common = Common::default();
        for (i, key) in ["request_headers", "response_headers"].iter().enumerate() {
            let side = &self.sides[i];
            if side.header_fields().next().is_none() {
                continue;
            }
            w.open_array_key(key);
            for fields in side.header_fields() {
                write_fields(w, fields, &mut common);
            }
            w.close_array();
        }
        if let Some(v) = common.method {
            write_bytes(w, "http_method", v);
        }
        if let Some(v) = common.path {
            write_bytes(w, "url", v);
        }
        if let Some(v) = common.host {
            write_bytes(w, "hostname", v);
        }
        if let Some(v) = common.user_agent {
            write_bytes(w, "http_user_agent", v);
        }
        if let Some(n) = common.content_length.and_then(parse_u64) {
            w.uint("length", n);
        }
        if let Some(n) = common.status.and_then(parse_u64) {
            w.uint("status", n);
        }
        w.open_object_key("http2");
        w.uint("stream_id", u64::from(self.stream_id));
        for (i, key) in ["request", "response"].iter().enumerate() {
            w.open_object_key(key);
            write_frames(w, &self.sides[i].frames);
            w.close_object();
        }
        w.close_object();
    }
}

/// Values the logger lifts from the headers (the last one seen wins).
#[derive(Default)]
struct Common<'a> {
    method: Option<&'a [u8]>,
    path: Option<&'a [u8]>,
    host: Option<&'a [u8]>,
    user_agent: Option<&'a [u8]>,
    status: Option<&'a [u8]>,
    content_length: Option<&'a [u8]>,
}

fn parse_u64(v: &[u8]) -> Option<u64> {
    std::str::from_utf8(v).ok()?.parse().ok()
}

/// The fields of one header frame. A name shared with the dynamic table
/// is written once per frame (Suricata's guard against a block repeating
/// one table entry).
fn write_fields<'a>(w: &mut JsonWriter<'_>, fields: &'a [Field], common: &mut Common<'a>) {
    let mut seen: Vec<*const u8> = Vec::new();
    for f in fields {
        match f {
            Field::Header(h) => {
                if h.shared {
                    let p = Arc::as_ptr(&h.name) as *const u8;
                    if seen.contains(&p) {
                        continue;
                    }
                    seen.push(p);
                }
                w.open_object();
                write_bytes(w, "name", &h.name);
                write_bytes(w, "value", &h.value);
                w.close_object();
                if let Ok(name) = std::str::from_utf8(&h.name) {
                    let v: &'a [u8] = &h.value;
                    match name.to_lowercase().as_str() {
                        ":method" => common.method = Some(v),
                        ":path" => common.path = Some(v),
                        ":status" => common.status = Some(v),
                        "user-agent" => common.user_agent = Some(v),
                        "host" => common.host = Some(v),
                        "content-length" => common.content_length = Some(v),
                        _ => {}
                    }
                }
            }
            Field::SizeUpdate(n) => {
                w.open_object();
                w.uint("table_size_update", *n);
                w.close_object();
            }
            Field::Error(e) => {
                w.open_object();
                w.string("error", e.name());
                w.close_object();
            }
        }
    }
}

/// An error code: GOAWAY's in capitals, RST_STREAM's as the enum names it
/// (Suricata formats the two differently), a number when unknown.
fn error_code_name(code: u32, goaway: bool) -> String {
    match ERROR_CODES.get(code as usize) {
        Some(n) if goaway => n.to_uppercase(),
        Some(n) => (*n).to_string(),
        None => code.to_string(),
    }
}

/// `settings`, `error_code`, `priority` (and `has_multiple`) of one side.
fn write_frames(w: &mut JsonWriter<'_>, frames: &[Frame]) {
    let mut settings = frames
        .iter()
        .filter_map(|f| match &f.data {
            FrameData::Settings(s) => Some(s),
            _ => None,
        })
        .peekable();
    if settings.peek().is_some() {
        w.open_array_key("settings");
        for s in settings {
            for (id, value) in s {
                let name = SETTINGS_IDS
                    .iter()
                    .find(|(i, _, _)| i == id)
                    .map_or("", |(_, n, _)| n);
                w.open_object();
                w.string("settings_id", name);
                w.uint("settings_value", u64::from(*value));
                w.close_object();
            }
        }
        w.close_array();
    }
    let (mut error, mut priority, mut multiple) = (false, false, false);
    for f in frames {
        let (is_error, text, weight) = match &f.data {
            FrameData::GoAway(c) => (true, Some(error_code_name(*c, true)), None),
            FrameData::RstStream(c) => (true, Some(error_code_name(*c, false)), None),
            FrameData::Priority(p) => (false, None, Some(*p)),
            FrameData::Headers {
                priority: Some(p), ..
            } => (false, None, Some(*p)),
            _ => continue,
        };
        let (done, kind) = if is_error {
            (&mut error, "error_code")
        } else {
            (&mut priority, "priority")
        };
        if !*done {
            *done = true;
            match (text, weight) {
                (Some(t), _) => w.string("error_code", &t),
                (None, Some(p)) => w.uint("priority", u64::from(p)),
                _ => {}
            }
        } else if !multiple {
            multiple = true;
            w.string("has_multiple", kind);
        }
    }
}

/// `http.host` for HTTP/2: the authority lowercased, up to its first ':'.
fn normalize_host(v: &[u8]) -> Vec<u8> {
    let end = memchr::memchr(b':', v).unwrap_or(v.len());
    v.get(..end).unwrap_or(&[]).to_ascii_lowercase()
}

fn trim_spaces(v: &[u8]) -> &[u8] {
    let start = v
        .iter()
        .position(|&c| c != b' ' && c != b'\t')
        .unwrap_or(v.len());
    let end = v
        .iter()
        .rposition(|&c| c != b' ' && c != b'\t')
        .map_or(start, |p| p + 1);
    v.get(start..end).unwrap_or(&[])
}

impl Transaction for Http2Tx {
    fn event_type(&self) -> &'static str {
        "http"
    }

    fn output_type(&self) -> &'static str {
        "http2"
    }

    fn message_dir(&self) -> Option<Direction> {
        self.partial.then_some(Direction::ToServer)
    }

    fn inspect_only(&self) -> bool {
        self.partial
    }

    fn partial_request(&self) -> Option<u8> {
        self.partial.then_some(2)
    }

    fn tx_id(&self) -> Option<u64> {
        Some(self.id)
    }

    /// Suricata does not log a transaction without headers, settings, error
    /// code or priority (a PING, a WINDOW_UPDATE); rules still see it.
    fn has_record(&self) -> bool {
        !self.partial && self.loggable()
    }

    fn as_any(&self) -> Option<&dyn std::any::Any> {
        Some(self)
    }

    fn write_eve(&self, w: &mut JsonWriter<'_>) {
        w.open_object_key("http");
        self.write_http_fields(w);
        w.close_object();
    }

    fn buffers(&self, name: &str, f: &mut dyn FnMut(&[u8])) {
        let each_header = |side: &Side, f: &mut dyn FnMut(&[u8])| {
            let mut line = Vec::new();
            for (n, v) in side.headers() {
                line.clear();
                line.extend_from_slice(n);
                line.extend_from_slice(b": ");
                line.extend_from_slice(v);
                f(&line);
            }
        };
        match name {
            // Suricata 7.0.10 matches no `http.response_header` on HTTP/2.
            "http.request_header" => each_header(&self.sides[0], f),
            "http2.header_name" => {
                for (n, _) in self.sides[0].headers() {
                    f(n);
                }
            }
            "http2.header_name:toclient" => {
                for (n, _) in self.sides[1].headers() {
                    f(n);
                }
            }
            _ => {
                if let Some(b) = self.buffer(name) {
                    f(b);
                }
            }
        }
    }

    fn buffer_dir(&self, name: &str, dir: Direction) -> Option<&[u8]> {
        if dir == Direction::ToClient {
            let b = &self.bufs;
            let v: &[u8] = match name {
                "http.header" | "http_header" => &b.header[1],
                "http.header.raw" | "http_raw_header" => &b.header_raw[1],
                "http.header_names" => &b.header_names[1],
                "http.cookie" | "http_cookie" => b.set_cookie.as_deref()?,
                _ => return self.buffer(name),
            };
            return Some(v);
        }
        if matches!(name, "file.data" | "file_data") {
            return Some(&self.sides[0].body);
        }
        self.buffer(name)
    }

    fn buffer(&self, name: &str) -> Option<&[u8]> {
        let b = &self.bufs;
        let v: &[u8] = match name {
            "http.uri" | "http_uri" | "http.uri.raw" | "http_raw_uri" => b.uri.as_deref()?,
            "http.method" | "http_method" => b.method.as_deref()?,
            "http.host" | "http_host" => b.host.as_deref()?,
            "http.host.raw" | "http_raw_host" => b.authority.as_deref()?,
            "http.user_agent" | "http_user_agent" => b.user_agent.as_deref()?,
            "http.stat_code" | "http_stat_code" => b.status.as_deref()?,
            "http.cookie" | "http_cookie" => b.cookie.as_deref()?,
            "http.cookie:toclient" | "http_cookie:toclient" => b.set_cookie.as_deref()?,
            "http.header" | "http_header" => non_empty(&b.header[0])?,
            "http.header:toclient" | "http_header:toclient" => non_empty(&b.header[1])?,
            // Suricata 7.0.10 matches `http.header.raw` on HTTP/2 only to
            // the client.
            "http.header.raw:toclient" | "http_raw_header:toclient" => non_empty(&b.header_raw[1])?,
            "http.header_names" => non_empty(&b.header_names[0])?,
            "http.header_names:toclient" => non_empty(&b.header_names[1])?,
            "file.data" | "file_data" => &self.sides[1].body,
            "file.data:toserver" => &self.sides[0].body,
            _ => return None,
        };
        Some(v)
    }
}

fn non_empty(v: &[u8]) -> Option<&[u8]> {
    (!v.is_empty()).then_some(v)
}

/// Final state of a stream's body as a file.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum FileState {
    Closed,
    Truncated,
}

/// A `fileinfo` record: one direction's body of a stream (Suricata opens
/// one file per direction at the first DATA frame, without a name), with
/// the transaction's `http` object as it stands when the file ends.
pub struct Http2FileInfo {
    pub(crate) tx: Http2Tx,
    pub(crate) direction: Direction,
    pub(crate) state: FileState,
    pub(crate) size: u64,
}

impl Transaction for Http2FileInfo {
    fn event_type(&self) -> &'static str {
        "fileinfo"
    }

    fn log_direction(&self) -> Direction {
        self.direction
    }

    fn logs_tx_id(&self) -> bool {
        false
    }

    fn inspected(&self) -> bool {
        false
    }

    fn tx_id(&self) -> Option<u64> {
        Some(self.tx.id)
    }

    fn write_eve(&self, w: &mut JsonWriter<'_>) {
        w.open_object_key("http");
        self.tx.write_http_fields(w);
        w.close_object();
        w.string("app_proto", "http2");
        w.open_object_key("fileinfo");
        w.boolean("gaps", false);
        w.string(
            "state",
            match self.state {
                FileState::Closed => "CLOSED",
                FileState::Truncated => "TRUNCATED",
            },
        );
        w.boolean("stored", false);
        w.uint("size", self.size);
        w.uint("tx_id", self.tx.id);
        w.close_object();
    }
}
