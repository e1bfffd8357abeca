//! DNP3 (IEEE 1815) over TCP and UDP port 20000, as Suricata 7 parses and
//! logs it.
//!
//! # Layers
//! - Link: frames start `05 64`, a 10-byte header (length, control,
//!   destination, source, CRC) and user data in blocks of up to 16 bytes,
//!   each followed by its CRC (polynomial 0x3D65). A bad header CRC is
//!   `BAD_LINK_CRC` and stops the parser; a bad data CRC is
//!   `BAD_TRANSPORT_CRC` and skips the frame. Only user-data frames
//!   (link functions 3 and 4) are parsed further.
//! - Transport: FIR/FIN/sequence; segments after the first are appended to
//!   the open message with the same addresses and the next sequence.
//! - Application: control, function code, IIN (responses), object headers
//!   (qualifier, prefix and range codes) and the points of every group and
//!   variation Suricata decodes ([`objects`]); an undecodable object is
//!   `UNKNOWN_OBJECT`, too many points or objects are `TOO_MANY_POINTS` /
//!   `TOO_MANY_OBJECTS`.
//!
//! # Transactions
//! As in Suricata 7, every request and every response is a transaction of
//! its own, logged once its final segment arrives: `dnp3.type` is
//! `request`, `response` or `unsolicited_response` (function 130).
//! Confirms (function 0) from the client are not transactions. More than
//! [`MAX_TX`] messages open at once raise `FLOODED`. Records carry no
//! `tx_id` and are oriented client to server, as Suricata's.
//!
//! Suricata parses DNP3 over TCP only; vigil also parses UDP datagrams
//! (each one a sequence of whole frames), logged the same way.
//!
//! # Rule keyword fields
//! - `dnp3_func` / `dnp3.func`: [`Dnp3Tx::function_code`];
//!   [`function_code_by_name`] maps Suricata's names;
//! - `dnp3_ind` / `dnp3.ind`: [`Dnp3Tx::iin`] (responses; 0 for requests);
//!   [`indicator_by_name`] maps Suricata's names;
//! - `dnp3_obj` / `dnp3.obj`: [`Dnp3Tx::objects`] (`group`, `variation`);
//!   [`Transaction::uints`] also gives `dnp3.func`, `dnp3.ind` and
//!   `dnp3.obj` (group << 8 | variation);
//! - `dnp3_data` / `dnp3.data` buffer: the application layer with the link
//!   and transport headers and CRCs removed ([`Transaction::buffer`]
//!   `"dnp3_data"` or `"dnp3.data"`).

mod objects;

pub use objects::{Point, Val};

use vigil_eve::JsonWriter;

use crate::ot::modbus::push_escaped;
use crate::{
    AppParser, AppProto, Direction, ParseOutput, Probe, ProtoInfo, Transaction, Transport,
};

/// Messages open at once before `FLOODED` (Suricata 7's `max-tx` default).
pub const MAX_TX: usize = 32;
/// Points per message before `TOO_MANY_POINTS` (Suricata's `max-points`).
pub const MAX_POINTS: u32 = 16384;
/// Objects per message before `TOO_MANY_OBJECTS` (`max-objects`).
pub const MAX_OBJECTS: usize = 2048;
/// Largest reassembled application message kept (beyond it the message is
/// `MALFORMED`); bounds memory per open message.
pub const MAX_MESSAGE: usize = 65536;

const LINK_HDR: usize = 10;
const BLOCK: usize = 16;
const CRC_LEN: usize = 2;
/// Suricata buffers at most a partial frame; a frame is at most 292 bytes.
const MAX_BUFFER: usize = 4096;

/// Registration of dnp3.
pub static INFO: ProtoInfo = ProtoInfo {
    proto: AppProto::Dnp3,
    tcp_ports: &[20000],
    udp_ports: &[20000],
    probe_tcp: Some(probe),
    probe_udp: Some(probe),
    port_only: true,
    new_parser,
};

fn new_parser(transport: Transport) -> Box<dyn AppParser> {
    Box::new(Dnp3Parser::new(transport))
}

const fn crc_table() -> [u16; 256] {
    let mut table = [0u16; 256];
    let mut i = 0;
    while i < 256 {
        let mut crc = i as u16;
        let mut bit = 0;
        while bit < 8 {
            crc = if crc & 1 != 0 {
                (crc >> 1) ^ 0xa6bc
            } else {
                crc >> 1
            };
            bit += 1;
        }
        table[i] = crc;
        i += 1;
    }
    table
}

static CRC_TABLE: [u16; 256] = crc_table();

/// The DNP3 CRC of `data`.
pub fn crc(data: &[u8]) -> u16 {
    let mut crc: u16 = 0;
    for &b in data {
        let idx = usize::from((crc ^ u16::from(b)) & 0xff);
        crc = CRC_TABLE[idx] ^ (crc >> 8);
    }
    !crc
}

/// Whether `block` ends with the CRC of the bytes before it (at least one).
fn check_crc(block: &[u8]) -> bool {
    if block.len() < CRC_LEN + 1 {
        return false;
    }
    let (data, sum) = block.split_at(block.len() - CRC_LEN);
    let c = crc(data);
    sum == [(c & 0xff) as u8, (c >> 8) as u8]
}

fn check_user_data_crcs(data: &[u8]) -> bool {
    data.chunks(BLOCK + CRC_LEN).all(check_crc)
}

/// Frame length with CRCs for a header length field; 0 when too small.
fn link_length(len: u8) -> usize {
    if len < 5 {
        return 0;
    }
    let len = usize::from(len - 5);
    let rem = len % BLOCK;
    let mut frame = len / BLOCK * (BLOCK + CRC_LEN);
    if rem != 0 {
        frame += rem + CRC_LEN;
    }
    frame + LINK_HDR
}

/// Prober: a banner containing "DNP3" (all printable), or a link header
/// with start bytes `05 64` and a length of at least 5.
fn probe(_dir: Direction, data: &[u8]) -> Probe {
    if memchr::memmem::find(data, b"DNP3").is_some()
        && data.iter().take(256).all(|&b| (0x20..0x7f).contains(&b))
    {
        return Probe::Match;
    }
    if data.len() < LINK_HDR {
        return Probe::NeedMore;
    }
    if data.first() != Some(&0x05) || data.get(1) != Some(&0x64) {
        return Probe::NoMatch;
    }
    if data.get(2).is_some_and(|&l| l < 5) {
        return Probe::NoMatch;
    }
    Probe::Match
}

/// Link header fields.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct LinkHeader {
    /// Link control octet.
    pub control: u8,
    /// Destination address.
    pub dst: u16,
    /// Source address.
    pub src: u16,
}

/// One decoded object header with its points.
#[derive(Clone, Debug, PartialEq)]
pub struct Object {
    /// Object group.
    pub group: u8,
    /// Object variation.
    pub variation: u8,
    /// Qualifier octet.
    pub qualifier: u8,
    /// Prefix code (qualifier bits 4-6).
    pub prefix_code: u8,
    /// Range code (qualifier bits 0-3).
    pub range_code: u8,
    /// Range start (0 for count ranges).
    pub start: u32,
    /// Range stop (0 for count ranges).
    pub stop: u32,
    /// Number of points the header announces.
    pub count: u32,
    /// The points decoded.
    pub points: Vec<Point>,
}

/// One DNP3 message (request or response): a Suricata transaction.
#[derive(Clone, Debug)]
pub struct Dnp3Tx {
    /// Suricata's transaction id (from 0).
    id: u64,
    request: bool,
    lh: LinkHeader,
    th: u8,
    app_control: u8,
    function: u8,
    iin: u16,
    buffer: Vec<u8>,
    objects: Vec<Object>,
    complete: bool,
    done: bool,
}

impl Dnp3Tx {
    /// Whether this is a request (from the client).
    pub fn is_request(&self) -> bool {
        self.request
    }

    /// Application function code (`dnp3_func`).
    pub fn function_code(&self) -> u8 {
        self.function
    }

    /// Internal indications, IIN1 << 8 | IIN2 (`dnp3_ind`; 0 for requests).
    pub fn iin(&self) -> u16 {
        self.iin
    }

    /// Decoded objects (`dnp3_obj` matches their group and variation).
    pub fn objects(&self) -> &[Object] {
        &self.objects
    }

    /// The application layer bytes (`dnp3_data`).
    pub fn data(&self) -> &[u8] {
        &self.buffer
    }

    /// The link header of the message's first frame.
    pub fn link_header(&self) -> LinkHeader {
        self.lh
    }

    /// Whether every object decoded.
    pub fn complete(&self) -> bool {
        self.complete
    }
}

/// Suricata's names of the IIN bits, in the order it logs them.
pub const INDICATORS: &[(&str, u16)] = &[
    ("device_restart", 0x8000),
    ("device_trouble", 0x4000),
    ("local_control", 0x2000),
    ("need_time", 0x1000),
    ("class_3_events", 0x0800),
    ("class_2_events", 0x0400),
    ("class_1_events", 0x0200),
    ("all_stations", 0x0100),
    ("reserved_1", 0x0080),
    ("reserved_2", 0x0040),
    ("config_corrupt", 0x0020),
    ("already_executing", 0x0010),
    ("event_buffer_overflow", 0x0008),
    ("parameter_error", 0x0004),
    ("object_unknown", 0x0002),
    ("no_func_code_support", 0x0001),
];

/// Suricata's names of the application function codes (`dnp3_func`).
pub const FUNCTIONS: &[(&str, u8)] = &[
    ("confirm", 0),
    ("read", 1),
    ("write", 2),
    ("select", 3),
    ("operate", 4),
    ("direct_operate", 5),
    ("direct_operate_nr", 6),
    ("immed_freeze", 7),
    ("immed_freeze_nr", 8),
    ("freeze_clear", 9),
    ("freeze_clear_nr", 10),
    ("freeze_at_time", 11),
    ("freeze_at_time_nr", 12),
    ("cold_restart", 13),
    ("warm_restart", 14),
    ("initialize_data", 15),
    ("initialize_appl", 16),
    ("start_appl", 17),
    ("stop_appl", 18),
    ("save_config", 19),
    ("enable_unsolicited", 20),
    ("disable_unsolicited", 21),
    ("assign_class", 22),
    ("delay_measure", 23),
    ("record_current_time", 24),
    ("open_file", 25),
    ("close_file", 26),
    ("delete_file", 27),
    ("get_file_info", 28),
    ("authenticate_file", 29),
    ("abort_file", 30),
    ("activate_config", 31),
    ("authenticate_req", 32),
    ("authenticate_err", 33),
    ("response", 129),
    ("unsolicited_response", 130),
    ("authenticate_resp", 131),
];

/// The function code Suricata's `dnp3_func` accepts for `name` (or a
/// number).
pub fn function_code_by_name(name: &str) -> Option<u8> {
    let name = name.trim();
    name.parse()
        .ok()
        .or_else(|| FUNCTIONS.iter().find(|(n, _)| *n == name).map(|(_, c)| *c))
}

/// The IIN bit of an indicator name (`dnp3_ind`).
pub fn indicator_by_name(name: &str) -> Option<u16> {
    let name = name.trim();
    INDICATORS.iter().find(|(n, _)| *n == name).map(|(_, v)| *v)
}

impl Transaction for Dnp3Tx {
    fn event_type(&self) -> &'static str {
        "dnp3"
    }

    fn logs_tx_id(&self) -> bool {
        false
    }

    fn message_dir(&self) -> Option<Direction> {
        Some(if self.request {
            Direction::ToServer
        } else {
            Direction::ToClient
        })
    }

    fn tx_id(&self) -> Option<u64> {
        Some(self.id)
    }

    /// `dnp3.func` (function code), `dnp3.ind` (IIN of responses),
    /// `dnp3.obj` (group << 8 | variation, once per object).
    fn uints(&self, name: &str, f: &mut dyn FnMut(u64)) {
        match name {
            "dnp3.func" | "dnp3_func" => f(u64::from(self.function)),
            "dnp3.ind" | "dnp3_ind" if !self.request => f(u64::from(self.iin)),
            "dnp3.obj" | "dnp3_obj" => {
                for o in &self.objects {
                    f(u64::from(o.group) << 8 | u64::from(o.variation));
                }
            }
            _ => {}
        }
    }

    fn write_eve(&self, w: &mut JsonWriter<'_>) {
        w.open_object_key("dnp3");
        let kind = if self.request {
            "request"
        } else if self.function == 130 {
            "unsolicited_response"
        } else {
            "response"
        };
        w.string("type", kind);
        let lc = self.lh.control;
        w.open_object_key("control");
        w.boolean("dir", lc & 0x80 != 0);
        w.boolean("pri", lc & 0x40 != 0);
        w.boolean("fcb", lc & 0x20 != 0);
        w.boolean("fcv", lc & 0x10 != 0);
        w.uint("function_code", u64::from(lc & 0x0f));
        w.close_object();
        w.uint("src", u64::from(self.lh.src));
        w.uint("dst", u64::from(self.lh.dst));
        w.open_object_key("application");
        let ac = self.app_control;
        w.open_object_key("control");
        w.boolean("fir", ac & 0x80 != 0);
        w.boolean("fin", ac & 0x40 != 0);
        w.boolean("con", ac & 0x20 != 0);
        w.boolean("uns", ac & 0x10 != 0);
        w.uint("sequence", u64::from(ac & 0x0f));
        w.close_object();
        w.uint("function_code", u64::from(self.function));
        if !self.objects.is_empty() {
            w.open_array_key("objects");
            for obj in &self.objects {
                write_object(w, obj);
            }
            w.close_array();
        }
        w.boolean("complete", self.complete);
        w.close_object();
        if !self.request {
            w.open_object_key("iin");
            if self.iin != 0 {
                w.open_array_key("indicators");
                for (name, bit) in INDICATORS {
                    if self.iin & bit != 0 {
                        w.array_string(name);
                    }
                }
                w.close_array();
            }
            w.close_object();
        }
        w.close_object();
    }

    fn buffer(&self, name: &str) -> Option<&[u8]> {
        match name {
            "dnp3_data" | "dnp3.data" => Some(&self.buffer),
            _ => None,
        }
    }
}

fn write_object(w: &mut JsonWriter<'_>, obj: &Object) {
    w.open_object();
    w.uint("group", u64::from(obj.group));
    w.uint("variation", u64::from(obj.variation));
    w.uint("qualifier", u64::from(obj.qualifier));
    w.uint("prefix_code", u64::from(obj.prefix_code));
    w.uint("range_code", u64::from(obj.range_code));
    w.uint("start", u64::from(obj.start));
    w.uint("stop", u64::from(obj.stop));
    w.uint("count", u64::from(obj.count));
    if !obj.points.is_empty() {
        w.open_array_key("points");
        for p in &obj.points {
            w.open_object();
            w.uint("prefix", u64::from(p.prefix));
            w.uint("index", u64::from(p.index));
            if let Some(size) = p.size {
                w.uint("size", u64::from(size));
            }
            for (name, val) in &p.fields {
                write_val(w, name, val);
            }
            w.close_object();
        }
        w.close_array();
    }
    w.close_object();
}

fn write_val(w: &mut JsonWriter<'_>, name: &str, val: &Val) {
    match val {
        Val::U(u) => w.uint(name, *u),
        Val::F(f) => {
            if f.is_finite() {
                w.float(name, *f);
            } else {
                // Suricata writes null; keep the record valid JSON with
                // the closest thing the writer has.
                w.null(name);
            }
        }
        Val::Str(s) => {
            if let Ok(text) = std::str::from_utf8(s) {
                w.string_with(name, |out| text.bytes().for_each(|b| push_escaped(out, b)));
            }
        }
        Val::Vstr(s) => {
            if let Ok(text) = std::str::from_utf8(s) {
                let key = data_key(name);
                w.string_with(&key, |out| text.bytes().for_each(|b| push_escaped(out, b)));
            }
        }
        // An empty byte array is not logged (as Suricata).
        Val::Bytes(b) if b.is_empty() => {}
        Val::Bytes(b) => {
            let key = data_key(name);
            w.string_with(&key, |out| base64(out, b));
        }
    }
}

/// Suricata logs byte-array and 4-character fields under `data->NAME`.
fn data_key(name: &str) -> String {
    format!("data->{name}")
}

fn base64(out: &mut Vec<u8>, data: &[u8]) {
    const A: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    for chunk in data.chunks(3) {
        let b0 = chunk.first().copied().unwrap_or(0);
        let b1 = chunk.get(1).copied().unwrap_or(0);
        let b2 = chunk.get(2).copied().unwrap_or(0);
        let n = u32::from(b0) << 16 | u32::from(b1) << 8 | u32::from(b2);
        out.push(A[(n >> 18 & 63) as usize]);
        out.push(A[(n >> 12 & 63) as usize]);
        out.push(if chunk.len() > 1 {
            A[(n >> 6 & 63) as usize]
        } else {
            b'='
        });
        out.push(if chunk.len() > 2 {
            A[(n & 63) as usize]
        } else {
            b'='
        });
    }
}

/// Application-layer bytes of a frame's user data (after the 10-byte link
/// header): the transport header and CRCs stripped, appended to `out`.
/// False when malformed (Suricata's reassembly rules).
fn reassemble(user: &[u8], out: &mut Vec<u8>) -> bool {
    // Length without CRCs.
    let blocks = user.len() / (BLOCK + CRC_LEN);
    let rem = user.len() % (BLOCK + CRC_LEN);
    let len = if rem != 0 {
        if rem < CRC_LEN {
            return false;
        }
        blocks * BLOCK + rem - CRC_LEN
    } else {
        blocks * BLOCK
    };
    if len < 2 {
        // The transport header plus at least one byte.
        return false;
    }
    let mut offset = 0usize;
    while offset < user.len() {
        let mut block_size = (user.len() - offset).min(BLOCK + CRC_LEN);
        if offset == 0 {
            offset = 1;
            block_size -= 1;
        }
        if block_size < CRC_LEN + 1 {
            return false;
        }
        let Some(data) = user.get(offset..offset + block_size - CRC_LEN) else {
            return false;
        };
        out.extend_from_slice(data);
        offset += block_size;
    }
    true
}

/// Decodes the object headers and points of an application message body.
/// Returns whether all objects decoded.
fn decode_objects(body: &[u8], objects: &mut Vec<Object>, events: &mut Vec<&'static str>) -> bool {
    let mut pos = 0usize;
    let mut points_total: u32 = 0;
    while pos < body.len() {
        let Some(hdr) = body.get(pos..pos + 3) else {
            return false;
        };
        if objects.len() >= MAX_OBJECTS {
            events.push("TOO_MANY_OBJECTS");
            return false;
        }
        let (group, variation, qualifier) = (hdr[0], hdr[1], hdr[2]);
        pos += 3;
        let prefix_code = (qualifier >> 4) & 0x7;
        let range_code = qualifier & 0xf;
        let mut obj = Object {
            group,
            variation,
            qualifier,
            prefix_code,
            range_code,
            start: 0,
            stop: 0,
            count: 0,
            points: Vec::new(),
        };
        let le = |pos: usize, n: usize| -> Option<u32> {
            let s = body.get(pos..pos.checked_add(n)?)?;
            Some(s.iter().rev().fold(0u32, |a, &b| (a << 8) | u32::from(b)))
        };
        let (width, is_range) = match range_code {
            0x00 | 0x03 => (1, true),
            0x01 | 0x04 => (2, true),
            0x02 | 0x05 => (4, true),
            0x06 => (0, false),
            0x07 | 0x0b => (1, false),
            0x08 => (2, false),
            0x09 => (4, false),
            _ => {
                // Reserved range code: stop, keeping the header.
                objects.push(obj);
                return false;
            }
        };
        if is_range {
            let (Some(start), Some(stop)) = (le(pos, width), le(pos + width, width)) else {
                objects.push(obj);
                return false;
            };
            obj.start = start;
            obj.stop = stop;
            obj.count = stop.wrapping_sub(start).wrapping_add(1);
            pos += 2 * width;
        } else if width > 0 {
            let Some(count) = le(pos, width) else {
                objects.push(obj);
                return false;
            };
            obj.count = count;
            pos += width;
        }
        if obj.variation == 0 || obj.count == 0 {
            objects.push(obj);
            continue;
        }
        if obj.count > MAX_POINTS.saturating_sub(points_total) {
            events.push("TOO_MANY_POINTS");
            objects.push(obj);
            return false;
        }
        points_total += obj.count;
        let result = objects::decode(
            group,
            variation,
            body,
            &mut pos,
            prefix_code,
            obj.start,
            obj.count,
            &mut obj.points,
        );
        objects.push(obj);
        if result.is_err() {
            events.push("UNKNOWN_OBJECT");
            return false;
        }
    }
    true
}

/// Per-direction stream buffer.
#[derive(Default)]
struct Half {
    buf: Vec<u8>,
}

/// The DNP3 parser of one flow.
pub struct Dnp3Parser {
    transport: Transport,
    /// Open (not yet final) messages and messages done in this call.
    txs: Vec<(u64, Dnp3Tx)>,
    /// Last transaction number handed out.
    last_id: u64,
    /// The most recent transaction, while it is alive (events attach to
    /// it, as Suricata's; with none they are dropped).
    curr: Option<u64>,
    flooded: bool,
    halves: [Half; 2],
    failed: bool,
}

impl Dnp3Parser {
    fn new(transport: Transport) -> Dnp3Parser {
        Dnp3Parser {
            transport,
            txs: Vec::new(),
            last_id: 0,
            curr: None,
            flooded: false,
            halves: Default::default(),
            failed: false,
        }
    }

    fn set_event(&self, name: &'static str, out: &mut ParseOutput) {
        if let Some(id) = self.curr {
            out.tx_event(AppProto::Dnp3, name, id - 1);
        }
    }

    fn alloc(&mut self, mut tx: Dnp3Tx, out: &mut ParseOutput) -> usize {
        self.last_id += 1;
        tx.id = self.last_id - 1;
        self.curr = Some(self.last_id);
        self.txs.push((self.last_id, tx));
        if self.txs.len() > MAX_TX {
            self.set_event("FLOODED", out);
            self.flooded = true;
        }
        self.txs.len() - 1
    }

    /// Handles one user-data frame (CRCs already checked).
    fn user_data(&mut self, request: bool, frame: &[u8], out: &mut ParseOutput) {
        let Some(hdr) = frame.get(..LINK_HDR) else {
            return;
        };
        let lh = LinkHeader {
            control: hdr[3],
            dst: u16::from_le_bytes([hdr[4], hdr[5]]),
            src: u16::from_le_bytes([hdr[6], hdr[7]]),
        };
        let Some(&th) = frame.get(LINK_HDR) else {
            return;
        };
        let seq = |t: u8| t & 0x3f;
        let fir = th & 0x40 != 0;
        let fin = th & 0x80 != 0;
        let idx = if !fir {
            let found = self.txs.iter().position(|(_, t)| {
                t.request == request
                    && !t.done
                    && t.lh.src == lh.src
                    && t.lh.dst == lh.dst
                    && (seq(t.th) + 1) % 64 == seq(th)
            });
            let Some(i) = found else { return };
            if let Some((_, t)) = self.txs.get_mut(i) {
                t.th = th;
            }
            i
        } else {
            let (Some(&ac), Some(&fc)) = (frame.get(LINK_HDR + 1), frame.get(LINK_HDR + 2)) else {
                return;
            };
            if request && fc == 0 {
                // Confirms are not transactions.
                return;
            }
            let iin = if request {
                0
            } else {
                match (frame.get(LINK_HDR + 3), frame.get(LINK_HDR + 4)) {
                    (Some(&a), Some(&b)) => u16::from(a) << 8 | u16::from(b),
                    _ => 0,
                }
            };
            let tx = Dnp3Tx {
                id: 0,
                request,
                lh,
                th,
                app_control: ac,
                function: fc,
                iin,
                buffer: Vec::new(),
                objects: Vec::new(),
                complete: false,
                done: false,
            };
            self.alloc(tx, out)
        };
        let user = frame.get(LINK_HDR..).unwrap_or(&[]);
        let mut malformed = false;
        if let Some((_, tx)) = self.txs.get_mut(idx) {
            let before = tx.buffer.len();
            if !reassemble(user, &mut tx.buffer) || tx.buffer.len() > MAX_MESSAGE {
                tx.buffer.truncate(before);
                malformed = true;
                if request {
                    tx.done = true;
                }
            }
        }
        if malformed {
            self.set_event("MALFORMED", out);
            return;
        }
        if !fin {
            return;
        }
        let mut events = Vec::new();
        let mut tx_num = 0;
        if let Some((num, tx)) = self.txs.get_mut(idx) {
            tx_num = *num;
            tx.done = true;
            let skip = if request { 2 } else { 4 };
            let body = tx.buffer.get(skip..).unwrap_or(&[]);
            let mut objects = Vec::new();
            tx.complete = decode_objects(body, &mut objects, &mut events);
            tx.objects = objects;
        }
        // Object events go to this message's transaction.
        for name in events {
            out.tx_event(AppProto::Dnp3, name, tx_num.saturating_sub(1));
        }
    }

    /// Parses whole frames from `input`; returns the bytes consumed, or
    /// `None` when the stream no longer looks like DNP3.
    fn link_layer(&mut self, request: bool, input: &[u8], out: &mut ParseOutput) -> Option<usize> {
        let mut pos = 0usize;
        while input.len() - pos >= LINK_HDR {
            let frame_start = input.get(pos..)?;
            if frame_start.first() != Some(&0x05) || frame_start.get(1) != Some(&0x64) {
                return None;
            }
            let hdr = frame_start.get(..LINK_HDR)?;
            if !check_crc(hdr) {
                self.set_event("BAD_LINK_CRC", out);
                return None;
            }
            let len = hdr[2];
            let frame_len = link_length(len);
            if frame_len == 0 {
                self.set_event("LEN_TOO_SMALL", out);
                return None;
            }
            let Some(frame) = frame_start.get(..frame_len) else {
                break;
            };
            pos += frame_len;
            // User data only (link functions 3 and 4).
            if !matches!(hdr[3] & 0x0f, 3 | 4) {
                continue;
            }
            let min = if request { 8 } else { 10 };
            if len < min {
                self.set_event("LEN_TOO_SMALL", out);
                if request {
                    continue;
                }
                return None;
            }
            if !check_user_data_crcs(frame.get(LINK_HDR..)?) {
                self.set_event("BAD_TRANSPORT_CRC", out);
                continue;
            }
            self.user_data(request, frame, out);
        }
        Some(pos)
    }

    /// Logs messages that are done and frees them, as Suricata does after
    /// each packet; drops the oldest open ones when flooded.
    fn flush(&mut self, out: &mut ParseOutput) {
        let mut i = 0;
        while i < self.txs.len() {
            if self.txs.get(i).is_some_and(|(_, t)| t.done) {
                let (id, tx) = self.txs.remove(i);
                if self.curr == Some(id) {
                    self.curr = None;
                }
                out.tx(tx);
            } else {
                i += 1;
            }
        }
        if self.flooded {
            while self.txs.len() > MAX_TX {
                let (id, _) = self.txs.remove(0);
                if self.curr == Some(id) {
                    self.curr = None;
                }
            }
            if self.txs.len() < MAX_TX {
                self.flooded = false;
            }
        }
    }
}

impl AppParser for Dnp3Parser {
    fn parse(&mut self, dir: Direction, data: &[u8], out: &mut ParseOutput) {
        if self.failed || data.is_empty() {
            return;
        }
        let request = dir == Direction::ToServer;
        if self.transport == Transport::Udp {
            if request || memchr::memmem::find(data, b"DNP3").is_none() {
                let _ = self.link_layer(request, data, out);
            }
            self.flush(out);
            return;
        }
        let d = dir.index();
        let buffered = !self.halves[d].buf.is_empty();
        let result = if buffered {
            let mut buf = std::mem::take(&mut self.halves[d].buf);
            buf.extend_from_slice(data);
            let r = self.link_layer(request, &buf, out);
            if let Some(used) = r {
                buf.drain(..used.min(buf.len()));
                self.halves[d].buf = buf;
            }
            r.map(|_| ())
        } else if !request && memchr::memmem::find(data, b"DNP3").is_some() {
            // A banner from the outstation: ignored.
            Some(())
        } else {
            let r = self.link_layer(request, data, out);
            if let Some(used) = r {
                self.halves[d]
                    .buf
                    .extend_from_slice(data.get(used..).unwrap_or(&[]));
            }
            r.map(|_| ())
        };
        if result.is_none() || self.halves[d].buf.len() > MAX_BUFFER {
            // Not DNP3 (any more): stop, as Suricata's parser error does.
            self.failed = true;
            self.halves = Default::default();
        }
        self.flush(out);
    }

    fn gap(&mut self, _dir: Direction, _len: u64, out: &mut ParseOutput) {
        // Suricata's DNP3 parser does not accept gaps.
        self.failed = true;
        self.halves = Default::default();
        self.flush(out);
    }

    fn finish(&mut self, out: &mut ParseOutput) {
        self.flush(out);
    }
}

#[cfg(test)]
mod tests;
