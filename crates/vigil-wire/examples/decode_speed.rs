//! Rough decode cost per packet for a few common frame shapes.
//!
//! `cargo run --release -p vigil-wire --example decode_speed`
//! Prints nanoseconds per decode; a measurement aid, not a test (this
//! machine is shared and noisy: compare runs, not absolute numbers).

use std::hint::black_box;
use std::time::Instant;
use vigil_wire::{Decoded, LinkType, decode_packet};

fn ipv4(proto: u8, payload: &[u8]) -> Vec<u8> {
    let len = (20 + payload.len()) as u16;
    let mut p = vec![
        0x45,
        0,
        (len >> 8) as u8,
        len as u8,
        0,
        1,
        0x40,
        0,
        64,
        proto,
        0,
        0,
    ];
    p.extend_from_slice(&[10, 0, 0, 1, 10, 0, 0, 2]);
    p.extend_from_slice(payload);
    p
}

fn eth(ethertype: u16, payload: &[u8]) -> Vec<u8> {
    let mut f = vec![0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11];
    f.extend_from_slice(&ethertype.to_be_bytes());
    f.extend_from_slice(payload);
    f
}

fn main() {
    let mut tcp = vec![
        0x9c, 0x40, 0x01, 0xf6, 0, 0, 0, 1, 0, 0, 0, 0, 0x80, 0x18, 0xff, 0xff,
    ];
    tcp.extend_from_slice(&[0, 0, 0, 0, 1, 1, 8, 10, 0, 0, 0, 1, 0, 0, 0, 2]);
    tcp.extend_from_slice(&[0u8; 100]);
    let udp = [
        0x13, 0x88, 0x00, 0x35, 0, 20, 0, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12,
    ];
    let inner = eth(0x0800, &ipv4(6, &tcp));
    let mut vx = vec![0x9c, 0x40, 0x12, 0xb5];
    vx.extend_from_slice(&((16 + inner.len()) as u16).to_be_bytes());
    vx.extend_from_slice(&[0, 0, 0x08, 0, 0, 0, 0, 0, 1, 0]);
    vx.extend_from_slice(&inner);
    let cases = [
        ("eth/ipv4/tcp+ts", eth(0x0800, &ipv4(6, &tcp))),
        ("eth/ipv4/udp", eth(0x0800, &ipv4(17, &udp))),
        (
            "eth/ipv4/udp/vxlan/eth/ipv4/tcp",
            eth(0x0800, &ipv4(17, &vx)),
        ),
    ];
    let mut out = Decoded::default();
    for (name, frame) in &cases {
        let n = 2_000_000u32;
        let start = Instant::now();
        for _ in 0..n {
            decode_packet(LinkType::Ethernet, black_box(frame), &mut out);
            black_box(&out);
        }
        let ns = start.elapsed().as_nanos() as f64 / f64::from(n);
        println!(
            "{name:36} {ns:6.1} ns/packet (events: {})",
            out.events.len()
        );
    }
}
