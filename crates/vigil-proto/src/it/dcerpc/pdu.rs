//! DCERPC PDU wire formats (C706 chapter 12, MS-RPCE), shared by the
//! `dcerpc` protocol (connection-oriented over TCP, connectionless over
//! UDP) and by SMB, which carries connection-oriented PDUs over named
//! pipes. Plain functions over byte slices: every read is checked.

use crate::ot::cotp::Cursor;

/// PTYPE of a REQUEST.
pub const REQUEST: u8 = 0;
/// PTYPE of a RESPONSE.
pub const RESPONSE: u8 = 2;
/// PTYPE of a FAULT.
pub const FAULT: u8 = 3;
/// PTYPE of a BIND.
pub const BIND: u8 = 11;
/// PTYPE of a BIND_ACK.
pub const BINDACK: u8 = 12;
/// PTYPE of an ALTER_CONTEXT.
pub const ALTER_CONTEXT: u8 = 14;
/// PTYPE of an ALTER_CONTEXT_RESP.
pub const ALTER_CONTEXT_RESP: u8 = 15;
/// Highest PTYPE defined (RTS).
pub const MAX_PTYPE: u8 = 20;

/// `pfc_flags`: first fragment.
pub const PFC_FIRST_FRAG: u8 = 0x01;
/// `pfc_flags`: last fragment.
pub const PFC_LAST_FRAG: u8 = 0x02;

/// Length of the connection-oriented common header.
pub const CO_HEADER_LEN: usize = 16;
/// Length of the connectionless header.
pub const CL_HEADER_LEN: usize = 80;

/// Most interfaces kept from one BIND (a BIND names up to 255).
pub const MAX_IFACES: usize = 64;

/// Name of a DCERPC packet type as Suricata logs it.
pub fn type_name(t: u8) -> String {
    match t {
        0 => "REQUEST",
        1 => "PING",
        2 => "RESPONSE",
        3 => "FAULT",
        4 => "WORKING",
        5 => "NOCALL",
        6 => "REJECT",
        7 => "ACK",
        8 => "CL_CANCEL",
        9 => "FACK",
        10 => "CANCEL_ACK",
        11 => "BIND",
        12 => "BINDACK",
        13 => "BINDNAK",
        14 => "ALTER_CONTEXT",
        15 => "ALTER_CONTEXT_RESP",
        16 => "AUTH3",
        17 => "SHUTDOWN",
        18 => "CO_CANCEL",
        19 => "ORPHANED",
        20 => "RTS",
        _ => return t.to_string(),
    }
    .to_string()
}

/// An interface offered in a BIND, with the server's answer.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Iface {
    /// In textual order (first three fields big-endian).
    pub uuid: [u8; 16],
    pub ver: u16,
    pub ver_min: u16,
    pub ack_result: u16,
    pub ack_reason: u16,
    /// The BIND_ACK answering its BIND was seen.
    pub acked: bool,
    /// The presentation context id the client gave it.
    pub context_id: u16,
    /// The BIND that offered it had the first-fragment flag (Suricata's
    /// `dcerpc.iface` matches only those unless `any_frag`).
    pub first_frag: bool,
}

/// The common header of a connection-oriented PDU.
#[derive(Debug)]
pub struct Record<'a> {
    pub version_major: u8,
    pub version_minor: u8,
    pub packet_type: u8,
    pub flags: u8,
    pub first_frag: bool,
    pub last_frag: bool,
    /// `drep[0]` byte order bit: little-endian integers.
    pub little_endian: bool,
    pub drep: [u8; 4],
    pub frag_len: u16,
    pub auth_len: u16,
    pub call_id: u32,
    /// Everything after the 16-byte header.
    pub data: &'a [u8],
}

fn u16e(c: &mut Cursor<'_>, le: bool) -> Option<u16> {
    if le { c.u16_le() } else { c.u16() }
}

fn u32e(c: &mut Cursor<'_>, le: bool) -> Option<u32> {
    if le { c.u32_le() } else { c.u32() }
}

/// Parses the 16-byte common header (no validation of its values).
pub fn parse_record(data: &[u8]) -> Option<Record<'_>> {
    let mut c = Cursor::new(data);
    let version_major = c.u8()?;
    let version_minor = c.u8()?;
    let packet_type = c.u8()?;
    let flags = c.u8()?;
    let d = c.take(4)?;
    let drep = [*d.first()?, *d.get(1)?, *d.get(2)?, *d.get(3)?];
    let little_endian = drep[0] & 0x10 != 0;
    let frag_len = u16e(&mut c, little_endian)?;
    let auth_len = u16e(&mut c, little_endian)?;
    let call_id = u32e(&mut c, little_endian)?;
    Some(Record {
        version_major,
        version_minor,
        packet_type,
        flags,
        first_frag: flags & PFC_FIRST_FRAG != 0,
        last_frag: flags & PFC_LAST_FRAG != 0,
        little_endian,
        drep,
        frag_len,
        auth_len,
        call_id,
        data: c.rest(),
    })
}

/// A REQUEST body (`data` after the common header): (context id, opnum,
/// stub data). The stub runs to the end of the fragment, auth trailer
/// included, as Suricata counts it.
pub fn parse_request(data: &[u8], frag_len: u16, le: bool) -> Option<(u16, u16, &[u8])> {
    let mut c = Cursor::new(data);
    c.skip(4)?;
    let ctx = u16e(&mut c, le)?;
    let opnum = u16e(&mut c, le)?;
    let stub = c.take(usize::from(frag_len).checked_sub(24)?)?;
    Some((ctx, opnum, stub))
}

/// A RESPONSE body: its stub data (to the end of the fragment).
pub fn parse_response(data: &[u8], frag_len: u16) -> Option<&[u8]> {
    let mut c = Cursor::new(data);
    c.skip(8)?;
    c.take(usize::from(frag_len).checked_sub(24)?)
}

/// The interfaces of a BIND or ALTER_CONTEXT, with their context ids.
pub fn parse_bind(data: &[u8], le: bool) -> Option<Vec<Iface>> {
    let mut c = Cursor::new(data);
    c.skip(8)?;
    let n = c.u8()?;
    c.skip(3)?;
    let mut out = Vec::new();
    for _ in 0..n {
        let ctx = u16e(&mut c, le)?;
        let _ntrans = c.u8()?;
        c.skip(1)?;
        let raw = c.take(16)?;
        let ver = u16e(&mut c, le)?;
        let ver_min = u16e(&mut c, le)?;
        // One transfer syntax (UUID + version) per context, whatever the
        // count says: Suricata's parsers read exactly one, and the
        // contexts that follow are found where they look for them.
        c.skip(20)?;
        if out.len() < MAX_IFACES {
            out.push(Iface {
                uuid: uuid_bytes(raw, le),
                ver,
                ver_min,
                context_id: ctx,
                ..Default::default()
            });
        }
    }
    Some(out)
}

/// The results of a BIND_ACK or ALTER_CONTEXT_RESP: (result, reason) per
/// context, in the order of the BIND's contexts.
pub fn parse_bindack(data: &[u8]) -> Option<Vec<(u16, u16)>> {
    let mut c = Cursor::new(data);
    c.skip(8)?;
    let sec_len = c.u16_le()?;
    c.skip(usize::from(sec_len))?;
    // The secondary address is padded to 4 bytes (with its length field).
    let rem = (usize::from(sec_len) + 2) % 4;
    if rem != 0 {
        c.skip(4 - rem)?;
    }
    let n = c.u8()?;
    c.skip(3)?;
    let mut out = Vec::new();
    for _ in 0..n {
        let result = c.u16_le()?;
        let reason = c.u16_le()?;
        c.skip(20)?;
        if out.len() < MAX_IFACES {
            out.push((result, reason));
        }
    }
    Some(out)
}

/// A UUID as sent (little-endian fields when `le`) in textual byte order.
pub fn uuid_bytes(raw: &[u8], le: bool) -> [u8; 16] {
    let mut u = [0u8; 16];
    for (d, s) in u.iter_mut().zip(raw) {
        *d = *s;
    }
    if le {
        u.swap(0, 3);
        u.swap(1, 2);
        u.swap(4, 5);
        u.swap(6, 7);
    }
    u
}

/// `xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx`.
pub fn uuid_string(u: &[u8; 16]) -> String {
    use std::fmt::Write;
    let mut s = String::with_capacity(36);
    for (i, b) in u.iter().enumerate() {
        if matches!(i, 4 | 6 | 8 | 10) {
            s.push('-');
        }
        let _ = write!(s, "{b:02x}");
    }
    s
}

/// The connectionless (UDP) header.
#[derive(Debug)]
pub struct ClHeader<'a> {
    pub version: u8,
    pub packet_type: u8,
    pub flags1: u8,
    pub flags2: u8,
    pub drep: [u8; 3],
    /// In textual order (Suricata reads it little-endian whatever `drep`).
    pub activity: [u8; 16],
    pub seqnum: u32,
    pub opnum: u16,
    pub frag_len: u16,
    pub frag_num: u16,
    /// The body after the 80-byte header (may be longer than `frag_len`).
    pub body: &'a [u8],
}

/// `flags1`: this PDU is the last fragment.
pub const PFCL1_LASTFRAG: u8 = 0x02;
/// `flags1`: this PDU is a fragment.
pub const PFCL1_FRAG: u8 = 0x04;

/// Parses the 80-byte connectionless header.
pub fn parse_cl_header(data: &[u8]) -> Option<ClHeader<'_>> {
    let mut c = Cursor::new(data);
    let version = c.u8()?;
    let packet_type = c.u8()?;
    let flags1 = c.u8()?;
    let flags2 = c.u8()?;
    let d = c.take(3)?;
    let drep = [*d.first()?, *d.get(1)?, *d.get(2)?];
    let le = drep[0] & 0x10 != 0;
    c.skip(1)?; // serial_hi
    c.skip(16)?; // object uuid
    c.skip(16)?; // interface uuid
    let activity = uuid_bytes(c.take(16)?, true);
    c.skip(4)?; // server boot time
    c.skip(4)?; // interface version
    let seqnum = u32e(&mut c, le)?;
    let opnum = u16e(&mut c, le)?;
    c.skip(4)?; // interface and activity hints
    let frag_len = u16e(&mut c, le)?;
    let frag_num = u16e(&mut c, le)?;
    c.skip(2)?; // auth proto, serial_lo
    Some(ClHeader {
        version,
        packet_type,
        flags1,
        flags2,
        drep,
        activity,
        seqnum,
        opnum,
        frag_len,
        frag_num,
        body: c.rest(),
    })
}
