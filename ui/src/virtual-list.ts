// A windowed list: of N fixed-height rows only the visible ones plus a few above and below are in the DOM, on a
// spacer as tall as all N rows so the scrollbar is the whole list's. It draws again on scroll (once per animation
// frame), when its items change, and when the selected row changes, which it keeps scrolled into view and in the DOM
// even when scrolled away (it is the aria-activedescendant). Each row says its place among all N (aria-posinset/setsize),
// which a screen reader cannot count from the few rows in the DOM.

export interface VirtualListOptions<T> {
  /** The scroll container (it gets `overflow-y: auto` and a max height of `viewportHeight`). */
  container: HTMLElement;
  /** Every row's height in pixels, gap included. */
  rowHeight: number;
  /** The container's height when it is not laid out yet (built, not yet in the document), and its max height. */
  viewportHeight: number;
  /** Rows kept beyond each edge of the visible ones. */
  overscan?: number;
  /** The `id` of row i is `${idPrefix}-${i}` (for `aria-activedescendant`). */
  idPrefix: string;
  /** Build one row; the list positions it and sets `data-index`, `id`, `aria-selected`, `aria-posinset` and `aria-setsize`. */
  renderRow(item: T, index: number): HTMLElement;
  /** Where the list was scrolled to, to come back to after the window is drawn again. */
  scrollTop?: number;
  /** Told the scroll position after each scroll (to keep it across redraws). */
  onScroll?(scrollTop: number): void;
}

export class VirtualList<T> {
  readonly container: HTMLElement;
  private readonly spacer: HTMLElement;
  private readonly rowHeight: number;
  private readonly viewportHeight: number;
  private readonly overscan: number;
  private readonly opts: VirtualListOptions<T>;
  private items: readonly T[] = [];
  private rows = new Map<number, HTMLElement>();
  private selectedIndex = -1;
  private frame: number | null = null;
  /** Where the list is scrolled to while the container is not in the document (and cannot scroll yet). */
  private detachedTop = 0;
  private restoring = false;

  constructor(items: readonly T[], opts: VirtualListOptions<T>) {
    this.opts = opts;
    this.container = opts.container;
    this.rowHeight = opts.rowHeight;
    this.viewportHeight = opts.viewportHeight;
    this.overscan = opts.overscan ?? 6;
    this.container.classList.add("vlist");
    this.container.style.maxHeight = `${this.viewportHeight}px`;
    this.spacer = document.createElement("div");
    this.spacer.className = "vlist-spacer";
    this.spacer.setAttribute("role", "none");
    this.container.replaceChildren(this.spacer);
    this.container.addEventListener("scroll", () => {
      this.schedule();
      this.opts.onScroll?.(this.container.scrollTop);
    });
    this.setItems(items);
    this.scrollTo(Math.min(opts.scrollTop ?? 0, Math.max(0, items.length * this.rowHeight - this.viewportHeight)));
    this.draw();
  }

  get length(): number {
    return this.items.length;
  }

  get selected(): number {
    return this.selectedIndex;
  }

  /** New items: every row is built again, the selection is cleared and the list scrolls to the top. */
  setItems(items: readonly T[]) {
    this.items = items;
    this.selectedIndex = -1;
    for (const row of this.rows.values()) row.remove();
    this.rows.clear();
    this.spacer.style.height = `${items.length * this.rowHeight}px`;
    this.scrollTo(0);
    this.draw();
  }

  /** Select row `index` (-1: none) and scroll it into view. */
  select(index: number) {
    this.selectedIndex = index >= 0 && index < this.items.length ? index : -1;
    if (this.selectedIndex >= 0) this.scrollIntoView(this.selectedIndex);
    this.draw();
  }

  /** The row element drawn for `index`, if it is in the DOM. */
  rowAt(index: number): HTMLElement | undefined {
    return this.rows.get(index);
  }

  /** The id of row `index`. */
  rowId(index: number): string {
    return `${this.opts.idPrefix}-${index}`;
  }

  private height(): number {
    return this.container.clientHeight || this.viewportHeight;
  }

  /** The scroll position drawn at: the container's, or the one it gets once it is in the document. */
  private position(): number {
    return this.container.isConnected ? this.container.scrollTop : this.detachedTop;
  }

  private scrollTo(top: number) {
    this.container.scrollTop = top;
    if (this.container.isConnected) return;
    // Built but not in the document yet: it cannot scroll. Scroll once it is laid out (before it is painted).
    this.detachedTop = top;
    if (top === 0 || this.restoring) return;
    this.restoring = true;
    requestAnimationFrame(() => {
      this.restoring = false;
      if (!this.container.isConnected || this.detachedTop === 0) return;
      this.container.scrollTop = this.detachedTop;
      this.detachedTop = 0;
      this.draw();
    });
  }

  /** Scroll so that row `index` is fully visible. */
  private scrollIntoView(index: number) {
    const top = index * this.rowHeight;
    const bottom = top + this.rowHeight;
    const height = this.height();
    const scrolled = this.position();
    if (top < scrolled) this.scrollTo(top);
    else if (bottom > scrolled + height) this.scrollTo(bottom - height);
  }

  private schedule() {
    if (this.frame !== null) return;
    this.frame = requestAnimationFrame(() => {
      this.frame = null;
      this.draw();
    });
  }

  /** The range of rows in the DOM for a scroll position: the visible ones and `overscan` more on each side. */
  range(scrollTop = this.position()): [number, number] {
    const first = Math.floor(scrollTop / this.rowHeight);
    const last = Math.ceil((scrollTop + this.height()) / this.rowHeight);
    return [Math.max(0, first - this.overscan), Math.min(this.items.length, last + this.overscan)];
  }

  /**
   * Bring the DOM in line with the scroll position: drop rows out of range, add the missing ones, mark the selected.
   * The selected row stays even out of range: the field's aria-activedescendant names it.
   */
  private draw() {
    const [start, end] = this.range();
    const wanted = Array.from({ length: end - start }, (_, k) => start + k);
    const sel = this.selectedIndex;
    if (sel >= 0 && (sel < start || sel >= end)) wanted.splice(sel < start ? 0 : wanted.length, 0, sel);
    const keep = new Set(wanted);
    for (const [i, row] of this.rows) {
      if (!keep.has(i)) {
        row.remove();
        this.rows.delete(i);
      }
    }
    // Rows stay in index order in the DOM (what a screen reader reads); rows already in place are not moved.
    let prev: HTMLElement | null = null;
    for (const i of wanted) {
      let row = this.rows.get(i);
      if (!row) {
        row = this.opts.renderRow(this.items[i], i);
        row.dataset.index = String(i);
        row.id = this.rowId(i);
        row.classList.add("vlist-row");
        row.style.top = `${i * this.rowHeight}px`;
        this.rows.set(i, row);
      }
      const want: ChildNode | null = prev ? prev.nextSibling : this.spacer.firstChild;
      if (row !== want) this.spacer.insertBefore(row, want);
      row.setAttribute("aria-selected", String(i === sel));
      row.setAttribute("aria-posinset", String(i + 1));
      row.setAttribute("aria-setsize", String(this.items.length));
      prev = row;
    }
  }
}
