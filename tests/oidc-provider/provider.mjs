// A real, certified OpenID Provider (`oidc-provider`) shaped like an Auth0 tenant with Organizations, for tests
// and for running the `orgpass` CLI by hand.
//
//   node tests/oidc-provider/provider.mjs [PORT] [--access-token-ttl SECS] [--id-token-ttl SECS]
//        [--refreshed-access-token-ttl SECS] [--refresh-delay-ms MS] [--refresh-id-token-claim NAME=VALUE]...
//        [--discover-by-email] [--events FILE]
//
// Test switches (all off by default):
// --refreshed-access-token-ttl: lifetime of access tokens issued by a refresh_token grant (default: the same as
//   --access-token-ttl), so a test can start with an almost expired token and refresh to a fresh one.
// --refresh-delay-ms: hold every refresh_token grant's response this long after the tokens were rotated, so
//   concurrent clients are sure to overlap (a race that would present a rotated token twice shows up every time).
// --refresh-id-token-claim NAME=VALUE: in the ID token of a refresh_token grant, set claim NAME to VALUE
//   (re-signed with the provider's own key): a refresh that comes back for another `sub` or `org_id`.
// --discover-by-email: the client's organization prompt with discovery by email (Auth0's
//   `organization_require_behavior: pre_login_prompt`, `organization_discovery_methods: ["email"]`): a request
//   without `organization` first asks for the work email (pre-filled from `login_hint`), then goes to the login of
//   the one organization whose verified domain it is, or shows a chooser when several share it, or asks again when
//   none has it. Without the switch a request without `organization` signs in with no organization at all.
//
// Listens on 127.0.0.1:PORT (default 0 = any free port). The FIRST stdout line is the issuer URL
// (`http://127.0.0.1:PORT/`, with Auth0's trailing slash); every later stdout line is one JSON event
// (`{"event":"refresh_token.consumed","jti":…}`) that tests read to check rotation and revocation. With
// `--events FILE` the events are appended to FILE instead, each written before the response it belongs to, so a
// test that reads the file after its request has finished sees every event of it (a reader of stdout may lag).
// Notices go to stderr. Stop it with SIGTERM/SIGINT.
//
// What it mimics from Auth0 (see shared/reference/AUTH0_FACTS.md):
// - one native public client `orgpass-test-client` (no secret, PKCE S256 required, any loopback port for
//   `http://127.0.0.1/callback` and `http://[::1]/callback`), scopes `openid profile email offline_access`,
//   refresh tokens for `offline_access` with rotation (re-using a rotated refresh token revokes the grant);
// - `organization` (an ID `org_…` or a name) and `invitation` authorization parameters; unknown organization or
//   invitation → `invalid_request` redirect, a user who is not a member → `access_denied` redirect;
// - `org_id` and `org_name` claims in the ID token for the organization signed into;
// - Auth0's endpoint paths (`/authorize`, `/oauth/token`, `/oauth/revoke`, `/oidc/logout`,
//   `/.well-known/jwks.json`) and RFC 9207 `iss` in every authorization response.
//
// Seeded data (passwords are `<user>-pw`):
//   org_ACME0000000000001 "acme"   members: alice, bob, erin, frank     domains: acme.example, shared.example
//   org_GLOBEX00000000002 "globex" members: alice, frank  domains: globex.example, shared.example
//                                  invitation ticket `inv_globex_carol` for carol
//   users: alice (both orgs), bob (acme), carol (no org until she accepts the invitation), dave (none),
//          erin@acme.example (acme), frank@shared.example (both), gina@nowhere.example (none)

import * as http from 'node:http';
import { appendFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { generateKeyPair, exportJWK, decodeJwt, SignJWT } from 'jose';
import Provider, { errors } from 'oidc-provider';

// oidc-provider prints its development notices with console.info; keep stdout for the issuer line and events.
console.info = (...args) => console.error(...args);

export const CLIENT_ID = 'orgpass-test-client';

export const ORGS = [
  { id: 'org_ACME0000000000001', name: 'acme', display_name: 'Acme Corp', domains: ['acme.example', 'shared.example'] },
  { id: 'org_GLOBEX00000000002', name: 'globex', display_name: 'Globex Inc', domains: ['globex.example', 'shared.example'] },
];

export const USERS = [
  { sub: 'auth0|alice', login: 'alice', email: 'alice@example.com', name: 'Alice Example', orgs: ['org_ACME0000000000001', 'org_GLOBEX00000000002'] },
  { sub: 'auth0|bob', login: 'bob', email: 'bob@example.com', name: 'Bob Example', orgs: ['org_ACME0000000000001'] },
  { sub: 'auth0|carol', login: 'carol', email: 'carol@example.com', name: 'Carol Example', orgs: [] },
  { sub: 'auth0|dave', login: 'dave', email: 'dave@example.com', name: 'Dave Example', orgs: [] },
  { sub: 'auth0|erin', login: 'erin', email: 'erin@acme.example', name: 'Erin Example', orgs: ['org_ACME0000000000001'] },
  { sub: 'auth0|frank', login: 'frank', email: 'frank@shared.example', name: 'Frank Example', orgs: ['org_ACME0000000000001', 'org_GLOBEX00000000002'] },
  { sub: 'auth0|gina', login: 'gina', email: 'gina@nowhere.example', name: 'Gina Example', orgs: [] },
];

export const INVITATIONS = [
  { ticket: 'inv_globex_carol', org_id: 'org_GLOBEX00000000002', email: 'carol@example.com' },
];

function parseArgs(argv) {
  const out = {
    port: 0, accessTokenTtl: 3600, idTokenTtl: 3600, refreshedAccessTokenTtl: undefined, refreshDelayMs: 0,
    refreshIdTokenClaims: {}, discoverByEmail: false, events: undefined,
  };
  for (let i = 0; i < argv.length; i += 1) {
    const arg = argv[i];
    const value = () => {
      const v = Number(argv[i + 1]);
      if (!Number.isInteger(v) || v < 1) throw new Error(`${arg} needs a positive integer`);
      i += 1;
      return v;
    };
    if (arg === '--access-token-ttl') out.accessTokenTtl = value();
    else if (arg === '--id-token-ttl') out.idTokenTtl = value();
    else if (arg === '--refreshed-access-token-ttl') out.refreshedAccessTokenTtl = value();
    else if (arg === '--refresh-delay-ms') out.refreshDelayMs = value();
    else if (arg === '--refresh-id-token-claim') {
      const pair = argv[i + 1] ?? '';
      const eq = pair.indexOf('=');
      if (eq < 1) throw new Error(`${arg} needs NAME=VALUE`);
      out.refreshIdTokenClaims[pair.slice(0, eq)] = pair.slice(eq + 1);
      i += 1;
    }
    else if (arg === '--discover-by-email') out.discoverByEmail = true;
    else if (arg === '--events') {
      if (!argv[i + 1]) throw new Error('--events needs a file');
      out.events = argv[i + 1];
      i += 1;
    }
    else if (/^\d+$/.test(arg)) out.port = Number(arg);
    else throw new Error(`unknown argument ${arg}; usage: provider.mjs [PORT] [--access-token-ttl SECS] [--id-token-ttl SECS] [--refreshed-access-token-ttl SECS] [--refresh-delay-ms MS] [--refresh-id-token-claim NAME=VALUE]... [--discover-by-email] [--events FILE]`);
  }
  return out;
}

let eventsFile;
const emit = (event, fields = {}) => {
  const line = `${JSON.stringify({ event, ...fields })}\n`;
  if (eventsFile) appendFileSync(eventsFile, line);
  else process.stdout.write(line);
};

const escapeHtml = (s) => String(s).replace(/[&<>"']/g, (c) => ({
  '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;',
}[c]));

/** Resolves the `organization` parameter like Auth0 with names allowed: `org_…` is an ID, else a lowercase name. */
function findOrg(value) {
  if (value === undefined) return undefined;
  return value.startsWith('org_')
    ? ORGS.find((o) => o.id === value)
    : ORGS.find((o) => o.name === value);
}

function page(title, body) {
  return `<!DOCTYPE html><html><head><meta charset="utf-8"><title>${escapeHtml(title)}</title></head>`
    + `<body><h1>${escapeHtml(title)}</h1>${body}</body></html>`;
}

function readForm(req) {
  return new Promise((resolve, reject) => {
    let data = '';
    req.setEncoding('utf8');
    req.on('data', (chunk) => {
      data += chunk;
      if (data.length > 64 * 1024) reject(new Error('form too large'));
    });
    req.on('end', () => resolve(new URLSearchParams(data)));
    req.on('error', reject);
  });
}

async function main() {
  const args = parseArgs(process.argv.slice(2));
  eventsFile = args.events;
  const server = http.createServer();
  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(args.port, '127.0.0.1', resolve);
  });
  const { port } = server.address();
  const issuer = `http://127.0.0.1:${port}/`;

  const { privateKey } = await generateKeyPair('RS256', { extractable: true });
  const jwk = { ...(await exportJWK(privateKey)), kid: `test-${randomBytes(4).toString('hex')}`, alg: 'RS256', use: 'sig' };

  // Organization signed into, per grant: set when the user consents, read when an ID token is minted (also on
  // refresh, so a refreshed ID token carries the same org).
  const orgByGrant = new Map();
  // The organization found by email for an authorization request (by client and `state`, which both of its
  // interactions, login and consent, carry), and the ones a chooser offered.
  const discovered = new Map();
  const offered = new Map();
  const requestKey = (params) => `${params.client_id} ${params.state}`;
  const orgOf = (params) => findOrg(params.organization) ?? discovered.get(requestKey(params));
  // Memberships change when an invitation is accepted.
  const memberships = new Map(USERS.map((u) => [u.sub, new Set(u.orgs)]));

  const configuration = {
    clients: [{
      client_id: CLIENT_ID,
      application_type: 'native',
      token_endpoint_auth_method: 'none',
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
      redirect_uris: ['http://127.0.0.1/callback', 'http://[::1]/callback'],
      post_logout_redirect_uris: ['http://127.0.0.1/logout', 'http://[::1]/logout'],
    }],
    jwks: { keys: [jwk] },
    cookies: { keys: [randomBytes(32).toString('hex')] },
    scopes: ['openid', 'profile', 'email', 'offline_access'],
    claims: {
      openid: ['sub', 'org_id', 'org_name'],
      profile: ['name', 'nickname'],
      email: ['email', 'email_verified'],
    },
    // Auth0 puts profile and email claims in the ID token of a code flow; so do we.
    conformIdTokenClaims: false,
    extraParams: {
      async organization(ctx, value) {
        if (value === undefined) return;
        if (!findOrg(value)) {
          throw new errors.InvalidRequest(`parameter organization is invalid: no organization "${value}"`);
        }
      },
      async invitation(ctx, value) {
        if (value === undefined) return;
        const inv = INVITATIONS.find((i) => i.ticket === value);
        const org = findOrg(ctx.oidc.params.organization);
        if (!inv || !org || inv.org_id !== org.id) {
          throw new errors.InvalidRequest('invitation not found or expired');
        }
      },
      audience: null,
    },
    features: {
      devInteractions: { enabled: false },
      revocation: { enabled: true },
      rpInitiatedLogout: { enabled: true },
    },
    pkce: { required: () => true },
    rotateRefreshToken: () => true,
    issueRefreshToken: async (ctx, client, code) => client.grantTypeAllowed('refresh_token') && code.scopes.has('offline_access'),
    ttl: {
      AccessToken: (ctx) => (ctx?.oidc?.params?.grant_type === 'refresh_token'
        ? args.refreshedAccessTokenTtl ?? args.accessTokenTtl
        : args.accessTokenTtl),
      IdToken: args.idTokenTtl,
      AuthorizationCode: 60,
      Interaction: 600,
      Session: 3600,
      Grant: 14 * 24 * 3600,
      RefreshToken: 14 * 24 * 3600,
    },
    routes: {
      authorization: '/authorize',
      token: '/oauth/token',
      revocation: '/oauth/revoke',
      end_session: '/oidc/logout',
      jwks: '/.well-known/jwks.json',
      userinfo: '/userinfo',
    },
    interactions: { url: (ctx, interaction) => `/interaction/${interaction.uid}` },
    async findAccount(ctx, sub, token) {
      const user = USERS.find((u) => u.sub === sub);
      if (!user) return undefined;
      return {
        accountId: sub,
        async claims() {
          const grantId = token?.grantId
            ?? ctx?.oidc?.entities?.AuthorizationCode?.grantId
            ?? ctx?.oidc?.entities?.RefreshToken?.grantId;
          const org = grantId ? orgByGrant.get(grantId) : undefined;
          return {
            sub,
            name: user.name,
            nickname: user.login,
            email: user.email,
            email_verified: true,
            ...(org ? { org_id: org.id, org_name: org.name } : {}),
          };
        },
      };
    },
    async renderError(ctx, out) {
      ctx.type = 'html';
      ctx.body = page('Error', Object.entries(out).map(([k, v]) => `<pre>${escapeHtml(k)}: ${escapeHtml(v)}</pre>`).join(''));
    },
  };

  const provider = new Provider(issuer, configuration);

  // Auth0 issues a refresh token for `offline_access` without `prompt=consent`; oidc-provider follows OIDC Core
  // §11 and drops `offline_access` unless consent is prompted. Adding `consent` changes nothing else here
  // (native clients always get the consent screen), so the client under test is not asked to send it.
  provider.use(async (ctx, next) => {
    if (ctx.path === '/authorize' && ctx.method === 'GET') {
      const query = { ...ctx.query };
      if (typeof query.scope === 'string' && query.scope.split(' ').includes('offline_access')) {
        const prompts = new Set((query.prompt ?? '').split(' ').filter(Boolean));
        prompts.add('consent');
        query.prompt = [...prompts].join(' ');
        ctx.query = query;
      }
    }
    await next();
  });

  // Every token endpoint request, whatever its outcome: `{"event":"token_endpoint.request","grant_type":…,
  // "status":…}` (tests count refresh_token grants the provider saw). Then the refresh test switches.
  provider.use(async (ctx, next) => {
    try {
      await next();
    } finally {
      if (ctx.path === '/oauth/token' && ctx.method === 'POST') {
        emit('token_endpoint.request', { grant_type: ctx.oidc?.params?.grant_type ?? null, status: ctx.status });
      }
    }
    if (ctx.path !== '/oauth/token' || ctx.oidc?.params?.grant_type !== 'refresh_token' || ctx.status !== 200) return;
    const changed = Object.keys(args.refreshIdTokenClaims);
    if (changed.length > 0 && typeof ctx.body?.id_token === 'string') {
      const claims = { ...decodeJwt(ctx.body.id_token), ...args.refreshIdTokenClaims };
      ctx.body = {
        ...ctx.body,
        id_token: await new SignJWT(claims).setProtectedHeader({ alg: 'RS256', kid: jwk.kid }).sign(privateKey),
      };
      emit('refresh.id_token_changed', { claims: changed });
    }
    if (args.refreshDelayMs > 0) await new Promise((resolve) => { setTimeout(resolve, args.refreshDelayMs); });
  });

  for (const name of ['authorization.success', 'authorization.error', 'grant.success', 'grant.error',
    'grant.revoked', 'end_session.success', 'server_error']) {
    provider.on(name, (...a) => {
      const ctx = a[0];
      const err = a.find((x) => x instanceof Error);
      const fields = {};
      if (err) Object.assign(fields, { error: err.error ?? err.message, error_description: err.error_description });
      if (ctx?.oidc?.params) {
        const p = ctx.oidc.params;
        Object.assign(fields, { grant_type: p.grant_type, organization: p.organization, invitation: p.invitation });
        const found = p.organization ? undefined : discovered.get(requestKey(p));
        if (found) fields.discovered_organization = found.id;
      }
      if (typeof a[0] === 'string') fields.grantId = a[0];
      if (name === 'grant.revoked') fields.grantId = a[1];
      emit(name, fields);
    });
  }
  for (const kind of ['refresh_token', 'access_token', 'authorization_code']) {
    for (const what of ['saved', 'consumed', 'destroyed']) {
      provider.on(`${kind}.${what}`, (token) => emit(`${kind}.${what}`, { jti: token.jti, grantId: token.grantId }));
    }
  }

  async function interaction(req, res, url) {
    const parts = url.pathname.split('/').filter(Boolean); // ['interaction', uid, action?]
    const action = parts[2];
    const details = await provider.interactionDetails(req, res);
    const { uid, prompt, params, session } = details;
    const html = (status, title, body) => {
      res.writeHead(status, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' });
      res.end(page(title, body));
    };
    const finish = (result) => provider.interactionFinished(req, res, result, { mergeWithLastSubmission: false });
    const denyIfNotMember = async (sub) => {
      const org = orgOf(params);
      if (!org) return undefined;
      if (params.invitation) {
        const user = USERS.find((u) => u.sub === sub);
        const inv = INVITATIONS.find((i) => i.ticket === params.invitation);
        if (inv && user && inv.email === user.email && inv.org_id === org.id) {
          memberships.get(sub).add(org.id); // the invitation is accepted
          emit('invitation.accepted', { ticket: inv.ticket, org_id: org.id, sub });
        }
      }
      if (!memberships.get(sub)?.has(org.id)) {
        await finish({
          error: 'access_denied',
          error_description: `user ${sub} is not part of the ${org.id} organization`,
        });
        return 'denied';
      }
      return undefined;
    };

    // The organization prompt's email step, and its chooser when several organizations share the domain.
    const emailStep = (status, error) => html(status, 'Enter your work email',
      `${error ? `<p role="alert">${escapeHtml(error)}</p>` : ''}`
      + `<form method="post" action="/interaction/${escapeHtml(uid)}/email" autocomplete="off">`
      + `<input type="hidden" name="state" value="${escapeHtml(uid)}">`
      + `<input type="email" name="email" value="${escapeHtml(params.login_hint ?? '')}" placeholder="you@company.example">`
      + '<button type="submit">Continue</button></form>');
    const undiscovered = args.discoverByEmail && prompt.name === 'login' && !orgOf(params);

    if (req.method === 'GET' && action === undefined) {
      if (undiscovered) return emailStep(200);
      if (prompt.name === 'login') {
        const hint = params.login_hint ?? '';
        const org = orgOf(params);
        return html(200, `Sign in${org ? ` to ${org.display_name}` : ''}`,
          `<form method="post" action="/interaction/${escapeHtml(uid)}/login" autocomplete="off">`
          + `<input type="text" name="login" value="${escapeHtml(hint)}" placeholder="username">`
          + '<input type="password" name="password" placeholder="password">'
          + '<button type="submit">Sign in</button></form>'
          + `<form method="post" action="/interaction/${escapeHtml(uid)}/abort"><button type="submit">Cancel</button></form>`);
      }
      return html(200, 'Authorize Orgpass',
        `<p>Orgpass asks for: ${escapeHtml(params.scope)}</p>`
        + `<form method="post" action="/interaction/${escapeHtml(uid)}/confirm"><button type="submit">Accept</button></form>`
        + `<form method="post" action="/interaction/${escapeHtml(uid)}/abort"><button type="submit">Decline</button></form>`);
    }
    if (req.method !== 'POST') return html(405, 'Method not allowed', '');
    const form = await readForm(req);

    if (action === 'email' && undiscovered) {
      const email = (form.get('email') ?? '').trim().toLowerCase();
      const domain = email.includes('@') ? email.slice(email.lastIndexOf('@') + 1) : '';
      const matches = ORGS.filter((o) => o.domains.includes(domain));
      if (matches.length === 0) {
        return emailStep(400, `No organization uses the email domain ${domain || '(none)'}.`);
      }
      if (matches.length === 1) {
        discovered.set(requestKey(params), matches[0]);
        res.writeHead(303, { location: `/interaction/${uid}`, 'cache-control': 'no-store' });
        return res.end();
      }
      offered.set(requestKey(params), matches);
      return html(200, 'Choose your organization', matches.map((o) => (
        `<form method="post" action="/interaction/${escapeHtml(uid)}/choose">`
        + `<input type="hidden" name="organization" value="${escapeHtml(o.id)}">`
        + `<button type="submit" id="choose-${escapeHtml(o.name)}">${escapeHtml(o.display_name)}</button></form>`
      )).join(''));
    }
    if (action === 'choose' && undiscovered) {
      const org = (offered.get(requestKey(params)) ?? []).find((o) => o.id === form.get('organization'));
      if (!org) return emailStep(400, 'Choose one of the organizations offered for your email.');
      discovered.set(requestKey(params), org);
      res.writeHead(303, { location: `/interaction/${uid}`, 'cache-control': 'no-store' });
      return res.end();
    }
    if (action === 'login') {
      const user = USERS.find((u) => u.login === form.get('login') || u.email === form.get('login'));
      if (!user || form.get('password') !== `${user.login}-pw`) {
        return html(401, 'Wrong username or password', '<p>Wrong username or password.</p>');
      }
      if (await denyIfNotMember(user.sub)) return undefined;
      return finish({ login: { accountId: user.sub } });
    }
    if (action === 'confirm') {
      if (await denyIfNotMember(session.accountId)) return undefined;
      const grant = new provider.Grant({ accountId: session.accountId, clientId: params.client_id });
      grant.addOIDCScope(params.scope);
      const grantId = await grant.save();
      const org = orgOf(params);
      if (org) orgByGrant.set(grantId, org);
      emit('consent.granted', { grantId, sub: session.accountId, org_id: org?.id ?? null });
      // With `prompt=login` the login just submitted must count on resume, or oidc-provider would ask for it again
      // (a loop): keep it in the result. Other requests finish with the consent alone, as before.
      const promptedLogin = String(params.prompt ?? '').split(' ').includes('login');
      return provider.interactionFinished(req, res, { consent: { grantId } }, { mergeWithLastSubmission: promptedLogin });
    }
    if (action === 'abort') {
      return finish({ error: 'access_denied', error_description: 'the user cancelled the sign-in' });
    }
    return html(404, 'Not found', '');
  }

  const callback = provider.callback();
  server.on('request', (req, res) => {
    const url = new URL(req.url, issuer);
    if (url.pathname.startsWith('/interaction/')) {
      interaction(req, res, url).catch((err) => {
        console.error('interaction failed:', err);
        if (!res.headersSent) {
          res.writeHead(400, { 'content-type': 'text/html; charset=utf-8' });
          res.end(page('Error', `<pre>${escapeHtml(err.error_description ?? err.message)}</pre>`));
        }
      });
      return;
    }
    callback(req, res);
  });

  process.stdout.write(`${issuer}\n`);
  const stop = () => server.close(() => process.exit(0));
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
