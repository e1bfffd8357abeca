//! Detection state: per flow (flowbits, flowints, raw stream windows,
//! one-shot flags) and per worker (threshold / detection_filter trackers,
//! threshold.config suppressions). Everything is capped.

use crate::sig::Sig;
use hashbrown::HashMap;
use std::net::IpAddr;
use vigil_rules::{ThresholdConfig, ThresholdEntryKind, ThresholdType, Track};

/// Most flowbits set at once on one flow.
pub const MAX_FLOW_BITS: usize = 512;
/// Most (live rule, direction) matches remembered per flow.
pub const MAX_LIVE_MATCHES: usize = 4096;
/// Most (transaction, rule) matches on requests in progress remembered per
/// flow.
pub const MAX_PARTIAL_MATCHES: usize = 256;
/// Most flowints on one flow.
pub const MAX_FLOW_INTS: usize = 128;
/// Most app-layer events remembered per flow.
pub const MAX_FLOW_EVENTS: usize = 32;
/// Most raw stream bytes buffered per direction before inspection is
/// forced.
pub const MAX_RAW_BUFFER: usize = 256 * 1024;

/// Raw (reassembled) stream data of one direction awaiting inspection.
#[derive(Debug, Default)]
pub struct RawStream {
    /// Buffered bytes: stream offsets `[base, base + data.len())`.
    pub data: Vec<u8>,
    /// Stream offset of `data[0]`.
    pub base: u64,
    /// Stream offset inspected up to.
    pub progress: u64,
    /// Inspection requested by the application layer.
    pub trigger: bool,
}

impl RawStream {
    /// Total bytes delivered (stream offset of the end).
    pub fn end(&self) -> u64 {
        self.base + self.data.len() as u64
    }

    /// Appends in-order data.
    pub fn push(&mut self, data: &[u8]) {
        self.data.extend_from_slice(data);
    }

    /// A gap of `len` bytes: what was buffered and not inspected is
    /// dropped, inspection continues after the gap.
    pub fn gap(&mut self, len: u64) {
        let end = self.end() + len;
        self.data.clear();
        self.base = end;
        self.progress = end;
    }

    /// The bytes from `progress` up to stream offset `upto` (bounded by what
    /// is buffered), or `None` when there is nothing new. Marks them
    /// inspected and drops them from the buffer (keeping the first
    /// `keep_start` bytes of the stream while inside them, so rules with a
    /// depth see the stream start again).
    pub fn take(&mut self, upto: u64, keep_start: u64, out: &mut Vec<u8>) -> bool {
        let upto = upto.min(self.end());
        if upto <= self.progress {
            return false;
        }
        let from = if self.progress < keep_start {
            self.base
        } else {
            self.progress.max(self.base)
        };
        out.clear();
        let a = (from - self.base) as usize;
        let b = (upto - self.base) as usize;
        out.extend_from_slice(&self.data[a..b]);
        self.progress = upto;
        if upto >= keep_start {
            // Drop what is inspected.
            let drop = (upto - self.base) as usize;
            self.data.drain(..drop);
            self.base = upto;
        }
        self.trigger = false;
        true
    }
}

/// Most transactions a flow keeps waiting for a packet of their
/// direction; past it new ones are inspected at once, whole.
pub const MAX_DEFERRED_TXS: usize = 64;

/// A transaction waiting for a packet of direction `dir`.
pub struct DeferredTx {
    /// The transaction.
    pub tx: Box<dyn vigil_proto::Transaction>,
    /// Its id.
    pub tx_id: u64,
    /// The direction of the packet it waits for.
    pub dir: vigil_proto::Direction,
    /// The rules to run then: all of them (a single message completed on
    /// a packet of the other direction) or those of `dir` only.
    pub phase: crate::TxPhase,
}

/// Transactions waiting for a packet of their own direction: Suricata
/// inspects a direction's transactions on that direction's packets, so a
/// request parsed when the server's ACK arrives is inspected on the
/// client's next packet.
#[derive(Default)]
pub struct DeferredTxs(pub Vec<DeferredTx>);

impl std::fmt::Debug for DeferredTxs {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "DeferredTxs({})", self.0.len())
    }
}

/// Per-flow detection state.
#[derive(Debug, Default)]
pub struct FlowDetect {
    /// Transactions waiting for a packet of their direction.
    pub deferred: DeferredTxs,
    /// Flow id (for `track by_flow`).
    pub id: u64,
    bits: Vec<u32>,
    ints: Vec<(u32, u32)>,
    /// App-layer events raised (`proto.event`, transaction id).
    events: Vec<(String, Option<u64>)>,
    /// IP-only rules ran for (to-server, to-client).
    pub iponly_done: [bool; 2],
    /// Protocol-detection-only rules ran for (to-server, to-client).
    pub pd_done: [bool; 2],
    /// Raw stream per direction (sent by client, sent by server).
    pub raw: [RawStream; 2],
    /// A `pass` rule matched for the whole flow: no more inspection.
    pub passed: bool,
    /// Live rules that matched the flow's protocol state (or only their
    /// stage-0 keywords), per direction: `rule << 2 | stage0 << 1 |
    /// to_server`, sorted.
    live_done: Vec<u64>,
    /// Session tags running on the flow (`tag:session`).
    pub tags: Vec<TagState>,
    /// (transaction, rule) matches of rules that can run on a request in
    /// progress (`Transaction::partial_request`): each matches a
    /// transaction once, on whichever copy it sees first.
    partial_done: Vec<(u64, u32)>,
}

impl FlowDetect {
    /// State for flow `id`.
    pub fn new(id: u64) -> FlowDetect {
        FlowDetect {
            id,
            ..Default::default()
        }
    }

    /// The flow swapped its endpoints: what is kept per direction follows.
    pub fn flow_swapped(&mut self) {
        self.raw.swap(0, 1);
        self.iponly_done.swap(0, 1);
        self.pd_done.swap(0, 1);
        for d in &mut self.deferred.0 {
            d.dir = d.dir.reverse();
        }
        for k in &mut self.live_done {
            *k ^= 1;
        }
        self.live_done.sort_unstable();
    }

    /// Whether rule `sig` (one that can run on requests in progress)
    /// already matched transaction `tx`.
    pub fn partial_done(&self, tx: u64, sig: u32) -> bool {
        self.partial_done.contains(&(tx, sig))
    }

    /// Records that rule `sig` matched transaction `tx` (the oldest record
    /// goes past [`MAX_PARTIAL_MATCHES`]).
    pub fn set_partial_done(&mut self, tx: u64, sig: u32) {
        if self.partial_done.len() >= MAX_PARTIAL_MATCHES {
            self.partial_done.remove(0);
        }
        self.partial_done.push((tx, sig));
    }

    fn live_key(sig: u32, stage0: bool, to_server: bool) -> u64 {
        u64::from(sig) << 2 | u64::from(stage0) << 1 | u64::from(to_server)
    }

    /// Whether live rule `sig` matched in the given direction.
    pub fn live_done(&self, sig: u32, to_server: bool) -> bool {
        let k = Self::live_key(sig, false, to_server);
        self.live_done.binary_search(&k).is_ok()
    }

    /// Records that live rule `sig` matched in the given direction
    /// (ignored past [`MAX_LIVE_MATCHES`]).
    pub fn set_live_done(&mut self, sig: u32, to_server: bool) {
        self.insert_live(Self::live_key(sig, false, to_server));
    }

    /// Whether the stage-0 keywords of live rule `sig` matched in the
    /// given direction.
    pub fn live_stage0(&self, sig: u32, to_server: bool) -> bool {
        let k = Self::live_key(sig, true, to_server);
        self.live_done.binary_search(&k).is_ok()
    }

    /// Records that the stage-0 keywords of live rule `sig` matched.
    pub fn set_live_stage0(&mut self, sig: u32, to_server: bool) {
        self.insert_live(Self::live_key(sig, true, to_server));
    }

    fn insert_live(&mut self, k: u64) {
        if let Err(i) = self.live_done.binary_search(&k)
            && self.live_done.len() < MAX_LIVE_MATCHES
        {
            self.live_done.insert(i, k);
        }
    }

    /// Whether bit `b` is set.
    pub fn bit(&self, b: u32) -> bool {
        self.bits.binary_search(&b).is_ok()
    }

    /// Sets bit `b` (ignored past [`MAX_FLOW_BITS`]).
    pub fn set_bit(&mut self, b: u32) {
        if let Err(i) = self.bits.binary_search(&b)
            && self.bits.len() < MAX_FLOW_BITS
        {
            self.bits.insert(i, b);
        }
    }

    /// Clears bit `b`.
    pub fn unset_bit(&mut self, b: u32) {
        if let Ok(i) = self.bits.binary_search(&b) {
            self.bits.remove(i);
        }
    }

    /// Flips bit `b`.
    pub fn toggle_bit(&mut self, b: u32) {
        if self.bit(b) {
            self.unset_bit(b)
        } else {
            self.set_bit(b)
        }
    }

    /// The value of flowint `v`.
    pub fn int(&self, v: u32) -> Option<u32> {
        self.ints.iter().find(|(k, _)| *k == v).map(|(_, x)| *x)
    }

    /// Sets flowint `v`.
    pub fn set_int(&mut self, v: u32, x: u32) {
        if let Some(e) = self.ints.iter_mut().find(|(k, _)| *k == v) {
            e.1 = x;
        } else if self.ints.len() < MAX_FLOW_INTS {
            self.ints.push((v, x));
        }
    }

    /// Records an app-layer event (`proto.name`, lower case).
    pub fn add_event(&mut self, proto: &str, name: &str, tx_id: Option<u64>) {
        if self.events.len() >= MAX_FLOW_EVENTS {
            // Oldest first: a flood of events keeps the newest.
            self.events.remove(0);
        }
        self.events
            .push((format!("{proto}.{name}").to_ascii_lowercase(), tx_id));
    }

    /// Whether event `name` (`proto.event`) was raised on the flow since the
    /// last packet was inspected (packet rules).
    pub fn has_event(&self, name: &str) -> bool {
        self.events.iter().any(|e| e.0.eq_ignore_ascii_case(name))
    }

    /// Whether event `name` belongs to transaction `tx_id` (or to no
    /// transaction and is still pending), for rules on transactions.
    pub fn has_tx_event(&self, name: &str, tx_id: u64) -> bool {
        self.events
            .iter()
            .any(|e| e.1.is_none_or(|t| t == tx_id) && e.0.eq_ignore_ascii_case(name))
    }

    /// Forgets the events of no transaction (after the packet that raised
    /// them was inspected); transaction events stay until
    /// [`FlowDetect::clear_tx_events`].
    pub fn clear_events(&mut self) {
        self.events.retain(|e| e.1.is_some());
    }

    /// Forgets the events of transaction `tx_id` (it was inspected).
    pub fn clear_tx_events(&mut self, tx_id: u64) {
        self.events.retain(|e| e.1 != Some(tx_id));
    }
}

/// Most threshold trackers per worker; past it the table is cleared.
pub const MAX_TRACKERS: usize = 65_536;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum TrackKey {
    Rule,
    Ip(IpAddr),
    Pair(IpAddr, IpAddr),
    Flow(u64),
}

/// `track by_both`: Suricata keeps these on its IP-pair table, whose
/// entries match the two addresses in either order, so both directions of
/// a conversation share one tracker.
fn ip_pair(a: IpAddr, b: IpAddr) -> TrackKey {
    if a <= b {
        TrackKey::Pair(a, b)
    } else {
        TrackKey::Pair(b, a)
    }
}

#[derive(Debug, Clone, Copy)]
struct Tracker {
    count: u32,
    start: i64,
}

#[derive(Debug, Clone)]
struct ThresholdRule {
    kind: ThresholdType,
    track: Track,
    count: u32,
    seconds: u32,
}

#[derive(Debug, Clone)]
struct RateFilter {
    track: Track,
    count: u32,
    seconds: u32,
    /// `new_action pass` (other actions only matter inline).
    pass: bool,
    timeout: u32,
}

#[derive(Debug, Clone, Copy)]
struct RateState {
    count: u32,
    start: i64,
    /// The new action applies until this time.
    until: Option<i64>,
}

#[derive(Debug, Clone)]
struct Suppress {
    track: Option<Track>,
    ips: Option<vigil_rules::IpSet>,
}

/// Threshold, detection_filter and suppression state of one worker.
#[derive(Debug, Default)]
pub struct Thresholds {
    trackers: HashMap<(u32, u8, TrackKey), Tracker, foldhash::fast::RandomState>,
    /// threshold.config overrides by (gid, sid); sid 0 applies to all.
    overrides: std::collections::HashMap<(u32, u32), ThresholdRule>,
    suppress: std::collections::HashMap<(u32, u32), Vec<Suppress>>,
    rate_filters: std::collections::HashMap<(u32, u32), RateFilter>,
    rates: HashMap<(u32, TrackKey), RateState, foldhash::fast::RandomState>,
}

impl Thresholds {
    /// Threshold state with the entries of a threshold.config.
    pub fn new(conf: &ThresholdConfig) -> Thresholds {
        let mut t = Thresholds::default();
        for e in &conf.entries {
            match e.kind {
                ThresholdEntryKind::Threshold(kind) => {
                    if let (Some(track), Some(count), Some(seconds)) = (e.track, e.count, e.seconds)
                    {
                        t.overrides.insert(
                            (e.gid, e.sid),
                            ThresholdRule {
                                kind,
                                track,
                                count,
                                seconds,
                            },
                        );
                    }
                }
                ThresholdEntryKind::Suppress => {
                    t.suppress
                        .entry((e.gid, e.sid))
                        .or_default()
                        .push(Suppress {
                            track: e.track,
                            ips: e.ip_set.clone(),
                        });
                }
                ThresholdEntryKind::RateFilter => {
                    if let (Some(track), Some(count), Some(seconds)) = (e.track, e.count, e.seconds)
                    {
                        t.rate_filters.insert(
                            (e.gid, e.sid),
                            RateFilter {
                                track,
                                count,
                                seconds,
                                pass: e.new_action.as_deref() == Some("pass"),
                                timeout: e.timeout.unwrap_or(0),
                            },
                        );
                    }
                }
            }
        }
        t
    }

    fn suppressed(&self, s: &Sig, src: IpAddr, dst: IpAddr) -> bool {
        let keys = [(s.gid, s.sid), (s.gid, 0), (0, 0)];
        for k in keys {
            if let Some(list) = self.suppress.get(&k) {
                for sp in list {
                    let hit = match (&sp.track, &sp.ips) {
                        (None, _) | (_, None) => true,
                        (Some(Track::BySrc), Some(set)) => set.contains(src),
                        (Some(Track::ByDst), Some(set)) => set.contains(dst),
                        (Some(_), Some(set)) => set.contains(src) || set.contains(dst),
                    };
                    if hit {
                        return true;
                    }
                }
            }
        }
        false
    }

    /// Whether a match of `s` from `src` to `dst` at `now` alerts.
    pub fn check(
        &mut self,
        s: &Sig,
        src: IpAddr,
        dst: IpAddr,
        now: i64,
        flow: Option<u64>,
    ) -> bool {
        if !self.suppress.is_empty() && self.suppressed(s, src, dst) {
            return false;
        }
        let ov = self
            .overrides
            .get(&(s.gid, s.sid))
            .or_else(|| self.overrides.get(&(s.gid, 0)))
            .or_else(|| self.overrides.get(&(0, 0)))
            .cloned();
        let rule_t = s.threshold.map(|t| ThresholdRule {
            kind: t.kind,
            track: t.track,
            count: t.count,
            seconds: t.seconds,
        });
        let mut ok = true;
        if !self.rate_filters.is_empty() && self.rate_filtered(s, src, dst, now, flow) {
            return false;
        }
        if let Some(t) = ov.or(rule_t) {
            ok &= self.apply(s.num, 0, &t, src, dst, now, flow);
        }
        if let Some(t) = s.detection_filter {
            let t = ThresholdRule {
                kind: ThresholdType::DetectionFilter,
                track: t.track,
                count: t.count,
                seconds: t.seconds,
            };
            ok &= self.apply(s.num, 1, &t, src, dst, now, flow);
        }
        ok
    }

    /// threshold.config `rate_filter`: past `count` matches in `seconds`
    /// the new action applies for `timeout` seconds; with `pass` the
    /// alert is dropped (other new actions only change inline verdicts).
    fn rate_filtered(
        &mut self,
        s: &Sig,
        src: IpAddr,
        dst: IpAddr,
        now: i64,
        flow: Option<u64>,
    ) -> bool {
        let Some(rf) = self
            .rate_filters
            .get(&(s.gid, s.sid))
            .or_else(|| self.rate_filters.get(&(s.gid, 0)))
            .cloned()
        else {
            return false;
        };
        let key = match rf.track {
            Track::BySrc => TrackKey::Ip(src),
            Track::ByDst => TrackKey::Ip(dst),
            Track::ByRule => TrackKey::Rule,
            Track::ByBoth | Track::ByEither => ip_pair(src, dst),
            Track::ByFlow => TrackKey::Flow(flow.unwrap_or(0)),
        };
        if self.rates.len() >= MAX_TRACKERS {
            self.rates.clear();
        }
        let st = self.rates.entry((s.num, key)).or_insert(RateState {
            count: 0,
            start: now,
            until: None,
        });
        if let Some(until) = st.until {
            if now < until {
                return rf.pass;
            }
            st.until = None;
            st.count = 0;
            st.start = now;
        }
        if now - st.start >= i64::from(rf.seconds) {
            st.count = 0;
            st.start = now;
        }
        st.count = st.count.saturating_add(1);
        if st.count > rf.count {
            st.until = Some(now + i64::from(rf.timeout));
            return rf.pass;
        }
        false
    }

    #[allow(clippy::too_many_arguments)]
    fn apply(
        &mut self,
        num: u32,
        slot: u8,
        t: &ThresholdRule,
        src: IpAddr,
        dst: IpAddr,
        now: i64,
        flow: Option<u64>,
    ) -> bool {
        let key = match t.track {
            Track::BySrc => TrackKey::Ip(src),
            Track::ByDst => TrackKey::Ip(dst),
            Track::ByRule => TrackKey::Rule,
            Track::ByBoth => ip_pair(src, dst),
            Track::ByFlow => TrackKey::Flow(flow.unwrap_or(0)),
            Track::ByEither => TrackKey::Ip(src),
        };
        if self.trackers.len() >= MAX_TRACKERS {
            self.trackers.clear();
        }
        let secs = i64::from(t.seconds);
        match self.trackers.get_mut(&(num, slot, key)) {
            None => {
                let mut tr = Tracker {
                    count: 1,
                    start: now,
                };
                let alert = match t.kind {
                    ThresholdType::Limit => true,
                    ThresholdType::Threshold => {
                        if t.count <= 1 {
                            tr.count = 0;
                            true
                        } else {
                            false
                        }
                    }
                    ThresholdType::Both => t.count <= 1,
                    ThresholdType::DetectionFilter => 1 > t.count,
                };
                self.trackers.insert((num, slot, key), tr);
                alert
            }
            Some(tr) => {
                let in_window = now - tr.start < secs;
                match t.kind {
                    ThresholdType::Limit => {
                        if in_window {
                            tr.count = tr.count.saturating_add(1);
                            tr.count <= t.count
                        } else {
                            tr.start = now;
                            tr.count = 1;
                            true
                        }
                    }
                    ThresholdType::Threshold => {
                        if in_window {
                            tr.count = tr.count.saturating_add(1);
                            if tr.count >= t.count {
                                tr.count = 0;
                                true
                            } else {
                                false
                            }
                        } else {
                            tr.start = now;
                            tr.count = 1;
                            if t.count <= 1 {
                                tr.count = 0;
                                true
                            } else {
                                false
                            }
                        }
                    }
                    ThresholdType::Both => {
                        if in_window {
                            tr.count = tr.count.saturating_add(1);
                            tr.count == t.count
                        } else {
                            tr.start = now;
                            tr.count = 1;
                            t.count <= 1
                        }
                    }
                    ThresholdType::DetectionFilter => {
                        if in_window {
                            tr.count = tr.count.saturating_add(1);
                            tr.count > t.count
                        } else {
                            tr.start = now;
                            tr.count = 1;
                            1 > t.count
                        }
                    }
                }
            }
        }
    }
}

/// Suricata's tag length when the rule gives none (`DETECT_TAG_MAX_PKTS`).
pub const DEFAULT_TAG_PACKETS: u32 = 256;
/// Most tags running on one flow (Suricata's `DETECT_TAG_MAX_TAGS`).
pub const MAX_TAGS_PER_FLOW: usize = 50;

/// What a `tag` keyword counts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TagMetric {
    /// `packets`.
    Packets,
    /// `seconds` after the alert.
    Seconds,
    /// `bytes` of the packets (frames).
    Bytes,
}

/// A compiled `tag` keyword.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TagSpec {
    /// `host` tags follow an address (`Some(true)`: the alerting packet's
    /// destination, `Some(false)`: its source); `None`: the session.
    pub host_dst: Option<bool>,
    /// Unit of `count`.
    pub metric: TagMetric,
    /// How many units, the alerting packet included.
    pub count: u32,
}

impl TagSpec {
    /// From the parsed keyword (defaults: 256 packets, host source).
    pub fn from_rule(t: &vigil_rules::Tag) -> TagSpec {
        let (count, metric) = match &t.count {
            Some((n, unit)) => (
                *n,
                match unit.as_str() {
                    "seconds" => TagMetric::Seconds,
                    "bytes" => TagMetric::Bytes,
                    _ => TagMetric::Packets,
                },
            ),
            None => (DEFAULT_TAG_PACKETS, TagMetric::Packets),
        };
        TagSpec {
            host_dst: t.host.then(|| t.direction.as_deref() == Some("dst")),
            metric,
            count,
        }
    }
}

/// A running tag: the packets after an alert that are logged (EVE
/// `packet` records, with `tagged-packets` on) until its count is used up.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TagState {
    spec: TagSpec,
    start_secs: i64,
    packets: u64,
    bytes: u64,
}

impl TagState {
    /// Started by an alert on a packet of `len` bytes at `ts_secs` (that
    /// packet counts, but is not logged as tagged).
    pub fn new(spec: TagSpec, ts_secs: i64, len: usize) -> TagState {
        TagState {
            spec,
            start_secs: ts_secs,
            packets: 1,
            bytes: len as u64,
        }
    }

    /// Counts a later packet; `false` when the tag is over (the packet is
    /// not tagged and the tag can go).
    pub fn next(&mut self, ts_secs: i64, len: usize) -> bool {
        self.packets += 1;
        self.bytes += len as u64;
        let count = u64::from(self.spec.count);
        match self.spec.metric {
            TagMetric::Packets => self.packets <= count,
            TagMetric::Bytes => self.bytes <= count,
            TagMetric::Seconds => {
                ts_secs.saturating_sub(self.start_secs) <= i64::from(self.spec.count)
            }
        }
    }
}
