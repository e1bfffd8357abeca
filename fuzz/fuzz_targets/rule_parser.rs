#![no_main]
//! Arbitrary text as a rule file: every rule must load or produce one
//! error, never panic. The same text also goes to the address/port
//! expression parsers and the config-file parsers.

use libfuzzer_sys::fuzz_target;
use vigil_rules::{
    Classifications, ReferenceConfig, RuleSet, ThresholdConfig, Vars, parse_address, parse_port,
    resolve_address, resolve_port,
};

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let mut vars = Vars::suricata_default();
    // Let the input define a variable too (first line), so variable
    // resolution (cycles, nesting) is exercised.
    if let Some(first) = text.lines().next() {
        vars.set_address("FUZZ", first);
        vars.set_port("FUZZ_PORT", first);
    }
    let classes = Classifications::suricata_default();
    let mut set = RuleSet::new();
    set.add_text("fuzz.rules", &text, &vars, &classes);
    let rules = set.loaded();
    assert_eq!(
        set.files.iter().map(|f| f.loaded + f.failed).sum::<usize>(),
        rules + set.failed()
    );
    for r in &set.rules {
        assert!(r.sid != 0);
        let _ = r.to_string();
    }
    for e in &set.errors {
        let _ = e.to_string();
    }
    let _ = set.error_histogram();
    let _ = set.unsupported_histogram();

    if let Ok(a) = parse_address(&text) {
        let _ = resolve_address(&a, &vars);
        let _ = a.to_string();
    }
    if let Ok(p) = parse_port(&text) {
        let _ = resolve_port(&p, &vars);
    }
    let _ = Classifications::parse("fuzz", &text);
    let _ = ReferenceConfig::parse("fuzz", &text);
    let _ = ThresholdConfig::parse("fuzz", &text, &vars);
});
