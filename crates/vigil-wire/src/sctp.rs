//! SCTP common header (ports) and ESP (security parameter index): the
//! transports vigil only needs to identify.

use crate::decode::Cx;
use crate::{DecodeEvent, Layer, Transport};

const SCTP_HEADER_LEN: usize = 12;
const ESP_HEADER_LEN: usize = 8;

/// SCTP: ports, verification tag, checksum; payload = the chunks.
pub(crate) fn decode_sctp(cx: &mut Cx, data: &[u8], base: usize) {
    cx.layer(Layer::Sctp);
    let Some(h) = data.first_chunk::<SCTP_HEADER_LEN>() else {
        cx.event(DecodeEvent::SctpPktTooSmall);
        return;
    };
    cx.out.transport = Transport::Sctp {
        src_port: u16::from_be_bytes([h[0], h[1]]),
        dst_port: u16::from_be_bytes([h[2], h[3]]),
    };
    cx.set_payload(base, SCTP_HEADER_LEN, data.len(), data.len());
}

/// ESP: SPI and sequence number; payload = the encrypted data.
pub(crate) fn decode_esp(cx: &mut Cx, data: &[u8], base: usize) {
    cx.layer(Layer::Esp);
    let Some(h) = data.first_chunk::<ESP_HEADER_LEN>() else {
        cx.event(DecodeEvent::EspPktTooSmall);
        return;
    };
    cx.out.transport = Transport::Esp {
        spi: u32::from_be_bytes([h[0], h[1], h[2], h[3]]),
    };
    cx.set_payload(base, ESP_HEADER_LEN, data.len(), data.len());
}

#[cfg(test)]
mod tests {
    use crate::testutil::*;
    use crate::*;

    #[test]
    fn sctp_and_esp() {
        let mut out = Decoded::default();
        let sctp = [0x0b, 0x59, 0x0e, 0x6e, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 4];
        decode_packet(LinkType::Ipv4, &ipv4_packet(132, &sctp), &mut out);
        assert_eq!(
            out.transport,
            Transport::Sctp {
                src_port: 2905,
                dst_port: 3694
            }
        );
        assert_eq!((out.payload_offset, out.payload_len), (32, 4));
        assert!(out.layers.has(Layer::Sctp));
        decode_packet(LinkType::Ipv6, &ipv6_packet(132, &sctp[..11]), &mut out);
        assert!(out.events.contains(DecodeEvent::SctpPktTooSmall));

        let esp = [0xde, 0xad, 0xbe, 0xef, 0, 0, 0, 1, 9, 9];
        decode_packet(LinkType::Ipv4, &ipv4_packet(50, &esp), &mut out);
        assert_eq!(out.transport, Transport::Esp { spi: 0xdeadbeef });
        assert_eq!(out.payload_len, 2);
        decode_packet(LinkType::Ipv6, &ipv6_packet(50, &esp), &mut out);
        assert_eq!(out.transport, Transport::Esp { spi: 0xdeadbeef });
        decode_packet(LinkType::Ipv4, &ipv4_packet(50, &esp[..7]), &mut out);
        assert!(out.events.contains(DecodeEvent::EspPktTooSmall));
    }
}
