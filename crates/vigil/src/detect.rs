//! Detection setup for the binary: rule loading (`-S`, `-s`, the
//! configuration's `rule-files`), variables, classification and threshold
//! files, alert output options, and `vigil rules check`.

use crate::config::ConfigMap;
use anyhow::{Context, Result, bail};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;
use vigil_detect::{AlertOptions, Engine};
use vigil_rules::{Classifications, RuleSet, ThresholdConfig, Vars};

/// Detection settings handed to the workers.
#[derive(Clone, Debug)]
pub struct DetectOptions {
    /// The compiled rules.
    pub engine: Arc<Engine>,
    /// What alert records carry.
    pub alert: AlertOptions,
    /// Raw stream inspection chunk sizes (to-server, to-client).
    pub chunk: [u64; 2],
}

/// Variables: Suricata's defaults, then `vars.address-groups` and
/// `vars.port-groups` of the configuration.
pub fn vars_from(conf: &ConfigMap) -> Vars {
    let mut v = Vars::suricata_default();
    for name in conf.child_names("vars.address-groups") {
        if let Some(val) = conf.get(&format!("vars.address-groups.{name}")) {
            v.set_address(&name, val);
        }
    }
    for name in conf.child_names("vars.port-groups") {
        if let Some(val) = conf.get(&format!("vars.port-groups.{name}")) {
            v.set_port(&name, val);
        }
    }
    v
}

fn classifications(conf: &ConfigMap, fatal: bool) -> Result<Classifications> {
    match conf.get("classification-file") {
        Some(path) => match Classifications::load(path) {
            Ok((c, errors)) => {
                if fatal && let Some(e) = errors.first() {
                    bail!("{e}");
                }
                Ok(c)
            }
            Err(e) if fatal => bail!("{e}"),
            Err(e) => {
                eprintln!("vigil: warning: {e}; using the built-in classifications");
                Ok(Classifications::suricata_default())
            }
        },
        None => Ok(Classifications::suricata_default()),
    }
}

fn threshold_config(conf: &ConfigMap, vars: &Vars, fatal: bool) -> Result<ThresholdConfig> {
    let Some(path) = conf.get("threshold-file") else {
        return Ok(ThresholdConfig::default());
    };
    match ThresholdConfig::load(path, vars) {
        Ok((t, errors)) => {
            if let Some(e) = errors.first() {
                if fatal {
                    bail!("{e}");
                }
                eprintln!("vigil: warning: {e}");
            }
            Ok(t)
        }
        // A missing threshold file is not an error for Suricata.
        Err(_) => Ok(ThresholdConfig::default()),
    }
}

/// The rule files to load: `-S` files replace the configuration's
/// `rule-files`; `-s` files are added to them.
pub fn rule_files(conf: &ConfigMap, s_files: &[PathBuf], extra: &[PathBuf]) -> Vec<PathBuf> {
    if !s_files.is_empty() {
        let mut v = s_files.to_vec();
        v.extend(extra.iter().cloned());
        return v;
    }
    let base = conf.get("default-rule-path").map(PathBuf::from);
    let mut v: Vec<PathBuf> = Vec::new();
    for i in conf.child_names("rule-files") {
        if let Some(name) = conf.get(&format!("rule-files.{i}")) {
            let p = Path::new(name);
            v.push(match (&base, p.is_absolute()) {
                (Some(b), false) => b.join(p),
                _ => p.to_path_buf(),
            });
        }
    }
    if !extra.is_empty() {
        v.extend(extra.iter().cloned());
    }
    v
}

/// Alert record options from the eve-log `- alert:` item.
fn alert_options(conf: &ConfigMap) -> AlertOptions {
    let mut o = AlertOptions::default();
    let Some(eve) = conf.output_prefix("eve-log") else {
        return o;
    };
    for i in conf.child_names(&format!("{eve}.types")) {
        let base = format!("{eve}.types.{i}.alert");
        if conf.get(&format!("{eve}.types.{i}")) == Some("alert")
            || !conf.child_names(&base).is_empty()
        {
            let b = |k: &str| conf.get_bool(&format!("{base}.{k}")).ok().flatten();
            o.payload = b("payload").unwrap_or(false);
            o.payload_printable = b("payload-printable").unwrap_or(false);
            o.packet = b("packet").unwrap_or(false);
            o.app_metadata = b("metadata").unwrap_or(true);
            o.tagged_packets = b("tagged-packets").unwrap_or(false);
        }
    }
    o
}

/// Loads and compiles the rules, or `None` when there are none.
pub fn setup(
    conf: &ConfigMap,
    s_files: &[PathBuf],
    extra: &[PathBuf],
    fatal: bool,
    quiet: bool,
    log_dir: Option<&Path>,
) -> Result<Option<DetectOptions>> {
    let files = rule_files(conf, s_files, extra);
    if files.is_empty() {
        return Ok(None);
    }
    let started = Instant::now();
    let vars = vars_from(conf);
    let classes = classifications(conf, fatal)?;
    let mut set = RuleSet::load_compact(&files, &vars, &classes);
    let tconf = threshold_config(conf, &vars, fatal)?;
    let loaded = set.rules.len();
    let engine = Engine::build_owned(std::mem::take(&mut set.rules), &classes, tconf, &vars);
    if let Some(dir) = log_dir {
        write_rule_log(dir, &files, &set, &engine, fatal);
    }
    if fatal && let Some(e) = set.errors.first() {
        bail!("rule error (--init-errors-fatal): {e}");
    }
    for e in set.errors.iter().take(if quiet { 0 } else { 20 }) {
        eprintln!("vigil: rule error: {e}");
    }
    if !quiet && set.errors.len() > 20 {
        eprintln!("vigil: ... {} more rule errors", set.errors.len() - 20);
    }
    if fatal && let Some(s) = engine.skipped.first() {
        bail!(
            "rule {}:{} cannot be evaluated (--init-errors-fatal): {}",
            s.gid,
            s.sid,
            s.reason
        );
    }
    if !quiet {
        eprintln!(
            "vigil: {} rules loaded ({} evaluated, {} not evaluated yet), {} failed, in {:.2} s",
            loaded,
            engine.len(),
            engine.skipped.len(),
            set.errors.len(),
            started.elapsed().as_secs_f64()
        );
    }
    let chunk = |k: &str| conf.get_size(k).ok().flatten().unwrap_or(2560);
    Ok(Some(DetectOptions {
        engine: Arc::new(engine),
        alert: alert_options(conf),
        chunk: [
            chunk("stream.reassembly.toserver-chunk-size"),
            chunk("stream.reassembly.toclient-chunk-size"),
        ],
    }))
}

/// Writes `suricata.log` in the log directory as Suricata reports rule
/// errors, so scripts reading Suricata's log find the same facts (and
/// line counts): per rule that failed to load, the reason then "error
/// parsing signature"; one line per rule that cannot be evaluated; the
/// summary line; and, when rule errors are fatal and vigil stops on them,
/// "Loading signatures failed.".
fn write_rule_log(dir: &Path, files: &[PathBuf], set: &RuleSet, engine: &Engine, fatal: bool) {
    use std::fmt::Write as _;
    let mut out = String::new();
    for e in &set.errors {
        let reason = clip_for_log(&e.message);
        match &e.keyword {
            Some(k) => {
                let _ = writeln!(
                    out,
                    "Error: detect: keyword '{}': {reason}",
                    clip_for_log(k)
                );
            }
            None => {
                let _ = writeln!(out, "Error: detect: {reason}");
            }
        }
        let _ = writeln!(
            out,
            "Error: detect: error parsing signature from file {} at line {}",
            e.file, e.line
        );
    }
    for s in &engine.skipped {
        let _ = writeln!(
            out,
            "Error: detect: error parsing signature {}:{}: {}",
            s.gid, s.sid, s.reason
        );
    }
    let _ = writeln!(
        out,
        "Info: detect: {} rule files processed. {} rules successfully loaded, {} rules failed",
        files.len(),
        engine.len(),
        set.errors.len() + engine.skipped.len()
    );
    // vigil stops on both kinds of rule with --init-errors-fatal.
    if fatal && !(set.errors.is_empty() && engine.skipped.is_empty()) {
        let _ = writeln!(out, "Error: suricata: Loading signatures failed.");
    }
    if std::fs::create_dir_all(dir).is_ok() {
        let _ = std::fs::write(dir.join("suricata.log"), out);
    }
}

/// Writes `rules.json` (Suricata's engine analysis of each rule, one JSON
/// object a line) with the fields vigil knows: `id`, `gid`, `rev`, `msg`
/// and Suricata's signature `type` (`ip_only`, `pkt`, `stream`, `app_tx`,
/// ...). Rules vigil cannot evaluate are not listed.
pub fn write_rules_json(dir: &Path, engine: &Engine) -> Result<()> {
    let mut out = Vec::new();
    for s in &engine.sigs {
        let mut w = vigil_eve::JsonWriter::new(&mut out);
        w.open_object();
        w.uint("id", u64::from(s.sid));
        w.uint("gid", u64::from(s.gid));
        w.uint("rev", u64::from(s.rev));
        w.string("msg", &s.msg);
        w.string("type", s.analysis_type);
        w.close_object();
        out.push(b'\n');
    }
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    let path = dir.join("rules.json");
    std::fs::write(&path, out).with_context(|| format!("writing {}", path.display()))?;
    Ok(())
}

/// Rule text echoed into the log, shortened so a hostile rule cannot
/// produce a huge line.
fn clip_for_log(s: &str) -> &str {
    const MAX: usize = 512;
    if s.len() <= MAX {
        return s;
    }
    let mut end = MAX;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    s.get(..end).unwrap_or("")
}

/// `vigil rules check FILE...`: loaded/failed counts, the errors, and the
/// keywords not evaluated yet. Exit status 1 when a rule failed to load.
pub fn rules_check(conf: &ConfigMap, files: &[PathBuf], verbose: bool) -> Result<bool> {
    if files.is_empty() {
        bail!("rules check: give one or more rule files");
    }
    let started = Instant::now();
    let vars = vars_from(conf);
    let classes = Classifications::suricata_default();
    let mut set = RuleSet::load_compact(files, &vars, &classes);
    let parsed = started.elapsed();
    let loaded = set.rules.len();
    let engine = Engine::build_owned(
        std::mem::take(&mut set.rules),
        &classes,
        ThresholdConfig::default(),
        &vars,
    );
    let built = started.elapsed();
    for f in &set.files {
        println!("{}: {} loaded, {} failed", f.file, f.loaded, f.failed);
    }
    println!(
        "total: {} loaded, {} failed; {} evaluated, {} not evaluated yet (parse {:.2} s, compile {:.2} s)",
        loaded,
        set.errors.len(),
        engine.len(),
        engine.skipped.len(),
        parsed.as_secs_f64(),
        (built - parsed).as_secs_f64()
    );
    let k = engine.kind_counts();
    println!(
        "rule kinds: {} ip-only, {} protocol-detection-only, {} packet, {} payload/stream, {} application",
        k[0], k[1], k[2], k[3], k[4]
    );
    if !set.errors.is_empty() {
        println!("errors by category:");
        for (cat, n) in set.error_histogram() {
            println!("  {n:6}  {cat}");
        }
        let shown = if verbose { set.errors.len() } else { 20 };
        for e in set.errors.iter().take(shown) {
            println!("  {e}");
        }
        if set.errors.len() > shown {
            println!(
                "  ... {} more (use -v to list all)",
                set.errors.len() - shown
            );
        }
    }
    // Not evaluated yet: by keyword (or reason).
    let mut hist: std::collections::BTreeMap<String, usize> = Default::default();
    for s in &engine.skipped {
        let key = s
            .reason
            .strip_prefix("keyword '")
            .and_then(|r| r.split('\'').next())
            .map(|k| k.to_string())
            .unwrap_or_else(|| s.reason.clone());
        *hist.entry(key).or_default() += 1;
    }
    if !hist.is_empty() {
        let mut v: Vec<(String, usize)> = hist.into_iter().collect();
        v.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
        println!("not evaluated yet (rules per keyword or reason):");
        for (k, n) in v {
            println!("  {n:6}  {k}");
        }
    }
    Ok(set.errors.is_empty())
}

/// Reads `path` to check it exists (for early, clear errors).
pub fn check_readable(path: &Path) -> Result<()> {
    std::fs::metadata(path)
        .map(|_| ())
        .with_context(|| format!("cannot read rule file {}", path.display()))
}

/// The `fast.log` file name when the configuration enables the `fast`
/// output.
pub fn fast_log_name(conf: &ConfigMap) -> Option<String> {
    let prefix = conf.output_prefix("fast")?;
    if conf.get_bool(&format!("{prefix}.enabled")).ok().flatten() == Some(false) {
        return None;
    }
    Some(
        conf.get(&format!("{prefix}.filename"))
            .unwrap_or("fast.log")
            .to_string(),
    )
}

/// Writes Suricata's one-line `fast.log` format from the alert records of
/// `eve` (run after the EVE file is complete).
pub fn write_fast_log(eve: &Path, fast: &Path) -> Result<()> {
    use std::io::{BufRead, Write};
    let f = std::fs::File::open(eve).with_context(|| format!("cannot read {}", eve.display()))?;
    let mut out = std::io::BufWriter::new(
        std::fs::File::create(fast).with_context(|| format!("cannot create {}", fast.display()))?,
    );
    for line in std::io::BufReader::new(f).lines() {
        let line = line?;
        if !line.contains("\"event_type\":\"alert\"") {
            continue;
        }
        let Ok(v) = serde_json::from_str::<serde_json::Value>(&line) else {
            continue;
        };
        let a = &v["alert"];
        let ts = v["timestamp"].as_str().unwrap_or("");
        // 2016-07-13T22:42:07.573103+0000 -> 07/13/2016-22:42:07.573103
        let fast_ts = match (ts.get(0..4), ts.get(5..7), ts.get(8..10), ts.get(11..26)) {
            (Some(y), Some(m), Some(d), Some(t)) => format!("{m}/{d}/{y}-{t}"),
            _ => ts.to_string(),
        };
        let endpoint = |ip: &str, port: &str| match v[port].as_u64() {
            Some(p) => format!("{}:{p}", v[ip].as_str().unwrap_or("")),
            None => v[ip].as_str().unwrap_or("").to_string(),
        };
        let category = a["category"].as_str().unwrap_or("");
        writeln!(
            out,
            "{fast_ts}  [**] [{}:{}:{}] {} [**] [Classification: {}] [Priority: {}] {{{}}} {} -> {}",
            a["gid"],
            a["signature_id"],
            a["rev"],
            a["signature"].as_str().unwrap_or(""),
            if category.is_empty() {
                "(null)"
            } else {
                category
            },
            a["severity"],
            v["proto"].as_str().unwrap_or(""),
            endpoint("src_ip", "src_port"),
            endpoint("dest_ip", "dest_port"),
        )?;
    }
    out.flush()?;
    Ok(())
}
