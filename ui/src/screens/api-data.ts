// The organization's data from the company's API on the signed-in screen (the demo API's projects): fetched by the
// plugin with the session's token on the Rust side, so the window only ever sees the answer. Pure: built from what
// the render loop fetched into the window's state.
import type { SessionView } from "tauri-plugin-orgpass-api";
import type { Actions } from "../actions";
import { h } from "../dom";
import type { ApiData, UiState } from "../state";

/** A project as the demo API lists it (`GET projects` → `{ projects: [{ id, name, owner }] }`). */
interface Project {
  id?: string;
  name: string;
  owner?: string;
}

/** The projects in a reply body, or null when the body is not that shape (then it is shown as JSON). */
export function projectsOf(body: unknown): Project[] | null {
  const list = Array.isArray(body) ? body : (body as { projects?: unknown } | null)?.projects;
  if (!Array.isArray(list)) return null;
  return list.every((p) => p && typeof p === "object" && typeof (p as Project).name === "string") ? (list as Project[]) : null;
}

/** An invoice as the demo billing API lists it (`GET invoices` → `{ invoices: [{ id, period, amount_cents, status }] }`). */
interface Invoice {
  id: string;
  period: string;
  amount_cents: number;
  status: string;
}

/** The invoices in a reply body, or null when the body is not that shape (then it is shown as JSON). */
export function invoicesOf(body: unknown): Invoice[] | null {
  const list = (body as { invoices?: unknown } | null)?.invoices;
  if (!Array.isArray(list)) return null;
  const ok = list.every((i) => i && typeof i === "object" && typeof (i as Invoice).id === "string" && typeof (i as Invoice).amount_cents === "number");
  return ok ? (list as Invoice[]) : null;
}

/** Whether the billing data shown is for another session (or none yet). */
export function billingMissing(ui: UiState, s: SessionView): boolean {
  return !ui.billing || ui.billing.orgId !== s.orgId;
}

/** The "Invoices" section: the billing API's answer for the organization shown, with a token for that API that
 * came from the same sign-in. */
export function billingSection(s: SessionView, ui: UiState, actions: Actions): HTMLElement {
  const data: ApiData = billingMissing(ui, s) ? { orgId: s.orgId, state: "loading" } : ui.billing!;
  let body: HTMLElement;
  if (data.state === "loading") body = h("p", { class: "muted", "data-testid": "billing-loading" }, "Loading…");
  else if (data.state === "error") {
    body = h(
      "div",
      { class: "notice notice-offline", "data-testid": "billing-error", "data-code": data.error.code },
      h("p", {}, data.error.message),
      h("p", {}, data.error.nextStep),
      h("button", { "data-testid": "billing-retry", onclick: () => void actions.loadBilling(s.orgId) }, "Try again"),
    );
  } else {
    const invoices = invoicesOf(data.body);
    body = !invoices
      ? h("pre", { class: "mono", "data-testid": "billing-json" }, JSON.stringify(data.body, null, 2))
      : !invoices.length
        ? h("p", { class: "muted", "data-testid": "billing-empty" }, "No invoices.")
        : h(
            "ul",
            { class: "project-list", "data-testid": "invoice-list" },
            invoices.map((i) =>
              h(
                "li",
                { class: "project", "data-testid": "invoice" },
                h("span", { class: "project-name" }, `${i.period}: ${(i.amount_cents / 100).toFixed(2)}`),
                h("span", { class: "project-owner muted" }, i.status),
              ),
            ),
          );
  }
  return h(
    "section",
    { class: "api-data", "data-testid": "billing-data", "data-org": s.orgId },
    h("h2", {}, `${s.orgDisplayName} invoices`),
    h("p", { class: "muted" }, "From your company's billing API, with a token from the same sign-in."),
    body,
  );
}

/** Buttons that open the company's web apps in the browser, already signed in to the organization shown. */
export function portalButtons(s: SessionView, portals: string[], actions: Actions): HTMLElement | null {
  if (!portals.length) return null;
  return h(
    "section",
    { class: "portals", "data-testid": "portals" },
    h("h2", {}, "Web apps"),
    ...portals.map((name) =>
      h(
        "button",
        { "data-testid": `open-portal-${name}`, onclick: () => void actions.openPortal(s.orgId, name) },
        `Open ${s.orgDisplayName} ${name}`,
      ),
    ),
  );
}

/** Whether the data shown is for another session (or none yet): then the render loop fetches it. */
export function apiMissing(ui: UiState, s: SessionView): boolean {
  return !ui.api || ui.api.orgId !== s.orgId;
}

function content(data: ApiData, s: SessionView, actions: Actions): HTMLElement {
  if (data.state === "loading") return h("p", { class: "muted", "data-testid": "api-loading" }, "Loading…");
  if (data.state === "error") {
    return h(
      "div",
      { class: "notice notice-offline", "data-testid": "api-error", "data-code": data.error.code },
      h("p", {}, data.error.message),
      h("p", {}, data.error.nextStep),
      h("button", { "data-testid": "api-retry", onclick: () => void actions.loadApi(s.orgId) }, "Try again"),
    );
  }
  const projects = projectsOf(data.body);
  if (!projects) return h("pre", { class: "mono", "data-testid": "api-json" }, JSON.stringify(data.body, null, 2));
  if (!projects.length) return h("p", { class: "muted", "data-testid": "api-empty" }, "No projects yet.");
  return h(
    "ul",
    { class: "project-list", "data-testid": "project-list" },
    projects.map((p) =>
      h(
        "li",
        { class: "project", "data-testid": "project" },
        h("span", { class: "project-name" }, p.name),
        p.owner === s.sub ? h("span", { class: "project-owner muted", "data-testid": "project-yours" }, "yours") : null,
      ),
    ),
  );
}

/** The "Projects" section: what the API answered for the organization shown, or why it could not. */
export function apiSection(s: SessionView, ui: UiState, actions: Actions): HTMLElement {
  const data: ApiData = apiMissing(ui, s) ? { orgId: s.orgId, state: "loading" } : ui.api!;
  return h(
    "section",
    { class: "api-data", "data-testid": "api-data", "data-org": s.orgId },
    h("h2", {}, `${s.orgDisplayName} projects`),
    h("p", { class: "muted" }, "From your company's API, with this session's access token (it never reaches this window)."),
    content(data, s, actions),
  );
}
