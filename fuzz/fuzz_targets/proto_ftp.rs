//! Fuzzes the FTP control parser and the ftp-data parsers it announces:
//! the first byte sets the longest line (small values exercise the
//! truncation); then a conversation of segments, each introduced by one
//! control byte (bit 0: direction, bits 1..7: length; 0xff: a gap), ending
//! with the flow's end. Every announced data connection gets a parser that
//! is fed the same segments (the data flow's view). Every produced record
//! is rendered (checked UTF-8) and every buffer and integer field read;
//! the prober runs on every segment.
#![no_main]

#[path = "common/segments.rs"]
mod segments;

use libfuzzer_sys::fuzz_target;
use vigil_eve::JsonWriter;
use vigil_proto::it::ftp::{FtpParser, probe};
use vigil_proto::{AppParser, Direction, ParseOutput};

const BUFFERS: &[&str] = &[
    "ftp.command",
    "ftp.command_data",
    "file.data",
    "file.name",
    "ftp_data.command",
];

/// Data connections fed at most (the control parser may announce many).
const MAX_DATA_PARSERS: usize = 4;

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
            let _ = tx.buffer_dir(b, Direction::ToServer);
            let _ = tx.buffer_dir(b, Direction::ToClient);
            tx.buffers(b, &mut |_| {});
        }
        tx.uints("ftp.port_ip", &mut |_| {});
    }
    out.events.clear();
    out.detect_events.clear();
}

fuzz_target!(|data: &[u8]| {
    let Some((&first, rest)) = data.split_first() else {
        return;
    };
    let max_line = if first & 0x80 == 0 {
        usize::from(first) + 1
    } else {
        4096
    };
    let mut p = FtpParser::with_max_line_len(max_line);
    let mut data_parsers: Vec<Box<dyn AppParser>> = Vec::new();
    let mut out = ParseOutput::default();
    let mut json = Vec::new();
    for step in segments::steps(rest) {
        match step {
            segments::Step::Gap(dir, len) => {
                p.gap(dir, len, &mut out);
                for d in &mut data_parsers {
                    d.gap(dir, len, &mut out);
                }
                drain(&mut out, &mut json);
            }
            segments::Step::Data(dir, seg) => {
                let _ = probe(dir, seg);
                p.parse(dir, seg, &mut out);
                for d in &mut data_parsers {
                    d.parse(dir, seg, &mut out);
                }
                for e in out.announced.drain(..) {
                    if data_parsers.len() < MAX_DATA_PARSERS {
                        data_parsers.push((e.parser)(1));
                    }
                }
                out.change = None;
                drain(&mut out, &mut json);
            }
        }
    }
    for dir in [Direction::ToServer, Direction::ToClient] {
        p.close(dir, &mut out);
        for d in &mut data_parsers {
            d.close(dir, &mut out);
        }
    }
    p.finish(&mut out);
    for d in &mut data_parsers {
        let _ = d.parent_flow_id();
        d.finish(&mut out);
    }
    out.announced.clear();
    drain(&mut out, &mut json);
});
