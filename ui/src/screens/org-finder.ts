// An organization list filtered by a text field: the matches in a windowed listbox (only the visible rows in the DOM),
// a count ("12 of 5,000"), and the keyboard of a combobox (WAI-ARIA's list autocomplete): the focus stays in the field,
// ArrowDown/ArrowUp move the highlighted row (aria-activedescendant; the row says "n of N"), Enter chooses it, Escape
// clears it, Tab leaves the field (the rows are not tab stops; a click on one chooses it). aria-expanded says whether
// there are rows to move to. Typing updates the list and the count in place; the field, its focus and caret are untouched.
// The picker and the QA panel each build one from the view; what is highlighted and how far the list is scrolled
// live in the window's state, so a redraw (a state event) keeps them.
import { foldQuery, type Match } from "../filter";
import { h } from "../dom";
import type { FinderState } from "../state";
import { VirtualList } from "../virtual-list";

export interface FinderOptions {
  /** The listbox's id (its rows are `${id}-<n>`). */
  id: string;
  listTestId: string;
  countTestId: string;
  /** What the listbox is, for assistive technology. */
  label: string;
  /** The field whose text filters the list; it gets the combobox attributes and keys. */
  field: HTMLInputElement;
  /** The matches for a query, best first (see filter.ts). */
  find(query: string): Match[];
  /** How many organizations there are to find ("… of <total>"). */
  total: number;
  state: FinderState;
  /** Row height in pixels, gap included, and how many rows show before the list scrolls (may be fractional). */
  rowHeight: number;
  rows: number;
  /** Build a row (a button); the finder makes it an option and sends its click to `choose`. */
  row(match: Match): HTMLElement;
  choose(match: Match): void;
}

export interface Finder {
  list: HTMLElement;
  count: HTMLElement;
  /** Filter by new text (a query that folds to the same text keeps the list and the highlight). */
  setQuery(query: string): void;
  /** Whether the list is shown at all (the picker hides it while there is nothing to list): aria-expanded follows. */
  setVisible(visible: boolean): void;
  /** The matches shown, best first. */
  matches(): readonly Match[];
}

/** The space between two rows, part of the row height. */
export const ROW_GAP = 8;

const en = (n: number) => n.toLocaleString("en-US");

/** "12 of 5,000" while filtering; "5,000 organizations" for an empty query. */
export function countText(shown: number, total: number, query: string): string {
  if (foldQuery(query)) return `${en(shown)} of ${en(total)}`;
  return `${en(total)} ${total === 1 ? "organization" : "organizations"}`;
}

export function orgFinder(opts: FinderOptions): Finder {
  const { field, state } = opts;
  let query = field.value;
  let folded = foldQuery(query);
  let matches = opts.find(query);
  if (state.query !== folded) Object.assign(state, { query: folded, highlight: null, scrollTop: 0 });

  const count = h("p", { class: "list-count", "data-testid": opts.countTestId });
  const container = h("div", { class: "org-list", id: opts.id, role: "listbox", "aria-label": opts.label, "data-testid": opts.listTestId });
  const list = new VirtualList<Match>(matches, {
    container,
    rowHeight: opts.rowHeight,
    viewportHeight: opts.rowHeight * opts.rows,
    idPrefix: opts.id,
    scrollTop: state.scrollTop,
    onScroll: (top) => (state.scrollTop = top),
    renderRow: (match) => {
      const row = opts.row(match);
      row.setAttribute("role", "option");
      row.setAttribute("tabindex", "-1");
      if (row instanceof HTMLButtonElement) row.type = "button";
      row.style.height = `${opts.rowHeight - ROW_GAP}px`;
      row.addEventListener("click", () => opts.choose(match));
      return row;
    },
  });

  let visible = true;
  const expanded = () => field.setAttribute("aria-expanded", String(visible && matches.length > 0));
  field.setAttribute("role", "combobox");
  field.setAttribute("aria-controls", opts.id);
  field.setAttribute("aria-autocomplete", "list");
  expanded();

  const highlight = (i: number) => {
    list.select(i);
    const at = list.selected;
    state.highlight = at >= 0 ? matches[at].card.input : null;
    if (at >= 0) field.setAttribute("aria-activedescendant", list.rowId(at));
    else field.removeAttribute("aria-activedescendant");
  };
  const showCount = () => (count.textContent = countText(matches.length, opts.total, query));

  showCount();
  if (state.highlight !== null) highlight(matches.findIndex((m) => m.card.input === state.highlight));

  field.addEventListener("keydown", (e) => {
    const n = matches.length;
    const at = list.selected;
    if (e.key === "ArrowDown" && n > 0) {
      e.preventDefault();
      highlight(Math.min(at + 1, n - 1));
    } else if (e.key === "ArrowUp" && n > 0) {
      e.preventDefault();
      highlight(at < 0 ? n - 1 : Math.max(at - 1, 0));
    } else if (e.key === "Enter" && at >= 0) {
      // Chosen from the list: not a submission of what is typed.
      e.preventDefault();
      opts.choose(matches[at]);
    } else if (e.key === "Escape" && at >= 0) {
      highlight(-1);
    }
  });

  return {
    list: container,
    count,
    setQuery(next) {
      query = next;
      const f = foldQuery(next);
      if (f !== folded) {
        folded = f;
        matches = opts.find(next);
        Object.assign(state, { query: f, scrollTop: 0 });
        list.setItems(matches);
        highlight(-1);
        expanded();
      }
      showCount();
    },
    setVisible(shown) {
      visible = shown;
      expanded();
    },
    matches: () => matches,
  };
}
