//! GOOSE anomalies: per-message checks and, per publisher, the state and
//! sequence numbers over time.
//!
//! A publisher is its control block as seen on the wire: source MAC, APPID
//! and gocbRef. The protocol has no authentication in practice (the
//! IEC 62351-6 signature is rarely deployed), and subscribers accept a
//! message whose `stNum` differs from the last one as a new state: the
//! published attacks on protection schemes (replaying a captured trip,
//! injecting a higher `stNum` so that the real publisher's messages are
//! discarded, masquerading with changed values) all show up as the sequence
//! anomalies below. Each is documented in `docs/events.md`, `goose`.

use super::{DataError, GoosePdu};
use std::collections::HashMap;
use vigil_wire::Timestamp;

/// Publishers followed by default; past it the least recently seen eighth
/// is forgotten at once (so eviction costs O(1) per message amortized).
pub const DEFAULT_MAX_PUBLISHERS: usize = 1024;

/// Octets of gocbRef used in the publisher key (the standard allows 129
/// characters; a longer one is not valid anyway).
const MAX_KEY_GOCB_REF: usize = 256;

/// A GOOSE anomaly, logged as an `anomaly` record of type `applayer`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum GooseEvent {
    /// Frame shorter than the header or than its length field.
    Truncated,
    /// Length field below the 8 header octets.
    InvalidLength,
    /// Not a goosePdu (GSE management PDU or unknown tag).
    UnknownPdu,
    /// BER broken, field out of order or range, mandatory field missing.
    MalformedPdu,
    /// A value in allData is malformed.
    DataMalformed,
    /// allData nests deeper than the decoder follows.
    DataTooDeep,
    /// allData has more values than the decoder reads.
    DataTooManyValues,
    /// numDatSetEntries differs from the number of values in allData.
    EntriesMismatch,
    /// The header's simulation bit is set but the PDU's simulation flag is not.
    SimulationMismatch,
    /// stNum went back (not a wrap, not a restart).
    StNumRollback,
    /// stNum went forward by more than one.
    StNumJump,
    /// Same stNum, sqNum went back (not a wrap, not a restart).
    SqNumRollback,
    /// stNum changed but sqNum did not restart at 0 or 1.
    SqNumNotReset,
    /// Same stNum and sqNum as the last message.
    Replay,
    /// Same stNum, newer sqNum, but the data values changed.
    DataChangeWithoutStNum,
    /// stNum and sqNum went back to their initial values (1, 0 or 1).
    PublisherRestart,
    /// confRev changed.
    ConfRevChange,
    /// The message came later than the previous one's timeAllowedtoLive.
    TalExpired,
    /// The simulation (test) flag became set.
    SimulationSet,
    /// The needs-commissioning flag became set.
    NdsComSet,
}

impl GooseEvent {
    /// Every event, in documentation order.
    pub const ALL: [GooseEvent; 20] = [
        GooseEvent::Truncated,
        GooseEvent::InvalidLength,
        GooseEvent::UnknownPdu,
        GooseEvent::MalformedPdu,
        GooseEvent::DataMalformed,
        GooseEvent::DataTooDeep,
        GooseEvent::DataTooManyValues,
        GooseEvent::EntriesMismatch,
        GooseEvent::SimulationMismatch,
        GooseEvent::StNumRollback,
        GooseEvent::StNumJump,
        GooseEvent::SqNumRollback,
        GooseEvent::SqNumNotReset,
        GooseEvent::Replay,
        GooseEvent::DataChangeWithoutStNum,
        GooseEvent::PublisherRestart,
        GooseEvent::ConfRevChange,
        GooseEvent::TalExpired,
        GooseEvent::SimulationSet,
        GooseEvent::NdsComSet,
    ];

    /// The event name (`anomaly.event`).
    pub fn name(self) -> &'static str {
        match self {
            GooseEvent::Truncated => "GOOSE_TRUNCATED",
            GooseEvent::InvalidLength => "GOOSE_INVALID_LENGTH",
            GooseEvent::UnknownPdu => "GOOSE_UNKNOWN_PDU",
            GooseEvent::MalformedPdu => "GOOSE_MALFORMED_PDU",
            GooseEvent::DataMalformed => "GOOSE_DATA_MALFORMED",
            GooseEvent::DataTooDeep => "GOOSE_DATA_TOO_DEEP",
            GooseEvent::DataTooManyValues => "GOOSE_DATA_TOO_MANY_VALUES",
            GooseEvent::EntriesMismatch => "GOOSE_ENTRIES_MISMATCH",
            GooseEvent::SimulationMismatch => "GOOSE_SIMULATION_MISMATCH",
            GooseEvent::StNumRollback => "GOOSE_STNUM_ROLLBACK",
            GooseEvent::StNumJump => "GOOSE_STNUM_JUMP",
            GooseEvent::SqNumRollback => "GOOSE_SQNUM_ROLLBACK",
            GooseEvent::SqNumNotReset => "GOOSE_SQNUM_NOT_RESET",
            GooseEvent::Replay => "GOOSE_REPLAY",
            GooseEvent::DataChangeWithoutStNum => "GOOSE_DATA_CHANGE_WITHOUT_STNUM",
            GooseEvent::PublisherRestart => "GOOSE_PUBLISHER_RESTART",
            GooseEvent::ConfRevChange => "GOOSE_CONFREV_CHANGE",
            GooseEvent::TalExpired => "GOOSE_TAL_EXPIRED",
            GooseEvent::SimulationSet => "GOOSE_SIMULATION_SET",
            GooseEvent::NdsComSet => "GOOSE_NDSCOM_SET",
        }
    }
}

/// What the tracker remembers of a publisher.
#[derive(Clone, Copy, Debug)]
struct Publisher {
    /// stNum and sqNum of the newest message accepted in sequence.
    st_num: u32,
    sq_num: u32,
    /// Hash of that message's allData octets.
    data_hash: u64,
    conf_rev: u32,
    simulation: bool,
    nds_com: bool,
    /// timeAllowedtoLive of the last message, ms, and when it came.
    tal_ms: u32,
    last_seen: Timestamp,
    /// Tracker clock at the last message (eviction order).
    touched: u64,
}

/// Follows GOOSE publishers and reports anomalies; bounded memory.
#[derive(Debug)]
pub struct GooseTracker {
    /// Key: source MAC, APPID (big-endian), gocbRef (truncated).
    publishers: HashMap<Box<[u8]>, Publisher>,
    capacity: usize,
    /// Reused key buffer (lookups do not allocate).
    key: Vec<u8>,
    clock: u64,
    evicted: u64,
}

impl Default for GooseTracker {
    fn default() -> Self {
        GooseTracker::new(DEFAULT_MAX_PUBLISHERS)
    }
}

impl GooseTracker {
    /// A tracker following at most `capacity` publishers (at least 8).
    pub fn new(capacity: usize) -> GooseTracker {
        GooseTracker {
            publishers: HashMap::new(),
            capacity: capacity.max(8),
            key: Vec::new(),
            clock: 0,
            evicted: 0,
        }
    }

    /// Publishers currently followed.
    pub fn len(&self) -> usize {
        self.publishers.len()
    }

    /// True when no publisher is followed.
    pub fn is_empty(&self) -> bool {
        self.publishers.is_empty()
    }

    /// Publishers forgotten to stay within the capacity.
    pub fn evicted(&self) -> u64 {
        self.evicted
    }

    /// Checks one message from `src_mac` received at `now` and appends its
    /// anomalies to `out` (per-message checks first, then the publisher's).
    pub fn observe(
        &mut self,
        src_mac: [u8; 6],
        pdu: &GoosePdu<'_>,
        now: Timestamp,
        out: &mut Vec<GooseEvent>,
    ) {
        message_checks(pdu, out);
        self.clock += 1;
        let data_hash = fnv1a(pdu.all_data.raw());
        self.key.clear();
        self.key.extend_from_slice(&src_mac);
        self.key.extend_from_slice(&pdu.appid.to_be_bytes());
        let gocb = pdu.gocb_ref.get(..MAX_KEY_GOCB_REF).unwrap_or(pdu.gocb_ref);
        self.key.extend_from_slice(gocb);

        let Some(p) = self.publishers.get_mut(self.key.as_slice()) else {
            if pdu.simulation {
                out.push(GooseEvent::SimulationSet);
            }
            if pdu.nds_com {
                out.push(GooseEvent::NdsComSet);
            }
            if self.publishers.len() >= self.capacity {
                self.evict();
            }
            self.publishers.insert(
                self.key.as_slice().into(),
                Publisher {
                    st_num: pdu.st_num,
                    sq_num: pdu.sq_num,
                    data_hash,
                    conf_rev: pdu.conf_rev,
                    simulation: pdu.simulation,
                    nds_com: pdu.nds_com,
                    tal_ms: pdu.time_allowed_to_live,
                    last_seen: now,
                    touched: self.clock,
                },
            );
            return;
        };

        if p.tal_ms > 0 && elapsed_ms(p.last_seen, now) > u64::from(p.tal_ms) {
            out.push(GooseEvent::TalExpired);
        }
        if pdu.conf_rev != p.conf_rev {
            out.push(GooseEvent::ConfRevChange);
        }
        if pdu.simulation && !p.simulation {
            out.push(GooseEvent::SimulationSet);
        }
        if pdu.nds_com && !p.nds_com {
            out.push(GooseEvent::NdsComSet);
        }
        let accepted = sequence_checks(p, pdu, data_hash, out);
        if accepted {
            p.st_num = pdu.st_num;
            p.sq_num = pdu.sq_num;
            p.data_hash = data_hash;
        }
        p.conf_rev = pdu.conf_rev;
        p.simulation = pdu.simulation;
        p.nds_com = pdu.nds_com;
        p.tal_ms = pdu.time_allowed_to_live;
        p.last_seen = now;
        p.touched = self.clock;
    }

    /// Forgets the least recently seen eighth of the publishers.
    fn evict(&mut self) {
        let mut touched: Vec<u64> = self.publishers.values().map(|p| p.touched).collect();
        let n = (touched.len() / 8).max(1);
        let Some(idx) = n.checked_sub(1) else { return };
        if idx >= touched.len() {
            return;
        }
        let (_, &mut threshold, _) = touched.select_nth_unstable(idx);
        let before = self.publishers.len();
        // `touched` values are distinct (one clock tick per message).
        self.publishers.retain(|_, p| p.touched > threshold);
        self.evicted += (before - self.publishers.len()) as u64;
    }
}

/// Checks that need no history.
fn message_checks(pdu: &GoosePdu<'_>, out: &mut Vec<GooseEvent>) {
    match pdu.data_error {
        Some(DataError::Malformed) => out.push(GooseEvent::DataMalformed),
        Some(DataError::TooDeep) => out.push(GooseEvent::DataTooDeep),
        Some(DataError::TooManyValues) => out.push(GooseEvent::DataTooManyValues),
        None if pdu.data_count != pdu.num_dat_set_entries => out.push(GooseEvent::EntriesMismatch),
        None => {}
    }
    if pdu.simulated_bit() && !pdu.simulation {
        out.push(GooseEvent::SimulationMismatch);
    }
}

/// Compares stNum/sqNum with the publisher's last accepted message; true
/// when the message moves the sequence forward (or restarts it) and
/// becomes the new reference. Rollbacks and replays do not, so every
/// stale message is reported, not only the first.
fn sequence_checks(
    p: &Publisher,
    pdu: &GoosePdu<'_>,
    data_hash: u64,
    out: &mut Vec<GooseEvent>,
) -> bool {
    let restart = pdu.st_num <= 1 && pdu.sq_num <= 1;
    if pdu.st_num == p.st_num {
        if pdu.sq_num == p.sq_num {
            out.push(GooseEvent::Replay);
            return false;
        }
        if !is_newer(p.sq_num, pdu.sq_num) {
            if restart {
                out.push(GooseEvent::PublisherRestart);
                return true;
            }
            out.push(GooseEvent::SqNumRollback);
            return false;
        }
        if data_hash != p.data_hash {
            out.push(GooseEvent::DataChangeWithoutStNum);
        }
        return true;
    }
    if is_newer(p.st_num, pdu.st_num) {
        let step = pdu.st_num.wrapping_sub(p.st_num);
        // Edition 2 wraps from the maximum to 1, skipping 0.
        let wrap_to_one = p.st_num == u32::MAX && pdu.st_num == 1;
        if step > 1 && !wrap_to_one {
            out.push(GooseEvent::StNumJump);
        }
        if pdu.sq_num > 1 {
            out.push(GooseEvent::SqNumNotReset);
        }
        return true;
    }
    if restart {
        out.push(GooseEvent::PublisherRestart);
        return true;
    }
    out.push(GooseEvent::StNumRollback);
    false
}

/// Serial-number order (RFC 1982 on 32 bits): `next` follows `prev` when it
/// is less than 2^31 ahead, so both counters may wrap.
fn is_newer(prev: u32, next: u32) -> bool {
    let d = next.wrapping_sub(prev);
    d != 0 && d < 1 << 31
}

/// Milliseconds from `from` to `to` (0 if `to` is earlier).
fn elapsed_ms(from: Timestamp, to: Timestamp) -> u64 {
    let ns = |t: Timestamp| i128::from(t.secs) * 1_000_000_000 + i128::from(t.nanos);
    let d = (ns(to) - ns(from)).max(0) / 1_000_000;
    u64::try_from(d).unwrap_or(u64::MAX)
}

/// FNV-1a, 64 bits: a fixed hash so that results do not vary between runs.
fn fnv1a(data: &[u8]) -> u64 {
    data.iter().fold(0xcbf2_9ce4_8422_2325, |h, &b| {
        (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3)
    })
}
