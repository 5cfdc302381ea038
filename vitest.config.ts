import fs from "node:fs";
import path from "node:path";
import {fileURLToPath} from "node:url";
import {defineConfig} from "vitest/config";
import {BaseSequencer, type TestSpecification} from "vitest/node";

// Five projects (npm scripts choose among them; see package.json):
//  - parity: the files that compare the methods and the statistics with the
//    reference on every fixture photo at 224 x 224 (PARITY below): minutes
//    each on a CPU, so `npm test` runs them and `npm run test:unit` (the
//    inner loop) does not.
//  - model: the other unit files that load the ResNet-18
//    (test/helpers/model.ts). Both model projects share their worker process
//    (isolate: false), so the model and TensorFlow.js load once per process
//    instead of once per file; setup() sets the backend again for each file.
//  - unit: every other unit file, each in a fresh process as before (some
//    stub globals, pick the cpu backend or mock modules).
//  - e2e: the headless-browser files. One server for dist/ and one Chromium
//    per worker are started once (test/e2e/global-setup.ts). Among them the
//    smoke tests in Firefox and WebKit (firefox.test.ts, webkit.test.ts),
//    which start those browsers themselves and compare with that Chromium.
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

// Files that take minutes (fixture parity at 224 x 224 on wasm, and the
// statistics in several processes), slowest first: the sequencer starts
// them first. On a clean clone (CI) vitest knows no durations and starts the
// larger files first; a slow short file would then start last and the run
// would wait for it alone. Starting these first leaves the short files to
// fill both workers at the end. The other files keep vitest's order (its
// cache of durations, when it has one).
const PARITY = ["test/deletion.test.ts", "test/stats.test.ts", "test/stats-shards.test.ts", "test/methods-ig.test.ts", "test/ig-baselines.test.ts", "test/methods-gradients.test.ts"];

class SlowestFirst extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const rank = (spec: TestSpecification) => {
      const i = PARITY.indexOf(path.relative(spec.project.config.root, spec.moduleId));
      return i < 0 ? PARITY.length : i;
    };
    // Stable: a project's files stay together (the model files reuse their process), in vitest's order of projects.
    const order = await super.sort(files);
    const projects = [...new Set(order.map((spec) => spec.project.name))];
    return order.sort((a, b) => projects.indexOf(a.project.name) - projects.indexOf(b.project.name) || rank(a) - rank(b));
  }
}

export default defineConfig({
  test: {
    // Each file computes on the wasm backend (single-threaded in Node), and a
    // page test's Chromium is busy on one core: one process per core.
    pool: "forks",
    maxWorkers: 2,
    testTimeout: 1_200_000,
    hookTimeout: 1_200_000,
    sequence: {sequencer: SlowestFirst},
    projects: [
      {extends: true, test: {name: "parity", include: PARITY, isolate: false}},
      {extends: true, test: {name: "model", include: MODEL_FILES, exclude: PARITY, isolate: false}},
      {extends: true, test: {name: "unit", include: [UNIT], exclude: [...MODEL_FILES, ...PARITY]}},
      {extends: true, test: {name: "e2e", include: ["test/e2e/*.test.ts"], exclude: [GPU], globalSetup: ["test/e2e/global-setup.ts"]}},
      {extends: true, test: {name: "gpu", include: [GPU]}},
    ],
  },
});
