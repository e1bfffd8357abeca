//! The list of protocols vigil knows. Order matters only for probing:
//! protocols on their ports are tried first, then content probers in this
//! order.

use crate::{AppParser, AppProto, ParseOutput, ProtoInfo, Transport, it, ot};

/// Every protocol module, one line each.
pub static PROTOCOLS: &[&ProtoInfo] = &[
    &it::http::INFO,
    &it::tls::INFO,
    &it::ssh::INFO,
    &it::smb::INFO,
    &it::ftp::INFO,
    &it::ftp::DATA_INFO,
    &it::smtp::INFO,
    &it::dns::INFO,
    &it::dhcp::INFO,
    &ot::modbus::INFO,
    &ot::dnp3::INFO,
    &ot::enip::INFO,
    &ot::iec104::INFO,
    &ot::s7comm::INFO,
    &ot::mms::INFO,
    &ot::bacnet::INFO,
    &ot::opcua::INFO,
];

/// The registration of `proto`.
pub fn info(proto: AppProto) -> Option<&'static ProtoInfo> {
    PROTOCOLS.iter().copied().find(|p| p.proto == proto)
}

/// A parser that ignores its input: the placeholder of a protocol whose
/// module is not written yet (its prober never matches, so it is not used).
pub(crate) struct NullParser;

impl AppParser for NullParser {
    fn parse(&mut self, _dir: crate::Direction, _data: &[u8], _out: &mut ParseOutput) {}
}

/// Constructor for [`NullParser`].
pub(crate) fn null_parser(_transport: Transport) -> Box<dyn AppParser> {
    Box::new(NullParser)
}

/// A registration for a protocol not implemented yet: never detected.
pub(crate) const fn placeholder(proto: AppProto) -> ProtoInfo {
    ProtoInfo {
        proto,
        tcp_ports: &[],
        udp_ports: &[],
        probe_tcp: None,
        probe_udp: None,
        port_only: true,
        new_parser: null_parser,
    }
}
