//! The run: read the capture, hand packets to workers, write the final
//! stats record and return a summary.
//!
//! One worker runs on the reading thread (no copies, no channels). With N
//! workers, the reader decodes each packet's addresses, hashes them
//! symmetrically and appends the packet to that worker's batch; full batches
//! travel over bounded channels and come back empty for reuse.

use crate::output::{EveQueue, EveWriter};
use crate::stats::{CounterTree, decoder_tree};
use crate::worker::{PacketIn, Worker, WorkerOptions, WorkerReport};
use anyhow::{Context, Result};
use crossbeam_channel::{Receiver, Sender, bounded};
use indicatif::{ProgressBar, ProgressStyle};
use std::io::IsTerminal;
use std::path::PathBuf;
use std::time::{Duration, Instant};
use vigil_capture::{CaptureError, CaptureReader};
use vigil_flow::worker_hash;
use vigil_wire::{Decoded, LinkType, Timestamp, decode_packet};

/// What to run.
#[derive(Clone, Debug)]
pub struct RunConfig {
    pub input: PathBuf,
    pub log_dir: PathBuf,
    pub workers: usize,
    pub worker: WorkerOptions,
    /// Show a progress bar (only honoured when stderr is a terminal).
    pub progress: bool,
}

/// What a run did.
#[derive(Debug)]
pub struct RunSummary {
    pub packets: u64,
    pub bytes: u64,
    pub flows: u64,
    pub decode_events: u64,
    /// Application transaction records written.
    pub app_records: u64,
    /// Alert records written.
    pub alerts: u64,
    pub elapsed: Duration,
    pub eve_path: PathBuf,
    /// The input error that stopped reading early, if any.
    pub input_error: Option<CaptureError>,
}

/// Packets per batch sent to a worker.
const BATCH_PACKETS: usize = 512;

struct Batch {
    data: Vec<u8>,
    /// (offset, len, ts, link, pcap_cnt)
    packets: Vec<(usize, usize, Timestamp, LinkType, u64)>,
}

impl Batch {
    fn new() -> Batch {
        Batch {
            data: Vec::with_capacity(BATCH_PACKETS * 1600),
            packets: Vec::with_capacity(BATCH_PACKETS),
        }
    }
}

enum Work {
    Packets(Batch),
    Finish(Timestamp),
}

/// Runs the capture through the pipeline.
pub fn run(config: &RunConfig) -> Result<RunSummary> {
    let started = Instant::now();
    let mut reader = CaptureReader::open(&config.input).map_err(anyhow::Error::new)?;
    std::fs::create_dir_all(&config.log_dir)
        .with_context(|| format!("cannot create log directory {}", config.log_dir.display()))?;
    let eve_path = config.log_dir.join("eve.json");
    let writer = EveWriter::start(&eve_path)
        .with_context(|| format!("cannot create {}", eve_path.display()))?;

    let progress = make_progress(config, &reader);
    let mut last_ts = Timestamp::default();
    let mut pcap_cnt = 0u64;
    let mut input_error = None;
    let workers = config.workers.max(1);

    let mut report = if workers == 1 {
        let mut worker = Worker::new(config.worker.clone(), writer.queue());
        loop {
            match reader.next_packet() {
                Ok(Some(p)) => {
                    pcap_cnt += 1;
                    last_ts = last_ts.max(p.ts);
                    worker.process(&PacketIn {
                        data: p.data,
                        ts: p.ts,
                        link: p.link,
                        pcap_cnt,
                    });
                    if pcap_cnt.is_multiple_of(4096)
                        && let Some(bar) = &progress
                    {
                        bar.set_position(reader.bytes_read());
                    }
                }
                Ok(None) => break,
                Err(e) => {
                    input_error = Some(e);
                    break;
                }
            }
        }
        worker.finish(last_ts)
    } else {
        run_parallel(
            config,
            &writer,
            &mut reader,
            workers,
            &mut last_ts,
            &mut pcap_cnt,
            &mut input_error,
            &progress,
        )?
    };
    if let Some(bar) = progress {
        bar.finish_and_clear();
    }

    // The stats record comes last, after every worker's flows.
    report.flow.active = 0;
    let mut tree = CounterTree::default();
    decoder_tree(&mut tree, &report.decoder);
    stats_tree(&mut tree, &report);
    let mut queue: EveQueue = writer.queue();
    let mut buf = queue.buffer();
    tree.write_record(&mut buf, last_ts, started.elapsed().as_secs());
    queue.send(buf);
    drop(queue);
    writer.finish()?;

    Ok(RunSummary {
        packets: report.decoder.pkts,
        bytes: report.decoder.bytes,
        flows: report.flow.total,
        decode_events: report.decoder.total_events(),
        app_records: report.app_records,
        alerts: report.alert_records,
        elapsed: started.elapsed(),
        eve_path,
        input_error,
    })
}

#[allow(clippy::too_many_arguments)]
fn run_parallel(
    config: &RunConfig,
    writer: &EveWriter,
    reader: &mut CaptureReader,
    workers: usize,
    last_ts: &mut Timestamp,
    pcap_cnt: &mut u64,
    input_error: &mut Option<CaptureError>,
    progress: &Option<ProgressBar>,
) -> Result<WorkerReport> {
    let (empty_tx, empty_rx) = bounded::<Batch>(workers * 8);
    let mut senders: Vec<Sender<Work>> = Vec::with_capacity(workers);
    let mut handles = Vec::with_capacity(workers);
    for i in 0..workers {
        let (tx, rx): (Sender<Work>, Receiver<Work>) = bounded(4);
        let mut worker = Worker::new(config.worker.clone(), writer.queue());
        let recycle = empty_tx.clone();
        let handle = std::thread::Builder::new()
            .name(format!("worker-{i}"))
            .spawn(move || {
                for work in rx {
                    match work {
                        Work::Packets(mut batch) => {
                            for &(off, len, ts, link, cnt) in &batch.packets {
                                let data = batch.data.get(off..off + len).unwrap_or(&[]);
                                worker.process(&PacketIn {
                                    data,
                                    ts,
                                    link,
                                    pcap_cnt: cnt,
                                });
                            }
                            batch.data.clear();
                            batch.packets.clear();
                            let _ = recycle.try_send(batch);
                        }
                        Work::Finish(ts) => return worker.finish(ts),
                    }
                }
                worker.finish(Timestamp::default())
            })
            .context("cannot start a worker thread")?;
        senders.push(tx);
        handles.push(handle);
    }
    drop(empty_tx);
    let mut batches: Vec<Batch> = (0..workers).map(|_| Batch::new()).collect();
    let mut decoded = Decoded::default();
    loop {
        match reader.next_packet() {
            Ok(Some(p)) => {
                *pcap_cnt += 1;
                *last_ts = (*last_ts).max(p.ts);
                decode_packet(p.link, p.data, &mut decoded);
                let w = (worker_hash(&decoded) % workers as u64) as usize;
                let Some(batch) = batches.get_mut(w) else {
                    continue;
                };
                let off = batch.data.len();
                batch.data.extend_from_slice(p.data);
                batch
                    .packets
                    .push((off, p.data.len(), p.ts, p.link, *pcap_cnt));
                if batch.packets.len() >= BATCH_PACKETS {
                    let fresh = empty_rx.try_recv().unwrap_or_else(|_| Batch::new());
                    let full = std::mem::replace(batch, fresh);
                    if let Some(tx) = senders.get(w) {
                        let _ = tx.send(Work::Packets(full));
                    }
                }
                if pcap_cnt.is_multiple_of(4096)
                    && let Some(bar) = progress
                {
                    bar.set_position(reader.bytes_read());
                }
            }
            Ok(None) => break,
            Err(e) => {
                *input_error = Some(e);
                break;
            }
        }
    }
    for (tx, batch) in senders.iter().zip(batches) {
        if !batch.packets.is_empty() {
            let _ = tx.send(Work::Packets(batch));
        }
        let _ = tx.send(Work::Finish(*last_ts));
    }
    drop(senders);
    let mut total = WorkerReport::default();
    for h in handles {
        let r = h
            .join()
            .map_err(|_| anyhow::anyhow!("a worker thread panicked"))?;
        merge_reports(&mut total, &r);
    }
    Ok(total)
}

fn merge_reports(total: &mut WorkerReport, r: &WorkerReport) {
    total.decoder.merge(&r.decoder);
    let (f, g) = (&mut total.flow, &r.flow);
    f.total += g.total;
    f.tcp += g.tcp;
    f.udp += g.udp;
    f.icmpv4 += g.icmpv4;
    f.icmpv6 += g.icmpv6;
    f.tcp_reuse += g.tcp_reuse;
    f.memcap_evicted += g.memcap_evicted;
    f.timeouts += g.timeouts;
    f.end_new += g.end_new;
    f.end_established += g.end_established;
    f.end_closed += g.end_closed;
    f.memuse += g.memuse;
    f.max_active += g.max_active;
    total.tcp.merge(&r.tcp);
    total.defrag.merge(&r.defrag);
    total.flow_records += r.flow_records;
    total.anomaly_records += r.anomaly_records;
    total.app_records += r.app_records;
    total.alert_records += r.alert_records;
    total.stream_events += r.stream_events;
    total.stream_memory_peak += r.stream_memory_peak;
    total.goose.merge(&r.goose);
}

fn stats_tree(tree: &mut CounterTree, r: &WorkerReport) {
    let f = &r.flow;
    tree.set("detect.alert", r.alert_records);
    tree.set("flow.memcap", f.memcap_evicted);
    tree.set("flow.total", f.total);
    tree.set("flow.active", 0);
    tree.set("flow.tcp", f.tcp);
    tree.set("flow.udp", f.udp);
    tree.set("flow.icmpv4", f.icmpv4);
    tree.set("flow.icmpv6", f.icmpv6);
    tree.set("flow.tcp_reuse", f.tcp_reuse);
    tree.set("flow.end.state.new", f.end_new);
    tree.set("flow.end.state.established", f.end_established);
    tree.set("flow.end.state.closed", f.end_closed);
    tree.set("flow.mgr.flows_timeout", f.timeouts);
    tree.set("flow.max_active", f.max_active);
    tree.set("flow.memuse", f.memuse);
    for (name, value) in r.tcp.counters() {
        tree.set(&format!("tcp.{name}"), value);
    }
    for (name, value) in r.defrag.counters() {
        tree.set(&format!("defrag.{name}"), value);
    }
    // FTP parser memory as Suricata counts it (`ftp.memuse`, `ftp.memcap`):
    // the record is written once every flow has ended, when nothing is in
    // use; there is no global cap (Suricata's default 0, unlimited).
    tree.set("ftp.memuse", 0);
    tree.set("ftp.memcap", 0);
    // vigil's own: IEC 61850 GOOSE (Suricata has no GOOSE parser).
    let g = &r.goose;
    tree.set("goose.pdus", g.pdus);
    tree.set("goose.malformed", g.malformed);
    tree.set("goose.publishers", g.publishers);
    tree.set("goose.publishers_evicted", g.publishers_evicted);
}

fn make_progress(config: &RunConfig, reader: &CaptureReader) -> Option<ProgressBar> {
    let total = reader.total_len()?;
    // Only worth it for inputs that take a while, and only for a person.
    if !config.progress || total < 32 << 20 || !std::io::stderr().is_terminal() {
        return None;
    }
    let bar = ProgressBar::new(total);
    bar.set_style(
        ProgressStyle::with_template(
            "{spinner} {bytes}/{total_bytes} [{bar:40}] {bytes_per_sec} eta {eta}",
        )
        .unwrap_or_else(|_| ProgressStyle::default_bar())
        .progress_chars("=> "),
    );
    bar.enable_steady_tick(Duration::from_millis(200));
    Some(bar)
}
