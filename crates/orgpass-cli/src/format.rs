//! How `orgpass token` prints the access token: bare, as JSON, as an HTTP header line, or as the ExecCredential a
//! kubectl credential plugin prints.

use orgpass::AccessToken;
use serde_json::json;

use crate::describe::rfc3339;

/// `orgpass token --format`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// The bare access token.
    Token,
    /// A JSON object: access_token, token_type, expires_at, org_id, org_name, sub, refreshed.
    Json,
    /// `Authorization: Bearer <token>`, one line (for `curl -H @-`).
    Header,
    /// A Kubernetes client-go ExecCredential (client.authentication.k8s.io/v1), for a kubeconfig `exec` entry.
    ExecCredential,
}

/// What `orgpass token` prints on stdout (one line; `println!` ends it).
pub fn render(format: Format, t: &AccessToken) -> String {
    match format {
        Format::Token => t.token.secret().to_owned(),
        Format::Json => json!({
            "access_token": t.token.secret(),
            "token_type": t.token_type,
            "expires_at": rfc3339(t.expires_at),
            "org_id": t.meta.key.org_id,
            "org_name": t.meta.org_name,
            "sub": t.meta.sub,
            "refreshed": t.refreshed,
        })
        .to_string(),
        // Always `Bearer`: the header scheme is case-insensitive (RFC 9110 §11.1) but some providers report
        // `token_type` as `bearer`, and servers that compare it exactly expect `Bearer`.
        Format::Header => format!("Authorization: Bearer {}", t.token.secret()),
        // client-go caches the token until `expirationTimestamp` and runs the plugin again after it.
        Format::ExecCredential => json!({
            "apiVersion": "client.authentication.k8s.io/v1",
            "kind": "ExecCredential",
            "status": {
                "token": t.token.secret(),
                "expirationTimestamp": rfc3339(t.expires_at),
            },
        })
        .to_string(),
    }
}

/// What `orgpass token --dpop-method M --dpop-url URL` prints for a bound session: the two header lines of that
/// one request (for `curl -H @-`), or, with `--json`, both values and the expiry.
pub fn render_bound(format: Format, t: &AccessToken, proof: &str) -> String {
    match format {
        Format::Json => json!({
            "authorization": format!("DPoP {}", t.token.secret()),
            "dpop": proof,
            "expires_at": rfc3339(t.expires_at),
            "org_id": t.meta.key.org_id,
        })
        .to_string(),
        _ => format!("Authorization: DPoP {}\nDPoP: {proof}", t.token.secret()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use orgpass::{Secret, SessionKey, SessionMeta};

    fn token() -> AccessToken {
        AccessToken {
            dpop_key: None,
            token: Secret::new("at-123"),
            token_type: "bearer".into(),
            expires_at: 1_800_000_000,
            audience: None,
            meta: SessionMeta {
                key: SessionKey {
                    issuer: "https://acme.example/".into(),
                    client_id: "cid".into(),
                    org_id: Some("org_1".into()),
                },
                org_name: Some("acme".into()),
                sub: "auth0|alice".into(),
                email: None,
                name: None,
                picture: None,
                expires_at: 1_800_000_000,
                refreshable: true,
                refreshed_at: None,
                audience: None,
                dpop_jkt: None,
                found_by_email: false,
            },
            refreshed: false,
        }
    }

    #[test]
    fn every_format() {
        let t = token();
        assert_eq!(render(Format::Token, &t), "at-123");
        assert_eq!(
            render(Format::Header, &t),
            "Authorization: Bearer at-123",
            "Bearer whatever the provider's token_type spelling"
        );
        let json: serde_json::Value = serde_json::from_str(&render(Format::Json, &t)).unwrap();
        assert_eq!(json["access_token"], "at-123");
        assert_eq!(json["expires_at"], "2027-01-15T08:00:00Z");
        let cred: serde_json::Value =
            serde_json::from_str(&render(Format::ExecCredential, &t)).unwrap();
        assert_eq!(
            cred,
            json!({
                "apiVersion": "client.authentication.k8s.io/v1",
                "kind": "ExecCredential",
                "status": {"token": "at-123", "expirationTimestamp": "2027-01-15T08:00:00Z"},
            })
        );
    }
}
