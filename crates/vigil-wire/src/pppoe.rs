//! PPPoE (RFC 2516): discovery (tags checked) and session stages.

use crate::decode::{Cx, be16};
use crate::{DecodeEvent, Layer, ppp};

/// Version/type, code, session id, length.
const DISCOVERY_HEADER_LEN: usize = 6;
/// The session header plus a one-byte (compressed) PPP protocol.
const SESSION_HEADER_MIN_LEN: usize = 7;

/// Decodes a PPPoE discovery packet (PADI/PADO/PADR/PADS/PADT).
pub(crate) fn decode_discovery(cx: &mut Cx, data: &[u8], _base: usize) {
    cx.layer(Layer::Pppoe);
    let Some(h) = data.first_chunk::<DISCOVERY_HEADER_LEN>() else {
        cx.event(DecodeEvent::PppoePktTooSmall);
        return;
    };
    if !matches!(h[1], 0x09 | 0x07 | 0x19 | 0x65 | 0xa7) {
        cx.event(DecodeEvent::PppoeWrongCode);
        return;
    }
    let tags_len = usize::from(u16::from_be_bytes([h[4], h[5]]));
    let Some(tags) = data.get(DISCOVERY_HEADER_LEN..DISCOVERY_HEADER_LEN + tags_len) else {
        cx.event(DecodeEvent::PppoeMalformedTags);
        return;
    };
    // Walk the tags (type, length, value); one running past the advertised
    // length is malformed.
    let mut pos = 0;
    while pos + 4 <= tags.len() {
        let tlen = usize::from(be16(tags, pos + 2).unwrap_or(0));
        pos += 4 + tlen;
        if pos > tags.len() {
            cx.event(DecodeEvent::PppoeMalformedTags);
            return;
        }
    }
}

/// Decodes a PPPoE session packet and the PPP payload.
pub(crate) fn decode_session(cx: &mut Cx, data: &[u8], base: usize) {
    cx.layer(Layer::Pppoe);
    let Some(h) = data.first_chunk::<SESSION_HEADER_MIN_LEN>() else {
        cx.event(DecodeEvent::PppoePktTooSmall);
        return;
    };
    if u16::from_be_bytes([h[4], h[5]]) == 0 {
        // Nothing in the session payload.
        return;
    }
    cx.layer(Layer::Ppp);
    // RFC 1661 protocol-field compression: an odd first byte is the whole
    // protocol.
    let (proto, hlen) = if h[6] & 0x01 != 0 {
        (u16::from(h[6]), SESSION_HEADER_MIN_LEN)
    } else {
        match be16(data, 6) {
            Some(p) => (p, SESSION_HEADER_MIN_LEN + 1),
            None => {
                cx.event(DecodeEvent::PppoePktTooSmall);
                return;
            }
        }
    };
    ppp::decode_payload(cx, proto, data, hlen, base);
}

#[cfg(test)]
mod tests {
    use crate::testutil::*;
    use crate::*;

    fn dec(frame: &[u8]) -> Decoded {
        let mut out = Decoded::default();
        decode_packet(LinkType::Ethernet, frame, &mut out);
        out
    }

    fn session(proto: &[u8], payload: &[u8]) -> Vec<u8> {
        let mut s = vec![0x11, 0x00, 0x12, 0x34];
        s.extend_from_slice(&((proto.len() + payload.len()) as u16).to_be_bytes());
        s.extend_from_slice(proto);
        s.extend_from_slice(payload);
        eth_frame(0x8864, &s)
    }

    #[test]
    fn pppoe_session_ipv4_and_ipv6() {
        let ip = ipv4_packet(6, &tcp_segment(1, 2, 0x18, &[], b"oe"));
        let f = session(&[0x00, 0x21], &ip);
        let out = dec(&f);
        assert!(out.events.is_empty(), "{:?}", out.events);
        assert!(out.layers.has(Layer::Pppoe));
        assert_eq!(out.ip.unwrap().header_offset, 22);
        assert_eq!(out.payload(&f), b"oe");
        let f = session(&[0x21], &ip);
        assert_eq!(dec(&f).ip.unwrap().header_offset, 21);
        let f = session(&[0x00, 0x57], &ipv6_packet(17, &udp_packet(1, 2, b"")));
        assert_eq!(dec(&f).ip.unwrap().version, 6);
    }

    #[test]
    fn pppoe_session_events() {
        let f = session(&[0x00, 0x21], &[]);
        for cut in 14..21 {
            assert!(
                dec(&f[..cut])
                    .events
                    .contains(DecodeEvent::PppoePktTooSmall),
                "cut {cut}"
            );
        }
        assert!(dec(&f).events.contains(DecodeEvent::PppIpv4PktTooSmall));
        assert!(
            dec(&session(&[0xc0, 0x21], &[1, 2]))
                .events
                .contains(DecodeEvent::PppUnsupProto)
        );
        assert!(
            dec(&session(&[0x12, 0x34], &[1, 2]))
                .events
                .contains(DecodeEvent::PppWrongType)
        );
    }

    #[test]
    fn pppoe_discovery() {
        // PADO from RFC 2516: service-name and AC-name tags.
        let pado = [
            0x11, 0x07, 0x00, 0x00, 0x00, 0x20, 0x01, 0x01, 0x00, 0x00, 0x01, 0x02, 0x00, 0x18,
            0x47, 0x6f, 0x20, 0x52, 0x65, 0x64, 0x42, 0x61, 0x63, 0x6b, 0x20, 0x2d, 0x20, 0x65,
            0x73, 0x68, 0x73, 0x68, 0x65, 0x73, 0x68, 0x6f, 0x6f, 0x74,
        ];
        let out = dec(&eth_frame(0x8863, &pado));
        assert!(out.events.is_empty(), "{:?}", out.events);
        assert!(out.layers.has(Layer::Pppoe));
        // Too short for its length.
        let out = dec(&eth_frame(0x8863, &pado[..32]));
        assert!(out.events.contains(DecodeEvent::PppoeMalformedTags));
        // A tag longer than the tag area.
        let mut bad = pado;
        bad[13] = 0x40;
        assert!(
            dec(&eth_frame(0x8863, &bad))
                .events
                .contains(DecodeEvent::PppoeMalformedTags)
        );
        // Wrong code.
        let out = dec(&eth_frame(0x8863, &[0x11, 0xbb, 0, 0, 0, 4, 1, 1, 0, 0]));
        assert!(out.events.contains(DecodeEvent::PppoeWrongCode));
        assert!(
            dec(&eth_frame(0x8863, &[0x11, 0x09, 0]))
                .events
                .contains(DecodeEvent::PppoePktTooSmall)
        );
    }
}
