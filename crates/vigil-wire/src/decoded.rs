//! The plain values a decode produces: what the flow table, reassembly,
//! detection and EVE read. Offsets index the captured frame the decode ran on.

use crate::events::{DecodeEvent, EventList};
use std::net::IpAddr;

/// Link-layer header type of a capture (a pcap LINKTYPE / DLT value).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum LinkType {
    /// DLT_NULL (0): BSD loopback, 4-byte host-order address family.
    Null,
    /// DLT_EN10MB (1): Ethernet II / 802.3.
    Ethernet,
    /// DLT_PPP (9): PPP with address/control and protocol fields.
    Ppp,
    /// LINKTYPE_RAW (101, also DLT_RAW 12/14): raw IPv4 or IPv6.
    Raw,
    /// DLT_LOOP (108): OpenBSD loopback, network-order address family.
    Loop,
    /// LINKTYPE_LINUX_SLL (113): Linux cooked capture v1.
    LinuxSll,
    /// LINKTYPE_IPV4 (228): raw IPv4 only.
    Ipv4,
    /// LINKTYPE_IPV6 (229): raw IPv6 only.
    Ipv6,
    /// LINKTYPE_LINUX_SLL2 (276): Linux cooked capture v2.
    LinuxSll2,
}

impl LinkType {
    /// Maps a pcap link type number to a supported link type.
    pub fn from_dlt(dlt: u32) -> Option<LinkType> {
        Some(match dlt {
            0 => LinkType::Null,
            1 => LinkType::Ethernet,
            9 => LinkType::Ppp,
            12 | 14 | 101 => LinkType::Raw,
            108 => LinkType::Loop,
            113 => LinkType::LinuxSll,
            228 => LinkType::Ipv4,
            229 => LinkType::Ipv6,
            276 => LinkType::LinuxSll2,
            _ => return None,
        })
    }
}

/// Bit set of the layers a decode passed through, for the `decoder.*` counters.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct LayerSet(pub u32);

/// One decoded layer kind; the discriminant is its bit in [`LayerSet`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
pub enum Layer {
    Ethernet = 0,
    Vlan,
    VlanQinq,
    Arp,
    Ipv4,
    Ipv6,
    Tcp,
    Udp,
    Icmpv4,
    Icmpv6,
    Gre,
    Vxlan,
    Mpls,
    Pppoe,
    Ppp,
    Sll,
    Null,
    Raw,
    Ipv4InIpv6,
    Ipv6InIpv6,
    Ipv4InIpv4,
    Ipv6InIpv4,
    Teredo,
    Geneve,
    Sctp,
    Esp,
    Erspan,
    /// IEC 61850 GOOSE (EtherType 0x88b8): not decoded here (see
    /// [`Decoded::ether_payload`]), counted as `decoder.goose`.
    Goose,
}

impl LayerSet {
    /// Marks a layer as seen.
    pub fn add(&mut self, layer: Layer) {
        self.0 |= 1 << layer as u32;
    }
    /// True when the layer was seen.
    pub fn has(&self, layer: Layer) -> bool {
        self.0 & (1 << layer as u32) != 0
    }
}

/// Fragmentation details of an IPv4 or IPv6 packet that is a fragment.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FragInfo {
    /// Identification (IPv4's 16-bit id widened, or IPv6's 32-bit ident).
    pub id: u32,
    /// Offset of this fragment's data within the original payload, in bytes.
    pub offset: u32,
    /// More-fragments flag.
    pub more: bool,
    /// Frame offset where the fragmentable data of this fragment starts.
    pub data_offset: usize,
    /// Length of this fragment's data (after the IP header / fragment header).
    pub data_len: usize,
    /// For IPv6: the Next Header value of the fragment header (the upper
    /// protocol of the reassembled payload). For IPv4: the protocol field.
    pub next_proto: u8,
    /// Length of the unfragmentable part, from [`IpInfo::header_offset`]:
    /// the IPv4 header (options included), or the IPv6 header plus the
    /// extension headers before the fragment header. A reassembled packet is
    /// `frame[header_offset..header_offset + unfragmentable_len]` followed by
    /// the reassembled data (with lengths and `prev_nh_offset` patched).
    pub unfragmentable_len: usize,
    /// Frame offset of the byte that names the fragment header's protocol
    /// and must be set to `next_proto` when rebuilding: the IPv6 Next Header
    /// field (or that of the last extension header before the fragment
    /// header), or the IPv4 protocol field (already `next_proto`).
    pub prev_nh_offset: usize,
}

/// The IP layer of the innermost decoded packet.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct IpInfo {
    /// 4 or 6.
    pub version: u8,
    pub src: IpAddr,
    pub dst: IpAddr,
    /// Upper-layer protocol after any IPv6 extension headers.
    pub proto: u8,
    /// TTL (IPv4) or hop limit (IPv6).
    pub ttl: u8,
    /// TOS (IPv4) or traffic class (IPv6).
    pub tos: u8,
    /// IPv4 identification (0 for IPv6 unless fragmented).
    pub id: u32,
    /// Frame offset of the first byte of the IP header.
    pub header_offset: usize,
    /// Frame offset of the upper-layer header.
    pub l4_offset: usize,
    /// Length of the upper-layer data as bounded by the IP length fields and
    /// the captured bytes.
    pub l4_len: usize,
    /// Set when this packet is a fragment (offset > 0 or more-fragments set).
    pub frag: Option<FragInfo>,
    /// IPv4 flags "don't fragment" bit.
    pub dont_fragment: bool,
    /// IPv4 header checksum verified (always true for IPv6, which has none).
    /// No decoder event is raised for a bad checksum, as in Suricata; rules
    /// (`ipv4-csum`) read this.
    pub checksum_ok: bool,
}

/// TCP options vigil tracks.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct TcpOptions {
    pub mss: Option<u16>,
    pub window_scale: Option<u8>,
    pub sack_permitted: bool,
    /// Number of SACK blocks present.
    pub sack_blocks: u8,
    /// Timestamp value and echo reply.
    pub timestamp: Option<(u32, u32)>,
    /// TCP Fast Open option (kind 34, or the experimental form).
    pub tfo: bool,
}

/// TCP flag bits as they appear in the header's flags byte.
pub mod tcp_flags {
    pub const FIN: u8 = 0x01;
    pub const SYN: u8 = 0x02;
    pub const RST: u8 = 0x04;
    pub const PSH: u8 = 0x08;
    pub const ACK: u8 = 0x10;
    pub const URG: u8 = 0x20;
    pub const ECE: u8 = 0x40;
    pub const CWR: u8 = 0x80;
}

/// A decoded TCP header.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct TcpInfo {
    pub src_port: u16,
    pub dst_port: u16,
    pub seq: u32,
    pub ack: u32,
    /// Flags byte (see [`tcp_flags`]).
    pub flags: u8,
    pub window: u16,
    /// Header length in bytes (data offset * 4).
    pub header_len: u8,
    pub urgent: u16,
    pub options: TcpOptions,
}

/// A decoded UDP header.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct UdpInfo {
    pub src_port: u16,
    pub dst_port: u16,
    /// The UDP length field.
    pub length: u16,
}

/// The flow tuple of the packet quoted inside an ICMP error message.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct EmbeddedTuple {
    pub src: IpAddr,
    pub dst: IpAddr,
    pub proto: u8,
    pub src_port: u16,
    pub dst_port: u16,
}

/// A decoded ICMPv4 or ICMPv6 header.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct IcmpInfo {
    pub icmp_type: u8,
    pub code: u8,
    /// Echo identifier (echo request/reply only, else 0).
    pub id: u16,
    /// Echo sequence (echo request/reply only, else 0).
    pub seq: u16,
    /// For error messages: the tuple of the quoted packet, when readable.
    pub embedded: Option<EmbeddedTuple>,
}

/// The transport layer of the innermost packet.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Transport {
    /// Nothing above IP was decoded (not IP, a fragment, or truncated).
    #[default]
    None,
    Tcp(TcpInfo),
    Udp(UdpInfo),
    Icmpv4(IcmpInfo),
    Icmpv6(IcmpInfo),
    /// SCTP common header (ports only).
    Sctp {
        src_port: u16,
        dst_port: u16,
    },
    /// ESP: the security parameter index.
    Esp {
        spi: u32,
    },
    /// Any other IP protocol (GRE that was not decoded, OSPF, IGMP, ...).
    Other(u8),
}

/// The outermost Ethernet header of a frame (MAC addresses for EVE `ether`
/// and asset inventory).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct EtherInfo {
    pub src: [u8; 6],
    pub dst: [u8; 6],
    /// EtherType of the Ethernet header (before any VLAN tags).
    pub ethertype: u16,
}

/// The payload of an EtherType the decoder does not decode itself (IEC
/// 61850 GOOSE, ...): left to the application layer. The frame still counts
/// as `decoder.unknown_ethertype`, as Suricata counts it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct EtherPayload {
    /// The EtherType (>= 0x0600; 802.3 length fields are not recorded).
    pub ethertype: u16,
    /// Frame offset of the first byte after the EtherType.
    pub offset: usize,
    /// Bytes from `offset` to the end of the captured frame (Ethernet
    /// padding included: the payload's own length field bounds it).
    pub len: usize,
}

impl EtherPayload {
    /// The payload as a slice of `frame`.
    pub fn bytes<'a>(&self, frame: &'a [u8]) -> &'a [u8] {
        frame
            .get(self.offset..self.offset.saturating_add(self.len))
            .unwrap_or(&[])
    }
}

/// An Ethernet/IPv4 ARP message (hardware type 1, protocol 0x0800).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ArpInfo {
    /// 1 = request, 2 = reply.
    pub op: u16,
    pub sender_mac: [u8; 6],
    pub sender_ip: std::net::Ipv4Addr,
    pub target_mac: [u8; 6],
    pub target_ip: std::net::Ipv4Addr,
}

/// Everything one decode learned about a frame. Reused between packets:
/// call [`Decoded::clear`] (done by [`crate::decode_packet`]) before reuse.
#[derive(Clone, Debug, Default)]
pub struct Decoded {
    /// Layers passed through, for counters.
    pub layers: LayerSet,
    /// Anomalies found, in order.
    pub events: EventList,
    /// VLAN ids, outermost first.
    pub vlan: [u16; 3],
    /// Number of valid entries in `vlan`.
    pub vlan_count: u8,
    /// Number of tunnel encapsulations (GRE, VXLAN, IP-in-IP, ...) unwrapped.
    pub tunnel_depth: u8,
    /// The innermost IP layer, if any.
    pub ip: Option<IpInfo>,
    /// The transport layer of the innermost IP packet.
    pub transport: Transport,
    /// Frame offset of the transport payload (application data).
    pub payload_offset: usize,
    /// Length of the transport payload.
    pub payload_len: usize,
    /// The outermost Ethernet header, when the frame had one.
    pub ether: Option<EtherInfo>,
    /// The ARP message, for ARP frames (Ethernet/IPv4 ARP only).
    pub arp: Option<ArpInfo>,
    /// When `tunnel_depth > 0`: the IP layer of the outermost packet (the
    /// tunnel endpoints, as EVE's `tunnel` object reports them).
    pub tunnel_outer: Option<IpInfo>,
    /// The innermost tunnel unwrapped (Layer::Gre, Vxlan, Geneve, ...).
    pub tunnel_kind: Option<Layer>,
    /// Frame offset where the innermost tunnel's payload starts (its inner
    /// Ethernet or IP header): Suricata accounts tunnelled packets from here.
    pub tunnel_start: usize,
    /// For UDP-carried tunnels (VXLAN, GENEVE, Teredo): the outer UDP
    /// packet, which Suricata also tracks as a flow of its own.
    pub tunnel_udp: Option<OuterUdp>,
    /// The payload of the innermost EtherType not decoded here (GOOSE, ...).
    pub ether_payload: Option<EtherPayload>,
}

/// The outer UDP packet of a UDP-carried tunnel.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct OuterUdp {
    pub ip: IpInfo,
    pub src_port: u16,
    pub dst_port: u16,
    /// VLAN ids of the outer frame, outermost first (`vlan_count` valid).
    pub vlan: [u16; 3],
    pub vlan_count: u8,
}

impl Decoded {
    /// Bytes of `frame_len` that Suricata counts for this packet's flow: the
    /// whole frame, or for a tunnelled packet the inner packet only (from the
    /// inner IP header for VXLAN, which Suricata unwraps past the inner
    /// Ethernet header; from the tunnel payload otherwise).
    pub fn flow_bytes(&self, frame_len: usize) -> usize {
        if self.tunnel_depth == 0 {
            return frame_len;
        }
        let start = match (self.tunnel_kind, self.ip) {
            (Some(Layer::Vxlan), Some(ip)) => ip.header_offset,
            _ => self.tunnel_start,
        };
        frame_len.saturating_sub(start)
    }
}

impl Decoded {
    /// Resets to the empty state without releasing anything.
    pub fn clear(&mut self) {
        *self = Decoded::default();
    }

    /// Records an anomaly.
    pub fn event(&mut self, event: DecodeEvent) {
        self.events.push(event);
    }

    /// The VLAN ids, outermost first.
    pub fn vlans(&self) -> &[u16] {
        &self.vlan[..usize::from(self.vlan_count).min(self.vlan.len())]
    }

    /// The transport payload as a slice of `frame`.
    pub fn payload<'a>(&self, frame: &'a [u8]) -> &'a [u8] {
        frame
            .get(self.payload_offset..self.payload_offset.saturating_add(self.payload_len))
            .unwrap_or(&[])
    }
}
