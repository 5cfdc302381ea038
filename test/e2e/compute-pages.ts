// Driving the compute service of the built site on a chosen TensorFlow.js
// backend, for the browser benchmark (scripts/bench-browser.ts) and the GPU
// backend tests (gpu-backends.test.ts):
//
//   const browser = await launchBrowser(chromiumArgs("webgpu"));
//   const page = await openComputePage(browser, site.url, "webgpu");
//   const [result] = await page.run([{kind: "method", method: "grad"}], {size: 64});
//
// A compute page is the site's cover page with `?backend=<name>`: its
// compute worker (src/compute) picks that backend first (a software GPU
// adapter too, when it is asked for by name) and loads the model; no figure
// computes there, so what runs is only what is sent. Jobs run in the worker
// as a chapter's compute function does (with the worker's scope: `worker`,
// `model`, the library `lib`), on a gallery photo at 224 x 224 or on a
// smaller copy of it (the network is fully convolutional): the copy is made in JavaScript (resizeWithPadUint8), so
// every backend gets the same pixels.
import type {Browser, BrowserContext, Page} from "playwright-core";
import {CHROMIUM_ARGS, settled} from "./helpers.js";

export type BackendName = "webgpu" | "webgl" | "wasm" | "cpu";
export const BACKEND_NAMES: BackendName[] = ["webgpu", "webgl", "wasm", "cpu"];

/** A photo of the gallery that is also a fixture image (tench, ILSVRC2012_val_00009111). */
export const PHOTO_ID = "ILSVRC2012_val_00009111.JPEG";

/**
 * Flags for headless Chromium on `backend`.
 *  - Software (default, a machine without a GPU): CHROMIUM_ARGS keep the GPU
 *    process on SwiftShader (--disable-gpu --enable-unsafe-swiftshader), which
 *    gives WebGL 2; --enable-unsafe-webgpu adds WebGPU on SwiftShader's Vulkan.
 *  - `gpu: true`: the machine's GPU. Without --disable-gpu; Vulkan for WebGPU
 *    (Dawn) and for WebGL (ANGLE), the blocklist ignored (headless Chromium
 *    blocks most GPUs otherwise); `gpuArgs` replaces that set (another one
 *    that scripts/gpu-probe.ts found to reach the GPU).
 */
export function chromiumArgs(backend: BackendName, {gpu = false, gpuArgs = GPU_ARGS, extra = []}: {gpu?: boolean; gpuArgs?: string[]; extra?: string[]} = {}): string[] {
  if (!gpu) return [...CHROMIUM_ARGS, ...(backend === "webgpu" ? ["--enable-unsafe-webgpu"] : []), ...extra];
  const base = CHROMIUM_ARGS.filter((a) => a !== "--disable-gpu" && a !== "--enable-unsafe-swiftshader");
  return [...base, ...gpuArgs, ...extra];
}

/** The flags that ask headless Chromium for the real GPU (see chromiumArgs). */
export const GPU_ARGS = ["--enable-unsafe-webgpu", "--enable-features=Vulkan,VulkanFromANGLE,DefaultANGLEVulkan", "--use-angle=vulkan", "--ignore-gpu-blocklist", "--enable-gpu-rasterization"];

/** One computation, described by data (the worker runs the library; see JOB_SOURCE). */
export type Job =
  | {kind: "method"; method: string; steps?: number; target?: number}
  | {kind: "curve"; metric: "deletion" | "insertion"; substrate: string; steps: number; relevance: number[]; target?: number}
  | {kind: "smoothgrad"; method: string; samples: number; noise?: number; steps?: number; seed?: number}
  | {kind: "ig"; baseline: string; steps: number; samples?: number; seed?: number}
  | {kind: "randomized"; stage: number; method: string; steps?: number};

/** What a job returns (arrays, so the result crosses to Node as JSON). */
export interface JobResult {
  /** Normalized map (size x size), method-like jobs. */
  relevance?: number[];
  /** Raw per-channel attributions (IG, SmoothGrad) or the gradient (grad, gxi). */
  raw?: number[];
  logits?: number[];
  target?: number;
  /** Curves. */
  curve?: number[];
  auc?: number;
  /** IG: the completeness gap. */
  gap?: number;
  /** Milliseconds in the worker (the job alone). */
  ms: number;
}

/**
 * The compute function the pages' worker runs for a list of jobs (a string:
 * the test runner must not rewrite it; it is compiled in the worker, and gets
 * the worker's scope, src/compute/scope.ts, as a chapter's compute function
 * does). Each job gets a fresh image tensor.
 */
export const JOB_SOURCE = `async ({id, size, jobs}, {signal}, {worker, model, trainedWeights, lib}) => {
  const {explain, imageFromBytes, imageLogits, integratedGradients, metricCurve, randomizedStateDict, resizeWithPadUint8, ResNet18, smoothGrad} = lib;
  const photo = worker.photo(id);
  const bytes = size === 224 ? photo : resizeWithPadUint8(photo, 224, 224, 3, size);
  const list = (a) => (a ? Array.from(a) : undefined);
  const out = [];
  for (const job of jobs) {
    const image = imageFromBytes(bytes, size);
    const t0 = performance.now();
    try {
      let r;
      switch (job.kind) {
        case "method": {
          const e = await explain(job.method, model, image, {steps: job.steps, target: job.target, signal, incremental: worker.incrementalOcclusion});
          r = {relevance: list(e.relevance), raw: list("gradient" in e ? e.gradient : "attributions" in e ? e.attributions : undefined), logits: list(e.logits), target: e.target};
          break;
        }
        case "curve": {
          const c = await metricCurve(model, image, Float32Array.from(job.relevance), {metric: job.metric, substrate: job.substrate, steps: job.steps, target: job.target, signal});
          r = {curve: list(c.curve), auc: c.auc, target: c.target};
          break;
        }
        case "smoothgrad": {
          const e = await smoothGrad(model, image, {method: job.method, samples: job.samples, noise: job.noise, steps: job.steps, seed: job.seed, signal});
          r = {relevance: list(e.relevance), raw: list(e.attributions), target: e.target};
          break;
        }
        case "ig": {
          const e = await integratedGradients(model, image, {baseline: job.baseline, steps: job.steps, baselineSamples: job.samples, seed: job.seed, completeness: true, signal});
          r = {relevance: list(e.relevance), raw: list(e.attributions), target: e.target, gap: e.completeness.gap};
          break;
        }
        case "randomized": {
          const target = (await imageLogits(model, image)).predicted;
          const stageModel = new ResNet18(randomizedStateDict(trainedWeights, job.stage));
          try {
            const e = await explain(job.method, stageModel, image, {steps: job.steps, target, signal, incremental: worker.incrementalOcclusion});
            r = {relevance: list(e.relevance), logits: list(e.logits), target};
          } finally {
            stageModel.dispose();
          }
          break;
        }
        default:
          throw new Error("unknown job " + job.kind);
      }
      out.push({...r, ms: performance.now() - t0});
    } finally {
      image.dispose();
    }
  }
  return out;
}`;

export interface Inspection {
  backend: string;
  numTensors: number;
  numBytes: number;
  programs: number | null;
}

export interface ComputeReport {
  backend: {name: string; skipped: {name: string; reason: string}[]; ms: number};
  where: string;
  threads: number | null;
  batchSize: number;
  notes: string[];
  readyMs: number;
}

export interface ComputePage {
  page: Page;
  report: ComputeReport;
  /** Runs jobs on photo `id` at `size` x `size` in the compute worker. */
  run(jobs: Job[], options?: {size?: number; id?: string}): Promise<JobResult[]>;
  /** Tensors and GPU programs the backend holds now. */
  inspect(): Promise<Inspection>;
  /** Console errors and uncaught exceptions of the page so far. */
  problems: string[];
  close(): Promise<void>;
}

/**
 * Opens the cover page with `?backend=<backend>` (and `batch`) in a new
 * context, waits for its compute service and returns a handle. Throws, with
 * the worker's reasons, if the service runs another backend than asked.
 */
export async function openComputePage(browser: Browser, siteUrl: string, backend: BackendName, {batch, query = {}, allowOther = false}: {batch?: number; query?: Record<string, string>; allowOther?: boolean} = {}): Promise<ComputePage> {
  const context: BrowserContext = await browser.newContext({viewport: {width: 1000, height: 700}});
  const page = await context.newPage();
  const problems: string[] = [];
  page.on("console", (m) => {
    if (m.type() === "error" || m.type() === "warning") problems.push(`${m.type()}: ${m.text().split("\n")[0]}`);
  });
  page.on("pageerror", (e) => problems.push(`uncaught: ${e.message}`));
  page.on("framenavigated", (frame) => {
    if (frame === page.mainFrame()) problems.length = 0;
  });
  const search = new URLSearchParams({backend, ...(batch ? {batch: String(batch)} : {}), ...query});
  await page.goto(`${siteUrl}/?${search}`, {waitUntil: "load"});
  await settled(page, 120_000);
  await page.waitForFunction(() => (globalThis as {__explainCompute?: unknown}).__explainCompute !== undefined, null, {timeout: 120_000});
  const report = (await page.evaluate(() => (globalThis as unknown as {__explainCompute: {ready(): Promise<unknown>}}).__explainCompute.ready())) as ComputeReport;
  if (report.backend.name !== backend && !allowOther) {
    await context.close();
    const why = report.backend.skipped.map((s) => `${s.name}: ${s.reason}`).join("; ");
    throw new Error(`asked for ${backend}, the compute worker runs ${report.backend.name}${why ? ` (${why})` : ""}`);
  }
  return {
    page,
    report,
    problems,
    run: (jobs, {size = 224, id = PHOTO_ID} = {}) =>
      page.evaluate(
        ([source, params]) => {
          const compute = (globalThis as unknown as {__explainCompute: {run(fn: unknown, params: unknown): Promise<unknown>}}).__explainCompute;
          return compute.run(new Function(`return ${source}`)(), params);
        },
        [JOB_SOURCE, {id, size, jobs}] as const,
      ) as Promise<JobResult[]>,
    inspect: () => page.evaluate(() => (globalThis as unknown as {__explainCompute: {inspect(): Promise<Inspection>}}).__explainCompute.inspect()),
    close: () => context.close(),
  };
}

/** max |a - b| / max |b| (b: the reference), and max |b|. NaN anywhere: Infinity. */
export function relativeDifference(a: ArrayLike<number>, b: ArrayLike<number>): {relative: number; maxAbs: number; scale: number; at: number} {
  if (a.length !== b.length) throw new Error(`arrays of different lengths (${a.length} != ${b.length})`);
  let maxAbs = 0, scale = 0, at = -1;
  for (let i = 0; i < a.length; i++) {
    const d = Math.abs(a[i] - b[i]);
    if (Number.isNaN(d)) return {relative: Infinity, maxAbs: Infinity, scale, at: i};
    if (d > maxAbs) [maxAbs, at] = [d, i];
    scale = Math.max(scale, Math.abs(b[i]));
  }
  return {relative: scale > 0 ? maxAbs / scale : maxAbs, maxAbs, scale, at};
}
