//! Exact-byte and consistency tests for the builders. Checksums are checked
//! against values computed outside this crate and against a deliberately
//! naive re-implementation below (not the crate's `checksum` module).

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use vigil_testkit::tcp_flags::{ACK, FIN, PSH, RST, SYN};
use vigil_testkit::{
    BROADCAST_MAC, Close, Direction, Endpoint, ExtHeader, Packet, TcpConversation, Timestamp,
    fragment_ipv4, fragment_ipv6, quote_ip, udp_exchange,
};

const A: [u8; 6] = [2, 0, 0, 0, 0, 1];
const B: [u8; 6] = [2, 0, 0, 0, 0, 2];
const SRC: [u8; 4] = [192, 0, 2, 1];
const DST: [u8; 4] = [192, 0, 2, 2];

/// Naive RFC 1071 checksum: sum of big-endian 16-bit words, odd byte padded.
fn naive_sum(data: &[u8]) -> u32 {
    let mut sum: u32 = 0;
    let mut i = 0;
    while i < data.len() {
        let hi = u32::from(data[i]) << 8;
        let lo = data.get(i + 1).map_or(0, |&b| u32::from(b));
        sum += hi | lo;
        i += 2;
    }
    sum
}

fn fold(mut sum: u32) -> u16 {
    while sum > 0xffff {
        sum = (sum & 0xffff) + (sum >> 16);
    }
    sum as u16
}

/// True when the data (checksum field included) verifies.
fn verifies(data: &[u8]) -> bool {
    fold(naive_sum(data)) == 0xffff
}

/// True when a v4 transport segment (checksum included) verifies.
fn l4_verifies_v4(src: [u8; 4], dst: [u8; 4], proto: u8, seg: &[u8]) -> bool {
    let mut pseudo = Vec::new();
    pseudo.extend_from_slice(&src);
    pseudo.extend_from_slice(&dst);
    pseudo.extend_from_slice(&[0, proto]);
    pseudo.extend_from_slice(&(seg.len() as u16).to_be_bytes());
    fold(naive_sum(&pseudo) + naive_sum(seg)) == 0xffff
}

fn l4_verifies_v6(src: &[u8], dst: &[u8], nh: u8, seg: &[u8]) -> bool {
    let mut pseudo = Vec::new();
    pseudo.extend_from_slice(src);
    pseudo.extend_from_slice(dst);
    pseudo.extend_from_slice(&(seg.len() as u32).to_be_bytes());
    pseudo.extend_from_slice(&[0, 0, 0, nh]);
    fold(naive_sum(&pseudo) + naive_sum(seg)) == 0xffff
}

#[test]
fn udp_ipv4_exact_bytes() {
    let f = Packet::ether(A, B)
        .ipv4(SRC, DST)
        .id(0x1234)
        .dont_fragment(true)
        .udp(1234, 53)
        .payload(b"hello")
        .build();
    #[rustfmt::skip]
    let expected: Vec<u8> = vec![
        2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1, 0x08, 0x00,
        0x45, 0x00, 0x00, 0x21, 0x12, 0x34, 0x40, 0x00, 64, 17, 0xa4, 0x94,
        192, 0, 2, 1, 192, 0, 2, 2,
        0x04, 0xd2, 0x00, 0x35, 0x00, 0x0d, 0x32, 0xf7,
        b'h', b'e', b'l', b'l', b'o',
    ];
    assert_eq!(f, expected);
    assert!(verifies(&f[14..34]));
    assert!(l4_verifies_v4(SRC, DST, 17, &f[34..]));
}

#[test]
fn tcp_syn_with_options_exact_bytes() {
    let f = Packet::ether(A, B)
        .ipv4(SRC, DST)
        .id(1)
        .dont_fragment(true)
        .tcp(40000, 80)
        .seq(1)
        .flags(SYN)
        .mss(1460)
        .sack_permitted()
        .timestamps(1, 0)
        .nop()
        .wscale(7)
        .build();
    #[rustfmt::skip]
    let expected: Vec<u8> = vec![
        2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1, 0x08, 0x00,
        0x45, 0x00, 0x00, 60, 0x00, 0x01, 0x40, 0x00, 64, 6, 0xb6, 0xb7,
        192, 0, 2, 1, 192, 0, 2, 2,
        0x9c, 0x40, 0x00, 0x50, 0, 0, 0, 1, 0, 0, 0, 0, 0xa0, 0x02, 0xff, 0xff, 0x27, 0x6a, 0, 0,
        2, 4, 0x05, 0xb4, 4, 2, 8, 10, 0, 0, 0, 1, 0, 0, 0, 0, 1, 3, 3, 7,
    ];
    assert_eq!(f, expected);
    assert!(l4_verifies_v4(SRC, DST, 6, &f[34..]));
}

#[test]
fn tcp_options_are_padded_and_payload_checksummed() {
    let f = Packet::ipv4(SRC, DST)
        .tcp(1, 2)
        .flags(PSH | ACK)
        .wscale(2) // 3 bytes -> padded to 4
        .payload(b"odd")
        .build();
    assert_eq!(f[20 + 12] >> 4, 6); // data offset 24 bytes
    assert_eq!(&f[40..44], &[3, 3, 2, 0]);
    assert_eq!(&f[44..], b"odd");
    assert!(verifies(&f[..20]));
    assert!(l4_verifies_v4(SRC, DST, 6, &f[20..]));
}

#[test]
fn vlan_and_qinq_tags() {
    let f = Packet::ether(A, B)
        .vlan(100)
        .ipv4(SRC, DST)
        .udp(1, 2)
        .build();
    assert_eq!(&f[12..18], &[0x81, 0x00, 0x00, 100, 0x08, 0x00]);
    let f = Packet::ether(A, B)
        .qinq(300, 10)
        .ipv4(SRC, DST)
        .udp(1, 2)
        .build();
    assert_eq!(
        &f[12..22],
        &[0x88, 0xa8, 0x01, 0x2c, 0x81, 0x00, 0x00, 10, 0x08, 0x00]
    );
    assert!(l4_verifies_v4(SRC, DST, 17, &f[22 + 20..]));
}

#[test]
fn arp_exact_bytes_and_padding() {
    let f = Packet::ether(A, BROADCAST_MAC)
        .pad_to(60)
        .arp_request(A, SRC, DST)
        .build();
    #[rustfmt::skip]
    let mut expected: Vec<u8> = vec![
        0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 2, 0, 0, 0, 0, 1, 0x08, 0x06,
        0, 1, 0x08, 0x00, 6, 4, 0, 1, 2, 0, 0, 0, 0, 1, 192, 0, 2, 1,
        0, 0, 0, 0, 0, 0, 192, 0, 2, 2,
    ];
    expected.resize(60, 0);
    assert_eq!(f, expected);
    let r = Packet::ether(B, A).arp_reply(B, DST, A, SRC).build();
    assert_eq!(r.len(), 42);
    assert_eq!(&r[20..22], &[0, 2]);
    assert_eq!(&r[22..28], &B);
    assert_eq!(&r[32..38], &A);
}

#[test]
fn icmp_echo_and_error() {
    let f = Packet::ipv4(SRC, DST)
        .icmp_echo_request(0x0102, 7)
        .payload(b"ping")
        .build();
    assert_eq!(&f[20..22], &[8, 0]);
    assert_eq!(&f[24..28], &[1, 2, 0, 7]);
    assert!(verifies(&f[20..]));
    assert_eq!(f[9], 1);

    let offending = Packet::ipv4(DST, SRC)
        .udp(5000, 9)
        .payload(&[0; 100])
        .build();
    let quoted = quote_ip(&offending);
    assert_eq!(quoted.len(), 28);
    let e = Packet::ipv4(SRC, DST)
        .icmp_dest_unreachable(3, &quoted)
        .build();
    assert_eq!(&e[20..28], &[3, 3, e[22], e[23], 0, 0, 0, 0]);
    assert_eq!(&e[28..], &quoted[..]);
    assert!(verifies(&e[20..]));
    let t = Packet::ipv4(SRC, DST)
        .ttl(1)
        .icmp_time_exceeded(0, &quoted)
        .build();
    assert_eq!(t[20], 11);
    assert!(verifies(&t[20..]));
}

#[test]
fn ipv4_header_fields_and_options() {
    let f = Packet::ipv4(SRC, DST)
        .tos(0xb8)
        .id(0xbeef)
        .ttl(3)
        .more_fragments(true)
        .frag_offset(100)
        .options(&[0x94, 0x04, 0, 0, 0x01]) // router alert + NOP, padded
        .raw(253, b"xy")
        .build();
    assert_eq!(f[0], 0x47);
    assert_eq!(f[1], 0xb8);
    assert_eq!(u16::from_be_bytes([f[2], f[3]]), 30);
    assert_eq!(u16::from_be_bytes([f[6], f[7]]), 0x2000 | 100);
    assert_eq!((f[8], f[9]), (3, 253));
    assert_eq!(&f[20..28], &[0x94, 4, 0, 0, 1, 0, 0, 0]);
    assert!(verifies(&f[..28]));
    let bad = Packet::ipv4(SRC, DST)
        .header_checksum(0xdead)
        .udp(1, 2)
        .build();
    assert_eq!(&bad[10..12], &[0xde, 0xad]);
    assert!(!verifies(&bad[..20]));
}

fn v6(s: &str) -> Ipv6Addr {
    s.parse().unwrap()
}

#[test]
fn ipv6_udp_tcp_icmpv6_checksums() {
    let (s, d) = (v6("2001:db8::1"), v6("2001:db8::2"));
    let f = Packet::ether(A, B)
        .ipv6(s, d)
        .hop_limit(7)
        .udp(546, 547)
        .payload(b"abc")
        .build();
    assert_eq!(&f[12..14], &[0x86, 0xdd]);
    let ip = &f[14..];
    assert_eq!(ip[0] >> 4, 6);
    assert_eq!(u16::from_be_bytes([ip[4], ip[5]]), 11);
    assert_eq!((ip[6], ip[7]), (17, 7));
    assert!(l4_verifies_v6(&s.octets(), &d.octets(), 17, &ip[40..]));

    let t = Packet::ipv6(s, d).tcp(1, 2).flags(SYN).mss(1440).build();
    assert!(l4_verifies_v6(&s.octets(), &d.octets(), 6, &t[40..]));

    let e = Packet::ipv6(s, d)
        .icmpv6_echo_request(9, 1)
        .payload(b"hi")
        .build();
    assert_eq!((e[6], e[40]), (58, 128));
    assert!(l4_verifies_v6(&s.octets(), &d.octets(), 58, &e[40..]));
    let r = Packet::ipv6(d, s)
        .icmpv6_echo_reply(9, 1)
        .payload(b"hi")
        .build();
    assert_eq!(r[40], 129);
    assert!(l4_verifies_v6(&d.octets(), &s.octets(), 58, &r[40..]));
}

#[test]
fn ipv6_extension_header_chain() {
    let (s, d) = (v6("fe80::1"), v6("ff02::1"));
    let f = Packet::ipv6(s, d)
        .hop_by_hop(&[5, 2, 0, 0]) // router alert; 2 + 4 bytes, PadN fills to 8
        .ext(ExtHeader::Routing {
            routing_type: 0,
            segments_left: 0,
            data: vec![],
        })
        .fragment_header(0, false, 0x01020304)
        .dest_options(&[])
        .udp(1, 2)
        .build();
    // IPv6 next header -> HBH(0)
    assert_eq!(f[6], 0);
    // HBH: next = routing(43), len 0 (8 bytes), router alert, PadN(0)
    assert_eq!(&f[40..48], &[43, 0, 5, 2, 0, 0, 1, 0]);
    // Routing: next = fragment(44), 8 bytes
    assert_eq!(&f[48..56], &[44, 0, 0, 0, 0, 0, 0, 0]);
    // Fragment: next = dstopts(60)
    assert_eq!(&f[56..64], &[60, 0, 0, 0, 1, 2, 3, 4]);
    // Dest opts: next = UDP, PadN of 4
    assert_eq!(&f[64..72], &[17, 0, 1, 4, 0, 0, 0, 0]);
    assert_eq!(u16::from_be_bytes([f[4], f[5]]), 32 + 8);
    assert!(l4_verifies_v6(&s.octets(), &d.octets(), 17, &f[72..]));
}

#[test]
fn ipv4_fragmentation_roundtrip() {
    let payload: Vec<u8> = (0..1000u32).map(|i| (i * 7) as u8).collect();
    let whole = Packet::ipv4(SRC, DST)
        .id(0x4242)
        .dont_fragment(true)
        .options(&[0x82, 4, 0xaa, 0xbb, 0x07, 3, 4]) // copied opt + record-route-ish (not copied)
        .udp(9999, 514)
        .payload(&payload)
        .build_ip();
    let frags = fragment_ipv4(&whole, 300);
    assert_eq!(frags.len(), 4); // 1008 bytes of UDP: 296*3 + 120
    let mut reassembled = Vec::new();
    for (i, f) in frags.iter().enumerate() {
        let hlen = usize::from(f[0] & 0x0f) * 4;
        assert!(verifies(&f[..hlen]), "fragment {i} header checksum");
        assert_eq!(u16::from_be_bytes([f[2], f[3]]) as usize, f.len());
        assert_eq!(&f[4..6], &[0x42, 0x42]);
        let fo = u16::from_be_bytes([f[6], f[7]]);
        assert_eq!(fo & 0x4000, 0, "DF cleared");
        assert_eq!(fo & 0x2000 != 0, i + 1 < frags.len(), "MF");
        assert_eq!(usize::from(fo & 0x1fff) * 8, reassembled.len(), "offset");
        if i == 0 {
            assert_eq!(hlen, 28);
        } else {
            // only the copied option survives
            assert_eq!(hlen, 24);
            assert_eq!(&f[20..24], &[0x82, 4, 0xaa, 0xbb]);
        }
        if i + 1 < frags.len() {
            assert_eq!((f.len() - hlen) % 8, 0);
        }
        reassembled.extend_from_slice(&f[hlen..]);
    }
    let whole_hlen = usize::from(whole[0] & 0x0f) * 4;
    assert_eq!(reassembled, &whole[whole_hlen..]);
    assert!(l4_verifies_v4(SRC, DST, 17, &reassembled));
}

#[test]
fn build_fragments_keeps_link_layer() {
    let frames = Packet::ether(A, B)
        .vlan(10)
        .ipv4(SRC, DST)
        .id(7)
        .udp(1, 2)
        .payload(&[0x55; 100])
        .build_fragments(48);
    assert_eq!(frames.len(), 3); // 108 bytes -> 48 + 48 + 12
    for f in &frames {
        assert_eq!(&f[..12], &[2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1]);
        assert_eq!(&f[12..18], &[0x81, 0, 0, 10, 8, 0]);
        assert!(verifies(&f[18..38]));
    }
    // small enough: one unfragmented packet
    let one = Packet::ipv4(SRC, DST)
        .udp(1, 2)
        .payload(b"x")
        .build_fragments(512);
    assert_eq!(one.len(), 1);
    assert_eq!(u16::from_be_bytes([one[0][6], one[0][7]]), 0);
}

#[test]
fn ipv6_fragmentation_roundtrip() {
    let (s, d) = (v6("2001:db8::a"), v6("2001:db8::b"));
    let payload = vec![0xabu8; 300];
    let whole = Packet::ipv6(s, d)
        .hop_by_hop(&[])
        .udp(7, 8)
        .payload(&payload)
        .build_ip();
    let frags = fragment_ipv6(&whole, 100, 0xcafe);
    assert_eq!(frags.len(), 4); // 308 bytes -> 96*3 + 20
    let mut re = Vec::new();
    for (i, f) in frags.iter().enumerate() {
        assert_eq!(f[6], 0); // HBH stays first
        assert_eq!(f[40], 44); // HBH next -> fragment
        let fh = &f[48..56];
        assert_eq!(fh[0], 17);
        let off = u16::from_be_bytes([fh[2], fh[3]]);
        assert_eq!(usize::from(off >> 3) * 8, re.len());
        assert_eq!(off & 1 == 1, i + 1 < frags.len());
        assert_eq!(&fh[4..], &0xcafeu32.to_be_bytes());
        assert_eq!(usize::from(u16::from_be_bytes([f[4], f[5]])) + 40, f.len());
        re.extend_from_slice(&f[56..]);
    }
    assert_eq!(re, &whole[48..]);
    assert!(l4_verifies_v6(&s.octets(), &d.octets(), 17, &re));
}

/// Parsed view of a TCP segment inside an Ethernet(+VLAN)/IP frame.
struct Seg {
    seq: u32,
    ack: u32,
    flags: u8,
    len: u32,
    sport: u16,
}

fn parse_tcp(frame: &[u8]) -> Seg {
    let mut off = 12;
    while u16::from_be_bytes([frame[off], frame[off + 1]]) == 0x8100 {
        off += 4;
    }
    let et = u16::from_be_bytes([frame[off], frame[off + 1]]);
    off += 2;
    let (tcp, total_after) = match et {
        0x0800 => {
            let hlen = usize::from(frame[off] & 0x0f) * 4;
            assert!(verifies(&frame[off..off + hlen]));
            let mut s = [0u8; 4];
            let mut d = [0u8; 4];
            s.copy_from_slice(&frame[off + 12..off + 16]);
            d.copy_from_slice(&frame[off + 16..off + 20]);
            let tcp = &frame[off + hlen..];
            assert!(l4_verifies_v4(s, d, 6, tcp), "TCP checksum");
            (tcp, tcp.len())
        }
        0x86dd => {
            let tcp = &frame[off + 40..];
            assert!(l4_verifies_v6(
                &frame[off + 8..off + 24],
                &frame[off + 24..off + 40],
                6,
                tcp
            ));
            (tcp, tcp.len())
        }
        other => panic!("unexpected ethertype {other:#x}"),
    };
    let doff = usize::from(tcp[12] >> 4) * 4;
    Seg {
        sport: u16::from_be_bytes([tcp[0], tcp[1]]),
        seq: u32::from_be_bytes([tcp[4], tcp[5], tcp[6], tcp[7]]),
        ack: u32::from_be_bytes([tcp[8], tcp[9], tcp[10], tcp[11]]),
        flags: tcp[13],
        len: (total_after - doff) as u32,
    }
}

/// Checks that every segment's seq continues its direction's stream and
/// every ACK acknowledges exactly what the peer has sent so far.
fn check_consistent(frames: &[vigil_testkit::Frame], client_port: u16) -> (u32, u32) {
    let mut next: [Option<u32>; 2] = [None, None];
    let mut last_ts = Timestamp::default();
    for f in frames {
        assert!(f.ts >= last_ts, "timestamps go forward");
        last_ts = f.ts;
        let s = parse_tcp(&f.data);
        let i = usize::from(s.sport != client_port);
        assert_eq!(i == 0, f.dir == Direction::ToServer);
        if let Some(n) = next[i] {
            assert_eq!(s.seq, n, "seq continues");
        }
        if s.flags & ACK != 0 {
            // (Mid-stream starts have not seen the peer yet.)
            if let Some(n) = next[1 - i] {
                assert_eq!(s.ack, n, "ack = peer's next seq");
            }
        }
        let consumed = s.len + u32::from(s.flags & (SYN | FIN) != 0);
        next[i] = Some(s.seq.wrapping_add(consumed));
    }
    (next[0].unwrap(), next[1].unwrap())
}

#[test]
fn tcp_conversation_seq_ack_consistent() {
    let c = Endpoint::new(A, Ipv4Addr::from(SRC), 50000);
    let s = Endpoint::new(B, Ipv4Addr::from(DST), 502);
    let big = vec![0x11u8; 3000];
    let frames = TcpConversation::new(c, s)
        .start(Timestamp::new(1000, 0))
        .isn(0xffff_fff0, 100) // wraps
        .mss(1000)
        .client(b"req1")
        .server(&big)
        .client(b"req2")
        .client(b"req3")
        .pause(5_000_000)
        .server(b"done")
        .close(Close::Fin(Direction::ToServer))
        .frames();
    let (c_next, s_next) = check_consistent(&frames, 50000);
    assert_eq!(c_next, 0xffff_fff0u32.wrapping_add(1 + 12 + 1));
    assert_eq!(s_next, 100 + 1 + 3000 + 4 + 1);
    let flags: Vec<u8> = frames.iter().map(|f| parse_tcp(&f.data).flags).collect();
    assert_eq!(&flags[..3], &[SYN, SYN | ACK, ACK]);
    // big response split into 3 segments, PSH only on the last
    assert_eq!(&flags[4..7], &[ACK, ACK, PSH | ACK]);
    assert_eq!(&flags[flags.len() - 3..], &[FIN | ACK, FIN | ACK, ACK]);
    // SYN, SYN/ACK, ACK, req1, 3x big, req2, ACK, req3, done, FIN, FIN, ACK
    assert_eq!(frames.len(), 14);
    // the pause shows up in the timestamps
    let gap = frames
        .windows(2)
        .map(|w| w[1].ts.secs - w[0].ts.secs)
        .max()
        .unwrap();
    assert_eq!(gap, 5);
}

#[test]
fn tcp_conversation_rst_vlan_ipv6() {
    let c = Endpoint::new(A, IpAddr::V6(v6("2001:db8::1")), 40000);
    let s = Endpoint::new(B, IpAddr::V6(v6("2001:db8::2")), 443);
    let frames = TcpConversation::new(c, s)
        .vlan(10)
        .client(b"\x16\x03\x01hello")
        .close(Close::Rst(Direction::ToClient))
        .frames();
    assert_eq!(frames.len(), 5);
    check_consistent(&frames, 40000);
    let last = parse_tcp(&frames[4].data);
    assert_eq!(last.flags, RST | ACK);
    assert_eq!(frames[4].dir, Direction::ToClient);
    assert_eq!(&frames[0].data[12..16], &[0x81, 0, 0, 10]);
}

#[test]
fn tcp_conversation_without_handshake() {
    let c = Endpoint::new(A, Ipv4Addr::from(SRC), 1);
    let s = Endpoint::new(B, Ipv4Addr::from(DST), 2);
    let frames = TcpConversation::new(c, s)
        .no_handshake()
        .isn(10, 20)
        .client(b"ab")
        .server(b"cde")
        .close(Close::None)
        .frames();
    assert_eq!(frames.len(), 3);
    let first = parse_tcp(&frames[0].data);
    assert_eq!((first.seq, first.ack), (10, 20));
    check_consistent(&frames, 1);
}

#[test]
fn udp_exchange_frames() {
    let c = Endpoint::new(A, Ipv4Addr::from(SRC), 5353);
    let s = Endpoint::new(B, Ipv4Addr::from(DST), 53);
    let frames = udp_exchange(
        c,
        s,
        Timestamp::new(5, 999_500),
        &[
            (Direction::ToServer, b"q"),
            (Direction::ToClient, b"answer"),
        ],
    );
    assert_eq!(frames.len(), 2);
    assert_eq!(frames[1].ts, Timestamp::new(6, 500));
    let r = &frames[1].data;
    assert_eq!(&r[26..30], &DST);
    assert_eq!(&r[34..38], &[0, 53, 0x14, 0xe9]);
    assert!(l4_verifies_v4(DST, SRC, 17, &r[34..]));
    assert_eq!(&r[42..], b"answer");
}
