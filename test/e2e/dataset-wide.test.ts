// End-to-end: the "Dataset-wide results" page renders the build's statistics
// (src/data/deletion-stats.json) with real numbers: the provenance line names
// as many images as the data holds, the source line says the build computed
// them, every chart, the per-class table and the handout's table beside ours
// are drawn, the means shown equal the data's, and there are no console errors.
// The six judges: each metric's mean per method equals the data's (ABPC
// derived from LeRF and deletion), ranked in the metric's direction, and the
// two Kendall's tau matrices are the taus of those rankings.
import fs from "node:fs";
import path from "node:path";
import {afterAll, beforeAll, expect, it} from "vitest";
import type {Browser, Page} from "playwright-core";
import {ARTIFACTS, closeSharedSite, DIST, openPage, openSharedSite, screenshot, type SiteUnderTest} from "./helpers.js";

let site: SiteUnderTest;
let browser: Browser;
let page: Page;
let problems: () => string[];

beforeAll(async () => {
  ({site, browser} = await openSharedSite());
  ({page, problems} = await openPage(browser, `${site.url}/pages/dataset-wide-results`));
  await page.waitForSelector('[data-testid="per-class-table"]', {timeout: 120_000});
});

afterAll(() => closeSharedSite(site, browser));

it("shows the statistics of the build's data, with no console errors; screenshot", async () => {
  const dataDir = path.join(DIST, "_file", "data");
  const file = fs.readdirSync(dataDir).find((f) => /^deletion-stats\..*\.json$/.test(f));
  expect(file, "dist/_file/data/deletion-stats.*.json").toBeDefined();
  const stats = JSON.parse(fs.readFileSync(path.join(dataDir, file!), "utf8"));
  expect(stats.rows.length).toBeGreaterThan(0);
  const provenance = await page.textContent('[data-testid="stats-provenance"]');
  expect(provenance).toContain(`${stats.rows.length} validation images`);
  expect(provenance).toContain(`occlusion grid ${stats.settings.occlusionSteps}`);
  // Plot figures: the mean bars, the distribution and the paired matrix.
  expect(await page.locator("svg[class*='plot']").count()).toBeGreaterThanOrEqual(3);
  // The summary table's mean for integrated gradients equals the data's.
  const mean = stats.rows.reduce((s: number, r: {auc: Record<string, number>}) => s + r.auc.integrated_gradients, 0) / stats.rows.length;
  expect(await page.textContent("body")).toContain(mean.toFixed(4));
  expect(await page.locator('[data-testid="per-class-table"] tbody tr').count()).toBe(10);
  expect(await page.textContent("body")).not.toContain("NaN");
  // Where the numbers came from: computed by the build, or loaded from EXPLAIN_STATS_FROM's file.
  const source = await page.textContent('[data-testid="stats-source"]');
  const p = stats.provenance;
  if (p.loadedFrom) expect(source).toContain(`Loaded from the file ${p.loadedFrom.file} (EXPLAIN_STATS_FROM`);
  else expect(source).toContain(`Computed while this site was built: ${stats.rows.length} image`);
  expect(source).toContain(`protocol version ${stats.protocolVersion}`);
  const code = p.kind === "merged" ? p.parts[0].code : p.code;
  expect(source).toContain(code.commit ? `commit ${code.commit.slice(0, 10)}` : "unknown commit");
  // The handout's table beside ours: its published numbers, ours, the ranking comparison.
  const rows = page.locator('[data-testid="handout-comparison"] tbody tr');
  expect(await rows.count()).toBe(5);
  const table = await page.textContent('[data-testid="handout-comparison"]');
  for (const published of ["0.329 ± 0.227", "0.258 ± 0.232", "0.220 ± 0.186", "0.307 ± 0.206", "0.211 ± 0.185"]) expect(table).toContain(published);
  expect(table).toContain(`${mean.toFixed(3)} ± `);
  expect(table).toContain(`Here (${stats.rows.length} validation images)`);
  expect(await page.textContent('[data-testid="ranking-comparison"]')).toMatch(/Most faithful first \(lower mean AUC\), the handout: Integrated gradients < Gradient x input < Gradient norm < GradCAM < Occlusion; here: /);
  await screenshot(page, "dataset-wide-results.png");
  expect(problems()).toEqual([]);
});

it("six judges: each metric's means and ranking of the methods, and the Kendall's tau matrices of their agreement; screenshot", async () => {
  const dataDir = path.join(DIST, "_file", "data");
  const stats = JSON.parse(fs.readFileSync(path.join(dataDir, fs.readdirSync(dataDir).find((f) => /^deletion-stats\..*\.json$/.test(f))!), "utf8"));
  type Row = {auc: Record<string, number>; metrics: Record<string, Record<string, number>>};
  const methods = ["occlusion", "grad", "grad_x_input", "grad_cam", "integrated_gradients"];
  const metrics = ["deletion_auc", "lerf_auc", "abpc", "insertion_auc", "sparseness", "complexity"];
  const higher = new Set(["lerf_auc", "abpc", "insertion_auc", "sparseness"]);
  const value = (r: Row, metric: string, method: string) =>
    metric === "deletion_auc" ? r.auc[method] : metric === "abpc" ? r.metrics.lerf_auc[method] - r.auc[method] : r.metrics[metric][method];
  const table = page.locator('[data-testid="metric-ranking-table"]');
  expect(await table.locator("tbody tr").count()).toBe(metrics.length);
  const expectedRanks: number[][] = [];
  for (const metric of metrics) {
    const means = methods.map((method) => stats.rows.reduce((s: number, r: Row) => s + value(r, metric, method), 0) / stats.rows.length);
    for (const [j, method] of methods.entries()) {
      const cell = table.locator(`td[data-metric="${metric}"][data-method="${method}"]`);
      expect(Math.abs(Number(await cell.getAttribute("data-mean")) - means[j]), `${metric} ${method}`).toBeLessThanOrEqual(1e-12);
      expect(await cell.textContent()).toContain(means[j].toFixed(3));
    }
    // Rank 1 = the best in the metric's direction (no ties in real data).
    const order = [...means.keys()].sort((a, b) => (higher.has(metric) ? means[b] - means[a] : means[a] - means[b]));
    const ranks = methods.map((_, j) => order.indexOf(j) + 1);
    expectedRanks.push(ranks);
    for (const [j, method] of methods.entries()) expect(Number(await table.locator(`td[data-metric="${metric}"][data-method="${method}"]`).getAttribute("data-rank")), `${metric} ${method}`).toBe(ranks[j]);
  }
  // The tau of the rankings of the means, by hand (no ties: tau-a).
  const tau = (a: number[], b: number[]) => {
    let s = 0;
    for (let i = 0; i < a.length; i++) for (let j = i + 1; j < a.length; j++) s += Math.sign(a[i] - a[j]) * Math.sign(b[i] - b[j]);
    return s / ((a.length * (a.length - 1)) / 2);
  };
  const ofMeans = page.locator('[data-testid="tau-of-means"]');
  expect(JSON.parse((await ofMeans.getAttribute("data-metrics"))!)).toEqual(metrics);
  const taus = JSON.parse((await ofMeans.getAttribute("data-taus"))!) as number[][];
  for (let k = 0; k < metrics.length; k++) for (let l = 0; l < metrics.length; l++) expect(taus[k][l], `${metrics[k]} vs ${metrics[l]}`).toBeCloseTo(k === l ? 1 : tau(expectedRanks[k], expectedRanks[l]), 12);
  // Photo by photo: a 6 x 6 matrix of means of per-photo taus, each in [-1, 1], symmetric.
  const perPhoto = JSON.parse((await page.locator('[data-testid="tau-per-photo"]').getAttribute("data-taus"))!) as number[][];
  expect(perPhoto).toHaveLength(metrics.length);
  for (let k = 0; k < metrics.length; k++) {
    expect(perPhoto[k][k]).toBe(1);
    for (let l = 0; l < metrics.length; l++) {
      expect(Math.abs(perPhoto[k][l])).toBeLessThanOrEqual(1);
      expect(perPhoto[k][l]).toBe(perPhoto[l][k]);
    }
  }
  // Six small charts, the summary sentences, the link to the chapter that computes the metrics live.
  expect(await page.locator('[data-testid="judge-charts"] svg').count()).toBe(metrics.length);
  expect(await page.textContent('[data-testid="agreement-summary"]')).toMatch(/agree here: .*reverse each other here: .*cannot tell: /s);
  expect(await page.locator('a[href$="judging-explanations"]').count()).toBeGreaterThanOrEqual(1);
  // The section alone, from its heading to the questions.
  fs.mkdirSync(ARTIFACTS, {recursive: true});
  await page.evaluate(() => window.scrollTo(0, 0)); // bounding boxes are viewport coordinates
  const top = (await page.locator("h2#six-judges-one-dataset").boundingBox())!;
  const end = (await page.locator("h2#questions-to-discuss").boundingBox())!;
  await page.screenshot({path: path.join(ARTIFACTS, "dataset-wide-judges.png"), fullPage: true, clip: {x: 0, y: top.y, width: page.viewportSize()!.width, height: end.y - top.y}});
  expect(problems()).toEqual([]);
});
