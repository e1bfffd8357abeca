//! OPC UA binary parser: the input is cut into chunks fed as TCP stream
//! pieces (with gaps), alternating directions as the chunk headers say; the
//! prober sees every chunk, every transaction is written as EVE (checked to
//! be UTF-8) and its keyword fields and buffers are read.
#![no_main]

use libfuzzer_sys::fuzz_target;
use vigil_eve::JsonWriter;
use vigil_proto::ot::opcua::INFO;
use vigil_proto::{Direction, ParseOutput, Transport};

const UINTS: &[&str] = &[
    "opcua.msg_type",
    "opcua.service",
    "opcua.status_code",
    "opcua.security_mode",
    "opcua.request_id",
    "opcua.secure_channel_id",
    "opcua.attribute_id",
];
const BUFFERS: &[&str] = &["opcua.service_name", "opcua.security_policy", "opcua.node_id"];

fuzz_target!(|data: &[u8]| {
    let mut rest = data;
    let mut parser = (INFO.new_parser)(Transport::Tcp);
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
        let dir = if h & 0x80 == 0 { Direction::ToServer } else { Direction::ToClient };
        if let Some(p) = INFO.probe_tcp {
            let _ = p(dir, chunk);
        }
        if h & 0x40 != 0 {
            parser.gap(dir, 10, &mut out);
        }
        parser.parse(dir, chunk, &mut out);
        drain(&mut out, &mut buf);
    }
    parser.finish(&mut out);
    drain(&mut out, &mut buf);
});

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
        for name in BUFFERS {
            let _ = tx.buffer(name);
            tx.buffers(name, &mut |_| {});
        }
    }
    out.events.clear();
}
