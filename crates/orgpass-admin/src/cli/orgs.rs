//! `orgs list|get|create|update|delete`: organizations, their display name, branding and metadata.

use std::collections::BTreeMap;

use orgpass_admin::model::{
    Branding, Colors, ConnectionSettings, NewOrganization, Organization, OrganizationUpdate,
};
use orgpass_admin::{Tenant, ValidationError};

use super::args::{Cli, OrgFields, OrgsCmd};
use super::credentials::client;
use super::output::Out;
use super::{CliError, connections, domains, invitations, members};

/// `orgs …`, and the commands under one organization (each in its own file).
pub(super) async fn run(cli: &Cli, out: &Out, cmd: &OrgsCmd) -> Result<(), CliError> {
    let c = client(cli).await?;
    match cmd {
        OrgsCmd::List { page, per_page } => {
            let list = match page {
                Some(p) => {
                    c.list_organizations_page(*p, (*per_page).clamp(1, 100))
                        .await?
                }
                None => c.list_organizations().await?,
            };
            out.show(&list, ORG_HEADERS, org_rows(&list))
        }
        OrgsCmd::Get { org } => {
            let o = c.resolve_organization(org).await?;
            if out.json {
                return out.json(&o);
            }
            let b = o.branding.clone().unwrap_or_default();
            let mut rows = vec![
                vec!["id".into(), o.id.clone()],
                vec!["name".into(), o.name.clone()],
                vec![
                    "display_name".into(),
                    o.display_name.clone().unwrap_or_default(),
                ],
                vec!["logo_url".into(), b.logo_url.clone().unwrap_or_default()],
                vec![
                    "primary".into(),
                    b.colors
                        .as_ref()
                        .map(|c| c.primary.clone())
                        .unwrap_or_default(),
                ],
                vec![
                    "page_background".into(),
                    b.colors
                        .as_ref()
                        .map(|c| c.page_background.clone())
                        .unwrap_or_default(),
                ],
            ];
            for (k, v) in o.metadata.clone().unwrap_or_default() {
                rows.push(vec![format!("metadata.{k}"), v]);
            }
            out.table(&["FIELD", "VALUE"], rows)
        }
        OrgsCmd::Create {
            name,
            fields,
            connections,
        } => {
            let metadata: BTreeMap<String, String> = fields.metadata.iter().cloned().collect();
            let mut enabled = Vec::new();
            for conn in connections {
                let found = c.resolve_connection(conn).await?;
                enabled.push(ConnectionSettings {
                    connection_id: found.id,
                    assign_membership_on_login: false,
                    show_as_button: None,
                    is_signup_enabled: None,
                });
            }
            let new = NewOrganization {
                name: name.clone(),
                display_name: fields.display_name.clone(),
                branding: branding_from(fields, None, c.tenant())?,
                metadata: (!metadata.is_empty()).then_some(metadata),
                enabled_connections: enabled,
            };
            let o = c.create_organization(&new).await?;
            out.done(&o, format!("Created organization {} ({})", o.name, o.id))
        }
        OrgsCmd::Update {
            org,
            name,
            fields,
            remove_metadata,
            clear_logo,
        } => {
            let current = c.resolve_organization(org).await?;
            let mut update = OrganizationUpdate {
                name: name.clone(),
                display_name: fields.display_name.clone(),
                branding: branding_from(fields, current.branding.clone(), c.tenant())?,
                metadata: None,
            };
            if *clear_logo {
                let mut b = update
                    .branding
                    .take()
                    .or(current.branding.clone())
                    .unwrap_or_default();
                b.logo_url = None;
                update.branding = Some(b);
            }
            if !fields.metadata.is_empty() || !remove_metadata.is_empty() {
                let mut m: BTreeMap<String, String> = current.metadata.clone().unwrap_or_default();
                for (k, v) in &fields.metadata {
                    m.insert(k.clone(), v.clone());
                }
                for k in remove_metadata {
                    m.remove(k);
                }
                update.metadata = Some(m);
            }
            if update.is_empty() {
                return Err(CliError::Usage(
                    "nothing to update: pass --display-name, --logo-url, --metadata, …".into(),
                ));
            }
            let o = c.update_organization(&current.id, &update).await?;
            out.done(&o, format!("Updated organization {} ({})", o.name, o.id))
        }
        OrgsCmd::Delete { org } => {
            let o = c.resolve_organization(org).await?;
            c.delete_organization(&o.id).await?;
            out.done(
                &serde_json::json!({"deleted": o.id, "name": o.name}),
                format!("Deleted organization {} ({})", o.name, o.id),
            )
        }
        OrgsCmd::Connections(sub) => connections::org_connections(&c, out, sub).await,
        OrgsCmd::Members(sub) => members::run(&c, out, sub).await,
        OrgsCmd::Invitations(sub) => invitations::run(&c, out, sub).await,
        OrgsCmd::Domains(sub) => domains::run(&c, out, sub).await,
        OrgsCmd::Grants(sub) => super::grants::run_org(&c, out, sub).await,
    }
}

fn org_rows(orgs: &[Organization]) -> Vec<Vec<String>> {
    orgs.iter()
        .map(|o| {
            vec![
                o.id.clone(),
                o.name.clone(),
                o.display_name.clone().unwrap_or_default(),
                o.branding
                    .as_ref()
                    .and_then(|b| b.colors.as_ref())
                    .map(|c| c.primary.clone())
                    .unwrap_or_default(),
                o.branding
                    .as_ref()
                    .and_then(|b| b.logo_url.clone())
                    .unwrap_or_default(),
            ]
        })
        .collect()
}

const ORG_HEADERS: &[&str] = &["ID", "NAME", "DISPLAY NAME", "PRIMARY", "LOGO"];

fn branding_from(
    fields: &OrgFields,
    base: Option<Branding>,
    tenant: &Tenant,
) -> Result<Option<Branding>, ValidationError> {
    let touched = fields.logo_url.is_some()
        || fields.primary_color.is_some()
        || fields.page_background_color.is_some();
    if !touched {
        return Ok(None);
    }
    let mut b = base.unwrap_or_default();
    if let Some(u) = &fields.logo_url {
        b.logo_url = Some(u.clone());
    }
    match (
        &fields.primary_color,
        &fields.page_background_color,
        b.colors.take(),
    ) {
        (None, None, keep) => b.colors = keep,
        (Some(p), Some(bg), _) => {
            b.colors = Some(Colors {
                primary: p.clone(),
                page_background: bg.clone(),
            })
        }
        (p, bg, Some(old)) => {
            b.colors = Some(Colors {
                primary: p.clone().unwrap_or(old.primary),
                page_background: bg.clone().unwrap_or(old.page_background),
            })
        }
        (_, _, None) => return Err(ValidationError::ColoursIncomplete),
    }
    orgpass_admin::validate::branding(&b, tenant)?;
    Ok(Some(b))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn branding_from_flags() {
        let f = |logo: Option<&str>, p: Option<&str>, bg: Option<&str>| OrgFields {
            display_name: None,
            logo_url: logo.map(Into::into),
            primary_color: p.map(Into::into),
            page_background_color: bg.map(Into::into),
            metadata: vec![],
        };
        let auth0 = Tenant::parse("acme.eu.auth0.com").unwrap();
        let dev = Tenant::parse("http://127.0.0.1:4000").unwrap();
        assert_eq!(branding_from(&f(None, None, None), None, &auth0), Ok(None));
        assert_eq!(
            branding_from(&f(None, Some("#000"), None), None, &auth0),
            Err(ValidationError::ColoursIncomplete)
        );
        let old = Branding {
            logo_url: None,
            colors: Some(Colors {
                primary: "#111".into(),
                page_background: "#222".into(),
            }),
        };
        let b = branding_from(
            &f(Some("https://x.example/l.png"), Some("#333"), None),
            Some(old),
            &auth0,
        )
        .unwrap()
        .unwrap();
        assert_eq!(
            b.colors.unwrap(),
            Colors {
                primary: "#333".into(),
                page_background: "#222".into()
            }
        );
        assert!(
            branding_from(&f(Some("http://x.example/l.png"), None, None), None, &auth0).is_err()
        );
        let local_logo = f(Some("http://127.0.0.1:4000/branding/acme.svg"), None, None);
        assert!(branding_from(&local_logo, None, &auth0).is_err());
        assert!(branding_from(&local_logo, None, &dev).unwrap().is_some());
    }
}
