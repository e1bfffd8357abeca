//! Unit tests with hand-built messages. Expected records are what Suricata
//! 7.0.10 writes for the same messages (checked against the reference).

use super::*;

/// Encodes a dotted name as labels.
fn name(n: &str) -> Vec<u8> {
    let mut v = Vec::new();
    for l in n.split('.').filter(|l| !l.is_empty()) {
        v.push(l.len() as u8);
        v.extend_from_slice(l.as_bytes());
    }
    v.push(0);
    v
}

fn hdr(id: u16, flags: u16, qd: u16, an: u16, ns: u16, ar: u16) -> Vec<u8> {
    [id, flags, qd, an, ns, ar]
        .iter()
        .flat_map(|x| x.to_be_bytes())
        .collect()
}

fn question(n: &[u8], t: u16) -> Vec<u8> {
    let mut v = n.to_vec();
    v.extend_from_slice(&t.to_be_bytes());
    v.extend_from_slice(&1u16.to_be_bytes());
    v
}

fn rr(n: &[u8], t: u16, ttl: u32, rdata: &[u8]) -> Vec<u8> {
    let mut v = n.to_vec();
    v.extend_from_slice(&t.to_be_bytes());
    v.extend_from_slice(&1u16.to_be_bytes());
    v.extend_from_slice(&ttl.to_be_bytes());
    v.extend_from_slice(&(rdata.len() as u16).to_be_bytes());
    v.extend_from_slice(rdata);
    v
}

const PTR: &[u8] = &[0xc0, 0x0c];

fn query(id: u16, n: &str, t: u16) -> Vec<u8> {
    let mut m = hdr(id, 0x0100, 1, 0, 0, 0);
    m.extend(question(&name(n), t));
    m
}

fn response_a(id: u16, n: &str, addrs: &[[u8; 4]]) -> Vec<u8> {
    let mut m = hdr(id, 0x8180, 1, addrs.len() as u16, 0, 0);
    m.extend(question(&name(n), 1));
    for a in addrs {
        m.extend(rr(PTR, 1, 60, a));
    }
    m
}

fn tcp_frame(m: &[u8]) -> Vec<u8> {
    let mut v = (m.len() as u16).to_be_bytes().to_vec();
    v.extend_from_slice(m);
    v
}

fn eve(tx: &dyn Transaction) -> String {
    let mut buf = Vec::new();
    let mut w = JsonWriter::new(&mut buf);
    w.open_object();
    tx.write_eve(&mut w);
    w.close_object();
    String::from_utf8(buf).unwrap()
}

fn records(out: &ParseOutput) -> Vec<String> {
    out.txs.iter().map(|t| eve(t.as_ref())).collect()
}

fn events(out: &ParseOutput) -> Vec<(&'static str, Option<u64>)> {
    out.events.iter().map(|e| (e.name, e.tx_id)).collect()
}

fn feed(p: &mut DnsParser, dir: Direction, data: &[u8]) -> ParseOutput {
    let mut out = ParseOutput::default();
    p.parse(dir, data, &mut out);
    out
}

#[test]
fn udp_query_and_answer_records() {
    let mut p = DnsParser::new(Transport::Udp);
    let out = feed(
        &mut p,
        Direction::ToServer,
        &query(36146, "www.suricata-ids.org", 1),
    );
    assert_eq!(
        records(&out),
        [
            r#"{"dns":{"version":2,"type":"query","id":36146,"rrname":"www.suricata-ids.org","rrtype":"A","tx_id":0,"opcode":0}}"#
        ]
    );
    let q = &out.txs[0];
    assert!(!q.logs_tx_id());
    assert_eq!(q.tx_id(), Some(0));
    assert_eq!(q.log_direction(), Direction::ToServer);
    assert_eq!(q.buffer("dns.query"), Some(&b"www.suricata-ids.org"[..]));
    let mut op = Vec::new();
    q.uints("dns.opcode", &mut |v| op.push(v));
    assert_eq!(op, [0]);

    // CNAME + two A, as the cond-log-dns-dig capture.
    let mut m = hdr(36146, 0x81a0, 1, 3, 0, 0);
    m.extend(question(&name("www.suricata-ids.org"), 1));
    let cname_at = m.len() + 12;
    m.extend(rr(PTR, 5, 3544, &name("suricata-ids.org")));
    let ptr2 = [0xc0, cname_at as u8];
    m.extend(rr(&ptr2, 1, 244, &[192, 0, 78, 24]));
    m.extend(rr(&ptr2, 1, 244, &[192, 0, 78, 25]));
    let out = feed(&mut p, Direction::ToClient, &m);
    assert!(out.events.is_empty());
    assert_eq!(
        records(&out),
        [concat!(
            r#"{"dns":{"version":2,"type":"answer","id":36146,"flags":"81a0","qr":true,"rd":true,"ra":true,"opcode":0,"#,
            r#""rrname":"www.suricata-ids.org","rrtype":"A","rcode":"NOERROR","answers":["#,
            r#"{"rrname":"www.suricata-ids.org","rrtype":"CNAME","ttl":3544,"rdata":"suricata-ids.org"},"#,
            r#"{"rrname":"suricata-ids.org","rrtype":"A","ttl":244,"rdata":"192.0.78.24"},"#,
            r#"{"rrname":"suricata-ids.org","rrtype":"A","ttl":244,"rdata":"192.0.78.25"}],"#,
            r#""grouped":{"CNAME":["suricata-ids.org"],"A":["192.0.78.24","192.0.78.25"]}}}"#
        )]
    );
    let a = &out.txs[0];
    assert_eq!(a.tx_id(), Some(1));
    let mut names = Vec::new();
    a.buffers("dns.answer.name", &mut |b| names.push(b.to_vec()));
    assert_eq!(names.len(), 3);
    let mut rc = Vec::new();
    a.uints("dns.rcode", &mut |v| rc.push(v));
    assert_eq!(rc, [0]);
}

#[test]
fn record_types_as_suricata_prints_them() {
    let cases: Vec<(u16, Vec<u8>, &str, &str)> = vec![
        (
            28,
            (0u8..16).collect(),
            r#""rdata":"0001:0203:0405:0607:0809:0a0b:0c0d:0e0f""#,
            r#""AAAA":["0001:0203:0405:0607:0809:0a0b:0c0d:0e0f"]"#,
        ),
        (
            15,
            [&[0, 10][..], &name("mx.example")].concat(),
            r#""rdata":"mx.example""#,
            r#""MX":["mx.example"]"#,
        ),
        (
            2,
            name("ns.example"),
            r#""rdata":"ns.example""#,
            r#""NS":["ns.example"]"#,
        ),
        (
            12,
            name("ptr.example"),
            r#""rdata":"ptr.example""#,
            r#""PTR":["ptr.example"]"#,
        ),
        (
            6,
            [
                name("m.example"),
                name("r.example"),
                [0, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0, 3, 0, 0, 0, 4, 0, 0, 0, 5].to_vec(),
            ]
            .concat(),
            r#""soa":{"mname":"m.example","rname":"r.example","serial":1,"refresh":2,"retry":3,"expire":4,"minimum":5}"#,
            r#""SOA":[{"mname":"m.example","rname":"r.example","serial":1,"refresh":2,"retry":3,"expire":4,"minimum":5}]"#,
        ),
        (
            33,
            [&[0, 1, 0, 2, 0x13, 0xc4][..], &name("sip.example")].concat(),
            r#""srv":{"priority":1,"weight":2,"port":5060,"name":"sip.example"}"#,
            r#""SRV":[{"priority":1,"weight":2,"port":5060,"name":"sip.example"}]"#,
        ),
        (
            10,
            b"\x00\x01\xffnull".to_vec(),
            r#""rdata":"\u0000\u0001\\xffnull""#,
            r#""NULL":["\u0000\u0001\\xffnull"]"#,
        ),
        (
            44,
            [&[1, 2][..], &(0u8..4).collect::<Vec<_>>()].concat(),
            r#""sshfp":{"fingerprint":"00:01:02:03","algo":1,"type":2}"#,
            r#""SSHFP":[{"fingerprint":"00:01:02:03","algo":1,"type":2}]"#,
        ),
        (65, vec![0, 1, 0], "", ""),
        (99, b"\x04spf1".to_vec(), "", ""),
        (1, vec![1, 2, 3], r#""rdata":"""#, r#""A":[""]"#),
        (
            5,
            [name("cname.example"), b"extra".to_vec()].concat(),
            r#""rdata":"cname.example""#,
            r#""CNAME":["cname.example"]"#,
        ),
    ];
    for (t, rdata, detail, grouped) in cases {
        let mut m = hdr(1, 0x8180, 1, 1, 0, 0);
        m.extend(question(&name("t.example"), 255));
        m.extend(rr(PTR, t, 7, &rdata));
        let mut p = DnsParser::new(Transport::Udp);
        let out = feed(&mut p, Direction::ToClient, &m);
        let tname = eve::rrtype_string(t);
        let sep = if detail.is_empty() { "" } else { "," };
        let expect = format!(
            concat!(
                r#"{{"dns":{{"version":2,"type":"answer","id":1,"flags":"8180","qr":true,"rd":true,"ra":true,"opcode":0,"#,
                r#""rrname":"t.example","rrtype":"ANY","rcode":"NOERROR","answers":[{{"rrname":"t.example","rrtype":"{}","ttl":7{}{}}}],"#,
                r#""grouped":{{{}}}}}}}"#
            ),
            tname, sep, detail, grouped
        );
        assert_eq!(records(&out), [expect], "type {t}");
    }
}

#[test]
fn txt_strings_are_separate_answers() {
    let mut m = hdr(2, 0x8180, 1, 2, 0, 0);
    m.extend(question(&name("t.x"), 16));
    m.extend(rr(PTR, 16, 18, b"\x05hello\x05world\x00"));
    // A string running past the data ends the list.
    m.extend(rr(PTR, 16, 19, b"\x02ok\x05wor"));
    let mut p = DnsParser::new(Transport::Udp);
    let out = feed(&mut p, Direction::ToClient, &m);
    assert_eq!(
        records(&out),
        [concat!(
            r#"{"dns":{"version":2,"type":"answer","id":2,"flags":"8180","qr":true,"rd":true,"ra":true,"opcode":0,"#,
            r#""rrname":"t.x","rrtype":"TXT","rcode":"NOERROR","answers":["#,
            r#"{"rrname":"t.x","rrtype":"TXT","ttl":18,"rdata":"hello"},"#,
            r#"{"rrname":"t.x","rrtype":"TXT","ttl":18,"rdata":"world"},"#,
            r#"{"rrname":"t.x","rrtype":"TXT","ttl":18,"rdata":""},"#,
            r#"{"rrname":"t.x","rrtype":"TXT","ttl":19,"rdata":"ok"}],"#,
            r#""grouped":{"TXT":["hello","world","","ok"]}}}"#
        )]
    );
}

#[test]
fn nxdomain_with_soa_authority_and_flags() {
    let mut m = hdr(3, 0x8583, 1, 0, 1, 0);
    m.extend(question(&name("nx.example"), 1));
    let soa = [
        name("ns1.example"),
        name("host.example"),
        [
            0, 0, 7, 0xe4, 0, 0, 0x1c, 0x20, 0, 0, 0x0e, 0x10, 0, 0x12, 0x75, 0, 0, 0, 1, 0x2c,
        ]
        .to_vec(),
    ]
    .concat();
    // "example" of the question, by pointer.
    m.extend(rr(&[0xc0, 0x0f], 6, 900, &soa));
    let mut p = DnsParser::new(Transport::Udp);
    let out = feed(&mut p, Direction::ToClient, &m);
    assert_eq!(
        records(&out),
        [concat!(
            r#"{"dns":{"version":2,"type":"answer","id":3,"flags":"8583","qr":true,"aa":true,"rd":true,"ra":true,"opcode":0,"#,
            r#""rrname":"nx.example","rrtype":"A","rcode":"NXDOMAIN","authorities":[{"rrname":"example","rrtype":"SOA","ttl":900,"#,
            r#""soa":{"mname":"ns1.example","rname":"host.example","serial":2020,"refresh":7200,"retry":3600,"expire":1209600,"minimum":300}}]}}"#
        )]
    );
    // Unnamed rcode and rrtype print as numbers; tc/aa flags.
    let mut m = hdr(7, 0x860f, 1, 0, 0, 0);
    m.extend(question(&name("r.example"), 1234));
    let out = feed(&mut p, Direction::ToClient, &m);
    assert_eq!(
        records(&out),
        [
            r#"{"dns":{"version":2,"type":"answer","id":7,"flags":"860f","qr":true,"aa":true,"tc":true,"opcode":0,"rrname":"r.example","rrtype":"1234","rcode":"15"}}"#
        ]
    );
}

#[test]
fn names_that_are_not_utf8() {
    let mut q = hdr(9, 0x0100, 1, 0, 0, 0);
    q.extend(question(b"\x03a\xff\x01\x02b\"\x00", 1));
    let mut p = DnsParser::new(Transport::Udp);
    let out = feed(&mut p, Direction::ToServer, &q);
    assert_eq!(
        records(&out),
        [
            r#"{"dns":{"version":2,"type":"query","id":9,"rrname":"a\\xff\u0001.b\"","rrtype":"A","tx_id":0,"opcode":0}}"#
        ]
    );
}

#[test]
fn several_questions_give_several_query_records() {
    let mut m = hdr(7, 0x0100, 2, 0, 0, 0);
    m.extend(question(&name("q1.example"), 1));
    m.extend(question(&name("q2.example"), 28));
    let mut p = DnsParser::new(Transport::Udp);
    let out = feed(&mut p, Direction::ToServer, &m);
    let r = records(&out);
    assert_eq!(r.len(), 2);
    assert!(r[0].contains(r#""rrname":"q1.example","rrtype":"A","tx_id":0"#));
    assert!(r[1].contains(r#""rrname":"q2.example","rrtype":"AAAA","tx_id":0"#));
    // No question: a transaction (it takes an id) but no record.
    let out = feed(&mut p, Direction::ToServer, &hdr(8, 0x0100, 0, 0, 0, 0));
    assert!(out.is_empty());
    let out = feed(&mut p, Direction::ToClient, &hdr(8, 0x8183, 0, 0, 0, 0));
    assert!(out.is_empty());
    let out = feed(&mut p, Direction::ToServer, &query(9, "n.example", 1));
    assert_eq!(out.txs[0].tx_id(), Some(3));
}

#[test]
fn header_flag_anomalies() {
    let mut p = DnsParser::new(Transport::Udp);
    // Z flag on a query.
    let mut m = hdr(1, 0x0140, 1, 0, 0, 0);
    m.extend(question(&name("z.example"), 1));
    let out = feed(&mut p, Direction::ToServer, &m);
    assert_eq!(events(&out), [("z_flag_set", Some(0))]);
    assert!(records(&out)[0].ends_with(r#""tx_id":0,"z":true,"opcode":0}}"#));
    // Opcode 7.
    let mut m = hdr(2, 0x3900, 1, 0, 0, 0);
    m.extend(question(&name("o.example"), 1));
    let out = feed(&mut p, Direction::ToServer, &m);
    assert_eq!(events(&out), [("invalid_opcode", Some(1))]);
    assert!(records(&out)[0].ends_with(r#""opcode":7}}"#));
    // Response with z and opcode 8.
    let mut m = hdr(2, 0xc1c0, 1, 0, 0, 0);
    m.extend(question(&name("o.example"), 1));
    let out = feed(&mut p, Direction::ToClient, &m);
    assert_eq!(
        events(&out),
        [("z_flag_set", Some(2)), ("invalid_opcode", Some(2))]
    );
    assert!(
        records(&out)[0]
            .contains(r#""flags":"c1c0","qr":true,"rd":true,"ra":true,"z":true,"opcode":8"#)
    );
}

#[test]
fn role_errors_over_udp() {
    let mut p = DnsParser::new(Transport::Udp);
    feed(&mut p, Direction::ToServer, &query(1, "a.example", 1));
    feed(
        &mut p,
        Direction::ToClient,
        &response_a(1, "a.example", &[[1; 4]]),
    );
    // A response sent to the server: not read; its anomaly would belong to
    // an already logged transaction, so it is not logged either.
    let out = feed(
        &mut p,
        Direction::ToServer,
        &response_a(2, "b.example", &[]),
    );
    assert!(out.is_empty());
    // A request sent to the client (after the first datagram from the
    // server): read as a response, logged as an answer.
    let out = feed(&mut p, Direction::ToClient, &query(3, "c.example", 1));
    assert!(out.events.is_empty());
    assert_eq!(
        records(&out),
        [
            r#"{"dns":{"version":2,"type":"answer","id":3,"flags":"100","rd":true,"opcode":0,"rrname":"c.example","rrtype":"A","rcode":"NOERROR"}}"#
        ]
    );
    // Malformed: nothing, and the parser goes on.
    assert!(feed(&mut p, Direction::ToServer, &query(4, "d.example", 1)[..20]).is_empty());
    let out = feed(&mut p, Direction::ToServer, &query(5, "e.example", 1));
    assert_eq!(out.txs[0].tx_id(), Some(3));
}

#[test]
fn udp_flow_turned_around() {
    // First datagram from the server's side is a request: Suricata turns
    // the flow around; the records then name the other side as client.
    let mut p = DnsParser::new(Transport::Udp);
    feed(&mut p, Direction::ToServer, &query(1, "i1.x", 1));
    let out = feed(&mut p, Direction::ToClient, &query(1, "i2.x", 1));
    assert_eq!(out.txs[0].log_direction(), Direction::ToClient);
    assert!(records(&out)[0].contains(r#""type":"query""#));
    // Now the server's responses are "to the server": dropped.
    assert!(
        feed(
            &mut p,
            Direction::ToClient,
            &response_a(1, "i3.x", &[[1; 4]])
        )
        .is_empty()
    );
    // And the client's requests are read as responses.
    let out = feed(&mut p, Direction::ToServer, &query(2, "i4.x", 1));
    assert!(records(&out)[0].contains(r#""type":"answer""#));
    assert_eq!(out.txs[0].log_direction(), Direction::ToClient);

    // A flow whose first datagram is a response (to port 53).
    let mut p = DnsParser::new(Transport::Udp);
    let out = feed(
        &mut p,
        Direction::ToServer,
        &response_a(1, "r.x", &[[5; 4]]),
    );
    assert!(records(&out)[0].contains(r#""type":"answer""#));
    assert_eq!(out.txs[0].log_direction(), Direction::ToClient);
    let out = feed(&mut p, Direction::ToClient, &query(2, "q.x", 1));
    assert!(records(&out)[0].contains(r#""type":"query""#));
    assert_eq!(out.txs[0].log_direction(), Direction::ToClient);
}

#[test]
fn long_names_are_truncated() {
    let long = vec!["a".repeat(63); 20].join(".");
    let mut m = hdr(1, 0x0100, 1, 0, 0, 0);
    m.extend(question(&name(&long), 1));
    let mut p = DnsParser::new(Transport::Udp);
    let out = feed(&mut p, Direction::ToServer, &m);
    assert_eq!(events(&out), [("name_too_long", Some(0))]);
    let r = &records(&out)[0];
    let kept = &long[..MAX_LEN];
    assert!(r.contains(&format!(
        r#""rrname":"{kept}","rrname_truncated":true,"rrtype":"A""#
    )));
    // In RDATA: rdata_truncated (not in grouped); SOA names have their
    // own flags.
    let mut m = hdr(1, 0x8180, 1, 2, 0, 0);
    m.extend(question(&name("t.x"), 1));
    m.extend(rr(PTR, 5, 1, &name(&long)));
    m.extend(rr(
        PTR,
        6,
        2,
        &[name(&long), name("r.x"), vec![0; 20]].concat(),
    ));
    let out = feed(&mut p, Direction::ToClient, &m);
    assert_eq!(events(&out), [("name_too_long", Some(1))]);
    let r = &records(&out)[0];
    assert!(r.contains(&format!(r#""rdata":"{kept}","rdata_truncated":true}}"#)));
    assert!(r.contains(&format!(r#""CNAME":["{kept}"]"#)));
    assert!(r.contains(&format!(
        r#""mname":"{kept}","mname_truncated":true,"rname":"r.x""#
    )));
}

const MAX_LEN: usize = wire::MAX_NAME_LEN;

#[test]
fn compression_loops() {
    let mut p = DnsParser::new(Transport::Udp);
    // A question that points at itself: invalid, nothing logged.
    let mut m = hdr(10, 0x0100, 1, 0, 0, 0);
    m.extend_from_slice(&[0xc0, 0x0c, 0, 1, 0, 1]);
    assert!(feed(&mut p, Direction::ToServer, &m).is_empty());
    assert_eq!(probe_udp(Direction::ToServer, &m), Probe::NoMatch);
    // A label followed by a pointer back to it: x.x.x... up to the step
    // limit (128 labels), flagged too long and too many labels.
    let mut m = hdr(5, 0x8180, 1, 1, 0, 0);
    m.extend(question(&name("sp.example"), 1));
    let at = m.len() as u16;
    m.extend_from_slice(&[1, b'x']);
    m.extend_from_slice(&(0xc000 | at).to_be_bytes());
    m.extend_from_slice(&[0, 1, 0, 1, 0, 0, 0, 5, 0, 4, 9, 9, 9, 8]);
    let out = feed(&mut p, Direction::ToClient, &m);
    assert_eq!(
        events(&out),
        [("name_too_long", Some(0)), ("too_many_labels", Some(0))]
    );
    let looped = vec!["x"; 128].join(".");
    assert!(records(&out)[0].contains(&format!(
        r#""answers":[{{"rrname":"{looped}","rrname_truncated":true,"rrtype":"A","ttl":5,"rdata":"9.9.9.8"}}]"#
    )));
    // Pointer to a pointer that points at itself: the second pointer is a
    // self-reference after a pointer was followed (infinite_loop, the name
    // ends there).
    let mut m = hdr(6, 0x8180, 1, 1, 0, 0);
    m.extend(question(&name("il.example"), 1));
    let at = m.len() as u16;
    // Record name: pointer to `at + 2`, where a pointer to itself sits;
    // the record's fixed fields follow the first pointer.
    m.extend_from_slice(&(0xc000 | (at + 2)).to_be_bytes());
    m.extend_from_slice(&(0xc000 | (at + 2)).to_be_bytes());
    // The self pointer was read as the type (0xc0..): the rest follows.
    m.extend_from_slice(&[0, 1, 0, 0, 0, 5, 0, 1, 7]);
    let out = feed(&mut p, Direction::ToClient, &m);
    assert_eq!(events(&out), [("infinite_loop", Some(1))]);
}

#[test]
fn invalid_rdata_fails_the_message() {
    let mut p = DnsParser::new(Transport::Udp);
    for (t, rdata) in [
        (1u16, &b""[..]),
        (16, b""),
        (15, b"\x00"),
        (33, b"\x00\x01"),
        (44, b"\x01"),
        (5, b"\xc0"),
        (6, b"\x01m\x00\x00\x00"),
    ] {
        let mut m = hdr(1, 0x8180, 1, 1, 0, 0);
        m.extend(question(&name("t.x"), 1));
        m.extend(rr(PTR, t, 1, rdata));
        assert!(
            feed(&mut p, Direction::ToClient, &m).is_empty(),
            "type {t} rdata {rdata:?}"
        );
    }
}

#[test]
fn tcp_messages_split_at_every_byte() {
    let q1 = query(11, "t1.example", 1);
    let q2 = query(12, "t2.example", 28);
    let stream: Vec<u8> = [tcp_frame(&q1), vec![0, 0], tcp_frame(&q2)].concat();
    let expect = {
        let mut p = DnsParser::new(Transport::Tcp);
        records(&feed(&mut p, Direction::ToServer, &stream))
    };
    assert_eq!(expect.len(), 2);
    for cut in 0..=stream.len() {
        let mut p = DnsParser::new(Transport::Tcp);
        let mut got = records(&feed(&mut p, Direction::ToServer, &stream[..cut]));
        got.extend(records(&feed(&mut p, Direction::ToServer, &stream[cut..])));
        assert_eq!(got, expect, "cut at {cut}");
    }
    // Byte by byte.
    let mut p = DnsParser::new(Transport::Tcp);
    let mut got = Vec::new();
    for b in &stream {
        got.extend(records(&feed(&mut p, Direction::ToServer, &[*b])));
    }
    assert_eq!(got, expect);
    // Responses in one segment; ids go on across directions.
    let r = [
        tcp_frame(&response_a(11, "t1.example", &[[1, 2, 3, 4]])),
        tcp_frame(&response_a(12, "t2.example", &[])),
    ]
    .concat();
    let out = feed(&mut p, Direction::ToClient, &r);
    let ids: Vec<_> = out.txs.iter().map(|t| t.tx_id()).collect();
    assert_eq!(ids, [Some(2), Some(3)]);
}

#[test]
fn tcp_error_stops_the_flow() {
    let mut p = DnsParser::new(Transport::Tcp);
    let bad = [hdr(99, 0x0100, 1, 0, 0, 0), b"\x05ab".to_vec()].concat();
    // A request, a response sent to the server, then garbage, in one
    // segment: the anomaly joins the request's (still open) transaction.
    let seg = [
        tcp_frame(&query(41, "n1.example", 1)),
        tcp_frame(&response_a(42, "n2.example", &[])),
        tcp_frame(&bad),
    ]
    .concat();
    let out = feed(&mut p, Direction::ToServer, &seg);
    assert_eq!(out.txs.len(), 1);
    assert_eq!(events(&out), [("not_request", Some(0))]);
    // Nothing more is read, in either direction.
    assert!(
        feed(
            &mut p,
            Direction::ToClient,
            &tcp_frame(&response_a(41, "n1.example", &[]))
        )
        .is_empty()
    );
    assert!(feed(&mut p, Direction::ToServer, &tcp_frame(&query(1, "a.b", 1))).is_empty());

    // Malformed message on its own: no anomaly (no open transaction).
    let mut p = DnsParser::new(Transport::Tcp);
    feed(
        &mut p,
        Direction::ToServer,
        &tcp_frame(&query(1, "m1.example", 1)),
    );
    let out = feed(&mut p, Direction::ToServer, &tcp_frame(&bad));
    assert!(out.is_empty());
}

#[test]
fn tcp_gap_resyncs_at_the_next_data() {
    let mut p = DnsParser::new(Transport::Tcp);
    let f = tcp_frame(&query(1, "g.example", 1));
    feed(&mut p, Direction::ToServer, &f[..10]);
    let mut out = ParseOutput::default();
    p.gap(Direction::ToServer, 100, &mut out);
    let out = feed(
        &mut p,
        Direction::ToServer,
        &tcp_frame(&query(2, "h.example", 1)),
    );
    assert_eq!(out.txs.len(), 1);
}

#[test]
fn probes() {
    let q = query(1, "a.example", 1);
    assert_eq!(probe_udp(Direction::ToServer, &q), Probe::Match);
    assert_eq!(probe_udp(Direction::ToServer, &q[..11]), Probe::NoMatch);
    // Header alone (questions cut): still DNS.
    assert_eq!(probe_udp(Direction::ToServer, &q[..20]), Probe::Match);
    // Counts that cannot fit.
    let mut big = hdr(1, 0x0100, 1, 1000, 0, 0);
    big.extend(question(&name("a.example"), 1));
    assert_eq!(probe_udp(Direction::ToServer, &big), Probe::NoMatch);
    let f = tcp_frame(&q);
    assert_eq!(probe_tcp(Direction::ToServer, &f[..13]), Probe::NeedMore);
    assert_eq!(probe_tcp(Direction::ToServer, &f[..14]), Probe::Match);
    assert_eq!(probe_tcp(Direction::ToServer, &f), Probe::Match);
    assert_eq!(
        probe_tcp(
            Direction::ToServer,
            &[0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]
        ),
        Probe::NoMatch
    );
    // Only the start of a long first message: the header alone decides,
    // so anything of 14 bytes passes (as in Suricata; port 53 only).
    assert_eq!(
        probe_tcp(Direction::ToServer, b"GET / HTTP/1.1\r\n\r\n"),
        Probe::Match
    );
}

/// A small deterministic generator for hostile-input tests.
struct Lcg(u64);

impl Lcg {
    fn next(&mut self) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        self.0 >> 33
    }
}

#[test]
fn hostile_input_never_panics() {
    let mut base = response_a(1, "www.example.com", &[[1, 2, 3, 4], [5, 6, 7, 8]]);
    base.extend(rr(PTR, 16, 1, b"\x03abc"));
    let mut rng = Lcg(7);
    for i in 0..20000 {
        let mut m = base.clone();
        let flips = 1 + rng.next() % 4;
        for _ in 0..flips {
            let at = (rng.next() as usize) % m.len();
            m[at] = rng.next() as u8;
        }
        let cut = (rng.next() as usize) % (m.len() + 1);
        m.truncate(if i % 3 == 0 { cut } else { m.len() });
        for t in [Transport::Udp, Transport::Tcp] {
            let mut p = DnsParser::new(t);
            for d in [Direction::ToServer, Direction::ToClient] {
                let data = if t == Transport::Tcp {
                    tcp_frame(&m)
                } else {
                    m.clone()
                };
                let out = feed(&mut p, d, &data);
                for tx in &out.txs {
                    let _ = eve(tx.as_ref());
                }
            }
            let _ = probe_udp(Direction::ToServer, &m);
            let _ = probe_tcp(Direction::ToServer, &m);
        }
    }
}

#[test]
fn hostile_counts_and_sizes_are_bounded() {
    // Header claims 65535 of everything, with nothing behind it.
    let m = hdr(1, 0x8180, 0xffff, 0xffff, 0xffff, 0xffff);
    let mut p = DnsParser::new(Transport::Udp);
    assert!(feed(&mut p, Direction::ToClient, &m).is_empty());
    // A 64 KiB response of records whose names all point at a 1 KiB name:
    // names expand to ~1 KiB each; kept memory stops at the cap.
    let long = vec!["b".repeat(63); 16].join(".");
    let mut m = hdr(1, 0x8180, 1, 0, 0, 0);
    m.extend(question(&name(&long), 1));
    let mut n = 0u16;
    while m.len() + 16 < 65535 {
        m.extend(rr(PTR, 1, 1, &[1, 2, 3, 4]));
        n += 1;
    }
    m[6..8].copy_from_slice(&n.to_be_bytes());
    let out = feed(&mut p, Direction::ToClient, &m);
    assert_eq!(events(&out), [("vigil_message_memcap", Some(0))]);
    let DnsAnswerCount(kept) = answer_count(&out);
    assert!(kept > 100 && kept < usize::from(n), "{kept} of {n}");
    // The same over TCP, in 1000-byte segments.
    let mut p = DnsParser::new(Transport::Tcp);
    let f = tcp_frame(&m[..m.len() - 2]);
    let mut txs = 0;
    for c in f.chunks(1000) {
        txs += feed(&mut p, Direction::ToClient, c).txs.len();
    }
    // (cut short, so the last record is incomplete: malformed, no record)
    assert_eq!(txs, 0);
    // A TCP length prefix alone never grows the buffer past one message.
    let mut p = DnsParser::new(Transport::Tcp);
    feed(&mut p, Direction::ToServer, &[0xff, 0xff]);
    for _ in 0..100 {
        feed(&mut p, Direction::ToServer, &[0u8; 1000]);
    }
    assert!(p.partial[0].len() <= 65537);
}

struct DnsAnswerCount(usize);

fn answer_count(out: &ParseOutput) -> DnsAnswerCount {
    let r = records(out);
    DnsAnswerCount(
        r.first()
            .map_or(0, |s| s.matches(r#""rrtype":"A","ttl""#).count()),
    )
}
