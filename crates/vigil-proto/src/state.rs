//! Per-flow application state: protocol detection, then parsing.

use crate::registry::{PROTOCOLS, info};
use vigil_eve::JsonWriter;

use crate::{
    AppParser, AppProto, Direction, ParseOutput, Probe, ProtoInfo, Transaction, Transport,
};

/// Detection limits.
#[derive(Clone, Copy, Debug)]
pub struct DetectionConfig {
    /// Bytes buffered per direction while the protocol is unknown; past it
    /// detection gives up for that direction.
    pub max_probe_bytes: usize,
    /// Datagrams per flow tried before a UDP flow is declared unknown.
    pub max_probe_datagrams: u32,
    /// `stream.midstream`: flows may have been picked up without their
    /// start, so when nothing matches on the responder's port, detection
    /// retries with the initiator's (Suricata's midstream retry). On a flow
    /// picked up midstream (see [`AppState::set_midstream_pickup`]) a
    /// protocol found that way reverses the flow's directions for the
    /// application layer: the first sender seen was the server.
    pub midstream: bool,
}

impl Default for DetectionConfig {
    fn default() -> Self {
        DetectionConfig {
            max_probe_bytes: 4096,
            max_probe_datagrams: 8,
            midstream: false,
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum DirProbe {
    Pending,
    NoMatch,
}

/// Application state of one flow.
pub struct AppState {
    transport: Transport,
    /// The responder's port: the one detection by port looks at.
    dst_port: u16,
    /// The initiator's port (midstream retry only).
    src_port: u16,
    /// The session was picked up midstream from a packet that was not a
    /// SYN or SYN/ACK: its first sender may well be the server.
    pickup: bool,
    /// The protocol was found on the initiator's port in midstream mode:
    /// the parser sees the flow's directions reversed and its records are
    /// oriented accordingly.
    reversed: bool,
    proto: Option<AppProto>,
    failed: bool,
    parser: Option<Box<dyn AppParser>>,
    /// Stream bytes seen while detecting, in arrival order (TCP).
    pending: Vec<(Direction, Vec<u8>)>,
    pending_bytes: [usize; 2],
    probe_state: [DirProbe; 2],
    datagrams_probed: u32,
    next_tx_id: u64,
    config: DetectionConfig,
}

impl AppState {
    /// State for a flow whose initiator uses `src_port` towards `dst_port`
    /// (only the responder's port takes part in detection, as in Suricata).
    pub fn new(
        transport: Transport,
        src_port: u16,
        dst_port: u16,
        config: DetectionConfig,
    ) -> AppState {
        AppState {
            transport,
            dst_port,
            src_port,
            // A UDP flow has no handshake: its first sender may be the server.
            pickup: transport == Transport::Udp,
            reversed: false,
            proto: None,
            failed: false,
            parser: None,
            pending: Vec::new(),
            pending_bytes: [0; 2],
            probe_state: [DirProbe::Pending; 2],
            datagrams_probed: 0,
            next_tx_id: 0,
            config,
        }
    }

    /// The detected protocol.
    pub fn proto(&self) -> Option<AppProto> {
        self.proto
    }

    /// `app_proto` as EVE prints it: the protocol, `failed` when detection
    /// gave up, `None` while undecided (and for flows without payload).
    pub fn app_proto_name(&self) -> Option<&'static str> {
        let gave_up = self.failed || self.probe_state.contains(&DirProbe::NoMatch);
        match (self.proto, gave_up) {
            (Some(p), _) => Some(p.name()),
            (None, true) => Some("failed"),
            (None, false) => None,
        }
    }

    /// Forces the protocol (e.g. an FTP data channel announced by PASV).
    pub fn set_proto(&mut self, proto: AppProto) {
        if let Some(info) = info(proto) {
            self.proto = Some(proto);
            self.parser = Some((info.new_parser)(self.transport));
        }
    }

    /// Hands out the next transaction id of this flow.
    pub fn next_tx_id(&mut self) -> u64 {
        let id = self.next_tx_id;
        self.next_tx_id += 1;
        id
    }

    /// Tells whether the TCP session was picked up midstream from a packet
    /// other than a SYN or SYN/ACK. Only such a flow is reversed when its
    /// protocol is found on the initiator's port (as Suricata reverses a
    /// midstream flow when the prober says the data goes the other way);
    /// a flow whose handshake was seen keeps its directions.
    pub fn set_midstream_pickup(&mut self, pickup: bool) {
        self.pickup = pickup;
    }

    /// Whether the application layer sees the flow's directions reversed
    /// (a midstream flow whose protocol was found on the initiator's port).
    pub fn reversed(&self) -> bool {
        self.reversed
    }

    /// Runs `f` on the parser with `dir` as the application layer sees it;
    /// on a reversed flow the transactions it produces are re-oriented.
    fn feed(
        &mut self,
        dir: Direction,
        out: &mut ParseOutput,
        f: impl FnOnce(&mut dyn AppParser, Direction, &mut ParseOutput),
    ) {
        let Some(parser) = self.parser.as_mut() else {
            return;
        };
        if !self.reversed {
            f(parser.as_mut(), dir, out);
            return;
        }
        let first = out.txs.len();
        f(parser.as_mut(), dir.reverse(), out);
        reorient(out, first);
    }

    /// In-order TCP stream data.
    pub fn on_stream(&mut self, dir: Direction, data: &[u8], out: &mut ParseOutput) {
        if data.is_empty() {
            return;
        }
        if self.parser.is_some() {
            self.feed(dir, out, |p, d, out| p.parse(d, data, out));
            return;
        }
        if self.failed {
            return;
        }
        let d = dir.index();
        if self.probe_state[d] == DirProbe::NoMatch {
            return;
        }
        // Buffer (bounded) and probe the direction's bytes so far.
        let room = self
            .config
            .max_probe_bytes
            .saturating_sub(self.pending_bytes[d]);
        let take = data.get(..room.min(data.len())).unwrap_or(&[]);
        self.pending.push((dir, take.to_vec()));
        self.pending_bytes[d] += take.len();
        let mut seen = Vec::with_capacity(self.pending_bytes[d]);
        for (pd, chunk) in &self.pending {
            if *pd == dir {
                seen.extend_from_slice(chunk);
            }
        }
        match self.detect(dir, &seen, Transport::Tcp) {
            Some(proto) => {
                self.set_proto(proto);
                let pending = std::mem::take(&mut self.pending);
                for (pd, chunk) in &pending {
                    self.feed(*pd, out, |p, d, out| p.parse(d, chunk, out));
                }
                // The part of this chunk past the probe limit was not
                // buffered: it follows the buffered bytes.
                let rest = data.get(take.len()..).unwrap_or(&[]);
                if !rest.is_empty() {
                    self.feed(dir, out, |p, d, out| p.parse(d, rest, out));
                }
                self.pending_bytes = [0; 2];
            }
            None => {
                if self.probe_state[d] == DirProbe::Pending
                    && self.pending_bytes[d] >= self.config.max_probe_bytes
                {
                    self.probe_state[d] = DirProbe::NoMatch;
                }
                if self.probe_state.iter().all(|s| *s == DirProbe::NoMatch) {
                    self.fail();
                }
            }
        }
    }

    /// A gap in the TCP stream.
    pub fn on_gap(&mut self, dir: Direction, len: u64, out: &mut ParseOutput) {
        if self.parser.is_some() {
            self.feed(dir, out, |p, d, out| p.gap(d, len, out));
            return;
        }
        // Detection cannot continue across missing bytes.
        self.probe_state[dir.index()] = DirProbe::NoMatch;
        if self.probe_state.iter().all(|s| *s == DirProbe::NoMatch) {
            self.fail();
        }
    }

    /// One UDP datagram's payload. As Suricata, each direction's first
    /// datagram is probed once: a direction whose first datagram matches
    /// nothing is done, and the flow fails when both are.
    pub fn on_datagram(&mut self, dir: Direction, data: &[u8], out: &mut ParseOutput) {
        let d = dir.index();
        if self.parser.is_none()
            && !self.failed
            && !data.is_empty()
            && self.probe_state[d] == DirProbe::Pending
        {
            self.datagrams_probed += 1;
            match self.detect(dir, data, Transport::Udp) {
                Some(proto) => self.set_proto(proto),
                None => {
                    self.probe_state[d] = DirProbe::NoMatch;
                    if self.probe_state.iter().all(|s| *s == DirProbe::NoMatch)
                        || self.datagrams_probed >= self.config.max_probe_datagrams
                    {
                        self.fail();
                    }
                }
            }
        }
        self.feed(dir, out, |p, d, out| p.parse(d, data, out));
    }

    /// No more stream data in `dir`.
    pub fn on_close(&mut self, dir: Direction, out: &mut ParseOutput) {
        self.feed(dir, out, |p, d, out| p.close(d, out));
    }

    /// Flow end: flushes the parser.
    pub fn finish(&mut self, out: &mut ParseOutput) {
        self.feed(Direction::ToServer, out, |p, _, out| p.finish(out));
    }

    fn fail(&mut self) {
        self.failed = true;
        self.pending = Vec::new();
        self.pending_bytes = [0; 2];
    }

    /// Probes protocols whose ports match first, then the content-only
    /// ones; in midstream mode, then the protocols of the initiator's port
    /// (a match there reverses the flow for the application layer).
    /// Returns the protocol on a match; marks the direction NoMatch when
    /// every prober said no.
    fn detect(&mut self, dir: Direction, data: &[u8], transport: Transport) -> Option<AppProto> {
        // Only the responder's port counts, in both directions, as in
        // Suricata: a reply sent from port 53 to a client that initiated
        // nothing is not DNS by port.
        let on_port = |info: &ProtoInfo, port: u16| {
            let list = match transport {
                Transport::Tcp => info.tcp_ports,
                Transport::Udp => info.udp_ports,
            };
            list.contains(&port)
        };
        let mut need_more = false;
        let passes = if self.config.midstream { 3 } else { 2 };
        for pass in 0..passes {
            for info in PROTOCOLS {
                // Pass 0: protocols on the responder's port. Pass 1:
                // content-only detection for the others. Pass 2: protocols
                // on the initiator's port, the data's direction reversed.
                let wanted = match pass {
                    0 => on_port(info, self.dst_port),
                    1 => !on_port(info, self.dst_port) && !info.port_only,
                    _ => on_port(info, self.src_port) && !on_port(info, self.dst_port),
                };
                if !wanted {
                    continue;
                }
                let probe = match transport {
                    Transport::Tcp => info.probe_tcp,
                    Transport::Udp => info.probe_udp,
                };
                let Some(probe) = probe else { continue };
                let probe_dir = if pass == 2 && self.pickup {
                    dir.reverse()
                } else {
                    dir
                };
                match probe(probe_dir, data) {
                    Probe::Match => {
                        self.reversed = pass == 2 && self.pickup;
                        return Some(info.proto);
                    }
                    Probe::NeedMore => need_more = true,
                    Probe::NoMatch => {}
                }
            }
        }
        if !need_more && transport == Transport::Tcp {
            self.probe_state[dir.index()] = DirProbe::NoMatch;
        }
        None
    }
}

/// Re-orients the transactions a parser added to `out` from index `first`
/// on: they were produced with the flow's directions reversed.
fn reorient(out: &mut ParseOutput, first: usize) {
    let added: Vec<Box<dyn Transaction>> = out.txs.drain(first.min(out.txs.len())..).collect();
    for tx in added {
        out.txs.push(Box::new(Reoriented(tx)));
    }
}

/// A transaction of a reversed flow: its record and its direction-dependent
/// buffers are oriented by the flow as the application layer sees it.
struct Reoriented(Box<dyn Transaction>);

impl Transaction for Reoriented {
    fn event_type(&self) -> &'static str {
        self.0.event_type()
    }
    fn log_direction(&self) -> Direction {
        self.0.log_direction().reverse()
    }
    fn logs_tx_id(&self) -> bool {
        self.0.logs_tx_id()
    }
    fn tx_id(&self) -> Option<u64> {
        self.0.tx_id()
    }
    fn write_eve(&self, w: &mut JsonWriter<'_>) {
        self.0.write_eve(w);
    }
    fn buffer(&self, name: &str) -> Option<&[u8]> {
        self.0.buffer(name)
    }
    fn buffers(&self, name: &str, f: &mut dyn FnMut(&[u8])) {
        self.0.buffers(name, f);
    }
    fn buffer_dir(&self, name: &str, dir: Direction) -> Option<&[u8]> {
        self.0.buffer_dir(name, dir.reverse())
    }
    fn uints(&self, name: &str, f: &mut dyn FnMut(u64)) {
        self.0.uints(name, f);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Modbus read coils request (transaction 1, unit 10, address 120,
    /// quantity 2) and its response.
    const READ_REQ: &[u8] = &[0, 1, 0, 0, 0, 6, 10, 1, 0, 0x78, 0, 2];
    const READ_RESP: &[u8] = &[0, 1, 0, 0, 0, 4, 10, 1, 1, 3];

    fn eve(tx: &dyn Transaction) -> String {
        let mut buf = Vec::new();
        let mut w = JsonWriter::new(&mut buf);
        w.open_object();
        tx.write_eve(&mut w);
        w.close_object();
        String::from_utf8(buf).unwrap()
    }

    fn midstream() -> DetectionConfig {
        DetectionConfig {
            midstream: true,
            ..DetectionConfig::default()
        }
    }

    #[test]
    fn midstream_flow_first_seen_from_the_server_is_reversed() {
        // Picked up from the server's packet: the flow's initiator is port
        // 502, its "to server" data are the responses.
        let mut app = AppState::new(Transport::Tcp, 502, 49226, midstream());
        app.set_midstream_pickup(true);
        let mut out = ParseOutput::default();
        app.on_stream(Direction::ToClient, READ_REQ, &mut out);
        app.on_stream(Direction::ToServer, READ_RESP, &mut out);
        assert_eq!(app.proto(), Some(AppProto::Modbus));
        assert!(app.reversed());
        assert_eq!(out.txs.len(), 1);
        let tx = &out.txs[0];
        // The record is written from the real client (the flow's responder).
        assert_eq!(tx.log_direction(), Direction::ToClient);
        let json = eve(tx.as_ref());
        assert!(
            json.contains(
                r#""request":{"transaction_id":1,"protocol_id":0,"unit_id":10,"function_raw":1"#
            ),
            "{json}"
        );
        assert!(
            json.contains(r#""read":{"address":120,"quantity":2}"#),
            "{json}"
        );
        assert!(json.contains(r#""response":{"#), "{json}");
        assert!(!json.contains("DATA_VALUE"), "{json}");
    }

    #[test]
    fn initiator_port_is_ignored_without_midstream() {
        let mut app = AppState::new(Transport::Tcp, 502, 49226, DetectionConfig::default());
        app.set_midstream_pickup(true);
        let mut out = ParseOutput::default();
        app.on_stream(Direction::ToServer, READ_RESP, &mut out);
        app.on_stream(Direction::ToClient, READ_REQ, &mut out);
        assert_eq!(app.proto(), None);
        assert!(out.txs.is_empty());
    }

    #[test]
    fn handshake_flow_from_port_502_keeps_its_directions() {
        // The SYN came from port 502: with midstream on, Modbus is found
        // on the initiator's port but the flow is not reversed.
        let mut app = AppState::new(Transport::Tcp, 502, 4446, midstream());
        app.set_midstream_pickup(false);
        let mut out = ParseOutput::default();
        app.on_stream(Direction::ToServer, READ_REQ, &mut out);
        app.on_stream(Direction::ToClient, READ_RESP, &mut out);
        assert_eq!(app.proto(), Some(AppProto::Modbus));
        assert!(!app.reversed());
        assert_eq!(out.txs.len(), 1);
        assert_eq!(out.txs[0].log_direction(), Direction::ToServer);
        assert!(eve(out.txs[0].as_ref()).contains(r#""read":{"address":120,"quantity":2}"#));
    }

    #[test]
    fn udp_flow_first_seen_from_the_server_is_reversed_in_midstream_mode() {
        // DNP3 over UDP: the outstation (port 20000) speaks first.
        let frame = crate::ot::dnp3::tests::frame(
            0x44,
            1,
            10,
            &[0xc0, 0xc0, 0x81, 0x00, 0x00, 60, 1, 0x06],
        );
        let mut app = AppState::new(Transport::Udp, 20000, 1128, midstream());
        let mut out = ParseOutput::default();
        app.on_datagram(Direction::ToServer, &frame, &mut out);
        assert!(app.reversed());
        assert_eq!(out.txs.len(), 1);
        assert!(eve(out.txs[0].as_ref()).contains(r#""type":"response""#));
        assert_eq!(out.txs[0].log_direction(), Direction::ToClient);
    }

    #[test]
    fn bytes_past_the_probe_limit_reach_the_parser() {
        // One delivery larger than max_probe_bytes (as when a whole
        // reassembled stream is handed over on one ACK): 400 Modbus
        // requests of 12 bytes; all become transactions.
        let mut data = Vec::new();
        for i in 0..400u16 {
            let mut req = READ_REQ.to_vec();
            req[..2].copy_from_slice(&i.to_be_bytes());
            data.extend(req);
        }
        assert!(data.len() > DetectionConfig::default().max_probe_bytes);
        let mut app = AppState::new(Transport::Tcp, 49226, 502, DetectionConfig::default());
        let mut out = ParseOutput::default();
        app.on_stream(Direction::ToServer, &data, &mut out);
        app.finish(&mut out);
        assert_eq!(out.txs.len(), 400);
        assert!(eve(out.txs[399].as_ref()).contains(r#""transaction_id":399"#));
    }
}
