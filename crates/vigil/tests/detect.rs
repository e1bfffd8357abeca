//! End-to-end detection: captures built in code and rule files go through
//! the `vigil` binary; the `alert` records are checked (sids, counts,
//! orientation, packet numbers) as Suricata would write them.

mod common;

use common::{Run, TempDir, run_bytes};
use serde_json::Value;
use std::net::Ipv4Addr;
use vigil_testkit::{
    Close, Direction, Endpoint, Frame, Packet, PcapFile, TcpConversation, Timestamp, UdpExchange,
};

/// 2026-01-15T08:00:00Z.
const T0: u32 = 1_768_464_000;
const CMAC: [u8; 6] = [2, 0, 0, 0, 0, 1];
const SMAC: [u8; 6] = [2, 0, 0, 0, 0, 2];

fn uu(v: &Value) -> u64 {
    v.as_u64().unwrap_or_else(|| panic!("not a number: {v}"))
}

fn ss(v: &Value) -> &str {
    v.as_str().unwrap_or_else(|| panic!("not a string: {v}"))
}

fn pcap(frames: &[Frame]) -> Vec<u8> {
    let mut p = PcapFile::new();
    p.extend(frames);
    p.to_bytes()
}

fn run_rules(dir: &TempDir, capture: &[u8], rules: &str) -> Run {
    let path = dir.join("test.rules");
    std::fs::write(&path, rules).expect("write rules");
    let r = run_bytes(
        dir,
        capture,
        &["-S", path.to_str().expect("utf8 path"), "-k", "none"],
    );
    r.assert_ok();
    r
}

fn sids(run: &Run) -> Vec<u64> {
    run.records("alert")
        .iter()
        .map(|a| uu(&a["alert"]["signature_id"]))
        .collect()
}

/// (sid, pcap_cnt) of each alert, in output order.
fn sids_and_packets(run: &Run) -> Vec<(u64, Value)> {
    run.records("alert")
        .iter()
        .map(|a| (uu(&a["alert"]["signature_id"]), a["pcap_cnt"].clone()))
        .collect()
}

fn client() -> Endpoint {
    Endpoint::new(CMAC, Ipv4Addr::new(10, 0, 0, 1), 40000)
}

fn server(port: u16) -> Endpoint {
    Endpoint::new(SMAC, Ipv4Addr::new(10, 0, 0, 2), port)
}

#[test]
fn udp_payload_rules_alert_per_packet() {
    let dir = TempDir::new("det-udp");
    let frames = UdpExchange::new(client(), server(9999))
        .start(Timestamp::new(T0, 0))
        .send(Direction::ToServer, b"hello EVIL world")
        .send(Direction::ToClient, b"EVIL reply")
        .send(Direction::ToServer, b"benign")
        .frames();
    let run = run_rules(
        &dir,
        &pcap(&frames),
        concat!(
            "alert udp any any -> any 9999 (msg:\"evil to server\"; content:\"evil\"; nocase; sid:1; rev:2; classtype:trojan-activity; metadata:tag a, tag b;)\n",
            "alert udp any any -> any any (msg:\"reply\"; content:\"reply\"; flow:to_client; sid:2;)\n",
            "alert udp any any -> any any (msg:\"never\"; content:\"absent\"; sid:3;)\n",
            "alert udp any any -> any any (msg:\"dsize\"; dsize:6; sid:4;)\n",
        ),
    );
    let alerts = run.records("alert");
    assert_eq!(sids(&run), vec![1, 2, 4]);
    let a = alerts[0];
    assert_eq!(uu(&a["pcap_cnt"]), 1);
    assert_eq!(ss(&a["src_ip"]), "10.0.0.1");
    assert_eq!(uu(&a["dest_port"]), 9999);
    assert_eq!(ss(&a["alert"]["action"]), "allowed");
    assert_eq!(uu(&a["alert"]["gid"]), 1);
    assert_eq!(uu(&a["alert"]["rev"]), 2);
    assert_eq!(ss(&a["alert"]["signature"]), "evil to server");
    assert_eq!(ss(&a["alert"]["category"]), "A Network Trojan was detected");
    assert_eq!(uu(&a["alert"]["severity"]), 1);
    assert_eq!(a["alert"]["metadata"]["tag"], serde_json::json!(["a", "b"]));
    assert_eq!(ss(&a["direction"]), "to_server");
    assert_eq!(ss(&a["flow"]["src_ip"]), "10.0.0.1");
    // The reply is oriented from the server.
    assert_eq!(ss(&alerts[1]["src_ip"]), "10.0.0.2");
    assert_eq!(ss(&alerts[1]["direction"]), "to_client");
    // flow.alerted and the detect counter.
    assert_eq!(run.flows()[0]["flow"]["alerted"], serde_json::json!(true));
    assert_eq!(uu(&run.stats()["detect"]["alert"]), 3);
}

#[test]
fn tcp_stream_rules_see_data_split_over_segments() {
    let dir = TempDir::new("det-stream");
    let frames = TcpConversation::new(client(), server(7777))
        .start(Timestamp::new(T0, 0))
        .client(b"first part MALW")
        .client(b"ARE second part")
        .server(b"ok")
        .close(Close::Fin(Direction::ToServer))
        .frames();
    let run = run_rules(
        &dir,
        &pcap(&frames),
        "alert tcp any any -> any 7777 (msg:\"split\"; flow:established,to_server; content:\"MALWARE\"; sid:10;)\n",
    );
    // Found once, on the reassembled stream.
    assert_eq!(sids(&run), vec![10], "{}", run.eve_text);
}

#[test]
fn flowbits_set_then_isset_and_noalert() {
    let dir = TempDir::new("det-flowbits");
    let frames = UdpExchange::new(client(), server(5000))
        .start(Timestamp::new(T0, 0))
        .send(Direction::ToServer, b"LOGIN user")
        .send(Direction::ToServer, b"GET secret")
        .send(Direction::ToServer, b"GET secret")
        .frames();
    let run = run_rules(
        &dir,
        &pcap(&frames),
        concat!(
            "alert udp any any -> any any (msg:\"login\"; content:\"LOGIN\"; flowbits:set,logged; flowbits:noalert; sid:20;)\n",
            "alert udp any any -> any any (msg:\"secret after login\"; content:\"secret\"; flowbits:isset,logged; sid:21;)\n",
            "alert udp any any -> any any (msg:\"secret without login\"; content:\"secret\"; flowbits:isnotset,logged; sid:22;)\n",
        ),
    );
    assert_eq!(sids(&run), vec![21, 21]);
}

#[test]
fn threshold_limit_and_detection_filter() {
    let dir = TempDir::new("det-threshold");
    let mut ex = UdpExchange::new(client(), server(6000)).start(Timestamp::new(T0, 0));
    for _ in 0..6 {
        ex = ex.send(Direction::ToServer, b"ping-x");
    }
    let run = run_rules(
        &dir,
        &pcap(&ex.frames()),
        concat!(
            "alert udp any any -> any any (msg:\"limit\"; content:\"ping\"; threshold:type limit, track by_src, count 2, seconds 60; sid:30;)\n",
            "alert udp any any -> any any (msg:\"df\"; content:\"ping\"; detection_filter:track by_src, count 4, seconds 60; sid:31;)\n",
        ),
    );
    let s = sids(&run);
    assert_eq!(s.iter().filter(|x| **x == 30).count(), 2);
    assert_eq!(s.iter().filter(|x| **x == 31).count(), 2);
}

#[test]
fn header_keywords_and_pcre() {
    let dir = TempDir::new("det-header");
    let frames = vec![
        Frame {
            ts: Timestamp::new(T0, 0),
            dir: Direction::ToServer,
            data: Packet::ether(CMAC, SMAC)
                .ipv4([10, 0, 0, 1], [10, 0, 0, 2])
                .ttl(3)
                .udp(1234, 53)
                .payload(b"abc123def")
                .build(),
        },
        Frame {
            ts: Timestamp::new(T0, 1000),
            dir: Direction::ToServer,
            data: Packet::ether(CMAC, SMAC)
                .ipv4([10, 0, 0, 1], [10, 0, 0, 2])
                .ttl(64)
                .udp(1234, 53)
                .payload(b"abcdef")
                .build(),
        },
    ];
    let run = run_rules(
        &dir,
        &pcap(&frames),
        concat!(
            "alert udp any any -> any 53 (msg:\"low ttl\"; ttl:<5; sid:40;)\n",
            "alert udp any any -> any 53 (msg:\"digits\"; content:\"abc\"; pcre:\"/^[0-9]{3}/R\"; sid:41;)\n",
            "alert udp any any -> any !53 (msg:\"wrong port\"; sid:42;)\n",
        ),
    );
    assert_eq!(sids(&run), vec![40, 41]);
}

#[test]
fn rules_check_reports_counts_and_unsupported() {
    let dir = TempDir::new("det-check");
    let path = dir.join("r.rules");
    std::fs::write(
        &path,
        concat!(
            "alert tcp any any -> any any (msg:\"ok\"; content:\"x\"; sid:1;)\n",
            "alert tcp any any -> any any (msg:\"bad\"; content:\"x\"; nosuchkeyword; sid:2;)\n",
            "alert tcp any any -> any any (msg:\"later\"; geoip:src,RU; sid:3;)\n",
        ),
    )
    .expect("write");
    let out = std::process::Command::new(common::vigil_bin())
        .args(["rules", "check"])
        .arg(&path)
        .output()
        .expect("run");
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{text}");
    assert!(text.contains("2 loaded, 1 failed"), "{text}");
    assert!(text.contains("geoip"), "{text}");
}

#[test]
fn init_errors_fatal_on_bad_rule() {
    let dir = TempDir::new("det-fatal");
    let path = dir.join("r.rules");
    std::fs::write(
        &path,
        "alert tcp any any -> any any (msg:\"bad\"; pcre:\"/(/\"; sid:1;)\n",
    )
    .expect("write");
    let frames = UdpExchange::new(client(), server(1))
        .send(Direction::ToServer, b"x")
        .frames();
    let capture = dir.join("c.pcap");
    std::fs::write(&capture, pcap(&frames)).expect("write");
    let out = std::process::Command::new(common::vigil_bin())
        .args(["--init-errors-fatal", "-S"])
        .arg(&path)
        .arg("-r")
        .arg(&capture)
        .arg("-l")
        .arg(dir.join("out"))
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(1));
    std::fs::write(
        &path,
        "alert tcp any any -> any any (content:\"a\"; byte_jump:no_var,0; sid:1;)\n",
    )
    .expect("write");
    let out = std::process::Command::new(common::vigil_bin())
        .args(["--init-errors-fatal", "-S"])
        .arg(&path)
        .arg("-r")
        .arg(&capture)
        .arg("-l")
        .arg(dir.join("out"))
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(1));
    // suricata.log as Suricata writes it: the reason, "error parsing
    // signature", the summary, then the fatal line.
    let log = std::fs::read_to_string(dir.join("out").join("suricata.log")).expect("log");
    let errors: Vec<&str> = log.lines().filter(|l| l.starts_with("Error")).collect();
    assert_eq!(errors.len(), 3, "{log}");
    assert_eq!(
        errors[0],
        "Error: detect: keyword 'byte_jump': Unknown byte_extract var seen in byte_jump - no_var"
    );
    assert!(
        errors[1].starts_with("Error: detect: error parsing signature from file "),
        "{log}"
    );
    assert_eq!(errors[2], "Error: suricata: Loading signatures failed.");
}

#[test]
fn ips_mode_inspects_the_stream_before_it_is_acknowledged() {
    // --simulate-ips makes the stream inline (Suricata's stream.inline
    // auto): the server's data is inspected on its own packet, not when
    // the client acknowledges it.
    let dir = TempDir::new("det-ips-inline");
    let frames = TcpConversation::new(client(), server(7777))
        .start(Timestamp::new(T0, 0))
        .client(b"hello")
        .server(b"HTTP reply")
        .close(Close::Fin(Direction::ToServer))
        .frames();
    let rules = dir.join("r.rules");
    std::fs::write(
        &rules,
        "alert tcp any any -> any any (flow:to_client; content:\"HTTP\"; sid:1;)\n",
    )
    .expect("write");
    let server_data_pkt = |args: &[&str]| {
        let mut all = vec!["-S", rules.to_str().expect("utf8 path"), "-k", "none"];
        all.extend_from_slice(args);
        let r = run_bytes(&dir, &pcap(&frames), &all);
        r.assert_ok();
        let alerts = r.records("alert");
        assert_eq!(alerts.len(), 1, "{}", r.eve_text);
        uu(&alerts[0]["pcap_cnt"])
    };
    let ids = server_data_pkt(&[]);
    let ips = server_data_pkt(&["--simulate-ips"]);
    assert!(ips < ids, "IPS alert at packet {ips}, IDS at {ids}");
}

#[test]
fn anchored_payload_rules_inspect_each_packet_and_the_stream() {
    let dir = TempDir::new("det-anchored");
    let frames = TcpConversation::new(client(), server(502))
        .start(Timestamp::new(T0, 0))
        .client(b"\x00\x01\x00\x00\x00\x02\x01\x2b")
        .server(b"\x00\x01\x00\x00\x00\x02\x01\xab")
        .client(b"\x00\x02\x00\x00\x00\x02\x01\x2b")
        .server(b"\x00\x02\x00\x00\x00\x02\x01\xab")
        .close(Close::Fin(Direction::ToServer))
        .frames();
    let run = run_rules(
        &dir,
        &pcap(&frames),
        concat!(
            // depth/offset: each request packet, and the stream at its end.
            "alert tcp any any -> any 502 (msg:\"anchored\"; flow:established,to_server; content:\"|00 00|\"; offset:2; depth:2; content:\"|2b|\"; offset:7; depth:1; sid:30;)\n",
            // No anchor: the stream only.
            "alert tcp any any -> any 502 (msg:\"floating\"; flow:established,to_server; content:\"|01 2b|\"; sid:31;)\n",
        ),
    );
    let got = sids_and_packets(&run);
    // As Suricata 7.0.10 on the same capture: the anchored rule on both
    // request packets (4, 6) and on the stream when the client's FIN
    // flushes it (8); the floating one on that stream chunk only.
    let want = [(30, 4), (30, 6), (30, 8), (31, 8)];
    let want: Vec<(u64, Value)> = want.iter().map(|&(s, c)| (s, Value::from(c))).collect();
    assert_eq!(got, want, "{}", run.eve_text);
}

#[test]
fn application_rules_with_payload_match_both() {
    let dir = TempDir::new("det-mixed");
    let frames = TcpConversation::new(client(), server(80))
        .start(Timestamp::new(T0, 0))
        .client(b"GET /a HTTP/1.1\r\nHost: x\r\nUser-Agent: ZZ\r\n\r\n")
        .server(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
        .close(Close::Fin(Direction::ToServer))
        .frames();
    let run = run_rules(
        &dir,
        &pcap(&frames),
        concat!(
            "alert http any any -> any any (msg:\"mixed\"; flow:to_server; content:\"User-Agent: ZZ\"; http.uri; content:\"/a\"; sid:20;)\n",
            "alert http any any -> any any (msg:\"mixed, payload absent\"; flow:to_server; content:\"nothere\"; http.uri; content:\"/a\"; sid:21;)\n",
        ),
    );
    let got = sids_and_packets(&run);
    // As Suricata 7.0.10: the request's payload part is found on the
    // stream chunk its completion triggers (client packet 6, after the
    // server's response acknowledged it); the rule whose payload part is
    // absent stays silent.
    assert_eq!(got, vec![(20, Value::from(6))], "{}", run.eve_text);
}

#[test]
fn tag_logs_the_following_packets_of_the_session() {
    let dir = TempDir::new("det-tag");
    let frames = TcpConversation::new(client(), server(22))
        .start(Timestamp::new(T0, 0))
        .client(b"SSH-2.0-x\r\n")
        .server(b"SSH-2.0-y\r\n")
        .close(Close::Fin(Direction::ToServer))
        .frames();
    let conf = dir.join("tag.yaml");
    std::fs::write(
        &conf,
        "%YAML 1.1\n---\noutputs:\n  - eve-log:\n      enabled: yes\n      filetype: regular\n      filename: eve.json\n      types:\n        - alert:\n            tagged-packets: yes\n        - flow\n",
    )
    .expect("write config");
    let rules = dir.join("tag.rules");
    std::fs::write(
        &rules,
        "alert tcp any any -> any any (msg:\"syn\"; flags:S; tag:session,3,packets; sid:40;)\n",
    )
    .expect("write rules");
    let run = run_bytes(
        &dir,
        &pcap(&frames),
        &[
            "-c",
            conf.to_str().expect("utf8 path"),
            "-S",
            rules.to_str().expect("utf8 path"),
            "-k",
            "none",
        ],
    );
    run.assert_ok();
    assert_eq!(sids(&run), vec![40]);
    // Three packets counting the SYN: the SYN/ACK and the ACK are logged.
    let tagged: Vec<u64> = run
        .records("packet")
        .iter()
        .map(|p| uu(&p["pcap_cnt"]))
        .collect();
    assert_eq!(tagged, vec![2, 3], "{}", run.eve_text);
    let first = run.records("packet")[0];
    assert_eq!(uu(&first["packet_info"]["linktype"]), 1);
    assert!(!ss(&first["packet"]).is_empty());
}

#[test]
fn flow_end_alerts_name_their_pseudo_packet() {
    // Data of a flow still open at the end of the capture is inspected on
    // a pseudo packet: no pcap_cnt, pkt_src "stream (flow timeout)".
    let dir = TempDir::new("det-pseudo");
    let frames = TcpConversation::new(client(), server(7777))
        .start(Timestamp::new(T0, 0))
        .client(b"short MALWARE")
        .frames();
    // Handshake and the client's data, never acknowledged.
    let open = frames.get(..4).expect("handshake and data");
    let run = run_rules(
        &dir,
        &pcap(open),
        "alert tcp any any -> any 7777 (flow:to_server; content:\"MALWARE\"; sid:1;)\n",
    );
    let alerts = run.records("alert");
    assert_eq!(alerts.len(), 1, "{}", run.eve_text);
    assert!(alerts[0].get("pcap_cnt").is_none(), "{}", run.eve_text);
    assert_eq!(ss(&alerts[0]["pkt_src"]), "stream (flow timeout)");
}
