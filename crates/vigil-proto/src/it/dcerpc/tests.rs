//! DCERPC parser tests on hand-built PDUs.

use super::*;
use crate::Transaction;
use vigil_eve::JsonWriter;

const S: Direction = Direction::ToServer;
const C: Direction = Direction::ToClient;

/// `12345678-1234-abcd-ef00-0123456789ab` as sent little-endian.
const IFACE_LE: [u8; 16] = [
    0x78, 0x56, 0x34, 0x12, 0x34, 0x12, 0xcd, 0xab, 0xef, 0x00, 0x01, 0x23, 0x45, 0x67, 0x89, 0xab,
];
const IFACE: &str = "12345678-1234-abcd-ef00-0123456789ab";

fn co(ptype: u8, flags: u8, call_id: u32, body: &[u8]) -> Vec<u8> {
    let mut v = vec![5, 0, ptype, flags, 0x10, 0, 0, 0];
    v.extend_from_slice(&((16 + body.len()) as u16).to_le_bytes());
    v.extend_from_slice(&0u16.to_le_bytes());
    v.extend_from_slice(&call_id.to_le_bytes());
    v.extend_from_slice(body);
    v
}

/// A BIND offering `ctxs` (context id, major version) of [`IFACE`].
fn bind(call_id: u32, flags: u8, ctxs: &[(u16, u16)]) -> Vec<u8> {
    let mut b = vec![
        0xb8,
        0x10,
        0xb8,
        0x10,
        0,
        0,
        0,
        0,
        ctxs.len() as u8,
        0,
        0,
        0,
    ];
    for (ctx, ver) in ctxs {
        b.extend_from_slice(&ctx.to_le_bytes());
        b.extend_from_slice(&[1, 0]);
        b.extend_from_slice(&IFACE_LE);
        b.extend_from_slice(&ver.to_le_bytes());
        b.extend_from_slice(&0u16.to_le_bytes());
        b.extend_from_slice(&[0x04; 16]);
        b.extend_from_slice(&2u32.to_le_bytes());
    }
    co(pdu::BIND, flags, call_id, &b)
}

fn bindack(call_id: u32, results: &[u16]) -> Vec<u8> {
    let mut b = vec![0xb8, 0x10, 0xb8, 0x10, 0x11, 0x22, 0, 0];
    b.extend_from_slice(&4u16.to_le_bytes());
    b.extend_from_slice(b"135\0");
    b.extend_from_slice(&[0, 0]);
    b.extend_from_slice(&[results.len() as u8, 0, 0, 0]);
    for r in results {
        b.extend_from_slice(&r.to_le_bytes());
        b.extend_from_slice(&0u16.to_le_bytes());
        b.extend_from_slice(&[0x04; 16]);
        b.extend_from_slice(&2u32.to_le_bytes());
    }
    co(pdu::BINDACK, 3, call_id, &b)
}

fn request(call_id: u32, flags: u8, ctx: u16, opnum: u16, stub: &[u8]) -> Vec<u8> {
    let mut b = (stub.len() as u32).to_le_bytes().to_vec();
    b.extend_from_slice(&ctx.to_le_bytes());
    b.extend_from_slice(&opnum.to_le_bytes());
    b.extend_from_slice(stub);
    co(pdu::REQUEST, flags, call_id, &b)
}

fn response(call_id: u32, flags: u8, stub: &[u8]) -> Vec<u8> {
    let mut b = (stub.len() as u32).to_le_bytes().to_vec();
    b.extend_from_slice(&[0, 0, 0, 0]);
    b.extend_from_slice(stub);
    co(pdu::RESPONSE, flags, call_id, &b)
}

fn render(tx: &dyn Transaction) -> String {
    let mut buf = Vec::new();
    let mut w = JsonWriter::new(&mut buf);
    w.open_object();
    tx.write_eve(&mut w);
    w.close_object();
    String::from_utf8(buf).unwrap_or_default()
}

/// Feeds `chunks` in order and returns the records written (snapshots
/// for rules are left out) and the number of request snapshots.
fn run(t: Transport, chunks: &[(Direction, &[u8])]) -> (Vec<String>, usize) {
    let mut p = new_parser(t);
    let mut out = ParseOutput::default();
    for (d, c) in chunks {
        p.parse(*d, c, &mut out);
    }
    p.finish(&mut out);
    let snaps = out.txs.iter().filter(|t| t.inspect_only()).count();
    let recs = out
        .txs
        .iter()
        .filter(|t| !t.inspect_only())
        .map(|t| render(t.as_ref()))
        .collect();
    (recs, snaps)
}

fn all_txs(chunks: &[(Direction, Vec<u8>)]) -> Vec<Box<dyn Transaction>> {
    let mut p = new_parser(Transport::Tcp);
    let mut out = ParseOutput::default();
    for (d, c) in chunks {
        p.parse(*d, c, &mut out);
    }
    p.finish(&mut out);
    out.txs
}

#[test]
fn probes() {
    let b = bind(1, 3, &[(0, 1)]);
    assert_eq!(probe_tcp(S, &b), Probe::Match);
    assert_eq!(probe_tcp(S, &b[..4]), Probe::NeedMore);
    assert_eq!(probe_tcp(S, b"GET / HTTP/1.1\r\n"), Probe::NoMatch);
    // Minor version 1 is parsed but not detected (Suricata's pattern is 05 00).
    let mut m = b.clone();
    m[1] = 1;
    assert_eq!(probe_tcp(S, &m), Probe::NoMatch);
    // Undefined data representation.
    let mut m = b.clone();
    m[4] = 0x20;
    assert_eq!(probe_tcp(S, &m), Probe::NoMatch);
    assert_eq!(probe_udp(S, &cl(0, 0, 0, b"")), Probe::Match);
    assert_eq!(probe_udp(S, &b), Probe::NoMatch);
}

#[test]
fn bind_bindack_interface_table() {
    let chunks: &[(Direction, &[u8])] = &[
        (S, &bind(7, 3, &[(0, 1), (1, 1), (2, 2)])),
        (C, &bindack(7, &[2, 0, 3])),
    ];
    let (recs, _) = run(Transport::Tcp, chunks);
    assert_eq!(
        recs,
        vec![format!(
            r#"{{"dcerpc":{{"request":"BIND","interfaces":[{{"uuid":"{IFACE}","version":"1.0","ack_result":2}},{{"uuid":"{IFACE}","version":"1.0","ack_result":0}},{{"uuid":"{IFACE}","version":"2.0","ack_result":3}}],"response":"BINDACK","call_id":7,"rpc_version":"5.0"}}}}"#
        )]
    );
}

#[test]
fn request_response_and_iface_keywords() {
    let chunks = vec![
        (S, bind(1, 3, &[(0, 1), (1, 1)])),
        (C, bindack(1, &[2, 0])),
        (S, request(2, 3, 1, 4, b"ABCDEFGH")),
        (C, response(2, 3, b"xyz!")),
    ];
    let txs = all_txs(&chunks);
    let recs: Vec<String> = txs
        .iter()
        .filter(|t| !t.inspect_only())
        .map(|t| render(t.as_ref()))
        .collect();
    assert_eq!(
        recs[1],
        r#"{"dcerpc":{"request":"REQUEST","req":{"opnum":4,"frag_cnt":1,"stub_data_size":8},"response":"RESPONSE","res":{"frag_cnt":1,"stub_data_size":12},"call_id":2,"rpc_version":"5.0"}}"#
    );
    let req = txs
        .iter()
        .find(|t| !t.inspect_only() && render(t.as_ref()).contains("REQUEST\""))
        .expect("request");
    let mut ifaces = Vec::new();
    req.buffers("dcerpc.iface", &mut |b| ifaces.push(b.to_vec()));
    // Only the accepted interface of the request's context (1).
    assert_eq!(ifaces, vec![format!("{IFACE}:1").into_bytes()]);
    let mut op = Vec::new();
    req.uints("dcerpc.opnum", &mut |v| op.push(v));
    assert_eq!(op, vec![4]);
    assert_eq!(req.buffer("dcerpc.stub_data"), Some(&b"ABCDEFGH"[..]));
    assert_eq!(
        req.buffer_dir("dcerpc.stub_data", C).map(|b| b.len()),
        Some(12)
    );
    assert_eq!(req.tx_id(), Some(1));
    assert!(req.request_side_inspected());
    // The request went to rules before its response: a snapshot.
    assert!(txs.iter().any(|t| t.inspect_only() && t.tx_id() == Some(1)));
    // The BIND has no opnum and no interfaces for dcerpc.iface.
    let mut none = 0;
    txs[0].buffers("dcerpc.iface", &mut |_| none += 1);
    txs[0].uints("dcerpc.opnum", &mut |_| none += 1);
    assert_eq!(none, 0);
}

#[test]
fn iface_any_frag_marker() {
    // A BIND without the first-fragment flag: its interfaces only match
    // `any_frag` rules.
    let chunks = vec![
        (S, bind(1, 2, &[(0, 1)])),
        (C, bindack(1, &[0])),
        (S, request(2, 3, 0, 1, b"a")),
        (C, response(2, 3, b"")),
    ];
    let txs = all_txs(&chunks);
    let mut ifaces = Vec::new();
    txs.iter()
        .filter(|t| !t.inspect_only())
        .for_each(|t| t.buffers("dcerpc.iface", &mut |b| ifaces.push(b.to_vec())));
    assert_eq!(ifaces, vec![format!("{IFACE}:1:any").into_bytes()]);
}

/// A request in three fragments and its response in two, as one byte
/// stream per direction.
fn fragmented() -> (Vec<u8>, Vec<u8>) {
    let mut ts = bind(1, 3, &[(0, 1)]);
    ts.extend(request(5, 1, 0, 9, &[0x41; 100]));
    ts.extend(request(5, 0, 0, 9, &[0x42; 50]));
    ts.extend(request(5, 2, 0, 9, &[0x43; 10]));
    let mut tc = bindack(1, &[0]);
    tc.extend(response(5, 1, &[1; 30]));
    tc.extend(response(5, 2, &[2; 20]));
    (ts, tc)
}

#[test]
fn fragmented_request_every_split_point() {
    let (ts, tc) = fragmented();
    let (want, _) = run(Transport::Tcp, &[(S, &ts), (C, &tc)]);
    assert_eq!(want.len(), 2);
    assert_eq!(
        want[1],
        r#"{"dcerpc":{"request":"REQUEST","req":{"opnum":9,"frag_cnt":3,"stub_data_size":160},"response":"RESPONSE","res":{"frag_cnt":2,"stub_data_size":66},"call_id":5,"rpc_version":"5.0"}}"#
    );
    for cut in 1..ts.len() {
        let (a, b) = ts.split_at(cut);
        let (got, _) = run(Transport::Tcp, &[(S, a), (S, b), (C, &tc)]);
        assert_eq!(got, want, "request stream cut at {cut}");
    }
    for cut in 1..tc.len() {
        let (a, b) = tc.split_at(cut);
        let (got, _) = run(Transport::Tcp, &[(S, &ts), (C, a), (C, b)]);
        assert_eq!(got, want, "response stream cut at {cut}");
    }
    // One byte at a time.
    let bytes: Vec<(Direction, &[u8])> = ts
        .chunks(1)
        .map(|c| (S, c))
        .chain(tc.chunks(1).map(|c| (C, c)))
        .collect();
    assert_eq!(run(Transport::Tcp, &bytes).0, want);
}

#[test]
fn stub_data_spans_fragments() {
    let (ts, tc) = fragmented();
    let txs = all_txs(&[(S, ts), (C, tc)]);
    let req = txs
        .iter()
        .find(|t| !t.inspect_only() && t.tx_id() == Some(1))
        .expect("request");
    let stub = req.buffer("dcerpc.stub_data").unwrap_or_default();
    assert_eq!(stub.len(), 160);
    assert_eq!(stub.first(), Some(&0x41));
    assert_eq!(stub.last(), Some(&0x43));
}

#[test]
fn unanswered_request_and_lost_request() {
    let (recs, snaps) = run(
        Transport::Tcp,
        &[
            (S, &request(1, 3, 0, 26, &[0; 80])),
            (C, &response(9, 3, b"ab")),
        ],
    );
    assert_eq!(snaps, 1);
    assert_eq!(
        recs,
        vec![
            r#"{"dcerpc":{"request":"REQUEST","req":{"opnum":26,"frag_cnt":1,"stub_data_size":80},"response":"UNREPLIED","call_id":1,"rpc_version":"5.0"}}"#.to_string(),
            r#"{"dcerpc":{"request":"REQUEST_LOST","response":"RESPONSE","res":{"frag_cnt":1,"stub_data_size":10},"call_id":9,"rpc_version":"5.0"}}"#.to_string(),
        ]
    );
}

#[test]
fn gap_marks_lost_and_resyncs() {
    let mut p = TcpParser::default();
    let mut out = ParseOutput::default();
    p.parse(S, &bind(1, 3, &[(0, 1)]), &mut out);
    p.gap(C, 100, &mut out);
    // Garbage, then a PDU: found by the resync.
    let mut tc = b"\x01\x02\x05junk".to_vec();
    tc.extend(response(3, 3, b"z"));
    p.parse(C, &tc, &mut out);
    p.finish(&mut out);
    let recs: Vec<String> = out
        .txs
        .iter()
        .filter(|t| !t.inspect_only())
        .map(|t| render(t.as_ref()))
        .collect();
    assert_eq!(recs.len(), 2);
    // The BIND's answer fell in the gap.
    assert!(recs[0].contains(r#""request":"BIND""#), "{}", recs[0]);
    assert!(recs[0].contains(r#""response":"UNREPLIED""#), "{}", recs[0]);
    // The response after the gap has no request: lost.
    assert!(
        recs[1].contains(r#""request":"REQUEST_LOST","response":"RESPONSE""#),
        "{}",
        recs[1]
    );
}

#[test]
fn multiple_pdus_per_segment() {
    let mut ts = Vec::new();
    let mut tc = Vec::new();
    for id in 1..=5u32 {
        ts.extend(request(id, 3, 0, id as u16, b"1234"));
        tc.extend(response(id, 3, b"5678"));
    }
    let (recs, snaps) = run(Transport::Tcp, &[(S, &ts), (C, &tc)]);
    assert_eq!(recs.len(), 5);
    assert_eq!(snaps, 5);
    for (i, r) in recs.iter().enumerate() {
        assert!(r.contains(&format!(r#""call_id":{}"#, i + 1)), "{r}");
    }
}

#[test]
fn request_without_stub_is_not_done() {
    // Suricata never marks such a request done: it is logged lost.
    let (recs, snaps) = run(
        Transport::Tcp,
        &[(S, &request(1, 3, 0, 69, b"")), (C, &response(1, 3, b"ok"))],
    );
    assert_eq!(snaps, 0);
    assert_eq!(
        recs,
        vec![r#"{"dcerpc":{"request":"REQUEST_LOST","response":"RESPONSE","res":{"frag_cnt":1,"stub_data_size":10},"call_id":1,"rpc_version":"5.0"}}"#.to_string()]
    );
}

#[test]
fn unknown_pdu_type_stops_parsing() {
    let (recs, _) = run(
        Transport::Tcp,
        &[(S, &co(16, 3, 1, &[0; 8])), (S, &request(2, 3, 0, 1, b""))],
    );
    assert!(recs.is_empty());
}

#[test]
fn open_transactions_are_capped() {
    let mut p = TcpParser::default();
    let mut out = ParseOutput::default();
    let mut ts = Vec::new();
    for id in 0..(MAX_TXS as u32 + 10) {
        ts.extend(request(id, 3, 0, 1, b"a"));
    }
    p.parse(S, &ts, &mut out);
    assert!(p.txs.open.len() <= MAX_TXS);
    // The oldest were logged, unreplied.
    assert_eq!(out.txs.iter().filter(|t| !t.inspect_only()).count(), 10);
}

#[test]
fn hostile_inputs_do_not_panic() {
    let mut seeds = vec![
        bind(1, 3, &[(0, 1)]),
        bindack(1, &[0]),
        request(1, 3, 0, 1, b"abc"),
        response(1, 3, b"abc"),
        cl(0, 0, 0, b"xyz"),
    ];
    // Truncated bodies with intact lengths, and lying lengths.
    for s in seeds.clone() {
        for cut in 0..s.len() {
            let mut t = s.get(..cut).unwrap_or_default().to_vec();
            if t.len() >= 10 {
                t[8] = 0xff;
                t[9] = 0xff;
            }
            seeds.push(t);
        }
    }
    for s in &seeds {
        for t in [Transport::Tcp, Transport::Udp] {
            let mut p = new_parser(t);
            let mut out = ParseOutput::default();
            p.parse(S, s, &mut out);
            p.parse(C, s, &mut out);
            p.gap(S, 5, &mut out);
            p.parse(S, s, &mut out);
            p.finish(&mut out);
            for tx in &out.txs {
                let _ = render(tx.as_ref());
            }
        }
    }
}

/// A connectionless PDU with activity `act` (first byte) and `seq`.
fn cl(ptype: u8, flags1: u8, seq: u32, body: &[u8]) -> Vec<u8> {
    let mut v = vec![4, ptype, flags1, 0, 0x10, 0, 0, 0];
    v.extend_from_slice(&[0; 16]); // object
    v.extend_from_slice(&IFACE_LE); // interface
    v.extend_from_slice(&IFACE_LE); // activity
    v.extend_from_slice(&0u32.to_le_bytes()); // boot time
    v.extend_from_slice(&1u32.to_le_bytes()); // interface version
    v.extend_from_slice(&seq.to_le_bytes());
    v.extend_from_slice(&3u16.to_le_bytes()); // opnum
    v.extend_from_slice(&[0xff, 0xff, 0xff, 0xff]); // hints
    v.extend_from_slice(&(body.len() as u16).to_le_bytes());
    v.extend_from_slice(&0u16.to_le_bytes()); // fragnum
    v.extend_from_slice(&[0, 0]);
    v.extend_from_slice(body);
    v
}

#[test]
fn udp_request_response_and_fragments() {
    let chunks: Vec<(Direction, Vec<u8>)> = vec![
        // Two fragments of call seq 2, then its response.
        (S, cl(0, pdu::PFCL1_FRAG, 2, b"abcd")),
        (S, cl(0, pdu::PFCL1_FRAG | pdu::PFCL1_LASTFRAG, 2, b"ef")),
        (S, cl(2, 0, 2, b"xyz")),
        // An unanswered call.
        (S, cl(0, 0, 4, b"")),
        // Not version 4: ignored.
        (S, bind(1, 3, &[(0, 1)])),
    ];
    let refs: Vec<(Direction, &[u8])> = chunks.iter().map(|(d, c)| (*d, c.as_slice())).collect();
    let (recs, _) = run(Transport::Udp, &refs);
    assert_eq!(
        recs,
        vec![
            format!(
                r#"{{"dcerpc":{{"request":"REQUEST","req":{{"opnum":3,"frag_cnt":2,"stub_data_size":6}},"response":"RESPONSE","res":{{"frag_cnt":1,"stub_data_size":3}},"activityuuid":"{IFACE}","seqnum":2,"rpc_version":"4.0"}}}}"#
            ),
            format!(
                r#"{{"dcerpc":{{"request":"REQUEST","req":{{"opnum":3,"frag_cnt":1,"stub_data_size":0}},"response":"UNREPLIED","activityuuid":"{IFACE}","seqnum":4,"rpc_version":"4.0"}}}}"#
            ),
        ]
    );
}
