// Colour contrast as WCAG 2.2 measures it (relative luminance, contrast ratio), and the text colours the window draws
// on an organization's own colours: its primary colour (initials, primary buttons) and its background tint (banner,
// highlighted rows). The tenant chooses those colours, so the ink is picked here to keep AA (4.5:1 for normal text).

/** AA for normal text (WCAG 2.2 SC 1.4.3). */
export const AA_TEXT = 4.5;
/** AA for large text, UI component edges, states and focus rings (SC 1.4.3, 1.4.11). */
export const AA_LARGE_AND_UI = 3;

export const WHITE = "#ffffff";
export const BLACK = "#000000";
/** The window's text colour (style.css `--text`): the dark ink when it reads well enough. */
export const DARK_INK = "#1b1e27";
/**
 * Text colours style.css draws on an organization's background tint (`--brand-bg`: the banner, a highlighted row):
 * `--text`, `--muted`, `--faint`, `--ok`, `--danger` and the offline grey. A tenant's background colour is used as
 * the tint only if every one of them keeps 4.5:1 on it (test/contrast.test.ts checks these are style.css's values).
 */
export const TEXT_ON_TINT = [DARK_INK, "#5f6678", "#646b7d", "#267a37", "#c92a2a", "#495057"] as const;

/** "#rgb" / "#rrggbb" as [r, g, b] in 0–255, or null for anything else. */
export function parseHex(color: string): [number, number, number] | null {
  const m = /^#([0-9a-f]{3}|[0-9a-f]{6})$/i.exec(color);
  if (!m) return null;
  const hex = m[1].length === 3 ? [...m[1]].map((c) => c + c).join("") : m[1];
  return [0, 2, 4].map((i) => parseInt(hex.slice(i, i + 2), 16)) as [number, number, number];
}

/** WCAG 2.2 relative luminance of an sRGB colour: 0 for black, 1 for white. Throws on a colour that is not hex. */
export function relativeLuminance(color: string): number {
  const rgb = parseHex(color);
  if (!rgb) throw new Error(`not a #rgb/#rrggbb colour: ${color}`);
  const [r, g, b] = rgb.map((v) => {
    const c = v / 255;
    return c <= 0.04045 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
  });
  return 0.2126 * r + 0.7152 * g + 0.0722 * b;
}

/** The contrast ratio of two colours, 1 (same luminance) to 21 (black on white); the order does not matter. */
export function contrastRatio(a: string, b: string): number {
  const [la, lb] = [relativeLuminance(a), relativeLuminance(b)];
  return (Math.max(la, lb) + 0.05) / (Math.min(la, lb) + 0.05);
}

/**
 * The text colour for a background the tenant chose: white or the window's dark ink, whichever contrasts more. For a
 * mid-tone where neither reaches 4.5:1 (Acme's #d9480f: 4.30 with white, 3.87 with the dark ink), black: of white and
 * black one always reaches at least 4.58:1 (4.88 on #d9480f).
 */
export function inkOn(background: string): string {
  const best = contrastRatio(background, WHITE) >= contrastRatio(background, DARK_INK) ? WHITE : DARK_INK;
  if (contrastRatio(background, best) >= AA_TEXT) return best;
  return contrastRatio(background, WHITE) >= contrastRatio(background, BLACK) ? WHITE : BLACK;
}

/**
 * An organization's colour where it marks a state (the active chip's border) on the window's white surfaces: itself
 * when it keeps 3:1 against white (WCAG 1.4.11), else the dark ink (a pale brand colour would not be seen).
 */
export function edgeOn(color: string): string {
  return contrastRatio(color, WHITE) >= AA_LARGE_AND_UI ? color : DARK_INK;
}

/** Whether the window's text colours all keep AA on an organization's background colour (then it is used as a tint). */
export function tintReadable(background: string): boolean {
  return TEXT_ON_TINT.every((ink) => contrastRatio(background, ink) >= AA_TEXT);
}
