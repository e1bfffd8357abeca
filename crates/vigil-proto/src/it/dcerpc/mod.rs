//! DCERPC over TCP (connection-oriented, version 5) and UDP
//! (connectionless, version 4), as Suricata 7 parses and logs it
//! (`app_proto: "dcerpc"`, EVE `dcerpc` records).
//!
//! Detection is by content, on any port (135 is only tried first): a TCP
//! stream whose first bytes are a version 5.0 header with a sane data
//! representation, a UDP datagram that is a version 4 header.
//!
//! TCP: PDUs are framed by their `frag_len`; several PDUs in one segment
//! and PDUs split over segments give the same transactions (an incomplete
//! PDU is buffered, at most one PDU, 64 KiB, per direction). A BIND or
//! ALTER_CONTEXT opens a transaction that its BIND_ACK / ALTER_CONTEXT_RESP
//! (same call id) completes, and sets the flow's interfaces with the
//! server's answer; REQUEST and RESPONSE fragments of one call id make one
//! transaction (stub data appended). After a gap or a malformed header the
//! direction resyncs on the next `05 00`; calls the gap swallowed are
//! logged `REQUEST_LOST` / `UNREPLIED`, as Suricata does. A PDU type
//! Suricata's parser does not handle (FAULT, AUTH3, ...) stops parsing of
//! the flow, as Suricata's parser error does.
//!
//! UDP: each datagram is one PDU; fragments of a REQUEST or RESPONSE with
//! the same activity UUID and sequence number make one transaction.
//!
//! Where vigil differs from Suricata 7.0.10 (measured with the reference
//! on crafted captures), on purpose:
//! - the fragments of a call make one transaction (`frag_cnt` counts them,
//!   `stub_data_size` adds them up, `dcerpc.stub_data` holds them all);
//!   Suricata logs each request fragment as a call of its own, paired with
//!   the response fragment of the same rank, `frag_cnt` always 1;
//! - every PDU of a segment is parsed; Suricata parses the first PDU of
//!   each chunk of stream data it is handed and drops the rest.
//!
//! The PDU formats are in [`pdu`], shared with SMB (DCERPC over named
//! pipes). Suricata defines no DCERPC anomaly events; none are raised.
//!
//! Rule buffers and fields (on `dcerpc` transactions; rules using them
//! also run on SMB, as Suricata's `dcerpc` rules do):
//! - `dcerpc.stub_data`: request stub data (`buffer_dir` to the client:
//!   response stub data).
//! - `dcerpc.iface` (multi-valued, REQUEST transactions over TCP): one
//!   `<uuid>:<major version>` per interface the server accepted for the
//!   request's context (`:any` appended when its BIND was not a first
//!   fragment, which only `any_frag` rules match).
//! - uint `dcerpc.opnum` (REQUEST transactions over TCP).
//!
//! Bounds: kept stub data per transaction and direction ([`MAX_STUB`]),
//! open transactions per flow ([`MAX_TXS`]; the oldest is logged as it is
//! when more open), interfaces per BIND ([`pdu::MAX_IFACES`]).

pub mod pdu;
#[cfg(test)]
mod tests;

use std::collections::VecDeque;

use vigil_eve::JsonWriter;

use crate::{
    AppParser, AppProto, Direction, ParseOutput, Probe, ProtoInfo, Transaction, Transport,
};
use pdu::{Iface, Record};

/// Registration of DCERPC: content detection on TCP and UDP; port 135
/// (the endpoint mapper) is probed first.
pub static INFO: ProtoInfo = ProtoInfo {
    proto: AppProto::Dcerpc,
    tcp_ports: &[135],
    udp_ports: &[135],
    probe_tcp: Some(probe_tcp),
    probe_udp: Some(probe_udp),
    port_only: false,
    new_parser,
};

/// Most stub data kept per transaction and direction for rules (the
/// logged `stub_data_size` counts all of it). Suricata's own cap on
/// buffered data is 1 MiB per direction.
pub const MAX_STUB: usize = 1 << 20;
/// Most open transactions per flow.
pub const MAX_TXS: usize = 256;

fn new_parser(t: Transport) -> Box<dyn AppParser> {
    match t {
        Transport::Tcp => Box::new(TcpParser::default()),
        Transport::Udp => Box::new(UdpParser::default()),
    }
}

/// TCP prober: Suricata's `05 00` pattern and its check of the data
/// representation (integer and character formats defined, float format
/// at most 3).
pub fn probe_tcp(_dir: Direction, data: &[u8]) -> Probe {
    if data.len() < pdu::CO_HEADER_LEN {
        // Suricata's pattern is `05 00`: anything else fails at once.
        return match data {
            [] => Probe::NeedMore,
            [5] | [5, 0, ..] => Probe::NeedMore,
            _ => Probe::NoMatch,
        };
    }
    match pdu::parse_record(data) {
        Some(r)
            if r.version_major == 5
                && r.version_minor == 0
                && r.drep[0] & 0xee == 0
                && r.drep[1] <= 3 =>
        {
            Probe::Match
        }
        _ => Probe::NoMatch,
    }
}

/// UDP prober: a version 4 header (`04 00` pattern), reserved flags2 bits
/// clear, a defined data representation.
pub fn probe_udp(_dir: Direction, data: &[u8]) -> Probe {
    match pdu::parse_cl_header(data) {
        Some(h)
            if h.version == 4
                && h.flags2 & 0xfc == 0
                && h.drep[0] & 0xee == 0
                && h.drep[1] <= 3 =>
        {
            Probe::Match
        }
        _ => Probe::NoMatch,
    }
}

/// The response PTYPE that answers request PTYPE `t` (Suricata's pairing).
fn resp_type_for_req(t: u8) -> Option<u8> {
    match t {
        pdu::REQUEST => Some(pdu::RESPONSE),
        pdu::BIND => Some(pdu::BINDACK),
        pdu::ALTER_CONTEXT => Some(pdu::ALTER_CONTEXT_RESP),
        _ => None,
    }
}

fn req_type_for_resp(t: u8) -> Option<u8> {
    match t {
        pdu::RESPONSE => Some(pdu::REQUEST),
        pdu::BINDACK => Some(pdu::BIND),
        pdu::ALTER_CONTEXT_RESP => Some(pdu::ALTER_CONTEXT),
        _ => None,
    }
}

/// Identity of a connectionless call.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
struct ClCall {
    activity: [u8; 16],
    seqnum: u32,
}

/// One call: a request (or BIND) and its response.
#[derive(Clone, Debug)]
struct DceTx {
    id: u64,
    call_id: u32,
    ctxid: u16,
    opnum: u16,
    /// A REQUEST PDU was parsed into it (the keywords need one).
    first_request_seen: bool,
    req_cmd: u8,
    resp_cmd: u8,
    req_done: bool,
    resp_done: bool,
    req_lost: bool,
    resp_lost: bool,
    frag_cnt_ts: u16,
    frag_cnt_tc: u16,
    stub_ts: Vec<u8>,
    stub_tc: Vec<u8>,
    stub_len_ts: u64,
    stub_len_tc: u64,
    /// UDP calls only.
    cl: Option<ClCall>,
    /// BIND: the interfaces it offered (with the answers); REQUEST: the
    /// interfaces accepted on the flow when it was handed over.
    ifaces: Vec<Iface>,
    /// Its request side went to rule inspection already.
    snapshot_sent: bool,
}

impl DceTx {
    fn new(id: u64, call_id: u32) -> DceTx {
        DceTx {
            id,
            call_id,
            ctxid: 0,
            opnum: 0,
            first_request_seen: false,
            // Suricata's defaults: an unseen side reads as REQUEST /
            // RESPONSE for the call-id pairing.
            req_cmd: pdu::REQUEST,
            resp_cmd: pdu::RESPONSE,
            req_done: false,
            resp_done: false,
            req_lost: false,
            resp_lost: false,
            frag_cnt_ts: 0,
            frag_cnt_tc: 0,
            stub_ts: Vec::new(),
            stub_tc: Vec::new(),
            stub_len_ts: 0,
            stub_len_tc: 0,
            cl: None,
            ifaces: Vec::new(),
            snapshot_sent: false,
        }
    }

    /// The interfaces its record and keywords see when handed over: a
    /// BIND's record shows the flow's current BIND table (Suricata logs
    /// the state's at log time, so an ALTER_CONTEXT before the log shows
    /// there); a REQUEST keeps the accepted ones for `dcerpc.iface`.
    fn set_ifaces(&mut self, bind: &[Iface], accepted: &[Iface]) {
        match self.req_cmd {
            pdu::BIND => self.ifaces = bind.to_vec(),
            pdu::REQUEST => self.ifaces = accepted.to_vec(),
            _ => {}
        }
    }

    fn add_stub(&mut self, to_server: bool, data: &[u8]) {
        let (buf, len) = if to_server {
            (&mut self.stub_ts, &mut self.stub_len_ts)
        } else {
            (&mut self.stub_tc, &mut self.stub_len_tc)
        };
        *len = len.saturating_add(data.len() as u64);
        let room = MAX_STUB.saturating_sub(buf.len()).min(data.len());
        buf.extend_from_slice(data.get(..room).unwrap_or(&[]));
    }
}

/// The open transactions of a flow, in creation order, and what was
/// handed over from them.
#[derive(Default)]
struct Txs {
    open: VecDeque<DceTx>,
    next_id: u64,
}

impl Txs {
    fn create(&mut self, call_id: u32, out: &mut ParseOutput) -> &mut DceTx {
        if self.open.len() >= MAX_TXS {
            // Bounded state: the oldest call is logged as it stands.
            if let Some(old) = self.open.pop_front() {
                emit_whole(old, out);
            }
        }
        let tx = DceTx::new(self.next_id, call_id);
        self.next_id += 1;
        self.open.push_back(tx);
        let last = self.open.len() - 1;
        &mut self.open[last]
    }

    /// Hands over finished calls (and the request side of calls waiting
    /// for their response), in order, with the flow's interfaces (see
    /// [`DceTx::set_ifaces`]).
    fn flush(&mut self, bind: &[Iface], accepted: &[Iface], out: &mut ParseOutput) {
        let mut i = 0;
        while i < self.open.len() {
            let Some(tx) = self.open.get_mut(i) else {
                break;
            };
            if tx.req_done && tx.resp_done {
                if let Some(mut tx) = self.open.remove(i) {
                    tx.set_ifaces(bind, accepted);
                    emit_whole(tx, out);
                }
                continue;
            }
            if tx.req_done && !tx.snapshot_sent {
                tx.snapshot_sent = true;
                let mut snap = tx.clone();
                snap.set_ifaces(bind, accepted);
                out.tx(DcerpcRecord {
                    tx: snap,
                    part: Part::RequestSnapshot,
                });
            }
            i += 1;
        }
    }

    /// Flow end: every open call is logged as it stands.
    fn finish(&mut self, bind: &[Iface], accepted: &[Iface], out: &mut ParseOutput) {
        for mut tx in self.open.drain(..) {
            tx.set_ifaces(bind, accepted);
            emit_whole(tx, out);
        }
    }
}

fn emit_whole(tx: DceTx, out: &mut ParseOutput) {
    let part = if tx.snapshot_sent {
        Part::WholeAfterRequest
    } else {
        Part::Whole
    };
    out.tx(DcerpcRecord { tx, part });
}

/// One direction of a TCP flow.
#[derive(Default)]
struct Side {
    /// The start of a PDU not yet complete (at most one PDU).
    buf: Vec<u8>,
    /// Looking for the next `05 00` (after a gap or malformed header).
    resync: bool,
    /// A gap was seen in this direction (for good: Suricata's
    /// session-gap flag).
    ssn_gap: bool,
}

/// Connection-oriented DCERPC over TCP.
#[derive(Default)]
pub struct TcpParser {
    sides: [Side; 2],
    /// Parsing stopped for good (a PDU type Suricata's parser rejects).
    failed: bool,
    /// Interfaces of the last BIND / ALTER_CONTEXT, with the answers.
    bind: Vec<Iface>,
    /// Interfaces the last BIND_ACK accepted (Suricata matches
    /// `dcerpc.iface` against these).
    accepted: Vec<Iface>,
    txs: Txs,
}

impl TcpParser {
    /// Parses the complete PDUs at the start of `data`; returns how many
    /// bytes were consumed (the rest is an incomplete PDU).
    fn process(&mut self, dir: Direction, data: &[u8], out: &mut ParseOutput) -> usize {
        let mut pos = 0;
        while !self.failed {
            let rest = data.get(pos..).unwrap_or(&[]);
            let side = &mut self.sides[dir.index()];
            if side.resync {
                match find_header(rest) {
                    Some(off) => {
                        pos += off;
                        side.resync = false;
                        continue;
                    }
                    None => {
                        // Keep a trailing 05: it may start the header.
                        let keep = usize::from(rest.last() == Some(&5));
                        return data.len() - keep;
                    }
                }
            }
            let Some(rec) = pdu::parse_record(rest) else {
                return pos;
            };
            let frag_len = usize::from(rec.frag_len);
            if rec.version_major != 5 || rec.version_minor > 1 || frag_len < pdu::CO_HEADER_LEN {
                side.resync = true;
                pos += 1;
                continue;
            }
            let Some(whole) = rest.get(..frag_len) else {
                return pos;
            };
            let Some(rec) = pdu::parse_record(whole) else {
                return pos;
            };
            self.handle_pdu(&rec, out);
            pos += frag_len;
        }
        data.len()
    }

    fn handle_pdu(&mut self, rec: &Record<'_>, out: &mut ParseOutput) {
        // Body of the fragment (the record's data runs to the end of it).
        let body = rec
            .data
            .get(..usize::from(rec.frag_len).saturating_sub(pdu::CO_HEADER_LEN))
            .unwrap_or(rec.data);
        match rec.packet_type {
            pdu::BIND | pdu::ALTER_CONTEXT => {
                let Some(mut ifaces) = pdu::parse_bind(body, rec.little_endian) else {
                    self.failed = true;
                    return;
                };
                for i in &mut ifaces {
                    i.first_frag = rec.first_frag;
                }
                self.bind = ifaces;
                // Suricata opens a new call for every BIND (no pairing).
                let tx = self.txs.create(rec.call_id, out);
                tx.req_cmd = rec.packet_type;
                tx.req_done = true;
                tx.frag_cnt_ts = 1;
            }
            pdu::BINDACK | pdu::ALTER_CONTEXT_RESP => {
                let Some(results) = pdu::parse_bindack(body) else {
                    self.failed = true;
                    return;
                };
                for (iface, (result, reason)) in self.bind.iter_mut().zip(&results) {
                    iface.ack_result = *result;
                    iface.ack_reason = *reason;
                    iface.acked = true;
                }
                self.accepted = self
                    .bind
                    .iter()
                    .filter(|i| i.acked && i.ack_result == 0)
                    .cloned()
                    .collect();
                let tx = self.tx_for(rec, false, out);
                tx.resp_cmd = rec.packet_type;
                tx.resp_done = true;
                tx.frag_cnt_tc = 1;
            }
            pdu::REQUEST => {
                let Some((ctx, opnum, stub)) =
                    pdu::parse_request(body, rec.frag_len, rec.little_endian)
                else {
                    self.failed = true;
                    return;
                };
                let tx = self.tx_for(rec, true, out);
                tx.req_cmd = pdu::REQUEST;
                tx.ctxid = ctx;
                tx.opnum = opnum;
                tx.first_request_seen = true;
                tx.add_stub(true, stub);
                tx.frag_cnt_ts = tx.frag_cnt_ts.saturating_add(1);
                // Fragments of a call make one transaction, complete with
                // its last fragment (Suricata 7 logs each fragment as a
                // call of its own: see the module documentation). As in
                // Suricata, a fragment without stub data completes nothing
                // (its call is logged REQUEST_LOST).
                if !stub.is_empty() {
                    tx.req_done |= last_fragment(rec);
                }
            }
            pdu::RESPONSE => {
                let tx = self.tx_for(rec, false, out);
                tx.resp_cmd = pdu::RESPONSE;
                // Suricata's response stub starts right after the common
                // header (alloc hint, context id and cancel count included).
                tx.add_stub(false, body);
                tx.frag_cnt_tc = tx.frag_cnt_tc.saturating_add(1);
                tx.resp_done |= last_fragment(rec);
            }
            _ => {
                // Suricata's parser returns an error on other PDU types,
                // which ends parsing of the flow.
                self.failed = true;
            }
        }
    }

    /// The open call `rec` belongs to (Suricata's pairing by call id and
    /// PDU type), or a new one.
    fn tx_for(&mut self, rec: &Record<'_>, to_server: bool, out: &mut ParseOutput) -> &mut DceTx {
        let t = rec.packet_type;
        let idx = self.txs.open.iter().position(|tx| {
            tx.call_id == rec.call_id
                && if to_server {
                    resp_type_for_req(t) == Some(tx.resp_cmd)
                } else {
                    req_type_for_resp(t) == Some(tx.req_cmd)
                }
        });
        match idx {
            // In bounds: a position in this very list.
            Some(i) => &mut self.txs.open[i],
            None => self.txs.create(rec.call_id, out),
        }
    }

    /// After data in `dir` following a gap there: calls the gap swallowed
    /// are given up on (Suricata's post-gap housekeeping).
    fn post_gap(&mut self, dir: Direction) {
        let side = &self.sides[dir.index()];
        if !side.ssn_gap {
            return;
        }
        for tx in &mut self.txs.open {
            if !tx.req_done {
                tx.req_lost = true;
            }
            tx.req_done = true;
            if dir == Direction::ToClient {
                if !tx.resp_done {
                    tx.resp_lost = true;
                }
                tx.resp_done = true;
            }
        }
    }
}

/// Whether a REQUEST / RESPONSE fragment ends its call: the last-fragment
/// flag, or neither fragment flag (Suricata's reading).
fn last_fragment(rec: &Record<'_>) -> bool {
    rec.last_frag || !rec.first_frag
}

/// Offset of the next `05 00` (a possible header start).
fn find_header(data: &[u8]) -> Option<usize> {
    data.windows(2).position(|w| w == [5, 0])
}

impl AppParser for TcpParser {
    fn parse(&mut self, dir: Direction, data: &[u8], out: &mut ParseOutput) {
        if self.failed || data.is_empty() {
            return;
        }
        let d = dir.index();
        if self.sides[d].buf.is_empty() {
            let used = self.process(dir, data, out);
            if let Some(rest) = data.get(used..) {
                self.sides[d].buf.extend_from_slice(rest);
            }
        } else {
            let mut buf = std::mem::take(&mut self.sides[d].buf);
            buf.extend_from_slice(data);
            let used = self.process(dir, &buf, out);
            buf.drain(..used.min(buf.len()));
            self.sides[d].buf = buf;
        }
        if self.failed {
            self.sides[d].buf = Vec::new();
        }
        self.post_gap(dir);
        self.txs.flush(&self.bind, &self.accepted, out);
    }

    fn gap(&mut self, dir: Direction, _len: u64, _out: &mut ParseOutput) {
        let side = &mut self.sides[dir.index()];
        side.buf = Vec::new();
        side.resync = true;
        side.ssn_gap = true;
    }

    fn finish(&mut self, out: &mut ParseOutput) {
        self.txs.finish(&self.bind, &self.accepted, out);
    }
}

/// Connectionless DCERPC over UDP.
#[derive(Default)]
pub struct UdpParser {
    txs: Txs,
}

impl AppParser for UdpParser {
    fn parse(&mut self, _dir: Direction, data: &[u8], out: &mut ParseOutput) {
        let Some(h) = pdu::parse_cl_header(data) else {
            return;
        };
        if h.version != 4 || !matches!(h.packet_type, pdu::REQUEST | pdu::RESPONSE) {
            return;
        }
        let Some(stub) = h.body.get(..usize::from(h.frag_len)) else {
            return;
        };
        let call = ClCall {
            activity: h.activity,
            seqnum: h.seqnum,
        };
        let request = h.packet_type == pdu::REQUEST;
        let idx = self.txs.open.iter().position(|tx| {
            tx.cl == Some(call) && if request { !tx.req_done } else { !tx.resp_done }
        });
        let tx = match idx {
            Some(i) => &mut self.txs.open[i],
            None => {
                let tx = self.txs.create(0, out);
                tx.cl = Some(call);
                tx
            }
        };
        let done = h.flags1 & pdu::PFCL1_FRAG == 0 || h.flags1 & pdu::PFCL1_LASTFRAG != 0;
        if request {
            tx.opnum = h.opnum;
            tx.add_stub(true, stub);
            tx.frag_cnt_ts = tx.frag_cnt_ts.saturating_add(1);
            tx.req_done |= done;
        } else {
            tx.add_stub(false, stub);
            tx.frag_cnt_tc = tx.frag_cnt_tc.saturating_add(1);
            tx.resp_done |= done;
        }
        self.txs.flush(&[], &[], out);
    }

    fn finish(&mut self, out: &mut ParseOutput) {
        self.txs.finish(&[], &[], out);
    }
}

/// Which view of a call a record is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Part {
    /// The whole call, its request side not inspected yet.
    Whole,
    /// The request side, for rule inspection only (no record).
    RequestSnapshot,
    /// The whole call after its request side was inspected.
    WholeAfterRequest,
}

/// A `dcerpc` transaction as handed to the worker.
pub struct DcerpcRecord {
    tx: DceTx,
    part: Part,
}

impl DcerpcRecord {
    /// The accepted interfaces `dcerpc.iface` sees: those of the request's
    /// presentation context, once a REQUEST was parsed (Suricata's
    /// `first_request_seen`).
    fn iface_matches(&self) -> impl Iterator<Item = &Iface> {
        let tx = &self.tx;
        let ok = tx.first_request_seen
            && tx.cl.is_none()
            && (tx.req_cmd == pdu::REQUEST || tx.resp_cmd == pdu::RESPONSE);
        tx.ifaces
            .iter()
            .filter(move |i| ok && i.acked && i.ack_result == 0 && i.context_id == tx.ctxid)
    }

    fn write_tcp(&self, w: &mut JsonWriter<'_>) {
        let tx = &self.tx;
        if tx.req_done && !tx.req_lost {
            w.string("request", &pdu::type_name(tx.req_cmd));
            match tx.req_cmd {
                pdu::REQUEST => write_req(w, tx),
                pdu::BIND if !tx.ifaces.is_empty() => {
                    w.open_array_key("interfaces");
                    for i in &tx.ifaces {
                        w.open_object();
                        w.string("uuid", &pdu::uuid_string(&i.uuid));
                        w.string("version", &format!("{}.{}", i.ver, i.ver_min));
                        w.uint("ack_result", u64::from(i.ack_result));
                        w.close_object();
                    }
                    w.close_array();
                }
                _ => {}
            }
        } else {
            w.string("request", "REQUEST_LOST");
        }
        write_resp(w, tx);
        w.uint("call_id", u64::from(tx.call_id));
        // Suricata 7 writes 5.0 whatever the PDUs' minor version.
        w.string("rpc_version", "5.0");
    }

    fn write_udp(&self, w: &mut JsonWriter<'_>, call: &ClCall) {
        let tx = &self.tx;
        if tx.req_done && !tx.req_lost {
            w.string("request", &pdu::type_name(tx.req_cmd));
            if tx.req_cmd == pdu::REQUEST {
                write_req(w, tx);
            }
        } else {
            w.string("request", "REQUEST_LOST");
        }
        write_resp(w, tx);
        w.string("activityuuid", &pdu::uuid_string(&call.activity));
        w.uint("seqnum", u64::from(call.seqnum));
        w.string("rpc_version", "4.0");
    }
}

fn write_req(w: &mut JsonWriter<'_>, tx: &DceTx) {
    w.open_object_key("req");
    w.uint("opnum", u64::from(tx.opnum));
    w.uint("frag_cnt", u64::from(tx.frag_cnt_ts));
    w.uint("stub_data_size", tx.stub_len_ts);
    w.close_object();
}

fn write_resp(w: &mut JsonWriter<'_>, tx: &DceTx) {
    if tx.resp_done && !tx.resp_lost {
        w.string("response", &pdu::type_name(tx.resp_cmd));
        if tx.resp_cmd == pdu::RESPONSE {
            w.open_object_key("res");
            w.uint("frag_cnt", u64::from(tx.frag_cnt_tc));
            w.uint("stub_data_size", tx.stub_len_tc);
            w.close_object();
        }
    } else {
        w.string("response", "UNREPLIED");
    }
}

impl Transaction for DcerpcRecord {
    fn event_type(&self) -> &'static str {
        "dcerpc"
    }

    fn message_dir(&self) -> Option<Direction> {
        (self.part == Part::RequestSnapshot).then_some(Direction::ToServer)
    }

    fn inspect_only(&self) -> bool {
        self.part == Part::RequestSnapshot
    }

    fn request_side_inspected(&self) -> bool {
        self.part == Part::WholeAfterRequest
    }

    fn directionless_rules_per_side(&self) -> bool {
        true
    }

    /// Suricata's `dcerpc` records carry no `tx_id`; its alerts do.
    fn logs_tx_id(&self) -> bool {
        false
    }

    fn alert_logs_tx_id(&self) -> bool {
        true
    }

    fn tx_id(&self) -> Option<u64> {
        Some(self.tx.id)
    }

    fn write_eve(&self, w: &mut JsonWriter<'_>) {
        w.open_object_key("dcerpc");
        match &self.tx.cl {
            Some(call) => self.write_udp(w, call),
            None => self.write_tcp(w),
        }
        w.close_object();
    }

    fn buffer(&self, name: &str) -> Option<&[u8]> {
        match name {
            "dcerpc.stub_data" => Some(&self.tx.stub_ts),
            "dcerpc.stub_data:toclient" => Some(&self.tx.stub_tc),
            _ => None,
        }
    }

    fn buffer_dir(&self, name: &str, dir: Direction) -> Option<&[u8]> {
        match (name, dir) {
            ("dcerpc.stub_data", Direction::ToServer) => Some(&self.tx.stub_ts),
            ("dcerpc.stub_data", Direction::ToClient) => Some(&self.tx.stub_tc),
            _ => self.buffer(name),
        }
    }

    fn buffers(&self, name: &str, f: &mut dyn FnMut(&[u8])) {
        if name == "dcerpc.iface" {
            for i in self.iface_matches() {
                let mut s = format!("{}:{}", pdu::uuid_string(&i.uuid), i.ver);
                if !i.first_frag {
                    s.push_str(":any");
                }
                f(s.as_bytes());
            }
        } else if let Some(b) = self.buffer(name) {
            f(b);
        }
    }

    fn uints(&self, name: &str, f: &mut dyn FnMut(u64)) {
        if name == "dcerpc.opnum" && self.tx.first_request_seen {
            f(u64::from(self.tx.opnum));
        }
    }
}
