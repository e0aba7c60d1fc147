//! Organization input: an `org_…` ID, an organization name, or a pasted Auth0 invitation link; or a work email, by
//! which the tenant finds the organization (Auth0's Organization Domain Discovery).

use url::Url;

/// What the user asked to sign in to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OrgInput {
    /// An organization ID (`org_…`), sent as is; the ID token's `org_id` must equal it.
    Id(String),
    /// An organization name, lowercased; the ID token's `org_name` must equal it.
    Name(String),
    /// An invitation link: the `organization` (ID or name) plus the invitation ticket.
    Invitation {
        /// The organization from the link (normally an ID).
        org: Box<OrgInput>,
        /// The invitation ticket id.
        invitation: String,
        /// `organization_name` from the link: informational, not sent.
        org_name: Option<String>,
    },
}

/// Why organization input was refused (before any browser opens).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OrgInputError {
    #[error(
        "organization is empty: give an organization ID (org_…), a name, or an invitation link"
    )]
    Empty,
    #[error("organization name `{0}` is too long: names have at most 50 characters")]
    NameTooLong(String),
    #[error(
        "organization name `{name}` contains `{bad}`: names use only lowercase letters a-z, digits, `_` and `-` (use the ID org_… or the name, not the display name)"
    )]
    NameCharacter { name: String, bad: char },
    #[error(
        "organization ID `{0}` is invalid: an ID is `org_` followed by letters and digits, at most 50 characters"
    )]
    BadId(String),
    #[error("invitation link is missing `{0}`: paste the whole link from the invitation email")]
    InvitationMissing(&'static str),
    #[error("invitation link is not a valid URL: {0}")]
    InvitationUrl(String),
}

/// Why a work email was refused (before any browser opens).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WorkEmailError {
    #[error(
        "`{0}` is not an email address: give your work email, like ada@acme.example, so the tenant can find your \
         organization by its domain"
    )]
    NotAnAddress(String),
}

/// A work email the tenant finds the organization by (sent as `login_hint`, without `organization`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WorkEmail(String);

impl WorkEmail {
    /// Trims; one `@`, a local part without spaces, and a domain of dot-separated labels.
    pub fn parse(input: &str) -> Result<Self, WorkEmailError> {
        let s = input.trim();
        let bad = || WorkEmailError::NotAnAddress(s.to_owned());
        let (local, domain) = s.split_once('@').ok_or_else(bad)?;
        let domain_ok = domain.contains('.')
            && domain
                .split('.')
                .all(|l| !l.is_empty() && l.chars().all(|c| c.is_alphanumeric() || c == '-'));
        if local.is_empty() || local.contains(|c: char| c == '@' || c.is_whitespace()) || !domain_ok
        {
            return Err(bad());
        }
        Ok(Self(s.to_owned()))
    }

    /// The address as typed (trimmed).
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl OrgInput {
    /// Parse user input: trims; `org_…` is an ID; a URL must be an invitation link; anything else is a name.
    pub fn parse(input: &str) -> Result<Self, OrgInputError> {
        let s = input.trim();
        if s.is_empty() {
            return Err(OrgInputError::Empty);
        }
        if s.contains("://") || s.contains("invitation=") {
            return parse_invitation(s);
        }
        parse_org(s)
    }

    /// The value sent as the `organization` parameter.
    pub fn organization_param(&self) -> &str {
        match self {
            Self::Id(id) | Self::Name(id) => id,
            Self::Invitation { org, .. } => org.organization_param(),
        }
    }

    /// The invitation ticket, if this came from an invitation link.
    pub fn invitation(&self) -> Option<&str> {
        match self {
            Self::Invitation { invitation, .. } => Some(invitation),
            _ => None,
        }
    }

    /// The organization's ID, when it was given as one (directly or in an invitation link).
    pub fn id(&self) -> Option<&str> {
        match self.org() {
            Self::Id(id) => Some(id),
            _ => None,
        }
    }

    /// The organization's name (lowercased), when it was given as one.
    pub fn name(&self) -> Option<&str> {
        match self.org() {
            Self::Name(name) => Some(name),
            _ => None,
        }
    }

    /// The organization part (ID or name) without the invitation.
    pub fn org(&self) -> &OrgInput {
        match self {
            Self::Invitation { org, .. } => org,
            other => other,
        }
    }
}

fn parse_org(s: &str) -> Result<OrgInput, OrgInputError> {
    if let Some(rest) = s.strip_prefix("org_") {
        if rest.is_empty() || s.len() > 50 || !rest.chars().all(|c| c.is_ascii_alphanumeric()) {
            return Err(OrgInputError::BadId(s.to_owned()));
        }
        return Ok(OrgInput::Id(s.to_owned()));
    }
    let name = s.to_lowercase();
    if let Some(bad) = name
        .chars()
        .find(|c| !(c.is_ascii_lowercase() || c.is_ascii_digit() || *c == '_' || *c == '-'))
    {
        return Err(OrgInputError::NameCharacter { name, bad });
    }
    if name.chars().count() > 50 {
        return Err(OrgInputError::NameTooLong(name));
    }
    Ok(OrgInput::Name(name))
}

fn parse_invitation(s: &str) -> Result<OrgInput, OrgInputError> {
    let with_scheme = if s.contains("://") {
        s.to_owned()
    } else {
        format!("https://invitation.invalid/{}", s.trim_start_matches('/'))
    };
    let url = Url::parse(&with_scheme).map_err(|e| OrgInputError::InvitationUrl(e.to_string()))?;
    let get = |k: &str| {
        url.query_pairs()
            .find(|(key, _)| key == k)
            .map(|(_, v)| v.trim().to_owned())
            .filter(|v| !v.is_empty())
    };
    let invitation = get("invitation").ok_or(OrgInputError::InvitationMissing("invitation"))?;
    let org = get("organization").ok_or(OrgInputError::InvitationMissing("organization"))?;
    Ok(OrgInput::Invitation {
        org: Box::new(parse_org(&org)?),
        invitation,
        org_name: get("organization_name"),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table() {
        let id = |s: &str| OrgInput::Id(s.to_owned());
        let name = |s: &str| OrgInput::Name(s.to_owned());
        let (x50, x51) = ("x".repeat(50), "x".repeat(51));
        let rows: Vec<(&str, Result<OrgInput, OrgInputError>)> = vec![
            ("org_abc123DEF456ghi7", Ok(id("org_abc123DEF456ghi7"))),
            ("  org_W3EMXCyaLW0dJdHz \n", Ok(id("org_W3EMXCyaLW0dJdHz"))),
            ("Acme-Corp", Ok(name("acme-corp"))),
            ("9lives_inc", Ok(name("9lives_inc"))),
            ("a", Ok(name("a"))),
            (&x50, Ok(name(&x50))),
            (&x51, Err(OrgInputError::NameTooLong(x51.clone()))),
            (
                "Acme Corp",
                Err(OrgInputError::NameCharacter {
                    name: "acme corp".into(),
                    bad: ' ',
                }),
            ),
            (
                "acmé",
                Err(OrgInputError::NameCharacter {
                    name: "acmé".into(),
                    bad: 'é',
                }),
            ),
            ("", Err(OrgInputError::Empty)),
            ("   ", Err(OrgInputError::Empty)),
            ("org_", Err(OrgInputError::BadId("org_".into()))),
            (
                "org_has-dash",
                Err(OrgInputError::BadId("org_has-dash".into())),
            ),
            (
                "https://app.acme.example/login?invitation=Ab12Cd&organization=org_W3EMXCyaLW0dJdHz&organization_name=acme",
                Ok(OrgInput::Invitation {
                    org: Box::new(id("org_W3EMXCyaLW0dJdHz")),
                    invitation: "Ab12Cd".into(),
                    org_name: Some("acme".into()),
                }),
            ),
            (
                "https://app.acme.example/login?organization=org_W3EMXCyaLW0dJdHz&invitation=T1",
                Ok(OrgInput::Invitation {
                    org: Box::new(id("org_W3EMXCyaLW0dJdHz")),
                    invitation: "T1".into(),
                    org_name: None,
                }),
            ),
            (
                "?invitation=T2&organization=Acme",
                Ok(OrgInput::Invitation {
                    org: Box::new(name("acme")),
                    invitation: "T2".into(),
                    org_name: None,
                }),
            ),
            (
                "https://app.acme.example/login?organization=org_x",
                Err(OrgInputError::InvitationMissing("invitation")),
            ),
            (
                "https://app.acme.example/login?invitation=T3",
                Err(OrgInputError::InvitationMissing("organization")),
            ),
            (
                "https://app.acme.example/login?invitation=T3&organization=bad%20name",
                Err(OrgInputError::NameCharacter {
                    name: "bad name".into(),
                    bad: ' ',
                }),
            ),
        ];
        for (input, want) in rows {
            assert_eq!(OrgInput::parse(input), want, "input {input:?}");
        }
    }

    #[test]
    fn params() {
        let inv = OrgInput::parse(
            "https://x.example/l?invitation=T&organization=org_AAA&organization_name=a",
        )
        .unwrap();
        assert_eq!(inv.organization_param(), "org_AAA");
        assert_eq!(inv.invitation(), Some("T"));
        assert_eq!(inv.org(), &OrgInput::Id("org_AAA".into()));
        assert_eq!(
            OrgInput::parse("Acme").unwrap().organization_param(),
            "acme"
        );
    }

    #[test]
    fn work_emails() {
        assert_eq!(
            WorkEmail::parse(" Ada@Acme.example ").unwrap().as_str(),
            "Ada@Acme.example"
        );
        for bad in [
            "ada",
            "ada@",
            "@acme.example",
            "ada@acme",
            "a b@acme.example",
            "a@b@acme.example",
            "ada@acme..example",
            "",
        ] {
            assert_eq!(
                WorkEmail::parse(bad),
                Err(WorkEmailError::NotAnAddress(bad.trim().to_owned())),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn messages_say_what_is_wrong() {
        let e = OrgInput::parse("Acme Corp").unwrap_err().to_string();
        assert!(e.contains("`acme corp` contains ` `"), "{e}");
    }
}
