//! ssh: not implemented yet (placeholder registration, never detected).

use crate::registry::placeholder;
use crate::{AppProto, ProtoInfo};

/// Registration of ssh.
pub static INFO: ProtoInfo = placeholder(AppProto::Ssh);
