//! vigil: a network security monitor for IT and OT networks.
//!
//! The command line speaks Suricata's offline flags so vigil drops into
//! existing scripts and test suites.

mod config;
mod detect;
mod goose;
mod output;
mod runtime;
mod stats;
mod worker;

use anyhow::{Context, Result, bail};
use clap::Parser;
use config::ConfigMap;
use std::path::PathBuf;
use std::process::ExitCode;
use vigil_flow::FlowConfig;
use vigil_flow::defrag::DefragConfig;
use vigil_flow::eve::FlowRecordOptions;
use worker::WorkerOptions;

/// vigil reads packet captures, tracks flows and reassembles TCP, and writes
/// Suricata-compatible EVE JSON (flow, anomaly and stats records) to
/// LOG_DIR/eve.json.
#[derive(Parser, Debug)]
#[command(name = "vigil", disable_version_flag = true, after_help = EXAMPLES)]
struct Cli {
    /// Read packets from a pcap or pcapng file ("-" for stdin).
    #[arg(short = 'r', value_name = "FILE")]
    read: Option<PathBuf>,

    /// Capture live from an interface (not available yet).
    #[arg(short = 'i', value_name = "IFACE")]
    interface: Option<String>,

    /// Directory for eve.json (created if missing).
    #[arg(short = 'l', value_name = "DIR", default_value = "vigil-out")]
    log_dir: PathBuf,

    /// Rule files to load (replace the configuration's rule-files).
    #[arg(short = 'S', value_name = "RULES")]
    rules: Vec<PathBuf>,

    /// Rule file to add to those of the configuration (Suricata's -s).
    #[arg(short = 's', value_name = "RULES")]
    extra_rules: Vec<PathBuf>,

    /// Run without the detection engine.
    #[arg(long = "disable-detection")]
    disable_detection: bool,

    /// Checksum validation: "none" or "all" (accepted; vigil does not drop
    /// packets for bad checksums).
    #[arg(short = 'k', value_name = "none|all")]
    checksum: Option<String>,

    /// Suricata-style YAML configuration (the parts vigil understands).
    #[arg(short = 'c', value_name = "FILE")]
    config: Option<PathBuf>,

    /// Override a configuration key, e.g. --set stream.midstream=true.
    #[arg(long = "set", value_name = "KEY=VALUE")]
    set: Vec<String>,

    /// Treat any configuration or rule error as fatal.
    #[arg(long = "init-errors-fatal")]
    init_errors_fatal: bool,

    /// Suricata run mode: single (1 worker), autofp or workers (--workers N,
    /// default: number of CPUs).
    #[arg(long = "runmode", value_name = "MODE")]
    runmode: Option<String>,

    /// Number of worker threads (default 1; output is byte-for-byte
    /// deterministic with one worker).
    #[arg(long = "workers", value_name = "N")]
    workers: Option<usize>,

    /// Do not show a progress bar.
    #[arg(long = "no-progress")]
    no_progress: bool,

    /// Print nothing but errors.
    #[arg(short = 'q', long = "quiet")]
    quiet: bool,

    /// Print the version and exit.
    #[arg(short = 'V', long = "version")]
    version: bool,

    /// Print build information and exit.
    #[arg(long = "build-info")]
    build_info: bool,

    /// Suricata's --simulate-ips: only makes the stream inline (as
    /// `stream.inline: auto` does in IPS mode); no packet is dropped.
    #[arg(long = "simulate-ips", hide = true, action = clap::ArgAction::Count)]
    simulate_ips: u8,
    /// Load the rules, report on them and exit (Suricata's
    /// --engine-analysis; vigil prints the `rules check` summary).
    #[arg(long = "engine-analysis", hide = true)]
    engine_analysis: bool,

    /// Test the configuration and rules, then exit: loads and compiles
    /// every rule as a run would (Suricata's -T); exit 1 on a rule error
    /// with --init-errors-fatal.
    #[arg(short = 'T', long = "test-config")]
    test_config: bool,
    #[arg(short = 'v', action = clap::ArgAction::Count, hide = true)]
    verbose: u8,

    #[command(subcommand)]
    command: Option<Command>,
}

/// Native subcommands.
#[derive(clap::Subcommand, Debug)]
enum Command {
    /// Rule tools.
    Rules {
        #[command(subcommand)]
        cmd: RulesCmd,
    },
}

/// `vigil rules ...`.
#[derive(clap::Subcommand, Debug)]
enum RulesCmd {
    /// Load rule files and print loaded/failed counts, the errors, and the
    /// keywords vigil does not evaluate yet (exit 1 when a rule failed).
    Check {
        /// Rule files.
        #[arg(value_name = "FILE", required = true)]
        files: Vec<PathBuf>,
        /// List every error.
        #[arg(short = 'v', long = "verbose")]
        verbose: bool,
    },
}

const EXAMPLES: &str = "Examples:
  vigil -r capture.pcap                 # flows, anomalies, stats into ./vigil-out/eve.json
  vigil -r capture.pcapng -l /tmp/out --workers 2
  tcpdump -w - | vigil -r -             # read from stdin

Exit codes: 0 success; 1 fatal error (bad input, unreadable config), with the
reason on stderr; 2 bad command line.";

fn main() -> ExitCode {
    let cli = Cli::parse();
    match real_main(cli) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("vigil: error: {e:#}");
            ExitCode::from(1)
        }
    }
}

fn build_info() -> String {
    format!(
        "vigil {}\nfeatures: pcap, pcapng, ethernet, sll, sll2, null, raw-ip, vlan, qinq, mpls, pppoe, gre, vxlan, ipv4, ipv6, ip-defrag, tcp-reassembly, eve-json, community-id\nprefilter: {}\nregex: PCRE2 (bundled, JIT)\ntarget: {} {}\n",
        env!("CARGO_PKG_VERSION"),
        vigil_detect::prefilter_backend(),
        std::env::consts::ARCH,
        std::env::consts::OS,
    )
}

/// The configuration file (or the defaults) with the `--set` overrides.
fn config_with_overrides(cli: &Cli) -> Result<ConfigMap> {
    let mut conf = match &cli.config {
        Some(path) => ConfigMap::load_file(path)?,
        None => ConfigMap::default(),
    };
    for s in &cli.set {
        conf.set(s)?;
    }
    Ok(conf)
}

fn real_main(cli: Cli) -> Result<ExitCode> {
    if cli.version {
        println!("This is vigil version {}", env!("CARGO_PKG_VERSION"));
        return Ok(ExitCode::SUCCESS);
    }
    if cli.build_info {
        print!("{}", build_info());
        return Ok(ExitCode::SUCCESS);
    }
    if let Some(Command::Rules {
        cmd: RulesCmd::Check { files, verbose },
    }) = &cli.command
    {
        let conf = match &cli.config {
            Some(path) => ConfigMap::load_file(path)?,
            None => ConfigMap::default(),
        };
        let ok = detect::rules_check(&conf, files, *verbose)?;
        return Ok(if ok {
            ExitCode::SUCCESS
        } else {
            ExitCode::from(1)
        });
    }
    if cli.test_config {
        let conf = config_with_overrides(&cli)?;
        for f in cli.rules.iter().chain(&cli.extra_rules) {
            detect::check_readable(f)?;
        }
        let loaded = detect::setup(
            &conf,
            &cli.rules,
            &cli.extra_rules,
            cli.init_errors_fatal,
            cli.quiet,
            None,
        )?;
        if loaded.is_none() && !cli.quiet {
            eprintln!("vigil: configuration OK, no rule files");
        } else if !cli.quiet {
            eprintln!("vigil: configuration OK");
        }
        return Ok(ExitCode::SUCCESS);
    }
    if cli.engine_analysis {
        let conf = config_with_overrides(&cli)?;
        let files = detect::rule_files(&conf, &cli.rules, &cli.extra_rules);
        let loaded = detect::setup(
            &conf,
            &files,
            &[],
            cli.init_errors_fatal,
            true,
            Some(&cli.log_dir),
        )?;
        if let Some(d) = loaded {
            detect::write_rules_json(&cli.log_dir, &d.engine)?;
        }
        return Ok(ExitCode::SUCCESS);
    }
    if cli.interface.is_some() {
        bail!("live capture (-i) is not available in this build; read a capture file with -r");
    }
    let Some(input) = cli.read.clone() else {
        bail!("nothing to read: give a capture file with -r FILE (see --help)");
    };
    if let Some(k) = &cli.checksum
        && k != "none"
        && k != "all"
    {
        bail!("-k expects 'none' or 'all', got '{k}'");
    }

    let mut conf = match &cli.config {
        Some(path) => match ConfigMap::load_file(path) {
            Ok(c) => c,
            Err(e) if !cli.init_errors_fatal => {
                eprintln!("vigil: warning: {e:#}; using built-in defaults");
                ConfigMap::default()
            }
            Err(e) => return Err(e),
        },
        None => ConfigMap::default(),
    };
    for s in &cli.set {
        conf.set(s)?;
    }
    let mut options = worker_options(&conf, cli.simulate_ips > 0)?;
    let workers = match (cli.workers, cli.runmode.as_deref()) {
        (Some(0), _) => bail!("--workers must be at least 1"),
        (Some(n), _) => n,
        (None, None | Some("single")) => 1,
        (None, Some("autofp" | "workers")) => {
            std::thread::available_parallelism().map_or(1, |n| n.get())
        }
        (None, Some(other)) => bail!("unknown --runmode '{other}' (single, autofp or workers)"),
    };
    if !cli.disable_detection {
        for f in cli.rules.iter().chain(&cli.extra_rules) {
            detect::check_readable(f)?;
        }
        options.detect = detect::setup(
            &conf,
            &cli.rules,
            &cli.extra_rules,
            cli.init_errors_fatal,
            cli.quiet,
            Some(&cli.log_dir),
        )?;
    }

    if !vigil_proto::ot::modbus::configure_request_flood(
        conf.get("app-layer.protocols.modbus.request-flood"),
    ) {
        bail!("app-layer.protocols.modbus.request-flood: expected a number");
    }
    {
        // TLS fingerprints and HASSH: as configured, else turned on by rules
        // that use them (Suricata's "auto").
        let uses = |names: &[&str]| {
            options.detect.as_ref().is_some_and(|d| {
                d.engine
                    .sigs
                    .iter()
                    .any(|s| s.bufs.iter().any(|b| names.contains(&b.name)))
            })
        };
        vigil_proto::it::tls::configure_fingerprints(
            conf.get("app-layer.protocols.tls.ja3-fingerprints"),
            conf.get("app-layer.protocols.tls.ja4-fingerprints"),
            uses(&["ja3.hash", "ja3.string", "ja3s.hash", "ja3s.string"]),
            uses(&["ja4.hash"]),
        );
        vigil_proto::it::ssh::configure_hassh(
            conf.get("app-layer.protocols.ssh.hassh"),
            uses(&[
                "ssh.hassh",
                "ssh.hassh.string",
                "ssh.hassh.server",
                "ssh.hassh.server.string",
            ]),
        );
    }
    // FTP's longest line (Suricata's `app-layer.protocols.ftp.max-line-length`).
    if let Some(len) = conf.get_size("app-layer.protocols.ftp.max-line-length")? {
        vigil_proto::it::ftp::set_max_line_len(usize::try_from(len).unwrap_or(usize::MAX));
    }
    configure_smtp_mime(&conf)?;
    let run_config = runtime::RunConfig {
        input: input.clone(),
        log_dir: cli.log_dir.clone(),
        workers,
        worker: options,
        progress: !cli.no_progress && !cli.quiet,
    };
    let summary = runtime::run(&run_config)?;
    if run_config.worker.detect.is_some()
        && let Some(name) = detect::fast_log_name(&conf)
    {
        detect::write_fast_log(&summary.eve_path, &cli.log_dir.join(name))?;
    }
    if !cli.quiet {
        let secs = summary.elapsed.as_secs_f64();
        let rate = if secs > 0.0 {
            summary.packets as f64 / secs
        } else {
            0.0
        };
        eprintln!(
            "vigil: {}: {} packets, {} bytes, {} flows, {} transactions, {} alerts, {} decoder events in {:.2} s ({:.0} packets/s); records in {}",
            input.display(),
            summary.packets,
            summary.bytes,
            summary.flows,
            summary.app_records,
            summary.alerts,
            summary.decode_events,
            secs,
            rate,
            summary.eve_path.display(),
        );
    }
    if let Some(err) = summary.input_error {
        eprintln!("vigil: error: {err} (everything before it was processed and written)");
        return Ok(ExitCode::from(1));
    }
    Ok(ExitCode::SUCCESS)
}

/// Builds worker options from the configuration keys vigil understands.
fn worker_options(conf: &ConfigMap, ips_mode: bool) -> Result<WorkerOptions> {
    let mut flow = FlowConfig::default();
    if let Some(m) = conf.get_size("flow.memcap")? {
        flow.memcap = usize::try_from(m).context("flow.memcap too large")?;
    }
    for (class, name) in [("default", 0), ("tcp", 1), ("udp", 2), ("icmp", 3)] {
        let t = match name {
            0 => &mut flow.timeouts.default,
            1 => &mut flow.timeouts.tcp,
            2 => &mut flow.timeouts.udp,
            _ => &mut flow.timeouts.icmp,
        };
        for (key, slot) in [
            ("new", &mut t.new),
            ("established", &mut t.established),
            ("closed", &mut t.closed),
        ] {
            if let Some(v) = conf.get_u64(&format!("flow-timeouts.{class}.{key}"))? {
                *slot = u32::try_from(v).context("flow timeout too large")?;
            }
        }
    }
    if let Some(m) = conf.get_bool("stream.midstream")? {
        flow.tcp.midstream = m;
    }
    if let Some(oneside) = conf.get_bool("stream.async-oneside")? {
        flow.tcp.async_oneside = oneside;
    }
    // Inline mode inspects data as it arrives; IDS mode (the default for
    // capture files) once the other side acknowledges it. Suricata's
    // default (`auto`, also when the key is absent) is inline in IPS mode.
    let inline = match conf.get("stream.inline") {
        Some(v) if v.eq_ignore_ascii_case("auto") => ips_mode,
        Some(v) => v.eq_ignore_ascii_case("yes") || v == "true",
        None => ips_mode,
    };
    if inline {
        flow.tcp.delivery = vigil_flow::tcp::Delivery::Immediate;
    }
    if let Some(d) = conf.get_size("stream.reassembly.depth")? {
        flow.tcp.reassembly_depth = d;
    }
    let mut defrag = DefragConfig {
        // Suricata's shipped host-os-policy maps 0.0.0.0/0 to windows.
        host_policies: vec![(
            std::net::IpAddr::V4(std::net::Ipv4Addr::UNSPECIFIED),
            0,
            vigil_flow::defrag::DefragPolicy::Windows,
        )],
        ..DefragConfig::default()
    };
    if let Some(m) = conf.get_size("defrag.memcap")? {
        defrag.memcap = usize::try_from(m).context("defrag.memcap too large")?;
    }
    if let Some(t) = conf.get_u64("defrag.timeout")? {
        defrag.timeout_secs = u32::try_from(t).context("defrag.timeout too large")?;
    }
    let stream_memcap = match conf.get_size("stream.reassembly.memcap")? {
        Some(m) => usize::try_from(m).context("stream.reassembly.memcap too large")?,
        None => 256 << 20,
    };
    let eve = conf.output_prefix("eve-log");
    let eve_key = |k: &str| eve.as_ref().map(|p| format!("{p}.{k}"));
    let community_id = match eve_key("community-id") {
        Some(k) => conf.get_bool(&k)?.unwrap_or(false),
        None => true,
    };
    let seed = match eve_key("community-id-seed") {
        Some(k) => conf.get_u64(&k)?.unwrap_or(0),
        None => 0,
    };
    let types = match &eve {
        // With a Suricata config, follow its eve-log types list.
        Some(prefix) => eve_types(conf, prefix)?,
        // Built-in default: everything vigil produces.
        None => EveTypes {
            flows: true,
            decode: true,
            stream: false,
            applayer: true,
            app_records: None,
        },
    };
    let app_layer = conf.get_bool("app-layer.enabled")?.unwrap_or(true);
    let midstream = flow.tcp.midstream;
    Ok(WorkerOptions {
        flow,
        defrag,
        stream_memcap,
        log_flows: types.flows,
        log_decode_anomalies: types.decode,
        log_stream_anomalies: types.stream,
        log_app_anomalies: types.applayer,
        app_layer,
        app_record_types: types.app_records,
        detection: vigil_proto::DetectionConfig {
            midstream,
            ..Default::default()
        },
        flow_record: FlowRecordOptions {
            community_id_seed: community_id.then_some(u16::try_from(seed).unwrap_or(0)),
        },
        detect: None,
    })
}

/// Hands a protocol's eve-log options (`- dns: {types: [a]}`,
/// `- dhcp: {extended: yes}`) to its logger.
fn app_log_options(conf: &ConfigMap, key: &str, name: &str) -> Result<()> {
    match name {
        "dns" => {
            let mut c = vigil_proto::it::dns::DnsLogConfig::default();
            for (k, slot) in [
                ("requests", &mut c.requests),
                ("responses", &mut c.responses),
            ] {
                if let Some(v) = conf.get_bool(&format!("{key}.{k}"))? {
                    *slot = v;
                }
            }
            let list = |k: &str| -> Option<Vec<String>> {
                let base = format!("{key}.{k}");
                let items: Vec<String> = conf
                    .child_names(&base)
                    .iter()
                    .filter_map(|i| conf.get(&format!("{base}.{i}")).map(str::to_string))
                    .collect();
                // A list, or a key naming one value.
                match conf.get(&base) {
                    Some(v) => Some(vec![v.to_string()]),
                    None if items.is_empty() => None,
                    None => Some(items),
                }
            };
            // An empty `formats:` means both, as in Suricata.
            if let Some(formats) = list("formats") {
                c.detailed = formats.iter().any(|f| f == "detailed");
                c.grouped = formats.iter().any(|f| f == "grouped");
            }
            if let Some(types) = list("types") {
                c.types = Some(
                    types
                        .iter()
                        .filter_map(|t| vigil_proto::it::dns::DnsLogConfig::type_from_name(t))
                        .collect(),
                );
            }
            vigil_proto::it::dns::set_log_config(c);
        }
        "dhcp" => {
            let extended = conf.get_bool(&format!("{key}.extended"))?.unwrap_or(false);
            vigil_proto::it::dhcp::set_extended(extended);
        }
        "smtp" => {
            let items = |k: &str| -> Vec<String> {
                let base = format!("{key}.{k}");
                conf.child_names(&base)
                    .iter()
                    .filter_map(|i| conf.get(&format!("{base}.{i}")).map(str::to_string))
                    .collect()
            };
            let md5 = items("md5");
            // `extended` is read and then reset by Suricata 7.0.10's email
            // logger setup: it has no effect there, and none here.
            vigil_proto::it::smtp::set_log_config(vigil_proto::it::smtp::LogConfig {
                extended: false,
                custom: items("custom"),
                body_md5: md5.iter().any(|m| m == "body"),
                subject_md5: md5.iter().any(|m| m == "subject"),
            });
        }
        _ => {}
    }
    Ok(())
}

/// SMTP's MIME decoding (Suricata's `app-layer.protocols.smtp.mime`).
fn configure_smtp_mime(conf: &ConfigMap) -> Result<()> {
    let base = "app-layer.protocols.smtp.mime";
    let mut mime = vigil_proto::it::smtp::mime::MimeConfig::default();
    let mut decode_mime = true;
    if let Some(v) = conf.get_bool(&format!("{base}.decode-mime"))? {
        decode_mime = v;
    }
    for (k, slot) in [
        ("decode-base64", &mut mime.decode_base64),
        ("decode-quoted-printable", &mut mime.decode_quoted_printable),
        ("extract-urls", &mut mime.extract_urls),
        ("log-url-scheme", &mut mime.log_url_scheme),
        ("body-md5", &mut mime.body_md5),
    ] {
        if let Some(v) = conf.get_bool(&format!("{base}.{k}"))? {
            *slot = v;
        }
    }
    if let Some(depth) = conf.get_u64(&format!("{base}.header-value-depth"))?
        && depth > 0
    {
        mime.header_value_depth = usize::try_from(depth).unwrap_or(usize::MAX);
    }
    let schemes_key = format!("{base}.extract-urls-schemes");
    let schemes: Vec<Vec<u8>> = conf
        .child_names(&schemes_key)
        .iter()
        .filter_map(|i| conf.get(&format!("{schemes_key}.{i}")))
        .map(|s| format!("{s}://").into_bytes())
        .collect();
    if !schemes.is_empty() {
        mime.extract_urls_schemes = schemes;
    }
    vigil_proto::it::smtp::set_mime_config(decode_mime, mime);
    Ok(())
}

/// What the eve-log `types:` list enables.
struct EveTypes {
    flows: bool,
    decode: bool,
    stream: bool,
    applayer: bool,
    /// Application record types listed (`dns`, `http`, ...).
    app_records: Option<Vec<String>>,
}

/// Reads `types:` of a Suricata eve-log output: flow records, anomaly
/// records (decode / stream / applayer) and application record types.
fn eve_types(conf: &ConfigMap, prefix: &str) -> Result<EveTypes> {
    let mut t = EveTypes {
        flows: false,
        decode: false,
        stream: false,
        applayer: false,
        app_records: Some(Vec::new()),
    };
    for i in 0..128 {
        let base = format!("{prefix}.types.{i}");
        // An item is either a plain name ("- flow") or a map ("- dns: {...}").
        let name = match conf.get(&base) {
            Some(n) => Some(n.to_string()),
            None => conf.child_names(&base).into_iter().next(),
        };
        let Some(name) = name else { continue };
        let enabled = conf
            .get_bool(&format!("{base}.{name}.enabled"))?
            .unwrap_or(true);
        match name.as_str() {
            "flow" => t.flows = enabled,
            "anomaly" => {
                // Suricata's defaults: decode and stream off, applayer on.
                t.decode = enabled
                    && conf
                        .get_bool(&format!("{base}.anomaly.types.decode"))?
                        .unwrap_or(false);
                t.stream = enabled
                    && conf
                        .get_bool(&format!("{base}.anomaly.types.stream"))?
                        .unwrap_or(false);
                t.applayer = enabled
                    && conf
                        .get_bool(&format!("{base}.anomaly.types.applayer"))?
                        .unwrap_or(true);
            }
            other if enabled => {
                app_log_options(conf, &format!("{base}.{other}"), other)?;
                if let Some(list) = t.app_records.as_mut() {
                    list.push(other.to_string());
                    // Suricata's `ftp` logger writes `ftp_data` records too,
                    // and `files` writes `fileinfo` records.
                    match other {
                        "ftp" => list.push("ftp_data".to_string()),
                        "files" => list.push("fileinfo".to_string()),
                        _ => {}
                    }
                }
            }
            _ => {}
        }
    }
    Ok(t)
}
