//! End-to-end: IEC 61850 GOOSE frames (EtherType 0x88b8, not IP) through
//! the `vigil` binary: `goose` records, their anomalies, stats, the eve-log
//! switch and worker independence. Corpus captures are skipped with a
//! message when ../shared/corpus is absent; hand-built captures always run.

mod common;

use common::{Run, TempDir, run_bytes, run_file};
use serde_json::{Value, json};
use std::path::PathBuf;
use vigil_testkit::PcapFile;

fn corpus(name: &str) -> Option<PathBuf> {
    let p = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/corpus/ics-pcap/iec61850-goose")
        .join(name);
    if p.exists() {
        Some(p)
    } else {
        eprintln!("skipping: {} not found", p.display());
        None
    }
}

fn goose_anomalies(run: &Run) -> Vec<(u64, String)> {
    run.anomalies()
        .into_iter()
        .filter(|a| a["anomaly"]["app_proto"] == "goose")
        .map(|a| {
            (
                a["pcap_cnt"].as_u64().unwrap(),
                a["anomaly"]["event"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

#[test]
fn corpus_ge_f650_records_and_restart() {
    let Some(input) = corpus("ITI+ICS-Security-Tools__pcaps_IEC61850_GOOSE_GOOSE.pcap") else {
        return;
    };
    let dir = TempDir::new("goose-ge");
    let run = run_file(&dir, &input, &["-k", "none"]);
    run.assert_ok();
    let recs = run.records("goose");
    assert_eq!(recs.len(), 8);
    let bits = json!({"bit_string": "0000000000000"});
    let f = json!({"boolean": false});
    assert_eq!(
        *recs[0],
        json!({
            "timestamp": "2008-07-15T15:20:43.118812+0000",
            "pcap_cnt": 1,
            "event_type": "goose",
            "pkt_src": "wire/pcap",
            "ether": {"src_mac": "00:a0:f4:08:2f:77", "dest_mac": "01:a0:f4:08:2f:77"},
            "goose": {
                "appid": 1, "length": 145, "reserved1": 0, "reserved2": 0,
                "gocb_ref": "GEDeviceF650/LLN0$GO$gcb01",
                "time_allowed_to_live": 40000,
                "dat_set": "GEDeviceF650/LLN0$GOOSE1",
                "go_id": "F650_GOOSE1",
                "t": "2000-01-02T02:46:11.258165836Z",
                "t_quality": {"leap_seconds_known": false, "clock_failure": false,
                              "clock_not_synchronized": false, "accuracy": 10},
                "st_num": 1, "sq_num": 10, "simulation": false, "conf_rev": 1,
                "nds_com": false, "num_dat_set_entries": 8, "data_count": 8,
                "data": [f, bits, f, bits, f, bits, f, bits]
            }
        })
    );
    let seq: Vec<(u64, u64, u64)> = recs
        .iter()
        .map(|r| {
            (
                r["goose"]["st_num"].as_u64().unwrap(),
                r["goose"]["sq_num"].as_u64().unwrap(),
                r["goose"]["time_allowed_to_live"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        seq,
        [
            (1, 10, 40000),
            (1, 11, 40000),
            (1, 12, 40000),
            (1, 1, 1000),
            (1, 2, 1000),
            (1, 3, 1000),
            (1, 4, 2000),
            (1, 5, 40000)
        ]
    );
    // The device restarted (new t, sqNum back to 1) between frames 3 and 4.
    assert_eq!(
        goose_anomalies(&run),
        [(4, "GOOSE_PUBLISHER_RESTART".to_string())]
    );
    // The frames still count as an unknown EtherType, as in Suricata.
    let s = run.stats();
    assert_eq!(s["decoder"]["unknown_ethertype"], 8);
    assert_eq!(s["decoder"]["goose"], 8);
    assert_eq!(
        s["goose"],
        json!({"pdus": 8, "malformed": 0, "publishers": 1, "publishers_evicted": 0})
    );
    assert!(run.flows().is_empty());
}

#[test]
fn corpus_vlan_tagged_and_workers() {
    let Some(demo) = corpus("ITI+ICS-Security-Tools__pcaps_IEC61850_GOOSE_GOOSE_DEMO.pcap") else {
        return;
    };
    let dir = TempDir::new("goose-demo");
    let run = run_file(&dir, &demo, &["-k", "none"]);
    run.assert_ok();
    let recs = run.records("goose");
    assert_eq!(recs.len(), 1);
    assert_eq!(recs[0]["vlan"], json!([10]));
    assert_eq!(recs[0]["goose"]["appid"], 0x2000);
    assert_eq!(recs[0]["goose"]["t"], "2011-05-26T00:55:54.859000027Z");

    // Priority-tagged (VLAN 0) frames of three publishers sharing an APPID.
    let Some(sample) =
        corpus("ITI+ICS-Security-Tools__pcaps_IEC61850_GOOSE_Sample_File_GOOSE.pcap")
    else {
        return;
    };
    let one = run_file(&TempDir::new("goose-s1"), &sample, &["-k", "none"]);
    let three = run_file(
        &TempDir::new("goose-s3"),
        &sample,
        &["-k", "none", "--workers", "3"],
    );
    one.assert_ok();
    three.assert_ok();
    assert_eq!(one.records("goose").len(), 451);
    assert!(one.records("goose").iter().all(|r| r["vlan"] == json!([0])));
    // This simulator changes values at sqNum 2 and bumps stNum one message
    // later: 18 times in the capture.
    let events = goose_anomalies(&one);
    assert_eq!(events.len(), 18);
    assert!(
        events
            .iter()
            .all(|(_, e)| e == "GOOSE_DATA_CHANGE_WITHOUT_STNUM")
    );
    assert_eq!(one.stats()["goose"]["publishers"], 3);
    // Non-IP frames go to one worker: the same records with three workers.
    let lines = |r: &Run| {
        let mut v: Vec<String> = r
            .eve
            .iter()
            .filter(|x| x["event_type"] == "goose" || x["event_type"] == "anomaly")
            .map(Value::to_string)
            .collect();
        v.sort();
        v
    };
    assert_eq!(lines(&one), lines(&three));
}

/// An Ethernet frame from `src` to the GOOSE multicast address, 802.1Q
/// priority-tagged, carrying `payload` (APPID onwards).
fn frame(src: [u8; 6], payload: &[u8]) -> Vec<u8> {
    let mut f = vec![0x01, 0x0c, 0xcd, 0x01, 0x00, 0x01];
    f.extend_from_slice(&src);
    f.extend_from_slice(&[0x81, 0x00, 0x80, 0x00, 0x88, 0xb8]);
    f.extend_from_slice(payload);
    f
}

fn tlv(tag: u8, v: &[u8]) -> Vec<u8> {
    let mut out = vec![tag, v.len() as u8];
    out.extend_from_slice(v);
    out
}

/// A GOOSE payload of publisher "IED1" with `st`, `sq` and one boolean.
fn goose(st: u8, sq: u8, value: bool) -> Vec<u8> {
    let pdu = [
        tlv(0x80, b"IED1LD0/LLN0$GO$gcb1"),
        tlv(0x81, &[0x07, 0xd0]),
        tlv(0x82, b"IED1LD0/LLN0$DS1"),
        tlv(0x84, &[0x69, 0x68, 0xa9, 0x80, 0x80, 0, 0, 0x0a]),
        tlv(0x85, &[st]),
        tlv(0x86, &[sq]),
        tlv(0x88, &[1]),
        tlv(0x8a, &[1]),
        tlv(0xab, &tlv(0x83, &[u8::from(value)])),
    ]
    .concat();
    let apdu = tlv(0x61, &pdu);
    let mut out = vec![0x30, 0x01];
    out.extend_from_slice(&((8 + apdu.len()) as u16).to_be_bytes());
    out.extend_from_slice(&[0, 0, 0, 0]);
    out.extend_from_slice(&apdu);
    out
}

const T0: u32 = 1_768_464_000;
const IED: [u8; 6] = [0x02, 0, 0, 0, 0, 0x11];

fn attack_capture() -> Vec<u8> {
    let mut p = PcapFile::new();
    p.add(T0, 0, &frame(IED, &goose(5, 0, false)));
    p.add(T0, 4_000, &frame(IED, &goose(5, 1, false)));
    // A trip injected with a far higher stNum, then the captured frame
    // replayed, then the old state again.
    p.add(
        T0,
        8_000,
        &frame([0x02, 0, 0, 0, 0, 0x66], &goose(200, 0, true)),
    );
    p.add(T0, 9_000, &frame(IED, &goose(200, 0, true)));
    p.add(T0, 10_000, &frame(IED, &goose(200, 0, true)));
    p.add(T0, 12_000, &frame(IED, &goose(5, 2, false)));
    // A frame whose length field is below the header size.
    p.add(
        T0,
        13_000,
        &frame(IED, &[0x30, 0x01, 0x00, 0x04, 0, 0, 0, 0]),
    );
    p.to_bytes()
}

#[test]
fn built_attack_capture_anomalies() {
    let dir = TempDir::new("goose-attack");
    let run = run_bytes(&dir, &attack_capture(), &["-k", "none"]);
    run.assert_ok();
    assert_eq!(run.records("goose").len(), 6);
    assert_eq!(
        goose_anomalies(&run),
        [
            (4, "GOOSE_STNUM_JUMP".to_string()),
            (5, "GOOSE_REPLAY".to_string()),
            (6, "GOOSE_STNUM_ROLLBACK".to_string()),
            (7, "GOOSE_INVALID_LENGTH".to_string()),
        ]
    );
    let replay = run
        .anomalies()
        .into_iter()
        .find(|a| a["anomaly"]["event"] == "GOOSE_REPLAY")
        .unwrap()
        .clone();
    assert_eq!(
        replay,
        json!({
            "timestamp": "2026-01-15T08:00:00.010000+0000",
            "pcap_cnt": 5,
            "event_type": "anomaly",
            "vlan": [0],
            "pkt_src": "wire/pcap",
            "ether": {"src_mac": "02:00:00:00:00:11", "dest_mac": "01:0c:cd:01:00:01"},
            "app_proto": "goose",
            "anomaly": {"app_proto": "goose", "type": "applayer",
                        "event": "GOOSE_REPLAY", "layer": "proto_parser"}
        })
    );
    let s = run.stats();
    assert_eq!(
        s["goose"],
        json!({"pdus": 6, "malformed": 1, "publishers": 2, "publishers_evicted": 0})
    );
    assert_eq!(s["decoder"]["goose"], 7);
}

#[test]
fn eve_log_types_switch_goose_records() {
    let bytes = attack_capture();
    // A Suricata eve-log types list without `goose`: no goose records, the
    // applayer anomalies stay.
    let run = run_bytes(
        &TempDir::new("goose-off"),
        &bytes,
        &[
            "-k",
            "none",
            "--set",
            "outputs.0.eve-log.enabled=yes",
            "--set",
            "outputs.0.eve-log.types.0=anomaly",
        ],
    );
    run.assert_ok();
    assert!(run.records("goose").is_empty());
    assert_eq!(goose_anomalies(&run).len(), 4);
    let run = run_bytes(
        &TempDir::new("goose-on"),
        &bytes,
        &[
            "-k",
            "none",
            "--set",
            "outputs.0.eve-log.enabled=yes",
            "--set",
            "outputs.0.eve-log.types.0=goose",
        ],
    );
    run.assert_ok();
    assert_eq!(run.records("goose").len(), 6);
    assert!(goose_anomalies(&run).is_empty());
    // Without the application layer, GOOSE is not decoded.
    let run = run_bytes(
        &TempDir::new("goose-noapp"),
        &bytes,
        &["-k", "none", "--set", "app-layer.enabled=false"],
    );
    run.assert_ok();
    assert!(run.records("goose").is_empty());
    assert!(goose_anomalies(&run).is_empty());
}
