//! Ethernet II (and 802.3 frames, whose length field is reported as an
//! unknown EtherType, as Suricata does).

use crate::decode::{Cx, decode_network_layer};
use crate::{DecodeEvent, EtherInfo, Layer};

/// Destination MAC, source MAC, EtherType.
pub(crate) const HEADER_LEN: usize = 14;

/// Decodes an Ethernet frame and what it carries.
pub(crate) fn decode(cx: &mut Cx, data: &[u8], base: usize) {
    cx.layer(Layer::Ethernet);
    let Some(h) = data.first_chunk::<HEADER_LEN>() else {
        cx.event(DecodeEvent::EthernetPktTooSmall);
        return;
    };
    if !cx.enter_layer() {
        return;
    }
    let etype = u16::from_be_bytes([h[12], h[13]]);
    if cx.out.ether.is_none() {
        let mut dst = [0u8; 6];
        let mut src = [0u8; 6];
        dst.copy_from_slice(&h[0..6]);
        src.copy_from_slice(&h[6..12]);
        cx.out.ether = Some(EtherInfo {
            src,
            dst,
            ethertype: etype,
        });
    }
    decode_network_layer(
        cx,
        etype,
        data.get(HEADER_LEN..).unwrap_or(&[]),
        base + HEADER_LEN,
    );
}

#[cfg(test)]
mod tests {
    use crate::testutil::*;
    use crate::*;

    #[test]
    fn ethernet_ipv4_tcp_fields() {
        let tcp = tcp_segment(40000, 502, 0x18, &[], b"\x00\x01\x00\x00\x00\x06\x01\x03");
        let frame = eth_frame(0x0800, &ipv4_packet(6, &tcp));
        let mut out = Decoded::default();
        decode_packet(LinkType::Ethernet, &frame, &mut out);
        assert!(out.events.is_empty(), "{:?}", out.events);
        let e = out.ether.unwrap();
        assert_eq!(e.dst, [0, 1, 2, 3, 4, 5]);
        assert_eq!(e.src, [6, 7, 8, 9, 10, 11]);
        assert_eq!(e.ethertype, 0x0800);
        assert!(out.layers.has(Layer::Ethernet));
        assert!(out.layers.has(Layer::Ipv4));
        assert!(out.layers.has(Layer::Tcp));
        let ip = out.ip.unwrap();
        assert_eq!(ip.header_offset, 14);
        assert_eq!(ip.l4_offset, 34);
        assert_eq!(out.payload_offset, 54);
        assert_eq!(out.payload(&frame), b"\x00\x01\x00\x00\x00\x06\x01\x03");
    }

    #[test]
    fn ethernet_too_small_at_every_length() {
        let frame = eth_frame(0x0800, &ipv4_packet(17, &udp_packet(1, 2, b"")));
        let mut out = Decoded::default();
        for cut in 0..14 {
            decode_packet(LinkType::Ethernet, &frame[..cut], &mut out);
            assert!(
                out.events.contains(DecodeEvent::EthernetPktTooSmall),
                "cut {cut}"
            );
            assert!(out.ether.is_none());
        }
        decode_packet(LinkType::Ethernet, &frame[..14], &mut out);
        assert!(!out.events.contains(DecodeEvent::EthernetPktTooSmall));
        assert!(out.events.contains(DecodeEvent::Ipv4PktTooSmall));
    }

    #[test]
    fn unknown_ethertype_and_8023_length() {
        let mut out = Decoded::default();
        decode_packet(LinkType::Ethernet, &eth_frame(0x1234, &[0; 30]), &mut out);
        assert!(out.events.contains(DecodeEvent::UnknownEthertype));
        assert!(out.ip.is_none());
        // 802.3 length field + LLC.
        decode_packet(
            LinkType::Ethernet,
            &eth_frame(0x0026, &[0x42, 0x42, 3]),
            &mut out,
        );
        assert!(out.events.contains(DecodeEvent::UnknownEthertype));
    }

    #[test]
    fn goose_payload_is_recorded_and_still_unknown() {
        // Untagged: APPID 1, length 8 (an empty APDU), then Ethernet padding.
        let mut frame = eth_frame(0x88b8, &[0, 1, 0, 8, 0, 0, 0, 0]);
        frame.resize(60, 0);
        let mut out = Decoded::default();
        decode_packet(LinkType::Ethernet, &frame, &mut out);
        // Suricata counts the frame as an unknown EtherType; so does vigil.
        assert_eq!(
            out.events.iter().collect::<Vec<_>>(),
            [DecodeEvent::UnknownEthertype]
        );
        assert!(out.layers.has(Layer::Goose));
        let p = out.ether_payload.unwrap();
        assert_eq!((p.ethertype, p.offset, p.len), (0x88b8, 14, 46));
        assert_eq!(&p.bytes(&frame)[..4], [0, 1, 0, 8]);

        // Priority-tagged (VLAN 0): the payload starts after the tag.
        let mut inner = vec![0x80, 0x00, 0x88, 0xb8];
        inner.extend_from_slice(&[0x30, 0x01, 0, 8, 0, 0, 0, 0]);
        let frame = eth_frame(0x8100, &inner);
        decode_packet(LinkType::Ethernet, &frame, &mut out);
        assert!(out.events.contains(DecodeEvent::VlanUnknownType));
        assert_eq!(out.vlans(), &[0]);
        let p = out.ether_payload.unwrap();
        assert_eq!((p.ethertype, p.offset, p.len), (0x88b8, 18, 8));
        assert_eq!(p.bytes(&frame), &inner[4..]);

        // Another unknown EtherType is recorded but not counted as GOOSE;
        // an 802.3 length field is not an EtherType.
        decode_packet(LinkType::Ethernet, &eth_frame(0x88ba, &[1, 2]), &mut out);
        assert_eq!(out.ether_payload.map(|p| p.ethertype), Some(0x88ba));
        assert!(!out.layers.has(Layer::Goose));
        decode_packet(
            LinkType::Ethernet,
            &eth_frame(0x0026, &[0x42, 0x42, 3]),
            &mut out,
        );
        assert!(out.ether_payload.is_none());
        // IP frames have none.
        let frame = eth_frame(0x0800, &ipv4_packet(17, &udp_packet(1, 2, b"")));
        decode_packet(LinkType::Ethernet, &frame, &mut out);
        assert!(out.ether_payload.is_none());
    }

    #[test]
    fn ethernet_padding_is_ignored() {
        // A 60-byte minimum frame: the IP total length bounds the payload.
        let mut frame = eth_frame(0x0800, &ipv4_packet(17, &udp_packet(7, 9, b"ab")));
        frame.resize(60, 0);
        let mut out = Decoded::default();
        decode_packet(LinkType::Ethernet, &frame, &mut out);
        assert!(out.events.is_empty(), "{:?}", out.events);
        assert_eq!(out.payload(&frame), b"ab");
        assert_eq!(out.ip.unwrap().l4_len, 10);
    }
}
