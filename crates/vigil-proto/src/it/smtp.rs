//! smtp: not implemented yet (placeholder registration, never detected).

use crate::registry::placeholder;
use crate::{AppProto, ProtoInfo};

/// Registration of smtp.
pub static INFO: ProtoInfo = placeholder(AppProto::Smtp);
