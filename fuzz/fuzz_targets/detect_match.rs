#![no_main]
//! Rules compiled by the detection engine and run against arbitrary data:
//! the input is rule text, a NUL byte, then the bytes every compiled match
//! program (payload, sticky buffers with their transforms, base64_data)
//! inspects. Nothing may panic, and hostile rules (nested relative
//! matches, catastrophic pcre, deep asn1, huge byte_jump values) must stay
//! within their step and match limits.

use libfuzzer_sys::fuzz_target;
use vigil_detect::Engine;
use vigil_detect::pcre::Scratch;
use vigil_detect::program::{Insp, MAX_VARS, inspect};
use vigil_rules::{Classifications, RuleSet, ThresholdConfig, Vars};

fuzz_target!(|data: &[u8]| {
    let split = data.iter().position(|&b| b == 0).unwrap_or(data.len());
    let (rules, rest) = data.split_at(split);
    let hay = rest.get(1..).unwrap_or(&[]);
    let text = String::from_utf8_lossy(rules);
    let vars = Vars::suricata_default();
    let classes = Classifications::suricata_default();
    let mut set = RuleSet::new();
    set.add_text("fuzz.rules", &text, &vars, &classes);
    let engine = Engine::build(&set.rules, &classes, ThresholdConfig::default(), &vars);
    let mut scratch = Scratch::default();
    let (mut b64, mut out, mut tmp) = (Vec::new(), Vec::new(), Vec::new());
    for s in &engine.sigs {
        for prog in s.payload.iter().chain(&s.bufs).chain(&s.b64) {
            vigil_detect::transform::apply(&prog.transforms, hay, &mut out, &mut tmp, &mut scratch);
            let buf = std::mem::take(&mut out);
            let mut insp = Insp {
                cursor: 0,
                vars: [0; MAX_VARS],
                budget: 0,
                pcre: &mut scratch,
                b64: &mut b64,
                b64_done: false,
            };
            let _ = inspect(&prog.ops, &buf, &mut insp);
            out = buf;
        }
    }
});
