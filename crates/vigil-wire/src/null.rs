//! BSD loopback link types: NULL (address family in host byte order, so
//! either order is accepted) and LOOP (network byte order).

use crate::decode::Cx;
use crate::{DecodeEvent, Layer, ipv4, ipv6};

const HEADER_LEN: usize = 4;
const AF_INET: u32 = 2;
/// AF_INET6 differs per OS: BSD, FreeBSD, Darwin, Linux, Solaris, Winsock.
const AF_INET6: [u32; 6] = [24, 28, 30, 10, 26, 23];

/// LINKTYPE_NULL: the capturing host's byte order.
pub(crate) fn decode_null(cx: &mut Cx, data: &[u8], base: usize) {
    decode(cx, data, base, u32::from_le_bytes);
}

/// LINKTYPE_LOOP: network byte order.
pub(crate) fn decode_loop(cx: &mut Cx, data: &[u8], base: usize) {
    decode(cx, data, base, u32::from_be_bytes);
}

fn decode(cx: &mut Cx, data: &[u8], base: usize, read: fn([u8; 4]) -> u32) {
    cx.layer(Layer::Null);
    let Some(h) = data.first_chunk::<HEADER_LEN>() else {
        cx.event(DecodeEvent::NullPktTooSmall);
        return;
    };
    let mut af = read(*h);
    if af > 0xffff {
        // Written by a host of the other byte order.
        af = af.swap_bytes();
    }
    let rest = data.get(HEADER_LEN..).unwrap_or(&[]);
    if af == AF_INET {
        ipv4::decode(cx, rest, base + HEADER_LEN);
    } else if AF_INET6.contains(&af) {
        ipv6::decode(cx, rest, base + HEADER_LEN);
    } else {
        cx.event(DecodeEvent::NullUnsupportedType);
    }
}

#[cfg(test)]
mod tests {
    use crate::testutil::*;
    use crate::*;

    #[test]
    fn null_both_byte_orders_and_loop() {
        let ip4 = ipv4_packet(17, &udp_packet(1, 2, b"lo"));
        let ip6 = ipv6_packet(17, &udp_packet(1, 2, b"lo6"));
        let mut out = Decoded::default();
        for (link, hdr, ip) in [
            (LinkType::Null, [2, 0, 0, 0], &ip4),
            (LinkType::Null, [0, 0, 0, 2], &ip4),
            (LinkType::Null, [24, 0, 0, 0], &ip6),
            (LinkType::Null, [0, 0, 0, 30], &ip6),
            (LinkType::Null, [28, 0, 0, 0], &ip6),
            (LinkType::Loop, [0, 0, 0, 2], &ip4),
            (LinkType::Loop, [0, 0, 0, 24], &ip6),
        ] {
            let mut f = hdr.to_vec();
            f.extend_from_slice(ip);
            decode_packet(link, &f, &mut out);
            assert!(out.events.is_empty(), "{hdr:?}: {:?}", out.events);
            assert!(out.layers.has(Layer::Null));
            assert_eq!(out.ip.unwrap().header_offset, 4);
            assert!(matches!(out.transport, Transport::Udp(_)));
        }
        let mut f = vec![7, 0, 0, 0];
        f.extend_from_slice(&ip4);
        decode_packet(LinkType::Null, &f, &mut out);
        assert!(out.events.contains(DecodeEvent::NullUnsupportedType));
        for cut in 0..4 {
            decode_packet(LinkType::Loop, &f[..cut], &mut out);
            assert!(out.events.contains(DecodeEvent::NullPktTooSmall));
        }
    }
}
