//! OPC UA binary parser over TCP, through the shared OT harness (see
//! common/ot_harness.rs), with its own keyword fields and buffers.
#![no_main]

#[path = "common/ot_harness.rs"]
mod ot_harness;

use libfuzzer_sys::fuzz_target;

const UINTS: &[&str] = &[
    "opcua.msg_type",
    "opcua.service",
    "opcua.status_code",
    "opcua.security_mode",
    "opcua.request_id",
    "opcua.secure_channel_id",
    "opcua.attribute_id",
];
const BUFFERS: &[&str] = &[
    "opcua.service_name",
    "opcua.security_policy",
    "opcua.node_id",
];

fuzz_target!(|data: &[u8]| {
    ot_harness::run_with(&vigil_proto::ot::opcua::INFO, data, UINTS, BUFFERS);
});
