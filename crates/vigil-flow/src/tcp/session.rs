//! The TCP state machine of one session, after Suricata's `stream-tcp.c`.
//!
//! Directions inside the session are the session's own: index 0 / ToServer
//! is the client (the SYN sender, or the side a midstream pick-up decided
//! on). The flow table passes directions relative to the flow's initiator;
//! when the two differ (a SYN/ACK seen first, say) [`TcpSession::reversed`]
//! is true and packet directions are swapped on the way in.
//!
//! Validation follows Suricata where it decides what reaches the stream:
//! the handshake checks (including the SYN/ACK's timestamp echo), ACK
//! numbers beyond the peer's window (`stream.pkt_invalid_ack`), data beyond
//! the receiver's window (`stream.est_packet_out_of_window`, skipped for
//! midstream and async sessions as Suricata does), timestamps (PAWS,
//! `stream.pkt_invalid_timestamp`) and RST sequence numbers, the last two
//! per the receiving host's [`OsPolicy`] (with `bsd` and `windows` a RST
//! must carry exactly the next expected number). Once data was lost (a gap)
//! any RST is accepted, and a RST whose sender keeps sending is taken as
//! injected: the session resumes (`stream.suspected_rst_inject`).
//!
//! Teardown follows Suricata's states, which name the session from the
//! server's side: a client FIN in `established` gives `close_wait`, then the
//! server's FIN `last_ack`, then the client's ACK `closed`; a server FIN
//! gives `fin_wait1`, the client's ACK of it `fin_wait2`, the client's FIN
//! `time_wait` (directly from `fin_wait1` with FIN+ACK; `closing` with a
//! bare FIN), and the next ACK after the FINs `closed`. A valid RST closes
//! from any state. With immediate delivery each stream closes when its FIN
//! is reached; with acknowledged delivery (see the module above) when the
//! session closes. What is left (holes, a RST-closed session, data never
//! acknowledged) is flushed by [`TcpSession::finish`].

use super::reassembly::{Io, Reassembler};
use super::seq;
use super::{
    Delivery, OsPolicy, StreamEvent, StreamEvents, StreamMemory, StreamSink, TcpConfig, TcpState,
};
use crate::Direction;
use vigil_wire::{TcpInfo, TcpOptions, Timestamp, tcp_flags};

/// Largest window scale shift (RFC 7323); midstream pick-ups assume it.
const WSCALE_MAX: u8 = 14;
/// Different SYN/ACKs remembered while waiting for the handshake's ACK
/// (Suricata's `stream.max-synack-queued` default).
const MAX_SYNACK_QUEUED: usize = 5;
/// Timestamp values of resent SYNs remembered, to check the SYN/ACK's echo.
const MAX_SYN_TSVALS: usize = 4;
/// RFC 7323 PAWS: a timestamp older than 24 days no longer counts.
const PAWS_24DAYS: i64 = 24 * 24 * 60 * 60;

fn has(flags: u8, bit: u8) -> bool {
    flags & bit != 0
}

/// What a session knows of one direction (the data one side sends).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct StreamInfo {
    /// Initial sequence number.
    pub isn: u32,
    /// Next sequence number expected from the sender.
    pub next_seq: u32,
    /// Highest ACK the receiver sent for this direction.
    pub last_ack: u32,
    /// The receiver's window for this direction, scaled.
    pub window: u32,
    /// Window scale shift the sender applies to the windows it advertises
    /// (0 unless both sides offered the option).
    pub wscale: u8,
    /// Last timestamp value the sender sent, if it uses timestamps.
    pub last_tsval: Option<u32>,
    /// The sender offered SACK.
    pub sack_permitted: bool,
    /// The sender's FIN was seen.
    pub fin_seen: bool,
}

#[derive(Debug)]
struct Stream {
    isn: u32,
    next_seq: u32,
    last_ack: u32,
    window: u32,
    wscale: u8,
    wscale_offered: bool,
    sack_ok: bool,
    last_tsval: Option<u32>,
    /// Packet time (seconds) of the last timestamp taken.
    last_ts_secs: i64,
    /// The sender's handshake timestamp was zero.
    zero_ts: bool,
    fin_seq: Option<u32>,
    fin_acked: bool,
    /// `last_ack` holds a real acknowledgement (or the initial "nothing
    /// acknowledged" value of a set-up session), not the zero of a stream
    /// whose peer has not answered yet.
    ack_known: bool,
    reasm: Reassembler,
}

impl Stream {
    fn new(dir: Direction, config: &TcpConfig) -> Stream {
        Stream {
            isn: 0,
            next_seq: 0,
            last_ack: 0,
            window: 0,
            wscale: 0,
            wscale_offered: false,
            sack_ok: false,
            last_tsval: None,
            last_ts_secs: 0,
            zero_ts: false,
            fin_seq: None,
            fin_acked: false,
            ack_known: false,
            reasm: Reassembler::new(
                dir,
                config.delivery,
                config.reassembly_depth,
                config.max_queued_segments,
                config.max_queued_bytes,
            ),
        }
    }

    /// Records the highest acknowledgement of this direction.
    fn set_ack(&mut self, ack: u32) {
        self.last_ack = ack;
        self.ack_known = true;
    }

    /// Takes the sender's ISN and SYN options (at packet time `now`).
    fn syn(&mut self, seq: u32, options: &TcpOptions, now: i64) {
        self.isn = seq;
        self.next_seq = seq.wrapping_add(1);
        self.reasm.init(seq.wrapping_add(1));
        self.wscale_offered = options.window_scale.is_some();
        self.wscale = options.window_scale.unwrap_or(0).min(WSCALE_MAX);
        self.sack_ok = options.sack_permitted;
        self.last_tsval = options.timestamp.map(|(tsval, _)| tsval);
        self.last_ts_secs = now;
        self.zero_ts = self.last_tsval == Some(0);
    }
}

/// A SYN/ACK that differed from the one the session took, kept in case the
/// handshake's ACK answers it instead.
#[derive(Clone, Copy, Debug)]
struct QueuedSynAck {
    seq: u32,
    window: u16,
    options: TcpOptions,
}

/// TCP state and stream reassembly of one flow.
#[derive(Debug)]
pub struct TcpSession {
    state: TcpState,
    /// `[client → server, server → client]` in the session's orientation.
    streams: [Stream; 2],
    reversed: bool,
    midstream: bool,
    async_: bool,
    four_whs: bool,
    /// The server sent an ACK after the handshake.
    confirmed: bool,
    synacks: [Option<QueuedSynAck>; MAX_SYNACK_QUEUED],
    /// Timestamp values of the client's SYNs (resends included).
    syn_tsvals: [Option<u32>; MAX_SYN_TSVALS],
    /// Both sides use timestamps: packets are checked against them (PAWS).
    timestamps: bool,
    /// The side whose RST closed the session, and the state before it: if
    /// that side goes on sending, the RST was likely injected and the
    /// session resumes (as Suricata does).
    rst_from: Option<Direction>,
    before_rst: TcpState,
    /// The session was closed by a RST (Suricata's `CLOSED_BY_RST`).
    closed_by_rst: bool,
    /// Data was lost (a gap was reported): RSTs are then accepted without
    /// checks, as Suricata's `STREAMTCP_FLAG_LOSSY_BE_LIBERAL`.
    lossy: bool,
    /// Host policies of the flow's initiator and responder.
    host_policy: [OsPolicy; 2],
    allow_midstream: bool,
    allow_async: bool,
    delivery: Delivery,
    last_seen: Timestamp,
}

impl TcpSession {
    /// A session that has seen nothing yet.
    pub fn new(config: &TcpConfig) -> Self {
        TcpSession {
            state: TcpState::None,
            streams: [
                Stream::new(Direction::ToServer, config),
                Stream::new(Direction::ToClient, config),
            ],
            reversed: false,
            midstream: false,
            async_: false,
            four_whs: false,
            confirmed: false,
            synacks: [None; MAX_SYNACK_QUEUED],
            syn_tsvals: [None; MAX_SYN_TSVALS],
            timestamps: false,
            rst_from: None,
            before_rst: TcpState::None,
            closed_by_rst: false,
            lossy: false,
            host_policy: [config.os_policy; 2],
            allow_midstream: config.midstream,
            allow_async: config.async_oneside,
            delivery: config.delivery,
            last_seen: Timestamp::default(),
        }
    }

    /// Current TCP state.
    pub fn state(&self) -> TcpState {
        self.state
    }

    /// True when the session's client is the flow's responder (the session
    /// was picked up from a SYN/ACK, or started by a SYN in the flow's
    /// to-client direction). Directions given to the [`StreamSink`] are the
    /// session's; the flow table may swap its endpoints like Suricata's
    /// `FlowSwap`.
    pub fn reversed(&self) -> bool {
        self.reversed
    }

    /// The flow swapped its endpoints: the session's client is now the
    /// flow's responder (or, for a session already reversed, its
    /// initiator), and the host policies follow the flow's sides.
    pub fn flow_swapped(&mut self) {
        self.reversed = !self.reversed;
        self.host_policy.swap(0, 1);
    }

    /// True when the session was picked up without seeing its handshake.
    pub fn is_midstream(&self) -> bool {
        self.midstream
    }

    /// Sets the host policies (Suricata's `host-os-policy` looked up for
    /// each address) of the flow's initiator and responder; both default to
    /// [`TcpConfig::os_policy`]. They decide how each host, as a receiver,
    /// resolves overlapping data and which RSTs and timestamps it accepts.
    pub fn set_host_policies(&mut self, initiator: OsPolicy, responder: OsPolicy) {
        self.host_policy = [initiator, responder];
    }

    /// Policy of the host receiving stream `si` (session orientation).
    fn receiver_policy(&self, si: usize) -> OsPolicy {
        // The receiver is the session's other side; map it to the flow.
        let side = 1 - si.min(1);
        let flow_side = if self.reversed { 1 - side } else { side };
        self.host_policy[flow_side]
    }

    /// Time of the last packet given to [`TcpSession::on_packet`].
    pub fn last_seen(&self) -> Timestamp {
        self.last_seen
    }

    /// What the session knows of direction `dir` (session orientation).
    pub fn stream_info(&self, dir: Direction) -> StreamInfo {
        let s = &self.streams[dir.index()];
        StreamInfo {
            isn: s.isn,
            next_seq: s.next_seq,
            last_ack: s.last_ack,
            window: s.window,
            wscale: s.wscale,
            last_tsval: s.last_tsval,
            sack_permitted: s.sack_ok,
            fin_seen: s.fin_seq.is_some(),
        }
    }

    /// Bytes of buffered segments this session has charged to the worker's
    /// [`StreamMemory`].
    pub fn memory_used(&self) -> usize {
        self.streams.iter().map(|s| s.reasm.charged()).sum()
    }

    /// True when a new SYN on this tuple should start a new flow (port reuse
    /// after close), as Suricata's `TcpSessionPacketSsnReuse`: a SYN (or,
    /// with midstream or async-oneside, a SYN/ACK) is a new session when this
    /// one is untracked or in Suricata's states from `last_ack` on
    /// (`last_ack`, `close_wait`, `closing`, `closed`), unless it repeats
    /// this session's ISN. `time_wait` ranks below `last_ack` in Suricata's
    /// enum, so a SYN during `time_wait` is not a reuse there either. ECN
    /// bits are ignored when matching the flags.
    pub fn is_reuse(&self, dir: Direction, tcp: &TcpInfo) -> bool {
        use tcp_flags::{ACK, FIN, RST, SYN};
        let flags = tcp.flags & (SYN | ACK | RST | FIN);
        let untracked = self.state == TcpState::None;
        let done = self.state.suricata_rank() >= TcpState::LastAck.suricata_rank();
        let d = if self.reversed { dir.reverse() } else { dir };
        if flags == SYN {
            if untracked {
                return true;
            }
            if d == Direction::ToServer && tcp.seq == self.streams[0].isn {
                return false;
            }
            return done;
        }
        if flags == SYN | ACK && (self.allow_midstream || self.allow_async) {
            if d == Direction::ToClient {
                if untracked || tcp.seq == self.streams[1].isn {
                    return false;
                }
                return done;
            }
            return untracked || done;
        }
        false
    }

    /// One packet of this flow, `dir` relative to the flow's initiator (the
    /// flow table decides it). `payload` is the TCP payload. Reassembled
    /// data goes to `sink`, anomalies to `events`, counters to `mem.stats`.
    /// Returns whether the payload was added to the stream (Suricata's
    /// `PKT_STREAM_ADD`: payload rules then inspect the stream, not the
    /// packet; SYN data and data past the depth are not added).
    #[allow(clippy::too_many_arguments)]
    pub fn on_packet(
        &mut self,
        ts: Timestamp,
        dir: Direction,
        tcp: &TcpInfo,
        payload: &[u8],
        mem: &mut StreamMemory,
        sink: &mut dyn StreamSink,
        events: &mut StreamEvents,
    ) -> bool {
        use tcp_flags::{ACK, RST, SYN};
        self.last_seen = ts;
        if has(tcp.flags, SYN) {
            if has(tcp.flags, ACK) {
                mem.stats.synack += 1;
            } else {
                mem.stats.syn += 1;
            }
        }
        if has(tcp.flags, RST) {
            mem.stats.rst += 1;
        }
        let mut io = Io {
            mem,
            sink,
            events: Some(events),
            added: false,
        };
        if self.state == TcpState::None {
            self.packet_none(dir, tcp, payload, &mut io);
            if self.state != TcpState::None {
                let d = if self.reversed { dir.reverse() } else { dir };
                self.release_acked(d, tcp.flags, &mut io);
            }
            return io.added;
        }
        let d = if self.reversed { dir.reverse() } else { dir };
        let accepted = if self.state == TcpState::Closed {
            if has(tcp.flags, RST) || self.rst_from != Some(d) {
                return false;
            }
            // The sender of the RST that closed the session goes on: if the
            // state before the RST takes the packet, the RST was likely
            // injected and the session resumes (Suricata's RST_RECV logic).
            self.state = self.before_rst;
            if self.dispatch(d, tcp, payload, &mut io) {
                io.event(StreamEvent::SuspectedRstInject);
                self.rst_from = None;
                true
            } else {
                if self.state == self.before_rst {
                    self.state = TcpState::Closed;
                }
                io.mem.stats.invalid_packets += 1;
                false
            }
        } else if self.dispatch(d, tcp, payload, &mut io) {
            true
        } else {
            io.mem.stats.invalid_packets += 1;
            false
        };
        if accepted {
            self.release_acked(d, tcp.flags, &mut io);
        }
        if !self.lossy && self.streams.iter().any(|s| s.reasm.had_gap()) {
            self.lossy = true;
        }
        io.added
    }

    /// Acknowledged delivery after an accepted packet from `d` (session
    /// orientation), as Suricata's `StreamTcpReassembleHandleSegment` picks
    /// the streams to update: the other direction's data up to the ACK this
    /// packet's side sent; the packet's own direction instead for a RST, and
    /// as well for a FIN in the states past `time_wait` (only its own
    /// without ACK) and for the packet that closed the session. A direction
    /// that reached the depth releases what was acknowledged and stops.
    /// SYN packets release nothing (their handlers do not reassemble).
    fn release_acked(&mut self, d: Direction, flags: u8, io: &mut Io<'_>) {
        use tcp_flags::{ACK, FIN, RST, SYN};
        if self.delivery != Delivery::Acked || has(flags, SYN) {
            return;
        }
        let (si, ri) = (d.index(), d.reverse().index());
        let past_time_wait = self.state.suricata_rank() > TcpState::TimeWait.suricata_rank();
        let (own, other) = if has(flags, RST) {
            (true, false)
        } else if has(flags, FIN) && past_time_wait {
            (true, has(flags, ACK))
        } else if self.state == TcpState::Closed {
            (true, true)
        } else {
            (false, true)
        };
        if other {
            self.release_stream(ri, io);
        }
        if own {
            self.release_stream(si, io);
        }
        // Suricata's app-layer hears of the end of both streams when the
        // session closes by the FIN exchange (not by a RST, which may be
        // injected: then at flow end), and of one when its depth is reached.
        let teardown = self.state == TcpState::Closed && !self.closed_by_rst;
        for i in [ri, si] {
            let stream = &mut self.streams[i];
            if teardown || stream.reasm.depth_stop_due() {
                let ack = stream.ack_known.then_some(stream.last_ack);
                stream.reasm.eof(ack, io);
            }
        }
    }

    /// Hands over the data of stream `i` its receiver acknowledged.
    fn release_stream(&mut self, i: usize, io: &mut Io<'_>) {
        let stream = &mut self.streams[i];
        if stream.ack_known {
            stream.reasm.release(stream.last_ack, io);
        }
    }

    /// An accepted RST from `d` (before its payload is taken): as Suricata's
    /// `StreamTcpResetGetMaxAck`, the sender's data counts as acknowledged
    /// up to the highest byte seen (or the RST's sequence number), and with
    /// an ACK the other side's up to the highest of the ACK and its data.
    fn rst_acks(&mut self, d: Direction, tcp: &TcpInfo) {
        let (si, ri) = (d.index(), d.reverse().index());
        if has(tcp.flags, tcp_flags::ACK) {
            let receiver = &mut self.streams[ri];
            let mut ack = tcp.ack;
            if let Some(edge) = receiver.reasm.seen_right_edge()
                && seq::gt(edge, ack)
            {
                ack = edge;
            }
            if !receiver.ack_known || seq::gt(ack, receiver.last_ack) {
                receiver.set_ack(ack);
            }
        }
        let sender = &mut self.streams[si];
        let mut own = tcp.seq;
        if let Some(edge) = sender.reasm.seen_right_edge()
            && seq::gt(edge, own)
        {
            own = edge;
        }
        if !sender.ack_known || seq::gt(own, sender.last_ack) {
            sender.set_ack(own);
        }
    }

    fn dispatch(&mut self, d: Direction, tcp: &TcpInfo, payload: &[u8], io: &mut Io<'_>) -> bool {
        match self.state {
            TcpState::None | TcpState::Closed => true,
            TcpState::SynSent => self.packet_syn_sent(d, tcp, payload, io),
            TcpState::SynRecv => self.packet_syn_recv(d, tcp, payload, io),
            _ => self.packet_open(d, tcp, payload, io),
        }
    }

    /// A valid RST from `d` closes the session. One taken in `syn_sent` or
    /// `established` is tentative (see `rst_from`): as observed with
    /// Suricata 7.0.10, a RST in the closing states is final.
    fn reset(&mut self, d: Direction) {
        self.closed_by_rst = true;
        let tentative = matches!(self.state, TcpState::SynSent | TcpState::Established);
        self.rst_from = tentative.then_some(d);
        self.before_rst = self.state;
        self.state = TcpState::Closed;
    }

    /// Flow end: delivers whatever is buffered (holes as gaps), then closes
    /// both directions. A session that never started (state `none`) has
    /// nothing to deliver and reports nothing. With acknowledged delivery,
    /// as Suricata's flow-end flush, data not acknowledged yet is delivered
    /// too, but only holes the receiver acknowledged become gaps: delivery
    /// stops at the first other hole.
    ///
    /// A direction is closed earlier when its FIN is reached (immediate
    /// delivery) or the session closed (acknowledged delivery); a RST does
    /// not close the streams by itself, since Suricata resumes a session
    /// whose RST sender keeps sending (an injected RST must not end
    /// inspection).
    pub fn finish(&mut self, mem: &mut StreamMemory, sink: &mut dyn StreamSink) {
        if self.state == TcpState::None {
            return;
        }
        let mut io = Io {
            mem,
            sink,
            events: None,
            added: false,
        };
        self.close_streams(&mut io);
    }

    fn close_streams(&mut self, io: &mut Io<'_>) {
        for stream in &mut self.streams {
            if !stream.reasm.is_closed() {
                let ack = stream.ack_known.then_some(stream.last_ack);
                stream.reasm.finalize(ack, io);
            }
        }
    }

    /// A packet while no session exists.
    fn packet_none(&mut self, dir: Direction, tcp: &TcpInfo, payload: &[u8], io: &mut Io<'_>) {
        use tcp_flags::{ACK, FIN, RST, SYN};
        let f = tcp.flags;
        if has(f, RST) {
            io.event(StreamEvent::RstButNoSession);
        } else if has(f, FIN) {
            if !self.allow_midstream || payload.is_empty() {
                io.event(StreamEvent::FinButNoSession);
                return;
            }
            self.pickup(dir, tcp, payload, TcpState::FinWait1, io);
            let fin_seq = tcp.seq.wrapping_add(payload.len() as u32);
            let policy = self.receiver_policy(0);
            let client = &mut self.streams[0];
            client.reasm.segment(tcp.seq, payload, policy, io);
            client.fin_seq = Some(fin_seq);
            client.next_seq = fin_seq.wrapping_add(1);
            client.reasm.set_fin(fin_seq, io);
        } else if has(f, SYN) && has(f, ACK) {
            if self.allow_midstream || self.allow_async {
                self.pickup_synack(dir, tcp, io);
            }
        } else if has(f, SYN) {
            self.reversed = dir == Direction::ToClient;
            io.mem.stats.sessions += 1;
            self.async_ = self.allow_async;
            self.client_syn(tcp, payload, io);
            self.state = TcpState::SynSent;
        } else if has(f, ACK) && self.allow_midstream {
            self.pickup(dir, tcp, payload, TcpState::Established, io);
            let policy = self.receiver_policy(0);
            self.streams[0].reasm.segment(tcp.seq, payload, policy, io);
        }
    }

    /// Takes the client's SYN. Data on a SYN with the Fast Open option goes
    /// to the stream (a server that did not accept it acknowledges only the
    /// SYN, and the client sends it again after the handshake, where it is
    /// a plain retransmission); as Suricata, other SYN data is not stream
    /// data (rules see it on the packet only).
    fn client_syn(&mut self, tcp: &TcpInfo, payload: &[u8], io: &mut Io<'_>) {
        let now = self.last_seen.secs;
        if self.state == TcpState::None || tcp.seq != self.streams[0].isn {
            self.syn_tsvals = [None; MAX_SYN_TSVALS];
        }
        if let Some((tsval, _)) = tcp.options.timestamp
            && !self.syn_tsvals.contains(&Some(tsval))
        {
            self.syn_tsvals.rotate_right(1);
            self.syn_tsvals[0] = Some(tsval);
        }
        let policy = self.receiver_policy(0);
        let client = &mut self.streams[0];
        client.syn(tcp.seq, &tcp.options, now);
        if !payload.is_empty() && tcp.options.tfo {
            let data_seq = tcp.seq.wrapping_add(1);
            client.next_seq = data_seq.wrapping_add(payload.len() as u32);
            client.reasm.segment(data_seq, payload, policy, io);
        }
        // The SYN's window is never scaled.
        self.streams[1].window = u32::from(tcp.window);
    }

    /// Midstream pick-up from an ACK (or FIN) packet: its sender is taken as
    /// the client and window scaling is assumed at its maximum.
    fn pickup(
        &mut self,
        dir: Direction,
        tcp: &TcpInfo,
        payload: &[u8],
        state: TcpState,
        io: &mut Io<'_>,
    ) {
        self.reversed = dir == Direction::ToClient;
        io.mem.stats.sessions += 1;
        io.mem.stats.midstream_pickups += 1;
        self.midstream = true;
        self.async_ = self.allow_async;
        let (seq, ack) = (tcp.seq, tcp.ack);
        let client = &mut self.streams[0];
        client.isn = seq.wrapping_sub(1);
        client.reasm.init(seq);
        client.next_seq = seq.wrapping_add(payload.len() as u32);
        client.set_ack(seq);
        client.wscale = WSCALE_MAX;
        client.window = u32::from(u16::MAX) << WSCALE_MAX;
        client.sack_ok = true;
        client.last_tsval = tcp.options.timestamp.map(|(tsval, _)| tsval);
        client.last_ts_secs = self.last_seen.secs;
        let server = &mut self.streams[1];
        server.isn = ack.wrapping_sub(1);
        server.reasm.init(ack);
        server.next_seq = ack;
        server.set_ack(ack);
        server.wscale = WSCALE_MAX;
        server.window = u32::from(tcp.window) << WSCALE_MAX;
        server.sack_ok = true;
        if let Some((_, tsecr)) = tcp.options.timestamp {
            server.last_tsval = Some(tsecr);
            self.timestamps = true;
        }
        self.state = state;
    }

    /// Midstream pick-up from a SYN/ACK: its sender is the server.
    fn pickup_synack(&mut self, dir: Direction, tcp: &TcpInfo, io: &mut Io<'_>) {
        self.reversed = dir == Direction::ToServer;
        io.mem.stats.sessions += 1;
        io.mem.stats.midstream_pickups += 1;
        self.midstream = true;
        self.async_ = self.allow_async;
        let now = self.last_seen.secs;
        let server = &mut self.streams[1];
        server.syn(tcp.seq, &tcp.options, now);
        server.set_ack(tcp.seq.wrapping_add(1));
        self.timestamps = tcp.options.timestamp.is_some();
        let client = &mut self.streams[0];
        client.isn = tcp.ack.wrapping_sub(1);
        client.reasm.init(tcp.ack);
        client.next_seq = tcp.ack;
        client.set_ack(tcp.ack);
        client.window = u32::from(tcp.window);
        client.last_tsval = tcp.options.timestamp.map(|(_, tsecr)| tsecr);
        if tcp.options.window_scale.is_some() {
            // The client offered scaling too, at an unknown shift.
            client.wscale_offered = true;
            client.wscale = WSCALE_MAX;
        }
        self.state = TcpState::SynRecv;
    }

    /// The server's SYN/ACK answering the client's SYN.
    fn take_synack(&mut self, seq: u32, ack: u32, window: u16, options: &TcpOptions) {
        let client_offered = self.streams[0].wscale_offered;
        self.timestamps = self.streams[0].last_tsval.is_some() && options.timestamp.is_some();
        let now = self.last_seen.secs;
        let server = &mut self.streams[1];
        server.syn(seq, options, now);
        server.set_ack(seq.wrapping_add(1));
        if !(client_offered && server.wscale_offered) {
            server.wscale = 0;
            self.streams[0].wscale = 0;
        }
        let client = &mut self.streams[0];
        if ack == client.isn.wrapping_add(1) {
            // Any data on the SYN was not accepted: it will come again.
            client.next_seq = ack;
        }
        client.set_ack(ack);
        client.window = u32::from(window);
        self.four_whs = false;
        self.synacks = [None; MAX_SYNACK_QUEUED];
        self.state = TcpState::SynRecv;
    }

    fn packet_syn_sent(
        &mut self,
        d: Direction,
        tcp: &TcpInfo,
        payload: &[u8],
        io: &mut Io<'_>,
    ) -> bool {
        use tcp_flags::{ACK, FIN, RST, SYN};
        let f = tcp.flags;
        let client_isn = self.streams[0].isn;
        if d == Direction::ToClient && !self.syn_echo_valid(tcp) {
            // Answers with a timestamp echo the client never sent: not from
            // the real peer (Suricata's check against "evil servers").
            io.event(StreamEvent::PktInvalidTimestamp);
            return false;
        }
        if has(f, SYN) && has(f, ACK) {
            if d == Direction::ToClient {
                // The SYN/ACK acknowledges the SYN, or the SYN and its data.
                if tcp.ack != client_isn.wrapping_add(1) && tcp.ack != self.streams[0].next_seq {
                    io.event(StreamEvent::ThreeWhsSynackWithWrongAck);
                    return false;
                }
                self.take_synack(tcp.seq, tcp.ack, tcp.window, &tcp.options);
                return true;
            }
            if !self.four_whs {
                io.event(StreamEvent::ThreeWhsSynackInWrongDirection);
                return false;
            }
            // Four-way handshake: the client answers the server's SYN.
            if tcp.ack != self.streams[1].isn.wrapping_add(1) {
                io.event(StreamEvent::FourWhsSynackWithWrongAck);
                return false;
            }
            if tcp.seq != client_isn {
                io.event(StreamEvent::FourWhsSynackWithWrongSyn);
                return false;
            }
            if !(self.streams[0].wscale_offered && tcp.options.window_scale.is_some()) {
                self.streams[0].wscale = 0;
                self.streams[1].wscale = 0;
            }
            self.streams[1].set_ack(tcp.ack);
            self.streams[1].window = u32::from(tcp.window);
            self.streams[0].set_ack(client_isn.wrapping_add(1));
            self.state = TcpState::SynRecv;
            return true;
        }
        if has(f, RST) {
            if d == Direction::ToServer {
                // As Suricata: only this exact form of client RST closes a
                // session in syn_sent; others are ignored.
                if tcp.seq == client_isn && tcp.window == 0 && tcp.ack == client_isn.wrapping_add(1)
                {
                    self.reset(d);
                }
                return true;
            }
            // A refusal: any ACK must acknowledge the SYN, and the sequence
            // number be one the client's host accepts.
            let ack_ok = !has(f, ACK) || tcp.ack == client_isn.wrapping_add(1);
            let valid = ack_ok && (self.lossy || self.rst_seq_ok(d, tcp.seq, payload.len() as u32));
            if valid {
                self.reset(d);
            }
            return valid;
        }
        if has(f, FIN) {
            // As Suricata: nothing to do.
            return true;
        }
        if has(f, SYN) {
            if d == Direction::ToClient {
                // The server sends its own SYN: simultaneous open / 4WHS.
                self.four_whs = true;
                let now = self.last_seen.secs;
                self.streams[1].syn(tcp.seq, &tcp.options, now);
                self.streams[0].window = u32::from(tcp.window);
            } else if tcp.seq == client_isn || self.streams[0].reasm.is_pristine() {
                // A resent SYN: take its values. Unlike Suricata, a new ISN
                // replaces the old one (unless data was already taken), so
                // the SYN/ACK for it is accepted.
                self.client_syn(tcp, payload, io);
            }
            return true;
        }
        if has(f, ACK) && d == Direction::ToServer && self.allow_async {
            // Only the client side is visible.
            if tcp.seq != self.streams[0].next_seq {
                io.event(StreamEvent::ThreeWhsAsyncWrongSeq);
                return false;
            }
            self.async_ = true;
            let server = &mut self.streams[1];
            server.isn = tcp.ack.wrapping_sub(1);
            server.reasm.init(tcp.ack);
            server.next_seq = tcp.ack;
            server.set_ack(tcp.ack);
            let client = &mut self.streams[0];
            client.set_ack(tcp.seq);
            client.window = u32::from(tcp.window);
            self.state = TcpState::Established;
            return self.packet_open(d, tcp, payload, io);
        }
        true
    }

    fn packet_syn_recv(
        &mut self,
        d: Direction,
        tcp: &TcpInfo,
        payload: &[u8],
        io: &mut Io<'_>,
    ) -> bool {
        use tcp_flags::{ACK, FIN, RST, SYN};
        let f = tcp.flags;
        if has(f, RST) {
            if !self.rst_valid(d, tcp, payload.len() as u32, io) {
                return false;
            }
            self.rst_acks(d, tcp);
            self.reset(d);
            return true;
        }
        if has(f, FIN) {
            // Handled as in established (Suricata's StreamTcpHandleFin).
            return self.packet_open(d, tcp, payload, io);
        }
        if has(f, SYN) && has(f, ACK) {
            if d == Direction::ToServer {
                io.event(StreamEvent::ThreeWhsSynackToserverOnSynRecv);
                return false;
            }
            if tcp.ack != self.streams[0].last_ack {
                io.event(StreamEvent::ThreeWhsSynackResendWithDiffAck);
                return false;
            }
            if tcp.seq != self.streams[1].isn {
                // A different SYN/ACK: remember it, the ACK will tell.
                if self.synacks.iter().flatten().any(|q| q.seq == tcp.seq) {
                    return true;
                }
                let Some(slot) = self.synacks.iter_mut().find(|q| q.is_none()) else {
                    io.event(StreamEvent::ThreeWhsSynackFlood);
                    return false;
                };
                *slot = Some(QueuedSynAck {
                    seq: tcp.seq,
                    window: tcp.window,
                    options: tcp.options,
                });
            }
            return true;
        }
        if has(f, SYN) {
            if d == Direction::ToClient {
                io.event(StreamEvent::ThreeWhsSynToclientOnSynRecv);
                return false;
            }
            if tcp.seq != self.streams[0].isn {
                io.event(StreamEvent::ThreeWhsSynResendDiffSeqOnSynRecv);
                return false;
            }
            return true;
        }
        if !has(f, ACK) {
            return true;
        }

        // The handshake's last ACK may answer a queued SYN/ACK instead.
        if d == Direction::ToServer
            && tcp.ack != self.streams[1].next_seq
            && let Some(q) = self
                .synacks
                .iter()
                .flatten()
                .find(|q| q.seq.wrapping_add(1) == tcp.ack)
                .copied()
        {
            let ack = self.streams[0].last_ack;
            self.take_synack(q.seq, ack, q.window, &q.options);
        }

        let len = payload.len() as u32;
        let client_next = self.streams[0].next_seq;
        let server_next = self.streams[1].next_seq;
        let client_last_ack = self.streams[0].last_ack;
        if self.four_whs && d == Direction::ToClient {
            if tcp.seq != server_next {
                io.event(StreamEvent::FourWhsWrongSeq);
                return false;
            }
            if !self.ack_valid(Direction::ToServer.index(), tcp.ack) {
                io.event(StreamEvent::FourWhsInvalidAck);
                return false;
            }
            return self.establish(d, tcp, payload, io);
        }
        if d == Direction::ToServer && tcp.seq == client_next && tcp.ack == server_next {
            return self.establish(d, tcp, payload, io);
        }
        if d == Direction::ToServer && tcp.seq == client_next {
            io.event(StreamEvent::ThreeWhsRightSeqWrongAckEvasion);
            return false;
        }
        if d == Direction::ToClient && tcp.seq == server_next && tcp.ack == client_last_ack {
            // The client's ACK was not seen; the server goes on.
            return self.establish(d, tcp, payload, io);
        }
        if d == Direction::ToClient
            && seq::geq(tcp.seq, server_next)
            && seq::gt(tcp.ack, client_last_ack)
        {
            // More from the server acknowledging client data: packets lost.
            return self.establish(d, tcp, payload, io);
        }
        let client_win = client_last_ack.wrapping_add(self.streams[0].window);
        if d == Direction::ToServer
            && seq::gt(tcp.seq, client_next)
            && seq::leq(tcp.seq.wrapping_add(len), client_win)
            && tcp.ack == server_next
        {
            // Client data after a missed segment.
            return self.establish(d, tcp, payload, io);
        }
        io.event(StreamEvent::ThreeWhsWrongSeqWrongAck);
        false
    }

    fn establish(&mut self, d: Direction, tcp: &TcpInfo, payload: &[u8], io: &mut Io<'_>) -> bool {
        self.state = TcpState::Established;
        self.synacks = [None; MAX_SYNACK_QUEUED];
        self.packet_open(d, tcp, payload, io)
    }

    /// Established and the closing states: ACK processing, data, FIN and RST.
    fn packet_open(
        &mut self,
        d: Direction,
        tcp: &TcpInfo,
        payload: &[u8],
        io: &mut Io<'_>,
    ) -> bool {
        use tcp_flags::{ACK, FIN, RST, SYN};
        let f = tcp.flags;
        let (si, ri) = (d.index(), d.reverse().index());
        let (seq, ack) = (tcp.seq, tcp.ack);
        let len = payload.len() as u32;
        let has_ack = has(f, ACK);
        let before = self.state;

        if has(f, RST) {
            if !self.rst_valid(d, tcp, len, io) {
                return false;
            }
            self.rst_acks(d, tcp);
            // Suricata hands a RST's payload to reassembly as well.
            let policy = self.receiver_policy(si);
            self.streams[si].reasm.segment(seq, payload, policy, io);
            self.reset(d);
            return true;
        }
        if has(f, SYN) {
            return self.syn_in_open(d, tcp, io);
        }
        if !self.ts_valid(si, tcp) {
            io.event(StreamEvent::PktInvalidTimestamp);
            return false;
        }
        if has_ack && !self.ack_valid(ri, ack) {
            io.event(StreamEvent::PktInvalidAck);
            if has(f, FIN) {
                io.event(StreamEvent::FinInvalidAck);
            } else if self.state == TcpState::Established {
                io.event(StreamEvent::EstInvalidAck);
            }
            return false;
        }

        let sender = &self.streams[si];
        let keepalive = len <= 1 && !has(f, FIN) && seq == sender.next_seq.wrapping_sub(1);
        if !keepalive && (len > 0 || has(f, FIN)) && !(self.midstream || self.async_) {
            let next_win = sender.last_ack.wrapping_add(sender.window);
            let zero_window_probe = len == 1 && seq == sender.next_seq && sender.window == 0;
            if !zero_window_probe && seq::gt(seq.wrapping_add(len), next_win) {
                io.event(if has(f, FIN) {
                    StreamEvent::FinOutOfWindow
                } else {
                    StreamEvent::EstPacketOutOfWindow
                });
                return false;
            }
        }

        let scale = self.streams[si].wscale;
        let timestamps = self.timestamps;
        let now = self.last_seen.secs;
        let policy = self.receiver_policy(si).effective();
        let sender = &mut self.streams[si];
        if !keepalive && seq::gt(seq.wrapping_add(len), sender.next_seq) {
            sender.next_seq = seq.wrapping_add(len);
        }
        if let Some((tsval, _)) = tcp.options.timestamp
            && (timestamps || sender.last_tsval.is_none())
        {
            // As Suricata's StreamTcpHandleTimestamp, which runs after the
            // sequence update: only a packet at the next sequence number
            // (no data) moves the reference timestamp.
            let at_next = seq == sender.next_seq;
            if timestamps && sender.zero_ts {
                match policy {
                    // These hosts do not take a zero handshake timestamp.
                    OsPolicy::Linux | OsPolicy::Windows2k3 => self.timestamps = false,
                    OsPolicy::OldLinux | OsPolicy::Windows | OsPolicy::Vista => {
                        sender.zero_ts = false
                    }
                    _ => {}
                }
            }
            if at_next || sender.last_tsval.is_none() {
                sender.last_tsval = Some(tsval);
            }
            sender.last_ts_secs = now;
        }
        let fin_ignored = has(f, FIN) && matches!(before, TcpState::TimeWait | TcpState::LastAck);
        if has_ack && (before != TcpState::Established || has(f, FIN)) && !fin_ignored {
            // As Suricata's FIN and closing-state handlers: the peer has
            // acknowledged data we did not see.
            let receiver = &mut self.streams[ri];
            if seq::gt(ack, receiver.next_seq) {
                receiver.next_seq = ack;
            }
        }
        if has_ack {
            // What this packet acknowledges, and the sender's window for the
            // other direction.
            let receiver = &mut self.streams[ri];
            if seq::gt(ack, receiver.last_ack) {
                receiver.set_ack(ack);
            }
            receiver.window = u32::from(tcp.window) << scale;
            if d == Direction::ToClient && self.state == TcpState::Established {
                self.confirmed = true;
            }
        }
        if !keepalive && len > 0 {
            let policy = self.receiver_policy(si);
            self.streams[si].reasm.segment(seq, payload, policy, io);
        }
        if has_ack {
            self.streams[ri].reasm.on_ack(ack, io);
            self.fin_acked(ri, ack);
        }
        if has(f, FIN) {
            self.fin(d, seq.wrapping_add(len), has_ack, io);
        } else if has_ack {
            // As Suricata: in last_ack the client's ACK, in time_wait either
            // side's ACK, sent after its FIN, ends the session.
            // (Suricata's next number for the client excludes its FIN, the
            // server's includes it.)
            let next = self.streams[si].next_seq;
            let after_fin = match d {
                Direction::ToServer => seq == next || seq == next.wrapping_add(1),
                Direction::ToClient => seq == next || seq == next.wrapping_sub(1),
            };
            let closes = match before {
                TcpState::LastAck => d == Direction::ToServer,
                TcpState::TimeWait => true,
                _ => false,
            };
            if after_fin && closes {
                self.state = TcpState::Closed;
            }
        }
        true
    }

    /// A SYN or SYN/ACK after the handshake: always anomalous, except the
    /// server resending its SYN/ACK because it missed the handshake's ACK.
    fn syn_in_open(&mut self, d: Direction, tcp: &TcpInfo, io: &mut Io<'_>) -> bool {
        use tcp_flags::{ACK, FIN};
        if has(tcp.flags, FIN) {
            io.event(StreamEvent::FinSyn);
            return false;
        }
        if self.state != TcpState::Established {
            io.event(StreamEvent::ShutdownSynResend);
            return false;
        }
        let event = if has(tcp.flags, ACK) {
            if d == Direction::ToServer {
                StreamEvent::EstSynackToserver
            } else if tcp.ack != self.streams[0].last_ack {
                StreamEvent::EstSynackResendWithDiffAck
            } else if tcp.seq != self.streams[1].isn {
                StreamEvent::EstSynackResendWithDiffSeq
            } else if self.confirmed {
                StreamEvent::EstSynackResend
            } else {
                return true;
            }
        } else if d == Direction::ToClient {
            StreamEvent::EstSynToclient
        } else if tcp.seq != self.streams[0].isn {
            StreamEvent::EstSynResendDiffSeq
        } else {
            StreamEvent::EstSynResend
        };
        io.event(event);
        false
    }

    /// An ACK acknowledging the FIN of direction `ri` moves `fin_wait1` to
    /// `fin_wait2` and `closing` to `time_wait`.
    fn fin_acked(&mut self, ri: usize, ack: u32) {
        let receiver = &mut self.streams[ri];
        let Some(fin_seq) = receiver.fin_seq else {
            return;
        };
        if receiver.fin_acked || !seq::geq(ack, fin_seq.wrapping_add(1)) {
            return;
        }
        receiver.fin_acked = true;
        self.state = match self.state {
            TcpState::FinWait1 => TcpState::FinWait2,
            TcpState::Closing => TcpState::TimeWait,
            state => state,
        };
    }

    /// A FIN from `d` at `fin_seq`. As Suricata: a client FIN in established
    /// leads to `close_wait`, a server FIN to `fin_wait1`.
    fn fin(&mut self, d: Direction, fin_seq: u32, has_ack: bool, io: &mut Io<'_>) {
        let sender = &mut self.streams[d.index()];
        if sender.fin_seq.is_some() {
            // A retransmitted FIN.
            return;
        }
        sender.fin_seq = Some(fin_seq);
        // Suricata counts the FIN in the next sequence number only for a
        // server FIN in established (its RST checks depend on it).
        let counted = matches!(self.state, TcpState::SynRecv | TcpState::Established)
            && d == Direction::ToClient;
        let after = if counted {
            fin_seq.wrapping_add(1)
        } else {
            fin_seq
        };
        if seq::gt(after, sender.next_seq) {
            sender.next_seq = after;
        }
        sender.reasm.set_fin(fin_seq, io);
        self.state = match self.state {
            TcpState::SynRecv | TcpState::Established => {
                if d == Direction::ToServer {
                    TcpState::CloseWait
                } else {
                    TcpState::FinWait1
                }
            }
            TcpState::FinWait1 if has_ack => TcpState::TimeWait,
            TcpState::FinWait1 => TcpState::Closing,
            TcpState::FinWait2 => TcpState::TimeWait,
            TcpState::CloseWait if d == Direction::ToClient => TcpState::LastAck,
            state => state,
        };
    }

    /// An ACK number is invalid when it acknowledges past what the peer
    /// could have sent (its window), as Suricata's `StreamTcpValidateAck`.
    fn ack_valid(&self, ri: usize, ack: u32) -> bool {
        if self.async_ {
            return true;
        }
        let receiver = &self.streams[ri];
        !seq::gt(ack, receiver.last_ack.wrapping_add(receiver.window))
    }

    /// Suricata's RST check (`StreamTcpValidateRst`): anything once data
    /// was lost; else a valid timestamp and ACK, and a sequence number the
    /// receiving host accepts: exactly the next one for most policies (at
    /// or after it for HP-UX 11 and async sessions, within the window for
    /// Linux and Solaris).
    fn rst_valid(&self, d: Direction, tcp: &TcpInfo, len: u32, io: &mut Io<'_>) -> bool {
        if self.lossy {
            return true;
        }
        if !self.ts_valid(d.index(), tcp) {
            io.event(StreamEvent::PktInvalidTimestamp);
            return false;
        }
        if has(tcp.flags, tcp_flags::ACK) && !self.ack_valid(d.reverse().index(), tcp.ack) {
            io.event(StreamEvent::RstInvalidAck);
            return false;
        }
        self.rst_seq_ok(d, tcp.seq, len)
    }

    /// Whether the receiving host accepts a RST at `seq` (with `len` bytes).
    fn rst_seq_ok(&self, d: Direction, seq: u32, len: u32) -> bool {
        let sender = &self.streams[d.index()];
        let next = sender.next_seq;
        if self.async_ {
            return seq::geq(seq, next);
        }
        match self.receiver_policy(d.index()).effective() {
            OsPolicy::Hpux11 => seq::geq(seq, next),
            OsPolicy::OldLinux | OsPolicy::Linux | OsPolicy::Solaris => {
                seq::geq(seq.wrapping_add(len), sender.last_ack)
                    && seq::lt(seq, next.wrapping_add(sender.window))
            }
            _ => seq == next,
        }
    }

    /// Suricata's PAWS check (`StreamTcpValidateTimestamp`) for the
    /// receiving host's policy: once both sides use timestamps, a packet
    /// whose timestamp is older than the sender's last one (Linux: by more
    /// than one) is rejected, unless that one is more than 24 days old and
    /// the packet is at the next sequence number; a zero timestamp is
    /// rejected except by old Linux, Windows and Solaris hosts. Packets
    /// without the option pass.
    fn ts_valid(&self, si: usize, tcp: &TcpInfo) -> bool {
        use OsPolicy::*;
        if !self.timestamps {
            return true;
        }
        let Some((tsval, _)) = tcp.options.timestamp else {
            return true;
        };
        let policy = self.receiver_policy(si).effective();
        let sender = &self.streams[si];
        let mut last = sender.last_tsval.unwrap_or(0);
        let mut check = true;
        if sender.zero_ts {
            match policy {
                Linux | Windows2k3 => check = false,
                OldLinux | Windows | Vista if tcp.seq == sender.next_seq => {
                    last = tsval;
                    check = false;
                }
                _ => {}
            }
        }
        if policy == Hpux11 && tcp.seq != sender.next_seq {
            check = false;
        }
        if tsval == 0 && !matches!(policy, OldLinux | Windows | Windows2k3 | Vista | Solaris) {
            return false;
        }
        if !check {
            return true;
        }
        let now = self.last_seen.secs;
        let last_secs = if sender.last_ts_secs == 0 && self.midstream {
            now
        } else {
            sender.last_ts_secs
        };
        let stale = now > last_secs.saturating_add(PAWS_24DAYS);
        let slack = u32::from(policy == Linux);
        let older = (tsval.wrapping_sub(last).wrapping_add(slack) as i32) < 0;
        let expired = sender.last_tsval.unwrap_or(0) != 0 && stale;
        if !older && !expired {
            return true;
        }
        tcp.seq == sender.next_seq && stale
    }

    /// In `syn_sent`, an answer's timestamp echo must be one the client
    /// sent (or zero), and zero if the client sent none.
    fn syn_echo_valid(&self, tcp: &TcpInfo) -> bool {
        let Some((_, echo)) = tcp.options.timestamp else {
            return true;
        };
        match self.streams[0].last_tsval {
            Some(last) => last == 0 || echo == 0 || self.syn_tsvals.contains(&Some(echo)),
            None => echo == 0,
        }
    }
}
