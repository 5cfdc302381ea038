// End-to-end: the library on the GPU backends, through the compute service,
// against wasm. Headless Chromium offers software adapters (SwiftShader) for
// WebGPU (--enable-unsafe-webgpu) and WebGL on any machine: correct and
// slow, so the photo is a 64 x 64 copy (the network is fully convolutional;
// the copy is made in JavaScript, the same pixels on every backend) and the
// settings are small, while keeping every code path: several batches with a
// padded remainder (the GPU backends' batch policy), every method, deletion
// and insertion with every substrate (black, mean, blur, road), SmoothGrad
// of each method it applies to, integrated gradients from every baseline,
// and one stage of cascading randomization.
// Each backend's compute worker is asked for that backend by name
// (`?backend=webgpu`), so it uses the software adapter instead of skipping
// it; the tests fail (never skip) if it runs another one.
// Tolerances: every map within 1e-4 of wasm's, relative to the
// largest |value| of wasm's map; every AUC within 1e-4.
// Programs (on WebGL): a GPU backend compiles a program per op and shape
// (WebGL) or configuration (WebGPU). With the batches padded, a slider that
// changes how many images a method sends (IG steps, curve steps, SmoothGrad
// samples) compiles nothing new; after the engine's idle warm-up of a
// chapter, its choices (another class, SmoothGrad) compile nothing new either.
// Needs dist/ (`npm run build`) and Chromium (see helpers.ts). Minutes of
// shader compiling in software: not part of `npm test` but of
// `npm run test:gpu` (CI runs it after npm test); it starts its own browser
// for the WebGPU flag.
import {afterAll, beforeAll, describe, expect, it} from "vitest";
import type {Browser} from "playwright-core";
import {launchBrowser, requireDist, serveDist} from "./helpers.js";
import {SITE_DIR} from "./handout-helpers.js";
import {chromiumArgs, openComputePage, relativeDifference, type ComputePage, type Job, type JobResult} from "./compute-pages.js";

const SIZE = 64;
/**
 * Images per model call: 2, so that a few images make several batches and
 * a padded remainder (software WebGPU takes seconds per image even at 64 x 64:
 * every case sends as few images as its code path needs).
 */
const BATCH = 2;
const MAP_TOLERANCE = 1e-4;
const AUC_TOLERANCE = 1e-4;
const SUBSTRATES = ["black", "mean", "blur", "road"] as const;
/** A class to follow in the curves (given, so a curve costs no extra forward pass for the predicted class). */
const CURVE_TARGET = 0;

interface Case {
  name: string;
  job: Job | ((maps: Map<string, JobResult>) => Job);
}

/** The map the curves score: GradCAM's, as wasm computes it (every backend scores the same map). */
const CURVE_MAP = "grad_cam";

const CASES: Case[] = [
  // S = 2: 4 occluded copies, 2 batches.
  {name: "occlusion", job: {kind: "method", method: "occlusion", steps: 2}},
  {name: "grad", job: {kind: "method", method: "grad"}},
  {name: "grad_x_input", job: {kind: "method", method: "grad_x_input"}},
  {name: "grad_cam", job: {kind: "method", method: "grad_cam"}},
  // M = 3: batches of 2 and 1 (padded to 2).
  {name: "integrated_gradients", job: {kind: "method", method: "integrated_gradients", steps: 3}},
  ...(["white", "blur", "uniform", "gaussian"] as const).map((baseline): Case => ({name: `integrated gradients, ${baseline} baseline`, job: {kind: "ig", baseline, steps: 2, samples: 1}})),
  // n = 3: batches of 2 and 1 (padded); n = 1: one padded batch.
  {name: "SmoothGrad, grad", job: {kind: "smoothgrad", method: "grad", samples: 3}},
  {name: "SmoothGrad, grad_x_input", job: {kind: "smoothgrad", method: "grad_x_input", samples: 1}},
  {name: "SmoothGrad, integrated_gradients", job: {kind: "smoothgrad", method: "integrated_gradients", samples: 1, steps: 2}},
  {name: "randomization stage 4 (fc to layer3.1 random), grad", job: {kind: "randomized", stage: 4, method: "grad"}},
  // S = 2 images (one batch) per curve; S = 3 (a padded remainder) for black deletion.
  ...(["deletion", "insertion"] as const).flatMap((metric) => SUBSTRATES.map((substrate): Case => ({
    name: `${metric}, ${substrate}`,
    job: (maps) => ({kind: "curve", metric, substrate, steps: metric === "deletion" && substrate === "black" ? 3 : 2, target: CURVE_TARGET, relevance: maps.get(CURVE_MAP)!.relevance!}),
  }))),
];

/** The backends to check (EXPLAIN_GPU_BACKENDS=webgl: one of them, while developing). */
const BACKENDS = (process.env.EXPLAIN_GPU_BACKENDS ?? "webgpu,webgl").split(",") as ("webgpu" | "webgl")[];

let site: Awaited<ReturnType<typeof serveDist>>;
let browser: Browser;
/** wasm's results, by case name. */
const reference = new Map<string, JobResult>();

async function runCases(page: ComputePage): Promise<Map<string, JobResult>> {
  const results = new Map<string, JobResult>();
  for (const c of CASES) {
    const job = typeof c.job === "function" ? c.job(reference.size ? reference : results) : c.job;
    results.set(c.name, (await page.run([job], {size: SIZE}))[0]);
  }
  return results;
}

beforeAll(async () => {
  requireDist();
  site = await serveDist(SITE_DIR);
  // One browser for all three: --enable-unsafe-webgpu adds WebGPU, WebGL is on SwiftShader anyway.
  browser = await launchBrowser(chromiumArgs("webgpu"));
  const wasm = await openComputePage(browser, site.url, "wasm", {batch: BATCH});
  const t0 = performance.now();
  for (const [name, result] of await runCases(wasm)) reference.set(name, result);
  console.log(`wasm: ${CASES.length} cases in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  await wasm.close();
});

afterAll(async () => {
  await browser?.close();
  await site?.close();
});

describe.each(BACKENDS)(`%s (software adapter) against wasm, ${SIZE} x ${SIZE}`, (backend) => {
  let page: ComputePage;
  const results = new Map<string, JobResult>();
  let failure: Error | null = null;

  beforeAll(async () => {
    try {
      page = await openComputePage(browser, site.url, backend, {batch: BATCH});
      const t0 = performance.now();
      for (const [name, result] of await runCases(page)) results.set(name, result);
      console.log(`${backend}: ${CASES.length} cases in ${((performance.now() - t0) / 1000).toFixed(1)} s; ${(await page.inspect()).programs} programs`);
      for (const c of CASES) {
        const [got, want] = [results.get(c.name)!, reference.get(c.name)!];
        const d = relativeDifference(got.relevance ?? got.curve!, want.relevance ?? want.curve!);
        console.log(`  ${c.name}: max rel. diff ${d.relative.toExponential(2)}${got.auc !== undefined ? `, AUC diff ${Math.abs(got.auc - want.auc!).toExponential(2)}` : ""} (${got.ms.toFixed(0)} ms)`);
      }
    } catch (e) {
      failure = e as Error;
    }
  });

  afterAll(async () => {
    await page?.close();
  });

  it(`the compute worker runs ${backend}`, () => {
    expect(failure?.message ?? null).toBeNull();
    expect(page.report.backend.name).toBe(backend);
    expect(page.report.where).toBe("worker");
  });

  it.each(CASES.map((c) => c.name))("%s: within 1e-4 of wasm", (name) => {
    expect(failure?.message ?? null).toBeNull();
    const [got, want] = [results.get(name)!, reference.get(name)!];
    const values = got.relevance ?? got.curve!;
    const expected = want.relevance ?? want.curve!;
    expect(values.length).toBe(want.curve ? expected.length : SIZE * SIZE);
    const d = relativeDifference(values, expected);
    expect(d.relative, `${name}: max |${backend} - wasm| = ${d.maxAbs} at ${d.at}, max |wasm| = ${d.scale}`).toBeLessThanOrEqual(MAP_TOLERANCE);
    if (want.auc !== undefined) expect(Math.abs(got.auc! - want.auc), `${name}: AUC ${got.auc} vs ${want.auc}`).toBeLessThanOrEqual(AUC_TOLERANCE);
    if (want.target !== undefined) expect(got.target).toBe(want.target);
  });

  // Program counts on WebGL only: its programs depend on shapes the most, and
  // software WebGPU takes seconds per image (the benchmark counts both).
  if (backend === "webgl") {
    it("changing how many images a method sends compiles no new program (batches padded to the batch size)", async () => {
      expect(failure?.message ?? null).toBeNull();
      const moves: [string, Job][] = [
        ["integrated gradients, M 3 -> 4", {kind: "method", method: "integrated_gradients", steps: 4}],
        ["deletion, black, S 3 -> 4", {kind: "curve", metric: "deletion", substrate: "black", steps: 4, target: CURVE_TARGET, relevance: reference.get(CURVE_MAP)!.relevance!}],
        ["SmoothGrad grad, n 3 -> 1", {kind: "smoothgrad", method: "grad", samples: 1}],
      ];
      for (const [name, job] of moves) {
        const before = (await page.inspect()).programs!;
        await page.run([job], {size: SIZE});
        const after = (await page.inspect()).programs!;
        expect(after - before, `${name}: ${after - before} new programs`).toBe(0);
      }
    });

    it("after the idle warm-up of a chapter, its choices compile no new program", async () => {
      expect(failure?.message ?? null).toBeNull();
      const fresh = await openComputePage(browser, site.url, backend, {batch: BATCH});
      try {
        const warmUp = await fresh.page.evaluate((size) => (globalThis as unknown as {__explainCompute: {warmUp(c: string, o: {size: number}): Promise<{steps: number; programs: number; errors?: string[]}>}}).__explainCompute.warmUp("gradient-norm", {size}), SIZE);
        expect(warmUp.errors ?? []).toEqual([]);
        expect(warmUp.steps).toBeGreaterThan(0);
        expect(warmUp.programs).toBeGreaterThan(0);
        const before = (await fresh.inspect()).programs!;
        await fresh.run([{kind: "method", method: "grad", target: 7}, {kind: "smoothgrad", method: "grad", samples: 3}], {size: SIZE});
        const after = (await fresh.inspect()).programs!;
        expect(after - before, `${after - before} programs compiled after the warm-up`).toBe(0);
      } finally {
        await fresh.close();
      }
    });
  }

  it("no console errors or warnings from the page or the worker", () => {
    expect(page.problems).toEqual([]);
  });
});
