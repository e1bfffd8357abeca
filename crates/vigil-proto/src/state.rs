//! Per-flow application state: protocol detection, then parsing.
//!
//! TCP detection runs per direction, as Suricata's `TCPProtoDetect`: each
//! direction's first bytes are probed on their own. The first direction to
//! match sets the flow's protocol; the other direction is then probed too
//! and, if nothing recognises it, its data still goes to the parser and the
//! packet raises `APPLAYER_DETECT_PROTOCOL_ONLY_ONE_DIRECTION` (the flow
//! record then shows `app_proto_tc: failed` or `app_proto_ts: failed`).
//! Data of the direction seen first is parsed first.
//!
//! Expected flows (an FTP data connection, see [`crate::expect`]) are
//! claimed when no prober recognises a direction's first data.
//!
//! A parser may hand the flow to another protocol ([`ProtocolChange`]: SMTP
//! STARTTLS): the old parser's open transactions are flushed, and the
//! following data is detected anew. A match makes the new protocol the
//! flow's (`app_proto_orig` keeps the old one); a protocol other than the
//! expected one raises `APPLAYER_UNEXPECTED_PROTOCOL` (and
//! `APPLAYER_NO_TLS_AFTER_STARTTLS` when TLS was expected); no match within
//! [`PROTO_CHANGE_MAX_DEPTH`] bytes, or the end of the stream, fails the
//! flow's application layer with the same events.

use crate::expect::Claim;
use crate::it::tls::TlsParser;
use crate::registry::{PROTOCOLS, info};
use crate::{
    AppParser, AppProto, DetectEvent, Direction, Handover, ParseOutput, Probe, ProtoInfo,
    ProtocolChange, Transport,
};
use std::net::IpAddr;

/// Bytes of a direction detected after a protocol change before the change
/// is given up (Suricata's `FLOW_PROTO_CHANGE_MAX_DEPTH`).
pub const PROTO_CHANGE_MAX_DEPTH: usize = 4096;

/// Bytes a direction needs before Suricata's pattern matcher is done with
/// it (the deepest pattern of that direction: the HTTP/2 preface to the
/// server, 8-byte patterns such as `HTTP/1.1` and SMB's to the client):
/// until then, "no prober matches" is not conclusive.
pub const PM_MAX_DEPTH: [usize; 2] = [24, 8];

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

/// Detection result of one direction (Suricata's `alproto_ts`/`alproto_tc`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum DirProto {
    /// Still detecting.
    Unknown,
    /// Recognised as this protocol.
    Proto(AppProto),
    /// Nothing recognised it; its data goes to the flow's parser.
    Failed,
    /// Not detected (a gap, or the end of the stream came first); its data
    /// goes to the flow's parser.
    Skipped,
}

/// What probing one direction's bytes found.
enum Detection {
    Match(AppProto, Option<Claim>),
    NeedMore,
    NoMatch,
}

/// The application-protocol fields of a flow record beyond `app_proto`, as
/// Suricata writes them: each only when it differs from `app_proto`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct FlowProtos {
    /// `app_proto_ts`: what the to-server direction was detected as.
    pub ts: Option<&'static str>,
    /// `app_proto_tc`.
    pub tc: Option<&'static str>,
    /// `app_proto_orig`: the protocol before a protocol change.
    pub orig: Option<&'static str>,
    /// `app_proto_expected`: the protocol a change asked for.
    pub expected: Option<&'static str>,
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
    /// the parser sees the flow's directions reversed until the worker
    /// swaps the flow ([`AppState::take_swap_request`]).
    reversed: bool,
    /// A reversal waits for the worker to swap the flow.
    swap_requested: bool,
    /// The flow was swapped after its TCP session was set up: stream data
    /// arrives in the session's directions, the reverse of the flow's.
    flipped: bool,
    /// The flow's id and addresses (initiator, responder), for expected
    /// flows.
    flow_id: u64,
    endpoints: Option<(IpAddr, IpAddr)>,
    proto: Option<AppProto>,
    /// Detection gave up, or the application layer was disabled.
    failed: bool,
    parser: Option<Box<dyn AppParser>>,
    dir_proto: [DirProto; 2],
    /// Bytes seen per direction while it is being detected (TCP).
    pending: [Vec<u8>; 2],
    /// The direction whose data came first.
    first_dir: Option<Direction>,
    probe_state: [DirProbe; 2],
    datagrams_probed: u32,
    next_tx_id: u64,
    config: DetectionConfig,
    /// Protocol change: the protocol before it, the one asked for, and
    /// whether the new protocol is still being detected.
    orig: Option<AppProto>,
    expected: Option<AppProto>,
    changing: bool,
    /// What the old parser handed over with the change, for the new one.
    handover: Option<Handover>,
}

fn other(dir: Direction) -> Direction {
    dir.reverse()
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
            swap_requested: false,
            flipped: false,
            flow_id: 0,
            endpoints: None,
            proto: None,
            failed: false,
            parser: None,
            dir_proto: [DirProto::Unknown; 2],
            pending: [Vec::new(), Vec::new()],
            first_dir: None,
            probe_state: [DirProbe::Pending; 2],
            datagrams_probed: 0,
            next_tx_id: 0,
            config,
            orig: None,
            expected: None,
            changing: false,
            handover: None,
        }
    }

    /// Tells the state its flow's id and addresses (initiator first): they
    /// key the data connections it announces and the ones it may be.
    pub fn set_flow(&mut self, flow_id: u64, src: IpAddr, dst: IpAddr) {
        self.flow_id = flow_id;
        self.endpoints = Some((src, dst));
    }

    /// The detected protocol.
    pub fn proto(&self) -> Option<AppProto> {
        self.proto
    }

    /// `app_proto` as EVE prints it: the protocol, `failed` when detection
    /// gave up, `None` while undecided (and for flows without payload).
    pub fn app_proto_name(&self) -> Option<&'static str> {
        if self.failed {
            return Some("failed");
        }
        let gave_up = match self.transport {
            Transport::Udp => self.probe_state.contains(&DirProbe::NoMatch),
            Transport::Tcp => self.probe_state.iter().all(|s| *s == DirProbe::NoMatch),
        };
        match (self.proto, gave_up) {
            (Some(p), _) => Some(p.name()),
            (None, true) => Some("failed"),
            (None, false) => None,
        }
    }

    /// The flow record's `app_proto_ts`, `_tc`, `_orig` and `_expected`.
    pub fn flow_protos(&self) -> FlowProtos {
        let app = self.app_proto_name();
        let differs = |n: Option<&'static str>| n.filter(|n| Some(*n) != app);
        let dir_name = |p: DirProto| match p {
            DirProto::Proto(x) => Some(x.name()),
            DirProto::Failed => Some("failed"),
            DirProto::Unknown | DirProto::Skipped => None,
        };
        FlowProtos {
            ts: differs(dir_name(self.dir_proto[0])),
            tc: differs(dir_name(self.dir_proto[1])),
            orig: differs(self.orig.map(AppProto::name)),
            expected: differs(self.expected.map(AppProto::name)),
        }
    }

    /// The id of the flow that announced this one (FTP data), once its
    /// parser knows it.
    pub fn parent_flow_id(&self) -> Option<u64> {
        self.parser.as_ref().and_then(|p| p.parent_flow_id())
    }

    /// The parser's state as parsed so far, for the rule keywords inspected
    /// on every packet ([`AppParser::live_tx`]).
    pub fn live_tx(&mut self) -> Option<&dyn crate::Transaction> {
        self.parser.as_mut().and_then(|p| p.live_tx())
    }

    /// The current state of a transaction still being parsed
    /// ([`AppParser::tx_state`]).
    pub fn tx_state(&self, tx_id: u64) -> Option<Box<dyn crate::Transaction>> {
        self.parser.as_ref().and_then(|p| p.tx_state(tx_id))
    }

    /// An owned copy of the last [`AppState::live_tx`].
    pub fn live_tx_owned(&self) -> Option<Box<dyn crate::Transaction>> {
        self.parser.as_ref().and_then(|p| p.live_tx_owned())
    }

    /// Forces the protocol (both directions count as detected).
    pub fn set_proto(&mut self, proto: AppProto) {
        if let Some(info) = info(proto) {
            self.proto = Some(proto);
            self.dir_proto = [DirProto::Proto(proto); 2];
            self.parser = Some((info.new_parser)(self.transport));
        }
    }

    /// Tells whether the TCP session was picked up midstream from a packet
    /// other than a SYN or SYN/ACK. Only such a flow is reversed when its
    /// protocol is found on the initiator's port (as Suricata reverses a
    /// midstream flow when the prober says the data goes the other way);
    /// a flow whose handshake was seen keeps its directions.
    pub fn set_midstream_pickup(&mut self, pickup: bool) {
        self.pickup = pickup;
    }

    /// Whether the protocol was found with the flow's directions reversed
    /// (a midstream flow whose first sender was the server) and the flow
    /// is still to be swapped.
    pub fn reversed(&self) -> bool {
        self.reversed
    }

    /// Whether the flow must be swapped now (Suricata's `FlowSwap` on a
    /// reversed detection): its initiator becomes the responder. The
    /// transactions produced so far are already oriented the new way. The
    /// caller swaps the flow, then calls [`AppState::flow_swapped`].
    pub fn take_swap_request(&mut self) -> bool {
        std::mem::take(&mut self.swap_requested)
    }

    /// The flow was swapped: what this state keeps per flow direction
    /// follows. TCP stream data keeps arriving in the session's
    /// directions, now the reverse of the flow's.
    pub fn flow_swapped(&mut self) {
        self.reversed = false;
        std::mem::swap(&mut self.src_port, &mut self.dst_port);
        self.endpoints = self.endpoints.map(|(a, b)| (b, a));
        self.dir_proto.swap(0, 1);
        self.pending.swap(0, 1);
        self.probe_state.swap(0, 1);
        self.first_dir = self.first_dir.map(Direction::reverse);
        if self.transport == Transport::Tcp {
            self.flipped = !self.flipped;
        }
    }

    /// Whether protocol detection is over for the stream data the TCP
    /// session delivers in its direction `dir`: recognised, or nothing
    /// recognises it (even while the other direction is still undecided).
    pub fn stream_detection_done(&self, dir: Direction) -> bool {
        let d = self.stream_dir(dir).index();
        self.failed
            || self.probe_state.get(d) == Some(&DirProbe::NoMatch)
            || self
                .dir_proto
                .get(d)
                .is_some_and(|p| *p != DirProto::Unknown)
    }

    /// The flow direction of stream data given in the session's `dir`.
    fn stream_dir(&self, dir: Direction) -> Direction {
        if self.flipped { dir.reverse() } else { dir }
    }

    /// Runs `f` on the parser with `dir` as the application layer sees it
    /// (reversed on a flow that waits for its swap).
    fn run_parser(
        &mut self,
        dir: Direction,
        out: &mut ParseOutput,
        f: impl FnOnce(&mut dyn AppParser, Direction, &mut ParseOutput),
    ) {
        let reversed = self.reversed;
        let Some(parser) = self.parser.as_mut() else {
            return;
        };
        let dir = if reversed { dir.reverse() } else { dir };
        f(parser.as_mut(), dir, out);
    }

    /// Hands out the next transaction id of this flow.
    pub fn next_tx_id(&mut self) -> u64 {
        let id = self.next_tx_id;
        self.next_tx_id += 1;
        id
    }

    /// In-order TCP stream data.
    pub fn on_stream(&mut self, dir: Direction, data: &[u8], out: &mut ParseOutput) {
        let dir = self.stream_dir(dir);
        if data.is_empty() {
            return;
        }
        if self.changing {
            self.change_data(dir, data, out);
            return;
        }
        if self.failed {
            return;
        }
        if self.first_dir.is_none() {
            self.first_dir = Some(dir);
        }
        let d = dir.index();
        if self.parser.is_some() && self.dir_proto[d] != DirProto::Unknown {
            self.feed(dir, data, out);
            return;
        }
        // Detecting this direction: buffer (bounded) and probe all of it.
        let room = self
            .config
            .max_probe_bytes
            .saturating_sub(self.pending[d].len());
        let take = data.get(..room.min(data.len())).unwrap_or(&[]);
        self.pending[d].extend_from_slice(take);
        if self.probe_state[d] == DirProbe::NoMatch {
            // Nothing recognised it: its data waits for the other direction.
            return;
        }
        match self.probe_pending(dir, out) {
            Detection::Match(p, claim) => self.dir_detected(dir, p, claim, out),
            Detection::NoMatch if self.conclusive(dir) => self.dir_gave_up(dir, out),
            _ if self.pending[d].len() >= self.config.max_probe_bytes => self.dir_gave_up(dir, out),
            _ => {}
        }
        // The part of this chunk past the probe limit was not buffered: once
        // the direction is decided it follows the buffered bytes.
        let rest = data.get(take.len()..).unwrap_or(&[]);
        if !rest.is_empty()
            && self.parser.is_some()
            && self.dir_proto[d] != DirProto::Unknown
            && self.pending[d].is_empty()
        {
            self.feed(dir, rest, out);
        }
    }

    /// Whether "no prober matches" settles `dir` yet: not before Suricata's
    /// pattern matcher has seen [`PM_MAX_DEPTH`] bytes of it.
    fn conclusive(&self, dir: Direction) -> bool {
        let d = dir.index();
        self.pending[d].len() >= PM_MAX_DEPTH[d]
    }

    /// A gap in the TCP stream.
    pub fn on_gap(&mut self, dir: Direction, len: u64, out: &mut ParseOutput) {
        let dir = self.stream_dir(dir);
        if self.changing {
            // Suricata cannot detect across a gap while changing protocol:
            // the application layer is disabled.
            self.changing = false;
            self.failed = true;
            self.parser = None;
            return;
        }
        if self.failed {
            return;
        }
        let d = dir.index();
        if self.parser.is_some() {
            if self.dir_proto[d] == DirProto::Unknown {
                self.feed_pending(dir, out);
                self.dir_proto[d] = DirProto::Skipped;
            }
            self.run_parser(dir, out, |p, d, out| p.gap(d, len, out));
            self.after_parse(dir, &[], out);
            return;
        }
        // Detection cannot continue across missing bytes.
        self.probe_state[d] = DirProbe::NoMatch;
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
            match self.probe(dir, data, Transport::Udp, out) {
                Detection::Match(proto, _) => self.set_proto(proto),
                Detection::NeedMore | Detection::NoMatch => {
                    self.probe_state[d] = DirProbe::NoMatch;
                    if self.probe_state.iter().all(|s| *s == DirProbe::NoMatch)
                        || self.datagrams_probed >= self.config.max_probe_datagrams
                    {
                        self.fail();
                    }
                }
            }
        }
        if self.parser.is_some() {
            self.run_parser(dir, out, |p, d, out| p.parse(d, data, out));
            self.after_parse(dir, &[], out);
        }
    }

    /// No more stream data in `dir`.
    pub fn on_close(&mut self, dir: Direction, out: &mut ParseOutput) {
        let dir = self.stream_dir(dir);
        if self.changing {
            // End of stream during a protocol change: Suricata gives up.
            self.change_failed(out);
            return;
        }
        if self.parser.is_some() && self.dir_proto[dir.index()] == DirProto::Unknown {
            // Never recognised, never conclusively not: parse what came.
            self.feed_pending(dir, out);
            self.dir_proto[dir.index()] = DirProto::Skipped;
        }
        if self.parser.is_some() {
            self.run_parser(dir, out, |p, d, out| p.close(d, out));
            self.after_parse(dir, &[], out);
        }
    }

    /// Flow end: flushes the parser.
    pub fn finish(&mut self, out: &mut ParseOutput) {
        self.claim_without_data(Direction::ToServer, out);
        self.claim_without_data(Direction::ToClient, out);
        if self.changing {
            self.change_failed(out);
        }
        self.run_parser(Direction::ToServer, out, |p, _, out| p.finish(out));
        // Expectations and protocol changes asked for now have no future.
        out.announced.clear();
        out.change = None;
    }

    /// A TCP flow that ends without data still matches an expectation
    /// (Suricata detects at the end of each stream): it gets the expected
    /// protocol in both directions, then fails for lack of first data
    /// (`APPLAYER_WRONG_DIRECTION_FIRST_DATA`) - an FTP data connection
    /// opened for a transfer the server refused.
    fn claim_without_data(&mut self, dir: Direction, out: &mut ParseOutput) {
        if self.transport != Transport::Tcp
            || self.proto.is_some()
            || self.failed
            || self.first_dir.is_some()
        {
            return;
        }
        if let Some((a, b)) = self.endpoints
            && let Some(c) = out.expectations.claim_with(a, b, self.dst_port, dir, false)
        {
            self.dir_proto = [DirProto::Proto(c.proto); 2];
            self.detect_event(out, "APPLAYER_WRONG_DIRECTION_FIRST_DATA");
            self.failed = true;
        }
    }

    fn fail(&mut self) {
        self.failed = true;
        self.pending = [Vec::new(), Vec::new()];
    }

    fn detect_event(&self, out: &mut ParseOutput, name: &'static str) {
        out.detect_events.push(DetectEvent {
            proto: self.proto.filter(|_| !self.failed),
            name,
        });
    }

    /// Probes the bytes buffered for `dir`.
    fn probe_pending(&mut self, dir: Direction, out: &mut ParseOutput) -> Detection {
        let seen = std::mem::take(&mut self.pending[dir.index()]);
        let res = self.probe(dir, &seen, Transport::Tcp, out);
        self.pending[dir.index()] = seen;
        res
    }

    /// `dir` was recognised as `p` (by content, or by claiming an
    /// expectation).
    fn dir_detected(
        &mut self,
        dir: Direction,
        p: AppProto,
        claim: Option<Claim>,
        out: &mut ParseOutput,
    ) {
        let d = dir.index();
        self.dir_proto[d] = DirProto::Proto(p);
        match self.proto {
            None => {
                self.proto = Some(p);
                match claim {
                    Some(c) => {
                        // Suricata gives both directions the expected
                        // protocol.
                        self.parser = Some(c.parser);
                        let o = other(dir).index();
                        if self.dir_proto[o] == DirProto::Unknown {
                            self.dir_proto[o] = DirProto::Proto(p);
                        }
                    }
                    None => self.parser = info(p).map(|i| (i.new_parser)(self.transport)),
                }
                // The direction whose data came first is parsed first.
                let other_first = self.first_dir == Some(other(dir));
                if other_first {
                    self.settle(other(dir), out);
                }
                self.feed_pending(dir, out);
                if !other_first {
                    self.settle(other(dir), out);
                }
            }
            Some(cur) => {
                if p != cur {
                    self.detect_event(out, "APPLAYER_MISMATCH_PROTOCOL_BOTH_DIRECTIONS");
                }
                self.feed_pending(dir, out);
            }
        }
    }

    /// Nothing recognises `dir`'s data.
    fn dir_gave_up(&mut self, dir: Direction, out: &mut ParseOutput) {
        let d = dir.index();
        self.probe_state[d] = DirProbe::NoMatch;
        if self.proto.is_some() {
            self.dir_proto[d] = DirProto::Failed;
            self.detect_event(out, "APPLAYER_DETECT_PROTOCOL_ONLY_ONE_DIRECTION");
            self.feed_pending(dir, out);
        } else if self.probe_state.iter().all(|s| *s == DirProbe::NoMatch) {
            self.fail();
        }
    }

    /// Once the flow's protocol is known: decides the other direction's
    /// buffered data (recognised, or not recognised but parsed anyway),
    /// unless its probes still need more bytes.
    fn settle(&mut self, dir: Direction, out: &mut ParseOutput) {
        let d = dir.index();
        if self.pending[d].is_empty() {
            return;
        }
        if self.dir_proto[d] != DirProto::Unknown {
            self.feed_pending(dir, out);
            return;
        }
        match self.probe_pending(dir, out) {
            Detection::Match(q, _) => self.dir_detected(dir, q, None, out),
            Detection::NoMatch if self.conclusive(dir) => self.dir_gave_up(dir, out),
            _ if self.probe_state[d] == DirProbe::NoMatch
                || self.pending[d].len() >= self.config.max_probe_bytes =>
            {
                self.dir_gave_up(dir, out)
            }
            _ => {}
        }
    }

    fn feed_pending(&mut self, dir: Direction, out: &mut ParseOutput) {
        let data = std::mem::take(&mut self.pending[dir.index()]);
        if !data.is_empty() {
            self.feed(dir, &data, out);
        }
    }

    /// Parses `data`, then takes what the parser asked for.
    fn feed(&mut self, dir: Direction, data: &[u8], out: &mut ParseOutput) {
        if self.changing {
            self.change_data(dir, data, out);
            return;
        }
        if self.parser.is_some() {
            self.run_parser(dir, out, |p, d, out| p.parse(d, data, out));
            self.after_parse(dir, data, out);
        }
    }

    /// Moves announced expectations into the table and starts a requested
    /// protocol change.
    fn after_parse(&mut self, dir: Direction, data: &[u8], out: &mut ParseOutput) {
        if !out.announced.is_empty() {
            let mut announced = std::mem::take(&mut out.announced);
            if let Some((a, b)) = self.endpoints {
                for e in announced.drain(..) {
                    out.expectations.insert(a, b, self.flow_id, e);
                }
            }
            announced.clear();
            out.announced = announced;
        }
        let handover = out.handover.take();
        if let Some(change) = out.change.take() {
            self.handover = handover;
            self.start_change(dir, data, change, out);
        }
    }

    fn start_change(
        &mut self,
        dir: Direction,
        data: &[u8],
        change: ProtocolChange,
        out: &mut ParseOutput,
    ) {
        let Some(orig) = self.proto else { return };
        if self.changing || self.failed {
            return;
        }
        // The old protocol's open transactions are logged now (Suricata's
        // detect/log flush before the change).
        self.run_parser(dir, out, |p, _, out| p.finish(out));
        self.parser = None;
        out.announced.clear();
        out.change = None;
        self.orig = Some(orig);
        self.expected = change.to;
        self.changing = true;
        // Bytes not parsed yet (buffered for detection) belong to the new
        // protocol: they stay, and are detected with what follows.
        self.dir_proto = [DirProto::Unknown; 2];
        self.probe_state = [DirProbe::Pending; 2];
        if !change.held_to_server.is_empty() {
            self.feed(Direction::ToServer, &change.held_to_server, out);
        }
        let start = data.len().saturating_sub(change.unconsumed);
        let tail = data.get(start..).unwrap_or(&[]);
        if !tail.is_empty() {
            self.feed(dir, tail, out);
        }
    }

    /// Data after a protocol change: detected afresh.
    fn change_data(&mut self, dir: Direction, data: &[u8], out: &mut ParseOutput) {
        let d = dir.index();
        let room = PROTO_CHANGE_MAX_DEPTH.saturating_sub(self.pending[d].len());
        let take = data.get(..room.min(data.len())).unwrap_or(&[]);
        self.pending[d].extend_from_slice(take);
        match self.probe_pending(dir, out) {
            Detection::Match(p, claim) => {
                self.changing = false;
                self.proto = Some(p);
                self.dir_proto[d] = DirProto::Proto(p);
                self.parser = Some(match claim {
                    Some(c) => c.parser,
                    None => self.parser_after_change(p),
                });
                if self.expected.is_some_and(|e| e != p) {
                    self.unexpected_protocol_events(out);
                }
                self.feed_pending(dir, out);
            }
            Detection::NoMatch if self.pending[d].len() >= PROTO_CHANGE_MAX_DEPTH => {
                self.change_failed(out);
            }
            // Not enough to tell yet: the data waits, unparsed.
            _ => {}
        }
    }

    fn parser_after_change(&mut self, p: AppProto) -> Box<dyn AppParser> {
        if let (AppProto::Http2, Some(Handover::H2cUpgrade(req))) = (p, self.handover.take()) {
            return crate::it::http2::parser_after_upgrade(&req);
        }
        match (p, self.orig) {
            (AppProto::Tls, Some(orig)) => Box::new(TlsParser::after_starttls(orig)),
            _ => match info(p) {
                Some(i) => (i.new_parser)(self.transport),
                None => Box::new(crate::registry::NullParser),
            },
        }
    }

    /// The change found nothing: the application layer is disabled.
    fn change_failed(&mut self, out: &mut ParseOutput) {
        self.changing = false;
        self.failed = true;
        self.parser = None;
        self.pending = [Vec::new(), Vec::new()];
        if self.expected.is_some() {
            self.unexpected_protocol_events(out);
        }
    }

    fn unexpected_protocol_events(&self, out: &mut ParseOutput) {
        self.detect_event(out, "APPLAYER_UNEXPECTED_PROTOCOL");
        if self.expected == Some(AppProto::Tls) {
            self.detect_event(out, "APPLAYER_NO_TLS_AFTER_STARTTLS");
        }
    }

    /// Probes protocols whose ports match first, then the content-only
    /// ones; then (TCP) the expected flows. Suricata's order: patterns and
    /// probing parsers, then expectations.
    fn probe(
        &mut self,
        dir: Direction,
        data: &[u8],
        transport: Transport,
        out: &mut ParseOutput,
    ) -> Detection {
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
        // After a protocol change the flow's orientation is settled.
        let passes = if self.config.midstream && self.orig.is_none() {
            3
        } else {
            2
        };
        for pass in 0..passes {
            for info in PROTOCOLS {
                // Pass 0: protocols on the responder's port. Pass 1:
                // content-only detection for the others. Pass 2 (midstream):
                // protocols on the initiator's port, the data's direction
                // reversed when the flow was picked up midstream.
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
                let reverse = pass == 2 && self.pickup && (self.proto.is_none() || self.reversed);
                let probe_dir = if reverse { dir.reverse() } else { dir };
                match probe(probe_dir, data) {
                    Probe::Match => {
                        if self.proto.is_none() && reverse {
                            self.reversed = true;
                            self.swap_requested = true;
                        }
                        return Detection::Match(info.proto, None);
                    }
                    Probe::NeedMore => need_more = true,
                    Probe::NoMatch => {}
                }
            }
        }
        // HTTP/2's server-side prober (a SETTINGS frame) is a Suricata
        // probing parser: registered on port 80, and tried on any port
        // once the client side is HTTP/2 (the other direction's protocol's
        // prober) or after an `Upgrade: h2c` asked for HTTP/2.
        if transport == Transport::Tcp && dir == Direction::ToClient {
            let client_h2 =
                self.dir_proto[Direction::ToServer.index()] == DirProto::Proto(AppProto::Http2);
            let upgrade = self.changing && self.expected == Some(AppProto::Http2);
            if client_h2 || upgrade || self.dst_port == 80 {
                match crate::it::http2::probe_server(data) {
                    Probe::Match => return Detection::Match(AppProto::Http2, None),
                    Probe::NeedMore => need_more = true,
                    Probe::NoMatch => {}
                }
            }
        }
        if transport == Transport::Tcp
            && let Some((a, b)) = self.endpoints
            && let Some(c) = out.expectations.claim(a, b, self.dst_port, dir)
        {
            return Detection::Match(c.proto, Some(c));
        }
        if need_more {
            Detection::NeedMore
        } else {
            Detection::NoMatch
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::Ipv4Addr;

    const S: Direction = Direction::ToServer;
    const C: Direction = Direction::ToClient;

    fn ip(last: u8) -> IpAddr {
        IpAddr::V4(Ipv4Addr::new(10, 0, 0, last))
    }

    fn state(flow_id: u64, dst_port: u16) -> AppState {
        let mut st = AppState::new(Transport::Tcp, 40000, dst_port, DetectionConfig::default());
        st.set_flow(flow_id, ip(1), ip(2));
        st
    }

    fn events(out: &mut ParseOutput) -> Vec<&'static str> {
        out.detect_events.drain(..).map(|e| e.name).collect()
    }

    #[test]
    fn one_direction_not_recognised_fails_alone() {
        // The FTP banner matches no pattern to the client: the flow is FTP
        // from the client's command, its server side "failed".
        let mut st = state(1, 21);
        let mut out = ParseOutput::default();
        st.on_stream(C, b"220 ProFTPD ready\r\n", &mut out);
        assert_eq!(st.app_proto_name(), None);
        st.on_stream(S, b"USER anonymous\r\n", &mut out);
        assert_eq!(st.app_proto_name(), Some("ftp"));
        assert_eq!(
            st.flow_protos(),
            FlowProtos {
                tc: Some("failed"),
                ..FlowProtos::default()
            }
        );
        assert_eq!(
            events(&mut out),
            ["APPLAYER_DETECT_PROTOCOL_ONLY_ONE_DIRECTION"]
        );
    }

    #[test]
    fn no_match_waits_for_the_pattern_depth() {
        // 23 bytes to the server match nothing yet are not conclusive.
        let mut st = state(1, 80);
        let mut out = ParseOutput::default();
        st.on_stream(S, &[b'x'; 23], &mut out);
        st.on_stream(C, &[b'y'; 7], &mut out);
        assert_eq!(st.app_proto_name(), None);
        st.on_stream(S, b"x", &mut out);
        assert_eq!(st.app_proto_name(), None, "the client side is still open");
        st.on_stream(C, b"y", &mut out);
        // On port 80 HTTP/2's server prober needs a whole frame header.
        assert_eq!(st.app_proto_name(), None, "HTTP/2's prober wants 9 bytes");
        st.on_stream(C, b"y", &mut out);
        assert_eq!(st.app_proto_name(), Some("failed"));
    }

    fn starttls_session(st: &mut AppState, out: &mut ParseOutput) {
        for (d, m) in [
            (C, &b"220 mx ESMTP\r\n"[..]),
            (S, b"EHLO x\r\n"),
            (C, b"250 ok\r\n"),
            (S, b"STARTTLS\r\n"),
            (C, b"220 go ahead\r\n"),
        ] {
            st.on_stream(d, m, out);
        }
    }

    #[test]
    fn starttls_hands_the_flow_to_tls() {
        let mut st = state(1, 25);
        let mut out = ParseOutput::default();
        starttls_session(&mut st, &mut out);
        // The SMTP transaction is flushed at the change.
        assert_eq!(out.txs.len(), 1);
        assert_eq!(st.app_proto_name(), Some("smtp"));
        // A TLS record header, in two pieces.
        st.on_stream(S, &[0x16], &mut out);
        assert_eq!(st.proto(), Some(AppProto::Smtp));
        st.on_stream(S, &[0x03, 0x01, 0x00, 0x00], &mut out);
        assert_eq!(st.app_proto_name(), Some("tls"));
        let p = st.flow_protos();
        assert_eq!(p.orig, Some("smtp"));
        assert_eq!(p.expected, None);
        assert!(events(&mut out).contains(&"APPLAYER_DETECT_PROTOCOL_ONLY_ONE_DIRECTION"));
    }

    #[test]
    fn starttls_without_tls_disables_the_application_layer() {
        let mut st = state(1, 25);
        let mut out = ParseOutput::default();
        starttls_session(&mut st, &mut out);
        events(&mut out);
        // Not TLS, not conclusive either: the end of the stream decides.
        st.on_stream(S, b"hello\r\n", &mut out);
        assert_eq!(st.proto(), Some(AppProto::Smtp));
        st.on_close(S, &mut out);
        assert_eq!(st.app_proto_name(), Some("failed"));
        let p = st.flow_protos();
        assert_eq!((p.orig, p.expected), (Some("smtp"), Some("tls")));
        assert_eq!(
            events(&mut out),
            [
                "APPLAYER_UNEXPECTED_PROTOCOL",
                "APPLAYER_NO_TLS_AFTER_STARTTLS"
            ]
        );
        // Nothing is parsed any more.
        st.on_stream(S, b"EHLO y\r\n", &mut out);
        st.finish(&mut out);
        assert_eq!(out.txs.len(), 1);
    }

    /// An FTP control flow (id 1, 10.0.0.1 -> 10.0.0.2:21) that announced a
    /// passive data connection to port 1025 (at the RETR, as Suricata).
    fn pasv(out: &mut ParseOutput) -> AppState {
        let mut st = state(1, 21);
        for (d, m) in [
            (S, &b"USER a\r\n"[..]),
            (C, b"331 pw\r\n"),
            (S, b"PASV\r\n"),
            (C, b"227 Entering Passive Mode (10,0,0,2,4,1).\r\n"),
            (S, b"RETR f.txt\r\n"),
        ] {
            st.on_stream(d, m, out);
        }
        assert_eq!(out.expectations.len(), 1);
        st
    }

    #[test]
    fn announced_data_connection_is_ftp_data() {
        let mut out = ParseOutput::default();
        let _ctl = pasv(&mut out);
        // Another port: not the expected flow.
        let mut other = state(7, 1026);
        other.on_stream(C, b"some file data", &mut out);
        assert_eq!(other.app_proto_name(), None);
        let mut data = state(2, 1025);
        data.on_stream(C, b"some file data", &mut out);
        assert_eq!(data.app_proto_name(), Some("ftp-data"));
        assert_eq!(data.flow_protos(), FlowProtos::default());
        assert_eq!(data.parent_flow_id(), Some(1));
        assert!(out.expectations.is_empty());
    }

    #[test]
    fn data_connection_without_data_claims_at_flow_end() {
        let mut out = ParseOutput::default();
        let _ctl = pasv(&mut out);
        events(&mut out);
        let mut data = state(2, 1025);
        data.on_close(S, &mut out);
        data.on_close(C, &mut out);
        data.finish(&mut out);
        assert_eq!(data.app_proto_name(), Some("failed"));
        assert_eq!(data.flow_protos().ts, Some("ftp-data"));
        assert_eq!(data.flow_protos().tc, Some("ftp-data"));
        assert_eq!(events(&mut out), ["APPLAYER_WRONG_DIRECTION_FIRST_DATA"]);
    }

    #[test]
    fn a_recognised_protocol_other_than_the_expected_one_is_flagged() {
        let mut st = state(1, 25);
        let mut out = ParseOutput::default();
        starttls_session(&mut st, &mut out);
        events(&mut out);
        st.on_stream(S, b"QUIT\r\n", &mut out);
        assert_eq!(st.app_proto_name(), Some("smtp"));
        assert_eq!(
            events(&mut out),
            [
                "APPLAYER_UNEXPECTED_PROTOCOL",
                "APPLAYER_NO_TLS_AFTER_STARTTLS"
            ]
        );
    }

    #[test]
    fn probing_is_bounded() {
        let mut st = state(1, 80);
        let mut out = ParseOutput::default();
        let big = vec![b'a'; 10_000];
        st.on_stream(S, &big, &mut out);
        st.on_stream(S, &big, &mut out);
        assert!(st.pending.iter().all(|p| p.len() <= 4096));
    }
}

#[cfg(test)]
mod midstream_tests {
    use super::*;
    use crate::Transaction;
    use vigil_eve::JsonWriter;

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
        assert_eq!(app.proto(), Some(AppProto::Modbus));
        assert!(app.reversed());
        // The worker swaps the flow; the session's directions stay.
        assert!(app.take_swap_request());
        assert!(!app.take_swap_request(), "asked once");
        app.flow_swapped();
        assert!(!app.reversed());
        app.on_stream(Direction::ToServer, READ_RESP, &mut out);
        assert_eq!(out.txs.len(), 1);
        let tx = &out.txs[0];
        // Oriented by the swapped flow: its initiator is the real client.
        assert_eq!(tx.log_direction(), Direction::ToServer);
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
        assert!(!app.take_swap_request());
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
        assert!(app.take_swap_request());
        app.flow_swapped();
        assert_eq!(out.txs.len(), 1);
        assert!(eve(out.txs[0].as_ref()).contains(r#""type":"response""#));
        // After the swap the datagram's direction is to the client, as
        // the parser saw it.
        assert_eq!(out.txs[0].message_dir(), Some(Direction::ToClient));
        // A later request from the master, a to-server datagram of the
        // swapped flow, is parsed as one.
        let req = crate::ot::dnp3::tests::frame(0xc4, 10, 1, &[0xc1, 0xc1, 0x01, 60, 2, 0x06]);
        app.on_datagram(Direction::ToServer, &req, &mut out);
        assert_eq!(out.txs.len(), 2);
        assert!(eve(out.txs[1].as_ref()).contains(r#""type":"request""#));
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
