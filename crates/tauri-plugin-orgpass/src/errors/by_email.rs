//! The sentences of "I don't know my organization": a work email that is not one, and an organization outside the
//! allow-list (`allowed_organizations`, which the Orgpass app fills from its company directory), named before the
//! browser or chosen by the tenant after it.

use orgpass::WorkEmailError;

use crate::view::{ErrorCode, IpcError};

/// A work email that is not one ("Continue with your work email"): shown under its field, saying what is missing.
/// Whether it is an address is the engine's call (`WorkEmail::parse`); this only picks the sentence.
pub fn bad_email(input: &str, e: &WorkEmailError) -> IpcError {
    let s = input.trim();
    let message = match s.split_once('@') {
        _ if s.is_empty() => "Type your work email, like ada@acme.example.",
        None => "A work email has an @ in it, like ada@acme.example.",
        Some(("", _)) => "Type the part before the @ too, like ada@acme.example.",
        Some((local, domain))
            if local.contains(char::is_whitespace) || domain.contains(char::is_whitespace) =>
        {
            "An email address has no spaces."
        }
        Some((_, domain)) if domain.contains('@') => "An email address has only one @.",
        Some((_, domain)) if !domain.contains('.') || domain.split('.').any(str::is_empty) => {
            "After the @ comes your company's domain, like acme.example."
        }
        Some(_) => {
            "After the @ comes your company's domain: letters, digits, - and dots, like acme.example."
        }
    };
    IpcError::new(
        ErrorCode::BadInput,
        message,
        "Check the address you typed.",
        e.to_string(),
    )
}

/// The allow-list in a sentence for support: its IDs, or how many there are when it is long (a directory of
/// thousands).
pub(super) fn allowed_for_support(allowed: &str) -> String {
    let ids: Vec<&str> = allowed.split(", ").filter(|s| !s.is_empty()).collect();
    if ids.len() <= 5 {
        ids.join(", ")
    } else {
        format!("{}, … ({} organizations)", ids[..5].join(", "), ids.len())
    }
}

/// The tenant chose (by the work email, or in its own picker) an organization outside the allow-list: the engine
/// stored nothing.
pub(super) fn org_not_allowed(org_id: &str, org_name: Option<&str>, allowed: &str) -> IpcError {
    let chosen = match org_name {
        Some(n) => format!("{n} ({org_id})"),
        None => org_id.to_owned(),
    };
    IpcError::new(
        ErrorCode::Refused,
        format!(
            "The sign-in service chose {chosen}, which is not one of the organizations this app may sign in to, so \
             you were not signed in."
        ),
        "Nothing was stored. Choose one of your company's organizations, or ask your IT department to add this one.",
        format!(
            "the tenant signed you in to organization {org_id}, which is not in allowed_organizations ({}); nothing \
             was stored",
            allowed_for_support(allowed)
        ),
    )
}

/// An organization named by ID outside the allow-list: refused before the browser opens.
pub(super) fn not_allowed(label: &str, id: &str, allowed: &str) -> IpcError {
    IpcError::new(
        ErrorCode::Refused,
        format!("{label} is not one of the organizations this app may sign in to."),
        "Choose one of your company's organizations, or ask your IT department to add it.",
        format!(
            "organization {id} is not in allowed_organizations ({})",
            allowed_for_support(allowed)
        ),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_long_allow_list_is_counted_for_support() {
        assert_eq!(allowed_for_support("org_a, org_b"), "org_a, org_b");
        let many: Vec<String> = (0..5003).map(|i| format!("org_{i}")).collect();
        assert_eq!(
            allowed_for_support(&many.join(", ")),
            "org_0, org_1, org_2, org_3, org_4, … (5003 organizations)"
        );
    }
}
