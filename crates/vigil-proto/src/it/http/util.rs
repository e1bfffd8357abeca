//! Byte-level helpers with libhtp's semantics (as Suricata 7 uses it):
//! request-URI splitting and normalization, host/port parsing, the number
//! parsers for Content-Length, chunk lengths and status codes.
//!
//! Everything here works on untrusted bytes: indexing goes through `get`,
//! numbers saturate or fail instead of overflowing.

/// `isspace()` in the C locale (libhtp's `htp_is_space`).
pub(crate) fn is_space(c: u8) -> bool {
    matches!(c, b' ' | b'\t' | b'\n' | 0x0b | 0x0c | b'\r')
}

/// Linear white space: SP or HT (`htp_is_lws`).
pub(crate) fn is_lws(c: u8) -> bool {
    c == b' ' || c == b'\t'
}

/// RFC 2616 token character (`htp_is_token`).
pub(crate) fn is_token(c: u8) -> bool {
    if !(32..=126).contains(&c) {
        return false;
    }
    !matches!(
        c,
        b'(' | b')'
            | b'<'
            | b'>'
            | b'@'
            | b','
            | b';'
            | b':'
            | b'\\'
            | b'"'
            | b'/'
            | b'['
            | b']'
            | b'?'
            | b'='
            | b'{'
            | b'}'
            | b' '
            | b'\t'
    )
}

/// Strips trailing CR and LF bytes (`htp_chomp`).
pub(crate) fn chomp(mut line: &[u8]) -> &[u8] {
    while let [rest @ .., b'\r' | b'\n'] = line {
        line = rest;
    }
    line
}

/// Trims leading and trailing `isspace` bytes.
pub(crate) fn trim(mut s: &[u8]) -> &[u8] {
    while let [first, rest @ ..] = s {
        if is_space(*first) {
            s = rest;
        } else {
            break;
        }
    }
    while let [rest @ .., last] = s {
        if is_space(*last) {
            s = rest;
        } else {
            break;
        }
    }
    s
}

/// ASCII case-insensitive equality.
pub(crate) fn eq_nocase(a: &[u8], b: &[u8]) -> bool {
    a.eq_ignore_ascii_case(b)
}

/// ASCII case-insensitive substring search.
pub(crate) fn find_nocase(hay: &[u8], needle: &[u8]) -> Option<usize> {
    if needle.is_empty() {
        return Some(0);
    }
    hay.windows(needle.len())
        .position(|w| w.eq_ignore_ascii_case(needle))
}

fn hex_val(c: u8) -> Option<u8> {
    match c {
        b'0'..=b'9' => Some(c - b'0'),
        b'a'..=b'f' => Some(c - b'a' + 10),
        b'A'..=b'F' => Some(c - b'A' + 10),
        _ => None,
    }
}

/// Parses digits in `base` from the start of `data`; returns the value and
/// the number of digits used, `None` when there is no digit, saturating
/// overflow as an error (libhtp's `bstr_util_mem_to_pint`).
fn parse_digits(data: &[u8], base: u32) -> Option<(i64, usize)> {
    let mut value: i64 = 0;
    let mut used = 0;
    for &c in data {
        let Some(d) = (c as char).to_digit(base) else {
            break;
        };
        value = value
            .checked_mul(i64::from(base))?
            .checked_add(i64::from(d))?;
        used += 1;
    }
    (used > 0).then_some((value, used))
}

/// A positive integer surrounded by optional whitespace; anything else fails
/// (`htp_parse_positive_integer_whitespace`).
pub(crate) fn parse_int_ws(data: &[u8], base: u32) -> Option<i64> {
    let start = data.iter().position(|&c| !is_lws(c))?;
    let rest = data.get(start..)?;
    let (value, used) = parse_digits(rest, base)?;
    let tail = rest.get(used..).unwrap_or(&[]);
    tail.iter().all(|&c| is_space(c)).then_some(value)
}

/// Content-Length as libhtp reads it: junk before the digits is skipped,
/// junk after them ignored. `None` when there is no number.
pub(crate) fn parse_content_length(value: &[u8]) -> Option<i64> {
    let start = value.iter().position(u8::is_ascii_digit)?;
    parse_digits(value.get(start..)?, 10).map(|(v, _)| v)
}

/// A chunk-size line: leading CR/LF/whitespace skipped, hex digits up to
/// the first other byte (extensions ignored). `Err(true)` when the line is
/// empty, `Err(false)` when it is not a number.
pub(crate) fn parse_chunk_len(line: &[u8]) -> Result<i64, bool> {
    let start = line
        .iter()
        .position(|&c| !matches!(c, b'\r' | b'\n' | b' ' | b'\t' | 0x0b | 0x0c));
    let Some(start) = start else {
        return Err(true);
    };
    let data = line.get(start..).unwrap_or(&[]);
    let digits = data.iter().take_while(|c| c.is_ascii_hexdigit()).count();
    match parse_int_ws(data.get(..digits).unwrap_or(&[]), 16) {
        Some(v) if v <= i64::from(i32::MAX) => Ok(v),
        _ => Err(false),
    }
}

/// Whether a chunk-size line carries an extension (`;` after the digits
/// and optional spaces), which libhtp reports.
pub(crate) fn chunk_extension(line: &[u8]) -> bool {
    let start = line
        .iter()
        .position(|&c| !matches!(c, b'\r' | b'\n' | b' ' | b'\t' | 0x0b | 0x0c))
        .unwrap_or(line.len());
    let rest = line.get(start..).unwrap_or(&[]);
    let digits = rest.iter().take_while(|c| c.is_ascii_hexdigit()).count();
    let after = rest.get(digits..).unwrap_or(&[]);
    let spaces = after.iter().take_while(|&&c| c == b' ').count();
    after.get(spaces) == Some(&b';')
}

/// A status code: a number 100..=999 with optional surrounding whitespace.
pub(crate) fn parse_status(status: &[u8]) -> Option<u16> {
    match parse_int_ws(status, 10) {
        Some(v) if (100..=999).contains(&v) => u16::try_from(v).ok(),
        _ => None,
    }
}

/// C `strtoul(s, NULL, 10)` truncated to `unsigned int`: how Suricata turns
/// the status text into the EVE `status` number.
pub(crate) fn strtoul_u32(s: &[u8]) -> u64 {
    let mut i = s.iter().position(|&c| !is_space(c)).unwrap_or(s.len());
    let mut negative = false;
    if let Some(&c) = s.get(i)
        && (c == b'+' || c == b'-')
    {
        negative = c == b'-';
        i += 1;
    }
    let mut value: u64 = 0;
    let mut overflow = false;
    for &c in s.get(i..).unwrap_or(&[]) {
        if !c.is_ascii_digit() {
            break;
        }
        match value
            .checked_mul(10)
            .and_then(|v| v.checked_add(u64::from(c - b'0')))
        {
            Some(v) => value = v,
            None => overflow = true,
        }
    }
    let value = if overflow {
        u64::MAX
    } else if negative {
        value.wrapping_neg()
    } else {
        value
    };
    value & 0xffff_ffff
}

/// Protocol number of an HTTP version string, as libhtp classifies it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Protocol {
    Invalid,
    V0_9,
    V1_0,
    V1_1,
}

/// `htp_parse_protocol`: exactly "HTTP/0.9", "HTTP/1.0" or "HTTP/1.1"
/// (case-sensitive); anything else is invalid.
pub(crate) fn parse_protocol(p: &[u8]) -> Protocol {
    match p {
        b"HTTP/0.9" => Protocol::V0_9,
        b"HTTP/1.0" => Protocol::V1_0,
        b"HTTP/1.1" => Protocol::V1_1,
        _ => Protocol::Invalid,
    }
}

/// Methods libhtp knows (`htp_convert_method_to_number`); others are
/// "unknown" and change how some malformed input is read.
pub(crate) fn method_known(m: &[u8]) -> bool {
    const METHODS: &[&[u8]] = &[
        b"GET",
        b"PUT",
        b"POST",
        b"DELETE",
        b"CONNECT",
        b"OPTIONS",
        b"TRACE",
        b"PATCH",
        b"PROPFIND",
        b"PROPPATCH",
        b"MKCOL",
        b"COPY",
        b"MOVE",
        b"LOCK",
        b"UNLOCK",
        b"VERSION-CONTROL",
        b"CHECKOUT",
        b"UNCHECKOUT",
        b"CHECKIN",
        b"UPDATE",
        b"LABEL",
        b"REPORT",
        b"MKWORKSPACE",
        b"MKACTIVITY",
        b"BASELINE-CONTROL",
        b"MERGE",
        b"INVALID",
        b"HEAD",
    ];
    METHODS.contains(&m)
}

/// The components of a request URI (`htp_uri_t`), raw.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct Uri {
    pub scheme: Option<Vec<u8>>,
    pub username: Option<Vec<u8>>,
    pub password: Option<Vec<u8>>,
    pub hostname: Option<Vec<u8>>,
    pub port: Option<Vec<u8>>,
    pub path: Option<Vec<u8>>,
    pub query: Option<Vec<u8>>,
    pub fragment: Option<Vec<u8>>,
}

/// Splits a request URI as `htp_parse_uri` does: an optional scheme (when
/// the URI does not start with `/`), an authority only after a scheme, then
/// path, `?query` and `#fragment`.
pub(crate) fn parse_uri(data: &[u8]) -> Uri {
    let mut uri = Uri::default();
    if data.is_empty() {
        return uri;
    }
    let len = data.len();
    let mut pos = 0;
    if data.first() != Some(&b'/') {
        match memchr::memchr(b':', data) {
            // No colon: Apache treats the whole thing as a path.
            None => pos = 0,
            Some(colon) => {
                uri.scheme = Some(data.get(..colon).unwrap_or(&[]).to_vec());
                pos = colon + 1;
            }
        }
    }
    if uri.scheme.is_some()
        && data.get(pos) == Some(&b'/')
        && data.get(pos + 1) == Some(&b'/')
        && data.get(pos + 2).is_some_and(|&c| c != b'/')
    {
        let start = pos + 2;
        let mut end = start;
        while let Some(&c) = data.get(end) {
            if c == b'?' || c == b'/' || c == b'#' {
                break;
            }
            end += 1;
        }
        let authority = data.get(start..end).unwrap_or(&[]);
        let hostport = match memchr::memchr(b'@', authority) {
            Some(at) => {
                let cred = authority.get(..at).unwrap_or(&[]);
                match memchr::memchr(b':', cred) {
                    Some(c) => {
                        uri.username = Some(cred.get(..c).unwrap_or(&[]).to_vec());
                        uri.password = Some(cred.get(c + 1..).unwrap_or(&[]).to_vec());
                    }
                    None => uri.username = Some(cred.to_vec()),
                }
                authority.get(at + 1..).unwrap_or(&[])
            }
            None => authority,
        };
        match memchr::memchr(b':', hostport) {
            Some(c) => {
                uri.port = Some(hostport.get(c + 1..).unwrap_or(&[]).to_vec());
                uri.hostname = Some(hostport.get(..c).unwrap_or(&[]).to_vec());
            }
            None => uri.hostname = Some(hostport.to_vec()),
        }
        pos = end;
    }
    let start = pos;
    while let Some(&c) = data.get(pos) {
        if c == b'?' || c == b'#' {
            break;
        }
        pos += 1;
    }
    uri.path = Some(data.get(start..pos).unwrap_or(&[]).to_vec());
    if pos >= len {
        return uri;
    }
    if data.get(pos) == Some(&b'?') {
        let start = pos + 1;
        pos = start;
        while let Some(&c) = data.get(pos) {
            if c == b'#' {
                break;
            }
            pos += 1;
        }
        uri.query = Some(data.get(start..pos).unwrap_or(&[]).to_vec());
        if pos >= len {
            return uri;
        }
    }
    if data.get(pos) == Some(&b'#') {
        uri.fragment = Some(data.get(pos + 1..).unwrap_or(&[]).to_vec());
    }
    uri
}

/// Result of parsing `host[:port]`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct HostPort {
    pub hostname: Option<Vec<u8>>,
    pub port: Option<u16>,
    pub invalid: bool,
}

fn parse_port(data: &[u8], hp: &mut HostPort) {
    match parse_int_ws(data, 10) {
        Some(p) if (1..65536).contains(&p) => hp.port = u16::try_from(p).ok(),
        _ => hp.invalid = true,
    }
}

/// `htp_parse_hostport`: a Host header value or a CONNECT authority.
pub(crate) fn parse_hostport(value: &[u8]) -> HostPort {
    let mut hp = HostPort::default();
    let data = trim(value);
    if data.is_empty() {
        hp.invalid = true;
        return hp;
    }
    if data.first() == Some(&b'[') {
        let Some(close) = memchr::memchr(b']', data) else {
            hp.invalid = true;
            return hp;
        };
        hp.hostname = Some(data.get(..=close).unwrap_or(&[]).to_vec());
        match data.get(close + 1) {
            None => {}
            Some(b':') => parse_port(data.get(close + 2..).unwrap_or(&[]), &mut hp),
            Some(_) => hp.invalid = true,
        }
        return hp;
    }
    match memchr::memchr(b':', data) {
        None => hp.hostname = Some(data.to_ascii_lowercase()),
        Some(colon) => {
            let host = data.get(..colon).unwrap_or(&[]);
            let host_end = host
                .iter()
                .rposition(|&c| !is_space(c))
                .map_or(0, |p| p + 1);
            // libhtp lowercases only a Host without a port.
            hp.hostname = Some(host.get(..host_end).unwrap_or(&[]).to_vec());
            let port = data.get(colon + 1..).unwrap_or(&[]);
            if port.is_empty() {
                hp.invalid = true;
            } else {
                parse_port(port, &mut hp);
            }
        }
    }
    hp
}

/// `htp_validate_hostname`: labels of letters, digits, `-` and `_`
/// separated by single dots, or a bracketed IPv6 address.
pub(crate) fn valid_hostname(h: &[u8]) -> bool {
    if h.is_empty() || h.len() > 255 {
        return false;
    }
    if h.first() == Some(&b'[') {
        let inner = h.get(1..h.len() - 1).unwrap_or(&[]);
        if h.len() < 2 || inner.len() >= 46 {
            return false;
        }
        return std::str::from_utf8(inner)
            .ok()
            .and_then(|s| s.parse::<std::net::Ipv6Addr>().ok())
            .is_some();
    }
    let mut labels = h.split(|&c| c == b'.').peekable();
    while let Some(label) = labels.next() {
        if label.is_empty() {
            // A trailing single dot is fine only when nothing follows it
            // and it is not the whole name.
            return false;
        }
        if label.len() > 63 {
            return false;
        }
        if !label
            .iter()
            .all(|&c| c.is_ascii_alphanumeric() || c == b'-' || c == b'_')
        {
            return false;
        }
        if labels.peek().is_some_and(|l| l.is_empty()) {
            // "a." (one trailing dot) is accepted, "a..b" is not.
            labels.next();
            if labels.peek().is_none() {
                return true;
            }
            return false;
        }
    }
    true
}

/// URL decoding as libhtp does for the URI path decoder context with
/// Suricata's IDS personality: `%HH` and `%uHHHH` (best-fit mapped to one
/// byte), invalid encodings keep the `%`. Used for the hostname and the
/// fragment. Returns the decoded bytes.
pub(crate) fn urldecode(data: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(data.len());
    let mut i = 0;
    while let Some(&c) = data.get(i) {
        if c == b'%' {
            if let Some(&u) = data.get(i + 1)
                && (u == b'u' || u == b'U')
                && data.len() > i + 2
            {
                match decode_u(data.get(i + 2..i + 6)) {
                    Some(b) => {
                        out.push(b);
                        i += 6;
                    }
                    None => {
                        out.push(b'%');
                        i += 1;
                    }
                }
                continue;
            }
            match (
                data.get(i + 1).copied().and_then(hex_val),
                data.get(i + 2).copied().and_then(hex_val),
            ) {
                (Some(h), Some(l)) => {
                    out.push(h << 4 | l);
                    i += 3;
                }
                _ => {
                    out.push(b'%');
                    i += 1;
                }
            }
        } else {
            out.push(c);
            i += 1;
        }
    }
    out
}

/// `%uHHHH`: overlong forms (`%u00HH`) give the low byte; other code points
/// go through the best-fit map, which libhtp ships for Windows-1252-like
/// targets; without a mapping the replacement byte `?` is used.
fn decode_u(digits: Option<&[u8]>) -> Option<u8> {
    let d = digits?;
    if d.len() != 4 {
        return None;
    }
    let mut v = [0u8; 4];
    for (slot, &c) in v.iter_mut().zip(d) {
        *slot = hex_val(c)?;
    }
    let hi = v[0] << 4 | v[1];
    let lo = v[2] << 4 | v[3];
    if hi == 0 {
        return Some(lo);
    }
    // Full-width ASCII forms (U+FF01..U+FF5E) map to their ASCII letter.
    if hi == 0xff && (0x01..=0x5e).contains(&lo) {
        return Some(lo + 0x20);
    }
    Some(b'?')
}

/// The query decoding Suricata adds to the normalized URI (libhtp's
/// `urlencoded` decoder context with Suricata's settings): `%HH` only, no
/// `%uHHHH`, `+` kept (`query-plusspace-decode` is off by default), an
/// invalid encoding keeps its `%`.
pub(crate) fn urldecode_query(data: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(data.len());
    let mut i = 0;
    while let Some(&c) = data.get(i) {
        let hex = (
            data.get(i + 1).copied().and_then(hex_val),
            data.get(i + 2).copied().and_then(hex_val),
        );
        match (c, hex) {
            (b'%', (Some(h), Some(l))) => {
                out.push(h << 4 | l);
                i += 3;
            }
            _ => {
                out.push(c);
                i += 1;
            }
        }
    }
    out
}

/// The URI path normalization libhtp applies with Suricata's settings:
/// URL decoding (`%2f` decoded too), `\` to `/`, runs of `/` compressed,
/// then RFC 3986 dot-segment removal. Lowercasing is off (Suricata turns it
/// off for the IDS personality).
pub(crate) fn normalize_path(path: &[u8]) -> Vec<u8> {
    let decoded = urldecode(path);
    let mut out = Vec::with_capacity(decoded.len());
    let mut prev_sep = false;
    for &c in &decoded {
        let c = if c == b'\\' { b'/' } else { c };
        if c == b'/' {
            if !prev_sep {
                out.push(c);
            }
            prev_sep = true;
        } else {
            out.push(c);
            prev_sep = false;
        }
    }
    remove_dot_segments(&out)
}

/// RFC 3986 section 5.2.4, as `htp_normalize_uri_path_inplace` implements it.
pub(crate) fn remove_dot_segments(data: &[u8]) -> Vec<u8> {
    let len = data.len();
    let mut out: Vec<u8> = Vec::with_capacity(len);
    let mut rpos = 0;
    let mut pending: Option<u8> = None;
    let at = |i: usize| data.get(i).copied();
    while rpos < len && out.len() < len {
        let c = match pending.take() {
            Some(c) => c,
            None => {
                let c = at(rpos).unwrap_or(0);
                rpos += 1;
                c
            }
        };
        if c == b'.' {
            if at(rpos) == Some(b'.') && at(rpos + 1) == Some(b'/') {
                rpos += 2;
                continue;
            } else if at(rpos) == Some(b'/') {
                rpos += 1;
                continue;
            }
        }
        if c == b'/' {
            if at(rpos) == Some(b'.') && at(rpos + 1) == Some(b'/') {
                pending = Some(b'/');
                rpos += 2;
                continue;
            } else if rpos + 1 == len && at(rpos) == Some(b'.') {
                pending = Some(b'/');
                rpos += 1;
                continue;
            }
            if at(rpos) == Some(b'.') && at(rpos + 1) == Some(b'.') && at(rpos + 2) == Some(b'/') {
                pending = Some(b'/');
                rpos += 3;
                pop_segment(&mut out);
                continue;
            } else if rpos + 2 == len && at(rpos) == Some(b'.') && at(rpos + 1) == Some(b'.') {
                pending = Some(b'/');
                rpos += 2;
                pop_segment(&mut out);
                continue;
            }
        }
        if c == b'.' && rpos == len {
            rpos += 1;
            continue;
        }
        if c == b'.' && rpos + 1 == len && at(rpos) == Some(b'.') {
            rpos += 2;
            continue;
        }
        out.push(c);
        while let Some(n) = at(rpos) {
            if n == b'/' || out.len() >= len {
                break;
            }
            out.push(n);
            rpos += 1;
        }
    }
    // A separator still pending when the input runs out is dropped, as
    // libhtp does ("/a/." gives "/a").
    let _ = pending;
    out
}

fn pop_segment(out: &mut Vec<u8>) {
    while let Some(&last) = out.last() {
        if last == b'/' {
            break;
        }
        out.pop();
    }
    out.pop();
}

/// The normalized URI Suricata matches `http.uri` against: normalized path,
/// then `?query` and `#fragment` when present.
pub(crate) fn normalized_uri(uri: &Uri) -> Vec<u8> {
    let mut out = Vec::new();
    if let Some(p) = &uri.path {
        out.extend_from_slice(&normalize_path(p));
    }
    if let Some(q) = &uri.query {
        out.push(b'?');
        out.extend_from_slice(&urldecode_query(q));
    }
    if let Some(f) = &uri.fragment {
        out.push(b'#');
        out.extend_from_slice(&urldecode(f));
    }
    out
}

/// The hostname of a parsed URI after normalization: URL-decoded,
/// lowercased, trailing dots removed.
pub(crate) fn normalize_hostname(h: &[u8]) -> Vec<u8> {
    let mut v = urldecode(h);
    v.make_ascii_lowercase();
    while v.last() == Some(&b'.') {
        v.pop();
    }
    v
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn content_length_forms() {
        assert_eq!(parse_content_length(b"123"), Some(123));
        assert_eq!(parse_content_length(b"  42 "), Some(42));
        assert_eq!(parse_content_length(b"x12y"), Some(12));
        assert_eq!(parse_content_length(b"abc"), None);
        assert_eq!(parse_content_length(b""), None);
        assert_eq!(parse_content_length(b"99999999999999999999999"), None);
    }

    #[test]
    fn chunk_lengths() {
        assert_eq!(parse_chunk_len(b"1a"), Ok(26));
        assert_eq!(parse_chunk_len(b"0"), Ok(0));
        assert_eq!(parse_chunk_len(b"10;ext=1"), Ok(16));
        assert_eq!(parse_chunk_len(b"  ff  "), Ok(255));
        assert_eq!(parse_chunk_len(b""), Err(true));
        assert_eq!(parse_chunk_len(b"\r\n"), Err(true));
        assert_eq!(parse_chunk_len(b"zz"), Err(false));
        assert_eq!(parse_chunk_len(b"ffffffffff"), Err(false));
    }

    #[test]
    fn status_and_strtoul() {
        assert_eq!(parse_status(b"200"), Some(200));
        assert_eq!(parse_status(b"99"), None);
        assert_eq!(parse_status(b"2x0"), None);
        assert_eq!(strtoul_u32(b"200"), 200);
        assert_eq!(strtoul_u32(b"2x0"), 2);
        assert_eq!(strtoul_u32(b"abc"), 0);
        assert_eq!(strtoul_u32(b"-1"), 4_294_967_295);
        assert_eq!(strtoul_u32(b"99999999999999999999999"), 4_294_967_295);
    }

    #[test]
    fn protocols() {
        assert_eq!(parse_protocol(b"HTTP/1.1"), Protocol::V1_1);
        assert_eq!(parse_protocol(b"http/1.0"), Protocol::Invalid);
        assert_eq!(parse_protocol(b"HTTP/2.0"), Protocol::Invalid);
        assert_eq!(parse_protocol(b"FOO"), Protocol::Invalid);
    }

    #[test]
    fn uri_split() {
        let u = parse_uri(b"http://user:pw@Example.com:8080/a/b?x=1#frag");
        assert_eq!(u.scheme.as_deref(), Some(&b"http"[..]));
        assert_eq!(u.username.as_deref(), Some(&b"user"[..]));
        assert_eq!(u.password.as_deref(), Some(&b"pw"[..]));
        assert_eq!(u.hostname.as_deref(), Some(&b"Example.com"[..]));
        assert_eq!(u.port.as_deref(), Some(&b"8080"[..]));
        assert_eq!(u.path.as_deref(), Some(&b"/a/b"[..]));
        assert_eq!(u.query.as_deref(), Some(&b"x=1"[..]));
        assert_eq!(u.fragment.as_deref(), Some(&b"frag"[..]));
        let u = parse_uri(b"/index.html");
        assert_eq!(u.path.as_deref(), Some(&b"/index.html"[..]));
        assert!(u.query.is_none());
        let u = parse_uri(b"noslash");
        assert_eq!(u.path.as_deref(), Some(&b"noslash"[..]));
    }

    #[test]
    fn path_normalization() {
        assert_eq!(normalize_path(b"/a/./b/../c"), b"/a/c");
        assert_eq!(normalize_path(b"/a//b\\c"), b"/a/b/c");
        assert_eq!(normalize_path(b"/%61%2fb"), b"/a/b");
        assert_eq!(normalize_path(b"/x%zz"), b"/x%zz");
        assert_eq!(normalize_path(b"/%u0041"), b"/A");
        assert_eq!(normalize_path(b"/../../etc/passwd"), b"/etc/passwd");
        assert_eq!(normalize_path(b""), b"");
    }

    #[test]
    fn hostports() {
        let hp = parse_hostport(b"Example.COM:8080");
        assert_eq!(hp.hostname.as_deref(), Some(&b"Example.COM"[..]));
        assert_eq!(hp.port, Some(8080));
        let hp = parse_hostport(b"Example.COM");
        assert_eq!(hp.hostname.as_deref(), Some(&b"example.com"[..]));
        assert!(!hp.invalid);
        let hp = parse_hostport(b"host:abc");
        assert!(hp.invalid);
        assert_eq!(hp.port, None);
        let hp = parse_hostport(b"[::1]:80");
        assert_eq!(hp.hostname.as_deref(), Some(&b"[::1]"[..]));
        assert_eq!(hp.port, Some(80));
        assert!(parse_hostport(b"  ").invalid);
        assert!(valid_hostname(b"www.example.com"));
        assert!(!valid_hostname(b"a..b"));
        assert!(!valid_hostname(b"bad host"));
        assert!(valid_hostname(b"[::1]"));
    }
}
