//! Buffer transforms (`to_lowercase`, `strip_whitespace`, `url_decode`,
//! `to_sha256`, `xor`, `pcrexform`, ...), applied in rule order to a sticky
//! buffer before its matches, with Suricata's semantics.

use crate::pcre::{Options, Regex, Scratch};
use md5::Digest;
use vigil_rules::Transform;

/// A transform ready to run (pcrexform compiled).
#[derive(Debug)]
pub enum CTransform {
    /// A transform without compiled state.
    Plain(Transform),
    /// `pcrexform`: the buffer becomes the first capture group of the
    /// first match (unchanged when nothing matches).
    Pcre(Regex),
}

impl CTransform {
    /// Prepares `t`; an invalid `pcrexform` regex is an error.
    pub fn new(t: &Transform) -> Result<CTransform, String> {
        match t {
            Transform::PcreXform(re) => Regex::new(re, Options::default())
                .map(CTransform::Pcre)
                .map_err(|e| format!("invalid formatting to pcrexform keyword: {e}")),
            other => Ok(CTransform::Plain(other.clone())),
        }
    }
}

fn is_space(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | 0x0b | 0x0c | b'\r')
}

fn hexval(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

/// Applies `ts` to `input`, writing the result to `out` (`tmp` is scratch).
pub fn apply(
    ts: &[CTransform],
    input: &[u8],
    out: &mut Vec<u8>,
    tmp: &mut Vec<u8>,
    pcre: &mut Scratch,
) {
    out.clear();
    out.extend_from_slice(input);
    for t in ts {
        tmp.clear();
        let src: &[u8] = out;
        match t {
            CTransform::Plain(p) => match p {
                Transform::ToLowercase => tmp.extend(src.iter().map(u8::to_ascii_lowercase)),
                Transform::ToUppercase => tmp.extend(src.iter().map(u8::to_ascii_uppercase)),
                Transform::StripWhitespace => {
                    tmp.extend(src.iter().copied().filter(|b| !is_space(*b)))
                }
                Transform::CompressWhitespace => {
                    let mut prev_space = false;
                    for &b in src {
                        let sp = is_space(b);
                        if !(sp && prev_space) {
                            tmp.push(b);
                        }
                        prev_space = sp;
                    }
                }
                Transform::UrlDecode => {
                    let mut i = 0;
                    while i < src.len() {
                        let b = src[i];
                        if b == b'%'
                            && let (Some(h), Some(l)) = (
                                src.get(i + 1).copied().and_then(hexval),
                                src.get(i + 2).copied().and_then(hexval),
                            )
                        {
                            tmp.push(h << 4 | l);
                            i += 3;
                            continue;
                        }
                        tmp.push(if b == b'+' { b' ' } else { b });
                        i += 1;
                    }
                }
                Transform::DotPrefix => {
                    tmp.push(b'.');
                    tmp.extend_from_slice(src);
                }
                Transform::ToMd5 => tmp.extend_from_slice(&md5::Md5::digest(src)),
                Transform::ToSha1 => tmp.extend_from_slice(&sha1::Sha1::digest(src)),
                Transform::ToSha256 => tmp.extend_from_slice(&sha2::Sha256::digest(src)),
                Transform::Xor(key) => {
                    if key.is_empty() {
                        tmp.extend_from_slice(src);
                    } else {
                        tmp.extend(src.iter().zip(key.iter().cycle()).map(|(b, k)| b ^ k));
                    }
                }
                Transform::HeaderLowercase => {
                    // Lower-case header names: the part of each line before ':'.
                    let mut in_name = true;
                    for &b in src {
                        if b == b'\n' {
                            in_name = true;
                            tmp.push(b);
                        } else if in_name && b == b':' {
                            in_name = false;
                            tmp.push(b);
                        } else if in_name {
                            tmp.push(b.to_ascii_lowercase());
                        } else {
                            tmp.push(b);
                        }
                    }
                }
                Transform::StripPseudoHeaders => {
                    for line in src.split_inclusive(|b| *b == b'\n') {
                        if !line.starts_with(b":") {
                            tmp.extend_from_slice(line);
                        }
                    }
                }
                Transform::PcreXform(_) => tmp.extend_from_slice(src),
            },
            CTransform::Pcre(re) => match re.find_capture1(src, pcre) {
                Some((s, e)) => tmp.extend_from_slice(&src[s..e]),
                None => tmp.extend_from_slice(src),
            },
        }
        std::mem::swap(out, tmp);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(t: Transform, input: &[u8]) -> Vec<u8> {
        let ts = [CTransform::new(&t).unwrap()];
        let (mut out, mut tmp) = (Vec::new(), Vec::new());
        apply(&ts, input, &mut out, &mut tmp, &mut Scratch::default());
        out
    }

    #[test]
    fn transforms() {
        assert_eq!(run(Transform::ToLowercase, b"AbC"), b"abc");
        assert_eq!(run(Transform::StripWhitespace, b" a b\tc\r\n"), b"abc");
        assert_eq!(run(Transform::CompressWhitespace, b"a  b\t\tc"), b"a b\tc");
        assert_eq!(run(Transform::UrlDecode, b"%2fa+b%zz%4"), b"/a b%zz%4");
        assert_eq!(run(Transform::DotPrefix, b"ex.com"), b".ex.com");
        assert_eq!(run(Transform::Xor(vec![1, 2]), &[1, 2, 3]), vec![0, 0, 2]);
        assert_eq!(run(Transform::ToMd5, b"").len(), 16);
        assert_eq!(run(Transform::ToSha256, b"abc")[0], 0xba);
        assert_eq!(
            run(Transform::PcreXform("a(b+)c".into()), b"xabbcx"),
            b"bb".to_vec()
        );
        assert_eq!(run(Transform::PcreXform("q(z)".into()), b"abc"), b"abc");
    }
}
