//! IP defragmentation for IPv4 and IPv6, after Suricata's `defrag.c`.
//!
//! A [`Defragmenter`] belongs to one worker. Fragments are grouped into
//! trackers keyed by (IP version, source, destination, identification,
//! protocol / fragment-header next header, VLAN ids). A tracker keeps a copy
//! of every fragment it accepted; once the last fragment (MF clear) has been
//! seen and the data from offset 0 to the end is covered, the datagram is
//! rebuilt and handed back as one IP packet to decode again with
//! `LinkType::Raw`.
//!
//! Overlapping fragments are resolved per byte with a target-based policy
//! ([`DefragPolicy`], default [`DefragPolicy::Bsd`] as in Suricata): fragments
//! are applied in arrival order and, for every byte two fragments both carry,
//! the policy decides whether the later one replaces the earlier one. This
//! reproduces the results of Suricata's Sturges/Novak policy tests for all
//! policies (see the tests below).
//!
//! Everything is bounded: bytes held (fragment data plus a fixed per-fragment
//! and per-tracker overhead) by [`DefragConfig::memcap`], trackers by
//! [`DefragConfig::max_trackers`], fragments per datagram by
//! [`DefragConfig::max_fragments`]. A tracker is freed when its datagram is
//! rebuilt, when it times out, or when its datagram turns out invalid.

use hashbrown::HashMap;
use std::net::IpAddr;
use vigil_wire::{DecodeEvent, Decoded, EventList, Timestamp};

/// Bytes charged for a tracker besides the fragment data it holds.
const TRACKER_OVERHEAD: usize = 192;
/// Bytes charged per held fragment besides its data.
const FRAG_OVERHEAD: usize = 32;
/// Largest IP datagram (IPv4 total length, IPv6 payload length).
const MAX_DATAGRAM: usize = 65535;
const IPV4_HEADER_LEN: usize = 20;
const IPV6_HEADER_LEN: usize = 40;
/// Owner slot value for "no fragment covers this byte yet".
const NO_OWNER: u32 = u32::MAX;

/// Which fragment's data wins where fragments overlap. Suricata's names;
/// [`DefragPolicy::from_name`] also accepts its host-os-policy names.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum DefragPolicy {
    /// The earlier fragment wins unless the later one starts before it
    /// (Suricata's default).
    #[default]
    Bsd,
    /// The earlier fragment wins unless the later one starts at or before it.
    Linux,
    /// The earliest fragment always wins.
    First,
    /// The latest fragment always wins.
    Last,
    /// The earlier fragment wins unless the later one starts before it and
    /// ends after it.
    Windows,
    /// The earlier fragment wins unless the later one starts before it and
    /// ends at or after its end.
    Solaris,
}

impl DefragPolicy {
    /// Parses a Suricata policy or host-os-policy name (`bsd`, `linux`,
    /// `first`, `last`, `windows`, `solaris`, `old-linux`, `hpux10`, `irix`,
    /// `bsd-right`, `old-solaris`, `hpux11`, `macos`, `vista`, `windows2k3`).
    /// `bsd-right` maps to [`DefragPolicy::Bsd`]: Suricata does not implement
    /// it either.
    pub fn from_name(name: &str) -> Option<DefragPolicy> {
        Some(match name {
            "bsd" | "bsd-right" | "hpux10" | "irix" => DefragPolicy::Bsd,
            "linux" | "old-linux" => DefragPolicy::Linux,
            "first" | "old-solaris" | "hpux11" | "macos" => DefragPolicy::First,
            "last" => DefragPolicy::Last,
            "windows" | "vista" | "windows2k3" => DefragPolicy::Windows,
            "solaris" => DefragPolicy::Solaris,
            _ => return None,
        })
    }

    /// The policy's name as written in Suricata's configuration.
    pub fn name(self) -> &'static str {
        match self {
            DefragPolicy::Bsd => "bsd",
            DefragPolicy::Linux => "linux",
            DefragPolicy::First => "first",
            DefragPolicy::Last => "last",
            DefragPolicy::Windows => "windows",
            DefragPolicy::Solaris => "solaris",
        }
    }

    /// True when `new` (arrived later) replaces `old` for the bytes both
    /// cover. Ranges are `(start, end)` payload offsets.
    fn new_wins(self, new: (u32, u32), old: (u32, u32)) -> bool {
        match self {
            DefragPolicy::Bsd => new.0 < old.0,
            DefragPolicy::Linux => new.0 <= old.0,
            DefragPolicy::First => false,
            DefragPolicy::Last => true,
            DefragPolicy::Windows => new.0 < old.0 && new.1 > old.1,
            DefragPolicy::Solaris => new.0 < old.0 && new.1 >= old.1,
        }
    }
}

/// Defragmentation limits and policy.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DefragConfig {
    /// Most bytes held across all trackers (Suricata `defrag.memcap`,
    /// default 32 MiB).
    pub memcap: usize,
    /// Seconds a tracker may stay idle before it is dropped (Suricata
    /// `defrag.timeout`, default 60).
    pub timeout_secs: u32,
    /// Most fragments held for one datagram.
    pub max_fragments: usize,
    /// Most datagrams being reassembled at once (Suricata `defrag.trackers`).
    pub max_trackers: usize,
    /// Overlap policy for destinations not in `host_policies` (Suricata's
    /// default without `host-os-policy`: bsd).
    pub policy: DefragPolicy,
    /// Per-destination policies, as Suricata's `host-os-policy`: `(network
    /// address, prefix length, policy)`, longest prefix wins. Suricata's
    /// shipped `suricata.yaml` maps `0.0.0.0/0` to windows.
    pub host_policies: Vec<(IpAddr, u8, DefragPolicy)>,
}

impl Default for DefragConfig {
    fn default() -> Self {
        DefragConfig {
            memcap: 32 * 1024 * 1024,
            timeout_secs: 60,
            max_fragments: 1024,
            max_trackers: 65535,
            policy: DefragPolicy::Bsd,
            host_policies: Vec::new(),
        }
    }
}

impl DefragConfig {
    /// The policy for datagrams to `dst`.
    pub fn policy_for(&self, dst: IpAddr) -> DefragPolicy {
        let mut best: Option<(u8, DefragPolicy)> = None;
        for &(net, len, policy) in &self.host_policies {
            if prefix_match(net, len, dst) && best.is_none_or(|(l, _)| len >= l) {
                best = Some((len, policy));
            }
        }
        best.map_or(self.policy, |(_, p)| p)
    }
}

/// True when `addr` is in `net/len` (same address family).
fn prefix_match(net: IpAddr, len: u8, addr: IpAddr) -> bool {
    let (a, b, bits): (u128, u128, u32) = match (net, addr) {
        (IpAddr::V4(n), IpAddr::V4(a)) => (u32::from(n).into(), u32::from(a).into(), 32),
        (IpAddr::V6(n), IpAddr::V6(a)) => (u128::from(n), u128::from(a), 128),
        _ => return false,
    };
    let len = u32::from(len).min(bits);
    if len == 0 {
        return true;
    }
    let shift = bits - len;
    (a >> shift) == (b >> shift)
}

/// Defragmentation counters. [`DefragStats::counters`] gives the ones
/// Suricata has, under its names (without the `defrag.` prefix).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct DefragStats {
    /// `defrag.ipv4.fragments`: IPv4 fragments seen.
    pub ipv4_fragments: u64,
    /// `defrag.ipv4.reassembled`: IPv4 datagrams rebuilt.
    pub ipv4_reassembled: u64,
    /// `defrag.ipv4.timeouts`: IPv4 trackers dropped incomplete on timeout.
    pub ipv4_timeouts: u64,
    /// `defrag.ipv6.fragments`: IPv6 fragments seen.
    pub ipv6_fragments: u64,
    /// `defrag.ipv6.reassembled`: IPv6 datagrams rebuilt.
    pub ipv6_reassembled: u64,
    /// `defrag.ipv6.timeouts`: IPv6 trackers dropped incomplete on timeout.
    pub ipv6_timeouts: u64,
    /// `defrag.max_frag_hits`: fragments dropped because no tracker could
    /// be had (tracker limit, or the memcap when starting a tracker).
    pub max_trackers_reached: u64,
    /// Fragments dropped because holding them would exceed the memcap.
    pub memcap_drops: u64,
    /// Fragments dropped because their datagram already holds
    /// `max_fragments` fragments.
    pub max_fragments_drops: u64,
    /// Fragments or datagrams dropped for exceeding 65535 bytes.
    pub too_large: u64,
    /// Fragments dropped as malformed (no data, inconsistent offsets).
    pub invalid: u64,
    /// Fragments that overlapped an earlier fragment of their datagram.
    pub overlaps: u64,
}

impl DefragStats {
    /// Adds another worker's counters.
    pub fn merge(&mut self, other: &DefragStats) {
        self.ipv4_fragments += other.ipv4_fragments;
        self.ipv4_reassembled += other.ipv4_reassembled;
        self.ipv4_timeouts += other.ipv4_timeouts;
        self.ipv6_fragments += other.ipv6_fragments;
        self.ipv6_reassembled += other.ipv6_reassembled;
        self.ipv6_timeouts += other.ipv6_timeouts;
        self.max_trackers_reached += other.max_trackers_reached;
        self.memcap_drops += other.memcap_drops;
        self.max_fragments_drops += other.max_fragments_drops;
        self.too_large += other.too_large;
        self.invalid += other.invalid;
        self.overlaps += other.overlaps;
    }

    /// Suricata's `defrag.*` counters, named without the prefix.
    pub fn counters(&self) -> [(&'static str, u64); 7] {
        [
            ("ipv4.fragments", self.ipv4_fragments),
            ("ipv4.reassembled", self.ipv4_reassembled),
            ("ipv4.timeouts", self.ipv4_timeouts),
            ("ipv6.fragments", self.ipv6_fragments),
            ("ipv6.reassembled", self.ipv6_reassembled),
            ("ipv6.timeouts", self.ipv6_timeouts),
            ("max_frag_hits", self.max_trackers_reached),
        ]
    }
}

/// What became of one fragment.
#[derive(Debug, PartialEq, Eq)]
pub enum DefragOutcome<'a> {
    /// Not complete yet; the fragment is held.
    Held,
    /// The datagram is complete: a whole IP packet (IPv4 or IPv6 header
    /// followed by the reassembled payload, header length fields and fragment
    /// fields fixed up) to decode again with `LinkType::Raw`. Valid until the
    /// next call on the defragmenter.
    Reassembled(&'a [u8]),
    /// The fragment was dropped (memcap, too many fragments, invalid); the
    /// reason was counted.
    Dropped,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
struct TrackerKey {
    version: u8,
    src: IpAddr,
    dst: IpAddr,
    id: u32,
    proto: u8,
    vlan: [u16; 3],
}

/// One held fragment; its data is `Tracker::data[at..at + (end - start)]`.
#[derive(Clone, Copy, Debug)]
struct Frag {
    start: u32,
    end: u32,
    /// Arrival order within the tracker.
    arrival: u32,
    at: usize,
}

#[derive(Debug)]
struct Tracker {
    /// Held fragments, sorted by `start` (arrival order among equal starts).
    frags: Vec<Frag>,
    /// Data of all held fragments.
    data: Vec<u8>,
    /// The unfragmentable part (IPv4 header with options, or IPv6 header plus
    /// the extension headers before the fragment header) of the offset-0
    /// fragment that owns payload byte 0.
    header: Vec<u8>,
    /// Range of the fragment `header` came from, for the overlap policy.
    header_from: Option<(u32, u32)>,
    /// Position in `header` of the byte naming the fragment header (IPv6:
    /// the IPv6 or last extension header's Next Header field).
    header_nh_pos: usize,
    /// Payload length, known once a fragment with MF clear arrived.
    total: Option<u32>,
    last_seen: Timestamp,
    /// Bytes charged to the memcap for this tracker.
    charged: usize,
    arrivals: u32,
    /// Overlap policy, from the destination when the tracker started.
    policy: DefragPolicy,
}

impl Tracker {
    fn new(now: Timestamp, policy: DefragPolicy) -> Tracker {
        Tracker {
            frags: Vec::new(),
            data: Vec::new(),
            header: Vec::new(),
            header_from: None,
            header_nh_pos: 0,
            total: None,
            last_seen: now,
            charged: TRACKER_OVERHEAD,
            arrivals: 0,
            policy,
        }
    }

    /// True when the last fragment arrived and bytes `0..total` are covered.
    fn complete(&self) -> bool {
        let Some(total) = self.total else {
            return false;
        };
        if self.header_from.is_none() {
            return false;
        }
        let mut covered = 0u32;
        for f in &self.frags {
            if f.start > covered {
                return false;
            }
            covered = covered.max(f.end);
            if covered >= total {
                return true;
            }
        }
        covered >= total
    }
}

/// Reassembles IPv4 and IPv6 fragments. One per worker.
pub struct Defragmenter {
    config: DefragConfig,
    trackers: HashMap<TrackerKey, Tracker, foldhash::quality::RandomState>,
    used: usize,
    stats: DefragStats,
    /// The last reassembled datagram (reused between datagrams).
    out: Vec<u8>,
    /// Per payload byte: index of the winning fragment (scratch).
    owner: Vec<u32>,
    /// Fragment indices in arrival order (scratch).
    order: Vec<u32>,
    /// Packet time (seconds) of the next idle-tracker sweep.
    next_sweep: i64,
}

impl Defragmenter {
    /// A defragmenter with the given limits.
    pub fn new(config: DefragConfig) -> Self {
        Defragmenter {
            config,
            trackers: HashMap::with_hasher(foldhash::quality::RandomState::default()),
            used: 0,
            stats: DefragStats::default(),
            out: Vec::new(),
            owner: Vec::new(),
            order: Vec::new(),
            next_sweep: i64::MIN,
        }
    }

    /// Counters so far.
    pub fn stats(&self) -> &DefragStats {
        &self.stats
    }

    /// Bytes held (fragment data and overheads), as counted against the
    /// memcap.
    pub fn memory_used(&self) -> usize {
        self.used
    }

    /// Number of datagrams being reassembled.
    pub fn trackers(&self) -> usize {
        self.trackers.len()
    }

    /// Drops trackers idle longer than the timeout (called as packet time
    /// advances). Sweeps at most once per second of packet time, so calling
    /// it for every packet is cheap.
    pub fn expire(&mut self, now: Timestamp) {
        if now.secs < self.next_sweep {
            return;
        }
        self.next_sweep = now.secs.saturating_add(1);
        self.sweep(now);
    }

    fn sweep(&mut self, now: Timestamp) {
        let timeout = i64::from(self.config.timeout_secs);
        let mut freed = 0usize;
        let stats = &mut self.stats;
        self.trackers.retain(|key, t| {
            if now.secs_since(t.last_seen) > timeout {
                freed += t.charged;
                if key.version == 4 {
                    stats.ipv4_timeouts += 1;
                } else {
                    stats.ipv6_timeouts += 1;
                }
                false
            } else {
                true
            }
        });
        self.used = self.used.saturating_sub(freed);
    }

    fn remove(&mut self, key: &TrackerKey) {
        if let Some(t) = self.trackers.remove(key) {
            self.used = self.used.saturating_sub(t.charged);
        }
    }

    fn fits(&self, bytes: usize) -> bool {
        self.used.saturating_add(bytes) <= self.config.memcap
    }

    /// Takes one fragment: `frame`/`decoded` is a packet whose
    /// `decoded.ip.frag` is `Some`. Anomalies go to `events`.
    pub fn insert(
        &mut self,
        ts: Timestamp,
        frame: &[u8],
        decoded: &Decoded,
        events: &mut EventList,
    ) -> DefragOutcome<'_> {
        let Some(ip) = decoded.ip else {
            self.stats.invalid += 1;
            return DefragOutcome::Dropped;
        };
        let Some(fi) = ip.frag else {
            self.stats.invalid += 1;
            return DefragOutcome::Dropped;
        };
        let v6 = ip.version == 6;
        if v6 {
            self.stats.ipv6_fragments += 1;
        } else {
            self.stats.ipv4_fragments += 1;
        }
        let (too_large, overlap_event) = if v6 {
            (
                DecodeEvent::Ipv6FragPktTooLarge,
                DecodeEvent::Ipv6FragOverlap,
            )
        } else {
            (
                DecodeEvent::Ipv4FragPktTooLarge,
                DecodeEvent::Ipv4FragOverlap,
            )
        };
        let ignored = if v6 {
            DecodeEvent::Ipv6FragIgnored
        } else {
            DecodeEvent::Ipv4FragIgnored
        };

        let data_end = fi.data_offset.checked_add(fi.data_len);
        let Some(data) = data_end.and_then(|end| frame.get(fi.data_offset..end)) else {
            self.stats.invalid += 1;
            return DefragOutcome::Dropped;
        };
        let start = fi.offset as usize;
        let end = start.saturating_add(data.len());
        // As Suricata: a fragment reaching past the largest datagram is
        // ignored (the IPv4 check assumes a minimal header).
        let limit = if v6 {
            MAX_DATAGRAM
        } else {
            MAX_DATAGRAM - IPV4_HEADER_LEN
        };
        if end > limit {
            events.push(too_large);
            self.stats.too_large += 1;
            return DefragOutcome::Dropped;
        }
        if v6 && fi.more && data.len() % 8 != 0 {
            // The IPv6 decoder already raised decoder.ipv6.frag_invalid_length
            // for this packet; raising it here too would count it twice.
            self.stats.invalid += 1;
            return DefragOutcome::Dropped;
        }
        if data.is_empty() {
            // Nothing to hold; Suricata ignores such fragments too.
            self.stats.invalid += 1;
            return DefragOutcome::Dropped;
        }
        let (start, end) = (start as u32, end as u32);

        // The unfragmentable part, only needed from an offset-0 fragment.
        let min_header = if v6 { IPV6_HEADER_LEN } else { IPV4_HEADER_LEN };
        let header = if start == 0 {
            let hdr_end = ip.header_offset.checked_add(fi.unfragmentable_len);
            let hdr = hdr_end.and_then(|e| frame.get(ip.header_offset..e));
            // Only IPv6 needs the byte naming the fragment header.
            let nh_pos = if v6 {
                fi.prev_nh_offset.checked_sub(ip.header_offset)
            } else {
                Some(0)
            };
            match (hdr, nh_pos) {
                (Some(h), Some(pos)) if h.len() >= min_header && pos < h.len() => Some((h, pos)),
                _ => {
                    self.stats.invalid += 1;
                    return DefragOutcome::Dropped;
                }
            }
        } else {
            None
        };

        let mut vlan = [0u16; 3];
        for (slot, id) in vlan.iter_mut().zip(decoded.vlans()) {
            *slot = *id;
        }
        let key = TrackerKey {
            version: ip.version,
            src: ip.src,
            dst: ip.dst,
            id: fi.id,
            proto: fi.next_proto,
            vlan,
        };

        // A tracker past its timeout that was not swept yet starts over.
        let timeout = i64::from(self.config.timeout_secs);
        if let Some(t) = self.trackers.get(&key)
            && ts.secs_since(t.last_seen) > timeout
        {
            self.remove(&key);
            if v6 {
                self.stats.ipv6_timeouts += 1;
            } else {
                self.stats.ipv4_timeouts += 1;
            }
        }
        if !self.trackers.contains_key(&key) {
            if self.trackers.len() >= self.config.max_trackers || !self.fits(TRACKER_OVERHEAD) {
                // As Suricata, try to make room from timed-out trackers.
                self.sweep(ts);
            }
            if self.trackers.len() >= self.config.max_trackers || !self.fits(TRACKER_OVERHEAD) {
                self.stats.max_trackers_reached += 1;
                return DefragOutcome::Dropped;
            }
            let policy = self.config.policy_for(ip.dst);
            self.trackers.insert(key, Tracker::new(ts, policy));
            self.used += TRACKER_OVERHEAD;
        }

        let cost = FRAG_OVERHEAD + data.len() + header.map_or(0, |(h, _)| h.len());
        let fits = self.fits(cost);
        let max_fragments = self.config.max_fragments;
        let Some(t) = self.trackers.get_mut(&key) else {
            return DefragOutcome::Dropped;
        };
        t.last_seen = ts;
        let policy = t.policy;
        if t.frags.len() >= max_fragments {
            events.push(ignored);
            self.stats.max_fragments_drops += 1;
            return DefragOutcome::Dropped;
        }
        if !fits {
            events.push(ignored);
            self.stats.memcap_drops += 1;
            return DefragOutcome::Dropped;
        }

        if t.frags.iter().any(|f| f.start < end && start < f.end) {
            events.push(overlap_event);
            self.stats.overlaps += 1;
        }
        let frag = Frag {
            start,
            end,
            arrival: t.arrivals,
            at: t.data.len(),
        };
        t.arrivals = t.arrivals.saturating_add(1);
        t.data.extend_from_slice(data);
        let pos = t.frags.partition_point(|f| f.start <= start);
        t.frags.insert(pos, frag);
        if let Some((h, nh_pos)) = header {
            // The header comes from whichever offset-0 fragment owns byte 0.
            let take = match t.header_from {
                None => true,
                Some(old) => policy.new_wins((start, end), old),
            };
            if take {
                t.header.clear();
                t.header.extend_from_slice(h);
                t.header_from = Some((start, end));
                t.header_nh_pos = nh_pos;
            }
        }
        let charged =
            TRACKER_OVERHEAD + t.data.len() + t.header.len() + FRAG_OVERHEAD * t.frags.len();
        self.used = self.used.saturating_sub(t.charged) + charged;
        t.charged = charged;
        if !fi.more && t.total.is_none() {
            // The first last-fragment fixes the datagram's length; data of
            // other fragments beyond it is ignored.
            t.total = Some(end);
        }
        if !t.complete() {
            return DefragOutcome::Held;
        }

        let next_proto = fi.next_proto;
        let Some(t) = self.trackers.remove(&key) else {
            return DefragOutcome::Dropped;
        };
        self.used = self.used.saturating_sub(t.charged);
        if self.rebuild(&t, v6, next_proto) {
            if v6 {
                self.stats.ipv6_reassembled += 1;
            } else {
                self.stats.ipv4_reassembled += 1;
            }
            DefragOutcome::Reassembled(&self.out)
        } else {
            events.push(too_large);
            self.stats.too_large += 1;
            DefragOutcome::Dropped
        }
    }

    /// Builds the datagram of a complete tracker into `self.out`. False when
    /// it would exceed the largest IP datagram.
    fn rebuild(&mut self, t: &Tracker, v6: bool, next_proto: u8) -> bool {
        let Some(total) = t.total else {
            return false;
        };
        let total = total as usize;
        let hlen = t.header.len();
        let length_field = if v6 {
            hlen - IPV6_HEADER_LEN + total
        } else {
            hlen + total
        };
        if length_field > MAX_DATAGRAM {
            return false;
        }

        // Resolve overlaps: apply fragments in arrival order; for each byte
        // the policy decides whether a later fragment replaces the owner.
        let policy = t.policy;
        self.order.clear();
        self.order.extend(0..t.frags.len() as u32);
        self.order
            .sort_unstable_by_key(|&i| t.frags.get(i as usize).map_or(0, |f| f.arrival));
        self.owner.clear();
        self.owner.resize(total, NO_OWNER);
        for &i in &self.order {
            let Some(f) = t.frags.get(i as usize) else {
                continue;
            };
            let from = f.start as usize;
            let to = (f.end as usize).min(total);
            if from >= to {
                continue;
            }
            let Some(slots) = self.owner.get_mut(from..to) else {
                continue;
            };
            for slot in slots {
                let wins = match t.frags.get(*slot as usize) {
                    None => true,
                    Some(old) => policy.new_wins((f.start, f.end), (old.start, old.end)),
                };
                if wins {
                    *slot = i;
                }
            }
        }

        self.out.clear();
        self.out.extend_from_slice(&t.header);
        self.out.resize(hlen + total, 0);
        // Copy runs of bytes owned by the same fragment.
        let mut b = 0usize;
        while b < total {
            let owner = self.owner.get(b).copied().unwrap_or(NO_OWNER);
            let mut run_end = b + 1;
            while run_end < total && self.owner.get(run_end) == Some(&owner) {
                run_end += 1;
            }
            if let Some(f) = t.frags.get(owner as usize) {
                let src_from = f.at + (b - f.start as usize);
                let src = t.data.get(src_from..src_from + (run_end - b));
                let dst = self.out.get_mut(hlen + b..hlen + run_end);
                if let (Some(src), Some(dst)) = (src, dst) {
                    dst.copy_from_slice(src);
                }
            }
            b = run_end;
        }

        let len_bytes = (length_field as u16).to_be_bytes();
        if v6 {
            if let Some(field) = self.out.get_mut(4..6) {
                field.copy_from_slice(&len_bytes);
            }
            // The byte that named the fragment header now names the upper
            // protocol: the IPv6 Next Header, or that of the last extension
            // header before the (removed) fragment header.
            if let Some(nh) = self.out.get_mut(t.header_nh_pos) {
                *nh = next_proto;
            }
        } else {
            if let Some(field) = self.out.get_mut(2..4) {
                field.copy_from_slice(&len_bytes);
            }
            // Flags and fragment offset cleared, as Suricata does.
            if let Some(field) = self.out.get_mut(6..8) {
                field.copy_from_slice(&[0, 0]);
            }
            let csum = self.out.get(..hlen).map_or(0, ipv4_checksum);
            if let Some(field) = self.out.get_mut(10..12) {
                field.copy_from_slice(&csum.to_be_bytes());
            }
        }
        true
    }
}

/// IPv4 header checksum of `header`, skipping the checksum field itself.
fn ipv4_checksum(header: &[u8]) -> u16 {
    let mut sum = 0u32;
    for (i, pair) in header.chunks(2).enumerate() {
        if i == 5 {
            continue;
        }
        let word = match pair {
            [a, b] => u16::from_be_bytes([*a, *b]),
            [a] => u16::from_be_bytes([*a, 0]),
            _ => 0,
        };
        sum += u32::from(word);
    }
    while sum > 0xffff {
        sum = (sum & 0xffff) + (sum >> 16);
    }
    !(sum as u16)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::{Ipv4Addr, Ipv6Addr};
    use vigil_wire::{FragInfo, IpInfo};

    fn ts(secs: i64) -> Timestamp {
        Timestamp { secs, nanos: 0 }
    }

    /// An IPv4 fragment (20-byte header, protocol ICMP) and its decode.
    fn v4_frag(id: u16, offset: u32, more: bool, data: &[u8]) -> (Vec<u8>, Decoded) {
        let mut f = vec![0u8; 20];
        f[0] = 0x45;
        let total = (20 + data.len()) as u16;
        f[2..4].copy_from_slice(&total.to_be_bytes());
        f[4..6].copy_from_slice(&id.to_be_bytes());
        let off = (offset / 8) as u16 | if more { 0x2000 } else { 0 };
        f[6..8].copy_from_slice(&off.to_be_bytes());
        f[8] = 64;
        f[9] = 1;
        f[12..16].copy_from_slice(&[1, 1, 1, 1]);
        f[16..20].copy_from_slice(&[2, 2, 2, 2]);
        f.extend_from_slice(data);
        let ip = IpInfo {
            version: 4,
            src: IpAddr::V4(Ipv4Addr::new(1, 1, 1, 1)),
            dst: IpAddr::V4(Ipv4Addr::new(2, 2, 2, 2)),
            proto: 1,
            ttl: 64,
            tos: 0,
            id: u32::from(id),
            header_offset: 0,
            l4_offset: 20,
            l4_len: data.len(),
            frag: Some(FragInfo {
                id: u32::from(id),
                offset,
                more,
                data_offset: 20,
                data_len: data.len(),
                next_proto: 1,
                unfragmentable_len: 20,
                prev_nh_offset: 9,
            }),
            dont_fragment: false,
            checksum_ok: true,
        };
        let decoded = Decoded {
            ip: Some(ip),
            ..Decoded::default()
        };
        (f, decoded)
    }

    /// An IPv6 fragment with the given extension headers (raw bytes, chained
    /// by their first byte) before the fragment header; upper protocol 58.
    fn v6_frag(
        id: u32,
        offset: u32,
        more: bool,
        ext: &[(u8, Vec<u8>)],
        data: &[u8],
    ) -> (Vec<u8>, Decoded) {
        let mut f = vec![0u8; 40];
        f[0] = 0x60;
        let plen = (ext.iter().map(|(_, e)| e.len()).sum::<usize>() + 8 + data.len()) as u16;
        f[4..6].copy_from_slice(&plen.to_be_bytes());
        f[7] = 64;
        f[8..24].copy_from_slice(&Ipv6Addr::new(0x2001, 0xdb8, 0, 0, 0, 0, 0, 1).octets());
        f[24..40].copy_from_slice(&Ipv6Addr::new(0x2001, 0xdb8, 0, 0, 0, 0, 0, 2).octets());
        // Chain: IPv6 next header -> ext[0] type -> ... -> 44 (fragment).
        let mut nh_pos = 6;
        for (ty, bytes) in ext {
            f[nh_pos] = *ty;
            nh_pos = f.len();
            f.extend_from_slice(bytes);
        }
        f[nh_pos] = 44;
        let unfrag = f.len();
        let off = (offset as u16) | u16::from(more);
        f.extend_from_slice(&[58, 0]);
        f.extend_from_slice(&off.to_be_bytes());
        f.extend_from_slice(&id.to_be_bytes());
        let data_offset = f.len();
        f.extend_from_slice(data);
        let ip = IpInfo {
            version: 6,
            src: IpAddr::V6(Ipv6Addr::new(0x2001, 0xdb8, 0, 0, 0, 0, 0, 1)),
            dst: IpAddr::V6(Ipv6Addr::new(0x2001, 0xdb8, 0, 0, 0, 0, 0, 2)),
            proto: 44,
            ttl: 64,
            tos: 0,
            id,
            header_offset: 0,
            l4_offset: data_offset,
            l4_len: data.len(),
            frag: Some(FragInfo {
                id,
                offset,
                more,
                data_offset,
                data_len: data.len(),
                next_proto: 58,
                unfragmentable_len: unfrag,
                prev_nh_offset: nh_pos,
            }),
            dont_fragment: false,
            checksum_ok: true,
        };
        let decoded = Decoded {
            ip: Some(ip),
            ..Decoded::default()
        };
        (f, decoded)
    }

    fn feed(
        d: &mut Defragmenter,
        t: i64,
        pkt: &(Vec<u8>, Decoded),
    ) -> (Option<Vec<u8>>, EventList) {
        let mut events = EventList::default();
        let out = match d.insert(ts(t), &pkt.0, &pkt.1, &mut events) {
            DefragOutcome::Reassembled(p) => Some(p.to_vec()),
            _ => None,
        };
        (out, events)
    }

    fn fill(c: u8, n: usize) -> Vec<u8> {
        vec![c; n]
    }

    #[test]
    fn ipv4_in_order() {
        let mut d = Defragmenter::new(DefragConfig::default());
        assert!(
            feed(&mut d, 1, &v4_frag(12, 0, true, &fill(b'A', 8)))
                .0
                .is_none()
        );
        assert!(
            feed(&mut d, 1, &v4_frag(12, 8, true, &fill(b'B', 8)))
                .0
                .is_none()
        );
        let (out, events) = feed(&mut d, 1, &v4_frag(12, 16, false, &fill(b'C', 3)));
        let out = out.expect("reassembled");
        assert!(events.is_empty());
        assert_eq!(out.len(), 39);
        assert_eq!(u16::from_be_bytes([out[2], out[3]]), 39);
        assert_eq!(&out[6..8], &[0, 0]);
        assert_eq!(&out[20..], b"AAAAAAAABBBBBBBBCCC");
        // The header checksum verifies.
        let mut sum = 0u32;
        for pair in out[..20].chunks(2) {
            sum += u32::from(u16::from_be_bytes([pair[0], pair[1]]));
        }
        while sum > 0xffff {
            sum = (sum & 0xffff) + (sum >> 16);
        }
        assert_eq!(sum, 0xffff);
        assert_eq!(d.stats().ipv4_fragments, 3);
        assert_eq!(d.stats().ipv4_reassembled, 1);
        assert_eq!(d.memory_used(), 0);
        assert_eq!(d.trackers(), 0);
    }

    #[test]
    fn ipv4_reverse_order() {
        let mut d = Defragmenter::new(DefragConfig::default());
        assert!(
            feed(&mut d, 1, &v4_frag(12, 16, false, &fill(b'C', 3)))
                .0
                .is_none()
        );
        assert!(
            feed(&mut d, 1, &v4_frag(12, 8, true, &fill(b'B', 8)))
                .0
                .is_none()
        );
        assert!(d.memory_used() > 0);
        let out = feed(&mut d, 1, &v4_frag(12, 0, true, &fill(b'A', 8)))
            .0
            .expect("reassembled");
        assert_eq!(&out[20..], b"AAAAAAAABBBBBBBBCCC");
        assert_eq!(d.memory_used(), 0);
    }

    #[test]
    fn ipv4_keeps_header_options() {
        let mut d = Defragmenter::new(DefragConfig::default());
        let (mut f, mut dec) = v4_frag(3, 0, true, &fill(b'A', 8));
        // Rebuild the first fragment with a 4-byte option (NOP x3, EOL).
        f.splice(20..20, [1u8, 1, 1, 0]);
        f[0] = 0x46;
        if let Some(fi) = dec.ip.as_mut().and_then(|ip| ip.frag.as_mut()) {
            fi.data_offset = 24;
            fi.unfragmentable_len = 24;
        }
        assert!(feed(&mut d, 1, &(f, dec)).0.is_none());
        let out = feed(&mut d, 1, &v4_frag(3, 8, false, &fill(b'B', 4)))
            .0
            .expect("reassembled");
        assert_eq!(out.len(), 24 + 12);
        assert_eq!(&out[20..24], &[1, 1, 1, 0]);
        assert_eq!(u16::from_be_bytes([out[2], out[3]]), 36);
        assert_eq!(&out[24..], b"AAAAAAAABBBB");
    }

    /// Suricata's Sturges/Novak overlap test: fragment <n> is 8-byte blocks of
    /// one letter; the expected results are Suricata's.
    fn sturges_novak(policy: DefragPolicy, expected_blocks: &str, v6: bool) {
        let frags: [(u32, u8, usize, bool); 17] = [
            (0, b'A', 24, true),
            (32, b'B', 16, true),
            (48, b'C', 24, true),
            (80, b'D', 8, true),
            (104, b'E', 16, true),
            (120, b'F', 24, true),
            (144, b'G', 16, true),
            (160, b'H', 16, true),
            (176, b'I', 8, true),
            (8, b'J', 32, true),
            (48, b'K', 24, true),
            (72, b'L', 24, true),
            (96, b'M', 24, true),
            (128, b'N', 8, true),
            (152, b'O', 8, true),
            (160, b'P', 8, true),
            (176, b'Q', 16, false),
        ];
        let mut d = Defragmenter::new(DefragConfig {
            policy,
            ..DefragConfig::default()
        });
        let mut overlaps = 0;
        let mut result = None;
        for (i, &(off, c, len, more)) in frags.iter().enumerate() {
            let pkt = if v6 {
                v6_frag(1, off, more, &[], &fill(c, len))
            } else {
                v4_frag(1, off, more, &fill(c, len))
            };
            let (out, events) = feed(&mut d, 1, &pkt);
            let overlap = events.contains(DecodeEvent::Ipv4FragOverlap)
                || events.contains(DecodeEvent::Ipv6FragOverlap);
            if i < 9 {
                assert!(!overlap, "fragment {i} must not overlap");
            } else if overlap {
                overlaps += 1;
            }
            if i < 16 {
                assert!(out.is_none());
            } else {
                result = out;
            }
        }
        assert!(overlaps > 0);
        let out = result.expect("reassembled");
        let expected: Vec<u8> = expected_blocks.bytes().flat_map(|c| [c; 8]).collect();
        let hlen = if v6 { 40 } else { 20 };
        assert_eq!(
            String::from_utf8_lossy(&out[hlen..]),
            String::from_utf8_lossy(&expected),
            "{policy:?}"
        );
        assert_eq!(d.memory_used(), 0);
    }

    #[test]
    fn sturges_novak_bsd_exact_bytes() {
        sturges_novak(DefragPolicy::Bsd, "AAAJJBCCCLLLMMMFFFGGHHIQ", false);
        sturges_novak(DefragPolicy::Bsd, "AAAJJBCCCLLLMMMFFFGGHHIQ", true);
    }

    #[test]
    fn sturges_novak_other_policies() {
        for v6 in [false, true] {
            sturges_novak(DefragPolicy::Linux, "AAAJJBKKKLLLMMMFFFGGPHQQ", v6);
            sturges_novak(DefragPolicy::Windows, "AAAJBBCCCLLLMEEFFFGGHHIQ", v6);
            sturges_novak(DefragPolicy::Solaris, "AAAJBBCCCLLLMMMFFFGGHHIQ", v6);
            sturges_novak(DefragPolicy::First, "AAAJBBCCCLDLMEEFFFGGHHIQ", v6);
            sturges_novak(DefragPolicy::Last, "AJJJJBKKKLLLMMMFNFGOPHQQ", v6);
        }
    }

    #[test]
    fn linux_overlap_reported_case() {
        // Suricata's DefragTestJeremyLinux.
        let mut d = Defragmenter::new(DefragConfig {
            policy: DefragPolicy::Linux,
            ..DefragConfig::default()
        });
        feed(&mut d, 1, &v4_frag(1, 0, true, &fill(b'A', 24)));
        feed(&mut d, 1, &v4_frag(1, 40, true, &fill(b'B', 48)));
        feed(&mut d, 1, &v4_frag(1, 24, true, &fill(b'C', 48)));
        let out = feed(&mut d, 1, &v4_frag(1, 88, false, &fill(b'D', 14)))
            .0
            .expect("reassembled");
        let mut expected = fill(b'A', 24);
        expected.extend(fill(b'C', 48));
        expected.extend(fill(b'B', 16));
        expected.extend(fill(b'D', 14));
        assert_eq!(&out[20..], &expected[..]);
    }

    #[test]
    fn data_beyond_last_fragment_ignored() {
        // Suricata's DefragMfIpv4Test: offsets 16 (MF), 0 (MF), 8 (last).
        let mut d = Defragmenter::new(DefragConfig::default());
        feed(&mut d, 1, &v4_frag(9, 16, true, &fill(b'C', 8)));
        feed(&mut d, 1, &v4_frag(9, 0, true, &fill(b'A', 8)));
        let out = feed(&mut d, 1, &v4_frag(9, 8, false, &fill(b'B', 8)))
            .0
            .expect("reassembled");
        assert_eq!(u16::from_be_bytes([out[2], out[3]]), 36);
        assert_eq!(&out[20..], b"AAAAAAAABBBBBBBB");
    }

    #[test]
    fn too_large_dropped() {
        let mut d = Defragmenter::new(DefragConfig::default());
        let (out, events) = feed(&mut d, 1, &v4_frag(1, 8183 * 8, false, &fill(b'A', 71)));
        assert!(out.is_none());
        assert!(events.contains(DecodeEvent::Ipv4FragPktTooLarge));
        assert_eq!(d.trackers(), 0);
        assert_eq!(d.memory_used(), 0);

        // Each fragment fits, but with a 60-byte header the datagram would not.
        let (mut f, mut dec) = v4_frag(2, 0, true, &fill(b'A', 8));
        f.splice(20..20, [1u8; 40]);
        f[0] = 0x4f;
        if let Some(fi) = dec.ip.as_mut().and_then(|ip| ip.frag.as_mut()) {
            fi.data_offset = 60;
            fi.unfragmentable_len = 60;
        }
        feed(&mut d, 1, &(f, dec));
        feed(&mut d, 1, &v4_frag(2, 8, true, &fill(b'M', 65496)));
        let (out, events) = feed(&mut d, 1, &v4_frag(2, 65504, false, &fill(b'B', 8)));
        assert!(out.is_none());
        assert!(
            events.contains(DecodeEvent::Ipv4FragPktTooLarge),
            "{events:?}"
        );
        assert_eq!(d.trackers(), 0);
        assert_eq!(d.memory_used(), 0);
    }

    #[test]
    fn timeout_frees_memory() {
        let mut d = Defragmenter::new(DefragConfig::default());
        for id in 0..16 {
            feed(&mut d, 100, &v4_frag(id, 0, true, &fill(b'A', 16)));
        }
        assert_eq!(d.trackers(), 16);
        let held = d.memory_used();
        assert!(held >= 16 * 16);
        d.expire(ts(130));
        assert_eq!(d.trackers(), 16);
        d.expire(ts(161));
        assert_eq!(d.trackers(), 0);
        assert_eq!(d.memory_used(), 0);
        assert_eq!(d.stats().ipv4_timeouts, 16);

        // A late fragment of a timed-out datagram starts a new tracker.
        feed(&mut d, 200, &v4_frag(1, 0, true, &fill(b'A', 8)));
        assert!(
            feed(&mut d, 300, &v4_frag(1, 8, false, &fill(b'B', 8)))
                .0
                .is_none()
        );
        assert_eq!(d.stats().ipv4_timeouts, 17);
    }

    #[test]
    fn memcap_drop() {
        let mut d = Defragmenter::new(DefragConfig {
            memcap: 1000,
            ..DefragConfig::default()
        });
        let (_, events) = feed(&mut d, 1, &v4_frag(1, 0, true, &fill(b'A', 400)));
        assert!(events.is_empty());
        let (out, events) = feed(&mut d, 1, &v4_frag(1, 400, true, &fill(b'B', 600)));
        assert!(out.is_none());
        assert!(events.contains(DecodeEvent::Ipv4FragIgnored));
        assert_eq!(d.stats().memcap_drops, 1);
        assert!(d.memory_used() <= 1000);
        // No room for another tracker either.
        let mut tiny = Defragmenter::new(DefragConfig {
            memcap: TRACKER_OVERHEAD - 1,
            ..DefragConfig::default()
        });
        let pkt = v4_frag(1, 0, true, &fill(b'A', 8));
        assert_eq!(
            tiny.insert(ts(1), &pkt.0, &pkt.1, &mut EventList::default()),
            DefragOutcome::Dropped
        );
        assert_eq!(tiny.stats().max_trackers_reached, 1);
    }

    #[test]
    fn tracker_and_fragment_limits() {
        let mut d = Defragmenter::new(DefragConfig {
            max_trackers: 2,
            max_fragments: 3,
            ..DefragConfig::default()
        });
        feed(&mut d, 1, &v4_frag(1, 0, true, &fill(b'A', 8)));
        feed(&mut d, 1, &v4_frag(2, 0, true, &fill(b'A', 8)));
        let pkt = v4_frag(3, 0, true, &fill(b'A', 8));
        assert_eq!(
            d.insert(ts(1), &pkt.0, &pkt.1, &mut EventList::default()),
            DefragOutcome::Dropped
        );
        assert_eq!(d.stats().max_trackers_reached, 1);
        feed(&mut d, 1, &v4_frag(1, 8, true, &fill(b'B', 8)));
        feed(&mut d, 1, &v4_frag(1, 16, true, &fill(b'C', 8)));
        let (out, events) = feed(&mut d, 1, &v4_frag(1, 24, false, &fill(b'D', 8)));
        assert!(out.is_none());
        assert!(events.contains(DecodeEvent::Ipv4FragIgnored));
        assert_eq!(d.stats().max_fragments_drops, 1);
    }

    #[test]
    fn vlan_and_proto_separate_datagrams() {
        let mut d = Defragmenter::new(DefragConfig::default());
        let mut a = v4_frag(1, 0, true, &fill(b'A', 8));
        a.1.vlan = [1, 0, 0];
        a.1.vlan_count = 1;
        let mut b = v4_frag(1, 8, false, &fill(b'B', 8));
        b.1.vlan = [2, 0, 0];
        b.1.vlan_count = 1;
        assert!(feed(&mut d, 1, &a).0.is_none());
        assert!(feed(&mut d, 1, &b).0.is_none());
        assert_eq!(d.trackers(), 2);

        let mut c = v4_frag(7, 8, false, &fill(b'B', 8));
        if let Some(fi) = c.1.ip.as_mut().and_then(|ip| ip.frag.as_mut()) {
            fi.next_proto = 17;
        }
        feed(&mut d, 1, &v4_frag(7, 0, true, &fill(b'A', 8)));
        assert!(feed(&mut d, 1, &c).0.is_none());
    }

    #[test]
    fn ipv6_in_order_and_reverse() {
        let mut d = Defragmenter::new(DefragConfig::default());
        feed(&mut d, 1, &v6_frag(12, 0, true, &[], &fill(b'A', 8)));
        feed(&mut d, 1, &v6_frag(12, 8, true, &[], &fill(b'B', 8)));
        let out = feed(&mut d, 1, &v6_frag(12, 16, false, &[], &fill(b'C', 3)))
            .0
            .expect("reassembled");
        assert_eq!(out.len(), 40 + 19);
        assert_eq!(u16::from_be_bytes([out[4], out[5]]), 19);
        assert_eq!(out[6], 58);
        assert_eq!(&out[40..], b"AAAAAAAABBBBBBBBCCC");

        feed(&mut d, 1, &v6_frag(13, 16, false, &[], &fill(b'C', 3)));
        feed(&mut d, 1, &v6_frag(13, 8, true, &[], &fill(b'B', 8)));
        let out = feed(&mut d, 1, &v6_frag(13, 0, true, &[], &fill(b'A', 8)))
            .0
            .expect("reassembled");
        assert_eq!(&out[40..], b"AAAAAAAABBBBBBBBCCC");
        assert_eq!(d.stats().ipv6_reassembled, 2);
        assert_eq!(d.memory_used(), 0);
    }

    #[test]
    fn ipv6_ext_headers_before_fragment_header() {
        // Hop-by-hop (8 bytes of PadN) then destination options (8 bytes).
        let hbh = vec![0u8, 0, 1, 4, 0, 0, 0, 0];
        let dst = vec![0u8, 0, 1, 4, 0, 0, 0, 0];
        let ext = [(0u8, hbh.clone()), (60u8, dst.clone())];
        let mut d = Defragmenter::new(DefragConfig::default());
        feed(&mut d, 1, &v6_frag(77, 8, false, &ext, &fill(b'B', 5)));
        let out = feed(&mut d, 1, &v6_frag(77, 0, true, &ext, &fill(b'A', 8)))
            .0
            .expect("reassembled");
        // IPv6 header, both extension headers, then the data: no fragment header.
        assert_eq!(out.len(), 40 + 16 + 13);
        assert_eq!(u16::from_be_bytes([out[4], out[5]]), 16 + 13);
        assert_eq!(out[6], 0, "IPv6 next header still names hop-by-hop");
        assert_eq!(out[40], 60, "hop-by-hop names destination options");
        assert_eq!(
            out[48], 58,
            "destination options now name the upper protocol"
        );
        assert_eq!(&out[41..48], &hbh[1..]);
        assert_eq!(&out[49..56], &dst[1..]);
        assert_eq!(&out[56..], b"AAAAAAAABBBBB");
    }

    #[test]
    fn ipv6_invalid_length_and_too_large() {
        let mut d = Defragmenter::new(DefragConfig::default());
        let (out, events) = feed(&mut d, 1, &v6_frag(5, 0, true, &[], &fill(b'A', 7)));
        assert!(out.is_none());
        // Dropped; the event itself comes from the decoder, not twice.
        assert!(!events.contains(DecodeEvent::Ipv6FragInvalidLength));
        assert_eq!(d.stats().invalid, 1);
        assert_eq!(d.trackers(), 0);

        let (out, events) = feed(&mut d, 1, &v6_frag(6, 65528, false, &[], &fill(b'A', 16)));
        assert!(out.is_none());
        assert!(events.contains(DecodeEvent::Ipv6FragPktTooLarge));
        assert_eq!(d.memory_used(), 0);
    }

    #[test]
    fn malformed_offsets_do_not_panic() {
        let mut d = Defragmenter::new(DefragConfig::default());
        let (f, mut dec) = v4_frag(1, 0, true, &fill(b'A', 8));
        if let Some(fi) = dec.ip.as_mut().and_then(|ip| ip.frag.as_mut()) {
            fi.data_len = 10_000;
        }
        assert_eq!(
            d.insert(ts(1), &f, &dec, &mut EventList::default()),
            DefragOutcome::Dropped
        );
        let (f, mut dec) = v4_frag(1, 0, true, &fill(b'A', 8));
        if let Some(fi) = dec.ip.as_mut().and_then(|ip| ip.frag.as_mut()) {
            fi.unfragmentable_len = 4;
        }
        assert_eq!(
            d.insert(ts(1), &f, &dec, &mut EventList::default()),
            DefragOutcome::Dropped
        );
        let (f, mut dec) = v4_frag(1, 0, true, &fill(b'A', 8));
        if let Some(fi) = dec.ip.as_mut().and_then(|ip| ip.frag.as_mut()) {
            fi.data_offset = usize::MAX;
        }
        assert_eq!(
            d.insert(ts(1), &f, &dec, &mut EventList::default()),
            DefragOutcome::Dropped
        );
        assert_eq!(d.memory_used(), 0);
    }

    /// Fragments decoded by the real decoder, and the rebuilt datagram
    /// decoded again, as the worker does.
    #[test]
    fn end_to_end_with_decoder() {
        use vigil_wire::{LinkType, Transport, decode_packet};
        let mut d = Defragmenter::new(DefragConfig::default());

        // IPv4: a UDP datagram (header + 12 bytes) split at 16.
        let mut udp = vec![0x30, 0x39, 0x00, 0x35, 0, 20, 0, 0];
        udp.extend_from_slice(b"hello world!");
        let mut frags = vec![
            v4_frag(40, 0, true, &udp[..16]).0,
            v4_frag(40, 16, false, &udp[16..]).0,
        ];
        for f in &mut frags {
            f[9] = 17;
        }
        let mut dec = Decoded::default();
        let mut rebuilt = None;
        for f in &frags {
            decode_packet(LinkType::Raw, f, &mut dec);
            assert!(
                dec.ip.and_then(|ip| ip.frag).is_some(),
                "decoder reports a fragment"
            );
            if let DefragOutcome::Reassembled(p) =
                d.insert(ts(1), f, &dec, &mut EventList::default())
            {
                rebuilt = Some(p.to_vec());
            }
        }
        let rebuilt = rebuilt.expect("reassembled");
        decode_packet(LinkType::Raw, &rebuilt, &mut dec);
        assert!(dec.events.is_empty(), "{:?}", dec.events);
        assert!(dec.ip.is_some_and(|ip| ip.frag.is_none() && ip.checksum_ok));
        assert!(
            matches!(dec.transport, Transport::Udp(u) if u.src_port == 12345 && u.dst_port == 53)
        );
        assert_eq!(dec.payload(&rebuilt), b"hello world!");

        // IPv6 with a hop-by-hop header before the fragment header: an
        // ICMPv6 echo request split at 8.
        let hbh = vec![0u8, 0, 1, 4, 0, 0, 0, 0];
        let ext = [(0u8, hbh)];
        let mut echo = vec![128u8, 0, 0, 0, 0x12, 0x34, 0, 7];
        echo.extend_from_slice(b"ping-data");
        let frags = [
            v6_frag(9, 0, true, &ext, &echo[..8]).0,
            v6_frag(9, 8, false, &ext, &echo[8..]).0,
        ];
        let mut rebuilt = None;
        for f in &frags {
            decode_packet(LinkType::Raw, f, &mut dec);
            let fi = dec.ip.and_then(|ip| ip.frag).expect("fragment");
            assert_eq!((fi.unfragmentable_len, fi.prev_nh_offset), (48, 40));
            if let DefragOutcome::Reassembled(p) =
                d.insert(ts(1), f, &dec, &mut EventList::default())
            {
                rebuilt = Some(p.to_vec());
            }
        }
        let rebuilt = rebuilt.expect("reassembled");
        decode_packet(LinkType::Raw, &rebuilt, &mut dec);
        assert!(dec.ip.is_some_and(|ip| ip.frag.is_none() && ip.proto == 58));
        assert!(
            matches!(dec.transport, Transport::Icmpv6(i) if i.icmp_type == 128 && i.id == 0x1234 && i.seq == 7)
        );
        assert_eq!(d.memory_used(), 0);
    }

    #[test]
    fn host_policies_by_destination() {
        let config = DefragConfig {
            host_policies: vec![
                (IpAddr::V4(Ipv4Addr::UNSPECIFIED), 0, DefragPolicy::Windows),
                (
                    IpAddr::V4(Ipv4Addr::new(2, 2, 0, 0)),
                    16,
                    DefragPolicy::Linux,
                ),
            ],
            ..DefragConfig::default()
        };
        assert_eq!(
            config.policy_for(IpAddr::V4(Ipv4Addr::new(9, 9, 9, 9))),
            DefragPolicy::Windows
        );
        assert_eq!(
            config.policy_for(IpAddr::V4(Ipv4Addr::new(2, 2, 2, 2))),
            DefragPolicy::Linux
        );
        assert_eq!(
            config.policy_for(IpAddr::V6(Ipv6Addr::LOCALHOST)),
            DefragPolicy::Bsd
        );
        // The test fragments go to 2.2.2.2: Linux keeps the later fragment
        // starting at the same offset, bsd the earlier one.
        let mut d = Defragmenter::new(config);
        feed(&mut d, 1, &v4_frag(3, 0, true, &fill(b'A', 8)));
        let out = feed(&mut d, 1, &v4_frag(3, 0, false, &fill(b'B', 16)))
            .0
            .expect("reassembled");
        assert_eq!(&out[20..], &fill(b'B', 16)[..]);
        let mut d = Defragmenter::new(DefragConfig::default());
        feed(&mut d, 1, &v4_frag(3, 0, true, &fill(b'A', 8)));
        let out = feed(&mut d, 1, &v4_frag(3, 0, false, &fill(b'B', 16)))
            .0
            .expect("reassembled");
        assert_eq!(&out[20..], b"AAAAAAAABBBBBBBB");
    }

    #[test]
    fn random_fragments_never_panic() {
        let mut rng = 5u64;
        let mut next = || {
            rng = rng
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            rng >> 33
        };
        let mut d = Defragmenter::new(DefragConfig {
            memcap: 64 * 1024,
            max_fragments: 32,
            max_trackers: 8,
            ..DefragConfig::default()
        });
        for i in 0..20_000i64 {
            let id = (next() % 12) as u16;
            let off = (next() % 64) as u32 * 8;
            let len = (next() % 200) as usize;
            let more = next() % 4 != 0;
            let pkt = if next() % 2 == 0 {
                v4_frag(id, off, more, &fill(b'a' + (next() % 26) as u8, len))
            } else {
                v6_frag(u32::from(id), off, more, &[], &fill(b'a', len))
            };
            let mut events = EventList::default();
            if let DefragOutcome::Reassembled(p) =
                d.insert(ts(i / 100), &pkt.0, &pkt.1, &mut events)
            {
                assert!(p.len() >= 20);
            }
            assert!(d.memory_used() <= 64 * 1024);
            d.expire(ts(i / 100));
        }
        d.expire(ts(10_000));
        assert_eq!(d.memory_used(), 0);
    }

    #[test]
    fn policy_names() {
        assert_eq!(DefragPolicy::from_name("bsd"), Some(DefragPolicy::Bsd));
        assert_eq!(
            DefragPolicy::from_name("old-linux"),
            Some(DefragPolicy::Linux)
        );
        assert_eq!(DefragPolicy::from_name("macos"), Some(DefragPolicy::First));
        assert_eq!(
            DefragPolicy::from_name("vista"),
            Some(DefragPolicy::Windows)
        );
        assert_eq!(DefragPolicy::from_name("nope"), None);
        assert_eq!(DefragPolicy::default().name(), "bsd");
    }
}
