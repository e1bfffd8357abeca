//! SMB 1/2/3 over TCP 445 and 139 (NetBIOS session service framing), as
//! Suricata 7 parses and logs it.
//!
//! Records: NEGOTIATE (client dialects, server GUID, max sizes), SESSION
//! SETUP (NTLMSSP user/domain/host/version, Kerberos realm/service names,
//! SMB1 native OS/LM), TREE CONNECT (share or named pipe), CREATE /
//! NT_CREATE_ANDX (file name, disposition, times, size, file id), CLOSE,
//! READ / WRITE (files: `fileinfo` records), IOCTL, SET_INFO (rename,
//! delete on close), SMB1 TRANS / TRANS2, and DCERPC over named pipes
//! (BIND interfaces with the server's acceptance, REQUEST / RESPONSE
//! opnums, fragment counts and stub data sizes). SMB3 encrypted records
//! are framed and skipped. See `docs/events.md`, `smb`.
//!
//! Parsing is incremental: records split anywhere give the same records;
//! READ / WRITE file data is streamed (never buffered), other records are
//! buffered up to [`MAX_RECORD`] bytes (past it the record is skipped with
//! `record_overflow`). After a gap (or a stream picked up mid-record) the
//! parser resyncs on the next `\xfeSMB` / `\xffSMB` / `\xfdSMB` header.
//! Transactions, lookup maps, names and kept data are capped per flow.
//!
//! Anomalies carry Suricata's smb event names: `internal_error`,
//! `malformed_data`, `record_overflow`, `file_overlap`,
//! `unusual_ntlmssp_order`, `read_request_too_large`,
//! `read_response_too_large`, `write_request_too_large`,
//! `too_many_transactions`, ...
//!
//! Rule buffers (on the `smb` transactions):
//! - `smb.named_pipe`, `smb.share`: the name of a tree connect to a pipe
//!   (IPC$) or to a share.
//! - `smb.ntlmssp_user`, `smb.ntlmssp_domain`: from NTLMSSP AUTH.
//! - `dcerpc.stub_data`: request stub data (`buffer_dir` to the client:
//!   response stub data).
//! - `dcerpc.iface` (multi-valued, DCERPC REQUEST transactions): one
//!   `<uuid>:<major version>` per interface the server accepted.
//! - `file.data`: the first bytes of a file read or written (its
//!   direction).
//! - uints `dcerpc.opnum` (DCERPC REQUEST transactions) and
//!   `dcerpc.first_frag` (always 1 over SMB).

mod dcerpc;
mod eve;
mod ntlmssp;
mod smb1;
mod smb2;
mod state;
mod status;
#[cfg(test)]
mod tests;

pub use eve::{FileInfoRecord, FileState, SmbRecord};

use crate::ot::cotp::Cursor;
use crate::{AppParser, AppProto, Direction, ParseOutput, Probe, ProtoInfo, Transport};
use state::SmbState;

/// Registration of SMB.
pub static INFO: ProtoInfo = ProtoInfo {
    proto: AppProto::Smb,
    tcp_ports: &[445, 139],
    udp_ports: &[],
    probe_tcp: Some(probe),
    probe_udp: None,
    port_only: false,
    new_parser,
};

/// Largest record buffered whole (READ/WRITE data is streamed instead).
pub const MAX_RECORD: usize = 1 << 20;
/// A record this long may be a READ/WRITE whose data can be streamed.
const PARTIAL_MIN: usize = 512;
/// SMB header + NBSS header.
const MIN_REC_SIZE: usize = 36;

const NBSS_SESSION_MESSAGE: u8 = 0x00;

fn nbss_type_valid(t: u8) -> bool {
    matches!(t, 0x00 | 0x81..=0x85)
}

/// `\xfeSMB`, `\xffSMB` or `\xfdSMB` at the start.
fn is_smb_magic(d: &[u8]) -> bool {
    matches!(d, [0xfd..=0xff, b'S', b'M', b'B', ..])
}

/// Content prober: an NBSS header followed by an SMB header (a small
/// NetBIOS session message first is accepted), as Suricata's.
pub fn probe(_dir: Direction, data: &[u8]) -> Probe {
    if data.len() < MIN_REC_SIZE {
        // Suricata waits for 36 bytes; only a wrong NBSS type or a session
        // message without the SMB magic can be refused earlier.
        return match data {
            [t, ..] if !nbss_type_valid(*t) => Probe::NoMatch,
            [NBSS_SESSION_MESSAGE, _, _, _, v, rest @ ..]
                if !(0xfd..=0xff).contains(v) || rest.iter().zip(b"SMB").any(|(a, b)| a != b) =>
            {
                Probe::NoMatch
            }
            _ => Probe::NeedMore,
        };
    }
    let (Some(&t), Some(len)) = (data.first(), data.get(1..4)) else {
        return Probe::NeedMore;
    };
    let len = len.iter().fold(0usize, |a, &b| (a << 8) | usize::from(b));
    let body = data.get(4..).unwrap_or(&[]);
    if !nbss_type_valid(t) {
        return Probe::NoMatch;
    }
    if is_smb_magic(body) {
        return Probe::Match;
    }
    if t != NBSS_SESSION_MESSAGE {
        // A NetBIOS session request before SMB.
        if body.len() >= len + 8 {
            let next = body.get(len..).unwrap_or(&[]);
            if next.first().is_some_and(|&t2| nbss_type_valid(t2))
                && is_smb_magic(next.get(4..).unwrap_or(&[]))
            {
                return Probe::Match;
            }
        } else if len < 256 {
            return Probe::NeedMore;
        }
    }
    Probe::NoMatch
}

fn new_parser(_transport: Transport) -> Box<dyn AppParser> {
    Box::new(SmbParser::new())
}

/// Per-direction stream buffer.
#[derive(Default)]
struct Stream {
    /// Bytes not consumed yet (a partial record), at most about
    /// [`MAX_RECORD`] + 4.
    buf: Vec<u8>,
    /// Bytes `buf` must reach before parsing is tried again.
    need: usize,
    /// First data seen.
    started: bool,
}

/// The per-flow SMB parser.
pub struct SmbParser {
    state: SmbState,
    streams: [Stream; 2],
    /// A malformed record stopped parsing (as Suricata's parser error).
    failed: bool,
}

impl Default for SmbParser {
    fn default() -> Self {
        SmbParser::new()
    }
}

/// What the record loop asks for.
enum Outcome {
    /// Everything consumed.
    Done,
    /// Keep the bytes from this offset; call again when `need` are there.
    Keep { from: usize, need: usize },
    /// Parsing stops for the flow.
    Error,
}

impl SmbParser {
    /// A parser for a new flow.
    pub fn new() -> SmbParser {
        SmbParser {
            state: SmbState::new(),
            streams: Default::default(),
            failed: false,
        }
    }

    fn run(&mut self, dir: Direction, data: &[u8], out: &mut ParseOutput) {
        let d = dir.index();
        let Some(stream) = self.streams.get_mut(d) else {
            return;
        };
        if !stream.started {
            stream.started = true;
            // A stream picked up mid-record: resync on the next header.
            if !looks_like_record_start(data) {
                self.state.dir(dir).gap = true;
            }
        }
        let mut buf = std::mem::take(&mut stream.buf);
        let outcome = if buf.is_empty() {
            let o = self.records(dir, data);
            if let Outcome::Keep { from, .. } = o {
                buf.extend_from_slice(data.get(from..).unwrap_or(&[]));
            }
            o
        } else {
            buf.extend_from_slice(data);
            if buf.len() < stream.need {
                stream.buf = buf;
                return;
            }
            let o = self.records(dir, &buf);
            if let Outcome::Keep { from, .. } = o {
                buf.drain(..from.min(buf.len()));
            } else {
                buf.clear();
            }
            o
        };
        let Some(stream) = self.streams.get_mut(d) else {
            return;
        };
        match outcome {
            Outcome::Done => {
                stream.need = 0;
            }
            Outcome::Keep { need, .. } => {
                stream.need = need;
                stream.buf = buf;
            }
            Outcome::Error => {
                self.failed = true;
                self.streams = Default::default();
            }
        }
        self.state.post_gap_housekeeping(dir);
        self.state.post_gap_files();
        self.state.flush(out, false);
    }

    /// Parses whole records from `input`; says what to keep.
    fn records(&mut self, dir: Direction, input: &[u8]) -> Outcome {
        let st = &mut self.state;
        let mut cur = input;
        let consumed = |cur: &[u8]| input.len() - cur.len();
        // Rest of a skipped record.
        let skip = st.dir(dir).skip;
        if skip > 0 {
            let n = skip.min(cur.len() as u64);
            st.dir(dir).skip -= n;
            cur = cur.get(n as usize..).unwrap_or(&[]);
        }
        // Rest of the file data of a READ/WRITE.
        let n = st.file_update(dir, cur, 0);
        cur = cur.get(n..).unwrap_or(&[]);
        if cur.is_empty() {
            return Outcome::Done;
        }
        if st.dir(dir).gap {
            match find_record(cur) {
                Some(at) => {
                    cur = cur.get(at..).unwrap_or(&[]);
                    st.dir(dir).gap = false;
                }
                None => {
                    // Keep the last bytes: a header may straddle.
                    let keep = cur.len().min(3);
                    return Outcome::Keep {
                        from: input.len() - keep,
                        need: keep + 8,
                    };
                }
            }
        }
        while !cur.is_empty() {
            let Some(&[t, l0, l1, l2]) = cur.get(..4) else {
                return Outcome::Keep {
                    from: consumed(cur),
                    need: 4,
                };
            };
            let len = (usize::from(l0) << 16) | (usize::from(l1) << 8) | usize::from(l2);
            let total = 4 + len;
            let Some(body) = cur.get(4..total) else {
                // Incomplete record.
                if total >= PARTIAL_MIN && cur.len() < PARTIAL_MIN {
                    return Outcome::Keep {
                        from: consumed(cur),
                        need: PARTIAL_MIN,
                    };
                }
                if cur.len() < PARTIAL_MIN {
                    if cur.len() > 8
                        && !(nbss_type_valid(t) && is_smb_magic(cur.get(4..).unwrap_or(&[])))
                    {
                        // Not SMB and no way to find the next record.
                        st.trunc(dir);
                        return Outcome::Done;
                    }
                    return Outcome::Keep {
                        from: consumed(cur),
                        need: total,
                    };
                }
                if partial_record(st, dir, t, len, cur.get(4..).unwrap_or(&[])) {
                    return Outcome::Done;
                }
                if total > MAX_RECORD {
                    // Too large to buffer: skip it.
                    st.set_event("record_overflow");
                    st.set_skip(dir, total as u64, cur.len() as u64);
                    return Outcome::Done;
                }
                return Outcome::Keep {
                    from: consumed(cur),
                    need: total,
                };
            };
            if t == NBSS_SESSION_MESSAGE && !session_message(st, dir, body) {
                return Outcome::Error;
            }
            cur = cur.get(total..).unwrap_or(&[]);
        }
        Outcome::Done
    }
}

/// Whether stream data starts like an NBSS record (else the stream was
/// picked up mid-record).
fn looks_like_record_start(data: &[u8]) -> bool {
    match data {
        [0x00, _, _, _, rest @ ..] => {
            rest.is_empty() || rest.first().is_some_and(|b| (0xfd..=0xff).contains(b))
        }
        [t, ..] => nbss_type_valid(*t),
        [] => true,
    }
}

/// Offset of the NBSS header before the next SMB header (at offset >= 4).
fn find_record(data: &[u8]) -> Option<usize> {
    let mut from = 0;
    loop {
        let rel = memchr::memmem::find(data.get(from..)?, b"SMB")?;
        let at = from + rel;
        // The version byte precedes "SMB".
        if at >= 5 && data.get(at - 1).is_some_and(|b| (0xfd..=0xff).contains(b)) {
            return Some(at - 5);
        }
        from = at + 1;
    }
}

/// A whole NBSS session message: one SMB1 record, SMB2 records (chained),
/// or SMB3 transform records. Returns false on a parse error that stops
/// the parser.
fn session_message(st: &mut SmbState, dir: Direction, body: &[u8]) -> bool {
    match body {
        [0xff, b'S', b'M', b'B', ..] => match smb1::parse_record(body) {
            Some(r) => {
                if r.is_response() == (dir == Direction::ToClient) {
                    match dir {
                        Direction::ToServer => smb1::request(st, &r),
                        Direction::ToClient => smb1::response(st, &r),
                    }
                }
                true
            }
            None => {
                st.set_event("malformed_data");
                false
            }
        },
        [0xfe, b'S', b'M', b'B', ..] => {
            let mut rest = body;
            while !rest.is_empty() {
                match smb2::parse_record(rest, dir) {
                    Some((r, next)) => {
                        if r.is_response == (dir == Direction::ToClient) {
                            match dir {
                                Direction::ToServer => smb2::request(st, &r),
                                Direction::ToClient => smb2::response(st, &r),
                            }
                        }
                        rest = next;
                    }
                    None => {
                        st.set_event("malformed_data");
                        return false;
                    }
                }
            }
            true
        }
        [0xfd, b'S', b'M', b'B', ..] => {
            let mut rest = body;
            while !rest.is_empty() {
                // Transform header: 52 bytes, message size at offset 36.
                let mut c = Cursor::new(rest);
                let size = c.skip(36).and_then(|_| c.u32_le());
                let next = size.and_then(|s| rest.get(52 + s as usize..).map(|n| (s, n)));
                match next {
                    Some((_, n)) if rest.get(..4) == Some(b"\xfdSMB") => rest = n,
                    _ => {
                        st.set_event("malformed_data");
                        return false;
                    }
                }
            }
            true
        }
        [] | [_] | [_, _] | [_, _, _] if dir == Direction::ToClient => true,
        _ => {
            st.set_event("malformed_data");
            false
        }
    }
}

/// The start of a long READ response / WRITE request: handled now, its
/// data streamed. Returns true when it was (everything consumed).
fn partial_record(st: &mut SmbState, dir: Direction, t: u8, len: usize, data: &[u8]) -> bool {
    if t != NBSS_SESSION_MESSAGE {
        return false;
    }
    match data {
        [0xff, b'S', b'M', b'B', ..] => match smb1::parse_record(data) {
            Some(r) => smb1::partial(st, dir, &r),
            None => false,
        },
        [0xfe, b'S', b'M', b'B', ..] => match smb2::parse_record(data, dir) {
            Some((r, _)) => match (dir, r.command) {
                (Direction::ToServer, smb2::WRITE) => {
                    smb2::write_request(st, &r, len.saturating_sub(64));
                    true
                }
                (Direction::ToClient, smb2::READ) => {
                    smb2::read_response(st, &r, len.saturating_sub(64));
                    true
                }
                _ => false,
            },
            None => false,
        },
        _ => false,
    }
}

impl AppParser for SmbParser {
    fn parse(&mut self, dir: Direction, data: &[u8], out: &mut ParseOutput) {
        if self.failed || data.is_empty() || self.state.dir(dir).trunc {
            return;
        }
        self.run(dir, data, out);
    }

    fn gap(&mut self, dir: Direction, len: u64, out: &mut ParseOutput) {
        if self.failed {
            return;
        }
        if let Some(s) = self.streams.get_mut(dir.index()) {
            s.buf = Vec::new();
            s.need = 0;
            s.started = true;
        }
        let st = &mut self.state;
        let skip = st.dir(dir).skip;
        let n = skip.min(len);
        st.dir(dir).skip -= n;
        if len > n {
            st.file_update(dir, &[], len - n);
        }
        let flags = st.dir(dir);
        flags.ssn_gap = true;
        flags.gap = true;
        st.flush(out, false);
    }

    fn finish(&mut self, out: &mut ParseOutput) {
        self.state.flush(out, true);
    }
}
