//! Modbus/TCP (MBAP over TCP port 502), as Suricata 7 parses and logs it.
//!
//! PDUs are decoded with `sawp-modbus` (MIT, the library Suricata itself
//! uses), so function codes, access types, categories, error flags and the
//! names printed in EVE are Suricata's. This module adds the stream framing
//! (partial ADUs buffered per direction, bounded), request/response pairing,
//! the flood limit and Suricata's anomaly events.
//!
//! # Detection
//! Only on TCP port 502 (`port_only`): an MBAP header is too weak a signature
//! to claim arbitrary traffic. As Suricata, the prober accepts a complete,
//! error-free message at the start of a direction, and gives up when 16
//! bytes are not enough to decide.
//!
//! # Transactions
//! A transaction is a request and its response (matched on transaction id,
//! unit id and function). It is logged once the response arrives, or at flow
//! end without one. A response without a request is a transaction of its own
//! (`unsolicited_response`). At most [`REQUEST_FLOOD`] unanswered requests
//! are kept; past that the flow raises `flooded` and new messages are
//! dropped until responses arrive, as Suricata. The limit is Suricata's
//! `app-layer.protocols.modbus.request-flood` ([`configure_request_flood`]);
//! 0 turns it off, and then at most [`MAX_OPEN_REQUESTS`] are kept.
//!
//! # EVE
//! `"modbus":{"id":N,"request":{...},"response":{...}}` with, per message,
//! `transaction_id`, `protocol_id`, `unit_id`, `function_raw`,
//! `function_code`, `access_type`, `category`, `error_flags` and one of
//! `exception{raw,code}`, `diagnostic{raw,code,data}`, `mei{raw,code,data}`,
//! `read{address,quantity | data}`, `write{address,quantity,data |
//! address,and_mask,or_mask | address,data}`, `data`. No `tx_id` in the
//! header, as Suricata.
//!
//! # Rule keyword fields
//! The `modbus:` keyword (`function`, `subfunction`, `access`, `unit`,
//! `address`, `value`) inspects the request only: [`ModbusTx::request`]
//! gives the parsed [`Message`], and [`ModbusKeyword`] parses the keyword's
//! argument and matches it with Suricata 7's semantics
//! ([`ModbusKeyword::matches`]):
//! - `function N` / `function <category>`: `Message::function` (raw and
//!   code) / `Message::category`;
//! - `subfunction N`: the diagnostic sub-function of `Data::Diagnostic`;
//! - `access read|write [discretes|coils|input|holding]`:
//!   `Message::access_type`;
//! - `unit N`: `Message::unit_id`;
//! - `address N`: [`address_range`] (1-based, as Suricata);
//! - `value N`: [`write_value_at`] (written value at an address).
//!
//! [`Transaction::uints`] gives the request's `modbus.function` (raw code),
//! `modbus.subfunction`, `modbus.unit`, `modbus.access` and
//! `modbus.category` (sawp flag bits).
//!
//! # Anomalies
//! `invalid_function_code`, `invalid_value`, `invalid_length`,
//! `invalid_exception_code`, `invalid_protocol_id` (from the message's error
//! flags), `value_mismatch` (a read/write response with a bad length or
//! value), `unsolicited_response`, `flooded`.

use std::ops::RangeInclusive;
use std::sync::atomic::{AtomicUsize, Ordering};

use sawp::error::{Error as SawpError, ErrorKind as SawpErrorKind, Needed};
use sawp::parser::{Direction as SawpDirection, Parse};
use sawp::probe::{Probe as _, Status};
use sawp_modbus::{
    AccessType, CodeCategory, Data, ErrorFlags, Flags, FunctionCode, Message, Modbus, Read, Write,
};
use vigil_eve::JsonWriter;

use crate::{
    AppParser, AppProto, Direction, ParseOutput, Probe, ProtoInfo, Transaction, Transport,
};

/// Unanswered requests kept per flow before the flow counts as flooded
/// (Suricata's `request-flood` default).
pub const REQUEST_FLOOD: usize = 500;

/// Unanswered requests kept at most when the flood limit is off
/// (`request-flood: 0`): past it the oldest is logged without its response
/// and freed, so memory stays bounded where Suricata's would grow.
pub const MAX_OPEN_REQUESTS: usize = 16384;

static REQUEST_FLOOD_SETTING: AtomicUsize = AtomicUsize::new(REQUEST_FLOOD);

/// Sets the flood limit of parsers created afterwards: Suricata's
/// `app-layer.protocols.modbus.request-flood` (0 turns the limit off).
pub fn set_request_flood(limit: usize) {
    REQUEST_FLOOD_SETTING.store(limit, Ordering::Relaxed);
}

/// Applies a `request-flood` setting (a number; absent or invalid keeps
/// the default of 500). Returns false for an invalid value.
pub fn configure_request_flood(setting: Option<&str>) -> bool {
    match setting.map(|v| v.trim().parse::<usize>()) {
        None => true,
        Some(Ok(limit)) => {
            set_request_flood(limit);
            true
        }
        Some(Err(_)) => false,
    }
}

/// Bytes the prober looks at, at most (Suricata's max depth for modbus).
const PROBE_MAX_DEPTH: usize = 16;

/// Largest ADU: a 7-byte MBAP header with the largest valid length field
/// (254) is 260 bytes; a direction never buffers more than a few of those.
const MAX_BUFFER: usize = 4096;

/// Registration of modbus.
pub static INFO: ProtoInfo = ProtoInfo {
    proto: AppProto::Modbus,
    tcp_ports: &[502],
    udp_ports: &[],
    probe_tcp: Some(probe),
    probe_udp: None,
    port_only: true,
    new_parser,
};

const PARSER: Modbus = Modbus { probe_strict: true };

/// Prober: a complete, error-free Modbus message at the start. As in
/// Suricata, a prober still undecided past 16 bytes gives up.
fn probe(_dir: Direction, data: &[u8]) -> Probe {
    match PARSER.probe(data, SawpDirection::Unknown) {
        Status::Recognized => Probe::Match,
        Status::Incomplete if data.len() <= PROBE_MAX_DEPTH => Probe::NeedMore,
        Status::Incomplete | Status::Unrecognized => Probe::NoMatch,
    }
}

fn new_parser(_transport: Transport) -> Box<dyn AppParser> {
    Box::new(ModbusParser::default())
}

/// One Modbus transaction: a request and its response (either may be
/// missing: a response without request is `unsolicited_response`, a request
/// without response is logged at flow end).
pub struct ModbusTx {
    id: u64,
    request: Option<Message>,
    response: Option<Message>,
}

impl ModbusTx {
    /// Suricata's transaction number (`modbus.id`), from 1.
    pub fn id(&self) -> u64 {
        self.id
    }

    /// The request, when seen. Rule keywords inspect only this.
    pub fn request(&self) -> Option<&Message> {
        self.request.as_ref()
    }

    /// The response, when seen.
    pub fn response(&self) -> Option<&Message> {
        self.response.as_ref()
    }
}

impl Transaction for ModbusTx {
    fn event_type(&self) -> &'static str {
        "modbus"
    }

    fn logs_tx_id(&self) -> bool {
        false
    }

    fn tx_id(&self) -> Option<u64> {
        Some(self.id.saturating_sub(1))
    }

    fn as_any(&self) -> Option<&dyn std::any::Any> {
        Some(self)
    }

    fn inspect_sides_separately(&self) -> bool {
        true
    }

    fn uints(&self, name: &str, f: &mut dyn FnMut(u64)) {
        let Some(req) = &self.request else { return };
        match name {
            "modbus.function" => f(u64::from(req.function.raw)),
            "modbus.unit" => f(u64::from(req.unit_id)),
            "modbus.access" => f(u64::from(req.access_type.bits())),
            "modbus.category" => f(u64::from(req.category.bits())),
            "modbus.subfunction" => {
                if let Data::Diagnostic { func, .. } = &req.data {
                    f(u64::from(func.raw));
                }
            }
            _ => {}
        }
    }

    fn write_eve(&self, w: &mut JsonWriter<'_>) {
        w.open_object_key("modbus");
        w.uint("id", self.id);
        if let Some(req) = &self.request {
            w.open_object_key("request");
            write_message(w, req);
            w.close_object();
        }
        if let Some(resp) = &self.response {
            w.open_object_key("response");
            write_message(w, resp);
            w.close_object();
        }
        w.close_object();
    }
}

fn write_message(w: &mut JsonWriter<'_>, msg: &Message) {
    w.uint("transaction_id", u64::from(msg.transaction_id));
    w.uint("protocol_id", u64::from(msg.protocol_id));
    w.uint("unit_id", u64::from(msg.unit_id));
    w.uint("function_raw", u64::from(msg.function.raw));
    w.string("function_code", &msg.function.code.to_string());
    w.string("access_type", &msg.access_type.to_string());
    w.string("category", &msg.category.to_string());
    w.string("error_flags", &msg.error_flags.to_string());
    match &msg.data {
        Data::Exception(exc) => {
            w.open_object_key("exception");
            w.uint("raw", u64::from(exc.raw));
            w.string("code", &exc.code.to_string());
            w.close_object();
        }
        Data::Diagnostic { func, data } => {
            w.open_object_key("diagnostic");
            w.uint("raw", u64::from(func.raw));
            w.string("code", &func.code.to_string());
            string_from_bytes(w, "data", data);
            w.close_object();
        }
        Data::MEI { mei_type, data } => {
            w.open_object_key("mei");
            w.uint("raw", u64::from(mei_type.raw));
            w.string("code", &mei_type.code.to_string());
            string_from_bytes(w, "data", data);
            w.close_object();
        }
        Data::Read(read) => {
            w.open_object_key("read");
            write_read(w, read);
            w.close_object();
        }
        Data::Write(write) => {
            w.open_object_key("write");
            write_write(w, write);
            w.close_object();
        }
        Data::ReadWrite { read, write } => {
            w.open_object_key("read");
            write_read(w, read);
            w.close_object();
            w.open_object_key("write");
            write_write(w, write);
            w.close_object();
        }
        Data::ByteVec(data) => string_from_bytes(w, "data", data),
        Data::Empty => {}
    }
}

fn write_read(w: &mut JsonWriter<'_>, read: &Read) {
    match read {
        Read::Request { address, quantity } => {
            w.uint("address", u64::from(*address));
            w.uint("quantity", u64::from(*quantity));
        }
        Read::Response(data) => string_from_bytes(w, "data", data),
    }
}

fn write_write(w: &mut JsonWriter<'_>, write: &Write) {
    match write {
        Write::MultReq {
            address,
            quantity,
            data,
        } => {
            w.uint("address", u64::from(*address));
            w.uint("quantity", u64::from(*quantity));
            string_from_bytes(w, "data", data);
        }
        Write::Mask {
            address,
            and_mask,
            or_mask,
        } => {
            w.uint("address", u64::from(*address));
            w.uint("and_mask", u64::from(*and_mask));
            w.uint("or_mask", u64::from(*or_mask));
        }
        Write::Other { address, data } => {
            w.uint("address", u64::from(*address));
            w.uint("data", u64::from(*data));
        }
    }
}

/// Writes `"key":"..."` from raw bytes the way Suricata's Rust JSON builder
/// does (`set_string_from_bytes`): valid UTF-8 as is; otherwise bytes below
/// 0x80 as characters and the others as the four characters `\xNN`. Control
/// characters, `"` and `\` are escaped as JSON requires.
pub(crate) fn string_from_bytes(w: &mut JsonWriter<'_>, key: &str, bytes: &[u8]) {
    let valid = std::str::from_utf8(bytes).is_ok();
    w.string_with(key, |out| {
        for &b in bytes {
            if !valid && b >= 0x80 {
                // `\xNN` with its backslash escaped for JSON.
                out.extend_from_slice(b"\\\\x");
                push_hex(out, b);
            } else {
                push_escaped(out, b);
            }
        }
    });
}

fn push_hex(out: &mut Vec<u8>, b: u8) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    out.push(HEX[usize::from(b >> 4)]);
    out.push(HEX[usize::from(b & 0xf)]);
}

/// One byte escaped as Suricata's JSON builder escapes strings.
pub(crate) fn push_escaped(out: &mut Vec<u8>, b: u8) {
    match b {
        b'"' => out.extend_from_slice(b"\\\""),
        b'\\' => out.extend_from_slice(b"\\\\"),
        b'\n' => out.extend_from_slice(b"\\n"),
        b'\r' => out.extend_from_slice(b"\\r"),
        b'\t' => out.extend_from_slice(b"\\t"),
        0x08 => out.extend_from_slice(b"\\b"),
        0x0c => out.extend_from_slice(b"\\f"),
        0..=0x1f => {
            out.extend_from_slice(b"\\u00");
            push_hex(out, b);
        }
        _ => out.push(b),
    }
}

/// Per-direction stream state.
#[derive(Default)]
struct Half {
    /// Unconsumed bytes of a partial ADU.
    buf: Vec<u8>,
    /// Bytes needed in `buf` before parsing is worth trying again.
    need: usize,
}

/// The Modbus parser of one flow.
pub struct ModbusParser {
    /// Unanswered requests before `flooded` (0: no limit, see
    /// [`MAX_OPEN_REQUESTS`]).
    request_flood: usize,
    /// Open transactions in creation order (unanswered requests).
    txs: Vec<ModbusTx>,
    /// Last transaction number handed out.
    last_id: u64,
    /// Flood state: new messages are dropped while set.
    given_up: bool,
    halves: [Half; 2],
    /// A parse error stopped the parser (as Suricata's parser error).
    failed: bool,
}

impl Default for ModbusParser {
    /// A parser with the configured flood limit ([`set_request_flood`]).
    fn default() -> Self {
        ModbusParser::with_request_flood(REQUEST_FLOOD_SETTING.load(Ordering::Relaxed))
    }
}

impl ModbusParser {
    /// A parser with its own flood limit (0: none).
    pub fn with_request_flood(request_flood: usize) -> ModbusParser {
        ModbusParser {
            request_flood,
            txs: Vec::new(),
            last_id: 0,
            given_up: false,
            halves: Default::default(),
            failed: false,
        }
    }

    fn new_tx(&mut self, out: &mut ParseOutput) -> Option<ModbusTx> {
        if self.given_up {
            return None;
        }
        self.last_id += 1;
        let tx = ModbusTx {
            id: self.last_id,
            request: None,
            response: None,
        };
        if self.request_flood != 0 && self.txs.len() >= self.request_flood {
            out.tx_event_unlogged(AppProto::Modbus, "flooded", self.last_id - 1);
            self.given_up = true;
        }
        Some(tx)
    }

    /// Handles one parsed message. Returns false when the rest of the
    /// input is to be dropped (flooded).
    fn on_message(
        &mut self,
        dir: Direction,
        mut msg: Message,
        done: &mut Vec<ModbusTx>,
        out: &mut ParseOutput,
    ) -> bool {
        match dir {
            Direction::ToServer => {
                // A response seen before its request (rare): pair them.
                let pos = self.txs.iter_mut().position(|tx| match &tx.response {
                    Some(resp) => tx.request.is_none() && msg.matches(resp),
                    None => false,
                });
                match pos {
                    Some(i) => {
                        if let Some(tx) = self.txs.get_mut(i) {
                            flag_events(&msg.error_flags, tx.id - 1, out);
                            tx.request = Some(msg);
                        }
                    }
                    None => {
                        let Some(mut tx) = self.new_tx(out) else {
                            return false;
                        };
                        flag_events(&msg.error_flags, tx.id - 1, out);
                        tx.request = Some(msg);
                        self.txs.push(tx);
                        if self.txs.len() > MAX_OPEN_REQUESTS {
                            // Flood limit off: bound memory by logging the
                            // oldest unanswered request now.
                            done.push(self.txs.remove(0));
                        }
                    }
                }
            }
            Direction::ToClient => {
                let pos = self.txs.iter().position(|tx| match &tx.request {
                    Some(req) => tx.response.is_none() && msg.matches(req),
                    None => false,
                });
                let mismatch = msg
                    .access_type
                    .intersects(AccessType::READ | AccessType::WRITE)
                    && msg
                        .error_flags
                        .intersects(ErrorFlags::DATA_LENGTH | ErrorFlags::DATA_VALUE);
                let response_events = |msg: &Message, id: u64, out: &mut ParseOutput| {
                    if mismatch {
                        out.tx_event_unlogged(AppProto::Modbus, "value_mismatch", id);
                    } else {
                        flag_events(&msg.error_flags, id, out);
                    }
                };
                match pos {
                    Some(i) => {
                        let mut tx = self.txs.remove(i);
                        response_events(&msg, tx.id - 1, out);
                        tx.response = Some(msg);
                        done.push(tx);
                        self.on_freed();
                    }
                    None => {
                        let Some(mut tx) = self.new_tx(out) else {
                            return false;
                        };
                        response_events(&msg, tx.id - 1, out);
                        out.tx_event_unlogged(AppProto::Modbus, "unsolicited_response", tx.id - 1);
                        tx.response = Some(msg);
                        done.push(tx);
                    }
                }
            }
        }
        true
    }

    fn on_freed(&mut self) {
        if self.given_up && self.txs.len() < self.request_flood {
            self.given_up = false;
        }
    }

    /// Parses as many messages as `input` holds. Returns the number of bytes
    /// consumed, and how many bytes are needed (from the unconsumed start)
    /// before trying again; `None` on a fatal parse error.
    fn parse_buf(
        &mut self,
        dir: Direction,
        input: &[u8],
        done: &mut Vec<ModbusTx>,
        out: &mut ParseOutput,
    ) -> Option<(usize, usize)> {
        let sawp_dir = match dir {
            Direction::ToServer => SawpDirection::ToServer,
            Direction::ToClient => SawpDirection::ToClient,
        };
        let mut rest = input;
        while !rest.is_empty() {
            match PARSER.parse(rest, sawp_dir.clone()) {
                Ok((inner, Some(msg))) => {
                    if inner.len() >= rest.len() {
                        return None;
                    }
                    let keep_going = self.on_message(dir, msg, done, out);
                    if !keep_going {
                        // Flooded: the rest of this input is dropped.
                        return Some((input.len(), 0));
                    }
                    rest = inner;
                }
                Ok((inner, None)) => {
                    let consumed = input.len() - inner.len();
                    return Some((consumed, inner.len() + 1));
                }
                Err(SawpError {
                    kind: SawpErrorKind::Incomplete(Needed::Size(n)),
                }) => {
                    let consumed = input.len() - rest.len();
                    return Some((consumed, rest.len().saturating_add(n.get())));
                }
                Err(SawpError {
                    kind: SawpErrorKind::Incomplete(Needed::Unknown),
                }) => {
                    let consumed = input.len() - rest.len();
                    return Some((consumed, rest.len() + 1));
                }
                Err(_) => return None,
            }
        }
        Some((input.len(), 0))
    }
}

fn flag_events(flags: &Flags<ErrorFlags>, tx_id: u64, out: &mut ParseOutput) {
    if flags.intersects(ErrorFlags::FUNC_CODE) {
        out.tx_event_unlogged(AppProto::Modbus, "invalid_function_code", tx_id);
    }
    if flags.intersects(ErrorFlags::DATA_VALUE) {
        out.tx_event_unlogged(AppProto::Modbus, "invalid_value", tx_id);
    }
    if flags.intersects(ErrorFlags::DATA_LENGTH) {
        out.tx_event_unlogged(AppProto::Modbus, "invalid_length", tx_id);
    }
    if flags.intersects(ErrorFlags::EXC_CODE) {
        out.tx_event_unlogged(AppProto::Modbus, "invalid_exception_code", tx_id);
    }
    if flags.intersects(ErrorFlags::PROTO_ID) {
        out.tx_event_unlogged(AppProto::Modbus, "invalid_protocol_id", tx_id);
    }
}

impl AppParser for ModbusParser {
    fn parse(&mut self, dir: Direction, data: &[u8], out: &mut ParseOutput) {
        if self.failed || data.is_empty() {
            return;
        }
        let d = dir.index();
        let mut done = Vec::new();
        let result = {
            let half = &mut self.halves[d];
            if half.buf.is_empty() {
                None
            } else {
                half.buf.extend_from_slice(data);
                if half.buf.len() < half.need {
                    if half.buf.len() > MAX_BUFFER {
                        // Cannot happen with sawp's length limits; kept as a
                        // guard against unbounded growth.
                        self.failed = true;
                        half.buf = Vec::new();
                    }
                    return;
                }
                Some(std::mem::take(&mut half.buf))
            }
        };
        let input = match &result {
            Some(buf) => buf.as_slice(),
            None => data,
        };
        match self.parse_buf(dir, input, &mut done, out) {
            Some((consumed, need)) => {
                let rest = input.get(consumed..).unwrap_or(&[]);
                let half = &mut self.halves[d];
                half.buf.clear();
                half.buf.extend_from_slice(rest);
                half.need = need;
                if half.buf.len() > MAX_BUFFER {
                    self.failed = true;
                    half.buf = Vec::new();
                }
            }
            None => {
                self.failed = true;
                self.halves = Default::default();
            }
        }
        done.sort_by_key(|tx| tx.id);
        for tx in done {
            out.tx(tx);
        }
    }

    fn gap(&mut self, dir: Direction, _len: u64, _out: &mut ParseOutput) {
        // Suricata's modbus parser does not accept gaps: the stream is
        // lost for parsing.
        let _ = dir;
        self.failed = true;
        self.halves = Default::default();
    }

    fn finish(&mut self, out: &mut ParseOutput) {
        for tx in std::mem::take(&mut self.txs) {
            out.tx(tx);
        }
    }
}

/// The 1-based coil/register range a request addresses (Suricata's
/// `address` semantics), computed without overflow.
pub fn address_range(msg: &Message) -> Option<RangeInclusive<u16>> {
    match &msg.data {
        Data::Write(Write::Other { address, .. }) | Data::Write(Write::Mask { address, .. }) => {
            let a = address.checked_add(1)?;
            Some(a..=a)
        }
        Data::Read(Read::Request { address, quantity })
        | Data::Write(Write::MultReq {
            address, quantity, ..
        })
        | Data::ReadWrite {
            write: Write::MultReq {
                address, quantity, ..
            },
            ..
        } => {
            if *quantity > 0 && *quantity <= u16::MAX - *address {
                Some(address.checked_add(1)?..=address.checked_add(*quantity)?)
            } else {
                None
            }
        }
        _ => None,
    }
}

/// The value a write request puts at the 1-based `address` (Suricata's
/// `value` semantics: coils as 0/1), computed without overflow.
pub fn write_value_at(msg: &Message, address: u16) -> Option<u16> {
    if let Some(range) = address_range(msg)
        && !range.contains(&address)
    {
        return None;
    }
    if msg.access_type.contains(AccessType::SINGLE) {
        let Data::Write(Write::Other { data, .. }) = &msg.data else {
            return None;
        };
        if msg.access_type.contains(AccessType::COILS) {
            Some(u16::from(*data != 0))
        } else {
            Some(*data)
        }
    } else if msg.access_type.contains(AccessType::MULTIPLE) {
        let (start, data) = match &msg.data {
            Data::Write(Write::MultReq { address, data, .. })
            | Data::ReadWrite {
                write: Write::MultReq { address, data, .. },
                ..
            } => (*address, data),
            _ => return None,
        };
        if start == u16::MAX || start >= address {
            return None;
        }
        let index = address - (start + 1);
        let coils = msg.access_type.contains(AccessType::COILS);
        let mut offset = usize::from(index) * 2;
        if coils {
            offset >>= 3;
        }
        let hi = *data.get(offset)?;
        let lo = *data.get(offset + 1)?;
        let mut value = u16::from_be_bytes([hi, lo]);
        if coils {
            value = (value >> (index & 0x7)) & 0x1;
        }
        Some(value)
    } else {
        None
    }
}

/// A numeric condition of the `modbus:` keyword: `N`, `<N`, `>N`, `N<>M`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ModbusRange {
    /// Equal to.
    Eq(u16),
    /// Less than.
    Lt(u16),
    /// Greater than.
    Gt(u16),
    /// Strictly between.
    Between(u16, u16),
}

impl ModbusRange {
    fn parse(min: &str, max: Option<&str>) -> Option<ModbusRange> {
        match max {
            Some(max) => Some(ModbusRange::Between(min.parse().ok()?, max.parse().ok()?)),
            None => {
                if let Some(n) = min.strip_prefix('<') {
                    Some(ModbusRange::Lt(n.parse().ok()?))
                } else if let Some(n) = min.strip_prefix('>') {
                    Some(ModbusRange::Gt(n.parse().ok()?))
                } else {
                    Some(ModbusRange::Eq(min.parse().ok()?))
                }
            }
        }
    }

    /// Whether `value` satisfies the condition (Suricata's `check_match`).
    pub fn matches(self, value: u16) -> bool {
        match self {
            ModbusRange::Eq(n) => value == n,
            ModbusRange::Lt(n) => value < n,
            ModbusRange::Gt(n) => value > n,
            ModbusRange::Between(a, b) => a < value && value < b,
        }
    }

    /// Whether the condition intersects `range` (Suricata's
    /// `check_match_range`).
    pub fn matches_range(self, range: &RangeInclusive<u16>) -> bool {
        let (lo, hi) = (*range.start(), *range.end());
        match self {
            ModbusRange::Eq(n) => n >= lo && n <= hi,
            ModbusRange::Lt(n) => n > lo,
            ModbusRange::Gt(n) => n < hi,
            ModbusRange::Between(a, b) => a < hi && lo < b,
        }
    }

    fn start(self) -> u16 {
        match self {
            ModbusRange::Eq(n) | ModbusRange::Gt(n) | ModbusRange::Between(n, _) => n,
            ModbusRange::Lt(_) => 0,
        }
    }
}

/// The parsed argument of a `modbus:` rule keyword.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct ModbusKeyword {
    /// `function <category>` (possibly negated: the complement).
    pub category: Option<Flags<CodeCategory>>,
    /// `function N`.
    pub function: Option<FunctionCode>,
    /// `subfunction N` (with `function 8`).
    pub subfunction: Option<u16>,
    /// `access read|write [type]`.
    pub access: Option<Flags<AccessType>>,
    /// `unit N`.
    pub unit: Option<ModbusRange>,
    /// `address N` (1-based).
    pub address: Option<ModbusRange>,
    /// `value N`.
    pub value: Option<ModbusRange>,
}

fn strip_quotes(s: &str) -> &str {
    let s = s.trim();
    let s = s.strip_prefix('"').unwrap_or(s).trim();
    s.strip_suffix('"').unwrap_or(s).trim()
}

/// `N`, `<N`, `>N` or `N<>M` at the start of `s`; returns it and the rest.
fn take_range(s: &str) -> Option<(ModbusRange, &str)> {
    let s = s.trim_start();
    let sign = s.starts_with(['<', '>']) as usize;
    let digits_end = s
        .get(sign..)?
        .find(|c: char| !c.is_ascii_digit())
        .map_or(s.len(), |i| i + sign);
    if digits_end == sign {
        return None;
    }
    let min = s.get(..digits_end)?;
    let rest = s.get(digits_end..)?;
    if sign == 0
        && let Some(after) = rest.strip_prefix("<>")
    {
        let end = after
            .find(|c: char| !c.is_ascii_digit())
            .unwrap_or(after.len());
        let max = after.get(..end)?;
        return Some((ModbusRange::parse(min, Some(max))?, after.get(end..)?));
    }
    Some((ModbusRange::parse(min, None)?, rest))
}

impl ModbusKeyword {
    /// Parses the keyword argument (`function 1`, `function 8, subfunction
    /// 4`, `function !reserved`, `access write holding, address 10, value
    /// >5`, `unit 10, function 3`, ...). `None` when Suricata rejects it.
    pub fn parse(arg: &str) -> Option<ModbusKeyword> {
        let s = strip_quotes(arg);
        if let Some(rest) = s.strip_prefix("unit") {
            let (unit, rest) = take_range(rest)?;
            let rest = rest.trim();
            let mut kw = if rest.is_empty() {
                ModbusKeyword::default()
            } else {
                let extra = rest.strip_prefix(',')?.trim();
                Self::parse_function(extra).or_else(|| Self::parse_access(extra))?
            };
            kw.unit = Some(unit);
            return Some(kw);
        }
        Self::parse_function(s).or_else(|| Self::parse_access(s))
    }

    fn parse_function(s: &str) -> Option<ModbusKeyword> {
        let rest = s.strip_prefix("function")?.trim_start();
        let end = rest.find([',', ' ']).unwrap_or(rest.len());
        let word = rest.get(..end)?;
        let after = rest.get(end..)?.trim();
        let mut kw = ModbusKeyword::default();
        if let Ok(num) = word.parse::<u8>() {
            if num == 0 {
                return None;
            }
            kw.function = Some(FunctionCode::from_raw(num));
            if !after.is_empty() {
                let sub = after
                    .strip_prefix(',')?
                    .trim()
                    .strip_prefix("subfunction")?
                    .trim();
                kw.subfunction = Some(sub.parse().ok()?);
            }
            return Some(kw);
        }
        if !after.is_empty() {
            return None;
        }
        let (neg, name) = match word.strip_prefix('!') {
            Some(n) => (true, n),
            None => (false, word),
        };
        let category: Flags<CodeCategory> = match name {
            "assigned" => CodeCategory::PUBLIC_ASSIGNED.into(),
            "unassigned" => CodeCategory::PUBLIC_UNASSIGNED.into(),
            "public" => CodeCategory::PUBLIC_ASSIGNED | CodeCategory::PUBLIC_UNASSIGNED,
            "user" => CodeCategory::USER_DEFINED.into(),
            "reserved" => CodeCategory::RESERVED.into(),
            "all" => {
                CodeCategory::PUBLIC_ASSIGNED
                    | CodeCategory::PUBLIC_UNASSIGNED
                    | CodeCategory::USER_DEFINED
                    | CodeCategory::RESERVED
            }
            _ => return None,
        };
        kw.category = Some(if neg { !category } else { category });
        Some(kw)
    }

    fn parse_access(s: &str) -> Option<ModbusKeyword> {
        let rest = s.strip_prefix("access")?.trim_start();
        let mut parts = rest.splitn(2, ',');
        let head = parts.next()?.trim();
        let tail = parts.next();
        let mut words = head.split_whitespace();
        let mut access: Flags<AccessType> = match words.next()? {
            "read" => AccessType::READ.into(),
            "write" => AccessType::WRITE.into(),
            _ => return None,
        };
        let write_only = access == AccessType::WRITE;
        match words.next() {
            None => {}
            Some("coils") => access |= AccessType::COILS,
            Some("holding") => access |= AccessType::HOLDING,
            Some("discretes") if !write_only => access |= AccessType::DISCRETES,
            Some("input") if !write_only => access |= AccessType::INPUT,
            Some(_) => return None,
        }
        if words.next().is_some() {
            return None;
        }
        let mut kw = ModbusKeyword {
            access: Some(access),
            ..Default::default()
        };
        let Some(tail) = tail else {
            return Some(kw);
        };
        let tail = tail.trim().strip_prefix("address")?;
        let (address, rest) = take_range(tail)?;
        kw.address = Some(address);
        let rest = rest.trim();
        if rest.is_empty() {
            return Some(kw);
        }
        let vrest = rest.strip_prefix(',')?.trim().strip_prefix("value")?;
        let (value, end) = take_range(vrest)?;
        if !end.trim().is_empty() {
            return None;
        }
        if !matches!(address, ModbusRange::Eq(_)) || access == AccessType::READ {
            return None;
        }
        kw.value = Some(value);
        Some(kw)
    }

    /// Whether the transaction matches (Suricata 7's `modbus:` inspection,
    /// which looks at the request only).
    pub fn matches(&self, tx: &ModbusTx) -> bool {
        let Some(req) = tx.request() else {
            return false;
        };
        if let Some(unit) = self.unit
            && !unit.matches(u16::from(req.unit_id))
        {
            return false;
        }
        if let Some(access) = self.access {
            let rw = access & (AccessType::READ | AccessType::WRITE);
            let func = access & AccessType::FUNC_MASK;
            if rw.is_empty()
                || !req.access_type.intersects(rw)
                || (!func.is_empty() && !req.access_type.intersects(func))
            {
                return false;
            }
            let Some(address) = self.address else {
                return true;
            };
            match address_range(req) {
                Some(range) if address.matches_range(&range) => {}
                _ => return false,
            }
            let Some(value) = self.value else {
                return true;
            };
            return write_value_at(req, address.start()).is_some_and(|v| value.matches(v));
        }
        if let Some(category) = self.category {
            return req.category.intersects(category);
        }
        match self.function {
            Some(func) if func == req.function.code => match self.subfunction {
                Some(sub) => matches!(&req.data, Data::Diagnostic { func, .. } if func.raw == sub),
                None => true,
            },
            None => true,
            _ => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(parser: &mut ModbusParser, dir: Direction, data: &[u8]) -> ParseOutput {
        let mut out = ParseOutput::default();
        parser.parse(dir, data, &mut out);
        out
    }

    fn eve(tx: &dyn Transaction) -> String {
        let mut buf = Vec::new();
        let mut w = JsonWriter::new(&mut buf);
        w.open_object();
        tx.write_eve(&mut w);
        w.close_object();
        String::from_utf8(buf).unwrap()
    }

    const READ_REQ: &[u8] = &[0, 1, 0, 0, 0, 6, 10, 1, 0, 0x78, 0, 2];
    const READ_RESP: &[u8] = &[0, 1, 0, 0, 0, 4, 10, 1, 1, 3];

    #[test]
    fn request_flood_setting() {
        assert!(configure_request_flood(None));
        assert!(!configure_request_flood(Some("many")));
        // Limit 3: the fourth unanswered request raises flooded, and the
        // flow drops messages until responses free transactions.
        let mut p = ModbusParser::with_request_flood(3);
        let mut out = ParseOutput::default();
        for i in 0..6u8 {
            let mut req = READ_REQ.to_vec();
            req[1] = i;
            p.parse(Direction::ToServer, &req, &mut out);
        }
        assert_eq!(out.events.iter().filter(|e| e.name == "flooded").count(), 1);
        assert_eq!(p.txs.len(), 4);
        // Limit off (0): no flood; past MAX_OPEN_REQUESTS the oldest
        // unanswered request is logged alone and memory stays bounded.
        let mut p = ModbusParser::with_request_flood(0);
        let mut out = ParseOutput::default();
        for i in 0..(MAX_OPEN_REQUESTS + 5) {
            let mut req = READ_REQ.to_vec();
            req[..2].copy_from_slice(&(i as u16).to_be_bytes());
            p.parse(Direction::ToServer, &req, &mut out);
        }
        assert!(out.events.iter().all(|e| e.name != "flooded"));
        assert_eq!(p.txs.len(), MAX_OPEN_REQUESTS);
        assert_eq!(out.txs.len(), 5);
        let first = eve(out.txs[0].as_ref());
        assert!(first.contains(r#""transaction_id":0,"#), "{first}");
        assert!(!first.contains("response"), "{first}");
        // A response still finds its request among the open ones.
        let mut resp = READ_RESP.to_vec();
        resp[..2].copy_from_slice(&((MAX_OPEN_REQUESTS + 4) as u16).to_be_bytes());
        let out = run(&mut p, Direction::ToClient, &resp);
        assert_eq!(out.txs.len(), 1);
        assert!(eve(out.txs[0].as_ref()).contains(r#""response":{"#));
    }

    #[test]
    fn probe_needs_port_and_whole_message() {
        assert_eq!(probe(Direction::ToServer, READ_REQ), Probe::Match);
        assert_eq!(probe(Direction::ToServer, &READ_REQ[..7]), Probe::NeedMore);
        // Undecided past 16 bytes: no.
        let mut long = vec![0, 1, 0, 0, 0, 40, 1, 16];
        long.resize(17, 0);
        assert_eq!(probe(Direction::ToServer, &long), Probe::NoMatch);
        // Protocol id 1: rejected.
        assert_eq!(
            probe(Direction::ToServer, &[0, 1, 0, 1, 0, 6, 10, 1, 0, 0, 0, 2]),
            Probe::NoMatch
        );
        assert!(INFO.port_only);
    }

    #[test]
    fn read_coils_request_response() {
        let mut p = ModbusParser::default();
        let out = run(&mut p, Direction::ToServer, READ_REQ);
        assert!(out.is_empty());
        let out = run(&mut p, Direction::ToClient, READ_RESP);
        assert_eq!(out.txs.len(), 1);
        assert!(out.events.is_empty());
        assert_eq!(
            eve(out.txs[0].as_ref()),
            r#"{"modbus":{"id":1,"request":{"transaction_id":1,"protocol_id":0,"unit_id":10,"function_raw":1,"function_code":"RdCoils","access_type":"READ | COILS","category":"PUBLIC_ASSIGNED","error_flags":"NONE","read":{"address":120,"quantity":2}},"response":{"transaction_id":1,"protocol_id":0,"unit_id":10,"function_raw":1,"function_code":"RdCoils","access_type":"READ | COILS","category":"PUBLIC_ASSIGNED","error_flags":"NONE","read":{"data":"\u0003"}}}}"#
        );
    }

    #[test]
    fn every_split_point_gives_the_same_result() {
        let whole: Vec<u8> = [READ_REQ, READ_REQ].concat();
        for cut in 0..=whole.len() {
            let mut p = ModbusParser::default();
            let mut out = ParseOutput::default();
            p.parse(Direction::ToServer, &whole[..cut], &mut out);
            p.parse(Direction::ToServer, &whole[cut..], &mut out);
            assert!(out.events.is_empty(), "cut {cut}");
            assert_eq!(p.txs.len(), 2, "cut {cut}");
            let out = run(&mut p, Direction::ToClient, READ_RESP);
            assert_eq!(out.txs.len(), 1, "cut {cut}");
        }
        // Byte by byte.
        let mut p = ModbusParser::default();
        let mut out = ParseOutput::default();
        for b in &whole {
            p.parse(Direction::ToServer, std::slice::from_ref(b), &mut out);
        }
        assert_eq!(p.txs.len(), 2);
    }

    #[test]
    fn exception_and_unsolicited_response() {
        let mut p = ModbusParser::default();
        // Exception response 0x81 / code 2, without a request.
        let out = run(&mut p, Direction::ToClient, &[0, 9, 0, 0, 0, 3, 1, 0x81, 2]);
        assert_eq!(out.txs.len(), 1);
        assert_eq!(
            out.events.iter().map(|e| e.name).collect::<Vec<_>>(),
            ["unsolicited_response"]
        );
        let json = eve(out.txs[0].as_ref());
        assert!(
            json.contains(r#""exception":{"raw":2,"code":"IllegalDataAddr"}"#),
            "{json}"
        );
        assert!(!json.contains("request"));
    }

    #[test]
    fn malformed_messages_raise_suricata_events() {
        // Protocol id 5 and a bad length (1): invalid_length +
        // invalid_protocol_id.
        let mut p = ModbusParser::default();
        let out = run(&mut p, Direction::ToServer, &[0, 1, 0, 5, 0, 1, 1]);
        let names: Vec<_> = out.events.iter().map(|e| e.name).collect();
        assert_eq!(names, ["invalid_length", "invalid_protocol_id"]);
        // Write single coil with value 0x1234: invalid_value.
        let mut p = ModbusParser::default();
        let out = run(
            &mut p,
            Direction::ToServer,
            &[0, 1, 0, 0, 0, 6, 1, 5, 0, 1, 0x12, 0x34],
        );
        assert_eq!(out.events[0].name, "invalid_value");
        // Read response whose byte count disagrees: value_mismatch.
        let mut p = ModbusParser::default();
        run(&mut p, Direction::ToServer, READ_REQ);
        let out = run(
            &mut p,
            Direction::ToClient,
            &[0, 1, 0, 0, 0, 4, 10, 1, 5, 3],
        );
        assert_eq!(out.events[0].name, "value_mismatch");
        assert_eq!(out.txs.len(), 1);
    }

    #[test]
    fn hostile_lengths_stay_bounded() {
        let mut p = ModbusParser::default();
        // Length 0xffff: flagged and the input consumed, never buffered.
        let mut data = vec![0, 1, 0, 0, 0xff, 0xff];
        data.extend(std::iter::repeat_n(0xaa, 10_000));
        let out = run(&mut p, Direction::ToServer, &data);
        assert!(out.events.iter().any(|e| e.name == "invalid_length"));
        assert!(p.halves[0].buf.len() <= MAX_BUFFER);
        // Many requests without answers: flooded once, then dropped.
        let mut p = ModbusParser::default();
        let mut out = ParseOutput::default();
        for _ in 0..(REQUEST_FLOOD + 20) {
            p.parse(Direction::ToServer, READ_REQ, &mut out);
        }
        assert_eq!(out.events.iter().filter(|e| e.name == "flooded").count(), 1);
        assert_eq!(p.txs.len(), REQUEST_FLOOD + 1);
        // Random garbage never panics.
        let mut p = ModbusParser::default();
        let mut x = 0x1234_5678u32;
        for _ in 0..2000 {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            let len = (x % 40) as usize;
            let chunk: Vec<u8> = (0..len).map(|i| (x >> (i % 24)) as u8).collect();
            let dir = if x & 1 == 0 {
                Direction::ToServer
            } else {
                Direction::ToClient
            };
            run(&mut p, dir, &chunk);
        }
    }

    #[test]
    fn finish_logs_unanswered_requests() {
        let mut p = ModbusParser::default();
        run(&mut p, Direction::ToServer, READ_REQ);
        let mut out = ParseOutput::default();
        p.finish(&mut out);
        assert_eq!(out.txs.len(), 1);
        assert!(!eve(out.txs[0].as_ref()).contains("response"));
    }

    #[test]
    fn bytes_are_escaped_as_suricata() {
        let mut buf = Vec::new();
        let mut w = JsonWriter::new(&mut buf);
        w.open_object();
        string_from_bytes(&mut w, "a", b"\x00\"ok");
        string_from_bytes(&mut w, "b", b"\xff\x01A");
        w.close_object();
        assert_eq!(
            String::from_utf8(buf).unwrap(),
            r#"{"a":"\u0000\"ok","b":"\\xff\u0001A"}"#
        );
    }

    fn tx_with(req: &[u8]) -> ModbusTx {
        let mut p = ModbusParser::default();
        run(&mut p, Direction::ToServer, req);
        let mut out = ParseOutput::default();
        let tx = p.txs.remove(0);
        p.finish(&mut out);
        tx
    }

    #[test]
    fn keyword_parsing_and_matching() {
        let read = tx_with(READ_REQ); // unit 10, read coils 120..121 (1-based 121..122)
        let kw = |s: &str| ModbusKeyword::parse(s).unwrap();
        assert!(kw("function 1").matches(&read));
        assert!(!kw("function 3").matches(&read));
        assert!(kw("function assigned").matches(&read));
        assert!(!kw("function !assigned").matches(&read));
        assert!(kw("access read").matches(&read));
        assert!(kw("access read coils").matches(&read));
        assert!(!kw("access write").matches(&read));
        assert!(kw("unit 10").matches(&read));
        assert!(kw("unit >9, access read coils, address 120<>125").matches(&read));
        assert!(kw("access read coils, address 121").matches(&read));
        assert!(!kw("access read coils, address 200").matches(&read));
        assert!(ModbusKeyword::parse("function 0").is_none());
        assert!(ModbusKeyword::parse("access write discretes").is_none());
        assert!(ModbusKeyword::parse("access read, address 5, value 3").is_none());
        // Write single register 0x0010 (1-based 17) = 0x0102.
        let write = tx_with(&[0, 2, 0, 0, 0, 6, 1, 6, 0, 0x10, 1, 2]);
        assert!(kw("access write holding, address 17, value 258").matches(&write));
        assert!(!kw("access write holding, address 17, value 3").matches(&write));
        assert!(kw("access write, address 17, value >200").matches(&write));
        // Diagnostic sub-function 4.
        let diag = tx_with(&[0, 3, 0, 0, 0, 6, 1, 8, 0, 4, 0, 0]);
        assert!(kw("function 8, subfunction 4").matches(&diag));
        assert!(!kw("function 8, subfunction 1").matches(&diag));
        // Overflowing address: no panic, no range.
        let top = tx_with(&[0, 4, 0, 0, 0, 6, 1, 6, 0xff, 0xff, 0, 1]);
        assert!(address_range(top.request().unwrap()).is_none());
    }
}
