//! A small streaming JSON writer: appends to a `Vec<u8>`, tracks commas, and
//! escapes strings the way Suricata's jsonbuilder does.

use std::io::Write as _;

/// Maximum nesting depth; deeper opens are still written but commas fall
/// back to conservative handling (never reached by vigil's own records).
const MAX_DEPTH: usize = 32;

/// Streaming JSON writer over a byte buffer.
///
/// Objects and arrays are opened and closed explicitly; the writer inserts
/// commas. Keys are trusted static names; string values are escaped.
pub struct JsonWriter<'a> {
    out: &'a mut Vec<u8>,
    /// `needs_comma[d]` is true when the container at depth `d` already has a member.
    needs_comma: [bool; MAX_DEPTH],
    depth: usize,
}

impl<'a> JsonWriter<'a> {
    /// Starts writing at the end of `out`.
    pub fn new(out: &'a mut Vec<u8>) -> JsonWriter<'a> {
        JsonWriter {
            out,
            needs_comma: [false; MAX_DEPTH],
            depth: 0,
        }
    }

    fn separator(&mut self) {
        if let Some(flag) = self.needs_comma.get_mut(self.depth) {
            if *flag {
                self.out.push(b',');
            }
            *flag = true;
        }
    }

    fn key(&mut self, key: &str) {
        self.separator();
        self.out.push(b'"');
        self.out.extend_from_slice(key.as_bytes());
        self.out.extend_from_slice(b"\":");
    }

    fn open(&mut self, bracket: u8) {
        self.out.push(bracket);
        self.depth += 1;
        if let Some(flag) = self.needs_comma.get_mut(self.depth) {
            *flag = false;
        }
    }

    fn close(&mut self, bracket: u8) {
        self.out.push(bracket);
        self.depth = self.depth.saturating_sub(1);
    }

    /// Opens the top-level object (or an object inside an array).
    pub fn open_object(&mut self) {
        if self.depth > 0 {
            self.separator();
        }
        self.open(b'{');
    }

    /// Opens an object member `"key":{`.
    pub fn open_object_key(&mut self, key: &str) {
        self.key(key);
        self.open(b'{');
    }

    /// Closes the innermost object.
    pub fn close_object(&mut self) {
        self.close(b'}');
    }

    /// Opens an array member `"key":[`.
    pub fn open_array_key(&mut self, key: &str) {
        self.key(key);
        self.open(b'[');
    }

    /// Closes the innermost array.
    pub fn close_array(&mut self) {
        self.close(b']');
    }

    /// Writes `"key":"value"` with `value` escaped.
    pub fn string(&mut self, key: &str, value: &str) {
        self.key(key);
        escape_into(self.out, value.as_bytes());
    }

    /// Writes `"key":"value"` where `value` is arbitrary bytes (invalid
    /// UTF-8 and control bytes are escaped as `\uXXXX`, as Suricata does).
    pub fn bytes_as_string(&mut self, key: &str, value: &[u8]) {
        self.key(key);
        escape_into(self.out, value);
    }

    /// Writes `"key":` followed by a string produced by `f` writing raw,
    /// already-safe characters (digits, hex, punctuation) into the buffer.
    pub fn string_with(&mut self, key: &str, f: impl FnOnce(&mut Vec<u8>)) {
        self.key(key);
        self.out.push(b'"');
        f(self.out);
        self.out.push(b'"');
    }

    /// Writes `"key":N`.
    pub fn uint(&mut self, key: &str, value: u64) {
        self.key(key);
        let mut buf = itoa::Buffer::new();
        self.out.extend_from_slice(buf.format(value).as_bytes());
    }

    /// Writes `"key":N` for a signed number.
    pub fn int(&mut self, key: &str, value: i64) {
        self.key(key);
        let mut buf = itoa::Buffer::new();
        self.out.extend_from_slice(buf.format(value).as_bytes());
    }

    /// Writes `"key":X` for a float, as Suricata prints doubles (`%f`-like
    /// shortest form; non-finite values become 0).
    pub fn float(&mut self, key: &str, value: f64) {
        self.key(key);
        let value = if value.is_finite() { value } else { 0.0 };
        let _ = write!(self.out, "{value}");
    }

    /// Writes `"key":null` (Suricata's value for non-finite floats).
    pub fn null(&mut self, key: &str) {
        self.key(key);
        self.out.extend_from_slice(b"null");
    }

    /// Writes `"key":true|false`.
    pub fn boolean(&mut self, key: &str, value: bool) {
        self.key(key);
        self.out
            .extend_from_slice(if value { b"true" } else { b"false" });
    }

    /// Writes an unsigned number as an array element.
    pub fn array_uint(&mut self, value: u64) {
        self.separator();
        let mut buf = itoa::Buffer::new();
        self.out.extend_from_slice(buf.format(value).as_bytes());
    }

    /// Writes an escaped string as an array element.
    pub fn array_string(&mut self, value: &str) {
        self.separator();
        escape_into(self.out, value.as_bytes());
    }

    /// The buffer written so far.
    pub fn buffer(&mut self) -> &mut Vec<u8> {
        self.out
    }
}

/// Appends `value` as a quoted JSON string. Printable ASCII passes through;
/// `"` and `\` and control characters are escaped; bytes >= 0x80 that form
/// valid UTF-8 pass through, invalid ones become `\u00XX`.
pub fn escape_into(out: &mut Vec<u8>, value: &[u8]) {
    out.push(b'"');
    let mut rest = value;
    while !rest.is_empty() {
        match std::str::from_utf8(rest) {
            Ok(valid) => {
                escape_valid(out, valid.as_bytes());
                rest = &[];
            }
            Err(err) => {
                let (valid, after) = rest.split_at(err.valid_up_to());
                escape_valid(out, valid);
                let bad = err
                    .error_len()
                    .unwrap_or(after.len())
                    .max(1)
                    .min(after.len());
                for &b in after.iter().take(bad) {
                    hex_escape(out, b);
                }
                rest = after.get(bad..).unwrap_or(&[]);
            }
        }
    }
    out.push(b'"');
}

fn escape_valid(out: &mut Vec<u8>, valid: &[u8]) {
    let mut start = 0;
    for (i, &b) in valid.iter().enumerate() {
        let escaped: Option<&[u8]> = match b {
            b'"' => Some(b"\\\""),
            b'\\' => Some(b"\\\\"),
            b'\n' => Some(b"\\n"),
            b'\r' => Some(b"\\r"),
            b'\t' => Some(b"\\t"),
            0x08 => Some(b"\\b"),
            0x0c => Some(b"\\f"),
            _ => None,
        };
        if escaped.is_some() || b < 0x20 || b == 0x7f {
            out.extend_from_slice(valid.get(start..i).unwrap_or(&[]));
            match escaped {
                Some(e) => out.extend_from_slice(e),
                None => hex_escape(out, b),
            }
            start = i + 1;
        }
    }
    out.extend_from_slice(valid.get(start..).unwrap_or(&[]));
}

fn hex_escape(out: &mut Vec<u8>, b: u8) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    out.extend_from_slice(b"\\u00");
    out.push(HEX[usize::from(b >> 4)]);
    out.push(HEX[usize::from(b & 0xf)]);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nested_objects_and_commas() {
        let mut buf = Vec::new();
        let mut w = JsonWriter::new(&mut buf);
        w.open_object();
        w.string("a", "x\"y\\z\n");
        w.uint("n", 42);
        w.open_object_key("o");
        w.boolean("t", true);
        w.int("neg", -3);
        w.close_object();
        w.open_array_key("v");
        w.array_uint(1);
        w.array_uint(10);
        w.close_array();
        w.close_object();
        assert_eq!(
            String::from_utf8(buf).unwrap(),
            r#"{"a":"x\"y\\z\n","n":42,"o":{"t":true,"neg":-3},"v":[1,10]}"#
        );
    }

    #[test]
    fn invalid_utf8_and_controls_are_escaped() {
        let mut buf = Vec::new();
        escape_into(&mut buf, "ok\u{1}é\u{7f}".as_bytes());
        let mut bad = Vec::new();
        escape_into(&mut bad, b"a\xffb");
        assert_eq!(String::from_utf8(bad).unwrap(), "\"a\\u00ffb\"");
        assert_eq!(String::from_utf8(buf).unwrap(), "\"ok\\u0001é\\u007f\"");
    }
}
