//! SSL/TLS: detection, the handshake decoder, and the EVE `tls` record, as
//! Suricata 7.0 does them (`app-layer-ssl.c`, `output-json-tls.c`).
//!
//! - Detection: content patterns on the first three bytes of either side
//!   (`16 03 0x` handshake from either side, `15/17 03 0x` from the server,
//!   SSLv2 client hellos), plus port 443.
//! - Decoding: SSLv2 and SSLv3/TLS records in any segmentation; ClientHello
//!   and ServerHello (versions, supported_versions, SNI, session id and
//!   ticket resumption, early data), Certificate chains of both sides (the
//!   first certificate's subject, issuer, serial, SHA-1 fingerprint,
//!   validity and SANs), CertificateRequest, heartbeats (with the
//!   heartbleed checks), JA3/JA3S and JA4 when enabled ([`set_ja3`],
//!   [`set_ja4`]; off by default as in Suricata).
//! - One transaction per session, logged once: when the handshake is done
//!   (application data, or the certificate decoded), at the end of either
//!   stream, or when decoding stops on an error - and only if a certificate
//!   subject and issuer were seen, the session was resumed, or it is TLS 1.3
//!   (Suricata's log condition).
//! - Anomalies carry Suricata's names (`INVALID_RECORD_TYPE`,
//!   `MULTIPLE_SNI_EXTENSIONS`, `CERTIFICATE_INVALID_DER`, ...). An error
//!   that makes Suricata stop parsing the flow stops this parser too.

mod cert;
pub mod detect;
mod ja;
mod state;
#[cfg(test)]
mod tests;

pub use cert::{CertInfo, format_time};
pub use ja::{Ja3, Ja4, is_grease, md5_hex};
pub use state::{
    Conn, FLAG_CHANGE_CIPHER_SPEC, FLAG_CLIENT_HELLO, FLAG_CLIENT_KEYX, FLAG_HANDSHAKE_DONE,
    FLAG_LOG_WITHOUT_CERT, FLAG_NEED_CLIENT_CERT, FLAG_SERVER_HELLO, FLAG_SERVER_KEYX,
    FLAG_SESSION_RESUMED, FLAG_UNKNOWN, MAX_EVENTS, MAX_HANDSHAKE_MESSAGE, SSL_VERSION_2,
    SSL_VERSION_3, SslState, TLS_VERSION_10, TLS_VERSION_11, TLS_VERSION_12, TLS_VERSION_13,
    TLS_VERSION_13_PRE_DRAFT16, TLS_VERSION_UNKNOWN, version_name,
};

use crate::{
    AppParser, AppProto, Direction, ParseOutput, Probe, ProtoInfo, Transaction, Transport,
};
use std::sync::atomic::{AtomicBool, Ordering};
use vigil_eve::JsonWriter;

/// Registration of tls.
pub static INFO: ProtoInfo = ProtoInfo {
    proto: AppProto::Tls,
    tcp_ports: &[443],
    udp_ports: &[],
    probe_tcp: Some(probe),
    probe_udp: None,
    port_only: false,
    new_parser,
};

static JA3: AtomicBool = AtomicBool::new(false);
static JA4: AtomicBool = AtomicBool::new(false);

/// Turns JA3/JA3S computation (and their `ja3`/`ja3s` EVE objects) on or
/// off for parsers created afterwards: Suricata's
/// `app-layer.protocols.tls.ja3-fingerprints` (off unless configured or a
/// rule uses `ja3.*`).
pub fn set_ja3(on: bool) {
    JA3.store(on, Ordering::Relaxed);
}

/// Turns JA4 computation (the `ja4.hash` buffer) on or off for parsers
/// created afterwards (`ja4-fingerprints`; Suricata 7 never logs JA4 in
/// `tls` records).
pub fn set_ja4(on: bool) {
    JA4.store(on, Ordering::Relaxed);
}

/// Suricata's reading of a boolean setting: `Some(true)` for yes/true/on/1,
/// `Some(false)` for no/false/off/0, `None` otherwise (`auto`, absent).
pub(crate) fn conf_bool(v: Option<&str>) -> Option<bool> {
    let v = v?.trim();
    if ["yes", "true", "on", "1"]
        .iter()
        .any(|t| v.eq_ignore_ascii_case(t))
    {
        Some(true)
    } else if ["no", "false", "off", "0"]
        .iter()
        .any(|t| v.eq_ignore_ascii_case(t))
    {
        Some(false)
    } else {
        None
    }
}

/// Applies Suricata's `app-layer.protocols.tls.ja3-fingerprints` and
/// `ja4-fingerprints` values (`yes`, `no`, `auto` or absent) given whether
/// the loaded rules use `ja3.*`/`ja3s.*` (`rules_ja3`) or `ja4.hash`
/// (`rules_ja4`): a fingerprint is computed when set to yes, or when not set
/// to no and a rule needs it (Suricata's `auto`).
pub fn configure_fingerprints(
    ja3: Option<&str>,
    ja4: Option<&str>,
    rules_ja3: bool,
    rules_ja4: bool,
) {
    set_ja3(conf_bool(ja3).unwrap_or(rules_ja3));
    set_ja4(conf_bool(ja4).unwrap_or(rules_ja4));
}

/// Content prober: Suricata's TLS patterns on the first three bytes.
pub fn probe(dir: Direction, data: &[u8]) -> Probe {
    // SSLv2-style client hello: `|01 00 02|` at offset 2 confirmed by the
    // high bit of the first byte (and message type 1).
    if dir == Direction::ToServer && data.first().is_some_and(|b| b & 0x80 != 0) {
        const PAT: [u8; 3] = [0x01, 0x00, 0x02];
        let tail = data.get(2..).unwrap_or(&[]);
        match tail.get(..3) {
            Some(t) if t == PAT => return Probe::Match,
            Some(_) => {}
            None if PAT.starts_with(tail) => return Probe::NeedMore,
            None => {}
        }
    }
    // SSLv2-style client hello announcing SSLv3/TLS: `|01 03 0x|` at
    // offset 2 (Suricata's patterns with depth 5, offset 2).
    if dir == Direction::ToServer
        && let Some(&[0x01, 0x03, v]) = data.get(2..5)
        && v <= 0x03
    {
        return Probe::Match;
    }
    let first_ok = |b: u8| match dir {
        Direction::ToServer => b == 0x16 || b == 0x01,
        Direction::ToClient => (0x15..=0x17).contains(&b),
    };
    match data {
        [] => Probe::NeedMore,
        [a, ..] if !first_ok(*a) => Probe::NoMatch,
        [_] => Probe::NeedMore,
        [_, b, ..] if *b != 0x03 => Probe::NoMatch,
        [_, _] => Probe::NeedMore,
        [_, _, c, ..] if *c <= 0x03 => Probe::Match,
        _ => Probe::NoMatch,
    }
}

/// Constructor for the registry.
fn new_parser(_transport: Transport) -> Box<dyn AppParser> {
    Box::new(TlsParser::new())
}

/// The TLS parser of one flow. Usable from the first byte of a flow or
/// mid-stream (after a STARTTLS, see [`TlsParser::after_starttls`]).
pub struct TlsParser {
    state: SslState,
    /// Unconsumed bytes per direction (at most one record).
    pending: [Vec<u8>; 2],
    /// Bytes of an SSLv2 record still to skip per direction.
    skip: [usize; 2],
    /// Decoding stopped (error or gap), as Suricata disables the parser.
    dead: bool,
    /// The transaction went through the logger (with or without a record).
    logged: bool,
    /// End of both streams seen.
    finished: bool,
    log_ja3: bool,
    from_proto: Option<AppProto>,
    /// The state as detection last saw it ([`AppParser::live_tx`]), with
    /// the key it was taken at.
    live: Option<(LiveKey, TlsTx)>,
}

/// What identifies a state snapshot: the decoder's count of decoded
/// messages and the fields that change without one.
type LiveKey = (u64, u32, u32, u16, u16, bool);

impl Default for TlsParser {
    fn default() -> Self {
        TlsParser::new()
    }
}

impl TlsParser {
    /// A parser for a flow that starts with TLS, with the fingerprints
    /// configured by [`set_ja3`] / [`set_ja4`].
    pub fn new() -> TlsParser {
        TlsParser::with_fingerprints(JA3.load(Ordering::Relaxed), JA4.load(Ordering::Relaxed))
    }

    /// A parser computing (and logging) JA3/JA3S when `ja3`, and JA4 when
    /// `ja4`, whatever the global settings.
    pub fn with_fingerprints(ja3: bool, ja4: bool) -> TlsParser {
        TlsParser {
            state: SslState::new(ja3, ja4),
            pending: [Vec::new(), Vec::new()],
            skip: [0, 0],
            dead: false,
            logged: false,
            finished: false,
            log_ja3: ja3,
            from_proto: None,
            live: None,
        }
    }

    /// A parser taking over a flow after `from` negotiated TLS (STARTTLS);
    /// its record carries `"from_proto"`.
    pub fn after_starttls(from: AppProto) -> TlsParser {
        let mut p = TlsParser::new();
        p.from_proto = Some(from);
        p
    }

    /// The decoder state so far (for detection before the record is due).
    pub fn state(&self) -> &SslState {
        &self.state
    }

    /// The transaction as it stands.
    pub fn snapshot(&self) -> TlsTx {
        let s = &self.state;
        TlsTx {
            flags: s.flags,
            current_flags: s.current_flags,
            client: s.client.for_snapshot(),
            server: s.server.for_snapshot(),
            ja3_hash_hex: s.client.ja3.as_ref().and_then(|j| j.hash.clone()),
            ja4: s.client.ja4.as_ref().map(Ja4::hash),
            log_ja3: self.log_ja3,
            from_proto: self.from_proto,
            finished: self.finished,
        }
    }

    fn live_key(&self) -> LiveKey {
        let s = &self.state;
        (
            s.messages,
            s.flags,
            s.current_flags,
            s.client.version,
            s.server.version,
            self.finished,
        )
    }

    /// Hands the anomalies raised to the worker. Suricata logs a
    /// transaction's anomalies until the transaction itself has been through
    /// its logger; later ones are never logged.
    fn drain_events(&mut self, out: &mut ParseOutput) {
        let logged = self.logged;
        for name in self.state.take_events() {
            if !logged {
                // Suricata's TLS events belong to its single transaction (0).
                out.tx_event(AppProto::Tls, name, 0);
            }
        }
    }

    /// Runs Suricata's TLS logger once the transaction is due: when the
    /// handshake is done, or at the end of the streams (which a parse error
    /// or a gap also means). The logger runs once; it writes a record only
    /// when a server certificate subject and issuer were seen, the session
    /// was resumed, or it is TLS 1.3.
    fn maybe_log(&mut self, out: &mut ParseOutput) {
        if self.logged {
            return;
        }
        let s = &self.state;
        let due = self.dead || self.finished || s.flags & FLAG_HANDSHAKE_DONE != 0;
        if !due {
            return;
        }
        self.logged = true;
        let has_cert = s.server.cert0.subject.is_some() && s.server.cert0.issuer.is_some();
        if has_cert || s.flags & (FLAG_SESSION_RESUMED | FLAG_LOG_WITHOUT_CERT) != 0 {
            out.tx(self.snapshot());
        }
    }

    fn stop(&mut self) {
        self.dead = true;
        self.pending = [Vec::new(), Vec::new()];
    }
}

impl AppParser for TlsParser {
    fn parse(&mut self, dir: Direction, data: &[u8], out: &mut ParseOutput) {
        if self.dead || data.is_empty() {
            return;
        }
        let d = dir.index();
        let mut pending = std::mem::take(&mut self.pending[d]);
        let mut skip = self.skip[d];
        // Suricata resets the message flags `ssl_state` tests when a parse
        // starts on a record boundary, not in the middle of a record.
        let new_record = pending.is_empty() && skip == 0;
        let result = if pending.is_empty() {
            let r = self.state.decode(dir, data, &mut skip, new_record);
            if let Ok(n) = r {
                pending.extend_from_slice(data.get(n..).unwrap_or(&[]));
            }
            r
        } else {
            pending.extend_from_slice(data);
            let r = self.state.decode(dir, &pending, &mut skip, new_record);
            if let Ok(n) = r {
                pending.drain(..n.min(pending.len()));
            }
            r
        };
        self.skip[d] = skip;
        match result {
            Ok(_) => {
                // Suricata's end-of-parse check runs only when the data
                // ended on a record boundary: a parse stopping in a record
                // returns "incomplete" before it.
                if pending.is_empty() {
                    self.state.check_handshake_done();
                }
                self.pending[d] = pending;
            }
            Err(_) => self.stop(),
        }
        self.drain_events(out);
        self.maybe_log(out);
    }

    fn gap(&mut self, _dir: Direction, _len: u64, out: &mut ParseOutput) {
        // Suricata's TLS parser does not take gaps: the flow's parsing ends.
        if !self.dead {
            self.stop();
            self.maybe_log(out);
        }
    }

    fn finish(&mut self, out: &mut ParseOutput) {
        self.finished = true;
        self.drain_events(out);
        self.maybe_log(out);
    }

    fn live_tx(&mut self) -> Option<&dyn Transaction> {
        let key = self.live_key();
        if self.live.as_ref().is_none_or(|(k, _)| *k != key) {
            self.live = Some((key, self.snapshot()));
        }
        self.live.as_ref().map(|(_, t)| t as &dyn Transaction)
    }

    fn live_tx_owned(&self) -> Option<Box<dyn Transaction>> {
        self.live
            .as_ref()
            .map(|(_, t)| Box::new(t.clone()) as Box<dyn Transaction>)
    }
}

/// The TLS transaction of a session (there is one per flow, as Suricata's).
#[derive(Clone, Debug)]
pub struct TlsTx {
    /// Session flags (`FLAG_*`).
    pub flags: u32,
    /// Flags of the last message decoded (what `ssl_state` matches).
    pub current_flags: u32,
    /// Client side: version, SNI, session id, client certificate, JA3, JA4.
    pub client: Conn,
    /// Server side: version, certificate and chain, JA3S.
    pub server: Conn,
    ja3_hash_hex: Option<String>,
    ja4: Option<String>,
    log_ja3: bool,
    from_proto: Option<AppProto>,
    /// Both streams ended (Suricata's `SSL_AL_FLAG_STATE_FINISHED`).
    pub finished: bool,
}

impl TlsTx {
    /// The side that sends in direction `dir` (the client to the server).
    pub fn conn(&self, dir: Direction) -> &Conn {
        match dir {
            Direction::ToServer => &self.client,
            Direction::ToClient => &self.server,
        }
    }

    /// The version logged and matched by `tls.version` (the server's).
    pub fn version(&self) -> u16 {
        self.server.version
    }

    /// The version one side announced (`ssl_version` matches per side).
    pub fn version_of(&self, dir: Direction) -> u16 {
        match dir {
            Direction::ToServer => self.client.version,
            Direction::ToClient => self.server.version,
        }
    }

    /// The SNI as Suricata sees it: up to the first NUL byte.
    pub fn sni(&self) -> Option<&[u8]> {
        self.client.sni.as_deref().map(until_nul)
    }

    /// The server's certificates, DER, in chain order (`tls.certs`).
    pub fn certs(&self) -> impl Iterator<Item = &[u8]> {
        self.server.chain.iter().map(Vec::as_slice)
    }

    /// The server certificate's subject alternative names
    /// (`tls.subjectaltname`).
    pub fn subject_alt_names(&self) -> impl Iterator<Item = &str> {
        self.server.cert0.sans.iter().map(String::as_str)
    }

    /// The server certificate's validity (not_before, not_after), Unix
    /// seconds, when a certificate was decoded (`tls.cert_expired`,
    /// `tls.cert_valid`).
    pub fn cert_validity(&self) -> Option<(i64, i64)> {
        let c = &self.server.cert0;
        (c.subject.is_some() || c.issuer.is_some()).then_some((c.not_before, c.not_after))
    }

    /// The JA4 fingerprint of the ClientHello, when computed.
    pub fn ja4(&self) -> Option<&str> {
        self.ja4.as_deref()
    }

    /// True when the record would carry `"session_resumed":true`.
    fn session_resumed(&self) -> bool {
        self.flags & FLAG_SESSION_RESUMED != 0
            && self.server.cert0.subject.is_none()
            && self.server.cert0.issuer.is_none()
            && self.flags & FLAG_SERVER_HELLO != 0
            && self.flags & FLAG_LOG_WITHOUT_CERT == 0
    }
}

fn until_nul(b: &[u8]) -> &[u8] {
    match memchr::memchr(0, b) {
        Some(i) => b.get(..i).unwrap_or(b),
        None => b,
    }
}

/// Writes a string the way Suricata's C side hands strings to its JSON
/// builder: cut at the first NUL, and left out when not valid UTF-8.
fn c_string(w: &mut JsonWriter<'_>, key: &str, value: &[u8]) {
    if let Ok(s) = std::str::from_utf8(until_nul(value)) {
        w.string(key, s);
    }
}

fn write_ja3(w: &mut JsonWriter<'_>, key: &str, ja3: Option<&Ja3>) {
    let Some(j) = ja3 else { return };
    if j.hash.is_none() && j.string.is_none() {
        return;
    }
    w.open_object_key(key);
    if let Some(h) = &j.hash {
        w.string("hash", h);
    }
    if let Some(s) = &j.string {
        w.string("string", s);
    }
    w.close_object();
}

impl Transaction for TlsTx {
    fn event_type(&self) -> &'static str {
        "tls"
    }

    /// Suricata runs a direction's rules on TLS state on that direction's
    /// packets: certificate rules (to the client) on the first packet from
    /// the server after the certificate was parsed, not on the client's
    /// ACK that delivered it.
    fn inspect_sides_separately(&self) -> bool {
        true
    }

    fn logs_tx_id(&self) -> bool {
        false
    }

    /// Suricata's `tls` record has no `tx_id`, its alerts do (0).
    fn alert_logs_tx_id(&self) -> bool {
        true
    }

    fn tx_id(&self) -> Option<u64> {
        Some(0)
    }

    fn as_any(&self) -> Option<&dyn std::any::Any> {
        Some(self)
    }

    fn write_eve(&self, w: &mut JsonWriter<'_>) {
        let srv = &self.server.cert0;
        w.open_object_key("tls");
        if let Some(s) = &srv.subject {
            c_string(w, "subject", s.as_bytes());
        }
        if let Some(s) = &srv.issuer {
            c_string(w, "issuerdn", s.as_bytes());
        }
        if self.session_resumed() {
            w.boolean("session_resumed", true);
        }
        if let Some(s) = &srv.serial {
            w.string("serial", s);
        }
        if let Some(s) = &srv.fingerprint {
            w.string("fingerprint", s);
        }
        if let Some(sni) = &self.client.sni {
            c_string(w, "sni", sni);
        }
        w.string("version", &version_name(self.server.version));
        if srv.not_before != 0 {
            w.string("notbefore", &format_time(srv.not_before));
        }
        if srv.not_after != 0 {
            w.string("notafter", &format_time(srv.not_after));
        }
        if self.log_ja3 {
            write_ja3(w, "ja3", self.client.ja3.as_ref());
            write_ja3(w, "ja3s", self.server.ja3.as_ref());
        }
        let cli = &self.client.cert0;
        if cli.subject.is_some() || cli.issuer.is_some() {
            w.open_object_key("client");
            if let Some(s) = &cli.subject {
                c_string(w, "subject", s.as_bytes());
            }
            if let Some(s) = &cli.issuer {
                c_string(w, "issuerdn", s.as_bytes());
            }
            if let Some(s) = &cli.fingerprint {
                w.string("fingerprint", s);
            }
            if let Some(s) = &cli.serial {
                w.string("serial", s);
            }
            if cli.not_before != 0 {
                w.string("notbefore", &format_time(cli.not_before));
            }
            if cli.not_after != 0 {
                w.string("notafter", &format_time(cli.not_after));
            }
            w.close_object();
        }
        if let Some(p) = self.from_proto {
            w.string("from_proto", p.name());
        }
        w.close_object();
    }

    fn buffer(&self, name: &str) -> Option<&[u8]> {
        let srv = &self.server.cert0;
        match name {
            "tls.sni" => self.sni(),
            "tls.cert_subject" => srv.subject.as_deref().map(str::as_bytes),
            "tls.cert_issuer" => srv.issuer.as_deref().map(str::as_bytes),
            "tls.cert_serial" => srv.serial.as_deref().map(str::as_bytes),
            "tls.cert_fingerprint" => srv.fingerprint.as_deref().map(str::as_bytes),
            // Multi-buffers: the first element here; all via certs() and
            // subject_alt_names().
            "tls.certs" => self.certs().next(),
            "tls.subjectaltname" => srv.sans.first().map(String::as_bytes),
            "ja3.hash" => self.ja3_hash_hex.as_deref().map(str::as_bytes),
            "ja3.string" => self
                .client
                .ja3
                .as_ref()
                .and_then(|j| j.string.as_deref())
                .map(str::as_bytes),
            "ja3s.hash" => self
                .server
                .ja3
                .as_ref()
                .and_then(|j| j.hash.as_deref())
                .map(str::as_bytes),
            "ja3s.string" => self
                .server
                .ja3
                .as_ref()
                .and_then(|j| j.string.as_deref())
                .map(str::as_bytes),
            "ja4.hash" => self.ja4.as_deref().map(str::as_bytes),
            _ => None,
        }
    }

    /// `tls.random` (32 bytes), `tls.random_time` (its first 4) and
    /// `tls.random_bytes` (the other 28) of the client's hello to the
    /// server and of the server's to the client; other names as
    /// [`Transaction::buffer`].
    fn buffer_dir(&self, name: &str, dir: Direction) -> Option<&[u8]> {
        let conn = match dir {
            Direction::ToServer => &self.client,
            Direction::ToClient => &self.server,
        };
        let random = conn.random.as_ref().map(|r| r.as_slice());
        match name {
            "tls.random" => random,
            "tls.random_time" => random.and_then(|r| r.get(..4)),
            "tls.random_bytes" => random.and_then(|r| r.get(4..)),
            _ => self.buffer(name),
        }
    }

    /// The certificate buffers wait for Suricata's `TLS_STATE_CERT_READY`
    /// (see [`detect`]); the others are ready from the start.
    fn buffer_ready(&self, name: &str, dir: Direction) -> bool {
        !(name.starts_with("tls.cert") || name == "tls.subjectaltname")
            || detect::cert_ready(self, dir)
    }

    fn buffers(&self, name: &str, f: &mut dyn FnMut(&[u8])) {
        match name {
            "tls.certs" => self.certs().for_each(f),
            "tls.subjectaltname" => self.subject_alt_names().for_each(|s| f(s.as_bytes())),
            _ => {
                if let Some(b) = self.buffer(name) {
                    f(b);
                }
            }
        }
    }

    /// `tls.version` (the server's, as logged), `tls.client_version`,
    /// `ssl_state` (the session's `FLAG_*` bits), `ssl_state.current` (the
    /// last message's), `tls.cert_chain_len` (certificates the server
    /// sent), `tls.cert_notbefore` / `tls.cert_notafter` (Unix seconds, when
    /// not before 1970).
    fn uints(&self, name: &str, f: &mut dyn FnMut(u64)) {
        let v = match name {
            "tls.version" => Some(u64::from(self.server.version)),
            "tls.client_version" => Some(u64::from(self.client.version)),
            "ssl_state" => Some(u64::from(self.flags)),
            "ssl_state.current" => Some(u64::from(self.current_flags)),
            "tls.cert_chain_len" => u64::try_from(self.server.chain.len()).ok(),
            "tls.cert_notbefore" => self
                .cert_validity()
                .and_then(|(b, _)| u64::try_from(b).ok()),
            "tls.cert_notafter" => self
                .cert_validity()
                .and_then(|(_, a)| u64::try_from(a).ok()),
            _ => None,
        };
        if let Some(v) = v {
            f(v);
        }
    }
}
