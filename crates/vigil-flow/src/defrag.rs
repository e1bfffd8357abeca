//! IP defragmentation (to be written).
