//! End-to-end: hostile and damaged input. vigil must never panic, must
//! process everything before the damage, write its output, and name the file,
//! the byte offset and the reason of a fatal input error.

mod common;

use common::{Run, TempDir, XorShift, pcap_header, pcap_record_header, run_bytes, run_stdin, s, u};
use serde_json::Value;
use std::net::Ipv6Addr;
use vigil_testkit::{
    Close, Direction, Endpoint, Packet, PcapFile, TcpConversation, Timestamp, UdpExchange,
};

/// 2026-01-15T08:00:00Z.
const T0: u32 = 1_768_464_000;
const CMAC: [u8; 6] = [2, 0, 0, 0, 0, 1];
const SMAC: [u8; 6] = [2, 0, 0, 0, 0, 2];

/// A healthy capture: a TCP session (8 frames) and a UDP exchange (2 frames),
/// two flows.
fn healthy() -> PcapFile {
    let mut p = PcapFile::new();
    p.extend(
        &TcpConversation::new(
            Endpoint::new(CMAC, [10, 0, 0, 1], 50000),
            Endpoint::new(SMAC, [10, 0, 0, 2], 502),
        )
        .start(Timestamp::new(T0, 0))
        .client(b"\x00\x01\x00\x00\x00\x06\x01\x03\x00\x00\x00\x01")
        .server(b"\x00\x01\x00\x00\x00\x05\x01\x03\x02\x00\x2a")
        .close(Close::Fin(Direction::ToServer))
        .frames(),
    );
    p.extend(
        &UdpExchange::new(
            Endpoint::new(CMAC, [10, 0, 0, 1], 40000),
            Endpoint::new(SMAC, [10, 0, 0, 53], 53),
        )
        .start(Timestamp::new(T0, 500))
        .send(Direction::ToServer, b"query")
        .send(Direction::ToClient, b"answer")
        .frames(),
    );
    p.sort_by_time();
    p
}

/// Asserts that the two flows of [`healthy`] were written in full.
fn assert_healthy_flows(run: &Run) {
    let flows = run.flows();
    assert_eq!(flows.len(), 2, "{}", run.eve_text);
    let tcp = flows
        .iter()
        .find(|f| f["proto"] == "TCP")
        .expect("tcp flow");
    assert_eq!(u(tcp, "/flow/pkts_toserver"), 5);
    assert_eq!(u(tcp, "/flow/pkts_toclient"), 3);
    assert_eq!(s(tcp, "/flow/state"), "closed");
    let udp = flows
        .iter()
        .find(|f| f["proto"] == "UDP")
        .expect("udp flow");
    assert_eq!(u(udp, "/flow/pkts_toserver"), 1);
    assert_eq!(u(udp, "/flow/pkts_toclient"), 1);
    assert_eq!(u(run.stats(), "/decoder/pkts"), 10);
}

/// Asserts exit status 1 with `vigil: error: FILE: byte offset N: REASON` on
/// stderr.
fn assert_input_error(run: &Run, offset: u64, reason: &str) {
    run.assert_no_panic();
    assert_eq!(run.code, 1, "stderr:\n{}", run.stderr);
    let file = run.input.display().to_string();
    let want = format!("vigil: error: {file}: byte offset {offset}: {reason}");
    assert!(
        run.stderr.contains(&want),
        "stderr lacks {want:?}:\n{}",
        run.stderr
    );
}

// ---------------------------------------------------------------------------
// Damaged classic pcap files

#[test]
fn truncated_last_record_keeps_everything_before_it() {
    let mut bytes = healthy().to_bytes();
    let offset = bytes.len() as u64;
    // A record header promising 100 bytes, followed by only 10.
    pcap_record_header(&mut bytes, T0 + 1, 0, 100, 100);
    bytes.extend_from_slice(&[0x55; 10]);

    let dir = TempDir::new("trunc-data");
    let run = run_bytes(&dir, &bytes, &[]);
    assert_input_error(&run, offset, "truncated record");
    assert_healthy_flows(&run);
    // The summary still says what was processed.
    assert!(run.stderr.contains("10 packets"), "{}", run.stderr);
}

#[test]
fn truncated_record_header_keeps_everything_before_it() {
    let mut bytes = healthy().to_bytes();
    let offset = bytes.len() as u64;
    bytes.extend_from_slice(&[1, 2, 3, 4, 5, 6, 7]); // 7 of 16 header bytes
    let dir = TempDir::new("trunc-hdr");
    let run = run_bytes(&dir, &bytes, &[]);
    assert_input_error(&run, offset, "truncated record");
    assert_healthy_flows(&run);
}

#[test]
fn truncated_record_with_three_workers() {
    let mut bytes = healthy().to_bytes();
    let offset = bytes.len() as u64;
    pcap_record_header(&mut bytes, T0 + 1, 0, 60, 60);
    bytes.extend_from_slice(&[0; 59]);
    let dir = TempDir::new("trunc-workers");
    let run = run_bytes(&dir, &bytes, &["--workers", "3"]);
    assert_input_error(&run, offset, "truncated record");
    assert_healthy_flows(&run);
}

#[test]
fn absurd_caplen_is_a_clear_error_after_the_good_packets() {
    let mut bytes = healthy().to_bytes();
    let offset = bytes.len() as u64;
    pcap_record_header(&mut bytes, T0 + 1, 0, 0x7fff_ffff, 0x7fff_ffff);
    bytes.extend_from_slice(&[0; 64]);
    let dir = TempDir::new("caplen-absurd");
    let run = run_bytes(&dir, &bytes, &[]);
    assert_input_error(
        &run,
        offset,
        "captured length 2147483647 exceeds the maximum 262144",
    );
    assert_healthy_flows(&run);
}

#[test]
fn caplen_above_snaplen_is_read_as_libpcap_does() {
    // snaplen 100, but a 150-byte record: the snaplen is advisory (libpcap
    // and Wireshark read such records), so the packet is processed.
    let mut bytes = pcap_header(100, 1);
    let frame = Packet::ether(CMAC, SMAC)
        .ipv4([10, 0, 0, 1], [10, 0, 0, 2])
        .udp(1000, 2000)
        .payload(&[7; 108])
        .build();
    assert_eq!(frame.len(), 150);
    pcap_record_header(&mut bytes, T0, 0, 150, 150);
    bytes.extend_from_slice(&frame);
    let dir = TempDir::new("caplen-snaplen");
    let run = run_bytes(&dir, &bytes, &[]);
    run.assert_ok();
    let flows = run.flows();
    assert_eq!(flows.len(), 1, "{}", run.eve_text);
    assert_eq!(u(flows[0], "/flow/bytes_toserver"), 150);
}

#[test]
fn zero_length_record_is_an_ethernet_anomaly_not_an_error() {
    let good = healthy();
    let mut bytes = pcap_header(65535, 1);
    for (i, r) in good.records().iter().enumerate() {
        if i == 3 {
            // An empty record between packets 3 and 4 of the capture.
            pcap_record_header(&mut bytes, r.ts.secs, r.ts.micros, 0, 60);
        }
        pcap_record_header(
            &mut bytes,
            r.ts.secs,
            r.ts.micros,
            r.data.len() as u32,
            r.orig_len,
        );
        bytes.extend_from_slice(&r.data);
    }
    let dir = TempDir::new("zero-len");
    let run = run_bytes(&dir, &bytes, &[]);
    run.assert_ok();
    let anomalies = run.anomalies();
    assert_eq!(anomalies.len(), 1, "{}", run.eve_text);
    let a = anomalies[0];
    assert_eq!(u(a, "/pcap_cnt"), 4);
    assert_eq!(s(a, "/anomaly/type"), "decode");
    assert_eq!(s(a, "/anomaly/event"), "decoder.ethernet.pkt_too_small");
    assert!(a.get("src_ip").is_none());
    let st = run.stats();
    assert_eq!(u(st, "/decoder/pkts"), 11);
    assert_eq!(u(st, "/decoder/invalid"), 1);
    assert_eq!(u(st, "/decoder/event/ethernet/pkt_too_small"), 1);
    // The flows are whole: the empty record is not part of either.
    let flows = run.flows();
    assert_eq!(flows.len(), 2);
    assert_eq!(
        flows
            .iter()
            .map(|f| u(f, "/flow/pkts_toserver") + u(f, "/flow/pkts_toclient"))
            .sum::<u64>(),
        10
    );
}

#[test]
fn random_bytes_are_not_a_capture() {
    let mut rng = XorShift(0x9e37_79b9_7f4a_7c15);
    let mut bytes: Vec<u8> = (0..4096).map(|_| rng.byte()).collect();
    bytes[..4].copy_from_slice(&[0x13, 0x37, 0xbe, 0xef]);
    let dir = TempDir::new("random");
    let run = run_bytes(&dir, &bytes, &[]);
    assert_input_error(&run, 0, "not a pcap or pcapng file (magic 0x1337beef)");
    // One line, no backtrace.
    assert_eq!(
        run.stderr.lines().filter(|l| l.contains("error")).count(),
        1,
        "{}",
        run.stderr
    );
}

#[test]
fn empty_file_is_not_a_capture() {
    let dir = TempDir::new("empty");
    let run = run_bytes(&dir, &[], &[]);
    assert_input_error(&run, 0, "not a pcap or pcapng file (empty input)");
}

#[test]
fn short_pcap_header_is_truncated() {
    let dir = TempDir::new("short-hdr");
    let run = run_bytes(&dir, &pcap_header(65535, 1)[..10], &[]);
    assert_input_error(&run, 0, "truncated record");
}

#[test]
fn unsupported_pcap_link_type_is_named() {
    let mut bytes = pcap_header(65535, 147);
    pcap_record_header(&mut bytes, T0, 0, 4, 4);
    bytes.extend_from_slice(&[1, 2, 3, 4]);
    let dir = TempDir::new("dlt147");
    let run = run_bytes(&dir, &bytes, &[]);
    // The link type field is at offset 20 of the file header.
    assert_input_error(&run, 20, "unsupported link type 147");
}

// ---------------------------------------------------------------------------
// pcapng

fn ng_block(out: &mut Vec<u8>, btype: u32, body: &[u8]) {
    let len = 12 + body.len().next_multiple_of(4);
    out.extend_from_slice(&btype.to_le_bytes());
    out.extend_from_slice(&(len as u32).to_le_bytes());
    out.extend_from_slice(body);
    out.resize(out.len() + body.len().next_multiple_of(4) - body.len(), 0);
    out.extend_from_slice(&(len as u32).to_le_bytes());
}

fn ng_shb(out: &mut Vec<u8>) {
    let mut body = Vec::new();
    body.extend_from_slice(&0x1a2b_3c4du32.to_le_bytes());
    body.extend_from_slice(&1u16.to_le_bytes());
    body.extend_from_slice(&0u16.to_le_bytes());
    body.extend_from_slice(&(-1i64).to_le_bytes());
    ng_block(out, 0x0a0d_0d0a, &body);
}

fn ng_idb(out: &mut Vec<u8>, linktype: u16) {
    let mut body = Vec::new();
    body.extend_from_slice(&linktype.to_le_bytes());
    body.extend_from_slice(&0u16.to_le_bytes());
    body.extend_from_slice(&65535u32.to_le_bytes());
    ng_block(out, 1, &body);
}

fn ng_epb(out: &mut Vec<u8>, iface: u32, ts_us: u64, data: &[u8]) {
    let mut body = Vec::new();
    body.extend_from_slice(&iface.to_le_bytes());
    body.extend_from_slice(&((ts_us >> 32) as u32).to_le_bytes());
    body.extend_from_slice(&(ts_us as u32).to_le_bytes());
    body.extend_from_slice(&(data.len() as u32).to_le_bytes());
    body.extend_from_slice(&(data.len() as u32).to_le_bytes());
    body.extend_from_slice(data);
    ng_block(out, 6, &body);
}

/// pcapng with one Ethernet interface and the packets of [`healthy`].
fn healthy_ng() -> Vec<u8> {
    let mut out = Vec::new();
    ng_shb(&mut out);
    ng_idb(&mut out, 1);
    for r in healthy().records() {
        let ts = u64::from(r.ts.secs) * 1_000_000 + u64::from(r.ts.micros);
        ng_epb(&mut out, 0, ts, &r.data);
    }
    out
}

#[test]
fn pcapng_reference_file_is_read() {
    let dir = TempDir::new("ng-ok");
    let run = run_bytes(&dir, &healthy_ng(), &[]);
    run.assert_ok();
    assert_healthy_flows(&run);
}

#[test]
fn pcapng_block_length_below_minimum() {
    let mut bytes = healthy_ng();
    let offset = bytes.len() as u64;
    bytes.extend_from_slice(&6u32.to_le_bytes());
    bytes.extend_from_slice(&7u32.to_le_bytes());
    bytes.extend_from_slice(&[0; 12]);
    let dir = TempDir::new("ng-blen7");
    let run = run_bytes(&dir, &bytes, &[]);
    assert_input_error(&run, offset, "block length 7 is smaller than 12");
    assert_healthy_flows(&run);
}

#[test]
fn pcapng_block_length_not_multiple_of_four() {
    let mut bytes = healthy_ng();
    let offset = bytes.len() as u64;
    bytes.extend_from_slice(&6u32.to_le_bytes());
    bytes.extend_from_slice(&30u32.to_le_bytes());
    bytes.extend_from_slice(&[0; 26]);
    let dir = TempDir::new("ng-blen30");
    let run = run_bytes(&dir, &bytes, &[]);
    assert_input_error(&run, offset, "block length 30 is not a multiple of 4");
    assert_healthy_flows(&run);
}

#[test]
fn pcapng_bad_section_header_length_fails_the_open() {
    let mut bytes = healthy_ng();
    bytes[4..8].copy_from_slice(&7u32.to_le_bytes());
    let dir = TempDir::new("ng-shb7");
    let run = run_bytes(&dir, &bytes, &[]);
    assert_input_error(&run, 0, "block length 7 is smaller than 12");
}

#[test]
fn pcapng_unsupported_link_type_is_named_at_its_first_packet() {
    let mut bytes = Vec::new();
    ng_shb(&mut bytes);
    ng_idb(&mut bytes, 1);
    ng_idb(&mut bytes, 147);
    let recs = healthy();
    for r in recs.records() {
        let ts = u64::from(r.ts.secs) * 1_000_000 + u64::from(r.ts.micros);
        ng_epb(&mut bytes, 0, ts, &r.data);
    }
    let offset = bytes.len() as u64;
    ng_epb(
        &mut bytes,
        1,
        u64::from(T0 + 2) * 1_000_000,
        &[0xde, 0xad, 0xbe, 0xef],
    );
    let dir = TempDir::new("ng-dlt147");
    let run = run_bytes(&dir, &bytes, &[]);
    assert_input_error(&run, offset, "unsupported link type 147");
    assert_healthy_flows(&run);
}

// ---------------------------------------------------------------------------
// Packets with bad length fields

/// (frame, expected anomaly events as Suricata 7.0.10 raises them, whether
/// the IP header is readable) for each crafted packet.
fn bad_length_packets() -> Vec<(Vec<u8>, Vec<&'static str>, bool)> {
    let (a, b) = ([192, 0, 2, 1], [192, 0, 2, 2]);
    let eth = || Packet::ether(CMAC, SMAC);
    let mut out = Vec::new();
    // 1: a good UDP packet.
    out.push((
        eth().ipv4(a, b).udp(1111, 2222).payload(b"fine").build(),
        vec![],
        false,
    ));
    // 2: Ethernet shorter than its header.
    out.push((
        vec![2, 0, 0, 0, 0, 2, 2, 0, 0, 0],
        vec!["decoder.ethernet.pkt_too_small"],
        false,
    ));
    // 3: IPv4 header length 16 bytes (IHL 4).
    let mut f = eth().ipv4(a, b).udp(1111, 2222).payload(b"x").build();
    f[14] = 0x44;
    out.push((f, vec!["decoder.ipv4.hlen_too_small"], false));
    // 4: IPv4 total length beyond the captured bytes.
    out.push((
        eth()
            .ipv4(a, b)
            .total_length(1400)
            .udp(1111, 2222)
            .payload(b"short")
            .build(),
        vec!["decoder.ipv4.trunc_pkt"],
        false,
    ));
    // 5: IPv4 total length below the header length.
    out.push((
        eth()
            .ipv4(a, b)
            .total_length(12)
            .udp(1111, 2222)
            .payload(b"abc")
            .build(),
        vec!["decoder.ipv4.iplen_smaller_than_hlen"],
        false,
    ));
    // 6: TCP data offset 4 (below the 20-byte minimum). Suricata computes
    // the option length in a u8, so this is its invalid_optlen event.
    let mut f = eth().ipv4(a, b).tcp(3333, 80).flags(0x02).build();
    f[14 + 20 + 12] = 0x40;
    out.push((f, vec!["decoder.tcp.invalid_optlen"], true));
    // 7: TCP data offset 15 (60 bytes) in a 20-byte segment.
    let mut f = eth().ipv4(a, b).tcp(3333, 80).flags(0x02).build();
    f[14 + 20 + 12] = 0xf0;
    out.push((f, vec!["decoder.tcp.hlen_too_small"], true));
    // 8: UDP length beyond the IP payload.
    out.push((
        eth()
            .ipv4(a, b)
            .udp(4444, 5555)
            .length(200)
            .payload(b"ten bytes!")
            .build(),
        vec!["decoder.udp.pkt_too_small"],
        true,
    ));
    // 9: IPv6 payload length beyond the captured bytes.
    out.push((
        eth()
            .ipv6(
                Ipv6Addr::new(0x2001, 0xdb8, 0, 0, 0, 0, 0, 1),
                Ipv6Addr::new(0x2001, 0xdb8, 0, 0, 0, 0, 0, 2),
            )
            .payload_length(900)
            .udp(1, 2)
            .payload(b"v6")
            .build(),
        vec!["decoder.ipv6.trunc_pkt"],
        false,
    ));
    out
}

#[test]
fn bad_length_fields_raise_anomalies_and_nothing_crashes() {
    let packets = bad_length_packets();
    let mut p = PcapFile::new();
    for (i, (f, _, _)) in packets.iter().enumerate() {
        p.add(T0, i as u32 * 1000, f);
    }
    let dir = TempDir::new("badlen");
    let run = run_bytes(&dir, &p.to_bytes(), &[]);
    run.assert_ok();
    let anomalies = run.anomalies();
    let mut got: Vec<(u64, String)> = anomalies
        .iter()
        .map(|a| (u(a, "/pcap_cnt"), s(a, "/anomaly/event").to_string()))
        .collect();
    got.sort();
    let mut want: Vec<(u64, String)> = Vec::new();
    for (i, (_, events, _)) in packets.iter().enumerate() {
        for e in events {
            want.push((i as u64 + 1, e.to_string()));
        }
    }
    want.sort();
    assert_eq!(got, want, "{}", run.eve_text);

    for a in &anomalies {
        let cnt = u(a, "/pcap_cnt") as usize;
        let (_, _, has_ip) = &packets[cnt - 1];
        assert_eq!(s(a, "/anomaly/type"), "decode");
        assert_eq!(s(a, "/pkt_src"), "wire/pcap");
        assert_eq!(
            s(a, "/timestamp"),
            format!("2026-01-15T08:00:00.{:06}+0000", (cnt - 1) * 1000)
        );
        if *has_ip {
            // The IP header was read: the record says who sent it.
            assert_eq!(s(a, "/src_ip"), "192.0.2.1", "{a}");
            assert_eq!(s(a, "/dest_ip"), "192.0.2.2", "{a}");
        }
    }
    let tcp_bad = anomalies
        .iter()
        .find(|a| a["anomaly"]["event"] == "decoder.tcp.invalid_optlen")
        .unwrap();
    assert_eq!(s(tcp_bad, "/proto"), "TCP");

    let st = run.stats();
    assert_eq!(u(st, "/decoder/pkts"), packets.len() as u64);
    assert_eq!(u(st, "/decoder/invalid"), packets.len() as u64 - 1);
    assert_eq!(u(st, "/decoder/event/ipv4/hlen_too_small"), 1);
    assert_eq!(u(st, "/decoder/event/ipv4/trunc_pkt"), 1);
    assert_eq!(u(st, "/decoder/event/tcp/invalid_optlen"), 1);
    assert_eq!(u(st, "/decoder/event/tcp/hlen_too_small"), 1);
    assert_eq!(u(st, "/decoder/event/udp/pkt_too_small"), 1);
    assert_eq!(u(st, "/decoder/event/ipv6/trunc_pkt"), 1);
    // Only the good UDP packet has a usable transport header.
    let flows = run.flows();
    assert_eq!(flows.len(), 1, "{}", run.eve_text);
    assert_eq!(u(flows[0], "/src_port"), 1111);
}

/// UDP length fields that disagree with the IP payload, as Suricata 7.0.10
/// reports them (checked with the peer): a UDP length shorter than the IP
/// payload but at least 8 is no anomaly at all (the datagram is decoded,
/// bounded by the UDP length, and gets its flow); a UDP length below 8 is
/// `decoder.udp.len_invalid` only.
#[test]
fn udp_length_shorter_than_ip_payload_as_suricata() {
    let (a, b) = ([192, 0, 2, 1], [192, 0, 2, 2]);
    let eth = || Packet::ether(CMAC, SMAC);
    let shorter = eth()
        .ipv4(a, b)
        .udp(4444, 5556)
        .length(12)
        .payload(b"ten bytes!")
        .build();
    let tiny = eth()
        .ipv4(a, b)
        .udp(4444, 5557)
        .length(4)
        .payload(b"ten bytes!")
        .build();
    let mut p = PcapFile::new();
    p.add(T0, 0, &shorter).add(T0, 1000, &tiny);
    let dir = TempDir::new("udp-short");
    let run = run_bytes(&dir, &p.to_bytes(), &[]);
    run.assert_ok();
    let got: Vec<(u64, &str)> = run
        .anomalies()
        .iter()
        .map(|a| (u(a, "/pcap_cnt"), s(a, "/anomaly/event")))
        .collect();
    assert_eq!(got, [(2, "decoder.udp.len_invalid")], "{}", run.eve_text);
    let st = run.stats();
    assert_eq!(u(st, "/decoder/invalid"), 1);
    assert_eq!(u(st, "/decoder/event/udp/hlen_invalid"), 0);
    let flows = run.flows();
    assert_eq!(flows.len(), 1, "{}", run.eve_text);
    assert_eq!(u(flows[0], "/dest_port"), 5556);
    // Bytes are whole frames, whatever the UDP length says.
    assert_eq!(u(flows[0], "/flow/bytes_toserver"), shorter.len() as u64);
}

/// Suricata 7.0.10 writes `src_port` and `dest_port` as 0 in an anomaly
/// record for a TCP or UDP packet whose header could not be decoded (the
/// IP header was): `{"src_ip":"192.0.2.1","src_port":0,"dest_ip":...,
/// "dest_port":0,"proto":"TCP",...}`.
#[test]
fn anomaly_ports_are_zero_when_the_transport_header_is_bad() {
    let packets = bad_length_packets();
    let mut p = PcapFile::new();
    for (i, (f, _, _)) in packets.iter().enumerate() {
        p.add(T0, i as u32 * 1000, f);
    }
    let dir = TempDir::new("badlen-ports");
    let run = run_bytes(&dir, &p.to_bytes(), &[]);
    run.assert_ok();
    let mut checked = 0;
    for a in run.anomalies() {
        if a["proto"] == "TCP" || a["proto"] == "UDP" {
            assert_eq!(a["src_port"], 0, "{a}");
            assert_eq!(a["dest_port"], 0, "{a}");
            checked += 1;
        }
    }
    assert_eq!(checked, 3);
}

// ---------------------------------------------------------------------------
// Random mutations

/// Seed frames of many kinds for mutation.
fn seed_frames() -> Vec<Vec<u8>> {
    let (a, b) = ([10, 9, 8, 7], [10, 9, 8, 6]);
    let (a6, b6) = (
        Ipv6Addr::new(0xfd00, 0, 0, 0, 0, 0, 0, 1),
        Ipv6Addr::new(0xfd00, 0, 0, 0, 0, 0, 0, 2),
    );
    let eth = || Packet::ether(CMAC, SMAC);
    let mut v = vec![
        eth()
            .ipv4(a, b)
            .tcp(1000, 80)
            .seq(1)
            .flags(0x02)
            .mss(1460)
            .sack_permitted()
            .wscale(7)
            .timestamps(1, 0)
            .build(),
        eth()
            .ipv4(a, b)
            .options(&[0x94, 4, 0, 0])
            .tcp(1000, 80)
            .seq(2)
            .ack(5)
            .flags(0x18)
            .payload(b"GET / HTTP/1.1\r\n\r\n")
            .build(),
        eth()
            .vlan(5)
            .ipv4(a, b)
            .udp(53, 53)
            .payload(b"dns?")
            .build(),
        eth()
            .qinq(100, 200)
            .ipv4(a, b)
            .icmp_echo_request(1, 2)
            .payload(b"ping")
            .build(),
        eth().ipv6(a6, b6).tcp(2000, 443).flags(0x12).build(),
        eth()
            .ipv6(a6, b6)
            .hop_by_hop(&[1, 4, 0, 0, 0, 0])
            .udp(5000, 4789)
            .payload(&[
                8, 0, 0, 0, 0, 0, 1, 0, 2, 0, 0, 0, 0, 1, 2, 0, 0, 0, 0, 2, 8, 0,
            ])
            .build(),
        eth()
            .ipv6(a6, b6)
            .icmpv6_echo_request(3, 4)
            .payload(b"v6 ping")
            .build(),
        eth().arp_request(CMAC, a, b).build(),
    ];
    v.extend(
        eth()
            .ipv4(a, b)
            .id(99)
            .udp(7, 7)
            .payload(&[0x5a; 100])
            .build_fragments(32),
    );
    v.extend(
        eth()
            .ipv6(a6, b6)
            .udp(7, 7)
            .payload(&[0x5a; 100])
            .build_fragments(48),
    );
    v
}

fn mutated_capture(n: usize, seed: u64) -> Vec<u8> {
    let seeds = seed_frames();
    let mut rng = XorShift(seed);
    let mut p = PcapFile::new();
    for i in 0..n {
        let mut f = seeds[rng.below(seeds.len() as u64) as usize].clone();
        let edits = 1 + rng.below(4);
        for _ in 0..edits {
            match rng.below(6) {
                // Overwrite a byte (biased to the headers).
                0..=2 => {
                    let span = f.len().min(80) as u64;
                    if span > 0 {
                        let at = rng.below(span) as usize;
                        f[at] = rng.byte();
                    }
                }
                // Flip a bit anywhere.
                3 => {
                    if !f.is_empty() {
                        let at = rng.below(f.len() as u64) as usize;
                        f[at] ^= 1 << rng.below(8);
                    }
                }
                // Truncate.
                4 => {
                    let keep = rng.below(f.len() as u64 + 1) as usize;
                    f.truncate(keep);
                }
                // Append garbage.
                _ => {
                    for _ in 0..rng.below(64) {
                        f.push(rng.byte());
                    }
                }
            }
        }
        p.add(T0 + (i / 100) as u32, (i % 100) as u32 * 10_000, &f);
    }
    p.to_bytes()
}

fn assert_mutation_run(run: &Run, n: u64) {
    run.assert_ok();
    let st = run.stats();
    assert_eq!(u(st, "/decoder/pkts"), n);
    // Every decoder event counted in the stats has its anomaly record.
    fn sum(v: &Value) -> u64 {
        match v {
            Value::Object(m) => m.values().map(sum).sum(),
            Value::Number(n) => n.as_u64().unwrap_or(0),
            _ => 0,
        }
    }
    let counted = sum(&st["decoder"]["event"])
        + st["decoder"]["too_many_layers"].as_u64().unwrap_or(0)
        + st["decoder"]["unknown_ethertype"].as_u64().unwrap_or(0);
    assert_eq!(run.anomalies().len() as u64, counted);
    assert!(counted > 0, "the mutations should have produced anomalies");
    let flows = run.flows();
    assert_eq!(u(st, "/flow/total"), flows.len() as u64);
    for f in &flows {
        assert!(u(f, "/flow/pkts_toserver") >= 1, "{f}");
    }
}

#[test]
fn two_thousand_mutated_packets() {
    let bytes = mutated_capture(2000, 0x1234_5678_9abc_def1);
    let dir = TempDir::new("mutate");
    let run = run_bytes(&dir, &bytes, &[]);
    assert_mutation_run(&run, 2000);
}

#[test]
fn two_thousand_mutated_packets_with_workers() {
    let bytes = mutated_capture(2000, 0x0fed_cba9_8765_4321);
    let dir = TempDir::new("mutate-w");
    let run = run_bytes(&dir, &bytes, &["--workers", "2"]);
    assert_mutation_run(&run, 2000);
}

// ---------------------------------------------------------------------------
// Standard input

#[test]
fn reads_a_capture_from_stdin() {
    let bytes = healthy().to_bytes();
    let dir = TempDir::new("stdin");
    let run = run_stdin(&dir, &bytes, &[]);
    run.assert_ok();
    assert_healthy_flows(&run);
    let file_dir = TempDir::new("stdin-file");
    let from_file = run_bytes(&file_dir, &bytes, &[]);
    let lines = |r: &Run| -> Vec<String> {
        r.eve_text
            .lines()
            .filter(|l| !l.contains("\"event_type\":\"stats\""))
            .map(String::from)
            .collect()
    };
    assert_eq!(lines(&run), lines(&from_file));
}

#[test]
fn truncated_capture_on_stdin_names_stdin() {
    let mut bytes = healthy().to_bytes();
    let offset = bytes.len();
    pcap_record_header(&mut bytes, T0 + 1, 0, 100, 100);
    bytes.extend_from_slice(&[0; 3]);
    let dir = TempDir::new("stdin-trunc");
    let run = run_stdin(&dir, &bytes, &[]);
    run.assert_no_panic();
    assert_eq!(run.code, 1, "{}", run.stderr);
    let want = format!("vigil: error: <stdin>: byte offset {offset}: truncated record");
    assert!(run.stderr.contains(&want), "{}", run.stderr);
    assert_healthy_flows(&run);
}
