//! Discovery and the JWKS: what the issuer publishes about itself.

use super::*;

#[tokio::test]
async fn discovery_and_jwks_describe_this_issuer() {
    let app = app(state());
    let d = fetch(&app, "/.well-known/openid-configuration")
        .await
        .json();
    assert_eq!(d["issuer"], ISSUER);
    assert_eq!(d["jwks_uri"], format!("{ISSUER}.well-known/jwks.json"));
    assert_eq!(d["end_session_endpoint"], format!("{ISSUER}oidc/logout"));
    assert_eq!(d["authorization_response_iss_parameter_supported"], true);
    assert_eq!(d["code_challenge_methods_supported"], json!(["S256"]));
    let jwks = fetch(&app, "/.well-known/jwks.json").await.json();
    assert_eq!(jwks["keys"][0]["kid"], keys().current.kid);
    assert_eq!(jwks["keys"][0]["alg"], "RS256");
}
