//! Load rule files and print counts, errors and the not-yet-evaluated
//! keyword histogram (what `vigil rules check` prints).
//!
//! `cargo run --release -p vigil-rules --example rules_check -- FILE...`

use std::time::Instant;
use vigil_rules::{Classifications, RuleSet, Vars};

fn main() {
    let files: Vec<String> = std::env::args().skip(1).collect();
    let t = Instant::now();
    let set = RuleSet::load(
        &files,
        &Vars::suricata_default(),
        &Classifications::suricata_default(),
    );
    let el = t.elapsed();
    for f in &set.files {
        println!(
            "{}: {} loaded, {} failed, {} skipped",
            f.file, f.loaded, f.failed, f.skipped
        );
    }
    for e in &set.errors {
        println!("error: {e}");
    }
    println!(
        "total: {} loaded, {} failed in {:.3} s",
        set.loaded(),
        set.failed(),
        el.as_secs_f64()
    );
    println!("errors by keyword:");
    for (k, n) in set.error_histogram() {
        println!("  {k:30} {n}");
    }
    println!("not yet evaluated keywords (rules using them):");
    for (k, n) in set.unsupported_histogram() {
        println!("  {k:30} {n}");
    }
}
