//! BACnet/IP over the shared corpus (skips when it is absent): every UDP
//! datagram goes through per-flow detection and the parser, as the worker
//! feeds it (the first sender of a flow is its initiator).

use std::collections::HashMap;
use std::net::IpAddr;
use std::path::{Path, PathBuf};

use vigil_eve::JsonWriter;
use vigil_proto::{AppState, DetectionConfig, Direction, ParseOutput, Transport};
use vigil_wire::Decoded;

fn corpus() -> Option<PathBuf> {
    let dir =
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/corpus/ics-pcap/bacnet");
    if dir.is_dir() {
        Some(dir)
    } else {
        eprintln!("skipping: corpus {} not present", dir.display());
        None
    }
}

#[derive(Default)]
struct Output {
    records: Vec<String>,
    events: Vec<&'static str>,
    /// Flows detected as bacnet / UDP flows with payload.
    bacnet_flows: usize,
    flows: usize,
}

type Endpoint = (IpAddr, u16);

fn drain(out: &mut ParseOutput, res: &mut Output) {
    for tx in out.txs.drain(..) {
        let mut buf = Vec::new();
        let mut w = JsonWriter::new(&mut buf);
        w.open_object();
        tx.write_eve(&mut w);
        w.close_object();
        assert_eq!(tx.event_type(), "bacnet");
        res.records
            .push(String::from_utf8(buf).expect("UTF-8 record"));
    }
    res.events.extend(out.events.drain(..).map(|e| e.name));
}

fn run(path: &Path) -> Output {
    let mut res = Output::default();
    let mut reader = vigil_capture::CaptureReader::open(path).expect("open capture");
    let mut flows: HashMap<(Endpoint, Endpoint), (Endpoint, AppState, bool)> = HashMap::new();
    let mut order = Vec::new();
    let mut out = ParseOutput::default();
    let mut dec = Decoded::default();
    while let Ok(Some(pkt)) = reader.next_packet() {
        vigil_wire::decode_packet(pkt.link, pkt.data, &mut dec);
        let (Some(ip), vigil_wire::Transport::Udp(udp)) = (dec.ip, dec.transport) else {
            continue;
        };
        let payload = dec.payload(pkt.data).to_vec();
        let a = (ip.src, udp.src_port);
        let b = (ip.dst, udp.dst_port);
        let key = if a < b { (a, b) } else { (b, a) };
        let (init, app, seen) = flows.entry(key).or_insert_with(|| {
            order.push(key);
            (
                a,
                AppState::new(Transport::Udp, a.1, b.1, DetectionConfig::default()),
                false,
            )
        });
        *seen |= !payload.is_empty();
        let dir = if a == *init {
            Direction::ToServer
        } else {
            Direction::ToClient
        };
        app.on_datagram(dir, &payload, &mut out);
        drain(&mut out, &mut res);
    }
    for key in order {
        if let Some((_, mut app, seen)) = flows.remove(&key) {
            app.finish(&mut out);
            drain(&mut out, &mut res);
            res.flows += usize::from(seen);
            if app.proto().map(|p| p.name()) == Some("bacnet") {
                res.bacnet_flows += 1;
            }
        }
    }
    res
}

fn capture(dir: &Path, part: &str) -> Output {
    let path = std::fs::read_dir(dir)
        .expect("corpus dir")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .find(|p| p.to_string_lossy().contains(part))
        .expect("capture present");
    run(&path)
}

#[test]
fn corpus_bacnet() {
    let Some(dir) = corpus() else {
        return;
    };

    // Every UDP flow with payload is BACnet/IP (nmap's empty probes are not).
    let out = capture(&dir, "BACnet_bacnet_test");
    assert_eq!(out.bacnet_flows, out.flows);
    assert_eq!(out.records.len(), 13);
    assert!(out.events.is_empty(), "{:?}", out.events);
    assert!(out.records.iter().any(|r| r.contains(concat!(
        r#""service":"readProperty","request":{"object":{"type":"device","instance":4194303},"property":"object-identifier"},"#,
        r#""response":{"bvlc_function":"original_unicast_npdu","npdu":{"version":1,"expecting_reply":false,"priority":"normal"},"#,
        r#""apdu_type":"complex_ack","object":{"type":"device","instance":4194303},"property":"object-identifier","#,
        r#""value":[{"object_identifier":{"type":"device","instance":500}}]}"#
    ))));
    assert!(
        out.records
            .iter()
            .any(|r| r.contains(r#""bvlc_function":"register_foreign_device""#))
    );

    // A segmented ComplexACK (three segments) reassembled: the device's object list.
    let out = capture(&dir, "segmented_data");
    assert!(out.events.is_empty(), "{:?}", out.events);
    let seg = out
        .records
        .iter()
        .find(|r| r.contains(r#""segmented":true,"segments":3"#))
        .expect("segmented record");
    assert!(
        seg.contains(r#""invoke_id":94,"service":"readProperty","segment_acks":2"#),
        "{seg}"
    );
    assert!(seg.contains(r#""property":"object-list","value":[{"object_identifier":{"type":"binary-input","instance":0}},"#), "{seg}");
    // The list has 400-odd identifiers: the record keeps the first 64.
    assert!(seg.ends_with(r#"{"object_identifier":{"type":"binary-output","instance":10057}}],"values_truncated":true}}}"#), "{seg}");

    // Error, Reject and Abort answers, one request direction only.
    let out = capture(&dir, "error_reject_abort");
    for want in [
        r#""apdu_type":"error""#,
        r#""apdu_type":"reject""#,
        r#""apdu_type":"abort""#,
    ] {
        assert!(out.records.iter().any(|r| r.contains(want)), "{want}");
    }

    // The password-guessing ReinitializeDevice requests: passwords matched
    // by rules, never logged; their length field is wrong in this capture.
    let out = capture(&dir, "bacnet_example");
    let reinit: Vec<&String> = out
        .records
        .iter()
        .filter(|r| r.contains(r#""service":"reinitializeDevice""#))
        .collect();
    assert_eq!(reinit.len(), 120);
    assert!(
        reinit
            .iter()
            .all(|r| r.contains(r#""password_present":true"#))
    );
    assert!(!reinit.iter().any(|r| r.contains("Delcatty")));
    let failed = reinit
        .iter()
        .filter(|r| r.contains(r#""error_code":"password-failure""#))
        .count();
    let accepted = reinit
        .iter()
        .filter(|r| r.ends_with(r#""apdu_type":"simple_ack"}}}"#))
        .count();
    assert_eq!((failed, accepted), (90, 30));
    assert!(
        out.events.iter().all(|e| *e == "BVLC_LENGTH_MISMATCH"),
        "{:?}",
        out.events
    );
}
