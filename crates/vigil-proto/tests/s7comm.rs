//! S7comm and S7comm-plus over the shared corpus (skips when it is absent).

mod ot_corpus;

#[test]
fn corpus_s7comm() {
    let Some(dir) = ot_corpus::corpus("s7comm") else {
        return;
    };
    let mut total = 0;
    for path in ot_corpus::captures(&dir) {
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        let out = ot_corpus::run(&path);
        let recs: Vec<&String> = out
            .records
            .iter()
            .filter(|(t, _)| *t == "s7comm")
            .map(|(_, j)| j)
            .collect();
        assert!(!recs.is_empty(), "{name}: no s7comm records");
        assert!(
            !out.app_protos.contains(&Some("mms")),
            "{name}: detected as MMS"
        );
        assert!(
            !out.events.contains(&"INVALID_PROTOCOL_ID"),
            "{name}: {:?}",
            out.events
        );
        total += recs.len();
        if name.contains("s7ident") {
            let all = recs.iter().map(|s| s.as_str()).collect::<String>();
            for want in [
                r#""order_number":"6ES7 315-2EH14-0AB0""#,
                r#""firmware_version":"V3.2.6""#,
                r#""system_name":"SNAP7-SERVER""#,
                r#""module_name":"CPU 315-2 PN/DP""#,
                r#""serial_number":"S C-C2UR28922012""#,
            ] {
                assert!(all.contains(want), "{name}: {want}");
            }
        }
        if name.contains("snap7_s300_stop") {
            assert!(recs.iter().any(|r| r.contains(r#""function":"plc_stop""#)
                && r.contains(r#""pi_service":"P_PROGRAM""#)));
        }
        if name.contains("step7_s300_download") {
            assert!(
                recs.iter()
                    .any(|r| r.contains(r#""function":"request_download""#)
                        && r.contains(r#""block_type":"DB","block_number":1"#))
            );
            assert!(recs.iter().any(|r| r.contains(r#""pi_service":"_INSE""#)));
        }
    }
    assert!(total > 9000, "{total}");
}

#[test]
fn corpus_s7comm_plus() {
    let Some(dir) = ot_corpus::corpus("s7comm-plus") else {
        return;
    };
    for path in ot_corpus::captures(&dir) {
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        let out = ot_corpus::run(&path);
        let recs: Vec<&String> = out
            .records
            .iter()
            .filter(|(t, _)| *t == "s7comm")
            .map(|(_, j)| j)
            .collect();
        assert!(
            recs.iter().any(|r| r.contains(r#""plus":true"#)),
            "{name}: no S7comm-plus records"
        );
        assert!(
            !out.app_protos.contains(&Some("mms")),
            "{name}: detected as MMS"
        );
        let paired = recs
            .iter()
            .filter(|r| r.contains(r#""request":{"#) && r.contains(r#""response":{"#))
            .count();
        assert!(paired > 0, "{name}: nothing paired");
    }
}
