// End-to-end fault suite (the browser side): the report on machines
// without a GPU API, with little GPU memory (small batches, the largest
// settings), and with odd values typed by readers. Each case asserts what the
// reader sees: the backend named with a "slower" note, figures that compute,
// progress while they do, clamped values, never NaN on screen and never a
// console error. (Loader faults, degenerate maps and uploads have their own
// files: loaders-faults, sources, deletion, upload.)
// Needs dist/ (`npm run build`) and Chromium (see helpers.ts).
import {afterAll, beforeAll, describe, expect, it} from "vitest";
import type {Browser, BrowserContext, Page} from "playwright-core";
import {closeSharedSite, openSharedSite, screenshot, settled, type SiteUnderTest, watchProblems} from "./helpers.js";
import {canvasDigest, captions, QUICK_VIEW, waitForFigures, SITE_DIR} from "./handout-helpers.js";

/** Every page of the report that computes something. */
const ALL_PAGES = ["dataset-and-model", "occlusion", "gradient-norm", "gradient-x-input", "integrated-gradients", "grad-cam", "deletion-score", "side-by-side", "sanity-checks"] as const;

/**
 * Removes WebGPU (navigator.gpu) and WebGL (canvas contexts) before any
 * script runs; optionally WebAssembly too. The same code serves the page and
 * the compute worker (which chooses the backend): Navigator or
 * WorkerNavigator, HTMLCanvasElement or OffscreenCanvas, whichever exist.
 */
function withoutGpuApis({wasm = true}: {wasm?: boolean} = {}): string {
  return `(() => {
    for (const N of [globalThis.Navigator, globalThis.WorkerNavigator].filter(Boolean)) {
      Object.defineProperty(N.prototype, "gpu", {get: () => undefined, configurable: true});
    }
    for (const C of [globalThis.HTMLCanvasElement, globalThis.OffscreenCanvas].filter(Boolean)) {
      const original = C.prototype.getContext;
      C.prototype.getContext = function (type, ...rest) {
        return /webgl|webgpu/i.test(String(type)) ? null : original.call(this, type, ...rest);
      };
    }
    ${wasm ? "" : "delete globalThis.WebAssembly;"}
  })();`;
}

/** A browser without those APIs: in its pages (init script) and in the compute worker (its script, prefixed). */
async function withoutApis(context: BrowserContext, options: {wasm?: boolean} = {}): Promise<void> {
  const script = withoutGpuApis(options);
  await context.addInitScript(script);
  await context.route(/compute-worker\.[0-9a-f]+\.js$/, async (route) => {
    const response = await route.fetch();
    await route.fulfill({response, body: `${script}\n${await response.text()}`});
  });
}

let site: SiteUnderTest;
let browser: Browser;

beforeAll(async () => {
  ({site, browser} = await openSharedSite());
});

afterAll(() => closeSharedSite(site, browser));

async function open(context: BrowserContext, path: string): Promise<{page: Page; problems: string[]}> {
  const page = await context.newPage();
  const problems = watchProblems(page);
  await page.goto(`${site.url}/pages/${path}`, {waitUntil: "load"});
  await settled(page);
  return {page, problems};
}

/** Text on screen (prose and figures, not the code listings) that shows a broken number. */
async function brokenNumbers(page: Page): Promise<string[]> {
  const text = await page.evaluate(() => {
    const root = (document.querySelector("main") ?? document.body).cloneNode(true) as HTMLElement;
    root.querySelectorAll("pre, code").forEach((el) => el.remove());
    document.body.append(root); // innerText needs layout
    const t = root.innerText;
    root.remove();
    return t;
  });
  // "undefined" as a shown value (end of line, before a unit or separator), not the word in prose.
  return text.split("\n").filter((line) => /\bNaN\b|\bInfinity\b|\bundefined\s*($|%|·|,|;|\))/.test(line));
}

async function badge(page: Page): Promise<{backend: string; summary: string; details: string}> {
  await page.waitForFunction(() => {
    const state = document.querySelector('[data-testid="backend-badge"]')?.getAttribute("data-backend");
    return state !== undefined && state !== null && state !== "pending";
  }, null, {timeout: 120_000});
  return page.$eval('[data-testid="backend-badge"]', (el) => ({
    backend: el.getAttribute("data-backend") ?? "",
    summary: el.querySelector("summary")?.textContent ?? "",
    details: el.textContent ?? "",
  }));
}

describe("a browser with neither WebGPU nor WebGL", () => {
  let context: BrowserContext;
  beforeAll(async () => {
    context = await browser.newContext({viewport: {width: 1200, height: 900}});
    await withoutApis(context);
  });
  afterAll(async () => context?.close());

  for (const name of ALL_PAGES) {
    it(`${name}: falls back to wasm, says it is slower and why, and computes`, async () => {
      // The smallest settings: the fallback is the point, not the numbers.
      const {page, problems} = await open(context, `${name}#${QUICK_VIEW}`);
      const b = await badge(page);
      expect(b.backend).toBe("wasm");
      expect(b.summary).toMatch(/slower/);
      expect(b.details).toMatch(/webgpu: (this browser has no WebGPU|the browser offers no WebGPU adapter)/i);
      expect(b.details).toMatch(/webgl: failed to initialize/i);
      if (name === "dataset-and-model") {
        // Every gallery photo predicted: the accuracy line says it is done.
        await page.waitForSelector('[data-testid="gallery-accuracy"][data-done="true"]', {timeout: 400_000});
      } else {
        // The page's first figure computes on wasm (every figure of every page
        // is computed on wasm by handout-pages and the chapters' own tests).
        // Its caption is in the page (hidden until it has a result) once the figure exists.
        const first = (await page.waitForSelector('[data-testid="figure-caption"]', {state: "attached", timeout: 120_000}))!;
        const figure = (await first.getAttribute("data-figure"))!;
        const shown = (await waitForFigures(page, {figure, timeout: 400_000})).find((c) => c.figure === figure)!;
        expect(shown.state).toBe("ready");
        expect(shown.backend).toBe("wasm");
      }
      expect(await brokenNumbers(page)).toEqual([]);
      if (name === "occlusion") await screenshot(page, "fault-no-gpu-occlusion.png");
      expect(problems).toEqual([]);
      await page.close();
    });
  }
});

describe("a browser without WebGPU, WebGL or WebAssembly", () => {
  it("falls back to the plain-JavaScript cpu backend, says so, and still computes GradCAM", async () => {
    const context = await browser.newContext({viewport: {width: 1200, height: 900}});
    await withoutApis(context, {wasm: false});
    const {page, problems} = await open(context, "grad-cam");
    const b = await badge(page);
    expect(b.backend).toBe("cpu");
    expect(b.summary).toMatch(/slower/);
    expect(b.details).toMatch(/wasm/);
    const [cam] = await waitForFigures(page, {figure: "grad-cam", timeout: 400_000});
    expect(cam.backend).toBe("cpu");
    expect(await brokenNumbers(page)).toEqual([]);
    console.log(`cpu fallback: ${b.summary.trim()}; ${cam.text}`);
    expect(problems).toEqual([]);
    await context.close();
  });
});

describe("odd values", () => {
  let context: BrowserContext;
  beforeAll(async () => {
    context = await browser.newContext({viewport: {width: 1200, height: 900}});
  });
  afterAll(async () => context?.close());

  it("an address with out-of-range, non-integer and garbage values opens clamped, valid settings", async () => {
    const {page, problems} = await open(context, "occlusion#S=-7&M=1e9&D=2.5&target=42&noise=abc&clip=3&opacity=-1");
    const [shown] = await waitForFigures(page, {figure: "occlusion-map", timeout: 240_000});
    expect(shown.params).toMatchObject({S: 2});
    const hash = new URL(page.url()).hash;
    expect(hash).toContain("S=2");
    expect(hash).not.toMatch(/S=-7|target=42/);
    expect(await brokenNumbers(page)).toEqual([]);
    expect(problems).toEqual([]);
    await page.close();
  });

  it("numbers typed into a slider's box (0, negative, non-integer, huge, text, empty) become the nearest valid value; box, slider and figure agree", async () => {
    const {page, problems} = await open(context, "occlusion#S=4");
    await waitForFigures(page, {figure: "occlusion-map", params: {S: 4}, timeout: 240_000});
    const form = 'form:has(input[type="range"]):has(label:text-is("grid size S"))';
    const box = page.locator(`${form} input[type="number"]`).first();
    const slider = page.locator(`${form} input[type="range"]`).first();
    // typed -> the value the reader must end up with (previous value when the box holds no number)
    const cases: [string, number][] = [["0", 2], ["-3", 2], ["2.5", 3], ["abc", 3], ["", 3], ["1e9", 32], ["5", 5]];
    const results: string[] = [];
    for (const [typed, expected] of cases) {
      await box.fill("");
      if (typed) await box.pressSequentially(typed);
      await box.press("Enter");
      await box.blur();
      await page.waitForFunction(([f, expected]) => {
        const form = [...document.querySelectorAll("form")].find((el) => el.querySelector("label")?.textContent === "grid size S" && el.querySelector('input[type="range"]'))!;
        const n = (form.querySelector('input[type="number"]') as HTMLInputElement).value;
        const r = (form.querySelector('input[type="range"]') as HTMLInputElement).value;
        const status = document.querySelector(`[data-figure="${f}"] .live-figure__status`)?.textContent ?? "";
        const caption = document.querySelector(`[data-testid="figure-caption"][data-figure="${f}"]`)!;
        const shown = JSON.parse(caption.getAttribute("data-params") ?? "{}").S;
        // The figure shows the value, or (S = 32: minutes of work) is computing it.
        const figureAgrees = (caption.getAttribute("data-state") === "ready" && shown === expected) || status.includes(`S = ${expected}:`);
        return Number(n) === expected && Number(r) === expected && figureAgrees;
      }, ["occlusion-map", expected] as const, {timeout: 240_000, polling: 200});
      results.push(`${JSON.stringify(typed)} -> ${await box.inputValue()} (slider ${await slider.inputValue()})`);
      expect(await brokenNumbers(page)).toEqual([]);
    }
    console.log(`typed values: ${results.join("; ")}`);
    await waitForFigures(page, {figure: "occlusion-map", params: {S: 5}, timeout: 240_000});
    expect(problems).toEqual([]);
    await page.close();
  });
});

describe("little GPU memory: small batches and the largest settings", () => {
  let context: BrowserContext;
  beforeAll(async () => {
    context = await browser.newContext({viewport: {width: 1200, height: 900}});
  });
  afterAll(async () => context?.close());

  /** Starts recording every progress text "k / n" of a figure (a MutationObserver in the page: no sample is missed). */
  async function recordProgress(page: Page, figure: string): Promise<void> {
    await page.evaluate((figure) => {
      const w = window as unknown as {__progress: Record<string, [number, number][]>};
      w.__progress ??= {};
      const samples: [number, number][] = (w.__progress[figure] = []);
      const read = () => {
        const m = /(\d+) \/ (\d+)/.exec(document.querySelector(`[data-figure="${figure}"] .live-figure__status`)?.textContent ?? "");
        const last = samples.at(-1);
        if (m && !(last && last[0] === Number(m[1]) && last[1] === Number(m[2]))) samples.push([Number(m[1]), Number(m[2])]);
      };
      new MutationObserver(read).observe(document.body, {subtree: true, childList: true, characterData: true});
      read();
    }, figure);
  }

  /** The recorded progress counts of a figure's computation of `total` items, once `until` holds for them. */
  async function progressOf(page: Page, figure: string, total: number, until: (done: number[]) => boolean, timeout = 300_000): Promise<number[]> {
    const t0 = Date.now();
    for (;;) {
      const all = await page.evaluate((figure) => (window as unknown as {__progress: Record<string, [number, number][]>}).__progress[figure], figure);
      const done = all.filter(([, t]) => t === total).map(([d]) => d);
      if (until(done) || Date.now() - t0 > timeout) return done;
      await page.waitForTimeout(200);
    }
  }

  /** Progress in steps of exactly `batch` (the last step may be shorter). */
  function expectBatches(done: number[], batch: number, total: number): void {
    expect(done.length).toBeGreaterThan(0);
    done.forEach((d, k) => expect(d, `progress ${done.join(", ")}`).toBe(Math.min(total, (k + 1) * batch)));
  }

  it("deletion with 100 steps completes in batches of 2, with progress shown", async () => {
    const {page, problems} = await open(context, "deletion-score?batch=2#D=100&method=grad_cam");
    await recordProgress(page, "deletion-method");
    const [done] = await waitForFigures(page, {figure: "deletion-method", params: {D: 100}, timeout: 400_000});
    // Batches of 2: the progress moved in steps of 2, up to 100.
    const samples = await progressOf(page, "deletion-method", 100, (d) => d.at(-1) === 100, 5_000);
    expectBatches(samples, 2, 100);
    expect(done.state).toBe("ready");
    const points = Number(await page.getAttribute('[data-figure="deletion-method"] [data-testid="deletion-chart"]', "data-points"));
    expect(points).toBe(100);
    const auc = Number((await page.textContent('[data-figure="deletion-method"] [data-testid="deletion-auc"]'))?.match(/[\d.]+/)?.[0]);
    expect(auc).toBeGreaterThan(0);
    expect(auc).toBeLessThan(1);
    expect(await brokenNumbers(page)).toEqual([]);
    console.log(`deletion, 100 steps, batch 2: progress ${samples.slice(0, 6).join(", ")}, ... ${samples.at(-1)} of 100; ${done.text}`);
    expect(problems).toEqual([]);
    await page.close();
  });

  it("occlusion 32 x 32 and IG with 256 steps run in batches of 2 with progress, and a newer setting wins", async () => {
    const {page, problems} = await open(context, "occlusion?batch=2#S=32");
    await recordProgress(page, "occlusion-map");
    const occlusion = await progressOf(page, "occlusion-map", 1024, (d) => d.length >= 5);
    expectBatches(occlusion, 2, 1024);
    // The reader gives up on S = 32: the newer S = 3 result is painted, the old run never is.
    await page.evaluate(() => {
      const form = [...document.querySelectorAll("form")].find((f) => f.querySelector("label")?.textContent?.includes("grid size S") && f.querySelector('input[type="range"]'))!;
      const range = form.querySelector('input[type="range"]') as HTMLInputElement;
      range.value = "3";
      range.dispatchEvent(new Event("input", {bubbles: true}));
    });
    await waitForFigures(page, {figure: "occlusion-map", params: {S: 3}, timeout: 300_000});
    await page.waitForTimeout(3000);
    expect((await captions(page)).find((c) => c.figure === "occlusion-map")!.params).toMatchObject({S: 3});
    expect(problems).toEqual([]);
    await page.close();

    const ig = await open(context, "integrated-gradients?batch=2#M=256");
    await recordProgress(ig.page, "ig-map");
    const igProgress = await progressOf(ig.page, "ig-map", 256, (d) => d.length >= 3);
    expectBatches(igProgress, 2, 256);
    expect(await brokenNumbers(ig.page)).toEqual([]);
    console.log(`occlusion S=32 progress ${occlusion.slice(0, 6).join(", ")} of 1024; IG M=256 progress ${igProgress.slice(0, 6).join(", ")} of 256`);
    expect(ig.problems).toEqual([]);
    await ig.page.close();
  });
});

describe("display options", () => {
  it("repaint heatmaps (signed/absolute, colour map, opacity, clipping) without recomputing, and persist across chapters", async () => {
    const context = await browser.newContext({viewport: {width: 1200, height: 900}});
    const {page, problems} = await open(context, "grad-cam");
    await waitForFigures(page, {figure: "grad-cam", timeout: 240_000});
    const heatmap = '[data-figure="grad-cam"] canvas[data-testid="heatmap"]';
    const caption = async () => (await captions(page)).find((c) => c.figure === "grad-cam")!;
    const before = {digest: await canvasDigest(page, heatmap), caption: await caption()};
    await page.click('[data-testid="display-options"] summary');
    const digests = [before.digest];
    for (const [name, value] of [["values", "absolute"], ["colour map of |r|", "viridis"]] as const) {
      await page.selectOption(`[data-testid="display-options"] select[name="${name}"]`, value);
      digests.push(await canvasDigest(page, heatmap));
    }
    for (const [name, value] of [["overlay opacity", "40"], ["clip at percentile", "95"]] as const) {
      await page.$eval(`[data-testid="display-options"] input[name="${name}"]`, (el, v) => {
        (el as HTMLInputElement).value = v;
        el.dispatchEvent(new Event("input", {bubbles: true}));
      }, value);
      digests.push(await canvasDigest(page, heatmap));
    }
    // Every change repainted the map, and nothing was recomputed.
    expect(new Set(digests).size).toBe(digests.length);
    const after = await caption();
    expect(after.text).toBe(before.caption.text);
    expect(await page.$eval(heatmap, (c) => c.getAttribute("data-display"))).toBe("absolute,viridis,0.4,95");
    await screenshot(page, "display-options.png");
    // Another chapter opens with the same display.
    const next = await open(context, "gradient-norm");
    await waitForFigures(next.page, {timeout: 240_000});
    expect(await next.page.$eval('canvas[data-testid="heatmap"]', (c) => c.getAttribute("data-display"))).toBe("absolute,viridis,0.4,95");
    expect(problems).toEqual([]);
    expect(next.problems).toEqual([]);
    await context.close();
  });
});
