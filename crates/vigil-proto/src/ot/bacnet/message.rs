//! One BACnet/IP datagram: the BVLL header (ASHRAE 135 Annex J), the NPDU
//! (clause 6) and the APDU header (clause 20.1). Service data is decoded by
//! [`super::apdu`] once a message (or its reassembled segments) is whole.

use super::apdu::{self, Decoded, ServiceData};
use super::names;
use crate::ot::cotp::Cursor;

/// BVLC type of BACnet/IP (Annex J).
pub const BVLC_TYPE_BIP: u8 = 0x81;
/// BDT / FDT entries kept per message.
pub const MAX_TABLE_ENTRIES: usize = 32;
/// Network numbers kept per network layer message.
pub const MAX_NETWORKS: usize = 64;

/// BVLC functions.
pub mod bvlc {
    /// BVLC-Result.
    pub const RESULT: u8 = 0x00;
    /// Write-Broadcast-Distribution-Table.
    pub const WRITE_BDT: u8 = 0x01;
    /// Read-Broadcast-Distribution-Table.
    pub const READ_BDT: u8 = 0x02;
    /// Read-Broadcast-Distribution-Table-Ack.
    pub const READ_BDT_ACK: u8 = 0x03;
    /// Forwarded-NPDU.
    pub const FORWARDED_NPDU: u8 = 0x04;
    /// Register-Foreign-Device.
    pub const REGISTER_FOREIGN_DEVICE: u8 = 0x05;
    /// Read-Foreign-Device-Table.
    pub const READ_FDT: u8 = 0x06;
    /// Read-Foreign-Device-Table-Ack.
    pub const READ_FDT_ACK: u8 = 0x07;
    /// Delete-Foreign-Device-Table-Entry.
    pub const DELETE_FDT_ENTRY: u8 = 0x08;
    /// Distribute-Broadcast-To-Network.
    pub const DISTRIBUTE_BROADCAST: u8 = 0x09;
    /// Original-Unicast-NPDU.
    pub const ORIGINAL_UNICAST: u8 = 0x0A;
    /// Original-Broadcast-NPDU.
    pub const ORIGINAL_BROADCAST: u8 = 0x0B;
    /// Secure-BVLL.
    pub const SECURE_BVLL: u8 = 0x0C;
}

/// APDU types (high nibble of the first APDU octet).
pub mod pdu {
    /// BACnet-Confirmed-Request-PDU.
    pub const CONFIRMED_REQUEST: u8 = 0;
    /// BACnet-Unconfirmed-Request-PDU.
    pub const UNCONFIRMED_REQUEST: u8 = 1;
    /// BACnet-SimpleACK-PDU.
    pub const SIMPLE_ACK: u8 = 2;
    /// BACnet-ComplexACK-PDU.
    pub const COMPLEX_ACK: u8 = 3;
    /// BACnet-SegmentACK-PDU.
    pub const SEGMENT_ACK: u8 = 4;
    /// BACnet-Error-PDU.
    pub const ERROR: u8 = 5;
    /// BACnet-Reject-PDU.
    pub const REJECT: u8 = 6;
    /// BACnet-Abort-PDU.
    pub const ABORT: u8 = 7;
}

/// A B/IP address: IPv4 address and UDP port.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BipAddr {
    pub ip: [u8; 4],
    pub port: u16,
}

impl BipAddr {
    fn read(c: &mut Cursor<'_>) -> Option<BipAddr> {
        let ip: [u8; 4] = c.take(4)?.try_into().ok()?;
        Some(BipAddr { ip, port: c.u16()? })
    }
}

/// A Broadcast Distribution Table entry.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BdtEntry {
    pub addr: BipAddr,
    pub mask: [u8; 4],
}

/// A Foreign Device Table entry.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FdtEntry {
    pub addr: BipAddr,
    /// Time-to-live the device registered with (seconds).
    pub ttl: u16,
    /// Seconds left before the entry is purged.
    pub remaining: u16,
}

/// What follows the BVLC header, for functions without an NPDU.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub enum BvlcBody {
    #[default]
    None,
    /// BVLC-Result code.
    Result(u16),
    /// Write-BDT / Read-BDT-Ack entries (at most [`MAX_TABLE_ENTRIES`]) and their count.
    Bdt(Vec<BdtEntry>, usize),
    /// Read-FDT-Ack entries (at most [`MAX_TABLE_ENTRIES`]) and their count.
    Fdt(Vec<FdtEntry>, usize),
    /// Forwarded-NPDU: the original source.
    Forwarded(BipAddr),
    /// Register-Foreign-Device time-to-live (seconds).
    Register(u16),
    /// Delete-Foreign-Device-Table-Entry: the entry's address.
    Delete(BipAddr),
}

/// A network number and MAC address of the NPDU (DNET/DADR, SNET/SADR).
/// An empty address is a broadcast on that network.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NetAddr {
    pub net: u16,
    pub addr: Vec<u8>,
}

/// A routing table entry of Initialize-Routing-Table(-Ack).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RouteEntry {
    pub network: u16,
    pub port_id: u8,
    pub port_info_length: u8,
}

/// Decoded parameters of a network layer message.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub enum NetBody {
    #[default]
    None,
    /// One DNET (Who-Is-Router, Disconnect-Connection).
    Network(u16),
    /// A list of DNETs (I-Am-Router, Router-Busy, Router-Available): at
    /// most [`MAX_NETWORKS`], with their count.
    Networks(Vec<u16>, usize),
    /// I-Could-Be-Router-To-Network.
    CouldBe { network: u16, performance_index: u8 },
    /// Reject-Message-To-Network.
    Reject { reason: u8, network: u16 },
    /// Initialize-Routing-Table(-Ack): entries (at most
    /// [`MAX_TABLE_ENTRIES`]) and the count octet.
    Routes(Vec<RouteEntry>, u8),
    /// Establish-Connection-To-Network.
    Establish { network: u16, termination_time: u8 },
    /// Network-Number-Is: `configured` false when learned.
    NumberIs { network: u16, configured: bool },
}

/// A network layer message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NetMessage {
    pub msg_type: u8,
    /// Proprietary types (0x80..): the vendor.
    pub vendor_id: Option<u16>,
    pub body: NetBody,
}

/// The NPDU header.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Npdu {
    pub version: u8,
    pub control: u8,
    pub dest: Option<NetAddr>,
    pub src: Option<NetAddr>,
    pub hop_count: Option<u8>,
    pub message: Option<NetMessage>,
}

impl Npdu {
    /// Whether the sender expects a reply.
    pub fn expecting_reply(&self) -> bool {
        self.control & 0x04 != 0
    }
    /// Network priority (0 normal .. 3 life safety).
    pub fn priority(&self) -> u8 {
        self.control & 0x03
    }
}

/// The APDU header, and the decoded service parameters once known.
#[derive(Clone, Debug, PartialEq)]
pub struct Apdu {
    pub pdu_type: u8,
    /// Low nibble of the first octet (SEG, MOR, SA / NAK, SRV).
    pub flags: u8,
    /// Confirmed request: max-segments-accepted code (0..7).
    pub max_segments: u8,
    /// Confirmed request: max-APDU-length-accepted code (0..15).
    pub max_apdu: u8,
    pub invoke_id: Option<u8>,
    pub sequence_number: Option<u8>,
    pub window_size: Option<u8>,
    /// Service choice (requests, SimpleACK, ComplexACK, Error).
    pub service: Option<u8>,
    /// Reject or abort reason.
    pub reason: Option<u8>,
    /// Service parameters, when the service is one vigil decodes and the
    /// data is whole (unsegmented or reassembled).
    pub params: Option<Decoded>,
}

impl Apdu {
    /// SEG: the message is segmented (confirmed request, ComplexACK).
    pub fn segmented(&self) -> bool {
        matches!(self.pdu_type, pdu::CONFIRMED_REQUEST | pdu::COMPLEX_ACK) && self.flags & 0x08 != 0
    }
    /// MOR: more segments follow.
    pub fn more_follows(&self) -> bool {
        self.segmented() && self.flags & 0x04 != 0
    }
    /// SRV of SegmentACK and Abort: sent by the server (the responder).
    pub fn from_server(&self) -> bool {
        matches!(self.pdu_type, pdu::SEGMENT_ACK | pdu::ABORT) && self.flags & 0x01 != 0
    }
    /// Which service data the PDU carries, if any.
    pub fn service_data(&self) -> Option<ServiceData> {
        let s = self.service?;
        Some(match self.pdu_type {
            pdu::CONFIRMED_REQUEST => ServiceData::ConfirmedRequest(s),
            pdu::UNCONFIRMED_REQUEST => ServiceData::UnconfirmedRequest(s),
            pdu::COMPLEX_ACK => ServiceData::ComplexAck(s),
            pdu::ERROR => ServiceData::Error(s),
            _ => return None,
        })
    }
}

/// One decoded datagram.
#[derive(Clone, Debug, PartialEq)]
pub struct Message {
    pub function: u8,
    /// The BVLC length field.
    pub bvlc_length: u16,
    pub bvlc: BvlcBody,
    pub npdu: Option<Npdu>,
    pub apdu: Option<Apdu>,
}

/// Anomalies found while decoding one message, each name once.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Anomalies(pub Vec<&'static str>);

impl Anomalies {
    /// Records `name` (once).
    pub fn add(&mut self, name: &'static str) {
        if !self.0.contains(&name) {
            self.0.push(name);
        }
    }
}

/// Why a datagram is not a BACnet/IP message at all.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NotBvlc {
    /// Fewer than the 4 BVLC header octets.
    TooShort,
    /// First octet is not 0x81.
    InvalidType,
}

/// A decoded datagram with the raw bytes later stages need.
pub struct Decode<'a> {
    pub msg: Message,
    /// The APDU octets (header included): retransmission check.
    pub apdu_raw: &'a [u8],
    /// The service data after the APDU header (segment content).
    pub service_data: &'a [u8],
}

/// Decodes one datagram. Service parameters are decoded for unsegmented
/// APDUs only; segments are left to the caller's reassembly.
pub fn decode<'a>(data: &'a [u8], an: &mut Anomalies) -> Result<Decode<'a>, NotBvlc> {
    let mut c = Cursor::new(data);
    let (Some(kind), Some(function), Some(length)) = (c.u8(), c.u8(), c.u16()) else {
        return Err(NotBvlc::TooShort);
    };
    if kind != BVLC_TYPE_BIP {
        return Err(NotBvlc::InvalidType);
    }
    // The datagram delimits the message: a length field that disagrees is
    // an anomaly, not a reason to cut or drop octets (field captures have
    // writers that get it wrong while the NPDU is whole).
    if usize::from(length) != data.len() {
        an.add("BVLC_LENGTH_MISMATCH");
    }
    let body = c.rest();
    let mut out = Decode {
        msg: Message {
            function,
            bvlc_length: length,
            bvlc: BvlcBody::None,
            npdu: None,
            apdu: None,
        },
        apdu_raw: &[],
        service_data: &[],
    };
    let mut b = Cursor::new(body);
    let npdu_data = match function {
        bvlc::RESULT => {
            match (b.u16(), b.is_empty()) {
                (Some(code), true) => {
                    if names::bvlc_result_name(code).is_none() {
                        an.add("BVLC_INVALID_PAYLOAD");
                    }
                    out.msg.bvlc = BvlcBody::Result(code);
                }
                _ => an.add("BVLC_INVALID_PAYLOAD"),
            }
            None
        }
        bvlc::WRITE_BDT | bvlc::READ_BDT_ACK => {
            if !body.len().is_multiple_of(10) {
                an.add("BVLC_INVALID_PAYLOAD");
            }
            let mut entries = Vec::new();
            let count = body.len() / 10;
            while let (Some(addr), Some(mask)) = (BipAddr::read(&mut b), b.take(4)) {
                if entries.len() < MAX_TABLE_ENTRIES {
                    let mask: [u8; 4] = mask.try_into().unwrap_or([0; 4]);
                    entries.push(BdtEntry { addr, mask });
                }
            }
            out.msg.bvlc = BvlcBody::Bdt(entries, count);
            None
        }
        bvlc::READ_FDT_ACK => {
            if !body.len().is_multiple_of(10) {
                an.add("BVLC_INVALID_PAYLOAD");
            }
            let mut entries = Vec::new();
            let count = body.len() / 10;
            while let (Some(addr), Some(ttl), Some(remaining)) =
                (BipAddr::read(&mut b), b.u16(), b.u16())
            {
                if entries.len() < MAX_TABLE_ENTRIES {
                    entries.push(FdtEntry {
                        addr,
                        ttl,
                        remaining,
                    });
                }
            }
            out.msg.bvlc = BvlcBody::Fdt(entries, count);
            None
        }
        bvlc::READ_BDT | bvlc::READ_FDT => {
            if !body.is_empty() {
                an.add("BVLC_INVALID_PAYLOAD");
            }
            None
        }
        bvlc::REGISTER_FOREIGN_DEVICE => {
            match (b.u16(), b.is_empty()) {
                (Some(ttl), true) => out.msg.bvlc = BvlcBody::Register(ttl),
                _ => an.add("BVLC_INVALID_PAYLOAD"),
            }
            None
        }
        bvlc::DELETE_FDT_ENTRY => {
            match (BipAddr::read(&mut b), b.is_empty()) {
                (Some(a), true) => out.msg.bvlc = BvlcBody::Delete(a),
                _ => an.add("BVLC_INVALID_PAYLOAD"),
            }
            None
        }
        bvlc::FORWARDED_NPDU => match BipAddr::read(&mut b) {
            Some(a) => {
                out.msg.bvlc = BvlcBody::Forwarded(a);
                Some(b.rest())
            }
            None => {
                an.add("BVLC_INVALID_PAYLOAD");
                None
            }
        },
        bvlc::DISTRIBUTE_BROADCAST | bvlc::ORIGINAL_UNICAST | bvlc::ORIGINAL_BROADCAST => {
            Some(body)
        }
        bvlc::SECURE_BVLL => None,
        _ => {
            an.add("BVLC_UNKNOWN_FUNCTION");
            None
        }
    };
    if let Some(npdu_data) = npdu_data {
        decode_npdu(npdu_data, &mut out, an);
    }
    Ok(out)
}

fn net_addr(c: &mut Cursor<'_>) -> Option<NetAddr> {
    let net = c.u16()?;
    let len = c.u8()?;
    let addr = c.take(usize::from(len))?.to_vec();
    Some(NetAddr { net, addr })
}

fn decode_npdu<'a>(data: &'a [u8], out: &mut Decode<'a>, an: &mut Anomalies) {
    let mut c = Cursor::new(data);
    let (Some(version), Some(control)) = (c.u8(), c.u8()) else {
        an.add("NPDU_TRUNCATED");
        return;
    };
    if version != 1 {
        an.add("NPDU_INVALID_VERSION");
    }
    if control & 0x50 != 0 {
        an.add("NPDU_RESERVED_BITS");
    }
    let mut npdu = Npdu {
        version,
        control,
        dest: None,
        src: None,
        hop_count: None,
        message: None,
    };
    let truncated = |npdu: Npdu, out: &mut Decode<'a>, an: &mut Anomalies| {
        an.add("NPDU_TRUNCATED");
        out.msg.npdu = Some(npdu);
    };
    if control & 0x20 != 0 {
        match net_addr(&mut c) {
            Some(d) => {
                // DNET 0 is not a network; the global broadcast has no DADR.
                if d.net == 0 || (d.net == 0xFFFF && !d.addr.is_empty()) {
                    an.add("NPDU_INVALID_ADDRESS");
                }
                npdu.dest = Some(d);
            }
            None => return truncated(npdu, out, an),
        }
    }
    if control & 0x08 != 0 {
        match net_addr(&mut c) {
            Some(s) => {
                // A source is one device on one network.
                if s.net == 0 || s.net == 0xFFFF || s.addr.is_empty() {
                    an.add("NPDU_INVALID_ADDRESS");
                }
                npdu.src = Some(s);
            }
            None => return truncated(npdu, out, an),
        }
    }
    if control & 0x20 != 0 {
        match c.u8() {
            Some(h) => npdu.hop_count = Some(h),
            None => return truncated(npdu, out, an),
        }
    }
    if control & 0x80 != 0 {
        let Some(msg_type) = c.u8() else {
            return truncated(npdu, out, an);
        };
        let mut vendor_id = None;
        if msg_type >= 0x80 {
            match c.u16() {
                Some(v) => vendor_id = Some(v),
                None => return truncated(npdu, out, an),
            }
        } else if usize::from(msg_type) >= names::NETWORK_MESSAGES.len() {
            an.add("NPDU_UNKNOWN_MESSAGE_TYPE");
        }
        let body = net_body(msg_type, c.rest(), an);
        npdu.message = Some(NetMessage {
            msg_type,
            vendor_id,
            body,
        });
        out.msg.npdu = Some(npdu);
        return;
    }
    out.msg.npdu = Some(npdu);
    decode_apdu(c.rest(), out, an);
}

fn net_body(msg_type: u8, data: &[u8], an: &mut Anomalies) -> NetBody {
    let mut c = Cursor::new(data);
    let mut bad = false;
    let body = match msg_type {
        0x00 => match data.len() {
            0 => NetBody::None,
            2 => NetBody::Network(c.u16().unwrap_or(0)),
            _ => {
                bad = true;
                NetBody::None
            }
        },
        0x01 | 0x04 | 0x05 => {
            // I-Am-Router lists at least one network; busy/available may be empty.
            bad = !data.len().is_multiple_of(2) || (msg_type == 0x01 && data.is_empty());
            let mut nets = Vec::new();
            while let Some(n) = c.u16() {
                if nets.len() < MAX_NETWORKS {
                    nets.push(n);
                }
            }
            NetBody::Networks(nets, data.len() / 2)
        }
        0x02 => match (c.u16(), c.u8(), c.is_empty()) {
            (Some(network), Some(performance_index), true) => NetBody::CouldBe {
                network,
                performance_index,
            },
            _ => {
                bad = true;
                NetBody::None
            }
        },
        0x03 => match (c.u8(), c.u16(), c.is_empty()) {
            (Some(reason), Some(network), true) => NetBody::Reject { reason, network },
            _ => {
                bad = true;
                NetBody::None
            }
        },
        0x06 | 0x07 => {
            let count = c.u8();
            let mut entries = Vec::new();
            let mut seen = 0usize;
            while !c.is_empty() {
                let (Some(network), Some(port_id), Some(info_len)) = (c.u16(), c.u8(), c.u8())
                else {
                    bad = true;
                    break;
                };
                if c.skip(usize::from(info_len)).is_none() {
                    bad = true;
                    break;
                }
                seen += 1;
                if entries.len() < MAX_TABLE_ENTRIES {
                    entries.push(RouteEntry {
                        network,
                        port_id,
                        port_info_length: info_len,
                    });
                }
            }
            match count {
                Some(n) => {
                    if usize::from(n) != seen {
                        bad = true;
                    }
                    NetBody::Routes(entries, n)
                }
                // The Ack may be empty (a reply to a query is not).
                None => {
                    bad |= msg_type == 0x06;
                    NetBody::None
                }
            }
        }
        0x08 => match (c.u16(), c.u8(), c.is_empty()) {
            (Some(network), Some(termination_time), true) => NetBody::Establish {
                network,
                termination_time,
            },
            _ => {
                bad = true;
                NetBody::None
            }
        },
        0x09 => match (c.u16(), c.is_empty()) {
            (Some(n), true) => NetBody::Network(n),
            _ => {
                bad = true;
                NetBody::None
            }
        },
        0x12 => {
            bad = !data.is_empty();
            NetBody::None
        }
        0x13 => match (c.u16(), c.u8(), c.is_empty()) {
            (Some(network), Some(flag), true) => {
                bad = flag > 1;
                NetBody::NumberIs {
                    network,
                    configured: flag == 1,
                }
            }
            _ => {
                bad = true;
                NetBody::None
            }
        },
        _ => NetBody::None,
    };
    if bad {
        an.add("NPDU_INVALID_MESSAGE");
    }
    body
}

fn decode_apdu<'a>(data: &'a [u8], out: &mut Decode<'a>, an: &mut Anomalies) {
    let mut c = Cursor::new(data);
    let Some(first) = c.u8() else {
        an.add("APDU_TRUNCATED");
        return;
    };
    out.apdu_raw = data;
    let pdu_type = first >> 4;
    let flags = first & 0x0F;
    let mut a = Apdu {
        pdu_type,
        flags,
        max_segments: 0,
        max_apdu: 0,
        invoke_id: None,
        sequence_number: None,
        window_size: None,
        service: None,
        reason: None,
        params: None,
    };
    let mut header_ok = true;
    let mut truncated = false;
    // Reads one header octet, noting truncation.
    let mut octet = |c: &mut Cursor<'_>| {
        let v = c.u8();
        truncated |= v.is_none();
        v
    };
    match pdu_type {
        pdu::CONFIRMED_REQUEST => {
            header_ok &= flags & 0x01 == 0 && (flags & 0x08 != 0 || flags & 0x04 == 0);
            if let Some(o) = octet(&mut c) {
                header_ok &= o & 0x80 == 0 && o & 0x0F <= 5;
                a.max_segments = (o >> 4) & 0x07;
                a.max_apdu = o & 0x0F;
            }
            a.invoke_id = octet(&mut c);
            if flags & 0x08 != 0 {
                a.sequence_number = octet(&mut c);
                a.window_size = octet(&mut c);
            }
            a.service = octet(&mut c);
        }
        pdu::UNCONFIRMED_REQUEST => {
            header_ok &= flags == 0;
            a.service = octet(&mut c);
        }
        pdu::SIMPLE_ACK => {
            header_ok &= flags == 0;
            a.invoke_id = octet(&mut c);
            a.service = octet(&mut c);
            header_ok &= c.is_empty();
        }
        pdu::COMPLEX_ACK => {
            header_ok &= flags & 0x03 == 0 && (flags & 0x08 != 0 || flags & 0x04 == 0);
            a.invoke_id = octet(&mut c);
            if flags & 0x08 != 0 {
                a.sequence_number = octet(&mut c);
                a.window_size = octet(&mut c);
            }
            a.service = octet(&mut c);
        }
        pdu::SEGMENT_ACK => {
            header_ok &= flags & 0x0C == 0;
            a.invoke_id = octet(&mut c);
            a.sequence_number = octet(&mut c);
            a.window_size = octet(&mut c);
            header_ok &= c.is_empty();
        }
        pdu::ERROR => {
            header_ok &= flags == 0;
            a.invoke_id = octet(&mut c);
            a.service = octet(&mut c);
        }
        pdu::REJECT | pdu::ABORT => {
            header_ok &= if pdu_type == pdu::ABORT {
                flags & 0x0E == 0
            } else {
                flags == 0
            };
            a.invoke_id = octet(&mut c);
            a.reason = octet(&mut c);
            header_ok &= c.is_empty();
        }
        _ => {
            an.add("APDU_INVALID_TYPE");
            out.msg.apdu = Some(a);
            return;
        }
    }
    if truncated {
        an.add("APDU_TRUNCATED");
    } else if !header_ok {
        an.add("APDU_INVALID_HEADER");
    }
    if let Some(s) = a.service {
        let known = match pdu_type {
            pdu::UNCONFIRMED_REQUEST => usize::from(s) < names::UNCONFIRMED_SERVICES.len(),
            _ => usize::from(s) < names::CONFIRMED_SERVICES.len(),
        };
        if !known {
            an.add("APDU_UNKNOWN_SERVICE");
        }
    }
    out.service_data = c.rest();
    if !a.segmented() {
        a.params = decode_params(&a, out.service_data, an);
    }
    out.msg.apdu = Some(a);
}

/// Decodes the parameters of `a` from its (whole) service data, raising
/// the service anomalies.
pub fn decode_params(a: &Apdu, data: &[u8], an: &mut Anomalies) -> Option<Decoded> {
    let kind = a.service_data()?;
    if !apdu::decodes(kind) {
        return None;
    }
    let d = apdu::decode(kind, data);
    match d.error {
        Some(apdu::DecodeError::Truncated) => an.add("SERVICE_DATA_TRUNCATED"),
        Some(apdu::DecodeError::Malformed) => an.add("SERVICE_DATA_MALFORMED"),
        Some(apdu::DecodeError::Budget) | None => {}
    }
    if d.out_of_range {
        an.add("SERVICE_VALUE_OUT_OF_RANGE");
    }
    Some(d)
}
