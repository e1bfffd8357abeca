//! The MIME decoder behind SMTP's `email` object and attachments, as
//! Suricata 7.0's `util-decode-mime.c` decodes a message line by line:
//! header fields (folded, the value cut at `header-value-depth`), nested
//! multipart bodies (boundaries from `Content-Type`), encapsulated
//! `message/*` entities, base64 (RFC 2045: stray characters skipped) and
//! quoted-printable bodies, attachment names (`Content-Disposition`
//! `filename`, else `Content-Type` `name`; RFC 2231 sections joined), URLs
//! found in text parts, and the body MD5. Decoded body data is handed out in
//! chunks of at most [`DATA_CHUNK_SIZE`] bytes ([`Chunk`]), as Suricata's
//! data-chunk callback gets it.
//!
//! Bounds: [`MAX_ENTITIES`] entities, [`MAX_FIELDS`] header fields per
//! entity, [`MAX_URLS`] URLs per entity; past them the entity or value is
//! not recorded (the decoding goes on).

use md5::{Digest as _, Md5};

/// Decoded body data is passed on in chunks of at most this size.
pub const DATA_CHUNK_SIZE: usize = 3072;
const B64_BLOCK: usize = 4;
const ASCII_BLOCK: usize = 3;
const MAX_LINE_LEN: usize = 998;
const MAX_ENC_LINE_LEN: usize = 76;
const MAX_HEADER_NAME: usize = 75;
const BOUNDARY_BUF: usize = 256;
/// Longest attachment name or boundary token kept.
pub const MAX_TOKEN_LEN: usize = 255;
/// Entities (message, parts, encapsulated messages) kept per message.
pub const MAX_ENTITIES: usize = 256;
/// Header fields kept per entity.
pub const MAX_FIELDS: usize = 256;
/// URLs kept per entity.
pub const MAX_URLS: usize = 256;

/// Entity content flags (Suricata's `CTNT_IS_*`).
pub mod ctnt {
    pub const MSG: u32 = 1;
    pub const ENV: u32 = 2;
    pub const ENCAP: u32 = 4;
    pub const BODYPART: u32 = 8;
    pub const MULTIPART: u32 = 16;
    pub const ATTACHMENT: u32 = 32;
    pub const BASE64: u32 = 64;
    pub const QP: u32 = 128;
    pub const TEXT: u32 = 256;
    pub const HTML: u32 = 512;
}

/// Anomaly flags (Suricata's `ANOM_*`).
pub mod anom {
    pub const INVALID_BASE64: u32 = 1;
    pub const INVALID_QP: u32 = 2;
    pub const LONG_LINE: u32 = 4;
    pub const LONG_ENC_LINE: u32 = 8;
    pub const LONG_HEADER_NAME: u32 = 16;
    pub const LONG_HEADER_VALUE: u32 = 32;
    pub const MALFORMED_MSG: u32 = 64;
    pub const LONG_BOUNDARY: u32 = 128;
    pub const LONG_FILENAME: u32 = 256;
}

/// URL flags (Suricata's `URL_IS_*`).
pub mod url_flags {
    pub const IP4: u32 = 1;
    pub const IP6: u32 = 2;
    pub const EXE: u32 = 4;
}

/// Parser state (Suricata's state flags; the names are the `email.status`
/// strings).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum MimeState {
    None,
    HeaderReady,
    HeaderStarted,
    HeaderDone,
    BodyStarted,
    BodyDone,
    BodyEndBound,
    ParseDone,
    ParseError,
}

impl MimeState {
    /// The name Suricata logs as `email.status`.
    pub fn name(self) -> &'static str {
        match self {
            MimeState::None => "NONE",
            MimeState::HeaderReady => "HEADER_READY",
            MimeState::HeaderStarted => "HEADER_STARTED",
            MimeState::HeaderDone => "HEADER_DONE",
            MimeState::BodyStarted => "BODY_STARTED",
            MimeState::BodyDone => "BODY_DONE",
            MimeState::BodyEndBound => "BODY_END_BOUND",
            MimeState::ParseDone => "PARSE_DONE",
            MimeState::ParseError => "PARSE_ERROR",
        }
    }
}

/// Why a line could not be decoded (Suricata's `MIME_DEC_ERR_*`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MimeError {
    /// The parser is in its error state already.
    State,
    /// Malformed input.
    Parse,
    /// Inconsistent structure.
    Data,
}

/// One URL found in a text part.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Url {
    /// Lowercased, without its scheme unless configured.
    pub url: Vec<u8>,
    /// [`url_flags`].
    pub flags: u32,
}

/// One MIME entity: the message, a body part, or an encapsulated message.
#[derive(Clone, Debug, Default)]
pub struct Entity {
    /// Header fields in order of appearance (names lowercased).
    pub fields: Vec<(Vec<u8>, Vec<u8>)>,
    /// URLs in order of discovery (Suricata lists them newest first).
    pub urls: Vec<Url>,
    /// Attachment name.
    pub filename: Option<Vec<u8>>,
    /// [`ctnt`] flags.
    pub ctnt: u32,
    /// [`anom`] flags.
    pub anomalies: u32,
    /// Child entities, in order.
    pub children: Vec<usize>,
}

impl Entity {
    /// The value of the last field named `name` (lowercase), as Suricata's
    /// `MimeDecFindField` finds it.
    pub fn field(&self, name: &[u8]) -> Option<&[u8]> {
        self.fields
            .iter()
            .rev()
            .find(|(n, _)| n.as_slice() == name)
            .map(|(_, v)| v.as_slice())
    }
}

/// Decoder settings (`app-layer.protocols.smtp.mime`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MimeConfig {
    pub decode_base64: bool,
    pub decode_quoted_printable: bool,
    pub header_value_depth: usize,
    pub extract_urls: bool,
    /// Schemes with `://` appended (`http://`).
    pub extract_urls_schemes: Vec<Vec<u8>>,
    pub log_url_scheme: bool,
    pub body_md5: bool,
}

impl Default for MimeConfig {
    fn default() -> Self {
        MimeConfig {
            decode_base64: true,
            decode_quoted_printable: true,
            header_value_depth: 2000,
            extract_urls: true,
            extract_urls_schemes: vec![b"http://".to_vec()],
            log_url_scheme: false,
            body_md5: false,
        }
    }
}

/// Decoded body data of one entity, as the data-chunk callback sees it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Chunk {
    /// The entity is an attachment, with this name.
    pub attachment: Option<Vec<u8>>,
    /// First chunk of the entity's body.
    pub begin: bool,
    /// Last chunk of the entity's body.
    pub end: bool,
    pub data: Vec<u8>,
}

struct StackNode {
    entity: usize,
    bdef: Option<Vec<u8>>,
    is_encap: bool,
}

/// The decoder of one message.
pub struct MimeParser {
    config: MimeConfig,
    entities: Vec<Entity>,
    stack: Vec<StackNode>,
    state: MimeState,
    hname: Option<Vec<u8>>,
    hvalue: Option<Vec<u8>>,
    hvlen: usize,
    body_begin: bool,
    body_end: bool,
    found_child: bool,
    bvremain: [u8; B64_BLOCK],
    bvr_len: usize,
    chunk: Vec<u8>,
    /// Length of the current line's end (0: a line fragment).
    delim_len: usize,
    /// The end of the last raw attachment line, written only if another
    /// line of the same body follows (Suricata 7.0.10 leaves the line end
    /// before a boundary out of the file).
    pending_eol: Vec<u8>,
    md5: Option<Md5>,
    md5_result: Option<[u8; 16]>,
    /// Chunks produced, for the caller to take.
    chunks: Vec<Chunk>,
}

/// Case-insensitive search (Suricata's `BasicSearchNocase`).
pub fn find_nocase(hay: &[u8], needle: &[u8]) -> Option<usize> {
    if needle.is_empty() || needle.len() > hay.len() {
        return None;
    }
    (0..=hay.len() - needle.len()).find(|&i| {
        hay.get(i..i + needle.len())
            .is_some_and(|w| w.eq_ignore_ascii_case(needle))
    })
}

/// Suricata's `GetToken`: skips leading delimiters, returns the token's
/// start and length, and where scanning continues. Stops at NUL.
fn get_token(buf: &[u8], delims: &[u8]) -> Option<(usize, usize, usize)> {
    let mut tok: Option<usize> = None;
    let mut i = 0;
    while i < buf.len() {
        let Some(&c) = buf.get(i) else { break };
        if c == 0 {
            break;
        }
        if delims.contains(&c) {
            if let Some(t) = tok {
                return Some((t, i - t, i + 1));
            }
        } else if tok.is_none() {
            tok = Some(i);
        }
        i += 1;
    }
    tok.map(|t| (t, i - t, i))
}

/// Suricata's MIME `GetLine` over a data chunk: a line ends at CR or LF (a
/// CRLF or LFCR pair counts once), or at NUL / the end. Returns (start,
/// length, next) and `None` when nothing is left.
fn chunk_lines(buf: &[u8]) -> Vec<(usize, usize, bool)> {
    // (start, len, delimited)
    let mut out = Vec::new();
    let mut pos = 0;
    while pos < buf.len() {
        let rest = buf.get(pos..).unwrap_or(&[]);
        let mut i = 0;
        let mut next = None;
        while i < rest.len() {
            let Some(&c) = rest.get(i) else { break };
            if c == 0 {
                break;
            }
            if c == b'\r' || c == b'\n' {
                let mut n = i + 1;
                if let Some(&d) = rest.get(i + 1)
                    && d != c
                    && (d == b'\r' || d == b'\n')
                {
                    n += 1;
                }
                next = Some(n);
                break;
            }
            i += 1;
        }
        match next {
            Some(n) => {
                out.push((pos, i, true));
                pos += n;
            }
            None => {
                if i > 0 {
                    out.push((pos, i, false));
                }
                break;
            }
        }
    }
    out
}

/// URLs pointing to executables (Suricata's list of extensions, at the end
/// of the URL or before a `?`).
fn is_exe_url(url: &[u8]) -> bool {
    const EXTS: &[&[u8]] = &[
        b".exe", b".vbs", b".bin", b".cmd", b".bat", b".jar", b".js", b".ps", b".ps1", b".sh",
        b".run", b".hta", b".bin", b".elf",
    ];
    EXTS.iter().any(|ext| match find_nocase(url, ext) {
        Some(at) => {
            let end = at + ext.len();
            end == url.len() || url.get(end) == Some(&b'?')
        }
        None => false,
    })
}

/// The host part of a URL (up to `/` or NUL) when it is an IPv4 (4) or IPv6
/// (6) address.
fn ip_host(url: &[u8]) -> u8 {
    let end = url
        .iter()
        .position(|&b| b == b'/' || b == 0)
        .unwrap_or(url.len());
    let host = url.get(..end).unwrap_or(&[]);
    let Ok(s) = std::str::from_utf8(host) else {
        return 0;
    };
    if host.len() <= 15 && s.parse::<std::net::Ipv4Addr>().is_ok() {
        4
    } else if host.len() <= 39 && s.parse::<std::net::Ipv6Addr>().is_ok() {
        6
    } else {
        0
    }
}

/// A base64 character or `=` (Suricata's `IsBase64Alphabet`).
fn is_b64_alphabet(c: u8) -> bool {
    c == b'=' || b64_value(c).is_some()
}

fn b64_value(c: u8) -> Option<u8> {
    match c {
        b'A'..=b'Z' => Some(c - b'A'),
        b'a'..=b'z' => Some(c - b'a' + 26),
        b'0'..=b'9' => Some(c - b'0' + 52),
        b'+' => Some(62),
        b'/' => Some(63),
        _ => None,
    }
}

/// Suricata's RFC 2045 base64 decoding: characters outside the alphabet
/// (other than `=`) are skipped; whole blocks only. Returns (decoded
/// bytes, consumed input, buffer full).
fn decode_base64_rfc2045(dst_room: usize, src: &[u8], out: &mut Vec<u8>) -> (usize, usize, bool) {
    let mut decoded = 0;
    let mut consumed = 0;
    let mut block = [0u8; B64_BLOCK];
    let mut idx = 0;
    let mut padding = 0;
    let mut skipped = 0;
    for &c in src {
        let v = match b64_value(c) {
            Some(v) => v,
            None if c == b'=' => {
                padding += 1;
                0
            }
            None => {
                skipped += 1;
                continue;
            }
        };
        if let Some(slot) = block.get_mut(idx) {
            *slot = v;
        }
        idx += 1;
        if idx == B64_BLOCK {
            let n = ASCII_BLOCK - padding.min(ASCII_BLOCK);
            if dst_room < decoded + n {
                return (decoded, consumed, true);
            }
            let ascii = [
                (block[0] << 2) | (block[1] >> 4),
                (block[1] << 4) | (block[2] >> 2),
                (block[2] << 6) | block[3],
            ];
            out.extend_from_slice(ascii.get(..n).unwrap_or(&[]));
            decoded += n;
            idx = 0;
            padding = 0;
            consumed += B64_BLOCK + skipped;
            skipped = 0;
            block = [0; B64_BLOCK];
        }
    }
    (decoded, consumed, false)
}

/// Suricata's `rs_mime_find_header_token`: the value of parameter `token`
/// in a header value (`type; name=value; ...`), with RFC 2231 sections
/// (`token*0`, `token*1`, ...) joined when the plain one is absent.
pub fn find_header_token(header: &[u8], token: &[u8]) -> Option<Vec<u8>> {
    let semi = memchr::memchr(b';', header)?;
    let mut input = header.get(semi + 1..).unwrap_or(&[]);
    let mut tokens: Vec<(&[u8], &[u8])> = Vec::new();
    let is_space = |c: u8| matches!(c, b' ' | b'\t' | b'\n' | b'\r');
    while !input.is_empty() {
        let start = input
            .iter()
            .position(|&c| !is_space(c))
            .unwrap_or(input.len());
        let rest = input.get(start..).unwrap_or(&[]);
        let Some(eq) = memchr::memchr(b'=', rest) else {
            break;
        };
        let name = rest.get(..eq).unwrap_or(&[]);
        let after = rest.get(eq + 1..).unwrap_or(&[]);
        // A quoted value up to an unescaped quote (failing that, up to any
        // later quote), else up to `;` with trailing blanks dropped.
        let quoted_end = if after.first() == Some(&b'"') {
            let body = after.get(1..).unwrap_or(&[]);
            let mut escaping = false;
            let mut end = None;
            for (i, &c) in body.iter().enumerate() {
                if c == b'\\' {
                    escaping = true;
                } else {
                    if c == b'"' && !escaping {
                        end = Some(i);
                        break;
                    }
                    escaping = false;
                }
            }
            end.or_else(|| memchr::memchr(b'"', body))
        } else {
            None
        };
        let (value, mut rem): (&[u8], &[u8]) = if let Some(end) = quoted_end {
            let body = after.get(1..).unwrap_or(&[]);
            (
                body.get(..end).unwrap_or(&[]),
                body.get(end + 1..).unwrap_or(&[]),
            )
        } else {
            let end = memchr::memchr(b';', after).unwrap_or(after.len());
            let raw = after.get(..end).unwrap_or(&[]);
            let mut vend = raw.len();
            while vend > 0 && raw.get(vend - 1).copied().is_some_and(is_space) {
                vend -= 1;
            }
            let v = if vend == 0 {
                raw
            } else {
                raw.get(..vend).unwrap_or(raw)
            };
            (v, after.get(end..).unwrap_or(&[]))
        };
        let skip = rem.iter().position(|&c| !is_space(c)).unwrap_or(rem.len());
        rem = rem.get(skip..).unwrap_or(&[]);
        if rem.first() == Some(&b';') {
            rem = rem.get(1..).unwrap_or(&[]);
        }
        // Later duplicates replace earlier ones.
        if let Some(slot) = tokens.iter_mut().find(|(n, _)| *n == name) {
            slot.1 = value;
        } else {
            tokens.push((name, value));
        }
        if rem.len() == input.len() {
            break;
        }
        input = rem;
    }
    let get = |n: &[u8]| tokens.iter().find(|(k, _)| *k == n).map(|(_, v)| *v);
    if let Some(v) = get(token) {
        return Some(v.to_vec());
    }
    let mut joined = Vec::new();
    let mut section = 0u32;
    loop {
        let mut name = token.to_vec();
        name.push(b'*');
        name.extend_from_slice(section.to_string().as_bytes());
        match get(&name) {
            Some(v) => joined.extend_from_slice(v),
            None if section == 0 => return None,
            None => return Some(joined),
        }
        section += 1;
        if section > 1000 {
            return Some(joined);
        }
    }
}

impl MimeParser {
    /// A decoder for one message.
    pub fn new(config: MimeConfig) -> MimeParser {
        MimeParser {
            config,
            entities: vec![Entity {
                ctnt: ctnt::MSG,
                ..Entity::default()
            }],
            stack: vec![StackNode {
                entity: 0,
                bdef: None,
                is_encap: false,
            }],
            state: MimeState::HeaderReady,
            hname: None,
            hvalue: None,
            hvlen: 0,
            body_begin: false,
            body_end: false,
            found_child: false,
            bvremain: [0; B64_BLOCK],
            bvr_len: 0,
            chunk: Vec::with_capacity(DATA_CHUNK_SIZE),
            delim_len: 0,
            pending_eol: Vec::new(),
            md5: None,
            md5_result: None,
            chunks: Vec::new(),
        }
    }

    /// The parser state.
    pub fn state(&self) -> MimeState {
        self.state
    }

    /// Marks the message as broken (a second DATA before the first ended).
    pub fn set_error(&mut self) {
        self.state = MimeState::ParseError;
    }

    /// The message entity.
    pub fn message(&self) -> &Entity {
        // Entity 0 always exists.
        self.entities.first().unwrap_or(&EMPTY)
    }

    /// Entity `i`.
    pub fn entity(&self, i: usize) -> Option<&Entity> {
        self.entities.get(i)
    }

    /// The entity on top of the stack (Suricata logs its URLs and its
    /// children's attachments).
    pub fn top_entity(&self) -> Option<&Entity> {
        self.stack.last().and_then(|n| self.entities.get(n.entity))
    }

    /// The body MD5, once the message is complete.
    pub fn body_md5(&self) -> Option<[u8; 16]> {
        self.md5_result
    }

    /// Takes the decoded body chunks produced so far.
    pub fn take_chunks(&mut self) -> Vec<Chunk> {
        std::mem::take(&mut self.chunks)
    }

    fn top_flag_anomaly(&mut self, flag: u32) {
        if let Some(e) = self
            .stack
            .last()
            .map(|n| n.entity)
            .and_then(|i| self.entities.get_mut(i))
        {
            e.anomalies |= flag;
        }
    }

    fn msg_anomaly(&mut self, flag: u32) {
        if let Some(m) = self.entities.get_mut(0) {
            m.anomalies |= flag;
        }
    }

    fn anomaly(&mut self, flag: u32) {
        self.top_flag_anomaly(flag);
        self.msg_anomaly(flag);
    }

    fn top(&self) -> Option<&Entity> {
        self.top_entity()
    }

    fn top_mut(&mut self) -> Option<&mut Entity> {
        let i = self.stack.last()?.entity;
        self.entities.get_mut(i)
    }

    fn add_entity(&mut self, parent: usize, flags: u32) -> Option<usize> {
        if self.entities.len() >= MAX_ENTITIES {
            return None;
        }
        let i = self.entities.len();
        self.entities.push(Entity {
            ctnt: flags,
            ..Entity::default()
        });
        if let Some(p) = self.entities.get_mut(parent) {
            p.children.push(i);
        }
        Some(i)
    }

    /// Decodes one line (without its end). `line_with_end` is the line
    /// followed by its `delim_len` end bytes (used for raw bodies and the
    /// MD5).
    pub fn parse_line(&mut self, line_with_end: &[u8], delim_len: usize) -> Result<(), MimeError> {
        self.delim_len = delim_len.min(line_with_end.len());
        let len = line_with_end.len() - self.delim_len;
        let r = self.process_entity(line_with_end, len);
        if r.is_err() {
            self.state = MimeState::ParseError;
        }
        r
    }

    fn process_entity(&mut self, full: &[u8], len: usize) -> Result<(), MimeError> {
        if self.state == MimeState::ParseError {
            return Err(MimeError::State);
        }
        if len > MAX_LINE_LEN {
            self.anomaly(anom::LONG_LINE);
        }
        let line = full.get(..len).unwrap_or(&[]);
        // Once the body began, every line counts in the body MD5, nested
        // headers and boundaries included (Suricata 7.0.10, sv smtp-md5).
        if let Some(m) = self.md5.as_mut() {
            m.update(full);
        }
        if matches!(
            self.state,
            MimeState::HeaderReady | MimeState::HeaderStarted
        ) {
            self.process_headers(full, line)
        } else {
            self.process_body(full, line)
        }
    }

    fn store_header(&mut self) -> Result<(), MimeError> {
        if self.hname.is_none() && self.hvalue.is_none() {
            return Ok(());
        }
        let name = self.hname.take();
        let value = self.hvalue.take().filter(|v| !v.is_empty());
        self.hvlen = 0;
        if let Some(val) = value {
            let Some(mut name) = name else {
                return Err(MimeError::Parse);
            };
            name.make_ascii_lowercase();
            if let Some(e) = self.top_mut()
                && e.fields.len() < MAX_FIELDS
            {
                e.fields.push((name, val));
            }
        }
        Ok(())
    }

    fn find_header(&mut self, full: &[u8], buf: &[u8]) -> Result<(), MimeError> {
        let blen = buf.len();
        // A name: printable characters up to a colon, from the start.
        let mut valid = 0;
        let mut hname: Option<(usize, usize)> = None;
        for (i, &c) in buf.iter().enumerate() {
            if c == 0 {
                break;
            }
            if c != b':' && (33..=126).contains(&c) {
                valid += 1;
            } else if valid > 0 && c == b':' {
                hname = Some((i - valid, valid));
                break;
            } else {
                break;
            }
        }
        let mut finish = false;
        let mut new_header: Option<(usize, usize, Option<usize>)> = None;
        if let Some((start, hlen)) = hname {
            if hlen > MAX_HEADER_NAME {
                self.anomaly(anom::LONG_HEADER_NAME);
            }
            let mut hval = start + hlen + 1;
            let mut has_val = hval < blen;
            while has_val && buf.get(hval) == Some(&b' ') {
                if hval >= blen.saturating_sub(1) {
                    has_val = false;
                    break;
                }
                hval += 1;
            }
            if self.state == MimeState::HeaderStarted {
                finish = true;
            }
            new_header = Some((start, hlen, has_val.then_some(hval)));
            self.state = MimeState::HeaderStarted;
        } else if blen == 0 {
            self.state = MimeState::HeaderDone;
            finish = true;
        } else if self.state == MimeState::HeaderStarted {
            // A folded line of the current value.
            let depth = self.config.header_value_depth;
            let mut vlen = blen;
            if self.hvlen + vlen > depth {
                vlen = depth.saturating_sub(self.hvlen);
                self.anomaly(anom::LONG_HEADER_VALUE);
            }
            if vlen > 0 {
                self.hvalue
                    .get_or_insert_with(Vec::new)
                    .extend_from_slice(buf.get(..vlen).unwrap_or(&[]));
                self.hvlen += vlen;
            }
        } else {
            // A body without headers.
            self.state = MimeState::BodyStarted;
            self.body_begin = true;
            self.body_end = false;
            return self.process_body_line(full, buf);
        }
        if finish {
            self.store_header()?;
        }
        if let Some((start, hlen, hval)) = new_header {
            self.hname = Some(buf.get(start..start + hlen).unwrap_or(&[]).to_vec());
            if self.hvalue.is_some() {
                return Err(MimeError::Data);
            }
            if let Some(hv) = hval {
                let depth = self.config.header_value_depth;
                let mut vlen = blen - hv;
                if self.hvlen + vlen > depth {
                    vlen = depth.saturating_sub(self.hvlen);
                    self.anomaly(anom::LONG_HEADER_VALUE);
                }
                if vlen > 0 {
                    self.hvalue = Some(buf.get(hv..hv + vlen).unwrap_or(&[]).to_vec());
                    self.hvlen += vlen;
                }
            }
        }
        Ok(())
    }

    fn attachment_name(&mut self, value: &[u8], token: &[u8]) -> bool {
        let Some(name) = find_header_token(value, token) else {
            return false;
        };
        let truncated = name.len() > MAX_TOKEN_LEN;
        let keep = name
            .get(..name.len().min(MAX_TOKEN_LEN))
            .unwrap_or(&[])
            .to_vec();
        if let Some(e) = self.top_mut() {
            e.ctnt |= ctnt::ATTACHMENT;
            e.filename = Some(keep);
        }
        if truncated {
            self.anomaly(anom::LONG_FILENAME);
        }
        true
    }

    fn process_headers(&mut self, full: &[u8], buf: &[u8]) -> Result<(), MimeError> {
        self.find_header(full, buf)?;
        if self.state != MimeState::HeaderDone {
            return Ok(());
        }
        let Some(top_idx) = self.stack.last().map(|n| n.entity) else {
            return Err(MimeError::Data);
        };
        let entity = self.entities.get(top_idx).cloned().unwrap_or_default();
        if let Some(cte) = entity.field(b"content-transfer-encoding") {
            let flag = if find_nocase(cte, b"Base64").is_some() {
                ctnt::BASE64
            } else if find_nocase(cte, b"quoted-printable").is_some() {
                ctnt::QP
            } else {
                0
            };
            if let Some(e) = self.entities.get_mut(top_idx) {
                e.ctnt |= flag;
            }
        }
        if let Some(cd) = entity.field(b"content-disposition") {
            self.attachment_name(cd, b"filename");
        }
        if let Some(ct) = entity.field(b"content-type") {
            if let Some(b) = find_header_token(ct, b"boundary") {
                self.found_child = true;
                if let Some(e) = self.entities.get_mut(top_idx) {
                    e.ctnt |= ctnt::MULTIPART;
                }
                if b.len() > BOUNDARY_BUF - 2 {
                    self.top_flag_anomaly(anom::LONG_BOUNDARY);
                    return Err(MimeError::Parse);
                }
                if let Some(n) = self.stack.last_mut() {
                    n.bdef = Some(b);
                }
            }
            let is_attachment = self
                .entities
                .get(top_idx)
                .is_some_and(|e| e.ctnt & ctnt::ATTACHMENT != 0);
            if !is_attachment {
                self.attachment_name(ct, b"name");
            }
            if let Some((start, tlen, _)) = get_token(ct, b" \r\n;") {
                let ctype = ct.get(start..start + tlen).unwrap_or(&[]);
                let flag = if find_nocase(ctype, b"message/").is_some() {
                    ctnt::ENV
                } else if find_nocase(ctype, b"multipart/").is_some() {
                    ctnt::MULTIPART
                } else if find_nocase(ctype, b"text/plain").is_some() {
                    ctnt::TEXT
                } else if find_nocase(ctype, b"text/html").is_some() {
                    ctnt::HTML
                } else {
                    0
                };
                if let Some(e) = self.entities.get_mut(top_idx) {
                    e.ctnt |= flag;
                }
                if flag == ctnt::ENV {
                    // An encapsulated message: its headers come next.
                    if let Some(child) = self.add_entity(top_idx, ctnt::ENCAP | ctnt::MSG) {
                        self.stack.push(StackNode {
                            entity: child,
                            bdef: None,
                            is_encap: true,
                        });
                        self.state = MimeState::HeaderReady;
                    }
                }
            }
        }
        self.body_begin = true;
        self.body_end = false;
        Ok(())
    }

    fn process_body(&mut self, full: &[u8], buf: &[u8]) -> Result<(), MimeError> {
        let len = buf.len();
        if self.config.body_md5
            && self.body_begin
            && self.md5.is_none()
            && self.md5_result.is_none()
        {
            let mut m = Md5::new();
            m.update(full);
            self.md5 = Some(m);
        }
        if len == 0 {
            if self.state == MimeState::BodyEndBound {
                return Ok(());
            }
            if self.state == MimeState::HeaderDone
                && let Some(e) = self.top()
                && ((self.config.decode_base64 && e.ctnt & ctnt::BASE64 != 0)
                    || (self.config.decode_quoted_printable && e.ctnt & ctnt::QP != 0))
            {
                return Ok(());
            }
        }
        // The boundary in force: the top's, or (after an end boundary, or
        // when the top has none) the nearest one below.
        let top_has = self.stack.last().is_some_and(|n| n.bdef.is_some());
        let skip_top = self.state == MimeState::BodyEndBound || !top_has;
        let bdef = self
            .stack
            .iter()
            .rev()
            .skip(usize::from(skip_top))
            .find_map(|n| n.bdef.clone());
        let mut body_found = true;
        if let Some(bdef) = bdef
            && len > 1
            && buf.starts_with(b"--")
        {
            if bdef.len() + 2 > BOUNDARY_BUF {
                self.top_flag_anomaly(anom::LONG_BOUNDARY);
                return Err(MimeError::Parse);
            }
            let mut temp = b"--".to_vec();
            temp.extend_from_slice(&bdef);
            if find_nocase(buf, &temp).is_some() {
                self.process_boundary(buf, bdef.len())?;
                body_found = false;
            }
        }
        if body_found {
            self.state = MimeState::BodyStarted;
            self.process_body_line(full, buf)?;
        }
        Ok(())
    }

    fn process_boundary(&mut self, buf: &[u8], bdef_len: usize) -> Result<(), MimeError> {
        if self.state != MimeState::BodyEndBound {
            self.body_complete();
        } else {
            self.state = MimeState::HeaderReady;
        }
        let r = bdef_len + 2;
        // An encapsulated entity without its own boundary ends with its
        // parent's part.
        if let Some(top) = self.stack.last()
            && top.is_encap
            && top.bdef.is_none()
        {
            let below = self
                .stack
                .len()
                .checked_sub(2)
                .and_then(|i| self.stack.get(i));
            match below {
                None => return Err(MimeError::Data),
                Some(n) if n.bdef.is_none() => {
                    self.stack.pop();
                    if self.stack.is_empty() {
                        return Err(MimeError::Data);
                    }
                }
                Some(_) => {}
            }
        }
        let end = buf.get(r) == Some(&b'-') && buf.get(r + 1) == Some(&b'-');
        if end {
            self.stack.pop();
            if self.stack.is_empty() {
                return Err(MimeError::Data);
            }
            if self
                .stack
                .last()
                .is_some_and(|n| n.is_encap && n.bdef.is_some())
            {
                self.stack.pop();
                if self.stack.is_empty() {
                    return Err(MimeError::Data);
                }
            }
            self.state = MimeState::BodyEndBound;
        } else if self.found_child {
            let parent = self.stack.last().map(|n| n.entity).unwrap_or(0);
            if let Some(child) = self.add_entity(parent, ctnt::BODYPART) {
                self.stack.push(StackNode {
                    entity: child,
                    bdef: None,
                    is_encap: false,
                });
            }
            self.found_child = false;
        } else {
            if self.stack.len() < 2 {
                return Err(MimeError::Data);
            }
            self.stack.pop();
            let parent = self.stack.last().map(|n| n.entity).unwrap_or(0);
            if let Some(child) = self.add_entity(parent, ctnt::BODYPART) {
                self.stack.push(StackNode {
                    entity: child,
                    bdef: None,
                    is_encap: false,
                });
            }
        }
        if self.state != MimeState::BodyEndBound {
            self.state = MimeState::HeaderReady;
        }
        Ok(())
    }

    fn body_complete(&mut self) {
        self.pending_eol.clear();
        self.body_end = true;
        if self.bvr_len > 0 {
            self.base64_remainder(&[], true);
        }
        self.flush_chunk();
        self.body_begin = false;
        self.body_end = false;
    }

    /// Hands the decoded data on: URLs of text parts, then the chunk.
    fn flush_chunk(&mut self) {
        let data = std::mem::replace(&mut self.chunk, Vec::with_capacity(DATA_CHUNK_SIZE));
        if let Some(top_idx) = self.stack.last().map(|n| n.entity) {
            let flags = self.entities.get(top_idx).map_or(0, |e| e.ctnt);
            if self.config.extract_urls
                && flags & (ctnt::TEXT | ctnt::MSG | ctnt::HTML) != 0
                && flags & ctnt::ATTACHMENT == 0
            {
                // Each line on its own, an unterminated last one too: a URL
                // cut by the end of the chunk is cut in the record.
                for (start, len, _) in chunk_lines(&data) {
                    let line = data.get(start..start + len).unwrap_or(&[]);
                    self.find_urls(top_idx, line);
                }
            }
            let attachment = self
                .entities
                .get(top_idx)
                .filter(|e| e.ctnt & ctnt::ATTACHMENT != 0)
                .map(|e| e.filename.clone().unwrap_or_default());
            self.chunks.push(Chunk {
                attachment,
                begin: self.body_begin,
                end: self.body_end,
                data,
            });
        }
        self.body_begin = false;
    }

    fn find_urls(&mut self, entity: usize, line: &[u8]) {
        let schemes = self.config.extract_urls_schemes.clone();
        for scheme in &schemes {
            let mut rem = 0usize;
            while let Some(found) = line.get(rem..).and_then(|r| find_nocase(r, scheme)) {
                let mut f = rem + found;
                if !self.config.log_url_scheme {
                    f += scheme.len();
                }
                let from = line.get(f..).unwrap_or(&[]);
                match get_token(from, b" \"'<>]\t") {
                    Some((start, tlen, next)) => {
                        rem = f + next;
                        if start == 0 {
                            let tok = from.get(..tlen).unwrap_or(&[]);
                            let url: Vec<u8> = tok
                                .iter()
                                .take_while(|&&b| b != 0)
                                .map(u8::to_ascii_lowercase)
                                .collect();
                            self.add_url(entity, url);
                        }
                    }
                    None => rem = f,
                }
                if rem >= line.len() || (found == 0 && scheme.is_empty()) {
                    break;
                }
            }
        }
    }

    fn add_url(&mut self, entity: usize, url: Vec<u8>) {
        if url.is_empty() {
            return;
        }
        let Some(e) = self.entities.get_mut(entity) else {
            return;
        };
        if e.urls.iter().any(|u| u.url == url) || e.urls.len() >= MAX_URLS {
            return;
        }
        let mut flags = 0;
        if is_exe_url(&url) {
            flags |= url_flags::EXE;
        } else {
            match ip_host(&url) {
                4 => flags |= url_flags::IP4,
                6 => flags |= url_flags::IP6,
                _ => {}
            }
        }
        e.urls.push(Url { url, flags });
    }

    fn chunk_room(&self) -> usize {
        DATA_CHUNK_SIZE.saturating_sub(self.chunk.len())
    }

    fn base64_remainder(&mut self, buf: &[u8], force: bool) -> usize {
        let mut consumed = 0;
        if self.bvr_len > B64_BLOCK {
            self.bvr_len = 0;
            return 0;
        }
        let mut block = [0u8; B64_BLOCK];
        let mut cnt = 0;
        for &c in self.bvremain.iter().take(self.bvr_len) {
            if is_b64_alphabet(c) {
                if let Some(s) = block.get_mut(cnt) {
                    *s = c;
                }
                cnt += 1;
            }
        }
        if !buf.is_empty() && cnt != B64_BLOCK {
            for &c in buf {
                if cnt >= B64_BLOCK {
                    break;
                }
                if is_b64_alphabet(c) {
                    if let Some(s) = block.get_mut(cnt) {
                        *s = c;
                    }
                    cnt += 1;
                }
                consumed += 1;
            }
            if cnt != 0 {
                self.bvremain = block;
            }
            self.bvr_len = cnt;
        } else if !force && cnt != B64_BLOCK {
            return 0;
        }
        if force && cnt != B64_BLOCK {
            while self.bvr_len < B64_BLOCK {
                if let Some(s) = self.bvremain.get_mut(self.bvr_len) {
                    *s = b'=';
                }
                self.bvr_len += 1;
            }
        }
        if self.chunk_room() < ASCII_BLOCK {
            self.flush_chunk();
        }
        if self.bvr_len == B64_BLOCK || force {
            let room = self.chunk_room();
            let src = self.bvremain;
            let n = self.bvr_len.min(B64_BLOCK);
            let mut out = std::mem::take(&mut self.chunk);
            let (decoded, _, _) =
                decode_base64_rfc2045(room, src.get(..n).unwrap_or(&[]), &mut out);
            self.chunk = out;
            if decoded > 0 && self.chunk_room() < ASCII_BLOCK {
                self.flush_chunk();
            }
            self.bvr_len = 0;
        }
        consumed
    }

    fn process_base64_line(&mut self, buf: &[u8]) -> Result<(), MimeError> {
        let len = buf.len();
        if len > MAX_ENC_LINE_LEN {
            self.anomaly(anom::LONG_ENC_LINE);
        }
        if self.bvr_len + len < B64_BLOCK {
            for &c in buf {
                if let Some(s) = self.bvremain.get_mut(self.bvr_len) {
                    *s = c;
                }
                self.bvr_len += 1;
            }
            return Ok(());
        }
        let mut offset = 0;
        let mut remaining = len;
        if self.bvr_len > 0 {
            let consumed = self.base64_remainder(buf, false);
            if consumed > len {
                return Err(MimeError::Parse);
            }
            let left = len - consumed;
            if left < B64_BLOCK {
                if left + self.bvr_len > B64_BLOCK {
                    return Err(MimeError::Parse);
                }
                for (i, &c) in buf.get(consumed..).unwrap_or(&[]).iter().enumerate() {
                    if let Some(s) = self.bvremain.get_mut(i) {
                        *s = c;
                    }
                }
                self.bvr_len += left;
                return Ok(());
            }
            remaining -= consumed;
            offset = consumed;
        }
        while remaining >= B64_BLOCK {
            let room = self.chunk_room();
            let src = buf.get(offset..offset + remaining).unwrap_or(&[]);
            let mut out = std::mem::take(&mut self.chunk);
            let (decoded, consumed, _) = decode_base64_rfc2045(room, src, &mut out);
            self.chunk = out;
            if consumed > remaining {
                return Err(MimeError::Parse);
            }
            let leftover = remaining - consumed;
            if decoded > 0 && self.chunk_room() < ASCII_BLOCK {
                self.flush_chunk();
            }
            if consumed == 0 && leftover > B64_BLOCK {
                // Characters outside the alphabet in the last data: keep
                // the rest without them (Suricata 7.0.10, sv bug-6207).
                for &c in buf.get(offset..offset + leftover).unwrap_or(&[]) {
                    if is_b64_alphabet(c) {
                        if self.bvr_len >= B64_BLOCK {
                            return Err(MimeError::Data);
                        }
                        if let Some(s) = self.bvremain.get_mut(self.bvr_len) {
                            *s = c;
                        }
                        self.bvr_len += 1;
                    }
                }
                return Ok(());
            } else if leftover > 0 && leftover <= B64_BLOCK {
                let tail = buf
                    .get(offset + consumed..offset + consumed + leftover)
                    .unwrap_or(&[]);
                for (i, &c) in tail.iter().enumerate() {
                    if let Some(s) = self.bvremain.get_mut(i) {
                        *s = c;
                    }
                }
                self.bvr_len = leftover;
                return Ok(());
            }
            remaining = leftover;
            offset += consumed;
        }
        Ok(())
    }

    fn process_qp_line(&mut self, buf: &[u8]) {
        let len = buf.len();
        if len > MAX_ENC_LINE_LEN {
            self.anomaly(anom::LONG_ENC_LINE);
        }
        let hex = |h: u8| match h {
            b'0'..=b'9' => Some(h - b'0'),
            b'A'..=b'F' => Some(h - b'A' + 10),
            _ => None,
        };
        let mut offset = 0;
        let mut remaining = len;
        let mut soft_break = false;
        while remaining > 0 {
            let c = buf.get(offset).copied().unwrap_or(0);
            if c != b'=' {
                self.chunk.push(c);
            } else if remaining == 1 {
                soft_break = true;
            } else if remaining < 3 {
                self.anomaly(anom::INVALID_QP);
            } else {
                let h1 = buf.get(offset + 1).copied().and_then(hex);
                let h2 = buf.get(offset + 2).copied().and_then(hex);
                match (h1, h2) {
                    (Some(a), Some(b)) => {
                        self.chunk.push((a << 4) | b);
                        remaining -= 2;
                        offset += 2;
                    }
                    _ => self.anomaly(anom::INVALID_QP),
                }
            }
            remaining -= 1;
            offset += 1;
            if self.chunk_room() < 3 {
                self.flush_chunk();
            }
        }
        // Each complete line but a soft break ends with CRLF (empty lines
        // too, as Suricata 7.0.10 decodes them).
        if self.delim_len > 0 && !soft_break {
            self.chunk.extend_from_slice(b"\r\n");
            if self.chunk_room() < 3 {
                self.flush_chunk();
            }
        }
    }

    /// Decodes one body line. Raw and base64 data is handed on at the end
    /// of each line, quoted-printable data when the chunk fills or the body
    /// ends - as Suricata 7.0.10 does it (measured: a truncated raw or
    /// base64 attachment keeps all its data, a quoted-printable one none;
    /// a URL spans base64 lines but not quoted-printable soft breaks).
    fn process_body_line(&mut self, full: &[u8], buf: &[u8]) -> Result<(), MimeError> {
        let r = self.decode_body_line(full, buf);
        let qp = self.config.decode_quoted_printable
            && self.top().is_some_and(|e| e.ctnt & ctnt::QP != 0)
            && !(self.config.decode_base64
                && self.top().is_some_and(|e| e.ctnt & ctnt::BASE64 != 0));
        if !qp && !self.chunk.is_empty() {
            self.flush_chunk();
        }
        r
    }

    fn decode_body_line(&mut self, full: &[u8], buf: &[u8]) -> Result<(), MimeError> {
        let flags = self.top().map_or(0, |e| e.ctnt);
        if self.config.decode_base64 && flags & ctnt::BASE64 != 0 {
            self.process_base64_line(buf)
        } else if self.config.decode_quoted_printable && flags & ctnt::QP != 0 {
            self.process_qp_line(buf);
            Ok(())
        } else if flags & ctnt::ATTACHMENT != 0 {
            // Raw attachment: the previous line's end, then this line; its
            // own end waits for the next line.
            let pending = std::mem::take(&mut self.pending_eol);
            self.raw_to_chunk(&pending);
            self.raw_to_chunk(buf);
            self.pending_eol = full.get(buf.len()..).unwrap_or(&[]).to_vec();
            Ok(())
        } else {
            // Raw: the line and its end bytes.
            self.raw_to_chunk(full);
            Ok(())
        }
    }

    fn raw_to_chunk(&mut self, mut rest: &[u8]) {
        while !rest.is_empty() {
            let take = self.chunk_room().min(rest.len());
            let (now, later) = rest.split_at(take);
            self.chunk.extend_from_slice(now);
            rest = later;
            if self.chunk_room() == 0 {
                self.flush_chunk();
            }
        }
    }

    /// The end of the message (the DATA's final `.`).
    pub fn complete(&mut self) -> Result<(), MimeError> {
        if self.state == MimeState::ParseError {
            return Err(MimeError::State);
        }
        self.store_header()?;
        self.body_complete();
        if let Some(m) = self.md5.take() {
            let mut r = [0u8; 16];
            r.copy_from_slice(&m.finalize());
            self.md5_result = Some(r);
        }
        if self.stack.is_empty() {
            self.msg_anomaly(anom::MALFORMED_MSG);
            return Err(MimeError::Data);
        }
        if self.stack.last().is_some_and(|n| n.is_encap) {
            self.stack.pop();
            if self.stack.is_empty() {
                self.msg_anomaly(anom::MALFORMED_MSG);
                return Err(MimeError::Data);
            }
        }
        if self.stack.len() > 1 {
            self.msg_anomaly(anom::MALFORMED_MSG);
        }
        self.state = MimeState::ParseDone;
        Ok(())
    }
}

static EMPTY: Entity = Entity {
    fields: Vec::new(),
    urls: Vec::new(),
    filename: None,
    ctnt: 0,
    anomalies: 0,
    children: Vec::new(),
};
