//! Shared helpers for the cross-crate end-to-end tests (finding built binaries, temp homes, ports).
