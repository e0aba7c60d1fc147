//! Why a request was refused ([`GuardError`], one variant per failed check) and why the issuer's keys could
//! not be had ([`JwksError`]). No message ever contains the token; claim values shown are shortened and made
//! safe for a header.

use std::time::Duration;

use orgpass_jose::dpop::ProofError;
use orgpass_jose::{AccessError, FetchError, KeyError};

/// Why the guard refused a request. `Display` says which check failed; [`GuardError::check`] names it in one
/// word (the `check` of the JSON body). Rendered as an RFC 6750 response by its `IntoResponse`
/// (see [`crate::refusal`]).
#[derive(Debug, thiserror::Error)]
pub enum GuardError {
    #[error(
        "no bearer token: send the access token in an `Authorization: Bearer` header (a token in the query \
         string is not accepted)"
    )]
    NoToken,
    #[error("malformed Authorization header: {0}")]
    MalformedHeader(&'static str),
    /// The token core's access-token profile refused the token (header, key, signature or a claim).
    #[error(transparent)]
    Token(#[from] AccessError),
    /// A DPoP-bound token came without exactly one readable `DPoP` header.
    #[error("DPoP proof refused: {0}")]
    ProofHeader(&'static str),
    /// The DPoP proof failed a check of RFC 9449 §4.3.
    #[error("DPoP proof refused: {0}")]
    Proof(#[from] ProofError),
    /// The DPoP proof was used before (its `jti` within the window).
    #[error("DPoP proof refused: it was used before; make a new proof for each request")]
    ProofReplayed,
    /// The API takes DPoP-bound tokens only and the request came with a bearer token.
    #[error(
        "this API takes DPoP-bound tokens only: send the token with `Authorization: DPoP` and a DPoP proof"
    )]
    DpopRequired,
    /// The store of proofs seen could not be asked (a shared store such as Redis is down).
    #[error("could not check the DPoP proof against the proofs seen: {0}")]
    ReplayStore(String),
    /// An application's token (client credentials) where the API serves people only.
    #[error(
        "access token refused: the application {0} calls with client credentials, and this API serves people \
         only; send the access token of a person signed in to the organization"
    )]
    PeopleOnly(String),
    #[error("the token lacks the scope this request needs: {scope}")]
    InsufficientScope { scope: String },
    /// The route's organization is not the token's; `machine` when an application (client credentials) called.
    #[error(
        "this token is for organization {token}, but the request is for organization {route}; {}",
        org_next_step(*.machine, .route)
    )]
    OrgMismatch {
        route: String,
        token: String,
        machine: bool,
    },
    #[error("could not check the token: {0}")]
    Jwks(#[from] JwksError),
    #[error(
        "the route reads verified claims but is not behind the guard's layer; add `.layer(guard.layer())`"
    )]
    NotGuarded,
    #[error("the route uses BoundOrg but has no {{org_id}} path parameter")]
    NoOrgInRoute,
    #[error(
        "the route requires an empty scope, which would let every token through; name the scope(s) it needs"
    )]
    EmptyScope,
}

impl GuardError {
    /// Which check failed, in one word: `header`, `malformed`, `alg`, `typ`, `kid`, `signature`, `iss` (also an
    /// issuer the API does not list), `aud`, `exp`, `nbf`, `iat`, `sub`, `gty`, `org_id` (and any other claim name
    /// for a missing or ill-typed claim), `people_only` (an application's token where the API serves people), `scope`,
    /// `org_mismatch`, `jwks` (the keys could not be fetched), `layer` and `route` (the server is misconfigured).
    pub fn check(&self) -> &'static str {
        match self {
            Self::NoToken | Self::MalformedHeader(_) => "header",
            Self::Token(e) => e.check(),
            Self::PeopleOnly(_) => "people_only",
            Self::ProofHeader(_) | Self::Proof(_) | Self::ProofReplayed => "dpop",
            Self::DpopRequired => "dpop_required",
            Self::ReplayStore(_) => "replay_store",
            Self::InsufficientScope { .. } => "scope",
            Self::OrgMismatch { .. } => "org_mismatch",
            Self::Jwks(_) => "jwks",
            Self::NotGuarded => "layer",
            Self::NoOrgInRoute | Self::EmptyScope => "route",
        }
    }
}

/// What to do about a token of another organization: a person signs in to it; an application asks for a token of
/// it (Auth0's client credentials grant with `organization`, which needs the client's grant for that organization).
fn org_next_step(machine: bool, route: &str) -> String {
    if machine {
        format!(
            "request the application's token for that organization (client credentials with organization={route})"
        )
    } else {
        "sign in to that organization".to_owned()
    }
}

/// Why the issuer's discovery document or JWKS could not be used.
#[derive(Debug, thiserror::Error)]
pub enum JwksError {
    #[error("could not reach {url}: {source}; check the issuer and the network")]
    Transport { url: String, source: reqwest::Error },
    #[error("{url} answered HTTP {status}; check the issuer setting")]
    Status { url: String, status: u16 },
    #[error("{url} sent more than {} KiB for {what}, more than any real one", .limit / 1024)]
    TooLarge {
        url: String,
        what: &'static str,
        limit: usize,
    },
    #[error("{url} did not send valid JSON for {what}: {reason}")]
    Parse {
        url: String,
        what: &'static str,
        reason: String,
    },
    #[error(
        "discovery says the issuer is `{got}`, but the guard is configured for `{want}`; fix the issuer setting \
         (Auth0 issuers end with a slash)"
    )]
    IssuerMismatch { got: String, want: String },
    #[error(
        "discovery names the JWKS at {0}, which is not https (http is allowed only on loopback for a loopback \
         issuer)"
    )]
    InsecureEndpoint(String),
    #[error("fetching the issuer's keys failed moments ago; trying again within {} s", .0.as_secs().max(1))]
    Backoff(Duration),
    #[error(
        "the guard was given no source for the keys of the issuer {0}; build it with Guard::with_sources (or \
         Guard::new) to check that issuer's tokens"
    )]
    NoSource(String),
}

impl From<FetchError> for JwksError {
    fn from(e: FetchError) -> Self {
        match e {
            FetchError::Transport { url, source } => Self::Transport { url, source },
            FetchError::Status { url, status } => Self::Status { url, status },
            FetchError::TooLarge { url, what, limit } => Self::TooLarge { url, what, limit },
        }
    }
}

impl From<KeyError<JwksError>> for GuardError {
    /// A `kid` naming no usable key is the token's fault (401); keys that cannot be had are the issuer's (503).
    fn from(e: KeyError<JwksError>) -> Self {
        match e.token_fault() {
            Ok(jws) => Self::Token(jws.into()),
            Err(KeyError::Fetch(e)) => Self::Jwks(e),
            Err(KeyError::Backoff(wait)) => Self::Jwks(JwksError::Backoff(wait)),
            Err(KeyError::Unreadable(e)) => Self::Jwks(JwksError::Parse {
                url: "the jwks_uri".into(),
                what: "the JWKS",
                reason: e.to_string(),
            }),
            Err(KeyError::Missing(jws)) => Self::Token(jws.into()),
        }
    }
}

/// A claim value shown in a message: at most 80 characters, header-safe (the token core's rule).
pub(crate) use orgpass_jose::access::shown;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_claim_failure_names_its_claim() {
        assert_eq!(GuardError::from(AccessError::Claim("exp")).check(), "exp");
        assert_eq!(
            GuardError::from(AccessError::Claim("org_id")).check(),
            "org_id"
        );
        assert_eq!(
            GuardError::from(AccessError::Audience {
                got: "c".into(),
                want: "a".into()
            })
            .check(),
            "aud"
        );
    }
}
