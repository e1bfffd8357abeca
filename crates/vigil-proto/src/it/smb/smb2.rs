//! SMB2/3 (MS-SMB2): the 64-byte header, compound (chained) records, and
//! the commands that make transactions: NEGOTIATE, SESSION_SETUP,
//! TREE_CONNECT, CREATE, CLOSE, READ, WRITE, IOCTL, SET_INFO and a generic
//! request/response pair for the rest.

use super::dcerpc;
use super::ntlmssp::parse_secblob;
use super::state::{
    CreateTx, Key, KeyKind, RenameTx, SetInfoTx, SmbState, Tree, TxData, VerCmd, cap_name,
    strip_nul,
};
use crate::Direction;
use crate::ot::cotp::Cursor;

pub(crate) const NEGOTIATE: u16 = 0;
pub(crate) const SESSION_SETUP: u16 = 1;
pub(crate) const TREE_CONNECT: u16 = 3;
pub(crate) const TREE_DISCONNECT: u16 = 4;
pub(crate) const CREATE: u16 = 5;
pub(crate) const CLOSE: u16 = 6;
pub(crate) const READ: u16 = 8;
pub(crate) const WRITE: u16 = 9;
pub(crate) const IOCTL: u16 = 11;
pub(crate) const SET_INFO: u16 = 17;

const STATUS_SUCCESS: u32 = 0;
const STATUS_PENDING: u32 = 0x0000_0103;
const STATUS_BUFFER_OVERFLOW: u32 = 0x8000_0005;
const STATUS_END_OF_FILE: u32 = 0xc000_0011;
const FSCTL_PIPE_TRANSCEIVE: u32 = 0x0011_c017;

/// `SMB2_COMMAND_...` name of a command.
pub(crate) fn command_name(c: u16) -> String {
    match c {
        0 => "SMB2_COMMAND_NEGOTIATE_PROTOCOL",
        1 => "SMB2_COMMAND_SESSION_SETUP",
        2 => "SMB2_COMMAND_SESSION_LOGOFF",
        3 => "SMB2_COMMAND_TREE_CONNECT",
        4 => "SMB2_COMMAND_TREE_DISCONNECT",
        5 => "SMB2_COMMAND_CREATE",
        6 => "SMB2_COMMAND_CLOSE",
        7 => "SMB2_COMMAND_FLUSH",
        8 => "SMB2_COMMAND_READ",
        9 => "SMB2_COMMAND_WRITE",
        10 => "SMB2_COMMAND_LOCK",
        11 => "SMB2_COMMAND_IOCTL",
        12 => "SMB2_COMMAND_CANCEL",
        13 => "SMB2_COMMAND_KEEPALIVE",
        14 => "SMB2_COMMAND_FIND",
        15 => "SMB2_COMMAND_CHANGE_NOTIFY",
        16 => "SMB2_COMMAND_GET_INFO",
        17 => "SMB2_COMMAND_SET_INFO",
        18 => "SMB2_COMMAND_OPLOCK_BREAK",
        _ => return c.to_string(),
    }
    .to_string()
}

/// Dialect revision as Suricata prints it (`2.02`, `3.11`, ...).
pub(crate) fn dialect_name(d: u16) -> String {
    match d {
        0x0202 => "2.02",
        0x0210 => "2.10",
        0x0222 => "2.22",
        0x0224 => "2.24",
        0x02ff => "2.??",
        0x0300 => "3.00",
        0x0302 => "3.02",
        0x0310 => "3.10",
        0x0311 => "3.11",
        _ => return d.to_string(),
    }
    .to_string()
}

/// One SMB2 record (header and body).
#[derive(Debug)]
pub(crate) struct Record<'a> {
    pub is_response: bool,
    pub nt_status: u32,
    pub command: u16,
    pub message_id: u64,
    pub tree_id: u32,
    pub session_id: u64,
    /// The body, up to the next chained record.
    pub data: &'a [u8],
}

impl Record<'_> {
    pub fn key(&self, kind: KeyKind) -> Key {
        let tree = if kind == KeyKind::Tree {
            0
        } else {
            self.tree_id
        };
        let msg = if matches!(kind, KeyKind::TransFrag | KeyKind::Share) {
            0
        } else {
            self.message_id
        };
        Key::new(kind, self.session_id, tree, msg)
    }
    /// The key without tree id (async responses carry none).
    pub fn key_notree(&self, kind: KeyKind) -> Key {
        Key {
            tree: 0,
            ..self.key(kind)
        }
    }
}

/// Parses one record as the `dir` side sends it; the rest is the next
/// chained record (empty when none). `None`: not a (complete) header.
pub(crate) fn parse_record(data: &[u8], dir: Direction) -> Option<(Record<'_>, &[u8])> {
    let mut c = Cursor::new(data);
    if c.take(4)? != b"\xfeSMB" {
        return None;
    }
    let header_len = c.u16_le()?;
    let _credit_charge = c.u16_le()?;
    let status = c.u32_le()?;
    let command = c.u16_le()?;
    let _credits = c.u16_le()?;
    let flags = c.u32_le()?;
    let next = c.u32_le()?;
    let message_id = c.u64_le()?;
    let is_async = flags & 2 != 0;
    let tree_id = match dir {
        // Requests: process id and tree id, whatever the async flag.
        Direction::ToServer => {
            c.skip(4)?;
            c.u32_le()?
        }
        Direction::ToClient if is_async => {
            c.skip(8)?;
            0
        }
        Direction::ToClient => {
            c.skip(4)?;
            c.u32_le()?
        }
    };
    let session_id = c.u64_le()?;
    c.skip(16)?;
    let body = if next > u32::from(header_len) {
        c.take((next - u32::from(header_len)) as usize)?
    } else {
        c.take(c.remaining())?
    };
    let rec = Record {
        is_response: flags & 1 != 0,
        nt_status: if dir == Direction::ToClient {
            status
        } else {
            0
        },
        command,
        message_id,
        tree_id,
        session_id,
        data: body,
    };
    Some((rec, c.rest()))
}

trait CursorExt {
    fn u64_le(&mut self) -> Option<u64>;
}

impl CursorExt for Cursor<'_> {
    fn u64_le(&mut self) -> Option<u64> {
        let lo = self.u32_le()?;
        let hi = self.u32_le()?;
        Some(u64::from(lo) | (u64::from(hi) << 32))
    }
}

/// Seconds since 1970 of a FILETIME (0 before 1970), as Suricata (from
/// Zeek) converts it.
fn filetime_unix(ft: u64) -> u32 {
    if ft > 116_444_736_000_000_000 {
        (ft / 10_000_000 - 11_644_473_600) as u32
    } else {
        0
    }
}

/// Parses the fixed part of a WRITE request: (length, offset, file id,
/// data present).
fn parse_write(body: &[u8]) -> Option<(u32, u64, &[u8], &[u8])> {
    let mut c = Cursor::new(body);
    c.skip(4)?;
    let len = c.u32_le()?;
    let off = c.u64_le()?;
    let guid = c.take(16)?;
    c.skip(16)?;
    let avail = c.remaining().min(len as usize);
    let data = c.take(avail)?;
    Some((len, off, guid, data))
}

/// Parses the fixed part of a READ response: (length, data present).
fn parse_read_response(body: &[u8]) -> Option<(u32, &[u8])> {
    let mut c = Cursor::new(body);
    c.skip(4)?;
    let len = c.u32_le()?;
    c.skip(8)?;
    let avail = c.remaining().min(len as usize);
    Some((len, c.take(avail)?))
}

/// A WRITE request (possibly with only the start of its data: the rest is
/// streamed).
/// `body_len`: the bytes the record's body has on the wire (more than
/// `r.data` when only its start is there).
pub(crate) fn write_request(state: &mut SmbState, r: &Record<'_>, body_len: usize) {
    let Some((wr_len, wr_off, guid, data)) = parse_write(r.data) else {
        state.set_event("malformed_data");
        return;
    };
    if wr_len as usize > body_len.saturating_sub(48) {
        // The write claims more data than its record holds.
        state.set_event("write_request_too_large");
        state.set_skip(
            Direction::ToServer,
            body_len.saturating_sub(48) as u64,
            data.len() as u64,
        );
        return;
    }
    if state.max_write_size != 0 && wr_len > state.max_write_size {
        state.set_event("write_request_too_large");
        state.set_skip(Direction::ToServer, u64::from(wr_len), data.len() as u64);
        return;
    }
    state.ssn2vec.insert(r.key(KeyKind::Guid), guid.to_vec());
    let file_name = state
        .guid2name
        .get(&guid.to_vec())
        .cloned()
        .unwrap_or_default();
    let mut overlap = false;
    if let Some(idx) = state.file_tx_index(guid, Direction::ToServer) {
        file_chunk_checked(
            state,
            idx,
            data,
            wr_off,
            wr_len,
            Direction::ToServer,
            &mut overlap,
        );
    } else {
        let tree_key = r.key(KeyKind::Share);
        let (share, mut is_pipe) = match state.trees.get(&tree_key) {
            Some(t) => (t.name.clone(), t.is_pipe),
            None => (Vec::new(), false),
        };
        let mut is_dcerpc = if is_pipe || share.is_empty() {
            state.service_for_guid(guid).1
        } else {
            false
        };
        if share.is_empty() && !is_pipe && dcerpc::probe(data) {
            // No tree connect seen: pipe data that looks like DCERPC.
            state.trees.insert(
                tree_key,
                Tree {
                    name: b"suricata::dcerpc".to_vec(),
                    is_pipe: true,
                },
            );
            if !is_dcerpc {
                state
                    .guid2name
                    .insert(guid.to_vec(), b"suricata::dcerpc".to_vec());
            }
            is_pipe = true;
            is_dcerpc = true;
        }
        if is_pipe && is_dcerpc {
            let hdr = r.key(KeyKind::Header);
            dcerpc::write_record(state, VerCmd::smb2(WRITE), hdr, data);
        } else if is_pipe {
            state.set_skip(Direction::ToServer, u64::from(wr_len), data.len() as u64);
        } else {
            let tx = state.new_file_tx(guid, &file_name, Direction::ToServer);
            tx.vercmd.set_cmd(2, WRITE);
            tx.hdr = Key::new(KeyKind::Header, r.session_id, r.tree_id, 0);
            let idx = state.txs.len().saturating_sub(1);
            file_chunk_checked(
                state,
                idx,
                data,
                wr_off,
                wr_len,
                Direction::ToServer,
                &mut overlap,
            );
        }
    }
    if overlap {
        state.set_event("file_overlap");
    }
    state.set_file_left(
        Direction::ToServer,
        u64::from(wr_len),
        data.len() as u64,
        guid.to_vec(),
    );
}

/// Feeds a chunk to the file transaction at `idx`, unless its queue of
/// out-of-order chunks is full.
fn file_chunk_checked(
    state: &mut SmbState,
    idx: usize,
    data: &[u8],
    offset: u64,
    len: u32,
    dir: Direction,
    overlap: &mut bool,
) {
    let Some(f) = state.txs.get(idx).and_then(|t| match &t.data {
        TxData::File(f) => Some(f),
        _ => None,
    }) else {
        return;
    };
    if offset < f.tracker.tracked {
        *overlap = true;
    }
    let _ = dir;
    state.file_chunk(idx, data, offset, u64::from(len));
}

/// A READ response (possibly with only the start of its data).
/// `body_len`: as for [`write_request`].
pub(crate) fn read_response(state: &mut SmbState, r: &Record<'_>, body_len: usize) {
    // The generic part: READ has no transaction of its own.
    let Some((rd_len, data)) = parse_read_response(r.data) else {
        state.set_event("malformed_data");
        return;
    };
    if rd_len as usize > body_len.saturating_sub(16) {
        state.set_event("read_response_too_large");
        state.set_skip(
            Direction::ToClient,
            body_len.saturating_sub(16) as u64,
            data.len() as u64,
        );
        return;
    }
    if r.nt_status != STATUS_BUFFER_OVERFLOW && r.nt_status != STATUS_SUCCESS {
        state.set_skip(Direction::ToClient, u64::from(rd_len), data.len() as u64);
        return;
    }
    if state.max_read_size != 0 && rd_len > state.max_read_size {
        state.set_event("read_response_too_large");
        state.set_skip(Direction::ToClient, u64::from(rd_len), data.len() as u64);
        return;
    }
    let Some((guid, offset)) = state.read_offsets.remove(&r.key_notree(KeyKind::Offset)) else {
        // A reply to a request we did not see.
        state.set_skip(Direction::ToClient, u64::from(rd_len), data.len() as u64);
        return;
    };
    let mut overlap = false;
    if let Some(idx) = state.file_tx_index(&guid, Direction::ToClient) {
        file_chunk_checked(
            state,
            idx,
            data,
            offset,
            rd_len,
            Direction::ToClient,
            &mut overlap,
        );
    } else {
        let tree_key = r.key(KeyKind::Share);
        let (share, mut is_pipe) = match state.trees.get(&tree_key) {
            Some(t) => (t.name.clone(), t.is_pipe),
            None => (Vec::new(), false),
        };
        let mut is_dcerpc = if is_pipe || share.is_empty() {
            state.service_for_guid(&guid).1
        } else {
            false
        };
        if share.is_empty() && !is_pipe && dcerpc::probe(data) {
            state.trees.insert(
                tree_key,
                Tree {
                    name: b"suricata::dcerpc".to_vec(),
                    is_pipe: true,
                },
            );
            if !is_dcerpc {
                state
                    .guid2name
                    .insert(guid.clone(), b"suricata::dcerpc".to_vec());
            }
            is_pipe = true;
            is_dcerpc = true;
        }
        if is_pipe && is_dcerpc {
            let hdr = r.key(KeyKind::Header);
            let vercmd = VerCmd::smb2_status(READ, r.nt_status);
            dcerpc::read_record(state, vercmd, hdr, &guid, data);
        } else if is_pipe {
            state.set_skip(Direction::ToClient, u64::from(rd_len), data.len() as u64);
        } else {
            let name = state
                .guid2name
                .get(&guid)
                .cloned()
                .unwrap_or_else(|| b"<unknown>".to_vec());
            let tx = state.new_file_tx(&guid, &name, Direction::ToClient);
            tx.vercmd.set_cmd(2, READ);
            tx.hdr = Key::new(KeyKind::Header, r.session_id, r.tree_id, 0);
            if let Some(f) = tx.file_mut() {
                f.share = share;
            }
            let idx = state.txs.len().saturating_sub(1);
            file_chunk_checked(
                state,
                idx,
                data,
                offset,
                rd_len,
                Direction::ToClient,
                &mut overlap,
            );
        }
    }
    if overlap {
        state.set_event("file_overlap");
    }
    state.set_file_left(
        Direction::ToClient,
        u64::from(rd_len),
        data.len() as u64,
        guid,
    );
}

/// Commands whose request creates a generic transaction when nothing more
/// specific does (READ/WRITE data and GET/SET_INFO are not paired).
fn creates_tx(cmd: u16) -> bool {
    !matches!(cmd, 8 | 9 | 16 | 17)
}

/// A request record (whole).
pub(crate) fn request(state: &mut SmbState, r: &Record<'_>) {
    let mut events: Vec<&'static str> = Vec::new();
    let have_tx = match r.command {
        SET_INFO => set_info_request(state, r, &mut events),
        IOCTL => {
            ioctl_request(state, r);
            true
        }
        TREE_DISCONNECT => {
            state.trees.remove(&r.key(KeyKind::Share));
            false
        }
        NEGOTIATE => match parse_negotiate_request(r.data) {
            Some((dialects, client_guid)) => {
                if state.get_negotiate_tx(2).is_none() {
                    let tx = state.new_negotiate_tx(2);
                    if let TxData::Negotiate(n) = &mut tx.data {
                        n.dialects = dialects;
                        n.client_guid = Some(client_guid);
                    }
                }
                true
            }
            None => {
                events.push("malformed_data");
                false
            }
        },
        SESSION_SETUP => {
            session_setup_request(state, r);
            true
        }
        TREE_CONNECT => match r.data.get(6..) {
            Some(rest) => {
                let mut name = strip_nul(rest);
                if name.len() > 1 {
                    name.remove(0);
                }
                let tx = state.new_treeconnect_tx(r.key(KeyKind::Tree), name);
                tx.vercmd.set_cmd(2, TREE_CONNECT);
                true
            }
            None => {
                events.push("malformed_data");
                false
            }
        },
        READ => {
            match parse_read_request(r.data) {
                Some((len, off, guid)) => {
                    if state.max_read_size != 0 && len > state.max_read_size {
                        events.push("read_request_too_large");
                    } else {
                        state
                            .read_offsets
                            .insert(r.key_notree(KeyKind::Offset), (guid.to_vec(), off));
                    }
                }
                None => events.push("malformed_data"),
            }
            false
        }
        CREATE => match parse_create_request(r.data) {
            Some((disposition, options, name)) => {
                state
                    .ssn2vec
                    .insert(r.key_notree(KeyKind::Filename), cap_name(name.to_vec()));
                let create = CreateTx {
                    disposition,
                    delete_on_close: options & 0x1000 != 0,
                    directory: options & 1 != 0,
                    filename: cap_name(name.to_vec()),
                    ..Default::default()
                };
                let tx = state.new_create_tx(create, r.key(KeyKind::GenericTx));
                tx.vercmd.set_cmd(2, r.command);
                true
            }
            None => {
                events.push("malformed_data");
                false
            }
        },
        WRITE => {
            write_request(state, r, r.data.len());
            true
        }
        CLOSE => {
            match r.data.get(8..24) {
                Some(guid) => {
                    for d in [Direction::ToServer, Direction::ToClient] {
                        if let Some(tx) = state.get_file_tx(guid, d) {
                            if !tx.request_done
                                && let Some(f) = tx.file_mut()
                            {
                                f.tracker.close();
                            }
                            tx.request_done = true;
                            tx.response_done = true;
                            tx.set_status(STATUS_SUCCESS);
                        }
                    }
                }
                None => events.push("malformed_data"),
            }
            false
        }
        _ => false,
    };
    // As in Suricata, events of records that got a transaction of their
    // own (or none at all) are not kept.
    if !have_tx && creates_tx(r.command) {
        let tx = state.new_generic_tx(2, r.command, r.key(KeyKind::GenericTx));
        for e in events {
            tx.event(e);
        }
    }
}

fn parse_negotiate_request(body: &[u8]) -> Option<(Vec<Vec<u8>>, Vec<u8>)> {
    let mut c = Cursor::new(body);
    c.skip(2)?;
    let count = c.u16_le()?;
    c.skip(8)?;
    let guid = c.take(16)?.to_vec();
    c.skip(8)?;
    let mut dialects = Vec::new();
    for _ in 0..count {
        let d = c.u16_le()?;
        if dialects.len() < 64 {
            dialects.push(dialect_name(d).into_bytes());
        }
    }
    Some((dialects, guid))
}

fn parse_read_request(body: &[u8]) -> Option<(u32, u64, &[u8])> {
    let mut c = Cursor::new(body);
    c.skip(4)?;
    let len = c.u32_le()?;
    let off = c.u64_le()?;
    let guid = c.take(16)?;
    c.skip(16)?;
    Some((len, off, guid))
}

fn parse_create_request(body: &[u8]) -> Option<(u32, u32, &[u8])> {
    let mut c = Cursor::new(body);
    c.skip(36)?;
    let disposition = c.u32_le()?;
    let options = c.u32_le()?;
    let name_off = c.u16_le()?;
    let name_len = c.u16_le()?;
    c.skip(8)?;
    c.skip(usize::from(name_off.saturating_sub(120)))?;
    let name = c.take(usize::from(name_len))?;
    Some((disposition, options, name))
}

fn session_setup_request(state: &mut SmbState, r: &Record<'_>) {
    let Some(blob) = r.data.get(24..) else {
        return;
    };
    let tx = state.new_sessionsetup_tx(r.key(KeyKind::Header));
    tx.vercmd.set_cmd(2, r.command);
    if let Some(auth) = parse_secblob(blob) {
        if auth.ntlmssp.as_ref().is_some_and(|n| n.warning) {
            tx.event("unusual_ntlmssp_order");
        }
        if let TxData::SessionSetup(s) = &mut tx.data {
            s.auth = auth;
        }
    }
}

fn session_setup_response(state: &mut SmbState, r: &Record<'_>) {
    let update = |tx: &mut super::state::SmbTx| {
        tx.hdr = r.key(KeyKind::Header);
        tx.set_status(r.nt_status);
        tx.response_done = true;
    };
    if r.session_id != 0
        && let Some(tx) = state.get_sessionsetup_tx(&r.key(KeyKind::Header))
    {
        update(tx);
        return;
    }
    if let Some(tx) = state.get_sessionsetup_tx(&Key::new(KeyKind::Header, 0, 0, r.message_id)) {
        update(tx);
    }
}

fn set_info_request(state: &mut SmbState, r: &Record<'_>, events: &mut Vec<&'static str>) -> bool {
    let mut c = Cursor::new(r.data);
    let parsed = (|| {
        c.skip(2)?;
        let class = c.u8()?;
        let level = c.u8()?;
        let _size = c.u32_le()?;
        c.skip(8)?;
        let guid = c.take(16)?;
        Some((class, level, guid, c.rest()))
    })();
    let Some((class, level, guid, rest)) = parsed else {
        events.push("malformed_data");
        return false;
    };
    match (class, level) {
        (1, 10) => {
            let mut rc = Cursor::new(rest);
            let Some(name) = (|| {
                rc.skip(16)?;
                let n = rc.u32_le()?;
                rc.take(n as usize)
            })() else {
                events.push("malformed_data");
                return false;
            };
            let oldname = state
                .guid2name
                .get(&guid.to_vec())
                .cloned()
                .unwrap_or_else(|| b"<unknown>".to_vec());
            let key = r.key(KeyKind::GenericTx);
            let tx = state.new_tx();
            tx.data = TxData::Rename(RenameTx {
                oldname,
                newname: strip_nul(name),
                fuid: guid.to_vec(),
            });
            tx.hdr = key;
            tx.request_done = true;
            tx.vercmd.set_cmd(2, SET_INFO);
            true
        }
        (1, 13) => {
            let Some(&del) = rest.first() else {
                events.push("malformed_data");
                return false;
            };
            let fname = match state.guid2name.get(&guid.to_vec()) {
                Some(n) => n.clone(),
                None => {
                    // A compound CREATE + SET_INFO: the name of the create
                    // just before.
                    let mut k = r.key_notree(KeyKind::Filename);
                    if k.msg == 0 {
                        b"<unknown>".to_vec()
                    } else {
                        k.msg -= 1;
                        state
                            .ssn2vec
                            .get(&k)
                            .cloned()
                            .unwrap_or_else(|| b"<unknown>".to_vec())
                    }
                }
            };
            let key = r.key(KeyKind::GenericTx);
            let tx = state.new_tx();
            tx.data = TxData::SetInfo(SetInfoTx {
                subcmd: u16::from(class),
                loi: u16::from(level),
                delete_on_close: del != 0,
                filename: fname,
                fid: guid.to_vec(),
            });
            tx.hdr = key;
            tx.request_done = true;
            tx.vercmd.set_cmd(2, SET_INFO);
            true
        }
        _ => false,
    }
}

fn ioctl_request(state: &mut SmbState, r: &Record<'_>) {
    let hdr = r.key(KeyKind::Header);
    let mut c = Cursor::new(r.data);
    let parsed = (|| {
        c.skip(4)?;
        let func = c.u32_le()?;
        let guid = c.take(16)?;
        c.skip(4)?;
        let in_len = c.u32_le()?;
        c.skip(24)?;
        let data = c.take(in_len as usize)?;
        Some((func, guid, data))
    })();
    match parsed {
        Some((func, guid, data)) => {
            if func == FSCTL_PIPE_TRANSCEIVE && state.service_for_guid(guid).1 {
                dcerpc::write_record(state, VerCmd::smb2(IOCTL), hdr, data);
            } else {
                let tx = state.new_tx();
                tx.hdr = hdr;
                tx.data = TxData::Ioctl(func);
                tx.request_done = true;
                tx.vercmd.set_cmd(2, IOCTL);
            }
        }
        None => {
            let tx = state.new_generic_tx(2, r.command, hdr);
            tx.event("malformed_data");
        }
    }
}

fn ioctl_response(state: &mut SmbState, r: &Record<'_>) {
    let hdr = r.key(KeyKind::Header);
    let mut c = Cursor::new(r.data);
    let parsed = (|| {
        c.skip(4)?;
        let func = c.u32_le()?;
        let guid = c.take(16)?;
        c.skip(4)?;
        let in_len = c.u32_le()?;
        c.skip(4)?;
        let out_len = c.u32_le()?;
        c.skip(8)?;
        c.skip(in_len as usize)?;
        let data = c.take(out_len as usize)?;
        Some((func, guid, data))
    })();
    match parsed {
        Some((func, guid, data))
            if func == FSCTL_PIPE_TRANSCEIVE && state.service_for_guid(guid).1 =>
        {
            let vercmd = VerCmd::smb2_status(IOCTL, r.nt_status);
            dcerpc::read_record(state, vercmd, hdr, &[], data);
        }
        parsed => {
            if let Some(tx) = state.get_generic_tx(2, IOCTL, &hdr) {
                tx.set_status(r.nt_status);
                if r.nt_status != STATUS_PENDING {
                    tx.response_done = true;
                }
                if parsed.is_none() && r.nt_status == STATUS_SUCCESS {
                    tx.event("malformed_data");
                }
            }
        }
    }
}

/// A response record (whole).
#[allow(clippy::collapsible_if, clippy::collapsible_match)]
pub(crate) fn response(state: &mut SmbState, r: &Record<'_>) {
    let mut events: Vec<&'static str> = Vec::new();
    let have_tx = match r.command {
        IOCTL => {
            ioctl_response(state, r);
            true
        }
        SESSION_SETUP => {
            session_setup_response(state, r);
            true
        }
        WRITE => {
            if r.nt_status == STATUS_SUCCESS {
                if r.data.len() < 14 {
                    events.push("malformed_data");
                } else {
                    state.ssn2vec.remove(&r.key(KeyKind::Guid));
                }
            }
            false
        }
        READ => {
            if r.nt_status == STATUS_SUCCESS || r.nt_status == STATUS_BUFFER_OVERFLOW {
                read_response(state, r, r.data.len());
            } else if r.nt_status == STATUS_END_OF_FILE {
                let guid = state
                    .read_offsets
                    .remove(&r.key_notree(KeyKind::Offset))
                    .map(|(g, _)| g)
                    .unwrap_or_default();
                if let Some(tx) = state.get_file_tx(&guid, Direction::ToClient) {
                    if !tx.request_done
                        && let Some(f) = tx.file_mut()
                    {
                        f.tracker.close();
                    }
                    tx.set_status(r.nt_status);
                    tx.request_done = true;
                }
            }
            false
        }
        CREATE => {
            if r.nt_status == STATUS_SUCCESS {
                match parse_create_response(r.data) {
                    Some(cr) => {
                        if let Some(mut name) =
                            state.ssn2vec.remove(&r.key_notree(KeyKind::Filename))
                        {
                            name.retain(|&b| b != 0);
                            state.guid2name.insert(cr.guid.clone(), name);
                        }
                        if let Some(tx) =
                            state.get_generic_tx(2, r.command, &r.key(KeyKind::GenericTx))
                        {
                            tx.set_status(r.nt_status);
                            tx.response_done = true;
                            if let TxData::Create(c) = &mut tx.data {
                                c.create_ts = cr.create_ts;
                                c.last_access_ts = cr.last_access_ts;
                                c.last_write_ts = cr.last_write_ts;
                                c.last_change_ts = cr.last_change_ts;
                                c.size = cr.size;
                                c.guid = cr.guid;
                            }
                        }
                    }
                    None => events.push("malformed_data"),
                }
                true
            } else {
                false
            }
        }
        TREE_DISCONNECT => {
            state.trees.remove(&r.key(KeyKind::Share));
            false
        }
        TREE_CONNECT => {
            if r.nt_status == STATUS_SUCCESS {
                match r.data.get(2).filter(|_| r.data.len() >= 16) {
                    Some(&share_type) => {
                        let is_pipe = share_type == 2;
                        let mut share = None;
                        if let Some(tx) = state.get_treeconnect_tx(&r.key(KeyKind::Tree)) {
                            if let TxData::TreeConnect(t) = &mut tx.data {
                                t.share_type = share_type;
                                t.is_pipe = is_pipe;
                                share = Some(t.share_name.clone());
                            }
                            tx.hdr = r.key(KeyKind::Header);
                            tx.response_done = true;
                            tx.set_status(r.nt_status);
                        }
                        if let Some(name) = share {
                            state
                                .trees
                                .insert(r.key(KeyKind::Share), Tree { name, is_pipe });
                        }
                        true
                    }
                    None => {
                        events.push("malformed_data");
                        false
                    }
                }
            } else {
                match state.get_treeconnect_tx(&r.key(KeyKind::Tree)) {
                    Some(tx) => {
                        tx.response_done = true;
                        tx.set_status(r.nt_status);
                        true
                    }
                    None => false,
                }
            }
        }
        NEGOTIATE => {
            let parsed = if r.nt_status == STATUS_SUCCESS {
                parse_negotiate_response(r.data)
            } else {
                (r.data.len() >= 4).then(NegotiateResponse::default)
            };
            match parsed {
                Some(rd) => {
                    state.dialect = rd.dialect;
                    state.max_read_size = rd.max_read_size;
                    state.max_write_size = rd.max_write_size;
                    let status = r.nt_status;
                    let mut found = false;
                    for ver in [2u8, 1] {
                        if let Some(tx) = state.get_negotiate_tx(ver) {
                            if let TxData::Negotiate(n) = &mut tx.data {
                                n.server_guid = rd.server_guid.clone();
                            }
                            tx.set_status(status);
                            tx.response_done = true;
                            found = true;
                            break;
                        }
                    }
                    found
                }
                None => {
                    events.push("malformed_data");
                    false
                }
            }
        }
        _ => false,
    };
    if !have_tx && let Some(tx) = state.get_generic_tx(2, r.command, &r.key(KeyKind::GenericTx)) {
        if r.nt_status != STATUS_PENDING {
            tx.response_done = true;
        }
        tx.set_status(r.nt_status);
        for e in events {
            tx.event(e);
        }
    }
}

#[derive(Default)]
struct NegotiateResponse {
    dialect: u16,
    server_guid: Vec<u8>,
    max_read_size: u32,
    max_write_size: u32,
}

fn parse_negotiate_response(body: &[u8]) -> Option<NegotiateResponse> {
    let mut c = Cursor::new(body);
    c.skip(4)?;
    let dialect = c.u16_le()?;
    c.skip(2)?;
    let server_guid = c.take(16)?.to_vec();
    c.skip(8)?;
    let max_read_size = c.u32_le()?;
    let max_write_size = c.u32_le()?;
    Some(NegotiateResponse {
        dialect,
        server_guid,
        max_read_size,
        max_write_size,
    })
}

struct CreateResponse {
    create_ts: u32,
    last_access_ts: u32,
    last_write_ts: u32,
    last_change_ts: u32,
    size: u64,
    guid: Vec<u8>,
}

fn parse_create_response(body: &[u8]) -> Option<CreateResponse> {
    let mut c = Cursor::new(body);
    c.skip(8)?;
    let create_ts = filetime_unix(c.u64_le()?);
    let last_access_ts = filetime_unix(c.u64_le()?);
    let last_write_ts = filetime_unix(c.u64_le()?);
    let last_change_ts = filetime_unix(c.u64_le()?);
    c.skip(8)?;
    let size = c.u64_le()?;
    c.skip(8)?;
    let guid = c.take(16)?.to_vec();
    c.skip(8)?;
    Some(CreateResponse {
        create_ts,
        last_access_ts,
        last_write_ts,
        last_change_ts,
        size,
        guid,
    })
}
