// The TypeScript twin of the app's IPC surface (src-tauri/src/view.rs and src-tauri/src/commands.rs).
// Only view models cross this boundary: no token, code or verifier ever reaches the webview.
import { invoke } from "@tauri-apps/api/core";
import { listen, type UnlistenFn } from "@tauri-apps/api/event";

/** Error codes the UI acts on (`IpcError::code` in view.rs). */
export type ErrorCode =
  | "bad_input"
  | "cancelled"
  | "refused"
  | "timeout"
  | "keychain"
  | "network"
  | "session_ended"
  | "port_busy"
  | "clock_skew"
  | "config"
  | "busy"
  | "not_found"
  | "internal";

/** Every failed command rejects with this shape. */
export interface IpcError {
  code: ErrorCode;
  /** One sentence saying what happened. */
  message: string;
  /** One sentence saying what to do next. */
  nextStep: string;
  /** Technical detail for support (never secrets). */
  details: string;
  /** The organization input of the sign-in that failed, when it can be tried again from the error screen. */
  retry: string | null;
}

export interface Branding {
  logoUrl: string | null;
  primaryColor: string | null;
  backgroundColor: string | null;
}

/** An organization as the pickers show it (directory entry or recent). */
export interface OrgCard {
  /** What to sign in with: an org ID or name. */
  input: string;
  id: string | null;
  name: string | null;
  displayName: string;
  branding: Branding;
}

export interface RecentOrg extends OrgCard {
  /** RFC 3339. */
  lastSignedIn: string;
  signedIn: boolean;
}

export type SessionStatus = "active" | "refreshing" | "offline" | "expired";

export interface SessionView {
  orgId: string;
  orgName: string | null;
  orgDisplayName: string;
  branding: Branding;
  sub: string;
  name: string | null;
  email: string | null;
  picture: string | null;
  /** RFC 3339: when the access token expires (it is refreshed in the background). */
  expiresAt: string;
  status: SessionStatus;
  /** A sentence explaining a non-active status. */
  statusNote: string | null;
}

export type LoginStage = "starting" | "waiting" | "exchanging" | "done";

export interface PendingView {
  /** Display name (or ID/name) of the organization being signed into. */
  orgLabel: string;
  input: string;
  branding: Branding;
  /** The authorize URL the browser was sent to (public: carries no secret). */
  authorizeUrl: string | null;
  promptLogin: boolean;
  stage: LoginStage;
  /** Whether the browser could be opened; false means: use "Copy sign-in link". */
  browserOpened: boolean;
}

export interface AppView {
  issuer: string;
  clientId: string;
  qa: boolean;
  directory: OrgCard[];
  recent: RecentOrg[];
  sessions: SessionView[];
  /** Org ID of the session the window shows, if any. */
  active: string | null;
  pending: PendingView | null;
  /** The last failed sign-in, shown as the error screen until dismissed. */
  lastError: IpcError | null;
  /** Org input handed over by a deep link or a second launch; the picker pre-fills it. */
  prefill: string | null;
  /** The picker was asked for explicitly (Switch organization) although sessions exist. */
  picking: boolean;
}

export type OrgInputKind = "id" | "name" | "invitation";

export interface OrgInputView {
  kind: OrgInputKind;
  organization: string;
  hasInvitation: boolean;
  /** Short human description, e.g. "Invitation to acme". */
  summary: string;
}

export interface QaView {
  orgId: string;
  /** Verified ID-token claims, as JSON text values (no raw tokens). */
  claims: [string, string][];
  /** The authorize parameters sent for this session's sign-in (state and PKCE challenge shown, nothing secret). */
  authorizeParams: [string, string][];
  /** Each setting in force, "value — where it came from" (system file, user file, environment, flag, default). */
  settings: [string, string][];
}

/** Reject value of every command: normalise whatever came back into an IpcError. */
export function asIpcError(e: unknown): IpcError {
  if (e && typeof e === "object" && "code" in e && "message" in e) {
    const o = e as Partial<IpcError>;
    return {
      code: (o.code ?? "internal") as ErrorCode,
      message: String(o.message ?? "Something went wrong."),
      nextStep: String(o.nextStep ?? ""),
      details: String(o.details ?? ""),
      retry: typeof o.retry === "string" ? o.retry : null,
    };
  }
  return { code: "internal", message: "Something went wrong inside Orgpass.", nextStep: "Try again.", details: String(e), retry: null };
}

async function call<T>(cmd: string, args?: Record<string, unknown>): Promise<T> {
  try {
    return await invoke<T>(cmd, args);
  } catch (e) {
    throw asIpcError(e);
  }
}

export const api = {
  appState: () => call<AppView>("app_state"),
  validateOrg: (input: string) => call<OrgInputView>("validate_org", { input }),
  beginLogin: (input: string, promptLogin: boolean) => call<PendingView>("begin_login", { input, promptLogin }),
  cancelLogin: () => call<AppView>("cancel_login"),
  reopenBrowser: () => call<void>("reopen_browser"),
  /** The address a browser on another computer ended on; the outcome arrives as a state event. */
  pasteCallback: (address: string) => call<void>("paste_callback", { address }),
  switchOrg: (orgId: string) => call<AppView>("switch_org", { orgId }),
  showOrgPicker: (show: boolean) => call<AppView>("show_org_picker", { show }),
  signOut: (orgId: string, endSso: boolean) => call<AppView>("sign_out", { orgId, endSso }),
  qaDetails: (orgId: string) => call<QaView>("qa_details", { orgId }),
  setQa: (enabled: boolean) => call<AppView>("set_qa", { enabled }),
};

/** Event names emitted by the Rust side (src-tauri/src/events.rs). */
export const EVENT_STATE = "orgpass://state";

export function onState(handler: (view: AppView) => void): Promise<UnlistenFn> {
  return listen<AppView>(EVENT_STATE, (e) => handler(e.payload));
}
