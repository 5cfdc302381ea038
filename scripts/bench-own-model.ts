// npm run bench:own-model -- [--model resnet50] [--runs N] [--dist DIR]
// The reader's own model in the browser: serves the built site, opens the
// GradCAM chapter in headless Chromium on wasm with 2 threads, and loads a
// seeded random torchvision ResNet (1000 classes; ResNet-50: ~100 MB of
// float32 .safetensors, written to a temp dir: the timings do not depend on
// the weights' values) through the page's compute service exactly as the
// "use your own model" control does (the file's bytes moved to the worker,
// read, built and swapped in). Prints:
//  - load: from reading the file in the page to the model ready in the worker;
//  - longest main-thread task during the load (PerformanceObserver
//    "longtask"; it must stay under 100 ms: the page stays responsive);
//  - peak memory during the load: the largest sum of the resident memory of
//    Chromium's processes (Linux /proc, sampled every 50 ms) over what they
//    held before, and the page's own measure after it
//    (performance.measureUserAgentSpecificMemory: page and its worker);
//  - then, warm (one run first), the median of N runs of the gradient,
//    GradCAM, occlusion S = 6 and IG M = 20 on a gallery photo.
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import {parseArgs} from "node:util";
import {DIST, launchBrowser, serveDist} from "../test/e2e/helpers.js";
import {writeSafetensors} from "../src/lib/safetensors.js";
import {seededStateDict, type ResNetName} from "./seeded-resnet.js";

const {values} = parseArgs({options: {model: {type: "string", default: "resnet50"}, runs: {type: "string", default: "1"}, dist: {type: "string", default: DIST}}});
const runs = Math.max(1, Number(values.runs));

/** Resident memory (bytes) of this process's descendants: the Chromium it launched. */
function descendantsRss(): number {
  const parent = new Map<number, number>();
  const rss = new Map<number, number>();
  for (const entry of fs.readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${entry}/stat`, "utf8");
      const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      parent.set(Number(entry), Number(fields[1]));
      rss.set(Number(entry), Number(fields[21]) * 4096);
    } catch {
      // the process ended meanwhile
    }
  }
  const mine = (pid: number): boolean => {
    for (let p = parent.get(pid); p; p = parent.get(p)) if (p === process.pid) return true;
    return false;
  };
  return [...rss].filter(([pid]) => mine(pid)).reduce((sum, [, bytes]) => sum + bytes, 0);
}

const MB = 2 ** 20;
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "bench-own-model-"));
const file = path.join(tmp, `${values.model}-seeded.safetensors`);
let t0 = performance.now();
fs.writeFileSync(file, writeSafetensors(seededStateDict(values.model as ResNetName, 1)));
console.log(`# bench:own-model: ${os.cpus()[0]?.model ?? "cpu"} x${os.cpus().length}, load ${os.loadavg().map((l) => l.toFixed(1)).join(" ")}, ${new Date().toISOString().slice(0, 10)}`);
console.log(`# ${values.model}, 1000 classes, seeded random weights: ${(fs.statSync(file).size / MB).toFixed(1)} MB .safetensors (written in ${((performance.now() - t0) / 1000).toFixed(1)} s)`);

const server = await serveDist(values.dist);
const browser = await launchBrowser();
try {
  const page = await browser.newPage();
  await page.addInitScript(() => {
    const w = window as unknown as {__longTasks: {start: number; duration: number}[]};
    w.__longTasks = [];
    new PerformanceObserver((list) => list.getEntries().forEach((e) => w.__longTasks.push({start: e.startTime, duration: e.duration}))).observe({type: "longtask", buffered: true});
  });
  await page.goto(`${server.url}/pages/grad-cam?backend=wasm&threads=2`, {waitUntil: "load"});
  await page.waitForFunction(() => document.documentElement.dataset.isolation !== undefined, null, {timeout: 60_000});
  await page.waitForFunction(() => document.querySelector('[data-testid="figure-caption"][data-figure="grad-cam"]')?.getAttribute("data-state") === "ready", null, {timeout: 300_000});
  const report = await page.evaluate(() => (globalThis as any).__explainCompute.report);
  console.log(`# page: ${report.backend.name}, ${report.threads} threads, ${report.where}; site model ${report.model.architecture}`);
  await page.evaluate(() => {
    const input = document.createElement("input");
    input.type = "file";
    input.id = "bench-model-file";
    document.body.append(input);
  });
  await page.setInputFiles("#bench-model-file", file);
  const baseline = descendantsRss();
  let peak = baseline;
  const sampler = setInterval(() => (peak = Math.max(peak, descendantsRss())), 50);
  const load = await page.evaluate(async () => {
    const w = window as unknown as {__longTasks: {start: number; duration: number}[]; __explainCompute: any};
    const start = performance.now();
    const f = (document.getElementById("bench-model-file") as HTMLInputElement).files![0];
    const bytes = await f.arrayBuffer();
    const info = await w.__explainCompute.loadModel(bytes, f.name, {maxDecodedBytes: 2 ** 31});
    const end = performance.now();
    await new Promise((r) => setTimeout(r, 200)); // the last long task's entry
    const tasks = w.__longTasks.filter((t) => t.start + t.duration >= start && t.start <= end);
    return {ms: end - start, info, longest: Math.max(0, ...tasks.map((t) => t.duration)), longTasks: tasks.length};
  });
  clearInterval(sampler);
  peak = Math.max(peak, descendantsRss());
  const held = await page.evaluate(async () => {
    const m = (performance as any).measureUserAgentSpecificMemory;
    return m && crossOriginIsolated ? ((await m.call(performance)).bytes as number) : null;
  });
  console.log(`load: ${(load.ms / 1000).toFixed(2)} s (${load.info.architecture}, ${load.info.classCount} classes, sha256 ${load.info.sha256.slice(0, 12)})`);
  console.log(`longest main-thread task during the load: ${load.longest.toFixed(0)} ms (${load.longTasks} tasks over 50 ms)`);
  console.log(`peak memory during the load: +${((peak - baseline) / MB).toFixed(0)} MB resident (Chromium's processes, ${(baseline / MB).toFixed(0)} MB before); page and worker after: ${held === null ? "n/a" : `${(held / MB).toFixed(0)} MB`}`);

  const id = await page.evaluate(() => (document.querySelector('[data-testid="image-picker"]') as HTMLElement).dataset.value);
  const source = `({id, method, steps}, {signal}, {worker, model, lib}) => worker.withImage(id, async (image) => {
    const t0 = performance.now();
    await lib.explain(method, model, image, {steps, signal, incremental: worker.incrementalOcclusion});
    return performance.now() - t0;
  })`;
  console.log("| method | warm (ms, median) |");
  console.log("|---|---|");
  for (const [label, method, steps] of [["gradient", "grad", undefined], ["GradCAM", "grad_cam", undefined], ["occlusion S = 6", "occlusion", 6], ["IG M = 20", "integrated_gradients", 20]] as const) {
    // A string, not a function: tsx's name helpers (__name) do not exist in the page.
    const params = JSON.stringify({id, method, steps});
    const times = (await page.evaluate(`(async () => {
      const client = globalThis.__explainCompute;
      const fn = {toString: () => ${JSON.stringify(source)}};
      await client.run(fn, ${params});
      const out = [];
      for (let r = 0; r < ${runs}; r++) out.push(await client.run(fn, ${params}));
      return out;
    })()`)) as number[];
    times.sort((a, b) => a - b);
    console.log(`| ${label} | ${times[Math.floor((times.length - 1) / 2)].toFixed(0)} |`);
  }
} finally {
  await browser.close();
  await server.close();
  fs.rmSync(tmp, {recursive: true, force: true});
}
