//! Decoders (to be filled in): link layer down to transport.

use crate::{Decoded, LinkType};

/// Decodes one captured frame of link type `link` into `out` (cleared first).
pub fn decode_packet(link: LinkType, frame: &[u8], out: &mut Decoded) {
    out.clear();
    let _ = (link, frame);
}

/// Decodes the transport header `proto` found at `frame[offset..offset+len]`
/// into `out.transport` / payload fields. Used after IP defragmentation.
pub fn decode_transport(proto: u8, frame: &[u8], offset: usize, len: usize, out: &mut Decoded) {
    let _ = (proto, frame, offset, len, out);
}
