//! IEC 60870-5-104 (TCP 2404): APCI framing (I, S, U formats) and the
//! IEC 60870-5-101 ASDU with its information objects.
//!
//! One transaction per APDU, in either direction: an APDU carries at most
//! one ASDU, commands and their confirmations are separate APDUs (`act` /
//! `actcon` / `actterm` causes), and the sequence numbers acknowledge
//! APDUs, not requests. A record's `src_ip` is the APDU's sender
//! (`log_direction` follows the APDU). See `docs/events.md`, `iec104`.
//!
//! Framing is bounded: an APDU is at most 255 octets, so a direction holds
//! at most 254 bytes between calls. Bytes that do not start with the start
//! octet 0x68 are skipped up to the next 0x68 (one `INVALID_START_BYTE` per
//! run), as after a gap.

mod asdu;

pub use asdu::{TYPES, TypeInfo, cause_name, type_info};

use crate::ot::cotp::Cursor;
use crate::{
    AppParser, AppProto, Direction, ParseOutput, Probe, ProtoInfo, Transaction, Transport,
};
use asdu::{BadQualifier, Elem};
use vigil_eve::JsonWriter;

/// Registration of IEC 60870-5-104.
pub static INFO: ProtoInfo = ProtoInfo {
    proto: AppProto::Iec104,
    tcp_ports: &[2404],
    udp_ports: &[],
    probe_tcp: Some(probe),
    probe_udp: None,
    port_only: false,
    new_parser,
};

const START: u8 = 0x68;
/// Largest APDU length octet the standard allows (253); 254/255 still parse.
const MAX_APDU_LEN: u8 = 253;
const ASDU_HEADER: usize = 6;

/// Content prober: a well-formed first APDU.
pub fn probe(_dir: Direction, data: &[u8]) -> Probe {
    let mut c = Cursor::new(data);
    match c.u8() {
        None => return Probe::NeedMore,
        Some(START) => {}
        Some(_) => return Probe::NoMatch,
    }
    let Some(len) = c.u8() else {
        return Probe::NeedMore;
    };
    if !(4..=MAX_APDU_LEN).contains(&len) {
        return Probe::NoMatch;
    }
    let Some(&[c1, c2, c3, c4]) = c.take(4) else {
        return Probe::NeedMore;
    };
    if c1 & 1 == 0 {
        // I format: an ASDU header with a defined type and cause.
        if c3 & 1 != 0 || usize::from(len) < 4 + ASDU_HEADER {
            return Probe::NoMatch;
        }
        let Some(&[type_id, vsq, cot, ..]) = c.take(ASDU_HEADER) else {
            return Probe::NeedMore;
        };
        if type_info(type_id).is_none() || vsq & 0x7F == 0 || cause_name(cot & 0x3F).is_none() {
            return Probe::NoMatch;
        }
        Probe::Match
    } else if c1 & 3 == 1 {
        // S format.
        if len == 4 && c1 == 1 && c2 == 0 && c3 & 1 == 0 {
            Probe::Match
        } else {
            Probe::NoMatch
        }
    } else {
        // U format: exactly one function.
        let ok = len == 4
            && matches!(c1, 0x07 | 0x0B | 0x13 | 0x23 | 0x43 | 0x83)
            && c2 == 0
            && c3 == 0
            && c4 == 0;
        if ok { Probe::Match } else { Probe::NoMatch }
    }
}

fn new_parser(_transport: Transport) -> Box<dyn AppParser> {
    Box::new(Iec104Parser::default())
}

#[derive(Default)]
struct DirState {
    /// A partial APDU, starting with 0x68 (at most 254 bytes).
    buf: Vec<u8>,
    /// Inside a run of skipped bytes (one anomaly per run).
    skipping: bool,
}

/// The per-flow IEC 104 parser.
#[derive(Default)]
pub struct Iec104Parser {
    dirs: [DirState; 2],
}

impl AppParser for Iec104Parser {
    fn parse(&mut self, dir: Direction, mut data: &[u8], out: &mut ParseOutput) {
        let Some(st) = self.dirs.get_mut(dir.index()) else {
            return;
        };
        loop {
            if !st.buf.is_empty() {
                if st.buf.len() < 2 {
                    let Some((&b, rest)) = data.split_first() else {
                        return;
                    };
                    st.buf.push(b);
                    data = rest;
                }
                let len = usize::from(st.buf.get(1).copied().unwrap_or(0));
                if len < 4 {
                    out.event(AppProto::Iec104, "INVALID_APDU_LENGTH");
                    // Resync after the bad start octet.
                    let held = std::mem::take(&mut st.buf);
                    if let Some(rest) = held.get(1..).filter(|r| !r.is_empty()) {
                        if rest.first() == Some(&START) {
                            st.buf.extend_from_slice(rest);
                        } else {
                            st.skipping = true;
                        }
                    }
                    continue;
                }
                let total = 2 + len;
                let need = total.saturating_sub(st.buf.len());
                let n = need.min(data.len());
                st.buf.extend_from_slice(data.get(..n).unwrap_or(&[]));
                data = data.get(n..).unwrap_or(&[]);
                if st.buf.len() < total {
                    return;
                }
                let apdu = std::mem::take(&mut st.buf);
                on_apdu(dir, &apdu, out);
                st.buf = apdu;
                st.buf.clear();
                continue;
            }
            let Some(&first) = data.first() else {
                return;
            };
            if first != START {
                if !st.skipping {
                    out.event(AppProto::Iec104, "INVALID_START_BYTE");
                    st.skipping = true;
                }
                match memchr::memchr(START, data) {
                    Some(i) => data = data.get(i..).unwrap_or(&[]),
                    None => return,
                }
                continue;
            }
            st.skipping = false;
            let Some(&len) = data.get(1) else {
                st.buf.extend_from_slice(data);
                return;
            };
            if len < 4 {
                out.event(AppProto::Iec104, "INVALID_APDU_LENGTH");
                data = data.get(1..).unwrap_or(&[]);
                st.skipping = true;
                continue;
            }
            let total = 2 + usize::from(len);
            match data.get(..total) {
                Some(apdu) => {
                    on_apdu(dir, apdu, out);
                    data = data.get(total..).unwrap_or(&[]);
                }
                None => {
                    st.buf.extend_from_slice(data);
                    return;
                }
            }
        }
    }

    fn gap(&mut self, dir: Direction, _len: u64, _out: &mut ParseOutput) {
        if let Some(st) = self.dirs.get_mut(dir.index()) {
            st.buf.clear();
            // The next byte is unlikely to be an APDU start: skip quietly.
            st.skipping = true;
        }
    }
}

/// The APCI of one APDU.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Apci {
    /// Numbered information transfer, with its send and receive sequence numbers.
    I { tx: u16, rx: u16 },
    /// Numbered supervisory function (acknowledgement).
    S { rx: u16 },
    /// Unnumbered control function; `function` holds the six function bits
    /// (`control octet 1 >> 2`: 0x01 STARTDT act, 0x02 STARTDT con,
    /// 0x04 STOPDT act, 0x08 STOPDT con, 0x10 TESTFR act, 0x20 TESTFR con).
    U { function: u8 },
}

impl Apci {
    /// Wireshark's `iec60870_104.type`: 0 I, 1 S, 3 U.
    pub fn type_code(self) -> u8 {
        match self {
            Apci::I { .. } => 0,
            Apci::S { .. } => 1,
            Apci::U { .. } => 3,
        }
    }
    /// `I`, `S` or `U`.
    pub fn letter(self) -> &'static str {
        match self {
            Apci::I { .. } => "I",
            Apci::S { .. } => "S",
            Apci::U { .. } => "U",
        }
    }
}

/// Name of a U-format function (one bit set), e.g. `STARTDT_ACT`.
pub fn u_function_name(function: u8) -> Option<&'static str> {
    Some(match function {
        0x01 => "STARTDT_ACT",
        0x02 => "STARTDT_CON",
        0x04 => "STOPDT_ACT",
        0x08 => "STOPDT_CON",
        0x10 => "TESTFR_ACT",
        0x20 => "TESTFR_CON",
        _ => return None,
    })
}

/// One information object: its address and where its elements lie in
/// [`Asdu::raw`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct InfoObject {
    pub ioa: u32,
    off: u16,
    len: u16,
}

/// A decoded ASDU.
#[derive(Clone, Debug, PartialEq)]
pub struct Asdu {
    pub type_id: u8,
    /// SQ: one address for a sequence of elements.
    pub sq: bool,
    /// Number of information objects/elements (VSQ bits 0..6).
    pub num: u8,
    /// Cause of transmission (6 bits).
    pub cause: u8,
    /// P/N bit: negative confirmation.
    pub negative: bool,
    /// T bit: test.
    pub test: bool,
    pub originator: u8,
    pub common_address: u16,
    /// Objects decoded (fewer than `num` when the ASDU is short).
    pub objects: Vec<InfoObject>,
    /// False when the ASDU length did not match its type and count.
    pub length_ok: bool,
    /// Header octets present (6 unless truncated): fields beyond them are
    /// not logged and not matched.
    pub header_len: u8,
    /// The octets after the ASDU header.
    raw: Vec<u8>,
}

impl Asdu {
    /// The type's mnemonic (`C_SC_NA_1`), if defined.
    pub fn type_name(&self) -> Option<&'static str> {
        if self.header_len == 0 {
            return None;
        }
        type_info(self.type_id).map(|t| t.name)
    }
    /// True when the header octet ending at `n` (1-based) is present.
    fn has(&self, n: u8) -> bool {
        self.header_len >= n
    }
}

/// One APDU: the transaction of IEC 104.
#[derive(Clone, Debug, PartialEq)]
pub struct Iec104Tx {
    /// Sender: `ToServer` from the connection's initiator.
    pub direction: Direction,
    /// The APDU length octet.
    pub apdu_len: u8,
    pub apci: Apci,
    pub asdu: Option<Asdu>,
}

impl Iec104Tx {
    /// Information object addresses, in order.
    pub fn ioas(&self) -> impl Iterator<Item = u32> + '_ {
        self.asdu
            .iter()
            .flat_map(|a| a.objects.iter().map(|o| o.ioa))
    }
}

fn on_apdu(dir: Direction, apdu: &[u8], out: &mut ParseOutput) {
    if let Some(tx) = decode_apdu(dir, apdu, out) {
        out.tx(tx);
    }
}

/// Decodes one whole APDU (start octet, length, control field, ASDU).
pub fn decode_apdu(dir: Direction, apdu: &[u8], out: &mut ParseOutput) -> Option<Iec104Tx> {
    let mut c = Cursor::new(apdu);
    let _start = c.u8()?;
    let len = c.u8()?;
    if len > MAX_APDU_LEN {
        out.event(AppProto::Iec104, "INVALID_APDU_LENGTH");
    }
    let &[c1, c2, c3, c4] = c.take(4)? else {
        return None;
    };
    let rx = u16::from_le_bytes([c3, c4]) >> 1;
    let apci = if c1 & 1 == 0 {
        Apci::I {
            tx: u16::from_le_bytes([c1, c2]) >> 1,
            rx,
        }
    } else if c1 & 3 == 1 {
        if c1 != 1 || c2 != 0 || c3 & 1 != 0 {
            out.event(AppProto::Iec104, "S_FORMAT_RESERVED");
        }
        Apci::S { rx }
    } else {
        let function = c1 >> 2;
        if u_function_name(function).is_none() {
            out.event(AppProto::Iec104, "U_FORMAT_INVALID_FUNCTION");
        }
        if c2 != 0 || c3 != 0 || c4 != 0 {
            out.event(AppProto::Iec104, "U_FORMAT_RESERVED");
        }
        Apci::U { function }
    };
    let rest = c.rest();
    let asdu = match apci {
        Apci::I { .. } => decode_asdu(rest, out),
        _ => {
            if len != 4 {
                out.event(AppProto::Iec104, "SU_FORMAT_LENGTH");
            }
            None
        }
    };
    Some(Iec104Tx {
        direction: dir,
        apdu_len: len,
        apci,
        asdu,
    })
}

fn decode_asdu(data: &[u8], out: &mut ParseOutput) -> Option<Asdu> {
    let mut c = Cursor::new(data);
    let (Some(type_id), Some(vsq), Some(cot), Some(originator), Some(common_address)) =
        (c.u8(), c.u8(), c.u8(), c.u8(), c.u16_le())
    else {
        // Keep the header octets that are there (as Wireshark shows them).
        out.event(AppProto::Iec104, "ASDU_TOO_SHORT");
        let mut h = [0u8; ASDU_HEADER];
        for (d, s) in h.iter_mut().zip(data) {
            *d = *s;
        }
        let [type_id, vsq, cot, originator, ca0, ca1] = h;
        return Some(Asdu {
            type_id,
            sq: vsq & 0x80 != 0,
            num: vsq & 0x7F,
            cause: cot & 0x3F,
            negative: cot & 0x40 != 0,
            test: cot & 0x80 != 0,
            originator,
            common_address: u16::from_le_bytes([ca0, ca1]),
            objects: Vec::new(),
            length_ok: false,
            header_len: u8::try_from(data.len()).unwrap_or(0),
            raw: Vec::new(),
        });
    };
    let mut asdu = Asdu {
        type_id,
        sq: vsq & 0x80 != 0,
        num: vsq & 0x7F,
        cause: cot & 0x3F,
        negative: cot & 0x40 != 0,
        test: cot & 0x80 != 0,
        originator,
        common_address,
        objects: Vec::new(),
        length_ok: true,
        header_len: ASDU_HEADER as u8,
        raw: c.rest().to_vec(),
    };
    if cause_name(asdu.cause).is_none() {
        out.event(AppProto::Iec104, "INVALID_CAUSE");
    }
    if asdu.num == 0 {
        out.event(AppProto::Iec104, "NUMBER_OF_OBJECTS_ZERO");
    }
    let Some(info) = type_info(type_id) else {
        out.event(AppProto::Iec104, "RESERVED_TYPE_ID");
        return Some(asdu);
    };
    if asdu::single_object_only(type_id) {
        if asdu.sq {
            out.event(AppProto::Iec104, "SQ_NOT_ALLOWED");
        }
        if asdu.num > 1 {
            out.event(AppProto::Iec104, "MULTIPLE_OBJECTS_NOT_ALLOWED");
        }
    }
    let (objects, length_ok) = split_objects(&asdu.raw, info.elem, asdu.sq, asdu.num);
    asdu.objects = objects;
    asdu.length_ok = length_ok;
    if !length_ok {
        out.event(AppProto::Iec104, "ASDU_LENGTH_MISMATCH");
    }
    let mut bad = [false; 5];
    for o in &asdu.objects {
        let raw = object_raw(&asdu.raw, o);
        if let Some(q) = asdu::check_qualifiers(info.elem, raw) {
            let (i, name) = match q {
                BadQualifier::Coi => (0, "INVALID_COI"),
                BadQualifier::Qoi => (1, "INVALID_QOI"),
                BadQualifier::Qcc => (2, "INVALID_QCC"),
                BadQualifier::Qrp => (3, "INVALID_QRP"),
                BadQualifier::Qoc => (4, "INVALID_QOC"),
            };
            if let Some(seen) = bad.get_mut(i)
                && !*seen
            {
                *seen = true;
                out.event(AppProto::Iec104, name);
            }
        }
    }
    Some(asdu)
}

/// Splits the object octets into objects; the flag is false when the octets
/// do not match `num` objects of `elem` exactly.
fn split_objects(raw: &[u8], elem: Elem, sq: bool, num: u8) -> (Vec<InfoObject>, bool) {
    let mut objects = Vec::with_capacity(usize::from(num));
    let mut c = Cursor::new(raw);
    let mut base = 0u32;
    for i in 0..u32::from(num) {
        let ioa = if sq && i > 0 {
            base.wrapping_add(i) & 0xFF_FFFF
        } else {
            match c.u24_le() {
                Some(a) => {
                    base = a;
                    a
                }
                None => return (objects, false),
            }
        };
        let size = match elem.size() {
            Some(s) => s,
            // File segment: NOF(2) NOS(1) LOS(1) then LOS octets.
            None => {
                let los = c.rest().get(3).copied().unwrap_or(0);
                4 + usize::from(los)
            }
        };
        let off = c.pos();
        if c.skip(size).is_none() {
            return (objects, false);
        }
        objects.push(InfoObject {
            ioa,
            off: u16::try_from(off).unwrap_or(u16::MAX),
            len: u16::try_from(size).unwrap_or(0),
        });
    }
    (objects, c.is_empty())
}

fn object_raw<'a>(raw: &'a [u8], o: &InfoObject) -> &'a [u8] {
    let start = usize::from(o.off);
    raw.get(start..start + usize::from(o.len)).unwrap_or(&[])
}

impl Transaction for Iec104Tx {
    fn event_type(&self) -> &'static str {
        "iec104"
    }

    fn log_direction(&self) -> Direction {
        self.direction
    }

    fn message_dir(&self) -> Option<Direction> {
        Some(self.direction)
    }

    fn write_eve(&self, w: &mut JsonWriter<'_>) {
        w.open_object_key("iec104");
        w.string(
            "direction",
            match self.direction {
                Direction::ToServer => "toserver",
                Direction::ToClient => "toclient",
            },
        );
        w.uint("apdu_len", u64::from(self.apdu_len));
        w.string("apci_type", self.apci.letter());
        match self.apci {
            Apci::I { tx, rx } => {
                w.uint("tx", u64::from(tx));
                w.uint("rx", u64::from(rx));
            }
            Apci::S { rx } => w.uint("rx", u64::from(rx)),
            Apci::U { function } => {
                w.uint("u_function_code", u64::from(function));
                if let Some(name) = u_function_name(function) {
                    w.string("u_function", name);
                }
            }
        }
        if let Some(a) = &self.asdu {
            w.open_object_key("asdu");
            if a.has(1) {
                w.uint("type_id", u64::from(a.type_id));
            }
            if let Some(name) = a.type_name() {
                w.string("type", name);
            }
            if a.has(2) {
                w.boolean("sq", a.sq);
                w.uint("num_ix", u64::from(a.num));
            }
            if a.has(3) {
                w.uint("cause_tx", u64::from(a.cause));
                if let Some(name) = cause_name(a.cause) {
                    w.string("cause", name);
                }
                w.boolean("negative", a.negative);
                w.boolean("test", a.test);
            }
            if a.has(4) {
                w.uint("originator", u64::from(a.originator));
            }
            if a.has(6) {
                w.uint("common_address", u64::from(a.common_address));
            } else {
                w.boolean("truncated", true);
            }
            if !a.length_ok && a.has(6) {
                w.boolean("length_mismatch", true);
            }
            if let Some(info) = type_info(a.type_id).filter(|_| a.has(6)) {
                w.open_array_key("objects");
                for o in &a.objects {
                    w.open_object();
                    w.uint("ioa", u64::from(o.ioa));
                    asdu::write_elements(w, info.elem, object_raw(&a.raw, o));
                    w.close_object();
                }
                w.close_array();
            }
            w.close_object();
        }
        w.close_object();
    }

    fn buffer(&self, name: &str) -> Option<&[u8]> {
        match name {
            "iec104.apci_type" => Some(self.apci.letter().as_bytes()),
            "iec104.type" => self.asdu.as_ref()?.type_name().map(str::as_bytes),
            "iec104.cause" => {
                let a = self.asdu.as_ref().filter(|a| a.has(3))?;
                cause_name(a.cause).map(str::as_bytes)
            }
            "iec104.u_function" => match self.apci {
                Apci::U { function } => u_function_name(function).map(str::as_bytes),
                _ => None,
            },
            _ => None,
        }
    }

    fn uints(&self, name: &str, f: &mut dyn FnMut(u64)) {
        let asdu = self.asdu.as_ref();
        match name {
            "iec104.apci_type" => f(u64::from(self.apci.type_code())),
            "iec104.u_function" => {
                if let Apci::U { function } = self.apci {
                    f(u64::from(function));
                }
            }
            "iec104.tx" => {
                if let Apci::I { tx, .. } = self.apci {
                    f(u64::from(tx));
                }
            }
            "iec104.rx" => match self.apci {
                Apci::I { rx, .. } | Apci::S { rx } => f(u64::from(rx)),
                Apci::U { .. } => {}
            },
            "iec104.type_id" => asdu
                .filter(|a| a.has(1))
                .into_iter()
                .for_each(|a| f(u64::from(a.type_id))),
            "iec104.num_ix" => asdu
                .filter(|a| a.has(2))
                .into_iter()
                .for_each(|a| f(u64::from(a.num))),
            "iec104.cause" => asdu
                .filter(|a| a.has(3))
                .into_iter()
                .for_each(|a| f(u64::from(a.cause))),
            "iec104.negative" => asdu
                .filter(|a| a.has(3))
                .into_iter()
                .for_each(|a| f(u64::from(a.negative))),
            "iec104.test" => asdu
                .filter(|a| a.has(3))
                .into_iter()
                .for_each(|a| f(u64::from(a.test))),
            "iec104.originator" => asdu
                .filter(|a| a.has(4))
                .into_iter()
                .for_each(|a| f(u64::from(a.originator))),
            "iec104.common_address" => asdu
                .filter(|a| a.has(6))
                .into_iter()
                .for_each(|a| f(u64::from(a.common_address))),
            "iec104.ioa" => self.ioas().for_each(|i| f(u64::from(i))),
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests;
