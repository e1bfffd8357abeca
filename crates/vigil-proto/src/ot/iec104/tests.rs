use super::*;

fn run(chunks: &[(Direction, &[u8])]) -> (Vec<Box<dyn Transaction>>, Vec<&'static str>) {
    let mut p = Iec104Parser::default();
    let mut out = ParseOutput::default();
    for (d, c) in chunks {
        p.parse(*d, c, &mut out);
    }
    p.finish(&mut out);
    (out.txs, out.events.iter().map(|e| e.name).collect())
}

fn eve(tx: &dyn Transaction) -> String {
    let mut buf = Vec::new();
    let mut w = JsonWriter::new(&mut buf);
    w.open_object();
    tx.write_eve(&mut w);
    w.close_object();
    String::from_utf8(buf).unwrap()
}

fn uints(tx: &dyn Transaction, name: &str) -> Vec<u64> {
    let mut v = Vec::new();
    tx.uints(name, &mut |x| v.push(x));
    v
}

const STARTDT_ACT: &[u8] = &[0x68, 0x04, 0x07, 0x00, 0x00, 0x00];
/// I(2,7) C_SC_NA_1 act, CA 37133, IOA 10010, SCO on, select.
const SC_ACT: &[u8] = &[
    0x68, 0x0e, 0x04, 0x00, 0x0e, 0x00, 0x2d, 0x01, 0x06, 0x01, 0x0d, 0x91, 0x1a, 0x27, 0x00, 0x81,
];
/// I(9,4) M_SP_TB_1 spont, IOA 10010, SIQ 0xd1, CP56 2000-01-01 00:00:10.837 (frame 129
/// of the TestDissectIec104 capture; tshark shows the same values).
const SP_TB: &[u8] = &[
    0x68, 0x15, 0x12, 0x00, 0x08, 0x00, 0x1e, 0x01, 0x03, 0x00, 0x0d, 0x91, 0x1a, 0x27, 0x00, 0xd1,
    0x55, 0x2a, 0x00, 0x00, 0x01, 0x01, 0x00,
];

#[test]
fn u_format() {
    let (txs, ev) = run(&[(Direction::ToServer, STARTDT_ACT)]);
    assert!(ev.is_empty());
    assert_eq!(
        eve(txs[0].as_ref()),
        r#"{"iec104":{"direction":"toserver","apdu_len":4,"apci_type":"U","u_function_code":1,"u_function":"STARTDT_ACT"}}"#
    );
    assert_eq!(uints(txs[0].as_ref(), "iec104.apci_type"), [3]);
    assert_eq!(
        txs[0].buffer("iec104.u_function"),
        Some(&b"STARTDT_ACT"[..])
    );
}

#[test]
fn i_format_single_command() {
    let (txs, ev) = run(&[(Direction::ToServer, SC_ACT)]);
    assert!(ev.is_empty(), "{ev:?}");
    let tx = txs[0].as_ref();
    assert_eq!(
        eve(tx),
        concat!(
            r#"{"iec104":{"direction":"toserver","apdu_len":14,"apci_type":"I","tx":2,"rx":7,"#,
            r#""asdu":{"type_id":45,"type":"C_SC_NA_1","sq":false,"num_ix":1,"cause_tx":6,"cause":"act","#,
            r#""negative":false,"test":false,"originator":1,"common_address":37133,"#,
            r#""objects":[{"ioa":10010,"sco":{"on":true,"qu":0,"se":true}}]}}}"#
        )
    );
    assert_eq!(uints(tx, "iec104.type_id"), [45]);
    assert_eq!(uints(tx, "iec104.cause"), [6]);
    assert_eq!(uints(tx, "iec104.common_address"), [37133]);
    assert_eq!(uints(tx, "iec104.ioa"), [10010]);
    assert_eq!(uints(tx, "iec104.tx"), [2]);
    assert_eq!(tx.buffer("iec104.type"), Some(&b"C_SC_NA_1"[..]));
    assert_eq!(tx.log_direction(), Direction::ToServer);
}

#[test]
fn time_tagged_single_point() {
    let (txs, ev) = run(&[(Direction::ToClient, SP_TB)]);
    assert!(ev.is_empty(), "{ev:?}");
    let j = eve(txs[0].as_ref());
    assert!(
        j.contains(r#""objects":[{"ioa":10010,"siq":{"spi":true,"bl":true,"sb":false,"nt":true,"iv":true},"cp56time":{"value":"2000-01-01T00:00:10.837","day_of_week":0,"su":false,"iv":false}}]"#),
        "{j}"
    );
    assert_eq!(txs[0].log_direction(), Direction::ToClient);
}

#[test]
fn clock_synchronisation() {
    // TestDissectIec104 frame 139: C_CS_NA_1 act, CP56 2008-08-29 08:57:13.000 (as tshark).
    let apdu = [
        0x68, 0x14, 0x0c, 0x00, 0x16, 0x00, 0x67, 0x01, 0x06, 0x04, 0x0d, 0x91, 0x00, 0x00, 0x00,
        0xc8, 0x32, 0x39, 0x08, 0x1d, 0x08, 0x08,
    ];
    let (txs, ev) = run(&[(Direction::ToServer, &apdu)]);
    assert!(ev.is_empty(), "{ev:?}");
    let j = eve(txs[0].as_ref());
    assert!(
        j.ends_with(r#""objects":[{"ioa":0,"cp56time":{"value":"2008-08-29T08:57:13.000","day_of_week":0,"su":false,"iv":false}}]}}}"#),
        "{j}"
    );
}

#[test]
fn sequence_of_elements() {
    // M_ME_NB_1, SQ=1, 3 elements from IOA 100, scaled values 1, -2, 300.
    let apdu = [
        0x68, 0x16, 0x00, 0x00, 0x00, 0x00, 0x0b, 0x83, 0x14, 0x00, 0x01, 0x00, 0x64, 0x00, 0x00,
        0x01, 0x00, 0x00, 0xfe, 0xff, 0x10, 0x2c, 0x01, 0x00,
    ];
    let (txs, ev) = run(&[(Direction::ToClient, &apdu)]);
    assert!(ev.is_empty(), "{ev:?}");
    assert_eq!(uints(txs[0].as_ref(), "iec104.ioa"), [100, 101, 102]);
    let j = eve(txs[0].as_ref());
    assert!(
        j.contains(
            r#"{"ioa":101,"sva":-2,"qds":{"ov":false,"bl":true,"sb":false,"nt":false,"iv":false}}"#
        ),
        "{j}"
    );
    assert!(j.contains(r#""cause":"inrogen""#), "{j}");
}

#[test]
fn every_split_gives_the_same_records() {
    let mut stream = Vec::new();
    stream.extend_from_slice(STARTDT_ACT);
    stream.extend_from_slice(SC_ACT);
    stream.extend_from_slice(SP_TB);
    stream.extend_from_slice(&[0x68, 0x04, 0x01, 0x00, 0x0a, 0x00]);
    let (whole, _) = run(&[(Direction::ToServer, &stream)]);
    let want: Vec<String> = whole.iter().map(|t| eve(t.as_ref())).collect();
    assert_eq!(want.len(), 4);
    for cut in 0..=stream.len() {
        for cut2 in cut..=stream.len() {
            let (txs, ev) = run(&[
                (Direction::ToServer, &stream[..cut]),
                (Direction::ToServer, &stream[cut..cut2]),
                (Direction::ToServer, &stream[cut2..]),
            ]);
            assert!(ev.is_empty());
            let got: Vec<String> = txs.iter().map(|t| eve(t.as_ref())).collect();
            assert_eq!(got, want, "cuts {cut} {cut2}");
        }
    }
}

#[test]
fn garbage_before_apdu_is_skipped() {
    let mut s = vec![0x05, 0x05, 0x05];
    s.extend_from_slice(STARTDT_ACT);
    let (txs, ev) = run(&[(Direction::ToServer, &s)]);
    assert_eq!(ev, ["INVALID_START_BYTE"]);
    assert_eq!(txs.len(), 1);
}

#[test]
fn malformed_apdus_raise_anomalies() {
    let cases: &[(&[u8], &[&str])] = &[
        // Length below 4.
        (&[0x68, 0x02, 0x07, 0x00], &["INVALID_APDU_LENGTH"]),
        // U with two functions.
        (
            &[0x68, 0x04, 0x17, 0x00, 0x00, 0x00],
            &["U_FORMAT_INVALID_FUNCTION"],
        ),
        // U with reserved octets set.
        (
            &[0x68, 0x04, 0x07, 0x01, 0x00, 0x00],
            &["U_FORMAT_RESERVED"],
        ),
        // S with reserved bits.
        (
            &[0x68, 0x04, 0x05, 0x00, 0x02, 0x00],
            &["S_FORMAT_RESERVED"],
        ),
        // S with a body.
        (
            &[0x68, 0x05, 0x01, 0x00, 0x02, 0x00, 0x00],
            &["SU_FORMAT_LENGTH"],
        ),
        // I without ASDU.
        (&[0x68, 0x04, 0x00, 0x00, 0x00, 0x00], &["ASDU_TOO_SHORT"]),
        // Reserved type 200.
        (
            &[0x68, 0x0a, 0, 0, 0, 0, 200, 1, 6, 0, 1, 0],
            &["RESERVED_TYPE_ID"],
        ),
        // Zero objects.
        (
            &[0x68, 0x0a, 0, 0, 0, 0, 1, 0, 3, 0, 1, 0],
            &["NUMBER_OF_OBJECTS_ZERO"],
        ),
        // Two SIQ objects announced, one present.
        (
            &[0x68, 0x0e, 0, 0, 0, 0, 1, 2, 3, 0, 1, 0, 1, 0, 0, 1],
            &["ASDU_LENGTH_MISMATCH"],
        ),
        // Interrogation with reserved QOI 5, cause 0.
        (
            &[0x68, 0x0e, 0, 0, 0, 0, 100, 1, 0, 0, 1, 0, 0, 0, 0, 5],
            &["INVALID_CAUSE", "INVALID_QOI"],
        ),
        // Command with SQ and two objects.
        (
            &[0x68, 0x0f, 0, 0, 0, 0, 45, 0x82, 6, 0, 1, 0, 1, 0, 0, 1, 1],
            &["SQ_NOT_ALLOWED", "MULTIPLE_OBJECTS_NOT_ALLOWED"],
        ),
        // Reset process with QRP 0, init with reserved COI.
        (
            &[0x68, 0x0e, 0, 0, 0, 0, 105, 1, 6, 0, 1, 0, 0, 0, 0, 0],
            &["INVALID_QRP"],
        ),
        (
            &[0x68, 0x0e, 0, 0, 0, 0, 70, 1, 4, 0, 1, 0, 0, 0, 0, 9],
            &["INVALID_COI"],
        ),
        (
            &[0x68, 0x0e, 0, 0, 0, 0, 101, 1, 6, 0, 1, 0, 0, 0, 0, 7],
            &["INVALID_QCC"],
        ),
        (
            &[0x68, 0x0e, 0, 0, 0, 0, 45, 1, 6, 0, 1, 0, 0, 0, 0, 0x11],
            &["INVALID_QOC"],
        ),
    ];
    for (apdu, want) in cases {
        let (_, ev) = run(&[(Direction::ToServer, apdu)]);
        assert_eq!(&ev, want, "{apdu:02x?}");
    }
}

#[test]
fn all_types_decode_their_own_size() {
    for t in TYPES {
        let size = t.elem.size().unwrap_or(4);
        let mut apdu = vec![0x68, 0, 0, 0, 0, 0, t.id, 1, 6, 0, 1, 0, 1, 2, 3];
        apdu.extend(std::iter::repeat_n(0x01, size));
        if t.elem.size().is_none() {
            // Segment with LOS 0.
            let n = apdu.len();
            apdu[n - 1] = 0;
        }
        apdu[1] = (apdu.len() - 2) as u8;
        let (txs, ev) = run(&[(Direction::ToServer, &apdu)]);
        let ev: Vec<_> = ev
            .into_iter()
            .filter(|e| !e.starts_with("INVALID_Q") && !e.starts_with("INVALID_CO"))
            .collect();
        assert!(ev.is_empty(), "{} {ev:?}", t.name);
        assert_eq!(
            uints(txs[0].as_ref(), "iec104.ioa"),
            [0x030201],
            "{}",
            t.name
        );
        let j = eve(txs[0].as_ref());
        assert!(j.ends_with("}]}}}"), "{}: {j}", t.name);
    }
}

#[test]
fn probe_accepts_and_rejects() {
    let d = Direction::ToServer;
    assert_eq!(probe(d, &STARTDT_ACT[..3]), Probe::NeedMore);
    assert_eq!(probe(d, STARTDT_ACT), Probe::Match);
    assert_eq!(probe(d, SC_ACT), Probe::Match);
    assert_eq!(probe(d, &SC_ACT[..8]), Probe::NeedMore);
    assert_eq!(
        probe(d, &[0x68, 0x04, 0x01, 0x00, 0x0a, 0x00]),
        Probe::Match
    );
    assert_eq!(probe(d, b"GET / HTTP/1.0\r\n"), Probe::NoMatch);
    assert_eq!(probe(d, &[0x68, 0x04, 0x17, 0, 0, 0]), Probe::NoMatch);
    assert_eq!(
        probe(d, &[0x68, 0x0a, 0, 0, 0, 0, 200, 1, 6, 0, 1, 0]),
        Probe::NoMatch
    );
}

#[test]
fn hostile_input_never_panics_and_stays_bounded() {
    let mut seed = 0x1234_5678u32;
    let mut next = || {
        seed ^= seed << 13;
        seed ^= seed >> 17;
        seed ^= seed << 5;
        seed
    };
    for _ in 0..2000 {
        let len = (next() % 300) as usize;
        let mut data: Vec<u8> = (0..len).map(|_| next() as u8).collect();
        if let Some(b) = data.first_mut() {
            *b = 0x68;
        }
        let mut p = Iec104Parser::default();
        let mut out = ParseOutput::default();
        for chunk in data.chunks(1 + (next() % 40) as usize) {
            p.parse(Direction::ToServer, chunk, &mut out);
        }
        p.gap(Direction::ToServer, 10, &mut out);
        p.parse(Direction::ToServer, &data, &mut out);
        for tx in &out.txs {
            let _ = eve(tx.as_ref());
        }
        assert!(p.dirs[0].buf.len() <= 256);
    }
}
