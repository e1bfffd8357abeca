//! SMB1 (MS-CIFS, MS-SMB): the 32-byte header, AndX chains, and the
//! commands that make transactions.

use super::dcerpc;
use super::state::{
    CreateTx, Key, KeyKind, SessionHost, SmbState, SmbTx, Tree, TxData, VerCmd, cap_name,
};
use crate::Direction;
use crate::ot::cotp::Cursor;

pub(crate) const HEADER_SIZE: usize = 32;

/// `SMB1_COMMAND_...` name of a command.
pub(crate) fn command_name(c: u8) -> String {
    match c {
        0x00 => "SMB1_COMMAND_CREATE_DIRECTORY",
        0x01 => "SMB1_COMMAND_DELETE_DIRECTORY",
        0x02 => "SMB1_COMMAND_OPEN",
        0x03 => "SMB1_COMMAND_CREATE",
        0x04 => "SMB1_COMMAND_CLOSE",
        0x05 => "SMB1_COMMAND_FLUSH",
        0x06 => "SMB1_COMMAND_DELETE",
        0x07 => "SMB1_COMMAND_RENAME",
        0x08 => "SMB1_COMMAND_QUERY_INFORMATION",
        0x09 => "SMB1_COMMAND_SET_INFORMATION",
        0x0a => "SMB1_COMMAND_READ",
        0x0b => "SMB1_COMMAND_WRITE",
        0x0c => "SMB1_COMMAND_LOCK_BYTE_RANGE",
        0x0d => "SMB1_COMMAND_UNLOCK_BYTE_RANGE",
        0x0e => "SMB1_COMMAND_CREATE_TEMPORARY",
        0x0f => "SMB1_COMMAND_CREATE_NEW",
        0x10 => "SMB1_COMMAND_CHECK_DIRECTORY",
        0x11 => "SMB1_COMMAND_PROCESS_EXIT",
        0x12 => "SMB1_COMMAND_SEEK",
        0x13 => "SMB1_COMMAND_LOCK_AND_READ",
        0x14 => "SMB1_COMMAND_WRITE_AND_UNLOCK",
        0x24 => "SMB1_COMMAND_LOCKING_ANDX",
        0x25 => "SMB1_COMMAND_TRANS",
        0x2b => "SMB1_COMMAND_ECHO",
        0x2c => "SMB1_COMMAND_WRITE_AND_CLOSE",
        0x2d => "SMB1_COMMAND_OPEN_ANDX",
        0x2e => "SMB1_COMMAND_READ_ANDX",
        0x2f => "SMB1_COMMAND_WRITE_ANDX",
        0x32 => "SMB1_COMMAND_TRANS2",
        0x33 => "SMB1_COMMAND_TRANS2_SECONDARY",
        0x34 => "SMB1_COMMAND_FIND_CLOSE2",
        0x71 => "SMB1_COMMAND_TREE_DISCONNECT",
        0x72 => "SMB1_COMMAND_NEGOTIATE_PROTOCOL",
        0x73 => "SMB1_COMMAND_SESSION_SETUP_ANDX",
        0x74 => "SMB1_COMMAND_LOGOFF_ANDX",
        0x75 => "SMB1_COMMAND_TREE_CONNECT_ANDX",
        0x80 => "SMB1_COMMAND_QUERY_INFO_DISK",
        0xa0 => "SMB1_COMMAND_NT_TRANS",
        0xa1 => "SMB1_COMMAND_NT_TRANS_SECONDARY",
        0xa2 => "SMB1_COMMAND_NT_CREATE_ANDX",
        0xa4 => "SMB1_COMMAND_NT_CANCEL",
        _ => return c.to_string(),
    }
    .to_string()
}

/// One SMB1 record.
#[derive(Debug)]
pub(crate) struct Record<'a> {
    pub command: u8,
    pub nt_status: u32,
    pub flags: u8,
    pub flags2: u16,
    pub tree_id: u16,
    pub multiplex_id: u16,
    /// (process id << 16) | user id, Suricata's session id for SMB1.
    pub ssn_id: u32,
    /// Everything after the header.
    pub data: &'a [u8],
}

impl Record<'_> {
    pub fn is_response(&self) -> bool {
        self.flags & 0x80 != 0
    }
    /// The status is a DOS error class/code rather than an NT status.
    pub fn is_dos_error(&self) -> bool {
        self.flags2 & 0x4000 == 0
    }
    pub fn unicode(&self) -> bool {
        self.flags2 & 0x8000 != 0
    }
    pub fn key(&self, kind: KeyKind) -> Key {
        let tree = if kind == KeyKind::Tree {
            0
        } else {
            u32::from(self.tree_id)
        };
        let msg = if matches!(kind, KeyKind::TransFrag | KeyKind::Share) {
            0
        } else {
            u64::from(self.multiplex_id)
        };
        Key::new(kind, u64::from(self.ssn_id), tree, msg)
    }
}

/// Parses the header; the rest is the command block.
pub(crate) fn parse_record(data: &[u8]) -> Option<Record<'_>> {
    let mut c = Cursor::new(data);
    if c.take(4)? != b"\xffSMB" {
        return None;
    }
    let command = c.u8()?;
    let nt_status = c.u32_le()?;
    let flags = c.u8()?;
    let flags2 = c.u16_le()?;
    let _pid_high = c.u16_le()?;
    c.skip(10)?;
    let tree_id = c.u16_le()?;
    let pid = c.u16_le()?;
    let user_id = c.u16_le()?;
    let multiplex_id = c.u16_le()?;
    Some(Record {
        command,
        nt_status,
        flags,
        flags2,
        tree_id,
        multiplex_id,
        ssn_id: {
            let _ = pid;
            u32::from(user_id)
        },
        data: c.rest(),
    })
}

const NEGOTIATE: u8 = 0x72;
const SESSION_SETUP_ANDX: u8 = 0x73;
const LOGOFF_ANDX: u8 = 0x74;
const TREE_CONNECT_ANDX: u8 = 0x75;
const TREE_DISCONNECT: u8 = 0x71;
const NT_CREATE_ANDX: u8 = 0xa2;
const CLOSE: u8 = 0x04;
const WRITE: u8 = 0x0b;
const WRITE_AND_CLOSE: u8 = 0x2c;
const READ_ANDX: u8 = 0x2e;
const WRITE_ANDX: u8 = 0x2f;
const TRANS: u8 = 0x25;
const TRANS2_SECONDARY: u8 = 0x33;
const LOCKING_ANDX: u8 = 0x24;
const NT_CANCEL: u8 = 0xa4;
const NONE: u8 = 0xff;

const STATUS_SUCCESS: u32 = 0;
const STATUS_BUFFER_OVERFLOW: u32 = 0x8000_0005;

/// Commands whose request makes a generic transaction.
fn creates_tx(cmd: u8) -> bool {
    !matches!(cmd, READ_ANDX | WRITE_ANDX | TRANS | 0x32)
}

/// Commands whose response completes a generic transaction.
fn checks_tx(cmd: u8) -> bool {
    !matches!(cmd, READ_ANDX | WRITE_ANDX | TRANS)
}

fn is_andx(c: u8) -> bool {
    matches!(c, 0x24 | 0x2d | 0x2e | 0x73 | 0x74 | 0x75 | 0xa2 | 0x2f)
}

/// A file id with the session id appended (FIDs are per session).
fn franken_fid(fid: &[u8], ssn_id: u32) -> Vec<u8> {
    let mut v = fid.to_vec();
    v.extend_from_slice(&ssn_id.to_be_bytes());
    v
}

impl SmbTx {
    fn set_status1(&mut self, r: &Record<'_>) {
        if r.is_dos_error() {
            self.set_dos_status((r.nt_status & 0xff) as u8, (r.nt_status >> 16) as u16);
        } else {
            self.set_status(r.nt_status);
        }
    }
}

/// A NUL-terminated string at `data`, UTF-16LE (low bytes kept, as
/// Suricata does) when the record says so, aligned on an even offset
/// from the SMB header (`offset` is where `data` starts in the block).
fn get_string<'a>(data: &'a [u8], r: &Record<'_>, offset: usize) -> Option<(Vec<u8>, &'a [u8])> {
    if r.unicode() {
        let data = if offset % 2 == 1 {
            data.get(1..)?
        } else {
            data
        };
        unicode_string(data)
    } else {
        let end = memchr::memchr(0, data)?;
        Some((cap_name(data.get(..end)?.to_vec()), data.get(end + 1..)?))
    }
}

fn unicode_string(mut c: &[u8]) -> Option<(Vec<u8>, &[u8])> {
    let mut name = Vec::new();
    loop {
        match c {
            [0] => return Some((name, &[])),
            [0, 0, rest @ ..] => return Some((name, rest)),
            [lo, _, rest @ ..] => {
                if name.len() < super::state::MAX_NAME {
                    name.push(*lo);
                }
                c = rest;
            }
            _ => return None,
        }
    }
}

fn ascii_string(data: &[u8]) -> Option<(Vec<u8>, &[u8])> {
    let end = memchr::memchr(0, data)?;
    Some((cap_name(data.get(..end)?.to_vec()), data.get(end + 1..)?))
}

/// Native OS / LM strings after a session setup's security blob.
fn host_info(r: &Record<'_>, blob: &[u8]) -> SessionHost {
    let (os, lm) = if blob.len() > 1 && r.unicode() {
        let offset = r.data.len() - blob.len();
        let blob = if offset % 2 == 1 {
            blob.get(1..).unwrap_or(&[])
        } else {
            blob
        };
        match unicode_string(blob) {
            Some((n1, rest)) => (n1, unicode_string(rest).map(|x| x.0).unwrap_or_default()),
            None => (Vec::new(), Vec::new()),
        }
    } else {
        match ascii_string(blob) {
            Some((n1, rest)) => (n1, ascii_string(rest).map(|x| x.0).unwrap_or_default()),
            None => (Vec::new(), Vec::new()),
        }
    };
    SessionHost {
        native_os: os,
        native_lm: lm,
    }
}

/// The command block at `off` (from the SMB header start).
fn block<'a>(r: &Record<'a>, off: usize) -> &'a [u8] {
    r.data.get(off.saturating_sub(HEADER_SIZE)..).unwrap_or(&[])
}

/// Walks the AndX chain of a record.
fn each_command(r: &Record<'_>, mut f: impl FnMut(u8, usize)) {
    let mut off = HEADER_SIZE;
    let mut cmd = r.command;
    for _ in 0..16 {
        f(cmd, off);
        if !is_andx(cmd) {
            break;
        }
        let b = block(r, off);
        let (Some(&next), Some(lo), Some(hi)) = (b.get(1), b.get(3), b.get(4)) else {
            break;
        };
        let next_off = usize::from(u16::from_le_bytes([*lo, *hi]));
        if next_off > off && next != NONE && next_off - HEADER_SIZE < r.data.len() {
            off = next_off;
            cmd = next;
        } else {
            break;
        }
    }
}

/// A request record.
pub(crate) fn request(state: &mut SmbState, r: &Record<'_>) {
    each_command(r, |cmd, off| request_one(state, r, cmd, off));
}

/// A response record.
pub(crate) fn response(state: &mut SmbState, r: &Record<'_>) {
    each_command(r, |cmd, off| response_one(state, r, cmd, off));
}

fn request_one(state: &mut SmbState, r: &Record<'_>, cmd: u8, off: usize) {
    let mut events: Vec<&'static str> = Vec::new();
    let mut no_response = false;
    let b = block(r, off);
    let have_tx = match cmd {
        READ_ANDX => {
            let mut c = Cursor::new(b);
            let parsed = (|| {
                let wct = c.u8()?;
                c.skip(4)?;
                let fid = c.take(2)?;
                let lo = c.u32_le()?;
                c.skip(10)?;
                let hi = if wct == 12 { c.u32_le()? } else { 0 };
                Some((fid, (u64::from(hi) << 32) | u64::from(lo)))
            })();
            match parsed {
                Some((fid, offset)) => state
                    .read_offsets
                    .insert(r.key(KeyKind::Offset), (franken_fid(fid, r.ssn_id), offset)),
                None => events.push("malformed_data"),
            }
            false
        }
        WRITE_ANDX | WRITE | WRITE_AND_CLOSE => {
            write_request(state, r, off, cmd);
            true
        }
        TRANS => {
            trans_request(state, r);
            true
        }
        NEGOTIATE => {
            let mut c = Cursor::new(b);
            match c.skip(3) {
                Some(()) => {
                    let mut bad = false;
                    let mut dialects = Vec::new();
                    let mut rest = c.rest();
                    while let Some(end) = memchr::memchr(0, rest) {
                        let d = rest.get(..end).unwrap_or(&[]);
                        rest = rest.get(end + 1..).unwrap_or(&[]);
                        if d.is_empty() {
                            bad = true;
                            continue;
                        }
                        if d.len() == 1 {
                            bad = true;
                        }
                        if dialects.len() < 64 {
                            dialects.push(cap_name(d.get(1..).unwrap_or(&[]).to_vec()));
                        }
                    }
                    match state.get_negotiate_tx(1) {
                        Some(tx) => tx.event("duplicate_negotiate"),
                        None => {
                            let tx = state.new_negotiate_tx(1);
                            if let TxData::Negotiate(n) = &mut tx.data {
                                n.dialects = dialects;
                            }
                            if bad {
                                tx.event("negotiate_malformed_dialects");
                            }
                        }
                    }
                    true
                }
                None => {
                    events.push("malformed_data");
                    false
                }
            }
        }
        NT_CREATE_ANDX => match parse_create_request(b, r, off) {
            Some((disposition, options, name)) => {
                state.ssn2vec.insert(r.key(KeyKind::Filename), name.clone());
                let create = CreateTx {
                    disposition,
                    delete_on_close: options & 0x1000 != 0,
                    directory: options & 1 != 0,
                    filename: name,
                    ..Default::default()
                };
                let tx = state.new_create_tx(create, r.key(KeyKind::GenericTx));
                tx.vercmd.set_cmd(1, u16::from(cmd));
                true
            }
            None => {
                events.push("malformed_data");
                false
            }
        },
        SESSION_SETUP_ANDX => {
            session_setup_request(state, r, b);
            true
        }
        TREE_CONNECT_ANDX => {
            let mut c = Cursor::new(b);
            let parsed = (|| {
                c.skip(7)?;
                let pwlen = c.u16_le()?;
                c.skip(2)?;
                c.skip(usize::from(pwlen))?;
                let (path, rest) = get_string(c.rest(), r, 11 + usize::from(pwlen))?;
                let (service, _) = ascii_string(rest)?;
                Some((path, service))
            })();
            match parsed {
                Some((mut path, service)) => {
                    if path.len() > 1 {
                        path.remove(0);
                    }
                    let tx = state.new_treeconnect_tx(r.key(KeyKind::Tree), path);
                    if let TxData::TreeConnect(t) = &mut tx.data {
                        t.req_service = Some(service);
                    }
                    tx.vercmd.set_cmd(1, u16::from(TREE_CONNECT_ANDX));
                    true
                }
                None => {
                    events.push("malformed_data");
                    false
                }
            }
        }
        TREE_DISCONNECT => {
            state.trees.remove(&r.key(KeyKind::Share));
            false
        }
        CLOSE => {
            match b.get(1..3) {
                Some(fid) => {
                    let fid = franken_fid(fid, r.ssn_id);
                    state.ssn2vec.insert(r.key(KeyKind::Guid), fid.clone());
                    close_file(state, &fid, Direction::ToServer);
                }
                None => events.push("malformed_data"),
            }
            false
        }
        NT_CANCEL | TRANS2_SECONDARY | LOCKING_ANDX => {
            no_response = true;
            false
        }
        _ => false,
    };
    if !have_tx && creates_tx(cmd) {
        let tx = state.new_generic_tx(1, u16::from(cmd), r.key(KeyKind::GenericTx));
        for e in events {
            tx.event(e);
        }
        if no_response {
            tx.response_done = true;
        }
    }
}

#[allow(clippy::collapsible_if, clippy::collapsible_match)]
fn response_one(state: &mut SmbState, r: &Record<'_>, cmd: u8, off: usize) {
    let mut events: Vec<&'static str> = Vec::new();
    let mut tx_sync = false;
    let b = block(r, off);
    let have_tx = match cmd {
        READ_ANDX => {
            read_response(state, r, off);
            true
        }
        NEGOTIATE => match parse_negotiate_response(b) {
            Some((idx, guid)) => {
                let mut dialect = None;
                let found = match state.get_negotiate_tx(1) {
                    Some(tx) => {
                        tx.set_status1(r);
                        tx.response_done = true;
                        if let TxData::Negotiate(n) = &mut tx.data {
                            n.server_guid = guid;
                            dialect = n.dialects.get(usize::from(idx)).cloned();
                        }
                        if dialect.is_none() {
                            tx.event("negotiate_malformed_dialects");
                        }
                        true
                    }
                    None => false,
                };
                if let Some(d) = dialect {
                    state.dialect_vec = Some(d);
                }
                found
            }
            None => {
                events.push("malformed_data");
                false
            }
        },
        TREE_CONNECT_ANDX => {
            if r.nt_status != STATUS_SUCCESS {
                if let Some(tx) = state.get_treeconnect_tx(&r.key(KeyKind::Tree)) {
                    tx.set_status1(r);
                    tx.response_done = true;
                }
                return;
            }
            let mut c = Cursor::new(b);
            let service = (|| {
                let wct = c.u8()?;
                c.skip(usize::from(wct) * 2)?;
                c.skip(2)?;
                Some(ascii_string(c.rest())?.0)
            })();
            match service {
                Some(service) => {
                    let is_pipe = service == b"IPC";
                    let mut share = None;
                    if let Some(tx) = state.get_treeconnect_tx(&r.key(KeyKind::Tree)) {
                        if let TxData::TreeConnect(t) = &mut tx.data {
                            t.is_pipe = is_pipe;
                            share = Some(t.share_name.clone());
                            t.res_service = Some(service);
                        }
                        tx.hdr = r.key(KeyKind::Header);
                        tx.set_status1(r);
                        tx.response_done = true;
                    }
                    match share {
                        Some(name) => {
                            state
                                .trees
                                .insert(r.key(KeyKind::Share), Tree { name, is_pipe });
                            true
                        }
                        None => false,
                    }
                }
                None => {
                    events.push("malformed_data");
                    false
                }
            }
        }
        TREE_DISCONNECT => {
            state.trees.remove(&r.key(KeyKind::Share));
            false
        }
        NT_CREATE_ANDX => {
            if r.nt_status == STATUS_SUCCESS {
                match parse_create_response(b) {
                    Some(cr) => {
                        if let Some(mut name) = state.ssn2vec.remove(&r.key(KeyKind::Filename)) {
                            name.retain(|&x| x != 0);
                            state.guid2name.insert(franken_fid(&cr.fid, r.ssn_id), name);
                        }
                        if let Some(tx) =
                            state.get_generic_tx(1, u16::from(cmd), &r.key(KeyKind::GenericTx))
                        {
                            tx.set_status(r.nt_status);
                            tx.response_done = true;
                            if let TxData::Create(c) = &mut tx.data {
                                c.create_ts = cr.times[0];
                                c.last_access_ts = cr.times[1];
                                c.last_write_ts = cr.times[2];
                                c.last_change_ts = cr.times[3];
                                c.size = cr.size;
                                c.guid = cr.fid.clone();
                            }
                        }
                        true
                    }
                    None => {
                        events.push("malformed_data");
                        false
                    }
                }
            } else {
                false
            }
        }
        CLOSE => {
            if let Some(fid) = state.ssn2vec.remove(&r.key(KeyKind::Guid)) {
                close_file(state, &fid, Direction::ToClient);
            }
            false
        }
        TRANS => {
            trans_response(state, r);
            true
        }
        SESSION_SETUP_ANDX => {
            session_setup_response(state, r, b);
            true
        }
        LOGOFF_ANDX => {
            tx_sync = true;
            false
        }
        _ => false,
    };
    if !have_tx && tx_sync {
        if let Some(tx) = state.get_last_tx(1, u16::from(cmd)) {
            tx.response_done = true;
            tx.set_status1(r);
            for e in events {
                tx.event(e);
            }
        }
    } else if !have_tx && checks_tx(cmd) {
        let key = Key::new(
            KeyKind::GenericTx,
            u64::from(r.ssn_id),
            u32::from(r.tree_id),
            u64::from(r.multiplex_id),
        );
        if let Some(tx) = state.get_generic_tx(1, u16::from(cmd), &key) {
            tx.request_done = true;
            tx.response_done = true;
            tx.set_status1(r);
            for e in events {
                tx.event(e);
            }
        }
    }
}

fn close_file(state: &mut SmbState, fid: &[u8], dir: Direction) {
    if let Some(tx) = state.get_file_tx(fid, dir)
        && !tx.request_done
    {
        if let Some(f) = tx.file_mut() {
            f.tracker.close();
        }
        tx.request_done = true;
        tx.response_done = true;
    }
}

fn parse_negotiate_response(b: &[u8]) -> Option<(u16, Vec<u8>)> {
    let mut c = Cursor::new(b);
    let ok = (|| {
        c.skip(1)?;
        let idx = c.u16_le()?;
        c.skip(1 + 16 + 4 + 8 + 2 + 1)?;
        let bcc = c.u16_le()?;
        let guid = if bcc >= 16 {
            c.take(16)?.to_vec()
        } else {
            Vec::new()
        };
        Some((idx, guid))
    })();
    // An error response: word count and byte count only.
    ok.or_else(|| (b.len() >= 3).then(|| (0, Vec::new())))
}

fn parse_create_request(b: &[u8], r: &Record<'_>, off: usize) -> Option<(u32, u32, Vec<u8>)> {
    let mut c = Cursor::new(b);
    c.skip(6)?;
    let name_len = c.u16_le()?;
    c.skip(28)?;
    let disposition = c.u32_le()?;
    let options = c.u32_le()?;
    c.skip(5)?;
    let bcc = c.u16_le()?;
    let name = if bcc >= name_len {
        let at = off - HEADER_SIZE + c.pos();
        get_string(c.rest(), r, at).map(|x| x.0)?
    } else {
        Vec::new()
    };
    Some((disposition, options, name))
}

struct CreateResponse {
    fid: Vec<u8>,
    times: [u32; 4],
    size: u64,
}

fn parse_create_response(b: &[u8]) -> Option<CreateResponse> {
    let mut c = Cursor::new(b);
    let wct = c.u8()?;
    c.skip(5)?;
    let fid = c.take(2)?.to_vec();
    c.skip(4)?;
    let mut times = [0u32; 4];
    for t in times.iter_mut() {
        let lo = c.u32_le()?;
        let hi = c.u32_le()?;
        let ft = u64::from(lo) | (u64::from(hi) << 32);
        *t = if ft > 116_444_736_000_000_000 {
            (ft / 10_000_000 - 11_644_473_600) as u32
        } else {
            0
        };
    }
    // Suricata's `size` here is the allocation size.
    c.skip(4)?;
    let lo = c.u32_le()?;
    let hi = c.u32_le()?;
    c.skip(8 + 5)?;
    if wct == 42 {
        c.skip(32)?;
    }
    c.u16_le()?;
    Some(CreateResponse {
        fid,
        times,
        size: u64::from(lo) | (u64::from(hi) << 32),
    })
}

fn session_setup_request(state: &mut SmbState, r: &Record<'_>, b: &[u8]) {
    let mut c = Cursor::new(b);
    let parsed = (|| {
        c.skip(15)?;
        let blob_len = c.u16_le()?;
        c.skip(10)?;
        let blob = c.take(usize::from(blob_len))?;
        Some((blob, c.rest()))
    })();
    let Some((blob, rest)) = parsed else {
        return;
    };
    let tx = state.new_sessionsetup_tx(Key::new(KeyKind::Header, 0, 0, u64::from(r.multiplex_id)));
    tx.vercmd.set_cmd(1, u16::from(r.command));
    let host = host_info(r, rest);
    let auth = super::ntlmssp::parse_secblob(blob);
    if let TxData::SessionSetup(s) = &mut tx.data {
        s.request_host = Some(host);
        if let Some(a) = auth {
            s.auth = a;
        }
    }
}

fn session_setup_response(state: &mut SmbState, r: &Record<'_>, b: &[u8]) {
    let key = Key::new(KeyKind::Header, 0, 0, u64::from(r.multiplex_id));
    let host = {
        let mut c = Cursor::new(b);
        (|| {
            c.skip(7)?;
            let blob_len = c.u16_le()?;
            c.skip(2)?;
            c.skip(usize::from(blob_len))?;
            Some(host_info(r, c.rest()))
        })()
    };
    if let Some(tx) = state.get_sessionsetup_tx(&key) {
        if let (Some(h), TxData::SessionSetup(s)) = (host, &mut tx.data) {
            s.response_host = Some(h);
        }
        tx.hdr = r.key(KeyKind::Header);
        tx.set_status1(r);
        tx.response_done = true;
    }
}

/// Parsed WRITE request: (fid, offset, length, data present).
fn parse_write<'a>(r: &Record<'a>, off: usize, cmd: u8) -> Option<(&'a [u8], u64, u32, &'a [u8])> {
    let b = block(r, off);
    let mut c = Cursor::new(b);
    match cmd {
        WRITE_ANDX => {
            let wct = c.u8()?;
            c.skip(4)?;
            let fid = c.take(2)?;
            let lo = c.u32_le()?;
            c.skip(8)?;
            let len_hi = c.u16_le()?;
            let len_lo = c.u16_le()?;
            let data_off = usize::from(c.u16_le()?);
            if data_off < 0x3c || data_off < off {
                return None;
            }
            let hi = if wct == 14 { c.u32_le()? } else { 0 };
            c.u16_le()?;
            let data = b.get(data_off - off..)?;
            let len = (u32::from(len_hi) << 16) | u32::from(len_lo);
            let data = data.get(..data.len().min(len as usize))?;
            Some((fid, (u64::from(hi) << 32) | u64::from(lo), len, data))
        }
        _ => {
            // WRITE / WRITE_AND_CLOSE: fid, count, offset, ... then data.
            c.skip(1)?;
            let fid = c.take(2)?;
            let count = c.u16_le()?;
            let offset = c.u32_le()?;
            let words = b.first().copied().unwrap_or(0);
            let mut d = Cursor::new(b.get(1 + 2 * usize::from(words)..)?);
            d.skip(2)?;
            if cmd == WRITE {
                d.skip(3)?;
            } else {
                d.skip(1)?;
            }
            let data = d.rest();
            let data = data.get(..data.len().min(usize::from(count)))?;
            Some((fid, u64::from(offset), u32::from(count), data))
        }
    }
}

fn write_request(state: &mut SmbState, r: &Record<'_>, off: usize, cmd: u8) {
    let mut events = Vec::new();
    match parse_write(r, off, cmd) {
        Some((fid, offset, len, data)) => {
            let fid = franken_fid(fid, r.ssn_id);
            let name = state
                .guid2name
                .get(&fid)
                .cloned()
                .unwrap_or_else(|| b"<unknown>".to_vec());
            let mut overlap = false;
            if let Some(idx) = state.file_tx_index(&fid, Direction::ToServer) {
                overlap |= file_offset_before(state, idx, offset);
                state.file_chunk(idx, data, offset, u64::from(len));
            } else {
                let (share, is_pipe) = match state.trees.get(&r.key(KeyKind::Share)) {
                    Some(t) => (t.name.clone(), t.is_pipe),
                    None => (Vec::new(), false),
                };
                if is_pipe {
                    let vercmd = VerCmd {
                        version: 1,
                        cmd: u16::from(cmd),
                        status: Some(super::state::Status::Nt(r.nt_status)),
                    };
                    dcerpc::write_record(state, vercmd, r.key(KeyKind::Header), data);
                } else {
                    let tx = state.new_file_tx(&fid, &name, Direction::ToServer);
                    tx.vercmd.set_cmd(1, u16::from(WRITE_ANDX));
                    if let Some(f) = tx.file_mut() {
                        f.share = share;
                    }
                    let idx = state.txs.len().saturating_sub(1);
                    state.file_chunk(idx, data, offset, u64::from(len));
                }
            }
            if overlap {
                state.set_event("file_overlap");
            }
            state.set_file_left(
                Direction::ToServer,
                u64::from(len),
                data.len() as u64,
                fid.clone(),
            );
            if cmd == WRITE_AND_CLOSE {
                close_file(state, &fid, Direction::ToServer);
            }
        }
        None => events.push("malformed_data"),
    }
    request_generic(state, r, events);
}

fn file_offset_before(state: &SmbState, idx: usize, offset: u64) -> bool {
    state.txs.get(idx).is_some_and(|t| match &t.data {
        TxData::File(f) => offset < f.tracker.tracked,
        _ => false,
    })
}

fn read_response(state: &mut SmbState, r: &Record<'_>, off: usize) {
    let mut events = Vec::new();
    if r.nt_status == STATUS_SUCCESS {
        let b = block(r, off);
        let mut c = Cursor::new(b);
        let parsed = (|| {
            let wct = c.u8()?;
            c.skip(4 + 6)?;
            let len_lo = c.u16_le()?;
            let data_off = usize::from(c.u16_le()?);
            let len_hi = c.u32_le()?;
            c.skip(6)?;
            c.u16_le()?;
            let here = off + 1 + 2 * usize::from(wct) + 2;
            if data_off > here {
                c.skip(data_off - here)?;
            }
            let len = (len_hi << 16) | u32::from(len_lo);
            Some((len, c.rest()))
        })();
        match parsed {
            Some((len, data)) => {
                let data = data.get(..data.len().min(len as usize)).unwrap_or(&[]);
                let Some((fid, offset)) = state.read_offsets.remove(&r.key(KeyKind::Offset)) else {
                    state.set_skip(Direction::ToClient, u64::from(len), data.len() as u64);
                    return;
                };
                let (is_pipe, share) = match state.trees.get(&r.key(KeyKind::Share)) {
                    Some(t) => (t.is_pipe, t.name.clone()),
                    None => (false, Vec::new()),
                };
                if !is_pipe {
                    let name = state.guid2name.get(&fid).cloned().unwrap_or_default();
                    let mut overlap = false;
                    if let Some(idx) = state.file_tx_index(&fid, Direction::ToClient) {
                        overlap |= file_offset_before(state, idx, offset);
                        state.file_chunk(idx, data, offset, u64::from(len));
                    } else {
                        let tx = state.new_file_tx(&fid, &name, Direction::ToClient);
                        tx.vercmd.set_cmd(1, u16::from(READ_ANDX));
                        if let Some(f) = tx.file_mut() {
                            f.share = share;
                        }
                        let idx = state.txs.len().saturating_sub(1);
                        state.file_chunk(idx, data, offset, u64::from(len));
                    }
                    if overlap {
                        state.set_event("file_overlap");
                    }
                } else {
                    let pure = fid.get(..2).unwrap_or(&[]).to_vec();
                    dcerpc::read_record(
                        state,
                        VerCmd::smb1(READ_ANDX),
                        r.key(KeyKind::Header),
                        &pure,
                        data,
                    );
                }
                state.set_file_left(Direction::ToClient, u64::from(len), data.len() as u64, fid);
            }
            None => events.push("malformed_data"),
        }
    }
    response_generic(state, r, events);
}

fn trans_request(state: &mut SmbState, r: &Record<'_>) {
    let mut events = Vec::new();
    let b = r.data;
    let mut c = Cursor::new(b);
    let parsed = (|| {
        c.skip(1 + 8)?;
        c.skip(1 + 1 + 2 + 4 + 2)?;
        let _param_cnt = c.u16_le()?;
        let _param_off = c.u16_le()?;
        let data_cnt = c.u16_le()?;
        let data_off = c.u16_le()?;
        let setup_cnt = c.u8()?;
        c.skip(1)?;
        let setup = c.take(usize::from(setup_cnt) * 2)?;
        c.skip(2)?;
        let data: &[u8] = if data_cnt == 0 {
            &[]
        } else {
            let d = b.get(usize::from(data_off).checked_sub(HEADER_SIZE)?..)?;
            d.get(..usize::from(data_cnt))?
        };
        let fid = if setup_cnt == 2 {
            setup.get(2..4)
        } else {
            None
        };
        Some((fid, data))
    })();
    match parsed {
        Some((fid, data)) => {
            let mut pipe_dcerpc = false;
            if let Some(fid) = fid {
                state.ssn2vec.insert(r.key(KeyKind::Guid), fid.to_vec());
                pipe_dcerpc = state.service_for_guid(&franken_fid(fid, r.ssn_id)).1;
            }
            if pipe_dcerpc {
                dcerpc::write_record(state, VerCmd::smb1(r.command), r.key(KeyKind::Header), data);
            }
        }
        None => events.push("malformed_data"),
    }
    request_generic(state, r, events);
}

fn trans_response(state: &mut SmbState, r: &Record<'_>) {
    let mut events = Vec::new();
    let b = r.data;
    let mut c = Cursor::new(b);
    let parsed = (|| {
        let wct = c.u8()?;
        c.skip(2 + 2 + 2 + 2 + 2 + 2)?;
        let data_cnt = c.u16_le()?;
        let data_off = c.u16_le()?;
        c.skip(2 + 1 + 1 + 2 + 1)?;
        let base = 36 + 2 * usize::from(wct);
        if usize::from(data_off) > base {
            c.skip(usize::from(data_off) - base)?;
        }
        c.take(usize::from(data_cnt))
    })();
    match parsed {
        Some(data) => {
            let fid = state
                .ssn2vec
                .remove(&r.key(KeyKind::Guid))
                .unwrap_or_default();
            let is_dcerpc = state.service_for_guid(&franken_fid(&fid, r.ssn_id)).1;
            if r.nt_status == STATUS_BUFFER_OVERFLOW {
                let key = (r.key(KeyKind::TransFrag), fid);
                let mut v = state.frag_cache.remove(&key).unwrap_or_default();
                if v.len() + data.len() <= super::MAX_RECORD {
                    v.extend_from_slice(data);
                }
                state.frag_cache.insert(key, v);
            } else if is_dcerpc {
                let vercmd = VerCmd {
                    version: 1,
                    cmd: u16::from(r.command),
                    status: Some(super::state::Status::Nt(r.nt_status)),
                };
                dcerpc::read_record(state, vercmd, r.key(KeyKind::Header), &fid, data);
            }
        }
        None => events.push("malformed_data"),
    }
    response_generic(state, r, events);
}

/// A generic transaction for a request when its command makes one, or to
/// carry events.
fn request_generic(state: &mut SmbState, r: &Record<'_>, events: Vec<&'static str>) {
    if creates_tx(r.command) || !events.is_empty() {
        let tx = state.new_generic_tx(1, u16::from(r.command), r.key(KeyKind::GenericTx));
        for e in events {
            tx.event(e);
        }
    }
}

/// Completes the generic transaction of a response (one is made to carry
/// events when there is none).
fn response_generic(state: &mut SmbState, r: &Record<'_>, events: Vec<&'static str>) {
    let key = r.key(KeyKind::GenericTx);
    if let Some(tx) = state.get_generic_tx(1, u16::from(r.command), &key) {
        tx.request_done = true;
        tx.response_done = true;
        tx.set_status1(r);
        for e in events {
            tx.event(e);
        }
        return;
    }
    if !events.is_empty() {
        let tx = state.new_generic_tx(1, u16::from(r.command), key);
        tx.request_done = true;
        tx.response_done = true;
        tx.set_status1(r);
        for e in events {
            tx.event(e);
        }
    }
}

/// The start of a long WRITE_ANDX request / READ_ANDX response: handled
/// now, its data streamed. Returns true when it was.
pub(crate) fn partial(state: &mut SmbState, dir: Direction, r: &Record<'_>) -> bool {
    let is_pipe = state
        .trees
        .get(&Key::new(
            KeyKind::Share,
            u64::from(r.ssn_id),
            u32::from(r.tree_id),
            0,
        ))
        .is_some_and(|t| t.is_pipe);
    match (dir, r.command) {
        (Direction::ToServer, WRITE_ANDX) if !is_pipe => {
            write_request(state, r, HEADER_SIZE, WRITE_ANDX);
            true
        }
        (Direction::ToClient, READ_ANDX) if !is_pipe => {
            read_response(state, r, HEADER_SIZE);
            true
        }
        _ => false,
    }
}
