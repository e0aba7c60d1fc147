// The example's page, built into dist/ (tauri.conf.json `frontendDist`).
import { defineConfig } from "vite";

export default defineConfig({
  clearScreen: false,
  build: { outDir: "dist", emptyOutDir: true, target: "safari15" },
});
