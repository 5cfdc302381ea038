// End-to-end: the "Dataset-wide results" page renders the build's statistics
// (src/data/deletion-stats.json) with real numbers: the provenance line names
// as many images as the data holds, the source line says the build computed
// them, every chart, the per-class table and the handout's table beside ours
// are drawn, the means shown equal the data's, and there are no console errors.
import fs from "node:fs";
import path from "node:path";
import {afterAll, beforeAll, expect, it} from "vitest";
import type {Browser, Page} from "playwright-core";
import {DIST, launchBrowser, openPage, requireDist, screenshot, serveDist} from "./helpers.js";

let site: Awaited<ReturnType<typeof serveDist>>;
let browser: Browser;
let page: Page;
let problems: () => string[];

beforeAll(async () => {
  requireDist();
  site = await serveDist();
  browser = await launchBrowser();
  ({page, problems} = await openPage(browser, `${site.url}/pages/dataset-wide-results`));
  await page.waitForSelector('[data-testid="per-class-table"]', {timeout: 120_000});
});

afterAll(async () => {
  await browser?.close();
  await site?.close();
});

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
