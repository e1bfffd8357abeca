//! Buffer inspection: the compiled match list of one buffer (content, pcre,
//! byte_test/jump/extract/math, isdataat, bsize, base64_decode) and its
//! evaluation with Suricata's relative semantics.
//!
//! As Suricata's content inspection, evaluation walks the list in order
//! with a cursor (`buffer_offset`, the end of the last match). A content
//! or pcre followed by a relative match is retried at its next occurrence
//! when the rest of the list fails (recursive backtracking), bounded by a
//! step budget so hostile rules and data cannot blow up.

use crate::pcre::{Regex, Scratch};
use memchr::memmem;
use vigil_rules::{ByteMathOp, ByteTestOp, Endian, NumBase, UintMatch};

/// Most byte_extract / byte_math variables one rule may define.
pub const MAX_VARS: usize = 8;
/// Inspection steps allowed per buffer inspection (Suricata's
/// `inspection-recursion-limit` is 3000 recursions).
pub const STEP_BUDGET: u32 = 3000;

/// A number or a rule variable slot.
#[derive(Debug, Clone, Copy)]
pub enum Val {
    /// A literal.
    Lit(i64),
    /// A byte_extract / byte_math variable.
    Var(u8),
}

/// One `content`.
#[derive(Debug)]
pub struct ContentOp {
    /// Pattern (lower-cased when `nocase`).
    pub pat: Vec<u8>,
    /// `nocase`.
    pub nocase: bool,
    /// `!`.
    pub negated: bool,
    /// `offset`.
    pub offset: Option<Val>,
    /// `depth`.
    pub depth: Option<Val>,
    /// `distance`.
    pub distance: Option<Val>,
    /// `within`.
    pub within: Option<Val>,
    /// Has distance or within.
    pub relative: bool,
    /// `startswith`.
    pub startswith: bool,
    /// `endswith`.
    pub endswith: bool,
    /// The next match is relative to this one (retry on failure).
    pub relative_next: bool,
    finder: Option<memmem::Finder<'static>>,
}

impl ContentOp {
    /// A content op; the caller fills in the modifiers.
    pub fn new(pattern: &[u8], nocase: bool) -> ContentOp {
        let pat = if nocase {
            pattern.to_ascii_lowercase()
        } else {
            pattern.to_vec()
        };
        let finder = (!nocase).then(|| memmem::Finder::new(&pat).into_owned());
        ContentOp {
            pat,
            nocase,
            negated: false,
            offset: None,
            depth: None,
            distance: None,
            within: None,
            relative: false,
            startswith: false,
            endswith: false,
            relative_next: false,
            finder,
        }
    }

    /// First occurrence of the pattern in `hay`.
    pub fn find(&self, hay: &[u8]) -> Option<usize> {
        if self.pat.is_empty() {
            return Some(0);
        }
        match &self.finder {
            Some(f) => f.find(hay),
            None => find_nocase(hay, &self.pat),
        }
    }
}

/// Case-insensitive search of a lower-case `needle`.
pub fn find_nocase(hay: &[u8], needle: &[u8]) -> Option<usize> {
    let (&first, rest) = needle.split_first()?;
    if hay.len() < needle.len() {
        return None;
    }
    let last_start = hay.len() - needle.len();
    let up = first.to_ascii_uppercase();
    let mut i = 0;
    while i <= last_start {
        let pos = memchr::memchr2(first, up, &hay[i..=last_start])? + i;
        if hay[pos + 1..pos + needle.len()].eq_ignore_ascii_case(rest) {
            return Some(pos);
        }
        i = pos + 1;
    }
    None
}

/// One `pcre`.
#[derive(Debug)]
pub struct PcreOp {
    /// The compiled expression.
    pub re: Regex,
    /// `!`.
    pub negated: bool,
    /// `R`.
    pub relative: bool,
    /// The next match is relative to this one.
    pub relative_next: bool,
}

/// How a number is read from the buffer.
#[derive(Debug, Clone, Copy)]
pub struct Read {
    /// Bytes read: a literal, or a variable for byte_test/byte_jump.
    pub nbytes: Val,
    /// Offset.
    pub offset: Val,
    /// Relative to the cursor.
    pub relative: bool,
    /// Byte order.
    pub endian: Endian,
    /// Text number base.
    pub string: Option<NumBase>,
    /// `bitmask`.
    pub bitmask: Option<u32>,
}

/// A compiled match of a buffer's list.
#[derive(Debug)]
pub enum Op {
    /// `content`.
    Content(Box<ContentOp>),
    /// `pcre`.
    Pcre(PcreOp),
    /// `byte_test`.
    ByteTest {
        /// Read.
        read: Read,
        /// Operator.
        op: ByteTestOp,
        /// `!`.
        negated: bool,
        /// Compared value.
        value: Val,
    },
    /// `byte_jump`.
    ByteJump {
        /// Read.
        read: Read,
        /// `multiplier`.
        multiplier: u32,
        /// `align`.
        align: bool,
        /// `from_beginning`.
        from_beginning: bool,
        /// `from_end`.
        from_end: bool,
        /// `post_offset`.
        post_offset: i32,
    },
    /// `byte_extract`.
    ByteExtract {
        /// Read.
        read: Read,
        /// `multiplier`.
        multiplier: u32,
        /// `align`.
        align: u8,
        /// Variable slot written.
        slot: u8,
    },
    /// `byte_math`.
    ByteMath {
        /// Read.
        read: Read,
        /// Operator.
        op: ByteMathOp,
        /// Right operand.
        rvalue: Val,
        /// Variable slot written.
        slot: u8,
    },
    /// `isdataat`.
    IsDataAt {
        /// Position.
        pos: Val,
        /// `!`.
        negated: bool,
        /// `relative`.
        relative: bool,
    },
    /// `bsize`.
    Bsize(UintMatch),
    /// `asn1`: BER objects from the cursor (or an absolute offset) checked
    /// for malformations; does not move the cursor.
    Asn1(Box<crate::asn1::Asn1Check>),
    /// `base64_decode`.
    Base64Decode {
        /// `bytes`.
        bytes: Option<u32>,
        /// `offset`.
        offset: u32,
        /// `relative`.
        relative: bool,
    },
}

impl Op {
    /// True when this op is relative to the previous match.
    pub fn is_relative(&self) -> bool {
        match self {
            Op::Content(c) => c.relative,
            Op::Pcre(p) => p.relative,
            Op::ByteTest { read, .. }
            | Op::ByteJump { read, .. }
            | Op::ByteExtract { read, .. }
            | Op::ByteMath { read, .. } => read.relative,
            Op::IsDataAt { relative, .. } => *relative,
            Op::Base64Decode { relative, .. } => *relative,
            Op::Bsize(_) => false,
            Op::Asn1(c) => c.relative_offset.is_some(),
        }
    }
}

/// The per-evaluation state of one rule: cursor, variables, budget.
pub struct Insp<'s> {
    /// End of the last match (Suricata's `buffer_offset`).
    pub cursor: usize,
    /// Variable values.
    pub vars: [i64; MAX_VARS],
    /// Steps left.
    pub budget: u32,
    /// PCRE match state.
    pub pcre: &'s mut Scratch,
    /// Data decoded by the last `base64_decode`.
    pub b64: &'s mut Vec<u8>,
    /// Set when `base64_decode` ran.
    pub b64_done: bool,
}

impl Insp<'_> {
    fn val(&self, v: Val) -> i64 {
        match v {
            Val::Lit(n) => n,
            Val::Var(s) => self.vars.get(usize::from(s)).copied().unwrap_or(0),
        }
    }
}

/// Result of inspecting a list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum R {
    Match,
    NoMatch,
    /// Budget exhausted: stop all retries.
    Abort,
}

/// Inspects `buf` with `ops`; true on a match.
pub fn inspect(ops: &[Op], buf: &[u8], st: &mut Insp<'_>) -> bool {
    st.cursor = 0;
    st.budget = STEP_BUDGET;
    run(ops, 0, buf, st) == R::Match
}

fn next(ops: &[Op], i: usize, buf: &[u8], st: &mut Insp<'_>) -> R {
    if i + 1 >= ops.len() {
        R::Match
    } else {
        run(ops, i + 1, buf, st)
    }
}

fn run(ops: &[Op], i: usize, buf: &[u8], st: &mut Insp<'_>) -> R {
    let Some(op) = ops.get(i) else {
        return R::Match;
    };
    if st.budget == 0 {
        return R::Abort;
    }
    st.budget -= 1;
    let len = buf.len() as i64;
    match op {
        Op::Content(c) => content(c, ops, i, buf, st),
        Op::Pcre(p) => {
            let prev_cursor = st.cursor;
            let base = if p.relative { prev_cursor } else { 0 };
            if base > buf.len() {
                return if p.negated {
                    next(ops, i, buf, st)
                } else {
                    R::NoMatch
                };
            }
            let subject = &buf[base..];
            let mut start = 0usize;
            loop {
                match p.re.find_at(subject, start, st.pcre) {
                    Err(_) => return R::NoMatch,
                    Ok(None) => {
                        return if p.negated {
                            next(ops, i, buf, st)
                        } else {
                            R::NoMatch
                        };
                    }
                    Ok(Some((s, e))) => {
                        if p.negated {
                            return R::NoMatch;
                        }
                        st.cursor = base + e;
                        if !p.relative_next {
                            return next(ops, i, buf, st);
                        }
                        match next(ops, i, buf, st) {
                            R::NoMatch => {}
                            r => return r,
                        }
                        st.cursor = prev_cursor;
                        start = s + 1;
                        if start > subject.len() {
                            return R::NoMatch;
                        }
                        if st.budget == 0 {
                            return R::Abort;
                        }
                        st.budget -= 1;
                    }
                }
            }
        }
        Op::ByteTest {
            read,
            op,
            negated,
            value,
        } => {
            let Some((v, _)) = read_value(buf, read, st) else {
                return R::NoMatch;
            };
            let want = st.val(*value) as u64;
            let m = match op {
                ByteTestOp::Lt => v < want,
                ByteTestOp::Gt => v > want,
                ByteTestOp::Eq => v == want,
                ByteTestOp::Le => v <= want,
                ByteTestOp::Ge => v >= want,
                ByteTestOp::And => v & want != 0,
                ByteTestOp::Xor => v ^ want != 0,
            };
            if m != *negated {
                next(ops, i, buf, st)
            } else {
                R::NoMatch
            }
        }
        Op::ByteJump {
            read,
            multiplier,
            align,
            from_beginning,
            from_end,
            post_offset,
        } => {
            let Some((v, end)) = read_value(buf, read, st) else {
                return R::NoMatch;
            };
            let mut v = (v as i64).saturating_mul(i64::from(*multiplier));
            if *align && v % 4 != 0 {
                v += 4 - v % 4;
            }
            let base = if *from_beginning {
                0
            } else if *from_end {
                len
            } else {
                end as i64
            };
            let mut target = base
                .saturating_add(v)
                .saturating_add(i64::from(*post_offset));
            // A jump before the buffer start lands on the start (Suricata 7).
            if target < 0 {
                target = 0;
            }
            if target >= len {
                return R::NoMatch;
            }
            st.cursor = target as usize;
            next(ops, i, buf, st)
        }
        Op::ByteExtract {
            read,
            multiplier,
            align,
            slot,
        } => {
            let Some((v, end)) = read_value(buf, read, st) else {
                return R::NoMatch;
            };
            let mut v = (v as i64).saturating_mul(i64::from(*multiplier));
            let a = i64::from(*align);
            if a > 1 && v % a != 0 {
                v += a - v % a;
            }
            if let Some(s) = st.vars.get_mut(usize::from(*slot)) {
                *s = v;
            }
            st.cursor = end;
            next(ops, i, buf, st)
        }
        Op::ByteMath {
            read,
            op,
            rvalue,
            slot,
        } => {
            let Some((v, _)) = read_value(buf, read, st) else {
                return R::NoMatch;
            };
            let r = st.val(*rvalue);
            let v = v as i64;
            let res = match op {
                ByteMathOp::Add => v.wrapping_add(r),
                ByteMathOp::Sub => v.wrapping_sub(r),
                ByteMathOp::Mul => v.wrapping_mul(r),
                ByteMathOp::Div => {
                    if r == 0 {
                        return R::NoMatch;
                    }
                    v.wrapping_div(r)
                }
                ByteMathOp::Shl => v.wrapping_shl(r as u32),
                ByteMathOp::Shr => v.wrapping_shr(r as u32),
            };
            if let Some(s) = st.vars.get_mut(usize::from(*slot)) {
                *s = res;
            }
            next(ops, i, buf, st)
        }
        Op::IsDataAt {
            pos,
            negated,
            relative,
        } => {
            let p = st.val(*pos);
            let has = if *relative {
                st.cursor as i64 + p <= len
            } else {
                p < len
            };
            if has != *negated {
                next(ops, i, buf, st)
            } else {
                R::NoMatch
            }
        }
        Op::Bsize(m) => {
            if uint_match(*m, buf.len() as u64) {
                next(ops, i, buf, st)
            } else {
                R::NoMatch
            }
        }
        Op::Asn1(c) => {
            if c.matches(buf, st.cursor) {
                next(ops, i, buf, st)
            } else {
                R::NoMatch
            }
        }
        Op::Base64Decode {
            bytes,
            offset,
            relative,
        } => {
            let start = if *relative { st.cursor } else { 0 }.saturating_add(*offset as usize);
            st.b64.clear();
            st.b64_done = true;
            if let Some(src) = buf.get(start..) {
                let n = bytes.map_or(src.len(), |b| (b as usize).min(src.len()));
                base64_decode_lenient(&src[..n], st.b64);
            }
            next(ops, i, buf, st)
        }
    }
}

fn content(c: &ContentOp, ops: &[Op], i: usize, buf: &[u8], st: &mut Insp<'_>) -> R {
    let len = buf.len() as i64;
    let prev_cursor = st.cursor as i64;
    let plen = c.pat.len() as i64;
    let mut retry_from: Option<i64> = None;
    loop {
        let (mut offset, mut depth);
        if c.relative {
            offset = prev_cursor;
            depth = len;
            let distance = c.distance.map_or(0, |v| st.val(v));
            if distance < 0 && -distance > offset {
                offset = 0;
            } else {
                offset += distance;
            }
            if let Some(w) = c.within {
                let lim = prev_cursor + distance + st.val(w);
                if depth > lim {
                    depth = lim;
                }
            }
        } else if c.startswith {
            offset = 0;
            depth = plen;
        } else {
            offset = c.offset.map_or(0, |v| st.val(v));
            depth = match c.depth {
                Some(d) => offset + st.val(d),
                None => len,
            };
        }
        if let Some(r) = retry_from {
            offset = offset.max(r);
        }
        if depth > len {
            depth = len;
        }
        if offset < 0 {
            offset = 0;
        }
        if c.endswith {
            if depth < len {
                return if c.negated {
                    next(ops, i, buf, st)
                } else {
                    R::NoMatch
                };
            }
            offset = offset.max(len - plen);
        }
        if offset > depth || depth - offset < plen || (depth == 0 && plen > 0) {
            return if c.negated {
                next(ops, i, buf, st)
            } else {
                R::NoMatch
            };
        }
        let window = &buf[offset as usize..depth as usize];
        match c.find(window) {
            None => {
                return if c.negated {
                    next(ops, i, buf, st)
                } else {
                    R::NoMatch
                };
            }
            Some(pos) => {
                if c.negated {
                    return R::NoMatch;
                }
                let start = offset + pos as i64;
                st.cursor = (start + plen) as usize;
                if !c.relative_next {
                    return next(ops, i, buf, st);
                }
                match next(ops, i, buf, st) {
                    R::NoMatch => {}
                    r => return r,
                }
                if st.budget == 0 {
                    return R::Abort;
                }
                st.budget -= 1;
                st.cursor = prev_cursor as usize;
                retry_from = Some(start + 1);
            }
        }
    }
}

/// Reads the number of a byte_* keyword: (value, end offset of the read).
fn read_value(buf: &[u8], r: &Read, st: &Insp<'_>) -> Option<(u64, usize)> {
    let base = if r.relative { st.cursor as i64 } else { 0 };
    let start = base + st.val(r.offset);
    let n = st.val(r.nbytes);
    // A count from a variable is only known now: out of the range the
    // parser accepts for a literal, nothing is read.
    let max_bytes = if r.string.is_some() { 32 } else { 8 };
    if !(0..=max_bytes).contains(&n) || start < 0 || start + n > buf.len() as i64 {
        return None;
    }
    // A string of unstated length (`byte_test:0,...,string`): Suricata
    // converts whatever number starts there (strtoull up to the first
    // non-digit), as ET's rules on `http.content_len` rely on.
    if n == 0
        && let Some(base) = r.string
    {
        let rest = buf.get(start as usize..)?;
        let (v, used) = parse_text(rest, base)?;
        return Some((masked(v, r), start as usize + used));
    }
    let bytes = &buf[start as usize..(start + n) as usize];
    let v: u64 = match r.string {
        Some(base) => parse_text(bytes, base)?.0,
        None => {
            if n > 8 {
                return None;
            }
            match r.endian {
                Endian::Big => bytes.iter().fold(0u64, |a, b| (a << 8) | u64::from(*b)),
                Endian::Little | Endian::Dce => bytes
                    .iter()
                    .rev()
                    .fold(0u64, |a, b| (a << 8) | u64::from(*b)),
            }
        }
    };
    Some((masked(v, r), (start + n) as usize))
}

/// Applies the read's `bitmask`.
fn masked(mut v: u64, r: &Read) -> u64 {
    if let Some(mask) = r.bitmask {
        v &= u64::from(mask);
        if mask != 0 {
            v >>= mask.trailing_zeros();
        }
    }
    v
}

/// Parses leading digits of `bytes` in `base` (at least one digit); the
/// value and how many bytes it took (leading spaces and `0x` included).
fn parse_text(bytes: &[u8], base: NumBase) -> Option<(u64, usize)> {
    let radix = match base {
        NumBase::Hex => 16,
        NumBase::Dec => 10,
        NumBase::Oct => 8,
    };
    let mut s = bytes;
    while let [b, rest @ ..] = s {
        if b.is_ascii_whitespace() {
            s = rest;
        } else {
            break;
        }
    }
    if radix == 16 && (s.starts_with(b"0x") || s.starts_with(b"0X")) {
        s = &s[2..];
    }
    let mut v: u64 = 0;
    let mut digits = 0;
    for &b in s {
        let d = match (b as char).to_digit(radix) {
            Some(d) => d,
            None => break,
        };
        v = v.checked_mul(u64::from(radix))?.checked_add(u64::from(d))?;
        digits += 1;
    }
    (digits > 0).then_some((v, bytes.len() - s.len() + digits))
}

/// Generic unsigned comparison (dsize, bsize, ttl, ...).
pub fn uint_match(m: UintMatch, v: u64) -> bool {
    match m {
        UintMatch::Eq(n) => v == n,
        UintMatch::Ne(n) => v != n,
        UintMatch::Lt(n) => v < n,
        UintMatch::Le(n) => v <= n,
        UintMatch::Gt(n) => v > n,
        UintMatch::Ge(n) => v >= n,
        UintMatch::Range(a, b) => v > a && v < b,
    }
}

/// Decodes base64 leniently (RFC 2045 style): characters outside the
/// alphabet are skipped, decoding stops at padding.
pub fn base64_decode_lenient(src: &[u8], out: &mut Vec<u8>) {
    let mut acc: u32 = 0;
    let mut bits = 0u32;
    for &b in src {
        let v = match b {
            b'A'..=b'Z' => b - b'A',
            b'a'..=b'z' => b - b'a' + 26,
            b'0'..=b'9' => b - b'0' + 52,
            b'+' => 62,
            b'/' => 63,
            b'=' => break,
            _ => continue,
        };
        acc = (acc << 6) | u32::from(v);
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
            acc &= (1 << bits) - 1;
        }
    }
}
