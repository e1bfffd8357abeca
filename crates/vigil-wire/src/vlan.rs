//! IEEE 802.1Q VLAN tags (also 802.1ad and 0x9100 QinQ) and 802.1ah
//! provider backbone bridging.

use crate::decode::{Cx, decode_network_layer};
use crate::{DecodeEvent, Layer};

/// TCI (priority, DEI, VLAN id) and the inner EtherType.
const HEADER_LEN: usize = 4;
/// I-TAG flags/I-SID, customer destination and source MAC, EtherType.
const IEEE8021AH_LEN: usize = 18;

/// Decodes one VLAN tag; the caller has checked that fewer than three tags
/// were seen (Suricata keeps up to three VLAN ids for flow hashing).
pub(crate) fn decode(cx: &mut Cx, data: &[u8], base: usize) {
    cx.layer(if cx.out.vlan_count == 0 {
        Layer::Vlan
    } else {
        Layer::VlanQinq
    });
    let Some(h) = data.first_chunk::<HEADER_LEN>() else {
        cx.event(DecodeEvent::VlanHeaderTooSmall);
        return;
    };
    if !cx.enter_layer() {
        return;
    }
    let idx = usize::from(cx.out.vlan_count);
    let Some(slot) = cx.out.vlan.get_mut(idx) else {
        cx.event(DecodeEvent::VlanTooManyLayers);
        return;
    };
    *slot = u16::from_be_bytes([h[0], h[1]]) & 0x0fff;
    cx.out.vlan_count += 1;
    let etype = u16::from_be_bytes([h[2], h[3]]);
    let inner = data.get(HEADER_LEN..).unwrap_or(&[]);
    if !decode_network_layer(cx, etype, inner, base + HEADER_LEN) {
        cx.event(DecodeEvent::VlanUnknownType);
    }
}

/// Decodes an 802.1ah (MAC-in-MAC) header and what it carries.
pub(crate) fn decode_8021ah(cx: &mut Cx, data: &[u8], base: usize) {
    let Some(h) = data.first_chunk::<IEEE8021AH_LEN>() else {
        cx.event(DecodeEvent::Ieee8021ahHeaderTooSmall);
        return;
    };
    if !cx.enter_layer() {
        return;
    }
    let etype = u16::from_be_bytes([h[16], h[17]]);
    let inner = data.get(IEEE8021AH_LEN..).unwrap_or(&[]);
    decode_network_layer(cx, etype, inner, base + IEEE8021AH_LEN);
}

#[cfg(test)]
mod tests {
    use crate::testutil::*;
    use crate::*;

    fn tagged(tags: &[(u16, u16)], etype: u16, payload: &[u8]) -> Vec<u8> {
        // tags: (tpid, vid), outermost first.
        let mut inner = Vec::new();
        for (i, &(_, vid)) in tags.iter().enumerate() {
            let next = tags.get(i + 1).map_or(etype, |t| t.0);
            inner.extend_from_slice(&vid.to_be_bytes());
            inner.extend_from_slice(&next.to_be_bytes());
        }
        inner.extend_from_slice(payload);
        eth_frame(tags.first().map_or(etype, |t| t.0), &inner)
    }

    #[test]
    fn single_vlan() {
        let frame = tagged(
            &[(0x8100, 0x2064)],
            0x0800,
            &ipv4_packet(17, &udp_packet(1, 2, b"")),
        );
        let mut out = Decoded::default();
        decode_packet(LinkType::Ethernet, &frame, &mut out);
        assert!(out.events.is_empty(), "{:?}", out.events);
        assert_eq!(out.vlans(), &[0x064]);
        assert!(out.layers.has(Layer::Vlan));
        assert!(!out.layers.has(Layer::VlanQinq));
        assert_eq!(out.ip.unwrap().header_offset, 18);
    }

    #[test]
    fn qinq_and_triple_tags() {
        let pkt = ipv4_packet(6, &tcp_segment(1, 2, 2, &[], b""));
        let frame = tagged(&[(0x88a8, 100), (0x8100, 200)], 0x0800, &pkt);
        let mut out = Decoded::default();
        decode_packet(LinkType::Ethernet, &frame, &mut out);
        assert_eq!(out.vlans(), &[100, 200]);
        assert!(out.layers.has(Layer::VlanQinq));
        assert!(matches!(out.transport, Transport::Tcp(_)));

        let frame = tagged(&[(0x9100, 1), (0x88a8, 2), (0x8100, 3)], 0x0800, &pkt);
        decode_packet(LinkType::Ethernet, &frame, &mut out);
        assert_eq!(out.vlans(), &[1, 2, 3]);
        assert!(out.events.is_empty());
        assert!(out.ip.is_some());
    }

    #[test]
    fn four_tags_too_many() {
        let pkt = ipv4_packet(6, &tcp_segment(1, 2, 2, &[], b""));
        let frame = tagged(
            &[(0x8100, 1), (0x8100, 2), (0x8100, 3), (0x8100, 4)],
            0x0800,
            &pkt,
        );
        let mut out = Decoded::default();
        decode_packet(LinkType::Ethernet, &frame, &mut out);
        assert_eq!(out.vlans(), &[1, 2, 3]);
        assert!(out.events.contains(DecodeEvent::VlanTooManyLayers));
        assert!(out.ip.is_none());
    }

    #[test]
    fn vlan_truncated_and_unknown_type() {
        let frame = tagged(&[(0x8100, 5)], 0x0800, &[]);
        let mut out = Decoded::default();
        for cut in 14..18 {
            decode_packet(LinkType::Ethernet, &frame[..cut], &mut out);
            assert!(
                out.events.contains(DecodeEvent::VlanHeaderTooSmall),
                "cut {cut}"
            );
            assert_eq!(out.vlan_count, 0);
        }
        let frame = tagged(&[(0x8100, 5)], 0x0100, &[0; 20]);
        decode_packet(LinkType::Ethernet, &frame, &mut out);
        assert!(out.events.contains(DecodeEvent::VlanUnknownType));
        assert!(out.events.contains(DecodeEvent::UnknownEthertype));
    }

    #[test]
    fn ieee8021ah() {
        let mut ah = vec![0, 0, 0, 1];
        ah.extend_from_slice(&[1; 12]);
        ah.extend_from_slice(&0x0800u16.to_be_bytes());
        ah.extend_from_slice(&ipv4_packet(17, &udp_packet(3, 4, b"z")));
        let frame = eth_frame(0x88e7, &ah);
        let mut out = Decoded::default();
        decode_packet(LinkType::Ethernet, &frame, &mut out);
        assert!(out.events.is_empty(), "{:?}", out.events);
        assert_eq!(out.payload(&frame), b"z");
        decode_packet(LinkType::Ethernet, &frame[..14 + 17], &mut out);
        assert!(out.events.contains(DecodeEvent::Ieee8021ahHeaderTooSmall));
    }
}
