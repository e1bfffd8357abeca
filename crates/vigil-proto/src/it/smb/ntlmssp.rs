//! Session setup security blobs: SPNEGO (RFC 4178) wrapping NTLMSSP
//! (MS-NLMP) or a Kerberos 5 AP-REQ (RFC 4120). From NTLMSSP AUTHENTICATE
//! messages the user, domain, workstation and OS version are kept; from a
//! Kerberos AP-REQ the ticket's realm and service names.

use crate::ot::cotp::Cursor;

/// Most service name components kept from a Kerberos ticket.
const MAX_SNAMES: usize = 8;
/// Bytes kept of one string (user, domain, host, realm, ...).
const MAX_STR: usize = 256;

/// The identity fields of an NTLMSSP AUTHENTICATE message.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct Ntlmssp {
    pub domain: Vec<u8>,
    pub user: Vec<u8>,
    pub host: Vec<u8>,
    /// major, minor, build, NTLM revision.
    pub version: Option<(u8, u8, u16, u8)>,
    /// The user/host fields overlap their predecessor (unusual order).
    pub warning: bool,
}

/// The ticket of a Kerberos AP-REQ.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct KrbTicket {
    pub realm: Vec<u8>,
    pub snames: Vec<Vec<u8>>,
}

/// What a session setup blob told.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct AuthInfo {
    pub ntlmssp: Option<Ntlmssp>,
    pub krb: Option<KrbTicket>,
}

/// One BER element: its tag octet and content.
struct Tlv<'a> {
    tag: u8,
    content: &'a [u8],
}

/// Reads one definite-length BER element (single-octet tags).
fn tlv(data: &[u8]) -> Option<(Tlv<'_>, &[u8])> {
    let mut c = Cursor::new(data);
    let tag = c.u8()?;
    if tag & 0x1f == 0x1f {
        return None;
    }
    let first = c.u8()?;
    let len = if first & 0x80 == 0 {
        usize::from(first)
    } else {
        let n = usize::from(first & 0x7f);
        if n == 0 || n > 4 {
            return None;
        }
        let mut l = 0usize;
        for _ in 0..n {
            l = (l << 8) | usize::from(c.u8()?);
        }
        l
    };
    let content = c.take(len)?;
    Some((Tlv { tag, content }, c.rest()))
}

/// Iterates the elements of a constructed content.
fn elements(mut data: &[u8]) -> impl Iterator<Item = Tlv<'_>> {
    std::iter::from_fn(move || {
        let (t, rest) = tlv(data)?;
        data = rest;
        Some(t)
    })
}

/// Dotted form of an OID's content octets.
fn oid_string(content: &[u8]) -> Option<String> {
    let (&first, rest) = content.split_first()?;
    let mut s = format!("{}.{}", first / 40, first % 40);
    let mut v: u64 = 0;
    for &b in rest {
        v = v.checked_mul(128)? | u64::from(b & 0x7f);
        if b & 0x80 == 0 {
            s.push('.');
            s.push_str(&v.to_string());
            v = 0;
        }
    }
    Some(s)
}

const OID_SPNEGO: &str = "1.3.6.1.5.5.2";
const OID_KRB5: &str = "1.2.840.113554.1.2.2";
const OID_NTLMSSP: &str = "1.3.6.1.4.1.311.2.2.10";

/// Parses a session setup security blob: SPNEGO when it is one, else a
/// bare NTLMSSP message anywhere in it. `None` when neither yields.
pub(crate) fn parse_secblob(blob: &[u8]) -> Option<AuthInfo> {
    if let Some(inner) = spnego_init(blob) {
        return Some(parse_spnego(inner));
    }
    parse_ntlmssp_blob(blob).map(|n| AuthInfo {
        ntlmssp: Some(n),
        krb: None,
    })
}

/// The NegTokenInit content of a GSS-API SPNEGO token, if this is one.
fn spnego_init(blob: &[u8]) -> Option<&[u8]> {
    let (outer, _) = tlv(blob)?;
    let (oid, next) = tlv(outer.content)?;
    if oid.tag != 0x06 || oid_string(oid.content)? != OID_SPNEGO {
        return None;
    }
    let (start, _) = tlv(next)?;
    Some(start.content)
}

fn parse_spnego(init: &[u8]) -> AuthInfo {
    let mut info = AuthInfo::default();
    let Some((seq, _)) = tlv(init).filter(|(t, _)| t.tag == 0x30) else {
        return info;
    };
    let (mut have_krb, mut have_ntlmssp) = (false, false);
    for item in elements(seq.content) {
        let Some((inner, _)) = tlv(item.content) else {
            continue;
        };
        match inner.tag {
            0x30 => {
                for mech in elements(inner.content).filter(|m| m.tag == 0x06) {
                    match oid_string(mech.content).as_deref() {
                        Some(OID_KRB5) => have_krb = true,
                        Some(OID_NTLMSSP) => have_ntlmssp = true,
                        _ => {}
                    }
                }
            }
            0x04 => {
                if have_krb && let Some(t) = parse_krb5_request(inner.content) {
                    info.krb = Some(t);
                }
                if have_ntlmssp && info.krb.is_none() {
                    info.ntlmssp = parse_ntlmssp_blob(inner.content);
                }
            }
            _ => {}
        }
    }
    info
}

fn capped(v: &[u8]) -> Vec<u8> {
    v.get(..MAX_STR.min(v.len())).unwrap_or(&[]).to_vec()
}

/// The ticket of a GSS-API Kerberos AP-REQ token.
fn parse_krb5_request(blob: &[u8]) -> Option<KrbTicket> {
    let (outer, _) = tlv(blob)?;
    let (oid, rest) = tlv(outer.content)?;
    if oid.tag != 0x06 {
        return None;
    }
    // Two-octet token id (01 00: AP-REQ), then the AP-REQ.
    let rest = rest.get(2..)?;
    let (apreq, _) = tlv(rest)?;
    if apreq.tag != 0x6e {
        return None;
    }
    let (seq, _) = tlv(apreq.content)?;
    let ticket = elements(seq.content).find(|e| e.tag == 0xa3)?;
    let (app, _) = tlv(ticket.content)?;
    let (tseq, _) = tlv(app.content)?;
    let mut t = KrbTicket::default();
    for e in elements(tseq.content) {
        match e.tag {
            0xa1 => t.realm = capped(tlv(e.content)?.0.content),
            0xa2 => {
                let (pn, _) = tlv(e.content)?;
                let names = elements(pn.content).find(|x| x.tag == 0xa1)?;
                let (list, _) = tlv(names.content)?;
                for s in elements(list.content).take(MAX_SNAMES) {
                    t.snames.push(capped(s.content));
                }
            }
            _ => {}
        }
    }
    Some(t)
}

/// Finds `NTLMSSP\0` in `blob` and parses an AUTHENTICATE message there.
pub(crate) fn parse_ntlmssp_blob(blob: &[u8]) -> Option<Ntlmssp> {
    let at = memchr::memmem::find(blob, b"NTLMSSP\0")?;
    let mut c = Cursor::new(blob.get(at + 8..)?);
    let msg_type = c.u32_le()?;
    if msg_type != 3 {
        return None;
    }
    let mut auth = parse_auth(c.rest())?;
    for v in [&mut auth.domain, &mut auth.user, &mut auth.host] {
        v.retain(|&b| b != 0);
    }
    Some(auth)
}

/// The AUTHENTICATE message after its signature and type (offsets in it
/// count from the signature, 12 bytes before `data`).
fn parse_auth(data: &[u8]) -> Option<Ntlmssp> {
    const ID_LEN: usize = 12;
    let record_len = data.len() + ID_LEN;
    let mut c = Cursor::new(data);
    let mut field = || -> Option<(u16, u32)> {
        let len = c.u16_le()?;
        let _max = c.u16_le()?;
        let off = c.u32_le()?;
        (usize::from(len) < record_len && (off as usize) < record_len).then_some((len, off))
    };
    let _lm = field()?;
    let _nt = field()?;
    let domain = field()?;
    let user = field()?;
    let host = field()?;
    let _key = field()?;
    let flags = c.take(4)?;
    // Suricata reads the flags MSB-first on the wire bytes: its "version"
    // bit is bit 1 of the last octet (NTLMSSP_NEGOTIATE_VERSION).
    let has_version = flags.get(3).is_some_and(|b| b & 0x02 != 0);
    let version = if has_version {
        let major = c.u8()?;
        let minor = c.u8()?;
        let build = c.u16_le()?;
        c.skip(3)?;
        let rev = c.u8()?;
        Some((major, minor, build, rev))
    } else {
        None
    };
    let sub = |(len, off): (u16, u32)| -> Option<Vec<u8>> {
        let start = (off as usize).checked_sub(ID_LEN)?;
        let end = start + usize::from(len);
        data.get(start..end).map(capped)
    };
    let warning = (user.1 > 0 && user.1 < domain.1 + u32::from(domain.0))
        || (host.1 > 0 && host.1 < user.1 + u32::from(user.0));
    Some(Ntlmssp {
        domain: sub(domain)?,
        user: sub(user)?,
        host: sub(host)?,
        version,
        warning,
    })
}
