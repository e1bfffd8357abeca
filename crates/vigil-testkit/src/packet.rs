//! Layered packet builders producing exact wire bytes (see [`Packet`]).

use std::net::{Ipv4Addr, Ipv6Addr};

use crate::checksum::{internet_checksum, transport_checksum_v4, transport_checksum_v6};
use crate::frag::{fragment_ipv4, fragment_ipv6};

/// An Ethernet MAC address.
pub type MacAddr = [u8; 6];

/// The Ethernet broadcast address ff:ff:ff:ff:ff:ff.
pub const BROADCAST_MAC: MacAddr = [0xff; 6];

/// EtherType values.
pub mod ethertype {
    /// IPv4.
    pub const IPV4: u16 = 0x0800;
    /// ARP.
    pub const ARP: u16 = 0x0806;
    /// IEEE 802.1Q customer VLAN tag.
    pub const VLAN: u16 = 0x8100;
    /// IEEE 802.1ad service VLAN tag (QinQ outer tag).
    pub const QINQ: u16 = 0x88a8;
    /// IPv6.
    pub const IPV6: u16 = 0x86dd;
}

/// IP protocol / IPv6 next-header numbers.
pub mod ip_proto {
    /// IPv6 hop-by-hop options.
    pub const HOPOPT: u8 = 0;
    /// ICMP for IPv4.
    pub const ICMP: u8 = 1;
    /// TCP.
    pub const TCP: u8 = 6;
    /// UDP.
    pub const UDP: u8 = 17;
    /// IPv6 routing header.
    pub const ROUTING: u8 = 43;
    /// IPv6 fragment header.
    pub const FRAGMENT: u8 = 44;
    /// ICMPv6.
    pub const ICMPV6: u8 = 58;
    /// IPv6 "no next header".
    pub const NO_NEXT: u8 = 59;
    /// IPv6 destination options.
    pub const DSTOPTS: u8 = 60;
}

/// TCP flag bits (byte 13 of the TCP header).
pub mod tcp_flags {
    /// FIN.
    pub const FIN: u8 = 0x01;
    /// SYN.
    pub const SYN: u8 = 0x02;
    /// RST.
    pub const RST: u8 = 0x04;
    /// PSH.
    pub const PSH: u8 = 0x08;
    /// ACK.
    pub const ACK: u8 = 0x10;
    /// URG.
    pub const URG: u8 = 0x20;
    /// ECE.
    pub const ECE: u8 = 0x40;
    /// CWR.
    pub const CWR: u8 = 0x80;
}

/// One 802.1Q / 802.1ad tag.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct VlanTag {
    /// Tag protocol identifier: [`ethertype::VLAN`] or [`ethertype::QINQ`].
    pub tpid: u16,
    /// Priority code point (0-7).
    pub pcp: u8,
    /// Drop eligible indicator.
    pub dei: bool,
    /// VLAN identifier (0-4095).
    pub vid: u16,
}

impl VlanTag {
    /// An 802.1Q tag (TPID 0x8100, priority 0) for `vid`.
    pub fn dot1q(vid: u16) -> Self {
        Self {
            tpid: ethertype::VLAN,
            pcp: 0,
            dei: false,
            vid,
        }
    }

    /// An 802.1ad service tag (TPID 0x88a8, priority 0) for `vid`.
    pub fn dot1ad(vid: u16) -> Self {
        Self {
            tpid: ethertype::QINQ,
            pcp: 0,
            dei: false,
            vid,
        }
    }

    fn tci(&self) -> u16 {
        (u16::from(self.pcp & 7) << 13) | (u16::from(self.dei) << 12) | (self.vid & 0x0fff)
    }
}

/// Layered packet builders producing exact wire bytes.
///
/// A packet is described outside-in and finished with `build()`:
///
/// ```
/// use vigil_testkit::{Packet, tcp_flags::{SYN}};
/// let frame = Packet::ether([2, 0, 0, 0, 0, 1], [2, 0, 0, 0, 0, 2])
///     .vlan(100)
///     .ipv4([10, 0, 0, 1], [10, 0, 0, 2])
///     .ttl(64)
///     .tcp(40000, 502)
///     .seq(1000)
///     .flags(SYN)
///     .mss(1460)
///     .build();
/// assert_eq!(&frame[12..14], &[0x81, 0x00]); // 802.1Q TPID
/// ```
///
/// Every length and checksum field is computed unless explicitly overridden
/// (the `*_checksum`/`total_length`/`length` setters exist for building
/// deliberately broken packets). Builders are plain values: clone one to make
/// variants.
///
/// Finishers available on every layer-4 builder ([`TcpBuilder`],
/// [`UdpBuilder`], [`IcmpBuilder`], [`Icmpv6Builder`], [`RawIpBuilder`]):
/// - `build()`: the whole frame (link layer included when the packet was
///   started with [`Packet::ether`]);
/// - `build_ip()`: the IP packet only;
/// - `build_fragments(n)`: the packet split into IP fragments carrying at most
///   `n` bytes of fragmentable payload each, every one framed like `build()`
///   (IPv4 via [`fragment_ipv4`]; IPv6 via [`fragment_ipv6`] with
///   identification 0x5a5a0001 unless set with `build_fragments_v6`).
pub struct Packet;

impl Packet {
    /// Starts an Ethernet II frame from `src` to `dst`.
    ///
    /// Note the argument order (source first); on the wire the destination
    /// comes first.
    pub fn ether(src: MacAddr, dst: MacAddr) -> EtherBuilder {
        EtherBuilder {
            link: Link {
                src,
                dst,
                tags: Vec::new(),
                min_len: 0,
            },
        }
    }

    /// Starts a bare IPv4 packet with no link layer (pcap linktype 101, RAW).
    pub fn ipv4(src: impl Into<Ipv4Addr>, dst: impl Into<Ipv4Addr>) -> Ipv4Builder {
        Ipv4Builder::new(None, src.into(), dst.into())
    }

    /// Starts a bare IPv6 packet with no link layer (pcap linktype 101, RAW).
    pub fn ipv6(src: impl Into<Ipv6Addr>, dst: impl Into<Ipv6Addr>) -> Ipv6Builder {
        Ipv6Builder::new(None, src.into(), dst.into())
    }
}

#[derive(Clone, Debug)]
struct Link {
    src: MacAddr,
    dst: MacAddr,
    tags: Vec<VlanTag>,
    min_len: usize,
}

impl Link {
    fn frame(&self, ethertype: u16, payload: &[u8]) -> Vec<u8> {
        let mut f = Vec::with_capacity(14 + 4 * self.tags.len() + payload.len());
        f.extend_from_slice(&self.dst);
        f.extend_from_slice(&self.src);
        for t in &self.tags {
            f.extend_from_slice(&t.tpid.to_be_bytes());
            f.extend_from_slice(&t.tci().to_be_bytes());
        }
        f.extend_from_slice(&ethertype.to_be_bytes());
        f.extend_from_slice(payload);
        if f.len() < self.min_len {
            f.resize(self.min_len, 0);
        }
        f
    }
}

/// Ethernet II frame under construction: add VLAN tags, then a network layer.
#[derive(Clone, Debug)]
pub struct EtherBuilder {
    link: Link,
}

impl EtherBuilder {
    /// Adds an 802.1Q tag with VLAN id `vid` (call twice for two 802.1Q tags).
    pub fn vlan(mut self, vid: u16) -> Self {
        self.link.tags.push(VlanTag::dot1q(vid));
        self
    }

    /// Adds two tags: an 802.1ad service tag `outer` and an 802.1Q customer
    /// tag `inner` (QinQ).
    pub fn qinq(mut self, outer: u16, inner: u16) -> Self {
        self.link.tags.push(VlanTag::dot1ad(outer));
        self.link.tags.push(VlanTag::dot1q(inner));
        self
    }

    /// Adds an arbitrary tag (outermost first).
    pub fn tag(mut self, tag: VlanTag) -> Self {
        self.link.tags.push(tag);
        self
    }

    /// Pads the finished frame with zero bytes up to `len` bytes (60 is the
    /// Ethernet minimum without FCS, as frames look when captured on the
    /// receiving side). Default: no padding.
    pub fn pad_to(mut self, len: usize) -> Self {
        self.link.min_len = len;
        self
    }

    /// Continues with an IPv4 header.
    pub fn ipv4(self, src: impl Into<Ipv4Addr>, dst: impl Into<Ipv4Addr>) -> Ipv4Builder {
        Ipv4Builder::new(Some(self.link), src.into(), dst.into())
    }

    /// Continues with an IPv6 header.
    pub fn ipv6(self, src: impl Into<Ipv6Addr>, dst: impl Into<Ipv6Addr>) -> Ipv6Builder {
        Ipv6Builder::new(Some(self.link), src.into(), dst.into())
    }

    /// An ARP request (who-has `target_ip`, tell `sender_ip`) with an all-zero
    /// target hardware address. The frame's own addresses are used as given
    /// (normally destination [`BROADCAST_MAC`]).
    pub fn arp_request(
        self,
        sender_mac: MacAddr,
        sender_ip: impl Into<Ipv4Addr>,
        target_ip: impl Into<Ipv4Addr>,
    ) -> ArpBuilder {
        ArpBuilder {
            link: self.link,
            op: 1,
            sha: sender_mac,
            spa: sender_ip.into(),
            tha: [0; 6],
            tpa: target_ip.into(),
        }
    }

    /// An ARP reply (`sender_ip` is-at `sender_mac`) to `target_mac`/`target_ip`.
    pub fn arp_reply(
        self,
        sender_mac: MacAddr,
        sender_ip: impl Into<Ipv4Addr>,
        target_mac: MacAddr,
        target_ip: impl Into<Ipv4Addr>,
    ) -> ArpBuilder {
        ArpBuilder {
            link: self.link,
            op: 2,
            sha: sender_mac,
            spa: sender_ip.into(),
            tha: target_mac,
            tpa: target_ip.into(),
        }
    }

    /// Finishes the frame with an arbitrary EtherType and payload.
    pub fn build_raw(self, ethertype: u16, payload: &[u8]) -> Vec<u8> {
        self.link.frame(ethertype, payload)
    }
}

/// An Ethernet/IPv4 ARP packet.
#[derive(Clone, Debug)]
pub struct ArpBuilder {
    link: Link,
    op: u16,
    sha: MacAddr,
    spa: Ipv4Addr,
    tha: MacAddr,
    tpa: Ipv4Addr,
}

impl ArpBuilder {
    /// Overrides the operation code (1 request, 2 reply).
    pub fn op(mut self, op: u16) -> Self {
        self.op = op;
        self
    }

    /// The 28-byte ARP packet without link layer.
    pub fn arp_bytes(&self) -> Vec<u8> {
        let mut a = Vec::with_capacity(28);
        a.extend_from_slice(&1u16.to_be_bytes()); // hardware: Ethernet
        a.extend_from_slice(&ethertype::IPV4.to_be_bytes());
        a.extend_from_slice(&[6, 4]);
        a.extend_from_slice(&self.op.to_be_bytes());
        a.extend_from_slice(&self.sha);
        a.extend_from_slice(&self.spa.octets());
        a.extend_from_slice(&self.tha);
        a.extend_from_slice(&self.tpa.octets());
        a
    }

    /// The finished frame.
    pub fn build(self) -> Vec<u8> {
        self.link.frame(ethertype::ARP, &self.arp_bytes())
    }
}

/// IPv4 header under construction.
#[derive(Clone, Debug)]
pub struct Ipv4Builder {
    link: Option<Link>,
    src: Ipv4Addr,
    dst: Ipv4Addr,
    tos: u8,
    id: u16,
    ttl: u8,
    df: bool,
    mf: bool,
    reserved_flag: bool,
    frag_offset: u16,
    options: Vec<u8>,
    protocol: Option<u8>,
    checksum: Option<u16>,
    total_length: Option<u16>,
}

impl Ipv4Builder {
    fn new(link: Option<Link>, src: Ipv4Addr, dst: Ipv4Addr) -> Self {
        Self {
            link,
            src,
            dst,
            tos: 0,
            id: 0,
            ttl: 64,
            df: false,
            mf: false,
            reserved_flag: false,
            frag_offset: 0,
            options: Vec::new(),
            protocol: None,
            checksum: None,
            total_length: None,
        }
    }

    /// Type of service / DSCP+ECN byte. Default 0.
    pub fn tos(mut self, tos: u8) -> Self {
        self.tos = tos;
        self
    }
    /// Identification. Default 0.
    pub fn id(mut self, id: u16) -> Self {
        self.id = id;
        self
    }
    /// Time to live. Default 64.
    pub fn ttl(mut self, ttl: u8) -> Self {
        self.ttl = ttl;
        self
    }
    /// Sets or clears the don't-fragment flag. Default clear.
    pub fn dont_fragment(mut self, df: bool) -> Self {
        self.df = df;
        self
    }
    /// Sets or clears the more-fragments flag. Default clear.
    pub fn more_fragments(mut self, mf: bool) -> Self {
        self.mf = mf;
        self
    }
    /// Sets or clears the reserved ("evil") flag bit. Default clear.
    pub fn reserved_flag(mut self, on: bool) -> Self {
        self.reserved_flag = on;
        self
    }
    /// Fragment offset in 8-byte units (13 bits). Default 0.
    pub fn frag_offset(mut self, units: u16) -> Self {
        self.frag_offset = units & 0x1fff;
        self
    }
    /// Raw IPv4 options; padded with zero (end-of-options) bytes to a
    /// multiple of 4. Panics if longer than 40 bytes.
    pub fn options(mut self, options: &[u8]) -> Self {
        assert!(options.len() <= 40, "IPv4 options exceed 40 bytes");
        self.options = options.to_vec();
        while self.options.len() % 4 != 0 {
            self.options.push(0);
        }
        self
    }
    /// Overrides the protocol field (normally set by the next layer).
    pub fn protocol(mut self, proto: u8) -> Self {
        self.protocol = Some(proto);
        self
    }
    /// Overrides the header checksum (normally computed).
    pub fn header_checksum(mut self, ck: u16) -> Self {
        self.checksum = Some(ck);
        self
    }
    /// Overrides the total length field (normally computed).
    pub fn total_length(mut self, len: u16) -> Self {
        self.total_length = Some(len);
        self
    }

    /// Continues with a TCP header.
    pub fn tcp(self, sport: u16, dport: u16) -> TcpBuilder {
        TcpBuilder::new(Net::V4(self), sport, dport)
    }
    /// Continues with a UDP header.
    pub fn udp(self, sport: u16, dport: u16) -> UdpBuilder {
        UdpBuilder::new(Net::V4(self), sport, dport)
    }
    /// An ICMP message of any type; `rest` is the 4 header bytes after the
    /// checksum (identifier/sequence, unused, pointer, MTU, ...).
    pub fn icmp(self, icmp_type: u8, code: u8, rest: [u8; 4]) -> IcmpBuilder {
        IcmpBuilder {
            net: Net::V4(self),
            icmp_type,
            code,
            rest,
            payload: Vec::new(),
            checksum: None,
        }
    }
    /// ICMP echo request (type 8).
    pub fn icmp_echo_request(self, ident: u16, seq: u16) -> IcmpBuilder {
        self.icmp(8, 0, id_seq(ident, seq))
    }
    /// ICMP echo reply (type 0).
    pub fn icmp_echo_reply(self, ident: u16, seq: u16) -> IcmpBuilder {
        self.icmp(0, 0, id_seq(ident, seq))
    }
    /// ICMP destination unreachable (type 3) with `code`, quoting `quoted`
    /// (an offending IP packet, used as given; see [`quote_ip`]).
    pub fn icmp_dest_unreachable(self, code: u8, quoted: &[u8]) -> IcmpBuilder {
        self.icmp(3, code, [0; 4]).payload(quoted)
    }
    /// ICMP time exceeded (type 11) with `code`, quoting `quoted`.
    pub fn icmp_time_exceeded(self, code: u8, quoted: &[u8]) -> IcmpBuilder {
        self.icmp(11, code, [0; 4]).payload(quoted)
    }
    /// Any other protocol: `payload` is carried as-is with protocol `proto`.
    pub fn raw(self, proto: u8, payload: &[u8]) -> RawIpBuilder {
        RawIpBuilder {
            net: Net::V4(self),
            proto,
            payload: payload.to_vec(),
        }
    }

    fn packet(&self, proto: u8, payload: &[u8]) -> Vec<u8> {
        let hlen = 20 + self.options.len();
        let mut p = Vec::with_capacity(hlen + payload.len());
        p.push(0x40 | (hlen / 4) as u8);
        p.push(self.tos);
        let total = self.total_length.unwrap_or((hlen + payload.len()) as u16);
        p.extend_from_slice(&total.to_be_bytes());
        p.extend_from_slice(&self.id.to_be_bytes());
        let flags = (u16::from(self.reserved_flag) << 15)
            | (u16::from(self.df) << 14)
            | (u16::from(self.mf) << 13)
            | self.frag_offset;
        p.extend_from_slice(&flags.to_be_bytes());
        p.push(self.ttl);
        p.push(self.protocol.unwrap_or(proto));
        p.extend_from_slice(&[0, 0]);
        p.extend_from_slice(&self.src.octets());
        p.extend_from_slice(&self.dst.octets());
        p.extend_from_slice(&self.options);
        let ck = self.checksum.unwrap_or_else(|| internet_checksum(&p));
        p[10..12].copy_from_slice(&ck.to_be_bytes());
        p.extend_from_slice(payload);
        p
    }
}

fn id_seq(ident: u16, seq: u16) -> [u8; 4] {
    let [a, b] = ident.to_be_bytes();
    let [c, d] = seq.to_be_bytes();
    [a, b, c, d]
}

/// Truncates an IP packet to what an ICMP error quotes: the IPv4 header plus
/// the first 8 bytes of its payload (RFC 792). Non-IPv4 input is returned
/// whole.
pub fn quote_ip(packet: &[u8]) -> Vec<u8> {
    match packet.first() {
        Some(b) if b >> 4 == 4 => {
            let hlen = usize::from(b & 0x0f) * 4;
            packet[..packet.len().min(hlen + 8)].to_vec()
        }
        _ => packet.to_vec(),
    }
}

/// An IPv6 extension header.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ExtHeader {
    /// Hop-by-hop options (next header 0); the raw option TLVs, padded with
    /// Pad1/PadN to a multiple of 8 bytes.
    HopByHop(Vec<u8>),
    /// Destination options (next header 60); raw option TLVs, padded likewise.
    DestOpts(Vec<u8>),
    /// Routing header (next header 43): type, segments left and the
    /// type-specific data that follows the first 4 bytes (zero-padded to a
    /// multiple of 8 bytes overall).
    Routing {
        /// Routing type.
        routing_type: u8,
        /// Segments left.
        segments_left: u8,
        /// Type-specific data (after the 4 fixed bytes).
        data: Vec<u8>,
    },
    /// Fragment header (next header 44).
    Fragment {
        /// Fragment offset in 8-byte units (13 bits).
        offset: u16,
        /// More-fragments flag.
        more: bool,
        /// Identification.
        id: u32,
    },
}

impl ExtHeader {
    fn kind(&self) -> u8 {
        match self {
            ExtHeader::HopByHop(_) => ip_proto::HOPOPT,
            ExtHeader::DestOpts(_) => ip_proto::DSTOPTS,
            ExtHeader::Routing { .. } => ip_proto::ROUTING,
            ExtHeader::Fragment { .. } => ip_proto::FRAGMENT,
        }
    }

    fn encode(&self, next: u8, out: &mut Vec<u8>) {
        match self {
            ExtHeader::HopByHop(opts) | ExtHeader::DestOpts(opts) => {
                let mut body = opts.clone();
                let pad = (8 - (body.len() + 2) % 8) % 8;
                match pad {
                    0 => {}
                    1 => body.push(0), // Pad1
                    n => {
                        body.push(1); // PadN
                        body.push((n - 2) as u8);
                        body.extend(std::iter::repeat_n(0, n - 2));
                    }
                }
                out.push(next);
                out.push(((body.len() + 2) / 8 - 1) as u8);
                out.extend_from_slice(&body);
            }
            ExtHeader::Routing {
                routing_type,
                segments_left,
                data,
            } => {
                let mut body = vec![*routing_type, *segments_left, 0, 0];
                body.extend_from_slice(data);
                while (body.len() + 2) % 8 != 0 {
                    body.push(0);
                }
                out.push(next);
                out.push(((body.len() + 2) / 8 - 1) as u8);
                out.extend_from_slice(&body);
            }
            ExtHeader::Fragment { offset, more, id } => {
                out.push(next);
                out.push(0);
                out.extend_from_slice(&(((offset & 0x1fff) << 3) | u16::from(*more)).to_be_bytes());
                out.extend_from_slice(&id.to_be_bytes());
            }
        }
    }
}

/// IPv6 header (and extension headers) under construction.
#[derive(Clone, Debug)]
pub struct Ipv6Builder {
    link: Option<Link>,
    src: Ipv6Addr,
    dst: Ipv6Addr,
    traffic_class: u8,
    flow_label: u32,
    hop_limit: u8,
    ext: Vec<ExtHeader>,
    payload_length: Option<u16>,
}

impl Ipv6Builder {
    fn new(link: Option<Link>, src: Ipv6Addr, dst: Ipv6Addr) -> Self {
        Self {
            link,
            src,
            dst,
            traffic_class: 0,
            flow_label: 0,
            hop_limit: 64,
            ext: Vec::new(),
            payload_length: None,
        }
    }

    /// Traffic class. Default 0.
    pub fn traffic_class(mut self, tc: u8) -> Self {
        self.traffic_class = tc;
        self
    }
    /// Flow label (20 bits). Default 0.
    pub fn flow_label(mut self, label: u32) -> Self {
        self.flow_label = label & 0xfffff;
        self
    }
    /// Hop limit. Default 64.
    pub fn hop_limit(mut self, hl: u8) -> Self {
        self.hop_limit = hl;
        self
    }
    /// Appends an extension header (in wire order).
    pub fn ext(mut self, header: ExtHeader) -> Self {
        self.ext.push(header);
        self
    }
    /// Appends a hop-by-hop options header with the given option TLVs.
    pub fn hop_by_hop(self, options: &[u8]) -> Self {
        self.ext(ExtHeader::HopByHop(options.to_vec()))
    }
    /// Appends a destination options header with the given option TLVs.
    pub fn dest_options(self, options: &[u8]) -> Self {
        self.ext(ExtHeader::DestOpts(options.to_vec()))
    }
    /// Appends a fragment header (offset in 8-byte units).
    pub fn fragment_header(self, offset: u16, more: bool, id: u32) -> Self {
        self.ext(ExtHeader::Fragment { offset, more, id })
    }
    /// Overrides the payload length field (normally computed).
    pub fn payload_length(mut self, len: u16) -> Self {
        self.payload_length = Some(len);
        self
    }

    /// Continues with a TCP header.
    pub fn tcp(self, sport: u16, dport: u16) -> TcpBuilder {
        TcpBuilder::new(Net::V6(self), sport, dport)
    }
    /// Continues with a UDP header.
    pub fn udp(self, sport: u16, dport: u16) -> UdpBuilder {
        UdpBuilder::new(Net::V6(self), sport, dport)
    }
    /// An ICMPv6 message of any type; `rest` is the 4 bytes after the checksum.
    pub fn icmpv6(self, icmp_type: u8, code: u8, rest: [u8; 4]) -> Icmpv6Builder {
        Icmpv6Builder {
            net: Net::V6(self),
            icmp_type,
            code,
            rest,
            payload: Vec::new(),
            checksum: None,
        }
    }
    /// ICMPv6 echo request (type 128).
    pub fn icmpv6_echo_request(self, ident: u16, seq: u16) -> Icmpv6Builder {
        self.icmpv6(128, 0, id_seq(ident, seq))
    }
    /// ICMPv6 echo reply (type 129).
    pub fn icmpv6_echo_reply(self, ident: u16, seq: u16) -> Icmpv6Builder {
        self.icmpv6(129, 0, id_seq(ident, seq))
    }
    /// Any other upper layer: `payload` is carried as-is with next header `proto`.
    pub fn raw(self, proto: u8, payload: &[u8]) -> RawIpBuilder {
        RawIpBuilder {
            net: Net::V6(self),
            proto,
            payload: payload.to_vec(),
        }
    }

    fn packet(&self, proto: u8, upper: &[u8]) -> Vec<u8> {
        let mut ext = Vec::new();
        for (i, h) in self.ext.iter().enumerate() {
            let next = self.ext.get(i + 1).map_or(proto, ExtHeader::kind);
            h.encode(next, &mut ext);
        }
        let first = self.ext.first().map_or(proto, ExtHeader::kind);
        let mut p = Vec::with_capacity(40 + ext.len() + upper.len());
        let vtf = (6u32 << 28) | (u32::from(self.traffic_class) << 20) | self.flow_label;
        p.extend_from_slice(&vtf.to_be_bytes());
        let plen = self
            .payload_length
            .unwrap_or((ext.len() + upper.len()) as u16);
        p.extend_from_slice(&plen.to_be_bytes());
        p.push(first);
        p.push(self.hop_limit);
        p.extend_from_slice(&self.src.octets());
        p.extend_from_slice(&self.dst.octets());
        p.extend_from_slice(&ext);
        p.extend_from_slice(upper);
        p
    }
}

/// The network layer beneath a transport builder.
#[derive(Clone, Debug)]
enum Net {
    V4(Ipv4Builder),
    V6(Ipv6Builder),
}

impl Net {
    /// Pseudo-header checksum of `segment` (checksum field zeroed).
    fn l4_checksum(&self, proto: u8, segment: &[u8]) -> u16 {
        match self {
            Net::V4(h) => transport_checksum_v4(h.src, h.dst, proto, segment),
            Net::V6(h) => transport_checksum_v6(h.src, h.dst, proto, segment),
        }
    }

    fn ip_packet(&self, proto: u8, upper: &[u8]) -> Vec<u8> {
        match self {
            Net::V4(h) => h.packet(proto, upper),
            Net::V6(h) => h.packet(proto, upper),
        }
    }

    fn link(&self) -> Option<&Link> {
        match self {
            Net::V4(h) => h.link.as_ref(),
            Net::V6(h) => h.link.as_ref(),
        }
    }

    fn ethertype(&self) -> u16 {
        match self {
            Net::V4(_) => ethertype::IPV4,
            Net::V6(_) => ethertype::IPV6,
        }
    }

    fn frame(&self, ip: &[u8]) -> Vec<u8> {
        match self.link() {
            Some(l) => l.frame(self.ethertype(), ip),
            None => ip.to_vec(),
        }
    }

    fn finish(&self, proto: u8, upper: &[u8]) -> Vec<u8> {
        self.frame(&self.ip_packet(proto, upper))
    }

    fn finish_fragments(&self, proto: u8, upper: &[u8], max: usize, v6_id: u32) -> Vec<Vec<u8>> {
        let ip = self.ip_packet(proto, upper);
        let frags = match self {
            Net::V4(_) => fragment_ipv4(&ip, max),
            Net::V6(_) => fragment_ipv6(&ip, max, v6_id),
        };
        frags.iter().map(|f| self.frame(f)).collect()
    }
}

/// Default IPv6 fragment identification used by `build_fragments`.
pub const DEFAULT_V6_FRAG_ID: u32 = 0x5a5a_0001;

/// Implements the shared finishers on a layer-4 builder with an
/// `upper(&self) -> (proto, bytes)` method.
macro_rules! finishers {
    ($t:ty) => {
        impl $t {
            /// The finished frame (or bare IP packet without link layer).
            pub fn build(self) -> Vec<u8> {
                let (proto, upper) = self.upper();
                self.net.finish(proto, &upper)
            }
            /// The IP packet only, without any link layer.
            pub fn build_ip(self) -> Vec<u8> {
                let (proto, upper) = self.upper();
                self.net.ip_packet(proto, &upper)
            }
            /// The packet as IP fragments of at most `max_payload` fragmentable
            /// bytes each (rounded down to a multiple of 8), each framed like
            /// [`build`](Self::build).
            pub fn build_fragments(self, max_payload: usize) -> Vec<Vec<u8>> {
                self.build_fragments_v6(max_payload, DEFAULT_V6_FRAG_ID)
            }
            /// As [`build_fragments`](Self::build_fragments), with the IPv6
            /// fragment identification `v6_id` (ignored for IPv4, which keeps
            /// its header's identification).
            pub fn build_fragments_v6(self, max_payload: usize, v6_id: u32) -> Vec<Vec<u8>> {
                let (proto, upper) = self.upper();
                self.net.finish_fragments(proto, &upper, max_payload, v6_id)
            }
            /// The layer-4 bytes only (header with its checksum, plus payload).
            pub fn build_l4(self) -> Vec<u8> {
                self.upper().1
            }
        }
    };
}

/// TCP segment under construction.
#[derive(Clone, Debug)]
pub struct TcpBuilder {
    net: Net,
    sport: u16,
    dport: u16,
    seq: u32,
    ack: u32,
    flags: u8,
    window: u16,
    urgent: u16,
    options: Vec<u8>,
    payload: Vec<u8>,
    checksum: Option<u16>,
    reserved: u8,
}

impl TcpBuilder {
    fn new(net: Net, sport: u16, dport: u16) -> Self {
        Self {
            net,
            sport,
            dport,
            seq: 0,
            ack: 0,
            flags: 0,
            window: 65535,
            urgent: 0,
            options: Vec::new(),
            payload: Vec::new(),
            checksum: None,
            reserved: 0,
        }
    }

    /// Sequence number. Default 0.
    pub fn seq(mut self, seq: u32) -> Self {
        self.seq = seq;
        self
    }
    /// Acknowledgement number (written as given, whether or not ACK is set).
    /// Default 0.
    pub fn ack(mut self, ack: u32) -> Self {
        self.ack = ack;
        self
    }
    /// Flag byte, e.g. `SYN | ACK` from [`tcp_flags`]. Default 0 (no flags).
    pub fn flags(mut self, flags: u8) -> Self {
        self.flags = flags;
        self
    }
    /// Receive window. Default 65535.
    pub fn window(mut self, window: u16) -> Self {
        self.window = window;
        self
    }
    /// Urgent pointer. Default 0.
    pub fn urgent(mut self, ptr: u16) -> Self {
        self.urgent = ptr;
        self
    }
    /// The 4 reserved bits of byte 12 (bit 0 is the old NS/AccECN bit).
    pub fn reserved_bits(mut self, bits: u8) -> Self {
        self.reserved = bits & 0x0f;
        self
    }
    /// Appends an MSS option (kind 2).
    pub fn mss(self, mss: u16) -> Self {
        self.option(2, &mss.to_be_bytes())
    }
    /// Appends a window scale option (kind 3).
    pub fn wscale(self, shift: u8) -> Self {
        self.option(3, &[shift])
    }
    /// Appends a SACK-permitted option (kind 4).
    pub fn sack_permitted(self) -> Self {
        self.option(4, &[])
    }
    /// Appends a SACK option (kind 5) with (left, right) edge pairs.
    pub fn sack(self, blocks: &[(u32, u32)]) -> Self {
        let data: Vec<u8> = blocks
            .iter()
            .flat_map(|(l, r)| l.to_be_bytes().into_iter().chain(r.to_be_bytes()))
            .collect();
        self.option(5, &data)
    }
    /// Appends a timestamps option (kind 8).
    pub fn timestamps(self, tsval: u32, tsecr: u32) -> Self {
        let mut d = tsval.to_be_bytes().to_vec();
        d.extend_from_slice(&tsecr.to_be_bytes());
        self.option(8, &d)
    }
    /// Appends a NOP (kind 1).
    pub fn nop(mut self) -> Self {
        self.options.push(1);
        self
    }
    /// Appends an option `kind` with `data` (length byte computed).
    pub fn option(mut self, kind: u8, data: &[u8]) -> Self {
        self.options.push(kind);
        self.options.push((data.len() + 2) as u8);
        self.options.extend_from_slice(data);
        self
    }
    /// Appends raw option bytes exactly as given.
    pub fn options_raw(mut self, bytes: &[u8]) -> Self {
        self.options.extend_from_slice(bytes);
        self
    }
    /// Segment payload. Default empty.
    pub fn payload(mut self, payload: &[u8]) -> Self {
        self.payload = payload.to_vec();
        self
    }
    /// Overrides the checksum (normally computed over the pseudo-header).
    pub fn checksum(mut self, ck: u16) -> Self {
        self.checksum = Some(ck);
        self
    }

    fn upper(&self) -> (u8, Vec<u8>) {
        let mut opts = self.options.clone();
        while opts.len() % 4 != 0 {
            opts.push(0); // end-of-options list padding
        }
        assert!(opts.len() <= 40, "TCP options exceed 40 bytes");
        let hlen = 20 + opts.len();
        let mut s = Vec::with_capacity(hlen + self.payload.len());
        s.extend_from_slice(&self.sport.to_be_bytes());
        s.extend_from_slice(&self.dport.to_be_bytes());
        s.extend_from_slice(&self.seq.to_be_bytes());
        s.extend_from_slice(&self.ack.to_be_bytes());
        s.push(((hlen / 4) as u8) << 4 | self.reserved);
        s.push(self.flags);
        s.extend_from_slice(&self.window.to_be_bytes());
        s.extend_from_slice(&[0, 0]);
        s.extend_from_slice(&self.urgent.to_be_bytes());
        s.extend_from_slice(&opts);
        s.extend_from_slice(&self.payload);
        let ck = self
            .checksum
            .unwrap_or_else(|| self.net.l4_checksum(ip_proto::TCP, &s));
        s[16..18].copy_from_slice(&ck.to_be_bytes());
        (ip_proto::TCP, s)
    }
}
finishers!(TcpBuilder);

/// UDP datagram under construction.
#[derive(Clone, Debug)]
pub struct UdpBuilder {
    net: Net,
    sport: u16,
    dport: u16,
    payload: Vec<u8>,
    checksum: Option<u16>,
    length: Option<u16>,
}

impl UdpBuilder {
    fn new(net: Net, sport: u16, dport: u16) -> Self {
        Self {
            net,
            sport,
            dport,
            payload: Vec::new(),
            checksum: None,
            length: None,
        }
    }
    /// Datagram payload. Default empty.
    pub fn payload(mut self, payload: &[u8]) -> Self {
        self.payload = payload.to_vec();
        self
    }
    /// Overrides the checksum (0 means "no checksum" over IPv4).
    pub fn checksum(mut self, ck: u16) -> Self {
        self.checksum = Some(ck);
        self
    }
    /// Sends without a checksum (field 0; valid over IPv4 only).
    pub fn no_checksum(self) -> Self {
        self.checksum(0)
    }
    /// Overrides the UDP length field (normally 8 + payload length).
    pub fn length(mut self, len: u16) -> Self {
        self.length = Some(len);
        self
    }

    fn upper(&self) -> (u8, Vec<u8>) {
        let mut s = Vec::with_capacity(8 + self.payload.len());
        s.extend_from_slice(&self.sport.to_be_bytes());
        s.extend_from_slice(&self.dport.to_be_bytes());
        let len = self.length.unwrap_or((8 + self.payload.len()) as u16);
        s.extend_from_slice(&len.to_be_bytes());
        s.extend_from_slice(&[0, 0]);
        s.extend_from_slice(&self.payload);
        let ck = self
            .checksum
            .unwrap_or_else(|| match self.net.l4_checksum(ip_proto::UDP, &s) {
                0 => 0xffff, // RFC 768: a computed zero is sent as all ones
                c => c,
            });
        s[6..8].copy_from_slice(&ck.to_be_bytes());
        (ip_proto::UDP, s)
    }
}
finishers!(UdpBuilder);

/// ICMPv4 message under construction.
#[derive(Clone, Debug)]
pub struct IcmpBuilder {
    net: Net,
    icmp_type: u8,
    code: u8,
    rest: [u8; 4],
    payload: Vec<u8>,
    checksum: Option<u16>,
}

impl IcmpBuilder {
    /// Data after the 8-byte ICMP header (echo data, or the quoted packet).
    pub fn payload(mut self, payload: &[u8]) -> Self {
        self.payload = payload.to_vec();
        self
    }
    /// Overrides the checksum.
    pub fn checksum(mut self, ck: u16) -> Self {
        self.checksum = Some(ck);
        self
    }

    fn upper(&self) -> (u8, Vec<u8>) {
        let mut s = vec![self.icmp_type, self.code, 0, 0];
        s.extend_from_slice(&self.rest);
        s.extend_from_slice(&self.payload);
        let ck = self.checksum.unwrap_or_else(|| internet_checksum(&s));
        s[2..4].copy_from_slice(&ck.to_be_bytes());
        (ip_proto::ICMP, s)
    }
}
finishers!(IcmpBuilder);

/// ICMPv6 message under construction (checksum over the IPv6 pseudo-header).
#[derive(Clone, Debug)]
pub struct Icmpv6Builder {
    net: Net,
    icmp_type: u8,
    code: u8,
    rest: [u8; 4],
    payload: Vec<u8>,
    checksum: Option<u16>,
}

impl Icmpv6Builder {
    /// Data after the 8-byte ICMPv6 header.
    pub fn payload(mut self, payload: &[u8]) -> Self {
        self.payload = payload.to_vec();
        self
    }
    /// Overrides the checksum.
    pub fn checksum(mut self, ck: u16) -> Self {
        self.checksum = Some(ck);
        self
    }

    fn upper(&self) -> (u8, Vec<u8>) {
        let mut s = vec![self.icmp_type, self.code, 0, 0];
        s.extend_from_slice(&self.rest);
        s.extend_from_slice(&self.payload);
        let ck = self
            .checksum
            .unwrap_or_else(|| self.net.l4_checksum(ip_proto::ICMPV6, &s));
        s[2..4].copy_from_slice(&ck.to_be_bytes());
        (ip_proto::ICMPV6, s)
    }
}
finishers!(Icmpv6Builder);

/// An IP packet with an arbitrary, pre-built upper layer.
#[derive(Clone, Debug)]
pub struct RawIpBuilder {
    net: Net,
    proto: u8,
    payload: Vec<u8>,
}

impl RawIpBuilder {
    fn upper(&self) -> (u8, Vec<u8>) {
        (self.proto, self.payload.clone())
    }
}
finishers!(RawIpBuilder);
