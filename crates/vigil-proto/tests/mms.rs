//! MMS over the shared corpus (skips when it is absent).

mod ot_corpus;

#[test]
fn corpus_mms() {
    let Some(dir) = ot_corpus::corpus("iec61850-mms") else {
        return;
    };
    for path in ot_corpus::captures(&dir) {
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        let out = ot_corpus::run(&path);
        let recs: Vec<&String> = out
            .records
            .iter()
            .filter(|(t, _)| *t == "mms")
            .map(|(_, j)| j)
            .collect();
        assert!(
            !out.app_protos.contains(&Some("s7comm")),
            "{name}: detected as S7comm"
        );
        // Not MMS: an HTTP capture and a lone COTP connection request.
        if name.contains("m-send-req") || name.contains("mmsX") {
            assert!(recs.is_empty(), "{name}");
            continue;
        }
        assert!(!recs.is_empty(), "{name}: no mms records");
        assert!(
            recs.iter().any(|r| r.contains(r#""service":"initiate""#)),
            "{name}: no initiate"
        );
        // "MMS - Specific Commands": the file names the service sent.
        let expect = [
            ("deleteProgramInvocation", "delete_program_invocation"),
            ("getAlarmSummary", "get_alarm_summary"),
            ("getDomainAttributes", "get_domain_attributes"),
            ("initiateDownloadSequence", "initiate_download_sequence"),
            ("initiateUploadSequence", "initiate_upload_sequence"),
            ("killRequest", "kill"),
            ("readRequest", "read"),
            ("relinquishControl", "relinquish_control"),
            ("resetRequest", "reset"),
            ("resumeRequest", "resume"),
            ("startRequest", "start"),
            ("stopRequest", "stop"),
            ("takeControl", "take_control"),
            ("terminateUploadSequence", "terminate_upload_sequence"),
            ("get_name_list", "get_name_list"),
            (
                "get_variable_access_attributes",
                "get_variable_access_attributes",
            ),
            ("iec61850_read", "read"),
            ("iec61850_write", "write"),
            ("cancelRequest", "cancel"),
        ];
        for (file, service) in expect {
            if name.contains(file) {
                let want = format!(r#""service":"{service}""#);
                assert!(recs.iter().any(|r| r.contains(&want)), "{name}: {want}");
            }
        }
        if name.contains("8d7c7db0") {
            // TASE.2 / ICCP association.
            assert!(recs.iter().any(|r| {
                r.contains(r#""service":"get_named_variable_list_attributes""#)
                    && r.contains(
                        r#"{"scope":"domain","domain":"KIRKLAND","item":"EMS_ANALOG_ICCP_IN"}"#,
                    )
            }));
            assert!(out.events.is_empty(), "{name}: {:?}", out.events);
        }
        if name.contains("nDPI") {
            assert!(
                recs.iter()
                    .any(|r| r.contains(r#""error":{"class_code":7,"class":"access","code":2}"#))
            );
            assert!(recs.iter().any(|r| r.contains(r#""service":"release""#)));
        }
    }
}
