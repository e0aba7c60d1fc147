// The QA panel on the signed-in screen (when QA is on): open the login page again, sign in to the next organization
// with prompt=login (found with the same filter and list as the picker's), and the session's verified claims, sent
// authorize parameters and settings. It shows the details the window already fetched (the render loop asks
// actions.loadQa for them), or "Loading…"; typing in its filter updates only the list and its count.
import type { AppView, SessionView } from "tauri-plugin-orgpass-api";
import type { Actions } from "../actions";
import { h } from "../dom";
import { search, searchable, type Match } from "../filter";
import type { UiState } from "../state";
import { brandStyle, logo } from "./common";
import { orgFinder } from "./org-finder";

/** A row of the "next organization" list: a 38 px button and the gap under it. */
export const QA_ROW_HEIGHT = 46;
export const QA_ROWS = 6.5;

/** "Sign in to the next organization": a filter field, its count and the list of every organization to pick from. */
function nextOrganization(view: AppView, ui: UiState, actions: Actions): HTMLElement | null {
  const index = ui.directory.index;
  const total = searchable(index, view.recent);
  if (total === 0) return null;
  const field = h("input", {
    id: "qa-filter",
    class: "filter-field",
    "data-testid": "qa-filter",
    type: "text",
    autocomplete: "off",
    autocapitalize: "off",
    spellcheck: "false",
    placeholder: "Filter by name or ID",
    "aria-label": "Filter the organizations to sign in to",
  }) as HTMLInputElement;
  field.value = ui.qaQuery;
  const finder = orgFinder({
    id: "qa-quick-switch",
    listTestId: "qa-quick-switch",
    countTestId: "qa-directory-count",
    label: "Organizations to sign in to",
    field,
    find: (query) => search(index, query, view.recent),
    total,
    state: ui.qaList,
    rowHeight: QA_ROW_HEIGHT,
    rows: QA_ROWS,
    row: (m: Match) => {
      const b = h("button", { class: "quick-item", "data-testid": `qa-switch-${m.card.input}` }, logo(m.card.displayName, m.card.branding, "sm"), h("span", { class: "quick-name" }, m.card.displayName));
      brandStyle(b, m.card.branding);
      return b;
    },
    choose: (m) => void actions.signIn(m.card.input, true),
  });
  field.addEventListener("input", () => {
    ui.qaQuery = field.value;
    finder.setQuery(field.value);
  });
  return h("div", { class: "qa-next" }, h("h3", {}, "Sign in to the next organization (prompt=login)"), field, finder.count, finder.list);
}

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
  return h(
    "section",
    { class: "qa-panel", "data-testid": "qa-panel" },
    h("h2", {}, "QA"),
    h(
      "div",
      { class: "actions" },
      h("button", { class: "primary", "data-testid": "qa-reopen-login", onclick: () => actions.signIn(s.orgId, true) }, "Open this organization's login page again"),
    ),
    nextOrganization(view, ui, actions),
    h("h3", {}, "Verified ID-token claims"),
    qa ? table(qa.claims, "qa-claims") : h("p", { class: "fine" }, ui.qaError ?? "Loading…"),
    h("h3", {}, "Verified access-token claims"),
    qa
      ? h(
          "p",
          { class: "fine", "data-testid": "qa-binding" },
          qa.dpopJkt
            ? `Bound to this device (DPoP): useless without the key with thumbprint ${qa.dpopJkt}, which stays in the keychain.`
            : "A bearer token: whoever holds it can use it.",
        )
      : null,
    // The access token as the company's API sees it (verified the same way), or why it would not take it.
    qa
      ? qa.accessClaims.length
        ? table(qa.accessClaims, "qa-access-claims")
        : h("p", { class: "fine", "data-testid": "qa-access-note" }, qa.accessNote ?? "No access token.")
      : null,
    h("h3", {}, "Authorize parameters sent"),
    qa ? table(qa.authorizeParams, "qa-params") : null,
    h("h3", {}, "Settings and where they come from"),
    qa ? table(qa.settings, "qa-settings") : null,
  );
}
