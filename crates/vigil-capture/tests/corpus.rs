//! Reads every capture of the shared ICS corpus and checks its packet count
//! against MANIFEST.tsv (counted by tshark). Skips when the corpus is absent.
//! Captures whose link type vigil does not decode (e.g. 802.15.4) must fail
//! with `UnsupportedLinkType` and are counted apart.

use std::path::{Path, PathBuf};
use vigil_capture::{CaptureErrorKind, CaptureReader};

fn corpus_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/corpus/ics-pcap")
}

#[test]
fn ics_corpus_packet_counts() {
    let dir = corpus_dir();
    let manifest = dir.join("MANIFEST.tsv");
    let Ok(text) = std::fs::read_to_string(&manifest) else {
        println!("skipping: corpus not found at {}", manifest.display());
        return;
    };
    let mut checked = 0;
    let mut unsupported = Vec::new();
    let mut failures = Vec::new();
    for line in text.lines().skip(1) {
        let cols: Vec<&str> = line.split('\t').collect();
        let (Some(packets), Some(file)) = (cols.get(4), cols.get(7)) else {
            continue;
        };
        // Duplicate rows have no count of their own.
        let Ok(expected) = packets.trim().parse::<u64>() else {
            continue;
        };
        let path = dir.join(file);
        if !path.is_file() {
            continue;
        }
        let mut count = 0u64;
        let result = CaptureReader::open(&path).and_then(|mut r| {
            while r.next_packet()?.is_some() {
                count += 1;
            }
            Ok(())
        });
        checked += 1;
        match result {
            Ok(()) if count == expected => {}
            Ok(()) => failures.push(format!("{file}: {count} packets, manifest says {expected}")),
            Err(e) if matches!(e.kind, CaptureErrorKind::UnsupportedLinkType(_)) => {
                unsupported.push(e.to_string())
            }
            Err(e) => failures.push(format!("{e} (after {count} of {expected} packets)")),
        }
    }
    println!("checked {checked} corpus captures");
    for u in &unsupported {
        println!("not counted: {u}");
    }
    assert!(
        failures.is_empty(),
        "{} of {checked} captures differ:\n{}",
        failures.len(),
        failures.join("\n")
    );
}
