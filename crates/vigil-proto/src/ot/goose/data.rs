//! The MMS `Data` CHOICE (ISO 9506-2, with IEC 61850-8-1's additions) as
//! GOOSE carries it in `allData`, and the IEC 61850 `UtcTime`.
//!
//! Context tags: array [1], structure [2], boolean [3], bit-string [4],
//! integer [5], unsigned [6], floating-point [7], real [8], octet-string
//! [9], visible-string [10], generalized-time [11], binary-time [12], bcd
//! [13], booleanArray [14], objId [15], mMSString [16], utc-time [17].
//!
//! Lists are read lazily from the frame: [`DataList::validate`] walks the
//! whole tree once (depth and value count bounded), after which iteration
//! and [`write_list`] only revisit octets known to be well formed.

use crate::ot::mms::ber;
use vigil_eve::JsonWriter;

/// Deepest nesting of arrays and structures read.
pub const MAX_DEPTH: usize = 8;

/// Most values (nested ones included) read from one `allData`.
pub const MAX_VALUES: usize = 1024;

/// Why `allData` could not be read completely.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DataError {
    /// A value's BER encoding is broken or its contents do not fit its
    /// type (a 9-octet UtcTime, a bit string with more than 7 unused bits).
    Malformed,
    /// Arrays and structures nest deeper than [`MAX_DEPTH`].
    TooDeep,
    /// More than [`MAX_VALUES`] values.
    TooManyValues,
}

impl DataError {
    /// The name written in EVE `data_error`.
    pub fn name(self) -> &'static str {
        match self {
            DataError::Malformed => "malformed",
            DataError::TooDeep => "too_deep",
            DataError::TooManyValues => "too_many_values",
        }
    }
}

/// An IEC 61850-8-1 UtcTime: seconds since 1970-01-01 UTC, a 24-bit binary
/// fraction of a second and the time quality octet.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct UtcTime {
    /// Seconds since 1970-01-01 00:00 UTC.
    pub secs: u32,
    /// Fraction of a second in units of 2^-24 s.
    pub fraction: u32,
    /// Time quality: bit 7 leap seconds known, bit 6 clock failure, bit 5
    /// clock not synchronized, bits 4..0 time accuracy (significant bits of
    /// the fraction; 31 unspecified).
    pub quality: u8,
}

impl UtcTime {
    /// Reads the 8-octet encoding.
    pub fn from_bytes(v: &[u8]) -> Option<UtcTime> {
        let b: &[u8; 8] = v.try_into().ok()?;
        Some(UtcTime {
            secs: u32::from_be_bytes([b[0], b[1], b[2], b[3]]),
            fraction: u32::from_be_bytes([0, b[4], b[5], b[6]]),
            quality: b[7],
        })
    }

    /// Nanoseconds of the fraction (truncated, as Wireshark shows them).
    pub fn nanos(&self) -> u32 {
        ((u64::from(self.fraction) * 1_000_000_000) >> 24) as u32
    }

    /// The time as `2011-05-26T00:55:54.859000027Z`.
    pub fn push_iso(&self, out: &mut Vec<u8>) {
        push_date_time(out, i64::from(self.secs));
        out.push(b'.');
        push_padded(out, u64::from(self.nanos()), 9);
        out.push(b'Z');
    }

    /// Writes `"<key>":"..."` and `"<quality_key>":{...}`.
    pub fn write_eve(&self, w: &mut JsonWriter<'_>, key: &str, quality_key: &str) {
        w.string_with(key, |out| self.push_iso(out));
        w.open_object_key(quality_key);
        w.boolean("leap_seconds_known", self.quality & 0x80 != 0);
        w.boolean("clock_failure", self.quality & 0x40 != 0);
        w.boolean("clock_not_synchronized", self.quality & 0x20 != 0);
        w.uint("accuracy", u64::from(self.quality & 0x1f));
        w.close_object();
    }
}

/// A BIT STRING's contents: unused bits in the last octet, then the octets.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BitString<'a> {
    /// Unused bits at the end of the last octet (0..=7).
    pub unused: u8,
    /// The octets holding the bits, first bit in the high bit.
    pub bytes: &'a [u8],
}

impl<'a> BitString<'a> {
    fn from_bytes(v: &'a [u8]) -> Option<BitString<'a>> {
        let (&unused, bytes) = v.split_first()?;
        if unused > 7 || (bytes.is_empty() && unused != 0) {
            return None;
        }
        Some(BitString { unused, bytes })
    }

    /// Number of bits.
    pub fn len(&self) -> usize {
        (self.bytes.len() * 8).saturating_sub(usize::from(self.unused))
    }

    /// True when there are no bits.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The bits as `0`/`1` characters, first bit first.
    fn push_bits(&self, out: &mut Vec<u8>) {
        for i in 0..self.len() {
            let byte = self.bytes.get(i / 8).copied().unwrap_or(0);
            out.push(if byte & (0x80 >> (i % 8)) != 0 {
                b'1'
            } else {
                b'0'
            });
        }
    }
}

/// One `Data` value. Strings and times borrow the frame.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Data<'a> {
    /// array [1]: elements of one type.
    Array(DataList<'a>),
    /// structure [2]: the components of a structured value.
    Structure(DataList<'a>),
    /// boolean [3].
    Boolean(bool),
    /// bit-string [4] (Dbpos, quality, ...).
    BitString(BitString<'a>),
    /// integer [5], up to 128 bits.
    Integer(i128),
    /// unsigned [6] (a BER INTEGER, so read as signed), up to 128 bits.
    Unsigned(i128),
    /// floating-point [7]: exponent width octet (8 single, 11 double), then
    /// the IEEE 754 value; see [`Data::float_value`].
    FloatingPoint(&'a [u8]),
    /// real [8]: ASN.1 REAL contents (not interpreted).
    Real(&'a [u8]),
    /// octet-string [9].
    OctetString(&'a [u8]),
    /// visible-string [10].
    VisibleString(&'a [u8]),
    /// generalized-time [11] (ASCII, not interpreted).
    GeneralizedTime(&'a [u8]),
    /// binary-time [12], TimeOfDay: milliseconds since midnight, then (6-octet form) days
    /// since 1984-01-01.
    BinaryTime(&'a [u8]),
    /// bcd [13] (an INTEGER).
    Bcd(i128),
    /// booleanArray [14].
    BooleanArray(BitString<'a>),
    /// objId [15]: OBJECT IDENTIFIER contents.
    ObjId(&'a [u8]),
    /// mMSString [16]: UTF-8.
    MmsString(&'a [u8]),
    /// utc-time [17].
    UtcTime(UtcTime),
    /// A context tag the CHOICE does not define (its extension marker
    /// allows them): the tag and raw contents.
    Unknown {
        /// The context tag number.
        tag: u32,
        /// The contents octets (of a constructed value too).
        value: &'a [u8],
    },
}

impl<'a> Data<'a> {
    /// Reads one value from its TLV (lists are not descended into).
    fn from_tlv(t: ber::Tlv<'a>) -> Result<Data<'a>, DataError> {
        if t.class != ber::CONTEXT {
            return Err(DataError::Malformed);
        }
        let list = matches!(t.tag, 1 | 2);
        let known = (1..=17).contains(&t.tag);
        if known && t.constructed != list {
            return Err(DataError::Malformed);
        }
        let v = t.value;
        let bad = DataError::Malformed;
        Ok(match t.tag {
            1 => Data::Array(DataList::new(v)),
            2 => Data::Structure(DataList::new(v)),
            3 => match v {
                [b] => Data::Boolean(*b != 0),
                _ => return Err(bad),
            },
            4 => Data::BitString(BitString::from_bytes(v).ok_or(bad)?),
            5 => Data::Integer(integer(v).ok_or(bad)?),
            6 => Data::Unsigned(integer(v).ok_or(bad)?),
            7 => Data::FloatingPoint(v),
            8 => Data::Real(v),
            9 => Data::OctetString(v),
            10 => Data::VisibleString(v),
            11 => Data::GeneralizedTime(v),
            12 => Data::BinaryTime(v),
            13 => Data::Bcd(integer(v).ok_or(bad)?),
            14 => Data::BooleanArray(BitString::from_bytes(v).ok_or(bad)?),
            15 => Data::ObjId(v),
            16 => Data::MmsString(v),
            17 => Data::UtcTime(UtcTime::from_bytes(v).ok_or(bad)?),
            tag => Data::Unknown { tag, value: v },
        })
    }

    /// The value of a floating-point: IEEE 754 single (exponent width 8,
    /// 5 octets) or double (width 11, 9 octets); `None` for other forms.
    pub fn float_value(raw: &[u8]) -> Option<f64> {
        match raw {
            [8, a, b, c, d] => Some(f64::from(f32::from_be_bytes([*a, *b, *c, *d]))),
            [11, rest @ ..] => {
                let b: [u8; 8] = rest.try_into().ok()?;
                Some(f64::from_be_bytes(b))
            }
            _ => None,
        }
    }
}

/// A signed BER INTEGER of up to 16 octets.
fn integer(v: &[u8]) -> Option<i128> {
    if v.is_empty() || v.len() > 16 {
        return None;
    }
    let neg = v.first().is_some_and(|b| b & 0x80 != 0);
    let mut x: i128 = if neg { -1 } else { 0 };
    for &b in v {
        x = (x << 8) | i128::from(b);
    }
    Some(x)
}

/// A SEQUENCE OF Data (allData, an array's or a structure's elements).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DataList<'a> {
    raw: &'a [u8],
}

impl<'a> DataList<'a> {
    /// The list whose contents octets are `raw`.
    pub fn new(raw: &'a [u8]) -> DataList<'a> {
        DataList { raw }
    }

    /// The contents octets.
    pub fn raw(&self) -> &'a [u8] {
        self.raw
    }

    /// The elements in order; stops after the first malformed one (yielded
    /// as an error).
    pub fn iter(&self) -> DataIter<'a> {
        DataIter {
            tlvs: ber::Iter::new(self.raw),
            failed: false,
        }
    }

    /// Walks the whole tree: the number of top-level elements, or the
    /// number read before the first problem and the problem.
    pub fn validate(&self) -> Result<u32, (u32, DataError)> {
        let mut values = 0usize;
        let mut top = 0u32;
        for d in self.iter() {
            let r = d.and_then(|d| check(&d, 1, &mut values));
            if let Err(e) = r {
                return Err((top, e));
            }
            top = top.saturating_add(1);
        }
        Ok(top)
    }
}

/// Counts `d` and, for lists, its elements at nesting `depth` (1 = top).
fn check(d: &Data<'_>, depth: usize, values: &mut usize) -> Result<(), DataError> {
    *values += 1;
    if *values > MAX_VALUES {
        return Err(DataError::TooManyValues);
    }
    if let Data::Array(list) | Data::Structure(list) = d {
        if depth >= MAX_DEPTH {
            // An element inside would be one level too deep.
            if !list.raw.is_empty() {
                return Err(DataError::TooDeep);
            }
            return Ok(());
        }
        for e in list.iter() {
            check(&e?, depth + 1, values)?;
        }
    }
    Ok(())
}

/// Iterator over a [`DataList`].
#[derive(Clone, Debug)]
pub struct DataIter<'a> {
    tlvs: ber::Iter<'a>,
    failed: bool,
}

impl<'a> Iterator for DataIter<'a> {
    type Item = Result<Data<'a>, DataError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.failed {
            return None;
        }
        match self.tlvs.next() {
            Some(t) => {
                let d = Data::from_tlv(t);
                self.failed = d.is_err();
                Some(d)
            }
            None if self.tlvs.rest().is_empty() => None,
            None => {
                // Octets left that are not a TLV.
                self.failed = true;
                Some(Err(DataError::Malformed))
            }
        }
    }
}

/// Writes the elements of `list` as objects into an open JSON array, each
/// `{"<type>":value}`; `depth` is the nesting of `list` (0 = allData).
/// Stops at the first malformed element and below [`MAX_DEPTH`].
pub fn write_list(w: &mut JsonWriter<'_>, list: DataList<'_>, depth: usize) {
    if depth >= MAX_DEPTH {
        return;
    }
    for d in list.iter() {
        let Ok(d) = d else { return };
        w.open_object();
        write_value(w, &d, depth);
        w.close_object();
    }
}

fn write_value(w: &mut JsonWriter<'_>, d: &Data<'_>, depth: usize) {
    match *d {
        Data::Array(l) => {
            w.open_array_key("array");
            write_list(w, l, depth + 1);
            w.close_array();
        }
        Data::Structure(l) => {
            w.open_array_key("structure");
            write_list(w, l, depth + 1);
            w.close_array();
        }
        Data::Boolean(b) => w.boolean("boolean", b),
        Data::BitString(b) => w.string_with("bit_string", |o| b.push_bits(o)),
        Data::Integer(i) => write_int(w, "integer", i),
        Data::Unsigned(i) => write_int(w, "unsigned", i),
        Data::FloatingPoint(raw) => match Data::float_value(raw) {
            Some(f) if f.is_finite() => w.float("float", f),
            // NaN and infinities have no JSON number.
            Some(_) => w.null("float"),
            None => w.string_with("floating_point", |o| push_hex(o, raw)),
        },
        Data::Real(raw) => w.string_with("real", |o| push_hex(o, raw)),
        Data::OctetString(v) => w.string_with("octet_string", |o| push_hex(o, v)),
        Data::VisibleString(v) => w.bytes_as_string("visible_string", v),
        Data::GeneralizedTime(v) => w.bytes_as_string("generalized_time", v),
        Data::BinaryTime(v) => write_binary_time(w, v),
        Data::Bcd(i) => write_int(w, "bcd", i),
        Data::BooleanArray(b) => w.string_with("boolean_array", |o| b.push_bits(o)),
        Data::ObjId(v) => match ber::oid_string(v) {
            Some(s) => w.string("obj_id", &s),
            None => w.string_with("obj_id_raw", |o| push_hex(o, v)),
        },
        Data::MmsString(v) => w.bytes_as_string("mms_string", v),
        Data::UtcTime(t) => t.write_eve(w, "utc_time", "quality"),
        Data::Unknown { tag, value } => {
            w.uint("unknown_tag", u64::from(tag));
            w.string_with("raw", |o| push_hex(o, value));
        }
    }
}

fn write_int(w: &mut JsonWriter<'_>, key: &str, v: i128) {
    if let Ok(i) = i64::try_from(v) {
        w.int(key, i);
    } else if let Ok(u) = u64::try_from(v) {
        w.uint(key, u);
    } else {
        // Beyond 64 bits: a JSON number that most readers would round.
        w.string(key, &v.to_string());
    }
}

/// TimeOfDay: 4 octets (ms since midnight) as `HH:MM:SS.mmm`; 6 octets
/// (plus days since 1984-01-01) as `YYYY-MM-DDTHH:MM:SS.mmmZ`; else hex.
fn write_binary_time(w: &mut JsonWriter<'_>, v: &[u8]) {
    let ms_of_day = |b: &[u8]| -> Option<u32> {
        let b: [u8; 4] = b.get(..4)?.try_into().ok()?;
        Some(u32::from_be_bytes(b)).filter(|&ms| ms < 86_400_000)
    };
    match (v.len(), ms_of_day(v)) {
        (4, Some(ms)) => w.string_with("binary_time", |o| {
            push_time_of_day(o, u64::from(ms / 1000));
            o.push(b'.');
            push_padded(o, u64::from(ms % 1000), 3);
        }),
        (6, Some(ms)) => {
            let days = v.get(4..6).map_or(0, |d| u16::from_be_bytes([d[0], d[1]]));
            // 1984-01-01 is day 5113 of the Unix epoch.
            let secs = (5113 + i64::from(days)) * 86_400 + i64::from(ms / 1000);
            w.string_with("binary_time", |o| {
                push_date_time(o, secs);
                o.push(b'.');
                push_padded(o, u64::from(ms % 1000), 3);
                o.push(b'Z');
            });
        }
        _ => w.string_with("binary_time_raw", |o| push_hex(o, v)),
    }
}

fn push_hex(out: &mut Vec<u8>, v: &[u8]) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    for &b in v {
        out.push(HEX[usize::from(b >> 4)]);
        out.push(HEX[usize::from(b & 0xf)]);
    }
}

fn push_padded(out: &mut Vec<u8>, value: u64, width: usize) {
    // u64 has at most 20 digits; written from the right, no allocation.
    let mut digits = [b'0'; 20];
    let mut used = 0;
    let mut v = value;
    for slot in digits.iter_mut().rev() {
        *slot = b'0' + (v % 10) as u8;
        v /= 10;
        used += 1;
        if v == 0 {
            break;
        }
    }
    for _ in used..width {
        out.push(b'0');
    }
    out.extend_from_slice(digits.get(20 - used..).unwrap_or(&[]));
}

fn push_time_of_day(out: &mut Vec<u8>, secs_of_day: u64) {
    push_padded(out, secs_of_day / 3600, 2);
    out.push(b':');
    push_padded(out, secs_of_day / 60 % 60, 2);
    out.push(b':');
    push_padded(out, secs_of_day % 60, 2);
}

/// `YYYY-MM-DDTHH:MM:SS` of `secs` since the Unix epoch (UTC).
fn push_date_time(out: &mut Vec<u8>, secs: i64) {
    let (y, m, d) = civil_from_days(secs.div_euclid(86_400));
    push_padded(out, y.clamp(0, 9999) as u64, 4);
    out.push(b'-');
    push_padded(out, u64::from(m), 2);
    out.push(b'-');
    push_padded(out, u64::from(d), 2);
    out.push(b'T');
    push_time_of_day(out, secs.rem_euclid(86_400) as u64);
}

/// (year, month, day) of a day number since 1970-01-01 (proleptic
/// Gregorian; Howard Hinnant's algorithm).
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (yoe + era * 400 + i64::from(month <= 2), month, day)
}
