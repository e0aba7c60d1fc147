// Everything the window does to the plugin: its commands (through the guest bindings), the QA details fetch, and the
// subscription to the state event. Commands that change state resolve to nothing: their effect arrives as a state
// event. The screens call these from event handlers only; nothing here runs while a screen is built.
import * as api from "tauri-plugin-orgpass-api";
import { asIpcError, onState, type AppView, type OrgCard } from "tauri-plugin-orgpass-api";
import type { UnlistenFn } from "@tauri-apps/api/event";
import { emailSubmitEnabled, initialFinder, sessionFor, submitEnabled, type UiState } from "./state";

/** How actions get their local changes on screen (the render loop implements it). */
export interface Redraw {
  /** Draw the last view again. */
  render(): void;
  /** Update only the picker form (hint, Continue, field state): the field keeps its caret while typing. */
  refreshForm(): void;
  /** Update only the waiting screen's notice line (and say it). */
  refreshNotice(): void;
  /** Say a sentence in the window's live region now (the answer to what the person just did). */
  announce(message: string): void;
}

export interface Actions {
  /** Call a command that changes state; a refusal is shown as a notice. */
  run(action: () => Promise<unknown>): Promise<void>;
  switchOrg(orgId: string): Promise<void>;
  showOrgPicker(show: boolean): Promise<void>;
  setQa(enabled: boolean): Promise<void>;
  reopenBrowser(): Promise<void>;
  cancelLogin(): Promise<void>;
  /** The person typed into the organization field. */
  typed(input: string): Promise<void>;
  /** Validate organization input; only the newest answer is kept. */
  validate(input: string): Promise<void>;
  /** The organization form was submitted (Enter or Continue). */
  submit(): Promise<void>;
  signIn(input: string, promptLogin?: boolean): Promise<void>;
  /** An organization card was clicked (or chosen with the keys): show its session if signed in, else sign in. */
  pick(card: OrgCard): Promise<void>;
  /** Copy the sign-in link; `fallback` selects and copies the link field when the clipboard API is refused. */
  copyLink(url: string, fallback: () => boolean): Promise<void>;
  /** Hand over the address a browser on another computer ended on; resolves to the sentence to show. */
  paste(address: string): Promise<string>;
  askSignOut(): void;
  cancelSignOut(): void;
  setEndSso(on: boolean): void;
  confirmSignOut(orgId: string): Promise<void>;
  /** Fetch the QA details of one session (the render loop asks when the QA panel needs them). */
  loadQa(orgId: string): Promise<void>;
  /** Fetch the company directory (once per `directorySize`; the render loop asks) and draw again with it. */
  loadDirectory(size: number): Promise<void>;
  /** Fetch the organization's projects from the company's API (the render loop asks when the screen shows them). */
  loadApi(orgId: string): Promise<void>;
  /** Fetch the organization's invoices from the company's billing API (a token for it from the same sign-in). */
  loadBilling(orgId: string): Promise<void>;
  /** Open one of the company's web apps in the browser, signed in to the organization. */
  openPortal(orgId: string, name: string): Promise<void>;
  /** Open (or close, back to the picker) "Continue with your work email". */
  showEmail(open: boolean): void;
  /** The person typed into the work email field: validated as typed, the newest answer kept. */
  emailTyped(input: string): Promise<void>;
  /** The work email form was submitted (Enter or Continue): the sign-in starts without an organization. */
  submitEmail(): Promise<void>;
}

export function createActions(ui: UiState, redraw: Redraw): Actions {
  const run = async (action: () => Promise<unknown>) => {
    try {
      await action();
    } catch (e) {
      const err = asIpcError(e);
      ui.notice = `${err.message} ${err.nextStep}`.trim();
      // Said even when the same refusal is shown already (the person tried again).
      redraw.announce(ui.notice);
      redraw.render();
    }
  };

  const validate = async (input: string) => {
    const seq = ++ui.validateSeq;
    if (!input.trim()) {
      ui.validation = null;
      redraw.refreshForm();
      return;
    }
    try {
      const ok = await api.validateOrg(input);
      if (seq === ui.validateSeq) ui.validation = { ok };
    } catch (e) {
      if (seq === ui.validateSeq) ui.validation = { err: asIpcError(e) };
    }
    if (seq === ui.validateSeq) redraw.refreshForm();
  };

  const signIn = async (input: string, promptLogin = false) => {
    ui.submitting = true;
    ui.notice = null;
    redraw.refreshForm();
    try {
      await api.beginLogin(input, promptLogin);
      ui.input = "";
      ui.validation = null;
    } catch (e) {
      const err = asIpcError(e);
      if (err.code === "bad_input") {
        ui.validation = { err };
        redraw.announce(err.message);
      } else {
        ui.notice = `${err.message} ${err.nextStep}`.trim();
        redraw.announce(ui.notice);
      }
    } finally {
      ui.submitting = false;
    }
    // The waiting screen came as an event already; this only redraws the form (cleared, or with the refusal).
    redraw.render();
  };

  const emailTyped = async (input: string) => {
    ui.emailInput = input;
    const seq = ++ui.emailSeq;
    if (!input.trim()) {
      ui.emailValidation = null;
      redraw.refreshForm();
      return;
    }
    try {
      const ok = await api.validateEmail(input);
      if (seq === ui.emailSeq) ui.emailValidation = { ok };
    } catch (e) {
      if (seq === ui.emailSeq) ui.emailValidation = { err: asIpcError(e) };
    }
    if (seq === ui.emailSeq) redraw.refreshForm();
  };

  const submitEmail = async () => {
    if (!emailSubmitEnabled(ui)) {
      // Enter on an address that did not validate starts nothing: say why (the hint under the field shows it).
      const v = ui.emailValidation;
      if (ui.submitting) return;
      redraw.announce(v && "err" in v ? v.err.message : "Type your work email, like ada@acme.example.");
      return;
    }
    ui.submitting = true;
    ui.notice = null;
    redraw.refreshForm();
    try {
      await api.beginEmailLogin(ui.emailInput);
      // Started: the waiting screen came as an event; after it (signed in, cancelled, refused) the picker shows.
      ui.emailMode = false;
      ui.emailInput = "";
      ui.emailValidation = null;
    } catch (e) {
      const err = asIpcError(e);
      if (err.code === "bad_input") {
        ui.emailValidation = { err };
        redraw.announce(err.message);
      } else {
        // Shown on the error screen, which leads back to the picker.
        ui.emailMode = false;
        ui.notice = `${err.message} ${err.nextStep}`.trim();
        redraw.announce(ui.notice);
      }
    } finally {
      ui.submitting = false;
    }
    redraw.render();
  };

  return {
    showEmail: (open) => {
      ui.emailMode = open;
      ui.notice = null;
      // The person's place: the email field when it opens, the button that opened it when they come back.
      ui.focusNext = open ? "email-input" : "email-start";
      redraw.render();
    },
    emailTyped,
    submitEmail,
    async loadDirectory(size) {
      ui.directoryAsked = size;
      try {
        const cards = await api.directory();
        ui.directoryError = null;
        if (ui.directory.set(cards)) redraw.render();
      } catch (e) {
        // Asked again only when the size changes (a failing fetch is not retried on every redraw); the sentence
        // stays where the list would be, and typing an organization's ID or name still signs in.
        const err = asIpcError(e);
        ui.directoryError = `The company's organization list could not be loaded: ${err.message} ${err.nextStep}`.trim();
        redraw.render();
      }
    },
    run,
    validate,
    signIn,
    switchOrg: (orgId) => run(() => api.switchOrg(orgId)),
    showOrgPicker: (show) => run(() => api.showOrgPicker(show)),
    setQa: (enabled) => run(() => api.setQa(enabled)),
    reopenBrowser: () => run(() => api.reopenBrowser()),
    cancelLogin: () => run(() => api.cancelLogin()),
    typed: (input) => {
      ui.input = input;
      return validate(input);
    },
    submit: async () => {
      if (submitEnabled(ui)) await signIn(ui.input);
      // Enter on an input that did not validate starts nothing: say why (the hint under the field shows it).
      else if (ui.validation && "err" in ui.validation && !ui.submitting) redraw.announce(ui.validation.err.message);
    },
    pick: (card) => {
      // Chosen: the next picker starts without a highlighted row, at the top of its list.
      ui.picker = initialFinder();
      const session = sessionFor(ui.view, card);
      return session ? run(() => api.switchOrg(session.orgId)) : signIn(card.input);
    },
    copyLink: async (url, fallback) => {
      let copied = false;
      try {
        await navigator.clipboard.writeText(url);
        copied = true;
      } catch {
        copied = fallback();
      }
      ui.notice = copied ? "Sign-in link copied. Paste it into your browser's address bar." : "Select the link below and copy it.";
      redraw.refreshNotice();
    },
    paste: async (address) => {
      let answer: string;
      try {
        await api.pasteCallback(address);
        answer = "Address accepted. Finishing the sign-in…";
      } catch (err) {
        const ipc = asIpcError(err);
        answer = `${ipc.message} ${ipc.nextStep}`;
      }
      redraw.announce(answer);
      return answer;
    },
    // The question takes the focus (its safe answer), and gives it back to Sign out when kept.
    askSignOut: () => {
      ui.confirmSignOut = true;
      ui.focusNext = "cancel-signout";
      redraw.render();
    },
    cancelSignOut: () => {
      ui.confirmSignOut = false;
      ui.focusNext = "sign-out";
      redraw.render();
    },
    setEndSso: (on) => {
      ui.endSso = on;
    },
    confirmSignOut: (orgId) => {
      ui.confirmSignOut = false;
      const endSso = ui.endSso;
      ui.endSso = false;
      return run(() => api.signOut(orgId, endSso));
    },
    loadQa: async (orgId) => {
      const seq = ++ui.qaSeq;
      ui.qaLoading = orgId;
      try {
        const qa = await api.qaDetails(orgId);
        if (seq !== ui.qaSeq) return;
        ui.qa = qa;
        ui.qaError = null;
      } catch (e) {
        if (seq !== ui.qaSeq) return;
        ui.qaError = asIpcError(e).message;
      } finally {
        if (seq === ui.qaSeq) ui.qaLoading = null;
      }
      redraw.render();
    },
    loadBilling: async (orgId) => {
      const seq = ++ui.billingSeq;
      ui.billing = { orgId, state: "loading" };
      try {
        const reply = await api.apiRequest(orgId, "GET", "invoices", null, "billing");
        if (seq !== ui.billingSeq) return;
        ui.billing = { orgId, state: "ok", body: reply.body };
      } catch (e) {
        if (seq !== ui.billingSeq) return;
        ui.billing = { orgId, state: "error", error: asIpcError(e) };
      }
      redraw.render();
    },
    openPortal: async (orgId, name) => {
      try {
        await api.openPortal(orgId, name);
        ui.notice = `Opening ${name} in your browser, signed in.`;
      } catch (e) {
        const err = asIpcError(e);
        ui.notice = `${err.message} ${err.nextStep}`.trim();
      }
      redraw.announce(ui.notice);
      redraw.render();
    },
    loadApi: async (orgId) => {
      const seq = ++ui.apiSeq;
      ui.api = { orgId, state: "loading" };
      try {
        const reply = await api.apiRequest(orgId, "GET", "projects");
        if (seq !== ui.apiSeq) return;
        ui.api = { orgId, state: "ok", body: reply.body };
      } catch (e) {
        if (seq !== ui.apiSeq) return;
        ui.api = { orgId, state: "error", error: asIpcError(e) };
      }
      redraw.render();
    },
  };
}

/** Every state change from now on, as the plugin emits it. */
export const subscribe = (show: (view: AppView) => void): Promise<UnlistenFn> => onState(show);

/** The state now: asked once at start, after subscribing; every change after that arrives as an event. */
export const loadState = (): Promise<AppView> => api.appState();
