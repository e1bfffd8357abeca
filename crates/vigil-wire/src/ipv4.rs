//! IPv4 (RFC 791): header checks, options, fragments, upper-layer dispatch.

use crate::decode::{Cx, decode_l4, ones_complement_sum};
use crate::{DecodeEvent, FragInfo, IpInfo, Layer};
use std::net::{IpAddr, Ipv4Addr};

/// Header without options.
pub(crate) const HEADER_LEN: usize = 20;

mod opt {
    pub const EOL: u8 = 0x00;
    pub const NOP: u8 = 0x01;
    pub const RR: u8 = 0x07;
    pub const QS: u8 = 0x19;
    pub const TS: u8 = 0x44;
    pub const SEC: u8 = 0x82;
    pub const LSRR: u8 = 0x83;
    pub const CIPSO: u8 = 0x86;
    pub const SID: u8 = 0x88;
    pub const SSRR: u8 = 0x89;
    pub const RTRALT: u8 = 0x94;
}

/// Decodes an IPv4 packet. `data` may extend past the IP total length
/// (Ethernet padding): the total length bounds everything, and a capture
/// shorter than it is `ipv4.trunc_pkt` with nothing decoded, as in Suricata.
pub(crate) fn decode(cx: &mut Cx, data: &[u8], base: usize) {
    cx.layer(Layer::Ipv4);
    if !cx.enter_layer() {
        return;
    }
    let Some(h) = data.first_chunk::<HEADER_LEN>() else {
        cx.event(DecodeEvent::Ipv4PktTooSmall);
        return;
    };
    if h[0] >> 4 != 4 {
        cx.event(DecodeEvent::Ipv4WrongIpVersion);
        return;
    }
    let hlen = usize::from(h[0] & 0x0f) * 4;
    if hlen < HEADER_LEN {
        cx.event(DecodeEvent::Ipv4HlenTooSmall);
        return;
    }
    let iplen = usize::from(u16::from_be_bytes([h[2], h[3]]));
    if iplen < hlen {
        cx.event(DecodeEvent::Ipv4IplenSmallerThanHlen);
        return;
    }
    if data.len() < iplen {
        cx.event(DecodeEvent::Ipv4TruncPkt);
        return;
    }
    // hlen <= iplen <= data.len(), so these slices exist.
    let header = data.get(..hlen).unwrap_or(&[]);
    if hlen > HEADER_LEN && !decode_options(cx, header.get(HEADER_LEN..).unwrap_or(&[])) {
        return;
    }

    let proto = h[9];
    let flags_off = u16::from_be_bytes([h[6], h[7]]);
    let more = flags_off & 0x2000 != 0;
    let frag_offset = u32::from(flags_off & 0x1fff) * 8;
    let id = u32::from(u16::from_be_bytes([h[4], h[5]]));
    let l4_offset = base.saturating_add(hlen);
    let l4_len = iplen - hlen;
    let frag = (more || frag_offset != 0).then_some(FragInfo {
        id,
        offset: frag_offset,
        more,
        data_offset: l4_offset,
        data_len: l4_len,
        next_proto: proto,
        unfragmentable_len: hlen,
        prev_nh_offset: base.saturating_add(9),
    });
    cx.out.ip = Some(IpInfo {
        version: 4,
        src: IpAddr::V4(Ipv4Addr::new(h[12], h[13], h[14], h[15])),
        dst: IpAddr::V4(Ipv4Addr::new(h[16], h[17], h[18], h[19])),
        proto,
        ttl: h[8],
        tos: h[1],
        id,
        header_offset: base,
        l4_offset,
        l4_len,
        frag,
        dont_fragment: flags_off & 0x4000 != 0,
        checksum_ok: ones_complement_sum(header) == 0xffff,
    });
    if frag.is_some() {
        // Reassembly (vigil-flow) decodes the transport of the whole datagram.
        return;
    }
    let l4 = data.get(hlen..iplen).unwrap_or(&[]);
    decode_l4(cx, proto, l4, l4_offset);
}

/// Validates the options (Suricata's DecodeIPV4Options). Returns false when
/// an option length is impossible, which makes the whole header invalid.
fn decode_options(cx: &mut Cx, opts: &[u8]) -> bool {
    if !opts.len().is_multiple_of(8) {
        // Suricata's check (options padded to 8 bytes); a warning only.
        cx.event(DecodeEvent::Ipv4OptPadRequired);
    }
    // Bit per option kind seen, for duplicates.
    let mut seen: u16 = 0;
    let mut rest = opts;
    while let Some(&kind) = rest.first() {
        match kind {
            opt::EOL => break,
            opt::NOP => {
                rest = rest.get(1..).unwrap_or(&[]);
                continue;
            }
            _ => {}
        }
        let Some(&olen) = rest.get(1) else {
            cx.event(DecodeEvent::Ipv4OptEolRequired);
            break;
        };
        let olen = usize::from(olen);
        if olen > rest.len() || olen < 2 {
            cx.event(DecodeEvent::Ipv4OptInvalidLen);
            return false;
        }
        let o = rest.get(..olen).unwrap_or(&[]);
        let bit = match kind {
            opt::TS => 1 << 0,
            opt::RR => 1 << 1,
            opt::QS => 1 << 2,
            opt::SEC => 1 << 3,
            opt::LSRR => 1 << 4,
            opt::CIPSO => 1 << 5,
            opt::SID => 1 << 6,
            opt::SSRR => 1 << 7,
            opt::RTRALT => 1 << 8,
            _ => 0,
        };
        if bit == 0 {
            cx.event(DecodeEvent::Ipv4OptInvalid);
        } else if seen & bit != 0 {
            cx.event(DecodeEvent::Ipv4OptDuplicate);
        } else {
            let verdict = match kind {
                opt::TS => validate_timestamp(o),
                opt::RR | opt::LSRR | opt::SSRR => validate_route(o),
                opt::CIPSO => validate_cipso(o),
                _ => validate_generic(kind, o),
            };
            match verdict {
                Ok(()) => seen |= bit,
                Err(e) => cx.event(e),
            }
        }
        rest = rest.get(olen..).unwrap_or(&[]);
    }
    true
}

type OptResult = Result<(), DecodeEvent>;

fn validate_generic(kind: u8, o: &[u8]) -> OptResult {
    let ok = match kind {
        opt::QS => o.len() >= 8,
        opt::SEC => o.len() == 11,
        opt::SID | opt::RTRALT => o.len() == 4,
        _ => return Err(DecodeEvent::Ipv4OptUnknown),
    };
    if ok {
        Ok(())
    } else {
        Err(DecodeEvent::Ipv4OptInvalidLen)
    }
}

/// Record/loose/strict route: type, length, pointer, addresses.
fn validate_route(o: &[u8]) -> OptResult {
    let Some(&ptr) = o.get(2) else {
        return Err(DecodeEvent::Ipv4OptInvalidLen);
    };
    let ptr = usize::from(ptr);
    // The pointer is 1-based, after type+len+ptr, in steps of 4, and may be
    // one past the end (route full).
    if ptr < 4 || ptr % 4 != 0 || ptr > o.len() + 1 {
        return Err(DecodeEvent::Ipv4OptMalformed);
    }
    Ok(())
}

/// Timestamp: type, length, pointer, overflow/flag, records of 4 or 8 bytes.
fn validate_timestamp(o: &[u8]) -> OptResult {
    if o.len() < 5 {
        return Err(DecodeEvent::Ipv4OptInvalidLen);
    }
    let ptr = usize::from(o.get(2).copied().unwrap_or(0));
    if ptr < 5 {
        return Err(DecodeEvent::Ipv4OptMalformed);
    }
    let flag = o.get(3).copied().unwrap_or(0) & 0x0f;
    let rec = if flag == 1 || flag == 3 { 8 } else { 4 };
    if (ptr - 5) % rec != 0 || ptr > o.len() + 1 {
        return Err(DecodeEvent::Ipv4OptMalformed);
    }
    Ok(())
}

/// CIPSO: type, length, 4-byte DOI, then tags of (type, length, data).
fn validate_cipso(o: &[u8]) -> OptResult {
    if o.len() < 10 {
        return Err(DecodeEvent::Ipv4OptInvalidLen);
    }
    let mut tags = o.get(6..).unwrap_or(&[]);
    while !tags.is_empty() {
        let Some(&[ttype, tlen]) = tags.first_chunk::<2>() else {
            return Err(DecodeEvent::Ipv4OptMalformed);
        };
        let tlen = usize::from(tlen);
        if tlen > tags.len() {
            return Err(DecodeEvent::Ipv4OptMalformed);
        }
        match ttype {
            1 | 2 | 5 | 6 | 7 => {
                if tlen < 4 {
                    return Err(DecodeEvent::Ipv4OptMalformed);
                }
                // The alignment octet is zero except in tag type 7.
                if ttype != 7 && tags.get(2).copied() != Some(0) {
                    return Err(DecodeEvent::Ipv4OptMalformed);
                }
                tags = tags.get(tlen..).unwrap_or(&[]);
            }
            _ => return Err(DecodeEvent::Ipv4OptMalformed),
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use crate::testutil::*;
    use crate::*;
    use std::net::{IpAddr, Ipv4Addr};

    fn with_options(opts: &[u8]) -> Vec<u8> {
        let payload = udp_packet(1, 2, b"");
        let hlen = 20 + opts.len();
        let mut p = ipv4_header(17, hlen + payload.len(), [1, 1, 1, 1], [2, 2, 2, 2]);
        p[0] = 0x40 | (hlen / 4) as u8;
        p.extend_from_slice(opts);
        set_ipv4_checksum(&mut p[..hlen]);
        p.extend_from_slice(&payload);
        p
    }

    fn events_for(pkt: &[u8]) -> Decoded {
        let mut out = Decoded::default();
        decode_packet(LinkType::Ipv4, pkt, &mut out);
        out
    }

    #[test]
    fn header_fields_exact() {
        let mut pkt = ipv4_packet(6, &tcp_segment(1234, 80, 0x02, &[], b""));
        pkt[1] = 0x10; // tos
        pkt[4] = 0xab;
        pkt[5] = 0xcd;
        pkt[6] = 0x40; // DF
        pkt[8] = 57;
        set_ipv4_checksum(&mut pkt[..20]);
        let out = events_for(&pkt);
        assert!(out.events.is_empty(), "{:?}", out.events);
        let ip = out.ip.unwrap();
        assert_eq!(ip.version, 4);
        assert_eq!(ip.src, IpAddr::V4(Ipv4Addr::new(192, 168, 0, 1)));
        assert_eq!(ip.dst, IpAddr::V4(Ipv4Addr::new(192, 168, 0, 2)));
        assert_eq!((ip.proto, ip.ttl, ip.tos, ip.id), (6, 57, 0x10, 0xabcd));
        assert!(ip.dont_fragment);
        assert!(ip.checksum_ok);
        assert_eq!((ip.header_offset, ip.l4_offset, ip.l4_len), (0, 20, 20));
        assert!(ip.frag.is_none());
        assert!(out.layers.has(Layer::Raw));
    }

    #[test]
    fn bad_checksum_is_flagged_without_event() {
        let mut pkt = ipv4_packet(17, &udp_packet(1, 2, b""));
        pkt[10] ^= 0xff;
        let out = events_for(&pkt);
        assert!(!out.ip.unwrap().checksum_ok);
        assert!(out.events.is_empty());
        assert!(matches!(out.transport, Transport::Udp(_)));
    }

    #[test]
    fn length_field_checks() {
        let good = ipv4_packet(17, &udp_packet(1, 2, b"abcd"));
        // Wrong version.
        let mut p = good.clone();
        p[0] = 0x65;
        assert!(
            events_for(&p)
                .events
                .contains(DecodeEvent::Ipv4WrongIpVersion)
        );
        // IHL < 5.
        let mut p = good.clone();
        p[0] = 0x44;
        assert!(
            events_for(&p)
                .events
                .contains(DecodeEvent::Ipv4HlenTooSmall)
        );
        // Total length smaller than the header.
        let mut p = good.clone();
        p[2] = 0;
        p[3] = 19;
        assert!(
            events_for(&p)
                .events
                .contains(DecodeEvent::Ipv4IplenSmallerThanHlen)
        );
        // Total length larger than captured: trunc, nothing decoded.
        let mut p = good.clone();
        p[3] += 1;
        let out = events_for(&p);
        assert!(out.events.contains(DecodeEvent::Ipv4TruncPkt));
        assert!(out.ip.is_none());
        assert_eq!(out.transport, Transport::None);
        // Total length smaller than captured: the rest is ignored.
        let mut p = good.clone();
        p[3] -= 2;
        p[24] = 0;
        p[25] = 10;
        let out = events_for(&p);
        assert_eq!(out.ip.unwrap().l4_len, 10);
        assert_eq!(out.payload_len, 2);
    }

    #[test]
    fn truncated_at_every_length() {
        let full = ipv4_packet(6, &tcp_segment(1, 2, 0x10, &[1, 1, 1, 1], b"data"));
        for cut in 0..full.len() {
            let out = events_for(&full[..cut]);
            let want = if cut < 20 {
                DecodeEvent::Ipv4PktTooSmall
            } else {
                DecodeEvent::Ipv4TruncPkt
            };
            assert!(out.events.contains(want), "cut {cut}: {:?}", out.events);
            assert!(out.ip.is_none());
        }
        let out = events_for(&full);
        assert!(out.events.is_empty());
    }

    #[test]
    fn fragments_are_not_decoded_further() {
        // First fragment: MF set, offset 0.
        let mut p = ipv4_packet(17, &udp_packet(1, 2, b"12345678"));
        p[4] = 0x12;
        p[5] = 0x34;
        p[6] = 0x20;
        set_ipv4_checksum(&mut p[..20]);
        let mut frame = eth_frame(0x0800, &p);
        frame.extend_from_slice(&[0; 6]); // padding
        let mut out = Decoded::default();
        decode_packet(LinkType::Ethernet, &frame, &mut out);
        let ip = out.ip.unwrap();
        let f = ip.frag.unwrap();
        assert_eq!(f.id, 0x1234);
        assert_eq!(f.offset, 0);
        assert!(f.more);
        assert_eq!((f.data_offset, f.data_len, f.next_proto), (34, 16, 17));
        assert_eq!((f.unfragmentable_len, f.prev_nh_offset), (20, 23));
        assert_eq!(out.transport, Transport::None);
        // Last fragment: offset 185*8, MF clear.
        p[6] = 0x00;
        p[7] = 185;
        set_ipv4_checksum(&mut p[..20]);
        let out = events_for(&p);
        let f = out.ip.unwrap().frag.unwrap();
        assert_eq!(f.offset, 1480);
        assert!(!f.more);
        assert_eq!(out.transport, Transport::None);
    }

    #[test]
    fn options_valid() {
        // RR (len 39, ptr 8) + EOL padding to a multiple of 8.
        let mut o = vec![0x07, 39, 8];
        o.extend_from_slice(&[0; 36]);
        o.push(0);
        let out = events_for(&with_options(&o));
        assert!(out.events.is_empty(), "{:?}", out.events);
        assert!(matches!(out.transport, Transport::Udp(_)));
        // Router alert (len 4) + NOPs.
        let out = events_for(&with_options(&[0x94, 4, 0, 0, 1, 1, 1, 0]));
        assert!(out.events.is_empty(), "{:?}", out.events);
        // Timestamp with ip+ts records (flag 1), ptr 13.
        let mut ts = vec![0x44, 36, 13, 0x01];
        ts.extend_from_slice(&[0; 32]);
        ts.extend_from_slice(&[0; 4]);
        let out = events_for(&with_options(&ts));
        assert!(out.events.is_empty(), "{:?}", out.events);
        // CIPSO with one tag of type 1.
        let cipso = [0x86, 14, 0, 0, 0, 1, 1, 8, 0, 0, 0, 0, 0, 0, 0, 0];
        let out = events_for(&with_options(&cipso));
        assert!(out.events.is_empty(), "{:?}", out.events);
    }

    #[test]
    fn options_events() {
        let check = |opts: &[u8], want: DecodeEvent, ip_kept: bool| {
            let out = events_for(&with_options(opts));
            assert!(out.events.contains(want), "{opts:?}: {:?}", out.events);
            assert_eq!(out.ip.is_some(), ip_kept, "{opts:?}");
        };
        // Option length past the options: invalid, header rejected.
        check(
            &[0x07, 0xff, 8, 0, 0, 0, 0, 0],
            DecodeEvent::Ipv4OptInvalidLen,
            false,
        );
        check(
            &[0x44, 0x01, 0, 0, 0, 0, 0, 0],
            DecodeEvent::Ipv4OptInvalidLen,
            false,
        );
        // Route pointer not a multiple of 4 / too large.
        check(
            &[0x83, 7, 5, 0, 0, 0, 0, 0],
            DecodeEvent::Ipv4OptMalformed,
            true,
        );
        check(
            &[0x89, 7, 0xff, 0, 0, 0, 0, 0],
            DecodeEvent::Ipv4OptMalformed,
            true,
        );
        // QS too short; SEC wrong length.
        check(
            &[0x19, 7, 0, 0, 0, 0, 0, 0],
            DecodeEvent::Ipv4OptInvalidLen,
            true,
        );
        check(
            &[0x82, 8, 0, 0, 0, 0, 0, 0],
            DecodeEvent::Ipv4OptInvalidLen,
            true,
        );
        // Timestamp pointer too small.
        check(
            &[0x44, 8, 4, 0, 0, 0, 0, 0],
            DecodeEvent::Ipv4OptMalformed,
            true,
        );
        // Duplicate router alert.
        check(
            &[0x94, 4, 0, 0, 0x94, 4, 0, 0],
            DecodeEvent::Ipv4OptDuplicate,
            true,
        );
        // Unknown option kind.
        check(
            &[0x9f, 4, 0, 0, 0, 0, 0, 0],
            DecodeEvent::Ipv4OptInvalid,
            true,
        );
        // Padding not to 8 bytes.
        check(&[0x94, 4, 0, 0], DecodeEvent::Ipv4OptPadRequired, true);
        // Multi-byte option with no room for its length byte.
        check(&[1, 1, 1, 0x94], DecodeEvent::Ipv4OptEolRequired, true);
        // CIPSO with a bad tag type.
        check(
            &[0x86, 12, 0, 0, 0, 1, 9, 4, 0, 0, 0, 0, 0, 0, 0, 0],
            DecodeEvent::Ipv4OptMalformed,
            true,
        );
    }

    #[test]
    fn ipip_and_ipv6_in_ipv4_tunnels() {
        let inner = ipv4_packet_addrs(17, &udp_packet(5, 6, b"in"), [9, 9, 9, 9], [8, 8, 8, 8]);
        let outer = ipv4_packet(4, &inner);
        let out = events_for(&outer);
        assert_eq!(out.tunnel_depth, 1);
        assert!(out.layers.has(Layer::Ipv4InIpv4));
        assert_eq!(out.ip.unwrap().src, IpAddr::V4(Ipv4Addr::new(9, 9, 9, 9)));
        assert_eq!(out.ip.unwrap().header_offset, 20);
        assert_eq!(out.tunnel_outer.unwrap().proto, 4);
        assert_eq!(out.payload(&outer), b"in");

        let inner6 = ipv6_packet(17, &udp_packet(5, 6, b"v6"));
        let outer = ipv4_packet(41, &inner6);
        let out = events_for(&outer);
        assert_eq!(out.tunnel_depth, 1);
        assert!(out.layers.has(Layer::Ipv6InIpv4));
        assert_eq!(out.ip.unwrap().version, 6);
        assert_eq!(out.payload(&outer), b"v6");

        // A broken inner header keeps the outer packet.
        let outer = ipv4_packet(4, &[0x45, 0, 0]);
        let out = events_for(&outer);
        assert_eq!(out.tunnel_depth, 0);
        assert!(out.tunnel_outer.is_none());
        assert_eq!(out.ip.unwrap().proto, 4);
        assert_eq!(out.transport, Transport::Other(4));
        assert!(out.events.contains(DecodeEvent::Ipv4PktTooSmall));
    }
}
