//! Reading the bearer token from a request (RFC 6750 §2.1): the `Authorization: Bearer` header only. A token
//! in the query string is never read; a request that also names `access_token` in its query uses two methods
//! and is malformed.

use axum::http::{HeaderMap, HeaderValue, Uri, header};

use crate::error::GuardError;

/// The token of the request's one `Authorization: Bearer` header (a cheap copy of the header value).
///
/// - no header, or another scheme (`Basic …`): [`GuardError::NoToken`] (a 401 without an `error`);
/// - `Bearer` with no token, two tokens, two headers, characters outside RFC 6750's `b64token`, or a token in
///   the query string as well: [`GuardError::MalformedHeader`] (a 400 `invalid_request`).
pub(crate) fn bearer_token(headers: &HeaderMap, uri: &Uri) -> Result<Token, GuardError> {
    let mut values = headers.get_all(header::AUTHORIZATION).iter();
    let Some(value) = values.next() else {
        return Err(GuardError::NoToken);
    };
    if values.next().is_some() {
        return Err(GuardError::MalformedHeader(
            "more than one Authorization header",
        ));
    }
    let text = value.to_str().map_err(|_| {
        GuardError::MalformedHeader("the Authorization header is not visible ASCII")
    })?;
    let (scheme, rest) = text.split_once(' ').unwrap_or((text, ""));
    if !scheme.eq_ignore_ascii_case("Bearer") {
        return Err(GuardError::NoToken);
    }
    let token = rest.trim_matches(' ');
    if token.is_empty() {
        return Err(GuardError::MalformedHeader("Bearer without a token"));
    }
    if token.contains(' ') {
        return Err(GuardError::MalformedHeader(
            "more than one token after Bearer",
        ));
    }
    if !is_b64token(token) {
        return Err(GuardError::MalformedHeader(
            "the token has characters a bearer token cannot have",
        ));
    }
    if query_names_access_token(uri) {
        return Err(GuardError::MalformedHeader(
            "a token in the Authorization header and access_token in the query string: use the header only",
        ));
    }
    let start = text.len() - rest.len() + (rest.len() - rest.trim_start_matches(' ').len());
    Ok(Token {
        value: value.clone(),
        range: start..start + token.len(),
    })
}

/// A token found in a header value (kept as the header value, so taking it copies nothing).
pub(crate) struct Token {
    value: HeaderValue,
    range: std::ops::Range<usize>,
}

impl Token {
    pub fn secret(&self) -> &str {
        // The range was found in this value's text, which `to_str` accepted.
        self.value
            .to_str()
            .ok()
            .and_then(|text| text.get(self.range.clone()))
            .unwrap_or_default()
    }
}

/// RFC 6750 `b64token`: `1*( ALPHA / DIGIT / "-" / "." / "_" / "~" / "+" / "/" ) *"="`.
fn is_b64token(t: &str) -> bool {
    let body = t.trim_end_matches('=');
    !body.is_empty()
        && body
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-._~+/".contains(&b))
}

/// Whether the query has a parameter named `access_token` (its value is not looked at).
fn query_names_access_token(uri: &Uri) -> bool {
    uri.query().is_some_and(|q| {
        q.split('&')
            .any(|pair| pair.split('=').next() == Some("access_token"))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(values: &[&str], uri: &str) -> Result<String, &'static str> {
        let mut headers = HeaderMap::new();
        for v in values {
            headers.append(header::AUTHORIZATION, HeaderValue::from_str(v).unwrap());
        }
        bearer_token(&headers, &uri.parse().unwrap())
            .map(|t| t.secret().to_owned())
            .map_err(|e| match e {
                GuardError::NoToken => "none",
                GuardError::MalformedHeader(_) => "malformed",
                _ => "other",
            })
    }

    #[test]
    fn header_table() {
        // (Authorization headers, URI, result)
        let rows: Vec<(&[&str], &str, Result<&str, &str>)> = vec![
            (&["Bearer abc.def.ghi"], "/", Ok("abc.def.ghi")),
            (&["bearer abc.def.ghi"], "/", Ok("abc.def.ghi")),
            (&["BEARER  abc.def.ghi "], "/", Ok("abc.def.ghi")),
            (&["Bearer abc="], "/?x=1", Ok("abc=")),
            (&[], "/", Err("none")),
            (&[], "/?access_token=abc.def.ghi", Err("none")),
            (&["Basic YWxpY2U6cHc="], "/", Err("none")),
            (&["Bearerabc"], "/", Err("none")),
            (&["Bearer"], "/", Err("malformed")),
            (&["Bearer "], "/", Err("malformed")),
            (&["Bearer a.b.c d.e.f"], "/", Err("malformed")),
            (&["Bearer a.b.c", "Bearer d.e.f"], "/", Err("malformed")),
            (&["Bearer a\"b"], "/", Err("malformed")),
            (&["Bearer =abc"], "/", Err("malformed")),
            (&["Bearer a.b.c"], "/?access_token=a.b.c", Err("malformed")),
            (&["Bearer a.b.c"], "/?x=1&access_token", Err("malformed")),
            (&["Bearer a.b.c"], "/?my_access_token=1", Ok("a.b.c")),
        ];
        for (values, uri, want) in rows {
            assert_eq!(
                read(values, uri),
                want.map(str::to_owned),
                "{values:?} {uri}"
            );
        }
    }
}
