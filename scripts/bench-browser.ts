// npm run bench:browser -- --backend webgpu|webgl|wasm|cpu [--size 224|64] [--runs N] [--json FILE]
//   [--gpu] [--gpu-args "..."] [--chromium-arg FLAG ...] [--figures a,b] [--batch N] [--query "a=b"]
//   [--dist DIR] [--no-warm-up | --warm-up-figures a,b]
// Serves the built site, opens headless Chromium with the flags the backend
// needs (software adapters by default; --gpu: the machine's GPU, see
// test/e2e/compute-pages.ts), and runs each figure the chapters compute, at
// the handout's settings, through the page's compute service on
// `?backend=<backend>`:
//   occlusion S = 6, gradient, gradient x input, GradCAM, IG M = 20,
//   deletion and insertion with S = 10 (black substrate, on GradCAM's map
//   as wasm computes it, so both backends score the same map).
// Per figure, each on a fresh page (a new compute worker, as a chapter starts):
//  - firstMs: the first call, GPU program (shader) compilation included;
//  - programs: GPU programs that first call compiled (webgpu pipelines,
//    webgl binaries; null on the CPU backends);
//  - warmMs: the median of --runs calls after it;
//  - moveMs, movePrograms: one call at the next setting (S 7, M 21,
//    S 11 for the curves; another class for the others), as a slider move;
//  - tensorsLeft: tensors on the backend after all of these minus before
//    the first call; tensorsCached: of these, those the first call left
//    (kernels the library caches, e.g. the stride-2 gradients' sub-kernels):
//    tensorsLeft = tensorsCached means the later calls left nothing;
//  - maxRelDiffVsWasm: max |map - wasm's map| / max |wasm's map| (curves:
//    the same for the curve), the wasm run in the same browser, same size;
//  - aucDiffVsWasm: |AUC - wasm's AUC| for the curves.
// On the GPU backends, each figure runs a second time on another fresh page
// after the engine's idle warm-up of that figure's chapter (src/compute/warm-up.ts):
//  - warmedFirstMs, warmedPrograms: the first call after the warm-up;
//  - warmUpMs, warmUpPrograms: what the warm-up took (idle time) and compiled.
// --no-warm-up skips that pass; --warm-up-figures runs it for those figures only
// (software adapters: a chapter's warm-up is a good part of its computations).
// --size 64 runs on a 64 x 64 copy of the photo (the network is fully
// convolutional): software adapters are slow.
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import {parseArgs} from "node:util";
import {DIST, launchBrowser, serveDist} from "../test/e2e/helpers.js";
import {BACKEND_NAMES, chromiumArgs, openComputePage, relativeDifference, type BackendName, type ComputePage, type Job, type JobResult} from "../test/e2e/compute-pages.js";

const USAGE = `usage: npm run bench:browser -- --backend webgpu|webgl|wasm|cpu [--size 224|64] [--runs N] [--json FILE]
  --backend       the TensorFlow.js backend the compute worker is asked to run (required)
  --size          the photo's side in pixels (default 224; 64: a 64 x 64 copy)
  --runs          warm calls per figure after the first (default 3); the table shows their median
  --json          write one record per figure to FILE
  --gpu           headless Chromium on the machine's GPU (Vulkan, blocklist ignored) instead of SwiftShader
  --gpu-args      with --gpu: these flags instead of the default GPU set (e.g. what gpu-probe found)
  --chromium-arg  an extra Chromium flag (repeatable)
  --figures       a subset of ${["occlusion", "grad", "grad_x_input", "grad_cam", "integrated_gradients", "deletion", "insertion"].join(",")}
  --batch         images per model call (the page's ?batch=, default 8)
  --query         more address parameters for the pages (e.g. shape-uniforms=off)
  --no-warm-up    skip the pass after the engine's idle warm-up (GPU backends)
  --warm-up-figures  that pass for these figures only
  --no-reference  skip the wasm reference run (no differences reported)
  --dist          the built site (default: ${path.relative(process.cwd(), DIST) || "."})`;

const {values} = parseArgs({
  options: {
    backend: {type: "string"},
    size: {type: "string", default: "224"},
    runs: {type: "string", default: "3"},
    json: {type: "string"},
    gpu: {type: "boolean", default: false},
    "gpu-args": {type: "string"},
    "chromium-arg": {type: "string", multiple: true, default: []},
    figures: {type: "string"},
    batch: {type: "string"},
    query: {type: "string", default: ""},
    "no-warm-up": {type: "boolean", default: false},
    "warm-up-figures": {type: "string"},
    "no-reference": {type: "boolean", default: false},
    dist: {type: "string"},
    help: {type: "boolean", default: false},
  },
});
if (values.help) {
  console.log(USAGE);
  process.exit(0);
}
const backend = values.backend as BackendName;
if (!BACKEND_NAMES.includes(backend)) {
  console.error(`--backend must be one of ${BACKEND_NAMES.join(", ")}\n${USAGE}`);
  process.exit(2);
}
const size = Number(values.size);
if (!Number.isInteger(size) || size < 32 || size > 224) {
  console.error(`--size must be an integer from 32 to 224, got ${values.size}`);
  process.exit(2);
}
const runs = Math.max(0, Math.floor(Number(values.runs)));
const batch = values.batch ? Number(values.batch) : undefined;
const gpuBackend = backend === "webgpu" || backend === "webgl";
const query = Object.fromEntries(new URLSearchParams(values.query));

interface Figure {
  name: string;
  /** The chapter whose idle warm-up covers it (src/compute/warm-up.ts). */
  chapter: string;
  job: (relevance: number[] | null) => Job;
  /** The same figure after a slider move (or another class). */
  moved: (relevance: number[] | null) => Job;
  curve?: boolean;
}

const FIGURES: Figure[] = [
  {name: "occlusion", chapter: "occlusion", job: () => ({kind: "method", method: "occlusion", steps: 6}), moved: () => ({kind: "method", method: "occlusion", steps: 7})},
  {name: "grad", chapter: "gradient-norm", job: () => ({kind: "method", method: "grad"}), moved: () => ({kind: "method", method: "grad", target: 3})},
  {name: "grad_x_input", chapter: "gradient-x-input", job: () => ({kind: "method", method: "grad_x_input"}), moved: () => ({kind: "method", method: "grad_x_input", target: 3})},
  {name: "grad_cam", chapter: "grad-cam", job: () => ({kind: "method", method: "grad_cam"}), moved: () => ({kind: "method", method: "grad_cam", target: 3})},
  {name: "integrated_gradients", chapter: "integrated-gradients", job: () => ({kind: "method", method: "integrated_gradients", steps: 20}), moved: () => ({kind: "method", method: "integrated_gradients", steps: 21})},
  {name: "deletion", chapter: "deletion-score", curve: true, job: (r) => ({kind: "curve", metric: "deletion", substrate: "black", steps: 10, relevance: r!}), moved: (r) => ({kind: "curve", metric: "deletion", substrate: "black", steps: 11, relevance: r!})},
  {name: "insertion", chapter: "deletion-score", curve: true, job: (r) => ({kind: "curve", metric: "insertion", substrate: "black", steps: 10, relevance: r!}), moved: (r) => ({kind: "curve", metric: "insertion", substrate: "black", steps: 11, relevance: r!})},
];
const chosen = values.figures ? values.figures.split(",") : FIGURES.map((f) => f.name);
for (const name of chosen) {
  if (!FIGURES.some((f) => f.name === name)) {
    console.error(`unknown figure ${name}\n${USAGE}`);
    process.exit(2);
  }
}
const figures = FIGURES.filter((f) => chosen.includes(f.name));

export interface BenchRecord {
  figure: string;
  backend: BackendName;
  size: number;
  firstMs: number;
  warmMs: number | null;
  programs: number | null;
  tensorsLeft: number;
  tensorsCached: number;
  maxRelDiffVsWasm: number | null;
  aucDiffVsWasm: number | null;
  moveMs: number;
  movePrograms: number | null;
  warmedFirstMs?: number | null;
  warmedPrograms?: number | null;
  warmUpMs?: number | null;
  warmUpPrograms?: number | null;
  adapter?: string;
}

function median(xs: number[]): number | null {
  if (!xs.length) return null;
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

const log = (line: string) => process.stderr.write(`bench:browser ${line}\n`);
const delta = (after: number | null, before: number | null) => (after === null || before === null ? null : after - before);

const gpuArgs = values["gpu-args"]?.split(/\s+/).filter(Boolean);
const ms = (v: number | null | undefined) => (v == null ? "–" : v >= 1000 ? `${(v / 1000).toFixed(2)} s` : `${Math.round(v)} ms`);
const n = (v: number | null | undefined) => (v == null ? "–" : String(v));
const e = (v: number | null | undefined) => (v == null ? "–" : v === 0 ? "0" : v.toExponential(1));

/** The table (and the JSON) of the figures measured so far. */
function report(records: BenchRecord[], adapter: string): void {
  console.log(`machine: ${os.cpus().length} × ${os.cpus()[0]?.model ?? "?"}; Chromium ${values.gpu || gpuArgs ? "on the GPU" : gpuBackend ? "software adapters (SwiftShader)" : "headless"}; backend: ${adapter}; photo ${size} × ${size}; batch ${batch ?? 8}${values.query ? `; ?${values.query}` : ""}; warm = median of ${runs}`);
  const warmed = records.some((r) => r.warmedFirstMs != null);
  console.log(`| figure | first call | programs | warm | slider move (programs) | tensors left (cached) | max rel. diff vs wasm | AUC diff vs wasm |${warmed ? " idle warm-up (programs) | first call after it (programs) |" : ""}`);
  console.log(`|---|---|---|---|---|---|---|---|${warmed ? "---|---|" : ""}`);
  for (const r of records) {
    const extra = warmed ? ` ${ms(r.warmUpMs)} (${n(r.warmUpPrograms)}) | ${ms(r.warmedFirstMs)} (${n(r.warmedPrograms)}) |` : "";
    console.log(`| ${r.figure} | ${ms(r.firstMs)} | ${n(r.programs)} | ${ms(r.warmMs)} | ${ms(r.moveMs)} (${n(r.movePrograms)}) | ${r.tensorsLeft} (${r.tensorsCached}) | ${e(r.maxRelDiffVsWasm)} | ${e(r.aucDiffVsWasm)} |${extra}`);
  }
  if (values.json) {
    fs.writeFileSync(values.json, JSON.stringify(records, null, 1));
    log(`wrote ${values.json}`);
  }
}

const site = await serveDist(values.dist ? path.resolve(values.dist) : DIST);
const browser = await launchBrowser(chromiumArgs(backend, {gpu: values.gpu || !!gpuArgs, ...(gpuArgs ? {gpuArgs} : {}), extra: values["chromium-arg"]}));
const records: BenchRecord[] = [];
let adapter = "";
// Stopped by a time limit (gpu-check.sh runs this under `timeout`): the figures done so far.
process.once("SIGTERM", () => {
  console.log("(stopped by SIGTERM, a time limit: the figures measured so far)");
  report(records, adapter);
  process.exit(124);
});
try {
  // The reference: wasm in the same browser, at the same size.
  const reference = new Map<string, JobResult>();
  let relevance: number[] | null = null;
  const needsMap = figures.some((f) => f.curve);
  if (!values["no-reference"] || needsMap) {
    log(`reference: wasm, ${size} x ${size}`);
    const wasm = await openComputePage(browser, site.url, "wasm", {batch, query});
    try {
      if (needsMap) relevance = (await wasm.run([{kind: "method", method: "grad_cam"}], {size}))[0].relevance!;
      if (!values["no-reference"] && backend !== "wasm") {
        for (const f of figures) reference.set(f.name, (await wasm.run([f.job(relevance)], {size}))[0]);
      }
    } finally {
      await wasm.close();
    }
  }

  for (const f of figures) {
    log(`${f.name}: ${backend}, ${size} x ${size}, first call + ${runs} runs + a slider move`);
    const page = await openComputePage(browser, site.url, backend, {batch, query});
    adapter ||= describeBackend(page);
    let record: BenchRecord;
    try {
      const before = await page.inspect();
      const [first] = await page.run([f.job(relevance)], {size});
      const afterFirst = await page.inspect();
      const warm: number[] = [];
      for (let r = 0; r < runs; r++) warm.push((await page.run([f.job(relevance)], {size}))[0].ms);
      const beforeMove = await page.inspect();
      const [moved] = await page.run([f.moved(relevance)], {size});
      const afterMove = await page.inspect();
      const ref = reference.get(f.name);
      const diff = ref ? relativeDifference(f.curve ? first.curve! : first.relevance!, f.curve ? ref.curve! : ref.relevance!).relative : null;
      record = {
        figure: f.name,
        backend,
        size,
        firstMs: first.ms,
        warmMs: median(warm),
        programs: delta(afterFirst.programs, before.programs),
        tensorsLeft: afterMove.numTensors - before.numTensors,
        tensorsCached: afterFirst.numTensors - before.numTensors,
        maxRelDiffVsWasm: diff,
        aucDiffVsWasm: ref && f.curve ? Math.abs(first.auc! - ref.auc!) : null,
        moveMs: moved.ms,
        movePrograms: delta(afterMove.programs, beforeMove.programs),
      };
      if (page.problems.length) log(`  the page said: ${[...new Set(page.problems)].slice(0, 3).join(" | ")}`);
    } finally {
      await page.close();
    }
    if (gpuBackend && !values["no-warm-up"] && (!values["warm-up-figures"] || values["warm-up-figures"].split(",").includes(f.name))) {
      log(`${f.name}: again on a fresh page, after the idle warm-up of chapter ${f.chapter}`);
      const page = await openComputePage(browser, site.url, backend, {batch, query});
      try {
        const before = await page.inspect();
        const warmUp = await warmUpChapter(page, f.chapter, size);
        const afterWarmUp = await page.inspect();
        const [first] = await page.run([f.job(relevance)], {size});
        const afterFirst = await page.inspect();
        Object.assign(record, {warmUpMs: warmUp.ms, warmUpPrograms: delta(afterWarmUp.programs, before.programs), warmedFirstMs: first.ms, warmedPrograms: delta(afterFirst.programs, afterWarmUp.programs)});
      } finally {
        await page.close();
      }
    }
    record.adapter = adapter;
    records.push(record);
    log(`  ${JSON.stringify(record)}`);
  }
} finally {
  await browser.close();
  await site.close();
}

/** Runs the engine's idle warm-up of `chapter` at `size` and waits for it (ComputeClient.warmUp). */
async function warmUpChapter(page: ComputePage, chapter: string, size: number): Promise<{ms: number}> {
  return page.page.evaluate(
    ([chapter, size]) => (globalThis as unknown as {__explainCompute: {warmUp(chapter: string, options: {size: number}): Promise<{ms: number}>}}).__explainCompute.warmUp(chapter, {size}),
    [chapter, size] as const,
  );
}

function describeBackend(page: ComputePage): string {
  const r = page.report;
  return `${r.backend.name}${r.threads ? ` (${r.threads} threads)` : ""}${r.notes.length ? `; ${r.notes.join("; ")}` : ""}`;
}


report(records, adapter);
