//! orgpass-guard integration tests: a real issuer (discovery and JWKS over HTTP on loopback) and a guarded axum
//! router; a table of hostile tokens and requests, the happy path through every extractor, the issuer down,
//! applications' (machine-to-machine) tokens, and an API that lists several issuers.

mod app;
mod dpop;
mod happy;
mod hostile;
mod issuer;
mod keys;
mod machine;
mod outage;
mod several_issuers;
