//! Reading the access token from a request: the `Authorization` header only, with the `Bearer` scheme (RFC 6750
//! §2.1) or, where the API takes DPoP, the `DPoP` scheme (RFC 9449 §7.1) and its one `DPoP` proof header. A token
//! in the query string is never read; a request that also names `access_token` in its query uses two methods and
//! is malformed.

use axum::http::{HeaderMap, HeaderValue, Uri, header};

use crate::error::GuardError;

/// How the token came.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scheme {
    Bearer,
    Dpop,
}

/// The token of the request's one `Authorization: Bearer` header (a cheap copy of the header value).
///
/// - no header, or another scheme (`Basic …`): [`GuardError::NoToken`] (a 401 without an `error`);
/// - `Bearer` with no token, two tokens, two headers, characters outside RFC 6750's `b64token`, or a token in
///   the query string as well: [`GuardError::MalformedHeader`] (a 400 `invalid_request`).
#[cfg(test)]
pub(crate) fn bearer_token(headers: &HeaderMap, uri: &Uri) -> Result<Token, GuardError> {
    credentials(headers, uri, false).map(|(_, token)| token)
}

/// The scheme of the request's one `Authorization` header and its token, as [`bearer_token`] reads it; with
/// `dpop` the `DPoP` scheme (any case) is read the same way, else it is another scheme (no token).
pub(crate) fn credentials(
    headers: &HeaderMap,
    uri: &Uri,
    dpop: bool,
) -> Result<(Scheme, Token), GuardError> {
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
    let scheme = if scheme.eq_ignore_ascii_case("Bearer") {
        Scheme::Bearer
    } else if dpop && scheme.eq_ignore_ascii_case("DPoP") {
        Scheme::Dpop
    } else {
        return Err(GuardError::NoToken);
    };
    let token = rest.trim_matches(' ');
    if token.is_empty() {
        return Err(GuardError::MalformedHeader("the scheme without a token"));
    }
    if token.contains(' ') {
        return Err(GuardError::MalformedHeader(
            "more than one token after the scheme",
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
    Ok((
        scheme,
        Token {
            value: value.clone(),
            range: start..start + token.len(),
        },
    ))
}

/// The request's one `DPoP` proof header (RFC 9449 §4.3 item 1: exactly one).
pub(crate) fn dpop_proof(headers: &HeaderMap) -> Result<&str, GuardError> {
    let mut values = headers.get_all("dpop").iter();
    let (Some(value), None) = (values.next(), values.next()) else {
        return Err(GuardError::ProofHeader(
            "a DPoP-bound token needs exactly one DPoP header",
        ));
    };
    value
        .to_str()
        .map_err(|_| GuardError::ProofHeader("the DPoP header is not visible ASCII"))
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

    #[test]
    fn the_dpop_scheme_only_where_the_api_takes_it() {
        let mut headers = HeaderMap::new();
        headers.insert(
            header::AUTHORIZATION,
            HeaderValue::from_static("dpop a.b.c"),
        );
        let uri: Uri = "/".parse().unwrap();
        assert!(matches!(
            credentials(&headers, &uri, false),
            Err(GuardError::NoToken)
        ));
        let (scheme, token) = credentials(&headers, &uri, true).unwrap();
        assert_eq!((scheme, token.secret()), (Scheme::Dpop, "a.b.c"));
        assert!(matches!(
            dpop_proof(&headers),
            Err(GuardError::ProofHeader(_))
        ));
        headers.append("DPoP", HeaderValue::from_static("p1"));
        assert_eq!(dpop_proof(&headers).unwrap(), "p1");
        headers.append("dpop", HeaderValue::from_static("p2"));
        assert!(matches!(
            dpop_proof(&headers),
            Err(GuardError::ProofHeader(_))
        ));
    }
}
