//! Byte strings in EVE, the way Suricata's JSON builder renders them
//! (`jb_set_string_from_bytes`, `jb_append_string_from_bytes`): valid UTF-8
//! as is, otherwise every byte above 0x7f as the four characters `\xHH`.

use std::borrow::Cow;
use vigil_eve::JsonWriter;

/// The text Suricata writes for `v`.
pub(crate) fn string_from_bytes(v: &[u8]) -> Cow<'_, str> {
    match std::str::from_utf8(v) {
        Ok(s) => Cow::Borrowed(s),
        Err(_) => {
            const HEX: &[u8; 16] = b"0123456789abcdef";
            let mut s = String::with_capacity(v.len() * 2);
            for &b in v {
                if b < 0x80 {
                    s.push(char::from(b));
                } else {
                    s.push_str("\\x");
                    s.push(char::from(HEX[usize::from(b >> 4)]));
                    s.push(char::from(HEX[usize::from(b & 0xf)]));
                }
            }
            Cow::Owned(s)
        }
    }
}

/// Writes `"key":"value"` for bytes `v`.
pub(crate) fn write_bytes(w: &mut JsonWriter<'_>, key: &str, v: &[u8]) {
    w.string(key, &string_from_bytes(v));
}

/// Appends bytes `v` as a string to the open array.
pub(crate) fn append_bytes(w: &mut JsonWriter<'_>, v: &[u8]) {
    w.array_string(&string_from_bytes(v));
}

/// C's `isspace` in the "C" locale.
pub(crate) fn is_c_space(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | 0x0b | 0x0c | b'\r')
}

/// `v` without trailing `isspace` bytes.
pub(crate) fn trim_end_c_space(v: &[u8]) -> &[u8] {
    let mut end = v.len();
    while end > 0 && v.get(end - 1).copied().is_some_and(is_c_space) {
        end -= 1;
    }
    v.get(..end).unwrap_or(&[])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn invalid_utf8_bytes_become_hex_escapes() {
        assert_eq!(string_from_bytes(b"a\xffb"), "a\\xffb");
        assert_eq!(string_from_bytes("é".as_bytes()), "é");
        assert_eq!(trim_end_c_space(b"ab \t\r\x0b"), b"ab");
        assert_eq!(trim_end_c_space(b"  "), b"");
    }
}
