//! IT protocols.

pub mod dcerpc;
pub mod dhcp;
pub mod dns;
pub mod ftp;
pub mod http;
pub mod http2;
pub mod smb;
pub mod smtp;
pub mod ssh;
pub(crate) mod text;
pub mod tls;
