//! SMTP, as Suricata 7.0 parses and logs it (`app-layer-smtp.c`,
//! `util-decode-mime.c`, `output-json-smtp.c`,
//! `output-json-email-common.c`).
//!
//! - Detection: `EHLO`, `HELO` or `QUIT` (any case) at the start of the
//!   client's data. Nothing recognises the server's side: it is parsed with
//!   the client's protocol (`app_proto_tc: failed`), as in Suricata.
//! - Lines end at LF (CR before it dropped). A line reaching 4096 bytes is
//!   cut there (`TRUNCATED_LINE`) and its rest up to the next LF dropped.
//!   In DATA mode, once the message headers are read, the client's data is
//!   split at CR, LF or CRLF and a segment's unterminated tail is passed on
//!   as a line of its own - Suricata's `SMTPPreProcessCommands`.
//! - Commands: HELO/EHLO (the flow's `helo`), MAIL FROM, RCPT TO, DATA,
//!   BDAT, STARTTLS, RSET, QUIT and the rest; each is queued to match the
//!   server's replies (multi-line replies, pipelining announced by the
//!   server's `250-PIPELINING`). A transaction spans MAIL FROM to the end
//!   of the message (`.`), a RSET accepted, or an accepted STARTTLS; RSET
//!   and QUIT after a finished transaction not logged yet stay in it.
//! - DATA: the message goes through the MIME decoder ([`mime`]); each
//!   attachment becomes a file (a `fileinfo` record when it ends, with the
//!   transaction's `smtp` and `email` objects as they stand then).
//! - STARTTLS answered by `220` hands the flow to TLS.
//! - A reply code outside Suricata's list, or a malformed BDAT, stops the
//!   parser (Suricata's parser error): open transactions are logged.
//!
//! EVE: an `smtp` record per transaction (`smtp`: `helo`, `mail_from`,
//! `rcpt_to`; `email`: `status`, `from`, `to`, `cc`, `has_*_url`,
//! `attachment`, `url`, the configured extended fields and MD5s), when it
//! ends, at the end of both streams, or at the end of the flow.
//! Anomalies (transaction events): Suricata's SMTP event names
//! (`INVALID_REPLY`, `NO_SERVER_WELCOME_MESSAGE`, `TRUNCATED_LINE`,
//! `MIME_*`, ...).
//!
//! Bounds: 256 transactions waiting to be logged, 256 recipients per
//! transaction, 65535 queued commands, [`MAX_FILE_DATA`] bytes of each
//! attachment kept for rules; the MIME decoder's own bounds.
//!
//! Rule buffers: `file.data` (each attachment of the transaction, decoded;
//! multi-valued), `file.name` (each attachment name); and, as Suricata 8
//! names them, `smtp.helo`, `smtp.mail_from`, `smtp.rcpt_to`
//! (multi-valued).

pub mod mime;
#[cfg(test)]
mod tests;

use crate::it::text::{string_from_bytes, write_bytes};
use crate::{
    AppParser, AppProto, Direction, ParseOutput, Probe, ProtoInfo, Transaction, Transport,
};
use md5::{Digest as _, Md5};
use mime::{Chunk, MimeConfig, MimeParser, MimeState, anom, ctnt};
use std::collections::VecDeque;
use std::sync::{Arc, RwLock};
use vigil_eve::JsonWriter;

/// Registration of smtp.
pub static INFO: ProtoInfo = ProtoInfo {
    proto: AppProto::Smtp,
    tcp_ports: &[25],
    udp_ports: &[],
    probe_tcp: Some(probe),
    probe_udp: None,
    port_only: false,
    new_parser,
};

/// Longest line (Suricata's `SMTP_LINE_BUFFER_LIMIT`).
pub const LINE_LIMIT: usize = 4096;
/// Transactions waiting to be logged before the parser gives up.
pub const MAX_OPEN_TX: usize = 256;
/// Recipients kept per transaction.
pub const MAX_RCPT: usize = 256;
/// Bytes of each attachment kept for rule inspection.
pub const MAX_FILE_DATA: usize = 1 << 20;
const MAX_CMDS: usize = 65535;
const MAX_TX_EVENTS: usize = 255;

/// Content prober: Suricata's SMTP patterns at the start of the client's
/// data, case-insensitive.
pub fn probe(dir: Direction, data: &[u8]) -> Probe {
    if dir == Direction::ToClient {
        return Probe::NoMatch;
    }
    let mut need_more = false;
    for p in [&b"EHLO"[..], b"HELO", b"QUIT"] {
        let n = data.len().min(p.len());
        if data
            .get(..n)
            .zip(p.get(..n))
            .is_some_and(|(a, b)| a.eq_ignore_ascii_case(b))
        {
            if n == p.len() {
                return Probe::Match;
            }
            need_more = true;
        }
    }
    if need_more {
        Probe::NeedMore
    } else {
        Probe::NoMatch
    }
}

fn new_parser(_transport: Transport) -> Box<dyn AppParser> {
    Box::new(SmtpParser::new())
}

/// How SMTP records are written (`outputs.eve-log.types.smtp`).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct LogConfig {
    /// `extended: yes`: bcc, message_id, subject, x_mailer, user_agent.
    /// Suricata 7.0.10 drops this setting while reading its configuration
    /// (the flags are reset after it is read): the reader leaves it off.
    pub extended: bool,
    /// `custom:` field names (Suricata's config names, e.g. `reply_to`).
    pub custom: Vec<String>,
    /// `md5: [body]`.
    pub body_md5: bool,
    /// `md5: [subject]`.
    pub subject_md5: bool,
}

/// SMTP settings.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SmtpConfig {
    /// `app-layer.protocols.smtp.mime.decode-mime`.
    pub decode_mime: bool,
    pub mime: MimeConfig,
    pub log: LogConfig,
}

impl Default for SmtpConfig {
    fn default() -> Self {
        SmtpConfig {
            decode_mime: true,
            mime: MimeConfig::default(),
            log: LogConfig::default(),
        }
    }
}

static CONFIG: RwLock<Option<Arc<SmtpConfig>>> = RwLock::new(None);

/// Sets the configuration of parsers created afterwards.
pub fn configure(config: SmtpConfig) {
    if let Ok(mut c) = CONFIG.write() {
        *c = Some(Arc::new(config));
    }
}

/// Sets how records are written (`outputs.eve-log.types.smtp`), keeping
/// the rest of the configuration.
pub fn set_log_config(log: LogConfig) {
    let mut c = (*config()).clone();
    c.log = log;
    configure(c);
}

/// Sets the MIME decoding (`app-layer.protocols.smtp.mime`), keeping the
/// rest of the configuration.
pub fn set_mime_config(decode_mime: bool, mime: MimeConfig) {
    let mut c = (*config()).clone();
    c.decode_mime = decode_mime;
    c.mime = mime;
    configure(c);
}

fn config() -> Arc<SmtpConfig> {
    CONFIG
        .read()
        .ok()
        .and_then(|c| c.clone())
        .unwrap_or_else(|| Arc::new(SmtpConfig::default()))
}

/// Command kinds the reply matching needs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Cmd {
    None,
    StartTls,
    Data,
    Bdat,
    DataMode,
    Other,
    Rset,
}

const DATA_MODE: u8 = 0x01;
const FIRST_REPLY_SEEN: u8 = 0x04;
const MULTILINE_REPLY: u8 = 0x08;
const PIPELINING_SERVER: u8 = 0x10;

/// Suricata's reply codes; another code is an invalid reply.
const REPLY_CODES: &[&[u8; 3]] = &[
    b"211", b"214", b"220", b"221", b"235", b"250", b"251", b"252", b"334", b"354", b"421", b"450",
    b"451", b"452", b"455", b"500", b"501", b"502", b"503", b"504", b"550", b"551", b"552", b"553",
    b"554", b"555",
];

fn starts_ci(line: &[u8], p: &[u8]) -> bool {
    line.get(..p.len())
        .is_some_and(|w| w.eq_ignore_ascii_case(p))
}

/// A C string in a JSON builder: cut at NUL, `None` unless UTF-8.
fn c_str(v: &[u8]) -> Option<&str> {
    let end = memchr::memchr(0, v).unwrap_or(v.len());
    std::str::from_utf8(v.get(..end).unwrap_or(&[])).ok()
}

/// Suricata's `BytesToString` then the JSON builder: NUL as the two
/// characters `\0`; `None` unless UTF-8.
fn bytes_to_string(v: &[u8]) -> Option<String> {
    let mut out = Vec::with_capacity(v.len());
    for &b in v {
        if b == 0 {
            out.extend_from_slice(b"\\0");
        } else {
            out.push(b);
        }
    }
    String::from_utf8(out).ok()
}

fn skip_blanks(s: &str) -> &str {
    s.trim_start_matches([' ', '\t'])
}

/// `strtok_r(value, ",")` with leading blanks skipped per item.
fn comma_list(v: &[u8]) -> Vec<String> {
    let Some(s) = bytes_to_string(v) else {
        // Items are checked one by one in Suricata; a line that is not
        // UTF-8 as a whole keeps its valid items.
        return v
            .split(|&b| b == b',')
            .filter(|p| !p.is_empty())
            .filter_map(bytes_to_string)
            .map(|s| skip_blanks(&s).to_string())
            .collect();
    };
    s.split(',')
        .filter(|p| !p.is_empty())
        .map(|p| skip_blanks(p).to_string())
        .collect()
}

fn hex16(d: &[u8]) -> String {
    let mut s = String::with_capacity(d.len() * 2);
    for b in d {
        s.push_str(&format!("{b:02x}"));
    }
    s
}

/// The extended / custom email fields Suricata can log: config name, header
/// name, kind (0 plain, 1 comma list, 2 every occurrence), extended.
const EMAIL_FIELDS: &[(&str, &[u8], u8, bool)] = &[
    ("reply_to", b"reply-to", 0, false),
    ("bcc", b"bcc", 1, true),
    ("message_id", b"message-id", 0, true),
    ("subject", b"subject", 0, true),
    ("x_mailer", b"x-mailer", 0, true),
    ("user_agent", b"user-agent", 0, true),
    ("received", b"received", 2, false),
    ("x_originating_ip", b"x-originating-ip", 0, false),
    ("in_reply_to", b"in-reply-to", 0, false),
    ("references", b"references", 0, false),
    ("importance", b"importance", 0, false),
    ("priority", b"priority", 0, false),
    ("sensitivity", b"sensitivity", 0, false),
    ("organization", b"organization", 0, false),
    ("content_md5", b"content-md5", 0, false),
    ("date", b"date", 0, false),
];

#[derive(Clone, Debug, PartialEq, Eq)]
enum FieldValue {
    One(String),
    Many(Vec<String>),
}

/// The `email` object of a transaction at one moment.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
struct Email {
    status: &'static str,
    from: Option<String>,
    to: Option<Vec<String>>,
    cc: Option<Vec<String>>,
    url_flags: Option<(bool, bool, bool)>,
    attachments: Vec<String>,
    urls: Vec<String>,
    custom: Vec<(&'static str, FieldValue)>,
    subject_md5: Option<String>,
    body_md5: Option<String>,
}

fn email_of(m: &MimeParser, log: &LogConfig) -> Option<Email> {
    let msg = m.message();
    let mut e = Email {
        status: m.state().name(),
        ..Email::default()
    };
    if let Some(f) = msg.field(b"from")
        && let Some(s) = bytes_to_string(f)
    {
        e.from = Some(skip_blanks(&s).to_string());
    }
    e.to = msg.field(b"to").map(comma_list).filter(|l| !l.is_empty());
    e.cc = msg.field(b"cc").map(comma_list).filter(|l| !l.is_empty());
    let top = m.top_entity()?;
    if !top.urls.is_empty() {
        let (mut v6, v4, mut exe) = (false, false, false);
        for u in top.urls.iter().rev() {
            if let Some(s) = bytes_to_string(&u.url) {
                e.urls.push(s);
            }
            exe |= u.flags & mime::url_flags::EXE != 0;
            // Suricata 7.0.10 flags IPv4 URLs as `has_ipv6_url` and never
            // sets `has_ipv4_url`.
            v6 |= u.flags & (mime::url_flags::IP6 | mime::url_flags::IP4) != 0;
        }
        e.url_flags = Some((v6, v4, exe));
    }
    for &c in &top.children {
        let Some(child) = m.entity(c) else { continue };
        if child.ctnt & ctnt::ATTACHMENT != 0
            && let Some(s) = bytes_to_string(child.filename.as_deref().unwrap_or(&[]))
        {
            e.attachments.push(s);
        }
        for u in child.urls.iter().rev() {
            if let Some(s) = bytes_to_string(&u.url) {
                e.urls.push(s);
            }
        }
    }
    for (name, header, kind, extended) in EMAIL_FIELDS {
        let wanted = (log.extended && *extended)
            || log
                .custom
                .iter()
                .any(|c| c == name || c.as_bytes().eq_ignore_ascii_case(header));
        if !wanted {
            continue;
        }
        match kind {
            2 => {
                let all: Vec<String> = msg
                    .fields
                    .iter()
                    .rev()
                    .filter(|(n, _)| n.as_slice() == *header)
                    .filter_map(|(_, v)| bytes_to_string(v))
                    .collect();
                if !all.is_empty() {
                    e.custom.push((name, FieldValue::Many(all)));
                }
            }
            1 => {
                if let Some(v) = msg.field(header) {
                    e.custom.push((name, FieldValue::Many(comma_list(v))));
                }
            }
            _ => {
                if let Some(s) = msg.field(header).and_then(bytes_to_string) {
                    e.custom.push((name, FieldValue::One(s)));
                }
            }
        }
    }
    if log.subject_md5
        && let Some(subject) = msg.field(b"subject")
        && let Some(s) = bytes_to_string(subject)
    {
        e.subject_md5 = Some(hex16(&Md5::digest(s.as_bytes())));
    }
    if log.body_md5
        && m.state() == MimeState::ParseDone
        && let Some(d) = m.body_md5()
    {
        e.body_md5 = Some(hex16(&d));
    }
    Some(e)
}

/// The `smtp` and `email` objects of a transaction at one moment.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
struct Snapshot {
    helo: Option<Vec<u8>>,
    mail_from: Option<Vec<u8>>,
    rcpt_to: Vec<Vec<u8>>,
    email: Option<Email>,
}

impl Snapshot {
    fn write(&self, w: &mut JsonWriter<'_>) {
        w.open_object_key("smtp");
        if let Some(s) = self.helo.as_deref().and_then(c_str) {
            w.string("helo", s);
        }
        if let Some(s) = self.mail_from.as_deref().and_then(c_str) {
            w.string("mail_from", s);
        }
        if !self.rcpt_to.is_empty() {
            w.open_array_key("rcpt_to");
            for r in &self.rcpt_to {
                if let Some(s) = c_str(r) {
                    w.array_string(s);
                }
            }
            w.close_array();
        }
        w.close_object();
        let Some(e) = &self.email else { return };
        w.open_object_key("email");
        w.string("status", e.status);
        if let Some(f) = &e.from {
            w.string("from", f);
        }
        for (key, list) in [("to", &e.to), ("cc", &e.cc)] {
            if let Some(list) = list {
                w.open_array_key(key);
                for s in list {
                    w.array_string(s);
                }
                w.close_array();
            }
        }
        if let Some((v6, v4, exe)) = e.url_flags {
            w.boolean("has_ipv6_url", v6);
            w.boolean("has_ipv4_url", v4);
            w.boolean("has_exe_url", exe);
        }
        if !e.attachments.is_empty() {
            w.open_array_key("attachment");
            for s in &e.attachments {
                w.array_string(s);
            }
            w.close_array();
        }
        if !e.urls.is_empty() {
            w.open_array_key("url");
            for s in &e.urls {
                w.array_string(s);
            }
            w.close_array();
        }
        for (key, v) in &e.custom {
            match v {
                FieldValue::One(s) => w.string(key, s),
                FieldValue::Many(list) => {
                    w.open_array_key(key);
                    for s in list {
                        w.array_string(s);
                    }
                    w.close_array();
                }
            }
        }
        if let Some(s) = &e.subject_md5 {
            w.string("subject_md5", s);
        }
        if let Some(s) = &e.body_md5 {
            w.string("body_md5", s);
        }
        w.close_object();
    }
}

/// One SMTP transaction as logged: a mail (or the commands around one).
pub struct SmtpTx {
    id: u64,
    snapshot: Snapshot,
    /// Attachments: name and first [`MAX_FILE_DATA`] decoded bytes.
    files: Vec<(Vec<u8>, Vec<u8>)>,
}

impl SmtpTx {
    /// `helo` of the flow when logged.
    pub fn helo(&self) -> Option<&[u8]> {
        self.snapshot.helo.as_deref()
    }

    /// `mail_from`.
    pub fn mail_from(&self) -> Option<&[u8]> {
        self.snapshot.mail_from.as_deref()
    }

    /// `rcpt_to`.
    pub fn rcpt_to(&self) -> &[Vec<u8>] {
        &self.snapshot.rcpt_to
    }
}

impl Transaction for SmtpTx {
    fn event_type(&self) -> &'static str {
        "smtp"
    }

    fn tx_id(&self) -> Option<u64> {
        Some(self.id)
    }

    fn write_eve(&self, w: &mut JsonWriter<'_>) {
        self.snapshot.write(w);
    }

    fn buffer(&self, name: &str) -> Option<&[u8]> {
        match name {
            "smtp.helo" => self.helo(),
            "smtp.mail_from" => self.mail_from(),
            // Multi-valued: through `buffers`.
            "file.data" | "file_data" | "file.name" => None,
            "smtp.rcpt_to" => self.rcpt_to().first().map(Vec::as_slice),
            _ => None,
        }
    }

    fn buffers(&self, name: &str, f: &mut dyn FnMut(&[u8])) {
        match name {
            "file.data" | "file_data" => self.files.iter().for_each(|x| f(&x.1)),
            "file.name" => self.files.iter().for_each(|x| f(&x.0)),
            "smtp.rcpt_to" => self.rcpt_to().iter().for_each(|r| f(r)),
            _ => {
                if let Some(b) = self.buffer(name) {
                    f(b);
                }
            }
        }
    }
}

/// The `fileinfo` record of an attachment.
pub struct SmtpFileInfo {
    tx_id: u64,
    snapshot: Snapshot,
    filename: Vec<u8>,
    closed: bool,
    size: u64,
}

impl Transaction for SmtpFileInfo {
    fn event_type(&self) -> &'static str {
        "fileinfo"
    }

    fn logs_tx_id(&self) -> bool {
        false
    }

    fn tx_id(&self) -> Option<u64> {
        Some(self.tx_id)
    }

    fn write_eve(&self, w: &mut JsonWriter<'_>) {
        self.snapshot.write(w);
        w.string("app_proto", "smtp");
        w.open_object_key("fileinfo");
        write_bytes(w, "filename", &self.filename);
        w.boolean("gaps", false);
        w.string("state", if self.closed { "CLOSED" } else { "TRUNCATED" });
        w.boolean("stored", false);
        w.uint("size", self.size);
        w.uint("tx_id", self.tx_id);
        w.close_object();
    }
}

/// A transaction being parsed.
struct Tx {
    id: u64,
    done: bool,
    mail_from: Option<Vec<u8>>,
    rcpt_to: Vec<Vec<u8>>,
    mime: Option<Box<MimeParser>>,
    files: Vec<(Vec<u8>, Vec<u8>)>,
    events: usize,
}

/// An attachment being extracted.
struct File {
    tx_id: u64,
    name: Vec<u8>,
    size: u64,
    data: Vec<u8>,
    open: bool,
}

/// What a line leaves the line loop with.
enum Line {
    Ok,
    Error,
}

/// The SMTP parser of one flow.
pub struct SmtpParser {
    config: Arc<SmtpConfig>,
    buf: [Vec<u8>; 2],
    discard_till_lf: [bool; 2],
    state: u8,
    current: Cmd,
    cmds: Vec<Cmd>,
    cmds_idx: usize,
    helo: Option<Vec<u8>>,
    txs: VecDeque<Tx>,
    curr: Option<u64>,
    tx_cnt: u64,
    bdat_len: u64,
    bdat_idx: u64,
    files: Vec<File>,
    /// Files closed during the current data, logged at its end.
    closed_files: Vec<File>,
    dead: bool,
    closed: [bool; 2],
    tls_upgrade: bool,
}

impl Default for SmtpParser {
    fn default() -> Self {
        SmtpParser::new()
    }
}

impl SmtpParser {
    /// A parser with the configured settings ([`configure`]).
    pub fn new() -> SmtpParser {
        SmtpParser::with_config(config())
    }

    /// A parser with `config`.
    pub fn with_config(config: Arc<SmtpConfig>) -> SmtpParser {
        SmtpParser {
            config,
            buf: [Vec::new(), Vec::new()],
            discard_till_lf: [false; 2],
            state: 0,
            current: Cmd::None,
            cmds: Vec::new(),
            cmds_idx: 0,
            helo: None,
            txs: VecDeque::new(),
            curr: None,
            tx_cnt: 0,
            bdat_len: 0,
            bdat_idx: 0,
            files: Vec::new(),
            closed_files: Vec::new(),
            dead: false,
            closed: [false; 2],
            tls_upgrade: false,
        }
    }

    fn curr_tx(&mut self) -> Option<&mut Tx> {
        let id = self.curr?;
        self.txs.iter_mut().find(|t| t.id == id)
    }

    fn event(&mut self, name: &'static str, out: &mut ParseOutput) {
        if let Some(tx) = self.curr_tx()
            && tx.events < MAX_TX_EVENTS
        {
            tx.events += 1;
            let id = tx.id;
            out.tx_event(AppProto::Smtp, name, id);
        }
    }

    fn mime_events(&mut self, out: &mut ParseOutput) {
        let flags = self
            .curr_tx()
            .and_then(|t| t.mime.as_ref())
            .map_or(0, |m| m.message().anomalies);
        for (flag, name) in [
            (anom::INVALID_BASE64, "MIME_INVALID_BASE64"),
            (anom::INVALID_QP, "MIME_INVALID_QP"),
            (anom::LONG_LINE, "MIME_LONG_LINE"),
            (anom::LONG_ENC_LINE, "MIME_LONG_ENC_LINE"),
            (anom::LONG_HEADER_NAME, "MIME_LONG_HEADER_NAME"),
            (anom::LONG_HEADER_VALUE, "MIME_LONG_HEADER_VALUE"),
            (anom::MALFORMED_MSG, "MIME_MALFORMED_MSG"),
            (anom::LONG_BOUNDARY, "MIME_LONG_BOUNDARY"),
            (anom::LONG_FILENAME, "MIME_LONG_FILENAME"),
        ] {
            if flags & flag != 0 {
                self.event(name, out);
            }
        }
    }

    fn new_tx(&mut self) -> Option<u64> {
        if self.txs.len() >= MAX_OPEN_TX {
            return None;
        }
        let id = self.tx_cnt;
        self.tx_cnt += 1;
        self.txs.push_back(Tx {
            id,
            done: false,
            mail_from: None,
            rcpt_to: Vec::new(),
            mime: None,
            files: Vec::new(),
            events: 0,
        });
        self.curr = Some(id);
        Some(id)
    }

    fn complete_curr(&mut self) {
        if let Some(tx) = self.curr_tx() {
            tx.done = true;
        }
    }

    fn snapshot(&self, tx: &Tx) -> Snapshot {
        Snapshot {
            helo: self.helo.clone(),
            mail_from: tx.mail_from.clone(),
            rcpt_to: tx.rcpt_to.clone(),
            email: tx.mime.as_ref().and_then(|m| email_of(m, &self.config.log)),
        }
    }

    /// Logs files closed and transactions finished (all when `everything`)
    /// and forgets the logged transactions.
    fn emit(&mut self, everything: bool, out: &mut ParseOutput) {
        if everything {
            // Files still open are cut short.
            let open: Vec<File> = self.files.drain(..).collect();
            self.closed_files.extend(open);
        }
        for f in std::mem::take(&mut self.closed_files) {
            let snapshot = match self.txs.iter().find(|t| t.id == f.tx_id) {
                Some(tx) => self.snapshot(tx),
                None => Snapshot {
                    helo: self.helo.clone(),
                    ..Snapshot::default()
                },
            };
            out.tx(SmtpFileInfo {
                tx_id: f.tx_id,
                snapshot,
                filename: f.name,
                closed: !f.open,
                size: f.size,
            });
        }
        let mut kept = VecDeque::with_capacity(self.txs.len());
        for tx in std::mem::take(&mut self.txs) {
            if everything || tx.done {
                let snapshot = self.snapshot(&tx);
                if self.curr == Some(tx.id) {
                    self.curr = None;
                }
                out.tx(SmtpTx {
                    id: tx.id,
                    snapshot,
                    files: tx.files,
                });
            } else {
                kept.push_back(tx);
            }
        }
        self.txs = kept;
    }

    /// Suricata's `SMTPGetLine` from `consumed`: the line's start, length
    /// (without its end) and end length; `None` when the line is
    /// incomplete. `lf_found` stays set for the rest of the call.
    fn get_line(
        &mut self,
        d: usize,
        input: &[u8],
        consumed: &mut usize,
        lf_found: &mut bool,
    ) -> Option<(usize, usize, usize)> {
        let rest = input.get(*consumed..).unwrap_or(&[]);
        match memchr::memchr(b'\n', rest) {
            None => {
                if !self.discard_till_lf[d] && rest.len() >= LINE_LIMIT {
                    // Suricata cuts from the start of its input.
                    Some((0, LINE_LIMIT.min(input.len()), 0))
                } else {
                    None
                }
            }
            Some(lf) => {
                let total = lf + 1;
                let start = *consumed;
                *consumed += total;
                *lf_found = true;
                if total >= LINE_LIMIT {
                    return Some((start, LINE_LIMIT, 0));
                }
                if self.discard_till_lf[d] {
                    self.discard_till_lf[d] = false;
                    return Some((start, 0, 0));
                }
                if lf >= 1 && rest.get(lf - 1) == Some(&b'\r') {
                    Some((start, lf - 1, 2))
                } else {
                    Some((start, lf, 1))
                }
            }
        }
    }

    fn parse_dir(&mut self, dir: Direction, data: &[u8], out: &mut ParseOutput) {
        let d = dir.index();
        let mut input = std::mem::take(&mut self.buf[d]);
        input.extend_from_slice(data);
        let mut consumed = 0usize;
        let mut lf_found = false;
        if dir == Direction::ToServer
            && matches!(self.current, Cmd::Data | Cmd::Bdat)
            && self.state & DATA_MODE != 0
        {
            let r = self.preprocess(&input, &mut consumed, out);
            if r == 0 && consumed >= input.len() {
                return;
            }
        }
        loop {
            if consumed >= input.len() {
                break;
            }
            let Some((start, line_len, delim)) =
                self.get_line(d, &input, &mut consumed, &mut lf_found)
            else {
                if !self.discard_till_lf[d] {
                    input.drain(..consumed.min(input.len()));
                    self.buf[d] = input;
                }
                // While discarding, all goes once the LF comes: keep none.
                return;
            };
            let full = input
                .get(start..start + line_len + delim)
                .unwrap_or(&[])
                .to_vec();
            let at_input_start = consumed == 1;
            let r = match dir {
                Direction::ToServer => self.request(&full, line_len, delim, out),
                Direction::ToClient => self.reply(&full, line_len, delim, at_input_start, out),
            };
            if matches!(r, Line::Error) {
                self.dead = true;
                return;
            }
            if delim == 0 && line_len == LINE_LIMIT {
                if !lf_found {
                    self.discard_till_lf[d] = true;
                }
                self.event("TRUNCATED_LINE", out);
                return;
            }
        }
    }

    /// Suricata's `SMTPPreProcessCommands`: message data split at CR, LF or
    /// CRLF, an unterminated tail passed on as a line. Returns 1 to hand
    /// over to the strict line reader (headers, or a possible boundary),
    /// -1 on error, 0 when done.
    fn preprocess(&mut self, input: &[u8], consumed: &mut usize, out: &mut ParseOutput) -> i32 {
        if self
            .curr_tx()
            .and_then(|t| t.mime.as_ref())
            .is_some_and(|m| m.state() < MimeState::HeaderDone)
        {
            return 1;
        }
        let len = input.len();
        let mut delim = 0;
        let mut i = 0;
        while i < len {
            let c = input.get(i).copied().unwrap_or(0);
            let mut complete = false;
            if c == b'\r' {
                if i + 1 < len && input.get(i + 1) == Some(&b'\n') {
                    i += 1;
                    delim += 1;
                }
                delim += 1;
                complete = true;
            } else if c == b'\n' {
                delim += 1;
                complete = true;
            }
            if complete || i + 1 == len {
                let rest = input.get(*consumed..).unwrap_or(&[]);
                if (rest.len() == 1 && rest.first() == Some(&b'-')) || rest.starts_with(b"--") {
                    return 1;
                }
                let total = i + 1;
                let full = input.get(*consumed..total).unwrap_or(&[]).to_vec();
                let line_len = full.len().saturating_sub(delim);
                *consumed = total;
                if matches!(self.request(&full, line_len, delim, out), Line::Error) {
                    return -1;
                }
                delim = 0;
                if self.state & DATA_MODE == 0 {
                    break;
                }
            }
            i += 1;
        }
        0
    }

    fn insert_cmd(&mut self, cmd: Cmd, out: &mut ParseOutput) -> Line {
        if matches!(self.cmds.last(), Some(Cmd::StartTls | Cmd::Data)) {
            self.event("INVALID_PIPELINED_SEQUENCE", out);
        }
        if self.cmds.len() + 1 > MAX_CMDS {
            return Line::Error;
        }
        self.cmds.push(cmd);
        Line::Ok
    }

    fn no_new_tx(&self, line: &[u8]) -> bool {
        self.state & DATA_MODE == 0 && (starts_ci(line, b"rset") || starts_ci(line, b"quit"))
    }

    /// The argument after `prefix_len` bytes and one more, up to a space.
    fn param(line: &[u8], prefix_len: usize) -> Vec<u8> {
        let mut i = prefix_len + 1;
        while line.get(i) == Some(&b' ') {
            i += 1;
        }
        let mut end = i;
        while end < line.len() && line.get(end) != Some(&b' ') {
            end += 1;
        }
        line.get(i..end).unwrap_or(&[]).to_vec()
    }

    /// `BDAT <size>`: the chunk size as C's `strtoul` reads it.
    fn bdat_size(line: &[u8]) -> Option<u64> {
        let mut i = 4;
        while line.get(i) == Some(&b' ') {
            i += 1;
        }
        if i == 4 || i == line.len() {
            return None;
        }
        let s = line.get(i..line.len().min(i + 23)).unwrap_or(&[]);
        let mut j = s
            .iter()
            .position(|&b| !crate::it::text::is_c_space(b))
            .unwrap_or(s.len());
        let neg = match s.get(j) {
            Some(b'-') => {
                j += 1;
                true
            }
            Some(b'+') => {
                j += 1;
                false
            }
            _ => false,
        };
        let digits = s.get(j..).unwrap_or(&[]);
        let n = digits.iter().take_while(|b| b.is_ascii_digit()).count();
        if n == 0 {
            return None;
        }
        let v = digits.iter().take(n).fold(0u64, |acc, &b| {
            acc.checked_mul(10)
                .and_then(|a| a.checked_add(u64::from(b - b'0')))
                .unwrap_or(u64::MAX)
        });
        let v = if neg { v.wrapping_neg() } else { v };
        // Stored in 32 bits.
        Some(v & 0xffff_ffff)
    }

    fn request(&mut self, full: &[u8], len: usize, delim: usize, out: &mut ParseOutput) -> Line {
        let line = full.get(..len).unwrap_or(&[]);
        if len == 0 && delim == 0 {
            // The end of a cut line.
            return Line::Ok;
        }
        let need_new = match self
            .curr
            .and_then(|id| self.txs.iter().find(|t| t.id == id))
        {
            None => true,
            Some(tx) => tx.done && !self.no_new_tx(line),
        };
        if need_new && self.new_tx().is_none() {
            return Line::Error;
        }
        if self.state & FIRST_REPLY_SEEN == 0 {
            self.event("NO_SERVER_WELCOME_MESSAGE", out);
        }
        if self.state & DATA_MODE == 0 {
            if starts_ci(line, b"starttls") {
                self.current = Cmd::StartTls;
            } else if starts_ci(line, b"data") {
                self.current = Cmd::Data;
                if self.config.decode_mime {
                    if self.curr_tx().is_some_and(|t| t.mime.is_some()) {
                        // A second message before the first ended.
                        if let Some(m) = self.curr_tx().and_then(|t| t.mime.as_mut()) {
                            m.set_error();
                        }
                        self.event("UNPARSABLE_CONTENT", out);
                        if self.new_tx().is_none() {
                            return Line::Error;
                        }
                    }
                    let mime = MimeParser::new(self.config.mime.clone());
                    if let Some(tx) = self.curr_tx() {
                        tx.mime = Some(Box::new(mime));
                    }
                }
                if self.state & PIPELINING_SERVER != 0 {
                    self.state |= DATA_MODE;
                }
            } else if starts_ci(line, b"bdat") {
                let Some(size) = Self::bdat_size(line) else {
                    return Line::Error;
                };
                self.bdat_len = size;
                self.current = Cmd::Bdat;
                self.state |= DATA_MODE;
            } else if starts_ci(line, b"helo") || starts_ci(line, b"ehlo") {
                if self.helo.is_some() {
                    self.event("DUPLICATE_FIELDS", out);
                } else {
                    self.helo = Some(Self::param(line, 4));
                }
                self.current = Cmd::Other;
            } else if starts_ci(line, b"mail from") {
                if self.curr_tx().is_some_and(|t| t.mail_from.is_some()) {
                    self.event("DUPLICATE_FIELDS", out);
                } else {
                    let v = Self::param(line, 9);
                    if let Some(tx) = self.curr_tx() {
                        tx.mail_from = Some(v);
                    }
                }
                self.current = Cmd::Other;
            } else if starts_ci(line, b"rcpt to") {
                let v = Self::param(line, 7);
                if let Some(tx) = self.curr_tx()
                    && tx.rcpt_to.len() < MAX_RCPT
                {
                    tx.rcpt_to.push(v);
                }
                self.current = Cmd::Other;
            } else if starts_ci(line, b"rset") {
                self.bdat_idx = 0;
                self.current = Cmd::Rset;
            } else {
                self.current = Cmd::Other;
            }
            return self.insert_cmd(self.current, out);
        }
        match self.current {
            Cmd::Data => self.data_line(full, len, delim, out),
            Cmd::Bdat => {
                self.bdat_idx = self.bdat_idx.saturating_add((len + delim) as u64);
                if self.bdat_idx > self.bdat_len {
                    self.state &= !DATA_MODE;
                    self.event("BDAT_CHUNK_LEN_EXCEEDED", out);
                    return Line::Error;
                } else if self.bdat_idx == self.bdat_len {
                    self.state &= !DATA_MODE;
                }
                Line::Ok
            }
            _ => Line::Ok,
        }
    }

    fn data_line(&mut self, full: &[u8], len: usize, delim: usize, out: &mut ParseOutput) -> Line {
        if self.state & DATA_MODE == 0 {
            return Line::Ok;
        }
        if len == 1 && full.first() == Some(&b'.') {
            self.state &= !DATA_MODE;
            // The reply to the message is matched against this.
            if matches!(self.insert_cmd(Cmd::DataMode, out), Line::Error) {
                return Line::Error;
            }
            if self.config.decode_mime {
                let r = self
                    .curr_tx()
                    .and_then(|t| t.mime.as_mut())
                    .map(|m| m.complete());
                self.take_chunks();
                if let Some(r) = r {
                    if r.is_err() {
                        self.event("MIME_PARSE_FAILED", out);
                    }
                    self.mime_events(out);
                }
            }
            self.complete_curr();
        }
        if self.current == Cmd::Data && self.state & DATA_MODE != 0 && self.config.decode_mime {
            let r = self
                .curr_tx()
                .and_then(|t| t.mime.as_mut())
                .map(|m| m.parse_line(full, delim));
            self.take_chunks();
            if let Some(Err(e)) = r
                && e != mime::MimeError::State
            {
                self.mime_events(out);
                self.event("MIME_PARSE_FAILED", out);
            }
        }
        Line::Ok
    }

    /// Attachments out of the decoded chunks (Suricata's
    /// `SMTPProcessDataChunk`).
    fn take_chunks(&mut self) {
        let chunks: Vec<Chunk> = self
            .curr_tx()
            .and_then(|t| t.mime.as_mut())
            .map(|m| m.take_chunks())
            .unwrap_or_default();
        let tx_id = self.curr.unwrap_or(0);
        for c in chunks {
            let Some(name) = c.attachment else { continue };
            if c.begin {
                let mut f = File {
                    tx_id,
                    name,
                    size: c.data.len() as u64,
                    data: Vec::new(),
                    open: true,
                };
                keep_file_data(&mut f.data, &c.data);
                self.files.push(f);
                if c.end {
                    self.close_last_file();
                }
            } else if c.end {
                if let Some(f) = self.files.last_mut()
                    && f.open
                {
                    f.size += c.data.len() as u64;
                    keep_file_data(&mut f.data, &c.data);
                }
                self.close_last_file();
            } else if let Some(f) = self.files.last_mut()
                && f.open
            {
                f.size += c.data.len() as u64;
                keep_file_data(&mut f.data, &c.data);
            }
        }
    }

    fn close_last_file(&mut self) {
        if self.files.last().is_some_and(|f| f.open)
            && let Some(mut f) = self.files.pop()
        {
            f.open = false;
            if let Some(tx) = self.txs.iter_mut().find(|t| t.id == f.tx_id) {
                tx.files.push((f.name.clone(), f.data.clone()));
            }
            self.closed_files.push(f);
        }
    }

    fn reply(
        &mut self,
        full: &[u8],
        len: usize,
        delim: usize,
        at_input_start: bool,
        out: &mut ParseOutput,
    ) -> Line {
        let line = full.get(..len).unwrap_or(&[]);
        if len == 0 && at_input_start && delim == 1 {
            return Line::Ok;
        }
        // Unlike a request, the empty line ending a cut reply is not
        // skipped: it is an invalid reply (Suricata 7.0.10, sv
        // smtp-bug-6053).
        if len < 3 {
            self.event("INVALID_REPLY", out);
            return Line::Error;
        }
        if len >= 4 {
            if self.state & MULTILINE_REPLY != 0 {
                if line.get(3) != Some(&b'-') {
                    self.state &= !MULTILINE_REPLY;
                }
            } else if line.get(3) == Some(&b'-') {
                self.state |= MULTILINE_REPLY;
            }
        } else {
            self.state &= !MULTILINE_REPLY;
        }
        let Some(code) = line
            .get(..3)
            .and_then(|c| REPLY_CODES.iter().find(|r| r.as_slice() == c))
        else {
            self.event("INVALID_REPLY", out);
            return Line::Error;
        };
        let code: &[u8] = code.as_slice();
        if self.cmds_idx == self.cmds.len() {
            if self.state & FIRST_REPLY_SEEN == 0 {
                if self.state & MULTILINE_REPLY == 0 {
                    self.state |= FIRST_REPLY_SEEN;
                }
                if code != b"220" {
                    self.event("INVALID_REPLY", out);
                }
            }
            return Line::Ok;
        }
        match self.cmds.get(self.cmds_idx) {
            Some(Cmd::StartTls) => {
                if code == b"220" {
                    self.state |= DATA_MODE;
                    self.tls_upgrade = true;
                    self.complete_curr();
                } else {
                    self.event("TLS_REJECTED", out);
                }
            }
            Some(Cmd::Data) => {
                if code == b"354" {
                    self.state |= DATA_MODE;
                } else {
                    self.event("DATA_COMMAND_REJECTED", out);
                }
            }
            Some(Cmd::Rset) if code == b"250" && self.state & MULTILINE_REPLY == 0 => {
                self.complete_curr();
            }
            _ => {}
        }
        if self.state & MULTILINE_REPLY == 0 {
            self.cmds_idx += 1;
        } else if self.state & FIRST_REPLY_SEEN != 0
            && code == b"250"
            && len == 14
            && line
                .get(4..14)
                .is_some_and(|w| w.eq_ignore_ascii_case(b"pipelining"))
        {
            self.state |= PIPELINING_SERVER;
        }
        if self.cmds_idx == self.cmds.len() {
            self.cmds.clear();
            self.cmds_idx = 0;
        }
        Line::Ok
    }
}

fn keep_file_data(keep: &mut Vec<u8>, data: &[u8]) {
    let room = MAX_FILE_DATA.saturating_sub(keep.len());
    keep.extend_from_slice(data.get(..room.min(data.len())).unwrap_or(&[]));
}

impl AppParser for SmtpParser {
    fn parse(&mut self, dir: Direction, data: &[u8], out: &mut ParseOutput) {
        if self.dead || data.is_empty() {
            return;
        }
        self.parse_dir(dir, data, out);
        if self.dead {
            self.buf = [Vec::new(), Vec::new()];
            self.emit(true, out);
            return;
        }
        self.emit(false, out);
        if self.tls_upgrade {
            self.tls_upgrade = false;
            out.change_protocol(Some(AppProto::Tls), 0);
        }
    }

    fn gap(&mut self, _dir: Direction, _len: u64, out: &mut ParseOutput) {
        // Suricata's SMTP parser does not take gaps: parsing stops and
        // open transactions are logged.
        if !self.dead {
            self.dead = true;
            self.buf = [Vec::new(), Vec::new()];
            self.emit(true, out);
        }
    }

    fn close(&mut self, dir: Direction, out: &mut ParseOutput) {
        self.closed[dir.index()] = true;
        if self.closed == [true; 2] && !self.dead {
            // Both streams ended: Suricata logs what is open.
            self.emit(true, out);
        }
    }

    fn finish(&mut self, out: &mut ParseOutput) {
        self.emit(true, out);
    }
}

/// The text Suricata writes for a header value (for tests and tools).
pub fn header_text(v: &[u8]) -> String {
    string_from_bytes(v).into_owned()
}
