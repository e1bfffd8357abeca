//! BACnet/IP (ASHRAE 135 Annex J; UDP 47808 = 0xBAC0, and 47809..47823,
//! or by content): BVLL, NPDU (clause 6) and APDU (clause 20) with the
//! parameters of the common services.
//!
//! # Transactions
//! A confirmed request and its answer (SimpleACK, ComplexACK, Error,
//! Reject, Abort) are one transaction, paired by the requester's side of
//! the flow, the invoke id and the network addresses of the NPDU (the
//! response's DNET/DADR are the request's SNET/SADR and the other way
//! round; without an exact match the oldest open request with that invoke
//! id takes the response). Segments of a segmented request or ComplexACK
//! (and the SegmentACKs) join their transaction; their service data is
//! reassembled (in sequence, [`MAX_SEGMENTED_MESSAGE`] octets per message,
//! [`MAX_REASSEMBLY`] per flow) and decoded once the last segment is in.
//! An identical retransmitted request counts as a retry. Everything else
//! (unconfirmed requests, network layer messages, BVLL-only functions,
//! responses and SegmentACKs without their request) is a transaction of
//! one message, logged at once. At most [`MAX_OPEN_TX`] requests wait for
//! their answer per flow (the oldest is logged unanswered past it, or once
//! [`MAX_AGE`] more datagrams went by); the rest at flow end.
//!
//! A record's `src_ip` is the requester (the sender of a one-message
//! transaction). Records carry `tx_id`: anomalies name the transaction
//! they belong to. See `docs/events.md`, section `bacnet`.
//!
//! # Rule keyword fields ([`Transaction::uints`], multi-valued: the
//! request's and the response's)
//! - `bacnet.bvlc_function`, `bacnet.apdu_type`: per PDU;
//! - `bacnet.service`: the service choice (confirmed or unconfirmed);
//!   `bacnet.confirmed_service` / `bacnet.unconfirmed_service` tell them
//!   apart;
//! - `bacnet.invoke_id`;
//! - `bacnet.object_type`, `bacnet.instance`: every object identifier
//!   among the service parameters (object, device, file, monitored object,
//!   ReadPropertyMultiple objects, ...), not those inside property values;
//! - `bacnet.property`: every property identifier among the parameters;
//! - `bacnet.priority` (write priority), `bacnet.vendor_id` (I-Am),
//!   `bacnet.reinitialized_state`, `bacnet.enable_disable`;
//! - `bacnet.error_class`, `bacnet.error_code` (Error PDUs and
//!   ReadPropertyMultiple access errors), `bacnet.reject_reason`,
//!   `bacnet.abort_reason`;
//! - `bacnet.network_message_type`, `bacnet.dnet`, `bacnet.snet`.
//!
//! Buffers: `bacnet.service` (the service's ASN.1 name, e.g.
//! `readProperty`, `who-Is`), `bacnet.object_name` (who-Has / I-Have),
//! `bacnet.password` (ReinitializeDevice / DeviceCommunicationControl:
//! matched, never logged).

mod apdu;
mod message;
mod names;

pub use apdu::{Bytes, Decoded, Enumeration, Field, FieldValue, ObjectId, Value};
pub use message::{
    Apdu, BdtEntry, BipAddr, BvlcBody, FdtEntry, Message, NetAddr, NetBody, NetMessage, Npdu,
    RouteEntry,
};

use std::io::Write as _;

use message::{Anomalies, NotBvlc, pdu};
use names::{indexed, name_or_number};
use vigil_eve::JsonWriter;

use crate::{
    AppParser, AppProto, Direction, ParseOutput, Probe, ProtoInfo, Transaction, Transport,
};

/// Registration of BACnet/IP.
pub static INFO: ProtoInfo = ProtoInfo {
    proto: AppProto::Bacnet,
    tcp_ports: &[],
    udp_ports: &PORTS,
    probe_tcp: None,
    probe_udp: Some(probe),
    port_only: false,
    new_parser,
};

/// 47808 (0xBAC0) and the next fifteen ports sites use for further
/// BACnet/IP networks.
static PORTS: [u16; 16] = {
    let mut p = [0u16; 16];
    let mut i = 0;
    while i < 16 {
        p[i] = 47808 + i as u16;
        i += 1;
    }
    p
};

/// Requests waiting for their answer per flow.
pub const MAX_OPEN_TX: usize = 64;
/// Datagrams after which an unanswered request is logged as such.
pub const MAX_AGE: u64 = 1024;
/// Reassembled service data kept per segmented message.
pub const MAX_SEGMENTED_MESSAGE: usize = 16 * 1024;
/// Reassembled service data kept per flow.
pub const MAX_REASSEMBLY: usize = 64 * 1024;

const PROTO: AppProto = AppProto::Bacnet;

/// Content prober: one BVLL message of type 0x81 with a known function,
/// and a well-formed NPDU and APDU header where the function carries one.
/// A length field that disagrees with the datagram is tolerated only when
/// everything else decodes without a single anomaly.
pub fn probe(_dir: Direction, data: &[u8]) -> Probe {
    let mut an = Anomalies::default();
    if message::decode(data, &mut an).is_err() {
        return Probe::NoMatch;
    }
    let structural = an.0.iter().any(|n| {
        matches!(
            *n,
            "BVLC_UNKNOWN_FUNCTION"
                | "BVLC_INVALID_PAYLOAD"
                | "NPDU_TRUNCATED"
                | "NPDU_INVALID_VERSION"
                | "NPDU_RESERVED_BITS"
                | "APDU_TRUNCATED"
                | "APDU_INVALID_TYPE"
        )
    });
    let bad_length = an.0.contains(&"BVLC_LENGTH_MISMATCH");
    if structural || (bad_length && an.0.len() > 1) {
        Probe::NoMatch
    } else {
        Probe::Match
    }
}

fn new_parser(_transport: Transport) -> Box<dyn AppParser> {
    Box::new(BacnetParser::default())
}

/// A confirmed or unconfirmed service choice.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Service {
    Confirmed(u8),
    Unconfirmed(u8),
}

impl Service {
    /// The service's ASN.1 name (`readProperty`, `who-Is`).
    pub fn name(self) -> Option<&'static str> {
        match self {
            Service::Confirmed(s) => indexed(names::CONFIRMED_SERVICES, u32::from(s)),
            Service::Unconfirmed(s) => indexed(names::UNCONFIRMED_SERVICES, u32::from(s)),
        }
    }
    /// The service choice octet.
    pub fn choice(self) -> u8 {
        match self {
            Service::Confirmed(s) | Service::Unconfirmed(s) => s,
        }
    }
}

/// An Abort that ended a transaction after its answer began (or sent by
/// the requester).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AbortInfo {
    /// SRV: sent by the responder.
    pub server: bool,
    pub reason: u8,
}

/// Service data of a segmented message being reassembled.
#[derive(Clone, Debug, Default)]
struct Reassembly {
    buf: Vec<u8>,
    next_seq: u8,
    /// Segments appended so far.
    received: u32,
    failed: bool,
}

impl Reassembly {
    /// Adds segment `seq`; `room` is what the flow's budget still allows.
    fn add(&mut self, seq: u8, data: &[u8], room: usize, an: &mut Anomalies) {
        if self.failed {
            return;
        }
        let behind = self.next_seq.wrapping_sub(seq);
        if behind != 0 {
            // A retransmission of a segment already in is ignored; a gap
            // ends the reassembly.
            if behind > 128 || u32::from(behind) > self.received {
                an.add("SEGMENT_OUT_OF_ORDER");
                self.fail();
            }
            return;
        }
        let len = self.buf.len().saturating_add(data.len());
        if len > MAX_SEGMENTED_MESSAGE || data.len() > room {
            an.add("REASSEMBLY_LIMIT");
            self.fail();
            return;
        }
        self.buf.extend_from_slice(data);
        self.next_seq = self.next_seq.wrapping_add(1);
        self.received += 1;
    }

    fn fail(&mut self) {
        self.failed = true;
        self.buf = Vec::new();
    }
}

/// One BACnet transaction: a confirmed request with its answer, or one
/// message.
#[derive(Clone, Debug)]
pub struct BacnetTx {
    id: u64,
    /// Direction of the requester (or of the sender of a one-message
    /// transaction): the record's `src_ip`.
    pub requester: Direction,
    /// The request, or the transaction's only message when it came from
    /// the requester's side.
    pub request: Option<Message>,
    /// The first answer PDU (the last segment's parameters for a
    /// segmented ComplexACK).
    pub response: Option<Message>,
    pub invoke_id: Option<u8>,
    pub service: Option<Service>,
    /// Segment PDUs of a segmented request / ComplexACK (retransmissions included).
    pub request_segments: u32,
    pub response_segments: u32,
    /// SegmentACK PDUs of either side.
    pub segment_acks: u32,
    /// Identical retransmissions of the request.
    pub retries: u32,
    /// An Abort after the answer began, or from the requester.
    pub abort: Option<AbortInfo>,
    req_src: Option<NetAddr>,
    req_dst: Option<NetAddr>,
    req_hash: u64,
    req_reasm: Option<Reassembly>,
    resp_reasm: Option<Reassembly>,
    /// The segmented answer is complete: the requester's SegmentACK of the
    /// last segment is all that may still come.
    awaiting_final_ack: bool,
    born: u64,
}

impl BacnetTx {
    fn new(id: u64, requester: Direction, born: u64) -> BacnetTx {
        BacnetTx {
            id,
            requester,
            request: None,
            response: None,
            invoke_id: None,
            service: None,
            request_segments: 0,
            response_segments: 0,
            segment_acks: 0,
            retries: 0,
            abort: None,
            req_src: None,
            req_dst: None,
            req_hash: 0,
            req_reasm: None,
            resp_reasm: None,
            awaiting_final_ack: false,
            born,
        }
    }

    /// The transaction's number in its flow (its `tx_id`).
    pub fn id(&self) -> u64 {
        self.id
    }

    fn reassembly_bytes(&self) -> usize {
        [&self.req_reasm, &self.resp_reasm]
            .iter()
            .filter_map(|r| r.as_ref())
            .map(|r| r.buf.len())
            .sum()
    }

    fn messages(&self) -> impl Iterator<Item = &Message> {
        self.request.iter().chain(self.response.iter())
    }

    fn params(&self) -> impl Iterator<Item = &Decoded> {
        self.messages()
            .filter_map(|m| m.apdu.as_ref()?.params.as_ref())
    }

    /// Object names of who-Has / I-Have.
    fn object_names(&self) -> impl Iterator<Item = &[u8]> {
        self.params()
            .flat_map(|p| p.fields.iter())
            .filter_map(|f| match (f.name, &f.value) {
                ("object_name", FieldValue::Text { text, .. }) => Some(text.data.as_slice()),
                _ => None,
            })
    }
}

fn npdu_src(m: &Message) -> Option<&NetAddr> {
    m.npdu.as_ref()?.src.as_ref()
}

fn npdu_dst(m: &Message) -> Option<&NetAddr> {
    m.npdu.as_ref()?.dest.as_ref()
}

fn service_of(a: &Apdu) -> Option<Service> {
    let s = a.service?;
    match a.pdu_type {
        pdu::UNCONFIRMED_REQUEST => Some(Service::Unconfirmed(s)),
        pdu::CONFIRMED_REQUEST | pdu::SIMPLE_ACK | pdu::COMPLEX_ACK | pdu::ERROR => {
            Some(Service::Confirmed(s))
        }
        _ => None,
    }
}

/// FNV-1a: recognises an identical retransmitted request.
fn fnv(data: &[u8]) -> u64 {
    data.iter().fold(0xcbf2_9ce4_8422_2325u64, |h, &b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    })
}

/// The per-flow BACnet/IP parser.
#[derive(Default)]
pub struct BacnetParser {
    open: Vec<BacnetTx>,
    next_id: u64,
    datagrams: u64,
    flooded: bool,
}

impl AppParser for BacnetParser {
    fn parse(&mut self, dir: Direction, data: &[u8], out: &mut ParseOutput) {
        self.datagrams += 1;
        self.age_out(out);
        let mut an = Anomalies::default();
        let d = match message::decode(data, &mut an) {
            Ok(d) => d,
            Err(NotBvlc::TooShort) => return out.event(PROTO, "BVLC_TOO_SHORT"),
            Err(NotBvlc::InvalidType) => return out.event(PROTO, "INVALID_BVLC_TYPE"),
        };
        let hash = fnv(d.apdu_raw);
        let service_data = d.service_data;
        let msg = d.msg;
        let (pdu_type, invoke) = match &msg.apdu {
            Some(a) => (a.pdu_type, a.invoke_id),
            None => return self.single(dir, msg, an, out),
        };
        let Some(invoke) = invoke else {
            return self.single(dir, msg, an, out);
        };
        match pdu_type {
            pdu::CONFIRMED_REQUEST => {
                self.on_request(dir, msg, invoke, service_data, hash, an, out)
            }
            pdu::SIMPLE_ACK | pdu::COMPLEX_ACK | pdu::ERROR | pdu::REJECT => {
                self.on_response(dir, msg, invoke, service_data, an, out)
            }
            pdu::SEGMENT_ACK | pdu::ABORT => self.on_control(dir, msg, invoke, an, out),
            _ => self.single(dir, msg, an, out),
        }
    }

    fn finish(&mut self, out: &mut ParseOutput) {
        for tx in self.open.drain(..) {
            out.tx(tx);
        }
    }
}

impl BacnetParser {
    fn new_tx(&mut self, requester: Direction) -> BacnetTx {
        let id = self.next_id;
        self.next_id += 1;
        BacnetTx::new(id, requester, self.datagrams)
    }

    fn events(an: Anomalies, id: u64, out: &mut ParseOutput) {
        for name in an.0 {
            out.tx_event(PROTO, name, id);
        }
    }

    /// Logs requests that waited too long for their answer.
    fn age_out(&mut self, out: &mut ParseOutput) {
        while self
            .open
            .first()
            .is_some_and(|t| t.born.saturating_add(MAX_AGE) < self.datagrams)
        {
            let tx = self.open.remove(0);
            out.tx(tx);
        }
    }

    fn insert(&mut self, tx: BacnetTx, out: &mut ParseOutput) {
        if self.open.len() >= MAX_OPEN_TX {
            let old = self.open.remove(0);
            out.tx(old);
            if !self.flooded {
                self.flooded = true;
                out.event(PROTO, "TOO_MANY_TRANSACTIONS");
            }
        }
        self.open.push(tx);
    }

    fn reassembly_room(&self) -> usize {
        let used: usize = self.open.iter().map(BacnetTx::reassembly_bytes).sum();
        MAX_REASSEMBLY.saturating_sub(used)
    }

    /// The open transaction of `requester` with `invoke` that `msg` (sent
    /// by the requester when `from_requester`) belongs to. `exact`: the
    /// network addresses must match too.
    fn find(
        &self,
        requester: Direction,
        invoke: u8,
        msg: &Message,
        from_requester: bool,
        exact: bool,
    ) -> Option<usize> {
        let (s, d) = (npdu_src(msg), npdu_dst(msg));
        let candidates = || {
            self.open
                .iter()
                .enumerate()
                .filter(move |(_, t)| t.requester == requester && t.invoke_id == Some(invoke))
        };
        let same = |t: &BacnetTx| {
            if from_requester {
                t.req_src.as_ref() == s && t.req_dst.as_ref() == d
            } else {
                t.req_src.as_ref() == d && t.req_dst.as_ref() == s
            }
        };
        candidates()
            .find(|(_, t)| same(t))
            .or_else(|| if exact { None } else { candidates().next() })
            .map(|(i, _)| i)
    }

    /// A transaction of one message.
    fn single(&mut self, dir: Direction, msg: Message, an: Anomalies, out: &mut ParseOutput) {
        let mut tx = self.new_tx(dir);
        if let Some(a) = &msg.apdu {
            tx.invoke_id = a.invoke_id;
            tx.service = service_of(a);
        }
        tx.request = Some(msg);
        Self::events(an, tx.id, out);
        out.tx(tx);
    }

    #[allow(clippy::too_many_arguments)]
    fn on_request(
        &mut self,
        dir: Direction,
        mut msg: Message,
        invoke: u8,
        data: &[u8],
        hash: u64,
        mut an: Anomalies,
        out: &mut ParseOutput,
    ) {
        let (segmented, more, seq) = match &msg.apdu {
            Some(a) => (
                a.segmented(),
                a.more_follows(),
                a.sequence_number.unwrap_or(0),
            ),
            None => return,
        };
        let found = self.find(dir, invoke, &msg, true, true);
        if segmented && seq > 0 {
            if let Some(i) = found {
                let room = self.reassembly_room();
                let Some(tx) = self.open.get_mut(i) else {
                    return;
                };
                tx.request_segments += 1;
                if let Some(r) = tx.req_reasm.as_mut() {
                    r.add(seq, data, room, &mut an);
                    if !more {
                        let r = tx.req_reasm.take().unwrap_or_default();
                        finish_reassembly(tx.request.as_mut(), r, &mut an);
                    }
                }
                Self::events(an, tx.id, out);
                return;
            }
        } else if let Some(i) = found {
            let retry = self.open.get(i).is_some_and(|t| {
                t.response.is_none() && t.req_hash == hash && t.request_segments <= 1
            });
            if retry {
                if let Some(tx) = self.open.get_mut(i) {
                    tx.retries += 1;
                }
                return;
            }
            // The invoke id is reused: the earlier request went unanswered.
            let old = self.open.remove(i);
            out.tx(old);
        }
        let mut tx = self.new_tx(dir);
        tx.invoke_id = Some(invoke);
        tx.service = msg.apdu.as_ref().and_then(service_of);
        tx.req_src = npdu_src(&msg).cloned();
        tx.req_dst = npdu_dst(&msg).cloned();
        tx.req_hash = hash;
        if segmented {
            tx.request_segments = 1;
            let mut r = Reassembly::default();
            r.add(seq, data, self.reassembly_room(), &mut an);
            if more {
                tx.req_reasm = Some(r);
            } else {
                finish_reassembly(Some(&mut msg), r, &mut an);
            }
        }
        tx.request = Some(msg);
        Self::events(an, tx.id, out);
        self.insert(tx, out);
    }

    fn on_response(
        &mut self,
        dir: Direction,
        msg: Message,
        invoke: u8,
        data: &[u8],
        mut an: Anomalies,
        out: &mut ParseOutput,
    ) {
        let requester = dir.reverse();
        let Some(a) = msg.apdu.as_ref() else { return };
        let (segmented, more, seq) = (
            a.segmented(),
            a.more_follows(),
            a.sequence_number.unwrap_or(0),
        );
        let service = service_of(a);
        let room = self.reassembly_room();
        let found = self
            .find(requester, invoke, &msg, false, false)
            .filter(|&i| {
                self.open.get(i).is_some_and(|t| {
                    t.response.is_none() || (segmented && seq > 0 && t.resp_reasm.is_some())
                })
            });
        let (i, is_new) = match found {
            Some(i) => (i, false),
            None => {
                an.add("RESPONSE_WITHOUT_REQUEST");
                let mut tx = self.new_tx(requester);
                tx.invoke_id = Some(invoke);
                tx.service = service;
                tx.req_src = npdu_dst(&msg).cloned();
                tx.req_dst = npdu_src(&msg).cloned();
                self.insert(tx, out);
                (self.open.len().saturating_sub(1), true)
            }
        };
        let Some(tx) = self.open.get_mut(i) else {
            return;
        };
        if !is_new
            && let (Some(Service::Confirmed(req)), Some(Service::Confirmed(resp))) =
                (tx.service, service)
            && req != resp
        {
            an.add("RESPONSE_SERVICE_MISMATCH");
        }
        if tx.service.is_none() {
            tx.service = service;
        }
        let mut done = true;
        if segmented {
            tx.response_segments += 1;
            if tx.response.is_none() {
                tx.response = Some(msg);
                tx.resp_reasm = Some(Reassembly::default());
            }
            if let Some(r) = tx.resp_reasm.as_mut() {
                r.add(seq, data, room, &mut an);
            }
            // Complete or not, the requester acknowledges the segment.
            done = false;
            if !more {
                let r = tx.resp_reasm.take().unwrap_or_default();
                finish_reassembly(tx.response.as_mut(), r, &mut an);
                tx.awaiting_final_ack = true;
            }
        } else {
            tx.response = Some(msg);
        }
        Self::events(an, tx.id, out);
        if done {
            let tx = self.open.remove(i);
            out.tx(tx);
        }
    }

    /// SegmentACK and Abort: SRV says which side sent them.
    fn on_control(
        &mut self,
        dir: Direction,
        msg: Message,
        invoke: u8,
        an: Anomalies,
        out: &mut ParseOutput,
    ) {
        let Some(a) = msg.apdu.as_ref() else { return };
        let server = a.from_server();
        let requester = if server { dir.reverse() } else { dir };
        let Some(i) = self.find(requester, invoke, &msg, !server, false) else {
            let mut tx = self.new_tx(requester);
            tx.invoke_id = Some(invoke);
            if server {
                tx.response = Some(msg);
            } else {
                tx.request = Some(msg);
            }
            Self::events(an, tx.id, out);
            out.tx(tx);
            return;
        };
        let is_abort = a.pdu_type == pdu::ABORT;
        let reason = a.reason.unwrap_or(0);
        let Some(tx) = self.open.get_mut(i) else {
            return;
        };
        Self::events(an, tx.id, out);
        if !is_abort {
            tx.segment_acks += 1;
            if tx.awaiting_final_ack && !server {
                let tx = self.open.remove(i);
                out.tx(tx);
            }
            return;
        }
        if server && tx.response.is_none() {
            tx.response = Some(msg);
        } else {
            tx.abort = Some(AbortInfo { server, reason });
        }
        let tx = self.open.remove(i);
        out.tx(tx);
    }
}

/// Decodes the reassembled service data into `msg`'s parameters.
fn finish_reassembly(msg: Option<&mut Message>, r: Reassembly, an: &mut Anomalies) {
    if r.failed {
        return;
    }
    if let Some(a) = msg.and_then(|m| m.apdu.as_mut()) {
        a.params = message::decode_params(a, &r.buf, an);
    }
}

// ---------------------------------------------------------------- EVE

fn write_bip(w: &mut JsonWriter<'_>, key: &str, a: &BipAddr) {
    w.string_with(key, |b| {
        let [x, y, z, v] = a.ip;
        let _ = write!(b, "{x}.{y}.{z}.{v}:{}", a.port);
    });
}

fn write_hex(w: &mut JsonWriter<'_>, key: &str, data: &[u8]) {
    w.string_with(key, |b| {
        for byte in data {
            let _ = write!(b, "{byte:02x}");
        }
    });
}

fn write_object(w: &mut JsonWriter<'_>, key: &str, o: &ObjectId) {
    w.open_object_key(key);
    name_or_number(
        w,
        "type",
        indexed(names::OBJECT_TYPES, u32::from(o.object_type)),
        u64::from(o.object_type),
    );
    w.uint("instance", u64::from(o.instance));
    w.close_object();
}

fn write_f32(w: &mut JsonWriter<'_>, key: &str, v: f32) {
    if v.is_finite() {
        // The shortest decimal of the f32, not of its f64 widening.
        let shortest = v.to_string().parse::<f64>().unwrap_or(0.0);
        w.float(key, shortest);
    } else {
        w.null(key);
    }
}

fn write_date(w: &mut JsonWriter<'_>, key: &str, d: [u8; 4]) {
    let [y, m, day, _] = d;
    w.string_with(key, |b| {
        let _ = match y {
            255 => write!(b, "*"),
            y => write!(b, "{}", 1900 + u32::from(y)),
        };
        let _ = match m {
            255 => write!(b, "-*"),
            13 => write!(b, "-odd"),
            14 => write!(b, "-even"),
            m => write!(b, "-{m:02}"),
        };
        let _ = match day {
            255 => write!(b, "-*"),
            32 => write!(b, "-last"),
            33 => write!(b, "-odd"),
            34 => write!(b, "-even"),
            day => write!(b, "-{day:02}"),
        };
    });
}

fn write_time(w: &mut JsonWriter<'_>, key: &str, t: [u8; 4]) {
    w.string_with(key, |b| {
        for (i, v) in t.iter().enumerate() {
            let sep = match i {
                0 => "",
                3 => ".",
                _ => ":",
            };
            let _ = if *v == 255 {
                write!(b, "{sep}*")
            } else {
                write!(b, "{sep}{v:02}")
            };
        }
    });
}

fn write_value(w: &mut JsonWriter<'_>, v: &Value) {
    w.open_object();
    let truncated = match v {
        Value::Null => {
            w.boolean("null", true);
            false
        }
        Value::Boolean(b) => {
            w.boolean("boolean", *b);
            false
        }
        Value::Unsigned(n) => {
            w.uint("unsigned", *n);
            false
        }
        Value::Signed(n) => {
            w.int("signed", *n);
            false
        }
        Value::Real(x) => {
            write_f32(w, "real", *x);
            false
        }
        Value::Double(x) => {
            if x.is_finite() {
                w.float("double", *x);
            } else {
                w.null("double");
            }
            false
        }
        Value::OctetString(s) => {
            write_hex(w, "octet_string", &s.data);
            s.truncated()
        }
        Value::CharacterString { charset, text } => {
            w.bytes_as_string("character_string", &text.data);
            if *charset != 0 {
                name_or_number(
                    w,
                    "character_set",
                    indexed(names::CHARACTER_SETS, u32::from(*charset)),
                    u64::from(*charset),
                );
            }
            text.truncated()
        }
        Value::BitString { unused, bits } => {
            let total = bits.data.len() * 8;
            let n = if bits.truncated() {
                total
            } else {
                total.saturating_sub(usize::from(*unused))
            };
            w.string_with("bit_string", |b| {
                for i in 0..n {
                    let byte = bits.data.get(i / 8).copied().unwrap_or(0);
                    b.push(if byte & (0x80 >> (i % 8)) != 0 {
                        b'1'
                    } else {
                        b'0'
                    });
                }
            });
            bits.truncated()
        }
        Value::Enumerated(n) => {
            w.uint("enumerated", *n);
            false
        }
        Value::Date(d) => {
            write_date(w, "date", *d);
            if d[3] != 255 {
                w.uint("day_of_week", u64::from(d[3]));
            }
            false
        }
        Value::Time(t) => {
            write_time(w, "time", *t);
            false
        }
        Value::ObjectId(o) => {
            write_object(w, "object_identifier", o);
            false
        }
        Value::Context { tag, data } => {
            w.uint("context_tag", u64::from(*tag));
            write_hex(w, "data", &data.data);
            data.truncated()
        }
        Value::Opening(t) => {
            w.uint("opening_tag", u64::from(*t));
            false
        }
        Value::Closing(t) => {
            w.uint("closing_tag", u64::from(*t));
            false
        }
    };
    if truncated {
        w.boolean("truncated", true);
    }
    w.close_object();
}

fn write_fields(w: &mut JsonWriter<'_>, fields: &[Field]) {
    for f in fields {
        match &f.value {
            FieldValue::Uint(n) => w.uint(f.name, *n),
            FieldValue::Int(n) => w.int(f.name, *n),
            FieldValue::Bool(b) => w.boolean(f.name, *b),
            FieldValue::Enum(e, v) => {
                let name = match e {
                    Enumeration::Property => names::property_name(*v),
                    Enumeration::ObjectType => indexed(names::OBJECT_TYPES, *v),
                    Enumeration::ErrorClass => indexed(names::ERROR_CLASSES, *v),
                    Enumeration::ErrorCode => names::error_code_name(*v),
                    Enumeration::Segmentation => indexed(names::SEGMENTATION, *v),
                    Enumeration::ReinitializedState => indexed(names::REINITIALIZED_STATES, *v),
                    Enumeration::EnableDisable => indexed(names::ENABLE_DISABLE, *v),
                };
                name_or_number(w, f.name, name, u64::from(*v));
            }
            FieldValue::Object(o) => write_object(w, f.name, o),
            FieldValue::Word(s) => w.string(f.name, s),
            FieldValue::Text { text, .. } => w.bytes_as_string(f.name, &text.data),
            FieldValue::Date(d) => write_date(w, f.name, *d),
            FieldValue::Time(t) => write_time(w, f.name, *t),
            FieldValue::Values(vs) => {
                w.open_array_key(f.name);
                for v in vs {
                    write_value(w, v);
                }
                w.close_array();
            }
            FieldValue::List(items) => {
                w.open_array_key(f.name);
                for item in items {
                    w.open_object();
                    write_fields(w, item);
                    w.close_object();
                }
                w.close_array();
            }
        }
    }
}

fn write_net_addr(w: &mut JsonWriter<'_>, net_key: &str, addr_key: &str, a: &NetAddr) {
    w.uint(net_key, u64::from(a.net));
    if !a.addr.is_empty() {
        write_hex(w, addr_key, &a.addr);
    }
}

fn write_npdu(w: &mut JsonWriter<'_>, n: &Npdu) {
    w.open_object_key("npdu");
    w.uint("version", u64::from(n.version));
    w.boolean("expecting_reply", n.expecting_reply());
    name_or_number(
        w,
        "priority",
        indexed(names::NETWORK_PRIORITIES, u32::from(n.priority())),
        u64::from(n.priority()),
    );
    if let Some(d) = &n.dest {
        write_net_addr(w, "dnet", "dadr", d);
    }
    if let Some(h) = n.hop_count {
        w.uint("hop_count", u64::from(h));
    }
    if let Some(s) = &n.src {
        write_net_addr(w, "snet", "sadr", s);
    }
    if let Some(m) = &n.message {
        let name = if m.msg_type >= 0x80 {
            Some("proprietary")
        } else {
            indexed(names::NETWORK_MESSAGES, u32::from(m.msg_type))
        };
        name_or_number(w, "message_type", name, u64::from(m.msg_type));
        if let Some(v) = m.vendor_id {
            w.uint("vendor_id", u64::from(v));
        }
        match &m.body {
            NetBody::None => {}
            NetBody::Network(n) => w.uint("network", u64::from(*n)),
            NetBody::Networks(nets, count) => {
                w.open_array_key("networks");
                for n in nets {
                    w.array_uint(u64::from(*n));
                }
                w.close_array();
                if *count > nets.len() {
                    w.uint("network_count", *count as u64);
                }
            }
            NetBody::CouldBe {
                network,
                performance_index,
            } => {
                w.uint("network", u64::from(*network));
                w.uint("performance_index", u64::from(*performance_index));
            }
            NetBody::Reject { reason, network } => {
                name_or_number(
                    w,
                    "reject_reason",
                    indexed(names::NETWORK_REJECT_REASONS, u32::from(*reason)),
                    u64::from(*reason),
                );
                w.uint("network", u64::from(*network));
            }
            NetBody::Routes(entries, count) => {
                w.uint("port_count", u64::from(*count));
                w.open_array_key("ports");
                for e in entries {
                    w.open_object();
                    w.uint("network", u64::from(e.network));
                    w.uint("port_id", u64::from(e.port_id));
                    w.uint("port_info_length", u64::from(e.port_info_length));
                    w.close_object();
                }
                w.close_array();
            }
            NetBody::Establish {
                network,
                termination_time,
            } => {
                w.uint("network", u64::from(*network));
                w.uint("termination_time", u64::from(*termination_time));
            }
            NetBody::NumberIs {
                network,
                configured,
            } => {
                w.uint("network", u64::from(*network));
                w.boolean("configured", *configured);
            }
        }
    }
    w.close_object();
}

fn write_bvlc(w: &mut JsonWriter<'_>, m: &Message) {
    name_or_number(
        w,
        "bvlc_function",
        indexed(names::BVLC_FUNCTIONS, u32::from(m.function)),
        u64::from(m.function),
    );
    match &m.bvlc {
        BvlcBody::None => {}
        BvlcBody::Result(code) => {
            w.open_object_key("bvlc");
            name_or_number(
                w,
                "result_code",
                names::bvlc_result_name(*code),
                u64::from(*code),
            );
            w.close_object();
        }
        BvlcBody::Forwarded(a) => {
            w.open_object_key("bvlc");
            write_bip(w, "original_source", a);
            w.close_object();
        }
        BvlcBody::Register(ttl) => {
            w.open_object_key("bvlc");
            w.uint("time_to_live", u64::from(*ttl));
            w.close_object();
        }
        BvlcBody::Delete(a) => {
            w.open_object_key("bvlc");
            write_bip(w, "entry", a);
            w.close_object();
        }
        BvlcBody::Bdt(entries, count) => {
            w.open_object_key("bvlc");
            w.uint("entry_count", *count as u64);
            w.open_array_key("bdt");
            for e in entries {
                w.open_object();
                write_bip(w, "address", &e.addr);
                w.string_with("mask", |b| {
                    let [x, y, z, v] = e.mask;
                    let _ = write!(b, "{x}.{y}.{z}.{v}");
                });
                w.close_object();
            }
            w.close_array();
            w.close_object();
        }
        BvlcBody::Fdt(entries, count) => {
            w.open_object_key("bvlc");
            w.uint("entry_count", *count as u64);
            w.open_array_key("fdt");
            for e in entries {
                w.open_object();
                write_bip(w, "address", &e.addr);
                w.uint("time_to_live", u64::from(e.ttl));
                w.uint("time_remaining", u64::from(e.remaining));
                w.close_object();
            }
            w.close_array();
            w.close_object();
        }
    }
}

/// The headers of one PDU: BVLL, NPDU and APDU header fields.
fn write_headers(w: &mut JsonWriter<'_>, m: &Message, segments: u32) {
    write_bvlc(w, m);
    if let Some(n) = &m.npdu {
        write_npdu(w, n);
    }
    let Some(a) = &m.apdu else { return };
    name_or_number(
        w,
        "apdu_type",
        indexed(names::APDU_TYPES, u32::from(a.pdu_type)),
        u64::from(a.pdu_type),
    );
    match a.pdu_type {
        pdu::CONFIRMED_REQUEST => {
            w.boolean("segmented_response_accepted", a.flags & 0x02 != 0);
            // 2, 4, .. 64 segments; 7 means more than 64 (logged as 65).
            if a.max_segments != 0 {
                let n = if a.max_segments == 7 {
                    65
                } else {
                    1u64 << a.max_segments
                };
                w.uint("max_segments_accepted", n);
            }
            let lens = [50u64, 128, 206, 480, 1024, 1476];
            if let Some(n) = lens.get(usize::from(a.max_apdu)) {
                w.uint("max_apdu_length_accepted", *n);
            }
        }
        pdu::SEGMENT_ACK => {
            w.boolean("negative_ack", a.flags & 0x02 != 0);
            w.boolean("server", a.from_server());
            if let Some(s) = a.sequence_number {
                w.uint("sequence_number", u64::from(s));
            }
            if let Some(s) = a.window_size {
                w.uint("actual_window_size", u64::from(s));
            }
        }
        pdu::REJECT => {
            if let Some(r) = a.reason {
                name_or_number(
                    w,
                    "reject_reason",
                    indexed(names::REJECT_REASONS, u32::from(r)),
                    u64::from(r),
                );
            }
        }
        pdu::ABORT => {
            w.boolean("server", a.from_server());
            if let Some(r) = a.reason {
                name_or_number(
                    w,
                    "abort_reason",
                    indexed(names::ABORT_REASONS, u32::from(r)),
                    u64::from(r),
                );
            }
        }
        _ => {}
    }
    if a.segmented() {
        w.boolean("segmented", true);
        w.uint("segments", u64::from(segments));
    }
}

/// The service parameters of a PDU, as members of an open object.
fn write_params(w: &mut JsonWriter<'_>, d: &Decoded) {
    write_fields(w, &d.fields);
    if d.error == Some(apdu::DecodeError::Budget) {
        w.boolean("values_truncated", true);
    }
}

fn write_service(w: &mut JsonWriter<'_>, s: Service) {
    name_or_number(w, "service", s.name(), u64::from(s.choice()));
}

impl Transaction for BacnetTx {
    fn event_type(&self) -> &'static str {
        "bacnet"
    }

    fn log_direction(&self) -> Direction {
        self.requester
    }

    fn tx_id(&self) -> Option<u64> {
        Some(self.id)
    }

    fn write_eve(&self, w: &mut JsonWriter<'_>) {
        w.open_object_key("bacnet");
        if let Some(m) = &self.request {
            write_headers(w, m, self.request_segments);
        }
        if let Some(i) = self.invoke_id {
            w.uint("invoke_id", u64::from(i));
        }
        if let Some(s) = self.service {
            write_service(w, s);
        }
        if self.retries > 0 {
            w.uint("retries", u64::from(self.retries));
        }
        if self.segment_acks > 0 {
            w.uint("segment_acks", u64::from(self.segment_acks));
        }
        if let Some(ab) = &self.abort {
            w.open_object_key("abort");
            w.boolean("server", ab.server);
            name_or_number(
                w,
                "abort_reason",
                indexed(names::ABORT_REASONS, u32::from(ab.reason)),
                u64::from(ab.reason),
            );
            w.close_object();
        }
        if let Some(p) = self
            .request
            .as_ref()
            .and_then(|m| m.apdu.as_ref()?.params.as_ref())
            .filter(|p| !p.fields.is_empty() || p.error == Some(apdu::DecodeError::Budget))
        {
            w.open_object_key("request");
            write_params(w, p);
            w.close_object();
        }
        if let Some(m) = &self.response {
            w.open_object_key("response");
            write_headers(w, m, self.response_segments);
            if let Some(a) = &m.apdu {
                let s = service_of(a);
                if let Some(s) = s.filter(|s| Some(*s) != self.service) {
                    write_service(w, s);
                }
                if let Some(p) = &a.params {
                    write_params(w, p);
                }
            }
            w.close_object();
        }
        w.close_object();
    }

    fn buffer(&self, name: &str) -> Option<&[u8]> {
        match name {
            "bacnet.service" => self.service?.name().map(str::as_bytes),
            "bacnet.password" => self.params().find_map(|p| p.password.as_deref()),
            "bacnet.object_name" => self.object_names().next(),
            _ => None,
        }
    }

    fn buffers(&self, name: &str, f: &mut dyn FnMut(&[u8])) {
        if name == "bacnet.object_name" {
            self.object_names().for_each(f);
        } else if let Some(b) = self.buffer(name) {
            f(b);
        }
    }

    fn uints(&self, name: &str, f: &mut dyn FnMut(u64)) {
        let apdus = || self.messages().filter_map(|m| m.apdu.as_ref());
        let npdus = || self.messages().filter_map(|m| m.npdu.as_ref());
        match name {
            "bacnet.bvlc_function" => self.messages().for_each(|m| f(u64::from(m.function))),
            "bacnet.apdu_type" => {
                apdus().for_each(|a| f(u64::from(a.pdu_type)));
                // PDUs counted rather than kept.
                if self.segment_acks > 0 {
                    f(u64::from(pdu::SEGMENT_ACK));
                }
                if self.abort.is_some() {
                    f(u64::from(pdu::ABORT));
                }
            }
            "bacnet.service" => self
                .service
                .into_iter()
                .for_each(|s| f(u64::from(s.choice()))),
            "bacnet.confirmed_service" => {
                if let Some(Service::Confirmed(s)) = self.service {
                    f(u64::from(s));
                }
            }
            "bacnet.unconfirmed_service" => {
                if let Some(Service::Unconfirmed(s)) = self.service {
                    f(u64::from(s));
                }
            }
            "bacnet.invoke_id" => self.invoke_id.into_iter().for_each(|i| f(u64::from(i))),
            "bacnet.reject_reason" => apdus()
                .filter(|a| a.pdu_type == pdu::REJECT)
                .filter_map(|a| a.reason)
                .for_each(|r| f(u64::from(r))),
            "bacnet.abort_reason" => {
                apdus()
                    .filter(|a| a.pdu_type == pdu::ABORT)
                    .filter_map(|a| a.reason)
                    .for_each(|r| f(u64::from(r)));
                if let Some(ab) = self.abort {
                    f(u64::from(ab.reason));
                }
            }
            "bacnet.network_message_type" => npdus()
                .filter_map(|n| n.message.as_ref())
                .for_each(|m| f(u64::from(m.msg_type))),
            "bacnet.dnet" => npdus()
                .filter_map(|n| n.dest.as_ref())
                .for_each(|a| f(u64::from(a.net))),
            "bacnet.snet" => npdus()
                .filter_map(|n| n.src.as_ref())
                .for_each(|a| f(u64::from(a.net))),
            "bacnet.object_type"
            | "bacnet.instance"
            | "bacnet.property"
            | "bacnet.priority"
            | "bacnet.vendor_id"
            | "bacnet.reinitialized_state"
            | "bacnet.enable_disable"
            | "bacnet.error_class"
            | "bacnet.error_code" => {
                for p in self.params() {
                    field_uints(&p.fields, name, f);
                }
            }
            _ => {}
        }
    }
}

/// The values of keyword `name` among `fields` (recursively).
fn field_uints(fields: &[Field], name: &str, f: &mut dyn FnMut(u64)) {
    for fld in fields {
        match (&fld.value, name) {
            (FieldValue::Object(o), "bacnet.object_type") => f(u64::from(o.object_type)),
            (FieldValue::Object(o), "bacnet.instance") => f(u64::from(o.instance)),
            (FieldValue::Enum(Enumeration::ObjectType, v), "bacnet.object_type")
            | (FieldValue::Enum(Enumeration::Property, v), "bacnet.property")
            | (FieldValue::Enum(Enumeration::ErrorClass, v), "bacnet.error_class")
            | (FieldValue::Enum(Enumeration::ErrorCode, v), "bacnet.error_code")
            | (
                FieldValue::Enum(Enumeration::ReinitializedState, v),
                "bacnet.reinitialized_state",
            )
            | (FieldValue::Enum(Enumeration::EnableDisable, v), "bacnet.enable_disable") => {
                f(u64::from(*v))
            }
            (FieldValue::Uint(v), "bacnet.priority") if fld.name == "priority" => f(*v),
            (FieldValue::Uint(v), "bacnet.vendor_id") if fld.name == "vendor_id" => f(*v),
            (FieldValue::List(items), _) => {
                for item in items {
                    field_uints(item, name, f);
                }
            }
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests;
