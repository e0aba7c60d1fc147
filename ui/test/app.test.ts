// Unit tests of the window as a whole: the render loop and the actions against a faked plugin (mockIPC with its
// events), checking the commands sent with their arguments and what the window draws from the answers and events.
import { afterEach, expect, test } from "vitest";
import {
  ACME,
  GLOBEX,
  INITECH,
  acmeQa,
  byTestId,
  emitState,
  fakePlugin,
  ipcError,
  mount,
  only,
  pending,
  pickerView,
  screenOf,
  session,
  settle,
  signedInView,
  type,
  unmountAll,
  afterStart,
} from "./fixtures";

afterEach(unmountAll);

const spaces = ipcError({
  code: "bad_input",
  message: "Organization names have no spaces: use the organization's ID or its short name.",
  nextStep: "Check the name and try again.",
});

/** Start the window on a view, with the plugin answering `handlers`. */
async function started(view = pickerView(), handlers: Parameters<typeof fakePlugin>[0] = {}) {
  const calls = fakePlugin({ app_state: () => view, ...handlers });
  const { app, root } = mount();
  await app.start();
  await settle();
  return { app, root, calls };
}

test("start asks for the state and the directory once each and draws them; a state event with a pending sign-in draws the waiting screen", async () => {
  const { root, calls } = await started();
  expect(calls.map((c) => c.cmd)).toEqual(["plugin:orgpass|app_state", "plugin:orgpass|directory"]);
  expect(screenOf(root)).toBe("picker");
  expect(document.body.dataset.ready).toBe("true");
  expect(document.activeElement?.id).toBe("org-input");

  await emitState(pickerView({ pending: pending({ orgLabel: "Initech", input: "initech" }) }));
  expect(screenOf(root)).toBe("waiting");
  expect(byTestId(root, "waiting-org").textContent).toBe("Initech");
  expect(afterStart(calls)).toEqual([]);
});

test("typing 'Acme Corp' shows the validate_org refusal and keeps Continue disabled", async () => {
  const { root, calls } = await started(pickerView(), {
    validate_org: ({ input }) => {
      if (input === "Acme Corp") throw spaces;
      return { kind: "name", organization: "acme", hasInvitation: false, summary: "Acme Corporation (acme)" };
    },
  });
  type(byTestId(root, "org-input") as HTMLInputElement, "Acme Corp");
  await settle();
  expect(only(calls, "validate_org").map((c) => c.args)).toEqual([{ input: "Acme Corp" }]);
  const hint = byTestId(root, "org-hint");
  expect(hint.textContent).toBe(spaces.message);
  expect(hint.className).toBe("hint hint-error");
  expect((root.querySelector("#continue") as HTMLButtonElement).disabled).toBe(true);
  expect(byTestId(root, "org-input").getAttribute("aria-invalid")).toBe("true");

  // Submitting anyway (Enter) starts nothing.
  root.querySelector("form")!.requestSubmit();
  await settle();
  expect(only(calls, "begin_login")).toEqual([]);
});

test("a valid organization enables Continue; submitting calls begin_login with the input and promptLogin false", async () => {
  const { root, calls } = await started(pickerView(), {
    validate_org: () => ({ kind: "name", organization: "acme", hasInvitation: false, summary: "Acme Corporation (acme)" }),
  });
  const field = byTestId(root, "org-input") as HTMLInputElement;
  type(field, "acme");
  await settle();
  expect(byTestId(root, "org-hint").textContent).toBe("✓ Acme Corporation (acme)");
  expect(byTestId(root, "org-hint").className).toBe("hint hint-ok");
  // The form was updated in place: the same field, still focused.
  expect(byTestId(root, "org-input")).toBe(field);
  const button = root.querySelector("#continue") as HTMLButtonElement;
  expect(button.disabled).toBe(false);

  button.click();
  await settle();
  expect(only(calls, "begin_login").map((c) => c.args)).toEqual([{ input: "acme", promptLogin: false }]);
  // Accepted: the field is cleared for the next time the picker shows.
  expect((byTestId(root, "org-input") as HTMLInputElement).value).toBe("");
});

test("only the newest validation counts: a slow answer to older input is dropped", async () => {
  const answers: Record<string, (v: unknown) => void> = {};
  const { root } = await started(pickerView(), {
    validate_org: ({ input }) => new Promise((resolve) => (answers[input as string] = resolve)),
  });
  const field = byTestId(root, "org-input") as HTMLInputElement;
  type(field, "ac");
  type(field, "acme");
  answers["acme"]({ kind: "name", organization: "acme", hasInvitation: false, summary: "Acme Corporation (acme)" });
  await settle();
  answers["ac"]({ kind: "name", organization: "ac", hasInvitation: false, summary: "ac" });
  await settle();
  expect(byTestId(root, "org-hint").textContent).toBe("✓ Acme Corporation (acme)");
});

test("clicking a directory card calls begin_login with the card's input and promptLogin false", async () => {
  const { root, calls } = await started();
  byTestId(root, `directory-${INITECH}`).click();
  await settle();
  expect(afterStart(calls)).toEqual([{ cmd: "plugin:orgpass|begin_login", args: { input: INITECH, promptLogin: false } }]);
});

test("clicking the card of a signed-in organization switches to it with switch_org, no browser", async () => {
  const { root, calls } = await started(signedInView({ picking: true }));
  expect(screenOf(root)).toBe("picker");
  byTestId(root, "back-to-session");
  byTestId(root, `directory-${ACME}`).click();
  await settle();
  expect(afterStart(calls)).toEqual([{ cmd: "plugin:orgpass|switch_org", args: { orgId: ACME } }]);
});

test("a refused command shows its message and next step as a notice, said by the live region (again on a second try)", async () => {
  const { root } = await started(pickerView(), {
    begin_login: () => {
      throw ipcError({ code: "busy", message: "A sign-in is already running.", nextStep: "Finish or cancel it first." });
    },
  });
  byTestId(root, `directory-${ACME}`).click();
  await settle();
  const said = "A sign-in is already running. Finish or cancel it first.";
  expect(byTestId(root, "notice").textContent).toBe(said);
  const live = byTestId(document, "live-status");
  expect(live.textContent).toBe(said);
  const first = live.firstChild;
  byTestId(root, `directory-${ACME}`).click();
  await settle();
  expect(live.textContent).toBe(said);
  expect(live.firstChild).not.toBe(first);
  // Not a bad input: the hint under the field is untouched (a bad_input refusal would show there).
  expect(byTestId(root, "org-hint").className).toBe("hint");
});

test("the QA panel shows the claims rows after qa_details resolves, fetched once per session", async () => {
  let answer: (qa: unknown) => void = () => {};
  const { app, root, calls } = await started(signedInView({ qa: true }), {
    qa_details: () => new Promise((resolve) => (answer = resolve)),
  });
  expect(only(calls, "qa_details").map((c) => c.args)).toEqual([{ orgId: ACME }]);
  expect(byTestId(root, "qa-panel").querySelector("p.fine")!.textContent).toBe("Loading…");

  answer(acmeQa);
  await settle();
  const rows = Array.from(byTestId(root, "qa-claims").querySelectorAll("tr")).map((tr) => [tr.querySelector("th")!.textContent, tr.querySelector("td")!.textContent]);
  expect(rows).toEqual(acmeQa.claims);
  expect(byTestId(root, "qa-params").textContent).toContain("S256");
  expect(byTestId(root, "qa-binding").textContent).toBe("A bearer token: whoever holds it can use it.");

  // The same state again (a status change elsewhere) keeps the details; a renewed session fetches them again.
  await emitState(signedInView({ qa: true, sessions: [{ ...app.ui.view!.sessions[0] }] }));
  expect(only(calls, "qa_details")).toHaveLength(1);
  await emitState(signedInView({ qa: true, sessions: [session(ACME, "acme", "Acme Corporation", { expiresAt: "2099-01-01T00:00:00Z" })] }));
  expect(only(calls, "qa_details")).toHaveLength(2);
});

test("the QA panel says when the session is bound to this device, with the key's thumbprint", async () => {
  const { root } = await started(signedInView({ qa: true }), {
    qa_details: () => Promise.resolve({ ...acmeQa, dpopJkt: "0ZcOCORZNYy-DWpqq30jZyJGHTN0d2HglBV3uiguA4I" }),
  });
  await settle();
  expect(byTestId(root, "qa-binding").textContent).toBe(
    "Bound to this device (DPoP): useless without the key with thumbprint 0ZcOCORZNYy-DWpqq30jZyJGHTN0d2HglBV3uiguA4I, which stays in the keychain.",
  );
});

test("a failed qa_details shows its message and is not asked again until the next state", async () => {
  const { root, calls } = await started(signedInView({ qa: true }), {
    qa_details: () => {
      throw ipcError({ code: "not_found", message: "No session for this organization." });
    },
  });
  expect(byTestId(root, "qa-panel").querySelector("p.fine")!.textContent).toBe("No session for this organization.");
  expect(only(calls, "qa_details")).toHaveLength(1);
  await emitState(signedInView({ qa: true }));
  expect(only(calls, "qa_details")).toHaveLength(2);
});

test("drawing the same view twice makes no IPC call", async () => {
  const { app, calls } = await started(signedInView({ qa: true }), { qa_details: () => acmeQa });
  const view = signedInView({ qa: true, sessions: app.ui.view!.sessions });
  app.render(view);
  app.render(view);
  await settle();
  expect(calls.map((c) => c.cmd)).toEqual(["plugin:orgpass|app_state", "plugin:orgpass|directory", "plugin:orgpass|qa_details"]);

  const picker = pickerView();
  app.render(picker);
  app.render(picker);
  await settle();
  expect(calls).toHaveLength(3);
});

test("sign out asks first; confirming with 'also in the browser' calls sign_out with endSso true", async () => {
  const { root, calls } = await started(signedInView({ sessions: [session(ACME, "acme", "Acme Corporation"), session(GLOBEX, "globex", "Globex Industries")] }));
  byTestId(root, "sign-out").click();
  const dialog = byTestId(root, "signout-dialog");
  expect(dialog.querySelector("p")!.textContent).toBe("Sign out of Acme Corporation? Orgpass forgets this session and revokes its refresh token.");
  byTestId(root, "cancel-signout").click();
  expect(root.querySelector("[data-testid='signout-dialog']")).toBeNull();

  byTestId(root, "sign-out").click();
  byTestId(root, "end-sso").click();
  byTestId(root, "confirm-signout").click();
  await settle();
  expect(afterStart(calls)).toEqual([{ cmd: "plugin:orgpass|sign_out", args: { orgId: ACME, endSso: true } }]);
  // The outcome arrives as state: the other organization, no dialog.
  await emitState(signedInView({ sessions: [session(GLOBEX, "globex", "Globex Industries")], active: GLOBEX }));
  expect(byTestId(root, "org-display-name").textContent).toBe("Globex Industries");
  expect(root.querySelector("[data-testid='signout-dialog']")).toBeNull();
});

test("while waiting: Escape and Cancel call cancel_login, the other buttons their commands, a pasted address paste_callback", async () => {
  const { root, calls } = await started(pickerView({ pending: pending() }), {
    paste_callback: ({ address }) => {
      if (address !== "http://127.0.0.1:5000/callback?code=abc&state=xyz") throw ipcError({ message: "That is not the address.", nextStep: "Copy the whole address." });
    },
  });
  document.dispatchEvent(new KeyboardEvent("keydown", { key: "Escape" }));
  byTestId(root, "cancel-login").click();
  byTestId(root, "reopen-browser").click();
  await settle();
  expect(afterStart(calls).map((c) => c.cmd)).toEqual(["plugin:orgpass|cancel_login", "plugin:orgpass|cancel_login", "plugin:orgpass|reopen_browser"]);

  const field = byTestId(root, "paste-callback") as HTMLInputElement;
  field.value = "http://127.0.0.1:5000/callback?code=abc&state=xyz";
  field.form!.requestSubmit();
  // The one-time code is not kept in the field.
  expect(field.value).toBe("");
  await settle();
  expect(only(calls, "paste_callback").map((c) => c.args)).toEqual([{ address: "http://127.0.0.1:5000/callback?code=abc&state=xyz" }]);
  expect(byTestId(root, "paste-message").textContent).toBe("Address accepted. Finishing the sign-in…");

  field.value = "nonsense";
  field.form!.requestSubmit();
  await settle();
  expect(byTestId(root, "paste-message").textContent).toBe("That is not the address. Copy the whole address.");
});

test("Copy sign-in link writes the link to the clipboard and says so", async () => {
  const written: string[] = [];
  Object.defineProperty(navigator, "clipboard", { configurable: true, value: { writeText: async (t: string) => void written.push(t) } });
  try {
    const { root, calls } = await started(pickerView({ pending: pending() }));
    byTestId(root, "copy-link").click();
    await settle();
    expect(written).toEqual([pending().authorizeUrl]);
    expect(root.querySelector("#wait-notice")!.textContent).toBe("Sign-in link copied. Paste it into your browser's address bar.");
    expect(afterStart(calls)).toEqual([]);
  } finally {
    delete (navigator as { clipboard?: unknown }).clipboard;
  }
});

test("a link handed over (prefill) fills the field and is validated", async () => {
  const link = `orgpass://invite?invitation=inv1&organization=${INITECH}&organization_name=initech`;
  const { root, calls } = await started(pickerView({ prefill: link }), {
    validate_org: () => ({ kind: "invitation", organization: INITECH, hasInvitation: true, summary: "Invitation to Initech" }),
  });
  expect(only(calls, "validate_org").map((c) => c.args)).toEqual([{ input: link }]);
  expect((byTestId(root, "org-input") as HTMLInputElement).value).toBe(link);
  expect(byTestId(root, "org-hint").textContent).toBe("✓ Invitation to Initech");
  expect((root.querySelector("#continue") as HTMLButtonElement).disabled).toBe(false);
});

test("an error state draws the error screen; its retry after a refusal signs in again with promptLogin true", async () => {
  const err = ipcError({ code: "refused", message: "You are not a member of Initech.", nextStep: "Sign in as someone else.", retry: "initech" });
  const { root, calls } = await started(pickerView({ lastError: err }));
  expect(screenOf(root)).toBe("error");
  expect(byTestId(root, "error-message").textContent).toBe("You are not a member of Initech.");
  expect(byTestId(root, "error-next").textContent).toBe("Sign in as someone else.");
  expect(document.activeElement).toBe(byTestId(root, "error-back"));
  byTestId(root, "error-retry").click();
  byTestId(root, "error-back").click();
  await settle();
  expect(afterStart(calls)).toEqual([
    { cmd: "plugin:orgpass|begin_login", args: { input: "initech", promptLogin: true } },
    { cmd: "plugin:orgpass|show_org_picker", args: { show: true } },
  ]);
});

test("the header's chips switch organization and its QA switch calls set_qa", async () => {
  const { root, calls } = await started(signedInView({ sessions: [session(ACME, "acme", "Acme Corporation"), session(GLOBEX, "globex", "Globex Industries")] }));
  byTestId(root, `session-chip-${GLOBEX}`).click();
  byTestId(root, "qa-toggle").click();
  await settle();
  expect(afterStart(calls)).toEqual([
    { cmd: "plugin:orgpass|switch_org", args: { orgId: GLOBEX } },
    { cmd: "plugin:orgpass|set_qa", args: { enabled: true } },
  ]);
});

test("when the state cannot be read at start, the error screen shows why", async () => {
  fakePlugin({
    app_state: () => {
      throw ipcError({ code: "config", message: "The configuration file is not valid.", nextStep: "Fix /etc/orgpass/app.toml." });
    },
  });
  const { app, root } = mount();
  await app.start();
  expect(screenOf(root)).toBe("error");
  expect(byTestId(root, "error-message").textContent).toBe("The configuration file is not valid.");
  expect(byTestId(root, "error-next").textContent).toBe("Fix /etc/orgpass/app.toml.");
});

test("with an API configured, the signed-in screen asks the plugin for the shown organization's projects and lists them", async () => {
  const projects = (orgId: string) =>
    orgId === ACME
      ? { projects: [{ id: "p1", name: "Roadrunner trap", owner: "auth0|alice" }, { id: "p2", name: "Rocket skates", owner: "auth0|bob" }] }
      : { projects: [{ id: "p3", name: "Hammock district", owner: "auth0|alice" }] };
  const view = signedInView({
    apiUrl: "http://127.0.0.1:4100/",
    sessions: [session(ACME, "acme", "Acme Corporation"), session(GLOBEX, "globex", "Globex Industries")],
  });
  const { root, calls } = await started(view, {
    api_request: ({ orgId }) => ({ status: 200, body: projects(orgId as string) }),
  });
  await settle();
  expect(only(calls, "api_request").map((c) => c.args)).toEqual([{ orgId: ACME, method: "GET", path: "projects", body: null, api: null }]);
  expect([...root.querySelectorAll('[data-testid="project"] .project-name')].map((e) => e.textContent)).toEqual(["Roadrunner trap", "Rocket skates"]);
  expect(byTestId(root, "api-data").dataset.org).toBe(ACME);
  // The signed-in person's own projects are marked; other owners' IDs are not shown.
  expect([...root.querySelectorAll('[data-testid="project"]')].map((e) => e.querySelector('[data-testid="project-yours"]') !== null)).toEqual([true, false]);
  expect(byTestId(root, "api-data").textContent).not.toContain("auth0|bob");

  // Switching organization (the plugin's state) fetches the other organization's data, once.
  await emitState({ ...view, active: GLOBEX });
  await settle();
  expect(only(calls, "api_request").map((c) => (c.args as { orgId?: string } | undefined)?.orgId)).toEqual([ACME, GLOBEX]);
  expect([...root.querySelectorAll('[data-testid="project"] .project-name')].map((e) => e.textContent)).toEqual(["Hammock district"]);

  // The same state again (the plugin only sends changes, but a redraw happens): no second request.
  await emitState({ ...view, active: GLOBEX });
  expect(only(calls, "api_request")).toHaveLength(2);
});

test("a second API's invoices come from the same sign-in, and each web app opens signed in from its button", async () => {
  const view = signedInView({ apiUrl: "http://127.0.0.1:4100/", apis: ["billing"], portals: ["portal"] });
  const { root, calls } = await started(view, {
    api_request: ({ api }) =>
      api === "billing"
        ? { status: 200, body: { org_id: ACME, invoices: [{ id: "i1", period: "2026-10", amount_cents: 129900, status: "paid" }] } }
        : { status: 200, body: { projects: [] } },
    open_portal: () => null,
  });
  await settle();
  expect(only(calls, "api_request").map((c) => c.args)).toEqual([
    { orgId: ACME, method: "GET", path: "projects", body: null, api: null },
    { orgId: ACME, method: "GET", path: "invoices", body: null, api: "billing" },
  ]);
  expect([...root.querySelectorAll('[data-testid="invoice"]')].map((e) => e.textContent)).toEqual(["2026-10: 1299.00paid"]);
  const open = byTestId(root, "open-portal-portal");
  expect(open.textContent).toBe("Open Acme Corporation portal");
  open.click();
  await settle();
  expect(only(calls, "open_portal").map((c) => c.args)).toEqual([{ orgId: ACME, name: "portal" }]);
  expect(byTestId(root, "notice").textContent).toBe("Opening portal in your browser, signed in.");
});

test("an API refusal is a sentence with a next step and a retry; no API configured means no request", async () => {
  let refuse = true;
  const { root, calls } = await started(signedInView({ apiUrl: "http://127.0.0.1:4100/" }), {
    api_request: () => {
      if (refuse) {
        throw ipcError({ code: "api_refused", message: "Your account in Acme Corporation is not allowed to do this in your company's API.", nextStep: "Ask your administrator for access, or switch to the organization this belongs to." });
      }
      return { status: 200, body: { projects: [] } };
    },
  });
  await settle();
  const error = byTestId(root, "api-error");
  expect(error.dataset.code).toBe("api_refused");
  expect(error.textContent).toContain("is not allowed to do this");
  expect(error.textContent).toContain("Ask your administrator for access");
  refuse = false;
  byTestId(root, "api-retry").click();
  await settle();
  expect(byTestId(root, "api-empty").textContent).toBe("No projects yet.");
  expect(only(calls, "api_request")).toHaveLength(2);

  const { root: plain, calls: none } = await started(signedInView());
  expect(plain.querySelector('[data-testid="api-data"]')).toBeNull();
  expect(only(none, "api_request")).toHaveLength(0);
});

test("a directory that cannot be fetched is said on the picker and not asked again per state; an empty one is not asked", async () => {
  const { root, calls } = await started(pickerView(), {
    directory: () => {
      throw ipcError({ message: "The window lost the app.", nextStep: "Restart Orgpass." });
    },
  });
  expect(byTestId(root, "directory-error").textContent).toBe(
    "The company's organization list could not be loaded: The window lost the app. Restart Orgpass.",
  );
  await emitState(pickerView({ prefill: null, picking: true }));
  expect(only(calls, "directory")).toHaveLength(1);
  expect(byTestId(root, "directory-error").textContent).toContain("could not be loaded");

  unmountAll();
  const empty = await started(pickerView({ directorySize: 0 }));
  expect(only(empty.calls, "directory")).toEqual([]);
  expect(byTestId(empty.root, "directory-list").closest<HTMLElement>(".directory")!.hidden).toBe(true);
});
