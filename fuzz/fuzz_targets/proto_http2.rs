//! Fuzzes the HTTP/2 parser: the first byte picks a fresh connection (even)
//! or one upgraded from HTTP/1 (odd, the upgrade request's header values cut
//! from the input); then a conversation of segments, each introduced by one
//! control byte (bit 0: direction, bits 1..7: length; 0xff: a gap), ending
//! with the flow's end. The probes run on every segment; every record
//! (http, fileinfo) is rendered (checked UTF-8), every buffer read and the
//! http2.* keywords applied.
#![no_main]

#[path = "common/segments.rs"]
mod segments;

use libfuzzer_sys::fuzz_target;
use vigil_eve::JsonWriter;
use vigil_proto::it::http2::{self, Http2Parser, UpgradeRequest};
use vigil_proto::{AppParser, Direction, ParseOutput, keywords};

const BUFFERS: &[&str] = &[
    "http.uri",
    "http.method",
    "http.host",
    "http.host.raw",
    "http.user_agent",
    "http.stat_code",
    "http.cookie",
    "http.cookie:toclient",
    "http.header",
    "http.header:toclient",
    "http.header.raw",
    "http.header_names",
    "file.data",
    "file.data:toserver",
];

const MULTI: &[&str] = &[
    "http.request_header",
    "http.response_header",
    "http2.header_name",
];

const KEYWORDS: &[(&str, &str)] = &[
    ("http2.frametype", "GOAWAY"),
    ("http2.errorcode", "NO_ERROR"),
    ("http2.priority", ">10"),
    ("http2.window", "1-100000"),
    ("http2.size_update", "4096"),
    ("http2.settings", "SETTINGS_HEADER_TABLE_SIZE>1000"),
];

fn drain(
    out: &mut ParseOutput,
    json: &mut Vec<u8>,
    kws: &[(vigil_proto::AppProto, Box<dyn keywords::TxMatch>)],
) {
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
        for b in MULTI {
            tx.buffers(b, &mut |_| {});
        }
        for (_, k) in kws {
            let _ = k.matches(tx.as_ref(), Direction::ToServer);
            let _ = k.matches(tx.as_ref(), Direction::ToClient);
        }
    }
    out.events.clear();
}

fuzz_target!(|data: &[u8]| {
    let Some((&mode, mut rest)) = data.split_first() else {
        return;
    };
    let kws: Vec<_> = KEYWORDS
        .iter()
        .filter_map(|(k, v)| keywords::compile(k, v).and_then(Result::ok))
        .collect();
    let mut p = if mode & 1 == 1 {
        // Header values cut from the input: HTTP2-Settings, Host, other.
        let n = usize::from(mode >> 1).min(rest.len());
        let (v, after) = rest.split_at(n);
        rest = after;
        let (a, b) = v.split_at(v.len() / 2);
        Http2Parser::after_upgrade(&UpgradeRequest {
            method: Some(b"GET".to_vec()),
            uri: Some(a.to_vec()),
            headers: vec![
                (b"Host".to_vec(), b.to_vec()),
                (b"HTTP2-Settings".to_vec(), a.to_vec()),
                (b"X".to_vec(), v.to_vec()),
            ],
        })
    } else {
        Http2Parser::new()
    };
    let mut out = ParseOutput::default();
    let mut json = Vec::new();
    for step in segments::steps(rest) {
        match step {
            segments::Step::Gap(dir, len) => {
                p.gap(dir, len, &mut out);
            }
            segments::Step::Data(dir, seg) => {
                let _ = http2::probe(dir, seg);
                let _ = http2::probe_server(seg);
                p.parse(dir, seg, &mut out);
                drain(&mut out, &mut json, &kws);
            }
        }
    }
    p.finish(&mut out);
    drain(&mut out, &mut json, &kws);
});
