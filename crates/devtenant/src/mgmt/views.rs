//! Management API: the JSON shapes Auth0 answers with for organizations, enabled connections and invitations.

use super::*;

pub(super) fn org_json(state: &AppState, org: &Organization) -> Value {
    let mut v = json!({ "id": org.id, "name": org.name, "display_name": org.display_name });
    if let Some(b) = &org.branding {
        let mut branding = serde_json::Map::new();
        if let Some(logo) = &b.logo_url {
            branding.insert("logo_url".into(), json!(state.absolute_url(logo)));
        }
        if let Some(c) = &b.colors {
            branding.insert(
                "colors".into(),
                json!({ "primary": c.primary, "page_background": c.page_background }),
            );
        }
        v["branding"] = Value::Object(branding);
    }
    v["metadata"] = json!(org.metadata);
    v
}

pub(super) fn enabled_conn_json(store: &Store, ec: &EnabledConnection) -> Value {
    let conn = store.connection(&ec.connection_id);
    json!({
        "connection_id": ec.connection_id,
        "assign_membership_on_login": ec.assign_membership_on_login,
        "show_as_button": ec.show_as_button,
        "is_signup_enabled": ec.is_signup_enabled,
        "connection": {
            "name": conn.map(|c| c.name.as_str()).unwrap_or_default(),
            "strategy": conn.map(|c| c.strategy.as_str()).unwrap_or_default(),
        },
    })
}

pub(super) fn invitation_json(store: &Store, inv: &Invitation) -> Value {
    let org_name = store
        .org(&inv.organization_id)
        .map(|o| o.name.as_str())
        .unwrap_or_default();
    let login = store
        .client(&inv.client_id)
        .and_then(|c| c.initiate_login_uri.clone())
        .unwrap_or_default();
    let mut url = url::Url::parse(&login).ok();
    if let Some(u) = url.as_mut() {
        u.query_pairs_mut()
            .append_pair("invitation", &inv.ticket_id)
            .append_pair("organization", &inv.organization_id)
            .append_pair("organization_name", org_name);
    }
    let mut v = json!({
        "id": inv.id,
        "organization_id": inv.organization_id,
        "inviter": { "name": inv.inviter_name },
        "invitee": { "email": inv.invitee_email },
        "invitation_url": url.map(|u| u.to_string()).unwrap_or_default(),
        "created_at": crate::rfc3339(inv.created_at),
        "expires_at": crate::rfc3339(inv.expires_at),
        "client_id": inv.client_id,
        "roles": inv.roles,
        "ticket_id": inv.ticket_id,
    });
    if let Some(c) = &inv.connection_id {
        v["connection_id"] = json!(c);
    }
    v
}
