// The filter's ranking as a table: one row per query, with the exact organizations it finds, in order. Then the
// directory store: its index is rebuilt only when the entries change, not when an equal copy is set again.
import { describe, expect, test } from "vitest";
import type { OrgCard, RecentOrg } from "tauri-plugin-orgpass-api";
import { createDirectory } from "../src/directory";
import { fold, indexOrgs, search, searchable } from "../src/filter";

const noBranding = { logoUrl: null, primaryColor: null, backgroundColor: null };
const org = (id: string | null, name: string | null, displayName: string): OrgCard => ({
  input: id ?? name ?? displayName,
  id,
  name,
  displayName,
  branding: noBranding,
});
const recentOf = (c: OrgCard): RecentOrg => ({ ...c, lastSignedIn: "2030-01-01T00:00:00Z", signedIn: false, foundByEmail: false });

const directory: OrgCard[] = [
  org("org_AcmeA1b2C3d4E5f6", "acme", "Acme Corporation"),
  org("org_Pacme9", "pacme", "Pacme Logistics"),
  org("org_Muller1", "muller-gmbh", "Müller GmbH"),
  org("org_Cafe1", "cafe-de-flore", "Café de Flore"),
  org("org_Globex7", "globex", "Globex Industries"),
  org("org_Initech5", "initech", "Initech"),
  org("org_Blackmesa3", "black-mesa", "Black Mesa Research"),
  org(null, "name-only", "Name Only Co"),
  org("org_Umbrella0", null, "Umbrella Corp"),
  org("org_Eclair2", "eclair", "Éclair Bakery"),
  org("org_Techno4", "techno", "Techno Labs"),
];
// Newest first. Acme Labs is not in the directory (signed in by typing its ID once).
const recent: RecentOrg[] = [
  recentOf(org("org_Initech5", "initech", "Initech")),
  recentOf(org("org_Labs1", "acme-labs", "Acme Labs")),
  recentOf(org("org_Blackmesa3", "black-mesa", "Black Mesa Research")),
];
const index = indexOrgs(directory);

const everyOrg = [
  "org_Initech5",
  "org_Labs1",
  "org_Blackmesa3",
  "org_AcmeA1b2C3d4E5f6",
  "org_Pacme9",
  "org_Muller1",
  "org_Cafe1",
  "org_Globex7",
  "name-only",
  "org_Umbrella0",
  "org_Eclair2",
  "org_Techno4",
];

// [why, query, the inputs found, best first]
const table: [string, string, string[]][] = [
  ["empty: recent (newest first), then the directory in order, each once", "", everyOrg],
  ["only spaces is empty", "   ", everyOrg],
  ["prefix (recent, then directory) before substring (p-acme)", "acme", ["org_Labs1", "org_AcmeA1b2C3d4E5f6", "org_Pacme9"]],
  ["case", "ACME", ["org_Labs1", "org_AcmeA1b2C3d4E5f6", "org_Pacme9"]],
  ["whitespace around is trimmed", "  acme \t", ["org_Labs1", "org_AcmeA1b2C3d4E5f6", "org_Pacme9"]],
  ["whitespace inside counts as one space", "globex   industries", ["org_Globex7"]],
  ["ü typed plain", "muller", ["org_Muller1"]],
  ["ü typed", "Müller", ["org_Muller1"]],
  ["ü upper case", "MÜLLER", ["org_Muller1"]],
  ["é typed plain", "cafe", ["org_Cafe1"]],
  ["é typed", "café", ["org_Cafe1"]],
  ["é decomposed (e + combining acute)", "Cafe\u0301 de", ["org_Cafe1"]],
  [
    "é alone is e: the one word starting with e first, then every other e, recent first",
    "é",
    ["org_Eclair2", "org_Initech5", "org_Labs1", "org_Blackmesa3", "org_AcmeA1b2C3d4E5f6", "org_Pacme9", "org_Muller1", "org_Cafe1", "org_Globex7", "name-only", "org_Umbrella0", "org_Techno4"],
  ],
  ["word start of the display name is a prefix (Black Mesa)", "mesa", ["org_Blackmesa3"]],
  ["inside a word is a substring", "esa", ["org_Blackmesa3"]],
  ["a prefix match outranks a recent substring match", "tech", ["org_Techno4", "org_Initech5"]],
  ["a recent prefix match leads a directory one", "lab", ["org_Labs1", "org_Techno4"]],
  ["word starts in the display name, the name and the name-only entry", "co", ["org_AcmeA1b2C3d4E5f6", "name-only", "org_Umbrella0"]],
  ["by name", "black-mesa", ["org_Blackmesa3"]],
  ["by ID", "org_globex7", ["org_Globex7"]],
  ["by ID, upper case", "ORG_ECLAIR2", ["org_Eclair2"]],
  ["inside an ID", "a1b2c3", ["org_AcmeA1b2C3d4E5f6"]],
  ["every ID starts with org_ (the name-only entry has none)", "org_", everyOrg.filter((i) => i !== "name-only")],
  ["a recent organization outside the directory, by its ID", "org_labs", ["org_Labs1"]],
  ["no match", "zzz", []],
  ["fields are not joined: no match across them", "corporation acme", []],
];

describe("search ranks", () => {
  test.each(table)("%s: %j", (_why, query, want) => {
    expect(search(index, query, recent).map((m) => m.card.input)).toEqual(want);
  });

  test("a recent organization in the directory is its directory card, marked recent; one outside it stands alone", () => {
    const [initech, labs] = search(index, "", recent);
    expect(initech.card).toBe(directory[5]);
    expect(initech.recent).toBe(recent[0]);
    expect(initech.directoryIndex).toBe(5);
    expect(labs.card).toBe(recent[1]);
    expect(labs.directoryIndex).toBeNull();
    expect(searchable(index, recent)).toBe(directory.length + 1);
  });

  test("without recent organizations: the directory order", () => {
    expect(search(index, "", []).map((m) => m.directoryIndex)).toEqual(directory.map((_, i) => i));
  });

  test("fold: lower case, no accents, one space", () => {
    expect(fold("Müller  Café\tÉCLAIR")).toBe("muller cafe eclair");
  });
});

describe("the directory store", () => {
  test("rebuilds its index only when the entries' searchable fields change", () => {
    const store = createDirectory();
    expect(store.set(directory)).toBe(true);
    const built = store.index;
    expect(store.version).toBe(1);

    // The same array, and a fresh copy (what a fetch again returns): the same keys.
    expect(store.set(directory)).toBe(false);
    expect(store.set(structuredClone(directory))).toBe(false);
    expect(store.index.keys).toBe(built.keys);
    expect(store.version).toBe(1);

    // New branding alone: the new cards, the same keys.
    const rebranded = directory.map((c) => ({ ...c, branding: { ...noBranding, primaryColor: "#123456" } }));
    expect(store.set(rebranded)).toBe(false);
    expect(store.index.cards).toBe(rebranded);
    expect(store.index.keys).toBe(built.keys);

    // A renamed entry: a new index.
    const renamed = rebranded.map((c, i) => (i === 0 ? { ...c, displayName: "Acme Holdings" } : c));
    expect(store.set(renamed)).toBe(true);
    expect(store.version).toBe(2);
    expect(search(store.index, "holdings").map((m) => m.card.input)).toEqual(["org_AcmeA1b2C3d4E5f6"]);
  });
});
