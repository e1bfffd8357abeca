//! TCP session tracking and stream reassembly, after Suricata's
//! `stream-tcp.c`, `stream-tcp-reassemble.c` and `stream-tcp-list.c`.
//!
//! A [`TcpSession`] lives in each TCP flow. The flow table hands it every
//! packet of the flow with the packet's direction; the session follows the
//! TCP state machine (three-way handshake, FIN/RST teardown) and reassembles
//! each direction's byte stream, which it pushes to a [`StreamSink`] (the
//! app-layer and rule engine plug in there).
//!
//! # Delivery policy
//!
//! [`TcpConfig::delivery`] decides when reassembled data reaches the sink.
//!
//! [`Delivery::Acked`] (the default) is Suricata's IDS mode (`stream.inline:
//! no`, its default for pcap files and passive sniffing): data is handed to
//! the sink only once the receiver acknowledged it, so app-layer records
//! carry the time and `pcap_cnt` of the acknowledging packet, as Suricata's.
//! As Suricata's `StreamTcpReassembleHandleSegment` (7.0):
//!
//! - a packet from one side releases the other side's data up to the ACK
//!   it carries (`last_ack`); a packet never releases its own direction's
//!   data, except in the cases below. Data acknowledged before it was seen
//!   (capture reordering) waits for the next packet from the receiver;
//! - an accepted RST counts its sender's data as acknowledged up to the
//!   highest byte seen, and its ACK (if any) the other side's, and releases
//!   its own direction only; the rest comes out at flow end;
//! - a FIN in the closing states past `time_wait` (`last_ack`, `close_wait`,
//!   `closing`, `closed`), and any packet that closes the session, also
//!   release their own direction's acknowledged data (both directions with
//!   ACK, only their own without);
//! - a gap is reported once the receiver acknowledged data past the hole and
//!   data follows it; a hole nobody acknowledged stops delivery;
//! - at flow end ([`TcpSession::finish`]) everything reassembled is handed
//!   over, acknowledged or not, up to the first unacknowledged hole;
//! - a segment ending past `stream.reassembly.depth` is refused whole; its
//!   direction then releases what was acknowledged and stops for good (data
//!   not yet acknowledged by then is never delivered);
//! - sessions of which only one side is seen (`async-oneside`) have no
//!   acknowledgements: their data comes out at flow end;
//! - [`StreamSink::on_close`] comes when Suricata hands its app-layer the
//!   end of stream: for both directions at the packet that closes the
//!   session by the FIN exchange (what is still unacknowledged then is
//!   dropped, as Suricata never parses it), for a direction when its depth
//!   is reached, and otherwise (RST-closed sessions included) at flow end.
//!
//! Data waiting for its ACK is copied into a per-direction buffer charged to
//! the [`StreamMemory`] memcap; what does not fit becomes a gap.
//!
//! [`Delivery::Immediate`] delivers data as soon as it is contiguous from
//! the next expected sequence number (Suricata's inline mode is close): an
//! in-order segment goes straight from the packet to the sink without being
//! copied or buffered (no allocation on that path), and out-of-order
//! segments are buffered until the hole before them fills. Segments are
//! then truncated at the depth instead of refused.
//!
//! # Overlaps
//!
//! Which copy of a byte wins where buffered segments overlap follows the
//! receiving host's [`OsPolicy`] as Suricata's `stream-tcp-list.c` does
//! (with the default `bsd` or `windows` policy a segment that starts before
//! a buffered one replaces its bytes, otherwise the buffered copy stays).
//! Where an overlapping segment carries different bytes than the buffered
//! copy, `stream.reassembly_overlap_different_data` is raised. Data already
//! delivered is never delivered again, and is not kept, so a retransmission
//! of delivered data cannot be compared (it is counted as a retransmission).
//!
//! # Gaps
//!
//! A hole in a stream is reported to the sink as [`StreamSink::on_gap`] when
//! the receiver ACKs data past it (it got the data, we did not see it), when
//! a direction's buffer limits are reached (the hole before the earliest
//! buffered data is declared lost), when the session closes or the flow ends
//! ([`TcpSession::finish`]). Segments refused because the memcap was reached
//! become gaps the same way.
//!
//! # Statistics
//!
//! Counters live in the per-worker [`StreamMemory`] ([`StreamMemory::stats`]),
//! which every call already receives, so sessions carry no counters and a
//! worker reads one struct.

mod reassembly;
mod seq;
mod session;

#[cfg(test)]
mod tests;

pub use session::TcpSession;

use crate::Direction;

/// A host's TCP stack, as Suricata's `host-os-policy`: it decides which
/// overlapping data a host keeps, which RSTs it accepts and how it checks
/// timestamps. Suricata uses [`OsPolicy::Bsd`] for hosts not configured; its
/// shipped `suricata.yaml` maps all of IPv4 to [`OsPolicy::Windows`].
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum OsPolicy {
    #[default]
    Bsd,
    /// `bsd-right` (handled as `bsd`, as Suricata does for streams).
    BsdRight,
    OldLinux,
    Linux,
    OldSolaris,
    Solaris,
    Hpux10,
    Hpux11,
    Irix,
    Macos,
    Windows,
    Vista,
    Windows2k3,
    /// Keep the first copy of overlapping data.
    First,
    /// Keep the last copy of overlapping data.
    Last,
}

impl OsPolicy {
    /// Parses a Suricata `host-os-policy` name.
    pub fn from_name(name: &str) -> Option<OsPolicy> {
        Some(match name {
            "bsd" => OsPolicy::Bsd,
            "bsd-right" => OsPolicy::BsdRight,
            "old-linux" => OsPolicy::OldLinux,
            "linux" => OsPolicy::Linux,
            "old-solaris" => OsPolicy::OldSolaris,
            "solaris" => OsPolicy::Solaris,
            "hpux10" => OsPolicy::Hpux10,
            "hpux11" => OsPolicy::Hpux11,
            "irix" => OsPolicy::Irix,
            "macos" => OsPolicy::Macos,
            "windows" => OsPolicy::Windows,
            "vista" => OsPolicy::Vista,
            "windows2k3" => OsPolicy::Windows2k3,
            "first" => OsPolicy::First,
            "last" => OsPolicy::Last,
            _ => return None,
        })
    }

    /// The Suricata configuration name.
    pub fn name(self) -> &'static str {
        match self {
            OsPolicy::Bsd => "bsd",
            OsPolicy::BsdRight => "bsd-right",
            OsPolicy::OldLinux => "old-linux",
            OsPolicy::Linux => "linux",
            OsPolicy::OldSolaris => "old-solaris",
            OsPolicy::Solaris => "solaris",
            OsPolicy::Hpux10 => "hpux10",
            OsPolicy::Hpux11 => "hpux11",
            OsPolicy::Irix => "irix",
            OsPolicy::Macos => "macos",
            OsPolicy::Windows => "windows",
            OsPolicy::Vista => "vista",
            OsPolicy::Windows2k3 => "windows2k3",
            OsPolicy::First => "first",
            OsPolicy::Last => "last",
        }
    }

    /// The policy as Suricata's stream engine applies it (it folds
    /// `bsd-right` into `bsd` and `old-solaris` into `solaris`).
    pub(crate) fn effective(self) -> OsPolicy {
        match self {
            OsPolicy::BsdRight => OsPolicy::Bsd,
            OsPolicy::OldSolaris => OsPolicy::Solaris,
            p => p,
        }
    }

    /// Where a new segment overlaps a buffered one, whether the host keeps
    /// the new bytes (Suricata's `DoHandleDataOverlap`, IDS mode). Ranges
    /// are `(start, end)` stream offsets.
    pub(crate) fn new_data_wins(self, new: (i64, i64), old: (i64, i64)) -> bool {
        use OsPolicy::*;
        let p = self.effective();
        if p == Last {
            return true;
        }
        if new.0 == old.0 {
            if new.1 < old.1 {
                return false;
            }
            return match p {
                Linux => new.1 > old.1,
                OldLinux | Solaris | Hpux11 => true,
                _ => false,
            };
        }
        if new.0 < old.0 {
            return match p {
                Solaris | Hpux11 => new.1 >= old.1,
                Bsd | Hpux10 | Irix | Windows | Windows2k3 | OldLinux | Linux | Macos => true,
                _ => false,
            };
        }
        matches!(p, Solaris | Hpux11) && new.1 > old.1
    }
}

/// When reassembled data is handed to the [`StreamSink`] (see the module
/// documentation).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum Delivery {
    /// Once the receiver acknowledged it (Suricata IDS mode, its default for
    /// pcap files).
    #[default]
    Acked,
    /// As soon as it is in order (close to Suricata's `stream.inline: yes`).
    Immediate,
}

/// Stream engine settings (Suricata's `stream:` section).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TcpConfig {
    /// Pick up sessions whose handshake was not seen (Suricata
    /// `stream.midstream`, default false). When false a session that does
    /// not start with a SYN is not tracked: its packets are ignored.
    pub midstream: bool,
    /// Bytes reassembled per direction; 0 = unlimited (Suricata
    /// `stream.reassembly.depth`, default 1 MiB).
    pub reassembly_depth: u64,
    /// Track sessions of which only one direction is visible (Suricata
    /// `stream.async-oneside`, default false).
    pub async_oneside: bool,
    /// Most out-of-order segments buffered per direction. Past it the hole
    /// before the earliest buffered data is declared a gap. Adjacent
    /// segments are merged, so this bounds the number of holes.
    pub max_queued_segments: usize,
    /// Most out-of-order bytes buffered per direction, handled as
    /// `max_queued_segments`.
    pub max_queued_bytes: usize,
    /// Host policy of both ends unless [`TcpSession::set_host_policies`]
    /// says otherwise (Suricata's default without `host-os-policy`: bsd).
    pub os_policy: OsPolicy,
    /// When data reaches the sink (default: when acknowledged, as Suricata
    /// in IDS mode).
    pub delivery: Delivery,
}

impl Default for TcpConfig {
    fn default() -> Self {
        TcpConfig {
            midstream: false,
            reassembly_depth: 1024 * 1024,
            async_oneside: false,
            max_queued_segments: 4096,
            max_queued_bytes: 4 * 1024 * 1024,
            os_policy: OsPolicy::Bsd,
            delivery: Delivery::Acked,
        }
    }
}

/// Receives reassembled, in-order stream data. The app-layer and rule engine
/// plug in here. Directions are the session's: [`Direction::ToServer`] is
/// data sent by the client (see [`TcpSession::reversed`]).
pub trait StreamSink {
    /// The next `data` of direction `dir`.
    fn on_data(&mut self, dir: Direction, data: &[u8]);
    /// `len` bytes are missing at this point of the stream (lost packets,
    /// memcap, or depth).
    fn on_gap(&mut self, dir: Direction, len: u64);
    /// No more data will come in this direction: in immediate delivery
    /// once its FIN is reached (or flow end); in acknowledged delivery when
    /// Suricata signals the end of stream to its app-layer (the session
    /// closed by the FIN exchange, the depth reached, or flow end).
    fn on_close(&mut self, dir: Direction) {
        let _ = dir;
    }
}

/// TCP session states, as Suricata names them in EVE `tcp.state`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum TcpState {
    /// No session: nothing tracked yet, or packets ignored (no SYN seen and
    /// midstream pick-up disabled).
    #[default]
    None,
    SynSent,
    SynRecv,
    Established,
    FinWait1,
    FinWait2,
    TimeWait,
    LastAck,
    CloseWait,
    Closing,
    Closed,
}

impl TcpState {
    /// Suricata's EVE string for the state.
    pub fn name(self) -> &'static str {
        match self {
            TcpState::None => "none",
            TcpState::SynSent => "syn_sent",
            TcpState::SynRecv => "syn_recv",
            TcpState::Established => "established",
            TcpState::FinWait1 => "fin_wait1",
            TcpState::FinWait2 => "fin_wait2",
            TcpState::TimeWait => "time_wait",
            TcpState::LastAck => "last_ack",
            TcpState::CloseWait => "close_wait",
            TcpState::Closing => "closing",
            TcpState::Closed => "closed",
        }
    }

    /// Suricata's numeric order of the states (`enum TcpState` in
    /// `stream-tcp-private.h`), which its port-reuse check compares against.
    fn suricata_rank(self) -> u8 {
        match self {
            TcpState::None => 0,
            TcpState::SynSent => 2,
            TcpState::SynRecv => 3,
            TcpState::Established => 4,
            TcpState::FinWait1 => 5,
            TcpState::FinWait2 => 6,
            TcpState::TimeWait => 7,
            TcpState::LastAck => 8,
            TcpState::CloseWait => 9,
            TcpState::Closing => 10,
            TcpState::Closed => 11,
        }
    }
}

macro_rules! stream_events {
    ($( $variant:ident => $name:literal, )*) => {
        /// A stream anomaly. [`StreamEvent::name`] gives Suricata's name.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        pub enum StreamEvent {
            $( #[doc = $name] $variant, )*
        }

        impl StreamEvent {
            /// Every event, in declaration order.
            pub const ALL: &'static [StreamEvent] = &[ $( StreamEvent::$variant, )* ];

            /// Suricata's full event name, e.g. `stream.pkt_invalid_ack`.
            pub fn name(self) -> &'static str {
                match self {
                    $( StreamEvent::$variant => $name, )*
                }
            }
        }
    };
}

stream_events! {
    ThreeWhsAsyncWrongSeq => "stream.3whs_async_wrong_seq",
    ThreeWhsRightSeqWrongAckEvasion => "stream.3whs_right_seq_wrong_ack_evasion",
    ThreeWhsSynackInWrongDirection => "stream.3whs_synack_in_wrong_direction",
    ThreeWhsSynackResendWithDiffAck => "stream.3whs_synack_resend_with_diff_ack",
    ThreeWhsSynackToserverOnSynRecv => "stream.3whs_synack_toserver_on_syn_recv",
    ThreeWhsSynackWithWrongAck => "stream.3whs_synack_with_wrong_ack",
    ThreeWhsSynackFlood => "stream.3whs_synack_flood",
    ThreeWhsSynResendDiffSeqOnSynRecv => "stream.3whs_syn_resend_diff_seq_on_syn_recv",
    ThreeWhsSynToclientOnSynRecv => "stream.3whs_syn_toclient_on_syn_recv",
    ThreeWhsWrongSeqWrongAck => "stream.3whs_wrong_seq_wrong_ack",
    FourWhsSynackWithWrongAck => "stream.4whs_synack_with_wrong_ack",
    FourWhsSynackWithWrongSyn => "stream.4whs_synack_with_wrong_syn",
    FourWhsWrongSeq => "stream.4whs_wrong_seq",
    FourWhsInvalidAck => "stream.4whs_invalid_ack",
    EstPacketOutOfWindow => "stream.est_packet_out_of_window",
    EstSynackResend => "stream.est_synack_resend",
    EstSynackResendWithDiffAck => "stream.est_synack_resend_with_diff_ack",
    EstSynackResendWithDiffSeq => "stream.est_synack_resend_with_diff_seq",
    EstSynackToserver => "stream.est_synack_toserver",
    EstSynResend => "stream.est_syn_resend",
    EstSynResendDiffSeq => "stream.est_syn_resend_diff_seq",
    EstSynToclient => "stream.est_syn_toclient",
    EstInvalidAck => "stream.est_invalid_ack",
    FinInvalidAck => "stream.fin_invalid_ack",
    FinButNoSession => "stream.fin_but_no_session",
    FinOutOfWindow => "stream.fin_out_of_window",
    FinSyn => "stream.fin_syn",
    RstButNoSession => "stream.rst_but_no_session",
    ShutdownSynResend => "stream.shutdown_syn_resend",
    PktInvalidAck => "stream.pkt_invalid_ack",
    PktInvalidTimestamp => "stream.pkt_invalid_timestamp",
    SuspectedRstInject => "stream.suspected_rst_inject",
    RstInvalidAck => "stream.rst_invalid_ack",
    PktRetransmission => "stream.pkt_retransmission",
    ReassemblySeqGap => "stream.reassembly_seq_gap",
    ReassemblyOverlapDifferentData => "stream.reassembly_overlap_different_data",
}

/// Most stream events one packet can carry; further ones are counted in
/// [`StreamEvents::overflow`].
pub const MAX_STREAM_EVENTS: usize = 8;

/// The stream events of one packet: a small fixed list (no allocation).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct StreamEvents {
    events: [Option<StreamEvent>; MAX_STREAM_EVENTS],
    len: u8,
    /// Events that did not fit.
    pub overflow: u8,
}

impl StreamEvents {
    /// Appends an event; one already present is not repeated (Suricata sets
    /// each event once per packet).
    pub fn push(&mut self, event: StreamEvent) {
        if self.contains(event) {
            return;
        }
        match self.events.get_mut(usize::from(self.len)) {
            Some(slot) => {
                *slot = Some(event);
                self.len += 1;
            }
            None => self.overflow = self.overflow.saturating_add(1),
        }
    }

    /// True when `event` was recorded.
    pub fn contains(&self, event: StreamEvent) -> bool {
        self.iter().any(|e| e == event)
    }

    /// The recorded events in order.
    pub fn iter(&self) -> impl Iterator<Item = StreamEvent> + '_ {
        self.events
            .iter()
            .take(usize::from(self.len))
            .flatten()
            .copied()
    }

    /// Number of recorded events.
    pub fn len(&self) -> usize {
        usize::from(self.len)
    }

    /// True when nothing was recorded.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Forgets all events (before the next packet).
    pub fn clear(&mut self) {
        *self = StreamEvents::default();
    }
}

/// Stream counters of one worker, kept in its [`StreamMemory`]. The doc of
/// each field names the Suricata counter it matches; [`TcpStats::counters`]
/// lists those under Suricata's names (without the `tcp.` prefix).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TcpStats {
    /// `tcp.sessions`: sessions started (SYN or midstream pick-up).
    pub sessions: u64,
    /// `tcp.midstream_pickups`: sessions picked up without a handshake.
    pub midstream_pickups: u64,
    /// `tcp.syn`: SYN packets (without ACK).
    pub syn: u64,
    /// `tcp.synack`: SYN/ACK packets.
    pub synack: u64,
    /// `tcp.rst`: RST packets.
    pub rst: u64,
    /// `tcp.segment_memcap_drop`: segments (or their rest) not buffered
    /// because the memcap was reached.
    pub segment_memcap_drop: u64,
    /// `tcp.stream_depth_reached`: directions that reached the reassembly
    /// depth.
    pub stream_depth_reached: u64,
    /// `tcp.reassembly_gap`: gaps reported to the sink.
    pub reassembly_gap: u64,
    /// `tcp.overlap`: segments overlapping data seen before.
    pub overlap: u64,
    /// `tcp.overlap_diff_data`: overlapping segments whose bytes differed
    /// from the buffered copy.
    pub overlap_diff_data: u64,
    /// Segments entirely made of data already delivered (Suricata counts
    /// the `stream.pkt_retransmission` event).
    pub pkt_retransmission: u64,
    /// Packets the state machine rejected (no Suricata counter; each carries
    /// a `stream.*` event or failed a RST/sequence check).
    pub invalid_packets: u64,
}

impl TcpStats {
    /// Adds another worker's counters.
    pub fn merge(&mut self, other: &TcpStats) {
        self.sessions += other.sessions;
        self.midstream_pickups += other.midstream_pickups;
        self.syn += other.syn;
        self.synack += other.synack;
        self.rst += other.rst;
        self.segment_memcap_drop += other.segment_memcap_drop;
        self.stream_depth_reached += other.stream_depth_reached;
        self.reassembly_gap += other.reassembly_gap;
        self.overlap += other.overlap;
        self.overlap_diff_data += other.overlap_diff_data;
        self.pkt_retransmission += other.pkt_retransmission;
        self.invalid_packets += other.invalid_packets;
    }

    /// Suricata's `tcp.*` counters, named without the prefix.
    pub fn counters(&self) -> [(&'static str, u64); 10] {
        [
            ("sessions", self.sessions),
            ("midstream_pickups", self.midstream_pickups),
            ("syn", self.syn),
            ("synack", self.synack),
            ("rst", self.rst),
            ("segment_memcap_drop", self.segment_memcap_drop),
            ("stream_depth_reached", self.stream_depth_reached),
            ("reassembly_gap", self.reassembly_gap),
            ("overlap", self.overlap),
            ("overlap_diff_data", self.overlap_diff_data),
        ]
    }
}

/// Per-worker memory budget for buffered segments (memcap), shared by all
/// sessions of the worker, and the worker's stream counters.
///
/// A session charges the bytes it buffers here and releases them when they
/// are delivered or dropped; call [`TcpSession::finish`] before dropping a
/// session so that its buffered bytes are released.
#[derive(Clone, Debug, Default)]
pub struct StreamMemory {
    /// Most bytes buffered at once; 0 = unlimited (as Suricata's
    /// `stream.reassembly.memcap`).
    pub memcap: usize,
    /// Bytes buffered now: segment data plus a fixed per-segment overhead.
    pub used: usize,
    /// Highest `used` seen.
    pub peak: usize,
    /// The worker's stream counters.
    pub stats: TcpStats,
    /// Emptied pending buffers kept for reuse, so that acknowledged
    /// delivery does not allocate per packet in the steady state.
    buffers: Vec<Vec<u8>>,
}

/// Most emptied pending buffers a worker keeps for reuse.
const MAX_POOLED_BUFFERS: usize = 64;
/// Largest capacity of a pending buffer kept for reuse.
const MAX_POOLED_CAPACITY: usize = 64 * 1024;

impl StreamMemory {
    /// A budget of `memcap` bytes (0 = unlimited).
    pub fn new(memcap: usize) -> Self {
        StreamMemory {
            memcap,
            ..StreamMemory::default()
        }
    }

    /// The worker's stream counters.
    pub fn stats(&self) -> &TcpStats {
        &self.stats
    }

    /// Charges `bytes` unconditionally (already checked).
    fn charge(&mut self, bytes: usize) {
        self.used = self.used.saturating_add(bytes);
        self.peak = self.peak.max(self.used);
    }

    fn release(&mut self, bytes: usize) {
        self.used = self.used.saturating_sub(bytes);
    }

    /// True when `bytes` more would fit.
    fn fits(&self, bytes: usize) -> bool {
        self.memcap == 0 || self.used.saturating_add(bytes) <= self.memcap
    }

    /// An empty buffer, reused if one is pooled.
    fn take_buffer(&mut self) -> Vec<u8> {
        self.buffers.pop().unwrap_or_default()
    }

    /// Returns an emptied buffer to the pool (small ones, a bounded number).
    fn give_buffer(&mut self, mut buf: Vec<u8>) {
        if self.buffers.len() < MAX_POOLED_BUFFERS && buf.capacity() <= MAX_POOLED_CAPACITY {
            buf.clear();
            self.buffers.push(buf);
        }
    }
}
