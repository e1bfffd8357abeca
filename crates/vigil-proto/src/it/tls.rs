//! tls: not implemented yet (placeholder registration, never detected).

use crate::registry::placeholder;
use crate::{AppProto, ProtoInfo};

/// Registration of tls.
pub static INFO: ProtoInfo = placeholder(AppProto::Tls);
