//! Flow tracking, IP defragmentation and TCP stream reassembly.
