//! IPv6 (RFC 8200): fixed header, extension header chain, fragments and
//! upper-layer dispatch, following Suricata's DecodeIPV6ExtHdrs.

use crate::decode::{Cx, be16, be32, decode_l4, ipproto, tail};
use crate::{DecodeEvent, FragInfo, IpInfo, Layer, Transport};
use std::net::{IpAddr, Ipv6Addr};

/// Fixed header.
pub(crate) const HEADER_LEN: usize = 40;

/// Hop-by-hop / destination option types with a meaning to the checks.
mod opt {
    pub const PAD1: u8 = 0x00;
    pub const PADN: u8 = 0x01;
    pub const RA: u8 = 0x05;
    pub const JUMBO: u8 = 0xc2;
    pub const HAO: u8 = 0xc9;
}

/// Decodes an IPv6 packet. The payload length bounds the upper layers
/// (trailing link padding is ignored); a capture shorter than it is
/// `ipv6.trunc_pkt` with nothing decoded.
pub(crate) fn decode(cx: &mut Cx, data: &[u8], base: usize) {
    cx.layer(Layer::Ipv6);
    if !cx.enter_layer() {
        return;
    }
    let Some(h) = data.first_chunk::<HEADER_LEN>() else {
        cx.event(DecodeEvent::Ipv6PktTooSmall);
        return;
    };
    if h[0] >> 4 != 6 {
        cx.event(DecodeEvent::Ipv6WrongIpVersion);
        return;
    }
    let plen = usize::from(u16::from_be_bytes([h[4], h[5]]));
    let Some(payload) = data.get(HEADER_LEN..HEADER_LEN + plen) else {
        cx.event(DecodeEvent::Ipv6TruncPkt);
        return;
    };
    let mut src = [0u8; 16];
    let mut dst = [0u8; 16];
    src.copy_from_slice(&h[8..24]);
    dst.copy_from_slice(&h[24..40]);
    let nh = h[6];
    let l4_offset = base.saturating_add(HEADER_LEN);
    cx.out.ip = Some(IpInfo {
        version: 6,
        src: IpAddr::V6(Ipv6Addr::from(src)),
        dst: IpAddr::V6(Ipv6Addr::from(dst)),
        proto: nh,
        ttl: h[7],
        tos: (h[0] << 4) | (h[1] >> 4),
        id: 0,
        header_offset: base,
        l4_offset,
        l4_len: plen,
        frag: None,
        dont_fragment: false,
        checksum_ok: true,
    });
    walk(cx, nh, payload, base);
}

/// Which extension headers were seen, for the duplicate checks.
#[derive(Default)]
struct Seen {
    hop: bool,
    routing: bool,
    /// Destination options may legitimately appear twice (before routing and
    /// before the upper layer).
    dstopts: u8,
    ah: bool,
    frag: bool,
}

/// Follows the next-header chain from the fixed header. `payload` is the
/// IPv6 payload (bounded by the payload length), `base` the frame offset of
/// the IPv6 header.
fn walk(cx: &mut Cx, first_nh: u8, payload: &[u8], base: usize) {
    let mut nh = first_nh;
    let mut pos = 0usize; // offset of the current header within payload
    // Frame offset of the Next Header byte naming the current header.
    let mut prev_nh_offset = base.saturating_add(6);
    let mut seen = Seen::default();
    loop {
        let rest = tail(payload, pos);
        let here = base.saturating_add(HEADER_LEN).saturating_add(pos);
        set_l4(cx, nh, here, rest.len());
        if rest.len() < 2 && nh != ipproto::NONE && (pos > 0 || walked_ext(nh)) {
            // Suricata's extension-header walk wants next-header + length
            // before looking at any header type.
            cx.event(DecodeEvent::Ipv6TruncExthdr);
            return;
        }
        match nh {
            ipproto::TCP
            | ipproto::UDP
            | ipproto::ICMPV6
            | ipproto::SCTP
            | ipproto::ESP
            | ipproto::ICMP
            | ipproto::IPIP
            | ipproto::IPV6
            | ipproto::GRE => {
                // GRE and IPv6-in-IPv6 after extension headers are decoded too
                // (Suricata only decodes them right after the fixed header).
                decode_l4(cx, nh, rest, here);
                return;
            }
            ipproto::NONE => {
                if !rest.is_empty() {
                    cx.event(DecodeEvent::Ipv6DataAfterNoneHeader);
                }
                cx.out.transport = Transport::Other(nh);
                return;
            }
            _ => {}
        }
        let Some(&[next, len_byte]) = rest.first_chunk::<2>() else {
            unknown(cx, nh);
            return;
        };
        let hdrlen = match nh {
            ipproto::HOPOPTS | ipproto::DSTOPTS => (usize::from(len_byte) + 1) * 8,
            ipproto::ROUTING | ipproto::MH | ipproto::HIP | ipproto::SHIM6 => {
                8 + usize::from(len_byte) * 8
            }
            ipproto::FRAGMENT => 8,
            // 12-byte fixed part, length in 4-byte units minus 2.
            ipproto::AH => (usize::from(len_byte) + 2) * 4,
            _ => {
                unknown(cx, nh);
                return;
            }
        };
        let Some(hdr) = rest.get(..hdrlen) else {
            cx.event(DecodeEvent::Ipv6TruncExthdr);
            return;
        };
        match nh {
            ipproto::ROUTING => {
                if seen.routing {
                    cx.event(DecodeEvent::Ipv6ExthdrDuplRh);
                } else {
                    seen.routing = true;
                    if hdr.get(2) == Some(&0) {
                        cx.event(DecodeEvent::Ipv6RhType0);
                    }
                }
            }
            ipproto::HOPOPTS => {
                if seen.hop {
                    cx.event(DecodeEvent::Ipv6ExthdrDuplHh);
                } else {
                    seen.hop = true;
                    check_options(cx, hdr, true);
                }
            }
            ipproto::DSTOPTS => {
                if seen.dstopts >= 2 {
                    cx.event(DecodeEvent::Ipv6ExthdrDuplDh);
                } else {
                    seen.dstopts += 1;
                    check_options(cx, hdr, false);
                }
            }
            ipproto::AH => {
                if be16(hdr, 2) != Some(0) {
                    cx.event(DecodeEvent::Ipv6ExthdrAhResNotNull);
                }
                if seen.ah {
                    cx.event(DecodeEvent::Ipv6ExthdrDuplAh);
                } else {
                    seen.ah = true;
                }
            }
            ipproto::FRAGMENT => {
                if len_byte != 0 {
                    cx.event(DecodeEvent::Ipv6FhNonZeroResField);
                }
                if seen.frag {
                    cx.event(DecodeEvent::Ipv6ExthdrDuplFh);
                } else {
                    seen.frag = true;
                    let off_m = be16(hdr, 2).unwrap_or(0);
                    let offset = u32::from(off_m & 0xfff8);
                    let more = off_m & 1 != 0;
                    if offset == 0 && !more {
                        // An atomic fragment: nothing to reassemble, so the
                        // packet is decoded on as if the header were absent.
                        cx.event(DecodeEvent::Ipv6ExthdrUselessFh);
                    } else {
                        let data_len = rest.len() - 8;
                        if more && !data_len.is_multiple_of(8) {
                            cx.event(DecodeEvent::Ipv6FragInvalidLength);
                        }
                        let data_offset = here.saturating_add(8);
                        if let Some(ip) = cx.out.ip.as_mut() {
                            ip.proto = ipproto::FRAGMENT;
                            ip.id = be32(hdr, 4).unwrap_or(0);
                            ip.l4_offset = data_offset;
                            ip.l4_len = data_len;
                            ip.frag = Some(FragInfo {
                                id: ip.id,
                                offset,
                                more,
                                data_offset,
                                data_len,
                                next_proto: next,
                                unfragmentable_len: HEADER_LEN + pos,
                                prev_nh_offset,
                            });
                        }
                        return;
                    }
                }
            }
            _ => {}
        }
        prev_nh_offset = here;
        nh = next;
        pos += hdrlen;
    }
}

/// Next-header values Suricata hands to its extension-header walk when they
/// follow the fixed header.
fn walked_ext(nh: u8) -> bool {
    matches!(
        nh,
        ipproto::HOPOPTS
            | ipproto::ESP
            | ipproto::ROUTING
            | ipproto::FRAGMENT
            | ipproto::DSTOPTS
            | ipproto::AH
            | ipproto::MH
            | ipproto::HIP
            | ipproto::SHIM6
    )
}

fn unknown(cx: &mut Cx, nh: u8) {
    cx.event(DecodeEvent::Ipv6UnknownNextHeader);
    cx.out.transport = Transport::Other(nh);
}

/// Points `ip.proto` / `l4_*` at the header about to be decoded.
fn set_l4(cx: &mut Cx, nh: u8, at: usize, len: usize) {
    if let Some(ip) = cx.out.ip.as_mut() {
        ip.proto = nh;
        ip.l4_offset = at;
        ip.l4_len = len;
    }
}

/// Checks the TLV options of a hop-by-hop or destination options header
/// (`hdr` includes the next-header and length bytes).
fn check_options(cx: &mut Cx, hdr: &[u8], hop: bool) {
    let opts = tail(hdr, 2);
    let optslen = opts.len();
    let mut offset = 0usize;
    let mut padding = 0u32;
    let mut other = 0u32;
    while let Some(&kind) = opts.get(offset) {
        if kind == opt::PAD1 {
            padding += 1;
            offset += 1;
            continue;
        }
        if offset + 1 >= optslen {
            cx.event(DecodeEvent::Ipv6ExthdrInvalidOptlen);
            break;
        }
        let olen = usize::from(opts.get(offset + 1).copied().unwrap_or(0));
        // Suricata's bound (one byte lenient); reads below stay in `opts`.
        if offset + 1 + olen > optslen {
            cx.event(DecodeEvent::Ipv6ExthdrInvalidOptlen);
            break;
        }
        match kind {
            opt::PADN => {
                padding += 1;
                if olen == 0 {
                    cx.event(DecodeEvent::Ipv6ZeroLenPadn);
                }
            }
            opt::RA => {
                if olen < 2 {
                    cx.event(DecodeEvent::Ipv6ExthdrInvalidOptlen);
                    break;
                }
                other += 1;
            }
            opt::JUMBO => {
                if olen < 4 {
                    cx.event(DecodeEvent::Ipv6ExthdrInvalidOptlen);
                    break;
                }
            }
            opt::HAO => {
                if olen < 16 {
                    cx.event(DecodeEvent::Ipv6ExthdrInvalidOptlen);
                    break;
                }
                other += 1;
            }
            _ => {
                cx.event(if hop {
                    DecodeEvent::Ipv6HopoptsUnknownOpt
                } else {
                    DecodeEvent::Ipv6DstoptsUnknownOpt
                });
                other += 1;
            }
        }
        offset += olen + 2;
    }
    if padding > 0 && other == 0 {
        cx.event(if hop {
            DecodeEvent::Ipv6HopoptsOnlyPadding
        } else {
            DecodeEvent::Ipv6DstoptsOnlyPadding
        });
    }
}

#[cfg(test)]
mod tests {
    use crate::testutil::*;
    use crate::*;
    use std::net::{IpAddr, Ipv6Addr};

    fn dec(pkt: &[u8]) -> Decoded {
        let mut out = Decoded::default();
        decode_packet(LinkType::Ipv6, pkt, &mut out);
        out
    }

    /// Chains extension headers: each (type, body) where body excludes the
    /// next-header byte; the last entry's next header is `upper`.
    fn chain(exts: &[(u8, Vec<u8>)], upper: u8, l4: &[u8]) -> Vec<u8> {
        let mut payload = Vec::new();
        for (i, (_, body)) in exts.iter().enumerate() {
            let next = exts.get(i + 1).map_or(upper, |e| e.0);
            payload.push(next);
            payload.extend_from_slice(body);
        }
        payload.extend_from_slice(l4);
        ipv6_packet(exts.first().map_or(upper, |e| e.0), &payload)
    }

    fn opts_hdr(opts: &[u8]) -> Vec<u8> {
        // length byte + options, padded with Pad1 to a multiple of 8 (with nh).
        let mut b = vec![0u8];
        b.extend_from_slice(opts);
        while (b.len() + 1) % 8 != 0 {
            b.push(0);
        }
        b[0] = ((b.len() + 1) / 8 - 1) as u8;
        b
    }

    #[test]
    fn fixed_header_fields() {
        let mut pkt = ipv6_packet(6, &tcp_segment(443, 5555, 0x12, &[], b"ok"));
        pkt[0] = 0x6a;
        pkt[1] = 0xb0;
        pkt[7] = 33;
        let out = dec(&pkt);
        assert!(out.events.is_empty(), "{:?}", out.events);
        let ip = out.ip.unwrap();
        assert_eq!(ip.version, 6);
        assert_eq!(
            ip.src,
            IpAddr::V6("2001:db8::1".parse::<Ipv6Addr>().unwrap())
        );
        assert_eq!(
            ip.dst,
            IpAddr::V6("2001:db8::2".parse::<Ipv6Addr>().unwrap())
        );
        assert_eq!((ip.proto, ip.ttl, ip.tos), (6, 33, 0xab));
        assert_eq!((ip.l4_offset, ip.l4_len), (40, 22));
        assert!(ip.checksum_ok);
        assert_eq!(out.payload(&pkt), b"ok");
    }

    #[test]
    fn truncated_at_every_length() {
        let full = ipv6_packet(17, &udp_packet(1, 2, b"abc"));
        for cut in 0..full.len() {
            let out = dec(&full[..cut]);
            let want = if cut < 40 {
                DecodeEvent::Ipv6PktTooSmall
            } else {
                DecodeEvent::Ipv6TruncPkt
            };
            assert!(out.events.contains(want), "cut {cut}");
            assert!(out.ip.is_none());
        }
        let mut p = full.clone();
        p[0] = 0x40;
        assert!(dec(&p).events.contains(DecodeEvent::Ipv6WrongIpVersion));
        // Padding after the payload length is ignored.
        let mut p = full.clone();
        p.extend_from_slice(&[0; 10]);
        let out = dec(&p);
        assert!(out.events.is_empty());
        assert_eq!(out.payload(&p), b"abc");
    }

    #[test]
    fn ext_header_chain_to_udp() {
        let hop = opts_hdr(&[0x05, 2, 0, 0]); // router alert
        let rh = vec![0, 2, 1, 0, 0, 0, 0]; // routing type 2, 8 bytes
        let dst = opts_hdr(&[0x01, 2, 0, 0]); // PadN only
        let udp = udp_packet(9, 10, b"x");
        let pkt = chain(&[(0, hop), (43, rh), (60, dst)], 17, &udp);
        let out = dec(&pkt);
        assert_eq!(
            out.events.iter().collect::<Vec<_>>(),
            vec![DecodeEvent::Ipv6DstoptsOnlyPadding]
        );
        let ip = out.ip.unwrap();
        assert_eq!(ip.proto, 17);
        assert_eq!(ip.l4_offset, 40 + 24);
        assert_eq!(ip.l4_len, 9);
        assert_eq!(out.payload(&pkt), b"x");
    }

    #[test]
    fn ext_header_events() {
        let udp = udp_packet(1, 2, b"");
        let has = |pkt: Vec<u8>, e: DecodeEvent| {
            let out = dec(&pkt);
            assert!(out.events.contains(e), "{e:?}: {:?}", out.events);
            out
        };
        // Routing type 0.
        has(
            chain(&[(43, vec![0, 0, 0, 0, 0, 0, 0])], 17, &udp),
            DecodeEvent::Ipv6RhType0,
        );
        // Duplicate hop-by-hop / routing; the packet is still decoded on.
        let hop = opts_hdr(&[0x05, 2, 0, 0]);
        let out = has(
            chain(&[(0, hop.clone()), (0, hop.clone())], 17, &udp),
            DecodeEvent::Ipv6ExthdrDuplHh,
        );
        assert!(matches!(out.transport, Transport::Udp(_)));
        let rh = vec![0, 2, 0, 0, 0, 0, 0];
        has(
            chain(&[(43, rh.clone()), (43, rh)], 17, &udp),
            DecodeEvent::Ipv6ExthdrDuplRh,
        );
        // Three destination options headers.
        let d = opts_hdr(&[0x05, 2, 0, 0]);
        has(
            chain(&[(60, d.clone()), (60, d.clone()), (60, d)], 17, &udp),
            DecodeEvent::Ipv6ExthdrDuplDh,
        );
        // Unknown options, only padding, zero-length PadN.
        has(
            chain(&[(0, opts_hdr(&[0x3e, 1, 0]))], 17, &udp),
            DecodeEvent::Ipv6HopoptsUnknownOpt,
        );
        has(
            chain(&[(60, opts_hdr(&[0x3e, 1, 0]))], 17, &udp),
            DecodeEvent::Ipv6DstoptsUnknownOpt,
        );
        has(
            chain(&[(0, opts_hdr(&[0x01, 0]))], 17, &udp),
            DecodeEvent::Ipv6ZeroLenPadn,
        );
        has(
            chain(&[(0, opts_hdr(&[0x01, 0]))], 17, &udp),
            DecodeEvent::Ipv6HopoptsOnlyPadding,
        );
        // Option length past the header.
        has(
            chain(&[(0, opts_hdr(&[0x05, 30]))], 17, &udp),
            DecodeEvent::Ipv6ExthdrInvalidOptlen,
        );
        // Router alert with a short length.
        has(
            chain(&[(0, opts_hdr(&[0x05, 1, 0]))], 17, &udp),
            DecodeEvent::Ipv6ExthdrInvalidOptlen,
        );
        // Extension header length past the payload.
        has(
            chain(&[(43, vec![9, 0, 0, 0, 0, 0, 0])], 17, &udp),
            DecodeEvent::Ipv6TruncExthdr,
        );
        has(
            chain(&[(44, vec![0])], 17, &[]),
            DecodeEvent::Ipv6TruncExthdr,
        );
        // AH with reserved bits set, then duplicated.
        let ah = vec![1, 0xff, 0xff, 0, 0, 0, 1, 0, 0, 0, 1];
        let out = has(
            chain(&[(51, ah.clone()), (51, ah)], 17, &udp),
            DecodeEvent::Ipv6ExthdrAhResNotNull,
        );
        assert!(out.events.contains(DecodeEvent::Ipv6ExthdrDuplAh));
        assert!(matches!(out.transport, Transport::Udp(_)));
        // No next header with data after it.
        has(
            chain(&[], 59, b"junk"),
            DecodeEvent::Ipv6DataAfterNoneHeader,
        );
        // Unknown next header.
        let out = has(chain(&[], 253, b"????"), DecodeEvent::Ipv6UnknownNextHeader);
        assert_eq!(out.transport, Transport::Other(253));
        // Mobility header is skipped.
        let out = dec(&chain(&[(135, vec![0, 0, 0, 0, 0, 0, 0])], 17, &udp));
        assert!(out.events.is_empty(), "{:?}", out.events);
        assert!(matches!(out.transport, Transport::Udp(_)));
    }

    #[test]
    fn fragment_header() {
        let hop = opts_hdr(&[0x05, 2, 0, 0]);
        // Offset 0, M=1, id 0xdeadbeef, carrying 16 bytes of UDP.
        let fh = vec![0, 0x00, 0x01, 0xde, 0xad, 0xbe, 0xef];
        let data = udp_packet(1, 2, b"12345678");
        let pkt = chain(&[(0, hop), (44, fh)], 17, &data);
        let mut frame = eth_frame(0x86dd, &pkt);
        frame.extend_from_slice(&[0; 4]);
        let mut out = Decoded::default();
        decode_packet(LinkType::Ethernet, &frame, &mut out);
        assert!(out.events.is_empty(), "{:?}", out.events);
        let ip = out.ip.unwrap();
        assert_eq!(ip.proto, 44);
        assert_eq!(ip.id, 0xdeadbeef);
        let f = ip.frag.unwrap();
        assert_eq!(
            (f.id, f.offset, f.more, f.next_proto),
            (0xdeadbeef, 0, true, 17)
        );
        assert_eq!(f.data_offset, 14 + 40 + 8 + 8);
        assert_eq!(f.data_len, 16);
        assert_eq!(f.unfragmentable_len, 48);
        // The hop-by-hop header's next-header byte names the fragment header.
        assert_eq!(f.prev_nh_offset, 14 + 40);
        assert_eq!(frame[f.prev_nh_offset], 44);
        assert_eq!(out.transport, Transport::None);

        // Directly after the fixed header: the fixed header's byte 6.
        let pkt = chain(&[(44, vec![0, 0x05, 0x38, 0, 0, 0, 7])], 17, b"tail");
        let out = dec(&pkt);
        let f = out.ip.unwrap().frag.unwrap();
        assert_eq!((f.offset, f.more, f.id), (0x538, false, 7));
        assert_eq!(
            (f.unfragmentable_len, f.prev_nh_offset, f.data_len),
            (40, 6, 4)
        );
    }

    #[test]
    fn fragment_header_events() {
        let udp = udp_packet(1, 2, b"abcd");
        // Offset 0, M=0: useless, decoded on as UDP.
        let out = dec(&chain(&[(44, vec![0, 0, 0, 0, 0, 0, 1])], 17, &udp));
        assert!(out.events.contains(DecodeEvent::Ipv6ExthdrUselessFh));
        assert!(out.ip.unwrap().frag.is_none());
        assert!(matches!(out.transport, Transport::Udp(_)));
        // Reserved field set.
        let out = dec(&chain(&[(44, vec![1, 0, 0, 0, 0, 0, 1])], 17, &udp));
        assert!(out.events.contains(DecodeEvent::Ipv6FhNonZeroResField));
        // M=1 with a length that is not a multiple of 8.
        let out = dec(&chain(&[(44, vec![0, 0, 1, 0, 0, 0, 1])], 17, b"12345"));
        assert!(out.events.contains(DecodeEvent::Ipv6FragInvalidLength));
        assert!(out.ip.unwrap().frag.is_some());
        // Two fragment headers: the second is a duplicate.
        let fh = vec![0, 0, 0, 0, 0, 0, 1];
        let out = dec(&chain(&[(44, fh.clone()), (44, fh)], 17, &udp));
        assert!(out.events.contains(DecodeEvent::Ipv6ExthdrDuplFh));
    }

    #[test]
    fn ipv6_tunnels() {
        let inner4 = ipv4_packet(17, &udp_packet(3, 4, b"four"));
        let pkt = ipv6_packet(4, &inner4);
        let out = dec(&pkt);
        assert!(out.layers.has(Layer::Ipv4InIpv6));
        assert_eq!(out.tunnel_depth, 1);
        assert_eq!(out.ip.unwrap().version, 4);
        assert_eq!(out.tunnel_outer.unwrap().version, 6);
        assert_eq!(out.payload(&pkt), b"four");

        let inner6 = ipv6_packet(17, &udp_packet(3, 4, b"six"));
        let pkt = ipv6_packet(41, &inner6);
        let out = dec(&pkt);
        assert!(out.layers.has(Layer::Ipv6InIpv6));
        assert_eq!(out.ip.unwrap().header_offset, 40);
        assert_eq!(out.payload(&pkt), b"six");

        let out = dec(&ipv6_packet(4, &[0x45; 10]));
        assert!(out.events.contains(DecodeEvent::Ipv6Ipv4InIpv6TooSmall));
        let out = dec(&ipv6_packet(4, &[0x65; 20]));
        assert!(out.events.contains(DecodeEvent::Ipv6Ipv4InIpv6WrongVersion));
        let out = dec(&ipv6_packet(41, &[0x60; 39]));
        assert!(out.events.contains(DecodeEvent::Ipv6Ipv6InIpv6TooSmall));
        let out = dec(&ipv6_packet(41, &[0x45; 40]));
        assert!(out.events.contains(DecodeEvent::Ipv6Ipv6InIpv6WrongVersion));
        assert_eq!(out.tunnel_depth, 0);
        assert_eq!(out.ip.unwrap().version, 6);
    }
}
