//! The EVE `flow` record, in Suricata 7's layout.

use crate::community_id::{CommunityPorts, community_id_v1};
use crate::table::{EndReason, Flow};
use vigil_eve::format::{push_hex_byte, push_timestamp};
use vigil_eve::{Endpoints, EveHeader, JsonWriter};
use vigil_wire::{Timestamp, tcp_flags};

/// Options of the flow record.
#[derive(Clone, Copy, Debug)]
pub struct FlowRecordOptions {
    /// Add `community_id` (with this seed) when set.
    pub community_id_seed: Option<u16>,
}

fn has_ports(proto: u8) -> bool {
    matches!(proto, 6 | 17 | 132)
}

/// Appends one `flow` record (a JSON line with its newline) for `flow`,
/// ended at `now` for `reason`.
pub fn write_flow_record(
    out: &mut Vec<u8>,
    flow: &Flow,
    reason: EndReason,
    now: Timestamp,
    options: &FlowRecordOptions,
) {
    let mut w = JsonWriter::new(out);
    EveHeader {
        timestamp: now,
        flow_id: Some(flow.flow_id),
        pcap_cnt: None,
        event_type: "flow",
        vlan: flow.vlans(),
        endpoints: Some(Endpoints {
            src: flow.src,
            dst: flow.dst,
            ports: has_ports(flow.proto).then_some((flow.src_port, flow.dst_port)),
            proto: flow.proto,
        }),
    }
    .write_open_with_parent(&mut w, flow.parent_id);
    if matches!(flow.proto, 1 | 58) {
        if let Some((t, c)) = flow.icmp[0] {
            w.uint("icmp_type", u64::from(t));
            w.uint("icmp_code", u64::from(c));
        }
        if let Some((t, c)) = flow.icmp[1] {
            w.uint("response_icmp_type", u64::from(t));
            w.uint("response_icmp_code", u64::from(c));
        }
    }
    if flow.proto == 50 {
        w.uint("spi", u64::from(flow.spi));
    }
    for (key, value) in [
        ("app_proto", flow.app_proto),
        ("app_proto_ts", flow.app_proto_ts),
        ("app_proto_tc", flow.app_proto_tc),
        ("app_proto_orig", flow.app_proto_orig),
        ("app_proto_expected", flow.app_proto_expected),
    ] {
        if let Some(v) = value {
            w.string(key, v);
        }
    }
    w.open_object_key("flow");
    w.uint("pkts_toserver", flow.pkts[0]);
    w.uint("pkts_toclient", flow.pkts[1]);
    w.uint("bytes_toserver", flow.bytes[0]);
    w.uint("bytes_toclient", flow.bytes[1]);
    w.string_with("start", |o| push_timestamp(o, flow.start));
    w.string_with("end", |o| push_timestamp(o, flow.last));
    w.int("age", flow.last.secs_since(flow.start));
    w.string("state", flow.state.name());
    w.string("reason", reason.name());
    w.boolean("alerted", flow.alerted);
    w.close_object();
    if let Some(seed) = options.community_id_seed {
        let ports = if has_ports(flow.proto) {
            CommunityPorts::Ports(flow.src_port, flow.dst_port)
        } else if let (true, Some((t, c))) = (matches!(flow.proto, 1 | 58), flow.icmp[0]) {
            CommunityPorts::Icmp {
                icmp_type: t,
                code: c,
            }
        } else {
            CommunityPorts::None
        };
        let id = community_id_v1(seed, flow.src, flow.dst, flow.proto, ports);
        w.string("community_id", &id);
    }
    if flow.proto == 6 {
        let (ts, tc) = (flow.tcp_flags[0], flow.tcp_flags[1]);
        let all = ts | tc;
        w.open_object_key("tcp");
        w.string_with("tcp_flags", |o| push_hex_byte(o, all));
        w.string_with("tcp_flags_ts", |o| push_hex_byte(o, ts));
        w.string_with("tcp_flags_tc", |o| push_hex_byte(o, tc));
        for (bit, name) in [
            (tcp_flags::SYN, "syn"),
            (tcp_flags::FIN, "fin"),
            (tcp_flags::RST, "rst"),
            (tcp_flags::PSH, "psh"),
            (tcp_flags::ACK, "ack"),
            (tcp_flags::URG, "urg"),
            (tcp_flags::ECE, "ecn"),
            (tcp_flags::CWR, "cwr"),
        ] {
            if all & bit != 0 {
                w.boolean(name, true);
            }
        }
        if let Some(state) = flow.tcp_state()
            && state != crate::tcp::TcpState::None
        {
            w.string("state", state.name());
            // Suricata reports the most disjoint stream-buffer regions
            // seen per direction; vigil's reassembly keeps one ordered
            // buffer per direction, so this is always 1.
            w.uint("ts_max_regions", 1);
            w.uint("tc_max_regions", 1);
        }
        w.close_object();
    }
    w.close_object();
    out.push(b'\n');
}
