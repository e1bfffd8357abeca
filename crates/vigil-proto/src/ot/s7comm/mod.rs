//! S7comm and S7comm-plus over TPKT/COTP (TCP 102).
//!
//! Transactions pair a request with its answer:
//! - classic S7comm: a job with the ack / ack-data of the same PDU
//!   reference from the other side, a userdata request with the userdata
//!   response of the same PDU reference; userdata pushes (alarms, mode
//!   transitions) stand alone. Either side may send jobs (during a block
//!   download the PLC sends the `download_block` jobs).
//! - S7comm-plus: a request with the response of the same sequence number;
//!   notifications stand alone; keep-alives are not logged.
//! - COTP: a connection request with its confirm (TSAPs, TPDU size);
//!   disconnect and error TPDUs stand alone.
//!
//! The record's `src_ip` is the requester. At most 32 requests per side wait
//! for an answer; past that the oldest is logged unanswered with
//! `TOO_MANY_PENDING_REQUESTS`. Requests still open at the end of the flow
//! are logged without a response. See `docs/events.md`, `s7comm`.

pub mod classic;
pub mod plus;

use crate::ot::cotp::{self, Carried, Connect, CotpEvent, CotpStream};
use crate::{
    AppParser, AppProto, Direction, ParseOutput, Probe, ProtoInfo, Transaction, Transport,
};
use classic::S7Pdu;
use plus::PlusPdu;
use vigil_eve::JsonWriter;

/// Registration of S7comm (classic and plus).
pub static INFO: ProtoInfo = ProtoInfo {
    proto: AppProto::S7comm,
    tcp_ports: &[102],
    udp_ports: &[],
    probe_tcp: Some(probe),
    probe_udp: None,
    port_only: false,
    new_parser,
};

/// Requests waiting for an answer, per side.
const MAX_PENDING: usize = 32;

/// Content prober: TPKT/COTP whose first data is S7comm (0x32) or
/// S7comm-plus (0x72). Agrees with the MMS prober by construction.
pub fn probe(_dir: Direction, data: &[u8]) -> Probe {
    match cotp::classify(data) {
        Carried::NeedMore => Probe::NeedMore,
        Carried::S7comm | Carried::S7commPlus => Probe::Match,
        Carried::Mms | Carried::Other => Probe::NoMatch,
    }
}

fn new_parser(_transport: Transport) -> Box<dyn AppParser> {
    Box::new(S7Parser::new())
}

/// A COTP TPDU worth logging.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CotpInfo {
    Connect(Connect),
    Disconnect { request: bool, reason: u8 },
    Error { cause: u8 },
}

/// What a transaction holds.
#[allow(clippy::large_enum_variant)]
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum S7Body {
    Classic {
        request: Option<S7Pdu>,
        response: Option<S7Pdu>,
    },
    Plus {
        request: Option<PlusPdu>,
        response: Option<PlusPdu>,
    },
    Cotp {
        request: Option<CotpInfo>,
        response: Option<CotpInfo>,
    },
}

/// One S7comm / S7comm-plus / COTP transaction.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct S7Tx {
    /// The requester's side (`ToServer` from the connection's initiator).
    pub direction: Direction,
    pub body: S7Body,
}

struct State {
    /// Classic requests waiting, by the side that sent them.
    pending: [Vec<S7Pdu>; 2],
    plus_pending: [Vec<PlusPdu>; 2],
    /// An S7comm-plus PDU whose later fragments are still coming.
    plus_frag: [Option<PlusPdu>; 2],
    /// A connection request waiting for its confirm.
    cr: Option<(Direction, Connect)>,
}

/// The per-flow S7comm parser.
pub struct S7Parser {
    cotp: [CotpStream; 2],
    st: State,
}

impl S7Parser {
    /// A parser for one flow.
    pub fn new() -> S7Parser {
        S7Parser {
            cotp: [
                CotpStream::new(AppProto::S7comm),
                CotpStream::new(AppProto::S7comm),
            ],
            st: State {
                pending: [Vec::new(), Vec::new()],
                plus_pending: [Vec::new(), Vec::new()],
                plus_frag: [None, None],
                cr: None,
            },
        }
    }
}

impl Default for S7Parser {
    fn default() -> Self {
        S7Parser::new()
    }
}

impl AppParser for S7Parser {
    fn parse(&mut self, dir: Direction, data: &[u8], out: &mut ParseOutput) {
        let Some(stream) = self.cotp.get_mut(dir.index()) else {
            return;
        };
        let st = &mut self.st;
        stream.feed(data, out, &mut |ev, out| st.on_cotp(dir, ev, out));
    }

    fn gap(&mut self, dir: Direction, _len: u64, _out: &mut ParseOutput) {
        if let Some(s) = self.cotp.get_mut(dir.index()) {
            s.gap();
        }
        if let Some(f) = self.st.plus_frag.get_mut(dir.index()) {
            *f = None;
        }
    }

    fn finish(&mut self, out: &mut ParseOutput) {
        let st = &mut self.st;
        if let Some((d, c)) = st.cr.take() {
            out.tx(S7Tx {
                direction: d,
                body: S7Body::Cotp {
                    request: Some(CotpInfo::Connect(c)),
                    response: None,
                },
            });
        }
        for d in [Direction::ToServer, Direction::ToClient] {
            let i = d.index();
            if let Some(p) = st.plus_frag.get_mut(i).and_then(Option::take) {
                st.on_plus(d, p, out);
            }
            for req in st
                .pending
                .get_mut(i)
                .map(std::mem::take)
                .unwrap_or_default()
            {
                out.tx(S7Tx {
                    direction: d,
                    body: S7Body::Classic {
                        request: Some(req),
                        response: None,
                    },
                });
            }
            for req in st
                .plus_pending
                .get_mut(i)
                .map(std::mem::take)
                .unwrap_or_default()
            {
                out.tx(S7Tx {
                    direction: d,
                    body: S7Body::Plus {
                        request: Some(req),
                        response: None,
                    },
                });
            }
        }
    }
}

impl State {
    fn on_cotp(&mut self, dir: Direction, ev: CotpEvent<'_>, out: &mut ParseOutput) {
        match ev {
            CotpEvent::Data(tsdu) => self.on_tsdu(dir, tsdu, out),
            CotpEvent::Connect(c) if c.request => {
                if let Some((d, old)) = self.cr.replace((dir, c)) {
                    out.tx(S7Tx {
                        direction: d,
                        body: S7Body::Cotp {
                            request: Some(CotpInfo::Connect(old)),
                            response: None,
                        },
                    });
                }
            }
            CotpEvent::Connect(c) => {
                let req = self.cr.take_if(|(d, _)| *d != dir);
                out.tx(S7Tx {
                    direction: dir.reverse(),
                    body: S7Body::Cotp {
                        request: req.map(|(_, r)| CotpInfo::Connect(r)),
                        response: Some(CotpInfo::Connect(c)),
                    },
                });
            }
            CotpEvent::Disconnect { request, reason } => out.tx(S7Tx {
                direction: dir,
                body: S7Body::Cotp {
                    request: Some(CotpInfo::Disconnect { request, reason }),
                    response: None,
                },
            }),
            CotpEvent::Error { cause } => out.tx(S7Tx {
                direction: dir,
                body: S7Body::Cotp {
                    request: Some(CotpInfo::Error { cause }),
                    response: None,
                },
            }),
        }
    }

    fn on_tsdu(&mut self, dir: Direction, tsdu: &[u8], out: &mut ParseOutput) {
        match tsdu.first() {
            Some(0x32) => {
                if let Some(pdu) = classic::decode(tsdu, out) {
                    self.on_classic(dir, pdu, out);
                }
            }
            Some(0x72) => {
                let Some(f) = plus::frame(tsdu, out) else {
                    return;
                };
                if f.pdu_type == 0xFF {
                    return;
                }
                let slot = self.plus_frag.get_mut(dir.index());
                let Some(slot) = slot else { return };
                match slot.take() {
                    Some(mut head) => {
                        head.fragments = head.fragments.saturating_add(1);
                        if f.last {
                            self.on_plus(dir, head, out);
                        } else {
                            *slot = Some(head);
                        }
                    }
                    None => {
                        let head = plus::decode_first(&f, out);
                        if f.last {
                            self.on_plus(dir, head, out);
                        } else {
                            *slot = Some(head);
                        }
                    }
                }
            }
            _ => out.event(AppProto::S7comm, "INVALID_PROTOCOL_ID"),
        }
    }

    fn on_classic(&mut self, dir: Direction, pdu: S7Pdu, out: &mut ParseOutput) {
        if pdu.is_push() {
            out.tx(S7Tx {
                direction: dir,
                body: S7Body::Classic {
                    request: Some(pdu),
                    response: None,
                },
            });
            return;
        }
        let userdata = pdu.rosctr == classic::ROSCTR_USERDATA;
        if pdu.is_response() {
            let req = self.pending.get_mut(dir.reverse().index()).and_then(|q| {
                // Same PDU reference, and the same function (ack-data) or
                // userdata group and subfunction: clients reuse references.
                let i = q.iter().position(|r| {
                    r.pdu_ref == pdu.pdu_ref
                        && (r.rosctr == classic::ROSCTR_USERDATA) == userdata
                        && (pdu.function.is_none() || r.function == pdu.function)
                        && match (r.userdata, pdu.userdata) {
                            (Some(a), Some(b)) => {
                                a.group == b.group && a.subfunction == b.subfunction
                            }
                            _ => true,
                        }
                })?;
                Some(q.remove(i))
            });
            out.tx(S7Tx {
                direction: dir.reverse(),
                body: S7Body::Classic {
                    request: req,
                    response: Some(pdu),
                },
            });
            return;
        }
        let Some(q) = self.pending.get_mut(dir.index()) else {
            return;
        };
        if let Some(i) = q
            .iter()
            .position(|r| r.pdu_ref == pdu.pdu_ref && r.rosctr == pdu.rosctr)
        {
            let old = q.remove(i);
            out.tx(S7Tx {
                direction: dir,
                body: S7Body::Classic {
                    request: Some(old),
                    response: None,
                },
            });
        }
        if q.len() >= MAX_PENDING {
            out.event(AppProto::S7comm, "TOO_MANY_PENDING_REQUESTS");
            let old = q.remove(0);
            out.tx(S7Tx {
                direction: dir,
                body: S7Body::Classic {
                    request: Some(old),
                    response: None,
                },
            });
        }
        q.push(pdu);
    }

    fn on_plus(&mut self, dir: Direction, pdu: PlusPdu, out: &mut ParseOutput) {
        match pdu.opcode {
            Some(plus::OPCODE_REQUEST) => {
                let Some(q) = self.plus_pending.get_mut(dir.index()) else {
                    return;
                };
                if q.len() >= MAX_PENDING {
                    out.event(AppProto::S7comm, "TOO_MANY_PENDING_REQUESTS");
                    let old = q.remove(0);
                    out.tx(S7Tx {
                        direction: dir,
                        body: S7Body::Plus {
                            request: Some(old),
                            response: None,
                        },
                    });
                }
                q.push(pdu);
            }
            Some(plus::OPCODE_RESPONSE | plus::OPCODE_RESPONSE2) => {
                let req = self
                    .plus_pending
                    .get_mut(dir.reverse().index())
                    .and_then(|q| {
                        let i = q.iter().position(|r| r.sequence == pdu.sequence)?;
                        Some(q.remove(i))
                    });
                out.tx(S7Tx {
                    direction: dir.reverse(),
                    body: S7Body::Plus {
                        request: req,
                        response: Some(pdu),
                    },
                });
            }
            _ => out.tx(S7Tx {
                direction: dir,
                body: S7Body::Plus {
                    request: Some(pdu),
                    response: None,
                },
            }),
        }
    }
}

impl S7Tx {
    fn classic(&self) -> (Option<&S7Pdu>, Option<&S7Pdu>) {
        match &self.body {
            S7Body::Classic { request, response } => (request.as_ref(), response.as_ref()),
            _ => (None, None),
        }
    }

    fn plus(&self) -> (Option<&PlusPdu>, Option<&PlusPdu>) {
        match &self.body {
            S7Body::Plus { request, response } => (request.as_ref(), response.as_ref()),
            _ => (None, None),
        }
    }

    /// True for S7comm-plus transactions.
    pub fn is_plus(&self) -> bool {
        matches!(self.body, S7Body::Plus { .. })
    }

    /// Classic function code (job / ack-data), from the request or else the response.
    pub fn function(&self) -> Option<u8> {
        let (q, r) = self.classic();
        q.and_then(|p| p.function).or(r.and_then(|p| p.function))
    }

    /// Userdata function group and subfunction.
    pub fn userdata(&self) -> Option<(u8, u8)> {
        let (q, r) = self.classic();
        q.or(r)
            .and_then(|p| p.userdata)
            .map(|u| (u.group, u.subfunction))
    }

    /// S7comm-plus function code.
    pub fn plus_function(&self) -> Option<u16> {
        let (q, r) = self.plus();
        q.and_then(|p| p.function).or(r.and_then(|p| p.function))
    }

    fn all_classic(&self) -> impl Iterator<Item = &S7Pdu> {
        let (q, r) = self.classic();
        q.into_iter().chain(r)
    }

    fn all_plus(&self) -> impl Iterator<Item = &PlusPdu> {
        let (q, r) = self.plus();
        q.into_iter().chain(r)
    }

    fn var_items(&self) -> impl Iterator<Item = &classic::AnyAddress> {
        self.all_classic()
            .filter_map(|p| match &p.detail {
                classic::Detail::VarJob { items, .. } => Some(items.iter()),
                _ => None,
            })
            .flatten()
            .filter_map(|i| i.any.as_ref())
    }

    fn szl(&self) -> impl Iterator<Item = &classic::Szl> {
        self.all_classic().filter_map(|p| match &p.detail {
            classic::Detail::Userdata(u) => u.szl.as_ref(),
            _ => None,
        })
    }
}

fn hex(w: &mut JsonWriter<'_>, key: &str, bytes: &[u8]) {
    w.string_with(key, |o| {
        for &b in bytes {
            vigil_eve::format::push_hex_byte(o, b);
        }
    });
}

fn write_cotp(w: &mut JsonWriter<'_>, c: &CotpInfo) {
    match c {
        CotpInfo::Connect(c) => {
            w.string("type", if c.request { "CR" } else { "CC" });
            w.uint("dst_ref", u64::from(c.dst_ref));
            w.uint("src_ref", u64::from(c.src_ref));
            w.uint("class", u64::from(c.class));
            if let Some(s) = c.tpdu_size {
                w.uint("tpdu_size", u64::from(s));
            }
            for (key, text_key, tsap) in [
                ("calling_tsap", "calling_tsap_text", &c.calling_tsap),
                ("called_tsap", "called_tsap_text", &c.called_tsap),
            ] {
                if tsap.is_empty() {
                    continue;
                }
                hex(w, key, tsap);
                if tsap.len() > 2 && tsap.iter().all(|b| b.is_ascii_graphic() || *b == b' ') {
                    w.bytes_as_string(text_key, tsap);
                }
            }
            // Classic S7 TSAP: connection type, then rack (3 bits) and slot (5 bits).
            if let [kind, rs] = c.called_tsap.as_slice() {
                w.uint("connection_type", u64::from(*kind));
                w.uint("rack", u64::from(rs >> 5));
                w.uint("slot", u64::from(rs & 0x1F));
            }
        }
        CotpInfo::Disconnect { request, reason } => {
            w.string("type", if *request { "DR" } else { "DC" });
            if *request {
                w.uint("reason", u64::from(*reason));
            }
        }
        CotpInfo::Error { cause } => {
            w.string("type", "ER");
            w.uint("cause", u64::from(*cause));
        }
    }
}

impl Transaction for S7Tx {
    fn event_type(&self) -> &'static str {
        "s7comm"
    }

    fn log_direction(&self) -> Direction {
        self.direction
    }

    fn write_eve(&self, w: &mut JsonWriter<'_>) {
        w.open_object_key("s7comm");
        match &self.body {
            S7Body::Classic { request, response } => {
                if let Some(p) = request.as_ref().or(response.as_ref()) {
                    w.uint("pdu_ref", u64::from(p.pdu_ref));
                }
                if let Some(f) = self.function() {
                    w.uint("function_code", u64::from(f));
                    if let Some(n) = classic::function_name(f) {
                        w.string("function", n);
                    }
                }
                if let Some((g, s)) = self.userdata() {
                    w.uint("function_group_code", u64::from(g));
                    if let Some(n) = classic::group_name(g) {
                        w.string("function_group", n);
                    }
                    w.uint("subfunction_code", u64::from(s));
                    if let Some(n) = classic::subfunction_name(g, s) {
                        w.string("subfunction", n);
                    }
                }
                let top = self.function();
                let ud = self.userdata();
                for (key, p) in [("request", request), ("response", response)] {
                    if let Some(p) = p {
                        w.open_object_key(key);
                        // A part whose own function differs from the
                        // transaction's says so.
                        if let Some(f) = p.function.filter(|f| Some(*f) != top) {
                            w.uint("function_code", u64::from(f));
                        }
                        if let Some(u) = p.userdata.filter(|u| Some((u.group, u.subfunction)) != ud)
                        {
                            w.uint("function_group_code", u64::from(u.group));
                            w.uint("subfunction_code", u64::from(u.subfunction));
                        }
                        p.write_json(w);
                        w.close_object();
                    }
                }
            }
            S7Body::Plus { request, response } => {
                w.boolean("plus", true);
                if let Some(p) = request.as_ref().or(response.as_ref()) {
                    w.uint("protocol_version", u64::from(p.pdu_type));
                    if let Some(n) = plus::pdu_type_name(p.pdu_type) {
                        w.string("pdu_type", n);
                    }
                    if let Some(s) = p.sequence {
                        w.uint("sequence", u64::from(s));
                    }
                }
                if let Some(f) = self.plus_function() {
                    w.uint("function_code", u64::from(f));
                    if let Some(n) = plus::function_name(f) {
                        w.string("function", n);
                    }
                }
                let notification = request
                    .as_ref()
                    .is_some_and(|p| p.opcode != Some(plus::OPCODE_REQUEST));
                let req_key = if notification {
                    "notification"
                } else {
                    "request"
                };
                for (key, p) in [(req_key, request), ("response", response)] {
                    if let Some(p) = p {
                        w.open_object_key(key);
                        p.write_json(w);
                        w.close_object();
                    }
                }
            }
            S7Body::Cotp { request, response } => {
                w.open_object_key("cotp");
                for (key, c) in [("request", request), ("response", response)] {
                    if let Some(c) = c {
                        w.open_object_key(key);
                        write_cotp(w, c);
                        w.close_object();
                    }
                }
                w.close_object();
            }
        }
        w.close_object();
    }

    fn buffer(&self, name: &str) -> Option<&[u8]> {
        match name {
            "s7comm.function" => self
                .function()
                .and_then(classic::function_name)
                .or_else(|| self.plus_function().and_then(plus::function_name))
                .map(str::as_bytes),
            "s7comm.subfunction" => self
                .userdata()
                .and_then(|(g, s)| classic::subfunction_name(g, s))
                .map(str::as_bytes),
            "s7comm.pi_service" => self.all_classic().find_map(|p| match &p.detail {
                classic::Detail::PiService { service, .. }
                | classic::Detail::PlcStop { service } => Some(service.as_bytes()),
                _ => None,
            }),
            _ => None,
        }
    }

    fn buffers(&self, name: &str, f: &mut dyn FnMut(&[u8])) {
        match name {
            "s7comm.block" => {
                for p in self.all_classic() {
                    match &p.detail {
                        classic::Detail::Block { file: Some(b), .. } => f(b.raw.as_bytes()),
                        classic::Detail::PiService { blocks, .. } => {
                            blocks.iter().for_each(|b| f(b.raw.as_bytes()))
                        }
                        classic::Detail::Userdata(classic::UserdataDetail {
                            block: Some(b),
                            ..
                        }) => f(b.raw.as_bytes()),
                        _ => {}
                    }
                }
            }
            _ => {
                if let Some(b) = self.buffer(name) {
                    f(b);
                }
            }
        }
    }

    fn uints(&self, name: &str, f: &mut dyn FnMut(u64)) {
        match name {
            "s7comm.plus" => f(u64::from(self.is_plus())),
            "s7comm.rosctr" => self.all_classic().for_each(|p| f(u64::from(p.rosctr))),
            "s7comm.pdu_ref" => {
                if let Some(p) = self.all_classic().next() {
                    f(u64::from(p.pdu_ref));
                }
            }
            "s7comm.function" => {
                if let Some(x) = self.function() {
                    f(u64::from(x));
                }
            }
            "s7comm.function_group" => {
                if let Some((g, _)) = self.userdata() {
                    f(u64::from(g));
                }
            }
            "s7comm.subfunction" => {
                if let Some((_, s)) = self.userdata() {
                    f(u64::from(s));
                }
            }
            "s7comm.error_class" => self
                .all_classic()
                .filter_map(|p| p.error_class)
                .for_each(|e| f(u64::from(e))),
            "s7comm.error_code" => self
                .all_classic()
                .filter_map(|p| p.error_code)
                .for_each(|e| f(u64::from(e))),
            "s7comm.item.area" => self.var_items().for_each(|a| f(u64::from(a.area))),
            "s7comm.item.db" => self.var_items().for_each(|a| f(u64::from(a.db))),
            "s7comm.item.address" => self.var_items().for_each(|a| f(u64::from(a.address >> 3))),
            "s7comm.szl_id" => self.szl().take(1).for_each(|s| f(u64::from(s.id))),
            "s7comm.szl_index" => self.szl().take(1).for_each(|s| f(u64::from(s.index))),
            "s7comm.plus.version" => {
                if let Some(p) = self.all_plus().next() {
                    f(u64::from(p.pdu_type));
                }
            }
            "s7comm.plus.opcode" => self
                .all_plus()
                .filter_map(|p| p.opcode)
                .for_each(|o| f(u64::from(o))),
            "s7comm.plus.function" => {
                if let Some(x) = self.plus_function() {
                    f(u64::from(x));
                }
            }
            "s7comm.plus.sequence" => {
                if let Some(s) = self.all_plus().find_map(|p| p.sequence) {
                    f(u64::from(s));
                }
            }
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests;
