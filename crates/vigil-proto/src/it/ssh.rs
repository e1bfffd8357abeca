//! SSH: banners, binary packet framing, KEXINIT (HASSH / HASSH-server) and
//! NEWKEYS, and the EVE `ssh` record, as Suricata 7.0 does them
//! (`rust/src/ssh/`).
//!
//! - Detection: `SSH-` (any case) at the start of either side; no port.
//! - Each side: the first line must be an `SSH-proto-software` banner (else
//!   `invalid_banner` and parsing stops); then binary packets are framed by
//!   their length (a length below 2 is `invalid_record` and stops parsing).
//!   A KEXINIT gives the HASSH when HASSH is enabled ([`set_hassh`], off by
//!   default as in Suricata, where rules using `ssh.hassh*` turn it on);
//!   NEWKEYS on both sides ends the parsing of the (now encrypted) flow.
//! - One transaction per flow, logged once when both banners are done (or,
//!   with HASSH on, when both sides sent NEWKEYS) - Suricata's log
//!   condition - or else at the end of the flow (or of parsing) with what
//!   was seen. Anomalies raised after that are not logged (as in Suricata).
//! - Anomalies: `invalid_banner`, `long_banner`, `invalid_record`,
//!   `long_kex_record` (Suricata's names for its Rust SSH events).

use crate::{
    AppParser, AppProto, Direction, ParseOutput, Probe, ProtoInfo, Transaction, Transport,
};
use std::sync::atomic::{AtomicBool, Ordering};
use vigil_eve::JsonWriter;

/// Registration of ssh.
pub static INFO: ProtoInfo = ProtoInfo {
    proto: AppProto::Ssh,
    tcp_ports: &[],
    udp_ports: &[],
    probe_tcp: Some(probe),
    probe_udp: None,
    port_only: false,
    new_parser,
};

static HASSH: AtomicBool = AtomicBool::new(false);

/// Turns HASSH computation (and logging) on or off for parsers created
/// afterwards: Suricata's `app-layer.protocols.ssh.hassh`, also turned on
/// by rules using `ssh.hassh*`.
pub fn set_hassh(on: bool) {
    HASSH.store(on, Ordering::Relaxed);
}

/// Applies Suricata's `app-layer.protocols.ssh.hassh` value (`yes`, `no`
/// or absent) given whether the loaded rules use `ssh.hassh*`: HASSH is
/// computed when set to yes, or when not set to no and a rule needs it.
pub fn configure_hassh(setting: Option<&str>, rules_hassh: bool) {
    set_hassh(crate::it::tls::conf_bool(setting).unwrap_or(rules_hassh));
}

/// Banners this long or longer raise `long_banner`.
pub const MAX_BANNER_LEN: usize = 256;
/// KEXINIT payloads up to this size are reassembled across segments.
pub const MAX_REASSEMBLED_RECORD_LEN: usize = 65535;
/// Anomalies kept per flow.
pub const MAX_EVENTS: usize = 255;
const RECORD_HEADER_LEN: usize = 6;
const MSG_KEXINIT: u8 = 20;
const MSG_NEWKEYS: u8 = 21;

/// Content prober: `SSH-`, case-insensitive, at the start of either side.
pub fn probe(_dir: Direction, data: &[u8]) -> Probe {
    let n = data.len().min(4);
    let (Some(head), Some(pat)) = (data.get(..n), b"SSH-".get(..n)) else {
        return Probe::NoMatch;
    };
    if !head.eq_ignore_ascii_case(pat) {
        Probe::NoMatch
    } else if n < 4 {
        Probe::NeedMore
    } else {
        Probe::Match
    }
}

fn new_parser(_transport: Transport) -> Box<dyn AppParser> {
    Box::new(SshParser::new())
}

/// Progress of one side (Suricata's `SSHConnectionState`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Default)]
pub enum SshState {
    /// Waiting for the banner line.
    #[default]
    InProgress,
    /// A banner of [`MAX_BANNER_LEN`] bytes or more without its end of line.
    BannerWaitEol,
    /// Banner seen.
    BannerDone,
    /// NEWKEYS seen.
    Finished,
}

/// What one side announced.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SshSide {
    /// Progress.
    pub state: SshState,
    /// Protocol version from the banner (`2.0`).
    pub proto_version: Vec<u8>,
    /// Software version from the banner (`OpenSSH_7.4`).
    pub software_version: Vec<u8>,
    /// HASSH (client) or HASSH-server: MD5 of `hassh_string`, hex.
    pub hassh: Vec<u8>,
    /// `kex;encryption;mac;compression` algorithm lists of the KEXINIT.
    pub hassh_string: Vec<u8>,
    // Framing.
    record_left: u32,
    record_left_kexinit: bool,
    /// Unconsumed bytes (a partial banner, record header or KEXINIT).
    buf: Vec<u8>,
    /// Do not decode before `buf` holds this many bytes.
    need: usize,
}

/// The SSH parser of one flow.
pub struct SshParser {
    sides: [SshSide; 2],
    hassh: bool,
    dead: bool,
    /// NEWKEYS on both sides: the rest of the flow is not parsed.
    bypass: bool,
    logged: bool,
    events: usize,
}

impl Default for SshParser {
    fn default() -> Self {
        SshParser::new()
    }
}

/// Outcome of a decode step (Suricata's `AppLayerResult`).
enum Res {
    /// Everything consumed.
    Ok,
    /// `consumed` bytes consumed; call again with at least `need` more.
    Incomplete { consumed: usize, need: usize },
    /// Parsing stops.
    Err,
}

impl SshParser {
    /// A parser for a new flow, computing HASSH as set by [`set_hassh`].
    pub fn new() -> SshParser {
        SshParser::with_hassh(HASSH.load(Ordering::Relaxed))
    }

    /// A parser computing (and logging) HASSH when `hassh`, whatever the
    /// global setting.
    pub fn with_hassh(hassh: bool) -> SshParser {
        SshParser {
            sides: [SshSide::default(), SshSide::default()],
            hassh,
            dead: false,
            bypass: false,
            logged: false,
            events: 0,
        }
    }

    /// The transaction as it stands.
    pub fn snapshot(&self) -> SshTx {
        let [client, server] = &self.sides;
        SshTx {
            client: client.clone(),
            server: server.clone(),
        }
    }

    /// Runs Suricata's SSH logger: when its condition holds (both banners
    /// done; with HASSH, both NEWKEYS), or unconditionally at the end of the
    /// streams (which a parse error also means). It runs once; a flow where
    /// no banner was seen gets no record.
    fn maybe_log(&mut self, out: &mut ParseOutput, eof: bool) {
        if self.logged {
            return;
        }
        let [c, s] = &self.sides;
        let ready = eof
            || if self.hassh {
                c.state == SshState::Finished && s.state == SshState::Finished
            } else {
                c.state == SshState::BannerDone && s.state == SshState::BannerDone
            };
        if ready {
            self.logged = true;
            if !c.proto_version.is_empty() || !s.proto_version.is_empty() {
                out.tx(self.snapshot());
            }
        }
    }

    fn decode(&mut self, d: usize, input: &[u8], out: &mut ParseOutput) -> Res {
        let state = self.sides.get(d).map_or(SshState::Finished, |s| s.state);
        if state < SshState::BannerDone {
            self.parse_banner(d, input, out)
        } else {
            self.parse_record(d, input, out)
        }
    }

    fn parse_banner(&mut self, d: usize, input: &[u8], out: &mut ParseOutput) -> Res {
        let SshParser { sides, events, .. } = self;
        let Some(side) = sides.get_mut(d) else {
            return Res::Err;
        };
        if side.state == SshState::BannerWaitEol {
            // The rest of an over-long banner: skipped up to its end of
            // line. (Suricata leaves the side in this state, so each later
            // segment is searched for an end of line first.)
            return match parse_line(input) {
                Line::Done { rest, .. } => {
                    let used = input.len() - rest.len();
                    with_consumed(self.parse_record(d, rest, out), used)
                }
                Line::Incomplete => Res::Ok,
            };
        }
        match parse_line(input) {
            Line::Done { line, rest } => {
                let Some(banner) = parse_banner_line(line) else {
                    event(events, out, "invalid_banner");
                    return Res::Err;
                };
                side.proto_version.extend_from_slice(banner.0);
                side.software_version.extend_from_slice(banner.1);
                side.state = SshState::BannerDone;
                if line.len() >= MAX_BANNER_LEN {
                    event(events, out, "long_banner");
                }
                let used = input.len() - rest.len();
                with_consumed(self.parse_record(d, rest, out), used)
            }
            Line::Incomplete if input.len() < MAX_BANNER_LEN => Res::Incomplete {
                consumed: 0,
                need: input.len() + 1,
            },
            Line::Incomplete => {
                let Some(banner) = parse_banner_line(input) else {
                    event(events, out, "invalid_banner");
                    return Res::Err;
                };
                side.proto_version.extend_from_slice(banner.0);
                side.software_version.extend_from_slice(banner.1);
                side.state = SshState::BannerWaitEol;
                event(events, out, "long_banner");
                Res::Ok
            }
        }
    }

    fn parse_record(&mut self, d: usize, mut input: &[u8], out: &mut ParseOutput) -> Res {
        let hassh = self.hassh;
        let other_finished = self
            .sides
            .get(1 - d.min(1))
            .is_some_and(|s| s.state >= SshState::Finished);
        let SshParser {
            sides,
            events,
            bypass,
            ..
        } = self;
        let Some(side) = sides.get_mut(d) else {
            return Res::Err;
        };
        let il = input.len();
        if side.record_left > 0 {
            let ilen = u32::try_from(input.len()).unwrap_or(u32::MAX);
            if side.record_left > ilen {
                side.record_left -= ilen;
                return Res::Ok;
            }
            let start = side.record_left as usize;
            if side.record_left_kexinit && hassh {
                if let Some(kex) = input.get(..start) {
                    side.kexinit(kex, d == 1);
                }
                side.record_left_kexinit = false;
            }
            input = input.get(start..).unwrap_or(&[]);
            side.record_left = 0;
        }
        while !input.is_empty() {
            let Some(hdr) = input.get(..RECORD_HEADER_LEN) else {
                return Res::Incomplete {
                    consumed: il - input.len(),
                    need: RECORD_HEADER_LEN,
                };
            };
            let pkt_len = u32::from_be_bytes([hdr[0], hdr[1], hdr[2], hdr[3]]);
            let msg_code = hdr[5];
            if pkt_len <= 1 {
                event(events, out, "invalid_record");
                return Res::Err;
            }
            // pkt_len counts the padding length and message code bytes.
            let body_len = (pkt_len - 2) as usize;
            let rem = input.get(RECORD_HEADER_LEN..).unwrap_or(&[]);
            match rem.get(..body_len) {
                Some(body) => {
                    if msg_code == MSG_KEXINIT && hassh {
                        side.kexinit(body, d == 1);
                    } else if msg_code == MSG_NEWKEYS {
                        side.state = SshState::Finished;
                        if other_finished {
                            *bypass = true;
                        }
                    }
                    input = rem.get(body_len..).unwrap_or(&[]);
                }
                None => {
                    // The record continues in later segments.
                    let remlen = u32::try_from(rem.len()).unwrap_or(u32::MAX);
                    side.record_left = pkt_len - 2 - remlen;
                    if msg_code == MSG_NEWKEYS {
                        side.state = SshState::Finished;
                    } else if msg_code == MSG_KEXINIT && hassh {
                        side.record_left = pkt_len - 2;
                        if (side.record_left as usize) < MAX_REASSEMBLED_RECORD_LEN {
                            side.record_left_kexinit = true;
                            return Res::Incomplete {
                                consumed: il - rem.len(),
                                need: body_len,
                            };
                        }
                        event(events, out, "long_kex_record");
                    }
                    return Res::Ok;
                }
            }
        }
        Res::Ok
    }
}

/// Raises an anomaly, at most [`MAX_EVENTS`] per flow. (Once the
/// transaction went through its logger, Suricata logs no more of its
/// anomalies: the count is then saturated.)
fn event(count: &mut usize, out: &mut ParseOutput, name: &'static str) {
    if *count < MAX_EVENTS {
        *count += 1;
        // Suricata's SSH events belong to its single transaction (id 0).
        out.tx_event(AppProto::Ssh, name, 0);
    }
}

fn with_consumed(r: Res, used: usize) -> Res {
    match r {
        Res::Incomplete { consumed, need } => Res::Incomplete {
            consumed: consumed + used,
            need,
        },
        other => other,
    }
}

impl SshSide {
    /// Computes the HASSH from a KEXINIT payload (after the message code;
    /// the padding may follow). A payload that does not decode gives none.
    fn kexinit(&mut self, payload: &[u8], server: bool) {
        let Some(lists) = parse_kexinit(payload) else {
            return;
        };
        // kex ; encryption ; mac ; compression - client-to-server lists for
        // the client's HASSH, server-to-client for the server's.
        let (enc, mac, comp) = if server {
            (lists[3], lists[5], lists[7])
        } else {
            (lists[2], lists[4], lists[6])
        };
        let mut s = Vec::with_capacity(lists[0].len() + enc.len() + mac.len() + comp.len() + 3);
        for (i, part) in [lists[0], enc, mac, comp].iter().enumerate() {
            if i > 0 {
                s.push(b';');
            }
            s.extend_from_slice(part);
        }
        // Suricata appends to what an earlier KEXINIT left.
        self.hassh_string.extend_from_slice(&s);
        let hash = crate::it::tls::md5_hex(&self.hassh_string);
        self.hassh.extend_from_slice(hash.as_bytes());
    }
}

/// The ten name-lists of a KEXINIT payload (cookie, lists, first-kex flag
/// and reserved word must all be there).
fn parse_kexinit(p: &[u8]) -> Option<[&[u8]; 10]> {
    let mut rest = p.get(16..)?;
    let mut lists: [&[u8]; 10] = [&[]; 10];
    for slot in lists.iter_mut() {
        let len = u32::from_be_bytes(rest.get(..4)?.try_into().ok()?) as usize;
        *slot = rest.get(4..4usize.checked_add(len)?)?;
        rest = rest.get(4 + len..)?;
    }
    // first_kex_packet_follows (1) and reserved (4).
    rest.get(..5)?;
    Some(lists)
}

enum Line<'a> {
    Done { line: &'a [u8], rest: &'a [u8] },
    Incomplete,
}

/// A line ended by `\n`, `\r\n`, or a `\r` followed by anything else (a
/// `\r` at the very end needs more data).
fn parse_line(input: &[u8]) -> Line<'_> {
    let Some(i) = input.iter().position(|&b| b == b'\n' || b == b'\r') else {
        return Line::Incomplete;
    };
    let line = input.get(..i).unwrap_or(&[]);
    let after = input.get(i + 1..).unwrap_or(&[]);
    if input.get(i) == Some(&b'\n') {
        return Line::Done { line, rest: after };
    }
    match after.first() {
        None => Line::Incomplete,
        Some(b'\n') => Line::Done {
            line,
            rest: after.get(1..).unwrap_or(&[]),
        },
        Some(_) => Line::Done { line, rest: after },
    }
}

/// `SSH-protoversion-softwareversion[ comments]`: (proto, software).
/// The software version runs to the first space or `\r`; when that would
/// be empty, or there is neither, it is the whole rest.
fn parse_banner_line(line: &[u8]) -> Option<(&[u8], &[u8])> {
    let rest = line.strip_prefix(b"SSH-")?;
    let dash = rest.iter().position(|&b| b == b'-')?;
    if dash == 0 {
        return None;
    }
    let proto = rest.get(..dash)?;
    let after = rest.get(dash + 1..)?;
    let software = match after.iter().position(|&b| b == b' ' || b == b'\r') {
        Some(k) if k > 0 => after.get(..k)?,
        _ => after,
    };
    Some((proto, software))
}

impl AppParser for SshParser {
    fn parse(&mut self, dir: Direction, data: &[u8], out: &mut ParseOutput) {
        if self.dead || self.bypass || data.is_empty() {
            return;
        }
        let d = dir.index();
        let Some(side) = self.sides.get_mut(d) else {
            return;
        };
        let mut buf = std::mem::take(&mut side.buf);
        let need = side.need;
        buf.extend_from_slice(data);
        if buf.len() >= need {
            match self.decode(d, &buf, out) {
                Res::Ok => {
                    buf.clear();
                    if let Some(side) = self.sides.get_mut(d) {
                        side.need = 0;
                    }
                }
                Res::Incomplete { consumed, need } => {
                    buf.drain(..consumed.min(buf.len()));
                    if let Some(side) = self.sides.get_mut(d) {
                        side.need = need;
                    }
                }
                Res::Err => {
                    self.dead = true;
                    buf = Vec::new();
                }
            }
        }
        if let Some(side) = self.sides.get_mut(d) {
            side.buf = buf;
        }
        let dead = self.dead;
        self.maybe_log(out, dead);
        if self.logged {
            self.events = MAX_EVENTS;
        }
    }

    fn gap(&mut self, _dir: Direction, _len: u64, out: &mut ParseOutput) {
        // Suricata's SSH parser does not take gaps: parsing ends.
        self.dead = true;
        for side in &mut self.sides {
            side.buf = Vec::new();
        }
        self.maybe_log(out, true);
    }

    fn finish(&mut self, out: &mut ParseOutput) {
        self.maybe_log(out, true);
    }
}

/// The SSH transaction of a flow (one per flow, as Suricata's).
#[derive(Clone, Debug)]
pub struct SshTx {
    /// What the client announced.
    pub client: SshSide,
    /// What the server announced.
    pub server: SshSide,
}

impl SshTx {
    /// A side's rule buffer: `ssh.proto`, `ssh.software` (per direction:
    /// to-server means the client's); `ssh.hassh`, `ssh.hassh.string`
    /// (client), `ssh.hassh.server`, `ssh.hassh.server.string` (server).
    pub fn buffer_in(&self, name: &str, dir: Direction) -> Option<&[u8]> {
        let side = match dir {
            Direction::ToServer => &self.client,
            Direction::ToClient => &self.server,
        };
        match name {
            "ssh.proto" => non_empty(&side.proto_version),
            "ssh.software" => non_empty(&side.software_version),
            "ssh.hassh" => non_empty(&self.client.hassh),
            "ssh.hassh.string" => non_empty(&self.client.hassh_string),
            "ssh.hassh.server" => non_empty(&self.server.hassh),
            "ssh.hassh.server.string" => non_empty(&self.server.hassh_string),
            _ => None,
        }
    }

    /// `ssh.protoversion` compares against a side's protocol version.
    pub fn proto_version(&self, dir: Direction) -> &[u8] {
        match dir {
            Direction::ToServer => &self.client.proto_version,
            Direction::ToClient => &self.server.proto_version,
        }
    }
}

fn non_empty(v: &[u8]) -> Option<&[u8]> {
    (!v.is_empty()).then_some(v)
}

/// Writes bytes as Suricata's `set_string_from_bytes`: as is when valid
/// UTF-8, else bytes >= 0x80 as the four characters `\xNN`.
fn string_from_bytes(w: &mut JsonWriter<'_>, key: &str, v: &[u8]) {
    match std::str::from_utf8(v) {
        Ok(s) => w.string(key, s),
        Err(_) => {
            let mut s = String::with_capacity(v.len() * 2);
            for &b in v {
                if b < 0x80 {
                    s.push(char::from(b));
                } else {
                    s.push_str(&format!("\\x{b:02x}"));
                }
            }
            w.string(key, &s);
        }
    }
}

fn write_side(w: &mut JsonWriter<'_>, key: &str, side: &SshSide) {
    if side.proto_version.is_empty() {
        return;
    }
    w.open_object_key(key);
    string_from_bytes(w, "proto_version", &side.proto_version);
    if !side.software_version.is_empty() {
        string_from_bytes(w, "software_version", &side.software_version);
    }
    if !side.hassh.is_empty() || !side.hassh_string.is_empty() {
        w.open_object_key("hassh");
        if !side.hassh.is_empty() {
            string_from_bytes(w, "hash", &side.hassh);
        }
        if !side.hassh_string.is_empty() {
            string_from_bytes(w, "string", &side.hassh_string);
        }
        w.close_object();
    }
    w.close_object();
}

impl Transaction for SshTx {
    fn event_type(&self) -> &'static str {
        "ssh"
    }

    fn tx_id(&self) -> Option<u64> {
        Some(0)
    }

    fn write_eve(&self, w: &mut JsonWriter<'_>) {
        w.open_object_key("ssh");
        write_side(w, "client", &self.client);
        write_side(w, "server", &self.server);
        w.close_object();
    }

    /// Direction-free names: `ssh.proto` / `ssh.software` give the
    /// client's (see [`Transaction::buffer_dir`] for the server's).
    fn buffer(&self, name: &str) -> Option<&[u8]> {
        self.buffer_in(name, Direction::ToServer)
    }

    fn buffer_dir(&self, name: &str, dir: Direction) -> Option<&[u8]> {
        self.buffer_in(name, dir)
    }
}

#[cfg(test)]
mod tests;
