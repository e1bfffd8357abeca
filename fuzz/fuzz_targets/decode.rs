//! Feeds arbitrary frames to the packet decoders.
//!
//! The first byte picks the link type; the rest is the captured frame. Also
//! runs `decode_transport` over the frame for a protocol picked by the
//! second byte (the post-defragmentation path), and checks that every
//! offset the decoder reports stays inside the frame.

#![no_main]

use libfuzzer_sys::fuzz_target;
use vigil_wire::{Decoded, LinkType, decode_packet, decode_transport};

const LINKS: [LinkType; 9] = [
    LinkType::Null,
    LinkType::Ethernet,
    LinkType::Ppp,
    LinkType::Raw,
    LinkType::Loop,
    LinkType::LinuxSll,
    LinkType::Ipv4,
    LinkType::Ipv6,
    LinkType::LinuxSll2,
];

fn check(out: &Decoded, len: usize) {
    assert!(out.payload_len == 0 || out.payload_offset + out.payload_len <= len);
    if let Some(ip) = out.ip {
        assert!(ip.l4_offset + ip.l4_len <= len);
        if let Some(f) = ip.frag {
            assert!(f.data_offset + f.data_len <= len);
            assert!(ip.header_offset + f.unfragmentable_len <= len);
        }
    }
    assert!(usize::from(out.vlan_count) <= out.vlan.len());
    if let Some(p) = out.ether_payload {
        assert!(p.offset + p.len <= len);
    }
}

fuzz_target!(|data: &[u8]| {
    let Some((&pick, frame)) = data.split_first() else {
        return;
    };
    let mut out = Decoded::default();
    let link = LINKS[usize::from(pick) % LINKS.len()];
    decode_packet(link, frame, &mut out);
    check(&out, frame.len());

    if let Some((&proto, rest)) = frame.split_first() {
        // Offsets of the earlier decode index `frame`, not `rest`.
        out.ip = None;
        decode_transport(proto, rest, 0, rest.len(), &mut out);
        check(&out, rest.len());
    }
});
