//! DHCP parser: the input is one datagram (first byte: extended logging
//! and direction); every transaction is written as EVE.
#![no_main]

use libfuzzer_sys::fuzz_target;
use vigil_eve::JsonWriter;
use vigil_proto::it::dhcp::DhcpParser;
use vigil_proto::{AppParser, Direction, ParseOutput};

fuzz_target!(|data: &[u8]| {
    let Some((&mode, msg)) = data.split_first() else {
        return;
    };
    let dir = if mode & 2 == 0 {
        Direction::ToServer
    } else {
        Direction::ToClient
    };
    if let Some(p) = vigil_proto::it::dhcp::INFO.probe_udp {
        let _ = p(dir, msg);
    }
    let mut parser = DhcpParser::new(mode & 1 == 1);
    let mut out = ParseOutput::default();
    parser.parse(dir, msg, &mut out);
    let mut buf = Vec::new();
    for tx in out.txs.drain(..) {
        let mut w = JsonWriter::new(&mut buf);
        w.open_object();
        tx.write_eve(&mut w);
        w.close_object();
        let _ = tx.buffer("dhcp.hostname");
        tx.uints("dhcp.leasetime", &mut |_| {});
    }
});
