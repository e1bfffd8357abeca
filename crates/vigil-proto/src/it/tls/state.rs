//! The SSL/TLS session state and its decoder, following Suricata 7's
//! `app-layer-ssl.c` record by record: the flags it sets, the anomalies it
//! raises, where it stops decoding, and its quirks (an extension's declared
//! length drives the loop while the decoders advance by what they read,
//! the first certificate that decodes fills the `cert0` fields, ...).
//!
//! Framing differs only in mechanics: Suricata re-presents unconsumed bytes
//! with the next segment; here each direction keeps its unconsumed bytes
//! (at most one record: 5 + 65535 bytes) and a handshake message spanning
//! records is reassembled up to [`MAX_HANDSHAKE_MESSAGE`].

use super::cert::{self, CertError, CertInfo};
use super::ja::{Ja3, Ja3List, Ja4, is_grease};
use crate::Direction;

// Session flags (Suricata's `SSL_AL_FLAG_*` meanings).
/// A ClientHello was seen (`ssl_state:client_hello`).
pub const FLAG_CLIENT_HELLO: u32 = 1 << 0;
/// A ServerHello was seen (`ssl_state:server_hello`).
pub const FLAG_SERVER_HELLO: u32 = 1 << 1;
/// A ClientKeyExchange was seen (`ssl_state:client_keyx`).
pub const FLAG_CLIENT_KEYX: u32 = 1 << 2;
/// A ServerKeyExchange was seen (`ssl_state:server_keyx`).
pub const FLAG_SERVER_KEYX: u32 = 1 << 3;
/// `ssl_state:unknown` (never set by the decoder, as in Suricata).
pub const FLAG_UNKNOWN: u32 = 1 << 4;
/// SSLv2 client hello seen.
pub const FLAG_SSL_CLIENT_HS: u32 = 1 << 5;
/// SSLv2 server hello seen.
pub const FLAG_SSL_SERVER_HS: u32 = 1 << 6;
/// SSLv2 client master key seen.
pub const FLAG_SSL_CLIENT_MASTER_KEY: u32 = 1 << 7;
/// SSLv2 client side encrypted.
pub const FLAG_SSL_CLIENT_SSN_ENCRYPTED: u32 = 1 << 8;
/// SSLv2 server side encrypted.
pub const FLAG_SSL_SERVER_SSN_ENCRYPTED: u32 = 1 << 9;
/// SSLv2 hello without session id.
pub const FLAG_SSL_NO_SESSION_ID: u32 = 1 << 10;
/// A ChangeCipherSpec was seen (either side).
pub const FLAG_CHANGE_CIPHER_SPEC: u32 = 1 << 11;
/// The client sent ChangeCipherSpec.
pub const FLAG_CLIENT_CHANGE_CIPHER_SPEC: u32 = 1 << 12;
/// The server sent ChangeCipherSpec.
pub const FLAG_SERVER_CHANGE_CIPHER_SPEC: u32 = 1 << 13;
/// A heartbeat is in flight.
pub const FLAG_HB_INFLIGHT: u32 = 1 << 14;
/// The in-flight heartbeat came from the client.
pub const FLAG_HB_CLIENT_INIT: u32 = 1 << 15;
/// The in-flight heartbeat came from the server.
pub const FLAG_HB_SERVER_INIT: u32 = 1 << 16;
/// The handshake is over (application data, or the certificate decoded).
pub const FLAG_HANDSHAKE_DONE: u32 = 1 << 17;
/// The session was resumed (matching session id, or a session ticket).
pub const FLAG_SESSION_RESUMED: u32 = 1 << 18;
/// TLS 1.3 (or a draft): logged without a certificate.
pub const FLAG_LOG_WITHOUT_CERT: u32 = 1 << 19;
/// The ClientHello carried supported_versions.
pub const FLAG_CH_VERSION_EXTENSION: u32 = 1 << 20;
/// The ClientHello carried early_data (0-RTT).
pub const FLAG_EARLY_DATA: u32 = 1 << 21;
/// The server sent a CertificateRequest.
pub const FLAG_NEED_CLIENT_CERT: u32 = 1 << 22;

// Protocol versions as Suricata names them.
/// Unknown version.
pub const TLS_VERSION_UNKNOWN: u16 = 0x0000;
/// SSLv2.
pub const SSL_VERSION_2: u16 = 0x0200;
/// SSLv3.
pub const SSL_VERSION_3: u16 = 0x0300;
/// TLS 1.0.
pub const TLS_VERSION_10: u16 = 0x0301;
/// TLS 1.1.
pub const TLS_VERSION_11: u16 = 0x0302;
/// TLS 1.2.
pub const TLS_VERSION_12: u16 = 0x0303;
/// TLS 1.3.
pub const TLS_VERSION_13: u16 = 0x0304;
/// TLS 1.3 drafts before 16 (and 0x0304 in a hello version field).
pub const TLS_VERSION_13_PRE_DRAFT16: u16 = 0x7f01;

/// Largest handshake message reassembled across records; a longer one is
/// skipped with an `INVALID_HANDSHAKE_MESSAGE` anomaly. (Real certificate
/// chains are a few KiB; Suricata would buffer up to 16 MiB.)
pub const MAX_HANDSHAKE_MESSAGE: usize = 1 << 20;
/// Anomalies kept per session (Suricata's per-transaction cap).
pub const MAX_EVENTS: usize = 255;

const RECORD_HDR_LEN: usize = 5;

const CT_CHANGE_CIPHER_SPEC: u8 = 20;
const CT_ALERT: u8 = 21;
const CT_HANDSHAKE: u8 = 22;
const CT_APPLICATION_DATA: u8 = 23;
const CT_HEARTBEAT: u8 = 24;

const HS_HELLO_REQUEST: u8 = 0;
const HS_CLIENT_HELLO: u8 = 1;
const HS_SERVER_HELLO: u8 = 2;
const HS_NEW_SESSION_TICKET: u8 = 4;
const HS_CERTIFICATE: u8 = 11;
const HS_SERVER_KEY_EXCHANGE: u8 = 12;
const HS_CERTIFICATE_REQUEST: u8 = 13;
const HS_SERVER_HELLO_DONE: u8 = 14;
const HS_CERTIFICATE_VERIFY: u8 = 15;
const HS_CLIENT_KEY_EXCHANGE: u8 = 16;
const HS_FINISHED: u8 = 20;
const HS_CERTIFICATE_URL: u8 = 21;
const HS_CERTIFICATE_STATUS: u8 = 22;

const EXT_SNI: u16 = 0;
const EXT_ELLIPTIC_CURVES: u16 = 10;
const EXT_EC_POINT_FORMATS: u16 = 11;
const EXT_SIGNATURE_ALGORITHMS: u16 = 13;
const EXT_ALPN: u16 = 16;
const EXT_SESSION_TICKET: u16 = 35;
const EXT_EARLY_DATA: u16 = 42;
const EXT_SUPPORTED_VERSIONS: u16 = 43;

/// Suricata's name for a version (`TLS 1.2`, `TLSv1`, `TLS 1.3 draft-28`,
/// `UNDETERMINED`, or `0x%04x`).
pub fn version_name(v: u16) -> String {
    let name = match v {
        TLS_VERSION_UNKNOWN => "UNDETERMINED",
        SSL_VERSION_2 => "SSLv2",
        SSL_VERSION_3 => "SSLv3",
        TLS_VERSION_10 => "TLSv1",
        TLS_VERSION_11 => "TLS 1.1",
        TLS_VERSION_12 => "TLS 1.2",
        TLS_VERSION_13 => "TLS 1.3",
        0x7f1c => "TLS 1.3 draft-28",
        0x7f1b => "TLS 1.3 draft-27",
        0x7f1a => "TLS 1.3 draft-26",
        0x7f19 => "TLS 1.3 draft-25",
        0x7f18 => "TLS 1.3 draft-24",
        0x7f17 => "TLS 1.3 draft-23",
        0x7f16 => "TLS 1.3 draft-22",
        0x7f15 => "TLS 1.3 draft-21",
        0x7f14 => "TLS 1.3 draft-20",
        0x7f13 => "TLS 1.3 draft-19",
        0x7f12 => "TLS 1.3 draft-18",
        0x7f11 => "TLS 1.3 draft-17",
        0x7f10 => "TLS 1.3 draft-16",
        TLS_VERSION_13_PRE_DRAFT16 => "TLS 1.3 draft-<16",
        0xfb14 => "TLS 1.3 draft-20-fb",
        0xfb15 => "TLS 1.3 draft-21-fb",
        0xfb16 => "TLS 1.3 draft-22-fb",
        0xfb17 => "TLS 1.3 draft-23-fb",
        0xfb1a => "TLS 1.3 draft-26-fb",
        _ => return format!("0x{v:04x}"),
    };
    name.to_string()
}

/// One side of the session (Suricata's `SSLStateConnp`).
#[derive(Clone, Debug, Default)]
pub struct Conn {
    /// Protocol version: from record headers until the hello, then from the
    /// hello (and supported_versions).
    pub version: u16,
    /// Server name from the ClientHello (client side only), as sent.
    pub sni: Option<Vec<u8>>,
    /// Session id from the hello.
    pub session_id: Option<Vec<u8>>,
    /// The hello's 32-byte random (`tls.random`), once seen.
    pub random: Option<[u8; 32]>,
    /// Fields of the first certificate.
    pub cert0: CertInfo,
    /// DER certificates of the (first) Certificate message.
    pub chain: Vec<Vec<u8>>,
    /// A Certificate message was decoded (the chain is one-shot).
    pub certs_seen: bool,
    /// JA3 (client) or JA3S (server), when enabled.
    pub ja3: Option<Ja3>,
    /// JA4 of the ClientHello (client side only), when enabled.
    pub ja4: Option<Ja4>,
    /// A handshake message spanning records: (type, expected size, data).
    hs_partial: Option<(u8, usize, Vec<u8>)>,
    /// Bytes of an over-long handshake message still to skip.
    hs_skip: usize,
    /// The header of the pending record took effect already.
    hdr_applied: bool,
}

impl Conn {
    /// A copy of what was learnt, without the decoder's reassembly buffer.
    pub(crate) fn for_snapshot(&self) -> Conn {
        Conn {
            version: self.version,
            sni: self.sni.clone(),
            session_id: self.session_id.clone(),
            random: self.random,
            cert0: self.cert0.clone(),
            chain: self.chain.clone(),
            certs_seen: self.certs_seen,
            ja3: self.ja3.clone(),
            ja4: self.ja4.clone(),
            hs_partial: None,
            hs_skip: 0,
            hdr_applied: false,
        }
    }
}

/// Why decoding stopped for good (Suricata's `APP_LAYER_ERROR`).
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct Fatal;

/// The decoder's view of one SSL/TLS session.
#[derive(Debug, Default)]
pub struct SslState {
    /// Accumulated `FLAG_*` bits.
    pub flags: u32,
    /// Flags of the message being decoded (`ssl_state` matches these).
    pub current_flags: u32,
    /// Handshake messages (and SSLv2 records) decoded so far.
    pub messages: u64,
    /// Client side.
    pub client: Conn,
    /// Server side.
    pub server: Conn,
    hb_record_len: u32,
    ja3_enabled: bool,
    ja4_enabled: bool,
    events: Vec<&'static str>,
    event_count: usize,
}

/// What a record-level decode step did.
enum Step {
    /// Consumed this many bytes.
    Done(usize),
    /// Needs more bytes (nothing consumed).
    More,
}

impl SslState {
    /// A fresh state; JA3/JA3S and JA4 are computed only when enabled (as
    /// in Suricata, where they are off unless configured or needed by rules).
    pub fn new(ja3: bool, ja4: bool) -> SslState {
        SslState {
            ja3_enabled: ja3,
            ja4_enabled: ja4,
            ..SslState::default()
        }
    }

    /// Raises an anomaly (capped at [`MAX_EVENTS`] per session).
    fn event(&mut self, name: &'static str) {
        if self.event_count < MAX_EVENTS {
            self.event_count += 1;
            self.events.push(name);
        }
    }

    /// Hands out the anomalies raised since the last call.
    pub(crate) fn take_events(&mut self) -> std::vec::Drain<'_, &'static str> {
        self.events.drain(..)
    }

    fn conn(&mut self, dir: Direction) -> &mut Conn {
        match dir {
            Direction::ToServer => &mut self.client,
            Direction::ToClient => &mut self.server,
        }
    }

    /// Decodes one call's worth of stream bytes (`input` = bytes left over
    /// from earlier calls followed by the new ones). Returns the bytes
    /// consumed; the rest (an incomplete record) is presented again with
    /// the next call. `new_record`: the call starts on a record boundary
    /// (nothing of the current record seen before), where the message
    /// flags are reset.
    pub(crate) fn decode(
        &mut self,
        dir: Direction,
        input: &[u8],
        skip: &mut usize,
        new_record: bool,
    ) -> Result<usize, Fatal> {
        let mut pos = 0usize;
        // Bytes of a record already accounted for (an SSLv2 record being
        // skipped over several calls).
        let take = (*skip).min(input.len());
        pos += take;
        *skip -= take;
        if pos == input.len() {
            return Ok(pos);
        }
        if new_record {
            self.current_flags = 0;
        }
        let max_records = (input.len() / 6).max(1);
        let mut counter = 0usize;
        while pos < input.len() {
            if counter > max_records {
                self.event("TOO_MANY_RECORDS_IN_PACKET");
                return Err(Fatal);
            }
            let rest = input.get(pos..).unwrap_or(&[]);
            let Some(&first) = rest.first() else { break };
            let step = if first & 0xc0 != 0 {
                self.conn(dir).version = SSL_VERSION_2;
                self.sslv2_record(dir, rest, skip)
            } else {
                if self.conn(dir).version == SSL_VERSION_2 {
                    self.conn(dir).version = TLS_VERSION_UNKNOWN;
                }
                self.sslv3_record(dir, rest)?
            };
            match step {
                Step::Done(n) => pos += n,
                Step::More => break,
            }
            counter += 1;
        }
        Ok(pos)
    }

    /// One SSLv3/TLS record at the start of `input`.
    fn sslv3_record(&mut self, dir: Direction, input: &[u8]) -> Result<Step, Fatal> {
        let Some(hdr) = input.get(..RECORD_HDR_LEN) else {
            return Ok(Step::More);
        };
        let content_type = hdr[0];
        let rec_version = u16::from_be_bytes([hdr[1], hdr[2]]);
        let length = usize::from(u16::from_be_bytes([hdr[3], hdr[4]]));
        let skip_version = match dir {
            Direction::ToServer => {
                self.flags & FLAG_CLIENT_HELLO != 0 && self.client.version != TLS_VERSION_UNKNOWN
            }
            Direction::ToClient => {
                self.flags & FLAG_SERVER_HELLO != 0 && self.server.version != TLS_VERSION_UNKNOWN
            }
        };
        // The header takes effect as soon as it is complete, once, even
        // while the body is still missing (as Suricata parses it). (Suricata
        // 7.0 has no anomaly for records over 2^14 bytes.)
        if !self.conn(dir).hdr_applied {
            self.conn(dir).hdr_applied = true;
            if !skip_version {
                self.conn(dir).version = rec_version;
            }
            // An empty record ends the parsing (Suricata 7.0.10; verified on
            // the reference, which has no anomaly for long records).
            if length == 0 {
                self.conn(dir).hdr_applied = false;
                self.event("INVALID_RECORD_LENGTH");
                return Err(Fatal);
            }
        }
        let Some(body) = input.get(RECORD_HDR_LEN..RECORD_HDR_LEN + length) else {
            return Ok(Step::More);
        };
        self.conn(dir).hdr_applied = false;
        match content_type {
            CT_CHANGE_CIPHER_SPEC => {
                self.flags |= FLAG_CHANGE_CIPHER_SPEC
                    | match dir {
                        Direction::ToServer => FLAG_CLIENT_CHANGE_CIPHER_SPEC,
                        Direction::ToClient => FLAG_SERVER_CHANGE_CIPHER_SPEC,
                    };
            }
            CT_ALERT => {}
            CT_APPLICATION_DATA => {
                if !(self.flags & FLAG_EARLY_DATA != 0 && self.flags & FLAG_SERVER_HELLO == 0) {
                    self.flags |= FLAG_HANDSHAKE_DONE;
                }
            }
            CT_HANDSHAKE => {
                let skip = self.flags & FLAG_CHANGE_CIPHER_SPEC != 0
                    && !(self.flags & FLAG_CLIENT_HELLO != 0
                        && self.client.version > TLS_VERSION_12
                        && self.flags & FLAG_SERVER_HELLO == 0);
                if !skip {
                    if length < 4 {
                        self.event("INVALID_SSL_RECORD");
                        return Err(Fatal);
                    }
                    if self.handshake_record(dir, body).is_err() {
                        self.event("INVALID_HANDSHAKE_MESSAGE");
                        return Err(Fatal);
                    }
                }
            }
            CT_HEARTBEAT => self.heartbeat(dir, body, length)?,
            _ => {
                self.event("INVALID_RECORD_TYPE");
                return Err(Fatal);
            }
        }
        Ok(Step::Done(RECORD_HDR_LEN + length))
    }

    /// One SSLv2 record at the start of `input`: its flags take effect when
    /// its header and first bytes are there; its remaining bytes are skipped
    /// (via `skip`) as they arrive.
    fn sslv2_record(&mut self, dir: Direction, input: &[u8], skip: &mut usize) -> Step {
        let first = input.first().copied().unwrap_or(0);
        let (lengths_len, length, msg_at) = if first & 0x80 != 0 {
            let Some(&[a, b]) = input.get(..2).and_then(|s| <&[u8; 2]>::try_from(s).ok()) else {
                return Step::More;
            };
            (2usize, usize::from(a & 0x7f) << 8 | usize::from(b), 2usize)
        } else {
            let Some(&[a, b, _pad]) = input.get(..3).and_then(|s| <&[u8; 3]>::try_from(s).ok())
            else {
                return Step::More;
            };
            (3usize, usize::from(a & 0x3f) << 8 | usize::from(b), 3usize)
        };
        let Some(&msg_type) = input.get(msg_at) else {
            return Step::More;
        };
        let total = lengths_len + length;
        if length == 0 {
            self.event("INVALID_SSLV2_HEADER");
            self.event("INVALID_SSL_RECORD");
            // Suricata drops the rest of the segment and starts afresh.
            return Step::Done(input.len());
        }
        // A client hello's session id length sits 4..6 bytes past the type.
        let body = input.get(msg_at + 1..).unwrap_or(&[]);
        if msg_type == 1 && body.len() < 6 && input.len() < total {
            return Step::More;
        }
        self.conn(dir).version = SSL_VERSION_2;
        self.messages += 1;
        let mut current = self.current_flags;
        match msg_type {
            0 => self.event("ERROR_MESSAGE_ENCOUNTERED"),
            1 => {
                current = FLAG_CLIENT_HELLO | FLAG_SSL_CLIENT_HS;
                // The hello's own version field (SSLv3/TLS in a
                // compatible hello), as Suricata keeps it.
                if let Some(&[hi, lo]) = body.get(..2).and_then(|s| <&[u8; 2]>::try_from(s).ok()) {
                    self.conn(dir).version = u16::from_be_bytes([hi, lo]);
                }
                if let Some(&[hi, lo]) = body.get(4..6).and_then(|s| <&[u8; 2]>::try_from(s).ok())
                    && hi == 0
                    && lo == 0
                {
                    current |= FLAG_SSL_NO_SESSION_ID;
                }
            }
            2 => current = FLAG_SSL_CLIENT_MASTER_KEY,
            3 | 5..=8 => {
                if msg_type == 8 && dir == Direction::ToServer {
                    current = FLAG_CLIENT_KEYX;
                }
                if self.flags & FLAG_SSL_CLIENT_HS != 0 && self.flags & FLAG_SSL_SERVER_HS != 0 {
                    if dir == Direction::ToServer {
                        if self.flags & FLAG_SSL_NO_SESSION_ID != 0 {
                            current |= FLAG_SSL_CLIENT_SSN_ENCRYPTED;
                        } else if self.flags & FLAG_SSL_CLIENT_MASTER_KEY != 0 {
                            current = FLAG_SSL_CLIENT_SSN_ENCRYPTED;
                        }
                    } else {
                        current = FLAG_SSL_SERVER_SSN_ENCRYPTED;
                    }
                }
            }
            4 => current = FLAG_SERVER_HELLO | FLAG_SSL_SERVER_HS,
            _ => {}
        }
        self.current_flags = current;
        self.flags |= current;
        if input.len() >= total {
            Step::Done(total)
        } else {
            *skip = total - input.len();
            Step::Done(input.len())
        }
    }

    /// The body of a handshake record: one or more handshake messages, or
    /// the continuation of one spanning records.
    fn handshake_record(&mut self, dir: Direction, mut input: &[u8]) -> Result<(), Fatal> {
        while !input.is_empty() {
            // Skipping an over-long message.
            let skip = self.conn(dir).hs_skip;
            if skip > 0 {
                let n = skip.min(input.len());
                self.conn(dir).hs_skip -= n;
                input = input.get(n..).unwrap_or(&[]);
                continue;
            }
            // Continuing a message that spans records.
            if let Some((msg_type, size, mut buf)) = self.conn(dir).hs_partial.take() {
                let need = size.saturating_sub(buf.len());
                let add = need.min(input.len());
                buf.extend_from_slice(input.get(..add).unwrap_or(&[]));
                input = input.get(add..).unwrap_or(&[]);
                if buf.len() >= size {
                    self.handshake_message(dir, msg_type, &buf)?;
                } else {
                    self.conn(dir).hs_partial = Some((msg_type, size, buf));
                }
                continue;
            }
            let Some(hdr) = input.get(..4) else {
                self.event("INVALID_SSL_RECORD");
                return Err(Fatal);
            };
            let msg_type = hdr[0];
            let size = usize::from(hdr[1]) << 16 | usize::from(hdr[2]) << 8 | usize::from(hdr[3]);
            input = input.get(4..).unwrap_or(&[]);
            if !supported_handshake_type(msg_type) {
                let n = size.min(input.len());
                input = input.get(n..).unwrap_or(&[]);
                self.event("INVALID_HANDSHAKE_MESSAGE");
                continue;
            }
            if size > input.len() {
                if size > MAX_HANDSHAKE_MESSAGE {
                    self.event("INVALID_HANDSHAKE_MESSAGE");
                    self.conn(dir).hs_skip = size - input.len();
                    return Ok(());
                }
                self.conn(dir).hs_partial = Some((msg_type, size, input.to_vec()));
                return Ok(());
            }
            let (msg, rest) = input.split_at(size);
            self.handshake_message(dir, msg_type, msg)?;
            input = rest;
        }
        Ok(())
    }

    /// One complete handshake message.
    fn handshake_message(&mut self, dir: Direction, msg_type: u8, msg: &[u8]) -> Result<(), Fatal> {
        self.messages += 1;
        match msg_type {
            HS_CLIENT_HELLO => {
                self.current_flags = FLAG_CLIENT_HELLO;
                self.hello(dir, msg);
            }
            HS_SERVER_HELLO => {
                self.current_flags = FLAG_SERVER_HELLO;
                self.hello(dir, msg);
            }
            HS_SERVER_KEY_EXCHANGE => self.current_flags = FLAG_SERVER_KEYX,
            HS_CLIENT_KEY_EXCHANGE => self.current_flags = FLAG_CLIENT_KEYX,
            HS_CERTIFICATE => self.certificates(dir, msg),
            // Suricata: a request from the server replaces the message
            // flags (`ssl_state:server_keyx` no longer matches after it).
            HS_CERTIFICATE_REQUEST => {
                if dir == Direction::ToClient {
                    self.current_flags = FLAG_NEED_CLIENT_CERT;
                }
            }
            HS_HELLO_REQUEST
            | HS_CERTIFICATE_VERIFY
            | HS_FINISHED
            | HS_CERTIFICATE_URL
            | HS_CERTIFICATE_STATUS
            | HS_NEW_SESSION_TICKET
            | HS_SERVER_HELLO_DONE => {}
            _ => {
                self.event("INVALID_SSL_RECORD");
                return Err(Fatal);
            }
        }
        self.flags |= self.current_flags;
        Ok(())
    }

    /// A Certificate message: the chain of this side (one-shot); the first
    /// certificate that decodes fills `cert0`.
    fn certificates(&mut self, dir: Direction, msg: &[u8]) {
        let Some(chain_len) = msg.get(..3).map(be24) else {
            return;
        };
        let Some(chain) = msg.get(3..3 + chain_len) else {
            return;
        };
        if self.conn(dir).certs_seen {
            return;
        }
        self.conn(dir).certs_seen = true;
        let mut rest = chain;
        while !rest.is_empty() {
            let Some(len) = rest.get(..3).map(be24) else {
                self.event("INVALID_CERTIFICATE");
                return;
            };
            let Some(der) = rest.get(3..3 + len) else {
                self.event("INVALID_CERTIFICATE");
                return;
            };
            rest = rest.get(3 + len..).unwrap_or(&[]);
            // The first certificate that decodes fills cert0 (the
            // reference takes the next one when the first does not decode).
            if self.conn(dir).cert0.is_empty() {
                let mut info = CertInfo::default();
                match cert::extract(der, &mut info) {
                    Ok(()) => self.conn(dir).cert0 = info,
                    Err(CertError::Decode(name)) => {
                        // Reported, and not kept in the chain.
                        self.event(name);
                        continue;
                    }
                    Err(CertError::Extract(name)) => {
                        // The fields extracted so far stay; the rest of
                        // the chain is not looked at.
                        self.conn(dir).cert0 = info;
                        self.event(name);
                        return;
                    }
                }
            }
            self.conn(dir).chain.push(der.to_vec());
        }
    }

    /// A ClientHello or ServerHello (`current_flags` says which).
    fn hello(&mut self, dir: Direction, msg: &[u8]) {
        // A later hello from the same side leaves the fingerprints of the
        // first one alone (Suricata 7.0.10; its issue 6634).
        let client = self.current_flags & FLAG_CLIENT_HELLO != 0;
        let held_ja3 = self.conn(dir).ja3.take_if(|j| j.hash.is_some());
        let held_ja4 = if client {
            self.conn(dir).ja4.take()
        } else {
            None
        };
        let (ja3, ja4) = (self.ja3_enabled, self.ja4_enabled);
        self.ja3_enabled &= held_ja3.is_none();
        self.ja4_enabled &= held_ja4.is_none();
        self.hello_inner(dir, msg);
        self.ja3_enabled = ja3;
        self.ja4_enabled = ja4;
        if held_ja3.is_some() {
            self.conn(dir).ja3 = held_ja3;
        }
        if held_ja4.is_some() {
            self.conn(dir).ja4 = held_ja4;
        }
    }

    fn hello_inner(&mut self, dir: Direction, msg: &[u8]) {
        let client = self.current_flags & FLAG_CLIENT_HELLO != 0;
        let server = self.current_flags & FLAG_SERVER_HELLO != 0;
        let mut r = Reader::new(msg);
        // Version.
        let Some(version) = r.u16() else {
            self.event("HANDSHAKE_INVALID_LENGTH");
            return;
        };
        {
            let log_without_cert = server && (version == TLS_VERSION_13 || (version >> 8) == 0x7f);
            if log_without_cert {
                self.flags |= FLAG_LOG_WITHOUT_CERT;
            }
            let ja3 = self.ja3_enabled;
            let ja4 = self.ja4_enabled && client;
            let conn = self.conn(dir);
            conn.version = if (0x7f01..0x7f10).contains(&version) || version == TLS_VERSION_13 {
                TLS_VERSION_13_PRE_DRAFT16
            } else {
                version
            };
            if ja3 {
                conn.ja3.get_or_insert_with(Ja3::default).start(version);
            }
            if ja4 {
                conn.ja4.get_or_insert_with(Ja4::new).add_version(version);
            }
        }
        // Random.
        let Some(random) = r.take(32).and_then(|b| <[u8; 32]>::try_from(b).ok()) else {
            self.event("HANDSHAKE_INVALID_LENGTH");
            return;
        };
        self.conn(dir).random = Some(random);
        // Session id (gone from the TLS 1.3 drafts' ServerHello until 22).
        if client || (server && self.flags & FLAG_LOG_WITHOUT_CERT == 0) {
            let Some(id) = r.u8().and_then(|n| r.take(usize::from(n))) else {
                self.event("HANDSHAKE_INVALID_LENGTH");
                return;
            };
            if !id.is_empty() && self.conn(dir).session_id.is_none() {
                self.conn(dir).session_id = Some(id.to_vec());
                if server
                    && let (Some(c), Some(s)) = (&self.client.session_id, &self.server.session_id)
                    && c == s
                {
                    self.flags |= FLAG_SESSION_RESUMED;
                }
            }
        }
        // Cipher suites (the ServerHello has exactly one, no length).
        let suites_len = if server {
            if r.remaining() < 2 {
                self.event("HANDSHAKE_INVALID_LENGTH");
                return;
            }
            2
        } else {
            match r.u16() {
                Some(n) => usize::from(n),
                None => {
                    self.event("HANDSHAKE_INVALID_LENGTH");
                    return;
                }
            }
        };
        let Some(suites) = r.take(suites_len) else {
            self.event("HANDSHAKE_INVALID_LENGTH");
            return;
        };
        if suites_len % 2 != 0 {
            self.event("HANDSHAKE_INVALID_LENGTH");
            return;
        }
        if self.ja3_enabled || (self.ja4_enabled && client) {
            let mut list = Ja3List::default();
            for pair in suites.chunks_exact(2) {
                let c = u16::from_be_bytes([pair[0], pair[1]]);
                if !is_grease(c) {
                    list.add(u32::from(c));
                }
                if client && let Some(j) = self.conn(dir).ja4.as_mut() {
                    j.add_cipher(c);
                }
            }
            if let Some(j) = self.conn(dir).ja3.as_mut() {
                j.append(list);
            }
        }
        // Compression methods.
        if client || (server && self.flags & FLAG_LOG_WITHOUT_CERT == 0) {
            let ok = if server {
                r.skip(1).is_some()
            } else {
                r.u8().and_then(|n| r.skip(usize::from(n))).is_some()
            };
            if !ok {
                self.event("HANDSHAKE_INVALID_LENGTH");
                return;
            }
        }
        if self.extensions(dir, client, r.rest()).is_err() {
            return;
        }
        if let Some(j) = self.conn(dir).ja3.as_mut() {
            j.finish();
        }
    }

    /// The extensions block of a hello. `Err` when a length is wrong (no
    /// JA3 hash then, as in Suricata).
    fn extensions(&mut self, dir: Direction, client: bool, input: &[u8]) -> Result<(), ()> {
        let ja3 = self.ja3_enabled;
        let mut exts = Ja3List::default();
        let mut curves = Ja3List::default();
        let mut formats = Ja3List::default();
        let mut r = Reader::new(input);
        let result = 'parse: {
            // Extensions are optional.
            let Some(total) = r.u16() else {
                break 'parse Ok(());
            };
            let total = usize::from(total);
            if r.remaining() < total {
                break 'parse Err(());
            }
            let mut processed = 0usize;
            while processed < total {
                let (Some(ext_type), Some(ext_len)) = (r.u16(), r.u16()) else {
                    break 'parse Err(());
                };
                let ext_len = usize::from(ext_len);
                let Some(data) = r.peek(ext_len) else {
                    break 'parse Err(());
                };
                let consumed = match ext_type {
                    EXT_SNI => match self.ext_sni(dir, data) {
                        Some(n) => n,
                        None => break 'parse Ok(()),
                    },
                    EXT_ELLIPTIC_CURVES => match ext_curves(data, client && ja3, &mut curves) {
                        Some(n) => n,
                        None => {
                            self.event("HANDSHAKE_INVALID_LENGTH");
                            break 'parse Ok(());
                        }
                    },
                    EXT_EC_POINT_FORMATS => {
                        match ext_point_formats(data, client && ja3, &mut formats) {
                            Some(n) => n,
                            None => {
                                self.event("HANDSHAKE_INVALID_LENGTH");
                                break 'parse Ok(());
                            }
                        }
                    }
                    EXT_EARLY_DATA => {
                        if client {
                            self.flags |= FLAG_EARLY_DATA;
                        }
                        ext_len
                    }
                    EXT_SUPPORTED_VERSIONS => {
                        match self.ext_supported_versions(dir, client, data) {
                            Some(n) => n,
                            None => {
                                self.event("HANDSHAKE_INVALID_LENGTH");
                                break 'parse Ok(());
                            }
                        }
                    }
                    EXT_SESSION_TICKET => {
                        if client {
                            self.flags |= FLAG_SESSION_RESUMED;
                        }
                        ext_len
                    }
                    _ => ext_len,
                };
                if client && let Some(j) = self.conn(dir).ja4.as_mut() {
                    j.add_extension(ext_type);
                    match ext_type {
                        EXT_SIGNATURE_ALGORITHMS => ja4_sig_algs(j, data),
                        EXT_ALPN => ja4_alpn(j, data),
                        _ => {}
                    }
                }
                // The loop follows the declared length; the read position
                // follows what the extension's decoder consumed.
                let _ = r.skip(consumed);
                if ja3 && !is_grease(ext_type) {
                    exts.add(u32::from(ext_type));
                }
                processed = processed.saturating_add(ext_len + 4);
            }
            Ok(())
        };
        if result.is_err() {
            self.event("HANDSHAKE_INVALID_LENGTH");
            return Err(());
        }
        if let Some(j) = self.conn(dir).ja3.as_mut() {
            j.append(exts);
            if client {
                j.append(curves);
                j.append(formats);
            }
        }
        Ok(())
    }

    /// The server_name extension: `Some(consumed)`, or `None` (after an
    /// anomaly) to stop decoding the extensions.
    fn ext_sni(&mut self, dir: Direction, data: &[u8]) -> Option<usize> {
        if data.is_empty() {
            return Some(0);
        }
        let mut r = Reader::new(data);
        let (Some(()), Some(name_type)) = (r.skip(2), r.u8()) else {
            self.event("HANDSHAKE_INVALID_LENGTH");
            return None;
        };
        if name_type != 0 {
            self.event("INVALID_SNI_TYPE");
            return None;
        }
        let Some(len) = r.u16() else {
            self.event("HANDSHAKE_INVALID_LENGTH");
            return None;
        };
        let len = usize::from(len);
        let Some(name) = r.take(len).filter(|_| len <= 255 && len > 0) else {
            self.event("INVALID_SNI_LENGTH");
            return None;
        };
        if self.conn(dir).sni.is_some() {
            self.event("MULTIPLE_SNI_EXTENSIONS");
        } else {
            self.conn(dir).sni = Some(name.to_vec());
        }
        Some(r.pos)
    }

    /// The supported_versions extension; `None` on a length error.
    fn ext_supported_versions(
        &mut self,
        dir: Direction,
        client: bool,
        data: &[u8],
    ) -> Option<usize> {
        if data.is_empty() {
            return Some(0);
        }
        let mut r = Reader::new(data);
        if client {
            let n = usize::from(r.u8()?);
            if n < 2 {
                return None;
            }
            let list = r.take(n)?;
            self.flags |= FLAG_CH_VERSION_EXTENSION;
            let conn = self.conn(dir);
            // The first known version is the client's (GREASE and other
            // noise skipped, as Suricata).
            if let Some(v) = list
                .chunks_exact(2)
                .map(|p| u16::from_be_bytes([p[0], p[1]]))
                .find(|&v| version_valid(v))
            {
                conn.version = v;
            }
            if let Some(j) = conn.ja4.as_mut() {
                for pair in list.chunks_exact(2) {
                    j.add_version(u16::from_be_bytes([pair[0], pair[1]]));
                }
            }
            Some(r.pos)
        } else if self.current_flags & FLAG_SERVER_HELLO != 0 {
            let v = r.u16()?;
            if self.flags & FLAG_CH_VERSION_EXTENSION != 0 && v > TLS_VERSION_12 {
                self.flags |= FLAG_LOG_WITHOUT_CERT;
            }
            self.conn(dir).version = v;
            Some(r.pos)
        } else {
            Some(0)
        }
    }

    /// A heartbeat record (RFC 6520), with Suricata's heartbleed checks.
    fn heartbeat(&mut self, dir: Direction, body: &[u8], record_len: usize) -> Result<(), Fatal> {
        let Some(&hb_type) = body.first() else {
            return Ok(());
        };
        if body.len() < 3 {
            return Ok(());
        }
        let ccs = self.flags & FLAG_CHANGE_CIPHER_SPEC != 0;
        if !ccs && hb_type != 1 && hb_type != 2 {
            self.event("INVALID_HEARTBEAT_MESSAGE");
            return Err(Fatal);
        }
        let to_client = dir == Direction::ToClient;
        if self.flags & FLAG_HB_INFLIGHT == 0 {
            self.flags |= FLAG_HB_INFLIGHT
                | if to_client {
                    FLAG_HB_SERVER_INIT
                } else {
                    FLAG_HB_CLIENT_INIT
                };
            if ccs {
                self.hb_record_len = u32::try_from(record_len).unwrap_or(u32::MAX);
                return Ok(());
            }
            let payload_len = usize::from(u16::from_be_bytes([
                body.get(1).copied().unwrap_or(0),
                body.get(2).copied().unwrap_or(0),
            ]));
            if payload_len + 3 > record_len {
                self.event("OVERFLOW_HEARTBEAT_MESSAGE");
                return Err(Fatal);
            }
            if record_len - payload_len - 3 < 16 {
                self.event("INVALID_HEARTBEAT_MESSAGE");
                return Err(Fatal);
            }
        } else if (to_client && self.flags & FLAG_HB_SERVER_INIT != 0)
            || (!to_client && self.flags & FLAG_HB_CLIENT_INIT != 0)
        {
            self.event("INVALID_HEARTBEAT_MESSAGE");
            return Err(Fatal);
        } else {
            self.flags &= !(FLAG_HB_INFLIGHT | FLAG_HB_SERVER_INIT | FLAG_HB_CLIENT_INIT);
            if ccs {
                let len = u32::try_from(record_len).unwrap_or(u32::MAX);
                if self.hb_record_len > 0 && self.hb_record_len < len {
                    self.event("DATALEAK_HEARTBEAT_MISMATCH");
                    self.hb_record_len = 0;
                    return Err(Fatal);
                }
            }
            self.hb_record_len = 0;
        }
        Ok(())
    }

    /// Suricata's end-of-segment check: the handshake counts as done once
    /// the certificate that matters (the client's when the server asked for
    /// one, else the server's) has a subject and an issuer.
    pub(crate) fn check_handshake_done(&mut self) {
        let conn = if self.flags & FLAG_NEED_CLIENT_CERT != 0 {
            &self.client
        } else {
            &self.server
        };
        if conn.cert0.subject.is_some() && conn.cert0.issuer.is_some() {
            self.flags |= FLAG_HANDSHAKE_DONE;
        }
    }
}

/// The versions Suricata takes from a supported_versions list: SSLv3 to
/// TLS 1.3 and the TLS 1.3 drafts it names.
fn version_valid(v: u16) -> bool {
    matches!(
        v,
        SSL_VERSION_3..=TLS_VERSION_13
            | TLS_VERSION_13_PRE_DRAFT16
            | 0x7f10..=0x7f1c
            | 0xfb14..=0xfb17
            | 0xfb1a
    )
}

fn supported_handshake_type(t: u8) -> bool {
    matches!(
        t,
        HS_CLIENT_HELLO
            | HS_SERVER_HELLO
            | HS_SERVER_KEY_EXCHANGE
            | HS_CLIENT_KEY_EXCHANGE
            | HS_CERTIFICATE
            | HS_HELLO_REQUEST
            | HS_CERTIFICATE_REQUEST
            | HS_CERTIFICATE_VERIFY
            | HS_FINISHED
            | HS_CERTIFICATE_URL
            | HS_CERTIFICATE_STATUS
            | HS_NEW_SESSION_TICKET
            | HS_SERVER_HELLO_DONE
    )
}

fn be24(b: &[u8]) -> usize {
    usize::from(b.first().copied().unwrap_or(0)) << 16
        | usize::from(b.get(1).copied().unwrap_or(0)) << 8
        | usize::from(b.get(2).copied().unwrap_or(0))
}

/// The elliptic curves (supported groups) extension; `Some(consumed)`.
/// With JA3 on, the values are read in pairs against the whole extension
/// (an odd length reads one byte past the list, as Suricata does).
fn ext_curves(data: &[u8], collect: bool, list: &mut Ja3List) -> Option<usize> {
    if data.is_empty() {
        return Some(0);
    }
    let mut r = Reader::new(data);
    let n = usize::from(r.u16()?);
    if r.remaining() < n {
        return None;
    }
    if !collect {
        r.skip(n)?;
        return Some(r.pos);
    }
    let mut done = 0usize;
    while done < n {
        let v = r.u16()?;
        if !is_grease(v) {
            list.add(u32::from(v));
        }
        done += 2;
    }
    Some(r.pos)
}

/// The EC point formats extension; `Some(consumed)`.
fn ext_point_formats(data: &[u8], collect: bool, list: &mut Ja3List) -> Option<usize> {
    if data.is_empty() {
        return Some(0);
    }
    let mut r = Reader::new(data);
    let n = usize::from(r.u8()?);
    let formats = r.take(n)?;
    if collect {
        for &f in formats {
            list.add(u32::from(f));
        }
    }
    Some(r.pos)
}

fn ja4_sig_algs(j: &mut Ja4, data: &[u8]) {
    let mut r = Reader::new(data);
    let Some(n) = r.u16() else { return };
    let Some(list) = r.take(usize::from(n)) else {
        return;
    };
    for pair in list.chunks_exact(2) {
        j.add_sig_alg(u16::from_be_bytes([pair[0], pair[1]]));
    }
}

fn ja4_alpn(j: &mut Ja4, data: &[u8]) {
    let mut r = Reader::new(data);
    let Some(_) = r.u16() else { return };
    let Some(n) = r.u8() else { return };
    if let Some(proto) = r.take(usize::from(n)) {
        j.set_alpn(proto);
    }
}

/// A bounds-checked big-endian reader.
pub(crate) struct Reader<'a> {
    data: &'a [u8],
    pub(crate) pos: usize,
}

impl<'a> Reader<'a> {
    pub(crate) fn new(data: &'a [u8]) -> Reader<'a> {
        Reader { data, pos: 0 }
    }

    pub(crate) fn remaining(&self) -> usize {
        self.data.len().saturating_sub(self.pos)
    }

    pub(crate) fn rest(&self) -> &'a [u8] {
        self.data.get(self.pos..).unwrap_or(&[])
    }

    pub(crate) fn take(&mut self, n: usize) -> Option<&'a [u8]> {
        let s = self.data.get(self.pos..self.pos.checked_add(n)?)?;
        self.pos += n;
        Some(s)
    }

    pub(crate) fn peek(&self, n: usize) -> Option<&'a [u8]> {
        self.data.get(self.pos..self.pos.checked_add(n)?)
    }

    pub(crate) fn skip(&mut self, n: usize) -> Option<()> {
        self.take(n).map(|_| ())
    }

    pub(crate) fn u8(&mut self) -> Option<u8> {
        self.take(1).and_then(|s| s.first().copied())
    }

    pub(crate) fn u16(&mut self) -> Option<u16> {
        self.take(2).map(|s| u16::from_be_bytes([s[0], s[1]]))
    }
}
