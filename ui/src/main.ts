// The Orgpass window: renders the state the Orgpass plugin emits (AppView, event `orgpass://state`) and calls its
// commands through the plugin's guest bindings. Commands that change state resolve to nothing; the window learns the
// new state from the event only. Screens: organization picker, waiting for the browser, signed in (+ QA), error.
import "./style.css";
import * as api from "tauri-plugin-orgpass-api";
import {
  asIpcError,
  onState,
  type AppView,
  type Branding,
  type IpcError,
  type OrgCard,
  type OrgInputView,
  type PendingView,
  type QaView,
  type RecentOrg,
  type SessionView,
} from "tauri-plugin-orgpass-api";
import { fromNow, formatTime, h, initials, safeColor, safeImage } from "./dom";

/** Local, webview-only state (what the person is typing, open dialogs). */
const ui = {
  view: null as AppView | null,
  input: "",
  validation: null as { ok: OrgInputView } | { err: IpcError } | null,
  validateSeq: 0,
  confirmSignOut: false,
  endSso: false,
  qa: null as QaView | null,
  qaError: null as string | null,
  notice: null as string | null,
  submitting: false,
};

const root = document.getElementById("app")!;

// ---------------------------------------------------------------- helpers

function brandStyle(el: HTMLElement, branding: Branding | null | undefined) {
  const primary = safeColor(branding?.primaryColor);
  const background = safeColor(branding?.backgroundColor);
  if (primary) el.style.setProperty("--brand", primary);
  if (background) el.style.setProperty("--brand-bg", background);
}

function logo(label: string, branding: Branding | null | undefined, size: "sm" | "md" | "lg" = "md"): HTMLElement {
  const src = safeImage(branding?.logoUrl);
  const box = h("span", { class: `logo logo-${size}`, "aria-hidden": "true" });
  brandStyle(box, branding);
  if (src) {
    const img = h("img", { src, alt: "", referrerpolicy: "no-referrer" });
    img.addEventListener("error", () => {
      img.remove();
      box.classList.add("logo-fallback");
      box.textContent = initials(label);
    });
    box.append(img);
  } else {
    box.classList.add("logo-fallback");
    box.textContent = initials(label);
  }
  return box;
}

function avatar(session: SessionView): HTMLElement {
  const label = session.name ?? session.email ?? session.sub;
  const src = safeImage(session.picture);
  const box = h("span", { class: "avatar", "aria-hidden": "true" });
  if (src) {
    const img = h("img", { src, alt: "", referrerpolicy: "no-referrer" });
    img.addEventListener("error", () => {
      img.remove();
      box.textContent = initials(label);
    });
    box.append(img);
  } else {
    box.textContent = initials(label);
  }
  return box;
}

/** Arrow keys move focus between the buttons of a list (keyboard-only use). */
function arrowNavigation(list: HTMLElement) {
  list.addEventListener("keydown", (e) => {
    if (e.key !== "ArrowDown" && e.key !== "ArrowUp") return;
    const items = Array.from(list.querySelectorAll<HTMLButtonElement>("button.org-item"));
    const i = items.indexOf(document.activeElement as HTMLButtonElement);
    if (i < 0) return;
    e.preventDefault();
    const next = e.key === "ArrowDown" ? Math.min(i + 1, items.length - 1) : Math.max(i - 1, 0);
    items[next].focus();
  });
}

/** Call a command that changes state; its effect arrives as a state event. A refusal is shown as a notice. */
async function run(action: () => Promise<unknown>) {
  try {
    await action();
  } catch (e) {
    const err = asIpcError(e);
    ui.notice = `${err.message} ${err.nextStep}`.trim();
    if (ui.view) render(ui.view);
  }
}

// ---------------------------------------------------------------- header

function header(view: AppView): HTMLElement {
  const chips = view.sessions.map((s) => {
    const chip = h(
      "button",
      {
        class: `chip${s.orgId === view.active && !view.picking && !view.pending ? " chip-active" : ""}`,
        "data-testid": `session-chip-${s.orgId}`,
        title: `Show ${s.orgDisplayName}`,
        onclick: () => run(() => api.switchOrg(s.orgId)),
      },
      logo(s.orgDisplayName, s.branding, "sm"),
      h("span", { class: "chip-label" }, s.orgDisplayName),
      s.status !== "active" ? h("span", { class: `dot dot-${s.status}`, title: s.status }) : null,
    );
    brandStyle(chip, s.branding);
    return chip;
  });
  const qaToggle = h("input", {
    type: "checkbox",
    id: "qa-toggle",
    "data-testid": "qa-toggle",
    role: "switch",
    checked: view.qa,
    onchange: (e: Event) => run(() => api.setQa((e.target as HTMLInputElement).checked)),
  });
  return h(
    "header",
    { class: "topbar" },
    h("div", { class: "brand" }, h("span", { class: "brand-mark", "aria-hidden": "true" }, "◆"), h("span", {}, "Orgpass")),
    h("nav", { class: "chips", "aria-label": "Signed-in organizations" }, chips),
    h("label", { class: "qa-switch", for: "qa-toggle" }, qaToggle, h("span", { class: "qa-track" }), h("span", {}, "QA")),
  );
}

// ---------------------------------------------------------------- organization picker

function validationMessage(): HTMLElement {
  const v = ui.validation;
  const box = h("p", { class: "hint", id: "org-hint", "data-testid": "org-hint", "aria-live": "polite" });
  if (!ui.input.trim()) {
    box.textContent = "For example org_8hXk2pQz7RmT4vWn, acme, or an invitation link from your email.";
  } else if (!v) {
    box.textContent = " ";
  } else if ("ok" in v) {
    box.classList.add("hint-ok");
    box.textContent = `✓ ${v.ok.summary}`;
  } else {
    box.classList.add("hint-error");
    box.textContent = v.err.message;
  }
  return box;
}

function submitEnabled(): boolean {
  return !!ui.validation && "ok" in ui.validation && !ui.submitting;
}

async function validate(input: string) {
  const seq = ++ui.validateSeq;
  if (!input.trim()) {
    ui.validation = null;
    refreshPickerForm();
    return;
  }
  try {
    const ok = await api.validateOrg(input);
    if (seq === ui.validateSeq) ui.validation = { ok };
  } catch (e) {
    if (seq === ui.validateSeq) ui.validation = { err: asIpcError(e) };
  }
  if (seq === ui.validateSeq) refreshPickerForm();
}

function refreshPickerForm() {
  const hint = document.getElementById("org-hint");
  if (hint) hint.replaceWith(validationMessage());
  const button = document.getElementById("continue") as HTMLButtonElement | null;
  if (button) button.disabled = !submitEnabled();
  const field = document.getElementById("org-input");
  if (field) field.setAttribute("aria-invalid", String(!!ui.validation && "err" in ui.validation));
}

async function signIn(input: string, promptLogin = false) {
  ui.submitting = true;
  ui.notice = null;
  refreshPickerForm();
  try {
    await api.beginLogin(input, promptLogin);
    ui.input = "";
    ui.validation = null;
  } catch (e) {
    const err = asIpcError(e);
    if (err.code === "bad_input") {
      ui.validation = { err };
    } else {
      ui.notice = `${err.message} ${err.nextStep}`.trim();
    }
  } finally {
    ui.submitting = false;
  }
  // The waiting screen came as an event already; this only redraws the form (cleared, or with the refusal).
  if (ui.view) render(ui.view);
}

/** The signed-in session for an organization card, if any (clicking it then needs no browser). */
function sessionFor(card: OrgCard): SessionView | undefined {
  return ui.view?.sessions.find((s) => (card.id !== null && s.orgId === card.id) || (card.name !== null && s.orgName === card.name));
}

function orgItem(card: OrgCard, meta: string | null, testid: string, badge?: string): HTMLElement {
  const secondary = [card.id ?? card.name, meta].filter(Boolean).join(" · ");
  const item = h(
    "button",
    {
      class: "org-item",
      "data-testid": testid,
      "data-org": card.input,
      onclick: () => {
        const session = sessionFor(card);
        if (session) void run(() => api.switchOrg(session.orgId));
        else void signIn(card.input);
      },
    },
    logo(card.displayName, card.branding),
    h("span", { class: "org-text" }, h("span", { class: "org-name" }, card.displayName), h("span", { class: "org-meta" }, secondary)),
    badge ? h("span", { class: "badge" }, badge) : null,
    h("span", { class: "chevron", "aria-hidden": "true" }, "›"),
  );
  brandStyle(item, card.branding);
  return item;
}

function pickerScreen(view: AppView): HTMLElement {
  const field = h("input", {
    id: "org-input",
    "data-testid": "org-input",
    type: "text",
    autocomplete: "off",
    autocapitalize: "off",
    spellcheck: "false",
    placeholder: "Organization ID, name, or invitation link",
    "aria-describedby": "org-hint",
    value: ui.input,
  }) as HTMLInputElement;
  field.value = ui.input;
  field.addEventListener("input", () => {
    ui.input = field.value;
    void validate(field.value);
  });
  const form = h(
    "form",
    {
      class: "org-form",
      onsubmit: (e: Event) => {
        e.preventDefault();
        if (submitEnabled()) void signIn(ui.input);
      },
    },
    h("label", { for: "org-input", class: "field-label" }, "Organization"),
    h(
      "div",
      { class: "field-row" },
      field,
      h("button", { id: "continue", "data-testid": "continue", class: "primary", type: "submit", disabled: !submitEnabled() }, "Continue"),
    ),
    validationMessage(),
  );

  const recent = h(
    "div",
    { class: "org-list", role: "list", "data-testid": "recent-list" },
    view.recent.map((r: RecentOrg) =>
      orgItem(r, `last signed in ${fromNow(r.lastSignedIn)}`, `recent-${r.input}`, r.signedIn ? "Signed in" : undefined),
    ),
  );
  arrowNavigation(recent);
  const directory = h(
    "div",
    { class: "org-list", role: "list", "data-testid": "directory-list" },
    view.directory.map((d) => orgItem(d, null, `directory-${d.input}`, sessionFor(d) ? "Signed in" : undefined)),
  );
  arrowNavigation(directory);

  const cancelPick =
    view.picking && view.active
      ? h("button", { class: "link", "data-testid": "back-to-session", onclick: () => run(() => api.showOrgPicker(false)) }, "← Back")
      : null;

  return h(
    "main",
    { class: "screen picker", "data-screen": "picker" },
    cancelPick,
    h("h1", {}, "Sign in to your organization"),
    h("p", { class: "lead" }, "Your browser opens to finish signing in. Orgpass keeps you signed in afterwards."),
    form,
    ui.notice ? h("p", { class: "notice", role: "alert" }, ui.notice) : null,
    view.recent.length ? h("section", {}, h("h2", {}, "Recent"), recent) : null,
    view.directory.length ? h("section", {}, h("h2", {}, "Your company's organizations"), directory) : null,
    h(
      "footer",
      { class: "fine" },
      `Identity provider: ${view.issuer} · `,
      h("span", { "data-testid": "app-version" }, `Orgpass ${view.version}`),
    ),
  );
}

// ---------------------------------------------------------------- waiting

function waitingScreen(pending: PendingView): HTMLElement {
  const stageText: Record<PendingView["stage"], string> = {
    starting: "Opening your browser…",
    waiting: pending.browserOpened
      ? "Continue in your browser to finish signing in. This window updates by itself."
      : "No browser opened. Copy the sign-in link and open it in your browser.",
    exchanging: "Signed in at the identity provider. Checking the result…",
    done: "Signed in.",
  };
  const linkField = pending.authorizeUrl
    ? (h("input", {
        class: "link-field",
        "data-testid": "signin-link",
        readonly: true,
        value: pending.authorizeUrl,
        "aria-label": "Sign-in link",
      }) as HTMLInputElement)
    : null;
  if (linkField && pending.authorizeUrl) linkField.value = pending.authorizeUrl;
  const copy = h(
    "button",
    {
      "data-testid": "copy-link",
      disabled: !pending.authorizeUrl,
      onclick: async () => {
        if (!pending.authorizeUrl) return;
        let copied = false;
        try {
          await navigator.clipboard.writeText(pending.authorizeUrl);
          copied = true;
        } catch {
          if (linkField) {
            linkField.select();
            copied = document.execCommand("copy");
          }
        }
        ui.notice = copied ? "Sign-in link copied. Paste it into your browser's address bar." : "Select the link below and copy it.";
        const n = document.getElementById("wait-notice");
        if (n) n.textContent = ui.notice;
      },
    },
    "Copy sign-in link",
  );
  const screen = h(
    "main",
    { class: "screen waiting", "data-screen": "waiting" },
    h(
      "div",
      { class: "wait-card" },
      logo(pending.orgLabel, pending.branding, "lg"),
      h("div", { class: "spinner", role: "progressbar", "aria-label": "Waiting for sign-in" }),
      h("h1", {}, "Waiting for sign-in to ", h("span", { "data-testid": "waiting-org" }, pending.orgLabel)),
      h("p", { class: "lead", "data-testid": "waiting-stage" }, stageText[pending.stage]),
      pending.promptLogin ? h("p", { class: "fine" }, "The login page is shown even if you are already signed in (prompt=login).") : null,
      h(
        "div",
        { class: "actions" },
        h("button", { "data-testid": "reopen-browser", onclick: () => run(() => api.reopenBrowser()) }, "Open the browser again"),
        copy,
        h("button", { class: "danger-outline", "data-testid": "cancel-login", onclick: () => run(() => api.cancelLogin()) }, "Cancel"),
      ),
      h("p", { class: "notice-inline", id: "wait-notice", "aria-live": "polite" }, ui.notice ?? ""),
      linkField ? h("details", { class: "link-details" }, h("summary", {}, "Show the sign-in link"), linkField) : null,
      pending.stage === "waiting" ? pasteForm() : null,
    ),
  );
  brandStyle(screen, pending.branding);
  return screen;
}

/** For a browser on another computer: it cannot reach this one, so the person pastes the address it ended on. */
function pasteForm(): HTMLElement {
  const field = h("input", {
    class: "link-field",
    id: "paste-callback",
    "data-testid": "paste-callback",
    placeholder: "http://127.0.0.1:…/callback?code=…",
    autocomplete: "off",
    spellcheck: "false",
    "aria-label": "Address the browser ended on",
  }) as HTMLInputElement;
  const message = h("p", { class: "fine", "data-testid": "paste-message", "aria-live": "polite" });
  const submit = async (e: Event) => {
    e.preventDefault();
    const address = field.value;
    // The address holds a one-time code (useless without the verifier, which stays in the Rust side): do not keep it.
    field.value = "";
    if (!address.trim()) return;
    try {
      await api.pasteCallback(address);
      message.textContent = "Address accepted. Finishing the sign-in…";
    } catch (err) {
      const ipc = asIpcError(err);
      message.textContent = `${ipc.message} ${ipc.nextStep}`;
    }
  };
  return h(
    "details",
    { class: "link-details", "data-testid": "paste-details" },
    h("summary", {}, "Signed in with a browser on another computer?"),
    h(
      "form",
      { class: "paste-form", onsubmit: submit },
      h("label", { for: "paste-callback", class: "fine" }, "It cannot reach this computer, so its page does not load. Copy that page's whole address and paste it here:"),
      field,
      h("button", { type: "submit", "data-testid": "paste-submit" }, "Finish sign-in"),
      message,
    ),
  );
}

// ---------------------------------------------------------------- signed in

function statusLine(s: SessionView): HTMLElement {
  const label: Record<SessionView["status"], string> = {
    active: "Signed in",
    refreshing: "Refreshing…",
    offline: "Offline",
    expired: "Session ended",
  };
  return h(
    "span",
    { class: `status status-${s.status}`, "data-testid": "session-status", "data-status": s.status },
    h("span", { class: `dot dot-${s.status}` }),
    label[s.status],
  );
}

function signedInScreen(view: AppView, s: SessionView): HTMLElement {
  const others = view.sessions.filter((o) => o.orgId !== s.orgId);
  const signOut = ui.confirmSignOut
    ? h(
        "div",
        { class: "confirm", role: "dialog", "aria-label": "Sign out", "data-testid": "signout-dialog" },
        h("p", {}, `Sign out of ${s.orgDisplayName}? Orgpass forgets this session and revokes its refresh token.`),
        h(
          "label",
          { class: "check" },
          h("input", {
            type: "checkbox",
            "data-testid": "end-sso",
            checked: ui.endSso,
            onchange: (e: Event) => (ui.endSso = (e.target as HTMLInputElement).checked),
          }),
          " Also sign out in the browser (ends the single sign-on session)",
        ),
        h(
          "div",
          { class: "actions" },
          h(
            "button",
            {
              class: "danger",
              "data-testid": "confirm-signout",
              onclick: () => {
                ui.confirmSignOut = false;
                const endSso = ui.endSso;
                ui.endSso = false;
                void run(() => api.signOut(s.orgId, endSso));
              },
            },
            "Sign out",
          ),
          h(
            "button",
            {
              "data-testid": "cancel-signout",
              onclick: () => {
                ui.confirmSignOut = false;
                render(ui.view ?? view);
              },
            },
            "Keep me signed in",
          ),
        ),
      )
    : null;

  const card = h(
    "section",
    { class: "identity-card", "data-testid": "identity-card" },
    h("div", { class: "org-banner" }, logo(s.orgDisplayName, s.branding, "md"), h("div", {},
      h("div", { class: "org-banner-name", "data-testid": "org-display-name" }, s.orgDisplayName),
      h("div", { class: "org-banner-id", "data-testid": "org-id" }, s.orgId + (s.orgName ? ` · ${s.orgName}` : "")),
    ), statusLine(s)),
    h(
      "div",
      { class: "person" },
      avatar(s),
      h(
        "div",
        {},
        h("div", { class: "person-name", "data-testid": "person-name" }, s.name ?? s.email ?? s.sub),
        s.email ? h("div", { class: "person-email", "data-testid": "person-email" }, s.email) : null,
      ),
    ),
    h(
      "dl",
      { class: "facts" },
      h("dt", {}, "Session"),
      h("dd", { "data-testid": "expires" }, `Access token valid until ${formatTime(s.expiresAt)} (${fromNow(s.expiresAt)}); renewed automatically`),
      h("dt", {}, "User ID"),
      h("dd", { class: "mono" }, s.sub),
    ),
    s.statusNote ? h("p", { class: `notice notice-${s.status}`, "data-testid": "status-note" }, s.statusNote) : null,
    h(
      "div",
      { class: "actions" },
      h("button", { "data-testid": "switch-org", onclick: () => run(() => api.showOrgPicker(true)) }, "Switch organization"),
      h("button", { "data-testid": "sign-in-as-other", onclick: () => signIn(s.orgId, true) }, "Sign in as someone else"),
      h(
        "button",
        {
          class: "danger-outline",
          "data-testid": "sign-out",
          onclick: () => {
            ui.confirmSignOut = true;
            render(ui.view ?? view);
          },
        },
        "Sign out",
      ),
    ),
    signOut,
  );
  brandStyle(card, s.branding);

  const otherList = others.length
    ? h(
        "section",
        {},
        h("h2", {}, "Also signed in"),
        h(
          "div",
          { class: "org-list" },
          others.map((o) => {
            const item = h(
              "button",
              { class: "org-item", "data-testid": `other-session-${o.orgId}`, onclick: () => run(() => api.switchOrg(o.orgId)) },
              logo(o.orgDisplayName, o.branding),
              h("span", { class: "org-text" }, h("span", { class: "org-name" }, o.orgDisplayName), h("span", { class: "org-meta" }, o.email ?? o.sub)),
              h("span", { class: "chevron", "aria-hidden": "true" }, "›"),
            );
            brandStyle(item, o.branding);
            return item;
          }),
        ),
      )
    : null;

  return h(
    "main",
    { class: "screen signed-in", "data-screen": "signed-in" },
    ui.notice ? h("p", { class: "notice", role: "alert" }, ui.notice) : null,
    card,
    view.qa ? qaPanel(view, s) : null,
    otherList,
  );
}

// ---------------------------------------------------------------- QA

function qaPanel(view: AppView, s: SessionView): HTMLElement {
  if (!ui.qa || ui.qa.orgId !== s.orgId) {
    void api
      .qaDetails(s.orgId)
      .then((qa) => {
        ui.qa = qa;
        ui.qaError = null;
        if (ui.view) render(ui.view);
      })
      .catch((e) => {
        ui.qaError = asIpcError(e).message;
      });
  }
  const table = (rows: [string, string][], testid: string) =>
    h(
      "table",
      { class: "kv", "data-testid": testid },
      h("tbody", {}, rows.map(([k, v]) => h("tr", {}, h("th", {}, k), h("td", { class: "mono" }, v)))),
    );
  const quick = h(
    "div",
    { class: "quick", "data-testid": "qa-quick-switch" },
    view.directory.map((d) => {
      const b = h("button", { class: "quick-item", "data-testid": `qa-switch-${d.input}`, onclick: () => signIn(d.input, true) }, logo(d.displayName, d.branding, "sm"), d.displayName);
      brandStyle(b, d.branding);
      return b;
    }),
  );
  return h(
    "section",
    { class: "qa-panel", "data-testid": "qa-panel" },
    h("h2", {}, "QA"),
    h(
      "div",
      { class: "actions" },
      h("button", { class: "primary", "data-testid": "qa-reopen-login", onclick: () => signIn(s.orgId, true) }, "Open this organization's login page again"),
    ),
    view.directory.length ? h("div", {}, h("h3", {}, "Sign in to the next organization (prompt=login)"), quick) : null,
    h("h3", {}, "Verified ID-token claims"),
    ui.qa && ui.qa.orgId === s.orgId ? table(ui.qa.claims, "qa-claims") : h("p", { class: "fine" }, ui.qaError ?? "Loading…"),
    h("h3", {}, "Authorize parameters sent"),
    ui.qa && ui.qa.orgId === s.orgId ? table(ui.qa.authorizeParams, "qa-params") : null,
    h("h3", {}, "Settings and where they come from"),
    ui.qa && ui.qa.orgId === s.orgId ? table(ui.qa.settings, "qa-settings") : null,
  );
}

// ---------------------------------------------------------------- error

/** After a refusal, sign in to the same organization with another account (prompt=login); else try again. */
function retryButton(err: IpcError): HTMLElement | null {
  const input = err.retry;
  if (!input) return null;
  const refused = err.code === "refused";
  return h(
    "button",
    { "data-testid": "error-retry", onclick: () => signIn(input, refused) },
    refused ? "Sign in as someone else" : "Try again",
  );
}

function errorScreen(err: IpcError): HTMLElement {
  return h(
    "main",
    { class: "screen error", "data-screen": "error", "data-code": err.code },
    h(
      "div",
      { class: "error-card" },
      h("div", { class: "error-icon", "aria-hidden": "true" }, "!"),
      h("h1", { "data-testid": "error-message" }, err.message),
      h("p", { class: "lead", "data-testid": "error-next" }, err.nextStep),
      h(
        "div",
        { class: "actions" },
        h("button", { class: "primary", "data-testid": "error-back", autofocus: true, onclick: () => run(() => api.showOrgPicker(true)) }, "Choose an organization"),
        retryButton(err),
      ),
      err.details ? h("details", { class: "support" }, h("summary", {}, "Details for support"), h("pre", { "data-testid": "error-details" }, `code: ${err.code}\n${err.details}`)) : null,
    ),
  );
}

// ---------------------------------------------------------------- render loop

function screenFor(view: AppView): HTMLElement {
  if (view.pending) return waitingScreen(view.pending);
  if (view.lastError) return errorScreen(view.lastError);
  const active = view.sessions.find((s) => s.orgId === view.active);
  if (active && !view.picking) return signedInScreen(view, active);
  return pickerScreen(view);
}

/** Draw a view: each state event (the plugin sends one only when something changed), or a local redraw. */
function render(view: AppView) {
  const screenChanged = ui.view?.pending?.input !== view.pending?.input || !!ui.view?.lastError !== !!view.lastError;
  // A new session for the organization shown (signed in again, renewed) has new claims: fetch the QA details again.
  const shown = (v: AppView | null) => v?.sessions.find((s) => s.orgId === v.active);
  const [was, now] = [shown(ui.view), shown(view)];
  if (view !== ui.view && (was?.orgId !== now?.orgId || was?.expiresAt !== now?.expiresAt)) ui.qa = null;
  if (view.prefill && view.prefill !== ui.view?.prefill) {
    ui.input = view.prefill;
    void validate(view.prefill);
  }
  if (screenChanged) ui.notice = null;
  ui.view = view;
  const focused = document.activeElement as HTMLInputElement | null;
  const refocus = focused?.id === "org-input" ? { start: focused.selectionStart, end: focused.selectionEnd } : null;
  const screen = screenFor(view);
  root.replaceChildren(header(view), screen);
  const input = document.getElementById("org-input") as HTMLInputElement | null;
  if (input && (refocus || screenChanged || !focused || focused === document.body)) {
    input.focus();
    if (refocus) input.setSelectionRange(refocus.start, refocus.end);
  } else {
    screen.querySelector<HTMLElement>("[autofocus]")?.focus();
  }
  document.body.dataset.ready = "true";
}

document.addEventListener("keydown", (e) => {
  if (e.key === "Escape" && ui.view?.pending) void run(() => api.cancelLogin());
});

async function start() {
  await onState((view) => render(view));
  // The state once, at start; every change after this arrives as an event.
  render(await api.appState());
}

start().catch((e) => {
  const err = asIpcError(e);
  root.replaceChildren(errorScreen(err));
});
