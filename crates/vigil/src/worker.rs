//! A worker: owns its flows, defragmenter and stream memory, and turns the
//! packets it is given into EVE records. Nothing here is shared with other
//! workers, so the per-packet path takes no lock.

use crate::output::EveQueue;
use crate::stats::DecoderCounters;
use vigil_eve::{Endpoints, EveHeader, JsonWriter};
use vigil_flow::defrag::{DefragConfig, DefragOutcome, DefragStats, Defragmenter};
use vigil_flow::eve::{FlowRecordOptions, write_flow_record};
use vigil_flow::tcp::{StreamEvents, StreamMemory, StreamSink, TcpStats};
use vigil_flow::{Direction, EndReason, Flow, FlowConfig, FlowEndSink, FlowStats, FlowTable};
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
    /// Stream events raised.
    pub stream_events: u64,
    /// Peak stream memory in use.
    pub stream_memory_peak: u64,
}

/// Stream consumer of this stage: data is counted only. The app-layer
/// plugs in here.
struct NullStream;

impl StreamSink for NullStream {
    fn on_data(&mut self, _dir: Direction, _data: &[u8]) {}
    fn on_gap(&mut self, _dir: Direction, _len: u64) {}
}

/// Ends flows: closes their TCP streams and writes the `flow` record.
struct FlowEnder<'a> {
    out: &'a mut Vec<u8>,
    queue: &'a mut EveQueue,
    options: &'a WorkerOptions,
    stream_mem: &'a mut StreamMemory,
    records: &'a mut u64,
}

impl FlowEndSink for FlowEnder<'_> {
    fn flow_ended(&mut self, flow: &mut Flow, reason: EndReason, now: Timestamp) {
        if let Some(session) = flow.tcp.as_mut() {
            session.finish(self.stream_mem, &mut NullStream);
        }
        if self.options.log_flows {
            // A timed-out flow is stamped with its deadline rather than the
            // packet that noticed it, so the record does not depend on which
            // worker saw which packet.
            let at = match reason {
                EndReason::Timeout => flow.deadline(&self.options.flow.timeouts).min(now),
                _ => now,
            };
            write_flow_record(self.out, flow, reason, at, &self.options.flow_record);
            *self.records += 1;
            // Many flows can end at once (shutdown, a burst of timeouts):
            // hand full buffers on rather than grow one without bound.
            if self.out.len() >= OUT_FLUSH {
                let full = std::mem::replace(self.out, self.queue.buffer());
                self.queue.send(full);
            }
        }
    }
}

/// A packet-processing worker.
pub struct Worker {
    options: WorkerOptions,
    flows: FlowTable,
    defrag: Defragmenter,
    stream_mem: StreamMemory,
    tcp_stats: TcpStats,
    decoded: Decoded,
    reassembled: Decoded,
    stream_events: StreamEvents,
    decoder: DecoderCounters,
    out: Vec<u8>,
    queue: EveQueue,
    last_ts: Timestamp,
    flow_records: u64,
    anomaly_records: u64,
    stream_event_count: u64,
    stream_memory_peak: u64,
}

/// Flush the EVE buffer to the writer beyond this size.
const OUT_FLUSH: usize = 256 * 1024;

impl Worker {
    /// A worker writing to `queue`.
    pub fn new(options: WorkerOptions, queue: EveQueue) -> Worker {
        let mut queue = queue;
        let out = queue.buffer();
        Worker {
            flows: FlowTable::new(options.flow.clone()),
            defrag: Defragmenter::new(options.defrag.clone()),
            stream_mem: StreamMemory::new(options.stream_memcap),
            tcp_stats: TcpStats::default(),
            decoded: Decoded::default(),
            reassembled: Decoded::default(),
            stream_events: StreamEvents::default(),
            decoder: DecoderCounters::default(),
            out,
            queue,
            last_ts: Timestamp::default(),
            flow_records: 0,
            anomaly_records: 0,
            stream_event_count: 0,
            stream_memory_peak: 0,
            options,
        }
    }

    /// Processes one packet.
    pub fn process(&mut self, pkt: &PacketIn<'_>) {
        let ts = pkt.ts.max(self.last_ts);
        self.last_ts = ts;
        {
            let mut ender = FlowEnder {
                out: &mut self.out,
                queue: &mut self.queue,
                options: &self.options,
                stream_mem: &mut self.stream_mem,
                records: &mut self.flow_records,
            };
            self.flows.advance(ts, &mut ender);
        }
        self.defrag.expire(ts);

        decode_packet(pkt.link, pkt.data, &mut self.decoded);
        self.decoder.count(&self.decoded, pkt.data.len());
        if self.options.log_decode_anomalies && !self.decoded.events.is_empty() {
            write_anomalies(
                &mut self.out,
                &self.decoded,
                ts,
                pkt.pcap_cnt,
                &mut self.anomaly_records,
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
                Self::flow_packet(
                    &mut self.flows,
                    &self.options,
                    &mut self.stream_mem,
                    &mut self.tcp_stats,
                    &mut self.stream_events,
                    &mut self.out,
                    &mut self.queue,
                    &mut self.flow_records,
                    ts,
                    &self.reassembled,
                    datagram,
                    // Suricata's reassembled packet keeps the first
                    // fragment's link header.
                    self.decoded.ip.map_or(0, |ip| ip.header_offset)
                        + self.reassembled.flow_bytes(datagram.len()),
                );
            }
            if !events.is_empty() {
                for e in events.iter() {
                    if let Some(c) = self.decoder.events.get_mut(e as usize) {
                        *c += 1;
                    }
                }
                if self.options.log_decode_anomalies {
                    let mut carrier = self.decoded.clone();
                    carrier.events = events;
                    write_anomalies(
                        &mut self.out,
                        &carrier,
                        ts,
                        pkt.pcap_cnt,
                        &mut self.anomaly_records,
                    );
                }
            }
        } else {
            Self::flow_packet(
                &mut self.flows,
                &self.options,
                &mut self.stream_mem,
                &mut self.tcp_stats,
                &mut self.stream_events,
                &mut self.out,
                &mut self.queue,
                &mut self.flow_records,
                ts,
                &self.decoded,
                pkt.data,
                self.decoded.flow_bytes(pkt.data.len()),
            );
        }
        if self.options.log_stream_anomalies && !self.stream_events.is_empty() {
            write_stream_anomalies(
                &mut self.out,
                &self.decoded,
                ts,
                pkt.pcap_cnt,
                &self.stream_events,
                &mut self.anomaly_records,
            );
        }
        self.stream_event_count += self.stream_events.len() as u64;
        self.stream_events.clear();
        self.stream_memory_peak = self.stream_memory_peak.max(self.stream_mem.used as u64);
        if self.out.len() >= OUT_FLUSH {
            self.flush();
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn flow_packet(
        flows: &mut FlowTable,
        options: &WorkerOptions,
        stream_mem: &mut StreamMemory,
        tcp_stats: &mut TcpStats,
        stream_events: &mut StreamEvents,
        out: &mut Vec<u8>,
        queue: &mut EveQueue,
        flow_records: &mut u64,
        ts: Timestamp,
        decoded: &Decoded,
        frame: &[u8],
        flow_bytes: usize,
    ) {
        let mut ender = FlowEnder {
            out,
            queue,
            options,
            stream_mem,
            records: flow_records,
        };
        if let Some(outer) = &decoded.tunnel_udp {
            flows.outer_udp_packet(ts, outer, frame.len(), &mut ender);
        }
        let Some((flow, dir)) = flows.packet(ts, decoded, flow_bytes, &mut ender) else {
            return;
        };
        if let (Transport::Tcp(tcp), Some(session)) = (decoded.transport, flow.tcp.as_mut()) {
            let payload = decoded.payload(frame);
            session.on_packet(
                ts,
                dir,
                &tcp,
                payload,
                ender.stream_mem,
                &mut NullStream,
                stream_events,
            );
            let _ = tcp_stats;
            flow.sync_tcp_state();
        }
    }

    fn flush(&mut self) {
        if !self.out.is_empty() {
            let full = std::mem::replace(&mut self.out, self.queue.buffer());
            self.queue.send(full);
        }
    }

    /// Ends all flows at `now` (end of input), flushes output, and returns
    /// the counters.
    pub fn finish(mut self, now: Timestamp) -> WorkerReport {
        let now = now.max(self.last_ts);
        {
            let mut ender = FlowEnder {
                out: &mut self.out,
                queue: &mut self.queue,
                options: &self.options,
                stream_mem: &mut self.stream_mem,
                records: &mut self.flow_records,
            };
            self.flows.advance(now, &mut ender);
            self.flows.flush_all(now, &mut ender);
        }
        self.flush();
        WorkerReport {
            decoder: self.decoder.clone(),
            flow: self.flows.stats(),
            tcp: self.stream_mem.stats().clone(),
            defrag: self.defrag.stats().clone(),
            flow_records: self.flow_records,
            anomaly_records: self.anomaly_records,
            stream_events: self.stream_event_count,
            stream_memory_peak: self.stream_memory_peak,
        }
    }
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
    {
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
}
