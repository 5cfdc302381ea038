import {defineConfig} from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    // Each file loads the model on the wasm backend (single-threaded in Node):
    // one process per core.
    pool: "forks",
    maxWorkers: 2,
    testTimeout: 1_200_000,
    hookTimeout: 1_200_000,
  },
});
