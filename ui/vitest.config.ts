// Vitest runs the window's unit tests (test/**/*.test.ts) in jsdom, the plugin faked with @tauri-apps/api/mocks.
import { defineConfig } from "vitest/config";

export default defineConfig({
  // test/axe-window.test.ts reads the end-to-end test's script as text (`?raw`), which Vite allows only from here.
  server: { fs: { allow: [".", "../tests/e2e"] } },
  test: {
    environment: "jsdom",
    include: ["test/**/*.test.ts"],
    restoreMocks: true,
    // The window's stylesheet is read as text (`style.css?raw`) by test/contrast.test.ts, which checks its colours.
    css: { include: [/style\.css/] },
  },
});
