//! Decoder entry points and the dispatch shared by all protocol modules.
//!
//! Every protocol decoder has the shape `fn(cx, data, base)`: `data` is the
//! part of the captured frame the enclosing layer says belongs to it, and
//! `base` is the frame offset of `data[0]`, so offsets written into
//! [`Decoded`] index the original frame. Decoders never index out of bounds
//! (fixed-size views via `first_chunk`, everything else via `get`) and never
//! recurse more than [`MAX_LAYERS`] times.

use crate::{
    DecodeEvent, Decoded, Layer, LinkType, Transport, arp, erspan, ethernet, gre, icmpv4, icmpv6,
    ipv4, ipv6, mpls, null, ppp, pppoe, raw, sctp, sll, tcp, udp, vlan,
};

/// Most decoded layers per packet (link, VLAN, IP, GRE, ... each count one).
/// Suricata's `decoder.max-layers` default is 16; past it, decoding stops
/// with `decoder.too_many_layers`. This is also what bounds recursion.
pub const MAX_LAYERS: u8 = 16;

/// IANA protocol numbers used by the dispatch.
pub(crate) mod ipproto {
    pub const HOPOPTS: u8 = 0;
    pub const ICMP: u8 = 1;
    pub const IPIP: u8 = 4;
    pub const TCP: u8 = 6;
    pub const UDP: u8 = 17;
    pub const IPV6: u8 = 41;
    pub const ROUTING: u8 = 43;
    pub const FRAGMENT: u8 = 44;
    pub const GRE: u8 = 47;
    pub const ESP: u8 = 50;
    pub const AH: u8 = 51;
    pub const ICMPV6: u8 = 58;
    pub const NONE: u8 = 59;
    pub const DSTOPTS: u8 = 60;
    pub const SCTP: u8 = 132;
    pub const MH: u8 = 135;
    pub const HIP: u8 = 139;
    pub const SHIM6: u8 = 140;
}

/// EtherTypes the network-layer dispatch knows.
pub(crate) mod ethertype {
    pub const IPV4: u16 = 0x0800;
    pub const ARP: u16 = 0x0806;
    pub const IPV6: u16 = 0x86dd;
    pub const VLAN: u16 = 0x8100;
    pub const QINQ_8021AD: u16 = 0x88a8;
    pub const QINQ_9100: u16 = 0x9100;
    pub const IEEE8021AH: u16 = 0x88e7;
    pub const MPLS_UNICAST: u16 = 0x8847;
    pub const MPLS_MULTICAST: u16 = 0x8848;
    pub const PPPOE_DISCOVERY: u16 = 0x8863;
    pub const PPPOE_SESSION: u16 = 0x8864;
    pub const TRANSPARENT_ETHERNET: u16 = 0x6558;
    pub const ERSPAN_II: u16 = 0x88be;
    pub const ERSPAN_III: u16 = 0x22eb;
    pub const PPP: u16 = 0x880b;
    /// IEC 61850-8-1 GOOSE.
    pub const GOOSE: u16 = 0x88b8;
    /// Smallest EtherType; smaller values are 802.3 length fields.
    pub const MIN_ETHERTYPE: u16 = 0x0600;
}

/// Per-decode state threaded through the decoders.
pub(crate) struct Cx<'o> {
    pub out: &'o mut Decoded,
    /// Layers entered so far (see [`MAX_LAYERS`]).
    layers: u8,
}

impl<'o> Cx<'o> {
    pub fn new(out: &'o mut Decoded) -> Self {
        Cx { out, layers: 0 }
    }

    /// Records an anomaly.
    #[inline]
    pub fn event(&mut self, e: DecodeEvent) {
        self.out.events.push(e);
    }

    /// Marks a layer as seen (for the stats counters).
    #[inline]
    pub fn layer(&mut self, l: Layer) {
        self.out.layers.add(l);
    }

    /// Counts one more decoded layer; false (with `decoder.too_many_layers`)
    /// when the limit is reached and the caller must stop.
    #[inline]
    pub fn enter_layer(&mut self) -> bool {
        if self.layers >= MAX_LAYERS {
            self.event(DecodeEvent::TooManyLayers);
            return false;
        }
        self.layers += 1;
        true
    }

    /// Records the transport payload `data[start..end]` (clamped to `data`).
    #[inline]
    pub fn set_payload(&mut self, base: usize, start: usize, end: usize, data_len: usize) {
        let end = end.min(data_len);
        let start = start.min(end);
        self.out.payload_offset = base.saturating_add(start);
        self.out.payload_len = end - start;
    }
}

/// Big-endian u16 at `at`, if present.
#[inline]
pub(crate) fn be16(d: &[u8], at: usize) -> Option<u16> {
    d.get(at..)?
        .first_chunk::<2>()
        .map(|b| u16::from_be_bytes(*b))
}

/// Big-endian u32 at `at`, if present.
#[inline]
pub(crate) fn be32(d: &[u8], at: usize) -> Option<u32> {
    d.get(at..)?
        .first_chunk::<4>()
        .map(|b| u32::from_be_bytes(*b))
}

/// `data[from..]`, or empty.
#[inline]
pub(crate) fn tail(d: &[u8], from: usize) -> &[u8] {
    d.get(from..).unwrap_or(&[])
}

/// `data[from..to]` clamped to `data`, or empty.
#[inline]
pub(crate) fn range(d: &[u8], from: usize, to: usize) -> &[u8] {
    let to = to.min(d.len());
    d.get(from..to).unwrap_or(&[])
}

/// Decodes one captured frame of link type `link` into `out` (cleared first):
/// from the link layer through VLAN/MPLS/PPPoE, IP (with extension headers,
/// options and tunnels: IP-in-IP, GRE, VXLAN, GENEVE, Teredo, ERSPAN) to the
/// transport header of the innermost packet. Anomalies are recorded in
/// `out.events` with Suricata's names. Never panics and never allocates.
pub fn decode_packet(link: LinkType, frame: &[u8], out: &mut Decoded) {
    out.clear();
    let mut cx = Cx::new(out);
    match link {
        LinkType::Ethernet => ethernet::decode(&mut cx, frame, 0),
        LinkType::LinuxSll => sll::decode_v1(&mut cx, frame, 0),
        LinkType::LinuxSll2 => sll::decode_v2(&mut cx, frame, 0),
        LinkType::Null => null::decode_null(&mut cx, frame, 0),
        LinkType::Loop => null::decode_loop(&mut cx, frame, 0),
        LinkType::Ppp => ppp::decode(&mut cx, frame, 0),
        LinkType::Raw => raw::decode(&mut cx, frame, 0),
        LinkType::Ipv4 => {
            cx.layer(Layer::Raw);
            ipv4::decode(&mut cx, frame, 0);
        }
        LinkType::Ipv6 => {
            cx.layer(Layer::Raw);
            ipv6::decode(&mut cx, frame, 0);
        }
    }
}

/// Decodes the transport header `proto` found at `frame[offset..offset+len]`
/// into `out.transport` / `out.payload_offset` / `out.payload_len` (reset
/// first). Used after IP defragmentation, with `out.ip` describing the
/// reassembled packet (its version selects ICMPv4/ICMPv6 handling).
///
/// A range past the end of `frame` is clamped. Tunnel protocols (GRE,
/// IP-in-IP) are decoded like in [`decode_packet`]: the inner IP layer then
/// replaces `out.ip`.
pub fn decode_transport(proto: u8, frame: &[u8], offset: usize, len: usize, out: &mut Decoded) {
    out.transport = Transport::None;
    out.payload_offset = 0;
    out.payload_len = 0;
    let end = offset.saturating_add(len).min(frame.len());
    let data = frame.get(offset..end).unwrap_or(&[]);
    let mut cx = Cx::new(out);
    decode_l4(&mut cx, proto, data, offset);
}

/// Dispatches on an EtherType. Returns false for an unknown type (after
/// recording `decoder.unknown_ethertype`), like Suricata's
/// `DecodeNetworkLayer`. The payload of an unknown EtherType is recorded in
/// [`Decoded::ether_payload`] for the application layer (GOOSE).
pub(crate) fn decode_network_layer(cx: &mut Cx, etype: u16, data: &[u8], base: usize) -> bool {
    match etype {
        ethertype::IPV4 => ipv4::decode(cx, data, base),
        ethertype::IPV6 => ipv6::decode(cx, data, base),
        ethertype::PPPOE_SESSION => pppoe::decode_session(cx, data, base),
        ethertype::PPPOE_DISCOVERY => pppoe::decode_discovery(cx, data, base),
        ethertype::VLAN | ethertype::QINQ_8021AD | ethertype::QINQ_9100 => {
            if usize::from(cx.out.vlan_count) >= cx.out.vlan.len() {
                cx.event(DecodeEvent::VlanTooManyLayers);
            } else {
                vlan::decode(cx, data, base);
            }
        }
        ethertype::IEEE8021AH => vlan::decode_8021ah(cx, data, base),
        ethertype::ARP => arp::decode(cx, data, base),
        ethertype::MPLS_UNICAST | ethertype::MPLS_MULTICAST => mpls::decode(cx, data, base),
        _ => {
            if etype >= ethertype::MIN_ETHERTYPE {
                if etype == ethertype::GOOSE {
                    cx.layer(Layer::Goose);
                }
                cx.out.ether_payload = Some(crate::EtherPayload {
                    ethertype: etype,
                    offset: base,
                    len: data.len(),
                });
            }
            cx.event(DecodeEvent::UnknownEthertype);
            return false;
        }
    }
    true
}

/// Dispatches on an IP protocol number: the upper layer of an IPv4/IPv6
/// packet (after extension headers). `data` is bounded by the IP lengths.
pub(crate) fn decode_l4(cx: &mut Cx, proto: u8, data: &[u8], base: usize) {
    let ip_version = cx.out.ip.map(|ip| ip.version);
    match proto {
        ipproto::TCP => tcp::decode(cx, data, base),
        ipproto::UDP => udp::decode(cx, data, base),
        ipproto::ICMP => {
            if ip_version == Some(6) {
                // Suricata does not decode ICMPv4 carried by IPv6.
                cx.event(DecodeEvent::Ipv6Icmpv4);
                cx.out.transport = Transport::Other(proto);
            } else {
                icmpv4::decode(cx, data, base);
            }
        }
        ipproto::ICMPV6 => {
            if ip_version == Some(4) {
                cx.event(DecodeEvent::Ipv4Icmpv6);
                cx.out.transport = Transport::Other(proto);
            } else {
                icmpv6::decode(cx, data, base);
            }
        }
        ipproto::GRE => gre::decode(cx, data, base),
        ipproto::SCTP => sctp::decode_sctp(cx, data, base),
        ipproto::ESP => sctp::decode_esp(cx, data, base),
        ipproto::IPIP => {
            cx.out.transport = Transport::Other(proto);
            if ip_version == Some(6) {
                // IPv4-in-IPv6 is checked before the inner decode, like
                // Suricata's DecodeIPv4inIPv6.
                match data.first() {
                    _ if data.len() < ipv4::HEADER_LEN => {
                        cx.event(DecodeEvent::Ipv6Ipv4InIpv6TooSmall)
                    }
                    Some(b) if b >> 4 == 4 => {
                        tunnel(cx, Inner::Ipv4, Layer::Ipv4InIpv6, data, base)
                    }
                    _ => cx.event(DecodeEvent::Ipv6Ipv4InIpv6WrongVersion),
                }
            } else {
                tunnel(cx, Inner::Ipv4, Layer::Ipv4InIpv4, data, base);
            }
        }
        ipproto::IPV6 => {
            cx.out.transport = Transport::Other(proto);
            if ip_version == Some(6) {
                match data.first() {
                    _ if data.len() < ipv6::HEADER_LEN => {
                        cx.event(DecodeEvent::Ipv6Ipv6InIpv6TooSmall)
                    }
                    Some(b) if b >> 4 == 6 => {
                        tunnel(cx, Inner::Ipv6, Layer::Ipv6InIpv6, data, base)
                    }
                    _ => cx.event(DecodeEvent::Ipv6Ipv6InIpv6WrongVersion),
                }
            } else {
                tunnel(cx, Inner::Ipv6, Layer::Ipv6InIpv4, data, base);
            }
        }
        other => cx.out.transport = Transport::Other(other),
    }
}

/// What a tunnel carries.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Inner {
    Ipv4,
    Ipv6,
    Ethernet,
    /// PPP with optional address/control (GRE version 1 / PPTP).
    Ppp,
    /// A VLAN header directly (GRE protocol 0x8100).
    Vlan,
    Arp,
    ErspanI,
    ErspanII,
    ErspanIII,
}

/// Decodes a tunnelled packet. The inner IP layer and transport replace the
/// outer ones and `tunnel_depth` grows; when the inner packet yields no IP
/// layer (malformed, ARP, unknown type), the outer IP/transport are kept, as
/// Suricata keeps processing the outer packet then. Inner events are kept.
pub(crate) fn tunnel(cx: &mut Cx, inner: Inner, layer: Layer, data: &[u8], base: usize) {
    cx.layer(layer);
    let saved_ip = cx.out.ip;
    let saved_transport = cx.out.transport;
    let saved_payload = (cx.out.payload_offset, cx.out.payload_len);
    let saved_outer = cx.out.tunnel_outer;
    let saved_vlans = cx.out.vlan_count;
    let saved_kind = (cx.out.tunnel_kind, cx.out.tunnel_start, cx.out.tunnel_udp);
    if cx.out.tunnel_outer.is_none() {
        cx.out.tunnel_outer = cx.out.ip;
    }
    if cx.out.tunnel_udp.is_none()
        && matches!(layer, Layer::Vxlan | Layer::Geneve | Layer::Teredo)
        && let (Some(ip), Transport::Udp(udp)) = (cx.out.ip, cx.out.transport)
    {
        cx.out.tunnel_udp = Some(crate::OuterUdp {
            ip,
            src_port: udp.src_port,
            dst_port: udp.dst_port,
            vlan: cx.out.vlan,
            vlan_count: cx.out.vlan_count,
        });
    }
    cx.out.tunnel_kind = Some(layer);
    cx.out.tunnel_start = base;
    // The inner packet's VLANs are its own: Suricata does not carry the
    // outer frame's tags into the tunnelled flow.
    cx.out.vlan_count = 0;
    cx.out.tunnel_depth = cx.out.tunnel_depth.saturating_add(1);
    cx.out.ip = None;
    cx.out.transport = Transport::None;
    cx.out.payload_offset = 0;
    cx.out.payload_len = 0;

    match inner {
        Inner::Ipv4 => ipv4::decode(cx, data, base),
        Inner::Ipv6 => ipv6::decode(cx, data, base),
        Inner::Ethernet => ethernet::decode(cx, data, base),
        Inner::Ppp => ppp::decode(cx, data, base),
        Inner::Vlan => {
            if usize::from(cx.out.vlan_count) >= cx.out.vlan.len() {
                cx.event(DecodeEvent::VlanTooManyLayers);
            } else {
                vlan::decode(cx, data, base);
            }
        }
        Inner::Arp => arp::decode(cx, data, base),
        Inner::ErspanI => erspan::decode_type1(cx, data, base),
        Inner::ErspanII => erspan::decode_type2(cx, data, base),
        Inner::ErspanIII => erspan::decode_type3(cx, data, base),
    }

    if cx.out.ip.is_none() {
        cx.out.ip = saved_ip;
        cx.out.transport = saved_transport;
        (cx.out.payload_offset, cx.out.payload_len) = saved_payload;
        cx.out.tunnel_outer = saved_outer;
        cx.out.tunnel_depth = cx.out.tunnel_depth.saturating_sub(1);
        cx.out.vlan_count = saved_vlans;
        (cx.out.tunnel_kind, cx.out.tunnel_start, cx.out.tunnel_udp) = saved_kind;
    }
}

/// Internet checksum (RFC 1071) of `data`: the folded one's complement sum.
/// A header including its checksum field verifies when this returns 0xffff.
#[inline]
pub(crate) fn ones_complement_sum(data: &[u8]) -> u16 {
    let mut sum: u32 = 0;
    let mut chunks = data.chunks_exact(2);
    for c in &mut chunks {
        if let Some(w) = c.first_chunk::<2>() {
            sum += u32::from(u16::from_be_bytes(*w));
        }
    }
    if let Some(&last) = chunks.remainder().first() {
        sum += u32::from(last) << 8;
    }
    while sum > 0xffff {
        sum = (sum & 0xffff) + (sum >> 16);
    }
    sum as u16
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testutil::*;

    #[test]
    fn checksum_rfc1071_example() {
        // Header from RFC 1071-style worked example (checksum field zeroed).
        let mut h = ipv4_header(6, 20, [10, 0, 0, 1], [10, 0, 0, 2]);
        let sum = ones_complement_sum(&h);
        assert_ne!(sum, 0xffff);
        set_ipv4_checksum(&mut h);
        assert_eq!(ones_complement_sum(&h), 0xffff);
    }

    #[test]
    fn decode_transport_after_defrag() {
        let udp = udp_packet(1000, 53, b"hello");
        let mut frame = vec![0u8; 7];
        frame.extend_from_slice(&udp);
        let mut out = Decoded::default();
        decode_transport(17, &frame, 7, udp.len(), &mut out);
        match out.transport {
            Transport::Udp(u) => {
                assert_eq!((u.src_port, u.dst_port, u.length), (1000, 53, 13));
            }
            t => panic!("{t:?}"),
        }
        assert_eq!(out.payload_offset, 15);
        assert_eq!(out.payload(&frame), b"hello");
        // Range past the end is clamped, not a panic.
        decode_transport(17, &frame, 7, 10_000, &mut out);
        decode_transport(6, &frame, usize::MAX, usize::MAX, &mut out);
        assert_eq!(out.transport, Transport::None);
        assert!(out.events.contains(DecodeEvent::TcpPktTooSmall));
    }

    #[test]
    fn decode_transport_other_and_icmp_mismatch() {
        let mut out = Decoded::default();
        decode_transport(89, &[1, 2, 3], 0, 3, &mut out);
        assert_eq!(out.transport, Transport::Other(89));
        // ICMPv4 inside IPv6 is flagged, not decoded.
        let frame = ipv6_packet(1, &[8, 0, 0, 0, 0, 1, 0, 2]);
        decode_packet(LinkType::Ipv6, &frame, &mut out);
        assert!(out.events.contains(DecodeEvent::Ipv6Icmpv4));
        assert_eq!(out.transport, Transport::Other(1));
        let frame = ipv4_packet(58, &[128, 0, 0, 0, 0, 1, 0, 2]);
        decode_packet(LinkType::Ipv4, &frame, &mut out);
        assert!(out.events.contains(DecodeEvent::Ipv4Icmpv6));
        assert_eq!(out.transport, Transport::Other(58));
    }

    #[test]
    fn too_many_layers_stops_deep_nesting() {
        // 20 nested IPv4-in-IPv4 headers: the layer limit stops the decode
        // and the deepest decoded IP layer is kept.
        let mut pkt = udp_packet(1, 2, b"x");
        let mut proto = 17;
        for _ in 0..20 {
            pkt = ipv4_packet(proto, &pkt);
            proto = 4;
        }
        let mut out = Decoded::default();
        decode_packet(LinkType::Ipv4, &pkt, &mut out);
        assert!(out.events.contains(DecodeEvent::TooManyLayers));
        assert!(out.ip.is_some());
        assert_eq!(out.tunnel_depth, MAX_LAYERS - 1);
        assert!(out.tunnel_outer.is_some());
    }

    #[test]
    fn every_prefix_of_a_tunnelled_frame() {
        // Ethernet / VLAN / IPv4 / GRE / IPv4 / TCP.
        let inner = ipv4_packet(6, &tcp_segment(1, 2, 0x18, &[1, 1, 1, 1], b"payload"));
        let outer = ipv4_packet(47, &gre_v0(0x0800, &inner));
        let mut tagged = vec![0x00, 0x0a, 0x08, 0x00];
        tagged.extend_from_slice(&outer);
        let frame = eth_frame(0x8100, &tagged);
        let mut out = Decoded::default();
        for cut in 0..=frame.len() {
            decode_packet(LinkType::Ethernet, &frame[..cut], &mut out);
            for_each_offset_in_bounds(&out, cut);
            let want = match cut {
                0..14 => Some(DecodeEvent::EthernetPktTooSmall),
                14..18 => Some(DecodeEvent::VlanHeaderTooSmall),
                18..38 => Some(DecodeEvent::Ipv4PktTooSmall),
                _ if cut < frame.len() => Some(DecodeEvent::Ipv4TruncPkt),
                _ => None,
            };
            match want {
                Some(e) => assert!(out.events.contains(e), "cut {cut}: {:?}", out.events),
                None => assert!(out.events.is_empty(), "{:?}", out.events),
            }
        }
        assert_eq!(out.tunnel_depth, 1);
        // The tunnelled packet has no tags of its own (the outer frame's
        // VLAN is not part of the inner flow, as in Suricata).
        assert!(out.vlans().is_empty());
        assert_eq!(out.tunnel_kind, Some(Layer::Gre));
        assert_eq!(out.tunnel_start, 18 + 20 + 4);
        assert_eq!(out.payload(&frame), b"payload");
        assert!(out.layers.has(Layer::Gre) && out.layers.has(Layer::Vlan));
    }

    #[test]
    fn reused_output_is_reset_between_packets() {
        let inner = eth_frame(0x0800, &ipv4_packet(6, &tcp_segment(1, 2, 2, &[], b"")));
        let vx = eth_frame(0x8100, &{
            let mut t = vec![0, 5, 0x08, 0x00];
            t.extend_from_slice(&ipv4_packet(17, &udp_packet(1, 4789, &vxlan(&inner))));
            t
        });
        let mut out = Decoded::default();
        decode_packet(LinkType::Ethernet, &vx, &mut out);
        assert_eq!(out.tunnel_depth, 1);
        decode_packet(LinkType::Ethernet, &eth_frame(0x0806, &[0; 28]), &mut out);
        assert_eq!(out.tunnel_depth, 0);
        assert_eq!(out.vlan_count, 0);
        assert!(out.ip.is_none() && out.tunnel_outer.is_none());
        assert_eq!(out.transport, Transport::None);
        assert_eq!(
            out.layers.0,
            (1 << Layer::Ethernet as u32) | (1 << Layer::Arp as u32)
        );
    }

    #[test]
    fn random_bytes_never_panic_for_any_link_type() {
        let links = [
            LinkType::Null,
            LinkType::Ethernet,
            LinkType::Ppp,
            LinkType::Raw,
            LinkType::Loop,
            LinkType::LinuxSll,
            LinkType::Ipv4,
            LinkType::Ipv6,
            LinkType::LinuxSll2,
        ];
        let mut rng = XorShift(0x9e37_79b9_7f4a_7c15);
        let mut out = Decoded::default();
        let mut buf = Vec::with_capacity(256);
        for i in 0..40_000u32 {
            buf.clear();
            let len = (rng.next() % 200) as usize;
            for _ in 0..len {
                buf.push(rng.next() as u8);
            }
            // Bias towards plausible headers so deeper decoders get reached.
            if i % 2 == 0 && buf.len() > 34 {
                let fixes: &[(usize, u8)] = &[(12, 0x08), (13, 0x00), (14, 0x45)];
                for &(at, v) in fixes {
                    if let Some(b) = buf.get_mut(at) {
                        *b = v;
                    }
                }
            }
            for &link in &links {
                decode_packet(link, &buf, &mut out);
                for_each_offset_in_bounds(&out, buf.len());
            }
        }
    }

    #[test]
    fn mutated_valid_packets_never_panic() {
        let seeds: Vec<Vec<u8>> = vec![
            eth_frame(
                0x0800,
                &ipv4_packet(6, &tcp_segment(1, 2, 0x02, &[2, 4, 5, 0xb4], b"x")),
            ),
            eth_frame(0x86dd, &ipv6_packet(17, &udp_packet(1, 2, b"abc"))),
            eth_frame(
                0x0800,
                &ipv4_packet(
                    47,
                    &gre_v0(0x0800, &ipv4_packet(17, &udp_packet(1, 2, b""))),
                ),
            ),
            eth_frame(
                0x0800,
                &ipv4_packet(
                    17,
                    &vxlan(&eth_frame(
                        0x0800,
                        &ipv4_packet(1, &[8, 0, 0, 0, 0, 1, 0, 1]),
                    )),
                ),
            ),
            eth_frame(
                0x0800,
                &ipv4_packet(
                    1,
                    &icmp_error_v4(3, 3, &ipv4_packet(6, &tcp_segment(5, 6, 0x10, &[], b""))),
                ),
            ),
            eth_frame(0x86dd, &ipv6_packet(58, &[1, 4, 0, 0, 0, 0, 0, 0])),
        ];
        let mut rng = XorShift(12345);
        let mut out = Decoded::default();
        for seed in &seeds {
            for _ in 0..3000 {
                let mut p = seed.clone();
                let flips = 1 + rng.next() % 4;
                for _ in 0..flips {
                    let at = (rng.next() as usize) % p.len();
                    if let Some(b) = p.get_mut(at) {
                        *b = rng.next() as u8;
                    }
                }
                let cut = (rng.next() as usize) % (p.len() + 1);
                p.truncate(cut.max(p.len() / 2));
                decode_packet(LinkType::Ethernet, &p, &mut out);
                for_each_offset_in_bounds(&out, p.len());
            }
        }
    }
}
