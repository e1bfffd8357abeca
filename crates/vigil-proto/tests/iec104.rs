//! IEC 60870-5-104 over the shared corpus (skips when it is absent).

mod ot_corpus;

#[test]
fn corpus_iec104() {
    let Some(dir) = ot_corpus::corpus("iec104") else {
        return;
    };
    let mut total = 0;
    for path in ot_corpus::captures(&dir) {
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        let out = ot_corpus::run(&path);
        let recs: Vec<&String> = out
            .records
            .iter()
            .filter(|(t, _)| *t == "iec104")
            .map(|(_, j)| j)
            .collect();
        assert!(!recs.is_empty(), "{name}: no iec104 records");
        assert!(out.app_protos.contains(&Some("iec104")), "{name}");
        total += recs.len();
        if name.contains("IEC104_SQ") {
            // One frame, four M_SP_NA_1 ASDUs of 16 sequenced points each.
            assert_eq!(recs.len(), 4, "{name}");
            for r in &recs {
                assert!(r.contains(r#""type_id":1,"type":"M_SP_NA_1","sq":true,"num_ix":16,"cause_tx":20,"cause":"inrogen""#), "{r}");
                assert!(r.contains(r#""common_address":1054"#), "{r}");
            }
            assert!(recs[3].contains(r#"{"ioa":63,"siq":"#), "{}", recs[3]);
            assert!(out.events.is_empty(), "{:?}", out.events);
        }
        if name.contains("TestDissectIec104") {
            // Frame 118: negative confirmation of a double command.
            assert!(recs.iter().any(|r| r.contains(r#""type":"C_DC_NA_1","sq":false,"num_ix":1,"cause_tx":7,"cause":"actcon","negative":true"#) && r.contains(r#""ioa":15000"#)));
            // Frame 139: clock synchronisation.
            assert!(
                recs.iter().any(|r| r.contains(r#""type":"C_CS_NA_1""#)
                    && r.contains(r#""cp56time":{"value":"2008-08-29T08:57:13.000""#)),
                "clock sync"
            );
            assert!(out.events.contains(&"INVALID_START_BYTE"));
        }
        if name.contains("nDPI") {
            assert!(
                recs.iter().any(|r| r.contains(r#""type":"M_ME_TF_1""#)
                    && r.contains(r#""common_address":10516"#))
            );
        }
    }
    assert!(total >= 390, "{total}");
}
