//! The flow table: finds or creates the flow of each packet, keeps its
//! counters, ends flows on timeout, on memory pressure and at shutdown.
//!
//! Flows live in a slab (`Vec` of slots reused through a free list) indexed
//! by a seeded hash map from [`FlowKey`]. Timeouts use a min-heap of
//! deadlines with lazy re-validation: each live flow has one current entry;
//! touching a flow does not touch the heap, and a popped entry whose flow was
//! active since is pushed back with the new deadline. So a packet costs one
//! hash lookup, and expiry is O(log n) per flow that actually ends.

use crate::Direction;
use crate::key::{FlowKey, PacketTuple};
use crate::tcp::{TcpConfig, TcpSession, TcpState};
use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::net::IpAddr;
use vigil_wire::{Decoded, OuterUdp, Timestamp, Transport};

/// Idle timeouts in seconds for one protocol class.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Timeouts {
    /// Flow seen in one direction only (or TCP handshake not complete).
    pub new: u32,
    /// Flow seen in both directions (TCP established).
    pub established: u32,
    /// TCP connection closed.
    pub closed: u32,
}

/// Timeouts per protocol, Suricata's `flow-timeouts` defaults.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FlowTimeouts {
    pub default: Timeouts,
    pub tcp: Timeouts,
    pub udp: Timeouts,
    pub icmp: Timeouts,
}

impl Default for FlowTimeouts {
    fn default() -> Self {
        FlowTimeouts {
            default: Timeouts {
                new: 30,
                established: 300,
                closed: 0,
            },
            tcp: Timeouts {
                new: 60,
                established: 600,
                closed: 60,
            },
            udp: Timeouts {
                new: 30,
                established: 300,
                closed: 0,
            },
            icmp: Timeouts {
                new: 30,
                established: 300,
                closed: 0,
            },
        }
    }
}

/// Flow table configuration.
#[derive(Clone, Debug)]
pub struct FlowConfig {
    /// TCP host OS policies, as Suricata's `host-os-policy`: `(network,
    /// prefix length, policy)`, longest prefix wins; hosts matching none use
    /// `tcp.os_policy`. The default is Suricata's shipped configuration,
    /// which maps 0.0.0.0/0 to windows.
    pub host_os_policy: Vec<(IpAddr, u8, crate::tcp::OsPolicy)>,
    /// Upper bound on flow-table memory (flow records and index), bytes.
    /// When reached, the least recently active flows are ended ("forced").
    pub memcap: usize,
    pub timeouts: FlowTimeouts,
    pub tcp: TcpConfig,
}

impl Default for FlowConfig {
    fn default() -> Self {
        FlowConfig {
            host_os_policy: vec![(
                IpAddr::V4(std::net::Ipv4Addr::UNSPECIFIED),
                0,
                crate::tcp::OsPolicy::Windows,
            )],
            memcap: 128 << 20,
            timeouts: FlowTimeouts::default(),
            tcp: TcpConfig::default(),
        }
    }
}

/// Lifecycle state of a flow, as EVE's `flow.state` names it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FlowState {
    New,
    Established,
    Closed,
}

impl FlowState {
    /// EVE name.
    pub fn name(self) -> &'static str {
        match self {
            FlowState::New => "new",
            FlowState::Established => "established",
            FlowState::Closed => "closed",
        }
    }
}

/// Why a flow ended, as EVE's `flow.reason` names it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EndReason {
    /// Idle longer than its timeout.
    Timeout,
    /// Ended early: memory cap reached, or its tuple was reused by a new
    /// TCP connection.
    Forced,
    /// End of input.
    Shutdown,
}

impl EndReason {
    /// EVE name.
    pub fn name(self) -> &'static str {
        match self {
            EndReason::Timeout => "timeout",
            EndReason::Forced => "forced",
            EndReason::Shutdown => "shutdown",
        }
    }
}

/// One flow: identity (oriented by its initiator), counters and state.
pub struct Flow {
    /// Canonical key.
    pub key: FlowKey,
    /// Initiator's address and port.
    pub src: IpAddr,
    pub src_port: u16,
    /// Responder's address and port.
    pub dst: IpAddr,
    pub dst_port: u16,
    /// IP protocol number.
    pub proto: u8,
    /// ESP SPI (0 for other protocols).
    pub spi: u32,
    /// VLAN ids, outermost first (`vlan_count` valid).
    pub vlan: [u16; 3],
    pub vlan_count: u8,
    /// Stable id printed as `flow_id`.
    pub flow_id: u64,
    /// First and last packet times.
    pub start: Timestamp,
    pub last: Timestamp,
    /// Packets and bytes (whole captured frames) per direction, indexed by
    /// [`Direction::index`].
    pub pkts: [u64; 2],
    pub bytes: [u64; 2],
    /// OR of TCP flags seen per direction.
    pub tcp_flags: [u8; 2],
    /// First ICMP (type, code) seen per direction.
    pub icmp: [Option<(u8, u8)>; 2],
    pub state: FlowState,
    /// TCP session tracking and reassembly (TCP flows only).
    pub tcp: Option<Box<TcpSession>>,
    /// Set when a rule alerted on the flow.
    pub alerted: bool,
    /// Application protocol, once detected (`failed` when detection gave up).
    pub app_proto: Option<&'static str>,
    /// The flow record's `app_proto_ts`, `app_proto_tc`, `app_proto_orig`
    /// and `app_proto_expected` (each written when set).
    pub app_proto_ts: Option<&'static str>,
    pub app_proto_tc: Option<&'static str>,
    pub app_proto_orig: Option<&'static str>,
    pub app_proto_expected: Option<&'static str>,
    /// The flow that announced this one (an FTP data connection's control
    /// connection): EVE's `parent_id`.
    pub parent_id: Option<u64>,
    /// Application-layer state, owned by the layer above (vigil-proto's
    /// `AppState`); opaque here so the flow crate does not depend on it.
    pub app: Option<Box<dyn std::any::Any + Send>>,
    /// Detection state (flowbits, flowints, raw stream windows), owned by
    /// the detection engine (vigil-detect's `FlowDetect`); opaque here.
    pub detect: Option<Box<dyn std::any::Any + Send>>,
    /// Creation order within the table (shutdown output order).
    seq: u64,
    /// Heap deadline currently queued for this flow.
    queued_deadline: Timestamp,
}

impl Flow {
    /// The VLAN ids, outermost first.
    pub fn vlans(&self) -> &[u16] {
        &self.vlan[..usize::from(self.vlan_count).min(3)]
    }

    /// TCP state, if the flow has a TCP session.
    pub fn tcp_state(&self) -> Option<TcpState> {
        self.tcp.as_ref().map(|s| s.state())
    }

    /// Swaps the flow's endpoints (Suricata's `FlowSwap`): the application
    /// layer found that the first sender seen was the server. Everything
    /// kept per direction follows; the TCP session keeps its own view and
    /// maps it to the flow's the other way round from now on.
    pub fn swap(&mut self) {
        std::mem::swap(&mut self.src, &mut self.dst);
        std::mem::swap(&mut self.src_port, &mut self.dst_port);
        self.pkts.swap(0, 1);
        self.bytes.swap(0, 1);
        self.tcp_flags.swap(0, 1);
        self.icmp.swap(0, 1);
        std::mem::swap(&mut self.app_proto_ts, &mut self.app_proto_tc);
        if let Some(session) = self.tcp.as_mut() {
            session.flow_swapped();
        }
    }

    /// Updates [`Flow::state`] from the TCP session after it saw a packet.
    pub fn sync_tcp_state(&mut self) {
        if let Some(state) = self.tcp_state() {
            self.state = match state {
                TcpState::None | TcpState::SynSent | TcpState::SynRecv => self.state,
                TcpState::Closed => FlowState::Closed,
                _ => FlowState::Established,
            };
        }
    }

    fn account(&mut self, now: Timestamp, dir: Direction, bytes: usize) {
        let d = dir.index();
        self.pkts[d] += 1;
        self.bytes[d] += bytes as u64;
        self.last = now.max(self.last);
        if self.proto != 6 && self.state == FlowState::New && self.pkts[0] > 0 && self.pkts[1] > 0 {
            self.state = FlowState::Established;
        }
    }

    fn timeout_secs(&self, timeouts: &FlowTimeouts) -> u32 {
        let class = match self.proto {
            6 => &timeouts.tcp,
            17 => &timeouts.udp,
            1 | 58 => &timeouts.icmp,
            _ => &timeouts.default,
        };
        match self.state {
            FlowState::New => class.new,
            FlowState::Established => class.established,
            FlowState::Closed => class.closed,
        }
    }

    /// When this flow times out if no further packet arrives. Like
    /// Suricata, timeouts work in whole seconds: a flow is timed out at
    /// packet time `t` when `last.secs + timeout < t.secs`.
    pub fn deadline(&self, timeouts: &FlowTimeouts) -> Timestamp {
        Timestamp {
            secs: self
                .last
                .secs
                .saturating_add(i64::from(self.timeout_secs(timeouts))),
            nanos: 0,
        }
    }

    /// True when the flow is timed out at `now`.
    pub fn timed_out(&self, timeouts: &FlowTimeouts, now: Timestamp) -> bool {
        self.deadline(timeouts).secs < now.secs
    }
}

/// True when `addr` lies in `net`/`len` (same address family only).
fn prefix_matches(net: IpAddr, len: u8, addr: IpAddr) -> bool {
    let (n, a, bits): (u128, u128, u32) = match (net, addr) {
        (IpAddr::V4(n), IpAddr::V4(a)) => (u32::from(n).into(), u32::from(a).into(), 32),
        (IpAddr::V6(n), IpAddr::V6(a)) => (u128::from(n), u128::from(a), 128),
        _ => return false,
    };
    let len = u32::from(len).min(bits);
    if len == 0 {
        return true;
    }
    let shift = bits - len;
    (n >> shift) == (a >> shift)
}

/// Protocols that get flows, as in Suricata: TCP, UDP, ICMP, ICMPv6, SCTP
/// and ESP. Other IP protocols (IGMP, OSPF, PIM, ...) are decoded and
/// counted but not tracked.
pub fn tracks_flows(proto: u8) -> bool {
    matches!(proto, 1 | 6 | 17 | 50 | 58 | 132)
}

/// Receives flows as they end. The flow is removed from the table after the
/// call returns.
pub trait FlowEndSink {
    /// `now` is the packet time at which the flow ended.
    fn flow_ended(&mut self, flow: &mut Flow, reason: EndReason, now: Timestamp);
}

/// Counters of the flow table, named after Suricata's `flow.*` stats.
#[derive(Clone, Debug, Default)]
pub struct FlowStats {
    /// flow.total
    pub total: u64,
    /// flow.tcp / flow.udp / flow.icmpv4 / flow.icmpv6
    pub tcp: u64,
    pub udp: u64,
    pub icmpv4: u64,
    pub icmpv6: u64,
    /// flow.tcp_reuse
    pub tcp_reuse: u64,
    /// flow.memcap: flows ended early because the memory cap was reached.
    pub memcap_evicted: u64,
    /// flow.mgr.flows_timeout
    pub timeouts: u64,
    /// flow.end.state.{new,established,closed}
    pub end_new: u64,
    pub end_established: u64,
    pub end_closed: u64,
    /// flow.active (at the time of reading)
    pub active: u64,
    /// flow.memuse (bytes)
    pub memuse: u64,
    /// Peak number of flows held at once.
    pub max_active: u64,
}

/// Approximate bytes one flow costs: the record, its index entry and heap
/// entry. TCP session buffers are accounted by the stream memcap.
pub const FLOW_COST: usize = std::mem::size_of::<Flow>()
    + std::mem::size_of::<(FlowKey, u32)>()
    + 16
    + std::mem::size_of::<HeapEntry>();

type HeapEntry = Reverse<(Timestamp, u32)>;

/// Buckets hashbrown allocates for `n` entries (7/8 load, power of two).
fn index_buckets(n: usize) -> usize {
    if n < 8 {
        8
    } else {
        n.saturating_mul(8).div_ceil(7).next_power_of_two()
    }
}

/// Index capacity for `n` flows: twice the flows, so that the tombstones
/// left by ended flows are always cleared by an in-place rehash (hashbrown
/// rehashes in place only below half of its capacity) and the index never
/// reallocates.
fn index_capacity(n: usize) -> usize {
    n.saturating_mul(2)
}

/// Bytes the table's structures take when sized for `n` flows: a slab slot,
/// a heap entry and a free-list entry per flow, plus the index buckets (a
/// key/slot pair and a control byte each).
fn table_bytes(n: usize) -> usize {
    let per_flow = std::mem::size_of::<Option<Flow>>()
        + std::mem::size_of::<HeapEntry>()
        + std::mem::size_of::<u32>();
    let per_bucket = std::mem::size_of::<(FlowKey, u32)>() + 1;
    n.saturating_mul(per_flow)
        .saturating_add(index_buckets(index_capacity(n)).saturating_mul(per_bucket))
}

/// How much to grow a structure of capacity `cap` holding up to `max`
/// entries: doubling, but never past `max` (unless already there).
fn grow_step(cap: usize, max: usize) -> usize {
    let target = cap.saturating_mul(2).max(64);
    if cap < max {
        target.min(max) - cap
    } else {
        cap / 8 + 1
    }
}

/// The most flows whose table structures fit in `memcap` bytes. The table
/// is sized for exactly this many up front, so it never grows past the cap.
pub fn max_flows_for(memcap: usize) -> usize {
    let mut n = memcap / FLOW_COST;
    while n > 0 && table_bytes(n) > memcap {
        n -= n / 32 + 1;
    }
    n.max(1)
}

/// A worker's flow table.
pub struct FlowTable {
    config: FlowConfig,
    /// Flows that fit under the memory cap.
    max_flows: usize,
    index: hashbrown::HashMap<FlowKey, u32, foldhash::fast::RandomState>,
    slots: Vec<Option<Flow>>,
    free: Vec<u32>,
    deadlines: BinaryHeap<HeapEntry>,
    next_seq: u64,
    /// Serial numbers for singleton flows.
    singletons: u64,
    last_expiry_secs: i64,
    stats: FlowStats,
}

impl FlowTable {
    /// An empty table.
    pub fn new(config: FlowConfig) -> FlowTable {
        let max_flows = max_flows_for(config.memcap);
        FlowTable {
            config,
            max_flows,
            // Everything grows with use (a pre-sized index would touch a
            // page per flow at random). The index never outgrows
            // `index_capacity(max_flows)` because it holds at most
            // `max_flows` keys; the slab and heap grow in steps capped at
            // `max_flows` (see `grow`).
            index: hashbrown::HashMap::with_hasher(foldhash::fast::RandomState::default()),
            slots: Vec::new(),
            free: Vec::new(),
            deadlines: BinaryHeap::new(),
            next_seq: 0,
            singletons: 0,
            last_expiry_secs: i64::MIN,
            stats: FlowStats::default(),
        }
    }

    /// The configuration in use.
    pub fn config(&self) -> &FlowConfig {
        &self.config
    }

    /// Counters, with `active`/`memuse` current.
    pub fn stats(&self) -> FlowStats {
        let mut s = self.stats.clone();
        s.active = self.index.len() as u64;
        s.memuse = self.memory_in_use() as u64;
        s
    }

    /// Bytes the table's structures hold now (allocated capacity).
    pub fn memory_in_use(&self) -> usize {
        let per_bucket = std::mem::size_of::<(FlowKey, u32)>() + 1;
        self.slots.capacity() * std::mem::size_of::<Option<Flow>>()
            + self.deadlines.capacity() * std::mem::size_of::<HeapEntry>()
            + self.free.capacity() * std::mem::size_of::<u32>()
            + if self.index.capacity() == 0 {
                0
            } else {
                index_buckets(self.index.capacity()) * per_bucket
            }
    }

    /// The TCP policy of host `addr` (longest matching prefix).
    fn host_policy(&self, addr: IpAddr) -> crate::tcp::OsPolicy {
        let mut best: Option<(u8, crate::tcp::OsPolicy)> = None;
        for &(net, len, policy) in &self.config.host_os_policy {
            if prefix_matches(net, len, addr) && best.is_none_or(|(l, _)| len >= l) {
                best = Some((len, policy));
            }
        }
        best.map_or(self.config.tcp.os_policy, |(_, p)| p)
    }

    /// Most flows held at once under the memory cap.
    pub fn max_flows(&self) -> usize {
        self.max_flows
    }

    /// Number of live flows.
    pub fn len(&self) -> usize {
        self.index.len()
    }

    /// True when no flow is live.
    pub fn is_empty(&self) -> bool {
        self.index.is_empty()
    }

    /// Ends flows idle past their timeout. Runs at most once per second of
    /// packet time; call it for every packet.
    pub fn advance(&mut self, now: Timestamp, sink: &mut dyn FlowEndSink) {
        if now.secs <= self.last_expiry_secs {
            return;
        }
        self.last_expiry_secs = now.secs;
        while let Some(Reverse((deadline, slot))) = self.deadlines.peek().copied() {
            if deadline.secs >= now.secs {
                break;
            }
            self.deadlines.pop();
            let Some(Some(flow)) = self.slots.get(slot as usize) else {
                continue;
            };
            if flow.queued_deadline != deadline {
                continue; // superseded entry
            }
            let actual = flow.deadline(&self.config.timeouts);
            if actual.secs < now.secs {
                self.stats.timeouts += 1;
                self.end_flow(slot, EndReason::Timeout, now, sink);
            } else {
                self.requeue(slot, actual);
            }
        }
    }

    fn requeue(&mut self, slot: u32, deadline: Timestamp) {
        if let Some(Some(flow)) = self.slots.get_mut(slot as usize) {
            flow.queued_deadline = deadline;
            if self.deadlines.len() == self.deadlines.capacity() {
                let cap = self.deadlines.capacity();
                self.deadlines.reserve_exact(grow_step(cap, self.max_flows));
            }
            self.deadlines.push(Reverse((deadline, slot)));
        }
    }

    /// Finds or creates the flow of a decoded packet and accounts `bytes`
    /// (see [`Decoded::flow_bytes`]) to it. Returns the flow and the
    /// packet's direction, or `None` when the packet has no flow (not IP, a
    /// fragment, or a protocol without flows).
    pub fn packet(
        &mut self,
        now: Timestamp,
        decoded: &Decoded,
        bytes: usize,
        sink: &mut dyn FlowEndSink,
    ) -> Option<(&mut Flow, Direction)> {
        let vlan = decoded.vlans();
        let tuple = PacketTuple::of(decoded)?;
        if !tracks_flows(tuple.proto) {
            return None;
        }
        let (slot, dir) = match PacketTuple::embedded_of(decoded) {
            // An ICMP destination-unreachable belongs to the flow of the
            // packet it quotes; if that flow is unknown it gets a flow of its
            // own that nothing joins later (as in Suricata).
            Some(emb) => match self.index.get(&FlowKey::new(&emb, vlan)).copied() {
                Some(slot) => {
                    let flow = self.slots.get(slot as usize)?.as_ref()?;
                    // The error travels towards the quoted packet's sender.
                    let dir = if flow.src == emb.src {
                        Direction::ToClient
                    } else {
                        Direction::ToServer
                    };
                    (slot, dir)
                }
                None => {
                    self.singletons += 1;
                    let key = FlowKey::new(&tuple, vlan).singleton(self.singletons);
                    self.make_room(now, sink);
                    (
                        self.create(now, key, &tuple, vlan, false)?,
                        Direction::ToServer,
                    )
                }
            },
            None => {
                let key = FlowKey::new(&tuple, vlan);
                let is_tcp = matches!(decoded.transport, Transport::Tcp(_));
                let reuse_probe = match decoded.transport {
                    Transport::Tcp(t) => Some(t),
                    _ => None,
                };
                self.lookup_or_create(now, key, &tuple, vlan, is_tcp, reuse_probe, sink)?
            }
        };
        let flow = self.slots.get_mut(slot as usize)?.as_mut()?;
        flow.account(now, dir, bytes);
        match decoded.transport {
            Transport::Tcp(t) => flow.tcp_flags[dir.index()] |= t.flags,
            Transport::Icmpv4(i) | Transport::Icmpv6(i)
                if flow.icmp[dir.index()].is_none() && matches!(flow.proto, 1 | 58) =>
            {
                flow.icmp[dir.index()] = Some((i.icmp_type, i.code));
            }
            _ => {}
        }
        Some((flow, dir))
    }

    /// Accounts the outer UDP packet of a UDP-carried tunnel (VXLAN,
    /// GENEVE, Teredo) to its own flow, as Suricata does.
    pub fn outer_udp_packet(
        &mut self,
        now: Timestamp,
        outer: &OuterUdp,
        bytes: usize,
        sink: &mut dyn FlowEndSink,
    ) {
        let tuple = PacketTuple {
            src: outer.ip.src,
            dst: outer.ip.dst,
            src_port: outer.src_port,
            dst_port: outer.dst_port,
            proto: 17,
            aux: 0,
        };
        let vlan = &outer.vlan[..usize::from(outer.vlan_count).min(3)];
        let key = FlowKey::new(&tuple, vlan);
        if let Some((slot, dir)) = self.lookup_or_create(now, key, &tuple, vlan, false, None, sink)
            && let Some(Some(flow)) = self.slots.get_mut(slot as usize)
        {
            flow.account(now, dir, bytes);
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn lookup_or_create(
        &mut self,
        now: Timestamp,
        key: FlowKey,
        tuple: &PacketTuple,
        vlan: &[u16],
        is_tcp: bool,
        reuse_probe: Option<vigil_wire::TcpInfo>,
        sink: &mut dyn FlowEndSink,
    ) -> Option<(u32, Direction)> {
        if let Some(&slot) = self.index.get(&key) {
            let flow = self.slots.get(slot as usize)?.as_ref()?;
            let dir = if flow.src == tuple.src && flow.src_port == tuple.src_port {
                Direction::ToServer
            } else {
                Direction::ToClient
            };
            let timed_out = flow.timed_out(&self.config.timeouts, now);
            let reused = match (&flow.tcp, reuse_probe) {
                (Some(session), Some(t)) => session.is_reuse(dir, &t),
                _ => false,
            };
            if !timed_out && !reused {
                return Some((slot, dir));
            }
            if timed_out {
                self.stats.timeouts += 1;
                self.end_flow(slot, EndReason::Timeout, now, sink);
            } else {
                self.stats.tcp_reuse += 1;
                self.end_flow(slot, EndReason::Forced, now, sink);
            }
        }
        self.make_room(now, sink);
        let slot = self.create(now, key, tuple, vlan, is_tcp)?;
        Some((slot, Direction::ToServer))
    }

    /// Ends the longest-idle flows (earliest deadlines) until one more flow
    /// fits under the memory cap.
    fn make_room(&mut self, now: Timestamp, sink: &mut dyn FlowEndSink) {
        while self.index.len() >= self.max_flows {
            let Some(Reverse((deadline, slot))) = self.deadlines.pop() else {
                break;
            };
            let valid = matches!(self.slots.get(slot as usize), Some(Some(f)) if f.queued_deadline == deadline);
            if valid {
                self.stats.memcap_evicted += 1;
                self.end_flow(slot, EndReason::Forced, now, sink);
            }
        }
    }

    fn create(
        &mut self,
        now: Timestamp,
        key: FlowKey,
        tuple: &PacketTuple,
        vlans: &[u16],
        is_tcp: bool,
    ) -> Option<u32> {
        let mut vlan = [0u16; 3];
        for (slot, id) in vlan.iter_mut().zip(vlans) {
            *slot = *id;
        }
        let tcp = is_tcp.then(|| {
            let mut session = Box::new(TcpSession::new(&self.config.tcp));
            session.set_host_policies(self.host_policy(tuple.src), self.host_policy(tuple.dst));
            session
        });
        let flow_id = {
            let time_bits =
                ((now.secs as u64 & 0xffff) << 32) | (u64::from(now.micros()) & 0xffff) << 16;
            let id = (key.stable_hash() ^ time_bits.rotate_left(13)) & 0x0007_ffff_ffff_ffff;
            id.max(1)
        };
        let flow = Flow {
            key,
            src: tuple.src,
            src_port: tuple.src_port,
            dst: tuple.dst,
            dst_port: tuple.dst_port,
            proto: tuple.proto,
            spi: tuple.aux,
            vlan,
            vlan_count: vlans.len().min(3) as u8,
            flow_id,
            start: now,
            last: now,
            pkts: [0; 2],
            bytes: [0; 2],
            tcp_flags: [0; 2],
            icmp: [None; 2],
            state: FlowState::New,
            tcp,
            alerted: false,
            app_proto: None,
            app_proto_ts: None,
            app_proto_tc: None,
            app_proto_orig: None,
            app_proto_expected: None,
            parent_id: None,
            app: None,
            detect: None,
            seq: self.next_seq,
            queued_deadline: Timestamp::default(),
        };
        self.next_seq += 1;
        self.stats.total += 1;
        match tuple.proto {
            6 => self.stats.tcp += 1,
            17 => self.stats.udp += 1,
            1 => self.stats.icmpv4 += 1,
            58 => self.stats.icmpv6 += 1,
            _ => {}
        }
        let deadline = flow.deadline(&self.config.timeouts);
        let slot = match self.free.pop() {
            Some(slot) => {
                *self.slots.get_mut(slot as usize)? = Some(flow);
                slot
            }
            None => {
                let slot = u32::try_from(self.slots.len()).ok()?;
                if self.slots.len() == self.slots.capacity() {
                    let cap = self.slots.capacity();
                    self.slots.reserve_exact(grow_step(cap, self.max_flows));
                }
                self.slots.push(Some(flow));
                slot
            }
        };
        self.index.insert(key, slot);
        self.requeue(slot, deadline);
        self.stats.max_active = self.stats.max_active.max(self.index.len() as u64);
        Some(slot)
    }

    fn end_flow(
        &mut self,
        slot: u32,
        reason: EndReason,
        now: Timestamp,
        sink: &mut dyn FlowEndSink,
    ) {
        let Some(entry) = self.slots.get_mut(slot as usize) else {
            return;
        };
        let Some(mut flow) = entry.take() else {
            return;
        };
        match flow.state {
            FlowState::New => self.stats.end_new += 1,
            FlowState::Established => self.stats.end_established += 1,
            FlowState::Closed => self.stats.end_closed += 1,
        }
        sink.flow_ended(&mut flow, reason, now);
        self.index.remove(&flow.key);
        self.free.push(slot);
    }

    /// Ends every live flow (end of input), in creation order so that output
    /// is deterministic.
    pub fn flush_all(&mut self, now: Timestamp, sink: &mut dyn FlowEndSink) {
        let mut live: Vec<(u64, u32)> = self
            .slots
            .iter()
            .enumerate()
            .filter_map(|(i, f)| f.as_ref().map(|f| (f.seq, i as u32)))
            .collect();
        live.sort_unstable();
        for (_, slot) in live {
            self.end_flow(slot, EndReason::Shutdown, now, sink);
        }
        self.deadlines.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use vigil_wire::{EmbeddedTuple, IcmpInfo, IpInfo, UdpInfo};

    /// One ended flow: (src, pkts, bytes, reason, state).
    type EndedFlow = (IpAddr, [u64; 2], [u64; 2], EndReason, FlowState);

    /// Collects ended flows.
    #[derive(Default)]
    struct Ended(Vec<EndedFlow>);

    impl FlowEndSink for Ended {
        fn flow_ended(&mut self, flow: &mut Flow, reason: EndReason, _now: Timestamp) {
            self.0
                .push((flow.src, flow.pkts, flow.bytes, reason, flow.state));
        }
    }

    fn ip(src: &str, dst: &str, proto: u8) -> IpInfo {
        IpInfo {
            version: 4,
            src: src.parse().unwrap(),
            dst: dst.parse().unwrap(),
            proto,
            ttl: 64,
            tos: 0,
            id: 0,
            header_offset: 14,
            l4_offset: 34,
            l4_len: 0,
            frag: None,
            dont_fragment: false,
            checksum_ok: true,
        }
    }

    fn udp(src: &str, sp: u16, dst: &str, dp: u16) -> Decoded {
        Decoded {
            ip: Some(ip(src, dst, 17)),
            transport: Transport::Udp(UdpInfo {
                src_port: sp,
                dst_port: dp,
                length: 8,
            }),
            ..Decoded::default()
        }
    }

    fn icmp(src: &str, dst: &str, t: u8, code: u8, embedded: Option<EmbeddedTuple>) -> Decoded {
        Decoded {
            ip: Some(ip(src, dst, 1)),
            transport: Transport::Icmpv4(IcmpInfo {
                icmp_type: t,
                code,
                id: 1,
                seq: 1,
                embedded,
            }),
            ..Decoded::default()
        }
    }

    fn at(secs: i64) -> Timestamp {
        Timestamp::new(secs, 0)
    }

    #[test]
    fn both_directions_share_a_flow() {
        let mut t = FlowTable::new(FlowConfig::default());
        let mut sink = Ended::default();
        let (_, d) = t
            .packet(at(1), &udp("10.0.0.1", 5000, "10.0.0.2", 53), 60, &mut sink)
            .unwrap();
        assert_eq!(d, Direction::ToServer);
        let (f, d) = t
            .packet(at(1), &udp("10.0.0.2", 53, "10.0.0.1", 5000), 90, &mut sink)
            .unwrap();
        assert_eq!(d, Direction::ToClient);
        assert_eq!(
            (f.pkts, f.bytes, f.state),
            ([1, 1], [60, 90], FlowState::Established)
        );
        t.flush_all(at(2), &mut sink);
        assert_eq!(sink.0.len(), 1);
        assert_eq!(sink.0[0].3, EndReason::Shutdown);
    }

    #[test]
    fn udp_idle_past_timeout_starts_a_new_flow_in_whole_seconds() {
        let mut t = FlowTable::new(FlowConfig::default());
        let mut sink = Ended::default();
        let p = udp("10.0.0.1", 5000, "10.0.0.2", 514);
        t.packet(Timestamp::new(100, 900_000_000), &p, 60, &mut sink);
        // 30.9 s later: 100 + 30 is not < 130, so still the same flow.
        t.packet(Timestamp::new(130, 800_000_000), &p, 60, &mut sink);
        assert!(sink.0.is_empty());
        // 31 whole seconds after the last packet: timed out.
        t.packet(at(161), &p, 60, &mut sink);
        assert_eq!(sink.0.len(), 1);
        assert_eq!(sink.0[0].1, [2, 0]);
        assert_eq!(sink.0[0].3, EndReason::Timeout);
        assert_eq!(t.stats().total, 2);
    }

    #[test]
    fn advance_expires_idle_flows() {
        let mut t = FlowTable::new(FlowConfig::default());
        let mut sink = Ended::default();
        t.packet(at(10), &udp("10.0.0.1", 1, "10.0.0.2", 2), 60, &mut sink);
        t.packet(at(10), &udp("10.0.0.3", 1, "10.0.0.2", 2), 60, &mut sink);
        t.advance(at(40), &mut sink);
        assert!(sink.0.is_empty());
        t.advance(at(41), &mut sink);
        assert_eq!(sink.0.len(), 2);
        assert!(t.is_empty());
        assert_eq!(t.stats().timeouts, 2);
    }

    #[test]
    fn memcap_evicts_the_longest_idle_flows() {
        let config = FlowConfig {
            memcap: 64 * 1024,
            ..FlowConfig::default()
        };
        let mut t = FlowTable::new(config);
        let max = t.max_flows();
        assert!(max > 10 && table_bytes(max) <= 64 * 1024);
        let mut sink = Ended::default();
        for i in 0..(max as u16 + 50) {
            t.packet(
                at(1),
                &udp("10.0.0.1", 1000 + i, "10.0.0.2", 53),
                60,
                &mut sink,
            );
            assert!(t.len() <= max);
        }
        assert_eq!(sink.0.len(), 50);
        assert!(sink.0.iter().all(|e| e.3 == EndReason::Forced));
        assert_eq!(t.stats().memcap_evicted, 50);
    }

    #[test]
    fn icmp_echo_pairs_but_other_types_do_not() {
        let mut t = FlowTable::new(FlowConfig::default());
        let mut sink = Ended::default();
        t.packet(
            at(1),
            &icmp("10.0.0.1", "10.0.0.2", 8, 0, None),
            98,
            &mut sink,
        );
        let (f, d) = t
            .packet(
                at(1),
                &icmp("10.0.0.2", "10.0.0.1", 0, 0, None),
                98,
                &mut sink,
            )
            .unwrap();
        assert_eq!(d, Direction::ToClient);
        assert_eq!(f.icmp, [Some((8, 0)), Some((0, 0))]);
        // An echo request from the other side is a different conversation.
        t.packet(
            at(1),
            &icmp("10.0.0.2", "10.0.0.1", 8, 0, None),
            98,
            &mut sink,
        );
        // So is an unrelated message type.
        t.packet(
            at(1),
            &icmp("10.0.0.1", "10.0.0.2", 13, 0, None),
            60,
            &mut sink,
        );
        assert_eq!(t.len(), 3);
    }

    #[test]
    fn dest_unreachable_joins_the_quoted_flow_or_stands_alone() {
        let mut t = FlowTable::new(FlowConfig::default());
        let mut sink = Ended::default();
        t.packet(
            at(1),
            &udp("10.0.0.1", 5000, "10.0.0.2", 161),
            60,
            &mut sink,
        );
        let quoted = EmbeddedTuple {
            src: "10.0.0.1".parse().unwrap(),
            dst: "10.0.0.2".parse().unwrap(),
            proto: 17,
            src_port: 5000,
            dst_port: 161,
        };
        let (f, d) = t
            .packet(
                at(1),
                &icmp("10.0.0.2", "10.0.0.1", 3, 3, Some(quoted)),
                70,
                &mut sink,
            )
            .unwrap();
        assert_eq!((d, f.proto, f.pkts), (Direction::ToClient, 17, [1, 1]));
        // Quoting an unknown flow: a new ICMP flow each time.
        let unknown = EmbeddedTuple {
            src_port: 6000,
            ..quoted
        };
        for _ in 0..2 {
            let (f, _) = t
                .packet(
                    at(1),
                    &icmp("10.0.0.2", "10.0.0.1", 3, 3, Some(unknown)),
                    70,
                    &mut sink,
                )
                .unwrap();
            assert_eq!((f.proto, f.pkts), (1, [1, 0]));
        }
        assert_eq!(t.len(), 3);
    }

    #[test]
    fn protocols_without_flows_are_skipped() {
        let mut t = FlowTable::new(FlowConfig::default());
        let mut sink = Ended::default();
        let igmp = Decoded {
            ip: Some(ip("10.0.0.1", "224.0.0.22", 2)),
            transport: Transport::Other(2),
            ..Decoded::default()
        };
        assert!(t.packet(at(1), &igmp, 60, &mut sink).is_none());
        assert!(
            t.packet(at(1), &Decoded::default(), 60, &mut sink)
                .is_none()
        );
        assert!(t.is_empty());
    }

    #[test]
    fn shutdown_order_is_creation_order() {
        let mut t = FlowTable::new(FlowConfig::default());
        let mut sink = Ended::default();
        for i in 0..20u8 {
            let src = format!("10.0.{i}.1");
            t.packet(at(1), &udp(&src, 1, "10.9.9.9", 2), 60, &mut sink);
        }
        t.flush_all(at(2), &mut sink);
        let order: Vec<String> = sink.0.iter().map(|e| e.0.to_string()).collect();
        let expected: Vec<String> = (0..20).map(|i| format!("10.0.{i}.1")).collect();
        assert_eq!(order, expected);
    }
}
