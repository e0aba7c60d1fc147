//! The typed client against devtenant: every endpoint, paging, validation, errors, scopes and tokens.

use std::collections::BTreeMap;
use std::sync::Arc;

use futures_util::future::{BoxFuture, FutureExt as _, TryFutureExt as _};
use orgpass_admin::keychain::{MemoryBackend, SecretBackend};
use orgpass_admin::model::*;
use orgpass_admin::{AdminError, ManagementClient, Secret, Tenant};

use crate::support::*;

const DB: &str = "con_DbAaaaaaaaaaaa01";
const GOOGLE: &str = "con_SocGgggggggggg02";
const ALICE: &str = "auth0|alice0000000000000000001";
const NORA: &str = "auth0|nora0000000000000000000003";

fn branding() -> Branding {
    Branding {
        logo_url: Some("https://cdn.example.com/umbrella.png".into()),
        colors: Some(Colors {
            primary: "#0059d6".into(),
            page_background: "#ffffff".into(),
        }),
    }
}

/// The user ids of an organization's members, sorted.
async fn member_ids(c: &ManagementClient, org_id: &str) -> Vec<String> {
    let mut ids: Vec<String> = c
        .list_members(org_id)
        .await
        .unwrap()
        .into_iter()
        .map(|m| m.user_id)
        .collect();
    ids.sort();
    ids
}

#[tokio::test]
async fn organizations_create_get_update_list_delete() {
    let t = start().await;
    let c = client(&t);
    let created = c
        .create_organization(&NewOrganization {
            name: "umbrella".into(),
            display_name: Some("Umbrella Corp".into()),
            branding: Some(branding()),
            metadata: Some(BTreeMap::from([("tier".into(), "gold".into())])),
            enabled_connections: vec![ConnectionSettings {
                connection_id: DB.into(),
                assign_membership_on_login: true,
                show_as_button: None,
                is_signup_enabled: Some(true),
            }],
        })
        .await
        .unwrap();
    assert!(created.id.starts_with("org_"), "{created:?}");
    assert_eq!(created.branding, Some(branding()));

    let by_name = c.resolve_organization("umbrella").await.unwrap();
    let by_id = c.resolve_organization(&created.id).await.unwrap();
    assert_eq!(by_name, by_id);
    assert_eq!(by_id.display_name.as_deref(), Some("Umbrella Corp"));
    assert_eq!(
        by_id.metadata,
        Some(BTreeMap::from([("tier".into(), "gold".into())]))
    );

    let conns = c.list_enabled_connections(&created.id).await.unwrap();
    assert_eq!(conns.len(), 1);
    assert_eq!(
        (
            conns[0].connection_id.as_str(),
            conns[0].assign_membership_on_login
        ),
        (DB, true)
    );
    assert_eq!(conns[0].is_signup_enabled, Some(true));

    let updated = c
        .update_organization(
            &created.id,
            &OrganizationUpdate {
                display_name: Some("Umbrella".into()),
                metadata: Some(BTreeMap::from([("tier".into(), "silver".into())])),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(updated.display_name.as_deref(), Some("Umbrella"));
    assert_eq!(
        updated.metadata,
        Some(BTreeMap::from([("tier".into(), "silver".into())]))
    );
    assert_eq!(
        updated.branding,
        Some(branding()),
        "PATCH without branding keeps it"
    );

    let names = org_names(&c).await;
    assert_eq!(names.iter().filter(|n| *n == "umbrella").count(), 1);
    assert!(names.contains(&"acme".to_owned()), "{names:?}");

    c.delete_organization(&created.id).await.unwrap();
    let e = c.resolve_organization("umbrella").await.unwrap_err();
    assert!(matches!(e, AdminError::NotFound { .. }), "{e}");
    assert!(e.to_string().contains("orgpass-admin orgs list"), "{e}");
}

#[tokio::test]
async fn bad_input_is_refused_before_sending_and_server_errors_are_clear() {
    let t = start().await;
    let c = client(&t);
    let rows: Vec<(NewOrganization, &str)> = vec![
        (
            new_org("Bad Name"),
            "organization name \"Bad Name\" is invalid",
        ),
        (new_org("x".repeat(51)), "is invalid"),
        (
            NewOrganization {
                name: "colours".into(),
                branding: Some(Branding {
                    logo_url: None,
                    colors: Some(Colors {
                        primary: "blue".into(),
                        page_background: "#fff".into(),
                    }),
                }),
                ..Default::default()
            },
            "primary colour \"blue\" is not a hex colour",
        ),
        (
            NewOrganization {
                name: "logo".into(),
                branding: Some(Branding {
                    logo_url: Some("http://cdn.example.com/l.png".into()),
                    colors: None,
                }),
                ..Default::default()
            },
            "must be an absolute https:// URL",
        ),
        (
            NewOrganization {
                name: "meta".into(),
                metadata: Some((0..26).map(|i| (format!("k{i}"), "v".into())).collect()),
                ..Default::default()
            },
            "at most 25",
        ),
    ];
    for (new, needle) in rows {
        let e = c.create_organization(&new).await.unwrap_err();
        assert!(matches!(e, AdminError::Invalid(_)), "{e}");
        assert!(
            e.to_string().contains(needle),
            "{e} should contain {needle:?}"
        );
    }
    assert_eq!(c.stats().requests, 0, "nothing invalid was sent");

    // Unknown organization.
    let e = c
        .resolve_organization("org_DoesNotExist0001")
        .await
        .unwrap_err();
    assert!(matches!(e, AdminError::NotFound { .. }), "{e}");
    let e = c.resolve_organization("no-such-org").await.unwrap_err();
    assert_eq!(
        e.to_string(),
        "organization no-such-org not found (no organization has this name or id); list what exists with `orgpass-admin orgs list`"
    );

    // Duplicate name: 409 with a clear message.
    let e = c.create_organization(&new_org("acme")).await.unwrap_err();
    assert!(matches!(e, AdminError::Conflict { .. }), "{e}");
    assert!(
        e.to_string()
            .starts_with("creating organization acme: it already exists (409: "),
        "{e}"
    );

    // Unknown connection by name.
    let e = c
        .resolve_connection("no-such-connection")
        .await
        .unwrap_err();
    assert!(
        e.to_string().contains("orgpass-admin connections list"),
        "{e}"
    );
}

/// What kind of id a row of [`bad_ids_are_refused_before_any_request`] passes.
#[derive(Clone, Copy, Debug)]
enum Id {
    Org,
    Connection,
    Invitation,
    User,
}

/// Every client call that takes an id of `kind`, with `id` in that place and valid values elsewhere.
fn calls_with<'a>(
    c: &'a ManagementClient,
    kind: Id,
    id: &'a str,
) -> Vec<(&'static str, BoxFuture<'a, Result<(), AdminError>>)> {
    const ACME: &str = "org_AcmeA1b2C3d4E5f6";
    const INVITATION: &str = "uinv_A1b2C3d4E5f6G7h8";
    let settings = |connection_id: &str| ConnectionSettings {
        connection_id: connection_id.into(),
        assign_membership_on_login: true,
        show_as_button: None,
        is_signup_enabled: None,
    };
    let invitation = NewInvitation {
        inviter: Inviter { name: "Ops".into() },
        invitee: Invitee {
            email: "new.hire@example.com".into(),
        },
        client_id: devtenant::DEMO_NATIVE_CLIENT_ID.into(),
        connection_id: Some(DB.into()),
        ttl_sec: None,
        roles: vec![],
        send_invitation_email: false,
    };
    let up = ConnectionSettingsUpdate::default();
    match kind {
        Id::Org => vec![
            (
                "get_organization",
                c.get_organization(id).map_ok(drop).boxed(),
            ),
            (
                "update_organization",
                async move {
                    c.update_organization(id, &OrganizationUpdate::default())
                        .await
                        .map(drop)
                }
                .boxed(),
            ),
            ("delete_organization", c.delete_organization(id).boxed()),
            (
                "list_enabled_connections",
                c.list_enabled_connections(id).map_ok(drop).boxed(),
            ),
            (
                "get_enabled_connection",
                c.get_enabled_connection(id, DB).map_ok(drop).boxed(),
            ),
            (
                "enable_connection",
                async move { c.enable_connection(id, &settings(DB)).await.map(drop) }.boxed(),
            ),
            (
                "update_enabled_connection",
                async move { c.update_enabled_connection(id, DB, &up).await.map(drop) }.boxed(),
            ),
            ("disable_connection", c.disable_connection(id, DB).boxed()),
            ("list_members", c.list_members(id).map_ok(drop).boxed()),
            (
                "add_members",
                async move { c.add_members(id, &[ALICE.into()]).await }.boxed(),
            ),
            (
                "remove_members",
                async move { c.remove_members(id, &[ALICE.into()]).await }.boxed(),
            ),
            (
                "create_invitation",
                async move { c.create_invitation(id, &invitation).await.map(drop) }.boxed(),
            ),
            (
                "list_invitations",
                c.list_invitations(id).map_ok(drop).boxed(),
            ),
            (
                "revoke_invitation",
                c.revoke_invitation(id, INVITATION).boxed(),
            ),
        ],
        Id::Connection => vec![
            (
                "get_enabled_connection",
                c.get_enabled_connection(ACME, id).map_ok(drop).boxed(),
            ),
            (
                "enable_connection",
                async move { c.enable_connection(ACME, &settings(id)).await.map(drop) }.boxed(),
            ),
            (
                "update_enabled_connection",
                async move { c.update_enabled_connection(ACME, id, &up).await.map(drop) }.boxed(),
            ),
            ("disable_connection", c.disable_connection(ACME, id).boxed()),
        ],
        Id::Invitation => vec![("revoke_invitation", c.revoke_invitation(ACME, id).boxed())],
        // A good id first: nothing is sent, not even the first chunk.
        Id::User => vec![
            (
                "add_members",
                async move { c.add_members(ACME, &[ALICE.into(), id.into()]).await }.boxed(),
            ),
            (
                "remove_members",
                async move { c.remove_members(ACME, &[ALICE.into(), id.into()]).await }.boxed(),
            ),
        ],
    }
}

/// Ids are checked before any URL is built: escaping leaves `.` and `..`, which the URL parser takes as dot
/// segments (`organizations/..` is the API root), and Auth0 issues only `org_`/`con_`/`uinv_` + letters and
/// digits. Each bad id is refused by every call that takes it, with the exact error, and nothing is sent (no
/// Management API request, no token request). A non-`org_` input to `resolve_organization` is a name.
#[tokio::test]
async fn bad_ids_are_refused_before_any_request() {
    use orgpass_admin::ValidationError as V;
    let t = start().await;
    let c = client(&t);
    let sixty = format!("org_{}", "a".repeat(56));
    let long_user = "u".repeat(256);
    let rows: Vec<(Id, &str)> = vec![
        (Id::Org, ".."),
        (Id::Org, "."),
        (Id::Org, "org_../x"),
        (Id::Org, "org_.."),
        (Id::Org, "org_%2e%2e"),
        (Id::Org, "org_a/b"),
        (Id::Org, "org_"),
        (Id::Org, "org_a b"),
        (Id::Org, &sixty),
        (Id::Org, ""),
        (Id::Connection, "con_.."),
        (Id::Connection, "con_a/b"),
        (Id::Connection, ".."),
        (Id::Connection, "con_"),
        (Id::Invitation, "uinv_.."),
        (Id::Invitation, "uinv_a/b"),
        (Id::Invitation, ".."),
        (Id::User, ""),
        (Id::User, "auth0|a\nb"),
        (Id::User, &long_user),
    ];
    for (kind, id) in rows {
        let want = match kind {
            Id::Org => V::OrgId(id.into()),
            Id::Connection => V::ConnectionId(id.into()),
            Id::Invitation => V::InvitationId(id.into()),
            Id::User => V::UserId(id.into()),
        };
        for (call, fut) in calls_with(&c, kind, id) {
            match fut.await {
                Err(AdminError::Invalid(got)) => assert_eq!(got, want, "{call}({kind:?} {id:?})"),
                other => panic!("{call}({kind:?} {id:?}): {other:?}"),
            }
        }
        assert_eq!(
            (c.stats().requests, c.tokens().fetches()),
            (0, 0),
            "nothing sent for {kind:?} {id:?}"
        );
    }
    // By id when it starts with `org_`, else by name (names have their own rule).
    for (input, want) in [
        ("..", V::OrgName("..".into())),
        ("org_../x", V::OrgId("org_../x".into())),
        ("org_a b", V::OrgId("org_a b".into())),
    ] {
        match c.resolve_organization(input).await {
            Err(AdminError::Invalid(got)) => assert_eq!(got, want, "{input:?}"),
            other => panic!("{input:?}: {other:?}"),
        }
    }
    assert_eq!(c.stats().requests, 0);
    // The seeded ids pass and reach the tenant.
    assert_eq!(
        c.resolve_organization("org_AcmeA1b2C3d4E5f6")
            .await
            .unwrap()
            .name,
        "acme"
    );
}

#[tokio::test]
async fn connections_members_and_invitations() {
    let t = start().await;
    let c = client(&t);
    let all = c.list_connections(None).await.unwrap();
    assert_eq!(all.len(), 3, "{all:?}");
    let social = c.list_connections(Some("google-oauth2")).await.unwrap();
    assert_eq!(
        social.iter().map(|x| x.id.as_str()).collect::<Vec<_>>(),
        vec![GOOGLE]
    );

    let org = c.create_organization(&new_org("wayne")).await.unwrap();
    // Enable, update, list, disable.
    let e = c
        .enable_connection(
            &org.id,
            &ConnectionSettings {
                connection_id: GOOGLE.into(),
                assign_membership_on_login: false,
                show_as_button: Some(true),
                is_signup_enabled: None,
            },
        )
        .await
        .unwrap();
    assert_eq!(e.connection_id, GOOGLE);
    let u = c
        .update_enabled_connection(
            &org.id,
            GOOGLE,
            &ConnectionSettingsUpdate {
                assign_membership_on_login: Some(true),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert!(u.assign_membership_on_login);
    assert_eq!(c.list_enabled_connections(&org.id).await.unwrap().len(), 1);
    c.disable_connection(&org.id, GOOGLE).await.unwrap();
    assert!(
        c.list_enabled_connections(&org.id)
            .await
            .unwrap()
            .is_empty()
    );
    assert_eq!(
        c.get_enabled_connection(&org.id, GOOGLE).await.unwrap(),
        None
    );

    // Members.
    c.add_members(&org.id, &[ALICE.into(), NORA.into()])
        .await
        .unwrap();
    c.add_members(&org.id, &[ALICE.into()]).await.unwrap();
    assert_eq!(
        member_ids(&c, &org.id).await,
        vec![ALICE.to_owned(), NORA.to_owned()]
    );
    c.remove_members(&org.id, &[NORA.into()]).await.unwrap();
    assert_eq!(member_ids(&c, &org.id).await, vec![ALICE.to_owned()]);

    // Invitations go through a connection enabled for the organization (Auth0 and devtenant refuse others).
    c.enable_connection(
        &org.id,
        &ConnectionSettings {
            connection_id: DB.into(),
            assign_membership_on_login: true,
            show_as_button: None,
            is_signup_enabled: None,
        },
    )
    .await
    .unwrap();
    let inv = c
        .create_invitation(
            &org.id,
            &NewInvitation {
                inviter: Inviter { name: "Ops".into() },
                invitee: Invitee {
                    email: "new.hire@example.com".into(),
                },
                client_id: devtenant::DEMO_NATIVE_CLIENT_ID.into(),
                connection_id: Some(DB.into()),
                ttl_sec: Some(3600),
                roles: vec![],
                send_invitation_email: false,
            },
        )
        .await
        .unwrap();
    assert!(
        inv.invitation_url
            .contains(&format!("organization={}", org.id)),
        "{}",
        inv.invitation_url
    );
    assert!(
        inv.invitation_url.contains("invitation="),
        "{}",
        inv.invitation_url
    );
    let list = c.list_invitations(&org.id).await.unwrap();
    assert_eq!(
        list.iter().map(|i| i.id.as_str()).collect::<Vec<_>>(),
        vec![inv.id.as_str()]
    );
    c.revoke_invitation(&org.id, &inv.id).await.unwrap();
    assert!(c.list_invitations(&org.id).await.unwrap().is_empty());

    // Bad invitation input is refused locally.
    let bad = NewInvitation {
        inviter: Inviter { name: "Ops".into() },
        invitee: Invitee {
            email: "not-an-email".into(),
        },
        client_id: "x".into(),
        connection_id: None,
        ttl_sec: Some(3_000_000),
        roles: vec![],
        send_invitation_email: false,
    };
    assert!(matches!(
        c.create_invitation(&org.id, &bad).await,
        Err(AdminError::Invalid(_))
    ));
}

#[tokio::test]
async fn listing_follows_checkpoint_paging_past_1000_organizations() {
    let t = start().await;
    let c = ManagementClient::builder(
        Tenant::parse(&domain(t.addr)).unwrap(),
        devtenant::DEMO_M2M_CLIENT_ID,
        Secret::new(devtenant::DEMO_M2M_CLIENT_SECRET),
    )
    .concurrency(16)
    .build()
    .unwrap();
    let before = c.list_organizations().await.unwrap().len();
    let futs = (0..1010).map(|i| {
        let c = c.clone();
        async move {
            c.create_organization(&new_org(format!("bulk-{i:04}")))
                .await
        }
    });
    for r in futures_util::future::join_all(futs).await {
        r.unwrap();
    }
    let all = c.list_organizations().await.unwrap();
    assert_eq!(all.len(), before + 1010);
    let unique: std::collections::BTreeSet<&str> = all.iter().map(|o| o.id.as_str()).collect();
    assert_eq!(unique.len(), all.len(), "no organization listed twice");
    // Offset paging stops at 1000, with a message that names checkpoint paging.
    let e = c.list_organizations_page(10, 100).await.unwrap_err();
    assert!(e.to_string().contains("checkpoint"), "{e}");
}

#[tokio::test]
async fn missing_scope_names_the_scope_to_grant() {
    let mut s = seed();
    let mut limited = s
        .clients
        .iter()
        .find(|c| c.client_id == devtenant::DEMO_M2M_CLIENT_ID)
        .unwrap()
        .clone();
    limited.client_id = "read-only-admin".into();
    limited.management_api_scopes = vec!["read:organizations".into()];
    s.clients.push(limited);
    let t = start_with(s).await;
    let c = ManagementClient::builder(
        Tenant::parse(&domain(t.addr)).unwrap(),
        "read-only-admin",
        Secret::new(devtenant::DEMO_M2M_CLIENT_SECRET),
    )
    .build()
    .unwrap();
    assert_eq!(
        c.tokens().get().await.unwrap().scopes,
        vec!["read:organizations".to_owned()]
    );
    c.resolve_organization("acme").await.unwrap();
    let e = c.create_organization(&new_org("nope")).await.unwrap_err();
    assert!(
        matches!(&e, AdminError::InsufficientScope { scope, .. } if scope == "create:organizations"),
        "{e}"
    );
    assert!(
        e.to_string()
            .contains("missing scope `create:organizations`"),
        "{e}"
    );
}

#[tokio::test]
async fn wrong_client_secret_is_a_credentials_error() {
    let t = start().await;
    let c = ManagementClient::builder(
        Tenant::parse(&domain(t.addr)).unwrap(),
        devtenant::DEMO_M2M_CLIENT_ID,
        Secret::new("wrong"),
    )
    .build()
    .unwrap();
    let e = c.list_organizations().await.unwrap_err();
    assert!(matches!(e, AdminError::Credentials { .. }), "{e}");
    assert!(
        !e.to_string().contains("wrong"),
        "the secret is never echoed: {e}"
    );
}

#[tokio::test]
async fn token_is_cached_reused_and_refreshed_when_the_tenant_rejects_it() {
    let t = start().await;
    let tenant = Tenant::parse(&domain(t.addr)).unwrap();
    let store = Arc::new(MemoryBackend::default());
    // A token the client believes valid for an hour, but the tenant never issued.
    let key = orgpass_admin::keychain::token_key(&tenant, devtenant::DEMO_M2M_CLIENT_ID);
    let in_an_hour = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
        + 3600;
    store
        .set(
            &key,
            &serde_json::json!({"access_token": "expired.or.forged", "expires_at": in_an_hour, "refresh_at": in_an_hour, "scopes": []})
                .to_string(),
        )
        .unwrap();
    let c = ManagementClient::builder(
        tenant.clone(),
        devtenant::DEMO_M2M_CLIENT_ID,
        Secret::new(devtenant::DEMO_M2M_CLIENT_SECRET),
    )
    .token_store(store.clone())
    .build()
    .unwrap();
    c.resolve_organization("acme").await.unwrap();
    assert_eq!(c.stats().token_refreshes, 1);
    assert_eq!(c.tokens().fetches(), 1);
    for _ in 0..5 {
        c.resolve_organization("acme").await.unwrap();
    }
    assert_eq!(c.tokens().fetches(), 1, "the token is reused");
    let stored = store.get(&key).unwrap().unwrap();
    assert!(
        !stored.contains("expired.or.forged"),
        "the rejected token was replaced in the store"
    );

    // A second client (a second run) reuses the stored token without fetching.
    let c2 = ManagementClient::builder(
        tenant.clone(),
        devtenant::DEMO_M2M_CLIENT_ID,
        Secret::new(devtenant::DEMO_M2M_CLIENT_SECRET),
    )
    .token_store(store.clone())
    .build()
    .unwrap();
    c2.resolve_organization("acme").await.unwrap();
    assert_eq!(c2.tokens().fetches(), 0);

    // A run with another --audience (devtenant takes `https://{host}/api/v2/` too) fetches its own token: a token
    // for one audience is never used for another.
    let other = tenant
        .clone()
        .with_audience(format!("https://{}/api/v2/", t.addr));
    let c3 = ManagementClient::builder(
        other.clone(),
        devtenant::DEMO_M2M_CLIENT_ID,
        Secret::new(devtenant::DEMO_M2M_CLIENT_SECRET),
    )
    .token_store(store.clone())
    .build()
    .unwrap();
    c3.resolve_organization("acme").await.unwrap();
    assert_eq!(c3.tokens().fetches(), 1, "not the other audience's token");
    let key3 = orgpass_admin::keychain::token_key(&other, devtenant::DEMO_M2M_CLIENT_ID);
    assert_ne!(key3, key);
    assert_eq!(
        (
            store.get(&key).unwrap(),
            store.get(&key3).unwrap().is_some()
        ),
        (Some(stored), true),
        "each audience has its own entry; the first one is untouched"
    );
}

#[tokio::test]
async fn short_lived_tokens_are_replaced_before_they_expire() {
    let mut s = seed();
    s.tenant.access_token_lifetime_secs = 2;
    let t = start_with(s).await;
    let c = client(&t);
    c.resolve_organization("acme").await.unwrap();
    tokio::time::sleep(std::time::Duration::from_millis(2100)).await;
    c.resolve_organization("acme").await.unwrap();
    assert_eq!(c.tokens().fetches(), 2);
    assert_eq!(
        c.stats().token_refreshes,
        0,
        "replaced before the tenant had to refuse it"
    );
}
