//! dnp3: not implemented yet (placeholder registration, never detected).

use crate::registry::placeholder;
use crate::{AppProto, ProtoInfo};

/// Registration of dnp3.
pub static INFO: ProtoInfo = placeholder(AppProto::Dnp3);
