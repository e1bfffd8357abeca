//! PPP (RFC 1661): the link type and the payload of PPPoE sessions and
//! PPTP's GRE. The HDLC address/control bytes (0xff 0x03) and the
//! protocol-field compression (a one-byte protocol) are both optional.

use crate::decode::Cx;
use crate::{DecodeEvent, Layer, ipv4, ipv6};

pub(crate) const PROTO_IP: u16 = 0x0021;
pub(crate) const PROTO_IPV6: u16 = 0x0057;
/// Van Jacobson uncompressed TCP/IP: an IPv4 header with the protocol field
/// replaced by a slot id.
pub(crate) const PROTO_VJ_UNCOMPRESSED: u16 = 0x002f;

/// Valid PPP protocols that are not decoded (Suricata's list): these raise
/// `ppp.unsup_proto`, anything else `ppp.wrong_type`.
const UNSUPPORTED: &[u16] = &[
    0x002d, // VJ compressed
    0x002b, // IPX
    0x0023, // OSI
    0x0025, // Xerox NS IDP
    0x0027, // DECnet
    0x0029, // AppleTalk
    0x0031, // bridging PDU
    0x0033, // Stream Protocol
    0x0035, // Banyan Vines
    0x0201, // 802.1d hello
    0x0231, // Luxcom
    0x0233, // Sigma Network Systems
    0x0281, // MPLS unicast
    0x0283, // MPLS multicast
    0x8021, // IPCP
    0x8023, // OSI CP
    0x8025, // NSCP
    0x8027, // DECnet CP
    0x8029, // AppleTalk CP
    0x802b, // IPX CP
    0x8033, // Stream CP
    0x8035, // Vines CP
    0x8057, // IPv6 CP
    0x8281, // MPLS CP
    0xc021, // LCP
    0xc023, // PAP
    0xc025, // LQR
    0xc223, // CHAP
];

/// Decodes a PPP frame (link type PPP, or tunnelled PPP).
pub(crate) fn decode(cx: &mut Cx, data: &[u8], base: usize) {
    cx.layer(Layer::Ppp);
    let Some(&first) = data.first() else {
        cx.event(DecodeEvent::PppPktTooSmall);
        return;
    };
    // 0xff: HDLC address and control fields before the protocol.
    let mut off = 0;
    if first == 0xff {
        off = 2;
        if data.len() < 3 {
            cx.event(DecodeEvent::PppPktTooSmall);
            return;
        }
    }
    let Some(&p0) = data.get(off) else {
        cx.event(DecodeEvent::PppPktTooSmall);
        return;
    };
    if p0 & 0x01 != 0 {
        // Compressed one-byte protocol field.
        let proto = u16::from(p0);
        let start = off + 1;
        match proto {
            PROTO_IP | PROTO_IPV6 | PROTO_VJ_UNCOMPRESSED => {
                decode_payload(cx, proto, data, start, base);
            }
            _ => cx.event(DecodeEvent::PppUnsupProto),
        }
        return;
    }
    let Some(&p1) = data.get(off + 1) else {
        cx.event(DecodeEvent::PppPktTooSmall);
        return;
    };
    decode_payload(cx, u16::from_be_bytes([p0, p1]), data, off + 2, base);
}

/// Decodes what follows a PPP protocol field (shared with PPPoE): `data`
/// holds the whole PPP frame and the network packet starts at `start`.
pub(crate) fn decode_payload(cx: &mut Cx, proto: u16, data: &[u8], start: usize, base: usize) {
    let rest = data.get(start..).unwrap_or(&[]);
    let rbase = base.saturating_add(start);
    match proto {
        PROTO_IP => {
            if rest.len() < ipv4::HEADER_LEN {
                cx.event(DecodeEvent::PppIpv4PktTooSmall);
                return;
            }
            ipv4::decode(cx, rest, rbase);
        }
        PROTO_IPV6 => {
            if rest.len() < ipv6::HEADER_LEN {
                cx.event(DecodeEvent::PppIpv6PktTooSmall);
                return;
            }
            ipv6::decode(cx, rest, rbase);
        }
        PROTO_VJ_UNCOMPRESSED => {
            if rest.len() < ipv4::HEADER_LEN {
                cx.event(DecodeEvent::PppVjuPktTooSmall);
                return;
            }
            if rest.first().is_some_and(|b| b >> 4 == 4) {
                ipv4::decode(cx, rest, rbase);
            }
        }
        p if UNSUPPORTED.contains(&p) => cx.event(DecodeEvent::PppUnsupProto),
        _ => cx.event(DecodeEvent::PppWrongType),
    }
}

#[cfg(test)]
mod tests {
    use crate::testutil::*;
    use crate::*;

    fn dec(frame: &[u8]) -> Decoded {
        let mut out = Decoded::default();
        decode_packet(LinkType::Ppp, frame, &mut out);
        out
    }

    #[test]
    fn ppp_variants() {
        let ip = ipv4_packet(17, &udp_packet(1, 2, b"ppp"));
        for prefix in [
            &[0xff, 0x03, 0x00, 0x21][..],
            &[0x00, 0x21],
            &[0x21],
            &[0xff, 0x03, 0x21],
        ] {
            let mut f = prefix.to_vec();
            f.extend_from_slice(&ip);
            let out = dec(&f);
            assert!(out.events.is_empty(), "{prefix:?}: {:?}", out.events);
            assert!(out.layers.has(Layer::Ppp));
            assert_eq!(out.ip.unwrap().header_offset, prefix.len());
            assert_eq!(out.payload(&f), b"ppp");
        }
        let mut f = vec![0xff, 0x03, 0x00, 0x57];
        f.extend_from_slice(&ipv6_packet(17, &udp_packet(1, 2, b"6")));
        assert_eq!(dec(&f).ip.unwrap().version, 6);
    }

    #[test]
    fn ppp_events() {
        assert!(dec(&[]).events.contains(DecodeEvent::PppPktTooSmall));
        assert!(
            dec(&[0xff, 0x03])
                .events
                .contains(DecodeEvent::PppPktTooSmall)
        );
        assert!(
            dec(&[0xff, 0x03, 0x00])
                .events
                .contains(DecodeEvent::PppPktTooSmall)
        );
        assert!(
            dec(&[0xc0, 0x21, 1, 2, 3])
                .events
                .contains(DecodeEvent::PppUnsupProto)
        );
        assert!(
            dec(&[0x12, 0x34, 1, 2, 3])
                .events
                .contains(DecodeEvent::PppWrongType)
        );
        assert!(
            dec(&[0x00, 0x21, 0x45, 0])
                .events
                .contains(DecodeEvent::PppIpv4PktTooSmall)
        );
        assert!(
            dec(&[0x00, 0x57, 0x60, 0])
                .events
                .contains(DecodeEvent::PppIpv6PktTooSmall)
        );
        assert!(
            dec(&[0x00, 0x2f, 0x45, 0])
                .events
                .contains(DecodeEvent::PppVjuPktTooSmall)
        );
        assert!(
            dec(&[0x2f, 0x45, 0])
                .events
                .contains(DecodeEvent::PppVjuPktTooSmall)
        );
        assert!(
            dec(&[0x23, 0x45, 0])
                .events
                .contains(DecodeEvent::PppUnsupProto)
        );
    }
}
