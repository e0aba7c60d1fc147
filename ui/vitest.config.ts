// Vitest runs the window's unit tests (test/**/*.test.ts) in jsdom, the plugin faked with @tauri-apps/api/mocks.
import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    environment: "jsdom",
    include: ["test/**/*.test.ts"],
    restoreMocks: true,
  },
});
