//! The Authentication API's bad-input table (one row per attack or mistake) and redirect-URI refusals.

use super::*;

/// One row per attack or mistake on the Authentication API.
#[tokio::test]
async fn authentication_bad_input_table() {
    enum Expect {
        Page(StatusCode),
        Redirect(&'static str),
        Token(&'static str),
    }
    let plain = pkce().0;
    #[rustfmt::skip]
    let rows: Vec<(&str, Params, Expect)> = vec![
        ("unknown client", vec![("client_id", "nope")], Expect::Page(StatusCode::BAD_REQUEST)),
        ("bad redirect uri", vec![("redirect_uri", "http://evil.example/callback")], Expect::Page(StatusCode::BAD_REQUEST)),
        ("other loopback path", vec![("redirect_uri", "http://127.0.0.1:5000/elsewhere")], Expect::Page(StatusCode::BAD_REQUEST)),
        ("plain pkce", vec![("code_challenge", &plain), ("code_challenge_method", "plain")], Expect::Redirect("invalid_request")),
        ("no pkce on a public client", vec![("code_challenge", ""), ("code_challenge_method", "")], Expect::Redirect("invalid_request")),
        ("implicit flow", vec![("response_type", "token")], Expect::Redirect("unsupported_response_type")),
        ("unknown org", vec![("organization", "org_0000000000000000")], Expect::Redirect("invalid_request")),
        ("unknown org name", vec![("organization", "nope")], Expect::Redirect("invalid_request")),
        ("invitation without org", vec![("invitation", "demoInviteBobToInitech")], Expect::Redirect("invalid_request")),
        ("unknown invitation", vec![("organization", ACME), ("invitation", "bogus")], Expect::Redirect("invalid_request")),
        ("non-member", vec![("organization", ACME), ("login_hint", "nora")], Expect::Redirect("access_denied")),
        ("wrong verifier", vec![("organization", ACME), ("verifier", "wrong")], Expect::Token("invalid_grant")),
        ("reused code", vec![("organization", ACME), ("reuse", "1")], Expect::Token("invalid_grant")),
        ("expired code", vec![("organization", ACME), ("expire", "1")], Expect::Token("invalid_grant")),
        ("redirect_uri mismatch at token", vec![("organization", ACME), ("token_redirect", "http://127.0.0.1:1/callback")], Expect::Token("invalid_grant")),
    ];
    for (name, params, expect) in rows {
        let state = state();
        let app = app(state.clone());
        let control = [
            "login_hint",
            "verifier",
            "reuse",
            "expire",
            "token_redirect",
        ];
        let authz: Vec<(&str, &str)> = params
            .iter()
            .copied()
            .filter(|(k, _)| !control.contains(k))
            .collect();
        let opt = |k: &str| params.iter().find(|(pk, _)| *pk == k).map(|(_, v)| *v);
        match expect {
            Expect::Page(status) => {
                let r = fetch(&app, &authorize_uri(&authz)).await;
                assert_eq!(r.status, status, "{name}");
                assert!(
                    r.headers.get("location").is_none(),
                    "{name}: must not redirect to an unverified URI"
                );
            }
            Expect::Redirect(error) => {
                let r = if opt("login_hint") == Some("nora") {
                    login(&app, &authz, "nora@example.com", "Nora-pass-1").await
                } else {
                    fetch(&app, &authorize_uri(&authz)).await
                };
                assert_eq!(r.status, StatusCode::SEE_OTHER, "{name}: {}", r.text());
                assert!(r.location().as_str().starts_with(CALLBACK), "{name}");
                assert_eq!(r.query("error").as_deref(), Some(error), "{name}");
                assert!(r.query("error_description").is_some(), "{name}");
                assert_eq!(r.query("state").as_deref(), Some("st-123"), "{name}");
                assert_eq!(r.query("iss").as_deref(), Some(ISSUER), "{name}");
            }
            Expect::Token(error) => {
                let r = login(&app, &authz, "alice@example.com", "Alice-pass-1").await;
                let code = r.query("code").expect("a code");
                if opt("expire").is_some() {
                    for c in state.lock().codes.values_mut() {
                        c.expires_at = crate::now_unix() - 1;
                    }
                }
                let verifier = match opt("verifier") {
                    Some(_) => B64.encode([9u8; 32]),
                    None => pkce().0,
                };
                let redirect = opt("token_redirect").unwrap_or(CALLBACK);
                let req = |code: &str| {
                    form(
                        "/oauth/token",
                        &[
                            ("grant_type", "authorization_code"),
                            ("client_id", NATIVE),
                            ("code", code),
                            ("code_verifier", &verifier),
                            ("redirect_uri", redirect),
                        ],
                    )
                };
                if opt("reuse").is_some() {
                    assert_eq!(
                        send(&app, req(&code)).await.status,
                        StatusCode::OK,
                        "{name}: first use"
                    );
                }
                let r = send(&app, req(&code)).await;
                assert_eq!(
                    (r.status, r.json()["error"].clone()),
                    (StatusCode::FORBIDDEN, json!(error)),
                    "{name}"
                );
            }
        }
    }
}

#[tokio::test]
async fn exact_loopback_mode_refuses_other_ports() {
    let mut seed = Seed::demo();
    seed.tenant.loopback_redirects = crate::seed::LoopbackRedirects::Exact;
    let app = app(state_with(seed));
    let r = fetch(&app, &authorize_uri(&[("organization", ACME)])).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
}
