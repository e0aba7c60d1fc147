// Accessibility of every screen as the window draws it (faked plugin, jsdom): one level-one heading and no skipped
// level, an accessible name on every control, one live region and what it says on each status change, the keyboard
// model of the lists and where the focus goes, and axe-core's WCAG 2.x A/AA and best-practice rules with no violation.
// Colour contrast needs a layout, which jsdom has not: contrast.test.ts checks the colours, the real window axe.
import axe from "axe-core";
import { afterEach, beforeEach, describe, expect, test } from "vitest";
import type { AppView } from "tauri-plugin-orgpass-api";
import indexHtml from "../index.html?raw";
import {
  ACME,
  GLOBEX,
  acmeQa,
  byTestId,
  card,
  emitState,
  fakePlugin,
  ipcError,
  mount,
  pending,
  pickerView,
  recent,
  session,
  settle,
  signedInView,
  type,
  unmountAll,
} from "./fixtures";

afterEach(unmountAll);

// The document around #app, as index.html has it: its language and title.
const page = new DOMParser().parseFromString(indexHtml, "text/html");
beforeEach(() => {
  document.documentElement.lang = page.documentElement.lang;
  document.title = page.title;
});

/** The window started on `view` with the plugin answering `handlers`, every pending fetch settled. */
async function started(view: AppView, handlers: Parameters<typeof fakePlugin>[0] = {}) {
  fakePlugin({ app_state: () => view, qa_details: () => acmeQa, validate_org: () => ({ kind: "name", organization: "a", hasInvitation: false, summary: "a" }), ...handlers });
  const { app, root } = mount();
  await app.start();
  await settle();
  await settle();
  return { app, root };
}

const key = (el: HTMLElement, key: string) => el.dispatchEvent(new KeyboardEvent("keydown", { key, bubbles: true, cancelable: true }));
const live = () => byTestId(document, "live-status");

const projects = () => ({ status: 200, body: { projects: [{ id: "p1", name: "Roadrunner trap", owner: "auth0|alice" }] } });

/** Each screen, in the states that show the most: what axe and the structure checks run on. */
const screens: [string, AppView, Parameters<typeof fakePlugin>[0], ((root: HTMLElement) => void)?][] = [
  ["picker", pickerView({ recent: [recent(card(GLOBEX, "globex", "Globex Industries"), true)], sessions: [session(GLOBEX, "globex", "Globex Industries")] }), {}],
  [
    "picker, typing, a row highlighted",
    signedInView({ picking: true }),
    {},
    (root) => {
      const field = byTestId(root, "org-input") as HTMLInputElement;
      type(field, "o");
      key(field, "ArrowDown");
    },
  ],
  ["picker, nothing matches", pickerView(), {}, (root) => type(byTestId(root, "org-input") as HTMLInputElement, "zzz")],
  ["waiting", signedInView({ pending: pending() }), {}],
  [
    "signed in, another session offline, the API's data, the sign-out question",
    signedInView({
      apiUrl: "http://127.0.0.1:4100/",
      sessions: [session(ACME, "acme", "Acme Corporation"), session(GLOBEX, "globex", "Globex Industries", { status: "offline" })],
    }),
    { api_request: projects },
    (root) => byTestId(root, "sign-out").click(),
  ],
  ["QA", signedInView({ qa: true, apiUrl: "http://127.0.0.1:4100/" }), { api_request: projects }],
  ["error", pickerView({ lastError: ipcError({ code: "refused", retry: "acme", details: "access_denied" }) }), {}],
  [
    "picker, the organization a work email found offered first",
    pickerView({ recent: [recent(card(GLOBEX, "globex", "Globex Industries"), false, true), recent(card(ACME, "acme", "Acme Corporation"))] }),
    {},
  ],
  [
    "work email, refused as typed",
    pickerView(),
    { validate_email: () => { throw ipcError({ code: "bad_input", message: "A work email has an @ in it, like ada@acme.example." }); } },
    (root) => {
      byTestId(root, "email-start").click();
      type(byTestId(root, "email-input") as HTMLInputElement, "dana");
    },
  ],
  ["waiting for a work email sign-in", pickerView({ pending: pending({ orgLabel: "your organization", input: "dana@globex.example", email: "dana@globex.example" }) }), {}],
  ["signed in, found by email", signedInView({ sessions: [session(GLOBEX, "globex", "Globex Industries", { foundByEmail: true })], active: GLOBEX }), {}],
];

/** Controls that must have an accessible name. */
const CONTROLS = "button, input, select, textarea, summary, [role=switch], [role=option], [role=combobox], [role=listbox], [role=progressbar], [role=dialog]";

describe.each(screens)("%s", (_, view, handlers, act) => {
  async function drawn() {
    const { root } = await started(view, handlers);
    act?.(root);
    await settle();
    // Closed <details> hide their content from axe: open them so that it is checked too.
    for (const d of root.querySelectorAll("details")) d.open = true;
    return root;
  }

  test("exactly one h1, and no heading level skipped", async () => {
    const root = await drawn();
    const headings = Array.from(root.querySelectorAll<HTMLElement>("h1, h2, h3, h4, h5, h6"));
    expect(headings.filter((e) => e.tagName === "H1").map((e) => e.textContent!.trim().length > 0)).toEqual([true]);
    expect(headings[0].tagName).toBe("H1");
    const levels = headings.map((e) => Number(e.tagName[1]));
    const skips = levels.filter((level, i) => i > 0 && level > levels[i - 1] + 1);
    expect(skips, levels.join(" ")).toEqual([]);
  });

  test("every control has an accessible name", async () => {
    const root = await drawn();
    axe.setup(document);
    try {
      const controls = Array.from(root.querySelectorAll<HTMLElement>(CONTROLS));
      expect(controls.length).toBeGreaterThan(3);
      const unnamed = controls.filter((el) => !axe.commons.text.accessibleText(el).trim()).map((el) => el.outerHTML.slice(0, 120));
      expect(unnamed).toEqual([]);
    } finally {
      axe.teardown();
    }
  });

  test("one live region, and the tab order is the document's (no positive tabindex)", async () => {
    await drawn();
    expect(Array.from(document.querySelectorAll("[aria-live], [role=status], [role=alert], [role=log]")).map((e) => e.id)).toEqual(["live-status"]);
    expect(Array.from(document.querySelectorAll<HTMLElement>("[tabindex]")).filter((el) => el.tabIndex > 0)).toEqual([]);
  });

  test("axe-core: no WCAG 2.x A/AA or best-practice violation (colour contrast aside)", async () => {
    await drawn();
    const result = await axe.run(document, {
      runOnly: { type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice"] },
      rules: { "color-contrast": { enabled: false } },
    });
    const found = result.violations.map((v) => ({ id: v.id, nodes: v.nodes.map((n) => `${n.target.join(" ")}: ${n.failureSummary}`) }));
    expect(found).toEqual([]);
    // Something was checked: the rules that apply to these screens ran and passed.
    expect(result.passes.map((p) => p.id)).toEqual(expect.arrayContaining(["button-name", "aria-allowed-attr", "label", "landmark-unique", "region"]));
  });
});

test("index.html gives the page its language and title, and #app is not itself a live region", () => {
  expect(page.documentElement.lang).toBe("en");
  expect(page.title).toBe("Orgpass");
  expect(page.getElementById("app")!.getAttributeNames()).toEqual(["id"]);
});

describe("the live region", () => {
  test("says each status change once: signing in, its stage, signed in, offline, an error", async () => {
    const { root } = await started(pickerView());
    expect(live().textContent).toBe("");

    await emitState(pickerView({ pending: pending({ stage: "starting" }) }));
    expect(live().textContent).toBe("Signing in to Acme Corporation. Opening your browser…");
    await emitState(pickerView({ pending: pending() }));
    expect(live().textContent).toBe("Signing in to Acme Corporation. Continue in your browser to finish signing in. This window updates by itself.");

    const signedIn = signedInView();
    await emitState(signedIn);
    expect(live().textContent).toBe("Signed in to Acme Corporation as Alice Anders.");
    const said = live().firstChild;
    // The same state drawn again, and a renewal (refreshing), say nothing new.
    await emitState({ ...signedIn });
    await emitState(signedInView({ sessions: [session(ACME, "acme", "Acme Corporation", { status: "refreshing" })] }));
    expect(live().firstChild).toBe(said);

    await emitState(signedInView({ sessions: [session(ACME, "acme", "Acme Corporation", { status: "offline", statusNote: "No network: the session is kept." })] }));
    expect(live().textContent).toBe("Acme Corporation: offline. No network: the session is kept.");
    await emitState(signedInView({ sessions: [session(ACME, "acme", "Acme Corporation", { status: "expired", statusNote: "Sign in again." })] }));
    expect(live().textContent).toBe("Acme Corporation: session ended. Sign in again.");

    await emitState(pickerView({ lastError: ipcError({ code: "refused", message: "You are not a member of Acme.", nextStep: "Ask for an invitation." }) }));
    expect(live().textContent).toBe("You are not a member of Acme. Ask for an invitation.");
    // Screens are redrawn; the region is the same element, outside them.
    expect(root.contains(live())).toBe(false);
    expect(document.querySelectorAll("#live-status")).toHaveLength(1);
  });

  test("says a failed start, a directory that cannot be fetched, a copied link and a pasted address's answer", async () => {
    fakePlugin({
      app_state: () => {
        throw ipcError({ code: "config", message: "The configuration file is not valid.", nextStep: "Fix it." });
      },
    });
    await mount().app.start();
    expect(live().textContent).toBe("The configuration file is not valid. Fix it.");
    unmountAll();

    await started(pickerView(), {
      directory: () => {
        throw ipcError({ message: "The directory is unreachable.", nextStep: "Type the organization's name." });
      },
    });
    expect(live().textContent).toBe("The company's organization list could not be loaded: The directory is unreachable. Type the organization's name.");
    unmountAll();

    Object.defineProperty(navigator, "clipboard", { configurable: true, value: { writeText: async () => {} } });
    const { root } = await started(pickerView({ pending: pending() }), { paste_callback: () => null });
    byTestId(root, "copy-link").click();
    await settle();
    expect(live().textContent).toBe("Sign-in link copied. Paste it into your browser's address bar.");
    const field = byTestId(root, "paste-callback") as HTMLInputElement;
    field.value = "http://127.0.0.1:5000/callback?code=abc&state=xyz";
    field.form!.requestSubmit();
    await settle();
    expect(live().textContent).toBe("Address accepted. Finishing the sign-in…");
  });

  test("says why Enter on an organization that did not validate starts nothing", async () => {
    const { root } = await started(pickerView(), {
      validate_org: () => {
        throw ipcError({ code: "bad_input", message: "Organization names have no spaces." });
      },
    });
    const field = byTestId(root, "org-input") as HTMLInputElement;
    type(field, "Acme Corp");
    await settle();
    expect(live().textContent).toBe("");
    field.form!.requestSubmit();
    await settle();
    expect(live().textContent).toBe("Organization names have no spaces.");
  });
});

describe("keyboard", () => {
  test("the picker's list: a combobox whose rows say their place; expanded only with rows to move to", async () => {
    const { root } = await started(pickerView());
    const field = byTestId(root, "org-input") as HTMLInputElement;
    expect([field.getAttribute("role"), field.getAttribute("aria-expanded"), field.getAttribute("aria-controls")]).toEqual(["combobox", "true", "directory-list"]);
    const options = Array.from(byTestId(root, "directory-list").querySelectorAll<HTMLElement>("[role=option]"));
    expect(options.map((o) => [o.getAttribute("aria-posinset"), o.getAttribute("aria-setsize"), o.tabIndex])).toEqual([
      ["1", "3", -1],
      ["2", "3", -1],
      ["3", "3", -1],
    ]);
    key(field, "ArrowDown");
    expect(field.getAttribute("aria-activedescendant")).toBe(options[0].id);
    expect(document.activeElement).toBe(field);

    type(field, "zzz");
    expect(field.getAttribute("aria-expanded")).toBe("false");
    expect(field.hasAttribute("aria-activedescendant")).toBe(false);
    type(field, "glo");
    expect(field.getAttribute("aria-expanded")).toBe("true");
    expect(byTestId(root, "directory-list").querySelector("[role=option]")!.getAttribute("aria-setsize")).toBe("1");
    unmountAll();

    // No directory: nothing listed, nothing to expand.
    const empty = await started(pickerView({ directorySize: 0 }));
    expect(byTestId(empty.root, "org-input").getAttribute("aria-expanded")).toBe("false");
  });

  test("the QA switch is a switch named QA whose state is the view's", async () => {
    for (const qa of [false, true]) {
      const { root } = await started(signedInView({ qa }));
      const toggle = byTestId(root, "qa-toggle") as HTMLInputElement;
      expect([toggle.type, toggle.getAttribute("role"), toggle.checked, toggle.labels![0].textContent]).toEqual(["checkbox", "switch", qa, "QA"]);
      unmountAll();
    }
  });

  test("a state event keeps the focus on the control that had it; the sign-out question takes it and gives it back", async () => {
    const { root } = await started(signedInView());
    byTestId(root, "switch-org").focus();
    await emitState(signedInView({ sessions: [session(ACME, "acme", "Acme Corporation", { status: "offline" })] }));
    expect((document.activeElement as HTMLElement).dataset.testid).toBe("switch-org");
    expect(document.activeElement).toBe(byTestId(root, "switch-org"));

    byTestId(root, "sign-out").click();
    expect((document.activeElement as HTMLElement).dataset.testid).toBe("cancel-signout");
    byTestId(root, "cancel-signout").click();
    expect(root.querySelector("[data-testid='signout-dialog']")).toBeNull();
    expect((document.activeElement as HTMLElement).dataset.testid).toBe("sign-out");

    byTestId(root, "qa-toggle").focus();
    await emitState(signedInView({ sessions: [session(ACME, "acme", "Acme Corporation")] }));
    expect((document.activeElement as HTMLElement).dataset.testid).toBe("qa-toggle");
  });

  test("the shown organization's chip is aria-current; a status dot is said in words", async () => {
    const { root } = await started(signedInView({ sessions: [session(ACME, "acme", "Acme Corporation"), session(GLOBEX, "globex", "Globex Industries", { status: "expired" })] }));
    const chips = [byTestId(root, `session-chip-${ACME}`), byTestId(root, `session-chip-${GLOBEX}`)];
    expect(chips.map((c) => c.getAttribute("aria-current"))).toEqual(["true", null]);
    axe.setup(document);
    try {
      expect(chips.map((c) => axe.commons.text.accessibleText(c))).toEqual(["Acme Corporation", "Globex Industries (session ended)"]);
    } finally {
      axe.teardown();
    }
  });
});
