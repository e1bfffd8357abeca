//! Raw IP link type: the version nibble picks IPv4 or IPv6.

use crate::decode::Cx;
use crate::{DecodeEvent, Layer, ipv4, ipv6};

/// LINKTYPE_RAW.
pub(crate) fn decode(cx: &mut Cx, data: &[u8], base: usize) {
    cx.layer(Layer::Raw);
    // Suricata wants at least an IPv4 header's worth for either version.
    if data.len() < ipv4::HEADER_LEN {
        cx.event(DecodeEvent::Ipv4PktTooSmall);
        return;
    }
    match data.first().map(|b| b >> 4) {
        Some(4) => ipv4::decode(cx, data, base),
        Some(6) => ipv6::decode(cx, data, base),
        _ => cx.event(DecodeEvent::IprawInvalidIpv),
    }
}

#[cfg(test)]
mod tests {
    use crate::testutil::*;
    use crate::*;

    #[test]
    fn raw_picks_version() {
        let mut out = Decoded::default();
        decode_packet(
            LinkType::Raw,
            &ipv4_packet(17, &udp_packet(1, 2, b"")),
            &mut out,
        );
        assert_eq!(out.ip.unwrap().version, 4);
        assert!(out.layers.has(Layer::Raw));
        decode_packet(
            LinkType::Raw,
            &ipv6_packet(17, &udp_packet(1, 2, b"")),
            &mut out,
        );
        assert_eq!(out.ip.unwrap().version, 6);
        decode_packet(LinkType::Raw, &[0x50; 40], &mut out);
        assert!(out.events.contains(DecodeEvent::IprawInvalidIpv));
        assert!(out.ip.is_none());
        decode_packet(LinkType::Raw, &[0x45; 19], &mut out);
        assert!(out.events.contains(DecodeEvent::Ipv4PktTooSmall));
        // The IPv4/IPv6 link types do not guess.
        decode_packet(
            LinkType::Ipv4,
            &ipv6_packet(17, &udp_packet(1, 2, b"")),
            &mut out,
        );
        assert!(out.events.contains(DecodeEvent::Ipv4WrongIpVersion));
        decode_packet(
            LinkType::Ipv6,
            &ipv4_packet(17, &udp_packet(1, 2, b"")),
            &mut out,
        );
        assert!(
            out.events.contains(DecodeEvent::Ipv6PktTooSmall)
                || out.events.contains(DecodeEvent::Ipv6WrongIpVersion)
        );
    }
}
