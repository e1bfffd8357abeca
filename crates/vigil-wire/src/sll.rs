//! Linux cooked captures: SLL (16-byte header, protocol last) and SLL2
//! (20-byte header, protocol first).

use crate::decode::{Cx, decode_network_layer};
use crate::{DecodeEvent, Layer};

const SLL_LEN: usize = 16;
const SLL2_LEN: usize = 20;

/// LINKTYPE_LINUX_SLL.
pub(crate) fn decode_v1(cx: &mut Cx, data: &[u8], base: usize) {
    cx.layer(Layer::Sll);
    let Some(h) = data.first_chunk::<SLL_LEN>() else {
        cx.event(DecodeEvent::SllPktTooSmall);
        return;
    };
    let proto = u16::from_be_bytes([h[14], h[15]]);
    decode_network_layer(
        cx,
        proto,
        data.get(SLL_LEN..).unwrap_or(&[]),
        base + SLL_LEN,
    );
}

/// LINKTYPE_LINUX_SLL2.
pub(crate) fn decode_v2(cx: &mut Cx, data: &[u8], base: usize) {
    cx.layer(Layer::Sll);
    let Some(h) = data.first_chunk::<SLL2_LEN>() else {
        cx.event(DecodeEvent::SllPktTooSmall);
        return;
    };
    let proto = u16::from_be_bytes([h[0], h[1]]);
    decode_network_layer(
        cx,
        proto,
        data.get(SLL2_LEN..).unwrap_or(&[]),
        base + SLL2_LEN,
    );
}

#[cfg(test)]
mod tests {
    use crate::testutil::*;
    use crate::*;

    #[test]
    fn sll_v1_and_v2() {
        let ip = ipv4_packet(17, &udp_packet(1, 2, b"sll"));
        let mut f = vec![0, 0, 0, 1, 0, 6, 1, 2, 3, 4, 5, 6, 0, 0, 0x08, 0x00];
        f.extend_from_slice(&ip);
        let mut out = Decoded::default();
        decode_packet(LinkType::LinuxSll, &f, &mut out);
        assert!(out.events.is_empty(), "{:?}", out.events);
        assert!(out.layers.has(Layer::Sll));
        assert_eq!(out.ip.unwrap().header_offset, 16);
        assert_eq!(out.payload(&f), b"sll");
        for cut in 0..16 {
            decode_packet(LinkType::LinuxSll, &f[..cut], &mut out);
            assert!(out.events.contains(DecodeEvent::SllPktTooSmall));
        }

        let mut f2 = vec![
            0x86, 0xdd, 0, 0, 0, 0, 0, 2, 0, 1, 0, 6, 1, 2, 3, 4, 5, 6, 0, 0,
        ];
        f2.extend_from_slice(&ipv6_packet(17, &udp_packet(1, 2, b"two")));
        decode_packet(LinkType::LinuxSll2, &f2, &mut out);
        assert!(out.events.is_empty(), "{:?}", out.events);
        assert_eq!(out.ip.unwrap().header_offset, 20);
        assert_eq!(out.payload(&f2), b"two");
        for cut in 0..20 {
            decode_packet(LinkType::LinuxSll2, &f2[..cut], &mut out);
            assert!(out.events.contains(DecodeEvent::SllPktTooSmall));
        }
        // VLAN tag inside SLL.
        let mut f3 = vec![
            0, 0, 0, 1, 0, 6, 1, 2, 3, 4, 5, 6, 0, 0, 0x81, 0x00, 0, 7, 8, 0,
        ];
        f3.extend_from_slice(&ip);
        decode_packet(LinkType::LinuxSll, &f3, &mut out);
        assert_eq!(out.vlans(), &[7]);
        assert_eq!(out.payload(&f3), b"sll");
    }
}
