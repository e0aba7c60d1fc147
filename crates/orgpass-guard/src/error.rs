//! Why a request was refused ([`GuardError`], one variant per failed check) and why the issuer's keys could
//! not be had ([`JwksError`]). No message ever contains the token; claim values shown are shortened and made
//! safe for a header.

use std::time::Duration;

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
    #[error("access token refused: not a signed JWT ({0})")]
    Malformed(&'static str),
    #[error("access token refused: alg is {0}, but only RS256 is accepted")]
    Algorithm(String),
    #[error(
        "access token refused: typ is {0}; an access token has typ at+jwt or JWT (RFC 9068), other kinds of JWT \
         are not access tokens"
    )]
    Type(String),
    #[error(
        "access token refused: kid {0} is not one of the issuer's keys (even after fetching them again)"
    )]
    UnknownKid(String),
    #[error(
        "access token refused: the token names no kid and the issuer does not have exactly one key"
    )]
    NoKid,
    #[error("access token refused: the signature does not verify with the issuer's key")]
    Signature,
    #[error("access token refused: the {0} claim is missing or not of the right type")]
    Claim(&'static str),
    #[error("access token refused: iss is {got}, expected {want}")]
    Issuer { got: String, want: String },
    #[error(
        "access token refused: aud is {got}, which does not contain this API's identifier {want} (an ID token's \
         aud is the client id: send the access token requested with audience={want})"
    )]
    Audience { got: String, want: String },
    #[error(
        "access token refused: expired (exp {exp} is before now {now} minus the {leeway} s leeway); get a fresh \
         token"
    )]
    Expired { exp: i64, now: i64, leeway: u64 },
    #[error(
        "access token refused: not valid yet (nbf {nbf} is after now {now} plus the {leeway} s leeway)"
    )]
    NotYetValid { nbf: i64, now: i64, leeway: u64 },
    #[error(
        "access token refused: issued in the future (iat {iat} is after now {now} plus the {leeway} s leeway); \
         check the clocks"
    )]
    IssuedInFuture { iat: i64, now: i64, leeway: u64 },
    #[error(
        "access token refused: org_id {0} is not an organization ID (org_ and up to 46 letters or digits)"
    )]
    OrgId(String),
    #[error("the token lacks the scope this request needs: {scope}")]
    InsufficientScope { scope: String },
    #[error(
        "this token is for organization {token}, but the request is for organization {route}; sign in to that \
         organization"
    )]
    OrgMismatch { route: String, token: String },
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
    /// Which check failed, in one word: `header`, `malformed`, `alg`, `typ`, `kid`, `signature`, `iss`, `aud`,
    /// `exp`, `nbf`, `iat`, `sub`, `org_id` (and any other claim name for a missing or ill-typed claim), `scope`,
    /// `org_mismatch`, `jwks` (the keys could not be fetched), `layer` and `route` (the server is misconfigured).
    pub fn check(&self) -> &'static str {
        match self {
            Self::NoToken | Self::MalformedHeader(_) => "header",
            Self::Malformed(_) => "malformed",
            Self::Algorithm(_) => "alg",
            Self::Type(_) => "typ",
            Self::UnknownKid(_) | Self::NoKid => "kid",
            Self::Signature => "signature",
            Self::Claim(name) => name,
            Self::Issuer { .. } => "iss",
            Self::Audience { .. } => "aud",
            Self::Expired { .. } => "exp",
            Self::NotYetValid { .. } => "nbf",
            Self::IssuedInFuture { .. } => "iat",
            Self::OrgId(_) => "org_id",
            Self::InsufficientScope { .. } => "scope",
            Self::OrgMismatch { .. } => "org_mismatch",
            Self::Jwks(_) => "jwks",
            Self::NotGuarded => "layer",
            Self::NoOrgInRoute | Self::EmptyScope => "route",
        }
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
}

/// A claim value shown in a message: at most 80 characters, header-safe.
pub(crate) fn shown(s: &str) -> String {
    let mut out = crate::config::header_safe(s);
    if s.chars().count() > 80 {
        out = out.chars().take(77).collect::<String>() + "...";
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shown_values_are_short_and_header_safe() {
        assert_eq!(shown("https://acme/"), "https://acme/");
        assert_eq!(shown("a\"b\\c\r\nd"), "a?b?c??d");
        let long = "x".repeat(200);
        assert_eq!(shown(&long).len(), 80);
        assert!(shown(&long).ends_with("..."));
    }

    #[test]
    fn every_claim_failure_names_its_claim() {
        assert_eq!(GuardError::Claim("exp").check(), "exp");
        assert_eq!(GuardError::Claim("org_id").check(), "org_id");
        assert_eq!(
            GuardError::Audience {
                got: "c".into(),
                want: "a".into()
            }
            .check(),
            "aud"
        );
    }
}
