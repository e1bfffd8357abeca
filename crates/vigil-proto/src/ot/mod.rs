//! OT / ICS protocols.

pub mod bacnet;
pub mod cotp;
pub mod dnp3;
pub mod enip;
pub mod goose;
pub mod iec104;
pub mod mms;
pub mod modbus;
pub mod opcua;
pub mod s7comm;
