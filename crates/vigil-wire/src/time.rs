//! Capture timestamps.

/// A packet timestamp: seconds since the Unix epoch and nanoseconds within
/// the second. Ordered, so it can drive timeouts.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Timestamp {
    pub secs: i64,
    /// 0..1_000_000_000
    pub nanos: u32,
}

impl Timestamp {
    /// Builds a timestamp, folding excess nanoseconds into seconds.
    pub fn new(secs: i64, nanos: u64) -> Timestamp {
        Timestamp {
            secs: secs.saturating_add((nanos / 1_000_000_000) as i64),
            nanos: (nanos % 1_000_000_000) as u32,
        }
    }

    /// Microseconds within the second (EVE prints microseconds).
    pub fn micros(&self) -> u32 {
        self.nanos / 1000
    }

    /// Whole seconds elapsed from `earlier` to `self` (0 if `earlier` is later).
    pub fn secs_since(&self, earlier: Timestamp) -> i64 {
        (self.secs - earlier.secs).max(0)
    }
}
