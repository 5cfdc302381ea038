// End-to-end: the compute service (src/compute). The chapters' TensorFlow.js
// work runs in a dedicated worker, so the page stays responsive; results
// arrive in parts; a newer setting cancels the older computation; a crashed
// worker is replaced on the next change; and where a module worker, the
// service worker or SharedArrayBuffer is missing, the page still computes
// and says how. What the page shows equals the library in Node (same
// backend, same batches) within 1e-6.
// Margins are wide on purpose (CI machines are slow and noisy): the targets
// themselves (50 ms tasks, 100 ms heartbeat, 1 s to a first partial result)
// are measured by `npm run bench:page`, not here.
// Needs dist/ (`npm run build`) and Chromium (see helpers.ts).
import {afterAll, beforeAll, describe, expect, it} from "vitest";
import type {Browser, BrowserContext, Page} from "playwright-core";
import {occlusion} from "../../src/lib/occlusion.js";
import {integratedGradients} from "../../src/lib/integrated-gradients.js";
import {makeBatchPolicy} from "../../src/lib/explanation.js";
import {closeSharedSite, openSharedSite, screenshot, settled, type SiteUnderTest, watchProblems} from "./helpers.js";
import {captions, setRange, siteInNode, waitForFigures, SITE_DIR} from "./handout-helpers.js";

let site: SiteUnderTest;
let browser: Browser;

beforeAll(async () => {
  ({site, browser} = await openSharedSite());
});

afterAll(() => closeSharedSite(site, browser));

/** Records long tasks and a 10 ms heartbeat's gaps from before any page script runs. */
const PROBE = `(() => {
  const probe = {gaps: [], tasks: []};
  window.__probe = probe;
  let last = performance.now();
  setInterval(() => { const now = performance.now(); probe.gaps.push([last, now - last]); last = now; }, 10);
  new PerformanceObserver((list) => { for (const e of list.getEntries()) probe.tasks.push([e.startTime, e.duration]); }).observe({type: "longtask", buffered: true});
})();`;

interface Opened {
  context: BrowserContext;
  page: Page;
  problems: string[];
}

async function open(path: string, {init = [], route, serviceWorkers = "allow"}: {init?: string[]; route?: (context: BrowserContext) => Promise<void>; serviceWorkers?: "allow" | "block"} = {}): Promise<Opened> {
  const context = await browser.newContext({viewport: {width: 1200, height: 900}, serviceWorkers});
  for (const script of init) await context.addInitScript(script);
  await route?.(context);
  const page = await context.newPage();
  const problems = watchProblems(page);
  await page.goto(`${site.url}${path}`, {waitUntil: "load"});
  await settled(page);
  return {context, page, problems};
}

async function badge(page: Page): Promise<{backend: string; where: string; threads: string; title: string}> {
  await page.waitForSelector('[data-testid="backend-badge"][data-where]', {timeout: 120_000});
  return page.$eval('[data-testid="backend-badge"]', (el) => ({backend: el.getAttribute("data-backend") ?? "", where: el.getAttribute("data-where") ?? "", threads: el.getAttribute("data-threads") ?? "", title: (el as HTMLElement).title}));
}

describe("computing off the main thread", () => {
  it("occlusion S = 6 in a worker: no main-thread task of 200 ms or more while it computes, and the grid fills in", async () => {
    const {context, page, problems} = await open("/pages/occlusion#image=ILSVRC2012_val_00009111.JPEG&S=6&target=-1", {init: [PROBE]});
    try {
      const shown = await waitForFigures(page, {figure: "occlusion-map", params: {S: 6}});
      const b = await badge(page);
      console.log(`occlusion S = 6: ${shown.find((c) => c.figure === "occlusion-map")!.text} · badge: ${b.title.split("\n")[0]}`);
      expect(b.where).toBe("worker");
      const {tasks, gaps, window} = await page.evaluate(() => {
        const probe = (globalThis as unknown as {__probe: {gaps: [number, number][]; tasks: [number, number][]}}).__probe;
        const timeline = (globalThis as unknown as {__explainCompute: {timeline: {sent: number; ended: number | null}[]}}).__explainCompute.timeline;
        const from = Math.min(...timeline.map((t) => t.sent));
        const to = Math.max(...timeline.map((t) => t.ended ?? performance.now()));
        const inside = ([start, d]: [number, number]) => start + d >= from && start <= to;
        return {tasks: probe.tasks.filter(inside).map(([, d]) => d), gaps: probe.gaps.filter(inside).map(([, d]) => d), window: to - from};
      });
      const longest = Math.max(0, ...tasks);
      console.log(`while computing (${window.toFixed(0)} ms): longest task ${longest.toFixed(0)} ms, longest heartbeat gap ${Math.max(...gaps).toFixed(0)} ms`);
      expect(window).toBeGreaterThan(500); // it did compute
      expect(longest).toBeLessThan(200);
      // Partial grids were drawn before the final map.
      const partials = await page.$eval('[data-testid="figure-caption"][data-figure="occlusion-map"]', (el) => Number(el.getAttribute("data-partials") ?? 0));
      expect(partials).toBeGreaterThanOrEqual(2);
      expect(problems).toEqual([]);
    } finally {
      await context.close();
    }
  });

  it("a newer setting cancels the older computation, which stops between kernels; the new result shows", async () => {
    const {context, page, problems} = await open("/pages/occlusion#image=ILSVRC2012_val_00009111.JPEG&S=5&target=-1");
    try {
      await page.waitForFunction(() => Number(document.querySelector('[data-testid="figure-caption"][data-figure="occlusion-map"]')?.getAttribute("data-partials") ?? 0) >= 1, null, {timeout: 300_000, polling: 20});
      await setRange(page, "grid size S", 4);
      await waitForFigures(page, {figure: "occlusion-map", params: {S: 4}});
      const timeline = await page.evaluate(() => (globalThis as unknown as {__explainCompute: {timeline: unknown[]}}).__explainCompute.timeline);
      const cancelled = (timeline as {cancelled: number | null; ended: number | null; outcome: string}[]).filter((t) => t.cancelled !== null);
      expect(cancelled.length).toBeGreaterThanOrEqual(1);
      for (const t of cancelled) {
        expect(t.outcome).toBe("cancelled");
        // The target is 200 ms (bench:page); a cancelled request must at least not run on for seconds.
        expect(t.ended! - t.cancelled!).toBeLessThan(1500);
      }
      const grid = await page.$eval('[data-testid="figure-caption"][data-figure="occlusion-map"]', (el) => JSON.parse(el.getAttribute("data-params")!).S);
      expect(grid).toBe(4);
      expect(problems).toEqual([]);
    } finally {
      await context.close();
    }
  });

  it("what the page computes equals the library in Node (wasm, same batches) within 1e-6", async () => {
    const id = "ILSVRC2012_val_00009111.JPEG";
    const {context, page} = await open(`/pages/grad-cam#image=${id}`);
    try {
      await badge(page);
      // A compute function as a chapter writes it, shipped to the worker by its source.
      const source = "async ({id}, context, {worker, model, lib: {integratedGradients, occlusion}}) => worker.withImage(id, async (image) => { const o = await occlusion(model, image, {steps: 3, incremental: worker.incrementalOcclusion}); const ig = await integratedGradients(model, image, {steps: 6}); return {occlusion: o.relevance, grid: o.grid, ig: ig.relevance}; })";
      const inPage = await page.evaluate(async ([id, source]) => {
        const compute = (globalThis as unknown as {__explainCompute: {run: (fn: unknown, params: unknown) => Promise<{occlusion: Float32Array; grid: Float32Array; ig: Float32Array}>}}).__explainCompute;
        const maps = await compute.run(new Function(`return ${source}`)(), {id});
        return {occlusion: Array.from(maps.occlusion), grid: Array.from(maps.grid), ig: Array.from(maps.ig)};
      }, [id, source] as const);
      const {model, photo} = await siteInNode();
      // The worker's batch policy on a CPU backend: a first batch of 2 images.
      model.batchPolicy = makeBatchPolicy({first: 2, pad: false});
      const image = photo(id);
      const o = await occlusion(model, image, {steps: 3, incremental: true});
      const ig = await integratedGradients(model, image, {steps: 6});
      image.dispose();
      model.dispose();
      const diff = (a: ArrayLike<number>, b: ArrayLike<number>) => Math.max(...Array.from(a, (v, i) => Math.abs(v - b[i])));
      expect(diff(inPage.grid, o.grid)).toBeLessThanOrEqual(1e-6);
      expect(diff(inPage.occlusion, o.relevance)).toBeLessThanOrEqual(1e-6);
      expect(diff(inPage.ig, ig.relevance)).toBeLessThanOrEqual(1e-6);
    } finally {
      await context.close();
    }
  });
});

describe("faults", () => {
  it("a crashed worker: the figure says so, and the next change computes again in a new worker", async () => {
    const {context, page} = await open("/pages/occlusion#image=ILSVRC2012_val_00009111.JPEG&S=5&target=-1");
    try {
      await page.waitForFunction(() => document.querySelector('[data-testid="figure-caption"][data-figure="occlusion-map"]')?.getAttribute("data-state") === "running", null, {timeout: 120_000, polling: 20});
      await page.waitForFunction(() => (globalThis as unknown as {__explainCompute?: {report: unknown}}).__explainCompute?.report, null, {timeout: 120_000});
      await page.evaluate(() => (globalThis as unknown as {__explainCompute: {crashForTest(): void}}).__explainCompute.crashForTest());
      await page.waitForSelector('[data-testid="figure-caption"][data-figure="occlusion-map"][data-state="error"]', {timeout: 120_000});
      const message = await page.$eval('[data-figure="occlusion-map"] .live-figure__error', (el) => el.textContent ?? "");
      expect(message).toMatch(/compute worker stopped/);
      expect(message).toMatch(/change a setting/);
      await setRange(page, "grid size S", 3);
      // The change reaches the figures a moment later (the page's cells rerun): then no figure is in error any more.
      await page.waitForFunction(() => !document.querySelector('[data-testid="figure-caption"][data-state="error"]'), null, {timeout: 60_000});
      await waitForFigures(page, {figure: "occlusion-map", params: {S: 3}});
      await screenshot(page, "compute-crash-recovered.png");
    } finally {
      await context.close();
    }
  });

  it("no module workers: the engine runs on the page, the badge says so, the figures compute", async () => {
    // An older browser: `new Worker(url, options)` ignores the options (a classic worker).
    const oldWorker = `(() => { const W = globalThis.Worker; globalThis.Worker = function (url) { return new W(url); }; })();`;
    const {context, page, problems} = await open("/pages/grad-cam#image=ILSVRC2012_val_00009111.JPEG", {init: [oldWorker]});
    try {
      await waitForFigures(page, {figure: "grad-cam"});
      const b = await badge(page);
      expect(b.where).toBe("page");
      expect(b.title).toMatch(/main thread/);
      expect(b.title).toMatch(/module worker/);
      expect(problems).toEqual([]);
    } finally {
      await context.close();
    }
  });

  it("the service worker refused: one thread, said in the badge; figures compute", async () => {
    const {context, page, problems} = await open("/pages/grad-cam#image=ILSVRC2012_val_00009111.JPEG", {serviceWorkers: "block"});
    try {
      await waitForFigures(page, {figure: "grad-cam"});
      const b = await badge(page);
      expect(b.where).toBe("worker");
      if (b.backend === "wasm") expect(b.threads).toBe("1");
      expect(b.title).toMatch(/service worker/);
      expect(await page.evaluate(() => crossOriginIsolated)).toBe(false);
      expect(problems).toEqual([]);
    } finally {
      await context.close();
    }
  });

  it("no SharedArrayBuffer in the worker: one thread; a cancelled computation still ends (its worker is replaced)", async () => {
    const noShared = async (context: BrowserContext) => {
      await context.route(/compute-worker\.[0-9a-f]+\.js$/, async (route) => {
        const response = await route.fetch();
        const body = `delete globalThis.SharedArrayBuffer;\n${await response.text()}`;
        await route.fulfill({response, body});
      });
    };
    const {context, page, problems} = await open("/pages/occlusion#image=ILSVRC2012_val_00009111.JPEG&S=5&target=-1", {route: noShared});
    try {
      const b = await badge(page);
      if (b.backend === "wasm") expect(b.threads).toBe("1");
      await page.waitForFunction(() => Number(document.querySelector('[data-testid="figure-caption"][data-figure="occlusion-map"]')?.getAttribute("data-partials") ?? 0) >= 1, null, {timeout: 300_000, polling: 20});
      await setRange(page, "grid size S", 3);
      await waitForFigures(page, {figure: "occlusion-map", params: {S: 3}});
      const shown = await captions(page);
      expect(shown.find((c) => c.figure === "occlusion-map")!.state).toBe("ready");
      expect(problems).toEqual([]);
    } finally {
      await context.close();
    }
  });
});
