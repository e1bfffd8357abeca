//! DNS messages (RFC 1035) for UDP port 53.

use std::net::Ipv4Addr;

/// Query type A.
pub const TYPE_A: u16 = 1;
/// Class IN.
pub const CLASS_IN: u16 = 1;

/// Encodes `name` ("a.b.c", trailing dot optional) as DNS labels.
/// Panics on a label longer than 63 bytes.
pub fn encode_name(name: &str) -> Vec<u8> {
    let mut v = Vec::with_capacity(name.len() + 2);
    for label in name
        .trim_end_matches('.')
        .split('.')
        .filter(|l| !l.is_empty())
    {
        assert!(label.len() <= 63, "DNS label too long");
        v.push(label.len() as u8);
        v.extend_from_slice(label.as_bytes());
    }
    v.push(0);
    v
}

fn header(id: u16, flags: u16, qd: u16, an: u16) -> Vec<u8> {
    let mut v = Vec::with_capacity(12);
    for x in [id, flags, qd, an, 0, 0] {
        v.extend_from_slice(&x.to_be_bytes());
    }
    v
}

/// A standard recursive query (flags 0x0100, RD) for `name`/`qtype`/IN.
pub fn query(id: u16, name: &str, qtype: u16) -> Vec<u8> {
    let mut v = header(id, 0x0100, 1, 0);
    v.extend_from_slice(&encode_name(name));
    v.extend_from_slice(&qtype.to_be_bytes());
    v.extend_from_slice(&CLASS_IN.to_be_bytes());
    v
}

/// A NOERROR response (flags 0x8180: QR, RD, RA) to an A query for `name`,
/// with one A record per address, each naming the question by a
/// compression pointer (0xC00C).
pub fn response_a(id: u16, name: &str, ttl: u32, addrs: &[Ipv4Addr]) -> Vec<u8> {
    let mut v = header(id, 0x8180, 1, addrs.len() as u16);
    v.extend_from_slice(&encode_name(name));
    v.extend_from_slice(&TYPE_A.to_be_bytes());
    v.extend_from_slice(&CLASS_IN.to_be_bytes());
    for a in addrs {
        v.extend_from_slice(&[0xc0, 0x0c]);
        v.extend_from_slice(&TYPE_A.to_be_bytes());
        v.extend_from_slice(&CLASS_IN.to_be_bytes());
        v.extend_from_slice(&ttl.to_be_bytes());
        v.extend_from_slice(&4u16.to_be_bytes());
        v.extend_from_slice(&a.octets());
    }
    v
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_bytes() {
        assert_eq!(
            query(0x1234, "ab.c", TYPE_A),
            [
                0x12, 0x34, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0, 2, b'a', b'b', 1, b'c', 0, 0, 1, 0, 1
            ]
        );
    }
}
