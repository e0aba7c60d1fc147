//! `qa branding`: for each organization, what its login page should show (from the Management API, or from the
//! desired-state file `apply` takes), the page itself opened in headless Chromium, the checks, and the report.
//!
//! Failures are findings: an organization that is not on the tenant, a page that does not load, a broken logo,
//! even a missing Chromium each end as a failed card in the report, never as a crash half-way.

pub mod browser;
pub mod check;
pub mod report;
pub mod selectors;

use std::collections::BTreeSet;

use base64::Engine as _;
use futures_util::StreamExt as _;
use rand::RngCore as _;
use url::Url;

use crate::apply::{DesiredState, OrgSpec};
use crate::model::{Connection, EnabledConnection, Organization};
use crate::{AdminError, ManagementClient};

pub use browser::{BrowserError, BrowserOptions, Chromium};
pub use check::{Check, Expected, Seen, checks};
pub use report::{OrgReport, Report, ScreenshotName};
pub use selectors::Selectors;

/// The application whose login page users see: its client id and a callback it allows. The page is only
/// looked at; the redirect is never followed, so no code is ever issued to anyone.
#[derive(Debug, Clone)]
pub struct LoginApp {
    pub client_id: String,
    pub redirect_uri: String,
}

/// An organization to audit, or why it cannot be.
#[derive(Debug, Clone)]
pub enum Subject {
    Ready(Expected),
    /// Named (with `--org` or in the file) but not on the tenant, or not readable through the Management API.
    Unchecked {
        name: String,
        reason: String,
    },
}

/// The database strategy: its connection is the username and password form, never a button.
const DATABASE: &str = "auth0";

/// Connections the page offers as buttons: social ones, and enterprise ones unless `show_as_button` is off.
fn is_button(strategy: &str, show_as_button: Option<bool>) -> bool {
    strategy != DATABASE && show_as_button.unwrap_or(true)
}

/// Which organizations to audit, before their pages' expectations are read.
pub struct Plan {
    wanted: Vec<Wanted>,
    connections: Vec<Connection>,
}

/// One organization to audit: as named, with the file's spec, and itself when the tenant's list gave it.
struct Wanted {
    who: String,
    spec: Option<OrgSpec>,
    listed: Option<Organization>,
}

impl Plan {
    /// `only` narrows to organizations by id or name (empty: every one on the tenant, or every one in `expect`);
    /// with `expect`, the file's values win over the tenant's wherever the file sets them.
    pub async fn new(
        c: &ManagementClient,
        only: &[String],
        expect: Option<&DesiredState>,
    ) -> Result<Self, AdminError> {
        let connections = c.connections_cached().await?.to_vec();
        let mut wanted: Vec<Wanted> = match expect {
            Some(file) => file
                .organizations
                .iter()
                .map(|s| Wanted {
                    who: s.name.clone(),
                    spec: Some(s.clone()),
                    listed: None,
                })
                .collect(),
            None if only.is_empty() => c
                .list_organizations()
                .await?
                .into_iter()
                .map(|o| Wanted {
                    who: o.id.clone(),
                    spec: None,
                    listed: Some(o),
                })
                .collect(),
            None => only
                .iter()
                .map(|o| Wanted {
                    who: o.clone(),
                    spec: None,
                    listed: None,
                })
                .collect(),
        };
        if expect.is_some() && !only.is_empty() {
            if let Some(absent) = only.iter().find(|o| !wanted.iter().any(|w| &w.who == *o)) {
                return Err(AdminError::Config(format!(
                    "organization {absent} is not in the --expect file; with --expect, name organizations as the \
                     file does (by name)"
                )));
            }
            wanted.retain(|w| only.contains(&w.who));
        }
        Ok(Self {
            wanted,
            connections,
        })
    }

    pub fn len(&self) -> usize {
        self.wanted.len()
    }

    pub fn is_empty(&self) -> bool {
        self.wanted.is_empty()
    }

    /// What each organization's page should show, read as the pages are checked (at most `concurrency`
    /// Management API requests at once, within the tenant's rate limits), in the plan's order.
    pub fn subjects(
        self,
        c: &ManagementClient,
        concurrency: usize,
    ) -> impl futures_util::Stream<Item = Subject> + '_ {
        let connections = std::sync::Arc::new(self.connections);
        futures_util::stream::iter(self.wanted)
            .map(move |w| {
                let connections = connections.clone();
                async move { read_subject(c, w, &connections).await }
            })
            .buffered(concurrency.max(1))
    }
}

async fn read_subject(c: &ManagementClient, w: Wanted, connections: &[Connection]) -> Subject {
    let unchecked = |name: String, e: AdminError| Subject::Unchecked {
        name,
        reason: match e {
            AdminError::NotFound { .. } => "not on the tenant".into(),
            e => format!("could not read it through the Management API: {e}"),
        },
    };
    let org = match w.listed {
        Some(o) => o,
        None => match c.resolve_organization(&w.who).await {
            Ok(o) => o,
            Err(e) => return unchecked(w.who, e),
        },
    };
    match c.list_enabled_connections(&org.id).await {
        Ok(enabled) => Subject::Ready(expected(&org, &enabled, w.spec.as_ref(), connections)),
        Err(e) => unchecked(org.name, e),
    }
}

/// The organization's page as the tenant has it, with what `spec` sets in its place.
pub fn expected(
    org: &Organization,
    enabled: &[EnabledConnection],
    spec: Option<&OrgSpec>,
    connections: &[Connection],
) -> Expected {
    // The tenant's connection by id or name (a handful, so a scan).
    let connection = |key: &str| connections.iter().find(|c| c.id == key || c.name == key);
    let mut offered: Vec<(String, String, Option<bool>)> = enabled
        .iter()
        .map(|e| {
            let known = connection(&e.connection_id);
            let name = e
                .connection
                .as_ref()
                .map(|r| r.name.clone())
                .or_else(|| known.map(|c| c.name.clone()))
                .unwrap_or_else(|| e.connection_id.clone());
            let strategy = known
                .map(|c| c.strategy.clone())
                .or_else(|| e.connection.as_ref().map(|r| r.strategy.clone()))
                .unwrap_or_default();
            (name, strategy, e.show_as_button)
        })
        .collect();
    let mut display_name = org.display_name.clone().unwrap_or_else(|| org.name.clone());
    let mut branding = org.branding.clone().filter(|b| !b.is_empty());
    if let Some(spec) = spec {
        if let Some(d) = &spec.display_name {
            display_name = d.clone();
        }
        if let Some(b) = &spec.branding {
            branding = Some(b.clone()).filter(|b| !b.is_empty());
        }
        if let Some(conns) = &spec.connections {
            offered = conns
                .iter()
                .map(|s| {
                    let strategy = connection(&s.name).map(|c| c.strategy.clone());
                    (
                        s.name.clone(),
                        strategy.unwrap_or_default(),
                        s.show_as_button,
                    )
                })
                .collect();
        }
    }
    let colors = branding.as_ref().and_then(|b| b.colors.clone());
    Expected {
        org_id: org.id.clone(),
        name: org.name.clone(),
        display_name,
        logo_url: branding.as_ref().and_then(|b| b.logo_url.clone()),
        primary: colors.as_ref().map(|c| c.primary.clone()),
        page_background: colors.map(|c| c.page_background),
        buttons: offered
            .iter()
            .filter(|(_, s, show)| is_button(s, *show))
            .map(|(n, _, _)| n.clone())
            .collect::<BTreeSet<_>>(),
        username_field: offered.iter().any(|(_, s, _)| s == DATABASE),
    }
}

/// The tenant's `/authorize` for `org`, as the application would open it (`prompt=login`, so an earlier
/// session in the browser does not skip the page). PKCE, state and nonce are fresh and thrown away.
pub fn login_url(tenant_base: &Url, app: &LoginApp, org_id: &str) -> Url {
    let random = || {
        let mut b = [0u8; 32];
        rand::rngs::OsRng.fill_bytes(&mut b);
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(b)
    };
    let mut url = tenant_base
        .join("authorize")
        .expect("a base URL takes a path");
    url.query_pairs_mut()
        .append_pair("response_type", "code")
        .append_pair("client_id", &app.client_id)
        .append_pair("redirect_uri", &app.redirect_uri)
        .append_pair("scope", "openid profile email")
        .append_pair("organization", org_id)
        .append_pair("prompt", "login")
        .append_pair("state", &random())
        .append_pair("nonce", &random())
        .append_pair("code_challenge", &random())
        .append_pair("code_challenge_method", "S256");
    url
}

/// Everything one audit needs besides the subjects.
pub struct Audit<'a> {
    pub tenant_base: &'a Url,
    pub app: &'a LoginApp,
    pub selectors: &'a Selectors,
    pub browser: BrowserOptions,
    /// Browsers at once.
    pub browsers: usize,
}

/// Opens each subject's login page as it arrives (at most `audit.browsers` at once, never more than `total`),
/// checks it and calls `done` with each organization's result as it comes. Screenshots are returned named by
/// organization id (never by name, which is free text on the tenant), for the report to write.
pub async fn run(
    audit: Audit<'_>,
    total: usize,
    subjects: impl futures_util::Stream<Item = Subject>,
    mut done: impl FnMut(&OrgReport),
) -> (Vec<OrgReport>, Vec<(ScreenshotName, Vec<u8>)>) {
    let chromium = match Chromium::find(audit.browser.clone()) {
        Ok(c) => c,
        Err(e) => return without_a_browser(subjects, &e, done).await,
    };
    let mut sessions = Vec::new();
    for _ in 0..audit.browsers.clamp(1, total.max(1)) {
        match chromium.session().await {
            Ok(s) => sessions.push(s),
            Err(e) if sessions.is_empty() => return without_a_browser(subjects, &e, done).await,
            // Fewer browsers than asked for: go on with those that started.
            Err(_) => break,
        }
    }
    // At most as many pages in flight as there are browsers, so a free one is always in the pool.
    let in_flight = sessions.len();
    let pool = tokio::sync::Mutex::new(sessions);
    let (pool, audit) = (&pool, &audit);
    let mut results = std::pin::pin!(
        subjects
            .map(|subject| async move {
                let Subject::Ready(expected) = &subject else {
                    return (OrgReport::not_checked(&subject, ""), None);
                };
                let Some(file) = ScreenshotName::for_org(&expected.org_id) else {
                    let why = format!(
                        "its id {:?} is not an Auth0 organization id (org_ and letters or digits), so it was \
                         not opened",
                        expected.org_id
                    );
                    return (OrgReport::failed(expected, &why), None);
                };
                let url = login_url(audit.tenant_base, audit.app, &expected.org_id);
                let session = pool
                    .lock()
                    .await
                    .pop()
                    .expect("a browser per page in flight");
                let visit = session.visit(url.as_str(), audit.selectors).await;
                pool.lock().await.push(session);
                match visit {
                    Ok((seen, png)) => {
                        let checks = checks(expected, &seen);
                        (OrgReport::checked(expected, &seen, checks), Some((file, png)))
                    }
                    Err(e) => (OrgReport::failed(expected, &e.to_string()), None),
                }
            })
            .buffer_unordered(in_flight)
    );
    let mut reports = Vec::new();
    let mut shots = Vec::new();
    while let Some((mut report, shot)) = results.next().await {
        if let Some((file, png)) = shot {
            report.screenshot = Some(file.as_str().to_owned());
            shots.push((file, png));
        }
        done(&report);
        reports.push(report);
    }
    for s in pool.lock().await.drain(..) {
        s.close().await;
    }
    (reports, shots)
}

/// Every subject's card says why no page could be opened.
async fn without_a_browser(
    subjects: impl futures_util::Stream<Item = Subject>,
    why: &BrowserError,
    mut done: impl FnMut(&OrgReport),
) -> (Vec<OrgReport>, Vec<(ScreenshotName, Vec<u8>)>) {
    let why = why.to_string();
    let reports = subjects
        .map(|s| {
            let r = OrgReport::not_checked(&s, &why);
            done(&r);
            r
        })
        .collect()
        .await;
    (reports, Vec::new())
}
