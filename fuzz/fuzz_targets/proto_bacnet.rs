//! BACnet/IP parser: the input is cut into UDP datagrams fed in both
//! directions as the chunk headers say; the prober sees every datagram,
//! every transaction is written as EVE (checked to be UTF-8) and its
//! keyword fields and buffers are read.
#![no_main]

use libfuzzer_sys::fuzz_target;
use vigil_eve::JsonWriter;
use vigil_proto::ot::bacnet::INFO;
use vigil_proto::{Direction, ParseOutput, Transport};

const UINTS: &[&str] = &[
    "bacnet.bvlc_function",
    "bacnet.apdu_type",
    "bacnet.service",
    "bacnet.confirmed_service",
    "bacnet.unconfirmed_service",
    "bacnet.invoke_id",
    "bacnet.object_type",
    "bacnet.instance",
    "bacnet.property",
    "bacnet.priority",
    "bacnet.vendor_id",
    "bacnet.reinitialized_state",
    "bacnet.enable_disable",
    "bacnet.error_class",
    "bacnet.error_code",
    "bacnet.reject_reason",
    "bacnet.abort_reason",
    "bacnet.network_message_type",
    "bacnet.dnet",
    "bacnet.snet",
];
const BUFFERS: &[&str] = &["bacnet.service", "bacnet.object_name", "bacnet.password"];

fuzz_target!(|data: &[u8]| {
    let mut rest = data;
    let mut parser = (INFO.new_parser)(Transport::Udp);
    let mut out = ParseOutput::default();
    let mut buf = Vec::new();
    // Each datagram: a two-octet big-endian header (bit 15: direction,
    // low 15 bits: length, cut at the end of the input), then the bytes.
    while let [h0, h1, tail @ ..] = rest {
        let h = u16::from_be_bytes([*h0, *h1]);
        let len = usize::from(h & 0x7fff).min(tail.len());
        let (datagram, next) = tail.split_at(len);
        rest = next;
        let dir = if h & 0x8000 == 0 {
            Direction::ToServer
        } else {
            Direction::ToClient
        };
        if let Some(p) = INFO.probe_udp {
            let _ = p(dir, datagram);
        }
        parser.parse(dir, datagram, &mut out);
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
