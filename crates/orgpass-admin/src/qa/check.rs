//! The checks of one login page: what the organization should show ([`Expected`]) against what Chromium saw
//! ([`Seen`]), one [`Check`] per property, each with both values in words a person compares at a glance.

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};

/// What an organization's login page should show, from the Management API or an `apply` file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Expected {
    pub org_id: String,
    pub name: String,
    /// The name users read on the page (the display name, else the name).
    pub display_name: String,
    pub logo_url: Option<String>,
    /// `#rrggbb` or `#rgb`, as configured.
    pub primary: Option<String>,
    pub page_background: Option<String>,
    /// Names of the connections offered as buttons (social, and enterprise ones with `show_as_button`).
    pub buttons: BTreeSet<String>,
    /// Whether a database connection is enabled, so the page asks for a username.
    pub username_field: bool,
}

/// What the login page showed, read from the DOM in Chromium.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Seen {
    /// The URL the browser ended on after `/authorize`.
    pub url: String,
    /// Whether that URL is a login page (its path starts with the selectors' `login_path`).
    pub on_login_page: bool,
    pub title: String,
    /// The text of the page's header (Auth0: "Welcome" / "Log in to {organization} to continue to {app}").
    pub header: String,
    pub logo: Option<SeenLogo>,
    /// `getComputedStyle(..).backgroundColor` of the continue button, `None` when there is none.
    pub button_color: Option<String>,
    /// `getComputedStyle(..).backgroundColor` of the page background element.
    pub background_color: Option<String>,
    pub buttons: Vec<String>,
    pub username_field: bool,
}

/// The logo image as rendered.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SeenLogo {
    /// The URL the image was loaded from (`currentSrc`).
    pub src: String,
    /// Loaded and decoded (`complete` with a natural width): not a broken image.
    pub loaded: bool,
    /// Rendered size in CSS pixels.
    pub width: u32,
    pub height: u32,
}

/// One property of the page, compared.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Check {
    /// `page`, `logo`, `primary_color`, `page_background`, `display_name`, `connections`.
    pub name: String,
    pub expected: String,
    pub seen: String,
    pub passed: bool,
}

impl Check {
    fn new(name: &str, expected: impl Into<String>, seen: impl Into<String>, passed: bool) -> Self {
        Self {
            name: name.into(),
            expected: expected.into(),
            seen: seen.into(),
            passed,
        }
    }
}

/// A logo smaller than this (either side, CSS px) is not one a person can see.
const LOGO_MIN_PX: u32 = 16;
/// A logo larger than this (either side) is out of proportion on a login box.
const LOGO_MAX_PX: u32 = 600;

/// Every check of one page. A page that is not a login page (an error page, a redirect elsewhere) is one
/// failed `page` check: nothing on it is the organization's branding.
pub fn checks(expected: &Expected, seen: &Seen) -> Vec<Check> {
    if !seen.on_login_page {
        return vec![Check::new(
            "page",
            "the login page",
            format!("{} ({})", seen.url, one_line(&seen.header, &seen.title)),
            false,
        )];
    }
    vec![
        logo(expected, seen),
        colour(
            "primary_color",
            expected.primary.as_deref(),
            seen.button_color.as_deref(),
            "no continue button",
        ),
        colour(
            "page_background",
            expected.page_background.as_deref(),
            seen.background_color.as_deref(),
            "no background element",
        ),
        display_name(expected, seen),
        connections(expected, seen),
    ]
}

fn one_line(header: &str, title: &str) -> String {
    let header = header.split_whitespace().collect::<Vec<_>>().join(" ");
    if header.is_empty() {
        format!("title \"{title}\"")
    } else {
        format!("\"{header}\"")
    }
}

fn logo(expected: &Expected, seen: &Seen) -> Check {
    let Some(want) = &expected.logo_url else {
        return Check::new(
            "logo",
            "a logo (none is set for this organization)",
            seen.logo
                .as_ref()
                .map_or("no logo".into(), |l| l.src.clone()),
            false,
        );
    };
    let Some(l) = &seen.logo else {
        return Check::new("logo", want, "no logo image on the page", false);
    };
    let (passed, seen_text) = if l.src != *want {
        (false, format!("{} (another image)", l.src))
    } else if !l.loaded {
        (false, format!("{} (broken: it did not load)", l.src))
    } else if l.width < LOGO_MIN_PX || l.height < LOGO_MIN_PX {
        (
            false,
            format!("{} ({}×{} px: too small to see)", l.src, l.width, l.height),
        )
    } else if l.width > LOGO_MAX_PX || l.height > LOGO_MAX_PX {
        (
            false,
            format!("{} ({}×{} px: too large)", l.src, l.width, l.height),
        )
    } else {
        (true, format!("{} ({}×{} px)", l.src, l.width, l.height))
    };
    Check::new("logo", want.clone(), seen_text, passed)
}

fn colour(name: &str, want: Option<&str>, seen: Option<&str>, missing: &str) -> Check {
    let seen_hex = seen.and_then(css_rgb).map(hex);
    let seen_text = match (seen, &seen_hex) {
        (_, Some(h)) => h.clone(),
        (Some(raw), None) => raw.to_owned(),
        (None, None) => missing.to_owned(),
    };
    match want {
        None => Check::new(
            name,
            "a colour (none is set for this organization)",
            seen_text,
            false,
        ),
        Some(w) => {
            let passed = match (parse_hex(w), seen.and_then(css_rgb)) {
                (Some(a), Some(b)) => a == b,
                _ => false,
            };
            let want_text = parse_hex(w).map_or_else(|| w.to_owned(), hex);
            Check::new(name, want_text, seen_text, passed)
        }
    }
}

fn display_name(expected: &Expected, seen: &Seen) -> Check {
    let header = seen.header.split_whitespace().collect::<Vec<_>>().join(" ");
    let passed = header.contains(&expected.display_name);
    Check::new(
        "display_name",
        expected.display_name.clone(),
        format!("\"{header}\""),
        passed,
    )
}

fn connections(expected: &Expected, seen: &Seen) -> Check {
    let offered: BTreeSet<String> = seen.buttons.iter().cloned().collect();
    let describe = |buttons: &BTreeSet<String>, username: bool| {
        let mut parts: Vec<String> = Vec::new();
        if username {
            parts.push("username and password".into());
        }
        parts.extend(buttons.iter().map(|b| format!("{b} button")));
        if parts.is_empty() {
            "nothing".into()
        } else {
            parts.join(", ")
        }
    };
    let mut seen_text = describe(&offered, seen.username_field);
    let extra: Vec<&String> = offered.difference(&expected.buttons).collect();
    let missing: Vec<&String> = expected.buttons.difference(&offered).collect();
    if !extra.is_empty() {
        seen_text.push_str(&format!(
            " (not enabled for this organization: {})",
            join(&extra)
        ));
    }
    if !missing.is_empty() {
        seen_text.push_str(&format!(" (missing: {})", join(&missing)));
    }
    let passed =
        extra.is_empty() && missing.is_empty() && seen.username_field == expected.username_field;
    Check::new(
        "connections",
        describe(&expected.buttons, expected.username_field),
        seen_text,
        passed,
    )
}

fn join(names: &[&String]) -> String {
    names
        .iter()
        .map(|s| s.as_str())
        .collect::<Vec<_>>()
        .join(", ")
}

/// `#rgb` or `#rrggbb` (any case).
pub fn parse_hex(s: &str) -> Option<(u8, u8, u8)> {
    let h = s.trim().strip_prefix('#')?;
    let digit = |i: usize, n: usize| u8::from_str_radix(h.get(i..i + n)?, 16).ok();
    match h.len() {
        3 => Some((digit(0, 1)? * 17, digit(1, 1)? * 17, digit(2, 1)? * 17)),
        6 => Some((digit(0, 2)?, digit(2, 2)?, digit(4, 2)?)),
        _ => None,
    }
}

/// A computed CSS colour, `rgb(r, g, b)`, or `rgba(r, g, b, a)` when it is opaque.
pub fn css_rgb(s: &str) -> Option<(u8, u8, u8)> {
    let inner = s
        .trim()
        .strip_prefix("rgba(")
        .or_else(|| s.trim().strip_prefix("rgb("))?
        .strip_suffix(')')?;
    let parts: Vec<&str> = inner.split(',').map(str::trim).collect();
    let channel = |i: usize| parts.get(i)?.parse::<u8>().ok();
    match parts.len() {
        3 => Some((channel(0)?, channel(1)?, channel(2)?)),
        4 if parts[3].parse::<f32>().ok()? >= 1.0 => Some((channel(0)?, channel(1)?, channel(2)?)),
        _ => None,
    }
}

fn hex((r, g, b): (u8, u8, u8)) -> String {
    format!("#{r:02x}{g:02x}{b:02x}")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn acme() -> Expected {
        Expected {
            org_id: "org_1".into(),
            name: "acme".into(),
            display_name: "Acme Corporation".into(),
            logo_url: Some("https://cdn.example/acme.svg".into()),
            primary: Some("#d9480f".into()),
            page_background: Some("#FFF4E6".into()),
            buttons: ["google-oauth2".to_owned()].into(),
            username_field: true,
        }
    }

    fn seen_ok() -> Seen {
        Seen {
            url: "https://t.example/u/login?state=x".into(),
            on_login_page: true,
            title: "Log in | Acme".into(),
            header: "Welcome\n  Log in to Acme Corporation to continue".into(),
            logo: Some(SeenLogo {
                src: "https://cdn.example/acme.svg".into(),
                loaded: true,
                width: 120,
                height: 64,
            }),
            button_color: Some("rgb(217, 72, 15)".into()),
            background_color: Some("rgba(255, 244, 230, 1)".into()),
            buttons: vec!["google-oauth2".into()],
            username_field: true,
        }
    }

    fn failed(expected: &Expected, seen: &Seen) -> Vec<(String, String)> {
        checks(expected, seen)
            .into_iter()
            .filter(|c| !c.passed)
            .map(|c| (c.name, c.seen))
            .collect()
    }

    #[test]
    fn a_page_that_shows_everything_passes_every_check() {
        let all = checks(&acme(), &seen_ok());
        let names: Vec<&str> = all.iter().map(|c| c.name.as_str()).collect();
        assert_eq!(
            names,
            [
                "logo",
                "primary_color",
                "page_background",
                "display_name",
                "connections"
            ]
        );
        assert!(all.iter().all(|c| c.passed), "{all:#?}");
        assert_eq!(all[1].expected, "#d9480f");
        assert_eq!(all[2].expected, "#fff4e6");
        assert_eq!(all[2].seen, "#fff4e6");
        assert_eq!(
            all[4].expected,
            "username and password, google-oauth2 button"
        );
    }

    #[test]
    fn each_difference_fails_exactly_its_own_check() {
        let e = acme();
        let mut s = seen_ok();
        s.button_color = Some("rgb(99, 93, 255)".into());
        assert_eq!(failed(&e, &s), [("primary_color".into(), "#635dff".into())]);

        let mut s = seen_ok();
        s.logo.as_mut().unwrap().loaded = false;
        assert_eq!(
            failed(&e, &s),
            [(
                "logo".into(),
                "https://cdn.example/acme.svg (broken: it did not load)".into()
            )]
        );

        let mut s = seen_ok();
        s.logo.as_mut().unwrap().width = 4;
        assert_eq!(failed(&e, &s)[0].0, "logo");

        let mut s = seen_ok();
        s.logo.as_mut().unwrap().src = "https://cdn.example/tenant.png".into();
        assert_eq!(
            failed(&e, &s),
            [(
                "logo".into(),
                "https://cdn.example/tenant.png (another image)".into()
            )]
        );

        let mut s = seen_ok();
        s.header = "Log in to Orgpass Demo".into();
        assert_eq!(
            failed(&e, &s),
            [("display_name".into(), "\"Log in to Orgpass Demo\"".into())]
        );

        let mut s = seen_ok();
        s.buttons.push("initech-sso".into());
        assert_eq!(
            failed(&e, &s),
            [(
                "connections".into(),
                "username and password, google-oauth2 button, initech-sso button (not enabled for this organization: initech-sso)".into()
            )]
        );

        let mut s = seen_ok();
        s.username_field = false;
        assert_eq!(failed(&e, &s)[0].0, "connections");

        let mut s = seen_ok();
        s.background_color = Some("rgba(0, 0, 0, 0)".into());
        assert_eq!(
            failed(&e, &s),
            [("page_background".into(), "rgba(0, 0, 0, 0)".into())]
        );
    }

    #[test]
    fn an_error_page_is_one_failed_page_check() {
        let mut s = seen_ok();
        s.on_login_page = false;
        s.url = "https://t.example/authorize?x".into();
        s.header = "Oops!,  something went wrong".into();
        assert_eq!(
            checks(&acme(), &s),
            [Check::new(
                "page",
                "the login page",
                "https://t.example/authorize?x (\"Oops!, something went wrong\")",
                false
            )]
        );
    }

    #[test]
    fn an_organization_without_branding_fails_logo_and_colours() {
        let mut e = acme();
        e.logo_url = None;
        e.primary = None;
        e.page_background = None;
        let f: Vec<String> = failed(&e, &seen_ok()).into_iter().map(|(n, _)| n).collect();
        assert_eq!(f, ["logo", "primary_color", "page_background"]);
    }

    #[test]
    fn colours_parse_both_ways() {
        assert_eq!(parse_hex("#abc"), Some((0xaa, 0xbb, 0xcc)));
        assert_eq!(parse_hex("#D9480F"), Some((0xd9, 0x48, 0x0f)));
        assert_eq!(parse_hex("d9480f"), None);
        assert_eq!(parse_hex("#d9480"), None);
        assert_eq!(css_rgb("rgb(1, 2, 3)"), Some((1, 2, 3)));
        assert_eq!(css_rgb("rgba(1, 2, 3, 1)"), Some((1, 2, 3)));
        assert_eq!(css_rgb("rgba(1, 2, 3, 0.5)"), None);
        assert_eq!(css_rgb("transparent"), None);
    }
}
