//! Suricata 7's TLS rule keywords that read the session state rather than
//! a buffer: `ssl_state`, `ssl_version`, `tls.version`,
//! `tls_cert_notbefore`, `tls_cert_notafter`, `tls_cert_expired`,
//! `tls_cert_valid`, `tls.subject`, `tls.issuerdn` and
//! `tls.cert_chain_len`, with Suricata 7.0's argument syntax, error cases
//! and matching quirks (checked against Suricata 7.0.10):
//!
//! - All of them are inspected on every packet of a TLS flow against the
//!   state as parsed so far ([`crate::keywords::TxMatch::per_packet`]), in
//!   the packet's direction, and a rule matches at most once per
//!   direction: Suricata's single TLS transaction with the `tls_generic`,
//!   `tls_cert` and `tls_validity` inspection lists.
//! - `ssl_state` tests the flags of the message(s) decoded by the last
//!   parse of either side (`current_flags`): `(flags & current) ^ negated`
//!   is non-zero. `ssl_version` and `tls.version` test the version of the
//!   side the packet comes from (the client's to the server, the server's
//!   to the client).
//! - The certificate keywords wait for Suricata's `TLS_STATE_CERT_READY`
//!   progress and read the certificate of the packet's sender (the
//!   server's to the client, a client certificate to the server); the
//!   validity keywords and `tls.cert_chain_len` are to-client only.

use super::{FLAG_HANDSHAKE_DONE, TlsTx};
use super::{SSL_VERSION_2, SSL_VERSION_3, TLS_VERSION_10, TLS_VERSION_11, TLS_VERSION_12};
use super::{TLS_VERSION_13, TLS_VERSION_13_PRE_DRAFT16};
use crate::keywords::{MatchCtx, TxMatch, UintCond};
use crate::{Direction, Transaction};

fn tls_of(tx: &dyn Transaction) -> Option<&TlsTx> {
    tx.as_any().and_then(|a| a.downcast_ref::<TlsTx>())
}

/// Suricata's `\s` (PCRE): space, tab, newline, vertical tab, form feed,
/// carriage return.
fn is_space(c: char) -> bool {
    matches!(c, ' ' | '\t' | '\n' | '\x0b' | '\x0c' | '\r')
}

/// Whether the certificate keywords may be inspected in `dir`: Suricata's
/// `TLS_STATE_CERT_READY` progress (to the client: the handshake is done
/// or the session finished; to the server: also as soon as the server
/// certificate's subject or issuer is known).
pub(crate) fn cert_ready(t: &TlsTx, dir: Direction) -> bool {
    let done = t.flags & FLAG_HANDSHAKE_DONE != 0 || t.finished;
    match dir {
        Direction::ToClient => done,
        Direction::ToServer => {
            done || t.server.cert0.subject.is_some() || t.server.cert0.issuer.is_some()
        }
    }
}

// ---------------------------------------------------------------- ssl_state

/// `ssl_state:NAME[|NAME...]`, each name optionally negated with `!`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SslStateMatch {
    /// The named state bits.
    pub flags: u32,
    /// The negated ones among them.
    pub mask: u32,
}

fn ssl_state_bit(name: &str) -> Option<u32> {
    Some(match name {
        "client_hello" => super::FLAG_CLIENT_HELLO,
        "server_hello" => super::FLAG_SERVER_HELLO,
        "client_keyx" => super::FLAG_CLIENT_KEYX,
        "server_keyx" => super::FLAG_SERVER_KEYX,
        "unknown" => super::FLAG_UNKNOWN,
        _ => return None,
    })
}

fn is_state_char(c: char) -> bool {
    c == '_' || c.is_ascii_alphanumeric()
}

/// Suricata copies each remainder of the argument into a 64-byte buffer.
const SSL_STATE_MAX_REST: usize = 63;

/// Parses `ssl_state`'s argument: names separated by `|` or `,` (spaces
/// around separators allowed), each name optionally preceded by `!`.
pub fn parse_ssl_state(v: &str) -> Result<SslStateMatch, String> {
    let arg = v.trim_matches(is_space);
    let mut rest = arg;
    let (mut flags, mut mask) = (0u32, 0u32);
    let mut first = true;
    loop {
        if !first {
            if rest.is_empty() {
                break;
            }
            let r = rest.trim_start_matches(is_space);
            let Some(r) = r.strip_prefix(['|', ',']) else {
                return Err(format!(
                    "invalid argument '{arg}' (expected '|' between states)"
                ));
            };
            rest = r.trim_start_matches(is_space);
        }
        first = false;
        let (neg, r) = match rest.strip_prefix('!') {
            Some(r) => (true, r),
            None => (false, rest),
        };
        let end = r.find(|c: char| !is_state_char(c)).unwrap_or(r.len());
        let (name, after) = r.split_at(end);
        if name.is_empty() {
            return Err(format!("invalid argument '{arg}' (expected a state name)"));
        }
        let bit = ssl_state_bit(name).ok_or_else(|| {
            format!(
                "unknown state '{name}' (client_hello, server_hello, client_keyx, server_keyx or unknown)"
            )
        })?;
        if after.len() > SSL_STATE_MAX_REST {
            return Err(format!("argument '{arg}' is too long"));
        }
        flags |= bit;
        if neg {
            mask |= bit;
        }
        rest = after;
    }
    Ok(SslStateMatch { flags, mask })
}

impl TxMatch for SslStateMatch {
    fn matches(&self, tx: &dyn Transaction, _dir: Direction) -> bool {
        tls_of(tx).is_some_and(|t| (self.flags & t.current_flags) ^ self.mask != 0)
    }
    fn per_packet(&self) -> bool {
        true
    }
}

// -------------------------------------------------------------- ssl_version

/// The versions `ssl_version` names, in Suricata's order.
const SSL_VERSION_NAMES: [&str; 6] = ["sslv2", "sslv3", "tls1.0", "tls1.1", "tls1.2", "tls1.3"];

/// `ssl_version:V[,V...]`: for each of sslv2 ... tls1.3, whether it is
/// listed and whether negated.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SslVersionMatch {
    /// Per version of [`SSL_VERSION_NAMES`]: `None` not listed,
    /// `Some(negated)`.
    pub versions: [Option<bool>; 6],
}

/// Parses `ssl_version`'s argument: names (any case) separated by commas
/// and/or spaces, each optionally negated; no duplicates, and negated and
/// plain names cannot be mixed.
pub fn parse_ssl_version(v: &str) -> Result<SslVersionMatch, String> {
    let mut s = v.trim_start_matches(|c: char| c.is_ascii_whitespace());
    if s.is_empty() {
        return Err("empty value".into());
    }
    let mut versions = [None; 6];
    let mut seen_neg: Option<bool> = None;
    while !s.is_empty() {
        let (neg, r) = match s.strip_prefix('!') {
            Some(r) => (true, r),
            None => (false, s),
        };
        let end = r
            .find(|c: char| c.is_ascii_whitespace() || c == ',')
            .unwrap_or(r.len());
        let (word, after) = r.split_at(end);
        let idx = SSL_VERSION_NAMES
            .iter()
            .position(|n| n.eq_ignore_ascii_case(word))
            .ok_or_else(|| {
                format!("unknown version '{word}' (sslv2, sslv3, tls1.0, tls1.1, tls1.2, tls1.3)")
            })?;
        let slot = versions.get_mut(idx).ok_or("internal: version index")?;
        if slot.is_some() {
            return Err(format!("version '{word}' listed twice"));
        }
        *slot = Some(neg);
        match seen_neg {
            None => seen_neg = Some(neg),
            Some(n) if n != neg => {
                return Err("negated and non-negated versions cannot be mixed".into());
            }
            Some(_) => {}
        }
        s = after.trim_start_matches(|c: char| c.is_ascii_whitespace() || c == ',');
    }
    Ok(SslVersionMatch { versions })
}

/// The [`SSL_VERSION_NAMES`] slot of a protocol version as `ssl_version`
/// sees it (TLS 1.3 drafts 16 to 28 and the pre-16 marker count as 1.3).
fn ssl_version_slot(v: u16) -> Option<usize> {
    Some(match v {
        SSL_VERSION_2 => 0,
        SSL_VERSION_3 => 1,
        TLS_VERSION_10 => 2,
        TLS_VERSION_11 => 3,
        TLS_VERSION_12 => 4,
        TLS_VERSION_13 | TLS_VERSION_13_PRE_DRAFT16 | 0x7f10..=0x7f1c => 5,
        _ => return None,
    })
}

impl TxMatch for SslVersionMatch {
    /// Suricata's test: the sender's version must be one of the six, and
    /// matches when listed and not negated (a negated entry never matches:
    /// its "listed" and "negated" cancel out; an unlisted version does
    /// not match either).
    fn matches(&self, tx: &dyn Transaction, dir: Direction) -> bool {
        let Some(t) = tls_of(tx) else { return false };
        let Some(slot) = ssl_version_slot(t.version_of(dir)) else {
            return false;
        };
        matches!(self.versions.get(slot), Some(Some(false)))
    }
    fn per_packet(&self) -> bool {
        true
    }
}

// -------------------------------------------------------------- tls.version

/// `tls.version:1.0|1.1|1.2|1.3|0xNNNN`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TlsVersionMatch {
    /// The version.
    pub version: u16,
    /// Given in hex: compared as is (no draft folding).
    pub raw: bool,
}

/// Parses `tls.version`'s argument as Suricata 7 does: `1.0` ... `1.3`
/// (a prefix test), or `0x` and four hex digits.
pub fn parse_tls_version(v: &str) -> Result<TlsVersionMatch, String> {
    let t = v.trim_matches(is_space);
    let inner = t
        .strip_prefix('"')
        .and_then(|x| x.strip_suffix('"'))
        .unwrap_or(t);
    let ok_char = |c: char| c.is_ascii_alphanumeric() || ('['..='`').contains(&c) || c == '.';
    if inner.is_empty() || !inner.chars().all(ok_char) {
        return Err(format!("invalid version '{t}'"));
    }
    let named = [
        ("1.0", TLS_VERSION_10),
        ("1.1", TLS_VERSION_11),
        ("1.2", TLS_VERSION_12),
        ("1.3", TLS_VERSION_13),
    ];
    if let Some((_, ver)) = named.iter().find(|(n, _)| inner.starts_with(n)) {
        return Ok(TlsVersionMatch {
            version: *ver,
            raw: false,
        });
    }
    // Suricata checks the length of the whole argument (6: `0xNNNN`) and
    // reads the hex digits that follow `0x` (none: 0).
    if let Some(hex) = inner.strip_prefix("0x")
        && v.len() == 6
    {
        let digits = hex
            .find(|c: char| !c.is_ascii_hexdigit())
            .map_or(hex, |i| hex.get(..i).unwrap_or(""));
        let version = u16::from_str_radix(digits, 16).unwrap_or(0);
        return Ok(TlsVersionMatch { version, raw: true });
    }
    Err(format!(
        "invalid version '{t}' (1.0, 1.1, 1.2, 1.3 or 0x followed by 4 hex digits)"
    ))
}

impl TxMatch for TlsVersionMatch {
    fn matches(&self, tx: &dyn Transaction, dir: Direction) -> bool {
        let Some(t) = tls_of(tx) else { return false };
        let mut v = t.version_of(dir);
        if !self.raw && v >> 8 == 0x7f {
            v = TLS_VERSION_13;
        }
        v == self.version
    }
    fn per_packet(&self) -> bool {
        true
    }
}

// ------------------------------------------------------- certificate dates

/// Which date or check a validity keyword applies.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Validity {
    /// `tls_cert_notbefore:` / `tls_cert_notafter:` `[<|>]DATE` or
    /// `DATE<>DATE` (bounds included, as Suricata).
    Date {
        /// notAfter (else notBefore).
        not_after: bool,
        /// The comparison.
        cmp: DateCmp,
    },
    /// `tls_cert_expired`: the packet time is past notAfter.
    Expired,
    /// `tls_cert_valid`: the packet time is not past notAfter.
    Valid,
}

/// A date comparison (Unix seconds). Suricata's `<` and `>` include the
/// bound.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DateCmp {
    /// Equal.
    Eq(i64),
    /// At or before.
    Le(i64),
    /// At or after.
    Ge(i64),
    /// Within, bounds included.
    Range(i64, i64),
}

/// A certificate validity keyword.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ValidityMatch(pub Validity);

/// Longest date Suricata keeps (its 20-byte buffer, NUL included).
const MAX_DATE_LEN: usize = 19;

/// The characters Suricata's date pattern accepts: ' ' to ':', 'T', 'W'.
fn is_date_char(c: char) -> bool {
    (' '..=':').contains(&c) || c == 'T' || c == 'W'
}

/// Parses `tls_cert_notbefore` / `tls_cert_notafter`'s argument.
pub fn parse_date_cmp(v: &str) -> Result<DateCmp, String> {
    let s = v.trim_start_matches(is_space);
    let (mode, s) = match s.chars().next() {
        Some(c @ ('<' | '>')) if !s.starts_with("<>") => (Some(c), s.get(1..).unwrap_or("")),
        _ => (None, s),
    };
    let s = s.trim_start_matches(is_space);
    let end1 = s.find(|c: char| !is_date_char(c)).unwrap_or(s.len());
    let (value1, rest) = s.split_at(end1);
    if value1.is_empty() {
        return Err(format!("invalid date '{}'", v.trim()));
    }
    let rest = rest.trim_start_matches(is_space);
    let value2 = match rest.strip_prefix("<>") {
        Some(r) => {
            let r = r.trim_start_matches(is_space);
            let end2 = r.find(|c: char| !is_date_char(c)).unwrap_or(r.len());
            let (value2, tail) = r.split_at(end2);
            if value2.is_empty() || !tail.trim_start_matches(is_space).is_empty() {
                return Err(format!("invalid date range '{}'", v.trim()));
            }
            Some(value2)
        }
        None if rest.is_empty() => None,
        None => return Err(format!("invalid date '{}'", v.trim())),
    };
    for d in std::iter::once(value1).chain(value2) {
        if d.len() > MAX_DATE_LEN {
            return Err(format!("date '{}' is too long", d.trim()));
        }
    }
    if value2.is_some() && mode.is_some() {
        return Err("a range cannot have '<' or '>'".into());
    }
    let e1 = date_to_epoch(value1)?;
    Ok(match (mode, value2) {
        (Some('<'), _) => DateCmp::Le(e1),
        (Some(_), _) => DateCmp::Ge(e1),
        (None, Some(d2)) => {
            let e2 = date_to_epoch(d2)?;
            if e2 <= e1 {
                return Err("the second date of a range must be after the first".into());
            }
            DateCmp::Range(e1, e2)
        }
        (None, None) => DateCmp::Eq(e1),
    })
}

/// Suricata's date argument: Unix seconds (digits only), or a date
/// `YYYY-MM[-DD[( |T)HH[:MM[:SS]]]]` (UTC; the first of the month when
/// the day is missing).
pub fn date_to_epoch(s: &str) -> Result<i64, String> {
    let s = s.trim_matches(|c: char| c.is_ascii_whitespace());
    if !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()) {
        // strtol: saturates.
        return Ok(s.parse::<i64>().unwrap_or(i64::MAX));
    }
    const PATTERNS: [&str; 10] = [
        "%Y-%m",
        "%Y-%m-%d",
        "%Y-%m-%d %H",
        "%Y-%m-%d %H:%M",
        "%Y-%m-%d %H:%M:%S",
        "%Y-%m-%dT%H",
        "%Y-%m-%dT%H:%M",
        "%Y-%m-%dT%H:%M:%S",
        "%H:%M",
        "%H:%M:%S",
    ];
    let tm = PATTERNS
        .iter()
        .find_map(|p| strptime(s, p))
        .ok_or_else(|| format!("invalid date '{s}'"))?;
    let (Some(year), Some(mon)) = (tm.year, tm.mon) else {
        // A time without a date.
        return Err(format!("invalid date '{s}' (no date)"));
    };
    let mday = tm.mday.unwrap_or(1);
    Ok(mktime_utc(year, mon, mday, tm.hour, tm.min, tm.sec))
}

/// The fields `strptime` filled in (`None`: not in the pattern).
#[derive(Default)]
struct Tm {
    year: Option<i64>,
    mon: Option<i64>,
    mday: Option<i64>,
    hour: i64,
    min: i64,
    sec: i64,
}

/// glibc's `strptime` for the conversions Suricata's date patterns use,
/// requiring the whole input to be consumed: a space in the pattern
/// matches any run of white space (even none), numbers may be preceded by
/// white space and take at most their width in digits, stopping early
/// when another digit would exceed the maximum.
fn strptime(input: &str, pattern: &str) -> Option<Tm> {
    let inp = input.as_bytes();
    let mut pos = 0usize;
    let mut tm = Tm::default();
    let mut pat = pattern.bytes();
    let skip_ws = |pos: &mut usize| {
        while inp.get(*pos).is_some_and(|c| c.is_ascii_whitespace()) {
            *pos += 1;
        }
    };
    while let Some(p) = pat.next() {
        if p == b' ' {
            skip_ws(&mut pos);
            continue;
        }
        if p != b'%' {
            if inp.get(pos) != Some(&p) {
                return None;
            }
            pos += 1;
            continue;
        }
        let conv = pat.next()?;
        let (min, max, width) = match conv {
            b'Y' => (0, 9999, 4),
            b'm' => (1, 12, 2),
            b'd' => (1, 31, 2),
            b'H' => (0, 23, 2),
            b'M' => (0, 59, 2),
            b'S' => (0, 61, 2),
            _ => return None,
        };
        skip_ws(&mut pos);
        let mut val: i64 = 0;
        let mut n = 0;
        while let Some(&c) = inp.get(pos).filter(|c| c.is_ascii_digit()) {
            if n > 0 && (n >= width || val * 10 > max) {
                break;
            }
            val = val * 10 + i64::from(c - b'0');
            pos += 1;
            n += 1;
        }
        if n == 0 || val < min || val > max {
            return None;
        }
        match conv {
            b'Y' => tm.year = Some(val),
            b'm' => tm.mon = Some(val - 1),
            b'd' => tm.mday = Some(val),
            b'H' => tm.hour = val,
            b'M' => tm.min = val,
            _ => tm.sec = val,
        }
    }
    (pos == inp.len()).then_some(tm)
}

/// Suricata's `SCMkTimeUtc` (its own arithmetic, C integer division
/// included) for a year, a month 0-11, a day and a time.
fn mktime_utc(year: i64, mon: i64, mday: i64, hour: i64, min: i64, sec: i64) -> i64 {
    const MDAYS: [i64; 12] = [0, 31, 59, 90, 120, 151, 181, 212, 243, 273, 304, 334];
    let m = mon.rem_euclid(12);
    let year = year + mon / 12;
    let mut days = (year - 1970) * 365 + MDAYS.get(m as usize).copied().unwrap_or(0);
    days += (year - 1968) / 4;
    days -= (year - 1900) / 100;
    days += (year - 1600) / 400;
    if year % 4 == 0 && (year % 100 != 0 || year % 400 == 0) && m < 2 {
        days -= 1;
    }
    days += mday - 1;
    ((days * 24 + hour) * 60 + min) * 60 + sec
}

impl TxMatch for ValidityMatch {
    fn matches(&self, tx: &dyn Transaction, dir: Direction) -> bool {
        self.matches_in(tx, dir, &MatchCtx::default())
    }

    fn matches_in(&self, tx: &dyn Transaction, dir: Direction, ctx: &MatchCtx) -> bool {
        let Some(t) = tls_of(tx) else { return false };
        if dir != Direction::ToClient || !cert_ready(t, dir) {
            return false;
        }
        let cert = &t.conn(dir).cert0;
        let epoch = match self.0 {
            Validity::Date {
                not_after: false, ..
            } => cert.not_before,
            _ => cert.not_after,
        };
        // Unknown (or exactly 1970-01-01T00:00:00): no match, as Suricata.
        if epoch == 0 {
            return false;
        }
        match self.0 {
            Validity::Date { cmp, .. } => match cmp {
                DateCmp::Eq(d) => epoch == d,
                DateCmp::Le(d) => epoch <= d,
                DateCmp::Ge(d) => epoch >= d,
                DateCmp::Range(a, b) => a <= epoch && epoch <= b,
            },
            Validity::Expired => ctx.now_secs > epoch,
            Validity::Valid => ctx.now_secs <= epoch,
        }
    }

    fn per_packet(&self) -> bool {
        true
    }

    fn direction(&self) -> Option<Direction> {
        Some(Direction::ToClient)
    }
    fn stage(&self) -> u8 {
        1
    }
}

// ---------------------------------------------- tls.subject / tls.issuerdn

/// `tls.subject:"..."` / `tls.issuerdn:"..."` (legacy): the certificate
/// field contains the string (case-sensitive); `!` negates, but a missing
/// certificate never matches.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DnMatch {
    /// Issuer (else subject).
    pub issuer: bool,
    /// The string searched for.
    pub needle: String,
    /// `!`.
    pub negated: bool,
}

/// The characters Suricata's pattern for these keywords accepts:
/// letters, digits, `[\]^_` and backquote (its `A-z`), white space and
/// `-.=,*@`.
fn is_dn_char(c: char) -> bool {
    c.is_ascii_alphanumeric()
        || ('['..='`').contains(&c)
        || is_space(c)
        || matches!(c, '-' | '.' | '=' | ',' | '*' | '@')
}

/// Parses the value of `tls.subject` / `tls.issuerdn` as handed over by
/// the rule parser (quotes removed, a leading `!` for negation).
pub fn parse_dn(v: &str, issuer: bool) -> Result<DnMatch, String> {
    let (negated, s) = match v.strip_prefix('!') {
        Some(r) => (true, r),
        None => (false, v),
    };
    // Trailing white space is part of the string (Suricata's pattern
    // keeps it); leading characters must all be allowed.
    if s.is_empty() || !s.chars().all(is_dn_char) {
        return Err(format!(
            "invalid value \"{s}\" (letters, digits, spaces and -.=,*@ only)"
        ));
    }
    Ok(DnMatch {
        issuer,
        needle: s.to_string(),
        negated,
    })
}

impl TxMatch for DnMatch {
    fn matches(&self, tx: &dyn Transaction, dir: Direction) -> bool {
        let Some(t) = tls_of(tx) else { return false };
        if !cert_ready(t, dir) {
            return false;
        }
        let cert = &t.conn(dir).cert0;
        let field = if self.issuer {
            &cert.issuer
        } else {
            &cert.subject
        };
        match field {
            Some(f) => f.contains(self.needle.as_str()) != self.negated,
            None => false,
        }
    }
    fn per_packet(&self) -> bool {
        true
    }
    fn stage(&self) -> u8 {
        1
    }
}

// ------------------------------------------------------ tls.cert_chain_len

/// `tls.cert_chain_len`: an integer condition on the number of
/// certificates the server sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ChainLenMatch(pub UintCond);

impl TxMatch for ChainLenMatch {
    fn matches(&self, tx: &dyn Transaction, dir: Direction) -> bool {
        let Some(t) = tls_of(tx) else { return false };
        if dir != Direction::ToClient || !cert_ready(t, dir) {
            return false;
        }
        u64::try_from(t.conn(dir).chain.len()).is_ok_and(|n| self.0.matches(n))
    }
    fn per_packet(&self) -> bool {
        true
    }
    fn direction(&self) -> Option<Direction> {
        Some(Direction::ToClient)
    }
    fn stage(&self) -> u8 {
        1
    }
}

// ---------------------------------------------------------------- compilers

pub(crate) fn compile_ssl_state(v: &str) -> Result<Box<dyn TxMatch>, String> {
    Ok(Box::new(parse_ssl_state(v)?))
}

pub(crate) fn compile_ssl_version(v: &str) -> Result<Box<dyn TxMatch>, String> {
    Ok(Box::new(parse_ssl_version(v)?))
}

pub(crate) fn compile_tls_version(v: &str) -> Result<Box<dyn TxMatch>, String> {
    Ok(Box::new(parse_tls_version(v)?))
}

pub(crate) fn compile_notbefore(v: &str) -> Result<Box<dyn TxMatch>, String> {
    Ok(Box::new(ValidityMatch(Validity::Date {
        not_after: false,
        cmp: parse_date_cmp(v)?,
    })))
}

pub(crate) fn compile_notafter(v: &str) -> Result<Box<dyn TxMatch>, String> {
    Ok(Box::new(ValidityMatch(Validity::Date {
        not_after: true,
        cmp: parse_date_cmp(v)?,
    })))
}

fn no_argument(v: &str) -> Result<(), String> {
    if v.trim().is_empty() {
        Ok(())
    } else {
        Err("takes no argument".into())
    }
}

pub(crate) fn compile_expired(v: &str) -> Result<Box<dyn TxMatch>, String> {
    no_argument(v)?;
    Ok(Box::new(ValidityMatch(Validity::Expired)))
}

pub(crate) fn compile_valid(v: &str) -> Result<Box<dyn TxMatch>, String> {
    no_argument(v)?;
    Ok(Box::new(ValidityMatch(Validity::Valid)))
}

pub(crate) fn compile_subject(v: &str) -> Result<Box<dyn TxMatch>, String> {
    Ok(Box::new(parse_dn(v, false)?))
}

pub(crate) fn compile_issuerdn(v: &str) -> Result<Box<dyn TxMatch>, String> {
    Ok(Box::new(parse_dn(v, true)?))
}

pub(crate) fn compile_chain_len(v: &str) -> Result<Box<dyn TxMatch>, String> {
    UintCond::parse(v)
        .map(|c| Box::new(ChainLenMatch(c)) as Box<dyn TxMatch>)
        .ok_or_else(|| format!("invalid integer condition '{}'", v.trim()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::it::tls::{
        CertInfo, Conn, FLAG_CLIENT_HELLO, FLAG_CLIENT_KEYX, FLAG_SERVER_HELLO, FLAG_SERVER_KEYX,
    };
    use crate::keywords::compile;

    const TS: Direction = Direction::ToServer;
    const TC: Direction = Direction::ToClient;

    fn tx() -> TlsTx {
        TlsTx {
            flags: 0,
            current_flags: 0,
            client: Conn::default(),
            server: Conn::default(),
            ja3_hash_hex: None,
            ja4: None,
            log_ja3: false,
            from_proto: None,
            finished: false,
        }
    }

    /// A session with the server certificate decoded (handshake done).
    fn with_cert() -> TlsTx {
        let mut t = tx();
        t.flags = FLAG_HANDSHAKE_DONE;
        t.server.cert0 = CertInfo {
            subject: Some("C=FR, O=Stamus, CN=SELKS".into()),
            issuer: Some("C=FR, ST=IDF, O=Stamus, CN=SELKS CA".into()),
            not_before: 1_423_764_447, // 2015-02-12T18:07:27
            not_after: 1_739_383_647,  // 2025-02-12T18:07:27
            ..CertInfo::default()
        };
        t.server.chain = vec![vec![1], vec![2], vec![3]];
        t
    }

    fn m(kw: &str, arg: &str) -> Box<dyn TxMatch> {
        match compile(kw, arg) {
            Some(Ok((proto, m))) => {
                assert_eq!(proto, crate::AppProto::Tls);
                assert!(m.per_packet(), "{kw}");
                m
            }
            other => panic!("{kw}:{arg}: {:?}", other.map(|r| r.map(|_| ()))),
        }
    }

    fn err(kw: &str, arg: &str) -> String {
        match compile(kw, arg) {
            Some(Err(e)) => e,
            _ => panic!("{kw}:{arg} should not compile"),
        }
    }

    #[test]
    fn ssl_state_parsing() {
        let p = |v| parse_ssl_state(v);
        assert_eq!(
            p("client_hello"),
            Ok(SslStateMatch {
                flags: FLAG_CLIENT_HELLO,
                mask: 0
            })
        );
        assert_eq!(
            p("client_hello | !server_hello,server_keyx"),
            Ok(SslStateMatch {
                flags: FLAG_CLIENT_HELLO | FLAG_SERVER_HELLO | FLAG_SERVER_KEYX,
                mask: FLAG_SERVER_HELLO
            })
        );
        assert_eq!(
            p("unknown").map(|s| s.flags),
            Ok(super::super::FLAG_UNKNOWN)
        );
        // Suricata's errors: space after '!', case, empty names, unknown
        // names, a remainder too long for its 64-byte buffer.
        for bad in [
            "! client_hello",
            "Client_Hello",
            "client_hello|",
            "|client_hello",
            "client_hello||server_hello",
            "client_hello server_hello",
            "foo",
            "",
            "client_hello|server_hello|client_keyx|server_keyx|unknown|client_hello|server_hello",
        ] {
            assert!(p(bad).is_err(), "{bad}");
        }
        assert!(
            p("client_hello|server_hello|client_keyx|server_keyx|unknown|client_hello").is_ok()
        );
        assert_eq!(
            err("ssl_state", "foo"),
            "ssl_state: unknown state 'foo' (client_hello, server_hello, client_keyx, server_keyx or unknown)"
        );
    }

    #[test]
    fn ssl_state_matches_the_current_message_flags() {
        let mut t = tx();
        t.flags = FLAG_CLIENT_HELLO | FLAG_SERVER_HELLO;
        t.current_flags = FLAG_SERVER_HELLO;
        let sh = m("ssl_state", "server_hello");
        let ch = m("ssl_state", "client_hello");
        let not_ch = m("ssl_state", "!client_hello");
        let either = m("ssl_state", "client_hello|server_hello");
        let ch_not_sh = m("ssl_state", "client_hello|!server_hello");
        // Either direction: the flags are the session's.
        assert!(sh.matches(&t, TS) && sh.matches(&t, TC));
        assert!(!ch.matches(&t, TS), "earlier messages do not count");
        assert!(not_ch.matches(&t, TS));
        assert!(either.matches(&t, TC));
        // (CH|SH & SH) ^ SH == 0.
        assert!(!ch_not_sh.matches(&t, TS));
        t.current_flags = FLAG_CLIENT_KEYX;
        assert!(ch_not_sh.matches(&t, TS));
        assert!(m("ssl_state", "server_keyx|client_keyx").matches(&t, TS));
        t.current_flags = 0;
        assert!(!sh.matches(&t, TS));
        assert!(!m("ssl_state", "unknown").matches(&t, TS));
    }

    #[test]
    fn ssl_version_parsing() {
        let p = |v| parse_ssl_version(v).map(|s| s.versions);
        assert_eq!(p("TLS1.2"), Ok([None, None, None, None, Some(false), None]));
        assert_eq!(
            p(" sslv2, sslv3 tls1.3,"),
            Ok([Some(false), Some(false), None, None, None, Some(false)])
        );
        assert_eq!(
            p("!tls1.0,!tls1.1"),
            Ok([None, None, Some(true), Some(true), None, None])
        );
        assert_eq!(
            err("ssl_version", "tls1.2,tls1.2"),
            "ssl_version: version 'tls1.2' listed twice"
        );
        assert_eq!(
            err("ssl_version", "tls1.2,!tls1.0"),
            "ssl_version: negated and non-negated versions cannot be mixed"
        );
        for bad in ["", "  ", "tls1.4", "!", "! tls1.2", "tls12", "tls1.2;"] {
            assert!(p(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn ssl_version_reads_the_senders_version() {
        let mut t = tx();
        t.client.version = TLS_VERSION_12;
        t.server.version = TLS_VERSION_10;
        let v12 = m("ssl_version", "tls1.2");
        assert!(v12.matches(&t, TS));
        assert!(!v12.matches(&t, TC));
        assert!(m("ssl_version", "sslv3,tls1.0").matches(&t, TC));
        // A negated entry never matches (Suricata 7): neither the version
        // it names nor another one.
        let not10 = m("ssl_version", "!tls1.0");
        assert!(!not10.matches(&t, TC));
        assert!(!not10.matches(&t, TS));
        // TLS 1.3 drafts are 1.3; unknown versions match nothing.
        t.server.version = 0x7f1c;
        assert!(m("ssl_version", "tls1.3").matches(&t, TC));
        t.server.version = 0x7f05;
        assert!(!m("ssl_version", "tls1.3").matches(&t, TC));
        t.server.version = 0;
        assert!(!m("ssl_version", "sslv2,sslv3,tls1.0,tls1.1,tls1.2,tls1.3").matches(&t, TC));
        t.server.version = SSL_VERSION_2;
        assert!(m("ssl_version", "sslv2").matches(&t, TC));
    }

    #[test]
    fn tls_version_parsing_and_matching() {
        let p = |v| parse_tls_version(v);
        assert_eq!(
            p("1.2"),
            Ok(TlsVersionMatch {
                version: TLS_VERSION_12,
                raw: false
            })
        );
        // Suricata compares a prefix.
        assert_eq!(p("1.25").map(|t| t.version), Ok(TLS_VERSION_12));
        assert_eq!(
            p("0x7f1c"),
            Ok(TlsVersionMatch {
                version: 0x7f1c,
                raw: true
            })
        );
        // `0x` then non-hex digits: strtol reads nothing, version 0.
        assert_eq!(p("0xzzzz").map(|t| t.version), Ok(0));
        for bad in ["1.4", "0x03", "0X0303", "0x030303", "", "tls1.2", "1,2"] {
            assert!(p(bad).is_err(), "{bad}");
        }
        let mut t = tx();
        t.client.version = 0x7f1c;
        t.server.version = TLS_VERSION_12;
        assert!(
            m("tls.version", "1.3").matches(&t, TS),
            "drafts fold into 1.3"
        );
        assert!(!m("tls.version", "0x0304").matches(&t, TS), "hex is raw");
        assert!(m("tls.version", "0x7f1c").matches(&t, TS));
        assert!(m("tls.version", "1.2").matches(&t, TC));
        assert!(!m("tls.version", "1.2").matches(&t, TS));
    }

    #[test]
    fn dates() {
        assert_eq!(date_to_epoch("2015-02-12T18:07:27"), Ok(1_423_764_447));
        assert_eq!(date_to_epoch("2015-02-12 18:07:27"), Ok(1_423_764_447));
        // glibc strptime: the space may match nothing, numbers may be short.
        assert_eq!(date_to_epoch("2015-02-1218:07:27"), Ok(1_423_764_447));
        assert_eq!(date_to_epoch("2015-2-12 18:7:27"), Ok(1_423_764_447));
        assert_eq!(date_to_epoch("2015-02"), Ok(1_422_748_800), "the 1st");
        assert_eq!(date_to_epoch("2015-02-12T18"), Ok(1_423_764_000));
        assert_eq!(date_to_epoch("1970-01-01"), Ok(0));
        assert_eq!(date_to_epoch("2000-02-29"), Ok(951_782_400));
        // A day past the month's end rolls over (Suricata's arithmetic).
        assert_eq!(date_to_epoch("2015-02-30"), date_to_epoch("2015-03-02"));
        assert_eq!(date_to_epoch("1969-12-31"), Ok(-86_400));
        // Digits only: Unix seconds, even when they look like a year.
        assert_eq!(date_to_epoch("2015"), Ok(2015));
        assert_eq!(date_to_epoch(" 1445852105 "), Ok(1_445_852_105));
        assert_eq!(date_to_epoch("99999999999999999999"), Ok(i64::MAX));
        for bad in [
            "2015-13-01",
            "2015-00-01",
            "2015-01-32",
            "12:00",
            "12:00:00",
            "2015-10-22T24",
            "2015-10-22T23:59:59Z",
            "2015/10/22",
            "",
            "2015-",
        ] {
            assert!(date_to_epoch(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn date_conditions() {
        let p = |v| parse_date_cmp(v);
        assert_eq!(p("<2015-02"), Ok(DateCmp::Le(1_422_748_800)));
        assert_eq!(p(">  2015"), Ok(DateCmp::Ge(2015)));
        assert_eq!(p("1970-01-02"), Ok(DateCmp::Eq(86_400)));
        assert_eq!(
            p("1970-01-02  <>  1970-01-03"),
            Ok(DateCmp::Range(86_400, 172_800))
        );
        assert_eq!(
            err("tls_cert_notafter", "<2015<>2016"),
            "tls_cert_notafter: a range cannot have '<' or '>'"
        );
        assert_eq!(
            err("tls_cert_notbefore", "2016-01-01<>2015-01-01"),
            "tls_cert_notbefore: the second date of a range must be after the first"
        );
        assert_eq!(
            err("tls_cert_notbefore", "2015-10-22T23:59:599"),
            "tls_cert_notbefore: date '2015-10-22T23:59:599' is too long"
        );
        for bad in [
            "",
            "<",
            "<>2015",
            "2015<>",
            "2015<>2016<>2017",
            "=2015",
            "2015-01-01x",
        ] {
            assert!(p(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn validity_keywords() {
        let t = with_cert();
        let at = |now_secs| MatchCtx {
            client: None,
            now_secs,
        };
        let now = at(1_600_000_000); // 2020
        let before = m("tls_cert_notbefore", "<2015-03-01");
        assert!(before.matches_in(&t, TC, &now));
        assert!(
            m("tls_cert_notbefore", "<1423764447").matches_in(&t, TC, &now),
            "bound included"
        );
        assert!(
            m("tls_cert_notbefore", ">1423764447").matches_in(&t, TC, &now),
            "bound included"
        );
        assert!(m("tls_cert_notbefore", "2015-02-12T18:07:27").matches_in(&t, TC, &now));
        assert!(!m("tls_cert_notbefore", "2015-02-12T18:07:28").matches_in(&t, TC, &now));
        assert!(m("tls_cert_notafter", "2025-01-01<>2025-03-01").matches_in(&t, TC, &now));
        assert!(!m("tls_cert_notafter", "<2025-01-01").matches_in(&t, TC, &now));
        let expired = m("tls_cert_expired", "");
        let valid = m("tls_cert_valid", "");
        assert_eq!(expired.direction(), Some(TC));
        assert!(!expired.matches_in(&t, TC, &now) && valid.matches_in(&t, TC, &now));
        // The packet time decides; notAfter itself is still valid.
        let at_end = at(1_739_383_647);
        assert!(!expired.matches_in(&t, TC, &at_end) && valid.matches_in(&t, TC, &at_end));
        let after = at(1_739_383_648);
        assert!(expired.matches_in(&t, TC, &after) && !valid.matches_in(&t, TC, &after));
        // To the client only; not before the handshake is done; not without
        // a certificate (nor with a date of exactly 0).
        assert!(!before.matches_in(&t, TS, &now));
        let mut early = with_cert();
        early.flags = 0;
        assert!(!before.matches_in(&early, TC, &now));
        early.finished = true;
        assert!(before.matches_in(&early, TC, &now));
        assert!(!valid.matches_in(&tx(), TC, &now) && !expired.matches_in(&tx(), TC, &now));
        assert_eq!(
            err("tls_cert_expired", "x"),
            "tls_cert_expired: takes no argument"
        );
    }

    #[test]
    fn subject_and_issuer() {
        let mut t = with_cert();
        let subj = m("tls.subject", "CN=SELKS");
        let issuer = m("tls.issuerdn", "O=Stamus, CN=SELKS CA");
        assert!(subj.matches(&t, TC) && issuer.matches(&t, TC));
        assert!(
            !m("tls.subject", "cn=selks").matches(&t, TC),
            "case-sensitive"
        );
        assert!(!m("tls.subject", "!CN=SELKS").matches(&t, TC));
        assert!(m("tls.subject", "!CN=other").matches(&t, TC));
        // To the server: the client's certificate (none here), even negated.
        assert!(!m("tls.subject", "!CN=other").matches(&t, TS));
        t.client.cert0.subject = Some("CN=client".into());
        assert!(m("tls.subject", "CN=client").matches(&t, TS));
        // Before the handshake is done: to the server once the server's
        // certificate is known; to the client not yet.
        t.flags = 0;
        assert!(!subj.matches(&t, TC));
        assert!(m("tls.subject", "CN=client").matches(&t, TS));
        // Trailing spaces are part of the string; other characters refused.
        assert!(parse_dn("CN=x  ", false).is_ok_and(|d| d.needle == "CN=x  "));
        for bad in ["", "!", "CN=(x)", "O=A&B", "CN=x'", "CN=\"x\""] {
            assert!(parse_dn(bad, false).is_err(), "{bad}");
        }
        assert_eq!(
            err("tls.issuerdn", "CN=a/b"),
            "tls.issuerdn: invalid value \"CN=a/b\" (letters, digits, spaces and -.=,*@ only)"
        );
    }

    #[test]
    fn chain_length() {
        let t = with_cert();
        let three = m("tls.cert_chain_len", "3");
        assert_eq!(three.direction(), Some(TC));
        assert!(three.matches(&t, TC));
        assert!(!three.matches(&t, TS));
        assert!(m("tls.cert_chain_len", "0<>4").matches(&t, TC));
        assert!(m("tls.cert_chain_len", "!2").matches(&t, TC));
        assert!(!m("tls.cert_chain_len", ">3").matches(&t, TC));
        let mut none = tx();
        none.finished = true;
        assert!(m("tls.cert_chain_len", "!2").matches(&none, TC));
        assert_eq!(
            err("tls.cert_chain_len", "abc"),
            "tls.cert_chain_len: invalid integer condition 'abc'"
        );
    }

    #[test]
    fn arbitrary_arguments_never_panic() {
        // Pseudo-random arguments from the characters the parsers care
        // about (and some multi-byte ones): an error or a matcher, never a
        // panic.
        let chars: Vec<char> = "0129-:TW <>!|,.x\"_azé\u{10ffff}\t=*@".chars().collect();
        let mut seed = 0x9e37_79b9_7f4a_7c15u64;
        let mut next = || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed
        };
        let t = with_cert();
        for _ in 0..5000 {
            let len = (next() % 40) as usize;
            let arg: String = (0..len)
                .map(|_| chars[(next() % chars.len() as u64) as usize])
                .collect();
            for kw in [
                "ssl_state",
                "ssl_version",
                "tls.version",
                "tls_cert_notbefore",
                "tls_cert_notafter",
                "tls.subject",
                "tls.issuerdn",
                "tls.cert_chain_len",
            ] {
                if let Some(Ok((_, m))) = compile(kw, &arg) {
                    let ctx = MatchCtx::default();
                    let _ = m.matches_in(&t, TS, &ctx) | m.matches_in(&t, TC, &ctx);
                }
            }
        }
    }

    #[test]
    fn other_transactions_never_match() {
        struct Other;
        impl Transaction for Other {
            fn event_type(&self) -> &'static str {
                "other"
            }
            fn write_eve(&self, _: &mut vigil_eve::JsonWriter<'_>) {}
        }
        for (kw, arg) in [
            ("ssl_state", "!client_hello"),
            ("ssl_version", "tls1.2"),
            ("tls.version", "1.2"),
            ("tls_cert_valid", ""),
            ("tls.subject", "!x"),
            ("tls.cert_chain_len", "!2"),
        ] {
            assert!(!m(kw, arg).matches(&Other, TC), "{kw}");
        }
    }
}
