//! TLS client/server fingerprints: JA3, JA3S and JA4 (the BSD-3 licensed
//! JA4 TLS client fingerprint only, not the FoxIO-licensed JA4+ family).
//!
//! JA3 strings are built the way Suricata builds them: values are appended
//! while the hello is decoded (so a hello that stops decoding half-way
//! leaves a partial string), decimal values joined with `-`, fields joined
//! with `,`, GREASE values (RFC 8701) left out.

use md5::{Digest as _, Md5};
use sha2::Sha256;
use std::fmt::Write as _;

/// True for the GREASE values of RFC 8701 (`0x0a0a`, `0x1a1a`, ... `0xfafa`).
pub fn is_grease(v: u16) -> bool {
    (v & 0x0f0f) == 0x0a0a && (v >> 8) == (v & 0xff)
}

/// Lower-case hex of `bytes`.
pub(crate) fn hex_lower(bytes: &[u8]) -> String {
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        let _ = write!(s, "{b:02x}");
    }
    s
}

/// MD5 of `s` as 32 lower-case hex digits (the JA3 / HASSH hash).
pub fn md5_hex(s: &[u8]) -> String {
    hex_lower(&Md5::digest(s))
}

/// One `-`-joined list of a JA3 string under construction.
#[derive(Default)]
pub(crate) struct Ja3List(String);

impl Ja3List {
    /// Appends a decimal value (`Ja3BufferAddValue`).
    pub(crate) fn add(&mut self, v: u32) {
        if self.0.is_empty() {
            let _ = write!(self.0, "{v}");
        } else {
            let _ = write!(self.0, "-{v}");
        }
    }
}

/// A JA3 string being built (`None` until the hello version is seen).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Ja3 {
    /// The JA3 string (`version,ciphers,extensions,curves,point_formats`
    /// for a client; `version,cipher,extensions` for JA3S).
    pub string: Option<String>,
    /// MD5 of the string, set once the hello decoded far enough.
    pub hash: Option<String>,
}

impl Ja3 {
    /// Starts the string with the hello version if it is not started yet.
    pub(crate) fn start(&mut self, version: u16) {
        if self.string.is_none() {
            self.string = Some(version.to_string());
        }
    }

    /// Appends `,` and a list (`Ja3BufferAppendBuffer`).
    pub(crate) fn append(&mut self, list: Ja3List) {
        if let Some(s) = self.string.as_mut() {
            s.push(',');
            s.push_str(&list.0);
        }
    }

    /// Computes the hash of the string if not computed yet.
    pub(crate) fn finish(&mut self) {
        if self.hash.is_none()
            && let Some(s) = &self.string
        {
            self.hash = Some(md5_hex(s.as_bytes()));
        }
    }
}

/// The JA4 TLS client fingerprint, accumulated from a ClientHello.
///
/// Follows Suricata 7's computation: the version is the highest non-GREASE
/// value among the hello version and the supported_versions entries;
/// ciphers and extensions (without SNI and ALPN) are sorted and hashed with
/// SHA-256 (first 12 hex digits); the extension hash input always carries
/// the `_` before the signature algorithms (in wire order).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Ja4 {
    version: Option<u16>,
    ciphers: Vec<u16>,
    extensions: Vec<u16>,
    sig_algs: Vec<u16>,
    sni: bool,
    alpn: [u8; 2],
    quic: bool,
    ext_count: usize,
}

/// Bound on the values a JA4 keeps (a hello cannot carry more than this
/// many 2-byte values in its 16-bit length fields anyway).
const JA4_MAX_VALUES: usize = 32768;

impl Ja4 {
    /// An empty fingerprint (`t00i000000_...`).
    pub fn new() -> Ja4 {
        Ja4 {
            alpn: [b'0', b'0'],
            ..Ja4::default()
        }
    }

    /// Marks the hello as carried by QUIC (`q` prefix).
    pub fn set_quic(&mut self) {
        self.quic = true;
    }

    /// Offers a version (hello version or a supported_versions entry).
    pub fn add_version(&mut self, v: u16) {
        if is_grease(v) {
            return;
        }
        if self.version.is_none_or(|cur| v > cur) {
            self.version = Some(v);
        }
    }

    /// Adds a cipher suite.
    pub fn add_cipher(&mut self, c: u16) {
        if !is_grease(c) && self.ciphers.len() < JA4_MAX_VALUES {
            self.ciphers.push(c);
        }
    }

    /// Adds an extension type.
    pub fn add_extension(&mut self, e: u16) {
        if is_grease(e) {
            return;
        }
        match e {
            0x0000 => self.sni = true,
            0x0010 => {}
            _ if self.extensions.len() < JA4_MAX_VALUES => self.extensions.push(e),
            _ => {}
        }
        self.ext_count = self.ext_count.saturating_add(1);
    }

    /// Adds a signature algorithm.
    pub fn add_sig_alg(&mut self, s: u16) {
        if !is_grease(s) && self.sig_algs.len() < JA4_MAX_VALUES {
            self.sig_algs.push(s);
        }
    }

    /// Sets the first ALPN protocol.
    pub fn set_alpn(&mut self, alpn: &[u8]) {
        let (Some(&first), Some(&last)) = (alpn.first(), alpn.last()) else {
            return;
        };
        if alpn.len() < 2 {
            return;
        }
        if alpn.len() == 2 && is_grease(u16::from_be_bytes([first, last])) {
            return;
        }
        if first.is_ascii_alphanumeric() && last.is_ascii_alphanumeric() {
            self.alpn = [first, last];
        } else {
            // Non-alphanumeric: first and last hex digit of the bytes (JA4
            // spec), which keeps the fingerprint 36 characters long.
            const HEX: &[u8; 16] = b"0123456789abcdef";
            self.alpn = [HEX[usize::from(first >> 4)], HEX[usize::from(last & 0xf)]];
        }
    }

    /// The 36-character fingerprint `t13d1516h2_8daaf6152771_e5627efa2ab1`.
    pub fn hash(&self) -> String {
        let version = match self.version {
            Some(0x0304) => "13",
            Some(0x0303) => "12",
            Some(0x0302) => "11",
            Some(0x0301) => "10",
            Some(0x0300) => "s3",
            _ => "00",
        };
        let mut out = String::with_capacity(36);
        out.push(if self.quic { 'q' } else { 't' });
        out.push_str(version);
        out.push(if self.sni { 'd' } else { 'i' });
        let _ = write!(
            out,
            "{:02}{:02}",
            self.ciphers.len().min(99),
            self.ext_count.min(99)
        );
        out.push(char::from(self.alpn[0]));
        out.push(char::from(self.alpn[1]));
        out.push('_');
        let mut ciphers = self.ciphers.clone();
        ciphers.sort_unstable();
        out.push_str(&sha256_12(&join_hex(&ciphers)));
        out.push('_');
        let mut exts = self.extensions.clone();
        exts.sort_unstable();
        let mut c = join_hex(&exts);
        c.push('_');
        c.push_str(&join_hex(&self.sig_algs));
        out.push_str(&sha256_12(&c));
        out
    }
}

fn join_hex(values: &[u16]) -> String {
    let mut s = String::with_capacity(values.len() * 5);
    for (i, v) in values.iter().enumerate() {
        if i > 0 {
            s.push(',');
        }
        let _ = write!(s, "{v:04x}");
    }
    s
}

fn sha256_12(s: &str) -> String {
    let digest = Sha256::digest(s.as_bytes());
    hex_lower(digest.get(..6).unwrap_or(&[]))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grease_values() {
        for hi in 0..16u16 {
            let v = (hi << 12) | 0x0a00 | (hi << 4) | 0x0a;
            assert!(is_grease(v), "{v:04x}");
        }
        assert!(!is_grease(0x0a0b));
        assert!(!is_grease(0x1a2a));
        assert!(!is_grease(0x0000));
        assert!(!is_grease(0x1301));
    }

    #[test]
    fn ja3_lists() {
        let mut j = Ja3::default();
        j.start(771);
        let mut l = Ja3List::default();
        l.add(4865);
        l.add(4866);
        j.append(l);
        j.append(Ja3List::default());
        j.finish();
        assert_eq!(j.string.as_deref(), Some("771,4865-4866,"));
        assert_eq!(j.hash.as_deref(), Some(md5_hex(b"771,4865-4866,").as_str()));
        assert_eq!(md5_hex(b""), "d41d8cd98f00b204e9800998ecf8427e");
    }

    // Values from Suricata's own JA4 unit test (rust/src/ja4.rs), which
    // the reference computes the same way.
    #[test]
    fn ja4_like_suricata() {
        let mut j = Ja4::new();
        assert_eq!(j.hash(), "t00i000000_e3b0c44298fc_d2e2adf7177b");
        j.add_version(0x0303);
        assert_eq!(j.hash(), "t12i000000_e3b0c44298fc_d2e2adf7177b");
        j.set_quic();
        assert_eq!(j.hash(), "q12i000000_e3b0c44298fc_d2e2adf7177b");
        j.add_extension(0x0a0a);
        assert_eq!(j.hash(), "q12i000000_e3b0c44298fc_d2e2adf7177b");
        j.add_extension(0x0000);
        assert_eq!(j.hash(), "q12d000100_e3b0c44298fc_d2e2adf7177b");
        j.set_alpn(b"h3-16");
        j.add_extension(0x0010);
        assert_eq!(j.hash(), "q12d0002h6_e3b0c44298fc_d2e2adf7177b");
        j.add_cipher(0x1111);
        j.add_cipher(0x0a20);
        j.add_cipher(0xbada);
        assert_eq!(j.hash(), "q12d0302h6_f500716053f9_d2e2adf7177b");
        j.add_extension(0xface);
        j.add_extension(0x0121);
        j.add_extension(0x1234);
        j.add_sig_alg(0x6666);
        assert_eq!(j.hash(), "q12d0305h6_f500716053f9_2debc8880bae");
    }

    #[test]
    fn ja4_counts_capped_and_versions_max() {
        let mut j = Ja4::new();
        for i in 1..200 {
            j.add_cipher(i);
            j.add_extension(i);
        }
        assert!(j.hash().starts_with("t00i9999"));
        j.add_version(0x0301);
        j.add_version(0x0304);
        j.add_version(0x0303);
        j.add_version(0x7a7a);
        assert!(j.hash().starts_with("t13i"));
        let mut k = Ja4::new();
        k.set_alpn(b"a");
        assert_eq!(&k.hash()[..10], "t00i000000");
        k.set_alpn(b"aa");
        assert_eq!(&k.hash()[..10], "t00i0000aa");
        k.set_alpn(&[0xab, 0xcd]);
        assert_eq!(&k.hash()[..10], "t00i0000ad");
        assert_eq!(k.hash().len(), 36);
    }
}
