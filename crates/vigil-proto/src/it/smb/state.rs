//! Per-flow SMB state: the open transactions, the maps that tie requests to
//! responses and file ids to names, file tracking, and the anomaly events.
//!
//! Transactions are numbered from 1 (Suricata's `smb.id`; its `tx_id` is
//! one less). One is finished when both its request and its response side
//! are done; finished ones leave the state at the next flush, in id order,
//! as records.

use std::collections::{HashMap, VecDeque};
use std::hash::Hash;

use super::dcerpc::{DcerpcTx, Iface};
use super::eve::{FileInfoRecord, FileState, SmbRecord};
use super::ntlmssp::AuthInfo;
use crate::{AppProto, Direction, ParseOutput};

/// Open transactions kept per flow; past it the oldest is finished early.
pub(crate) const MAX_TXS: usize = 512;
/// Entries kept per lookup map (names, trees, read offsets, ...).
const MAX_MAP_ENTRIES: usize = 4096;
/// Bytes of one name (file, share, pipe) kept.
pub(crate) const MAX_NAME: usize = 1024;
/// Out-of-order file chunks queued per file before the file is truncated.
const MAX_QUEUED_BYTES: u64 = 2_000_000;
/// Out-of-order chunks queued per file.
const MAX_QUEUED_CHUNKS: usize = 64;
/// File bytes kept per file for `file.data`, and per flow in total.
const MAX_FILE_DATA: usize = 256 * 1024;
const MAX_FLOW_FILE_DATA: usize = 4 * 1024 * 1024;
/// Stub data bytes kept per DCERPC transaction direction (sizes still count).
pub(crate) const MAX_STUB_DATA: usize = 64 * 1024;
/// Seconds a file transaction left open by a gap waits for more data.
const POST_GAP_WAIT: u64 = 60;

/// What a lookup key is for (Suricata's `SMBHDR_TYPE_*`), so keys of
/// different maps never mix.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub(crate) enum KeyKind {
    #[default]
    None,
    Guid,
    Share,
    Filename,
    Offset,
    GenericTx,
    Header,
    TransFrag,
    Tree,
    Dcerpc,
}

/// Session, tree and message ids of a record, as a lookup key.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub(crate) struct Key {
    pub kind: KeyKind,
    pub ssn: u64,
    pub tree: u32,
    pub msg: u64,
}

impl Key {
    pub fn new(kind: KeyKind, ssn: u64, tree: u32, msg: u64) -> Key {
        Key {
            kind,
            ssn,
            tree,
            msg,
        }
    }
    /// Equal kind, session and message (the tree id is left out: async
    /// responses carry none).
    pub fn same(&self, other: &Key) -> bool {
        self.kind == other.kind && self.ssn == other.ssn && self.msg == other.msg
    }
}

/// A map with a bounded number of entries; the oldest insert goes first.
pub(crate) struct BoundedMap<K, V> {
    map: HashMap<K, V>,
    order: VecDeque<K>,
}

impl<K: Eq + Hash + Clone, V> Default for BoundedMap<K, V> {
    fn default() -> Self {
        BoundedMap {
            map: HashMap::new(),
            order: VecDeque::new(),
        }
    }
}

impl<K: Eq + Hash + Clone, V> BoundedMap<K, V> {
    pub fn insert(&mut self, k: K, v: V) {
        if self.map.insert(k.clone(), v).is_none() {
            self.order.push_back(k);
        }
        while self.map.len() > MAX_MAP_ENTRIES {
            match self.order.pop_front() {
                Some(old) => {
                    self.map.remove(&old);
                }
                None => break,
            }
        }
        // Keys removed since they were queued linger in `order`: compact.
        if self.order.len() > 2 * MAX_MAP_ENTRIES {
            let map = &self.map;
            self.order.retain(|k| map.contains_key(k));
        }
    }
    pub fn get(&self, k: &K) -> Option<&V> {
        self.map.get(k)
    }
    pub fn remove(&mut self, k: &K) -> Option<V> {
        self.map.remove(k)
    }
}

/// SMB version, command and status of a transaction (Suricata's
/// `SMBVerCmdStat`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct VerCmd {
    /// 0 unset, 1 or 2.
    pub version: u8,
    pub cmd: u16,
    pub status: Option<Status>,
}

/// A transaction's status: an NT status, or an SMB1 DOS error.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Status {
    Nt(u32),
    Dos { class: u8, code: u16 },
}

impl VerCmd {
    pub fn smb1(cmd: u8) -> VerCmd {
        VerCmd {
            version: 1,
            cmd: u16::from(cmd),
            status: None,
        }
    }
    pub fn smb2(cmd: u16) -> VerCmd {
        VerCmd {
            version: 2,
            cmd,
            status: None,
        }
    }
    pub fn smb2_status(cmd: u16, status: u32) -> VerCmd {
        VerCmd {
            version: 2,
            cmd,
            status: Some(Status::Nt(status)),
        }
    }
    /// Sets the command once (later calls keep the first).
    pub fn set_cmd(&mut self, version: u8, cmd: u16) {
        if self.version == 0 {
            self.version = version;
            self.cmd = cmd;
        }
    }
    pub fn nt_status(&self) -> u32 {
        match self.status {
            Some(Status::Nt(s)) => s,
            _ => 0,
        }
    }
}

/// A file transferred by READs (to the client) or WRITEs (to the server).
#[derive(Debug, Default)]
pub(crate) struct FileTx {
    pub direction: Option<Direction>,
    pub fuid: Vec<u8>,
    pub name: Vec<u8>,
    pub share: Vec<u8>,
    pub tracker: FileTracker,
    /// After a gap: the time (seconds) past which the file is given up.
    pub post_gap_ts: u64,
}

/// Tracks the bytes of one file arriving as offset-addressed chunks.
#[derive(Debug, Default)]
pub(crate) struct FileTracker {
    /// A file was opened (first chunk seen).
    pub opened: bool,
    pub closed: bool,
    pub state: Option<FileState>,
    pub gaps: bool,
    /// Contiguous bytes handed to the file.
    pub tracked: u64,
    /// Bytes of the current chunk still to come.
    chunk_left: u64,
    /// The current chunk is out of order: it goes to `queue`.
    chunk_ooo: bool,
    ooo_offset: u64,
    queue: Vec<(u64, Vec<u8>)>,
    queued: u64,
    /// The first bytes of the file (for `file.data`).
    pub data: Vec<u8>,
    /// The fileinfo record was written.
    pub logged: bool,
}

impl FileTracker {
    /// Starts a chunk of `size` bytes at `offset`; `data` is its start.
    /// Returns how many bytes of `data` were used.
    pub fn new_chunk(&mut self, data: &[u8], offset: u64, size: u64, budget: &mut usize) -> usize {
        if self.chunk_left != 0 {
            // The previous chunk never completed.
            self.trunc();
        }
        self.chunk_ooo = offset != self.tracked;
        self.ooo_offset = offset;
        self.chunk_left = size;
        if self.closed {
            return 0;
        }
        self.opened = true;
        self.update(data, 0, budget)
    }

    /// Feeds the rest of the current chunk (`gap` > 0: that many bytes are
    /// missing and `data` is empty). Returns the bytes used.
    pub fn update(&mut self, data: &[u8], gap: u64, budget: &mut usize) -> usize {
        if self.chunk_left == 0 {
            return 0;
        }
        let take = if gap > 0 {
            gap.min(self.chunk_left)
        } else {
            (data.len() as u64).min(self.chunk_left)
        };
        self.chunk_left -= take;
        let used = if gap > 0 { 0 } else { take as usize };
        if self.closed {
            return used;
        }
        let bytes = data.get(..used).unwrap_or(&[]);
        if gap > 0 {
            self.gaps = true;
        }
        if self.chunk_ooo {
            if gap == 0 {
                if self.queue.len() >= MAX_QUEUED_CHUNKS || self.queued + take > MAX_QUEUED_BYTES {
                    self.trunc();
                    return used;
                }
                match self.queue.iter_mut().find(|(o, _)| *o == self.ooo_offset) {
                    Some((_, v)) => v.extend_from_slice(bytes),
                    None => self.queue.push((self.ooo_offset, bytes.to_vec())),
                }
                self.queued += take;
            }
        } else {
            self.append(bytes, take, budget);
        }
        if self.chunk_left == 0 {
            self.flush_queue(budget);
        }
        used
    }

    fn append(&mut self, bytes: &[u8], len: u64, budget: &mut usize) {
        self.tracked += len;
        let room = MAX_FILE_DATA.saturating_sub(self.data.len()).min(*budget);
        let keep = bytes.get(..room.min(bytes.len())).unwrap_or(&[]);
        self.data.extend_from_slice(keep);
        *budget -= keep.len();
    }

    /// Appends queued chunks that became contiguous.
    fn flush_queue(&mut self, budget: &mut usize) {
        while let Some(i) = self.queue.iter().position(|(o, _)| *o == self.tracked) {
            let (_, v) = self.queue.swap_remove(i);
            self.queued = self.queued.saturating_sub(v.len() as u64);
            if v.is_empty() {
                break;
            }
            self.append(&v, v.len() as u64, budget);
        }
    }

    /// Bytes queued out of order.
    pub fn queued_bytes(&self) -> u64 {
        self.queued
    }

    /// Closes the file normally (queued chunks that never joined are lost).
    pub fn close(&mut self) {
        if self.opened && !self.closed {
            self.closed = true;
            self.state = Some(if self.queue.is_empty() {
                FileState::Closed
            } else {
                FileState::Truncated
            });
        }
        self.queue = Vec::new();
        self.queued = 0;
    }

    /// Gives the file up.
    pub fn trunc(&mut self) {
        if self.opened && !self.closed {
            self.closed = true;
            self.state = Some(FileState::Truncated);
        }
        self.chunk_left = 0;
        self.queue = Vec::new();
        self.queued = 0;
    }
}

/// A tree connect.
#[derive(Debug, Default, Clone)]
pub(crate) struct TreeConnectTx {
    pub is_pipe: bool,
    pub share_type: u8,
    pub share_name: Vec<u8>,
    /// SMB1 service strings.
    pub req_service: Option<Vec<u8>>,
    pub res_service: Option<Vec<u8>>,
}

/// A protocol negotiation.
#[derive(Debug, Default, Clone)]
pub(crate) struct NegotiateTx {
    pub smb_ver: u8,
    pub dialects: Vec<Vec<u8>>,
    pub client_guid: Option<Vec<u8>>,
    pub server_guid: Vec<u8>,
}

/// A CREATE / NT_CREATE_ANDX.
#[derive(Debug, Default, Clone)]
pub(crate) struct CreateTx {
    pub disposition: u32,
    pub delete_on_close: bool,
    pub directory: bool,
    pub filename: Vec<u8>,
    pub guid: Vec<u8>,
    pub create_ts: u32,
    pub last_access_ts: u32,
    pub last_write_ts: u32,
    pub last_change_ts: u32,
    pub size: u64,
}

/// Native OS and LAN manager strings of an SMB1 session setup.
#[derive(Debug, Default, Clone)]
pub(crate) struct SessionHost {
    pub native_os: Vec<u8>,
    pub native_lm: Vec<u8>,
}

/// A session setup.
#[derive(Debug, Default, Clone)]
pub(crate) struct SessionSetupTx {
    pub auth: AuthInfo,
    pub request_host: Option<SessionHost>,
    pub response_host: Option<SessionHost>,
}

/// A rename (SMB2 SET_INFO rename, SMB1 RENAME / TRANS2).
#[derive(Debug, Default, Clone)]
pub(crate) struct RenameTx {
    pub oldname: Vec<u8>,
    pub newname: Vec<u8>,
    pub fuid: Vec<u8>,
}

/// A set disposition (delete on close) by SET_INFO or TRANS2.
#[derive(Debug, Default, Clone)]
pub(crate) struct SetInfoTx {
    pub subcmd: u16,
    pub loi: u16,
    pub delete_on_close: bool,
    pub filename: Vec<u8>,
    pub fid: Vec<u8>,
}

/// Command-specific content of a transaction.
#[derive(Debug, Default)]
pub(crate) enum TxData {
    /// A request/response pair with nothing more to log.
    #[default]
    Generic,
    File(Box<FileTx>),
    TreeConnect(TreeConnectTx),
    Negotiate(NegotiateTx),
    Dcerpc(Box<DcerpcTx>),
    Create(Box<CreateTx>),
    SessionSetup(Box<SessionSetupTx>),
    Ioctl(u32),
    Rename(RenameTx),
    SetInfo(SetInfoTx),
}

/// One SMB transaction.
#[derive(Debug, Default)]
pub(crate) struct SmbTx {
    /// 1-based.
    pub id: u64,
    pub vercmd: VerCmd,
    pub hdr: Key,
    pub request_done: bool,
    pub response_done: bool,
    pub data: TxData,
    /// Anomalies raised on it (each name once).
    pub events: Vec<&'static str>,
}

impl SmbTx {
    pub fn set_status(&mut self, status: u32) {
        self.vercmd.status = Some(Status::Nt(status));
    }
    pub fn set_dos_status(&mut self, class: u8, code: u16) {
        self.vercmd.status = Some(Status::Dos { class, code });
    }
    pub fn event(&mut self, name: &'static str) {
        if !self.events.contains(&name) {
            self.events.push(name);
        }
    }
    pub fn file_mut(&mut self) -> Option<&mut FileTx> {
        match &mut self.data {
            TxData::File(f) => Some(f),
            _ => None,
        }
    }
    pub fn dcerpc_mut(&mut self) -> Option<&mut DcerpcTx> {
        match &mut self.data {
            TxData::Dcerpc(d) => Some(d),
            _ => None,
        }
    }
}

/// A tree: its share name and whether it is IPC$ (pipes).
#[derive(Debug, Clone, Default)]
pub(crate) struct Tree {
    pub name: Vec<u8>,
    pub is_pipe: bool,
}

/// Per-direction stream bookkeeping shared with the record handlers.
#[derive(Debug, Default)]
pub(crate) struct DirFlags {
    /// Bytes of a record to skip.
    pub skip: u64,
    /// Bytes of file data of the current READ/WRITE still to come.
    pub file_left: u64,
    pub file_guid: Vec<u8>,
    /// Resync: look for the next record start.
    pub gap: bool,
    /// A gap was seen in this direction at some point.
    pub ssn_gap: bool,
    /// No more data will come.
    pub trunc: bool,
}

/// The SMB state of one flow.
#[derive(Default)]
pub(crate) struct SmbState {
    /// File name / GUID by request key (Suricata's `ssn2vec_map`).
    pub ssn2vec: BoundedMap<Key, Vec<u8>>,
    /// File name by file id.
    pub guid2name: BoundedMap<Vec<u8>, Vec<u8>>,
    /// File id and offset of a READ request, by its key.
    pub read_offsets: BoundedMap<Key, (Vec<u8>, u64)>,
    /// Trees by session/tree key.
    pub trees: BoundedMap<Key, Tree>,
    /// Partial DCERPC records read from a pipe (SMB2 BUFFER_OVERFLOW).
    pub frag_cache: BoundedMap<(Key, Vec<u8>), Vec<u8>>,
    pub txs: VecDeque<SmbTx>,
    /// Last transaction id handed out.
    pub tx_id: u64,
    /// SMB2 dialect, 0 when unset or SMB1.
    pub dialect: u16,
    /// SMB1 dialect name.
    pub dialect_vec: Option<Vec<u8>>,
    /// Interfaces of the last DCERPC BIND.
    pub ifaces: Option<Vec<Iface>>,
    pub max_read_size: u32,
    pub max_write_size: u32,
    pub dirs: [DirFlags; 2],
    /// Flow time (seconds) of the last update.
    pub now: u64,
    check_post_gap_files: bool,
    /// Flow-wide budget of kept `file.data` bytes.
    pub file_data_budget: usize,
    /// Events raised with no transaction to carry them.
    pub pending_events: Vec<&'static str>,
}

impl SmbState {
    pub fn new() -> SmbState {
        SmbState {
            file_data_budget: MAX_FLOW_FILE_DATA,
            ..Default::default()
        }
    }

    pub fn dir(&mut self, d: Direction) -> &mut DirFlags {
        match d {
            Direction::ToServer => &mut self.dirs[0],
            Direction::ToClient => &mut self.dirs[1],
        }
    }

    /// A new transaction, appended. Past [`MAX_TXS`] open ones, the oldest
    /// is finished early.
    pub fn new_tx(&mut self) -> &mut SmbTx {
        if self.txs.len() >= MAX_TXS
            && let Some(old) = self
                .txs
                .iter_mut()
                .find(|t| !(t.request_done && t.response_done))
        {
            old.request_done = true;
            old.response_done = true;
            if let Some(f) = old.file_mut() {
                f.tracker.trunc();
            }
            old.event("too_many_transactions");
        }
        self.tx_id += 1;
        let tc_trunc = self.dirs[1].trunc;
        self.txs.push_back(SmbTx {
            id: self.tx_id,
            response_done: tc_trunc,
            ..Default::default()
        });
        match self.txs.back_mut() {
            Some(t) => t,
            None => unreachable_tx(),
        }
    }

    /// Raises `name` on the newest transaction (as Suricata does).
    pub fn set_event(&mut self, name: &'static str) {
        match self.txs.back_mut() {
            Some(tx) => tx.event(name),
            None => {
                if !self.pending_events.contains(&name) && self.pending_events.len() < 16 {
                    self.pending_events.push(name);
                }
            }
        }
    }

    pub fn new_generic_tx(&mut self, version: u8, cmd: u16, key: Key) -> &mut SmbTx {
        let tx = self.new_tx();
        tx.vercmd.set_cmd(version, cmd);
        tx.request_done = true;
        tx.hdr = key;
        tx
    }

    pub fn get_generic_tx(&mut self, version: u8, cmd: u16, key: &Key) -> Option<&mut SmbTx> {
        self.txs
            .iter_mut()
            .find(|t| t.vercmd.version == version && t.vercmd.cmd == cmd && t.hdr.same(key))
    }

    /// The newest transaction if it has this version and command.
    pub fn get_last_tx(&mut self, version: u8, cmd: u16) -> Option<&mut SmbTx> {
        self.txs
            .back_mut()
            .filter(|t| t.vercmd.version == version && t.vercmd.cmd == cmd)
    }

    pub fn new_negotiate_tx(&mut self, smb_ver: u8) -> &mut SmbTx {
        let tx = self.new_tx();
        tx.vercmd
            .set_cmd(smb_ver, if smb_ver == 1 { 0x72 } else { 0 });
        tx.data = TxData::Negotiate(NegotiateTx {
            smb_ver,
            ..Default::default()
        });
        tx.request_done = true;
        tx
    }

    pub fn get_negotiate_tx(&mut self, smb_ver: u8) -> Option<&mut SmbTx> {
        self.txs
            .iter_mut()
            .find(|t| matches!(&t.data, TxData::Negotiate(n) if n.smb_ver == smb_ver))
    }

    pub fn new_treeconnect_tx(&mut self, key: Key, name: Vec<u8>) -> &mut SmbTx {
        let tx = self.new_tx();
        tx.hdr = key;
        tx.data = TxData::TreeConnect(TreeConnectTx {
            share_name: name,
            ..Default::default()
        });
        tx.request_done = true;
        tx
    }

    pub fn get_treeconnect_tx(&mut self, key: &Key) -> Option<&mut SmbTx> {
        self.txs
            .iter_mut()
            .find(|t| t.hdr.same(key) && matches!(t.data, TxData::TreeConnect(_)))
    }

    pub fn new_create_tx(&mut self, create: CreateTx, key: Key) -> &mut SmbTx {
        let tx = self.new_tx();
        tx.hdr = key;
        tx.data = TxData::Create(Box::new(create));
        tx.request_done = true;
        tx
    }

    pub fn new_sessionsetup_tx(&mut self, key: Key) -> &mut SmbTx {
        let tx = self.new_tx();
        tx.hdr = key;
        tx.data = TxData::SessionSetup(Box::default());
        tx.request_done = true;
        tx
    }

    pub fn get_sessionsetup_tx(&mut self, key: &Key) -> Option<&mut SmbTx> {
        self.txs
            .iter_mut()
            .find(|t| matches!(t.data, TxData::SessionSetup(_)) && t.hdr.same(key))
    }

    pub fn new_file_tx(&mut self, fuid: &[u8], name: &[u8], direction: Direction) -> &mut SmbTx {
        let tx = self.new_tx();
        tx.data = TxData::File(Box::new(FileTx {
            direction: Some(direction),
            fuid: fuid.to_vec(),
            name: name.to_vec(),
            ..Default::default()
        }));
        tx
    }

    pub fn get_file_tx(&mut self, fuid: &[u8], direction: Direction) -> Option<&mut SmbTx> {
        self.txs.iter_mut().find(|t| {
            matches!(&t.data, TxData::File(f) if f.direction == Some(direction) && f.fuid == fuid)
        })
    }

    /// Index of the file transaction of `fuid` in `direction`.
    pub fn file_tx_index(&self, fuid: &[u8], direction: Direction) -> Option<usize> {
        self.txs.iter().position(|t| {
            matches!(&t.data, TxData::File(f) if f.direction == Some(direction) && f.fuid == fuid)
        })
    }

    /// Service of a pipe opened as `guid`: (name, is DCERPC).
    pub fn service_for_guid(&self, guid: &[u8]) -> (&'static str, bool) {
        let Some(n) = self.guid2name.get(&guid.to_vec()) else {
            return ("UNKNOWN", false);
        };
        let s = match n.split_first() {
            Some((b'\\', rest)) if n.len() > 1 => rest,
            _ => n.as_slice(),
        };
        match std::str::from_utf8(s) {
            Ok("PSEXESVC") => ("PSEXESVC", false),
            Ok("svcctl") => ("svcctl", true),
            Ok("srvsvc") => ("srvsvc", true),
            Ok("atsvc") => ("atsvc", true),
            Ok("lsarpc") => ("lsarpc", true),
            Ok("samr") => ("samr", true),
            Ok("spoolss") => ("spoolss", true),
            Ok("winreg") => ("winreg", true),
            Ok("suricata::dcerpc") => ("unknown", true),
            Err(_) => ("MALFORMED", false),
            Ok(_) => ("UNKNOWN", false),
        }
    }

    /// Feeds a new chunk of file data to the file transaction at `idx`.
    pub fn file_chunk(&mut self, idx: usize, data: &[u8], offset: u64, size: u64) {
        let budget = &mut self.file_data_budget;
        if let Some(f) = self.txs.get_mut(idx).and_then(|t| t.file_mut()) {
            f.tracker.new_chunk(data, offset, size, budget);
        }
    }

    /// Remembers how much of the current READ/WRITE record's file data is
    /// still to come (it is streamed, not buffered).
    pub fn set_file_left(&mut self, d: Direction, rec_size: u64, data_size: u64, fuid: Vec<u8>) {
        let dir = self.dir(d);
        dir.file_left = rec_size.saturating_sub(data_size);
        dir.file_guid = fuid;
    }

    /// Skips the rest of a record whose start was `data_size` bytes.
    pub fn set_skip(&mut self, d: Direction, rec_size: u64, data_size: u64) {
        self.dir(d).skip = rec_size.saturating_sub(data_size);
    }

    /// Streams `data` (or a gap of `gap` bytes) into the file of the READ /
    /// WRITE in progress. Returns the bytes of `data` it took.
    pub fn file_update(&mut self, d: Direction, data: &[u8], gap: u64) -> usize {
        let dir = self.dir(d);
        if dir.file_left == 0 {
            return 0;
        }
        let avail = if gap > 0 { gap } else { data.len() as u64 };
        let n = avail.min(dir.file_left);
        dir.file_left -= n;
        let guid = dir.file_guid.clone();
        let ssn_gap = self.dirs[0].ssn_gap || self.dirs[1].ssn_gap;
        let budget = &mut self.file_data_budget;
        // As Suricata: without a file transaction the count still runs down
        // but nothing is consumed (a skip may be eating the same bytes).
        let mut found = false;
        if let Some(f) = self.txs.iter_mut().find_map(|t| match &mut t.data {
            TxData::File(f) if f.direction == Some(d) && f.fuid == guid => Some(f),
            _ => None,
        }) {
            if ssn_gap && f.tracker.queued_bytes() > MAX_QUEUED_BYTES {
                f.tracker.trunc();
            }
            found = true;
            f.post_gap_ts = 0;
            let part = data.get(..n as usize).unwrap_or(&[]);
            if gap > 0 {
                f.tracker.update(&[], n, budget);
            } else {
                f.tracker.update(part, 0, budget);
            }
        }
        if gap > 0 || !found { 0 } else { n as usize }
    }

    /// After a gap in `d`, non-file transactions are done on that side; file
    /// transactions get a minute to see more data.
    pub fn post_gap_housekeeping(&mut self, d: Direction) {
        let ssn_gap = self.dir(d).ssn_gap;
        if !ssn_gap {
            return;
        }
        let last = self.tx_id;
        let now = self.now;
        let mut files = false;
        for tx in self.txs.iter_mut() {
            if tx.id >= last {
                break;
            }
            if let Some(f) = tx.file_mut() {
                if f.post_gap_ts == 0 {
                    f.post_gap_ts = now + POST_GAP_WAIT;
                    files = true;
                }
            } else {
                tx.request_done = true;
                if d == Direction::ToClient {
                    tx.response_done = true;
                }
            }
        }
        if files {
            self.check_post_gap_files = true;
        }
    }

    /// Gives up file transactions that saw no data for a minute after a gap.
    pub fn post_gap_files(&mut self) {
        if !self.check_post_gap_files {
            return;
        }
        let now = self.now;
        let mut waiting = false;
        for tx in self.txs.iter_mut() {
            let mut expire = false;
            if let Some(f) = tx.file_mut()
                && f.post_gap_ts > 0
            {
                if now > f.post_gap_ts {
                    f.tracker.trunc();
                    expire = true;
                } else {
                    waiting = true;
                }
            }
            if expire {
                tx.request_done = true;
                tx.response_done = true;
            }
        }
        self.check_post_gap_files = waiting;
    }

    /// No more data in `d`: open transactions are done on that side.
    pub fn trunc(&mut self, d: Direction) {
        self.dir(d).trunc = true;
        for tx in self.txs.iter_mut() {
            match d {
                Direction::ToServer => tx.request_done = true,
                Direction::ToClient => tx.response_done = true,
            }
        }
    }

    /// Writes the fileinfo records of closed files and the records of
    /// finished transactions, in transaction order, and drops the latter.
    /// `all`: flow end, everything goes (open files as truncated).
    pub fn flush(&mut self, out: &mut ParseOutput, all: bool) {
        for ev in self.pending_events.drain(..) {
            out.event(AppProto::Smb, ev);
        }
        if self.txs.is_empty() {
            return;
        }
        let mut i = 0;
        while i < self.txs.len() {
            let Some(tx) = self.txs.get_mut(i) else { break };
            if all && let Some(f) = tx.file_mut() {
                f.tracker.trunc();
            }
            let done = all || (tx.request_done && tx.response_done);
            let tx_id = tx.id.saturating_sub(1);
            for ev in tx.events.drain(..) {
                out.tx_event(AppProto::Smb, ev, tx_id);
            }
            let file_ready = match &tx.data {
                TxData::File(f) => f.tracker.closed && f.tracker.opened && !f.tracker.logged,
                _ => false,
            };
            if file_ready {
                let rec = FileInfoRecord::new(self, i);
                if let Some(r) = rec {
                    out.tx(r);
                }
                if let Some(f) = self.txs.get_mut(i).and_then(|t| t.file_mut()) {
                    f.tracker.logged = true;
                    // The data went with the fileinfo record's transaction.
                }
            }
            if done {
                if let Some(tx) = self.txs.remove(i) {
                    out.tx(SmbRecord::new(self, tx));
                }
            } else {
                i += 1;
            }
        }
    }
}

#[cold]
fn unreachable_tx() -> ! {
    // `push_back` was just called: the deque is not empty.
    panic!("transaction list empty after push")
}

/// Keeps at most [`MAX_NAME`] bytes of a name.
pub(crate) fn cap_name(mut v: Vec<u8>) -> Vec<u8> {
    v.truncate(MAX_NAME);
    v
}

/// Removes the NUL bytes of a (UTF-16LE) name, as Suricata does.
pub(crate) fn strip_nul(v: &[u8]) -> Vec<u8> {
    let mut o: Vec<u8> = v.iter().copied().filter(|&b| b != 0).collect();
    o.truncate(MAX_NAME);
    o
}
