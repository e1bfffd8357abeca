use super::*;

const TS: Direction = Direction::ToServer;
const TC: Direction = Direction::ToClient;
const NONE_URI: &str = "http://opcfoundation.org/UA/SecurityPolicy#None";
const B256_URI: &str = "http://opcfoundation.org/UA/SecurityPolicy#Basic256Sha256";

fn run(chunks: &[(Direction, &[u8])]) -> (Vec<Box<dyn Transaction>>, Vec<&'static str>) {
    let mut p = OpcuaParser::default();
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

fn bufs(tx: &dyn Transaction, name: &str) -> Vec<String> {
    let mut v = Vec::new();
    tx.buffers(name, &mut |b| {
        v.push(String::from_utf8_lossy(b).into_owned())
    });
    v
}

// ------------------------------------------------------------ builders

/// A UA String.
fn s(v: &str) -> Vec<u8> {
    let mut b = (v.len() as i32).to_le_bytes().to_vec();
    b.extend_from_slice(v.as_bytes());
    b
}

const NULL: [u8; 4] = [0xff, 0xff, 0xff, 0xff];

fn u32le(v: u32) -> [u8; 4] {
    v.to_le_bytes()
}

/// A chunk: header (type, chunk type, size) and body.
fn chunk(t: &[u8; 3], c: u8, body: &[u8]) -> Vec<u8> {
    let mut v = t.to_vec();
    v.push(c);
    v.extend_from_slice(&u32le(8 + body.len() as u32));
    v.extend_from_slice(body);
    v
}

fn hel(url: &str) -> Vec<u8> {
    let mut b = Vec::new();
    for v in [0, 65535, 65535, 0, 0] {
        b.extend_from_slice(&u32le(v));
    }
    b.extend(s(url));
    chunk(b"HEL", b'F', &b)
}

fn ack() -> Vec<u8> {
    let mut b = Vec::new();
    for v in [0, 65535, 65535, 2_097_152, 64] {
        b.extend_from_slice(&u32le(v));
    }
    chunk(b"ACK", b'F', &b)
}

/// Four-byte NodeId of a namespace-0 id below 65536.
fn type_id(id: u16) -> Vec<u8> {
    let mut v = vec![0x01, 0x00];
    v.extend_from_slice(&id.to_le_bytes());
    v
}

/// DateTime ticks of 2021-03-04T05:06:07.123456Z.
const T0: i64 = 116_444_736_000_000_000 + (1_614_834_367 * 1_000_000 + 123_456) * 10;

fn request_header(handle: u32) -> Vec<u8> {
    let mut v = vec![0x00, 0x00]; // AuthenticationToken i=0
    v.extend_from_slice(&T0.to_le_bytes());
    v.extend_from_slice(&u32le(handle));
    v.extend_from_slice(&u32le(0)); // ReturnDiagnostics
    v.extend_from_slice(&NULL); // AuditEntryId
    v.extend_from_slice(&u32le(10_000)); // TimeoutHint
    v.extend_from_slice(&[0, 0, 0]); // AdditionalHeader
    v
}

fn response_header(handle: u32, result: u32) -> Vec<u8> {
    let mut v = T0.to_le_bytes().to_vec();
    v.extend_from_slice(&u32le(handle));
    v.extend_from_slice(&u32le(result));
    v.push(0); // ServiceDiagnostics
    v.extend_from_slice(&NULL); // StringTable
    v.extend_from_slice(&[0, 0, 0]); // AdditionalHeader
    v
}

/// An OPN chunk with the given policy, then sequence header and body.
fn opn(channel: u32, policy: &str, seq: u32, rid: u32, body: &[u8]) -> Vec<u8> {
    let mut b = u32le(channel).to_vec();
    b.extend(s(policy));
    b.extend_from_slice(&NULL);
    b.extend_from_slice(&NULL);
    b.extend_from_slice(&u32le(seq));
    b.extend_from_slice(&u32le(rid));
    b.extend_from_slice(body);
    chunk(b"OPN", b'F', &b)
}

fn opn_request_body() -> Vec<u8> {
    let mut v = type_id(446);
    v.extend(request_header(0));
    v.extend_from_slice(&u32le(0)); // ClientProtocolVersion
    v.extend_from_slice(&u32le(0)); // Issue
    v.extend_from_slice(&u32le(1)); // None
    v.extend_from_slice(&[0, 0, 0, 0]); // ClientNonce (empty)
    v.extend_from_slice(&u32le(600_000));
    v
}

fn opn_response_body(channel: u32) -> Vec<u8> {
    let mut v = type_id(449);
    v.extend(response_header(0, 0));
    v.extend_from_slice(&u32le(0)); // ServerProtocolVersion
    v.extend_from_slice(&u32le(channel));
    v.extend_from_slice(&u32le(7)); // TokenId
    v.extend_from_slice(&T0.to_le_bytes());
    v.extend_from_slice(&u32le(600_000));
    v.extend_from_slice(&[1, 0, 0, 0, 0xAA]); // ServerNonce
    v
}

/// A MSG (or CLO) chunk: channel 5, token 7, sequence header and body.
fn msg_chunk(t: &[u8; 3], c: u8, seq: u32, rid: u32, body: &[u8]) -> Vec<u8> {
    let mut b = u32le(5).to_vec();
    b.extend_from_slice(&u32le(7));
    b.extend_from_slice(&u32le(seq));
    b.extend_from_slice(&u32le(rid));
    b.extend_from_slice(body);
    chunk(t, c, &b)
}

/// ReadRequest: Value of ns=2;s=Demo.Temp and BrowseName of i=2258.
fn read_request_body() -> Vec<u8> {
    let mut v = type_id(631);
    v.extend(request_header(3));
    v.extend_from_slice(&0f64.to_le_bytes()); // MaxAge
    v.extend_from_slice(&u32le(2)); // Both
    v.extend_from_slice(&u32le(2)); // 2 nodes
    v.extend_from_slice(&[0x03, 0x02, 0x00]);
    v.extend(s("Demo.Temp"));
    v.extend_from_slice(&u32le(13));
    v.extend_from_slice(&NULL);
    v.extend_from_slice(&[0, 0, 0xff, 0xff, 0xff, 0xff]);
    v.extend_from_slice(&[0x01, 0x00, 0xd2, 0x08]);
    v.extend_from_slice(&u32le(3));
    v.extend_from_slice(&NULL);
    v.extend_from_slice(&[0, 0, 0xff, 0xff, 0xff, 0xff]);
    v
}

/// ReadResponse: a Double 21.5, then BadNodeIdUnknown.
fn read_response_body() -> Vec<u8> {
    let mut v = type_id(634);
    v.extend(response_header(3, 0));
    v.extend_from_slice(&u32le(2));
    v.push(0x01);
    v.push(11);
    v.extend_from_slice(&21.5f64.to_le_bytes());
    v.push(0x02);
    v.extend_from_slice(&u32le(0x8034_0000));
    v.extend_from_slice(&NULL); // DiagnosticInfos
    v
}

/// The start of a session on a None channel: HEL/ACK, OPN pair.
fn handshake() -> Vec<(Direction, Vec<u8>)> {
    vec![
        (TS, hel("opc.tcp://plc:4840")),
        (TC, ack()),
        (TS, opn(0, NONE_URI, 1, 1, &opn_request_body())),
        (TC, opn(5, NONE_URI, 1, 1, &opn_response_body(5))),
    ]
}

fn run_owned(msgs: &[(Direction, Vec<u8>)]) -> (Vec<Box<dyn Transaction>>, Vec<&'static str>) {
    let v: Vec<(Direction, &[u8])> = msgs.iter().map(|(d, b)| (*d, &b[..])).collect();
    run(&v)
}

fn session() -> Vec<(Direction, Vec<u8>)> {
    let mut m = handshake();
    m.push((TS, msg_chunk(b"MSG", b'F', 2, 2, &read_request_body())));
    m.push((TC, msg_chunk(b"MSG", b'F', 2, 2, &read_response_body())));
    m
}

#[test]
fn hello_and_acknowledge_are_one_record() {
    let (txs, ev) = run(&[(TS, &hel("opc.tcp://plc:4840")), (TC, &ack())]);
    assert!(ev.is_empty(), "{ev:?}");
    assert_eq!(txs.len(), 1);
    assert_eq!(
        eve(txs[0].as_ref()),
        concat!(
            r#"{"opcua":{"message_type":"HEL","request":{"message_type":"HEL","chunk_type":"F","message_size":50,"#,
            r#""protocol_version":0,"receive_buffer_size":65535,"send_buffer_size":65535,"max_message_size":0,"#,
            r#""max_chunk_count":0,"endpoint_url":"opc.tcp://plc:4840"},"response":{"message_type":"ACK","#,
            r#""chunk_type":"F","message_size":28,"protocol_version":0,"receive_buffer_size":65535,"#,
            r#""send_buffer_size":65535,"max_message_size":2097152,"max_chunk_count":64}}}"#
        )
    );
    assert_eq!(uints(txs[0].as_ref(), "opcua.msg_type"), [1, 2]);
    assert_eq!(txs[0].log_direction(), TS);
    assert!(uints(txs[0].as_ref(), "opcua.service").is_empty());
}

#[test]
fn open_secure_channel_with_policy_none() {
    let (txs, ev) = run_owned(&handshake());
    assert!(ev.is_empty(), "{ev:?}");
    assert_eq!(txs.len(), 2);
    let tx = txs[1].as_ref();
    assert_eq!(
        eve(tx),
        concat!(
            r#"{"opcua":{"message_type":"OPN","secure_channel_id":5,"request_id":1,"service":"OpenSecureChannelRequest","#,
            r#""request":{"message_type":"OPN","chunk_type":"F","message_size":132,"secure_channel_id":0,"#,
            r#""security_policy_uri":"http://opcfoundation.org/UA/SecurityPolicy#None","sequence_number":1,"request_id":1,"#,
            r#""service":"OpenSecureChannelRequest","type_id":"i=446","authentication_token":"i=0","#,
            r#""timestamp":"2021-03-04T05:06:07.123456Z","request_handle":0,"return_diagnostics":0,"timeout_hint":10000,"#,
            r#""client_protocol_version":0,"request_type":"Issue","security_mode":"None","client_nonce_length":0,"#,
            r#""requested_lifetime":600000},"#,
            r#""response":{"message_type":"OPN","chunk_type":"F","message_size":136,"secure_channel_id":5,"#,
            r#""security_policy_uri":"http://opcfoundation.org/UA/SecurityPolicy#None","sequence_number":1,"request_id":1,"#,
            r#""service":"OpenSecureChannelResponse","type_id":"i=449","timestamp":"2021-03-04T05:06:07.123456Z","#,
            r#""request_handle":0,"service_result":0,"status":"Good","server_protocol_version":0,"#,
            r#""security_token":{"channel_id":5,"token_id":7,"created_at":"2021-03-04T05:06:07.123456Z","#,
            r#""revised_lifetime":600000},"server_nonce_length":1}}}"#
        )
    );
    assert_eq!(uints(tx, "opcua.msg_type"), [5, 5]);
    assert_eq!(uints(tx, "opcua.service"), [446, 449]);
    assert_eq!(uints(tx, "opcua.security_mode"), [1]);
    assert_eq!(uints(tx, "opcua.status_code"), [0]);
    assert_eq!(uints(tx, "opcua.secure_channel_id"), [5]);
    assert_eq!(bufs(tx, "opcua.security_policy"), [NONE_URI]);
    assert_eq!(
        bufs(tx, "opcua.service_name"),
        ["OpenSecureChannelRequest", "OpenSecureChannelResponse"]
    );
}

#[test]
fn read_request_and_response_pair_by_request_id() {
    let (txs, ev) = run_owned(&session());
    assert!(ev.is_empty(), "{ev:?}");
    assert_eq!(txs.len(), 3);
    let tx = txs[2].as_ref();
    assert_eq!(
        eve(tx),
        concat!(
            r#"{"opcua":{"message_type":"MSG","secure_channel_id":5,"request_id":2,"service":"ReadRequest","#,
            r#""request":{"message_type":"MSG","chunk_type":"F","message_size":121,"secure_channel_id":5,"token_id":7,"#,
            r#""sequence_number":2,"request_id":2,"service":"ReadRequest","type_id":"i=631","authentication_token":"i=0","#,
            r#""timestamp":"2021-03-04T05:06:07.123456Z","request_handle":3,"return_diagnostics":0,"timeout_hint":10000,"#,
            r#""max_age":0,"timestamps_to_return":"Both","nodes_to_read":["#,
            r#"{"node_id":"ns=2;s=Demo.Temp","attribute_id":13,"attribute":"Value"},"#,
            r#"{"node_id":"i=2258","attribute_id":3,"attribute":"BrowseName"}]},"#,
            r#""response":{"message_type":"MSG","chunk_type":"F","message_size":75,"secure_channel_id":5,"token_id":7,"#,
            r#""sequence_number":2,"request_id":2,"service":"ReadResponse","type_id":"i=634","#,
            r#""timestamp":"2021-03-04T05:06:07.123456Z","request_handle":3,"service_result":0,"status":"Good","#,
            r#""results":["Good","BadNodeIdUnknown"]}}}"#
        )
    );
    assert_eq!(uints(tx, "opcua.msg_type"), [6, 6]);
    assert_eq!(uints(tx, "opcua.service"), [631, 634]);
    assert_eq!(uints(tx, "opcua.request_id"), [2]);
    assert_eq!(uints(tx, "opcua.attribute_id"), [13, 3]);
    assert_eq!(uints(tx, "opcua.security_mode"), [1]);
    assert_eq!(bufs(tx, "opcua.node_id"), ["ns=2;s=Demo.Temp", "i=2258"]);
    assert_eq!(tx.buffer("opcua.node_id"), Some(&b"ns=2;s=Demo.Temp"[..]));
    assert_eq!(tx.buffer("opcua.service_name"), Some(&b"ReadRequest"[..]));
    assert_eq!(tx.log_direction(), TS);
}

#[test]
fn responses_out_of_order_still_pair() {
    let mut m = handshake();
    m.push((TS, msg_chunk(b"MSG", b'F', 2, 2, &read_request_body())));
    let mut other = read_request_body();
    other[6..14].copy_from_slice(&(T0 + 1).to_le_bytes());
    m.push((TS, msg_chunk(b"MSG", b'F', 3, 3, &other)));
    let mut resp3 = read_response_body();
    resp3.truncate(4);
    resp3.extend(response_header(4, 0x801F_0000));
    resp3.extend_from_slice(&NULL);
    resp3.extend_from_slice(&NULL);
    m.push((TC, msg_chunk(b"MSG", b'F', 2, 3, &resp3)));
    m.push((TC, msg_chunk(b"MSG", b'F', 3, 2, &read_response_body())));
    let (txs, ev) = run_owned(&m);
    assert!(ev.is_empty(), "{ev:?}");
    assert_eq!(txs.len(), 4);
    assert_eq!(uints(txs[2].as_ref(), "opcua.request_id"), [3]);
    assert_eq!(uints(txs[2].as_ref(), "opcua.status_code"), [0x801F_0000]);
    assert!(
        eve(txs[2].as_ref())
            .contains(r#""service_result":2149515264,"status":"BadUserAccessDenied""#)
    );
    assert_eq!(uints(txs[3].as_ref(), "opcua.request_id"), [2]);
}

/// The ReadRequest of `session()` cut into two MSG chunks (C then F).
fn chunked_read() -> Vec<(Direction, Vec<u8>)> {
    let body = read_request_body();
    let (a, b) = body.split_at(40);
    let mut m = handshake();
    m.push((TS, msg_chunk(b"MSG", b'C', 2, 2, a)));
    m.push((TS, msg_chunk(b"MSG", b'F', 3, 2, b)));
    m.push((TC, msg_chunk(b"MSG", b'F', 2, 2, &read_response_body())));
    m
}

#[test]
fn chunks_are_reassembled() {
    let (txs, ev) = run_owned(&chunked_read());
    assert!(ev.is_empty(), "{ev:?}");
    assert_eq!(txs.len(), 3);
    let j = eve(txs[2].as_ref());
    // Same record as the single-chunk read, with the sizes of two chunks.
    let (single, _) = run_owned(&session());
    let want = eve(single[2].as_ref()).replace(
        r#""message_size":121,"#,
        r#""message_size":145,"chunk_count":2,"#,
    );
    assert_eq!(j, want);
}

#[test]
fn every_split_gives_the_same_records() {
    let msgs = chunked_read();
    let mut streams: [Vec<u8>; 2] = [Vec::new(), Vec::new()];
    let mut order = Vec::new();
    for (d, b) in &msgs {
        order.push((*d, streams[d.index()].len(), b.len()));
        streams[d.index()].extend_from_slice(b);
    }
    let (whole, _) = run_owned(&msgs);
    let want: Vec<String> = whole.iter().map(|t| eve(t.as_ref())).collect();
    // Cut the client's stream at every pair of points, feeding the server's
    // messages after the client's bytes they answer.
    let client = &streams[0];
    for cut in (0..=client.len()).step_by(3) {
        for cut2 in (cut..=client.len()).step_by(7) {
            let mut p = OpcuaParser::default();
            let mut out = ParseOutput::default();
            let mut fed = 0;
            for (d, off, len) in &order {
                if *d == TS {
                    let end = off + len;
                    for piece in [(fed, cut), (cut, cut2), (cut2, end)] {
                        let (a, b) = (piece.0.max(fed), piece.1.min(end));
                        if a < b {
                            p.parse(TS, &client[a..b], &mut out);
                            fed = b;
                        }
                    }
                    if fed < end {
                        p.parse(TS, &client[fed..end], &mut out);
                        fed = end;
                    }
                } else {
                    p.parse(TC, &streams[1][*off..off + len], &mut out);
                }
            }
            p.finish(&mut out);
            assert!(out.events.is_empty(), "cuts {cut} {cut2}");
            let got: Vec<String> = out.txs.iter().map(|t| eve(t.as_ref())).collect();
            assert_eq!(got, want, "cuts {cut} {cut2}");
        }
    }
    // And one byte at a time.
    let mut p = OpcuaParser::default();
    let mut out = ParseOutput::default();
    for (d, b) in &msgs {
        for byte in b.chunks(1) {
            p.parse(*d, byte, &mut out);
        }
    }
    p.finish(&mut out);
    let got: Vec<String> = out.txs.iter().map(|t| eve(t.as_ref())).collect();
    assert_eq!(got, want);
}

#[test]
fn abort_chunk_drops_the_partial_message() {
    let body = read_request_body();
    let mut abort = u32le(0x8008_0000).to_vec(); // BadEncodingLimitsExceeded
    abort.extend(s("too big"));
    let mut m = handshake();
    m.push((TS, msg_chunk(b"MSG", b'C', 2, 2, &body[..40])));
    m.push((TS, msg_chunk(b"MSG", b'A', 3, 2, &abort)));
    let (txs, ev) = run_owned(&m);
    assert!(ev.is_empty(), "{ev:?}");
    assert_eq!(txs.len(), 3);
    assert_eq!(
        eve(txs[2].as_ref()),
        concat!(
            r#"{"opcua":{"message_type":"MSG","secure_channel_id":5,"request_id":2,"request":{"message_type":"MSG","#,
            r#""chunk_type":"A","message_size":103,"chunk_count":2,"secure_channel_id":5,"token_id":7,"sequence_number":2,"#,
            r#""request_id":2,"error":2148007936,"status":"BadEncodingLimitsExceeded","reason":"too big"}}}"#
        )
    );
    assert_eq!(uints(txs[2].as_ref(), "opcua.status_code"), [0x8008_0000]);
}

#[test]
fn error_message_is_its_own_record() {
    let mut b = u32le(0x8083_0000).to_vec();
    b.extend(s("bad endpoint"));
    let err = chunk(b"ERR", b'F', &b);
    let (txs, ev) = run(&[(TS, &hel("opc.tcp://x")), (TC, &err)]);
    assert!(ev.is_empty(), "{ev:?}");
    assert_eq!(txs.len(), 2);
    assert!(eve(txs[0].as_ref()).starts_with(r#"{"opcua":{"message_type":"HEL","request":{"#));
    assert!(!eve(txs[0].as_ref()).contains("response"));
    assert_eq!(
        eve(txs[1].as_ref()),
        concat!(
            r#"{"opcua":{"message_type":"ERR","response":{"message_type":"ERR","chunk_type":"F","message_size":28,"#,
            r#""error":2156068864,"status":"BadTcpEndpointUrlInvalid","reason":"bad endpoint"}}}"#
        )
    );
    assert_eq!(uints(txs[1].as_ref(), "opcua.msg_type"), [3]);
    assert_eq!(uints(txs[1].as_ref(), "opcua.status_code"), [0x8083_0000]);
    assert_eq!(txs[1].log_direction(), TS);
}

#[test]
fn reverse_hello() {
    let mut b = s("urn:server");
    b.extend(s("opc.tcp://server:4840"));
    let (txs, ev) = run(&[(TS, &chunk(b"RHE", b'F', &b))]);
    assert!(ev.is_empty(), "{ev:?}");
    assert_eq!(
        eve(txs[0].as_ref()),
        concat!(
            r#"{"opcua":{"message_type":"RHE","response":{"message_type":"RHE","chunk_type":"F","message_size":47,"#,
            r#""server_uri":"urn:server","endpoint_url":"opc.tcp://server:4840"}}}"#
        )
    );
    // The server opened the connection: the record is oriented by the client.
    assert_eq!(txs[0].log_direction(), TC);
}

/// WriteRequest: Int32 42 to ns=3;i=1001, a String array to ns=3;g=..., and
/// a CallRequest of method ns=3;s=Reset on object i=85 with one argument.
#[test]
fn write_and_call_requests() {
    let mut w = type_id(673);
    w.extend(request_header(9));
    w.extend_from_slice(&u32le(2));
    w.extend_from_slice(&[0x01, 0x03, 0xe9, 0x03]);
    w.extend_from_slice(&u32le(13));
    w.extend_from_slice(&NULL);
    w.extend_from_slice(&[0x01, 0x06]);
    w.extend_from_slice(&42i32.to_le_bytes());
    w.extend_from_slice(&[0x04, 0x03, 0x00]);
    w.extend_from_slice(&[
        0x75, 0x7e, 0x08, 0x09, 0x5e, 0x8e, 0x9b, 0x49, 0x95, 0x4f, 0xf2, 0xa9, 0x60, 0x3d, 0xb2,
        0x8a,
    ]);
    w.extend_from_slice(&u32le(13));
    w.extend(s("0:1"));
    w.extend_from_slice(&[0x01, 0x8C]);
    w.extend_from_slice(&u32le(2));
    w.extend(s("a"));
    w.extend(s("b"));
    let mut c = type_id(712);
    c.extend(request_header(10));
    c.extend_from_slice(&u32le(1));
    c.extend_from_slice(&[0x00, 0x55]);
    c.extend_from_slice(&[0x03, 0x03, 0x00]);
    c.extend(s("Reset"));
    c.extend_from_slice(&u32le(1));
    c.extend_from_slice(&[0x01, 1]);
    let mut m = handshake();
    m.push((TS, msg_chunk(b"MSG", b'F', 2, 2, &w)));
    m.push((TS, msg_chunk(b"MSG", b'F', 3, 3, &c)));
    let (txs, ev) = run_owned(&m);
    assert!(ev.is_empty(), "{ev:?}");
    assert_eq!(txs.len(), 4);
    let jw = eve(txs[2].as_ref());
    assert!(
        jw.ends_with(concat!(
            r#""nodes_to_write":[{"node_id":"ns=3;i=1001","attribute_id":13,"attribute":"Value","value_type":"Int32","value":42},"#,
            r#"{"node_id":"ns=3;g=09087e75-8e5e-499b-954f-f2a9603db28a","attribute_id":13,"attribute":"Value","#,
            r#""index_range":"0:1","value_type":"String","array_length":2}]}}}"#
        )),
        "{jw}"
    );
    assert_eq!(
        bufs(txs[2].as_ref(), "opcua.node_id"),
        ["ns=3;i=1001", "ns=3;g=09087e75-8e5e-499b-954f-f2a9603db28a"]
    );
    let jc = eve(txs[3].as_ref());
    assert!(
        jc.ends_with(r#""methods_to_call":[{"object_id":"i=85","method_id":"ns=3;s=Reset","input_arguments":1}]}}}"#),
        "{jc}"
    );
    assert_eq!(
        bufs(txs[3].as_ref(), "opcua.node_id"),
        ["i=85", "ns=3;s=Reset"]
    );
    assert_eq!(uints(txs[3].as_ref(), "opcua.service"), [712]);
}

#[test]
fn activate_session_user_name_token() {
    let mut a = type_id(467);
    a.extend(request_header(4));
    a.extend_from_slice(&NULL); // Algorithm
    a.extend_from_slice(&NULL); // Signature
    a.extend_from_slice(&u32le(0)); // ClientSoftwareCertificates
    a.extend_from_slice(&u32le(1));
    a.extend(s("en"));
    let mut token = s("username_basic256");
    token.extend(s("operator"));
    token.extend(s("secret"));
    token.extend_from_slice(&NULL);
    a.extend_from_slice(&[0x01, 0x00, 0x44, 0x01, 0x01]);
    a.extend_from_slice(&u32le(token.len() as u32));
    a.extend_from_slice(&token);
    a.extend_from_slice(&NULL);
    a.extend_from_slice(&NULL);
    let mut m = handshake();
    m.push((TS, msg_chunk(b"MSG", b'F', 2, 2, &a)));
    let (txs, ev) = run_owned(&m);
    assert!(ev.is_empty(), "{ev:?}");
    let j = eve(txs[2].as_ref());
    assert!(
        j.ends_with(r#""user_identity_token":{"type":"UserNameIdentityToken","policy_id":"username_basic256","user_name":"operator"}}}}"#),
        "{j}"
    );
    assert!(!j.contains("secret"));
}

/// OPN and MSG under Basic256Sha256: the OPN is asymmetrically encrypted;
/// MSG bodies are readable (mode Sign) or not (SignAndEncrypt).
fn secured(readable_msg: bool) -> Vec<(Direction, Vec<u8>)> {
    let mut opn_req = u32le(0).to_vec();
    opn_req.extend(s(B256_URI));
    opn_req.extend(s("CERT"));
    opn_req.extend_from_slice(&u32le(20));
    opn_req.extend_from_slice(&[0x11; 20]);
    opn_req.extend_from_slice(&[0x5a; 64]);
    let mut opn_resp = opn_req.clone();
    opn_resp[..4].copy_from_slice(&u32le(5));
    let mut m = vec![
        (TS, chunk(b"OPN", b'F', &opn_req)),
        (TC, chunk(b"OPN", b'F', &opn_resp)),
    ];
    let sign = |body: &[u8]| {
        let mut b = body.to_vec();
        b.extend_from_slice(&[0xEE; 32]); // HMAC-SHA256 signature
        b
    };
    if readable_msg {
        m.push((
            TS,
            msg_chunk(b"MSG", b'F', 2, 2, &sign(&read_request_body())),
        ));
        m.push((
            TC,
            msg_chunk(b"MSG", b'F', 2, 2, &sign(&read_response_body())),
        ));
    } else {
        m.push((
            TS,
            msg_chunk(b"MSG", b'F', 0x1234_5678, 0x9abc_def0, &[0x77; 80]),
        ));
        m.push((
            TC,
            msg_chunk(b"MSG", b'F', 0x0bad_f00d, 0x1357_9bdf, &[0x33; 48]),
        ));
    }
    m
}

#[test]
fn encrypted_channel_logs_headers_only() {
    let (txs, ev) = run_owned(&secured(false));
    assert!(ev.is_empty(), "{ev:?}");
    assert_eq!(txs.len(), 3);
    assert_eq!(
        eve(txs[0].as_ref()),
        concat!(
            r#"{"opcua":{"message_type":"OPN","secure_channel_id":5,"request":{"message_type":"OPN","chunk_type":"F","#,
            r#""message_size":169,"secure_channel_id":0,"security_policy_uri":"http://opcfoundation.org/UA/SecurityPolicy#Basic256Sha256","#,
            r#""sender_certificate_length":4,"receiver_certificate_thumbprint_length":20,"encrypted":true},"#,
            r#""response":{"message_type":"OPN","chunk_type":"F","message_size":169,"secure_channel_id":5,"#,
            r#""security_policy_uri":"http://opcfoundation.org/UA/SecurityPolicy#Basic256Sha256","#,
            r#""sender_certificate_length":4,"receiver_certificate_thumbprint_length":20,"encrypted":true}}}"#
        )
    );
    assert_eq!(
        eve(txs[1].as_ref()),
        concat!(
            r#"{"opcua":{"message_type":"MSG","secure_channel_id":5,"request":{"message_type":"MSG","chunk_type":"F","#,
            r#""message_size":104,"secure_channel_id":5,"token_id":7,"encrypted":true}}}"#
        )
    );
    assert!(eve(txs[2].as_ref()).contains(r#""response":{"message_type":"MSG""#));
    assert_eq!(uints(txs[1].as_ref(), "opcua.security_mode"), [3]);
    assert_eq!(bufs(txs[1].as_ref(), "opcua.security_policy"), [B256_URI]);
    assert!(uints(txs[1].as_ref(), "opcua.service").is_empty());
}

#[test]
fn signed_only_channel_is_decoded() {
    let (txs, ev) = run_owned(&secured(true));
    assert!(ev.is_empty(), "{ev:?}");
    assert_eq!(txs.len(), 2);
    let tx = txs[1].as_ref();
    assert_eq!(uints(tx, "opcua.service"), [631, 634]);
    assert_eq!(uints(tx, "opcua.security_mode"), [2]);
    assert!(!eve(tx).contains("encrypted"));
    assert!(eve(tx).contains(r#""results":["Good","BadNodeIdUnknown"]"#));
}

#[test]
fn midstream_response_first_learns_the_client() {
    // No handshake: the server's response comes first on "ToServer".
    let (txs, ev) = run(&[
        (TS, &msg_chunk(b"MSG", b'F', 9, 2, &read_response_body())),
        (TC, &msg_chunk(b"MSG", b'F', 9, 3, &read_request_body())),
    ]);
    assert!(ev.is_empty(), "{ev:?}");
    assert_eq!(txs.len(), 2);
    assert_eq!(txs[0].log_direction(), TC);
    assert!(eve(txs[0].as_ref()).contains(r#""response":{"message_type":"MSG""#));
    assert_eq!(txs[1].log_direction(), TC);
    assert!(eve(txs[1].as_ref()).contains(r#""request":{"message_type":"MSG""#));
}

#[test]
fn malformed_messages_raise_anomalies() {
    let mut hel_small = hel("x");
    hel_small[12..16].copy_from_slice(&u32le(512));
    let mut hel_extra = hel("x");
    hel_extra.extend_from_slice(&[1, 2, 3]);
    let n = hel_extra.len() as u32;
    hel_extra[4..8].copy_from_slice(&u32le(n));
    let mut bad_node = type_id(631);
    bad_node.extend(request_header(1));
    bad_node.extend_from_slice(&0f64.to_le_bytes());
    bad_node.extend_from_slice(&u32le(0));
    bad_node.extend_from_slice(&u32le(1));
    bad_node.extend_from_slice(&[0x07, 0, 0, 0, 0, 0, 0]);
    let mut deep = type_id(673);
    deep.extend(request_header(1));
    deep.extend_from_slice(&u32le(1));
    deep.extend_from_slice(&[0x00, 0x01]);
    deep.extend_from_slice(&u32le(13));
    deep.extend_from_slice(&NULL);
    deep.push(0x01);
    deep.extend(std::iter::repeat_n(0x18, 40));
    let mut long_reason = u32le(0x8002_0000).to_vec();
    long_reason.extend(s(&"r".repeat(5000)));
    let cases: Vec<(Vec<u8>, &[&str])> = vec![
        (
            b"XYZF\x10\x00\x00\x00abcdefgh".to_vec(),
            &["INVALID_MESSAGE_TYPE"],
        ),
        (chunk(b"HEL", b'C', &hel("x")[8..]), &["INVALID_CHUNK_TYPE"]),
        (b"MSGF\x04\x00\x00\x00".to_vec(), &["INVALID_MESSAGE_SIZE"]),
        (chunk(b"MSG", b'F', &[0; 8]), &["INVALID_MESSAGE_SIZE"]),
        (hel_small, &["INVALID_BUFFER_SIZE"]),
        (hel_extra, &["EXTRA_DATA"]),
        (chunk(b"ERR", b'F', &long_reason), &["STRING_TOO_LONG"]),
        (
            chunk(b"ERR", b'F', &[0, 0, 2, 0x80, 9, 0, 0, 0]),
            &["MALFORMED_MESSAGE"],
        ),
        (
            opn(0, "", 1, 1, &opn_request_body()),
            &["INVALID_SECURITY_POLICY"],
        ),
        (
            opn(0, &format!("{NONE_URI}{}", "x".repeat(300)), 1, 1, &[]),
            &["STRING_TOO_LONG"],
        ),
    ];
    for (bytes, want) in &cases {
        let (_, ev) = run(&[(TS, bytes)]);
        assert_eq!(&ev, want, "{bytes:02x?}");
    }
    // Bodies on a None channel.
    let body_cases: Vec<(Vec<u8>, &[&str])> = vec![
        (bad_node, &["MALFORMED_MESSAGE"]),
        (deep, &["NESTING_TOO_DEEP"]),
        (type_id(9999), &["UNKNOWN_SERVICE"]),
        (vec![0x09], &["MALFORMED_MESSAGE"]),
    ];
    for (body, want) in &body_cases {
        let mut m = handshake();
        m.push((TS, msg_chunk(b"MSG", b'F', 2, 2, body)));
        let (_, ev) = run_owned(&m);
        assert_eq!(&ev, want, "{body:02x?}");
    }
}

#[test]
fn channel_and_sequence_checks() {
    let mut m = session();
    // Sequence number jumps (5 after 2), once reported per direction.
    m.push((TS, msg_chunk(b"MSG", b'F', 5, 3, &read_request_body())));
    m.push((TS, msg_chunk(b"MSG", b'F', 9, 4, &read_request_body())));
    // A MSG on another secure channel.
    let mut other = msg_chunk(b"MSG", b'F', 10, 5, &read_request_body());
    other[8..12].copy_from_slice(&u32le(6));
    m.push((TS, other));
    let (_, ev) = run_owned(&m);
    assert_eq!(
        ev,
        ["SEQUENCE_NUMBER_INVALID", "SECURE_CHANNEL_ID_MISMATCH"]
    );
}

#[test]
fn negotiated_limits_are_enforced() {
    // ACK: the client may send chunks of at most 8192 bytes, messages of
    // 1000 bytes, 64 chunks.
    let h = hel("x");
    let mut a = ack();
    a[12..16].copy_from_slice(&u32le(8192));
    a[20..24].copy_from_slice(&u32le(1000));
    let mut m = vec![(TS, h), (TC, a)];
    m.extend(handshake().into_iter().skip(2));
    let mut big = read_request_body();
    big.extend(vec![0; 9000]);
    m.push((TS, msg_chunk(b"MSG", b'F', 2, 2, &big)));
    m.push((TC, msg_chunk(b"MSG", b'F', 2, 2, &read_response_body())));
    let (txs, ev) = run_owned(&m);
    assert_eq!(ev, ["CHUNK_TOO_LARGE", "MESSAGE_TOO_LARGE"]);
    assert_eq!(txs.len(), 3);

    // More chunks than MaxChunkCount (64), then the hard cap drops the message.
    let mut m = vec![(TS, hel("x")), (TC, ack())];
    m.extend(handshake().into_iter().skip(2));
    for i in 0..70 {
        m.push((TS, msg_chunk(b"MSG", b'C', 2 + i, 2, &[0; 4])));
    }
    let (_, ev) = run_owned(&m);
    assert_eq!(ev, ["TOO_MANY_CHUNKS"]);
    let mut p = OpcuaParser::default();
    let mut out = ParseOutput::default();
    for i in 0..(MAX_CHUNKS + 10) {
        p.parse(TS, &msg_chunk(b"MSG", b'C', i, 2, &[0; 4]), &mut out);
    }
    assert_eq!(
        out.events.iter().map(|e| e.name).collect::<Vec<_>>(),
        ["TOO_MANY_CHUNKS"]
    );
    assert!(p.dirs[0].partials.len() <= MAX_PARTIAL);
    assert!(
        p.dirs[0]
            .partials
            .iter()
            .all(|q| q.msg.chunks <= MAX_CHUNKS)
    );
}

#[test]
fn reassembly_and_pending_are_bounded() {
    let mut p = OpcuaParser::default();
    let mut out = ParseOutput::default();
    for m in handshake() {
        p.parse(m.0, &m.1, &mut out);
    }
    out.txs.clear();
    // Interleaved partial messages: only MAX_PARTIAL are kept.
    for rid in 0..6 {
        p.parse(
            TS,
            &msg_chunk(b"MSG", b'C', 2 + rid, 100 + rid, &read_request_body()),
            &mut out,
        );
    }
    assert_eq!(p.dirs[0].partials.len(), MAX_PARTIAL);
    assert_eq!(
        out.events.iter().map(|e| e.name).collect::<Vec<_>>(),
        ["TOO_MANY_PARTIAL_MESSAGES", "TOO_MANY_PARTIAL_MESSAGES"]
    );
    out.events.clear();
    // Requests without responses: the oldest are logged alone.
    for i in 0..(MAX_PENDING as u32 + 3) {
        p.parse(
            TS,
            &msg_chunk(b"MSG", b'F', 8 + i, 1000 + i, &read_request_body()),
            &mut out,
        );
    }
    assert_eq!(p.pending.len(), MAX_PENDING);
    assert_eq!(out.txs.len(), 3);
    assert_eq!(out.events.len(), 3);
    assert!(out.events.iter().all(|e| e.name == "TOO_MANY_TRANSACTIONS"));
    // A chunk larger than what is kept: framing holds, the body is cut.
    let mut huge = read_request_body();
    huge.extend(vec![0; MAX_CHUNK_KEPT + 10]);
    out.txs.clear();
    p.parse(TS, &msg_chunk(b"MSG", b'F', 100, 5000, &huge), &mut out);
    p.parse(
        TC,
        &msg_chunk(b"MSG", b'F', 2, 5000, &read_response_body()),
        &mut out,
    );
    assert!(p.dirs[0].buf.capacity() <= 16 << 10);
    let j = eve(out.txs.last().unwrap().as_ref());
    assert!(
        j.contains(r#""request_id":5000,"truncated":true,"service":"ReadRequest""#),
        "{j}"
    );
}

#[test]
fn gap_resyncs_on_the_next_header() {
    let msgs = session();
    let mut p = OpcuaParser::default();
    let mut out = ParseOutput::default();
    for (d, b) in &msgs[..4] {
        p.parse(*d, b, &mut out);
    }
    // Half of a request, a gap, garbage, then the next request.
    let req = msg_chunk(b"MSG", b'F', 2, 2, &read_request_body());
    p.parse(TS, &req[..30], &mut out);
    p.gap(TS, 50, &mut out);
    p.parse(TS, b"garbage-MSG", &mut out);
    p.parse(
        TS,
        &msg_chunk(b"MSG", b'F', 3, 3, &read_request_body()),
        &mut out,
    );
    p.parse(
        TC,
        &msg_chunk(b"MSG", b'F', 2, 3, &read_response_body()),
        &mut out,
    );
    p.finish(&mut out);
    assert!(
        out.events.is_empty(),
        "{:?}",
        out.events.iter().map(|e| e.name).collect::<Vec<_>>()
    );
    let last = out.txs.last().unwrap();
    assert_eq!(uints(last.as_ref(), "opcua.request_id"), [3]);
    assert_eq!(uints(last.as_ref(), "opcua.service"), [631, 634]);
}

#[test]
fn probe_accepts_and_rejects() {
    let h = hel("opc.tcp://x");
    assert_eq!(probe(TS, &h[..2]), Probe::NeedMore);
    assert_eq!(probe(TS, &h[..9]), Probe::NeedMore);
    assert_eq!(probe(TS, &h), Probe::Match);
    assert_eq!(probe(TS, b"HELO smtp.example.com\r\n"), Probe::NoMatch);
    assert_eq!(probe(TS, b"HELP"), Probe::NoMatch);
    let m = msg_chunk(b"MSG", b'F', 1, 1, &read_request_body());
    assert_eq!(probe(TC, &m), Probe::Match);
    assert_eq!(probe(TS, b"MSGF\x05\x00\x00\x00"), Probe::NoMatch);
    assert_eq!(probe(TS, b"MSGF\x00\x00\x00\x7f"), Probe::NoMatch);
    assert_eq!(probe(TS, b"GET / HTTP/1.1\r\n"), Probe::NoMatch);
    assert_eq!(probe(TS, &ack()), Probe::Match);
    assert_eq!(probe(TS, b"OPNC\x40\x00\x00\x00"), Probe::NoMatch);
}

#[test]
fn hostile_input_never_panics_and_stays_bounded() {
    let mut seed = 0x2545_f491u32;
    let mut next = || {
        seed ^= seed << 13;
        seed ^= seed >> 17;
        seed ^= seed << 5;
        seed
    };
    let prefixes: [&[u8]; 4] = [b"MSGF", b"OPNF", b"HELF", b"MSGC"];
    let base = session();
    for round in 0..3000 {
        let mut p = OpcuaParser::default();
        let mut out = ParseOutput::default();
        if round % 2 == 0 {
            for (d, b) in &base[..4] {
                p.parse(*d, b, &mut out);
            }
        }
        let len = (next() % 400) as usize;
        let mut data: Vec<u8> = (0..len).map(|_| next() as u8).collect();
        if data.len() >= 8 {
            data[..4].copy_from_slice(prefixes[(next() % 4) as usize]);
            let size = 8 + next() % (len as u32);
            data[4..8].copy_from_slice(&size.to_le_bytes());
        }
        // Splice a real message in sometimes, with bytes flipped.
        if round % 3 == 0 {
            let mut m = base[4].1.clone();
            let i = (next() as usize) % m.len();
            m[i] ^= next() as u8 | 1;
            data.extend_from_slice(&m);
        }
        let dir = if next() % 2 == 0 { TS } else { TC };
        for piece in data.chunks(1 + (next() % 50) as usize) {
            p.parse(dir, piece, &mut out);
        }
        p.gap(dir, 10, &mut out);
        p.parse(dir.reverse(), &data, &mut out);
        p.finish(&mut out);
        for tx in &out.txs {
            let _ = eve(tx.as_ref());
            for n in [
                "opcua.msg_type",
                "opcua.service",
                "opcua.status_code",
                "opcua.attribute_id",
            ] {
                tx.uints(n, &mut |_| {});
            }
            tx.buffers("opcua.node_id", &mut |_| {});
        }
        for st in &p.dirs {
            assert!(st.buf.len() <= MAX_CHUNK_KEPT);
            assert!(st.partials.len() <= MAX_PARTIAL);
            assert!(st.partials.iter().all(|q| q.body.len() <= MAX_MESSAGE_KEPT));
        }
        assert!(p.pending.len() <= MAX_PENDING);
    }
}

#[test]
fn bad_header_resyncs_on_the_next_message() {
    let mut stream = b"XYZF\x10\x00\x00\x00junkjunk-HEL".to_vec();
    stream.extend(hel("opc.tcp://x"));
    for step in [1, 3, stream.len()] {
        let mut p = OpcuaParser::default();
        let mut out = ParseOutput::default();
        for piece in stream.chunks(step) {
            p.parse(TS, piece, &mut out);
        }
        p.parse(TC, &ack(), &mut out);
        let ev: Vec<_> = out.events.iter().map(|e| e.name).collect();
        assert_eq!(ev, ["INVALID_MESSAGE_TYPE"], "step {step}");
        assert_eq!(out.txs.len(), 1, "step {step}");
        assert_eq!(uints(out.txs[0].as_ref(), "opcua.msg_type"), [1, 2]);
    }
}
