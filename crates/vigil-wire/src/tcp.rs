//! TCP (RFC 9293): header, options (MSS, window scale, SACK, timestamps,
//! TFO, MD5, AO) with Suricata's option events, payload.

use crate::decode::{Cx, be16, be32};
use crate::{DecodeEvent, Layer, TcpInfo, TcpOptions, Transport};

const HEADER_LEN: usize = 20;

mod opt {
    pub const EOL: u8 = 0;
    pub const NOP: u8 = 1;
    pub const MSS: u8 = 2;
    pub const WS: u8 = 3;
    pub const SACKOK: u8 = 4;
    pub const SACK: u8 = 5;
    pub const TS: u8 = 8;
    pub const MD5: u8 = 19;
    pub const AO: u8 = 29;
    pub const TFO: u8 = 34;
    pub const EXP1: u8 = 0xfd;
    pub const EXP2: u8 = 0xfe;
}

/// Decodes a TCP header; `data` is the IP payload.
pub(crate) fn decode(cx: &mut Cx, data: &[u8], base: usize) {
    cx.layer(Layer::Tcp);
    let Some(h) = data.first_chunk::<HEADER_LEN>() else {
        cx.event(DecodeEvent::TcpPktTooSmall);
        return;
    };
    let hlen = usize::from(h[12] >> 4) * 4;
    if data.len() < hlen {
        cx.event(DecodeEvent::TcpHlenTooSmall);
        return;
    }
    if hlen < HEADER_LEN {
        // Suricata computes the option length in a u8 and catches a data
        // offset below 5 as an oversized option length.
        cx.event(DecodeEvent::TcpInvalidOptlen);
        return;
    }
    let options = decode_options(cx, data.get(HEADER_LEN..hlen).unwrap_or(&[]));
    cx.out.transport = Transport::Tcp(TcpInfo {
        src_port: u16::from_be_bytes([h[0], h[1]]),
        dst_port: u16::from_be_bytes([h[2], h[3]]),
        seq: u32::from_be_bytes([h[4], h[5], h[6], h[7]]),
        ack: u32::from_be_bytes([h[8], h[9], h[10], h[11]]),
        flags: h[13],
        window: u16::from_be_bytes([h[14], h[15]]),
        header_len: hlen as u8,
        urgent: u16::from_be_bytes([h[18], h[19]]),
        options,
    });
    cx.set_payload(base, hlen, data.len(), data.len());
}

/// Parses the options; malformed ones raise events but never invalidate
/// the segment (Suricata stops parsing at an impossible length).
fn decode_options(cx: &mut Cx, mut rest: &[u8]) -> TcpOptions {
    let mut o = TcpOptions::default();
    let (mut have_sack, mut have_tfo) = (false, false);
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
            break;
        };
        let olen = usize::from(olen);
        if olen > rest.len() || olen < 2 {
            cx.event(DecodeEvent::TcpOptInvalidLen);
            break;
        }
        let body = rest.get(2..olen).unwrap_or(&[]);
        match kind {
            opt::WS => {
                if olen != 3 {
                    cx.event(DecodeEvent::TcpOptInvalidLen);
                } else if o.window_scale.is_some() {
                    cx.event(DecodeEvent::TcpOptDuplicate);
                } else {
                    o.window_scale = body.first().copied();
                }
            }
            opt::MSS => {
                if olen != 4 {
                    cx.event(DecodeEvent::TcpOptInvalidLen);
                } else if o.mss.is_some() {
                    cx.event(DecodeEvent::TcpOptDuplicate);
                } else {
                    o.mss = be16(body, 0);
                }
            }
            opt::SACKOK => {
                if olen != 2 {
                    cx.event(DecodeEvent::TcpOptInvalidLen);
                } else if o.sack_permitted {
                    cx.event(DecodeEvent::TcpOptDuplicate);
                } else {
                    o.sack_permitted = true;
                }
            }
            opt::TS => {
                if olen != 10 {
                    cx.event(DecodeEvent::TcpOptInvalidLen);
                } else if o.timestamp.is_some() {
                    cx.event(DecodeEvent::TcpOptDuplicate);
                } else {
                    o.timestamp = be32(body, 0).zip(be32(body, 4));
                }
            }
            opt::SACK => {
                // 1 to 4 blocks of 8 bytes (Suricata also lets an empty
                // SACK of length 2 through).
                if olen != 2 && (!(10..=34).contains(&olen) || (olen - 2) % 8 != 0) {
                    cx.event(DecodeEvent::TcpOptInvalidLen);
                } else if have_sack {
                    cx.event(DecodeEvent::TcpOptDuplicate);
                } else {
                    have_sack = true;
                    o.sack_blocks = ((olen - 2) / 8) as u8;
                }
            }
            opt::TFO => {
                if olen != 2 && (!(6..=18).contains(&olen) || (olen - 2) % 2 != 0) {
                    cx.event(DecodeEvent::TcpOptInvalidLen);
                } else if have_tfo {
                    cx.event(DecodeEvent::TcpOptDuplicate);
                } else {
                    have_tfo = true;
                }
            }
            opt::EXP1 | opt::EXP2 => {
                // Experimental option, TFO when it carries TFO's magic.
                if olen == 4 || olen == 12 {
                    if be16(body, 0) == Some(0xf989) {
                        if have_tfo {
                            cx.event(DecodeEvent::TcpOptDuplicate);
                        } else {
                            have_tfo = true;
                        }
                    }
                } else {
                    cx.event(DecodeEvent::TcpOptInvalidLen);
                }
            }
            // MD5 signature (RFC 2385) and TCP-AO (RFC 5925): keys are out of band,
            // only the lengths can be checked.
            opt::MD5 if olen != 18 => cx.event(DecodeEvent::TcpOptInvalidLen),
            opt::AO if olen < 4 => cx.event(DecodeEvent::TcpOptInvalidLen),
            _ => {}
        }
        rest = rest.get(olen..).unwrap_or(&[]);
    }
    o.tfo = have_tfo;
    o
}

#[cfg(test)]
mod tests {
    use crate::testutil::*;
    use crate::*;

    fn dec_tcp(seg: &[u8]) -> Decoded {
        let mut out = Decoded::default();
        decode_packet(LinkType::Ipv4, &ipv4_packet(6, seg), &mut out);
        out
    }

    fn tcp_of(out: &Decoded) -> TcpInfo {
        match out.transport {
            Transport::Tcp(t) => t,
            t => panic!("not tcp: {t:?} {:?}", out.events),
        }
    }

    #[test]
    fn syn_with_all_options() {
        let opts = [
            2, 4, 0x05, 0xb4, // MSS 1460
            4, 2, // SACK permitted
            8, 10, 0, 0, 0, 1, 0, 0, 0, 2, // TS 1/2
            1, // NOP
            3, 3, 7, // WS 7
        ];
        let mut seg = tcp_segment(51000, 80, 0x02, &opts, b"");
        seg[4..8].copy_from_slice(&0x0102_0304u32.to_be_bytes());
        seg[8..12].copy_from_slice(&0x0a0b_0c0du32.to_be_bytes());
        seg[14..16].copy_from_slice(&29200u16.to_be_bytes());
        seg[18..20].copy_from_slice(&7u16.to_be_bytes());
        let out = dec_tcp(&seg);
        assert!(out.events.is_empty(), "{:?}", out.events);
        let t = tcp_of(&out);
        assert_eq!((t.src_port, t.dst_port), (51000, 80));
        assert_eq!((t.seq, t.ack), (0x0102_0304, 0x0a0b_0c0d));
        assert_eq!(t.flags, tcp_flags::SYN);
        assert_eq!((t.window, t.urgent, t.header_len), (29200, 7, 40));
        assert_eq!(t.options.mss, Some(1460));
        assert!(t.options.sack_permitted);
        assert_eq!(t.options.timestamp, Some((1, 2)));
        assert_eq!(t.options.window_scale, Some(7));
        assert_eq!(t.options.sack_blocks, 0);
        assert_eq!(out.payload_len, 0);
        assert_eq!(out.payload_offset, 60);
    }

    #[test]
    fn sack_blocks_and_payload() {
        let mut opts = vec![1, 1, 5, 18];
        opts.extend_from_slice(&[0; 16]);
        let seg = tcp_segment(1, 2, 0x18, &opts, b"hello");
        let out = dec_tcp(&seg);
        let t = tcp_of(&out);
        assert_eq!(t.options.sack_blocks, 2);
        assert_eq!(out.payload_len, 5);
        assert_eq!(out.payload_offset, 20 + 20 + 20);
    }

    #[test]
    fn header_length_events() {
        let seg = tcp_segment(1, 2, 0x10, &[1, 1, 1, 1], b"abc");
        for cut in 0..20 {
            assert!(
                dec_tcp(&seg[..cut])
                    .events
                    .contains(DecodeEvent::TcpPktTooSmall)
            );
        }
        for cut in 20..24 {
            let out = dec_tcp(&seg[..cut]);
            assert!(
                out.events.contains(DecodeEvent::TcpHlenTooSmall),
                "cut {cut}"
            );
            assert_eq!(out.transport, Transport::None);
        }
        // Data offset below 5.
        let mut bad = seg.clone();
        bad[12] = 0x40;
        assert!(dec_tcp(&bad).events.contains(DecodeEvent::TcpInvalidOptlen));
        // Data offset past the segment.
        let mut bad = seg.clone();
        bad[12] = 0xf0;
        assert!(dec_tcp(&bad).events.contains(DecodeEvent::TcpHlenTooSmall));
    }

    #[test]
    fn option_events() {
        let check = |opts: &[u8], want: DecodeEvent| {
            let out = dec_tcp(&tcp_segment(1, 2, 0x10, opts, b""));
            assert!(out.events.contains(want), "{opts:?}: {:?}", out.events);
            // The segment itself stays valid.
            tcp_of(&out);
        };
        check(&[2, 3, 5, 0], DecodeEvent::TcpOptInvalidLen); // MSS len 3
        check(&[3, 4, 7, 0], DecodeEvent::TcpOptInvalidLen); // WS len 4
        check(&[4, 3, 0, 0], DecodeEvent::TcpOptInvalidLen); // SACKOK len 3
        check(&[8, 8, 0, 0, 0, 0, 0, 0], DecodeEvent::TcpOptInvalidLen); // TS len 8
        check(
            &[5, 11, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0],
            DecodeEvent::TcpOptInvalidLen,
        );
        check(&[2, 40, 0, 0], DecodeEvent::TcpOptInvalidLen); // past options
        check(&[9, 1, 0, 0], DecodeEvent::TcpOptInvalidLen); // length 1
        check(
            &[2, 4, 5, 0xb4, 2, 4, 5, 0xb4],
            DecodeEvent::TcpOptDuplicate,
        );
        check(&[3, 3, 1, 3, 3, 2, 0, 0], DecodeEvent::TcpOptDuplicate);
        check(&[4, 2, 4, 2], DecodeEvent::TcpOptDuplicate);
        check(&[19, 17, 0, 0], DecodeEvent::TcpOptInvalidLen); // MD5 != 18 (len past end too)
        check(&[34, 5, 0, 0, 0, 0, 0, 0], DecodeEvent::TcpOptInvalidLen); // TFO odd cookie
        check(
            &[0xfe, 6, 0xf9, 0x89, 0, 0, 0, 0],
            DecodeEvent::TcpOptInvalidLen,
        );
        check(
            &[34, 2, 0xfe, 4, 0xf9, 0x89, 0, 0],
            DecodeEvent::TcpOptDuplicate,
        );
        // The first valid value wins on duplicates.
        let out = dec_tcp(&tcp_segment(1, 2, 2, &[2, 4, 0, 100, 2, 4, 0, 200], b""));
        assert_eq!(tcp_of(&out).options.mss, Some(100));
    }
}
