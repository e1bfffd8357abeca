//! End-to-end: the flow memory cap. A capture of many distinct one-packet
//! UDP flows runs under `--set flow.memcap=1mb`: every packet still ends up
//! in a flow record, flows are evicted (counted in `flow.memcap`), and the
//! number of flows held at once never exceeds what 1 MiB pays for.

mod common;

use common::{TempDir, pcap_header, pcap_record_header, run_file_unparsed, s, u};
use serde_json::Value;
use std::collections::HashSet;
use vigil_flow::{FLOW_COST, max_flows_for};

/// Number of flows (one packet each).
const FLOWS: u32 = 200_000;
/// 2026-01-15T08:00:00Z.
const T0: u32 = 1_768_464_000;
/// Ethernet + IPv4 + UDP headers + 4 payload bytes.
const FRAME_LEN: usize = 14 + 20 + 8 + 4;

fn ipv4_checksum(h: &[u8]) -> u16 {
    let mut sum: u32 = h
        .chunks(2)
        .map(|c| u32::from(u16::from_be_bytes([c[0], c[1]])))
        .sum();
    while sum > 0xffff {
        sum = (sum & 0xffff) + (sum >> 16);
    }
    !(sum as u16)
}

/// Source address and port of flow `i` (all distinct).
fn flow_source(i: u32) -> ([u8; 4], u16) {
    let ip = [10, (i >> 16) as u8, (i >> 8) as u8, i as u8];
    (ip, 1024 + (i % 50_000) as u16)
}

/// Writes the capture directly as bytes: `FLOWS` UDP packets from distinct
/// sources to 192.168.0.1:514, 10,000 per second (so the whole capture
/// spans 20 s, less than the 30 s UDP timeout: only the memory cap ends
/// flows before the end of the input).
fn capture() -> Vec<u8> {
    let mut out = pcap_header(65535, 1);
    out.reserve(FLOWS as usize * (16 + FRAME_LEN));
    let mut frame = [0u8; FRAME_LEN];
    frame[..6].copy_from_slice(&[2, 0, 0, 0, 0, 2]);
    frame[6..12].copy_from_slice(&[2, 0, 0, 0, 0, 1]);
    frame[12..14].copy_from_slice(&[0x08, 0x00]);
    for i in 0..FLOWS {
        let (src, sport) = flow_source(i);
        let ip = &mut frame[14..34];
        ip.copy_from_slice(&[
            0x45, 0, 0, 32, 0, 0, 0, 0, 64, 17, 0, 0, src[0], src[1], src[2], src[3], 192, 168, 0,
            1,
        ]);
        ip[4..6].copy_from_slice(&(i as u16).to_be_bytes());
        let ck = ipv4_checksum(ip);
        ip[10..12].copy_from_slice(&ck.to_be_bytes());
        let udp = &mut frame[34..];
        udp[..2].copy_from_slice(&sport.to_be_bytes());
        udp[2..4].copy_from_slice(&514u16.to_be_bytes());
        udp[4..6].copy_from_slice(&12u16.to_be_bytes());
        udp[6..8].copy_from_slice(&[0, 0]); // no checksum
        udp[8..].copy_from_slice(&i.to_be_bytes());
        pcap_record_header(
            &mut out,
            T0 + i / 10_000,
            (i % 10_000) * 100,
            FRAME_LEN as u32,
            FRAME_LEN as u32,
        );
        out.extend_from_slice(&frame);
    }
    out
}

#[test]
fn memcap_bounds_live_flows_and_loses_no_packet() {
    let dir = TempDir::new("memcap");
    let input = dir.join("flows.pcap");
    std::fs::write(&input, capture()).unwrap();
    let started = std::time::Instant::now();
    let run = run_file_unparsed(&dir, &input, &["--set", "flow.memcap=1mb"]);
    let elapsed = started.elapsed();
    run.assert_ok();

    let mut seen: HashSet<(String, u64)> = HashSet::with_capacity(FLOWS as usize);
    let (mut forced, mut shutdown, mut bytes) = (0u64, 0u64, 0u64);
    let mut stats: Option<Value> = None;
    let lines = run.eve_text.lines().count();
    for (n, line) in run.eve_text.lines().enumerate() {
        let v: Value = serde_json::from_str(line).unwrap_or_else(|e| panic!("{e}: {line}"));
        match v["event_type"].as_str() {
            Some("flow") => {
                assert_eq!(u(&v, "/flow/pkts_toserver"), 1, "{v}");
                assert_eq!(u(&v, "/flow/pkts_toclient"), 0, "{v}");
                bytes += u(&v, "/flow/bytes_toserver");
                match s(&v, "/flow/reason") {
                    "forced" => forced += 1,
                    "shutdown" => shutdown += 1,
                    other => panic!("unexpected reason {other}: {v}"),
                }
                let key = (s(&v, "/src_ip").to_string(), u(&v, "/src_port"));
                assert!(seen.insert(key), "flow logged twice: {v}");
            }
            Some("stats") => {
                assert_eq!(n + 1, lines, "stats is not the last record");
                stats = Some(v["stats"].clone());
            }
            other => panic!("unexpected record {other:?}: {line}"),
        }
    }
    // Every packet ended up in exactly one flow record, all distinct.
    assert_eq!(seen.len(), FLOWS as usize);
    assert_eq!(bytes, u64::from(FLOWS) * FRAME_LEN as u64);
    for i in [0, 1, 65_535, 65_536, FLOWS - 1] {
        let (ip, port) = flow_source(i);
        let key = (
            format!("{}.{}.{}.{}", ip[0], ip[1], ip[2], ip[3]),
            u64::from(port),
        );
        assert!(seen.contains(&key), "no flow for packet {i}: {key:?}");
    }

    let st = stats.expect("no stats record");
    assert_eq!(u(&st, "/decoder/pkts"), u64::from(FLOWS));
    assert_eq!(u(&st, "/flow/total"), u64::from(FLOWS));
    let evicted = u(&st, "/flow/memcap");
    assert!(evicted > 0, "nothing was evicted under a 1 MiB cap");
    assert_eq!(evicted, forced, "flow.memcap != forced flow records");
    assert_eq!(forced + shutdown, u64::from(FLOWS));
    assert_eq!(u(&st, "/flow/mgr/flows_timeout"), 0);

    // The cap is respected: no more flows at once than 1 MiB pays for.
    let cap = (1u64 << 20) / FLOW_COST as u64;
    let max_active = u(&st, "/flow/max_active");
    assert!(
        max_active <= cap,
        "max_active {max_active} exceeds 1 MiB / FLOW_COST ({FLOW_COST} bytes) = {cap}"
    );
    // ... and used: the table fills up to what its structures can hold
    // within the cap before evicting.
    assert_eq!(max_active, max_flows_for(1 << 20) as u64);
    assert!(max_active >= cap / 4, "max_active {max_active}, cap {cap}");
    // The flow table's reported memory stays within the cap.
    assert!(u(&st, "/flow/memuse") <= 1 << 20);
    // The flows still live at the end are the ones flushed at shutdown.
    assert!(shutdown <= max_active && shutdown > 0);
    eprintln!(
        "memcap: {FLOWS} flows, FLOW_COST {FLOW_COST} B, cap {cap}, max_active {max_active}, \
         evicted {evicted}, vigil ran {:.2} s",
        elapsed.as_secs_f64()
    );
}

/// `flow.memuse` is the memory the flow table uses now, not the most it
/// may use: nine flows under the default 128 MiB cap take far less than
/// 1 MiB.
#[test]
fn memuse_reports_memory_in_use_not_the_cap() {
    let dir = TempDir::new("memuse");
    let input = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../examples/sample-ot-it.pcap");
    let run = run_file_unparsed(&dir, &input, &[]);
    run.assert_ok();
    let last = run.eve_text.lines().last().expect("no records");
    let v: Value = serde_json::from_str(last).unwrap();
    assert_eq!(u(&v, "/stats/flow/total"), 9);
    let memuse = u(&v, "/stats/flow/memuse");
    assert!(
        memuse < 1 << 20,
        "flow.memuse {memuse} bytes for {} flows",
        u(&v, "/stats/flow/max_active")
    );
}
