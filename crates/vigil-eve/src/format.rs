//! Value formats of Suricata's EVE output.

use std::net::IpAddr;
use vigil_wire::Timestamp;

const HEX: &[u8; 16] = b"0123456789abcdef";

fn push_padded(out: &mut Vec<u8>, value: u64, width: usize) {
    let mut buf = itoa::Buffer::new();
    let digits = buf.format(value);
    for _ in digits.len()..width {
        out.push(b'0');
    }
    out.extend_from_slice(digits.as_bytes());
}

/// Converts days since 1970-01-01 to (year, month, day) in the proleptic
/// Gregorian calendar (Howard Hinnant's civil-from-days algorithm).
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

/// Appends a timestamp as Suricata writes it in UTC:
/// `2009-11-24T21:26:53.478539+0000`.
pub fn push_timestamp(out: &mut Vec<u8>, ts: Timestamp) {
    let days = ts.secs.div_euclid(86_400);
    let secs_of_day = ts.secs.rem_euclid(86_400) as u64;
    let (year, month, day) = civil_from_days(days);
    push_padded(out, year.clamp(0, 9999) as u64, 4);
    out.push(b'-');
    push_padded(out, u64::from(month), 2);
    out.push(b'-');
    push_padded(out, u64::from(day), 2);
    out.push(b'T');
    push_padded(out, secs_of_day / 3600, 2);
    out.push(b':');
    push_padded(out, secs_of_day / 60 % 60, 2);
    out.push(b':');
    push_padded(out, secs_of_day % 60, 2);
    out.push(b'.');
    push_padded(out, u64::from(ts.micros()), 6);
    out.extend_from_slice(b"+0000");
}

/// Appends an address as Suricata writes it: dotted quad for IPv4, and for
/// IPv6 all eight groups as four lowercase hex digits (no `::` compression).
pub fn push_ip(out: &mut Vec<u8>, addr: IpAddr) {
    match addr {
        IpAddr::V4(v4) => {
            for (i, octet) in v4.octets().iter().enumerate() {
                if i > 0 {
                    out.push(b'.');
                }
                let mut buf = itoa::Buffer::new();
                out.extend_from_slice(buf.format(*octet).as_bytes());
            }
        }
        IpAddr::V6(v6) => {
            for (i, pair) in v6.octets().chunks_exact(2).enumerate() {
                if i > 0 {
                    out.push(b':');
                }
                for &b in pair {
                    out.push(HEX[usize::from(b >> 4)]);
                    out.push(HEX[usize::from(b & 0xf)]);
                }
            }
        }
    }
}

/// Appends a byte as two lowercase hex digits (`tcp_flags` style).
pub fn push_hex_byte(out: &mut Vec<u8>, b: u8) {
    out.push(HEX[usize::from(b >> 4)]);
    out.push(HEX[usize::from(b & 0xf)]);
}

/// Appends a MAC address as `aa:bb:cc:dd:ee:ff`.
pub fn push_mac(out: &mut Vec<u8>, mac: &[u8; 6]) {
    for (i, b) in mac.iter().enumerate() {
        if i > 0 {
            out.push(b':');
        }
        push_hex_byte(out, *b);
    }
}

/// The protocol name Suricata prints in `proto` (its names follow the IANA
/// keywords of /etc/protocols); `None` for numbers printed as digits.
pub fn proto_name(proto: u8) -> Option<&'static str> {
    Some(match proto {
        0 => "HOPOPT",
        1 => "ICMP",
        2 => "IGMP",
        4 => "IPv4",
        6 => "TCP",
        8 => "EGP",
        9 => "IGP",
        17 => "UDP",
        41 => "IPv6",
        43 => "IPv6-Route",
        44 => "IPv6-Frag",
        46 => "RSVP",
        47 => "GRE",
        50 => "ESP",
        51 => "AH",
        58 => "IPv6-ICMP",
        59 => "IPv6-NoNxt",
        60 => "IPv6-Opts",
        88 => "EIGRP",
        89 => "OSPF",
        94 => "IPIP",
        103 => "PIM",
        112 => "VRRP",
        115 => "L2TP",
        132 => "SCTP",
        136 => "UDPLite",
        _ => return None,
    })
}

/// Appends the `proto` value: the name when known, else the number.
pub fn push_proto(out: &mut Vec<u8>, proto: u8) {
    match proto_name(proto) {
        Some(name) => out.extend_from_slice(name.as_bytes()),
        None => {
            let mut buf = itoa::Buffer::new();
            out.extend_from_slice(buf.format(proto).as_bytes());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::{Ipv4Addr, Ipv6Addr};

    fn ts_string(secs: i64, nanos: u64) -> String {
        let mut out = Vec::new();
        push_timestamp(&mut out, Timestamp::new(secs, nanos));
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn timestamps_match_suricata() {
        // 2009-11-24T21:26:53.478539 UTC
        assert_eq!(
            ts_string(1_259_098_013, 478_539_000),
            "2009-11-24T21:26:53.478539+0000"
        );
        assert_eq!(ts_string(0, 0), "1970-01-01T00:00:00.000000+0000");
        // leap day
        assert_eq!(
            ts_string(951_782_400, 1_000),
            "2000-02-29T00:00:00.000001+0000"
        );
    }

    #[test]
    fn ipv6_is_fully_expanded() {
        let mut out = Vec::new();
        push_ip(&mut out, IpAddr::V6(Ipv6Addr::LOCALHOST));
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "0000:0000:0000:0000:0000:0000:0000:0001"
        );
        let mut out = Vec::new();
        push_ip(&mut out, IpAddr::V4(Ipv4Addr::new(10, 0, 255, 1)));
        assert_eq!(String::from_utf8(out).unwrap(), "10.0.255.1");
    }
}
