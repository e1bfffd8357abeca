//! FTP and ftp-data tests: hand-built sessions (whole, and split at every
//! byte), malformed and oversized lines, the port grammars, the data
//! connection's records.

use super::data::{FtpDataParser, Transfer};
use super::*;
use crate::Direction::{ToClient as C, ToServer as S};

/// Renders a record as its record body (`{"ftp":{...}}`).
fn json(tx: &dyn Transaction) -> String {
    let mut buf = Vec::new();
    let mut w = JsonWriter::new(&mut buf);
    w.open_object();
    tx.write_eve(&mut w);
    w.close_object();
    String::from_utf8(buf).unwrap()
}

/// Feeds `msgs` (each split into the given pieces) and returns the records
/// and the events.
fn run(p: &mut FtpParser, msgs: &[(Direction, Vec<&[u8]>)]) -> (Vec<String>, Vec<&'static str>) {
    let mut out = ParseOutput::default();
    let mut recs = Vec::new();
    let mut events = Vec::new();
    for (dir, pieces) in msgs {
        for piece in pieces {
            p.parse(*dir, piece, &mut out);
            recs.extend(out.txs.drain(..).map(|t| json(t.as_ref())));
            events.extend(out.events.drain(..).map(|e| e.name));
        }
    }
    p.finish(&mut out);
    recs.extend(out.txs.drain(..).map(|t| json(t.as_ref())));
    (recs, events)
}

const SESSION: &[(Direction, &[u8])] = &[
    (C, b"220 FTP Sandbox Ready.\r\n"),
    (S, b"USER bob\r\n"),
    (C, b"331 Please specify the password.\r\n"),
    (S, b"PASS secret\r\n"),
    (C, b"230 Login successful.\r\n"),
    (S, b"PASV\r\n"),
    (C, b"227 Entering Passive Mode (172,23,0,2,82,9).\r\n"),
    (S, b"RETR index.html\r\n"),
    (
        C,
        b"150 Opening BINARY mode data connection.\r\n226 Transfer complete.\r\n",
    ),
    (S, b"QUIT\r\n"),
    (C, b"221 Goodbye.\r\n"),
];

fn expected_session() -> Vec<String> {
    [
        r#"{"ftp":{"completion_code":["220"],"reply":["FTP Sandbox Ready."],"reply_received":"yes","reply_truncated":false}}"#,
        r#"{"ftp":{"command":"USER","command_data":"bob","command_truncated":false,"completion_code":["331"],"reply":["Please specify the password."],"reply_received":"yes","reply_truncated":false}}"#,
        r#"{"ftp":{"command":"PASS","command_data":"secret","command_truncated":false,"completion_code":["230"],"reply":["Login successful."],"reply_received":"yes","reply_truncated":false}}"#,
        r#"{"ftp":{"command":"PASV","completion_code":["227"],"reply":["Entering Passive Mode (172,23,0,2,82,9)."],"dynamic_port":21001,"reply_received":"yes","reply_truncated":false}}"#,
        r#"{"ftp":{"command":"RETR","command_data":"index.html","command_truncated":false,"completion_code":["150","226"],"reply":["Opening BINARY mode data connection.","Transfer complete."],"reply_received":"yes","reply_truncated":false}}"#,
        r#"{"ftp":{"command":"QUIT","completion_code":["221"],"reply":["Goodbye."],"reply_received":"yes","reply_truncated":false}}"#,
    ]
    .iter()
    .map(|s| s.to_string())
    .collect()
}

#[test]
fn session_records_exactly_as_suricata_writes_them() {
    let mut p = FtpParser::with_max_line_len(4096);
    let msgs: Vec<_> = SESSION.iter().map(|(d, m)| (*d, vec![*m])).collect();
    let (recs, events) = run(&mut p, &msgs);
    assert_eq!(recs, expected_session());
    assert!(events.is_empty());
}

#[test]
fn session_split_at_every_byte_gives_the_same_records() {
    for (i, (_, m)) in SESSION.iter().enumerate() {
        for cut in 1..m.len() {
            let mut p = FtpParser::with_max_line_len(4096);
            let msgs: Vec<_> = SESSION
                .iter()
                .enumerate()
                .map(|(j, (d, msg))| {
                    if i == j {
                        (*d, vec![&msg[..cut], &msg[cut..]])
                    } else {
                        (*d, vec![*msg])
                    }
                })
                .collect();
            let (recs, _) = run(&mut p, &msgs);
            assert_eq!(recs, expected_session(), "message {i} cut at {cut}");
        }
    }
}

#[test]
fn session_one_byte_at_a_time_gives_the_same_records() {
    let mut p = FtpParser::with_max_line_len(4096);
    let msgs: Vec<_> = SESSION
        .iter()
        .map(|(d, m)| (*d, m.chunks(1).collect::<Vec<_>>()))
        .collect();
    assert_eq!(run(&mut p, &msgs).0, expected_session());
}

#[test]
fn retr_after_pasv_announces_the_data_connection() {
    let mut p = FtpParser::with_max_line_len(4096);
    let mut out = ParseOutput::default();
    for (d, m) in &SESSION[..8] {
        p.parse(*d, m, &mut out);
    }
    assert_eq!(out.announced.len(), 1);
    let e = out.announced.remove(0);
    assert_eq!(
        (e.proto, e.dst_port, e.direction),
        (AppProto::FtpData, 21001, C)
    );
    // The data connection: the file flows to the client; data the other
    // way opens nothing.
    let mut d = (e.parser)(77);
    let mut out = ParseOutput::default();
    assert_eq!(d.parent_flow_id(), None);
    d.parse(S, b"ignored", &mut out);
    d.parse(C, b"hello ", &mut out);
    d.parse(C, b"world", &mut out);
    assert_eq!(d.parent_flow_id(), Some(77));
    assert!(out.txs.is_empty());
    d.close(C, &mut out);
    let recs: Vec<_> = out.txs.iter().map(|t| json(t.as_ref())).collect();
    assert_eq!(
        recs,
        [
            r#"{"app_proto":"ftp-data","fileinfo":{"filename":"index.html","gaps":false,"state":"CLOSED","stored":false,"size":11,"tx_id":0}}"#,
            r#"{"ftp_data":{"filename":"index.html","command":"RETR"}}"#,
        ]
    );
    assert_eq!(out.txs[0].log_direction(), C);
    assert_eq!(out.txs[1].buffer("ftp_data.command"), Some(&b"RETR"[..]));
    assert_eq!(
        out.txs[1].buffer_dir("file.data", C),
        Some(&b"hello world"[..])
    );
    assert_eq!(out.txs[1].buffer_dir("file.data", S), None);
    d.finish(&mut out);
    assert_eq!(out.txs.len(), 2, "logged once");
}

#[test]
fn data_connection_without_its_file_logs_an_empty_record_at_the_end() {
    let mut d = FtpDataParser::with_transfer(
        Transfer {
            command: Command::Stor,
            filename: b"up.bin".to_vec(),
            direction: S,
        },
        5,
    );
    let mut out = ParseOutput::default();
    d.parse(C, b"listing\r\n", &mut out);
    d.close(C, &mut out);
    d.finish(&mut out);
    let recs: Vec<_> = out.txs.iter().map(|t| json(t.as_ref())).collect();
    assert_eq!(recs, [r#"{"ftp_data":{}}"#]);
    assert_eq!(d.parent_flow_id(), None);
}

#[test]
fn truncated_file_at_flow_end() {
    let mut d = FtpDataParser::with_transfer(
        Transfer {
            command: Command::Stor,
            filename: b"big\xff".to_vec(),
            direction: S,
        },
        5,
    );
    let mut out = ParseOutput::default();
    d.parse(S, b"abc", &mut out);
    d.gap(S, 10, &mut out);
    d.finish(&mut out);
    assert_eq!(
        json(out.txs[0].as_ref()),
        r#"{"app_proto":"ftp-data","fileinfo":{"filename":"big\\xff","gaps":true,"state":"TRUNCATED","stored":false,"size":3,"tx_id":0}}"#
    );
}

#[test]
fn active_mode_port_and_stor() {
    let mut p = FtpParser::with_max_line_len(4096);
    let mut out = ParseOutput::default();
    p.parse(S, b"PORT 192,168,0,13,234,10\r\n", &mut out);
    p.parse(C, b"200 PORT command successful.\r\n", &mut out);
    p.parse(S, b"STOR up.txt\r\n", &mut out);
    let e = out.announced.remove(0);
    // The data connection runs from the server to port 59914; an upload
    // flows to its responder's side... from the FTP client, i.e. to-client.
    assert_eq!((e.dst_port, e.direction), (59914, C));
    let rec = json(out.txs[0].as_ref());
    assert_eq!(
        rec,
        r#"{"ftp":{"command":"PORT","command_data":"192,168,0,13,234,10","command_truncated":false,"completion_code":["200"],"reply":["PORT command successful."],"dynamic_port":59914,"mode":"active","reply_received":"yes","reply_truncated":false}}"#
    );
    let mut ip = Vec::new();
    out.txs[0].uints("ftp.port_ip", &mut |v| ip.push(v));
    assert_eq!(ip, [0xc0a8_000d]);
}

#[test]
fn port_grammars() {
    assert_eq!(active_port(b"PORT 1,2,3,4,5,6"), 1286);
    assert_eq!(active_port(b"PORT  1,2,3,4,0,80 tail"), 80);
    assert_eq!(active_port(b"port 1,2,3,4,5,6"), 0, "case-sensitive");
    assert_eq!(active_port(b"PORT 1,2,3,4,256,6"), 0);
    assert_eq!(active_port(b"PORT 1,2,3,5,6"), 0);
    assert_eq!(active_port(b"PORT 1,2,3,4,99999999999999,1"), 0);
    assert_eq!(
        pasv_port(b"227 Entering Passive Mode (172,23,0,2,82,9)."),
        21001
    );
    assert_eq!(pasv_port(b"227 =172,23,0,2,82,9"), 0);
    assert_eq!(pasv_port(b"227 (1,2,3,4,5,6"), 0);
    assert_eq!(
        epsv_port(b"229 Entering Extended Passive Mode (|||48758|)."),
        48758
    );
    assert_eq!(epsv_port(b"229 (|||70000|)"), 0);
    assert_eq!(eprt_port(b"EPRT |2|2a01:e34::1|41813|"), 41813);
    assert_eq!(eprt_port(b"EPRT |2|x|"), 0);
    assert_eq!(bounce_ip(b"PORT 10,0,0,1,4,1"), Some(0x0a00_0001));
    assert_eq!(bounce_ip(b"PORT 10 ,0,0,1,4,1"), Some(0x0a00_0001));
    assert_eq!(bounce_ip(b"PORT 10;0,0,1,4,1"), None);
    assert_eq!(bounce_ip(b"PORT 1"), None);
}

#[test]
fn probes_follow_suricata_patterns() {
    use crate::Probe::*;
    assert_eq!(probe(S, b"USER x"), Match);
    assert_eq!(probe(S, b"user x"), Match);
    assert_eq!(probe(S, b"FEAT\r\n"), Match);
    assert_eq!(probe(S, b"US"), NeedMore);
    assert_eq!(probe(S, b"AUTH TLS"), NoMatch);
    assert_eq!(probe(C, b"220 (vsFTPd 3.0.3)"), Match);
    assert_eq!(probe(C, b"220 FTP ready"), NoMatch);
    assert_eq!(probe(C, b"220"), NeedMore);
}

#[test]
fn commands_are_found_anywhere_first_ending_wins() {
    assert_eq!(find_command(b"USER bob"), Some(Command::Other("USER")));
    assert_eq!(find_command(b"xpwd"), Some(Command::Other("PWD")));
    assert_eq!(
        find_command(b"SITE CHMOD 600 x"),
        Some(Command::Other("SITE"))
    );
    assert_eq!(find_command(b"auth tls"), Some(Command::AuthTls));
    assert_eq!(find_command(b"FEAT"), None);
    assert_eq!(find_command(b""), None);
}

#[test]
fn unknown_commands_make_no_transaction() {
    let mut p = FtpParser::with_max_line_len(4096);
    let (recs, _) = run(
        &mut p,
        &[
            (C, vec![b"220 hi\r\n"]),
            (S, vec![b"FEAT\r\n"]),
            (C, vec![b"211 no features\r\n"]),
        ],
    );
    // The banner is logged alone; the reply to FEAT finds no open
    // transaction and makes one without command.
    assert_eq!(
        recs,
        [
            r#"{"ftp":{"completion_code":["220"],"reply":["hi"],"reply_received":"yes","reply_truncated":false}}"#,
            r#"{"ftp":{"completion_code":["211"],"reply":["no features"],"reply_received":"yes","reply_truncated":false}}"#,
        ]
    );
}

#[test]
fn oversized_command_is_cut_and_flagged_and_the_next_line_is_clean() {
    let mut p = FtpParser::with_max_line_len(16);
    let (recs, events) = run(
        &mut p,
        &[
            (S, vec![b"SITE aaaaaaaaaa", b"aaaaaaaaaaaa\r\n"]),
            (S, vec![b"NOOP\r\n"]),
        ],
    );
    assert_eq!(events, ["request_command_too_long"]);
    // Cut at 16 bytes of the line; the rest up to its LF is dropped.
    assert_eq!(
        recs,
        [
            r#"{"ftp":{"command":"SITE","command_data":"aaaaaaaaaaa","command_truncated":true,"reply_received":"no","reply_truncated":false}}"#,
            r#"{"ftp":{"command":"NOOP","reply_received":"no","reply_truncated":false}}"#,
        ]
    );
}

#[test]
fn oversized_reply_is_flagged() {
    let mut p = FtpParser::with_max_line_len(8);
    let (recs, events) = run(
        &mut p,
        &[
            (S, vec![b"NOOP\r\n"]),
            (C, vec![b"200 okokokok", b"ok\r\n"]),
        ],
    );
    assert_eq!(events, ["response_command_too_long"]);
    assert_eq!(
        recs,
        [
            r#"{"ftp":{"command":"NOOP","completion_code":["200"],"reply":["okok"],"reply_received":"yes","reply_truncated":true}}"#
        ]
    );
}

#[test]
fn retr_without_data_port_stops_the_parser() {
    let mut p = FtpParser::with_max_line_len(4096);
    let mut out = ParseOutput::default();
    p.parse(S, b"RETR x.txt\r\nNOOP\r\n", &mut out);
    // Logged at once, reply pending; the rest is ignored.
    assert_eq!(
        out.txs.iter().map(|t| json(t.as_ref())).collect::<Vec<_>>(),
        [
            r#"{"ftp":{"command":"RETR","command_data":"x.txt","command_truncated":false,"reply_received":"no","reply_truncated":false}}"#
        ]
    );
    out.txs.clear();
    p.parse(C, b"550 no\r\n", &mut out);
    p.finish(&mut out);
    assert!(out.txs.is_empty());
    assert!(out.announced.is_empty());
}

#[test]
fn gap_stops_the_parser_and_logs_open_transactions() {
    let mut p = FtpParser::with_max_line_len(4096);
    let mut out = ParseOutput::default();
    p.parse(S, b"NOOP\r\n", &mut out);
    assert!(out.txs.is_empty());
    p.gap(C, 100, &mut out);
    assert_eq!(out.txs.len(), 1);
    p.parse(S, b"NOOP\r\n", &mut out);
    p.finish(&mut out);
    assert_eq!(out.txs.len(), 1);
}

#[test]
fn auth_tls_accepted_hands_the_flow_to_tls() {
    let mut p = FtpParser::with_max_line_len(4096);
    let mut out = ParseOutput::default();
    p.parse(S, b"AUTH TLS\r\n", &mut out);
    p.parse(C, b"234 Proceed\r\n", &mut out);
    assert_eq!(
        out.change,
        Some(crate::ProtocolChange {
            to: Some(AppProto::Tls),
            unconsumed: 0,
            held_to_server: Vec::new(),
        })
    );
}

#[test]
fn malformed_bytes_are_escaped_and_nul_replies_skipped() {
    let mut p = FtpParser::with_max_line_len(4096);
    let (recs, _) = run(
        &mut p,
        &[
            (S, vec![b"USER \xff\xfe\r\n"]),
            (C, vec![b"\x00bad\r\n331 ok\r\n"]),
        ],
    );
    assert_eq!(
        recs,
        [
            r#"{"ftp":{"command":"USER","command_data":"\\xff\\xfe","command_truncated":false,"completion_code":["331"],"reply":["ok"],"reply_received":"yes","reply_truncated":false}}"#
        ]
    );
}

#[test]
fn open_transactions_are_bounded() {
    let mut p = FtpParser::with_max_line_len(4096);
    let mut out = ParseOutput::default();
    let many = b"NOOP\r\n".repeat(MAX_TX as usize + 10);
    p.parse(S, &many, &mut out);
    // Past the bound the parser stops and logs everything it holds.
    assert_eq!(out.txs.len(), MAX_TX as usize + 1);
    p.parse(S, b"NOOP\r\n", &mut out);
    assert_eq!(out.txs.len(), MAX_TX as usize + 1);
}

#[test]
fn both_streams_ending_logs_open_transactions() {
    let mut p = FtpParser::with_max_line_len(4096);
    let mut out = ParseOutput::default();
    p.parse(S, b"NOOP\r\n", &mut out);
    p.close(S, &mut out);
    assert!(out.txs.is_empty());
    p.close(C, &mut out);
    assert_eq!(out.txs.len(), 1);
}
