//! Per-flow application state: protocol detection, then parsing.

use crate::registry::{PROTOCOLS, info};
use crate::{AppParser, AppProto, Direction, ParseOutput, Probe, ProtoInfo, Transport};

/// Detection limits.
#[derive(Clone, Copy, Debug)]
pub struct DetectionConfig {
    /// Bytes buffered per direction while the protocol is unknown; past it
    /// detection gives up for that direction.
    pub max_probe_bytes: usize,
    /// Datagrams per flow tried before a UDP flow is declared unknown.
    pub max_probe_datagrams: u32,
}

impl Default for DetectionConfig {
    fn default() -> Self {
        DetectionConfig {
            max_probe_bytes: 4096,
            max_probe_datagrams: 8,
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
        _src_port: u16,
        dst_port: u16,
        config: DetectionConfig,
    ) -> AppState {
        AppState {
            transport,
            dst_port,
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

    /// In-order TCP stream data.
    pub fn on_stream(&mut self, dir: Direction, data: &[u8], out: &mut ParseOutput) {
        if data.is_empty() {
            return;
        }
        if let Some(parser) = self.parser.as_mut() {
            parser.parse(dir, data, out);
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
                if let Some(parser) = self.parser.as_mut() {
                    for (pd, chunk) in &pending {
                        parser.parse(*pd, chunk, out);
                    }
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
        match self.parser.as_mut() {
            Some(parser) => parser.gap(dir, len, out),
            // Detection cannot continue across missing bytes.
            None => {
                self.probe_state[dir.index()] = DirProbe::NoMatch;
                if self.probe_state.iter().all(|s| *s == DirProbe::NoMatch) {
                    self.fail();
                }
            }
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
        if let Some(parser) = self.parser.as_mut() {
            parser.parse(dir, data, out);
        }
    }

    /// No more stream data in `dir`.
    pub fn on_close(&mut self, dir: Direction, out: &mut ParseOutput) {
        if let Some(parser) = self.parser.as_mut() {
            parser.close(dir, out);
        }
    }

    /// Flow end: flushes the parser.
    pub fn finish(&mut self, out: &mut ParseOutput) {
        if let Some(parser) = self.parser.as_mut() {
            parser.finish(out);
        }
    }

    fn fail(&mut self) {
        self.failed = true;
        self.pending = Vec::new();
        self.pending_bytes = [0; 2];
    }

    /// Probes protocols whose ports match first, then the content-only
    /// ones. Returns the protocol on a match; marks the direction NoMatch
    /// when every prober said no.
    fn detect(&mut self, dir: Direction, data: &[u8], transport: Transport) -> Option<AppProto> {
        // Only the responder's port counts, in both directions, as in
        // Suricata: a reply sent from port 53 to a client that initiated
        // nothing is not DNS by port.
        let ports = [self.dst_port];
        let port_match = |info: &ProtoInfo| {
            let list = match transport {
                Transport::Tcp => info.tcp_ports,
                Transport::Udp => info.udp_ports,
            };
            ports.iter().any(|p| list.contains(p))
        };
        let mut need_more = false;
        for pass in 0..2 {
            for info in PROTOCOLS {
                let on_port = port_match(info);
                // Pass 0: protocols on their ports. Pass 1: content-only
                // detection for the others.
                if (pass == 0) != on_port || (pass == 1 && info.port_only) {
                    continue;
                }
                let probe = match transport {
                    Transport::Tcp => info.probe_tcp,
                    Transport::Udp => info.probe_udp,
                };
                let Some(probe) = probe else { continue };
                match probe(dir, data) {
                    Probe::Match => return Some(info.proto),
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
