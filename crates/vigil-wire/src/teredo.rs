//! Teredo (RFC 4380): IPv6 in UDP on port 3544, optionally behind an origin
//! indication. There is no Teredo header to check, so like Suricata the
//! payload is taken as Teredo only when it is an IPv6 packet whose payload
//! length matches the datagram exactly.

use crate::Layer;
use crate::decode::{Cx, Inner, tunnel};
use crate::ipv6;

/// Suricata 7's default `decoder.teredo.ports`.
pub(crate) const PORT: u16 = 3544;
/// Origin indication: 0x0000, port, address.
const ORIGIN_INDICATION_LEN: usize = 8;

/// Decodes a Teredo payload; false when it is not Teredo.
pub(crate) fn decode(cx: &mut Cx, data: &[u8], base: usize) -> bool {
    if data.len() < ipv6::HEADER_LEN {
        return false;
    }
    let mut start = 0;
    if data.first() == Some(&0) {
        // Only an origin indication can precede a tunnelled packet;
        // authentication (0x0001) is qualification traffic.
        if data.get(1) != Some(&0) || data.len() < ORIGIN_INDICATION_LEN + ipv6::HEADER_LEN {
            return false;
        }
        start = ORIGIN_INDICATION_LEN;
    }
    let inner = data.get(start..).unwrap_or(&[]);
    let Some(h) = inner.first_chunk::<{ ipv6::HEADER_LEN }>() else {
        return false;
    };
    let plen = usize::from(u16::from_be_bytes([h[4], h[5]]));
    if h[0] >> 4 != 6 || inner.len() != ipv6::HEADER_LEN + plen {
        return false;
    }
    tunnel(cx, Inner::Ipv6, Layer::Teredo, inner, base + start);
    true
}

#[cfg(test)]
mod tests {
    use crate::testutil::*;
    use crate::*;

    #[test]
    fn teredo_with_and_without_origin_indication() {
        let v6 = ipv6_packet(17, &udp_packet(10, 20, b"teredo"));
        let pkt = ipv4_packet(17, &udp_packet(3544, 50000, &v6));
        let mut out = Decoded::default();
        decode_packet(LinkType::Ipv4, &pkt, &mut out);
        assert!(out.layers.has(Layer::Teredo));
        assert_eq!(out.tunnel_depth, 1);
        assert_eq!(out.ip.unwrap().version, 6);
        assert_eq!(out.payload(&pkt), b"teredo");

        let mut oi = vec![0, 0, 1, 2, 3, 4, 5, 6];
        oi.extend_from_slice(&v6);
        let pkt = ipv4_packet(17, &udp_packet(50000, 3544, &oi));
        decode_packet(LinkType::Ipv4, &pkt, &mut out);
        assert_eq!(out.ip.unwrap().header_offset, 20 + 8 + 8);

        // Length mismatch: not Teredo, plain UDP.
        let mut bad = v6.clone();
        bad.push(0);
        let pkt = ipv4_packet(17, &udp_packet(3544, 1, &bad));
        decode_packet(LinkType::Ipv4, &pkt, &mut out);
        assert_eq!(out.tunnel_depth, 0);
        assert!(matches!(out.transport, Transport::Udp(_)));
        // Authentication indicator: not a tunnel.
        let mut auth = vec![0, 1, 0, 0, 0, 0, 0, 0];
        auth.extend_from_slice(&v6);
        let pkt = ipv4_packet(17, &udp_packet(3544, 1, &auth));
        decode_packet(LinkType::Ipv4, &pkt, &mut out);
        assert_eq!(out.tunnel_depth, 0);
    }
}
