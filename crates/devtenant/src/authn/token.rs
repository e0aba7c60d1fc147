//! `/oauth/token` (authorization_code with PKCE, refresh_token with rotation and reuse detection, and
//! client_credentials by [`super::client_credentials`]) and `/oauth/revoke`, plus the ID/access token builders.

use std::collections::HashMap;

use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD as B64};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use crate::AppState;
use crate::error::OAuthError;
use crate::store::{Client, RefreshRecord, Tenant, digest, random_token};

/// Parses an `application/x-www-form-urlencoded` or JSON body into parameters (Auth0 accepts both).
pub fn params(headers: &HeaderMap, body: &[u8]) -> Result<HashMap<String, String>, OAuthError> {
    let is_json = headers
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json"));
    if is_json {
        let v: serde_json::Map<String, Value> = serde_json::from_slice(body)
            .map_err(|_| OAuthError::invalid_request("Invalid request payload JSON format"))?;
        Ok(v.into_iter()
            .filter_map(|(k, v)| match v {
                Value::String(s) => Some((k, s)),
                Value::Null => None,
                other => Some((k, other.to_string())),
            })
            .collect())
    } else {
        Ok(url::form_urlencoded::parse(body).into_owned().collect())
    }
}

/// Client authentication: HTTP Basic or `client_id`/`client_secret` in the body. Public clients send only `client_id`.
fn authenticate(
    t: &Tenant,
    headers: &HeaderMap,
    p: &HashMap<String, String>,
) -> Result<Client, OAuthError> {
    let unauthorized =
        || OAuthError::new(StatusCode::UNAUTHORIZED, "access_denied", "Unauthorized");
    let basic = headers
        .get("authorization")
        .and_then(|h| h.to_str().ok())
        .and_then(|h| h.strip_prefix("Basic "))
        .and_then(|b| STANDARD.decode(b.trim()).ok())
        .and_then(|b| String::from_utf8(b).ok())
        .and_then(|s| s.split_once(':').map(|(a, b)| (a.to_owned(), b.to_owned())));
    let (client_id, secret) = match basic {
        Some((id, s)) => (Some(id), Some(s)),
        None => (p.get("client_id").cloned(), p.get("client_secret").cloned()),
    };
    let client_id = client_id
        .ok_or_else(|| OAuthError::invalid_request("Missing required parameter: client_id"))?;
    let client = t.store.client(&client_id).ok_or_else(unauthorized)?.clone();
    match (&client.client_secret, secret) {
        (None, None) => Ok(client),
        (Some(expected), Some(given)) if expected.matches(&given) => Ok(client),
        _ => Err(unauthorized()),
    }
}

pub(super) fn require_grant(client: &Client, grant: &str) -> Result<(), OAuthError> {
    if client.grant_types.iter().any(|g| g == grant) {
        Ok(())
    } else {
        Err(OAuthError::new(
            StatusCode::FORBIDDEN,
            "unauthorized_client",
            format!("Grant type '{grant}' not allowed for the client."),
        ))
    }
}

fn required<'a>(p: &'a HashMap<String, String>, name: &str) -> Result<&'a str, OAuthError> {
    p.get(name)
        .map(String::as_str)
        .filter(|v| !v.is_empty())
        .ok_or_else(|| OAuthError::invalid_request(format!("Missing required parameter: {name}")))
}

/// The fault injected into the next token request, if any (consumed here).
pub(crate) async fn apply_fault(
    state: &AppState,
    which: crate::faults::Target,
) -> Option<Response> {
    let fault = {
        let mut t = state.lock();
        let slot = match which {
            crate::faults::Target::Token => &mut t.token_fault,
            crate::faults::Target::Jwks => &mut t.jwks_fault,
        };
        let f = (*slot)?;
        *slot = if f.remaining > 1 {
            Some(crate::store::Fault {
                remaining: f.remaining - 1,
                ..f
            })
        } else {
            None
        };
        f
    };
    match fault.mode {
        crate::store::FaultMode::Slow => {
            tokio::time::sleep(std::time::Duration::from_millis(fault.delay_ms)).await;
            None
        }
        crate::store::FaultMode::Fail => Some(
            OAuthError::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "temporarily_unavailable",
                "devtenant fault: failing on purpose",
            )
            .into_response(),
        ),
        crate::store::FaultMode::Garbage => Some(
            (
                StatusCode::OK,
                [("content-type", "application/json")],
                "<html>not json}{",
            )
                .into_response(),
        ),
    }
}

pub async fn token(State(state): State<AppState>, headers: HeaderMap, body: Bytes) -> Response {
    if let Some(r) = apply_fault(&state, crate::faults::Target::Token).await {
        return r;
    }
    match token_inner(&state, &headers, &body) {
        Ok(v) => ([("cache-control", "no-store")], Json(v)).into_response(),
        Err(e) => {
            tracing::info!(error = e.error, description = %e.description, "token request refused");
            e.into_response()
        }
    }
}

fn token_inner(state: &AppState, headers: &HeaderMap, body: &[u8]) -> Result<Value, OAuthError> {
    let p = params(headers, body)?;
    let grant = required(&p, "grant_type")?;
    let mut t = state.lock();
    let client = authenticate(&t, headers, &p)?;
    let token_url = format!("{}oauth/token", state.issuer_str());
    let jkt = super::dpop::check(&mut t.dpop, headers, &token_url, &client, crate::now_unix())?;
    let jkt = jkt.as_deref();
    let out = match grant {
        "client_credentials" => super::client_credentials::issue(state, &t, &client, &p),
        "authorization_code" => authorization_code(state, &mut t, &client, &p, jkt),
        "refresh_token" => refresh(state, &mut t, &client, &p, jkt),
        other => Err(OAuthError::new(
            StatusCode::FORBIDDEN,
            "unsupported_grant_type",
            format!("Unsupported grant type: {other}"),
        )),
    };
    if out.is_ok() && grant != "client_credentials" {
        state.persist(&t);
    }
    out
}

/// PKCE S256: BASE64URL(SHA256(verifier)) == challenge, with RFC 7636's verifier syntax.
pub fn pkce_matches(verifier: &str, challenge: &str) -> bool {
    let syntax_ok = (43..=128).contains(&verifier.len())
        && verifier
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-._~".contains(&b));
    syntax_ok && B64.encode(Sha256::digest(verifier.as_bytes())) == challenge
}

fn authorization_code(
    state: &AppState,
    t: &mut Tenant,
    client: &Client,
    p: &HashMap<String, String>,
    jkt: Option<&str>,
) -> Result<Value, OAuthError> {
    require_grant(client, "authorization_code")?;
    let code_value = required(p, "code")?;
    // Single use: the code is removed before anything else is checked.
    let code = t
        .codes
        .remove(&digest(code_value))
        .ok_or_else(|| OAuthError::invalid_grant("Invalid authorization code"))?;
    if code.expires_at <= crate::now_unix() {
        return Err(OAuthError::invalid_grant("Invalid authorization code"));
    }
    if code.client_id != client.client_id {
        return Err(OAuthError::invalid_grant("Invalid authorization code"));
    }
    match p.get("redirect_uri") {
        Some(r) if *r == code.redirect_uri => {}
        _ => {
            return Err(OAuthError::invalid_grant(
                "Unable to verify redirect_uri: it must match the one sent to /authorize",
            ));
        }
    }
    match (&code.code_challenge, p.get("code_verifier")) {
        (Some(challenge), Some(verifier)) if pkce_matches(verifier, challenge) => {}
        (Some(_), _) => return Err(OAuthError::invalid_grant("Failed to verify code verifier")),
        (None, Some(_)) => return Err(OAuthError::invalid_grant("Failed to verify code verifier")),
        (None, None) => {}
    }
    if let Some(bound) = &code.dpop_jkt
        && jkt != Some(bound.as_str())
    {
        return Err(OAuthError::new(
            StatusCode::BAD_REQUEST,
            "invalid_dpop_proof",
            "The DPoP proof's key does not match the dpop_jkt sent to /authorize",
        ));
    }
    issue_user_tokens(
        state,
        t,
        client,
        &code.user_id,
        code.org_id.as_deref(),
        &code.scope,
        code.audience.as_deref(),
        code.nonce.as_deref(),
        &code.sid,
        code.auth_time,
        None,
        jkt,
    )
}

fn refresh(
    state: &AppState,
    t: &mut Tenant,
    client: &Client,
    p: &HashMap<String, String>,
    jkt: Option<&str>,
) -> Result<Value, OAuthError> {
    require_grant(client, "refresh_token")?;
    let value = required(p, "refresh_token")?;
    let key = digest(value);
    let invalid = || OAuthError::invalid_grant("Unknown or invalid refresh token.");
    let record = t
        .store
        .refresh_tokens
        .get(&key)
        .cloned()
        .ok_or_else(invalid)?;
    if record.client_id != client.client_id {
        return Err(invalid());
    }
    // Auth0's rotation overlap: within `leeway` seconds of its first exchange the previous refresh token (the one
    // whose successors are all unused) may be exchanged again, for a new refresh token of the same family, without
    // reuse detection. Any other reuse is a breach.
    let token_now = t.token_now();
    let overlapping = record.used
        && client.refresh_token_leeway > 0
        && record
            .used_at
            .is_some_and(|at| token_now - at <= client.refresh_token_leeway as i64)
        && !t
            .store
            .refresh_tokens
            .values()
            .any(|r| r.parent.as_deref() == Some(key.as_str()) && r.used);
    if record.used && !overlapping {
        // Reuse of a rotated token: revoke the whole family (RFC 9700 §4.14.2).
        tracing::warn!(family = %record.family, "refresh token reuse detected; revoking the family");
        t.store
            .refresh_tokens
            .retain(|_, r| r.family != record.family);
        state.persist(t);
        return Err(invalid());
    }
    if let Some(bound) = &record.jkt
        && jkt != Some(bound.as_str())
    {
        // A copied refresh token without the key is of no use; it is not spent by the attempt.
        return Err(OAuthError::new(
            StatusCode::BAD_REQUEST,
            "invalid_dpop_proof",
            "This refresh token is bound to a DPoP key: the request needs a DPoP proof by that key",
        ));
    }
    let now = crate::now_unix();
    if record.family_expires_at <= now || record.idle_expires_at <= now {
        t.store.refresh_tokens.remove(&key);
        return Err(invalid());
    }
    // Spent (rotated) only by an exchange that goes ahead: a refused scope leaves it usable for a corrected retry.
    let spend = |t: &mut Tenant| {
        if let Some(entry) = t.store.refresh_tokens.get_mut(&key) {
            entry.used = true;
            entry.used_at.get_or_insert(token_now);
        }
    };
    let asked = p
        .get("audience")
        .filter(|a| Some(a.as_str()) != record.audience.as_deref());
    if asked.is_some_and(|a| *a == state.session_transfer_audience()) {
        spend(t);
        return session_transfer(state, t, client, &record, jkt);
    }
    // Multi-Resource Refresh Tokens: another API, when the client's policies name it. Outside them Auth0 ignores
    // the audience and answers for the sign-in's API, and so does devtenant.
    let policy = asked.and_then(|audience| {
        client.refresh_token_policies.iter().find(|pol| {
            &pol.audience == audience && t.store.apis.iter().any(|a| &a.identifier == audience)
        })
    });
    let (scope, audience) = match policy {
        Some(policy) => (
            policy_scope(
                p.get("scope").map(String::as_str),
                &policy.scope,
                &record.scope,
            )?,
            Some(policy.audience.clone()),
        ),
        None => (
            asked_scope(p.get("scope"), &record.scope)?,
            record.audience.clone(),
        ),
    };
    spend(t);
    let auth_time = session_auth_time(t, &record, now);
    let out = issue_user_tokens(
        state,
        t,
        client,
        &record.user_id,
        record.org_id.as_deref(),
        &scope,
        audience.as_deref(),
        None,
        &record.sid,
        auth_time,
        Some(&record),
        jkt,
    )?;
    if let Some(next) = out["refresh_token"].as_str()
        && let Some(successor) = t.store.refresh_tokens.get_mut(&digest(next))
    {
        successor.parent = Some(key);
    }
    Ok(out)
}

/// The scope of a plain refresh: what was asked, within the original grant, or the whole grant.
fn asked_scope(asked: Option<&String>, granted: &str) -> Result<String, OAuthError> {
    match asked {
        Some(s) if !s.split(' ').all(|x| granted.split(' ').any(|y| y == x)) => {
            Err(OAuthError::new(
                StatusCode::FORBIDDEN,
                "invalid_scope",
                "The requested scope exceeds the original grant",
            ))
        }
        Some(s) => Ok(s.clone()),
        None => Ok(granted.to_owned()),
    }
}

/// When the person signed in (the SSO session of the refresh token's family), or `now` when it has ended.
fn session_auth_time(t: &Tenant, record: &RefreshRecord, now: i64) -> i64 {
    t.store
        .sessions
        .values()
        .find(|s| s.sid == record.sid)
        .map(|s| s.auth_time)
        .unwrap_or(now)
}

/// The scope of a refresh for another API: what was asked (or, when nothing was, the whole policy) within the
/// policy, with the OpenID Connect scopes of the original grant so the ID token keeps its claims. Asking beyond
/// the policy is refused, like asking beyond the original grant.
fn policy_scope(
    asked: Option<&str>,
    policy: &[String],
    granted: &str,
) -> Result<String, OAuthError> {
    const OIDC: &[&str] = &["openid", "profile", "email"];
    let api: Vec<&str> = match asked {
        Some(s) => s
            .split(' ')
            .filter(|x| !x.is_empty() && !OIDC.contains(x))
            .collect(),
        None => policy.iter().map(String::as_str).collect(),
    };
    if let Some(beyond) = api.iter().find(|x| !policy.iter().any(|p| p == *x)) {
        return Err(OAuthError::new(
            StatusCode::FORBIDDEN,
            "invalid_scope",
            format!(
                "The requested scope {beyond} is not in the application's refresh token policy for this API"
            ),
        ));
    }
    let oidc = granted.split(' ').filter(|x| OIDC.contains(x));
    Ok(oidc.chain(api).collect::<Vec<_>>().join(" "))
}

/// A refresh for `urn:<tenant>:session_transfer` (Native to Web SSO): a session transfer token, single use and
/// valid 60 s, for this person in this organization; the refresh token rotates as on any refresh.
fn session_transfer(
    state: &AppState,
    t: &mut Tenant,
    client: &Client,
    record: &RefreshRecord,
    jkt: Option<&str>,
) -> Result<Value, OAuthError> {
    if !client.session_transfer.can_create_session_transfer_token {
        return Err(OAuthError::new(
            StatusCode::FORBIDDEN,
            "unauthorized_client",
            "The client is not allowed to create session transfer tokens (session_transfer.can_create_session_transfer_token is off)",
        ));
    }
    // The tenant's clock for tokens (with any injected skew), so a test can let one expire.
    let now = t.token_now();
    let value = random_token(32);
    t.transfers.insert(
        digest(&value),
        crate::store::Transfer {
            user_id: record.user_id.clone(),
            org_id: record.org_id.clone(),
            expires_at: now + SESSION_TRANSFER_LIFETIME_SECS,
        },
    );
    let auth_time = session_auth_time(t, record, now);
    // The rotation of a plain refresh, whose access and ID tokens are not handed out.
    let rotated = issue_user_tokens(
        state,
        t,
        client,
        &record.user_id,
        record.org_id.as_deref(),
        &record.scope,
        record.audience.as_deref(),
        None,
        &record.sid,
        auth_time,
        Some(record),
        jkt,
    )?;
    let mut out = json!({
        "access_token": value,
        "issued_token_type": "urn:auth0:params:oauth:token-type:session_transfer_token",
        "token_type": "N_A",
        "expires_in": SESSION_TRANSFER_LIFETIME_SECS,
    });
    if let Some(rt) = rotated.get("refresh_token") {
        out["refresh_token"] = rt.clone();
    }
    Ok(out)
}

/// How long a session transfer token may wait to be used (Auth0: one minute).
pub const SESSION_TRANSFER_LIFETIME_SECS: i64 = 60;

/// The scopes a user's token carries, as Auth0 grants them without RBAC: the OpenID Connect ones, plus those the
/// API (the `audience`) defines; a scope the API does not define is dropped. An API that defines no scopes
/// (older seeds) grants whatever was asked.
fn granted_scope(asked: &[&str], api: Option<&crate::store::Api>) -> String {
    const OIDC: &[&str] = &[
        "openid",
        "profile",
        "email",
        "address",
        "phone",
        "offline_access",
    ];
    asked
        .iter()
        .filter(|s| match api {
            Some(api) if !api.scopes.is_empty() => {
                OIDC.contains(s) || api.scopes.iter().any(|d| d == *s)
            }
            _ => true,
        })
        .copied()
        .collect::<Vec<_>>()
        .join(" ")
}

/// Issues ID token, access token and (with `offline_access`) a refresh token in the same family as `parent`.
#[allow(clippy::too_many_arguments)]
fn issue_user_tokens(
    state: &AppState,
    t: &mut Tenant,
    client: &Client,
    user_id: &str,
    org_id: Option<&str>,
    scope: &str,
    audience: Option<&str>,
    nonce: Option<&str>,
    sid: &str,
    auth_time: i64,
    parent: Option<&RefreshRecord>,
    jkt: Option<&str>,
) -> Result<Value, OAuthError> {
    let user = t
        .store
        .user(user_id)
        .cloned()
        .ok_or_else(|| OAuthError::invalid_grant("The user no longer exists"))?;
    let org = org_id.and_then(|id| t.store.org(id)).cloned();
    if let Some(org) = &org
        && !org.members.iter().any(|m| m == user_id)
    {
        return Err(OAuthError::invalid_grant(
            "The user is no longer a member of the organization",
        ));
    }
    let with_names = t
        .store
        .settings
        .allow_organization_name_in_authentication_api;
    let now = t.token_now();
    let settings = t.store.settings.clone();
    let scopes: Vec<&str> = scope.split(' ').filter(|s| !s.is_empty()).collect();
    let granted = granted_scope(
        &scopes,
        audience.and_then(|a| t.store.apis.iter().find(|api| api.identifier == a)),
    );
    let scope = granted.as_str();
    let mut id_claims = json!({
        "iss": state.issuer_str(),
        "sub": user.user_id,
        "aud": client.client_id,
        "iat": now,
        "exp": now + settings.id_token_lifetime_secs,
        "auth_time": auth_time,
        "sid": sid,
    });
    if scopes.contains(&"email") {
        id_claims["email"] = json!(user.email);
        id_claims["email_verified"] = json!(user.email_verified);
    }
    if scopes.contains(&"profile") {
        id_claims["name"] = json!(user.name);
        id_claims["nickname"] = json!(user.email.split('@').next().unwrap_or_default());
        id_claims["updated_at"] = json!(user.created_at);
    }
    if let Some(n) = nonce {
        id_claims["nonce"] = json!(n);
    }
    let userinfo = format!("{}userinfo", state.issuer_str());
    let aud = match audience {
        Some(a) => json!([a, userinfo]),
        None => json!(userinfo),
    };
    let mut access_claims = json!({
        "iss": state.issuer_str(),
        "sub": user.user_id,
        "aud": aud,
        "iat": now,
        "exp": now + settings.access_token_lifetime_secs,
        "scope": scope,
        "azp": client.client_id,
        "jti": random_token(12),
    });
    if let Some(jkt) = jkt {
        access_claims["cnf"] = json!({ "jkt": jkt });
    }
    if let Some(org) = &org {
        for c in [&mut id_claims, &mut access_claims] {
            c["org_id"] = json!(org.id);
            if with_names {
                c["org_name"] = json!(org.name);
            }
        }
    }
    let mut out = json!({
        "access_token": t.keys.current.sign(&access_claims),
        "id_token": t.keys.current.sign(&id_claims),
        "scope": scope,
        "expires_in": settings.access_token_lifetime_secs,
        "token_type": if jkt.is_some() { "DPoP" } else { "Bearer" },
    });
    // A refresh token keeps its grant: the scope and API of the sign-in, whatever this token was asked for.
    let rt_scope = parent.map_or(scope, |p| p.scope.as_str());
    let rt_audience = parent.map_or(audience, |p| p.audience.as_deref());
    let api_allows_offline = rt_audience.is_none_or(|a| {
        t.store
            .apis
            .iter()
            .any(|api| api.identifier == a && api.allow_offline_access)
    });
    if rt_scope.split(' ').any(|s| s == "offline_access")
        && api_allows_offline
        && client.grant_types.iter().any(|g| g == "refresh_token")
    {
        let real_now = crate::now_unix();
        let value = random_token(32);
        let record = RefreshRecord {
            family: parent
                .map(|p| p.family.clone())
                .unwrap_or_else(|| random_token(12)),
            client_id: client.client_id.clone(),
            user_id: user.user_id.clone(),
            org_id: org.as_ref().map(|o| o.id.clone()),
            scope: rt_scope.to_owned(),
            audience: rt_audience.map(str::to_owned),
            sid: sid.to_owned(),
            used: false,
            family_expires_at: parent
                .map(|p| p.family_expires_at)
                .unwrap_or(real_now + settings.refresh_token_absolute_lifetime_secs),
            idle_expires_at: real_now + settings.refresh_token_idle_lifetime_secs,
            // Auth0 binds a public client's refresh token to the DPoP key; a confidential client has its secret.
            jkt: jkt.filter(|_| client.is_public()).map(str::to_owned),
            used_at: None,
            parent: None,
        };
        t.store.refresh_tokens.insert(digest(&value), record);
        out["refresh_token"] = json!(value);
    }
    Ok(out)
}

/// `POST /oauth/revoke`: revokes a refresh token and its whole family. Always 200 for unknown tokens (RFC 7009).
/// A refresh token bound to a DPoP key is revoked only with a proof by that key (and the nonce dance of the token
/// endpoint): whoever copied the token without the key cannot use it, nor sign its owner out.
pub async fn revoke(State(state): State<AppState>, headers: HeaderMap, body: Bytes) -> Response {
    let result = (|| {
        let p = params(&headers, &body)?;
        let mut t = state.lock();
        let client = authenticate(&t, &headers, &p)?;
        let token = required(&p, "token")?;
        let revoke_url = format!("{}oauth/revoke", state.issuer_str());
        let jkt = super::dpop::check(
            &mut t.dpop,
            &headers,
            &revoke_url,
            &client,
            crate::now_unix(),
        )?;
        if let Some(record) = t.store.refresh_tokens.get(&digest(token)).cloned() {
            if record.client_id != client.client_id {
                return Err(OAuthError::new(
                    StatusCode::FORBIDDEN,
                    "invalid_request",
                    "The refresh token was issued to another client",
                ));
            }
            if let Some(bound) = &record.jkt
                && jkt.as_deref() != Some(bound.as_str())
            {
                return Err(OAuthError::new(
                    StatusCode::BAD_REQUEST,
                    "invalid_dpop_proof",
                    "This refresh token is bound to a DPoP key: revoking it needs a DPoP proof by that key",
                ));
            }
            t.store
                .refresh_tokens
                .retain(|_, r| r.family != record.family);
            state.persist(&t);
        }
        Ok(())
    })();
    match result {
        Ok(()) => StatusCode::OK.into_response(),
        Err(e) => e.into_response(),
    }
}

#[cfg(test)]
mod tests {
    use super::granted_scope;
    use crate::store::Api;

    #[test]
    fn user_tokens_carry_only_scopes_the_api_defines() {
        let api = |scopes: &[&str]| Api {
            identifier: "https://api.orgpass.example/".into(),
            name: "API".into(),
            allow_offline_access: true,
            scopes: scopes.iter().map(|s| s.to_string()).collect(),
        };
        let projects = api(&["read:projects", "write:projects"]);
        let legacy = api(&[]);
        let rows: [(&str, Option<&Api>, &str); 5] = [
            (
                "openid profile read:projects",
                Some(&projects),
                "openid profile read:projects",
            ),
            (
                "openid read:projects delete:everything",
                Some(&projects),
                "openid read:projects",
            ),
            (
                "openid offline_access write:projects email",
                Some(&projects),
                "openid offline_access write:projects email",
            ),
            (
                "openid delete:everything",
                Some(&legacy),
                "openid delete:everything",
            ),
            ("openid read:projects", None, "openid read:projects"),
        ];
        for (asked, api, want) in rows {
            let asked: Vec<&str> = asked.split(' ').collect();
            assert_eq!(granted_scope(&asked, api), want, "{asked:?}");
        }
    }
}
