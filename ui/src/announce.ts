// The window's one live region (role="status", polite): what a person who does not see the screen hears change, a
// sign-in under way and its stage, signed in, offline, session ended, an error, a refusal or a confirmation. Each
// message is said when it changes, never again because the same state was drawn again (the screens are rebuilt on
// every state event, so a live region or an alert inside them would repeat itself).
import type { AppView } from "tauri-plugin-orgpass-api";
import { h } from "./dom";
import { stageText } from "./screens/waiting";
import { shownSession } from "./state";

/** What the screen a view shows says about the sign-in, in a sentence; empty for the picker. */
export function statusMessage(view: AppView): string {
  if (view.pending?.email) return `Signing in with your work email ${view.pending.email}. ${stageText(view.pending)}`;
  if (view.pending) return `Signing in to ${view.pending.orgLabel}. ${stageText(view.pending)}`;
  if (view.lastError) return `${view.lastError.message} ${view.lastError.nextStep}`.trim();
  const s = shownSession(view);
  if (!s) return "";
  // Renewing the tokens is not news: "refreshing" reads as signed in, so a renewal says nothing.
  if (s.status === "active" || s.status === "refreshing") {
    const found = s.foundByEmail ? " Your work email found this organization." : "";
    return `Signed in to ${s.orgDisplayName} as ${s.name ?? s.email ?? s.sub}.${found}`;
  }
  const what = s.status === "offline" ? "offline" : "session ended";
  return `${s.orgDisplayName}: ${what}. ${s.statusNote ?? ""}`.trim();
}

export interface Announcer {
  /** The live region (outside the redrawn screens, so it stays the same element). */
  readonly region: HTMLElement;
  /** Say what changed among messages by slot (status, notice, …) since they were last given here; nothing if none. */
  update(messages: Record<string, string | null | undefined>): void;
  /** Say a message now even if it was said before (the answer to what the person just did), remembered for `slot`. */
  say(message: string, slot?: string): void;
}

/** A live region, to be put in the document next to the window's root. */
export function createAnnouncer(): Announcer {
  const region = h("div", { id: "live-status", class: "sr-only", role: "status", "aria-live": "polite", "aria-atomic": "true", "data-testid": "live-status" });
  const last = new Map<string, string>();
  // Each message is a new node: a screen reader says an added node even when its text is what was said before.
  const show = (message: string) => region.replaceChildren(h("p", {}, message));
  return {
    region,
    update(messages) {
      const changed: string[] = [];
      for (const [slot, message] of Object.entries(messages)) {
        const text = message ?? "";
        if (text && text !== last.get(slot)) changed.push(text);
        last.set(slot, text);
      }
      if (changed.length) show(changed.join(" "));
    },
    say(message, slot) {
      if (slot) last.set(slot, message);
      if (message) show(message);
    },
  };
}
