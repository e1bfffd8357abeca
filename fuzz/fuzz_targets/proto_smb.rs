//! Fuzzes the SMB parser (NBSS framing, SMB1/2/3, NTLMSSP, DCERPC over
//! pipes): the input is a conversation of segments, each introduced by one
//! control byte (bit 0: direction, bits 1..7: length; 0xff: a gap), ending
//! with the flow's end. The prober sees every segment; every produced record
//! (smb, fileinfo) is rendered and every rule buffer read.
#![no_main]

#[path = "common/segments.rs"]
mod segments;

use libfuzzer_sys::fuzz_target;
use vigil_eve::JsonWriter;
use vigil_proto::it::smb::{SmbParser, probe};
use vigil_proto::{AppParser, Direction, ParseOutput};

const BUFFERS: &[&str] = &[
    "smb.named_pipe",
    "smb.share",
    "smb.ntlmssp_user",
    "smb.ntlmssp_domain",
    "dcerpc.stub_data",
    "file.data",
];

fn drain(out: &mut ParseOutput, json: &mut Vec<u8>) {
    for tx in out.txs.drain(..) {
        json.clear();
        let mut w = JsonWriter::new(json);
        w.open_object();
        tx.write_eve(&mut w);
        w.close_object();
        assert!(std::str::from_utf8(json).is_ok());
        for b in BUFFERS {
            let _ = tx.buffer(b);
            let _ = tx.buffer_dir(b, Direction::ToClient);
        }
        tx.buffers("dcerpc.iface", &mut |_| {});
        tx.uints("dcerpc.opnum", &mut |_| {});
    }
    out.events.clear();
}

fuzz_target!(|data: &[u8]| {
    let mut p = SmbParser::new();
    let mut out = ParseOutput::default();
    let mut json = Vec::new();
    for step in segments::steps(data) {
        match step {
            segments::Step::Gap(dir, len) => {
                p.gap(dir, len, &mut out);
            }
            segments::Step::Data(dir, seg) => {
                let _ = probe(dir, seg);
                p.parse(dir, seg, &mut out);
                drain(&mut out, &mut json);
            }
        }
    }
    p.finish(&mut out);
    drain(&mut out, &mut json);
});
