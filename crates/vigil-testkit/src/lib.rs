//! Test support for vigil: build exact packets, whole conversations and
//! classic pcap files in code.
//!
//! Used as a dev-dependency by the other crates' tests and by the
//! `gen-sample` binary that writes `examples/sample-ot-it.pcap`.
//!
//! - [`Packet`]: layered builders (Ethernet II with 802.1Q/802.1ad tags,
//!   ARP, IPv4 with options and fragment fields, IPv6 with extension
//!   headers, TCP with options, UDP, ICMPv4, ICMPv6) producing wire bytes
//!   with correct lengths and checksums.
//! - [`fragment_ipv4`] / [`fragment_ipv6`]: split a built IP packet into
//!   fragments.
//! - [`TcpConversation`] / [`UdpExchange`]: timestamped frames of a complete
//!   session with consistent sequence and acknowledgement numbers.
//! - [`PcapFile`]: a little-endian, microsecond classic pcap writer.
//! - [`proto`]: payload builders for Modbus/TCP, DNP3, IEC 60870-5-104,
//!   S7comm, DNS and TLS.
//! - [`sample`]: the generator of the bundled sample capture.
//!
//! ```
//! use vigil_testkit::{Packet, PcapFile, Timestamp, tcp_flags::{ACK, PSH}};
//! let frame = Packet::ether([2, 0, 0, 0, 0, 1], [2, 0, 0, 0, 0, 2])
//!     .ipv4([192, 0, 2, 1], [192, 0, 2, 2])
//!     .tcp(40000, 80)
//!     .seq(1)
//!     .ack(1)
//!     .flags(PSH | ACK)
//!     .payload(b"GET / HTTP/1.0\r\n\r\n")
//!     .build();
//! let mut pcap = PcapFile::new();
//! pcap.push(Timestamp::new(1_768_464_000, 0), &frame);
//! assert_eq!(pcap.to_bytes().len(), 24 + 16 + frame.len());
//! ```

#![warn(missing_docs)]

pub mod checksum;
mod conversation;
mod frag;
mod packet;
mod pcap;
pub mod proto;
pub mod sample;

pub use conversation::{
    Close, Direction, Endpoint, Frame, TcpConversation, UdpExchange, udp_exchange,
};
pub use frag::{fragment_ipv4, fragment_ipv6};
pub use packet::{
    ArpBuilder, BROADCAST_MAC, DEFAULT_V6_FRAG_ID, EtherBuilder, ExtHeader, IcmpBuilder,
    Icmpv6Builder, Ipv4Builder, Ipv6Builder, MacAddr, Packet, RawIpBuilder, TcpBuilder, UdpBuilder,
    VlanTag, ethertype, ip_proto, quote_ip, tcp_flags,
};
pub use pcap::{LINKTYPE_ETHERNET, LINKTYPE_RAW, PcapFile, Record, Timestamp};
