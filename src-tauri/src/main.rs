//! The Orgpass desktop app (placeholder until its issue lands).
fn main() {}
