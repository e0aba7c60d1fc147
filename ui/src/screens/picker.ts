// The organization picker: a field validated as typed (ID, name or invitation link), the recent organizations and
// the company's directory, and the footer with the identity provider and the app's version. Pure: built from the
// view and the window's state; typing, submitting and clicking go to the actions. `refreshPickerForm` updates the
// form in place after a validation answer, so the field keeps focus and caret.
import type { AppView, OrgCard, RecentOrg } from "tauri-plugin-orgpass-api";
import type { Actions } from "../actions";
import { fromNow, h } from "../dom";
import { sessionFor, submitEnabled, type UiState } from "../state";
import { arrowNavigation, brandStyle, logo } from "./common";

/** The hint under the field: an example, the validated organization, or why the input is not one. */
export function validationMessage(ui: UiState): HTMLElement {
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

/** Bring the drawn form (hint, Continue, the field's aria-invalid) in line with the state, leaving the field alone. */
export function refreshPickerForm(root: ParentNode, ui: UiState) {
  const hint = root.querySelector("#org-hint");
  if (hint) hint.replaceWith(validationMessage(ui));
  const button = root.querySelector<HTMLButtonElement>("#continue");
  if (button) button.disabled = !submitEnabled(ui);
  const field = root.querySelector("#org-input");
  if (field) field.setAttribute("aria-invalid", String(!!ui.validation && "err" in ui.validation));
}

function orgItem(card: OrgCard, meta: string | null, testid: string, actions: Actions, badge?: string): HTMLElement {
  const secondary = [card.id ?? card.name, meta].filter(Boolean).join(" · ");
  const item = h(
    "button",
    {
      class: "org-item",
      "data-testid": testid,
      "data-org": card.input,
      onclick: () => void actions.pick(card),
    },
    logo(card.displayName, card.branding),
    h("span", { class: "org-text" }, h("span", { class: "org-name" }, card.displayName), h("span", { class: "org-meta" }, secondary)),
    badge ? h("span", { class: "badge" }, badge) : null,
    h("span", { class: "chevron", "aria-hidden": "true" }, "›"),
  );
  brandStyle(item, card.branding);
  return item;
}

export function pickerScreen(view: AppView, ui: UiState, actions: Actions): HTMLElement {
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
  field.addEventListener("input", () => void actions.typed(field.value));
  const form = h(
    "form",
    {
      class: "org-form",
      onsubmit: (e: Event) => {
        e.preventDefault();
        void actions.submit();
      },
    },
    h("label", { for: "org-input", class: "field-label" }, "Organization"),
    h(
      "div",
      { class: "field-row" },
      field,
      h("button", { id: "continue", "data-testid": "continue", class: "primary", type: "submit", disabled: !submitEnabled(ui) }, "Continue"),
    ),
    validationMessage(ui),
  );

  const recent = h(
    "div",
    { class: "org-list", role: "list", "data-testid": "recent-list" },
    view.recent.map((r: RecentOrg) =>
      orgItem(r, `last signed in ${fromNow(r.lastSignedIn)}`, `recent-${r.input}`, actions, r.signedIn ? "Signed in" : undefined),
    ),
  );
  arrowNavigation(recent);
  const directory = h(
    "div",
    { class: "org-list", role: "list", "data-testid": "directory-list" },
    view.directory.map((d) => orgItem(d, null, `directory-${d.input}`, actions, sessionFor(view, d) ? "Signed in" : undefined)),
  );
  arrowNavigation(directory);

  const cancelPick =
    view.picking && view.active
      ? h("button", { class: "link", "data-testid": "back-to-session", onclick: () => actions.showOrgPicker(false) }, "← Back")
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
