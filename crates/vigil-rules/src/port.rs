//! Port expressions (`any`, `N`, `N:M`, `N:`, `:M`, lists, negation,
//! variables) and their compiled form, [`PortSet`].

use crate::address::{MAX_LIST_ITEMS, MAX_NESTING, normalize_ranges, subtract_ranges};
use crate::error::{PResult, ParseError, clip};
use crate::vars::Vars;
use std::fmt;

/// A port expression as written in a rule header or a port variable.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PortExpr {
    /// `any`.
    Any,
    /// One port.
    Port(u16),
    /// An inclusive range: `N:M`, `N:` (to 65535), `:M` (from 0).
    Range(u16, u16),
    /// `$NAME`, resolved through [`Vars`].
    Var(String),
    /// `!expr`.
    Not(Box<PortExpr>),
    /// `[a, b, ...]`.
    List(Vec<PortExpr>),
}

impl fmt::Display for PortExpr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PortExpr::Any => write!(f, "any"),
            PortExpr::Port(p) => write!(f, "{p}"),
            PortExpr::Range(a, b) => write!(f, "{a}:{b}"),
            PortExpr::Var(n) => write!(f, "${n}"),
            PortExpr::Not(e) => write!(f, "!{e}"),
            PortExpr::List(v) => {
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

/// A set of ports as sorted, merged, inclusive ranges.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct PortSet {
    /// Inclusive ranges, sorted, non-overlapping, non-adjacent.
    pub ranges: Vec<(u16, u16)>,
}

impl PortSet {
    /// All ports 0..=65535.
    pub fn any() -> Self {
        PortSet {
            ranges: vec![(0, u16::MAX)],
        }
    }
    /// True when every port is in the set.
    pub fn is_any(&self) -> bool {
        self.ranges == [(0, u16::MAX)]
    }
    /// Whether `p` is in the set.
    pub fn contains(&self, p: u16) -> bool {
        let i = self.ranges.partition_point(|r| r.1 < p);
        self.ranges.get(i).is_some_and(|r| r.0 <= p)
    }
}

/// Parse a port expression.
pub fn parse_port(s: &str) -> PResult<PortExpr> {
    let mut p = PortParser {
        s: s.as_bytes(),
        src: s,
        pos: 0,
        items: 0,
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
        e = PortExpr::List(v);
    }
    if p.pos != p.s.len() {
        return Err(p.err(format!("unexpected text at offset {}", p.pos)));
    }
    Ok(e)
}

struct PortParser<'a> {
    s: &'a [u8],
    src: &'a str,
    pos: usize,
    items: usize,
}

impl PortParser<'_> {
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
        ParseError::new(format!("port \"{}\": {msg}", clip(self.src)))
    }

    fn expr(&mut self, depth: usize) -> PResult<PortExpr> {
        if depth > MAX_NESTING {
            return Err(self.err(format!("nesting deeper than {MAX_NESTING}")));
        }
        self.items += 1;
        if self.items > MAX_LIST_ITEMS {
            return Err(self.err(format!("more than {MAX_LIST_ITEMS} entries")));
        }
        self.skip_ws();
        match self.s.get(self.pos) {
            Some(b'!') => {
                self.pos += 1;
                Ok(PortExpr::Not(Box::new(self.expr(depth + 1)?)))
            }
            Some(b'[') => {
                self.pos += 1;
                let mut v = Vec::new();
                loop {
                    self.skip_ws();
                    if self.s.get(self.pos) == Some(&b']') {
                        return Err(self.err(if v.is_empty() {
                            "empty list"
                        } else {
                            "trailing ',' in list"
                        }));
                    }
                    v.push(self.expr(depth + 1)?);
                    self.skip_ws();
                    match self.s.get(self.pos) {
                        Some(b',') => self.pos += 1,
                        Some(b']') => {
                            self.pos += 1;
                            return Ok(PortExpr::List(v));
                        }
                        None => return Err(self.err("missing ']'")),
                        Some(c) => {
                            return Err(self.err(format!("unexpected '{}' in list", *c as char)));
                        }
                    }
                }
            }
            None => Err(self.err("empty port")),
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

fn port_num(s: &str) -> Result<u16, String> {
    if s.is_empty() || !s.bytes().all(|c| c.is_ascii_digit()) {
        return Err(format!("invalid port \"{s}\""));
    }
    s.parse::<u16>()
        .map_err(|_| format!("port \"{s}\" out of range 0-65535"))
}

fn parse_atom(tok: &str) -> Result<PortExpr, String> {
    if tok.eq_ignore_ascii_case("any") {
        return Ok(PortExpr::Any);
    }
    if let Some(name) = tok.strip_prefix('$') {
        if name.is_empty()
            || !name
                .bytes()
                .all(|c| c.is_ascii_alphanumeric() || c == b'_' || c == b'-' || c == b'.')
        {
            return Err(format!("invalid variable name \"{tok}\""));
        }
        return Ok(PortExpr::Var(name.to_string()));
    }
    if let Some((a, b)) = tok.split_once(':') {
        let lo = if a.is_empty() { 0 } else { port_num(a)? };
        let hi = if b.is_empty() { u16::MAX } else { port_num(b)? };
        if a.is_empty() && b.is_empty() {
            return Err("range \":\" has no bounds".to_string());
        }
        if lo > hi {
            return Err(format!("range \"{tok}\": first port greater than second"));
        }
        return Ok(PortExpr::Range(lo, hi));
    }
    Ok(PortExpr::Port(port_num(tok)?))
}

/// Resolve a port expression to a [`PortSet`] (semantics as for addresses:
/// positives united, negations removed; `!any` or an empty result is an error).
pub fn resolve_port(e: &PortExpr, vars: &Vars) -> PResult<PortSet> {
    let mut stack = Vec::new();
    let r = resolve(e, vars, 0, &mut stack)?;
    if r.is_empty() {
        return Err(ParseError::new(format!(
            "port \"{}\": no ports left after merging ports with negated ports",
            clip(&e.to_string())
        )));
    }
    Ok(PortSet { ranges: r })
}

fn resolve(
    e: &PortExpr,
    vars: &Vars,
    depth: usize,
    stack: &mut Vec<String>,
) -> PResult<Vec<(u16, u16)>> {
    if depth > MAX_NESTING {
        return Err(ParseError::new(format!(
            "port nesting (lists, negations, variables) deeper than {MAX_NESTING}"
        )));
    }
    const ALL: (u16, u16) = (0, u16::MAX);
    Ok(match e {
        PortExpr::Any => vec![ALL],
        PortExpr::Port(p) => vec![(*p, *p)],
        PortExpr::Range(a, b) => vec![(*a, *b)],
        PortExpr::Var(name) => {
            if stack.iter().any(|n| n == name) {
                return Err(ParseError::new(format!(
                    "variable \"{name}\" refers to itself"
                )));
            }
            if let Some(set) = vars.cached_port(name) {
                return Ok(set);
            }
            let expr = vars.port_expr(name)?;
            stack.push(name.clone());
            let r = resolve(&expr, vars, depth + 1, stack);
            stack.pop();
            let set = r?;
            vars.cache_port(name, &set);
            set
        }
        PortExpr::Not(inner) => {
            let s = resolve(inner, vars, depth + 1, stack)?;
            if s == [ALL] {
                return Err(ParseError::new(format!(
                    "port \"{e}\": every port negated (e.g. !any)"
                )));
            }
            subtract_ranges(&[ALL], &s)
        }
        PortExpr::List(items) => {
            let mut pos = Vec::new();
            let mut neg = Vec::new();
            let mut any_pos = false;
            for it in items {
                match it {
                    PortExpr::Not(inner) => {
                        let s = resolve(inner, vars, depth + 1, stack)?;
                        if s == [ALL] {
                            return Err(ParseError::new(format!(
                                "port \"{it}\": every port negated (e.g. !any)"
                            )));
                        }
                        neg.extend(s);
                    }
                    _ => {
                        any_pos = true;
                        pos.extend(resolve(it, vars, depth + 1, stack)?);
                    }
                }
            }
            let pos = if any_pos {
                normalize_ranges(pos)
            } else {
                vec![ALL]
            };
            subtract_ranges(&pos, &normalize_ranges(neg))
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn set(s: &str) -> PResult<PortSet> {
        resolve_port(&parse_port(s)?, &Vars::suricata_default())
    }

    #[test]
    fn forms() {
        assert_eq!(parse_port("80").unwrap(), PortExpr::Port(80));
        assert_eq!(parse_port("1024:").unwrap(), PortExpr::Range(1024, 65535));
        assert_eq!(parse_port(":1023").unwrap(), PortExpr::Range(0, 1023));
        assert_eq!(
            parse_port("[80, !$HTTP_PORTS,[1:3]]").unwrap().to_string(),
            "[80,!$HTTP_PORTS,[1:3]]"
        );
        assert_eq!(
            parse_port("70000").unwrap_err().message,
            "port \"70000\": port \"70000\" out of range 0-65535"
        );
        assert_eq!(
            parse_port("90:80").unwrap_err().message,
            "port \"90:80\": range \"90:80\": first port greater than second"
        );
        assert!(parse_port("8o").is_err());
        assert!(parse_port("[]").is_err());
    }

    #[test]
    fn sets() {
        assert_eq!(
            set("[80,443,8000:8080]").unwrap().ranges,
            vec![(80, 80), (443, 443), (8000, 8080)]
        );
        assert_eq!(
            set("![80,443]").unwrap().ranges,
            vec![(0, 79), (81, 442), (444, 65535)]
        );
        assert_eq!(set("[1:,!80]").unwrap().ranges, vec![(1, 79), (81, 65535)]);
        assert_eq!(
            set("$SHELLCODE_PORTS").unwrap().ranges,
            vec![(0, 79), (81, 65535)]
        );
        assert!(set("$FILE_DATA_PORTS").unwrap().contains(143));
        assert!(
            set("[80,!80]")
                .unwrap_err()
                .message
                .contains("no ports left")
        );
        assert!(
            set("!any")
                .unwrap_err()
                .message
                .contains("every port negated")
        );
    }
}
