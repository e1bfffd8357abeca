//! Flow keys: the bidirectional identity of a flow.

use std::net::IpAddr;
use vigil_wire::{Decoded, Transport};

/// Flow tuple of one packet, in the packet's own orientation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PacketTuple {
    pub src: IpAddr,
    pub dst: IpAddr,
    pub src_port: u16,
    pub dst_port: u16,
    pub proto: u8,
    /// Protocol-specific discriminator: the ESP SPI, else 0.
    pub aux: u32,
}

impl PacketTuple {
    /// The tuple of a decoded packet, or `None` when it has no flow (not IP,
    /// or an IP fragment waiting for reassembly).
    pub fn of(decoded: &Decoded) -> Option<PacketTuple> {
        let ip = decoded.ip.as_ref()?;
        if ip.frag.is_some() {
            return None;
        }
        let (src_port, dst_port, aux) = match decoded.transport {
            Transport::Tcp(t) => (t.src_port, t.dst_port, 0),
            Transport::Udp(u) => (u.src_port, u.dst_port, 0),
            Transport::Sctp { src_port, dst_port } => (src_port, dst_port, 0),
            Transport::Esp { spi } => (0, 0, spi),
            // ICMP: Suricata's "ports" are (type, code) of the packet and the
            // counterpart type (echo request <-> reply, ...), so a request
            // and its reply share a flow and unrelated messages do not.
            Transport::Icmpv4(i) => {
                icmp_ports(i.icmp_type, i.code, icmpv4_counterpart(i.icmp_type))
            }
            Transport::Icmpv6(i) => {
                icmp_ports(i.icmp_type, i.code, icmpv6_counterpart(i.icmp_type))
            }
            Transport::Other(_) => (0, 0, 0),
            Transport::None => return None,
        };
        Some(PacketTuple {
            src: ip.src,
            dst: ip.dst,
            src_port,
            dst_port,
            proto: ip.proto,
            aux,
        })
    }

    /// The TCP/UDP tuple quoted in an ICMPv4 destination-unreachable
    /// message: the only ICMP error Suricata attaches to the quoted flow.
    pub fn embedded_of(decoded: &Decoded) -> Option<PacketTuple> {
        let icmp = match decoded.transport {
            Transport::Icmpv4(i) if i.icmp_type == 3 && i.code <= 15 => i,
            _ => return None,
        };
        let emb = icmp.embedded?;
        if !matches!(emb.proto, 6 | 17) {
            return None;
        }
        Some(PacketTuple {
            src: emb.src,
            dst: emb.dst,
            src_port: emb.src_port,
            dst_port: emb.dst_port,
            proto: emb.proto,
            aux: 0,
        })
    }
}

fn icmp_ports(icmp_type: u8, code: u8, counterpart: Option<u8>) -> (u16, u16, u32) {
    (
        u16::from(icmp_type) << 8 | u16::from(code),
        u16::from(counterpart.unwrap_or(0)) << 8,
        0,
    )
}

/// The reply type of an ICMPv4 request type and vice versa.
pub fn icmpv4_counterpart(t: u8) -> Option<u8> {
    Some(match t {
        8 => 0,
        0 => 8,
        13 => 14,
        14 => 13,
        15 => 16,
        16 => 15,
        10 => 9,
        9 => 10,
        17 => 18,
        18 => 17,
        _ => return None,
    })
}

/// The reply type of an ICMPv6 request type and vice versa.
pub fn icmpv6_counterpart(t: u8) -> Option<u8> {
    Some(match t {
        128 => 129,
        129 => 128,
        135 => 136,
        136 => 135,
        133 => 134,
        134 => 133,
        130 => 131,
        131 => 130,
        139 => 140,
        140 => 139,
        144 => 145,
        145 => 144,
        146 => 147,
        147 => 146,
        148 => 149,
        149 => 148,
        151 => 152,
        152 => 151,
        157 => 158,
        158 => 157,
        _ => return None,
    })
}

/// Canonical, direction-independent flow key: the lower (address, port)
/// endpoint first, plus protocol, discriminator and VLAN ids.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct FlowKey {
    lo_addr: [u8; 16],
    hi_addr: [u8; 16],
    lo_port: u16,
    hi_port: u16,
    proto: u8,
    v6: bool,
    aux: u32,
    vlan: [u16; 3],
    /// Non-zero for flows that no later packet may join (see
    /// [`FlowKey::singleton`]).
    unique: u64,
}

fn addr16(addr: IpAddr) -> [u8; 16] {
    match addr {
        IpAddr::V4(v4) => v4.to_ipv6_mapped().octets(),
        IpAddr::V6(v6) => v6.octets(),
    }
}

impl FlowKey {
    /// Builds the key of `tuple` on VLANs `vlan` (outermost first).
    pub fn new(tuple: &PacketTuple, vlan: &[u16]) -> FlowKey {
        let a = (addr16(tuple.src), tuple.src_port);
        let b = (addr16(tuple.dst), tuple.dst_port);
        let (lo, hi) = if a <= b { (a, b) } else { (b, a) };
        let mut vlans = [0u16; 3];
        for (slot, id) in vlans.iter_mut().zip(vlan) {
            *slot = *id;
        }
        FlowKey {
            lo_addr: lo.0,
            hi_addr: hi.0,
            lo_port: lo.1,
            hi_port: hi.1,
            proto: tuple.proto,
            v6: tuple.src.is_ipv6(),
            aux: tuple.aux,
            vlan: vlans,
            unique: 0,
        }
    }

    /// A key no other packet maps to: Suricata gives an ICMP error whose
    /// quoted flow is unknown a flow of its own that nothing joins later.
    pub fn singleton(self, serial: u64) -> FlowKey {
        FlowKey {
            unique: serial.max(1),
            ..self
        }
    }

    /// A stable 64-bit mix of the key (not for hash tables: used to derive
    /// flow ids deterministically).
    pub fn stable_hash(&self) -> u64 {
        let mut h: u64 = 0x9e37_79b9_7f4a_7c15;
        let mut feed = |v: u64| {
            h = (h ^ v).wrapping_mul(0xbf58_476d_1ce4_e5b9);
            h ^= h >> 31;
        };
        for chunk in self
            .lo_addr
            .chunks_exact(8)
            .chain(self.hi_addr.chunks_exact(8))
        {
            let mut word = [0u8; 8];
            word.copy_from_slice(chunk);
            feed(u64::from_le_bytes(word));
        }
        feed(u64::from(self.lo_port) << 32 | u64::from(self.hi_port) << 16 | u64::from(self.proto));
        feed(u64::from(self.aux) << 1 | u64::from(self.v6));
        feed(
            u64::from(self.vlan[0]) << 32 | u64::from(self.vlan[1]) << 16 | u64::from(self.vlan[2]),
        );
        h
    }
}

/// A symmetric hash of an address pair (and VLAN), the same both ways, to
/// pick the worker of a packet. Only addresses are used so that IP
/// fragments, which lack ports, reach the same worker as the rest of their
/// flow; ICMP errors are routed by the quoted packet's addresses.
pub fn worker_hash(decoded: &Decoded) -> u64 {
    let Some(ip) = decoded.ip.as_ref() else {
        return 0;
    };
    let (src, dst) = match decoded.transport {
        Transport::Icmpv4(i) | Transport::Icmpv6(i) => match i.embedded {
            Some(e) => (e.src, e.dst),
            None => (ip.src, ip.dst),
        },
        _ => (ip.src, ip.dst),
    };
    let (a, b) = (addr16(src), addr16(dst));
    let (lo, hi) = if a <= b { (a, b) } else { (b, a) };
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for byte in lo.iter().chain(hi.iter()) {
        h = (h ^ u64::from(*byte)).wrapping_mul(0x0000_0100_0000_01b3);
    }
    h ^= u64::from(decoded.vlans().first().copied().unwrap_or(0));
    h ^ (h >> 29)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tuple(src: &str, sp: u16, dst: &str, dp: u16) -> PacketTuple {
        PacketTuple {
            src: src.parse().unwrap(),
            dst: dst.parse().unwrap(),
            src_port: sp,
            dst_port: dp,
            proto: 6,
            aux: 0,
        }
    }

    #[test]
    fn key_is_direction_independent() {
        let a = FlowKey::new(&tuple("10.0.0.1", 1234, "10.0.0.2", 80), &[]);
        let b = FlowKey::new(&tuple("10.0.0.2", 80, "10.0.0.1", 1234), &[]);
        assert_eq!(a, b);
        assert_eq!(a.stable_hash(), b.stable_hash());
    }

    #[test]
    fn vlan_and_ports_separate_flows() {
        let a = FlowKey::new(&tuple("10.0.0.1", 1234, "10.0.0.2", 80), &[10]);
        let b = FlowKey::new(&tuple("10.0.0.1", 1234, "10.0.0.2", 80), &[11]);
        let c = FlowKey::new(&tuple("10.0.0.1", 1235, "10.0.0.2", 80), &[10]);
        assert_ne!(a, b);
        assert_ne!(a, c);
    }
}
