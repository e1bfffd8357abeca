//! The engine: compiled rules grouped by protocol (and, for application
//! rules, by protocol and buffer), one prefilter per group and buffer, and
//! the per-worker [`Detector`] that evaluates packets, stream chunks and
//! transactions.

use crate::pcre::Scratch;
use crate::prefilter::Prefilter;
use crate::program::{Insp, MAX_VARS, inspect, uint_match};
use crate::sig::{BitAct, HdrCheck, IntOperand, Names, Sig, SigKind, bucket, buffer_direction};
use crate::state::{FlowDetect, Thresholds};
use std::collections::HashMap;
use std::net::IpAddr;
use vigil_rules::{
    Action, ChecksumLayer, Classifications, FlowintOp, Rule, ThresholdConfig, UintMatch,
};
use vigil_wire::{Decoded, Transport};

/// (pattern, rule number) pairs for a prefilter.
type PatternList = Vec<(Vec<u8>, u32)>;

/// Why a loaded rule is not evaluated.
#[derive(Debug, Clone)]
pub struct Skipped {
    /// gid.
    pub gid: u32,
    /// sid.
    pub sid: u32,
    /// Reason.
    pub reason: String,
}

/// Rules of one protocol bucket.
#[derive(Debug, Default)]
struct Group {
    /// Payload rules by fast pattern.
    payload_pf: Option<Prefilter>,
    /// Payload rules without a usable fast pattern.
    payload_nofp: Vec<u32>,
    /// Header-only rules evaluated on every packet.
    packet: Vec<u32>,
    /// IP-only rules (first packet of each flow direction).
    iponly: Vec<u32>,
    /// Protocol-detection-only rules.
    pdonly: Vec<u32>,
}

/// Application rules of one protocol.
#[derive(Debug, Default)]
struct AppGroup {
    /// Per buffer name: prefilter over the fast patterns of that buffer.
    by_buf: HashMap<&'static str, Prefilter>,
    /// Rules without a usable fast pattern.
    nofp: Vec<u32>,
}

/// The compiled rule set, shared read-only by all workers.
#[derive(Debug)]
pub struct Engine {
    /// Rules by internal number.
    pub sigs: Vec<Sig>,
    /// Loaded rules not evaluated, with the reason.
    pub skipped: Vec<Skipped>,
    groups: [Group; 6],
    apps: HashMap<String, AppGroup>,
    /// App rules whose protocol is open (e.g. `file.data`).
    app_any: AppGroup,
    /// Rules with per-packet protocol keywords ([`Sig::live`]), by
    /// application protocol, in rule order.
    live: HashMap<String, Vec<u32>>,
    /// Distinct flowbit names.
    pub nbits: usize,
    /// Distinct flowint names.
    pub nints: usize,
    /// threshold.config entries.
    pub threshold_config: ThresholdConfig,
    /// Largest content depth+offset of payload rules (raw stream
    /// inspection keeps the stream start that long).
    pub min_inspect_depth: usize,
}

fn action_rank(a: Action) -> u8 {
    match a {
        Action::Pass => 0,
        Action::Drop => 1,
        Action::Reject | Action::RejectSrc | Action::RejectDst | Action::RejectBoth => 2,
        Action::Alert => 3,
        Action::Config => 4,
    }
}

fn flowbits_rank(r: &Rule) -> u8 {
    use vigil_rules::{BitsAction, RuleOption};
    let (mut set, mut read) = (false, false);
    for o in &r.options {
        if let RuleOption::Flowbits(f) = o {
            match f.action {
                BitsAction::Set | BitsAction::Unset | BitsAction::Toggle => set = true,
                BitsAction::IsSet | BitsAction::IsNotSet => read = true,
                BitsAction::NoAlert => {}
            }
        }
    }
    // Suricata's order: writers, then writers that also read, then readers.
    match (set, read) {
        (true, false) => 0,
        (true, true) => 1,
        (false, true) => 2,
        (false, false) => 3,
    }
}

impl Engine {
    /// Compiles `rules`. Rules that cannot be evaluated are listed in
    /// [`Engine::skipped`] and never match.
    pub fn build(
        rules: &[Rule],
        classes: &Classifications,
        threshold_config: ThresholdConfig,
        vars: &vigil_rules::Vars,
    ) -> Engine {
        Self::build_from(
            rules.iter().map(Some).collect(),
            classes,
            threshold_config,
            vars,
        )
    }

    /// As [`Engine::build`], consuming the parsed rules: each rule's syntax
    /// tree is freed once compiled, so a large rule set does not hold both
    /// forms in memory at once.
    pub fn build_owned(
        rules: Vec<Rule>,
        classes: &Classifications,
        threshold_config: ThresholdConfig,
        vars: &vigil_rules::Vars,
    ) -> Engine {
        Self::build_from(
            rules.into_iter().map(Some).collect(),
            classes,
            threshold_config,
            vars,
        )
    }

    fn build_from<R: std::borrow::Borrow<Rule>>(
        mut rules: Vec<Option<R>>,
        classes: &Classifications,
        threshold_config: ThresholdConfig,
        vars: &vigil_rules::Vars,
    ) -> Engine {
        let mut order: Vec<(u8, u8, u32, usize)> = rules
            .iter()
            .enumerate()
            .filter_map(|(i, r)| {
                let r = r.as_ref()?.borrow();
                Some((action_rank(r.action), flowbits_rank(r), r.priority, i))
            })
            .collect();
        order.sort_unstable();
        let mut names = Names::default();
        let mut ints = Names::default();
        let mut sigs = Vec::with_capacity(rules.len());
        let mut skipped = Vec::new();
        for (_, _, _, i) in order {
            let Some(owned) = rules.get_mut(i).and_then(Option::take) else {
                continue;
            };
            let r: &Rule = owned.borrow();
            if r.action == Action::Config {
                continue;
            }
            let category = r
                .classtype
                .as_deref()
                .and_then(|c| classes.get(c))
                .map(|c| c.description.clone())
                .unwrap_or_default();
            match crate::sig::compile(r, sigs.len() as u32, &category, &mut names, &mut ints, vars)
            {
                Ok(s) => sigs.push(s),
                Err(reason) => skipped.push(Skipped {
                    gid: r.gid,
                    sid: r.sid,
                    reason,
                }),
            }
        }
        let mut e = Engine {
            sigs,
            skipped,
            groups: Default::default(),
            apps: HashMap::new(),
            app_any: AppGroup::default(),
            live: HashMap::new(),
            nbits: names.len(),
            nints: ints.len(),
            threshold_config,
            min_inspect_depth: 0,
        };
        e.build_groups();
        e
    }

    fn build_groups(&mut self) {
        let mut payload_fp: [PatternList; 6] = Default::default();
        let mut app_fp: HashMap<(String, &'static str), PatternList> = HashMap::new();
        let mut any_fp: HashMap<&'static str, PatternList> = HashMap::new();
        for s in &self.sigs {
            if s.live {
                let key = s.app_proto.clone().unwrap_or_default();
                self.live.entry(key).or_default().push(s.num);
                continue;
            }
            match s.kind {
                SigKind::App => {
                    let fp = s
                        .fast
                        .as_ref()
                        .and_then(|f| s.bufs.get(f.buf).map(|b| (b.name, f.pattern.clone())));
                    let key = s.app_proto.clone();
                    match (key, fp) {
                        (Some(p), Some((bn, pat))) => {
                            app_fp.entry((p, bn)).or_default().push((pat, s.num))
                        }
                        (Some(p), None) => self.apps.entry(p).or_default().nofp.push(s.num),
                        (None, Some((bn, pat))) => any_fp.entry(bn).or_default().push((pat, s.num)),
                        (None, None) => self.app_any.nofp.push(s.num),
                    }
                }
                _ => {
                    for (b, (g, fps)) in self
                        .groups
                        .iter_mut()
                        .zip(payload_fp.iter_mut())
                        .enumerate()
                    {
                        if s.proto.mask & (1 << b) == 0 {
                            continue;
                        }
                        match s.kind {
                            SigKind::IpOnly => g.iponly.push(s.num),
                            SigKind::PdOnly => g.pdonly.push(s.num),
                            SigKind::Packet => g.packet.push(s.num),
                            SigKind::Payload => match &s.fast {
                                Some(f) => fps.push((f.pattern.clone(), s.num)),
                                None => g.payload_nofp.push(s.num),
                            },
                            SigKind::App => {}
                        }
                    }
                }
            }
        }
        for (b, entries) in payload_fp.iter().enumerate() {
            // Build errors (size limits) fall back to evaluating every rule.
            match Prefilter::build(entries) {
                Ok(pf) => self.groups[b].payload_pf = pf,
                Err(_) => self.groups[b]
                    .payload_nofp
                    .extend(entries.iter().map(|e| e.1)),
            }
            self.groups[b].payload_nofp.sort_unstable();
        }
        for ((p, bn), entries) in app_fp {
            let g = self.apps.entry(p).or_default();
            match Prefilter::build(&entries) {
                Ok(Some(pf)) => {
                    g.by_buf.insert(bn, pf);
                }
                Ok(None) => {}
                Err(_) => g.nofp.extend(entries.iter().map(|e| e.1)),
            }
        }
        for (bn, entries) in any_fp {
            match Prefilter::build(&entries) {
                Ok(Some(pf)) => {
                    self.app_any.by_buf.insert(bn, pf);
                }
                Ok(None) => {}
                Err(_) => self.app_any.nofp.extend(entries.iter().map(|e| e.1)),
            }
        }
        for g in self.apps.values_mut() {
            g.nofp.sort_unstable();
        }
        self.app_any.nofp.sort_unstable();
    }

    /// Rules evaluated.
    pub fn len(&self) -> usize {
        self.sigs.len()
    }

    /// True when no rule is evaluated.
    pub fn is_empty(&self) -> bool {
        self.sigs.is_empty()
    }

    /// True when some rule inspects application-layer buffers.
    pub fn has_app_rules(&self) -> bool {
        !self.apps.is_empty()
            || !self.app_any.nofp.is_empty()
            || !self.app_any.by_buf.is_empty()
            || !self.live.is_empty()
    }

    /// True when some rule of `app_proto` is inspected on every packet
    /// against the parser's live state ([`Detector::live`]).
    pub fn has_live_rules(&self, app_proto: &str) -> bool {
        self.live.contains_key(app_proto)
    }

    /// Number of loaded rules per kind: (ip-only, pd-only, packet,
    /// payload, app).
    pub fn kind_counts(&self) -> [usize; 5] {
        let mut c = [0; 5];
        for s in &self.sigs {
            c[match s.kind {
                SigKind::IpOnly => 0,
                SigKind::PdOnly => 1,
                SigKind::Packet => 2,
                SigKind::Payload => 3,
                SigKind::App => 4,
            }] += 1;
        }
        c
    }
}

/// Which of a transaction's rules an inspection runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TxPhase {
    /// Every rule, each in its own direction: the transaction is handed
    /// over whole at one packet.
    Whole,
    /// At the packet that completed the transaction: the rules of the
    /// packet's direction and those without one. The other direction's
    /// rules wait for [`TxPhase::Later`] on a packet of that direction, as
    /// Suricata inspects a direction's transactions on its packets.
    Now,
    /// On a later packet of the other direction: the rules of that
    /// direction.
    Later,
    /// As [`TxPhase::Now`] without the to-server rules: they already ran
    /// on a snapshot of the request
    /// (`Transaction::request_side_inspected`).
    NowResponse,
    /// As [`TxPhase::Whole`] without the to-server rules (a transaction
    /// whose request was inspected, handed over with no later packet to
    /// wait for).
    WholeResponse,
}

/// A transaction buffer source for rule evaluation.
pub trait TxBuffers {
    /// Calls `f` with each instance of buffer `name` as inspected in the
    /// given direction (`to_server`), until `f` returns true. Single-valued
    /// buffers have one instance; absent buffers none.
    fn each(&self, name: &str, to_server: bool, f: &mut dyn FnMut(&[u8]) -> bool);
    /// The protocol transaction itself, for protocol keywords; `None`
    /// (default) for sources that are only buffers.
    fn transaction(&self) -> Option<&dyn vigil_proto::Transaction> {
        None
    }
}

/// Adapts a protocol transaction to [`TxBuffers`]: direction-dependent
/// buffers through `Transaction::buffer_dir`, multi-valued ones through
/// `Transaction::buffers`.
pub struct TxRef<'a>(pub &'a dyn vigil_proto::Transaction);

impl TxBuffers for TxRef<'_> {
    fn transaction(&self) -> Option<&dyn vigil_proto::Transaction> {
        Some(self.0)
    }

    fn each(&self, name: &str, to_server: bool, f: &mut dyn FnMut(&[u8]) -> bool) {
        let name = vigil_proto::keywords::tx_buffer_name(name);
        let dir = if to_server {
            vigil_proto::Direction::ToServer
        } else {
            vigil_proto::Direction::ToClient
        };
        if self.0.message_dir().is_some_and(|d| d != dir) {
            return;
        }
        let plain = self.0.buffer(name);
        if let Some(d) = self.0.buffer_dir(name, dir)
            && !plain.is_some_and(|p| std::ptr::eq(p.as_ptr(), d.as_ptr()) && p.len() == d.len())
        {
            f(d);
            return;
        }
        let mut done = false;
        self.0.buffers(name, &mut |b| {
            if !done {
                done = f(b);
            }
        });
    }
}

/// As [`TxRef`] for a protocol's live state ([`Detector::live`]): a
/// buffer is only seen once the state reached its progress
/// (`Transaction::buffer_ready`).
pub struct LiveTxRef<'a>(pub &'a dyn vigil_proto::Transaction);

impl TxBuffers for LiveTxRef<'_> {
    fn transaction(&self) -> Option<&dyn vigil_proto::Transaction> {
        Some(self.0)
    }

    fn each(&self, name: &str, to_server: bool, f: &mut dyn FnMut(&[u8]) -> bool) {
        let dir = if to_server {
            vigil_proto::Direction::ToServer
        } else {
            vigil_proto::Direction::ToClient
        };
        let tx_name = vigil_proto::keywords::tx_buffer_name(name);
        if self.0.buffer_ready(tx_name, dir) {
            TxRef(self.0).each(name, to_server, f);
        }
    }
}

/// What the engine knows of the packet's flow.
#[derive(Debug, Clone, Copy)]
pub struct PacketFlow {
    /// The packet goes from the flow's initiator to the responder.
    pub to_server: bool,
    /// The flow was established when the packet arrived.
    pub established: bool,
    /// Detected application protocol (`None` while unknown).
    pub app_proto: Option<&'static str>,
    /// Stream bytes sent by (client, server), for `stream_size`.
    pub stream_bytes: [u64; 2],
}

/// One packet as the engine sees it.
#[derive(Debug, Clone, Copy)]
pub struct Packet<'a> {
    /// Decoded headers.
    pub decoded: &'a Decoded,
    /// The frame the decode ran on.
    pub frame: &'a [u8],
    /// Transport payload.
    pub payload: &'a [u8],
    /// Packet time, whole seconds.
    pub ts_secs: i64,
    /// Flow information (absent for packets without a flow).
    pub flow: Option<PacketFlow>,
    /// The packet's payload went into TCP reassembly: payload rules look
    /// at the reassembled stream instead of the packet.
    pub stream_tracked: bool,
    /// The raw stream chunk ready for inspection at this packet, for the
    /// payload part of application rules that also match payload
    /// (Suricata runs it on the packet where the transaction is inspected).
    pub stream: Option<&'a [u8]>,
}

impl Packet<'_> {
    fn addrs(&self) -> Option<(IpAddr, IpAddr, u16, u16)> {
        let ip = self.decoded.ip?;
        let (sp, dp) = match self.decoded.transport {
            Transport::Tcp(t) => (t.src_port, t.dst_port),
            Transport::Udp(u) => (u.src_port, u.dst_port),
            Transport::Sctp { src_port, dst_port } => (src_port, dst_port),
            _ => (0, 0),
        };
        Some((ip.src, ip.dst, sp, dp))
    }
}

/// An alert produced by the engine.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Alert {
    /// Internal rule number (index into [`Engine::sigs`]).
    pub sig: u32,
    /// On a reassembled stream chunk.
    pub stream: bool,
    /// On transaction number `n` of those given to [`Detector::transaction`].
    pub tx: Option<u64>,
    /// The record is oriented opposite to the packet (a request rule
    /// matched on a transaction completed by a response packet).
    pub swapped: bool,
}

/// Per-worker detection state: scratch space and threshold tables.
pub struct Detector {
    engine: std::sync::Arc<Engine>,
    pcre: Scratch,
    cand: Vec<u32>,
    work: Vec<(u32, u8)>,
    stamp: Vec<u32>,
    epoch: u32,
    tbuf: Vec<u8>,
    tmp: Vec<u8>,
    b64: Vec<u8>,
    /// Threshold / detection_filter state.
    pub thresholds: Thresholds,
    /// xbits / hostbits: (bit, key) -> expiry time.
    xbits: hashbrown::HashMap<(u32, XKey), i64, foldhash::fast::RandomState>,
    /// While evaluating a staged live rule whose stage-0 keywords already
    /// matched: they are not tested again ([`Detector::live`]).
    skip_stage0: bool,
}

/// What an xbit is attached to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum XKey {
    Host(IpAddr),
    Pair(IpAddr, IpAddr),
}

/// Most xbits / hostbits kept per worker; past it the table is cleared.
pub const MAX_XBITS: usize = 65_536;

/// Application protocols carried directly in Ethernet frames (no IP, no
/// flow): their rules inspect each frame's message on its own.
pub const LINK_LAYER_PROTOCOLS: &[&str] = &["goose"];

fn xkey(track: crate::sig::XTrack, src: IpAddr, dst: IpAddr) -> XKey {
    match track {
        crate::sig::XTrack::Src => XKey::Host(src),
        crate::sig::XTrack::Dst => XKey::Host(dst),
        crate::sig::XTrack::Pair => {
            if src <= dst {
                XKey::Pair(src, dst)
            } else {
                XKey::Pair(dst, src)
            }
        }
    }
}

impl std::fmt::Debug for Detector {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Detector")
    }
}

/// What evaluating one rule did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Outcome {
    NoMatch,
    Matched,
    /// A `pass` rule matched.
    Pass,
}

/// Where the data under inspection came from.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Src<'a> {
    Packet,
    Stream(&'a [u8]),
    Tx,
}

impl Detector {
    /// A detector for one worker.
    pub fn new(engine: std::sync::Arc<Engine>) -> Detector {
        let n = engine.sigs.len();
        let thresholds = Thresholds::new(&engine.threshold_config);
        Detector {
            engine,
            pcre: Scratch::default(),
            cand: Vec::new(),
            work: Vec::new(),
            stamp: vec![0; n],
            epoch: 0,
            tbuf: Vec::new(),
            tmp: Vec::new(),
            b64: Vec::new(),
            thresholds,
            xbits: Default::default(),
            skip_stage0: false,
        }
    }

    /// The engine.
    pub fn engine(&self) -> &Engine {
        &self.engine
    }

    fn next_gen(&mut self) {
        self.epoch = self.epoch.wrapping_add(1);
        if self.epoch == 0 {
            self.stamp.iter_mut().for_each(|s| *s = 0);
            self.epoch = 1;
        }
    }

    /// Adds the rules of every fast pattern found in `data` to the
    /// candidates (each once: a pattern found many times costs a stamp
    /// check per hit, no sorting).
    fn scan_candidates(&mut self, pf: &Prefilter, data: &[u8]) {
        let (stamp, cand, epoch) = (&mut self.stamp, &mut self.cand, self.epoch);
        pf.scan(data, &mut |id| {
            for &n in pf.rules.get(id as usize).map_or(&[][..], Vec::as_slice) {
                if let Some(s) = stamp.get_mut(n as usize)
                    && *s != epoch
                {
                    *s = epoch;
                    cand.push(n);
                }
            }
        });
    }

    fn add_cand(&mut self, num: u32) {
        if let Some(s) = self.stamp.get_mut(num as usize)
            && *s != self.epoch
        {
            *s = self.epoch;
            self.cand.push(num);
        }
    }

    /// Evaluates the packet rules (and, when `stream` is given, the payload
    /// rules on that reassembled chunk instead of the packet payload) and
    /// appends alerts to `out` in rule order. A matching `pass` rule stops
    /// the packet's inspection (and the flow's, for IP-only and
    /// protocol-detection-only rules).
    pub fn packet(
        &mut self,
        pkt: &Packet<'_>,
        mut fd: Option<&mut FlowDetect>,
        stream: Option<&[u8]>,
        out: &mut Vec<Alert>,
    ) {
        let Some(ip) = pkt.decoded.ip else {
            return;
        };
        if fd.as_ref().is_some_and(|f| f.passed) {
            return;
        }
        let engine = self.engine.clone();
        let b = bucket::index(ip.proto);
        let g = &engine.groups[b];
        let start = out.len();
        let dir = pkt.flow.map(|f| usize::from(!f.to_server));
        // (rule, source): 0 packet, 1 stream, 2 packet payload: a payload
        // rule tries the stream chunk first, as Suricata.
        let mut work: Vec<(u32, u8)> = std::mem::take(&mut self.work);
        work.clear();
        // The first `pass` rule that matched: later rules do not alert (in
        // rule order, as Suricata's alert finalization).
        let mut pass_at: Option<u32> = None;
        // IP-only: first packet of each flow direction.
        let run_iponly = match (&fd, dir) {
            (Some(f), Some(d)) => !f.iponly_done[d],
            _ => true,
        };
        if run_iponly {
            if let (Some(f), Some(d)) = (fd.as_deref_mut(), dir) {
                f.iponly_done[d] = true;
            }
            // A stage of their own, before the other rules, as Suricata's
            // IP-only engine: already in rule order, no sorting with the
            // packet's candidates (ET has about a thousand of them).
            for &n in &g.iponly {
                let outcome = self.eval_emit(
                    &engine,
                    n,
                    pkt,
                    fd.as_deref_mut(),
                    Src::Packet,
                    None,
                    false,
                    out,
                );
                if outcome == Outcome::Pass {
                    if let Some(f) = fd.as_deref_mut() {
                        f.passed = true;
                    }
                    pass_at = Some(n);
                    break;
                }
            }
        }
        // PD-only: once per direction when the protocol is known.
        if let (Some(flow), Some(d)) = (pkt.flow, dir)
            && flow.app_proto.is_some()
            && fd.as_ref().is_some_and(|f| !f.pd_done[d])
        {
            if let Some(f) = fd.as_deref_mut() {
                f.pd_done[d] = true;
            }
            work.extend(g.pdonly.iter().map(|&n| (n, 0)));
        }
        work.extend(g.packet.iter().map(|&n| (n, 0)));
        // Payload rules: the stream chunk, and the packet payload.
        let srcs: [(u8, &[u8]); 2] = [(1, stream.unwrap_or(&[])), (2, pkt.payload)];
        for (code, data) in srcs {
            if data.is_empty() {
                continue;
            }
            self.next_gen();
            self.cand.clear();
            for &n in &g.payload_nofp {
                self.add_cand(n);
            }
            if let Some(pf) = &g.payload_pf {
                self.scan_candidates(pf, data);
            }
            for &n in &self.cand {
                let s = &engine.sigs[n as usize];
                let ok = if code == 1 {
                    !s.require_packet || s.stream_and_packet
                } else {
                    !s.require_stream && (!pkt.stream_tracked || s.require_packet)
                };
                if ok {
                    work.push((n, code));
                }
            }
        }
        work.sort_unstable();
        let mut last: Option<u32> = None;
        for &(n, code) in &work {
            if last == Some(n) {
                continue;
            }
            if pass_at.is_some_and(|p| n > p) {
                break;
            }
            let src = match code {
                1 => Src::Stream(stream.unwrap_or(&[])),
                _ => Src::Packet,
            };
            match self.eval_emit(&engine, n, pkt, fd.as_deref_mut(), src, None, false, out) {
                Outcome::NoMatch => {}
                Outcome::Matched => last = Some(n),
                Outcome::Pass => {
                    let s = &engine.sigs[n as usize];
                    if matches!(s.kind, SigKind::IpOnly | SigKind::PdOnly)
                        && let Some(f) = fd.as_deref_mut()
                    {
                        f.passed = true;
                    }
                    pass_at = Some(pass_at.map_or(n, |p| p.min(n)));
                    break;
                }
            }
        }
        self.work = work;
        if let Some(p) = pass_at {
            let kept: Vec<Alert> = out.drain(start..).filter(|a| a.sig < p).collect();
            out.extend(kept);
        }
        out[start..].sort_by_key(|a| a.sig);
    }

    /// Evaluates the application rules of `app_proto` on one transaction at
    /// `pkt` (those `phase` selects); `tx_id` is recorded in the alerts.
    #[allow(clippy::too_many_arguments)]
    pub fn transaction(
        &mut self,
        pkt: &Packet<'_>,
        mut fd: Option<&mut FlowDetect>,
        app_proto: &str,
        tx: &dyn TxBuffers,
        tx_id: u64,
        phase: TxPhase,
        out: &mut Vec<Alert>,
    ) {
        if fd.as_ref().is_some_and(|f| f.passed) {
            return;
        }
        let engine = self.engine.clone();
        let start = out.len();
        self.next_gen();
        self.cand.clear();
        // `http` rules apply to HTTP/2 too (Suricata's http keywords
        // inspect both), `http1` rules to HTTP/1, `dcerpc` rules to SMB
        // (DCERPC over named pipes).
        let http = match app_proto {
            "http2" => engine.apps.get("http"),
            "http" => engine.apps.get("http1"),
            "smb" => engine.apps.get("dcerpc"),
            _ => None,
        };
        let groups = [engine.apps.get(app_proto), http, Some(&engine.app_any)];
        for g in groups.into_iter().flatten() {
            for &n in &g.nofp {
                self.add_cand(n);
            }
            for (name, pf) in &g.by_buf {
                // Both sides' instances: the rule's direction is checked
                // in the full evaluation.
                for to_server in [true, false] {
                    tx.each(name, to_server, &mut |buf| {
                        self.scan_candidates(pf, buf);
                        false
                    });
                }
            }
        }
        let mut cands = std::mem::take(&mut self.cand);
        cands.sort_unstable();
        let pkt_to_server = pkt.flow.is_none_or(|f| f.to_server);
        // A request in progress: only the rules its progress allows; a rule
        // that matched it in progress does not run on it again.
        // A rule that can run on a request in progress matches each
        // transaction once, whichever copy it sees first.
        let partial = tx.transaction().and_then(|t| t.partial_request());
        let per_side = tx
            .transaction()
            .is_some_and(|t| t.directionless_rules_per_side());
        for &n in &cands {
            let s = &engine.sigs[n as usize];
            if let Some(level) = partial
                && (s.partial_level == 0 || s.partial_level > level)
            {
                continue;
            }
            if s.partial_level > 0 && fd.as_deref().is_some_and(|f| f.partial_done(tx_id, n)) {
                continue;
            }
            // Orientation: the rule's direction, else its buffers' side.
            let want = if s.flow.to_server && !s.flow.to_client {
                Some(true)
            } else if s.flow.to_client && !s.flow.to_server {
                Some(false)
            } else {
                s.bufs.iter().find_map(|b| buffer_direction(b.name))
            };
            // A rule without a side is tried on the packet's side, then on
            // the other (a transaction is handed over whole); for a
            // transaction inspected per side, on each side in its phase.
            let orientations: &[bool] = match (want, phase) {
                (None, _) if per_side => match phase {
                    TxPhase::Whole => &[false, true],
                    TxPhase::Now | TxPhase::Later => &[false],
                    // The request side ran already: the response side only.
                    TxPhase::NowResponse if pkt_to_server => continue,
                    TxPhase::NowResponse => &[false],
                    TxPhase::WholeResponse => {
                        if pkt_to_server {
                            &[true]
                        } else {
                            &[false]
                        }
                    }
                },
                (Some(true), TxPhase::NowResponse | TxPhase::WholeResponse) => continue,
                (Some(w), _) if w == pkt_to_server => &[false],
                (Some(_), TxPhase::Whole | TxPhase::WholeResponse) => &[true],
                (Some(_), _) | (None, TxPhase::Later) => continue,
                (None, _) => &[false, true],
            };
            let mut outcome = Outcome::NoMatch;
            for &swapped in orientations {
                outcome = self.eval_tx(&engine, n, pkt, fd.as_deref_mut(), tx, tx_id, swapped, out);
                // Per side, each side may alert.
                if outcome != Outcome::NoMatch && !(per_side && outcome == Outcome::Matched) {
                    break;
                }
            }
            if s.partial_level > 0
                && outcome != Outcome::NoMatch
                && let Some(f) = fd.as_deref_mut()
            {
                f.set_partial_done(tx_id, n);
            }
            if outcome == Outcome::Pass {
                if let Some(f) = fd.as_deref_mut() {
                    f.passed = true;
                }
                break;
            }
        }
        cands.clear();
        self.cand = cands;
        out[start..].sort_by_key(|a| a.sig);
    }

    /// Evaluates the rules of `app_proto` that are inspected on every
    /// packet ([`Sig::live`]) on the protocol's current state `tx`, in the
    /// packet's direction. Each rule matches at most once per direction
    /// of the flow (Suricata's per-transaction detection state of the
    /// flow's single TLS transaction); alerts carry transaction id 0.
    pub fn live(
        &mut self,
        pkt: &Packet<'_>,
        mut fd: Option<&mut FlowDetect>,
        app_proto: &str,
        tx: &dyn TxBuffers,
        out: &mut Vec<Alert>,
    ) {
        let Some(flow) = pkt.flow else { return };
        if fd.as_deref().is_none_or(|f| f.passed) {
            return;
        }
        let engine = self.engine.clone();
        let Some(rules) = engine.live.get(app_proto) else {
            return;
        };
        let start = out.len();
        for &n in rules {
            let s = &engine.sigs[n as usize];
            if s.live_dir.is_some_and(|d| d != flow.to_server)
                || fd
                    .as_deref()
                    .is_some_and(|f| f.live_done(n, flow.to_server))
            {
                continue;
            }
            if s.live_staged
                && !fd
                    .as_deref()
                    .is_some_and(|f| f.live_stage0(n, flow.to_server))
            {
                // The stage-0 keywords on their own; once they matched in
                // this direction they are not tested again (Suricata keeps
                // the inspection lists that matched).
                let Some(t) = tx.transaction() else { continue };
                let dir = if flow.to_server {
                    vigil_proto::Direction::ToServer
                } else {
                    vigil_proto::Direction::ToClient
                };
                let ctx = vigil_proto::keywords::MatchCtx {
                    client: pkt
                        .decoded
                        .ip
                        .map(|ip| if flow.to_server { ip.src } else { ip.dst }),
                    now_secs: pkt.ts_secs,
                };
                let stage0 = s
                    .tx_kws
                    .iter()
                    .filter(|k| k.stage() == 0)
                    .all(|k| k.matches_in(t, dir, &ctx));
                if !stage0 {
                    continue;
                }
                if let Some(f) = fd.as_deref_mut() {
                    f.set_live_stage0(n, flow.to_server);
                }
            }
            self.skip_stage0 = s.live_staged;
            let outcome = self.eval_emit(
                &engine,
                n,
                pkt,
                fd.as_deref_mut(),
                Src::Tx,
                Some((tx, 0)),
                false,
                out,
            );
            self.skip_stage0 = false;
            if outcome == Outcome::NoMatch {
                continue;
            }
            if let Some(f) = fd.as_deref_mut() {
                f.set_live_done(n, flow.to_server);
                if outcome == Outcome::Pass {
                    f.passed = true;
                }
            }
            if outcome == Outcome::Pass {
                break;
            }
        }
        out[start..].sort_by_key(|a| a.sig);
    }

    #[allow(clippy::too_many_arguments)]
    fn eval_tx(
        &mut self,
        engine: &Engine,
        n: u32,
        pkt: &Packet<'_>,
        fd: Option<&mut FlowDetect>,
        tx: &dyn TxBuffers,
        tx_id: u64,
        swapped: bool,
        out: &mut Vec<Alert>,
    ) -> Outcome {
        self.eval_emit(engine, n, pkt, fd, Src::Tx, Some((tx, tx_id)), swapped, out)
    }

    #[allow(clippy::too_many_arguments)]
    fn eval_emit(
        &mut self,
        engine: &Engine,
        n: u32,
        pkt: &Packet<'_>,
        mut fd: Option<&mut FlowDetect>,
        src: Src<'_>,
        tx: Option<(&dyn TxBuffers, u64)>,
        swapped: bool,
        out: &mut Vec<Alert>,
    ) -> Outcome {
        let s = &engine.sigs[n as usize];
        if !self.matches(s, pkt, fd.as_deref(), src, tx, swapped) {
            return Outcome::NoMatch;
        }
        // Post-match: flowbits and flowint actions.
        if let Some(f) = fd.as_deref_mut() {
            for a in &s.bit_acts {
                match *a {
                    BitAct::Set(b) => f.set_bit(b),
                    BitAct::Unset(b) => f.unset_bit(b),
                    BitAct::Toggle(b) => f.toggle_bit(b),
                }
            }
            for op in &s.ints {
                let v = match op.value {
                    Some(IntOperand::Num(v)) => Some(v),
                    Some(IntOperand::Var(o)) => f.int(o),
                    None => None,
                };
                match (op.op, v) {
                    (FlowintOp::Set, Some(v)) => f.set_int(op.var, v),
                    (FlowintOp::Add, Some(v)) => {
                        let cur = f.int(op.var).unwrap_or(0);
                        f.set_int(op.var, cur.wrapping_add(v));
                    }
                    (FlowintOp::Sub, Some(v)) => {
                        let cur = f.int(op.var).unwrap_or(0);
                        f.set_int(op.var, cur.wrapping_sub(v));
                    }
                    _ => {}
                }
            }
        }
        if !s.xbits.is_empty()
            && let Some(ip) = pkt.decoded.ip
        {
            let (a, b) = if swapped {
                (ip.dst, ip.src)
            } else {
                (ip.src, ip.dst)
            };
            for x in &s.xbits {
                let key = (x.bit, xkey(x.track, a, b));
                match x.action {
                    vigil_rules::BitsAction::Set => {
                        if self.xbits.len() >= MAX_XBITS {
                            self.xbits.clear();
                        }
                        self.xbits.insert(key, pkt.ts_secs + i64::from(x.expire));
                    }
                    vigil_rules::BitsAction::Unset => {
                        self.xbits.remove(&key);
                    }
                    vigil_rules::BitsAction::Toggle => {
                        let live = self.xbits.get(&key).is_some_and(|e| *e >= pkt.ts_secs);
                        if live {
                            self.xbits.remove(&key);
                        } else {
                            self.xbits.insert(key, pkt.ts_secs + i64::from(x.expire));
                        }
                    }
                    _ => {}
                }
            }
        }
        if s.action == Action::Pass {
            return Outcome::Pass;
        }
        if s.noalert {
            return Outcome::Matched;
        }
        // A link-layer message has no addresses: its thresholds count per
        // rule (by_src/by_dst share one unspecified address).
        let none = IpAddr::V4(std::net::Ipv4Addr::UNSPECIFIED);
        let (src_ip, dst_ip) = match pkt.decoded.ip {
            Some(ip) if swapped => (ip.dst, ip.src),
            Some(ip) => (ip.src, ip.dst),
            None => (none, none),
        };
        if !self
            .thresholds
            .check(s, src_ip, dst_ip, pkt.ts_secs, fd.as_deref().map(|f| f.id))
        {
            return Outcome::Matched;
        }
        out.push(Alert {
            sig: n,
            stream: matches!(src, Src::Stream(_)),
            tx: tx.map(|t| t.1),
            swapped,
        });
        Outcome::Matched
    }

    fn matches(
        &mut self,
        s: &Sig,
        pkt: &Packet<'_>,
        fd: Option<&FlowDetect>,
        src: Src<'_>,
        tx: Option<(&dyn TxBuffers, u64)>,
        swapped: bool,
    ) -> bool {
        let (tx, tx_id) = match tx {
            Some((t, id)) => (Some(t), Some(id)),
            None => (None, None),
        };
        let Some(ip) = pkt.decoded.ip else {
            return self.matches_link_layer(s, pkt, src, tx);
        };
        if let Some(fam) = s.proto.family
            && fam != ip.version
        {
            return false;
        }
        // Flow.
        let flow = pkt.flow;
        if s.flow.needs_flow && flow.is_none() {
            return false;
        }
        if let Some(f) = flow {
            let to_server = f.to_server != swapped;
            if s.flow.to_server && !s.flow.to_client && !to_server {
                return false;
            }
            if s.flow.to_client && !s.flow.to_server && to_server {
                return false;
            }
            if s.flow.established && !f.established && src != Src::Tx {
                return false;
            }
            if s.flow.not_established && f.established {
                return false;
            }
            if let Some(want) = &s.app_proto {
                match f.app_proto {
                    Some(have) if proto_eq(want, have) => {}
                    _ => return false,
                }
                // Application rules see TCP packets once the session is
                // established (as observed with Suricata 7).
                if ip.proto == 6 && !f.established && src != Src::Tx {
                    return false;
                }
            }
            for (p, neg) in &s.alp {
                let is = f.app_proto.is_some_and(|h| proto_eq(p, h));
                if f.app_proto.is_none() || is == *neg {
                    return false;
                }
            }
        } else if s.app_proto.is_some() || !s.alp.is_empty() {
            return false;
        }
        if s.flow.only_frag && ip.frag.is_none() {
            return false;
        }
        if s.flow.no_frag && ip.frag.is_some() {
            return false;
        }
        // Addresses and ports.
        let Some((a_src, a_dst, sp, dp)) = pkt.addrs() else {
            return false;
        };
        let (a_src, a_dst, sp, dp) = if swapped {
            (a_dst, a_src, dp, sp)
        } else {
            (a_src, a_dst, sp, dp)
        };
        // Ports first: cheaper than address sets, and most often the one
        // that rules a candidate out.
        let has_ports = matches!(ip.proto, 6 | 17 | 132);
        let fwd = (!has_ports || (s.sp.contains(sp) && s.dp.contains(dp)))
            && s.src.contains(a_src)
            && s.dst.contains(a_dst);
        if !fwd {
            let rev = s.bidir
                && (!has_ports || (s.sp.contains(dp) && s.dp.contains(sp)))
                && s.src.contains(a_dst)
                && s.dst.contains(a_src);
            if !rev {
                return false;
            }
        }
        if let Some(m) = s.dsize {
            let len = pkt.payload.len() as u64;
            // Suricata's signature mask: dsize other than `=0` / `<N`
            // needs a payload; `=0` needs none.
            let needs_payload =
                !matches!(m, UintMatch::Eq(0) | UintMatch::Lt(_) | UintMatch::Le(_));
            if src == Src::Tx || (needs_payload && len == 0) || !uint_match(m, len) {
                return false;
            }
        }
        for h in &s.hdr {
            if !hdr_match(h, pkt) {
                return false;
            }
        }
        // Flowbits / flowint conditions.
        if !s.bit_conds.is_empty() {
            let Some(f) = fd else { return false };
            for c in &s.bit_conds {
                let ok = if c.any {
                    c.bits.iter().any(|b| f.bit(*b) == c.isset)
                } else {
                    c.bits.iter().all(|b| f.bit(*b) == c.isset)
                };
                if !ok {
                    return false;
                }
            }
        }
        for op in &s.ints {
            let is_cond = !matches!(op.op, FlowintOp::Set | FlowintOp::Add | FlowintOp::Sub);
            if !is_cond {
                continue;
            }
            let Some(f) = fd else { return false };
            let cur = f.int(op.var);
            let rhs = match op.value {
                Some(IntOperand::Num(v)) => Some(v),
                Some(IntOperand::Var(o)) => f.int(o),
                None => None,
            };
            let ok = match (op.op, cur, rhs) {
                (FlowintOp::IsSet, c, _) => c.is_some(),
                (FlowintOp::NotSet, c, _) => c.is_none(),
                (FlowintOp::Eq, Some(c), Some(r)) => c == r,
                (FlowintOp::Ne, Some(c), Some(r)) => c != r,
                (FlowintOp::Lt, Some(c), Some(r)) => c < r,
                (FlowintOp::Le, Some(c), Some(r)) => c <= r,
                (FlowintOp::Gt, Some(c), Some(r)) => c > r,
                (FlowintOp::Ge, Some(c), Some(r)) => c >= r,
                _ => false,
            };
            if !ok {
                return false;
            }
        }
        for x in &s.xbits {
            let want = match x.action {
                vigil_rules::BitsAction::IsSet => true,
                vigil_rules::BitsAction::IsNotSet => false,
                _ => continue,
            };
            let (a, b) = if swapped {
                (ip.dst, ip.src)
            } else {
                (ip.src, ip.dst)
            };
            let live = self
                .xbits
                .get(&(x.bit, xkey(x.track, a, b)))
                .is_some_and(|e| *e >= pkt.ts_secs);
            if live != want {
                return false;
            }
        }
        if !s.app_events.is_empty() {
            let Some(f) = fd else { return false };
            let ok = match (src, tx_id) {
                (Src::Tx, Some(id)) => s.app_events.iter().all(|e| f.has_tx_event(e, id)),
                _ => s.app_events.iter().all(|e| f.has_event(e)),
            };
            if !ok {
                return false;
            }
        }
        if !s.tx_kws.is_empty() {
            let Some(t) = tx.and_then(|t| t.transaction()) else {
                return false;
            };
            let dir = if flow.is_none_or(|f| f.to_server != swapped) {
                vigil_proto::Direction::ToServer
            } else {
                vigil_proto::Direction::ToClient
            };
            // The flow's client: the packet's source when it goes to the
            // server.
            let ctx = vigil_proto::keywords::MatchCtx {
                client: flow.map(|f| if f.to_server { ip.src } else { ip.dst }),
                now_secs: pkt.ts_secs,
            };
            let skip0 = self.skip_stage0;
            if t.message_dir().is_some_and(|d| d != dir)
                || !s
                    .tx_kws
                    .iter()
                    .all(|k| (skip0 && k.stage() == 0) || k.matches_in(t, dir, &ctx))
            {
                return false;
            }
        }
        let to_server = flow.is_none_or(|f| f.to_server != swapped);
        self.match_buffers(s, pkt, src, tx, to_server)
    }

    /// The buffer part of a rule: payload, header buffers, transaction
    /// buffers (seen from `to_server`'s side), base64 data.
    fn match_buffers(
        &mut self,
        s: &Sig,
        pkt: &Packet<'_>,
        src: Src<'_>,
        tx: Option<&dyn TxBuffers>,
        to_server: bool,
    ) -> bool {
        // Buffers.
        let mut insp = Insp {
            cursor: 0,
            vars: [0; MAX_VARS],
            budget: 0,
            pcre: &mut self.pcre,
            b64: &mut self.b64,
            b64_done: false,
        };
        if let Some(p) = &s.payload {
            match src {
                Src::Packet => {
                    if !run_prog(p, pkt.payload, &mut insp, &mut self.tbuf, &mut self.tmp) {
                        return false;
                    }
                }
                Src::Stream(d) => {
                    if !run_prog(p, d, &mut insp, &mut self.tbuf, &mut self.tmp) {
                        return false;
                    }
                }
                Src::Tx => {
                    // An application rule with payload matches: the stream
                    // chunk ready at this packet first, then the packet's
                    // own payload where the rule may see it.
                    let mut ok = false;
                    if let Some(chunk) = pkt.stream
                        && (!s.require_packet || s.stream_and_packet)
                    {
                        ok = run_prog(p, chunk, &mut insp, &mut self.tbuf, &mut self.tmp);
                    }
                    if !ok
                        && !pkt.payload.is_empty()
                        && !s.require_stream
                        && (!pkt.stream_tracked || s.require_packet)
                    {
                        insp.cursor = 0;
                        insp.vars = [0; MAX_VARS];
                        ok = run_prog(p, pkt.payload, &mut insp, &mut self.tbuf, &mut self.tmp);
                    }
                    if !ok {
                        return false;
                    }
                    insp.cursor = 0;
                }
            }
        }
        for p in &s.hdr_bufs {
            let Some(data) = header_buffer(pkt, p.name) else {
                return false;
            };
            if !run_prog(p, data, &mut insp, &mut self.tbuf, &mut self.tmp) {
                return false;
            }
        }
        if !s.bufs.is_empty() {
            let Some(tx) = tx else { return false };
            for p in &s.bufs {
                let (tbuf, tmp) = (&mut self.tbuf, &mut self.tmp);
                let mut ok = false;
                // A multi-valued buffer matches when one instance does.
                tx.each(p.name, to_server, &mut |data| {
                    ok = run_prog(p, data, &mut insp, tbuf, tmp);
                    ok
                });
                if !ok {
                    return false;
                }
            }
        }
        if let Some(p) = &s.b64 {
            if !insp.b64_done || insp.b64.is_empty() {
                return false;
            }
            let data = std::mem::take(insp.b64);
            let ok = run_prog(p, &data, &mut insp, &mut self.tbuf, &mut self.tmp);
            *insp.b64 = data;
            if !ok {
                return false;
            }
        }
        true
    }

    /// A rule on a link-layer protocol (GOOSE) inspecting one of its frames:
    /// no IP header and no flow, so only the protocol's keywords and
    /// buffers take part (addresses and ports, which such a rule writes as
    /// `any`, are not checked).
    fn matches_link_layer(
        &mut self,
        s: &Sig,
        pkt: &Packet<'_>,
        src: Src<'_>,
        tx: Option<&dyn TxBuffers>,
    ) -> bool {
        let link_layer = s
            .app_proto
            .as_deref()
            .is_some_and(|p| LINK_LAYER_PROTOCOLS.contains(&p));
        if src != Src::Tx
            || !link_layer
            || s.flow.needs_flow
            || !s.alp.is_empty()
            || s.dsize.is_some()
            || !s.hdr.is_empty()
            || !s.bit_conds.is_empty()
            || !s.xbits.is_empty()
            || !s.app_events.is_empty()
            || s.ints
                .iter()
                .any(|op| !matches!(op.op, FlowintOp::Set | FlowintOp::Add | FlowintOp::Sub))
        {
            return false;
        }
        if !s.tx_kws.is_empty() {
            let Some(t) = tx.and_then(|t| t.transaction()) else {
                return false;
            };
            let dir = vigil_proto::Direction::ToServer;
            if !s.tx_kws.iter().all(|k| k.matches(t, dir)) {
                return false;
            }
        }
        self.match_buffers(s, pkt, src, tx, true)
    }
}

fn run_prog(
    p: &crate::sig::BufProg,
    data: &[u8],
    insp: &mut Insp<'_>,
    tbuf: &mut Vec<u8>,
    tmp: &mut Vec<u8>,
) -> bool {
    if p.transforms.is_empty() {
        inspect(&p.ops, data, insp)
    } else {
        crate::transform::apply(&p.transforms, data, tbuf, tmp, insp.pcre);
        let buf = std::mem::take(tbuf);
        let ok = inspect(&p.ops, &buf, insp);
        *tbuf = buf;
        ok
    }
}

/// The bytes of a packet header buffer.
fn header_buffer<'a>(pkt: &Packet<'a>, name: &str) -> Option<&'a [u8]> {
    let ip = pkt.decoded.ip?;
    let l4 = |len: usize| pkt.frame.get(ip.l4_offset..ip.l4_offset.checked_add(len)?);
    match name {
        "ipv4.hdr" => ipv4_header(pkt),
        "ipv6.hdr" if ip.version == 6 => pkt.frame.get(ip.header_offset..ip.header_offset + 40),
        "tcp.hdr" => match pkt.decoded.transport {
            Transport::Tcp(t) => l4(usize::from(t.header_len)),
            _ => None,
        },
        "udp.hdr" => match pkt.decoded.transport {
            Transport::Udp(_) => l4(8),
            _ => None,
        },
        "icmpv4.hdr" => match pkt.decoded.transport {
            // Suricata's ICMPv4 header length depends on the type.
            Transport::Icmpv4(i) => {
                let h = pkt.frame.get(ip.l4_offset..)?;
                let len = match i.icmp_type {
                    9 => 8 + usize::from(*h.get(4)?) * usize::from(*h.get(5)?) * 4,
                    13 | 14 => 20,
                    17 | 18 => 12,
                    _ => 8,
                };
                l4(len.min(ip.l4_len))
            }
            _ => None,
        },
        "icmpv6.hdr" => match pkt.decoded.transport {
            Transport::Icmpv6(_) => l4(8),
            _ => None,
        },
        _ => None,
    }
}

fn proto_eq(want: &str, have: &str) -> bool {
    want == have
        || (want == "http" && (have == "http1" || have == "http2"))
        || (want == "http1" && have == "http")
        // Suricata's AppProtoEquals: a dcerpc rule also runs on SMB.
        || (want == "dcerpc" && have == "smb")
}

fn cmp_mod(modifier: Option<char>, have: u64, want: u64) -> bool {
    match modifier {
        Some('<') => have < want,
        Some('>') => have > want,
        Some('!') => have != want,
        _ => have == want,
    }
}

fn ipv4_header<'a>(pkt: &Packet<'a>) -> Option<&'a [u8]> {
    let ip = pkt.decoded.ip?;
    if ip.version != 4 {
        return None;
    }
    let h = pkt.frame.get(ip.header_offset..)?;
    let ihl = usize::from(*h.first()? & 0x0f) * 4;
    h.get(..ihl.max(20))
}

/// Whether the packet's checksum of `layer` is valid, as Suricata's
/// checksum keywords compute it; `None` when the packet has no such layer
/// (the keyword then matches neither `valid` nor `invalid`), and for a UDP
/// over IPv4 datagram without checksum (0).
pub(crate) fn checksum_state(layer: ChecksumLayer, pkt: &Packet<'_>) -> Option<bool> {
    let ip = pkt.decoded.ip?;
    let transport_ok = match (layer, pkt.decoded.transport) {
        (ChecksumLayer::Ipv4, _) => ip.version == 4,
        (ChecksumLayer::Tcpv4, Transport::Tcp(_)) => ip.version == 4,
        (ChecksumLayer::Tcpv6, Transport::Tcp(_)) => ip.version == 6,
        (ChecksumLayer::Udpv4, Transport::Udp(_)) => ip.version == 4,
        (ChecksumLayer::Udpv6, Transport::Udp(_)) => ip.version == 6,
        (ChecksumLayer::Icmpv4, Transport::Icmpv4(_)) => ip.version == 4,
        (ChecksumLayer::Icmpv6, Transport::Icmpv6(_)) => ip.version == 6,
        _ => false,
    };
    if !transport_ok {
        return None;
    }
    if layer == ChecksumLayer::Ipv4 {
        return Some(ip.checksum_ok);
    }
    let segment = pkt
        .frame
        .get(ip.l4_offset..ip.l4_offset.checked_add(ip.l4_len)?)?;
    if layer == ChecksumLayer::Udpv4 && segment.get(6..8)? == [0, 0] {
        return None;
    }
    let len = u32::try_from(segment.len()).ok()?;
    let mut sum = match layer {
        // ICMPv4 has no pseudo header.
        ChecksumLayer::Icmpv4 => 0,
        _ => {
            let addrs = match (ip.src, ip.dst) {
                (IpAddr::V4(s), IpAddr::V4(d)) => ones_sum(&[&s.octets()[..], &d.octets()[..]]),
                (IpAddr::V6(s), IpAddr::V6(d)) => ones_sum(&[&s.octets()[..], &d.octets()[..]]),
                _ => return None,
            };
            addrs + u64::from(ip.proto) + u64::from(len >> 16) + u64::from(len & 0xffff)
        }
    };
    sum += ones_sum(&[segment]);
    while sum > 0xffff {
        sum = (sum & 0xffff) + (sum >> 16);
    }
    Some(sum == 0xffff)
}

/// The unfolded sum of the 16-bit big-endian words of `parts` (each part
/// but the last has an even length; an odd last byte is padded with 0).
fn ones_sum(parts: &[&[u8]]) -> u64 {
    let mut sum = 0u64;
    for part in parts {
        let mut words = part.chunks_exact(2);
        for w in &mut words {
            sum += u64::from(u16::from_be_bytes([w[0], w[1]]));
        }
        if let [last] = words.remainder() {
            sum += u64::from(*last) << 8;
        }
    }
    sum
}

pub(crate) fn hdr_match(h: &HdrCheck, pkt: &Packet<'_>) -> bool {
    // Decoder events exist on packets without a (valid) IP layer too.
    if let HdrCheck::DecodeEvent(ev) = h {
        return pkt.decoded.events.contains(*ev);
    }
    let Some(ip) = pkt.decoded.ip else {
        return false;
    };
    let tcp = match pkt.decoded.transport {
        Transport::Tcp(t) => Some(t),
        _ => None,
    };
    let icmp = match pkt.decoded.transport {
        Transport::Icmpv4(i) => Some((4, i)),
        Transport::Icmpv6(i) => Some((6, i)),
        _ => None,
    };
    match h {
        HdrCheck::Ttl(m) => uint_match(*m, u64::from(ip.ttl)),
        HdrCheck::Tos(v, neg) => (ip.tos == *v) != *neg,
        HdrCheck::IpOpts(code) => {
            let Some(hdr) = ipv4_header(pkt) else {
                return false;
            };
            let mut opts = hdr.get(20..).unwrap_or(&[]);
            while let Some((&t, rest)) = opts.split_first() {
                if *code == 255 || t == *code {
                    return true;
                }
                if t == 0 {
                    break;
                }
                if t == 1 {
                    opts = rest;
                    continue;
                }
                let l = usize::from(*rest.first().unwrap_or(&0));
                if l < 2 || l > opts.len() {
                    break;
                }
                opts = &opts[l..];
            }
            false
        }
        HdrCheck::FragBits(f) => {
            let Some(hdr) = ipv4_header(pkt) else {
                return false;
            };
            let flags = hdr[6] >> 5;
            // Rule bits: M=1 D=2 R=4; header: R=4 D=2 M=1.
            let have = flags & 7;
            match f.modifier {
                Some('+') => have & f.bits == f.bits,
                Some('*') => have & f.bits != 0,
                Some('!') => have & f.bits == 0,
                _ => have == f.bits,
            }
        }
        HdrCheck::FragOffset(m, v) => {
            let Some(hdr) = ipv4_header(pkt) else {
                return false;
            };
            let off = u16::from_be_bytes([hdr[6], hdr[7]]) & 0x1fff;
            cmp_mod(*m, u64::from(off), u64::from(*v))
        }
        HdrCheck::IpId(v) => ip.version == 4 && ip.id == u32::from(*v),
        HdrCheck::SameIp => ip.src == ip.dst,
        HdrCheck::DecodeEvent(ev) => pkt.decoded.events.contains(*ev),
        HdrCheck::Checksum(layer, valid) => {
            checksum_state(*layer, pkt).is_some_and(|ok| ok == *valid)
        }
        HdrCheck::IpProto(m, p) => cmp_mod(*m, u64::from(ip.proto), u64::from(*p)),
        HdrCheck::TcpFlags(f) => {
            let Some(t) = tcp else { return false };
            let have = t.flags & !f.mask;
            match f.modifier {
                Some('+') => have & f.flags == f.flags,
                Some('*') => have & f.flags != 0,
                Some('!') => have & f.flags == 0,
                _ => have == f.flags,
            }
        }
        HdrCheck::Seq(v) => tcp.is_some_and(|t| t.seq == *v),
        HdrCheck::Ack(v) => tcp.is_some_and(|t| t.ack == *v),
        HdrCheck::Window(v, neg) => tcp.is_some_and(|t| (t.window == *v) != *neg),
        HdrCheck::Mss(m) => tcp
            .and_then(|t| t.options.mss)
            .is_some_and(|mss| uint_match(*m, u64::from(mss))),
        HdrCheck::Itype(m) => icmp.is_some_and(|(_, i)| uint_match(*m, u64::from(i.icmp_type))),
        HdrCheck::Icode(m) => icmp.is_some_and(|(_, i)| uint_match(*m, u64::from(i.code))),
        HdrCheck::IcmpId(v) => {
            icmp.is_some_and(|(ver, i)| echo_like(ver, i.icmp_type) && i.id == *v)
        }
        HdrCheck::IcmpSeq(v) => {
            icmp.is_some_and(|(ver, i)| echo_like(ver, i.icmp_type) && i.seq == *v)
        }
        HdrCheck::StreamSize(side, m) => {
            let Some(f) = pkt.flow else { return false };
            // Suricata counts the SYN: sizes are sequence-number spans.
            let (c, s) = (f.stream_bytes[0] + 1, f.stream_bytes[1] + 1);
            match side {
                0 => uint_match(*m, s),
                1 => uint_match(*m, c),
                2 => uint_match(*m, s) && uint_match(*m, c),
                _ => uint_match(*m, s) || uint_match(*m, c),
            }
        }
    }
}

fn echo_like(ver: u8, t: u8) -> bool {
    if ver == 4 {
        matches!(t, 0 | 8 | 13 | 14 | 15 | 16 | 17 | 18)
    } else {
        matches!(t, 128 | 129)
    }
}
