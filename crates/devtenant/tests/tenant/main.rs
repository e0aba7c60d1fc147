//! devtenant integration tests: over a real socket, the `devtenant` binary, persistence, and a real browser.

mod binary;
mod browser;
mod common;
mod socket;
