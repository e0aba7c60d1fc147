//! demo-api integration tests: the API behind a real devtenant (its discovery document and JWKS over HTTP,
//! tokens signed with its key), in-process and through the `demo-api` binary.

mod binary;
mod isolation;
mod world;
