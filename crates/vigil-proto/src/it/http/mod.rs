//! HTTP/1.x: detection, a libhtp-compatible parser (pipelining, chunked
//! bodies, gzip/deflate, CONNECT, 1xx, URI normalization, size limits),
//! the EVE `http` and `fileinfo` records and the `http.*` rule buffers.
//!
//! Behaviour follows Suricata 7.0 with its default configuration (libhtp
//! 0.5, IDS personality, `http` logging with `extended: yes`, `files`
//! logging on).

mod decode;
mod multipart;
mod parser;
#[cfg(test)]
mod tests;
mod tx;
mod util;

pub use parser::HttpParser;
pub(crate) use tx::write_bytes;
pub use tx::{FileInfo, HttpTx};

use crate::{AppParser, AppProto, Direction, Probe, ProtoInfo, Transport};

/// Registration of HTTP/1.x.
pub static INFO: ProtoInfo = ProtoInfo {
    proto: AppProto::Http,
    tcp_ports: &[80],
    udp_ports: &[],
    probe_tcp: Some(probe),
    probe_udp: None,
    // The method / "HTTP/" patterns are strong: Suricata matches them on
    // any port.
    port_only: false,
    new_parser,
};

fn new_parser(_transport: Transport) -> Box<dyn AppParser> {
    Box::new(HttpParser::new())
}

/// Methods Suricata registers as detection patterns (each followed by a
/// space or a tab, case-insensitive, at the start of the client stream).
const METHODS: &[&[u8]] = &[
    b"GET",
    b"PUT",
    b"POST",
    b"HEAD",
    b"TRACE",
    b"OPTIONS",
    b"CONNECT",
    b"DELETE",
    b"PATCH",
    b"PROPFIND",
    b"PROPPATCH",
    b"MKCOL",
    b"COPY",
    b"MOVE",
    b"LOCK",
    b"UNLOCK",
    b"CHECKOUT",
    b"UNCHECKOUT",
    b"CHECKIN",
    b"UPDATE",
    b"LABEL",
    b"REPORT",
    b"MKWORKSPACE",
    b"MKACTIVITY",
    b"MERGE",
    b"INVALID",
    b"VERSION-CONTROL",
    b"BASELINE-CONTROL",
];

/// Server-side patterns.
const VERSIONS: &[&[u8]] = &[b"HTTP/0.9", b"HTTP/1.0", b"HTTP/1.1"];

/// Content prober: a method and a space/tab from the client, "HTTP/x.y"
/// from the server (as Suricata's pattern-based detection).
pub fn probe(dir: Direction, data: &[u8]) -> Probe {
    let mut need_more = false;
    let mut check = |pattern: &[u8], sep: Option<u8>| {
        let full = pattern.len() + usize::from(sep.is_some());
        let n = data.len().min(pattern.len());
        let (Some(d), Some(p)) = (data.get(..n), pattern.get(..n)) else {
            return false;
        };
        if !d.eq_ignore_ascii_case(p) {
            return false;
        }
        if data.len() < full {
            need_more = true;
            return false;
        }
        match sep {
            Some(_) => matches!(data.get(pattern.len()), Some(b' ' | b'\t')),
            None => true,
        }
    };
    let matched = match dir {
        Direction::ToServer => METHODS.iter().any(|m| check(m, Some(b' '))),
        Direction::ToClient => VERSIONS.iter().any(|v| check(v, None)),
    };
    if matched {
        Probe::Match
    } else if need_more {
        Probe::NeedMore
    } else {
        Probe::NoMatch
    }
}
