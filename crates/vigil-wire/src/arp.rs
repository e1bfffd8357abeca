//! ARP (RFC 826).

use crate::decode::{Cx, be16};
use crate::{ArpInfo, DecodeEvent, Layer};
use std::net::Ipv4Addr;

/// Fixed part: hardware type, protocol type, lengths, operation.
const FIXED_LEN: usize = 8;
/// Ethernet/IPv4 ARP: fixed part plus two MAC and two IPv4 addresses.
const ETH_IPV4_LEN: usize = 28;

/// Decodes an ARP message; Ethernet/IPv4 ones fill `out.arp`.
pub(crate) fn decode(cx: &mut Cx, data: &[u8], _base: usize) {
    cx.layer(Layer::Arp);
    let Some(h) = data.first_chunk::<FIXED_LEN>() else {
        cx.event(DecodeEvent::ArpPktTooSmall);
        return;
    };
    let (hlen, plen) = (usize::from(h[4]), usize::from(h[5]));
    if data.len() < FIXED_LEN + 2 * hlen + 2 * plen {
        cx.event(DecodeEvent::ArpPktTooSmall);
        return;
    }
    let hw = u16::from_be_bytes([h[0], h[1]]);
    let proto = u16::from_be_bytes([h[2], h[3]]);
    if hw != 1 || proto != 0x0800 || hlen != 6 || plen != 4 {
        return;
    }
    let Some(a) = data.first_chunk::<ETH_IPV4_LEN>() else {
        return;
    };
    let mac = |at: usize| {
        let mut m = [0u8; 6];
        if let Some(s) = a.get(at..at + 6) {
            m.copy_from_slice(s);
        }
        m
    };
    let ip = |at: usize| {
        let mut b = [0u8; 4];
        if let Some(s) = a.get(at..at + 4) {
            b.copy_from_slice(s);
        }
        Ipv4Addr::from(b)
    };
    cx.out.arp = Some(ArpInfo {
        op: be16(a, 6).unwrap_or(0),
        sender_mac: mac(8),
        sender_ip: ip(14),
        target_mac: mac(18),
        target_ip: ip(24),
    });
}

#[cfg(test)]
mod tests {
    use crate::testutil::*;
    use crate::*;
    use std::net::Ipv4Addr;

    fn arp_request() -> Vec<u8> {
        let mut a = vec![0, 1, 8, 0, 6, 4, 0, 1];
        a.extend_from_slice(&[0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0xff, 192, 168, 1, 10]);
        a.extend_from_slice(&[0, 0, 0, 0, 0, 0, 192, 168, 1, 1]);
        a
    }

    #[test]
    fn arp_request_fields() {
        let frame = eth_frame(0x0806, &arp_request());
        let mut out = Decoded::default();
        decode_packet(LinkType::Ethernet, &frame, &mut out);
        assert!(out.events.is_empty());
        assert!(out.layers.has(Layer::Arp));
        let a = out.arp.unwrap();
        assert_eq!(a.op, 1);
        assert_eq!(a.sender_mac, [0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0xff]);
        assert_eq!(a.sender_ip, Ipv4Addr::new(192, 168, 1, 10));
        assert_eq!(a.target_ip, Ipv4Addr::new(192, 168, 1, 1));
        assert!(out.ip.is_none());
    }

    #[test]
    fn arp_truncated() {
        let full = eth_frame(0x0806, &arp_request());
        let mut out = Decoded::default();
        for cut in 14..full.len() {
            decode_packet(LinkType::Ethernet, &full[..cut], &mut out);
            assert!(
                out.events.contains(DecodeEvent::ArpPktTooSmall),
                "cut {cut}"
            );
            assert!(out.arp.is_none());
        }
    }
}
