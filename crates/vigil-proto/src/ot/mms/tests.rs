use super::*;

fn hexb(s: &str) -> Vec<u8> {
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
        .collect()
}

fn run(chunks: &[(Direction, Vec<u8>)]) -> (Vec<Box<dyn Transaction>>, Vec<&'static str>) {
    let mut p = MmsParser::new();
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

fn bufs(tx: &dyn Transaction, name: &str) -> Vec<String> {
    let mut v = Vec::new();
    tx.buffers(name, &mut |x| {
        v.push(String::from_utf8_lossy(x).into_owned())
    });
    v
}

const TS: Direction = Direction::ToServer;
const TC: Direction = Direction::ToClient;

/// ntop nDPI's iso9506-1-mms.pcap: an IEC 61850 client session.
fn session() -> Vec<(Direction, Vec<u8>)> {
    [
        (TS, "0300001611e00000077800c1020001c2020001c0010d"),
        (TC, "0300001611d00778340000c1020001c2020001c0010a"),
        (TS, "030000a702f0800d9e0506130100160102140200023302000134020001c188318185a003800101a27e810400000001820400000001a423300f0201010604520100013004060251013010020103060528ca2202013004060251018802060061473045020101a040603e80020780a107060528ca220203be2f282d020103a028a826800300fa0081010a82010a830105a416800101810305e100820c03a00000000000000000e110"),
        (TC, "0300009202f0800e89050613010016010214020002c17b3179a003800101a272830400000001a5123007800100810251013007800100810251018802060061523050020101a04b614980020780a107060528ca220203a203020100a305a103020100be2e282c020103a027a92580027d0081010a820108830105a416800101810305e100820c03ee0800000400000001ed18"),
        (TS, "0300004202f0800100010061353033020103a02ea02c020304a273a625a023a1211a0e41413145315130314650324c44301a0f4c4c4e30244252247263625f423032"),
        (TC, "0300002202f0800100010061153013020103a00ea20c800304a273a205a003870102"),
        (TS, "0300004802f08001000100613b3039020103a034a032020304a274a42ba129a0273025a023a1211a0e41413145315130314650324c44301a0f4c4c4e30244252247263625f423032"),
        (TC, "0300002202f0800100010061153013020103a00ea10c020304a274a405a10380010a"),
        (TS, "0300001602f0800100010061093007020103a0028b00"),
        (TC, "0300001602f0800100010061093007020103a0028c00"),
        (TS, "0300001902f0800910c10e610c300a020101a0056203800101"),
        (TC, "0300001902f0800a10c10e610c300a020101a0056303800101"),
    ]
    .iter()
    .map(|(d, h)| (*d, hexb(h)))
    .collect()
}

#[test]
fn full_association() {
    let (txs, ev) = run(&session());
    assert!(ev.is_empty(), "{ev:?}");
    let all: Vec<String> = txs.iter().map(|t| eve(t.as_ref())).collect();
    assert_eq!(all.len(), 5, "{all:#?}");
    assert_eq!(
        all[0],
        concat!(
            r#"{"mms":{"service":"initiate","request":{"session":"CN","acse":{"apdu":"aarq","application_context":"1.0.9506.2.3"},"#,
            r#""pdu":"initiate_request","initiate":{"local_detail":64000,"max_serv_outstanding_calling":10,"max_serv_outstanding_called":10,"#,
            r#""nesting_level":5,"version":1,"parameter_cbb":"e100","services_supported":"a00000000000000000e110"}},"#,
            r#""response":{"session":"AC","acse":{"apdu":"aare","application_context":"1.0.9506.2.3","result":0,"diagnostic":0},"#,
            r#""pdu":"initiate_response","initiate":{"local_detail":32000,"max_serv_outstanding_calling":10,"max_serv_outstanding_called":8,"#,
            r#""nesting_level":5,"version":1,"parameter_cbb":"e100","services_supported":"ee0800000400000001ed18"}}}}"#
        )
    );
    assert_eq!(
        all[1],
        concat!(
            r#"{"mms":{"service":"get_variable_access_attributes","service_code":6,"invoke_id":303731,"#,
            r#""request":{"pdu":"confirmed_request","invoke_id":303731,"object_names":[{"scope":"domain","domain":"AA1E1Q01FP2LD0","item":"LLN0$BR$rcb_B02"}]},"#,
            r#""response":{"pdu":"confirmed_error","invoke_id":303731,"error":{"class_code":7,"class":"access","code":2}}}}"#
        )
    );
    assert!(
        all[2].contains(r#""service":"read","service_code":4,"invoke_id":303732"#),
        "{}",
        all[2]
    );
    assert!(all[2].contains(r#""response":{"pdu":"confirmed_response","invoke_id":303732,"success_count":0,"failure_count":1}"#), "{}", all[2]);
    assert!(all[3].starts_with(r#"{"mms":{"service":"conclude","request":{"pdu":"conclude_request"},"response":{"pdu":"conclude_response"}"#), "{}", all[3]);
    assert_eq!(
        all[4],
        r#"{"mms":{"service":"release","request":{"session":"FN","acse":{"apdu":"rlrq","reason":1}},"response":{"session":"DN","acse":{"apdu":"rlre","reason":1}}}}"#
    );
    let tx = txs[1].as_ref();
    assert_eq!(
        bufs(tx, "mms.object_name"),
        ["AA1E1Q01FP2LD0/LLN0$BR$rcb_B02"]
    );
    assert_eq!(bufs(tx, "mms.domain"), ["AA1E1Q01FP2LD0"]);
    assert_eq!(
        tx.buffer("mms.service"),
        Some(&b"get_variable_access_attributes"[..])
    );
    let mut v = Vec::new();
    tx.uints("mms.service", &mut |x| v.push(x));
    tx.uints("mms.error_class", &mut |x| v.push(x));
    assert_eq!(v, [6, 7]);
    assert!(txs.iter().all(|t| t.log_direction() == TS));
}

#[test]
fn bare_mms_over_cotp() {
    // MMS - Specific Commands/mms-killRequest.pcap: kill with no session layer.
    let kill =
        hexb("0300002802f080a01f020101bf2c198017523339353032343339374170706c69636174696f6e5f31");
    let (txs, ev) = run(&[(TS, kill)]);
    assert!(ev.is_empty(), "{ev:?}");
    assert_eq!(
        eve(txs[0].as_ref()),
        r#"{"mms":{"service":"kill","service_code":44,"invoke_id":1,"request":{"pdu":"confirmed_request","invoke_id":1,"identifiers":["R395024397Application_1"]}}}"#
    );
    assert_eq!(
        bufs(txs[0].as_ref(), "mms.identifier"),
        ["R395024397Application_1"]
    );
}

#[test]
fn every_split_gives_the_same_records() {
    let s = session();
    let (whole, _) = run(&s);
    let want: Vec<String> = whole.iter().map(|t| eve(t.as_ref())).collect();
    let ts: Vec<u8> = s
        .iter()
        .filter(|(d, _)| *d == TS)
        .flat_map(|(_, b)| b.clone())
        .collect();
    // Client bytes all at once split at every offset, each server answer after its request.
    for cut in (0..=ts.len()).step_by(1) {
        let mut chunks = vec![(TS, ts[..cut].to_vec()), (TS, ts[cut..].to_vec())];
        chunks.extend(s.iter().filter(|(d, _)| *d == TC).cloned());
        let (txs, ev) = run(&chunks);
        assert!(ev.is_empty(), "cut {cut}: {ev:?}");
        let got: Vec<String> = txs.iter().map(|t| eve(t.as_ref())).collect();
        let mut g = got.clone();
        let mut w = want.clone();
        g.sort();
        w.sort();
        assert_eq!(g, w, "cut {cut}");
    }
}

fn dt(pdu: &[u8]) -> Vec<u8> {
    let len = pdu.len() + 7;
    let mut v = vec![3, 0, (len >> 8) as u8, len as u8, 2, 0xF0, 0x80];
    v.extend_from_slice(pdu);
    v
}

#[test]
fn malformed_pdus_raise_anomalies() {
    let cases: &[(&[u8], &[&str])] = &[
        // BER length beyond the data.
        (&[0xA0, 0x10, 0x02, 0x01], &["MALFORMED_PDU"]),
        // Session DT with presentation data that is not BER.
        (
            &[0x01, 0x00, 0x01, 0x00, 0x61, 0x09, 0x30],
            &["MALFORMED_PDU"],
        ),
        // An MMS PDU choice [20].
        (&[0xB4, 0x03, 0x02, 0x01, 0x01], &["UNKNOWN_PDU"]),
        // Confirmed request with service [99].
        (
            &[0xA0, 0x07, 0x02, 0x01, 0x01, 0xBF, 0x63, 0x01, 0x00],
            &["UNKNOWN_SERVICE"],
        ),
        // Confirmed request without a service.
        (&[0xA0, 0x03, 0x02, 0x01, 0x01], &["MALFORMED_PDU"]),
        // Unknown SPDU type.
        (&[0x33, 0x00], &["MALFORMED_PDU"]),
    ];
    for (pdu, want) in cases {
        let (_, ev) = run(&[(TS, dt(pdu))]);
        assert_eq!(&ev, want, "{pdu:02x?}");
    }
}

#[test]
fn pending_requests_are_capped() {
    let mut chunks = Vec::new();
    for id in 0..40u8 {
        chunks.push((TS, dt(&[0xA0, 0x05, 0x02, 0x01, id, 0x82, 0x00])));
    }
    let (txs, ev) = run(&chunks);
    assert_eq!(ev.len(), 8);
    assert!(ev.iter().all(|e| *e == "TOO_MANY_PENDING_REQUESTS"));
    assert_eq!(txs.len(), 40);
    assert!(eve(txs[0].as_ref()).contains(r#""service":"identify""#));
}

#[test]
fn hostile_input_never_panics() {
    let mut seed = 0x2545_F491u32;
    let mut next = || {
        seed ^= seed << 13;
        seed ^= seed >> 17;
        seed ^= seed << 5;
        seed
    };
    let base: Vec<(Direction, Vec<u8>)> = session();
    for _ in 0..3000 {
        let mut p = MmsParser::new();
        let mut out = ParseOutput::default();
        for (d, b) in &base {
            let mut b = b.clone();
            for _ in 0..(next() % 4) {
                let i = next() as usize % b.len();
                b[i] = next() as u8;
            }
            p.parse(*d, &b, &mut out);
        }
        p.finish(&mut out);
        for tx in &out.txs {
            let _ = eve(tx.as_ref());
        }
    }
}
