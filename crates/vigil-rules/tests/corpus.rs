//! ET Open corpus: every rule loads or gets one precise error; vigil loads at
//! least as many as Suricata 7.0.10 (`peer-suricata run -T -S FILE`, numbers
//! measured per file, see ET-OPEN.md). Skips when ../shared/corpus is absent.

use std::path::{Path, PathBuf};
use vigil_rules::{Classifications, RuleSet, Vars};

fn corpus() -> Option<PathBuf> {
    let p = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/corpus/et-open");
    p.is_dir().then_some(p)
}

/// (directory, rules Suricata 7.0.10 loads, most failures vigil may have).
const SETS: &[(&str, usize, usize)] = &[
    ("2025-08-22_suricata-5.0-enhanced_partial", 15_021, 0),
    ("2024-04-21_supplement_large-files", 10_868, 0),
    ("2019-04-15_suricata-4.0-enhanced_complete", 19_468, 2),
];

#[test]
fn et_open_loads_like_suricata() {
    let Some(root) = corpus() else {
        eprintln!("skipping: ../shared/corpus/et-open not found");
        return;
    };
    for (dir, peer_loaded, max_failed) in SETS {
        let d = root.join(dir);
        let mut files: Vec<PathBuf> = std::fs::read_dir(&d)
            .unwrap_or_else(|e| panic!("{}: {e}", d.display()))
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|x| x == "rules"))
            .collect();
        files.sort();
        let classes = match Classifications::load(d.join("classification.config")) {
            Ok((c, errs)) => {
                assert!(errs.is_empty(), "{errs:?}");
                c
            }
            Err(_) => Classifications::suricata_default(),
        };
        let set = RuleSet::load(&files, &Vars::suricata_default(), &classes);
        println!(
            "{dir}: {} files, {} loaded (Suricata: {peer_loaded}), {} failed",
            files.len(),
            set.loaded(),
            set.failed()
        );
        for (k, n) in set.error_histogram() {
            println!("  error {k}: {n}");
        }
        for e in set.errors.iter().take(20) {
            println!("  {e}");
        }
        for (k, n) in set.unsupported_histogram() {
            println!("  not evaluated yet: {k}: {n} rules");
        }
        // Every active rule is accounted for: loaded or one error.
        for f in &set.files {
            let text = std::fs::read_to_string(&f.file).unwrap_or_default();
            let active = vigil_rules::split_rules(&text).len();
            assert_eq!(f.loaded + f.failed + f.skipped, active, "{}", f.file);
        }
        assert!(
            set.failed() <= *max_failed,
            "{dir}: {} failed",
            set.failed()
        );
        assert!(
            set.loaded() >= *peer_loaded,
            "{dir}: {} loaded",
            set.loaded()
        );
    }
}

/// Every threshold.config, classification.config and reference.config of
/// suricata-verify parses without errors.
#[test]
fn suricata_verify_config_files_parse() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/corpus/suricata-verify");
    if !root.is_dir() {
        eprintln!("skipping: ../shared/corpus/suricata-verify not found");
        return;
    }
    let mut stack = vec![root.clone()];
    let (mut n, mut errors) = (0, Vec::new());
    let mut vars = Vars::suricata_default();
    // Defined by those tests' suricata.yaml.
    vars.set_address("SUPPRESS", "[10.0.0.0/8,20.0.0.0/16,145.0.0.0/8]");
    while let Some(d) = stack.pop() {
        let Ok(rd) = std::fs::read_dir(&d) else {
            continue;
        };
        for e in rd.flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
                continue;
            }
            let name = p.file_name().and_then(|n| n.to_str()).unwrap_or("");
            let errs = match name {
                "threshold.config" => vigil_rules::ThresholdConfig::load(&p, &vars).map(|r| r.1),
                "classification.config" => Classifications::load(&p).map(|r| r.1),
                "reference.config" => vigil_rules::ReferenceConfig::load(&p).map(|r| r.1),
                _ => continue,
            };
            n += 1;
            match errs {
                Ok(v) => errors.extend(v.into_iter().map(|e| e.to_string())),
                Err(e) => errors.push(e.to_string()),
            }
        }
    }
    println!("{n} config files, {} errors", errors.len());
    for e in &errors {
        println!("  {e}");
    }
    assert!(n > 0);
    assert!(errors.is_empty());
}
