//! The conversation format of the IT parser fuzz targets: steps, each
//! introduced by one control byte (bit 0: direction, bits 1..7: length of
//! the segment that follows; 0xff: a gap whose length is the next byte).

use vigil_proto::Direction;

/// One step of a fuzzed conversation.
pub enum Step<'a> {
    /// Stream data (or a datagram) in a direction.
    Data(Direction, &'a [u8]),
    /// Bytes missing in a direction.
    Gap(Direction, u64),
}

/// The steps encoded in `data`, in order.
pub fn steps(mut rest: &[u8]) -> impl Iterator<Item = Step<'_>> {
    std::iter::from_fn(move || {
        let (&c, tail) = rest.split_first()?;
        let dir = if c & 1 == 0 {
            Direction::ToServer
        } else {
            Direction::ToClient
        };
        if c == 0xff {
            let len = tail.first().copied().unwrap_or(0);
            rest = tail.get(1..).unwrap_or(&[]);
            return Some(Step::Gap(dir, u64::from(len)));
        }
        let len = usize::from(c >> 1).min(tail.len());
        let (seg, after) = tail.split_at(len);
        rest = after;
        Some(Step::Data(dir, seg))
    })
}
