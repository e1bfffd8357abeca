//! bacnet: not implemented yet (placeholder registration, never detected).

use crate::registry::placeholder;
use crate::{AppProto, ProtoInfo};

/// Registration of bacnet.
pub static INFO: ProtoInfo = placeholder(AppProto::Bacnet);
