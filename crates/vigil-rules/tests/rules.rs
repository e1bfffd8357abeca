//! Rule parsing: exact AST values per keyword family, exact error messages.

use vigil_rules::*;

fn parse(text: &str) -> Rule {
    match parse_rule(
        text,
        &Vars::suricata_default(),
        &Classifications::suricata_default(),
    ) {
        Ok(p) => p.rule,
        Err(e) => panic!("{text}: {e}"),
    }
}

fn opts(body: &str) -> Vec<RuleOption> {
    let r = parse(&format!("alert tcp any any -> any any ({body} sid:1;)"));
    r.options
        .into_iter()
        .filter(|o| !matches!(o, RuleOption::Sid(_)))
        .collect()
}

/// The error for a one-rule file, as displayed.
fn err(text: &str) -> String {
    let mut set = RuleSet::new();
    set.add_text(
        "t.rules",
        text,
        &Vars::suricata_default(),
        &Classifications::suricata_default(),
    );
    assert_eq!(set.errors.len(), 1, "{text}: {:?}", set.errors);
    set.errors[0].to_string()
}

fn rule_err(body: &str) -> String {
    err(&format!("alert tcp any any -> any any ({body} sid:1;)"))
}

#[test]
fn header() {
    let r = parse(
        "drop ssl [10.0.0.0/8,!10.1.0.0/16] ![80,443] <> $EXTERNAL_NET $HTTP_PORTS (msg:\"m\"; sid:5; rev:3; gid:2;)",
    );
    assert_eq!(r.action, Action::Drop);
    assert_eq!(r.protocol, Protocol::App("tls".into()));
    assert_eq!(r.app_proto.as_deref(), Some("tls"));
    assert_eq!(r.direction, Direction::Both);
    assert_eq!(r.src.to_string(), "[10.0.0.0/8,!10.1.0.0/16]");
    assert_eq!(
        r.src_set.v4,
        vec![(0x0a00_0000, 0x0a00_ffff), (0x0a02_0000, 0x0aff_ffff)]
    );
    assert_eq!(
        r.src_port_set.ranges,
        vec![(0, 79), (81, 442), (444, 65535)]
    );
    assert_eq!(r.dst_port_set.ranges, vec![(80, 80)]);
    assert!(!r.dst_set.contains("10.0.0.1".parse().unwrap()));
    assert_eq!((r.sid, r.rev, r.gid), (5, 3, 2));
    assert_eq!(r.msg, "m");
    assert_eq!(r.priority, 3);
    for a in [
        "alert",
        "pass",
        "reject",
        "rejectsrc",
        "rejectdst",
        "rejectboth",
    ] {
        let r = parse(&format!("{a} tcp-pkt any any -> any any (sid:1;)"));
        assert_eq!(r.action.name(), a);
        assert_eq!(r.protocol, Protocol::TcpPkt);
    }
    for (p, want) in [
        ("http", "http"),
        ("HTTP2", "http2"),
        ("dns", "dns"),
        ("modbus", "modbus"),
        ("dnp3", "dnp3"),
        ("enip", "enip"),
        ("ikev2", "ike"),
    ] {
        let r = parse(&format!("alert {p} any any -> any any (sid:1;)"));
        assert_eq!(r.protocol, Protocol::App(want.into()));
    }
    assert_eq!(
        parse("alert icmpv6 any any -> any any (sid:1;)").protocol,
        Protocol::Icmpv6
    );
}

#[test]
fn content_and_modifiers() {
    let o = opts(
        r#"content:"GET|20|/a\;b"; nocase; depth:10; offset:2; fast_pattern:1,3; content:!"x"; distance:0; within:5; content:"end"; endswith; rawbytes; content:"st"; startswith;"#,
    );
    assert_eq!(
        o[0],
        RuleOption::Content(Content {
            pattern: b"GET /a;b".to_vec(),
            buffer: "pkt_data",
            nocase: true,
            depth: Some(NumOrVar::Num(10)),
            offset: Some(NumOrVar::Num(2)),
            fast_pattern: Some(FastPattern::Chop {
                offset: 1,
                length: 3
            }),
            ..Content::default()
        })
    );
    assert_eq!(
        o[1],
        RuleOption::Content(Content {
            pattern: b"x".to_vec(),
            negated: true,
            buffer: "pkt_data",
            distance: Some(NumOrVar::Num(0)),
            within: Some(NumOrVar::Num(5)),
            ..Content::default()
        })
    );
    let RuleOption::Content(c) = &o[2] else {
        panic!()
    };
    assert!(c.endswith && c.rawbytes);
    let RuleOption::Content(c) = &o[3] else {
        panic!()
    };
    assert!(c.startswith);
    assert_eq!(c.depth, Some(NumOrVar::Num(2)));
    let o = opts(r#"content:"a"; fast_pattern; content:"b"; distance:-3; replace:"c";"#);
    let RuleOption::Content(c) = &o[0] else {
        panic!()
    };
    assert_eq!(c.fast_pattern, Some(FastPattern::Whole));
    let RuleOption::Content(c) = &o[1] else {
        panic!()
    };
    assert_eq!(c.distance, Some(NumOrVar::Num(-3)));
    assert_eq!(c.replace.as_deref(), Some(&b"c"[..]));
    let o = opts(r#"content:"abcd"; fast_pattern:only;"#);
    let RuleOption::Content(c) = &o[0] else {
        panic!()
    };
    assert_eq!(c.fast_pattern, Some(FastPattern::Only));
    let o = opts(r#"byte_extract:1,0,len; content:"ab"; depth:len; content:"c"; within:len;"#);
    let RuleOption::Content(c) = &o[1] else {
        panic!()
    };
    assert_eq!(c.depth, Some(NumOrVar::Var("len".into())));
}

#[test]
fn sticky_buffers_and_legacy_modifiers() {
    let r = parse(
        r#"alert tcp any any -> any any (content:"GET"; http_method; content:"/x"; http_uri; nocase; content:"y"; distance:0; http_header; file_data; content:"z"; pkt_data; content:"p"; sid:1;)"#,
    );
    let c: Vec<(&[u8], &str, bool)> = r
        .contents()
        .map(|c| (c.pattern.as_slice(), c.buffer, c.nocase))
        .collect();
    assert_eq!(
        c,
        vec![
            (&b"GET"[..], "http.method", false),
            (b"/x", "http.uri", true),
            (b"y", "http.header", false),
            (b"z", "file.data", false),
            (b"p", "pkt_data", false),
        ]
    );
    assert_eq!(r.app_proto.as_deref(), Some("http"));
    assert!(r.options.contains(&RuleOption::Buffer("file.data")));
    assert!(r.options.contains(&RuleOption::Buffer("pkt_data")));

    let r = parse(r#"alert udp any any -> any 53 (dns_query; content:"evil"; nocase; sid:1;)"#);
    assert_eq!(r.app_proto.as_deref(), Some("dns"));
    assert_eq!(r.contents().next().unwrap().buffer, "dns.query");
    let r = parse(r#"alert tcp any any -> any any (uricontent:"/a"; urilen:>5,raw; sid:1;)"#);
    assert_eq!(r.contents().next().unwrap().buffer, "http.uri");
    assert!(r.options.contains(&RuleOption::Urilen {
        cmp: UintMatch::Gt(5),
        raw: true
    }));
    let o =
        opts(r#"http.host; to_lowercase; dotprefix; content:".evil.com"; endswith; bsize:<100;"#);
    assert_eq!(
        o[..3],
        [
            RuleOption::Buffer("http.host"),
            RuleOption::Transform(Transform::ToLowercase),
            RuleOption::Transform(Transform::DotPrefix),
        ]
    );
    assert_eq!(
        o[4],
        RuleOption::Bsize {
            cmp: UintMatch::Lt(100),
            buffer: "http.host"
        }
    );
    let o = opts(r#"http.uri; xor:"0d0ac8ff"; pcrexform:"[a-z]+"; content:"a";"#);
    assert_eq!(
        o[1..3],
        [
            RuleOption::Transform(Transform::Xor(vec![0x0d, 0x0a, 0xc8, 0xff])),
            RuleOption::Transform(Transform::PcreXform("[a-z]+".into())),
        ]
    );
}

#[test]
fn suricata_leniencies() {
    // Unbracketed top-level lists, as in old ET rules.
    let r = parse("alert tcp any any -> 1.2.3.4,5.6.7.8 !5800,!445 (sid:1;)");
    assert_eq!(r.dst_ports.to_string(), "[!5800,!445]");
    assert!(!r.dst_port_set.contains(445));
    assert!(r.dst_set.contains("5.6.7.8".parse().unwrap()));
    // A stray closing quote after the flags, text before the first '/'.
    let o = opts(r#"content:"Java/"; http_user_agent; pcre:/Java/\d/Vi"; pcre:"^/x/";"#);
    let RuleOption::Pcre(p) = &o[1] else { panic!() };
    assert_eq!(
        (p.pattern.as_str(), p.pcre_flags.as_str(), p.buffer),
        (r"Java/\d", "i", "http.user_agent")
    );
    let RuleOption::Pcre(p) = &o[2] else { panic!() };
    assert_eq!(p.pattern, "x");
    // Two thresholds, a transform after matches, pcre /R first in a sticky buffer.
    opts(
        "threshold:type limit,track by_src,count 1,seconds 60; threshold:type threshold,track by_dst,count 2,seconds 6;",
    );
    opts(
        r#"dns.query; content:"rs-"; pcre:"/[a-z]{2}/Ri"; dotprefix; content:".x.com"; endswith;"#,
    );
    opts("dce_stub_data; pcre:/one/R;");
    // frame and dataset.
    let o = opts(
        r#"frame:http1.request; content:"GET"; startswith; bsize:81; http.host; dataset:set,seen, type string;"#,
    );
    assert_eq!(o[0], RuleOption::Frame("http1.request".into()));
}

#[test]
fn pcre() {
    let o = opts(r#"content:"a"; http_uri; pcre:!"/^x\;y$/smiRU"; pcre:"/z/P"; pcre:/q/Bi;"#);
    assert_eq!(
        o[1],
        RuleOption::Pcre(Pcre {
            pattern: r"^x\;y$".into(),
            negated: true,
            pcre_flags: "smi".into(),
            relative: true,
            buffer: "http.uri",
            ..Pcre::default()
        })
    );
    let RuleOption::Pcre(p) = &o[2] else { panic!() };
    assert_eq!(p.buffer, "http.request_body");
    let RuleOption::Pcre(p) = &o[3] else { panic!() };
    assert!(p.rawbytes);
    assert_eq!(p.buffer, "pkt_data");
    let o = opts(r#"file_data; content:"x"; pcre:"/a/RQ"; pcre:"/(?P<pkt_x>b)/, pkt:x";"#);
    let RuleOption::Pcre(p) = &o[2] else { panic!() };
    assert_eq!(p.buffer, "file.data");
    let RuleOption::Pcre(p) = &o[3] else { panic!() };
    assert_eq!(p.captures.as_deref(), Some("pkt:x"));
}

#[test]
fn byte_keywords_and_isdataat() {
    let o = opts(
        r#"content:"a"; byte_extract:2,0,sz,relative,little; byte_test:2,>,sz,0,relative; byte_jump:4,sz,relative,big,from_beginning; byte_math:bytes 1, offset 0, oper <<, rvalue sz, result r2, endian little; isdataat:!sz,relative; isdataat:5;"#,
    );
    assert_eq!(
        o[1],
        RuleOption::ByteExtract(ByteExtract {
            nbytes: 2,
            offset: 0,
            name: "sz".into(),
            relative: true,
            multiplier: None,
            endian: Endian::Little,
            string: None,
            align: None,
            bitmask: None,
            buffer: "pkt_data",
        })
    );
    assert_eq!(
        o[2],
        RuleOption::ByteTest(ByteTest {
            nbytes: 2,
            nbytes_var: None,
            negated: false,
            op: ByteTestOp::Gt,
            value: NumOrVar::Var("sz".into()),
            offset: NumOrVar::Num(0),
            relative: true,
            endian: Endian::Big,
            string: None,
            bitmask: None,
            buffer: "pkt_data",
        })
    );
    let RuleOption::ByteJump(j) = &o[3] else {
        panic!()
    };
    assert_eq!(j.offset, NumOrVar::Var("sz".into()));
    assert!(j.from_beginning);
    let RuleOption::ByteMath(m) = &o[4] else {
        panic!()
    };
    assert_eq!(
        (m.op, m.result.as_str(), m.endian),
        (ByteMathOp::Shl, "r2", Endian::Little)
    );
    assert_eq!(
        o[5],
        RuleOption::IsDataAt(IsDataAt {
            pos: NumOrVar::Var("sz".into()),
            negated: true,
            relative: true,
            rawbytes: false,
            buffer: "pkt_data",
        })
    );
    let o = opts(
        r#"content:"a"; base64_decode:bytes 10, offset 2, relative; base64_data; content:"b";"#,
    );
    assert_eq!(
        o[1],
        RuleOption::Base64Decode {
            bytes: Some(10),
            offset: Some(2),
            relative: true,
            buffer: "pkt_data"
        }
    );
    let RuleOption::Content(c) = &o[3] else {
        panic!()
    };
    assert_eq!(c.buffer, "base64_data");
}

#[test]
fn flow_state_keywords() {
    let o = opts(
        "flow:established,to_client; flowbits:set,a&b; flowbits:isnotset,c|d; flowbits:noalert; flowint:cnt,>=,5; xbits:isset,x,track ip_pair; hostbits:set,h,dst; threshold: type both, track by_dst, count 5, seconds 60; tag:host,10,seconds,src; stream_size:either,>=,1000; app-layer-protocol:!tls; app-layer-event:http.request_field_too_long; noalert;",
    );
    assert_eq!(
        o[0],
        RuleOption::Flow(vec![FlowOpt::Established, FlowOpt::ToClient])
    );
    assert_eq!(
        o[1],
        RuleOption::Flowbits(Flowbits {
            action: BitsAction::Set,
            names: vec!["a".into(), "b".into()],
            combine: BitsCombine::And
        })
    );
    assert_eq!(
        o[2],
        RuleOption::Flowbits(Flowbits {
            action: BitsAction::IsNotSet,
            names: vec!["c".into(), "d".into()],
            combine: BitsCombine::Or
        })
    );
    assert_eq!(
        o[4],
        RuleOption::Flowint(Flowint {
            name: "cnt".into(),
            op: FlowintOp::Ge,
            value: Some(NumOrVar::Num(5))
        })
    );
    assert_eq!(
        o[5],
        RuleOption::Xbits(Xbits {
            action: BitsAction::IsSet,
            name: "x".into(),
            track: XbitsTrack::IpPair,
            expire: None
        })
    );
    assert_eq!(
        o[6],
        RuleOption::Hostbits(Hostbits {
            action: BitsAction::Set,
            names: vec!["h".into()],
            dir: HostbitsDir::Dst
        })
    );
    assert_eq!(
        o[7],
        RuleOption::Threshold(Threshold {
            kind: ThresholdType::Both,
            track: Track::ByDst,
            count: 5,
            seconds: 60
        })
    );
    assert_eq!(
        o[8],
        RuleOption::Tag(Tag {
            host: true,
            count: Some((10, "seconds".into())),
            direction: Some("src".into())
        })
    );
    assert_eq!(
        o[9],
        RuleOption::StreamSize(StreamSize {
            side: "either".into(),
            cmp: UintMatch::Ge(1000)
        })
    );
    assert_eq!(
        o[10],
        RuleOption::AppLayerProtocol {
            proto: "tls".into(),
            negated: true,
            mode: None
        }
    );
    let r = parse("alert tcp any any -> any any (flowbits:noalert; sid:1;)");
    assert!(r.noalert);
    let o = opts("detection_filter:track by_src, count 10, seconds 60;");
    assert_eq!(
        o[0],
        RuleOption::Threshold(Threshold {
            kind: ThresholdType::DetectionFilter,
            track: Track::BySrc,
            count: 10,
            seconds: 60
        })
    );
}

#[test]
fn header_keywords() {
    let o = opts(
        "ttl:<10; tos:!8; ipopts:lsrr; fragbits:!D; fragoffset:>0; id:31337; sameip; ip_proto:!TCP; flags:SA*,12; seq:0; ack:1; window:!55808; tcp.mss:<536; itype:>30; icode:3<>6; icmp_id:0; icmp_seq:7; dsize:300<>400;",
    );
    assert_eq!(
        o,
        vec![
            RuleOption::Ttl(UintMatch::Lt(10)),
            RuleOption::Tos {
                value: 8,
                negated: true
            },
            RuleOption::IpOpts("lsrr".into()),
            RuleOption::FragBits(FragBits {
                bits: 2,
                modifier: Some('!')
            }),
            RuleOption::FragOffset {
                modifier: Some('>'),
                value: 0
            },
            RuleOption::IpId(31337),
            RuleOption::SameIp,
            RuleOption::IpProto {
                modifier: Some('!'),
                proto: 6
            },
            RuleOption::TcpFlags(TcpFlags {
                flags: 0x12,
                mask: 0xc0,
                modifier: Some('*')
            }),
            RuleOption::TcpSeq(0),
            RuleOption::TcpAck(1),
            RuleOption::TcpWindow {
                value: 55808,
                negated: true
            },
            RuleOption::TcpMss(UintMatch::Lt(536)),
            RuleOption::Itype(UintMatch::Gt(30)),
            RuleOption::Icode(UintMatch::Range(3, 6)),
            RuleOption::IcmpId(0),
            RuleOption::IcmpSeq(7),
            RuleOption::Dsize(UintMatch::Range(300, 400)),
        ]
    );
}

#[test]
fn meta_keywords() {
    let r = parse(
        r#"alert tcp any any -> any any (msg:"a \"quoted\" \; msg"; reference:url,example.com/a,b; reference:CVE,2024-1; classtype:trojan-activity; metadata:former_category MALWARE, signature_severity Major; target:dest_ip; sid:9;)"#,
    );
    assert_eq!(r.msg, "a \"quoted\" ; msg");
    assert_eq!(
        r.references,
        vec![
            Reference {
                kind: "url".into(),
                value: "example.com/a,b".into()
            },
            Reference {
                kind: "cve".into(),
                value: "2024-1".into()
            }
        ]
    );
    assert_eq!(r.classtype.as_deref(), Some("trojan-activity"));
    assert_eq!(r.priority, 1);
    assert_eq!(
        r.metadata,
        vec![
            ("former_category".to_string(), "MALWARE".to_string()),
            ("signature_severity".to_string(), "Major".to_string())
        ]
    );
    assert_eq!(r.target.as_deref(), Some("dest_ip"));
    let r = parse("alert tcp any any -> any any (classtype:trojan-activity; priority:4; sid:9;)");
    assert_eq!(r.priority, 4);
    let p = parse_rule(
        "alert tcp any any -> any any (classtype:no-such-class; sid:9;)",
        &Vars::suricata_default(),
        &Classifications::suricata_default(),
    )
    .unwrap();
    assert_eq!(p.rule.priority, 3);
    assert_eq!(
        p.warnings[0].to_string(),
        "keyword 'classtype': unknown classtype \"no-such-class\", using default priority 3"
    );
}

#[test]
fn unsupported_keywords_load() {
    let o = opts(r#"geoip:src,US; tls.version:1.2; filemagic:"PE32"; ftpbounce; lua:script.lua;"#);
    assert_eq!(
        o[0],
        RuleOption::Unsupported {
            keyword: "geoip".into(),
            value: Some("src,US".into())
        }
    );
    assert_eq!(
        o[1],
        RuleOption::Protocol {
            keyword: "tls.version".into(),
            value: "1.2".into()
        }
    );
    assert_eq!(
        o[2],
        RuleOption::Unsupported {
            keyword: "filemagic".into(),
            value: Some("PE32".into())
        }
    );
    assert_eq!(
        o[3],
        RuleOption::Protocol {
            keyword: "ftpbounce".into(),
            value: String::new()
        }
    );
    assert_eq!(keyword_status("geoip"), KeywordStatus::NotYetEvaluated);
    assert_eq!(keyword_status("ssl_state"), KeywordStatus::Protocol);
    assert_eq!(keyword_status("http.uri"), KeywordStatus::Supported);
    assert_eq!(keyword_status("nope"), KeywordStatus::Unknown);
}

#[test]
fn errors_are_precise() {
    let cases: &[(&str, &str)] = &[
        (
            "distance:1;",
            "keyword 'distance': distance needs a preceding content option",
        ),
        (
            r#"content:"a"; content:"b"; depth:4; distance:1;"#,
            "keyword 'distance': can't use a relative keyword like within/distance with an absolute keyword like depth/offset for the same content",
        ),
        (
            r#"content:"a"; content:"bcd"; within:2;"#,
            "keyword 'within': within argument 2 is less than the content length 3, so the content can never match",
        ),
        (
            r#"content:"abcd"; depth:2;"#,
            "keyword 'depth': depth:2 smaller than content of len 4",
        ),
        (
            r#"content:!"abcd"; fast_pattern:only;"#,
            "keyword 'fast_pattern': fast_pattern:only cannot be used with negated content or with distance, within, offset or depth",
        ),
        (
            r#"content:"abcd"; fast_pattern; content:"x"; fast_pattern;"#,
            "keyword 'fast_pattern': fast_pattern can be used on only one content in a rule",
        ),
        (
            r#"content:"abcd"; nocase; nocase;"#,
            "keyword 'nocase': can't use multiple nocase modifiers with the same content",
        ),
        (
            r#"content:"ab\xcd";"#,
            "keyword 'content': invalid escape '\\x' (only \\; \\\" \\\\ \\: are allowed; write other bytes as |hex|)",
        ),
        (
            r#"content:"|414|";"#,
            "keyword 'content': incomplete hex byte in \"|414|\"",
        ),
        (
            r#"content:"|41";"#,
            "keyword 'content': unterminated hex block (odd number of '|') in \"|41\"",
        ),
        (
            "content:abc;",
            "keyword 'content': value must be double quoted",
        ),
        (r#"content:"";"#, "keyword 'content': empty content"),
        (
            "flow:to_server,to_client;",
            "keyword 'flow': \"to_client\" conflicts with \"to_server\" given earlier",
        ),
        (
            r#"pcre:"/abc/X";"#,
            "keyword 'pcre': unknown regex modifier 'X'",
        ),
        (
            r#"pcre:"/abc/R";"#,
            "keyword 'pcre': pcre with /R (relative) needs a preceding match in the same buffer",
        ),
        (
            r#"content:"a"; distance:2000000;"#,
            "keyword 'distance': invalid value for distance: number \"2000000\" out of range (-1048576 to 1048576)",
        ),
        (
            r#"content:"a"; offset:99999999999999999999999999;"#,
            "keyword 'offset': invalid value for offset: number \"99999999999999999999999999\" out of range (max 65535)",
        ),
        (
            r#"http.uri; content:"abc"; rawbytes;"#,
            "keyword 'rawbytes': \"rawbytes\" cannot be combined with the \"http.uri\" buffer",
        ),
        (
            r#"file_data; content:"abc"; http_uri;"#,
            "keyword 'http_uri': used while the sticky buffer \"file.data\" is set; reset it with pkt_data first",
        ),
        (
            "http.uri:foo;",
            "keyword 'http.uri': takes no value (it is a sticky buffer)",
        ),
        (
            "http.uri;",
            "keyword 'http.uri': sticky buffer is selected but no match (content, pcre, ...) follows it",
        ),
        (
            r#"http.uri; content:"a"; dns.query; content:"b";"#,
            "keyword 'dns.query': can't set rule app proto to dns: already set to http",
        ),
        (
            r#"content:"a"; byte_test:9,>,1,0;"#,
            "keyword 'byte_test': cannot read more than 8 bytes without \"string\" (got 9)",
        ),
        (
            r#"content:"a"; byte_jump:no_var,0,relative;"#,
            "keyword 'byte_jump': Unknown byte_extract var seen in byte_jump - no_var",
        ),
        (
            "byte_extract:1,5,len; byte_test:no_var,=,0x01,5,bitmask 0xFF;",
            "keyword 'byte_test': Unknown byte_extract var seen in byte_test - no_var",
        ),
        (
            r#"http.header; content:"a"; pcre:"/b/P";"#,
            "keyword 'pcre': Expression seen with a sticky buffer still set; either (1) reset sticky buffer with pkt_data or (2) use a sticky buffer providing \"http request body\".",
        ),
        (
            r#"tcpv4-csum:"invalid";"#,
            "keyword 'tcpv4-csum': quotes on tcpv4-csum keyword that doesn't support them: 'tcpv4-csum'",
        ),
        (
            "ipv4-csum:vaid;",
            "keyword 'ipv4-csum': invalid value \"vaid\" (valid or invalid)",
        ),
        (
            r#"content:"a"; depth:myvar;"#,
            "keyword 'depth': Unknown byte_extract var seen in depth - myvar",
        ),
        (
            "threshold:type limit, track by_src, count 1;",
            "keyword 'threshold': missing \"seconds\"",
        ),
        (
            "flowbits:set;",
            "keyword 'flowbits': action \"set\" needs a name",
        ),
        (
            "dsize:70000;",
            "keyword 'dsize': number \"70000\" out of range (max 65535)",
        ),
        (
            "ttl:>300;",
            "keyword 'ttl': number \"300\" out of range (max 255)",
        ),
        (
            "bsize:10;",
            "keyword 'bsize': bsize needs a sticky buffer before it",
        ),
        ("foobar;", "keyword 'foobar': unknown rule keyword"),
        ("nocase:x;", "keyword 'nocase': takes no value"),
        ("seq;", "keyword 'seq': needs a value"),
        (
            r#"msg:"a ; b";"#,
            "keyword 'msg': unterminated quoted value (a ';' inside a quoted value must be written \\;)",
        ),
        (
            "to_lowercase;",
            "keyword 'to_lowercase': transforms need a sticky buffer before them",
        ),
        (
            "base64_data;",
            "keyword 'base64_data': needs a preceding base64_decode",
        ),
        ("sid:2;", "keyword 'sid': duplicated sid keyword"),
        (
            r#"file_data; file_data; content:"a";"#,
            "keyword 'file_data': the previous sticky buffer \"file.data\" has no matches (content, pcre, ...)",
        ),
        (
            "threshold:type limit, track by_src, count 1, seconds 60; detection_filter:track by_src, count 1, seconds 60;",
            "keyword 'detection_filter': detection_filter and threshold are not allowed in the same rule",
        ),
        (
            r#"dsize:10; content:"boom"; content:"loom"; distance:10;"#,
            "keyword 'content': signature can't match as required content length 18 exceeds dsize value 10",
        ),
        (
            r#"http.uri; strip_whitespace; content:"a b";"#,
            "keyword 'content': content string \"a b\" incompatible with strip_whitespace transform",
        ),
        (
            r#"http.uri; pcrexform:[a-z]; content:"a";"#,
            "keyword 'pcrexform': invalid formatting to pcrexform keyword: value must be double quoted 'pcrexform'",
        ),
    ];
    for (body, want) in cases {
        assert_eq!(rule_err(body), format!("t.rules:1: {want}"), "{body}");
    }
    let whole: &[(&str, &str)] = &[
        (
            "alert tcp any any -> any any (msg:\"no sid\";)",
            "t.rules:1: keyword 'sid': rule has no sid (it is required)",
        ),
        (
            "alert tcp any any -> any any (content:\"a\"; sid:0;)",
            "t.rules:1: keyword 'sid': sid 0 is invalid",
        ),
        (
            "alert tcp any any -> any any (content:\"a\"; sid:99999999999;)",
            "t.rules:1: keyword 'sid': invalid sid: number \"99999999999\" out of range (max 4294967295)",
        ),
        (
            "alert tcp any any -> any any (content:\"a\"; sid:31)",
            "t.rules:1: keyword 'sid': no terminating ';' found",
        ),
        (
            "alert tcp !any any -> any any (sid:1;)",
            "t.rules:1: address \"!any\": complete IP space negated (e.g. !any)",
        ),
        (
            "alert tcp any 70000 -> any any (sid:1;)",
            "t.rules:1: port \"70000\": port \"70000\" out of range 0-65535",
        ),
        (
            "alert tcp any any <- any any (sid:1;)",
            "t.rules:1: \"<-\" is not a valid direction, \"->\" and \"<>\" are supported",
        ),
        (
            "alert tcp $FOO any -> any any (sid:1;)",
            "t.rules:1: variable \"FOO\" is not defined",
        ),
        (
            "alert foo any any -> any any (sid:1;)",
            "t.rules:1: protocol \"foo\" cannot be used in a rule",
        ),
        (
            "bogus tcp any any -> any any (sid:1;)",
            "t.rules:1: invalid action \"bogus\"",
        ),
        (
            "alert tcp any any -> any any (sid:1;) junk",
            "t.rules:1: rule does not end with ')' (missing ')' or text after it)",
        ),
        (
            "alert tcp any any -> any (sid:1;)",
            "t.rules:1: rule header has 6 fields, expected 7: action protocol src_addr src_port direction dst_addr dst_port",
        ),
        (
            "alert tcp [1.2.3.4 any -> any any (sid:1;)",
            "t.rules:1: unbalanced '[' in rule header field \"[1.2.3.4 any -> any any (sid:1;)\"",
        ),
        (
            "alert tcp any any -> any any",
            "t.rules:1: rule has no options (expected \"( ... )\" after the header)",
        ),
        (
            "alert dns any any -> any any (http.uri; content:\"a\"; sid:1;)",
            "t.rules:1: keyword 'http.uri': can't set rule app proto to http: already set to dns",
        ),
    ];
    for (text, want) in whole {
        assert_eq!(err(text), *want, "{text}");
    }
}

#[test]
fn files_lines_duplicates() {
    let text = "# header comment\n\
alert tcp any any -> any any (msg:\"one\"; \\\n    content:\"a\"; sid:1; rev:1;)\n\
\n\
# alert tcp any any -> any any (msg:\"disabled\"; sid:2;)\n\
alert tcp any any -> any any (msg:\"dup\"; sid:1; rev:1;)\n\
alert tcp any any -> any any (msg:\"newer\"; sid:1; rev:2;)\n\
alert tcp any any -> any any (msg:\"bad\"; foo; sid:3;)\n\
alert tcp any any -> any any (msg:\"ok\"; geoip:src,US; sid:4;)\n";
    let mut set = RuleSet::new();
    set.add_text(
        "f.rules",
        text,
        &Vars::suricata_default(),
        &Classifications::suricata_default(),
    );
    assert_eq!(set.loaded(), 2);
    assert_eq!(set.rules[0].msg, "newer");
    assert_eq!(set.rules[0].line, 7);
    assert_eq!(&*set.rules[0].file, "f.rules");
    let errs: Vec<String> = set.errors.iter().map(|e| e.to_string()).collect();
    assert_eq!(
        errs,
        vec![
            "f.rules:6: keyword 'sid': duplicate signature: gid 1 sid 1 already loaded from f.rules:2 (rev 1); a later rule only replaces it with a higher rev",
            "f.rules:8: keyword 'foobar': unknown rule keyword"
                .replace("foobar", "foo")
                .as_str(),
        ]
    );
    assert_eq!(set.errors[1].sid, Some(3));
    assert_eq!(set.files[0].loaded, 2);
    assert_eq!(set.files[0].failed, 2);
    assert_eq!(set.warnings.len(), 1);
    assert_eq!(set.unsupported_histogram(), vec![("geoip".to_string(), 1)]);
    assert_eq!(
        set.error_histogram(),
        vec![("foo".to_string(), 1), ("sid".to_string(), 1)]
    );
}

#[test]
fn load_files_reports_unreadable_file() {
    let (rules, errors) = RuleSet::load_files(
        &["/nonexistent/x.rules"],
        &Vars::suricata_default(),
        &Classifications::suricata_default(),
    );
    assert!(rules.is_empty());
    assert_eq!(errors.len(), 1);
    assert!(
        errors[0]
            .to_string()
            .starts_with("/nonexistent/x.rules:0: cannot read rule file:")
    );
}

#[test]
fn hostile_rules_are_bounded() {
    let vars = Vars::suricata_default();
    let classes = Classifications::suricata_default();
    let t = std::time::Instant::now();
    // Deep nesting in addresses and ports.
    let deep = format!(
        "alert tcp {}1.2.3.4{} any -> any {}80{} (sid:1;)",
        "[".repeat(10_000),
        "]".repeat(10_000),
        "[".repeat(10_000),
        "]".repeat(10_000)
    );
    assert!(parse_rule(&deep, &vars, &classes).is_err());
    let negs = format!(
        "alert tcp {}1.2.3.4 any -> any any (sid:1;)",
        "!".repeat(100_000)
    );
    assert!(parse_rule(&negs, &vars, &classes).is_err());
    // Many options.
    let many = format!(
        "alert tcp any any -> any any ({} sid:1;)",
        "content:\"a\"; nocase;".repeat(5000)
    );
    let e = parse_rule(&many, &vars, &classes).unwrap_err();
    assert!(
        e.message.contains("nocase") || e.message.contains("more than 1024 options"),
        "{e}"
    );
    let many = format!(
        "alert tcp any any -> any any ({} sid:1;)",
        "content:\"a\"; ".repeat(5000)
    );
    assert_eq!(
        parse_rule(&many, &vars, &classes).unwrap_err().message,
        "more than 1024 options in one rule"
    );
    // Huge numbers everywhere.
    for kw in [
        "dsize", "ttl", "bsize", "urilen", "itype", "seq", "window", "id", "priority", "rev", "gid",
    ] {
        let r = format!(
            "alert tcp any any -> any any (http.uri; content:\"a\"; {kw}:{}; sid:1;)",
            "9".repeat(500)
        );
        assert!(parse_rule(&r, &vars, &classes).is_err(), "{kw}");
    }
    // Long content and a long list of ports.
    let long = format!(
        "alert tcp any any -> any any (content:\"{}\"; sid:1;)",
        "|41|".repeat(70_000)
    );
    assert!(parse_rule(&long, &vars, &classes).is_err());
    let ports = (0..60_000)
        .map(|p| p.to_string())
        .collect::<Vec<_>>()
        .join(",");
    let r = format!("alert tcp any [{ports}] -> any any (sid:1;)");
    assert!(parse_rule(&r, &vars, &classes).is_ok());
    // Catastrophic PCRE is stored, not run.
    let r = parse(r#"alert tcp any any -> any any (pcre:"/(a+)+$/"; sid:1;)"#);
    assert_eq!(r.options.len(), 2);
    // Self-referencing variables.
    let mut v = Vars::suricata_default();
    v.set_address("LOOP", "[$LOOP,1.2.3.4]");
    assert_eq!(
        parse_rule("alert tcp $LOOP any -> any any (sid:1;)", &v, &classes)
            .unwrap_err()
            .message,
        "variable \"LOOP\" refers to itself"
    );
    assert!(t.elapsed().as_secs() < 10, "took {:?}", t.elapsed());
}

#[test]
fn requires_skips_rules_like_suricata_7_0_10() {
    let text = "\
alert tcp any any -> any any (msg:\"r1\"; requires: feature ja4; content:\"a\"; sid:1;)
alert tcp any any -> any any (msg:\"r2\"; requires: version >= 8; content:\"a\"; sid:2;)
alert tcp any any -> any any (msg:\"r3\"; requires: version >= 7.0.3; content:\"a\"; sid:3;)
alert tcp any any -> any any (msg:\"r4\"; requires: foo bar; content:\"a\"; sid:4;)
alert tcp any any -> any any (msg:\"r5\"; requires: feature output::file-store; content:\"a\"; sid:5;)
alert tcp any any -> any any (msg:\"r6\"; requires: version >= 7 < 7.0.5; content:\"a\"; sid:6;)
alert tcp any any -> any any (msg:\"r7\"; content:\"a\"; sid:7; requires: version >= 9; foo;)
alert tcp any any -> any any (msg:\"r8\"; requires: version >= 7.0.4 < 8 | >= 8.0.3; sid:8;)
alert tcp any any -> any any (msg:\"r9\"; requires: version >= x; sid:9;)
";
    let mut set = RuleSet::new();
    set.add_text(
        "r.rules",
        text,
        &Vars::suricata_default(),
        &Classifications::suricata_default(),
    );
    let loaded: Vec<u32> = set.rules.iter().map(|r| r.sid).collect();
    assert_eq!(loaded, vec![1, 3, 8]);
    let skipped: Vec<Option<u32>> = set.skipped.iter().map(|e| e.sid).collect();
    assert_eq!(skipped, vec![Some(2), Some(4), Some(5), Some(6), Some(7)]);
    assert_eq!(
        set.skipped[0].to_string(),
        "r.rules:2: keyword 'requires': skipped: engine version 7.0.10 does not satisfy \"version >= 8\"".replace("\"version >= 8\"", "\">= 8\"")
    );
    assert_eq!(set.errors.len(), 1);
    assert_eq!(
        set.errors[0].to_string(),
        "r.rules:9: keyword 'requires': invalid version \"x\""
    );
    assert_eq!(
        (
            set.files[0].loaded,
            set.files[0].failed,
            set.files[0].skipped
        ),
        (3, 1, 5)
    );
}

#[test]
fn rule_files_from_config() {
    let p = rule_file_paths(
        Some(std::path::Path::new("/etc/rules")),
        &["a.rules", "/abs/b.rules"],
    );
    assert_eq!(
        p,
        vec![
            std::path::PathBuf::from("/etc/rules/a.rules"),
            std::path::PathBuf::from("/abs/b.rules")
        ]
    );
}

#[test]
fn error_messages_stay_short() {
    let long = "9".repeat(1_000_000);
    let e = rule_err(&format!("dsize:{long};"));
    assert!(e.len() < 700, "{}", e.len());
    let e = err(&format!(
        "alert tcp {} any -> any any (sid:1;)",
        "1".repeat(500_000)
    ));
    assert!(e.len() < 700, "{}", e.len());
    let e = rule_err(&format!("{}x;", "k".repeat(100_000)));
    assert!(e.len() < 700 && e.contains("unknown rule keyword"), "{e}");
}

#[test]
fn tls_fingerprint_is_content_on_the_fingerprint_buffer() {
    const FP: &str = "90:86:A4:3B:F5:CF:1B:2E:4E:F7:97:96:F9:DE:BA:B9:66:35:86:3F";
    let r = parse(&format!(
        "alert tls any any -> any any (tls.fingerprint:!\"{FP}\"; sid:1;)"
    ));
    let c = r
        .options
        .iter()
        .find_map(|o| match o {
            RuleOption::Content(c) => Some(c.clone()),
            _ => None,
        })
        .expect("a content");
    assert_eq!(c.buffer, "tls.cert_fingerprint");
    assert!(c.negated);
    // Upper case is made lower case (the buffer is lower case hex).
    assert_eq!(c.pattern, FP.to_ascii_lowercase().into_bytes());
    // The same checks for the sticky buffer's contents.
    let r = parse(&format!(
        "alert tls any any -> any any (tls.cert_fingerprint; content:\"{FP}\"; sid:1;)"
    ));
    assert!(r.options.iter().any(|o| matches!(o,
        RuleOption::Content(c) if c.pattern == FP.to_ascii_lowercase().into_bytes())));
    assert_eq!(
        rule_err(r#"tls.fingerprint:"90:86:a4";"#),
        "t.rules:1: keyword 'tls.cert_fingerprint': a fingerprint is 59 characters (20 bytes in hex with ':'), got 8: the rule could never match"
    );
    assert_eq!(
        rule_err(&format!("tls.fingerprint:\"{}\";", FP.replace(':', "-"))),
        "t.rules:1: keyword 'tls.cert_fingerprint': no ':' in the fingerprint: the rule could never match"
    );
    assert_eq!(
        rule_err(&format!("tls.fingerprint:{FP};")),
        "t.rules:1: keyword 'tls.fingerprint': invalid formatting to tls.fingerprint keyword: value must be double quoted 'tls.fingerprint'"
    );
}

#[test]
fn tls_keyword_quoting() {
    // tls.subject / tls.issuerdn: quotes required, `!` before them.
    assert_eq!(
        opts(r#"tls.subject:!"CN=x, O=y";"#),
        vec![RuleOption::Protocol {
            keyword: "tls.subject".into(),
            value: "!CN=x, O=y".into()
        }]
    );
    assert_eq!(
        rule_err("tls.issuerdn:CN=x;"),
        "t.rules:1: keyword 'tls.issuerdn': invalid formatting to tls.issuerdn keyword: value must be double quoted 'tls.issuerdn'"
    );
    // The others refuse quotes, as Suricata.
    for kw in [
        "ssl_state",
        "ssl_version",
        "tls.version",
        "tls_cert_notafter",
    ] {
        assert_eq!(
            rule_err(&format!("{kw}:\"1\";")),
            format!("t.rules:1: keyword '{kw}': value must not be quoted")
        );
    }
    assert_eq!(
        rule_err("tls_cert_valid:1;"),
        "t.rules:1: keyword 'tls_cert_valid': takes no value"
    );
}
