//! Unit tests with hand-built messages.

use std::io::Write as _;

use vigil_eve::JsonWriter;

use super::*;
use crate::{ParseOutput, Transaction};

/// One logged record: event type, tx id and the JSON the record body gets.
#[derive(Debug, PartialEq, Eq, Clone)]
struct Rec {
    event_type: &'static str,
    tx_id: Option<u64>,
    json: String,
}

fn render(tx: &dyn Transaction) -> Rec {
    let mut buf = Vec::new();
    let mut w = JsonWriter::new(&mut buf);
    w.open_object();
    tx.write_eve(&mut w);
    w.close_object();
    Rec {
        event_type: tx.event_type(),
        tx_id: tx.tx_id(),
        json: String::from_utf8(buf).expect("utf8"),
    }
}

/// Feeds a conversation (direction, bytes) in pieces of at most `split`
/// bytes, then ends the flow; returns records and event names in order.
fn run(conv: &[(Direction, &[u8])], split: usize) -> (Vec<Rec>, Vec<&'static str>) {
    let mut p = HttpParser::new();
    let mut out = ParseOutput::default();
    let mut recs = Vec::new();
    let mut events = Vec::new();
    let mut drain = |out: &mut ParseOutput, recs: &mut Vec<Rec>| {
        for tx in out.txs.drain(..) {
            if !tx.inspect_only() {
                recs.push(render(tx.as_ref()));
            }
        }
        for e in out.events.drain(..) {
            events.push(e.name);
        }
    };
    for (dir, data) in conv {
        for piece in data.chunks(split.max(1)) {
            p.parse(*dir, piece, &mut out);
            drain(&mut out, &mut recs);
        }
    }
    p.finish(&mut out);
    drain(&mut out, &mut recs);
    (recs, events)
}

fn http_recs(recs: &[Rec]) -> Vec<String> {
    recs.iter()
        .filter(|r| r.event_type == "http")
        .map(|r| r.json.clone())
        .collect()
}

const C: Direction = Direction::ToServer;
const S: Direction = Direction::ToClient;

const GET: &[u8] = b"GET /index.html?q=1 HTTP/1.1\r\nHost: www.Example.com\r\nUser-Agent: curl/8\r\nReferer: http://a/\r\n\r\n";
const OK: &[u8] =
    b"HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=utf-8\r\nContent-Length: 5\r\n\r\nhello";

#[test]
fn simple_get_record() {
    let (recs, events) = run(&[(C, GET), (S, OK)], usize::MAX);
    assert!(events.is_empty(), "{events:?}");
    let http = http_recs(&recs);
    assert_eq!(
        http,
        vec![
            r#"{"http":{"hostname":"www.example.com","url":"/index.html?q=1","http_user_agent":"curl/8","http_content_type":"text/html","http_refer":"http://a/","http_method":"GET","protocol":"HTTP/1.1","status":200,"length":5}}"#
        ]
    );
    let file = recs
        .iter()
        .find(|r| r.event_type == "fileinfo")
        .expect("fileinfo");
    assert_eq!(file.tx_id, Some(0));
    assert!(file.json.ends_with(
        r#""app_proto":"http","fileinfo":{"filename":"/index.html","gaps":false,"state":"CLOSED","stored":false,"size":5,"tx_id":0}}"#
    ), "{}", file.json);
    // A response's file record follows the transaction's http record.
    assert_eq!(recs.first().map(|r| r.event_type), Some("http"));
}

#[test]
fn every_split_gives_the_same_records() {
    let (want, want_events) = run(&[(C, GET), (S, OK)], usize::MAX);
    for split in 1..GET.len().max(OK.len()) {
        let (got, events) = run(&[(C, GET), (S, OK)], split);
        assert_eq!(http_recs(&got), http_recs(&want), "split {split}");
        assert_eq!(events, want_events, "split {split}");
    }
}

#[test]
fn buffers() {
    let mut p = HttpParser::new();
    let mut out = ParseOutput::default();
    p.parse(
        C,
        b"POST /a/./b/../c%2Fd?x=%41 HTTP/1.1\r\nHost: h:8080\r\nCookie: k=v\r\nContent-Length: 3\r\n\r\nabc",
        &mut out,
    );
    p.parse(
        S,
        b"HTTP/1.0 404 Not Found\r\nServer: x\r\nContent-Length: 0\r\n\r\n",
        &mut out,
    );
    let tx = out
        .txs
        .iter()
        .find(|t| t.event_type() == "http" && !t.inspect_only())
        .expect("tx");
    // Suricata's normalized URI decodes the query too.
    assert_eq!(tx.buffer("http.uri"), Some(&b"/a/c/d?x=A"[..]));
    assert_eq!(
        tx.buffer("http.uri.raw"),
        Some(&b"/a/./b/../c%2Fd?x=%41"[..])
    );
    assert_eq!(tx.buffer("http.method"), Some(&b"POST"[..]));
    assert_eq!(tx.buffer("http.host"), Some(&b"h"[..]));
    assert_eq!(tx.buffer("http.host.raw"), Some(&b"h:8080"[..]));
    assert_eq!(tx.buffer("http.cookie"), Some(&b"k=v"[..]));
    assert_eq!(tx.buffer("http.request_body"), Some(&b"abc"[..]));
    assert_eq!(tx.buffer("http.stat_code"), Some(&b"404"[..]));
    assert_eq!(tx.buffer("http.stat_msg"), Some(&b"Not Found"[..]));
    assert_eq!(tx.buffer("http.server"), Some(&b"x"[..]));
    assert_eq!(tx.buffer("http.protocol"), Some(&b"HTTP/1.1"[..]));
    assert_eq!(
        tx.buffer("http.request_line"),
        Some(&b"POST /a/./b/../c%2Fd?x=%41 HTTP/1.1"[..])
    );
    assert_eq!(
        tx.buffer("http.response_line"),
        Some(&b"HTTP/1.0 404 Not Found"[..])
    );
    assert_eq!(
        tx.buffer("http.header_names"),
        Some(&b"\r\nHost\r\nCookie\r\nContent-Length\r\n\r\n"[..])
    );
    assert_eq!(
        tx.buffer("http.header"),
        Some(&b"Host: h:8080\r\nCookie: k=v\r\nContent-Length: 3\r\n"[..])
    );
    assert_eq!(
        tx.buffer("http.header.raw"),
        Some(&b"Host: h:8080\r\nCookie: k=v\r\nContent-Length: 3\r\n"[..])
    );
    assert!(tx.buffer("http.location").is_none());
    // Direction-dependent buffers and the per-header ones.
    assert_eq!(
        tx.buffer_dir("http.header", S),
        Some(&b"Server: x\r\nContent-Length: 0\r\n"[..])
    );
    assert_eq!(tx.buffer_dir("http.protocol", S), Some(&b"HTTP/1.0"[..]));
    assert_eq!(tx.buffer_dir("file.data", C), Some(&b"abc"[..]));
    let mut each = Vec::new();
    tx.buffers("http.request_header", &mut |b| each.push(b.to_vec()));
    assert_eq!(
        each,
        vec![
            b"Host: h:8080".to_vec(),
            b"Cookie: k=v".to_vec(),
            b"Content-Length: 3".to_vec()
        ]
    );
    assert!(tx.buffer("nonsense").is_none());
    let rec = render(tx.as_ref());
    assert!(
        rec.json.contains(r#""hostname":"h","http_port":8080"#),
        "{}",
        rec.json
    );
}

#[test]
fn pipelined_requests_pair_in_order() {
    let reqs = b"GET /1 HTTP/1.1\r\nHost: a\r\n\r\nGET /2 HTTP/1.1\r\nHost: a\r\n\r\n";
    let resps = b"HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nAHTTP/1.1 404 NF\r\nContent-Length: 2\r\n\r\nBB";
    for split in [1, 3, 7, usize::MAX] {
        let (recs, events) = run(&[(C, reqs), (S, resps)], split);
        assert!(events.is_empty(), "{events:?}");
        let http: Vec<&Rec> = recs.iter().filter(|r| r.event_type == "http").collect();
        assert_eq!(http.len(), 2);
        assert_eq!(http[0].tx_id, Some(0));
        assert!(http[0].json.contains(r#""url":"/1""#));
        assert!(http[0].json.contains(r#""status":200,"length":1"#));
        assert_eq!(http[1].tx_id, Some(1));
        assert!(http[1].json.contains(r#""url":"/2""#));
        assert!(http[1].json.contains(r#""status":404,"length":2"#));
    }
}

#[test]
fn chunked_response_and_gzip() {
    let body = b"The quick brown fox jumps over the lazy dog. ".repeat(10);
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    e.write_all(&body).expect("gzip");
    let z = e.finish().expect("gzip");
    let (a, b) = z.split_at(z.len() / 2);
    let mut resp =
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nContent-Encoding: gzip\r\n\r\n".to_vec();
    for part in [a, b] {
        resp.extend_from_slice(format!("{:x}\r\n", part.len()).as_bytes());
        resp.extend_from_slice(part);
        resp.extend_from_slice(b"\r\n");
    }
    resp.extend_from_slice(b"0\r\n\r\n");
    let wire_len = resp.len() - resp.windows(4).position(|w| w == b"\r\n\r\n").unwrap() - 4;
    for split in [1, 5, usize::MAX] {
        let mut p = HttpParser::new();
        let mut out = ParseOutput::default();
        p.parse(C, b"GET /z HTTP/1.1\r\nHost: a\r\n\r\n", &mut out);
        for piece in resp.chunks(split) {
            p.parse(S, piece, &mut out);
        }
        assert!(out.events.is_empty(), "{:?}", out.events);
        let tx = out
            .txs
            .iter()
            .find(|t| t.event_type() == "http" && !t.inspect_only())
            .expect("tx");
        assert_eq!(tx.buffer("http.response_body"), Some(body.as_slice()));
        let rec = render(tx.as_ref());
        // `length` counts the body as sent: chunk framing, the final
        // "0\r\n", not the trailer section's empty line.
        assert!(
            rec.json.contains(&format!(r#""length":{}"#, wire_len - 2)),
            "{} vs {}",
            rec.json,
            wire_len
        );
        let file = out
            .txs
            .iter()
            .find(|t| t.event_type() == "fileinfo")
            .expect("file");
        assert!(
            render(file.as_ref())
                .json
                .contains(&format!(r#""size":{}"#, body.len()))
        );
    }
}

#[test]
fn chunked_request_with_trailer() {
    let req = b"POST /up HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n2;x=y\r\nde\r\n0\r\nX-T: 1\r\n\r\n";
    let (recs, events) = run(&[(C, req), (S, b"HTTP/1.1 204 No Content\r\n\r\n")], 2);
    // The ";x=y" extension is reported, as libhtp does.
    assert_eq!(events, vec!["REQUEST_CHUNK_EXTENSION"]);
    let http = http_recs(&recs);
    assert_eq!(http.len(), 1);
    assert!(
        http[0].contains(r#""status":204,"length":0"#),
        "{}",
        http[0]
    );
}

#[test]
fn head_response_has_no_body() {
    let (recs, _) = run(
        &[
            (C, b"HEAD / HTTP/1.1\r\nHost: a\r\n\r\nGET /b HTTP/1.1\r\nHost: a\r\n\r\n"),
            (
                S,
                b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok",
            ),
        ],
        usize::MAX,
    );
    let http = http_recs(&recs);
    assert_eq!(http.len(), 2);
    assert!(
        http[0].contains(r#""http_method":"HEAD","protocol":"HTTP/1.1","status":200,"length":0"#)
    );
    assert!(http[1].contains(r#""url":"/b""#) && http[1].contains(r#""length":2"#));
}

#[test]
fn continue_100_and_repeated() {
    let req = b"POST /u HTTP/1.1\r\nHost: a\r\nExpect: 100-continue\r\nContent-Length: 2\r\n\r\nhi";
    let resp = b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n";
    let (recs, events) = run(&[(C, req), (S, resp)], usize::MAX);
    assert!(events.is_empty(), "{events:?}");
    let http = http_recs(&recs);
    assert_eq!(http.len(), 1);
    assert!(http[0].contains(r#""status":200"#));
    let resp2 = b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n";
    let (_, events) = run(&[(C, req), (S, resp2)], usize::MAX);
    assert_eq!(events, vec!["100_CONTINUE_ALREADY_SEEN"]);
}

#[test]
fn connect_then_tunnel() {
    let req = b"CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n";
    let resp = b"HTTP/1.1 200 Connection established\r\n\r\n";
    let (recs, events) = run(
        &[
            (C, req),
            (S, resp),
            (C, b"\x16\x03\x01\x00\x05hello"),
            (S, b"\x16\x03\x03\x00\x02hi"),
        ],
        usize::MAX,
    );
    assert!(events.is_empty(), "{events:?}");
    let http = http_recs(&recs);
    assert_eq!(
        http,
        vec![
            r#"{"http":{"hostname":"example.com","http_port":443,"url":"example.com:443","http_method":"CONNECT","protocol":"HTTP/1.1","status":200,"length":0}}"#
        ]
    );
    assert!(!recs.iter().any(|r| r.event_type == "fileinfo"));
}

/// Feeds a conversation through protocol detection (a flow to port 8080)
/// so that protocol changes happen; returns the records and the state.
fn run_flow(conv: &[(Direction, &[u8])]) -> (Vec<Rec>, crate::AppState) {
    let mut app = crate::AppState::new(
        crate::Transport::Tcp,
        40000,
        8080,
        crate::DetectionConfig::default(),
    );
    let mut out = ParseOutput::default();
    for (dir, data) in conv {
        app.on_stream(*dir, data, &mut out);
    }
    app.finish(&mut out);
    let recs = out
        .txs
        .iter()
        .filter(|t| !t.inspect_only())
        .map(|t| render(t.as_ref()))
        .collect();
    (recs, app)
}

#[test]
fn http_inside_connect_gets_a_fresh_state() {
    let (recs, app) = run_flow(&[
        (C, b"CONNECT abc:443 HTTP/1.1\r\nHost: abc\r\n\r\n"),
        (S, b"HTTP/1.1 200 OK\r\n\r\n"),
        (C, b"GET /in HTTP/1.1\r\nHost: abc\r\n\r\n"),
        (S, b"HTTP/1.1 404 NF\r\nContent-Length: 0\r\n\r\n"),
    ]);
    let http: Vec<&Rec> = recs.iter().filter(|r| r.event_type == "http").collect();
    assert_eq!(http.len(), 2);
    assert_eq!(http[0].tx_id, Some(0));
    assert!(http[0].json.contains("CONNECT"));
    // The tunnel's HTTP is a new state: its ids start at 0 again.
    assert_eq!(http[1].tx_id, Some(0));
    assert!(http[1].json.contains(r#""url":"/in""#) && http[1].json.contains(r#""status":404"#));
    assert_eq!(app.app_proto_name(), Some("http"));
}

#[test]
fn tls_inside_connect_changes_the_flow_protocol() {
    // The client starts TLS before the proxy's answer is complete: its
    // bytes are held and detected after the CONNECT.
    let hello: &[u8] = &[0x16, 0x03, 0x01, 0x00, 0x04, 0x0e, 0x00, 0x00, 0x00];
    let (recs, app) = run_flow(&[
        (C, b"CONNECT abc:443 HTTP/1.1\r\nHost: abc\r\n\r\n"),
        (S, b"HTTP/1.1 200 Connection established\r\n"),
        (C, hello),
        (S, b"\r\n"),
    ]);
    assert_eq!(recs.iter().filter(|r| r.event_type == "http").count(), 1);
    assert_eq!(app.app_proto_name(), Some("tls"));
    assert_eq!(app.flow_protos().orig, Some("http"));
}

#[test]
fn junk_chunk_length_falls_back_to_identity() {
    let get = b"GET /a HTTP/1.1\r\nHost: x\r\n\r\n";
    let hdr = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n";
    // Junk right after the headers: one extra byte counted (as Suricata).
    let mut both = hdr.to_vec();
    both.extend_from_slice(b"X5O!");
    let (recs, events) = run(&[(C, get), (S, &both)], usize::MAX);
    assert_eq!(events, vec!["INVALID_RESPONSE_CHUNK_LEN"]);
    assert!(http_recs(&recs)[0].contains(r#""length":5"#));
    // Junk in new data without a line end: no event, no extra.
    let (recs, events) = run(&[(C, get), (S, hdr), (S, b"X5O!P%@AP[4")], usize::MAX);
    assert!(events.is_empty());
    assert!(http_recs(&recs)[0].contains(r#""length":11"#));
}

#[test]
fn malformed_headers_raise_events() {
    let req = b"GET / HTTP/1.1\r\nHost: a\r\nNoColonHere\r\nBad Name: x\r\n\r\n";
    let (_, events) = run(
        &[
            (C, req),
            (S, b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"),
        ],
        4,
    );
    assert_eq!(
        events,
        vec!["REQUEST_FIELD_MISSING_COLON", "REQUEST_HEADER_INVALID"]
    );
    let (_, events) = run(&[(C, b"GET / HTTP/1.1\r\n\r\n")], usize::MAX);
    // Suricata raises it twice: from libhtp's message and from the flag.
    assert_eq!(events, vec!["MISSING_HOST_HEADER", "MISSING_HOST_HEADER"]);
    let (_, events) = run(
        &[(
            C,
            b"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
        )],
        usize::MAX,
    );
    assert_eq!(events, vec!["INVALID_REQUEST_CHUNK_LEN"]);
}

#[test]
fn response_without_request() {
    let (recs, events) = run(
        &[(S, b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n")],
        usize::MAX,
    );
    assert_eq!(events, vec!["UNABLE_TO_MATCH_RESPONSE_TO_REQUEST"]);
    let http = http_recs(&recs);
    assert_eq!(
        http,
        vec![
            r#"{"http":{"http_port":0,"url":"/libhtp::request_uri_not_seen","status":200,"length":0}}"#
        ]
    );
}

#[test]
fn incomplete_transactions_are_logged_at_flow_end() {
    let (recs, _) = run(&[(C, b"GET /x HTTP/1.1\r\nHost: a\r\n\r\n")], usize::MAX);
    assert_eq!(
        http_recs(&recs),
        vec![
            r#"{"http":{"hostname":"a","url":"/x","http_method":"GET","protocol":"HTTP/1.1","length":0}}"#
        ]
    );
    // A body cut short by the end of the stream: as libhtp, the message
    // ends there and its file closes normally.
    let (recs, _) = run(
        &[
            (C, b"GET /f HTTP/1.1\r\nHost: a\r\n\r\n"),
            (S, b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc"),
        ],
        usize::MAX,
    );
    let file = recs
        .iter()
        .find(|r| r.event_type == "fileinfo")
        .expect("file");
    assert!(
        file.json
            .contains(r#""state":"CLOSED","stored":false,"size":3"#),
        "{}",
        file.json
    );
}

#[test]
fn close_delimited_response() {
    let (recs, _) = run(
        &[
            (C, b"GET / HTTP/1.0\r\n\r\n"),
            (
                S,
                b"HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\n\r\nall of this until close",
            ),
        ],
        3,
    );
    let http = http_recs(&recs);
    assert!(
        http[0].contains(r#""status":200,"length":23"#),
        "{}",
        http[0]
    );
}

#[test]
fn hostile_lengths_do_not_panic_or_grow() {
    // A huge Content-Length: the body is consumed as it comes.
    let (recs, _) = run(
        &[
            (C, b"GET / HTTP/1.1\r\nHost: a\r\n\r\n"),
            (
                S,
                b"HTTP/1.1 200 OK\r\nContent-Length: 99999999999999999999\r\n\r\nxx",
            ),
        ],
        usize::MAX,
    );
    assert_eq!(http_recs(&recs).len(), 1);
    // A huge chunk length.
    let (_, events) = run(
        &[
            (C, b"GET / HTTP/1.1\r\nHost: a\r\n\r\n"),
            (
                S,
                b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nffffffffffffffffff\r\nabc",
            ),
        ],
        usize::MAX,
    );
    assert_eq!(events, vec!["INVALID_RESPONSE_CHUNK_LEN"]);
    // An endless header line stops at the field limit.
    let mut long = b"GET / HTTP/1.1\r\nX: ".to_vec();
    long.extend(std::iter::repeat_n(b'a', parser::FIELD_LIMIT + 10));
    let (_, events) = run(&[(C, &long)], 1000);
    assert_eq!(events, vec!["REQUEST_FIELD_TOO_LONG"]);
    // Many big headers: storage stops at the header byte cap.
    let mut req = b"GET / HTTP/1.1\r\nHost: a\r\n".to_vec();
    for i in 0..200 {
        req.extend_from_slice(format!("X-{i}: ").as_bytes());
        req.extend(std::iter::repeat_n(b'v', 1000));
        req.extend_from_slice(b"\r\n");
    }
    req.extend_from_slice(b"\r\n");
    let mut p = HttpParser::new();
    let mut out = ParseOutput::default();
    p.parse(C, &req, &mut out);
    p.finish(&mut out);
    let names: Vec<&str> = out.events.iter().map(|e| e.name).collect();
    assert_eq!(names, vec!["REQUEST_TOO_MANY_HEADERS"]);
    let tx = out
        .txs
        .iter()
        .find(|t| t.event_type() == "http" && !t.inspect_only())
        .expect("tx");
    assert!(tx.buffer("http.header").map_or(0, <[u8]>::len) < parser::HEADER_BYTES_LIMIT + 4096);
    // A big body keeps only the body limit for buffers.
    let mut resp = b"HTTP/1.1 200 OK\r\nContent-Length: 300000\r\n\r\n".to_vec();
    resp.extend(std::iter::repeat_n(b'b', 300_000));
    let mut p = HttpParser::new();
    let mut out = ParseOutput::default();
    p.parse(C, b"GET / HTTP/1.1\r\nHost: a\r\n\r\n", &mut out);
    p.parse(S, &resp, &mut out);
    let tx = out
        .txs
        .iter()
        .find(|t| t.event_type() == "http" && !t.inspect_only())
        .expect("tx");
    assert_eq!(
        tx.buffer("file.data").map(<[u8]>::len),
        Some(parser::BODY_LIMIT)
    );
}

#[test]
fn garbage_never_panics() {
    let mut seed = 0x1234_5678_u32;
    let mut next = || {
        seed ^= seed << 13;
        seed ^= seed >> 17;
        seed ^= seed << 5;
        seed
    };
    let alphabet =
        b"GET /HTTP1.0\r\n: \tchunkedTransfer-EncodingContent-Length0123456789abcdefgzip";
    for _ in 0..300 {
        let mut p = HttpParser::new();
        let mut out = ParseOutput::default();
        for _ in 0..20 {
            let len = (next() % 64) as usize;
            let data: Vec<u8> = (0..len)
                .map(|_| alphabet[(next() as usize) % alphabet.len()])
                .collect();
            let dir = if next() % 2 == 0 { C } else { S };
            if next() % 17 == 0 {
                p.gap(dir, u64::from(next() % 100), &mut out);
            }
            p.parse(dir, &data, &mut out);
        }
        p.finish(&mut out);
        for tx in &out.txs {
            let _ = render(tx.as_ref());
        }
    }
}

#[test]
fn probes() {
    assert_eq!(probe(C, b"GET / HTTP/1.1\r\n"), Probe::Match);
    assert_eq!(probe(C, b"get\t/"), Probe::Match);
    assert_eq!(probe(C, b"GE"), Probe::NeedMore);
    assert_eq!(probe(C, b"GET"), Probe::NeedMore);
    assert_eq!(probe(C, b"GETX"), Probe::NoMatch);
    assert_eq!(probe(C, b"\x16\x03\x01"), Probe::NoMatch);
    assert_eq!(probe(S, b"HTTP/1.1 200"), Probe::Match);
    assert_eq!(probe(S, b"HTT"), Probe::NeedMore);
    assert_eq!(probe(S, b"HTTP/2.0"), Probe::NoMatch);
    assert_eq!(probe(C, b"BASELINE-CONTROL "), Probe::Match);
}

/// A request cut inside its headers is handed over as it stands (its line
/// and the headers so far, progress 1), again once its headers are done
/// and a body follows (progress 2), and whole when complete; nothing is
/// handed over again without progress.
#[test]
fn request_in_progress_snapshots() {
    let mut p = HttpParser::new();
    let mut out = ParseOutput::default();
    p.parse(C, b"POST /up HTTP/1.1\r\nUser-Agent: t\r\nHo", &mut out);
    assert_eq!(out.txs.len(), 1);
    let snap = &out.txs[0];
    assert!(snap.inspect_only());
    assert_eq!(snap.partial_request(), Some(1));
    assert_eq!(snap.message_dir(), Some(Direction::ToServer));
    assert_eq!(snap.buffer("http.method"), Some(&b"POST"[..]));
    assert_eq!(snap.buffer("http.user_agent"), Some(&b"t"[..]));
    assert_eq!(snap.tx_id(), Some(0));
    out.txs.clear();
    // The Host line is complete only when the next line starts.
    p.parse(C, b"st: a\r\nContent-Length: 4\r\n", &mut out);
    assert_eq!(out.txs.len(), 1);
    assert_eq!(out.txs[0].partial_request(), Some(1));
    out.txs.clear();
    p.parse(C, b"\r\nab", &mut out);
    assert_eq!(out.txs.len(), 1);
    assert_eq!(out.txs[0].partial_request(), Some(2));
    out.txs.clear();
    p.parse(C, b"c", &mut out);
    assert!(out.txs.is_empty(), "body bytes alone are no progress");
    p.parse(C, b"d", &mut out);
    assert_eq!(out.txs.len(), 1);
    assert!(out.txs[0].inspect_only());
    assert_eq!(out.txs[0].partial_request(), None);
    assert_eq!(out.txs[0].buffer("http.request_body"), Some(&b"abcd"[..]));
}

/// A complete request is handed over at once for the to-server rules (a
/// snapshot, no record); the whole transaction follows with its response
/// and says its request side was inspected.
#[test]
fn request_snapshot_before_response() {
    let mut p = HttpParser::new();
    let mut out = ParseOutput::default();
    p.parse(
        C,
        b"GET /x HTTP/1.1\r\nHost: a\r\nUser-Agent: t\r\n\r\n",
        &mut out,
    );
    assert_eq!(out.txs.len(), 1);
    let snap = &out.txs[0];
    assert!(snap.inspect_only());
    assert_eq!(snap.message_dir(), Some(Direction::ToServer));
    assert_eq!(snap.buffer("http.user_agent"), Some(&b"t"[..]));
    assert_eq!(snap.buffer("http.uri"), Some(&b"/x"[..]));
    assert_eq!(snap.tx_id(), Some(0));
    out.txs.clear();
    p.parse(S, b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n", &mut out);
    let whole: Vec<_> = out
        .txs
        .iter()
        .filter(|t| t.event_type() == "http")
        .collect();
    assert_eq!(whole.len(), 1);
    assert!(!whole[0].inspect_only());
    assert!(whole[0].request_side_inspected());
    assert_eq!(whole[0].message_dir(), None);
    assert_eq!(whole[0].tx_id(), Some(0));
}

/// While its response is being parsed, a request handed over as a snapshot
/// reads back with the response parsed so far (alerts on it log that, as
/// Suricata logs the transaction at the alert); once done, nothing.
#[test]
fn tx_state_of_a_request_snapshot_follows_the_response() {
    let mut p = HttpParser::new();
    let mut out = ParseOutput::default();
    assert!(p.tx_state(0).is_none());
    p.parse(C, b"GET /blah/ HTTP/1.0\r\nHost: a\r\n\r\n", &mut out);
    let snap = render(out.txs[0].as_ref());
    assert!(!snap.json.contains("\"status\""), "{}", snap.json);
    p.parse(
        S,
        b"HTTP/1.0 404 Not Found\r\nContent-Type: text/html\r\n\r\nabc",
        &mut out,
    );
    let now = p.tx_state(0).expect("request in progress");
    assert!(now.inspect_only());
    let rec = render(now.as_ref());
    assert!(rec.json.contains("\"status\":404"), "{}", rec.json);
    assert!(rec.json.contains("\"length\":3"), "{}", rec.json);
    p.finish(&mut out);
    assert!(p.tx_state(0).is_none());
}

#[test]
fn normalized_uri_decodes_the_query_as_suricata() {
    // Suricata decodes `%HH` in the query of `http.uri`; `+`, `%u` and
    // invalid encodings stay as they are.
    let uri = util::parse_uri(b"/a%2fb/../c?d=%7Dk%BB+x%u0041%zz%4#f%41");
    assert_eq!(
        util::normalized_uri(&uri),
        b"/a/c?d=}k\xbb+x%u0041%zz%4#fA".to_vec()
    );
}
