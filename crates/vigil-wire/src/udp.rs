//! UDP (RFC 768) and the UDP-carried tunnels Suricata 7 decodes by default:
//! Teredo (port 3544), GENEVE (6081) and VXLAN (4789).

use crate::decode::{Cx, range};
use crate::{DecodeEvent, Layer, Transport, UdpInfo, geneve, teredo, vxlan};

const HEADER_LEN: usize = 8;

/// Decodes a UDP header; `data` is the IP payload. The payload is bounded by
/// the UDP length field.
pub(crate) fn decode(cx: &mut Cx, data: &[u8], base: usize) {
    cx.layer(Layer::Udp);
    let Some(h) = data.first_chunk::<HEADER_LEN>() else {
        cx.event(DecodeEvent::UdpHlenTooSmall);
        return;
    };
    let ulen = usize::from(u16::from_be_bytes([h[4], h[5]]));
    if data.len() < ulen {
        cx.event(DecodeEvent::UdpPktTooSmall);
        return;
    }
    // A UDP length shorter than the IP payload is accepted silently (the
    // extra bytes are ignored), as Suricata 7 does.
    if ulen < HEADER_LEN {
        cx.event(DecodeEvent::UdpLenInvalid);
        return;
    }
    let src_port = u16::from_be_bytes([h[0], h[1]]);
    let dst_port = u16::from_be_bytes([h[2], h[3]]);
    cx.out.transport = Transport::Udp(UdpInfo {
        src_port,
        dst_port,
        length: ulen as u16,
    });
    cx.set_payload(base, HEADER_LEN, ulen, data.len());

    let payload = range(data, HEADER_LEN, ulen);
    let pbase = base.saturating_add(HEADER_LEN);
    // Same order as Suricata: Teredo, then GENEVE, then VXLAN. Each returns
    // false when the payload is not of its kind, leaving plain UDP.
    if (src_port == teredo::PORT || dst_port == teredo::PORT) && teredo::decode(cx, payload, pbase)
    {
        return;
    }
    if dst_port == geneve::PORT && geneve::decode(cx, payload, pbase) {
        return;
    }
    if dst_port == vxlan::PORT {
        vxlan::decode(cx, payload, pbase);
    }
}

#[cfg(test)]
mod tests {
    use crate::testutil::*;
    use crate::*;

    fn dec_udp(dgram: &[u8]) -> Decoded {
        let mut out = Decoded::default();
        decode_packet(LinkType::Ipv4, &ipv4_packet(17, dgram), &mut out);
        out
    }

    #[test]
    fn udp_fields() {
        let d = udp_packet(5353, 53, b"query");
        let out = dec_udp(&d);
        assert!(out.events.is_empty());
        assert_eq!(
            out.transport,
            Transport::Udp(UdpInfo {
                src_port: 5353,
                dst_port: 53,
                length: 13
            })
        );
        assert_eq!((out.payload_offset, out.payload_len), (28, 5));
    }

    #[test]
    fn udp_length_events() {
        let d = udp_packet(1, 2, b"abcdef");
        for cut in 0..8 {
            assert!(
                dec_udp(&d[..cut])
                    .events
                    .contains(DecodeEvent::UdpHlenTooSmall)
            );
        }
        for cut in 8..d.len() {
            let out = dec_udp(&d[..cut]);
            assert!(
                out.events.contains(DecodeEvent::UdpPktTooSmall),
                "cut {cut}"
            );
            assert_eq!(out.transport, Transport::None);
        }
        // UDP length shorter than the IP payload: decoded, payload bounded,
        // no anomaly (as Suricata 7).
        let mut short = d.clone();
        short[5] = 10;
        let out = dec_udp(&short);
        assert!(out.events.is_empty());
        assert_eq!(out.payload_len, 2);
        // UDP length below the header size.
        let mut tiny = d.clone();
        tiny[5] = 4;
        let out = dec_udp(&tiny);
        assert!(out.events.contains(DecodeEvent::UdpLenInvalid));
        assert!(!out.events.contains(DecodeEvent::UdpHlenInvalid));
        assert_eq!(out.transport, Transport::None);
    }
}
