//! A worker: owns its flows, defragmenter, stream memory and application
//! state, and turns the packets it is given into EVE records. Nothing here
//! is shared with other workers, so the per-packet path takes no lock.

use crate::detect::DetectOptions;
use crate::goose::{GooseLogger, GooseStats};
use crate::output::EveQueue;
use crate::stats::DecoderCounters;
use std::collections::HashMap;
use std::net::IpAddr;
use vigil_detect::state::DeferredTx;
use vigil_detect::{
    Alert, AlertContext, Detector, FlowDetect, PacketFlow, RawStream, TxPhase, TxRef,
};
use vigil_detect::{TagSpec, TagState};
use vigil_eve::{Endpoints, EveHeader, JsonWriter};
use vigil_flow::defrag::{DefragConfig, DefragOutcome, DefragStats, Defragmenter};
use vigil_flow::eve::{FlowRecordOptions, write_flow_record};
use vigil_flow::tcp::TcpState;
use vigil_flow::tcp::{StreamEvents, StreamMemory, StreamSink, TcpStats};
use vigil_flow::{Direction, EndReason, Flow, FlowConfig, FlowEndSink, FlowStats, FlowTable};
use vigil_proto::ot::goose::GoosePdu;
use vigil_proto::{AppState, DetectionConfig, ParseOutput, Transaction};
use vigil_wire::{Decoded, LinkType, Timestamp, Transport, decode_packet};

/// What a worker writes and how it tracks state.
#[derive(Clone, Debug)]
pub struct WorkerOptions {
    pub flow: FlowConfig,
    pub defrag: DefragConfig,
    /// Stream (segment buffer) memory cap per worker, bytes.
    pub stream_memcap: usize,
    /// Write `flow` records.
    pub log_flows: bool,
    /// Write `anomaly` records for decoder events.
    pub log_decode_anomalies: bool,
    /// Write `anomaly` records for stream events.
    pub log_stream_anomalies: bool,
    /// Write `anomaly` records for application-layer events.
    pub log_app_anomalies: bool,
    /// Run application-layer detection and parsers.
    pub app_layer: bool,
    /// EVE record types of application protocols to write (`dns`, `http`,
    /// `modbus`, ...); `None` writes all.
    pub app_record_types: Option<Vec<String>>,
    pub detection: DetectionConfig,
    pub flow_record: FlowRecordOptions,
    /// The rule engine and alert options (`None`: no rules loaded).
    pub detect: Option<crate::detect::DetectOptions>,
}

/// One packet handed to a worker.
pub struct PacketIn<'a> {
    pub data: &'a [u8],
    pub ts: Timestamp,
    pub link: LinkType,
    /// 1-based packet number in the input (`pcap_cnt`).
    pub pcap_cnt: u64,
}

/// Counters a worker hands back when it finishes.
#[derive(Clone, Debug, Default)]
pub struct WorkerReport {
    pub decoder: DecoderCounters,
    pub flow: FlowStats,
    pub tcp: TcpStats,
    pub defrag: DefragStats,
    /// Flow records written.
    pub flow_records: u64,
    /// Anomaly records written.
    pub anomaly_records: u64,
    /// Application transaction records written.
    pub app_records: u64,
    /// Stream events raised.
    pub stream_events: u64,
    /// Peak stream memory in use.
    pub stream_memory_peak: u64,
    /// Alert records written.
    pub alert_records: u64,
    /// IEC 61850 GOOSE counters.
    pub goose: GooseStats,
}

/// Most host tags running per worker (new ones are not started past it).
const MAX_HOST_TAGS: usize = 4096;

/// Most alerts written per packet (Suricata's `packet-alert-max`).
const MAX_ALERTS_PER_PACKET: usize = 15;

/// Flush the EVE buffer to the writer beyond this size.
const OUT_FLUSH: usize = 256 * 1024;

/// Feeds reassembled TCP data to a flow's application state and, when
/// rules are loaded, to the raw stream windows of the detection engine.
struct AppSink<'a> {
    app: Option<&'a mut AppState>,
    out: &'a mut ParseOutput,
    /// Raw stream per flow direction (detection).
    raw: Option<&'a mut [RawStream; 2]>,
    /// The session's directions are the flow's reversed.
    reversed: bool,
}

impl AppSink<'_> {
    fn raw_dir(&mut self, dir: Direction) -> Option<&mut RawStream> {
        let d = if self.reversed { dir.reverse() } else { dir };
        self.raw.as_deref_mut().map(|r| &mut r[d.index()])
    }
}

impl StreamSink for AppSink<'_> {
    fn on_data(&mut self, dir: Direction, data: &[u8]) {
        if let Some(raw) = self.raw_dir(dir) {
            raw.push(data);
        }
        if let Some(app) = self.app.as_deref_mut() {
            app.on_stream(dir, data, self.out);
        }
    }
    fn on_gap(&mut self, dir: Direction, len: u64) {
        if let Some(raw) = self.raw_dir(dir) {
            raw.gap(len);
        }
        if let Some(app) = self.app.as_deref_mut() {
            app.on_gap(dir, len, self.out);
        }
    }
    fn on_close(&mut self, dir: Direction) {
        if let Some(app) = self.app.as_deref_mut() {
            app.on_close(dir, self.out);
        }
    }
}

/// The detection state stored in a flow, if any.
fn detect_of(slot: &mut Option<Box<dyn std::any::Any + Send>>) -> Option<&mut FlowDetect> {
    slot.as_mut().and_then(|a| a.downcast_mut::<FlowDetect>())
}

/// The packet a flow's output is produced at (for alerts).
#[derive(Clone, Copy)]
struct PktRef<'a> {
    decoded: &'a Decoded,
    frame: &'a [u8],
    payload: &'a [u8],
    dir: Direction,
    established: bool,
    stream_tracked: bool,
}

impl<'a> PktRef<'a> {
    /// A flow-end pseudo packet (header only) in `dir`, as Suricata's.
    fn pseudo(decoded: &'a Decoded, dir: Direction) -> PktRef<'a> {
        PktRef {
            decoded,
            frame: &[],
            payload: &[],
            dir,
            established: true,
            stream_tracked: true,
        }
    }
}

/// The application state stored in a flow, if any.
fn app_of(flow_app: &mut Option<Box<dyn std::any::Any + Send>>) -> Option<&mut AppState> {
    flow_app.as_mut().and_then(|a| a.downcast_mut::<AppState>())
}

/// Copies what the flow record and record headers need from the flow's
/// application state: `app_proto` and its companions, and `parent_id`.
fn sync_app_fields(flow: &mut Flow) {
    if let Some(app) = app_of(&mut flow.app) {
        let protos = app.flow_protos();
        let parent = app.parent_flow_id();
        flow.app_proto = app.app_proto_name();
        flow.app_proto_ts = protos.ts;
        flow.app_proto_tc = protos.tc;
        flow.app_proto_orig = protos.orig;
        flow.app_proto_expected = protos.expected;
        if parent.is_some() {
            flow.parent_id = parent;
        }
    }
}

/// A transaction with alerts on the packet being processed.
struct Held {
    tx: Box<dyn Transaction>,
    tx_id: u64,
    /// After the packet, it waits for a packet of this direction (its other
    /// side's rules, [`TxPhase::Later`]).
    defer_to: Option<Direction>,
}

/// Everything packet processing writes to, apart from the flow table: the
/// output buffer, stream memory, parser output and counters. Also ends
/// flows (it is the table's [`FlowEndSink`]).
struct Emitter {
    options: WorkerOptions,
    out: Vec<u8>,
    queue: EveQueue,
    stream_mem: StreamMemory,
    stream_events: StreamEvents,
    parse_out: ParseOutput,
    /// The packet being processed (for record headers).
    pcap_cnt: u64,
    flow_records: u64,
    anomaly_records: u64,
    app_records: u64,
    stream_event_count: u64,
    stream_memory_peak: u64,
    /// Rule evaluation state (`None` without rules).
    detector: Option<Detector>,
    alerts: Vec<Alert>,
    /// Alerts of the packet being processed, with the index of their
    /// transaction in `held`.
    pending: Vec<(Alert, Option<usize>)>,
    /// Transactions with pending alerts.
    held: Vec<Held>,
    chunk: Vec<u8>,
    /// Host tags (`tag:host`) running, by address.
    host_tags: HashMap<IpAddr, TagState>,
    /// The packet whose raw stream chunk `chunk` holds, and whether one
    /// was ready (see `take_ready_chunk`).
    chunk_of: Option<(u64, bool)>,
    alert_records: u64,
}

impl Emitter {
    fn flush_if_full(&mut self) {
        if self.out.len() >= OUT_FLUSH {
            let full = std::mem::replace(&mut self.out, self.queue.buffer());
            self.queue.send(full);
        }
    }

    /// Writes the records of the transactions and anomalies the parsers
    /// produced for `flow`.
    fn drain_app_output(
        &mut self,
        flow: &mut Flow,
        ts: Timestamp,
        pcap_cnt: Option<u64>,
        pkt: Option<PktRef<'_>>,
    ) {
        if self.parse_out.is_empty() {
            // Flow end: transactions still waiting for a packet of their
            // direction are inspected even when nothing new was parsed.
            if pkt.is_none() && self.detector.is_some() {
                self.inspect_deferred_at_end(flow, ts);
            }
            return;
        }
        if self.detector.is_some()
            && let Some(fd) = detect_of(&mut flow.detect)
        {
            for ev in &self.parse_out.events {
                fd.add_event(ev.proto.name(), ev.name, ev.tx_id);
            }
            // A finished HTTP or DCERPC request or response asks for raw
            // inspection of its direction's stream (Suricata's HTTP and
            // DCERPC parsers trigger raw reassembly there; most other
            // parsers leave raw inspection to the chunk size). A request
            // still in progress does not.
            if let Some(app @ ("http" | "dcerpc")) = flow.app_proto {
                for tx in self.parse_out.txs.iter().filter(|t| t.event_type() == app) {
                    if tx.partial_request().is_some() {
                        continue;
                    }
                    if !tx.request_side_inspected() {
                        fd.raw[0].trigger = true;
                    }
                    if !tx.inspect_only() {
                        fd.raw[1].trigger = true;
                    }
                }
            }
        }
        // Flow end: transactions are inspected on a header-only packet from
        // the client.
        let pseudo = (pkt.is_none() && self.detector.is_some())
            .then(|| pseudo_decoded(flow, Direction::ToServer));
        let pkt_eff = pkt.or_else(|| {
            pseudo
                .as_ref()
                .map(|d| PktRef::pseudo(d, Direction::ToServer))
        });
        // Protocol-detection anomalies are packet events: Suricata logs them
        // before the packet's transactions.
        let detect_events = std::mem::take(&mut self.parse_out.detect_events);
        if self.options.log_app_anomalies {
            for ev in &detect_events {
                write_detect_anomaly(&mut self.out, flow, ev, ts, pcap_cnt, pkt.map(|p| p.dir));
                self.anomaly_records += 1;
            }
        }
        self.parse_out.detect_events = detect_events;
        self.parse_out.detect_events.clear();
        // Transaction events too precede the records of the packet's
        // transactions, as in Suricata's output.
        let events = std::mem::take(&mut self.parse_out.events);
        if self.options.log_app_anomalies {
            for ev in events.iter().filter(|e| e.logged) {
                write_app_anomaly(&mut self.out, flow, ev, ts, pcap_cnt, pkt.map(|p| p.dir));
                self.anomaly_records += 1;
            }
        }
        self.parse_out.events = events;
        self.parse_out.events.clear();
        // Rules that also match payload see this packet's stream chunk.
        let (chunk, have_chunk) = match (pkt, pcap_cnt) {
            (Some(p), Some(cnt)) if self.detector.is_some() => self.take_ready_chunk(flow, cnt, &p),
            _ => (std::mem::take(&mut self.chunk), false),
        };
        let mut txs = std::mem::take(&mut self.parse_out.txs);
        for tx in txs.drain(..) {
            let tx_id = match tx.tx_id() {
                Some(id) => id,
                None => app_of(&mut flow.app).map_or(0, |a| a.next_tx_id()),
            };
            let wanted = !tx.inspect_only()
                && tx.has_record()
                && match &self.options.app_record_types {
                    None => true,
                    Some(types) => types.iter().any(|t| t == tx.output_type()),
                };
            if wanted {
                write_tx_record(&mut self.out, flow, tx.as_ref(), tx_id, ts, pcap_cnt);
                self.app_records += 1;
            }
            // A message sent the other way than the packet that completed
            // it waits for a packet of its own direction (see DeferredTxs).
            if let (Some(p), Some(dm)) = (pkt, tx.message_dir())
                && p.dir != dm
                && let Some(fd) = detect_of(&mut flow.detect)
                && fd.deferred.0.len() < vigil_detect::state::MAX_DEFERRED_TXS
            {
                let phase = if tx.inspect_only() {
                    TxPhase::Later
                } else {
                    TxPhase::Whole
                };
                fd.deferred.0.push(DeferredTx {
                    tx,
                    tx_id,
                    dir: dm,
                    phase,
                });
                continue;
            }
            if !tx.inspected() {
                continue;
            }
            if let (Some(p), Some(det)) = (pkt_eff, self.detector.as_mut())
                && let Some(app) = flow.app_proto
            {
                // The other side's rules wait for a packet of that side.
                let later = pkt.is_some()
                    && (tx.inspect_sides_separately() || tx.request_side_inspected())
                    && detect_of(&mut flow.detect).is_some_and(|fd| {
                        fd.deferred.0.len() < vigil_detect::state::MAX_DEFERRED_TXS
                    });
                // Without room to wait (or at flow end) a transaction is
                // inspected whole, each rule in its own direction.
                let phase = if tx.inspect_only() && tx.message_dir() == Some(p.dir) {
                    TxPhase::Later
                } else if tx.inspect_only() {
                    TxPhase::Whole
                } else if tx.request_side_inspected() {
                    if later {
                        TxPhase::NowResponse
                    } else {
                        TxPhase::WholeResponse
                    }
                } else if later {
                    TxPhase::Now
                } else {
                    TxPhase::Whole
                };
                let stream = (have_chunk && pkt.is_some()).then_some(chunk.as_slice());
                let dpkt = detect_packet(&p, flow, ts, stream);
                let mut alerts = std::mem::take(&mut self.alerts);
                alerts.clear();
                det.transaction(
                    &dpkt,
                    detect_of(&mut flow.detect),
                    app,
                    &vigil_detect::TxRef(tx.as_ref()),
                    tx_id,
                    phase,
                    &mut alerts,
                );
                // The other side's rules wait for its next packet (none
                // left when only the response side was to run and it ran).
                let defer_to = (later
                    && !(tx.request_side_inspected() && p.dir == Direction::ToClient))
                    .then(|| p.dir.reverse());
                if !alerts.is_empty() {
                    let idx = self.held.len();
                    self.pending
                        .extend(alerts.drain(..).map(|a| (a, Some(idx))));
                    self.held.push(Held {
                        tx,
                        tx_id,
                        defer_to,
                    });
                } else if let Some(dir) = defer_to
                    && let Some(fd) = detect_of(&mut flow.detect)
                {
                    fd.deferred.0.push(DeferredTx {
                        tx,
                        tx_id,
                        dir,
                        phase: TxPhase::Later,
                    });
                } else if let Some(fd) = detect_of(&mut flow.detect) {
                    fd.clear_tx_events(tx_id);
                }
                self.alerts = alerts;
            }
        }
        if pkt.is_none()
            && let Some(p) = pkt_eff
        {
            self.flush_alerts(flow, ts, pcap_cnt, &p, None);
        }
        if pkt.is_none() {
            self.inspect_deferred_at_end(flow, ts);
        }
        // Hand the (empty) allocation back for reuse.
        self.parse_out.txs = txs;
        self.chunk = chunk;
        self.flush_if_full();
    }
}

impl FlowEndSink for Emitter {
    fn flow_ended(&mut self, flow: &mut Flow, reason: EndReason, now: Timestamp) {
        // A TCP flow without data may still be an expected one (an FTP data
        // connection): its application state decides at its end.
        if flow.app.is_none()
            && flow.proto == 6
            && self.options.app_layer
            && !self.parse_out.expectations.is_empty()
        {
            let mut app = AppState::new(
                vigil_proto::Transport::Tcp,
                flow.src_port,
                flow.dst_port,
                self.options.detection,
            );
            app.set_flow(flow.flow_id, flow.src, flow.dst);
            flow.app = Some(Box::new(app));
        }
        {
            let Flow {
                tcp, app, detect, ..
            } = flow;
            let reversed = tcp.as_ref().is_some_and(|t| t.reversed());
            let mut sink = AppSink {
                app: app_of(app),
                out: &mut self.parse_out,
                raw: detect_of(detect).map(|d| &mut d.raw),
                reversed,
            };
            if let Some(session) = tcp.as_mut() {
                session.finish(&mut self.stream_mem, &mut sink);
            }
            if let Some(app) = sink.app {
                app.finish(sink.out);
            }
        }
        swap_if_asked(flow);
        sync_app_fields(flow);
        self.drain_app_output(flow, now, None, None);
        self.inspect_live_at_end(flow, now);
        self.inspect_stream_end(flow, now);
        if self.options.log_flows {
            // A timed-out flow is stamped with its deadline rather than the
            // packet that noticed it, so the record does not depend on which
            // worker saw which packet.
            let at = match reason {
                EndReason::Timeout => flow.deadline(&self.options.flow.timeouts).min(now),
                _ => now,
            };
            write_flow_record(&mut self.out, flow, reason, at, &self.options.flow_record);
            self.flow_records += 1;
        }
        // Many flows can end at once (shutdown, a burst of timeouts): hand
        // full buffers on rather than grow one without bound.
        self.flush_if_full();
    }
}

/// A packet-processing worker.
pub struct Worker {
    flows: FlowTable,
    defrag: Defragmenter,
    decoded: Decoded,
    reassembled: Decoded,
    decoder: DecoderCounters,
    last_ts: Timestamp,
    emit: Emitter,
    /// GOOSE frames (not flow-based); `None` without the application layer.
    goose: Option<GooseLogger>,
}

impl Worker {
    /// A worker writing to `queue`.
    pub fn new(options: WorkerOptions, queue: EveQueue) -> Worker {
        let mut queue = queue;
        let out = queue.buffer();
        let goose_records = options
            .app_record_types
            .as_ref()
            .is_none_or(|t| t.iter().any(|t| t == "goose"));
        let goose = (options.app_layer && (goose_records || options.log_app_anomalies))
            .then(|| GooseLogger::new(goose_records, options.log_app_anomalies));
        Worker {
            goose,
            flows: FlowTable::new(options.flow.clone()),
            defrag: Defragmenter::new(options.defrag.clone()),
            decoded: Decoded::default(),
            reassembled: Decoded::default(),
            decoder: DecoderCounters::default(),
            last_ts: Timestamp::default(),
            emit: Emitter {
                stream_mem: StreamMemory::new(options.stream_memcap),
                stream_events: StreamEvents::default(),
                parse_out: ParseOutput::default(),
                out,
                queue,
                pcap_cnt: 0,
                flow_records: 0,
                anomaly_records: 0,
                app_records: 0,
                stream_event_count: 0,
                stream_memory_peak: 0,
                detector: options
                    .detect
                    .as_ref()
                    .map(|d| Detector::new(d.engine.clone())),
                alerts: Vec::new(),
                pending: Vec::new(),
                held: Vec::new(),
                chunk: Vec::new(),
                chunk_of: None,
                host_tags: HashMap::new(),
                alert_records: 0,
                options,
            },
        }
    }

    /// Processes one packet.
    pub fn process(&mut self, pkt: &PacketIn<'_>) {
        let ts = pkt.ts.max(self.last_ts);
        self.last_ts = ts;
        self.emit.pcap_cnt = pkt.pcap_cnt;
        self.emit
            .parse_out
            .expectations
            .set_time(u64::try_from(ts.secs).unwrap_or(0));
        self.flows.advance(ts, &mut self.emit);
        self.defrag.expire(ts);

        decode_packet(pkt.link, pkt.data, &mut self.decoded);
        self.decoder.count(&self.decoded, pkt.data.len());
        if self.emit.options.log_decode_anomalies && !self.decoded.events.is_empty() {
            write_anomalies(
                &mut self.emit.out,
                &self.decoded,
                ts,
                pkt.pcap_cnt,
                &mut self.emit.anomaly_records,
            );
        }
        if self.decoded.ether_payload.is_some()
            && let Some(goose) = self.goose.as_mut()
        {
            let emit = &mut self.emit;
            let decoded = &self.decoded;
            let (detector, options, alerts, alert_records) = (
                &mut emit.detector,
                &emit.options,
                &mut emit.alerts,
                &mut emit.alert_records,
            );
            let mut inspect = |out: &mut Vec<u8>, pdu: &GoosePdu<'_>| {
                if let (Some(det), Some(opts)) = (detector.as_mut(), options.detect.as_ref()) {
                    *alert_records += inspect_link_layer(
                        det,
                        opts,
                        out,
                        decoded,
                        pkt.data,
                        ts,
                        pkt.pcap_cnt,
                        pdu,
                        alerts,
                    );
                }
            };
            let (records, anomalies) = goose.frame(
                &mut emit.out,
                decoded,
                pkt.data,
                ts,
                pkt.pcap_cnt,
                &mut inspect,
            );
            emit.app_records += records;
            emit.anomaly_records += anomalies;
        }

        if self.decoded.ip.is_some_and(|ip| ip.frag.is_some()) {
            let mut events = vigil_wire::EventList::default();
            let outcome = self.defrag.insert(ts, pkt.data, &self.decoded, &mut events);
            if let DefragOutcome::Reassembled(datagram) = outcome {
                decode_packet(LinkType::Raw, datagram, &mut self.reassembled);
                self.decoder.count_pseudo(&self.reassembled);
                // The reassembled packet keeps the VLANs of its fragments.
                self.reassembled.vlan = self.decoded.vlan;
                self.reassembled.vlan_count = self.decoded.vlan_count;
                for e in self.reassembled.events.iter() {
                    events.push(e);
                }
                // Suricata's reassembled packet keeps the first fragment's
                // link header.
                let bytes = self.decoded.ip.map_or(0, |ip| ip.header_offset)
                    + self.reassembled.flow_bytes(datagram.len());
                flow_packet(
                    &mut self.flows,
                    &mut self.emit,
                    ts,
                    &self.reassembled,
                    datagram,
                    bytes,
                );
            }
            if !events.is_empty() {
                for e in events.iter() {
                    if let Some(c) = self.decoder.events.get_mut(e as usize) {
                        *c += 1;
                    }
                }
                if self.emit.options.log_decode_anomalies {
                    let mut carrier = self.decoded.clone();
                    carrier.events = events;
                    write_anomalies(
                        &mut self.emit.out,
                        &carrier,
                        ts,
                        pkt.pcap_cnt,
                        &mut self.emit.anomaly_records,
                    );
                }
            }
        } else {
            let bytes = self.decoded.flow_bytes(pkt.data.len());
            flow_packet(
                &mut self.flows,
                &mut self.emit,
                ts,
                &self.decoded,
                pkt.data,
                bytes,
            );
        }
        let emit = &mut self.emit;
        if emit.options.log_stream_anomalies && !emit.stream_events.is_empty() {
            write_stream_anomalies(
                &mut emit.out,
                &self.decoded,
                ts,
                pkt.pcap_cnt,
                &emit.stream_events,
                &mut emit.anomaly_records,
            );
        }
        emit.stream_event_count += emit.stream_events.len() as u64;
        emit.stream_events.clear();
        emit.stream_memory_peak = emit.stream_memory_peak.max(emit.stream_mem.used as u64);
        if emit.out.len() >= OUT_FLUSH {
            self.flush();
        }
    }

    fn flush(&mut self) {
        if !self.emit.out.is_empty() {
            let full = std::mem::replace(&mut self.emit.out, self.emit.queue.buffer());
            self.emit.queue.send(full);
        }
    }

    /// Ends all flows at `now` (end of input), flushes output, and returns
    /// the counters.
    pub fn finish(mut self, now: Timestamp) -> WorkerReport {
        let now = now.max(self.last_ts);
        // Flows idle past their timeout end as `timeout` first, exactly as
        // if this worker had seen a packet at `now`: so the output does not
        // depend on how packets were spread over workers.
        self.flows.advance(now, &mut self.emit);
        self.flows.flush_all(now, &mut self.emit);
        self.flush();
        WorkerReport {
            decoder: self.decoder.clone(),
            flow: self.flows.stats(),
            tcp: self.emit.stream_mem.stats().clone(),
            defrag: self.defrag.stats().clone(),
            flow_records: self.emit.flow_records,
            anomaly_records: self.emit.anomaly_records,
            app_records: self.emit.app_records,
            stream_events: self.emit.stream_event_count,
            stream_memory_peak: self.emit.stream_memory_peak,
            alert_records: self.emit.alert_records,
            goose: self
                .goose
                .as_ref()
                .map(GooseLogger::stats)
                .unwrap_or_default(),
        }
    }
}

/// Accounts a decoded packet to its flow, runs TCP tracking and the
/// application layer, and writes what they produce.
fn flow_packet(
    flows: &mut FlowTable,
    emit: &mut Emitter,
    ts: Timestamp,
    decoded: &Decoded,
    frame: &[u8],
    flow_bytes: usize,
) {
    if let Some(outer) = &decoded.tunnel_udp {
        flows.outer_udp_packet(ts, outer, frame.len(), emit);
    }
    let Some((flow, dir)) = flows.packet(ts, decoded, flow_bytes, emit) else {
        return;
    };
    let payload = decoded.payload(frame);
    // Suricata marks a packet established from the flow state before the
    // packet's own TCP processing (the handshake's last ACK is not).
    let established = flow.state == vigil_flow::FlowState::Established;
    if emit.detector.is_some() && flow.detect.is_none() {
        flow.detect = Some(Box::new(FlowDetect::new(flow.flow_id)));
    }
    let app_transport = match decoded.transport {
        Transport::Tcp(_) => Some(vigil_proto::Transport::Tcp),
        Transport::Udp(_) => Some(vigil_proto::Transport::Udp),
        _ => None,
    };
    if emit.options.app_layer
        && flow.app.is_none()
        && !payload.is_empty()
        && let Some(t) = app_transport
    {
        let mut app = AppState::new(t, flow.src_port, flow.dst_port, emit.options.detection);
        app.set_flow(flow.flow_id, flow.src, flow.dst);
        flow.app = Some(Box::new(app));
    }
    let mut stream_added = false;
    {
        let Flow {
            tcp, app, detect, ..
        } = &mut *flow;
        let mut app = app_of(app);
        match (decoded.transport, tcp.as_mut()) {
            (Transport::Tcp(info), Some(session)) => {
                let reversed = session.reversed();
                // Picked up midstream from a packet other than a SYN or
                // SYN/ACK (this packet, when the session has no state yet):
                // the first sender may be the server.
                let pickup = if session.state() == TcpState::None {
                    info.flags & vigil_wire::tcp_flags::SYN == 0
                } else {
                    session.is_midstream() && !reversed
                };
                if let Some(a) = app.as_deref_mut() {
                    a.set_midstream_pickup(pickup);
                }
                let mut sink = AppSink {
                    app,
                    out: &mut emit.parse_out,
                    raw: detect_of(detect).map(|d| &mut d.raw),
                    reversed,
                };
                stream_added = session.on_packet(
                    ts,
                    dir,
                    &info,
                    payload,
                    &mut emit.stream_mem,
                    &mut sink,
                    &mut emit.stream_events,
                );
            }
            (Transport::Udp(_), _) => {
                if let Some(app) = app {
                    app.on_datagram(dir, payload, &mut emit.parse_out);
                }
            }
            _ => {}
        }
    }
    // The packet turns with its flow (Suricata's PacketSwap).
    let dir = if swap_if_asked(flow) {
        dir.reverse()
    } else {
        dir
    };
    flow.sync_tcp_state();
    sync_app_fields(flow);
    let pcap_cnt = emit.pcap_cnt;
    // A TCP segment added to the stream: payload rules see the reassembled
    // stream (and the packet itself only when the rule asks for both).
    let stream_tracked = stream_added;
    let pkt = PktRef {
        decoded,
        frame,
        payload,
        dir,
        established,
        stream_tracked,
    };
    emit.drain_app_output(flow, ts, Some(pcap_cnt), Some(pkt));
    if emit.detector.is_some() {
        emit.inspect_deferred(flow, ts, &pkt);
        emit.inspect_live(flow, ts, &pkt);
        emit.detect_packet(flow, ts, pcap_cnt, &pkt);
    }
}

/// Runs the rules on a link-layer message (a GOOSE PDU: no IP, no flow)
/// and writes its alerts; returns how many.
#[allow(clippy::too_many_arguments)]
fn inspect_link_layer(
    det: &mut Detector,
    opts: &DetectOptions,
    out: &mut Vec<u8>,
    decoded: &Decoded,
    frame: &[u8],
    ts: Timestamp,
    pcap_cnt: u64,
    tx: &dyn Transaction,
    alerts: &mut Vec<Alert>,
) -> u64 {
    let pkt = vigil_detect::Packet {
        decoded,
        frame,
        payload: &[],
        ts_secs: ts.secs,
        flow: None,
        stream_tracked: false,
        stream: None,
    };
    alerts.clear();
    det.transaction(
        &pkt,
        None,
        tx.event_type(),
        &TxRef(tx),
        0,
        TxPhase::Whole,
        alerts,
    );
    alerts.truncate(MAX_ALERTS_PER_PACKET);
    for a in alerts.iter() {
        let ctx = AlertContext {
            ts,
            pcap_cnt: Some(pcap_cnt),
            decoded,
            frame,
            payload: &[],
            flow: None,
            to_server: None,
            tx: Some((tx, 0)),
            stream: None,
        };
        vigil_detect::write_alert(out, det.engine(), a, &ctx, &opts.alert);
    }
    let n = alerts.len() as u64;
    alerts.clear();
    n
}

/// Swaps the flow when its application layer found it reversed (a
/// midstream flow whose first sender was the server, as Suricata's
/// `FlowSwap`); true when it did.
fn swap_if_asked(flow: &mut Flow) -> bool {
    let Some(app) = app_of(&mut flow.app) else {
        return false;
    };
    if !app.take_swap_request() {
        return false;
    }
    app.flow_swapped();
    flow.swap();
    if let Some(fd) = detect_of(&mut flow.detect) {
        fd.flow_swapped();
    }
    true
}

/// Takes the flow's transactions waiting for a packet of direction `dir`
/// (none: no allocation).
fn take_deferred(flow: &mut Flow, dir: Direction) -> Vec<DeferredTx> {
    let Some(fd) = detect_of(&mut flow.detect) else {
        return Vec::new();
    };
    if !fd.deferred.0.iter().any(|d| d.dir == dir) {
        return Vec::new();
    }
    let (ready, waiting) = std::mem::take(&mut fd.deferred.0)
        .into_iter()
        .partition(|d| d.dir == dir);
    fd.deferred.0 = waiting;
    ready
}

/// A header-only packet of `flow` in direction `dir`, for inspection at
/// flow end (Suricata's pseudo packets).
fn pseudo_decoded(flow: &Flow, dir: Direction) -> Decoded {
    let (src, dst, sp, dp) = match dir {
        Direction::ToServer => (flow.src, flow.dst, flow.src_port, flow.dst_port),
        Direction::ToClient => (flow.dst, flow.src, flow.dst_port, flow.src_port),
    };
    let transport = match flow.proto {
        6 => Transport::Tcp(vigil_wire::TcpInfo {
            src_port: sp,
            dst_port: dp,
            ..Default::default()
        }),
        17 => Transport::Udp(vigil_wire::UdpInfo {
            src_port: sp,
            dst_port: dp,
            length: 8,
        }),
        p => Transport::Other(p),
    };
    Decoded {
        ip: Some(vigil_wire::IpInfo {
            version: if src.is_ipv4() { 4 } else { 6 },
            src,
            dst,
            proto: flow.proto,
            ttl: 0,
            tos: 0,
            id: 0,
            header_offset: 0,
            l4_offset: 0,
            l4_len: 0,
            frag: None,
            dont_fragment: false,
            checksum_ok: true,
        }),
        transport,
        ..Default::default()
    }
}

/// The engine's view of a packet.
fn detect_packet<'a>(
    p: &PktRef<'a>,
    flow: &Flow,
    ts: Timestamp,
    stream: Option<&'a [u8]>,
) -> vigil_detect::Packet<'a> {
    let stream_bytes = flow
        .detect
        .as_ref()
        .and_then(|d| d.downcast_ref::<FlowDetect>())
        .map_or([0, 0], |d| [d.raw[0].end(), d.raw[1].end()]);
    vigil_detect::Packet {
        decoded: p.decoded,
        frame: p.frame,
        payload: p.payload,
        ts_secs: ts.secs,
        flow: Some(PacketFlow {
            to_server: p.dir == Direction::ToServer,
            established: p.established,
            app_proto: flow.app_proto.filter(|a| *a != "failed"),
            stream_bytes,
        }),
        stream_tracked: p.stream_tracked,
        stream,
    }
}

impl Emitter {
    /// Inspects the transactions waiting for a packet of `p`'s direction
    /// (their alerts join the packet's).
    fn inspect_deferred(&mut self, flow: &mut Flow, ts: Timestamp, p: &PktRef<'_>) {
        let ready = take_deferred(flow, p.dir);
        if !ready.is_empty() {
            self.inspect_txs(flow, ts, p, ready, true);
        }
    }

    /// Evaluates the application rules on `txs` at packet `p`, queueing
    /// their alerts for the packet.
    fn inspect_txs(
        &mut self,
        flow: &mut Flow,
        ts: Timestamp,
        p: &PktRef<'_>,
        txs: Vec<DeferredTx>,
        real_packet: bool,
    ) {
        if self.detector.is_none() || flow.app_proto.is_none() {
            return;
        }
        // Rules that also match payload see this packet's stream chunk.
        let (chunk, have_chunk) = if real_packet {
            let cnt = self.pcap_cnt;
            self.take_ready_chunk(flow, cnt, p)
        } else {
            (std::mem::take(&mut self.chunk), false)
        };
        let (Some(det), Some(app)) = (self.detector.as_mut(), flow.app_proto) else {
            self.chunk = chunk;
            return;
        };
        let dpkt = detect_packet(p, flow, ts, have_chunk.then_some(chunk.as_slice()));
        let mut alerts = std::mem::take(&mut self.alerts);
        for d in txs {
            alerts.clear();
            det.transaction(
                &dpkt,
                detect_of(&mut flow.detect),
                app,
                &vigil_detect::TxRef(d.tx.as_ref()),
                d.tx_id,
                d.phase,
                &mut alerts,
            );
            if let Some(fd) = detect_of(&mut flow.detect) {
                fd.clear_tx_events(d.tx_id);
            }
            if !alerts.is_empty() {
                let idx = self.held.len();
                self.pending
                    .extend(alerts.drain(..).map(|a| (a, Some(idx))));
                self.held.push(Held {
                    tx: d.tx,
                    tx_id: d.tx_id,
                    defer_to: None,
                });
            }
        }
        self.alerts = alerts;
        self.chunk = chunk;
    }

    /// Runs the rules inspected on every packet (`ssl_state`,
    /// `tls.version`, ...) on the parser's current state, as Suricata
    /// inspects its TLS transaction on each packet of an established
    /// flow; their alerts join the packet's.
    fn inspect_live(&mut self, flow: &mut Flow, ts: Timestamp, p: &PktRef<'_>) {
        let (Some(det), Some(app)) = (self.detector.as_mut(), flow.app_proto) else {
            return;
        };
        if !det.engine().has_live_rules(app) || (flow.proto == 6 && !p.established) {
            return;
        }
        let dpkt = detect_packet(p, flow, ts, None);
        let Flow {
            app: app_state,
            detect,
            ..
        } = &mut *flow;
        let Some(state) = app_of(app_state) else {
            return;
        };
        let Some(tx) = state.live_tx() else {
            return;
        };
        let mut alerts = std::mem::take(&mut self.alerts);
        alerts.clear();
        det.live(
            &dpkt,
            detect_of(detect),
            app,
            &vigil_detect::LiveTxRef(tx),
            &mut alerts,
        );
        if !alerts.is_empty()
            && let Some(tx) = state.live_tx_owned()
        {
            let idx = self.held.len();
            self.pending
                .extend(alerts.drain(..).map(|a| (a, Some(idx))));
            self.held.push(Held {
                tx,
                tx_id: 0,
                defer_to: None,
            });
        }
        self.alerts = alerts;
    }

    /// At flow end: the per-packet rules see the final state (both
    /// streams ended) on a pseudo packet per direction, as Suricata's
    /// flow-end pseudo packets.
    fn inspect_live_at_end(&mut self, flow: &mut Flow, now: Timestamp) {
        let live = match (self.detector.as_ref(), flow.app_proto) {
            (Some(det), Some(app)) => det.engine().has_live_rules(app),
            _ => false,
        };
        if !live {
            return;
        }
        for dir in [Direction::ToServer, Direction::ToClient] {
            let decoded = pseudo_decoded(flow, dir);
            let p = PktRef::pseudo(&decoded, dir);
            self.inspect_live(flow, now, &p);
            self.flush_alerts(flow, now, None, &p, None);
        }
    }

    /// After a packet's alerts are written: transactions whose other side
    /// still waits go to the flow's deferred list, the rest are dropped.
    fn release_held(&mut self, flow: &mut Flow) {
        for h in self.held.drain(..) {
            if let Some(dir) = h.defer_to
                && let Some(fd) = detect_of(&mut flow.detect)
            {
                fd.deferred.0.push(DeferredTx {
                    tx: h.tx,
                    tx_id: h.tx_id,
                    dir,
                    phase: TxPhase::Later,
                });
            }
        }
    }

    /// At flow end: the transactions still waiting are inspected on a
    /// pseudo packet of their direction.
    fn inspect_deferred_at_end(&mut self, flow: &mut Flow, ts: Timestamp) {
        for dir in [Direction::ToServer, Direction::ToClient] {
            let ready = take_deferred(flow, dir);
            if ready.is_empty() {
                continue;
            }
            let decoded = pseudo_decoded(flow, dir);
            let p = PktRef::pseudo(&decoded, dir);
            self.inspect_txs(flow, ts, &p, ready, false);
            self.flush_alerts(flow, ts, None, &p, None);
        }
    }

    /// The raw stream chunk ready for inspection at packet `pcap_cnt`
    /// (taken from the flow's raw stream once per packet: transaction
    /// inspection and packet detection of the same packet share it). The
    /// caller puts the buffer back into `self.chunk`.
    fn take_ready_chunk(
        &mut self,
        flow: &mut Flow,
        pcap_cnt: u64,
        p: &PktRef<'_>,
    ) -> (Vec<u8>, bool) {
        let mut chunk = std::mem::take(&mut self.chunk);
        if let Some((cnt, have)) = self.chunk_of
            && cnt == pcap_cnt
        {
            return (chunk, have);
        }
        let (Some(opts), Some(det)) = (self.options.detect.as_ref(), self.detector.as_ref()) else {
            return (chunk, false);
        };
        let mut have_chunk = false;
        if let Some(session) = flow.tcp.as_ref()
            && session.state() != TcpState::None
            && let Some(fd) = flow
                .detect
                .as_mut()
                .and_then(|d| d.downcast_mut::<FlowDetect>())
        {
            let d = p.dir.index();
            let sdir = if session.reversed() {
                p.dir.reverse()
            } else {
                p.dir
            };
            let info = session.stream_info(sdir);
            let acked = info.last_ack.wrapping_sub(info.isn).wrapping_sub(1);
            let raw = &mut fd.raw[d];
            let acked = if acked > u32::MAX / 2 {
                0
            } else {
                u64::from(acked).min(raw.end())
            };
            let closing = matches!(
                session.state(),
                TcpState::LastAck | TcpState::CloseWait | TcpState::Closing | TcpState::Closed
            );
            // Inline (IPS) mode inspects what arrived so far on each packet,
            // IDS mode what the receiver acknowledged, by chunks.
            let inline = self.options.flow.tcp.delivery == vigil_flow::tcp::Delivery::Immediate;
            let upto = if closing || inline { raw.end() } else { acked };
            let ready = closing
                || (inline && upto > raw.progress)
                || raw.trigger
                || upto.saturating_sub(raw.progress) >= opts.chunk[d]
                || raw.data.len() > vigil_detect::state::MAX_RAW_BUFFER;
            if ready {
                let upto = if raw.data.len() > vigil_detect::state::MAX_RAW_BUFFER {
                    raw.end()
                } else {
                    upto
                };
                have_chunk = raw.take(upto, det.engine().min_inspect_depth as u64, &mut chunk);
            }
        }
        self.chunk_of = Some((pcap_cnt, have_chunk));
        (chunk, have_chunk)
    }

    /// Runs packet (and ready raw stream) detection for one packet.
    fn detect_packet(&mut self, flow: &mut Flow, ts: Timestamp, pcap_cnt: u64, p: &PktRef<'_>) {
        if self.options.detect.is_none() || self.detector.is_none() {
            return;
        }
        let (chunk, have_chunk) = self.take_ready_chunk(flow, pcap_cnt, p);
        let Some(det) = self.detector.as_mut() else {
            self.chunk = chunk;
            return;
        };
        let dpkt = detect_packet(p, flow, ts, have_chunk.then_some(chunk.as_slice()));
        let mut alerts = std::mem::take(&mut self.alerts);
        alerts.clear();
        det.packet(
            &dpkt,
            detect_of(&mut flow.detect),
            have_chunk.then_some(chunk.as_slice()),
            &mut alerts,
        );
        if let Some(fd) = detect_of(&mut flow.detect) {
            fd.clear_events();
        }
        self.pending.extend(alerts.drain(..).map(|a| (a, None)));
        self.alerts = alerts;
        // Tags: this packet continues the running ones; its alerts start
        // new ones (it is counted by them, not logged as tagged).
        let tagged = self.continue_tags(flow, p, ts);
        let new_tags = self.tags_of_pending();
        self.flush_alerts(
            flow,
            ts,
            Some(pcap_cnt),
            p,
            have_chunk.then_some(chunk.as_slice()),
        );
        self.chunk = chunk;
        if tagged && let Some(opts) = self.options.detect.as_ref() {
            let ctx = AlertContext {
                ts,
                pcap_cnt: Some(pcap_cnt),
                decoded: p.decoded,
                frame: p.frame,
                payload: p.payload,
                flow: Some(flow),
                to_server: Some(p.dir == Direction::ToServer),
                tx: None,
                stream: None,
            };
            if opts.alert.tagged_packets {
                vigil_detect::write_tagged_packet(&mut self.out, &ctx, &opts.alert);
            }
        }
        for spec in new_tags {
            self.start_tag(flow, p, ts, spec);
        }
    }

    /// The `tag` keywords of the rules alerting on this packet.
    fn tags_of_pending(&self) -> Vec<TagSpec> {
        let Some(det) = self.detector.as_ref() else {
            return Vec::new();
        };
        let sigs = &det.engine().sigs;
        self.pending
            .iter()
            .filter_map(|(a, _)| sigs.get(a.sig as usize))
            .flat_map(|s| s.tags.iter().copied())
            .collect()
    }

    /// Counts packet `p` against the flow's session tags and its
    /// addresses' host tags; whether one of them tags it. Tags that are
    /// used up go.
    fn continue_tags(&mut self, flow: &mut Flow, p: &PktRef<'_>, ts: Timestamp) -> bool {
        let len = p.frame.len();
        let mut tagged = false;
        if let Some(fd) = detect_of(&mut flow.detect)
            && !fd.tags.is_empty()
        {
            fd.tags.retain_mut(|t| {
                let live = t.next(ts.secs, len);
                tagged |= live;
                live
            });
        }
        if !self.host_tags.is_empty()
            && let Some(ip) = p.decoded.ip
        {
            for addr in [ip.src, ip.dst] {
                if let Some(t) = self.host_tags.get_mut(&addr) {
                    if t.next(ts.secs, len) {
                        tagged = true;
                    } else {
                        self.host_tags.remove(&addr);
                    }
                }
            }
        }
        tagged
    }

    /// Starts a tag from an alert on packet `p`.
    fn start_tag(&mut self, flow: &mut Flow, p: &PktRef<'_>, ts: Timestamp, spec: TagSpec) {
        let state = TagState::new(spec, ts.secs, p.frame.len());
        match spec.host_dst {
            None => {
                if let Some(fd) = detect_of(&mut flow.detect)
                    && fd.tags.len() < vigil_detect::state::MAX_TAGS_PER_FLOW
                {
                    fd.tags.push(state);
                }
            }
            Some(dst) => {
                let Some(ip) = p.decoded.ip else { return };
                let addr = if dst { ip.dst } else { ip.src };
                if self.host_tags.len() < MAX_HOST_TAGS || self.host_tags.contains_key(&addr) {
                    self.host_tags.insert(addr, state);
                }
            }
        }
    }

    /// Writes the alerts of one packet: in rule order (a rule matching
    /// several transactions: newest first), at most
    /// [`MAX_ALERTS_PER_PACKET`] as Suricata's `packet-alert-max`.
    fn flush_alerts(
        &mut self,
        flow: &mut Flow,
        ts: Timestamp,
        pcap_cnt: Option<u64>,
        p: &PktRef<'_>,
        stream: Option<&[u8]>,
    ) {
        if self.pending.is_empty() {
            self.release_held(flow);
            return;
        }
        let (Some(opts), Some(det)) = (self.options.detect.as_ref(), self.detector.as_ref()) else {
            self.pending.clear();
            self.release_held(flow);
            return;
        };
        // A request snapshot is logged as its transaction is now (with the
        // response parsed so far), as Suricata logs it at the alert.
        let current: Vec<Option<Box<dyn Transaction>>> = match app_of(&mut flow.app) {
            Some(app) => self
                .held
                .iter()
                .map(|h| h.tx.inspect_only().then(|| app.tx_state(h.tx_id)).flatten())
                .collect(),
            None => Vec::new(),
        };
        let held = &self.held;
        let tx_of = |i: Option<usize>| i.and_then(|i| held.get(i)).map(|h| h.tx_id);
        self.pending
            .sort_by_key(|(a, i)| (a.sig, std::cmp::Reverse(tx_of(*i))));
        self.pending.truncate(MAX_ALERTS_PER_PACKET);
        flow.alerted = true;
        for (a, i) in &self.pending {
            let tx = i.and_then(|i| {
                let h = held.get(i)?;
                let view = current.get(i).and_then(|c| c.as_deref());
                Some((view.unwrap_or(h.tx.as_ref()), h.tx_id))
            });
            let ctx = AlertContext {
                ts,
                pcap_cnt,
                decoded: p.decoded,
                frame: p.frame,
                payload: p.payload,
                flow: Some(flow),
                to_server: Some(p.dir == Direction::ToServer),
                tx,
                stream: stream.filter(|_| a.stream),
            };
            vigil_detect::write_alert(&mut self.out, det.engine(), a, &ctx, &opts.alert);
            self.alert_records += 1;
        }
        self.pending.clear();
        self.release_held(flow);
    }

    /// At flow end: inspects the raw stream data not inspected yet, on a
    /// pseudo packet per direction (no `pcap_cnt`, as Suricata's).
    fn inspect_stream_end(&mut self, flow: &mut Flow, now: Timestamp) {
        if self.detector.is_none() || flow.proto != 6 || flow.tcp.is_none() {
            return;
        }
        for dir in [Direction::ToServer, Direction::ToClient] {
            let pending = flow
                .detect
                .as_ref()
                .and_then(|d| d.downcast_ref::<FlowDetect>())
                .is_some_and(|d| d.raw[dir.index()].end() > d.raw[dir.index()].progress);
            if !pending {
                continue;
            }
            let decoded = pseudo_decoded(flow, dir);
            let Some(det) = self.detector.as_mut() else {
                return;
            };
            let mut chunk = std::mem::take(&mut self.chunk);
            let have = match detect_of(&mut flow.detect) {
                Some(fd) => {
                    let raw = &mut fd.raw[dir.index()];
                    let end = raw.end();
                    raw.take(end, 0, &mut chunk)
                }
                None => false,
            };
            if have {
                let p = PktRef::pseudo(&decoded, dir);
                let dpkt = detect_packet(&p, flow, now, None);
                let mut alerts = std::mem::take(&mut self.alerts);
                alerts.clear();
                det.packet(
                    &dpkt,
                    detect_of(&mut flow.detect),
                    Some(chunk.as_slice()),
                    &mut alerts,
                );
                alerts.retain(|a| a.stream);
                self.pending.extend(alerts.drain(..).map(|a| (a, None)));
                self.alerts = alerts;
                self.flush_alerts(flow, now, None, &p, Some(chunk.as_slice()));
            }
            self.chunk = chunk;
        }
    }
}

/// Writes the EVE record of one application transaction.
fn write_tx_record(
    out: &mut Vec<u8>,
    flow: &Flow,
    tx: &dyn Transaction,
    tx_id: u64,
    ts: Timestamp,
    pcap_cnt: Option<u64>,
) {
    let ports = matches!(flow.proto, 6 | 17 | 132).then_some((flow.src_port, flow.dst_port));
    let endpoints = match tx.log_direction() {
        Direction::ToServer => Endpoints {
            src: flow.src,
            dst: flow.dst,
            ports,
            proto: flow.proto,
        },
        Direction::ToClient => Endpoints {
            src: flow.dst,
            dst: flow.src,
            ports: ports.map(|(s, d)| (d, s)),
            proto: flow.proto,
        },
    };
    let mut w = JsonWriter::new(out);
    EveHeader {
        timestamp: ts,
        flow_id: Some(flow.flow_id),
        pcap_cnt,
        event_type: tx.event_type(),
        vlan: flow.vlans(),
        endpoints: Some(endpoints),
    }
    .write_open_with_parent(&mut w, flow.parent_id);
    w.string(
        "pkt_src",
        vigil_detect::alert::packet_source(pcap_cnt, Some(flow)),
    );
    if tx.logs_tx_id() {
        w.uint("tx_id", tx_id);
    }
    tx.write_eve(&mut w);
    w.close_object();
    out.push(b'\n');
}

/// Writes an `anomaly` record of type `applayer`.
///
/// Suricata orients these records by the packet being processed
/// (`packet_dir`: the datagram, or for TCP the packet whose acknowledgement
/// released the data); at flow end, by the flow.
fn write_app_anomaly(
    out: &mut Vec<u8>,
    flow: &Flow,
    ev: &vigil_proto::AppEvent,
    ts: Timestamp,
    pcap_cnt: Option<u64>,
    packet_dir: Option<Direction>,
) {
    let mut w = JsonWriter::new(out);
    anomaly_header(flow, ts, pcap_cnt, packet_dir).write_open_with_parent(&mut w, flow.parent_id);
    w.string("pkt_src", "wire/pcap");
    // Suricata logs transaction events with the transaction's id and
    // without the top-level app_proto.
    match ev.tx_id {
        Some(id) => w.uint("tx_id", id),
        None => w.string("app_proto", ev.proto.name()),
    }
    w.open_object_key("anomaly");
    w.string("app_proto", ev.proto.name());
    w.string("type", "applayer");
    w.string("event", ev.name);
    w.string("layer", "proto_parser");
    w.close_object();
    w.close_object();
    out.push(b'\n');
}

/// The header of an `anomaly` record about `flow`, oriented by the packet
/// being processed (at flow end, by the flow).
fn anomaly_header(
    flow: &Flow,
    ts: Timestamp,
    pcap_cnt: Option<u64>,
    packet_dir: Option<Direction>,
) -> EveHeader<'_> {
    let ports = matches!(flow.proto, 6 | 17 | 132).then_some((flow.src_port, flow.dst_port));
    let endpoints = if packet_dir == Some(Direction::ToClient) {
        Endpoints {
            src: flow.dst,
            dst: flow.src,
            ports: ports.map(|(s, d)| (d, s)),
            proto: flow.proto,
        }
    } else {
        Endpoints {
            src: flow.src,
            dst: flow.dst,
            ports,
            proto: flow.proto,
        }
    };
    EveHeader {
        timestamp: ts,
        flow_id: Some(flow.flow_id),
        pcap_cnt,
        event_type: "anomaly",
        vlan: flow.vlans(),
        endpoints: Some(endpoints),
    }
}

/// Writes an `anomaly` record of a protocol-detection event (layer
/// `proto_detect`): a packet event, so without `tx_id` or top-level
/// `app_proto`; the flow's protocol, when known, inside.
fn write_detect_anomaly(
    out: &mut Vec<u8>,
    flow: &Flow,
    ev: &vigil_proto::DetectEvent,
    ts: Timestamp,
    pcap_cnt: Option<u64>,
    packet_dir: Option<Direction>,
) {
    let mut w = JsonWriter::new(out);
    anomaly_header(flow, ts, pcap_cnt, packet_dir).write_open_with_parent(&mut w, flow.parent_id);
    w.string("pkt_src", "wire/pcap");
    w.open_object_key("anomaly");
    if let Some(p) = ev.proto {
        w.string("app_proto", p.name());
    }
    w.string("type", "applayer");
    w.string("event", ev.name);
    w.string("layer", "proto_detect");
    w.close_object();
    w.close_object();
    out.push(b'\n');
}

/// Writes one `anomaly` record (type `stream`) per TCP stream event.
fn write_stream_anomalies(
    out: &mut Vec<u8>,
    decoded: &Decoded,
    ts: Timestamp,
    pcap_cnt: u64,
    events: &StreamEvents,
    count: &mut u64,
) {
    for event in events.iter() {
        write_anomaly(out, decoded, ts, pcap_cnt, "stream", event.name());
        *count += 1;
    }
}

/// Writes one `anomaly` record (type `decode`) per decoder event.
fn write_anomalies(
    out: &mut Vec<u8>,
    decoded: &Decoded,
    ts: Timestamp,
    pcap_cnt: u64,
    count: &mut u64,
) {
    for event in decoded.events.iter() {
        write_anomaly(out, decoded, ts, pcap_cnt, "decode", event.name());
        *count += 1;
    }
}

/// Writes one `anomaly` record about the packet `decoded`.
fn write_anomaly(
    out: &mut Vec<u8>,
    decoded: &Decoded,
    ts: Timestamp,
    pcap_cnt: u64,
    kind: &str,
    event: &str,
) {
    let endpoints = Endpoints::of_packet(decoded);
    let mut w = JsonWriter::new(out);
    EveHeader {
        timestamp: ts,
        flow_id: None,
        pcap_cnt: Some(pcap_cnt),
        event_type: "anomaly",
        vlan: decoded.vlans(),
        endpoints,
    }
    .write_open(&mut w);
    w.string("pkt_src", "wire/pcap");
    w.open_object_key("anomaly");
    w.string("type", kind);
    w.string("event", event);
    w.close_object();
    w.close_object();
    out.push(b'\n');
}
