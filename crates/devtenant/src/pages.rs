//! HTML rendering shared by the Universal Login pages, the home page and the bundled branding assets.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};

use crate::AppState;

/// Logos shipped with the demo seed, served under `/branding/{file}`.
const ASSETS: &[(&str, &str)] = &[
    ("acme.svg", include_str!("../seeds/acme.svg")),
    ("globex.svg", include_str!("../seeds/globex.svg")),
    ("initech.svg", include_str!("../seeds/initech.svg")),
];

pub async fn branding_asset(Path(file): Path<String>) -> Response {
    match ASSETS.iter().find(|(name, _)| *name == file) {
        Some((_, svg)) => (
            [
                ("content-type", "image/svg+xml"),
                ("cache-control", "public, max-age=300"),
            ],
            *svg,
        )
            .into_response(),
        None => (StatusCode::NOT_FOUND, "no such asset").into_response(),
    }
}

/// Escapes text for HTML element content and attribute values.
pub fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// Page chrome with the given colours.
pub fn page(title: &str, primary: &str, background: &str, body: &str) -> String {
    format!(
        r#"<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{title}</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>
body {{ margin:0; font-family: system-ui, sans-serif; background:{background}; color:#212529; }}
main {{ max-width: 380px; margin: 48px auto; background:#fff; border-radius:8px; padding:32px;
        box-shadow: 0 4px 18px rgba(0,0,0,.12); }}
h1 {{ font-size: 1.3rem; margin: 12px 0 20px; text-align:center; }}
.logo {{ display:block; margin: 0 auto; max-height:64px; }}
label {{ display:block; margin: 12px 0 4px; font-size:.9rem; }}
input[type=text], input[type=email], input[type=password] {{ width:100%; box-sizing:border-box; padding:10px;
        border:1px solid #ced4da; border-radius:4px; font-size:1rem; }}
button, .button {{ display:block; width:100%; box-sizing:border-box; margin-top:16px; padding:11px; border:0;
        border-radius:4px; background:{primary}; color:#fff; font-size:1rem; cursor:pointer; text-align:center;
        text-decoration:none; }}
.secondary {{ background:#fff; color:{primary}; border:1px solid {primary}; }}
.error {{ color:#c92a2a; background:#fff5f5; padding:8px; border-radius:4px; }}
.hint {{ color:#868e96; font-size:.85rem; text-align:center; margin-top:16px; }}
</style></head>
<body><main>{body}</main></body></html>"#,
        title = esc(title),
        primary = esc(primary),
        background = esc(background),
    )
}

pub async fn home(State(state): State<AppState>) -> Html<String> {
    let t = state.lock();
    let orgs: String = t
        .store
        .organizations
        .iter()
        .map(|o| {
            format!(
                "<li><code>{}</code> {} ({})</li>",
                esc(&o.id),
                esc(&o.name),
                esc(&o.display_name)
            )
        })
        .collect();
    Html(page(
        "devtenant",
        "#495057",
        "#f1f3f5",
        &format!(
            "<h1>devtenant: {}</h1><p>Issuer <code>{}</code></p><p>Organizations:</p><ul>{orgs}</ul>\
             <p class=\"hint\">A local stand-in for an Auth0 tenant. Discovery at <code>/.well-known/openid-configuration</code>.</p>",
            esc(&t.store.settings.friendly_name),
            esc(state.issuer_str())
        ),
    ))
}
