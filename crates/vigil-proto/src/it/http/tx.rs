//! HTTP transactions: the header table, the `http` EVE object, the
//! `fileinfo` record and the named rule buffers.

use vigil_eve::JsonWriter;

use super::util::{self, Uri};
use crate::{Direction, Transaction};

/// One header as libhtp stores it: repeated names are merged into the
/// first occurrence as `"a, b"`.
#[derive(Clone, Debug, Default)]
pub(crate) struct Header {
    pub name: Vec<u8>,
    pub value: Vec<u8>,
    pub repeated: bool,
}

/// Headers in arrival order, looked up case-insensitively.
#[derive(Clone, Debug, Default)]
pub(crate) struct Headers {
    pub list: Vec<Header>,
    /// Name and value bytes stored.
    pub bytes: usize,
    /// Repetitions counted for the "excessive repetitions" limit.
    pub repetitions: u32,
}

impl Headers {
    /// The header called `name` (ASCII case-insensitive).
    pub fn get(&self, name: &[u8]) -> Option<&Header> {
        self.list.iter().find(|h| name_eq(&h.name, name))
    }

    /// Its value.
    pub fn value(&self, name: &[u8]) -> Option<&[u8]> {
        self.get(name).map(|h| h.value.as_slice())
    }

    /// Number of distinct headers.
    pub fn len(&self) -> usize {
        self.list.len()
    }
}

/// Header names compare as libhtp's table does: ASCII case-insensitive,
/// NUL bytes ignored.
fn name_eq(a: &[u8], b: &[u8]) -> bool {
    let mut x = a.iter().filter(|&&c| c != 0);
    let mut y = b.iter().filter(|&&c| c != 0);
    loop {
        match (x.next(), y.next()) {
            (None, None) => return true,
            (Some(p), Some(q)) if p.eq_ignore_ascii_case(q) => {}
            _ => return false,
        }
    }
}

/// What adding a header found.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum AddOutcome {
    Added,
    Merged,
    /// A second Content-Length with a different value.
    AmbiguousContentLength,
    /// Past the repetition limit: dropped.
    Excessive,
}

/// Repetitions of one name libhtp merges before dropping more.
const MAX_REPETITIONS: u32 = 64;

impl Headers {
    /// Adds a header the way libhtp does: a repeated name is appended to the
    /// first value with ", " (Content-Length excepted: kept once).
    pub fn add(&mut self, name: Vec<u8>, value: Vec<u8>) -> AddOutcome {
        let Some(idx) = self.list.iter().position(|h| name_eq(&h.name, &name)) else {
            self.bytes = self.bytes.saturating_add(name.len() + value.len());
            self.list.push(Header {
                name,
                value,
                repeated: false,
            });
            return AddOutcome::Added;
        };
        if self.list.get(idx).is_some_and(|h| h.repeated) {
            if self.repetitions >= MAX_REPETITIONS {
                return AddOutcome::Excessive;
            }
            self.repetitions += 1;
        }
        let Some(existing) = self.list.get_mut(idx) else {
            return AddOutcome::Excessive;
        };
        existing.repeated = true;
        if util::eq_nocase(&name, b"content-length") {
            let old = util::parse_content_length(&existing.value);
            let new = util::parse_content_length(&value);
            if old.is_none() || new.is_none() || old != new {
                return AddOutcome::AmbiguousContentLength;
            }
            return AddOutcome::Merged;
        }
        self.bytes = self.bytes.saturating_add(value.len() + 2);
        existing.value.extend_from_slice(b", ");
        existing.value.extend_from_slice(&value);
        AddOutcome::Merged
    }
}

/// The parsed request side of a transaction.
#[derive(Clone, Debug, Default)]
pub(crate) struct Request {
    pub line: Option<Vec<u8>>,
    pub method: Option<Vec<u8>>,
    /// The request-target as sent (EVE `url`, `http.uri.raw`).
    pub uri: Option<Vec<u8>>,
    pub protocol: Option<Vec<u8>>,
    pub parsed_uri: Uri,
    /// `http.uri`: normalized path + query + fragment.
    pub uri_normalized: Option<Vec<u8>>,
    /// From the URI authority, else the Host header.
    pub hostname: Option<Vec<u8>>,
    pub port: Option<u16>,
    /// False until the headers are processed: libhtp's port number is 0
    /// then, and Suricata logs `"http_port":0`.
    pub port_set: bool,
    pub headers: Headers,
    /// Header lines as received (`http.header.raw`), capped.
    pub raw_headers: Vec<u8>,
    /// Body after de-chunking and decompression, up to the body limit.
    pub body: Vec<u8>,
    /// Body bytes on the wire (chunk framing included).
    pub message_len: u64,
}

impl Request {
    /// The normalized URI path (file names of uploads and responses).
    pub(crate) fn parsed_uri_path(&self) -> Vec<u8> {
        self.parsed_uri
            .path
            .as_deref()
            .map(util::normalize_path)
            .unwrap_or_default()
    }
}

/// The parsed response side of a transaction.
#[derive(Clone, Debug, Default)]
pub(crate) struct Response {
    pub line: Option<Vec<u8>>,
    pub protocol: Option<Vec<u8>>,
    /// Status code text as sent.
    pub status: Option<Vec<u8>>,
    pub message: Option<Vec<u8>>,
    pub headers: Headers,
    pub raw_headers: Vec<u8>,
    pub body: Vec<u8>,
    /// EVE `length`: body bytes on the wire.
    pub message_len: u64,
}

/// A finished (or flushed) HTTP transaction.
#[derive(Clone, Debug, Default)]
pub struct HttpTx {
    pub(crate) id: u64,
    pub(crate) req: Request,
    pub(crate) res: Response,
    /// Composed buffers, built once when the transaction is logged.
    pub(crate) bufs: Buffers,
    /// Which hand-over this is (see [`TxPart`]).
    pub(crate) part: TxPart,
}

/// What an [`HttpTx`] handed to the worker stands for.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) enum TxPart {
    /// The whole transaction, whose request was never inspected alone.
    #[default]
    Whole,
    /// A copy of the complete request, for the to-server rules only.
    RequestSnapshot,
    /// The whole transaction after its request snapshot.
    WholeAfterRequest,
    /// A copy of a request still being parsed, for the to-server rules
    /// that need no more than its line and headers: `headers_done` once
    /// the headers are complete (a body follows).
    PartialRequest { headers_done: bool },
}

/// Buffers composed from several fields.
#[derive(Clone, Debug, Default)]
pub(crate) struct Buffers {
    req_header: Vec<u8>,
    res_header: Vec<u8>,
    req_header_names: Vec<u8>,
    res_header_names: Vec<u8>,
    req_start: Vec<u8>,
    res_start: Vec<u8>,
    stat_code: Vec<u8>,
}

impl HttpTx {
    /// Builds the composed buffers (called once, when logging).
    pub(crate) fn finalize(&mut self) {
        let b = &mut self.bufs;
        b.req_header = header_buffer(&self.req.headers);
        b.res_header = header_buffer(&self.res.headers);
        b.req_header_names = header_names(&self.req.headers);
        b.res_header_names = header_names(&self.res.headers);
        b.req_start = start_buffer(self.req.line.as_deref(), &self.req.raw_headers);
        b.res_start = start_buffer(self.res.line.as_deref(), &self.res.raw_headers);
        b.stat_code = self.res.status.clone().unwrap_or_default();
    }

    /// Writes the members of the `http` object (basic and extended fields,
    /// as Suricata's `http` logger with `extended: yes`).
    pub(crate) fn write_http_fields(&self, w: &mut JsonWriter<'_>) {
        let req = &self.req;
        let res = &self.res;
        if let Some(h) = &req.hostname {
            write_bytes(w, "hostname", h);
        }
        if !req.port_set {
            w.uint("http_port", 0);
        } else if let Some(p) = req.port {
            w.uint("http_port", u64::from(p));
        }
        if let Some(u) = &req.uri {
            write_bytes(w, "url", u);
        }
        // Suricata logs no header-derived field for an empty value.
        if let Some(ua) = req.headers.value(b"user-agent").filter(|v| !v.is_empty()) {
            write_bytes(w, "http_user_agent", ua);
        }
        if let Some(xff) = req
            .headers
            .value(b"x-forwarded-for")
            .filter(|v| !v.is_empty())
        {
            write_bytes(w, "xff", xff);
        }
        if let Some(ct) = res.headers.value(b"content-type") {
            // Suricata prints NUL as "\0" and cuts at the first ';'.
            let mut s = Vec::with_capacity(ct.len());
            for &c in ct {
                if c == 0 {
                    s.extend_from_slice(b"\\0");
                } else {
                    s.push(c);
                }
            }
            let end = memchr::memchr(b';', &s).unwrap_or(s.len());
            write_bytes(w, "http_content_type", s.get(..end).unwrap_or(&[]));
        }
        if let Some(cr) = res.headers.value(b"content-range") {
            w.open_object_key("content_range");
            write_bytes(w, "raw", cr);
            if let Some((start, end, size)) = parse_content_range(cr) {
                for (k, v) in [("start", start), ("end", end), ("size", size)] {
                    if let Ok(v) = u64::try_from(v) {
                        w.uint(k, v);
                    }
                }
            }
            w.close_object();
        }
        if let Some(r) = req.headers.value(b"referer").filter(|v| !v.is_empty()) {
            write_bytes(w, "http_refer", r);
        }
        if let Some(m) = &req.method {
            write_bytes(w, "http_method", m);
        }
        if let Some(p) = &req.protocol {
            write_bytes(w, "protocol", p);
        }
        if let Some(s) = &res.status {
            w.uint("status", util::strtoul_u32(s));
        }
        if let Some(l) = res.headers.value(b"location").filter(|v| !v.is_empty()) {
            write_bytes(w, "redirect", l);
        }
        w.uint("length", res.message_len);
    }
}

/// Writes `"key":"value"` for arbitrary bytes the way Suricata's
/// `jb_set_string_from_bytes` does: valid UTF-8 as is, otherwise every byte
/// above 0x7f as the four characters `\xHH`.
pub(crate) fn write_bytes(w: &mut JsonWriter<'_>, key: &str, v: &[u8]) {
    match std::str::from_utf8(v) {
        Ok(s) => w.string(key, s),
        Err(_) => {
            let mut s = String::with_capacity(v.len() * 2);
            for &b in v {
                if b < 0x80 {
                    s.push(char::from(b));
                } else {
                    s.push_str("\\x");
                    const HEX: &[u8; 16] = b"0123456789abcdef";
                    s.push(char::from(HEX[usize::from(b >> 4)]));
                    s.push(char::from(HEX[usize::from(b & 0xf)]));
                }
            }
            w.string(key, &s);
        }
    }
}

/// `bytes 0-99/1000`, `bytes */1000`, `bytes 0-99/*` as Suricata's range
/// parser reads them: (start, end, size), -1 for absent.
pub(crate) fn parse_content_range(v: &[u8]) -> Option<(i64, i64, i64)> {
    let mut i = 0;
    while v.get(i) == Some(&b' ') {
        i += 1;
    }
    while v.get(i).is_some_and(|&c| c != b' ') {
        i += 1;
    }
    while v.get(i) == Some(&b' ') {
        i += 1;
    }
    let rest = v.get(i..)?;
    let num = |s: &[u8]| -> Option<(i64, usize)> {
        let n = s.iter().take_while(|c| c.is_ascii_digit()).count();
        let text = std::str::from_utf8(s.get(..n)?).ok()?;
        Some((text.parse::<i64>().ok()?, n))
    };
    if let Some(after) = rest.strip_prefix(b"*/") {
        let (size, _) = num(after)?;
        return Some((-1, -1, size));
    }
    let (start, n) = num(rest)?;
    let rest = rest.get(n..)?.strip_prefix(b"-")?;
    let (end, n) = num(rest)?;
    let rest = rest.get(n..)?.strip_prefix(b"/")?;
    if rest.first() == Some(&b'*') {
        return Some((start, end, -1));
    }
    let (size, _) = num(rest)?;
    Some((start, end, size))
}

fn header_buffer(h: &Headers) -> Vec<u8> {
    let mut out = Vec::new();
    for hd in &h.list {
        out.extend_from_slice(&hd.name);
        out.extend_from_slice(b": ");
        out.extend_from_slice(&hd.value);
        out.extend_from_slice(b"\r\n");
    }
    out
}

fn header_names(h: &Headers) -> Vec<u8> {
    let mut out = Vec::new();
    out.extend_from_slice(b"\r\n");
    for hd in &h.list {
        out.extend_from_slice(&hd.name);
        out.extend_from_slice(b"\r\n");
    }
    out.extend_from_slice(b"\r\n");
    out
}

fn start_buffer(line: Option<&[u8]>, raw_headers: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    if let Some(l) = line {
        out.extend_from_slice(l);
        out.extend_from_slice(b"\r\n");
    }
    out.extend_from_slice(raw_headers);
    out
}

impl Transaction for HttpTx {
    fn event_type(&self) -> &'static str {
        "http"
    }

    fn tx_id(&self) -> Option<u64> {
        Some(self.id)
    }

    fn message_dir(&self) -> Option<Direction> {
        self.inspect_only().then_some(Direction::ToServer)
    }

    fn inspect_only(&self) -> bool {
        matches!(
            self.part,
            TxPart::RequestSnapshot | TxPart::PartialRequest { .. }
        )
    }

    fn partial_request(&self) -> Option<u8> {
        match self.part {
            TxPart::PartialRequest { headers_done } => Some(1 + u8::from(headers_done)),
            _ => None,
        }
    }

    fn request_side_inspected(&self) -> bool {
        self.part == TxPart::WholeAfterRequest
    }

    fn write_eve(&self, w: &mut JsonWriter<'_>) {
        w.open_object_key("http");
        self.write_http_fields(w);
        w.close_object();
    }

    fn buffers(&self, name: &str, f: &mut dyn FnMut(&[u8])) {
        match name {
            "http.request_header" => Self::each_header(&self.req.headers, f),
            "http.response_header" => Self::each_header(&self.res.headers, f),
            _ => {
                if let Some(b) = self.buffer(name) {
                    f(b);
                }
            }
        }
    }

    /// The buffers Suricata has in both directions give the response's
    /// content to the to-client side.
    fn buffer_dir(&self, name: &str, dir: Direction) -> Option<&[u8]> {
        if dir == Direction::ToClient {
            let res = &self.res;
            let v: &[u8] = match name {
                "http.header" | "http_header" => &self.bufs.res_header,
                "http.header.raw" | "http_raw_header" => &res.raw_headers,
                "http.header_names" => &self.bufs.res_header_names,
                "http.cookie" | "http_cookie" => res.headers.value(b"set-cookie")?,
                "http.content_type" => res.headers.value(b"content-type")?,
                "http.content_len" => res.headers.value(b"content-length")?,
                "http.connection" => res.headers.value(b"connection")?,
                "http.start" | "http_start" => &self.bufs.res_start,
                "http.protocol" => res.protocol.as_deref()?,
                _ => return self.buffer(name),
            };
            return Some(v);
        }
        if matches!(name, "file.data" | "file_data") {
            return Some(&self.req.body);
        }
        self.buffer(name)
    }

    /// Rule buffers. Names Suricata uses in both directions give the request
    /// side; append `:toclient` for the response side (e.g.
    /// `http.header:toclient`). `file.data` is the response body
    /// (`file.data:toserver` the request body).
    fn buffer(&self, name: &str) -> Option<&[u8]> {
        let req = &self.req;
        let res = &self.res;
        let b = &self.bufs;
        let v: &[u8] = match name {
            "http.uri" | "http_uri" => req.uri_normalized.as_deref()?,
            "http.uri.raw" | "http_raw_uri" => req.uri.as_deref()?,
            "http.method" | "http_method" => req.method.as_deref()?,
            "http.protocol" => req.protocol.as_deref()?,
            "http.protocol:toclient" => res.protocol.as_deref()?,
            "http.host" | "http_host" => req.hostname.as_deref()?,
            "http.host.raw" | "http_raw_host" => match &req.parsed_uri.hostname {
                Some(h) => h,
                None => req.headers.value(b"host")?,
            },
            "http.user_agent" | "http_user_agent" => req.headers.value(b"user-agent")?,
            "http.accept" => req.headers.value(b"accept")?,
            "http.accept_enc" => req.headers.value(b"accept-encoding")?,
            "http.accept_lang" => req.headers.value(b"accept-language")?,
            "http.connection" => req.headers.value(b"connection")?,
            "http.connection:toclient" => res.headers.value(b"connection")?,
            "http.content_len" => req.headers.value(b"content-length")?,
            "http.content_len:toclient" => res.headers.value(b"content-length")?,
            "http.content_type" => req.headers.value(b"content-type")?,
            "http.content_type:toclient" => res.headers.value(b"content-type")?,
            "http.cookie" | "http_cookie" => req.headers.value(b"cookie")?,
            "http.cookie:toclient" | "http_cookie:toclient" => res.headers.value(b"set-cookie")?,
            "http.header" | "http_header" => &b.req_header,
            "http.header:toclient" | "http_header:toclient" => &b.res_header,
            "http.header.raw" | "http_raw_header" => &req.raw_headers,
            "http.header.raw:toclient" | "http_raw_header:toclient" => &res.raw_headers,
            "http.header_names" => &b.req_header_names,
            "http.header_names:toclient" => &b.res_header_names,
            "http.referer" => req.headers.value(b"referer")?,
            "http.request_line" => req.line.as_deref()?,
            "http.response_line" => res.line.as_deref()?,
            "http.request_body" | "http_client_body" | "file.data:toserver" => &req.body,
            "http.response_body" | "http_server_body" | "file.data" | "file_data" => &res.body,
            "http.server" => res.headers.value(b"server")?,
            "http.location" => res.headers.value(b"location")?,
            "http.stat_code" | "http_stat_code" => res.status.as_deref()?,
            "http.stat_msg" | "http_stat_msg" => res.message.as_deref()?,
            "http.start" | "http_start" => &b.req_start,
            "http.start:toclient" => &b.res_start,
            _ => return None,
        };
        Some(v)
    }
}

impl HttpTx {
    /// Each header as `Name: value` (`http.request_header`,
    /// `http.response_header`: one buffer per header).
    fn each_header(h: &Headers, f: &mut dyn FnMut(&[u8])) {
        let mut line = Vec::new();
        for hd in &h.list {
            line.clear();
            line.extend_from_slice(&hd.name);
            line.extend_from_slice(b": ");
            line.extend_from_slice(&hd.value);
            f(&line);
        }
    }

    /// `urilen`: length of the normalized URI (`raw` for the raw one).
    pub fn urilen(&self, raw: bool) -> Option<usize> {
        if raw {
            self.req.uri.as_ref().map(Vec::len)
        } else {
            self.req.uri_normalized.as_ref().map(Vec::len)
        }
    }
}

/// Final state of a file carried by an HTTP body.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum FileState {
    Closed,
    Truncated,
}

/// A `fileinfo` record: one body (request upload or response) of a
/// transaction, logged when the file ends, with the transaction's `http`
/// object as it stands then.
pub struct FileInfo {
    pub(crate) tx_id: u64,
    pub(crate) direction: Direction,
    pub(crate) http: HttpTx,
    pub(crate) filename: Vec<u8>,
    pub(crate) gaps: bool,
    pub(crate) state: FileState,
    pub(crate) size: u64,
    /// Content-Range of a partial response, when parsed.
    pub(crate) range: Option<(u64, u64)>,
}

impl Transaction for FileInfo {
    fn event_type(&self) -> &'static str {
        "fileinfo"
    }

    fn log_direction(&self) -> Direction {
        self.direction
    }

    fn logs_tx_id(&self) -> bool {
        false
    }

    fn tx_id(&self) -> Option<u64> {
        Some(self.tx_id)
    }

    fn write_eve(&self, w: &mut JsonWriter<'_>) {
        w.open_object_key("http");
        self.http.write_http_fields(w);
        w.close_object();
        w.string("app_proto", "http");
        w.open_object_key("fileinfo");
        write_bytes(w, "filename", &self.filename);
        w.boolean("gaps", self.gaps);
        w.string(
            "state",
            match self.state {
                FileState::Closed => "CLOSED",
                FileState::Truncated => "TRUNCATED",
            },
        );
        w.boolean("stored", false);
        w.uint("size", self.size);
        if let Some((start, end)) = self.range
            && end > 0
        {
            w.uint("start", start);
            w.uint("end", end);
        }
        w.uint("tx_id", self.tx_id);
        w.close_object();
    }
}
