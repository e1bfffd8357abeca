//! OPC UA Binary encoding (OPC 10000-6 5.2): a bounds-checked little-endian
//! reader for the built-in types, NodeIds with their standard string form,
//! and skipping of the variable-length types (Variant, DataValue,
//! DiagnosticInfo, ExtensionObject) with a nesting cap.

/// Why a decode stopped.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DecodeError {
    /// The bytes ended inside a field.
    Eof,
    /// A length, encoding byte or enumeration is out of range.
    Invalid,
    /// Variants / DiagnosticInfos nested deeper than [`MAX_DEPTH`].
    TooDeep,
}

/// Result of a decode step.
pub type Decoded<T> = Result<T, DecodeError>;

/// Nesting cap for recursive types (Variant in Variant, DiagnosticInfo in
/// DiagnosticInfo, DataValue in Variant ...).
pub const MAX_DEPTH: u32 = 16;
/// Longest string or opaque identifier kept (longer ones are cut, and the
/// value is marked truncated).
pub const MAX_KEPT: usize = 256;

/// A bounds-checked reader over OPC UA Binary data.
#[derive(Clone, Copy, Debug)]
pub struct Reader<'a> {
    data: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    /// A reader at the start of `data`.
    pub fn new(data: &'a [u8]) -> Reader<'a> {
        Reader { data, pos: 0 }
    }
    /// Bytes left.
    pub fn remaining(&self) -> usize {
        self.data.len().saturating_sub(self.pos)
    }
    /// The unread bytes.
    pub fn rest(&self) -> &'a [u8] {
        self.data.get(self.pos..).unwrap_or(&[])
    }
    /// Takes `n` bytes.
    pub fn take(&mut self, n: usize) -> Decoded<&'a [u8]> {
        let end = self.pos.checked_add(n).ok_or(DecodeError::Eof)?;
        let s = self.data.get(self.pos..end).ok_or(DecodeError::Eof)?;
        self.pos = end;
        Ok(s)
    }
    fn array<const N: usize>(&mut self) -> Decoded<[u8; N]> {
        self.take(N)?.try_into().map_err(|_| DecodeError::Eof)
    }
    /// Skips `n` bytes.
    pub fn skip(&mut self, n: usize) -> Decoded<()> {
        self.take(n).map(|_| ())
    }
    /// Byte.
    pub fn u8(&mut self) -> Decoded<u8> {
        Ok(u8::from_le_bytes(self.array()?))
    }
    /// Boolean (any non-zero byte is true).
    pub fn boolean(&mut self) -> Decoded<bool> {
        Ok(self.u8()? != 0)
    }
    /// UInt16.
    pub fn u16(&mut self) -> Decoded<u16> {
        Ok(u16::from_le_bytes(self.array()?))
    }
    /// UInt32.
    pub fn u32(&mut self) -> Decoded<u32> {
        Ok(u32::from_le_bytes(self.array()?))
    }
    /// Int32.
    pub fn i32(&mut self) -> Decoded<i32> {
        Ok(i32::from_le_bytes(self.array()?))
    }
    /// Int64 (also DateTime).
    pub fn i64(&mut self) -> Decoded<i64> {
        Ok(i64::from_le_bytes(self.array()?))
    }
    /// UInt64.
    pub fn u64(&mut self) -> Decoded<u64> {
        Ok(u64::from_le_bytes(self.array()?))
    }
    /// Double.
    pub fn f64(&mut self) -> Decoded<f64> {
        Ok(f64::from_le_bytes(self.array()?))
    }
    /// Float.
    pub fn f32(&mut self) -> Decoded<f32> {
        Ok(f32::from_le_bytes(self.array()?))
    }
    /// A length prefix: -1 is null (`None`), below -1 is invalid.
    fn length(&mut self) -> Decoded<Option<usize>> {
        match self.i32()? {
            -1 => Ok(None),
            n => usize::try_from(n)
                .map(Some)
                .map_err(|_| DecodeError::Invalid),
        }
    }
    /// String, ByteString or XmlElement: `None` when null.
    pub fn bytes(&mut self) -> Decoded<Option<&'a [u8]>> {
        match self.length()? {
            None => Ok(None),
            Some(n) => self.take(n).map(Some),
        }
    }
    /// The element count of an array: 0 when null. Every element takes at
    /// least `min_size` bytes, so a count beyond what is left is rejected
    /// up front (it cannot be honest, and loops stay bounded by the data).
    pub fn array_len(&mut self, min_size: usize) -> Decoded<usize> {
        let n = self.length()?.unwrap_or(0);
        if n.saturating_mul(min_size.max(1)) > self.remaining() {
            return Err(DecodeError::Eof);
        }
        Ok(n)
    }
    /// A NodeId (`expanded`: an ExpandedNodeId, whose encoding byte may
    /// carry the NamespaceUri and ServerIndex flags).
    pub fn node_id(&mut self, expanded: bool) -> Decoded<NodeId> {
        let enc = self.u8()?;
        let flags = enc & 0xC0;
        if flags != 0 && !expanded {
            return Err(DecodeError::Invalid);
        }
        let (namespace, identifier) = match enc & 0x3F {
            0 => (0, Identifier::Numeric(u32::from(self.u8()?))),
            1 => {
                let ns = u16::from(self.u8()?);
                (ns, Identifier::Numeric(u32::from(self.u16()?)))
            }
            2 => {
                let ns = self.u16()?;
                (ns, Identifier::Numeric(self.u32()?))
            }
            3 => {
                let ns = self.u16()?;
                let s = self.bytes()?.ok_or(DecodeError::Invalid)?;
                (ns, Identifier::String(Kept::new(s)))
            }
            4 => {
                let ns = self.u16()?;
                (ns, Identifier::Guid(self.array()?))
            }
            5 => {
                let ns = self.u16()?;
                let s = self.bytes()?.ok_or(DecodeError::Invalid)?;
                (ns, Identifier::Opaque(Kept::new(s)))
            }
            _ => return Err(DecodeError::Invalid),
        };
        let namespace_uri = if flags & 0x80 != 0 {
            self.bytes()?.map(Kept::new)
        } else {
            None
        };
        let server_index = if flags & 0x40 != 0 {
            Some(self.u32()?)
        } else {
            None
        };
        Ok(NodeId {
            namespace,
            identifier,
            namespace_uri,
            server_index,
        })
    }
    /// QualifiedName: namespace index and name.
    pub fn qualified_name(&mut self) -> Decoded<(u16, Option<Kept>)> {
        let ns = self.u16()?;
        Ok((ns, self.bytes()?.map(Kept::new)))
    }
    /// LocalizedText: its text (the locale is skipped).
    pub fn localized_text(&mut self) -> Decoded<Option<Kept>> {
        let mask = self.u8()?;
        if mask & 0x01 != 0 {
            self.bytes()?;
        }
        if mask & 0x02 != 0 {
            return Ok(self.bytes()?.map(Kept::new));
        }
        Ok(None)
    }
    /// Skips a LocalizedText.
    pub fn skip_localized_text(&mut self) -> Decoded<()> {
        self.localized_text().map(|_| ())
    }
    /// Skips a String array.
    pub fn skip_string_array(&mut self) -> Decoded<usize> {
        let n = self.array_len(4)?;
        for _ in 0..n {
            self.bytes()?;
        }
        Ok(n)
    }
    /// An ExtensionObject: its type id and body (`None` when it has none).
    pub fn extension_object(&mut self) -> Decoded<(NodeId, Option<&'a [u8]>)> {
        let type_id = self.node_id(false)?;
        let body = match self.u8()? {
            0 => None,
            1 | 2 => self.bytes()?,
            _ => return Err(DecodeError::Invalid),
        };
        Ok((type_id, body))
    }
    /// Skips a DiagnosticInfo.
    pub fn skip_diagnostic_info(&mut self, depth: u32) -> Decoded<()> {
        if depth > MAX_DEPTH {
            return Err(DecodeError::TooDeep);
        }
        let mask = self.u8()?;
        // SymbolicId, NamespaceUri, LocalizedText, Locale: Int32 each.
        let ints = (mask & 0x0F).count_ones() as usize;
        self.skip(4 * ints)?;
        if mask & 0x10 != 0 {
            self.bytes()?;
        }
        if mask & 0x20 != 0 {
            self.u32()?;
        }
        if mask & 0x40 != 0 {
            self.skip_diagnostic_info(depth + 1)?;
        }
        Ok(())
    }
    /// Skips a DiagnosticInfo array.
    pub fn skip_diagnostic_infos(&mut self) -> Decoded<()> {
        let n = self.array_len(1)?;
        for _ in 0..n {
            self.skip_diagnostic_info(0)?;
        }
        Ok(())
    }
    /// Skips a DataValue; returns its StatusCode when present.
    pub fn data_value(&mut self, depth: u32) -> Decoded<DataValueInfo> {
        if depth > MAX_DEPTH {
            return Err(DecodeError::TooDeep);
        }
        let mask = self.u8()?;
        let value = if mask & 0x01 != 0 {
            Some(self.variant(depth + 1)?)
        } else {
            None
        };
        let status = if mask & 0x02 != 0 {
            Some(self.u32()?)
        } else {
            None
        };
        if mask & 0x04 != 0 {
            self.i64()?;
        }
        if mask & 0x10 != 0 {
            self.u16()?;
        }
        if mask & 0x08 != 0 {
            self.i64()?;
        }
        if mask & 0x20 != 0 {
            self.u16()?;
        }
        Ok(DataValueInfo { value, status })
    }
    /// Decodes a Variant: scalars of the simple built-in types keep their
    /// value, everything else is skipped (type and array length kept).
    pub fn variant(&mut self, depth: u32) -> Decoded<VariantInfo> {
        if depth > MAX_DEPTH {
            return Err(DecodeError::TooDeep);
        }
        let mask = self.u8()?;
        let type_id = mask & 0x3F;
        if type_id > 25 {
            return Err(DecodeError::Invalid);
        }
        if mask & 0x80 == 0 {
            let value = self.builtin(type_id, depth)?;
            return Ok(VariantInfo {
                type_id,
                array_length: None,
                value,
            });
        }
        let fixed = fixed_size(type_id);
        let n = self.array_len(fixed.unwrap_or(1))?;
        if n > 0 && type_id == 0 {
            return Err(DecodeError::Invalid);
        }
        match fixed {
            Some(size) => self.skip(n.saturating_mul(size))?,
            None => {
                for _ in 0..n {
                    self.builtin(type_id, depth)?;
                }
            }
        }
        if mask & 0x40 != 0 {
            let dims = self.array_len(4)?;
            self.skip(dims.saturating_mul(4))?;
        }
        Ok(VariantInfo {
            type_id,
            array_length: Some(n),
            value: None,
        })
    }
    /// Skips a Variant array.
    pub fn skip_variants(&mut self) -> Decoded<usize> {
        let n = self.array_len(1)?;
        for _ in 0..n {
            self.variant(0)?;
        }
        Ok(n)
    }
    /// One value of a built-in type: simple scalars are returned.
    fn builtin(&mut self, type_id: u8, depth: u32) -> Decoded<Option<Scalar>> {
        Ok(Some(match type_id {
            0 => return Ok(None),
            1 => Scalar::Bool(self.boolean()?),
            2 => Scalar::Int(i64::from(self.u8()? as i8)),
            3 => Scalar::UInt(u64::from(self.u8()?)),
            4 => Scalar::Int(i64::from(self.u16()? as i16)),
            5 => Scalar::UInt(u64::from(self.u16()?)),
            6 => Scalar::Int(i64::from(self.i32()?)),
            7 => Scalar::UInt(u64::from(self.u32()?)),
            8 => Scalar::Int(self.i64()?),
            9 => Scalar::UInt(self.u64()?),
            10 => Scalar::Float(f64::from(self.f32()?)),
            11 => Scalar::Float(self.f64()?),
            12 => match self.bytes()? {
                Some(s) => Scalar::Text(Kept::new(s)),
                None => return Ok(None),
            },
            13 => Scalar::DateTime(self.i64()?),
            19 => Scalar::Status(self.u32()?),
            14 => {
                self.skip(16)?;
                return Ok(None);
            }
            15 | 16 => {
                self.bytes()?;
                return Ok(None);
            }
            17 | 18 => Scalar::NodeId(Box::new(self.node_id(type_id == 18)?)),
            20 => {
                self.qualified_name()?;
                return Ok(None);
            }
            21 => match self.localized_text()? {
                Some(t) => Scalar::Text(t),
                None => return Ok(None),
            },
            22 => {
                self.extension_object()?;
                return Ok(None);
            }
            23 => {
                self.data_value(depth + 1)?;
                return Ok(None);
            }
            24 => {
                self.variant(depth + 1)?;
                return Ok(None);
            }
            25 => {
                self.skip_diagnostic_info(depth + 1)?;
                return Ok(None);
            }
            _ => return Err(DecodeError::Invalid),
        }))
    }
}

/// Encoded size of a fixed-size built-in type.
fn fixed_size(type_id: u8) -> Option<usize> {
    Some(match type_id {
        1..=3 => 1,
        4 | 5 => 2,
        6 | 7 | 10 | 19 => 4,
        8 | 9 | 11 | 13 => 8,
        14 => 16,
        _ => return None,
    })
}

/// What a DataValue carried that the records use.
#[derive(Clone, Debug, PartialEq)]
pub struct DataValueInfo {
    pub value: Option<VariantInfo>,
    pub status: Option<u32>,
}

/// A decoded Variant: its built-in type, array length, and the value of a
/// simple scalar.
#[derive(Clone, Debug, PartialEq)]
pub struct VariantInfo {
    /// Built-in type id (0 null).
    pub type_id: u8,
    /// Elements of an array value.
    pub array_length: Option<usize>,
    pub value: Option<Scalar>,
}

/// A scalar value kept for logging.
#[derive(Clone, Debug, PartialEq)]
pub enum Scalar {
    Bool(bool),
    Int(i64),
    UInt(u64),
    Float(f64),
    Text(Kept),
    /// 100-ns ticks since 1601-01-01.
    DateTime(i64),
    Status(u32),
    NodeId(Box<NodeId>),
}

/// Bytes kept from the wire, cut at [`MAX_KEPT`].
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct Kept {
    pub bytes: Box<[u8]>,
    /// The wire value was longer than what is kept.
    pub truncated: bool,
}

impl Kept {
    /// Keeps at most [`MAX_KEPT`] bytes of `s`.
    pub fn new(s: &[u8]) -> Kept {
        Kept::with_cap(s, MAX_KEPT)
    }
    /// Keeps at most `cap` bytes of `s`.
    pub fn with_cap(s: &[u8], cap: usize) -> Kept {
        let kept = s.get(..cap.min(s.len())).unwrap_or(&[]);
        Kept {
            bytes: kept.into(),
            truncated: kept.len() < s.len(),
        }
    }
}

/// A NodeId's identifier.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Identifier {
    Numeric(u32),
    String(Kept),
    Guid([u8; 16]),
    Opaque(Kept),
}

/// A NodeId or ExpandedNodeId.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NodeId {
    pub namespace: u16,
    pub identifier: Identifier,
    /// ExpandedNodeId NamespaceUri.
    pub namespace_uri: Option<Kept>,
    /// ExpandedNodeId ServerIndex.
    pub server_index: Option<u32>,
}

impl NodeId {
    /// The numeric identifier of a namespace-0 NodeId.
    pub fn ns0_numeric(&self) -> Option<u32> {
        match self.identifier {
            Identifier::Numeric(n) if self.namespace == 0 && self.namespace_uri.is_none() => {
                Some(n)
            }
            _ => None,
        }
    }

    /// The standard string form (OPC 10000-6 5.3.1.10 / 5.3.1.11):
    /// `i=2258`, `ns=2;s=Foo`, `ns=1;g=<guid>`, `ns=1;b=<base64>`, with
    /// `svr=N;` and `nsu=URI;` for ExpandedNodeIds. Identifier bytes are
    /// copied as they are (invalid UTF-8 included).
    pub fn write_to(&self, out: &mut Vec<u8>) {
        if let Some(s) = self.server_index {
            out.extend_from_slice(b"svr=");
            push_uint(out, u64::from(s));
            out.push(b';');
        }
        if let Some(uri) = &self.namespace_uri {
            out.extend_from_slice(b"nsu=");
            out.extend_from_slice(&uri.bytes);
            out.push(b';');
        } else if self.namespace != 0 {
            out.extend_from_slice(b"ns=");
            push_uint(out, u64::from(self.namespace));
            out.push(b';');
        }
        match &self.identifier {
            Identifier::Numeric(n) => {
                out.extend_from_slice(b"i=");
                push_uint(out, u64::from(*n));
            }
            Identifier::String(s) => {
                out.extend_from_slice(b"s=");
                out.extend_from_slice(&s.bytes);
            }
            Identifier::Guid(g) => {
                out.extend_from_slice(b"g=");
                write_guid(out, g);
            }
            Identifier::Opaque(b) => {
                out.extend_from_slice(b"b=");
                base64(out, &b.bytes);
            }
        }
    }

    /// The string form as bytes.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut v = Vec::new();
        self.write_to(&mut v);
        v
    }
}

fn push_uint(out: &mut Vec<u8>, v: u64) {
    use std::io::Write as _;
    let _ = write!(out, "{v}");
}

const HEX: &[u8; 16] = b"0123456789abcdef";

fn push_hex(out: &mut Vec<u8>, bytes: impl IntoIterator<Item = u8>) {
    for b in bytes {
        out.push(HEX[usize::from(b >> 4)]);
        out.push(HEX[usize::from(b & 0x0F)]);
    }
}

/// A Guid (Data1 u32, Data2 u16, Data3 u16 little-endian, Data4 8 bytes)
/// as `xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx`, lowercase.
pub fn write_guid(out: &mut Vec<u8>, g: &[u8; 16]) {
    let [
        a0,
        a1,
        a2,
        a3,
        b0,
        b1,
        c0,
        c1,
        d0,
        d1,
        e0,
        e1,
        e2,
        e3,
        e4,
        e5,
    ] = *g;
    push_hex(out, [a3, a2, a1, a0]);
    out.push(b'-');
    push_hex(out, [b1, b0]);
    out.push(b'-');
    push_hex(out, [c1, c0]);
    out.push(b'-');
    push_hex(out, [d0, d1]);
    out.push(b'-');
    push_hex(out, [e0, e1, e2, e3, e4, e5]);
}

/// Standard base64 with padding.
pub fn base64(out: &mut Vec<u8>, data: &[u8]) {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    for chunk in data.chunks(3) {
        let b = [
            chunk.first().copied().unwrap_or(0),
            chunk.get(1).copied().unwrap_or(0),
            chunk.get(2).copied().unwrap_or(0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(ALPHABET[((n >> (18 - 6 * i)) & 0x3F) as usize]);
            } else {
                out.push(b'=');
            }
        }
    }
}

/// Ticks of 100 ns from 1601-01-01 to 1970-01-01.
const EPOCH_1970_TICKS: i64 = 116_444_736_000_000_000;

/// A DateTime as `YYYY-MM-DDTHH:MM:SS.ffffffZ` (UTC, microseconds), or
/// `None` for 0 (no value, per OPC 10000-6 5.2.2.5), negative values and
/// values past 9999-12-31 (the standard's "max" DateTime).
pub fn format_datetime(ticks: i64) -> Option<String> {
    if ticks <= 0 {
        return None;
    }
    let since_1970 = ticks.checked_sub(EPOCH_1970_TICKS)?;
    let micros = since_1970.div_euclid(10);
    let secs = micros.div_euclid(1_000_000);
    let frac = micros.rem_euclid(1_000_000);
    let days = secs.div_euclid(86_400);
    let sod = secs.rem_euclid(86_400);
    let (y, m, d) = civil_from_days(days);
    if !(1601..=9999).contains(&y) {
        return None;
    }
    Some(format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}.{frac:06}Z",
        sod / 3600,
        (sod / 60) % 60,
        sod % 60
    ))
}

/// Days since 1970-01-01 to a proleptic Gregorian (year, month, day).
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn nid(bytes: &[u8], expanded: bool) -> Decoded<String> {
        let mut r = Reader::new(bytes);
        r.node_id(expanded)
            .map(|n| String::from_utf8(n.to_bytes()).unwrap())
    }

    #[test]
    fn node_id_encodings_and_strings() {
        assert_eq!(nid(&[0x00, 0x55], false), Ok("i=85".into()));
        assert_eq!(nid(&[0x01, 0x00, 0xd2, 0x08], false), Ok("i=2258".into()));
        assert_eq!(nid(&[0x01, 0x02, 0x01, 0x00], false), Ok("ns=2;i=1".into()));
        assert_eq!(
            nid(&[0x02, 0x05, 0x00, 0x15, 0xcd, 0x5b, 0x07], false),
            Ok("ns=5;i=123456789".into())
        );
        assert_eq!(
            nid(&[0x03, 0x01, 0x00, 0x03, 0, 0, 0, b'F', b'o', b'o'], false),
            Ok("ns=1;s=Foo".into())
        );
        let guid = [
            0x04, 0x01, 0x00, 0x75, 0x7e, 0x08, 0x09, 0x5e, 0x8e, 0x9b, 0x49, 0x95, 0x4f, 0xf2,
            0xa9, 0x60, 0x3d, 0xb2, 0x8a,
        ];
        assert_eq!(
            nid(&guid, false),
            Ok("ns=1;g=09087e75-8e5e-499b-954f-f2a9603db28a".into())
        );
        assert_eq!(
            nid(&[0x05, 0x01, 0x00, 0x04, 0, 0, 0, 1, 2, 3, 4], false),
            Ok("ns=1;b=AQIDBA==".into())
        );
        // ExpandedNodeId with NamespaceUri and ServerIndex.
        assert_eq!(
            nid(
                &[
                    0xC1, 0x00, 0x05, 0x00, 0x02, 0, 0, 0, b'u', b'r', 2, 0, 0, 0
                ],
                true
            ),
            Ok("svr=2;nsu=ur;i=5".into())
        );
        assert_eq!(
            nid(&[0xC1, 0x00, 0x05, 0x00], false),
            Err(DecodeError::Invalid)
        );
        assert_eq!(nid(&[0x06, 0x00], false), Err(DecodeError::Invalid));
        assert_eq!(nid(&[0x02, 0x00, 0x01], false), Err(DecodeError::Eof));
        assert_eq!(
            nid(&[0x03, 0x00, 0x00, 0xfe, 0xff, 0xff, 0xff], false),
            Err(DecodeError::Invalid)
        );
    }

    #[test]
    fn base64_padding() {
        for (input, want) in [
            (&b""[..], ""),
            (b"f", "Zg=="),
            (b"fo", "Zm8="),
            (b"foo", "Zm9v"),
            (b"foob", "Zm9vYg=="),
        ] {
            let mut out = Vec::new();
            base64(&mut out, input);
            assert_eq!(out, want.as_bytes());
        }
    }

    #[test]
    fn datetimes() {
        assert_eq!(format_datetime(0), None);
        assert_eq!(format_datetime(-5), None);
        assert_eq!(
            format_datetime(EPOCH_1970_TICKS).as_deref(),
            Some("1970-01-01T00:00:00.000000Z")
        );
        // 2021-03-04T05:06:07.123456Z
        let t = EPOCH_1970_TICKS + (1_614_834_367 * 1_000_000 + 123_456) * 10 + 7;
        assert_eq!(
            format_datetime(t).as_deref(),
            Some("2021-03-04T05:06:07.123456Z")
        );
        assert_eq!(
            format_datetime(1).as_deref(),
            Some("1601-01-01T00:00:00.000000Z")
        );
        assert_eq!(format_datetime(i64::MAX), None);
    }

    #[test]
    fn variants_are_skipped_with_bounds() {
        // Int32 scalar.
        let mut r = Reader::new(&[0x06, 0x2a, 0, 0, 0]);
        assert_eq!(r.variant(0).unwrap().value, Some(Scalar::Int(42)));
        // Array of 3 UInt16 with dimensions [3].
        let mut r = Reader::new(&[0xC5, 3, 0, 0, 0, 1, 0, 2, 0, 3, 0, 1, 0, 0, 0, 3, 0, 0, 0]);
        let v = r.variant(0).unwrap();
        assert_eq!((v.type_id, v.array_length), (5, Some(3)));
        assert_eq!(r.remaining(), 0);
        // A huge array count is rejected without looping.
        let mut r = Reader::new(&[0x8C, 0xff, 0xff, 0xff, 0x7f, 0, 0, 0, 0]);
        assert_eq!(r.variant(0), Err(DecodeError::Eof));
        // Type 26 is not a built-in type.
        assert_eq!(Reader::new(&[0x1A]).variant(0), Err(DecodeError::Invalid));
        // Variants nested past the cap.
        let deep = vec![0x18u8; 64];
        assert_eq!(Reader::new(&deep).variant(0), Err(DecodeError::TooDeep));
        let deep = vec![0x40u8; 64];
        assert_eq!(
            Reader::new(&deep).skip_diagnostic_info(0),
            Err(DecodeError::TooDeep)
        );
    }
}
