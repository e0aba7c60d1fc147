//! What the window shows: the [`AppView`] built from the model's state, each session's view, and how an
//! organization is named and branded (the directory, else what was remembered, else its name or ID).
use time::OffsetDateTime;

use super::{Core, Inner, Signed};
use crate::view::*;

impl Core {
    /// The company directory's cards, in configured order (the window asks once; the state carries their count).
    pub fn directory(&self) -> &[OrgCard] {
        self.directory.cards()
    }

    /// Everything the window renders.
    pub fn view(&self) -> AppView {
        let inner = self.lock();
        AppView {
            version: self.version.get().cloned().unwrap_or_default(),
            issuer: self.issuer.clone(),
            client_id: self.client_id.clone(),
            qa: inner.qa,
            qa_locked: self.qa_locked,
            directory_size: self.directory.len(),
            // An organization this app may no longer sign in to (the directory or `allowed_organizations` changed)
            // is not offered.
            recent: inner
                .recent
                .iter()
                .filter(|r| {
                    self.ready
                        .as_ref()
                        .is_ok_and(|ready| ready.config.engine.allows_organization(&r.org_id))
                })
                .map(|r| RecentOrg {
                    card: OrgCard {
                        input: r.org_id.clone(),
                        id: Some(r.org_id.clone()),
                        name: r.org_name.clone(),
                        display_name: r.display_name.clone(),
                        branding: r.branding.clone(),
                    },
                    last_signed_in: rfc3339(r.last_signed_in),
                    signed_in: inner.sessions.contains_key(&r.org_id),
                    found_by_email: r.found_by_email,
                })
                .collect(),
            sessions: inner
                .sessions
                .values()
                .map(|s| self.session_view(&inner, s))
                .collect(),
            active: inner.active.clone(),
            pending: inner.pending.as_ref().map(|p| p.view.clone()),
            last_error: inner.last_error.clone(),
            prefill: inner.prefill.clone(),
            picking: inner.picking,
            api_url: self
                .ready
                .as_ref()
                .ok()
                .and_then(|r| r.config.engine.api_url.as_ref())
                .map(|u| u.url().to_string()),
            apis: self.ready.as_ref().map_or_else(
                |_| Vec::new(),
                |r| {
                    let apis = r.config.engine.apis.iter();
                    apis.filter(|a| a.url.is_some())
                        .map(|a| a.name.clone())
                        .collect()
                },
            ),
            portals: self.ready.as_ref().map_or_else(
                |_| Vec::new(),
                |r| {
                    r.config
                        .engine
                        .portals
                        .iter()
                        .map(|p| p.name.clone())
                        .collect()
                },
            ),
        }
    }

    fn session_view(&self, inner: &Inner, s: &Signed) -> SessionView {
        let org_id = s.meta.key.org_id.clone().unwrap_or_default();
        let (display, branding) =
            self.org_identity(inner, Some(&org_id), s.meta.org_name.as_deref());
        SessionView {
            org_id,
            org_name: s.meta.org_name.clone(),
            org_display_name: display,
            branding,
            sub: s.meta.sub.clone(),
            name: s.meta.name.clone(),
            email: s.meta.email.clone(),
            picture: s.meta.picture.clone(),
            expires_at: OffsetDateTime::from_unix_timestamp(s.meta.expires_at)
                .map(rfc3339)
                .unwrap_or_default(),
            status: s.status,
            status_note: s.note.clone(),
            found_by_email: s.meta.found_by_email,
        }
    }

    /// Display name and branding of an organization: from the directory, else remembered, else its name/ID.
    pub(super) fn org_identity(
        &self,
        inner: &Inner,
        id: Option<&str>,
        name: Option<&str>,
    ) -> (String, Branding) {
        if let Some(card) = self.directory.find(id, name) {
            return (card.display_name.clone(), card.branding.clone());
        }
        if let Some(r) = inner.recent.iter().find(|r| {
            Some(r.org_id.as_str()) == id || (name.is_some() && r.org_name.as_deref() == name)
        }) {
            return (r.display_name.clone(), r.branding.clone());
        }
        (
            name.or(id).unwrap_or("your organization").to_owned(),
            Branding::default(),
        )
    }
}

/// A time as RFC 3339, the one format the window and the QA view show times in.
pub(super) fn rfc3339(t: OffsetDateTime) -> String {
    t.format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default()
}
