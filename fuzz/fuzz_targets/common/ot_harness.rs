//! Shared harness of the OT fuzz targets (Modbus, DNP3, ENIP, IEC 104,
//! S7comm, MMS, OPC UA): the input is cut into chunks fed over TCP (stream
//! pieces, with gaps) or UDP (one datagram per chunk), alternating
//! directions as the chunk headers say; probers see every chunk, every
//! transaction is written as EVE (checked to be UTF-8 JSON) and its keyword
//! fields and buffers read.

use vigil_eve::JsonWriter;
use vigil_proto::{Direction, ParseOutput, ProtoInfo, Transport};

/// Feeds `data` to a new parser of `info`, as described in the module docs,
/// reading the integer fields `uints` and the buffers `buffers` (single and
/// multi-valued) of every transaction.
pub fn run_with(info: &ProtoInfo, data: &[u8], uints: &[&str], buffers: &[&str]) {
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
        drain(&mut out, &mut buf, uints, buffers);
    }
    parser.finish(&mut out);
    drain(&mut out, &mut buf, uints, buffers);
}

fn drain(out: &mut ParseOutput, buf: &mut Vec<u8>, uints: &[&str], buffers: &[&str]) {
    for tx in out.txs.drain(..) {
        buf.clear();
        let mut w = JsonWriter::new(buf);
        w.open_object();
        tx.write_eve(&mut w);
        w.close_object();
        assert!(std::str::from_utf8(buf).is_ok());
        for name in uints {
            tx.uints(name, &mut |_| {});
        }
        for name in buffers {
            let _ = tx.buffer(name);
            tx.buffers(name, &mut |_| {});
        }
    }
    out.events.clear();
}
