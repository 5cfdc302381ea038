// End-to-end: integrated-gradients baselines and SmoothGrad in headless
// Chromium (wasm here).
//  - On the IG page, choosing another baseline changes the path images, the
//    map and the address; the completeness numbers the page shows equal the
//    library's in Node (same weights, photo bytes and settings: blurred
//    baseline, and uniform noise with K = 2, M = 6) within 1e-3 of
//    f(photo) - f(baseline); the SmoothGrad-of-IG figure reacts to its sliders.
//  - On the gradient and gradient x input pages, the SmoothGrad sliders change
//    the map; n = 1 with noise 0 paints exactly the plain map.
// Screenshots: test-artifacts/ig-baseline-*.png, smoothgrad-*.png.
// Needs a built site ($EXPLAIN_DIST or dist/) and Chromium (see helpers.ts).
import {afterAll, beforeAll, describe, expect, it} from "vitest";
import type {Browser, Page} from "playwright-core";
import {integratedGradients, type Completeness} from "../../src/lib/integrated-gradients.js";
import {closeSharedSite, openPage, openSharedSite, requireDist, screenshot, type SiteUnderTest} from "./helpers.js";
import {builtGallery, canvasDigest, captions, setRange, siteInNode, waitForFigures} from "./handout-helpers.js";

const M = 6;
const K = 2;
/** The page's numbers against Node's, relative to f(photo) - f(baseline). */
const TOLERANCE = 1e-3;
/** Settings compared with Node. */
const COMPARED = [{baseline: "blur", K: 1}, {baseline: "uniform", K}] as const;

let site: SiteUnderTest;
let browser: Browser;
let photoId: string;
let nodeValues: Promise<Map<string, {completeness: Completeness; ms: number}>>;

/** The library in Node on the site's own weights and photo bytes. */
async function completenessInNode(id: string): Promise<Map<string, {completeness: Completeness; ms: number}>> {
  const {model, photo} = await siteInNode();
  const image = photo(id);
  const out = new Map<string, {completeness: Completeness; ms: number}>();
  for (const {baseline, K: samples} of COMPARED) {
    const t0 = performance.now();
    const result = await integratedGradients(model, image, {steps: M, baseline, baselineSamples: samples, completeness: true});
    out.set(baseline, {completeness: result.completeness!, ms: performance.now() - t0});
  }
  image.dispose();
  model.dispose();
  return out;
}

/** Clicks option `option` of the radio group labelled `group` (the first such group on the page). */
async function choose(page: Page, group: string, option: string): Promise<void> {
  await page.evaluate(
    ([group, option]) => {
      const form = [...document.querySelectorAll("form")].find((f) => f.querySelector("label")?.textContent?.trim() === group && f.querySelector('input[type="radio"]'));
      if (!form) throw new Error(`no radio group ${group}`);
      const input = [...form.querySelectorAll('input[type="radio"]')].find((i) => i.parentElement?.textContent?.trim() === option) as HTMLInputElement | undefined;
      if (!input) throw new Error(`no option ${option} in ${group}`);
      input.click();
    },
    [group, option] as const,
  );
}

async function completenessShown(page: Page): Promise<{sum: number; difference: number; gap: number; relative: number; baseline: string; samples: number; text: string}> {
  return page.$eval('[data-testid="completeness"]', (el) => ({
    sum: Number(el.getAttribute("data-sum")),
    difference: Number(el.getAttribute("data-difference")),
    gap: Number(el.getAttribute("data-gap")),
    relative: Number(el.getAttribute("data-relative")),
    baseline: el.getAttribute("data-baseline") ?? "",
    samples: Number(el.getAttribute("data-samples")),
    text: el.textContent ?? "",
  }));
}

const captionOf = async (page: Page, figure: string) => (await captions(page)).find((c) => c.figure === figure)!;
const PATH_LAST = '[data-testid="ig-path"] figure:last-child canvas';
const IG_MAP = '[data-testid="ig-map"] canvas[data-testid="heatmap"]';

beforeAll(async () => {
  requireDist();
  const gallery = builtGallery();
  photoId = gallery.images[0].id;
  ({site, browser} = await openSharedSite());
  // Node computes while the browser does.
  nodeValues = completenessInNode(photoId);
  nodeValues.catch(() => undefined);
});

afterAll(() => closeSharedSite(site, browser));

describe("Integrated gradients: baselines", () => {
  let page: Page;
  let problems: () => string[];

  it("changing the baseline changes the path images, the map and the address", async () => {
    ({page, problems} = await openPage(browser, `${site.url}/pages/integrated-gradients#image=${photoId}&M=${M}&baseline=black&noise=15`));
    await waitForFigures(page, {figure: "ig-map", params: {id: photoId, M, baseline: "black"}, timeout: 240_000});
    await waitForFigures(page, {figure: "ig-path", params: {id: photoId, M, baseline: "black"}});
    const before = {path: await canvasDigest(page, PATH_LAST), map: await canvasDigest(page, IG_MAP), completeness: await completenessShown(page), ms: (await captionOf(page, "ig-map")).ms};
    expect(before.completeness.baseline).toBe("black");
    // The last path image is the black baseline itself.
    expect(await page.$eval(PATH_LAST, (el) => Math.max(...(el as HTMLCanvasElement).getContext("2d")!.getImageData(0, 0, 56, 56).data.filter((_, i) => i % 4 !== 3)))).toBe(0);

    await choose(page, "baseline", "blurred");
    await waitForFigures(page, {figure: "ig-map", params: {baseline: "blur"}, timeout: 240_000});
    await waitForFigures(page, {figure: "ig-path", params: {baseline: "blur"}});
    await waitForFigures(page, {figure: "ig-saturation", params: {baseline: "blur"}});
    const after = {path: await canvasDigest(page, PATH_LAST), map: await canvasDigest(page, IG_MAP), completeness: await completenessShown(page), ms: (await captionOf(page, "ig-map")).ms};
    expect(after.path).not.toBe(before.path);
    expect(after.map).not.toBe(before.map);
    expect(after.completeness.baseline).toBe("blur");
    expect(after.completeness.difference).not.toBe(before.completeness.difference);
    // The blurred baseline is the blurred photo: far from black.
    const meanLast = await page.$eval(PATH_LAST, (el) => {
      const d = (el as HTMLCanvasElement).getContext("2d")!.getImageData(0, 0, 56, 56).data;
      let s = 0;
      for (let i = 0; i < d.length; i++) if (i % 4 !== 3) s += d[i];
      return s / (d.length * 0.75);
    });
    expect(meanLast).toBeGreaterThan(40);
    expect(new URL(page.url()).hash).toContain("baseline=blur");
    // Both sliders for the baseline move together.
    const checked = await page.$$eval("form", (forms) =>
      forms.filter((f) => f.querySelector("label")?.textContent?.trim() === "baseline").map((f) => f.querySelector('input[type="radio"]:checked')?.parentElement?.textContent?.trim()),
    );
    expect(checked).toEqual(["blurred", "blurred"]);
    await screenshot(page, "ig-baseline-blur.png");
    console.log(`IG M = ${M} in the browser: black ${before.ms} ms, blurred ${after.ms} ms; gap ${before.completeness.relative.toFixed(4)} -> ${after.completeness.relative.toFixed(4)}`);
    expect(problems()).toEqual([]);
  });

  it(`the completeness numbers shown equal the library's in Node within ${TOLERANCE} of f(x) - f(x')`, async () => {
    const expected = await nodeValues;
    const check = async (baseline: string) => {
      const shown = await completenessShown(page);
      const node = expected.get(baseline)!.completeness;
      const scale = Math.abs(node.scoreDifference);
      expect(shown.baseline).toBe(baseline);
      expect(Math.abs(shown.difference - node.scoreDifference) / scale, `${baseline}: f(x) - f(x')`).toBeLessThanOrEqual(TOLERANCE);
      expect(Math.abs(shown.sum - node.attributionSum) / scale, `${baseline}: sum`).toBeLessThanOrEqual(TOLERANCE);
      expect(Math.abs(shown.gap - node.gap) / scale, `${baseline}: gap`).toBeLessThanOrEqual(TOLERANCE);
      expect(shown.text).toContain(Math.abs(shown.sum).toFixed(4));
      expect(shown.text).toContain(Math.abs(shown.gap).toFixed(4));
      expect(shown.text).toContain(`${(100 * Math.abs(shown.relative)).toFixed(1)}%`);
      console.log(`${baseline}: page sum ${shown.sum.toFixed(5)}, difference ${shown.difference.toFixed(5)}, gap ${shown.gap.toFixed(5)}; Node ${node.attributionSum.toFixed(5)}, ${node.scoreDifference.toFixed(5)}, ${node.gap.toFixed(5)} (${expected.get(baseline)!.ms.toFixed(0)} ms)`);
    };
    await check("blur");
    // A noise baseline: K samples of seeded noise, the same in Node and in the browser.
    await setRange(page, "samples K", K);
    await choose(page, "baseline", "uniform noise");
    await waitForFigures(page, {figure: "ig-map", params: {baseline: "uniform", K}, timeout: 240_000});
    await waitForFigures(page, {figure: "ig-path", params: {baseline: "uniform"}});
    const shown = await completenessShown(page);
    expect(shown.samples).toBe(K);
    await check("uniform");
    // The completeness chart has a point per (baseline, M) tried.
    expect(Number(await page.getAttribute('[data-testid="completeness-chart"]', "data-points"))).toBe(3);
    console.log(`IG M = ${M}, uniform K = ${K} in the browser: ${(await captionOf(page, "ig-map")).ms} ms`);
    await screenshot(page, "ig-baseline-uniform.png");
    expect(problems()).toEqual([]);
  });

  it("SmoothGrad of IG reacts to its sliders", async () => {
    // At its defaults (computed since the page loaded): n = 4 copies, M = 8 steps each.
    await waitForFigures(page, {figure: "ig-smoothgrad", params: {n: 4, M: 8, noise: 15}, timeout: 240_000});
    console.log(`SmoothGrad of IG at its defaults in the browser: ${(await captionOf(page, "ig-smoothgrad")).text}`);
    await setRange(page, "samples n", 2);
    await setRange(page, "steps M per copy", 3);
    await waitForFigures(page, {figure: "ig-smoothgrad", params: {n: 2, M: 3, noise: 15}, timeout: 240_000});
    const map = '[data-testid="ig-smoothgrad-map"] canvas';
    const before = await canvasDigest(page, map);
    const ms = (await captionOf(page, "ig-smoothgrad")).ms;
    await setRange(page, "noise level", 35);
    await waitForFigures(page, {figure: "ig-smoothgrad", params: {n: 2, M: 3, noise: 35}, timeout: 240_000});
    expect(await canvasDigest(page, map)).not.toBe(before);
    expect((await captionOf(page, "ig-smoothgrad")).text).toContain("n = 2, M = 3: 6 forward + backward passes");
    console.log(`SmoothGrad of IG, n = 2, M = 3 (+ plain IG M = 3) in the browser: ${ms} ms`);
    await screenshot(page, "smoothgrad-ig.png");
    expect(problems()).toEqual([]);
    await page.close();
  });
});

describe("SmoothGrad on the gradient pages", () => {
  for (const [name, figure, plainFigure] of [["gradient-norm", "gradient-smoothgrad", "gradient-norm"], ["gradient-x-input", "gradient-x-input-smoothgrad", "gradient-x-input"]] as const) {
    it(`${name}: the noise and samples sliders change the map; n = 1, noise 0 paints the plain map`, async () => {
      const {page, problems} = await openPage(browser, `${site.url}/pages/${name}#image=${photoId}&noise=15&samples=10`);
      await waitForFigures(page, {figure, params: {id: photoId, noise: 15, n: 10}, timeout: 240_000});
      const map = '[data-testid="smoothgrad-map"] canvas';
      const first = {digest: await canvasDigest(page, map), ms: (await captionOf(page, figure)).ms};
      await screenshot(page, `smoothgrad-${name}.png`);
      await setRange(page, "noise level", 40);
      await waitForFigures(page, {figure, params: {noise: 40, n: 10}});
      const noisier = await canvasDigest(page, map);
      expect(noisier).not.toBe(first.digest);
      await setRange(page, "samples n", 3);
      await waitForFigures(page, {figure, params: {noise: 40, n: 3}});
      const fewer = await canvasDigest(page, map);
      expect(fewer).not.toBe(noisier);
      expect((await captionOf(page, figure)).text).toContain("n = 3, σ = 40%");
      expect(new URL(page.url()).hash).toMatch(/noise=40&samples=3/);
      await screenshot(page, `smoothgrad-${name}-noise40-n3.png`);
      // No noise, one copy: exactly the plain method, so the same pixels as the page's first map.
      await setRange(page, "noise level", 0);
      await setRange(page, "samples n", 1);
      await waitForFigures(page, {figure, params: {noise: 0, n: 1}});
      await waitForFigures(page, {figure: plainFigure});
      expect(await canvasDigest(page, map)).toBe(await canvasDigest(page, `[data-figure="${plainFigure}"] canvas[data-testid="heatmap"]`));
      console.log(`${name}: SmoothGrad n = 10 in the browser: ${first.ms} ms`);
      expect(problems()).toEqual([]);
      await page.close();
    });
  }
});
