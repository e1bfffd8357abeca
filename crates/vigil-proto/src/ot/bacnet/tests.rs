use super::*;

const TS: Direction = Direction::ToServer;
const TC: Direction = Direction::ToClient;

/// A B/IP datagram: BVLC `function`, then `npdu` header and `apdu`.
fn bip(function: u8, npdu: &[u8], apdu: &[u8]) -> Vec<u8> {
    let len = 4 + npdu.len() + apdu.len();
    let mut v = vec![0x81, function, (len >> 8) as u8, len as u8];
    v.extend_from_slice(npdu);
    v.extend_from_slice(apdu);
    v
}

/// Original-Unicast-NPDU, plain NPDU (expecting reply as `control`).
fn unicast(control: u8, apdu: &[u8]) -> Vec<u8> {
    bip(0x0a, &[0x01, control], apdu)
}

struct Run {
    txs: Vec<Box<dyn Transaction>>,
    /// (name, tx_id) of every event.
    events: Vec<(&'static str, Option<u64>)>,
}

impl Run {
    fn names(&self) -> Vec<&'static str> {
        self.events.iter().map(|e| e.0).collect()
    }
}

fn run(datagrams: &[(Direction, &[u8])]) -> Run {
    let mut p = BacnetParser::default();
    let mut out = ParseOutput::default();
    for (d, data) in datagrams {
        p.parse(*d, data, &mut out);
    }
    p.finish(&mut out);
    Run {
        txs: out.txs,
        events: out.events.iter().map(|e| (e.name, e.tx_id)).collect(),
    }
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

const WHO_IS_LIMITS: &[u8] = &[0x10, 0x08, 0x09, 0x01, 0x19, 0x0a];
/// I-Am device 123, max APDU 1476, segmented-both, vendor 15.
const I_AM: &[u8] = &[
    0x10, 0x00, 0xc4, 0x02, 0x00, 0x00, 0x7b, 0x22, 0x05, 0xc4, 0x91, 0x00, 0x21, 0x0f,
];
/// ReadProperty analog-input 1 present-value, invoke 1.
const RP_REQ: &[u8] = &[
    0x00, 0x05, 0x01, 0x0c, 0x0c, 0x00, 0x00, 0x00, 0x01, 0x19, 0x55,
];
/// Its ComplexACK: REAL 72.0.
const RP_ACK: &[u8] = &[
    0x30, 0x01, 0x0c, 0x0c, 0x00, 0x00, 0x00, 0x01, 0x19, 0x55, 0x3e, 0x44, 0x42, 0x90, 0x00, 0x00,
    0x3f,
];

#[test]
fn who_is_broadcast() {
    let d = bip(0x0b, &[0x01, 0x20, 0xff, 0xff, 0x00, 0xff], WHO_IS_LIMITS);
    let r = run(&[(TS, &d)]);
    assert!(r.events.is_empty(), "{:?}", r.events);
    let tx = r.txs[0].as_ref();
    assert_eq!(
        eve(tx),
        concat!(
            r#"{"bacnet":{"bvlc_function":"original_broadcast_npdu","#,
            r#""npdu":{"version":1,"expecting_reply":false,"priority":"normal","dnet":65535,"hop_count":255},"#,
            r#""apdu_type":"unconfirmed_request","service":"who-Is","#,
            r#""request":{"low_limit":1,"high_limit":10}}}"#
        )
    );
    assert_eq!(uints(tx, "bacnet.unconfirmed_service"), [8]);
    assert_eq!(uints(tx, "bacnet.service"), [8]);
    assert!(uints(tx, "bacnet.confirmed_service").is_empty());
    assert_eq!(uints(tx, "bacnet.bvlc_function"), [0x0b]);
    assert_eq!(uints(tx, "bacnet.apdu_type"), [1]);
    assert_eq!(uints(tx, "bacnet.dnet"), [65535]);
    assert_eq!(tx.buffer("bacnet.service"), Some(&b"who-Is"[..]));
    assert_eq!(tx.tx_id(), Some(0));
}

#[test]
fn i_am() {
    let d = bip(0x0b, &[0x01, 0x00], I_AM);
    let r = run(&[(TC, &d)]);
    assert!(r.events.is_empty(), "{:?}", r.events);
    let tx = r.txs[0].as_ref();
    assert_eq!(
        eve(tx),
        concat!(
            r#"{"bacnet":{"bvlc_function":"original_broadcast_npdu","#,
            r#""npdu":{"version":1,"expecting_reply":false,"priority":"normal"},"#,
            r#""apdu_type":"unconfirmed_request","service":"i-Am","#,
            r#""request":{"device":{"type":"device","instance":123},"max_apdu_length_accepted":1476,"#,
            r#""segmentation_supported":"segmented-both","vendor_id":15}}}"#
        )
    );
    assert_eq!(uints(tx, "bacnet.object_type"), [8]);
    assert_eq!(uints(tx, "bacnet.instance"), [123]);
    assert_eq!(uints(tx, "bacnet.vendor_id"), [15]);
    assert_eq!(tx.log_direction(), TC);
}

#[test]
fn read_property_pair() {
    let req = unicast(0x04, RP_REQ);
    let ack = unicast(0x00, RP_ACK);
    let r = run(&[(TS, &req), (TC, &ack)]);
    assert!(r.events.is_empty(), "{:?}", r.events);
    assert_eq!(r.txs.len(), 1);
    let tx = r.txs[0].as_ref();
    assert_eq!(
        eve(tx),
        concat!(
            r#"{"bacnet":{"bvlc_function":"original_unicast_npdu","#,
            r#""npdu":{"version":1,"expecting_reply":true,"priority":"normal"},"#,
            r#""apdu_type":"confirmed_request","segmented_response_accepted":false,"max_apdu_length_accepted":1476,"#,
            r#""invoke_id":1,"service":"readProperty","#,
            r#""request":{"object":{"type":"analog-input","instance":1},"property":"present-value"},"#,
            r#""response":{"bvlc_function":"original_unicast_npdu","#,
            r#""npdu":{"version":1,"expecting_reply":false,"priority":"normal"},"apdu_type":"complex_ack","#,
            r#""object":{"type":"analog-input","instance":1},"property":"present-value","value":[{"real":72}]}}}"#
        )
    );
    assert_eq!(uints(tx, "bacnet.apdu_type"), [0, 3]);
    assert_eq!(uints(tx, "bacnet.confirmed_service"), [12]);
    assert_eq!(uints(tx, "bacnet.invoke_id"), [1]);
    assert_eq!(uints(tx, "bacnet.object_type"), [0, 0]);
    assert_eq!(uints(tx, "bacnet.instance"), [1, 1]);
    assert_eq!(uints(tx, "bacnet.property"), [85, 85]);
    assert_eq!(tx.log_direction(), TS);
}

#[test]
fn split_anywhere_is_not_a_thing_but_order_is() {
    // A response seen before its request (capture reordering) does not pair.
    let req = unicast(0x04, RP_REQ);
    let ack = unicast(0x00, RP_ACK);
    let r = run(&[(TC, &ack), (TS, &req)]);
    assert_eq!(r.txs.len(), 2);
    assert_eq!(r.events, [("RESPONSE_WITHOUT_REQUEST", Some(0))]);
    assert!(
        eve(r.txs[0].as_ref())
            .starts_with(r#"{"bacnet":{"invoke_id":1,"service":"readProperty","response":{"#)
    );
    // The orphan response's record is still oriented requester -> responder.
    assert_eq!(r.txs[0].log_direction(), TS);
}

#[test]
fn write_property_priority_simple_ack() {
    // binary-output 5 present-value := ENUMERATED 1 at priority 8.
    let req = unicast(
        0x04,
        &[
            0x00, 0x05, 0x02, 0x0f, 0x0c, 0x01, 0x00, 0x00, 0x05, 0x19, 0x55, 0x3e, 0x91, 0x01,
            0x3f, 0x49, 0x08,
        ],
    );
    let ack = unicast(0x00, &[0x20, 0x02, 0x0f]);
    let r = run(&[(TS, &req), (TC, &ack)]);
    assert!(r.events.is_empty(), "{:?}", r.events);
    let tx = r.txs[0].as_ref();
    let j = eve(tx);
    assert!(
        j.contains(concat!(
            r#""request":{"object":{"type":"binary-output","instance":5},"property":"present-value","#,
            r#""value":[{"enumerated":1}],"priority":8},"#,
            r#""response":{"bvlc_function":"original_unicast_npdu","npdu":{"version":1,"expecting_reply":false,"priority":"normal"},"apdu_type":"simple_ack"}}}"#
        )),
        "{j}"
    );
    assert_eq!(uints(tx, "bacnet.priority"), [8]);
    assert_eq!(uints(tx, "bacnet.apdu_type"), [0, 2]);
}

#[test]
fn write_priority_out_of_range() {
    let req = unicast(
        0x04,
        &[
            0x00, 0x05, 0x02, 0x0f, 0x0c, 0x01, 0x00, 0x00, 0x05, 0x19, 0x55, 0x3e, 0x91, 0x01,
            0x3f, 0x49, 0x11,
        ],
    );
    let r = run(&[(TS, &req)]);
    assert_eq!(r.events, [("SERVICE_VALUE_OUT_OF_RANGE", Some(0))]);
    assert!(eve(r.txs[0].as_ref()).contains(r#""priority":17"#));
}

#[test]
fn error_reject_abort() {
    let req = unicast(0x04, RP_REQ);
    let err = unicast(0x00, &[0x50, 0x01, 0x0c, 0x91, 0x01, 0x91, 0x1f]);
    let req2 = unicast(
        0x04,
        &[
            0x00, 0x05, 0x02, 0x0c, 0x0c, 0x00, 0x00, 0x00, 0x01, 0x19, 0x55,
        ],
    );
    let rej = unicast(0x00, &[0x60, 0x02, 0x09]);
    let req3 = unicast(
        0x04,
        &[
            0x00, 0x05, 0x03, 0x0c, 0x0c, 0x00, 0x00, 0x00, 0x01, 0x19, 0x55,
        ],
    );
    let abort = unicast(0x00, &[0x71, 0x03, 0x04]);
    let r = run(&[
        (TS, &req),
        (TC, &err),
        (TS, &req2),
        (TC, &rej),
        (TS, &req3),
        (TC, &abort),
    ]);
    assert!(r.events.is_empty(), "{:?}", r.events);
    assert_eq!(r.txs.len(), 3);
    let e = eve(r.txs[0].as_ref());
    assert!(
        e.ends_with(
            r#""apdu_type":"error","error_class":"object","error_code":"unknown-object"}}}"#
        ),
        "{e}"
    );
    assert_eq!(uints(r.txs[0].as_ref(), "bacnet.error_class"), [1]);
    assert_eq!(uints(r.txs[0].as_ref(), "bacnet.error_code"), [31]);
    let e = eve(r.txs[1].as_ref());
    assert!(
        e.ends_with(r#""apdu_type":"reject","reject_reason":"unrecognized-service"}}}"#),
        "{e}"
    );
    assert_eq!(uints(r.txs[1].as_ref(), "bacnet.reject_reason"), [9]);
    let e = eve(r.txs[2].as_ref());
    assert!(
        e.ends_with(
            r#""apdu_type":"abort","server":true,"abort_reason":"segmentation-not-supported"}}}"#
        ),
        "{e}"
    );
    assert_eq!(uints(r.txs[2].as_ref(), "bacnet.abort_reason"), [4]);
}

#[test]
fn reinitialize_device_password_not_logged() {
    let mut apdu = vec![0x00, 0x05, 0x03, 0x14, 0x09, 0x01, 0x1d, 0x09, 0x00];
    apdu.extend_from_slice(b"password");
    let req = unicast(0x04, &apdu);
    let ack = unicast(0x00, &[0x20, 0x03, 0x14]);
    let r = run(&[(TS, &req), (TC, &ack)]);
    assert!(r.events.is_empty(), "{:?}", r.events);
    let tx = r.txs[0].as_ref();
    let j = eve(tx);
    assert!(
        j.contains(r#""service":"reinitializeDevice","request":{"reinitialized_state":"warmstart","password_present":true}"#),
        "{j}"
    );
    assert!(!j.contains("password\""), "{j}");
    assert!(!j.to_lowercase().contains("\"password\""));
    assert_eq!(tx.buffer("bacnet.password"), Some(&b"password"[..]));
    assert_eq!(uints(tx, "bacnet.reinitialized_state"), [1]);
}

#[test]
fn device_communication_control() {
    let req = unicast(0x04, &[0x00, 0x05, 0x04, 0x11, 0x09, 0x05, 0x19, 0x01]);
    let r = run(&[(TS, &req)]);
    assert!(r.events.is_empty(), "{:?}", r.events);
    let tx = r.txs[0].as_ref();
    assert!(eve(tx).ends_with(
        r#""invoke_id":4,"service":"deviceCommunicationControl","request":{"time_duration":5,"enable_disable":"disable","password_present":false}}}"#
    ));
    assert_eq!(uints(tx, "bacnet.enable_disable"), [1]);
    assert!(tx.buffer("bacnet.password").is_none());
    // A 21-character password is out of range.
    let mut apdu = vec![0x00, 0x05, 0x04, 0x11, 0x19, 0x00, 0x2d, 22, 0x00];
    apdu.extend_from_slice(&[b'x'; 21]);
    let r = run(&[(TS, &unicast(0x04, &apdu))]);
    assert_eq!(r.names(), ["SERVICE_VALUE_OUT_OF_RANGE"]);
}

#[test]
fn atomic_file_services() {
    let read = unicast(
        0x04,
        &[
            0x00, 0x05, 0x05, 0x06, 0xc4, 0x02, 0x80, 0x00, 0x01, 0x0e, 0x31, 0x00, 0x22, 0x04,
            0x00, 0x0f,
        ],
    );
    let read_ack = unicast(
        0x00,
        &[
            0x30, 0x05, 0x06, 0x10, 0x0e, 0x31, 0x00, 0x64, 0xde, 0xad, 0xbe, 0xef, 0x0f,
        ],
    );
    let write = unicast(
        0x04,
        &[
            0x00, 0x05, 0x06, 0x07, 0xc4, 0x02, 0x80, 0x00, 0x01, 0x1e, 0x31, 0x02, 0x21, 0x02,
            0x62, 0x01, 0x02, 0x63, 0x03, 0x04, 0x05, 0x1f,
        ],
    );
    let write_ack = unicast(0x00, &[0x30, 0x06, 0x07, 0x19, 0x02]);
    let r = run(&[(TS, &read), (TC, &read_ack), (TS, &write), (TC, &write_ack)]);
    assert!(r.events.is_empty(), "{:?}", r.events);
    let j = eve(r.txs[0].as_ref());
    assert!(
        j.contains(concat!(
            r#""service":"atomicReadFile","request":{"file":{"type":"file","instance":1},"access":"stream","#,
            r#""file_start_position":0,"requested_octet_count":1024}"#
        )),
        "{j}"
    );
    assert!(
        j.ends_with(r#""apdu_type":"complex_ack","end_of_file":false,"access":"stream","file_start_position":0,"file_data_length":4}}}"#),
        "{j}"
    );
    let j = eve(r.txs[1].as_ref());
    assert!(
        j.contains(concat!(
            r#""request":{"file":{"type":"file","instance":1},"access":"record","file_start_record":2,"#,
            r#""record_count":2,"file_data_length":5}"#
        )),
        "{j}"
    );
    assert!(
        j.ends_with(r#""apdu_type":"complex_ack","access":"record","file_start_record":2}}}"#),
        "{j}"
    );
    assert_eq!(uints(r.txs[1].as_ref(), "bacnet.object_type"), [10]);
}

/// ReadProperty device 254 object-list, answered in two segments.
#[test]
fn segmented_complex_ack_is_reassembled() {
    let req = unicast(
        0x04,
        &[
            0x02, 0x75, 0x07, 0x0c, 0x0c, 0x02, 0x00, 0x00, 0xfe, 0x19, 0x4c,
        ],
    );
    // Service data: [0] device 254, [1] object-list, {3} three object ids.
    let data: &[u8] = &[
        0x0c, 0x02, 0x00, 0x00, 0xfe, 0x19, 0x4c, 0x3e, 0xc4, 0x02, 0x00, 0x00, 0xfe, 0xc4, 0x00,
        0x00, 0x00, 0x01, 0xc4, 0x00, 0x40, 0x00, 0x02, 0x3f,
    ];
    let (a, b) = data.split_at(10);
    let mut seg0 = vec![0x3c, 0x07, 0x00, 0x02, 0x0c];
    seg0.extend_from_slice(a);
    let mut seg1 = vec![0x38, 0x07, 0x01, 0x02, 0x0c];
    seg1.extend_from_slice(b);
    let sack0 = unicast(0x00, &[0x40, 0x07, 0x00, 0x02]);
    let sack1 = unicast(0x00, &[0x40, 0x07, 0x01, 0x02]);
    let r = run(&[
        (TS, &req),
        (TC, &unicast(0x00, &seg0)),
        (TS, &sack0),
        (TC, &unicast(0x00, &seg1)),
        (TS, &sack1),
    ]);
    assert!(r.events.is_empty(), "{:?}", r.events);
    assert_eq!(r.txs.len(), 1);
    let tx = r.txs[0].as_ref();
    assert_eq!(
        eve(tx),
        concat!(
            r#"{"bacnet":{"bvlc_function":"original_unicast_npdu","#,
            r#""npdu":{"version":1,"expecting_reply":true,"priority":"normal"},"#,
            r#""apdu_type":"confirmed_request","segmented_response_accepted":true,"max_segments_accepted":65,"#,
            r#""max_apdu_length_accepted":1476,"invoke_id":7,"service":"readProperty","segment_acks":2,"#,
            r#""request":{"object":{"type":"device","instance":254},"property":"object-list"},"#,
            r#""response":{"bvlc_function":"original_unicast_npdu","#,
            r#""npdu":{"version":1,"expecting_reply":false,"priority":"normal"},"apdu_type":"complex_ack","#,
            r#""segmented":true,"segments":2,"object":{"type":"device","instance":254},"property":"object-list","#,
            r#""value":[{"object_identifier":{"type":"device","instance":254}},"#,
            r#"{"object_identifier":{"type":"analog-input","instance":1}},"#,
            r#"{"object_identifier":{"type":"analog-output","instance":2}}]}}}"#
        )
    );
    assert_eq!(uints(tx, "bacnet.apdu_type"), [0, 3, 4]);
}

#[test]
fn retransmitted_request_is_a_retry() {
    let req = unicast(0x04, RP_REQ);
    let ack = unicast(0x00, RP_ACK);
    let r = run(&[(TS, &req), (TS, &req), (TC, &ack)]);
    assert!(r.events.is_empty(), "{:?}", r.events);
    assert_eq!(r.txs.len(), 1);
    assert!(
        eve(r.txs[0].as_ref())
            .contains(r#""invoke_id":1,"service":"readProperty","retries":1,"request""#)
    );
}

#[test]
fn reused_invoke_id_closes_the_unanswered_request() {
    let req = unicast(0x04, RP_REQ);
    let mut other = RP_REQ.to_vec();
    other[8] = 2; // analog-input 2
    let r = run(&[
        (TS, &req),
        (TS, &unicast(0x04, &other)),
        (TC, &unicast(0, RP_ACK)),
    ]);
    assert_eq!(r.txs.len(), 2);
    // The first request is logged without a response, the second gets it.
    assert!(!eve(r.txs[0].as_ref()).contains(r#""response":"#));
    assert!(eve(r.txs[1].as_ref()).contains(r#""response":{"#));
    assert_eq!(r.txs[0].tx_id(), Some(0));
    assert_eq!(r.txs[1].tx_id(), Some(1));
    // The ACK names analog-input 1 while the request asked for 2: they
    // still pair by invoke id (the record shows both).
    assert_eq!(uints(r.txs[1].as_ref(), "bacnet.instance"), [2, 1]);
}

#[test]
fn routed_requests_pair_by_network_address() {
    // Two devices behind a router (network 5, MACs 0x01 and 0x02), both
    // asked with invoke id 1; the answers come back in reverse order.
    let to = |mac: u8| bip(0x0a, &[0x01, 0x24, 0x00, 0x05, 0x01, mac, 0xff], RP_REQ);
    let from = |mac: u8, value: u8| {
        let mut ack = RP_ACK.to_vec();
        ack[12] = value;
        bip(0x0a, &[0x01, 0x08, 0x00, 0x05, 0x01, mac], &ack)
    };
    let r = run(&[
        (TS, &to(1)),
        (TS, &to(2)),
        (TC, &from(2, 0x41)),
        (TC, &from(1, 0x42)),
    ]);
    assert!(r.events.is_empty(), "{:?}", r.events);
    assert_eq!(r.txs.len(), 2);
    let first = eve(r.txs[0].as_ref());
    assert!(
        first.contains(r#""dnet":5,"dadr":"02","hop_count":255"#),
        "{first}"
    );
    assert!(
        first.contains(r#""snet":5,"sadr":"02"},"apdu_type":"complex_ack""#),
        "{first}"
    );
    let second = eve(r.txs[1].as_ref());
    assert!(
        second.contains(r#""dadr":"01""#) && second.contains(r#""sadr":"01""#),
        "{second}"
    );
    assert_eq!(uints(r.txs[0].as_ref(), "bacnet.dnet"), [5]);
    assert_eq!(uints(r.txs[0].as_ref(), "bacnet.snet"), [5]);
}

#[test]
fn read_property_multiple_with_access_error() {
    // RPM: device 5 {object-name, vendor-identifier}, analog-value 3 {present-value[2]}.
    let req = unicast(
        0x04,
        &[
            0x00, 0x05, 0x09, 0x0e, 0x0c, 0x02, 0x00, 0x00, 0x05, 0x1e, 0x09, 0x4d, 0x09, 0x78,
            0x1f, 0x0c, 0x00, 0x80, 0x00, 0x03, 0x1e, 0x09, 0x55, 0x19, 0x02, 0x1f,
        ],
    );
    // ACK: device 5 object-name "dev", vendor-identifier error (property, unknown-property).
    let ack = unicast(
        0x00,
        &[
            0x30, 0x09, 0x0e, 0x0c, 0x02, 0x00, 0x00, 0x05, 0x1e, 0x29, 0x4d, 0x4e, 0x74, 0x00,
            b'd', b'e', b'v', 0x4f, 0x29, 0x78, 0x5e, 0x91, 0x02, 0x91, 0x20, 0x5f, 0x1f,
        ],
    );
    let r = run(&[(TS, &req), (TC, &ack)]);
    assert!(r.events.is_empty(), "{:?}", r.events);
    let tx = r.txs[0].as_ref();
    let j = eve(tx);
    assert!(
        j.contains(concat!(
            r#""request":{"objects":[{"object":{"type":"device","instance":5},"properties":[{"property":"object-name"},{"property":"vendor-identifier"}]},"#,
            r#"{"object":{"type":"analog-value","instance":3},"properties":[{"property":"present-value","array_index":2}]}]}"#
        )),
        "{j}"
    );
    assert!(
        j.ends_with(concat!(
            r#""objects":[{"object":{"type":"device","instance":5},"properties":[{"property":"object-name","value":[{"character_string":"dev"}]},"#,
            r#"{"property":"vendor-identifier","error_class":"property","error_code":"unknown-property"}]}]}}}"#
        )),
        "{j}"
    );
    assert_eq!(uints(tx, "bacnet.property"), [77, 120, 85, 77, 120]);
    assert_eq!(uints(tx, "bacnet.object_type"), [8, 2, 8]);
    assert_eq!(uints(tx, "bacnet.error_code"), [32]);
}

#[test]
fn who_has_i_have_cov_time_sync_subscribe() {
    let who_has = bip(
        0x0b,
        &[0x01, 0x00],
        &[0x10, 0x07, 0x3d, 0x04, 0x00, b'F', b'A', b'N'],
    );
    let i_have = bip(
        0x0b,
        &[0x01, 0x00],
        &[
            0x10, 0x01, 0xc4, 0x02, 0x00, 0x00, 0x05, 0xc4, 0x01, 0x00, 0x00, 0x07, 0x74, 0x00,
            b'F', b'A', b'N',
        ],
    );
    // unconfirmedCOVNotification: process 1, device 5, binary-value 2, 60 s, present-value active.
    let cov = bip(
        0x0a,
        &[0x01, 0x00],
        &[
            0x10, 0x02, 0x09, 0x01, 0x1c, 0x02, 0x00, 0x00, 0x05, 0x2c, 0x01, 0x40, 0x00, 0x02,
            0x39, 0x3c, 0x4e, 0x09, 0x55, 0x2e, 0x91, 0x01, 0x2f, 0x4f,
        ],
    );
    // timeSynchronization 2024-01-05 (Friday) 12:30:00.00.
    let sync = bip(
        0x0b,
        &[0x01, 0x00],
        &[0x10, 0x06, 0xa4, 124, 1, 5, 5, 0xb4, 12, 30, 0, 0],
    );
    // subscribeCOV process 18, analog-input 1, unconfirmed, 300 s.
    let sub = unicast(
        0x04,
        &[
            0x00, 0x05, 0x0a, 0x05, 0x09, 0x12, 0x1c, 0x00, 0x00, 0x00, 0x01, 0x29, 0x00, 0x3a,
            0x01, 0x2c,
        ],
    );
    let r = run(&[
        (TS, &who_has),
        (TC, &i_have),
        (TC, &cov),
        (TS, &sync),
        (TS, &sub),
    ]);
    assert!(r.events.is_empty(), "{:?}", r.events);
    let j: Vec<String> = r.txs.iter().map(|t| eve(t.as_ref())).collect();
    assert!(
        j[0].ends_with(r#""service":"who-Has","request":{"object_name":"FAN"}}}"#),
        "{}",
        j[0]
    );
    assert!(
        j[1].ends_with(r#""service":"i-Have","request":{"device":{"type":"device","instance":5},"object":{"type":"binary-output","instance":7},"object_name":"FAN"}}}"#),
        "{}",
        j[1]
    );
    assert!(
        j[2].ends_with(concat!(
            r#""service":"unconfirmedCOVNotification","request":{"subscriber_process_identifier":1,"#,
            r#""initiating_device":{"type":"device","instance":5},"monitored_object":{"type":"binary-value","instance":2},"#,
            r#""time_remaining":60,"values":[{"property":"present-value","value":[{"enumerated":1}]}]}}}"#
        )),
        "{}",
        j[2]
    );
    assert!(
        j[3].ends_with(r#""service":"timeSynchronization","request":{"date":"2024-01-05","time":"12:30:00.00"}}}"#),
        "{}",
        j[3]
    );
    assert!(
        j[4].ends_with(concat!(
            r#""service":"subscribeCOV","request":{"subscriber_process_identifier":18,"#,
            r#""monitored_object":{"type":"analog-input","instance":1},"issue_confirmed_notifications":false,"lifetime":300}}}"#
        )),
        "{}",
        j[4]
    );
    let mut names = Vec::new();
    r.txs[1].buffers("bacnet.object_name", &mut |b| names.push(b.to_vec()));
    assert_eq!(names, [b"FAN".to_vec()]);
    assert_eq!(uints(r.txs[2].as_ref(), "bacnet.object_type"), [8, 5]);
}

#[test]
fn application_values() {
    // WriteProperty value list with every primitive application tag.
    let mut apdu = vec![
        0x00, 0x05, 0x0b, 0x0f, 0x0c, 0x00, 0x00, 0x00, 0x01, 0x19, 0x55, 0x3e,
    ];
    apdu.extend_from_slice(&[
        0x00, // null
        0x11, // boolean true
        0x21, 0x07, // unsigned 7
        0x31, 0xfe, // signed -2
        0x44, 0x3d, 0xcc, 0xcc, 0xcd, // real 0.1
        0x55, 0x08, 0x40, 0x09, 0x21, 0xfb, 0x54, 0x44, 0x2d, 0x18, // double pi
        0x62, 0xab, 0xcd, // octet string
        0x75, 0x06, 0x04, 0x00, b'h', 0x00, b'i', 0x00, // UCS-2, odd length
        0x82, 0x04, 0xa0, // bit string 1010
        0x91, 0x03, // enumerated
        0xa4, 0xff, 13, 32, 0xff, // date *-odd-last
        0xb4, 0x17, 0xff, 0x00, 0xff, // time 23:*:00.*
        0xc4, 0x20, 0x00, 0x00, 0x09, // object 128:9 (proprietary type)
        0x0e, 0x09, 0x02, 0x0f, // context-tagged constructed
    ]);
    apdu.extend_from_slice(&[0x3f]);
    let r = run(&[(TS, &unicast(0x04, &apdu))]);
    assert!(r.events.is_empty(), "{:?}", r.events);
    let j = eve(r.txs[0].as_ref());
    assert!(
        j.contains(concat!(
            r#""value":[{"null":true},{"boolean":true},{"unsigned":7},{"signed":-2},{"real":0.1},"#,
            r#"{"double":3.141592653589793},{"octet_string":"abcd"},"#,
            r#"{"character_string":"\u0000h\u0000i\u0000","character_set":"ucs-2"},"#,
            r#"{"bit_string":"1010"},{"enumerated":3},{"date":"*-odd-last"},{"time":"23:*:00.*"},"#,
            r#"{"object_identifier":{"type":"128","instance":9}},"#,
            r#"{"opening_tag":0},{"context_tag":0,"data":"02"},{"closing_tag":0}]"#
        )),
        "{j}"
    );
}

#[test]
fn bvll_functions() {
    let result = [0x81, 0x00, 0x00, 0x06, 0x00, 0x30];
    let register = [0x81, 0x05, 0x00, 0x06, 0x00, 0x3c];
    let fwd = bip(
        0x04,
        &[0xc0, 0xa8, 0x01, 0x0a, 0xba, 0xc0, 0x01, 0x00],
        &[0x10, 0x08],
    );
    let bdt_ack = [
        0x81, 0x03, 0x00, 0x0e, 10, 0, 0, 1, 0xba, 0xc0, 255, 255, 255, 255,
    ];
    let fdt_ack = [
        0x81, 0x07, 0x00, 0x0e, 10, 0, 0, 9, 0xba, 0xc1, 0x00, 0x3c, 0x00, 0x5a,
    ];
    let delete = [0x81, 0x08, 0x00, 0x0a, 10, 0, 0, 9, 0xba, 0xc1];
    let read_bdt = [0x81, 0x02, 0x00, 0x04];
    let r = run(&[
        (TC, &result),
        (TS, &register),
        (TS, &fwd),
        (TC, &bdt_ack),
        (TC, &fdt_ack),
        (TS, &delete),
        (TS, &read_bdt),
    ]);
    assert!(r.events.is_empty(), "{:?}", r.events);
    let j: Vec<String> = r.txs.iter().map(|t| eve(t.as_ref())).collect();
    assert_eq!(
        j[0],
        r#"{"bacnet":{"bvlc_function":"bvlc_result","bvlc":{"result_code":"register_foreign_device_nak"}}}"#
    );
    assert_eq!(
        j[1],
        r#"{"bacnet":{"bvlc_function":"register_foreign_device","bvlc":{"time_to_live":60}}}"#
    );
    assert_eq!(
        j[2],
        concat!(
            r#"{"bacnet":{"bvlc_function":"forwarded_npdu","bvlc":{"original_source":"192.168.1.10:47808"},"#,
            r#""npdu":{"version":1,"expecting_reply":false,"priority":"normal"},"apdu_type":"unconfirmed_request","#,
            r#""service":"who-Is"}}"#
        )
    );
    assert_eq!(
        j[3],
        r#"{"bacnet":{"bvlc_function":"read_broadcast_distribution_table_ack","bvlc":{"entry_count":1,"bdt":[{"address":"10.0.0.1:47808","mask":"255.255.255.255"}]}}}"#
    );
    assert_eq!(
        j[4],
        r#"{"bacnet":{"bvlc_function":"read_foreign_device_table_ack","bvlc":{"entry_count":1,"fdt":[{"address":"10.0.0.9:47809","time_to_live":60,"time_remaining":90}]}}}"#
    );
    assert_eq!(
        j[5],
        r#"{"bacnet":{"bvlc_function":"delete_foreign_device_table_entry","bvlc":{"entry":"10.0.0.9:47809"}}}"#
    );
    assert_eq!(
        j[6],
        r#"{"bacnet":{"bvlc_function":"read_broadcast_distribution_table"}}"#
    );
    assert_eq!(uints(r.txs[2].as_ref(), "bacnet.bvlc_function"), [4]);
}

#[test]
fn network_layer_messages() {
    let who_is_router = bip(0x0b, &[0x01, 0x80, 0x00], &[]);
    let i_am_router = bip(0x0b, &[0x01, 0x80, 0x01, 0x00, 0x05, 0x00, 0x06], &[]);
    let reject = bip(0x0a, &[0x01, 0x80, 0x03, 0x01, 0x00, 0x07], &[]);
    let number_is = bip(0x0b, &[0x01, 0x80, 0x13, 0x00, 0x09, 0x01], &[]);
    let proprietary = bip(0x0a, &[0x01, 0x80, 0x90, 0x01, 0x04, 0xaa], &[]);
    let init_table = bip(
        0x0a,
        &[0x01, 0x80, 0x06, 0x01, 0x00, 0x07, 0x02, 0x01, 0xee],
        &[],
    );
    let r = run(&[
        (TS, &who_is_router),
        (TC, &i_am_router),
        (TC, &reject),
        (TC, &number_is),
        (TS, &proprietary),
        (TS, &init_table),
    ]);
    assert!(r.events.is_empty(), "{:?}", r.events);
    let j: Vec<String> = r.txs.iter().map(|t| eve(t.as_ref())).collect();
    let npdu =
        |s: &str| format!(r#"{{"version":1,"expecting_reply":false,"priority":"normal",{s}}}}}"#);
    assert!(
        j[0].ends_with(&npdu(r#""message_type":"who_is_router_to_network"}"#)),
        "{}",
        j[0]
    );
    assert!(
        j[1].ends_with(&npdu(
            r#""message_type":"i_am_router_to_network","networks":[5,6]}"#
        )),
        "{}",
        j[1]
    );
    assert!(
        j[2].ends_with(&npdu(r#""message_type":"reject_message_to_network","reject_reason":"not_directly_connected","network":7}"#)),
        "{}",
        j[2]
    );
    assert!(
        j[3].ends_with(&npdu(
            r#""message_type":"network_number_is","network":9,"configured":true}"#
        )),
        "{}",
        j[3]
    );
    assert!(
        j[4].ends_with(&npdu(r#""message_type":"proprietary","vendor_id":260}"#)),
        "{}",
        j[4]
    );
    assert!(
        j[5].ends_with(&npdu(r#""message_type":"initialize_routing_table","port_count":1,"ports":[{"network":7,"port_id":2,"port_info_length":1}]}"#)),
        "{}",
        j[5]
    );
    assert_eq!(uints(r.txs[1].as_ref(), "bacnet.network_message_type"), [1]);
    assert!(uints(r.txs[1].as_ref(), "bacnet.apdu_type").is_empty());
}

/// Each malformed datagram and the anomalies it raises.
#[test]
fn malformed_datagrams() {
    let cases: Vec<(Vec<u8>, &[&str])> = vec![
        (vec![0x81, 0x0a, 0x00], &["BVLC_TOO_SHORT"]),
        (vec![0x82, 0x0a, 0x00, 0x04], &["INVALID_BVLC_TYPE"]),
        // Length field 0x20 for an 8-octet datagram.
        (
            vec![0x81, 0x0b, 0x00, 0x20, 0x01, 0x00, 0x10, 0x08],
            &["BVLC_LENGTH_MISMATCH"],
        ),
        (vec![0x81, 0x0d, 0x00, 0x04], &["BVLC_UNKNOWN_FUNCTION"]),
        (
            vec![0x81, 0x00, 0x00, 0x05, 0x00],
            &["BVLC_INVALID_PAYLOAD"],
        ),
        (
            vec![0x81, 0x00, 0x00, 0x06, 0x00, 0x11],
            &["BVLC_INVALID_PAYLOAD"],
        ),
        (vec![0x81, 0x0a, 0x00, 0x04], &["NPDU_TRUNCATED"]),
        (unicast(0x00, &[]), &["APDU_TRUNCATED"]),
        (
            bip(0x0a, &[0x02, 0x00], &[0x10, 0x08]),
            &["NPDU_INVALID_VERSION"],
        ),
        (
            bip(0x0a, &[0x01, 0x40], &[0x10, 0x08]),
            &["NPDU_RESERVED_BITS"],
        ),
        // DNET present but cut short.
        (bip(0x0a, &[0x01, 0x20, 0x00], &[]), &["NPDU_TRUNCATED"]),
        // SLEN 0 (a broadcast source).
        (
            bip(0x0a, &[0x01, 0x08, 0x00, 0x05, 0x00], &[0x10, 0x08]),
            &["NPDU_INVALID_ADDRESS"],
        ),
        (
            bip(0x0a, &[0x01, 0x80, 0x50], &[]),
            &["NPDU_UNKNOWN_MESSAGE_TYPE"],
        ),
        (
            bip(0x0a, &[0x01, 0x80, 0x01, 0x00], &[]),
            &["NPDU_INVALID_MESSAGE"],
        ),
        (unicast(0x00, &[0x90, 0x00]), &["APDU_INVALID_TYPE"]),
        (unicast(0x04, &[0x00, 0x05]), &["APDU_TRUNCATED"]),
        (
            unicast(0x04, &[0x01, 0x05, 0x01, 0x0c]),
            &["APDU_INVALID_HEADER", "SERVICE_DATA_MALFORMED"],
        ),
        (
            unicast(0x00, &[0x20, 0x01, 0x0f, 0x00]),
            &["APDU_INVALID_HEADER", "RESPONSE_WITHOUT_REQUEST"],
        ),
        (unicast(0x00, &[0x10, 0x20]), &["APDU_UNKNOWN_SERVICE"]),
        // readProperty with its object identifier cut short.
        (
            unicast(0x04, &[0x00, 0x05, 0x01, 0x0c, 0x0c, 0x00, 0x00]),
            &["SERVICE_DATA_TRUNCATED"],
        ),
        // readProperty without its property.
        (
            unicast(
                0x04,
                &[0x00, 0x05, 0x01, 0x0c, 0x0c, 0x00, 0x00, 0x00, 0x01],
            ),
            &["SERVICE_DATA_MALFORMED"],
        ),
        // who-Is with trailing octets, with one limit only, with a limit past 2^22-1.
        (
            unicast(0x00, &[0x10, 0x08, 0x09, 0x01, 0x19, 0x02, 0x00]),
            &["SERVICE_DATA_MALFORMED"],
        ),
        (
            unicast(0x00, &[0x10, 0x08, 0x09, 0x01]),
            &["SERVICE_VALUE_OUT_OF_RANGE"],
        ),
        (
            unicast(0x00, &[0x10, 0x08, 0x09, 0x01, 0x1b, 0x40, 0x00, 0x00]),
            &["SERVICE_VALUE_OUT_OF_RANGE"],
        ),
        // Application tag with an opening-tag LVT.
        (
            unicast(0x00, &[0x10, 0x00, 0xc6]),
            &["SERVICE_DATA_MALFORMED"],
        ),
        // I-Am of a non-device object with a 49-octet max APDU.
        (
            unicast(
                0x00,
                &[
                    0x10, 0x00, 0xc4, 0x00, 0x00, 0x00, 0x01, 0x21, 49, 0x91, 0x03, 0x21, 0x01,
                ],
            ),
            &["SERVICE_VALUE_OUT_OF_RANGE"],
        ),
        // Extended length past the end.
        (
            unicast(0x04, &[0x00, 0x05, 0x01, 0x0f, 0x0d, 0xff, 0x00]),
            &["SERVICE_DATA_TRUNCATED"],
        ),
    ];
    for (d, want) in &cases {
        let r = run(&[(TS, d)]);
        assert_eq!(&r.names(), want, "{d:02x?}");
        // Every datagram that is BVLL at all gives a record.
        let is_bvll = d.len() >= 4 && d[0] == 0x81;
        assert_eq!(r.txs.len(), usize::from(is_bvll), "{d:02x?}");
        for tx in &r.txs {
            let _ = eve(tx.as_ref());
        }
    }
}

#[test]
fn anomalies_name_their_transaction() {
    let bad = unicast(
        0x04,
        &[0x00, 0x05, 0x01, 0x0c, 0x0c, 0x00, 0x00, 0x00, 0x01],
    );
    let ok = unicast(0x04, RP_REQ);
    let r = run(&[
        (TS, &ok),
        (TS, &unicast(0x00, WHO_IS_LIMITS)),
        (TS, &{
            let mut b = bad.clone();
            b[8] = 2;
            b
        }),
    ]);
    assert_eq!(r.events, [("SERVICE_DATA_MALFORMED", Some(2))]);
}

#[test]
fn segments_out_of_order_are_not_decoded() {
    let req = unicast(
        0x04,
        &[
            0x02, 0x75, 0x07, 0x0c, 0x0c, 0x02, 0x00, 0x00, 0xfe, 0x19, 0x4c,
        ],
    );
    let seg0 = unicast(0x00, &[0x3c, 0x07, 0x00, 0x02, 0x0c, 0x0c, 0x02]);
    let seg2 = unicast(0x00, &[0x3c, 0x07, 0x02, 0x02, 0x0c, 0x00, 0x00]);
    let seg3 = unicast(0x00, &[0x38, 0x07, 0x03, 0x02, 0x0c, 0xfe]);
    let r = run(&[(TS, &req), (TC, &seg0), (TC, &seg2), (TC, &seg3)]);
    assert_eq!(r.events, [("SEGMENT_OUT_OF_ORDER", Some(0))]);
    assert_eq!(r.txs.len(), 1);
    let j = eve(r.txs[0].as_ref());
    assert!(
        j.ends_with(r#""apdu_type":"complex_ack","segmented":true,"segments":3}}}"#),
        "{j}"
    );
}

#[test]
fn reassembly_is_bounded() {
    let req = unicast(
        0x04,
        &[
            0x02, 0x75, 0x07, 0x0c, 0x0c, 0x02, 0x00, 0x00, 0xfe, 0x19, 0x4c,
        ],
    );
    let mut d = vec![(TS, req)];
    for seq in 0..40u8 {
        let mut apdu = vec![0x3c, 0x07, seq, 0x02, 0x0c];
        apdu.extend(std::iter::repeat_n(0x00, 1400));
        d.push((TC, unicast(0x00, &apdu)));
    }
    let mut p = BacnetParser::default();
    let mut out = ParseOutput::default();
    for (dir, data) in &d {
        p.parse(*dir, data, &mut out);
        assert!(p.reassembly_room() <= MAX_REASSEMBLY);
        assert!(
            p.open.iter().map(BacnetTx::reassembly_bytes).sum::<usize>() <= MAX_SEGMENTED_MESSAGE
        );
    }
    let names: Vec<_> = out.events.iter().map(|e| e.name).collect();
    assert_eq!(names, ["REASSEMBLY_LIMIT"]);
}

#[test]
fn open_requests_are_bounded() {
    let mut d = Vec::new();
    for invoke in 0..(MAX_OPEN_TX as u8 + 6) {
        let mut apdu = RP_REQ.to_vec();
        apdu[2] = invoke;
        d.push(unicast(0x04, &apdu));
    }
    let mut p = BacnetParser::default();
    let mut out = ParseOutput::default();
    for data in &d {
        p.parse(TS, data, &mut out);
        assert!(p.open.len() <= MAX_OPEN_TX);
    }
    assert_eq!(out.txs.len(), 6);
    let names: Vec<_> = out.events.iter().map(|e| e.name).collect();
    assert_eq!(names, ["TOO_MANY_TRANSACTIONS"]);
    p.finish(&mut out);
    assert_eq!(out.txs.len(), MAX_OPEN_TX + 6);
}

#[test]
fn unanswered_requests_age_out() {
    let req = unicast(0x04, RP_REQ);
    let who = bip(0x0b, &[0x01, 0x00], &[0x10, 0x08]);
    let mut p = BacnetParser::default();
    let mut out = ParseOutput::default();
    p.parse(TS, &req, &mut out);
    for _ in 0..MAX_AGE + 1 {
        p.parse(TS, &who, &mut out);
    }
    assert!(p.open.is_empty());
    assert_eq!(out.txs.len() as u64, MAX_AGE + 2);
    // Logged before the datagram that aged it out.
    assert_eq!(out.txs[MAX_AGE as usize].tx_id(), Some(0));
}

#[test]
fn values_are_bounded() {
    // A ReadProperty ACK with 200 unsigned values.
    let mut apdu = vec![
        0x30, 0x01, 0x0c, 0x0c, 0x02, 0x00, 0x00, 0x01, 0x19, 0x4c, 0x3e,
    ];
    for i in 0..200u8 {
        apdu.extend_from_slice(&[0x21, i]);
    }
    apdu.push(0x3f);
    let r = run(&[(TS, &unicast(0x04, RP_REQ)), (TC, &unicast(0, &apdu))]);
    assert!(r.events.is_empty(), "{:?}", r.events);
    let j = eve(r.txs[0].as_ref());
    assert_eq!(j.matches(r#"{"unsigned":"#).count(), apdu::MAX_ITEMS);
    assert!(
        j.ends_with(r#"{"unsigned":63}],"values_truncated":true}}}"#),
        "{j}"
    );
    // Long strings keep their first MAX_STRING octets.
    let mut apdu = vec![
        0x30, 0x01, 0x0c, 0x0c, 0x02, 0x00, 0x00, 0x01, 0x19, 0x4d, 0x3e, 0x75, 0xfe, 0x01, 0x01,
        0x00,
    ];
    apdu.extend(std::iter::repeat_n(b'a', 256));
    apdu.push(0x3f);
    let r = run(&[(TS, &unicast(0x04, RP_REQ)), (TC, &unicast(0, &apdu))]);
    assert!(r.events.is_empty(), "{:?}", r.events);
    let j = eve(r.txs[0].as_ref());
    let s = "a".repeat(apdu::MAX_STRING);
    assert!(
        j.contains(&format!(r#"{{"character_string":"{s}","truncated":true}}"#)),
        "{j}"
    );
}

#[test]
fn probe_accepts_and_rejects() {
    let d = TS;
    assert_eq!(probe(d, &unicast(0x04, RP_REQ)), Probe::Match);
    assert_eq!(
        probe(
            d,
            &bip(0x0b, &[0x01, 0x20, 0xff, 0xff, 0x00, 0xff], WHO_IS_LIMITS)
        ),
        Probe::Match
    );
    assert_eq!(
        probe(d, &[0x81, 0x00, 0x00, 0x06, 0x00, 0x00]),
        Probe::Match
    );
    assert_eq!(probe(d, &bip(0x0b, &[0x01, 0x80, 0x00], &[])), Probe::Match);
    // A wrong length field passes when all else is flawless (field
    // captures have it), not with anything else wrong.
    assert_eq!(
        probe(d, &[0x81, 0x0a, 0x00, 0x20, 0x01, 0x00, 0x10, 0x08]),
        Probe::Match
    );
    assert_eq!(
        probe(d, &[0x81, 0x0a, 0x00, 0x20, 0x01, 0x00, 0x10, 0x08, 0x09]),
        Probe::NoMatch
    );
    // Wrong type, NPDU version, APDU type, function.
    assert_eq!(
        probe(d, &[0x82, 0x0a, 0x00, 0x08, 0x01, 0x00, 0x10, 0x08]),
        Probe::NoMatch
    );
    assert_eq!(
        probe(d, &bip(0x0a, &[0x00, 0x00], &[0x10, 0x08])),
        Probe::NoMatch
    );
    assert_eq!(probe(d, &unicast(0x00, &[0xa0, 0x08])), Probe::NoMatch);
    assert_eq!(probe(d, &[0x81, 0x0e, 0x00, 0x04]), Probe::NoMatch);
    assert_eq!(probe(d, b"GET / HTTP/1.0\r\n"), Probe::NoMatch);
    assert_eq!(probe(d, &[0x81]), Probe::NoMatch);
    assert_eq!(INFO.udp_ports.first(), Some(&47808));
    assert_eq!(INFO.udp_ports.last(), Some(&47823));
}

#[test]
fn every_prefix_and_hostile_input_stay_safe() {
    let msgs = [
        unicast(0x04, RP_REQ),
        unicast(0x00, RP_ACK),
        bip(0x0b, &[0x01, 0x20, 0xff, 0xff, 0x00, 0xff], I_AM),
        bip(
            0x04,
            &[
                10, 0, 0, 1, 0xba, 0xc0, 0x01, 0x2c, 0x00, 0x05, 0x01, 0x07, 0x00, 0x05, 0x01,
                0x09, 0xff,
            ],
            RP_REQ,
        ),
    ];
    for m in &msgs {
        for n in 0..=m.len() {
            let mut d = m[..n].to_vec();
            if d.len() >= 4 {
                // Keep the length field consistent, so the inner layers see the cut.
                d[2] = (n >> 8) as u8;
                d[3] = n as u8;
            }
            let r = run(&[(TS, &d), (TC, &d)]);
            for tx in &r.txs {
                let _ = eve(tx.as_ref());
                for k in ["bacnet.object_type", "bacnet.property", "bacnet.apdu_type"] {
                    let _ = uints(tx.as_ref(), k);
                }
            }
        }
    }
    let mut seed = 0x9e37_79b9u32;
    let mut next = || {
        seed ^= seed << 13;
        seed ^= seed >> 17;
        seed ^= seed << 5;
        seed
    };
    let mut p = BacnetParser::default();
    let mut out = ParseOutput::default();
    for i in 0..5000 {
        let base = &msgs[i % msgs.len()];
        let mut d = base.clone();
        for _ in 0..(next() % 4) {
            let at = next() as usize % d.len();
            d[at] = next() as u8;
        }
        let dir = if next() % 2 == 0 { TS } else { TC };
        p.parse(dir, &d, &mut out);
        assert!(p.open.len() <= MAX_OPEN_TX);
        for tx in out.txs.drain(..) {
            let j = eve(tx.as_ref());
            assert!(j.starts_with(r#"{"bacnet":{"#) && j.ends_with("}}"), "{j}");
        }
        out.events.clear();
    }
}

#[test]
fn length_field_disagreeing_with_the_datagram() {
    // bacnet_example.pcap frame 572: the length field says 17 octets, the
    // datagram (and its NPDU) has 25; Wireshark decodes all 25 too.
    let mut d = vec![
        0x81, 0x0a, 0x00, 0x11, 0x01, 0x04, 0x00, 0x05, 0x01, 0x14, 0x09, 0x06, 0x1d, 0x0b, 0x00,
    ];
    d.extend_from_slice(b"Delcatty70");
    let r = run(&[(TS, &d)]);
    assert_eq!(r.events, [("BVLC_LENGTH_MISMATCH", Some(0))]);
    let tx = r.txs[0].as_ref();
    assert!(eve(tx).ends_with(
        r#""service":"reinitializeDevice","request":{"reinitialized_state":"abortrestore","password_present":true}}}"#
    ));
    assert_eq!(tx.buffer("bacnet.password"), Some(&b"Delcatty70"[..]));
}
