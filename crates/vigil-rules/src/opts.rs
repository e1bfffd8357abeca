//! Value parsers for individual keywords (pure functions: text in, typed
//! value or a reason out). Rule-level checks live in `parse.rs`.

use crate::ast::*;
use crate::error::clip;

/// Result of a value parser: the reason is a plain message (the caller adds
/// the keyword).
pub type VResult<T> = Result<T, String>;

/// Parse an unsigned decimal (or `0x` hex) integer that fits in `max`.
pub fn parse_unsigned(s: &str, max: u64) -> VResult<u64> {
    let t = s.trim();
    let (digits, radix) = match t.strip_prefix("0x").or_else(|| t.strip_prefix("0X")) {
        Some(h) => (h, 16),
        None => (t, 10),
    };
    if digits.is_empty() || !digits.chars().all(|c| c.is_digit(radix)) {
        return Err(format!("invalid number \"{}\"", clip(t)));
    }
    match u64::from_str_radix(digits, radix) {
        Ok(v) if v <= max => Ok(v),
        _ => Err(format!("number \"{}\" out of range (max {max})", clip(t))),
    }
}

/// Parse a signed decimal integer within `[min, max]`.
pub fn parse_signed(s: &str, min: i64, max: i64) -> VResult<i64> {
    let t = s.trim();
    let body = t.strip_prefix(['-', '+']).unwrap_or(t);
    if body.is_empty() || !body.bytes().all(|c| c.is_ascii_digit()) {
        return Err(format!("invalid number \"{}\"", clip(t)));
    }
    match t.parse::<i64>() {
        Ok(v) if v >= min && v <= max => Ok(v),
        _ => Err(format!(
            "number \"{}\" out of range ({min} to {max})",
            clip(t)
        )),
    }
}

/// Parse an `i32` (byte_* offsets).
pub fn parse_i32(s: &str) -> VResult<i32> {
    parse_signed(s, i64::from(i32::MIN), i64::from(i32::MAX)).map(|v| v as i32)
}

/// A number or a variable name (byte_extract/byte_math result).
pub fn num_or_var(s: &str) -> NumOrVar<String> {
    let t = s.trim();
    let first = t.bytes().next();
    if matches!(first, Some(b'0'..=b'9') | Some(b'-') | Some(b'+')) {
        NumOrVar::Num(t.to_string())
    } else {
        NumOrVar::Var(t.to_string())
    }
}

/// Whether `s` is a valid variable name for byte_extract/byte_math/flowint.
pub fn valid_var_name(s: &str) -> bool {
    let mut it = s.bytes();
    matches!(it.next(), Some(c) if c.is_ascii_alphabetic() || c == b'_')
        && it.all(|c| c.is_ascii_alphanumeric() || c == b'_' || c == b'.' || c == b'-')
}

/// Decode a content string (already without its surrounding quotes):
/// `|hex|` blocks (spaces allowed), escapes `\;` `\"` `\\` `\:`.
pub fn decode_content(s: &str) -> VResult<Vec<u8>> {
    if s.is_empty() {
        return Err("empty content".to_string());
    }
    let mut out = Vec::with_capacity(s.len());
    let mut bin = false;
    let mut escape = false;
    let mut nib: Option<u8> = None;
    for &c in s.as_bytes() {
        if escape {
            if matches!(c, b';' | b'"' | b'\\' | b':') {
                out.push(c);
                escape = false;
                continue;
            }
            return Err(format!(
                "invalid escape '\\{}' (only \\; \\\" \\\\ \\: are allowed; write other bytes as |hex|)",
                c as char
            ));
        }
        if c == b'|' {
            if bin && nib.is_some() {
                return Err(format!("incomplete hex byte in \"{}\"", clip(s)));
            }
            bin = !bin;
            continue;
        }
        if bin {
            if c == b' ' {
                continue;
            }
            let v = match (c as char).to_digit(16) {
                Some(v) => v as u8,
                None => {
                    return Err(format!(
                        "invalid hex character '{}' in \"{}\"",
                        (c as char).escape_default(),
                        clip(s)
                    ));
                }
            };
            match nib.take() {
                Some(h) => out.push(h << 4 | v),
                None => nib = Some(v),
            }
            continue;
        }
        if c == b'\\' {
            escape = true;
            continue;
        }
        out.push(c);
    }
    if bin {
        return Err(format!(
            "unterminated hex block (odd number of '|') in \"{s}\""
        ));
    }
    if escape {
        return Err("trailing '\\' in content".to_string());
    }
    if out.is_empty() {
        return Err("empty content".to_string());
    }
    if out.len() > usize::from(u16::MAX) {
        return Err(format!("content longer than {} bytes", u16::MAX));
    }
    Ok(out)
}

/// Unescape `msg`-style text: `\x` becomes `x` for `; " \ :`, others kept.
pub fn unescape_text(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut it = s.chars().peekable();
    while let Some(c) = it.next() {
        if c == '\\'
            && let Some(&n) = it.peek()
            && matches!(n, ';' | '"' | '\\' | ':')
        {
            out.push(n);
            it.next();
            continue;
        }
        out.push(c);
    }
    out
}

/// The generic unsigned-integer expression of Suricata 7 (`N`, `=N`, `!N`,
/// `<N`, `<=N`, `>N`, `>=N`, `N<>M`, `N-M`), bounded by `max`.
pub fn parse_uint_match(s: &str, max: u64) -> VResult<UintMatch> {
    let t = s.trim();
    let num = |x: &str| parse_unsigned(x, max);
    if let Some((a, b)) = t.split_once("<>") {
        return range(num(a)?, num(b)?, t);
    }
    for (p, f) in [
        ("<=", UintMatch::Le as fn(u64) -> UintMatch),
        (">=", UintMatch::Ge),
        ("<", UintMatch::Lt),
        (">", UintMatch::Gt),
        ("!", UintMatch::Ne),
        ("=", UintMatch::Eq),
    ] {
        if let Some(rest) = t.strip_prefix(p) {
            let v = num(rest)?;
            if p == "<" && v == 0 {
                return Err(format!("\"{t}\" can never match"));
            }
            if p == ">" && v == max {
                return Err(format!("\"{t}\" can never match"));
            }
            return Ok(f(v));
        }
    }
    if let Some((a, b)) = t.split_once('-')
        && !a.trim().is_empty()
    {
        return range(num(a)?, num(b)?, t);
    }
    Ok(UintMatch::Eq(num(t)?))
}

fn range(lo: u64, hi: u64, t: &str) -> VResult<UintMatch> {
    if lo >= hi {
        return Err(format!(
            "range \"{t}\": first value must be lower than the second"
        ));
    }
    Ok(UintMatch::Range(lo, hi))
}

/// Split a keyword value on commas, trimming each part.
pub fn split_commas(s: &str) -> Vec<&str> {
    s.split(',').map(str::trim).collect()
}

/// pcre value (without the negation, quotes removed by the caller).
pub struct PcreParts {
    /// Regex body.
    pub pattern: String,
    /// Flag letters after the closing '/'.
    pub flags: String,
    /// Capture spec after a comma, if any.
    pub captures: Option<String>,
}

/// Split `/regex/flags[, captures]`.
pub fn split_pcre(v: &str) -> VResult<PcreParts> {
    let t = v.trim();
    // Suricata looks for the first '/' not preceded by a backslash; text
    // before it is ignored.
    let b = t.as_bytes();
    let Some(first) = (0..b.len()).find(|&i| b[i] == b'/' && (i == 0 || b[i - 1] != b'\\')) else {
        return Err(format!("regex must be written /regex/flags: \"{t}\""));
    };
    let Some(body) = t.get(first + 1..) else {
        return Err(format!("regex must be written /regex/flags: \"{t}\""));
    };
    let Some(end) = body.rfind('/') else {
        return Err(format!("regex has no closing '/': \"{t}\""));
    };
    let pattern = body.get(..end).unwrap_or("");
    let rest = body.get(end + 1..).unwrap_or("");
    let (flags, captures) = match rest.split_once(',') {
        Some((f, c)) => (f.trim(), Some(c.trim().to_string())),
        None => (rest.trim(), None),
    };
    // An unbalanced closing quote (`pcre:/x/i"`) is ignored, as Suricata does.
    let flags = flags.strip_suffix('"').unwrap_or(flags).trim_end();
    if pattern.is_empty() {
        return Err("empty regex".to_string());
    }
    Ok(PcreParts {
        pattern: pattern.to_string(),
        flags: flags.to_string(),
        captures,
    })
}

/// Buffer selected by a Suricata-specific pcre flag.
pub fn pcre_flag_buffer(c: char) -> Option<&'static str> {
    Some(match c {
        'U' => "http.uri",
        'I' => "http.uri.raw",
        'P' => "http.request_body",
        'Q' => "file.data",
        'H' => "http.header",
        'D' => "http.header.raw",
        'M' => "http.method",
        'C' => "http.cookie",
        'S' => "http.stat_code",
        'Y' => "http.stat_msg",
        'V' => "http.user_agent",
        'W' => "http.host",
        'Z' => "http.host.raw",
        _ => return None,
    })
}

/// Suricata's description of a pcre buffer flag's buffer (its error
/// messages name buffers this way).
pub fn pcre_flag_buffer_description(c: char) -> Option<&'static str> {
    Some(match c {
        'U' => "http request uri",
        'I' => "raw http uri",
        'P' => "http request body",
        'Q' => "data from tracked files",
        'H' => "http headers",
        'D' => "raw http headers",
        'M' => "http request method",
        'C' => "http cookie header",
        'S' => "http response status code",
        'Y' => "http response status message",
        'V' => "http user agent",
        'W' => "http host",
        'Z' => "http raw host header",
        _ => return None,
    })
}

fn parse_base(s: &str) -> Option<NumBase> {
    match s {
        "hex" => Some(NumBase::Hex),
        "dec" => Some(NumBase::Dec),
        "oct" => Some(NumBase::Oct),
        _ => None,
    }
}

fn check_nbytes(n: u64, string: bool) -> VResult<u8> {
    if !string && n > 8 {
        return Err(format!(
            "cannot read more than 8 bytes without \"string\" (got {n})"
        ));
    }
    if n > 32 {
        return Err(format!("cannot read more than 32 bytes (got {n})"));
    }
    Ok(n as u8)
}

/// byte_test value, leaving variable names unresolved.
pub fn parse_byte_test(v: &str, buffer: BufferName) -> VResult<ByteTest> {
    let parts = split_commas(v);
    if parts.len() < 4 {
        return Err(format!(
            "expected \"bytes, [!]operator, value, offset[, options]\", got \"{v}\""
        ));
    }
    let (mut negated, mut op) = (false, parts[1]);
    if let Some(r) = op.strip_prefix('!') {
        negated = true;
        op = r.trim();
    }
    let op = match op {
        "<" => ByteTestOp::Lt,
        ">" => ByteTestOp::Gt,
        "=" => ByteTestOp::Eq,
        "<=" => ByteTestOp::Le,
        ">=" => ByteTestOp::Ge,
        "&" => ByteTestOp::And,
        "^" => ByteTestOp::Xor,
        o => return Err(format!("invalid operator \"{o}\"")),
    };
    let value = match num_or_var(parts[2]) {
        NumOrVar::Num(n) => NumOrVar::Num(parse_unsigned(&n, u64::MAX)?),
        NumOrVar::Var(n) => NumOrVar::Var(n),
    };
    let offset = match num_or_var(parts[3]) {
        NumOrVar::Num(n) => NumOrVar::Num(parse_i32(&n)?),
        NumOrVar::Var(n) => NumOrVar::Var(n),
    };
    let mut t = ByteTest {
        nbytes: 0,
        nbytes_var: None,
        negated,
        op,
        value,
        offset,
        relative: false,
        endian: Endian::Big,
        string: None,
        bitmask: None,
        buffer,
    };
    let mut saw_string = false;
    let mut endian_set = false;
    for p in parts.iter().skip(4) {
        match *p {
            "relative" => t.relative = true,
            "big" | "little" | "dce" => {
                if endian_set {
                    return Err("more than one byte order given".to_string());
                }
                endian_set = true;
                t.endian = match *p {
                    "big" => Endian::Big,
                    "little" => Endian::Little,
                    _ => Endian::Dce,
                };
            }
            "string" => saw_string = true,
            b if parse_base(b).is_some() => t.string = parse_base(b),
            o => {
                if let Some(m) = o.strip_prefix("bitmask") {
                    t.bitmask = Some(parse_unsigned(m, u64::from(u32::MAX))? as u32);
                } else {
                    return Err(format!("unknown option \"{o}\""));
                }
            }
        }
    }
    if saw_string && t.string.is_none() {
        t.string = Some(NumBase::Dec);
    } else if !saw_string && t.string.is_some() {
        return Err("hex/dec/oct given without \"string\"".to_string());
    }
    if saw_string && endian_set {
        return Err("byte order cannot be combined with \"string\"".to_string());
    }
    match num_or_var(parts[0]) {
        NumOrVar::Num(n) => t.nbytes = check_nbytes(parse_unsigned(&n, 255)?, saw_string)?,
        NumOrVar::Var(name) => t.nbytes_var = Some(name),
    }
    Ok(t)
}

/// byte_jump value.
pub fn parse_byte_jump(v: &str, buffer: BufferName) -> VResult<ByteJump> {
    let parts = split_commas(v);
    if parts.len() < 2 {
        return Err(format!(
            "expected \"bytes, offset[, options]\", got \"{v}\""
        ));
    }
    let offset = match num_or_var(parts[1]) {
        NumOrVar::Num(n) => NumOrVar::Num(parse_i32(&n)?),
        NumOrVar::Var(n) => NumOrVar::Var(n),
    };
    let mut j = ByteJump {
        nbytes: 0,
        nbytes_var: None,
        offset,
        relative: false,
        multiplier: None,
        endian: Endian::Big,
        string: None,
        align: false,
        from_beginning: false,
        from_end: false,
        post_offset: None,
        bitmask: None,
        buffer,
    };
    let mut saw_string = false;
    let mut endian_set = false;
    for p in parts.iter().skip(2) {
        let (k, arg) = match p.split_once(char::is_whitespace) {
            Some((k, a)) => (k, Some(a.trim())),
            None => (*p, None),
        };
        match (k, arg) {
            ("relative", None) => j.relative = true,
            ("big" | "little" | "dce", None) => {
                if endian_set {
                    return Err("more than one byte order given".to_string());
                }
                endian_set = true;
                j.endian = match k {
                    "big" => Endian::Big,
                    "little" => Endian::Little,
                    _ => Endian::Dce,
                };
            }
            ("string", None) => saw_string = true,
            (b, None) if parse_base(b).is_some() => j.string = parse_base(b),
            ("align", None) => j.align = true,
            ("from_beginning", None) => j.from_beginning = true,
            ("from_end", None) => j.from_end = true,
            ("multiplier", Some(a)) => {
                j.multiplier = Some(parse_unsigned(a, 65535)? as u32);
            }
            ("post_offset", Some(a)) => {
                j.post_offset = Some(parse_i32(a)?);
            }
            ("bitmask", Some(a)) => {
                j.bitmask = Some(parse_unsigned(a, u64::from(u32::MAX))? as u32);
            }
            _ => return Err(format!("unknown option \"{p}\"")),
        }
    }
    if j.from_beginning && j.from_end {
        return Err("from_beginning and from_end cannot be combined".to_string());
    }
    if saw_string && j.string.is_none() {
        j.string = Some(NumBase::Dec);
    } else if !saw_string && j.string.is_some() {
        return Err("hex/dec/oct given without \"string\"".to_string());
    }
    match num_or_var(parts[0]) {
        NumOrVar::Num(n) => j.nbytes = check_nbytes(parse_unsigned(&n, 255)?, saw_string)?,
        NumOrVar::Var(name) => j.nbytes_var = Some(name),
    }
    Ok(j)
}

/// byte_extract value.
pub fn parse_byte_extract(v: &str, buffer: BufferName) -> VResult<ByteExtract> {
    let parts = split_commas(v);
    if parts.len() < 3 {
        return Err(format!(
            "expected \"bytes, offset, name[, options]\", got \"{v}\""
        ));
    }
    let name = parts[2];
    if !valid_var_name(name) {
        return Err(format!("invalid variable name \"{name}\""));
    }
    let mut e = ByteExtract {
        nbytes: 0,
        offset: parse_i32(parts[1])?,
        name: name.to_string(),
        relative: false,
        multiplier: None,
        endian: Endian::Big,
        string: None,
        align: None,
        bitmask: None,
        buffer,
    };
    let mut saw_string = false;
    let mut endian_set = false;
    for p in parts.iter().skip(3) {
        let (k, arg) = match p.split_once(char::is_whitespace) {
            Some((k, a)) => (k, Some(a.trim())),
            None => (*p, None),
        };
        match (k, arg) {
            ("relative", None) => e.relative = true,
            ("big" | "little" | "dce", None) => {
                if endian_set {
                    return Err("more than one byte order given".to_string());
                }
                endian_set = true;
                e.endian = match k {
                    "big" => Endian::Big,
                    "little" => Endian::Little,
                    _ => Endian::Dce,
                };
            }
            ("string", None) => saw_string = true,
            (b, None) if parse_base(b).is_some() => e.string = parse_base(b),
            ("multiplier", Some(a)) => e.multiplier = Some(parse_unsigned(a, 65535)? as u32),
            ("align", Some(a)) => {
                let n = parse_unsigned(a, 4)?;
                if n != 2 && n != 4 {
                    return Err(format!("align must be 2 or 4, got {n}"));
                }
                e.align = Some(n as u8);
            }
            ("bitmask", Some(a)) => {
                e.bitmask = Some(parse_unsigned(a, u64::from(u32::MAX))? as u32);
            }
            _ => return Err(format!("unknown option \"{p}\"")),
        }
    }
    if saw_string && e.string.is_none() {
        e.string = Some(NumBase::Dec);
    } else if !saw_string && e.string.is_some() {
        return Err("hex/dec/oct given without \"string\"".to_string());
    }
    e.nbytes = check_nbytes(parse_unsigned(parts[0], 255)?, saw_string)?;
    Ok(e)
}

/// byte_math value (`bytes N, offset N, oper OP, rvalue V, result NAME, ...`).
pub fn parse_byte_math(v: &str, buffer: BufferName) -> VResult<ByteMath> {
    let mut nbytes = None;
    let mut offset = None;
    let mut op = None;
    let mut rvalue = None;
    let mut result = None;
    let mut m = ByteMath {
        nbytes: 0,
        offset: 0,
        op: ByteMathOp::Add,
        rvalue: NumOrVar::Num(0),
        result: String::new(),
        relative: false,
        endian: Endian::Big,
        string: None,
        bitmask: None,
        buffer,
    };
    for p in split_commas(v) {
        let (k, arg) = match p.split_once(char::is_whitespace) {
            Some((k, a)) => (k, Some(a.trim())),
            None => (p, None),
        };
        match (k, arg) {
            ("bytes", Some(a)) => nbytes = Some(parse_unsigned(a, 255)?),
            ("offset", Some(a)) => offset = Some(parse_i32(a)?),
            ("oper", Some(a)) => {
                op = Some(match a {
                    "+" => ByteMathOp::Add,
                    "-" => ByteMathOp::Sub,
                    "*" => ByteMathOp::Mul,
                    "/" => ByteMathOp::Div,
                    "<<" => ByteMathOp::Shl,
                    ">>" => ByteMathOp::Shr,
                    o => return Err(format!("invalid operator \"{o}\"")),
                })
            }
            ("rvalue", Some(a)) => {
                rvalue = Some(match num_or_var(a) {
                    NumOrVar::Num(n) => {
                        NumOrVar::Num(parse_unsigned(&n, u64::from(u32::MAX))? as u32)
                    }
                    NumOrVar::Var(n) => NumOrVar::Var(n),
                })
            }
            ("result", Some(a)) => {
                if !valid_var_name(a) {
                    return Err(format!("invalid variable name \"{a}\""));
                }
                result = Some(a.to_string());
            }
            ("relative", None) => m.relative = true,
            ("endian", Some(a)) => {
                m.endian = match a {
                    "big" => Endian::Big,
                    "little" => Endian::Little,
                    o => return Err(format!("invalid endian \"{o}\"")),
                }
            }
            ("dce", None) => m.endian = Endian::Dce,
            ("string", Some(a)) => {
                m.string =
                    Some(parse_base(a).ok_or_else(|| format!("invalid string base \"{a}\""))?)
            }
            ("bitmask", Some(a)) => {
                m.bitmask = Some(parse_unsigned(a, u64::from(u32::MAX))? as u32)
            }
            _ => return Err(format!("unknown option \"{p}\"")),
        }
    }
    fn need<T>(o: Option<T>, what: &str) -> VResult<T> {
        o.ok_or_else(|| format!("missing \"{what}\""))
    }
    m.nbytes = check_nbytes(need(nbytes, "bytes")?, m.string.is_some())?;
    if m.string.is_none() && m.nbytes > 4 {
        return Err(format!(
            "bytes must be 1 to 4 without string (got {})",
            m.nbytes
        ));
    }
    m.offset = need(offset, "offset")?;
    m.op = need(op, "oper")?;
    m.rvalue = need(rvalue, "rvalue")?;
    m.result = need(result, "result")?;
    Ok(m)
}

/// flow value.
pub fn parse_flow(v: &str) -> VResult<Vec<FlowOpt>> {
    let mut out: Vec<FlowOpt> = Vec::new();
    for p in split_commas(v) {
        let o = match p {
            "established" => FlowOpt::Established,
            "not_established" => FlowOpt::NotEstablished,
            "stateless" => FlowOpt::Stateless,
            "to_server" | "from_client" => FlowOpt::ToServer,
            "to_client" | "from_server" => FlowOpt::ToClient,
            "only_stream" => FlowOpt::OnlyStream,
            "no_stream" => FlowOpt::NoStream,
            "only_frag" => FlowOpt::OnlyFrag,
            "no_frag" => FlowOpt::NoFrag,
            o => return Err(format!("invalid flow option \"{o}\"")),
        };
        let conflicts: &[FlowOpt] = match o {
            FlowOpt::Established | FlowOpt::NotEstablished | FlowOpt::Stateless => &[
                FlowOpt::Established,
                FlowOpt::NotEstablished,
                FlowOpt::Stateless,
            ],
            FlowOpt::ToServer | FlowOpt::ToClient => &[FlowOpt::ToServer, FlowOpt::ToClient],
            FlowOpt::OnlyStream | FlowOpt::NoStream => &[FlowOpt::OnlyStream, FlowOpt::NoStream],
            FlowOpt::OnlyFrag | FlowOpt::NoFrag => &[FlowOpt::OnlyFrag, FlowOpt::NoFrag],
        };
        if let Some(c) = out.iter().find(|x| conflicts.contains(x)) {
            return Err(format!(
                "\"{p}\" conflicts with \"{}\" given earlier",
                c.name()
            ));
        }
        out.push(o);
    }
    Ok(out)
}

fn bits_action(s: &str) -> VResult<BitsAction> {
    Ok(match s {
        "set" => BitsAction::Set,
        "unset" => BitsAction::Unset,
        "toggle" => BitsAction::Toggle,
        "isset" => BitsAction::IsSet,
        "isnotset" => BitsAction::IsNotSet,
        "noalert" => BitsAction::NoAlert,
        o => return Err(format!("action \"{o}\" is not supported")),
    })
}

fn bit_name(n: &str) -> VResult<String> {
    let n = n.trim();
    if n.is_empty() || n.contains(char::is_whitespace) {
        return Err(format!("invalid name \"{n}\""));
    }
    Ok(n.to_string())
}

/// flowbits value.
pub fn parse_flowbits(v: &str) -> VResult<Flowbits> {
    let (a, rest) = match v.split_once(',') {
        Some((a, r)) => (a.trim(), Some(r.trim())),
        None => (v.trim(), None),
    };
    let action = bits_action(a)?;
    if action == BitsAction::NoAlert {
        if rest.is_some() {
            return Err("noalert takes no name".to_string());
        }
        return Ok(Flowbits {
            action,
            names: vec![],
            combine: BitsCombine::Single,
        });
    }
    let Some(rest) = rest else {
        return Err(format!("action \"{a}\" needs a name"));
    };
    let (names, combine) = if rest.contains('|') {
        if !matches!(action, BitsAction::IsSet | BitsAction::IsNotSet) {
            return Err(format!(
                "'|' (or) is only valid with isset/isnotset, not \"{a}\""
            ));
        }
        (
            rest.split('|').map(bit_name).collect::<VResult<Vec<_>>>()?,
            BitsCombine::Or,
        )
    } else if rest.contains('&') {
        (
            rest.split('&').map(bit_name).collect::<VResult<Vec<_>>>()?,
            BitsCombine::And,
        )
    } else {
        (vec![bit_name(rest)?], BitsCombine::Single)
    };
    if names.len() > 1 && rest.contains('|') && rest.contains('&') {
        return Err("'|' and '&' cannot be mixed".to_string());
    }
    Ok(Flowbits {
        action,
        names,
        combine,
    })
}

/// flowint value.
pub fn parse_flowint(v: &str) -> VResult<Flowint> {
    let parts = split_commas(v);
    if parts.len() < 2 || parts.len() > 3 {
        return Err(format!("expected \"name, operator[, value]\", got \"{v}\""));
    }
    let name = parts[0];
    if !valid_var_name(name) {
        return Err(format!("invalid variable name \"{name}\""));
    }
    let op = match parts[1] {
        "=" => FlowintOp::Set,
        "+" => FlowintOp::Add,
        "-" => FlowintOp::Sub,
        "==" => FlowintOp::Eq,
        "!=" => FlowintOp::Ne,
        "<" => FlowintOp::Lt,
        "<=" => FlowintOp::Le,
        ">" => FlowintOp::Gt,
        ">=" => FlowintOp::Ge,
        "isset" => FlowintOp::IsSet,
        "notset" | "isnotset" => FlowintOp::NotSet,
        o => return Err(format!("invalid operator \"{o}\"")),
    };
    let value = match (op, parts.get(2)) {
        (FlowintOp::IsSet | FlowintOp::NotSet, None) => None,
        (FlowintOp::IsSet | FlowintOp::NotSet, Some(_)) => {
            return Err("isset/notset take no value".to_string());
        }
        (_, None) => return Err(format!("operator \"{}\" needs a value", parts[1])),
        (_, Some(x)) => Some(match num_or_var(x) {
            NumOrVar::Num(n) => NumOrVar::Num(parse_unsigned(&n, u64::from(u32::MAX))? as u32),
            NumOrVar::Var(n) => {
                if !valid_var_name(&n) {
                    return Err(format!("invalid value \"{n}\""));
                }
                NumOrVar::Var(n)
            }
        }),
    };
    Ok(Flowint {
        name: name.to_string(),
        op,
        value,
    })
}

/// xbits value.
pub fn parse_xbits(v: &str) -> VResult<Xbits> {
    let parts = split_commas(v);
    if parts.len() < 2 {
        return Err(format!("expected \"action, name, track ...\", got \"{v}\""));
    }
    let action = bits_action(parts[0])?;
    if action == BitsAction::NoAlert {
        return Err("xbits noalert is not supported, use noalert".to_string());
    }
    let name = bit_name(parts[1])?;
    let mut track = None;
    let mut expire = None;
    for p in parts.iter().skip(2) {
        let (k, a) = p.split_once(char::is_whitespace).unwrap_or((p, ""));
        match (k, a.trim()) {
            ("track", t) => {
                track = Some(match t {
                    "ip_src" => XbitsTrack::IpSrc,
                    "ip_dst" => XbitsTrack::IpDst,
                    "ip_pair" => XbitsTrack::IpPair,
                    "tx" => XbitsTrack::Tx,
                    o => return Err(format!("invalid track \"{o}\"")),
                })
            }
            ("expire", e) => expire = Some(parse_unsigned(e, u64::from(u32::MAX))? as u32),
            _ => return Err(format!("unknown option \"{p}\"")),
        }
    }
    let track = track.ok_or("missing \"track\"")?;
    Ok(Xbits {
        action,
        name,
        track,
        expire,
    })
}

/// hostbits value.
pub fn parse_hostbits(v: &str) -> VResult<Hostbits> {
    let parts = split_commas(v);
    let action = bits_action(parts.first().copied().unwrap_or(""))?;
    if action == BitsAction::NoAlert {
        return Ok(Hostbits {
            action,
            names: vec![],
            dir: HostbitsDir::Src,
        });
    }
    let Some(n) = parts.get(1) else {
        return Err(format!("action \"{}\" needs a name", parts[0]));
    };
    let names = n
        .split(['|', '&'])
        .map(bit_name)
        .collect::<VResult<Vec<_>>>()?;
    let dir = match parts.get(2).copied() {
        None | Some("src") => HostbitsDir::Src,
        Some("dst") => HostbitsDir::Dst,
        Some("both") => HostbitsDir::Both,
        Some(o) => return Err(format!("invalid direction \"{o}\"")),
    };
    if parts.len() > 3 {
        return Err(format!("too many parts in \"{v}\""));
    }
    Ok(Hostbits { action, names, dir })
}

fn parse_track(t: &str) -> VResult<Track> {
    Ok(match t {
        "by_src" => Track::BySrc,
        "by_dst" => Track::ByDst,
        "by_rule" => Track::ByRule,
        "by_both" => Track::ByBoth,
        "by_flow" => Track::ByFlow,
        o => return Err(format!("invalid track \"{o}\"")),
    })
}

/// threshold (or detection_filter when `df`) value.
pub fn parse_threshold(v: &str, df: bool) -> VResult<Threshold> {
    let mut kind = if df {
        Some(ThresholdType::DetectionFilter)
    } else {
        None
    };
    let mut track = None;
    let mut count = None;
    let mut seconds = None;
    for p in split_commas(v) {
        let (k, a) = p
            .split_once(char::is_whitespace)
            .map(|(k, a)| (k, a.trim()))
            .ok_or_else(|| format!("expected \"name value\", got \"{p}\""))?;
        match k {
            "type" if !df => {
                kind = Some(match a {
                    "limit" => ThresholdType::Limit,
                    "threshold" => ThresholdType::Threshold,
                    "both" => ThresholdType::Both,
                    o => return Err(format!("invalid type \"{o}\"")),
                })
            }
            "track" => track = Some(parse_track(a)?),
            "count" => count = Some(parse_unsigned(a, u64::from(u32::MAX))? as u32),
            "seconds" => seconds = Some(parse_unsigned(a, u64::from(u32::MAX))? as u32),
            o => return Err(format!("unknown option \"{o}\"")),
        }
    }
    let kind = kind.ok_or("missing \"type\"")?;
    let track = track.ok_or("missing \"track\"")?;
    let count = count.ok_or("missing \"count\"")?;
    let seconds = seconds.ok_or("missing \"seconds\"")?;
    if track == Track::ByFlow
        && !df
        && kind != ThresholdType::Limit
        && kind != ThresholdType::Threshold
        && kind != ThresholdType::Both
    {
        return Err("by_flow is not valid here".to_string());
    }
    if count == 0 && kind != ThresholdType::DetectionFilter {
        return Err("count must be at least 1".to_string());
    }
    Ok(Threshold {
        kind,
        track,
        count,
        seconds,
    })
}

/// tag value.
pub fn parse_tag(v: &str) -> VResult<Tag> {
    let parts = split_commas(v);
    let host = match parts.first().copied() {
        Some("session") => false,
        Some("host") => true,
        _ => return Err(format!("expected \"session\" or \"host\", got \"{v}\"")),
    };
    let mut t = Tag {
        host,
        count: None,
        direction: None,
    };
    if parts.len() == 2 || parts.len() > 4 {
        return Err(format!(
            "expected \"session|host[, count, unit[, src|dst]]\", got \"{v}\""
        ));
    }
    if parts.len() >= 3 {
        let n = parse_unsigned(parts[1], u64::from(u32::MAX))? as u32;
        let unit = parts[2];
        if !matches!(unit, "packets" | "seconds" | "bytes") {
            return Err(format!("invalid unit \"{unit}\""));
        }
        t.count = Some((n, unit.to_string()));
    }
    if let Some(d) = parts.get(3) {
        if !host || !matches!(*d, "src" | "dst") {
            return Err(format!("invalid direction \"{d}\""));
        }
        t.direction = Some(d.to_string());
    }
    Ok(t)
}

/// stream_size value.
pub fn parse_stream_size(v: &str) -> VResult<StreamSize> {
    let parts = split_commas(v);
    if parts.len() != 3 {
        return Err(format!("expected \"side, operator, value\", got \"{v}\""));
    }
    let side = parts[0];
    if !matches!(side, "server" | "client" | "both" | "either") {
        return Err(format!("invalid side \"{side}\""));
    }
    let n = parse_unsigned(parts[2], u64::from(u32::MAX))?;
    let cmp = match parts[1] {
        "=" | "==" => UintMatch::Eq(n),
        "!=" => UintMatch::Ne(n),
        "<" => UintMatch::Lt(n),
        "<=" => UintMatch::Le(n),
        ">" => UintMatch::Gt(n),
        ">=" => UintMatch::Ge(n),
        o => return Err(format!("invalid operator \"{o}\"")),
    };
    Ok(StreamSize {
        side: side.to_string(),
        cmp,
    })
}

/// flags / tcp.flags value.
pub fn parse_tcp_flags(v: &str) -> VResult<TcpFlags> {
    let (f, m) = match v.split_once(',') {
        Some((f, m)) => (f.trim(), Some(m.trim())),
        None => (v.trim(), None),
    };
    let bit = |c: char| -> Option<u8> {
        Some(match c.to_ascii_uppercase() {
            'F' => 0x01,
            'S' => 0x02,
            'R' => 0x04,
            'P' => 0x08,
            'A' => 0x10,
            'U' => 0x20,
            'E' | '2' => 0x40,
            'C' | '1' => 0x80,
            _ => return None,
        })
    };
    let mut flags = 0u8;
    let mut modifier = None;
    let mut none = false;
    for c in f.chars() {
        match c {
            '+' | '*' | '!' => {
                if modifier.replace(c).is_some() {
                    return Err(format!("more than one modifier in \"{f}\""));
                }
            }
            '0' => none = true,
            c if c.is_whitespace() => {}
            c => flags |= bit(c).ok_or_else(|| format!("invalid flag '{c}'"))?,
        }
    }
    if none && flags != 0 {
        return Err("'0' (no flags) combined with flags".to_string());
    }
    if !none && flags == 0 {
        return Err(format!("no flags in \"{v}\""));
    }
    let mut mask = 0u8;
    if let Some(m) = m {
        for c in m.chars() {
            mask |= bit(c).ok_or_else(|| format!("invalid mask flag '{c}'"))?;
        }
    }
    Ok(TcpFlags {
        flags,
        mask,
        modifier,
    })
}

/// fragbits value.
pub fn parse_fragbits(v: &str) -> VResult<FragBits> {
    let mut bits = 0u8;
    let mut modifier = None;
    for c in v.trim().chars() {
        match c {
            'M' | 'm' => bits |= 1,
            'D' | 'd' => bits |= 2,
            'R' | 'r' => bits |= 4,
            '+' | '*' | '!' => {
                if modifier.replace(c).is_some() {
                    return Err("more than one modifier".to_string());
                }
            }
            c => return Err(format!("invalid fragbit '{c}'")),
        }
    }
    if bits == 0 {
        return Err("no fragment bits given".to_string());
    }
    Ok(FragBits { bits, modifier })
}

/// ipopts value.
pub fn parse_ipopts(v: &str) -> VResult<String> {
    let t = v.trim();
    const OPTS: &[&str] = &[
        "rr", "eol", "nop", "ts", "sec", "esec", "lsrr", "lsrre", "ssrr", "satid", "any",
    ];
    if OPTS.contains(&t) {
        Ok(t.to_string())
    } else {
        Err(format!("unknown IP option \"{t}\""))
    }
}

/// ip_proto value.
pub fn parse_ip_proto(v: &str) -> VResult<(Option<char>, u8)> {
    let t = v.trim();
    let (modifier, rest) = match t.chars().next() {
        Some(c @ ('!' | '<' | '>')) => (Some(c), t.get(1..).unwrap_or("").trim()),
        _ => (None, t),
    };
    if rest.bytes().all(|c| c.is_ascii_digit()) && !rest.is_empty() {
        return Ok((modifier, parse_unsigned(rest, 255)? as u8));
    }
    const NAMES: &[(&str, u8)] = &[
        ("ip", 0),
        ("hopopt", 0),
        ("icmp", 1),
        ("igmp", 2),
        ("ggp", 3),
        ("ipencap", 4),
        ("st", 5),
        ("tcp", 6),
        ("egp", 8),
        ("igp", 9),
        ("pup", 12),
        ("udp", 17),
        ("hmp", 20),
        ("xns-idp", 22),
        ("rdp", 27),
        ("iso-tp4", 29),
        ("dccp", 33),
        ("xtp", 36),
        ("ddp", 37),
        ("idpr-cmtp", 38),
        ("ipv6", 41),
        ("ipv6-route", 43),
        ("ipv6-frag", 44),
        ("idrp", 45),
        ("rsvp", 46),
        ("gre", 47),
        ("esp", 50),
        ("ah", 51),
        ("skip", 57),
        ("ipv6-icmp", 58),
        ("ipv6-nonxt", 59),
        ("ipv6-opts", 60),
        ("rspf", 73),
        ("vmtp", 81),
        ("eigrp", 88),
        ("ospf", 89),
        ("ax.25", 93),
        ("ipip", 94),
        ("etherip", 97),
        ("encap", 98),
        ("pim", 103),
        ("ipcomp", 108),
        ("vrrp", 112),
        ("l2tp", 115),
        ("isis", 124),
        ("sctp", 132),
        ("fc", 133),
        ("mobility-header", 135),
        ("udplite", 136),
        ("mpls-in-ip", 137),
        ("manet", 138),
        ("hip", 139),
        ("shim6", 140),
        ("wesp", 141),
        ("rohc", 142),
    ];
    let l = rest.to_ascii_lowercase();
    NAMES
        .iter()
        .find(|(n, _)| *n == l)
        .map(|(_, p)| (modifier, *p))
        .ok_or_else(|| format!("unknown protocol \"{rest}\""))
}

/// app-layer-protocol value (negation handled by the caller).
pub fn parse_app_layer_protocol(v: &str) -> VResult<(String, Option<String>)> {
    let (p, mode) = match v.split_once(',') {
        Some((p, m)) => (p.trim(), Some(m.trim().to_string())),
        None => (v.trim(), None),
    };
    let name = match p {
        "failed" | "unknown" => p.to_string(),
        _ => crate::keywords::app_protocol(p)
            .ok_or_else(|| format!("unknown protocol \"{p}\""))?
            .to_string(),
    };
    Ok((name, mode))
}

/// metadata value: comma-separated `key value` pairs.
pub fn parse_metadata(v: &str) -> Vec<(String, String)> {
    v.split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|s| match s.split_once(char::is_whitespace) {
            Some((k, val)) => (k.to_string(), val.trim().to_string()),
            None => (s.to_string(), String::new()),
        })
        .collect()
}

/// reference value `type,id`.
pub fn parse_reference(v: &str) -> VResult<Reference> {
    let (k, val) = v
        .split_once(',')
        .ok_or_else(|| format!("expected \"type,id\", got \"{v}\""))?;
    let (k, val) = (k.trim(), val.trim());
    if k.is_empty() || val.is_empty() {
        return Err(format!("expected \"type,id\", got \"{v}\""));
    }
    Ok(Reference {
        kind: k.to_ascii_lowercase(),
        value: val.to_string(),
    })
}

/// xor transform key (hex string, quotes removed).
pub fn parse_xor_key(v: &str) -> VResult<Vec<u8>> {
    let t = v.trim();
    if t.is_empty() || !t.len().is_multiple_of(2) || t.len() > 510 {
        return Err(format!(
            "key must be an even number of hex digits (2-510), got \"{t}\""
        ));
    }
    let b = t.as_bytes();
    let mut out = Vec::with_capacity(b.len() / 2);
    for pair in b.chunks(2) {
        let hex = |c: u8| (c as char).to_digit(16);
        match (
            pair.first().copied().and_then(hex),
            pair.get(1).copied().and_then(hex),
        ) {
            (Some(h), Some(l)) => out.push((h << 4 | l) as u8),
            _ => return Err(format!("invalid hex in key \"{t}\"")),
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn content_decoding() {
        assert_eq!(decode_content("a|42 43|d").unwrap(), b"aBCd");
        assert_eq!(decode_content("|4 1|").unwrap(), b"A");
        assert_eq!(decode_content(r#"a\:b\;c\"d\\e"#).unwrap(), b"a:b;c\"d\\e");
        assert_eq!(
            decode_content(r"ab\xcd").unwrap_err(),
            "invalid escape '\\x' (only \\; \\\" \\\\ \\: are allowed; write other bytes as |hex|)"
        );
        assert_eq!(
            decode_content("|414|").unwrap_err(),
            "incomplete hex byte in \"|414|\""
        );
        assert_eq!(
            decode_content("|4g|").unwrap_err(),
            "invalid hex character 'g' in \"|4g|\""
        );
        assert_eq!(
            decode_content("|41").unwrap_err(),
            "unterminated hex block (odd number of '|') in \"|41\""
        );
        assert!(decode_content("").is_err());
        assert!(decode_content("||").is_err());
    }

    #[test]
    fn uint_match() {
        assert_eq!(parse_uint_match("5", 255), Ok(UintMatch::Eq(5)));
        assert_eq!(parse_uint_match(">= 5", 255), Ok(UintMatch::Ge(5)));
        assert_eq!(parse_uint_match("<5", 255), Ok(UintMatch::Lt(5)));
        assert_eq!(parse_uint_match("!5", 255), Ok(UintMatch::Ne(5)));
        assert_eq!(
            parse_uint_match("300<>400", 65535),
            Ok(UintMatch::Range(300, 400))
        );
        assert_eq!(parse_uint_match("3-9", 65535), Ok(UintMatch::Range(3, 9)));
        assert!(parse_uint_match(">300", 255).is_err());
        assert!(parse_uint_match("10<>5", 255).is_err());
        assert!(parse_uint_match("<0", 255).is_err());
        assert!(parse_uint_match("99999999999999999999999", u64::MAX).is_err());
        assert!(parse_uint_match("", 255).is_err());
    }

    #[test]
    fn byte_keywords() {
        let t = parse_byte_test("4,>,1000,0,relative,little", PAYLOAD).unwrap();
        assert_eq!(t.nbytes, 4);
        assert_eq!(t.op, ByteTestOp::Gt);
        assert_eq!(t.value, NumOrVar::Num(1000));
        assert!(t.relative);
        assert_eq!(t.endian, Endian::Little);
        let t = parse_byte_test("2,!&,0x80,-2,relative,string,hex", PAYLOAD).unwrap();
        assert!(t.negated);
        assert_eq!(t.value, NumOrVar::Num(0x80));
        assert_eq!(t.offset, NumOrVar::Num(-2));
        assert_eq!(t.string, Some(NumBase::Hex));
        assert!(
            parse_byte_test("9,>,1000,0", PAYLOAD)
                .unwrap_err()
                .contains("more than 8 bytes")
        );
        assert!(parse_byte_test("11,>,1000,0,string,dec", PAYLOAD).is_ok());
        assert_eq!(
            parse_byte_jump("0,0,relative,post_offset -13", PAYLOAD)
                .unwrap()
                .nbytes,
            0
        );
        let j = parse_byte_jump(
            "4,0,relative,multiplier 2,little,align,post_offset -4",
            PAYLOAD,
        )
        .unwrap();
        assert_eq!(j.multiplier, Some(2));
        assert_eq!(j.post_offset, Some(-4));
        assert!(j.align && j.relative);
        let e = parse_byte_extract("2,0,len,relative,little", PAYLOAD).unwrap();
        assert_eq!(e.name, "len");
        let m = parse_byte_math(
            "bytes 2, offset 0, oper *, rvalue 4, result x, relative",
            PAYLOAD,
        )
        .unwrap();
        assert_eq!(m.op, ByteMathOp::Mul);
        assert_eq!(m.rvalue, NumOrVar::Num(4));
        assert_eq!(
            parse_byte_math("bytes 2, offset 0, oper +, rvalue 4", PAYLOAD).unwrap_err(),
            "missing \"result\""
        );
    }

    #[test]
    fn flow_family() {
        assert_eq!(
            parse_flow("established,to_server").unwrap(),
            vec![FlowOpt::Established, FlowOpt::ToServer]
        );
        assert!(parse_flow("to_server,from_server").is_err());
        assert!(parse_flow("foo").is_err());
        let f = parse_flowbits("isset,a|b").unwrap();
        assert_eq!(f.combine, BitsCombine::Or);
        assert_eq!(f.names, vec!["a", "b"]);
        assert_eq!(
            parse_flowbits("set").unwrap_err(),
            "action \"set\" needs a name"
        );
        assert_eq!(
            parse_flowbits("foo,bar").unwrap_err(),
            "action \"foo\" is not supported"
        );
        assert_eq!(
            parse_flowbits("noalert").unwrap().action,
            BitsAction::NoAlert
        );
        let i = parse_flowint("cnt,+,1").unwrap();
        assert_eq!((i.op, i.value), (FlowintOp::Add, Some(NumOrVar::Num(1))));
        assert!(parse_flowint("cnt,foo,1").is_err());
        let x = parse_xbits("set,foo,track ip_src,expire 60").unwrap();
        assert_eq!((x.track, x.expire), (XbitsTrack::IpSrc, Some(60)));
        let t = parse_threshold("type limit, track by_src, count 1, seconds 60", false).unwrap();
        assert_eq!(t.kind, ThresholdType::Limit);
        assert_eq!(
            parse_threshold("type limit, track by_src, count 1", false).unwrap_err(),
            "missing \"seconds\""
        );
    }

    #[test]
    fn header_keywords() {
        let f = parse_tcp_flags("S,12").unwrap();
        assert_eq!((f.flags, f.mask, f.modifier), (0x02, 0xc0, None));
        let f = parse_tcp_flags("SA+").unwrap();
        assert_eq!((f.flags, f.modifier), (0x12, Some('+')));
        assert!(parse_tcp_flags("SX").is_err());
        assert_eq!(
            parse_fragbits("M+").unwrap(),
            FragBits {
                bits: 1,
                modifier: Some('+')
            }
        );
        assert_eq!(parse_ip_proto("!TCP").unwrap(), (Some('!'), 6));
        assert!(parse_ipopts("xx").is_err());
        assert_eq!(
            parse_stream_size("server,>,100").unwrap().cmp,
            UintMatch::Gt(100)
        );
    }
}
