//! The access token of the one session a command picks, refreshed when needed: `orgpass token` prints it,
//! `orgpass run` hands it to a command.

use std::ffi::OsString;

use orgpass::AccessToken;

use crate::ClientFilter;
use crate::child;
use crate::failure::Failure;
use crate::format::{self, Format};
use crate::session::{Want, session_client, wanted_api};
use crate::settings::Settings;

/// A valid access token of the one session `org` and `filter` select, refreshed when needed (or `want.refresh`).
async fn access_token(
    org: Option<&str>,
    want: Want<'_>,
    filter: &ClientFilter,
    settings: &Settings,
) -> Result<AccessToken, Failure> {
    let (meta, client) = session_client(org, want, filter, settings)?;
    token_of(&client, &meta, want).await
}

/// The token `want` asks for: for the API it names, else the sign-in's own.
async fn token_of(
    client: &orgpass::Client,
    meta: &orgpass::SessionMeta,
    want: Want<'_>,
) -> Result<AccessToken, Failure> {
    let got = match wanted_api(client, want)? {
        Some(api) => client.token_for(&meta.key, &api, want.refresh).await,
        None => client.token_with(&meta.key, want.refresh).await,
    };
    got.map_err(|e| Failure::of(e.kind(), e))
}

/// `orgpass token`: print the access token in `format`; for a bound session, with `proof_for` (method, URL), the
/// two headers of that one request.
pub async fn print(
    org: Option<String>,
    format: Format,
    proof_for: Option<(String, String)>,
    want: Want<'_>,
    filter: &ClientFilter,
    settings: &Settings,
) -> Result<(), Failure> {
    let (meta, client) = session_client(org.as_deref(), want, filter, settings)?;
    let t = token_of(&client, &meta, want).await?;
    let Some((method, url)) = proof_for else {
        refuse_bound(
            &t,
            "`orgpass token` does not print it without --dpop-method and --dpop-url",
        )?;
        println!("{}", format::render(format, &t));
        return Ok(());
    };
    if t.dpop_key.is_none() {
        return Err(Failure::new(
            2,
            "this session is not bound to a key (DPoP), so there is no proof to make; use --format header",
        ));
    }
    if !matches!(format, Format::Header | Format::Token | Format::Json) {
        return Err(Failure::new(
            2,
            "with --dpop-method and --dpop-url the output is the two headers (default) or --json",
        ));
    }
    let url = url::Url::parse(&url)
        .map_err(|e| Failure::new(2, format!("--dpop-url {url} is not a URL ({e})")))?;
    let method = method.to_ascii_uppercase();
    let proof = client
        .dpop_proof(&t, &method, &url)
        .map_err(|e| Failure::of(e.kind(), e))?;
    println!("{}", format::render_bound(format, &t, &proof));
    Ok(())
}

/// A session bound to this device (DPoP): its token is useless without a proof by a key that never leaves the
/// keychain, so it is not handed out bare (exit 2).
fn refuse_bound(t: &AccessToken, what: &str) -> Result<(), Failure> {
    if t.dpop_key.is_none() {
        return Ok(());
    }
    let jkt = t.meta.dpop_jkt.as_deref().unwrap_or("?");
    Err(Failure::new(
        2,
        format!(
            "this session is bound to this device (DPoP, key {jkt}): its access token works only with a proof \
             signed by a key that stays in the keychain, so {what}. Call the API with `orgpass api PATH`, or, for \
             a tool that needs a bearer token, sign in again with dpop = false"
        ),
    ))
}

/// `orgpass run`: the command's exit code once it has started.
pub async fn run_command(
    org: Option<String>,
    api: Option<&str>,
    filter: &ClientFilter,
    command: &[OsString],
    settings: &Settings,
) -> Result<i32, Failure> {
    let want = Want {
        api,
        ..Want::default()
    };
    let t = access_token(org.as_deref(), want, filter, settings).await?;
    refuse_bound(&t, "`orgpass run` cannot hand it to a command")?;
    child::run(command, t.token.secret(), t.meta.key.org_id.as_deref()).await
}
