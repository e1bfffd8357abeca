//! S7comm over ISO-on-TCP (TPKT, RFC 1006 + COTP, ISO 8073), port 102.

/// S7 ROSCTR: job request.
pub const ROSCTR_JOB: u8 = 0x01;
/// S7 ROSCTR: acknowledgement with data.
pub const ROSCTR_ACK_DATA: u8 = 0x03;
/// S7 function: read variable.
pub const FN_READ_VAR: u8 = 0x04;
/// S7 function: setup communication.
pub const FN_SETUP_COMMUNICATION: u8 = 0xf0;
/// S7 area: data blocks.
pub const AREA_DB: u8 = 0x84;
/// COTP TPDU size code for 1024 bytes.
pub const TPDU_SIZE_1024: u8 = 0x0a;

/// TPKT header (version 3, reserved 0, total length) around `payload`.
pub fn tpkt(payload: &[u8]) -> Vec<u8> {
    let mut v = vec![3, 0];
    v.extend_from_slice(&((payload.len() + 4) as u16).to_be_bytes());
    v.extend_from_slice(payload);
    v
}

fn cotp_connect(
    pdu_type: u8,
    dst_ref: u16,
    src_ref: u16,
    src_tsap: u16,
    dst_tsap: u16,
    tpdu_size: u8,
) -> Vec<u8> {
    let mut v = vec![0, pdu_type];
    v.extend_from_slice(&dst_ref.to_be_bytes());
    v.extend_from_slice(&src_ref.to_be_bytes());
    v.push(0x00); // class 0, no options
    v.extend_from_slice(&[0xc0, 1, tpdu_size]);
    v.extend_from_slice(&[0xc1, 2]);
    v.extend_from_slice(&src_tsap.to_be_bytes());
    v.extend_from_slice(&[0xc2, 2]);
    v.extend_from_slice(&dst_tsap.to_be_bytes());
    v[0] = (v.len() - 1) as u8; // length indicator excludes itself
    v
}

/// COTP connection request (CR, 0xE0) with TPDU size, calling (source) and
/// called (destination) TSAPs; destination reference 0.
pub fn cotp_connection_request(
    src_ref: u16,
    src_tsap: u16,
    dst_tsap: u16,
    tpdu_size: u8,
) -> Vec<u8> {
    cotp_connect(0xe0, 0, src_ref, src_tsap, dst_tsap, tpdu_size)
}

/// COTP connection confirm (CC, 0xD0): `dst_ref` is the requester's source
/// reference; the TSAPs are echoed as in the request.
pub fn cotp_connection_confirm(
    dst_ref: u16,
    src_ref: u16,
    src_tsap: u16,
    dst_tsap: u16,
    tpdu_size: u8,
) -> Vec<u8> {
    cotp_connect(0xd0, dst_ref, src_ref, src_tsap, dst_tsap, tpdu_size)
}

/// COTP data TPDU (DT, 0xF0, last data unit) around `payload`.
pub fn cotp_data(payload: &[u8]) -> Vec<u8> {
    let mut v = vec![2, 0xf0, 0x80];
    v.extend_from_slice(payload);
    v
}

/// S7comm PDU: header (protocol id 0x32, `rosctr`, PDU reference, parameter
/// and data lengths, plus error class/code for ACK_DATA) + params + data.
pub fn s7_pdu(
    rosctr: u8,
    pdu_ref: u16,
    error: Option<(u8, u8)>,
    params: &[u8],
    data: &[u8],
) -> Vec<u8> {
    let mut v = vec![0x32, rosctr, 0, 0];
    v.extend_from_slice(&pdu_ref.to_be_bytes());
    v.extend_from_slice(&(params.len() as u16).to_be_bytes());
    v.extend_from_slice(&(data.len() as u16).to_be_bytes());
    if let Some((class, code)) = error {
        v.push(class);
        v.push(code);
    }
    v.extend_from_slice(params);
    v.extend_from_slice(data);
    v
}

/// A complete job: TPKT + COTP DT + S7 job header + params + data.
pub fn job(pdu_ref: u16, params: &[u8], data: &[u8]) -> Vec<u8> {
    tpkt(&cotp_data(&s7_pdu(ROSCTR_JOB, pdu_ref, None, params, data)))
}

/// A complete successful ACK_DATA (error class/code 0).
pub fn ack_data(pdu_ref: u16, params: &[u8], data: &[u8]) -> Vec<u8> {
    tpkt(&cotp_data(&s7_pdu(
        ROSCTR_ACK_DATA,
        pdu_ref,
        Some((0, 0)),
        params,
        data,
    )))
}

/// Setup communication parameters (function 0xF0).
pub fn setup_communication_params(
    max_amq_calling: u16,
    max_amq_called: u16,
    pdu_length: u16,
) -> Vec<u8> {
    let mut v = vec![FN_SETUP_COMMUNICATION, 0];
    v.extend_from_slice(&max_amq_calling.to_be_bytes());
    v.extend_from_slice(&max_amq_called.to_be_bytes());
    v.extend_from_slice(&pdu_length.to_be_bytes());
    v
}

/// Read var job parameters with one S7ANY item: `length` bytes (transport
/// size BYTE) from data block `db` at byte address `byte_addr`.
pub fn read_var_db_params(db: u16, byte_addr: u32, length: u16) -> Vec<u8> {
    let mut v = vec![FN_READ_VAR, 1, 0x12, 0x0a, 0x10, 0x02];
    v.extend_from_slice(&length.to_be_bytes());
    v.extend_from_slice(&db.to_be_bytes());
    v.push(AREA_DB);
    let bit_addr = byte_addr << 3;
    v.extend_from_slice(&bit_addr.to_be_bytes()[1..]);
    v
}

/// Read var ACK_DATA parameters for `items` items.
pub fn read_var_response_params(items: u8) -> Vec<u8> {
    vec![FN_READ_VAR, items]
}

/// Read var ACK_DATA data for one successful item of bytes: return code
/// 0xFF, transport size 0x04 (BYTE/WORD/DWORD), length in bits, the bytes.
pub fn read_var_response_item(bytes: &[u8]) -> Vec<u8> {
    let mut v = vec![0xff, 0x04];
    v.extend_from_slice(&((bytes.len() * 8) as u16).to_be_bytes());
    v.extend_from_slice(bytes);
    v
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn connection_request_bytes() {
        assert_eq!(
            tpkt(&cotp_connection_request(1, 0x0100, 0x0102, TPDU_SIZE_1024)),
            [
                3, 0, 0, 22, 17, 0xe0, 0, 0, 0, 1, 0, 0xc0, 1, 0x0a, 0xc1, 2, 1, 0, 0xc2, 2, 1, 2
            ]
        );
    }

    #[test]
    fn setup_job_bytes() {
        assert_eq!(
            job(0, &setup_communication_params(1, 1, 480), &[]),
            [
                3, 0, 0, 25, 2, 0xf0, 0x80, 0x32, 1, 0, 0, 0, 0, 0, 8, 0, 0, 0xf0, 0, 0, 1, 0, 1,
                1, 0xe0
            ]
        );
    }

    #[test]
    fn read_item_bytes() {
        assert_eq!(
            read_var_db_params(1, 0, 4),
            [4, 1, 0x12, 0x0a, 0x10, 2, 0, 4, 0, 1, 0x84, 0, 0, 0]
        );
    }
}
