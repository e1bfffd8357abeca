//! HTTP/2 over cleartext TCP (prior knowledge and `Upgrade: h2c`): frames,
//! HPACK, one transaction per stream, the EVE `http` record Suricata 7
//! writes for HTTP/2 (with its `http2` object), `fileinfo` for bodies and
//! the HTTP rule buffers Suricata maps to HTTP/2.
//!
//! Behaviour follows Suricata 7.0.10 with its default configuration,
//! measured against it on the suricata-verify HTTP/2 captures.

mod hpack;
mod huffman;
pub(crate) mod keywords;
mod parser;
#[cfg(test)]
mod tests;
mod tx;

pub use parser::Http2Parser;
pub use tx::{Http2FileInfo, Http2Tx};

use crate::{AppParser, AppProto, Direction, Probe, ProtoInfo, Transport};

/// Registration of HTTP/2.
pub static INFO: ProtoInfo = ProtoInfo {
    proto: AppProto::Http2,
    tcp_ports: &[80],
    udp_ports: &[],
    probe_tcp: Some(probe),
    probe_udp: None,
    // The client preface is a strong pattern: any port.
    port_only: false,
    new_parser,
};

fn new_parser(_transport: Transport) -> Box<dyn AppParser> {
    Box::new(Http2Parser::new())
}

/// The HTTP/1 request of an `Upgrade: h2c` exchange, as the HTTP/2 parser
/// takes it over: method, request-target and headers as sent.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct UpgradeRequest {
    pub method: Option<Vec<u8>>,
    pub uri: Option<Vec<u8>>,
    pub headers: Vec<(Vec<u8>, Vec<u8>)>,
}

/// The parser that takes a connection over after an `Upgrade: h2c`.
pub fn parser_after_upgrade(req: &UpgradeRequest) -> Box<dyn AppParser> {
    Box::new(Http2Parser::after_upgrade(req))
}

/// Content prober: the client connection preface (Suricata's pattern,
/// `PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n` at the start of the client stream).
/// The server side is [`probe_server`]'s.
pub fn probe(dir: Direction, data: &[u8]) -> Probe {
    if dir != Direction::ToServer {
        return Probe::NoMatch;
    }
    let preface = &parser::PREFACE[..];
    let n = data.len().min(preface.len());
    if data.get(..n) != preface.get(..n) {
        Probe::NoMatch
    } else if n < preface.len() {
        Probe::NeedMore
    } else {
        Probe::Match
    }
}

/// Suricata's HTTP/2 probing parser of the server side: a SETTINGS frame
/// header (no reserved bit, at most 16384 bytes, no flag but ACK). Tried
/// on port 80, when the client side is HTTP/2 already, and after an
/// `Upgrade: h2c` (see `AppState`).
pub fn probe_server(data: &[u8]) -> Probe {
    let Some(h) = data.get(..9) else {
        return Probe::NeedMore;
    };
    let length = u32::from(h[0]) << 16 | u32::from(h[1]) << 8 | u32::from(h[2]);
    if h[5] & 0x80 != 0 || length > 16384 || h[4] & 0xfe != 0 || h[3] != tx::SETTINGS {
        Probe::NoMatch
    } else {
        Probe::Match
    }
}
