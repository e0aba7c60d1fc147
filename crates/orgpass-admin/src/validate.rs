//! Auth0's input rules for organizations, branding, metadata, connections, invitations and ids, checked before
//! sending.

use std::collections::BTreeMap;

use crate::Tenant;

/// Most metadata entries an organization may carry.
pub const MAX_METADATA_ENTRIES: usize = 25;
/// Longest metadata value (and key).
pub const MAX_METADATA_CHARS: usize = 255;
/// Most connections `POST /organizations` accepts in `enabled_connections`.
pub const MAX_CONNECTIONS_ON_CREATE: usize = 10;
/// Longest invitation lifetime Auth0 accepts (30 days).
pub const MAX_INVITATION_TTL_SEC: u64 = 2_592_000;
/// Longest organization, connection or invitation id, prefix included (the Management API's `maxLength` for an
/// organization id; Auth0 issues them as the prefix and 16 letters or digits).
pub const MAX_ID_CHARS: usize = 50;
/// Longest user id.
pub const MAX_USER_ID_CHARS: usize = 255;

/// One broken rule, saying which and how to fix it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ValidationError {
    #[error(
        "organization name {0:?} is invalid: use 1–50 lowercase letters, digits, '_' or '-' (e.g. \"acme-corp\")"
    )]
    OrgName(String),
    #[error("display name must be 1–255 characters (got {0})")]
    DisplayName(usize),
    #[error(
        "{field} colour {value:?} is not a hex colour: write it as #rgb or #rrggbb (e.g. \"#0059d6\")"
    )]
    Colour { field: &'static str, value: String },
    #[error("branding colours need both primary and page_background")]
    ColoursIncomplete,
    #[error(
        "logo URL {0:?} must be an absolute https:// URL (plain http:// only for a loopback logo on a loopback \
         devtenant)"
    )]
    LogoUrl(String),
    #[error("metadata has {0} entries; Auth0 allows at most 25")]
    MetadataCount(usize),
    #[error("metadata key {0:?} must be 1–255 characters")]
    MetadataKey(String),
    #[error("metadata value for {key:?} has {len} characters; Auth0 allows at most 255")]
    MetadataValue { key: String, len: usize },
    #[error(
        "an organization can be created with at most 10 connections (got {0}); enable the rest afterwards"
    )]
    TooManyConnections(usize),
    #[error(
        "is_signup_enabled needs assign_membership_on_login = true (connection {0:?}): sign-ups must become members"
    )]
    SignupWithoutAssign(String),
    #[error("is_signup_enabled applies to database connections only; {name:?} is {strategy:?}")]
    SignupNotDatabase { name: String, strategy: String },
    #[error("invitation ttl of {0} s is too long: at most 2592000 (30 days)")]
    InvitationTtl(u64),
    #[error("{0:?} is not an email address")]
    Email(String),
    #[error(
        "organization id {0:?} is invalid: an organization id is \"org_\" and then only letters and digits, at most \
         50 characters in all (e.g. \"org_AcmeA1b2C3d4E5f6\"); `orgpass-admin orgs list` shows them"
    )]
    OrgId(String),
    #[error(
        "connection id {0:?} is invalid: a connection id is \"con_\" and then only letters and digits, at most 50 \
         characters in all (e.g. \"con_DbAaaaaaaaaaaa01\"); `orgpass-admin connections list` shows them"
    )]
    ConnectionId(String),
    #[error(
        "invitation id {0:?} is invalid: an invitation id is \"uinv_\" and then only letters and digits, at most 50 \
         characters in all (e.g. \"uinv_A1b2C3d4E5f6G7h8\"); `orgpass-admin orgs invitations list ORG` shows them"
    )]
    InvitationId(String),
    #[error(
        "user id {0:?} is invalid: a user id is 1–255 characters without control characters (e.g. \
         \"auth0|64b7f3c2a1e9d8\")"
    )]
    UserId(String),
    #[error(
        "discovery domain id {0:?} is invalid: a discovery domain id is \"ordd_\" and then only letters and digits, \
         at most 50 characters in all; `orgpass-admin orgs domains list ORG` shows them"
    )]
    DiscoveryDomainId(String),
    #[error(
        "client grant id {0:?} is invalid: a client grant id is \"cgr_\" and then only letters and digits, at most \
         50 characters in all (e.g. \"cgr_IngestAcmeProj01\"); `orgpass-admin grants list` shows them"
    )]
    GrantId(String),
    #[error(
        "{0:?} is not a domain name: write the email domain itself, dot-separated labels of letters, digits and \
         inner hyphens, 3–255 characters (e.g. \"acme.example\")"
    )]
    Domain(String),
    #[error("discovery domain status {0:?} is invalid: use \"pending\" or \"verified\"")]
    DomainStatus(String),
    #[error("{field} {value:?} is invalid: use one of {allowed}")]
    NotOneOf {
        field: &'static str,
        value: String,
        allowed: String,
    },
    #[error(
        "client id {0:?} is invalid: a client id is 1–64 letters, digits, '-' or '_'; the application's page in \
         the Dashboard (or `orgpass-admin clients list`) shows it"
    )]
    ClientId(String),
    #[error("{field} must not be empty")]
    Empty { field: &'static str },
    #[error("{0}")]
    Other(String),
}

/// Org name: lowercase letters, digits, `_`, `-`; 1–50 chars; may start with a digit.
pub fn org_name(name: &str) -> Result<(), ValidationError> {
    let ok = (1..=50).contains(&name.len())
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_' || b == b'-');
    if ok {
        Ok(())
    } else {
        Err(ValidationError::OrgName(name.to_owned()))
    }
}

/// `prefix` and then 1 or more ASCII letters or digits, at most [`MAX_ID_CHARS`] in all. Nothing else can reach a
/// URL path: no `/`, no `.` or `..` (a dot segment to the URL parser, which would rewrite the path), no `%`.
fn prefixed_id(value: &str, prefix: &str) -> bool {
    value.len() <= MAX_ID_CHARS
        && value
            .strip_prefix(prefix)
            .is_some_and(|rest| !rest.is_empty() && rest.bytes().all(|b| b.is_ascii_alphanumeric()))
}

/// An organization id: `org_` and letters or digits (Auth0's `org_` + 16), at most 50 characters.
pub fn org_id(value: &str) -> Result<(), ValidationError> {
    if prefixed_id(value, "org_") {
        Ok(())
    } else {
        Err(ValidationError::OrgId(value.to_owned()))
    }
}

/// A connection id: `con_` and letters or digits, at most 50 characters.
pub fn connection_id(value: &str) -> Result<(), ValidationError> {
    if prefixed_id(value, "con_") {
        Ok(())
    } else {
        Err(ValidationError::ConnectionId(value.to_owned()))
    }
}

/// An invitation id: `uinv_` and letters or digits, at most 50 characters.
pub fn invitation_id(value: &str) -> Result<(), ValidationError> {
    if prefixed_id(value, "uinv_") {
        Ok(())
    } else {
        Err(ValidationError::InvitationId(value.to_owned()))
    }
}

/// A client grant id: `cgr_` and letters or digits, at most 50 characters.
pub fn grant_id(value: &str) -> Result<(), ValidationError> {
    if prefixed_id(value, "cgr_") {
        Ok(())
    } else {
        Err(ValidationError::GrantId(value.to_owned()))
    }
}

/// A discovery domain id: `ordd_` and letters or digits, at most 50 characters.
pub fn discovery_domain_id(value: &str) -> Result<(), ValidationError> {
    if prefixed_id(value, "ordd_") {
        Ok(())
    } else {
        Err(ValidationError::DiscoveryDomainId(value.to_owned()))
    }
}

/// A discovery domain as Auth0 takes it: a host name of dot-separated labels (letters, digits, inner hyphens),
/// 3–255 characters. Compared in lower case.
pub fn domain(value: &str) -> Result<(), ValidationError> {
    let ok = (3..=255).contains(&value.len())
        && value.split('.').all(|label| {
            !label.is_empty()
                && label
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-')
                && !label.starts_with('-')
                && !label.ends_with('-')
        });
    if ok {
        Ok(())
    } else {
        Err(ValidationError::Domain(value.to_owned()))
    }
}

/// A discovery domain's status: `pending` or `verified`.
pub fn domain_status(value: &str) -> Result<(), ValidationError> {
    if matches!(value, "pending" | "verified") {
        Ok(())
    } else {
        Err(ValidationError::DomainStatus(value.to_owned()))
    }
}

/// `value`, when set, is one of `allowed`.
pub fn one_of(
    field: &'static str,
    value: Option<&str>,
    allowed: &[&str],
) -> Result<(), ValidationError> {
    match value {
        Some(v) if !allowed.contains(&v) => Err(ValidationError::NotOneOf {
            field,
            value: v.to_owned(),
            allowed: allowed.join(", "),
        }),
        _ => Ok(()),
    }
}

/// `organization_discovery_methods`: at least one, each `email` or `organization_name`, none twice.
pub fn discovery_methods(methods: &[String]) -> Result<(), ValidationError> {
    if methods.is_empty() {
        return Err(ValidationError::Empty {
            field: "organization_discovery_methods (list email and/or organization_name)",
        });
    }
    for (i, m) in methods.iter().enumerate() {
        one_of(
            "organization_discovery_methods",
            Some(m),
            crate::model::DISCOVERY_METHODS,
        )?;
        if methods[..i].contains(m) {
            return Err(ValidationError::Other(format!(
                "organization_discovery_methods lists {m:?} twice"
            )));
        }
    }
    Ok(())
}

/// A client id in a path: 1–64 ASCII letters, digits, `-` or `_` (Auth0's are 32 letters and digits).
pub fn client_id(value: &str) -> Result<(), ValidationError> {
    let ok = (1..=64).contains(&value.len())
        && value
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    if ok {
        Ok(())
    } else {
        Err(ValidationError::ClientId(value.to_owned()))
    }
}

/// A user id (sent in request bodies, e.g. members): 1–255 characters, no control characters. Auth0's ids are
/// `provider|id` (`auth0|…`, `google-oauth2|…`, `oidc|connection|sub`), so little more can be said.
pub fn user_id(value: &str) -> Result<(), ValidationError> {
    let n = value.chars().count();
    if (1..=MAX_USER_ID_CHARS).contains(&n) && !value.chars().any(char::is_control) {
        Ok(())
    } else {
        Err(ValidationError::UserId(value.to_owned()))
    }
}

/// `display_name`: 1–255 characters.
pub fn display_name(value: &str) -> Result<(), ValidationError> {
    let n = value.chars().count();
    if (1..=255).contains(&n) {
        Ok(())
    } else {
        Err(ValidationError::DisplayName(n))
    }
}

/// `#rgb` or `#rrggbb`.
pub fn colour(field: &'static str, value: &str) -> Result<(), ValidationError> {
    let hex = value.strip_prefix('#').unwrap_or("");
    let ok = (hex.len() == 3 || hex.len() == 6) && hex.bytes().all(|b| b.is_ascii_hexdigit());
    if ok {
        Ok(())
    } else {
        Err(ValidationError::Colour {
            field,
            value: value.to_owned(),
        })
    }
}

/// An absolute https URL with a host, as Auth0 requires. The one exception is a development tenant: when
/// `tenant` itself is on a loopback address (devtenant), a plain `http://` logo on a loopback IP address is
/// accepted too, because devtenant serves its demo logos from `http://127.0.0.1:PORT/branding/`. A real Auth0
/// tenant never gets an http logo from us, and a devtenant never gets an http logo from another host.
pub fn logo_url(value: &str, tenant: &Tenant) -> Result<(), ValidationError> {
    let Ok(u) = url::Url::parse(value) else {
        return Err(ValidationError::LogoUrl(value.to_owned()));
    };
    let loopback_host = match u.host() {
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        _ => false,
    };
    let ok = match u.scheme() {
        "https" => u.host_str().is_some_and(|h| !h.is_empty()),
        "http" => loopback_host && tenant.is_loopback(),
        _ => false,
    };
    if ok {
        Ok(())
    } else {
        Err(ValidationError::LogoUrl(value.to_owned()))
    }
}

/// At most 25 entries, keys and values at most 255 characters.
pub fn metadata(map: &BTreeMap<String, String>) -> Result<(), ValidationError> {
    if map.len() > MAX_METADATA_ENTRIES {
        return Err(ValidationError::MetadataCount(map.len()));
    }
    for (k, v) in map {
        if k.is_empty() || k.chars().count() > MAX_METADATA_CHARS {
            return Err(ValidationError::MetadataKey(k.clone()));
        }
        let len = v.chars().count();
        if len > MAX_METADATA_CHARS {
            return Err(ValidationError::MetadataValue {
                key: k.clone(),
                len,
            });
        }
    }
    Ok(())
}

/// Organization branding as a whole (the logo rule depends on the tenant, see [`logo_url`]).
pub fn branding(b: &crate::model::Branding, tenant: &Tenant) -> Result<(), ValidationError> {
    if let Some(url) = &b.logo_url {
        logo_url(url, tenant)?;
    }
    if let Some(c) = &b.colors {
        colour("primary", &c.primary)?;
        colour("page_background", &c.page_background)?;
    }
    Ok(())
}

/// The enabled-connection flags' rule: sign-up needs membership on login.
pub fn connection_flags(
    name: &str,
    assign: bool,
    signup: Option<bool>,
) -> Result<(), ValidationError> {
    if signup == Some(true) && !assign {
        return Err(ValidationError::SignupWithoutAssign(name.to_owned()));
    }
    Ok(())
}

/// `is_signup_enabled` only for database connections (checked when the strategy is known).
pub fn signup_strategy(
    name: &str,
    strategy: &str,
    signup: Option<bool>,
) -> Result<(), ValidationError> {
    if signup == Some(true) && strategy != "auth0" {
        return Err(ValidationError::SignupNotDatabase {
            name: name.to_owned(),
            strategy: strategy.to_owned(),
        });
    }
    Ok(())
}

/// A plausible email address (Auth0 validates properly; this catches slips like a missing `@`).
pub fn email(value: &str) -> Result<(), ValidationError> {
    let ok = value
        .split_once('@')
        .is_some_and(|(l, d)| !l.is_empty() && d.contains('.') && !d.starts_with('.'))
        && !value.chars().any(char::is_whitespace);
    if ok {
        Ok(())
    } else {
        Err(ValidationError::Email(value.to_owned()))
    }
}

/// Invitation lifetime in seconds.
pub fn invitation_ttl(ttl: u64) -> Result<(), ValidationError> {
    if ttl == 0 || ttl > MAX_INVITATION_TTL_SEC {
        Err(ValidationError::InvitationTtl(ttl))
    } else {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn org_names() {
        let rows: &[(&str, bool)] = &[
            ("acme", true),
            ("acme-corp_2", true),
            ("9lives", true),
            (&"a".repeat(50), true),
            (&"a".repeat(51), false),
            ("", false),
            ("Acme", false),
            ("acme corp", false),
            ("acme.corp", false),
            ("ácme", false),
            ("org/1", false),
        ];
        for (name, ok) in rows {
            assert_eq!(org_name(name).is_ok(), *ok, "{name:?}");
        }
    }

    /// Every id devtenant issues or seeds passes; anything that could change a URL path, or that Auth0 never
    /// issues, does not.
    #[test]
    fn ids() {
        type Check = fn(&str) -> Result<(), ValidationError>;
        let long = format!("org_{}", "a".repeat(46));
        let too_long = format!("org_{}", "a".repeat(56));
        let rows: &[(Check, &str, bool)] = &[
            (org_id, "org_AcmeA1b2C3d4E5f6", true),
            (org_id, "org_GlobexG7h8I9j0K1", true),
            (org_id, "org_InitechL2m3N4o5p", true),
            (org_id, "org_aaaaaaaaaaaaaaaa", true),
            (org_id, "org_x", true),
            (org_id, &long, true),
            (org_id, &too_long, false),
            (org_id, "..", false),
            (org_id, ".", false),
            (org_id, "", false),
            (org_id, "org_", false),
            (org_id, "org_../x", false),
            (org_id, "org_..", false),
            (org_id, "org_%2e%2e", false),
            (org_id, "org_a/b", false),
            (org_id, "org_a b", false),
            (org_id, "org_a?b", false),
            (org_id, "org_a#b", false),
            (org_id, "org_ä", false),
            (org_id, "ORG_abc", false),
            (org_id, "acme", false),
            (org_id, "con_DbAaaaaaaaaaaa01", false),
            (connection_id, "con_DbAaaaaaaaaaaa01", true),
            (connection_id, "con_SocGgggggggggg02", true),
            (connection_id, "con_EntOoooooooooo03", true),
            (connection_id, "con_..", false),
            (connection_id, "con_", false),
            (connection_id, "con_a/b", false),
            (connection_id, "org_AcmeA1b2C3d4E5f6", false),
            (invitation_id, "uinv_A1b2C3d4E5f6G7h8", true),
            (invitation_id, "uinv_..", false),
            (invitation_id, "uinv_", false),
            (invitation_id, "demoInviteBobToInitech", false),
            (user_id, "auth0|alice0000000000000000001", true),
            (user_id, "google-oauth2|100000000000000000004", true),
            (user_id, "oidc|initech|peter", true),
            (user_id, "../x", true),
            (user_id, &"u".repeat(255), true),
            (user_id, &"u".repeat(256), false),
            (user_id, "", false),
            (user_id, "auth0|a\nb", false),
            (user_id, "auth0|a\u{7f}", false),
        ];
        for (check, id, ok) in rows {
            assert_eq!(check(id).is_ok(), *ok, "{id:?}");
        }
        assert_eq!(
            org_id("org_a/b"),
            Err(ValidationError::OrgId("org_a/b".into()))
        );
        assert_eq!(
            connection_id("con_.."),
            Err(ValidationError::ConnectionId("con_..".into()))
        );
        assert_eq!(
            invitation_id("uinv_.."),
            Err(ValidationError::InvitationId("uinv_..".into()))
        );
        assert_eq!(user_id(""), Err(ValidationError::UserId(String::new())));
        assert_eq!(
            org_id("..").unwrap_err().to_string(),
            "organization id \"..\" is invalid: an organization id is \"org_\" and then only letters and digits, at \
             most 50 characters in all (e.g. \"org_AcmeA1b2C3d4E5f6\"); `orgpass-admin orgs list` shows them"
        );
    }

    #[test]
    fn colours() {
        let rows = [
            ("#fff", true),
            ("#0059D6", true),
            ("#0059d6", true),
            ("0059d6", false),
            ("#0059d", false),
            ("#00g9d6", false),
            ("red", false),
            ("#0059d6ff", false),
            ("", false),
        ];
        for (c, ok) in rows {
            assert_eq!(colour("primary", c).is_ok(), ok, "{c:?}");
        }
    }

    /// (logo URL, tenant `--domain`, accepted): https everywhere; http only loopback logo + loopback tenant.
    #[test]
    fn logo_urls() {
        let auth0 = "acme.eu.auth0.com";
        let dev = "http://127.0.0.1:4000";
        let dev6 = "http://[::1]:4000";
        let rows = [
            ("https://cdn.example.com/logo.png", auth0, true),
            ("https://cdn.example.com/logo.png", dev, true),
            ("https://127.0.0.1:4000/branding/acme.svg", auth0, true),
            ("http://cdn.example.com/logo.png", auth0, false),
            ("http://127.0.0.1:4000/branding/acme.svg", auth0, false),
            ("http://[::1]:4000/branding/acme.svg", auth0, false),
            ("http://127.0.0.1:4000/branding/acme.svg", dev, true),
            ("http://127.0.0.2:9/branding/acme.svg", dev, true),
            ("http://[::1]:4000/branding/acme.svg", dev6, true),
            ("http://[::1]:4000/branding/acme.svg", dev, true),
            ("http://cdn.example.com/logo.png", dev, false),
            ("http://localhost:4000/branding/acme.svg", dev, false),
            ("http://10.0.0.1/logo.png", dev, false),
            ("ftp://127.0.0.1/logo.png", dev, false),
            ("cdn.example.com/logo.png", auth0, false),
            ("https://", auth0, false),
            ("javascript:alert(1)", auth0, false),
            ("javascript:alert(1)", dev, false),
        ];
        for (u, domain, ok) in rows {
            let tenant = Tenant::parse(domain).unwrap();
            assert_eq!(logo_url(u, &tenant).is_ok(), ok, "{u:?} on {domain}");
        }
    }

    #[test]
    fn metadata_limits() {
        let mut m: BTreeMap<String, String> =
            (0..25).map(|i| (format!("k{i}"), "v".into())).collect();
        assert!(metadata(&m).is_ok());
        m.insert("k25".into(), "v".into());
        assert_eq!(metadata(&m), Err(ValidationError::MetadataCount(26)));
        let long: BTreeMap<String, String> = [("k".to_string(), "x".repeat(256))].into();
        assert_eq!(
            metadata(&long),
            Err(ValidationError::MetadataValue {
                key: "k".into(),
                len: 256
            })
        );
        let ok: BTreeMap<String, String> = [("k".to_string(), "x".repeat(255))].into();
        assert!(metadata(&ok).is_ok());
        let empty_key: BTreeMap<String, String> = [(String::new(), "x".into())].into();
        assert!(metadata(&empty_key).is_err());
    }

    #[test]
    fn other_rules() {
        assert!(display_name("Acme Inc.").is_ok());
        assert_eq!(display_name(""), Err(ValidationError::DisplayName(0)));
        assert!(display_name(&"x".repeat(256)).is_err());
        assert!(connection_flags("db", true, Some(true)).is_ok());
        assert!(connection_flags("db", false, Some(true)).is_err());
        assert!(connection_flags("db", false, Some(false)).is_ok());
        assert!(signup_strategy("g", "google-oauth2", Some(true)).is_err());
        assert!(signup_strategy("db", "auth0", Some(true)).is_ok());
        assert!(email("a@example.com").is_ok());
        assert!(email("example.com").is_err());
        assert!(email("a @example.com").is_err());
        assert!(invitation_ttl(604_800).is_ok());
        assert!(invitation_ttl(2_592_001).is_err());
        assert!(invitation_ttl(0).is_err());
    }
}
