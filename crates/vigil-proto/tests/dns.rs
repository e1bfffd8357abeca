//! DNS and DHCP parsers on captures of the Suricata-verify corpus: the
//! records must hold what Suricata's own test cases expect. Skips (with a
//! message) when ../shared/corpus is absent.

use std::collections::HashMap;
use std::path::PathBuf;

use vigil_eve::JsonWriter;
use vigil_proto::it::dhcp::DhcpParser;
use vigil_proto::it::dns::DnsParser;
use vigil_proto::{AppParser, Direction, ParseOutput, Transport};

fn corpus() -> Option<PathBuf> {
    let p = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/corpus/suricata-verify/tests");
    if p.is_dir() {
        Some(p)
    } else {
        eprintln!("skipping: corpus not found at {}", p.display());
        None
    }
}

/// One TCP or UDP payload of an Ethernet/IPv4 classic pcap.
struct Segment {
    tcp: bool,
    src: ([u8; 4], u16),
    dst: ([u8; 4], u16),
    payload: Vec<u8>,
}

/// A minimal reader: classic little-endian pcap, Ethernet, IPv4, no
/// fragments. TCP payloads are taken in capture order (the test captures
/// have no loss or retransmission).
fn segments(path: &PathBuf) -> Vec<Segment> {
    let d = std::fs::read(path).unwrap();
    assert_eq!(&d[..4], &[0xd4, 0xc3, 0xb2, 0xa1], "{}", path.display());
    let mut out = Vec::new();
    let mut off = 24;
    while off + 16 <= d.len() {
        let incl = u32::from_le_bytes(d[off + 8..off + 12].try_into().unwrap()) as usize;
        let f = &d[off + 16..(off + 16 + incl).min(d.len())];
        off += 16 + incl;
        if f.len() < 34 || f[12..14] != [8, 0] {
            continue;
        }
        let ip = &f[14..];
        let ihl = usize::from(ip[0] & 15) * 4;
        let total = usize::from(u16::from_be_bytes([ip[2], ip[3]])).min(ip.len());
        let (proto, src, dst) = (
            ip[9],
            [ip[12], ip[13], ip[14], ip[15]],
            [ip[16], ip[17], ip[18], ip[19]],
        );
        let l4 = &ip[ihl..total];
        let ports = |b: &[u8]| {
            (
                u16::from_be_bytes([b[0], b[1]]),
                u16::from_be_bytes([b[2], b[3]]),
            )
        };
        match proto {
            17 if l4.len() >= 8 => {
                let (sp, dp) = ports(l4);
                out.push(Segment {
                    tcp: false,
                    src: (src, sp),
                    dst: (dst, dp),
                    payload: l4[8..].to_vec(),
                });
            }
            6 if l4.len() >= 20 => {
                let (sp, dp) = ports(l4);
                let doff = usize::from(l4[12] >> 4) * 4;
                out.push(Segment {
                    tcp: true,
                    src: (src, sp),
                    dst: (dst, dp),
                    payload: l4.get(doff..).unwrap_or(&[]).to_vec(),
                });
            }
            _ => {}
        }
    }
    out
}

/// Runs `make` parsers over the capture's flows (client: the sender of a
/// flow's first packet) and returns the records written, in order.
fn run(path: &PathBuf, mut make: impl FnMut(bool) -> Box<dyn AppParser>) -> Vec<String> {
    type Ep = ([u8; 4], u16);
    let mut flows: HashMap<(Ep, Ep, bool), Box<dyn AppParser>> = HashMap::new();
    let mut records = Vec::new();
    let mut out = ParseOutput::default();
    for s in segments(path) {
        let (key, dir) = if flows.contains_key(&(s.dst, s.src, s.tcp)) {
            ((s.dst, s.src, s.tcp), Direction::ToClient)
        } else {
            ((s.src, s.dst, s.tcp), Direction::ToServer)
        };
        let p = flows.entry(key).or_insert_with(|| make(s.tcp));
        if s.payload.is_empty() {
            continue;
        }
        p.parse(dir, &s.payload, &mut out);
        for tx in out.txs.drain(..) {
            let mut buf = Vec::new();
            let mut w = JsonWriter::new(&mut buf);
            w.open_object();
            tx.write_eve(&mut w);
            w.close_object();
            records.push(String::from_utf8(buf).unwrap());
        }
        out.events.clear();
    }
    records
}

fn dns(tcp: bool) -> Box<dyn AppParser> {
    Box::new(DnsParser::new(if tcp {
        Transport::Tcp
    } else {
        Transport::Udp
    }))
}

#[test]
fn dig_query_and_answer() {
    let Some(c) = corpus() else { return };
    let r = run(&c.join("cond-log-dns-dig/input.pcap"), dns);
    assert_eq!(
        r,
        [
            r#"{"dns":{"version":2,"type":"query","id":36146,"rrname":"www.suricata-ids.org","rrtype":"A","tx_id":0,"opcode":0}}"#,
            concat!(
                r#"{"dns":{"version":2,"type":"answer","id":36146,"flags":"81a0","qr":true,"rd":true,"ra":true,"opcode":0,"#,
                r#""rrname":"www.suricata-ids.org","rrtype":"A","rcode":"NOERROR","answers":["#,
                r#"{"rrname":"www.suricata-ids.org","rrtype":"CNAME","ttl":3544,"rdata":"suricata-ids.org"},"#,
                r#"{"rrname":"suricata-ids.org","rrtype":"A","ttl":244,"rdata":"192.0.78.24"},"#,
                r#"{"rrname":"suricata-ids.org","rrtype":"A","ttl":244,"rdata":"192.0.78.25"}],"#,
                r#""grouped":{"CNAME":["suricata-ids.org"],"A":["192.0.78.24","192.0.78.25"]}}}"#
            ),
        ]
    );
}

#[test]
fn txt_answers() {
    let Some(c) = corpus() else { return };
    let r = run(&c.join("dns/v2/dns-udp-eve-txt/input.pcap"), dns);
    assert_eq!(r.len(), 4);
    assert!(r[1].contains(r#""rrname":"google.com","rrtype":"TXT","rcode":"NOERROR""#));
    assert!(r[1].contains(r#""rrtype":"TXT","ttl":"#));
    assert!(r[1].contains(r#""grouped":{"TXT":["#));
}

#[test]
fn tcp_query_and_answer() {
    let Some(c) = corpus() else { return };
    let r = run(&c.join("dns/dns-tcp-www-google-com/dns.pcap"), dns);
    assert_eq!(r.len(), 2);
    assert!(r[0].starts_with(
        r#"{"dns":{"version":2,"type":"query","id":24440,"rrname":"www.google.com","rrtype":"A""#
    ));
    assert!(r[1].contains(r#""type":"answer","id":24440"#));
}

#[test]
fn tcp_many_requests_in_one_buffer() {
    let Some(c) = corpus() else { return };
    let r = run(
        &c.join("dns/dns-tcp-multirequest-buffer/dns-tcp-multirequest-buffer.pcap"),
        dns,
    );
    assert_eq!(
        r.iter().filter(|s| s.contains(r#""type":"query""#)).count(),
        20
    );
}

#[test]
fn dhcp_ack_default_and_extended() {
    let Some(c) = corpus() else { return };
    let r = run(&c.join("dhcp-eve-extended/input.pcap"), |_| {
        Box::new(DhcpParser::new(false))
    });
    assert_eq!(
        r,
        [
            r#"{"dhcp":{"type":"reply","id":4016330564,"client_mac":"00:11:32:17:49:f0","assigned_ip":"10.16.1.4","dhcp_type":"ack","renewal_time":1681,"hostname":"nas1\u0000"}}"#
        ]
    );
    let r = run(&c.join("dhcp-eve-extended-option-60/input.pcap"), |_| {
        Box::new(DhcpParser::new(true))
    });
    assert_eq!(r.len(), 1);
    assert!(r[0].starts_with(r#"{"dhcp":{"type":"request","id":3759982360,"#));
    assert!(r[0].contains(r#""params":["subnet_mask","domain","router","dns_server"]"#));
    assert!(r[0].contains(r#""vendor_class_identifier":"MSFT 5.0""#));
}

#[test]
fn every_dns_capture_parses() {
    let Some(c) = corpus() else { return };
    let mut n = 0;
    for case in [
        "dns",
        "dns-eve-type-filtering",
        "dns-opcode",
        "dns-reversed-udp-1",
        "dns-udp-z-flag-fp",
    ] {
        for entry in walk(&c.join(case)) {
            if entry.extension().is_some_and(|e| e == "pcap") {
                let _ = run(&entry, dns);
                n += 1;
            }
        }
    }
    assert!(n > 10, "{n} captures");
}

fn walk(dir: &PathBuf) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let Ok(rd) = std::fs::read_dir(dir) else {
        return out;
    };
    for e in rd.flatten() {
        let p = e.path();
        if p.is_dir() {
            out.extend(walk(&p));
        } else {
            out.push(p);
        }
    }
    out
}
