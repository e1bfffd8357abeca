//! End-to-end: the same input gives the same bytes out with one worker, and
//! the same flows with several.

mod common;

use common::{Run, TempDir, run_file, u};
use serde_json::Value;
use std::path::PathBuf;

fn sample() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../examples/sample-ot-it.pcap")
}

/// The stats record with `uptime` (wall-clock time) removed.
fn stats_without_uptime(run: &Run) -> Value {
    let mut last = run.eve.last().expect("no records").clone();
    assert_eq!(last["event_type"], "stats");
    let removed = last["stats"]
        .as_object_mut()
        .expect("stats object")
        .remove("uptime");
    assert!(removed.is_some(), "stats record has no uptime");
    last
}

fn all_but_last_line(text: &str) -> Vec<&str> {
    let lines: Vec<&str> = text.lines().collect();
    lines[..lines.len() - 1].to_vec()
}

fn sorted_lines(run: &Run, event_type: &str) -> Vec<String> {
    let tag = format!("\"event_type\":\"{event_type}\"");
    let mut v: Vec<String> = run
        .eve_text
        .lines()
        .filter(|l| l.contains(&tag))
        .map(String::from)
        .collect();
    v.sort();
    v
}

#[test]
fn one_worker_output_is_byte_identical() {
    let (d1, d2) = (TempDir::new("det-1"), TempDir::new("det-2"));
    let a = run_file(&d1, &sample(), &[]);
    let b = run_file(&d2, &sample(), &["--workers", "1"]);
    a.assert_ok();
    b.assert_ok();
    // The sample's 70 packets make 9 flows (Suricata 7.0.10 writes the
    // same 9 flow records).
    assert_eq!(a.flows().len(), 9, "{}", a.eve_text);
    assert!(a.eve_text.ends_with('\n'));
    assert_eq!(
        all_but_last_line(&a.eve_text),
        all_but_last_line(&b.eve_text)
    );
    assert_eq!(stats_without_uptime(&a), stats_without_uptime(&b));
    let st = &a.eve.last().unwrap()["stats"];
    assert_eq!(u(st, "/flow/total"), 9);
    assert_eq!(u(st, "/decoder/pkts"), 70);
}

#[test]
fn three_workers_write_the_same_flows() {
    let (d1, d3) = (TempDir::new("det-w1"), TempDir::new("det-w3"));
    let one = run_file(&d1, &sample(), &[]);
    let three = run_file(&d3, &sample(), &["--workers", "3"]);
    one.assert_ok();
    three.assert_ok();
    let flows1 = sorted_lines(&one, "flow");
    assert_eq!(flows1.len(), one.flows().len());
    assert!(!flows1.is_empty());
    assert_eq!(flows1, sorted_lines(&three, "flow"));
    assert_eq!(
        sorted_lines(&one, "anomaly"),
        sorted_lines(&three, "anomaly")
    );
    // The counters that do not depend on how work was split agree too.
    let (s1, s3) = (
        &one.eve.last().unwrap()["stats"],
        &three.eve.last().unwrap()["stats"],
    );
    assert_eq!(s1["decoder"], s3["decoder"]);
    for k in ["total", "tcp", "udp", "icmpv4", "icmpv6", "end", "memcap"] {
        assert_eq!(s1["flow"][k], s3["flow"][k], "flow.{k}");
    }
    assert_eq!(s1["defrag"], s3["defrag"]);
}

#[test]
fn three_workers_twice_are_the_same_set() {
    let (a, b) = (TempDir::new("det-w3a"), TempDir::new("det-w3b"));
    let x = run_file(&a, &sample(), &["--workers", "3"]);
    let y = run_file(&b, &sample(), &["--workers", "3"]);
    x.assert_ok();
    y.assert_ok();
    assert_eq!(sorted_lines(&x, "flow"), sorted_lines(&y, "flow"));
}

// ---------------------------------------------------------------------------
// Captures built in code

use vigil_testkit::{
    Close, Direction, Endpoint, Packet, PcapFile, TcpConversation, Timestamp, UdpExchange,
};

/// 2026-01-15T08:00:00Z.
const T0: u32 = 1_768_464_000;

fn mac(i: u8) -> [u8; 6] {
    [2, 0, 0, 0, 1, i]
}

/// Many hosts, TCP sessions, UDP on VLANs, fragments, ICMP and a few broken
/// packets, all within a few seconds.
fn rich_capture() -> Vec<u8> {
    let mut p = PcapFile::new();
    for i in 0..8u8 {
        let c = Endpoint::new(mac(i), [10, 0, 1, 10 + i], 40000 + u16::from(i));
        let s = Endpoint::new(mac(100 + i), [10, 0, 2, 20 + i], 502);
        p.extend(
            &TcpConversation::new(c, s)
                .start(Timestamp::new(T0, u32::from(i) * 50_000))
                .client(&[0, 1, 0, 0, 0, 6, 1, 3, 0, 0, 0, 4])
                .server(&[0, 1, 0, 0, 0, 11, 1, 3, 8, 0, 1, 0, 2, 0, 3, 0, 4])
                .close(if i % 3 == 0 {
                    Close::Rst(Direction::ToClient)
                } else {
                    Close::Fin(Direction::ToServer)
                })
                .frames(),
        );
        let u = Endpoint::new(mac(i), [10, 0, 1, 10 + i], 20000);
        let v = Endpoint::new(mac(50 + i), [10, 0, 3, 30 + i], 20000);
        p.extend(
            &UdpExchange::new(u, v)
                .vlan(10 + u16::from(i % 3))
                .start(Timestamp::new(T0 + 1, u32::from(i) * 30_000))
                .send(Direction::ToServer, b"request")
                .send(Direction::ToClient, b"response")
                .frames(),
        );
        let frags = Packet::ether(mac(i), mac(200))
            .ipv4([10, 0, 1, 10 + i], [10, 0, 9, 9])
            .id(0x100 + u16::from(i))
            .udp(7000, 7001)
            .payload(&vec![i; 1200])
            .build_fragments(400);
        for (k, f) in frags.iter().enumerate() {
            p.add(T0 + 2, u32::from(i) * 10_000 + k as u32 * 100, f);
        }
        let ping = Packet::ether(mac(i), mac(201))
            .ipv4([10, 0, 1, 10 + i], [10, 0, 0, 1])
            .icmp_echo_request(u16::from(i), 1)
            .build();
        p.add(T0 + 3, u32::from(i) * 1000, &ping);
        let bad = Packet::ether(mac(i), mac(201))
            .ipv4([10, 0, 1, 10 + i], [10, 0, 0, 1])
            .total_length(900)
            .udp(1, 2)
            .build();
        p.add(T0 + 3, 500_000 + u32::from(i), &bad);
    }
    p.sort_by_time();
    p.to_bytes()
}

fn run_capture(label: &str, bytes: &[u8], args: &[&str]) -> Run {
    let dir = TempDir::new(label);
    let path = dir.join("capture.pcap");
    std::fs::write(&path, bytes).unwrap();
    let run = run_file(&dir, &path, args);
    run.assert_ok();
    run
}

#[test]
fn built_capture_same_with_one_and_three_workers() {
    let bytes = rich_capture();
    let a = run_capture("rich-1a", &bytes, &[]);
    let b = run_capture("rich-1b", &bytes, &[]);
    let c = run_capture("rich-3", &bytes, &["--workers", "3"]);
    assert_eq!(
        all_but_last_line(&a.eve_text),
        all_but_last_line(&b.eve_text)
    );
    assert_eq!(stats_without_uptime(&a), stats_without_uptime(&b));
    // 8 TCP + 8 UDP + 8 reassembled UDP + 8 ICMP flows; 8 decoder
    // anomalies (application-layer ones come on top, from the parsers that
    // recognise the Modbus/DNP3 ports).
    assert_eq!(a.flows().len(), 32);
    let decode = a
        .anomalies()
        .into_iter()
        .filter(|r| r["anomaly"]["type"] == "decode")
        .count();
    assert_eq!(decode, 8);
    assert_eq!(sorted_lines(&a, "flow"), sorted_lines(&c, "flow"));
    assert_eq!(sorted_lines(&a, "anomaly"), sorted_lines(&c, "anomaly"));
    let (sa, sc) = (
        &a.eve.last().unwrap()["stats"],
        &c.eve.last().unwrap()["stats"],
    );
    assert_eq!(sa["decoder"], sc["decoder"]);
    assert_eq!(sa["defrag"], sc["defrag"]);
}

/// Twelve flows go idle at T0; one more packet comes 100 s later. With one
/// worker, that packet's time ends the twelve by timeout (stamped with
/// their deadlines). With three workers, the workers that see no later
/// packet must still end them by timeout, not as "shutdown" at the end of
/// the input: flow records must not depend on how flows were spread.
#[test]
fn idle_flows_time_out_the_same_with_three_workers() {
    let mut p = PcapFile::new();
    for i in 0..12u8 {
        let f = Packet::ether(mac(i), mac(200))
            .ipv4([10, 7, 0, 1 + i], [10, 7, 1, 1 + i])
            .udp(30000 + u16::from(i), 161)
            .payload(b"get")
            .build();
        p.add(T0, u32::from(i) * 1000, &f);
    }
    let last = Packet::ether(mac(99), mac(200))
        .ipv4([10, 8, 0, 1], [10, 8, 0, 2])
        .udp(1, 2)
        .build();
    p.add(T0 + 100, 0, &last);
    let bytes = p.to_bytes();
    let one = run_capture("idle-1", &bytes, &[]);
    let flows = one.flows();
    assert_eq!(flows.len(), 13);
    let timeouts: Vec<_> = flows
        .iter()
        .filter(|f| f["flow"]["reason"] == "timeout")
        .collect();
    assert_eq!(timeouts.len(), 12, "{}", one.eve_text);
    for f in timeouts {
        assert_eq!(f["timestamp"], "2026-01-15T08:00:30.000000+0000");
    }
    let three = run_capture("idle-3", &bytes, &["--workers", "3"]);
    assert_eq!(sorted_lines(&one, "flow"), sorted_lines(&three, "flow"));
    let (s1, s3) = (
        &one.eve.last().unwrap()["stats"],
        &three.eve.last().unwrap()["stats"],
    );
    assert_eq!(s1["flow"]["mgr"], s3["flow"]["mgr"]);
}
