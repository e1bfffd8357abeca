//! A small BER (X.690) TLV reader for MMS, ACSE and the presentation layer:
//! definite and indefinite lengths, multi-octet tags, bounded nesting.
//! Hand-written: the subset needed is small, and every length is checked
//! against the bytes actually present.

/// Deepest nesting followed (indefinite-length scans and walkers).
pub const MAX_DEPTH: usize = 16;

/// Tag classes.
pub const UNIVERSAL: u8 = 0;
pub const APPLICATION: u8 = 1;
pub const CONTEXT: u8 = 2;

/// One TLV.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Tlv<'a> {
    pub class: u8,
    pub constructed: bool,
    pub tag: u32,
    /// The contents octets.
    pub value: &'a [u8],
}

impl<'a> Tlv<'a> {
    /// True for `[n]` context-specific.
    pub fn is_ctx(&self, n: u32) -> bool {
        self.class == CONTEXT && self.tag == n
    }
    /// Children of a constructed TLV.
    pub fn children(&self) -> Iter<'a> {
        Iter {
            rest: if self.constructed { self.value } else { &[] },
            depth: 0,
        }
    }
    /// Children, read at nesting `depth` (for indefinite lengths).
    pub fn children_at(&self, depth: usize) -> Iter<'a> {
        Iter {
            rest: if self.constructed { self.value } else { &[] },
            depth,
        }
    }
    /// The contents as a non-negative integer (up to 8 octets).
    pub fn uint(&self) -> Option<u64> {
        uint(self.value)
    }
    /// The contents as a signed integer (up to 8 octets).
    pub fn int(&self) -> Option<i64> {
        if self.value.is_empty() || self.value.len() > 8 {
            return None;
        }
        let neg = self.value.first().is_some_and(|b| b & 0x80 != 0);
        let mut v: i64 = if neg { -1 } else { 0 };
        for &b in self.value {
            v = (v << 8) | i64::from(b);
        }
        Some(v)
    }
}

/// Unsigned big-endian integer contents (a leading zero octet allowed).
pub fn uint(value: &[u8]) -> Option<u64> {
    let v = match value {
        [0, rest @ ..] if !rest.is_empty() => rest,
        v => v,
    };
    if v.is_empty() || v.len() > 8 || value.first().is_some_and(|b| b & 0x80 != 0) {
        return None;
    }
    Some(v.iter().fold(0u64, |acc, &b| (acc << 8) | u64::from(b)))
}

/// Iterator over consecutive TLVs; stops at the first malformed one or at
/// an end-of-contents marker.
#[derive(Clone, Debug)]
pub struct Iter<'a> {
    rest: &'a [u8],
    depth: usize,
}

impl<'a> Iter<'a> {
    /// TLVs in `data`.
    pub fn new(data: &'a [u8]) -> Iter<'a> {
        Iter {
            rest: data,
            depth: 0,
        }
    }
    /// Bytes not consumed.
    pub fn rest(&self) -> &'a [u8] {
        self.rest
    }
}

impl<'a> Iterator for Iter<'a> {
    type Item = Tlv<'a>;
    fn next(&mut self) -> Option<Tlv<'a>> {
        if self.rest.starts_with(&[0, 0]) {
            self.rest = &[];
            return None;
        }
        let (tlv, rest) = read_at(self.rest, self.depth)?;
        self.rest = rest;
        Some(tlv)
    }
}

/// (header length, content length) of a definite-length TLV at the start
/// of `d`; `None` when the header is incomplete, malformed or indefinite.
pub fn header(d: &[u8]) -> Option<(usize, usize)> {
    let (_, _, _, tag_len) = read_tag(d)?;
    match read_len(d.get(tag_len..)?)? {
        (Some(len), n) => Some((tag_len + n, len)),
        (None, _) => None,
    }
}

/// Reads one TLV; returns it and the bytes after it.
pub fn read(d: &[u8]) -> Option<(Tlv<'_>, &[u8])> {
    read_at(d, 0)
}

fn read_at(d: &[u8], depth: usize) -> Option<(Tlv<'_>, &[u8])> {
    let (class, constructed, tag, tag_len) = read_tag(d)?;
    let after_tag = d.get(tag_len..)?;
    let (len, len_len) = read_len(after_tag)?;
    let body = after_tag.get(len_len..)?;
    match len {
        Some(len) => {
            let value = body.get(..len)?;
            let rest = body.get(len..)?;
            Some((
                Tlv {
                    class,
                    constructed,
                    tag,
                    value,
                },
                rest,
            ))
        }
        None => {
            // Indefinite length: constructed only; the contents end at the
            // end-of-contents octets after the last child.
            if !constructed || depth >= MAX_DEPTH {
                return None;
            }
            let mut rest = body;
            loop {
                if let Some(after) = rest.strip_prefix(&[0u8, 0][..]) {
                    let used = body.len() - rest.len();
                    let value = body.get(..used)?;
                    return Some((
                        Tlv {
                            class,
                            constructed,
                            tag,
                            value,
                        },
                        after,
                    ));
                }
                let (_, r) = read_at(rest, depth + 1)?;
                rest = r;
            }
        }
    }
}

/// (class, constructed, tag number, octets used).
fn read_tag(d: &[u8]) -> Option<(u8, bool, u32, usize)> {
    let &first = d.first()?;
    let class = first >> 6;
    let constructed = first & 0x20 != 0;
    let low = u32::from(first & 0x1F);
    if low != 0x1F {
        return Some((class, constructed, low, 1));
    }
    // High tag number: base-128, at most 4 octets.
    let mut tag = 0u32;
    for i in 1..=4 {
        let &b = d.get(i)?;
        tag = (tag << 7) | u32::from(b & 0x7F);
        if b & 0x80 == 0 {
            return Some((class, constructed, tag, i + 1));
        }
    }
    None
}

/// (length or None for indefinite, octets used).
fn read_len(d: &[u8]) -> Option<(Option<usize>, usize)> {
    let &first = d.first()?;
    if first < 0x80 {
        return Some((Some(usize::from(first)), 1));
    }
    if first == 0x80 {
        return Some((None, 1));
    }
    let n = usize::from(first & 0x7F);
    if n > 4 {
        return None;
    }
    let bytes = d.get(1..=n)?;
    let len = bytes
        .iter()
        .fold(0usize, |acc, &b| (acc << 8) | usize::from(b));
    Some((Some(len), 1 + n))
}

/// Dotted form of an OBJECT IDENTIFIER's contents (at most 16 arcs).
pub fn oid_string(value: &[u8]) -> Option<String> {
    let mut arcs: Vec<u64> = Vec::new();
    let mut cur = 0u64;
    for (i, &b) in value.iter().enumerate() {
        if cur > (u64::MAX >> 8) {
            return None;
        }
        cur = (cur << 7) | u64::from(b & 0x7F);
        if b & 0x80 == 0 {
            if arcs.is_empty() {
                let (a, b) = match cur {
                    0..=39 => (0, cur),
                    40..=79 => (1, cur - 40),
                    _ => (2, cur - 80),
                };
                arcs.push(a);
                arcs.push(b);
            } else {
                arcs.push(cur);
            }
            cur = 0;
            if arcs.len() > 16 {
                return None;
            }
        } else if i + 1 == value.len() {
            return None;
        }
    }
    if arcs.is_empty() {
        return None;
    }
    Some(
        arcs.iter()
            .map(u64::to_string)
            .collect::<Vec<_>>()
            .join("."),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn definite_indefinite_and_long_tags() {
        let (t, rest) = read(&[0xA1, 0x03, 0x02, 0x01, 0x05, 0xFF]).unwrap();
        assert_eq!((t.class, t.constructed, t.tag), (CONTEXT, true, 1));
        assert_eq!(rest, [0xFF]);
        let child = t.children().next().unwrap();
        assert_eq!(child.uint(), Some(5));
        // [40] constructed (start), long form.
        let (t, _) = read(&[0xBF, 0x28, 0x81, 0x02, 0x80, 0x00]).unwrap();
        assert_eq!(t.tag, 40);
        assert_eq!(t.value, [0x80, 0x00]);
        // Indefinite length.
        let (t, rest) = read(&[0x61, 0x80, 0x02, 0x01, 0x07, 0x00, 0x00, 0x09]).unwrap();
        assert_eq!(t.value, [0x02, 0x01, 0x07]);
        assert_eq!(rest, [0x09]);
        assert_eq!(header(&[0x30, 0x82, 0x01, 0x00]), Some((4, 256)));
    }

    #[test]
    fn hostile_lengths_are_refused() {
        assert!(read(&[0x30, 0x85, 1, 2, 3, 4, 5]).is_none());
        assert!(read(&[0x30, 0x84, 0xFF, 0xFF, 0xFF, 0xFF]).is_none());
        assert!(read(&[0x30, 0x05, 0x01]).is_none());
        assert!(read(&[0x1F, 0x80, 0x80, 0x80, 0x80, 0x01]).is_none());
        // Deep indefinite nesting stops at MAX_DEPTH.
        let mut deep = Vec::new();
        for _ in 0..100 {
            deep.extend_from_slice(&[0x30, 0x80]);
        }
        assert!(read(&deep).is_none());
        assert_eq!(
            Tlv {
                class: 0,
                constructed: false,
                tag: 2,
                value: &[0xFF]
            }
            .int(),
            Some(-1)
        );
    }

    #[test]
    fn oids() {
        assert_eq!(
            oid_string(&[0x28, 0xCA, 0x22, 0x02, 0x03]).unwrap(),
            "1.0.9506.2.3"
        );
        assert_eq!(oid_string(&[0x52, 0x01, 0x00, 0x01]).unwrap(), "2.2.1.0.1");
        assert!(oid_string(&[0x81]).is_none());
    }
}
