//! Internet checksum (RFC 1071) and the IPv4/IPv6 pseudo-headers used by
//! TCP, UDP and ICMPv6.

use std::net::{Ipv4Addr, Ipv6Addr};

/// Incremental one's-complement sum over any number of byte slices.
///
/// Slices may have odd lengths: bytes are paired across slice boundaries
/// exactly as if all slices had been concatenated first.
#[derive(Clone, Debug, Default)]
pub struct Checksum {
    sum: u64,
    /// A dangling high byte from an odd-length slice, waiting for its partner.
    pending: Option<u8>,
}

impl Checksum {
    /// An empty accumulator.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds `data` to the sum.
    pub fn add(&mut self, data: &[u8]) -> &mut Self {
        let mut data = data;
        if let Some(hi) = self.pending.take() {
            match data.split_first() {
                Some((&lo, rest)) => {
                    self.sum += u64::from(u16::from_be_bytes([hi, lo]));
                    data = rest;
                }
                None => {
                    self.pending = Some(hi);
                    return self;
                }
            }
        }
        let mut chunks = data.chunks_exact(2);
        for c in &mut chunks {
            self.sum += u64::from(u16::from_be_bytes([c[0], c[1]]));
        }
        if let [last] = chunks.remainder() {
            self.pending = Some(*last);
        }
        self
    }

    /// Adds a big-endian 16-bit word.
    pub fn add_u16(&mut self, v: u16) -> &mut Self {
        self.add(&v.to_be_bytes())
    }

    /// Adds a big-endian 32-bit word.
    pub fn add_u32(&mut self, v: u32) -> &mut Self {
        self.add(&v.to_be_bytes())
    }

    /// The folded one's-complement sum (not yet complemented).
    pub fn sum16(&self) -> u16 {
        let mut sum = self.sum;
        if let Some(hi) = self.pending {
            sum += u64::from(u16::from_be_bytes([hi, 0]));
        }
        while sum > 0xffff {
            sum = (sum & 0xffff) + (sum >> 16);
        }
        sum as u16
    }

    /// The checksum to put on the wire: the complement of [`Checksum::sum16`].
    pub fn finish(&self) -> u16 {
        !self.sum16()
    }
}

/// The RFC 1071 internet checksum of `data` (as written into a header whose
/// checksum field was zero while summing).
pub fn internet_checksum(data: &[u8]) -> u16 {
    Checksum::new().add(data).finish()
}

/// Adds the IPv4 pseudo-header (RFC 793 / RFC 768) to `ck`.
pub fn add_pseudo_header_v4(ck: &mut Checksum, src: Ipv4Addr, dst: Ipv4Addr, proto: u8, len: u16) {
    ck.add(&src.octets())
        .add(&dst.octets())
        .add(&[0, proto])
        .add_u16(len);
}

/// Adds the IPv6 pseudo-header (RFC 8200 §8.1) to `ck`.
pub fn add_pseudo_header_v6(
    ck: &mut Checksum,
    src: Ipv6Addr,
    dst: Ipv6Addr,
    next_header: u8,
    len: u32,
) {
    ck.add(&src.octets())
        .add(&dst.octets())
        .add_u32(len)
        .add(&[0, 0, 0, next_header]);
}

/// TCP/UDP/ICMPv6 checksum over an IPv4 pseudo-header and `segment` (whose
/// checksum field must be zero).
pub fn transport_checksum_v4(src: Ipv4Addr, dst: Ipv4Addr, proto: u8, segment: &[u8]) -> u16 {
    let mut ck = Checksum::new();
    add_pseudo_header_v4(&mut ck, src, dst, proto, segment.len() as u16);
    ck.add(segment).finish()
}

/// TCP/UDP/ICMPv6 checksum over an IPv6 pseudo-header and `segment` (whose
/// checksum field must be zero).
pub fn transport_checksum_v6(src: Ipv6Addr, dst: Ipv6Addr, next_header: u8, segment: &[u8]) -> u16 {
    let mut ck = Checksum::new();
    add_pseudo_header_v6(&mut ck, src, dst, next_header, segment.len() as u32);
    ck.add(segment).finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc1071_example() {
        // RFC 1071 §3 example: 00 01 f2 03 f4 f5 f6 f7 sums to ddf2.
        let data = [0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7];
        assert_eq!(Checksum::new().add(&data).sum16(), 0xddf2);
        assert_eq!(internet_checksum(&data), !0xddf2);
    }

    #[test]
    fn odd_split_equals_concatenation() {
        let data: Vec<u8> = (0u8..=200).collect();
        let whole = internet_checksum(&data);
        for cut in 0..data.len() {
            let mut ck = Checksum::new();
            ck.add(&data[..cut]).add(&data[cut..]);
            assert_eq!(ck.finish(), whole, "cut at {cut}");
        }
    }

    #[test]
    fn known_ipv4_header() {
        // The classic example header: checksum b861.
        let mut h = [
            0x45, 0x00, 0x00, 0x73, 0x00, 0x00, 0x40, 0x00, 0x40, 0x11, 0x00, 0x00, 0xc0, 0xa8,
            0x00, 0x01, 0xc0, 0xa8, 0x00, 0xc7,
        ];
        assert_eq!(internet_checksum(&h), 0xb861);
        h[10..12].copy_from_slice(&0xb861u16.to_be_bytes());
        assert_eq!(internet_checksum(&h), 0);
    }
}
