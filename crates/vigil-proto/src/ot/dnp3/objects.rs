//! DNP3 application objects: the layouts of the groups and variations
//! Suricata 7 decodes (its `dnp3-objects.yaml`, IEEE 1815), and a decoder
//! that turns an object header's points into named values.

/// A fixed-size field or a bit field of a point.
#[derive(Clone, Copy, Debug)]
pub(super) enum Fd {
    U8(&'static str),
    U16(&'static str),
    U24(&'static str),
    U32(&'static str),
    I16(&'static str),
    I32(&'static str),
    F32(&'static str),
    F64(&'static str),
    /// 48-bit milliseconds since the epoch.
    Time(&'static str),
    /// One octet split into bit fields, least significant first:
    /// (name, width).
    Bits(&'static [(&'static str, u8)]),
    /// Four characters (logged under `data->NAME`, as Suricata does).
    Vstr4(&'static str),
    /// Characters whose length comes from `Ln` (logged up to the first NUL).
    Chars(&'static str, Ln),
    /// Bytes whose length comes from `Ln` (logged base64 under `data->NAME`).
    Bytes(&'static str, Ln),
}

/// Where a variable field's length comes from.
#[derive(Clone, Copy, Debug)]
pub(super) enum Ln {
    /// A previous field of the point.
    Field(&'static str),
    /// The size prefix minus the bytes already read, truncated to this many
    /// bytes (the width of Suricata's hidden length field).
    Prefix(u8),
}

/// Prefix requirements of an object.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Cons {
    None,
    /// Prefix codes 4, 5 or 6 (an object size).
    SizePrefix,
    /// Prefix code 5 exactly.
    Prefix5,
}

/// The layout of one group/variation.
#[derive(Clone, Copy, Debug)]
pub(super) enum Shape {
    /// Points of `width` bits packed into octets (one field `name`).
    Packed(&'static str, u8),
    /// Points of these fields, each point with its own prefix.
    Fields(Cons, &'static [Fd]),
}

const BI: &[(&str, u8)] = &[
    ("online", 1),
    ("restart", 1),
    ("comm_lost", 1),
    ("remote_forced", 1),
    ("local_forced", 1),
    ("chatter_filter", 1),
    ("reserved", 1),
    ("state", 1),
];
const DBI: &[(&str, u8)] = &[
    ("online", 1),
    ("restart", 1),
    ("comm_lost", 1),
    ("remote_forced", 1),
    ("local_forced", 1),
    ("chatter_filter", 1),
    ("state", 2),
];
const BO: &[(&str, u8)] = &[
    ("online", 1),
    ("restart", 1),
    ("comm_lost", 1),
    ("remote_forced", 1),
    ("local_forced", 1),
    ("reserved0", 1),
    ("reserved1", 1),
    ("state", 1),
];
/// Counter flags with `discontinuity`.
const CD: &[(&str, u8)] = &[
    ("online", 1),
    ("restart", 1),
    ("comm_lost", 1),
    ("remote_forced", 1),
    ("local_forced", 1),
    ("rollover", 1),
    ("discontinuity", 1),
    ("reserved0", 1),
];
/// Counter flags without `discontinuity`.
const CR: &[(&str, u8)] = &[
    ("online", 1),
    ("restart", 1),
    ("comm_lost", 1),
    ("remote_forced", 1),
    ("local_forced", 1),
    ("rollover", 1),
    ("reserved0", 1),
    ("reserved1", 1),
];
/// Counter flags of g21v5/v6.
const CD1: &[(&str, u8)] = &[
    ("online", 1),
    ("restart", 1),
    ("comm_lost", 1),
    ("remote_forced", 1),
    ("local_forced", 1),
    ("rollover", 1),
    ("discontinuity", 1),
    ("reserved1", 1),
];
const AI: &[(&str, u8)] = &[
    ("online", 1),
    ("restart", 1),
    ("comm_lost", 1),
    ("remote_forced", 1),
    ("local_forced", 1),
    ("over_range", 1),
    ("reference_err", 1),
    ("reserved0", 1),
];
const SEC: &[(&str, u8)] = &[
    ("online", 1),
    ("restart", 1),
    ("comm_lost", 1),
    ("remote_forced", 1),
    ("local_forced", 1),
    ("reserved0", 1),
    ("discontinuity", 1),
    ("reserved1", 1),
];
const CROB_CODE: &[(&str, u8)] = &[("op_type", 4), ("qu", 1), ("cr", 1), ("tcc", 2)];
const CROB_STATUS: &[(&str, u8)] = &[("status_code", 7), ("reserved", 1)];
const ST13: &[(&str, u8)] = &[("status_code", 7), ("commanded_state", 1)];
const ST43: &[(&str, u8)] = &[("status_code", 7), ("reserved0", 1)];

use Fd::*;

const T: Fd = Time("timestamp");
const CROB: &[Fd] = &[
    Bits(CROB_CODE),
    U8("count"),
    U32("ontime"),
    U32("offtime"),
    Bits(CROB_STATUS),
];

macro_rules! f {
    ($($x:expr),* $(,)?) => { Shape::Fields(Cons::None, &[$($x),*]) };
}
macro_rules! fc {
    ($c:expr; $($x:expr),* $(,)?) => { Shape::Fields($c, &[$($x),*]) };
}

/// The layout of group `g` variation `v`, when Suricata decodes it.
pub(super) fn shape(g: u8, v: u8) -> Option<Shape> {
    let v_ = v;
    Some(match (g, v_) {
        (1, 1) => Shape::Packed("state", 1),
        (1, 2) => f![Bits(BI)],
        (2, 1) => f![U8("state")],
        (2, 2) => f![Bits(BI), T],
        (2, 3) => f![Bits(BI), U16("timestamp")],
        (3, 1) => Shape::Packed("state", 2),
        (3, 2) | (4, 1) => f![Bits(DBI)],
        (4, 2) => f![Bits(DBI), T],
        (4, 3) => f![Bits(DBI), U16("relative_time_ms")],
        (10, 1) => Shape::Packed("state", 1),
        (10, 2) | (11, 1) => f![Bits(BO)],
        (11, 2) => f![Bits(BO), T],
        (12, 1) | (12, 2) => Shape::Fields(Cons::None, CROB),
        (12, 3) => Shape::Packed("point", 1),
        (13, 1) => f![Bits(ST13)],
        (13, 2) => f![Bits(ST13), T],
        (20, 1) | (21, 1) | (22, 1) | (23, 1) => f![Bits(CD), U32("count")],
        (20, 2) | (21, 2) | (22, 2) => f![Bits(CD), U16("count")],
        (20, 3) | (21, 3) | (22, 3) | (23, 3) => f![Bits(CR), U32("count")],
        (20, 4) | (21, 4) | (22, 4) | (23, 2) | (23, 4) => f![Bits(CR), U16("count")],
        (20, 5) | (20, 7) | (21, 9) | (21, 11) => f![U32("count")],
        (20, 6) | (20, 8) | (21, 10) | (21, 12) => f![U16("count")],
        (21, 5) => f![Bits(CD1), U32("count"), T],
        (21, 6) => f![Bits(CD1), U16("count"), T],
        (21, 7) | (22, 5) | (22, 7) | (23, 7) => f![Bits(CR), U32("count"), T],
        (21, 8) | (22, 8) | (23, 8) => f![Bits(CR), U16("count"), T],
        (22, 6) | (23, 6) => f![Bits(CD), U16("count"), T],
        (23, 5) => f![Bits(CD), U32("count"), T],
        (30, 1) | (31, 1) | (32, 1) | (33, 1) | (40, 1) | (42, 1) => {
            f![Bits(AI), I32("value")]
        }
        (30, 2) | (31, 2) | (32, 2) | (33, 2) | (40, 2) | (42, 2) => {
            f![Bits(AI), I16("value")]
        }
        (30, 3) | (31, 5) => f![I32("value")],
        (30, 4) | (31, 6) => f![I16("value")],
        (30, 5) | (31, 7) | (32, 5) | (33, 5) | (40, 3) | (42, 5) => {
            f![Bits(AI), F32("value")]
        }
        (30, 6) | (31, 8) | (32, 6) | (33, 6) | (40, 4) | (42, 6) => {
            f![Bits(AI), F64("value")]
        }
        (31, 3) | (32, 3) | (33, 3) | (42, 3) => f![Bits(AI), I32("value"), T],
        (31, 4) | (32, 4) | (33, 4) | (42, 4) => f![Bits(AI), I16("value"), T],
        (32, 7) | (33, 7) | (42, 7) => f![Bits(AI), F32("value"), T],
        (32, 8) | (33, 8) | (42, 8) => f![Bits(AI), F64("value"), T],
        (34, 1) => f![U16("deadband_value")],
        (34, 2) => f![U32("deadband_value")],
        (34, 3) => f![F32("deadband_value")],
        (41, 1) => f![I32("value"), U8("control_status")],
        (41, 2) => f![I16("value"), U8("control_status")],
        (41, 3) => f![F32("value"), U8("control_status")],
        (41, 4) => f![F64("value"), U8("control_status")],
        (43, 1) => f![Bits(ST43), I32("commanded_value")],
        (43, 2) => f![Bits(ST43), I16("commanded_value")],
        (43, 3) => f![Bits(ST43), I32("commanded_value"), T],
        (43, 4) => f![Bits(ST43), I16("commanded_value"), T],
        (43, 5) => f![Bits(ST43), F32("commanded_value")],
        (43, 6) => f![Bits(ST43), F64("commanded_value")],
        (43, 7) => f![Bits(ST43), F32("commanded_value"), T],
        (43, 8) => f![Bits(ST43), F64("commanded_value"), T],
        (50, 1) | (50, 3) | (51, 1) | (51, 2) => f![T],
        (50, 2) => f![T, U32("interval")],
        (50, 4) => f![T, U32("interval_count"), U8("interval_units")],
        (52, 1) => f![U16("delay_secs")],
        (52, 2) => f![U16("delay_ms")],
        (70, 1) => f![
            U16("filename_size"),
            U8("filetype_code"),
            U8("attribute_code"),
            U16("start_record"),
            U16("end_record"),
            U32("file_size"),
            Time("created_timestamp"),
            U16("permission"),
            U32("file_id"),
            U32("owner_id"),
            U32("group_id"),
            U8("file_function_code"),
            U8("status_code"),
            Chars("filename", Ln::Field("filename_size")),
            U16("data_size"),
            Chars("data", Ln::Field("data_size")),
        ],
        (70, 2) => f![
            U16("username_offset"),
            U16("username_size"),
            U16("password_offset"),
            U16("password_size"),
            U32("authentication_key"),
            Chars("username", Ln::Field("username_size")),
            Chars("password", Ln::Field("password_size")),
        ],
        (70, 3) => f![
            U16("filename_offset"),
            U16("filename_size"),
            Time("created"),
            U16("permissions"),
            U32("authentication_key"),
            U32("file_size"),
            U16("operational_mode"),
            U16("maximum_block_size"),
            U16("request_id"),
            Chars("filename", Ln::Field("filename_size")),
        ],
        (70, 4) => fc![Cons::SizePrefix;
            U32("file_handle"),
            U32("file_size"),
            U16("maximum_block_size"),
            U16("request_id"),
            U8("status_code"),
            Chars("optional_text", Ln::Prefix(1)),
        ],
        (70, 5) => fc![Cons::SizePrefix;
            U32("file_handle"),
            U32("block_number"),
            Chars("file_data", Ln::Prefix(1)),
        ],
        (70, 6) => fc![Cons::SizePrefix;
            U32("file_handle"),
            U32("block_number"),
            U8("status_code"),
            Chars("optional_text", Ln::Prefix(1)),
        ],
        (70, 7) => f![
            U16("filename_offset"),
            U16("filename_size"),
            U16("file_type"),
            U32("file_size"),
            Time("created_timestamp"),
            U16("permissions"),
            U16("request_id"),
            Chars("filename", Ln::Field("filename_size")),
        ],
        (70, 8) => fc![Cons::Prefix5; Chars("file_specification", Ln::Prefix(2))],
        (80, 1) => Shape::Packed("state", 1),
        (81, 1) => f![
            Bits(&[("fill_percentage", 7), ("overflow_state", 1)]),
            U8("group"),
            U8("variation"),
        ],
        (83, 1) => f![
            Vstr4("vendor_code"),
            U16("object_id"),
            U16("length"),
            Bytes("data_objects", Ln::Field("length")),
        ],
        (86, 2) => f![Bits(&[
            ("rd", 1),
            ("wr", 1),
            ("st", 1),
            ("ev", 1),
            ("df", 1),
            ("padding0", 1),
            ("padding1", 1),
            ("padding2", 1),
        ])],
        (102, 1) => f![U8("value")],
        (120, 1) => fc![Cons::Prefix5;
            U32("csq"),
            U16("usr"),
            U8("mal"),
            U8("reason"),
            Bytes("challenge_data", Ln::Prefix(2)),
        ],
        (120, 2) => fc![Cons::Prefix5; U32("csq"), U16("usr"), Bytes("mac_value", Ln::Prefix(2))],
        (120, 3) => f![U32("csq"), U16("user_number")],
        (120, 4) => f![U16("user_number")],
        (120, 5) => fc![Cons::Prefix5;
            U32("ksq"),
            U16("user_number"),
            U8("key_wrap_alg"),
            U8("key_status"),
            U8("mal"),
            U16("challenge_data_len"),
            Bytes("challenge_data", Ln::Field("challenge_data_len")),
            Bytes("mac_value", Ln::Prefix(2)),
        ],
        (120, 6) => fc![Cons::Prefix5;
            U24("ksq"),
            U16("usr"),
            Bytes("wrapped_key_data", Ln::Prefix(2)),
        ],
        (120, 7) => fc![Cons::Prefix5;
            U32("sequence_number"),
            U16("usr"),
            U16("association_id"),
            U8("error_code"),
            Time("time_of_error"),
            Chars("error_text", Ln::Prefix(2)),
        ],
        (120, 8) => fc![Cons::Prefix5;
            U8("key_change_method"),
            U8("certificate_type"),
            Bytes("certificate", Ln::Prefix(2)),
        ],
        (120, 9) => f![Bytes("mac_value", Ln::Prefix(2))],
        (120, 10) => fc![Cons::Prefix5;
            U8("key_change_method"),
            U8("operation"),
            U32("scs"),
            U16("user_role"),
            U16("user_role_expiry_interval"),
            U16("username_len"),
            U16("user_public_key_len"),
            U16("certification_data_len"),
            Chars("username", Ln::Field("username_len")),
            Bytes("user_public_key", Ln::Field("user_public_key_len")),
            Bytes("certification_data", Ln::Field("certification_data_len")),
        ],
        (120, 11) => fc![Cons::Prefix5;
            U8("key_change_method"),
            U16("username_len"),
            U16("master_challenge_data_len"),
            Chars("username", Ln::Field("username_len")),
            Bytes("master_challenge_data", Ln::Field("master_challenge_data_len")),
        ],
        (120, 12) => fc![Cons::Prefix5;
            U32("ksq"),
            U16("user_number"),
            U16("challenge_data_len"),
            Bytes("challenge_data", Ln::Field("challenge_data_len")),
        ],
        (120, 13) => fc![Cons::Prefix5;
            U32("ksq"),
            U16("user_number"),
            U16("encrypted_update_key_len"),
            Bytes("encrypted_update_key_data", Ln::Field("encrypted_update_key_len")),
        ],
        (120, 14) => fc![Cons::Prefix5; Bytes("digital_signature", Ln::Prefix(2))],
        (120, 15) => fc![Cons::Prefix5; Bytes("mac", Ln::Prefix(4))],
        (121, 1) | (122, 1) => f![Bits(SEC), U16("association_id"), U32("count_value")],
        (122, 2) => f![Bits(SEC), U16("association_id"), U32("count_value"), T],
        _ => return None,
    })
}

/// A decoded field value.
#[derive(Clone, Debug, PartialEq)]
pub enum Val {
    /// Integers as Suricata logs them (signed fields wrap to unsigned).
    U(u64),
    /// Floating point.
    F(f64),
    /// Characters up to the first NUL (logged only when valid UTF-8).
    Str(Box<[u8]>),
    /// A four-character string (logged as `data->NAME`, only when valid
    /// UTF-8).
    Vstr(Box<[u8]>),
    /// Raw bytes (logged base64).
    Bytes(Box<[u8]>),
}

/// One point of an object.
#[derive(Clone, Debug, PartialEq)]
pub struct Point {
    /// The prefix value (0 without prefix).
    pub prefix: u32,
    /// The point index (from the prefix, or start + position).
    pub index: u32,
    /// The object size, for size prefixes.
    pub size: Option<u32>,
    /// Field values in order, with their EVE names.
    pub fields: Vec<(&'static str, Val)>,
}

/// Why decoding stopped.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Stop {
    /// No layout for this group/variation.
    Unknown,
    /// Not enough data or a prefix constraint failed.
    Malformed,
}

struct Reader<'a> {
    buf: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    fn remaining(&self) -> usize {
        self.buf.len().saturating_sub(self.pos)
    }

    fn take(&mut self, n: usize) -> Option<&'a [u8]> {
        let end = self.pos.checked_add(n)?;
        let s = self.buf.get(self.pos..end)?;
        self.pos = end;
        Some(s)
    }

    fn le(&mut self, n: usize) -> Option<u64> {
        let s = self.take(n)?;
        Some(
            s.iter()
                .rev()
                .fold(0u64, |acc, &b| (acc << 8) | u64::from(b)),
        )
    }
}

/// Reads the prefix of `prefix_code` (0 when it has none).
fn read_prefix(r: &mut Reader<'_>, prefix_code: u8) -> Option<u32> {
    let n = match prefix_code {
        1 | 4 => 1,
        2 | 5 => 2,
        3 | 6 => 4,
        _ => 0,
    };
    if n == 0 {
        return Some(0);
    }
    r.le(n).map(|v| v as u32)
}

fn is_size_prefix(prefix_code: u8) -> bool {
    matches!(prefix_code, 4..=6)
}

fn make_point(prefix_code: u8, prefix: u32, index: u32, fields: Vec<(&'static str, Val)>) -> Point {
    let (index, size) = match prefix_code {
        1..=3 => (prefix, None),
        4..=6 => (index, Some(prefix)),
        _ => (index, None),
    };
    Point {
        prefix,
        index,
        size,
        fields,
    }
}

/// Decodes `count` points of `group`/`variation` from `buf` (advancing
/// `pos`) into `points`. Points decoded before a failure are kept, as
/// Suricata keeps them.
#[allow(clippy::too_many_arguments)]
pub(super) fn decode(
    group: u8,
    variation: u8,
    buf: &[u8],
    pos: &mut usize,
    prefix_code: u8,
    start: u32,
    count: u32,
    points: &mut Vec<Point>,
) -> Result<(), Stop> {
    let shape = shape(group, variation).ok_or(Stop::Unknown)?;
    let mut r = Reader { buf, pos: *pos };
    let result = match shape {
        Shape::Packed(name, width) => {
            decode_packed(&mut r, name, width, prefix_code, start, count, points)
        }
        Shape::Fields(cons, fields) => {
            decode_fields(&mut r, cons, fields, prefix_code, start, count, points)
        }
    };
    *pos = r.pos;
    result.ok_or(Stop::Malformed)
}

fn decode_packed(
    r: &mut Reader<'_>,
    name: &'static str,
    width: u8,
    prefix_code: u8,
    start: u32,
    mut count: u32,
    points: &mut Vec<Point>,
) -> Option<()> {
    // Suricata reads count/8 + 1 octets (one more than needed when count
    // is a multiple of 8) and one prefix for the whole run.
    let bytes = count / 8 + 1;
    let prefix = read_prefix(r, prefix_code)?;
    let mut index = start;
    let mask = if width == 2 { 0x3 } else { 0x1 };
    for _ in 0..bytes {
        let octet = *r.take(1)?.first()?;
        let mut j = 0u8;
        while j < 8 && count > 0 {
            let v = (octet >> j) & mask;
            points.push(make_point(
                prefix_code,
                prefix,
                index,
                vec![(name, Val::U(u64::from(v)))],
            ));
            count -= 1;
            index = index.wrapping_add(1);
            j += width;
        }
    }
    Some(())
}

fn field_value(fields: &[(&'static str, Val)], name: &str) -> u32 {
    fields
        .iter()
        .find(|(n, _)| *n == name)
        .map_or(0, |(_, v)| match v {
            Val::U(u) => *u as u32,
            _ => 0,
        })
}

fn decode_fields(
    r: &mut Reader<'_>,
    cons: Cons,
    spec: &'static [Fd],
    prefix_code: u8,
    start: u32,
    count: u32,
    points: &mut Vec<Point>,
) -> Option<()> {
    match cons {
        Cons::None => {}
        Cons::SizePrefix if is_size_prefix(prefix_code) => {}
        Cons::Prefix5 if prefix_code == 5 => {}
        _ => return None,
    }
    // Suricata's decoders give up before the first point when fewer than
    // count/8 bytes are left (so a short object logs no points at all).
    if r.remaining() < (count / 8) as usize {
        return None;
    }
    let mut index = start;
    for _ in 0..count {
        let prefix = read_prefix(r, prefix_code)?;
        let offset = r.remaining();
        let mut fields: Vec<(&'static str, Val)> = Vec::with_capacity(spec.len() + 4);
        for fd in spec {
            match *fd {
                U8(n) => fields.push((n, Val::U(r.le(1)?))),
                U16(n) => fields.push((n, Val::U(r.le(2)?))),
                U24(n) => fields.push((n, Val::U(r.le(3)?))),
                U32(n) => fields.push((n, Val::U(r.le(4)?))),
                Time(n) => fields.push((n, Val::U(r.le(6)?))),
                I16(n) => {
                    let v = r.le(2)? as u16 as i16;
                    fields.push((n, Val::U(i64::from(v) as u64)));
                }
                I32(n) => {
                    let v = r.le(4)? as u32 as i32;
                    fields.push((n, Val::U(i64::from(v) as u64)));
                }
                F32(n) => {
                    let v = f32::from_bits(r.le(4)? as u32);
                    fields.push((n, Val::F(f64::from(v))));
                }
                F64(n) => fields.push((n, Val::F(f64::from_bits(r.le(8)?)))),
                Bits(bits) => {
                    let octet = *r.take(1)?.first()?;
                    let mut shift = 0u8;
                    for &(n, width) in bits {
                        let mask = ((1u16 << width) - 1) as u8;
                        fields.push((n, Val::U(u64::from((octet >> shift) & mask))));
                        shift += width;
                    }
                }
                Vstr4(n) => {
                    let s = r.take(4)?;
                    fields.push((n, Val::Vstr(until_nul(s).into())));
                }
                Chars(n, ln) | Bytes(n, ln) => {
                    let len = match ln {
                        Ln::Field(f) => field_value(&fields, f),
                        Ln::Prefix(w) => {
                            // The size prefix less what the point used so
                            // far; more than the length field holds is
                            // malformed (as Suricata 7.0.10).
                            let consumed = offset.saturating_sub(r.remaining()) as u32;
                            let v = prefix.checked_sub(consumed)?;
                            let max = match w {
                                1 => 0xff,
                                2 => 0xffff,
                                _ => u32::MAX,
                            };
                            if v > max {
                                return None;
                            }
                            v
                        }
                    };
                    let data: &[u8] = if len > 0 {
                        r.take(usize::try_from(len).ok()?)?
                    } else {
                        &[]
                    };
                    match fd {
                        Chars(..) => fields.push((n, Val::Str(until_nul(data).into()))),
                        _ => fields.push((n, Val::Bytes(data.into()))),
                    }
                }
            }
        }
        points.push(make_point(prefix_code, prefix, index, fields));
        index = index.wrapping_add(1);
    }
    Some(())
}

fn until_nul(s: &[u8]) -> &[u8] {
    match s.iter().position(|&b| b == 0) {
        Some(i) => s.get(..i).unwrap_or(s),
        None => s,
    }
}
