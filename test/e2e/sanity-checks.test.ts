// End-to-end: "Sanity checks" (cascading model randomization) in headless
// Chromium (wasm here). The page must load without console errors, compute
// the trained model's five maps at stage 0, and react to the stage slider:
// new maps for the chosen stage with Spearman rank correlations (finite, in
// [-1, 1]) under them, in the table and on the chart. The fast methods'
// correlations at stage 10 must equal those the library computes in Node
// (same weights, photo, seed and target) within 1e-3. Filling the chart for
// the fast methods adds every stage. Screenshot: test-artifacts/sanity-checks.png.
// Needs a built site (EXPLAIN_DIST or dist/) and Chromium (see helpers.ts).
import fs from "node:fs";
import {afterAll, beforeAll, describe, expect, it} from "vitest";
import type {Browser, Page} from "playwright-core";
import {explain, type MethodName} from "../../src/lib/methods.js";
import {randomizedStateDict} from "../../src/lib/randomization.js";
import {ResNet18} from "../../src/lib/resnet18.js";
import {spearman} from "../../src/lib/statistics.js";
import {closeSharedSite, openPage, openSharedSite, requireDist, screenshot, type SiteUnderTest} from "./helpers.js";
import {builtGallery, canvasDigest, setRange, siteInNode, waitForFigures} from "./handout-helpers.js";

const FAST: MethodName[] = ["grad", "grad_x_input", "grad_cam"];
const ALL: MethodName[] = [...FAST, "integrated_gradients", "occlusion"];
const TOLERANCE = 1e-3;

let site: SiteUnderTest;
let browser: Browser;
let page: Page;
let problems: () => string[];
let photo: string;
let nodeRhos: Promise<Record<string, number>>;
const times: string[] = [];

interface MapPanel {
  method: string;
  stage: number;
  ready: boolean;
  ms: number;
  spearman: number | null;
}

async function panels(): Promise<MapPanel[]> {
  return page.$$eval('[data-testid="sanity-map"]', (els) =>
    els.map((el) => ({
      method: el.getAttribute("data-method") ?? "",
      stage: Number(el.getAttribute("data-stage")),
      ready: el.getAttribute("data-ready") === "true",
      ms: Number(el.getAttribute("data-ms")),
      spearman: el.hasAttribute("data-spearman") ? Number(el.getAttribute("data-spearman")) : null,
    })),
  );
}

/** The page's computation in Node: |r| Spearman of stage 10's fast maps with the trained ones, for the trained model's class. */
async function rhosInNode(id: string): Promise<Record<string, number>> {
  const {tf, weights, model: trained, photo} = await siteInNode();
  const image = photo(id);
  const random = new ResNet18(randomizedStateDict(weights, 10, {seed: 2018}));
  const out: Record<string, number> = {};
  const abs = (r: Float32Array) => r.map(Math.abs);
  for (const method of FAST) {
    const original = await explain(method, trained, image);
    const map = await explain(method, random, image, {target: original.predicted});
    out[method] = spearman(abs(original.relevance), abs(map.relevance));
  }
  image.dispose();
  trained.dispose();
  random.dispose();
  return out;
}

beforeAll(async () => {
  requireDist();
  const gallery = builtGallery();
  photo = gallery.images[0].id;
  ({site, browser} = await openSharedSite());
  const t0 = Date.now();
  ({page, problems} = await openPage(browser, `${site.url}/pages/sanity-checks#image=${photo}&stage=0`, {width: 1200, height: 900}));
  await waitForFigures(page, {figure: "sanity-maps", params: {id: photo, stage: 0}, timeout: 240_000});
  times.push(`stage 0 (5 maps of the trained model) ready ${((Date.now() - t0) / 1000).toFixed(1)} s after opening`);
  // Node computes while the browser does.
  nodeRhos = rhosInNode(photo);
  nodeRhos.catch(() => undefined);
});

afterAll(async () => {
  console.log(times.join("\n"));
  await closeSharedSite(site, browser);
});

describe("sanity checks page", () => {
  it("loads without errors and shows the trained model's five maps at stage 0", async () => {
    const shown = await panels();
    expect(shown.map((p) => `${p.method}@${p.stage}`).sort()).toEqual(ALL.map((m) => `${m}@0`).sort());
    expect(shown.every((p) => p.ready && p.ms > 0)).toBe(true);
    // Stage 0 has no correlation under its maps (it is the reference) ...
    expect(shown.every((p) => p.spearman === null)).toBe(true);
    // ... but the table's stage-0 column is 1 (each map with itself).
    const column0 = await page.$$eval('[data-testid="spearman-table"] td[data-stage="0"]', (tds) => tds.map((td) => Number(td.getAttribute("data-spearman"))));
    expect(column0).toEqual([1, 1, 1, 1, 1]);
    expect(await page.textContent('[data-testid="stage-description"]')).toContain("trained model");
    times.push(`stage 0 map times: ${shown.map((p) => `${p.method} ${p.ms} ms`).join(", ")}`);
    expect(problems()).toEqual([]);
  });

  it("moving the stage slider to 10 computes new maps with Spearman numbers in [-1, 1]", async () => {
    const before = await canvasDigest(page, '[data-testid="sanity-map"][data-method="grad"][data-stage="0"] canvas');
    const t0 = Date.now();
    await setRange(page, "stage", 10);
    // The fast methods come first, with their correlations, before the figure is done.
    await page.waitForFunction(
      (fast) => fast.every((m) => document.querySelector(`[data-testid="sanity-map"][data-method="${m}"][data-stage="10"][data-spearman]`)),
      FAST,
      {timeout: 120_000, polling: 200},
    );
    times.push(`stage 10: fast maps (model build + 3 methods) after ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    await waitForFigures(page, {figure: "sanity-maps", params: {id: photo, stage: 10}, timeout: 300_000});
    times.push(`stage 10: all five maps after ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    expect(new URL(page.url()).hash).toContain("stage=10");
    expect(await page.textContent('[data-testid="stage-description"]')).toContain("every weight random");

    const shown = await panels();
    const stage10 = shown.filter((p) => p.stage === 10);
    expect(stage10.map((p) => p.method).sort()).toEqual([...ALL].sort());
    for (const p of stage10) {
      expect(p.ready, p.method).toBe(true);
      expect(Number.isFinite(p.spearman), `${p.method}: ${p.spearman}`).toBe(true);
      expect(Math.abs(p.spearman!)).toBeLessThanOrEqual(1);
    }
    const buildMs = await page.getAttribute(".sanity-maps__head[data-build-ms]", "data-build-ms");
    times.push(`stage 10: random weights + model build ${buildMs} ms; map times: ${stage10.map((p) => `${p.method} ${p.ms} ms`).join(", ")}`);
    times.push(`stage 10 Spearman |r|: ${stage10.map((p) => `${p.method} ${p.spearman!.toFixed(3)}`).join(", ")}`);
    // The random model's gradient map is another map than the trained one's.
    const after = await canvasDigest(page, '[data-testid="sanity-map"][data-method="grad"][data-stage="10"] canvas');
    expect(after).not.toBe(before);
    // A correlation clearly below 1 for the gradient (0.30 measured in Node on this photo).
    expect(stage10.find((p) => p.method === "grad")!.spearman!).toBeLessThan(0.9);

    // The same numbers as the library in Node.
    const node = await nodeRhos;
    for (const m of FAST) {
      expect(Math.abs(stage10.find((p) => p.method === m)!.spearman! - node[m]), `${m}: page vs Node ${node[m]}`).toBeLessThan(TOLERANCE);
    }

    // Table and chart show the stage: 5 methods at stages 0 and 10.
    const column10 = await page.$$eval('[data-testid="spearman-table"] td[data-stage="10"]', (tds) => tds.map((td) => Number(td.getAttribute("data-spearman"))));
    expect(column10.length).toBe(5);
    expect(column10.every((v) => Number.isFinite(v) && Math.abs(v) <= 1)).toBe(true);
    expect(Number(await page.getAttribute('[data-testid="spearman-chart"]', "data-points"))).toBe(10);
    expect(problems()).toEqual([]);
  });

  it("filling the chart for the fast methods computes every stage", async () => {
    const t0 = Date.now();
    // Observable's radio: one input per option, its value the option's index.
    await page.check('[data-testid="chart-fill"] input[type="radio"][value="1"]');
    await waitForFigures(page, {figure: "sanity-maps", params: {id: photo, stage: 10, fill: "all stages, fast methods"}, timeout: 300_000});
    await page.waitForFunction(() => document.querySelector('[data-testid="spearman-chart"]')?.getAttribute("data-points") === String(3 * 11 + 2 * 2), null, {timeout: 10_000});
    times.push(`fill fast methods, stages 1-9: ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    const table = await page.$$eval('[data-testid="spearman-table"] td[data-spearman]', (tds) => tds.map((td) => ({method: td.getAttribute("data-method"), stage: Number(td.getAttribute("data-stage")), rho: Number(td.getAttribute("data-spearman"))})));
    expect(table.length).toBe(3 * 11 + 2 * 2);
    for (const c of table) expect(Number.isNaN(c.rho) || Math.abs(c.rho) <= 1, `${c.method}@${c.stage}`).toBe(true);
    const rows = FAST.map((m) => `${m}: ${table.filter((c) => c.method === m).sort((a, b) => a.stage - b.stage).map((c) => c.rho.toFixed(3)).join(" ")}`);
    times.push(`Spearman |r| by stage 0..10 (page, wasm):\n  ${rows.join("\n  ")}`);
    await page.waitForTimeout(300);
    const file = await screenshot(page, "sanity-checks.png");
    expect(fs.existsSync(file)).toBe(true);
    expect(problems()).toEqual([]);
  });
});
