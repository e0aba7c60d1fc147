// The top bar on every screen: the Orgpass mark, one chip per signed-in organization (click: show it; the one shown
// is aria-current, a status dot is said in words), and the QA switch (a checkbox with role="switch", labelled "QA").
// Pure: built from the view; clicks go to the actions.
import type { AppView, SessionView } from "tauri-plugin-orgpass-api";
import type { Actions } from "../actions";
import { h } from "../dom";
import { brandStyle, logo } from "./common";

/** What a chip's status dot stands for (an active session has no dot). */
const DOT_WORDS: Record<SessionView["status"], string> = { active: "", refreshing: "refreshing", offline: "offline", expired: "session ended" };

export function header(view: AppView, actions: Actions): HTMLElement {
  const chips = view.sessions.map((s) => {
    const shown = s.orgId === view.active && !view.picking && !view.pending;
    const chip = h(
      "button",
      {
        class: `chip${shown ? " chip-active" : ""}`,
        "data-testid": `session-chip-${s.orgId}`,
        title: `Show ${s.orgDisplayName}`,
        "aria-current": shown ? "true" : null,
        onclick: () => actions.switchOrg(s.orgId),
      },
      logo(s.orgDisplayName, s.branding, "sm"),
      h("span", { class: "chip-label" }, s.orgDisplayName),
      s.status !== "active"
        ? [h("span", { class: `dot dot-${s.status}`, title: DOT_WORDS[s.status], "aria-hidden": "true" }), h("span", { class: "sr-only" }, ` (${DOT_WORDS[s.status]})`)]
        : null,
    );
    brandStyle(chip, s.branding);
    return chip;
  });
  // IT may lock the QA view on or off: then there is no switch to flip (the plugin would refuse the change).
  const qaSwitch = view.qaLocked
    ? null
    : h(
        "label",
        { class: "qa-switch", for: "qa-toggle" },
        h("input", {
          type: "checkbox",
          id: "qa-toggle",
          "data-testid": "qa-toggle",
          role: "switch",
          checked: view.qa,
          onchange: (e: Event) => actions.setQa((e.target as HTMLInputElement).checked),
        }),
        h("span", { class: "qa-track" }),
        h("span", {}, "QA"),
      );
  return h(
    "header",
    { class: "topbar" },
    h("div", { class: "brand" }, h("span", { class: "brand-mark", "aria-hidden": "true" }, "◆"), h("span", {}, "Orgpass")),
    // No empty navigation landmark before the first sign-in; the empty box keeps the QA switch at the right.
    chips.length ? h("nav", { class: "chips", "aria-label": "Signed-in organizations" }, chips) : h("div", { class: "chips" }),
    qaSwitch,
  );
}
