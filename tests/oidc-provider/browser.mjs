// A scripted "system browser" for tests: `node browser.mjs <authorize URL>`.
//
// Follows redirects by hand with a cookie jar, fills and submits the provider's forms (login: `login` and
// `password` from OP_TEST_USER / OP_TEST_PASSWORD, else the pre-filled login_hint and `<login>-pw`; consent:
// "Accept", or "Decline" when OP_TEST_CONSENT=deny; an organization prompt's email step, `email` from
// OP_TEST_EMAIL, else the value pre-filled from login_hint; a chooser or picker of organizations, the one whose
// button is `choose-<name>` / `pick-<name>`, whose `organization` is, or whose label is OP_TEST_ORG, else the
// first), and ends after the page that has no form, normally the app's loopback callback page. `orgpass login --browser "node /abs/path/browser.mjs"` appends the URL.
//
// OP_BROWSER_LOG=<file>: append one JSON line per request (method, URL without query values that carry codes,
// status) and a final {"done":…} line, so a test can see what the "user" saw (e.g. the callback's 4xx).
// OP_BROWSER_STOP_AT_CALLBACK=1: play a browser on another machine, which cannot reach this one's loopback
// listener: instead of requesting http://127.0.0.1:PORT/callback?…, print that address on stdout and exit 0.
// Exit 0 when it reached a page without a form, 1 on a network error or a loop.

import { appendFileSync } from 'node:fs';

const log = (entry) => {
  if (process.env.OP_BROWSER_LOG) appendFileSync(process.env.OP_BROWSER_LOG, `${JSON.stringify(entry)}\n`);
};

/** Cookies by host (ports share cookies, as in real browsers), name → value. Paths are ignored. */
const jar = new Map();
function storeCookies(url, response) {
  const host = url.hostname;
  if (!jar.has(host)) jar.set(host, new Map());
  for (const line of response.headers.getSetCookie()) {
    const [pair, ...attrs] = line.split(';');
    const eq = pair.indexOf('=');
    const name = pair.slice(0, eq).trim();
    const value = pair.slice(eq + 1).trim();
    const expired = attrs.some((a) => /^\s*max-age=0\s*$/i.test(a))
      || attrs.some((a) => /^\s*expires=/i.test(a) && Date.parse(a.split('=')[1]) < Date.now());
    if (expired || value === '') jar.get(host).delete(name);
    else jar.get(host).set(name, value);
  }
}
function cookieHeader(url) {
  const cookies = jar.get(url.hostname);
  if (!cookies || cookies.size === 0) return undefined;
  return [...cookies].map(([k, v]) => `${k}=${v}`).join('; ');
}

const decode = (s) => s.replace(/&quot;/g, '"').replace(/&#39;/g, "'").replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&');
const attr = (tag, name) => {
  const m = tag.match(new RegExp(`\\s${name}\\s*=\\s*(?:"([^"]*)"|'([^']*)'|([^\\s>]+))`, 'i'));
  return m ? decode(m[1] ?? m[2] ?? m[3]) : undefined;
};

/** The forms of a page: action, method, named inputs with their values, and the submit button text. */
function forms(html) {
  const out = [];
  for (const m of html.matchAll(/<form\b([^>]*)>([\s\S]*?)<\/form>/gi)) {
    const fields = new Map();
    for (const input of m[2].matchAll(/<input\b[^>]*>/gi)) {
      const name = attr(input[0], 'name');
      if (name) fields.set(name, attr(input[0], 'value') ?? '');
    }
    const button = m[2].match(/<button\b([^>]*)>([\s\S]*?)<\/button>/i);
    out.push({
      action: attr(m[1], 'action') ?? '',
      method: (attr(m[1], 'method') ?? 'get').toUpperCase(),
      fields,
      label: button ? button[2].replace(/<[^>]*>/g, '').trim() : '',
      buttonId: button ? attr(button[1], 'id') ?? '' : '',
    });
  }
  return out;
}

function chooseForm(all) {
  const login = all.find((f) => f.fields.has('password'));
  if (login) {
    // oidc-provider's form names the identifier `login`; Auth0's Universal Login (and devtenant) `username`.
    const field = login.fields.has('username') ? 'username' : 'login';
    const user = process.env.OP_TEST_USER ?? login.fields.get(field);
    login.fields.set(field, user);
    login.fields.set('password', process.env.OP_TEST_PASSWORD ?? `${user}-pw`);
    return login;
  }
  // The email step of an organization prompt (Auth0's Organization Domain Discovery).
  const emailStep = all.find((f) => f.fields.has('email') && f.fields.has('state'));
  if (emailStep) {
    if (process.env.OP_TEST_EMAIL) emailStep.fields.set('email', process.env.OP_TEST_EMAIL);
    return emailStep;
  }
  // A chooser (several organizations share the email's domain) or the post-login picker.
  const orgForms = all.filter((f) => f.fields.has('organization'));
  if (orgForms.length > 0) {
    const want = process.env.OP_TEST_ORG;
    const match = want && orgForms.find((f) => f.buttonId === `choose-${want}` || f.buttonId === `pick-${want}`
      || f.fields.get('organization') === want || f.label === want);
    return match || orgForms[0];
  }
  const wanted = process.env.OP_TEST_CONSENT === 'deny' ? /decline|deny|cancel/i : /accept|allow|continue|yes/i;
  return all.find((f) => wanted.test(f.label)) ?? all[0];
}

/** Log URLs without the values of `code`, `state`, `nonce` and PKCE parameters. */
const safe = (url) => {
  const u = new URL(url);
  for (const k of [...u.searchParams.keys()]) {
    if (/^(code|state|nonce|code_challenge|code_verifier|session_transfer_token)$/.test(k)) u.searchParams.set(k, '…');
  }
  return u.toString();
};

async function main() {
  const start = process.argv[process.argv.length - 1];
  if (!start || !/^https?:\/\//.test(start)) {
    console.error('usage: browser.mjs <URL>');
    process.exit(2);
  }
  let url = new URL(start);
  let method = 'GET';
  let body;
  for (let step = 0; step < 30; step += 1) {
    const loopback = url.hostname === '127.0.0.1' || url.hostname === '[::1]';
    if (process.env.OP_BROWSER_STOP_AT_CALLBACK && loopback && url.pathname === '/callback') {
      log({ done: true, stopped: safe(url) });
      process.stdout.write(`${url.toString()}\n`);
      process.exit(0);
    }
    const headers = { 'user-agent': 'orgpass-test-browser', accept: 'text/html' };
    const cookie = cookieHeader(url);
    if (cookie) headers.cookie = cookie;
    if (body) headers['content-type'] = 'application/x-www-form-urlencoded';
    const response = await fetch(url, { method, headers, body, redirect: 'manual' });
    storeCookies(url, response);
    log({ method, url: safe(url), status: response.status });
    const location = response.headers.get('location');
    if (response.status >= 300 && response.status < 400 && location) {
      url = new URL(location, url);
      method = 'GET';
      body = undefined;
      continue;
    }
    const html = await response.text();
    const all = forms(html);
    if (all.length === 0 || response.status >= 400) {
      // What a person reads: no style sheet or script.
      const text = html.replace(/<(style|script)\b[\s\S]*?<\/\1>/gi, ' ')
        .replace(/<[^>]*>/g, ' ').replace(/\s+/g, ' ').trim();
      log({ done: true, status: response.status, url: safe(url), text: text.slice(0, 500) });
      process.exit(0);
    }
    const form = chooseForm(all);
    const target = new URL(form.action || url.toString(), url);
    const params = new URLSearchParams([...form.fields]);
    if (form.method === 'POST') {
      url = target;
      method = 'POST';
      body = params.toString();
    } else {
      target.search = params.toString();
      url = target;
      method = 'GET';
      body = undefined;
    }
  }
  log({ done: false, error: 'too many steps' });
  console.error('browser.mjs: too many redirects/forms');
  process.exit(1);
}

main().catch((err) => {
  log({ done: false, error: String(err) });
  console.error('browser.mjs:', err.message);
  process.exit(1);
});
