//! opcua: not implemented yet (placeholder registration, never detected).

use crate::registry::placeholder;
use crate::{AppProto, ProtoInfo};

/// Registration of opcua.
pub static INFO: ProtoInfo = placeholder(AppProto::Opcua);
