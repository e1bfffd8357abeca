//! DNS parser: the input is cut into chunks fed over UDP (one datagram per
//! chunk) or TCP (stream pieces), alternating directions as the chunk
//! headers say; every transaction is written as EVE and its buffers read.
#![no_main]

use libfuzzer_sys::fuzz_target;
use vigil_eve::JsonWriter;
use vigil_proto::it::dns::{DnsLogConfig, DnsParser};
use vigil_proto::{AppParser, Direction, ParseOutput, Transport};

fuzz_target!(|data: &[u8]| {
    let Some((&mode, mut rest)) = data.split_first() else {
        return;
    };
    let transport = if mode & 1 == 0 {
        Transport::Udp
    } else {
        Transport::Tcp
    };
    let config = DnsLogConfig {
        detailed: mode & 2 == 0,
        grouped: mode & 4 == 0,
        types: (mode & 8 != 0).then(|| vec![1, 28, 16]),
        ..DnsLogConfig::default()
    };
    let probe = match transport {
        Transport::Udp => vigil_proto::it::dns::INFO.probe_udp,
        Transport::Tcp => vigil_proto::it::dns::INFO.probe_tcp,
    };
    let mut parser = DnsParser::with_config(transport, config);
    let mut out = ParseOutput::default();
    let mut buf = Vec::new();
    // Each chunk: one header byte (bit 7: direction, bit 6: gap before it,
    // low bits: length / 4, or 63: the rest of the input), then the bytes.
    while let Some((&h, tail)) = rest.split_first() {
        let len = match h & 0x3f {
            0x3f => tail.len(),
            n => (usize::from(n) * 4 + 1).min(tail.len()),
        };
        let (chunk, next) = tail.split_at(len);
        rest = next;
        let dir = if h & 0x80 == 0 {
            Direction::ToServer
        } else {
            Direction::ToClient
        };
        if let Some(p) = probe {
            let _ = p(dir, chunk);
        }
        if h & 0x40 != 0 {
            parser.gap(dir, 10, &mut out);
        }
        parser.parse(dir, chunk, &mut out);
        for tx in out.txs.drain(..) {
            buf.clear();
            let mut w = JsonWriter::new(&mut buf);
            w.open_object();
            tx.write_eve(&mut w);
            w.close_object();
            assert!(std::str::from_utf8(&buf).is_ok());
            for name in ["dns.query", "dns.answer.name", "dns.query.name"] {
                let _ = tx.buffer(name);
                tx.buffers(name, &mut |_| {});
            }
            for name in ["dns.opcode", "dns.rcode", "dns.rrtype"] {
                tx.uints(name, &mut |_| {});
            }
        }
        out.events.clear();
    }
    parser.finish(&mut out);
});
