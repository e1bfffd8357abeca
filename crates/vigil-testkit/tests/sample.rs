//! The committed sample capture must be exactly what the generator produces.

use std::path::PathBuf;

use vigil_testkit::sample::{START, flows, sample_ot_it};

fn committed_path() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../examples/sample-ot-it.pcap")
}

#[test]
fn committed_sample_is_byte_identical_to_generator() {
    let path = committed_path();
    let committed =
        std::fs::read(&path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    let generated = sample_ot_it().to_bytes();
    if committed != generated {
        let first = committed
            .iter()
            .zip(&generated)
            .position(|(a, b)| a != b)
            .unwrap_or(committed.len().min(generated.len()));
        panic!(
            "{} differs from the generator output (sizes {} vs {}, first difference at byte {first}); \
             regenerate with `cargo run -p vigil-testkit --bin gen-sample -- examples/sample-ot-it.pcap`",
            path.display(),
            committed.len(),
            generated.len()
        );
    }
    assert!(generated.len() < 64 * 1024, "sample must stay under 64 KiB");
}

#[test]
fn sample_is_deterministic_and_ordered() {
    let a = sample_ot_it();
    let b = sample_ot_it();
    assert_eq!(a, b);
    let recs = a.records();
    assert_eq!(recs[0].ts.secs, START);
    assert_eq!(recs[0].ts.micros, 0);
    assert!(recs.windows(2).all(|w| w[0].ts <= w[1].ts));
    let total: usize = flows().iter().map(|(_, f)| f.len()).sum();
    assert_eq!(total, recs.len());
    let names: Vec<&str> = flows().iter().map(|(n, _)| *n).collect();
    for want in [
        "arp",
        "icmp-echo",
        "dns",
        "http",
        "tls",
        "modbus",
        "dnp3",
        "iec104",
        "s7comm",
        "syslog-fragments",
    ] {
        assert!(names.contains(&want), "missing flow {want}");
    }
}
