// Unit tests of the screens as pure functions: each is drawn from an AppView and the window's state, with the
// plugin faked so that any command a screen called while being drawn would be seen.
import { afterEach, describe, expect, test } from "vitest";
import { createActions, type Actions } from "../src/actions";
import { fromNow } from "../src/dom";
import { screenFor } from "../src/render";
import { header } from "../src/screens/header";
import { pickerScreen } from "../src/screens/picker";
import { initialUi, type UiState } from "../src/state";
import {
  ACME,
  GLOBEX,
  INITECH,
  acmeQa,
  byTestId,
  card,
  demoDirectory,
  fakePlugin,
  ipcError,
  pending,
  pickerView,
  recent,
  session,
  settle,
  signedInView,
  unmountAll,
} from "./fixtures";

afterEach(unmountAll);

/** The window's state with the demo directory handed over (the render loop fetches it once). */
function setup(): { ui: UiState; actions: Actions } {
  const ui = initialUi();
  ui.directory.set(demoDirectory);
  const actions = createActions(ui, { render() {}, refreshForm() {}, refreshNotice() {}, announce() {} });
  return { ui, actions };
}

describe("picker", () => {
  test("lists the directory cards by data-testid with their display names and IDs", () => {
    const { ui, actions } = setup();
    const screen = pickerScreen(pickerView(), ui, actions);
    expect(screen.dataset.screen).toBe("picker");
    const list = byTestId(screen, "directory-list");
    const items = Array.from(list.querySelectorAll<HTMLButtonElement>("button.org-item"));
    expect(items.map((b) => b.dataset.testid)).toEqual([`directory-${ACME}`, `directory-${GLOBEX}`, `directory-${INITECH}`]);
    expect(items.map((b) => b.dataset.org)).toEqual([ACME, GLOBEX, INITECH]);
    expect(items.map((b) => b.querySelector(".org-name")!.textContent)).toEqual(["Acme Corporation", "Globex Industries", "Initech"]);
    expect(items[0].querySelector(".org-meta")!.textContent).toBe(ACME);
    expect(items[0].style.getPropertyValue("--brand")).toBe("#d9480f");
    // No recent organizations: no Recent section.
    expect(Array.from(screen.querySelectorAll("h2")).map((e) => e.textContent)).toEqual(["Your company's organizations"]);
  });

  test("the footer shows the identity provider and 'Orgpass <version>' in app-version", () => {
    const { ui, actions } = setup();
    const screen = pickerScreen(pickerView({ version: "0.4.2" }), ui, actions);
    expect(byTestId(screen, "app-version").textContent).toBe("Orgpass 0.4.2");
    expect(screen.querySelector("footer")!.textContent).toBe("Identity provider: https://login.example/ · Orgpass 0.4.2");
  });

  test("recent organizations carry a Signed in badge when signed in; an empty field shows the example hint", () => {
    const { ui, actions } = setup();
    const globex = card(GLOBEX, "globex", "Globex Industries");
    const last = recent(globex, true);
    const view = pickerView({ recent: [last], sessions: [session(GLOBEX, "globex", "Globex Industries")] });
    const screen = pickerScreen(view, ui, actions);
    const item = byTestId(screen, `recent-${GLOBEX}`);
    expect(item.querySelector(".badge")!.textContent).toBe("Signed in");
    expect(item.querySelector(".org-meta")!.textContent).toBe(`${GLOBEX} · last signed in ${fromNow(last.lastSignedIn)}`);
    expect(byTestId(screen, `directory-${GLOBEX}`).querySelector(".badge")!.textContent).toBe("Signed in");
    expect(byTestId(screen, `directory-${ACME}`).querySelector(".badge")).toBeNull();
    expect(byTestId(screen, "org-hint").textContent).toBe("For example org_8hXk2pQz7RmT4vWn, acme, or an invitation link from your email.");
    expect((byTestId(screen, "continue") as HTMLButtonElement).disabled).toBe(true);
  });
});

describe("other screens", () => {
  test("an error view renders the error screen with its message, next step, retry and support details", () => {
    const { ui, actions } = setup();
    const err = ipcError({
      code: "refused",
      message: "You are not a member of Initech.",
      nextStep: "Ask your administrator for an invitation, or sign in as someone else.",
      details: "access_denied: user is not a member",
      retry: "initech",
    });
    const screen = screenFor(pickerView({ lastError: err }), ui, actions);
    expect(screen.dataset.screen).toBe("error");
    expect(screen.dataset.code).toBe("refused");
    expect(byTestId(screen, "error-message").textContent).toBe("You are not a member of Initech.");
    expect(byTestId(screen, "error-next").textContent).toBe("Ask your administrator for an invitation, or sign in as someone else.");
    expect(byTestId(screen, "error-retry").textContent).toBe("Sign in as someone else");
    expect(byTestId(screen, "error-back").hasAttribute("autofocus")).toBe(true);
    expect(byTestId(screen, "error-details").textContent).toBe("code: refused\naccess_denied: user is not a member");
  });

  test("an error without a retry input has no retry button and, without details, no support section", () => {
    const { ui, actions } = setup();
    const screen = screenFor(pickerView({ lastError: ipcError({ code: "timeout", message: "Sign-in timed out." }) }), ui, actions);
    expect(screen.querySelector("[data-testid='error-retry']")).toBeNull();
    expect(screen.querySelector(".support")).toBeNull();
  });

  test("a pending sign-in renders the waiting screen; the paste form only while waiting for the browser", () => {
    const { ui, actions } = setup();
    const waiting = screenFor(signedInView({ pending: pending() }), ui, actions);
    expect(waiting.dataset.screen).toBe("waiting");
    expect(byTestId(waiting, "waiting-org").textContent).toBe("Acme Corporation");
    expect(byTestId(waiting, "waiting-stage").textContent).toBe("Continue in your browser to finish signing in. This window updates by itself.");
    expect((byTestId(waiting, "signin-link") as HTMLInputElement).value).toBe(pending().authorizeUrl);
    byTestId(waiting, "paste-details");

    const noBrowser = screenFor(pickerView({ pending: pending({ browserOpened: false }) }), ui, actions);
    expect(byTestId(noBrowser, "waiting-stage").textContent).toBe("No browser opened. Copy the sign-in link and open it in your browser.");

    const exchanging = screenFor(pickerView({ pending: pending({ stage: "exchanging", authorizeUrl: null }) }), ui, actions);
    expect(byTestId(exchanging, "waiting-stage").textContent).toBe("Signed in at the identity provider. Checking the result…");
    expect(exchanging.querySelector("[data-testid='paste-details']")).toBeNull();
    expect((byTestId(exchanging, "copy-link") as HTMLButtonElement).disabled).toBe(true);
  });

  test("the signed-in screen shows the organization, the person, the status and the other sessions", () => {
    const { ui, actions } = setup();
    const globex = session(GLOBEX, "globex", "Globex Industries", { email: null, sub: "auth0|bob", name: "Bob Berg" });
    const view = signedInView({ sessions: [session(ACME, "acme", "Acme Corporation", { status: "offline", statusNote: "No network." }), globex] });
    const screen = screenFor(view, ui, actions);
    expect(screen.dataset.screen).toBe("signed-in");
    expect(byTestId(screen, "org-display-name").textContent).toBe("Acme Corporation");
    expect(byTestId(screen, "org-id").textContent).toBe(`${ACME} · acme`);
    expect(byTestId(screen, "person-name").textContent).toBe("Alice Anders");
    expect(byTestId(screen, "person-email").textContent).toBe("alice@example.com");
    expect(byTestId(screen, "session-status").textContent).toBe("Offline");
    expect(byTestId(screen, "session-status").dataset.status).toBe("offline");
    expect(byTestId(screen, "status-note").textContent).toBe("No network.");
    expect(byTestId(screen, `other-session-${GLOBEX}`).querySelector(".org-meta")!.textContent).toBe("auth0|bob");
    expect(screen.querySelector("[data-testid='qa-panel']")).toBeNull();
    expect(screen.querySelector("[data-testid='signout-dialog']")).toBeNull();
  });

  test("the QA panel shows Loading… until its details are there, then the claims, parameters and settings", () => {
    const { ui, actions } = setup();
    const view = signedInView({ qa: true });
    const loading = screenFor(view, ui, actions);
    const panel = byTestId(loading, "qa-panel");
    expect(panel.querySelector("p.fine")!.textContent).toBe("Loading…");
    expect(panel.querySelector("[data-testid='qa-claims']")).toBeNull();
    expect(byTestId(panel, `qa-switch-${GLOBEX}`).textContent).toBe("GIGlobex Industries");

    ui.qa = acmeQa;
    const loaded = byTestId(screenFor(view, ui, actions), "qa-panel");
    const rows = (id: string) => Array.from(byTestId(loaded, id).querySelectorAll("tr")).map((tr) => [tr.children[0].textContent, tr.children[1].textContent]);
    expect(rows("qa-claims")).toEqual(acmeQa.claims);
    expect(rows("qa-access-claims")).toEqual(acmeQa.accessClaims);
    expect(rows("qa-params")).toEqual(acmeQa.authorizeParams);
    expect(rows("qa-settings")).toEqual(acmeQa.settings);

    // Another organization's details are not shown as this one's.
    ui.qa = { ...acmeQa, orgId: GLOBEX };
    expect(byTestId(screenFor(view, ui, actions), "qa-panel").querySelector("[data-testid='qa-claims']")).toBeNull();
  });

  test("the header has one chip per session (the one shown is active) and the QA switch", () => {
    const { actions } = setup();
    const view = signedInView({ qa: true, sessions: [session(ACME, "acme", "Acme Corporation"), session(GLOBEX, "globex", "Globex Industries", { status: "expired" })] });
    const bar = header(view, actions);
    const chips = Array.from(bar.querySelectorAll<HTMLElement>(".chip"));
    expect(chips.map((c) => [c.dataset.testid, c.classList.contains("chip-active"), c.querySelector(".chip-label")!.textContent])).toEqual([
      [`session-chip-${ACME}`, true, "Acme Corporation"],
      [`session-chip-${GLOBEX}`, false, "Globex Industries"],
    ]);
    expect(chips[1].querySelector(".dot-expired")).not.toBeNull();
    expect((byTestId(bar, "qa-toggle") as HTMLInputElement).checked).toBe(true);
    expect(header({ ...view, picking: true }, actions).querySelector(".chip-active")).toBeNull();
  });

  test("a QA view IT locked has no switch to flip", () => {
    const { actions } = setup();
    const bar = header(signedInView({ qa: false, qaLocked: true }), actions);
    expect(bar.querySelector("[data-testid='qa-toggle']")).toBeNull();
    expect(bar.querySelector(".qa-switch")).toBeNull();
  });
});

test("drawing any screen calls no plugin command, and the same view draws the same elements", async () => {
  const calls = fakePlugin();
  const { ui, actions } = setup();
  const views = [
    pickerView(),
    pickerView({ pending: pending() }),
    pickerView({ lastError: ipcError({ retry: "acme", details: "x" }) }),
    signedInView(),
    signedInView({ qa: true }),
  ];
  for (const view of views) {
    const first = screenFor(view, ui, actions).outerHTML + header(view, actions).outerHTML;
    const second = screenFor(view, ui, actions).outerHTML + header(view, actions).outerHTML;
    expect(second).toBe(first);
  }
  await settle();
  expect(calls).toEqual([]);
});
