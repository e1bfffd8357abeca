//! s7comm: not implemented yet (placeholder registration, never detected).

use crate::registry::placeholder;
use crate::{AppProto, ProtoInfo};

/// Registration of s7comm.
pub static INFO: ProtoInfo = placeholder(AppProto::S7comm);
