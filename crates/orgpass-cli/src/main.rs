//! The `orgpass` command-line front end.
fn main() {}
