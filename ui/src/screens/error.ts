// The error screen after a failed sign-in: what happened and what to do next in a sentence each, back to the
// picker, try again (or sign in as someone else after a refusal), and details for support. Pure: built from the
// error; buttons go to the actions.
import type { IpcError } from "tauri-plugin-orgpass-api";
import type { Actions } from "../actions";
import { h } from "../dom";

/** After a refusal, sign in to the same organization with another account (prompt=login); else try again. */
function retryButton(err: IpcError, actions: Actions): HTMLElement | null {
  const input = err.retry;
  if (!input) return null;
  const refused = err.code === "refused";
  return h(
    "button",
    { "data-testid": "error-retry", onclick: () => actions.signIn(input, refused) },
    refused ? "Sign in as someone else" : "Try again",
  );
}

export function errorScreen(err: IpcError, actions: Actions): HTMLElement {
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
        h("button", { class: "primary", "data-testid": "error-back", autofocus: true, onclick: () => actions.showOrgPicker(true) }, "Choose an organization"),
        retryButton(err, actions),
      ),
      err.details ? h("details", { class: "support" }, h("summary", {}, "Details for support"), h("pre", { "data-testid": "error-details" }, `code: ${err.code}\n${err.details}`)) : null,
    ),
  );
}
