// Test fixtures: AppView builders shaped like the plugin's view models, a faked plugin (mockIPC from
// @tauri-apps/api/mocks, events included) that records every command, and a window mounted into the document.
import { clearMocks, mockIPC } from "@tauri-apps/api/mocks";
import { emit } from "@tauri-apps/api/event";
import type { InvokeArgs } from "@tauri-apps/api/core";
import type { AppView, IpcError, OrgCard, PendingView, QaView, RecentOrg, SessionView } from "tauri-plugin-orgpass-api";
import { createApp, type App } from "../src/render";

export const ACME = "org_AcmeA1b2C3d4E5f6";
export const GLOBEX = "org_GlobexG7h8I9j0K1";
export const INITECH = "org_InitechL2m3N4o5p";

const noBranding = { logoUrl: null, primaryColor: null, backgroundColor: null };

export function card(id: string, name: string, displayName: string): OrgCard {
  return { input: id, id, name, displayName, branding: { ...noBranding, primaryColor: "#d9480f" } };
}

export function recent(c: OrgCard, signedIn = false, foundByEmail = false): RecentOrg {
  return { ...c, lastSignedIn: new Date(Date.now() - 3600_000).toISOString(), signedIn, foundByEmail };
}

export function session(orgId: string, orgName: string, orgDisplayName: string, more: Partial<SessionView> = {}): SessionView {
  return {
    orgId,
    orgName,
    orgDisplayName,
    branding: noBranding,
    sub: "auth0|alice",
    name: "Alice Anders",
    email: "alice@example.com",
    picture: null,
    expiresAt: new Date(Date.now() + 3600_000).toISOString(),
    status: "active",
    statusNote: null,
    foundByEmail: false,
    ...more,
  };
}

export function pending(more: Partial<PendingView> = {}): PendingView {
  return {
    orgLabel: "Acme Corporation",
    input: "acme",
    branding: noBranding,
    authorizeUrl: "https://login.example/authorize?organization=acme&code_challenge_method=S256",
    promptLogin: false,
    stage: "waiting",
    browserOpened: true,
    email: null,
    ...more,
  };
}

export function ipcError(more: Partial<IpcError> = {}): IpcError {
  return { code: "internal", message: "Something went wrong.", nextStep: "Try again.", details: "", retry: null, ...more };
}

/** The demo directory (Acme, Globex, Initech): what the faked plugin's `directory` command answers by default. */
export const demoDirectory: OrgCard[] = [
  card(ACME, "acme", "Acme Corporation"),
  card(GLOBEX, "globex", "Globex Industries"),
  card(INITECH, "initech", "Initech"),
];

/** The picker's view: no session, the demo directory's size (its cards come from the `directory` command). */
export function pickerView(more: Partial<AppView> = {}): AppView {
  return {
    version: "1.2.3",
    issuer: "https://login.example/",
    clientId: "orgpass-desktop",
    qa: false,
    qaLocked: false,
    directorySize: demoDirectory.length,
    recent: [],
    sessions: [],
    active: null,
    pending: null,
    lastError: null,
    prefill: null,
    picking: false,
    apiUrl: null,
    apis: [],
    portals: [],
    ...more,
  };
}

/** Signed in to Acme (shown) and optionally more organizations. */
export function signedInView(more: Partial<AppView> = {}): AppView {
  return pickerView({ sessions: [session(ACME, "acme", "Acme Corporation")], active: ACME, ...more });
}

export const acmeQa: QaView = {
  orgId: ACME,
  claims: [
    ["org_id", `"${ACME}"`],
    ["email", '"alice@example.com"'],
  ],
  accessClaims: [
    ["aud", '["https://api.orgpass.example/"]'],
    ["scope", '"openid read:projects"'],
  ],
  accessNote: null,
  dpopJkt: null,
  authorizeParams: [
    ["organization", "acme"],
    ["code_challenge_method", "S256"],
  ],
  settings: [["issuer", "https://login.example/ — default"]],
};

export interface Call {
  cmd: string;
  args: InvokeArgs | undefined;
}

type Handler = (args: Record<string, unknown>) => unknown;

/**
 * Fake the Orgpass plugin: `handlers` answers its commands by name (`app_state`, `validate_org`, …); a handler that
 * throws makes the command reject with that value. `directory` answers the demo directory unless a handler says
 * otherwise; other commands without a handler resolve to nothing. Returns the commands called, in order (state
 * events travel through the mocked event plugin and are not listed).
 */
export function fakePlugin(given: Record<string, Handler> = {}): Call[] {
  const handlers: Record<string, Handler> = { directory: () => demoDirectory, ...given };
  const calls: Call[] = [];
  mockIPC(
    (cmd, args) => {
      calls.push({ cmd, args });
      const prefix = "plugin:orgpass|";
      if (!cmd.startsWith(prefix)) throw new Error(`unexpected IPC ${cmd}`);
      const handler = handlers[cmd.slice(prefix.length)];
      return handler ? handler((args ?? {}) as Record<string, unknown>) : null;
    },
    { shouldMockEvents: true },
  );
  return calls;
}

/** The plugin emits a new state. */
export async function emitState(view: AppView) {
  await emit("orgpass://state", view);
  await settle();
}

/** Let every pending promise (mocked commands answer asynchronously) run. */
export function settle(): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, 0));
}

let mounted: App[] = [];

/** A window drawn into a fresh #app in the document. */
export function mount(): { app: App; root: HTMLElement } {
  const root = document.createElement("div");
  root.id = "app";
  document.body.append(root);
  const app = createApp(root);
  mounted.push(app);
  return { app, root };
}

export function unmountAll() {
  for (const app of mounted) app.stop();
  mounted = [];
  clearMocks();
  document.body.replaceChildren();
  delete document.body.dataset.ready;
}

/** The element with a data-testid, or a failed test. */
export function byTestId(root: ParentNode, id: string): HTMLElement {
  const el = root.querySelector<HTMLElement>(`[data-testid="${id}"]`);
  if (!el) throw new Error(`no [data-testid="${id}"] in ${(root as Element).outerHTML ?? "document"}`);
  return el;
}

export function screenOf(root: ParentNode): string | undefined {
  return root.querySelector<HTMLElement>("main")?.dataset.screen;
}

/** Type into a field as a person does: set its value and fire `input`. */
export function type(field: HTMLInputElement, text: string) {
  field.value = text;
  field.dispatchEvent(new Event("input", { bubbles: true }));
}

export const only = (calls: Call[], cmd: string) => calls.filter((c) => c.cmd === `plugin:orgpass|${cmd}`);

/** The commands called besides the start's two (`app_state`, then `directory`): what the person's actions caused. */
export const afterStart = (calls: Call[]) =>
  calls.filter((c) => c.cmd !== "plugin:orgpass|app_state" && c.cmd !== "plugin:orgpass|directory");
