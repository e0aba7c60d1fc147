// Find an organization by what the person types: the company directory and the recent organizations, matched on
// display name, name and ID, case- and accent-insensitively, prefix matches first, recent organizations first. Pure:
// `indexOrgs` folds every directory entry into one search key once per directory (not per keystroke), `search`
// ranks against those keys.
import type { OrgCard, RecentOrg } from "tauri-plugin-orgpass-api";

/** Lowercase with accents removed (NFD, combining marks dropped) and runs of whitespace as one space: "Müller" → "muller". */
export function fold(text: string): string {
  return text.toLowerCase().normalize("NFD").replace(/\p{M}+/gu, "").replace(/\s+/g, " ");
}

/** What a query is compared as: folded, without leading or trailing whitespace. */
export function foldQuery(query: string): string {
  return fold(query).trim();
}

/** The fields an organization is found by, folded and joined by "\n" (which no folded query contains). */
export function searchKey(card: OrgCard): string {
  return [card.displayName, card.name ?? "", card.id ?? ""].map(fold).join("\n");
}

/** The directory with its search keys (`keys[i]` is `cards[i]`'s), and where each ID and name is in it. */
export interface OrgIndex {
  readonly cards: readonly OrgCard[];
  readonly keys: readonly string[];
  readonly byId: ReadonlyMap<string, number>;
  readonly byName: ReadonlyMap<string, number>;
}

export function indexOrgs(cards: readonly OrgCard[]): OrgIndex {
  const byId = new Map<string, number>();
  const byName = new Map<string, number>();
  cards.forEach((c, i) => {
    if (c.id !== null && !byId.has(c.id)) byId.set(c.id, i);
    if (c.name !== null && !byName.has(c.name)) byName.set(c.name, i);
  });
  return { cards, keys: cards.map(searchKey), byId, byName };
}

/** Where an organization is in the directory (same ID, else same name: names are unique in a tenant), if it is. */
export function directoryIndexOf(index: OrgIndex, card: OrgCard): number | undefined {
  return (card.id !== null ? index.byId.get(card.id) : undefined) ?? (card.name !== null ? index.byName.get(card.name) : undefined);
}

/** How a key matches a folded query: at the start of a word (any field), inside a word, or not at all. */
export type Tier = typeof PREFIX | typeof SUBSTRING | typeof NONE;
export const PREFIX = 0;
export const SUBSTRING = 1;
export const NONE = 2;

/** Whether the character before a match position starts a new word: anything but a letter or digit. */
function boundaryBefore(key: string, at: number): boolean {
  if (at === 0) return true;
  const c = key.charCodeAt(at - 1);
  if ((c >= 97 && c <= 122) || (c >= 48 && c <= 57)) return false;
  if (c < 128) return true;
  return !/[\p{L}\p{N}]/u.test(key[at - 1]);
}

export function matchTier(key: string, q: string): Tier {
  if (q === "") return PREFIX;
  let at = key.indexOf(q);
  if (at < 0) return NONE;
  while (at >= 0) {
    if (boundaryBefore(key, at)) return PREFIX;
    at = key.indexOf(q, at + 1);
  }
  return SUBSTRING;
}

/** One result: the card to show and sign in with, and the recent organization it is, if it is one. */
export interface Match {
  card: OrgCard;
  recent: RecentOrg | null;
  /** Its position in the directory, or null for a recent organization the directory does not list. */
  directoryIndex: number | null;
}

/**
 * The organizations matching `query`, best first: prefix matches before substring matches; within each, the recent
 * organizations (newest first) before the rest, which keep directory order. A recent organization the directory lists
 * appears once, as its directory card; an empty query lists them all, recent first.
 */
export function search(index: OrgIndex, query: string, recent: readonly RecentOrg[] = []): Match[] {
  const q = foldQuery(query);
  const tiers: [Match[], Match[]] = [[], []];
  const recentAt = new Set<number>();
  const seenRecent = new Set<string>();
  for (const r of recent) {
    const d = directoryIndexOf(index, r);
    if (d !== undefined ? recentAt.has(d) : seenRecent.has(r.input)) continue;
    if (d !== undefined) recentAt.add(d);
    else seenRecent.add(r.input);
    const tier = matchTier(d !== undefined ? index.keys[d] : searchKey(r), q);
    if (tier !== NONE) tiers[tier].push({ card: d !== undefined ? index.cards[d] : r, recent: r, directoryIndex: d ?? null });
  }
  const others: [Match[], Match[]] = [[], []];
  const { cards, keys } = index;
  for (let i = 0; i < keys.length; i++) {
    if (recentAt.has(i)) continue;
    const tier = matchTier(keys[i], q);
    if (tier !== NONE) others[tier].push({ card: cards[i], recent: null, directoryIndex: i });
  }
  return [...tiers[0], ...others[0], ...tiers[1], ...others[1]];
}

/** How many organizations a search can find: the directory and the recent ones it does not list. */
export function searchable(index: OrgIndex, recent: readonly RecentOrg[]): number {
  const extra = new Set(recent.filter((r) => directoryIndexOf(index, r) === undefined).map((r) => r.input));
  return index.cards.length + extra.size;
}
