// axe-core over the real app window: run through WebDriver's execute_async (its callback is the last argument) after
// axe-core's own axe.min.js was injected into the same window. Waits (at most 5 s) for the window's first drawing
// (body[data-ready="true"], set by ui/src/render.ts), runs the WCAG 2.0/2.1/2.2 A and AA and best-practice rules,
// colour contrast included, and answers a JSON string:
//   [{ "id", "impact", "help", "nodes": [{ "target", "failureSummary" }, … at most 3] }, …]
// one entry per violated rule, [] when there is none. If axe is missing or fails, the answer has the same shape, one
// entry with id "axe-error", so that a test reading it fails with the reason. Plain ES2019, no imports.
(function (done) {
  var TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice"];
  var NODES = 3;

  function answer(list) {
    done(JSON.stringify(list));
  }

  function failed(message) {
    answer([{ id: "axe-error", impact: "critical", help: String(message), nodes: [] }]);
  }

  /** A node's target: a CSS selector, or a path of them through frames and shadow roots, as one string. */
  function selector(target) {
    if (!Array.isArray(target)) return String(target);
    return target
      .map(function (part) {
        return Array.isArray(part) ? part.join(" >>> ") : String(part);
      })
      .join(" | ");
  }

  function run() {
    if (typeof window.axe === "undefined" || typeof window.axe.run !== "function") {
      failed("axe-core is not in the window: inject axe.min.js before this script");
      return;
    }
    window.axe
      .run(document, { runOnly: { type: "tag", values: TAGS }, resultTypes: ["violations"] })
      .then(function (results) {
        answer(
          results.violations.map(function (v) {
            return {
              id: v.id,
              impact: v.impact,
              help: v.help,
              nodes: v.nodes.slice(0, NODES).map(function (n) {
                return { target: selector(n.target), failureSummary: n.failureSummary };
              }),
            };
          }),
        );
      })
      .catch(function (e) {
        failed(e && e.message ? e.message : e);
      });
  }

  var waited = 0;
  (function whenDrawn() {
    var ready = document.body && document.body.getAttribute("data-ready") === "true";
    if (ready || waited >= 5000) {
      run();
      return;
    }
    waited += 50;
    setTimeout(whenDrawn, 50);
  })();
})(arguments[arguments.length - 1]);
