//! iec104: not implemented yet (placeholder registration, never detected).

use crate::registry::placeholder;
use crate::{AppProto, ProtoInfo};

/// Registration of iec104.
pub static INFO: ProtoInfo = placeholder(AppProto::Iec104);
