//! Writes the bundled sample capture.
//!
//! Usage: `cargo run -p vigil-testkit --bin gen-sample -- examples/sample-ot-it.pcap`

use std::process::ExitCode;

fn main() -> ExitCode {
    let mut args = std::env::args().skip(1);
    let (Some(path), None) = (args.next(), args.next()) else {
        eprintln!("usage: gen-sample OUTPUT.pcap");
        return ExitCode::from(2);
    };
    let pcap = vigil_testkit::sample::sample_ot_it();
    match pcap.write_to(&path) {
        Ok(()) => {
            eprintln!(
                "wrote {} packets ({} bytes) to {path}",
                pcap.len(),
                pcap.to_bytes().len()
            );
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("gen-sample: cannot write {path}: {e}");
            ExitCode::FAILURE
        }
    }
}
