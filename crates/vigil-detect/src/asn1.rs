//! The `asn1` keyword: decodes BER objects from the inspected buffer and
//! checks them for the malformations Suricata's keyword names
//! (`bitstring_overflow`, `double_overflow`, `oversize_length N`), from
//! `absolute_offset N`, `relative_offset N` (to the last match) or the
//! buffer start.
//!
//! Semantics as Suricata 7: objects are decoded one after another until the
//! data ends or one does not decode (the ones before it are checked); more
//! than `max_frames` (30) top-level objects, or an offset outside the
//! buffer, is no match; universal constructed objects are checked with
//! their children down to `max_frames` levels. A malformed header or a
//! length past the data fails the object, as der-parser (Suricata's
//! decoder) does.

/// Suricata's `asn1-max-frames` default.
pub const DEFAULT_MAX_FRAMES: u16 = 30;

/// A compiled `asn1` keyword.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Asn1Check {
    /// `bitstring_overflow`: a BIT STRING whose unused-bits count exceeds
    /// its length in bits.
    pub bitstring_overflow: bool,
    /// `double_overflow`: a REAL in decimal (ASCII) form longer than 256
    /// bytes (the MS-ASN1 overflow).
    pub double_overflow: bool,
    /// `oversize_length N`: an object whose length is above N.
    pub oversize_length: Option<u32>,
    /// `absolute_offset N`: decode from this buffer offset.
    pub absolute_offset: Option<u16>,
    /// `relative_offset N`: decode from the last match's end plus N.
    pub relative_offset: Option<i32>,
    /// Most top-level objects, and nesting depth.
    pub max_frames: u16,
}

impl Asn1Check {
    /// Parses the keyword's value (options separated by commas or spaces).
    pub fn parse(value: &str) -> Result<Asn1Check, String> {
        let mut c = Asn1Check {
            max_frames: DEFAULT_MAX_FRAMES,
            ..Asn1Check::default()
        };
        let mut words = value
            .split(|ch: char| ch == ',' || ch.is_whitespace())
            .filter(|w| !w.is_empty());
        let mut any = false;
        while let Some(w) = words.next() {
            any = true;
            let mut number = |name: &str| {
                words
                    .next()
                    .ok_or_else(|| format!("asn1: '{name}' needs a number"))
            };
            match w {
                "bitstring_overflow" => c.bitstring_overflow = true,
                "double_overflow" => c.double_overflow = true,
                "oversize_length" => {
                    let n = number(w)?;
                    c.oversize_length = Some(
                        n.parse()
                            .map_err(|_| format!("asn1: bad oversize_length '{n}'"))?,
                    );
                }
                "absolute_offset" => {
                    let n = number(w)?;
                    c.absolute_offset = Some(
                        n.parse()
                            .map_err(|_| format!("asn1: bad absolute_offset '{n}'"))?,
                    );
                }
                "relative_offset" => {
                    let n = number(w)?;
                    let v: i32 = n
                        .parse()
                        .map_err(|_| format!("asn1: bad relative_offset '{n}'"))?;
                    if v.unsigned_abs() > u32::from(u16::MAX) {
                        return Err(format!("asn1: relative_offset {v} out of range"));
                    }
                    c.relative_offset = Some(v);
                }
                other => return Err(format!("asn1: unknown option '{other}'")),
            }
        }
        if !any {
            return Err("asn1: no option given".into());
        }
        Ok(c)
    }

    /// Whether the objects decoded from `buf` (the last match ended at
    /// `cursor`) trip one of the checks.
    pub fn matches(&self, buf: &[u8], cursor: usize) -> bool {
        let offset = if let Some(a) = self.absolute_offset {
            usize::from(a)
        } else if let Some(r) = self.relative_offset {
            let Some(o) = (cursor as i64).checked_add(i64::from(r)) else {
                return false;
            };
            // Suricata computes the offset as a 16-bit value.
            match u16::try_from(o) {
                Ok(o) => usize::from(o),
                Err(_) => return false,
            }
        } else {
            0
        };
        let Some(mut rest) = buf.get(offset..).filter(|r| !r.is_empty()) else {
            return false;
        };
        let max = usize::from(self.max_frames);
        let mut objects = 0usize;
        let mut found = false;
        while !rest.is_empty() {
            if objects >= max {
                // Too many objects: Suricata's decode fails, no match.
                return false;
            }
            let mut hit = false;
            match self.object(rest, max, &mut hit) {
                Some(len) => {
                    objects += 1;
                    found |= hit;
                    rest = rest.get(len..).unwrap_or(&[]);
                }
                None => break,
            }
        }
        found
    }

    /// Decodes the object at the start of `data` (its children down to
    /// `depth` levels), sets `hit` when it or a child trips a check, and
    /// returns its encoded length; `None` when it does not decode.
    fn object(&self, data: &[u8], depth: usize, hit: &mut bool) -> Option<usize> {
        if depth == 0 {
            return None;
        }
        let h = Header::read(data)?;
        let content = match h.len {
            Some(len) => data.get(h.header_len..h.header_len.checked_add(len)?)?,
            None => {
                // Indefinite length (constructed only): children up to the
                // end-of-contents marker.
                if !h.constructed {
                    return None;
                }
                let mut pos = h.header_len;
                let mut local = false;
                loop {
                    let rest = data.get(pos..)?;
                    if rest.starts_with(&[0, 0]) {
                        let content_len = pos - h.header_len;
                        self.check(&h, content_len, data.get(h.header_len..pos)?, &mut local);
                        *hit |= local;
                        return Some(pos + 2);
                    }
                    pos += self.object(rest, depth - 1, &mut local)?;
                }
            }
        };
        let mut local = false;
        self.check(&h, content.len(), content, &mut local);
        // Children are decoded in universal constructed types (SEQUENCE,
        // SET, ...); a tagged (context, application, private) object's
        // content is opaque, as der-parser leaves it.
        if h.constructed && h.class == 0 {
            let mut rest = content;
            while !rest.is_empty() {
                let n = self.object(rest, depth - 1, &mut local)?;
                rest = rest.get(n..).unwrap_or(&[]);
            }
        }
        *hit |= local;
        Some(h.header_len + content.len())
    }

    fn check(&self, h: &Header, len: usize, content: &[u8], hit: &mut bool) {
        if let Some(max) = self.oversize_length
            && len as u64 > u64::from(max)
        {
            *hit = true;
        }
        let universal_primitive = h.class == 0 && !h.constructed;
        if self.bitstring_overflow
            && universal_primitive
            && h.tag == 3
            && len > 0
            && let Some(&unused) = content.first()
            && u64::from(unused) > (len as u64).saturating_mul(8)
        {
            *hit = true;
        }
        if self.double_overflow
            && universal_primitive
            && h.tag == 9
            && len > 256
            && content.first().is_some_and(|b| b & 0xC0 == 0)
        {
            *hit = true;
        }
    }
}

/// A BER identifier and length.
struct Header {
    class: u8,
    constructed: bool,
    tag: u64,
    /// `None`: indefinite.
    len: Option<usize>,
    header_len: usize,
}

impl Header {
    fn read(data: &[u8]) -> Option<Header> {
        let first = *data.first()?;
        let class = first >> 6;
        let constructed = first & 0x20 != 0;
        let mut pos = 1;
        let mut tag = u64::from(first & 0x1F);
        if tag == 0x1F {
            // High tag number: base-128 digits.
            tag = 0;
            loop {
                let b = *data.get(pos)?;
                pos += 1;
                if tag > u64::MAX >> 7 {
                    return None;
                }
                tag = tag << 7 | u64::from(b & 0x7F);
                if b & 0x80 == 0 {
                    break;
                }
            }
        }
        let l = *data.get(pos)?;
        pos += 1;
        let len = if l & 0x80 == 0 {
            Some(usize::from(l))
        } else if l == 0x80 {
            None
        } else {
            let n = usize::from(l & 0x7F);
            if n > 8 || n == 0x7F {
                return None;
            }
            let mut v: u64 = 0;
            for _ in 0..n {
                v = v << 8 | u64::from(*data.get(pos)?);
                pos += 1;
            }
            Some(usize::try_from(v).ok()?)
        };
        Some(Header {
            class,
            constructed,
            tag,
            len,
            header_len: pos,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// X.690 (2002) appendix A.3's example record, 136 bytes, whose outer
    /// object is 133 bytes long (and its largest child 31).
    const A3: &[u8] = b"\x60\x81\x85\x61\x10\x1A\x04John\x1A\x01P\x1A\x05Smith\xA0\x0A\x1A\x08Director\x42\x01\x33\xA1\x0A\x43\x0819710917\xA2\x12\x61\x10\x1A\x04Mary\x1A\x01T\x1A\x05Smith\xA3\x42\x31\x1F\x61\x11\x1A\x05Ralph\x1A\x01T\x1A\x05Smith\xA0\x0A\x43\x0819571111\x31\x1F\x61\x11\x1A\x05Susan\x1A\x01B\x1A\x05Jones\xA0\x0A\x43\x0819590717";

    fn check(opts: &str, data: &[u8]) -> bool {
        Asn1Check::parse(opts).expect("options").matches(data, 0)
    }

    #[test]
    fn oversize_length_counts_the_longest_object() {
        assert!(check("oversize_length 132 absolute_offset 0", A3));
        assert!(!check("oversize_length 133 absolute_offset 0", A3));
    }

    #[test]
    fn bitstring_and_double_overflow() {
        // One content byte, 255 unused bits.
        assert!(check(
            "bitstring_overflow, absolute_offset 0",
            b"\x03\x01\xFF"
        ));
        assert!(!check(
            "bitstring_overflow, absolute_offset 0",
            b"\x03\x01\x07"
        ));
        // A REAL of 257 bytes in decimal form; 256 is still fine.
        let mut real = vec![0x09, 0x82, 0x01, 0x01];
        real.resize(4 + 257, 0x05);
        assert!(check("double_overflow", &real));
        let mut real = vec![0x09, 0x82, 0x01, 0x00];
        real.resize(4 + 256, 0x05);
        assert!(!check("double_overflow", &real));
    }

    #[test]
    fn offsets_and_limits() {
        let c = Asn1Check::parse("oversize_length 3, relative_offset -1").expect("parse");
        // The last match ended right after the tag byte: decode from it.
        let data = b"XX\x04\x05hello";
        assert!(c.matches(data, 3));
        assert!(!c.matches(data, 0));
        // Offset past the end, or nothing to decode: no match.
        assert!(!check("oversize_length 0 absolute_offset 9", b"\x04\x01a"));
        // More than max_frames objects: no match at all.
        let many: Vec<u8> = (0..31).flat_map(|_| [0x04, 0x01, b'a']).collect();
        assert!(!check("oversize_length 0", &many));
        assert!(check("oversize_length 0", &many[..30 * 3]));
        // A length past the data fails that object; earlier ones count.
        assert!(check("oversize_length 1", b"\x04\x02ab\x04\x7f"));
        assert!(!check("oversize_length 1", b"\x04\x7fab"));
    }

    #[test]
    fn option_errors() {
        assert!(Asn1Check::parse("").is_err());
        assert!(Asn1Check::parse("oversize_length").is_err());
        assert!(Asn1Check::parse("oversize_length -1").is_err());
        assert!(Asn1Check::parse("absolute_offset 65536").is_err());
        assert!(Asn1Check::parse("relative_offset -65536").is_err());
        assert!(Asn1Check::parse("some_other_param 3").is_err());
        let c = Asn1Check::parse(
            "double_overflow, oversize_length 1024 absolute_offset 10,\n bitstring_overflow",
        )
        .expect("parse");
        assert!(c.double_overflow && c.bitstring_overflow);
        assert_eq!(
            (c.oversize_length, c.absolute_offset),
            (Some(1024), Some(10))
        );
    }

    #[test]
    fn hostile_nesting_is_bounded() {
        // 10,000 nested constructed objects: decoding stops at the depth
        // limit instead of recursing without bound.
        let mut data = Vec::new();
        for _ in 0..10_000 {
            data.extend_from_slice(&[0x30, 0x80]);
        }
        assert!(!check("oversize_length 0", &data));
    }
}
