//! TLS 1.2 ClientHello (RFC 5246, SNI per RFC 6066).

fn u16be(v: usize) -> [u8; 2] {
    (v as u16).to_be_bytes()
}

fn ext(id: u16, body: &[u8], out: &mut Vec<u8>) {
    out.extend_from_slice(&id.to_be_bytes());
    out.extend_from_slice(&u16be(body.len()));
    out.extend_from_slice(body);
}

/// The cipher suites offered by [`client_hello`] (ECDHE-GCM/ChaCha20 first,
/// then CBC and RSA suites).
pub const CIPHER_SUITES: [u16; 12] = [
    0xc02b, 0xc02f, 0xc02c, 0xc030, 0xcca9, 0xcca8, 0xc013, 0xc014, 0x009c, 0x009d, 0x002f, 0x0035,
];

/// A complete handshake record (content type 22, record version TLS 1.0 as
/// clients commonly send) holding a TLS 1.2 ClientHello for `sni`, with the
/// given random and session id, the [`CIPHER_SUITES`], null compression and
/// extensions server_name, extended_master_secret, renegotiation_info,
/// supported_groups (x25519, secp256r1, secp384r1), ec_point_formats,
/// session_ticket, ALPN ("http/1.1"), status_request and
/// signature_algorithms.
pub fn client_hello(sni: &str, random: [u8; 32], session_id: &[u8]) -> Vec<u8> {
    assert!(session_id.len() <= 32, "session id too long");
    let mut exts = Vec::new();
    // server_name: list length, host_name(0), name length, name.
    let mut sn = Vec::new();
    sn.extend_from_slice(&u16be(sni.len() + 3));
    sn.push(0);
    sn.extend_from_slice(&u16be(sni.len()));
    sn.extend_from_slice(sni.as_bytes());
    ext(0x0000, &sn, &mut exts);
    ext(0x0017, &[], &mut exts);
    ext(0xff01, &[0], &mut exts);
    ext(
        0x000a,
        &[0, 6, 0x00, 0x1d, 0x00, 0x17, 0x00, 0x18],
        &mut exts,
    );
    ext(0x000b, &[1, 0], &mut exts);
    ext(0x0023, &[], &mut exts);
    let alpn = b"http/1.1";
    let mut a = u16be(alpn.len() + 1).to_vec();
    a.push(alpn.len() as u8);
    a.extend_from_slice(alpn);
    ext(0x0010, &a, &mut exts);
    ext(0x0005, &[1, 0, 0, 0, 0], &mut exts);
    let sigalgs: [u16; 9] = [
        0x0403, 0x0804, 0x0401, 0x0503, 0x0805, 0x0501, 0x0806, 0x0601, 0x0201,
    ];
    let mut s = u16be(sigalgs.len() * 2).to_vec();
    for x in sigalgs {
        s.extend_from_slice(&x.to_be_bytes());
    }
    ext(0x000d, &s, &mut exts);

    let mut body = vec![0x03, 0x03];
    body.extend_from_slice(&random);
    body.push(session_id.len() as u8);
    body.extend_from_slice(session_id);
    body.extend_from_slice(&u16be(CIPHER_SUITES.len() * 2));
    for c in CIPHER_SUITES {
        body.extend_from_slice(&c.to_be_bytes());
    }
    body.extend_from_slice(&[1, 0]); // compression methods: null
    body.extend_from_slice(&u16be(exts.len()));
    body.extend_from_slice(&exts);

    let mut hs = vec![0x01];
    hs.extend_from_slice(&(body.len() as u32).to_be_bytes()[1..]);
    hs.extend_from_slice(&body);

    let mut rec = vec![0x16, 0x03, 0x01];
    rec.extend_from_slice(&u16be(hs.len()));
    rec.extend_from_slice(&hs);
    rec
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lengths_are_consistent() {
        let r = client_hello("updates.example.com", [7; 32], &[]);
        let rec_len = usize::from(u16::from_be_bytes([r[3], r[4]]));
        assert_eq!(rec_len, r.len() - 5);
        let hs_len = (usize::from(r[6]) << 16) | (usize::from(r[7]) << 8) | usize::from(r[8]);
        assert_eq!(hs_len, r.len() - 9);
        assert!(r.windows(19).any(|w| w == b"updates.example.com"));
    }
}
