// How long a keystroke takes at 5,000 directory entries: the filter alone, and the filter plus the list brought up
// to date (the windowed listbox in jsdom), next to the once-per-directory costs. `npx vitest bench --run`.
import { bench, describe } from "vitest";
import type { OrgCard } from "tauri-plugin-orgpass-api";
import { createDirectory } from "../src/directory";
import { indexOrgs, search } from "../src/filter";
import { orgFinder } from "../src/screens/org-finder";
import { initialFinder } from "../src/state";

const N = 5000;
const noBranding = { logoUrl: null, primaryColor: null, backgroundColor: null };
const directory: OrgCard[] = Array.from({ length: N }, (_, i) => ({
  input: `org_scale${i}`,
  id: `org_scale${i}`,
  name: `scale-${i}`,
  displayName: `Scale Customer ${i}${i % 7 === 0 ? " Zürich" : ""}`,
  branding: noBranding,
}));
const index = indexOrgs(directory);

// The keystrokes of someone typing "scale-4999", each a search of its own.
const typing = ["s", "sc", "sca", "scal", "scale", "scale-", "scale-4", "scale-49", "scale-499", "scale-4999"];

describe(`keystroke at ${N.toLocaleString("en-US")} entries`, () => {
  let k = 0;
  bench("filter: one keystroke of typing 'scale-4999'", () => {
    search(index, typing[k++ % typing.length]);
  });
  bench("filter: 'zürich' (accent, 715 matches)", () => {
    search(index, "zürich");
  });

  const field = document.createElement("input");
  const finder = orgFinder({
    id: "bench-list",
    listTestId: "bench-list",
    countTestId: "bench-count",
    label: "bench",
    field,
    find: (q) => search(index, q),
    total: N,
    state: initialFinder(),
    rowHeight: 70,
    rows: 6,
    row: (m) => Object.assign(document.createElement("button"), { textContent: m.card.displayName }),
    choose: () => {},
  });
  document.body.append(finder.count, finder.list);
  let j = 0;
  bench("filter + list updated (windowed listbox, count)", () => {
    finder.setQuery(typing[j++ % typing.length]);
  });
});

describe(`once per directory at ${N.toLocaleString("en-US")} entries`, () => {
  bench("build the index", () => {
    indexOrgs(directory);
  });
  const store = createDirectory(directory);
  bench("the directory set again with an equal copy (compared, not rebuilt)", () => {
    store.set(directory.map((c) => ({ ...c })));
  });
});
