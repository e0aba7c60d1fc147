// The waiting screen while a sign-in is under way in the browser: its stage, open the browser again, copy the
// sign-in link, cancel, and (for a browser on another computer) a field for the address it ended on. Pure: built
// from the pending sign-in and the window's state; buttons go to the actions.
import type { PendingView } from "tauri-plugin-orgpass-api";
import type { Actions } from "../actions";
import { h } from "../dom";
import type { UiState } from "../state";
import { brandStyle, logo } from "./common";

/** Where the sign-in is, in a sentence (shown under the heading, and said by the live region when it changes). */
export function stageText(pending: PendingView): string {
  switch (pending.stage) {
    case "starting":
      return "Opening your browser…";
    case "waiting":
      return pending.browserOpened
        ? "Continue in your browser to finish signing in. This window updates by itself."
        : "No browser opened. Copy the sign-in link and open it in your browser.";
    case "exchanging":
      return "Signed in at the identity provider. Checking the result…";
    case "done":
      return "Signed in.";
  }
}

export function waitingScreen(pending: PendingView, ui: UiState, actions: Actions): HTMLElement {
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
      onclick: () => {
        if (!pending.authorizeUrl) return;
        // When the clipboard API is refused: select the link and copy it the old way.
        void actions.copyLink(pending.authorizeUrl, () => {
          if (!linkField) return false;
          linkField.select();
          return document.execCommand("copy");
        });
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
      // Found by a work email, the organization is not known yet: its mark is the email's @, not initials.
      logo(pending.email ? "@" : pending.orgLabel, pending.branding, "lg"),
      h("div", { class: "spinner", role: "progressbar", "aria-label": "Waiting for sign-in" }),
      h("h1", {}, "Waiting for sign-in to ", h("span", { "data-testid": "waiting-org" }, pending.orgLabel)),
      h("p", { class: "lead", "data-testid": "waiting-stage" }, stageText(pending)),
      pending.email
        ? h(
            "p",
            { class: "fine", "data-testid": "waiting-email" },
            `Your company's sign-in service finds your organization by ${pending.email}. If several organizations use its domain, choose yours in the browser.`,
          )
        : null,
      pending.promptLogin ? h("p", { class: "fine" }, "The login page is shown even if you are already signed in (prompt=login).") : null,
      h(
        "div",
        { class: "actions" },
        h("button", { "data-testid": "reopen-browser", onclick: () => actions.reopenBrowser() }, "Open the browser again"),
        copy,
        h("button", { class: "danger-outline", "data-testid": "cancel-login", onclick: () => actions.cancelLogin() }, "Cancel"),
      ),
      waitNotice(ui),
      linkField ? h("details", { class: "link-details" }, h("summary", {}, "Show the sign-in link"), linkField) : null,
      pending.stage === "waiting" ? pasteForm(actions) : null,
    ),
  );
  brandStyle(screen, pending.branding);
  return screen;
}

/** The line under the buttons ("Sign-in link copied…"); `Redraw.refreshNotice` updates its text alone (and the live region says it). */
function waitNotice(ui: UiState): HTMLElement {
  return h("p", { class: "notice-inline", id: "wait-notice" }, ui.notice ?? "");
}

/** For a browser on another computer: it cannot reach this one, so the person pastes the address it ended on. */
function pasteForm(actions: Actions): HTMLElement {
  const field = h("input", {
    class: "link-field",
    id: "paste-callback",
    "data-testid": "paste-callback",
    placeholder: "http://127.0.0.1:…/callback?code=…",
    autocomplete: "off",
    spellcheck: "false",
    "aria-label": "Address the browser ended on",
    "aria-describedby": "paste-help",
  }) as HTMLInputElement;
  // Shown here; the live region says it (actions.paste).
  const message = h("p", { class: "fine", "data-testid": "paste-message" });
  const submit = async (e: Event) => {
    e.preventDefault();
    const address = field.value;
    // The address holds a one-time code (useless without the verifier, which stays in the Rust side): do not keep it.
    field.value = "";
    if (!address.trim()) return;
    message.textContent = await actions.paste(address);
  };
  return h(
    "details",
    { class: "link-details", "data-testid": "paste-details" },
    h("summary", {}, "Signed in with a browser on another computer?"),
    h(
      "form",
      { class: "paste-form", onsubmit: submit },
      // The field's name is short ("Address the browser ended on"); this sentence is its description.
      h("p", { id: "paste-help", class: "fine" }, "It cannot reach this computer, so its page does not load. Copy that page's whole address and paste it here:"),
      field,
      h("button", { type: "submit", "data-testid": "paste-submit" }, "Finish sign-in"),
      message,
    ),
  );
}
