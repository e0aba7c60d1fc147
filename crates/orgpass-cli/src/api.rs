//! `orgpass api`: one request to the company's API with the session's access token, in the shape of `gh api`.
//!
//! The body goes to stdout as received; the status and the API's reason go to stderr. The token itself is never
//! printed (the engine attaches it and sends it only inside the configured API).

use std::io::{Read, Write};

use orgpass::{ApiError, ApiRequest, ApiResponse, Method};

use crate::ClientFilter;
use crate::failure::Failure;
use crate::session::{Want, session_client, wanted_api};
use crate::settings::Settings;

/// What was asked for on the command line.
pub struct Call {
    pub target: String,
    pub method: String,
    pub data: Option<String>,
    pub include: bool,
}

/// Runs the call: exit 0 for a 2xx answer, 1 for any other answer (after printing its body).
pub async fn run(
    call: Call,
    org: Option<&str>,
    want: Want<'_>,
    filter: &ClientFilter,
    settings: &Settings,
) -> Result<i32, Failure> {
    let method: Method = call.method.parse().map_err(|e| Failure::new(2, e))?;
    let body = call.data.as_deref().map(read_body).transpose()?;
    let (meta, client) = session_client(org, want, filter, settings)?;
    let request = ApiRequest {
        method,
        target: call.target,
        body,
    };
    let response = match wanted_api(&client, want)? {
        Some(api) => client.call_api_on(&meta.key, &api, &request).await,
        None => client.call_api(&meta.key, &request).await,
    }
    .map_err(failure)?;
    if call.include {
        eprintln!(
            "{} {}\ncontent-type: {}",
            response.status,
            response.status_text(),
            response.content_type.as_deref().unwrap_or("-")
        );
    }
    let mut out = std::io::stdout().lock();
    let written = out
        .write_all(response.body.as_bytes())
        .and_then(|()| {
            if response.body.ends_with('\n') || response.body.is_empty() {
                Ok(())
            } else {
                out.write_all(b"\n")
            }
        })
        .and_then(|()| out.flush());
    if let Err(e) = written {
        return Err(Failure::new(
            1,
            format!("could not write to standard output: {e}"),
        ));
    }
    if (200..300).contains(&response.status) {
        Ok(0)
    } else {
        eprintln!("orgpass: {}", refusal(&response));
        Ok(1)
    }
}

/// `-d`: literal JSON, `@FILE`, or `@-` for standard input.
fn read_body(data: &str) -> Result<String, Failure> {
    match data.strip_prefix('@') {
        Some("-") => {
            let mut text = String::new();
            std::io::stdin().read_to_string(&mut text).map_err(|e| {
                Failure::new(
                    2,
                    format!("could not read the body from standard input: {e}"),
                )
            })?;
            Ok(text)
        }
        Some(path) => std::fs::read_to_string(path)
            .map_err(|e| Failure::new(2, format!("could not read the body from {path}: {e}"))),
        None => Ok(data.to_owned()),
    }
}

fn failure(e: ApiError) -> Failure {
    let code = match &e {
        ApiError::Token(t) => return Failure::of(t.kind(), t),
        ApiError::NoApiUrl
        | ApiError::NoAudience
        | ApiError::BadApiUrl(_)
        | ApiError::OutsideApi { .. }
        | ApiError::BadMethod(_)
        | ApiError::BadBody(_)
        | ApiError::NoUrlFor(_)
        | ApiError::WrongAudience { .. } => 2,
        ApiError::Unreachable { .. } | ApiError::TimedOut { .. } | ApiError::TooLarge { .. } => 1,
    };
    Failure::new(code, e)
}

/// The sentence for a non-2xx answer: the status, the API's own reason (RFC 6750 `WWW-Authenticate`, else the
/// JSON body's `error_description`/`message`), and what to do.
pub fn refusal(r: &ApiResponse) -> String {
    let why = r.reason();
    let why = why.map(|w| format!(" ({w})")).unwrap_or_default();
    let next = match r.status {
        401 => {
            "; the API refused the access token even after a refresh: sign in again with `orgpass login`"
        }
        403 => {
            "; the token is valid but not allowed here: check the organization (--org) and ask your \
                administrator for the permission"
        }
        404 => "; check the path",
        500..=599 => "; the API failed, try again later",
        _ => "",
    };
    format!(
        "the API answered {} {} for {}{why}{next}",
        r.status,
        r.status_text(),
        r.url
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn response(status: u16, www: Option<&str>, body: &str) -> ApiResponse {
        ApiResponse {
            url: "http://127.0.0.1:4100/projects".into(),
            status,
            content_type: Some("application/json".into()),
            www_authenticate: www.map(str::to_owned),
            body: body.into(),
        }
    }

    #[test]
    fn refusal_sentences() {
        let rows = [
            (
                response(
                    403,
                    Some(
                        r#"Bearer realm="api", error="insufficient_scope", error_description="needs write:projects", scope="write:projects""#,
                    ),
                    "{}",
                ),
                "the API answered 403 Forbidden for http://127.0.0.1:4100/projects (insufficient_scope: needs write:projects); the token is valid but not allowed here: check the organization (--org) and ask your administrator for the permission",
            ),
            (
                response(
                    401,
                    Some(r#"Bearer realm="api", error="invalid_token""#),
                    "",
                ),
                "the API answered 401 Unauthorized for http://127.0.0.1:4100/projects (invalid_token); the API refused the access token even after a refresh: sign in again with `orgpass login`",
            ),
            (
                response(404, None, r#"{"message":"no such route"}"#),
                "the API answered 404 Not Found for http://127.0.0.1:4100/projects (no such route); check the path",
            ),
            (
                response(502, None, "<html>bad gateway</html>"),
                "the API answered 502 Bad Gateway for http://127.0.0.1:4100/projects; the API failed, try again later",
            ),
        ];
        for (r, want) in rows {
            assert_eq!(refusal(&r), want);
        }
    }
}
