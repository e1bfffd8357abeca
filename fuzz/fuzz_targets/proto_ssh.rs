//! SSH parser: the input is cut into chunks fed as stream pieces,
//! alternating directions as the chunk headers say (with gaps); every
//! transaction is written as EVE and its buffers read. The first byte turns
//! HASSH on or off.
#![no_main]

use libfuzzer_sys::fuzz_target;
use vigil_eve::JsonWriter;
use vigil_proto::it::ssh::{self, SshParser};
use vigil_proto::{AppParser, Direction, ParseOutput};

fuzz_target!(|data: &[u8]| {
    let Some((&mode, mut rest)) = data.split_first() else {
        return;
    };
    let mut parser = SshParser::with_hassh(mode & 1 != 0);
    let mut out = ParseOutput::default();
    let mut buf = Vec::new();
    // Each chunk: one header byte (bit 7: direction, bit 6: gap before it,
    // low bits: length * 4 + 1, or 63: the rest of the input), then the bytes.
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
        let _ = ssh::probe(dir, chunk);
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
        for name in [
            "ssh.proto",
            "ssh.software",
            "ssh.hassh",
            "ssh.hassh.string",
            "ssh.hassh.server",
            "ssh.hassh.server.string",
        ] {
            let _ = tx.buffer(name);
        }
    }
    out.events.clear();
}
