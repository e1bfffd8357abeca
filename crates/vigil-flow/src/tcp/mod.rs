//! TCP session tracking and stream reassembly (to be written).
