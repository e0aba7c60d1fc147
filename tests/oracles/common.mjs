// What the oracles share: reading the one JSON object on stdin, the checks every input needs (an issuer, a JWKS,
// a leeway, named cases), and running a judge: its verdicts as one JSON line on stdout; exit 2 for a malformed
// input, 3 for a fault of the harness (each with a message on stderr); and the loopback servers the API oracles run
// (`listen`, `close`, `jwksServer`).

import http from 'node:http';

export class InputError extends Error {}
export class HarnessError extends Error {}

export const isObject = (v) => typeof v === 'object' && v !== null && !Array.isArray(v);

async function readStdin() {
  const chunks = [];
  for await (const chunk of process.stdin) chunks.push(chunk);
  return Buffer.concat(chunks).toString('utf8');
}

/** The input object, with `issuer`, `jwks`, `leeway` and `cases` (each named) checked. */
export async function readInput() {
  let input;
  try {
    input = JSON.parse(await readStdin());
  } catch (e) {
    throw new InputError(`stdin is not JSON: ${e.message}`);
  }
  if (!isObject(input)) throw new InputError('stdin must hold one JSON object');
  const { issuer, jwks, leeway, cases } = input;
  if (typeof issuer !== 'string' || issuer === '') throw new InputError('"issuer" must be a non-empty string');
  if (!isObject(jwks) || !Array.isArray(jwks.keys)) throw new InputError('"jwks" must be an object with a "keys" array');
  if (typeof leeway !== 'number' || !Number.isFinite(leeway) || leeway < 0) {
    throw new InputError('"leeway" must be a non-negative number of seconds');
  }
  if (!Array.isArray(cases)) throw new InputError('"cases" must be an array');
  cases.forEach((c, i) => {
    if (!isObject(c)) throw new InputError(`cases[${i}] must be an object`);
    if (typeof c.name !== 'string' || c.name === '') throw new InputError(`cases[${i}].name must be a non-empty string`);
  });
  return input;
}

/** Runs `judgeAll` (input → verdicts) and prints its verdicts; `name` prefixes the messages. */
export async function run(name, judgeAll) {
  try {
    const verdicts = await judgeAll(await readInput());
    process.stdout.write(`${JSON.stringify(verdicts)}\n`);
  } catch (e) {
    if (e instanceof InputError) {
      console.error(`${name} oracle: malformed input: ${e.message}`);
      process.exitCode = 2;
    } else {
      console.error(`${name} oracle: ${e instanceof HarnessError ? e.message : e.stack}`);
      process.exitCode = 3;
    }
  }
}

/** Listens on 127.0.0.1 on a port the OS picks; resolves to `http://127.0.0.1:PORT`. */
export function listen(server) {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve(`http://127.0.0.1:${server.address().port}`);
    });
  });
}

/** Stops `server`, its idle keep-alive connections included. */
export function close(server) {
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });
}

/** A server answering `jwks` at GET /jwks (application/json), 404 elsewhere. */
export function jwksServer(jwks) {
  const body = JSON.stringify(jwks);
  return http.createServer((req, res) => {
    if (req.method === 'GET' && req.url === '/jwks') {
      res.writeHead(200, { 'content-type': 'application/json' }).end(body);
    } else {
      res.writeHead(404).end();
    }
  });
}
