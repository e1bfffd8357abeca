//! Fuzzes the HTTP/1.x parser: the input is a conversation of segments,
//! each introduced by one control byte (bit 0: direction, bits 1..7:
//! length; 0xff: a gap), ending with the flow's end. Every produced record
//! is rendered and every buffer read.
#![no_main]

#[path = "common/segments.rs"]
mod segments;

use libfuzzer_sys::fuzz_target;
use vigil_eve::JsonWriter;
use vigil_proto::it::http::HttpParser;
use vigil_proto::{AppParser, ParseOutput};

const BUFFERS: &[&str] = &[
    "http.uri",
    "http.uri.raw",
    "http.method",
    "http.protocol",
    "http.host",
    "http.host.raw",
    "http.user_agent",
    "http.header",
    "http.header:toclient",
    "http.header.raw",
    "http.header_names",
    "http.cookie",
    "http.request_body",
    "http.response_body",
    "http.stat_code",
    "http.start",
];

fn drain(out: &mut ParseOutput, json: &mut Vec<u8>) {
    for tx in out.txs.drain(..) {
        json.clear();
        let mut w = JsonWriter::new(json);
        w.open_object();
        tx.write_eve(&mut w);
        w.close_object();
        for b in BUFFERS {
            let _ = tx.buffer(b);
        }
    }
    out.events.clear();
}

fuzz_target!(|data: &[u8]| {
    let mut p = HttpParser::new();
    let mut out = ParseOutput::default();
    let mut json = Vec::new();
    for step in segments::steps(data) {
        match step {
            segments::Step::Gap(dir, len) => {
                p.gap(dir, len, &mut out);
            }
            segments::Step::Data(dir, seg) => {
                p.parse(dir, seg, &mut out);
                drain(&mut out, &mut json);
            }
        }
    }
    p.finish(&mut out);
    drain(&mut out, &mut json);
});
