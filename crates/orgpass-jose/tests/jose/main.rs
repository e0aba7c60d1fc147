//! The token core against vectors nobody here wrote: Project Wycheproof's `json_web_signature_test.json` and
//! `json_web_key_test.json` (from `../shared/vectors/wycheproof/`, or `$ORGPASS_WYCHEPROOF_DIR`). Every test case
//! runs under both profiles the core serves, RS256 (Auth0's tokens) and ES256 (DPoP proofs): a case marked
//! `valid` must verify under the profile of its own algorithm and be refused under the other; a case of any other
//! algorithm (HS256, PS256, RS384, …) must be refused by both, since the algorithm is pinned; a case marked
//! `invalid` must be refused by both. The test prints the count per group and fails on any other outcome.

use std::collections::BTreeMap;
use std::path::PathBuf;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use orgpass_jose::{Alg, KeySet, verify_compact};
use serde_json::Value;

fn vectors(name: &str) -> Value {
    let dir = std::env::var_os("ORGPASS_WYCHEPROOF_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/vectors/wycheproof")
        });
    let path = dir.join(name);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| {
        panic!(
            "{}: {e}; the Wycheproof vectors live in shared/vectors/wycheproof beside the repository (or set \
             ORGPASS_WYCHEPROOF_DIR)",
            path.display()
        )
    });
    serde_json::from_str(&text).unwrap()
}

/// A group's keys: a JWKS (`{"keys": [...]}`) or one JWK, public if given, else private (HMAC groups).
fn key_set(group: &Value) -> KeySet {
    let jwk = group.get("public").unwrap_or(&group["private"]);
    match jwk.get("keys").and_then(Value::as_array) {
        Some(keys) => KeySet::from_keys(keys),
        None => KeySet::from_keys(std::slice::from_ref(jwk)),
    }
}

/// The `alg` the token's header names, if it has a readable header.
fn header_alg(jws: &str) -> Option<String> {
    let header = URL_SAFE_NO_PAD.decode(jws.split('.').next()?).ok()?;
    let header: Value = serde_json::from_slice(&header).ok()?;
    header.get("alg")?.as_str().map(str::to_owned)
}

#[derive(Default, Debug)]
struct Tally {
    verified: usize,
    refused_invalid: usize,
    refused_other_alg: usize,
    acceptable: usize,
    unexpected: Vec<String>,
}

/// Runs every case of `file` under both pinned algorithms; per group comment (and index), the tallies.
fn run(file: &str) -> BTreeMap<String, Tally> {
    let doc = vectors(file);
    let mut out: BTreeMap<String, Tally> = BTreeMap::new();
    let groups = doc["testGroups"].as_array().unwrap();
    let mut cases = 0;
    for (i, group) in groups.iter().enumerate() {
        let keys = key_set(group);
        let name = format!("{:02} {}", i, group["comment"].as_str().unwrap_or("?"));
        let tally = out.entry(name.clone()).or_default();
        for test in group["tests"].as_array().unwrap() {
            cases += 1;
            let id = test["tcId"].as_u64().unwrap();
            let jws = test["jws"].as_str().unwrap();
            let result = test["result"].as_str().unwrap();
            let alg = header_alg(jws);
            for pinned in [Alg::Rs256, Alg::Es256] {
                let got = verify_compact(jws, pinned, &keys);
                let own_alg = alg.as_deref() == Some(pinned.name());
                match (result, own_alg, &got) {
                    ("acceptable", _, _) => tally.acceptable += 1,
                    ("valid", true, Ok(_)) => tally.verified += 1,
                    ("valid", false, Err(_)) => tally.refused_other_alg += 1,
                    ("invalid", _, Err(_)) => tally.refused_invalid += 1,
                    _ => tally.unexpected.push(format!(
                        "tcId {id} ({}, {result}, header alg {alg:?}) pinned {}: {got:?}",
                        test["comment"].as_str().unwrap_or(""),
                        pinned.name()
                    )),
                }
            }
        }
    }
    assert_eq!(
        cases,
        doc["numberOfTests"].as_u64().unwrap() as usize,
        "every case of {file} ran"
    );
    out
}

fn report(file: &str, tallies: &BTreeMap<String, Tally>) {
    println!(
        "{file}: group: verified / refused (invalid) / refused (algorithm not pinned) / acceptable"
    );
    for (group, t) in tallies {
        println!(
            "  {group}: {} / {} / {} / {}{}",
            t.verified,
            t.refused_invalid,
            t.refused_other_alg,
            t.acceptable,
            if t.unexpected.is_empty() {
                String::new()
            } else {
                format!("  UNEXPECTED {}", t.unexpected.len())
            }
        );
    }
    let unexpected: Vec<&String> = tallies.values().flat_map(|t| &t.unexpected).collect();
    assert!(
        unexpected.is_empty(),
        "{file}: outcomes that differ from the vectors:\n{}",
        unexpected
            .iter()
            .map(|s| s.as_str())
            .collect::<Vec<_>>()
            .join("\n")
    );
}

#[test]
fn wycheproof_json_web_signatures() {
    let tallies = run("json_web_signature_test.json");
    report("json_web_signature_test.json", &tallies);
    let total = |f: fn(&Tally) -> usize| tallies.values().map(f).sum::<usize>();
    // The RS256 and ES256 cases marked valid verify under their own profile: the test would pass vacuously if
    // nothing ever verified.
    assert_eq!(total(|t| t.verified), 10, "{tallies:?}");
    let rs256 = tallies
        .iter()
        .filter(|(g, _)| g.ends_with(" rs256"))
        .map(|(_, t)| t.verified)
        .sum::<usize>();
    assert!(rs256 > 0, "RS256 cases verified: {rs256}");
}

#[test]
fn wycheproof_json_web_keys() {
    let tallies = run("json_web_key_test.json");
    report("json_web_key_test.json", &tallies);
    // The one RS256 key the policy must use: its valid token verifies.
    let rs = &tallies["03 rs256"];
    assert_eq!(rs.verified, 1, "{rs:?}");
    // ROCA, 1024 bits, exponent 1, wrong use: the keys are refused, so the tokens are.
    for group in [
        "05 jws_rsa_roca_key",
        "06 keysize_too_small",
        "07 exponentOne",
        "04 rs256",
    ] {
        assert_eq!(
            tallies[group].refused_invalid, 2,
            "{group}: {:?}",
            tallies[group]
        );
    }
}

/// The refusal says which key and why (a log line an operator can act on), for the vectors' weak keys.
#[test]
fn weak_keys_of_the_vectors_are_named_with_their_reason() {
    let doc = vectors("json_web_key_test.json");
    let reason = |index: usize| {
        let keys = key_set(&doc["testGroups"][index]);
        keys.refused()
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
    };
    assert_eq!(
        reason(5),
        [
            "key `kid-rsa-roca-sign` refused: its modulus has the ROCA fingerprint (CVE-2017-15361): it was made \
          by a weak generator and its private key can be computed"
        ]
    );
    assert_eq!(
        reason(6),
        ["key `RS256_1024` refused: its modulus has 1024 bits; RS256 keys must have 2048 to 8192"]
    );
    assert_eq!(
        reason(7),
        [
            "key `RS256_2048` refused: its public exponent is 1; it must be odd and at least 3 (65537 in practice)"
        ]
    );
    assert_eq!(
        reason(2),
        [
            "key `kid-aes-sign` refused: its kid appears 2 times in the key set, so a token naming it is ambiguous",
            "key `kid-aes-sign` refused: its kid appears 2 times in the key set, so a token naming it is ambiguous"
        ]
    );
    assert_eq!(
        reason(20),
        ["key `kid-ec-sign` refused: its point is not on the P-256 curve"]
    );
    assert_eq!(
        reason(21),
        ["key `kid-ec-sign` refused: its curve is P-384; only P-256 (ES256) is used"]
    );
}

/// The `wycheproof` crate's RSA PKCS#1 v1.5 2048-bit SHA-256 vectors through the token core: each group's key read
/// under the key policy (`KeySet`), each signature checked by `verify_signature`, the very function under
/// `verify_compact`. Every `valid` case verifies, every `invalid` one is refused; `acceptable` ones are counted.
#[test]
fn wycheproof_rsa_pkcs1_2048_sha256_through_the_same_path() {
    use wycheproof::TestResult;
    use wycheproof::rsa_pkcs1_verify::{TestName, TestSet};
    let set = TestSet::load(TestName::Rsa2048Sha256).expect("the crate carries the vectors");
    let (mut valid, mut invalid, mut acceptable, mut cases) = (0, 0, 0, 0);
    let mut unexpected = Vec::new();
    for group in &set.test_groups {
        let trim = |b: &[u8]| {
            let first = b.iter().position(|x| *x != 0).unwrap_or(b.len());
            URL_SAFE_NO_PAD.encode(&b[first..])
        };
        let jwk =
            serde_json::json!({"kty": "RSA", "n": trim(&group.key.n), "e": trim(&group.key.e)});
        let keys = KeySet::from_keys(std::slice::from_ref(&jwk));
        let key = keys
            .get(None, Alg::Rs256)
            .unwrap_or_else(|| panic!("the group's 2048-bit key is usable: {:?}", keys.refused()));
        for test in &group.tests {
            cases += 1;
            let got = orgpass_jose::verify_signature(
                &test.msg,
                &URL_SAFE_NO_PAD.encode(&*test.sig),
                Alg::Rs256,
                &key,
            );
            match (&test.result, &got) {
                (TestResult::Valid, Ok(())) => valid += 1,
                (TestResult::Invalid, Err(_)) => invalid += 1,
                (TestResult::Acceptable, _) => acceptable += 1,
                _ => unexpected.push(format!("tcId {} ({}): {got:?}", test.tc_id, test.comment)),
            }
        }
    }
    println!(
        "wycheproof rsa_signature_2048_sha256: {cases} cases: {valid} verified, {invalid} refused, {acceptable} \
         acceptable"
    );
    assert!(unexpected.is_empty(), "{unexpected:#?}");
    assert_eq!(cases, set.number_of_tests);
    assert!(valid > 0 && invalid > 0, "{valid} valid, {invalid} invalid");
}
