//! EVE `alert` records, in Suricata 7's layout.

use crate::engine::{Alert, Engine};
use vigil_eve::format::push_timestamp;
use vigil_eve::{Endpoints, EveHeader, JsonWriter};
use vigil_flow::Flow;
use vigil_proto::Transaction;
use vigil_wire::{Decoded, Timestamp, Transport};

/// What alert records carry besides the alert itself.
#[derive(Debug, Clone, Copy)]
pub struct AlertOptions {
    /// `payload` (base64 of the inspected data).
    pub payload: bool,
    /// `payload_printable`.
    pub payload_printable: bool,
    /// `packet` (base64 of the frame) and `packet_info`.
    pub packet: bool,
    /// The application record of the transaction (`http`, `dns`, ...).
    pub app_metadata: bool,
    /// The pcap link type number, for `packet_info`.
    pub linktype: u32,
    /// `tagged-packets`: packets tagged by a rule's `tag` get a `packet`
    /// record.
    pub tagged_packets: bool,
}

impl Default for AlertOptions {
    fn default() -> Self {
        AlertOptions {
            payload: false,
            payload_printable: false,
            packet: false,
            app_metadata: true,
            linktype: 1,
            tagged_packets: false,
        }
    }
}

/// The packet and context an alert fired on.
pub struct AlertContext<'a> {
    /// Packet time.
    pub ts: Timestamp,
    /// `pcap_cnt` (absent on flow-end inspection).
    pub pcap_cnt: Option<u64>,
    /// Decoded packet.
    pub decoded: &'a Decoded,
    /// Frame.
    pub frame: &'a [u8],
    /// Packet payload.
    pub payload: &'a [u8],
    /// The flow, when the packet has one.
    pub flow: Option<&'a Flow>,
    /// Packet direction relative to the flow.
    pub to_server: Option<bool>,
    /// The transaction and its id, for transaction alerts.
    pub tx: Option<(&'a dyn Transaction, u64)>,
    /// The stream chunk, for stream alerts.
    pub stream: Option<&'a [u8]>,
}

const B64: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

fn push_base64(out: &mut Vec<u8>, data: &[u8]) {
    for chunk in data.chunks(3) {
        let b = [
            chunk[0],
            chunk.get(1).copied().unwrap_or(0),
            chunk.get(2).copied().unwrap_or(0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        out.push(B64[(n >> 18) as usize & 63]);
        out.push(B64[(n >> 12) as usize & 63]);
        out.push(if chunk.len() > 1 {
            B64[(n >> 6) as usize & 63]
        } else {
            b'='
        });
        out.push(if chunk.len() > 2 {
            B64[n as usize & 63]
        } else {
            b'='
        });
    }
}

/// Suricata's `pkt_src`: a TCP flow-end inspection runs on a pseudo
/// packet (no `pcap_cnt`), which Suricata names after the flow timeout
/// that creates it (also at shutdown).
pub fn packet_source(pcap_cnt: Option<u64>, flow: Option<&Flow>) -> &'static str {
    if pcap_cnt.is_none() && flow.is_some_and(|f| f.proto == 6) {
        "stream (flow timeout)"
    } else {
        "wire/pcap"
    }
}

/// Appends one `alert` record (with its newline).
pub fn write_alert(
    out: &mut Vec<u8>,
    engine: &Engine,
    a: &Alert,
    ctx: &AlertContext<'_>,
    opts: &AlertOptions,
) {
    let Some(s) = engine.sigs.get(a.sig as usize) else {
        return;
    };
    // A link-layer message (GOOSE) has no IP header: the record then
    // carries the frame's MAC addresses instead of IP endpoints.
    let endpoints =
        Endpoints::of_packet(ctx.decoded).map(|e| if a.swapped { e.reversed() } else { e });
    let mut w = JsonWriter::new(out);
    EveHeader {
        timestamp: ctx.ts,
        flow_id: ctx.flow.map(|f| f.flow_id),
        pcap_cnt: ctx.pcap_cnt,
        event_type: "alert",
        vlan: ctx.decoded.vlans(),
        endpoints,
    }
    .write_open(&mut w);
    if let Transport::Icmpv4(i) | Transport::Icmpv6(i) = ctx.decoded.transport {
        w.uint("icmp_type", u64::from(i.icmp_type));
        w.uint("icmp_code", u64::from(i.code));
    }
    w.string("pkt_src", packet_source(ctx.pcap_cnt, ctx.flow));
    if endpoints.is_none()
        && let Some(e) = ctx.decoded.ether
    {
        w.open_object_key("ether");
        w.string_with("src_mac", |o| vigil_eve::format::push_mac(o, &e.src));
        w.string_with("dest_mac", |o| vigil_eve::format::push_mac(o, &e.dst));
        w.close_object();
    }
    if let Some((tx, id)) = ctx.tx
        && tx.alert_logs_tx_id()
    {
        w.uint("tx_id", id);
    }
    w.open_object_key("alert");
    w.string("action", "allowed");
    w.uint("gid", u64::from(s.gid));
    w.uint("signature_id", u64::from(s.sid));
    w.uint("rev", u64::from(s.rev));
    w.string("signature", &s.msg);
    w.string("category", &s.category);
    w.uint("severity", u64::from(s.priority));
    if let Some(src_is_target) = s.target
        && let Some(Endpoints {
            src, dst, ports, ..
        }) = endpoints
    {
        let (t, o) = if src_is_target {
            ((src, ports.map(|p| p.0)), (dst, ports.map(|p| p.1)))
        } else {
            ((dst, ports.map(|p| p.1)), (src, ports.map(|p| p.0)))
        };
        for (key, (addr, port)) in [("source", o), ("target", t)] {
            w.open_object_key(key);
            w.string_with("ip", |o| vigil_eve::format::push_ip(o, addr));
            if let Some(p) = port {
                w.uint("port", u64::from(p));
            }
            w.close_object();
        }
    }
    if !s.metadata.is_empty() {
        w.open_object_key("metadata");
        let mut keys: Vec<&str> = Vec::new();
        for (k, _) in &s.metadata {
            if !keys.contains(&k.as_str()) {
                keys.push(k);
            }
        }
        for k in keys {
            w.open_array_key(k);
            for (_, v) in s.metadata.iter().filter(|(kk, _)| kk == k) {
                w.array_string(v);
            }
            w.close_array();
        }
        w.close_object();
    }
    w.close_object();
    if opts.app_metadata
        && let Some((tx, _)) = ctx.tx
    {
        tx.write_eve(&mut w);
    }
    if ctx.flow.is_none()
        && endpoints.is_none()
        && let Some((tx, _)) = ctx.tx
    {
        w.string("app_proto", tx.event_type());
    }
    if let Some(f) = ctx.flow {
        if let Some(app) = f.app_proto {
            w.string("app_proto", app);
        }
        if let Some(ts) = ctx.to_server {
            let to_server = ts != a.swapped;
            w.string(
                "direction",
                if to_server { "to_server" } else { "to_client" },
            );
        }
        w.open_object_key("flow");
        w.uint("pkts_toserver", f.pkts[0]);
        w.uint("pkts_toclient", f.pkts[1]);
        w.uint("bytes_toserver", f.bytes[0]);
        w.uint("bytes_toclient", f.bytes[1]);
        w.string_with("start", |o| push_timestamp(o, f.start));
        w.string_with("src_ip", |o| vigil_eve::format::push_ip(o, f.src));
        w.string_with("dest_ip", |o| vigil_eve::format::push_ip(o, f.dst));
        if matches!(f.proto, 6 | 17 | 132) {
            w.uint("src_port", u64::from(f.src_port));
            w.uint("dest_port", u64::from(f.dst_port));
        }
        w.close_object();
    }
    let data: &[u8] = match ctx.stream {
        Some(s) if a.stream => s,
        _ => ctx.payload,
    };
    if opts.payload {
        w.string_with("payload", |o| push_base64(o, data));
    }
    if opts.payload_printable {
        let printable: Vec<u8> = data
            .iter()
            .map(|&b| {
                if b.is_ascii_graphic() || b == b' ' || b == b'\r' || b == b'\n' || b == b'\t' {
                    b
                } else {
                    b'.'
                }
            })
            .collect();
        w.bytes_as_string("payload_printable", &printable);
    }
    if opts.payload || opts.payload_printable {
        w.uint("stream", u64::from(a.stream));
    }
    if opts.packet {
        write_packet_fields(&mut w, ctx.frame, opts);
    }
    w.close_object();
    out.push(b'\n');
}

/// Appends the `packet` record of a packet a rule's `tag` follows (the
/// frame in base64, as Suricata's alert output writes tagged packets).
pub fn write_tagged_packet(out: &mut Vec<u8>, ctx: &AlertContext<'_>, opts: &AlertOptions) {
    let endpoints = Endpoints::of_packet(ctx.decoded);
    let mut w = JsonWriter::new(out);
    EveHeader {
        timestamp: ctx.ts,
        flow_id: ctx.flow.map(|f| f.flow_id),
        pcap_cnt: ctx.pcap_cnt,
        event_type: "packet",
        vlan: ctx.decoded.vlans(),
        endpoints,
    }
    .write_open(&mut w);
    w.string("pkt_src", "wire/pcap");
    write_packet_fields(&mut w, ctx.frame, opts);
    w.close_object();
    out.push(b'\n');
}

/// `packet` (the frame in base64) and `packet_info{linktype}`.
fn write_packet_fields(w: &mut JsonWriter<'_>, frame: &[u8], opts: &AlertOptions) {
    w.string_with("packet", |o| push_base64(o, frame));
    w.open_object_key("packet_info");
    w.uint("linktype", u64::from(opts.linktype));
    w.close_object();
}
