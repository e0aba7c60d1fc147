//! How a session is written for people and in JSON: who signed in, to which organization, and its times.

use orgpass::SessionMeta;

/// The signed-in user: e-mail, else name, else subject.
pub fn who(m: &SessionMeta) -> &str {
    m.email.as_deref().or(m.name.as_deref()).unwrap_or(&m.sub)
}

/// `organization NAME (ID)`, or as much of it as the session has.
pub fn which_org(m: &SessionMeta) -> String {
    match (&m.key.org_id, &m.org_name) {
        (Some(id), Some(name)) => format!("organization {name} ({id})"),
        (Some(id), None) => format!("organization {id}"),
        _ => "no organization".into(),
    }
}

/// `2026-12-02T09:00:00Z`.
pub fn rfc3339(unix: i64) -> String {
    time::OffsetDateTime::from_unix_timestamp(unix)
        .ok()
        .and_then(|t| {
            t.format(&time::format_description::well_known::Rfc3339)
                .ok()
        })
        .unwrap_or_else(|| unix.to_string())
}

/// `2026-12-02 09:00 UTC`.
pub fn human_time(unix: i64) -> String {
    let format = time::macros::format_description!("[year]-[month]-[day] [hour]:[minute] UTC");
    time::OffsetDateTime::from_unix_timestamp(unix)
        .ok()
        .and_then(|t| t.format(&format).ok())
        .unwrap_or_else(|| unix.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_are_rfc3339() {
        assert_eq!(rfc3339(1_800_000_000), "2027-01-15T08:00:00Z");
        assert_eq!(human_time(1_800_000_000), "2027-01-15 08:00 UTC");
    }
}
