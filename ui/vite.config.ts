// Vite builds ui/ into ui/dist, which the Tauri app embeds (tauri.conf.json `frontendDist`).
import { defineConfig } from "vite";

export default defineConfig({
  clearScreen: false,
  build: {
    outDir: "dist",
    emptyOutDir: true,
    target: "safari15",
    // One small bundle; no source maps in the shipped app.
    sourcemap: false,
    modulePreload: { polyfill: false },
  },
});
