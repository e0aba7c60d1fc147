// "I don't know my organization": the work email screen (validated as typed by the plugin, the sign-in started
// without an organization), the waiting and signed-in screens of such a sign-in, and the picker offering the
// organization a work email found first. Against the faked plugin, checking the exact commands and what is drawn,
// focused and said.
import { afterEach, expect, test } from "vitest";
import type { EmailInputView } from "tauri-plugin-orgpass-api";
import {
  ACME,
  GLOBEX,
  afterStart,
  byTestId,
  card,
  emitState,
  fakePlugin,
  ipcError,
  mount,
  only,
  pending,
  pickerView,
  recent,
  screenOf,
  session,
  settle,
  type,
  unmountAll,
} from "./fixtures";

afterEach(unmountAll);

const noAt = ipcError({ code: "bad_input", message: "A work email has an @ in it, like ada@acme.example.", nextStep: "Check the address you typed." });
const dana: EmailInputView = {
  address: "dana@globex.example",
  domain: "globex.example",
  summary: "Your company's sign-in service looks up the organization that uses globex.example",
};

async function started(view = pickerView(), handlers: Parameters<typeof fakePlugin>[0] = {}) {
  const calls = fakePlugin({
    app_state: () => view,
    validate_email: ({ input }) => {
      if (String(input).includes("@")) return { ...dana, address: String(input).trim() };
      throw noAt;
    },
    ...handlers,
  });
  const { app, root } = mount();
  await app.start();
  await settle();
  return { app, root, calls };
}

const live = () => byTestId(document, "live-status").textContent;
const field = (root: HTMLElement) => byTestId(root, "email-input") as HTMLInputElement;
const continueButton = (root: HTMLElement) => byTestId(root, "email-continue") as HTMLButtonElement;

test("'Continue with your work email' opens its screen with the focus in the field; the address is validated as typed", async () => {
  const { root, calls } = await started();
  byTestId(root, "email-start").click();
  expect(screenOf(root)).toBe("email");
  expect(document.activeElement).toBe(field(root));
  expect(root.querySelector("h1")!.textContent).toBe("Continue with your work email");
  expect(root.querySelector("label[for=email-input]")!.textContent).toBe("Work email");
  expect(field(root).type).toBe("email");
  expect(field(root).autocomplete).toBe("email");
  expect(byTestId(root, "email-hint").textContent).toBe("For example ada@acme.example.");
  expect(continueButton(root).disabled).toBe(true);

  type(field(root), "dana");
  await settle();
  expect(only(calls, "validate_email").map((c) => c.args)).toEqual([{ input: "dana" }]);
  expect(byTestId(root, "email-hint").textContent).toBe(noAt.message);
  expect(byTestId(root, "email-hint").className).toBe("hint hint-error");
  expect(field(root).getAttribute("aria-invalid")).toBe("true");
  expect(continueButton(root).disabled).toBe(true);
  expect(document.activeElement).toBe(field(root));

  // Enter on it starts nothing, and says why (a browser does not submit a form whose Continue is disabled: the
  // field takes the key itself).
  field(root).dispatchEvent(new KeyboardEvent("keydown", { key: "Enter", bubbles: true, cancelable: true }));
  await settle();
  expect(only(calls, "begin_email_login")).toEqual([]);
  expect(live()).toBe(noAt.message);

  type(field(root), "dana@globex.example");
  await settle();
  expect(byTestId(root, "email-hint").textContent).toBe(`✓ ${dana.summary}.`);
  expect(byTestId(root, "email-hint").className).toBe("hint hint-ok");
  expect(field(root).getAttribute("aria-invalid")).toBe("false");
  expect(continueButton(root).disabled).toBe(false);
});

test("Continue starts the sign-in by email; the waiting screen and the live region say the address, and the picker follows", async () => {
  const { root, calls } = await started();
  byTestId(root, "email-start").click();
  type(field(root), "dana@globex.example");
  await settle();
  const enter = new KeyboardEvent("keydown", { key: "Enter", bubbles: true, cancelable: true });
  field(root).dispatchEvent(enter);
  expect(enter.defaultPrevented).toBe(true);
  await settle();
  expect(only(calls, "begin_email_login").map((c) => c.args)).toEqual([{ email: "dana@globex.example" }]);
  expect(only(calls, "begin_login")).toEqual([]);

  await emitState(pickerView({ pending: pending({ orgLabel: "your organization", input: "dana@globex.example", email: "dana@globex.example" }) }));
  expect(screenOf(root)).toBe("waiting");
  expect(byTestId(root, "waiting-email").textContent).toBe(
    "Your company's sign-in service finds your organization by dana@globex.example. If several organizations use its domain, choose yours in the browser.",
  );
  expect(live()).toBe(
    "Signing in with your work email dana@globex.example. Continue in your browser to finish signing in. This window updates by itself.",
  );
  // Cancelled: back at the picker (the email screen was left when the sign-in started), the field empty.
  await emitState(pickerView());
  expect(screenOf(root)).toBe("picker");
  byTestId(root, "email-start").click();
  expect(field(root).value).toBe("");
});

test("Back and Escape return to the picker, the focus on the button that opened the email screen", async () => {
  const { root, calls } = await started();
  byTestId(root, "email-start").click();
  byTestId(root, "email-back").click();
  expect(screenOf(root)).toBe("picker");
  expect(document.activeElement).toBe(byTestId(root, "email-start"));
  byTestId(root, "email-start").click();
  field(root).dispatchEvent(new KeyboardEvent("keydown", { key: "Escape", bubbles: true, cancelable: true }));
  expect(screenOf(root)).toBe("picker");
  expect(document.activeElement).toBe(byTestId(root, "email-start"));
  expect(afterStart(calls)).toEqual([]);
});

test("a refusal from begin_email_login: bad input stays under the field; anything else leaves for the picker with a notice", async () => {
  let answer = ipcError({ code: "bad_input", message: "After the @ comes your company's domain, like acme.example." });
  const { root } = await started(pickerView(), {
    begin_email_login: () => {
      throw answer;
    },
  });
  byTestId(root, "email-start").click();
  type(field(root), "dana@globex.example");
  await settle();
  field(root).form!.requestSubmit();
  await settle();
  expect(screenOf(root)).toBe("email");
  expect(byTestId(root, "email-hint").textContent).toBe(answer.message);
  expect(live()).toBe(answer.message);

  answer = ipcError({ code: "busy", message: "A sign-in to Acme Corporation is already waiting.", nextStep: "Finish it in your browser, or cancel it first." });
  type(field(root), "dana@globex.example");
  await settle();
  field(root).form!.requestSubmit();
  await settle();
  expect(screenOf(root)).toBe("picker");
  expect(byTestId(root, "notice").textContent).toBe(`${answer.message} ${answer.nextStep}`);
});

test("signed in by email: the signed-in screen says which organization the tenant chose and how it was found", async () => {
  const { root } = await started(
    pickerView({ sessions: [session(GLOBEX, "globex", "Globex Industries", { name: "Dana Diaz", email: "dana@globex.example", foundByEmail: true })], active: GLOBEX }),
  );
  expect(screenOf(root)).toBe("signed-in");
  expect(byTestId(root, "org-display-name").textContent).toBe("Globex Industries");
  expect(byTestId(root, "found-by-email").textContent).toBe(
    `Found by your work email: your company's sign-in service chose Globex Industries (${GLOBEX}).`,
  );
  expect(live()).toBe("Signed in to Globex Industries as Dana Diaz. Your work email found this organization.");

  // Named directly, nothing is said about email.
  await emitState(pickerView({ sessions: [session(ACME, "acme", "Acme Corporation")], active: ACME }));
  expect(root.querySelector("[data-testid=found-by-email]")).toBeNull();
  expect(live()).toBe("Signed in to Acme Corporation as Alice Anders.");
});

test("a later picker offers the organization the work email found first, and signs in to it by ID with no email step", async () => {
  const globex = card(GLOBEX, "globex", "Globex Industries");
  const acme = card(ACME, "acme", "Acme Corporation");
  const { root, calls } = await started(pickerView({ recent: [recent(globex, false, true), recent(acme)] }));
  const offered = byTestId(root, "offered-first");
  expect(offered.querySelector("h2")!.textContent).toBe("Your work email found");
  expect(byTestId(offered, `offered-${GLOBEX}`).textContent).toContain("Globex Industries");
  expect(byTestId(offered, `offered-${GLOBEX}`).textContent).toContain("found by your work email");
  // Above the field, and not again under Recent.
  expect(offered.compareDocumentPosition(byTestId(root, "org-input")) & Node.DOCUMENT_POSITION_FOLLOWING).toBeTruthy();
  expect(root.querySelector(`[data-testid="recent-${GLOBEX}"]`)).toBeNull();
  expect(byTestId(root, `recent-${ACME}`)).toBeTruthy();

  byTestId(root, `offered-${GLOBEX}`).click();
  await settle();
  expect(only(calls, "begin_login").map((c) => c.args)).toEqual([{ input: GLOBEX, promptLogin: false }]);
  expect(only(calls, "begin_email_login")).toEqual([]);

  // Not found by email: nothing is offered first.
  await emitState(pickerView({ recent: [recent(acme), recent(globex)] }));
  expect(root.querySelector("[data-testid=offered-first]")).toBeNull();
});
