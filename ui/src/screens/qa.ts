// The QA panel on the signed-in screen (when QA is on): open the login page again, sign in to the next directory
// organization with prompt=login, and the session's verified claims, sent authorize parameters and settings. Pure:
// it shows the details the window already fetched (the render loop asks actions.loadQa for them), or "Loading…".
import type { AppView, SessionView } from "tauri-plugin-orgpass-api";
import type { Actions } from "../actions";
import { h } from "../dom";
import type { UiState } from "../state";
import { brandStyle, logo } from "./common";

/** Whether the QA panel shown for a session still needs its details (none yet, or another organization's). */
export function qaMissing(ui: UiState, s: SessionView): boolean {
  return !ui.qa || ui.qa.orgId !== s.orgId;
}

export function qaPanel(view: AppView, s: SessionView, ui: UiState, actions: Actions): HTMLElement {
  const qa = qaMissing(ui, s) ? null : ui.qa;
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
      const b = h("button", { class: "quick-item", "data-testid": `qa-switch-${d.input}`, onclick: () => actions.signIn(d.input, true) }, logo(d.displayName, d.branding, "sm"), d.displayName);
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
      h("button", { class: "primary", "data-testid": "qa-reopen-login", onclick: () => actions.signIn(s.orgId, true) }, "Open this organization's login page again"),
    ),
    view.directory.length ? h("div", {}, h("h3", {}, "Sign in to the next organization (prompt=login)"), quick) : null,
    h("h3", {}, "Verified ID-token claims"),
    qa ? table(qa.claims, "qa-claims") : h("p", { class: "fine" }, ui.qaError ?? "Loading…"),
    h("h3", {}, "Authorize parameters sent"),
    qa ? table(qa.authorizeParams, "qa-params") : null,
    h("h3", {}, "Settings and where they come from"),
    qa ? table(qa.settings, "qa-settings") : null,
  );
}
