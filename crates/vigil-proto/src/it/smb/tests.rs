//! Tests of the SMB parser.
