//! IEC 61850 GOOSE in the worker: GOOSE is carried in Ethernet frames, not
//! in flows, so a frame whose decoded EtherType payload is GOOSE is decoded
//! here, written as a `goose` record and checked by the worker's
//! [`GooseTracker`]. Non-IP frames all hash to the same worker, so one
//! publisher is always followed by one tracker (determinism with N workers).

use vigil_eve::{EveHeader, JsonWriter, format::push_mac};
use vigil_proto::ot::goose::{self, GooseEvent, GoosePdu, GooseTracker};
use vigil_wire::{Decoded, Timestamp};

/// GOOSE counters of one worker (`goose.*` in the stats record).
#[derive(Clone, Debug, Default)]
pub struct GooseStats {
    /// Frames with the GOOSE EtherType that decoded.
    pub pdus: u64,
    /// Frames with the GOOSE EtherType that did not.
    pub malformed: u64,
    /// Publishers followed at the end.
    pub publishers: u64,
    /// Publishers forgotten to bound the tracker's memory.
    pub publishers_evicted: u64,
}

impl GooseStats {
    /// Adds another worker's counters.
    pub fn merge(&mut self, other: &GooseStats) {
        self.pdus += other.pdus;
        self.malformed += other.malformed;
        self.publishers += other.publishers;
        self.publishers_evicted += other.publishers_evicted;
    }
}

/// Decodes, logs and tracks the GOOSE frames of one worker.
pub struct GooseLogger {
    tracker: GooseTracker,
    events: Vec<GooseEvent>,
    log_records: bool,
    log_anomalies: bool,
    pdus: u64,
    malformed: u64,
}

impl GooseLogger {
    /// A logger writing `goose` records and/or their `anomaly` records.
    pub fn new(log_records: bool, log_anomalies: bool) -> GooseLogger {
        GooseLogger {
            tracker: GooseTracker::default(),
            events: Vec::new(),
            log_records,
            log_anomalies,
            pdus: 0,
            malformed: 0,
        }
    }

    /// Handles `frame` when its EtherType payload is GOOSE: `inspect` runs
    /// the rules on a decoded PDU (writing its alerts first, as alerts come
    /// before the records of what they are about), then the records are
    /// appended to `out`; returns how many `goose` and `anomaly` records.
    pub fn frame(
        &mut self,
        out: &mut Vec<u8>,
        decoded: &Decoded,
        frame: &[u8],
        ts: Timestamp,
        pcap_cnt: u64,
        inspect: &mut dyn FnMut(&mut Vec<u8>, &GoosePdu<'_>),
    ) -> (u64, u64) {
        let Some(payload) = decoded
            .ether_payload
            .filter(|p| p.ethertype == goose::ETHERTYPE)
        else {
            return (0, 0);
        };
        let (mut records, mut anomalies) = (0, 0);
        self.events.clear();
        match goose::decode(payload.bytes(frame)) {
            Ok(pdu) => {
                self.pdus += 1;
                inspect(out, &pdu);
                if self.log_records {
                    let mut w = JsonWriter::new(out);
                    open_record(&mut w, decoded, ts, pcap_cnt, "goose");
                    pdu.write_eve(&mut w);
                    w.close_object();
                    out.push(b'\n');
                    records += 1;
                }
                let src = decoded.ether.map_or([0; 6], |e| e.src);
                self.tracker.observe(src, &pdu, ts, &mut self.events);
            }
            Err(e) => {
                self.malformed += 1;
                self.events.push(e.event());
            }
        }
        if self.log_anomalies {
            for ev in &self.events {
                write_anomaly(out, decoded, ts, pcap_cnt, ev.name());
                anomalies += 1;
            }
        }
        (records, anomalies)
    }

    /// The counters so far.
    pub fn stats(&self) -> GooseStats {
        GooseStats {
            pdus: self.pdus,
            malformed: self.malformed,
            publishers: self.tracker.len() as u64,
            publishers_evicted: self.tracker.evicted(),
        }
    }
}

/// Opens a record about a GOOSE frame: the common header (no IP fields),
/// `pkt_src` and Suricata's `ether` object.
fn open_record(
    w: &mut JsonWriter<'_>,
    decoded: &Decoded,
    ts: Timestamp,
    pcap_cnt: u64,
    event_type: &str,
) {
    EveHeader {
        timestamp: ts,
        flow_id: None,
        pcap_cnt: Some(pcap_cnt),
        event_type,
        vlan: decoded.vlans(),
        endpoints: None,
    }
    .write_open(w);
    w.string("pkt_src", "wire/pcap");
    if let Some(e) = decoded.ether {
        w.open_object_key("ether");
        w.string_with("src_mac", |o| push_mac(o, &e.src));
        w.string_with("dest_mac", |o| push_mac(o, &e.dst));
        w.close_object();
    }
}

/// Writes an `anomaly` record of type `applayer` for a GOOSE event, in the
/// style of the flow-based protocols' ones.
fn write_anomaly(out: &mut Vec<u8>, decoded: &Decoded, ts: Timestamp, pcap_cnt: u64, event: &str) {
    let mut w = JsonWriter::new(out);
    open_record(&mut w, decoded, ts, pcap_cnt, "anomaly");
    w.string("app_proto", "goose");
    w.open_object_key("anomaly");
    w.string("app_proto", "goose");
    w.string("type", "applayer");
    w.string("event", event);
    w.string("layer", "proto_parser");
    w.close_object();
    w.close_object();
    out.push(b'\n');
}
