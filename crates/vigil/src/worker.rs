//! A worker: owns its flows, defragmenter, stream memory and application
//! state, and turns the packets it is given into EVE records. Nothing here
//! is shared with other workers, so the per-packet path takes no lock.

use crate::output::EveQueue;
use crate::stats::DecoderCounters;
use vigil_eve::{Endpoints, EveHeader, JsonWriter};
use vigil_flow::defrag::{DefragConfig, DefragOutcome, DefragStats, Defragmenter};
use vigil_flow::eve::{FlowRecordOptions, write_flow_record};
use vigil_flow::tcp::{StreamEvents, StreamMemory, StreamSink, TcpStats};
use vigil_flow::{Direction, EndReason, Flow, FlowConfig, FlowEndSink, FlowStats, FlowTable};
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
}

/// Flush the EVE buffer to the writer beyond this size.
const OUT_FLUSH: usize = 256 * 1024;

/// Feeds reassembled TCP data to a flow's application state.
struct AppSink<'a> {
    app: Option<&'a mut AppState>,
    out: &'a mut ParseOutput,
}

impl StreamSink for AppSink<'_> {
    fn on_data(&mut self, dir: Direction, data: &[u8]) {
        if let Some(app) = self.app.as_deref_mut() {
            app.on_stream(dir, data, self.out);
        }
    }
    fn on_gap(&mut self, dir: Direction, len: u64) {
        if let Some(app) = self.app.as_deref_mut() {
            app.on_gap(dir, len, self.out);
        }
    }
}

/// The application state stored in a flow, if any.
fn app_of(flow_app: &mut Option<Box<dyn std::any::Any + Send>>) -> Option<&mut AppState> {
    flow_app.as_mut().and_then(|a| a.downcast_mut::<AppState>())
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
    fn drain_app_output(&mut self, flow: &mut Flow, ts: Timestamp, pcap_cnt: Option<u64>) {
        if self.parse_out.is_empty() {
            return;
        }
        let mut txs = std::mem::take(&mut self.parse_out.txs);
        for tx in txs.drain(..) {
            let tx_id = match tx.tx_id() {
                Some(id) => id,
                None => app_of(&mut flow.app).map_or(0, |a| a.next_tx_id()),
            };
            let wanted = match &self.options.app_record_types {
                None => true,
                Some(types) => types.iter().any(|t| t == tx.event_type()),
            };
            if wanted {
                write_tx_record(&mut self.out, flow, tx.as_ref(), tx_id, ts, pcap_cnt);
                self.app_records += 1;
            }
        }
        // Hand the (empty) allocation back for reuse.
        self.parse_out.txs = txs;
        let events = std::mem::take(&mut self.parse_out.events);
        if self.options.log_app_anomalies {
            for ev in &events {
                write_app_anomaly(&mut self.out, flow, ev, ts, pcap_cnt);
                self.anomaly_records += 1;
            }
        }
        self.parse_out.events = events;
        self.parse_out.events.clear();
        self.flush_if_full();
    }
}

impl FlowEndSink for Emitter {
    fn flow_ended(&mut self, flow: &mut Flow, reason: EndReason, now: Timestamp) {
        {
            let Flow { tcp, app, .. } = flow;
            let mut sink = AppSink {
                app: app_of(app),
                out: &mut self.parse_out,
            };
            if let Some(session) = tcp.as_mut() {
                session.finish(&mut self.stream_mem, &mut sink);
            }
            if let Some(app) = sink.app {
                app.finish(sink.out);
            }
        }
        if let Some(app) = app_of(&mut flow.app) {
            flow.app_proto = app.app_proto_name();
        }
        self.drain_app_output(flow, now, None);
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
}

impl Worker {
    /// A worker writing to `queue`.
    pub fn new(options: WorkerOptions, queue: EveQueue) -> Worker {
        let mut queue = queue;
        let out = queue.buffer();
        Worker {
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
                options,
            },
        }
    }

    /// Processes one packet.
    pub fn process(&mut self, pkt: &PacketIn<'_>) {
        let ts = pkt.ts.max(self.last_ts);
        self.last_ts = ts;
        self.emit.pcap_cnt = pkt.pcap_cnt;
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

        if self.decoded.ip.is_some_and(|ip| ip.frag.is_some()) {
            let mut events = vigil_wire::EventList::default();
            let outcome = self.defrag.insert(ts, pkt.data, &self.decoded, &mut events);
            if let DefragOutcome::Reassembled(datagram) = outcome {
                decode_packet(LinkType::Raw, datagram, &mut self.reassembled);
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
        flow.app = Some(Box::new(AppState::new(
            t,
            flow.src_port,
            flow.dst_port,
            emit.options.detection,
        )));
    }
    {
        let Flow { tcp, app, .. } = &mut *flow;
        let app = app_of(app);
        match (decoded.transport, tcp.as_mut()) {
            (Transport::Tcp(info), Some(session)) => {
                let mut sink = AppSink {
                    app,
                    out: &mut emit.parse_out,
                };
                session.on_packet(
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
    flow.sync_tcp_state();
    if let Some(app) = app_of(&mut flow.app) {
        flow.app_proto = app.app_proto_name();
    }
    let pcap_cnt = emit.pcap_cnt;
    emit.drain_app_output(flow, ts, Some(pcap_cnt));
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
    .write_open(&mut w);
    w.string("pkt_src", "wire/pcap");
    if tx.logs_tx_id() {
        w.uint("tx_id", tx_id);
    }
    tx.write_eve(&mut w);
    w.close_object();
    out.push(b'\n');
}

/// Writes an `anomaly` record of type `applayer`.
fn write_app_anomaly(
    out: &mut Vec<u8>,
    flow: &Flow,
    ev: &vigil_proto::AppEvent,
    ts: Timestamp,
    pcap_cnt: Option<u64>,
) {
    let ports = matches!(flow.proto, 6 | 17 | 132).then_some((flow.src_port, flow.dst_port));
    let mut w = JsonWriter::new(out);
    EveHeader {
        timestamp: ts,
        flow_id: Some(flow.flow_id),
        pcap_cnt,
        event_type: "anomaly",
        vlan: flow.vlans(),
        endpoints: Some(Endpoints {
            src: flow.src,
            dst: flow.dst,
            ports,
            proto: flow.proto,
        }),
    }
    .write_open(&mut w);
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
    let endpoints = decoded.ip.map(|ip| {
        let ports = match decoded.transport {
            Transport::Tcp(t) => Some((t.src_port, t.dst_port)),
            Transport::Udp(u) => Some((u.src_port, u.dst_port)),
            Transport::Sctp { src_port, dst_port } => Some((src_port, dst_port)),
            // A port protocol whose header could not be read: Suricata
            // prints the ports as 0.
            _ if matches!(ip.proto, 6 | 17 | 132) => Some((0, 0)),
            _ => None,
        };
        Endpoints {
            src: ip.src,
            dst: ip.dst,
            ports,
            proto: ip.proto,
        }
    });
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
