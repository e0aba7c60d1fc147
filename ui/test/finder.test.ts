// The picker's and the QA panel's organization lists as a person uses them: typing filters the list in place (the
// field keeps focus and caret, nothing else is redrawn), the count says how many match, arrow keys and Enter sign in
// exactly as a click does, and a 5,000-entry directory keeps the DOM small.
import { afterEach, expect, test } from "vitest";
import type { AppView, OrgCard } from "tauri-plugin-orgpass-api";
import {
  ACME,
  GLOBEX,
  INITECH,
  acmeQa,
  byTestId,
  card,
  emitState,
  fakePlugin,
  mount,
  only,
  pickerView,
  recent,
  session,
  settle,
  signedInView,
  type,
  unmountAll,
  afterStart,
} from "./fixtures";

afterEach(unmountAll);

const valid = () => ({ kind: "name", organization: "x", hasInvitation: false, summary: "x" });

/** The window started on `view`, the plugin's `directory` command answering `directory` (default: the demo one). */
async function started(view: AppView, directory?: OrgCard[]) {
  const calls = fakePlugin({
    app_state: () => view,
    validate_org: valid,
    qa_details: () => acmeQa,
    ...(directory ? { directory: () => directory } : {}),
  });
  const { app, root } = mount();
  await app.start();
  await settle();
  return { app, root, calls };
}

/** The rows of a list that are in the DOM, by data-testid, in order. */
const shown = (root: ParentNode, list: string) =>
  Array.from(byTestId(root, list).querySelectorAll<HTMLElement>("[role='option']")).map((r) => r.dataset.testid);

const key = (el: HTMLElement, key: string) => el.dispatchEvent(new KeyboardEvent("keydown", { key, bubbles: true, cancelable: true }));

/** A directory of `n` organizations: org_scale0 … (name scale-0 …, "Scale Customer 0" …). */
const scaled = (n: number): OrgCard[] => Array.from({ length: n }, (_, i) => card(`org_scale${i}`, `scale-${i}`, `Scale Customer ${i}`));

test("typing 'acm' narrows the directory to Acme and says 1 of 3, updating the list in place", async () => {
  const { root } = await started(pickerView());
  const field = byTestId(root, "org-input") as HTMLInputElement;
  const screen = root.querySelector("main");
  const list = byTestId(root, "directory-list");
  expect(shown(root, "directory-list")).toEqual([`directory-${ACME}`, `directory-${GLOBEX}`, `directory-${INITECH}`]);
  expect(byTestId(root, "directory-count").textContent).toBe("3 organizations");

  field.focus();
  type(field, "acm");
  expect(shown(root, "directory-list")).toEqual([`directory-${ACME}`]);
  expect(byTestId(root, "directory-count").textContent).toBe("1 of 3");
  await settle();
  // Only the list, its count and the form's hint changed: the same screen, list and field, focused, caret at the end.
  expect(root.querySelector("main")).toBe(screen);
  expect(byTestId(root, "directory-list")).toBe(list);
  expect(byTestId(root, "org-input")).toBe(field);
  expect(document.activeElement).toBe(field);
  expect([field.selectionStart, field.selectionEnd]).toEqual([3, 3]);

  type(field, "zzz");
  expect(shown(root, "directory-list")).toEqual([]);
  expect(byTestId(root, "directory-count").textContent).toBe("0 of 3");
  type(field, "");
  expect(shown(root, "directory-list")).toHaveLength(3);
});

test("with 5,000 organizations the DOM holds a few rows, and typing 'scale-4999' shows exactly that one: 1 of 5,000", async () => {
  const directory = scaled(5000);
  const { root } = await started(pickerView({ directorySize: directory.length }), directory);
  const rows = () => root.querySelectorAll("[data-index]").length;
  expect(rows()).toBeGreaterThan(0);
  expect(rows()).toBeLessThan(60);
  expect(byTestId(root, "directory-count").textContent).toBe("5,000 organizations");

  type(byTestId(root, "org-input") as HTMLInputElement, "scale-4999");
  expect(shown(root, "directory-list")).toEqual(["directory-org_scale4999"]);
  expect(byTestId(root, "directory-count").textContent).toBe("1 of 5,000");
  expect(rows()).toBe(1);

  type(byTestId(root, "org-input") as HTMLInputElement, "scale-49");
  // scale-49 and scale-490 … scale-4999: 111 matches, directory order, still a few rows in the DOM.
  expect(byTestId(root, "directory-count").textContent).toBe("111 of 5,000");
  expect(shown(root, "directory-list").slice(0, 3)).toEqual(["directory-org_scale49", "directory-org_scale490", "directory-org_scale491"]);
  expect(rows()).toBeLessThan(60);
});

test("ArrowDown twice and Enter signs in to the second card exactly as clicking it does", async () => {
  const byKeys = await started(pickerView());
  const field = byTestId(byKeys.root, "org-input") as HTMLInputElement;
  key(field, "ArrowDown");
  key(field, "ArrowDown");
  const highlighted = byKeys.root.querySelectorAll<HTMLElement>("[aria-selected='true']");
  expect(Array.from(highlighted).map((r) => r.dataset.testid)).toEqual([`directory-${GLOBEX}`]);
  expect(field.getAttribute("aria-activedescendant")).toBe(highlighted[0].id);
  expect(field.getAttribute("aria-controls")).toBe(byTestId(byKeys.root, "directory-list").id);
  expect(byTestId(byKeys.root, "directory-list").getAttribute("role")).toBe("listbox");
  expect(key(field, "Enter")).toBe(false); // handled: the form is not submitted with what is typed
  await settle();
  unmountAll();

  const byClick = await started(pickerView());
  byTestId(byClick.root, `directory-${GLOBEX}`).click();
  await settle();

  expect(afterStart(byKeys.calls)).toEqual([{ cmd: "plugin:orgpass|begin_login", args: { input: GLOBEX, promptLogin: false } }]);
  expect(afterStart(byKeys.calls)).toEqual(afterStart(byClick.calls));
});

test("keys: ArrowUp from nothing goes to the last row, moves stop at the ends, Escape clears, Enter without a row submits", async () => {
  const { root, calls } = await started(signedInView({ picking: true }));
  const field = byTestId(root, "org-input") as HTMLInputElement;
  const selected = () => root.querySelector<HTMLElement>("[aria-selected='true']")?.dataset.testid;
  key(field, "ArrowUp");
  expect(selected()).toBe(`directory-${INITECH}`);
  key(field, "ArrowDown");
  expect(selected()).toBe(`directory-${INITECH}`);
  key(field, "ArrowUp");
  key(field, "ArrowUp");
  key(field, "ArrowUp");
  expect(selected()).toBe(`directory-${ACME}`);
  key(field, "Escape");
  expect(selected()).toBeUndefined();
  expect(field.hasAttribute("aria-activedescendant")).toBe(false);
  // Nothing highlighted: Enter is the form's (the browser submits it; nothing is chosen here).
  expect(key(field, "Enter")).toBe(true);

  // A signed-in organization, chosen with the keys: switch_org, as its click does.
  key(field, "ArrowDown");
  key(field, "Enter");
  await settle();
  expect(afterStart(calls)).toEqual([{ cmd: "plugin:orgpass|switch_org", args: { orgId: ACME } }]);
});

test("typing hides the Recent section; the matches lead with the recent organizations, a new query clears the highlight", async () => {
  const globex = recent(card(GLOBEX, "globex", "Globex Industries"));
  const elsewhere = recent(card("org_Hooli9", "hooli", "Hooli"));
  const { root } = await started(pickerView({ recent: [elsewhere, globex] }));
  expect(shown(root, "directory-list")).toEqual([`directory-${ACME}`, `directory-${GLOBEX}`, `directory-${INITECH}`]);
  byTestId(root, "recent-list");
  expect(byTestId(root, "directory-count").textContent).toBe("4 organizations");

  const field = byTestId(root, "org-input") as HTMLInputElement;
  type(field, "o");
  expect(root.querySelector("[data-testid='recent-list']")).toBeNull();
  // Every one has an "o"; the word starts first (Hooli, Globex; org_… on each ID), recent first: Hooli, Globex.
  expect(shown(root, "directory-list")).toEqual(["recent-org_Hooli9", `directory-${GLOBEX}`, `directory-${ACME}`, `directory-${INITECH}`]);
  expect(byTestId(root, "directory-count").textContent).toBe("4 of 4");
  expect(byTestId(root, `directory-${GLOBEX}`).querySelector(".org-meta")!.textContent).toMatch(/^org_Globex.* · last signed in /);

  key(field, "ArrowDown");
  type(field, "oo");
  expect(root.querySelector("[aria-selected='true']")).toBeNull();
  expect(shown(root, "directory-list")).toEqual(["recent-org_Hooli9"]);
  type(field, "");
  byTestId(root, "recent-list");
});

test("a state event while typing keeps the query, the highlight, the focus and the caret; the index is built once", async () => {
  const { app, root, calls } = await started(pickerView({ directorySize: 200 }), scaled(200));
  expect(app.ui.directory.version).toBe(1);
  const field = byTestId(root, "org-input") as HTMLInputElement;
  field.focus();
  type(field, "scale-1");
  key(field, "ArrowDown");
  key(field, "ArrowDown");
  field.setSelectionRange(2, 4);
  await settle();

  // A push (here a new session) draws the window again; it carries the directory's size only, not its cards.
  await emitState(pickerView({ directorySize: 200, sessions: [session(GLOBEX, "globex", "Globex Industries")] }));
  const again = byTestId(root, "org-input") as HTMLInputElement;
  expect(again).not.toBe(field);
  expect(again.value).toBe("scale-1");
  expect(document.activeElement).toBe(again);
  expect([again.selectionStart, again.selectionEnd]).toEqual([2, 4]);
  expect(root.querySelector<HTMLElement>("[aria-selected='true']")!.dataset.testid).toBe("directory-org_scale10");
  expect(again.getAttribute("aria-activedescendant")).toBe(root.querySelector("[aria-selected='true']")!.id);
  expect(byTestId(root, "directory-count").textContent).toBe("111 of 200");
  expect(app.ui.directory.version).toBe(1);
  expect(only(calls, "directory")).toHaveLength(1);
});

test("the QA panel's next-organization list filters the same way; Enter signs in with prompt=login as its click does", async () => {
  const { root, calls } = await started(signedInView({ qa: true }));
  expect(shown(root, "qa-quick-switch")).toEqual([`qa-switch-${ACME}`, `qa-switch-${GLOBEX}`, `qa-switch-${INITECH}`]);
  const field = byTestId(root, "qa-filter") as HTMLInputElement;
  field.focus();
  type(field, "ini");
  expect(shown(root, "qa-quick-switch")).toEqual([`qa-switch-${INITECH}`]);
  expect(byTestId(root, "qa-directory-count").textContent).toBe("1 of 3");
  expect(document.activeElement).toBe(field);

  key(field, "ArrowDown");
  key(field, "Enter");
  await settle();
  // The window was drawn again after begin_login: the filter is kept, and so is its list.
  expect((byTestId(root, "qa-filter") as HTMLInputElement).value).toBe("ini");
  byTestId(root, `qa-switch-${INITECH}`).click();
  await settle();
  const logins = only(calls, "begin_login").map((c) => c.args);
  expect(logins).toEqual([
    { input: INITECH, promptLogin: true },
    { input: INITECH, promptLogin: true },
  ]);
});
