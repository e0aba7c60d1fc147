//! A sign-in in progress: waiting for the browser's callback (or a pasted address), then the code exchange and
//! the ID token's verification into a stored session.

use super::*;

/// A sign-in waiting for the browser. Consumed by [`PendingLogin::wait`].
pub struct PendingLogin {
    pub(super) client: Client,
    pub(super) meta: Arc<ProviderMetadata>,
    pub(super) authorize_url: Url,
    /// The authorize URL's parameters, as the browser is sent them (for a QA view).
    pub(super) authorize_params: Vec<(String, String)>,
    /// The key this session will be bound to (`dpop = true`).
    pub(super) dpop: Option<Arc<orgpass_jose::DpopKey>>,
    pub(super) redirect_uri: Url,
    pub(super) cancel: CancellationToken,
    pub(super) stop: CancellationToken,
    /// Stops the loopback listener when this sign-in is dropped without [`PendingLogin::wait`] (or when the
    /// `wait` future is dropped): the port is never held after the sign-in is gone. `wait` takes it out first.
    pub(super) close_on_drop: Option<tokio_util::sync::DropGuard>,
    pub(super) paste: listener::PasteHandle,
    pub(super) rx: mpsc::Receiver<Callback>,
    pub(super) verifier: PkceCodeVerifier,
    pub(super) nonce: Secret,
    pub(super) org_check: OrgCheck,
    /// The sign-in went without `organization`, with a work email for the tenant to find it by.
    pub(super) found_by_email: bool,
    pub(super) deadline: tokio::time::Instant,
    pub(super) timeout: Duration,
}

/// Cancels a pending sign-in from elsewhere (a UI button, Ctrl-C).
#[derive(Debug, Clone)]
pub struct CancelHandle(pub(super) CancellationToken);

impl CancelHandle {
    /// Cancel; `wait` returns [`LoginError::Cancelled`].
    pub fn cancel(&self) {
        self.0.cancel();
    }
}

impl std::fmt::Debug for PendingLogin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PendingLogin")
            .field("redirect_uri", &self.redirect_uri.as_str())
            .finish_non_exhaustive()
    }
}

/// The callback arrived with our state and a code: next is the token exchange. Consumed by `exchange`.
struct CallbackReceived {
    pub(super) client: Client,
    pub(super) meta: Arc<ProviderMetadata>,
    pub(super) redirect_uri: Url,
    pub(super) code: Secret,
    pub(super) verifier: PkceCodeVerifier,
    pub(super) nonce: Secret,
    pub(super) org_check: OrgCheck,
    pub(super) found_by_email: bool,
    pub(super) dpop: Option<Arc<orgpass_jose::DpopKey>>,
}

impl PendingLogin {
    /// The URL to open in the system browser.
    pub fn authorize_url(&self) -> &Url {
        &self.authorize_url
    }

    /// The authorize request's parameters exactly as the browser is sent them (a QA view shows them; no secret is
    /// among them: the PKCE verifier and the nonce's secret half never leave the engine).
    pub fn authorize_params(&self) -> &[(String, String)] {
        &self.authorize_params
    }

    /// `http://127.0.0.1:PORT/callback`.
    pub fn redirect_uri(&self) -> &Url {
        &self.redirect_uri
    }

    /// A handle that cancels this sign-in.
    pub fn cancel_handle(&self) -> CancelHandle {
        CancelHandle(self.cancel.clone())
    }

    /// A handle that completes this sign-in with the address the browser ended on, pasted by a person whose
    /// browser could not reach this machine's loopback listener (SSH, a container). It is checked exactly as a
    /// request to the listener is; the first good one counts, whichever way it came.
    pub fn paste_handle(&self) -> listener::PasteHandle {
        self.paste.clone()
    }

    /// Wait for the browser to come back, then exchange the code, verify the ID token and store the session.
    pub async fn wait(mut self) -> Result<Session, LoginError> {
        // Held until the browser has its page (below); also closes the listener if this future is dropped.
        let _close = self.close_on_drop.take();
        let callback = tokio::select! {
            () = self.cancel.cancelled() => Err(LoginError::Cancelled),
            () = tokio::time::sleep_until(self.deadline) => Err(LoginError::TimedOut(self.timeout)),
            cb = self.rx.recv() => cb.ok_or(LoginError::Cancelled),
        };
        let callback = match callback {
            Ok(cb) => cb,
            Err(e) => {
                self.stop.cancel();
                return Err(e);
            }
        };
        let Callback { params, reply } = callback;
        let stop = self.stop.clone();
        let cancel = self.cancel.clone();
        let result = tokio::select! {
            r = self.receive(params) => r,
            () = cancel.cancelled() => Err(LoginError::Cancelled),
        };
        let page = match &result {
            Ok(s) => Page {
                ok: true,
                title: "Signed in".into(),
                detail: format!(
                    "Signed in as {} to {}.",
                    s.meta
                        .email
                        .as_deref()
                        .or(s.meta.name.as_deref())
                        .unwrap_or(&s.meta.sub),
                    s.meta
                        .org_name
                        .as_deref()
                        .or(s.meta.key.org_id.as_deref())
                        .map(|o| format!("organization {o}"))
                        .unwrap_or_else(|| "your account".into())
                ),
            },
            Err(e) => Page {
                ok: false,
                title: "Sign-in failed".into(),
                detail: e.to_string(),
            },
        };
        listener::respond_to(reply, page).await;
        stop.cancel();
        result
    }

    async fn receive(self, params: CallbackParams) -> Result<Session, LoginError> {
        // RFC 9207: `iss` must match when present, and is required when the provider advertises it.
        match (
            &params.iss,
            self.meta.authorization_response_iss_parameter_supported,
        ) {
            (Some(iss), _) if *iss != self.meta.issuer => {
                return Err(LoginError::IssMismatch {
                    got: iss.clone(),
                    want: self.meta.issuer.clone(),
                });
            }
            (None, true) => return Err(LoginError::IssMissing),
            _ => {}
        }
        if let Some(error) = params.error {
            return Err(LoginError::Idp {
                error,
                description: params.error_description,
            });
        }
        let Some(code) = params.code else {
            return Err(LoginError::MissingCode);
        };
        CallbackReceived {
            client: self.client,
            meta: self.meta,
            redirect_uri: self.redirect_uri,
            code,
            verifier: self.verifier,
            nonce: self.nonce,
            org_check: self.org_check,
            found_by_email: self.found_by_email,
            dpop: self.dpop,
        }
        .exchange()
        .await
    }
}

impl CallbackReceived {
    async fn exchange(self) -> Result<Session, LoginError> {
        let client = &self.client;
        let result = client
            .oauth(&self.meta, Some(&self.redirect_uri))
            .exchange_code(AuthorizationCode::new(self.code.secret().to_owned()))
            .set_pkce_verifier(self.verifier)
            .request_async(&token_http::client(
                &client.inner.http,
                self.dpop.clone().map(|k| client.binding(k)),
            ))
            .await;
        let resp = match result {
            Ok(r) => r,
            Err(RequestTokenError::ServerResponse(e)) => {
                return Err(LoginError::TokenEndpoint {
                    error: e.error().to_string(),
                    description: e.error_description().cloned(),
                });
            }
            Err(RequestTokenError::Request(e @ TokenHttpError::ServerFailed { .. })) => {
                return Err(LoginError::ServerFailed(e.to_string()));
            }
            Err(RequestTokenError::Request(TokenHttpError::Transport(net))) => {
                return Err(LoginError::Network(net));
            }
            Err(RequestTokenError::Request(e)) => {
                return Err(LoginError::Transport(transport_reason(&e)));
            }
            Err(RequestTokenError::Parse(e, _body)) => {
                return Err(LoginError::BadResponse(format!(
                    "unparseable JSON at {}",
                    e.path()
                )));
            }
            Err(RequestTokenError::Other(m)) => return Err(LoginError::BadResponse(m)),
        };
        let token_type = token_type(&resp);
        if self.dpop.is_some() && !token_type.eq_ignore_ascii_case("DPoP") {
            return Err(LoginError::NotBound(token_type));
        }
        let id_token = resp
            .extra_fields()
            .id_token
            .clone()
            .ok_or(LoginError::NoIdToken)?;
        let now = client.inner.clock.now();
        let jwks = client.jwks().await?;
        let expected = Expected {
            nonce: Some(self.nonce.secret()),
            org: self.org_check.clone(),
            sub: None,
        };
        let claims = client
            .verifier(&self.meta)
            .verify(&id_token, &expected, &jwks, now)
            .await
            .map_err(|e| match e {
                IdTokenError::OrgIdRequired if self.found_by_email => {
                    LoginError::NoOrganizationFound
                }
                e => e.into(),
            })?;
        // The allow-list holds however the organization was chosen (named, invited, found by email): an
        // organization outside it is refused before anything is stored.
        if let Some(org_id) = &claims.org_id
            && !client.inner.config.allows_organization(org_id)
        {
            return Err(LoginError::OrgNotAllowed {
                org_id: org_id.clone(),
                org_name: claims.org_name.clone(),
                allowed: super::allowed_list(&client.inner.config),
            });
        }
        let refresh_token = resp
            .refresh_token()
            .map(|r| Secret::new(r.secret().clone()));
        let session = Session {
            meta: SessionMeta {
                key: SessionKey {
                    issuer: self.meta.issuer.clone(),
                    client_id: client.inner.config.client_id.clone(),
                    org_id: claims.org_id.clone(),
                },
                org_name: claims.org_name.clone(),
                sub: claims.sub.clone(),
                email: claims.email.clone(),
                name: claims.name.clone(),
                picture: claims.picture.clone(),
                expires_at: expiry(&resp, now, claims.exp),
                refreshable: refresh_token.is_some(),
                refreshed_at: None,
                audience: client.inner.config.audience.clone(),
                dpop_jkt: self.dpop.as_ref().map(|k| k.thumbprint().to_owned()),
                found_by_email: self.found_by_email,
            },
            access_token: Secret::new(resp.access_token().secret().clone()),
            refresh_token,
            id_token: Secret::new(id_token),
            scope: resp
                .scopes()
                .map(|s| s.iter().map(|s| s.as_str()).collect::<Vec<_>>().join(" ")),
            token_type,
            dpop_key: self.dpop.as_deref().map(crate::dpop::stored),
            apis: Default::default(),
        };
        let _guard = client.guard_or_proceed(&session.meta.key).await;
        let store = client.inner.store.clone();
        let to_save = session.clone();
        tokio::task::spawn_blocking(move || store.save(&to_save))
            .await
            .expect("store task")?;
        tracing::info!(org_id = ?session.meta.key.org_id, "signed in; session stored in the keychain");
        Ok(session)
    }
}
