//! How Suricata 7 prints DNS values in EVE: record type and rcode names,
//! addresses, and byte strings that may not be UTF-8.

use std::fmt::Write as _;

use vigil_eve::JsonWriter;

/// Suricata's name of a record type, or `None` for the ones it prints as a
/// number. The odd spellings (`ND`, `NSAPPT`, `CDSNKEY`) are Suricata's.
pub(crate) fn rrtype_name(t: u16) -> Option<&'static str> {
    Some(match t {
        1 => "A",
        2 => "NS",
        3 => "ND",
        4 => "MF",
        5 => "CNAME",
        6 => "SOA",
        7 => "MB",
        8 => "MG",
        9 => "MR",
        10 => "NULL",
        11 => "WKS",
        12 => "PTR",
        13 => "HINFO",
        14 => "MINFO",
        15 => "MX",
        16 => "TXT",
        17 => "RP",
        18 => "AFSDB",
        19 => "X25",
        20 => "ISDN",
        21 => "RT",
        22 => "NSAP",
        23 => "NSAPPT",
        24 => "SIG",
        25 => "KEY",
        26 => "PX",
        27 => "GPOS",
        28 => "AAAA",
        29 => "LOC",
        30 => "NXT",
        33 => "SRV",
        34 => "ATMA",
        35 => "NAPTR",
        36 => "KX",
        37 => "CERT",
        38 => "A6",
        39 => "DNAME",
        41 => "OPT",
        42 => "APL",
        43 => "DS",
        44 => "SSHFP",
        45 => "IPSECKEY",
        46 => "RRSIG",
        47 => "NSEC",
        48 => "DNSKEY",
        49 => "DHCID",
        50 => "NSEC3",
        51 => "NSEC3PARAM",
        52 => "TLSA",
        55 => "HIP",
        59 => "CDS",
        60 => "CDSNKEY",
        65 => "HTTPS",
        99 => "SPF",
        249 => "TKEY",
        250 => "TSIG",
        254 => "MAILA",
        255 => "ANY",
        256 => "URI",
        _ => return None,
    })
}

/// Writes `"key":"<rrtype>"`.
pub(crate) fn write_rrtype(w: &mut JsonWriter<'_>, key: &str, t: u16) {
    match rrtype_name(t) {
        Some(n) => w.string(key, n),
        None => w.string(key, &t.to_string()),
    }
}

/// Appends the rrtype as Suricata prints it (for grouped keys).
pub(crate) fn rrtype_string(t: u16) -> std::borrow::Cow<'static, str> {
    match rrtype_name(t) {
        Some(n) => n.into(),
        None => t.to_string().into(),
    }
}

/// Suricata's name of a response code (4-bit header RCODE).
pub(crate) fn rcode_name(rcode: u8) -> Option<&'static str> {
    Some(match rcode {
        0 => "NOERROR",
        1 => "FORMERR",
        2 => "SERVFAIL",
        3 => "NXDOMAIN",
        4 => "NOTIMP",
        5 => "REFUSED",
        6 => "YXDOMAIN",
        7 => "YXRRSET",
        8 => "NXRRSET",
        9 => "NOTAUTH",
        10 => "NOTZONE",
        _ => return None,
    })
}

/// Appends an address as Suricata's DNS and DHCP loggers print one: dotted
/// quad for 4 bytes, eight 4-digit hex groups for 16, nothing otherwise.
pub(crate) fn push_addr(out: &mut String, b: &[u8]) {
    match b.len() {
        4 => {
            for (i, x) in b.iter().enumerate() {
                if i > 0 {
                    out.push('.');
                }
                let _ = write!(out, "{x}");
            }
        }
        16 => {
            for (i, pair) in b.chunks(2).enumerate() {
                if i > 0 {
                    out.push(':');
                }
                for x in pair {
                    let _ = write!(out, "{x:02x}");
                }
            }
        }
        _ => {}
    }
}

/// Writes `"key":"<addr>"`.
pub(crate) fn write_addr(w: &mut JsonWriter<'_>, key: &str, b: &[u8]) {
    let mut s = String::with_capacity(40);
    push_addr(&mut s, b);
    w.string(key, &s);
}

/// Appends an address as an array element.
pub(crate) fn append_addr(w: &mut JsonWriter<'_>, b: &[u8]) {
    let mut s = String::with_capacity(40);
    push_addr(&mut s, b);
    w.array_string(&s);
}

/// Suricata's text for bytes that are not UTF-8: ASCII kept, each byte
/// >= 0x80 written as the four characters `\xHH`.
fn string_from_bytes(b: &[u8]) -> String {
    let mut s = String::with_capacity(b.len() + 8);
    for &c in b {
        if c < 0x80 {
            s.push(char::from(c));
        } else {
            let _ = write!(s, "\\x{c:02x}");
        }
    }
    s
}

/// Writes `"key":"..."` the way Suricata's `set_string_from_bytes` does:
/// valid UTF-8 as is, otherwise with `\xHH` for the high bytes (then JSON
/// escaped, so the backslash shows doubled in the file).
pub(crate) fn write_bytes(w: &mut JsonWriter<'_>, key: &str, b: &[u8]) {
    match std::str::from_utf8(b) {
        Ok(s) => w.string(key, s),
        Err(_) => w.string(key, &string_from_bytes(b)),
    }
}

/// Appends bytes as an array element, as [`write_bytes`].
pub(crate) fn append_bytes(w: &mut JsonWriter<'_>, b: &[u8]) {
    match std::str::from_utf8(b) {
        Ok(s) => w.array_string(s),
        Err(_) => w.array_string(&string_from_bytes(b)),
    }
}

/// Writes bytes as colon-separated lowercase hex (`00:11:22`).
pub(crate) fn write_hex_colon(w: &mut JsonWriter<'_>, key: &str, b: &[u8]) {
    w.string_with(key, |out| {
        for (i, &x) in b.iter().enumerate() {
            if i > 0 {
                out.push(b':');
            }
            vigil_eve::format::push_hex_byte(out, x);
        }
    });
}
