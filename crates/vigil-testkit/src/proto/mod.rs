//! Application-layer payload builders for the protocols in the sample
//! capture (and for other crates' parser tests).
//!
//! Each function returns exactly the bytes that go into a TCP segment or UDP
//! datagram; wrap them with [`TcpConversation`](crate::TcpConversation) or
//! the packet builders.

pub mod dnp3;
pub mod dns;
pub mod iec104;
pub mod modbus;
pub mod s7comm;
pub mod tls;
