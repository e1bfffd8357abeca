//! Expected flows: a control connection announces a data connection (FTP's
//! PASV/EPSV replies and PORT/EPRT commands, followed by STOR or RETR), and
//! the flow that later matches the announcement is given the announced
//! protocol without content detection - as Suricata's
//! `app-layer-expectation.c` does.
//!
//! Matching follows Suricata: the new flow joins the same two addresses (in
//! either order), its responder port is the announced port, and its first
//! detection data runs in the announced direction; expectations are only
//! consulted when no content prober recognised that data. Every matching
//! expectation is consumed by the claim, the newest one wins. At most
//! [`MAX_PER_PAIR`] expectations wait per address pair (the oldest goes), at
//! most [`MAX_ENTRIES`] in all, each for [`EXPECTATION_TIMEOUT_SECS`].
//!
//! The table belongs to one worker. With several workers, a data connection
//! hashed to another worker than its control connection is not matched
//! (Suricata shares the table between its threads); see docs/events.md.

use crate::{AppParser, AppProto, Direction};
use std::collections::HashMap;
use std::net::IpAddr;

/// Seconds an expectation waits for its flow (Suricata's
/// `EXPECTATION_TIMEOUT`).
pub const EXPECTATION_TIMEOUT_SECS: u64 = 30;
/// Expectations kept per address pair (Suricata's `EXPECTATION_MAX_LEVEL`).
pub const MAX_PER_PAIR: usize = 10;
/// Expectations kept in all, per worker.
pub const MAX_ENTRIES: usize = 4096;

/// Builds the parser of the flow that claims an expectation, given the id
/// of the flow that announced it.
pub type ParserMaker = Box<dyn FnOnce(u64) -> Box<dyn AppParser> + Send>;

/// A data connection announced by a parser (see [`crate::ParseOutput::expect`]).
pub struct Expectation {
    /// Protocol of the expected flow (`ftp-data`).
    pub proto: AppProto,
    /// Responder port of the expected flow.
    pub dst_port: u16,
    /// Direction, within the expected flow, of the data that claims it.
    pub direction: Direction,
    /// The parser of the claiming flow.
    pub parser: ParserMaker,
}

/// What a flow that claimed an expectation gets.
pub struct Claim {
    /// The announced protocol.
    pub proto: AppProto,
    /// Id of the announcing flow (Suricata's `parent_id`).
    pub parent_flow_id: u64,
    /// The parser, ready for the flow's data.
    pub parser: Box<dyn AppParser>,
}

struct Entry {
    created_secs: u64,
    parent_flow_id: u64,
    exp: Expectation,
}

/// One worker's waiting expectations, keyed by unordered address pair.
#[derive(Default)]
pub struct ExpectationTable {
    pairs: HashMap<(IpAddr, IpAddr), Vec<Entry>>,
    len: usize,
    now_secs: u64,
}

fn pair_key(a: IpAddr, b: IpAddr) -> (IpAddr, IpAddr) {
    if a <= b { (a, b) } else { (b, a) }
}

impl ExpectationTable {
    /// Sets the current time (the packet being processed), for expiry.
    pub fn set_time(&mut self, secs: u64) {
        self.now_secs = secs;
    }

    /// Expectations waiting.
    pub fn len(&self) -> usize {
        self.len
    }

    /// True when none wait.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Adds an expectation announced by flow `parent_flow_id` between
    /// addresses `a` and `b`.
    pub fn insert(&mut self, a: IpAddr, b: IpAddr, parent_flow_id: u64, exp: Expectation) {
        if self.len >= MAX_ENTRIES {
            self.expire_all();
            if self.len >= MAX_ENTRIES {
                return;
            }
        }
        let list = self.pairs.entry(pair_key(a, b)).or_default();
        if list.len() >= MAX_PER_PAIR {
            // The oldest sits at the front.
            list.remove(0);
            self.len -= 1;
        }
        list.push(Entry {
            created_secs: self.now_secs,
            parent_flow_id,
            exp,
        });
        self.len += 1;
    }

    /// The expectation a flow between `a` and `b` with responder port
    /// `dst_port` claims with its first data in `dir`, if any. Every
    /// matching expectation is consumed (the newest wins); expired ones of
    /// the pair are dropped on the way.
    pub fn claim(&mut self, a: IpAddr, b: IpAddr, dst_port: u16, dir: Direction) -> Option<Claim> {
        self.claim_with(a, b, dst_port, dir, true)
    }

    /// As [`ExpectationTable::claim`], without dropping expired entries when
    /// `expire` is false (a flow ending long after it started still sees
    /// what waited for it).
    pub fn claim_with(
        &mut self,
        a: IpAddr,
        b: IpAddr,
        dst_port: u16,
        dir: Direction,
        expire: bool,
    ) -> Option<Claim> {
        if self.len == 0 {
            return None;
        }
        let key = pair_key(a, b);
        let list = self.pairs.get_mut(&key)?;
        let now = self.now_secs;
        let before = list.len();
        let mut won: Option<Entry> = None;
        // Newest first: walk from the back.
        let mut i = list.len();
        while i > 0 {
            i -= 1;
            let matches = list
                .get(i)
                .is_some_and(|e| e.exp.direction == dir && e.exp.dst_port == dst_port);
            let expired = expire
                && list
                    .get(i)
                    .is_some_and(|e| now > e.created_secs.saturating_add(EXPECTATION_TIMEOUT_SECS));
            if matches {
                let e = list.remove(i);
                if won.is_none() {
                    won = Some(e);
                }
            } else if expired {
                list.remove(i);
            }
        }
        self.len -= before - list.len();
        if list.is_empty() {
            self.pairs.remove(&key);
        }
        won.map(|e| Claim {
            proto: e.exp.proto,
            parent_flow_id: e.parent_flow_id,
            parser: (e.exp.parser)(e.parent_flow_id),
        })
    }

    fn expire_all(&mut self) {
        let now = self.now_secs;
        let mut removed = 0;
        self.pairs.retain(|_, list| {
            let before = list.len();
            list.retain(|e| now <= e.created_secs.saturating_add(EXPECTATION_TIMEOUT_SECS));
            removed += before - list.len();
            !list.is_empty()
        });
        self.len -= removed;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ParseOutput;
    use std::net::Ipv4Addr;

    struct Nop;
    impl AppParser for Nop {
        fn parse(&mut self, _: Direction, _: &[u8], _: &mut ParseOutput) {}
    }

    fn exp(port: u16, dir: Direction) -> Expectation {
        Expectation {
            proto: AppProto::FtpData,
            dst_port: port,
            direction: dir,
            parser: Box::new(|_| Box::new(Nop)),
        }
    }

    const A: IpAddr = IpAddr::V4(Ipv4Addr::new(10, 0, 0, 1));
    const B: IpAddr = IpAddr::V4(Ipv4Addr::new(10, 0, 0, 2));

    #[test]
    fn claim_matches_pair_in_either_order_port_and_direction() {
        let mut t = ExpectationTable::default();
        t.insert(A, B, 7, exp(2000, Direction::ToClient));
        assert!(t.claim(A, B, 2001, Direction::ToClient).is_none());
        assert!(t.claim(A, B, 2000, Direction::ToServer).is_none());
        let c = t.claim(B, A, 2000, Direction::ToClient).expect("claimed");
        assert_eq!((c.proto, c.parent_flow_id), (AppProto::FtpData, 7));
        assert!(t.is_empty());
        assert!(t.claim(B, A, 2000, Direction::ToClient).is_none());
    }

    #[test]
    fn newest_wins_and_all_matches_are_consumed() {
        let mut t = ExpectationTable::default();
        t.insert(A, B, 1, exp(2000, Direction::ToServer));
        t.insert(A, B, 2, exp(2000, Direction::ToServer));
        t.insert(A, B, 3, exp(3000, Direction::ToServer));
        let c = t.claim(A, B, 2000, Direction::ToServer).expect("claimed");
        assert_eq!(c.parent_flow_id, 2);
        assert_eq!(t.len(), 1);
    }

    #[test]
    fn bounded_per_pair_and_expires() {
        let mut t = ExpectationTable::default();
        t.set_time(100);
        for i in 0..(MAX_PER_PAIR as u64 + 5) {
            t.insert(A, B, i, exp(1000 + i as u16, Direction::ToServer));
        }
        assert_eq!(t.len(), MAX_PER_PAIR);
        // The oldest five went.
        assert!(t.claim(A, B, 1000, Direction::ToServer).is_none());
        t.set_time(100 + EXPECTATION_TIMEOUT_SECS + 1);
        // A lookup on the pair drops the expired ones.
        assert!(t.claim(A, B, 9, Direction::ToServer).is_none());
        assert!(t.is_empty());
    }
}
