//! The list of protocols vigil knows. Order matters only for probing:
//! protocols on their ports are tried first, then content probers in this
//! order.

use crate::{AppParser, AppProto, ParseOutput, ProtoInfo, it, ot};

/// Every protocol module, one line each.
pub static PROTOCOLS: &[&ProtoInfo] = &[
    &it::http::INFO,
    &it::http2::INFO,
    &it::tls::INFO,
    &it::ssh::INFO,
    &it::smb::INFO,
    &it::dcerpc::INFO,
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

/// A parser that ignores its input (a protocol without a parser of its
/// own; every registered protocol has one now).
pub(crate) struct NullParser;

impl AppParser for NullParser {
    fn parse(&mut self, _dir: crate::Direction, _data: &[u8], _out: &mut ParseOutput) {}
}
