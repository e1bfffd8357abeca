//! EVE JSON: Suricata-compatible event records.
