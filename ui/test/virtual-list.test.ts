// The windowed list in jsdom, which lays nothing out: the container's height and scroll position are faked, and
// the test checks which rows are in the DOM, their data-index, the spacer, the selection and the scroll it causes.
import { afterEach, expect, test, vi } from "vitest";
import { VirtualList } from "../src/virtual-list";

const ROW = 50;
const HEIGHT = 700; // 14 rows visible
const OVERSCAN = 6;

afterEach(() => document.body.replaceChildren());

/**
 * A container in the document, `HEIGHT` tall, whose scrollTop is clamped to its content like a browser's (and, like a
 * browser's, stays 0 while the container is not in the document).
 */
function container(): HTMLElement {
  const el = document.createElement("div");
  const content = () => parseFloat((el.firstElementChild as HTMLElement | null)?.style.height || "0");
  let top = 0;
  Object.defineProperty(el, "clientHeight", { configurable: true, get: () => HEIGHT });
  Object.defineProperty(el, "scrollTop", {
    configurable: true,
    get: () => top,
    set: (v: number) => {
      if (el.isConnected) top = Math.max(0, Math.min(v, content() - HEIGHT));
    },
  });
  document.body.append(el);
  return el;
}

const items = (n: number, prefix = "item") => Array.from({ length: n }, (_, i) => `${prefix} ${i}`);

function list(el: HTMLElement, all: string[]) {
  return new VirtualList<string>(all, {
    container: el,
    rowHeight: ROW,
    viewportHeight: HEIGHT,
    overscan: OVERSCAN,
    idPrefix: "row",
    renderRow: (item) => {
      const row = document.createElement("div");
      row.textContent = item;
      return row;
    },
  });
}

const rows = (el: HTMLElement) => Array.from(el.querySelectorAll<HTMLElement>("[data-index]"));
const indices = (el: HTMLElement) => rows(el).map((r) => Number(r.dataset.index));
const nextFrame = () => new Promise((resolve) => requestAnimationFrame(resolve));

test("with 5,000 items only the visible rows and the overscan are in the DOM, on a spacer as tall as all of them", () => {
  const el = container();
  list(el, items(5000));
  const visible = HEIGHT / ROW;
  expect(rows(el).length).toBeLessThanOrEqual(visible + 2 * OVERSCAN);
  // At the top there is nothing above to overscan.
  expect(indices(el)).toEqual(Array.from({ length: visible + OVERSCAN }, (_, i) => i));
  expect((el.firstElementChild as HTMLElement).style.height).toBe(`${5000 * ROW}px`);
  expect(rows(el)[3].style.top).toBe(`${3 * ROW}px`);
  expect(rows(el)[3].textContent).toBe("item 3");
});

test("scrolling to the end shows the last items, drawn once per frame however many scroll events came", async () => {
  const el = container();
  list(el, items(5000));
  const frames = vi.spyOn(window, "requestAnimationFrame");
  el.scrollTop = 2500 * ROW;
  el.dispatchEvent(new Event("scroll"));
  el.scrollTop = 5000 * ROW;
  el.dispatchEvent(new Event("scroll"));
  el.dispatchEvent(new Event("scroll"));
  expect(frames).toHaveBeenCalledTimes(1);
  await nextFrame();
  const visible = HEIGHT / ROW;
  expect(el.scrollTop).toBe(5000 * ROW - HEIGHT);
  expect(indices(el)).toEqual(Array.from({ length: visible + OVERSCAN }, (_, i) => 5000 - visible - OVERSCAN + i));
  const last = rows(el).at(-1)!;
  expect(last.dataset.index).toBe("4999");
  expect(last.textContent).toBe("item 4999");
  expect(last.style.top).toBe(`${4999 * ROW}px`);

  // Back up a little: the rows stay in index order in the DOM.
  el.scrollTop = 4900 * ROW;
  el.dispatchEvent(new Event("scroll"));
  await nextFrame();
  const now = indices(el);
  expect(now).toEqual([...now].sort((a, b) => a - b));
  expect(now[0]).toBe(4900 - OVERSCAN);
  expect(now.length).toBeLessThanOrEqual(visible + 2 * OVERSCAN);
});

test("the selected row is marked and scrolled into view, down and up", () => {
  const el = container();
  const vl = list(el, items(5000));
  vl.select(100);
  // Just enough to show row 100 at the bottom edge.
  expect(el.scrollTop).toBe(101 * ROW - HEIGHT);
  const selected = el.querySelectorAll("[aria-selected='true']");
  expect(selected).toHaveLength(1);
  expect((selected[0] as HTMLElement).dataset.index).toBe("100");
  expect(selected[0].id).toBe("row-100");
  expect(vl.rowAt(100)).toBe(selected[0]);

  vl.select(95); // already visible: no scroll
  expect(el.scrollTop).toBe(101 * ROW - HEIGHT);
  vl.select(3);
  expect(el.scrollTop).toBe(3 * ROW);
  expect(el.querySelector("[aria-selected='true']")!.id).toBe("row-3");
  vl.select(-1);
  expect(el.querySelector("[aria-selected='true']")).toBeNull();
});

test("the selected row stays in the DOM, in index order, when the list is scrolled away from it (it is the aria-activedescendant)", async () => {
  const el = container();
  const vl = list(el, items(5000));
  vl.select(2);
  el.scrollTop = 1000 * ROW;
  el.dispatchEvent(new Event("scroll"));
  await nextFrame();
  expect(indices(el)[0]).toBe(2);
  expect(indices(el).slice(1, 3)).toEqual([1000 - OVERSCAN, 1000 - OVERSCAN + 1]);
  expect(document.getElementById("row-2")!.getAttribute("aria-selected")).toBe("true");

  el.scrollTop = 0;
  el.dispatchEvent(new Event("scroll"));
  await nextFrame();
  vl.select(4000);
  el.scrollTop = 0;
  el.dispatchEvent(new Event("scroll"));
  await nextFrame();
  expect(indices(el).at(-1)).toBe(4000);
  expect(indices(el)).toEqual([...indices(el)].sort((a, b) => a - b));
  vl.select(-1);
  expect(indices(el)).not.toContain(4000);
});

test("each row says its place among all the items, not among the few in the DOM", () => {
  const el = container();
  list(el, items(5000));
  const first = rows(el)[0];
  expect([first.getAttribute("aria-posinset"), first.getAttribute("aria-setsize")]).toEqual(["1", "5000"]);
  expect(rows(el).at(-1)!.getAttribute("aria-posinset")).toBe(String(rows(el).length));
});

test("new items rebuild the rows from the top and clear the selection", () => {
  const el = container();
  const vl = list(el, items(5000));
  vl.select(300);
  vl.setItems(items(3, "new"));
  expect(el.scrollTop).toBe(0);
  expect(vl.selected).toBe(-1);
  expect(rows(el).map((r) => r.textContent)).toEqual(["new 0", "new 1", "new 2"]);
  expect((el.firstElementChild as HTMLElement).style.height).toBe(`${3 * ROW}px`);
  vl.setItems([]);
  expect(rows(el)).toEqual([]);
});

test("built before it is in the document, it draws at the scroll position it is given and scrolls there once attached", async () => {
  const el = container();
  el.remove();
  new VirtualList<string>(items(5000), {
    container: el,
    rowHeight: ROW,
    viewportHeight: HEIGHT,
    idPrefix: "row",
    scrollTop: 1000 * ROW,
    renderRow: (item) => Object.assign(document.createElement("div"), { textContent: item }),
  });
  expect(indices(el)[0]).toBe(1000 - 6);
  expect(el.scrollTop).toBe(0);
  document.body.append(el);
  await nextFrame();
  expect(el.scrollTop).toBe(1000 * ROW);
  expect(indices(el)).toContain(1000);
});
