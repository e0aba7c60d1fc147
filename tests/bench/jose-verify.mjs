// Benchmark peer for `cargo bench -p orgpass`: node `jose` jwtVerify on the same Auth0-shaped RS256 ID token,
// with a warm local JWKS, plus the nonce and org_id checks orgpass does. Prints one JSON line: {"ns_per_op": N}.
// Input (JSON on stdin): {"token", "jwks", "issuer", "audience", "nonce", "org_id", "iterations"}.
import { createLocalJWKSet, jwtVerify } from 'jose';

const input = JSON.parse(await new Promise((resolve) => {
  let data = '';
  process.stdin.on('data', (c) => { data += c; });
  process.stdin.on('end', () => resolve(data));
}));

const jwks = createLocalJWKSet(input.jwks);
const options = { issuer: input.issuer, audience: input.audience, algorithms: ['RS256'], clockTolerance: 60 };

async function verifyOnce() {
  const { payload } = await jwtVerify(input.token, jwks, options);
  if (payload.nonce !== input.nonce) throw new Error('nonce mismatch');
  if (payload.org_id !== input.org_id) throw new Error('org_id mismatch');
  if (Array.isArray(payload.aud) && payload.aud.length > 1 && payload.azp !== input.audience) throw new Error('azp');
}

for (let i = 0; i < 500; i++) await verifyOnce(); // warm-up: key import cache and JIT
const n = input.iterations;
const start = process.hrtime.bigint();
for (let i = 0; i < n; i++) await verifyOnce();
const elapsed = process.hrtime.bigint() - start;
console.log(JSON.stringify({ ns_per_op: Number(elapsed) / n, iterations: n, node: process.version }));
