//! IP fragmentation of already-built packets.

use crate::checksum::internet_checksum;
use crate::packet::ip_proto;

/// Splits an IPv4 packet (no link layer) into fragments carrying at most
/// `max_payload` bytes of payload each.
///
/// `max_payload` is rounded down to a multiple of 8 (panics if that is 0).
/// The first fragment keeps all options; later ones keep only options whose
/// copied flag is set (RFC 791), padded to a multiple of 4. Offsets are
/// relative to the packet's own offset and the last fragment keeps the
/// packet's own MF flag, so an existing fragment can be split further. DF is
/// cleared. Identification, TOS and TTL are kept; every header checksum is
/// recomputed. A packet that already fits is returned unchanged, as one
/// fragment. Panics if `packet` is not a well-formed IPv4 packet.
pub fn fragment_ipv4(packet: &[u8], max_payload: usize) -> Vec<Vec<u8>> {
    let step = max_payload / 8 * 8;
    assert!(step > 0, "fragment size must be at least 8 bytes");
    assert!(
        packet.len() >= 20 && packet[0] >> 4 == 4,
        "not an IPv4 packet"
    );
    let hlen = usize::from(packet[0] & 0x0f) * 4;
    let total = usize::from(u16::from_be_bytes([packet[2], packet[3]]));
    assert!(
        hlen >= 20 && hlen <= total && total <= packet.len(),
        "bad IPv4 lengths"
    );
    let payload = &packet[hlen..total];
    if payload.len() <= step {
        return vec![packet[..total].to_vec()];
    }
    let flags_off = u16::from_be_bytes([packet[6], packet[7]]);
    let base_off = flags_off & 0x1fff;
    let orig_mf = flags_off & 0x2000 != 0;
    let reserved = flags_off & 0x8000;
    let first_opts = &packet[20..hlen];
    let copied_opts = copied_options(first_opts);

    let mut out = Vec::new();
    let mut start = 0;
    while start < payload.len() {
        let end = (start + step).min(payload.len());
        let last = end == payload.len();
        let opts: &[u8] = if start == 0 { first_opts } else { &copied_opts };
        let fh = 20 + opts.len();
        let mut f = Vec::with_capacity(fh + end - start);
        f.extend_from_slice(&packet[..20]);
        f.extend_from_slice(opts);
        f[0] = 0x40 | (fh / 4) as u8;
        f[2..4].copy_from_slice(&((fh + end - start) as u16).to_be_bytes());
        let mf = if last { orig_mf } else { true };
        let fo = reserved | (u16::from(mf) << 13) | (base_off + (start / 8) as u16);
        f[6..8].copy_from_slice(&fo.to_be_bytes());
        f[10..12].copy_from_slice(&[0, 0]);
        let ck = internet_checksum(&f);
        f[10..12].copy_from_slice(&ck.to_be_bytes());
        f.extend_from_slice(&payload[start..end]);
        out.push(f);
        start = end;
    }
    out
}

/// The options with the "copied" bit, padded with end-of-list bytes.
fn copied_options(opts: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    let mut i = 0;
    while i < opts.len() {
        let kind = opts[i];
        match kind {
            0 => break,
            1 => i += 1,
            _ => {
                let len = opts.get(i + 1).map_or(0, |&l| usize::from(l));
                if len < 2 || i + len > opts.len() {
                    break;
                }
                if kind & 0x80 != 0 {
                    out.extend_from_slice(&opts[i..i + len]);
                }
                i += len;
            }
        }
    }
    while out.len() % 4 != 0 {
        out.push(0);
    }
    out
}

/// Splits an IPv6 packet (no link layer) into fragments with a fragment
/// header carrying identification `id`.
///
/// The unfragmentable part (the IPv6 header and any hop-by-hop, routing, and
/// destination-options-before-routing headers) is repeated in every
/// fragment; the rest is split into chunks of at most `max_payload` bytes
/// (rounded down to a multiple of 8; panics if that is 0). A packet whose
/// fragmentable part already fits still gets one fragment header (an "atomic
/// fragment"), which is what the caller asked for. Panics on a malformed
/// IPv6 packet.
pub fn fragment_ipv6(packet: &[u8], max_payload: usize, id: u32) -> Vec<Vec<u8>> {
    let step = max_payload / 8 * 8;
    assert!(step > 0, "fragment size must be at least 8 bytes");
    assert!(
        packet.len() >= 40 && packet[0] >> 4 == 6,
        "not an IPv6 packet"
    );
    let total = 40 + usize::from(u16::from_be_bytes([packet[4], packet[5]]));
    assert!(total <= packet.len(), "bad IPv6 payload length");
    let packet = &packet[..total];

    // Walk the extension headers that may belong to the unfragmentable part.
    let mut nh = packet[6];
    let mut off = 40;
    let mut unfrag_end = 40;
    let mut unfrag_nh_pos = 6;
    while matches!(nh, ip_proto::HOPOPT | ip_proto::ROUTING | ip_proto::DSTOPTS) {
        assert!(off + 2 <= packet.len(), "truncated extension header");
        let len = (usize::from(packet[off + 1]) + 1) * 8;
        assert!(off + len <= packet.len(), "truncated extension header");
        // Hop-by-hop and routing headers end the unfragmentable part so far
        // (taking any destination options before a routing header with
        // them); destination options not followed by routing are fragmentable.
        if nh != ip_proto::DSTOPTS {
            unfrag_end = off + len;
            unfrag_nh_pos = off;
        }
        nh = packet[off];
        off += len;
    }

    let frag_nh = packet[unfrag_nh_pos];
    let frag_part = &packet[unfrag_end..];
    let mut out = Vec::new();
    let mut start = 0;
    loop {
        let end = (start + step).min(frag_part.len());
        let last = end == frag_part.len();
        let mut f = packet[..unfrag_end].to_vec();
        f[unfrag_nh_pos] = ip_proto::FRAGMENT;
        f.push(frag_nh);
        f.push(0);
        f.extend_from_slice(&((((start / 8) as u16) << 3) | u16::from(!last)).to_be_bytes());
        f.extend_from_slice(&id.to_be_bytes());
        f.extend_from_slice(&frag_part[start..end]);
        let plen = (f.len() - 40) as u16;
        f[4..6].copy_from_slice(&plen.to_be_bytes());
        out.push(f);
        if last {
            break;
        }
        start = end;
    }
    out
}
