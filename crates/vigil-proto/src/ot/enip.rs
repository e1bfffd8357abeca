//! EtherNet/IP encapsulation and CIP over TCP and UDP port 44818, and
//! connected (class 0/1) I/O over UDP port 2222.
//!
//! # Detection
//! On its ports only (`port_only`), as Suricata: a 24-byte encapsulation
//! header with a known command, a known status and zero options; on UDP
//! 2222 a common packet format (CPF) list starting with an address item.
//!
//! # Parsing
//! Encapsulation header (command, length, session handle, status, sender
//! context, options); per command: List Identity responses (encapsulation
//! version, socket address, vendor, device type, product code, revision,
//! status, serial number, product name, state), Register Session, and
//! SendRRData / SendUnitData CPF items. CIP messages in unconnected (0xB2)
//! and connected (0xB1) data items are decoded: service, request path
//! (class, instance, attribute, connection point, symbolic segments),
//! response general and extended status. Unconnected Send (0x52) is
//! unwrapped to its embedded request, Multiple Service Packet (0x0A) to each
//! embedded service (requests and responses). Stream data is framed by the
//! header's length; partial PDUs are buffered up to [`MAX_PDU`] bytes.
//!
//! # EVE (vigil's own)
//! Suricata 7 parses ENIP/CIP for rules but writes no `enip` record; vigil
//! writes one per encapsulation PDU (and per I/O datagram):
//! `"enip":{"type":"request"|"response","command":"SendRRData",
//! "command_raw":111,"length":N,"session":N,"status":"success",
//! "status_raw":0,"options":N?,"cip":[{"service":N,"service_name":"...",
//! "class":N?,"instance":N?,"attribute":N?,"symbol":"..."?,
//! "status":N?,"extended_status":N?}],"identity":{...}?,
//! "connection_id":N?,"sequence":N?}`.
//!
//! # Rule keyword fields
//! - `enip_command` / `enip.command`: [`EnipTx::command`]
//!   ([`Transaction::uints`] `"enip.command"`);
//! - `cip_service` (service[,class[,attribute]]): [`EnipTx::cip`]
//!   (`"cip.service"`, `"cip.class"`, `"cip.instance"`, `"cip.attribute"`,
//!   `"cip.status"` via [`Transaction::uints`], one value per CIP message);
//! - `enip.status`, `enip.vendor_id`, `enip.device_type`,
//!   `enip.product_code`, `enip.serial`, `enip.state` (uints) and
//!   `enip.product_name` (buffer) from List Identity (Suricata 8's names).

use vigil_eve::JsonWriter;

use crate::ot::modbus::string_from_bytes;
use crate::{
    AppParser, AppProto, Direction, ParseOutput, Probe, ProtoInfo, Transaction, Transport,
};

/// Largest encapsulation PDU buffered (header + data).
pub const MAX_PDU: usize = 65535 + 24;
/// CIP messages kept per PDU (Multiple Service Packets beyond are counted
/// but not kept).
pub const MAX_CIP: usize = 64;
const HDR: usize = 24;

/// Registration of enip.
pub static INFO: ProtoInfo = ProtoInfo {
    proto: AppProto::Enip,
    tcp_ports: &[44818],
    udp_ports: &[44818, 2222],
    probe_tcp: Some(probe),
    probe_udp: Some(probe_udp),
    port_only: true,
    new_parser,
};

fn new_parser(transport: Transport) -> Box<dyn AppParser> {
    Box::new(EnipParser {
        transport,
        bufs: [Vec::new(), Vec::new()],
        failed: false,
    })
}

/// Encapsulation command names.
pub fn command_name(cmd: u16) -> Option<&'static str> {
    Some(match cmd {
        0x0000 => "NOP",
        0x0004 => "ListServices",
        0x0063 => "ListIdentity",
        0x0064 => "ListInterfaces",
        0x0065 => "RegisterSession",
        0x0066 => "UnregisterSession",
        0x006f => "SendRRData",
        0x0070 => "SendUnitData",
        0x0072 => "IndicateStatus",
        0x0073 => "Cancel",
        _ => return None,
    })
}

/// Encapsulation status names.
pub fn status_name(status: u32) -> Option<&'static str> {
    Some(match status {
        0x00 => "success",
        0x01 => "invalid_cmd",
        0x02 => "no_resources",
        0x03 => "incorrect_data",
        0x64 => "invalid_session",
        0x65 => "invalid_length",
        0x69 => "unsupported_prot_rev",
        0x6a => "encap_header_error",
        _ => return None,
    })
}

/// Common CIP service names (requests; responses have bit 7 set).
pub fn service_name(service: u8) -> Option<&'static str> {
    Some(match service & 0x7f {
        0x01 => "GetAttributesAll",
        0x02 => "SetAttributesAll",
        0x03 => "GetAttributeList",
        0x04 => "SetAttributeList",
        0x05 => "Reset",
        0x06 => "Start",
        0x07 => "Stop",
        0x08 => "Create",
        0x09 => "Delete",
        0x0a => "MultipleServicePacket",
        0x0d => "ApplyAttributes",
        0x0e => "GetAttributeSingle",
        0x10 => "SetAttributeSingle",
        0x11 => "FindNextObjectInstance",
        0x14 => "ErrorResponse",
        0x15 => "Restore",
        0x16 => "Save",
        0x17 => "NOP",
        0x18 => "GetMember",
        0x19 => "SetMember",
        0x1a => "InsertMember",
        0x1b => "RemoveMember",
        0x1c => "GroupSync",
        0x4b => "ExecutePCCC",
        0x4c => "ReadTag",
        0x4d => "WriteTag",
        0x4e => "ForwardClose",
        0x4f => "ReadModifyWriteTag",
        0x52 => "UnconnectedSend",
        0x53 => "ReadTagFragmented",
        0x54 => "ForwardOpen",
        0x5b => "LargeForwardOpen",
        _ => return None,
    })
}

fn le16(b: &[u8], at: usize) -> Option<u16> {
    Some(u16::from_le_bytes([*b.get(at)?, *b.get(at + 1)?]))
}

fn le32(b: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_le_bytes([
        *b.get(at)?,
        *b.get(at + 1)?,
        *b.get(at + 2)?,
        *b.get(at + 3)?,
    ]))
}

/// Prober: an encapsulation header with a known command and status and
/// zero options (Suricata's checks).
fn probe(_dir: Direction, data: &[u8]) -> Probe {
    if data.len() < HDR {
        return Probe::NeedMore;
    }
    let (Some(cmd), Some(status), Some(options)) = (le16(data, 0), le32(data, 8), le32(data, 20))
    else {
        return Probe::NoMatch;
    };
    if command_name(cmd).is_none() || status_name(status).is_none() || options != 0 {
        return Probe::NoMatch;
    }
    Probe::Match
}

/// UDP prober: an encapsulation header, or a CPF I/O packet (port 2222).
fn probe_udp(dir: Direction, data: &[u8]) -> Probe {
    match probe(dir, data) {
        Probe::Match => Probe::Match,
        _ if io_packet(data).is_some() => Probe::Match,
        _ => Probe::NoMatch,
    }
}

/// Connected I/O: CPF with a sequenced address item (0x8002) or connected
/// address (0x00a1) and a connected data item (0x00b1). Returns
/// (connection id, sequence, data length).
fn io_packet(data: &[u8]) -> Option<(u32, u32, u16)> {
    let count = le16(data, 0)?;
    if !(2..=4).contains(&count) {
        return None;
    }
    let typ = le16(data, 2)?;
    let len = le16(data, 4)?;
    let (conn, seq) = match (typ, len) {
        (0x8002, 8) => (le32(data, 6)?, le32(data, 10)?),
        (0x00a1, 4) => (le32(data, 6)?, 0),
        _ => return None,
    };
    let next = 6 + usize::from(len);
    if le16(data, next)? != 0x00b1 {
        return None;
    }
    let dlen = le16(data, next + 2)?;
    if data.len() < next + 4 + usize::from(dlen) {
        return None;
    }
    Some((conn, seq, dlen))
}

/// One CIP message (request or response).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Cip {
    /// Service code (bit 7 set in responses).
    pub service: u8,
    /// Class from the request path.
    pub class: Option<u32>,
    /// Instance from the request path.
    pub instance: Option<u32>,
    /// Attribute from the request path.
    pub attribute: Option<u32>,
    /// Connection point from the request path.
    pub connection_point: Option<u32>,
    /// ANSI symbolic segment (tag name).
    pub symbol: Option<Vec<u8>>,
    /// Response general status.
    pub status: Option<u8>,
    /// First extended status word of a response.
    pub extended_status: Option<u16>,
}

/// List Identity fields.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Identity {
    /// Encapsulation protocol version.
    pub protocol_version: u16,
    /// Socket address (IPv4, big-endian in the item).
    pub address: [u8; 4],
    /// Socket port.
    pub port: u16,
    /// Vendor id.
    pub vendor_id: u16,
    /// Device type.
    pub device_type: u16,
    /// Product code.
    pub product_code: u16,
    /// Revision major.
    pub revision_major: u8,
    /// Revision minor.
    pub revision_minor: u8,
    /// Status word.
    pub status: u16,
    /// Serial number.
    pub serial: u32,
    /// Product name.
    pub product_name: Vec<u8>,
    /// State.
    pub state: u8,
}

/// One ENIP PDU (or I/O datagram): a transaction.
#[derive(Clone, Debug, Default)]
pub struct EnipTx {
    request: bool,
    io: bool,
    command: u16,
    length: u16,
    session: u32,
    status: u32,
    options: u32,
    cip: Vec<Cip>,
    identity: Option<Identity>,
    connection_id: Option<u32>,
    sequence: Option<u32>,
}

impl EnipTx {
    /// Encapsulation command (`enip_command`).
    pub fn command(&self) -> u16 {
        self.command
    }

    /// Encapsulation status.
    pub fn status(&self) -> u32 {
        self.status
    }

    /// The CIP messages (`cip_service`), unwrapped from Unconnected Send
    /// and Multiple Service Packet.
    pub fn cip(&self) -> &[Cip] {
        &self.cip
    }

    /// List Identity response fields.
    pub fn identity(&self) -> Option<&Identity> {
        self.identity.as_ref()
    }

    /// Whether the PDU came from the client.
    pub fn is_request(&self) -> bool {
        self.request
    }
}

impl Transaction for EnipTx {
    fn event_type(&self) -> &'static str {
        "enip"
    }

    fn write_eve(&self, w: &mut JsonWriter<'_>) {
        w.open_object_key("enip");
        w.string("type", if self.request { "request" } else { "response" });
        if self.io {
            w.string("command", "io");
            if let Some(c) = self.connection_id {
                w.uint("connection_id", u64::from(c));
            }
            if let Some(s) = self.sequence {
                w.uint("sequence", u64::from(s));
            }
            w.uint("length", u64::from(self.length));
            w.close_object();
            return;
        }
        match command_name(self.command) {
            Some(n) => w.string("command", n),
            None => w.string("command", &format!("unknown-{}", self.command)),
        }
        w.uint("command_raw", u64::from(self.command));
        w.uint("length", u64::from(self.length));
        w.uint("session", u64::from(self.session));
        match status_name(self.status) {
            Some(n) => w.string("status", n),
            None => w.string("status", &format!("unknown-{}", self.status)),
        }
        w.uint("status_raw", u64::from(self.status));
        if self.options != 0 {
            w.uint("options", u64::from(self.options));
        }
        if let Some(c) = self.connection_id {
            w.uint("connection_id", u64::from(c));
        }
        if let Some(s) = self.sequence {
            w.uint("sequence", u64::from(s));
        }
        if !self.cip.is_empty() {
            w.open_array_key("cip");
            for c in &self.cip {
                w.open_object();
                w.uint("service", u64::from(c.service));
                if let Some(n) = service_name(c.service) {
                    w.string("service_name", n);
                }
                for (k, v) in [
                    ("class", c.class),
                    ("instance", c.instance),
                    ("attribute", c.attribute),
                    ("connection_point", c.connection_point),
                ] {
                    if let Some(v) = v {
                        w.uint(k, u64::from(v));
                    }
                }
                if let Some(s) = &c.symbol {
                    string_from_bytes(w, "symbol", s);
                }
                if let Some(s) = c.status {
                    w.uint("status", u64::from(s));
                }
                if let Some(s) = c.extended_status {
                    w.uint("extended_status", u64::from(s));
                }
                w.close_object();
            }
            w.close_array();
        }
        if let Some(id) = &self.identity {
            w.open_object_key("identity");
            w.uint("protocol_version", u64::from(id.protocol_version));
            w.string_with("address", |out| {
                let a = id.address;
                out.extend_from_slice(format!("{}.{}.{}.{}", a[0], a[1], a[2], a[3]).as_bytes());
            });
            w.uint("port", u64::from(id.port));
            w.uint("vendor_id", u64::from(id.vendor_id));
            w.uint("device_type", u64::from(id.device_type));
            w.uint("product_code", u64::from(id.product_code));
            w.string(
                "revision",
                &format!("{}.{}", id.revision_major, id.revision_minor),
            );
            w.uint("status", u64::from(id.status));
            w.string("serial", &format!("0x{:08x}", id.serial));
            string_from_bytes(w, "product_name", &id.product_name);
            w.uint("state", u64::from(id.state));
            w.close_object();
        }
        w.close_object();
    }

    fn buffer(&self, name: &str) -> Option<&[u8]> {
        match name {
            "enip.product_name" => self.identity.as_ref().map(|i| i.product_name.as_slice()),
            _ => None,
        }
    }

    fn as_any(&self) -> Option<&dyn std::any::Any> {
        Some(self)
    }

    fn uints(&self, name: &str, f: &mut dyn FnMut(u64)) {
        let id = self.identity.as_ref();
        match name {
            "enip.command" | "enip_command" if !self.io => f(u64::from(self.command)),
            "enip.status" if !self.io => f(u64::from(self.status)),
            "cip.service" | "cip_service" => self.cip.iter().for_each(|c| f(u64::from(c.service))),
            "cip.class" => self
                .cip
                .iter()
                .filter_map(|c| c.class)
                .for_each(|v| f(u64::from(v))),
            "cip.instance" => self
                .cip
                .iter()
                .filter_map(|c| c.instance)
                .for_each(|v| f(u64::from(v))),
            "cip.attribute" => self
                .cip
                .iter()
                .filter_map(|c| c.attribute)
                .for_each(|v| f(u64::from(v))),
            "cip.status" => self
                .cip
                .iter()
                .filter_map(|c| c.status)
                .for_each(|v| f(u64::from(v))),
            "enip.vendor_id" => id.into_iter().for_each(|i| f(u64::from(i.vendor_id))),
            "enip.device_type" => id.into_iter().for_each(|i| f(u64::from(i.device_type))),
            "enip.product_code" => id.into_iter().for_each(|i| f(u64::from(i.product_code))),
            "enip.serial" => id.into_iter().for_each(|i| f(u64::from(i.serial))),
            "enip.state" => id.into_iter().for_each(|i| f(u64::from(i.state))),
            _ => {}
        }
    }
}

/// Decodes a CIP request path into `cip`.
fn parse_path(path: &[u8], cip: &mut Cip) {
    let mut i = 0usize;
    while let Some(&seg) = path.get(i) {
        let (value, used) = match seg {
            0x20 | 0x24 | 0x28 | 0x2c | 0x30 => (path.get(i + 1).map(|&v| u32::from(v)), 2),
            0x21 | 0x25 | 0x29 | 0x2d | 0x31 => (le16(path, i + 2).map(u32::from), 4),
            0x22 | 0x26 | 0x2a | 0x2e | 0x32 => (le32(path, i + 2), 6),
            0x91 => {
                let Some(&len) = path.get(i + 1) else { return };
                let len = usize::from(len);
                let Some(name) = path.get(i + 2..i + 2 + len) else {
                    return;
                };
                if cip.symbol.is_none() {
                    cip.symbol = Some(name.to_vec());
                }
                i += 2 + len + (len & 1);
                continue;
            }
            _ => return,
        };
        let Some(value) = value else { return };
        match seg & 0xfc {
            0x20 => cip.class = Some(value),
            0x24 => cip.instance = Some(value),
            0x2c => cip.connection_point = Some(value),
            0x30 => cip.attribute = Some(value),
            _ => {}
        }
        i += used;
    }
}

/// Decodes a CIP message (request when the service's bit 7 is clear),
/// unwrapping Unconnected Send and Multiple Service Packet.
fn parse_cip(data: &[u8], out: &mut Vec<Cip>, depth: u8) {
    let Some(&service) = data.first() else { return };
    if out.len() >= MAX_CIP || depth > 4 {
        return;
    }
    let mut cip = Cip {
        service,
        ..Cip::default()
    };
    if service & 0x80 == 0 {
        let Some(&words) = data.get(1) else { return };
        let plen = usize::from(words) * 2;
        let Some(path) = data.get(2..2 + plen) else {
            out.push(cip);
            return;
        };
        parse_path(path, &mut cip);
        let body = data.get(2 + plen..).unwrap_or(&[]);
        let unconnected_send = service == 0x52 && cip.class == Some(6);
        let multiple = service == 0x0a;
        out.push(cip);
        if unconnected_send {
            // priority/tick, timeout, message size, message.
            if let Some(size) = le16(body, 2)
                && let Some(msg) = body.get(4..4 + usize::from(size))
            {
                parse_cip(msg, out, depth + 1);
            }
        } else if multiple {
            parse_multiple(body, out, depth);
        }
    } else {
        cip.status = data.get(2).copied();
        let ext_words = data.get(3).copied().unwrap_or(0);
        if ext_words > 0 {
            cip.extended_status = le16(data, 4);
        }
        let body = data.get(4 + usize::from(ext_words) * 2..).unwrap_or(&[]);
        out.push(cip);
        if service == 0x8a {
            parse_multiple(body, out, depth);
        }
    }
}

/// Multiple Service Packet body: count, offsets (from the count), services.
fn parse_multiple(body: &[u8], out: &mut Vec<Cip>, depth: u8) {
    let Some(count) = le16(body, 0) else { return };
    let count = usize::from(count).min(MAX_CIP);
    let mut offsets = Vec::with_capacity(count);
    for k in 0..count {
        match le16(body, 2 + 2 * k) {
            Some(o) => offsets.push(usize::from(o)),
            None => return,
        }
    }
    for (k, &start) in offsets.iter().enumerate() {
        let end = offsets.get(k + 1).copied().unwrap_or(body.len());
        if let Some(msg) = body.get(start..end.max(start)) {
            parse_cip(msg, out, depth + 1);
        }
    }
}

/// Decodes CPF items (SendRRData / SendUnitData / ListIdentity).
fn parse_items(items: &[u8], tx: &mut EnipTx) {
    let Some(count) = le16(items, 0) else { return };
    let mut at = 2usize;
    for _ in 0..count.min(16) {
        let (Some(typ), Some(len)) = (le16(items, at), le16(items, at + 2)) else {
            return;
        };
        let Some(data) = items.get(at + 4..at + 4 + usize::from(len)) else {
            return;
        };
        match typ {
            0x00a1 => tx.connection_id = le32(data, 0),
            0x00b2 => parse_cip(data, &mut tx.cip, 0),
            0x00b1 => {
                tx.sequence = le16(data, 0).map(u32::from);
                if tx.command == 0x0070 {
                    parse_cip(data.get(2..).unwrap_or(&[]), &mut tx.cip, 0);
                }
            }
            0x000c => tx.identity = parse_identity(data),
            _ => {}
        }
        at += 4 + usize::from(len);
    }
}

fn parse_identity(d: &[u8]) -> Option<Identity> {
    let name_len = usize::from(*d.get(32)?);
    let name = d.get(33..33 + name_len)?;
    Some(Identity {
        protocol_version: le16(d, 0)?,
        port: u16::from_be_bytes([*d.get(4)?, *d.get(5)?]),
        address: [*d.get(6)?, *d.get(7)?, *d.get(8)?, *d.get(9)?],
        vendor_id: le16(d, 18)?,
        device_type: le16(d, 20)?,
        product_code: le16(d, 22)?,
        revision_major: *d.get(24)?,
        revision_minor: *d.get(25)?,
        status: le16(d, 26)?,
        serial: le32(d, 28)?,
        product_name: name.to_vec(),
        state: d.get(33 + name_len).copied().unwrap_or(0),
    })
}

fn parse_pdu(request: bool, pdu: &[u8]) -> Option<EnipTx> {
    let mut tx = EnipTx {
        request,
        command: le16(pdu, 0)?,
        length: le16(pdu, 2)?,
        session: le32(pdu, 4)?,
        status: le32(pdu, 8)?,
        options: le32(pdu, 20)?,
        ..EnipTx::default()
    };
    let data = pdu.get(HDR..).unwrap_or(&[]);
    match tx.command {
        // Interface handle (4) and timeout (2) precede the items.
        0x006f | 0x0070 => parse_items(data.get(6..).unwrap_or(&[]), &mut tx),
        0x0063 | 0x0004 | 0x0064 => parse_items(data, &mut tx),
        _ => {}
    }
    Some(tx)
}

/// The ENIP parser of one flow.
pub struct EnipParser {
    transport: Transport,
    bufs: [Vec<u8>; 2],
    failed: bool,
}

impl AppParser for EnipParser {
    fn parse(&mut self, dir: Direction, data: &[u8], out: &mut ParseOutput) {
        if self.failed {
            return;
        }
        let request = dir == Direction::ToServer;
        if self.transport == Transport::Udp {
            if data.len() >= HDR && probe(dir, data) == Probe::Match {
                if let Some(tx) = parse_pdu(request, data) {
                    out.tx(tx);
                }
            } else if let Some((conn, seq, len)) = io_packet(data) {
                out.tx(EnipTx {
                    request,
                    io: true,
                    length: len,
                    connection_id: Some(conn),
                    sequence: Some(seq),
                    ..EnipTx::default()
                });
            }
            return;
        }
        let buf = &mut self.bufs[dir.index()];
        buf.extend_from_slice(data);
        let mut pos = 0usize;
        while let Some(len) = le16(buf, pos + 2) {
            if command_name(le16(buf, pos).unwrap_or(0xffff)).is_none() {
                // Lost framing: stop parsing this flow.
                // (Suricata 7 has no ENIP anomaly events.)
                self.failed = true;
                self.bufs = [Vec::new(), Vec::new()];
                return;
            }
            let total = HDR + usize::from(len);
            let Some(pdu) = buf.get(pos..pos + total) else {
                break;
            };
            if let Some(tx) = parse_pdu(request, pdu) {
                out.tx(tx);
            }
            pos += total;
        }
        buf.drain(..pos.min(buf.len()));
        if buf.len() > MAX_PDU {
            self.failed = true;
            self.bufs = [Vec::new(), Vec::new()];
        }
    }

    fn gap(&mut self, _dir: Direction, _len: u64, _out: &mut ParseOutput) {
        self.failed = true;
        self.bufs = [Vec::new(), Vec::new()];
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hdr(cmd: u16, data: &[u8]) -> Vec<u8> {
        let mut v = Vec::new();
        v.extend_from_slice(&cmd.to_le_bytes());
        v.extend_from_slice(&(data.len() as u16).to_le_bytes());
        v.extend_from_slice(&0x1234_5678u32.to_le_bytes());
        v.extend_from_slice(&[0; 4]);
        v.extend_from_slice(&[0; 8]);
        v.extend_from_slice(&[0; 4]);
        v.extend_from_slice(data);
        v
    }

    fn rr(cip: &[u8]) -> Vec<u8> {
        let mut d = vec![0, 0, 0, 0, 10, 0, 2, 0, 0, 0, 0, 0, 0xb2, 0];
        d.extend_from_slice(&(cip.len() as u16).to_le_bytes());
        d.extend_from_slice(cip);
        hdr(0x6f, &d)
    }

    fn eve(tx: &dyn Transaction) -> String {
        let mut buf = Vec::new();
        let mut w = JsonWriter::new(&mut buf);
        w.open_object();
        tx.write_eve(&mut w);
        w.close_object();
        String::from_utf8(buf).unwrap()
    }

    fn parse_all(dir: Direction, data: &[u8]) -> ParseOutput {
        let mut p = new_parser(Transport::Tcp);
        let mut out = ParseOutput::default();
        p.parse(dir, data, &mut out);
        out
    }

    #[test]
    fn probe_and_get_attribute_single() {
        // Get Attribute Single: class 1, instance 1, attribute 7.
        let pdu = rr(&[0x0e, 3, 0x20, 1, 0x24, 1, 0x30, 7]);
        assert_eq!(probe(Direction::ToServer, &pdu), Probe::Match);
        assert_eq!(probe(Direction::ToServer, &pdu[..10]), Probe::NeedMore);
        assert_eq!(probe(Direction::ToServer, &[0xff; 24]), Probe::NoMatch);
        let out = parse_all(Direction::ToServer, &pdu);
        assert_eq!(out.txs.len(), 1);
        assert_eq!(
            eve(out.txs[0].as_ref()),
            r#"{"enip":{"type":"request","command":"SendRRData","command_raw":111,"length":24,"session":305419896,"status":"success","status_raw":0,"cip":[{"service":14,"service_name":"GetAttributeSingle","class":1,"instance":1,"attribute":7}]}}"#
        );
        let mut services = Vec::new();
        out.txs[0].uints("cip.service", &mut |v| services.push(v));
        assert_eq!(services, [14]);
    }

    #[test]
    fn unconnected_send_and_multiple_service_are_unwrapped() {
        // Unconnected Send to the connection manager wrapping a Multiple
        // Service Packet of two Read Tag requests.
        let read_a = [0x4c, 2, 0x91, 1, b'A', 0, 1, 0];
        let read_b = [0x4c, 2, 0x91, 2, b'B', b'C', 1, 0];
        let mut msp = vec![0x0a, 2, 0x20, 2, 0x24, 1, 2, 0, 6, 0, 14, 0];
        msp.extend_from_slice(&read_a);
        msp.extend_from_slice(&read_b);
        let mut us = vec![0x52, 2, 0x20, 6, 0x24, 1, 7, 0xe9];
        us.extend_from_slice(&(msp.len() as u16).to_le_bytes());
        us.extend_from_slice(&msp);
        us.extend_from_slice(&[1, 0, 1, 0]);
        let out = parse_all(Direction::ToServer, &rr(&us));
        let json = eve(out.txs[0].as_ref());
        assert!(
            json.contains(
                r#"{"service":82,"service_name":"UnconnectedSend","class":6,"instance":1}"#
            ),
            "{json}"
        );
        assert!(
            json.contains(
                r#"{"service":10,"service_name":"MultipleServicePacket","class":2,"instance":1}"#
            ),
            "{json}"
        );
        assert!(
            json.contains(r#"{"service":76,"service_name":"ReadTag","symbol":"A"}"#),
            "{json}"
        );
        assert!(
            json.contains(r#"{"service":76,"service_name":"ReadTag","symbol":"BC"}"#),
            "{json}"
        );
    }

    #[test]
    fn list_identity_response() {
        let mut item = Vec::new();
        item.extend_from_slice(&1u16.to_le_bytes());
        item.extend_from_slice(&[0, 2, 0xaf, 0x12, 10, 0, 0, 5]);
        item.extend_from_slice(&[0; 8]);
        item.extend_from_slice(&1u16.to_le_bytes()); // vendor
        item.extend_from_slice(&14u16.to_le_bytes()); // device type
        item.extend_from_slice(&54u16.to_le_bytes()); // product code
        item.extend_from_slice(&[20, 11]);
        item.extend_from_slice(&0x30u16.to_le_bytes());
        item.extend_from_slice(&0xdeadbeefu32.to_le_bytes());
        item.push(4);
        item.extend_from_slice(b"1756");
        item.push(3);
        let mut d = vec![1, 0, 0x0c, 0];
        d.extend_from_slice(&(item.len() as u16).to_le_bytes());
        d.extend_from_slice(&item);
        let out = parse_all(Direction::ToClient, &hdr(0x63, &d));
        let json = eve(out.txs[0].as_ref());
        assert!(json.contains(r#""identity":{"protocol_version":1,"address":"10.0.0.5","port":44818,"vendor_id":1,"device_type":14,"product_code":54,"revision":"20.11","status":48,"serial":"0xdeadbeef","product_name":"1756","state":3}"#), "{json}");
        assert_eq!(out.txs[0].buffer("enip.product_name"), Some(&b"1756"[..]));
    }

    #[test]
    fn split_everywhere_and_hostile_input() {
        let pdu = [
            rr(&[0x0e, 3, 0x20, 1, 0x24, 1, 0x30, 7]),
            hdr(0x65, &[1, 0, 0, 0]),
        ]
        .concat();
        for cut in 0..=pdu.len() {
            let mut p = new_parser(Transport::Tcp);
            let mut out = ParseOutput::default();
            p.parse(Direction::ToServer, &pdu[..cut], &mut out);
            p.parse(Direction::ToServer, &pdu[cut..], &mut out);
            assert_eq!(out.txs.len(), 2, "cut {cut}");
        }
        // Garbage: no transaction, no event (Suricata 7 has none for ENIP).
        let out = parse_all(Direction::ToServer, &[0xff; 64]);
        assert!(out.is_empty());
        let mut x = 0x2545_f491u32;
        for _ in 0..3000 {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            let mut p = rr(&[
                0x52, 2, 0x20, 6, 0x24, 1, 7, 0xe9, 0xff, 0xff, 0x0a, 0, 0xff, 0xff,
            ]);
            let at = (x as usize) % p.len();
            p[at] = (x >> 8) as u8;
            let _ = parse_all(Direction::ToServer, &p);
            let mut v = Vec::new();
            parse_cip(&p[24..], &mut v, 0);
            assert!(v.len() <= MAX_CIP);
        }
    }

    #[test]
    fn io_datagram() {
        let mut d = vec![2, 0, 0x02, 0x80, 8, 0];
        d.extend_from_slice(&7u32.to_le_bytes());
        d.extend_from_slice(&9u32.to_le_bytes());
        d.extend_from_slice(&[0xb1, 0, 4, 0, 1, 0, 0xaa, 0xbb]);
        assert_eq!(probe_udp(Direction::ToServer, &d), Probe::Match);
        let mut p = new_parser(Transport::Udp);
        let mut out = ParseOutput::default();
        p.parse(Direction::ToServer, &d, &mut out);
        assert_eq!(
            eve(out.txs[0].as_ref()),
            r#"{"enip":{"type":"request","command":"io","connection_id":7,"sequence":9,"length":4}}"#
        );
    }
}
