//! DNP3 (IEEE 1815) over TCP, port 20000: link-layer frames with CRCs,
//! transport header, application layer.

/// Link control: master -> outstation, primary, UNCONFIRMED_USER_DATA (0xC4).
pub const CTRL_MASTER_UNCONFIRMED: u8 = 0xc4;
/// Link control: outstation -> master, primary, UNCONFIRMED_USER_DATA (0x44).
pub const CTRL_OUTSTATION_UNCONFIRMED: u8 = 0x44;
/// Application function: READ.
pub const FC_READ: u8 = 0x01;
/// Application function: RESPONSE.
pub const FC_RESPONSE: u8 = 0x81;

/// CRC-16/DNP: polynomial 0x3D65 (reflected 0xA6BC), init 0, reflected,
/// final XOR 0xFFFF. Sent little-endian after each block.
pub fn crc(data: &[u8]) -> u16 {
    let mut crc: u16 = 0;
    for &b in data {
        crc ^= u16::from(b);
        for _ in 0..8 {
            crc = if crc & 1 != 0 {
                (crc >> 1) ^ 0xa6bc
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

/// A link-layer frame: 0x05 0x64, length (5 + user data), control,
/// destination and source (little-endian), header CRC, then `user_data` in
/// blocks of 16 bytes each followed by its CRC. Panics if `user_data`
/// exceeds 250 bytes.
pub fn link_frame(control: u8, destination: u16, source: u16, user_data: &[u8]) -> Vec<u8> {
    assert!(
        user_data.len() <= 250,
        "DNP3 link frame carries at most 250 bytes"
    );
    let mut f = vec![0x05, 0x64, (5 + user_data.len()) as u8, control];
    f.extend_from_slice(&destination.to_le_bytes());
    f.extend_from_slice(&source.to_le_bytes());
    let c = crc(&f);
    f.extend_from_slice(&c.to_le_bytes());
    for block in user_data.chunks(16) {
        f.extend_from_slice(block);
        f.extend_from_slice(&crc(block).to_le_bytes());
    }
    f
}

/// Transport header byte: FIN (0x80), FIR (0x40), sequence (6 bits).
pub fn transport_header(fir: bool, fin: bool, seq: u8) -> u8 {
    (u8::from(fin) << 7) | (u8::from(fir) << 6) | (seq & 0x3f)
}

/// One link frame carrying a complete, single-segment APDU (FIR and FIN set)
/// as unconfirmed user data. `from_master` selects the DIR bit.
pub fn frame(
    from_master: bool,
    destination: u16,
    source: u16,
    transport_seq: u8,
    apdu: &[u8],
) -> Vec<u8> {
    let control = if from_master {
        CTRL_MASTER_UNCONFIRMED
    } else {
        CTRL_OUTSTATION_UNCONFIRMED
    };
    let mut ud = vec![transport_header(true, true, transport_seq)];
    ud.extend_from_slice(apdu);
    link_frame(control, destination, source, &ud)
}

/// Application control byte: FIR, FIN, CON, UNS and a 4-bit sequence.
pub fn app_control(fir: bool, fin: bool, con: bool, uns: bool, seq: u8) -> u8 {
    (u8::from(fir) << 7)
        | (u8::from(fin) << 6)
        | (u8::from(con) << 5)
        | (u8::from(uns) << 4)
        | (seq & 0x0f)
}

/// APDU: class 0 poll — READ of group 60 variation 1, qualifier 0x06 (all).
pub fn read_class0(app_seq: u8) -> Vec<u8> {
    vec![
        app_control(true, true, false, false, app_seq),
        FC_READ,
        60,
        1,
        0x06,
    ]
}

/// APDU: RESPONSE with internal indications `iin` (IIN1 in the high byte)
/// and 32-bit analog inputs with flags (group 30 variation 1), qualifier
/// 0x00 (1-byte start/stop), indices from `start_index`. Each value is
/// `(flags, value)`; flags 0x01 means ONLINE.
pub fn response_analog_g30v1(
    app_seq: u8,
    iin: u16,
    start_index: u8,
    values: &[(u8, i32)],
) -> Vec<u8> {
    let [iin1, iin2] = iin.to_be_bytes();
    let mut v = vec![
        app_control(true, true, false, false, app_seq),
        FC_RESPONSE,
        iin1,
        iin2,
    ];
    if !values.is_empty() {
        v.extend_from_slice(&[
            30,
            1,
            0x00,
            start_index,
            start_index + (values.len() - 1) as u8,
        ]);
        for (flags, val) in values {
            v.push(*flags);
            v.extend_from_slice(&val.to_le_bytes());
        }
    }
    v
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crc_check_value() {
        // CRC-16/DNP catalogue check value.
        assert_eq!(crc(b"123456789"), 0xea82);
    }

    #[test]
    fn link_frame_blocks() {
        let ud: Vec<u8> = (0..20).collect();
        let f = link_frame(0xc4, 10, 1, &ud);
        // header 10 + block 16+2 + block 4+2
        assert_eq!(f.len(), 10 + 18 + 6);
        assert_eq!(&f[..8], &[0x05, 0x64, 25, 0xc4, 10, 0, 1, 0]);
        assert_eq!(u16::from_le_bytes([f[8], f[9]]), crc(&f[..8]));
        assert_eq!(u16::from_le_bytes([f[26], f[27]]), crc(&ud[..16]));
        assert_eq!(u16::from_le_bytes([f[32], f[33]]), crc(&ud[16..]));
    }
}
