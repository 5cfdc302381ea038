// End-to-end: the method chapters (Occlusion ... Deletion score) in headless
// Chromium. Each page must load without console errors or failed requests
// and compute its figures at the default settings (on whatever backend the
// page picks: wasm here, where WebGL is software-only); screenshots go to
// test-artifacts/<page>.png; then each is audited for accessibility
// (accessibility-audit.ts). Then the sliders: changing the occlusion grid
// changes the heatmap and its caption, changing the deletion steps changes
// the number of points of the curve and the AUC, and the chosen photo is
// remembered across chapters. (Side by side has its own file: it compares
// its AUCs with the library in Node.)
// Needs dist/ (`npm run build`) and Chromium (see helpers.ts).
import {afterAll, beforeAll, describe, expect, it} from "vitest";
import type {Browser, BrowserContext, Page} from "playwright-core";
import {closeSharedSite, openSharedSite, screenshot, settled, type SiteUnderTest, watchProblems} from "./helpers.js";
import {canvasDigest, captions, METHOD_CHAPTERS, setRange, waitForFigures, SITE_DIR} from "./handout-helpers.js";
import {auditAccessibility} from "./accessibility-audit.js";


let site: SiteUnderTest;
let browser: Browser;
let context: BrowserContext;
const pages = new Map<string, {page: Page; problems: string[]; ms: number}>();

/** Opens a page in the shared context (shared localStorage) and records problems. */
async function open(path: string): Promise<{page: Page; problems: string[]}> {
  const page = await context.newPage();
  const problems = watchProblems(page);
  await page.goto(`${site.url}/pages/${path}`, {waitUntil: "load"});
  await settled(page);
  return {page, problems};
}

beforeAll(async () => {
  ({site, browser} = await openSharedSite());
  context = await browser.newContext({viewport: {width: 1200, height: 900}});
});

afterAll(() => closeSharedSite(site, browser));

describe("method chapters", () => {
  for (const name of METHOD_CHAPTERS) {
    it(`${name}: loads, computes its figures without errors, screenshot`, async () => {
      const t0 = Date.now();
      const {page, problems} = await open(name);
      await waitForFigures(page, {timeout: 240_000});
      // The heavy extras wait for a click on the CPU backends: a reader starts them.
      for (const start of await page.$$('[data-testid="figure-start"]')) await start.click();
      const all = await waitForFigures(page, {timeout: 240_000});
      const ms = Date.now() - t0;
      pages.set(name, {page, problems, ms});
      await screenshot(page, `${name}.png`);
      expect(all.length).toBeGreaterThan(0);
      for (const c of all) {
        expect(c.state, `${c.figure}: ${c.text}`).toBe("ready");
        expect(["webgpu", "webgl", "wasm", "cpu"]).toContain(c.backend);
        // Then the model it computed with (the handout's here): architecture, classes, short sha256.
        expect(c.text).toMatch(/: \d+(\.\d)? (ms|s) · (webgpu|webgl|wasm|cpu)(, \d+ threads?)?(, main thread)? · model resnet18, 10 classes, sha256 [0-9a-f]{12}$/);
      }
      // The page writes its view into the address: a link reopens it.
      expect(new URL(page.url()).hash).toMatch(/image=ILSVRC2012_val_\d+\.JPEG/);
      console.log(`${name}: ready after ${(ms / 1000).toFixed(1)} s; ${all.map((c) => c.text).join("; ")}`);
      // Its figures ready: the accessibility audit (here, so that the chapter computes once for both).
      await auditAccessibility(page, `/pages/${name}`);
      expect(problems).toEqual([]);
    });
  }
});

describe("interaction", () => {
  it("occlusion: changing S changes the heatmap and the caption", async () => {
    const {page, problems} = pages.get("occlusion") ?? (await open("occlusion"));
    await waitForFigures(page);
    const map = '[data-figure="occlusion-map"] canvas[data-testid="heatmap"]';
    const caption = '[data-testid="figure-caption"][data-figure="occlusion-map"]';
    const before = {digest: await canvasDigest(page, map), caption: await page.textContent(caption), batch: await page.$$eval('[data-testid="occlusion-batch"] canvas', (c) => c.length)};
    const S0 = (await captions(page)).find((c) => c.figure === "occlusion-map")!.params!.S as number;
    const S1 = S0 === 4 ? 5 : 4;
    await setRange(page, "grid size S", S1);
    await waitForFigures(page, {figure: "occlusion-map", params: {S: S1}});
    await waitForFigures(page, {figure: "occluded-batch", params: {S: S1}});
    const after = {digest: await canvasDigest(page, map), caption: await page.textContent(caption), batch: await page.$$eval('[data-testid="occlusion-batch"] canvas', (c) => c.length)};
    expect(after.digest).not.toBe(before.digest);
    expect(after.caption).not.toBe(before.caption);
    expect(after.caption).toContain(`S = ${S1}`);
    expect(after.batch).toBe(S1 * S1);
    expect(before.batch).toBe(S0 <= 8 ? S0 * S0 : 16);
    expect(new URL(page.url()).hash).toContain(`S=${S1}`);
    console.log(`occlusion S ${S0} -> ${S1}: ${before.caption} -> ${after.caption}`);
    expect(problems).toEqual([]);
  });

  it("occlusion: a newer setting cancels the running computation; no stale result, no leaked tensors", async () => {
    const {page, problems} = pages.get("occlusion") ?? (await open("occlusion"));
    await waitForFigures(page);
    const tensors0 = await numTensors(page);
    // S = 32 is 1,025 forward passes (minutes on a CPU): it must be abandoned.
    await setRange(page, "grid size S", 32);
    await page.waitForFunction(() => /\d+ \/ 1024/.test(document.querySelector('[data-figure="occlusion-map"] .live-figure__status')?.textContent ?? ""), null, {timeout: 60_000});
    const progress = await page.textContent('[data-figure="occlusion-map"] .live-figure__status');
    // Meanwhile the grid of S = 32 fills in, batch by batch.
    await page.waitForSelector('[data-figure="occlusion-map"] [data-testid="occlusion-partial"]', {timeout: 60_000});
    await setRange(page, "grid size S", 3);
    const t0 = Date.now();
    await waitForFigures(page, {figure: "occlusion-map", params: {S: 3}, timeout: 120_000});
    const ms = Date.now() - t0;
    await page.waitForTimeout(1500);
    const shown = (await captions(page)).find((c) => c.figure === "occlusion-map")!;
    expect(shown.params).toMatchObject({S: 3});
    expect(shown.state).toBe("ready");
    expect(await page.$$eval('[data-testid="occlusion-batch"] canvas', (c) => c.length)).toBe(9);
    expect(await numTensors(page)).toBe(tensors0);
    console.log(`cancelled S = 32 at "${progress?.trim()}"; S = 3 shown ${(ms / 1000).toFixed(1)} s later; tensors before ${tensors0}, after ${await numTensors(page)}`);
    expect(problems).toEqual([]);
  });

  it("deletion score: changing the steps changes the curve's points and the AUC", async () => {
    const {page, problems} = pages.get("deletion-score") ?? (await open("deletion-score"));
    await waitForFigures(page);
    const chart = '[data-figure="deletion-method"] [data-testid="deletion-chart"]';
    const auc = '[data-figure="deletion-method"] [data-testid="deletion-auc"]';
    const before = {points: Number(await page.getAttribute(chart, "data-points")), auc: await page.textContent(auc), lines: await lineVertices(page, chart)};
    const D0 = (await captions(page)).find((c) => c.figure === "deletion-method")!.params!.D as number;
    expect(before.points).toBe(D0);
    const D1 = D0 === 5 ? 6 : 5;
    await setRange(page, "deletion steps S", D1);
    await waitForFigures(page, {figure: "deletion-method", params: {D: D1}});
    await waitForFigures(page, {figure: "deletion-random", params: {D: D1}});
    const after = {points: Number(await page.getAttribute(chart, "data-points")), auc: await page.textContent(auc), lines: await lineVertices(page, chart)};
    expect(after.points).toBe(D1);
    // Plot's own lines: one per curve (method and random map), D vertices each.
    expect(before.lines).toEqual([D0, D0]);
    expect(after.lines).toEqual([D1, D1]);
    expect(after.auc).not.toBe(before.auc);
    console.log(`deletion steps ${D0} -> ${D1}: AUC ${before.auc} -> ${after.auc}`);
    expect(problems).toEqual([]);
  });

  it("the chosen photo is remembered across chapters and in the address (and a recompute leaves no tensors)", async () => {
    const {page} = pages.get("grad-cam") ?? (await open("grad-cam"));
    await waitForFigures(page);
    const ids = await page.$$eval('[data-testid="image-picker-thumb"]', (els) => els.map((e) => e.getAttribute("data-id")!));
    const current = await page.getAttribute('[data-testid="image-picker"]', "data-value");
    const other = ids.find((id) => id !== current)!;
    const tensors = await numTensors(page);
    await page.click(`[data-testid="image-picker-thumb"][data-id="${other}"]`);
    await waitForFigures(page, {figure: "grad-cam", params: {id: other}});
    expect(await numTensors(page), "tensors left behind by a GradCAM recompute").toBe(tensors);
    expect(new URL(page.url()).hash).toContain(`image=${other}`);
    // Another chapter, opened from the sidebar without a hash: same photo.
    const next = await open("gradient-norm");
    expect(await next.page.getAttribute('[data-testid="image-picker"]', "data-value")).toBe(other);
    await next.page.close();
    // A link with a hash opens that photo, whatever was remembered.
    const linked = await context.newPage();
    await linked.goto(`${site.url}/pages/grad-cam#image=${current}&target=-1`);
    await settled(linked);
    await linked.waitForSelector('[data-testid="image-picker"]');
    expect(await linked.getAttribute('[data-testid="image-picker"]', "data-value")).toBe(current);
    await linked.close();
  });
});

/** Live tensors of the page's TensorFlow.js engine (in its compute worker, through the page's test hook). */
async function numTensors(page: Page): Promise<number> {
  return page.evaluate(async () => (await (globalThis as unknown as {__explainCompute: {inspect(): Promise<{numTensors: number}>}}).__explainCompute.inspect()).numTensors);
}

/** Number of vertices of each line Plot drew in the chart (path "M…L…L…"). */
async function lineVertices(page: Page, chart: string): Promise<number[]> {
  return page.$$eval(`${chart} g[aria-label="line"] path`, (paths) => paths.map((p) => (p.getAttribute("d")!.match(/[ML]/g) ?? []).length));
}
