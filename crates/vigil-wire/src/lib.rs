//! Zero-copy packet decoding for vigil.
//!
//! [`decode_packet`] walks one captured frame from its link layer down to the
//! transport header and fills a caller-owned [`Decoded`] (reused across
//! packets, so the hot path allocates nothing). Every malformed header becomes
//! a [`DecodeEvent`] carrying Suricata's event name, and decoding stops at the
//! deepest layer that could be read.
//!
//! IP fragments are not reassembled here: the decoder stops at the IP layer
//! and reports the fragment ([`IpInfo::frag`]); `vigil-flow` reassembles and
//! calls [`decode_transport`] on the whole datagram.
//!
//! Supported: Ethernet, Linux SLL/SLL2, BSD NULL/LOOP, PPP and raw IP link
//! types; 802.1Q/802.1ad/QinQ (three tags), 802.1ah, MPLS, PPPoE, ARP;
//! IPv4 (options, fragments, checksum) and IPv6 (extension headers,
//! fragments); TCP, UDP, ICMPv4, ICMPv6 (quoted packets of errors), SCTP,
//! ESP; tunnels: IPv4/IPv6-in-IPv4/IPv6, GRE v0/v1 (PPTP), VXLAN, GENEVE,
//! Teredo, ERSPAN I/II/III. Behaviour follows Suricata 7's decoders; the few
//! deliberate differences are noted where they are made. The payload of an
//! EtherType not decoded here (IEC 61850 GOOSE) is handed on in
//! [`Decoded::ether_payload`].

mod decoded;
mod events;
mod time;

pub use decoded::*;
pub use events::*;
pub use time::Timestamp;

mod decode;
pub use decode::{MAX_LAYERS, decode_packet, decode_transport};

mod arp;
mod erspan;
mod ethernet;
mod geneve;
mod gre;
mod icmpv4;
mod icmpv6;
mod ipv4;
mod ipv6;
mod mpls;
mod null;
mod ppp;
mod pppoe;
mod raw;
mod sctp;
mod sll;
mod tcp;
mod teredo;
mod udp;
mod vlan;
mod vxlan;

#[cfg(test)]
mod testutil;
