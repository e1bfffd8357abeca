//! Fuzzes the DCERPC parsers. The first byte picks the transport (even:
//! TCP, odd: UDP); the rest is a conversation of segments (TCP) or
//! datagrams (UDP), each introduced by one control byte (bit 0: direction,
//! bits 1..7: length; 0xff: a TCP gap), ending with the flow's end. The
//! probers see every segment; every produced record is rendered and every
//! rule buffer and field read.
#![no_main]

#[path = "common/segments.rs"]
mod segments;

use libfuzzer_sys::fuzz_target;
use vigil_eve::JsonWriter;
use vigil_proto::it::dcerpc::{TcpParser, UdpParser, probe_tcp, probe_udp};
use vigil_proto::{AppParser, Direction, ParseOutput};

fn drain(out: &mut ParseOutput, json: &mut Vec<u8>) {
    for tx in out.txs.drain(..) {
        json.clear();
        let mut w = JsonWriter::new(json);
        w.open_object();
        tx.write_eve(&mut w);
        w.close_object();
        assert!(std::str::from_utf8(json).is_ok());
        let _ = tx.buffer("dcerpc.stub_data");
        let _ = tx.buffer_dir("dcerpc.stub_data", Direction::ToClient);
        tx.buffers("dcerpc.iface", &mut |_| {});
        tx.uints("dcerpc.opnum", &mut |_| {});
    }
    out.events.clear();
}

fuzz_target!(|data: &[u8]| {
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    let udp = mode & 1 == 1;
    let mut p: Box<dyn AppParser> = if udp {
        Box::new(UdpParser::default())
    } else {
        Box::new(TcpParser::default())
    };
    let mut out = ParseOutput::default();
    let mut json = Vec::new();
    for step in segments::steps(rest) {
        match step {
            segments::Step::Gap(dir, len) => {
                p.gap(dir, len, &mut out);
            }
            segments::Step::Data(dir, seg) => {
                let _ = if udp {
                    probe_udp(dir, seg)
                } else {
                    probe_tcp(dir, seg)
                };
                p.parse(dir, seg, &mut out);
                drain(&mut out, &mut json);
            }
        }
    }
    p.finish(&mut out);
    drain(&mut out, &mut json);
});
