//! The TLS state keywords end to end on a corpus capture (suricata-verify's
//! `tls/tls-certs-alert`, a TLS 1.2 session): the packet each rule alerts
//! on and its direction, as Suricata 7.0.10 reports them for the same rules
//! and capture (per-packet inspection of the session state, at most once
//! per direction). Skips when the corpus (`../shared/corpus`) is absent.

mod common;

use common::{TempDir, run_file};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// Alerts of a rule: (pcap_cnt, direction).
type Alerts = &'static [(u64, &'static str)];

/// (sid, options, alerts) as the reference reports them.
const RULES: &[(u64, &str, Alerts)] = &[
    (1, "ssl_state:client_hello;", &[(5, "to_client")]),
    (
        2,
        "ssl_state:server_hello;",
        &[(7, "to_server"), (8, "to_client")],
    ),
    (3, "ssl_state:client_keyx;", &[(13, "to_client")]),
    (4, "ssl_state:server_keyx;", &[(11, "to_server")]),
    (5, "flow:to_server; ssl_state:client_hello;", &[]),
    (
        6,
        "ssl_state:client_hello,!server_hello;",
        &[(5, "to_client"), (11, "to_server")],
    ),
    (
        7,
        "ssl_version:tls1.2;",
        &[(7, "to_server"), (8, "to_client")],
    ),
    (8, "ssl_version:!tls1.2;", &[]),
    (9, "flow:to_server; tls.version:1.2;", &[(7, "to_server")]),
    (10, "tls_cert_valid;", &[(13, "to_client")]),
    (11, "tls_cert_expired;", &[]),
    (12, "tls_cert_notafter:>2015-01-01;", &[(13, "to_client")]),
    (
        13,
        "tls_cert_notbefore:2000-01-01<>2030-01-01;",
        &[(13, "to_client")],
    ),
    (14, "tls.subject:\"CN=\";", &[(13, "to_client")]),
    (15, "tls.subject:!\"CN=nomatch\";", &[(13, "to_client")]),
    (16, "tls.cert_chain_len:>0;", &[(13, "to_client")]),
    (17, "tls.version:1.3;", &[]),
    // The client hello matched at packet 5 is remembered until the
    // certificate is ready (Suricata keeps the inspection lists that
    // matched); a server key exchange seen to the server is not.
    (
        18,
        "ssl_state:client_hello; tls.subject:\"CN=\";",
        &[(13, "to_client")],
    ),
    (19, "ssl_state:server_keyx; tls.subject:\"CN=\";", &[]),
];

fn corpus() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/corpus/suricata-verify/tests")
}

#[test]
fn tls_state_keywords_alert_where_suricata_does() {
    let capture = corpus().join("tls/tls-certs-alert/input.pcap");
    if !capture.is_file() {
        eprintln!("skipping: {} is absent", capture.display());
        return;
    }
    let dir = TempDir::new("tls-rules");
    let text: String = RULES
        .iter()
        .map(|(sid, opts, _)| {
            format!("alert tls any any -> any any (msg:\"t{sid}\"; {opts} sid:{sid};)\n")
        })
        .collect();
    let rules = dir.join("tls.rules");
    std::fs::write(&rules, text).expect("write rules");
    let run = run_file(
        &dir,
        &capture,
        &[
            "-k",
            "none",
            "--init-errors-fatal",
            "-S",
            rules.to_str().expect("utf8 path"),
        ],
    );
    run.assert_ok();
    let mut got: BTreeMap<u64, Vec<(u64, String)>> = BTreeMap::new();
    for a in run.records("alert") {
        let sid = a["alert"]["signature_id"].as_u64().expect("sid");
        let cnt = a["pcap_cnt"].as_u64().expect("pcap_cnt");
        let dir = a["direction"].as_str().expect("direction").to_string();
        assert_eq!(
            a["tx_id"].as_u64(),
            Some(0),
            "sid {sid}: the TLS transaction"
        );
        assert!(a["tls"].is_object(), "sid {sid}: the TLS state is logged");
        got.entry(sid).or_default().push((cnt, dir));
    }
    for (sid, _, want) in RULES {
        let want: Vec<(u64, String)> = want.iter().map(|(c, d)| (*c, d.to_string())).collect();
        assert_eq!(got.get(sid).cloned().unwrap_or_default(), want, "sid {sid}");
    }
}

#[test]
fn conflicting_directions_are_refused() {
    // Suricata: "rule mixes keywords with conflicting directions".
    let capture = corpus().join("tls/tls-certs-alert/input.pcap");
    if !capture.is_file() {
        eprintln!("skipping: {} is absent", capture.display());
        return;
    }
    let dir = TempDir::new("tls-rules-dir");
    let rules = dir.join("bad.rules");
    std::fs::write(
        &rules,
        "alert tls any any -> any any (msg:\"x\"; flow:to_server; tls_cert_expired; sid:1;)\n",
    )
    .expect("write rules");
    let run = run_file(
        &dir,
        &capture,
        &[
            "-k",
            "none",
            "--init-errors-fatal",
            "-S",
            rules.to_str().expect("utf8 path"),
        ],
    );
    assert_ne!(run.code, 0, "the rule must not load");
    assert!(
        run.stderr.contains("conflicting directions"),
        "{}",
        run.stderr
    );
}
