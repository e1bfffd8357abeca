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
    tx.buffers(name, &mut |b| v.push(String::from_utf8_lossy(b).into_owned()));
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

#[test]
fn placeholder_dump() {
    let mut m = handshake();
    m.push((TS, msg_chunk(b"MSG", b'F', 2, 2, &read_request_body())));
    m.push((TC, msg_chunk(b"MSG", b'F', 2, 2, &read_response_body())));
    let (txs, ev) = run_owned(&m);
    for t in &txs {
        println!("{}", eve(t.as_ref()));
    }
    println!("{ev:?}");
}
