//! IEC 61850-8-1 GOOSE (Generic Object Oriented Substation Event), carried
//! directly in Ethernet frames (EtherType 0x88b8, usually VLAN- or
//! priority-tagged), not over IP. A publisher (an IED) multicasts the values
//! of a data set: on every change with a new state number (`stNum`) and a
//! sequence number (`sqNum`) back at 0 (Edition 1) or 1 (Edition 2), then
//! repeats the same state with `sqNum` counting up, at intervals that grow
//! up to the heartbeat. Subscribers (other IEDs) trip breakers and interlock
//! on these values, so a forged, replayed or stale GOOSE message is a direct
//! way to operate primary equipment.
//!
//! GOOSE is neither IP nor flow-based, so it does not go through
//! [`crate::AppParser`]: the worker hands each frame's payload after the
//! EtherType ([`vigil_wire::EtherPayload`]) to [`decode`], writes the
//! `goose` record ([`GoosePdu::write_eve`]) and feeds a [`GooseTracker`],
//! which follows each publisher (source MAC, APPID, gocbRef) and reports
//! sequence anomalies (replay, rollback, ...). See `docs/events.md`, `goose`.
//!
//! Decoding: the 8-octet header (APPID, length, reserved1 whose bit 15 is
//! Edition 2's simulation bit, reserved2), then the BER `goosePdu`
//! [APPLICATION 1] with its fields in order (`gocbRef` [0] ...
//! `allData` [11]); `allData` is the MMS `Data` CHOICE ([`data`]), nested
//! at most [`data::MAX_DEPTH`] deep with at most [`data::MAX_VALUES`]
//! values. Every length is checked against the octets present; nothing is
//! copied (the PDU borrows the frame).
//!
//! Rule fields ([`Transaction::uints`] / [`Transaction::buffer`]):
//!
//! | name | kind | meaning |
//! |---|---|---|
//! | `goose.appid` | uint | APPID |
//! | `goose.reserved1`, `goose.reserved2` | uint | header reserved fields (bit 15 of reserved1: simulated) |
//! | `goose.time_allowed_to_live` | uint | timeAllowedtoLive, ms |
//! | `goose.st_num`, `goose.sq_num` | uint | state and sequence numbers |
//! | `goose.simulation` | uint | simulation (Edition 1: test) flag, 0/1 |
//! | `goose.conf_rev` | uint | configuration revision |
//! | `goose.nds_com` | uint | needs-commissioning flag, 0/1 |
//! | `goose.num_dat_set_entries` | uint | numDatSetEntries |
//! | `goose.data_count` | uint | values actually in allData (top level) |
//! | `goose.gocb_ref`, `goose.dat_set`, `goose.go_id` | buffer | the control block, data set and GOOSE id strings |

pub mod data;
pub mod tracker;

#[cfg(test)]
mod tests;

pub use data::{Data, DataError, DataList, UtcTime};
pub use tracker::{GooseEvent, GooseTracker};

use crate::Transaction;
use crate::ot::mms::ber;
use vigil_eve::JsonWriter;

/// EtherType of GOOSE.
pub const ETHERTYPE: u16 = 0x88b8;

/// APPID, length, reserved1, reserved2.
pub const HEADER_LEN: usize = 8;

/// Why a GOOSE frame could not be decoded.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum GooseError {
    /// Fewer than the 8 header octets, or fewer octets than the length
    /// field counts.
    Truncated,
    /// The length field is below 8 (it counts the header itself).
    InvalidLength,
    /// The APDU is not a `goosePdu` [APPLICATION 1] (a GSE management PDU
    /// [APPLICATION 0], or anything else).
    NotGoosePdu,
    /// A field's BER encoding is broken, out of order, or its value is out
    /// of range; names the field.
    Malformed(&'static str),
    /// A mandatory field is absent; names it.
    MissingField(&'static str),
}

impl GooseError {
    /// The anomaly this error is reported as.
    pub fn event(self) -> GooseEvent {
        match self {
            GooseError::Truncated => GooseEvent::Truncated,
            GooseError::InvalidLength => GooseEvent::InvalidLength,
            GooseError::NotGoosePdu => GooseEvent::UnknownPdu,
            GooseError::Malformed(_) | GooseError::MissingField(_) => GooseEvent::MalformedPdu,
        }
    }
}

/// One decoded GOOSE message, borrowing the frame.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct GoosePdu<'a> {
    /// Application identifier (header).
    pub appid: u16,
    /// The length field: octets from APPID to the end of the APDU.
    pub length: u16,
    /// Reserved 1; bit 15 is the simulation bit of Edition 2.
    pub reserved1: u16,
    /// Reserved 2 (0 in messages without a security extension).
    pub reserved2: u16,
    /// gocbRef [0]: the GOOSE control block's object reference.
    pub gocb_ref: &'a [u8],
    /// timeAllowedtoLive [1], ms: how long subscribers wait for the next
    /// message before they declare the publisher lost.
    pub time_allowed_to_live: u32,
    /// datSet [2]: the data set's object reference.
    pub dat_set: &'a [u8],
    /// goID [3] (optional).
    pub go_id: Option<&'a [u8]>,
    /// t [4]: when `stNum` last changed.
    pub t: UtcTime,
    /// stNum [5].
    pub st_num: u32,
    /// sqNum [6].
    pub sq_num: u32,
    /// simulation [7] (named test in Edition 1; default false).
    pub simulation: bool,
    /// confRev [8].
    pub conf_rev: u32,
    /// ndsCom [9] (default false).
    pub nds_com: bool,
    /// numDatSetEntries [10].
    pub num_dat_set_entries: u32,
    /// allData [11].
    pub all_data: DataList<'a>,
    /// Number of top-level values in `all_data` (those read before a
    /// `data_error`).
    pub data_count: u32,
    /// Why `all_data` could not be read completely, if so.
    pub data_error: Option<DataError>,
}

/// The GOOSE header and PDU in `payload`, the bytes after the EtherType
/// (Ethernet padding after the length field's end is ignored).
pub fn decode(payload: &[u8]) -> Result<GoosePdu<'_>, GooseError> {
    let Some(h) = payload.first_chunk::<HEADER_LEN>() else {
        return Err(GooseError::Truncated);
    };
    let appid = u16::from_be_bytes([h[0], h[1]]);
    let length = u16::from_be_bytes([h[2], h[3]]);
    let reserved1 = u16::from_be_bytes([h[4], h[5]]);
    let reserved2 = u16::from_be_bytes([h[6], h[7]]);
    let len = usize::from(length);
    if len < HEADER_LEN {
        return Err(GooseError::InvalidLength);
    }
    let apdu = payload.get(HEADER_LEN..len).ok_or(GooseError::Truncated)?;
    let (pdu, _) = ber::read(apdu).ok_or(GooseError::Malformed("goosePdu"))?;
    if pdu.class != ber::APPLICATION || pdu.tag != 1 || !pdu.constructed {
        return Err(GooseError::NotGoosePdu);
    }
    let mut fields = Fields::default();
    let mut last_tag: Option<u32> = None;
    let mut children = pdu.children();
    for f in children.by_ref() {
        if f.class != ber::CONTEXT {
            return Err(GooseError::Malformed("goosePdu"));
        }
        // A SEQUENCE: each field once, in order.
        if last_tag.is_some_and(|t| f.tag <= t) {
            return Err(GooseError::Malformed("goosePdu"));
        }
        last_tag = Some(f.tag);
        fields.set(f)?;
    }
    if !children.rest().is_empty() {
        return Err(GooseError::Malformed("goosePdu"));
    }
    fields.finish(appid, length, reserved1, reserved2)
}

/// The fields of a `goosePdu` as they are read.
#[derive(Default)]
struct Fields<'a> {
    gocb_ref: Option<&'a [u8]>,
    tal: Option<u32>,
    dat_set: Option<&'a [u8]>,
    go_id: Option<&'a [u8]>,
    t: Option<UtcTime>,
    st_num: Option<u32>,
    sq_num: Option<u32>,
    simulation: bool,
    conf_rev: Option<u32>,
    nds_com: bool,
    entries: Option<u32>,
    all_data: Option<&'a [u8]>,
}

impl<'a> Fields<'a> {
    fn set(&mut self, f: ber::Tlv<'a>) -> Result<(), GooseError> {
        const NAMES: [&str; 12] = [
            "gocbRef",
            "timeAllowedtoLive",
            "datSet",
            "goID",
            "t",
            "stNum",
            "sqNum",
            "simulation",
            "confRev",
            "ndsCom",
            "numDatSetEntries",
            "allData",
        ];
        let Some(&name) = NAMES.get(f.tag as usize) else {
            // [12] security and later extensions: not interpreted.
            return Ok(());
        };
        // allData is the only constructed field.
        if f.constructed != (f.tag == 11) {
            return Err(GooseError::Malformed(name));
        }
        let v = f.value;
        let bad = || GooseError::Malformed(name);
        match f.tag {
            0 => self.gocb_ref = Some(v),
            1 => self.tal = Some(uint32(v).ok_or_else(bad)?),
            2 => self.dat_set = Some(v),
            3 => self.go_id = Some(v),
            4 => self.t = Some(UtcTime::from_bytes(v).ok_or_else(bad)?),
            5 => self.st_num = Some(uint32(v).ok_or_else(bad)?),
            6 => self.sq_num = Some(uint32(v).ok_or_else(bad)?),
            7 => self.simulation = boolean(v).ok_or_else(bad)?,
            8 => self.conf_rev = Some(uint32(v).ok_or_else(bad)?),
            9 => self.nds_com = boolean(v).ok_or_else(bad)?,
            10 => self.entries = Some(uint32(v).ok_or_else(bad)?),
            _ => self.all_data = Some(v),
        }
        Ok(())
    }

    fn finish(
        self,
        appid: u16,
        length: u16,
        reserved1: u16,
        reserved2: u16,
    ) -> Result<GoosePdu<'a>, GooseError> {
        use GooseError::MissingField as Missing;
        let all_data = DataList::new(self.all_data.ok_or(Missing("allData"))?);
        let (data_count, data_error) = match all_data.validate() {
            Ok(n) => (n, None),
            Err((n, e)) => (n, Some(e)),
        };
        Ok(GoosePdu {
            appid,
            length,
            reserved1,
            reserved2,
            gocb_ref: self.gocb_ref.ok_or(Missing("gocbRef"))?,
            time_allowed_to_live: self.tal.ok_or(Missing("timeAllowedtoLive"))?,
            dat_set: self.dat_set.ok_or(Missing("datSet"))?,
            go_id: self.go_id,
            t: self.t.ok_or(Missing("t"))?,
            st_num: self.st_num.ok_or(Missing("stNum"))?,
            sq_num: self.sq_num.ok_or(Missing("sqNum"))?,
            simulation: self.simulation,
            conf_rev: self.conf_rev.ok_or(Missing("confRev"))?,
            nds_com: self.nds_com,
            num_dat_set_entries: self.entries.ok_or(Missing("numDatSetEntries"))?,
            all_data,
            data_count,
            data_error,
        })
    }
}

/// An unsigned 32-bit field (INT32U) from BER INTEGER contents. Leading
/// zero octets are allowed (publishers often send fixed-width encodings),
/// and, as Wireshark reads these fields, contents with the sign bit set are
/// taken as unsigned (`0xc8` is 200): encoders that forget the leading zero
/// octet are common, and no value of these fields is negative.
fn uint32(v: &[u8]) -> Option<u32> {
    if v.is_empty() {
        return None;
    }
    let start = v.iter().position(|&b| b != 0).unwrap_or(v.len());
    let digits = v.get(start..)?;
    if digits.len() > 4 {
        return None;
    }
    Some(
        digits
            .iter()
            .fold(0u32, |acc, &b| (acc << 8) | u32::from(b)),
    )
}

/// A BER BOOLEAN: one octet, non-zero is true.
fn boolean(v: &[u8]) -> Option<bool> {
    match v {
        [b] => Some(*b != 0),
        _ => None,
    }
}

impl GoosePdu<'_> {
    /// Edition 2's simulation bit (bit 15 of reserved1).
    pub fn simulated_bit(&self) -> bool {
        self.reserved1 & 0x8000 != 0
    }

    /// Writes the `"goose":{...}` object into an open record object.
    pub fn write_eve(&self, w: &mut JsonWriter<'_>) {
        w.open_object_key("goose");
        w.uint("appid", u64::from(self.appid));
        w.uint("length", u64::from(self.length));
        w.uint("reserved1", u64::from(self.reserved1));
        w.uint("reserved2", u64::from(self.reserved2));
        w.bytes_as_string("gocb_ref", self.gocb_ref);
        w.uint("time_allowed_to_live", u64::from(self.time_allowed_to_live));
        w.bytes_as_string("dat_set", self.dat_set);
        if let Some(id) = self.go_id {
            w.bytes_as_string("go_id", id);
        }
        self.t.write_eve(w, "t", "t_quality");
        w.uint("st_num", u64::from(self.st_num));
        w.uint("sq_num", u64::from(self.sq_num));
        w.boolean("simulation", self.simulation);
        w.uint("conf_rev", u64::from(self.conf_rev));
        w.boolean("nds_com", self.nds_com);
        w.uint("num_dat_set_entries", u64::from(self.num_dat_set_entries));
        w.uint("data_count", u64::from(self.data_count));
        match self.data_error {
            None => {
                w.open_array_key("data");
                data::write_list(w, self.all_data, 0);
                w.close_array();
            }
            Some(e) => w.string("data_error", e.name()),
        }
        w.close_object();
    }
}

impl Transaction for GoosePdu<'_> {
    fn event_type(&self) -> &'static str {
        "goose"
    }

    fn logs_tx_id(&self) -> bool {
        false
    }

    fn write_eve(&self, w: &mut JsonWriter<'_>) {
        GoosePdu::write_eve(self, w);
    }

    fn buffer(&self, name: &str) -> Option<&[u8]> {
        match name {
            "goose.gocb_ref" => Some(self.gocb_ref),
            "goose.dat_set" => Some(self.dat_set),
            "goose.go_id" => self.go_id,
            _ => None,
        }
    }

    fn uints(&self, name: &str, f: &mut dyn FnMut(u64)) {
        let v: u64 = match name {
            "goose.appid" => self.appid.into(),
            "goose.reserved1" => self.reserved1.into(),
            "goose.reserved2" => self.reserved2.into(),
            "goose.time_allowed_to_live" => self.time_allowed_to_live.into(),
            "goose.st_num" => self.st_num.into(),
            "goose.sq_num" => self.sq_num.into(),
            "goose.simulation" => self.simulation.into(),
            "goose.conf_rev" => self.conf_rev.into(),
            "goose.nds_com" => self.nds_com.into(),
            "goose.num_dat_set_entries" => self.num_dat_set_entries.into(),
            "goose.data_count" => self.data_count.into(),
            _ => return,
        };
        f(v);
    }
}
