//! orgpass-guard integration tests: a real issuer (discovery and JWKS over HTTP on loopback) and a guarded axum
//! router; a table of hostile tokens and requests, and the happy path through every extractor.

mod app;
mod happy;
mod hostile;
mod issuer;
mod keys;
