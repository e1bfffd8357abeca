//! Modbus/TCP (MBAP header + PDU), port 502.

/// Function code: read holding registers.
pub const READ_HOLDING_REGISTERS: u8 = 0x03;
/// Function code: write single coil.
pub const WRITE_SINGLE_COIL: u8 = 0x05;
/// Exception code: illegal function.
pub const ILLEGAL_FUNCTION: u8 = 0x01;
/// Exception code: illegal data address.
pub const ILLEGAL_DATA_ADDRESS: u8 = 0x02;
/// Exception code: illegal data value.
pub const ILLEGAL_DATA_VALUE: u8 = 0x03;

/// An ADU: MBAP header (transaction id, protocol id 0, length = unit id +
/// PDU, unit id) followed by `pdu`.
pub fn adu(transaction_id: u16, unit_id: u8, pdu: &[u8]) -> Vec<u8> {
    let mut v = Vec::with_capacity(7 + pdu.len());
    v.extend_from_slice(&transaction_id.to_be_bytes());
    v.extend_from_slice(&0u16.to_be_bytes());
    v.extend_from_slice(&((pdu.len() + 1) as u16).to_be_bytes());
    v.push(unit_id);
    v.extend_from_slice(pdu);
    v
}

/// PDU: read holding registers request (function 3).
pub fn read_holding_registers_request(start: u16, quantity: u16) -> Vec<u8> {
    let mut v = vec![READ_HOLDING_REGISTERS];
    v.extend_from_slice(&start.to_be_bytes());
    v.extend_from_slice(&quantity.to_be_bytes());
    v
}

/// PDU: read holding registers response carrying `values`.
pub fn read_holding_registers_response(values: &[u16]) -> Vec<u8> {
    let mut v = vec![READ_HOLDING_REGISTERS, (values.len() * 2) as u8];
    for x in values {
        v.extend_from_slice(&x.to_be_bytes());
    }
    v
}

/// PDU: write single coil (function 5) request; the normal response echoes
/// it byte for byte. ON is encoded 0xFF00, OFF 0x0000.
pub fn write_single_coil(address: u16, on: bool) -> Vec<u8> {
    let mut v = vec![WRITE_SINGLE_COIL];
    v.extend_from_slice(&address.to_be_bytes());
    v.extend_from_slice(&(if on { 0xff00u16 } else { 0 }).to_be_bytes());
    v
}

/// PDU: exception response to `function` (function | 0x80, exception code).
pub fn exception(function: u8, code: u8) -> Vec<u8> {
    vec![function | 0x80, code]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn read_request_bytes() {
        assert_eq!(
            adu(1, 1, &read_holding_registers_request(0, 10)),
            [0, 1, 0, 0, 0, 6, 1, 3, 0, 0, 0, 10]
        );
        assert_eq!(adu(7, 1, &exception(3, 2)), [0, 7, 0, 0, 0, 3, 1, 0x83, 2]);
    }
}
