//! TPKT (RFC 1006) and COTP (ISO 8073 / X.224) framing, shared by S7comm and
//! MMS on TCP 102, plus the content classifier both of their probers use.
//!
//! A [`CotpStream`] per direction takes in-order stream bytes, cuts them into
//! TPKT frames (buffering at most one partial frame, < 64 KiB), decodes the
//! COTP TPDU in each and reassembles DT TPDUs up to the one with the EOT bit
//! into one transport service data unit (capped at [`MAX_TSDU`]). It hands
//! out [`CotpEvent`]s: connection request/confirm, disconnect, error and data.
//!
//! Anomalies (raised under the flow's protocol, `s7comm` or `mms`):
//! `INVALID_TPKT` (version not 3 or length below 7; the direction then
//! resyncs on the next plausible TPKT header), `INVALID_COTP_LENGTH` (the
//! length indicator does not fit the frame or the TPDU type), `TSDU_TOO_LARGE`
//! (reassembled DT data beyond the cap; dropped up to the next EOT),
//! `RESYNC_FAILED` (no TPKT header within 64 KiB after a gap or bad frame;
//! the direction is given up), `UNKNOWN_TPDU` (a TPDU code ISO 8073 does not
//! define).

use crate::{AppProto, ParseOutput};

/// Cap on a reassembled TSDU (DT TPDUs up to EOT), per direction.
pub const MAX_TSDU: usize = 64 * 1024;
/// Bytes scanned for a TPKT header after a gap or a bad frame.
const RESYNC_BUDGET: usize = 64 * 1024;
/// TPKT header length.
const TPKT_LEN: usize = 4;
/// Longest TSAP kept from a CR/CC.
const MAX_TSAP: usize = 32;

/// A bounds-checked reader over wire bytes (big-endian unless named).
#[derive(Clone, Copy, Debug)]
pub struct Cursor<'a> {
    data: &'a [u8],
    pos: usize,
}

impl<'a> Cursor<'a> {
    /// A reader at the start of `data`.
    pub fn new(data: &'a [u8]) -> Cursor<'a> {
        Cursor { data, pos: 0 }
    }
    /// Bytes consumed so far.
    pub fn pos(&self) -> usize {
        self.pos
    }
    /// Bytes left.
    pub fn remaining(&self) -> usize {
        self.data.len().saturating_sub(self.pos)
    }
    /// True when nothing is left.
    pub fn is_empty(&self) -> bool {
        self.remaining() == 0
    }
    /// The unread bytes.
    pub fn rest(&self) -> &'a [u8] {
        self.data.get(self.pos..).unwrap_or(&[])
    }
    /// Takes `n` bytes.
    pub fn take(&mut self, n: usize) -> Option<&'a [u8]> {
        let end = self.pos.checked_add(n)?;
        let s = self.data.get(self.pos..end)?;
        self.pos = end;
        Some(s)
    }
    /// Skips `n` bytes.
    pub fn skip(&mut self, n: usize) -> Option<()> {
        self.take(n).map(|_| ())
    }
    /// One byte.
    pub fn u8(&mut self) -> Option<u8> {
        self.take(1).and_then(|s| s.first().copied())
    }
    /// The next byte without consuming it.
    pub fn peek(&self) -> Option<u8> {
        self.data.get(self.pos).copied()
    }
    /// Big-endian u16.
    pub fn u16(&mut self) -> Option<u16> {
        let s = self.take(2)?;
        Some(u16::from_be_bytes([*s.first()?, *s.get(1)?]))
    }
    /// Little-endian u16.
    pub fn u16_le(&mut self) -> Option<u16> {
        let s = self.take(2)?;
        Some(u16::from_le_bytes([*s.first()?, *s.get(1)?]))
    }
    /// Little-endian 24-bit value.
    pub fn u24_le(&mut self) -> Option<u32> {
        let s = self.take(3)?;
        Some(u32::from_le_bytes([*s.first()?, *s.get(1)?, *s.get(2)?, 0]))
    }
    /// Big-endian 24-bit value.
    pub fn u24(&mut self) -> Option<u32> {
        let s = self.take(3)?;
        Some(u32::from_be_bytes([0, *s.first()?, *s.get(1)?, *s.get(2)?]))
    }
    /// Big-endian u32.
    pub fn u32(&mut self) -> Option<u32> {
        let s = self.take(4)?;
        Some(u32::from_be_bytes(s.try_into().ok()?))
    }
    /// Little-endian u32.
    pub fn u32_le(&mut self) -> Option<u32> {
        let s = self.take(4)?;
        Some(u32::from_le_bytes(s.try_into().ok()?))
    }
}

/// A connection request (CR) or confirm (CC) TPDU.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Connect {
    /// True for CR, false for CC.
    pub request: bool,
    pub dst_ref: u16,
    pub src_ref: u16,
    /// Protocol class (0..4, upper nibble of the class/option octet).
    pub class: u8,
    /// Maximum TPDU size in bytes (parameter 0xC0, `2^n`).
    pub tpdu_size: Option<u32>,
    /// Calling (source) TSAP, parameter 0xC1 (first 32 bytes).
    pub calling_tsap: Vec<u8>,
    /// Called (destination) TSAP, parameter 0xC2 (first 32 bytes).
    pub called_tsap: Vec<u8>,
}

/// What a [`CotpStream`] hands out.
#[derive(Debug)]
pub enum CotpEvent<'a> {
    /// CR or CC.
    Connect(Connect),
    /// DR (`request` true, with its reason) or DC.
    Disconnect { request: bool, reason: u8 },
    /// ER (TPDU error) with its reject cause.
    Error { cause: u8 },
    /// A complete TSDU: the user data of DT TPDUs up to EOT.
    Data(&'a [u8]),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Sync {
    Locked,
    /// Looking for a TPKT header; bytes left to scan.
    Resync(usize),
    Dead,
}

/// TPKT/COTP decoder of one direction.
pub struct CotpStream {
    proto: AppProto,
    /// A partial TPKT frame (header included).
    frame: Vec<u8>,
    /// DT user data waiting for EOT.
    tsdu: Vec<u8>,
    /// The current TSDU went over the cap: drop until EOT.
    tsdu_dropping: bool,
    sync: Sync,
}

impl CotpStream {
    /// A decoder raising anomalies under `proto`.
    pub fn new(proto: AppProto) -> CotpStream {
        CotpStream {
            proto,
            frame: Vec::new(),
            tsdu: Vec::new(),
            tsdu_dropping: false,
            sync: Sync::Locked,
        }
    }

    /// True once the direction was given up.
    pub fn is_dead(&self) -> bool {
        self.sync == Sync::Dead
    }

    /// Bytes held (partial frame and partial TSDU).
    pub fn buffered(&self) -> usize {
        self.frame.len() + self.tsdu.len()
    }

    /// Missing bytes: drops partial state and resyncs on the next header.
    pub fn gap(&mut self) {
        self.frame.clear();
        self.tsdu.clear();
        self.tsdu_dropping = false;
        if self.sync != Sync::Dead {
            self.sync = Sync::Resync(RESYNC_BUDGET);
        }
    }

    /// Feeds in-order bytes; `f` gets every event in order.
    pub fn feed(
        &mut self,
        mut data: &[u8],
        out: &mut ParseOutput,
        f: &mut dyn FnMut(CotpEvent<'_>, &mut ParseOutput),
    ) {
        while !data.is_empty() {
            match self.sync {
                Sync::Dead => return,
                Sync::Resync(budget) => {
                    // Bytes held from the previous call (at most 5) may
                    // start a header that continues in `data`.
                    if !self.frame.is_empty() {
                        let held = std::mem::take(&mut self.frame);
                        let mut head = held.clone();
                        head.extend_from_slice(data.get(..data.len().min(8)).unwrap_or(&[]));
                        if let Some(i) = find_tpkt(&head).filter(|&i| i < held.len()) {
                            self.frame = held.get(i..).unwrap_or(&[]).to_vec();
                            self.sync = Sync::Locked;
                            continue;
                        }
                    }
                    match find_tpkt(data) {
                        Some(i) => {
                            data = data.get(i..).unwrap_or(&[]);
                            self.sync = Sync::Locked;
                        }
                        None => {
                            let keep = data.len().min(5);
                            let scanned = data.len() - keep;
                            if scanned >= budget {
                                self.sync = Sync::Dead;
                                out.event(self.proto, "RESYNC_FAILED");
                                return;
                            }
                            self.sync = Sync::Resync(budget - scanned);
                            self.frame = data.get(scanned..).unwrap_or(&[]).to_vec();
                            return;
                        }
                    }
                }
                Sync::Locked => {
                    if !self.frame.is_empty() {
                        data = self.fill_frame(data, out, f);
                        continue;
                    }
                    if data.len() < TPKT_LEN {
                        self.frame.extend_from_slice(data);
                        return;
                    }
                    let Some(len) = tpkt_len(data) else {
                        out.event(self.proto, "INVALID_TPKT");
                        self.sync = Sync::Resync(RESYNC_BUDGET);
                        data = data.get(1..).unwrap_or(&[]);
                        continue;
                    };
                    match data.get(..len) {
                        Some(frame) => {
                            self.on_frame(frame.get(TPKT_LEN..).unwrap_or(&[]), out, f);
                            data = data.get(len..).unwrap_or(&[]);
                        }
                        None => {
                            self.frame.extend_from_slice(data);
                            return;
                        }
                    }
                }
            }
        }
    }

    /// Resync with bytes held from the previous call: prepend them.
    fn fill_frame<'d>(
        &mut self,
        data: &'d [u8],
        out: &mut ParseOutput,
        f: &mut dyn FnMut(CotpEvent<'_>, &mut ParseOutput),
    ) -> &'d [u8] {
        // Complete the header first.
        if self.frame.len() < TPKT_LEN {
            let need = TPKT_LEN - self.frame.len();
            let n = need.min(data.len());
            self.frame.extend_from_slice(data.get(..n).unwrap_or(&[]));
            let data = data.get(n..).unwrap_or(&[]);
            if self.frame.len() < TPKT_LEN {
                return data;
            }
            if tpkt_len(&self.frame).is_none() {
                out.event(self.proto, "INVALID_TPKT");
                self.sync = Sync::Resync(RESYNC_BUDGET);
                // Rescan from the byte after the bad header's start.
                self.frame.remove(0);
                return data;
            }
            return self.fill_body(data, out, f);
        }
        self.fill_body(data, out, f)
    }

    fn fill_body<'d>(
        &mut self,
        data: &'d [u8],
        out: &mut ParseOutput,
        f: &mut dyn FnMut(CotpEvent<'_>, &mut ParseOutput),
    ) -> &'d [u8] {
        let Some(len) = tpkt_len(&self.frame) else {
            self.frame.clear();
            return data;
        };
        let need = len.saturating_sub(self.frame.len());
        let n = need.min(data.len());
        self.frame.extend_from_slice(data.get(..n).unwrap_or(&[]));
        if self.frame.len() >= len {
            let frame = std::mem::take(&mut self.frame);
            self.on_frame(frame.get(TPKT_LEN..).unwrap_or(&[]), out, f);
            // Keep the allocation for the next partial frame.
            self.frame = frame;
            self.frame.clear();
        }
        data.get(n..).unwrap_or(&[])
    }

    /// One TPKT payload: a COTP TPDU.
    fn on_frame(
        &mut self,
        p: &[u8],
        out: &mut ParseOutput,
        f: &mut dyn FnMut(CotpEvent<'_>, &mut ParseOutput),
    ) {
        let tpdu = match parse_tpdu(p) {
            Ok(t) => t,
            Err(TpduError::Length) => {
                out.event(self.proto, "INVALID_COTP_LENGTH");
                return;
            }
            Err(TpduError::Unknown) => {
                out.event(self.proto, "UNKNOWN_TPDU");
                return;
            }
        };
        match tpdu {
            Tpdu::Data { eot, data } => {
                if self.tsdu_dropping {
                    if eot {
                        self.tsdu_dropping = false;
                    }
                    return;
                }
                if eot && self.tsdu.is_empty() {
                    f(CotpEvent::Data(data), out);
                    return;
                }
                if self.tsdu.len() + data.len() > MAX_TSDU {
                    out.event(self.proto, "TSDU_TOO_LARGE");
                    self.tsdu.clear();
                    self.tsdu_dropping = !eot;
                    return;
                }
                self.tsdu.extend_from_slice(data);
                if eot {
                    let tsdu = std::mem::take(&mut self.tsdu);
                    f(CotpEvent::Data(&tsdu), out);
                    self.tsdu = tsdu;
                    self.tsdu.clear();
                    if self.tsdu.capacity() > 4 * 4096 {
                        self.tsdu.shrink_to(4096);
                    }
                }
            }
            Tpdu::Connect(c) => f(CotpEvent::Connect(c), out),
            Tpdu::Disconnect { request, reason } => {
                f(CotpEvent::Disconnect { request, reason }, out)
            }
            Tpdu::Error { cause } => f(CotpEvent::Error { cause }, out),
            Tpdu::Other => {}
        }
    }
}

/// The TPKT frame length when `h` starts with a valid TPKT header.
fn tpkt_len(h: &[u8]) -> Option<usize> {
    match h {
        [3, _, hi, lo, ..] => {
            let len = usize::from(u16::from_be_bytes([*hi, *lo]));
            (len >= TPKT_LEN + 3).then_some(len)
        }
        _ => None,
    }
}

/// Position of the first plausible TPKT + COTP header in `data`.
fn find_tpkt(data: &[u8]) -> Option<usize> {
    let mut i = 0;
    while let Some(pos) = memchr::memchr(3, data.get(i..)?) {
        let at = i + pos;
        let h = data.get(at..).unwrap_or(&[]);
        if h.len() < 6 {
            return None;
        }
        if let (Some(len), [_, 0, _, _, li, code, ..]) = (tpkt_len(h), h) {
            let li = usize::from(*li);
            if li >= 2 && li < len - TPKT_LEN && known_tpdu(*code >> 4) {
                return Some(at);
            }
        }
        i = at + 1;
    }
    None
}

fn known_tpdu(code: u8) -> bool {
    matches!(
        code,
        0x1 | 0x2 | 0x5 | 0x6 | 0x7 | 0x8 | 0xC | 0xD | 0xE | 0xF
    )
}

/// A decoded TPDU.
#[derive(Debug)]
pub enum Tpdu<'a> {
    Data {
        eot: bool,
        data: &'a [u8],
    },
    Connect(Connect),
    Disconnect {
        request: bool,
        reason: u8,
    },
    Error {
        cause: u8,
    },
    /// ED, EA, AK, RJ: valid but not used by class 0.
    Other,
}

/// Why a TPDU did not decode.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TpduError {
    /// Length indicator out of range for the frame or the type.
    Length,
    /// A TPDU code ISO 8073 does not define.
    Unknown,
}

/// Decodes one COTP TPDU (a TPKT payload).
pub fn parse_tpdu(p: &[u8]) -> Result<Tpdu<'_>, TpduError> {
    let li = usize::from(*p.first().ok_or(TpduError::Length)?);
    if li == 0 || li == 255 {
        return Err(TpduError::Length);
    }
    let header = p.get(1..=li).ok_or(TpduError::Length)?;
    let user = p.get(li + 1..).unwrap_or(&[]);
    let mut c = Cursor::new(header);
    let code = c.u8().ok_or(TpduError::Length)? >> 4;
    match code {
        0xF => {
            // Class 0/1 normal format: LI 2 (no dst-ref); classes 2-4: dst-ref first.
            let nr = match li {
                2 => c.u8(),
                _ if li >= 4 => {
                    c.skip(2).ok_or(TpduError::Length)?;
                    c.u8()
                }
                _ => None,
            }
            .ok_or(TpduError::Length)?;
            Ok(Tpdu::Data {
                eot: nr & 0x80 != 0,
                data: user,
            })
        }
        0xE | 0xD => {
            let dst_ref = c.u16().ok_or(TpduError::Length)?;
            let src_ref = c.u16().ok_or(TpduError::Length)?;
            let class = c.u8().ok_or(TpduError::Length)? >> 4;
            let mut conn = Connect {
                request: code == 0xE,
                dst_ref,
                src_ref,
                class,
                ..Connect::default()
            };
            while !c.is_empty() {
                let (Some(pcode), Some(plen)) = (c.u8(), c.u8()) else {
                    return Err(TpduError::Length);
                };
                let val = c.take(usize::from(plen)).ok_or(TpduError::Length)?;
                let keep = val.get(..val.len().min(MAX_TSAP)).unwrap_or(&[]);
                match pcode {
                    0xC0 => {
                        conn.tpdu_size = val.first().and_then(|&n| 1u32.checked_shl(u32::from(n)))
                    }
                    0xC1 => conn.calling_tsap = keep.to_vec(),
                    0xC2 => conn.called_tsap = keep.to_vec(),
                    _ => {}
                }
            }
            Ok(Tpdu::Connect(conn))
        }
        0x8 => {
            c.skip(4).ok_or(TpduError::Length)?;
            let reason = c.u8().ok_or(TpduError::Length)?;
            Ok(Tpdu::Disconnect {
                request: true,
                reason,
            })
        }
        0xC => {
            c.skip(4).ok_or(TpduError::Length)?;
            Ok(Tpdu::Disconnect {
                request: false,
                reason: 0,
            })
        }
        0x7 => {
            c.skip(2).ok_or(TpduError::Length)?;
            let cause = c.u8().ok_or(TpduError::Length)?;
            Ok(Tpdu::Error { cause })
        }
        0x1 | 0x2 | 0x5 | 0x6 => Ok(Tpdu::Other),
        _ => Err(TpduError::Unknown),
    }
}

/// What the first COTP data on TCP 102 carries.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Carried {
    /// Not enough bytes yet.
    NeedMore,
    /// Classic S7comm (protocol id 0x32).
    S7comm,
    /// S7comm-plus (protocol id 0x72).
    S7commPlus,
    /// ISO 8327 session (MMS over the OSI stack) or bare MMS.
    Mms,
    /// Not TPKT/COTP, or something else over it (e.g. RDP).
    Other,
}

/// Walks the TPKT frames at the start of a direction's stream and classifies
/// the first DT TPDU's user data. Both the S7comm and the MMS prober call
/// this, so they always agree.
pub fn classify(data: &[u8]) -> Carried {
    let mut rest = data;
    let mut frames = 0;
    loop {
        if rest.len() < TPKT_LEN + 2 {
            return Carried::NeedMore;
        }
        let Some(len) = tpkt_len(rest) else {
            return Carried::Other;
        };
        if rest.get(1) != Some(&0) {
            return Carried::Other;
        }
        let complete = rest.len() >= len;
        let frame = rest.get(TPKT_LEN..len.min(rest.len())).unwrap_or(&[]);
        let li = usize::from(*frame.first().unwrap_or(&0));
        let code = frame.get(1).map_or(0, |b| b >> 4);
        if li < 2 || li == 255 || li + 1 > len - TPKT_LEN || !known_tpdu(code) {
            return Carried::Other;
        }
        if code == 0xF {
            // DT: classify its user data (possibly a partial frame).
            let Some(user) = frame.get(li + 1..) else {
                return Carried::NeedMore;
            };
            let eot = match li {
                2 => frame.get(2).is_some_and(|b| b & 0x80 != 0),
                _ => frame.get(4).is_some_and(|b| b & 0x80 != 0),
            };
            let whole = complete && eot;
            return classify_user_data(user, whole);
        }
        if !complete {
            return Carried::NeedMore;
        }
        // CR/CC and the like: must decode, then look at the next frame.
        if parse_tpdu(frame).is_err() {
            return Carried::Other;
        }
        frames += 1;
        if frames > 8 {
            return Carried::Other;
        }
        rest = rest.get(len..).unwrap_or(&[]);
    }
}

/// Classifies the start of a TSDU; `whole` when `user` is all of it.
fn classify_user_data(user: &[u8], whole: bool) -> Carried {
    let Some(&first) = user.first() else {
        return if whole {
            Carried::Other
        } else {
            Carried::NeedMore
        };
    };
    match first {
        0x32 => {
            if user.len() < 10 {
                return if whole {
                    Carried::Other
                } else {
                    Carried::NeedMore
                };
            }
            let rosctr = user.get(1).copied().unwrap_or(0);
            let hdr = match rosctr {
                1 | 7 => 10,
                2 | 3 => 12,
                _ => return Carried::Other,
            };
            if whole {
                let mut c = Cursor::new(user);
                let _ = c.skip(6);
                let plen = usize::from(c.u16().unwrap_or(0));
                let dlen = usize::from(c.u16().unwrap_or(0));
                if hdr + plen + dlen > user.len() {
                    return Carried::Other;
                }
            }
            Carried::S7comm
        }
        0x72 => match user.get(1) {
            None => Carried::NeedMore,
            Some(1 | 2 | 3 | 0xFF) => Carried::S7commPlus,
            Some(_) => Carried::Other,
        },
        _ => classify_mms(user, whole),
    }
}

/// ISO session SPDU (or bare MMS PDU) at the start of a TSDU.
fn classify_mms(user: &[u8], whole: bool) -> Carried {
    let need = |ok: bool| {
        if ok {
            Carried::Mms
        } else if whole {
            Carried::Other
        } else {
            Carried::NeedMore
        }
    };
    let Some(&si) = user.first() else {
        return need(false);
    };
    match si {
        // CONNECT / ACCEPT: an SPDU whose length fits, carrying the MMS
        // abstract syntax (1.0.9506.2.1) or the ACSE (2.2.1.0.1) in its
        // presentation user data.
        0x0D | 0x0E => {
            let Some(len) = spdu_len(user) else {
                return need(false);
            };
            if whole && len.1 + len.0 != user.len() {
                return Carried::Other;
            }
            if user.len() < len.1 + len.0 && !whole {
                return Carried::NeedMore;
            }
            let body = user.get(..len.0 + len.1).unwrap_or(user);
            let mms = memchr::memmem::find(body, &[0x28, 0xCA, 0x22, 0x02]).is_some();
            let acse = memchr::memmem::find(body, &[0x52, 0x01, 0x00, 0x01]).is_some();
            if mms || acse {
                Carried::Mms
            } else {
                Carried::Other
            }
        }
        // GIVE TOKENS + DATA TRANSFER (`01 00 01 00`) then presentation
        // fully-encoded user data.
        0x01 => match user {
            [0x01, 0x00, 0x01, 0x00, 0x61, ..] => Carried::Mms,
            [0x01, 0x00, 0x01, 0x00, _, ..] => Carried::Other,
            [0x01] | [0x01, 0x00] | [0x01, 0x00, 0x01] | [0x01, 0x00, 0x01, 0x00] if !whole => {
                Carried::NeedMore
            }
            _ => Carried::Other,
        },
        // Bare MMS PDU over COTP (no session/presentation): the PDU's BER
        // length must cover the TSDU exactly.
        0xA0..=0xA4 | 0xA7..=0xAA | 0xAD | 0x85 | 0x86 | 0x8B | 0x8C => {
            match crate::ot::mms::ber_header(user) {
                Some((hdr, len)) if whole => {
                    if hdr + len == user.len() {
                        Carried::Mms
                    } else {
                        Carried::Other
                    }
                }
                Some((hdr, len)) => {
                    if hdr + len >= user.len() && si == 0xA8 {
                        Carried::Mms
                    } else if hdr + len >= user.len() {
                        Carried::NeedMore
                    } else {
                        Carried::Other
                    }
                }
                None => need(false),
            }
        }
        _ => Carried::Other,
    }
}

/// (parameter length, header length) of an ISO 8327 SPDU.
pub fn spdu_len(s: &[u8]) -> Option<(usize, usize)> {
    match s {
        [_, 0xFF, hi, lo, ..] => Some((usize::from(u16::from_be_bytes([*hi, *lo])), 4)),
        [_, 0xFF, ..] => None,
        [_, li, ..] => Some((usize::from(*li), 2)),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn collect(stream: &mut CotpStream, chunks: &[&[u8]]) -> (Vec<String>, Vec<&'static str>) {
        let mut out = ParseOutput::default();
        let mut seen = Vec::new();
        for c in chunks {
            stream.feed(c, &mut out, &mut |ev, _| {
                seen.push(match ev {
                    CotpEvent::Connect(c) => format!(
                        "connect {} {:?} {:?} {:?}",
                        c.request, c.tpdu_size, c.calling_tsap, c.called_tsap
                    ),
                    CotpEvent::Data(d) => format!("data {d:02x?}"),
                    CotpEvent::Disconnect { request, reason } => format!("dr {request} {reason}"),
                    CotpEvent::Error { cause } => format!("er {cause}"),
                })
            });
        }
        (seen, out.events.iter().map(|e| e.name).collect())
    }

    const CR: &[u8] = &[
        3, 0, 0, 0x16, 0x11, 0xE0, 0, 0, 0, 1, 0, 0xC0, 1, 0x0A, 0xC1, 2, 1, 0, 0xC2, 2, 1, 2,
    ];

    #[test]
    fn connect_and_data() {
        let mut s = CotpStream::new(AppProto::S7comm);
        let dt = [3, 0, 0, 9, 2, 0xF0, 0x80, 0x32, 0x01];
        let (seen, ev) = collect(&mut s, &[CR, &dt]);
        assert!(ev.is_empty());
        assert_eq!(seen[0], "connect true Some(1024) [1, 0] [1, 2]");
        assert_eq!(seen[1], "data [32, 01]");
    }

    #[test]
    fn split_at_every_byte() {
        let dt1 = [3, 0, 0, 9, 2, 0xF0, 0x00, 0xAA, 0xBB];
        let dt2 = [3, 0, 0, 8, 2, 0xF0, 0x80, 0xCC];
        let mut all = CR.to_vec();
        all.extend_from_slice(&dt1);
        all.extend_from_slice(&dt2);
        for cut in 0..=all.len() {
            let mut s = CotpStream::new(AppProto::S7comm);
            let (seen, ev) = collect(&mut s, &[&all[..cut], &all[cut..]]);
            assert!(ev.is_empty(), "cut {cut}");
            assert_eq!(seen.len(), 2, "cut {cut}");
            assert_eq!(seen[1], "data [aa, bb, cc]");
        }
    }

    #[test]
    fn bad_header_resyncs() {
        let mut s = CotpStream::new(AppProto::Mms);
        let dt = [3, 0, 0, 8, 2, 0xF0, 0x80, 0x01];
        let mut junk = vec![0x99, 0x03, 0x11];
        junk.extend_from_slice(&dt);
        let (seen, ev) = collect(&mut s, &[&junk]);
        assert_eq!(ev, ["INVALID_TPKT"]);
        assert_eq!(seen, ["data [01]"]);
    }

    #[test]
    fn bad_li_and_caps() {
        let mut s = CotpStream::new(AppProto::S7comm);
        let (_, ev) = collect(&mut s, &[&[3, 0, 0, 8, 9, 0xF0, 0x80, 0x01]]);
        assert_eq!(ev, ["INVALID_COTP_LENGTH"]);
        // Non-EOT segments beyond the cap.
        let mut seg = vec![3, 0, 0xFF, 0xFF, 2, 0xF0, 0x00];
        seg.resize(0xFFFF, 0x41);
        let mut s = CotpStream::new(AppProto::S7comm);
        let chunks: Vec<&[u8]> = std::iter::repeat_n(&seg[..], 3).collect();
        let (seen, ev) = collect(&mut s, &chunks);
        assert!(seen.is_empty());
        assert_eq!(ev, ["TSDU_TOO_LARGE"]);
        assert!(s.buffered() <= MAX_TSDU);
    }

    #[test]
    fn gap_then_garbage_gives_up() {
        let mut s = CotpStream::new(AppProto::S7comm);
        s.gap();
        let junk = vec![0x55u8; RESYNC_BUDGET + 10];
        let (_, ev) = collect(&mut s, &[&junk]);
        assert_eq!(ev, ["RESYNC_FAILED"]);
        assert!(s.is_dead());
    }

    #[test]
    fn classify_first_dt() {
        let mut s7 = CR.to_vec();
        s7.extend_from_slice(&[3, 0, 0, 0x11, 2, 0xF0, 0x80]);
        s7.extend_from_slice(&[0x32, 1, 0, 0, 0, 1, 0, 0, 0, 0]);
        assert_eq!(classify(&CR[..10]), Carried::NeedMore);
        assert_eq!(classify(CR), Carried::NeedMore);
        assert_eq!(classify(&s7), Carried::S7comm);
        let mut plus = CR.to_vec();
        plus.extend_from_slice(&[3, 0, 0, 0x0B, 2, 0xF0, 0x80, 0x72, 0x01, 0, 0]);
        assert_eq!(classify(&plus), Carried::S7commPlus);
        let mut rdp = CR.to_vec();
        rdp.extend_from_slice(&[3, 0, 0, 0x0B, 2, 0xF0, 0x80, 0x7F, 0x65, 0, 0]);
        assert_eq!(classify(&rdp), Carried::Other);
        assert_eq!(classify(b"GET / HTTP/1.1\r\n"), Carried::Other);
        let mut mms = CR.to_vec();
        mms.extend_from_slice(&[3, 0, 0, 0x0C, 2, 0xF0, 0x80, 1, 0, 1, 0, 0x61]);
        assert_eq!(classify(&mms), Carried::Mms);
    }
}
