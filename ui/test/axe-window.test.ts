// tests/e2e/axe-window.js, the script the end-to-end test injects into the real window after axe.min.js, run here as
// WebDriver's execute_async runs it (a function body whose last argument is the callback) on a page with known faults:
// its answer is the JSON the Rust test reads.
import axe from "axe-core";
import { afterEach, expect, test } from "vitest";
import script from "../../tests/e2e/axe-window.js?raw";

type Violation = { id: string; impact: string; help: string; nodes: { target: string; failureSummary: string }[] };

const win = window as unknown as { axe?: typeof axe };

afterEach(() => {
  delete win.axe;
  document.body.replaceChildren();
  delete document.body.dataset.ready;
});

/** Run the script as execute_async does and parse what it hands the callback. */
function execute(): Promise<Violation[]> {
  return new Promise((resolve) => {
    new Function(script)((json: string) => resolve(JSON.parse(json) as Violation[]));
  });
}

test("answers each violated rule with its impact, help and at most 3 nodes", async () => {
  win.axe = axe;
  document.documentElement.lang = "en";
  document.title = "Orgpass";
  document.body.dataset.ready = "true";
  const main = document.createElement("main");
  main.innerHTML = "<h1>Orgpass</h1>" + "<button></button>".repeat(4) + '<input type="text">';
  document.body.append(main);

  const found = await execute();
  const byId = Object.fromEntries(found.map((v) => [v.id, v]));
  expect(Object.keys(byId).sort()).toEqual(["button-name", "label"]);
  expect(byId["button-name"].impact).toBe("critical");
  expect(byId["button-name"].help).toBe("Buttons must have discernible text");
  expect(byId["button-name"].nodes.map((n) => n.target)).toEqual(["button:nth-child(2)", "button:nth-child(3)", "button:nth-child(4)"]);
  expect(byId["button-name"].nodes[0].failureSummary).toMatch(/^Fix any of the following:/);
  expect(byId.label.nodes).toHaveLength(1);
});

test("without axe in the window, one axe-error entry says so", async () => {
  document.body.dataset.ready = "true";
  expect(await execute()).toEqual([
    { id: "axe-error", impact: "critical", help: "axe-core is not in the window: inject axe.min.js before this script", nodes: [] },
  ]);
});
