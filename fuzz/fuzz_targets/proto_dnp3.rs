//! dnp3 parser, through the shared OT harness (see common/ot_harness.rs).
#![no_main]

#[path = "common/ot_harness.rs"]
mod ot_harness;

use libfuzzer_sys::fuzz_target;

const UINTS: &[&str] = &["dnp3.func", "dnp3.ind", "dnp3.obj"];
const BUFFERS: &[&str] = &["dnp3_data"];

fuzz_target!(|data: &[u8]| {
    ot_harness::run_with(&vigil_proto::ot::dnp3::INFO, data, UINTS, BUFFERS);
});
