// Differential oracle for ID-token validation: judges each case the way an OpenID-certified relying party does,
// with panva's `oauth4webapi` (pinned in tests/package.json), for the authorization code flow of a public client
// (token_endpoint_auth_method "none"), ID token signed RS256.
//
// Input (stdin, one JSON object):
//   { "issuer": "http://127.0.0.1:1/", "client_id": "abc", "jwks": {"keys": [...]}, "now": 1765000000, "leeway": 60,
//     "cases": [ { "name": "good", "body": { access_token, token_type, id_token, expires_in, ... },
//                  "nonce": "n-123" | null, "max_age": 300 | null } ] }
//   `body` is the token endpoint's JSON response, any JSON value; it is served as a 200 application/json Response.
//   `nonce` null (or absent) means the authorization request sent no nonce: the ID token must then carry none.
//   `max_age` null (or absent) means no max_age was requested: auth_time is then only type-checked, if present.
// Output (stdout, one JSON array, in case order):
//   [ { "name": "good", "verdict": "accept" | "refuse", "reason": "<error code>: <message>" or "" } ]
// Exit 0 when every case was judged (a refusal is a verdict, not a failure); exit 2 with a message on stderr for a
// malformed input; exit 3 for a fault of this harness (e.g. a fetch of anything but the JWKS).
//
// Time: the judged time is `now`, not the wall clock: oauth4webapi's `clockSkew` client symbol (seconds added to
// the current time) is set to `now - floor(Date.now()/1000)` per case, and the case is judged again if the wall
// clock crossed a second boundary while it ran, so that a boundary case (exp == now - leeway, ...) is judged at
// exactly `now`. The tolerance is `leeway`, through the `clockTolerance` client symbol.
//
// Signature: `processAuthorizationCodeResponse` does NOT verify the ID token's JWS signature (oauth4webapi 3.8.9,
// build/index.js: `validateIdTokenClaims` -> `validateJwt` only parses header and payload, checks `alg` against the
// client's `id_token_signed_response_alg`, and checks the claims). That is OIDC Core 3.1.3.7 step 6: a token taken
// over TLS straight from the token endpoint may be trusted on TLS alone. oauth4webapi does export a supported way
// to verify it: `validateApplicationLevelSignature(as, response, options)`, documented "Validates the JWS signature
// of a processed JWT response body or ID Token", which selects the key from the AS's `jwks_uri` (by kty, kid, alg,
// use, key_ops, crv; RSA keys under 2048 bits refused; HS* refused) and verifies with WebCrypto. This oracle calls
// it after `processAuthorizationCodeResponse` succeeds, with the JWKS served through `customFetch` (no network), so
// its verdict covers the signature as well. oauth4webapi does not check `at_hash` in the code flow (optional there,
// OIDC Core 3.1.3.8), and checks `azp` only when `aud` is an array of more than one value (then `azp` is required
// and must equal client_id).
import * as oauth from 'oauth4webapi';

import { HarnessError, InputError, run } from './common.mjs';

/** What this oracle needs beyond the shared checks: a client_id, `now`, and each case's body, nonce and max_age. */
function checkInput(input) {
  const { issuer, client_id: clientId, jwks, now, leeway, cases } = input;
  if (typeof clientId !== 'string' || clientId === '') throw new InputError('"client_id" must be a non-empty string');
  if (!Number.isSafeInteger(now) || now <= 0) throw new InputError('"now" must be a positive integer (epoch seconds)');
  cases.forEach((c, i) => {
    if (!('body' in c)) throw new InputError(`cases[${i}] (${c.name}) has no "body"`);
    if (c.nonce != null && (typeof c.nonce !== 'string' || c.nonce === '')) {
      throw new InputError(`cases[${i}] (${c.name}): "nonce" must be a non-empty string or null`);
    }
    if (c.max_age != null && (typeof c.max_age !== 'number' || !Number.isFinite(c.max_age) || c.max_age < 0)) {
      throw new InputError(`cases[${i}] (${c.name}): "max_age" must be a non-negative number or null`);
    }
  });
  return { issuer, clientId, jwks, now, leeway, cases };
}

// The AS's endpoints, under the issuer. An issuer that is no URL still names the AS (and is still compared with
// `iss`); its endpoints then get a placeholder address, as the JWKS is served locally whatever its address.
function endpointsFor(issuer) {
  let base;
  try {
    base = new URL(issuer.endsWith('/') ? issuer : `${issuer}/`);
  } catch {
    base = new URL('https://oracle.invalid/');
  }
  return {
    jwks_uri: new URL('.well-known/jwks.json', base).href,
    token_endpoint: new URL('oauth/token', base).href,
  };
}

const epoch = () => Math.floor(Date.now() / 1000);

// One verdict: processAuthorizationCodeResponse (claims, alg, nonce, auth_time) then the JWS signature.
async function judgeOnce(input, c, skew) {
  const { issuer, clientId, jwks, leeway } = input;
  // A fresh AS object per case: oauth4webapi caches the JWKS per AS object, so no case sees another's fetch.
  const as = {
    issuer,
    ...endpointsFor(issuer),
    id_token_signing_alg_values_supported: ['RS256'],
  };
  const client = {
    client_id: clientId,
    token_endpoint_auth_method: 'none',
    id_token_signed_response_alg: 'RS256',
    [oauth.clockSkew]: skew,
    [oauth.clockTolerance]: leeway,
  };
  const fetchOptions = {
    [oauth.allowInsecureRequests]: true,
    [oauth.customFetch]: async (url) => {
      if (url !== as.jwks_uri) {
        throw new HarnessError(`oauth4webapi fetched ${url}; only the JWKS at ${as.jwks_uri} is served`);
      }
      return new Response(JSON.stringify(jwks), { status: 200, headers: { 'content-type': 'application/json' } });
    },
  };
  const response = new Response(JSON.stringify(c.body), {
    status: 200,
    headers: { 'content-type': 'application/json' },
  });
  try {
    await oauth.processAuthorizationCodeResponse(as, client, response, {
      expectedNonce: c.nonce ?? undefined,
      maxAge: c.max_age ?? undefined,
      requireIdToken: true,
    });
    // Not done by processAuthorizationCodeResponse (see the header): the supported way to verify the signature.
    await oauth.validateApplicationLevelSignature(as, response, fetchOptions);
    return { verdict: 'accept', reason: '' };
  } catch (e) {
    if (e instanceof HarnessError) throw e;
    const code = e?.code ?? e?.name ?? 'Error';
    return { verdict: 'refuse', reason: `${code}: ${e?.message ?? String(e)}` };
  }
}

async function judge(input, c) {
  for (let attempt = 0; attempt < 5; attempt++) {
    const before = epoch();
    const result = await judgeOnce(input, c, input.now - before);
    if (epoch() === before) return result;
  }
  throw new HarnessError(`case ${c.name}: the wall clock kept crossing second boundaries; could not judge at "now"`);
}

await run('id-token', async (raw) => {
  const input = checkInput(raw);
  const out = [];
  for (const c of input.cases) {
    const { verdict, reason } = await judge(input, c);
    out.push({ name: c.name, verdict, reason });
  }
  return out;
});
