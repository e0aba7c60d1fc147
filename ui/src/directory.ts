// The company directory as the window holds it: set from the plugin's `directory` command, fetched once (state pushes
// carry only its size), and indexed for the filter only when the entries change, never per push or per keystroke.
import type { OrgCard } from "tauri-plugin-orgpass-api";
import { indexOrgs, type OrgIndex } from "./filter";

export interface Directory {
  /** The entries and their search keys. */
  readonly index: OrgIndex;
  /** Counts index rebuilds: it changes only when the entries' searchable fields changed. */
  readonly version: number;
  /**
   * Set the entries. The same array, or one with the same entries (a fetch again returns a fresh copy), keeps the index;
   * new branding alone keeps the keys and swaps the cards. Returns whether the index was rebuilt.
   */
  set(cards: readonly OrgCard[]): boolean;
}

/** Whether two directories have the same entries as far as finding them goes (input, ID, name, display name). */
function sameSearchFields(a: readonly OrgCard[], b: readonly OrgCard[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) {
    const [x, y] = [a[i], b[i]];
    if (x.input !== y.input || x.id !== y.id || x.name !== y.name || x.displayName !== y.displayName) return false;
  }
  return true;
}

export function createDirectory(cards: readonly OrgCard[] = []): Directory {
  let index = indexOrgs(cards);
  let version = 0;
  return {
    get index() {
      return index;
    },
    get version() {
      return version;
    },
    set(next) {
      if (next === index.cards) return false;
      if (sameSearchFields(index.cards, next)) {
        index = { ...index, cards: next };
        return false;
      }
      index = indexOrgs(next);
      version++;
      return true;
    },
  };
}
