//! Management API: request bodies and Auth0's validation rules for them (names, display names, metadata, branding,
//! enabled connections), with its error messages.

use super::*;

pub(super) fn valid_org_name(name: &str) -> Result<(), ApiError> {
    if name.is_empty() || name.len() > 50 {
        return Err(invalid("name", "String length must be between 1 and 50"));
    }
    if !name
        .bytes()
        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_' || b == b'-')
    {
        return Err(invalid(
            "name",
            "String does not match pattern ^[a-z0-9_-]+$",
        ));
    }
    Ok(())
}

pub(super) fn valid_display_name(name: &str) -> Result<(), ApiError> {
    if name.is_empty() || name.chars().count() > 255 {
        return Err(invalid(
            "display_name",
            "String length must be between 1 and 255",
        ));
    }
    Ok(())
}

pub(super) fn valid_metadata(
    metadata: &BTreeMap<String, Value>,
) -> Result<BTreeMap<String, String>, ApiError> {
    if metadata.len() > 25 {
        return Err(invalid(
            "metadata",
            "Too many properties: at most 25 are allowed",
        ));
    }
    metadata
        .iter()
        .map(|(k, v)| match v {
            Value::String(s) if s.chars().count() <= 255 && k.chars().count() <= 255 => {
                Ok((k.clone(), s.clone()))
            }
            Value::String(_) => Err(invalid(
                "metadata",
                "String is too long (at most 255 characters)",
            )),
            _ => Err(invalid("metadata", "Expected type string")),
        })
        .collect()
}

pub(super) fn is_hex_colour(c: &str) -> bool {
    c.strip_prefix('#')
        .is_some_and(|h| (h.len() == 6 || h.len() == 3) && h.bytes().all(|b| b.is_ascii_hexdigit()))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BrandingBody {
    logo_url: Option<String>,
    colors: Option<ColorsBody>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ColorsBody {
    primary: Option<String>,
    page_background: Option<String>,
}

pub(super) fn valid_branding(state: &AppState, b: BrandingBody) -> Result<Branding, ApiError> {
    let logo_url = match b.logo_url {
        None => None,
        Some(url) => {
            let served_here = url.starts_with("/branding/")
                || url.starts_with(&format!("{}branding/", state.issuer_str()));
            let https = url::Url::parse(&url)
                .is_ok_and(|u| u.scheme() == "https" && u.host_str().is_some());
            if !(https || served_here) {
                return Err(invalid("branding.logo_url", "Format must be an https URL"));
            }
            Some(url)
        }
    };
    let colors = match b.colors {
        None => None,
        Some(c) => {
            let (Some(primary), Some(page_background)) = (c.primary, c.page_background) else {
                return Err(invalid(
                    "branding.colors",
                    "Missing required property: primary and page_background",
                ));
            };
            for (property, colour) in [
                ("branding.colors.primary", &primary),
                ("branding.colors.page_background", &page_background),
            ] {
                if !is_hex_colour(colour) {
                    return Err(invalid(
                        property,
                        "String does not match pattern ^#([0-9a-fA-F]{3}){1,2}$",
                    ));
                }
            }
            Some(Colors {
                primary,
                page_background,
            })
        }
    };
    Ok(Branding { logo_url, colors })
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EnabledConnBody {
    connection_id: String,
    #[serde(default)]
    assign_membership_on_login: bool,
    #[serde(default)]
    is_signup_enabled: bool,
    show_as_button: Option<bool>,
}

pub(super) fn valid_enabled_conn(
    store: &Store,
    b: EnabledConnBody,
) -> Result<EnabledConnection, ApiError> {
    let conn = store
        .connections
        .iter()
        .find(|c| c.id == b.connection_id)
        .ok_or_else(|| {
            ApiError::not_found(
                "inexistent_connection",
                format!("No connection found by id {}", b.connection_id),
            )
        })?;
    check_signup(
        conn.is_database(),
        b.assign_membership_on_login,
        b.is_signup_enabled,
    )?;
    Ok(EnabledConnection {
        connection_id: conn.id.clone(),
        assign_membership_on_login: b.assign_membership_on_login,
        show_as_button: b.show_as_button.unwrap_or(true),
        is_signup_enabled: b.is_signup_enabled,
    })
}

pub(super) fn check_signup(is_database: bool, assign: bool, signup: bool) -> Result<(), ApiError> {
    if signup && !is_database {
        return Err(invalid(
            "is_signup_enabled",
            "Only database connections can enable sign-up",
        ));
    }
    if signup && !assign {
        return Err(invalid(
            "is_signup_enabled",
            "Requires assign_membership_on_login to be true",
        ));
    }
    Ok(())
}

pub(super) fn org_name_taken() -> ApiError {
    ApiError::conflict(
        "organization_conflict",
        "An organization with this name already exists.",
    )
}

/// Runs `f` on organization `id` and the store holding it; 404 when there is no such organization.
pub(super) fn read_org<T>(
    state: &AppState,
    id: &str,
    f: impl FnOnce(&Store, &Organization) -> Result<T, ApiError>,
) -> Result<T, ApiError> {
    let t = state.lock();
    let org = t.store.org(id).ok_or_else(ApiError::org_not_found)?;
    f(&t.store, org)
}

/// Runs the change `f` when organization `id` exists (404 otherwise); the tenant is saved when `f` succeeds.
pub(super) fn update_org<T>(
    state: &AppState,
    id: &str,
    f: impl FnOnce(&mut crate::Tenant) -> Result<T, ApiError>,
) -> Result<T, ApiError> {
    let mut t = state.lock();
    if t.store.org(id).is_none() {
        return Err(ApiError::org_not_found());
    }
    let out = f(&mut t)?;
    state.persist(&t);
    Ok(out)
}
