// Pieces several screens share: organization branding (colours, logo), the person's avatar, and arrow-key
// movement through a list of organizations. They only build elements; nothing here calls the plugin.
import type { Branding, SessionView } from "tauri-plugin-orgpass-api";
import { edgeOn, inkOn, tintReadable } from "../contrast";
import { h, initials, safeColor, safeImage } from "../dom";

/**
 * An organization's colours as CSS variables on an element (only "#rgb"/"#rrggbb" values are used): its primary colour
 * with the ink that reads on it and the edge that shows on white (see contrast.ts), and its background colour as the
 * tint behind the window's text when that text keeps AA on it (else the window's own tint stays).
 */
export function brandStyle(el: HTMLElement, branding: Branding | null | undefined) {
  const primary = safeColor(branding?.primaryColor);
  const background = safeColor(branding?.backgroundColor);
  if (primary) {
    el.style.setProperty("--brand", primary);
    el.style.setProperty("--brand-ink", inkOn(primary));
    el.style.setProperty("--brand-line", edgeOn(primary));
  }
  if (background && tintReadable(background)) el.style.setProperty("--brand-bg", background);
}

/** An organization's logo, or its initials when it has none or the image does not load. */
export function logo(label: string, branding: Branding | null | undefined, size: "sm" | "md" | "lg" = "md"): HTMLElement {
  const src = safeImage(branding?.logoUrl);
  const box = h("span", { class: `logo logo-${size}`, "aria-hidden": "true" });
  brandStyle(box, branding);
  if (src) {
    const img = h("img", { src, alt: "", referrerpolicy: "no-referrer" });
    img.addEventListener("error", () => {
      img.remove();
      box.classList.add("logo-fallback");
      box.textContent = initials(label);
    });
    box.append(img);
  } else {
    box.classList.add("logo-fallback");
    box.textContent = initials(label);
  }
  return box;
}

/** The person's picture, or their initials. */
export function avatar(session: SessionView): HTMLElement {
  const label = session.name ?? session.email ?? session.sub;
  const src = safeImage(session.picture);
  const box = h("span", { class: "avatar", "aria-hidden": "true" });
  if (src) {
    const img = h("img", { src, alt: "", referrerpolicy: "no-referrer" });
    img.addEventListener("error", () => {
      img.remove();
      box.textContent = initials(label);
    });
    box.append(img);
  } else {
    box.textContent = initials(label);
  }
  return box;
}

/** Arrow keys move focus between the buttons of a list (keyboard-only use). */
export function arrowNavigation(list: HTMLElement) {
  list.addEventListener("keydown", (e) => {
    if (e.key !== "ArrowDown" && e.key !== "ArrowUp") return;
    const items = Array.from(list.querySelectorAll<HTMLButtonElement>("button.org-item"));
    const i = items.indexOf(document.activeElement as HTMLButtonElement);
    if (i < 0) return;
    e.preventDefault();
    const next = e.key === "ArrowDown" ? Math.min(i + 1, items.length - 1) : Math.max(i - 1, 0);
    items[next].focus();
  });
}
