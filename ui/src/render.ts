// The render loop: which screen a view shows, drawing it (on each state event, or again after a local change),
// keeping the focus across redraws (a text field's caret too; a control by its data-testid, so a state event does not
// drop a keyboard user's place; where an action asked for it, as opening the sign-out question does), saying what
// changed in the window's one live region (announce.ts, next to the root so that redraws leave it alone), and the effects
// a drawn screen needs (validate a pre-filled input; fetch the company directory once, the QA details and the API
// data), which run here so that the screens only build elements. The first state is drawn before the directory
// arrives: the window paints as fast with 5,000 organizations as with 3, and the list fills in after.
import type { AppView, SessionView } from "tauri-plugin-orgpass-api";
import { asIpcError } from "tauri-plugin-orgpass-api";
import { createActions, loadState, subscribe, type Actions } from "./actions";
import { createAnnouncer, statusMessage } from "./announce";
import { errorScreen } from "./screens/error";
import { header } from "./screens/header";
import { pickerScreen, refreshPickerForm } from "./screens/picker";
import { emailScreen, refreshEmailForm } from "./screens/email";
import { apiMissing, billingMissing } from "./screens/api-data";
import { qaMissing } from "./screens/qa";
import { signedInScreen } from "./screens/signed-in";
import { waitingScreen } from "./screens/waiting";
import { initialUi, shownSession, type UiState } from "./state";

/**
 * The screen for a view: waiting while a sign-in runs, else the last error, else the session shown, else "Continue
 * with your work email" when the person opened it, else the picker.
 */
export function screenFor(view: AppView, ui: UiState, actions: Actions): HTMLElement {
  if (view.pending) return waitingScreen(view.pending, ui, actions);
  if (view.lastError) return errorScreen(view.lastError, actions);
  const active = shownSession(view);
  if (active) return signedInScreen(view, active, ui, actions);
  if (ui.emailMode) return emailScreen(ui, actions);
  return pickerScreen(view, ui, actions);
}

/** Text fields that keep focus and caret when the window is drawn again (a state event while typing). */
const KEEP_FOCUS = ["org-input", "qa-filter", "email-input"];

export interface App {
  ui: UiState;
  actions: Actions;
  /** Draw a view: each state event (the plugin sends one only when something changed), or a local redraw. */
  render(view: AppView): void;
  /** Subscribe to the state, draw it, and handle the window's keys; a failure to start shows the error screen. */
  start(): Promise<void>;
  /** Undo `start`: no more state events or keys (tests mount one window after another). */
  stop(): void;
}

/** The element with a data-testid (compared as text: an organization's input can hold any character). */
function byTestId(root: HTMLElement, testid: string): HTMLElement | undefined {
  return Array.from(root.querySelectorAll<HTMLElement>("[data-testid]")).find((el) => el.dataset.testid === testid);
}

/** The window drawn into `root` (which is in the document). */
export function createApp(root: HTMLElement): App {
  const ui = initialUi();
  const announcer = createAnnouncer();
  root.after(announcer.region);
  const actions: Actions = createActions(ui, {
    render: () => {
      if (ui.view) render(ui.view);
    },
    refreshForm: () => {
      refreshPickerForm(root, ui);
      refreshEmailForm(root, ui);
    },
    refreshNotice: () => {
      const n = root.querySelector("#wait-notice");
      if (n) n.textContent = ui.notice;
      if (ui.notice) announcer.say(ui.notice, "notice");
    },
    announce: (message) => announcer.say(message, "notice"),
  });

  function render(view: AppView) {
    const fresh = view !== ui.view;
    const screenChanged = ui.view?.pending?.input !== view.pending?.input || !!ui.view?.lastError !== !!view.lastError;
    // A new session for the organization shown (signed in again, renewed) has new claims: fetch the QA details again.
    const current = (v: AppView | null) => v?.sessions.find((s) => s.orgId === v.active);
    const [was, now] = [current(ui.view), current(view)];
    if (fresh && (was?.orgId !== now?.orgId || was?.expiresAt !== now?.expiresAt)) {
      ui.qa = null;
      ui.qaError = null;
      ui.qaLoading = null;
      ui.api = null;
    }
    if (view.prefill && view.prefill !== ui.view?.prefill) {
      ui.input = view.prefill;
      void actions.validate(view.prefill);
    }
    if (screenChanged) ui.notice = null;
    ui.view = view;
    const focused = document.activeElement;
    const refocus =
      focused instanceof HTMLInputElement && KEEP_FOCUS.includes(focused.id)
        ? { id: focused.id, start: focused.selectionStart, end: focused.selectionEnd }
        : null;
    const screen = screenFor(view, ui, actions);
    root.replaceChildren(header(view, actions), screen);
    const again = refocus && root.querySelector<HTMLInputElement>(`#${refocus.id}`);
    const input = root.querySelector<HTMLInputElement>("#org-input");
    const asked = ui.focusNext !== null ? byTestId(root, ui.focusNext) : undefined;
    ui.focusNext = null;
    // The control that had the focus, drawn again (same data-testid) on the same screen.
    const kept = !screenChanged && focused instanceof HTMLElement && focused.dataset.testid ? byTestId(root, focused.dataset.testid) : undefined;
    if (again) {
      again.focus();
      // An email field has no caret position to restore (its selectionStart is null, and setting one throws).
      if (refocus.start !== null) again.setSelectionRange(refocus.start, refocus.end);
    } else if (asked) {
      asked.focus();
    } else if (kept) {
      kept.focus();
    } else if (input && (refocus || screenChanged || !focused || focused === document.body || !root.contains(focused))) {
      input.focus();
    } else {
      screen.querySelector<HTMLElement>("[autofocus]")?.focus();
    }
    announcer.update({
      status: statusMessage(view),
      notice: ui.notice,
      directory: ui.directoryError,
      api: ui.api?.state === "error" ? `${ui.api.error.message} ${ui.api.error.nextStep}` : null,
    });
    document.body.dataset.ready = "true";
    loadWhatIsShown(view, fresh);
  }

  /**
   * The directory is fetched once (again only if its size changes). The QA panel and the API section show data
   * fetched separately: ask once per organization shown (the QA details again after a failure on the next state; the
   * API data again when the session changes or on "Try again").
   */
  function loadWhatIsShown(view: AppView, fresh: boolean) {
    if (view.directorySize !== ui.directoryAsked) {
      if (view.directorySize === 0) {
        ui.directoryAsked = 0;
        ui.directory.set([]);
      } else {
        void actions.loadDirectory(view.directorySize);
      }
    }
    const shown = shownSession(view);
    const s: SessionView | undefined = view.qa ? shown : undefined;
    if (s && qaMissing(ui, s) && ui.qaLoading !== s.orgId && (fresh || !ui.qaError)) void actions.loadQa(s.orgId);
    if (shown && view.apiUrl && apiMissing(ui, shown)) void actions.loadApi(shown.orgId);
    if (shown && view.apis.includes("billing") && billingMissing(ui, shown)) void actions.loadBilling(shown.orgId);
  }

  const onKey = (e: KeyboardEvent) => {
    if (e.key === "Escape" && ui.view?.pending) void actions.cancelLogin();
  };
  let unlisten: (() => void) | null = null;

  async function start() {
    document.addEventListener("keydown", onKey);
    try {
      unlisten = await subscribe(render);
      render(await loadState());
    } catch (e) {
      const err = asIpcError(e);
      root.replaceChildren(errorScreen(err, actions));
      announcer.say(`${err.message} ${err.nextStep}`, "status");
    }
  }

  function stop() {
    document.removeEventListener("keydown", onKey);
    unlisten?.();
    unlisten = null;
  }

  return { ui, actions, render, start, stop };
}
