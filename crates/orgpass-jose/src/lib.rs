//! The token core: what every JWS Orgpass reads goes through, for the engine's ID tokens and the guard's access
//! tokens alike (and DPoP proofs next), so both sides apply one policy.
//!
//! - [`KeySet`]: a JWKS document read once under one key policy ([`keys`]): RSA keys of 2048 to 8192 bits with a
//!   public exponent of at least 3 for RS256, P-256 keys for ES256, signature use only, an `alg` that matches the
//!   key, no symmetric keys, and no `kid` used twice. Every key refused is named with its reason
//!   ([`KeySet::refused`]) for the caller to log.
//! - [`verify_compact`]: a compact JWS checked against the algorithm the caller pins, never the one its header
//!   names; strict base64url; `crit` refused; the key chosen by `kid` from the caller's key set.
//! - [`JwksCache`]: the issuer's keys, cached once for the workspace (bounded max age, renewal in the background,
//!   one fetch at a time, back-off and a bounded grace while the issuer fails, a throttled refetch for an unknown
//!   `kid`), read over HTTP by [`get_document`] (1 MiB cap, `Cache-Control`).
//! - [`AccessProfile`]: the access-token checks (RFC 9068 with Auth0's `org_id`), which the guard decides with and
//!   the app's QA view shows.
//! - [`memo::Verified`]: access tokens already verified, so a token presented again costs no signature check (its
//!   claims are checked again every time).
//! - [`dpop`]: DPoP (RFC 9449): a session's P-256 key and its proofs, and a server's checks of a proof.
//! - [`thumbprint`]: RFC 7638 JWK thumbprints, by which DPoP binds tokens to a key.

pub mod access;
pub mod cache;
pub mod dpop;
pub mod fetch;
pub mod id_token;
pub mod jws;
pub mod keys;
pub mod memo;
pub mod thumbprint;

pub use access::{AccessClaims, AccessError, AccessProfile, Org, Presented};
pub use cache::{CachePolicy, Clock, JwksCache, JwksFuture, JwksSource, KeyError, system_clock};
pub use dpop::{DpopKey, check_proof};
pub use fetch::{Document, FetchError, MAX_DOCUMENT_BYTES, get_document};
pub use id_token::{Expected, IdClaims, IdTokenError, IdTokenVerifier, OrgCheck};
pub use jws::{Compact, Header, JwsError, Verified, verify_compact, verify_signature};
pub use keys::{Alg, KeySet, KeySetError, RefusedKey};
pub use thumbprint::{ThumbprintError, thumbprint};
