//! MPLS label stacks (RFC 3032) and what is beneath them: IPv4, IPv6 or an
//! Ethernet pseudowire (with control word), guessed like Suricata.

use crate::decode::Cx;
use crate::{DecodeEvent, Layer, ethernet, ipv4, ipv6};

const LABEL_LEN: usize = 4;
/// Pseudowire control word before an Ethernet frame.
const PW_CONTROL_WORD_LEN: usize = 4;

const LABEL_IPV4_NULL: u32 = 0;
const LABEL_ROUTER_ALERT: u32 = 1;
const LABEL_IPV6_NULL: u32 = 2;
const LABEL_IMPLICIT_NULL: u32 = 3;
const MAX_RESERVED_LABEL: u32 = 15;

/// Decodes a label stack and its payload.
pub(crate) fn decode(cx: &mut Cx, data: &[u8], base: usize) {
    cx.layer(Layer::Mpls);
    if !cx.enter_layer() {
        return;
    }
    let mut pos = 0;
    let label = loop {
        let Some(&shim) = data.get(pos..).and_then(|d| d.first_chunk::<LABEL_LEN>()) else {
            cx.event(DecodeEvent::MplsHeaderTooSmall);
            return;
        };
        pos += LABEL_LEN;
        let shim = u32::from_be_bytes(shim);
        if shim & 0x100 != 0 {
            // Bottom of stack.
            break shim >> 12;
        }
    };
    let rest = data.get(pos..).unwrap_or(&[]);
    let rbase = base.saturating_add(pos);
    let bad = match label {
        LABEL_IPV4_NULL => return ipv4::decode(cx, rest, rbase),
        LABEL_IPV6_NULL => return ipv6::decode(cx, rest, rbase),
        LABEL_ROUTER_ALERT => Some(DecodeEvent::MplsBadLabelRouterAlert),
        LABEL_IMPLICIT_NULL => Some(DecodeEvent::MplsBadLabelImplicitNull),
        l if l < MAX_RESERVED_LABEL => Some(DecodeEvent::MplsBadLabelReserved),
        _ => None,
    };
    if let Some(e) = bad {
        cx.event(e);
        return;
    }
    if rest.len() < PW_CONTROL_WORD_LEN {
        cx.event(DecodeEvent::MplsPktTooSmall);
        return;
    }
    match rest.first().map(|b| b >> 4) {
        Some(4) => ipv4::decode(cx, rest, rbase),
        Some(6) => ipv6::decode(cx, rest, rbase),
        Some(0) => ethernet::decode(
            cx,
            rest.get(PW_CONTROL_WORD_LEN..).unwrap_or(&[]),
            rbase + PW_CONTROL_WORD_LEN,
        ),
        _ => cx.event(DecodeEvent::MplsUnknownPayloadType),
    }
}

#[cfg(test)]
mod tests {
    use crate::testutil::*;
    use crate::*;

    fn label(value: u32, bottom: bool) -> [u8; 4] {
        ((value << 12) | if bottom { 0x100 } else { 0 } | 64).to_be_bytes()
    }

    fn mpls(labels: &[(u32, bool)], payload: &[u8]) -> Vec<u8> {
        let mut m = Vec::new();
        for &(v, b) in labels {
            m.extend_from_slice(&label(v, b));
        }
        m.extend_from_slice(payload);
        eth_frame(0x8847, &m)
    }

    fn dec(frame: &[u8]) -> Decoded {
        let mut out = Decoded::default();
        decode_packet(LinkType::Ethernet, frame, &mut out);
        out
    }

    #[test]
    fn mpls_stack_to_ipv4_and_ipv6() {
        let ip = ipv4_packet(17, &udp_packet(1, 2, b"m"));
        let f = mpls(&[(100, false), (200, true)], &ip);
        let out = dec(&f);
        assert!(out.events.is_empty(), "{:?}", out.events);
        assert!(out.layers.has(Layer::Mpls));
        assert_eq!(out.ip.unwrap().header_offset, 22);
        assert_eq!(out.payload(&f), b"m");
        // Explicit null labels name the payload.
        let f = mpls(&[(2, true)], &ipv6_packet(17, &udp_packet(1, 2, b"6")));
        assert_eq!(dec(&f).ip.unwrap().version, 6);
        let f = mpls(&[(0, true)], &ip);
        assert_eq!(dec(&f).ip.unwrap().version, 4);
    }

    #[test]
    fn mpls_ethernet_pseudowire() {
        let mut pw = vec![0, 0, 0, 0];
        pw.extend_from_slice(&eth_frame(
            0x0800,
            &ipv4_packet(17, &udp_packet(1, 2, b"pw")),
        ));
        let f = mpls(&[(16, true)], &pw);
        let out = dec(&f);
        assert!(out.events.is_empty(), "{:?}", out.events);
        assert_eq!(out.payload(&f), b"pw");
    }

    #[test]
    fn mpls_events() {
        let ip = ipv4_packet(17, &udp_packet(1, 2, b""));
        assert!(
            dec(&mpls(&[(1, true)], &ip))
                .events
                .contains(DecodeEvent::MplsBadLabelRouterAlert)
        );
        assert!(
            dec(&mpls(&[(3, true)], &ip))
                .events
                .contains(DecodeEvent::MplsBadLabelImplicitNull)
        );
        assert!(
            dec(&mpls(&[(7, true)], &ip))
                .events
                .contains(DecodeEvent::MplsBadLabelReserved)
        );
        assert!(
            dec(&mpls(&[(21, true)], &[0x15; 30]))
                .events
                .contains(DecodeEvent::MplsUnknownPayloadType)
        );
        for n in 0..4 {
            assert!(
                dec(&mpls(&[(21, true)], &[0x45; 3][..n]))
                    .events
                    .contains(DecodeEvent::MplsPktTooSmall)
            );
        }
        // Stack never reaching the bottom.
        let f = mpls(&[(100, false), (200, false)], &[]);
        assert!(dec(&f).events.contains(DecodeEvent::MplsHeaderTooSmall));
        assert!(
            dec(&f[..16])
                .events
                .contains(DecodeEvent::MplsHeaderTooSmall)
        );
    }
}
