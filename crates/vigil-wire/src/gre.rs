//! GRE: version 0 (RFC 1701/2784/2890, with checksum, key, sequence and
//! source routes) and version 1 (enhanced GRE of PPTP, RFC 2637), with
//! Suricata's gre events. The payload is decoded as a tunnel.

use crate::decode::{Cx, Inner, be16, ethertype, tunnel};
use crate::{DecodeEvent, Layer, Transport};

const BASE_LEN: usize = 4;

mod flag {
    pub const CHECKSUM: u8 = 0x80;
    pub const ROUTING: u8 = 0x40;
    pub const KEY: u8 = 0x20;
    pub const SEQ: u8 = 0x10;
    pub const STRICT_ROUTE: u8 = 0x08;
    pub const RECUR: u8 = 0x07;
    /// In the second byte: the v1 acknowledgment flag, reserved bits,
    /// version.
    pub const ACK: u8 = 0x80;
    pub const RESERVED: u8 = 0x78;
    pub const VERSION: u8 = 0x07;
}

/// Decodes a GRE header and its payload; `data` is the IP payload.
pub(crate) fn decode(cx: &mut Cx, data: &[u8], base: usize) {
    cx.out.transport = Transport::Other(47);
    cx.layer(Layer::Gre);
    let Some(&[f, v, p0, p1]) = data.first_chunk::<BASE_LEN>() else {
        cx.event(DecodeEvent::GrePktTooSmall);
        return;
    };
    if !cx.enter_layer() {
        return;
    }
    let proto = u16::from_be_bytes([p0, p1]);
    let mut hlen = BASE_LEN;
    match v & flag::VERSION {
        0 => {
            if f & flag::RECUR != 0 {
                cx.event(DecodeEvent::GreVersion0Recur);
                return;
            }
            if v & flag::RESERVED != 0 {
                cx.event(DecodeEvent::GreVersion0Flags);
                return;
            }
            if f & flag::KEY != 0 {
                hlen += 4;
            }
            if f & flag::SEQ != 0 {
                hlen += 4;
            }
            if f & (flag::CHECKSUM | flag::ROUTING) != 0 {
                hlen += 4; // checksum + offset
            }
            if hlen > data.len() {
                cx.event(DecodeEvent::GreVersion0HdrTooBig);
                return;
            }
            if f & flag::ROUTING != 0 {
                // Source route entries until the NULL entry; each step
                // moves at least 4 bytes, so this ends.
                loop {
                    let Some(&[af0, af1, _off, sre_len]) =
                        data.get(hlen..).and_then(|d| d.first_chunk::<4>())
                    else {
                        cx.event(DecodeEvent::GreVersion0MalformedSreHdr);
                        return;
                    };
                    hlen += 4;
                    if af0 == 0 && af1 == 0 && sre_len == 0 {
                        break;
                    }
                    hlen += usize::from(sre_len);
                    if hlen > data.len() {
                        cx.event(DecodeEvent::GreVersion0MalformedSreHdr);
                        return;
                    }
                }
            }
        }
        1 => {
            let bad = if f & flag::CHECKSUM != 0 {
                Some(DecodeEvent::GreVersion1Chksum)
            } else if f & flag::ROUTING != 0 {
                Some(DecodeEvent::GreVersion1Route)
            } else if f & flag::STRICT_ROUTE != 0 {
                Some(DecodeEvent::GreVersion1Ssr)
            } else if f & flag::RECUR != 0 {
                Some(DecodeEvent::GreVersion1Recur)
            } else if v & flag::RESERVED != 0 {
                Some(DecodeEvent::GreVersion1Flags)
            } else if proto != ethertype::PPP {
                Some(DecodeEvent::GreVersion1WrongProtocol)
            } else if f & flag::KEY == 0 {
                Some(DecodeEvent::GreVersion1NoKey)
            } else {
                None
            };
            if let Some(e) = bad {
                cx.event(e);
                return;
            }
            hlen += 4; // key: payload length + call id
            if f & flag::SEQ != 0 {
                hlen += 4;
            }
            if v & flag::ACK != 0 {
                hlen += 4;
            }
            if hlen > data.len() {
                cx.event(DecodeEvent::GreVersion1HdrTooBig);
                return;
            }
            // A PPTP packet with no payload (a bare acknowledgment).
            if be16(data, 4) == Some(0) {
                return;
            }
        }
        _ => {
            cx.event(DecodeEvent::GreWrongVersion);
            return;
        }
    }
    let inner = data.get(hlen..).unwrap_or(&[]);
    let ibase = base.saturating_add(hlen);
    let kind = match proto {
        ethertype::IPV4 => Inner::Ipv4,
        ethertype::IPV6 => Inner::Ipv6,
        ethertype::PPP => Inner::Ppp,
        ethertype::VLAN => Inner::Vlan,
        ethertype::TRANSPARENT_ETHERNET => Inner::Ethernet,
        ethertype::ARP => Inner::Arp,
        // ERSPAN type I has no sequence number, type II does.
        ethertype::ERSPAN_II if f & flag::SEQ == 0 => Inner::ErspanI,
        ethertype::ERSPAN_II => Inner::ErspanII,
        ethertype::ERSPAN_III => Inner::ErspanIII,
        _ => return,
    };
    tunnel(cx, kind, Layer::Gre, inner, ibase);
}

#[cfg(test)]
mod tests {
    use crate::testutil::*;
    use crate::*;

    fn dec(gre: &[u8]) -> Decoded {
        let mut out = Decoded::default();
        decode_packet(LinkType::Ipv4, &ipv4_packet(47, gre), &mut out);
        out
    }

    #[test]
    fn gre_v0_ipv4() {
        let inner = ipv4_packet_addrs(
            17,
            &udp_packet(1, 2, b"gre"),
            [172, 16, 0, 1],
            [172, 16, 0, 2],
        );
        let pkt = ipv4_packet(47, &gre_v0(0x0800, &inner));
        let mut out = Decoded::default();
        decode_packet(LinkType::Ipv4, &pkt, &mut out);
        assert!(out.events.is_empty(), "{:?}", out.events);
        assert!(out.layers.has(Layer::Gre));
        assert_eq!(out.tunnel_depth, 1);
        assert_eq!(
            out.ip.unwrap().src,
            "172.16.0.1".parse::<std::net::IpAddr>().unwrap()
        );
        assert_eq!(out.tunnel_outer.unwrap().proto, 47);
        assert_eq!(out.payload(&pkt), b"gre");
    }

    #[test]
    fn gre_v0_key_seq_checksum_and_routes() {
        let inner = ipv6_packet(17, &udp_packet(1, 2, b"k"));
        // C+K+S: checksum/offset, key, sequence.
        let mut g = vec![0xb0, 0, 0x86, 0xdd, 0, 0, 0, 0, 0, 0, 0, 42, 0, 0, 0, 7];
        g.extend_from_slice(&inner);
        let out = dec(&g);
        assert!(out.events.is_empty(), "{:?}", out.events);
        assert_eq!(out.ip.unwrap().version, 6);
        // R: one SRE of 4 bytes then the NULL SRE.
        let mut g = vec![
            0x40, 0, 0x08, 0x00, 0, 0, 0, 0, 0x08, 0x00, 0, 4, 1, 2, 3, 4, 0, 0, 0, 0,
        ];
        g.extend_from_slice(&ipv4_packet(17, &udp_packet(1, 2, b"r")));
        let pkt = ipv4_packet(47, &g);
        let mut out = Decoded::default();
        decode_packet(LinkType::Ipv4, &pkt, &mut out);
        assert!(out.events.is_empty(), "{:?}", out.events);
        assert_eq!(out.payload(&pkt), b"r");
        // SRE list without its NULL terminator.
        let out = dec(&[
            0x40, 0, 0x08, 0x00, 0, 0, 0, 0, 0x08, 0x00, 0, 4, 1, 2, 3, 4,
        ]);
        assert!(out.events.contains(DecodeEvent::GreVersion0MalformedSreHdr));
        let out = dec(&[
            0x40, 0, 0x08, 0x00, 0, 0, 0, 0, 0x08, 0x00, 0, 200, 1, 2, 3, 4,
        ]);
        assert!(out.events.contains(DecodeEvent::GreVersion0MalformedSreHdr));
    }

    #[test]
    fn gre_v0_events() {
        for cut in 0..4 {
            assert!(
                dec(&[0, 0, 8, 0][..cut])
                    .events
                    .contains(DecodeEvent::GrePktTooSmall)
            );
        }
        assert!(
            dec(&[0x01, 0, 8, 0])
                .events
                .contains(DecodeEvent::GreVersion0Recur)
        );
        assert!(
            dec(&[0, 0x08, 8, 0])
                .events
                .contains(DecodeEvent::GreVersion0Flags)
        );
        assert!(
            dec(&[0x30, 0, 8, 0, 0, 0, 0, 1])
                .events
                .contains(DecodeEvent::GreVersion0HdrTooBig)
        );
        assert!(
            dec(&[0, 0x02, 8, 0])
                .events
                .contains(DecodeEvent::GreWrongVersion)
        );
        // Unknown payload: GRE stays the transport.
        let out = dec(&[0, 0, 0x12, 0x34, 1, 2, 3]);
        assert!(out.events.is_empty());
        assert_eq!(out.transport, Transport::Other(47));
        assert_eq!(out.tunnel_depth, 0);
    }

    #[test]
    fn gre_v1_pptp_ppp() {
        let ip = ipv4_packet(6, &tcp_segment(1723, 5000, 0x18, &[], b"pptp"));
        // K+S set, A set, version 1; payload length, call id, seq, ack.
        let mut g = vec![0x30, 0x81, 0x88, 0x0b];
        let ppp_len = (4 + ip.len()) as u16;
        g.extend_from_slice(&ppp_len.to_be_bytes());
        g.extend_from_slice(&[0, 9, 0, 0, 0, 1, 0, 0, 0, 1]);
        g.extend_from_slice(&[0xff, 0x03, 0x00, 0x21]);
        g.extend_from_slice(&ip);
        let pkt = ipv4_packet(47, &g);
        let mut out = Decoded::default();
        decode_packet(LinkType::Ipv4, &pkt, &mut out);
        assert!(out.events.is_empty(), "{:?}", out.events);
        assert!(out.layers.has(Layer::Ppp));
        assert_eq!(out.tunnel_depth, 1);
        assert_eq!(out.payload(&pkt), b"pptp");
        // PPP with address/control compressed away.
        let mut g2 = vec![0x20, 0x01, 0x88, 0x0b, 0, 10, 0, 9, 0x21];
        g2.extend_from_slice(&ip);
        let pkt = ipv4_packet(47, &g2);
        decode_packet(LinkType::Ipv4, &pkt, &mut out);
        assert_eq!(out.payload(&pkt), b"pptp");
        // Zero payload length: an acknowledgment only.
        let out = dec(&[0x20, 0x01, 0x88, 0x0b, 0, 0, 0, 9]);
        assert!(out.events.is_empty());
        assert_eq!(out.tunnel_depth, 0);
    }

    #[test]
    fn gre_v1_events() {
        let cases: &[(&[u8], DecodeEvent)] = &[
            (
                &[0xa0, 1, 0x88, 0x0b, 0, 1, 0, 1],
                DecodeEvent::GreVersion1Chksum,
            ),
            (
                &[0x60, 1, 0x88, 0x0b, 0, 1, 0, 1],
                DecodeEvent::GreVersion1Route,
            ),
            (
                &[0x28, 1, 0x88, 0x0b, 0, 1, 0, 1],
                DecodeEvent::GreVersion1Ssr,
            ),
            (
                &[0x21, 1, 0x88, 0x0b, 0, 1, 0, 1],
                DecodeEvent::GreVersion1Recur,
            ),
            (
                &[0x20, 0x09, 0x88, 0x0b, 0, 1, 0, 1],
                DecodeEvent::GreVersion1Flags,
            ),
            (
                &[0x20, 1, 0x08, 0x00, 0, 1, 0, 1],
                DecodeEvent::GreVersion1WrongProtocol,
            ),
            (
                &[0x00, 1, 0x88, 0x0b, 0, 1, 0, 1],
                DecodeEvent::GreVersion1NoKey,
            ),
            (
                &[0x30, 1, 0x88, 0x0b, 0, 1, 0, 1],
                DecodeEvent::GreVersion1HdrTooBig,
            ),
        ];
        for (g, e) in cases {
            let out = dec(g);
            assert!(out.events.contains(*e), "{e:?}: {:?}", out.events);
        }
    }

    #[test]
    fn gre_transparent_ethernet_and_erspan() {
        let inner = eth_frame(0x0800, &ipv4_packet(17, &udp_packet(1, 2, b"teb")));
        let pkt = ipv4_packet(47, &gre_v0(0x6558, &inner));
        let mut out = Decoded::default();
        decode_packet(LinkType::Ipv4, &pkt, &mut out);
        assert!(out.layers.has(Layer::Ethernet));
        assert_eq!(out.payload(&pkt), b"teb");
        assert!(out.ether.is_some());

        // ERSPAN type II (S flag set), VLAN 10 in the ERSPAN header.
        let mut g = vec![0x10, 0, 0x88, 0xbe, 0, 0, 0, 1];
        g.extend_from_slice(&[0x10, 0x0a, 0, 1, 0, 0, 0, 0]);
        g.extend_from_slice(&inner);
        let pkt = ipv4_packet(47, &g);
        decode_packet(LinkType::Ipv4, &pkt, &mut out);
        assert!(out.events.is_empty(), "{:?}", out.events);
        assert!(out.layers.has(Layer::Erspan));
        assert_eq!(out.vlans(), &[10]);
        assert_eq!(out.payload(&pkt), b"teb");

        // ERSPAN type I (no S flag): Ethernet right after GRE.
        let pkt = ipv4_packet(47, &gre_v0(0x88be, &inner));
        decode_packet(LinkType::Ipv4, &pkt, &mut out);
        assert_eq!(out.payload(&pkt), b"teb");
    }
}
