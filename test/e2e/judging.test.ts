// End-to-end: "Judging explanations" in headless Chromium (wasm here), small
// settings (occlusion 3 x 3, IG 4 steps, curves of 4 images, 10 subsets of
// 256 pixels, 1 perturbation). The page computes the five maps, MoRF/LeRF and
// ABPC at once; the heavy metrics after their buttons are clicked; then the
// method x metric table and the Kendall's tau matrix. Every number in the
// table must equal the library in Node (wasm, the worker's batches: a first
// batch of 2) within 1e-6, the taus must be those of the table's own ranks,
// and switching to ROAD's imputation recomputes MoRF/LeRF. No console errors.
// Screenshot: test-artifacts/judging-explanations.png; then the page is
// audited for accessibility (accessibility-audit.ts).
// Needs a built site (EXPLAIN_DIST or dist/) and Chromium (see helpers.ts).
import {afterAll, beforeAll, describe, expect, it} from "vitest";
import type {Browser, Page} from "playwright-core";
import {deletionCurve} from "../../src/lib/deletion.js";
import {makeBatchPolicy} from "../../src/lib/explanation.js";
import {faithfulnessCorrelations} from "../../src/lib/faithfulness-correlation.js";
import {maxSensitivity} from "../../src/lib/max-sensitivity.js";
import {complexity, sparseness} from "../../src/lib/complexity.js";
import {explain, mapFunction, METHOD_NAMES, methodSteps, type MethodName} from "../../src/lib/methods.js";
import {negatedRelevance} from "../../src/lib/morf-lerf.js";
import {randomLogitTest} from "../../src/lib/random-logit.js";
import {kendallTau, rankValues, EVALUATION_METRICS, type EvaluationMetricName} from "../../src/lib/ranking.js";
import {closeSharedSite, openPage, openSharedSite, screenshot, type SiteUnderTest} from "./helpers.js";
import {siteInNode, waitForFigures, SITE_DIR} from "./handout-helpers.js";
import {auditAccessibility} from "./accessibility-audit.js";

const PHOTO = "ILSVRC2012_val_00009111.JPEG";
const SETTINGS = {S: 3, M: 4, D: 4, subsets: 10, subsetSize: 256, perturbations: 1, radius: 5, judgeSeed: 1};
const TOLERANCE = 1e-6;

let site: SiteUnderTest;
let browser: Browser;
let page: Page;
let problems: () => string[];
let node: Promise<Record<EvaluationMetricName, Record<string, number>>>;

/** The page's computations, with the library in Node on the site's weights and photo. */
async function metricsInNode(): Promise<Record<EvaluationMetricName, Record<string, number>>> {
  const {model, photo} = await siteInNode();
  model.batchPolicy = makeBatchPolicy({first: 2, pad: false}); // the compute worker's policy on a CPU backend
  const image = photo(PHOTO);
  const out = {} as Record<EvaluationMetricName, Record<string, number>>;
  const put = (metric: EvaluationMetricName, method: string, value: number) => ((out[metric] ??= {})[method] = value);
  const maps = {} as Record<MethodName, Float32Array>;
  let target = 0;
  for (const method of METHOD_NAMES) {
    const steps = methodSteps(method, SETTINGS);
    const e = await explain(method, model, image, {steps, incremental: true});
    maps[method] = e.relevance;
    target = e.target;
    put("sparseness", method, sparseness(e.relevance));
    put("complexity", method, complexity(e.relevance));
    const morf = await deletionCurve(model, image, e.relevance, {steps: SETTINGS.D, target: e.target});
    const lerf = await deletionCurve(model, image, negatedRelevance(e.relevance), {steps: SETTINGS.D, target: e.target});
    put("deletion_auc", method, morf.auc);
    put("lerf_auc", method, lerf.auc);
    put("abpc", method, lerf.auc - morf.auc);
    const explainer = mapFunction(method, model, {steps, incremental: true});
    put("max_sensitivity", method, (await maxSensitivity(model, image, e.relevance, {method: explainer, samples: SETTINGS.perturbations, radius: SETTINGS.radius / 255, seed: SETTINGS.judgeSeed, target: e.target})).maxSensitivity);
    put("random_logit_spearman", method, (await randomLogitTest(model, image, e.relevance, {method: explainer, seed: SETTINGS.judgeSeed, target: e.target})).spearman);
  }
  const correlations = await faithfulnessCorrelations(model, image, maps, {subsets: SETTINGS.subsets, subsetSize: SETTINGS.subsetSize, seed: SETTINGS.judgeSeed, target});
  for (const method of METHOD_NAMES) put("faithfulness_correlation", method, correlations[method].correlation);
  image.dispose();
  model.dispose();
  return out;
}

beforeAll(async () => {
  ({site, browser} = await openSharedSite());
  const hash = new URLSearchParams({image: PHOTO, target: "-1", judgeSubstrate: "black", ...Object.fromEntries(Object.entries(SETTINGS).map(([k, v]) => [k, String(v)]))});
  ({page, problems} = await openPage(browser, `${site.url}/pages/judging-explanations#${hash}`));
  node = metricsInNode();
  node.catch(() => undefined);
});

afterAll(() => closeSharedSite(site, browser));

async function table(): Promise<Record<string, Record<string, {value: number; rank: number}>>> {
  return page.$$eval('[data-testid="metric-table"] td[data-metric]', (cells) => {
    const out: Record<string, Record<string, {value: number; rank: number}>> = {};
    for (const c of cells) (out[c.getAttribute("data-metric")!] ??= {})[c.getAttribute("data-method")!] = {value: Number(c.getAttribute("data-value")), rank: Number(c.getAttribute("data-rank"))};
    return out;
  });
}

describe("Judging explanations", () => {
  it("computes the maps and MoRF/LeRF at once; the heavy metrics after their buttons; the table and the tau matrix", async () => {
    await waitForFigures(page, {figure: "judge-morf-lerf", params: {D: SETTINGS.D}, timeout: 400_000});
    // The heavy ones wait for a click on the CPU; waitForFigures clicks, as a reader would.
    for (const figure of ["judge-faithfulness", "judge-sensitivity", "judge-random-logit"]) await waitForFigures(page, {figure, timeout: 400_000});
    await page.waitForFunction(() => document.querySelectorAll('[data-testid="metric-table"] th').length >= 9 + 5, null, {timeout: 60_000});
    // Every figure is ready and nothing is left computing: the start buttons
    // (clicked every 250 ms while waitForFigures waits) started each figure once.
    const pending = await page.evaluate(() => (globalThis as unknown as {__explainCompute: {timeline: {outcome: string}[]}}).__explainCompute.timeline.filter((t) => t.outcome === "pending").length);
    expect(pending, "requests still computing once every figure is ready").toBe(0);
    const shown = await table();
    expect(Object.keys(shown).sort()).toEqual(["abpc", "complexity", "deletion_auc", "faithfulness_correlation", "lerf_auc", "max_sensitivity", "random_logit_spearman", "sparseness"]);
    const taus = await page.$eval('[data-testid="tau-matrix"]', (el) => ({metrics: JSON.parse(el.getAttribute("data-metrics")!), taus: JSON.parse(el.getAttribute("data-taus")!)}));
    // The matrix is Kendall's tau of the table's own rankings.
    taus.metrics.forEach((a: EvaluationMetricName, i: number) =>
      taus.metrics.forEach((b: EvaluationMetricName, j: number) => {
        const ra = METHOD_NAMES.map((m) => shown[a][m].rank);
        const rb = METHOD_NAMES.map((m) => shown[b][m].rank);
        const tau = kendallTau(ra, rb);
        if (Number.isNaN(tau)) expect(taus.taus[i][j]).toBeNull();
        else expect(taus.taus[i][j]).toBeCloseTo(tau, 12);
      }),
    );
    // Each rank is the value's rank in that metric's direction.
    for (const [metric, byMethod] of Object.entries(shown)) {
      const ranks = rankValues(METHOD_NAMES.map((m) => byMethod[m].value), EVALUATION_METRICS[metric as EvaluationMetricName].better);
      METHOD_NAMES.forEach((m, i) => expect(byMethod[m].rank, `${metric} ${m}`).toBe(ranks[i]));
    }
    await screenshot(page, "judging-explanations.png");
    // Every figure ready: the accessibility audit (here, so that the page computes once for both).
    await auditAccessibility(page, "/pages/judging-explanations");
    expect(problems()).toEqual([]);
  });

  it(`every number in the table equals the library in Node within ${TOLERANCE}`, async () => {
    const shown = await table();
    const want = await node;
    for (const [metric, byMethod] of Object.entries(want)) {
      for (const [method, value] of Object.entries(byMethod)) {
        const got = shown[metric][method].value;
        if (Number.isNaN(value)) expect(Number.isNaN(got), `${metric} ${method}`).toBe(true);
        else expect(Math.abs(got - value), `${metric} ${method}: page ${got}, Node ${value}`).toBeLessThanOrEqual(TOLERANCE);
      }
    }
  });

  it("ROAD's imputation as the substrate recomputes MoRF and LeRF", async () => {
    const before = await page.$$eval('[data-testid="morf-lerf"]', (els) => els.map((e) => e.getAttribute("data-abpc")));
    // The fourth choice: black, mean colour, blurred copy, ROAD.
    await page.locator('form:has(label:text-is("removed pixels become")) input[type="radio"]').nth(3).check();
    await waitForFigures(page, {figure: "judge-morf-lerf", params: {substrate: "road"}, timeout: 400_000});
    const after = await page.$$eval('[data-testid="morf-lerf"]', (els) => els.map((e) => Number(e.getAttribute("data-abpc"))));
    expect(after).toHaveLength(5);
    for (const abpc of after) expect(Number.isFinite(abpc)).toBe(true);
    expect(after.map(String)).not.toEqual(before);
    expect(new URL(page.url()).hash).toContain("judgeSubstrate=road");
    expect(problems()).toEqual([]);
  });
});
