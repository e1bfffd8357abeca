//! Shared support for the end-to-end tests of the `vigil` binary: temporary
//! directories, running the binary, reading `eve.json`.

#![allow(dead_code)]

use serde_json::Value;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};

/// A directory under the system temp dir, removed (with its contents) on drop.
pub struct TempDir {
    path: PathBuf,
}

impl TempDir {
    /// A fresh, empty directory named after `label`, the process and a counter.
    pub fn new(label: &str) -> TempDir {
        static COUNTER: AtomicU32 = AtomicU32::new(0);
        let n = COUNTER.fetch_add(1, Ordering::Relaxed);
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.subsec_nanos());
        let path = std::env::temp_dir().join(format!(
            "vigil-e2e-{label}-{}-{n}-{nanos}",
            std::process::id()
        ));
        let _ = std::fs::remove_dir_all(&path);
        std::fs::create_dir_all(&path).expect("create temp dir");
        TempDir { path }
    }

    /// The directory.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// A path inside the directory.
    pub fn join(&self, name: &str) -> PathBuf {
        self.path.join(name)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.path);
    }
}

/// The outcome of one run of the binary.
pub struct Run {
    /// Exit code (-1 if killed by a signal).
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
    /// The raw `eve.json`, empty if none was written.
    pub eve_text: String,
    /// `eve.json` parsed line by line (panics on a line that is not JSON).
    pub eve: Vec<Value>,
    /// The path the capture was written to (as passed to `-r`).
    pub input: PathBuf,
}

impl Run {
    /// Records of `event_type`.
    pub fn records(&self, event_type: &str) -> Vec<&Value> {
        self.eve
            .iter()
            .filter(|r| r["event_type"] == event_type)
            .collect()
    }

    /// The `flow` records.
    pub fn flows(&self) -> Vec<&Value> {
        self.records("flow")
    }

    /// The `anomaly` records.
    pub fn anomalies(&self) -> Vec<&Value> {
        self.records("anomaly")
    }

    /// The `stats` object of the stats record, which must be the last line.
    pub fn stats(&self) -> &Value {
        let last = self.eve.last().expect("eve.json has no records");
        assert_eq!(
            last["event_type"], "stats",
            "the last record is not the stats record: {last}"
        );
        &last["stats"]
    }

    /// Asserts a clean exit with no panic message.
    pub fn assert_ok(&self) {
        assert_eq!(
            self.code, 0,
            "vigil exited with {}; stderr:\n{}",
            self.code, self.stderr
        );
        self.assert_no_panic();
    }

    /// Asserts nothing panicked.
    pub fn assert_no_panic(&self) {
        assert!(
            !self.stderr.contains("panicked"),
            "vigil panicked:\n{}",
            self.stderr
        );
    }
}

/// Path of the binary under test.
pub fn vigil_bin() -> &'static str {
    env!("CARGO_BIN_EXE_vigil")
}

/// Parses `eve.json` text line by line; every line must be one JSON object.
pub fn parse_eve(text: &str) -> Vec<Value> {
    text.lines()
        .enumerate()
        .map(|(i, line)| {
            let v: Value = serde_json::from_str(line)
                .unwrap_or_else(|e| panic!("eve.json line {}: {e}: {line}", i + 1));
            assert!(v.is_object(), "eve.json line {} is not an object", i + 1);
            v
        })
        .collect()
}

fn finish(out: Output, log_dir: &Path, input: PathBuf) -> Run {
    finish_with(out, log_dir, input, true)
}

fn finish_with(out: Output, log_dir: &Path, input: PathBuf, parse: bool) -> Run {
    let eve_text = std::fs::read_to_string(log_dir.join("eve.json")).unwrap_or_default();
    let eve = if parse {
        parse_eve(&eve_text)
    } else {
        Vec::new()
    };
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        eve_text,
        eve,
        input,
    }
}

/// With `VIGIL_E2E_KEEP=DIR` in the environment, copies each capture a test
/// runs into DIR (named after the test's temp dir) for inspection with
/// other tools (tshark, the peer Suricata).
fn keep_input(dir: &TempDir, input: &Path) {
    if let Some(keep) = std::env::var_os("VIGIL_E2E_KEEP") {
        let name = dir
            .path()
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let _ = std::fs::create_dir_all(&keep);
        let _ = std::fs::copy(input, Path::new(&keep).join(format!("{name}.pcap")));
    }
}

/// Runs `vigil -r INPUT -l DIR/out --no-progress ARGS` on an existing file.
pub fn run_file(dir: &TempDir, input: &Path, args: &[&str]) -> Run {
    run_file_with(dir, input, args, true)
}

/// As [`run_file`], leaving `eve` empty (for big outputs the caller streams
/// through `eve_text` itself).
pub fn run_file_unparsed(dir: &TempDir, input: &Path, args: &[&str]) -> Run {
    run_file_with(dir, input, args, false)
}

fn run_file_with(dir: &TempDir, input: &Path, args: &[&str], parse: bool) -> Run {
    keep_input(dir, input);
    let log_dir = dir.join("out");
    let out = Command::new(vigil_bin())
        .arg("-r")
        .arg(input)
        .arg("-l")
        .arg(&log_dir)
        .arg("--no-progress")
        .args(args)
        .stdin(Stdio::null())
        .output()
        .expect("run vigil");
    finish_with(out, &log_dir, input.to_path_buf(), parse)
}

/// Writes `capture` to `DIR/capture.pcap` and runs vigil on it.
pub fn run_bytes(dir: &TempDir, capture: &[u8], args: &[&str]) -> Run {
    let input = dir.join("capture.pcap");
    std::fs::write(&input, capture).expect("write capture");
    run_file(dir, &input, args)
}

/// Runs `vigil -r - ...` with `capture` written to its standard input.
pub fn run_stdin(dir: &TempDir, capture: &[u8], args: &[&str]) -> Run {
    let log_dir = dir.join("out");
    let mut child = Command::new(vigil_bin())
        .arg("-r")
        .arg("-")
        .arg("-l")
        .arg(&log_dir)
        .arg("--no-progress")
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn vigil");
    let mut stdin = child.stdin.take().expect("stdin");
    let data = capture.to_vec();
    // Write from another thread so a full pipe cannot deadlock with the
    // child's output pipes.
    let writer = std::thread::spawn(move || {
        // Write in small pieces: the reader must cope with short reads.
        for chunk in data.chunks(1000) {
            if stdin.write_all(chunk).is_err() {
                break;
            }
        }
    });
    let out = child.wait_with_output().expect("wait for vigil");
    writer.join().expect("stdin writer");
    finish(out, &log_dir, PathBuf::from("-"))
}

/// A u64 field, with a helpful message when missing.
pub fn u(v: &Value, pointer: &str) -> u64 {
    v.pointer(pointer)
        .and_then(Value::as_u64)
        .unwrap_or_else(|| panic!("no unsigned {pointer} in {v}"))
}

/// A string field, with a helpful message when missing.
pub fn s<'a>(v: &'a Value, pointer: &str) -> &'a str {
    v.pointer(pointer)
        .and_then(Value::as_str)
        .unwrap_or_else(|| panic!("no string {pointer} in {v}"))
}

/// A small deterministic PRNG (xorshift64*).
pub struct XorShift(pub u64);

impl XorShift {
    pub fn next_u64(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    /// A value in `0..n` (n > 0).
    pub fn below(&mut self, n: u64) -> u64 {
        self.next_u64() % n
    }

    pub fn byte(&mut self) -> u8 {
        (self.next_u64() >> 32) as u8
    }
}

/// A classic pcap file header (little-endian, microseconds, version 2.4).
pub fn pcap_header(snaplen: u32, linktype: u32) -> Vec<u8> {
    let mut h = Vec::with_capacity(24);
    h.extend_from_slice(&0xa1b2_c3d4u32.to_le_bytes());
    h.extend_from_slice(&2u16.to_le_bytes());
    h.extend_from_slice(&4u16.to_le_bytes());
    h.extend_from_slice(&0i32.to_le_bytes());
    h.extend_from_slice(&0u32.to_le_bytes());
    h.extend_from_slice(&snaplen.to_le_bytes());
    h.extend_from_slice(&linktype.to_le_bytes());
    h
}

/// Appends a classic pcap record header (little-endian).
pub fn pcap_record_header(out: &mut Vec<u8>, secs: u32, micros: u32, caplen: u32, orig: u32) {
    out.extend_from_slice(&secs.to_le_bytes());
    out.extend_from_slice(&micros.to_le_bytes());
    out.extend_from_slice(&caplen.to_le_bytes());
    out.extend_from_slice(&orig.to_le_bytes());
}
