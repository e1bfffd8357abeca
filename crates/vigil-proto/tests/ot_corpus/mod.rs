//! Support for the OT corpus tests (`iec104.rs`, `s7comm.rs`, `mms.rs`):
//! reads a capture, reassembles TCP per direction by sequence number
//! (retransmissions trimmed, holes reported as gaps, bounded out-of-order
//! queue), runs vigil-proto's per-flow `AppState`, and renders every
//! transaction as its EVE protocol object.

#![allow(dead_code)]

use std::collections::{BTreeMap, HashMap};
use std::net::IpAddr;
use std::path::{Path, PathBuf};
use vigil_eve::JsonWriter;
use vigil_proto::{AppState, DetectionConfig, Direction, ParseOutput, Transport};
use vigil_wire::{Decoded, tcp_flags};

/// The corpus directory `ics-pcap/<sub>`, or `None` (with a message) when
/// the shared corpus is absent.
pub fn corpus(sub: &str) -> Option<PathBuf> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/corpus/ics-pcap")
        .join(sub);
    if dir.is_dir() {
        Some(dir)
    } else {
        eprintln!("skipping: corpus {} not present", dir.display());
        None
    }
}

/// Captures in a corpus directory, sorted.
pub fn captures(dir: &Path) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(dir)
        .map(|r| r.filter_map(|e| e.ok().map(|e| e.path())).collect())
        .unwrap_or_default();
    v.retain(|p| p.extension().is_some_and(|e| e == "pcap" || e == "pcapng"));
    v.sort();
    v
}

/// What one capture produced.
#[derive(Default, Debug)]
pub struct Output {
    /// `event_type` and the protocol object of each transaction.
    pub records: Vec<(&'static str, String)>,
    /// Application-layer anomaly names.
    pub events: Vec<&'static str>,
    /// `app_proto` of each TCP flow with payload.
    pub app_protos: Vec<Option<&'static str>>,
}

/// An address and port.
type Endpoint = (IpAddr, u16);

struct Dir {
    next: Option<u32>,
    queue: BTreeMap<u32, Vec<u8>>,
}

struct Flow {
    initiator: Endpoint,
    app: AppState,
    dirs: [Dir; 2],
}

fn drain(out: &mut ParseOutput, res: &mut Output) {
    for tx in out.txs.drain(..) {
        // Rule-inspection snapshots are not records.
        if tx.inspect_only() {
            continue;
        }
        let mut buf = Vec::new();
        let mut w = JsonWriter::new(&mut buf);
        w.open_object();
        tx.write_eve(&mut w);
        w.close_object();
        res.records
            .push((tx.event_type(), String::from_utf8_lossy(&buf).into_owned()));
    }
    res.events.extend(out.events.drain(..).map(|e| e.name));
}

/// Runs a capture through protocol detection and the parsers.
pub fn run(path: &Path) -> Output {
    let mut res = Output::default();
    let mut reader = vigil_capture::CaptureReader::open(path).expect("open capture");
    let mut flows: HashMap<(Endpoint, Endpoint), Flow> = HashMap::new();
    let mut order = Vec::new();
    let mut out = ParseOutput::default();
    let mut dec = Decoded::default();
    while let Ok(Some(pkt)) = reader.next_packet() {
        vigil_wire::decode_packet(pkt.link, pkt.data, &mut dec);
        let (Some(ip), vigil_wire::Transport::Tcp(tcp)) = (dec.ip, dec.transport) else {
            continue;
        };
        let payload = dec.payload(pkt.data).to_vec();
        let a = (ip.src, tcp.src_port);
        let b = (ip.dst, tcp.dst_port);
        let key = if a < b { (a, b) } else { (b, a) };
        let flow = flows.entry(key).or_insert_with(|| {
            order.push(key);
            // The SYN's sender, or else the first sender, initiates.
            let (init, resp) = if tcp.flags & tcp_flags::SYN != 0 && tcp.flags & tcp_flags::ACK != 0
            {
                (b, a)
            } else {
                (a, b)
            };
            Flow {
                initiator: init,
                app: AppState::new(Transport::Tcp, init.1, resp.1, DetectionConfig::default()),
                dirs: [
                    Dir {
                        next: None,
                        queue: BTreeMap::new(),
                    },
                    Dir {
                        next: None,
                        queue: BTreeMap::new(),
                    },
                ],
            }
        });
        let dir = if a == flow.initiator {
            Direction::ToServer
        } else {
            Direction::ToClient
        };
        let d = &mut flow.dirs[dir.index()];
        let mut seq = tcp.seq;
        if tcp.flags & tcp_flags::SYN != 0 {
            seq = seq.wrapping_add(1);
            d.next.get_or_insert(seq);
        }
        if payload.is_empty() {
            continue;
        }
        let next = *d.next.get_or_insert(seq);
        let off = seq.wrapping_sub(next) as i32;
        if off < 0 {
            // Retransmission: keep only new bytes.
            let skip = (-off) as usize;
            if skip >= payload.len() {
                continue;
            }
            d.queue.insert(next, payload[skip..].to_vec());
        } else if d.queue.len() < 256 {
            d.queue.entry(seq).or_insert(payload);
        }
        deliver(
            &mut flow.app,
            dir,
            &mut flow.dirs[dir.index()],
            false,
            &mut out,
        );
        drain(&mut out, &mut res);
    }
    for key in order {
        let Some(mut flow) = flows.remove(&key) else {
            continue;
        };
        for dir in [Direction::ToServer, Direction::ToClient] {
            deliver(
                &mut flow.app,
                dir,
                &mut flow.dirs[dir.index()],
                true,
                &mut out,
            );
        }
        flow.app.finish(&mut out);
        drain(&mut out, &mut res);
        res.app_protos.push(flow.app.proto().map(|p| p.name()));
    }
    res
}

/// Delivers contiguous queued data; at the end, jumps holes as gaps.
fn deliver(app: &mut AppState, dir: Direction, d: &mut Dir, end: bool, out: &mut ParseOutput) {
    loop {
        let Some(next) = d.next else { return };
        let Some((&seq, _)) = d.queue.iter().next() else {
            return;
        };
        let off = seq.wrapping_sub(next) as i32;
        if off > 0 {
            if !end && d.queue.len() < 64 {
                return;
            }
            app.on_gap(dir, off as u64, out);
            d.next = Some(seq);
            continue;
        }
        let data = d.queue.remove(&seq).unwrap_or_default();
        let skip = (-off) as usize;
        if skip < data.len() {
            app.on_stream(dir, &data[skip..], out);
            d.next = Some(next.wrapping_add((data.len() - skip) as u32));
        }
    }
}
