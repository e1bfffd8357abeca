//! vigil's detection engine: Suricata rules compiled once, grouped by
//! protocol (and application buffer), prefiltered with a multi-pattern
//! matcher, then fully evaluated with Suricata's semantics.
//!
//! ```
//! use std::sync::Arc;
//! use vigil_detect::{Detector, Engine};
//! use vigil_rules::{Classifications, RuleSet, ThresholdConfig, Vars};
//!
//! let mut set = RuleSet::new();
//! let text = r#"alert udp any any -> any any (msg:"x"; content:"evil"; sid:1;)"#;
//! set.add_text("inline", text, &Vars::suricata_default(), &Classifications::suricata_default());
//! let engine = Arc::new(Engine::build(&set.rules, &Classifications::suricata_default(), ThresholdConfig::default(), &Vars::suricata_default()));
//! assert_eq!(engine.len(), 1);
//! let _worker = Detector::new(engine);
//! ```
//!
//! Pieces: [`sig`] compiles a rule ([`vigil_rules::Rule`]) into header
//! checks, flow requirements and per-buffer match [`program`]s;
//! [`prefilter`] holds the multi-pattern matcher (pure-Rust `aho-corasick`
//! behind the [`prefilter::MultiPattern`] trait); [`engine`] groups rules
//! and evaluates packets, reassembled stream chunks and application
//! transactions; [`state`] keeps flowbits, flowints, raw stream windows and
//! thresholds, all capped; [`alert`] writes EVE `alert` records.
//!
//! Rules using keywords the engine does not evaluate yet are reported in
//! [`Engine::skipped`] and never match (no false positives from a keyword
//! silently ignored).

#![warn(missing_docs)]

pub mod alert;
pub mod asn1;
pub mod engine;
pub mod pcre;
pub mod prefilter;
#[cfg(vigil_hyperscan)]
mod prefilter_hs;
pub mod program;
pub mod sig;
pub mod state;
pub mod transform;

pub use alert::{AlertContext, AlertOptions, write_alert, write_tagged_packet};
pub use engine::{
    Alert, Detector, Engine, LiveTxRef, Packet, PacketFlow, Skipped, TxBuffers, TxPhase, TxRef,
};
pub use state::{FlowDetect, RawStream, TagMetric, TagSpec, TagState};

/// The prefilter backend compiled in (for `--build-info`).
pub fn prefilter_backend() -> &'static str {
    prefilter::BACKEND
}

#[cfg(test)]
mod tests;
