//! FTP control connections and FTP data connections (`ftp-data`), as
//! Suricata 7.0 parses and logs them (`app-layer-ftp.c`,
//! `output-json-ftp.c`, `rust/src/ftp`).
//!
//! - Detection: Suricata's patterns only, at the start of a direction,
//!   case-insensitive: `USER `, `PASS `, `PORT `, `FEAT` from the client,
//!   `220 (` from the server. A server banner of another shape is not
//!   recognised: the flow is detected from the client's first command and
//!   the server direction is parsed anyway (`app_proto_tc: failed`), as in
//!   Suricata.
//! - Lines end at LF (an optional CR before it is dropped). A line reaching
//!   [`max_line_len`] bytes (4096 by default,
//!   `app-layer.protocols.ftp.max-line-length`) is cut there and flagged
//!   truncated; what follows it up to the next LF is dropped.
//! - A request line is a transaction when it contains a known command
//!   (Suricata matches its command list anywhere in the line, first match
//!   wins); other lines only reset the current command. Replies go to the
//!   oldest transaction still waiting for a final reply (a `1xy ` reply is
//!   preliminary and keeps it open); a reply with no transaction makes one
//!   (the server banner).
//! - PORT/EPRT (on the reply) and PASV/EPSV (`227`/`229` replies) set the
//!   dynamic port; the next STOR or RETR announces the data connection to
//!   the worker's expectation table ([`crate::expect`]): the flow that then
//!   joins the same addresses on that port with data in the transfer's
//!   direction becomes `ftp-data` ([`data`]). A STOR or RETR without a
//!   dynamic port (or without a file name) stops the parser, as Suricata's
//!   parser error does: open transactions are logged then.
//! - `AUTH TLS` answered by `234 ` hands the flow to TLS.
//! - Bounds: at most 1024 transactions waiting for replies (Suricata's
//!   `max-tx`) and [`FLOW_MEMCAP`] bytes of stored requests and replies per
//!   flow; past either, the parser stops as Suricata's does on allocation
//!   failure.
//!
//! EVE: an `ftp` record per transaction when its final reply is parsed (at
//! the end of the data that completed it), or at the end of the flow.
//! Anomalies (transaction events): `request_command_too_long`,
//! `response_command_too_long`.
//!
//! Rule buffers and fields: `ftp.command`, `ftp.command_data` (Suricata 8's
//! sticky buffers: the command name, and the request after it);
//! `ftp.port_ip` (integer): the IPv4 address a PORT command announces, read
//! as Suricata's `ftpbounce` reads it (the keyword matches when it differs
//! from the flow's source address). The data connection's buffers are in
//! [`data`].

pub mod data;
#[cfg(test)]
mod tests;

use crate::expect::Expectation;
use crate::it::text::{append_bytes, is_c_space, trim_end_c_space, write_bytes};
use crate::{
    AppParser, AppProto, Direction, ParseOutput, Probe, ProtoInfo, Transaction, Transport,
};
use data::{FtpDataParser, Transfer};
use std::collections::VecDeque;
use std::sync::atomic::{AtomicUsize, Ordering};
use vigil_eve::JsonWriter;

/// Registration of ftp.
pub static INFO: ProtoInfo = ProtoInfo {
    proto: AppProto::Ftp,
    tcp_ports: &[21],
    udp_ports: &[],
    probe_tcp: Some(probe),
    probe_udp: None,
    port_only: false,
    new_parser,
};

/// Registration of ftp-data: never detected by content, only as an
/// expected flow.
pub static DATA_INFO: ProtoInfo = ProtoInfo {
    proto: AppProto::FtpData,
    tcp_ports: &[],
    udp_ports: &[],
    probe_tcp: None,
    probe_udp: None,
    port_only: true,
    new_parser: data::new_parser,
};

/// Default longest line (Suricata's `ftp_max_line_len`).
pub const DEFAULT_MAX_LINE_LEN: usize = 4096;
/// Transactions waiting for a reply before the parser gives up (Suricata's
/// `ftp_config_maxtx`).
pub const MAX_TX: u64 = 1024;
/// Bytes of requests and replies stored per flow.
pub const FLOW_MEMCAP: usize = 1 << 20;
/// Replies kept per transaction.
pub const MAX_REPLIES_PER_TX: usize = 256;

static MAX_LINE_LEN: AtomicUsize = AtomicUsize::new(DEFAULT_MAX_LINE_LEN);

/// Sets the longest line for parsers created afterwards
/// (`app-layer.protocols.ftp.max-line-length`; at least 1).
pub fn set_max_line_len(len: usize) {
    MAX_LINE_LEN.store(len.max(1), Ordering::Relaxed);
}

/// The configured longest line.
pub fn max_line_len() -> usize {
    MAX_LINE_LEN.load(Ordering::Relaxed)
}

fn new_parser(_transport: Transport) -> Box<dyn AppParser> {
    Box::new(FtpParser::new())
}

/// Content prober: Suricata's FTP patterns at offset 0, case-insensitive.
pub fn probe(dir: Direction, data: &[u8]) -> Probe {
    let patterns: &[&[u8]] = match dir {
        Direction::ToServer => &[b"USER ", b"PASS ", b"PORT ", b"FEAT"],
        Direction::ToClient => &[b"220 ("],
    };
    let mut need_more = false;
    for p in patterns {
        let n = data.len().min(p.len());
        let (Some(have), Some(want)) = (data.get(..n), p.get(..n)) else {
            continue;
        };
        if have.eq_ignore_ascii_case(want) {
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

/// An FTP command Suricata knows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Command {
    Port,
    Eprt,
    AuthTls,
    Pasv,
    Retr,
    Epsv,
    Stor,
    Other(&'static str),
}

/// Suricata's command list, in its order (the order breaks no tie: no name
/// ends another).
const COMMANDS: &[(&str, Command)] = &[
    ("PORT", Command::Port),
    ("EPRT", Command::Eprt),
    ("AUTH TLS", Command::AuthTls),
    ("PASV", Command::Pasv),
    ("RETR", Command::Retr),
    ("EPSV", Command::Epsv),
    ("STOR", Command::Stor),
    ("ABOR", Command::Other("ABOR")),
    ("ACCT", Command::Other("ACCT")),
    ("ALLO", Command::Other("ALLO")),
    ("APPE", Command::Other("APPE")),
    ("CDUP", Command::Other("CDUP")),
    ("CHMOD", Command::Other("CHMOD")),
    ("CWD", Command::Other("CWD")),
    ("DELE", Command::Other("DELE")),
    ("HELP", Command::Other("HELP")),
    ("IDLE", Command::Other("IDLE")),
    ("LIST", Command::Other("LIST")),
    ("MAIL", Command::Other("MAIL")),
    ("MDTM", Command::Other("MDTM")),
    ("MKD", Command::Other("MKD")),
    ("MLFL", Command::Other("MLFL")),
    ("MODE", Command::Other("MODE")),
    ("MRCP", Command::Other("MRCP")),
    ("MRSQ", Command::Other("MRSQ")),
    ("MSAM", Command::Other("MSAM")),
    ("MSND", Command::Other("MSND")),
    ("MSOM", Command::Other("MSOM")),
    ("NLST", Command::Other("NLST")),
    ("NOOP", Command::Other("NOOP")),
    ("PASS", Command::Other("PASS")),
    ("PWD", Command::Other("PWD")),
    ("QUIT", Command::Other("QUIT")),
    ("REIN", Command::Other("REIN")),
    ("REST", Command::Other("REST")),
    ("RMD", Command::Other("RMD")),
    ("RNFR", Command::Other("RNFR")),
    ("RNTO", Command::Other("RNTO")),
    ("SITE", Command::Other("SITE")),
    ("SIZE", Command::Other("SIZE")),
    ("SMNT", Command::Other("SMNT")),
    ("STAT", Command::Other("STAT")),
    ("STOU", Command::Other("STOU")),
    ("STRU", Command::Other("STRU")),
    ("SYST", Command::Other("SYST")),
    ("TYPE", Command::Other("TYPE")),
    ("UMASK", Command::Other("UMASK")),
    ("USER", Command::Other("USER")),
];

impl Command {
    /// The name Suricata logs.
    pub fn name(self) -> &'static str {
        match self {
            Command::Port => "PORT",
            Command::Eprt => "EPRT",
            Command::AuthTls => "AUTH TLS",
            Command::Pasv => "PASV",
            Command::Retr => "RETR",
            Command::Epsv => "EPSV",
            Command::Stor => "STOR",
            Command::Other(n) => n,
        }
    }
}

/// The command Suricata's pattern matcher finds in `line`: any command name
/// anywhere, case-insensitive; the one ending first wins.
pub fn find_command(line: &[u8]) -> Option<Command> {
    let mut best: Option<(usize, Command)> = None;
    for start in 0..line.len() {
        // Names are at least 3 bytes: nothing starting here ends earlier
        // than a match already found.
        if best.is_some_and(|(end, _)| start + 3 > end) {
            break;
        }
        let Some(first) = line.get(start).map(u8::to_ascii_uppercase) else {
            break;
        };
        for (name, cmd) in COMMANDS {
            let name = name.as_bytes();
            if name.first() != Some(&first) {
                continue;
            }
            let end = start + name.len();
            if best.is_some_and(|(e, _)| e <= end) {
                continue;
            }
            if line
                .get(start..end)
                .is_some_and(|w| w.eq_ignore_ascii_case(name))
            {
                best = Some((end, *cmd));
            }
        }
    }
    best.map(|(_, c)| c)
}

/// One stored reply line.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Reply {
    /// The line without its end and trailing blanks.
    text: Vec<u8>,
    truncated: bool,
}

/// One FTP transaction: a request and its replies (or a reply alone, as the
/// server banner).
#[derive(Clone, Debug, Default)]
pub struct FtpTx {
    id: u64,
    command: Option<Command>,
    /// The request line without its end and trailing blanks.
    request: Vec<u8>,
    request_truncated: bool,
    replies: Vec<Reply>,
    dyn_port: u16,
    active: bool,
    done: bool,
}

impl FtpTx {
    /// The command (`None` for a reply without request).
    pub fn command(&self) -> Option<Command> {
        self.command
    }

    /// The request after the command name and one separator, when longer
    /// than that (the logged `command_data`).
    pub fn command_data(&self) -> Option<&[u8]> {
        let cmd = self.command?;
        let min = cmd.name().len() + 1;
        if self.request.len() + 1 > min {
            self.request.get(min..)
        } else {
            None
        }
    }

    /// The IPv4 address of a PORT request as Suricata's `ftpbounce` reads
    /// it: the first four comma-separated numbers after the command.
    pub fn port_ip(&self) -> Option<u32> {
        if self.command != Some(Command::Port) {
            return None;
        }
        bounce_ip(&self.request)
    }
}

/// Suricata's `DetectFtpbounceMatchArgs` reading of a PORT line: skip to
/// the first digit, then four numbers each followed by a comma (blanks
/// allowed before it, a number up to 256 and four digits).
fn bounce_ip(line: &[u8]) -> Option<u32> {
    if line.len() <= 7 {
        return None;
    }
    let mut i = line.iter().position(u8::is_ascii_digit)?;
    let mut octet: u32 = 0;
    let mut digits = 0;
    let mut octets = 0;
    let mut ip: u32 = 0;
    while i < line.len() && digits < 4 {
        let c = *line.get(i)?;
        if c.is_ascii_digit() {
            octet = octet.wrapping_mul(10).wrapping_add(u32::from(c - b'0'));
            digits += 1;
        } else {
            if octet > 256 {
                return None;
            }
            while line.get(i).copied().is_some_and(is_c_space) {
                i += 1;
            }
            if line.get(i) != Some(&b',') {
                return None;
            }
            octets += 1;
            digits = 0;
            ip = (ip << 8).wrapping_add(octet);
            octet = 0;
            if octets == 4 {
                return Some(ip);
            }
        }
        i += 1;
    }
    None
}

impl Transaction for FtpTx {
    fn event_type(&self) -> &'static str {
        "ftp"
    }

    fn tx_id(&self) -> Option<u64> {
        Some(self.id)
    }

    fn write_eve(&self, w: &mut JsonWriter<'_>) {
        w.open_object_key("ftp");
        if let Some(cmd) = self.command {
            w.string("command", cmd.name());
            if let Some(data) = self.command_data() {
                write_bytes(w, "command_data", data);
                w.boolean("command_truncated", self.request_truncated);
            }
        }
        // Each reply line: a leading three-digit completion code (and the
        // separator after it) goes to `completion_code`, the rest to
        // `reply`. A line starting with NUL is skipped (C string).
        let lines = || {
            self.replies
                .iter()
                .filter(|r| r.text.first().is_some_and(|&b| b != 0))
        };
        let code =
            |t: &[u8]| t.len() >= 3 && t.get(..3).is_some_and(|c| c.iter().all(u8::is_ascii_digit));
        if lines().any(|r| code(&r.text)) {
            w.open_array_key("completion_code");
            for r in lines().filter(|r| code(&r.text)) {
                append_bytes(w, r.text.get(..3).unwrap_or(&[]));
            }
            w.close_array();
        }
        let text_of = |t: &[u8]| -> Option<Vec<u8>> {
            let offset = if code(t) { 4 } else { 0 };
            t.get(offset..).map(<[u8]>::to_vec)
        };
        if lines().any(|r| text_of(&r.text).is_some()) {
            w.open_array_key("reply");
            for r in lines() {
                if let Some(t) = text_of(&r.text) {
                    append_bytes(w, &t);
                }
            }
            w.close_array();
        }
        if self.dyn_port != 0 {
            w.uint("dynamic_port", u64::from(self.dyn_port));
        }
        if matches!(self.command, Some(Command::Port | Command::Eprt)) {
            w.string("mode", if self.active { "active" } else { "passive" });
        }
        w.string("reply_received", if self.done { "yes" } else { "no" });
        w.boolean("reply_truncated", self.replies.iter().any(|r| r.truncated));
        w.close_object();
    }

    fn buffer(&self, name: &str) -> Option<&[u8]> {
        match name {
            "ftp.command" => self.command.map(|c| c.name().as_bytes()),
            "ftp.command_data" => self.command_data(),
            _ => None,
        }
    }

    fn uints(&self, name: &str, f: &mut dyn FnMut(u64)) {
        if name == "ftp.port_ip"
            && let Some(ip) = self.port_ip()
        {
            f(u64::from(ip));
        }
    }
}

/// What handling one line tells the line loop.
enum Next {
    Continue,
    /// Stop: the rest of the data is dropped (a line at the length limit).
    Break,
    /// Suricata's parser error: the parser stops for good.
    Error,
}

/// Port of `PORT h1,h2,h3,h4,p1,p2` (Suricata's `ftp_active_port`): `PORT`
/// (case-sensitive), blanks, digits, blanks, then `,d,d,d,` and two numbers
/// up to 255.
pub fn active_port(line: &[u8]) -> u16 {
    let Some(rest) = line.strip_prefix(b"PORT") else {
        return 0;
    };
    let mut c = Cursor(rest);
    c.skip_spaces();
    if !c.digits() {
        return 0;
    }
    c.skip_spaces();
    for _ in 0..3 {
        if !c.tag(b",") || !c.digits() {
            return 0;
        }
    }
    if !c.tag(b",") {
        return 0;
    }
    let Some(hi) = c.number().filter(|v| *v <= 255) else {
        return 0;
    };
    if !c.tag(b",") {
        return 0;
    }
    let Some(lo) = c.number().filter(|v| *v <= 255) else {
        return 0;
    };
    (hi * 256 + lo) as u16
}

/// Port of a `227 ... (h1,h2,h3,h4,p1,p2)` reply (Suricata's
/// `ftp_pasv_response`).
pub fn pasv_port(line: &[u8]) -> u16 {
    let Some(rest) = line.strip_prefix(b"227") else {
        return 0;
    };
    let Some(open) = memchr::memchr(b'(', rest) else {
        return 0;
    };
    let mut c = Cursor(rest.get(open + 1..).unwrap_or(&[]));
    for _ in 0..4 {
        if !c.digits() || !c.tag(b",") {
            return 0;
        }
    }
    let Some(hi) = c.number().filter(|v| *v <= 255) else {
        return 0;
    };
    if !c.tag(b",") {
        return 0;
    }
    let Some(lo) = c.number().filter(|v| *v <= 255) else {
        return 0;
    };
    if !c.tag(b")") {
        return 0;
    }
    (hi * 256 + lo) as u16
}

/// Port of a `229 ... (|||port|)` reply (Suricata's `ftp_epsv_response`).
pub fn epsv_port(line: &[u8]) -> u16 {
    let Some(rest) = line.strip_prefix(b"229") else {
        return 0;
    };
    let Some(at) = memchr::memmem::find(rest, b"|||") else {
        return 0;
    };
    let mut c = Cursor(rest.get(at + 3..).unwrap_or(&[]));
    match c.number() {
        Some(p) if p <= u32::from(u16::MAX) && c.tag(b"|)") => p as u16,
        _ => 0,
    }
}

/// Port of `EPRT |proto|address|port|` (Suricata's `ftp_active_eprt`).
pub fn eprt_port(line: &[u8]) -> u16 {
    let Some(mut rest) = line.strip_prefix(b"EPRT") else {
        return 0;
    };
    for _ in 0..3 {
        let Some(bar) = memchr::memchr(b'|', rest) else {
            return 0;
        };
        rest = rest.get(bar + 1..).unwrap_or(&[]);
    }
    let mut c = Cursor(rest);
    match c.number() {
        Some(p) if p <= u32::from(u16::MAX) && c.tag(b"|") => p as u16,
        _ => 0,
    }
}

/// A tiny reader for the port grammars.
struct Cursor<'a>(&'a [u8]);

impl Cursor<'_> {
    fn skip_spaces(&mut self) {
        while let Some((&b, rest)) = self.0.split_first() {
            if !is_c_space(b) {
                break;
            }
            self.0 = rest;
        }
    }

    fn tag(&mut self, t: &[u8]) -> bool {
        match self.0.strip_prefix(t) {
            Some(rest) => {
                self.0 = rest;
                true
            }
            None => false,
        }
    }

    /// One or more digits.
    fn digits(&mut self) -> bool {
        let n = self.0.iter().take_while(|b| b.is_ascii_digit()).count();
        self.0 = self.0.get(n..).unwrap_or(&[]);
        n > 0
    }

    /// Digits read as a number (`None` when absent or past `u32`).
    fn number(&mut self) -> Option<u32> {
        let n = self.0.iter().take_while(|b| b.is_ascii_digit()).count();
        let digits = self.0.get(..n)?;
        self.0 = self.0.get(n..).unwrap_or(&[]);
        if n == 0 {
            return None;
        }
        digits.iter().try_fold(0u32, |acc, &d| {
            acc.checked_mul(10)?.checked_add(u32::from(d - b'0'))
        })
    }
}

/// Suricata's preliminary reply: `1yz` and a blank.
fn is_preliminary(line: &[u8]) -> bool {
    matches!(line, [b'1', b, c, d, ..] if b.is_ascii_digit() && c.is_ascii_digit() && is_c_space(*d))
}

/// The FTP control-connection parser of one flow.
pub struct FtpParser {
    max_line: usize,
    /// Unconsumed bytes per direction (an incomplete line).
    buf: [Vec<u8>; 2],
    /// A line was cut at the limit: drop up to the next LF.
    truncated: [bool; 2],
    /// Transactions not logged yet, oldest first.
    txs: VecDeque<FtpTx>,
    tx_cnt: u64,
    /// The last request's command (`None`: unknown).
    command: Option<Command>,
    /// The last PORT/EPRT request line.
    port_line: Vec<u8>,
    dyn_port: u16,
    active: bool,
    /// Bytes of requests and replies stored.
    mem: usize,
    /// Parser error: no more parsing.
    dead: bool,
    /// `234` answered AUTH TLS: hand the flow to TLS after this data.
    tls_upgrade: bool,
    /// Streams ended.
    closed: [bool; 2],
}

impl Default for FtpParser {
    fn default() -> Self {
        FtpParser::new()
    }
}

impl FtpParser {
    /// A parser with the configured line limit.
    pub fn new() -> FtpParser {
        FtpParser::with_max_line_len(max_line_len())
    }

    /// A parser with line limit `max_line` (at least 1).
    pub fn with_max_line_len(max_line: usize) -> FtpParser {
        FtpParser {
            max_line: max_line.max(1),
            buf: [Vec::new(), Vec::new()],
            truncated: [false; 2],
            txs: VecDeque::new(),
            tx_cnt: 0,
            command: None,
            port_line: Vec::new(),
            dyn_port: 0,
            active: false,
            mem: 0,
            dead: false,
            tls_upgrade: false,
            closed: [false; 2],
        }
    }

    /// Runs Suricata's line loop over `input` (unconsumed bytes and the new
    /// data). Returns how much to keep for next time (an incomplete line),
    /// `None` when everything is consumed.
    fn lines(&mut self, dir: Direction, input: &[u8], out: &mut ParseOutput) -> Option<usize> {
        let d = dir.index();
        let max = self.max_line;
        let mut consumed = 0usize;
        // Suricata's line state is per call: once a line ended with LF,
        // later cut lines of the same call count as ended too.
        let mut lf_found = false;
        let mut lasttx = 0usize;
        loop {
            let rest = input.get(consumed..).unwrap_or(&[]);
            if rest.is_empty() {
                return None;
            }
            let line = match memchr::memchr(b'\n', rest) {
                None => {
                    if !self.truncated[d] && rest.len() >= max {
                        self.truncated[d] = true;
                        // Suricata cuts from the start of its input (not of
                        // the unconsumed part) and drops the rest.
                        consumed = input.len();
                        input.get(..max).unwrap_or(input)
                    } else {
                        if self.truncated[d] {
                            // All of it goes when the LF comes: keep none.
                            return None;
                        }
                        return Some(consumed);
                    }
                }
                Some(_) if self.truncated[d] => {
                    // The end of a cut line: it and the rest of the data go.
                    self.truncated[d] = false;
                    return None;
                }
                Some(lf) => {
                    let total = lf + 1;
                    consumed += total;
                    lf_found = true;
                    if total >= max {
                        self.truncated[d] = true;
                        rest.get(..max).unwrap_or(rest)
                    } else {
                        let end = if lf >= 1 && rest.get(lf - 1) == Some(&b'\r') {
                            lf - 1
                        } else {
                            lf
                        };
                        rest.get(..end).unwrap_or(&[])
                    }
                }
            };
            let next = match dir {
                Direction::ToServer => self.request(line, lf_found, out),
                Direction::ToClient => self.reply(line, lf_found, &mut lasttx, out),
            };
            match next {
                Next::Continue => {}
                Next::Break => return None,
                Next::Error => {
                    self.dead = true;
                    return None;
                }
            }
        }
    }

    fn new_tx(&mut self) -> Option<FtpTx> {
        if let Some(first) = self.txs.front()
            && self.tx_cnt - first.id > MAX_TX
        {
            return None;
        }
        let tx = FtpTx {
            id: self.tx_cnt,
            ..FtpTx::default()
        };
        self.tx_cnt += 1;
        Some(tx)
    }

    fn request(&mut self, line: &[u8], lf_found: bool, out: &mut ParseOutput) -> Next {
        let Some(cmd) = find_command(line) else {
            self.command = None;
            return Next::Continue;
        };
        self.command = Some(cmd);
        let trimmed = trim_end_c_space(line);
        if self.mem + trimmed.len() > FLOW_MEMCAP {
            return Next::Error;
        }
        let Some(mut tx) = self.new_tx() else {
            return Next::Error;
        };
        self.mem += trimmed.len();
        tx.command = Some(cmd);
        tx.request = trimmed.to_vec();
        tx.request_truncated = self.truncated[Direction::ToServer.index()];
        if lf_found {
            self.truncated[Direction::ToServer.index()] = false;
        }
        if tx.request_truncated {
            out.tx_event(AppProto::Ftp, "request_command_too_long", tx.id);
        }
        // Direction of the data in the data connection: towards its
        // responder unless the server sends a passive download or the
        // client an active upload.
        let data_dir =
            if (self.active && cmd == Command::Stor) || (!self.active && cmd == Command::Retr) {
                Direction::ToClient
            } else {
                Direction::ToServer
            };
        let mut next = if trimmed.len() >= self.max_line {
            Next::Break
        } else {
            Next::Continue
        };
        match cmd {
            Command::Port | Command::Eprt => {
                self.port_line.clear();
                self.port_line.extend_from_slice(trimmed);
            }
            Command::Retr | Command::Stor => {
                if self.dyn_port == 0 || trimmed.len() < 6 {
                    next = Next::Error;
                } else {
                    let filename = trimmed.get(5..).unwrap_or(&[]).to_vec();
                    let transfer = Transfer {
                        command: cmd,
                        filename,
                        direction: data_dir,
                    };
                    out.expect(Expectation {
                        proto: AppProto::FtpData,
                        dst_port: self.dyn_port,
                        direction: data_dir,
                        parser: Box::new(move |parent| {
                            Box::new(FtpDataParser::with_transfer(transfer, parent))
                        }),
                    });
                    self.dyn_port = 0;
                    self.active = false;
                }
            }
            _ => {}
        }
        self.txs.push_back(tx);
        next
    }

    fn reply(
        &mut self,
        line: &[u8],
        lf_found: bool,
        lasttx: &mut usize,
        out: &mut ParseOutput,
    ) -> Next {
        // The oldest transaction waiting from `lasttx` on, else the newest.
        let idx =
            match (*lasttx..self.txs.len()).find(|&i| self.txs.get(i).is_some_and(|t| !t.done)) {
                Some(i) => i,
                None if !self.txs.is_empty() => self.txs.len() - 1,
                None => {
                    let Some(tx) = self.new_tx() else {
                        return Next::Error;
                    };
                    self.txs.push_back(tx);
                    self.txs.len() - 1
                }
            };
        *lasttx = idx;
        let command = self.command;
        let Some(tx) = self.txs.get_mut(idx) else {
            return Next::Error;
        };
        if command.is_none() {
            tx.command = None;
        }
        let mut store = true;
        match command {
            Some(Command::AuthTls) if line.starts_with(b"234 ") => {
                self.tls_upgrade = true;
            }
            Some(Command::Eprt | Command::Port) => {
                let port = if command == Some(Command::Port) {
                    active_port(&self.port_line)
                } else {
                    eprt_port(&self.port_line)
                };
                if port == 0 {
                    store = false;
                } else {
                    self.dyn_port = port;
                    self.active = true;
                    tx.dyn_port = port;
                    tx.active = true;
                }
            }
            Some(Command::Pasv) if line.starts_with(b"227 ") => {
                let port = pasv_port(line);
                if port != 0 {
                    self.dyn_port = port;
                    self.active = false;
                    tx.dyn_port = port;
                    tx.active = false;
                }
            }
            Some(Command::Epsv) if line.starts_with(b"229 ") => {
                let port = epsv_port(line);
                if port != 0 {
                    self.dyn_port = port;
                    self.active = false;
                    tx.dyn_port = port;
                    tx.active = false;
                }
            }
            _ => {}
        }
        let d = Direction::ToClient.index();
        let mut len = line.len();
        if store {
            let text = trim_end_c_space(line);
            len = text.len();
            if !line.is_empty()
                && self.mem + text.len() <= FLOW_MEMCAP
                && tx.replies.len() < MAX_REPLIES_PER_TX
            {
                self.mem += text.len();
                let truncated = self.truncated[d];
                if truncated {
                    out.tx_event(AppProto::Ftp, "response_command_too_long", tx.id);
                }
                if lf_found {
                    self.truncated[d] = false;
                }
                tx.replies.push(Reply {
                    text: text.to_vec(),
                    truncated,
                });
            }
            if is_preliminary(text) {
                return Next::Continue;
            }
        }
        tx.done = true;
        if len >= self.max_line {
            Next::Break
        } else {
            Next::Continue
        }
    }

    /// Logs finished transactions (all when `everything`), oldest first,
    /// and forgets them.
    fn emit(&mut self, everything: bool, out: &mut ParseOutput) {
        let mut kept = VecDeque::with_capacity(self.txs.len());
        for tx in self.txs.drain(..) {
            if everything || tx.done {
                self.mem = self.mem.saturating_sub(
                    tx.request.len() + tx.replies.iter().map(|r| r.text.len()).sum::<usize>(),
                );
                out.tx(tx);
            } else {
                kept.push_back(tx);
            }
        }
        self.txs = kept;
    }
}

impl AppParser for FtpParser {
    fn parse(&mut self, dir: Direction, data: &[u8], out: &mut ParseOutput) {
        if self.dead || data.is_empty() {
            return;
        }
        let d = dir.index();
        let mut input = std::mem::take(&mut self.buf[d]);
        input.extend_from_slice(data);
        let keep = self.lines(dir, &input, out);
        if let Some(from) = keep {
            input.drain(..from.min(input.len()));
            self.buf[d] = input;
        }
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
        // Suricata's FTP parser does not take gaps: the stream is truncated
        // and parsing stops; open transactions are logged.
        if !self.dead {
            self.dead = true;
            self.buf = [Vec::new(), Vec::new()];
            self.emit(true, out);
        }
    }

    fn close(&mut self, dir: Direction, out: &mut ParseOutput) {
        self.closed[dir.index()] = true;
        if self.closed == [true; 2] {
            // Both streams ended: Suricata logs what is open.
            self.emit(true, out);
        }
    }

    fn finish(&mut self, out: &mut ParseOutput) {
        self.emit(true, out);
    }
}
