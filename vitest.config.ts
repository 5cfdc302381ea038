import fs from "node:fs";
import path from "node:path";
import {fileURLToPath} from "node:url";
import {defineConfig} from "vitest/config";

// Four projects (npm scripts choose among them; see package.json):
//  - model: the unit files that load the ResNet-18 (test/helpers/model.ts).
//    They share their worker process (isolate: false), so the model and
//    TensorFlow.js load once per process instead of once per file; setup()
//    sets the backend again for each file.
//  - unit: every other unit file, each in a fresh process as before (some
//    stub globals, pick the cpu backend or mock modules).
//  - e2e: the headless-browser files. One server for dist/ and one Chromium
//    per worker are started once (test/e2e/global-setup.ts).
//  - gpu: the software-GPU backends (WebGPU and WebGL on SwiftShader, with
//    their own Chromium flags): minutes of shader compiling, so not in
//    `npm test` but in `npm run test:gpu` (CI runs both).
const UNIT = "test/*.test.ts";
const GPU = "test/e2e/gpu-backends.test.ts";
const TEST_DIR = path.join(path.dirname(fileURLToPath(import.meta.url)), "test");
const MODEL_FILES = fs
  .readdirSync(TEST_DIR)
  .filter((f) => f.endsWith(".test.ts") && /from "\.\/helpers\/model\.js"/.test(fs.readFileSync(path.join(TEST_DIR, f), "utf8")))
  .map((f) => `test/${f}`);

export default defineConfig({
  test: {
    // Each file computes on the wasm backend (single-threaded in Node), and a
    // page test's Chromium is busy on one core: one process per core.
    pool: "forks",
    maxWorkers: 2,
    testTimeout: 1_200_000,
    hookTimeout: 1_200_000,
    projects: [
      {extends: true, test: {name: "model", include: MODEL_FILES, isolate: false}},
      {extends: true, test: {name: "unit", include: [UNIT], exclude: MODEL_FILES}},
      {extends: true, test: {name: "e2e", include: ["test/e2e/*.test.ts"], exclude: [GPU], globalSetup: ["test/e2e/global-setup.ts"]}},
      {extends: true, test: {name: "gpu", include: [GPU]}},
    ],
  },
});
