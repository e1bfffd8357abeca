//! IEC 61850 / ISO 9506 MMS over TPKT/COTP (TCP 102), through the ISO
//! session, presentation and ACSE layers (or bare over COTP).
//!
//! Transactions pair a request with its answer from the other side:
//! confirmed request with the confirmed response or error of the same
//! invoke id; cancel request/response by invoke id; initiate request and
//! response (with the ACSE association request/response and session
//! connect/accept around them); conclude request/response; ACSE release
//! request/response. Unconfirmed PDUs (information reports), rejects and
//! aborts stand alone. The record's `src_ip` is the requester. At most 32
//! requests per side wait for an answer (then `TOO_MANY_PENDING_REQUESTS`
//! and the oldest is logged unanswered); open requests are logged at the
//! end of the flow. See `docs/events.md`, `mms`.
//!
//! Anomalies: `MALFORMED_PDU` (BER or layering broken), `UNKNOWN_PDU` (an
//! MMS PDU choice ISO 9506 does not define), `UNKNOWN_SERVICE` (a
//! confirmed service tag beyond the standard's), `TOO_MANY_PENDING_REQUESTS`,
//! plus the TPKT/COTP ones of `ot::cotp`.

pub mod ber;
pub mod osi;
pub mod pdu;

use crate::ot::cotp::{self, Carried, CotpEvent, CotpStream};
use crate::{
    AppParser, AppProto, Direction, ParseOutput, Probe, ProtoInfo, Transaction, Transport,
};
use osi::Acse;
use pdu::{MmsPdu, PduKind, Scope};
use vigil_eve::JsonWriter;

/// Registration of MMS.
pub static INFO: ProtoInfo = ProtoInfo {
    proto: AppProto::Mms,
    tcp_ports: &[102],
    udp_ports: &[],
    probe_tcp: Some(probe),
    probe_udp: None,
    port_only: false,
    new_parser,
};

const MAX_PENDING: usize = 32;
/// MMS PDUs decoded per TSDU.
const MAX_PDUS: usize = 8;

/// Content prober: TPKT/COTP whose first data is an ISO session SPDU (or a
/// bare MMS PDU). Agrees with the S7comm prober by construction.
pub fn probe(_dir: Direction, data: &[u8]) -> Probe {
    match cotp::classify(data) {
        Carried::NeedMore => Probe::NeedMore,
        Carried::Mms => Probe::Match,
        _ => Probe::NoMatch,
    }
}

/// (header length, content length) of a definite-length BER TLV.
pub fn ber_header(d: &[u8]) -> Option<(usize, usize)> {
    ber::header(d)
}

fn new_parser(_transport: Transport) -> Box<dyn AppParser> {
    Box::new(MmsParser::new())
}

/// One direction's contribution to a transaction: the session SPDU, the
/// ACSE APDU and the MMS PDU it carried (any may be absent).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct MmsPart {
    pub spdu: Option<u8>,
    pub acse: Option<Acse>,
    pub pdu: Option<MmsPdu>,
}

/// One MMS transaction.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MmsTx {
    /// The requester's side.
    pub direction: Direction,
    pub request: Option<MmsPart>,
    pub response: Option<MmsPart>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Key {
    Confirmed(u64),
    Cancel(u64),
    Initiate,
    Conclude,
    Release,
}

struct State {
    pending: [Vec<(Key, MmsPart)>; 2],
}

/// The per-flow MMS parser.
pub struct MmsParser {
    cotp: [CotpStream; 2],
    st: State,
}

impl MmsParser {
    /// A parser for one flow.
    pub fn new() -> MmsParser {
        MmsParser {
            cotp: [
                CotpStream::new(AppProto::Mms),
                CotpStream::new(AppProto::Mms),
            ],
            st: State {
                pending: [Vec::new(), Vec::new()],
            },
        }
    }
}

impl Default for MmsParser {
    fn default() -> Self {
        MmsParser::new()
    }
}

impl AppParser for MmsParser {
    fn parse(&mut self, dir: Direction, data: &[u8], out: &mut ParseOutput) {
        let Some(stream) = self.cotp.get_mut(dir.index()) else {
            return;
        };
        let st = &mut self.st;
        stream.feed(data, out, &mut |ev, out| {
            if let CotpEvent::Data(tsdu) = ev {
                st.on_tsdu(dir, tsdu, out);
            }
        });
    }

    fn gap(&mut self, dir: Direction, _len: u64, _out: &mut ParseOutput) {
        if let Some(s) = self.cotp.get_mut(dir.index()) {
            s.gap();
        }
    }

    fn finish(&mut self, out: &mut ParseOutput) {
        for d in [Direction::ToServer, Direction::ToClient] {
            let q = self
                .st
                .pending
                .get_mut(d.index())
                .map(std::mem::take)
                .unwrap_or_default();
            for (_, part) in q {
                out.tx(MmsTx {
                    direction: d,
                    request: Some(part),
                    response: None,
                });
            }
        }
    }
}

impl State {
    fn on_tsdu(&mut self, dir: Direction, tsdu: &[u8], out: &mut ParseOutput) {
        let stack = osi::decode(tsdu);
        if stack.malformed {
            out.event(AppProto::Mms, "MALFORMED_PDU");
        }
        let mut spdu = stack.spdu.filter(|&s| s != 0x01);
        let mut acse = stack.acse;
        if stack.mms.is_empty() {
            if spdu.is_some() || acse.is_some() {
                self.on_part(
                    dir,
                    MmsPart {
                        spdu,
                        acse,
                        pdu: None,
                    },
                    out,
                );
            }
            return;
        }
        for raw in stack.mms.into_iter().take(MAX_PDUS) {
            let pdu = match pdu::decode(raw) {
                Ok(p) => p,
                Err(pdu::PduError::Malformed) => {
                    out.event(AppProto::Mms, "MALFORMED_PDU");
                    continue;
                }
                Err(pdu::PduError::UnknownPdu) => {
                    out.event(AppProto::Mms, "UNKNOWN_PDU");
                    continue;
                }
            };
            if pdu.malformed {
                out.event(AppProto::Mms, "MALFORMED_PDU");
            } else if matches!(
                pdu.kind,
                PduKind::ConfirmedRequest | PduKind::ConfirmedResponse
            ) && pdu.service_name().is_none()
            {
                out.event(AppProto::Mms, "UNKNOWN_SERVICE");
            }
            // The session/ACSE context belongs to the first PDU.
            let part = MmsPart {
                spdu: spdu.take(),
                acse: acse.take(),
                pdu: Some(pdu),
            };
            self.on_part(dir, part, out);
        }
    }

    fn on_part(&mut self, dir: Direction, part: MmsPart, out: &mut ParseOutput) {
        let (key, response) = match (&part.pdu, &part.acse) {
            (Some(p), _) => match p.kind {
                PduKind::ConfirmedRequest => (p.invoke_id.map(Key::Confirmed), false),
                PduKind::ConfirmedResponse | PduKind::ConfirmedError => {
                    (p.invoke_id.map(Key::Confirmed), true)
                }
                PduKind::CancelRequest => (p.invoke_id.map(Key::Cancel), false),
                PduKind::CancelResponse | PduKind::CancelError => {
                    (p.invoke_id.map(Key::Cancel), true)
                }
                PduKind::InitiateRequest => (Some(Key::Initiate), false),
                PduKind::InitiateResponse | PduKind::InitiateError => (Some(Key::Initiate), true),
                PduKind::ConcludeRequest => (Some(Key::Conclude), false),
                PduKind::ConcludeResponse | PduKind::ConcludeError => (Some(Key::Conclude), true),
                PduKind::Unconfirmed | PduKind::Reject => (None, false),
            },
            (None, Some(a)) => match a.apdu {
                0 => (Some(Key::Initiate), false),
                1 => (Some(Key::Initiate), true),
                2 => (Some(Key::Release), false),
                3 => (Some(Key::Release), true),
                _ => (None, false),
            },
            (None, None) => match part.spdu {
                // Session connect/accept without user data.
                Some(0x0D) => (Some(Key::Initiate), false),
                Some(0x0E | 0x0C) => (Some(Key::Initiate), true),
                _ => (None, false),
            },
        };
        let Some(key) = key else {
            out.tx(MmsTx {
                direction: dir,
                request: Some(part),
                response: None,
            });
            return;
        };
        if response {
            let req = self.pending.get_mut(dir.reverse().index()).and_then(|q| {
                let i = q.iter().position(|(k, _)| *k == key)?;
                Some(q.remove(i).1)
            });
            out.tx(MmsTx {
                direction: dir.reverse(),
                request: req,
                response: Some(part),
            });
            return;
        }
        let Some(q) = self.pending.get_mut(dir.index()) else {
            return;
        };
        if let Some(i) = q.iter().position(|(k, _)| *k == key) {
            let (_, old) = q.remove(i);
            out.tx(MmsTx {
                direction: dir,
                request: Some(old),
                response: None,
            });
        }
        if q.len() >= MAX_PENDING {
            out.event(AppProto::Mms, "TOO_MANY_PENDING_REQUESTS");
            let (_, old) = q.remove(0);
            out.tx(MmsTx {
                direction: dir,
                request: Some(old),
                response: None,
            });
        }
        q.push((key, part));
    }
}

impl MmsTx {
    fn parts(&self) -> impl Iterator<Item = &MmsPart> {
        self.request.iter().chain(self.response.iter())
    }

    fn pdus(&self) -> impl Iterator<Item = &MmsPdu> {
        self.parts().filter_map(|p| p.pdu.as_ref())
    }

    /// The service name (`read`, `get_name_list`, `information_report`,
    /// `initiate`, `conclude`, `cancel`, `reject`, `release`, `abort`,
    /// `associate` for ACSE without MMS).
    pub fn service_name(&self) -> Option<&'static str> {
        if let Some(n) = self.pdus().find_map(MmsPdu::service_name) {
            return Some(n);
        }
        let acse = self.parts().find_map(|p| p.acse.as_ref());
        match acse.map(|a| a.apdu) {
            Some(0 | 1) => Some("initiate"),
            Some(2 | 3) => Some("release"),
            Some(_) => Some("abort"),
            None => match self.parts().find_map(|p| p.spdu) {
                Some(0x19..=0x1A) => Some("abort"),
                Some(0x0C..=0x0E) => Some("initiate"),
                Some(0x09..=0x0A) => Some("release"),
                _ => None,
            },
        }
    }

    /// Confirmed / unconfirmed service tag.
    pub fn service(&self) -> Option<u32> {
        self.pdus().find_map(|p| p.service)
    }

    /// Object names of request and response, in order.
    pub fn object_names(&self) -> impl Iterator<Item = &pdu::ObjectName> {
        self.pdus().flat_map(|p| p.object_names.iter())
    }
}

fn write_part(w: &mut JsonWriter<'_>, part: &MmsPart, top_service: Option<u32>) {
    if let Some(si) = part.spdu {
        w.string("session", osi::spdu_name(si).unwrap_or("other"));
    }
    if let Some(a) = &part.acse {
        w.open_object_key("acse");
        w.string("apdu", a.name());
        let strings = [
            ("application_context", &a.application_context),
            ("called_ap_title", &a.called_ap_title),
            ("calling_ap_title", &a.calling_ap_title),
            ("responding_ap_title", &a.responding_ap_title),
            ("mechanism", &a.mechanism),
        ];
        for (k, v) in strings {
            if let Some(v) = v {
                w.string(k, v);
            }
        }
        let ints = [
            ("called_ae_qualifier", a.called_ae_qualifier),
            ("calling_ae_qualifier", a.calling_ae_qualifier),
            ("responding_ae_qualifier", a.responding_ae_qualifier),
            ("result", a.result),
            ("diagnostic", a.diagnostic),
            ("reason", a.reason),
        ];
        for (k, v) in ints {
            if let Some(v) = v {
                w.int(k, v);
            }
        }
        if a.authenticated {
            w.boolean("authenticated", true);
        }
        w.close_object();
    }
    let Some(p) = &part.pdu else {
        return;
    };
    w.string("pdu", p.kind.name());
    // A response naming another service than its request says so.
    if let Some(s) = p.service.filter(|s| Some(*s) != top_service) {
        w.uint("service_code", u64::from(s));
    }
    if let Some(id) = p.invoke_id {
        w.uint("invoke_id", id);
    }
    if !p.object_names.is_empty() {
        w.open_array_key("object_names");
        for n in &p.object_names {
            w.open_object();
            w.string(
                "scope",
                match n.scope {
                    Scope::Vmd => "vmd",
                    Scope::Domain => "domain",
                    Scope::Aa => "aa",
                },
            );
            if let Some(d) = &n.domain {
                w.string("domain", d);
            }
            w.string("item", &n.item);
            w.close_object();
        }
        w.close_array();
    }
    if !p.identifiers.is_empty() {
        w.open_array_key("identifiers");
        for s in &p.identifiers {
            w.array_string(s);
        }
        w.close_array();
    }
    if !p.file_names.is_empty() {
        w.open_array_key("file_names");
        for s in &p.file_names {
            w.array_string(s);
        }
        w.close_array();
    }
    if let Some(c) = p.object_class {
        w.uint("object_class", c);
    }
    if let Some(m) = p.more_follows {
        w.boolean("more_follows", m);
    }
    if let Some(n) = p.data_count {
        w.uint("data_count", u64::from(n));
    }
    if let Some(n) = p.success_count {
        w.uint("success_count", u64::from(n));
    }
    if let Some(n) = p.failure_count {
        w.uint("failure_count", u64::from(n));
    }
    if let Some(e) = &p.error {
        w.open_object_key("error");
        w.uint("class_code", u64::from(e.class));
        if let Some(n) = pdu::error_class_name(e.class) {
            w.string("class", n);
        }
        if let Some(c) = e.code {
            w.int("code", c);
        }
        w.close_object();
    }
    if let Some((r, code)) = p.reject {
        w.uint("reject_type", u64::from(r));
        w.int("reject_code", code);
    }
    if let Some(i) = &p.initiate {
        w.open_object_key("initiate");
        let nums = [
            ("local_detail", i.local_detail),
            (
                "max_serv_outstanding_calling",
                i.max_serv_outstanding_calling,
            ),
            ("max_serv_outstanding_called", i.max_serv_outstanding_called),
            ("nesting_level", i.nesting_level),
            ("version", i.version),
        ];
        for (k, v) in nums {
            if let Some(v) = v {
                w.uint(k, v);
            }
        }
        for (k, v) in [
            ("parameter_cbb", &i.parameter_cbb),
            ("services_supported", &i.services_supported),
        ] {
            if let Some(v) = v {
                w.string_with(k, |o| {
                    for &b in v {
                        vigil_eve::format::push_hex_byte(o, b);
                    }
                });
            }
        }
        w.close_object();
    }
    if let Some(id) = &p.identity {
        w.open_object_key("identity");
        for (k, v) in [
            ("vendor", &id.vendor),
            ("model", &id.model),
            ("revision", &id.revision),
        ] {
            if let Some(v) = v {
                w.string(k, v);
            }
        }
        w.close_object();
    }
    if p.truncated {
        w.boolean("truncated", true);
    }
    if p.malformed {
        w.boolean("malformed", true);
    }
}

impl Transaction for MmsTx {
    fn event_type(&self) -> &'static str {
        "mms"
    }

    fn log_direction(&self) -> Direction {
        self.direction
    }

    fn message_dir(&self) -> Option<Direction> {
        Some(self.direction)
    }

    fn write_eve(&self, w: &mut JsonWriter<'_>) {
        w.open_object_key("mms");
        if let Some(n) = self.service_name() {
            w.string("service", n);
        }
        if let Some(s) = self.service() {
            w.uint("service_code", u64::from(s));
        }
        if let Some(id) = self.pdus().find_map(|p| p.invoke_id) {
            w.uint("invoke_id", id);
        }
        for (k, p) in [("request", &self.request), ("response", &self.response)] {
            if let Some(p) = p {
                w.open_object_key(k);
                write_part(w, p, self.service());
                w.close_object();
            }
        }
        w.close_object();
    }

    fn buffer(&self, name: &str) -> Option<&[u8]> {
        match name {
            "mms.service" => self.service_name().map(str::as_bytes),
            "mms.object_name" => self.object_names().next().map(|n| n.joined.as_bytes()),
            "mms.domain" => self
                .object_names()
                .find_map(|n| n.domain.as_deref())
                .map(str::as_bytes),
            "mms.identifier" => self
                .pdus()
                .find_map(|p| p.identifiers.first())
                .map(String::as_bytes),
            "mms.file_name" => self
                .pdus()
                .find_map(|p| p.file_names.first())
                .map(String::as_bytes),
            _ => None,
        }
    }

    fn buffers(&self, name: &str, f: &mut dyn FnMut(&[u8])) {
        match name {
            "mms.object_name" => self.object_names().for_each(|n| f(n.joined.as_bytes())),
            "mms.domain" => self
                .object_names()
                .filter_map(|n| n.domain.as_deref())
                .for_each(|d| f(d.as_bytes())),
            "mms.identifier" => self
                .pdus()
                .flat_map(|p| p.identifiers.iter())
                .for_each(|s| f(s.as_bytes())),
            "mms.file_name" => self
                .pdus()
                .flat_map(|p| p.file_names.iter())
                .for_each(|s| f(s.as_bytes())),
            _ => {
                if let Some(b) = self.buffer(name) {
                    f(b);
                }
            }
        }
    }

    fn uints(&self, name: &str, f: &mut dyn FnMut(u64)) {
        match name {
            "mms.service" => {
                if let Some(s) = self.service() {
                    f(u64::from(s));
                }
            }
            "mms.pdu_type" => self.pdus().for_each(|p| f(u64::from(p.kind.code()))),
            "mms.invoke_id" => {
                if let Some(id) = self.pdus().find_map(|p| p.invoke_id) {
                    f(id);
                }
            }
            "mms.error_class" => self
                .pdus()
                .filter_map(|p| p.error)
                .for_each(|e| f(u64::from(e.class))),
            "mms.object_class" => self.pdus().filter_map(|p| p.object_class).for_each(f),
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests;
