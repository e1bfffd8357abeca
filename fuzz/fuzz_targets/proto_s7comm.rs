//! S7comm / S7comm-plus (TPKT/COTP) parser over TCP, through the shared OT harness (see
//! common/ot_harness.rs), with its own keyword fields and buffers.
#![no_main]

#[path = "common/ot_harness.rs"]
mod ot_harness;

use libfuzzer_sys::fuzz_target;

const UINTS: &[&str] = &[
    "s7comm.plus",
    "s7comm.rosctr",
    "s7comm.pdu_ref",
    "s7comm.function",
    "s7comm.function_group",
    "s7comm.subfunction",
    "s7comm.error_class",
    "s7comm.error_code",
    "s7comm.item.area",
    "s7comm.item.db",
    "s7comm.item.address",
    "s7comm.szl_id",
    "s7comm.szl_index",
    "s7comm.plus.version",
    "s7comm.plus.opcode",
    "s7comm.plus.function",
    "s7comm.plus.sequence",
];
const BUFFERS: &[&str] = &[
    "s7comm.function",
    "s7comm.subfunction",
    "s7comm.pi_service",
    "s7comm.block",
];

fuzz_target!(|data: &[u8]| {
    ot_harness::run_with(&vigil_proto::ot::s7comm::INFO, data, UINTS, BUFFERS);
});
