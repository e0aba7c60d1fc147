//! Tokens for the company's other APIs from the session's one refresh token (Auth0's Multi-Resource Refresh
//! Tokens), each checked for its API and the session's organization before it is kept; and session transfer
//! tokens that open a company web app already signed in (Native to Web SSO). Both redeem the rotating refresh
//! token, so both go through the session's single flight, and the rotated token is saved whatever the answer.

use orgpass_jose::{AccessProfile, Presented};

use super::*;
use crate::access::{AccessClaimsError, access_token_claims};
use crate::resources::Api;
use crate::session::ApiToken;

/// RFC 8693 `issued_token_type` of Auth0's session transfer tokens.
pub const SESSION_TRANSFER_TOKEN_TYPE: &str =
    "urn:auth0:params:oauth:token-type:session_transfer_token";

/// A session transfer token: single use, valid about a minute.
#[derive(Debug, Clone)]
pub struct SessionTransfer {
    pub token: Secret,
    /// Expiry, UNIX seconds.
    pub expires_at: i64,
}

impl Client {
    /// A valid access token for `api`: the sign-in's own when `api` is the API signed in for; else the one kept
    /// with the session while it is fresh; else a new one from the refresh token (`audience`, `scope`), used
    /// only after its `aud`, signature, expiry and `org_id` (the session's organization) pass the checks the API
    /// itself makes. `force_refresh` gets a new one even if the kept one is fresh.
    pub async fn token_for(
        &self,
        key: &SessionKey,
        api: &Api,
        force_refresh: bool,
    ) -> Result<AccessToken, TokenError> {
        self.admit(key).await?;
        let session = self.load(key).await?;
        if session.meta.audience.as_deref() == Some(api.audience.as_str()) {
            return self.token_with(key, force_refresh).await;
        }
        if !force_refresh && let Some(t) = self.kept(&session, &api.audience) {
            return Ok(t);
        }
        let _guard = self.guard(key).await?;
        // Another caller or process may have got one while we waited.
        let current = self.load(key).await?;
        let before = session.apis.get(&api.audience).map(|t| t.token.secret());
        let now_kept = current.apis.get(&api.audience).map(|t| t.token.secret());
        if let Some(t) = self.kept(&current, &api.audience)
            && (!force_refresh || before != now_kept)
        {
            return Ok(t);
        }
        let scopes: Vec<String> = api
            .scope
            .as_deref()
            .map(|s| s.split(' ').map(str::to_owned).collect())
            .unwrap_or_default();
        let redeemed = self
            .redeem(&current, &[("audience", api.audience.clone())], &scopes)
            .await?;
        let resp = &redeemed.resp;
        let token = ApiToken {
            token: Secret::new(resp.access_token().secret().clone()),
            expires_at: expiry(resp, redeemed.now, redeemed.now),
            scope: resp
                .scopes()
                .map(|s| s.iter().map(|s| s.as_str()).collect::<Vec<_>>().join(" ")),
            token_type: token_type(resp),
        };
        let checked = self
            .check_api_token(&current, &api.audience, &token, redeemed.bound)
            .await;
        let mut next = current.clone();
        next.meta = redeemed.meta;
        next.refresh_token = redeemed.refresh_token;
        next.id_token = redeemed.id_token;
        if checked.is_ok() {
            next.apis.insert(api.audience.clone(), token);
        } else {
            next.apis.remove(&api.audience);
        }
        // The refresh token rotated: saved whatever the check said, or the session would be lost.
        self.save(&next).await?;
        checked?;
        Ok(self
            .kept(&next, &api.audience)
            .expect("just kept")
            .refreshed())
    }

    /// A session transfer token for opening one of the company's web apps already signed in: the refresh token
    /// redeemed for `urn:<tenant domain>:session_transfer` (with a proof when the session is bound). It is
    /// single use and lives a minute; it goes only into the web app's login address, never to a log or a screen.
    pub async fn session_transfer(&self, key: &SessionKey) -> Result<SessionTransfer, TokenError> {
        self.admit(key).await?;
        let _guard = self.guard(key).await?;
        let current = self.load(key).await?;
        let audience = self.session_transfer_audience();
        let redeemed = self
            .redeem(&current, &[("audience", audience)], &[])
            .await?;
        let resp = &redeemed.resp;
        let issued = resp.extra_fields().issued_token_type.clone();
        let transfer = SessionTransfer {
            token: Secret::new(resp.access_token().secret().clone()),
            expires_at: expiry(resp, redeemed.now, redeemed.now + 60),
        };
        let mut next = current;
        next.meta = redeemed.meta;
        next.refresh_token = redeemed.refresh_token;
        next.id_token = redeemed.id_token;
        self.save(&next).await?;
        match issued.as_deref() {
            Some(SESSION_TRANSFER_TOKEN_TYPE) => Ok(transfer),
            Some(other) => Err(TokenError::NoSessionTransfer(format!(
                "it issued a token of type {other}"
            ))),
            None => Err(TokenError::NoSessionTransfer(
                "its answer has no issued_token_type".into(),
            )),
        }
    }

    /// The address that opens `portal` signed in: its login URL with a fresh session transfer token and the
    /// session's `organization` (the web app passes both to `/authorize`). A secret: it goes to the browser only.
    pub async fn portal_login(
        &self,
        key: &SessionKey,
        portal: &crate::resources::Portal,
    ) -> Result<Secret, TokenError> {
        let transfer = self.session_transfer(key).await?;
        let mut url = portal.login_url.clone();
        {
            let mut q = url.query_pairs_mut();
            q.append_pair("session_transfer_token", transfer.token.secret());
            if let Some(org) = &key.org_id {
                q.append_pair("organization", org);
            }
        }
        Ok(Secret::new(String::from(url)))
    }

    /// `urn:<tenant domain>:session_transfer`: the issuer's host (and port, when it has one).
    fn session_transfer_audience(&self) -> String {
        let url = self.inner.config.issuer.url();
        let host = url.host_str().unwrap_or_default();
        match url.port() {
            Some(port) => format!("urn:{host}:{port}:session_transfer"),
            None => format!("urn:{host}:session_transfer"),
        }
    }

    /// The token kept with `session` for `audience`, when it does not expire within the refresh margin.
    fn kept(&self, session: &Session, audience: &str) -> Option<AccessToken> {
        let t = session.apis.get(audience)?;
        (t.expires_at - self.inner.clock.now() > REFRESH_MARGIN_SECS).then(|| AccessToken {
            token: t.token.clone(),
            token_type: t.token_type.clone(),
            dpop_key: session.dpop_key.clone(),
            expires_at: t.expires_at,
            audience: Some(audience.to_owned()),
            meta: session.meta.clone(),
            refreshed: false,
        })
    }

    /// The checks the API itself makes (the token core's access profile: RS256 by the issuer's key, `aud`,
    /// expiry, `org_id`; bound to the session's key when it is bound), plus: the organization is the session's.
    async fn check_api_token(
        &self,
        session: &Session,
        audience: &str,
        token: &ApiToken,
        bound: bool,
    ) -> Result<(), TokenError> {
        let refused = |reason: String| TokenError::ApiToken {
            audience: audience.to_owned(),
            reason,
        };
        if bound && !token.token_type.eq_ignore_ascii_case("DPoP") {
            return Err(refused(format!(
                "the session is bound to this device but the tenant issued a {} token",
                token.token_type
            )));
        }
        let unchecked = |reason: String| TokenError::ApiTokenUnchecked {
            audience: audience.to_owned(),
            reason,
        };
        let meta = self
            .metadata()
            .await
            .map_err(|e| unchecked(e.to_string()))?;
        let jwks = self.jwks().await.map_err(|e| unchecked(e.to_string()))?;
        let presented = match &session.meta.dpop_jkt {
            Some(jkt) => Presented::Dpop { jkt },
            None => Presented::Bearer,
        };
        let profile = AccessProfile::new(meta.issuer.as_str(), audience, self.inner.config.leeway);
        let claims = match access_token_claims(
            token.token.secret(),
            &profile,
            presented,
            &jwks,
            self.inner.clock.now(),
        )
        .await
        {
            Ok(claims) => claims,
            Err(AccessClaimsError::Refused(e)) if e.check() == "aud" => {
                return Err(refused(format!(
                    "it was issued for another API ({e}). Auth0 answers with a token for the sign-in's API when \
                     {audience} is not among the application's refresh-token policies: ask your Auth0 \
                     administrator to add it to the application's `refresh_token.policies`"
                )));
            }
            Err(AccessClaimsError::Refused(e)) => return Err(refused(e.to_string())),
            Err(e) => return Err(unchecked(e.to_string())),
        };
        let org = claims.get("org_id").and_then(|v| v.as_str());
        let ours = session.meta.key.org_id.as_deref();
        if org != ours {
            return Err(refused(format!(
                "it names organization {}, not this session's {}",
                org.unwrap_or("(none)"),
                ours.unwrap_or("(none)")
            )));
        }
        Ok(())
    }
}

impl AccessToken {
    fn refreshed(mut self) -> Self {
        self.refreshed = true;
        self
    }
}
