//! Address expressions (`any`, IPs, CIDR, ranges, lists, negation,
//! variables) and their compiled form, [`IpSet`].

use crate::error::{PResult, ParseError, clip};
use crate::vars::Vars;
use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// Deepest nesting of `[...]` lists, `!` and variable references accepted.
pub const MAX_NESTING: usize = 64;
/// Most entries accepted in one address or port expression (all levels).
pub const MAX_LIST_ITEMS: usize = 65_536;

/// An address expression as written in a rule header or an address variable.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AddressExpr {
    /// `any`.
    Any,
    /// A single address or a network: `1.2.3.4`, `10.0.0.0/8`,
    /// `10.0.0.0/255.0.0.0`, `2001:db8::/32` (address already masked).
    Net {
        /// The network address.
        addr: IpAddr,
        /// Prefix length (32 or 128 for a single address).
        prefix: u8,
    },
    /// An inclusive range `a-b` of one family.
    Range(IpAddr, IpAddr),
    /// `$NAME`, resolved through [`Vars`].
    Var(String),
    /// `!expr`.
    Not(Box<AddressExpr>),
    /// `[a, b, ...]`.
    List(Vec<AddressExpr>),
}

impl fmt::Display for AddressExpr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            AddressExpr::Any => write!(f, "any"),
            AddressExpr::Net { addr, prefix } => {
                let full = if addr.is_ipv4() { 32 } else { 128 };
                if *prefix == full {
                    write!(f, "{addr}")
                } else {
                    write!(f, "{addr}/{prefix}")
                }
            }
            AddressExpr::Range(a, b) => write!(f, "{a}-{b}"),
            AddressExpr::Var(n) => write!(f, "${n}"),
            AddressExpr::Not(e) => write!(f, "!{e}"),
            AddressExpr::List(v) => {
                write!(f, "[")?;
                for (i, e) in v.iter().enumerate() {
                    if i > 0 {
                        write!(f, ",")?;
                    }
                    write!(f, "{e}")?;
                }
                write!(f, "]")
            }
        }
    }
}

/// A set of IPv4 and IPv6 addresses as sorted, merged, inclusive ranges.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct IpSet {
    /// IPv4 ranges, sorted, non-overlapping, non-adjacent.
    pub v4: Vec<(u32, u32)>,
    /// IPv6 ranges, sorted, non-overlapping, non-adjacent.
    pub v6: Vec<(u128, u128)>,
}

/// Sort and merge inclusive ranges (adjacent ones too).
fn normalize<T: Copy + Ord + num::Step>(mut v: Vec<(T, T)>) -> Vec<(T, T)> {
    v.sort_unstable();
    let mut out: Vec<(T, T)> = Vec::with_capacity(v.len());
    for (lo, hi) in v {
        if let Some(last) = out.last_mut()
            && (lo <= last.1 || T::succ(last.1) == Some(lo))
        {
            if hi > last.1 {
                last.1 = hi;
            }
            continue;
        }
        out.push((lo, hi));
    }
    out
}

/// `a \ b` for normalized range lists.
fn subtract<T: Copy + Ord + num::Step>(a: &[(T, T)], b: &[(T, T)]) -> Vec<(T, T)> {
    let mut out = Vec::new();
    let mut j = 0;
    for &(lo, hi) in a {
        let mut cur_lo = lo;
        let mut alive = true;
        while j < b.len() && b[j].1 < cur_lo {
            j += 1;
        }
        let mut k = j;
        while alive && k < b.len() && b[k].0 <= hi {
            let (blo, bhi) = b[k];
            if blo > cur_lo
                && let Some(p) = T::pred(blo)
            {
                out.push((cur_lo, p));
            }
            match T::succ(bhi) {
                Some(n) if bhi < hi => cur_lo = n,
                _ => alive = false,
            }
            k += 1;
        }
        if alive {
            out.push((cur_lo, hi));
        }
    }
    out
}

/// Integer successor/predecessor without overflow (private helper trait).
mod num {
    pub trait Step: Sized {
        fn succ(x: Self) -> Option<Self>;
        fn pred(x: Self) -> Option<Self>;
    }
    macro_rules! step {
        ($($t:ty),*) => {$(
            impl Step for $t {
                fn succ(x: Self) -> Option<Self> { x.checked_add(1) }
                fn pred(x: Self) -> Option<Self> { x.checked_sub(1) }
            }
        )*};
    }
    step!(u16, u32, u128);
}

pub(crate) use num::Step;

pub(crate) fn normalize_ranges<T: Copy + Ord + Step>(v: Vec<(T, T)>) -> Vec<(T, T)> {
    normalize(v)
}

pub(crate) fn subtract_ranges<T: Copy + Ord + Step>(a: &[(T, T)], b: &[(T, T)]) -> Vec<(T, T)> {
    subtract(a, b)
}

impl IpSet {
    /// Every IPv4 and IPv6 address.
    pub fn any() -> Self {
        IpSet {
            v4: vec![(0, u32::MAX)],
            v6: vec![(0, u128::MAX)],
        }
    }

    /// True when nothing is in the set.
    pub fn is_empty(&self) -> bool {
        self.v4.is_empty() && self.v6.is_empty()
    }

    /// True when every address is in the set.
    pub fn is_any(&self) -> bool {
        self.v4 == [(0, u32::MAX)] && self.v6 == [(0, u128::MAX)]
    }

    /// Whether `ip` is in the set (binary search).
    pub fn contains(&self, ip: IpAddr) -> bool {
        match ip {
            IpAddr::V4(a) => contains(&self.v4, u32::from(a)),
            IpAddr::V6(a) => contains(&self.v6, u128::from(a)),
        }
    }

    fn union(mut self, other: &IpSet) -> IpSet {
        self.v4.extend_from_slice(&other.v4);
        self.v6.extend_from_slice(&other.v6);
        IpSet {
            v4: normalize(self.v4),
            v6: normalize(self.v6),
        }
    }

    fn minus(&self, other: &IpSet) -> IpSet {
        IpSet {
            v4: subtract(&self.v4, &other.v4),
            v6: subtract(&self.v6, &other.v6),
        }
    }
}

fn contains<T: Copy + Ord>(v: &[(T, T)], x: T) -> bool {
    let i = v.partition_point(|r| r.1 < x);
    v.get(i).is_some_and(|r| r.0 <= x)
}

/// Parse an address expression (a rule header field or a variable's value).
pub fn parse_address(s: &str) -> PResult<AddressExpr> {
    let mut items = 0usize;
    let mut p = AddrParser {
        s: s.as_bytes(),
        src: s,
        pos: 0,
        items: &mut items,
    };
    let mut e = p.expr(0)?;
    p.skip_ws();
    // A top-level list without brackets (`!80,!445`), as Suricata accepts.
    if p.s.get(p.pos) == Some(&b',') {
        let mut v = vec![e];
        while p.s.get(p.pos) == Some(&b',') {
            p.pos += 1;
            v.push(p.expr(1)?);
            p.skip_ws();
        }
        e = AddressExpr::List(v);
    }
    if p.pos != p.s.len() {
        return Err(ParseError::new(format!(
            "address \"{}\": unexpected text at offset {}",
            clip(s),
            p.pos
        )));
    }
    Ok(e)
}

struct AddrParser<'a, 'b> {
    s: &'a [u8],
    src: &'a str,
    pos: usize,
    items: &'b mut usize,
}

impl AddrParser<'_, '_> {
    fn skip_ws(&mut self) {
        while self
            .s
            .get(self.pos)
            .is_some_and(|c| c.is_ascii_whitespace())
        {
            self.pos += 1;
        }
    }

    fn err(&self, msg: impl fmt::Display) -> ParseError {
        ParseError::new(format!("address \"{}\": {msg}", clip(self.src)))
    }

    fn expr(&mut self, depth: usize) -> PResult<AddressExpr> {
        if depth > MAX_NESTING {
            return Err(self.err(format!("nesting deeper than {MAX_NESTING}")));
        }
        *self.items += 1;
        if *self.items > MAX_LIST_ITEMS {
            return Err(self.err(format!("more than {MAX_LIST_ITEMS} entries")));
        }
        self.skip_ws();
        match self.s.get(self.pos) {
            Some(b'!') => {
                self.pos += 1;
                Ok(AddressExpr::Not(Box::new(self.expr(depth + 1)?)))
            }
            Some(b'[') => {
                self.pos += 1;
                let mut v = Vec::new();
                loop {
                    self.skip_ws();
                    if self.s.get(self.pos) == Some(&b']') {
                        if v.is_empty() {
                            return Err(self.err("empty list"));
                        }
                        return Err(self.err("trailing ',' in list"));
                    }
                    v.push(self.expr(depth + 1)?);
                    self.skip_ws();
                    match self.s.get(self.pos) {
                        Some(b',') => self.pos += 1,
                        Some(b']') => {
                            self.pos += 1;
                            return Ok(AddressExpr::List(v));
                        }
                        None => return Err(self.err("missing ']'")),
                        Some(c) => {
                            return Err(self.err(format!("unexpected '{}' in list", *c as char)));
                        }
                    }
                }
            }
            None => Err(self.err("empty address")),
            Some(_) => {
                let start = self.pos;
                while self.s.get(self.pos).is_some_and(|c| {
                    !matches!(c, b',' | b']' | b'[' | b'!') && !c.is_ascii_whitespace()
                }) {
                    self.pos += 1;
                }
                let tok = self.src.get(start..self.pos).unwrap_or("");
                if tok.is_empty() {
                    let c = self.s.get(self.pos).copied().unwrap_or(b'?');
                    return Err(self.err(format!("unexpected '{}'", c as char)));
                }
                parse_atom(tok).map_err(|m| self.err(m))
            }
        }
    }
}

fn parse_atom(tok: &str) -> Result<AddressExpr, String> {
    if tok.eq_ignore_ascii_case("any") {
        return Ok(AddressExpr::Any);
    }
    if let Some(name) = tok.strip_prefix('$') {
        if name.is_empty()
            || !name
                .bytes()
                .all(|c| c.is_ascii_alphanumeric() || c == b'_' || c == b'-' || c == b'.')
        {
            return Err(format!("invalid variable name \"{tok}\""));
        }
        return Ok(AddressExpr::Var(name.to_string()));
    }
    if let Some((a, b)) = tok.split_once('/') {
        let addr: IpAddr = a
            .parse()
            .map_err(|_| format!("invalid IP address \"{a}\""))?;
        let full: u8 = if addr.is_ipv4() { 32 } else { 128 };
        let prefix = if b.bytes().all(|c| c.is_ascii_digit()) && !b.is_empty() && b.len() <= 3 {
            let p: u32 = b.parse().map_err(|_| format!("invalid prefix \"{b}\""))?;
            if p > u32::from(full) {
                return Err(format!("prefix /{p} too long for {addr}"));
            }
            p as u8
        } else {
            let m: Ipv4Addr = b
                .parse()
                .map_err(|_| format!("invalid netmask or prefix \"{b}\""))?;
            if !addr.is_ipv4() {
                return Err(format!("netmask \"{b}\" on an IPv6 address"));
            }
            let m = u32::from(m);
            let ones = m.leading_ones();
            if m.checked_shl(ones).unwrap_or(0) != 0 {
                return Err(format!("non-contiguous netmask \"{b}\""));
            }
            ones as u8
        };
        return Ok(AddressExpr::Net {
            addr: mask(addr, prefix),
            prefix,
        });
    }
    if let Some((a, b)) = tok.split_once('-') {
        let x: IpAddr = a
            .parse()
            .map_err(|_| format!("invalid IP address \"{a}\""))?;
        let y: IpAddr = b
            .parse()
            .map_err(|_| format!("invalid IP address \"{b}\""))?;
        let ok = match (x, y) {
            (IpAddr::V4(x), IpAddr::V4(y)) => u32::from(x) <= u32::from(y),
            (IpAddr::V6(x), IpAddr::V6(y)) => u128::from(x) <= u128::from(y),
            _ => return Err(format!("range \"{tok}\" mixes IPv4 and IPv6")),
        };
        if !ok {
            return Err(format!(
                "range \"{tok}\": first address greater than second"
            ));
        }
        return Ok(AddressExpr::Range(x, y));
    }
    let addr: IpAddr = tok
        .parse()
        .map_err(|_| format!("invalid IP address \"{tok}\""))?;
    let prefix = if addr.is_ipv4() { 32 } else { 128 };
    Ok(AddressExpr::Net { addr, prefix })
}

fn mask(addr: IpAddr, prefix: u8) -> IpAddr {
    match addr {
        IpAddr::V4(a) => {
            let m = u32::MAX.checked_shl(32 - u32::from(prefix)).unwrap_or(0);
            IpAddr::V4(Ipv4Addr::from(u32::from(a) & m))
        }
        IpAddr::V6(a) => {
            let m = u128::MAX.checked_shl(128 - u32::from(prefix)).unwrap_or(0);
            IpAddr::V6(Ipv6Addr::from(u128::from(a) & m))
        }
    }
}

/// Resolve an address expression to an [`IpSet`] using `vars`.
///
/// Suricata semantics: in a list the positive entries are united and the
/// negated ones removed from that union (from `any` when a list holds only
/// negations). `!any`, or a list whose negations remove everything, is an
/// error, as is an undefined or self-referencing variable.
pub fn resolve_address(e: &AddressExpr, vars: &Vars) -> PResult<IpSet> {
    let mut stack = Vec::new();
    let set = resolve(e, vars, 0, &mut stack)?;
    if set.is_empty() {
        return Err(ParseError::new(format!(
            "address \"{}\": no addresses left after merging addresses and negated addresses",
            clip(&e.to_string())
        )));
    }
    Ok(set)
}

fn resolve(e: &AddressExpr, vars: &Vars, depth: usize, stack: &mut Vec<String>) -> PResult<IpSet> {
    if depth > MAX_NESTING {
        return Err(ParseError::new(format!(
            "address nesting (lists, negations, variables) deeper than {MAX_NESTING}"
        )));
    }
    Ok(match e {
        AddressExpr::Any => IpSet::any(),
        AddressExpr::Net { addr, prefix } => match addr {
            IpAddr::V4(a) => {
                let lo = u32::from(*a);
                let span = u32::MAX.checked_shr(u32::from(*prefix)).unwrap_or(0);
                IpSet {
                    v4: vec![(lo, lo | span)],
                    v6: vec![],
                }
            }
            IpAddr::V6(a) => {
                let lo = u128::from(*a);
                let span = u128::MAX.checked_shr(u32::from(*prefix)).unwrap_or(0);
                IpSet {
                    v4: vec![],
                    v6: vec![(lo, lo | span)],
                }
            }
        },
        AddressExpr::Range(a, b) => match (a, b) {
            (IpAddr::V4(a), IpAddr::V4(b)) => IpSet {
                v4: vec![(u32::from(*a), u32::from(*b))],
                v6: vec![],
            },
            (IpAddr::V6(a), IpAddr::V6(b)) => IpSet {
                v4: vec![],
                v6: vec![(u128::from(*a), u128::from(*b))],
            },
            _ => {
                return Err(ParseError::new(format!(
                    "range \"{e}\" mixes IPv4 and IPv6"
                )));
            }
        },
        AddressExpr::Var(name) => {
            if stack.iter().any(|n| n == name) {
                return Err(ParseError::new(format!(
                    "variable \"{name}\" refers to itself"
                )));
            }
            if let Some(set) = vars.cached_address(name) {
                return Ok(set);
            }
            let expr = vars.address_expr(name)?;
            stack.push(name.clone());
            let r = resolve(&expr, vars, depth + 1, stack);
            stack.pop();
            let set = r?;
            vars.cache_address(name, &set);
            set
        }
        AddressExpr::Not(inner) => {
            let s = resolve(inner, vars, depth + 1, stack)?;
            if s.is_any() {
                return Err(ParseError::new(format!(
                    "address \"{e}\": complete IP space negated (e.g. !any)"
                )));
            }
            IpSet::any().minus(&s)
        }
        AddressExpr::List(items) => {
            let mut pos = IpSet::default();
            let mut neg = IpSet::default();
            let mut any_pos = false;
            for it in items {
                match it {
                    AddressExpr::Not(inner) => {
                        let s = resolve(inner, vars, depth + 1, stack)?;
                        if s.is_any() {
                            return Err(ParseError::new(format!(
                                "address \"{it}\": complete IP space negated (e.g. !any)"
                            )));
                        }
                        neg = neg.union(&s);
                    }
                    _ => {
                        any_pos = true;
                        pos = pos.union(&resolve(it, vars, depth + 1, stack)?);
                    }
                }
            }
            if !any_pos {
                pos = IpSet::any();
            }
            pos.minus(&neg)
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn set(s: &str) -> PResult<IpSet> {
        resolve_address(&parse_address(s)?, &Vars::suricata_default())
    }

    #[test]
    fn parse_forms() {
        assert_eq!(parse_address("any").unwrap(), AddressExpr::Any);
        assert_eq!(
            parse_address("10.1.2.3/8").unwrap(),
            AddressExpr::Net {
                addr: "10.0.0.0".parse().unwrap(),
                prefix: 8
            }
        );
        assert_eq!(
            parse_address("10.0.0.0/255.255.0.0").unwrap().to_string(),
            "10.0.0.0/16"
        );
        assert_eq!(
            parse_address("[1.2.3.4, !$HOME_NET,[2001:db8::/32]]")
                .unwrap()
                .to_string(),
            "[1.2.3.4,!$HOME_NET,[2001:db8::/32]]"
        );
        assert_eq!(
            parse_address("1.2.3.4-1.2.3.10").unwrap().to_string(),
            "1.2.3.4-1.2.3.10"
        );
        assert!(parse_address("1.2.3.4/33").is_err());
        assert!(parse_address("1.2.3.0/255.0.255.0").is_err());
        assert!(parse_address("[1.2.3.4,]").is_err());
        assert!(parse_address("[1.2.3.4").is_err());
        assert!(parse_address("1.2.3.10-1.2.3.4").is_err());
        assert!(parse_address("300.1.1.1").is_err());
    }

    #[test]
    fn resolve_semantics() {
        let s = set("[10.0.0.0/8,!10.1.0.0/16]").unwrap();
        assert_eq!(
            s.v4,
            vec![(0x0a00_0000, 0x0a00_ffff), (0x0a02_0000, 0x0aff_ffff)]
        );
        assert!(s.v6.is_empty());
        let s = set("!1.2.3.4").unwrap();
        assert_eq!(s.v4, vec![(0, 0x0102_0303), (0x0102_0305, u32::MAX)]);
        assert_eq!(s.v6, vec![(0, u128::MAX)]);
        let s = set("$EXTERNAL_NET").unwrap();
        assert!(!s.contains("192.168.1.1".parse().unwrap()));
        assert!(s.contains("8.8.8.8".parse().unwrap()));
        assert!(s.contains("::1".parse().unwrap()));
        assert!(
            set("[1.0.0.0/8,![1.2.0.0/16,!1.2.3.0/24]]")
                .unwrap()
                .contains("1.2.3.9".parse().unwrap())
        );
        assert!(
            !set("[1.0.0.0/8,![1.2.0.0/16,!1.2.3.0/24]]")
                .unwrap()
                .contains("1.2.4.9".parse().unwrap())
        );
        assert_eq!(
            set("!any").unwrap_err().message,
            "address \"!any\": complete IP space negated (e.g. !any)"
        );
        assert_eq!(
            set("[1.2.3.4,!1.2.3.4]").unwrap_err().message,
            "address \"[1.2.3.4,!1.2.3.4]\": no addresses left after merging addresses and negated addresses"
        );
        assert_eq!(
            set("$NOPE").unwrap_err().message,
            "variable \"NOPE\" is not defined"
        );
    }

    #[test]
    fn deep_nesting_is_bounded() {
        let s = format!("{}1.2.3.4{}", "[".repeat(100), "]".repeat(100));
        assert!(parse_address(&s).unwrap_err().message.contains("nesting"));
        let s = "!".repeat(100_000) + "1.2.3.4";
        assert!(parse_address(&s).is_err());
    }

    #[test]
    fn set_ops() {
        let a = normalize(vec![(5u32, 10), (1, 3), (4, 4), (20, 30)]);
        assert_eq!(a, vec![(1, 10), (20, 30)]);
        assert_eq!(
            subtract(&a, &[(2, 2), (8, 25)]),
            vec![(1, 1), (3, 7), (26, 30)]
        );
        assert_eq!(subtract(&[(0u16, u16::MAX)], &[(0, u16::MAX)]), vec![]);
        assert_eq!(subtract(&[(0u16, 10)], &[(10, 20)]), vec![(0, 9)]);
    }
}
