//! S7comm-plus (protocol id 0x72) header: PDU type (protocol version),
//! data length, the V3 integrity part, and the data header (opcode,
//! function, sequence number, session id). Item contents are not decoded.
//!
//! A PDU larger than the TPDU size is sent as several TSDUs, each with its
//! own `72 VV LLLL` header; only the last carries the 4-octet trailer
//! (`72 VV 00 00`), and only the first holds the opcode and function.

use crate::ot::cotp::Cursor;
use crate::{AppProto, ParseOutput};
use vigil_eve::JsonWriter;

pub const OPCODE_REQUEST: u8 = 0x31;
pub const OPCODE_RESPONSE: u8 = 0x32;
pub const OPCODE_NOTIFICATION: u8 = 0x33;
pub const OPCODE_RESPONSE2: u8 = 0x02;

/// Name of a PDU type (the octet after 0x72; Wireshark's "protocol version").
pub fn pdu_type_name(t: u8) -> Option<&'static str> {
    Some(match t {
        0x01 => "connect",
        0x02 => "data",
        0x03 => "data_fw1_5",
        0xFF => "keepalive",
        _ => return None,
    })
}

/// Name of an opcode.
pub fn opcode_name(o: u8) -> Option<&'static str> {
    Some(match o {
        OPCODE_REQUEST => "request",
        OPCODE_RESPONSE => "response",
        OPCODE_NOTIFICATION => "notification",
        OPCODE_RESPONSE2 => "response2",
        _ => return None,
    })
}

/// Name of a function code.
pub fn function_name(f: u16) -> Option<&'static str> {
    Some(match f {
        0x04BB => "Explore",
        0x04CA => "CreateObject",
        0x04D4 => "DeleteObject",
        0x04F2 => "SetVariable",
        0x0502 => "GetVariable",
        0x050C => "AddLink",
        0x0516 => "RemoveLink",
        0x0524 => "GetLink",
        0x0542 => "SetMultiVariables",
        0x054C => "GetMultiVariables",
        0x0556 => "BeginSequence",
        0x0560 => "EndSequence",
        0x056B => "Invoke",
        0x057C => "SetVarSubStreamed",
        0x0586 => "GetVarSubStreamed",
        0x0590 => "GetVariablesAddress",
        0x059E => "Abort",
        0x05A9 => "Error",
        0x05B3 => "SetupSession",
        _ => return None,
    })
}

/// The header of one S7comm-plus PDU (its first fragment).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PlusPdu {
    pub pdu_type: u8,
    pub data_length: u16,
    pub opcode: Option<u8>,
    pub function: Option<u16>,
    pub sequence: Option<u16>,
    pub session_id: Option<u32>,
    /// Notification: subscription object id.
    pub subscription_id: Option<u32>,
    /// V3: a 32-octet integrity digest precedes the data.
    pub integrity: bool,
    /// Number of TSDUs the PDU was sent in.
    pub fragments: u32,
}

/// One TSDU's framing: header fields and whether the trailer is present.
pub struct Frame<'a> {
    pub pdu_type: u8,
    pub data_length: u16,
    /// The data part (after header and integrity part, without trailer).
    pub data: &'a [u8],
    pub integrity: bool,
    /// True when the TSDU ends with the trailer: the PDU is complete.
    pub last: bool,
}

/// Splits one TSDU starting with 0x72.
pub fn frame<'a>(tsdu: &'a [u8], out: &mut ParseOutput) -> Option<Frame<'a>> {
    let mut c = Cursor::new(tsdu);
    let (Some(_id), Some(pdu_type)) = (c.u8(), c.u8()) else {
        out.event(AppProto::S7comm, "PDU_TOO_SHORT");
        return None;
    };
    if pdu_type == 0xFF {
        // Keep-alive: sequence octet and a reserved octet.
        return Some(Frame {
            pdu_type,
            data_length: 0,
            data: &[],
            integrity: false,
            last: true,
        });
    }
    if pdu_type_name(pdu_type).is_none() {
        out.event(AppProto::S7comm, "PLUS_INVALID_VERSION");
    }
    let Some(dlen) = c.u16() else {
        out.event(AppProto::S7comm, "PDU_TOO_SHORT");
        return None;
    };
    let rest = c.rest();
    let d = usize::from(dlen);
    let last = match rest.len().checked_sub(d) {
        Some(0) => false,
        Some(4) => {
            let trailer = rest.get(d..).unwrap_or(&[]);
            if trailer.first() != Some(&0x72) {
                out.event(AppProto::S7comm, "PLUS_INVALID_TRAILER");
            }
            true
        }
        _ => {
            out.event(AppProto::S7comm, "LENGTH_MISMATCH");
            true
        }
    };
    let mut data = rest.get(..d.min(rest.len())).unwrap_or(&[]);
    let mut integrity = false;
    if pdu_type == 0x03 {
        // Integrity part: digest length (32) and digest, counted in the length.
        let mut ic = Cursor::new(data);
        match ic.u8() {
            Some(32) if ic.skip(32).is_some() => {
                integrity = true;
                data = ic.rest();
            }
            _ => out.event(AppProto::S7comm, "PLUS_INVALID_INTEGRITY"),
        }
    }
    Some(Frame {
        pdu_type,
        data_length: dlen,
        data,
        integrity,
        last,
    })
}

/// Decodes the data header of a PDU's first fragment.
pub fn decode_first(f: &Frame<'_>, out: &mut ParseOutput) -> PlusPdu {
    let mut pdu = PlusPdu {
        pdu_type: f.pdu_type,
        data_length: f.data_length,
        opcode: None,
        function: None,
        sequence: None,
        session_id: None,
        subscription_id: None,
        integrity: f.integrity,
        fragments: 1,
    };
    if f.pdu_type == 0xFF {
        return pdu;
    }
    let mut c = Cursor::new(f.data);
    let Some(op) = c.u8() else {
        out.event(AppProto::S7comm, "PDU_TOO_SHORT");
        return pdu;
    };
    pdu.opcode = Some(op);
    match op {
        OPCODE_NOTIFICATION => pdu.subscription_id = c.u32(),
        OPCODE_REQUEST | OPCODE_RESPONSE | OPCODE_RESPONSE2 => {
            let (Some(_r1), Some(func), Some(_r2), Some(seq)) =
                (c.u16(), c.u16(), c.u16(), c.u16())
            else {
                out.event(AppProto::S7comm, "PDU_TOO_SHORT");
                return pdu;
            };
            pdu.function = Some(func);
            pdu.sequence = Some(seq);
            if op == OPCODE_REQUEST {
                pdu.session_id = c.u32();
            }
            if function_name(func).is_none() {
                out.event(AppProto::S7comm, "UNKNOWN_FUNCTION");
            }
        }
        _ => out.event(AppProto::S7comm, "PLUS_INVALID_OPCODE"),
    }
    pdu
}

impl PlusPdu {
    /// Writes the `request` / `response` / `notification` member's fields.
    pub fn write_json(&self, w: &mut JsonWriter<'_>) {
        if let Some(op) = self.opcode {
            w.uint("opcode_code", u64::from(op));
            if let Some(n) = opcode_name(op) {
                w.string("opcode", n);
            }
        }
        w.uint("data_length", u64::from(self.data_length));
        if let Some(s) = self.session_id {
            w.uint("session_id", u64::from(s));
        }
        if let Some(s) = self.subscription_id {
            w.uint("subscription_id", u64::from(s));
        }
        if self.integrity {
            w.boolean("integrity", true);
        }
        if self.fragments > 1 {
            w.uint("fragments", u64::from(self.fragments));
        }
    }
}
