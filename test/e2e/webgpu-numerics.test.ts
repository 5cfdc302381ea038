// End-to-end: WebGPU numerics on small inputs. Headless Chromium with
// --enable-unsafe-webgpu (and --enable-unsafe-swiftshader, already in
// CHROMIUM_ARGS) offers a software WebGPU adapter (SwiftShader) even on a
// machine without a GPU: correct but slow, so the inputs are small. On a page
// of the built site, the runtime bundle's own library code runs on the
// `webgpu` and `cpu` backends:
// - single convolutions of the model (the 7x7/2 stem, 3x3/1, 3x3/2, 1x1/2)
//   and their input gradients (the library's forward-kernel gradient);
// - a 32x32 image through the whole model: logits and the input gradient of
//   a logit (max-pool routing, residual blocks, head).
// Tolerance: max |webgpu - cpu| <= 1e-3 x max |cpu| (relative to the scale of
// the output). If this Chromium has no WebGPU adapter the tests fail and say
// so: they never skip silently.
// Needs dist/ (`npm run build`) and Chromium (see helpers.ts).
import {afterAll, beforeAll, describe, expect, it} from "vitest";
import type {Browser, Page} from "playwright-core";
import {CHROMIUM_ARGS, launchBrowser, requireDist, serveDist} from "./helpers.js";
import {distDataUrl, SITE_DIR} from "./handout-helpers.js";

export const WEBGPU_ARGS = [...CHROMIUM_ARGS, "--enable-unsafe-webgpu"];
const RELATIVE_TOLERANCE = 1e-3;
const MODEL_INPUT = 32;

interface Comparison {
  name: string;
  /** max |webgpu - cpu| */
  maxAbs: number;
  /** max |cpu| */
  scale: number;
  size: number;
}

interface Report {
  adapter: {vendor?: string; architecture?: string; description?: string; isFallbackAdapter?: boolean} | null;
  error?: string;
  comparisons: Comparison[];
  ms: Record<string, number>;
}

let site: Awaited<ReturnType<typeof serveDist>>;
let browser: Browser;
let page: Page;
let report: Report;
const gpuWarnings: string[] = [];

beforeAll(async () => {
  requireDist();
  site = await serveDist(SITE_DIR);
  browser = await launchBrowser(WEBGPU_ARGS);
  page = await browser.newPage();
  // esbuild (tsx/vitest) may wrap functions in __name(); the page lacks it.
  await page.addInitScript("globalThis.__name = globalThis.__name || ((f) => f)");
  page.on("console", (m) => {
    if (/WGSL|Invalid|WebGPU|GPU/i.test(m.text()) && m.type() !== "log") gpuWarnings.push(m.text().split("\n")[0]);
  });
  await page.goto(`${site.url}/`, {waitUntil: "load"});
  const runtime = await page.$eval('link[rel="modulepreload"][href*="_bundle/runtime"]', (l) => (l as HTMLLinkElement).href);
  // The page's own runtime bundle (a string, so the test runner does not rewrite import()).
  await page.evaluate(`import(${JSON.stringify(runtime)}).then((m) => { window.__runtime = m; })`);
  report = await page.evaluate(
    async ({weightsJson, weightsBin, size}) => {
      const out: Report = {adapter: null, comparisons: [], ms: {}};
      const gpu = (navigator as unknown as {gpu?: {requestAdapter(): Promise<{info?: Report["adapter"]} | null>}}).gpu;
      if (!gpu) {
        out.error = "navigator.gpu is missing: this Chromium exposes no WebGPU (even with --enable-unsafe-webgpu)";
        return out;
      }
      const adapter = await gpu.requestAdapter();
      if (!adapter) {
        out.error = "navigator.gpu.requestAdapter() returned null: no WebGPU adapter in this Chromium with --enable-unsafe-webgpu --enable-unsafe-swiftshader";
        return out;
      }
      out.adapter = {vendor: adapter.info?.vendor, architecture: adapter.info?.architecture, description: adapter.info?.description, isFallbackAdapter: adapter.info?.isFallbackAdapter};
      // eslint-disable-next-line @typescript-eslint/no-explicit-any
      const rt: any = (window as any).__runtime;
      const tf = rt.tf;
      const [manifest, buffer] = await Promise.all([fetch(weightsJson).then((r) => r.json()), fetch(weightsBin).then((r) => r.arrayBuffer())]);
      // Deterministic inputs in [0, 1].
      const values = (n: number, seed: number) => Float32Array.from({length: n}, (_, i) => 0.5 + 0.5 * Math.sin(i * 12.9898 + seed * 78.233));

      const run = async (backend: string) => {
        if (!(await tf.setBackend(backend))) throw new Error(`backend ${backend} failed to initialize`);
        await tf.ready();
        const t0 = performance.now();
        const model = new rt.ResNet18(rt.decodeWeights(manifest, buffer));
        const results: Record<string, Float32Array> = {};
        // Single convolutions (fields of the model; private in TypeScript only).
        const convs: [string, {spec: {filter: {shape: number[]}}; apply(x: unknown): {shape: number[]; size: number}}, number][] = [
          ["stem 7x7/2 (+ReLU)", model.stem, 20],
          ["layer1.0.conv1 3x3/1 (+ReLU)", model.blocks[0].conv1, 9],
          ["layer2.0.conv1 3x3/2 (+ReLU)", model.blocks[2].conv1, 10],
          ["layer2.0.downsample 1x1/2", model.blocks[2].downsample, 10],
        ];
        for (const [name, conv, side] of convs) {
          const cin = conv.spec.filter.shape[2];
          const x = tf.tensor4d(values(side * side * cin, 1), [1, side, side, cin]);
          const y = conv.apply(x) as unknown as {shape: number[]; size: number; data(): Promise<Float32Array>; dispose(): void};
          const weights = tf.tensor(values(y.size, 2).map((v: number) => v - 0.5), y.shape);
          const g = tf.grad((t: unknown) => tf.sum(tf.mul(conv.apply(t), weights)))(x);
          results[`${name}: output`] = await y.data();
          results[`${name}: input gradient`] = await g.data();
          tf.dispose([x, y, weights, g]);
        }
        // The whole model on a small image.
        const image = tf.tensor4d(values(size * size * 3, 3), [1, size, size, 3]);
        const logits = model.logits(image);
        results[`model ${size}x${size}: logits`] = await logits.data();
        const gradient = rt.logitGradient(model, image, 3);
        results[`model ${size}x${size}: gradient of logit 3`] = await gradient.data();
        tf.dispose([image, logits, gradient]);
        model.dispose();
        out.ms[backend] = performance.now() - t0;
        return results;
      };
      try {
        const cpu = await run("cpu"); // first: tensors cached by the library move from cpu to webgpu, never back
        const webgpu = await run("webgpu");
        for (const name of Object.keys(cpu)) {
          const a = cpu[name], b = webgpu[name];
          let maxAbs = 0, scale = 0;
          for (let i = 0; i < a.length; i++) {
            const d = Math.abs(a[i] - b[i]);
            maxAbs = Number.isNaN(d) ? Infinity : Math.max(maxAbs, d);
            scale = Math.max(scale, Math.abs(a[i]));
          }
          out.comparisons.push({name, maxAbs, scale, size: a.length});
        }
      } catch (e) {
        out.error = `computing failed: ${e instanceof Error ? e.message : String(e)}`;
      }
      return out;
    },
    {weightsJson: distDataUrl("weights", "json"), weightsBin: distDataUrl("weights", "bin"), size: MODEL_INPUT},
  );
  console.log(`WebGPU adapter: ${JSON.stringify(report.adapter)}; time cpu ${report.ms.cpu?.toFixed(0)} ms, webgpu ${report.ms.webgpu?.toFixed(0)} ms`);
  for (const c of report.comparisons) console.log(`  ${c.name}: max |webgpu - cpu| = ${c.maxAbs.toExponential(2)} (scale ${c.scale.toExponential(2)}, relative ${(c.maxAbs / Math.max(c.scale, 1e-12)).toExponential(2)})`);
  if (gpuWarnings.length) console.log(`  WebGPU messages: ${[...new Set(gpuWarnings)].slice(0, 5).join(" | ")}`);
});

afterAll(async () => {
  await browser?.close();
  await site?.close();
});

function check(prefix: string): void {
  expect(report.error, report.error).toBeUndefined();
  const rows = report.comparisons.filter((c) => c.name.startsWith(prefix));
  expect(rows.length, `no results for ${prefix}`).toBeGreaterThan(0);
  const hint = gpuWarnings.length ? ` WebGPU said: ${[...new Set(gpuWarnings)].slice(0, 3).join(" | ")}` : "";
  for (const c of rows) {
    expect(c.maxAbs, `${c.name}: max |webgpu - cpu| ${c.maxAbs} exceeds ${RELATIVE_TOLERANCE} x ${c.scale}.${hint}`).toBeLessThanOrEqual(RELATIVE_TOLERANCE * Math.max(c.scale, 1e-6));
  }
}

describe("WebGPU (software adapter) against the cpu backend", () => {
  it("the browser offers a WebGPU adapter with --enable-unsafe-webgpu", () => {
    expect(report.adapter, report.error ?? "no adapter").not.toBeNull();
  });

  it("a stride-1 convolution and its input gradient agree", () => check("layer1.0.conv1"));
  it("the 7x7 stride-2 stem convolution and its input gradient agree", () => check("stem"));
  it("a 3x3 stride-2 convolution and its input gradient agree", () => check("layer2.0.conv1"));
  it("a 1x1 stride-2 convolution and its input gradient agree", () => check("layer2.0.downsample"));
  it(`a ${MODEL_INPUT}x${MODEL_INPUT} image through the model: logits agree`, () => check(`model ${MODEL_INPUT}x${MODEL_INPUT}: logits`));
  it(`a ${MODEL_INPUT}x${MODEL_INPUT} image through the model: the input gradient of a logit agrees`, () => check(`model ${MODEL_INPUT}x${MODEL_INPUT}: gradient`));
});
