// Colour contrast: the WCAG ratio with exact numbers for known pairs, the ink picked for an organization's own colours
// (every #rgb colour gets a readable one), how brandStyle applies them, and every text/background and edge/background
// pair style.css draws, read from the stylesheet itself, against AA.
import { describe, expect, test } from "vitest";
import css from "../src/style.css?raw";
import {
  AA_LARGE_AND_UI,
  AA_TEXT,
  BLACK,
  DARK_INK,
  TEXT_ON_TINT,
  WHITE,
  contrastRatio,
  edgeOn,
  inkOn,
  parseHex,
  relativeLuminance,
  tintReadable,
} from "../src/contrast";
import { brandStyle, logo } from "../src/screens/common";

describe("contrast ratio", () => {
  test("known pairs, exactly", () => {
    expect(contrastRatio(BLACK, WHITE)).toBe(21);
    expect(contrastRatio(WHITE, BLACK)).toBe(21);
    expect(contrastRatio("#fff", WHITE)).toBe(1);
    // Acme's orange: 4.2996 with white (axe truncates it to 4.29), 3.8714 with the window's text colour.
    expect(contrastRatio("#d9480f", WHITE)).toBeCloseTo(4.2996, 4);
    expect(contrastRatio("#d9480f", DARK_INK)).toBeCloseTo(3.8714, 4);
    expect(contrastRatio("#d9480f", BLACK)).toBeCloseTo(4.8842, 4);
    // The window's accent.
    expect(contrastRatio("#3b5bdb", WHITE)).toBeCloseTo(5.6676, 4);
    expect(contrastRatio("#3b5bdb", DARK_INK)).toBeCloseTo(2.937, 4);
    // What axe found: the old hint grey on the window (2.93) and the old green on the status pill (4.27).
    expect(contrastRatio("#8a90a0", "#f4f5f8")).toBeCloseTo(2.929, 3);
    expect(contrastRatio("#2b8a3e", "#fffcf9")).toBeCloseTo(4.273, 3);
  });

  test("relative luminance and parsing", () => {
    expect(relativeLuminance(WHITE)).toBe(1);
    expect(relativeLuminance(BLACK)).toBe(0);
    expect(relativeLuminance("#808080")).toBeCloseTo(0.2159, 4);
    expect(parseHex("#abc")).toEqual([0xaa, 0xbb, 0xcc]);
    expect(parseHex("#D9480F")).toEqual([0xd9, 0x48, 0x0f]);
    expect(parseHex("red")).toBeNull();
    expect(parseHex("#12345")).toBeNull();
    expect(() => relativeLuminance("rgb(0,0,0)")).toThrow("not a #rgb/#rrggbb colour");
  });
});

describe("ink on an organization's colour", () => {
  test("white or the dark ink, whichever contrasts more; black where neither reaches 4.5:1", () => {
    // Acme #d9480f: white 4.30, dark ink 3.87, both short of AA: black (4.88).
    expect(inkOn("#d9480f")).toBe(BLACK);
    // Globex #2b8a3e: white 4.37, dark ink 3.81: black (4.81).
    expect(inkOn("#2b8a3e")).toBe(BLACK);
    expect(inkOn("#3b5bdb")).toBe(WHITE); // 5.67
    expect(inkOn("#1864ab")).toBe(WHITE); // Initech, 6.09
    expect(inkOn("#fcc419")).toBe(DARK_INK); // 10.34
    expect(inkOn("#868e96")).toBe(DARK_INK); // 5.01
  });

  test("every #rgb colour gets an ink with at least 4.5:1", () => {
    const short: string[] = [];
    for (let i = 0; i < 4096; i++) {
      const c = `#${i.toString(16).padStart(3, "0")}`;
      if (contrastRatio(c, inkOn(c)) < AA_TEXT) short.push(c);
    }
    expect(short).toEqual([]);
  });

  test("the edge of a state (the active chip) is the brand colour unless it is too pale on white", () => {
    expect(edgeOn("#d9480f")).toBe("#d9480f");
    expect(edgeOn("#fcc419")).toBe(DARK_INK); // 1.61 on white
  });

  test("a tenant's background is a tint only where the window's text keeps AA on it", () => {
    // The demo's three tints and the window's own.
    for (const tint of ["#fff4e6", "#ebfbee", "#e7f5ff", "#eef1fb"]) expect(tintReadable(tint), tint).toBe(true);
    // Auth0's dark page backgrounds; a light peach where the faint grey drops to 4.48.
    for (const tint of ["#000000", "#1b1e27", "#ffe8cc"]) expect(tintReadable(tint), tint).toBe(false);
  });

  test("brandStyle sets the ink and edge with the colour, and skips an unreadable tint", () => {
    const acme = logo("Acme Corporation", { logoUrl: null, primaryColor: "#d9480f", backgroundColor: "#fff4e6" });
    expect(acme.textContent).toBe("AC");
    expect(acme.style.getPropertyValue("--brand")).toBe("#d9480f");
    expect(acme.style.getPropertyValue("--brand-ink")).toBe(BLACK);
    expect(acme.style.getPropertyValue("--brand-line")).toBe("#d9480f");
    expect(acme.style.getPropertyValue("--brand-bg")).toBe("#fff4e6");

    const dark = document.createElement("div");
    brandStyle(dark, { logoUrl: null, primaryColor: "#fcc419", backgroundColor: "#000000" });
    expect(dark.style.getPropertyValue("--brand-ink")).toBe(DARK_INK);
    expect(dark.style.getPropertyValue("--brand-line")).toBe(DARK_INK);
    expect(dark.style.getPropertyValue("--brand-bg")).toBe("");

    const none = document.createElement("div");
    brandStyle(none, { logoUrl: null, primaryColor: "red", backgroundColor: null });
    expect(none.getAttribute("style")).toBeNull();
  });
});

/** style.css's declarations by selector (one entry per selector of a list; later rules win), comments dropped. */
function parse(text: string): Map<string, Map<string, string>> {
  const rules = new Map<string, Map<string, string>>();
  const flat = text.replace(/\/\*[\s\S]*?\*\//g, "").replace(/@keyframes[^{]*\{(?:[^{}]*\{[^{}]*\})*[^{}]*\}/g, "");
  for (const [, selectors, body] of flat.matchAll(/([^{}]+)\{([^{}]*)\}/g)) {
    for (const selector of selectors.split(",").map((s) => s.trim().replace(/\s+/g, " "))) {
      const decls = rules.get(selector) ?? new Map<string, string>();
      for (const decl of body.split(";")) {
        const at = decl.indexOf(":");
        if (at > 0) decls.set(decl.slice(0, at).trim(), decl.slice(at + 1).trim());
      }
      rules.set(selector, decls);
    }
  }
  return rules;
}

const rules = parse(css);
const root = rules.get(":root")!;
/** A value with the :root custom properties it uses filled in. */
const resolve = (value: string): string => value.replace(/var\((--[\w-]+)\)/g, (_, name: string) => resolve(root.get(name) ?? `<no ${name}>`));
/**
 * The colour in a declaration of style.css (a `#hex` within it: `1px solid #…` gives the `#…`); what is missing is
 * named instead, and the test using it fails on it (contrastRatio refuses it).
 */
function colour(selector: string, property: string): string {
  const value = rules.get(selector)?.get(property);
  if (value === undefined) return `<no ${property} in ${selector}>`;
  const hex = /#[0-9a-f]{3,6}\b/i.exec(resolve(value));
  return hex ? hex[0].toLowerCase() : `<no #hex in ${selector} { ${property}: ${value} }>`;
}
const v = (name: string) => colour(":root", name);

/** An rgba() white wash over a colour, as the browser composites it (the status pill over the banner's tint). */
function wash(selector: string, under: string): string {
  const m = /rgba\((\d+),\s*(\d+),\s*(\d+),\s*([\d.]+)\)/.exec(rules.get(selector)!.get("background")!)!;
  const [r, g, b, a] = [Number(m[1]), Number(m[2]), Number(m[3]), Number(m[4])];
  const base = parseHex(under)!;
  return `#${[r, g, b].map((c, i) => Math.round(c * a + base[i] * (1 - a)).toString(16).padStart(2, "0")).join("")}`;
}

describe("style.css", () => {
  test("its text colours are the ones contrast.ts requires on a tint", () => {
    expect([v("--text"), v("--muted"), v("--faint"), v("--ok"), v("--danger"), colour(".status-offline", "color")]).toEqual([...TEXT_ON_TINT]);
    expect(v("--text")).toBe(DARK_INK);
  });

  const pill = wash(".status", v("--brand-bg"));
  const text: [string, string, string][] = [
    ["text on the window", v("--text"), v("--bg")],
    ["text on a card", v("--text"), v("--surface")],
    [".lead on the window", colour(".lead", "color"), v("--bg")],
    ["h2 on the window", colour("h2", "color"), v("--bg")],
    [".org-meta on a card", colour(".org-meta", "color"), v("--surface")],
    [".org-meta on the default tint", colour(".org-meta", "color"), v("--brand-bg")],
    [".fine (footer) on the window", colour(".fine", "color"), v("--bg")],
    [".fine on a card", colour(".fine", "color"), v("--surface")],
    [".hint on the form", colour(".hint", "color"), colour(".org-form", "background")],
    [".hint-ok on the form", colour(".hint-ok", "color"), colour(".org-form", "background")],
    [".hint-error on the form", colour(".hint-error", "color"), colour(".org-form", "background")],
    [".list-count on the window", colour(".list-count", "color"), v("--bg")],
    ["placeholder in a field", colour("input::placeholder", "color"), colour("#org-input", "background")],
    [".chevron on a highlighted row", colour(".chevron", "color"), v("--brand-bg")],
    ["Signed in badge", colour(".badge", "color"), colour(".badge", "background")],
    ["Signed in status on its pill", colour(".status-active", "color"), pill],
    ["Offline status on its pill", colour(".status-offline", "color"), pill],
    ["Session ended status on its pill", colour(".status-expired", "color"), pill],
    [".org-banner-id on the tint", colour(".org-banner-id", "color"), v("--brand-bg")],
    ["copied notice on the waiting card", colour(".notice-inline", "color"), colour(".wait-card", "background")],
    [".notice", colour(".notice", "color"), colour(".notice", "background")],
    [".notice-offline", colour(".notice-offline", "color"), colour(".notice-offline", "background")],
    [".notice-expired", colour(".notice-expired", "color"), colour(".notice-expired", "background")],
    ["primary button on the default brand", colour("button.primary", "color"), colour("button.primary", "background")],
    ["initials on the default brand", colour(".logo-fallback", "color"), colour(".logo-fallback", "background")],
    ["danger button", colour("button.danger", "color"), colour("button.danger", "background")],
    ["danger-outline button", colour("button.danger-outline", "color"), v("--surface")],
    ["danger-outline button, hovered", colour("button.danger-outline", "color"), colour("button.danger-outline:hover:not(:disabled)", "background")],
    ["a button", colour("button", "color"), colour("button", "background")],
    ["link button (← Back) on the window", colour("button.link", "color"), v("--bg")],
    ["QA heading on its panel", colour(".qa-panel h2", "color"), colour(".qa-panel", "background")],
    ["QA switch label on the top bar", colour(".qa-switch", "color"), colour(".topbar", "background")],
    ["avatar initials", colour(".avatar", "color"), colour(".avatar", "background")],
    ["support details", colour(".support pre", "color"), colour(".support pre", "background")],
    ["error icon", colour(".error-icon", "color"), colour(".error-icon", "background")],
  ];
  test.each(text)("%s: 4.5:1 (%s on %s)", (_, fg, bg) => {
    expect(contrastRatio(fg, bg)).toBeGreaterThanOrEqual(AA_TEXT);
  });

  const ui: [string, string, string][] = [
    ["organization field's edge on the form", colour("#org-input", "border"), colour(".org-form", "background")],
    ["organization field's edge on its own fill", colour("#org-input", "border"), colour("#org-input", "background")],
    ["QA filter's edge on the panel", colour(".filter-field", "border"), colour(".qa-panel", "background")],
    ["link field's edge on the card", colour(".link-field", "border"), colour(".wait-card", "background")],
    ["QA switch off: track on the top bar", colour(".qa-track", "background"), colour(".topbar", "background")],
    ["QA switch off: knob on the track", colour(".qa-track::after", "background"), colour(".qa-track", "background")],
    ["QA switch on: track on the top bar", colour(".qa-switch input:checked + .qa-track", "background"), colour(".topbar", "background")],
    ["focus ring on the window", colour("button:focus-visible", "outline"), v("--bg")],
    ["focus ring on a card", colour("input:focus-visible", "outline"), v("--surface")],
    ["focus ring of the switch on the top bar", colour(".qa-switch input:focus-visible + .qa-track", "outline"), colour(".topbar", "background")],
    ["highlighted row's ring on the default tint", colour('.org-item[aria-selected="true"]', "outline"), v("--brand-bg")],
    ["active chip's edge (default brand) on a chip", colour(".chip-active", "border-color"), colour(".chip", "background")],
  ];
  test.each(ui)("%s: 3:1 (%s on %s)", (_, fg, bg) => {
    expect(contrastRatio(fg, bg)).toBeGreaterThanOrEqual(AA_LARGE_AND_UI);
  });
});
