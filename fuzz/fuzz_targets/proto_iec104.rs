//! IEC 60870-5-104 parser over TCP, through the shared OT harness (see
//! common/ot_harness.rs), with its own keyword fields and buffers.
#![no_main]

#[path = "common/ot_harness.rs"]
mod ot_harness;

use libfuzzer_sys::fuzz_target;

const UINTS: &[&str] = &[
    "iec104.apci_type",
    "iec104.u_function",
    "iec104.tx",
    "iec104.rx",
    "iec104.type_id",
    "iec104.cause",
    "iec104.negative",
    "iec104.test",
    "iec104.originator",
    "iec104.common_address",
    "iec104.num_ix",
    "iec104.ioa",
];
const BUFFERS: &[&str] = &[
    "iec104.apci_type",
    "iec104.type",
    "iec104.cause",
    "iec104.u_function",
];

fuzz_target!(|data: &[u8]| {
    ot_harness::run_with(&vigil_proto::ot::iec104::INFO, data, UINTS, BUFFERS);
});
