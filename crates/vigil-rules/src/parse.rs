//! The rule parser: header, option splitting, per-keyword dispatch and the
//! rule-level checks Suricata makes (modifiers need a content, buffers need
//! matches, app-layer protocols must agree, ...).

use crate::address::{parse_address, resolve_address};
use crate::ast::*;
use crate::config::Classifications;
use crate::error::{PResult, ParseError};
use crate::keywords::{self, KeywordInfo, KeywordKind, ValueReq};
use crate::opts::{self, VResult};
use crate::port::{parse_port, resolve_port};
use crate::vars::Vars;
use std::sync::Arc;

/// Most options accepted in one rule.
pub const MAX_OPTIONS: usize = 1024;
/// Most transforms on one sticky buffer (Suricata's limit).
pub const MAX_TRANSFORMS: usize = 16;
/// Largest `distance`/`within` magnitude (Suricata's limit).
pub const MAX_RELATIVE: i64 = 1024 * 1024;

/// A rule plus the non-fatal remarks made while parsing it.
#[derive(Debug, Clone)]
pub struct ParsedRule {
    /// The rule.
    pub rule: Rule,
    /// Remarks that do not stop the rule from loading (unknown classtype,
    /// unknown reference system, `replace` outside IPS, ...), each with the
    /// keyword at issue.
    pub warnings: Vec<ParseError>,
}

/// Parse one rule (a logical line) with the given variables and classifications.
pub fn parse_rule(text: &str, vars: &Vars, classes: &Classifications) -> PResult<ParsedRule> {
    let mut sid_hint = None;
    parse_rule_inner(text, vars, classes, &mut sid_hint)
}

/// Like [`parse_rule`], also reporting the sid when it was read before an error.
pub(crate) fn parse_rule_inner(
    text: &str,
    vars: &Vars,
    classes: &Classifications,
    sid_hint: &mut Option<u32>,
) -> PResult<ParsedRule> {
    let r = parse_rule_body(text, vars, classes);
    if r.is_err() {
        // Label the error with the sid when it can be read.
        *sid_hint = split_header(text).ok().and_then(|(_, o)| quick_sid(o));
    }
    r
}

/// The engine version `requires: version ...` is checked against (vigil
/// follows Suricata 7.0.10).
pub const ENGINE_VERSION: (u32, u32, u32) = (7, 0, 10);

/// Features `requires: feature ...` accepts.
pub const PROVIDED_FEATURES: &[&str] = &["ja4"];

fn parse_version(s: &str) -> Result<(u32, u32, u32), String> {
    let mut it = s.split('.');
    let mut part = |req: bool| -> Result<u32, String> {
        match it.next() {
            Some(p) => p
                .parse::<u32>()
                .map_err(|_| format!("invalid version \"{s}\"")),
            None if req => Err(format!("invalid version \"{s}\"")),
            None => Ok(0),
        }
    };
    let v = (part(true)?, part(false)?, part(false)?);
    if it.next().is_some() {
        return Err(format!("invalid version \"{s}\""));
    }
    Ok(v)
}

/// Evaluate `requires`: Ok(None) when met, Ok(Some(reason)) when not.
fn check_requires(v: &str) -> Result<Option<String>, String> {
    for item in v.split(',').map(str::trim).filter(|s| !s.is_empty()) {
        let (key, rest) = item.split_once(char::is_whitespace).unwrap_or((item, ""));
        match key {
            "feature" => {
                let f = rest.trim();
                if !PROVIDED_FEATURES.contains(&f) {
                    return Ok(Some(format!("feature \"{f}\" is not provided")));
                }
            }
            "version" => {
                let mut any = false;
                for alt in rest.split('|') {
                    let toks: Vec<&str> = alt.split_whitespace().collect();
                    if toks.is_empty() {
                        return Err(format!("empty version requirement in \"{item}\""));
                    }
                    let mut ok = true;
                    let mut i = 0;
                    while i < toks.len() {
                        let t = toks.get(i).copied().unwrap_or("");
                        let (op, ver) = match ["<=", ">=", "<", ">", "="]
                            .iter()
                            .find(|o| t.starts_with(*o))
                        {
                            Some(o) if t.len() > o.len() => (*o, t.get(o.len()..).unwrap_or("")),
                            Some(o) => {
                                i += 1;
                                (*o, toks.get(i).copied().unwrap_or(""))
                            }
                            None => return Err(format!("invalid version requirement \"{alt}\"")),
                        };
                        let ver = parse_version(ver)?;
                        ok &= match op {
                            "<=" => ENGINE_VERSION <= ver,
                            ">=" => ENGINE_VERSION >= ver,
                            "<" => ENGINE_VERSION < ver,
                            ">" => ENGINE_VERSION > ver,
                            _ => ENGINE_VERSION == ver,
                        };
                        i += 1;
                    }
                    any |= ok;
                }
                if !any {
                    let (a, b, c) = ENGINE_VERSION;
                    return Ok(Some(format!(
                        "engine version {a}.{b}.{c} does not satisfy \"{}\"",
                        rest.trim()
                    )));
                }
            }
            k => return Ok(Some(format!("unknown requirement \"{k}\""))),
        }
    }
    Ok(None)
}

fn parse_rule_body(text: &str, vars: &Vars, classes: &Classifications) -> PResult<ParsedRule> {
    let (hdr, opts_text) = split_header(text)?;
    // `requires` is checked before anything else: a rule whose requirements
    // are not met is skipped, whatever else it contains.
    for (name, value) in OptionIter::new(opts_text).map_while(Result::ok) {
        if name == "requires" {
            let v = value.unwrap_or("");
            match check_requires(v) {
                Ok(None) => {}
                Ok(Some(reason)) => {
                    return Err(ParseError {
                        keyword: Some("requires".to_string()),
                        message: format!("skipped: {reason}"),
                        skip: true,
                    });
                }
                Err(m) => return Err(ParseError::kw("requires", m)),
            }
        }
    }
    let action = Action::from_name(hdr[0])
        .ok_or_else(|| ParseError::new(format!("invalid action \"{}\"", hdr[0])))?;
    let protocol = parse_protocol(hdr[1])?;
    let src = parse_address(hdr[2])?;
    let src_ports = parse_port(hdr[3])?;
    let direction = match hdr[4] {
        "->" => Direction::To,
        "<>" => Direction::Both,
        d => {
            return Err(ParseError::new(format!(
                "\"{d}\" is not a valid direction, \"->\" and \"<>\" are supported"
            )));
        }
    };
    let dst = parse_address(hdr[5])?;
    let dst_ports = parse_port(hdr[6])?;
    let src_set = resolve_address(&src, vars)?;
    let dst_set = resolve_address(&dst, vars)?;
    let src_port_set = resolve_port(&src_ports, vars)?;
    let dst_port_set = resolve_port(&dst_ports, vars)?;

    let mut b = Builder::new(&protocol);
    for opt in OptionIter::new(opts_text) {
        let (name, value) = opt?;
        if b.options.len() >= MAX_OPTIONS {
            return Err(ParseError::new(format!(
                "more than {MAX_OPTIONS} options in one rule"
            )));
        }
        b.option(name, value)?;
    }
    b.finish()?;

    let Some(sid) = b.sid else {
        return Err(ParseError::kw("sid", "rule has no sid (it is required)"));
    };
    let mut warnings = b.warnings;
    let class_prio = match &b.classtype {
        Some(c) => match classes.get(c) {
            Some(cl) => Some(cl.priority),
            None => {
                warnings.push(ParseError::kw(
                    "classtype",
                    format!("unknown classtype \"{c}\", using default priority 3"),
                ));
                None
            }
        },
        None => None,
    };
    let priority = b.priority.or(class_prio).unwrap_or(3);
    let noalert = b.noalert;
    // Large rule sets keep every parsed rule until it is compiled: no
    // spare capacity.
    let mut options = b.options;
    options.shrink_to_fit();
    let mut metadata = b.metadata;
    metadata.shrink_to_fit();
    let mut references = b.references;
    references.shrink_to_fit();
    Ok(ParsedRule {
        rule: Rule {
            action,
            protocol,
            src,
            src_ports,
            direction,
            dst,
            dst_ports,
            src_set,
            src_port_set,
            dst_set,
            dst_port_set,
            options,
            sid,
            rev: b.rev.unwrap_or(0),
            gid: b.gid.unwrap_or(1),
            msg: b.msg.unwrap_or_default(),
            classtype: b.classtype,
            priority,
            references,
            metadata,
            target: b.target,
            app_proto: b.app_proto.map(str::to_string),
            noalert,
            file: Arc::from(""),
            line: 0,
            text: text.to_string(),
        },
        warnings,
    })
}

/// Find `sid:N;` cheaply, to label errors of rules that fail early.
fn quick_sid(opts: &str) -> Option<u32> {
    for (name, value) in OptionIter::new(opts).map_while(Result::ok) {
        if name == "sid" {
            return value.and_then(|v| v.trim().parse().ok());
        }
    }
    None
}

/// Split the rule into its 7 header fields and the text inside `( ... )`.
fn split_header(text: &str) -> PResult<([&str; 7], &str)> {
    let t = text.trim();
    let bytes = t.as_bytes();
    let mut fields: Vec<&str> = Vec::with_capacity(7);
    let mut i = 0;
    let mut open = None;
    while i < bytes.len() {
        let c = bytes[i];
        if c.is_ascii_whitespace() {
            i += 1;
            continue;
        }
        if c == b'(' {
            open = Some(i);
            break;
        }
        let start = i;
        let mut depth = 0usize;
        while i < bytes.len() {
            let c = bytes[i];
            match c {
                b'[' => depth += 1,
                b']' => {
                    if depth == 0 {
                        return Err(ParseError::new(format!(
                            "unbalanced ']' in rule header field \"{}\"",
                            t.get(start..=i).unwrap_or("")
                        )));
                    }
                    depth -= 1
                }
                b'(' if depth == 0 => break,
                c if c.is_ascii_whitespace() && depth == 0 => break,
                _ => {}
            }
            i += 1;
        }
        if depth != 0 {
            return Err(ParseError::new(format!(
                "unbalanced '[' in rule header field \"{}\"",
                t.get(start..i).unwrap_or("")
            )));
        }
        if fields.len() == 7 {
            return Err(ParseError::new(format!(
                "unexpected \"{}\" after the rule header (options must be in parentheses)",
                t.get(start..i).unwrap_or("")
            )));
        }
        fields.push(t.get(start..i).unwrap_or(""));
    }
    let Some(open) = open else {
        return Err(ParseError::new(
            "rule has no options (expected \"( ... )\" after the header)",
        ));
    };
    if fields.len() < 7 {
        return Err(ParseError::new(format!(
            "rule header has {} fields, expected 7: action protocol src_addr src_port direction dst_addr dst_port",
            fields.len()
        )));
    }
    if !t.ends_with(')') {
        return Err(ParseError::new(
            "rule does not end with ')' (missing ')' or text after it)",
        ));
    }
    let inner = t.get(open + 1..t.len() - 1).unwrap_or("");
    let arr = [
        fields[0], fields[1], fields[2], fields[3], fields[4], fields[5], fields[6],
    ];
    Ok((arr, inner))
}

fn parse_protocol(s: &str) -> PResult<Protocol> {
    let l = s.to_ascii_lowercase();
    Ok(match l.as_str() {
        "ip" => Protocol::Ip,
        "ipv4" | "ip4" => Protocol::Ipv4,
        "ipv6" | "ip6" => Protocol::Ipv6,
        "tcp" => Protocol::Tcp,
        "tcp-pkt" => Protocol::TcpPkt,
        "tcp-stream" => Protocol::TcpStream,
        "udp" => Protocol::Udp,
        "icmp" => Protocol::Icmp,
        "icmpv4" => Protocol::Icmpv4,
        "icmpv6" => Protocol::Icmpv6,
        "sctp" => Protocol::Sctp,
        "pkthdr" => Protocol::Pkthdr,
        _ => match keywords::app_protocol(&l) {
            Some(p) => Protocol::App(p.to_string()),
            None => {
                return Err(ParseError::new(format!(
                    "protocol \"{s}\" cannot be used in a rule"
                )));
            }
        },
    })
}

/// Iterates `name[:value];` options, honouring `\;` escapes.
struct OptionIter<'a> {
    s: &'a str,
    pos: usize,
}

impl<'a> OptionIter<'a> {
    fn new(s: &'a str) -> Self {
        OptionIter { s, pos: 0 }
    }
}

impl<'a> Iterator for OptionIter<'a> {
    type Item = PResult<(&'a str, Option<&'a str>)>;

    fn next(&mut self) -> Option<Self::Item> {
        let bytes = self.s.as_bytes();
        while self.pos < bytes.len() && bytes[self.pos].is_ascii_whitespace() {
            self.pos += 1;
        }
        if self.pos >= bytes.len() {
            return None;
        }
        let start = self.pos;
        let mut escaped = false;
        let mut end = None;
        let mut i = start;
        while i < bytes.len() {
            let c = bytes[i];
            if escaped {
                escaped = false;
            } else if c == b'\\' {
                escaped = true;
            } else if c == b';' {
                end = Some(i);
                break;
            }
            i += 1;
        }
        let text = match end {
            Some(e) => self.s.get(start..e).unwrap_or(""),
            None => self.s.get(start..).unwrap_or(""),
        };
        let (name, value) = match text.split_once(':') {
            Some((n, v)) => (n.trim(), Some(v.trim())),
            None => (text.trim(), None),
        };
        self.pos = bytes.len();
        let Some(e) = end else {
            let kw = if valid_kw_name(name) {
                Some(name)
            } else {
                None
            };
            return Some(Err(ParseError {
                keyword: kw.map(str::to_string),
                message: "no terminating ';' found".to_string(),
                skip: false,
            }));
        };
        self.pos = e + 1;
        if !valid_kw_name(name) {
            return Some(Err(ParseError::new(format!(
                "invalid keyword name \"{name}\""
            ))));
        }
        Some(Ok((name, value)))
    }
}

/// Buffers Suricata 7 inspects as one list (`http.response_body` and
/// `http_server_body` are `file.data` for HTTP).
fn same_buffer(a: BufferName, b: BufferName) -> bool {
    let norm = |x: BufferName| {
        if x == "http.response_body" {
            "file.data"
        } else {
            x
        }
    };
    norm(a) == norm(b)
}

fn valid_kw_name(n: &str) -> bool {
    !n.is_empty()
        && n.bytes()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, b'_' | b'.' | b'-'))
}

/// Remove surrounding double quotes. `Ok(None)` when not quoted.
fn unquote(v: &str) -> Result<Option<&str>, String> {
    let Some(rest) = v.strip_prefix('"') else {
        return Ok(None);
    };
    let Some(inner) = rest.strip_suffix('"') else {
        return Err(
            "unterminated quoted value (a ';' inside a quoted value must be written \\;)"
                .to_string(),
        );
    };
    let trailing_bs = inner.bytes().rev().take_while(|&c| c == b'\\').count();
    if trailing_bs % 2 == 1 {
        return Err("unterminated quoted value (the closing quote is escaped)".to_string());
    }
    Ok(Some(inner))
}

/// Strip a leading `!`.
fn negation(v: &str) -> (bool, &str) {
    match v.strip_prefix('!') {
        Some(r) => (true, r.trim_start()),
        None => (false, v),
    }
}

struct Builder {
    options: Vec<RuleOption>,
    warnings: Vec<ParseError>,
    sid: Option<u32>,
    rev: Option<u32>,
    gid: Option<u32>,
    msg: Option<String>,
    classtype: Option<String>,
    priority: Option<u32>,
    references: Vec<Reference>,
    metadata: Vec<(String, String)>,
    target: Option<String>,
    app_proto: Option<&'static str>,
    header_app: bool,
    cur_buf: BufferName,
    /// Buffers selected as sticky, with whether a match followed.
    stickies: Vec<(BufferName, bool)>,
    /// Transforms since the current sticky buffer was selected.
    transforms: Vec<Transform>,
    /// A match was added since the current sticky buffer was selected.
    buf_matched: bool,
    fast_pattern_seen: bool,
    vars: Vec<String>,
    base64_decode_seen: bool,
    noalert: bool,
}

impl Builder {
    fn new(protocol: &Protocol) -> Self {
        let (app_proto, header_app) = match protocol {
            Protocol::App(p) => (keywords::app_protocol(p), true),
            _ => (None, false),
        };
        Builder {
            options: Vec::new(),
            warnings: Vec::new(),
            sid: None,
            rev: None,
            gid: None,
            msg: None,
            classtype: None,
            priority: None,
            references: Vec::new(),
            metadata: Vec::new(),
            target: None,
            app_proto,
            header_app,
            cur_buf: PAYLOAD,
            stickies: Vec::new(),
            transforms: Vec::new(),
            buf_matched: false,
            fast_pattern_seen: false,
            vars: Vec::new(),
            base64_decode_seen: false,
            noalert: false,
        }
    }

    fn option(&mut self, name: &str, value: Option<&str>) -> PResult<()> {
        let Some(kind) = keywords::lookup(name) else {
            return Err(ParseError::kw(name, "unknown rule keyword"));
        };
        match kind {
            KeywordKind::Buffer(b) => {
                if value.is_some() {
                    return Err(ParseError::kw(
                        name,
                        "takes no value (it is a sticky buffer)",
                    ));
                }
                self.sticky(name, b.name, b.protos)
            }
            KeywordKind::LegacyModifier(buf) => {
                if value.is_some() {
                    return Err(ParseError::kw(
                        name,
                        "takes no value (it is a content modifier)",
                    ));
                }
                self.legacy_modifier(name, buf)
            }
            KeywordKind::Keyword(info) => {
                let canon = info.name;
                let v = match (info.value, value) {
                    (ValueReq::None, Some(_)) => {
                        return Err(ParseError::kw(name, "takes no value"));
                    }
                    (ValueReq::Required, None) => {
                        return Err(ParseError::kw(name, "needs a value"));
                    }
                    (ValueReq::Required, Some("")) => {
                        return Err(ParseError::kw(name, "empty value"));
                    }
                    (_, v) => v,
                };
                self.keyword(name, canon, info, v)
                    .map_err(|m| ParseError::kw(name, m))
            }
        }
    }

    fn set_app_proto(&mut self, protos: &'static [&'static str]) -> VResult<()> {
        let Some(first) = protos.first() else {
            return Ok(());
        };
        match self.app_proto {
            None => {
                self.app_proto = Some(first);
                Ok(())
            }
            Some(cur) => {
                let http_family = |p: &str| matches!(p, "http" | "http1" | "http2");
                let ok = protos.iter().any(|p| {
                    *p == cur
                        || (*p == "http" && http_family(cur))
                        || (*p == "http2" && cur == "http")
                });
                if ok {
                    if !self.header_app && cur == "http" && *first == "http2" {
                        self.app_proto = Some("http2");
                    }
                    Ok(())
                } else {
                    Err(format!(
                        "can't set rule app proto to {first}: already set to {cur}"
                    ))
                }
            }
        }
    }

    fn sticky(
        &mut self,
        name: &str,
        buf: BufferName,
        protos: &'static [&'static str],
    ) -> PResult<()> {
        let err = |m: String| ParseError::kw(name, m);
        match buf {
            "pkt_data" => {
                self.cur_buf = PAYLOAD;
                self.transforms.clear();
                self.buf_matched = false;
                self.options.push(RuleOption::Buffer(PAYLOAD));
                return Ok(());
            }
            "base64_data" if !self.base64_decode_seen => {
                return Err(err("needs a preceding base64_decode".to_string()));
            }
            _ => {}
        }
        if self.cur_buf != PAYLOAD && !self.buf_matched {
            return Err(err(format!(
                "the previous sticky buffer \"{}\" has no matches (content, pcre, ...)",
                self.cur_buf
            )));
        }
        self.set_app_proto(protos).map_err(err)?;
        self.cur_buf = buf;
        self.transforms.clear();
        self.buf_matched = false;
        self.stickies.push((buf, false));
        self.options.push(RuleOption::Buffer(buf));
        Ok(())
    }

    fn mark_match(&mut self) {
        self.buf_matched = true;
        let cur = self.cur_buf;
        if let Some(s) = self.stickies.iter_mut().rev().find(|s| s.0 == cur) {
            s.1 = true;
        }
    }

    /// Index of the content a modifier applies to.
    fn modifier_target(&self) -> Option<usize> {
        let want = self.cur_buf;
        self.options.iter().rposition(|o| match o {
            RuleOption::Content(c) => want == PAYLOAD || c.buffer == want,
            _ => false,
        })
    }

    fn content_mut(&mut self, kw: &str) -> VResult<&mut Content> {
        let idx = self.modifier_target().ok_or_else(|| {
            if self.cur_buf == PAYLOAD {
                format!("{kw} needs a preceding content option")
            } else {
                format!(
                    "{kw} needs a preceding content option in the \"{}\" buffer",
                    self.cur_buf
                )
            }
        })?;
        match self.options.get_mut(idx) {
            Some(RuleOption::Content(c)) => Ok(c),
            _ => Err(format!("{kw} needs a preceding content option")),
        }
    }

    fn legacy_modifier(&mut self, name: &str, buf: BufferName) -> PResult<()> {
        let err = |m: String| ParseError::kw(name, m);
        if self.cur_buf != PAYLOAD {
            return Err(err(format!(
                "used while the sticky buffer \"{}\" is set; reset it with pkt_data first",
                self.cur_buf
            )));
        }
        let idx = self
            .options
            .iter()
            .rposition(|o| matches!(o, RuleOption::Content(_)))
            .ok_or_else(|| err("needs a preceding content option".to_string()))?;
        let Some(RuleOption::Content(c)) = self.options.get_mut(idx) else {
            return Err(err("needs a preceding content option".to_string()));
        };
        if c.buffer != PAYLOAD {
            return Err(err(format!(
                "the preceding content is already in the \"{}\" buffer",
                c.buffer
            )));
        }
        if c.rawbytes {
            return Err(err("cannot be combined with rawbytes".to_string()));
        }
        c.buffer = buf;
        let protos = keywords::buffer_info(buf).map(|b| b.protos).unwrap_or(&[]);
        self.set_app_proto(protos).map_err(err)?;
        Ok(())
    }

    fn define_var(&mut self, name: &str) -> VResult<()> {
        if self.vars.iter().any(|v| v == name) {
            return Err(format!(
                "variable \"{name}\" is already defined in this rule"
            ));
        }
        self.vars.push(name.to_string());
        Ok(())
    }

    fn check_var(&self, name: &str, kw: &str) -> VResult<()> {
        if self.vars.iter().any(|v| v == name) {
            Ok(())
        } else {
            // Suricata's wording: scripts grep for it.
            Err(format!("Unknown byte_extract var seen in {kw} - {name}"))
        }
    }

    fn u16_or_var(&self, v: &str, kw: &str) -> VResult<NumOrVar<u16>> {
        match opts::num_or_var(v) {
            NumOrVar::Num(n) => Ok(NumOrVar::Num(
                opts::parse_unsigned(&n, u64::from(u16::MAX))
                    .map_err(|e| format!("invalid value for {kw}: {e}"))? as u16,
            )),
            NumOrVar::Var(n) => {
                self.check_var(&n, kw)?;
                Ok(NumOrVar::Var(n))
            }
        }
    }

    fn i32_or_var(&self, v: &str, kw: &str) -> VResult<NumOrVar<i32>> {
        match opts::num_or_var(v) {
            NumOrVar::Num(n) => Ok(NumOrVar::Num(
                opts::parse_signed(&n, -MAX_RELATIVE, MAX_RELATIVE)
                    .map_err(|e| format!("invalid value for {kw}: {e}"))? as i32,
            )),
            NumOrVar::Var(n) => {
                self.check_var(&n, kw)?;
                Ok(NumOrVar::Var(n))
            }
        }
    }

    fn has_prev_match(&self) -> bool {
        self.options
            .iter()
            .any(|o| matches!(o, RuleOption::Content(_) | RuleOption::Pcre(_)))
    }

    fn push_match(&mut self, o: RuleOption) {
        self.options.push(o);
        self.mark_match();
    }

    fn quoted<'v>(&self, info: &KeywordInfo, v: &'v str) -> VResult<&'v str> {
        match unquote(v)? {
            Some(inner) => Ok(inner),
            // Suricata's wording: scripts grep for it.
            None if info.quotes_required => Err(format!(
                "invalid formatting to {0} keyword: value must be double quoted '{0}'",
                info.name
            )),
            None => Ok(v),
        }
    }

    fn keyword(
        &mut self,
        name: &str,
        canon: &'static str,
        info: &KeywordInfo,
        value: Option<&str>,
    ) -> VResult<()> {
        let v = value.unwrap_or("");
        match canon {
            "msg" => {
                if self.msg.is_some() {
                    return Err("duplicated msg keyword".to_string());
                }
                let inner = self.quoted(info, v)?;
                let m = opts::unescape_text(inner);
                self.msg = Some(m.clone());
                self.options.push(RuleOption::Msg(m));
            }
            "sid" => {
                if self.sid.is_some() {
                    return Err("duplicated sid keyword".to_string());
                }
                let n = opts::parse_unsigned(self.quoted(info, v)?, u64::from(u32::MAX))
                    .map_err(|e| format!("invalid sid: {e}"))?;
                if n == 0 {
                    return Err("sid 0 is invalid".to_string());
                }
                self.sid = Some(n as u32);
                self.options.push(RuleOption::Sid(n as u32));
            }
            "rev" => {
                if self.rev.is_some() {
                    return Err("duplicated rev keyword".to_string());
                }
                let n = opts::parse_unsigned(self.quoted(info, v)?, u64::from(u32::MAX))
                    .map_err(|e| format!("invalid rev: {e}"))? as u32;
                self.rev = Some(n);
                self.options.push(RuleOption::Rev(n));
            }
            "gid" => {
                if self.gid.is_some() {
                    return Err("duplicated gid keyword".to_string());
                }
                let n = opts::parse_unsigned(self.quoted(info, v)?, u64::from(u32::MAX))
                    .map_err(|e| format!("invalid gid: {e}"))? as u32;
                self.gid = Some(n);
                self.options.push(RuleOption::Gid(n));
            }
            "classtype" => {
                if self.classtype.is_some() {
                    return Err("duplicated classtype keyword".to_string());
                }
                let c = self.quoted(info, v)?.trim();
                if c.is_empty()
                    || !c
                        .bytes()
                        .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
                {
                    return Err(format!("invalid classtype \"{c}\""));
                }
                let c = c.to_ascii_lowercase();
                self.classtype = Some(c.clone());
                self.options.push(RuleOption::Classtype(c));
            }
            "priority" => {
                let n = opts::parse_unsigned(self.quoted(info, v)?, i32::MAX as u64)
                    .map_err(|e| format!("invalid priority: {e}"))? as u32;
                if n == 0 {
                    return Err("priority must be at least 1".to_string());
                }
                self.priority = Some(n);
                self.options.push(RuleOption::Priority(n));
            }
            "reference" => {
                let r = opts::parse_reference(self.quoted(info, v)?)?;
                self.references.push(r.clone());
                self.options.push(RuleOption::Reference(r));
            }
            "metadata" => {
                let m = opts::parse_metadata(self.quoted(info, v)?);
                self.metadata.extend(m.iter().cloned());
                self.options.push(RuleOption::Metadata(m));
            }
            "target" => {
                let t = v.trim();
                if !matches!(t, "src_ip" | "dest_ip") {
                    return Err(format!("target must be src_ip or dest_ip, got \"{t}\""));
                }
                self.target = Some(t.to_string());
                self.options.push(RuleOption::Target(t.to_string()));
            }
            "tls.fingerprint" => {
                // Suricata 7: a content on `tls.cert_fingerprint` (as if
                // followed by a content modifier), the sticky buffer
                // unchanged.
                let (negated, rest) = negation(v);
                let inner = self.quoted(info, rest)?;
                let pattern = opts::decode_content(inner)?;
                self.set_app_proto(&["tls"])?;
                let c = Content {
                    pattern,
                    negated,
                    buffer: "tls.cert_fingerprint",
                    ..Content::default()
                };
                self.push_match(RuleOption::Content(c));
            }
            "content" | "uricontent" => {
                let (negated, rest) = negation(v);
                let inner = unquote(rest)?.ok_or("value must be double quoted")?;
                let pattern = opts::decode_content(inner)?;
                let buffer = if canon == "uricontent" {
                    self.set_app_proto(&["http"])?;
                    "http.uri"
                } else {
                    self.cur_buf
                };
                if buffer == self.cur_buf
                    && self.transforms.contains(&Transform::StripWhitespace)
                    && pattern
                        .iter()
                        .any(|c| c.is_ascii_whitespace() || *c == 0x0b)
                {
                    // Suricata's wording: scripts grep for it.
                    return Err(format!(
                        "content string \"{inner}\" incompatible with strip_whitespace transform"
                    ));
                }
                let c = Content {
                    pattern,
                    negated,
                    buffer,
                    ..Content::default()
                };
                self.push_match(RuleOption::Content(c));
            }
            "nocase" => {
                let c = self.content_mut(canon)?;
                if c.nocase {
                    return Err(
                        "can't use multiple nocase modifiers with the same content".to_string()
                    );
                }
                c.nocase = true;
            }
            "rawbytes" => {
                let c = self.content_mut(canon)?;
                if c.rawbytes {
                    return Err(
                        "can't use multiple rawbytes modifiers with the same content".to_string(),
                    );
                }
                if c.buffer != PAYLOAD {
                    return Err(format!(
                        "\"rawbytes\" cannot be combined with the \"{}\" buffer",
                        c.buffer
                    ));
                }
                c.rawbytes = true;
            }
            "depth" | "offset" => {
                let val = self.u16_or_var(v, canon)?;
                let c = self.content_mut(canon)?;
                if c.distance.is_some() || c.within.is_some() {
                    return Err("can't use a relative keyword like within/distance with an absolute keyword like depth/offset for the same content".to_string());
                }
                if c.fast_pattern == Some(FastPattern::Only) {
                    return Err(format!("can't use {canon} on a fast_pattern:only content"));
                }
                if canon == "depth" {
                    if c.depth.is_some() {
                        return Err("can't use multiple depths for the same content".to_string());
                    }
                    if let NumOrVar::Num(d) = val
                        && usize::from(d) < c.pattern.len()
                    {
                        return Err(format!(
                            "depth:{d} smaller than content of len {}",
                            c.pattern.len()
                        ));
                    }
                    c.depth = Some(val);
                } else {
                    if c.offset.is_some() {
                        return Err("can't use multiple offsets for the same content".to_string());
                    }
                    if c.startswith {
                        return Err("can't use offset with startswith".to_string());
                    }
                    c.offset = Some(val);
                }
            }
            "distance" | "within" => {
                let val = self.i32_or_var(v, canon)?;
                let c = self.content_mut(canon)?;
                if c.depth.is_some() || c.offset.is_some() {
                    return Err("can't use a relative keyword like within/distance with an absolute keyword like depth/offset for the same content".to_string());
                }
                if c.startswith {
                    return Err(format!("can't use {canon} with startswith"));
                }
                if c.fast_pattern == Some(FastPattern::Only) {
                    return Err(format!("can't use {canon} on a fast_pattern:only content"));
                }
                if canon == "distance" {
                    if c.distance.is_some() {
                        return Err("can't use multiple distances for the same content".to_string());
                    }
                    c.distance = Some(val);
                } else {
                    if c.within.is_some() {
                        return Err("can't use multiple withins for the same content".to_string());
                    }
                    if let NumOrVar::Num(w) = val
                        && i64::from(w) < c.pattern.len() as i64
                    {
                        return Err(format!(
                            "within argument {w} is less than the content length {}, so the content can never match",
                            c.pattern.len()
                        ));
                    }
                    c.within = Some(val);
                }
            }
            "startswith" => {
                let c = self.content_mut(canon)?;
                if c.startswith {
                    return Err("can't use multiple startswith for the same content".to_string());
                }
                if c.depth.is_some()
                    || c.offset.is_some()
                    || c.distance.is_some()
                    || c.within.is_some()
                {
                    return Err(
                        "can't combine startswith with depth, offset, distance or within"
                            .to_string(),
                    );
                }
                c.startswith = true;
                c.depth = Some(NumOrVar::Num(c.pattern.len() as u16));
            }
            "endswith" => {
                let c = self.content_mut(canon)?;
                if c.endswith {
                    return Err("can't use multiple endswith for the same content".to_string());
                }
                c.endswith = true;
            }
            "fast_pattern" => {
                if self.fast_pattern_seen {
                    return Err(
                        "fast_pattern can be used on only one content in a rule".to_string()
                    );
                }
                let c = self.content_mut(canon)?;
                let fp = match value.map(str::trim) {
                    None => FastPattern::Whole,
                    Some("only") => {
                        if c.negated
                            || c.distance.is_some()
                            || c.within.is_some()
                            || c.depth.is_some()
                            || c.offset.is_some()
                        {
                            return Err("fast_pattern:only cannot be used with negated content or with distance, within, offset or depth".to_string());
                        }
                        FastPattern::Only
                    }
                    Some(x) => {
                        let (a, b) = x.split_once(',').ok_or_else(|| {
                            format!("invalid value \"{x}\" (expected only or offset,length)")
                        })?;
                        let off = opts::parse_unsigned(a, u64::from(u16::MAX))? as u16;
                        let len = opts::parse_unsigned(b, u64::from(u16::MAX))? as u16;
                        if usize::from(off) + usize::from(len) > c.pattern.len() {
                            return Err(format!(
                                "fast pattern (length + offset ({})) exceeds pattern length ({})",
                                usize::from(off) + usize::from(len),
                                c.pattern.len()
                            ));
                        }
                        if len == 0 {
                            return Err("fast pattern chop length must be at least 1".to_string());
                        }
                        FastPattern::Chop {
                            offset: off,
                            length: len,
                        }
                    }
                };
                if c.negated && (c.distance.is_some() || c.within.is_some()) {
                    return Err(
                        "fast_pattern cannot be used on a negated content with relative modifiers"
                            .to_string(),
                    );
                }
                c.fast_pattern = Some(fp);
                self.fast_pattern_seen = true;
            }
            "replace" => {
                let inner = unquote(v)?.ok_or("value must be double quoted")?;
                let r = opts::decode_content(inner)?;
                let c = self.content_mut(canon)?;
                if c.negated {
                    return Err("can't use replace with a negated content".to_string());
                }
                if c.replace.is_some() {
                    return Err("can't use multiple replace for the same content".to_string());
                }
                if c.buffer != PAYLOAD {
                    return Err(
                        "replace only works on the payload, not a sticky buffer".to_string()
                    );
                }
                c.replace = Some(r);
            }
            "pcre" => self.pcre(v)?,
            "byte_test" => {
                let t = opts::parse_byte_test(self.quoted(info, v)?, self.cur_buf)?;
                if let Some(n) = &t.nbytes_var {
                    self.check_var(n, canon)?;
                }
                if let NumOrVar::Var(n) = &t.value {
                    self.check_var(n, canon)?;
                }
                if let NumOrVar::Var(n) = &t.offset {
                    self.check_var(n, canon)?;
                }
                self.push_match(RuleOption::ByteTest(t));
            }
            "byte_jump" => {
                let j = opts::parse_byte_jump(self.quoted(info, v)?, self.cur_buf)?;
                if let Some(n) = &j.nbytes_var {
                    self.check_var(n, canon)?;
                }
                if let NumOrVar::Var(n) = &j.offset {
                    self.check_var(n, canon)?;
                }
                self.push_match(RuleOption::ByteJump(j));
            }
            "byte_extract" => {
                let e = opts::parse_byte_extract(self.quoted(info, v)?, self.cur_buf)?;
                self.define_var(&e.name)?;
                self.push_match(RuleOption::ByteExtract(e));
            }
            "byte_math" => {
                let m = opts::parse_byte_math(self.quoted(info, v)?, self.cur_buf)?;
                if let NumOrVar::Var(n) = &m.rvalue {
                    self.check_var(n, canon)?;
                }
                self.define_var(&m.result)?;
                self.push_match(RuleOption::ByteMath(m));
            }
            "isdataat" => {
                let (negated, rest) = negation(self.quoted(info, v)?);
                let parts = opts::split_commas(rest);
                let pos = self.u16_or_var(parts.first().copied().unwrap_or(""), canon)?;
                let mut d = IsDataAt {
                    pos,
                    negated,
                    relative: false,
                    rawbytes: false,
                    buffer: self.cur_buf,
                };
                for p in parts.iter().skip(1) {
                    match *p {
                        "relative" => d.relative = true,
                        "rawbytes" => d.rawbytes = true,
                        o => return Err(format!("unknown option \"{o}\"")),
                    }
                }
                self.push_match(RuleOption::IsDataAt(d));
            }
            "bsize" => {
                if self.cur_buf == PAYLOAD {
                    return Err("bsize needs a sticky buffer before it".to_string());
                }
                let cmp = opts::parse_uint_match(v, u64::MAX)?;
                let buffer = self.cur_buf;
                self.push_match(RuleOption::Bsize { cmp, buffer });
            }
            "dsize" => {
                let cmp = opts::parse_uint_match(v, u64::from(u16::MAX))?;
                self.options.push(RuleOption::Dsize(cmp));
            }
            "urilen" => {
                let (c, mode) = match v.split_once(',') {
                    Some((c, m)) => (c, Some(m.trim())),
                    None => (v, None),
                };
                let raw = match mode {
                    None | Some("norm") => false,
                    Some("raw") => true,
                    Some(o) => return Err(format!("invalid mode \"{o}\" (norm or raw)")),
                };
                let cmp = opts::parse_uint_match(c, u64::from(u16::MAX))?;
                self.set_app_proto(&["http"])?;
                self.options.push(RuleOption::Urilen { cmp, raw });
            }
            "base64_decode" => {
                let mut bytes = None;
                let mut offset = None;
                let mut relative = false;
                if let Some(v) = value {
                    for p in opts::split_commas(v).into_iter().filter(|p| !p.is_empty()) {
                        let (k, a) = p.split_once(char::is_whitespace).unwrap_or((p, ""));
                        match (k, a.trim()) {
                            ("bytes", a) => {
                                bytes = Some(opts::parse_unsigned(a, u64::from(u32::MAX))? as u32)
                            }
                            ("offset", a) => {
                                offset = Some(opts::parse_unsigned(a, u64::from(u32::MAX))? as u32)
                            }
                            ("relative", "") => relative = true,
                            _ => return Err(format!("unknown option \"{p}\"")),
                        }
                    }
                }
                if bytes == Some(0) {
                    return Err("bytes must be at least 1".to_string());
                }
                self.base64_decode_seen = true;
                let buffer = self.cur_buf;
                self.push_match(RuleOption::Base64Decode {
                    bytes,
                    offset,
                    relative,
                    buffer,
                });
            }
            "prefilter" => {
                if self.options.is_empty() {
                    return Err("prefilter needs a preceding match".to_string());
                }
                self.options.push(RuleOption::Prefilter);
            }
            "to_lowercase"
            | "to_uppercase"
            | "strip_whitespace"
            | "compress_whitespace"
            | "url_decode"
            | "dotprefix"
            | "to_md5"
            | "to_sha1"
            | "to_sha256"
            | "header_lowercase"
            | "strip_pseudo_headers"
            | "pcrexform"
            | "xor" => {
                if self.cur_buf == PAYLOAD {
                    return Err("transforms need a sticky buffer before them".to_string());
                }
                if self.buf_matched {
                    self.warnings.push(ParseError::kw(
                        name,
                        format!(
                            "transform after matches on \"{}\": it applies to the whole buffer, earlier matches included",
                            self.cur_buf
                        ),
                    ));
                }
                if self.transforms.len() >= MAX_TRANSFORMS {
                    return Err(format!(
                        "more than {MAX_TRANSFORMS} transforms on one buffer"
                    ));
                }
                let t = match canon {
                    "to_lowercase" => Transform::ToLowercase,
                    "to_uppercase" => Transform::ToUppercase,
                    "strip_whitespace" => Transform::StripWhitespace,
                    "compress_whitespace" => Transform::CompressWhitespace,
                    "url_decode" => Transform::UrlDecode,
                    "dotprefix" => Transform::DotPrefix,
                    "to_md5" => Transform::ToMd5,
                    "to_sha1" => Transform::ToSha1,
                    "to_sha256" => Transform::ToSha256,
                    "header_lowercase" => Transform::HeaderLowercase,
                    "strip_pseudo_headers" => Transform::StripPseudoHeaders,
                    "pcrexform" => {
                        let inner = self.quoted(info, v)?;
                        if inner.is_empty() {
                            return Err("empty regex".to_string());
                        }
                        Transform::PcreXform(inner.to_string())
                    }
                    _ => {
                        let inner = unquote(v)?.unwrap_or(v);
                        Transform::Xor(opts::parse_xor_key(inner)?)
                    }
                };
                self.transforms.push(t.clone());
                self.options.push(RuleOption::Transform(t));
            }
            "requires" => self
                .options
                .push(RuleOption::Requires(v.trim().to_string())),
            "frame" => {
                let f = v.trim();
                if f.is_empty()
                    || !f
                        .bytes()
                        .all(|c| c.is_ascii_alphanumeric() || matches!(c, b'_' | b'.' | b'-'))
                {
                    return Err(format!("invalid frame name \"{f}\""));
                }
                if self.cur_buf != PAYLOAD && !self.buf_matched {
                    return Err(format!(
                        "the previous sticky buffer \"{}\" has no matches (content, pcre, ...)",
                        self.cur_buf
                    ));
                }
                self.cur_buf = "frame";
                self.transforms.clear();
                self.buf_matched = false;
                self.stickies.push(("frame", false));
                self.options.push(RuleOption::Frame(f.to_string()));
            }
            "flow" => {
                if self
                    .options
                    .iter()
                    .any(|o| matches!(o, RuleOption::Flow(_)))
                {
                    return Err("only one flow keyword per rule".to_string());
                }
                self.options.push(RuleOption::Flow(opts::parse_flow(v)?));
            }
            "flowbits" => {
                let f = opts::parse_flowbits(v)?;
                if f.action == BitsAction::NoAlert {
                    self.noalert = true;
                }
                self.options.push(RuleOption::Flowbits(f));
            }
            "flowint" => self
                .options
                .push(RuleOption::Flowint(opts::parse_flowint(v)?)),
            "xbits" => self.options.push(RuleOption::Xbits(opts::parse_xbits(v)?)),
            "hostbits" => {
                let h = opts::parse_hostbits(v)?;
                if h.action == BitsAction::NoAlert {
                    self.noalert = true;
                }
                self.options.push(RuleOption::Hostbits(h));
            }
            "threshold" | "detection_filter" => {
                let df = canon == "detection_filter";
                for o in &self.options {
                    if let RuleOption::Threshold(t) = o {
                        let other_df = t.kind == ThresholdType::DetectionFilter;
                        if df && other_df {
                            return Err(
                                "at most one detection_filter is allowed per rule".to_string()
                            );
                        }
                        if df != other_df {
                            return Err(
                                "detection_filter and threshold are not allowed in the same rule"
                                    .to_string(),
                            );
                        }
                    }
                }
                let t = opts::parse_threshold(v, df)?;
                self.options.push(RuleOption::Threshold(t));
            }
            "noalert" => {
                self.noalert = true;
                self.options.push(RuleOption::NoAlert);
            }
            "tag" => self.options.push(RuleOption::Tag(opts::parse_tag(v)?)),
            "app-layer-protocol" => {
                let (negated, rest) = negation(v);
                let (proto, mode) = opts::parse_app_layer_protocol(rest)?;
                self.options.push(RuleOption::AppLayerProtocol {
                    proto,
                    negated,
                    mode,
                });
            }
            "app-layer-event" => {
                let e = v.trim();
                if e.is_empty() || e.contains(char::is_whitespace) {
                    return Err(format!("invalid event \"{e}\""));
                }
                self.options.push(RuleOption::AppLayerEvent(e.to_string()));
            }
            "stream_size" => self
                .options
                .push(RuleOption::StreamSize(opts::parse_stream_size(v)?)),
            "ttl" => self
                .options
                .push(RuleOption::Ttl(opts::parse_uint_match(v, 255)?)),
            "tos" => {
                let (negated, rest) = negation(v.trim());
                let value = opts::parse_unsigned(rest, 255)? as u8;
                self.options.push(RuleOption::Tos { value, negated });
            }
            "ipopts" => self
                .options
                .push(RuleOption::IpOpts(opts::parse_ipopts(v)?)),
            "fragbits" => self
                .options
                .push(RuleOption::FragBits(opts::parse_fragbits(v)?)),
            "fragoffset" => {
                let t = v.trim();
                let (modifier, rest) = match t.chars().next() {
                    Some(c @ ('!' | '<' | '>')) => (Some(c), t.get(1..).unwrap_or("")),
                    _ => (None, t),
                };
                let value = opts::parse_unsigned(rest, 8191)? as u16;
                self.options
                    .push(RuleOption::FragOffset { modifier, value });
            }
            "id" => {
                let n = opts::parse_unsigned(self.quoted(info, v)?, u64::from(u16::MAX))? as u16;
                self.options.push(RuleOption::IpId(n));
            }
            "sameip" => self.options.push(RuleOption::SameIp),
            "decode-event" => {
                // Suricata prefixes the value with "decoder.".
                let name = v.trim();
                if name.is_empty() || name.starts_with('"') {
                    return Err(format!("invalid decoder event \"{name}\""));
                }
                self.options
                    .push(RuleOption::DecodeEvent(format!("decoder.{name}")));
            }
            "ipv4-csum" | "tcpv4-csum" | "tcpv6-csum" | "udpv4-csum" | "udpv6-csum"
            | "icmpv4-csum" | "icmpv6-csum" => {
                let layer = match canon {
                    "ipv4-csum" => ChecksumLayer::Ipv4,
                    "tcpv4-csum" => ChecksumLayer::Tcpv4,
                    "tcpv6-csum" => ChecksumLayer::Tcpv6,
                    "udpv4-csum" => ChecksumLayer::Udpv4,
                    "udpv6-csum" => ChecksumLayer::Udpv6,
                    "icmpv4-csum" => ChecksumLayer::Icmpv4,
                    _ => ChecksumLayer::Icmpv6,
                };
                // Suricata 7 refuses quotes here (its wording).
                if v.starts_with('"') {
                    return Err(format!(
                        "quotes on {canon} keyword that doesn't support them: '{canon}'"
                    ));
                }
                let valid = if v.eq_ignore_ascii_case("valid") {
                    true
                } else if v.eq_ignore_ascii_case("invalid") {
                    false
                } else {
                    return Err(format!("invalid value \"{v}\" (valid or invalid)"));
                };
                self.options.push(RuleOption::Checksum { layer, valid });
            }
            "ip_proto" => {
                let (modifier, proto) = opts::parse_ip_proto(v)?;
                self.options.push(RuleOption::IpProto { modifier, proto });
            }
            "tcp.flags" => self
                .options
                .push(RuleOption::TcpFlags(opts::parse_tcp_flags(v)?)),
            "tcp.seq" => {
                let n = opts::parse_unsigned(v, u64::from(u32::MAX))? as u32;
                self.options.push(RuleOption::TcpSeq(n));
            }
            "tcp.ack" => {
                let n = opts::parse_unsigned(v, u64::from(u32::MAX))? as u32;
                self.options.push(RuleOption::TcpAck(n));
            }
            "tcp.window" => {
                let (negated, rest) = negation(v.trim());
                let value = opts::parse_unsigned(rest, u64::from(u16::MAX))? as u16;
                self.options.push(RuleOption::TcpWindow { value, negated });
            }
            "tcp.mss" => self.options.push(RuleOption::TcpMss(opts::parse_uint_match(
                v,
                u64::from(u16::MAX),
            )?)),
            "itype" => self
                .options
                .push(RuleOption::Itype(opts::parse_uint_match(v, 255)?)),
            "icode" => self
                .options
                .push(RuleOption::Icode(opts::parse_uint_match(v, 255)?)),
            "icmp_id" => {
                let n = opts::parse_unsigned(v, u64::from(u16::MAX))? as u16;
                self.options.push(RuleOption::IcmpId(n));
            }
            "icmp_seq" => {
                let n = opts::parse_unsigned(v, u64::from(u16::MAX))? as u16;
                self.options.push(RuleOption::IcmpSeq(n));
            }
            _ if crate::keywords::keyword_status(canon) == crate::KeywordStatus::Protocol => {
                let v = value.unwrap_or_default();
                let v = if info.quotes_required {
                    // `kw:!"..."` (Suricata's negation before the quotes):
                    // handed over as `!...`.
                    let (negated, rest) = negation(v);
                    let inner = self.quoted(info, rest)?;
                    if negated {
                        format!("!{inner}")
                    } else {
                        inner.to_string()
                    }
                } else if crate::keywords::QUOTES_REFUSED.contains(&canon) {
                    if v.starts_with('"') {
                        return Err("value must not be quoted".to_string());
                    }
                    v.to_string()
                } else {
                    unquote(v)?.unwrap_or(v).to_string()
                };
                self.options.push(RuleOption::Protocol {
                    keyword: canon.to_string(),
                    value: v,
                });
                self.mark_match();
            }
            _ => {
                let _ = name;
                let value = match value {
                    Some(v) => Some(unquote(v)?.unwrap_or(v).to_string()),
                    None => None,
                };
                let is_match = matches!(canon, "dataset" | "datarep" | "lua" | "luajit");
                self.options.push(RuleOption::Unsupported {
                    keyword: canon.to_string(),
                    value,
                });
                if is_match {
                    self.mark_match();
                }
            }
        }
        Ok(())
    }

    fn pcre(&mut self, v: &str) -> VResult<()> {
        let (negated, rest) = negation(v);
        let inner = unquote(rest)?.unwrap_or(rest);
        let parts = opts::split_pcre(inner)?;
        let mut p = Pcre {
            pattern: parts.pattern,
            negated,
            buffer: self.cur_buf,
            captures: parts.captures,
            ..Pcre::default()
        };
        let mut flag_buf: Option<(char, BufferName)> = None;
        for c in parts.flags.chars() {
            match c {
                'i' | 's' | 'm' | 'x' | 'A' | 'E' | 'G' => p.pcre_flags.push(c),
                'R' => p.relative = true,
                'B' => p.rawbytes = true,
                'O' => p.override_limits = true,
                c => match opts::pcre_flag_buffer(c) {
                    Some(b) => {
                        if let Some((prev, pb)) = flag_buf
                            && pb != b
                        {
                            return Err(format!("regex modifier '{c}' inconsistent with '{prev}'"));
                        }
                        flag_buf = Some((c, b));
                    }
                    None => return Err(format!("unknown regex modifier '{c}'")),
                },
            }
        }
        if let Some((c, b)) = flag_buf {
            if self.cur_buf != PAYLOAD && !same_buffer(self.cur_buf, b) {
                // Suricata's wording (scripts grep for it), naming the
                // flag's buffer by its description.
                let desc = opts::pcre_flag_buffer_description(c).unwrap_or(b);
                return Err(format!(
                    "Expression seen with a sticky buffer still set; either (1) reset sticky buffer with pkt_data or (2) use a sticky buffer providing \"{desc}\"."
                ));
            }
            if p.rawbytes {
                return Err(format!(
                    "regex modifier 'B' (rawbytes) inconsistent with '{c}'"
                ));
            }
            if self.cur_buf == PAYLOAD {
                p.buffer = b;
            }
            let protos = keywords::buffer_info(b).map(|i| i.protos).unwrap_or(&[]);
            self.set_app_proto(protos)?;
        }
        // Suricata: /R is checked only outside sticky buffers, against any
        // earlier content or pcre (in any buffer).
        if p.relative && self.cur_buf == PAYLOAD && !self.has_prev_match() {
            return Err(
                "pcre with /R (relative) needs a preceding match in the same buffer".to_string(),
            );
        }
        self.push_match(RuleOption::Pcre(p));
        Ok(())
    }

    fn finish(&mut self) -> PResult<()> {
        // Suricata: a payload content longer than dsize allows can never match.
        let dsize_max = self.options.iter().find_map(|o| match o {
            RuleOption::Dsize(m) => match *m {
                UintMatch::Eq(n) | UintMatch::Le(n) => Some(n),
                UintMatch::Lt(n) | UintMatch::Range(_, n) => Some(n.saturating_sub(1)),
                _ => None,
            },
            _ => None,
        });
        if let Some(max) = dsize_max {
            // Smallest payload the contents need, following distance chains
            // (variables count as 0), as Suricata computes it.
            let (mut prev_end, mut required) = (0i64, 0i64);
            for o in &self.options {
                let RuleOption::Content(c) = o else { continue };
                if c.buffer != PAYLOAD || c.negated {
                    continue;
                }
                let start = if c.distance.is_some() || c.within.is_some() {
                    let d = match &c.distance {
                        Some(NumOrVar::Num(n)) => i64::from(*n),
                        _ => 0,
                    };
                    (prev_end + d).max(0)
                } else {
                    match &c.offset {
                        Some(NumOrVar::Num(n)) => i64::from(*n),
                        _ => 0,
                    }
                };
                prev_end = start + c.pattern.len() as i64;
                required = required.max(prev_end);
            }
            if required as u64 > max {
                return Err(ParseError::kw(
                    "content",
                    format!(
                        "signature can't match as required content length {required} exceeds dsize value {max}"
                    ),
                ));
            }
        }
        // Suricata's checks of `tls.cert_fingerprint` contents: a
        // fingerprint's length and colons; upper case is made lower case.
        for o in &mut self.options {
            let RuleOption::Content(c) = o else { continue };
            if c.buffer != "tls.cert_fingerprint" {
                continue;
            }
            if c.pattern.len() != 59 {
                return Err(ParseError::kw(
                    "tls.cert_fingerprint",
                    format!(
                        "a fingerprint is 59 characters (20 bytes in hex with ':'), got {}: the rule could never match",
                        c.pattern.len()
                    ),
                ));
            }
            if !c.pattern.contains(&b':') {
                return Err(ParseError::kw(
                    "tls.cert_fingerprint",
                    "no ':' in the fingerprint: the rule could never match",
                ));
            }
            c.pattern.make_ascii_lowercase();
        }
        if let Some((b, _)) = self
            .stickies
            .iter()
            .find(|(b, matched)| !matched && !self.stickies.iter().any(|(b2, m2)| b2 == b && *m2))
        {
            return Err(ParseError::kw(
                b,
                "sticky buffer is selected but no match (content, pcre, ...) follows it",
            ));
        }
        Ok(())
    }
}
