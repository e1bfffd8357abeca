//! SMB1 (MS-CIFS, MS-SMB): the 32-byte header, AndX chains, and the
//! commands that make transactions.

use super::state::{Key, KeyKind, SmbState};
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
    pub user_id: u16,
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
        user_id,
        multiplex_id,
        ssn_id: (u32::from(pid) << 16) | u32::from(user_id),
        data: c.rest(),
    })
}

/// A request record.
pub(crate) fn request(state: &mut SmbState, r: &Record<'_>) {
    let _ = (state, r);
}

/// A response record.
pub(crate) fn response(state: &mut SmbState, r: &Record<'_>) {
    let _ = (state, r);
}

/// The start of a long WRITE_ANDX request / READ_ANDX response: handled
/// now, its data streamed. Returns true when it was.
pub(crate) fn partial(state: &mut SmbState, dir: Direction, r: &Record<'_>) -> bool {
    let _ = (state, dir, r);
    false
}
