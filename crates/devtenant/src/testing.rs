//! Scripted sign-in for tests (feature `testing`): what a browser does on this tenant's login page, without a
//! browser. One walker for every suite that needs a signed-in user but is not testing the browser itself (the
//! tenant's own tests, the app's command tests); the real-browser suites drive Chromium instead.

use url::Url;

/// Most hops a sign-in takes before the walker gives up (authorize → login page → POST → callback is 3).
const MAX_HOPS: usize = 10;

/// Why a scripted sign-in did not reach the application's redirect URI.
#[derive(Debug, thiserror::Error)]
pub enum WalkError {
    /// The tenant could not be reached or answered unreadably.
    #[error("sign-in request to {url} failed: {source}")]
    Http {
        url: Url,
        #[source]
        source: reqwest::Error,
    },
    /// A page that is neither a redirect nor the login form (an error page, an unexpected prompt).
    #[error("no login form at {url} (status {status}): {body}")]
    NoLoginForm { url: Url, status: u16, body: String },
    /// The login form answered without a redirect: wrong password, unknown user, not a member.
    #[error("the login form refused {username} (status {status}): {body}")]
    Refused {
        username: String,
        status: u16,
        body: String,
    },
    /// A `Location` that is not a URL.
    #[error("the tenant redirected to an unparsable address `{0}`")]
    BadLocation(String),
    /// The tenant kept redirecting.
    #[error("no redirect to the application after {MAX_HOPS} hops")]
    TooManyHops,
}

/// Sign in as `username` starting from an `/authorize` URL, and return the address the tenant sends the browser
/// back to (the application's redirect URI, with `code` and `state`, or `error`), without requesting it.
///
/// `http` must not follow redirects; give it a cookie store to keep the tenant's session between sign-ins.
/// An existing session (single sign-on) skips the form.
pub async fn sign_in(
    http: &reqwest::Client,
    authorize: Url,
    username: &str,
    password: &str,
) -> Result<Url, WalkError> {
    let tenant = authorize.origin();
    let mut next = authorize;
    let mut posted = false;
    for _ in 0..MAX_HOPS {
        if next.origin() != tenant {
            return Ok(next);
        }
        let res = send(http.get(next.clone()), &next).await?;
        if let Some(to) = redirect(&res, &next)? {
            next = to;
            continue;
        }
        let status = res.status().as_u16();
        let body = res.text().await.map_err(|source| WalkError::Http {
            url: next.clone(),
            source,
        })?;
        let state = match form_state(&body) {
            Some(state) if !posted => state,
            _ => {
                return Err(WalkError::NoLoginForm {
                    url: next,
                    status,
                    body,
                });
            }
        };
        let login = next.join("/u/login").expect("a path joins");
        let form = [
            ("state", state.as_str()),
            ("username", username),
            ("password", password),
            ("action", "default"),
        ];
        let res = send(http.post(login.clone()).form(&form), &login).await?;
        posted = true;
        match redirect(&res, &login)? {
            Some(to) => next = to,
            None => {
                return Err(WalkError::Refused {
                    username: username.to_owned(),
                    status: res.status().as_u16(),
                    body: res.text().await.unwrap_or_default(),
                });
            }
        }
    }
    Err(WalkError::TooManyHops)
}

async fn send(req: reqwest::RequestBuilder, url: &Url) -> Result<reqwest::Response, WalkError> {
    req.send().await.map_err(|source| WalkError::Http {
        url: url.clone(),
        source,
    })
}

fn redirect(res: &reqwest::Response, base: &Url) -> Result<Option<Url>, WalkError> {
    if !res.status().is_redirection() {
        return Ok(None);
    }
    let Some(loc) = res.headers().get(reqwest::header::LOCATION) else {
        return Ok(None);
    };
    let loc = loc
        .to_str()
        .map_err(|_| WalkError::BadLocation(String::from_utf8_lossy(loc.as_bytes()).into()))?;
    base.join(loc)
        .map(Some)
        .map_err(|_| WalkError::BadLocation(loc.to_owned()))
}

/// The hidden `state` of the login form, if the page is one.
fn form_state(body: &str) -> Option<String> {
    let rest = body.split(r#"name="state" value=""#).nth(1)?;
    Some(rest.split('"').next()?.to_owned())
}

#[cfg(test)]
mod tests {
    use super::form_state;

    #[test]
    fn finds_the_login_forms_state_only() {
        let page = r#"<form><input type="hidden" name="state" value="k-123"><input name="username"></form>"#;
        assert_eq!(form_state(page).as_deref(), Some("k-123"));
        assert_eq!(form_state("<p>Something went wrong</p>"), None);
    }
}
