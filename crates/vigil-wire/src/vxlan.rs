//! VXLAN (RFC 7348) on UDP port 4789: an Ethernet frame in UDP.

use crate::decode::{Cx, Inner, be16, tunnel};
use crate::ethernet;
use crate::{DecodeEvent, Layer};

/// Suricata 7's default `decoder.vxlan.ports`.
pub(crate) const PORT: u16 = 4789;
/// Flags (I bit), reserved, VNI, reserved.
const HEADER_LEN: usize = 8;

/// Decodes a VXLAN payload. Returns false when the header is not VXLAN's
/// (too short, I flag clear, reserved byte set): the datagram is plain UDP.
pub(crate) fn decode(cx: &mut Cx, data: &[u8], base: usize) -> bool {
    if data.len() < HEADER_LEN + ethernet::HEADER_LEN {
        return false;
    }
    let Some(h) = data.first_chunk::<HEADER_LEN>() else {
        return false;
    };
    if h[0] & 0x08 == 0 || h[7] != 0 {
        return false;
    }
    if !cx.enter_layer() {
        return true;
    }
    let inner = data.get(HEADER_LEN..).unwrap_or(&[]);
    let etype = be16(inner, 12).unwrap_or(0);
    match etype {
        0x0800 | 0x86dd | 0x0806 | 0x8100 | 0x88a8 | 0x9100 => {
            tunnel(cx, Inner::Ethernet, Layer::Vxlan, inner, base + HEADER_LEN);
        }
        _ => {
            cx.layer(Layer::Vxlan);
            cx.event(DecodeEvent::VxlanUnknownPayloadType);
        }
    }
    true
}

#[cfg(test)]
mod tests {
    use crate::testutil::*;
    use crate::*;

    #[test]
    fn vxlan_inner_tcp() {
        let inner_eth = eth_frame(
            0x0800,
            &ipv4_packet_addrs(
                6,
                &tcp_segment(1, 2, 2, &[], b"v"),
                [10, 1, 1, 1],
                [10, 1, 1, 2],
            ),
        );
        let frame = eth_frame(
            0x0800,
            &ipv4_packet(17, &udp_packet(40000, 4789, &vxlan(&inner_eth))),
        );
        let mut out = Decoded::default();
        decode_packet(LinkType::Ethernet, &frame, &mut out);
        assert!(out.events.is_empty(), "{:?}", out.events);
        assert!(out.layers.has(Layer::Vxlan));
        assert_eq!(out.tunnel_depth, 1);
        let ip = out.ip.unwrap();
        assert_eq!(ip.src, "10.1.1.1".parse::<std::net::IpAddr>().unwrap());
        assert_eq!(ip.header_offset, 14 + 20 + 8 + 8 + 14);
        assert!(matches!(out.transport, Transport::Tcp(_)));
        assert_eq!(out.payload(&frame), b"v");
        let outer = out.tunnel_outer.unwrap();
        assert_eq!(outer.proto, 17);
        // Outer MACs are the ones recorded.
        assert_eq!(out.ether.unwrap().dst, [0, 1, 2, 3, 4, 5]);
        // The outer UDP packet is kept for its own flow.
        let udp = out.tunnel_udp.unwrap();
        assert_eq!((udp.src_port, udp.dst_port), (40000, 4789));
        assert_eq!(out.tunnel_kind, Some(Layer::Vxlan));
        assert_eq!(out.flow_bytes(frame.len()), frame.len() - ip.header_offset);
    }

    #[test]
    fn vxlan_not_vxlan_stays_udp() {
        let inner_eth = eth_frame(0x0800, &ipv4_packet(17, &udp_packet(1, 2, b"")));
        let mut v = vxlan(&inner_eth);
        v[0] = 0; // I flag clear
        let frame = ipv4_packet(17, &udp_packet(1, 4789, &v));
        let mut out = Decoded::default();
        decode_packet(LinkType::Ipv4, &frame, &mut out);
        assert_eq!(out.tunnel_depth, 0);
        assert!(matches!(out.transport, Transport::Udp(u) if u.dst_port == 4789));
        assert!(!out.layers.has(Layer::Vxlan));
        // Source port 4789 only: not VXLAN.
        let frame = ipv4_packet(17, &udp_packet(4789, 1, &vxlan(&inner_eth)));
        decode_packet(LinkType::Ipv4, &frame, &mut out);
        assert_eq!(out.tunnel_depth, 0);
    }

    #[test]
    fn vxlan_unknown_payload_and_bad_inner() {
        let inner_eth = eth_frame(0x1234, &[0; 20]);
        let frame = ipv4_packet(17, &udp_packet(1, 4789, &vxlan(&inner_eth)));
        let mut out = Decoded::default();
        decode_packet(LinkType::Ipv4, &frame, &mut out);
        assert!(out.events.contains(DecodeEvent::VxlanUnknownPayloadType));
        assert!(matches!(out.transport, Transport::Udp(_)));
        // A truncated inner IPv4: outer UDP kept, inner event recorded.
        let inner_eth = eth_frame(0x0800, &[0x45, 0, 0, 40, 0, 0]);
        let frame = ipv4_packet(17, &udp_packet(1, 4789, &vxlan(&inner_eth)));
        decode_packet(LinkType::Ipv4, &frame, &mut out);
        assert!(out.events.contains(DecodeEvent::Ipv4PktTooSmall));
        assert_eq!(out.tunnel_depth, 0);
        assert!(out.tunnel_outer.is_none());
        assert!(out.tunnel_udp.is_none() && out.tunnel_kind.is_none());
        assert!(matches!(out.transport, Transport::Udp(_)));
        assert_eq!(out.ip.unwrap().header_offset, 0);
        assert_eq!(out.flow_bytes(frame.len()), frame.len());
    }
}
