//! enip parser, through the shared OT harness (see common/ot_harness.rs).
#![no_main]

#[path = "common/ot_harness.rs"]
mod ot_harness;

use libfuzzer_sys::fuzz_target;

const UINTS: &[&str] = &["enip.command", "enip.status", "cip.service", "cip.class"];
const BUFFERS: &[&str] = &["enip.product_name", "cip.data"];

fuzz_target!(|data: &[u8]| {
    ot_harness::run_with(&vigil_proto::ot::enip::INFO, data, UINTS, BUFFERS);
});
