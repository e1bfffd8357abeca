//! modbus parser, through the shared OT harness (see common/ot_harness.rs).
#![no_main]

#[path = "common/ot_harness.rs"]
mod ot_harness;

use libfuzzer_sys::fuzz_target;

const UINTS: &[&str] = &[
    "modbus.function",
    "modbus.subfunction",
    "modbus.unit",
    "modbus.access",
];
const BUFFERS: &[&str] = &[];

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = vigil_proto::ot::modbus::ModbusKeyword::parse(text);
    }
    ot_harness::run_with(&vigil_proto::ot::modbus::INFO, data, UINTS, BUFFERS);
});
