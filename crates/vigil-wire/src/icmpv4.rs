//! ICMPv4 (RFC 792): type/code checks like Suricata's DecodeICMPV4, echo
//! identifiers, and the quoted packet of error messages.

use crate::decode::{Cx, be16, tail};
use crate::{DecodeEvent, EmbeddedTuple, IcmpInfo, Layer, Transport};
use std::net::{IpAddr, Ipv4Addr};

/// Type, code, checksum and the 4-byte rest-of-header.
const HEADER_LEN: usize = 8;
/// Originate/receive/transmit timestamps after the header.
const TIMESTAMP_LEN: usize = 12;

mod ty {
    pub const ECHO_REPLY: u8 = 0;
    pub const DEST_UNREACH: u8 = 3;
    pub const SOURCE_QUENCH: u8 = 4;
    pub const REDIRECT: u8 = 5;
    pub const ECHO: u8 = 8;
    pub const ROUTER_ADVERT: u8 = 9;
    pub const TIME_EXCEEDED: u8 = 11;
    pub const PARAMETER_PROBLEM: u8 = 12;
    pub const TIMESTAMP: u8 = 13;
    pub const TIMESTAMP_REPLY: u8 = 14;
    pub const INFO_REQUEST: u8 = 15;
    pub const INFO_REPLY: u8 = 16;
    pub const ADDRESS: u8 = 17;
    pub const ADDRESS_REPLY: u8 = 18;
}

/// Decodes an ICMPv4 message; `data` is the IP payload.
pub(crate) fn decode(cx: &mut Cx, data: &[u8], base: usize) {
    cx.layer(Layer::Icmpv4);
    let Some(h) = data.first_chunk::<HEADER_LEN>() else {
        cx.event(DecodeEvent::Icmpv4PktTooSmall);
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
    let mut hlen = HEADER_LEN;
    let echo_like = |info: &mut IcmpInfo| {
        info.id = u16::from_be_bytes([h[4], h[5]]);
        info.seq = u16::from_be_bytes([h[6], h[7]]);
    };
    // Highest valid code of each error type (Suricata's limits).
    let error_max_code = match icmp_type {
        ty::DEST_UNREACH => Some(15),
        ty::SOURCE_QUENCH | ty::PARAMETER_PROBLEM => Some(0),
        ty::REDIRECT => Some(3),
        ty::TIME_EXCEEDED => Some(1),
        _ => None,
    };
    let mut unknown_code = false;
    match icmp_type {
        _ if error_max_code.is_some() => {
            if error_max_code.is_some_and(|max| code > max) {
                unknown_code = true;
            } else if data.len() > HEADER_LEN || icmp_type == ty::SOURCE_QUENCH {
                // Suricata also looks at an empty quote for source quench.
                info.embedded = embedded(cx, tail(data, HEADER_LEN));
            }
        }
        ty::ECHO_REPLY
        | ty::ECHO
        | ty::INFO_REQUEST
        | ty::INFO_REPLY
        | ty::ADDRESS
        | ty::ADDRESS_REPLY => {
            echo_like(&mut info);
            unknown_code = code != 0;
        }
        ty::TIMESTAMP | ty::TIMESTAMP_REPLY => {
            echo_like(&mut info);
            unknown_code = code != 0;
            if data.len() < HEADER_LEN + TIMESTAMP_LEN {
                cx.event(DecodeEvent::Icmpv4Ipv4TruncPkt);
            } else {
                hlen += TIMESTAMP_LEN;
            }
        }
        ty::ROUTER_ADVERT => {
            // Address count x entry size (in 32-bit words) of addresses.
            let adverts = usize::from(h[4]) * usize::from(h[5]) * 4;
            if data.len() < HEADER_LEN + adverts {
                cx.event(DecodeEvent::Icmpv4Ipv4TruncPkt);
            } else {
                hlen += adverts;
            }
        }
        _ => cx.event(DecodeEvent::Icmpv4UnknownType),
    }
    if unknown_code {
        cx.event(DecodeEvent::Icmpv4UnknownCode);
    }
    cx.out.transport = Transport::Icmpv4(info);
    cx.set_payload(base, hlen, data.len(), data.len());
}

/// Reads the quoted IPv4 header and first transport bytes of an error.
fn embedded(cx: &mut Cx, q: &[u8]) -> Option<EmbeddedTuple> {
    let Some(h) = q.first_chunk::<20>() else {
        cx.event(DecodeEvent::Icmpv4Ipv4TruncPkt);
        return None;
    };
    if h[0] >> 4 != 4 {
        cx.event(DecodeEvent::Icmpv4Ipv4UnknownVer);
        return None;
    }
    let proto = h[9];
    // Ports follow the quoted header's real length (Suricata assumes 20
    // bytes, which misreads quotes of packets that had IP options).
    let ihl = (usize::from(h[0] & 0x0f) * 4).max(20);
    let (src_port, dst_port) = match proto {
        6 | 17 | 132 => (be16(q, ihl).unwrap_or(0), be16(q, ihl + 2).unwrap_or(0)),
        _ => (0, 0),
    };
    Some(EmbeddedTuple {
        src: IpAddr::V4(Ipv4Addr::new(h[12], h[13], h[14], h[15])),
        dst: IpAddr::V4(Ipv4Addr::new(h[16], h[17], h[18], h[19])),
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

    fn dec(icmp: &[u8]) -> Decoded {
        let mut out = Decoded::default();
        decode_packet(LinkType::Ipv4, &ipv4_packet(1, icmp), &mut out);
        out
    }

    fn icmp_of(out: &Decoded) -> IcmpInfo {
        match out.transport {
            Transport::Icmpv4(i) => i,
            t => panic!("{t:?}"),
        }
    }

    #[test]
    fn echo_request() {
        let out = dec(&[8, 0, 0, 0, 0x12, 0x34, 0, 7, b'p', b'i', b'n', b'g']);
        assert!(out.events.is_empty());
        let i = icmp_of(&out);
        assert_eq!((i.icmp_type, i.code, i.id, i.seq), (8, 0, 0x1234, 7));
        assert!(i.embedded.is_none());
        assert_eq!(out.payload_len, 4);
        assert_eq!(out.payload_offset, 28);
    }

    #[test]
    fn dest_unreachable_embeds_udp_tuple() {
        let orig = ipv4_packet_addrs(
            17,
            &udp_packet(33434, 53, b"q"),
            [10, 0, 0, 5],
            [8, 8, 4, 4],
        );
        let out = dec(&icmp_error_v4(3, 3, &orig[..28]));
        assert!(out.events.is_empty(), "{:?}", out.events);
        let e = icmp_of(&out).embedded.unwrap();
        assert_eq!(e.src, "10.0.0.5".parse::<IpAddr>().unwrap());
        assert_eq!(e.dst, "8.8.4.4".parse::<IpAddr>().unwrap());
        assert_eq!((e.proto, e.src_port, e.dst_port), (17, 33434, 53));
    }

    #[test]
    fn time_exceeded_tcp_with_only_8_bytes_quoted() {
        let orig = ipv4_packet(6, &tcp_segment(1025, 443, 2, &[], b""));
        let out = dec(&icmp_error_v4(11, 0, &orig[..28]));
        let e = icmp_of(&out).embedded.unwrap();
        assert_eq!((e.proto, e.src_port, e.dst_port), (6, 1025, 443));
    }

    #[test]
    fn quoted_header_with_options() {
        let mut orig = vec![
            0x46, 0, 0, 40, 0, 0, 0, 0, 64, 17, 0, 0, 1, 2, 3, 4, 5, 6, 7, 8, 1, 1, 1, 0,
        ];
        orig.extend_from_slice(&udp_packet(1111, 2222, b""));
        let out = dec(&icmp_error_v4(3, 1, &orig));
        let e = icmp_of(&out).embedded.unwrap();
        assert_eq!((e.src_port, e.dst_port), (1111, 2222));
    }

    #[test]
    fn bad_quotes() {
        let out = dec(&icmp_error_v4(3, 1, &[0x45; 10]));
        assert!(out.events.contains(DecodeEvent::Icmpv4Ipv4TruncPkt));
        assert!(icmp_of(&out).embedded.is_none());
        let out = dec(&icmp_error_v4(12, 0, &[0x65; 28]));
        assert!(out.events.contains(DecodeEvent::Icmpv4Ipv4UnknownVer));
        // Source quench with nothing quoted.
        let out = dec(&[4, 0, 0, 0, 0, 0, 0, 0]);
        assert!(out.events.contains(DecodeEvent::Icmpv4Ipv4TruncPkt));
        // Destination unreachable with nothing quoted: no event.
        let out = dec(&[3, 0, 0, 0, 0, 0, 0, 0]);
        assert!(out.events.is_empty());
    }

    #[test]
    fn type_and_code_events() {
        assert!(
            dec(&[8, 1, 0, 0, 0, 0, 0, 0])
                .events
                .contains(DecodeEvent::Icmpv4UnknownCode)
        );
        assert!(
            dec(&[3, 16, 0, 0, 0, 0, 0, 0])
                .events
                .contains(DecodeEvent::Icmpv4UnknownCode)
        );
        assert!(
            dec(&[5, 4, 0, 0, 0, 0, 0, 0])
                .events
                .contains(DecodeEvent::Icmpv4UnknownCode)
        );
        assert!(
            dec(&[11, 2, 0, 0, 0, 0, 0, 0])
                .events
                .contains(DecodeEvent::Icmpv4UnknownCode)
        );
        assert!(
            dec(&[42, 0, 0, 0, 0, 0, 0, 0])
                .events
                .contains(DecodeEvent::Icmpv4UnknownType)
        );
        assert!(
            dec(&[10, 0, 0, 0, 0, 0, 0, 0])
                .events
                .contains(DecodeEvent::Icmpv4UnknownType)
        );
        for cut in 0..8 {
            let out = dec(&[8, 0, 0, 0, 0, 1, 0, 1][..cut]);
            assert!(out.events.contains(DecodeEvent::Icmpv4PktTooSmall));
            assert_eq!(out.transport, Transport::None);
        }
    }

    #[test]
    fn timestamp_and_router_advert_lengths() {
        let mut ts = vec![13, 0, 0, 0, 0, 1, 0, 2];
        let out = dec(&ts);
        assert!(out.events.contains(DecodeEvent::Icmpv4Ipv4TruncPkt));
        ts.extend_from_slice(&[0; 12]);
        let out = dec(&ts);
        assert!(out.events.is_empty());
        assert_eq!(out.payload_len, 0);
        // Router advertisement: 2 addresses of 2 words each = 16 bytes.
        let mut ra = vec![9, 0, 0, 0, 2, 2, 0, 30];
        assert!(dec(&ra).events.contains(DecodeEvent::Icmpv4Ipv4TruncPkt));
        ra.extend_from_slice(&[0; 16]);
        let out = dec(&ra);
        assert!(out.events.is_empty());
        assert_eq!(out.payload_len, 0);
    }
}
