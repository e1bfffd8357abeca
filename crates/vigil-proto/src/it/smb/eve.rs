//! The EVE `smb` and `fileinfo` records, and the rule buffers of an SMB
//! transaction.

use super::dcerpc::{self, DCERPC_BIND, DCERPC_REQUEST, DCERPC_RESPONSE, Iface};
use super::smb1;
use super::smb2;
use super::state::{FileTx, SmbState, SmbTx, Status, TxData};
use super::status::{dos_error_name, fsctl_name, nt_status_name, srv_error_name};
use crate::{Direction, Transaction};
use vigil_eve::JsonWriter;

/// How a file transfer ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FileState {
    Closed,
    Truncated,
}

/// Flow-level values a record shows next to its transaction.
#[derive(Clone, Debug, Default)]
struct Context {
    dialect: String,
    max_read_size: u32,
    max_write_size: u32,
    /// The flow's DCERPC interfaces (DCERPC transactions only).
    ifaces: Option<Vec<Iface>>,
}

impl Context {
    fn new(state: &SmbState, tx: &SmbTx) -> Context {
        let dialect = if state.dialect != 0 {
            smb2::dialect_name(state.dialect)
        } else {
            match &state.dialect_vec {
                Some(d) => std::str::from_utf8(d).unwrap_or("invalid").to_string(),
                None => "unknown".to_string(),
            }
        };
        Context {
            dialect,
            max_read_size: state.max_read_size,
            max_write_size: state.max_write_size,
            ifaces: match tx.data {
                TxData::Dcerpc(_) => state.ifaces.clone(),
                _ => None,
            },
        }
    }
}

/// A finished SMB transaction: the `smb` record.
pub struct SmbRecord {
    ctx: Context,
    tx: SmbTx,
}

impl SmbRecord {
    pub(crate) fn new(state: &SmbState, tx: SmbTx) -> SmbRecord {
        SmbRecord {
            ctx: Context::new(state, &tx),
            tx,
        }
    }

    /// The transaction id as Suricata numbers it (`smb.id` - 1).
    pub fn suricata_tx_id(&self) -> u64 {
        self.tx.id.saturating_sub(1)
    }

    fn accepted_ifaces(&self) -> impl Iterator<Item = &Iface> {
        let is_request =
            matches!(&self.tx.data, TxData::Dcerpc(d) if d.req_set && d.req_cmd == DCERPC_REQUEST);
        self.ctx
            .ifaces
            .iter()
            .flatten()
            .filter(move |i| is_request && i.acked && i.ack_result == 0)
    }
}

fn lossy<'a>(v: &'a [u8]) -> std::borrow::Cow<'a, str> {
    String::from_utf8_lossy(v)
}

/// `fuid` as Suricata prints a file id: a GUID, or a 2-byte SMB1 FID (the
/// 6-byte form is a FID with the session id appended).
fn fuid_string(f: &[u8]) -> String {
    match f.len() {
        16 => guid_string(f),
        2 | 6 => match f {
            [a, b, ..] => format!("{b:02x}{a:02x}"),
            _ => String::new(),
        },
        _ => String::new(),
    }
}

/// A GUID in Microsoft's mixed-endian text form.
pub(crate) fn guid_string(g: &[u8]) -> String {
    let Ok(g) = <&[u8; 16]>::try_from(g) else {
        return String::new();
    };
    let order = [3, 2, 1, 0, 5, 4, 7, 6, 9, 8, 11, 10, 15, 14, 13, 12];
    let mut s = String::with_capacity(36);
    for (n, &i) in order.iter().enumerate() {
        if matches!(n, 4 | 6 | 8 | 10) {
            s.push('-');
        }
        s.push_str(&format!("{:02x}", g[i]));
    }
    s
}

fn without_nul(v: &[u8]) -> Vec<u8> {
    v.iter().copied().filter(|&b| b != 0).collect()
}

fn write_status(w: &mut JsonWriter<'_>, status: Option<Status>) {
    match status {
        Some(Status::Nt(s)) => {
            match nt_status_name(s) {
                Some(n) => w.string("status", n),
                None => w.string("status", &s.to_string()),
            }
            w.string("status_code", &format!("0x{s:x}"));
        }
        Some(Status::Dos { class, code }) => {
            let name = match class {
                1 => dos_error_name(code).map_or_else(|| code.to_string(), str::to_string),
                2 => srv_error_name(code).map_or_else(|| code.to_string(), str::to_string),
                _ => format!("UNKNOWN_{class:02x}_{code:04x}"),
            };
            w.string("status", &name);
            w.string("status_code", &format!("0x{code:04x}"));
        }
        None => {}
    }
}

/// The members of the `smb` object.
fn write_smb(w: &mut JsonWriter<'_>, ctx: &Context, tx: &SmbTx) {
    w.uint("id", tx.id);
    w.string("dialect", &ctx.dialect);
    match tx.vercmd.version {
        1 => w.string("command", &smb1::command_name(tx.vercmd.cmd as u8)),
        2 => w.string("command", &smb2::command_name(tx.vercmd.cmd)),
        _ => {}
    }
    write_status(w, tx.vercmd.status);
    w.uint("session_id", tx.hdr.ssn);
    w.uint("tree_id", u64::from(tx.hdr.tree));
    match &tx.data {
        TxData::Generic => {}
        TxData::SessionSetup(s) => {
            if let Some(n) = &s.auth.ntlmssp {
                w.open_object_key("ntlmssp");
                w.string("domain", &lossy(&n.domain));
                w.string("user", &lossy(&n.user));
                w.string("host", &lossy(&n.host));
                if let Some((major, minor, build, rev)) = n.version {
                    w.string(
                        "version",
                        &format!("{major}.{minor} build {build} rev {rev}"),
                    );
                }
                w.close_object();
            }
            if let Some(k) = &s.auth.krb {
                w.open_object_key("kerberos");
                w.string("realm", &lossy(&k.realm));
                w.open_array_key("snames");
                for n in &k.snames {
                    w.array_string(&lossy(n));
                }
                w.close_array();
                w.close_object();
            }
            for (key, host) in [("request", &s.request_host), ("response", &s.response_host)] {
                if let Some(h) = host {
                    w.open_object_key(key);
                    w.string("native_os", &lossy(&h.native_os));
                    w.string("native_lm", &lossy(&h.native_lm));
                    w.close_object();
                }
            }
        }
        TxData::Create(c) => {
            let name = without_nul(&c.filename);
            if name.is_empty() {
                w.string("filename", "<share_root>");
            } else if c.directory {
                w.string("directory", &lossy(&name));
            } else {
                w.string("filename", &lossy(&name));
            }
            let disposition = match c.disposition {
                0 => "FILE_SUPERSEDE",
                1 => "FILE_OPEN",
                2 => "FILE_CREATE",
                3 => "FILE_OPEN_IF",
                4 => "FILE_OVERWRITE",
                5 => "FILE_OVERWRITE_IF",
                _ => "UNKNOWN",
            };
            w.string("disposition", disposition);
            w.string(
                "access",
                if c.delete_on_close {
                    "delete on close"
                } else {
                    "normal"
                },
            );
            w.uint("created", u64::from(c.create_ts));
            w.uint("accessed", u64::from(c.last_access_ts));
            w.uint("modified", u64::from(c.last_write_ts));
            w.uint("changed", u64::from(c.last_change_ts));
            w.uint("size", c.size);
            w.string("fuid", &fuid_string(&c.guid));
        }
        TxData::Negotiate(n) => {
            if n.smb_ver == 1 || n.smb_ver == 2 {
                w.open_array_key("client_dialects");
                for d in &n.dialects {
                    w.array_string(&lossy(d));
                }
                w.close_array();
            }
            if let Some(g) = &n.client_guid {
                w.string("client_guid", &guid_string(g));
            }
            w.string("server_guid", &guid_string(&n.server_guid));
            if ctx.max_read_size > 0 {
                w.uint("max_read_size", u64::from(ctx.max_read_size));
            }
            if ctx.max_write_size > 0 {
                w.uint("max_write_size", u64::from(ctx.max_write_size));
            }
        }
        TxData::TreeConnect(t) => {
            let name = lossy(&t.share_name);
            w.string(if t.is_pipe { "named_pipe" } else { "share" }, &name);
            if tx.vercmd.version == 1 {
                w.open_object_key("service");
                if let Some(s) = &t.req_service {
                    w.string("request", &lossy(s));
                }
                if let Some(s) = &t.res_service {
                    w.string("response", &lossy(s));
                }
                w.close_object();
            } else {
                let kind = match t.share_type {
                    1 => "FILE",
                    2 => "PIPE",
                    3 => "PRINT",
                    _ => "UNKNOWN",
                };
                w.string("share_type", kind);
            }
        }
        TxData::File(f) => write_file(w, f),
        TxData::Rename(r) => {
            if tx.vercmd.version == 2 {
                w.open_object_key("set_info");
                w.string("class", "FILE_INFO");
                w.string("info_level", "SMB2_FILE_RENAME_INFO");
                w.close_object();
            }
            w.open_object_key("rename");
            w.string("from", &lossy(&r.oldname));
            w.string("to", &lossy(&r.newname));
            w.close_object();
            w.string("fuid", &fuid_string(&r.fuid));
        }
        TxData::Dcerpc(d) => {
            w.open_object_key("dcerpc");
            if d.req_set {
                w.string("request", &dcerpc::type_name(d.req_cmd));
            } else {
                w.string("request", "REQUEST_LOST");
            }
            if d.res_set {
                w.string("response", &dcerpc::type_name(d.res_cmd));
            } else {
                w.string("response", "UNREPLIED");
            }
            if d.req_set {
                match d.req_cmd {
                    DCERPC_REQUEST => {
                        w.uint("opnum", u64::from(d.opnum));
                        w.open_object_key("req");
                        w.uint("frag_cnt", u64::from(d.frag_cnt_ts));
                        w.uint("stub_data_size", d.stub_len_ts);
                        w.close_object();
                        if let Some(ifaces) = &ctx.ifaces {
                            let mut matching = ifaces
                                .iter()
                                .filter(|i| i.context_id == d.context_id)
                                .peekable();
                            if matching.peek().is_some() {
                                w.open_array_key("interfaces");
                                for i in matching {
                                    w.open_object();
                                    w.string("uuid", &dcerpc::uuid_string(&i.uuid));
                                    w.string("version", &format!("{}.{}", i.ver, i.ver_min));
                                    w.close_object();
                                }
                                w.close_array();
                            }
                        }
                    }
                    DCERPC_BIND => {
                        if let Some(ifaces) = &ctx.ifaces {
                            w.open_array_key("interfaces");
                            for i in ifaces {
                                w.open_object();
                                w.string("uuid", &dcerpc::uuid_string(&i.uuid));
                                w.string("version", &format!("{}.{}", i.ver, i.ver_min));
                                if i.acked {
                                    w.uint("ack_result", u64::from(i.ack_result));
                                    w.uint("ack_reason", u64::from(i.ack_reason));
                                }
                                w.close_object();
                            }
                            w.close_array();
                        }
                    }
                    _ => {}
                }
            }
            if d.res_set && d.res_cmd == DCERPC_RESPONSE {
                w.open_object_key("res");
                w.uint("frag_cnt", u64::from(d.frag_cnt_tc));
                w.uint("stub_data_size", d.stub_len_tc);
                w.close_object();
            }
            w.uint("call_id", u64::from(d.call_id));
            w.close_object();
        }
        TxData::Ioctl(func) => match fsctl_name(*func) {
            Some(n) => w.string("function", n),
            None => w.string("function", &func.to_string()),
        },
        TxData::SetInfo(s) => {
            let name = without_nul(&s.filename);
            if name.is_empty() {
                w.string("filename", "<share_root>");
            } else {
                w.string("filename", &lossy(&name));
            }
            w.string(
                "access",
                if s.delete_on_close {
                    "delete on close"
                } else {
                    "normal"
                },
            );
            match s.subcmd {
                8 => w.string("subcmd", "SET_FILE_INFO"),
                6 => w.string("subcmd", "SET_PATH_INFO"),
                _ => {}
            }
            if s.loi == 1013 {
                w.string("level_of_interest", "Set Disposition Information");
            }
            w.string("fuid", &fuid_string(&s.fid));
        }
    }
}

fn write_file(w: &mut JsonWriter<'_>, f: &FileTx) {
    w.string("filename", &lossy(&f.name));
    w.string("share", &lossy(&f.share));
    w.string("fuid", &fuid_string(&f.fuid));
}

impl Transaction for SmbRecord {
    fn event_type(&self) -> &'static str {
        "smb"
    }

    fn logs_tx_id(&self) -> bool {
        false
    }

    fn tx_id(&self) -> Option<u64> {
        Some(self.suricata_tx_id())
    }

    /// DCERPC calls over a pipe: a `dcerpc` rule without a direction
    /// alerts on each side, as on DCERPC over TCP.
    fn directionless_rules_per_side(&self) -> bool {
        matches!(self.tx.data, TxData::Dcerpc(_))
    }

    fn write_eve(&self, w: &mut JsonWriter<'_>) {
        w.open_object_key("smb");
        write_smb(w, &self.ctx, &self.tx);
        w.close_object();
    }

    fn buffer(&self, name: &str) -> Option<&[u8]> {
        match (&self.tx.data, name) {
            (TxData::TreeConnect(t), "smb.named_pipe") if t.is_pipe => Some(&t.share_name),
            (TxData::TreeConnect(t), "smb.share") if !t.is_pipe => Some(&t.share_name),
            (TxData::SessionSetup(s), "smb.ntlmssp_user") => {
                s.auth.ntlmssp.as_ref().map(|n| n.user.as_slice())
            }
            (TxData::SessionSetup(s), "smb.ntlmssp_domain") => {
                s.auth.ntlmssp.as_ref().map(|n| n.domain.as_slice())
            }
            (TxData::Dcerpc(d), "dcerpc.stub_data") => Some(&d.stub_ts),
            (TxData::Dcerpc(d), "dcerpc.stub_data:toclient") => Some(&d.stub_tc),
            (TxData::File(f), "file.data" | "file_data") => Some(&f.tracker.data),
            _ => None,
        }
    }

    fn buffer_dir(&self, name: &str, dir: Direction) -> Option<&[u8]> {
        match (&self.tx.data, name) {
            (TxData::Dcerpc(d), "dcerpc.stub_data") => Some(match dir {
                Direction::ToServer => &d.stub_ts,
                Direction::ToClient => &d.stub_tc,
            }),
            (TxData::File(f), "file.data" | "file_data") => {
                (f.direction == Some(dir)).then_some(f.tracker.data.as_slice())
            }
            _ => self.buffer(name),
        }
    }

    /// `dcerpc.iface`: one `<uuid>:<major version>` string per interface
    /// the server accepted, on DCERPC REQUEST transactions (what
    /// Suricata's `dcerpc.iface` matches over SMB).
    fn buffers(&self, name: &str, f: &mut dyn FnMut(&[u8])) {
        if name == "dcerpc.iface" {
            for i in self.accepted_ifaces() {
                let s = format!("{}:{}", dcerpc::uuid_string(&i.uuid), i.ver);
                f(s.as_bytes());
            }
        } else if let Some(b) = self.buffer(name) {
            f(b);
        }
    }

    fn uints(&self, name: &str, f: &mut dyn FnMut(u64)) {
        if let TxData::Dcerpc(d) = &self.tx.data
            && d.req_set
            && d.req_cmd == DCERPC_REQUEST
        {
            match name {
                "dcerpc.opnum" => f(u64::from(d.opnum)),
                // Over SMB Suricata does not restrict dcerpc.iface to first
                // fragments: every request counts as one.
                "dcerpc.first_frag" => f(1),
                _ => {}
            }
        }
    }
}

/// A `fileinfo` record: a file read or written over SMB, when it ended.
pub struct FileInfoRecord {
    ctx: Context,
    /// The transaction's fields (file data left out).
    tx: SmbTx,
    direction: Direction,
    gaps: bool,
    state: FileState,
    size: u64,
}

impl FileInfoRecord {
    pub(crate) fn new(state: &SmbState, idx: usize) -> Option<FileInfoRecord> {
        let tx = state.txs.get(idx)?;
        let TxData::File(f) = &tx.data else {
            return None;
        };
        let copy = SmbTx {
            id: tx.id,
            vercmd: tx.vercmd,
            hdr: tx.hdr,
            request_done: tx.request_done,
            response_done: tx.response_done,
            data: TxData::File(Box::new(FileTx {
                direction: f.direction,
                fuid: f.fuid.clone(),
                name: f.name.clone(),
                share: f.share.clone(),
                ..Default::default()
            })),
            events: Vec::new(),
        };
        Some(FileInfoRecord {
            ctx: Context::new(state, tx),
            tx: copy,
            direction: f.direction.unwrap_or(Direction::ToServer),
            gaps: f.tracker.gaps,
            state: f.tracker.state.unwrap_or(FileState::Truncated),
            size: f.tracker.tracked,
        })
    }
}

impl Transaction for FileInfoRecord {
    fn event_type(&self) -> &'static str {
        "fileinfo"
    }

    fn log_direction(&self) -> Direction {
        self.direction
    }

    fn logs_tx_id(&self) -> bool {
        false
    }

    fn tx_id(&self) -> Option<u64> {
        Some(self.tx.id.saturating_sub(1))
    }

    fn write_eve(&self, w: &mut JsonWriter<'_>) {
        w.open_object_key("smb");
        write_smb(w, &self.ctx, &self.tx);
        w.close_object();
        w.string("app_proto", "smb");
        w.open_object_key("fileinfo");
        let name = match &self.tx.data {
            TxData::File(f) => lossy(&f.name).into_owned(),
            _ => String::new(),
        };
        w.string("filename", &name);
        w.boolean("gaps", self.gaps);
        w.string(
            "state",
            match self.state {
                FileState::Closed => "CLOSED",
                FileState::Truncated => "TRUNCATED",
            },
        );
        w.boolean("stored", false);
        w.uint("size", self.size);
        w.uint("tx_id", self.tx.id.saturating_sub(1));
        w.close_object();
    }
}
