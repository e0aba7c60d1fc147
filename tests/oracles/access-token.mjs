// Differential oracle for access-token validation: judges each case the way a company API built on Auth0's own
// `express-oauth2-jwt-bearer` (pinned in tests/package.json) does, through a real express app over HTTP.
//
// Input (stdin, one JSON object):
//   { "issuer": "https://tenant.example/", "audience": "https://api.example/", "jwks": {"keys": [...]}, "leeway": 60,
//     "cases": [ { "name": "good", "token": "eyJ...", "org_id": "org_abc", "scope": "read:projects" | null } ] }
// Output (stdout, one JSON array, in case order):
//   [ { "name": "good", "verdict": "accept" | "refuse", "status": 200 | 400 | 401 | 403 | ...,
//       "reason": "<error>: <error_description>" (from WWW-Authenticate, or the 403 body), "" when accepted } ]
// Exit 0 when every case was judged (a refusal is a verdict, not a failure); exit 2 with a message on stderr for a
// malformed input; exit 3 for a fault of this harness.
//
// What runs, all on 127.0.0.1 with ports the OS picks (port 0):
//   - a tiny http server answering the input's `jwks` at GET /jwks (application/json);
//   - an express app: `auth({ issuer, audience, jwksUri: <that /jwks>, tokenSigningAlg: 'RS256', clockTolerance })`.
//     With `issuer` + `jwksUri` and no `issuerBaseURL`, express-oauth2-jwt-bearer 1.10.0 fetches no discovery
//     document: it verifies with jose's createRemoteJWKSet(jwksUri), then checks alg == RS256 (never "none"),
//     iss == issuer exactly, aud contains the audience, exp present and not past (with the tolerance), and the types
//     of iat/sub/client_id/jti when present. DPoP stays at its default (enabled, not required), so a token bound
//     with `cnf.jkt` is refused when presented as Bearer.
//   - the route GET /orgs/:org_id/check: after auth, (a) 403 when `req.auth.payload.org_id !== req.params.org_id`,
//     (b) when the case has a scope, `requiredScopes(scope)` (403 insufficient_scope), (c) 200.
//     The case's scope reaches the route in the request header `x-oracle-required-scope` (the test's way to
//     configure the route per case; the guard never reads it as token input).
// Each case is one request, `Authorization: Bearer <token>` to /orgs/<org_id>/check. The time is the real clock
// (the library has no clock hook): the caller makes its tokens relative to the current time.
import http from 'node:http';
import express from 'express';
import { auth, requiredScopes } from 'express-oauth2-jwt-bearer';

import { HarnessError, InputError, close, isObject, jwksServer, listen, run } from './common.mjs';

// What an HTTP header value can carry as is; anything else is no token a client could send.
const HEADER_SAFE = /^[\x20-\x7e]*$/;
const SCOPE_HEADER = 'x-oracle-required-scope';

/** What this oracle needs beyond the shared checks: an audience, and each case's token, org_id and scope. */
function checkInput(input) {
  const { issuer, audience, jwks, leeway, cases } = input;
  if (typeof audience !== 'string' || audience === '') throw new InputError('"audience" must be a non-empty string');
  cases.forEach((c, i) => {
    if (typeof c.token !== 'string' || !HEADER_SAFE.test(c.token)) {
      throw new InputError(`cases[${i}] (${c.name}): "token" must be a string of printable ASCII`);
    }
    if (typeof c.org_id !== 'string' || c.org_id === '') {
      throw new InputError(`cases[${i}] (${c.name}): "org_id" must be a non-empty string`);
    }
    if (c.scope != null && (typeof c.scope !== 'string' || c.scope === '' || !HEADER_SAFE.test(c.scope))) {
      throw new InputError(`cases[${i}] (${c.name}): "scope" must be a non-empty printable ASCII string or null`);
    }
  });
  return { issuer, audience, jwks, leeway, cases };
}


function apiServer({ issuer, audience, leeway }, jwksUri) {
  const app = express();
  app.disable('x-powered-by');
  const scopeGuards = new Map();
  app.get(
    '/orgs/:org_id/check',
    auth({ issuer, audience, jwksUri, tokenSigningAlg: 'RS256', clockTolerance: leeway }),
    (req, res, next) => {
      if (req.auth.payload.org_id !== req.params.org_id) {
        res.status(403).json({ error: 'forbidden', error_description: 'token org_id does not match the path org_id' });
        return;
      }
      next();
    },
    (req, res, next) => {
      const scope = req.get(SCOPE_HEADER);
      if (!scope) return next();
      if (!scopeGuards.has(scope)) scopeGuards.set(scope, requiredScopes(scope));
      return scopeGuards.get(scope)(req, res, next);
    },
    (req, res) => {
      res.status(200).json({ ok: true, org_id: req.params.org_id });
    },
  );
  // As a company API answers the library's errors: its status and WWW-Authenticate, and a small JSON body.
  app.use((err, req, res, _next) => {
    const status = Number.isInteger(err?.status) ? err.status : 500;
    if (status >= 500) console.error(`access-token oracle: server error: ${err?.stack ?? err}`);
    res.status(status).set(err?.headers ?? {}).json({ error: err?.code ?? '', error_description: err?.message ?? '' });
  });
  return http.createServer(app);
}

// The Bearer challenge's error and error_description (it comes first; a DPoP challenge may follow it).
function reasonOf(status, headers, body) {
  if (status === 200) return '';
  const challenge = headers.get('www-authenticate') ?? '';
  const error = /\berror="([^"]*)"/.exec(challenge)?.[1];
  const description = /\berror_description="([^"]*)"/.exec(challenge)?.[1];
  if (error !== undefined) return `${error}: ${description ?? ''}`;
  let parsed;
  try {
    parsed = JSON.parse(body);
  } catch {
    parsed = undefined;
  }
  if (isObject(parsed) && typeof parsed.error === 'string' && parsed.error !== '') {
    return `${parsed.error}: ${parsed.error_description ?? ''}`;
  }
  // The library answers some malformed requests (e.g. `Authorization: Bearer ` with no token) with no error code.
  return `(no error code) HTTP ${status}${challenge ? `, WWW-Authenticate: ${challenge}` : ''}`;
}

async function judgeAll(raw) {
  const input = checkInput(raw);
  const jwks = jwksServer(input.jwks);
  const jwksUri = `${await listen(jwks)}/jwks`;
  const api = apiServer(input, jwksUri);
  const base = await listen(api);
  try {
    const out = [];
    for (const c of input.cases) {
      const headers = { authorization: `Bearer ${c.token}` };
      if (c.scope != null) headers[SCOPE_HEADER] = c.scope;
      let res;
      try {
        res = await fetch(`${base}/orgs/${encodeURIComponent(c.org_id)}/check`, { headers });
      } catch (e) {
        throw new HarnessError(`case ${c.name}: request failed: ${e.cause?.message ?? e.message}`);
      }
      const body = await res.text();
      out.push({
        name: c.name,
        verdict: res.status === 200 ? 'accept' : 'refuse',
        status: res.status,
        reason: reasonOf(res.status, res.headers, body),
      });
    }
    return out;
  } finally {
    await Promise.all([close(api), close(jwks)]);
  }
}

await run('access-token', judgeAll);
