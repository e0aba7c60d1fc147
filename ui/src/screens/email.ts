// "Continue with your work email", for a person who does not know their organization: a field validated as typed
// (by the plugin, with the engine's own check), whose address starts a sign-in that names no organization. The
// company's sign-in service finds it by the email's domain (and offers a chooser when several organizations share
// it), so the organization is known only once the sign-in is done. Built from the window's state; typing and
// submitting go to the actions, and typing updates only the form (`refreshEmailForm`), so the field keeps its caret.
import type { Actions } from "../actions";
import { h } from "../dom";
import { emailSubmitEnabled, type UiState } from "../state";

/** The hint under the field: an example, what the sign-in service looks up, or what is missing from the address. */
export function emailMessage(ui: UiState): HTMLElement {
  const v = ui.emailValidation;
  const box = h("p", { class: "hint", id: "email-hint", "data-testid": "email-hint" });
  if (!ui.emailInput.trim()) {
    box.textContent = "For example ada@acme.example.";
  } else if (!v) {
    box.textContent = " ";
  } else if ("ok" in v) {
    box.classList.add("hint-ok");
    box.textContent = `✓ ${v.ok.summary}.`;
  } else {
    box.classList.add("hint-error");
    box.textContent = v.err.message;
  }
  return box;
}

/** Bring the drawn email form (hint, Continue, the field's aria-invalid) in line with the state, leaving the field alone. */
export function refreshEmailForm(root: ParentNode, ui: UiState) {
  const hint = root.querySelector("#email-hint");
  if (hint) hint.replaceWith(emailMessage(ui));
  const button = root.querySelector<HTMLButtonElement>("#email-continue");
  if (button) button.disabled = !emailSubmitEnabled(ui);
  const field = root.querySelector("#email-input");
  if (field) field.setAttribute("aria-invalid", String(!!ui.emailValidation && "err" in ui.emailValidation));
}

export function emailScreen(ui: UiState, actions: Actions): HTMLElement {
  const field = h("input", {
    id: "email-input",
    "data-testid": "email-input",
    type: "email",
    autocomplete: "email",
    autocapitalize: "off",
    spellcheck: "false",
    placeholder: "you@company.example",
    "aria-describedby": "email-hint email-how",
    "aria-invalid": String(!!ui.emailValidation && "err" in ui.emailValidation),
    autofocus: true,
  }) as HTMLInputElement;
  field.value = ui.emailInput;
  field.addEventListener("input", () => void actions.emailTyped(field.value));
  field.addEventListener("keydown", (e) => {
    if (e.key === "Escape") {
      e.preventDefault();
      actions.showEmail(false);
    } else if (e.key === "Enter") {
      // Handled here rather than by the form: a browser submits nothing on Enter while Continue is disabled, and
      // the person must hear why nothing happened.
      e.preventDefault();
      void actions.submitEmail();
    }
  });
  const form = h(
    "form",
    {
      class: "org-form",
      novalidate: true,
      onsubmit: (e: Event) => {
        e.preventDefault();
        void actions.submitEmail();
      },
    },
    h("label", { for: "email-input", class: "field-label" }, "Work email"),
    h(
      "div",
      { class: "field-row" },
      field,
      h("button", { id: "email-continue", "data-testid": "email-continue", class: "primary", type: "submit", disabled: !emailSubmitEnabled(ui) }, "Continue"),
    ),
    emailMessage(ui),
  );
  return h(
    "main",
    { class: "screen picker email", "data-screen": "email" },
    h(
      "button",
      { class: "link", "data-testid": "email-back", onclick: () => actions.showEmail(false) },
      h("span", { "aria-hidden": "true" }, "← "),
      "Back to the organizations",
    ),
    h("h1", {}, "Continue with your work email"),
    h(
      "p",
      { class: "lead", id: "email-how" },
      "Your company's sign-in service finds your organization by your email's domain. If several organizations use it, you choose yours in the browser.",
    ),
    form,
    ui.notice ? h("p", { class: "notice", "data-testid": "notice" }, ui.notice) : null,
    h("p", { class: "fine" }, "Orgpass signs you in only to organizations your company has set up for this app."),
  );
}
