//! Community ID v1 (<https://github.com/corelight/community-id-spec>): a
//! flow hash that Zeek, Suricata and SIEMs share, so one flow can be
//! correlated across tools.

use base64::Engine as _;
use sha1::{Digest, Sha1};
use std::net::IpAddr;

/// ICMPv4 type pairs that form request/response conversations.
fn icmp4_counterpart(t: u8) -> Option<u8> {
    Some(match t {
        8 => 0,
        0 => 8,
        13 => 14,
        14 => 13,
        15 => 16,
        16 => 15,
        17 => 18,
        18 => 17,
        10 => 9,
        9 => 10,
        _ => return None,
    })
}

/// ICMPv6 type pairs that form request/response conversations.
fn icmp6_counterpart(t: u8) -> Option<u8> {
    Some(match t {
        128 => 129,
        129 => 128,
        133 => 134,
        134 => 133,
        135 => 136,
        136 => 135,
        130 => 131,
        131 => 130,
        144 => 145,
        145 => 144,
        146 => 147,
        147 => 146,
        _ => return None,
    })
}

/// What the spec calls the "ports" of a flow.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CommunityPorts {
    /// TCP, UDP, SCTP ports.
    Ports(u16, u16),
    /// ICMP / ICMPv6 type and code of the initiator's first message.
    Icmp { icmp_type: u8, code: u8 },
    /// Protocols without ports.
    None,
}

/// Computes the Community ID v1 string (`1:` + base64 SHA-1) with `seed`.
pub fn community_id_v1(
    seed: u16,
    src: IpAddr,
    dst: IpAddr,
    proto: u8,
    ports: CommunityPorts,
) -> String {
    let (mut sport, mut dport, one_way, has_ports) = match ports {
        CommunityPorts::Ports(s, d) => (s, d, false, true),
        CommunityPorts::Icmp { icmp_type, code } => {
            let counterpart = if proto == 58 {
                icmp6_counterpart(icmp_type)
            } else {
                icmp4_counterpart(icmp_type)
            };
            match counterpart {
                Some(c) => (u16::from(icmp_type), u16::from(c), false, true),
                None => (u16::from(icmp_type), u16::from(code), true, true),
            }
        }
        CommunityPorts::None => (0, 0, false, false),
    };
    let (mut a, mut b) = (addr_bytes(&src), addr_bytes(&dst));
    let ordered = a.as_slice() < b.as_slice() || (a == b && sport <= dport);
    if !one_way && !ordered {
        std::mem::swap(&mut a, &mut b);
        std::mem::swap(&mut sport, &mut dport);
    }
    let mut hasher = Sha1::new();
    hasher.update(seed.to_be_bytes());
    hasher.update(&a);
    hasher.update(&b);
    hasher.update([proto, 0]);
    if has_ports {
        hasher.update(sport.to_be_bytes());
        hasher.update(dport.to_be_bytes());
    }
    let digest = hasher.finalize();
    let mut out = String::with_capacity(30);
    out.push_str("1:");
    base64::engine::general_purpose::STANDARD.encode_string(digest, &mut out);
    out
}

fn addr_bytes(addr: &IpAddr) -> Vec<u8> {
    match addr {
        IpAddr::V4(v4) => v4.octets().to_vec(),
        IpAddr::V6(v6) => v6.octets().to_vec(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // Reference values from the community-id-spec baseline (seed 0).
    #[test]
    fn tcp_baseline() {
        let id = community_id_v1(
            0,
            "128.232.110.120".parse().unwrap(),
            "66.35.250.204".parse().unwrap(),
            6,
            CommunityPorts::Ports(34855, 80),
        );
        assert_eq!(id, "1:LQU9qZlK+B5F3KDmev6m5PMibrg=");
        // the reverse direction gives the same id
        let rev = community_id_v1(
            0,
            "66.35.250.204".parse().unwrap(),
            "128.232.110.120".parse().unwrap(),
            6,
            CommunityPorts::Ports(80, 34855),
        );
        assert_eq!(rev, id);
    }

    #[test]
    fn udp_and_icmp_baseline() {
        let udp = community_id_v1(
            0,
            "192.168.1.52".parse().unwrap(),
            "8.8.8.8".parse().unwrap(),
            17,
            CommunityPorts::Ports(54585, 53),
        );
        assert_eq!(udp, "1:d/FP5EW3wiY1vCndhwleRRKHowQ=");
        let icmp = community_id_v1(
            0,
            "192.168.0.89".parse().unwrap(),
            "192.168.0.1".parse().unwrap(),
            1,
            CommunityPorts::Icmp {
                icmp_type: 8,
                code: 0,
            },
        );
        assert_eq!(icmp, "1:X0snYXpgwiv9TZtqg64sgzUn6Dk=");
    }
}
