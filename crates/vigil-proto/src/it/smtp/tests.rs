//! SMTP tests: hand-built sessions (whole, and split at every byte),
//! events, STARTTLS, bounds; the MIME decoder's pieces. Expected values
//! were checked against Suricata 7.0.10 on the same sessions as pcaps.

use super::mime::*;
use super::*;
use crate::Direction::{ToClient as C, ToServer as S};

fn json(tx: &dyn Transaction) -> String {
    let mut buf = Vec::new();
    let mut w = JsonWriter::new(&mut buf);
    w.open_object();
    tx.write_eve(&mut w);
    w.close_object();
    String::from_utf8(buf).unwrap()
}

fn parser() -> SmtpParser {
    SmtpParser::with_config(Arc::new(SmtpConfig::default()))
}

/// Records (type and body) and events of a session fed piece by piece.
fn run(
    p: &mut SmtpParser,
    msgs: &[(Direction, Vec<&[u8]>)],
) -> (Vec<(&'static str, String)>, Vec<&'static str>) {
    let mut out = ParseOutput::default();
    let mut recs = Vec::new();
    let mut events = Vec::new();
    let mut take = |out: &mut ParseOutput| {
        recs.extend(
            out.txs
                .drain(..)
                .map(|t| (t.event_type(), json(t.as_ref()))),
        );
        events.extend(out.events.drain(..).map(|e| e.name));
    };
    for (dir, pieces) in msgs {
        for piece in pieces {
            p.parse(*dir, piece, &mut out);
            take(&mut out);
        }
    }
    p.finish(&mut out);
    take(&mut out);
    (recs, events)
}

fn whole(msgs: &[(Direction, &'static [u8])]) -> Vec<(Direction, Vec<&'static [u8]>)> {
    msgs.iter().map(|(d, m)| (*d, vec![*m])).collect()
}

const MAIL: &[u8] = b"From: \"Some One\" <a@example.org>\r\n\
To: b@example.net, \tc@example.net\r\n\
Subject: hi\r\n\
Content-Type: multipart/mixed; boundary=\"XX\"\r\n\
\r\n\
--XX\r\n\
Content-Type: text/plain\r\n\
\r\n\
plain body\r\n\
--XX\r\n\
Content-Type: application/octet-stream\r\n\
Content-Transfer-Encoding: base64\r\n\
Content-Disposition: attachment; filename=\"a.bin\"\r\n\
\r\n\
QUJD\r\n\
REVG\r\n\
--XX\r\n\
Content-Type: text/plain; name=raw.txt\r\n\
\r\n\
line one\r\n\
line two\r\n\
--XX--\r\n";

fn session() -> Vec<(Direction, &'static [u8])> {
    vec![
        (C, b"220 mx ESMTP\r\n"),
        (S, b"EHLO client.example\r\n"),
        (C, b"250-mx\r\n250 8BITMIME\r\n"),
        (S, b"MAIL FROM:<a@example.org> SIZE=100\r\n"),
        (C, b"250 ok\r\n"),
        (S, b"RCPT TO:<b@example.net>\r\n"),
        (C, b"250 ok\r\n"),
        (S, b"RCPT TO:<c@example.net>\r\n"),
        (C, b"250 ok\r\n"),
        (S, b"DATA\r\n"),
        (C, b"354 go\r\n"),
        (S, MAIL),
        (S, b".\r\n"),
        (C, b"250 queued\r\n"),
        (S, b"QUIT\r\n"),
        (C, b"221 bye\r\n"),
    ]
}

const SMTP_OBJ: &str = r#""smtp":{"helo":"client.example","mail_from":"<a@example.org>","rcpt_to":["<b@example.net>","<c@example.net>"]}"#;
const EMAIL_OBJ: &str = r#""email":{"status":"PARSE_DONE","from":"\"Some One\" <a@example.org>","to":["b@example.net","c@example.net"],"attachment":["a.bin","raw.txt"]}"#;
// The files close at the end boundary and are logged after that segment,
// before the "." completes the message (Suricata's status at that point).
const EMAIL_AT_END_BOUND: &str = r#""email":{"status":"BODY_END_BOUND","from":"\"Some One\" <a@example.org>","to":["b@example.net","c@example.net"],"attachment":["a.bin","raw.txt"]}"#;

fn expected() -> Vec<(&'static str, String)> {
    vec![
        (
            "fileinfo",
            format!(
                r#"{{{SMTP_OBJ},{EMAIL_AT_END_BOUND},"app_proto":"smtp","fileinfo":{{"filename":"a.bin","gaps":false,"state":"CLOSED","stored":false,"size":6,"tx_id":0}}}}"#
            ),
        ),
        (
            "fileinfo",
            format!(
                r#"{{{SMTP_OBJ},{EMAIL_AT_END_BOUND},"app_proto":"smtp","fileinfo":{{"filename":"raw.txt","gaps":false,"state":"CLOSED","stored":false,"size":18,"tx_id":0}}}}"#
            ),
        ),
        ("smtp", format!("{{{SMTP_OBJ},{EMAIL_OBJ}}}")),
        ("smtp", r#"{"smtp":{"helo":"client.example"}}"#.to_string()),
    ]
}

#[test]
fn session_records_exactly_as_suricata_writes_them() {
    let (recs, events) = run(&mut parser(), &whole(&session()));
    assert_eq!(recs, expected());
    assert!(events.is_empty(), "{events:?}");
}

/// A fileinfo record carries the email object as it stands when its file
/// closes, which depends on where the segment ends (so in Suricata): the
/// split test compares fileinfo records without it.
fn without_file_email(recs: Vec<(&'static str, String)>) -> Vec<(&'static str, String)> {
    recs.into_iter()
        .map(|(t, r)| {
            if t != "fileinfo" {
                return (t, r);
            }
            match (r.find(r#","email":"#), r.find(r#","app_proto":"#)) {
                (Some(a), Some(b)) if a < b => (t, format!("{}{}", &r[..a], &r[b..])),
                _ => (t, r),
            }
        })
        .collect()
}

#[test]
fn session_split_at_every_byte_gives_the_same_records() {
    let msgs = session();
    for (i, (_, m)) in msgs.iter().enumerate() {
        for cut in 1..m.len() {
            // Suricata reads a data segment ending in "." as the end of the
            // message: the final line is only split after its dot.
            if *m == b".\r\n" && cut < 2 {
                continue;
            }
            let split: Vec<_> = msgs
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
            let (recs, _) = run(&mut parser(), &split);
            assert_eq!(
                without_file_email(recs),
                without_file_email(expected()),
                "message {i} cut at {cut}"
            );
        }
    }
}

#[test]
fn mime_decoding_one_byte_at_a_time_keeps_the_email_and_files() {
    // Commands and replies byte by byte; the message whole (a byte-wise
    // message is cut into line fragments as Suricata cuts it, see the
    // module docs).
    let msgs: Vec<_> = session()
        .into_iter()
        .map(|(d, m)| {
            if m == MAIL {
                (d, vec![m])
            } else {
                (d, m.chunks(1).collect())
            }
        })
        .collect();
    assert_eq!(run(&mut parser(), &msgs).0, expected());
}

#[test]
fn starttls_accepted_completes_the_transaction_and_hands_over_to_tls() {
    let mut p = parser();
    let mut out = ParseOutput::default();
    for (d, m) in [
        (C, &b"220 mx\r\n"[..]),
        (S, b"EHLO x\r\n"),
        (C, b"250 ok\r\n"),
        (S, b"STARTTLS\r\n"),
    ] {
        p.parse(d, m, &mut out);
    }
    assert!(out.txs.is_empty());
    assert_eq!(out.change, None);
    p.parse(C, b"220 go ahead\r\n", &mut out);
    assert_eq!(
        out.change,
        Some(crate::ProtocolChange {
            to: Some(AppProto::Tls),
            unconsumed: 0,
            held_to_server: Vec::new(),
        })
    );
    assert_eq!(json(out.txs[0].as_ref()), r#"{"smtp":{"helo":"x"}}"#);
}

#[test]
fn starttls_refused_raises_tls_rejected() {
    let (_, events) = run(
        &mut parser(),
        &whole(&[
            (C, b"220 mx\r\n"),
            (S, b"EHLO x\r\n"),
            (C, b"250 ok\r\n"),
            (S, b"STARTTLS\r\n"),
            // 454 is not in Suricata's reply code table (INVALID_REPLY).
            (C, b"501 no\r\n"),
        ]),
    );
    assert_eq!(events, ["TLS_REJECTED"]);
}

#[test]
fn events_named_as_suricata_names_them() {
    // A command before the banner; a rejected DATA; a duplicate MAIL FROM.
    let (recs, events) = run(
        &mut parser(),
        &whole(&[
            (S, b"HELO a\r\n"),
            (C, b"220 mx\r\n"),
            (S, b"MAIL FROM:<x@y>\r\nMAIL FROM:<z@y>\r\n"),
            (C, b"250 ok\r\n250 ok\r\n"),
            (S, b"DATA\r\n"),
            (C, b"554 no\r\n"),
        ]),
    );
    // The 220 came when a command waited: it answered the HELO, so the
    // banner is never seen and every later command is flagged again.
    assert_eq!(
        events,
        [
            "NO_SERVER_WELCOME_MESSAGE",
            "NO_SERVER_WELCOME_MESSAGE",
            "NO_SERVER_WELCOME_MESSAGE",
            "DUPLICATE_FIELDS",
            "NO_SERVER_WELCOME_MESSAGE",
            "DATA_COMMAND_REJECTED"
        ]
    );
    assert_eq!(
        recs,
        [(
            "smtp",
            r#"{"smtp":{"helo":"a","mail_from":"<x@y>"},"email":{"status":"HEADER_READY"}}"#
                .to_string()
        )]
    );
}

#[test]
fn invalid_reply_stops_the_parser() {
    let mut p = parser();
    let mut out = ParseOutput::default();
    p.parse(C, b"220 mx\r\n", &mut out);
    p.parse(S, b"HELO a\r\n", &mut out);
    p.parse(C, b"599 what\r\n", &mut out);
    assert_eq!(
        out.events.iter().map(|e| e.name).collect::<Vec<_>>(),
        ["INVALID_REPLY"]
    );
    assert_eq!(out.txs.len(), 1, "logged at the error");
    out.txs.clear();
    p.parse(S, b"MAIL FROM:<a@b>\r\n", &mut out);
    p.finish(&mut out);
    assert!(out.txs.is_empty());
}

#[test]
fn pipelined_commands_after_data_raise_an_event() {
    let (_, events) = run(
        &mut parser(),
        &whole(&[(C, b"220 mx\r\n"), (S, b"HELO a\r\nDATA\r\nNOOP\r\n")]),
    );
    assert_eq!(events, ["INVALID_PIPELINED_SEQUENCE"]);
}

#[test]
fn long_lines_are_cut_and_flagged() {
    let mut line = b"HELO ".to_vec();
    line.extend(std::iter::repeat_n(b'x', LINE_LIMIT + 10));
    line.extend_from_slice(b"\r\nMAIL FROM:<a@b>\r\n");
    let (recs, events) = run(
        &mut parser(),
        &[
            (C, vec![b"220 mx\r\n"]),
            (S, vec![&line[..3000], &line[3000..]]),
        ],
    );
    assert_eq!(events, ["TRUNCATED_LINE"]);
    // The helo is the cut line's argument; the rest of the data went with
    // the cut.
    let helo_len = LINE_LIMIT - 5;
    assert_eq!(
        recs,
        [(
            "smtp",
            format!(r#"{{"smtp":{{"helo":"{}"}}}}"#, "x".repeat(helo_len))
        )]
    );
}

#[test]
fn bdat_chunks_are_counted() {
    let (_, events) = run(
        &mut parser(),
        &whole(&[(C, b"220 mx\r\n"), (S, b"BDAT 4\r\nabcdefgh\r\n")]),
    );
    assert_eq!(events, ["BDAT_CHUNK_LEN_EXCEEDED"]);
    assert_eq!(SmtpParser::bdat_size(b"BDAT 12 LAST"), Some(12));
    assert_eq!(SmtpParser::bdat_size(b"BDAT x"), None);
    assert_eq!(SmtpParser::bdat_size(b"BDAT"), None);
    assert_eq!(SmtpParser::bdat_size(b"BDAT -1"), Some(0xffff_ffff));
}

#[test]
fn second_data_before_the_first_ended_starts_a_new_transaction() {
    let (recs, events) = run(
        &mut parser(),
        &whole(&[
            (C, b"220 mx\r\n"),
            (S, b"MAIL FROM:<a@b>\r\n"),
            (C, b"250 ok\r\n"),
            (S, b"DATA\r\n"),
            (C, b"554 no\r\n"),
            (S, b"DATA\r\n"),
        ]),
    );
    assert_eq!(events, ["DATA_COMMAND_REJECTED", "UNPARSABLE_CONTENT"]);
    assert_eq!(recs.len(), 2);
    assert_eq!(
        recs[0].1,
        r#"{"smtp":{"mail_from":"<a@b>"},"email":{"status":"PARSE_ERROR"}}"#
    );
}

#[test]
fn recipients_and_open_transactions_are_bounded() {
    let mut rcpts = Vec::new();
    for i in 0..(MAX_RCPT + 20) {
        rcpts.extend_from_slice(format!("RCPT TO:<r{i}@x>\r\n").as_bytes());
    }
    let mut p = parser();
    let mut out = ParseOutput::default();
    p.parse(C, b"220 mx\r\n", &mut out);
    p.parse(S, &rcpts, &mut out);
    p.finish(&mut out);
    let tx = &out.txs[0];
    let mut n = 0;
    tx.buffers("smtp.rcpt_to", &mut |_| n += 1);
    assert_eq!(n, MAX_RCPT);

    // DATA after DATA opens a transaction each time; none ends.
    let mut p = parser();
    let mut out = ParseOutput::default();
    p.parse(S, &b"DATA\r\n".repeat(MAX_OPEN_TX + 5), &mut out);
    assert_eq!(
        out.txs.len(),
        MAX_OPEN_TX,
        "stopped and logged at the bound"
    );
}

#[test]
fn both_streams_ending_logs_open_transactions() {
    let mut p = parser();
    let mut out = ParseOutput::default();
    p.parse(S, b"HELO a\r\n", &mut out);
    p.close(S, &mut out);
    assert!(out.txs.is_empty());
    p.close(C, &mut out);
    assert_eq!(out.txs.len(), 1);
}

#[test]
fn gap_stops_the_parser() {
    let mut p = parser();
    let mut out = ParseOutput::default();
    p.parse(S, b"HELO a\r\n", &mut out);
    p.gap(S, 10, &mut out);
    assert_eq!(out.txs.len(), 1);
    p.parse(S, b"MAIL FROM:<a@b>\r\n", &mut out);
    p.finish(&mut out);
    assert_eq!(out.txs.len(), 1);
}

#[test]
fn non_utf8_fields_are_left_out_as_suricata_leaves_them() {
    let (recs, _) = run(
        &mut parser(),
        &whole(&[
            (C, b"220 mx\r\n"),
            (S, b"HELO \xff\xfe\r\nMAIL FROM:<a\x00b>\r\n"),
        ]),
    );
    assert_eq!(recs[0].1, r#"{"smtp":{"mail_from":"<a"}}"#);
}

#[test]
fn probes_follow_suricata_patterns() {
    use crate::Probe::*;
    assert_eq!(probe(S, b"EHLO x"), Match);
    assert_eq!(probe(S, b"helo"), Match);
    assert_eq!(probe(S, b"QU"), NeedMore);
    assert_eq!(probe(S, b"MAIL FROM"), NoMatch);
    assert_eq!(probe(C, b"220 mx ESMTP"), NoMatch);
}

#[test]
fn file_data_is_to_server_and_multi_valued() {
    let (_, _) = run(&mut parser(), &whole(&session()));
    let mut p = parser();
    let mut out = ParseOutput::default();
    for (d, m) in session() {
        p.parse(d, m, &mut out);
    }
    let tx = out.txs.iter().find(|t| t.event_type() == "smtp").unwrap();
    let mut files = Vec::new();
    tx.buffers("file.data", &mut |b| files.push(b.to_vec()));
    assert_eq!(
        files,
        [b"ABCDEF".to_vec(), b"line one\r\nline two".to_vec()]
    );
    let mut names = Vec::new();
    tx.buffers("file.name", &mut |b| names.push(b.to_vec()));
    assert_eq!(names, [b"a.bin".to_vec(), b"raw.txt".to_vec()]);
    assert_eq!(tx.buffer("smtp.helo"), Some(&b"client.example"[..]));
    assert_eq!(tx.buffer("smtp.mail_from"), Some(&b"<a@example.org>"[..]));
}

// The MIME decoder.

fn decode(msg: &[u8], config: MimeConfig) -> (MimeParser, Vec<Chunk>) {
    let mut m = MimeParser::new(config);
    let mut chunks = Vec::new();
    let mut rest = msg;
    while !rest.is_empty() {
        let end = rest
            .iter()
            .position(|&b| b == b'\n')
            .map_or(rest.len(), |i| i + 1);
        let (line, after) = rest.split_at(end);
        let delim = if line.ends_with(b"\r\n") {
            2
        } else {
            usize::from(line.ends_with(b"\n"))
        };
        let _ = m.parse_line(line, delim);
        chunks.extend(m.take_chunks());
        rest = after;
    }
    let _ = m.complete();
    chunks.extend(m.take_chunks());
    (m, chunks)
}

fn file_of(chunks: &[Chunk], name: &[u8]) -> Vec<u8> {
    chunks
        .iter()
        .filter(|c| c.attachment.as_deref() == Some(name))
        .flat_map(|c| c.data.clone())
        .collect()
}

#[test]
fn header_tokens_with_quotes_escapes_and_rfc2231_sections() {
    let t = |h: &[u8], n: &[u8]| find_header_token(h, n);
    assert_eq!(
        t(b"attachment; filename=test;", b"filename"),
        Some(b"test".to_vec())
    );
    assert_eq!(
        t(b"attachment; filename=\"a b\";", b"filename"),
        Some(b"a b".to_vec())
    );
    assert_eq!(
        t(b"attachment; filename=\"te\\\"st\";", b"filename"),
        Some(b"te\\\"st".to_vec())
    );
    assert_eq!(
        t(
            b"attachment; dummy=\"filename=wrong\"; filename=real;",
            b"filename"
        ),
        Some(b"real".to_vec())
    );
    assert_eq!(
        t(b"attachment; notafilename=x; filename=good", b"filename"),
        Some(b"good".to_vec())
    );
    assert_eq!(
        t(
            b"attachment; filename*1=456; filename*0=\"123\"",
            b"filename"
        ),
        Some(b"123456".to_vec())
    );
    assert_eq!(t(b"attachment", b"filename"), None);
    assert_eq!(
        t(b"text/plain; name=x.txt", b"name"),
        Some(b"x.txt".to_vec())
    );
}

#[test]
fn quoted_printable_and_raw_attachments_decode_as_suricata_does() {
    let msg = b"Content-Type: multipart/mixed; boundary=BB\r\n\r\n\
--BB\r\nContent-Transfer-Encoding: quoted-printable\r\nContent-Disposition: attachment; filename=q\r\n\r\n\
ABC\r\n\r\nDEF=\r\nGHI=41\r\n\r\n\
--BB\r\nContent-Disposition: attachment; filename=r\r\n\r\n\
ABC\r\n\r\n\
--BB--\r\n";
    let (m, chunks) = decode(msg, MimeConfig::default());
    assert_eq!(file_of(&chunks, b"q"), b"ABC\r\n\r\nDEFGHIA\r\n\r\n");
    // A raw attachment leaves out the line end before the boundary.
    assert_eq!(file_of(&chunks, b"r"), b"ABC\r\n");
    assert_eq!(m.state(), MimeState::ParseDone);
}

#[test]
fn base64_remainders_span_lines_and_skip_foreign_characters() {
    let msg = b"Content-Transfer-Encoding: base64\r\nContent-Disposition: attachment; filename=b\r\n\r\nQU\r\nJD R\r\n!E*VG\r\n";
    let (_, chunks) = decode(msg, MimeConfig::default());
    assert_eq!(file_of(&chunks, b"b"), b"ABCDEF");
}

#[test]
fn urls_from_text_parts_newest_first_with_flags() {
    let msg = b"Content-Type: text/plain\r\n\r\nsee http://Example.COM/a.exe now\r\nhttp://1.2.3.4/x and http://::1/y\r\n";
    let (m, _) = decode(msg, MimeConfig::default());
    let urls: Vec<_> = m
        .message()
        .urls
        .iter()
        .map(|u| (u.url.clone(), u.flags))
        .collect();
    assert_eq!(
        urls,
        [
            (b"example.com/a.exe".to_vec(), url_flags::EXE),
            (b"1.2.3.4/x".to_vec(), url_flags::IP4),
            (b"::1/y".to_vec(), url_flags::IP6),
        ]
    );
    let e = email_of(&m, &LogConfig::default()).unwrap();
    // Suricata 7.0.10 reports an IPv4 URL as has_ipv6_url.
    assert_eq!(e.url_flags, Some((true, false, true)));
    assert_eq!(e.urls, ["::1/y", "1.2.3.4/x", "example.com/a.exe"]);
}

#[test]
fn headers_fold_and_are_bounded() {
    let mut msg = b"Subject: one\r\n two\r\nX-Long: ".to_vec();
    msg.extend(std::iter::repeat_n(b'v', 3000));
    msg.extend_from_slice(b"\r\n");
    msg.extend(std::iter::repeat_n(b'N', 80));
    msg.extend_from_slice(b": v\r\n\r\nbody\r\n");
    let (m, _) = decode(&msg, MimeConfig::default());
    let e = m.message();
    assert_eq!(e.field(b"subject"), Some(&b"one two"[..]));
    assert_eq!(e.field(b"x-long").map(<[u8]>::len), Some(2000));
    assert_ne!(e.anomalies & anom::LONG_HEADER_VALUE, 0);
    assert_ne!(e.anomalies & anom::LONG_HEADER_NAME, 0);
}

#[test]
fn unclosed_parts_are_malformed_and_nested_attachments_not_listed() {
    let msg = b"Content-Type: multipart/mixed; boundary=BB\r\n\r\n\
--BB\r\nContent-Type: multipart/alternative; boundary=CC\r\n\r\n\
--CC\r\nContent-Type: application/pdf; name=in.pdf\r\n\r\nPDF\r\n--CC--\r\n\
--BB\r\nContent-Type: text/plain; name=outer.txt\r\n\r\nx\r\n";
    let (m, chunks) = decode(msg, MimeConfig::default());
    assert_ne!(m.message().anomalies & anom::MALFORMED_MSG, 0);
    assert_eq!(file_of(&chunks, b"in.pdf"), b"PDF");
    // Logged from the entity on top of the stack: the unclosed part.
    let e = email_of(&m, &LogConfig::default()).unwrap();
    assert!(e.attachments.is_empty());
}

#[test]
fn body_md5_covers_every_line_after_the_message_headers() {
    let cfg = MimeConfig {
        body_md5: true,
        ..MimeConfig::default()
    };
    let msg =
        b"Content-Type: multipart/mixed; boundary=BB\r\n\r\n--BB\r\nX: y\r\n\r\nz\r\n--BB--\r\n";
    let (m, _) = decode(msg, cfg);
    let want: [u8; 16] = Md5::digest(b"--BB\r\nX: y\r\n\r\nz\r\n--BB--\r\n").into();
    assert_eq!(m.body_md5(), Some(want));
}

#[test]
fn long_boundary_is_a_parse_error() {
    let mut msg = b"Content-Type: multipart/mixed; boundary=".to_vec();
    msg.extend(std::iter::repeat_n(b'b', 300));
    msg.extend_from_slice(b"\r\n\r\nx\r\n");
    let (m, _) = decode(&msg, MimeConfig::default());
    assert_eq!(m.state(), MimeState::ParseError);
}
