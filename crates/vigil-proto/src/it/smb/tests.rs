//! Tests of the SMB parser on hand-built conversations.

use super::*;
use crate::Transaction;
use vigil_eve::JsonWriter;

const SSN: u64 = 0x4000_0000_0005;

fn nbss(body: &[u8]) -> Vec<u8> {
    let len = body.len() as u32;
    let mut v = vec![0, (len >> 16) as u8, (len >> 8) as u8, len as u8];
    v.extend_from_slice(body);
    v
}

/// An SMB2 header + body.
fn smb2(cmd: u16, response: bool, status: u32, msg: u64, tree: u32, body: &[u8]) -> Vec<u8> {
    let mut h = Vec::new();
    h.extend_from_slice(b"\xfeSMB");
    h.extend_from_slice(&64u16.to_le_bytes());
    h.extend_from_slice(&0u16.to_le_bytes());
    h.extend_from_slice(&status.to_le_bytes());
    h.extend_from_slice(&cmd.to_le_bytes());
    h.extend_from_slice(&1u16.to_le_bytes());
    h.extend_from_slice(&u32::from(response).to_le_bytes());
    h.extend_from_slice(&0u32.to_le_bytes());
    h.extend_from_slice(&msg.to_le_bytes());
    h.extend_from_slice(&0u32.to_le_bytes());
    h.extend_from_slice(&tree.to_le_bytes());
    h.extend_from_slice(&SSN.to_le_bytes());
    h.extend_from_slice(&[0; 16]);
    h.extend_from_slice(body);
    nbss(&h)
}

fn utf16(s: &str) -> Vec<u8> {
    s.bytes().flat_map(|b| [b, 0]).collect()
}

fn negotiate_req() -> Vec<u8> {
    let mut b = vec![36, 0, 2, 0, 1, 0, 0, 0, 0, 0, 0, 0];
    b.extend_from_slice(&[0x11; 16]);
    b.extend_from_slice(&[0; 8]);
    b.extend_from_slice(&0x0202u16.to_le_bytes());
    b.extend_from_slice(&0x0210u16.to_le_bytes());
    smb2(0, false, 0, 0, 0, &b)
}

fn negotiate_resp() -> Vec<u8> {
    let mut b = vec![65, 0, 1, 0];
    b.extend_from_slice(&0x0210u16.to_le_bytes());
    b.extend_from_slice(&[0, 0]);
    b.extend_from_slice(&(0u8..16).collect::<Vec<_>>());
    b.extend_from_slice(&[0; 8]);
    b.extend_from_slice(&65536u32.to_le_bytes());
    b.extend_from_slice(&65536u32.to_le_bytes());
    b.extend_from_slice(&[0; 24]);
    smb2(0, true, 0, 0, 0, &b)
}

/// An NTLMSSP AUTHENTICATE message with domain, user and host.
fn ntlmssp_auth(domain: &str, user: &str, host: &str) -> Vec<u8> {
    let (d, u, h) = (utf16(domain), utf16(user), utf16(host));
    let mut m = b"NTLMSSP\0".to_vec();
    m.extend_from_slice(&3u32.to_le_bytes());
    let base = 8 + 4 + 6 * 8 + 4 + 8;
    let mut off = base as u32;
    let mut fields = Vec::new();
    for v in [&[][..], &[][..], &d[..], &u[..], &h[..], &[][..]] {
        fields.extend_from_slice(&(v.len() as u16).to_le_bytes());
        fields.extend_from_slice(&(v.len() as u16).to_le_bytes());
        let at = if v.is_empty() { base as u32 } else { off };
        fields.extend_from_slice(&at.to_le_bytes());
        off += v.len() as u32;
    }
    m.extend_from_slice(&fields);
    m.extend_from_slice(&[0x15, 0x82, 0x88, 0xe2]);
    m.extend_from_slice(&[6, 1, 0xb1, 0x1d, 0, 0, 0, 15]);
    m.extend_from_slice(&d);
    m.extend_from_slice(&u);
    m.extend_from_slice(&h);
    m
}

fn session_setup_req(msg: u64, blob: &[u8]) -> Vec<u8> {
    let mut b = vec![25, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0];
    b.extend_from_slice(&88u16.to_le_bytes());
    b.extend_from_slice(&(blob.len() as u16).to_le_bytes());
    b.extend_from_slice(&[0; 8]);
    b.extend_from_slice(blob);
    smb2(1, false, 0, msg, 0, &b)
}

fn session_setup_resp(msg: u64, status: u32) -> Vec<u8> {
    smb2(1, true, status, msg, 0, &[9, 0, 0, 0, 72, 0, 0, 0])
}

fn tree_connect_req(msg: u64, path: &str) -> Vec<u8> {
    let p = utf16(path);
    let mut b = vec![9, 0, 0, 0, 72, 0];
    b.extend_from_slice(&(p.len() as u16).to_le_bytes());
    b.extend_from_slice(&p);
    smb2(3, false, 0, msg, 0, &b)
}

fn tree_connect_resp(msg: u64, tree: u32, share_type: u8) -> Vec<u8> {
    let mut b = vec![16, 0, share_type, 0];
    b.extend_from_slice(&[0; 12]);
    smb2(3, true, 0, msg, tree, &b)
}

fn guid(n: u8) -> [u8; 16] {
    let mut g = [0u8; 16];
    g[0] = n;
    g[8] = n;
    g
}

fn create_req(msg: u64, tree: u32, name: &str) -> Vec<u8> {
    let n = utf16(name);
    let mut b = vec![57, 0, 0, 0];
    b.extend_from_slice(&[0; 32]);
    b.extend_from_slice(&1u32.to_le_bytes()); // FILE_OPEN
    b.extend_from_slice(&0u32.to_le_bytes());
    b.extend_from_slice(&120u16.to_le_bytes());
    b.extend_from_slice(&(n.len() as u16).to_le_bytes());
    b.extend_from_slice(&[0; 8]);
    b.extend_from_slice(&n);
    smb2(5, false, 0, msg, tree, &b)
}

fn create_resp(msg: u64, tree: u32, fid: [u8; 16]) -> Vec<u8> {
    let mut b = vec![89, 0, 0, 0, 1, 0, 0, 0];
    // 2017-12-06T18:36:39Z as FILETIME, four times.
    let ft: u64 = 131_570_937_990_000_000;
    for _ in 0..4 {
        b.extend_from_slice(&ft.to_le_bytes());
    }
    b.extend_from_slice(&4096u64.to_le_bytes());
    b.extend_from_slice(&1234u64.to_le_bytes());
    b.extend_from_slice(&[0; 8]);
    b.extend_from_slice(&fid);
    b.extend_from_slice(&[0; 8]);
    smb2(5, true, 0, msg, tree, &b)
}

fn write_req(msg: u64, tree: u32, fid: [u8; 16], offset: u64, data: &[u8]) -> Vec<u8> {
    let mut b = vec![49, 0, 112, 0];
    b.extend_from_slice(&(data.len() as u32).to_le_bytes());
    b.extend_from_slice(&offset.to_le_bytes());
    b.extend_from_slice(&fid);
    b.extend_from_slice(&[0; 16]);
    b.extend_from_slice(data);
    smb2(9, false, 0, msg, tree, &b)
}

fn write_resp(msg: u64, tree: u32) -> Vec<u8> {
    smb2(
        9,
        true,
        0,
        msg,
        tree,
        &[17, 0, 0, 0, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0],
    )
}

fn read_req(msg: u64, tree: u32, fid: [u8; 16]) -> Vec<u8> {
    let mut b = vec![49, 0, 0, 0];
    b.extend_from_slice(&1024u32.to_le_bytes());
    b.extend_from_slice(&0u64.to_le_bytes());
    b.extend_from_slice(&fid);
    b.extend_from_slice(&[0; 17]);
    smb2(8, false, 0, msg, tree, &b)
}

fn read_resp(msg: u64, tree: u32, data: &[u8]) -> Vec<u8> {
    let mut b = vec![17, 0, 80, 0];
    b.extend_from_slice(&(data.len() as u32).to_le_bytes());
    b.extend_from_slice(&[0; 8]);
    b.extend_from_slice(data);
    smb2(8, true, 0, msg, tree, &b)
}

fn close_req(msg: u64, tree: u32, fid: [u8; 16]) -> Vec<u8> {
    let mut b = vec![24, 0, 0, 0, 0, 0, 0, 0];
    b.extend_from_slice(&fid);
    smb2(6, false, 0, msg, tree, &b)
}

fn close_resp(msg: u64, tree: u32) -> Vec<u8> {
    smb2(6, true, 0, msg, tree, &[60, 0, 0, 0, 0, 0, 0, 0])
}

const SPOOLSS: [u8; 16] = [
    0x78, 0x56, 0x34, 0x12, 0x34, 0x12, 0xcd, 0xab, 0xef, 0x00, 0x01, 0x23, 0x45, 0x67, 0x89, 0xab,
];

/// A DCERPC BIND for one interface (little endian).
fn dce_bind(call_id: u32) -> Vec<u8> {
    let mut b = vec![5, 0, 11, 3, 0x10, 0, 0, 0];
    b.extend_from_slice(&72u16.to_le_bytes());
    b.extend_from_slice(&0u16.to_le_bytes());
    b.extend_from_slice(&call_id.to_le_bytes());
    b.extend_from_slice(&[0xb8, 0x10, 0xb8, 0x10, 0, 0, 0, 0]);
    b.extend_from_slice(&[1, 0, 0, 0]);
    b.extend_from_slice(&[0, 0, 1, 0]);
    b.extend_from_slice(&SPOOLSS);
    b.extend_from_slice(&[1, 0, 0, 0]);
    b.extend_from_slice(&[0x04, 0x5d, 0x88, 0x8a, 0xeb, 0x1c, 0xc9, 0x11, 0x9f, 0xe8]);
    b.extend_from_slice(&[0x08, 0, 0x2b, 0x10, 0x48, 0x60, 2, 0, 0, 0]);
    b
}

fn dce_bindack(call_id: u32) -> Vec<u8> {
    let mut b = vec![5, 0, 12, 3, 0x10, 0, 0, 0];
    b.extend_from_slice(&68u16.to_le_bytes());
    b.extend_from_slice(&0u16.to_le_bytes());
    b.extend_from_slice(&call_id.to_le_bytes());
    b.extend_from_slice(&[0xb8, 0x10, 0xb8, 0x10, 0x53, 0xf0, 0, 0]);
    b.extend_from_slice(&[13, 0]);
    b.extend_from_slice(b"\\PIPE\\spoolss\0");
    b.extend_from_slice(&[1, 0, 0, 0]);
    b.extend_from_slice(&[0; 24]);
    b
}

fn dce_request(call_id: u32, opnum: u16, stub: &[u8]) -> Vec<u8> {
    let mut b = vec![5, 0, 0, 3, 0x10, 0, 0, 0];
    b.extend_from_slice(&(24 + stub.len() as u16).to_le_bytes());
    b.extend_from_slice(&0u16.to_le_bytes());
    b.extend_from_slice(&call_id.to_le_bytes());
    b.extend_from_slice(&(stub.len() as u32).to_le_bytes());
    b.extend_from_slice(&0u16.to_le_bytes());
    b.extend_from_slice(&opnum.to_le_bytes());
    b.extend_from_slice(stub);
    b
}

fn dce_response(call_id: u32, stub: &[u8]) -> Vec<u8> {
    let mut b = vec![5, 0, 2, 3, 0x10, 0, 0, 0];
    b.extend_from_slice(&(24 + stub.len() as u16).to_le_bytes());
    b.extend_from_slice(&0u16.to_le_bytes());
    b.extend_from_slice(&call_id.to_le_bytes());
    b.extend_from_slice(&(stub.len() as u32).to_le_bytes());
    b.extend_from_slice(&[0; 4]);
    b.extend_from_slice(stub);
    b
}

fn ioctl_req(msg: u64, tree: u32, fid: [u8; 16], data: &[u8]) -> Vec<u8> {
    let mut b = vec![57, 0, 0, 0];
    b.extend_from_slice(&0x0011_c017u32.to_le_bytes());
    b.extend_from_slice(&fid);
    b.extend_from_slice(&120u32.to_le_bytes());
    b.extend_from_slice(&(data.len() as u32).to_le_bytes());
    b.extend_from_slice(&[0; 24]);
    b.extend_from_slice(data);
    smb2(11, false, 0, msg, tree, &b)
}

fn ioctl_resp(msg: u64, tree: u32, fid: [u8; 16], data: &[u8]) -> Vec<u8> {
    let mut b = vec![49, 0, 0, 0];
    b.extend_from_slice(&0x0011_c017u32.to_le_bytes());
    b.extend_from_slice(&fid);
    b.extend_from_slice(&112u32.to_le_bytes());
    b.extend_from_slice(&0u32.to_le_bytes());
    b.extend_from_slice(&112u32.to_le_bytes());
    b.extend_from_slice(&(data.len() as u32).to_le_bytes());
    b.extend_from_slice(&[0; 8]);
    b.extend_from_slice(data);
    smb2(11, true, 0, msg, tree, &b)
}

/// A whole conversation: (direction, bytes) in order.
fn conversation() -> Vec<(Direction, Vec<u8>)> {
    use Direction::{ToClient as C, ToServer as S};
    let pipe = guid(5);
    let file = guid(9);
    vec![
        (S, negotiate_req()),
        (C, negotiate_resp()),
        (
            S,
            session_setup_req(1, &ntlmssp_auth("CONTOSO", "Administrator", "SERVER01")),
        ),
        (C, session_setup_resp(1, 0)),
        (S, tree_connect_req(2, "\\\\10.0.0.12\\IPC$")),
        (C, tree_connect_resp(2, 5, 2)),
        (S, create_req(3, 5, "spoolss")),
        (C, create_resp(3, 5, pipe)),
        (S, write_req(4, 5, pipe, 0, &dce_bind(1))),
        (C, write_resp(4, 5)),
        (S, read_req(5, 5, pipe)),
        (C, read_resp(5, 5, &dce_bindack(1))),
        (S, ioctl_req(6, 5, pipe, &dce_request(2, 89, b"ABCDEFGH"))),
        (C, ioctl_resp(6, 5, pipe, &dce_response(2, b"0123"))),
        (S, tree_connect_req(7, "\\\\10.0.0.12\\share")),
        (C, tree_connect_resp(7, 1, 1)),
        (S, create_req(8, 1, "dir\\evil.exe")),
        (C, create_resp(8, 1, file)),
        (S, write_req(9, 1, file, 0, b"MZ\x90\x00this program")),
        (C, write_resp(9, 1)),
        (S, close_req(10, 1, file)),
        (C, close_resp(10, 1)),
    ]
}

/// Runs a conversation, each message cut into pieces of `chunk` bytes
/// (0: whole). Returns each record as `event_type` + its EVE object.
fn run(conv: &[(Direction, Vec<u8>)], chunk: usize) -> (Vec<String>, Vec<&'static str>) {
    let mut p = SmbParser::new();
    let mut out = ParseOutput::default();
    let mut recs = Vec::new();
    let mut events = Vec::new();
    let mut collect = |out: &mut ParseOutput| {
        for tx in out.txs.drain(..) {
            recs.push(render(tx.as_ref()));
        }
        events.extend(out.events.drain(..).map(|e| e.name));
    };
    for (dir, bytes) in conv {
        if chunk == 0 {
            p.parse(*dir, bytes, &mut out);
        } else {
            for piece in bytes.chunks(chunk) {
                p.parse(*dir, piece, &mut out);
            }
        }
        collect(&mut out);
    }
    p.finish(&mut out);
    collect(&mut out);
    (recs, events)
}

fn render(tx: &dyn Transaction) -> String {
    let mut buf = Vec::new();
    let mut w = JsonWriter::new(&mut buf);
    w.open_object();
    tx.write_eve(&mut w);
    w.close_object();
    format!(
        "{} {}",
        tx.event_type(),
        String::from_utf8(buf).unwrap_or_default()
    )
}

#[test]
fn smb2_conversation_records() {
    let (recs, events) = run(&conversation(), 0);
    assert!(events.is_empty(), "{events:?}");
    let expect = [
        r#"smb {"smb":{"id":1,"dialect":"2.10","command":"SMB2_COMMAND_NEGOTIATE_PROTOCOL","status":"STATUS_SUCCESS","status_code":"0x0","session_id":0,"tree_id":0,"client_dialects":["2.02","2.10"],"client_guid":"11111111-1111-1111-1111-111111111111","server_guid":"03020100-0504-0706-0908-0b0a0f0e0d0c","max_read_size":65536,"max_write_size":65536}}"#,
        r#"smb {"smb":{"id":2,"dialect":"2.10","command":"SMB2_COMMAND_SESSION_SETUP","status":"STATUS_SUCCESS","status_code":"0x0","session_id":70368744177669,"tree_id":0,"ntlmssp":{"domain":"CONTOSO","user":"Administrator","host":"SERVER01","version":"6.1 build 7601 rev 15"}}}"#,
        r#"smb {"smb":{"id":3,"dialect":"2.10","command":"SMB2_COMMAND_TREE_CONNECT","status":"STATUS_SUCCESS","status_code":"0x0","session_id":70368744177669,"tree_id":5,"named_pipe":"\\\\10.0.0.12\\IPC$","share_type":"PIPE"}}"#,
        r#"smb {"smb":{"id":4,"dialect":"2.10","command":"SMB2_COMMAND_CREATE","status":"STATUS_SUCCESS","status_code":"0x0","session_id":70368744177669,"tree_id":5,"filename":"spoolss","disposition":"FILE_OPEN","access":"normal","created":1512620199,"accessed":1512620199,"modified":1512620199,"changed":1512620199,"size":1234,"fuid":"00000005-0000-0000-0005-000000000000"}}"#,
        r#"smb {"smb":{"id":5,"dialect":"2.10","command":"SMB2_COMMAND_WRITE","status":"STATUS_SUCCESS","status_code":"0x0","session_id":70368744177669,"tree_id":5,"dcerpc":{"request":"BIND","response":"BINDACK","interfaces":[{"uuid":"12345678-1234-abcd-ef00-0123456789ab","version":"1.0","ack_result":0,"ack_reason":0}],"call_id":1}}}"#,
        r#"smb {"smb":{"id":6,"dialect":"2.10","command":"SMB2_COMMAND_IOCTL","status":"STATUS_SUCCESS","status_code":"0x0","session_id":70368744177669,"tree_id":5,"dcerpc":{"request":"REQUEST","response":"RESPONSE","opnum":89,"req":{"frag_cnt":1,"stub_data_size":8},"interfaces":[{"uuid":"12345678-1234-abcd-ef00-0123456789ab","version":"1.0"}],"res":{"frag_cnt":1,"stub_data_size":4},"call_id":2}}}"#,
        r#"smb {"smb":{"id":7,"dialect":"2.10","command":"SMB2_COMMAND_TREE_CONNECT","status":"STATUS_SUCCESS","status_code":"0x0","session_id":70368744177669,"tree_id":1,"share":"\\\\10.0.0.12\\share","share_type":"FILE"}}"#,
        r#"smb {"smb":{"id":8,"dialect":"2.10","command":"SMB2_COMMAND_CREATE","status":"STATUS_SUCCESS","status_code":"0x0","session_id":70368744177669,"tree_id":1,"filename":"dir\\evil.exe","disposition":"FILE_OPEN","access":"normal","created":1512620199,"accessed":1512620199,"modified":1512620199,"changed":1512620199,"size":1234,"fuid":"00000009-0000-0000-0009-000000000000"}}"#,
        r#"fileinfo {"smb":{"id":9,"dialect":"2.10","command":"SMB2_COMMAND_WRITE","status":"STATUS_SUCCESS","status_code":"0x0","session_id":70368744177669,"tree_id":1,"filename":"dir\\evil.exe","share":"","fuid":"00000009-0000-0000-0009-000000000000"},"app_proto":"smb","fileinfo":{"filename":"dir\\evil.exe","gaps":false,"state":"CLOSED","stored":false,"size":16,"tx_id":8}}"#,
        r#"smb {"smb":{"id":9,"dialect":"2.10","command":"SMB2_COMMAND_WRITE","status":"STATUS_SUCCESS","status_code":"0x0","session_id":70368744177669,"tree_id":1,"filename":"dir\\evil.exe","share":"","fuid":"00000009-0000-0000-0009-000000000000"}}"#,
        r#"smb {"smb":{"id":10,"dialect":"2.10","command":"SMB2_COMMAND_CLOSE","status":"STATUS_SUCCESS","status_code":"0x0","session_id":70368744177669,"tree_id":1}}"#,
    ];
    assert_eq!(recs, expect);
}

#[test]
fn every_split_gives_the_same_records() {
    let conv = conversation();
    let (whole, _) = run(&conv, 0);
    for chunk in 1..=48 {
        let (split, events) = run(&conv, chunk);
        assert_eq!(split, whole, "chunk size {chunk}");
        assert!(events.is_empty(), "chunk {chunk}: {events:?}");
    }
}

#[test]
fn rule_buffers() {
    let conv = conversation();
    let mut p = SmbParser::new();
    let mut out = ParseOutput::default();
    for (dir, bytes) in &conv {
        p.parse(*dir, bytes, &mut out);
    }
    let txs = std::mem::take(&mut out.txs);
    let by_id = |s: &str| txs.iter().find(|t| render(t.as_ref()).contains(s));
    let ssn = by_id("\"ntlmssp\"").expect("session setup");
    assert_eq!(ssn.buffer("smb.ntlmssp_user"), Some(&b"Administrator"[..]));
    assert_eq!(ssn.buffer("smb.ntlmssp_domain"), Some(&b"CONTOSO"[..]));
    let pipe = by_id("named_pipe").expect("pipe tree");
    assert_eq!(
        pipe.buffer("smb.named_pipe"),
        Some(&b"\\\\10.0.0.12\\IPC$"[..])
    );
    assert_eq!(pipe.buffer("smb.share"), None);
    let share = by_id("\"share\":\"\\\\\\\\").expect("share tree");
    assert_eq!(
        share.buffer("smb.share"),
        Some(&b"\\\\10.0.0.12\\share"[..])
    );
    let req = by_id("\"opnum\":89").expect("dcerpc request");
    let mut ifaces = Vec::new();
    req.buffers("dcerpc.iface", &mut |b| ifaces.push(b.to_vec()));
    assert_eq!(
        ifaces,
        vec![b"12345678-1234-abcd-ef00-0123456789ab:1".to_vec()]
    );
    let mut opnums = Vec::new();
    req.uints("dcerpc.opnum", &mut |v| opnums.push(v));
    assert_eq!(opnums, vec![89]);
    assert_eq!(req.buffer("dcerpc.stub_data"), Some(&b"ABCDEFGH"[..]));
    assert_eq!(
        req.buffer_dir("dcerpc.stub_data", Direction::ToClient),
        Some(&b"0123"[..])
    );
    let file = txs
        .iter()
        .find(|t| t.event_type() == "smb" && render(t.as_ref()).contains("evil.exe\",\"share\""))
        .expect("file tx");
    assert_eq!(
        file.buffer("file.data"),
        Some(&b"MZ\x90\x00this program"[..])
    );
    assert_eq!(file.buffer_dir("file.data", Direction::ToClient), None);
}

#[test]
fn large_write_is_streamed_not_buffered() {
    use Direction::{ToClient as C, ToServer as S};
    let file = guid(3);
    let data: Vec<u8> = (0..200_000u32).map(|i| (i % 251) as u8).collect();
    let conv = vec![
        (S, tree_connect_req(1, "\\\\h\\s")),
        (C, tree_connect_resp(1, 1, 1)),
        (S, create_req(2, 1, "big.bin")),
        (C, create_resp(2, 1, file)),
        (S, write_req(3, 1, file, 0, &data)),
        (C, write_resp(3, 1)),
        (S, close_req(4, 1, file)),
        (C, close_resp(4, 1)),
    ];
    let mut p = SmbParser::new();
    let mut out = ParseOutput::default();
    for (dir, bytes) in &conv {
        for piece in bytes.chunks(1460) {
            p.parse(*dir, piece, &mut out);
            assert!(p.streams.iter().all(|s| s.buf.len() <= PARTIAL_MIN + 1460));
        }
    }
    let recs: Vec<String> = out.txs.iter().map(|t| render(t.as_ref())).collect();
    assert!(
        recs.iter()
            .any(|r| r.contains("\"size\":200000,\"tx_id\"") && r.contains("CLOSED")),
        "{recs:?}"
    );
}

#[test]
fn malformed_header_raises_and_stops() {
    let mut bad = negotiate_req();
    // Keep the magic, cut the header short.
    bad.truncate(4 + 20);
    let len = 20u32;
    bad[1] = (len >> 16) as u8;
    bad[2] = (len >> 8) as u8;
    bad[3] = len as u8;
    let conv = vec![
        (Direction::ToServer, negotiate_req()),
        (Direction::ToServer, bad),
        (Direction::ToClient, negotiate_resp()),
    ];
    let (recs, events) = run(&conv, 0);
    assert_eq!(events, vec!["malformed_data"]);
    // Parsing stopped: the negotiation never got its response.
    assert_eq!(recs.len(), 1);
    assert!(recs[0].contains("\"command\":\"SMB2_COMMAND_NEGOTIATE_PROTOCOL\",\"session_id\""));
}

#[test]
fn oversized_record_is_skipped() {
    use Direction::{ToClient as C, ToServer as S};
    // A non-streamable record larger than MAX_RECORD, then a normal one.
    let mut huge = smb2(14, false, 0, 1, 1, &vec![0x41; MAX_RECORD + 10]);
    huge.extend_from_slice(&tree_connect_req(2, "\\\\h\\after"));
    let conv = vec![(S, huge), (C, tree_connect_resp(2, 3, 1))];
    let (recs, events) = run(&conv, 4096);
    assert_eq!(events, vec!["record_overflow"]);
    assert!(recs.iter().any(|r| r.contains(r"\\\\h\\after")), "{recs:?}");
}

#[test]
fn resyncs_after_a_gap() {
    let mut p = SmbParser::new();
    let mut out = ParseOutput::default();
    let req = tree_connect_req(7, "\\\\h\\IPC$");
    p.parse(Direction::ToServer, &negotiate_req(), &mut out);
    // Half a record, then a gap, then garbage and a whole record.
    p.parse(Direction::ToServer, &req[..30], &mut out);
    p.gap(Direction::ToServer, 100, &mut out);
    let mut after = b"junkjunk".to_vec();
    after.extend_from_slice(&req);
    p.parse(Direction::ToServer, &after, &mut out);
    p.parse(Direction::ToClient, &tree_connect_resp(7, 2, 2), &mut out);
    let recs: Vec<String> = out.txs.iter().map(|t| render(t.as_ref())).collect();
    assert!(
        recs.iter()
            .any(|r| r.contains("\"named_pipe\":\"\\\\\\\\h\\\\IPC$\"")),
        "{recs:?}"
    );
}

#[test]
fn transactions_are_capped() {
    let mut p = SmbParser::new();
    let mut out = ParseOutput::default();
    // Requests that never get a response.
    for i in 0..(state::MAX_TXS as u64 + 10) {
        p.parse(
            Direction::ToServer,
            &smb2(14, false, 0, i, 1, &[33, 0]),
            &mut out,
        );
    }
    assert!(p.state.txs.len() <= state::MAX_TXS + 1);
    assert!(out.events.iter().any(|e| e.name == "too_many_transactions"));
}

#[test]
fn unusual_ntlmssp_order_is_flagged() {
    // Host before user: the offsets overlap backwards.
    let mut auth = ntlmssp_auth("D", "U", "H");
    // Swap the user and host offsets (fields 4 and 5).
    let user_off = 12 + 3 * 8 + 4;
    let host_off = 12 + 4 * 8 + 4;
    let (u, h) = (auth[user_off], auth[host_off]);
    auth[user_off] = h;
    auth[host_off] = u;
    let conv = vec![
        (Direction::ToServer, session_setup_req(1, &auth)),
        (Direction::ToClient, session_setup_resp(1, 0)),
    ];
    let (recs, events) = run(&conv, 0);
    assert_eq!(events, vec!["unusual_ntlmssp_order"]);
    assert!(
        recs[0].contains("\"user\":\"H\",\"host\":\"U\""),
        "{recs:?}"
    );
}

/// An SMB1 header + block.
fn smb1(
    cmd: u8,
    response: bool,
    status: u32,
    tree: u16,
    uid: u16,
    mid: u16,
    block: &[u8],
) -> Vec<u8> {
    let mut h = b"\xffSMB".to_vec();
    h.push(cmd);
    h.extend_from_slice(&status.to_le_bytes());
    h.push(if response { 0x98 } else { 0x18 });
    h.extend_from_slice(&0xc843u16.to_le_bytes());
    h.extend_from_slice(&[0; 12]);
    h.extend_from_slice(&tree.to_le_bytes());
    h.extend_from_slice(&0xfeffu16.to_le_bytes());
    h.extend_from_slice(&uid.to_le_bytes());
    h.extend_from_slice(&mid.to_le_bytes());
    h.extend_from_slice(block);
    nbss(&h)
}

#[test]
fn smb1_negotiate_and_tree_connect() {
    use Direction::{ToClient as C, ToServer as S};
    let mut neg = vec![0u8, 0, 0];
    for d in ["NT LM 0.12", "SMB 2.002"] {
        neg.push(2);
        neg.extend_from_slice(d.as_bytes());
        neg.push(0);
    }
    let n = (neg.len() - 3) as u16;
    neg[1..3].copy_from_slice(&n.to_le_bytes());
    let mut neg_resp = vec![17u8, 0, 0, 3];
    neg_resp.extend_from_slice(&[0; 16 + 4 + 8 + 2 + 1]);
    neg_resp.extend_from_slice(&16u16.to_le_bytes());
    neg_resp.extend_from_slice(&[0xaa; 16]);
    // TREE_CONNECT_ANDX: wct 4, no AndX, password of 1 byte, path, service.
    let mut tc = vec![4u8, 0xff, 0, 0, 0, 0, 0, 1, 0];
    let mut bytes = vec![0u8];
    bytes.extend_from_slice(&utf16("\\\\SRV\\IPC$"));
    bytes.extend_from_slice(&[0, 0]);
    bytes.extend_from_slice(b"?????\0");
    tc.extend_from_slice(&(bytes.len() as u16).to_le_bytes());
    tc.extend_from_slice(&bytes);
    let mut tc_resp = vec![3u8, 0xff, 0, 0, 0, 1, 0];
    tc_resp.extend_from_slice(&6u16.to_le_bytes());
    tc_resp.extend_from_slice(b"IPC\0\0\0");
    let conv = vec![
        (S, smb1(0x72, false, 0, 0, 0, 1, &neg)),
        (C, smb1(0x72, true, 0, 0, 0, 1, &neg_resp)),
        (S, smb1(0x75, false, 0, 0, 100, 2, &tc)),
        (C, smb1(0x75, true, 0, 7, 100, 2, &tc_resp)),
        // A DOS error on a generic command.
        (S, smb1(0x2b, false, 0, 7, 100, 3, &[1, 1, 0, 0, 0])),
        (C, smb1(0x2b, true, 0x005b_0002, 7, 100, 3, &[0, 0, 0])),
    ];
    let conv: Vec<(Direction, Vec<u8>)> = conv
        .into_iter()
        .map(|(d, mut m)| {
            // The ECHO response carries a DOS error: clear FLAGS2 NT status.
            if m.get(8) == Some(&0x2b) && d == C {
                m[15] &= !0x40;
            }
            (d, m)
        })
        .collect();
    let _unused: [u8; 0] = [];
    let (recs, events) = run(&conv, 0);
    assert!(events.is_empty(), "{events:?}");
    assert_eq!(
        recs,
        [
            r#"smb {"smb":{"id":1,"dialect":"NT LM 0.12","command":"SMB1_COMMAND_NEGOTIATE_PROTOCOL","status":"STATUS_SUCCESS","status_code":"0x0","session_id":0,"tree_id":0,"client_dialects":["NT LM 0.12","SMB 2.002"],"server_guid":"aaaaaaaa-aaaa-aaaa-aaaa-aaaaaaaaaaaa"}}"#,
            r#"smb {"smb":{"id":2,"dialect":"NT LM 0.12","command":"SMB1_COMMAND_TREE_CONNECT_ANDX","status":"STATUS_SUCCESS","status_code":"0x0","session_id":100,"tree_id":7,"named_pipe":"\\SRV\\IPC$","service":{"request":"?????","response":"IPC"}}}"#,
            r#"smb {"smb":{"id":3,"dialect":"NT LM 0.12","command":"SMB1_COMMAND_ECHO","status":"SRV_BADUID","status_code":"0x005b","session_id":100,"tree_id":7}}"#,
        ]
    );
    let (split, _) = run(&conv, 3);
    assert_eq!(split, recs);
}

#[test]
fn probe_needs_nbss_and_smb_magic() {
    let rec = negotiate_req();
    assert_eq!(probe(Direction::ToServer, &rec), Probe::Match);
    assert_eq!(probe(Direction::ToServer, &rec[..10]), Probe::NeedMore);
    assert_eq!(
        probe(
            Direction::ToServer,
            b"GET / HTTP/1.1\r\nHost: x\r\n\r\n.........."
        ),
        Probe::NoMatch
    );
    let mut not_smb = rec.clone();
    not_smb[5] = b'X';
    assert_eq!(probe(Direction::ToServer, &not_smb), Probe::NoMatch);
}

#[test]
fn ntlmssp_auth_parses() {
    let blob = ntlmssp_auth("CONTOSO", "Administrator", "SERVER01");
    let n = ntlmssp::parse_ntlmssp_blob(&blob).expect("auth");
    assert_eq!(n.user, b"Administrator");
    assert_eq!(n.version, Some((6, 1, 7601, 15)));
    assert!(
        ntlmssp::parse_secblob(&blob)
            .and_then(|a| a.ntlmssp)
            .is_some()
    );
}
