//! IEC 60870-5-104 (APCI + ASDU), port 2404.

/// U-frame control byte: STARTDT act.
pub const STARTDT_ACT: u8 = 0x07;
/// U-frame control byte: STARTDT con.
pub const STARTDT_CON: u8 = 0x0b;
/// U-frame control byte: STOPDT act.
pub const STOPDT_ACT: u8 = 0x13;
/// U-frame control byte: STOPDT con.
pub const STOPDT_CON: u8 = 0x23;
/// U-frame control byte: TESTFR act.
pub const TESTFR_ACT: u8 = 0x43;
/// U-frame control byte: TESTFR con.
pub const TESTFR_CON: u8 = 0x83;

/// Type id: measured value, short floating point (M_ME_NC_1).
pub const M_ME_NC_1: u8 = 13;
/// Type id: interrogation command (C_IC_NA_1).
pub const C_IC_NA_1: u8 = 100;

/// Cause of transmission: spontaneous.
pub const COT_SPONTANEOUS: u8 = 3;
/// Cause of transmission: activation.
pub const COT_ACTIVATION: u8 = 6;
/// Cause of transmission: activation confirmation.
pub const COT_ACTIVATION_CON: u8 = 7;
/// Cause of transmission: activation termination.
pub const COT_ACTIVATION_TERM: u8 = 10;
/// Cause of transmission: interrogated by station interrogation.
pub const COT_INTERROGATED_BY_STATION: u8 = 20;
/// Qualifier of interrogation: station interrogation (global).
pub const QOI_STATION: u8 = 20;

fn apdu(control: [u8; 4], asdu: &[u8]) -> Vec<u8> {
    let mut v = vec![0x68, (4 + asdu.len()) as u8];
    v.extend_from_slice(&control);
    v.extend_from_slice(asdu);
    v
}

/// U-format APDU with control byte `function` (e.g. [`STARTDT_ACT`]).
pub fn u_frame(function: u8) -> Vec<u8> {
    apdu([function, 0, 0, 0], &[])
}

/// S-format APDU acknowledging up to receive sequence `recv_seq` (N(R)).
pub fn s_frame(recv_seq: u16) -> Vec<u8> {
    let [a, b] = (recv_seq << 1).to_le_bytes();
    apdu([0x01, 0x00, a, b], &[])
}

/// I-format APDU with N(S) = `send_seq`, N(R) = `recv_seq`, carrying `asdu`.
pub fn i_frame(send_seq: u16, recv_seq: u16, asdu: &[u8]) -> Vec<u8> {
    let [a, b] = (send_seq << 1).to_le_bytes();
    let [c, d] = (recv_seq << 1).to_le_bytes();
    apdu([a, b, c, d], asdu)
}

/// ASDU header: type id, SQ=0 and `count` objects, cause of transmission
/// (negative bit from `negative`), originator address, 2-byte common
/// address; followed by `objects` (each a 3-byte IOA plus elements).
pub fn asdu(
    type_id: u8,
    count: u8,
    cot: u8,
    negative: bool,
    originator: u8,
    common_address: u16,
    objects: &[u8],
) -> Vec<u8> {
    let mut v = vec![
        type_id,
        count & 0x7f,
        (cot & 0x3f) | (u8::from(negative) << 6),
        originator,
    ];
    v.extend_from_slice(&common_address.to_le_bytes());
    v.extend_from_slice(objects);
    v
}

fn ioa(addr: u32) -> [u8; 3] {
    let b = addr.to_le_bytes();
    [b[0], b[1], b[2]]
}

/// ASDU: C_IC_NA_1 interrogation command (IOA 0) with qualifier `qoi`.
pub fn interrogation(cot: u8, originator: u8, common_address: u16, qoi: u8) -> Vec<u8> {
    let mut obj = ioa(0).to_vec();
    obj.push(qoi);
    asdu(C_IC_NA_1, 1, cot, false, originator, common_address, &obj)
}

/// ASDU: M_ME_NC_1 measured values (SQ=0), one object per `(ioa, value,
/// quality descriptor)`.
pub fn measured_short_floats(
    cot: u8,
    originator: u8,
    common_address: u16,
    items: &[(u32, f32, u8)],
) -> Vec<u8> {
    let mut obj = Vec::with_capacity(items.len() * 8);
    for (a, val, qds) in items {
        obj.extend_from_slice(&ioa(*a));
        obj.extend_from_slice(&val.to_le_bytes());
        obj.push(*qds);
    }
    asdu(
        M_ME_NC_1,
        items.len() as u8,
        cot,
        false,
        originator,
        common_address,
        &obj,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frames() {
        assert_eq!(u_frame(STARTDT_ACT), [0x68, 4, 7, 0, 0, 0]);
        assert_eq!(s_frame(3), [0x68, 4, 1, 0, 6, 0]);
        assert_eq!(
            i_frame(0, 0, &interrogation(COT_ACTIVATION, 0, 1, QOI_STATION)),
            [0x68, 14, 0, 0, 0, 0, 100, 1, 6, 0, 1, 0, 0, 0, 0, 20]
        );
    }
}
