//! The fields every EVE record starts with.

use crate::format::{push_ip, push_proto, push_timestamp};
use crate::json::JsonWriter;
use std::net::IpAddr;
use vigil_wire::Timestamp;

/// Addresses, ports and protocol of a record, already oriented (source is
/// the packet's sender, or the flow's initiator for flow records).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Endpoints {
    pub src: IpAddr,
    pub dst: IpAddr,
    /// Ports, or `None` for protocols without them (ICMP, ESP, ...).
    pub ports: Option<(u16, u16)>,
    pub proto: u8,
}

impl Endpoints {
    /// The packet's own addresses and ports (sender first), `None` without
    /// an IP layer. A port protocol whose header could not be read gets
    /// ports 0, as Suricata prints them.
    pub fn of_packet(decoded: &vigil_wire::Decoded) -> Option<Endpoints> {
        let ip = decoded.ip?;
        let ports = match decoded.transport {
            vigil_wire::Transport::Tcp(t) => Some((t.src_port, t.dst_port)),
            vigil_wire::Transport::Udp(u) => Some((u.src_port, u.dst_port)),
            vigil_wire::Transport::Sctp { src_port, dst_port } => Some((src_port, dst_port)),
            _ if matches!(ip.proto, 6 | 17 | 132) => Some((0, 0)),
            _ => None,
        };
        Some(Endpoints {
            src: ip.src,
            dst: ip.dst,
            ports,
            proto: ip.proto,
        })
    }

    /// The same endpoints seen from the other side.
    pub fn reversed(self) -> Endpoints {
        Endpoints {
            src: self.dst,
            dst: self.src,
            ports: self.ports.map(|(s, d)| (d, s)),
            proto: self.proto,
        }
    }
}

/// The common head of an EVE record, in Suricata's field order:
/// `timestamp, flow_id, pcap_cnt, event_type, vlan, src_ip, src_port,
/// dest_ip, dest_port, proto`.
#[derive(Clone, Copy, Debug)]
pub struct EveHeader<'a> {
    pub timestamp: Timestamp,
    pub flow_id: Option<u64>,
    pub pcap_cnt: Option<u64>,
    pub event_type: &'a str,
    pub vlan: &'a [u16],
    pub endpoints: Option<Endpoints>,
}

impl EveHeader<'_> {
    /// Opens the record object and writes the header fields; the caller
    /// writes the body and closes the object.
    pub fn write_open(&self, w: &mut JsonWriter<'_>) {
        self.write_open_with_parent(w, None);
    }

    /// As [`EveHeader::write_open`], with the flow's `parent_id` (the flow
    /// that announced it, e.g. an FTP data connection's control connection)
    /// after `flow_id` when set.
    pub fn write_open_with_parent(&self, w: &mut JsonWriter<'_>, parent_id: Option<u64>) {
        w.open_object();
        w.string_with("timestamp", |out| push_timestamp(out, self.timestamp));
        if let Some(id) = self.flow_id {
            w.uint("flow_id", id);
        }
        if let Some(id) = parent_id {
            w.uint("parent_id", id);
        }
        if let Some(cnt) = self.pcap_cnt {
            w.uint("pcap_cnt", cnt);
        }
        w.string("event_type", self.event_type);
        if !self.vlan.is_empty() {
            w.open_array_key("vlan");
            for &id in self.vlan {
                w.array_uint(u64::from(id));
            }
            w.close_array();
        }
        if let Some(ep) = self.endpoints {
            w.string_with("src_ip", |out| push_ip(out, ep.src));
            if let Some((sp, _)) = ep.ports {
                w.uint("src_port", u64::from(sp));
            }
            w.string_with("dest_ip", |out| push_ip(out, ep.dst));
            if let Some((_, dp)) = ep.ports {
                w.uint("dest_port", u64::from(dp));
            }
            w.string_with("proto", |out| push_proto(out, ep.proto));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::Ipv4Addr;

    #[test]
    fn header_field_order() {
        let mut buf = Vec::new();
        let mut w = JsonWriter::new(&mut buf);
        EveHeader {
            timestamp: Timestamp::new(1_468_449_727, 573_174_000),
            flow_id: Some(2_019_292_804_675_761),
            pcap_cnt: Some(7),
            event_type: "flow",
            vlan: &[1, 10],
            endpoints: Some(Endpoints {
                src: IpAddr::V4(Ipv4Addr::new(10, 16, 1, 11)),
                dst: IpAddr::V4(Ipv4Addr::new(82, 165, 177, 154)),
                ports: Some((54186, 80)),
                proto: 6,
            }),
        }
        .write_open(&mut w);
        w.close_object();
        assert_eq!(
            String::from_utf8(buf).unwrap(),
            r#"{"timestamp":"2016-07-13T22:42:07.573174+0000","flow_id":2019292804675761,"pcap_cnt":7,"event_type":"flow","vlan":[1,10],"src_ip":"10.16.1.11","src_port":54186,"dest_ip":"82.165.177.154","dest_port":80,"proto":"TCP"}"#
        );
    }
}
