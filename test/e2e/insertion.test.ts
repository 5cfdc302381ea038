// End-to-end: the insertion metric and the deletion substrates in headless
// Chromium. On the Deletion score page, switching the metric (deletion ->
// insertion) and the substrate (black -> blurred copy, mean colour) must
// change the curve, the AUC and the images shown, and each AUC shown (GradCAM
// and the random map) must equal the library's value in Node (wasm backend,
// the site's own weights and photo bytes) within 1e-3. On Side by side, the
// insertion curves (mean-colour substrate) of the five methods must equal
// Node's too. Screenshots go to test-artifacts/. Small settings (6 curve
// steps; occlusion 2 x 2 and 2 IG steps on Side by side) keep it short.
// Needs dist/ (`npm run build`) and Chromium (see helpers.ts).
import {afterAll, beforeAll, describe, expect, it} from "vitest";
import type {Browser, Page} from "playwright-core";
import {randomSmoothMap} from "../../src/lib/random-map.js";
import {imageLogits} from "../../src/lib/explanation.js";
import {resizeMapArray} from "../../src/lib/image.js";
import {metricCurve} from "../../src/lib/insertion.js";
import {explain, METHOD_NAMES, methodSteps, type MethodName} from "../../src/lib/methods.js";
import type {MetricName, SubstrateName} from "../../src/lib/substrate.js";
import {closeSharedSite, openPage, openSharedSite, requireDist, screenshot, type SiteUnderTest} from "./helpers.js";
import {builtGallery, canvasDigest, captions, siteInNode, waitForFigures} from "./handout-helpers.js";

const D = 6;
const SEED = 1;
const SBS = {S: 2, M: 2, D: 4};
const TOLERANCE = 1e-3;


let site: SiteUnderTest;
let browser: Browser;
let gallery: ReturnType<typeof builtGallery>;
let photoId: string;

/** The library in Node on the site's weights and photos. */
const node = (async () => {
  const {tf, model, photo} = await siteInNode();
  return {tf, model, image: photo};
})();
node.catch(() => undefined);

/** AUCs in Node of the GradCAM map and the random map (seed SEED) of a photo, as the Deletion score page computes them. */
async function nodeAucs(id: string, metric: MetricName, substrate: SubstrateName, target?: number): Promise<{gradCam: number; random: number; ms: number}> {
  const {model, image} = await node;
  const x = image(id);
  const e = await explain("grad_cam", model, x, {target});
  const t0 = performance.now();
  const gradCam = (await metricCurve(model, x, e.relevance, {metric, substrate, steps: D, target: e.target})).auc;
  const ms = performance.now() - t0;
  const random = (await metricCurve(model, x, randomSmoothMap(SEED, resizeMapArray), {metric, substrate, steps: D, target})).auc;
  x.dispose();
  return {gradCam, random, ms};
}

beforeAll(async () => {
  requireDist();
  gallery = builtGallery();
  photoId = gallery.images[0].id;
  ({site, browser} = await openSharedSite());
});

afterAll(() => closeSharedSite(site, browser));

/** Clicks option `option` of the radio group labelled `group` in the first metric controls. */
async function choose(page: Page, group: string, option: string): Promise<void> {
  await page.evaluate(
    ([group, option]) => {
      const forms = [...document.querySelectorAll('[data-testid="metric-controls"] form')];
      const form = forms.find((f) => f.querySelector("label")?.textContent?.trim() === group);
      if (!form) throw new Error(`no radio group ${group}`);
      const input = [...form.querySelectorAll('input[type="radio"]')].find((i) => i.parentElement?.textContent?.trim() === option) as HTMLInputElement | undefined;
      if (!input) throw new Error(`no option ${option} in ${group}`);
      input.click();
    },
    [group, option] as const,
  );
}

interface Shown {
  metric: string | null;
  substrate: string | null;
  auc: number;
  randomAuc: number;
  text: string;
  chartMetric: string | null;
  xLabel: string;
  line: string;
  firstImage: string;
}

async function shown(page: Page, metric: MetricName): Promise<Shown> {
  const figure = '[data-figure="deletion-method"]';
  const auc = `${figure} [data-testid="${metric}-auc"]`;
  const chart = `${figure} [data-testid="deletion-chart"]`;
  return {
    metric: await page.getAttribute(auc, "data-metric"),
    substrate: await page.getAttribute(auc, "data-substrate"),
    auc: Number(await page.getAttribute(auc, "data-auc")),
    randomAuc: Number(await page.getAttribute(auc, "data-random-auc")),
    text: (await page.textContent(auc)) ?? "",
    chartMetric: await page.getAttribute(chart, "data-metric"),
    xLabel: await page.$$eval(`${chart} svg g[aria-label="x-axis label"]`, (els) => els.map((e) => e.textContent).join("")),
    line: await page.$eval(`${chart} g[aria-label="line"] path`, (p) => p.getAttribute("d") ?? ""),
    firstImage: await canvasDigest(page, `${figure} [data-testid="deletion-method-images"] canvas`),
  };
}

describe("Deletion score: metric and substrate", () => {
  let page: Page;
  let problems: () => string[];
  const seen: Record<string, Shown> = {};

  it("deletion onto black at first (the handout)", async () => {
    const hash = `image=${photoId}&method=grad_cam&target=-1&D=${D}&seed=${SEED}&metric=deletion&substrate=black`;
    ({page, problems} = await openPage(browser, `${site.url}/pages/deletion-score#${hash}`, {width: 1200, height: 900}));
    await waitForFigures(page, {timeout: 240_000});
    seen.deletion = await shown(page, "deletion");
    expect(seen.deletion).toMatchObject({metric: "deletion", substrate: "black", chartMetric: "deletion"});
    expect(seen.deletion.xLabel).toContain("deleted");
    const expected = await nodeAucs(photoId, "deletion", "black");
    expect(Math.abs(seen.deletion.auc - expected.gradCam)).toBeLessThanOrEqual(TOLERANCE);
    expect(Math.abs(seen.deletion.randomAuc - expected.random)).toBeLessThanOrEqual(TOLERANCE);
  });

  it(`switching to insertion changes the curve, the AUC and the images; the AUCs equal Node's within ${TOLERANCE}`, async () => {
    const expected = nodeAucs(photoId, "insertion", "black");
    await choose(page, "metric", "insertion");
    const t0 = Date.now();
    await waitForFigures(page, {figure: "deletion-method", params: {metric: "insertion", substrate: "black"}});
    await waitForFigures(page, {figure: "deletion-random", params: {metric: "insertion", substrate: "black"}});
    const ms = Date.now() - t0;
    seen.insertion = await shown(page, "insertion");
    expect(seen.insertion).toMatchObject({metric: "insertion", substrate: "black", chartMetric: "insertion"});
    expect(seen.insertion.xLabel).toContain("inserted");
    expect(seen.insertion.text).toBe(seen.insertion.auc.toFixed(4));
    expect(seen.insertion.auc).not.toBe(seen.deletion.auc);
    expect(seen.insertion.line).not.toBe(seen.deletion.line);
    // Image 0 is now the (black) substrate, not the photo.
    expect(seen.insertion.firstImage).not.toBe(seen.deletion.firstImage);
    const want = await expected;
    console.log(`insertion (black), ${photoId}: GradCAM page ${seen.insertion.auc.toFixed(5)} / Node ${want.gradCam.toFixed(5)}; random map page ${seen.insertion.randomAuc.toFixed(5)} / Node ${want.random.toFixed(5)}; page switched in ${(ms / 1000).toFixed(1)} s; Node curve ${want.ms.toFixed(0)} ms (S = ${D})`);
    expect(Math.abs(seen.insertion.auc - want.gradCam)).toBeLessThanOrEqual(TOLERANCE);
    expect(Math.abs(seen.insertion.randomAuc - want.random)).toBeLessThanOrEqual(TOLERANCE);
    expect(new URL(page.url()).hash).toContain("metric=insertion");
  });

  it("switching the substrate to the blurred copy changes the insertion curve; Node agrees", async () => {
    const expected = nodeAucs(photoId, "insertion", "blur");
    await choose(page, "removed pixels become", "blurred copy");
    await waitForFigures(page, {figure: "deletion-method", params: {metric: "insertion", substrate: "blur"}});
    await waitForFigures(page, {figure: "deletion-random", params: {metric: "insertion", substrate: "blur"}});
    seen.blur = await shown(page, "insertion");
    expect(seen.blur).toMatchObject({metric: "insertion", substrate: "blur"});
    expect(seen.blur.auc).not.toBe(seen.insertion.auc);
    expect(seen.blur.line).not.toBe(seen.insertion.line);
    expect(seen.blur.firstImage).not.toBe(seen.insertion.firstImage);
    const want = await expected;
    console.log(`insertion (blur): GradCAM page ${seen.blur.auc.toFixed(5)} / Node ${want.gradCam.toFixed(5)}; random page ${seen.blur.randomAuc.toFixed(5)} / Node ${want.random.toFixed(5)}`);
    expect(Math.abs(seen.blur.auc - want.gradCam)).toBeLessThanOrEqual(TOLERANCE);
    expect(Math.abs(seen.blur.randomAuc - want.random)).toBeLessThanOrEqual(TOLERANCE);
    expect(new URL(page.url()).hash).toContain("substrate=blur");
    await screenshot(page, "deletion-score-insertion-blur.png");
  });

  it("deletion onto the mean colour: another curve; Node agrees", async () => {
    const expected = nodeAucs(photoId, "deletion", "mean");
    await choose(page, "metric", "deletion");
    await choose(page, "removed pixels become", "dataset mean colour");
    await waitForFigures(page, {figure: "deletion-method", params: {metric: "deletion", substrate: "mean"}});
    await waitForFigures(page, {figure: "deletion-random", params: {metric: "deletion", substrate: "mean"}});
    seen.mean = await shown(page, "deletion");
    expect(seen.mean).toMatchObject({metric: "deletion", substrate: "mean", chartMetric: "deletion"});
    expect(seen.mean.auc).not.toBe(seen.deletion.auc);
    expect(seen.mean.line).not.toBe(seen.deletion.line);
    const want = await expected;
    console.log(`deletion (mean): GradCAM page ${seen.mean.auc.toFixed(5)} / Node ${want.gradCam.toFixed(5)}; black was ${seen.deletion.auc.toFixed(5)}`);
    expect(Math.abs(seen.mean.auc - want.gradCam)).toBeLessThanOrEqual(TOLERANCE);
    expect(Math.abs(seen.mean.randomAuc - want.random)).toBeLessThanOrEqual(TOLERANCE);
    // Back to black deletion: the first result again, from the page's cache.
    await choose(page, "removed pixels become", "black (the handout)");
    await waitForFigures(page, {figure: "deletion-method", params: {metric: "deletion", substrate: "black"}});
    expect((await shown(page, "deletion")).auc).toBe(seen.deletion.auc);
  });

  it("choosing another class to explain: map and curves follow it; Node agrees", async () => {
    await choose(page, "metric", "insertion");
    const before = await shown(page, "insertion");
    const {model, image} = await node;
    const x = image(photoId);
    const {predicted} = await imageLogits(model, x);
    x.dispose();
    const other = (predicted + 1) % 10;
    const expected = nodeAucs(photoId, "insertion", "black", other);
    await page.selectOption('[data-testid="target-picker"] select', String(other));
    await waitForFigures(page, {figure: "deletion-method", params: {metric: "insertion", substrate: "black", target: other}});
    await waitForFigures(page, {figure: "deletion-random", params: {metric: "insertion", substrate: "black", target: other}});
    const after = await shown(page, "insertion");
    expect(after.auc).not.toBe(before.auc);
    expect(await page.textContent('[data-figure="deletion-method"] [data-testid="prediction"]')).toContain("the curves follow the explained class");
    const want = await expected;
    console.log(`insertion (black), explaining class ${other}: GradCAM page ${after.auc.toFixed(5)} / Node ${want.gradCam.toFixed(5)}; random page ${after.randomAuc.toFixed(5)} / Node ${want.random.toFixed(5)}`);
    expect(Math.abs(after.auc - want.gradCam)).toBeLessThanOrEqual(TOLERANCE);
    expect(Math.abs(after.randomAuc - want.random)).toBeLessThanOrEqual(TOLERANCE);
    expect(new URL(page.url()).hash).toContain(`target=${other}`);
  });

  it("times one insertion curve (S = 10, blurred copy) in the page; no console errors", async () => {
    // A compute function shipped to the page's compute worker, like a chapter's.
    const source = `async (params, context, {tf, model, lib: {insertionCurve}}) => {
      const image = tf.randomUniform([224, 224, 3], 0, 1, "float32", 7);
      const relevance = Float32Array.from({length: 224 * 224}, (_, i) => Math.sin(i / 97));
      const before = tf.memory().numTensors;
      const t0 = performance.now();
      const r = await insertionCurve(model, image, relevance, {steps: 10, substrate: "blur"});
      const ms = performance.now() - t0;
      image.dispose();
      return {ms, auc: r.auc, backend: tf.getBackend(), leaked: tf.memory().numTensors - before + 1};
    }`;
    const result = (await page.evaluate(
      (source) => (globalThis as unknown as {__explainCompute: {run(fn: unknown, params: unknown): Promise<unknown>}}).__explainCompute.run(new Function(`return ${source}`)(), null),
      source,
    )) as {ms: number; auc: number; backend: string; leaked: number};
    console.log(`insertion curve S = 10 in the page: ${result.ms.toFixed(0)} ms on ${result.backend}`);
    expect(Number.isFinite(result.auc)).toBe(true);
    expect(result.leaked).toBe(0);
    expect(problems()).toEqual([]);
    await page.close();
  });
});

describe("Side by side: insertion onto the mean colour", () => {
  it(`shows five insertion curves per photo whose AUCs equal Node's within ${TOLERANCE}; screenshot`, async () => {
    const hash = `image=${photoId}&compare=&target=-1&S=${SBS.S}&M=${SBS.M}&D=${SBS.D}&metric=insertion&substrate=mean`;
    const {page, problems} = await openPage(browser, `${site.url}/pages/side-by-side#${hash}`, {width: 1200, height: 900});
    // Node computes while the browser does.
    const expected = (async () => {
      const {model, image} = await node;
      const x = image(photoId);
      const out = {} as Record<MethodName, number>;
      for (const method of METHOD_NAMES) {
        const steps = methodSteps(method, SBS);
        const e = await explain(method, model, x, {steps});
        out[method] = (await metricCurve(model, x, e.relevance, {metric: "insertion", substrate: "mean", steps: SBS.D, target: e.target})).auc;
      }
      x.dispose();
      return out;
    })();
    await waitForFigures(page, {figure: "side-by-side", params: {ids: [photoId], ...SBS, metric: "insertion", substrate: "mean"}, timeout: 240_000});
    const curves = `.sbs-row__curves[data-image="${photoId}"]`;
    expect(await page.getAttribute(curves, "data-metric")).toBe("insertion");
    expect(await page.getAttribute(`${curves} [data-testid="deletion-chart"]`, "data-metric")).toBe("insertion");
    const legend = await page.$$eval(`${curves} [data-testid="auc"]`, (els) => els.map((el) => ({method: el.getAttribute("data-method")!, auc: Number(el.getAttribute("data-auc"))})));
    expect(legend.map((l) => l.method)).toEqual(["occlusion", "grad", "grad_x_input", "integrated_gradients", "grad_cam"]);
    const want = await expected;
    for (const {method, auc} of legend) {
      expect(Math.abs(auc - want[method as MethodName]), `${method}: page ${auc}, Node ${want[method as MethodName]}`).toBeLessThanOrEqual(TOLERANCE);
    }
    console.log(`side by side, insertion (mean): ${legend.map((l) => `${l.method} ${l.auc.toFixed(4)} (Node ${want[l.method as MethodName].toFixed(4)})`).join(", ")}`);
    const caption = (await captions(page)).find((c) => c.figure === "side-by-side")!;
    expect(caption.text).toContain("insertion (mean colour)");
    await screenshot(page, "side-by-side-insertion.png");
    expect(problems()).toEqual([]);
    await page.close();
  });
});
