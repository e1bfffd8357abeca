//! Keyword-family tests: a rule's payload program against hand-built
//! buffers, with exact match / no-match expectations (Suricata semantics).

use crate::pcre::Scratch;
use crate::program::{Insp, MAX_VARS, inspect};
use crate::sig::{Names, Sig, compile};
use vigil_rules::{Classifications, Vars, parse_rule};

fn sig(opts: &str) -> Sig {
    sig_for("tcp", opts)
}

/// Compiles `alert PROTO any any -> any any (OPTS sid:1;)`.
fn sig_for(proto: &str, opts: &str) -> Sig {
    compile_text(&format!("alert {proto} any any -> any any ({opts} sid:1;)"))
}

/// Compiles one rule's text.
fn compile_text(text: &str) -> Sig {
    let vars = Vars::suricata_default();
    let rule = parse_rule(text, &vars, &Classifications::suricata_default())
        .unwrap_or_else(|e| panic!("{text}: {e:?}"))
        .rule;
    compile(
        &rule,
        0,
        "",
        &mut Names::default(),
        &mut Names::default(),
        &vars,
    )
    .unwrap_or_else(|e| panic!("{text}: {e}"))
}

/// Whether the payload program of `opts` matches `data`.
fn m(opts: &str, data: &[u8]) -> bool {
    let s = sig(opts);
    let prog = s.payload.as_ref().expect("payload program");
    let mut scratch = Scratch::default();
    let mut b64 = Vec::new();
    let mut insp = Insp {
        cursor: 0,
        vars: [0; MAX_VARS],
        budget: 0,
        pcre: &mut scratch,
        b64: &mut b64,
        b64_done: false,
    };
    let ok = inspect(&prog.ops, data, &mut insp);
    if ok && let Some(p) = &s.b64 {
        let d = b64.clone();
        let mut insp = Insp {
            cursor: 0,
            vars: [0; MAX_VARS],
            budget: 0,
            pcre: &mut scratch,
            b64: &mut b64,
            b64_done: false,
        };
        return !d.is_empty() && inspect(&p.ops, &d, &mut insp);
    }
    ok
}

#[test]
fn content_basic_nocase_negation() {
    assert!(m(r#"content:"abc";"#, b"xxabcxx"));
    assert!(!m(r#"content:"abc";"#, b"xxABCxx"));
    assert!(m(r#"content:"abc"; nocase;"#, b"xxABCxx"));
    assert!(m(r#"content:"|41 42|";"#, b"zAB"));
    assert!(m(r#"content:!"abc";"#, b"xyz"));
    assert!(!m(r#"content:!"abc";"#, b"abc"));
}

#[test]
fn content_offset_depth() {
    assert!(m(r#"content:"abc"; offset:2;"#, b"xxabc"));
    assert!(!m(r#"content:"abc"; offset:3;"#, b"xxabc"));
    assert!(m(r#"content:"abc"; depth:5;"#, b"xxabc"));
    assert!(!m(r#"content:"abc"; depth:4;"#, b"xxabc"));
    // depth counts from offset.
    assert!(m(r#"content:"abc"; offset:2; depth:3;"#, b"xxabcx"));
    assert!(m(r#"content:"abc"; startswith;"#, b"abcx"));
    assert!(!m(r#"content:"abc"; startswith;"#, b"xabc"));
    assert!(m(r#"content:"abc"; endswith;"#, b"xxabc"));
    assert!(!m(r#"content:"abc"; endswith;"#, b"xxabcx"));
    assert!(m(r#"content:"ab"; endswith;"#, b"abxxab"));
}

#[test]
fn content_distance_within_backtracking() {
    assert!(m(r#"content:"a"; content:"b"; distance:1;"#, b"axb"));
    assert!(!m(r#"content:"a"; content:"b"; distance:2;"#, b"axb"));
    assert!(m(r#"content:"a"; content:"b"; within:2;"#, b"axb"));
    assert!(!m(r#"content:"a"; content:"b"; within:1;"#, b"axb"));
    // The first "a" fails the chain; the second one succeeds.
    assert!(m(r#"content:"a"; content:"b"; within:1;"#, b"axxab"));
    // Negative distance.
    assert!(m(
        r#"content:"bc"; content:"ab"; distance:-3; within:2;"#,
        b"abc"
    ));
    // Negated relative content: retried at the next occurrence.
    assert!(m(r#"content:"a"; content:!"x"; within:1;"#, b"axab"));
    assert!(!m(r#"content:"a"; content:!"x"; within:1;"#, b"axax"));
    // Three-step chain needing backtracking on the first content.
    assert!(m(
        r#"content:"k"; content:"v"; distance:0; within:2; content:"z"; distance:0; within:1;"#,
        b"kvq kxvz"
    ));
}

#[test]
fn pcre_flags_and_relative() {
    assert!(m(r#"pcre:"/a.c/";"#, b"xabcx"));
    assert!(m(r#"pcre:"/A.C/i";"#, b"xabcx"));
    assert!(!m(r#"pcre:"/^abc/";"#, b"xabc"));
    assert!(m(r#"content:"x"; pcre:"/^abc/R";"#, b"xabc"));
    assert!(!m(r#"content:"x"; pcre:"/^abc/R";"#, b"xyabc"));
    // Relative pcre retries the previous content's later occurrences.
    assert!(m(r#"content:"x"; pcre:"/^abc/R";"#, b"xyxabc"));
    assert!(m(r#"pcre:!"/zzz/";"#, b"abc"));
    assert!(m(r#"pcre:"/a\x0d\x0ab/s";"#, b"a\r\nb"));
}

#[test]
fn byte_test_jump_extract_math() {
    assert!(m("byte_test:2,=,258,0;", &[1, 2, 3]));
    assert!(m("byte_test:2,>,1,1;", &[0, 1, 2]));
    assert!(!m("byte_test:2,<,1,1;", &[0, 1, 2]));
    assert!(m("byte_test:2,=,513,0,little;", &[1, 2]));
    assert!(m("byte_test:3,=,123,0,string,dec;", b"123"));
    assert!(m("byte_test:2,=,0x1f,0,string,hex;", b"1f"));
    assert!(m("byte_test:1,&,0x80,0;", &[0x81]));
    assert!(m("byte_test:1,!&,0x80,0;", &[0x01]));
    assert!(!m("byte_test:4,=,1,0;", &[0, 0, 1]));
    // byte_jump moves the cursor: skip 2 bytes after the length byte.
    assert!(m(
        r#"content:"L"; byte_jump:1,0,relative; content:"Z"; within:1;"#,
        b"L\x02abZ"
    ));
    assert!(m(
        "byte_jump:1,0,post_offset 1; byte_test:1,=,9,0,relative;",
        &[1, 0, 0, 9]
    ));
    // byte_extract feeds later keywords.
    assert!(m(
        r#"byte_extract:1,0,len; content:"x"; offset:1; depth:len;"#,
        b"\x03abx"
    ));
    assert!(!m(
        r#"byte_extract:1,0,len; content:"x"; offset:1; depth:len;"#,
        b"\x02abx"
    ));
    assert!(m(
        "byte_math:bytes 1,offset 0,oper *,rvalue 2,result r; byte_test:1,=,r,1;",
        &[3, 6]
    ));
}

#[test]
fn isdataat_and_base64() {
    assert!(m("isdataat:2;", b"abc"));
    assert!(!m("isdataat:3;", b"abc"));
    assert!(m(r#"content:"a"; isdataat:2,relative;"#, b"abc"));
    assert!(!m(r#"content:"a"; isdataat:3,relative;"#, b"abc"));
    assert!(m(r#"content:"a"; isdataat:!3,relative;"#, b"abc"));
    assert!(m(
        r#"content:"q="; base64_decode:relative; base64_data; content:"hello";"#,
        b"q=aGVsbG8gd29ybGQ="
    ));
    assert!(!m(
        r#"content:"q="; base64_decode:relative; base64_data; content:"bye";"#,
        b"q=aGVsbG8gd29ybGQ="
    ));
}

#[test]
fn hostile_backtracking_is_bounded() {
    // Many partial matches: the step budget stops the search quickly.
    let data = vec![b'a'; 100_000];
    let t = std::time::Instant::now();
    assert!(!m(
        r#"content:"a"; content:"a"; distance:0; content:"b"; distance:0;"#,
        &data
    ));
    assert!(t.elapsed().as_secs() < 2);
}

#[test]
fn fast_pattern_selection() {
    let s = sig(r#"content:"ab"; content:"longer|00|x";"#);
    assert_eq!(s.fast.unwrap().pattern, b"longer\x00x");
    let s = sig(r#"content:"ab"; fast_pattern; content:"longer";"#);
    assert_eq!(s.fast.unwrap().pattern, b"ab");
    let s = sig(r#"content:"abcdef"; fast_pattern:2,3;"#);
    assert_eq!(s.fast.unwrap().pattern, b"cde");
    let s = sig(r#"content:!"neg";"#);
    assert!(s.fast.is_none());
    // The prefilter sees buffers untransformed: a transformed buffer's
    // content is never the fast pattern.
    let s = sig(r#"file.data; strip_whitespace; content:"embraceholistically";"#);
    assert!(s.fast.is_none());
    let s = sig(r#"http.uri; content:"/get"; http.uri; xor:"0d0a"; content:"password=";"#);
    assert_eq!(s.fast.unwrap().pattern, b"/get");
    let s = sig(r#"http.uri; to_lowercase; content:"abcdef"; fast_pattern;"#);
    assert!(s.fast.is_none());
}

#[test]
fn transforms_apply_before_matching() {
    let s = sig(r#"http.uri; to_lowercase; content:"/abc";"#);
    assert_eq!(s.bufs.len(), 1);
    assert_eq!(s.bufs[0].transforms.len(), 1);
}

/// The rule parser's protocol keywords are exactly the ones the protocol
/// modules compile (the two lists live in different crates).
#[test]
fn protocol_keyword_lists_agree() {
    use vigil_rules::keywords::{KEYWORDS, KeywordStatus};
    let parser: std::collections::BTreeSet<&str> = KEYWORDS
        .iter()
        .filter(|k| k.status == KeywordStatus::Protocol)
        .map(|k| k.name)
        .collect();
    let modules: std::collections::BTreeSet<&str> = vigil_proto::keywords::KEYWORDS
        .iter()
        .map(|k| k.name)
        .collect();
    assert_eq!(parser, modules);
    for (rule_name, _) in vigil_proto::keywords::BUFFER_ALIASES {
        assert!(
            vigil_rules::keywords::buffer_info(rule_name).is_some(),
            "{rule_name} is not a sticky buffer of the rule parser"
        );
    }
}

#[test]
fn byte_jump_to_the_buffer_end_does_not_match() {
    // Modbus length 6 after the 6-byte header: the jump lands on the end.
    let one_adu = b"\x00\x00\x00\x00\x00\x06\x0a\x08\x00\x04\x00\x00";
    assert!(!m("byte_jump:2,4; isdataat:0,relative;", one_adu));
    // More data after the message: the jump lands inside, isdataat holds.
    let mut two = one_adu.to_vec();
    two.extend_from_slice(one_adu);
    assert!(m("byte_jump:2,4; isdataat:0,relative;", &two));
}

#[test]
fn anchored_tcp_payload_rules_inspect_stream_and_packet() {
    // Suricata's validation: a TCP payload rule with depth/offset (or
    // stream_size) is a stream rule that also inspects packets.
    let s = sig(r#"content:"|00 00|"; offset:2; depth:2;"#);
    assert!(s.require_packet && s.stream_and_packet && !s.require_stream);
    let s = sig(r#"content:"abc";"#);
    assert!(!s.require_packet && !s.stream_and_packet);
    let s = sig(r#"content:"abc"; stream_size:client,>,10;"#);
    assert!(s.stream_and_packet);
    // An explicit choice stays: packet only, stream only.
    let s = sig(r#"flow:no_stream; content:"abc"; depth:3;"#);
    assert!(s.require_packet && !s.stream_and_packet);
    let s = sig(r#"flow:only_stream; content:"abc"; depth:3;"#);
    assert!(s.require_stream && !s.stream_and_packet);
    let s = sig(r#"dsize:>10; content:"abc"; depth:3;"#);
    assert!(s.require_packet && !s.stream_and_packet);
}

fn http_sig(opts: &str) -> Sig {
    sig_for("http", opts)
}

#[test]
fn rules_on_requests_in_progress() {
    // Request line and headers: from the first progress step.
    let s = http_sig(r#"flow:to_server; http.method; content:"POST"; http.header; content:!"x";"#);
    assert_eq!(s.partial_level, 1);
    // No direction given: the buffers' side decides.
    assert_eq!(http_sig(r#"http.uri; content:"/a";"#).partial_level, 1);
    // The hostname is known once the headers are complete.
    assert_eq!(
        http_sig(r#"flow:to_server; http.host; content:"a";"#).partial_level,
        2
    );
    // `urilen` checks the uri buffer (as Suricata's): no later.
    assert_eq!(
        http_sig(r#"flow:to_server; urilen:5; http.uri; content:"a";"#).partial_level,
        1
    );
    // Bodies and responses wait for the complete message.
    assert_eq!(
        http_sig(r#"flow:to_server; http.request_body; content:"a";"#).partial_level,
        0
    );
    assert_eq!(
        http_sig(r#"flow:to_client; http.header; content:"a";"#).partial_level,
        0
    );
    assert_eq!(
        http_sig(r#"flow:to_server; http.stat_code; content:"2";"#).partial_level,
        0
    );
}

#[test]
fn asn1_keyword_runs_after_the_payload_match() {
    // Kerberos-style: the object starts one byte before the match's end.
    let rule = r#"content:"|A1|"; asn1:oversize_length 3, relative_offset -1;"#;
    assert!(m(rule, b"xx\xA1\x05hello"));
    assert!(!m(rule, b"xx\xA1\x02hi"));
    assert!(m(
        "asn1:bitstring_overflow, absolute_offset 1;",
        b"Z\x03\x01\xFF"
    ));
    assert!(!m("asn1:bitstring_overflow;", b"Z\x03\x01\xFF"));
}

#[test]
fn tags_count_the_alerting_packet() {
    use crate::state::{TagMetric, TagSpec, TagState};
    let spec = |metric, count| TagSpec {
        host_dst: None,
        metric,
        count,
    };
    // 3 packets: the alerting one and two more.
    let mut t = TagState::new(spec(TagMetric::Packets, 3), 100, 60);
    assert!(t.next(100, 60));
    assert!(t.next(100, 60));
    assert!(!t.next(100, 60));
    // 150 bytes: the alerting 60 and one more 60-byte packet.
    let mut t = TagState::new(spec(TagMetric::Bytes, 150), 100, 60);
    assert!(t.next(100, 60));
    assert!(!t.next(100, 60));
    // 10 seconds after the alert.
    let mut t = TagState::new(spec(TagMetric::Seconds, 10), 100, 60);
    assert!(t.next(110, 60));
    assert!(!t.next(111, 60));
    // Defaults: 256 packets; host tags follow the source unless told.
    let rule = sig("tag:session;");
    assert_eq!(rule.tags, vec![spec(TagMetric::Packets, 256)]);
    let rule = sig("tag:host,9,packets,dst;");
    assert_eq!(rule.tags[0].host_dst, Some(true));
}

#[test]
fn byte_test_and_byte_jump_take_their_byte_count_from_a_variable() {
    // Suricata 7: nbytes may name a byte_extract variable.
    let test = "byte_extract:1,0,n; byte_test:n,=,0x0102,1;";
    assert!(m(test, b"\x02\x01\x02"));
    assert!(!m(test, b"\x01\x01\x02"));
    // byte_jump reads 2 bytes (value 3) after the count byte, then "x".
    let jump = r#"byte_extract:1,0,n; byte_jump:n,1; content:"x"; within:1; distance:0;"#;
    assert!(m(jump, b"\x02\x00\x03\x00\x00\x00x"));
    assert!(!m(jump, b"\x02\x00\x03\x00\x00\x00\x00x"));
    // A count out of range reads nothing.
    assert!(!m(
        "byte_extract:1,0,n; byte_test:n,>,0,1;",
        b"\x09\x01\x01\x01\x01\x01\x01\x01\x01\x01"
    ));
    // byte_jump:0 reads nothing and only moves the cursor.
    assert!(m(
        r#"content:"ab"; byte_jump:0,0,relative,post_offset -2; content:"ab"; within:2;"#,
        b"xxab"
    ));
}

#[test]
fn checksum_keywords_check_their_layer_only() {
    use crate::engine::{Packet, checksum_state};
    use vigil_rules::ChecksumLayer as L;
    use vigil_wire::{Decoded, LinkType, decode_packet};
    let state = |frame: &[u8], layer| {
        let mut decoded = Decoded::default();
        decode_packet(LinkType::Ethernet, frame, &mut decoded);
        let pkt = Packet {
            decoded: &decoded,
            frame,
            payload: &[],
            ts_secs: 0,
            flow: None,
            stream_tracked: false,
            stream: None,
        };
        checksum_state(layer, &pkt)
    };
    // A TCP SYN over IPv4 whose TCP checksum is wrong (0x1337, should be
    // 0xe0c1): detect-chksum-01's first packet.
    let mut syn: Vec<u8> = [
        "000476d3d86a0024e829fa4f08004500",
        "003cd79c40004006edb4c0a80203d155",
        "e1699bbb0050665207c100000000a002",
        "16d013370000020405b40402080a0087",
        "d05d0000000001030307",
    ]
    .concat()
    .as_bytes()
    .chunks(2)
    .map(|h| u8::from_str_radix(std::str::from_utf8(h).unwrap_or("zz"), 16).unwrap_or(0))
    .collect();
    assert_eq!(state(&syn, L::Ipv4), Some(true));
    assert_eq!(state(&syn, L::Tcpv4), Some(false));
    // Other layers: neither valid nor invalid.
    for other in [L::Tcpv6, L::Udpv4, L::Udpv6, L::Icmpv4, L::Icmpv6] {
        assert_eq!(state(&syn, other), None);
    }
    syn[0x32] = 0xe0;
    syn[0x33] = 0xc1;
    assert_eq!(state(&syn, L::Tcpv4), Some(true));
    // UDP over IPv4 without a checksum (0): no match either way.
    let mut udp = syn.get(..14).map(<[u8]>::to_vec).unwrap_or_default();
    udp.extend_from_slice(&[
        0x45, 0, 0, 29, 0, 0, 0, 0, 64, 17, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2, 0x12, 0x34, 0x56, 0x78,
        0, 9, 0, 0, b'a',
    ]);
    assert_eq!(state(&udp, L::Udpv4), None);
    assert_eq!(state(&udp, L::Ipv4), Some(false));
}

#[test]
fn analysis_types_follow_suricata() {
    // Suricata 7's engine analysis types (rules.json), checked against the
    // reference on suricata-verify's rule-types case and ET Open.
    let ty = |text: &str| compile_text(text).analysis_type;
    for (rule, want) in [
        ("alert tcp any any -> any any (sid:1;)", "ip_only"),
        (
            "alert tcp !192.168.0.1 any -> any any (sid:1;)",
            "like_ip_only",
        ),
        (
            "alert tcp-stream any any -> any any (content:\"abc\"; sid:1;)",
            "stream",
        ),
        (
            "alert tcp-pkt any any -> any any (content:\"abc\"; sid:1;)",
            "pkt",
        ),
        (
            "alert tcp any any -> any any (content:\"abc\"; sid:1;)",
            "stream",
        ),
        (
            "alert tcp any any -> any any (content:\"abc\"; depth:4; sid:1;)",
            "pkt_stream",
        ),
        (
            "alert tcp any any -> any any (flags:PA; content:\"abc\"; sid:1;)",
            "pkt",
        ),
        (
            "alert udp any any -> any any (content:\"abc\"; sid:1;)",
            "pkt_stream",
        ),
        (
            "alert icmp any any -> any any (itype:8; content:\"abc\"; sid:1;)",
            "pkt",
        ),
        (
            "alert tcp any any -> any any (app-layer-protocol:http; sid:1;)",
            "pd_only",
        ),
        ("alert http any any -> any any (sid:1;)", "app_layer"),
        (
            "alert http any any -> any any (http.uri; content:\"a\"; sid:1;)",
            "app_tx",
        ),
        ("alert tcp any any -> any any (ttl:123; sid:1;)", "pkt"),
        (
            "alert udp any any -> any any (flow:to_server; sid:1;)",
            "pkt",
        ),
        (
            "alert pkthdr any any -> any any (decode-event:ipv6.exthdr_dupl_hh; sid:1;)",
            "de_only",
        ),
    ] {
        assert_eq!(ty(rule), want, "{rule}");
    }
}

#[test]
fn decode_event_matches_packets_that_raised_it() {
    use crate::engine::{Packet, hdr_match};
    use crate::sig::HdrCheck;
    use vigil_wire::{DecodeEvent, Decoded, LinkType, decode_packet};
    let s = sig("decode-event:ipv4.hlen_too_small;");
    assert!(matches!(
        s.hdr.as_slice(),
        [HdrCheck::DecodeEvent(DecodeEvent::Ipv4HlenTooSmall)]
    ));
    // An IPv4 header claiming 16 bytes (IHL 4): no IP layer, the event only.
    let mut frame = vec![0u8; 12];
    frame.extend_from_slice(&[0x08, 0x00, 0x44, 0, 0, 20]);
    frame.resize(14 + 20, 0);
    let mut decoded = Decoded::default();
    decode_packet(LinkType::Ethernet, &frame, &mut decoded);
    let pkt = Packet {
        decoded: &decoded,
        frame: &frame,
        payload: &[],
        ts_secs: 0,
        flow: None,
        stream_tracked: false,
        stream: None,
    };
    assert!(hdr_match(&s.hdr[0], &pkt));
    let other = sig("decode-event:ipv4.trunc_pkt;");
    assert!(!hdr_match(&other.hdr[0], &pkt));
    // Unknown names are refused, as Suricata refuses them.
    let vars = Vars::suricata_default();
    let rule = parse_rule(
        "alert ip any any -> any any (decode-event:ipv4.nope; sid:1;)",
        &vars,
        &Classifications::suricata_default(),
    )
    .unwrap_or_else(|e| panic!("{e:?}"))
    .rule;
    assert!(
        compile(
            &rule,
            0,
            "",
            &mut Names::default(),
            &mut Names::default(),
            &vars
        )
        .is_err()
    );
}

#[test]
fn track_by_both_counts_both_directions_of_an_ip_pair() {
    // Suricata keeps by_both trackers on its IP-pair table, which matches
    // the addresses in either order.
    use crate::state::Thresholds;
    use std::net::{IpAddr, Ipv4Addr};
    let a = IpAddr::V4(Ipv4Addr::new(10, 0, 0, 1));
    let b = IpAddr::V4(Ipv4Addr::new(10, 0, 0, 2));
    let c = IpAddr::V4(Ipv4Addr::new(10, 0, 0, 3));
    let s = sig("threshold:type limit, track by_both, count 1, seconds 60;");
    let mut t = Thresholds::new(&vigil_rules::ThresholdConfig::default());
    assert!(t.check(&s, a, b, 0, None));
    assert!(!t.check(&s, b, a, 1, None));
    assert!(t.check(&s, a, c, 1, None));
}

#[test]
fn byte_test_string_of_unstated_length_reads_the_number_there() {
    // ET's `http.content_len; byte_test:0,<,200,0,string,dec;`.
    let rule = "byte_test:0,<,200,0,string,dec;";
    assert!(m(rule, b"70"));
    assert!(!m(rule, b"700"));
    assert!(!m(rule, b"x70"));
    assert!(m("byte_test:0,=,26,1,string,hex;", b" 1a;"));
}
