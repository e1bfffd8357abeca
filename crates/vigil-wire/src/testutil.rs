//! Packet builders and helpers for the unit tests (test builds only).

use crate::Decoded;
use crate::decode::ones_complement_sum;

/// A 20-byte IPv4 header (no options) for `total_len` bytes in all, with a
/// zero checksum.
pub fn ipv4_header(proto: u8, total_len: usize, src: [u8; 4], dst: [u8; 4]) -> Vec<u8> {
    let mut h = vec![0x45, 0];
    h.extend_from_slice(&(total_len as u16).to_be_bytes());
    h.extend_from_slice(&[0, 1, 0, 0, 64, proto, 0, 0]);
    h.extend_from_slice(&src);
    h.extend_from_slice(&dst);
    h
}

/// Computes and stores the checksum of an IPv4 header.
pub fn set_ipv4_checksum(h: &mut [u8]) {
    h[10] = 0;
    h[11] = 0;
    let sum = !ones_complement_sum(h);
    h[10..12].copy_from_slice(&sum.to_be_bytes());
}

/// An IPv4 packet 192.168.0.1 -> 192.168.0.2 with a valid checksum.
pub fn ipv4_packet(proto: u8, payload: &[u8]) -> Vec<u8> {
    ipv4_packet_addrs(proto, payload, [192, 168, 0, 1], [192, 168, 0, 2])
}

pub fn ipv4_packet_addrs(proto: u8, payload: &[u8], src: [u8; 4], dst: [u8; 4]) -> Vec<u8> {
    let mut p = ipv4_header(proto, 20 + payload.len(), src, dst);
    set_ipv4_checksum(&mut p);
    p.extend_from_slice(payload);
    p
}

/// An IPv6 packet 2001:db8::1 -> 2001:db8::2.
pub fn ipv6_packet(nh: u8, payload: &[u8]) -> Vec<u8> {
    let mut p = vec![0x60, 0, 0, 0];
    p.extend_from_slice(&(payload.len() as u16).to_be_bytes());
    p.extend_from_slice(&[nh, 64]);
    let mut a = [0u8; 16];
    a[0] = 0x20;
    a[1] = 0x01;
    a[2] = 0x0d;
    a[3] = 0xb8;
    a[15] = 1;
    p.extend_from_slice(&a);
    a[15] = 2;
    p.extend_from_slice(&a);
    p.extend_from_slice(payload);
    p
}

/// A TCP segment; `opts` must be a multiple of 4 bytes.
pub fn tcp_segment(sp: u16, dp: u16, flags: u8, opts: &[u8], payload: &[u8]) -> Vec<u8> {
    assert_eq!(opts.len() % 4, 0);
    let mut t = Vec::new();
    t.extend_from_slice(&sp.to_be_bytes());
    t.extend_from_slice(&dp.to_be_bytes());
    t.extend_from_slice(&[0, 0, 0, 1, 0, 0, 0, 0]);
    t.push((((20 + opts.len()) / 4) as u8) << 4);
    t.push(flags);
    t.extend_from_slice(&[0xff, 0xff, 0, 0, 0, 0]);
    t.extend_from_slice(opts);
    t.extend_from_slice(payload);
    t
}

/// A UDP datagram with a correct length field.
pub fn udp_packet(sp: u16, dp: u16, payload: &[u8]) -> Vec<u8> {
    let mut u = Vec::new();
    u.extend_from_slice(&sp.to_be_bytes());
    u.extend_from_slice(&dp.to_be_bytes());
    u.extend_from_slice(&((8 + payload.len()) as u16).to_be_bytes());
    u.extend_from_slice(&[0, 0]);
    u.extend_from_slice(payload);
    u
}

/// An Ethernet frame 06:07:08:09:0a:0b -> 00:01:02:03:04:05.
pub fn eth_frame(ethertype: u16, payload: &[u8]) -> Vec<u8> {
    let mut f = vec![0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11];
    f.extend_from_slice(&ethertype.to_be_bytes());
    f.extend_from_slice(payload);
    f
}

/// A GRE version 0 header without optional fields.
pub fn gre_v0(proto: u16, payload: &[u8]) -> Vec<u8> {
    let mut g = vec![0, 0];
    g.extend_from_slice(&proto.to_be_bytes());
    g.extend_from_slice(payload);
    g
}

/// A VXLAN header (VNI 0x123456) and the inner frame.
pub fn vxlan(inner: &[u8]) -> Vec<u8> {
    let mut v = vec![0x08, 0, 0, 0, 0x12, 0x34, 0x56, 0];
    v.extend_from_slice(inner);
    v
}

/// An ICMPv4 error quoting `quoted`.
pub fn icmp_error_v4(icmp_type: u8, code: u8, quoted: &[u8]) -> Vec<u8> {
    let mut i = vec![icmp_type, code, 0, 0, 0, 0, 0, 0];
    i.extend_from_slice(quoted);
    i
}

/// Checks that every offset/length in `out` stays inside a frame of `len`.
pub fn for_each_offset_in_bounds(out: &Decoded, len: usize) {
    assert!(out.payload_offset + out.payload_len <= len || out.payload_len == 0);
    if let Some(ip) = out.ip {
        assert!(ip.header_offset <= len);
        assert!(ip.l4_offset + ip.l4_len <= len, "{ip:?} len {len}");
        if let Some(f) = ip.frag {
            assert!(f.data_offset + f.data_len <= len);
            assert!(ip.header_offset + f.unfragmentable_len <= len);
            assert!(f.prev_nh_offset < len);
        }
    }
    assert!(usize::from(out.vlan_count) <= out.vlan.len());
}

/// xorshift64 for property-style tests (no extra dependencies).
pub struct XorShift(pub u64);

impl XorShift {
    pub fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.0 = x;
        x
    }
}
