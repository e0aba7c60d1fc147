//! Access tokens for a stored session: fresh ones as they are, expiring ones refreshed once (single flight in the
//! process and across processes), the rotated refresh token saved, a refused refresh ending the session.

use super::*;

impl Client {
    /// A valid access token for the session, refreshing it when it expires within a minute.
    pub async fn token(&self, key: &SessionKey) -> Result<AccessToken, TokenError> {
        self.token_with(key, false).await
    }

    /// Like [`Client::token`]; `force_refresh` refreshes even if the access token is still valid.
    /// Only one refresh per session runs at a time, in this process and across processes sharing the store's
    /// lock directory; callers that waited get the refreshed token from the keychain.
    pub async fn token_with(
        &self,
        key: &SessionKey,
        force_refresh: bool,
    ) -> Result<AccessToken, TokenError> {
        self.admit(key).await?;
        let session = self.load(key).await?;
        if !force_refresh && self.is_fresh(&session) {
            return Ok(access(session, false));
        }
        // Held until the rotated tokens are saved.
        let _guard = self.guard(key).await?;
        // Another caller or process may have refreshed while we waited: use its result instead of spending the
        // (rotated, single-use) refresh token again.
        let current = self.load(key).await?;
        let rotated_meanwhile = current.refresh_token.as_ref().map(Secret::secret)
            != session.refresh_token.as_ref().map(Secret::secret);
        if self.is_fresh(&current) && (!force_refresh || rotated_meanwhile) {
            return Ok(access(current, false));
        }
        self.refresh(current).await
    }

    /// Whether this configuration may use the session at all: it is of this issuer and client, and its
    /// organization is in `allowed_organizations`. Outside it nothing is handed out. When IT's own file set the list
    /// (narrowed since the sign-in), the session is also signed out (removed, its refresh token revoked): that is
    /// the device's policy. A list from the person's own settings (their file, a variable, the app's own directory)
    /// only keeps the session from being used with them; it stays for the settings that allow it.
    pub async fn admit(&self, key: &SessionKey) -> Result<(), TokenError> {
        let config = &self.inner.config;
        if !config.issuer.matches(&key.issuer) || key.client_id != config.client_id {
            return Err(TokenError::WrongClient(key.account()));
        }
        if config.allows_session_of(key.org_id.as_deref()) {
            return Ok(());
        }
        let org = key.org_id.clone();
        let allowed = allowed_list(config);
        let Some(by) = config.allowed_organizations_by.clone() else {
            return Err(TokenError::NotAllowedHere { org, allowed });
        };
        let outcome = self.logout(key).await?;
        tracing::info!(session = %describe_key(key), revocation = ?outcome.revocation, "signed out of a session this device may no longer use");
        if !outcome.removed {
            return Err(TokenError::NoSession(describe_key(key)));
        }
        Err(TokenError::NoLongerAllowed { org, allowed, by })
    }

    /// Exclusive use of a session's keychain entries: this process's single flight, then the lock shared with
    /// other processes (the CLI run by git and by a script, the app). Refresh, sign-in and sign-out all take it,
    /// so a refresh can neither bring back a session signed out meanwhile nor overwrite a newer sign-in.
    pub(super) async fn guard(&self, key: &SessionKey) -> Result<SessionGuard, LockError> {
        let lock = {
            let mut locks = self.inner.refresh_locks.lock().expect("refresh locks");
            locks.entry(key.clone()).or_default().clone()
        };
        let in_process = lock.lock_owned().await;
        let across_processes = match self.inner.store.lock_dir() {
            Some(dir) => Some(
                RefreshLock::acquire(
                    &crate::lock::lock_path(&dir, key),
                    self.inner.refresh_lock_wait,
                )
                .await?,
            ),
            None => None,
        };
        Ok(SessionGuard {
            _in_process: in_process,
            _across_processes: across_processes,
        })
    }

    /// [`Client::guard`] for changes that must happen anyway (sign-in, sign-out): if another process holds the
    /// lock past the wait, go ahead without it rather than fail.
    pub(super) async fn guard_or_proceed(&self, key: &SessionKey) -> Option<SessionGuard> {
        match self.guard(key).await {
            Ok(g) => Some(g),
            Err(e) => {
                tracing::warn!(error = %e, "going ahead without the session lock");
                None
            }
        }
    }

    pub(super) fn is_fresh(&self, s: &Session) -> bool {
        s.meta.expires_at - self.inner.clock.now() > REFRESH_MARGIN_SECS
    }

    pub(super) async fn load(&self, key: &SessionKey) -> Result<Session, TokenError> {
        let store = self.inner.store.clone();
        let k = key.clone();
        let loaded = tokio::task::spawn_blocking(move || store.load(&k))
            .await
            .expect("store task")?;
        loaded.ok_or_else(|| TokenError::NoSession(describe_key(key)))
    }

    pub(super) async fn refresh(&self, session: Session) -> Result<AccessToken, TokenError> {
        let redeemed = self.redeem(&session, &[], &[]).await?;
        let resp = &redeemed.resp;
        let mut new_meta = redeemed.meta;
        new_meta.expires_at = expiry(resp, redeemed.now, new_meta.expires_at);
        let refreshed = Session {
            meta: new_meta,
            access_token: Secret::new(resp.access_token().secret().clone()),
            refresh_token: redeemed.refresh_token,
            id_token: redeemed.id_token,
            scope: resp
                .scopes()
                .map(|s| s.iter().map(|s| s.as_str()).collect::<Vec<_>>().join(" "))
                .or(session.scope.clone()),
            token_type: token_type(resp),
            dpop_key: session.dpop_key.clone(),
            // Tokens for the other APIs stay valid: only the refresh token rotated.
            apis: session.apis.clone(),
        };
        if redeemed.bound && !refreshed.token_type.eq_ignore_ascii_case("DPoP") {
            return Err(TokenError::BadResponse(format!(
                "the tenant renewed a session bound to this device with a {} token",
                refreshed.token_type
            )));
        }
        // The rotated refresh token is saved before the new access token is handed out.
        self.save(&refreshed).await?;
        Ok(access(refreshed, true))
    }

    /// Saves `session` in the store (off the async threads: the keychain blocks).
    pub(super) async fn save(&self, session: &Session) -> Result<(), StoreError> {
        let store = self.inner.store.clone();
        let to_save = session.clone();
        tokio::task::spawn_blocking(move || store.save(&to_save))
            .await
            .expect("store task")
    }

    /// Redeems the session's refresh token with `params` (e.g. another API's `audience`) and `scopes`: with a proof
    /// when the session is bound, a refused token ending the session, a returned ID token verified like the
    /// sign-in's (same `sub`, same organization). The caller saves the rotated refresh token it returns.
    pub(super) async fn redeem(
        &self,
        session: &Session,
        params: &[(&'static str, String)],
        scopes: &[String],
    ) -> Result<Redeemed, TokenError> {
        let Some(refresh_token) = session.refresh_token.clone() else {
            return Err(TokenError::NotRefreshable);
        };
        let meta = self.metadata().await?;
        // A bound session's refresh token is useless without its key: each refresh carries a proof by it.
        let dpop = crate::dpop::load(session.dpop_key.as_ref())
            .map_err(|reason| TokenError::SignInAgain { reason })?
            .map(Arc::new);
        let rt = RefreshToken::new(refresh_token.secret().to_owned());
        let oauth = self.oauth(&meta, None);
        let mut request = oauth.exchange_refresh_token(&rt);
        for (name, value) in params {
            request = request.add_extra_param(*name, value.clone());
        }
        for scope in scopes {
            request = request.add_scope(Scope::new(scope.clone()));
        }
        let result = request
            .request_async(&token_http::client(
                &self.inner.http,
                dpop.clone().map(|k| self.binding(k)),
            ))
            .await;
        let resp = match result {
            Ok(r) => r,
            Err(RequestTokenError::ServerResponse(e))
                if *e.error() == BasicErrorResponseType::InvalidGrant =>
            {
                tracing::info!("refresh token rejected (invalid_grant); removing the session");
                self.delete_session(&session.meta.key).await?;
                let reason = e
                    .error_description()
                    .cloned()
                    .unwrap_or_else(|| "the refresh token is no longer valid".into());
                return Err(TokenError::SignInAgain { reason });
            }
            Err(RequestTokenError::ServerResponse(e)) => {
                return Err(TokenError::TokenEndpoint {
                    error: e.error().to_string(),
                    description: e.error_description().cloned(),
                });
            }
            Err(RequestTokenError::Request(e @ TokenHttpError::ServerFailed { .. })) => {
                return Err(TokenError::ServerFailed(e.to_string()));
            }
            Err(RequestTokenError::Request(TokenHttpError::Transport(net))) => {
                return Err(TokenError::Network(net));
            }
            Err(RequestTokenError::Request(e)) => {
                return Err(TokenError::Transport(transport_reason(&e)));
            }
            Err(RequestTokenError::Parse(e, _body)) => {
                return Err(TokenError::BadResponse(format!(
                    "unparseable response at {}",
                    e.path()
                )));
            }
            Err(RequestTokenError::Other(m)) => return Err(TokenError::BadResponse(m)),
        };
        let now = self.inner.clock.now();
        let mut new_meta = session.meta.clone();
        let id_token = match &resp.extra_fields().id_token {
            Some(id) => {
                let expected = Expected {
                    nonce: None,
                    org: OrgCheck::Same(session.meta.key.org_id.clone()),
                    sub: Some(&session.meta.sub),
                };
                let verified = match self.jwks().await {
                    Ok(jwks) => self.verifier(&meta).verify(id, &expected, &jwks, now).await,
                    Err(e) => Err(IdTokenError::Jwks(e.to_string())),
                };
                let claims = match verified {
                    Ok(claims) => claims,
                    Err(e @ IdTokenError::Jwks(_)) => {
                        return Err(self.unverified_refresh(session.clone(), &resp, e).await);
                    }
                    Err(e) => return Err(self.refused_refresh(session, &resp, e).await),
                };
                update_meta(&mut new_meta, &claims);
                Secret::new(id.clone())
            }
            None => session.id_token.clone(),
        };
        let refresh_token = resp
            .refresh_token()
            .map(|r| Secret::new(r.secret().clone()))
            .or(Some(refresh_token));
        new_meta.refreshable = refresh_token.is_some();
        new_meta.refreshed_at = Some(now);
        Ok(Redeemed {
            resp,
            meta: new_meta,
            id_token,
            refresh_token,
            bound: dpop.is_some(),
            now,
        })
    }

    /// The refreshed ID token failed a check (another `sub` or `org_id`, a bad signature, …). The stored refresh
    /// token has been spent (rotation), and the new tokens are not trusted: the session is removed, and the new
    /// refresh token is revoked at the provider so no usable credential is left behind.
    pub(super) async fn refused_refresh(
        &self,
        session: &Session,
        resp: &TokenResp,
        error: IdTokenError,
    ) -> TokenError {
        tracing::warn!(error = %error, "refreshed ID token rejected; removing the session");
        if let Err(e) = self.delete_session(&session.meta.key).await {
            tracing::warn!(error = %e, "could not remove the session after a rejected refresh");
        }
        if let Some(rt) = resp.refresh_token()
            && let Err(reason) = self
                .revoke(Secret::new(rt.secret().clone()), session.dpop_key.as_ref())
                .await
        {
            tracing::warn!(%reason, "could not revoke the refresh token of the rejected refresh");
        }
        TokenError::IdToken(error)
    }

    /// The refreshed ID token could not be checked because the issuer's keys could not be fetched. The new tokens
    /// are not used, but the rotated refresh token is kept in place of the spent one (the old session otherwise),
    /// so a later try can refresh again instead of presenting a rotated token (which would end the session).
    pub(super) async fn unverified_refresh(
        &self,
        mut session: Session,
        resp: &TokenResp,
        error: IdTokenError,
    ) -> TokenError {
        tracing::warn!(error = %error, "could not check the refreshed ID token; keeping the session for a later try");
        if let Some(rt) = resp.refresh_token() {
            session.refresh_token = Some(Secret::new(rt.secret().clone()));
            session.meta.refreshed_at = Some(self.inner.clock.now());
            let store = self.inner.store.clone();
            let saved = tokio::task::spawn_blocking(move || store.save(&session))
                .await
                .expect("store task");
            if let Err(e) = saved {
                tracing::warn!(error = %e, "could not save the rotated refresh token");
            }
        }
        TokenError::IdToken(error)
    }
}

/// What a redeemed refresh token gave, checked: the caller turns it into the session it saves.
pub(super) struct Redeemed {
    pub resp: TokenResp,
    /// The session's metadata with the refreshed ID token's claims, `refreshable` and `refreshed_at`.
    pub meta: SessionMeta,
    /// The new ID token, or the session's when none came.
    pub id_token: Secret,
    /// The rotated refresh token, or the session's when the tenant does not rotate.
    pub refresh_token: Option<Secret>,
    /// Whether the request carried a DPoP proof (the session is bound).
    pub bound: bool,
    pub now: i64,
}
