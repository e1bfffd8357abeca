use super::data::{MAX_DEPTH, MAX_VALUES};
use super::*;
use crate::Transaction;
use vigil_wire::Timestamp;

/// A BER TLV with a definite length (short or long form).
fn tlv(tag: u8, v: &[u8]) -> Vec<u8> {
    let mut out = vec![tag];
    match v.len() {
        n @ 0..=0x7f => out.push(n as u8),
        n @ 0x80..=0xff => out.extend_from_slice(&[0x81, n as u8]),
        n => {
            out.push(0x82);
            out.extend_from_slice(&(n as u16).to_be_bytes());
        }
    }
    out.extend_from_slice(v);
    out
}

/// A GOOSE message to build; `build` gives the bytes after the EtherType.
#[derive(Clone)]
struct Msg {
    appid: u16,
    reserved1: u16,
    gocb_ref: &'static [u8],
    tal: u32,
    dat_set: &'static [u8],
    go_id: Option<&'static [u8]>,
    t: [u8; 8],
    st_num: u32,
    sq_num: u32,
    simulation: Option<bool>,
    conf_rev: u32,
    nds_com: Option<bool>,
    entries: u32,
    /// allData contents.
    data: Vec<u8>,
}

impl Default for Msg {
    fn default() -> Msg {
        Msg {
            appid: 0x3001,
            reserved1: 0,
            gocb_ref: b"IED1LD0/LLN0$GO$gcb1",
            tal: 2000,
            dat_set: b"IED1LD0/LLN0$DS1",
            go_id: Some(b"IED1_GOOSE1"),
            t: [0x4d, 0xdd, 0xa5, 0x1a, 0xdb, 0xe7, 0x6d, 0x0a],
            st_num: 7,
            sq_num: 3,
            simulation: Some(false),
            conf_rev: 1,
            nds_com: Some(false),
            entries: 2,
            data: [tlv(0x83, &[1]), tlv(0x84, &[6, 0x40])].concat(),
        }
    }
}

/// Minimal-length BER INTEGER contents of a non-negative value.
fn int(v: u32) -> Vec<u8> {
    let b = v.to_be_bytes();
    let start = b.iter().position(|&x| x != 0).unwrap_or(3);
    let mut out = b[start..].to_vec();
    if out[0] & 0x80 != 0 {
        out.insert(0, 0);
    }
    out
}

impl Msg {
    fn pdu_fields(&self) -> Vec<u8> {
        let mut f = Vec::new();
        f.extend(tlv(0x80, self.gocb_ref));
        f.extend(tlv(0x81, &int(self.tal)));
        f.extend(tlv(0x82, self.dat_set));
        if let Some(id) = self.go_id {
            f.extend(tlv(0x83, id));
        }
        f.extend(tlv(0x84, &self.t));
        f.extend(tlv(0x85, &int(self.st_num)));
        f.extend(tlv(0x86, &int(self.sq_num)));
        if let Some(s) = self.simulation {
            f.extend(tlv(0x87, &[u8::from(s)]));
        }
        f.extend(tlv(0x88, &int(self.conf_rev)));
        if let Some(n) = self.nds_com {
            f.extend(tlv(0x89, &[u8::from(n)]));
        }
        f.extend(tlv(0x8a, &int(self.entries)));
        f.extend(tlv(0xab, &self.data));
        f
    }

    fn build(&self) -> Vec<u8> {
        frame_with_pdu(self.appid, self.reserved1, &tlv(0x61, &self.pdu_fields()))
    }
}

/// The 8-octet header (length computed) followed by `apdu`.
fn frame_with_pdu(appid: u16, reserved1: u16, apdu: &[u8]) -> Vec<u8> {
    let mut out = appid.to_be_bytes().to_vec();
    out.extend_from_slice(&((8 + apdu.len()) as u16).to_be_bytes());
    out.extend_from_slice(&reserved1.to_be_bytes());
    out.extend_from_slice(&[0, 0]);
    out.extend_from_slice(apdu);
    out
}

fn eve(pdu: &GoosePdu<'_>) -> String {
    let mut buf = Vec::new();
    let mut w = vigil_eve::JsonWriter::new(&mut buf);
    w.open_object();
    pdu.write_eve(&mut w);
    w.close_object();
    String::from_utf8(buf).unwrap()
}

/// The GOOSE payload of the corpus capture `GOOSE_DEMO.pcap` (after the
/// 802.1Q tag's EtherType), as tshark shows it.
const DEMO: &[u8] = &[
    0x20, 0x00, 0x00, 0x6c, 0x00, 0x00, 0x00, 0x00, 0x61, 0x62, 0x80, 0x03, 0x31, 0x31, 0x31, 0x81,
    0x05, 0x00, 0x00, 0x00, 0x27, 0x10, 0x82, 0x03, 0x32, 0x32, 0x32, 0x83, 0x03, 0x33, 0x33, 0x33,
    0x84, 0x08, 0x4d, 0xdd, 0xa5, 0x1a, 0xdb, 0xe7, 0x6d, 0x00, 0x85, 0x05, 0x00, 0x00, 0x00, 0x00,
    0x01, 0x86, 0x05, 0x00, 0x00, 0x00, 0x00, 0x01, 0x87, 0x01, 0x00, 0x88, 0x05, 0x00, 0x00, 0x00,
    0x00, 0x01, 0x89, 0x01, 0x00, 0x8a, 0x05, 0x00, 0x00, 0x00, 0x00, 0x0a, 0xab, 0x1e, 0x83, 0x01,
    0x00, 0x83, 0x01, 0x00, 0x83, 0x01, 0x00, 0x83, 0x01, 0x00, 0x83, 0x01, 0x00, 0x83, 0x01, 0x00,
    0x83, 0x01, 0x00, 0x83, 0x01, 0x00, 0x83, 0x01, 0x00, 0x83, 0x01, 0x00,
];

#[test]
fn corpus_demo_frame_fields_and_eve() {
    let p = decode(DEMO).unwrap();
    assert_eq!(
        (p.appid, p.length, p.reserved1, p.reserved2),
        (0x2000, 108, 0, 0)
    );
    assert_eq!(p.gocb_ref, b"111");
    assert_eq!(p.time_allowed_to_live, 10000);
    assert_eq!(p.dat_set, b"222");
    assert_eq!(p.go_id, Some(&b"333"[..]));
    // 5-octet fixed-width integers with leading zeros.
    assert_eq!((p.st_num, p.sq_num, p.conf_rev), (1, 1, 1));
    assert!(!p.simulation && !p.nds_com);
    assert_eq!((p.num_dat_set_entries, p.data_count), (10, 10));
    assert_eq!(p.data_error, None);
    // tshark: May 26, 2011 00:55:54.859000027 UTC.
    assert_eq!(p.t.secs, 1_306_371_354);
    assert_eq!(p.t.nanos(), 859_000_027);
    let falses = [r#"{"boolean":false}"#; 10].join(",");
    assert_eq!(
        eve(&p),
        format!(
            concat!(
                r#"{{"goose":{{"appid":8192,"length":108,"reserved1":0,"reserved2":0,"gocb_ref":"111","#,
                r#""time_allowed_to_live":10000,"dat_set":"222","go_id":"333","#,
                r#""t":"2011-05-26T00:55:54.859000027Z","#,
                r#""t_quality":{{"leap_seconds_known":false,"clock_failure":false,"clock_not_synchronized":false,"accuracy":0}},"#,
                r#""st_num":1,"sq_num":1,"simulation":false,"conf_rev":1,"nds_com":false,"#,
                r#""num_dat_set_entries":10,"data_count":10,"data":[{}]}}}}"#
            ),
            falses
        )
    );
    // Ethernet padding after the length field's end is ignored.
    let mut padded = DEMO.to_vec();
    padded.extend_from_slice(&[0; 20]);
    assert_eq!(decode(&padded).unwrap(), p);
}

#[test]
fn built_message_and_rule_fields() {
    let m = Msg {
        reserved1: 0x8000,
        simulation: Some(true),
        nds_com: Some(true),
        ..Msg::default()
    };
    let bytes = m.build();
    let p = decode(&bytes).unwrap();
    assert!(p.simulated_bit());
    assert_eq!(p.t.quality, 0x0a);
    assert_eq!(Transaction::event_type(&p), "goose");
    let mut got = Vec::new();
    for name in [
        "goose.appid",
        "goose.reserved1",
        "goose.reserved2",
        "goose.time_allowed_to_live",
        "goose.st_num",
        "goose.sq_num",
        "goose.simulation",
        "goose.conf_rev",
        "goose.nds_com",
        "goose.num_dat_set_entries",
        "goose.data_count",
        "goose.unknown",
    ] {
        p.uints(name, &mut |v| got.push((name, v)));
    }
    assert_eq!(
        got,
        [
            ("goose.appid", 0x3001),
            ("goose.reserved1", 0x8000),
            ("goose.reserved2", 0),
            ("goose.time_allowed_to_live", 2000),
            ("goose.st_num", 7),
            ("goose.sq_num", 3),
            ("goose.simulation", 1),
            ("goose.conf_rev", 1),
            ("goose.nds_com", 1),
            ("goose.num_dat_set_entries", 2),
            ("goose.data_count", 2),
        ]
    );
    assert_eq!(
        p.buffer("goose.gocb_ref"),
        Some(&b"IED1LD0/LLN0$GO$gcb1"[..])
    );
    assert_eq!(p.buffer("goose.dat_set"), Some(&b"IED1LD0/LLN0$DS1"[..]));
    assert_eq!(p.buffer("goose.go_id"), Some(&b"IED1_GOOSE1"[..]));
    let no_id = Msg {
        go_id: None,
        ..Msg::default()
    }
    .build();
    let p = decode(&no_id).unwrap();
    assert_eq!(p.buffer("goose.go_id"), None);
    assert!(!eve(&p).contains("go_id"));
    // simulation and ndsCom default to false when absent.
    let defaults = Msg {
        simulation: None,
        nds_com: None,
        ..Msg::default()
    }
    .build();
    let p = decode(&defaults).unwrap();
    assert!(!p.simulation && !p.nds_com);
}

#[test]
fn every_data_type_and_nesting_in_eve() {
    let mut data = Vec::new();
    // structure { boolean true, bit-string "10" (Dbpos on), quality 13 bits }
    data.extend(tlv(
        0xa2,
        &[
            tlv(0x83, &[0xff]),
            tlv(0x84, &[6, 0x80]),
            tlv(0x84, &[3, 0x00, 0x08]),
        ]
        .concat(),
    ));
    // array [ integer -2, unsigned 300 ]
    data.extend(tlv(
        0xa1,
        &[tlv(0x85, &[0xfe]), tlv(0x86, &[0x01, 0x2c])].concat(),
    ));
    data.extend(tlv(0x87, &[8, 0x3f, 0xc0, 0, 0])); // single 1.5
    data.extend(tlv(0x87, &[11, 0xc0, 0x04, 0, 0, 0, 0, 0, 0])); // double -2.5
    data.extend(tlv(0x87, &[8, 0x7f, 0xc0, 0, 0])); // NaN
    data.extend(tlv(0x87, &[9, 1, 2])); // unknown form
    data.extend(tlv(0x88, &[0x80, 1])); // REAL, raw
    data.extend(tlv(0x89, &[0xde, 0xad]));
    data.extend(tlv(0x8a, b"a\"b"));
    data.extend(tlv(0x8b, b"20110526005554Z"));
    data.extend(tlv(0x8c, &[0x00, 0x36, 0xee, 0x80])); // 01:00:00.000
    data.extend(tlv(0x8c, &[0x00, 0x00, 0x03, 0xe9, 0x00, 0x01])); // 1984-01-02, 1.001 s
    data.extend(tlv(0x8d, &[0x12]));
    data.extend(tlv(0x8e, &[7, 0x80])); // booleanArray: one bit
    data.extend(tlv(0x8f, &[0x28, 0xca, 0x22, 0x02, 0x03]));
    data.extend(tlv(0x90, "é".as_bytes()));
    data.extend(tlv(0x91, &[0, 0, 0, 60, 0x80, 0, 0, 0xe5]));
    data.extend(tlv(0x94, &[0x01, 0xaa])); // [20]: not in the CHOICE
    let m = Msg {
        entries: 18,
        data,
        ..Msg::default()
    };
    let bytes = m.build();
    let p = decode(&bytes).unwrap();
    assert_eq!(p.data_error, None);
    assert_eq!(p.data_count, 18);
    let json = eve(&p);
    let data_json = json
        .split_once(r#""data":["#)
        .map(|(_, d)| d.trim_end_matches("]}}"))
        .unwrap();
    let expected = [
        r#"{"structure":[{"boolean":true},{"bit_string":"10"},{"bit_string":"0000000000001"}]}"#,
        r#"{"array":[{"integer":-2},{"unsigned":300}]}"#,
        r#"{"float":1.5}"#,
        r#"{"float":-2.5}"#,
        r#"{"float":null}"#,
        r#"{"floating_point":"090102"}"#,
        r#"{"real":"8001"}"#,
        r#"{"octet_string":"dead"}"#,
        r#"{"visible_string":"a\"b"}"#,
        r#"{"generalized_time":"20110526005554Z"}"#,
        r#"{"binary_time":"01:00:00.000"}"#,
        r#"{"binary_time":"1984-01-02T00:00:01.001Z"}"#,
        r#"{"bcd":18}"#,
        r#"{"boolean_array":"1"}"#,
        r#"{"obj_id":"1.0.9506.2.3"}"#,
        r#"{"mms_string":"é"}"#,
        concat!(
            r#"{"utc_time":"1970-01-01T00:01:00.500000000Z","#,
            r#""quality":{"leap_seconds_known":true,"clock_failure":true,"clock_not_synchronized":true,"accuracy":5}}"#
        ),
        r#"{"unknown_tag":20,"raw":"01aa"}"#,
    ]
    .join(",");
    assert_eq!(data_json, expected);
}

#[test]
fn long_form_lengths() {
    // A gocbRef of 200 octets needs a 0x81 length, the PDU a 0x82 one.
    let name: &'static [u8] = Box::leak(vec![b'G'; 200].into_boxed_slice());
    let m = Msg {
        gocb_ref: name,
        ..Msg::default()
    };
    let bytes = m.build();
    assert_eq!(&bytes[8..10], [0x61, 0x82]);
    let p = decode(&bytes).unwrap();
    assert_eq!(p.gocb_ref.len(), 200);
    assert_eq!(p.data_count, 2);
}

#[test]
fn truncated_at_every_length() {
    let bytes = Msg::default().build();
    for cut in 0..bytes.len() {
        let e = decode(&bytes[..cut]).unwrap_err();
        assert_eq!(e, GooseError::Truncated, "cut {cut}");
    }
    // The length field claims one octet more than present.
    let mut long = bytes.clone();
    let len = u16::from_be_bytes([long[2], long[3]]) + 1;
    long[2..4].copy_from_slice(&len.to_be_bytes());
    assert_eq!(decode(&long), Err(GooseError::Truncated));
}

#[test]
fn bad_lengths() {
    let mut bytes = Msg::default().build();
    for len in 0..8u16 {
        bytes[2..4].copy_from_slice(&len.to_be_bytes());
        assert_eq!(
            decode(&bytes),
            Err(GooseError::InvalidLength),
            "length {len}"
        );
    }
    // Length 8: an empty APDU.
    bytes[2..4].copy_from_slice(&8u16.to_be_bytes());
    assert_eq!(decode(&bytes), Err(GooseError::Malformed("goosePdu")));
    // The length field cuts the BER PDU short.
    let mut short = Msg::default().build();
    let len = u16::from_be_bytes([short[2], short[3]]) - 3;
    short[2..4].copy_from_slice(&len.to_be_bytes());
    assert_eq!(decode(&short), Err(GooseError::Malformed("goosePdu")));
    // A field length running past the PDU.
    let mut fields = Msg::default().pdu_fields();
    fields[1] = 0x7f; // gocbRef length
    let bytes = frame_with_pdu(1, 0, &tlv(0x61, &fields));
    assert_eq!(decode(&bytes), Err(GooseError::Malformed("goosePdu")));
    // A five-octet length form is refused.
    let bytes = frame_with_pdu(1, 0, &[0x61, 0x85, 0, 0, 0, 0, 1, 0]);
    assert_eq!(decode(&bytes), Err(GooseError::Malformed("goosePdu")));
}

#[test]
fn pdu_choice_order_and_missing_fields() {
    // GSE management PDU [APPLICATION 0].
    let bytes = frame_with_pdu(1, 0, &tlv(0x60, &tlv(0x80, &[1])));
    assert_eq!(decode(&bytes), Err(GooseError::NotGoosePdu));
    let bytes = frame_with_pdu(1, 0, &tlv(0x30, &[]));
    assert_eq!(decode(&bytes), Err(GooseError::NotGoosePdu));
    // Fields out of order: datSet before timeAllowedtoLive.
    let m = Msg::default();
    let fields = [tlv(0x80, m.gocb_ref), tlv(0x82, m.dat_set), tlv(0x81, &[1])].concat();
    let bytes = frame_with_pdu(1, 0, &tlv(0x61, &fields));
    assert_eq!(decode(&bytes), Err(GooseError::Malformed("goosePdu")));
    // A missing mandatory field.
    let without = |skip: u8| {
        let f = m.pdu_fields();
        let mut out = Vec::new();
        let mut rest = &f[..];
        while !rest.is_empty() {
            let len = if rest[1] == 0x81 {
                rest[2] as usize + 3
            } else {
                rest[1] as usize + 2
            };
            if rest[0] != skip {
                out.extend_from_slice(&rest[..len]);
            }
            rest = &rest[len..];
        }
        frame_with_pdu(1, 0, &tlv(0x61, &out))
    };
    for (tag, name) in [
        (0x80, "gocbRef"),
        (0x81, "timeAllowedtoLive"),
        (0x82, "datSet"),
        (0x84, "t"),
        (0x85, "stNum"),
        (0x86, "sqNum"),
        (0x88, "confRev"),
        (0x8a, "numDatSetEntries"),
        (0xab, "allData"),
    ] {
        assert_eq!(
            decode(&without(tag)),
            Err(GooseError::MissingField(name)),
            "{name}"
        );
    }
    assert!(decode(&without(0x83)).is_ok(), "goID is optional");
    // Bad field contents.
    // The message with field `tag` replaced by `v`.
    let with = |tag: u8, v: &[u8]| {
        let mut out = Vec::new();
        let fields = m.pdu_fields();
        let mut rest = &fields[..];
        while !rest.is_empty() {
            let len = if rest[1] == 0x81 {
                rest[2] as usize + 3
            } else {
                rest[1] as usize + 2
            };
            out.extend_from_slice(&if rest[0] == tag {
                tlv(tag, v)
            } else {
                rest[..len].to_vec()
            });
            rest = &rest[len..];
        }
        frame_with_pdu(1, 0, &tlv(0x61, &out))
    };
    assert_eq!(
        decode(&with(0x84, &[0; 7])),
        Err(GooseError::Malformed("t"))
    );
    // Sign bit set: read as unsigned, as Wireshark does.
    assert_eq!(decode(&with(0x85, &[0xff])).unwrap().st_num, 255);
    assert_eq!(
        decode(&with(0x85, &[1, 0, 0, 0, 0])),
        Err(GooseError::Malformed("stNum"))
    );
    assert_eq!(
        decode(&with(0x85, &[])),
        Err(GooseError::Malformed("stNum"))
    );
    assert_eq!(
        decode(&with(0x87, &[0, 0])),
        Err(GooseError::Malformed("simulation"))
    );
    assert_eq!(
        decode(&with(0x89, &[])),
        Err(GooseError::Malformed("ndsCom"))
    );
    // Largest stNum; a constructed gocbRef.
    assert_eq!(
        decode(&with(0x85, &[0, 0xff, 0xff, 0xff, 0xff]))
            .unwrap()
            .st_num,
        u32::MAX
    );
    assert_eq!(decode(&with(0x80, &[])).unwrap().gocb_ref, b"");
    let mut f = m.pdu_fields();
    f[0] = 0xa0;
    assert_eq!(
        decode(&frame_with_pdu(1, 0, &tlv(0x61, &f))),
        Err(GooseError::Malformed("gocbRef"))
    );
    // [12] security is skipped.
    let mut f = m.pdu_fields();
    f.extend(tlv(0xac, &[1, 2, 3]));
    assert!(decode(&frame_with_pdu(1, 0, &tlv(0x61, &f))).is_ok());
}

/// `depth` structures nested in each other around one boolean.
fn nested(depth: usize) -> Vec<u8> {
    let mut v = tlv(0x83, &[1]);
    for _ in 0..depth {
        v = tlv(0xa2, &v);
    }
    v
}

#[test]
fn nesting_depth_is_bounded() {
    // MAX_DEPTH levels of values: MAX_DEPTH - 1 structures and a boolean.
    let ok = Msg {
        entries: 1,
        data: nested(MAX_DEPTH - 1),
        ..Msg::default()
    }
    .build();
    let p = decode(&ok).unwrap();
    assert_eq!((p.data_count, p.data_error), (1, None));
    let json = eve(&p);
    assert_eq!(json.matches("structure").count(), MAX_DEPTH - 1);
    assert!(json.contains(r#"{"boolean":true}"#));
    // One more level is too deep: header fields kept, data not written.
    let deep = Msg {
        entries: 1,
        data: nested(MAX_DEPTH),
        ..Msg::default()
    }
    .build();
    let p = decode(&deep).unwrap();
    assert_eq!((p.data_count, p.data_error), (0, Some(DataError::TooDeep)));
    let json = eve(&p);
    assert!(
        json.ends_with(r#""data_count":0,"data_error":"too_deep"}}"#),
        "{json}"
    );
    // Very deep nesting (within the frame size) is refused quickly.
    let very = Msg {
        entries: 1,
        data: nested(500),
        ..Msg::default()
    }
    .build();
    assert_eq!(decode(&very).unwrap().data_error, Some(DataError::TooDeep));
    // An empty structure at the deepest level is fine.
    let mut v = tlv(0xa2, &[]);
    for _ in 0..MAX_DEPTH - 1 {
        v = tlv(0xa2, &v);
    }
    let p = Msg {
        entries: 1,
        data: v,
        ..Msg::default()
    }
    .build();
    assert_eq!(decode(&p).unwrap().data_error, None);
}

#[test]
fn value_count_is_bounded() {
    let many = |n: usize| Msg {
        entries: n as u32,
        data: tlv(0x83, &[0]).repeat(n),
        ..Msg::default()
    };
    let ok = many(MAX_VALUES).build();
    let p = decode(&ok).unwrap();
    assert_eq!((p.data_count, p.data_error), (MAX_VALUES as u32, None));
    let over = many(MAX_VALUES + 1).build();
    let p = decode(&over).unwrap();
    assert_eq!(
        (p.data_count, p.data_error),
        (MAX_VALUES as u32, Some(DataError::TooManyValues))
    );
    // Nested values count too.
    let nested_many = Msg {
        entries: 1,
        data: tlv(0xa1, &tlv(0x83, &[0]).repeat(MAX_VALUES)),
        ..Msg::default()
    }
    .build();
    assert_eq!(
        decode(&nested_many).unwrap().data_error,
        Some(DataError::TooManyValues)
    );
}

#[test]
fn malformed_data_values() {
    for bad in [
        tlv(0x83, &[0, 0]),       // boolean of two octets
        tlv(0x84, &[8, 0]),       // 8 unused bits
        tlv(0x84, &[1]),          // unused bits without octets
        tlv(0x85, &[]),           // empty integer
        tlv(0x85, &[1; 17]),      // integer beyond 128 bits
        tlv(0x91, &[0; 7]),       // UtcTime of 7 octets
        tlv(0xa3, &[]),           // constructed boolean
        tlv(0x82, &[]),           // primitive structure
        tlv(0x03, &[0]),          // universal class
        vec![0x83, 0x05, 0x00],   // length past the end
        tlv(0xa2, &[0x83, 0x05]), // nested length past the end
    ] {
        let m = Msg {
            entries: 2,
            data: [tlv(0x83, &[1]), bad.clone()].concat(),
            ..Msg::default()
        };
        let bytes = m.build();
        let p = decode(&bytes).unwrap();
        assert_eq!(
            (p.data_count, p.data_error),
            (1, Some(DataError::Malformed)),
            "{bad:02x?}"
        );
        let json = eve(&p);
        assert!(json.contains(r#""data_error":"malformed""#));
        assert!(!json.contains(r#""data":"#));
    }
    // Empty allData.
    let p = Msg {
        entries: 0,
        data: Vec::new(),
        ..Msg::default()
    }
    .build();
    let p = decode(&p).unwrap();
    assert_eq!((p.data_count, p.data_error), (0, None));
    assert!(eve(&p).ends_with(r#""data_count":0,"data":[]}}"#));
    // Integers: 16 octets, negative, unsigned beyond i64.
    let p = Msg {
        entries: 3,
        data: [
            tlv(0x85, &[0x80, 0, 0, 0, 0, 0, 0, 0, 0]),
            tlv(0x86, &[0, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]),
            tlv(0x85, &[0x7f; 16]),
        ]
        .concat(),
        ..Msg::default()
    }
    .build();
    let json = eve(&decode(&p).unwrap());
    assert!(
        json.contains(r#"{"integer":"-2361183241434822606848"}"#),
        "{json}"
    );
    assert!(
        json.contains(r#"{"unsigned":18446744073709551615}"#),
        "{json}"
    );
    let big = i128::from_be_bytes([0x7f; 16]).to_string();
    assert!(
        json.contains(&format!(r#"{{"integer":"{big}"}}"#)),
        "{json}"
    );
}

#[test]
fn utc_time_formats() {
    let t = UtcTime::from_bytes(&[0x38, 0x6e, 0xbb, 0xf3, 0x42, 0x17, 0x28, 0x0a]).unwrap();
    let mut s = Vec::new();
    t.push_iso(&mut s);
    // tshark: Jan  2, 2000 02:46:11.258165836 UTC.
    assert_eq!(
        String::from_utf8(s).unwrap(),
        "2000-01-02T02:46:11.258165836Z"
    );
    let t = UtcTime::from_bytes(&[0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0]).unwrap();
    let mut s = Vec::new();
    t.push_iso(&mut s);
    assert_eq!(
        String::from_utf8(s).unwrap(),
        "2106-02-07T06:28:15.999999940Z"
    );
    assert!(UtcTime::from_bytes(&[0; 9]).is_none());
}

// ---------------------------------------------------------------- tracker

const MAC: [u8; 6] = [0, 1, 2, 3, 4, 5];

fn ts(ms: i64) -> Timestamp {
    Timestamp::new(1_700_000_000 + ms / 1000, (ms % 1000) as u64 * 1_000_000)
}

/// Feeds `msgs` (message, arrival ms) through a tracker; the events of each.
fn track(msgs: &[(Msg, i64)]) -> Vec<Vec<&'static str>> {
    let mut t = GooseTracker::default();
    msgs.iter()
        .map(|(m, at)| {
            let bytes = m.build();
            let p = decode(&bytes).unwrap();
            let mut out = Vec::new();
            t.observe(MAC, &p, ts(*at), &mut out);
            out.iter().map(|e| e.name()).collect()
        })
        .collect()
}

fn msg(st: u32, sq: u32) -> Msg {
    Msg {
        st_num: st,
        sq_num: sq,
        ..Msg::default()
    }
}

#[test]
fn normal_sequence_has_no_events() {
    let got = track(&[
        (msg(7, 3), 0),
        (msg(7, 4), 1000),
        (msg(8, 0), 1500),
        (msg(8, 1), 1502),
        (msg(9, 1), 1600), // Edition 2: a new state starts at sqNum 1
        (msg(9, 2), 3500),
    ]);
    assert!(got.iter().all(Vec::is_empty), "{got:?}");
}

#[test]
fn stnum_rollback_and_replay() {
    let got = track(&[
        (msg(7, 3), 0),
        (msg(5, 9), 10),  // an older state replayed
        (msg(5, 10), 20), // still older than the reference: again
        (msg(7, 4), 30),  // the real publisher goes on: fine
        (msg(7, 4), 40),  // identical repeat
    ]);
    assert_eq!(
        got,
        [
            vec![],
            vec!["GOOSE_STNUM_ROLLBACK"],
            vec!["GOOSE_STNUM_ROLLBACK"],
            vec![],
            vec!["GOOSE_REPLAY"],
        ]
    );
}

#[test]
fn sqnum_rollback_and_restart() {
    let got = track(&[
        (msg(7, 5), 0),
        (msg(7, 2), 10), // same state, older sequence
        (msg(7, 6), 20),
        (msg(1, 1), 30), // publisher restarted
        (msg(1, 2), 40),
        (msg(1, 0), 50), // Edition 1 restart shape: (1, 0)
    ]);
    assert_eq!(
        got,
        [
            vec![],
            vec!["GOOSE_SQNUM_ROLLBACK"],
            vec![],
            vec!["GOOSE_PUBLISHER_RESTART"],
            vec![],
            vec!["GOOSE_PUBLISHER_RESTART"],
        ]
    );
}

#[test]
fn stnum_jump_sqnum_not_reset_and_wraps() {
    let got = track(&[
        (msg(7, 3), 0),
        (msg(100, 0), 10), // injected high state number
        (msg(101, 5), 20), // new state without sqNum restart
    ]);
    assert_eq!(
        got,
        [
            vec![],
            vec!["GOOSE_STNUM_JUMP"],
            vec!["GOOSE_SQNUM_NOT_RESET"]
        ]
    );
    // sqNum wraps to 0 (Edition 1) or past it.
    let got = track(&[
        (msg(101, u32::MAX - 1), 0),
        (msg(101, u32::MAX), 10),
        (msg(101, 0), 20),
        (msg(101, 1), 30),
    ]);
    assert!(got.iter().all(Vec::is_empty), "{got:?}");
    // stNum wraps to 0 (Edition 1) or to 1 (Edition 2, skipping 0).
    let got = track(&[(msg(u32::MAX, 4), 0), (msg(0, 0), 10)]);
    assert!(got.iter().all(Vec::is_empty), "{got:?}");
    let got = track(&[(msg(u32::MAX, 4), 0), (msg(1, 1), 10)]);
    assert!(got.iter().all(Vec::is_empty), "{got:?}");
    // Far ahead of the reference (more than 2^31) reads as behind it.
    let got = track(&[(msg(7, 3), 0), (msg(7 + (1 << 31) + 1, 0), 10)]);
    assert_eq!(got, [vec![], vec!["GOOSE_STNUM_ROLLBACK"]]);
}

#[test]
fn data_change_without_stnum() {
    let changed = Msg {
        data: [tlv(0x83, &[0]), tlv(0x84, &[6, 0x40])].concat(),
        ..msg(7, 4)
    };
    let got = track(&[(msg(7, 3), 0), (changed.clone(), 10), (msg(8, 0), 20)]);
    assert_eq!(
        got,
        [vec![], vec!["GOOSE_DATA_CHANGE_WITHOUT_STNUM"], vec![]]
    );
}

#[test]
fn confrev_tal_and_flags() {
    let rev2 = Msg {
        conf_rev: 2,
        ..msg(7, 4)
    };
    let sim = Msg {
        conf_rev: 2,
        simulation: Some(true),
        ..msg(7, 6)
    };
    let nds = Msg {
        conf_rev: 2,
        simulation: Some(true),
        nds_com: Some(true),
        ..msg(7, 7)
    };
    let got = track(&[
        (msg(7, 3), 0),
        (rev2.clone(), 1000),
        (
            Msg {
                conf_rev: 2,
                ..msg(7, 5)
            },
            3001,
        ), // TAL 2000 ms exceeded
        (sim.clone(), 3002),
        (nds.clone(), 3003),
        (Msg { sq_num: 8, ..nds }, 5003), // exactly the TAL: fine
    ]);
    assert_eq!(
        got,
        [
            vec![],
            vec!["GOOSE_CONFREV_CHANGE"],
            vec!["GOOSE_TAL_EXPIRED"],
            vec!["GOOSE_SIMULATION_SET"],
            vec!["GOOSE_NDSCOM_SET"],
            vec![],
        ]
    );
    // Flags already set on first sight are reported once.
    let got = track(&[(sim.clone(), 0), (Msg { sq_num: 7, ..sim }, 10)]);
    assert_eq!(got, [vec!["GOOSE_SIMULATION_SET"], vec![]]);
}

#[test]
fn per_message_checks() {
    let mismatch = Msg {
        entries: 3,
        ..msg(7, 3)
    };
    let sim_bit = Msg {
        reserved1: 0x8000,
        ..msg(7, 4)
    };
    let bad_data = Msg {
        data: tlv(0x83, &[0, 0]),
        ..msg(7, 5)
    };
    let deep = Msg {
        entries: 1,
        data: nested(MAX_DEPTH),
        ..msg(7, 6)
    };
    let got = track(&[(mismatch, 0), (sim_bit, 10), (bad_data, 20), (deep, 30)]);
    assert_eq!(
        got,
        [
            vec!["GOOSE_ENTRIES_MISMATCH"],
            vec!["GOOSE_SIMULATION_MISMATCH"],
            vec!["GOOSE_DATA_MALFORMED", "GOOSE_DATA_CHANGE_WITHOUT_STNUM"],
            vec!["GOOSE_DATA_TOO_DEEP", "GOOSE_DATA_CHANGE_WITHOUT_STNUM"],
        ]
    );
    assert_eq!(GooseError::Truncated.event().name(), "GOOSE_TRUNCATED");
    assert_eq!(
        GooseError::InvalidLength.event().name(),
        "GOOSE_INVALID_LENGTH"
    );
    assert_eq!(GooseError::NotGoosePdu.event().name(), "GOOSE_UNKNOWN_PDU");
    assert_eq!(
        GooseError::MissingField("t").event().name(),
        "GOOSE_MALFORMED_PDU"
    );
}

#[test]
fn publishers_are_kept_apart() {
    let mut t = GooseTracker::default();
    let mut out = Vec::new();
    let a = Msg::default().build();
    let b = Msg {
        gocb_ref: b"IED1LD0/LLN0$GO$gcb2",
        st_num: 1,
        sq_num: 0,
        ..Msg::default()
    }
    .build();
    let c = Msg {
        appid: 0x3002,
        st_num: 2,
        ..Msg::default()
    }
    .build();
    for (i, bytes) in [&a, &b, &c].into_iter().enumerate() {
        t.observe(MAC, &decode(bytes).unwrap(), ts(i as i64), &mut out);
    }
    // The same control block from another MAC is another publisher.
    t.observe([9; 6], &decode(&b).unwrap(), ts(5), &mut out);
    assert!(out.is_empty(), "{out:?}");
    assert_eq!(t.len(), 4);
}

#[test]
fn tracker_memory_is_bounded() {
    let mut t = GooseTracker::new(64);
    let mut out = Vec::new();
    let keep = Msg::default().build();
    let keep = decode(&keep).unwrap();
    for i in 0..10_000u32 {
        let name: &'static [u8] = Box::leak(format!("flood{i}").into_bytes().into_boxed_slice());
        let m = Msg {
            gocb_ref: name,
            ..Msg::default()
        }
        .build();
        t.observe(MAC, &decode(&m).unwrap(), ts(i64::from(i)), &mut out);
        // A publisher seen regularly stays followed.
        if i % 16 == 0 {
            let mut again = keep;
            again.sq_num = 3 + i;
            t.observe(MAC, &again, ts(i64::from(i)), &mut out);
        }
        assert!(t.len() <= 64);
    }
    assert!(out.is_empty(), "{:?}", &out[..out.len().min(4)]);
    assert_eq!(t.evicted() + t.len() as u64, 10_001);
    assert!(t.len() > 64 - 64 / 8);
    // Eviction follows the order of last sight, not the hasher.
    let mut again = keep;
    again.sq_num = 2;
    t.observe(MAC, &again, ts(20_000), &mut out);
    assert_eq!(
        out.iter().map(|e| e.name()).collect::<Vec<_>>(),
        ["GOOSE_TAL_EXPIRED", "GOOSE_SQNUM_ROLLBACK"]
    );
}

#[test]
fn event_names_are_distinct_upper_snake() {
    let mut names: Vec<&str> = GooseEvent::ALL.iter().map(|e| e.name()).collect();
    for n in &names {
        assert!(n.starts_with("GOOSE_"));
        assert!(
            n.bytes().all(|b| b.is_ascii_uppercase() || b == b'_'),
            "{n}"
        );
    }
    names.sort_unstable();
    names.dedup();
    assert_eq!(names.len(), GooseEvent::ALL.len());
}
