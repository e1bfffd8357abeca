//! Shared harness of the Modbus, DNP3 and ENIP fuzz targets: the input is
//! cut into chunks fed over TCP (stream pieces, with gaps) or UDP (one
//! datagram per chunk), alternating directions as the chunk headers say;
//! probers see every chunk, every transaction is written as EVE (checked to
//! be UTF-8 JSON) and its keyword fields read.

use vigil_eve::JsonWriter;
use vigil_proto::{Direction, ParseOutput, ProtoInfo, Transport};

const UINTS: &[&str] = &[
    "modbus.function",
    "modbus.subfunction",
    "modbus.unit",
    "modbus.access",
    "dnp3.func",
    "dnp3.ind",
    "dnp3.obj",
    "enip.command",
    "enip.status",
    "cip.service",
    "cip.class",
];

/// Feeds `data` to a new parser of `info`, as described in the module docs.
pub fn run(info: &ProtoInfo, data: &[u8]) {
    let Some((&mode, mut rest)) = data.split_first() else {
        return;
    };
    let transport = if mode & 1 == 0 || info.probe_udp.is_none() {
        Transport::Tcp
    } else {
        Transport::Udp
    };
    let probe = match transport {
        Transport::Udp => info.probe_udp,
        Transport::Tcp => info.probe_tcp,
    };
    let mut parser = (info.new_parser)(transport);
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
        if h & 0x40 != 0 && transport == Transport::Tcp {
            parser.gap(dir, 10, &mut out);
        }
        parser.parse(dir, chunk, &mut out);
        drain(&mut out, &mut buf);
    }
    parser.finish(&mut out);
    drain(&mut out, &mut buf);
}

fn drain(out: &mut ParseOutput, buf: &mut Vec<u8>) {
    for tx in out.txs.drain(..) {
        buf.clear();
        let mut w = JsonWriter::new(buf);
        w.open_object();
        tx.write_eve(&mut w);
        w.close_object();
        assert!(std::str::from_utf8(buf).is_ok());
        for name in UINTS {
            tx.uints(name, &mut |_| {});
        }
        for name in ["dnp3_data", "enip.product_name", "cip.data"] {
            let _ = tx.buffer(name);
        }
    }
    out.events.clear();
}
