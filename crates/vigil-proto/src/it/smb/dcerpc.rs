//! DCERPC (C706, MS-RPCE) carried over SMB named pipes: WRITE / IOCTL /
//! TRANS requests and READ / IOCTL / TRANS responses hold connection-
//! oriented PDUs. BIND negotiates interfaces (kept per flow, with the
//! server's acceptance from BIND_ACK); REQUEST / RESPONSE carry an opnum
//! and stub data, possibly over several fragments.

use super::state::{Key, KeyKind, MAX_STUB_DATA, SmbState, SmbTx, TxData, VerCmd};
use crate::ot::cotp::Cursor;

pub(crate) const DCERPC_REQUEST: u8 = 0;
pub(crate) const DCERPC_RESPONSE: u8 = 2;
pub(crate) const DCERPC_BIND: u8 = 11;
pub(crate) const DCERPC_BINDACK: u8 = 12;

/// Most interfaces kept from one BIND.
const MAX_IFACES: usize = 64;

/// Name of a DCERPC packet type as Suricata logs it.
pub(crate) fn type_name(t: u8) -> String {
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
pub(crate) struct Iface {
    /// In textual order (first three fields big-endian).
    pub uuid: [u8; 16],
    pub ver: u16,
    pub ver_min: u16,
    pub ack_result: u16,
    pub ack_reason: u16,
    pub acked: bool,
    /// Always 0 over SMB (Suricata does not keep the context id there).
    pub context_id: u16,
}

/// The DCERPC part of an SMB transaction.
#[derive(Clone, Debug, Default)]
pub(crate) struct DcerpcTx {
    pub opnum: u16,
    pub context_id: u16,
    pub req_cmd: u8,
    pub req_set: bool,
    pub res_cmd: u8,
    pub res_set: bool,
    pub call_id: u32,
    pub frag_cnt_ts: u16,
    pub frag_cnt_tc: u16,
    /// Stub data (at most [`MAX_STUB_DATA`] bytes kept) and full sizes.
    pub stub_ts: Vec<u8>,
    pub stub_tc: Vec<u8>,
    pub stub_len_ts: u64,
    pub stub_len_tc: u64,
}

impl DcerpcTx {
    fn add_stub(&mut self, to_server: bool, data: &[u8]) {
        let (buf, len) = if to_server {
            (&mut self.stub_ts, &mut self.stub_len_ts)
        } else {
            (&mut self.stub_tc, &mut self.stub_len_tc)
        };
        *len += data.len() as u64;
        let room = MAX_STUB_DATA.saturating_sub(buf.len()).min(data.len());
        buf.extend_from_slice(data.get(..room).unwrap_or(&[]));
    }
}

/// The common header of a connection-oriented PDU.
#[derive(Debug)]
pub(crate) struct Record<'a> {
    pub version_major: u8,
    pub version_minor: u8,
    pub packet_type: u8,
    pub first_frag: bool,
    pub last_frag: bool,
    pub little_endian: bool,
    pub frag_len: u16,
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

/// Parses the 16-byte common header.
pub(crate) fn parse_record(data: &[u8]) -> Option<Record<'_>> {
    let mut c = Cursor::new(data);
    let version_major = c.u8()?;
    let version_minor = c.u8()?;
    let packet_type = c.u8()?;
    let flags = c.u8()?;
    let drep = c.take(4)?;
    let little_endian = drep.first().is_some_and(|b| b & 0x10 != 0);
    let frag_len = u16e(&mut c, little_endian)?;
    let _auth_len = u16e(&mut c, little_endian)?;
    let call_id = u32e(&mut c, little_endian)?;
    Some(Record {
        version_major,
        version_minor,
        packet_type,
        first_frag: flags & 1 != 0,
        last_frag: flags & 2 != 0,
        little_endian,
        frag_len,
        call_id,
        data: c.rest(),
    })
}

/// A REQUEST body: (context id, opnum, stub data).
fn parse_request(data: &[u8], frag_len: u16, le: bool) -> Option<(u16, u16, &[u8])> {
    let mut c = Cursor::new(data);
    c.skip(4)?;
    let ctx = u16e(&mut c, le)?;
    let opnum = u16e(&mut c, le)?;
    let stub = c.take(usize::from(frag_len).checked_sub(24)?)?;
    Some((ctx, opnum, stub))
}

/// A RESPONSE body: its stub data.
fn parse_response(data: &[u8], frag_len: u16) -> Option<&[u8]> {
    let mut c = Cursor::new(data);
    c.skip(8)?;
    c.take(usize::from(frag_len).checked_sub(24)?)
}

/// The interfaces of a BIND (one transfer syntax per context assumed, as
/// Suricata's SMB parser does).
fn parse_bind(data: &[u8], le: bool) -> Option<Vec<Iface>> {
    let mut c = Cursor::new(data);
    c.skip(8)?;
    let n = c.u8()?;
    c.skip(3)?;
    let mut out = Vec::new();
    for _ in 0..n {
        let _ctx = u16e(&mut c, le)?;
        let _ntrans = c.u8()?;
        c.skip(1)?;
        let raw = c.take(16)?;
        let ver = u16e(&mut c, le)?;
        let ver_min = u16e(&mut c, le)?;
        c.skip(20)?;
        if out.len() < MAX_IFACES {
            out.push(Iface {
                uuid: uuid_bytes(raw, le),
                ver,
                ver_min,
                ..Default::default()
            });
        }
    }
    Some(out)
}

/// A UUID as sent (little-endian fields when `le`) in textual byte order.
pub(crate) fn uuid_bytes(raw: &[u8], le: bool) -> [u8; 16] {
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
pub(crate) fn uuid_string(u: &[u8; 16]) -> String {
    let mut s = String::with_capacity(36);
    for (i, b) in u.iter().enumerate() {
        if matches!(i, 4 | 6 | 8 | 10) {
            s.push('-');
        }
        s.push_str(&format!("{b:02x}"));
    }
    s
}

/// The results of a BIND_ACK: (result, reason) per context.
fn parse_bindack(data: &[u8]) -> Option<Vec<(u16, u16)>> {
    let mut c = Cursor::new(data);
    c.skip(8)?;
    let sec_len = c.u16_le()?;
    c.skip(usize::from(sec_len))?;
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

/// Whether pipe data looks like DCERPC (for pipes whose open was missed).
pub(crate) fn probe(data: &[u8]) -> bool {
    parse_record(data).is_some_and(|r| {
        r.version_major == 5 && r.version_minor < 3 && r.frag_len > 0 && r.packet_type <= 20
    })
}

/// The key DCERPC transactions are matched on: READ/WRITE pairs are
/// separate SMB commands, so only IOCTL keeps the message id.
fn dcerpc_key(hdr: &Key, vercmd: &VerCmd) -> Key {
    let msg = match vercmd.version {
        2 if matches!(vercmd.cmd, 8 | 9) => 0,
        2 => hdr.msg,
        1 => 0,
        _ => hdr.msg,
    };
    Key::new(KeyKind::Dcerpc, hdr.ssn, hdr.tree, msg)
}

fn find_tx<'a>(
    state: &'a mut SmbState,
    hdr: &Key,
    vercmd: &VerCmd,
    call_id: u32,
) -> Option<&'a mut SmbTx> {
    let want = dcerpc_key(hdr, vercmd);
    state.txs.iter_mut().find(|t| {
        dcerpc_key(&t.hdr, vercmd).same(&want)
            && matches!(&t.data, TxData::Dcerpc(d) if d.call_id == call_id)
    })
}

fn new_tx(state: &mut SmbState, hdr: Key, vercmd: VerCmd, dce: DcerpcTx) -> &mut SmbTx {
    let tx = state.new_tx();
    tx.hdr = hdr;
    tx.vercmd = vercmd;
    tx.response_done = false;
    tx.data = TxData::Dcerpc(Box::new(dce));
    tx
}

/// DCERPC request data (WRITE, IOCTL or TRANS request). Returns whether a
/// transaction was created or updated.
pub(crate) fn write_record(state: &mut SmbState, vercmd: VerCmd, hdr: Key, data: &[u8]) -> bool {
    let Some(rec) = parse_record(data) else {
        state.set_event("malformed_data");
        return true;
    };
    if rec.packet_type == DCERPC_REQUEST && !rec.first_frag {
        // A later fragment extends the request it continues.
        return match parse_request(rec.data, rec.frag_len, rec.little_endian) {
            Some((_, _, stub)) => match find_tx(state, &hdr, &vercmd, rec.call_id) {
                Some(tx) => {
                    if let Some(d) = tx.dcerpc_mut() {
                        d.add_stub(true, stub);
                        d.frag_cnt_ts = d.frag_cnt_ts.wrapping_add(1);
                    }
                    if rec.last_frag {
                        tx.request_done = true;
                    }
                    true
                }
                None => false,
            },
            None => {
                state.set_event("malformed_data");
                false
            }
        };
    }
    let mut bind_ifaces = None;
    let tx = new_tx(
        state,
        hdr,
        vercmd,
        DcerpcTx {
            req_cmd: rec.packet_type,
            req_set: true,
            call_id: rec.call_id,
            ..Default::default()
        },
    );
    match rec.packet_type {
        DCERPC_REQUEST => match parse_request(rec.data, rec.frag_len, rec.little_endian) {
            Some((ctx, opnum, stub)) => {
                if let Some(d) = tx.dcerpc_mut() {
                    d.add_stub(true, stub);
                    d.opnum = opnum;
                    d.context_id = ctx;
                    d.frag_cnt_ts = d.frag_cnt_ts.wrapping_add(1);
                }
                if rec.last_frag {
                    tx.request_done = true;
                }
            }
            None => {
                tx.event("malformed_data");
                tx.request_done = true;
            }
        },
        DCERPC_BIND => {
            match parse_bind(rec.data, rec.little_endian) {
                Some(ifaces) => bind_ifaces = Some(ifaces),
                None => tx.event("malformed_data"),
            }
            tx.request_done = true;
        }
        21..=255 => {
            tx.event("malformed_data");
            tx.request_done = true;
        }
        _ => tx.request_done = true,
    }
    if let Some(ifaces) = bind_ifaces {
        // An empty BIND leaves the interfaces unset.
        state.ifaces = if ifaces.is_empty() {
            None
        } else {
            Some(ifaces)
        };
    }
    true
}

fn response_handle(tx: &mut SmbTx, vercmd: VerCmd, rec: &Record<'_>) {
    let status = vercmd.nt_status();
    match rec.packet_type {
        DCERPC_RESPONSE => match parse_response(rec.data, rec.frag_len) {
            Some(stub) => {
                if let Some(d) = tx.dcerpc_mut() {
                    d.res_set = true;
                    d.res_cmd = DCERPC_RESPONSE;
                    d.add_stub(false, stub);
                    d.frag_cnt_tc = d.frag_cnt_tc.wrapping_add(1);
                }
                tx.set_status(status);
                tx.response_done = rec.last_frag;
            }
            None => tx.event("malformed_data"),
        },
        DCERPC_BINDACK => {}
        t => {
            if let Some(d) = tx.dcerpc_mut() {
                d.res_set = true;
                d.res_cmd = t;
            }
            tx.set_status(status);
            tx.response_done = true;
            if t > 20 {
                tx.event("malformed_data");
            }
        }
    }
}

/// DCERPC response data (READ, IOCTL or TRANS response). `guid` names the
/// pipe for reassembling records split over BUFFER_OVERFLOW reads.
pub(crate) fn read_record(
    state: &mut SmbState,
    vercmd: VerCmd,
    hdr: Key,
    guid: &[u8],
    indata: &[u8],
) -> bool {
    const BUFFER_OVERFLOW: u32 = 0x8000_0005;
    let status = vercmd.nt_status();
    if status != 0 && status != BUFFER_OVERFLOW {
        return match state.get_generic_tx(vercmd.version, vercmd.cmd, &hdr) {
            Some(tx) => {
                tx.set_status(status);
                tx.response_done = true;
                true
            }
            None => false,
        };
    }
    let cache_key = (
        Key::new(KeyKind::TransFrag, hdr.ssn, hdr.tree, 0),
        guid.to_vec(),
    );
    let mut data = state.frag_cache.remove(&cache_key).unwrap_or_default();
    data.extend_from_slice(indata);
    if data.is_empty() {
        return false;
    }
    let Some(rec) = parse_record(&data) else {
        state.set_event("malformed_data");
        return true;
    };
    if status == BUFFER_OVERFLOW && data.len() < usize::from(rec.frag_len) {
        // The rest of the PDU comes in the next READ.
        state.frag_cache.insert(cache_key, data);
        return true;
    }
    if rec.packet_type == DCERPC_BINDACK {
        let results = parse_bindack(rec.data);
        let Some(results) = results else {
            state.set_event("malformed_data");
            return true;
        };
        let found = match find_tx(state, &hdr, &vercmd, rec.call_id) {
            Some(tx) => {
                if let Some(d) = tx.dcerpc_mut() {
                    d.res_set = true;
                    d.res_cmd = DCERPC_BINDACK;
                }
                tx.set_status(status);
                tx.response_done = true;
                true
            }
            None => false,
        };
        if found && let Some(ifaces) = state.ifaces.as_mut() {
            for (iface, (result, _reason)) in ifaces.iter_mut().zip(results) {
                iface.ack_result = result;
                iface.acked = true;
            }
        }
        return true;
    }
    match find_tx(state, &hdr, &vercmd, rec.call_id) {
        Some(tx) => response_handle(tx, vercmd, &rec),
        None => {
            // A response whose request was missed still gets a transaction.
            let tx = new_tx(
                state,
                hdr,
                vercmd,
                DcerpcTx {
                    call_id: rec.call_id,
                    ..Default::default()
                },
            );
            response_handle(tx, vercmd, &rec);
        }
    }
    true
}
