//! Unit tests with hand-built TLS messages. Expected values marked
//! "reference" were produced by Suricata 7.0.10 on the same bytes.

use super::*;
use crate::{AppParser, Direction, ParseOutput};

const LEAF: &[u8] = include_bytes!("testdata/tls-leaf.der");
const CA: &[u8] = include_bytes!("testdata/tls-ca.der");
const CLIENT: &[u8] = include_bytes!("testdata/tls-client.der");

const C: Direction = Direction::ToServer;
const S: Direction = Direction::ToClient;

fn u16b(v: u16) -> Vec<u8> {
    v.to_be_bytes().to_vec()
}

fn u24b(v: usize) -> Vec<u8> {
    let b = (v as u32).to_be_bytes();
    b[1..].to_vec()
}

fn ext(t: u16, data: &[u8]) -> Vec<u8> {
    let mut v = u16b(t);
    v.extend(u16b(data.len() as u16));
    v.extend_from_slice(data);
    v
}

fn sni_ext(name: &[u8], name_type: u8) -> Vec<u8> {
    let mut entry = vec![name_type];
    entry.extend(u16b(name.len() as u16));
    entry.extend_from_slice(name);
    let mut list = u16b(entry.len() as u16);
    list.extend(entry);
    ext(0, &list)
}

fn hs(t: u8, body: &[u8]) -> Vec<u8> {
    let mut v = vec![t];
    v.extend(u24b(body.len()));
    v.extend_from_slice(body);
    v
}

fn rec(ct: u8, version: u16, data: &[u8]) -> Vec<u8> {
    let mut v = vec![ct];
    v.extend(u16b(version));
    v.extend(u16b(data.len() as u16));
    v.extend_from_slice(data);
    v
}

fn client_hello(version: u16, sid: &[u8], ciphers: &[u16], exts: Option<&[u8]>) -> Vec<u8> {
    let mut b = u16b(version);
    b.extend([0x11; 32]);
    b.push(sid.len() as u8);
    b.extend_from_slice(sid);
    b.extend(u16b((ciphers.len() * 2) as u16));
    for c in ciphers {
        b.extend(u16b(*c));
    }
    b.extend([1, 0]);
    if let Some(e) = exts {
        b.extend(u16b(e.len() as u16));
        b.extend_from_slice(e);
    }
    hs(1, &b)
}

fn server_hello(version: u16, sid: &[u8], cipher: u16, exts: &[u8]) -> Vec<u8> {
    let mut b = u16b(version);
    b.extend([0x22; 32]);
    b.push(sid.len() as u8);
    b.extend_from_slice(sid);
    b.extend(u16b(cipher));
    b.push(0);
    b.extend(u16b(exts.len() as u16));
    b.extend_from_slice(exts);
    hs(2, &b)
}

fn certificate(certs: &[&[u8]]) -> Vec<u8> {
    let mut chain = Vec::new();
    for c in certs {
        chain.extend(u24b(c.len()));
        chain.extend_from_slice(c);
    }
    let mut body = u24b(chain.len());
    body.extend(chain);
    hs(11, &body)
}

/// The extensions of the reference exchange: SNI, supported groups with a
/// GREASE value, point formats, signature algorithms, ALPN `h2`, a GREASE
/// extension, extended master secret.
fn reference_exts() -> Vec<u8> {
    let mut e = sni_ext(b"www.example.test", 0);
    e.extend(ext(10, &[0, 6, 0x00, 0x1d, 0x00, 0x17, 0x0a, 0x0a]));
    e.extend(ext(11, &[2, 0, 1]));
    e.extend(ext(13, &[0, 4, 0x04, 0x03, 0x08, 0x04]));
    e.extend(ext(16, &[0, 3, 2, b'h', b'2']));
    e.extend(ext(0x2a2a, &[]));
    e.extend(ext(23, &[]));
    e
}

fn reference_client_hello() -> Vec<u8> {
    rec(
        22,
        0x0301,
        &client_hello(
            0x0303,
            &[],
            &[0x0a0a, 0xc02b, 0xc02f, 0x009c],
            Some(&reference_exts()),
        ),
    )
}

/// The full client-authenticated exchange of the reference run.
fn reference_exchange() -> Vec<(Direction, Vec<u8>)> {
    let mut sh = server_hello(0x0303, &[], 0xc02f, &{
        let mut e = ext(0xff01, &[0]);
        e.extend(ext(11, &[1, 0]));
        e
    });
    sh.extend(certificate(&[LEAF, CA]));
    sh.extend(hs(13, &[1, 1, 0, 0, 0]));
    sh.extend(hs(14, &[]));
    let mut cc = certificate(&[CLIENT]);
    cc.extend(hs(16, &[0; 33]));
    cc.extend(hs(15, &[0; 8]));
    let mut c2 = rec(22, 0x0303, &cc);
    c2.extend(rec(20, 0x0303, &[1]));
    c2.extend(rec(22, 0x0303, &[0x99; 40]));
    let mut s2 = rec(20, 0x0303, &[1]);
    s2.extend(rec(22, 0x0303, &[0x88; 40]));
    vec![
        (C, reference_client_hello()),
        (S, rec(22, 0x0303, &sh)),
        (C, c2),
        (S, s2),
        (C, rec(23, 0x0303, &[b'q'; 50])),
    ]
}

fn parser(ja3: bool, ja4: bool) -> TlsParser {
    TlsParser::with_fingerprints(ja3, ja4)
}

fn feed(p: &mut TlsParser, msgs: &[(Direction, Vec<u8>)]) -> ParseOutput {
    let mut out = ParseOutput::default();
    for (d, m) in msgs {
        p.parse(*d, m, &mut out);
    }
    out
}

fn json(tx: &dyn Transaction) -> String {
    let mut buf = Vec::new();
    let mut w = JsonWriter::new(&mut buf);
    w.open_object();
    tx.write_eve(&mut w);
    w.close_object();
    String::from_utf8(buf).unwrap()
}

fn event_names(out: &ParseOutput) -> Vec<&'static str> {
    out.events.iter().map(|e| e.name).collect()
}

#[test]
fn reference_exchange_record() {
    let mut p = parser(true, true);
    let msgs = reference_exchange();
    let mut out = ParseOutput::default();
    // Logged once the client certificate (asked for) is in.
    p.parse(C, &msgs[0].1, &mut out);
    p.parse(S, &msgs[1].1, &mut out);
    assert!(out.txs.is_empty());
    p.parse(C, &msgs[2].1, &mut out);
    assert_eq!(out.txs.len(), 1);
    for (d, m) in &msgs[3..] {
        p.parse(*d, m, &mut out);
    }
    p.finish(&mut out);
    assert_eq!(out.txs.len(), 1, "one record per session");
    assert!(out.events.is_empty(), "{:?}", event_names(&out));
    let tx = &out.txs[0];
    assert_eq!(tx.event_type(), "tls");
    assert!(!tx.logs_tx_id());
    // Reference (Suricata 7.0.10 with ja3-fingerprints: yes).
    assert_eq!(
        json(tx.as_ref()),
        concat!(
            r#"{"tls":{"subject":"C=XX, ST=Test State, CN=www.example.test","#,
            r#""issuerdn":"C=XX, O=Vigil Test, CN=Vigil Test CA","serial":"00:A1:B2:C3","#,
            r#""fingerprint":"5c:ad:df:52:a4:54:bf:f5:1a:09:39:66:bf:fb:61:d0:31:d2:56:1b","#,
            r#""sni":"www.example.test","version":"TLS 1.2","notbefore":"2020-01-01T12:00:00","#,
            r#""notafter":"2030-01-01T12:00:00","ja3":{"hash":"e525ba4fcb313dfb22ebf893f1cfb4cc","#,
            r#""string":"771,49195-49199-156,0-10-11-13-16-23,29-23,0-1"},"#,
            r#""ja3s":{"hash":"303951d4c50efb2e991652225a6f02b1","string":"771,49199,65281-11"},"#,
            r#""client":{"subject":"CN=client one","issuerdn":"C=XX, O=Vigil Test, CN=Vigil Test CA","#,
            r#""fingerprint":"51:1d:2c:18:ee:ad:62:5b:b9:f9:29:bc:33:80:c9:01:8c:5b:fb:0c","#,
            r#""serial":"07","notbefore":"2020-01-01T12:00:00","notafter":"2030-01-01T12:00:00"}}}"#
        )
    );
    // Buffers.
    assert_eq!(tx.buffer("tls.sni"), Some(&b"www.example.test"[..]));
    assert_eq!(
        tx.buffer("tls.cert_subject"),
        Some(&b"C=XX, ST=Test State, CN=www.example.test"[..])
    );
    assert_eq!(
        tx.buffer("tls.cert_issuer"),
        Some(&b"C=XX, O=Vigil Test, CN=Vigil Test CA"[..])
    );
    assert_eq!(tx.buffer("tls.cert_serial"), Some(&b"00:A1:B2:C3"[..]));
    assert_eq!(
        tx.buffer("tls.cert_fingerprint"),
        Some(&b"5c:ad:df:52:a4:54:bf:f5:1a:09:39:66:bf:fb:61:d0:31:d2:56:1b"[..])
    );
    assert_eq!(tx.buffer("tls.certs"), Some(LEAF));
    assert_eq!(
        tx.buffer("tls.subjectaltname"),
        Some(&b"www.example.test"[..])
    );
    assert_eq!(
        tx.buffer("ja3.hash"),
        Some(&b"e525ba4fcb313dfb22ebf893f1cfb4cc"[..])
    );
    assert_eq!(
        tx.buffer("ja3.string"),
        Some(&b"771,49195-49199-156,0-10-11-13-16-23,29-23,0-1"[..])
    );
    assert_eq!(
        tx.buffer("ja3s.hash"),
        Some(&b"303951d4c50efb2e991652225a6f02b1"[..])
    );
    assert_eq!(tx.buffer("ja3s.string"), Some(&b"771,49199,65281-11"[..]));
    // JA4: t, 1.2, SNI, 3 ciphers, 6 extensions (GREASE out), ALPN h2
    // (reference: a ja4.hash rule with this content alerts).
    assert_eq!(
        tx.buffer("ja4.hash"),
        Some(&b"t12d0306h2_b80a1783d7a2_060f71bfff68"[..])
    );
    assert_eq!(tx.buffer("nope"), None);
    let mut certs = Vec::new();
    tx.buffers("tls.certs", &mut |b| certs.push(b.to_vec()));
    assert_eq!(certs, [LEAF.to_vec(), CA.to_vec()]);
    let mut sans = Vec::new();
    tx.buffers("tls.subjectaltname", &mut |b| sans.push(b.to_vec()));
    assert_eq!(sans.len(), 3);
    let mut v = Vec::new();
    tx.uints("tls.version", &mut |x| v.push(x));
    tx.uints("tls.cert_notafter", &mut |x| v.push(x));
    tx.uints("ssl_state", &mut |x| {
        v.push(x & u64::from(FLAG_CLIENT_HELLO))
    });
    assert_eq!(v, [0x0303, 1_893_499_200, 1]);
    let mut n = Vec::new();
    tx.uints("tls.cert_chain_len", &mut |x| n.push(x));
    assert_eq!(n, [2]);
    assert_eq!(tx.buffer_dir("tls.random", C), Some(&[0x11; 32][..]));
    assert_eq!(tx.buffer_dir("tls.random_time", S), Some(&[0x22; 4][..]));
    assert_eq!(tx.buffer_dir("tls.random_bytes", S), Some(&[0x22; 28][..]));
    assert_eq!(tx.buffer_dir("tls.sni", S), Some(&b"www.example.test"[..]));
}

#[test]
fn snapshot_accessors() {
    let mut p = parser(false, false);
    let out = feed(&mut p, &reference_exchange());
    assert_eq!(out.txs.len(), 1);
    let tx = p.snapshot();
    assert_eq!(tx.version(), TLS_VERSION_12);
    assert_eq!(tx.version_of(C), TLS_VERSION_12);
    assert_eq!(tx.certs().count(), 2);
    assert_eq!(tx.certs().nth(1), Some(CA));
    assert_eq!(
        tx.subject_alt_names().collect::<Vec<_>>(),
        ["www.example.test", "example.test", "[192, 0, 2, 1]"]
    );
    assert_eq!(tx.cert_validity(), Some((1_577_880_000, 1_893_499_200)));
    assert_eq!(tx.client.chain, vec![CLIENT.to_vec()]);
    assert!(tx.flags & FLAG_CLIENT_HELLO != 0);
    assert!(tx.flags & FLAG_SERVER_HELLO != 0);
    assert!(tx.flags & FLAG_CLIENT_KEYX != 0);
    assert!(tx.flags & FLAG_NEED_CLIENT_CERT != 0);
    assert!(tx.flags & FLAG_HANDSHAKE_DONE != 0);
    assert!(tx.flags & FLAG_SERVER_KEYX == 0);
    // Fingerprints off: no JA3 in the record or buffers.
    assert_eq!(tx.buffer("ja3.hash"), None);
    assert!(!json(&tx).contains("ja3"));
    assert_eq!(tx.ja4(), None);
}

#[test]
fn client_hello_split_at_every_byte() {
    let hello = reference_client_hello();
    let whole = {
        let mut p = parser(true, true);
        let mut out = ParseOutput::default();
        p.parse(C, &hello, &mut out);
        assert!(out.events.is_empty());
        p.snapshot()
    };
    assert_eq!(whole.sni(), Some(&b"www.example.test"[..]));
    assert!(whole.client.ja3.as_ref().unwrap().hash.is_some());
    for i in 0..=hello.len() {
        let mut p = parser(true, true);
        let mut out = ParseOutput::default();
        p.parse(C, &hello[..i], &mut out);
        p.parse(C, &hello[i..], &mut out);
        assert!(out.events.is_empty(), "split {i}");
        let t = p.snapshot();
        assert_eq!(t.client.sni, whole.client.sni, "split {i}");
        assert_eq!(t.client.ja3, whole.client.ja3, "split {i}");
        assert_eq!(t.ja4(), whole.ja4(), "split {i}");
        assert_eq!(t.flags, whole.flags, "split {i}");
        assert_eq!(t.client.version, whole.client.version, "split {i}");
    }
    // One byte at a time.
    let mut p = parser(true, true);
    let mut out = ParseOutput::default();
    for b in &hello {
        p.parse(C, std::slice::from_ref(b), &mut out);
    }
    assert!(out.events.is_empty());
    assert_eq!(p.snapshot().client.ja3, whole.client.ja3);
}

#[test]
fn every_split_of_the_whole_exchange_gives_the_same_record() {
    let msgs = reference_exchange();
    let expected = {
        let mut p = parser(true, false);
        let out = feed(&mut p, &msgs);
        json(out.txs[0].as_ref())
    };
    // Split each message in two at every point.
    for (k, (_, m)) in msgs.iter().enumerate() {
        for i in (0..=m.len()).step_by(7) {
            let mut p = parser(true, false);
            let mut out = ParseOutput::default();
            for (j, (d, mm)) in msgs.iter().enumerate() {
                if j == k {
                    p.parse(*d, &mm[..i], &mut out);
                    p.parse(*d, &mm[i..], &mut out);
                } else {
                    p.parse(*d, mm, &mut out);
                }
            }
            assert_eq!(out.txs.len(), 1, "msg {k} split {i}");
            assert_eq!(json(out.txs[0].as_ref()), expected, "msg {k} split {i}");
            assert!(out.events.is_empty(), "msg {k} split {i}");
        }
    }
}

#[test]
fn handshake_message_spanning_three_records() {
    let cert = certificate(&[LEAF, CA]);
    let mut sh = server_hello(0x0303, &[], 0xc02f, &[]);
    sh.extend_from_slice(&cert);
    // Cut the flight in three records at arbitrary points.
    let (a, rest) = sh.split_at(60);
    let (b, c) = rest.split_at(300);
    let mut data = rec(22, 0x0303, a);
    data.extend(rec(22, 0x0303, b));
    data.extend(rec(22, 0x0303, c));
    let mut p = parser(false, false);
    let mut out = ParseOutput::default();
    p.parse(C, &reference_client_hello(), &mut out);
    p.parse(S, &data, &mut out);
    assert!(out.events.is_empty(), "{:?}", event_names(&out));
    // The server certificate completes the handshake: logged now.
    assert_eq!(out.txs.len(), 1);
    let t = p.snapshot();
    assert_eq!(
        t.server.cert0.subject.as_deref(),
        Some("C=XX, ST=Test State, CN=www.example.test")
    );
    assert_eq!(t.certs().count(), 2);
}

#[test]
fn tls13_logged_without_certificate() {
    // ClientHello with supported_versions [GREASE, 1.3, 1.2] and a 32-byte
    // session id (middlebox compatibility).
    let mut e = sni_ext(b"tls13.example", 0);
    e.extend(ext(43, &[6, 0x3a, 0x3a, 0x03, 0x04, 0x03, 0x03]));
    e.extend(ext(51, &[0, 0]));
    let sid = [7u8; 32];
    let ch = rec(
        22,
        0x0301,
        &client_hello(0x0303, &sid, &[0x1301, 0x1302], Some(&e)),
    );
    let sh = rec(
        22,
        0x0303,
        &server_hello(0x0303, &sid, 0x1301, &ext(43, &[0x03, 0x04])),
    );
    let mut p = parser(false, true);
    let mut out = ParseOutput::default();
    p.parse(C, &ch, &mut out);
    p.parse(S, &sh, &mut out);
    p.parse(S, &rec(20, 0x0303, &[1]), &mut out);
    assert!(out.txs.is_empty());
    // Encrypted records are application data: the handshake is done.
    p.parse(S, &rec(23, 0x0303, &[0x55; 80]), &mut out);
    assert_eq!(out.txs.len(), 1);
    assert_eq!(
        json(out.txs[0].as_ref()),
        r#"{"tls":{"sni":"tls13.example","version":"TLS 1.3"}}"#
    );
    let t = p.snapshot();
    assert!(t.flags & FLAG_LOG_WITHOUT_CERT != 0);
    // Same session id, but TLS 1.3: not reported as resumed.
    assert!(t.flags & FLAG_SESSION_RESUMED != 0);
    // Reference (ja4.hash rule alerts on this value).
    assert_eq!(t.ja4(), Some("t13d020300_62ed6f6ca7ad_e73cb7da2dfc"));
    assert!(out.events.is_empty());
}

#[test]
fn session_resumed_by_id() {
    let sid = [9u8; 32];
    let ch = rec(
        22,
        0x0301,
        &client_hello(0x0303, &sid, &[0xc02f], Some(&[])),
    );
    let sh = rec(22, 0x0303, &server_hello(0x0303, &sid, 0xc02f, &[]));
    let mut p = parser(false, false);
    let mut out = ParseOutput::default();
    p.parse(C, &ch, &mut out);
    p.parse(S, &sh, &mut out);
    p.parse(S, &rec(20, 0x0303, &[1]), &mut out);
    p.parse(S, &rec(22, 0x0303, &[0xab; 40]), &mut out);
    assert!(out.txs.is_empty());
    p.parse(C, &rec(23, 0x0303, &[0xcd; 40]), &mut out);
    assert_eq!(out.txs.len(), 1);
    assert_eq!(
        json(out.txs[0].as_ref()),
        r#"{"tls":{"session_resumed":true,"version":"TLS 1.2"}}"#
    );
}

#[test]
fn not_logged_without_certificate_or_resumption() {
    let mut p = parser(false, false);
    let mut out = ParseOutput::default();
    p.parse(C, &reference_client_hello(), &mut out);
    p.parse(
        S,
        &rec(22, 0x0303, &server_hello(0x0303, &[], 0xc02f, &[])),
        &mut out,
    );
    p.parse(C, &rec(23, 0x0303, &[1; 20]), &mut out);
    p.finish(&mut out);
    assert!(out.txs.is_empty());
}

#[test]
fn logger_runs_once_when_the_handshake_is_done() {
    // Application data before any certificate: the logger runs then, finds
    // nothing to log, and a certificate coming later is not logged either.
    let mut p = parser(false, false);
    let mut out = ParseOutput::default();
    p.parse(C, &reference_client_hello(), &mut out);
    p.parse(C, &rec(23, 0x0303, &[1; 20]), &mut out);
    let mut flight = server_hello(0x0303, &[], 0xc02f, &[]);
    flight.extend(certificate(&[LEAF]));
    p.parse(S, &rec(22, 0x0303, &flight), &mut out);
    // Anomalies after that are not logged either.
    p.parse(S, &rec(22, 0x0303, &hs(0x63, &[])), &mut out);
    p.finish(&mut out);
    assert!(out.txs.is_empty());
    assert!(out.events.is_empty());
    assert!(p.snapshot().server.cert0.subject.is_some());
}

#[test]
fn certificate_logged_at_flow_end_without_app_data() {
    let mut p = parser(false, false);
    let mut out = ParseOutput::default();
    p.parse(C, &reference_client_hello(), &mut out);
    let mut flight = server_hello(0x0303, &[], 0xc02f, &[]);
    flight.extend(certificate(&[LEAF]));
    flight.extend(hs(13, &[1, 1, 0, 0, 0]));
    // The server asks for a client certificate that never comes.
    p.parse(S, &rec(22, 0x0303, &flight), &mut out);
    assert!(out.txs.is_empty());
    p.finish(&mut out);
    assert_eq!(out.txs.len(), 1);
    p.finish(&mut out);
    assert_eq!(out.txs.len(), 1);
}

#[test]
fn undecodable_first_certificate() {
    let garbage: &[u8] = &[0x30, 0x03, 0x02, 0x01, 0x00];
    let mut flight = server_hello(0x0303, &[], 0xc02f, &[]);
    flight.extend(certificate(&[garbage, LEAF]));
    let mut p = parser(false, false);
    let mut out = ParseOutput::default();
    p.parse(S, &rec(22, 0x0303, &flight), &mut out);
    assert_eq!(event_names(&out), ["CERTIFICATE_INVALID_DER"]);
    assert_eq!(out.events[0].tx_id, Some(0));
    let t = p.snapshot();
    // Reference: the next certificate fills the fields; the bad one is
    // left out of the chain.
    assert_eq!(
        t.server.cert0.subject.as_deref(),
        Some("C=XX, ST=Test State, CN=www.example.test")
    );
    assert_eq!(t.certs().collect::<Vec<_>>(), [LEAF]);
}

#[test]
fn certificate_chain_with_bad_length() {
    let mut body = u24b(LEAF.len() + 3);
    body.extend(u24b(LEAF.len() + 10));
    body.extend_from_slice(LEAF);
    let mut p = parser(false, false);
    let mut out = ParseOutput::default();
    p.parse(S, &rec(22, 0x0303, &hs(11, &body)), &mut out);
    assert_eq!(event_names(&out), ["INVALID_CERTIFICATE"]);
    assert!(p.snapshot().server.cert0.is_empty());
}

#[test]
fn malformed_records() {
    let cases: Vec<(Vec<u8>, Vec<&str>)> = vec![
        (rec(0x19, 0x0303, &[0; 8]), vec!["INVALID_RECORD_TYPE"]),
        (rec(0x15, 0x0303, &[2, 40]), vec![]),
        (rec(22, 0x0303, &[1, 0, 0]), vec!["INVALID_SSL_RECORD"]),
        (
            // A message of 8 bytes then 3 stray bytes.
            rec(22, 0x0303, &[14, 0, 0, 0, 14, 0, 0, 0, 1, 2, 3]),
            vec!["INVALID_SSL_RECORD", "INVALID_HANDSHAKE_MESSAGE"],
        ),
        (
            rec(22, 0x0303, &[0x63, 0, 0, 2, 1, 2]),
            vec!["INVALID_HANDSHAKE_MESSAGE"],
        ),
        (
            // Heartbeat claiming more payload than the record holds.
            rec(24, 0x0303, &[1, 0x40, 0x00, 1, 2, 3]),
            vec!["OVERFLOW_HEARTBEAT_MESSAGE"],
        ),
        (
            // Heartbeat with too little padding.
            rec(24, 0x0303, &[1, 0, 1, 0xaa, 0, 0, 0, 0]),
            vec!["INVALID_HEARTBEAT_MESSAGE"],
        ),
        (
            rec(24, 0x0303, &[7, 0, 1, 0xaa, 0, 0, 0, 0]),
            vec!["INVALID_HEARTBEAT_MESSAGE"],
        ),
        // An empty record (reference).
        (rec(22, 0x0303, &[]), vec!["INVALID_RECORD_LENGTH"]),
        (
            rec(23, 0x0303, &[]).repeat(7),
            vec!["INVALID_RECORD_LENGTH"],
        ),
    ];
    for (i, (data, events)) in cases.iter().enumerate() {
        let mut p = parser(false, false);
        let mut out = ParseOutput::default();
        p.parse(C, data, &mut out);
        assert_eq!(event_names(&out), *events, "case {i}");
        // After a fatal error nothing more is parsed (an unknown handshake
        // message type is the one anomaly here that is not fatal).
        if !events.is_empty() && i != 4 {
            p.parse(C, &rec(0x19, 0x0303, &[0; 8]), &mut out);
            assert_eq!(event_names(&out), *events, "case {i} after");
        }
    }
}

#[test]
fn hello_anomalies() {
    let hello = |e: &[u8]| rec(22, 0x0303, &client_hello(0x0303, &[], &[0xc02f], Some(e)));
    let mut two_sni = sni_ext(b"a.example", 0);
    two_sni.extend(sni_ext(b"b.example", 0));
    type Case<'a> = (Vec<u8>, Vec<&'a str>, Option<&'a [u8]>);
    let cases: Vec<Case> = vec![
        (hello(&sni_ext(b"x", 1)), vec!["INVALID_SNI_TYPE"], None),
        (hello(&sni_ext(b"", 0)), vec!["INVALID_SNI_LENGTH"], None),
        (
            hello(&sni_ext(&[b'a'; 256], 0)),
            vec!["INVALID_SNI_LENGTH"],
            None,
        ),
        (
            hello(&two_sni),
            vec!["MULTIPLE_SNI_EXTENSIONS"],
            Some(b"a.example"),
        ),
        (
            hello(&ext(0, &[0, 5])),
            vec!["HANDSHAKE_INVALID_LENGTH"],
            None,
        ),
        // An extension running past the hello.
        (
            hello(&[0, 0, 0, 40, 1, 2]),
            vec!["HANDSHAKE_INVALID_LENGTH"],
            None,
        ),
        (
            // Supported versions list shorter than one version.
            hello(&ext(43, &[1, 3])),
            vec!["HANDSHAKE_INVALID_LENGTH"],
            None,
        ),
        (
            rec(22, 0x0303, &hs(1, &[3, 3, 0, 0])),
            vec!["HANDSHAKE_INVALID_LENGTH"],
            None,
        ),
    ];
    for (i, (data, events, sni)) in cases.iter().enumerate() {
        let mut p = parser(true, true);
        let mut out = ParseOutput::default();
        p.parse(C, data, &mut out);
        assert_eq!(event_names(&out), *events, "case {i}");
        assert_eq!(p.snapshot().client.sni.as_deref(), *sni, "case {i}");
        // Hello anomalies are not fatal: a server hello still decodes.
        p.parse(
            S,
            &rec(22, 0x0303, &server_hello(0x0303, &[], 1, &[])),
            &mut out,
        );
        assert!(p.snapshot().flags & FLAG_SERVER_HELLO != 0, "case {i}");
    }
}

#[test]
fn ja3_of_a_hello_without_extensions() {
    let mut p = parser(true, false);
    let mut out = ParseOutput::default();
    let ch = rec(
        22,
        0x0301,
        &client_hello(0x0301, &[], &[0x002f, 0x0035, 0x1a1a], None),
    );
    p.parse(C, &ch, &mut out);
    let j = p.snapshot().client.ja3.unwrap();
    assert_eq!(j.string.as_deref(), Some("769,47-53,,,"));
    assert_eq!(j.hash.as_deref(), Some(md5_hex(b"769,47-53,,,").as_str()));
}

#[test]
fn sni_with_nul_and_invalid_utf8() {
    let mut p = parser(false, false);
    let mut out = ParseOutput::default();
    p.parse(
        C,
        &rec(
            22,
            0x0303,
            &client_hello(0x0303, &[], &[1], Some(&sni_ext(b"ab\0cd", 0))),
        ),
        &mut out,
    );
    let t = p.snapshot();
    assert_eq!(t.sni(), Some(&b"ab"[..]));
    assert!(json(&t).contains(r#""sni":"ab""#));
    let mut p = parser(false, false);
    p.parse(
        C,
        &rec(
            22,
            0x0303,
            &client_hello(0x0303, &[], &[1], Some(&sni_ext(b"a\xffb", 0))),
        ),
        &mut out,
    );
    assert!(!json(&p.snapshot()).contains("sni"));
}

#[test]
fn version_names() {
    assert_eq!(version_name(0), "UNDETERMINED");
    assert_eq!(version_name(0x0200), "SSLv2");
    assert_eq!(version_name(0x0300), "SSLv3");
    assert_eq!(version_name(0x0301), "TLSv1");
    assert_eq!(version_name(0x0302), "TLS 1.1");
    assert_eq!(version_name(0x0304), "TLS 1.3");
    assert_eq!(version_name(0x7f1c), "TLS 1.3 draft-28");
    assert_eq!(version_name(0x7f01), "TLS 1.3 draft-<16");
    assert_eq!(version_name(0xfb1a), "TLS 1.3 draft-26-fb");
    assert_eq!(version_name(0x1234), "0x1234");
}

#[test]
fn probes() {
    use crate::Probe::*;
    assert_eq!(probe(C, &[]), NeedMore);
    assert_eq!(probe(C, &[0x16]), NeedMore);
    assert_eq!(probe(C, &[0x16, 0x03]), NeedMore);
    assert_eq!(probe(C, &[0x16, 0x03, 0x01, 0x02]), Match);
    assert_eq!(probe(C, &[0x16, 0x03, 0x04]), NoMatch);
    assert_eq!(probe(C, &[0x17, 0x03, 0x03]), NoMatch);
    assert_eq!(probe(S, &[0x17, 0x03, 0x03]), Match);
    assert_eq!(probe(S, &[0x15, 0x03, 0x00]), Match);
    assert_eq!(probe(S, &[0x16, 0x02, 0x00]), NoMatch);
    assert_eq!(probe(C, b"GET / HTTP/1.1"), NoMatch);
    // SSLv2 client hello.
    assert_eq!(probe(C, &[0x80, 0x2e, 0x01, 0x00, 0x02]), Match);
    assert_eq!(probe(C, &[0x80, 0x2e, 0x01, 0x00]), NeedMore);
    // SSLv2-format hello announcing TLS 1.0 (`|01 03 01|` at offset 2):
    // Suricata 7.0.10 recognises it (sv sslv2-tls-upgrade-01,
    // bypass-depth-disabled: no `app_proto_ts: failed`).
    assert_eq!(probe(C, &[0x80, 0x2e, 0x01, 0x03, 0x01]), Match);
    assert_eq!(probe(C, &[0x80, 0x2e, 0x01, 0x03, 0x04]), NoMatch);
    assert_eq!(probe(S, &[0x80, 0x2e, 0x01, 0x00, 0x02]), NoMatch);
}

#[test]
fn sslv2_hello_flags() {
    // 2-byte header SSLv2 CLIENT-HELLO: version 0x0002, cipher specs 3,
    // session id 0, challenge 16.
    let mut body = vec![1, 0x00, 0x02, 0, 3, 0, 0, 0, 16, 1, 0, 0x80];
    body.extend([0x33; 16]);
    let mut data = vec![0x80 | ((body.len() >> 8) as u8), body.len() as u8];
    data.extend(&body);
    let mut p = parser(false, false);
    let mut out = ParseOutput::default();
    // In two pieces, the second one crossing the end of the record.
    p.parse(C, &data[..4], &mut out);
    p.parse(C, &data[4..], &mut out);
    let t = p.snapshot();
    assert!(t.flags & FLAG_CLIENT_HELLO != 0);
    // The hello's version field (0x0002 here), as Suricata keeps it.
    assert_eq!(t.client.version, 0x0002);
    assert!(out.events.is_empty());
    // A zero-length SSLv2 record.
    p.parse(S, &[0x80, 0x00, 0x04], &mut out);
    assert_eq!(
        event_names(&out),
        ["INVALID_SSLV2_HEADER", "INVALID_SSL_RECORD"]
    );
}

#[test]
fn gap_stops_and_logs_when_possible() {
    let mut p = parser(false, false);
    let mut out = ParseOutput::default();
    p.parse(C, &reference_client_hello(), &mut out);
    let mut flight = server_hello(0x0303, &[], 0xc02f, &[]);
    flight.extend(certificate(&[LEAF]));
    flight.extend(hs(13, &[1, 1, 0, 0, 0]));
    p.parse(S, &rec(22, 0x0303, &flight), &mut out);
    assert!(out.txs.is_empty());
    p.gap(S, 100, &mut out);
    assert_eq!(out.txs.len(), 1);
    p.parse(C, &rec(0x19, 0x0303, &[0; 4]), &mut out);
    assert!(out.events.is_empty());
}

#[test]
fn from_proto_after_starttls() {
    let mut p = TlsParser::after_starttls(AppProto::Smtp);
    let out = feed(&mut p, &reference_exchange());
    assert!(json(out.txs[0].as_ref()).ends_with(r#""from_proto":"smtp"}}"#));
}

#[test]
fn oversized_handshake_message_is_skipped() {
    // A certificate message announcing 16 MiB, then garbage records
    // carrying its bytes; memory stays bounded and decoding carries on.
    let mut p = parser(false, false);
    let mut out = ParseOutput::default();
    let mut first = vec![11, 0xff, 0xff, 0xff];
    first.extend([0u8; 1000]);
    p.parse(S, &rec(22, 0x0303, &first), &mut out);
    assert_eq!(event_names(&out), ["INVALID_HANDSHAKE_MESSAGE"]);
    for _ in 0..20 {
        p.parse(S, &rec(22, 0x0303, &[0x41; 16000]), &mut out);
    }
    assert!(p.pending.iter().all(|b| b.len() <= 5 + 65535));
    assert_eq!(out.events.len(), 1);
    // A big message below the cap is reassembled.
    let mut p = parser(false, false);
    let mut out = ParseOutput::default();
    let size = 200_000usize;
    let mut msg = hs(22, &vec![0u8; size]);
    let mut data = Vec::new();
    while !msg.is_empty() {
        let n = msg.len().min(16384);
        data.extend(rec(22, 0x0303, &msg[..n]));
        msg.drain(..n);
    }
    p.parse(S, &data, &mut out);
    assert!(out.events.is_empty(), "{:?}", event_names(&out));
}

/// xorshift64* for reproducible pseudo-random input.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
}

#[test]
fn hostile_input_never_panics() {
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let base = reference_exchange();
    for round in 0..3000 {
        let mut p = parser(round % 2 == 0, round % 3 == 0);
        let mut out = ParseOutput::default();
        for (d, m) in &base {
            let mut m = m.clone();
            // Flip a few bytes.
            for _ in 0..(rng.next() % 6) {
                if m.is_empty() {
                    break;
                }
                let i = (rng.next() as usize) % m.len();
                m[i] = rng.next() as u8;
            }
            // Random segmentation.
            let mut rest = &m[..];
            while !rest.is_empty() {
                let n = 1 + (rng.next() as usize) % rest.len().min(700);
                p.parse(*d, &rest[..n], &mut out);
                rest = &rest[n..];
            }
        }
        p.finish(&mut out);
        for tx in &out.txs {
            let _ = json(tx.as_ref());
        }
        assert!(out.events.len() <= MAX_EVENTS);
    }
    // Pure noise.
    for _ in 0..500 {
        let mut p = parser(true, true);
        let mut out = ParseOutput::default();
        let len = (rng.next() % 3000) as usize;
        let data: Vec<u8> = (0..len).map(|_| rng.next() as u8).collect();
        p.parse(
            if rng.next().is_multiple_of(2) { C } else { S },
            &data,
            &mut out,
        );
        p.finish(&mut out);
    }
}

#[test]
fn settings() {
    assert_eq!(conf_bool(Some("yes")), Some(true));
    assert_eq!(conf_bool(Some(" On ")), Some(true));
    assert_eq!(conf_bool(Some("0")), Some(false));
    assert_eq!(conf_bool(Some("auto")), None);
    assert_eq!(conf_bool(None), None);
    // The process-wide switches are left as found (other tests build their
    // parsers with explicit fingerprint settings).
    let (ja3, ja4) = (JA3.load(Ordering::Relaxed), JA4.load(Ordering::Relaxed));
    configure_fingerprints(None, Some("no"), true, true);
    assert!(JA3.load(Ordering::Relaxed) && !JA4.load(Ordering::Relaxed));
    configure_fingerprints(Some("yes"), Some("auto"), false, false);
    assert!(JA3.load(Ordering::Relaxed) && !JA4.load(Ordering::Relaxed));
    set_ja3(ja3);
    set_ja4(ja4);
}

#[test]
fn second_client_hello_keeps_the_first_fingerprints() {
    // Reference (suricata-verify tls-duplicate-hello): the JA3 string is
    // the first hello's; the second SNI is an anomaly.
    let first = reference_client_hello();
    let mut other = reference_exts();
    other.extend(ext(44, &[0, 0]));
    let second = rec(
        22,
        0x0303,
        &client_hello(0x0303, &[], &[0x1301], Some(&other)),
    );
    let mut p = parser(true, true);
    let mut out = ParseOutput::default();
    p.parse(C, &first, &mut out);
    let before = p.snapshot();
    p.parse(C, &second, &mut out);
    let after = p.snapshot();
    assert_eq!(event_names(&out), ["MULTIPLE_SNI_EXTENSIONS"]);
    assert_eq!(after.client.ja3, before.client.ja3);
    assert_eq!(after.ja4(), before.ja4());
}

#[test]
fn message_flags_reset_only_on_a_record_boundary() {
    // Suricata's `current_flags` (what `ssl_state` tests): set per
    // handshake message, reset when a parse starts on a new record, kept
    // when it continues one.
    let mut p = parser(false, false);
    let mut out = ParseOutput::default();
    p.parse(C, &reference_client_hello(), &mut out);
    assert_eq!(p.state().current_flags, FLAG_CLIENT_HELLO);
    let mut flight = server_hello(0x0303, &[], 0xc02f, &[]);
    flight.extend(certificate(&[LEAF]));
    let record = rec(22, 0x0303, &flight);
    let (a, b) = record.split_at(100);
    p.parse(S, a, &mut out);
    assert_eq!(p.state().current_flags, 0, "nothing complete yet");
    // The rest of the same record: not reset in between.
    p.parse(S, b, &mut out);
    assert_eq!(p.state().current_flags, FLAG_SERVER_HELLO);
    let sh_then_cert = rec(22, 0x0303, &server_hello(0x0303, &[], 0xc02f, &[]));
    let (a, b) = sh_then_cert.split_at(sh_then_cert.len() - 3);
    let mut p = parser(false, false);
    p.parse(S, a, &mut out);
    p.parse(C, &reference_client_hello(), &mut out);
    // The client's parse started on a record boundary: reset, then CH.
    assert_eq!(p.state().current_flags, FLAG_CLIENT_HELLO);
    // The server's record completes without a reset: SH.
    p.parse(S, b, &mut out);
    assert_eq!(p.state().current_flags, FLAG_SERVER_HELLO);
    // An application data record starting a parse: reset to nothing.
    p.parse(C, &rec(23, 0x0303, &[1; 20]), &mut out);
    assert_eq!(p.state().current_flags, 0);
}

#[test]
fn certificate_request_replaces_the_message_flags() {
    let mut p = parser(false, false);
    let mut out = ParseOutput::default();
    p.parse(C, &reference_client_hello(), &mut out);
    let mut flight = server_hello(0x0303, &[], 0xc02f, &[]);
    flight.extend(hs(12, &[0; 8]));
    p.parse(S, &rec(22, 0x0303, &flight), &mut out);
    assert_eq!(p.state().current_flags, FLAG_SERVER_KEYX);
    p.parse(S, &rec(22, 0x0303, &hs(13, &[1, 1, 0, 0, 0])), &mut out);
    assert_eq!(p.state().current_flags, FLAG_NEED_CLIENT_CERT);
    assert!(p.state().flags & FLAG_SERVER_KEYX != 0);
}

#[test]
fn client_version_is_the_first_known_supported_version() {
    // supported_versions 3a3a (GREASE), 0304, 0303: TLS 1.3 is the
    // client's version (`ssl_version` / `tls.version` to the server).
    let versions = ext(43, &[6, 0x3a, 0x3a, 0x03, 0x04, 0x03, 0x03]);
    let hello = rec(
        22,
        0x0301,
        &client_hello(0x0303, &[], &[0x1301], Some(&versions)),
    );
    let mut p = parser(false, false);
    let mut out = ParseOutput::default();
    p.parse(C, &hello, &mut out);
    assert_eq!(p.state().client.version, TLS_VERSION_13);
    // Nothing known: the hello's version stays.
    let versions = ext(43, &[2, 0x3a, 0x3a]);
    let hello = rec(
        22,
        0x0301,
        &client_hello(0x0303, &[], &[0x1301], Some(&versions)),
    );
    let mut p = parser(false, false);
    p.parse(C, &hello, &mut out);
    assert_eq!(p.state().client.version, TLS_VERSION_12);
}

#[test]
fn live_snapshot_follows_the_state() {
    let mut p = parser(false, false);
    let mut out = ParseOutput::default();
    assert!(p.live_tx_owned().is_none());
    p.parse(C, &reference_client_hello(), &mut out);
    let sni = p
        .live_tx()
        .and_then(|t| t.buffer("tls.sni").map(<[u8]>::to_vec));
    assert_eq!(sni.as_deref(), Some(&b"www.example.test"[..]));
    let flags = |p: &mut TlsParser| {
        let t = p
            .live_tx()
            .and_then(|t| t.as_any()?.downcast_ref::<TlsTx>().cloned());
        t.map(|t| (t.current_flags, t.server.version))
    };
    assert_eq!(flags(&mut p), Some((FLAG_CLIENT_HELLO, 0)));
    p.parse(
        S,
        &rec(22, 0x0303, &server_hello(0x0303, &[], 0xc02f, &[])),
        &mut out,
    );
    assert_eq!(flags(&mut p), Some((FLAG_SERVER_HELLO, TLS_VERSION_12)));
    assert!(p.live_tx_owned().is_some());
}

#[test]
fn handshake_done_waits_for_a_record_boundary() {
    // Suricata's end-of-parse check (certificate decoded: handshake done)
    // is skipped when the parse stops inside a record; the certificate
    // buffers wait for it on the live state.
    let mut p = parser(false, false);
    let mut out = ParseOutput::default();
    p.parse(C, &reference_client_hello(), &mut out);
    let mut data = rec(22, 0x0303, &server_hello(0x0303, &[], 0xc02f, &[]));
    data.extend(rec(22, 0x0303, &certificate(&[LEAF])));
    let next = rec(22, 0x0303, &hs(14, &[]));
    data.extend(&next[..3]);
    p.parse(S, &data, &mut out);
    assert!(p.state().server.cert0.subject.is_some());
    assert_eq!(p.state().flags & FLAG_HANDSHAKE_DONE, 0);
    let tx = p.live_tx().map(|t| t.buffer_ready("tls.cert_subject", S));
    assert_eq!(tx, Some(false));
    assert!(out.txs.is_empty(), "not logged yet");
    p.parse(S, &next[3..], &mut out);
    assert_ne!(p.state().flags & FLAG_HANDSHAKE_DONE, 0);
    let ready = p.live_tx().map(|t| {
        (
            t.buffer_ready("tls.cert_subject", S),
            t.buffer_ready("tls.sni", C),
        )
    });
    assert_eq!(ready, Some((true, true)));
    assert_eq!(out.txs.len(), 1);
}
