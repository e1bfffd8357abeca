//! Zero-copy packet decoding for vigil.
//!
//! [`decode_packet`] walks one captured frame from its link layer down to the
//! transport header and fills a caller-owned [`Decoded`] (reused across
//! packets, so the hot path allocates nothing). Every malformed header becomes
//! a [`DecodeEvent`] carrying Suricata's event name, and decoding stops at the
//! deepest layer that could be read.
//!
//! IP fragments are not reassembled here: the decoder stops at the IP layer
//! and reports the fragment ([`IpInfo::frag`]); `vigil-flow` reassembles and
//! calls [`decode_transport`] on the whole datagram.

mod decoded;
mod events;
mod time;

pub use decoded::*;
pub use events::*;
pub use time::Timestamp;

mod decode;
pub use decode::{decode_packet, decode_transport};
