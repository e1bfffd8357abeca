//! HTTP/2 tests on hand-built frames.

use std::io::Write;

use vigil_eve::JsonWriter;

use super::hpack::{self, DynTable, Field, FieldError, Stop};
use super::{Http2Parser, UpgradeRequest, huffman, parser::PREFACE, probe, probe_server};
use crate::{AppParser, AppProto, Direction, ParseOutput, Probe, Transaction};

const S: Direction = Direction::ToServer;
const C: Direction = Direction::ToClient;

fn frame(ftype: u8, flags: u8, stream: u32, payload: &[u8]) -> Vec<u8> {
    let len = payload.len();
    let mut f = vec![(len >> 16) as u8, (len >> 8) as u8, len as u8, ftype, flags];
    f.extend_from_slice(&stream.to_be_bytes());
    f.extend_from_slice(payload);
    f
}

/// A literal header without indexing, new name, plain strings.
fn lit(name: &str, value: &str) -> Vec<u8> {
    let mut v = vec![0x00, name.len() as u8];
    v.extend_from_slice(name.as_bytes());
    v.push(value.len() as u8);
    v.extend_from_slice(value.as_bytes());
    v
}

/// A literal header with incremental indexing, new name, Huffman strings.
fn lit_inc_huff(name: &str, value: &str) -> Vec<u8> {
    let mut v = vec![0x40];
    for s in [name, value] {
        let h = huffman::encode(s.as_bytes());
        v.push(0x80 | h.len() as u8);
        v.extend_from_slice(&h);
    }
    v
}

fn settings(list: &[(u16, u32)]) -> Vec<u8> {
    let mut p = Vec::new();
    for (id, v) in list {
        p.extend_from_slice(&id.to_be_bytes());
        p.extend_from_slice(&v.to_be_bytes());
    }
    frame(4, 0, 0, &p)
}

fn eve(tx: &dyn Transaction) -> String {
    let mut buf = Vec::new();
    let mut w = JsonWriter::new(&mut buf);
    w.open_object();
    tx.write_eve(&mut w);
    w.close_object();
    String::from_utf8(buf).unwrap()
}

/// Records (event type and EVE body) and event names of `out`.
fn records(out: &ParseOutput) -> Vec<(String, String)> {
    out.txs
        .iter()
        .filter(|t| t.has_record())
        .map(|t| (t.event_type().to_string(), eve(t.as_ref())))
        .collect()
}

fn events(out: &ParseOutput) -> Vec<&'static str> {
    out.events.iter().map(|e| e.name).collect()
}

/// A client request on stream 1 and the server's answer with a body.
fn conversation() -> (Vec<u8>, Vec<u8>) {
    let mut client = PREFACE.to_vec();
    client.extend(settings(&[(3, 100), (4, 65535)]));
    let mut block = vec![0x82, 0x86, 0x84]; // GET, http, /
    block.extend(lit_inc_huff(":authority", "example.com"));
    block.extend(lit("user-agent", "test/1.0"));
    client.extend(frame(1, 0x5, 1, &block));
    // The same authority again, from the dynamic table.
    let block3 = vec![0x82, 0x86, 0x85, 0xbe];
    client.extend(frame(1, 0x5, 3, &block3));
    client.extend(frame(7, 0, 0, &[0, 0, 0, 1, 0, 0, 0, 0]));
    let mut server = settings(&[(3, 250)]);
    let mut rblock = vec![0x88]; // :status 200
    rblock.extend(lit("content-length", "5"));
    server.extend(frame(1, 0x4, 1, &rblock));
    server.extend(frame(0, 0x1, 1, b"hello"));
    server.extend(frame(1, 0x5, 3, &[0x8d])); // 404, end of stream
    (client, server)
}

fn run(client: &[u8], server: &[u8], split: usize) -> (Vec<(String, String)>, Vec<&'static str>) {
    let mut p = Http2Parser::new();
    let mut out = ParseOutput::default();
    let (c1, c2) = client.split_at(split.min(client.len()));
    let (s1, s2) = server.split_at(split.min(server.len()));
    p.parse(S, c1, &mut out);
    p.parse(S, c2, &mut out);
    p.parse(C, s1, &mut out);
    p.parse(C, s2, &mut out);
    p.finish(&mut out);
    (normalized(&out), events(&out))
}

/// Records sorted, without transaction ids (they follow the interleaving
/// of the two directions, as in Suricata).
fn normalized(out: &ParseOutput) -> Vec<(String, String)> {
    let mut r: Vec<(String, String)> = records(out)
        .into_iter()
        .map(|(t, b)| {
            let b = match b.find(r#""tx_id":"#) {
                Some(i) => {
                    let end = b[i..].find('}').map_or(b.len(), |e| i + e);
                    format!("{}{}", &b[..i], &b[end..])
                }
                None => b,
            };
            (t, b)
        })
        .collect();
    r.sort();
    r
}

#[test]
fn request_and_response_records() {
    let (client, server) = conversation();
    let (recs, evs) = run(&client, &server, usize::MAX);
    assert!(evs.is_empty(), "{evs:?}");
    let http: Vec<&String> = recs
        .iter()
        .filter(|(t, _)| t == "http")
        .map(|(_, b)| b)
        .collect();
    assert!(
        http.iter().any(|b| b.contains(
            r#""request":{"settings":[{"settings_id":"SETTINGSMAXCONCURRENTSTREAMS","settings_value":100},{"settings_id":"SETTINGSINITIALWINDOWSIZE","settings_value":65535}]}"#
        )),
        "{http:?}"
    );
    let s1 = http
        .iter()
        .find(|b| b.contains(r#""stream_id":1"#))
        .expect("stream 1");
    for part in [
        r#""version":"2""#,
        r#"{"name":":method","value":"GET"}"#,
        r#"{"name":":authority","value":"example.com"}"#,
        r#""response_headers":[{"name":":status","value":"200"},{"name":"content-length","value":"5"}]"#,
        r#""http_method":"GET""#,
        r#""url":"/""#,
        r#""http_user_agent":"test/1.0""#,
        r#""length":5"#,
        r#""status":200"#,
    ] {
        assert!(s1.contains(part), "{part} in {s1}");
    }
    let s3 = http
        .iter()
        .find(|b| b.contains(r#""stream_id":3"#))
        .expect("stream 3");
    assert!(s3.contains(r#""url":"/index.html""#), "{s3}");
    assert!(
        s3.contains(r#"{"name":":authority","value":"example.com"}"#),
        "{s3}"
    );
    assert!(s3.contains(r#""status":404"#), "{s3}");
    assert!(
        http.iter()
            .any(|b| b.contains(r#""request":{"error_code":"PROTOCOLERROR"}"#)),
        "{http:?}"
    );
    // The response body as a file.
    assert!(
        recs.iter().any(|(t, b)| t == "fileinfo"
            && b.contains(r#""state":"CLOSED""#)
            && b.contains(r#""size":5"#)),
        "{recs:?}"
    );
}

#[test]
fn any_segmentation_gives_the_same_records() {
    let (client, server) = conversation();
    let whole = run(&client, &server, usize::MAX);
    for split in 0..client.len().max(server.len()) {
        assert_eq!(run(&client, &server, split), whole, "split at {split}");
    }
    // Byte by byte.
    let mut p = Http2Parser::new();
    let mut out = ParseOutput::default();
    for b in &client {
        p.parse(S, std::slice::from_ref(b), &mut out);
    }
    for b in &server {
        p.parse(C, std::slice::from_ref(b), &mut out);
    }
    p.finish(&mut out);
    assert_eq!(normalized(&out), whole.0);
}

#[test]
fn transaction_ids_follow_suricata() {
    // One transaction per stream-0 frame (an empty SETTINGS is none), one
    // per stream.
    let (client, server) = conversation();
    let mut p = Http2Parser::new();
    let mut out = ParseOutput::default();
    p.parse(S, &client, &mut out);
    p.parse(C, &server, &mut out);
    p.finish(&mut out);
    let mut ids: Vec<(u64, String)> = out
        .txs
        .iter()
        .filter(|t| t.event_type() == "http" && !t.inspect_only())
        .map(|t| (t.tx_id().unwrap(), eve(t.as_ref())))
        .collect();
    ids.sort();
    let kinds: Vec<(u64, bool)> = ids
        .iter()
        .map(|(i, b)| (*i, b.contains(r#""stream_id":0"#)))
        .collect();
    assert_eq!(
        kinds,
        [(0, true), (1, false), (2, false), (3, true), (4, true)]
    );
}

#[test]
fn probes() {
    assert_eq!(probe(S, b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"), Probe::Match);
    assert_eq!(probe(S, b"PRI * HTTP/2"), Probe::NeedMore);
    assert_eq!(probe(S, b"GET / HTTP/1.1\r\n"), Probe::NoMatch);
    assert_eq!(probe(C, PREFACE), Probe::NoMatch);
    assert_eq!(probe_server(&settings(&[(3, 100)])), Probe::Match);
    assert_eq!(probe_server(&[0, 0, 6, 4]), Probe::NeedMore);
    assert_eq!(probe_server(&frame(1, 4, 1, &[0x88])), Probe::NoMatch);
    // More than 16384 bytes: not Suricata's SETTINGS.
    assert_eq!(
        probe_server(&[0, 0x40, 1, 4, 0, 0, 0, 0, 0]),
        Probe::NoMatch
    );
}

#[test]
fn hpack_rfc7541_examples_with_huffman() {
    // RFC 7541 C.4.1 to C.4.3: requests sharing one dynamic table.
    let hex = |s: &str| -> Vec<u8> {
        s.split_whitespace()
            .map(|b| u8::from_str_radix(b, 16).unwrap())
            .collect()
    };
    let mut t = DynTable::default();
    let blocks = [
        "82 86 84 41 8c f1 e3 c2 e5 f2 3a 6b a0 ab 90 f4 ff",
        "82 86 84 be 58 86 a8 eb 10 64 9c bf",
        "82 87 85 bf 40 88 25 a8 49 e9 5b a9 7d 7f 89 25 a8 49 e9 5b b8 e8 b4 bf",
    ];
    let mut got = Vec::new();
    for b in blocks {
        let mut fields = Vec::new();
        assert_eq!(hpack::decode(&hex(b), &mut t, &mut fields, 100), Stop::End);
        let list: Vec<String> = fields
            .iter()
            .map(|f| match f {
                Field::Header(h) => format!(
                    "{}: {}",
                    String::from_utf8_lossy(&h.name),
                    String::from_utf8_lossy(&h.value)
                ),
                other => format!("{other:?}"),
            })
            .collect();
        got.push(list.join(", "));
    }
    assert_eq!(
        got,
        [
            ":method: GET, :scheme: http, :path: /, :authority: www.example.com",
            ":method: GET, :scheme: http, :path: /, :authority: www.example.com, cache-control: no-cache",
            ":method: GET, :scheme: https, :path: /index.html, :authority: www.example.com, custom-key: custom-value",
        ]
    );
    assert_eq!(t.len(), 3);
}

#[test]
fn hpack_table_size_update_and_eviction() {
    let mut t = DynTable::default();
    let mut fields = Vec::new();
    // Two entries of 32 + 1 + 1 bytes.
    let mut block = vec![0x40, 1, b'a', 1, b'1', 0x40, 1, b'b', 1, b'2'];
    assert_eq!(hpack::decode(&block, &mut t, &mut fields, 100), Stop::End);
    assert_eq!(t.len(), 2);
    // A size update to 40 evicts the oldest; index 62 is "b".
    block = vec![0x3f, 40 - 31, 0xbe];
    fields.clear();
    assert_eq!(hpack::decode(&block, &mut t, &mut fields, 100), Stop::End);
    assert_eq!(hpack::size_update(&fields), Some(40));
    assert_eq!(t.len(), 1);
    match &fields[1] {
        Field::Header(h) => assert_eq!((&h.name[..], &h.value[..]), (&b"b"[..], &b"2"[..])),
        f => panic!("{f:?}"),
    }
    // Index 63 is past the table; 0 is invalid.
    fields.clear();
    assert_eq!(
        hpack::decode(&[0xbf, 0x80], &mut t, &mut fields, 100),
        Stop::End
    );
    assert!(matches!(fields[0], Field::Error(FieldError::NotIndexed)));
    assert!(matches!(fields[1], Field::Error(FieldError::Index0)));
}

#[test]
fn hpack_integers() {
    let mut t = DynTable::default();
    let mut fields = Vec::new();
    // Cut in the middle of a multi-byte integer.
    assert_eq!(
        hpack::decode(&[0xff, 0x80], &mut t, &mut fields, 100),
        Stop::Incomplete(0)
    );
    // 10 continuation bytes: read as 0 (Suricata), i.e. index 0.
    fields.clear();
    let mut big = vec![0xff];
    big.extend([0x80; 10]);
    big.push(0x01);
    assert_eq!(hpack::decode(&big, &mut t, &mut fields, 100), Stop::End);
    assert!(matches!(fields[0], Field::Error(FieldError::Index0)));
    // 9 continuation bytes summing past 64 bits: an overflow, decoding
    // stops there.
    fields.clear();
    let mut over = vec![0xff];
    over.extend([0xff; 9]);
    over.push(0x01);
    over.push(0x82);
    assert_eq!(
        hpack::decode(&over, &mut t, &mut fields, 100),
        Stop::Overflow(0)
    );
    assert!(matches!(
        fields[..],
        [Field::Error(FieldError::IntegerOverflow)]
    ));
}

#[test]
fn huffman_round_trip_and_padding() {
    for s in ["", "a", "www.example.com", "no-cache", "\u{0}\u{1}\u{ff}~|"] {
        let enc = huffman::encode(s.as_bytes());
        let mut dec = Vec::new();
        huffman::decode(&enc, &mut dec);
        assert_eq!(dec, s.as_bytes());
    }
    // EOS stops decoding without an error.
    let mut dec = Vec::new();
    huffman::decode(&[0xff, 0xff, 0xff, 0xff, 0x00], &mut dec);
    assert!(dec.is_empty());
}

#[test]
fn malformed_frames_raise_events() {
    let mut p = Http2Parser::new();
    let mut out = ParseOutput::default();
    let mut client = PREFACE.to_vec();
    client.extend(settings(&[(2, 0)]));
    client.extend(frame(1, 0x5, 1, &[0x82, 0x80])); // index 0
    client.extend(frame(3, 0, 1, &[0, 0])); // RST_STREAM of 2 bytes
    client.extend(frame(2, 0, 1, &[0; 4])); // PRIORITY of 4 bytes
    client.extend(frame(8, 0, 1, &[0; 5])); // WINDOW_UPDATE of 5
    client.extend(frame(7, 0, 0, &[0; 2])); // GOAWAY of 2
    client.extend(frame(1, 0x5, 3, &[0x82, 0x41])); // cut literal
    client.extend(frame(1, 0x5, 1, &[0x82])); // stream 1 again
    p.parse(S, &client, &mut out);
    p.finish(&mut out);
    let evs = events(&out);
    for e in [
        "invalid_header",
        "invalid_frame_length",
        "invalid_frame_data",
    ] {
        assert!(evs.contains(&e), "{e} in {evs:?}");
    }
    assert!(out.events.iter().all(|e| e.proto == AppProto::Http2));
    let recs = records(&out);
    assert!(
        recs.iter()
            .any(|(_, b)| b.contains(r#"{"error":"HTTP2HeaderDecodeIndex0"}"#)),
        "{recs:?}"
    );
}

#[test]
fn bad_preface_and_stream_reuse() {
    // Not the preface: an event (on the newest transaction, here the
    // upgrade's stream 1), and the bytes are parsed as frames.
    let req = UpgradeRequest {
        method: Some(b"GET".to_vec()),
        ..UpgradeRequest::default()
    };
    let mut p = Http2Parser::after_upgrade(&req);
    let mut out = ParseOutput::default();
    p.parse(S, b"PRI * HTTP/2.0\r\n\r\nXX\r\n\r\n", &mut out);
    assert_eq!(events(&out), ["invalid_client_magic"]);

    let mut p = Http2Parser::new();
    let mut out = ParseOutput::default();
    let mut client = PREFACE.to_vec();
    client.extend(frame(1, 0x5, 1, &[0x82, 0x84]));
    p.parse(S, &client, &mut out);
    p.parse(C, &frame(1, 0x5, 1, &[0x88]), &mut out);
    assert!(events(&out).is_empty());
    // A new HEADERS on the closed stream before it is released; a
    // WINDOW_UPDATE is allowed.
    p.parse(C, &frame(8, 0, 1, &[0, 0, 1, 0]), &mut out);
    assert!(events(&out).is_empty());
    p.parse(C, &frame(1, 0x5, 1, &[0x88]), &mut out);
    assert_eq!(events(&out), ["stream_id_reuse"]);
}

#[test]
fn headers_padding_is_decoded_as_suricata_does() {
    // Padding bytes are header block bytes for Suricata: 3 zeros are one
    // empty literal, 1 zero a cut field (an invalid frame).
    let block = [0x82, 0x84];
    let mut client = PREFACE.to_vec();
    client.extend(settings(&[(3, 100)]));
    let mut p3 = vec![3];
    p3.extend(block);
    p3.extend([0, 0, 0]);
    client.extend(frame(1, 0x8 | 0x5, 1, &p3));
    let mut p1 = vec![1];
    p1.extend(block);
    p1.push(0);
    client.extend(frame(1, 0x8 | 0x5, 3, &p1));
    let mut p = Http2Parser::new();
    let mut out = ParseOutput::default();
    p.parse(S, &client, &mut out);
    p.finish(&mut out);
    let recs = records(&out);
    assert!(
        recs.iter().any(|(_, b)| b.contains(
            r#""request_headers":[{"name":":method","value":"GET"},{"name":":path","value":"/"},{"name":"","value":""}]"#
        )),
        "{recs:?}"
    );
    assert_eq!(events(&out), ["invalid_frame_data"]);
}

#[test]
fn header_block_continues_in_continuation_frames() {
    let mut block = vec![0x82, 0x86, 0x84];
    block.extend(lit("namename", "valuevaluevalue"));
    // Cut in the middle of the literal.
    let (a, b) = block.split_at(7);
    let mut client = PREFACE.to_vec();
    client.extend(frame(1, 0x1, 1, a));
    client.extend(frame(9, 0x4, 1, b));
    let mut p = Http2Parser::new();
    let mut out = ParseOutput::default();
    p.parse(S, &client, &mut out);
    p.parse(C, &frame(1, 0x5, 1, &[0x88]), &mut out);
    assert!(events(&out).is_empty(), "{:?}", events(&out));
    let recs = records(&out);
    assert!(
        recs.iter().any(|(_, b)| b.contains(
            r#"{"name":":path","value":"/"},{"name":"namename","value":"valuevaluevalue"}"#
        )),
        "{recs:?}"
    );
}

#[test]
fn gzip_body_is_decoded_for_the_file() {
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all(&[b'x'; 1000]).unwrap();
    let body = gz.finish().unwrap();
    let mut client = PREFACE.to_vec();
    client.extend(frame(1, 0x5, 1, &[0x82, 0x84]));
    let mut server = Vec::new();
    let mut rblock = vec![0x88];
    rblock.extend(lit("content-encoding", "gzip"));
    server.extend(frame(1, 0x4, 1, &rblock));
    let (b1, b2) = body.split_at(body.len() / 2);
    server.extend(frame(0, 0, 1, b1));
    server.extend(frame(0, 0x1, 1, b2));
    let mut p = Http2Parser::new();
    let mut out = ParseOutput::default();
    p.parse(S, &client, &mut out);
    p.parse(C, &server, &mut out);
    p.finish(&mut out);
    let recs = records(&out);
    assert!(
        recs.iter()
            .any(|(t, b)| t == "fileinfo" && b.contains(r#""size":1000"#)),
        "{recs:?}"
    );
    let tx = out.txs.iter().find(|t| {
        t.event_type() == "http" && !t.inspect_only() && t.buffer("http.method").is_some()
    });
    let tx = tx.expect("stream 1");
    assert_eq!(tx.buffer("file.data").map(<[u8]>::len), Some(1000));
    assert_eq!(tx.buffer("http.uri"), Some(&b"/"[..]));
    // Corrupt gzip: an event, and the decoder gives up.
    let mut server = Vec::new();
    server.extend(frame(1, 0x4, 3, &rblock));
    server.extend(frame(0, 0x1, 3, b"not gzip at all"));
    let mut out = ParseOutput::default();
    let mut client = frame(1, 0x5, 3, &[0x82, 0x84]);
    p = Http2Parser::new();
    let mut c = PREFACE.to_vec();
    c.append(&mut client);
    p.parse(S, &c, &mut out);
    p.parse(C, &server, &mut out);
    assert!(events(&out).contains(&"failed_decompression"));
}

#[test]
fn upgrade_request_becomes_stream_1() {
    let req = UpgradeRequest {
        method: Some(b"GET".to_vec()),
        uri: Some(b"/robots.txt".to_vec()),
        headers: vec![
            (b"Host".to_vec(), b"example.org".to_vec()),
            (b"User-Agent".to_vec(), b"curl/8".to_vec()),
            (b"Upgrade".to_vec(), b"h2c".to_vec()),
            (
                b"HTTP2-Settings".to_vec(),
                b"AAMAAABkAARAAAAAAAIAAAAA".to_vec(),
            ),
        ],
    };
    let mut p = Http2Parser::after_upgrade(&req);
    let mut out = ParseOutput::default();
    p.parse(C, &settings(&[(3, 100)]), &mut out);
    let mut resp = vec![0x88];
    resp.extend(lit("content-length", "0"));
    p.parse(C, &frame(1, 0x5, 1, &resp), &mut out);
    let recs = records(&out);
    assert!(
        recs.iter().any(|(_, b)| b.contains(
            r#""request":{"settings":[{"settings_id":"SETTINGSMAXCONCURRENTSTREAMS","settings_value":100},{"settings_id":"SETTINGSINITIALWINDOWSIZE","settings_value":1073741824},{"settings_id":"SETTINGSENABLEPUSH","settings_value":0}]}"#
        )),
        "{recs:?}"
    );
    let s1 = recs
        .iter()
        .find(|(_, b)| b.contains(r#""stream_id":1"#))
        .expect("stream 1");
    assert!(
        s1.1.contains(
            r#""request_headers":[{"name":":method","value":"GET"},{"name":":path","value":"/robots.txt"},{"name":":authority","value":"example.org"},{"name":"User-Agent","value":"curl/8"},{"name":"Upgrade","value":"h2c"}]"#
        ),
        "{s1:?}"
    );
    assert!(s1.1.contains(r#""http_user_agent":"curl/8""#));
    assert!(!s1.1.contains("hostname"));
}

#[test]
fn http1_upgrade_hands_the_flow_to_http2() {
    use crate::{AppState, DetectionConfig, Transport};
    let mut st = AppState::new(Transport::Tcp, 40000, 8080, DetectionConfig::default());
    let mut out = ParseOutput::default();
    st.on_stream(
        S,
        b"GET / HTTP/1.1\r\nHost: h:8080\r\nConnection: Upgrade, HTTP2-Settings\r\nUpgrade: h2c\r\nHTTP2-Settings: AAMAAABk\r\n\r\n",
        &mut out,
    );
    let mut resp =
        b"HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: h2c\r\n\r\n".to_vec();
    resp.extend(settings(&[(3, 250)]));
    st.on_stream(C, &resp, &mut out);
    assert_eq!(st.app_proto_name(), Some("http2"));
    assert_eq!(st.flow_protos().orig, Some("http"));
    let mut client = PREFACE.to_vec();
    client.extend(settings(&[(3, 100)]));
    st.on_stream(S, &client, &mut out);
    st.on_stream(C, &frame(1, 0x5, 1, &[0x88]), &mut out);
    let bodies: Vec<String> = out
        .txs
        .iter()
        .filter(|t| t.has_record())
        .map(|t| eve(t.as_ref()))
        .collect();
    // The HTTP/1 record of the upgrade, then HTTP/2's.
    assert!(
        bodies.iter().any(|b| b.contains(r#""status":101"#)),
        "{bodies:?}"
    );
    assert!(
        bodies
            .iter()
            .any(|b| b.contains(r#""stream_id":1"#) && b.contains(r#""status":200"#)),
        "{bodies:?}"
    );
    assert!(
        bodies.iter().any(|b| b.contains(r#""response":{"settings":[{"settings_id":"SETTINGSMAXCONCURRENTSTREAMS","settings_value":250}]}"#)),
        "{bodies:?}"
    );
}

#[test]
fn too_many_streams_are_dropped_oldest_first() {
    let mut p = Http2Parser::new();
    let mut out = ParseOutput::default();
    p.parse(S, PREFACE, &mut out);
    let mut data = Vec::new();
    for i in 0..(super::parser::MAX_STREAMS as u32 + 10) {
        data.extend(frame(1, 0x4, 2 * i + 1, &[0x82, 0x84]));
    }
    p.parse(S, &data, &mut out);
    assert!(events(&out).contains(&"too_many_streams"));
    // The dropped ones are handed over at once.
    assert!(out.txs.len() >= 9, "{}", out.txs.len());
}

#[test]
fn long_frames_are_handled_in_part() {
    let mut p = Http2Parser::new();
    let mut out = ParseOutput::default();
    let mut client = PREFACE.to_vec();
    client.extend(frame(1, 0x4, 1, &[0x82, 0x84]));
    p.parse(S, &client, &mut out);
    // A 100000-byte DATA frame, sent in pieces, then a PING.
    let big = vec![b'a'; 100_000];
    let f = frame(0, 0x1, 1, &big);
    for chunk in f.chunks(1000) {
        p.parse(S, chunk, &mut out);
    }
    p.parse(S, &frame(6, 0, 0, &[0; 8]), &mut out);
    p.finish(&mut out);
    assert!(events(&out).contains(&"long_frame_data"));
    // The PING after the long frame is found again.
    assert!(out.txs.len() >= 2);
}

#[test]
fn gaps_and_garbage_do_not_panic() {
    let (client, server) = conversation();
    let mut p = Http2Parser::new();
    let mut out = ParseOutput::default();
    p.parse(S, &client[..40], &mut out);
    p.gap(S, 100, &mut out);
    p.parse(S, &client[40..], &mut out);
    p.parse(C, &server, &mut out);
    p.finish(&mut out);
    // Random bytes in both directions.
    let mut seed = 0x1234_5678u32;
    let mut junk = Vec::new();
    for _ in 0..20_000 {
        seed ^= seed << 13;
        seed ^= seed >> 17;
        seed ^= seed << 5;
        junk.push(seed as u8);
    }
    let mut p = Http2Parser::new();
    let mut out = ParseOutput::default();
    let mut c = PREFACE.to_vec();
    c.extend_from_slice(&junk);
    for chunk in c.chunks(333) {
        p.parse(S, chunk, &mut out);
    }
    for chunk in junk.chunks(777) {
        p.parse(C, chunk, &mut out);
    }
    p.finish(&mut out);
}

/// A request whose headers are sent and whose data follows is handed over
/// once for the header rules (no record), before its stream ends.
#[test]
fn request_under_way_is_shown_to_header_rules() {
    let mut p = Http2Parser::new();
    let mut out = ParseOutput::default();
    let mut client = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".to_vec();
    client.extend(frame(4, 0, 0, &[]));
    let mut block = lit(":method", "POST");
    block.extend(lit(":path", "/up"));
    block.extend(lit("user-agent", "t"));
    client.extend(frame(1, 0x4, 1, &block));
    client.extend(frame(0, 0, 1, b"abc"));
    p.parse(S, &client, &mut out);
    let shown: Vec<_> = out.txs.iter().filter(|t| t.inspect_only()).collect();
    assert_eq!(shown.len(), 1);
    assert_eq!(shown[0].partial_request(), Some(2));
    assert!(!shown[0].has_record());
    assert_eq!(shown[0].buffer("http.method"), Some(&b"POST"[..]));
    assert_eq!(shown[0].buffer("http.user_agent"), Some(&b"t"[..]));
    // More data: not shown again.
    out.txs.clear();
    p.parse(S, &frame(0, 0, 1, b"def"), &mut out);
    assert!(out.txs.iter().all(|t| !t.inspect_only()));
}
