// The window's own state: what lives only in the webview (what the person is typing, open dialogs, fetched QA
// details), next to the last AppView the plugin sent. The plugin owns everything else; it arrives as state events.
import type { AppView, EmailInputView, IpcError, OrgCard, OrgInputView, QaView, SessionView } from "tauri-plugin-orgpass-api";
import { createDirectory, type Directory } from "./directory";

/** What the company's API answered for the organization shown (the signed-in screen's data section). */
export type ApiData =
  | { orgId: string; state: "loading" }
  | { orgId: string; state: "ok"; body: unknown }
  | { orgId: string; state: "error"; error: IpcError };

/** The validation result of what is in the organization field. */
export type Validation = { ok: OrgInputView } | { err: IpcError };

/** The validation result of what is in the work email field. */
export type EmailValidation = { ok: EmailInputView } | { err: IpcError };

/**
 * What a finder keeps across redraws for one query: the highlighted organization (by its input) and the list's scroll
 * position. Built for another query (the field was cleared or pre-filled), the finder starts from the top.
 */
export interface FinderState {
  /** The folded query these are for. */
  query: string;
  highlight: string | null;
  scrollTop: number;
}

export const initialFinder = (): FinderState => ({ query: "", highlight: null, scrollTop: 0 });

export interface UiState {
  /** The last view drawn (the plugin's state). */
  view: AppView | null;
  /** The organization field's text. */
  input: string;
  validation: Validation | null;
  /** Only the newest validation counts: answers to older input are dropped. */
  validateSeq: number;
  confirmSignOut: boolean;
  endSso: boolean;
  /** QA details of the session shown, once fetched. */
  qa: QaView | null;
  qaError: string | null;
  /** Org ID whose QA details are being fetched, if any (one fetch at a time per organization). */
  qaLoading: string | null;
  /** Only the newest QA fetch counts. */
  qaSeq: number;
  /** The API data of the session shown, once asked for (only when the app has an API configured). */
  api: ApiData | null;
  /** Only the newest API fetch counts. */
  apiSeq: number;
  /** The invoices from the company's billing API (`apis` lists `billing`), once asked for. */
  billing: ApiData | null;
  /** Only the newest billing fetch counts. */
  billingSeq: number;
  /** The data-testid of the control to focus after the next redraw (an action moved the person's place), if any. */
  focusNext: string | null;
  /** A refusal or confirmation shown on the current screen. */
  notice: string | null;
  submitting: boolean;
  /** The company directory, fetched once (it crosses IPC once, not with every state) and indexed for the filter. */
  directory: Directory;
  /** The `directorySize` the directory was last asked for (render.ts asks again only if the size changes). */
  directoryAsked: number | null;
  /** Why the directory could not be fetched, shown where the list would be (a sign-in by ID or name still works). */
  directoryError: string | null;
  /** The picker's list under the organization field: highlighted row and scroll position. */
  picker: FinderState;
  /** The QA panel's filter of the organizations to sign in to next, and its list. */
  qaQuery: string;
  qaList: FinderState;
  /** "Continue with your work email" is open instead of the picker (a screen of the window's own). */
  emailMode: boolean;
  /** The work email field's text, and its validation (only the newest answer counts). */
  emailInput: string;
  emailValidation: EmailValidation | null;
  emailSeq: number;
}

export function initialUi(): UiState {
  return {
    view: null,
    input: "",
    validation: null,
    validateSeq: 0,
    confirmSignOut: false,
    endSso: false,
    qa: null,
    qaError: null,
    qaLoading: null,
    qaSeq: 0,
    api: null,
    apiSeq: 0,
    billing: null,
    billingSeq: 0,
    focusNext: null,
    notice: null,
    submitting: false,
    directory: createDirectory(),
    directoryAsked: null,
    directoryError: null,
    picker: initialFinder(),
    qaQuery: "",
    qaList: initialFinder(),
    emailMode: false,
    emailInput: "",
    emailValidation: null,
    emailSeq: 0,
  };
}

/** Continue on the work email screen is enabled once the address validated and no sign-in is being started. */
export function emailSubmitEnabled(ui: UiState): boolean {
  return !!ui.emailValidation && "ok" in ui.emailValidation && !ui.submitting;
}

/**
 * The organization the picker offers first: the newest recent one, when the tenant found it by the work email (a
 * later sign-in names it directly, with no email step); null otherwise.
 */
export function offeredFirst(view: AppView) {
  const newest = view.recent[0];
  return newest?.foundByEmail ? newest : null;
}

/** Continue is enabled once the input validated and no sign-in is being started. */
export function submitEnabled(ui: UiState): boolean {
  return !!ui.validation && "ok" in ui.validation && !ui.submitting;
}

/** The signed-in session for an organization card, if any (clicking it then needs no browser). */
export function sessionFor(view: AppView | null, card: OrgCard): SessionView | undefined {
  return view?.sessions.find((s) => (card.id !== null && s.orgId === card.id) || (card.name !== null && s.orgName === card.name));
}

/** The session the signed-in screen shows for a view, or undefined when another screen is up. */
export function shownSession(view: AppView): SessionView | undefined {
  if (view.pending || view.lastError || view.picking) return undefined;
  return view.sessions.find((s) => s.orgId === view.active);
}
