//! Flow tracking, IP defragmentation and TCP stream reassembly.
//!
//! A worker owns one [`FlowTable`]; packets of one flow always reach the same
//! worker, so nothing here is shared between threads.

pub mod defrag;
pub mod tcp;

/// Direction of a packet or stream relative to the flow's initiator.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Direction {
    /// From the initiator (client) to the responder (server).
    ToServer,
    /// From the responder (server) to the initiator (client).
    ToClient,
}

impl Direction {
    /// The opposite direction.
    pub fn reverse(self) -> Direction {
        match self {
            Direction::ToServer => Direction::ToClient,
            Direction::ToClient => Direction::ToServer,
        }
    }

    /// 0 for to-server, 1 for to-client: an index into per-direction arrays.
    pub fn index(self) -> usize {
        match self {
            Direction::ToServer => 0,
            Direction::ToClient => 1,
        }
    }
}

pub mod community_id;
mod key;
mod table;

pub use key::{FlowKey, PacketTuple, worker_hash};
pub use table::{
    EndReason, FLOW_COST, Flow, FlowConfig, FlowEndSink, FlowState, FlowStats, FlowTable,
    FlowTimeouts, Timeouts, max_flows_for,
};
pub mod eve;
