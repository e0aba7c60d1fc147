// Differential oracle for DPoP at an API (RFC 9449 §4.3, §7): judges each request the way a company API built on
// Auth0's own `express-oauth2-jwt-bearer` (pinned in tests/package.json) does with its DPoP mode, through a real
// express app over HTTP.
//
// Input (stdin, one JSON object):
//   { "issuer": "https://tenant.example/", "audience": "https://api.example/", "jwks": {"keys": [...]}, "leeway": 60,
//     "external": "https://api.example",
//     "cases": [ { "name": "good", "org_id": "org_abc", "authorization": "DPoP eyJ..." | null,
//                  "dpop": ["eyJ...", ...] } ] }
// Output (stdout, one JSON array, in case order):
//   [ { "name": "good", "verdict": "accept" | "refuse", "status": 200 | 400 | 401 | ...,
//       "reason": "<error>: <error_description>" (from the WWW-Authenticate challenge that carries an error),
//       "" when accepted } ]
// Exit codes as the other oracles (common.mjs).
//
// What runs, all on 127.0.0.1 with ports the OS picks:
//   - a tiny http server answering the input's `jwks` at GET /jwks;
//   - an express app behind a "proxy" at `external`: `trust proxy` is set for loopback and each request carries
//     `X-Forwarded-Proto` and `X-Forwarded-Host` from `external`, so the library computes the request URL a client
//     names in `htu` as the guard does from its configured external origin (the guard never reads those headers);
//   - `auth({ issuer, audience, jwksUri, tokenSigningAlg: 'RS256', clockTolerance: leeway,
//     dpop: { enabled: true, required: false } })`: DPoP allowed, not required (the library's defaults, and the
//     guard's `DpopMode::Allowed`); its proof window is its default, iat in [now − 300 s, now + 30 s];
//   - the route GET /orgs/:org_id/check: after auth, 403 when the token's `org_id` is not the path's, else 200.
// Each case is one request, in order (so a case that replays an earlier case's proof comes after it), with the
// case's `Authorization` (none when null) and one `DPoP` header per proof (several are sent as one header
// joined by ", ", as HTTP combines them). The time is the real clock: the caller makes its proofs relative to it.
import http from 'node:http';
import express from 'express';
import { auth } from 'express-oauth2-jwt-bearer';

import { HarnessError, InputError, close, isObject, jwksServer, listen, run } from './common.mjs';

const HEADER_SAFE = /^[\x20-\x7e]*$/;

function checkInput(input) {
  const { audience, external, cases } = input;
  if (typeof audience !== 'string' || audience === '') throw new InputError('"audience" must be a non-empty string');
  let origin;
  try {
    origin = new URL(external);
  } catch {
    throw new InputError('"external" must be the API\'s external URL, e.g. https://api.example');
  }
  cases.forEach((c, i) => {
    if (c.authorization != null && (typeof c.authorization !== 'string' || !HEADER_SAFE.test(c.authorization))) {
      throw new InputError(`cases[${i}] (${c.name}): "authorization" must be printable ASCII or null`);
    }
    if (!Array.isArray(c.dpop) || c.dpop.some((p) => typeof p !== 'string' || !HEADER_SAFE.test(p))) {
      throw new InputError(`cases[${i}] (${c.name}): "dpop" must be an array of printable ASCII strings`);
    }
    if (typeof c.org_id !== 'string' || c.org_id === '') {
      throw new InputError(`cases[${i}] (${c.name}): "org_id" must be a non-empty string`);
    }
  });
  return { ...input, origin };
}


function apiServer({ issuer, audience, leeway }, jwksUri) {
  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', 'loopback');
  app.get(
    '/orgs/:org_id/check',
    auth({ issuer, audience, jwksUri, tokenSigningAlg: 'RS256', clockTolerance: leeway, dpop: { enabled: true, required: false } }),
    (req, res) => {
      if (req.auth.payload.org_id !== req.params.org_id) {
        res.status(403).json({ error: 'forbidden', error_description: 'token org_id does not match the path org_id' });
        return;
      }
      res.status(200).json({ ok: true, org_id: req.params.org_id });
    },
  );
  app.use((err, req, res, _next) => {
    const status = Number.isInteger(err?.status) ? err.status : 500;
    if (status >= 500) console.error(`dpop-proof oracle: server error: ${err?.stack ?? err}`);
    res.status(status).set(err?.headers ?? {}).json({ error: err?.code ?? '', error_description: err?.message ?? '' });
  });
  return http.createServer(app);
}

// The challenge that carries an error (Bearer or DPoP), else the body's error, else the status.
function reasonOf(status, headers, body) {
  if (status === 200) return '';
  const challenge = headers.get('www-authenticate') ?? '';
  const m = /(Bearer|DPoP)[^,]*?\berror="([^"]*)"(?:, error_description="([^"]*)")?/.exec(challenge);
  if (m) return `${m[1]} ${m[2]}: ${m[3] ?? ''}`;
  let parsed;
  try {
    parsed = JSON.parse(body);
  } catch {
    parsed = undefined;
  }
  if (isObject(parsed) && typeof parsed.error === 'string' && parsed.error !== '') {
    return `${parsed.error}: ${parsed.error_description ?? ''}`;
  }
  return `(no error code) HTTP ${status}${challenge ? `, WWW-Authenticate: ${challenge}` : ''}`;
}

async function judgeAll(raw) {
  const input = checkInput(raw);
  const jwks = jwksServer(input.jwks);
  const jwksUri = `${await listen(jwks)}/jwks`;
  const api = apiServer(input, jwksUri);
  const base = await listen(api);
  const forwarded = { 'x-forwarded-proto': input.origin.protocol.replace(/:$/, ''), 'x-forwarded-host': input.origin.host };
  try {
    const out = [];
    for (const c of input.cases) {
      const headers = new Headers(forwarded);
      if (c.authorization != null) headers.set('authorization', c.authorization);
      for (const p of c.dpop) headers.append('dpop', p);
      let res;
      try {
        res = await fetch(`${base}/orgs/${encodeURIComponent(c.org_id)}/check`, { headers });
      } catch (e) {
        throw new HarnessError(`case ${c.name}: request failed: ${e.cause?.message ?? e.message}`);
      }
      const body = await res.text();
      out.push({ name: c.name, verdict: res.status === 200 ? 'accept' : 'refuse', status: res.status, reason: reasonOf(res.status, res.headers, body) });
    }
    return out;
  } finally {
    await Promise.all([close(api), close(jwks)]);
  }
}

await run('dpop-proof', judgeAll);
