//! Shared helpers: spawning the demo tenant, PKCE, a redirect-free HTTP client, and the form login.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use devtenant::{Running, Seed, SpawnOptions};
use sha2::{Digest, Sha256};
use url::Url;

pub const NATIVE: &str = devtenant::DEMO_NATIVE_CLIENT_ID;
pub const ACME: &str = "org_AcmeA1b2C3d4E5f6";
pub const GLOBEX: &str = "org_GlobexG7h8I9j0K1";

pub async fn demo() -> Running {
    devtenant::spawn(Seed::demo(), SpawnOptions::default())
        .await
        .expect("devtenant starts")
}

/// A client that does not follow redirects (so each hop can be checked) and keeps cookies.
pub fn http() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .cookie_store(true)
        .build()
        .unwrap()
}

pub struct Pkce {
    pub verifier: String,
    pub challenge: String,
}

pub fn pkce() -> Pkce {
    let verifier = B64.encode(rand::random::<[u8; 32]>());
    let challenge = B64.encode(Sha256::digest(verifier.as_bytes()));
    Pkce {
        verifier,
        challenge,
    }
}

pub fn authorize_url(
    issuer: &Url,
    redirect_uri: &str,
    org: &str,
    pkce: &Pkce,
    extra: &[(&str, &str)],
) -> Url {
    let mut url = issuer.join("authorize").unwrap();
    url.query_pairs_mut()
        .append_pair("client_id", NATIVE)
        .append_pair("redirect_uri", redirect_uri)
        .append_pair("response_type", "code")
        .append_pair("scope", "openid profile email offline_access")
        .append_pair("state", "state-xyz")
        .append_pair("nonce", "nonce-xyz")
        .append_pair("code_challenge", &pkce.challenge)
        .append_pair("code_challenge_method", "S256")
        .append_pair("organization", org)
        .extend_pairs(extra);
    url
}

pub fn param(url: &Url, key: &str) -> Option<String> {
    url.query_pairs()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v.into_owned())
}

/// What a scripted (non-browser) client does: `/authorize` → `/u/login` → POST the form → the redirect back,
/// through the one walker every suite shares.
pub async fn form_login(
    http: &reqwest::Client,
    authorize: Url,
    email: &str,
    password: &str,
) -> Url {
    devtenant::testing::sign_in(http, authorize, email, password)
        .await
        .unwrap_or_else(|e| panic!("sign-in as {email}: {e}"))
}
