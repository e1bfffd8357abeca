use super::*;

/// Builds one link frame: header with CRC, then `user` (transport header
/// + application bytes) in CRC'd blocks of 16.
pub(crate) fn frame(control: u8, dst: u16, src: u16, user: &[u8]) -> Vec<u8> {
    let mut hdr = vec![0x05, 0x64, (user.len() + 5) as u8, control];
    hdr.extend_from_slice(&dst.to_le_bytes());
    hdr.extend_from_slice(&src.to_le_bytes());
    let c = crc(&hdr);
    hdr.extend_from_slice(&c.to_le_bytes());
    for block in user.chunks(16) {
        hdr.extend_from_slice(block);
        hdr.extend_from_slice(&crc(block).to_le_bytes());
    }
    hdr
}

fn run(p: &mut Dnp3Parser, dir: Direction, data: &[u8]) -> ParseOutput {
    let mut out = ParseOutput::default();
    p.parse(dir, data, &mut out);
    out
}

fn eve(tx: &dyn Transaction) -> String {
    let mut buf = Vec::new();
    let mut w = JsonWriter::new(&mut buf);
    w.open_object();
    tx.write_eve(&mut w);
    w.close_object();
    String::from_utf8(buf).unwrap()
}

/// Read request: class 0 (g60v1, all).
fn read_class0() -> Vec<u8> {
    frame(0xc4, 10, 1, &[0xc0, 0xc0, 0x01, 60, 1, 0x06])
}

/// Response with g30v1 (2 points, range 0-1) and g1v2 (1 point, index 7).
fn response() -> Vec<u8> {
    let mut app = vec![0xc0, 0xc0, 0x81, 0x80, 0x00];
    app.extend_from_slice(&[30, 1, 0x00, 0, 1]);
    app.extend_from_slice(&[0x01, 0x2c, 0x01, 0x00, 0x00]); // flags 1, 300
    app.extend_from_slice(&[0x01, 0xff, 0xff, 0xff, 0xff]); // flags 1, -1
    app.extend_from_slice(&[1, 2, 0x00, 7, 7, 0x81]);
    frame(0x44, 1, 10, &app)
}

#[test]
fn crc_matches_known_vector() {
    // Link header of a real request: 05 64 05 c0 01 00 00 04 -> e9 21.
    assert_eq!(
        crc(&[0x05, 0x64, 0x05, 0xc0, 0x01, 0x00, 0x00, 0x04]),
        0x21e9
    );
}

#[test]
fn probe_start_bytes_and_banner() {
    assert_eq!(probe(Direction::ToServer, &read_class0()), Probe::Match);
    assert_eq!(probe(Direction::ToServer, &[0x05, 0x64]), Probe::NeedMore);
    assert_eq!(probe(Direction::ToServer, &[0; 12]), Probe::NoMatch);
    assert_eq!(
        probe(Direction::ToClient, b"DNP3 outstation ready"),
        Probe::Match
    );
    let mut short = read_class0();
    short[2] = 4;
    assert_eq!(probe(Direction::ToServer, &short), Probe::NoMatch);
}

#[test]
fn request_and_response_records() {
    let mut p = Dnp3Parser::new(Transport::Tcp);
    let out = run(&mut p, Direction::ToServer, &read_class0());
    assert_eq!(out.txs.len(), 1);
    assert!(out.events.is_empty());
    assert_eq!(
        eve(out.txs[0].as_ref()),
        r#"{"dnp3":{"type":"request","control":{"dir":true,"pri":true,"fcb":false,"fcv":false,"function_code":4},"src":1,"dst":10,"application":{"control":{"fir":true,"fin":true,"con":false,"uns":false,"sequence":0},"function_code":1,"objects":[{"group":60,"variation":1,"qualifier":6,"prefix_code":0,"range_code":6,"start":0,"stop":0,"count":0}],"complete":true}}}"#
    );
    let out = run(&mut p, Direction::ToClient, &response());
    assert_eq!(out.txs.len(), 1);
    let json = eve(out.txs[0].as_ref());
    assert!(
        json.starts_with(r#"{"dnp3":{"type":"response","control":{"dir":false,"pri":true"#),
        "{json}"
    );
    assert!(json.contains(r#"{"prefix":0,"index":0,"online":1,"restart":0,"comm_lost":0,"remote_forced":0,"local_forced":0,"over_range":0,"reference_err":0,"reserved0":0,"value":300}"#), "{json}");
    // Negative int32 logged as Suricata does (wrapped to unsigned).
    assert!(json.contains(r#""value":18446744073709551615}"#), "{json}");
    assert!(json.contains(r#"{"prefix":0,"index":7,"online":1,"restart":0,"comm_lost":0,"remote_forced":0,"local_forced":0,"chatter_filter":0,"reserved":0,"state":1}"#), "{json}");
    assert!(
        json.ends_with(r#""complete":true},"iin":{"indicators":["device_restart"]}}}"#),
        "{json}"
    );
    let tx = &out.txs[0];
    assert!(
        tx.buffer("dnp3_data")
            .unwrap()
            .starts_with(&[0xc0, 0x81, 0x80, 0x00, 30])
    );
}

#[test]
fn every_split_point_gives_the_same_records() {
    let whole: Vec<u8> = [read_class0(), response()].concat();
    let reference = {
        let mut p = Dnp3Parser::new(Transport::Tcp);
        let out = run(&mut p, Direction::ToClient, &whole);
        out.txs.iter().map(|t| eve(t.as_ref())).collect::<Vec<_>>()
    };
    assert_eq!(reference.len(), 2);
    for cut in 0..=whole.len() {
        let mut p = Dnp3Parser::new(Transport::Tcp);
        let mut out = ParseOutput::default();
        p.parse(Direction::ToClient, &whole[..cut], &mut out);
        p.parse(Direction::ToClient, &whole[cut..], &mut out);
        let got: Vec<_> = out.txs.iter().map(|t| eve(t.as_ref())).collect();
        assert_eq!(got, reference, "cut {cut}");
        assert!(out.events.is_empty());
    }
}

#[test]
fn multi_segment_message_is_reassembled() {
    // One request in two transport segments: FIR (seq 5), then FIN (seq 6).
    let first = frame(0xc4, 10, 1, &[0x45, 0xc0, 0x02, 80, 1, 0x00, 7]);
    let second = frame(0xc4, 10, 1, &[0x86, 7, 0x00]);
    let mut p = Dnp3Parser::new(Transport::Tcp);
    assert!(run(&mut p, Direction::ToServer, &first).txs.is_empty());
    let out = run(&mut p, Direction::ToServer, &second);
    assert_eq!(out.txs.len(), 1);
    let json = eve(out.txs[0].as_ref());
    assert!(
        json.contains(r#""points":[{"prefix":0,"index":7,"state":0}]"#),
        "{json}"
    );
}

#[test]
fn bad_crcs_and_unknown_objects_raise_events() {
    let mut p = Dnp3Parser::new(Transport::Tcp);
    run(
        &mut p,
        Direction::ToServer,
        &frame(0xc4, 10, 1, &[0x40, 0xc0, 0x01, 60, 1, 0x06]),
    );
    // A frame whose data CRC is wrong, while a message is open.
    let mut bad = read_class0();
    let n = bad.len();
    bad[n - 1] ^= 0xff;
    let out = run(&mut p, Direction::ToServer, &bad);
    assert_eq!(
        out.events.iter().map(|e| e.name).collect::<Vec<_>>(),
        ["BAD_TRANSPORT_CRC"]
    );
    // Unknown group 0 with a range: UNKNOWN_OBJECT, incomplete.
    let mut p = Dnp3Parser::new(Transport::Tcp);
    let out = run(
        &mut p,
        Direction::ToServer,
        &frame(0xc4, 10, 1, &[0xc1, 0xc1, 0x01, 0, 250, 0x00, 0, 0]),
    );
    assert_eq!(out.events[0].name, "UNKNOWN_OBJECT");
    assert!(eve(out.txs[0].as_ref()).contains(r#""complete":false"#));
    // A bad link header CRC stops the parser.
    let mut p = Dnp3Parser::new(Transport::Tcp);
    run(
        &mut p,
        Direction::ToServer,
        &frame(0xc4, 10, 1, &[0x40, 0xc0, 0x01, 60, 1, 0x06]),
    );
    let mut bad = read_class0();
    bad[8] ^= 1;
    let out = run(&mut p, Direction::ToServer, &bad);
    assert_eq!(out.events[0].name, "BAD_LINK_CRC");
    assert!(
        run(&mut p, Direction::ToServer, &read_class0())
            .txs
            .is_empty()
    );
}

#[test]
fn too_many_points_and_flood() {
    // g1v1 with range 0..65534.
    let mut p = Dnp3Parser::new(Transport::Tcp);
    let out = run(
        &mut p,
        Direction::ToServer,
        &frame(
            0xc4,
            10,
            1,
            &[0xc0, 0xc0, 0x02, 1, 1, 0x01, 0, 0, 0xfe, 0xff],
        ),
    );
    assert_eq!(out.events[0].name, "TOO_MANY_POINTS");
    // 40 unfinished messages (FIR without FIN) in one call: FLOODED once
    // the 33rd opens, and memory stays bounded.
    let mut p = Dnp3Parser::new(Transport::Tcp);
    let mut data = Vec::new();
    for i in 0..40u8 {
        data.extend(frame(
            0xc4,
            10,
            1,
            &[0x40 | (i % 64), 0xc0, 0x01, 60, 1, 0x06],
        ));
    }
    let out = run(&mut p, Direction::ToServer, &data);
    assert_eq!(out.events.iter().filter(|e| e.name == "FLOODED").count(), 8);
    assert!(p.txs.len() <= MAX_TX);
}

#[test]
fn crob_and_file_objects_decode() {
    // Select with g12v1, qualifier 0x28 (2-byte index prefix, 1-byte count).
    let app = [
        0xc0, 0xc0, 0x03, 12, 1, 0x28, 1, 0, 3, 0, 0x41, 1, 100, 0, 0, 0, 200, 0, 0, 0, 0,
    ];
    let mut p = Dnp3Parser::new(Transport::Tcp);
    let out = run(&mut p, Direction::ToServer, &frame(0xc4, 10, 1, &app));
    let json = eve(out.txs[0].as_ref());
    assert!(json.contains(r#"{"prefix":3,"index":3,"op_type":1,"qu":0,"cr":0,"tcc":1,"count":1,"ontime":100,"offtime":200,"status_code":0,"reserved":0}"#), "{json}");
    // g70v3 file command with a 2-byte size prefix (qualifier 0x5b).
    let name = b"a.txt";
    let mut obj = Vec::new();
    obj.extend_from_slice(&26u16.to_le_bytes());
    obj.extend_from_slice(&(name.len() as u16).to_le_bytes());
    obj.extend_from_slice(&[0; 6]); // created
    obj.extend_from_slice(&[0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 4, 30, 0]);
    obj.extend_from_slice(name);
    let mut app = vec![0xc9, 0xc9, 0x19, 70, 3, 0x5b, 1];
    app.extend_from_slice(&(obj.len() as u16).to_le_bytes());
    app.extend_from_slice(&obj);
    let mut p = Dnp3Parser::new(Transport::Tcp);
    let out = run(&mut p, Direction::ToServer, &frame(0xc4, 10, 1, &app));
    let json = eve(out.txs[0].as_ref());
    assert!(json.contains(r#""filename":"a.txt""#), "{json}");
    assert!(json.contains(r#""size":31"#), "{json}");
    assert!(json.contains(r#""request_id":30"#), "{json}");
    assert!(json.contains(r#""complete":true"#), "{json}");
}

#[test]
fn udp_datagrams_and_garbage_never_panic() {
    let mut p = Dnp3Parser::new(Transport::Udp);
    let out = run(&mut p, Direction::ToServer, &read_class0());
    assert_eq!(out.txs.len(), 1);
    let mut x = 0x9e37_79b9u32;
    let mut p = Dnp3Parser::new(Transport::Tcp);
    for i in 0..3000 {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        let mut chunk = if i % 3 == 0 {
            response()
        } else {
            read_class0()
        };
        let at = (x as usize) % chunk.len();
        chunk[at] = (x >> 8) as u8;
        let dir = if x & 1 == 0 {
            Direction::ToServer
        } else {
            Direction::ToClient
        };
        run(&mut p, dir, &chunk);
        if p.failed {
            p = Dnp3Parser::new(Transport::Tcp);
        }
    }
    // Every group/variation on short and random bodies.
    for g in 0..=255u8 {
        for v in 0..=20u8 {
            for q in [0x00u8, 0x17, 0x28, 0x5b, 0x07, 0x39] {
                let body = [g, v, q, 2, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11];
                let mut objects = Vec::new();
                let mut events = Vec::new();
                decode_objects(&body, &mut objects, &mut events);
            }
        }
    }
}

#[test]
fn message_of_many_frames_in_one_delivery_through_app_state() {
    // Suricata-verify dnp3-max-points: a write of g1v1 0..65534 (8192
    // bytes of packed points) in 33 frames, handed over in one piece on the
    // server's ACK. Bytes past the detection buffer must reach the parser:
    // one record, TOO_MANY_POINTS, objects incomplete.
    let mut app_data = vec![0xc0, 0x02, 1, 1, 0x01, 0x00, 0x00, 0xfe, 0xff];
    app_data.resize(app_data.len() + 8192, 0);
    let mut stream = Vec::new();
    let chunks: Vec<&[u8]> = app_data.chunks(249).collect();
    for (i, chunk) in chunks.iter().enumerate() {
        let mut th = (i % 64) as u8;
        if i == 0 {
            th |= 0x40;
        }
        if i + 1 == chunks.len() {
            th |= 0x80;
        }
        let mut user = vec![th];
        user.extend_from_slice(chunk);
        stream.extend(frame(0x44, 4, 3, &user));
    }
    assert!(stream.len() > crate::DetectionConfig::default().max_probe_bytes);
    let mut app = crate::AppState::new(
        Transport::Tcp,
        10000,
        20000,
        crate::DetectionConfig::default(),
    );
    let mut out = ParseOutput::default();
    app.on_stream(Direction::ToServer, &stream, &mut out);
    assert_eq!(out.txs.len(), 1);
    let json = eve(out.txs[0].as_ref());
    assert!(json.contains(r#""function_code":2,"objects":[{"group":1,"variation":1,"qualifier":1,"prefix_code":0,"range_code":1,"start":0,"stop":65534,"count":65535}],"complete":false"#), "{json}");
    assert_eq!(out.events.len(), 1);
    assert_eq!(out.events[0].name, "TOO_MANY_POINTS");
}

#[test]
fn short_object_logs_no_points() {
    // DNP3-Malformed.pcap: an operate with a CROB (g12v1) header of 128
    // points (range 0-127) but data for one: Suricata's decoder gives up
    // before the first point when fewer than count/8 bytes are left, so the
    // object is logged without points (UNKNOWN_OBJECT, incomplete).
    let mut app = vec![0xc2, 0x04, 12, 1, 0x00, 0, 127];
    app.extend_from_slice(&[0x01, 0x00, 0x03, 0x01, 0x64, 0, 0, 0, 0x64, 0, 0, 0]);
    let mut p = Dnp3Parser::new(Transport::Tcp);
    let mut user = vec![0xc0];
    user.extend_from_slice(&app);
    let out = run(&mut p, Direction::ToServer, &frame(0xc4, 10, 1, &user));
    assert_eq!(out.txs.len(), 1);
    let json = eve(out.txs[0].as_ref());
    assert!(json.contains(r#""objects":[{"group":12,"variation":1,"qualifier":0,"prefix_code":0,"range_code":0,"start":0,"stop":127,"count":128}],"complete":false"#), "{json}");
    assert_eq!(out.events[0].name, "UNKNOWN_OBJECT");
    // With 16 bytes left (128/8) the decoder starts and keeps the one
    // whole point it finds.
    app.extend_from_slice(&[0; 4]);
    let mut user = vec![0xc0];
    user.extend_from_slice(&app);
    let mut p = Dnp3Parser::new(Transport::Tcp);
    let out = run(&mut p, Direction::ToServer, &frame(0xc4, 10, 1, &user));
    let json = eve(out.txs[0].as_ref());
    assert!(
        json.contains(r#""count":128,"points":[{"prefix":0,"index":0,"op_type":1,"#),
        "{json}"
    );
}
