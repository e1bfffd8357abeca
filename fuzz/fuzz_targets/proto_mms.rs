//! MMS (TPKT/COTP, session, presentation, ACSE) parser over TCP, through the shared OT harness (see
//! common/ot_harness.rs), with its own keyword fields and buffers.
#![no_main]

#[path = "common/ot_harness.rs"]
mod ot_harness;

use libfuzzer_sys::fuzz_target;

const UINTS: &[&str] = &[
    "mms.service",
    "mms.pdu_type",
    "mms.invoke_id",
    "mms.error_class",
    "mms.object_class",
];
const BUFFERS: &[&str] = &[
    "mms.service",
    "mms.object_name",
    "mms.domain",
    "mms.identifier",
    "mms.file_name",
];

fuzz_target!(|data: &[u8]| {
    ot_harness::run_with(&vigil_proto::ot::mms::INFO, data, UINTS, BUFFERS);
});
