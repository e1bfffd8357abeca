//! BACnet application layer encoding (ASHRAE 135 clause 20.2) and the
//! parameters of the services vigil decodes.
//!
//! Service parameters become a list of named [`Field`]s in encoding order,
//! which the record writes as they are and the rule keywords walk.
//! Decoding is bounded: at most [`MAX_ITEMS`] values and list entries per
//! message (the rest is skipped and the message flagged `values_truncated`),
//! strings kept up to [`MAX_STRING`] octets.

use crate::ot::cotp::Cursor;

/// Values and list entries decoded per message.
pub const MAX_ITEMS: usize = 64;
/// Octets kept of a character, octet or bit string.
pub const MAX_STRING: usize = 128;
/// Largest object instance number (2^22 - 1, also the "unknown" wildcard).
pub const MAX_INSTANCE: u32 = 0x3F_FFFF;

/// Why service data could not be decoded to its end.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DecodeError {
    /// A tag or its content runs past the end of the data.
    Truncated,
    /// A tag is not the one the service's grammar expects, a required
    /// parameter is missing, a primitive has an impossible length, or data
    /// follows the last parameter.
    Malformed,
    /// [`MAX_ITEMS`] reached: decoding stopped on purpose.
    Budget,
}

type R<T> = Result<T, DecodeError>;

/// A BACnetObjectIdentifier: 10-bit type, 22-bit instance.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ObjectId {
    pub object_type: u16,
    pub instance: u32,
}

impl ObjectId {
    /// Splits the encoded 32-bit value.
    pub fn from_u32(v: u32) -> ObjectId {
        ObjectId {
            object_type: (v >> 22) as u16,
            instance: v & MAX_INSTANCE,
        }
    }
}

/// A string kept up to [`MAX_STRING`] octets, with its full length.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct Bytes {
    pub data: Vec<u8>,
    pub len: usize,
}

impl Bytes {
    fn capped(s: &[u8]) -> Bytes {
        Bytes {
            data: s.get(..MAX_STRING.min(s.len())).unwrap_or(&[]).to_vec(),
            len: s.len(),
        }
    }
    /// True when octets were dropped.
    pub fn truncated(&self) -> bool {
        self.len > self.data.len()
    }
}

/// One value of an ABSTRACT-SYNTAX.&Type parameter (a property value).
/// Application-tagged primitives are decoded; context-tagged ones (inside
/// constructed values) are kept raw, with the opening and closing tags
/// that structure them.
#[derive(Clone, Debug, PartialEq)]
pub enum Value {
    Null,
    Boolean(bool),
    Unsigned(u64),
    Signed(i64),
    Real(f32),
    Double(f64),
    OctetString(Bytes),
    CharacterString {
        charset: u8,
        text: Bytes,
    },
    /// Unused bits in the last octet, then the bit octets.
    BitString {
        unused: u8,
        bits: Bytes,
    },
    Enumerated(u64),
    /// Year - 1900, month, day, day of week (255: unspecified).
    Date([u8; 4]),
    /// Hour, minute, second, hundredths (255: unspecified).
    Time([u8; 4]),
    ObjectId(ObjectId),
    Context {
        tag: u8,
        data: Bytes,
    },
    Opening(u8),
    Closing(u8),
}

/// Enumerations a field's value belongs to (for its name and keywords).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Enumeration {
    Property,
    ObjectType,
    ErrorClass,
    ErrorCode,
    Segmentation,
    ReinitializedState,
    EnableDisable,
}

/// The value of one decoded parameter.
#[derive(Clone, Debug, PartialEq)]
pub enum FieldValue {
    Uint(u64),
    Int(i64),
    Bool(bool),
    Enum(Enumeration, u32),
    Object(ObjectId),
    /// A fixed word from the standard (`stream` / `record`).
    Word(&'static str),
    Text {
        charset: u8,
        text: Bytes,
    },
    Date([u8; 4]),
    Time([u8; 4]),
    Values(Vec<Value>),
    List(Vec<Vec<Field>>),
}

/// One named service parameter.
#[derive(Clone, Debug, PartialEq)]
pub struct Field {
    pub name: &'static str,
    pub value: FieldValue,
}

/// What decoding the service data of one message gave.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Decoded {
    pub fields: Vec<Field>,
    pub error: Option<DecodeError>,
    /// A parameter outside its range (priority, limits, state, ...).
    pub out_of_range: bool,
    /// The password parameter of ReinitializeDevice or
    /// DeviceCommunicationControl (never logged, a rule buffer only).
    pub password: Option<Vec<u8>>,
}

// ---------------------------------------------------------------- tags

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum TagKind {
    /// Primitive data of this many octets (application Boolean: 0, with
    /// the value in `bool_value`).
    Primitive(usize),
    Opening,
    Closing,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Tag {
    number: u8,
    context: bool,
    kind: TagKind,
    /// Application Boolean: the value is the length/value/type field.
    bool_value: bool,
}

const APP_NULL: u8 = 0;
const APP_BOOLEAN: u8 = 1;
const APP_UNSIGNED: u8 = 2;
const APP_SIGNED: u8 = 3;
const APP_REAL: u8 = 4;
const APP_DOUBLE: u8 = 5;
const APP_OCTET_STRING: u8 = 6;
const APP_CHARACTER_STRING: u8 = 7;
const APP_BIT_STRING: u8 = 8;
const APP_ENUMERATED: u8 = 9;
const APP_DATE: u8 = 10;
const APP_TIME: u8 = 11;
const APP_OBJECT_ID: u8 = 12;

/// A reader of tagged service data with the message's item budget.
pub struct Reader<'a, 'b> {
    c: Cursor<'a>,
    budget: &'b mut usize,
}

impl<'a, 'b> Reader<'a, 'b> {
    /// A reader over `data`, spending from `budget`.
    pub fn new(data: &'a [u8], budget: &'b mut usize) -> Reader<'a, 'b> {
        Reader {
            c: Cursor::new(data),
            budget,
        }
    }

    fn at_end(&self) -> bool {
        self.c.is_empty()
    }

    fn spend(&mut self) -> R<()> {
        if *self.budget == 0 {
            return Err(DecodeError::Budget);
        }
        *self.budget -= 1;
        Ok(())
    }

    /// Decodes the tag at `c` (advancing it).
    fn read_tag(c: &mut Cursor<'a>) -> R<Tag> {
        let t = DecodeError::Truncated;
        let o = c.u8().ok_or(t)?;
        let mut number = o >> 4;
        let context = o & 0x08 != 0;
        let lvt = o & 0x07;
        if number == 15 {
            number = c.u8().ok_or(t)?;
        }
        if !context && number == APP_BOOLEAN {
            if lvt > 1 {
                return Err(DecodeError::Malformed);
            }
            return Ok(Tag {
                number,
                context,
                kind: TagKind::Primitive(0),
                bool_value: lvt == 1,
            });
        }
        let kind = match lvt {
            0..=4 => TagKind::Primitive(usize::from(lvt)),
            5 => {
                let len = match c.u8().ok_or(t)? {
                    254 => usize::from(c.u16().ok_or(t)?),
                    255 => usize::try_from(c.u32().ok_or(t)?).unwrap_or(usize::MAX),
                    n => usize::from(n),
                };
                TagKind::Primitive(len)
            }
            6 if context => TagKind::Opening,
            7 if context => TagKind::Closing,
            _ => return Err(DecodeError::Malformed),
        };
        Ok(Tag {
            number,
            context,
            kind,
            bool_value: false,
        })
    }

    fn peek(&self) -> R<Option<Tag>> {
        if self.c.is_empty() {
            return Ok(None);
        }
        let mut c = self.c;
        Self::read_tag(&mut c).map(Some)
    }

    /// The next tag and its primitive content.
    fn next(&mut self) -> R<(Tag, &'a [u8])> {
        let tag = Self::read_tag(&mut self.c)?;
        let data = match tag.kind {
            TagKind::Primitive(len) => self.c.take(len).ok_or(DecodeError::Truncated)?,
            _ => &[],
        };
        Ok((tag, data))
    }

    /// Whether the next tag is context tag `n` (primitive, opening or closing as `kind`).
    fn next_is(&self, n: u8, opening: Option<bool>) -> R<bool> {
        Ok(match self.peek()? {
            Some(t) if t.context && t.number == n => matches!(
                (opening, t.kind),
                (None, TagKind::Primitive(_))
                    | (Some(true), TagKind::Opening)
                    | (Some(false), TagKind::Closing)
            ),
            _ => false,
        })
    }

    /// Optional context-tagged primitive `n`: its content.
    fn opt_ctx(&mut self, n: u8) -> R<Option<&'a [u8]>> {
        if self.next_is(n, None)? {
            Ok(Some(self.next()?.1))
        } else {
            Ok(None)
        }
    }

    fn ctx(&mut self, n: u8) -> R<&'a [u8]> {
        self.opt_ctx(n)?.ok_or(DecodeError::Malformed)
    }

    fn opt_ctx_unsigned(&mut self, n: u8) -> R<Option<u64>> {
        self.opt_ctx(n)?.map(unsigned).transpose()
    }

    fn ctx_unsigned(&mut self, n: u8) -> R<u64> {
        unsigned(self.ctx(n)?)
    }

    fn ctx_enum(&mut self, n: u8) -> R<u32> {
        enumerated(self.ctx(n)?)
    }

    fn opt_ctx_enum(&mut self, n: u8) -> R<Option<u32>> {
        self.opt_ctx(n)?.map(enumerated).transpose()
    }

    fn ctx_object(&mut self, n: u8) -> R<ObjectId> {
        object_id(self.ctx(n)?)
    }

    fn opt_ctx_object(&mut self, n: u8) -> R<Option<ObjectId>> {
        self.opt_ctx(n)?.map(object_id).transpose()
    }

    fn ctx_bool(&mut self, n: u8) -> R<bool> {
        match self.ctx(n)? {
            [b] => Ok(*b != 0),
            _ => Err(DecodeError::Malformed),
        }
    }

    fn ctx_signed(&mut self, n: u8) -> R<i64> {
        signed(self.ctx(n)?)
    }

    /// The next tag must be application tag `number`; its content.
    fn app(&mut self, number: u8) -> R<(Tag, &'a [u8])> {
        let (tag, data) = self.next()?;
        if tag.context || tag.number != number {
            return Err(DecodeError::Malformed);
        }
        Ok((tag, data))
    }

    fn app_unsigned(&mut self) -> R<u64> {
        unsigned(self.app(APP_UNSIGNED)?.1)
    }

    fn app_signed(&mut self) -> R<i64> {
        signed(self.app(APP_SIGNED)?.1)
    }

    fn app_enum(&mut self) -> R<u32> {
        enumerated(self.app(APP_ENUMERATED)?.1)
    }

    fn app_object(&mut self) -> R<ObjectId> {
        object_id(self.app(APP_OBJECT_ID)?.1)
    }

    fn app_bool(&mut self) -> R<bool> {
        Ok(self.app(APP_BOOLEAN)?.0.bool_value)
    }

    fn app_octets(&mut self) -> R<&'a [u8]> {
        Ok(self.app(APP_OCTET_STRING)?.1)
    }

    fn open(&mut self, n: u8) -> R<()> {
        if self.next_is(n, Some(true))? {
            self.next().map(|_| ())
        } else {
            Err(DecodeError::Malformed)
        }
    }

    fn close(&mut self, n: u8) -> R<()> {
        if self.next_is(n, Some(false))? {
            self.next().map(|_| ())
        } else {
            Err(DecodeError::Malformed)
        }
    }

    /// Values up to the closing tag `n` that ends them (consumed), into
    /// `out` (which keeps what was decoded when decoding stops early).
    fn values_into(&mut self, n: u8, out: &mut Vec<Value>) -> R<()> {
        let mut depth = 0usize;
        loop {
            let (tag, data) = self.next()?;
            match tag.kind {
                TagKind::Closing if depth == 0 => {
                    return if tag.number == n {
                        Ok(())
                    } else {
                        Err(DecodeError::Malformed)
                    };
                }
                TagKind::Closing => {
                    depth -= 1;
                    self.spend()?;
                    out.push(Value::Closing(tag.number));
                }
                TagKind::Opening => {
                    // Nesting is bounded by the budget each level spends.
                    depth += 1;
                    self.spend()?;
                    out.push(Value::Opening(tag.number));
                }
                TagKind::Primitive(_) => {
                    self.spend()?;
                    out.push(value(tag, data)?);
                }
            }
        }
    }

    /// Data follows the last parameter.
    fn finish(&self) -> R<()> {
        if self.at_end() {
            Ok(())
        } else {
            Err(DecodeError::Malformed)
        }
    }
}

/// An Unsigned of 1..8 octets (0 octets: 0, as some encoders send).
fn unsigned(d: &[u8]) -> R<u64> {
    if d.len() > 8 {
        return Err(DecodeError::Malformed);
    }
    Ok(d.iter().fold(0u64, |v, &b| (v << 8) | u64::from(b)))
}

fn signed(d: &[u8]) -> R<i64> {
    if d.is_empty() || d.len() > 8 {
        return Err(DecodeError::Malformed);
    }
    let first = d.first().copied().unwrap_or(0);
    let init: i64 = if first & 0x80 != 0 { -1 } else { 0 };
    Ok(d.iter().fold(init, |v, &b| (v << 8) | i64::from(b)))
}

fn enumerated(d: &[u8]) -> R<u32> {
    if d.is_empty() || d.len() > 4 {
        return Err(DecodeError::Malformed);
    }
    Ok(d.iter().fold(0u32, |v, &b| (v << 8) | u32::from(b)))
}

fn object_id(d: &[u8]) -> R<ObjectId> {
    match d {
        &[a, b, c, e] => Ok(ObjectId::from_u32(u32::from_be_bytes([a, b, c, e]))),
        _ => Err(DecodeError::Malformed),
    }
}

fn four(d: &[u8]) -> R<[u8; 4]> {
    match d {
        &[a, b, c, e] => Ok([a, b, c, e]),
        _ => Err(DecodeError::Malformed),
    }
}

/// Decodes one primitive value.
fn value(tag: Tag, d: &[u8]) -> R<Value> {
    if tag.context {
        return Ok(Value::Context {
            tag: tag.number,
            data: Bytes::capped(d),
        });
    }
    Ok(match tag.number {
        APP_NULL if d.is_empty() => Value::Null,
        APP_BOOLEAN => Value::Boolean(tag.bool_value),
        APP_UNSIGNED => Value::Unsigned(unsigned(d)?),
        APP_SIGNED => Value::Signed(signed(d)?),
        APP_REAL => Value::Real(f32::from_be_bytes(four(d)?)),
        APP_DOUBLE => match d {
            &[a, b, c, e, f, g, h, i] => {
                Value::Double(f64::from_be_bytes([a, b, c, e, f, g, h, i]))
            }
            _ => return Err(DecodeError::Malformed),
        },
        APP_OCTET_STRING => Value::OctetString(Bytes::capped(d)),
        APP_CHARACTER_STRING => {
            let (&charset, text) = d.split_first().ok_or(DecodeError::Malformed)?;
            Value::CharacterString {
                charset,
                text: Bytes::capped(text),
            }
        }
        APP_BIT_STRING => {
            let (&unused, bits) = d.split_first().ok_or(DecodeError::Malformed)?;
            if unused > 7 || (bits.is_empty() && unused != 0) {
                return Err(DecodeError::Malformed);
            }
            Value::BitString {
                unused,
                bits: Bytes::capped(bits),
            }
        }
        APP_ENUMERATED => Value::Enumerated(unsigned(d)?),
        APP_DATE => Value::Date(four(d)?),
        APP_TIME => Value::Time(four(d)?),
        APP_OBJECT_ID => Value::ObjectId(object_id(d)?),
        _ => return Err(DecodeError::Malformed),
    })
}

// ---------------------------------------------------------------- services

/// Confirmed service choices whose parameters vigil decodes.
#[allow(missing_docs)]
pub mod confirmed {
    pub const SUBSCRIBE_COV: u8 = 5;
    pub const CONFIRMED_COV_NOTIFICATION: u8 = 1;
    pub const ATOMIC_READ_FILE: u8 = 6;
    pub const ATOMIC_WRITE_FILE: u8 = 7;
    pub const ADD_LIST_ELEMENT: u8 = 8;
    pub const REMOVE_LIST_ELEMENT: u8 = 9;
    pub const CREATE_OBJECT: u8 = 10;
    pub const DELETE_OBJECT: u8 = 11;
    pub const READ_PROPERTY: u8 = 12;
    pub const READ_PROPERTY_MULTIPLE: u8 = 14;
    pub const WRITE_PROPERTY: u8 = 15;
    pub const WRITE_PROPERTY_MULTIPLE: u8 = 16;
    pub const DEVICE_COMMUNICATION_CONTROL: u8 = 17;
    pub const REINITIALIZE_DEVICE: u8 = 20;
    pub const READ_RANGE: u8 = 26;
    pub const SUBSCRIBE_COV_PROPERTY: u8 = 28;
}

/// Unconfirmed service choices whose parameters vigil decodes.
#[allow(missing_docs)]
pub mod unconfirmed {
    pub const I_AM: u8 = 0;
    pub const I_HAVE: u8 = 1;
    pub const UNCONFIRMED_COV_NOTIFICATION: u8 = 2;
    pub const TIME_SYNCHRONIZATION: u8 = 6;
    pub const WHO_HAS: u8 = 7;
    pub const WHO_IS: u8 = 8;
    pub const UTC_TIME_SYNCHRONIZATION: u8 = 9;
}

/// Which service data is being decoded.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ServiceData {
    ConfirmedRequest(u8),
    UnconfirmedRequest(u8),
    ComplexAck(u8),
    Error(u8),
}

/// Whether vigil decodes the parameters of `kind`.
pub fn decodes(kind: ServiceData) -> bool {
    use confirmed as c;
    use unconfirmed as u;
    match kind {
        ServiceData::ConfirmedRequest(s) => matches!(
            s,
            c::SUBSCRIBE_COV
                | c::CONFIRMED_COV_NOTIFICATION
                | c::ATOMIC_READ_FILE
                | c::ATOMIC_WRITE_FILE
                | c::ADD_LIST_ELEMENT
                | c::REMOVE_LIST_ELEMENT
                | c::CREATE_OBJECT
                | c::DELETE_OBJECT
                | c::READ_PROPERTY
                | c::READ_PROPERTY_MULTIPLE
                | c::WRITE_PROPERTY
                | c::WRITE_PROPERTY_MULTIPLE
                | c::DEVICE_COMMUNICATION_CONTROL
                | c::REINITIALIZE_DEVICE
                | c::READ_RANGE
                | c::SUBSCRIBE_COV_PROPERTY
        ),
        ServiceData::UnconfirmedRequest(s) => matches!(
            s,
            u::I_AM
                | u::I_HAVE
                | u::UNCONFIRMED_COV_NOTIFICATION
                | u::TIME_SYNCHRONIZATION
                | u::WHO_HAS
                | u::WHO_IS
                | u::UTC_TIME_SYNCHRONIZATION
        ),
        ServiceData::ComplexAck(s) => matches!(
            s,
            c::ATOMIC_READ_FILE
                | c::ATOMIC_WRITE_FILE
                | c::CREATE_OBJECT
                | c::READ_PROPERTY
                | c::READ_PROPERTY_MULTIPLE
                | c::READ_RANGE
        ),
        ServiceData::Error(_) => true,
    }
}

/// Decodes the service data of `kind` (callers check [`decodes`] first;
/// other services give no fields).
pub fn decode(kind: ServiceData, data: &[u8]) -> Decoded {
    let mut budget = MAX_ITEMS;
    let mut d = Decoded::default();
    let mut r = Reader::new(data, &mut budget);
    let res = decode_into(kind, &mut r, &mut d);
    if let Err(e) = res {
        d.error = Some(e);
    }
    d
}

struct Out<'d> {
    d: &'d mut Decoded,
}

impl Out<'_> {
    fn push(&mut self, name: &'static str, value: FieldValue) {
        self.d.fields.push(Field { name, value });
    }
}

fn f(name: &'static str, value: FieldValue) -> Field {
    Field { name, value }
}

fn decode_into(kind: ServiceData, r: &mut Reader<'_, '_>, d: &mut Decoded) -> R<()> {
    use confirmed as c;
    use unconfirmed as u;
    let mut o = Out { d };
    match kind {
        ServiceData::UnconfirmedRequest(u::WHO_IS) => who_is(r, &mut o),
        ServiceData::UnconfirmedRequest(u::I_AM) => i_am(r, &mut o),
        ServiceData::UnconfirmedRequest(u::WHO_HAS) => who_has(r, &mut o),
        ServiceData::UnconfirmedRequest(u::I_HAVE) => {
            o.push("device", FieldValue::Object(r.app_object()?));
            o.push("object", FieldValue::Object(r.app_object()?));
            let (_, s) = r.app(APP_CHARACTER_STRING)?;
            o.push("object_name", text(s)?);
            r.finish()
        }
        ServiceData::UnconfirmedRequest(u::UNCONFIRMED_COV_NOTIFICATION)
        | ServiceData::ConfirmedRequest(c::CONFIRMED_COV_NOTIFICATION) => {
            cov_notification(r, &mut o)
        }
        ServiceData::UnconfirmedRequest(u::TIME_SYNCHRONIZATION | u::UTC_TIME_SYNCHRONIZATION) => {
            o.push("date", FieldValue::Date(four(r.app(APP_DATE)?.1)?));
            o.push("time", FieldValue::Time(four(r.app(APP_TIME)?.1)?));
            r.finish()
        }
        ServiceData::ConfirmedRequest(c::READ_PROPERTY) => {
            object_property(r, &mut o)?;
            r.finish()
        }
        ServiceData::ComplexAck(c::READ_PROPERTY) => {
            object_property(r, &mut o)?;
            values_field(r, &mut o, "value", 3)?;
            r.finish()
        }
        ServiceData::ConfirmedRequest(c::WRITE_PROPERTY) => {
            object_property(r, &mut o)?;
            values_field(r, &mut o, "value", 3)?;
            if let Some(p) = r.opt_ctx_unsigned(4)? {
                if !(1..=16).contains(&p) {
                    o.d.out_of_range = true;
                }
                o.push("priority", FieldValue::Uint(p));
            }
            r.finish()
        }
        ServiceData::ConfirmedRequest(c::ADD_LIST_ELEMENT | c::REMOVE_LIST_ELEMENT) => {
            object_property(r, &mut o)?;
            values_field(r, &mut o, "list_of_elements", 3)?;
            r.finish()
        }
        ServiceData::ConfirmedRequest(c::READ_RANGE) => {
            // The range (by position, sequence number or time) is not logged.
            object_property(r, &mut o)
        }
        ServiceData::ComplexAck(c::READ_RANGE) => {
            object_property(r, &mut o)?;
            // resultFlags [3] (bit string), itemCount [4].
            let _flags = r.ctx(3)?;
            o.push("item_count", FieldValue::Uint(r.ctx_unsigned(4)?));
            Ok(())
        }
        ServiceData::ConfirmedRequest(c::READ_PROPERTY_MULTIPLE) => rpm_request(r, &mut o),
        ServiceData::ComplexAck(c::READ_PROPERTY_MULTIPLE) => rpm_ack(r, &mut o),
        ServiceData::ConfirmedRequest(c::WRITE_PROPERTY_MULTIPLE) => wpm_request(r, &mut o),
        ServiceData::ConfirmedRequest(c::REINITIALIZE_DEVICE) => {
            let state = r.ctx_enum(0)?;
            if state as usize >= super::names::REINITIALIZED_STATES.len() {
                o.d.out_of_range = true;
            }
            o.push(
                "reinitialized_state",
                FieldValue::Enum(Enumeration::ReinitializedState, state),
            );
            password(r, &mut o, 1)?;
            r.finish()
        }
        ServiceData::ConfirmedRequest(c::DEVICE_COMMUNICATION_CONTROL) => {
            if let Some(minutes) = r.opt_ctx_unsigned(0)? {
                if minutes > u64::from(u16::MAX) {
                    o.d.out_of_range = true;
                }
                o.push("time_duration", FieldValue::Uint(minutes));
            }
            let e = r.ctx_enum(1)?;
            if e as usize >= super::names::ENABLE_DISABLE.len() {
                o.d.out_of_range = true;
            }
            o.push(
                "enable_disable",
                FieldValue::Enum(Enumeration::EnableDisable, e),
            );
            password(r, &mut o, 2)?;
            r.finish()
        }
        ServiceData::ConfirmedRequest(c::ATOMIC_READ_FILE) => {
            o.push("file", FieldValue::Object(r.app_object()?));
            let stream = file_access(r)?;
            o.push("access", FieldValue::Word(access_word(stream)));
            let start = r.app_signed()?;
            let count = r.app_unsigned()?;
            if stream {
                o.push("file_start_position", FieldValue::Int(start));
                o.push("requested_octet_count", FieldValue::Uint(count));
            } else {
                o.push("file_start_record", FieldValue::Int(start));
                o.push("requested_record_count", FieldValue::Uint(count));
            }
            if start < 0 {
                o.d.out_of_range = true;
            }
            r.close(if stream { 0 } else { 1 })?;
            r.finish()
        }
        ServiceData::ComplexAck(c::ATOMIC_READ_FILE) => {
            o.push("end_of_file", FieldValue::Bool(r.app_bool()?));
            let stream = file_access(r)?;
            o.push("access", FieldValue::Word(access_word(stream)));
            file_data(r, &mut o, stream, "returned_record_count")?;
            r.close(if stream { 0 } else { 1 })?;
            r.finish()
        }
        ServiceData::ConfirmedRequest(c::ATOMIC_WRITE_FILE) => {
            o.push("file", FieldValue::Object(r.app_object()?));
            let stream = file_access(r)?;
            o.push("access", FieldValue::Word(access_word(stream)));
            file_data(r, &mut o, stream, "record_count")?;
            r.close(if stream { 0 } else { 1 })?;
            r.finish()
        }
        ServiceData::ComplexAck(c::ATOMIC_WRITE_FILE) => {
            if let Some(p) = r.opt_ctx(0)? {
                o.push("access", FieldValue::Word("stream"));
                o.push("file_start_position", FieldValue::Int(signed(p)?));
            } else {
                let p = r.ctx_signed(1)?;
                o.push("access", FieldValue::Word("record"));
                o.push("file_start_record", FieldValue::Int(p));
            }
            r.finish()
        }
        ServiceData::ConfirmedRequest(c::SUBSCRIBE_COV) => {
            o.push(
                "subscriber_process_identifier",
                FieldValue::Uint(r.ctx_unsigned(0)?),
            );
            o.push("monitored_object", FieldValue::Object(r.ctx_object(1)?));
            // Both absent: a cancellation.
            if r.next_is(2, None)? {
                o.push(
                    "issue_confirmed_notifications",
                    FieldValue::Bool(r.ctx_bool(2)?),
                );
            }
            if let Some(l) = r.opt_ctx_unsigned(3)? {
                o.push("lifetime", FieldValue::Uint(l));
            }
            r.finish()
        }
        ServiceData::ConfirmedRequest(c::SUBSCRIBE_COV_PROPERTY) => {
            o.push(
                "subscriber_process_identifier",
                FieldValue::Uint(r.ctx_unsigned(0)?),
            );
            o.push("monitored_object", FieldValue::Object(r.ctx_object(1)?));
            if r.next_is(2, None)? {
                o.push(
                    "issue_confirmed_notifications",
                    FieldValue::Bool(r.ctx_bool(2)?),
                );
            }
            if let Some(l) = r.opt_ctx_unsigned(3)? {
                o.push("lifetime", FieldValue::Uint(l));
            }
            r.open(4)?;
            let p = r.ctx_enum(0)?;
            o.push("property", FieldValue::Enum(Enumeration::Property, p));
            if let Some(i) = r.opt_ctx_unsigned(1)? {
                o.push("array_index", FieldValue::Uint(i));
            }
            r.close(4)?;
            Ok(())
        }
        ServiceData::ConfirmedRequest(c::DELETE_OBJECT) => {
            o.push("object", FieldValue::Object(r.app_object()?));
            r.finish()
        }
        ServiceData::ConfirmedRequest(c::CREATE_OBJECT) => {
            r.open(0)?;
            if let Some(t) = r.opt_ctx_enum(0)? {
                o.push("object_type", FieldValue::Enum(Enumeration::ObjectType, t));
            } else {
                o.push("object", FieldValue::Object(r.ctx_object(1)?));
            }
            r.close(0)?;
            if r.next_is(1, Some(true))? {
                r.open(1)?;
                property_values_field(r, &mut o, "list_of_initial_values", 1)?;
            }
            r.finish()
        }
        ServiceData::ComplexAck(c::CREATE_OBJECT) => {
            o.push("object", FieldValue::Object(r.app_object()?));
            r.finish()
        }
        ServiceData::Error(service) => error(r, &mut o, service),
        _ => Ok(()),
    }
}

fn access_word(stream: bool) -> &'static str {
    if stream { "stream" } else { "record" }
}

/// The opening tag of an atomic file access method: true for streamAccess [0].
fn file_access(r: &mut Reader<'_, '_>) -> R<bool> {
    if r.next_is(0, Some(true))? {
        r.open(0)?;
        Ok(true)
    } else {
        r.open(1)?;
        Ok(false)
    }
}

/// Start position/record and the data (its length, not its content).
fn file_data(
    r: &mut Reader<'_, '_>,
    o: &mut Out<'_>,
    stream: bool,
    count_name: &'static str,
) -> R<()> {
    let start = r.app_signed()?;
    if start < 0 && stream {
        // -1 appends in AtomicWriteFile; other negatives are out of range.
        if start < -1 {
            o.d.out_of_range = true;
        }
    }
    if stream {
        o.push("file_start_position", FieldValue::Int(start));
        let data = r.app_octets()?;
        o.push("file_data_length", FieldValue::Uint(data.len() as u64));
    } else {
        o.push("file_start_record", FieldValue::Int(start));
        let count = r.app_unsigned()?;
        o.push(count_name, FieldValue::Uint(count));
        let mut total = 0u64;
        let mut records = 0u64;
        while !r.next_is(1, Some(false))? {
            let data = r.app_octets()?;
            total = total.saturating_add(data.len() as u64);
            records += 1;
        }
        if records != count {
            o.d.out_of_range = true;
        }
        o.push("file_data_length", FieldValue::Uint(total));
    }
    Ok(())
}

fn password(r: &mut Reader<'_, '_>, o: &mut Out<'_>, n: u8) -> R<()> {
    match r.opt_ctx(n)? {
        Some(s) => {
            let (&charset, pw) = s.split_first().ok_or(DecodeError::Malformed)?;
            // CharacterString (SIZE (1..20)).
            let chars = if charset == 0 {
                String::from_utf8_lossy(pw).chars().count()
            } else {
                pw.len()
            };
            if !(1..=20).contains(&chars) {
                o.d.out_of_range = true;
            }
            o.d.password = Some(pw.get(..64.min(pw.len())).unwrap_or(&[]).to_vec());
            o.push("password_present", FieldValue::Bool(true));
        }
        None => o.push("password_present", FieldValue::Bool(false)),
    }
    Ok(())
}

fn text(s: &[u8]) -> R<FieldValue> {
    let (&charset, t) = s.split_first().ok_or(DecodeError::Malformed)?;
    Ok(FieldValue::Text {
        charset,
        text: Bytes::capped(t),
    })
}

/// objectIdentifier [0], propertyIdentifier [1], propertyArrayIndex [2] OPTIONAL.
fn object_property(r: &mut Reader<'_, '_>, o: &mut Out<'_>) -> R<()> {
    o.push("object", FieldValue::Object(r.ctx_object(0)?));
    o.push(
        "property",
        FieldValue::Enum(Enumeration::Property, r.ctx_enum(1)?),
    );
    if let Some(i) = r.opt_ctx_unsigned(2)? {
        o.push("array_index", FieldValue::Uint(i));
    }
    Ok(())
}

/// Opening tag `n`, values, closing tag `n`: field `name` (pushed with
/// what was decoded even when decoding stops early).
fn values_field(r: &mut Reader<'_, '_>, o: &mut Out<'_>, name: &'static str, n: u8) -> R<()> {
    r.open(n)?;
    let mut v = Vec::new();
    let res = r.values_into(n, &mut v);
    o.push(name, FieldValue::Values(v));
    res
}

fn who_is(r: &mut Reader<'_, '_>, o: &mut Out<'_>) -> R<()> {
    let low = r.opt_ctx_unsigned(0)?;
    let high = r.opt_ctx_unsigned(1)?;
    limits(o, low, high);
    r.finish()
}

/// The device instance range of who-Is / who-Has: both or neither.
fn limits(o: &mut Out<'_>, low: Option<u64>, high: Option<u64>) {
    if low.is_some() != high.is_some() {
        o.d.out_of_range = true;
    }
    for (name, v) in [("low_limit", low), ("high_limit", high)] {
        if let Some(v) = v {
            if v > u64::from(MAX_INSTANCE) {
                o.d.out_of_range = true;
            }
            o.push(name, FieldValue::Uint(v));
        }
    }
}

fn i_am(r: &mut Reader<'_, '_>, o: &mut Out<'_>) -> R<()> {
    let device = r.app_object()?;
    o.push("device", FieldValue::Object(device));
    if device.object_type != 8 {
        o.d.out_of_range = true;
    }
    let max_apdu = r.app_unsigned()?;
    if max_apdu < 50 {
        o.d.out_of_range = true;
    }
    o.push("max_apdu_length_accepted", FieldValue::Uint(max_apdu));
    let seg = r.app_enum()?;
    if seg > 3 {
        o.d.out_of_range = true;
    }
    o.push(
        "segmentation_supported",
        FieldValue::Enum(Enumeration::Segmentation, seg),
    );
    let vendor = r.app_unsigned()?;
    if vendor > u64::from(u16::MAX) {
        o.d.out_of_range = true;
    }
    o.push("vendor_id", FieldValue::Uint(vendor));
    r.finish()
}

fn who_has(r: &mut Reader<'_, '_>, o: &mut Out<'_>) -> R<()> {
    let low = r.opt_ctx_unsigned(0)?;
    let high = r.opt_ctx_unsigned(1)?;
    limits(o, low, high);
    if let Some(obj) = r.opt_ctx_object(2)? {
        o.push("object", FieldValue::Object(obj));
    } else {
        o.push("object_name", text(r.ctx(3)?)?);
    }
    r.finish()
}

fn cov_notification(r: &mut Reader<'_, '_>, o: &mut Out<'_>) -> R<()> {
    o.push(
        "subscriber_process_identifier",
        FieldValue::Uint(r.ctx_unsigned(0)?),
    );
    o.push("initiating_device", FieldValue::Object(r.ctx_object(1)?));
    o.push("monitored_object", FieldValue::Object(r.ctx_object(2)?));
    o.push("time_remaining", FieldValue::Uint(r.ctx_unsigned(3)?));
    r.open(4)?;
    property_values_field(r, o, "values", 4)?;
    r.finish()
}

/// SEQUENCE OF BACnetPropertyValue up to the closing tag `n` (consumed),
/// into `list` (partial when decoding stops early).
fn property_values(r: &mut Reader<'_, '_>, n: u8, list: &mut Vec<Vec<Field>>) -> R<()> {
    while !r.next_is(n, Some(false))? {
        r.spend()?;
        let mut pv = vec![f(
            "property",
            FieldValue::Enum(Enumeration::Property, r.ctx_enum(0)?),
        )];
        let res = (|| {
            if let Some(i) = r.opt_ctx_unsigned(1)? {
                pv.push(f("array_index", FieldValue::Uint(i)));
            }
            r.open(2)?;
            let mut v = Vec::new();
            let res = r.values_into(2, &mut v);
            pv.push(f("value", FieldValue::Values(v)));
            res?;
            if let Some(p) = r.opt_ctx_unsigned(3)? {
                pv.push(f("priority", FieldValue::Uint(p)));
            }
            Ok(())
        })();
        list.push(pv);
        res?;
    }
    r.close(n)
}

/// A SEQUENCE OF BACnetPropertyValue field (opening tag `n` already read).
fn property_values_field(
    r: &mut Reader<'_, '_>,
    o: &mut Out<'_>,
    name: &'static str,
    n: u8,
) -> R<()> {
    let mut list = Vec::new();
    let res = property_values(r, n, &mut list);
    o.push(name, FieldValue::List(list));
    res
}

fn rpm_request(r: &mut Reader<'_, '_>, o: &mut Out<'_>) -> R<()> {
    let mut specs = Vec::new();
    let res = (|| {
        loop {
            r.spend()?;
            let mut spec = vec![f("object", FieldValue::Object(r.ctx_object(0)?))];
            r.open(1)?;
            let mut props = Vec::new();
            let inner = (|| {
                while !r.next_is(1, Some(false))? {
                    r.spend()?;
                    let mut p = vec![f(
                        "property",
                        FieldValue::Enum(Enumeration::Property, r.ctx_enum(0)?),
                    )];
                    if let Some(i) = r.opt_ctx_unsigned(1)? {
                        p.push(f("array_index", FieldValue::Uint(i)));
                    }
                    props.push(p);
                }
                r.close(1)
            })();
            spec.push(f("properties", FieldValue::List(props)));
            specs.push(spec);
            inner?;
            if r.at_end() {
                return Ok(());
            }
        }
    })();
    o.push("objects", FieldValue::List(specs));
    res
}

fn rpm_ack(r: &mut Reader<'_, '_>, o: &mut Out<'_>) -> R<()> {
    let mut results = Vec::new();
    let res = (|| {
        while !r.at_end() {
            r.spend()?;
            let mut obj = vec![f("object", FieldValue::Object(r.ctx_object(0)?))];
            r.open(1)?;
            let mut props = Vec::new();
            let inner = (|| {
                while !r.next_is(1, Some(false))? {
                    r.spend()?;
                    let mut p = vec![f(
                        "property",
                        FieldValue::Enum(Enumeration::Property, r.ctx_enum(2)?),
                    )];
                    if let Some(i) = r.opt_ctx_unsigned(3)? {
                        p.push(f("array_index", FieldValue::Uint(i)));
                    }
                    if r.next_is(4, Some(true))? {
                        r.open(4)?;
                        let mut v = Vec::new();
                        let res = r.values_into(4, &mut v);
                        p.push(f("value", FieldValue::Values(v)));
                        if let Err(e) = res {
                            props.push(p);
                            return Err(e);
                        }
                    } else {
                        r.open(5)?;
                        let class = r.app_enum()?;
                        let code = r.app_enum()?;
                        r.close(5)?;
                        p.push(f(
                            "error_class",
                            FieldValue::Enum(Enumeration::ErrorClass, class),
                        ));
                        p.push(f(
                            "error_code",
                            FieldValue::Enum(Enumeration::ErrorCode, code),
                        ));
                    }
                    props.push(p);
                }
                r.close(1)
            })();
            obj.push(f("properties", FieldValue::List(props)));
            results.push(obj);
            inner?;
        }
        Ok(())
    })();
    o.push("objects", FieldValue::List(results));
    res
}

fn wpm_request(r: &mut Reader<'_, '_>, o: &mut Out<'_>) -> R<()> {
    let mut specs = Vec::new();
    let res = (|| {
        loop {
            r.spend()?;
            let mut spec = vec![f("object", FieldValue::Object(r.ctx_object(0)?))];
            r.open(1)?;
            let mut props = Vec::new();
            let res = property_values(r, 1, &mut props);
            spec.push(f("properties", FieldValue::List(props)));
            specs.push(spec);
            res?;
            if r.at_end() {
                return Ok(());
            }
        }
    })();
    let bad_priority = specs.iter().flatten().any(|f| match &f.value {
        FieldValue::List(props) => props.iter().flatten().any(|p| {
            p.name == "priority" && matches!(p.value, FieldValue::Uint(v) if !(1..=16).contains(&v))
        }),
        _ => false,
    });
    o.d.out_of_range |= bad_priority;
    o.push("objects", FieldValue::List(specs));
    res
}

/// Error-PDU parameters: Error, or for the services whose error is a
/// SEQUENCE, its errorType [0].
fn error(r: &mut Reader<'_, '_>, o: &mut Out<'_>, _service: u8) -> R<()> {
    let nested = r.next_is(0, Some(true))?;
    if nested {
        r.open(0)?;
    }
    let class = r.app_enum()?;
    o.push(
        "error_class",
        FieldValue::Enum(Enumeration::ErrorClass, class),
    );
    let code = r.app_enum()?;
    o.push("error_code", FieldValue::Enum(Enumeration::ErrorCode, code));
    if nested {
        // The rest (e.g. the first failed write) is not logged.
        r.close(0)?;
        Ok(())
    } else {
        r.finish()
    }
}
