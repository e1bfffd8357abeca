//! One direction's stream reassembly.
//!
//! Stream positions are 64-bit offsets from the first byte after the SYN
//! (the base sequence number), so sequence wrap-around never reaches the
//! buffer: a sequence number is turned into an offset relative to the next
//! byte to deliver with a signed 32-bit difference.
//!
//! Out-of-order data waits in a `BTreeMap` keyed by offset. The map holds
//! non-overlapping segments only: where a new segment overlaps buffered
//! data the receiver's [`OsPolicy`] decides which bytes stay (the buffered
//! ones are overwritten in place when the new ones win), and the new
//! segment's remaining pieces are inserted, merged with the segment just
//! before them when adjacent (and with a small one just after), so a stream
//! of tiny segments does not grow the map. Policies compare a new segment
//! with the buffered piece it overlaps, whose start may be later (trimmed)
//! or earlier (merged) than the original segment's, where Suricata compares
//! original segments. Every operation is O(log n) in the number of buffered
//! segments plus the length of the packet, and `n` is capped per direction.
//!
//! # Acknowledged delivery
//!
//! With [`Delivery::Acked`] (Suricata's IDS mode) in-order data is not
//! handed to the sink when it becomes contiguous but appended to a pending
//! buffer (holes declared lost become gap markers in it), and
//! [`Reassembler::release`] hands it over once the receiver acknowledged it.
//! Two offsets describe a direction then: `delivered`, the end of the
//! reassembled stream, and `app_progress`, the end of what the sink got.
//! With [`Delivery::Immediate`] both are the same and the pending buffer
//! stays empty. Pending bytes are charged to the worker's memory; data that
//! does not fit becomes a gap. The reassembly depth follows Suricata there
//! too: a segment ending past the depth is refused whole, and the direction
//! stops once what was acknowledged by then is released
//! ([`Reassembler::eof`]).

use super::{Delivery, OsPolicy, StreamEvent, StreamEvents, StreamMemory, StreamSink};
use crate::Direction;
use std::collections::{BTreeMap, VecDeque};

/// Bytes charged per buffered segment besides its data (map node, vector).
pub(crate) const SEGMENT_OVERHEAD: usize = 64;
/// A buffered segment is merged into the piece just before it only up to
/// this size, which bounds the bytes copied per insert.
const COALESCE_MAX: usize = 4096;

/// What a reassembly step needs from the outside: the worker's memory and
/// counters, the consumer, and the packet's event list (none at flow end).
pub(crate) struct Io<'a> {
    pub(crate) mem: &'a mut StreamMemory,
    pub(crate) sink: &'a mut dyn StreamSink,
    pub(crate) events: Option<&'a mut StreamEvents>,
    /// Set when the packet's payload went to a reassembly stream
    /// (Suricata's `PKT_STREAM_ADD`).
    pub(crate) added: bool,
}

impl Io<'_> {
    pub(crate) fn event(&mut self, event: StreamEvent) {
        if let Some(events) = self.events.as_deref_mut() {
            events.push(event);
        }
    }
}

/// Data of one segment on its way in.
#[derive(Clone, Copy)]
struct NewData<'a> {
    /// Stream offset of `data`'s first byte.
    start: u64,
    data: &'a [u8],
    /// The whole segment's range, for the overlap policy.
    orig: (i64, i64),
    /// The receiving host's policy.
    policy: OsPolicy,
}

/// Below this many consumed bytes the pending buffer is not compacted.
const PENDING_COMPACT_MIN: usize = 16 * 1024;
/// Bytes charged per gap marker in a pending buffer. Markers are separated
/// by data (adjacent ones merge), so their number is bounded by the pending
/// bytes.
const GAP_OVERHEAD: usize = 16;

/// Reassembled data waiting for its acknowledgement ([`Delivery::Acked`]):
/// stream bytes from `app_progress` on, gaps excepted, and the gaps as
/// `(offset, len)` in stream order.
#[derive(Debug, Default)]
struct Pending {
    buf: Vec<u8>,
    /// Bytes of `buf` already handed to the sink.
    head: usize,
    gaps: VecDeque<(u64, u64)>,
}

impl Pending {
    fn is_empty(&self) -> bool {
        self.head >= self.buf.len() && self.gaps.is_empty()
    }

    fn bytes(&self) -> usize {
        self.buf.len().saturating_sub(self.head)
    }
}

/// Reassembly state of one direction.
#[derive(Debug)]
pub(crate) struct Reassembler {
    dir: Direction,
    /// Whether in-order data waits for its acknowledgement.
    acked_mode: bool,
    /// Offset of the next byte to hand to the sink (equal to `delivered`
    /// in immediate mode).
    app_progress: u64,
    pending: Pending,
    /// The sink was told the direction closed.
    app_closed: bool,
    /// Sequence number of stream offset 0.
    base_seq: u32,
    /// Offset of the next in-order byte: the end of the reassembled stream.
    delivered: u64,
    /// Highest end offset of data seen (delivered, buffered or dropped).
    seen_end: u64,
    /// Buffered out-of-order data; all keys are > `delivered`.
    queue: BTreeMap<u64, Vec<u8>>,
    queued_bytes: usize,
    /// Bytes charged to the worker's memory.
    charged: usize,
    /// Offset of the FIN, once seen: the end of the stream.
    fin_offset: Option<u64>,
    /// Reassembly depth (0 = unlimited).
    depth: u64,
    depth_hit: bool,
    closed: bool,
    /// A gap was reported.
    had_gap: bool,
    max_segments: usize,
    max_bytes: usize,
}

impl Reassembler {
    pub(crate) fn new(
        dir: Direction,
        delivery: Delivery,
        depth: u64,
        max_segments: usize,
        max_bytes: usize,
    ) -> Self {
        Reassembler {
            dir,
            acked_mode: delivery == Delivery::Acked,
            app_progress: 0,
            pending: Pending::default(),
            app_closed: false,
            base_seq: 0,
            delivered: 0,
            seen_end: 0,
            queue: BTreeMap::new(),
            queued_bytes: 0,
            charged: 0,
            fin_offset: None,
            depth,
            depth_hit: false,
            closed: false,
            had_gap: false,
            max_segments: max_segments.max(1),
            max_bytes,
        }
    }

    /// Sets the sequence number of the first stream byte (ISN + 1). Only
    /// meaningful before any data was seen.
    pub(crate) fn init(&mut self, base_seq: u32) {
        self.base_seq = base_seq;
    }

    /// Bytes this direction has charged to the worker's memory.
    pub(crate) fn charged(&self) -> usize {
        self.charged
    }

    /// True when the sink was told the direction closed (nothing more
    /// will be delivered).
    pub(crate) fn is_closed(&self) -> bool {
        self.app_closed
    }

    /// True once a gap was reported (data was lost).
    pub(crate) fn had_gap(&self) -> bool {
        self.had_gap
    }

    /// True when no data was seen yet.
    pub(crate) fn is_pristine(&self) -> bool {
        self.delivered == 0
            && self.seen_end == 0
            && self.queue.is_empty()
            && self.pending.is_empty()
    }

    /// Stream offset of `seq`, relative to the next byte to deliver (so it
    /// is right within 2 GiB either side of it, whatever the wrap-around).
    fn offset(&self, seq: u32) -> i64 {
        let expected = self.base_seq.wrapping_add(self.delivered as u32);
        self.delivered as i64 + i64::from(seq.wrapping_sub(expected) as i32)
    }

    fn charge(&mut self, bytes: usize, io: &mut Io<'_>) {
        self.charged += bytes;
        io.mem.charge(bytes);
    }

    fn uncharge(&mut self, bytes: usize, io: &mut Io<'_>) {
        let bytes = bytes.min(self.charged);
        self.charged -= bytes;
        io.mem.release(bytes);
    }

    /// Drops all buffered data.
    fn clear_queue(&mut self, io: &mut Io<'_>) {
        self.queue.clear();
        self.queued_bytes = 0;
        let charged = self.charged;
        self.uncharge(charged, io);
    }

    /// Handles the payload of a segment starting at `seq`; `policy` is the
    /// receiving host's.
    pub(crate) fn segment(&mut self, seq: u32, data: &[u8], policy: OsPolicy, io: &mut Io<'_>) {
        if self.closed || data.is_empty() {
            return;
        }
        if !self.depth_hit {
            io.added = true;
        }
        let delivered = self.delivered as i64;
        let start = self.offset(seq);
        let end = start + data.len() as i64;
        let orig = (start, end);
        if end <= delivered {
            io.mem.stats.pkt_retransmission += 1;
            io.event(StreamEvent::PktRetransmission);
            return;
        }
        // Data past the FIN is not part of the stream.
        let end = self.fin_offset.map_or(end, |fin| end.min(fin as i64));
        if end <= start || end <= delivered {
            return;
        }
        if start < delivered {
            // Partly a retransmission of delivered data, which is not kept
            // and so cannot be compared.
            io.mem.stats.overlap += 1;
        }
        self.seen_end = self.seen_end.max(end as u64);
        if self.depth_hit {
            return;
        }
        if self.acked_mode && self.depth > 0 && orig.1 > self.depth as i64 {
            // As Suricata's StreamTcpReassembleCheckDepth: a segment ending
            // past the depth is refused whole and the depth is reached.
            self.depth_hit = true;
            io.mem.stats.stream_depth_reached += 1;
            self.clear_queue(io);
            return;
        }
        let from = start.max(delivered) as u64;
        let mut to = end as u64;
        if self.depth > 0 {
            if from >= self.depth {
                return;
            }
            to = to.min(self.depth);
        }
        let skip = (from as i64 - start) as usize;
        let Some(slice) = data.get(skip..skip + (to - from) as usize) else {
            return;
        };
        let new = NewData {
            start: from,
            data: slice,
            orig,
            policy,
        };
        if from == self.delivered {
            self.deliver_from(new, io);
        } else {
            self.enqueue(new, io);
        }
    }

    /// Delivers buffered data contiguous with what was delivered.
    fn drain(&mut self, io: &mut Io<'_>) {
        let none = NewData {
            start: self.delivered,
            data: &[],
            orig: (0, 0),
            policy: OsPolicy::First,
        };
        self.deliver_from(none, io);
    }

    /// Delivers new data (which starts at `delivered`) and then whatever
    /// buffered data became contiguous. Where both exist the policy picks.
    fn deliver_from(&mut self, new: NewData<'_>, io: &mut Io<'_>) {
        let NewData {
            start,
            data,
            orig,
            policy,
        } = new;
        let end = start + data.len() as u64;
        let mut overlapped = false;
        let mut differs = false;
        loop {
            if self.closed || self.depth_hit {
                break;
            }
            let cur = self.delivered;
            let first = self.queue.first_key_value().map(|(&k, _)| k);
            match first {
                Some(qs) if qs <= cur => {
                    let Some((qs, qdata)) = self.queue.pop_first() else {
                        break;
                    };
                    let qlen = qdata.len();
                    self.queued_bytes = self.queued_bytes.saturating_sub(qlen);
                    self.uncharge(qlen + SEGMENT_OVERHEAD, io);
                    let qend = qs + qlen as u64;
                    let (ov_start, ov_end) = (cur.max(qs).max(start), qend.min(end));
                    let mut new_wins = false;
                    if ov_end > ov_start {
                        overlapped = true;
                        let new = data.get((ov_start - start) as usize..(ov_end - start) as usize);
                        let old = qdata.get((ov_start - qs) as usize..(ov_end - qs) as usize);
                        if new != old {
                            differs = true;
                            new_wins = policy.new_data_wins(orig, (qs as i64, qend as i64));
                        }
                    }
                    if new_wins {
                        // The new bytes for the overlap (which starts at
                        // `cur`), then the rest of the buffered segment.
                        if let Some(part) =
                            data.get((cur - start) as usize..(ov_end - start) as usize)
                        {
                            self.emit(part, io);
                        }
                        if qend > ov_end
                            && let Some(rest) = qdata.get((ov_end - qs) as usize..)
                        {
                            self.emit(rest, io);
                        }
                    } else if qend > cur
                        && let Some(rest) = qdata.get((cur - qs) as usize..)
                    {
                        self.emit(rest, io);
                    }
                }
                _ => {
                    if cur >= end || cur < start {
                        break;
                    }
                    let limit = first.map_or(end, |qs| qs.min(end));
                    let Some(part) = data.get((cur - start) as usize..(limit - start) as usize)
                    else {
                        break;
                    };
                    self.emit(part, io);
                }
            }
        }
        self.count_overlap(overlapped, differs, io);
    }

    fn count_overlap(&self, overlapped: bool, differs: bool, io: &mut Io<'_>) {
        if overlapped {
            io.mem.stats.overlap += 1;
        }
        if differs {
            io.mem.stats.overlap_diff_data += 1;
            io.event(StreamEvent::ReassemblyOverlapDifferentData);
        }
    }

    /// Buffers out-of-order new data (starting after `delivered`).
    fn enqueue(&mut self, new: NewData<'_>, io: &mut Io<'_>) {
        let NewData {
            start,
            data,
            orig,
            policy,
        } = new;
        let end = start + data.len() as u64;
        // First the overlaps with what is buffered, against the buffered
        // pieces as they are (before the new ones merge with them): the
        // policy decides whose bytes stay.
        let mut overlapped = false;
        let mut differs = false;
        let lower = self
            .queue
            .range(..=start)
            .next_back()
            .filter(|(k, q)| **k + q.len() as u64 > start)
            .map_or(start, |(k, _)| *k);
        for (&qs, q) in self.queue.range_mut(lower..end) {
            let qend = qs + q.len() as u64;
            let (ov_start, ov_end) = (qs.max(start), qend.min(end));
            if ov_end <= ov_start {
                continue;
            }
            overlapped = true;
            let new = data.get((ov_start - start) as usize..(ov_end - start) as usize);
            if let Some(new) = new
                && let Some(old) = q.get_mut((ov_start - qs) as usize..(ov_end - qs) as usize)
                && new != &old[..]
            {
                differs = true;
                if policy.new_data_wins(orig, (qs as i64, qend as i64)) {
                    old.copy_from_slice(new);
                }
            }
        }
        // Then the uncovered pieces.
        let mut cur = start;
        while cur < end {
            if self.closed || self.depth_hit {
                break;
            }
            if cur <= self.delivered {
                // A limit flush below moved delivery up to this point: the
                // rest is in order now.
                let from = self.delivered.max(cur);
                if let Some(rest) = data.get((from - start) as usize..) {
                    let rest = NewData {
                        start: from,
                        data: rest,
                        orig,
                        policy,
                    };
                    self.deliver_from(rest, io);
                }
                break;
            }
            // Already covered by buffered data (handled above).
            let covering = self
                .queue
                .range(..=cur)
                .next_back()
                .map(|(&qs, q)| (qs, qs + q.len() as u64));
            if let Some((_, qend)) = covering
                && qend > cur
            {
                cur = qend.min(end);
                continue;
            }
            // An uncovered piece, up to the next buffered segment.
            let next = self.queue.range(cur..).next().map(|(&k, _)| k);
            let piece_end = next.map_or(end, |n| n.min(end));
            let piece_len = (piece_end - cur) as usize;
            let extends_previous = covering.is_some_and(|(_, qend)| qend == cur);
            let too_many = !extends_previous && self.queue.len() >= self.max_segments;
            if too_many || self.queued_bytes + piece_len > self.max_bytes {
                // Past the direction's limits: declare the hole before the
                // earliest data lost, which delivers and frees some.
                let before = (self.delivered, self.queue.len());
                self.flush_front(cur, io);
                if (self.delivered, self.queue.len()) == before {
                    break;
                }
                continue;
            }
            if !io.mem.fits(piece_len + SEGMENT_OVERHEAD) {
                io.mem.stats.segment_memcap_drop += 1;
                break;
            }
            let Some(piece) = data.get((cur - start) as usize..(piece_end - start) as usize) else {
                break;
            };
            self.insert_piece(cur, piece, io);
            cur = piece_end;
        }
        self.count_overlap(overlapped, differs, io);
    }

    /// Inserts a piece that overlaps nothing buffered.
    fn insert_piece(&mut self, start: u64, bytes: &[u8], io: &mut Io<'_>) {
        let end = start + bytes.len() as u64;
        let mut key = None;
        if let Some((&qs, q)) = self.queue.range_mut(..start).next_back()
            && qs + q.len() as u64 == start
        {
            q.extend_from_slice(bytes);
            key = Some(qs);
        }
        let key = match key {
            Some(k) => k,
            None => {
                self.queue.insert(start, bytes.to_vec());
                self.charge(SEGMENT_OVERHEAD, io);
                start
            }
        };
        self.charge(bytes.len(), io);
        self.queued_bytes += bytes.len();
        if self
            .queue
            .get(&end)
            .is_some_and(|next| next.len() <= COALESCE_MAX)
            && let Some(next) = self.queue.remove(&end)
        {
            if let Some(seg) = self.queue.get_mut(&key) {
                seg.extend_from_slice(&next);
            }
            self.uncharge(SEGMENT_OVERHEAD, io);
        }
    }

    /// Declares lost the hole before the earliest buffered data (or before
    /// `cur`, the start of data in hand) and delivers what follows it.
    fn flush_front(&mut self, cur: u64, io: &mut Io<'_>) {
        let target = self
            .queue
            .first_key_value()
            .map_or(cur, |(&k, _)| k.min(cur));
        if target > self.delivered {
            self.gap(target - self.delivered, io);
        }
        self.drain(io);
    }

    /// The receiver acknowledged up to `ack`: holes below it before
    /// buffered data will not be filled (the receiver has that data, we did
    /// not see it), so they become gaps, each followed by the data after it.
    pub(crate) fn on_ack(&mut self, ack: u32, io: &mut Io<'_>) {
        let acked = self.offset(ack);
        while !self.closed && !self.depth_hit && acked > self.delivered as i64 {
            let Some(first) = self.queue.first_key_value().map(|(&k, _)| k) else {
                return;
            };
            let target = (acked as u64).min(first);
            if target <= self.delivered {
                return;
            }
            self.gap(target - self.delivered, io);
            self.drain(io);
        }
    }

    /// The sender's FIN occupies `fin_seq`: the stream ends there. The first
    /// FIN wins.
    pub(crate) fn set_fin(&mut self, fin_seq: u32, io: &mut Io<'_>) {
        if self.closed || self.fin_offset.is_some() {
            return;
        }
        let fin = self.offset(fin_seq).max(self.delivered as i64) as u64;
        self.fin_offset = Some(fin);
        // Buffered data past the FIN is not part of the stream.
        let beyond = self.queue.split_off(&fin);
        let mut freed: usize = beyond.values().map(|v| v.len() + SEGMENT_OVERHEAD).sum();
        self.queued_bytes = self
            .queued_bytes
            .saturating_sub(beyond.values().map(Vec::len).sum());
        if let Some((&qs, q)) = self.queue.range_mut(..fin).next_back() {
            let keep = (fin - qs) as usize;
            if q.len() > keep {
                let cut = q.len() - keep;
                q.truncate(keep);
                freed += cut;
                self.queued_bytes = self.queued_bytes.saturating_sub(cut);
            }
        }
        self.uncharge(freed, io);
        if self.depth_hit || self.delivered >= fin {
            self.close(io);
        }
    }

    /// End of the session or flow: delivers everything buffered, reporting
    /// holes (and data seen but never delivered) as gaps, then closes. In
    /// acknowledged mode, see [`Reassembler::finalize_acked`]; `ack` is the
    /// receiver's highest acknowledgement, if known.
    pub(crate) fn finalize(&mut self, ack: Option<u32>, io: &mut Io<'_>) {
        if self.acked_mode {
            self.finalize_acked(ack, io);
            return;
        }
        if self.closed {
            return;
        }
        while !self.closed && !self.depth_hit {
            let Some(first) = self.queue.first_key_value().map(|(&k, _)| k) else {
                break;
            };
            if first > self.delivered {
                self.gap(first - self.delivered, io);
            }
            self.drain(io);
        }
        if !self.closed && !self.depth_hit {
            let end = self.seen_end.max(self.fin_offset.unwrap_or(0));
            if end > self.delivered {
                self.gap(end - self.delivered, io);
            }
        }
        self.close(io);
    }

    /// Flow end in acknowledged mode, as Suricata's final flush: all
    /// reassembled data is handed over, acknowledged or not, holes the
    /// receiver acknowledged (`ack`) as gaps, but data after a hole nobody
    /// acknowledged is not (Suricata's app-layer flush stops there).
    fn finalize_acked(&mut self, ack: Option<u32>, io: &mut Io<'_>) {
        if let Some(ack) = ack {
            self.on_ack(ack, io);
        }
        if !self.closed {
            self.closed = true;
            self.clear_queue(io);
        }
        let end = self.delivered;
        self.release_to(end, io);
        self.end_app(io);
    }

    /// Hands `data` (at `delivered`) to the sink, up to the depth; in
    /// acknowledged mode appends it to the pending buffer instead.
    fn emit(&mut self, data: &[u8], io: &mut Io<'_>) {
        if data.is_empty() {
            return;
        }
        if self.acked_mode {
            self.push_pending(data, io);
            self.check_fin(io);
            return;
        }
        let mut data = data;
        let mut hit = false;
        if self.depth > 0 {
            let room = self.depth.saturating_sub(self.delivered);
            if data.len() as u64 >= room {
                data = data.get(..room as usize).unwrap_or(&[]);
                hit = true;
            }
        }
        if !data.is_empty() {
            io.sink.on_data(self.dir, data);
            self.delivered += data.len() as u64;
            self.app_progress = self.delivered;
        }
        if hit {
            self.reach_depth(io);
        }
        self.check_fin(io);
    }

    /// Reports `len` missing bytes at `delivered`, up to the depth; in
    /// acknowledged mode records a gap marker in the pending buffer.
    fn gap(&mut self, len: u64, io: &mut Io<'_>) {
        if self.acked_mode {
            if len > 0 {
                self.had_gap = true;
                self.push_pending_gap(len, io);
            }
            self.check_fin(io);
            return;
        }
        let mut len = len;
        let mut hit = false;
        if self.depth > 0 {
            let room = self.depth.saturating_sub(self.delivered);
            if len >= room {
                len = room;
                hit = true;
            }
        }
        if len > 0 {
            io.sink.on_gap(self.dir, len);
            self.had_gap = true;
            self.delivered += len;
            self.app_progress = self.delivered;
            io.mem.stats.reassembly_gap += 1;
            io.event(StreamEvent::ReassemblySeqGap);
        }
        if hit {
            self.reach_depth(io);
        }
        self.check_fin(io);
    }

    /// Appends in-order data to the pending buffer. Data that does not fit
    /// the memcap is dropped and becomes a gap, as a refused segment in
    /// Suricata becomes one once it is acknowledged.
    fn push_pending(&mut self, data: &[u8], io: &mut Io<'_>) {
        if !io.mem.fits(data.len()) {
            io.mem.stats.segment_memcap_drop += 1;
            self.had_gap = true;
            self.push_pending_gap(data.len() as u64, io);
            return;
        }
        if self.pending.buf.capacity() == 0 {
            self.pending.buf = io.mem.take_buffer();
        }
        self.pending.buf.extend_from_slice(data);
        self.charge(data.len(), io);
        self.delivered += data.len() as u64;
    }

    /// Records `len` lost bytes at `delivered` in the pending buffer.
    fn push_pending_gap(&mut self, len: u64, io: &mut Io<'_>) {
        let at = self.delivered;
        self.delivered += len;
        let gaps = &mut self.pending.gaps;
        if let Some(last) = gaps.back_mut()
            && last.0 + last.1 == at
        {
            last.1 += len;
            return;
        }
        gaps.push_back((at, len));
        self.charge(GAP_OVERHEAD, io);
    }

    /// Hands pending data and gaps up to stream offset `limit` to the sink.
    fn release_to(&mut self, limit: u64, io: &mut Io<'_>) {
        let limit = limit.min(self.delivered);
        while self.app_progress < limit {
            let next_gap = self.pending.gaps.front().copied();
            match next_gap {
                Some((at, len)) if at <= self.app_progress => {
                    let n = len.min(limit - self.app_progress);
                    io.sink.on_gap(self.dir, n);
                    io.mem.stats.reassembly_gap += 1;
                    io.event(StreamEvent::ReassemblySeqGap);
                    self.app_progress += n;
                    if n >= len {
                        self.pending.gaps.pop_front();
                        self.uncharge(GAP_OVERHEAD, io);
                    } else if let Some(front) = self.pending.gaps.front_mut() {
                        *front = (at + n, len - n);
                    }
                }
                _ => {
                    let data_end = next_gap.map_or(limit, |(at, _)| at.min(limit));
                    let want = (data_end - self.app_progress) as usize;
                    let n = want.min(self.pending.bytes());
                    if n == 0 {
                        break;
                    }
                    let head = self.pending.head;
                    if let Some(chunk) = self.pending.buf.get(head..head + n) {
                        io.sink.on_data(self.dir, chunk);
                    }
                    self.pending.head += n;
                    self.app_progress += n as u64;
                    self.uncharge(n, io);
                }
            }
        }
        self.compact_pending(io);
    }

    /// Frees consumed pending bytes: the buffer goes back to the worker's
    /// pool once empty, and is compacted when mostly consumed.
    fn compact_pending(&mut self, io: &mut Io<'_>) {
        let p = &mut self.pending;
        if p.head >= p.buf.len() {
            p.head = 0;
            if p.buf.capacity() > 0 {
                io.mem.give_buffer(std::mem::take(&mut p.buf));
            }
        } else if p.head >= PENDING_COMPACT_MIN && p.head * 2 >= p.buf.len() {
            p.buf.drain(..p.head);
            p.head = 0;
        }
    }

    /// Drops everything pending (the stream stopped).
    fn discard_pending(&mut self, io: &mut Io<'_>) {
        let bytes = self.pending.bytes() + self.pending.gaps.len() * GAP_OVERHEAD;
        self.uncharge(bytes, io);
        self.pending.head = self.pending.buf.len();
        self.pending.gaps.clear();
        self.app_progress = self.delivered;
        self.compact_pending(io);
    }

    /// Immediate mode: tells the sink the direction closed once reassembly
    /// is closed (acknowledged mode says it at end of stream, see
    /// [`Reassembler::eof`]).
    fn maybe_close_app(&mut self, io: &mut Io<'_>) {
        if !self.acked_mode && self.closed && !self.app_closed {
            self.app_closed = true;
            io.sink.on_close(self.dir);
        }
    }

    /// Acknowledged mode: the direction is over. What was not handed over
    /// is dropped, and the sink is told.
    fn end_app(&mut self, io: &mut Io<'_>) {
        self.discard_pending(io);
        self.closed = true;
        self.clear_queue(io);
        if !self.app_closed {
            self.app_closed = true;
            io.sink.on_close(self.dir);
        }
    }

    /// Acknowledged mode: hands over pending data the receiver acknowledged
    /// (up to `ack`).
    pub(crate) fn release(&mut self, ack: u32, io: &mut Io<'_>) {
        if !self.acked_mode || self.app_closed {
            return;
        }
        let acked = self.offset(ack);
        if acked > self.app_progress as i64 {
            self.release_to(acked as u64, io);
        }
    }

    /// Acknowledged mode, end of stream as Suricata signals it to its
    /// app-layer (session closed, depth reached): data acknowledged up to
    /// `ack` is released, the rest dropped, and the sink told.
    pub(crate) fn eof(&mut self, ack: Option<u32>, io: &mut Io<'_>) {
        if !self.acked_mode || self.app_closed {
            return;
        }
        if let Some(ack) = ack {
            self.release(ack, io);
        }
        self.end_app(io);
    }

    /// Acknowledged mode: true when the depth was reached and the stream
    /// has not stopped yet. As Suricata, what was acknowledged is then
    /// released and the direction stops ([`Reassembler::eof`]): nothing
    /// more is reassembled or delivered, not even at flow end.
    pub(crate) fn depth_stop_due(&self) -> bool {
        self.acked_mode && self.depth_hit && !self.app_closed
    }

    /// Sequence number just past the highest data seen (Suricata's
    /// `STREAM_SEQ_RIGHT_EDGE`), if any data was seen.
    pub(crate) fn seen_right_edge(&self) -> Option<u32> {
        (self.seen_end > 0).then(|| self.base_seq.wrapping_add(self.seen_end as u32))
    }

    fn reach_depth(&mut self, io: &mut Io<'_>) {
        if self.depth_hit {
            return;
        }
        self.depth_hit = true;
        io.mem.stats.stream_depth_reached += 1;
        self.clear_queue(io);
        if self.fin_offset.is_some() {
            self.close(io);
        }
    }

    fn check_fin(&mut self, io: &mut Io<'_>) {
        if self.fin_offset.is_some_and(|fin| self.delivered >= fin) {
            self.close(io);
        }
    }

    /// Reassembly of this direction is over (FIN reached, depth, flow
    /// end). In immediate mode the sink hears of it now.
    fn close(&mut self, io: &mut Io<'_>) {
        if self.closed {
            return;
        }
        self.closed = true;
        self.clear_queue(io);
        self.maybe_close_app(io);
    }
}
