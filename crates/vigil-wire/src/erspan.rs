//! ERSPAN (Cisco's encapsulated remote SPAN) inside GRE: type I (no header),
//! type II (8-byte header, version 1) and type III (12-byte header, version
//! 2, optional 8-byte platform subheader), each carrying an Ethernet frame.

use crate::decode::{Cx, be16};
use crate::{DecodeEvent, Layer, ethernet};

const TYPE2_LEN: usize = 8;
const TYPE3_LEN: usize = 12;
const TYPE3_SUBHEADER_LEN: usize = 8;

/// Type I: the mirrored Ethernet frame follows GRE directly.
pub(crate) fn decode_type1(cx: &mut Cx, data: &[u8], base: usize) {
    cx.layer(Layer::Erspan);
    if !cx.enter_layer() {
        return;
    }
    ethernet::decode(cx, data, base);
}

/// Type II.
pub(crate) fn decode_type2(cx: &mut Cx, data: &[u8], base: usize) {
    decode_typed(cx, data, base, TYPE2_LEN, 1);
}

/// Type III.
pub(crate) fn decode_type3(cx: &mut Cx, data: &[u8], base: usize) {
    decode_typed(cx, data, base, TYPE3_LEN, 2);
}

fn decode_typed(cx: &mut Cx, data: &[u8], base: usize, hlen: usize, version: u8) {
    cx.layer(Layer::Erspan);
    if data.len() < hlen {
        cx.event(DecodeEvent::ErspanHeaderTooSmall);
        return;
    }
    if !cx.enter_layer() {
        return;
    }
    let ver_vlan = be16(data, 0).unwrap_or(0);
    if (ver_vlan >> 12) as u8 != version {
        cx.event(DecodeEvent::ErspanUnsupportedVersion);
        return;
    }
    let mut hlen = hlen;
    if version == 2 && data.get(TYPE3_LEN - 1).is_some_and(|b| b & 0x01 != 0) {
        hlen += TYPE3_SUBHEADER_LEN;
    }
    let vlan = ver_vlan & 0x0fff;
    if vlan != 0 {
        // The ERSPAN header's VLAN counts as a VLAN layer (Suricata allows
        // it while fewer than two are known).
        if cx.out.vlan_count >= 2 {
            cx.event(DecodeEvent::ErspanTooManyVlanLayers);
            return;
        }
        if let Some(slot) = cx.out.vlan.get_mut(usize::from(cx.out.vlan_count)) {
            *slot = vlan;
            cx.out.vlan_count += 1;
        }
    }
    let Some(inner) = data.get(hlen..) else {
        cx.event(DecodeEvent::ErspanHeaderTooSmall);
        return;
    };
    ethernet::decode(cx, inner, base.saturating_add(hlen));
}

#[cfg(test)]
mod tests {
    use crate::testutil::*;
    use crate::*;

    fn gre_erspan(seq: bool, proto: u16, erspan: &[u8]) -> Vec<u8> {
        let mut g = vec![if seq { 0x10 } else { 0 }, 0];
        g.extend_from_slice(&proto.to_be_bytes());
        if seq {
            g.extend_from_slice(&[0, 0, 0, 5]);
        }
        g.extend_from_slice(erspan);
        ipv4_packet(47, &g)
    }

    #[test]
    fn erspan_events_and_type3() {
        let inner = eth_frame(0x0800, &ipv4_packet(17, &udp_packet(1, 2, b"e3")));
        let mut out = Decoded::default();
        decode_packet(
            LinkType::Ipv4,
            &gre_erspan(true, 0x88be, &[0x10, 0]),
            &mut out,
        );
        assert!(out.events.contains(DecodeEvent::ErspanHeaderTooSmall));
        decode_packet(
            LinkType::Ipv4,
            &gre_erspan(true, 0x88be, &[0x20, 0, 0, 0, 0, 0, 0, 0]),
            &mut out,
        );
        assert!(out.events.contains(DecodeEvent::ErspanUnsupportedVersion));

        let mut e3 = vec![0x20, 0x05, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1];
        e3.extend_from_slice(&[0; 8]); // platform subheader
        e3.extend_from_slice(&inner);
        let pkt = gre_erspan(true, 0x22eb, &e3);
        decode_packet(LinkType::Ipv4, &pkt, &mut out);
        assert!(out.events.is_empty(), "{:?}", out.events);
        assert_eq!(out.vlans(), &[5]);
        assert_eq!(out.payload(&pkt), b"e3");
    }
}
