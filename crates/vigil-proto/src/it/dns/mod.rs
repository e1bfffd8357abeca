//! DNS over UDP and TCP, logged as Suricata 7 logs it (EVE `dns` version 2,
//! detailed and grouped answers).
//!
//! Every message Suricata reads becomes one of its transactions; a request
//! is logged as one `"type":"query"` record per question, a response as one
//! `"type":"answer"` record (when it has a question). Requests and responses
//! are not paired: Suricata 7 does not pair them either.
//!
//! Behaviours kept from Suricata 7.0.10 because they decide what is logged:
//! - to the server only requests are read (a response there is
//!   `not_request`); to the client everything is read as a response (a
//!   request there is logged as an answer, `not_response`);
//! - over UDP, when the first datagram from one side plays the other role
//!   (a response from the client's side, a request from the server's),
//!   Suricata turns the flow around; records are then oriented the other
//!   way and roles follow the new orientation;
//! - over TCP a message that cannot be read stops the flow's parsing, in
//!   both directions; over UDP only that datagram is lost;
//! - an anomaly belongs to the newest transaction: raised while no new
//!   transaction was created in the same input, it is never logged.

mod eve;
#[cfg(test)]
mod tests;
mod wire;

pub(crate) use eve::{append_addr, write_addr, write_bytes, write_hex_colon};

use vigil_eve::JsonWriter;

use crate::{
    AppParser, AppProto, Direction, ParseOutput, Probe, ProtoInfo, Transaction, Transport,
};
use wire::{Header, Message, Name, RData, Record};

/// Registration of DNS: UDP and TCP port 53 (the only port Suricata's
/// default configuration probes; the header is too weak a signature for
/// other ports).
pub static INFO: ProtoInfo = ProtoInfo {
    proto: AppProto::Dns,
    tcp_ports: &[53],
    udp_ports: &[53],
    probe_tcp: Some(probe_tcp),
    probe_udp: Some(probe_udp),
    port_only: true,
    new_parser,
};

/// Suricata's anomaly names (`app-layer-event:dns.<name>`).
mod event {
    pub const MALFORMED_DATA: &str = "malformed_data";
    pub const NOT_REQUEST: &str = "not_request";
    pub const NOT_RESPONSE: &str = "not_response";
    pub const Z_FLAG_SET: &str = "z_flag_set";
    pub const INVALID_OPCODE: &str = "invalid_opcode";
    pub const NAME_TOO_LONG: &str = "name_too_long";
    pub const INFINITE_LOOP: &str = "infinite_loop";
    pub const TOO_MANY_LABELS: &str = "too_many_labels";
    /// vigil's own: a message held more names and data than vigil keeps
    /// per transaction (1 MiB); the rest of its records are not logged.
    pub const MEMCAP: &str = "vigil_message_memcap";
}

/// Header length.
const HEADER_LEN: usize = 12;

/// What the `dns` EVE logger writes: Suricata's eve-log `dns` options.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DnsLogConfig {
    /// Query records (`requests:`).
    pub requests: bool,
    /// Answer records (`responses:`).
    pub responses: bool,
    /// The `answers` array (`formats: [detailed]`).
    pub detailed: bool,
    /// The `grouped` object (`formats: [grouped]`).
    pub grouped: bool,
    /// Question types whose records are written (`types:`); `None`: all.
    pub types: Option<Vec<u16>>,
}

impl Default for DnsLogConfig {
    /// Suricata's defaults: everything.
    fn default() -> Self {
        DnsLogConfig {
            requests: true,
            responses: true,
            detailed: true,
            grouped: true,
            types: None,
        }
    }
}

impl DnsLogConfig {
    fn type_enabled(&self, t: u16) -> bool {
        self.types.as_ref().is_none_or(|list| list.contains(&t))
    }

    /// The type a name of the `types:` list stands for (Suricata's names,
    /// any case); `None` for names Suricata ignores.
    pub fn type_from_name(name: &str) -> Option<u16> {
        let n = name.trim().to_ascii_lowercase();
        // Suricata's config names are its type names in lower case, with
        // the odd printed spellings corrected.
        match n.as_str() {
            "md" => Some(3),
            "nsapptr" => Some(23),
            "cdnskey" => Some(60),
            "nd" | "nsappt" | "cdsnkey" => None,
            _ => (0..=u16::MAX)
                .find(|&t| eve::rrtype_name(t).is_some_and(|s| s.eq_ignore_ascii_case(&n))),
        }
    }
}

/// The process-wide DNS log settings, set once from the configuration
/// before any flow is parsed.
static LOG_CONFIG: std::sync::RwLock<Option<DnsLogConfig>> = std::sync::RwLock::new(None);

/// Sets what new DNS parsers log (from the eve-log `dns` options).
pub fn set_log_config(config: DnsLogConfig) {
    if let Ok(mut c) = LOG_CONFIG.write() {
        *c = Some(config);
    }
}

fn log_config() -> DnsLogConfig {
    LOG_CONFIG
        .read()
        .ok()
        .and_then(|c| c.clone())
        .unwrap_or_default()
}

fn probe_udp(_dir: Direction, data: &[u8]) -> Probe {
    if data.len() < HEADER_LEN {
        return Probe::NoMatch;
    }
    match wire::probe(data) {
        Some(_) => Probe::Match,
        None => Probe::NoMatch,
    }
}

fn probe_tcp(_dir: Direction, data: &[u8]) -> Probe {
    // Suricata waits for the length prefix and a whole header.
    let (Some(&[hi, lo]), Some(rest)) = (data.get(..2), data.get(2..)) else {
        return Probe::NeedMore;
    };
    if rest.len() < HEADER_LEN {
        return Probe::NeedMore;
    }
    let dlen = usize::from(u16::from_be_bytes([hi, lo]));
    if dlen < HEADER_LEN {
        return Probe::NoMatch;
    }
    match rest.get(..dlen) {
        // The whole first message is here: the full probe.
        Some(msg) => match wire::probe(msg) {
            Some(_) => Probe::Match,
            None => Probe::NoMatch,
        },
        // Only its start: the header decides (Suricata's partial probe).
        None => match wire::parse_header(rest) {
            Ok(_) => Probe::Match,
            Err(_) => Probe::NoMatch,
        },
    }
}

fn new_parser(transport: Transport) -> Box<dyn AppParser> {
    Box::new(DnsParser::with_config(transport, log_config()))
}

/// The DNS state of one flow.
pub struct DnsParser {
    transport: Transport,
    /// Messages read so far: Suricata's transaction ids (0-based).
    tx_count: u64,
    /// The id of the newest transaction when it was created by the input
    /// being parsed now (not logged yet, so anomalies can still join it).
    open_tx: Option<u64>,
    /// UDP: the flow is turned around (see the module notes).
    reversed: bool,
    /// UDP: the first datagram from each side (by physical direction) has
    /// been seen.
    seen: [bool; 2],
    /// TCP: an unfinished message per direction (length prefix included),
    /// never more than one message: at most 65537 bytes.
    partial: [Vec<u8>; 2],
    /// TCP: a message could not be read; the flow is no longer parsed.
    failed: bool,
    config: std::sync::Arc<DnsLogConfig>,
}

impl DnsParser {
    /// A parser for one flow over `transport`, logging everything.
    pub fn new(transport: Transport) -> Self {
        Self::with_config(transport, DnsLogConfig::default())
    }

    /// A parser logging what `config` asks for.
    pub fn with_config(transport: Transport, config: DnsLogConfig) -> Self {
        DnsParser {
            config: std::sync::Arc::new(config),
            transport,
            tx_count: 0,
            open_tx: None,
            reversed: false,
            seen: [false; 2],
            partial: [Vec::new(), Vec::new()],
            failed: false,
        }
    }

    /// The role a message in physical direction `dir` plays.
    fn logical(&self, dir: Direction) -> Direction {
        if self.reversed { dir.reverse() } else { dir }
    }

    /// How records are oriented: by the (possibly reversed) flow.
    fn log_dir(&self) -> Direction {
        if self.reversed {
            Direction::ToClient
        } else {
            Direction::ToServer
        }
    }

    /// Raises `name` on the newest transaction, if it is still open.
    fn event_on_open_tx(&self, name: &'static str, out: &mut ParseOutput) {
        if let Some(id) = self.open_tx {
            out.tx_event(AppProto::Dns, name, id);
        }
    }

    fn new_tx(&mut self) -> u64 {
        let id = self.tx_count;
        self.tx_count += 1;
        self.open_tx = Some(id);
        id
    }

    /// Reads one whole message in role `role`. False when it could not be
    /// read (Suricata's parser error).
    fn message(&mut self, role: Direction, msg: &[u8], out: &mut ParseOutput) -> bool {
        match role {
            Direction::ToServer => match wire::parse_request(msg) {
                Ok(m) if m.header.is_response() => {
                    self.event_on_open_tx(event::NOT_REQUEST, out);
                    false
                }
                Ok(m) => {
                    let tx_id = self.new_tx();
                    self.log_request(tx_id, m, out);
                    true
                }
                Err(_) => {
                    self.event_on_open_tx(event::MALFORMED_DATA, out);
                    false
                }
            },
            Direction::ToClient => match wire::parse_response(msg) {
                Ok(m) => {
                    // Raised before the transaction exists, as Suricata does.
                    if !m.header.is_response() {
                        self.event_on_open_tx(event::NOT_RESPONSE, out);
                    }
                    let tx_id = self.new_tx();
                    self.log_response(tx_id, m, out);
                    true
                }
                Err(_) => {
                    self.event_on_open_tx(event::MALFORMED_DATA, out);
                    false
                }
            },
        }
    }

    /// Anomalies of a new transaction, in Suricata's order.
    fn tx_events(tx_id: u64, m: &Message, out: &mut ParseOutput) {
        let h = &m.header;
        let f = &m.name_flags;
        for (cond, name) in [
            (h.z(), event::Z_FLAG_SET),
            (h.opcode() >= 7, event::INVALID_OPCODE),
            (f.truncated, event::NAME_TOO_LONG),
            (f.infinite_loop, event::INFINITE_LOOP),
            (f.label_limit, event::TOO_MANY_LABELS),
            (m.memcap_reached, event::MEMCAP),
        ] {
            if cond {
                out.tx_event(AppProto::Dns, name, tx_id);
            }
        }
    }

    fn log_request(&mut self, tx_id: u64, m: Message, out: &mut ParseOutput) {
        Self::tx_events(tx_id, &m, out);
        if !self.config.requests {
            return;
        }
        let log_dir = self.log_dir();
        let header = m.header;
        for q in m.questions {
            if !self.config.type_enabled(q.rrtype) {
                continue;
            }
            out.tx(DnsQuery {
                tx_id,
                header,
                name: q.name,
                rrtype: q.rrtype,
                log_dir,
            });
        }
    }

    fn log_response(&mut self, tx_id: u64, m: Message, out: &mut ParseOutput) {
        Self::tx_events(tx_id, &m, out);
        // Suricata logs an answer only for a response naming a question.
        let Message {
            header,
            questions,
            answers,
            authorities,
            ..
        } = m;
        if !self.config.responses || !questions.iter().any(|q| self.config.type_enabled(q.rrtype)) {
            return;
        }
        let Some(question) = questions.into_iter().next() else {
            return;
        };
        out.tx(DnsAnswer {
            config: self.config.clone(),
            tx_id,
            header,
            qname: question.name,
            qtype: question.rrtype,
            answers,
            authorities,
            log_dir: self.log_dir(),
        });
    }

    fn parse_udp(&mut self, dir: Direction, data: &[u8], out: &mut ParseOutput) {
        if data.is_empty() {
            return;
        }
        // The first datagram from each side is what Suricata's protocol
        // detection looks at; when its role contradicts the flow's
        // orientation, Suricata turns the flow around.
        let side = dir.index();
        if let Some(seen) = self.seen.get_mut(side)
            && !*seen
        {
            *seen = true;
            if data.len() >= HEADER_LEN
                && let Some(is_request) = wire::probe(data)
            {
                let role = self.logical(dir);
                if is_request != (role == Direction::ToServer) {
                    self.reversed = !self.reversed;
                }
            }
        }
        let role = self.logical(dir);
        self.message(role, data, out);
    }

    fn parse_tcp(&mut self, dir: Direction, mut data: &[u8], out: &mut ParseOutput) {
        if self.failed {
            return;
        }
        let d = dir.index().min(1);
        // Finish a message left incomplete by earlier segments.
        loop {
            let partial = &mut self.partial[d];
            if partial.is_empty() {
                break;
            }
            let need = match partial.get(..2) {
                Some(&[hi, lo]) => 2 + usize::from(u16::from_be_bytes([hi, lo])),
                _ => 2,
            };
            if partial.len() >= need {
                let frame = std::mem::take(partial);
                if !self.frame(dir, &frame, out) {
                    return;
                }
                // Keep the allocation for the next partial message.
                let mut frame = frame;
                frame.clear();
                self.partial[d] = frame;
                continue;
            }
            if data.is_empty() {
                return;
            }
            let take = (need - partial.len()).min(data.len());
            let (head, rest) = data.split_at(take);
            partial.extend_from_slice(head);
            data = rest;
        }
        // Whole messages straight from the segment; the tail is kept.
        while !data.is_empty() {
            let Some(&[hi, lo]) = data.get(..2) else {
                self.partial[d].extend_from_slice(data);
                return;
            };
            let size = usize::from(u16::from_be_bytes([hi, lo]));
            let Some(frame) = data.get(..2 + size) else {
                self.partial[d].extend_from_slice(data);
                return;
            };
            if !self.frame(dir, frame, out) {
                return;
            }
            data = data.get(2 + size..).unwrap_or(&[]);
        }
    }

    /// One length-prefixed message (a zero length is skipped, as by
    /// Suricata). False when the flow's parsing stopped.
    fn frame(&mut self, dir: Direction, frame: &[u8], out: &mut ParseOutput) -> bool {
        let msg = frame.get(2..).unwrap_or(&[]);
        if msg.is_empty() {
            return true;
        }
        if self.message(dir, msg, out) {
            true
        } else {
            self.failed = true;
            self.partial = [Vec::new(), Vec::new()];
            false
        }
    }
}

impl AppParser for DnsParser {
    fn parse(&mut self, dir: Direction, data: &[u8], out: &mut ParseOutput) {
        // Transactions of earlier input have been logged by now.
        self.open_tx = None;
        match self.transport {
            Transport::Udp => self.parse_udp(dir, data, out),
            Transport::Tcp => self.parse_tcp(dir, data, out),
        }
    }

    fn gap(&mut self, dir: Direction, _len: u64, _out: &mut ParseOutput) {
        // The unfinished message is lost; Suricata reads on from the data
        // after the gap as if a message started there.
        if let Some(p) = self.partial.get_mut(dir.index()) {
            p.clear();
        }
    }
}

/// One question of a request: a `"type":"query"` record.
pub struct DnsQuery {
    tx_id: u64,
    header: Header,
    name: Name,
    rrtype: u16,
    log_dir: Direction,
}

impl Transaction for DnsQuery {
    fn event_type(&self) -> &'static str {
        "dns"
    }

    fn log_direction(&self) -> Direction {
        self.log_dir
    }

    fn logs_tx_id(&self) -> bool {
        false
    }

    fn tx_id(&self) -> Option<u64> {
        Some(self.tx_id)
    }

    fn write_eve(&self, w: &mut JsonWriter<'_>) {
        w.open_object_key("dns");
        w.uint("version", 2);
        w.string("type", "query");
        w.uint("id", u64::from(self.header.id));
        write_name(w, "rrname", "rrname_truncated", &self.name);
        eve::write_rrtype(w, "rrtype", self.rrtype);
        w.uint("tx_id", self.tx_id);
        if self.header.z() {
            w.boolean("z", true);
        }
        w.uint("opcode", u64::from(self.header.opcode()));
        w.close_object();
    }

    fn buffer(&self, name: &str) -> Option<&[u8]> {
        match name {
            "dns.query" | "dns.query.name" => Some(&self.name.value),
            _ => None,
        }
    }

    fn uints(&self, name: &str, f: &mut dyn FnMut(u64)) {
        match name {
            "dns.opcode" => f(u64::from(self.header.opcode())),
            "dns.rrtype" => f(u64::from(self.rrtype)),
            _ => {}
        }
    }
}

/// A response naming at least one question: a `"type":"answer"` record.
pub struct DnsAnswer {
    tx_id: u64,
    header: Header,
    /// The first question (the one Suricata names in the record).
    qname: Name,
    qtype: u16,
    answers: Vec<Record>,
    authorities: Vec<Record>,
    log_dir: Direction,
    config: std::sync::Arc<DnsLogConfig>,
}

impl Transaction for DnsAnswer {
    fn event_type(&self) -> &'static str {
        "dns"
    }

    fn log_direction(&self) -> Direction {
        self.log_dir
    }

    fn logs_tx_id(&self) -> bool {
        false
    }

    fn tx_id(&self) -> Option<u64> {
        Some(self.tx_id)
    }

    fn write_eve(&self, w: &mut JsonWriter<'_>) {
        let h = &self.header;
        w.open_object_key("dns");
        w.uint("version", 2);
        w.string("type", "answer");
        w.uint("id", u64::from(h.id));
        w.string("flags", &format!("{:x}", h.flags));
        for (bit, key) in [
            (0x8000, "qr"),
            (0x0400, "aa"),
            (0x0200, "tc"),
            (0x0100, "rd"),
            (0x0080, "ra"),
            (0x0040, "z"),
        ] {
            if h.flags & bit != 0 {
                w.boolean(key, true);
            }
        }
        w.uint("opcode", u64::from(h.opcode()));
        write_name(w, "rrname", "rrname_truncated", &self.qname);
        eve::write_rrtype(w, "rrtype", self.qtype);
        match eve::rcode_name(h.rcode()) {
            Some(n) => w.string("rcode", n),
            None => w.string("rcode", &h.rcode().to_string()),
        }
        if !self.answers.is_empty() {
            if self.config.detailed {
                w.open_array_key("answers");
                for r in &self.answers {
                    write_detail(w, r);
                }
                w.close_array();
            }
            if self.config.grouped {
                write_grouped(w, &self.answers);
            }
        }
        if !self.authorities.is_empty() {
            w.open_array_key("authorities");
            for r in &self.authorities {
                write_detail(w, r);
            }
            w.close_array();
        }
        w.close_object();
    }

    fn buffer(&self, name: &str) -> Option<&[u8]> {
        match name {
            "dns.query.name" => Some(&self.qname.value),
            "dns.answer.name" => self.answers.first().map(|r| r.name.value.as_slice()),
            _ => None,
        }
    }

    fn buffers(&self, name: &str, f: &mut dyn FnMut(&[u8])) {
        match name {
            "dns.answer.name" => {
                for r in &self.answers {
                    f(&r.name.value);
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
            "dns.opcode" => f(u64::from(self.header.opcode())),
            "dns.rcode" => f(u64::from(self.header.rcode())),
            "dns.rrtype" => f(u64::from(self.qtype)),
            _ => {}
        }
    }
}

/// Writes a name and, when it was cut, the `<key>_truncated` flag.
fn write_name(w: &mut JsonWriter<'_>, key: &str, flag: &str, n: &Name) {
    eve::write_bytes(w, key, &n.value);
    if n.truncated {
        w.boolean(flag, true);
    }
}

/// One element of `answers` / `authorities` per answer (per TXT string).
fn write_detail(w: &mut JsonWriter<'_>, r: &Record) {
    let head = |w: &mut JsonWriter<'_>| {
        w.open_object();
        write_name(w, "rrname", "rrname_truncated", &r.name);
        eve::write_rrtype(w, "rrtype", r.rrtype);
        w.uint("ttl", u64::from(r.ttl));
    };
    match &r.data {
        RData::Txt(strings) => {
            for s in strings {
                head(w);
                eve::write_bytes(w, "rdata", s);
                w.close_object();
            }
        }
        data => {
            head(w);
            match data {
                RData::Addr(a) => write_addr(w, "rdata", a),
                RData::Name(n) => write_name(w, "rdata", "rdata_truncated", n),
                RData::Null(b) => eve::write_bytes(w, "rdata", b),
                RData::Soa(s) => {
                    w.open_object_key("soa");
                    write_soa(w, s);
                    w.close_object();
                }
                RData::Sshfp(s) => {
                    w.open_object_key("sshfp");
                    write_sshfp(w, s);
                    w.close_object();
                }
                RData::Srv(s) => {
                    w.open_object_key("srv");
                    write_srv(w, s);
                    w.close_object();
                }
                RData::Txt(_) | RData::Other => {}
            }
            w.close_object();
        }
    }
}

fn write_soa(w: &mut JsonWriter<'_>, s: &wire::Soa) {
    write_name(w, "mname", "mname_truncated", &s.mname);
    write_name(w, "rname", "rname_truncated", &s.rname);
    w.uint("serial", u64::from(s.serial));
    w.uint("refresh", u64::from(s.refresh));
    w.uint("retry", u64::from(s.retry));
    w.uint("expire", u64::from(s.expire));
    w.uint("minimum", u64::from(s.minimum));
}

fn write_sshfp(w: &mut JsonWriter<'_>, s: &wire::Sshfp) {
    write_hex_colon(w, "fingerprint", &s.fingerprint);
    w.uint("algo", u64::from(s.algo));
    w.uint("type", u64::from(s.fp_type));
}

fn write_srv(w: &mut JsonWriter<'_>, s: &wire::Srv) {
    w.uint("priority", u64::from(s.priority));
    w.uint("weight", u64::from(s.weight));
    w.uint("port", u64::from(s.port));
    eve::write_bytes(w, "name", &s.target.value);
}

/// Whether a record appears in `grouped` (Suricata groups the types whose
/// data it decodes).
fn groupable(d: &RData) -> bool {
    !matches!(d, RData::Other)
}

/// `"grouped":{"A":[...],"CNAME":[...]}`, types in order of first
/// appearance (Suricata's order is its hash map's, i.e. arbitrary).
fn write_grouped(w: &mut JsonWriter<'_>, answers: &[Record]) {
    w.open_object_key("grouped");
    let mut done: Vec<u16> = Vec::new();
    for (i, first) in answers.iter().enumerate() {
        if !groupable(&first.data) || done.contains(&first.rrtype) {
            continue;
        }
        done.push(first.rrtype);
        w.open_array_key(&eve::rrtype_string(first.rrtype));
        for r in answers
            .get(i..)
            .unwrap_or(&[])
            .iter()
            .filter(|r| r.rrtype == first.rrtype)
        {
            match &r.data {
                RData::Addr(a) => append_addr(w, a),
                RData::Name(n) => eve::append_bytes(w, &n.value),
                RData::Txt(strings) => {
                    for s in strings {
                        eve::append_bytes(w, s);
                    }
                }
                RData::Null(b) => eve::append_bytes(w, b),
                RData::Soa(s) => {
                    w.open_object();
                    write_soa(w, s);
                    w.close_object();
                }
                RData::Sshfp(s) => {
                    w.open_object();
                    write_sshfp(w, s);
                    w.close_object();
                }
                RData::Srv(s) => {
                    w.open_object();
                    write_srv(w, s);
                    w.close_object();
                }
                RData::Other => {}
            }
        }
        w.close_array();
    }
    w.close_object();
}
