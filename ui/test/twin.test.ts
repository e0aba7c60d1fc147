// The TypeScript twins (tauri-plugin-orgpass-api) against the Rust view models: the plugin's test writes every view
// model with every optional field set to guest-js/twin.json; here a literal of each TypeScript type (complete, or tsc
// refuses it) must have exactly the same keys, nested, and the same enum values where Rust picked one.
import { describe, expect, it } from "vitest";
import type { ApiReply, AppView, EmailInputView, OrgCard, OrgInputView, QaView } from "tauri-plugin-orgpass-api";
import twin from "../../crates/tauri-plugin-orgpass/guest-js/twin.json";

const rust = twin as Record<string, unknown>;

/** The shape of a JSON value: objects by their sorted keys (recursively), arrays by their first item. */
function shape(value: unknown): unknown {
  if (Array.isArray(value)) return value.length ? [shape(value[0])] : [];
  if (value && typeof value === "object") {
    return Object.fromEntries(
      Object.keys(value)
        .sort()
        .map((k) => [k, shape((value as Record<string, unknown>)[k])]),
    );
  }
  return typeof value;
}

const branding = { logoUrl: "u", primaryColor: "#d9480f", backgroundColor: "#fff4e6" };
const card: OrgCard = { input: "i", id: "i", name: "acme", displayName: "Acme", branding };
const appView: AppView = {
  version: "0.1.0",
  issuer: "https://acme.eu.auth0.com/",
  clientId: "cid",
  qa: true,
  qaLocked: false,
  directorySize: 1,
  recent: [{ ...card, lastSignedIn: "t", signedIn: true, foundByEmail: true }],
  sessions: [
    {
      orgId: "o",
      orgName: "acme",
      orgDisplayName: "Acme",
      branding,
      sub: "s",
      name: "n",
      email: "e",
      picture: "p",
      expiresAt: "t",
      status: "active",
      statusNote: "note",
      foundByEmail: true,
    },
  ],
  active: "o",
  pending: {
    orgLabel: "Acme",
    input: "acme",
    branding,
    authorizeUrl: "u",
    promptLogin: true,
    stage: "waiting",
    browserOpened: true,
    email: "ada@acme.example",
  },
  lastError: { code: "refused", message: "m", nextStep: "n", details: "d", retry: "acme" },
  prefill: "acme",
  picking: true,
  apiUrl: "https://api.acme.example/",
  apis: ["billing"],
  portals: ["portal"],
};
const orgInputView: OrgInputView = { kind: "invitation", organization: "o", hasInvitation: true, summary: "s" };
const emailInputView: EmailInputView = { address: "a", domain: "d", summary: "s" };
const qaView: QaView = { orgId: "o", claims: [["k", "v"]], accessClaims: [["k", "v"]], accessNote: "n", dpopJkt: "j", authorizeParams: [["k", "v"]], settings: [["k", "v"]] };
const apiReply: ApiReply = { status: 200, body: { projects: [] } };

describe("the TypeScript twins match the Rust view models", () => {
  it.each([
    ["appView", appView],
    ["orgCard", card],
    ["orgInputView", orgInputView],
    ["emailInputView", emailInputView],
    ["qaView", qaView],
    ["apiReply", apiReply],
  ] as const)("%s has the same keys, nested, as the Rust side serializes", (name, twin) => {
    expect(shape(twin)).toEqual(shape(rust[name]));
  });

  it("the enum values Rust wrote are values of the TypeScript unions", () => {
    const view = rust.appView as AppView;
    const statuses: AppView["sessions"][number]["status"][] = ["active", "refreshing", "offline", "expired"];
    const stages: NonNullable<AppView["pending"]>["stage"][] = ["starting", "waiting", "exchanging", "done"];
    expect(statuses).toContain(view.sessions[0].status);
    expect(stages).toContain(view.pending!.stage);
    expect(["id", "name", "invitation"]).toContain((rust.orgInputView as OrgInputView).kind);
  });
});
