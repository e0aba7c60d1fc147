// The signed-in screen: the organization and the person of the session shown, its status, switch / sign in as
// someone else / sign out (with its confirmation), the QA panel when QA is on, and the other signed-in
// organizations, and the organization's data from the company's API when one is configured. Pure: built from the view and the window's state; buttons go to the actions.
import type { AppView, SessionView } from "tauri-plugin-orgpass-api";
import type { Actions } from "../actions";
import { formatTime, fromNow, h } from "../dom";
import type { UiState } from "../state";
import { avatar, brandStyle, logo } from "./common";
import { apiSection, billingSection, portalButtons } from "./api-data";
import { qaPanel } from "./qa";

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

function signOutDialog(s: SessionView, ui: UiState, actions: Actions): HTMLElement {
  return h(
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
        onchange: (e: Event) => actions.setEndSso((e.target as HTMLInputElement).checked),
      }),
      " Also sign out in the browser (ends the single sign-on session)",
    ),
    h(
      "div",
      { class: "actions" },
      h("button", { class: "danger", "data-testid": "confirm-signout", onclick: () => void actions.confirmSignOut(s.orgId) }, "Sign out"),
      h("button", { "data-testid": "cancel-signout", onclick: () => actions.cancelSignOut() }, "Keep me signed in"),
    ),
  );
}

export function signedInScreen(view: AppView, s: SessionView, ui: UiState, actions: Actions): HTMLElement {
  const others = view.sessions.filter((o) => o.orgId !== s.orgId);

  const card = h(
    "section",
    { class: "identity-card", "data-testid": "identity-card" },
    h("div", { class: "org-banner" }, logo(s.orgDisplayName, s.branding, "md"), h("div", {},
      // The screen's one level-one heading: the organization signed in to.
      h("h1", { class: "org-banner-name", "data-testid": "org-display-name" }, s.orgDisplayName),
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
      s.foundByEmail ? h("dt", {}, "Organization") : null,
      s.foundByEmail
        ? h("dd", { "data-testid": "found-by-email" }, `Found by your work email: your company's sign-in service chose ${s.orgDisplayName} (${s.orgId}).`)
        : null,
    ),
    s.statusNote ? h("p", { class: `notice notice-${s.status}`, "data-testid": "status-note" }, s.statusNote) : null,
    h(
      "div",
      { class: "actions" },
      h("button", { "data-testid": "switch-org", onclick: () => actions.showOrgPicker(true) }, "Switch organization"),
      h("button", { "data-testid": "sign-in-as-other", onclick: () => actions.signIn(s.orgId, true) }, "Sign in as someone else"),
      h("button", { class: "danger-outline", "data-testid": "sign-out", onclick: () => actions.askSignOut() }, "Sign out"),
    ),
    ui.confirmSignOut ? signOutDialog(s, ui, actions) : null,
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
              { class: "org-item", "data-testid": `other-session-${o.orgId}`, onclick: () => actions.switchOrg(o.orgId) },
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
    ui.notice ? h("p", { class: "notice", "data-testid": "notice" }, ui.notice) : null,
    card,
    view.apiUrl ? apiSection(s, ui, actions) : null,
    view.apis.includes("billing") ? billingSection(s, ui, actions) : null,
    portalButtons(s, view.portals, actions),
    view.qa ? qaPanel(view, s, ui, actions) : null,
    otherList,
  );
}
