//! EVE JSON: Suricata-compatible event records.
//!
//! [`JsonWriter`] appends JSON to a caller-owned buffer without allocating;
//! [`format`] holds the value formats Suricata uses (timestamps, addresses,
//! protocol names); [`EveHeader`] writes the fields every record starts with.
//! Record bodies are written by the component that owns the data (the flow
//! table writes `flow`, a protocol module writes its own record).

pub mod format;
mod header;
mod json;

pub use header::{Endpoints, EveHeader};
pub use json::JsonWriter;
