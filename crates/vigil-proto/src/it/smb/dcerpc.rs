//! DCERPC (C706, MS-RPCE) carried over SMB named pipes: WRITE / IOCTL /
//! TRANS requests and READ / IOCTL / TRANS responses hold connection-
//! oriented PDUs. BIND negotiates interfaces (kept per flow, with the
//! server's acceptance from BIND_ACK); REQUEST / RESPONSE carry an opnum
//! and stub data, possibly over several fragments. The PDU formats are the
//! `dcerpc` module's ([`crate::it::dcerpc::pdu`]); this file maps them
//! onto SMB transactions.

use super::state::{Key, KeyKind, MAX_STUB_DATA, SmbState, SmbTx, TxData, VerCmd};
pub(crate) use crate::it::dcerpc::pdu::{
    BIND as DCERPC_BIND, BINDACK as DCERPC_BINDACK, Iface, REQUEST as DCERPC_REQUEST,
    RESPONSE as DCERPC_RESPONSE, type_name, uuid_string,
};
use crate::it::dcerpc::pdu::{
    Record, parse_bind, parse_bindack, parse_record, parse_request, parse_response,
};

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
                Some(mut ifaces) => {
                    // Suricata's SMB parser keeps no context ids.
                    for i in &mut ifaces {
                        i.context_id = 0;
                    }
                    bind_ifaces = Some(ifaces)
                }
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
