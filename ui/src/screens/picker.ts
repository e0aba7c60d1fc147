// The organization picker: a field validated as typed (ID, name or invitation link) that also filters the company's
// directory below it (see org-finder.ts: a windowed listbox, a count, arrow keys and Enter), the recent organizations,
// and the footer with the identity provider and the app's version. Built from the view and the window's state;
// typing, submitting and clicking go to the actions. Typing updates only the list, its count and (through
// `refreshPickerForm`, after the validation answer) the form, so the field keeps focus and caret.
import type { AppView, OrgCard, RecentOrg } from "tauri-plugin-orgpass-api";
import type { Actions } from "../actions";
import { fromNow, h } from "../dom";
import { foldQuery, search, searchable, type Match } from "../filter";
import { offeredFirst, sessionFor, submitEnabled, type UiState } from "../state";
import { arrowNavigation, brandStyle, logo } from "./common";
import { orgFinder } from "./org-finder";

/** A directory row: the card (62 px) and the gap under it. */
export const PICKER_ROW_HEIGHT = 70;
/** Rows the directory shows before it scrolls (the half row says that it does). */
export const PICKER_ROWS = 6.5;

/** The hint under the field: an example, the validated organization, or why the input is not one. */
export function validationMessage(ui: UiState): HTMLElement {
  const v = ui.validation;
  // The field's description (aria-describedby); a refusal on submitting is said by the live region (actions.ts).
  const box = h("p", { class: "hint", id: "org-hint", "data-testid": "org-hint" });
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

/** An organization's card; `onclick` is left out for a listbox row (the list sends its clicks). */
function orgItem(card: OrgCard, meta: string | null, testid: string, onclick: (() => void) | null, badge?: string): HTMLElement {
  const secondary = [card.id ?? card.name, meta].filter(Boolean).join(" · ");
  const item = h(
    "button",
    {
      class: "org-item",
      "data-testid": testid,
      "data-org": card.input,
      onclick: onclick ?? undefined,
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

  // The organization a work email found last time is offered first, above the field (and not again under Recent).
  const first = offeredFirst(view);
  const others = first ? view.recent.slice(1) : view.recent;
  const recentSection = others.length ? recentList(others, actions) : null;
  const offered = first
    ? h(
        "section",
        { class: "offered-first", "data-testid": "offered-first" },
        h("h2", {}, "Your work email found"),
        h(
          "div",
          { class: "org-list", role: "list" },
          h(
            "div",
            { role: "listitem" },
            orgItem(first, `found by your work email · last signed in ${fromNow(first.lastSignedIn)}`, `offered-${first.input}`, () => void actions.pick(first), first.signedIn ? "Signed in" : undefined),
          ),
        ),
      )
    : null;
  const emailOffer = h(
    "p",
    { class: "email-offer" },
    "Don't know your organization?",
    h("button", { type: "button", "data-testid": "email-start", onclick: () => actions.showEmail(true) }, "Continue with your work email"),
  );
  const index = ui.directory.index;
  const total = searchable(index, view.recent);
  const finder = orgFinder({
    id: "directory-list",
    listTestId: "directory-list",
    countTestId: "directory-count",
    label: "Organizations",
    field,
    // The recent organizations have their own section above until the person types; then they lead the matches.
    find: (query) => search(index, query, foldQuery(query) ? view.recent : []),
    total,
    state: ui.picker,
    rowHeight: PICKER_ROW_HEIGHT,
    rows: PICKER_ROWS,
    row: (m) => directoryRow(view, m),
    choose: (m) => void actions.pick(m.card),
  });
  const directory = h(
    "section",
    { class: "directory" },
    h("h2", {}, index.cards.length ? "Your company's organizations" : "Organizations"),
    ui.directoryError ? h("p", { class: "notice", "data-testid": "directory-error" }, ui.directoryError) : null,
    finder.count,
    finder.list,
  );
  // While typing, the matches (recent ones first) replace the Recent section.
  const recentSlot = h("div", { class: "recent-slot" });
  const showWhatIsTyped = (input: string) => {
    const typing = foldQuery(input) !== "";
    recentSlot.replaceChildren(...(recentSection && !typing ? [recentSection] : []));
    directory.hidden = !ui.directoryError && (typing ? total === 0 : index.cards.length === 0);
    finder.setVisible(!directory.hidden);
  };
  showWhatIsTyped(field.value);
  field.addEventListener("input", () => {
    finder.setQuery(field.value);
    showWhatIsTyped(field.value);
    void actions.typed(field.value);
  });

  const cancelPick =
    view.picking && view.active
      ? h("button", { class: "link", "data-testid": "back-to-session", onclick: () => actions.showOrgPicker(false) }, h("span", { "aria-hidden": "true" }, "← "), "Back")
      : null;

  return h(
    "main",
    { class: "screen picker", "data-screen": "picker" },
    cancelPick,
    h("h1", {}, "Sign in to your organization"),
    h("p", { class: "lead" }, "Your browser opens to finish signing in. Orgpass keeps you signed in afterwards."),
    offered,
    form,
    emailOffer,
    ui.notice ? h("p", { class: "notice", "data-testid": "notice" }, ui.notice) : null,
    recentSlot,
    directory,
    h(
      "footer",
      { class: "fine" },
      `Identity provider: ${view.issuer} · `,
      h("span", { "data-testid": "app-version" }, `Orgpass ${view.version}`),
    ),
  );
}

/** The recent organizations, newest first, as cards (shown while the field is empty). */
function recentList(recent: readonly RecentOrg[], actions: Actions): HTMLElement {
  const list = h(
    "div",
    { class: "org-list", role: "list", "data-testid": "recent-list" },
    recent.map((r) =>
      h(
        "div",
        { role: "listitem" },
        orgItem(r, `last signed in ${fromNow(r.lastSignedIn)}`, `recent-${r.input}`, () => void actions.pick(r), r.signedIn ? "Signed in" : undefined),
      ),
    ),
  );
  arrowNavigation(list);
  return h("section", {}, h("h2", {}, "Recent"), list);
}

/** A row of the directory list: a directory card, or a recent organization the directory does not list. */
function directoryRow(view: AppView, m: Match): HTMLElement {
  const testid = m.directoryIndex !== null ? `directory-${m.card.input}` : `recent-${m.card.input}`;
  const meta = m.recent ? `last signed in ${fromNow(m.recent.lastSignedIn)}` : null;
  const signedIn = sessionFor(view, m.card) !== undefined || !!m.recent?.signedIn;
  return orgItem(m.card, meta, testid, null, signedIn ? "Signed in" : undefined);
}
