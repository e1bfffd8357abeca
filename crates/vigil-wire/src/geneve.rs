//! GENEVE (RFC 8926) on UDP port 6081.

use crate::decode::{Cx, Inner, ethertype, tunnel};
use crate::{DecodeEvent, Layer};

/// Suricata 7's default `decoder.geneve.ports`.
pub(crate) const PORT: u16 = 6081;
/// Version/option length, flags, protocol type, VNI, reserved.
const HEADER_LEN: usize = 8;

/// Decodes a GENEVE payload; false when it is not GENEVE (too short,
/// version not 0): the datagram stays plain UDP.
pub(crate) fn decode(cx: &mut Cx, data: &[u8], base: usize) -> bool {
    let Some(h) = data.first_chunk::<HEADER_LEN>() else {
        return false;
    };
    let hlen = HEADER_LEN + usize::from(h[0] & 0x3f) * 4;
    if data.len() < hlen || h[0] >> 6 != 0 {
        return false;
    }
    if !cx.enter_layer() {
        return true;
    }
    let inner = data.get(hlen..).unwrap_or(&[]);
    let ibase = base + hlen;
    match u16::from_be_bytes([h[2], h[3]]) {
        ethertype::IPV4 => tunnel(cx, Inner::Ipv4, Layer::Geneve, inner, ibase),
        ethertype::IPV6 => tunnel(cx, Inner::Ipv6, Layer::Geneve, inner, ibase),
        ethertype::TRANSPARENT_ETHERNET => tunnel(cx, Inner::Ethernet, Layer::Geneve, inner, ibase),
        ethertype::ARP => cx.layer(Layer::Geneve),
        _ => {
            cx.layer(Layer::Geneve);
            cx.event(DecodeEvent::GeneveUnknownPayloadType);
        }
    }
    true
}

#[cfg(test)]
mod tests {
    use crate::testutil::*;
    use crate::*;

    fn geneve(proto: u16, opts: &[u8], inner: &[u8]) -> Vec<u8> {
        let mut g = vec![(opts.len() / 4) as u8, 0];
        g.extend_from_slice(&proto.to_be_bytes());
        g.extend_from_slice(&[0, 0, 42, 0]);
        g.extend_from_slice(opts);
        g.extend_from_slice(inner);
        g
    }

    #[test]
    fn geneve_ethernet_and_ip() {
        let inner = eth_frame(0x0800, &ipv4_packet(17, &udp_packet(7, 8, b"g")));
        let pkt = ipv4_packet(17, &udp_packet(1, 6081, &geneve(0x6558, &[0; 8], &inner)));
        let mut out = Decoded::default();
        decode_packet(LinkType::Ipv4, &pkt, &mut out);
        assert!(out.events.is_empty(), "{:?}", out.events);
        assert!(out.layers.has(Layer::Geneve));
        assert_eq!(out.tunnel_depth, 1);
        assert_eq!(out.payload(&pkt), b"g");

        let pkt = ipv4_packet(
            17,
            &udp_packet(
                1,
                6081,
                &geneve(0x86dd, &[], &ipv6_packet(17, &udp_packet(7, 8, b"6"))),
            ),
        );
        decode_packet(LinkType::Ipv4, &pkt, &mut out);
        assert_eq!(out.ip.unwrap().version, 6);
        assert_eq!(out.payload(&pkt), b"6");

        let pkt = ipv4_packet(17, &udp_packet(1, 6081, &geneve(0x1234, &[], &[0; 30])));
        decode_packet(LinkType::Ipv4, &pkt, &mut out);
        assert!(out.events.contains(DecodeEvent::GeneveUnknownPayloadType));
        assert_eq!(out.tunnel_depth, 0);

        // Options longer than the datagram: plain UDP.
        let mut g = geneve(0x0800, &[], &[]);
        g[0] = 0x3f;
        let pkt = ipv4_packet(17, &udp_packet(1, 6081, &g));
        decode_packet(LinkType::Ipv4, &pkt, &mut out);
        assert!(out.events.is_empty());
        assert!(!out.layers.has(Layer::Geneve));
    }
}
