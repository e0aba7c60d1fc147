// Load benchmark: the same guarded endpoint, `GET /projects` behind RS256 access-token verification, served by
//   (a) our Rust demo-api (crates/demo-api: axum behind crates/orgpass-guard), and
//   (b) node express with Auth0's own `express-oauth2-jwt-bearer` (`auth({ issuerBaseURL, audience })`),
// measured side by side in one run with autocannon on loopback: requests/s, latency p50 and p99, non-2xx count.
//
// Both verify the same tokens against the same issuer: this script runs a mock issuer on 127.0.0.1 (discovery and
// JWKS, an RSA-2048 key made at start) and pre-mints 200 Auth0-shaped access tokens across two organizations, which
// every connection rotates through. Before the load, each server is checked: an acme token gets 200 with acme's
// projects (the exact body), a globex token globex's, a token for another API (wrong `aud`) and no token get 401.
// Any failed check, or any non-2xx or error under load, exits non-zero.
//
// A second round loads both with DPoP-bound tokens (RFC 9449; demo-api's default `--dpop allowed`, the library's
// default DPoP mode): 200 tokens bound to four P-256 keys, and for every request a proof of its own (fresh `jti`,
// the server's URL, `ath`), made before that server's load. It prints both tables, rust/node per round, and each
// server's DPoP/bearer ratio.
//
// Run (from the repository root):
//   cargo build --release -p demo-api && npm ci --prefix tests && npm run --prefix tests bench:guard
// Environment: DEMO_API_BIN (default target/release/demo-api), BENCH_SECONDS (10), BENCH_WARMUP_SECONDS (2),
// BENCH_CONNECTIONS (32), BENCH_DPOP_PROOFS (proofs per server; default from the bearer round's req/s).
// Everything listens on 127.0.0.1 only; the servers are killed when the script ends.
import { spawn, execFileSync } from 'node:child_process';
import { accessSync, constants, readFileSync } from 'node:fs';
import crypto from 'node:crypto';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { isDeepStrictEqual } from 'node:util';

const SELF = fileURLToPath(import.meta.url);
const REPO = path.resolve(path.dirname(SELF), '../..');
const FIXTURES = path.resolve(path.dirname(SELF), '..');

// The API identifier the demo tenant declares (demo_api::DEMO_AUDIENCE).
const API = 'https://api.orgpass.example/';
const ACME = 'org_AcmeA1b2C3d4E5f6';
const GLOBEX = 'org_GlobexG7h8I9j0K1';

// The demo projects, as crates/demo-api/src/store.rs `Store::demo()` seeds them (ids in insertion order), so both
// servers answer the same bodies; the sanity checks compare each server's body with these.
const ALICE = 'auth0|alice0000000000000000001';
const BOB = 'auth0|bob00000000000000000000002';
const DEMO_PROJECTS = {
  [ACME]: [
    { id: 'prj_0001', name: 'Rocket skates', owner: ALICE },
    { id: 'prj_0002', name: 'Giant magnet', owner: BOB },
  ],
  [GLOBEX]: [{ id: 'prj_0003', name: 'Hammock district', owner: ALICE }],
};

// A refusal: what failed and what to do; printed without a stack trace, exit code 1.
class BenchError extends Error {}

if (process.argv[2] === '--express-server') {
  await serveExpress(process.argv[3], process.argv[4]);
} else {
  const children = new Set();
  const running = () => [...children].filter((c) => c.exitCode === null && c.signalCode === null);
  const killAll = () => running().forEach((c) => c.kill('SIGTERM'));
  // Stops the servers and waits for them (so none is left behind, not even as a zombie), SIGKILL after 3 s; then
  // exits, as autocannon's and fetch's keep-alive sockets would otherwise hold the loop open.
  const stopAndExit = async (code) => {
    const left = running();
    const exited = Promise.all(left.map((c) => new Promise((resolve) => c.once('exit', resolve))));
    killAll();
    const timer = setTimeout(() => running().forEach((c) => c.kill('SIGKILL')), 3000);
    await exited;
    clearTimeout(timer);
    process.exit(code);
  };
  process.on('exit', killAll);
  for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => stopAndExit(128 + os.constants.signals[signal]));
  let code;
  try {
    code = await main(children);
  } catch (e) {
    console.error(`guard-load: ${e instanceof BenchError ? e.message : e.stack}`);
    code = 1;
  }
  await stopAndExit(code);
}

// The node peer (run as a child process, so the load generator does not share its event loop): express and
// express-oauth2-jwt-bearer with its defaults, the same route and JSON as demo-api's `GET /projects`.
async function serveExpress(issuer, audience) {
  const { default: express } = await import('express');
  const { auth } = await import('express-oauth2-jwt-bearer');
  const app = express();
  app.use(auth({ issuerBaseURL: issuer, audience }));
  app.get('/projects', (req, res) => {
    const orgId = req.auth.payload.org_id;
    res.json({ org_id: orgId, projects: DEMO_PROJECTS[orgId] ?? [] });
  });
  // The library's errors carry their status and `WWW-Authenticate`; answer them as JSON, not express's HTML page.
  app.use((err, req, res, _next) => {
    res.status(err.status ?? 500).set(err.headers ?? {}).json({ error: err.code ?? 'server_error', error_description: err.message });
  });
  const server = app.listen(0, '127.0.0.1', () => {
    console.log(`express listening on http://127.0.0.1:${server.address().port}/`);
  });
  // Exit with the parent, even if it dies without killing us.
  process.stdin.on('end', () => process.exit(0)).resume();
}

async function main(children) {
  const settings = {
    connections: envInt('BENCH_CONNECTIONS', 32),
    duration: envInt('BENCH_SECONDS', 10),
    warmup: envInt('BENCH_WARMUP_SECONDS', 2),
  };
  const bin = demoApiBin();
  const { SignJWT, calculateJwkThumbprint, exportJWK, generateKeyPair } = await import('jose');
  const { default: autocannon } = await import('autocannon');

  // The mock issuer: discovery and JWKS for one RSA-2048 key.
  const { privateKey, publicKey } = await generateKeyPair('RS256', { modulusLength: 2048 });
  const jwk = await exportJWK(publicKey);
  const kid = await calculateJwkThumbprint(jwk);
  const issuerServer = http.createServer((req, res) => {
    const docs = {
      '/.well-known/openid-configuration': { issuer, jwks_uri: `${issuer}.well-known/jwks.json`, id_token_signing_alg_values_supported: ['RS256'] },
      '/.well-known/jwks.json': { keys: [{ ...jwk, kid, alg: 'RS256', use: 'sig' }] },
    };
    const doc = req.method === 'GET' ? docs[req.url] : undefined;
    res.writeHead(doc ? 200 : 404, { 'content-type': 'application/json', 'cache-control': 'public, max-age=600' });
    res.end(JSON.stringify(doc ?? { error: 'not_found' }));
  });
  await new Promise((resolve, reject) => issuerServer.once('error', reject).listen(0, '127.0.0.1', resolve));
  const issuer = `http://127.0.0.1:${issuerServer.address().port}/`;

  // Auth0-shaped access tokens (RFC 9068 `at+jwt`), alternating between the two organizations.
  const mint = (i, orgId, orgName, aud = [API, `${issuer}userinfo`]) => {
    const now = Math.floor(Date.now() / 1000);
    return new SignJWT({ scope: 'openid read:projects write:projects', org_id: orgId, org_name: orgName, azp: 'orgpass-bench' })
      .setProtectedHeader({ alg: 'RS256', typ: 'at+jwt', kid })
      .setIssuer(issuer)
      .setSubject(`auth0|bench${String(i).padStart(20, '0')}`)
      .setAudience(aud)
      .setIssuedAt(now)
      .setExpirationTime(now + 3600)
      .sign(privateKey);
  };
  const tokens = await Promise.all(Array.from({ length: 200 }, (_, i) => (i % 2 ? mint(i, GLOBEX, 'globex') : mint(i, ACME, 'acme'))));
  const wrongAud = await mint(9999, ACME, 'acme', ['https://another-api.example/', `${issuer}userinfo`]);

  const servers = [
    { name: 'rust demo-api', url: await start(children, 'demo-api', bin, ['--issuer', issuer, '--audience', API, '--listen', '127.0.0.1:0'], /^demo-api listening on (http:\/\/127\.0\.0\.1:\d+\/)/) },
    { name: 'node express-oauth2-jwt-bearer', url: await start(children, 'express', process.execPath, [SELF, '--express-server', issuer, API], /^express listening on (http:\/\/127\.0\.0\.1:\d+\/)/) },
  ];

  // One row per check: a server that accepts too much (or too little) fails here, before any number is printed.
  const checks = [
    { what: 'an acme token', token: tokens[0], status: 200, body: { org_id: ACME, projects: DEMO_PROJECTS[ACME] } },
    { what: 'a globex token', token: tokens[1], status: 200, body: { org_id: GLOBEX, projects: DEMO_PROJECTS[GLOBEX] } },
    { what: 'a token for another API (wrong aud)', token: wrongAud, status: 401 },
    { what: 'no token', token: null, status: 401 },
  ];
  for (const server of servers) {
    for (const check of checks) {
      const headers = check.token ? { authorization: `Bearer ${check.token}` } : {};
      const res = await fetch(`${server.url}projects`, { headers });
      const text = await res.text();
      if (res.status !== check.status) {
        throw new BenchError(`sanity check failed: ${server.name} answered ${check.what} with ${res.status}, expected ${check.status}: ${text.slice(0, 300)}`);
      }
      if (check.body && !isDeepStrictEqual(JSON.parse(text), check.body)) {
        throw new BenchError(`sanity check failed: ${server.name} answered ${check.what} with ${text}, expected ${JSON.stringify(check.body)}`);
      }
    }
    console.log(`sanity checks passed: ${server.name} (${server.url})`);
  }

  const version = (pkg) => JSON.parse(readFileSync(path.join(FIXTURES, 'node_modules', pkg, 'package.json'), 'utf8')).version;
  console.log();
  console.log(`date:        ${new Date().toISOString()}`);
  console.log(`node:        ${process.version}; express ${version('express')}, express-oauth2-jwt-bearer ${version('express-oauth2-jwt-bearer')}, autocannon ${version('autocannon')}`);
  console.log(`demo-api:    ${bin} (${execFileSync(bin, ['--version'], { encoding: 'utf8' }).trim()})`);
  console.log(`machine:     ${os.cpus().length} × ${os.cpus()[0]?.model.trim()}, ${os.platform()} ${os.release()} (load generator and server share it)`);
  console.log(`load:        autocannon, ${settings.connections} connections, pipelining 1, ${settings.warmup} s warm-up + ${settings.duration} s, ${tokens.length} tokens in rotation`);
  console.log();

  // Round 1, bearer tokens: every connection rotates through the tokens.
  const bearerRequests = tokens.map((t) => ({ method: 'GET', path: '/projects', headers: { authorization: `Bearer ${t}` } }));
  const bearer = [];
  for (const server of servers) bearer.push(await measure(autocannon, settings, server, () => bearerRequests));
  printTable('Bearer tokens', bearer);

  // Round 2, DPoP-bound tokens (RFC 9449): each request carries a proof made for it (its own jti, the server's
  // URL, the token's hash), made before the load from a pool sized from the bearer round (0.6 of its requests: a
  // bound request costs a server at least one ECDSA verification more), so the load generator only sends.
  // demo-api remembers every jti (a replay is refused); express-oauth2-jwt-bearer keeps none.
  const dpop = await dpopFixtures({ SignJWT, calculateJwkThumbprint, issuer, kid, privateKey });
  for (const server of servers) await dpopChecks(server, dpop);
  const bound = [];
  for (const [i, server] of servers.entries()) {
    const needed = Number(process.env.BENCH_DPOP_PROOFS) || Math.ceil(bearer[i].rps * (settings.warmup + settings.duration) * 0.6) + 1000;
    const made = Date.now();
    const pool = dpop.pool(server.url, needed);
    process.stderr.write(`made ${pool.length} proofs for ${server.name} in ${((Date.now() - made) / 1000).toFixed(1)} s\n`);
    let next = 0;
    const requests = () => [{
      method: 'GET',
      path: '/projects',
      setupRequest: (req) => {
        const [token, proof] = pool[next++ % pool.length];
        return { ...req, headers: { authorization: `DPoP ${token}`, dpop: proof } };
      },
    }];
    const row = await measure(autocannon, settings, server, requests);
    if (next > pool.length) throw new BenchError(`${server.name}: the ${pool.length} proofs ran out (${next} requests); set BENCH_DPOP_PROOFS higher`);
    bound.push(row);
  }
  printTable('DPoP-bound tokens, a fresh proof per request', bound);
  console.log();
  for (const [i, server] of servers.entries()) {
    console.log(`DPoP/bearer: ${server.name}: req/s ${(bound[i].rps / bearer[i].rps).toFixed(2)}×, p50 ${(bound[i].p50 / bearer[i].p50).toFixed(2)}×`);
  }

  const bad = [...bearer, ...bound].filter((r) => r.non2xx > 0 || r.errors > 0);
  if (bad.length > 0) {
    console.error(`guard-load: ${bad.map((r) => r.name).join(' and ')} answered non-2xx or failed under load; these numbers are not comparable`);
    return 1;
  }
  return 0;
}

// One server under load: autocannon with `requests()` (fresh for the warm-up and the run), its req/s and its
// 2xx latencies' p50 and p99.
async function measure(autocannon, settings, server, requests) {
  process.stderr.write(`loading ${server.name} …\n`);
  const run = autocannon({
    url: server.url,
    connections: settings.connections,
    duration: settings.duration,
    pipelining: 1,
    warmup: { connections: settings.connections, duration: settings.warmup },
    requests: requests(),
  });
  // autocannon's own latency histogram keeps whole milliseconds; keep each 2xx response's time (after the
  // warm-up, which reports on a tracker of its own) for sub-millisecond percentiles.
  const latencies = [];
  run.on('response', (_client, status, _bytes, ms) => {
    if (status >= 200 && status < 300) latencies.push(ms);
  });
  const r = await run;
  const sorted = Float64Array.from(latencies).sort();
  const pct = (p) => (sorted.length ? sorted[Math.ceil(p * sorted.length) - 1] : NaN);
  return { name: server.name, rps: r.requests.average, p50: pct(0.5), p99: pct(0.99), non2xx: r.non2xx, errors: r.errors + r.timeouts, total: r.requests.total };
}

function printTable(title, rows) {
  const table = [
    ['server', 'req/s', 'p50 ms', 'p99 ms', 'non-2xx', 'errors', 'requests'],
    ...rows.map((r) => [r.name, r.rps.toFixed(0), r.p50.toFixed(2), r.p99.toFixed(2), String(r.non2xx), String(r.errors), String(r.total)]),
  ];
  const widths = table[0].map((_, c) => Math.max(...table.map((row) => row[c].length)));
  console.log();
  console.log(`${title}:`);
  for (const row of table) console.log(row.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]) : cell.padStart(widths[c]))).join('  '));
  const [rust, node] = rows;
  console.log(`rust/node:   req/s ${(rust.rps / node.rps).toFixed(2)}×, p99 ${(rust.p99 / node.p99).toFixed(2)}×`);
}

// Four P-256 client keys, 200 access tokens bound to them (`cnf.jkt`), and proofs made with node's own crypto
// (ES256, `typ` dpop+jwt, the public `jwk`, a random `jti`, `htm`, `htu`, `iat` now, `ath`).
async function dpopFixtures({ SignJWT, calculateJwkThumbprint, issuer, kid, privateKey }) {
  const keys = [];
  for (let i = 0; i < 4; i++) {
    const pair = crypto.generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const { kty, crv, x, y } = pair.publicKey.export({ format: 'jwk' });
    const jwk = { kty, crv, x, y };
    keys.push({ privateKey: pair.privateKey, jwk, jkt: await calculateJwkThumbprint(jwk) });
  }
  const now = Math.floor(Date.now() / 1000);
  const mint = (i, key, orgId, orgName) =>
    new SignJWT({ scope: 'openid read:projects', org_id: orgId, org_name: orgName, azp: 'orgpass-bench', cnf: { jkt: key.jkt } })
      .setProtectedHeader({ alg: 'RS256', typ: 'at+jwt', kid })
      .setIssuer(issuer)
      .setSubject(`auth0|bench${String(i).padStart(20, '0')}`)
      .setAudience([API, `${issuer}userinfo`])
      .setIssuedAt(now)
      .setExpirationTime(now + 3600)
      .sign(privateKey);
  const tokens = await Promise.all(Array.from({ length: 200 }, (_, i) => {
    const key = keys[i % keys.length];
    return i % 2 ? mint(i, key, GLOBEX, 'globex').then((t) => [t, key]) : mint(i, key, ACME, 'acme').then((t) => [t, key]);
  }));
  const b64 = (v) => Buffer.from(typeof v === 'string' ? v : JSON.stringify(v)).toString('base64url');
  const proof = (key, url, token, claims = {}) => {
    const header = b64({ typ: 'dpop+jwt', alg: 'ES256', jwk: key.jwk });
    const payload = b64({
      jti: crypto.randomBytes(16).toString('base64url'),
      htm: 'GET',
      htu: url,
      iat: Math.floor(Date.now() / 1000),
      ath: crypto.createHash('sha256').update(token).digest('base64url'),
      ...claims,
    });
    const signature = crypto.sign('sha256', Buffer.from(`${header}.${payload}`), { key: key.privateKey, dsaEncoding: 'ieee-p1363' });
    return `${header}.${payload}.${signature.toString('base64url')}`;
  };
  return {
    tokens,
    proof,
    // `n` [token, proof] pairs for GET <base>projects, the tokens in rotation.
    pool(base, n) {
      const url = `${base}projects`;
      return Array.from({ length: n }, (_, i) => {
        const [token, key] = tokens[i % tokens.length];
        return [token, proof(key, url, token)];
      });
    },
  };
}

// Before a DPoP load: a bound token with its proof gets acme's projects; a proof for another URL, a proof by
// another key, and the bound token sent as Bearer are refused by both servers (401; the library answers a proof
// it refuses with 400 `invalid_dpop_proof`, RFC 9449 §7.1 says 401, so either counts as refused here).
async function dpopChecks(server, dpop) {
  const url = `${server.url}projects`;
  const [token, key] = dpop.tokens[0];
  const [, otherKey] = dpop.tokens[1];
  const checks = [
    { what: 'a bound token with its proof', headers: { authorization: `DPoP ${token}`, dpop: dpop.proof(key, url, token) }, status: 200, body: { org_id: ACME, projects: DEMO_PROJECTS[ACME] } },
    { what: 'a proof for another URL', headers: { authorization: `DPoP ${token}`, dpop: dpop.proof(key, `${server.url}me`, token) }, status: 401 },
    { what: 'a proof by another key', headers: { authorization: `DPoP ${token}`, dpop: dpop.proof(otherKey, url, token) }, status: 401 },
    { what: 'the bound token as Bearer', headers: { authorization: `Bearer ${token}` }, status: 401 },
  ];
  for (const check of checks) {
    const res = await fetch(url, { headers: check.headers });
    const text = await res.text();
    const refusedAsAsked = check.status === 401 && (res.status === 400 || res.status === 401);
    if (res.status !== check.status && !refusedAsAsked) {
      throw new BenchError(`DPoP sanity check failed: ${server.name} answered ${check.what} with ${res.status}, expected ${check.status}: ${text.slice(0, 300)}`);
    }
    if (check.body && !isDeepStrictEqual(JSON.parse(text), check.body)) {
      throw new BenchError(`DPoP sanity check failed: ${server.name} answered ${check.what} with ${text}`);
    }
  }
  console.log(`DPoP sanity checks passed: ${server.name}`);
}

// The demo-api binary: DEMO_API_BIN (relative to where the command was typed), else target/release/demo-api.
function demoApiBin() {
  const given = process.env.DEMO_API_BIN;
  const bin = given ? path.resolve(process.env.INIT_CWD ?? process.cwd(), given) : path.join(REPO, 'target/release/demo-api');
  try {
    accessSync(bin, constants.X_OK);
  } catch {
    throw new BenchError(`no demo-api binary at ${bin}; build it with \`cargo build --release -p demo-api\` (or point DEMO_API_BIN at one)`);
  }
  return bin;
}

// Spawns a server and resolves to the URL its first stdout line announces; fails if it exits or is silent for 15 s.
function start(children, name, command, args, listening) {
  // express-oauth2-jwt-bearer refuses an http issuer when NODE_ENV=production, and the mock issuer is loopback http.
  const { NODE_ENV: _, ...env } = process.env;
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ['pipe', 'pipe', 'inherit'], env });
    children.add(child);
    let up = false;
    const timer = setTimeout(() => reject(new BenchError(`${name} did not say where it listens within 15 s`)), 15_000);
    const lines = createInterface({ input: child.stdout });
    lines.once('line', (line) => {
      clearTimeout(timer);
      const m = listening.exec(line);
      if (m) {
        up = true;
        resolve(m[1]);
      } else {
        reject(new BenchError(`${name} started with \`${line}\`, not the expected \`${listening.source}\``));
      }
      lines.on('line', () => {}); // keep draining its stdout
    });
    child.once('error', (e) => reject(new BenchError(`could not start ${name} (${command}): ${e.message}`)));
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      const how = signal ?? `code ${code}`;
      if (!up) reject(new BenchError(`${name} exited (${how}) before it was listening`));
      else if (!child.killed) console.error(`guard-load: ${name} exited (${how}) while being measured`);
    });
  });
}

function envInt(name, fallback) {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1) throw new BenchError(`${name}=${raw} is not a positive whole number`);
  return n;
}
