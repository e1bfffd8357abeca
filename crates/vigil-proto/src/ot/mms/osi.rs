//! The OSI upper layers under MMS: ISO 8327 session SPDUs, ISO 8823
//! presentation (CP / CPA / fully-encoded user data) and ISO 8650 ACSE
//! (AARQ, AARE, RLRQ, RLRE, ABRT). Bare MMS PDUs straight over COTP (as
//! some tools send them) are accepted too.

use super::ber::{self, APPLICATION, CONTEXT, Tlv, UNIVERSAL};
use crate::ot::cotp::{Cursor, spdu_len};

/// PDV lists followed in one TSDU.
const MAX_PDVS: usize = 8;

/// Session SPDU types (SI).
pub fn spdu_name(si: u8) -> Option<&'static str> {
    Some(match si {
        0x0D => "CN",
        0x0E => "AC",
        0x0C => "RF",
        0x09 => "FN",
        0x0A => "DN",
        0x08 => "NF",
        0x19 => "AB",
        0x1A => "AA",
        0x01 => "DT",
        _ => return None,
    })
}

/// ACSE APDU information.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Acse {
    /// 0 AARQ, 1 AARE, 2 RLRQ, 3 RLRE, 4 ABRT.
    pub apdu: u8,
    pub application_context: Option<String>,
    pub called_ap_title: Option<String>,
    pub called_ae_qualifier: Option<i64>,
    pub calling_ap_title: Option<String>,
    pub calling_ae_qualifier: Option<i64>,
    pub responding_ap_title: Option<String>,
    pub responding_ae_qualifier: Option<i64>,
    /// AARE result (0 accepted, 1 rejected permanent, 2 rejected transient).
    pub result: Option<i64>,
    /// AARE result-source-diagnostic value.
    pub diagnostic: Option<i64>,
    /// RLRQ/RLRE reason, ABRT source.
    pub reason: Option<i64>,
    /// Authentication mechanism OID (the value itself is never kept).
    pub mechanism: Option<String>,
    pub authenticated: bool,
}

impl Acse {
    /// `aarq`, `aare`, `rlrq`, `rlre`, `abrt`.
    pub fn name(&self) -> &'static str {
        match self.apdu {
            0 => "aarq",
            1 => "aare",
            2 => "rlrq",
            3 => "rlre",
            _ => "abrt",
        }
    }
}

/// What one TSDU carried, layer by layer.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Stack<'a> {
    /// The session SPDU type, when a session layer is present.
    pub spdu: Option<u8>,
    pub acse: Option<Acse>,
    /// Encoded MMS PDUs, in order.
    pub mms: Vec<&'a [u8]>,
    /// The bytes did not decode as the layers claim.
    pub malformed: bool,
}

/// Splits a TSDU into its session, presentation, ACSE and MMS parts.
pub fn decode(tsdu: &[u8]) -> Stack<'_> {
    let mut st = Stack::default();
    match tsdu.first() {
        // Bare MMS PDU (context-specific tag) over COTP.
        Some(b) if b >> 6 == CONTEXT => {
            st.mms.push(tsdu);
        }
        Some(_) => session(tsdu, &mut st),
        None => st.malformed = true,
    }
    st
}

fn session<'a>(tsdu: &'a [u8], st: &mut Stack<'a>) {
    let mut rest = tsdu;
    // Category 0 SPDUs (GT/PT with no parameters) may precede the DT.
    loop {
        let Some(&si) = rest.first() else {
            st.malformed = true;
            return;
        };
        let Some((li, hl)) = spdu_len(rest) else {
            st.malformed = true;
            return;
        };
        let Some(params) = rest.get(hl..hl + li) else {
            st.malformed = true;
            return;
        };
        let after = rest.get(hl + li..).unwrap_or(&[]);
        if si == 0x01 && li == 0 && !after.is_empty() && st.spdu.is_none() {
            // GIVE TOKENS, then the DATA TRANSFER SPDU.
            st.spdu = Some(0x01);
            rest = after;
            continue;
        }
        if spdu_name(si).is_none() && si != 0x02 {
            st.malformed = true;
            return;
        }
        st.spdu = Some(si);
        let user = if si == 0x01 {
            // DATA TRANSFER: user information follows the parameters.
            after
        } else {
            // User data in PI 193 (or extended user data, PI 194).
            session_user_data(params).unwrap_or(&[])
        };
        if !user.is_empty() {
            presentation(user, si, st);
        }
        return;
    }
}

/// Finds the user data parameter among an SPDU's parameters.
fn session_user_data(params: &[u8]) -> Option<&[u8]> {
    let mut c = Cursor::new(params);
    while !c.is_empty() {
        let code = c.u8()?;
        let len = match c.u8()? {
            0xFF => usize::from(c.u16()?),
            l => usize::from(l),
        };
        let v = c.take(len)?;
        if code == 193 || code == 194 {
            return Some(v);
        }
    }
    None
}

fn presentation<'a>(user: &'a [u8], si: u8, st: &mut Stack<'a>) {
    let Some((t, _)) = ber::read(user) else {
        st.malformed = true;
        return;
    };
    match (t.class, t.tag) {
        // CP-type / CPA-type: SET { mode [0], normal-mode-parameters [2] {..., user data } }.
        (UNIVERSAL, 17) => {
            let Some(normal) = t.children().find(|c| c.is_ctx(2)) else {
                return;
            };
            if let Some(ud) = normal
                .children()
                .find(|c| c.class == APPLICATION && c.tag == 1)
            {
                fully_encoded(&ud, st);
            }
        }
        // CPR-type (refuse) and ARU/ARP: SEQUENCE; nothing MMS inside.
        (UNIVERSAL, 16) => {}
        // Fully-encoded user data (data transfer, release).
        (APPLICATION, 1) => fully_encoded(&t, st),
        // Simply-encoded data: the bytes are the APDU.
        (APPLICATION, 0) => route(t.value, st),
        // AB SPDUs may carry an ARP-PPDU [0]; nothing to decode.
        _ if si == 0x19 => {}
        _ => st.malformed = true,
    }
}

fn fully_encoded<'a>(t: &Tlv<'a>, st: &mut Stack<'a>) {
    for pdv in t.children().take(MAX_PDVS) {
        // PDV-list: transfer-syntax-name OID OPT, context id INTEGER, values choice.
        for c in pdv.children() {
            match (c.class, c.tag) {
                // single-ASN1-type [0]: the contents are one APDU.
                (CONTEXT, 0) => route(c.value, st),
                // octet-aligned [1].
                (CONTEXT, 1) => route(c.value, st),
                _ => {}
            }
        }
    }
}

/// An APDU inside presentation data: ACSE (APPLICATION class) or MMS
/// (context-specific class).
fn route<'a>(apdu: &'a [u8], st: &mut Stack<'a>) {
    let Some((t, _)) = ber::read(apdu) else {
        st.malformed = true;
        return;
    };
    match t.class {
        APPLICATION if t.tag <= 4 => acse(&t, apdu, st),
        CONTEXT => {
            let len = apdu.len() - ber::read(apdu).map_or(0, |(_, r)| r.len());
            st.mms.push(apdu.get(..len).unwrap_or(apdu));
        }
        _ => st.malformed = true,
    }
}

fn ap_title(t: &Tlv<'_>) -> Option<String> {
    let c = t.children().next()?;
    match (c.class, c.tag) {
        (UNIVERSAL, 6) => ber::oid_string(c.value),
        _ => None,
    }
}

fn ae_qualifier(t: &Tlv<'_>) -> Option<i64> {
    t.children().next().and_then(|c| c.int())
}

fn acse<'a>(t: &Tlv<'a>, _raw: &'a [u8], st: &mut Stack<'a>) {
    let apdu = u8::try_from(t.tag).unwrap_or(4);
    let mut a = Acse {
        apdu,
        ..Acse::default()
    };
    for c in t.children() {
        if c.class != CONTEXT {
            continue;
        }
        match (apdu, c.tag) {
            (0 | 1, 1) => {
                a.application_context = c.children().next().and_then(|o| ber::oid_string(o.value))
            }
            (0, 2) => a.called_ap_title = ap_title(&c),
            (0, 3) => a.called_ae_qualifier = ae_qualifier(&c),
            (0, 6) => a.calling_ap_title = ap_title(&c),
            (0, 7) => a.calling_ae_qualifier = ae_qualifier(&c),
            (0, 11) => a.mechanism = ber::oid_string(c.value),
            (0, 12) => a.authenticated = true,
            (1, 2) => a.result = c.children().next().and_then(|r| r.int()),
            (1, 3) => {
                a.diagnostic = c
                    .children()
                    .next()
                    .and_then(|d| d.children().next())
                    .and_then(|v| v.int())
            }
            (1, 4) => a.responding_ap_title = ap_title(&c),
            (1, 5) => a.responding_ae_qualifier = ae_qualifier(&c),
            (2..=4, 0) => a.reason = c.int(),
            // user-information [30]: Association-information (SEQUENCE OF
            // EXTERNAL), or a bare EXTERNAL.
            (_, 30) => {
                for e in c.children().take(MAX_PDVS) {
                    let externals: Vec<Tlv<'_>> = if e.class == UNIVERSAL && e.tag == 8 {
                        vec![e]
                    } else {
                        e.children()
                            .filter(|x| x.class == UNIVERSAL && x.tag == 8)
                            .take(MAX_PDVS)
                            .collect()
                    };
                    for ext in externals {
                        for enc in ext.children() {
                            if enc.class == CONTEXT && matches!(enc.tag, 0 | 1) {
                                route_mms(enc.value, st);
                            }
                        }
                    }
                }
            }
            _ => {}
        }
    }
    st.acse = Some(a);
}

/// An MMS PDU inside ACSE user information.
fn route_mms<'a>(apdu: &'a [u8], st: &mut Stack<'a>) {
    if let Some((t, _)) = ber::read(apdu)
        && t.class == CONTEXT
    {
        let len = apdu.len() - ber::read(apdu).map_or(0, |(_, r)| r.len());
        st.mms.push(apdu.get(..len).unwrap_or(apdu));
    }
}
