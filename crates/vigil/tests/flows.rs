//! End-to-end: captures built in code go through the `vigil` binary, and the
//! `flow` and `stats` records in eve.json are checked field by field.

mod common;

use base64::Engine as _;
use common::{Run, TempDir, run_bytes, s, u};
use sha1::{Digest, Sha1};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use vigil_testkit::{
    Close, Direction, Endpoint, Frame, Packet, PcapFile, TcpConversation, Timestamp, UdpExchange,
};

/// 2026-01-15T08:00:00Z.
const T0: u32 = 1_768_464_000;

const CMAC: [u8; 6] = [2, 0, 0, 0, 0, 1];
const SMAC: [u8; 6] = [2, 0, 0, 0, 0, 2];

fn pcap(frames: &[Frame]) -> Vec<u8> {
    let mut p = PcapFile::new();
    p.extend(frames);
    p.to_bytes()
}

fn bytes_in(frames: &[Frame], dir: Direction) -> (u64, u64) {
    let f: Vec<&Frame> = frames.iter().filter(|f| f.dir == dir).collect();
    (
        f.len() as u64,
        f.iter().map(|f| f.data.len() as u64).sum::<u64>(),
    )
}

fn ip_bytes(ip: IpAddr) -> Vec<u8> {
    match ip {
        IpAddr::V4(a) => a.octets().to_vec(),
        IpAddr::V6(a) => a.octets().to_vec(),
    }
}

/// Community ID v1, computed from the spec
/// (<https://github.com/corelight/community-id-spec>), independently of
/// vigil: SHA-1 over seed (u16 BE), source and destination address,
/// protocol, one zero byte, source and destination port (u16 BE), with the
/// endpoints ordered so the smaller (address, port) comes first unless the
/// flow is one-way; base64; prefixed with "1:".
fn community_id(seed: u16, src: IpAddr, sport: u16, dst: IpAddr, dport: u16, proto: u8) -> String {
    community_id_full(seed, src, sport, dst, dport, proto, false)
}

fn community_id_full(
    seed: u16,
    src: IpAddr,
    sport: u16,
    dst: IpAddr,
    dport: u16,
    proto: u8,
    one_way: bool,
) -> String {
    let (mut a, mut pa, mut b, mut pb) = (ip_bytes(src), sport, ip_bytes(dst), dport);
    if !one_way && (a > b || (a == b && pa > pb)) {
        std::mem::swap(&mut a, &mut b);
        std::mem::swap(&mut pa, &mut pb);
    }
    let mut h = Sha1::new();
    h.update(seed.to_be_bytes());
    h.update(&a);
    h.update(&b);
    h.update([proto, 0]);
    h.update(pa.to_be_bytes());
    h.update(pb.to_be_bytes());
    let digest = h.finalize();
    format!(
        "1:{}",
        base64::engine::general_purpose::STANDARD.encode(digest)
    )
}

/// Checks the spec's own published example, so the reference implementation
/// above is itself right.
#[test]
fn community_id_reference_matches_spec_example() {
    // From the spec's baseline data: TCP 128.232.110.120:34855 ->
    // 66.35.250.204:80, seed 0.
    assert_eq!(
        community_id(
            0,
            Ipv4Addr::new(128, 232, 110, 120).into(),
            34855,
            Ipv4Addr::new(66, 35, 250, 204).into(),
            80,
            6
        ),
        "1:LQU9qZlK+B5F3KDmev6m5PMibrg="
    );
}

fn is_eve_timestamp(t: &str) -> bool {
    let b = t.as_bytes();
    b.len() == 31
        && b.iter().enumerate().all(|(i, c)| match i {
            4 | 7 => *c == b'-',
            10 => *c == b'T',
            13 | 16 => *c == b':',
            19 => *c == b'.',
            26 => *c == b'+',
            _ => c.is_ascii_digit(),
        })
        && t.ends_with("+0000")
}

/// Checks the timestamp-like fields and the flow_id of every record.
fn check_common(run: &Run) {
    for r in &run.eve {
        assert!(is_eve_timestamp(s(r, "/timestamp")), "{r}");
        if r["event_type"] == "flow" {
            assert!(is_eve_timestamp(s(r, "/flow/start")), "{r}");
            assert!(is_eve_timestamp(s(r, "/flow/end")), "{r}");
            let id = u(r, "/flow_id");
            assert!(id > 0 && id < 1 << 51, "flow_id {id} out of range");
        }
    }
    // Different flows, different ids.
    let mut ids: Vec<u64> = run.flows().iter().map(|f| u(f, "/flow_id")).collect();
    let n = ids.len();
    ids.sort_unstable();
    ids.dedup();
    assert_eq!(ids.len(), n, "two flows share a flow_id");
}

fn tcp_conversation() -> Vec<Frame> {
    let c = Endpoint::new(CMAC, [10, 0, 0, 1], 50000);
    let srv = Endpoint::new(SMAC, [10, 0, 0, 2], 80);
    TcpConversation::new(c, srv)
        .start(Timestamp::new(T0, 250_000))
        .client(b"GET / HTTP/1.1\r\nHost: plc\r\n\r\n")
        .server(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n")
        .close(Close::Fin(Direction::ToServer))
        .frames()
}

#[test]
fn tcp_conversation_one_closed_flow() {
    let frames = tcp_conversation();
    assert_eq!(frames.len(), 8);
    let (pts, bts) = bytes_in(&frames, Direction::ToServer);
    let (ptc, btc) = bytes_in(&frames, Direction::ToClient);
    assert_eq!((pts, ptc), (5, 3));

    let dir = TempDir::new("tcp");
    let run = run_bytes(&dir, &pcap(&frames), &[]);
    run.assert_ok();
    check_common(&run);
    let flows = run.flows();
    assert_eq!(flows.len(), 1, "{}", run.eve_text);
    let f = flows[0];

    // Exactly Suricata's top-level layout for a TCP flow record.
    let mut keys: Vec<&str> = f.as_object().unwrap().keys().map(String::as_str).collect();
    keys.sort_unstable();
    assert_eq!(
        keys,
        [
            "app_proto",
            "community_id",
            "dest_ip",
            "dest_port",
            "event_type",
            "flow",
            "flow_id",
            "proto",
            "src_ip",
            "src_port",
            "tcp",
            "timestamp"
        ]
    );
    assert_eq!(s(f, "/src_ip"), "10.0.0.1");
    assert_eq!(u(f, "/src_port"), 50000);
    assert_eq!(s(f, "/dest_ip"), "10.0.0.2");
    assert_eq!(u(f, "/dest_port"), 80);
    assert_eq!(s(f, "/proto"), "TCP");
    // The GET / 200 exchange is recognised as HTTP.
    assert_eq!(s(f, "/app_proto"), "http");
    // Ended by the end of input: stamped with the last packet's time.
    assert_eq!(s(f, "/timestamp"), "2026-01-15T08:00:00.257000+0000");
    assert_eq!(u(f, "/flow/pkts_toserver"), pts);
    assert_eq!(u(f, "/flow/pkts_toclient"), ptc);
    assert_eq!(u(f, "/flow/bytes_toserver"), bts);
    assert_eq!(u(f, "/flow/bytes_toclient"), btc);
    assert_eq!(s(f, "/flow/start"), "2026-01-15T08:00:00.250000+0000");
    assert_eq!(s(f, "/flow/end"), "2026-01-15T08:00:00.257000+0000");
    assert_eq!(u(f, "/flow/age"), 0);
    assert_eq!(s(f, "/flow/state"), "closed");
    assert_eq!(s(f, "/flow/reason"), "shutdown");
    assert_eq!(f["flow"]["alerted"], false);
    assert_eq!(s(f, "/tcp/tcp_flags"), "1b");
    assert_eq!(s(f, "/tcp/tcp_flags_ts"), "1b");
    assert_eq!(s(f, "/tcp/tcp_flags_tc"), "1b");
    for flag in ["syn", "fin", "psh", "ack"] {
        assert_eq!(f["tcp"][flag], true, "tcp.{flag}");
    }
    for flag in ["rst", "urg", "ecn", "cwr"] {
        assert!(f["tcp"].get(flag).is_none(), "tcp.{flag} should be absent");
    }
    assert_eq!(s(f, "/tcp/state"), "closed");
    assert_eq!(
        s(f, "/community_id"),
        community_id(
            0,
            Ipv4Addr::new(10, 0, 0, 1).into(),
            50000,
            Ipv4Addr::new(10, 0, 0, 2).into(),
            80,
            6
        )
    );

    // Same input, same flow_id.
    let dir2 = TempDir::new("tcp-again");
    let again = run_bytes(&dir2, &pcap(&frames), &[]);
    again.assert_ok();
    assert_eq!(u(again.flows()[0], "/flow_id"), u(f, "/flow_id"));
    // Stats agree.
    let st = run.stats();
    assert_eq!(u(st, "/decoder/pkts"), 8);
    assert_eq!(u(st, "/flow/total"), 1);
    assert_eq!(u(st, "/flow/tcp"), 1);
    assert_eq!(u(st, "/flow/end/state/closed"), 1);
}

#[test]
fn udp_exchange_one_established_flow() {
    let c = Endpoint::new(CMAC, [192, 168, 5, 20], 40123);
    let srv = Endpoint::new(SMAC, [192, 168, 5, 53], 53);
    let frames = UdpExchange::new(c, srv)
        .start(Timestamp::new(T0, 0))
        .send(Direction::ToServer, b"query-bytes")
        .send(Direction::ToClient, b"a somewhat longer answer")
        .send(Direction::ToServer, b"again")
        .frames();
    let (pts, bts) = bytes_in(&frames, Direction::ToServer);
    let (ptc, btc) = bytes_in(&frames, Direction::ToClient);

    let dir = TempDir::new("udp");
    let run = run_bytes(&dir, &pcap(&frames), &[]);
    run.assert_ok();
    check_common(&run);
    let flows = run.flows();
    assert_eq!(flows.len(), 1, "{}", run.eve_text);
    let f = flows[0];
    assert_eq!(s(f, "/src_ip"), "192.168.5.20");
    assert_eq!(u(f, "/src_port"), 40123);
    assert_eq!(s(f, "/dest_ip"), "192.168.5.53");
    assert_eq!(u(f, "/dest_port"), 53);
    assert_eq!(s(f, "/proto"), "UDP");
    assert_eq!((pts, ptc), (2, 1));
    assert_eq!(u(f, "/flow/pkts_toserver"), pts);
    assert_eq!(u(f, "/flow/pkts_toclient"), ptc);
    assert_eq!(u(f, "/flow/bytes_toserver"), bts);
    assert_eq!(u(f, "/flow/bytes_toclient"), btc);
    assert_eq!(s(f, "/flow/state"), "established");
    assert_eq!(s(f, "/flow/reason"), "shutdown");
    assert_eq!(s(f, "/flow/start"), "2026-01-15T08:00:00.000000+0000");
    assert_eq!(s(f, "/flow/end"), "2026-01-15T08:00:00.002000+0000");
    assert!(f.get("tcp").is_none());
    assert!(f.get("vlan").is_none());
    assert_eq!(
        s(f, "/community_id"),
        community_id(
            0,
            Ipv4Addr::new(192, 168, 5, 20).into(),
            40123,
            Ipv4Addr::new(192, 168, 5, 53).into(),
            53,
            17
        )
    );
}

#[test]
fn icmp_echo_request_and_reply_share_one_flow() {
    let (a, b) = ([10, 1, 1, 1], [10, 1, 1, 2]);
    let req = Packet::ether(CMAC, SMAC)
        .ipv4(a, b)
        .icmp_echo_request(0x77, 1)
        .payload(b"ping payload")
        .build();
    let rep = Packet::ether(SMAC, CMAC)
        .ipv4(b, a)
        .icmp_echo_reply(0x77, 1)
        .payload(b"ping payload")
        .build();
    let mut p = PcapFile::new();
    p.add(T0, 0, &req).add(T0, 500, &rep);

    let dir = TempDir::new("icmp");
    let run = run_bytes(&dir, &p.to_bytes(), &[]);
    run.assert_ok();
    check_common(&run);
    let flows = run.flows();
    assert_eq!(flows.len(), 1, "{}", run.eve_text);
    let f = flows[0];
    assert_eq!(s(f, "/proto"), "ICMP");
    assert_eq!(s(f, "/src_ip"), "10.1.1.1");
    assert_eq!(s(f, "/dest_ip"), "10.1.1.2");
    assert!(f.get("src_port").is_none() && f.get("dest_port").is_none());
    assert_eq!(u(f, "/icmp_type"), 8);
    assert_eq!(u(f, "/icmp_code"), 0);
    assert_eq!(u(f, "/response_icmp_type"), 0);
    assert_eq!(u(f, "/response_icmp_code"), 0);
    assert_eq!(u(f, "/flow/pkts_toserver"), 1);
    assert_eq!(u(f, "/flow/pkts_toclient"), 1);
    assert_eq!(u(f, "/flow/bytes_toserver"), req.len() as u64);
    assert_eq!(u(f, "/flow/bytes_toclient"), rep.len() as u64);
    assert_eq!(s(f, "/flow/state"), "established");
    // ICMP in Community ID: "ports" are the type and its counterpart type.
    assert_eq!(
        s(f, "/community_id"),
        community_id(
            0,
            Ipv4Addr::from(a).into(),
            8,
            Ipv4Addr::from(b).into(),
            0,
            1
        )
    );
    assert_eq!(u(run.stats(), "/flow/icmpv4"), 1);
}

#[test]
fn fragmented_udp_datagram_is_one_packet_of_its_flow() {
    let (a, b) = ([172, 16, 0, 1], [172, 16, 0, 2]);
    let frags = Packet::ether(CMAC, SMAC)
        .ipv4(a, b)
        .id(0x4242)
        .udp(5000, 6000)
        .payload(&[0xab; 3000])
        .build_fragments(1000);
    assert_eq!(frags.len(), 4);
    let reply = Packet::ether(SMAC, CMAC)
        .ipv4(b, a)
        .udp(6000, 5000)
        .payload(b"ok")
        .build();
    let mut p = PcapFile::new();
    for (i, f) in frags.iter().enumerate() {
        p.add(T0, i as u32 * 100, f);
    }
    p.add(T0, 1000, &reply);
    let total_bytes: u64 = frags.iter().map(|f| f.len() as u64).sum::<u64>() + reply.len() as u64;

    let dir = TempDir::new("frag");
    let run = run_bytes(&dir, &p.to_bytes(), &[]);
    run.assert_ok();
    check_common(&run);
    let flows = run.flows();
    assert_eq!(flows.len(), 1, "{}", run.eve_text);
    let f = flows[0];
    assert_eq!(s(f, "/proto"), "UDP");
    assert_eq!(s(f, "/src_ip"), "172.16.0.1");
    assert_eq!(u(f, "/src_port"), 5000);
    assert_eq!(u(f, "/dest_port"), 6000);
    // The four fragments count as one (reassembled) packet.
    assert_eq!(u(f, "/flow/pkts_toserver"), 1);
    assert_eq!(u(f, "/flow/pkts_toclient"), 1);
    // The reassembled packet: first fragment's Ethernet header + IPv4
    // header + the whole UDP datagram.
    assert_eq!(u(f, "/flow/bytes_toserver"), 14 + 20 + 8 + 3000);
    assert_eq!(u(f, "/flow/bytes_toclient"), reply.len() as u64);
    assert_eq!(s(f, "/flow/start"), "2026-01-15T08:00:00.000300+0000");
    let st = run.stats();
    assert_eq!(u(st, "/decoder/pkts"), 5);
    assert_eq!(u(st, "/decoder/bytes"), total_bytes);
    assert_eq!(u(st, "/defrag/ipv4/fragments"), 4);
    assert_eq!(u(st, "/defrag/ipv4/reassembled"), 1);
    assert_eq!(u(st, "/flow/total"), 1);
    assert!(run.anomalies().is_empty(), "{}", run.eve_text);
}

#[test]
fn vlan_tags_are_part_of_the_flow() {
    let c = Endpoint::new(CMAC, [10, 10, 1, 10], 20000);
    let srv = Endpoint::new(SMAC, [10, 10, 1, 102], 20000);
    let mut frames = Vec::new();
    for (vid, start) in [(10u16, 0u32), (20, 100_000)] {
        frames.extend(
            UdpExchange::new(c, srv)
                .vlan(vid)
                .start(Timestamp::new(T0, start))
                .send(Direction::ToServer, b"dnp3-ish")
                .send(Direction::ToClient, b"reply")
                .frames(),
        );
    }
    let dir = TempDir::new("vlan");
    let run = run_bytes(&dir, &pcap(&frames), &[]);
    run.assert_ok();
    check_common(&run);
    let mut flows = run.flows();
    assert_eq!(flows.len(), 2, "{}", run.eve_text);
    flows.sort_by_key(|f| f["vlan"][0].as_u64());
    for (f, vid) in flows.iter().zip([10u64, 20]) {
        assert_eq!(f["vlan"], serde_json::json!([vid]), "{f}");
        assert_eq!(u(f, "/flow/pkts_toserver"), 1);
        assert_eq!(u(f, "/flow/pkts_toclient"), 1);
        // Tagged frames are 4 bytes longer than untagged ones.
        assert_eq!(u(f, "/flow/bytes_toserver"), 14 + 4 + 20 + 8 + 8);
        assert_eq!(u(f, "/flow/bytes_toclient"), 14 + 4 + 20 + 8 + 5);
        assert_eq!(s(f, "/src_ip"), "10.10.1.10");
    }
    assert_eq!(u(run.stats(), "/decoder/vlan"), 4);
}

#[test]
fn ipv6_tcp_flow_prints_full_addresses() {
    let a = Ipv6Addr::new(0x2001, 0xdb8, 0, 0, 0, 0, 0, 1);
    let b = Ipv6Addr::new(0x2001, 0xdb8, 0, 0, 0, 0xa, 0, 0x1f);
    let c = Endpoint::new(CMAC, a, 33000);
    let srv = Endpoint::new(SMAC, b, 502);
    let frames = TcpConversation::new(c, srv)
        .start(Timestamp::new(T0, 0))
        .client(&[0, 1, 0, 0, 0, 6, 1, 3, 0, 0, 0, 10])
        .server(&[0, 1, 0, 0, 0, 23, 1, 3, 20])
        .close(Close::Fin(Direction::ToClient))
        .frames();
    let (pts, bts) = bytes_in(&frames, Direction::ToServer);
    let (ptc, btc) = bytes_in(&frames, Direction::ToClient);

    let dir = TempDir::new("ipv6");
    let run = run_bytes(&dir, &pcap(&frames), &[]);
    run.assert_ok();
    check_common(&run);
    let flows = run.flows();
    assert_eq!(flows.len(), 1, "{}", run.eve_text);
    let f = flows[0];
    assert_eq!(s(f, "/src_ip"), "2001:0db8:0000:0000:0000:0000:0000:0001");
    assert_eq!(s(f, "/dest_ip"), "2001:0db8:0000:0000:0000:000a:0000:001f");
    assert_eq!(u(f, "/src_port"), 33000);
    assert_eq!(u(f, "/dest_port"), 502);
    assert_eq!(s(f, "/proto"), "TCP");
    assert_eq!(u(f, "/flow/pkts_toserver"), pts);
    assert_eq!(u(f, "/flow/pkts_toclient"), ptc);
    assert_eq!(u(f, "/flow/bytes_toserver"), bts);
    assert_eq!(u(f, "/flow/bytes_toclient"), btc);
    assert_eq!(s(f, "/flow/state"), "closed");
    assert_eq!(s(f, "/tcp/tcp_flags"), "1b");
    assert_eq!(
        s(f, "/community_id"),
        community_id(0, a.into(), 33000, b.into(), 502, 6)
    );
    let st = run.stats();
    assert_eq!(u(st, "/decoder/ipv6"), frames.len() as u64);
    assert_eq!(u(st, "/decoder/ipv4"), 0);
}

#[test]
fn idle_udp_flow_times_out_and_splits() {
    let c = Endpoint::new(CMAC, [10, 0, 0, 7], 5555);
    let srv = Endpoint::new(SMAC, [10, 0, 0, 8], 514);
    // One datagram, 40 s of silence (UDP "new" timeout: 30 s), then a
    // request and its answer.
    let frames = UdpExchange::new(c, srv)
        .start(Timestamp::new(T0, 0))
        .send(Direction::ToServer, b"<13>first")
        .pause(40_000_000 - 1000)
        .send(Direction::ToServer, b"<13>second")
        .send(Direction::ToClient, b"ack")
        .frames();
    assert_eq!(frames[1].ts, Timestamp::new(T0 + 40, 0));

    let dir = TempDir::new("timeout");
    let run = run_bytes(&dir, &pcap(&frames), &[]);
    run.assert_ok();
    check_common(&run);
    let flows = run.flows();
    assert_eq!(flows.len(), 2, "{}", run.eve_text);
    let (first, second) = (flows[0], flows[1]);
    assert_eq!(s(first, "/flow/reason"), "timeout");
    assert_eq!(s(first, "/flow/state"), "new");
    assert_eq!(u(first, "/flow/pkts_toserver"), 1);
    assert_eq!(u(first, "/flow/pkts_toclient"), 0);
    assert_eq!(
        u(first, "/flow/bytes_toserver"),
        frames[0].data.len() as u64
    );
    assert_eq!(s(first, "/flow/start"), "2026-01-15T08:00:00.000000+0000");
    assert_eq!(s(first, "/flow/end"), "2026-01-15T08:00:00.000000+0000");
    // Stamped when the timeout expired: last packet + 30 s.
    assert_eq!(s(first, "/timestamp"), "2026-01-15T08:00:30.000000+0000");

    assert_eq!(s(second, "/flow/reason"), "shutdown");
    assert_eq!(s(second, "/flow/state"), "established");
    assert_eq!(u(second, "/flow/pkts_toserver"), 1);
    assert_eq!(u(second, "/flow/pkts_toclient"), 1);
    assert_eq!(s(second, "/flow/start"), "2026-01-15T08:00:40.000000+0000");
    assert_eq!(s(second, "/timestamp"), "2026-01-15T08:00:40.001000+0000");
    for f in [first, second] {
        assert_eq!(s(f, "/src_ip"), "10.0.0.7");
        assert_eq!(u(f, "/dest_port"), 514);
    }
    let st = run.stats();
    assert_eq!(u(st, "/flow/total"), 2);
    assert_eq!(u(st, "/flow/udp"), 2);
    assert_eq!(u(st, "/flow/mgr/flows_timeout"), 1);
}

/// Everything above in one capture: the stats record comes last and its
/// counters match what was built.
#[test]
fn stats_record_is_last_and_counts_everything() {
    let mut p = PcapFile::new();
    p.extend(&tcp_conversation());
    let c = Endpoint::new(CMAC, [192, 168, 5, 20], 40123);
    let srv = Endpoint::new(SMAC, [192, 168, 5, 53], 53);
    p.extend(
        &UdpExchange::new(c, srv)
            .vlan(7)
            .start(Timestamp::new(T0, 100))
            .send(Direction::ToServer, b"q")
            .send(Direction::ToClient, b"a")
            .frames(),
    );
    let ping = Packet::ether(CMAC, SMAC)
        .ipv4([10, 1, 1, 1], [10, 1, 1, 2])
        .icmp_echo_request(1, 1)
        .build();
    p.add(T0, 600_000, &ping);
    let v6 = Packet::ether(CMAC, SMAC)
        .ipv6(
            Ipv6Addr::new(0xfe80, 0, 0, 0, 0, 0, 0, 1),
            Ipv6Addr::new(0xfe80, 0, 0, 0, 0, 0, 0, 2),
        )
        .udp(546, 547)
        .payload(b"dhcpv6")
        .build();
    p.add(T0, 700_000, &v6);
    p.sort_by_time();
    let records = p.records();
    let n = records.len() as u64;
    let bytes: u64 = records.iter().map(|r| r.data.len() as u64).sum();
    let max = records.iter().map(|r| r.data.len() as u64).max().unwrap();

    let dir = TempDir::new("stats");
    let run = run_bytes(&dir, &p.to_bytes(), &[]);
    run.assert_ok();
    check_common(&run);
    assert!(run.eve_text.ends_with('\n'));
    assert_eq!(run.records("stats").len(), 1);
    let stats_rec = run.eve.last().unwrap();
    assert_eq!(s(stats_rec, "/event_type"), "stats");
    // Stamped with the last packet time.
    assert_eq!(
        s(stats_rec, "/timestamp"),
        "2026-01-15T08:00:00.700000+0000"
    );
    let st = run.stats();
    assert!(st["uptime"].is_u64());
    assert_eq!(u(st, "/decoder/pkts"), n);
    assert_eq!(u(st, "/decoder/bytes"), bytes);
    assert_eq!(u(st, "/decoder/max_pkt_size"), max);
    assert_eq!(u(st, "/decoder/avg_pkt_size"), bytes / n);
    assert_eq!(u(st, "/decoder/invalid"), 0);
    assert_eq!(u(st, "/decoder/ethernet"), n);
    assert_eq!(u(st, "/decoder/ipv4"), n - 1);
    assert_eq!(u(st, "/decoder/ipv6"), 1);
    assert_eq!(u(st, "/decoder/tcp"), 8);
    assert_eq!(u(st, "/decoder/udp"), 3);
    assert_eq!(u(st, "/decoder/icmpv4"), 1);
    assert_eq!(u(st, "/decoder/vlan"), 2);
    let flows = run.flows();
    assert_eq!(flows.len(), 4);
    assert_eq!(u(st, "/flow/total"), flows.len() as u64);
    assert_eq!(u(st, "/flow/tcp"), 1);
    assert_eq!(u(st, "/flow/udp"), 2);
    assert_eq!(u(st, "/flow/icmpv4"), 1);
    assert_eq!(u(st, "/flow/active"), 0);
    assert_eq!(
        u(st, "/flow/end/state/new")
            + u(st, "/flow/end/state/established")
            + u(st, "/flow/end/state/closed"),
        4
    );
    assert_eq!(u(st, "/flow/end/state/new"), 2); // the ping and the DHCPv6 request
    // Packets and bytes in flow records add up to the capture.
    let sum = |k: &str| {
        flows
            .iter()
            .map(|f| f["flow"][k].as_u64().unwrap())
            .sum::<u64>()
    };
    assert_eq!(sum("pkts_toserver") + sum("pkts_toclient"), n);
    assert_eq!(sum("bytes_toserver") + sum("bytes_toclient"), bytes);
    // The summary line on stderr agrees.
    assert!(
        run.stderr.contains(&format!(
            "{n} packets, {bytes} bytes, 4 flows, 1 transactions, 0 alerts, 0 decoder events"
        )),
        "{}",
        run.stderr
    );
}

#[test]
fn midstream_flow_picked_up_from_the_server_is_swapped() {
    // A Modbus session picked up midstream with the PLC's response first:
    // the conversation's "client" is the PLC on port 502. With
    // stream.midstream, Modbus is found on the initiator's port and the
    // flow is swapped (Suricata's FlowSwap): the HMI becomes its source.
    let plc = Endpoint::new(SMAC, [10, 0, 0, 2], 502);
    let hmi = Endpoint::new(CMAC, [10, 0, 0, 1], 49226);
    let read_req: &[u8] = &[0, 2, 0, 0, 0, 6, 10, 1, 0, 0x78, 0, 2];
    let read_resp: &[u8] = &[0, 1, 0, 0, 0, 4, 10, 1, 1, 3];
    let second_resp: &[u8] = &[0, 2, 0, 0, 0, 4, 10, 1, 1, 5];
    let frames = TcpConversation::new(plc, hmi)
        .start(Timestamp::new(T0, 0))
        .no_handshake()
        .client(read_resp)
        .server(read_req)
        .client(second_resp)
        .close(Close::None)
        .frames();
    let from_plc = bytes_in(&frames, Direction::ToServer);
    let from_hmi = bytes_in(&frames, Direction::ToClient);
    let dir = TempDir::new("midstream-swap");
    let run = run_bytes(
        &dir,
        &pcap(&frames),
        &["--set", "stream.midstream=true", "-k", "none"],
    );
    run.assert_ok();
    let flows = run.flows();
    assert_eq!(flows.len(), 1, "{}", run.eve_text);
    let f = flows[0];
    assert_eq!(s(f, "/app_proto"), "modbus", "{f}");
    assert_eq!(s(f, "/src_ip"), "10.0.0.1", "{f}");
    assert_eq!(u(f, "/src_port"), 49226);
    assert_eq!(u(f, "/dest_port"), 502);
    assert_eq!(u(f, "/flow/pkts_toserver"), from_hmi.0);
    assert_eq!(u(f, "/flow/bytes_toserver"), from_hmi.1);
    assert_eq!(u(f, "/flow/pkts_toclient"), from_plc.0);
    assert_eq!(u(f, "/flow/bytes_toclient"), from_plc.1);
    // The response without its request, then the request after the pickup
    // with its response: both written from the HMI.
    let modbus = run.records("modbus");
    assert_eq!(modbus.len(), 2, "{}", run.eve_text);
    assert!(modbus.iter().all(|m| u(m, "/src_port") == 49226));
    assert_eq!(u(modbus[0], "/modbus/response/transaction_id"), 1);
    assert!(modbus[0]["modbus"].get("request").is_none());
    assert_eq!(u(modbus[1], "/modbus/request/transaction_id"), 2);
    assert_eq!(u(modbus[1], "/modbus/request/read/address"), 120);
    assert_eq!(u(modbus[1], "/modbus/response/transaction_id"), 2);
}
