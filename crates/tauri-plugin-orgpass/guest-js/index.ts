// tauri-plugin-orgpass-api: typed bindings for the Orgpass plugin's commands and its state event.
//
// The types are the twins of the plugin's view models (crates/tauri-plugin-orgpass/src/view.rs); only view models
// cross: no token, code or verifier ever reaches the webview. State-changing commands resolve to nothing: the new
// state arrives as the `orgpass://state` event (subscribe with `onState`), so there is one way the window learns it.
import { invoke } from "@tauri-apps/api/core";
import { listen, type UnlistenFn } from "@tauri-apps/api/event";

/** Error codes the UI acts on (`ErrorCode` in src/view.rs). */
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
  | "api_refused"
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
  /** The tenant found this organization by the person's work email: the picker offers it first. */
  foundByEmail: boolean;
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
  /** The sign-in named no organization: the tenant found it by the person's work email. */
  foundByEmail: boolean;
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
  /** The work email the tenant finds the organization by ("Continue with your work email"); null when one is named. */
  email: string | null;
}

export interface AppView {
  /** The app's version, shown in the picker's footer. */
  version: string;
  issuer: string;
  clientId: string;
  qa: boolean;
  /** IT locked the QA view on or off: no switch is shown, and `setQa` refuses a change. */
  qaLocked: boolean;
  /** How many organizations the company directory lists; fetch them once with `directory()`. */
  directorySize: number;
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
  /** The company's API that `apiRequest` reaches (the configured `api_url`), if any. */
  apiUrl: string | null;
  /** The company's other APIs `apiRequest` can name (`[[apis]]` with a `url`); their tokens come from the same
   * sign-in. */
  apis: string[];
  /** The company's web apps `openPortal` opens signed in (`[[portals]]`). */
  portals: string[];
}

export type OrgInputKind = "id" | "name" | "invitation";

export interface OrgInputView {
  kind: OrgInputKind;
  organization: string;
  hasInvitation: boolean;
  /** Short human description, e.g. "Invitation to acme". */
  summary: string;
}

/** A work email, validated as typed: the tenant finds the organization by its domain. */
export interface EmailInputView {
  /** The address as it will be sent (as `login_hint`), trimmed. */
  address: string;
  /** Its domain, lower case. */
  domain: string;
  summary: string;
}

export interface QaView {
  orgId: string;
  /** Verified ID-token claims, as JSON text values (no raw tokens). */
  claims: [string, string][];
  /** The access token's claims, verified as the company's API verifies them (never the token itself). */
  accessClaims: [string, string][];
  /** Why accessClaims is empty: no API audience configured, or the check the API would refuse the token on. */
  accessNote: string | null;
  /** The thumbprint of the key the session is bound to (DPoP), or null for a bearer session. */
  dpopJkt: string | null;
  /** The authorize parameters sent for this session's sign-in (state and PKCE challenge shown, nothing secret). */
  authorizeParams: [string, string][];
  /** Each setting in force, "value — where it came from" (system file, user file, environment, flag, default). */
  settings: [string, string][];
}

/** The company's API's 2xx answer to `apiRequest`: the parsed JSON body (or the text, when it is not JSON). */
export interface ApiReply {
  status: number;
  body: unknown;
}

export type ApiMethod = "GET" | "POST" | "PUT" | "PATCH" | "DELETE";

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
    return await invoke<T>(`plugin:orgpass|${cmd}`, args);
  } catch (e) {
    throw asIpcError(e);
  }
}

/** The state now (the window asks once at start; every later change arrives through `onState`). */
export const appState = () => call<AppView>("app_state");
/**
 * The company directory's organizations, in configured order. The directory is fixed for the app's run: fetch it
 * once (the state pushed on every change carries only `directorySize`, so thousands of entries cross once).
 */
export const directory = () => call<OrgCard[]>("directory");
/** Check organization input as it is typed: an ID, a name or an invitation link. */
export const validateOrg = (input: string) => call<OrgInputView>("validate_org", { input });
/** Start signing in; resolves once the browser was asked to open (the pending sign-in arrives as state). */
export const beginLogin = (input: string, promptLogin = false) => call<void>("begin_login", { input, promptLogin });
/** Check a work email as it is typed (the engine's own check: what passes here is what the sign-in sends). */
export const validateEmail = (input: string) => call<EmailInputView>("validate_email", { input });
/**
 * Start a sign-in that names no organization: the tenant finds it by the work email (sent as `login_hint`), and the
 * organization it chose arrives with the session (`foundByEmail`). Resolves once the browser was asked to open.
 */
export const beginEmailLogin = (email: string) => call<void>("begin_email_login", { email });
export const cancelLogin = () => call<void>("cancel_login");
export const reopenBrowser = () => call<void>("reopen_browser");
/** The address a browser on another computer ended on; the outcome arrives as state. */
export const pasteCallback = (address: string) => call<void>("paste_callback", { address });
/** Show another signed-in organization (no browser). */
export const switchOrg = (orgId: string) => call<void>("switch_org", { orgId });
export const showOrgPicker = (show: boolean) => call<void>("show_org_picker", { show });
/** Sign out of one organization; `endSso` also ends the browser's single sign-on session. */
export const signOut = (orgId: string, endSso = false) => call<void>("sign_out", { orgId, endSso });
/** Verified claims and sent authorize parameters of one session (QA view). No token crosses. */
export const qaDetails = (orgId: string) => call<QaView>("qa_details", { orgId });
export const setQa = (enabled: boolean) => call<void>("set_qa", { enabled });
/**
 * Call the company's API (`apiUrl`) for a signed-in organization: the Rust side attaches that session's access token
 * (refreshed as needed) and returns the answer; the token never reaches the window. `path` is relative to `apiUrl`.
 * A non-2xx answer, no network or an ended session rejects with an IpcError (`api_refused`, `network`,
 * `session_ended`) whose message and next step can be shown as they are.
 */
export const apiRequest = (orgId: string, method: ApiMethod, path: string, body?: unknown, api?: string) =>
  call<ApiReply>("api_request", { orgId, method, path, body: body ?? null, api: api ?? null });

/**
 * Open one of the company's web apps (`portals`) in the browser, signed in to the organization (Native to Web SSO).
 * Resolves once the browser was asked to open; the session transfer token never reaches the window.
 */
export const openPortal = (orgId: string, name: string) => call<void>("open_portal", { orgId, name });

/** The event the plugin emits with a fresh AppView whenever anything changes (`EVENT_STATE` in src/lib.rs). */
export const EVENT_STATE = "orgpass://state";

export function onState(handler: (view: AppView) => void): Promise<UnlistenFn> {
  return listen<AppView>(EVENT_STATE, (e) => handler(e.payload));
}
