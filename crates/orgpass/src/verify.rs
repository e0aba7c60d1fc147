//! ID token verification: the token core's ID-token profile ([`orgpass_jose::id_token`], one function per OIDC
//! Core 3.1.3.7 step plus Auth0's organization rules), re-exported for the engine, and its tests against tokens
//! the engine's test tenant signs.

pub use orgpass_jose::id_token::{Expected, IdClaims, IdTokenError, IdTokenVerifier, OrgCheck};

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};

    use serde_json::{Value, json};

    use std::time::Duration;

    use jsonwebtoken::Algorithm;

    use super::*;
    use crate::discovery::{JwksCache, JwksFuture, KeySet};

    use crate::test_support as support;
    use support::TestKey;

    const ISS: &str = "https://acme.eu.auth0.com/";
    const CLIENT: &str = "Xk2mJ9fQbN7tR4cY1uW8pL3zH6sD0aVe";
    const NONCE: &str = "n-0S6_WzA2Mj";
    const NOW: i64 = 1_800_000_000;

    fn cache(jwks: String) -> (JwksCache, Arc<AtomicUsize>) {
        let calls = Arc::new(AtomicUsize::new(0));
        let c = calls.clone();
        let source = move || -> JwksFuture {
            c.fetch_add(1, Ordering::SeqCst);
            let body = jwks.clone().into_bytes();
            Box::pin(async move { Ok(body.into()) })
        };
        (JwksCache::new(source), calls)
    }

    fn claims() -> Value {
        support::auth0_claims(ISS, CLIENT, NONCE, "org_A", NOW)
    }

    fn with(f: impl FnOnce(&mut Value)) -> Value {
        let mut c = claims();
        f(&mut c);
        c
    }

    /// The standard claims signed with key A, with header `typ` set to `typ` (`None`: no `typ`).
    fn signed_with_typ(a: &TestKey, typ: Option<&str>) -> String {
        let mut h = jsonwebtoken::Header::new(Algorithm::RS256);
        h.kid = Some("key-a".into());
        h.typ = typ.map(str::to_owned);
        a.sign_with(h, &claims())
    }

    #[tokio::test]
    async fn table() {
        let a = TestKey::a();
        let b = TestKey::b();
        let id = OrgCheck::Id("org_A".into());
        type Row = (&'static str, String, OrgCheck, Result<(), IdTokenError>);
        let rows: Vec<Row> = vec![
            ("valid", a.sign(&claims()), id.clone(), Ok(())),
            (
                "alg none",
                support::alg_none(&claims()),
                id.clone(),
                Err(IdTokenError::Algorithm("none".into())),
            ),
            (
                "HS256 with the public key",
                support::hs256_with_public_key(&a, &claims()),
                id.clone(),
                Err(IdTokenError::Algorithm("HS256".into())),
            ),
            (
                "bad signature",
                b.sign_with(
                    {
                        let mut h = jsonwebtoken::Header::new(Algorithm::RS256);
                        h.kid = Some("key-a".into());
                        h
                    },
                    &claims(),
                ),
                id.clone(),
                Err(IdTokenError::Signature),
            ),
            ("typ absent", signed_with_typ(&a, None), id.clone(), Ok(())),
            (
                "typ at+jwt: an access token (RFC 9068) offered as ID token",
                signed_with_typ(&a, Some("at+jwt")),
                id.clone(),
                Err(IdTokenError::Type("at+jwt".into())),
            ),
            (
                "typ application/at+jwt",
                signed_with_typ(&a, Some("application/at+jwt")),
                id.clone(),
                Err(IdTokenError::Type("application/at+jwt".into())),
            ),
            (
                "unknown kid",
                b.sign(&claims()),
                id.clone(),
                Err(IdTokenError::UnknownKid("key-b".into())),
            ),
            (
                "wrong iss",
                a.sign(&with(|c| c["iss"] = json!("https://evil.example/"))),
                id.clone(),
                Err(IdTokenError::Issuer {
                    got: "https://evil.example/".into(),
                    want: ISS.into(),
                }),
            ),
            (
                "iss without slash",
                a.sign(&with(|c| c["iss"] = json!("https://acme.eu.auth0.com"))),
                id.clone(),
                Err(IdTokenError::Issuer {
                    got: "https://acme.eu.auth0.com".into(),
                    want: ISS.into(),
                }),
            ),
            (
                "missing iss",
                a.sign(&with(|c| {
                    c.as_object_mut().unwrap().remove("iss");
                })),
                id.clone(),
                Err(IdTokenError::MissingClaim("iss")),
            ),
            (
                "wrong aud",
                a.sign(&with(|c| c["aud"] = json!("other-client"))),
                id.clone(),
                Err(IdTokenError::Audience {
                    got: "other-client".into(),
                    want: CLIENT.into(),
                }),
            ),
            (
                "extra aud without azp",
                a.sign(&with(|c| {
                    c["aud"] = json!([CLIENT, "https://api.example/"])
                })),
                id.clone(),
                Err(IdTokenError::AzpMissing(format!(
                    "{CLIENT},https://api.example/"
                ))),
            ),
            (
                "extra aud with azp",
                a.sign(&with(|c| {
                    c["aud"] = json!([CLIENT, "https://api.example/"]);
                    c["azp"] = json!(CLIENT);
                })),
                id.clone(),
                Ok(()),
            ),
            (
                "wrong azp",
                a.sign(&with(|c| c["azp"] = json!("other-client"))),
                id.clone(),
                Err(IdTokenError::Azp {
                    got: "other-client".into(),
                    want: CLIENT.into(),
                }),
            ),
            (
                "expired",
                a.sign(&with(|c| c["exp"] = json!(NOW - 61))),
                id.clone(),
                Err(IdTokenError::Expired {
                    exp: NOW - 61,
                    now: NOW,
                    leeway: 60,
                }),
            ),
            (
                "expired within leeway",
                a.sign(&with(|c| c["exp"] = json!(NOW - 59))),
                id.clone(),
                Ok(()),
            ),
            (
                "missing exp",
                a.sign(&with(|c| {
                    c.as_object_mut().unwrap().remove("exp");
                })),
                id.clone(),
                Err(IdTokenError::MissingClaim("exp")),
            ),
            (
                "iat in the future",
                a.sign(&with(|c| c["iat"] = json!(NOW + 61))),
                id.clone(),
                Err(IdTokenError::IssuedInFuture {
                    iat: NOW + 61,
                    now: NOW,
                    leeway: 60,
                }),
            ),
            (
                "iat within leeway",
                a.sign(&with(|c| c["iat"] = json!(NOW + 59))),
                id.clone(),
                Ok(()),
            ),
            (
                "missing nonce",
                a.sign(&with(|c| {
                    c.as_object_mut().unwrap().remove("nonce");
                })),
                id.clone(),
                Err(IdTokenError::NonceMissing),
            ),
            (
                "wrong nonce",
                a.sign(&with(|c| c["nonce"] = json!("other"))),
                id.clone(),
                Err(IdTokenError::NonceMismatch),
            ),
            (
                "missing org_id",
                a.sign(&with(|c| {
                    c.as_object_mut().unwrap().remove("org_id");
                })),
                id.clone(),
                Err(IdTokenError::OrgIdMissing("org_A".into())),
            ),
            (
                "wrong org_id",
                a.sign(&with(|c| c["org_id"] = json!("org_B"))),
                id.clone(),
                Err(IdTokenError::OrgId {
                    got: "org_B".into(),
                    want: "org_A".into(),
                }),
            ),
            (
                "name ok",
                a.sign(&claims()),
                OrgCheck::Name("acme".into()),
                Ok(()),
            ),
            (
                "name mismatch",
                a.sign(&with(|c| c["org_name"] = json!("globex"))),
                OrgCheck::Name("acme".into()),
                Err(IdTokenError::OrgName {
                    got: "globex".into(),
                    want: "acme".into(),
                }),
            ),
            (
                "name missing",
                a.sign(&with(|c| {
                    c.as_object_mut().unwrap().remove("org_name");
                })),
                OrgCheck::Name("acme".into()),
                Err(IdTokenError::OrgNameMissing("acme".into())),
            ),
            (
                "name without org_id",
                a.sign(&with(|c| {
                    c.as_object_mut().unwrap().remove("org_id");
                })),
                OrgCheck::Name("acme".into()),
                Err(IdTokenError::OrgIdRequired),
            ),
            (
                "no org requested, none given",
                a.sign(&with(|c| {
                    c.as_object_mut().unwrap().remove("org_id");
                })),
                OrgCheck::Any { required: false },
                Ok(()),
            ),
            (
                "no org requested, but required",
                a.sign(&with(|c| {
                    c.as_object_mut().unwrap().remove("org_id");
                })),
                OrgCheck::Any { required: true },
                Err(IdTokenError::OrgIdRequired),
            ),
            (
                "missing sub",
                a.sign(&with(|c| {
                    c.as_object_mut().unwrap().remove("sub");
                })),
                id.clone(),
                Err(IdTokenError::MissingClaim("sub")),
            ),
            (
                "five-part JWE",
                "a.b.c.d.e".to_owned(),
                id.clone(),
                Err(IdTokenError::Malformed(
                    "5 parts instead of 3 (encrypted ID tokens are not supported)".into(),
                )),
            ),
        ];
        for (name, token, org, want) in rows {
            let (jwks, _) = cache(support::jwks(&[&a]));
            let v = IdTokenVerifier::new(ISS, CLIENT, Duration::from_secs(60));
            let expected = Expected {
                nonce: Some(NONCE),
                org,
                sub: None,
            };
            let got = v.verify(&token, &expected, &jwks, NOW).await.map(|_| ());
            assert_eq!(got, want, "row `{name}`");
        }
    }

    /// The key policy of the token core holds for ID tokens: a key set naming `key-a` twice is ambiguous, so a
    /// token signed by either is refused with that reason (before, the engine used one of them silently).
    #[tokio::test]
    async fn a_key_the_policy_refuses_is_named_with_its_reason() {
        let a = TestKey::a();
        let (jwks, _) = cache(support::jwks(&[&a, &a]));
        let v = IdTokenVerifier::new(ISS, CLIENT, Duration::from_secs(60));
        let expected = Expected {
            nonce: Some(NONCE),
            org: OrgCheck::Id("org_A".into()),
            sub: None,
        };
        let got = v.verify(&a.sign(&claims()), &expected, &jwks, NOW).await;
        assert_eq!(
            got,
            Err(IdTokenError::RefusedKey {
                kid: "key-a".into(),
                reason: "its kid appears 2 times in the key set, so a token naming it is ambiguous"
                    .into(),
            })
        );
        let keys = KeySet::parse(support::jwks(&[&a, &a]).as_bytes()).unwrap();
        assert_eq!(
            v.verify_with_keys(&a.sign(&claims()), &keys, &expected, NOW)
                .map(|_| ())
                .unwrap_err()
                .to_string(),
            "ID token rejected: the issuer's key key-a is not used: its kid appears 2 times in the key set, so a \
             token naming it is ambiguous"
        );
    }

    #[tokio::test]
    async fn claims_are_returned() {
        let a = TestKey::a();
        let (jwks, _) = cache(support::jwks(&[&a]));
        let v = IdTokenVerifier::new(ISS, CLIENT, Duration::from_secs(60));
        let c = v
            .verify(
                &a.sign(&claims()),
                &Expected {
                    nonce: Some(NONCE),
                    org: OrgCheck::Id("org_A".into()),
                    sub: None,
                },
                &jwks,
                NOW,
            )
            .await
            .unwrap();
        assert_eq!(c.org_id.as_deref(), Some("org_A"));
        assert_eq!(c.org_name.as_deref(), Some("acme"));
        assert_eq!(c.email.as_deref(), Some("ada@acme.example"));
        assert_eq!(c.exp, NOW + 36000);
    }

    #[tokio::test]
    async fn leeway_is_capped_at_five_minutes() {
        let a = TestKey::a();
        let (jwks, _) = cache(support::jwks(&[&a]));
        // Expired ten minutes ago: an hour's leeway would accept it, the cap of 300 s does not.
        let token = a.sign(&with(|c| c["exp"] = json!(NOW - 600)));
        let v = IdTokenVerifier::new(ISS, CLIENT, Duration::from_secs(3600));
        let expected = Expected {
            nonce: Some(NONCE),
            org: OrgCheck::Id("org_A".into()),
            sub: None,
        };
        assert_eq!(
            v.verify(&token, &expected, &jwks, NOW).await.map(|_| ()),
            Err(IdTokenError::Expired {
                exp: NOW - 600,
                now: NOW,
                leeway: 300
            })
        );
    }

    #[test]
    fn error_message_names_the_check() {
        let e = IdTokenError::OrgId {
            got: "org_B".into(),
            want: "org_A".into(),
        };
        assert_eq!(
            e.to_string(),
            "ID token rejected: org_id is org_B, expected org_A"
        );
    }

    #[tokio::test]
    async fn unknown_kid_refetches_once_then_rate_limits() {
        let a = TestKey::a();
        let b = TestKey::b();
        let v = IdTokenVerifier::new(ISS, CLIENT, Duration::from_secs(60));
        let exp = Expected {
            nonce: Some(NONCE),
            org: OrgCheck::Id("org_A".into()),
            sub: None,
        };
        let (jwks, calls) = cache(support::jwks(&[&a]));
        v.verify(&a.sign(&claims()), &exp, &jwks, NOW)
            .await
            .unwrap();
        assert_eq!(calls.load(Ordering::SeqCst), 1, "first use fetches");
        v.verify(&a.sign(&claims()), &exp, &jwks, NOW)
            .await
            .unwrap();
        assert_eq!(
            calls.load(Ordering::SeqCst),
            1,
            "known kid is served from the cache"
        );
        let bad = b.sign(&claims());
        assert_eq!(
            v.verify(&bad, &exp, &jwks, NOW).await,
            Err(IdTokenError::UnknownKid("key-b".into()))
        );
        assert_eq!(
            calls.load(Ordering::SeqCst),
            2,
            "unknown kid refetches once"
        );
        assert_eq!(
            v.verify(&bad, &exp, &jwks, NOW).await,
            Err(IdTokenError::UnknownKid("key-b".into()))
        );
        assert_eq!(
            calls.load(Ordering::SeqCst),
            2,
            "second unknown kid is rate-limited"
        );
    }

    #[tokio::test]
    async fn rotated_key_is_found_by_refetch() {
        let a = TestKey::a();
        let b = TestKey::b();
        let calls = Arc::new(AtomicUsize::new(0));
        let c = calls.clone();
        let (ja, jab) = (support::jwks(&[&a]), support::jwks(&[&a, &b]));
        let jwks = JwksCache::new(move || -> JwksFuture {
            let n = c.fetch_add(1, Ordering::SeqCst);
            let body = if n == 0 { ja.clone() } else { jab.clone() }.into_bytes();
            Box::pin(async move { Ok(body.into()) })
        });
        let v = IdTokenVerifier::new(ISS, CLIENT, Duration::from_secs(60));
        let exp = Expected {
            nonce: Some(NONCE),
            org: OrgCheck::Id("org_A".into()),
            sub: None,
        };
        v.verify(&a.sign(&claims()), &exp, &jwks, NOW)
            .await
            .unwrap();
        v.verify(&b.sign(&claims()), &exp, &jwks, NOW)
            .await
            .unwrap();
        assert_eq!(calls.load(Ordering::SeqCst), 2);
    }

    #[tokio::test]
    async fn refresh_rules() {
        let a = TestKey::a();
        let (jwks, _) = cache(support::jwks(&[&a]));
        let v = IdTokenVerifier::new(ISS, CLIENT, Duration::from_secs(60));
        let same = Expected {
            nonce: None,
            org: OrgCheck::Same(Some("org_A".into())),
            sub: Some("auth0|6543a1b2c3d4e5f6a7b8c9d0"),
        };
        v.verify(
            &a.sign(&with(|c| {
                c.as_object_mut().unwrap().remove("nonce");
            })),
            &same,
            &jwks,
            NOW,
        )
        .await
        .unwrap();
        let other_sub = a.sign(&with(|c| c["sub"] = json!("auth0|other")));
        assert_eq!(
            v.verify(&other_sub, &same, &jwks, NOW).await,
            Err(IdTokenError::Subject {
                got: "auth0|other".into(),
                want: "auth0|6543a1b2c3d4e5f6a7b8c9d0".into()
            })
        );
        let other_org = a.sign(&with(|c| c["org_id"] = json!("org_B")));
        assert_eq!(
            v.verify(&other_org, &same, &jwks, NOW).await,
            Err(IdTokenError::OrgId {
                got: "org_B".into(),
                want: "org_A".into()
            })
        );
    }
}
