//! OPC UA binary over the shared corpus (skips when it is absent).

mod ot_corpus;

#[test]
fn corpus_opcua() {
    let Some(dir) = ot_corpus::corpus("opcua") else {
        return;
    };
    let mut total = 0;
    for path in ot_corpus::captures(&dir) {
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        let out = ot_corpus::run(&path);
        let recs: Vec<&String> = out
            .records
            .iter()
            .filter(|(t, _)| *t == "opcua")
            .map(|(_, j)| j)
            .collect();
        total += recs.len();
        if name.contains("S7-1511") {
            // S7comm on TCP 102: not OPC UA despite the name.
            assert!(recs.is_empty(), "{name}");
            continue;
        }
        assert!(!recs.is_empty(), "{name}: no opcua records");
        assert!(out.app_protos.contains(&Some("opcua")), "{name}");
        let has = |s: &str| recs.iter().any(|r| r.contains(s));
        if name.ends_with("open62541_client-server_minimal.pcap") {
            assert_eq!(recs.len(), 35, "{name}");
            assert!(out.events.is_empty(), "{name}: {:?}", out.events);
            assert!(has(
                r#""user_identity_token":{"type":"UserNameIdentityToken","policy_id":"open62541-username-policy","user_name":"user1"}"#
            ));
            assert!(has(
                r#""nodes_to_write":[{"node_id":"ns=1;s=the.answer","attribute_id":13,"attribute":"Value","value_type":"Int32","value":1}]"#
            ));
            assert!(has(
                r#""methods_to_call":[{"object_id":"i=85","method_id":"ns=1;i=62541","input_arguments":1}]"#
            ));
            assert!(has(
                r#""session_id":"ns=1;g=e339c38e-e005-2725-73f7-6fd67047a4ca""#
            ));
            // Publish responses after DeleteSubscriptions: BadNoSubscription.
            assert!(has(r#""service":"PublishResponse","type_id":"i=829""#));
            assert!(has(r#""status":"BadNoSubscription""#));
        }
        if name.contains("non-standard-port") {
            // TCP 48010: detected by content.
            assert_eq!(recs.len(), 35, "{name}");
        }
        if name.contains("open62541_client-server_encrypted") {
            assert!(has(
                r#""security_policy_uri":"http://opcfoundation.org/UA/SecurityPolicy#Basic128Rsa15","sender_certificate_length":993"#
            ));
            assert_eq!(
                recs.iter()
                    .filter(|r| r.contains(r#""encrypted":true"#))
                    .count(),
                10,
                "{name}"
            );
        }
        if name.contains("python_opcua-client-server_encrypted") {
            // Basic256Sha256 in mode Sign: bodies are readable.
            assert!(has(r#""service":"BrowseRequest""#));
            assert_eq!(
                recs.iter()
                    .filter(|r| r.contains(r#""encrypted":true"#))
                    .count(),
                1,
                "{name}"
            );
        }
        if name.contains("wireshark-freeze") {
            // Crafted CallRequests (an undefined NodeId encoding, an argument
            // array running past the message), and messages over the
            // MaxMessageSize of 4000 both sides announced.
            assert_eq!(
                out.events
                    .iter()
                    .filter(|e| **e == "MALFORMED_MESSAGE")
                    .count(),
                2,
                "{:?}",
                out.events
            );
            assert!(out.events.contains(&"MESSAGE_TOO_LARGE"));
            assert!(has(r#""status":"BadInternalError""#));
        }
        if name.contains("with-gap.pcap") {
            // The capture misses a segment the server retransmits: the
            // CreateSessionResponse is still reassembled.
            assert!(has(r#""service":"CreateSessionResponse""#));
        }
        if name.contains("no-handshake") {
            // Starts mid-session with a server message.
            assert!(has(r#""service":"PublishResponse""#));
        }
    }
    assert!(total >= 1000, "{total}");
}
