//! ICMPv6 (RFC 4443 and the ND/MLD/... types): type/code checks like
//! Suricata's DecodeICMPV6, echo identifiers, and the quoted packet of
//! error messages.

use crate::decode::{Cx, be16, tail};
use crate::ipv6;
use crate::{DecodeEvent, EmbeddedTuple, IcmpInfo, Layer, Transport};
use std::net::{IpAddr, Ipv6Addr};

/// Type, code, checksum and the 4-byte rest-of-header.
const HEADER_LEN: usize = 8;

/// Decodes an ICMPv6 message; `data` is the upper-layer data of the IPv6
/// packet (whose hop limit the MLD checks read from `out.ip`).
pub(crate) fn decode(cx: &mut Cx, data: &[u8], base: usize) {
    cx.layer(Layer::Icmpv6);
    let Some(h) = data.first_chunk::<HEADER_LEN>() else {
        cx.event(DecodeEvent::Icmpv6PktTooSmall);
        return;
    };
    let (icmp_type, code) = (h[0], h[1]);
    let mut info = IcmpInfo {
        icmp_type,
        code,
        id: 0,
        seq: 0,
        embedded: None,
    };
    // Error and echo messages have an 8-byte header; for the others the
    // payload starts after type, code and checksum.
    let mut full_header = false;
    let mut unknown_code = false;
    match icmp_type {
        1..=4 => {
            // Highest code Suricata accepts per error type.
            let max = [6u8, 0, 1, 2]
                .get(usize::from(icmp_type) - 1)
                .copied()
                .unwrap_or(0);
            if code > max {
                unknown_code = true;
            } else {
                info.embedded = embedded(cx, tail(data, HEADER_LEN));
                full_header = true;
            }
        }
        128 | 129 => {
            if code != 0 {
                unknown_code = true;
            } else {
                info.id = u16::from_be_bytes([h[4], h[5]]);
                info.seq = u16::from_be_bytes([h[6], h[7]]);
                full_header = true;
            }
        }
        130..=132 => {
            // MLD messages must be sent with a hop limit of 1.
            unknown_code = code != 0;
            if cx.out.ip.is_some_and(|ip| ip.ttl != 1) {
                cx.event(DecodeEvent::Icmpv6MldMessageWithInvalidHl);
            }
        }
        138 => unknown_code = code > 2 && code != 255,
        139 | 140 => unknown_code = code > 2,
        133..=137 | 141..=149 | 154 | 156..=159 => unknown_code = code != 0,
        150..=153 => {}
        155 => unknown_code = (code > 3 && code < 128) || code > 132,
        100 | 101 | 200 | 201 => cx.event(DecodeEvent::Icmpv6ExperimentationType),
        5..=99 | 102..=126 | 160..=199 | 202..=255 => cx.event(DecodeEvent::Icmpv6UnassignedType),
        _ => cx.event(DecodeEvent::Icmpv6UnknownType),
    }
    if unknown_code {
        cx.event(DecodeEvent::Icmpv6UnknownCode);
    }
    cx.out.transport = Transport::Icmpv6(info);
    let start = if full_header { HEADER_LEN } else { 4 };
    cx.set_payload(base, start, data.len(), data.len());
}

/// Reads the quoted IPv6 header and first transport bytes of an error.
fn embedded(cx: &mut Cx, q: &[u8]) -> Option<EmbeddedTuple> {
    let Some(h) = q.first_chunk::<{ ipv6::HEADER_LEN }>() else {
        cx.event(DecodeEvent::Icmpv6Ipv6TruncPkt);
        return None;
    };
    if h[0] >> 4 != 6 {
        cx.event(DecodeEvent::Icmpv6Ipv6UnknownVer);
        return None;
    }
    let mut src = [0u8; 16];
    let mut dst = [0u8; 16];
    src.copy_from_slice(&h[8..24]);
    dst.copy_from_slice(&h[24..40]);
    let proto = h[6];
    let l4 = ipv6::HEADER_LEN;
    let (src_port, dst_port) = match proto {
        6 | 17 | 132 => (be16(q, l4).unwrap_or(0), be16(q, l4 + 2).unwrap_or(0)),
        _ => (0, 0),
    };
    Some(EmbeddedTuple {
        src: IpAddr::V6(Ipv6Addr::from(src)),
        dst: IpAddr::V6(Ipv6Addr::from(dst)),
        proto,
        src_port,
        dst_port,
    })
}

#[cfg(test)]
mod tests {
    use crate::testutil::*;
    use crate::*;
    use std::net::IpAddr;

    fn dec_hl(icmp: &[u8], hlim: u8) -> Decoded {
        let mut p = ipv6_packet(58, icmp);
        p[7] = hlim;
        let mut out = Decoded::default();
        decode_packet(LinkType::Ipv6, &p, &mut out);
        out
    }

    fn dec(icmp: &[u8]) -> Decoded {
        dec_hl(icmp, 64)
    }

    fn icmp_of(out: &Decoded) -> IcmpInfo {
        match out.transport {
            Transport::Icmpv6(i) => i,
            t => panic!("{t:?}"),
        }
    }

    #[test]
    fn echo_request_and_reply() {
        let out = dec(&[128, 0, 0, 0, 0x25, 0xf0, 0x75, 0x23, 1, 2]);
        assert!(out.events.is_empty());
        let i = icmp_of(&out);
        assert_eq!((i.icmp_type, i.code, i.id, i.seq), (128, 0, 9712, 29987));
        assert_eq!((out.payload_offset, out.payload_len), (48, 2));
        let out = dec(&[129, 0, 0, 0, 0, 1, 0, 2]);
        assert_eq!(icmp_of(&out).seq, 2);
        assert!(
            dec(&[128, 1, 0, 0, 0, 1, 0, 2])
                .events
                .contains(DecodeEvent::Icmpv6UnknownCode)
        );
    }

    #[test]
    fn errors_embed_tuples() {
        let orig = ipv6_packet(6, &tcp_segment(40001, 22, 2, &[], b""));
        let mut icmp = vec![1, 4, 0, 0, 0, 0, 0, 0];
        icmp.extend_from_slice(&orig[..48]);
        let out = dec(&icmp);
        assert!(out.events.is_empty(), "{:?}", out.events);
        let e = icmp_of(&out).embedded.unwrap();
        assert_eq!(e.src, "2001:db8::1".parse::<IpAddr>().unwrap());
        assert_eq!(e.dst, "2001:db8::2".parse::<IpAddr>().unwrap());
        assert_eq!((e.proto, e.src_port, e.dst_port), (6, 40001, 22));

        // Packet too big quoting UDP.
        let orig = ipv6_packet(17, &udp_packet(5000, 53, b""));
        let mut icmp = vec![2, 0, 0, 0, 0, 0, 5, 0];
        icmp.extend_from_slice(&orig);
        let e = icmp_of(&dec(&icmp)).embedded.unwrap();
        assert_eq!((e.proto, e.src_port, e.dst_port), (17, 5000, 53));
    }

    #[test]
    fn error_quote_events() {
        let out = dec(&[3, 0, 0, 0, 0, 0, 0, 0, 0x60, 0, 0]);
        assert!(out.events.contains(DecodeEvent::Icmpv6Ipv6TruncPkt));
        let mut icmp = vec![4, 0, 0, 0, 0, 0, 0, 0];
        icmp.extend_from_slice(&[0x45; 40]);
        assert!(
            dec(&icmp)
                .events
                .contains(DecodeEvent::Icmpv6Ipv6UnknownVer)
        );
        assert!(
            dec(&[1, 7, 0, 0, 0, 0, 0, 0])
                .events
                .contains(DecodeEvent::Icmpv6UnknownCode)
        );
        assert!(
            dec(&[4, 3, 0, 0, 0, 0, 0, 0])
                .events
                .contains(DecodeEvent::Icmpv6UnknownCode)
        );
    }

    #[test]
    fn informational_types() {
        // Neighbour solicitation: fine, payload after 4 bytes.
        let out = dec(&[135, 0, 0, 0, 0, 0, 0, 0, 1, 2, 3, 4]);
        assert!(out.events.is_empty());
        assert_eq!((out.payload_offset, out.payload_len), (44, 8));
        assert!(
            dec(&[135, 1, 0, 0, 0, 0, 0, 0])
                .events
                .contains(DecodeEvent::Icmpv6UnknownCode)
        );
        // MLD with hop limit != 1.
        assert!(
            dec(&[130, 0, 0, 0, 0, 0, 0, 0])
                .events
                .contains(DecodeEvent::Icmpv6MldMessageWithInvalidHl)
        );
        assert!(dec_hl(&[143, 0, 0, 0, 0, 0, 0, 0], 1).events.is_empty());
        assert!(dec_hl(&[131, 0, 0, 0, 0, 0, 0, 0], 1).events.is_empty());
        assert!(
            dec(&[50, 0, 0, 0, 0, 0, 0, 0])
                .events
                .contains(DecodeEvent::Icmpv6UnassignedType)
        );
        assert!(
            dec(&[200, 0, 0, 0, 0, 0, 0, 0])
                .events
                .contains(DecodeEvent::Icmpv6ExperimentationType)
        );
        assert!(
            dec(&[127, 0, 0, 0, 0, 0, 0, 0])
                .events
                .contains(DecodeEvent::Icmpv6UnknownType)
        );
        assert!(
            dec(&[0, 0, 0, 0, 0, 0, 0, 0])
                .events
                .contains(DecodeEvent::Icmpv6UnknownType)
        );
        for cut in 0..8 {
            let out = dec(&[128, 0, 0, 0, 0, 1, 0, 1][..cut]);
            assert!(out.events.contains(DecodeEvent::Icmpv6PktTooSmall));
        }
    }
}
