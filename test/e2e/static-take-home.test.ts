// End-to-end: "Take it home" on the figures drawn from fixed numbers
// (src/components/static-take-home.ts): every chart and table of Dataset-wide
// results has the toolbar; SVG only for charts; the CSV has one line per row
// the figure draws (a photo and a method each for the distribution: the
// build's statistics), the JSON the statistics' settings and model; the SVG
// is an SVG, the PNG a PNG; a chart opens as a table. On Dataset and model,
// the gallery's CSV has one line per card.
// Needs dist/ (`npm run build`) and Chromium (see helpers.ts).
import fs from "node:fs";
import path from "node:path";
import {afterAll, beforeAll, describe, expect, it} from "vitest";
import type {Browser, Page} from "playwright-core";
import {closeSharedSite, DIST, openPage, openSharedSite, type SiteUnderTest} from "./helpers.js";
import {downloadFromToolbar} from "./handout-helpers.js";
import {parseCsv} from "../../src/lib/figure-csv.js";
import type {StaticFigureRecord} from "../../src/lib/figure-rows.js";

const CHARTS = ["auc-mean-spread", "auc-distribution", "paired-comparison", "judge-charts", "tau-of-means", "tau-per-photo"];
const TABLES = ["auc-summary-table", "handout-comparison", "per-class", "metric-ranking"];

let site: SiteUnderTest;
let browser: Browser;

beforeAll(async () => {
  ({site, browser} = await openSharedSite());
});

afterAll(() => closeSharedSite(site, browser));

/** A CSV's data lines (after the header), each as an object by column. */
function csvRows(bytes: Buffer): Record<string, string>[] {
  const [header, ...rows] = parseCsv(bytes.toString("utf8"));
  return rows.map((row) => Object.fromEntries(header.map((h, k) => [h, row[k]])));
}

describe("Dataset-wide results", () => {
  let page: Page;
  let stats: {rows: {image: string; auc: Record<string, number>}[]; settings: Record<string, unknown>; model: {sha256: string}};
  beforeAll(async () => {
    const dataDir = path.join(DIST, "_file", "data");
    const file = fs.readdirSync(dataDir).find((f) => /^deletion-stats\..*\.json$/.test(f))!;
    stats = JSON.parse(fs.readFileSync(path.join(dataDir, file), "utf8"));
    ({page} = await openPage(browser, `${site.url}/pages/dataset-wide-results`));
    await page.waitForSelector('[data-testid="take-home"][data-figure="tau-per-photo"]', {timeout: 120_000});
  });
  afterAll(() => page?.close());

  it("has a toolbar under every chart and table; SVG for charts, not for tables", async () => {
    const figures = await page.$$eval("figure.static-figure", (els) => els.map((f) => f.getAttribute("data-figure")));
    expect(figures.sort()).toEqual([...CHARTS, ...TABLES].sort());
    expect(await page.locator('[data-testid="take-home"]').count()).toBe(figures.length);
    for (const name of CHARTS) expect(await page.isVisible(`[data-testid="take-home"][data-figure="${name}"] [data-action="svg"]`), name).toBe(true);
    for (const name of TABLES) {
      expect(await page.isVisible(`[data-testid="take-home"][data-figure="${name}"] [data-action="svg"]`), name).toBe(false);
      expect(await page.isVisible(`[data-testid="take-home"][data-figure="${name}"] [data-action="csv"]`), name).toBe(true);
    }
  });

  it("downloads the distribution's CSV: one line per photo and method, the statistics' AUCs", async () => {
    const rows = csvRows((await downloadFromToolbar(page, "auc-distribution", "csv")).bytes);
    expect(rows).toHaveLength(stats.rows.length * 5);
    const expected = stats.rows.flatMap((r) => Object.values(r.auc)).sort((a, b) => a - b);
    expect(rows.map((r) => Number(r.auc)).sort((a, b) => a - b)).toEqual(expected);
    expect(new Set(rows.map((r) => r.image))).toEqual(new Set(stats.rows.map((r) => r.image)));
  });

  it("downloads CSVs with as many lines as the figure draws", async () => {
    expect(csvRows((await downloadFromToolbar(page, "paired-comparison", "csv")).bytes)).toHaveLength(5 * 4);
    const classRows = await page.locator('[data-testid="per-class-table"] tbody tr').count();
    expect(csvRows((await downloadFromToolbar(page, "per-class", "csv")).bytes)).toHaveLength(classRows);
    const metrics = await page.locator('[data-testid="metric-ranking-table"] tbody tr').count();
    expect(csvRows((await downloadFromToolbar(page, "metric-ranking", "csv")).bytes)).toHaveLength(metrics * 5);
  });

  it("downloads JSON with the rows and the statistics' settings and model", async () => {
    const record = JSON.parse((await downloadFromToolbar(page, "auc-mean-spread", "json")).bytes.toString("utf8")) as StaticFigureRecord;
    expect(record.figure).toBe("auc-mean-spread");
    expect(record.rows).toHaveLength(5);
    expect(record.settings).toEqual(stats.settings);
    expect(record.model?.sha256).toBe(stats.model.sha256);
    const mean = stats.rows.reduce((s, r) => s + r.auc.integrated_gradients, 0) / stats.rows.length;
    expect(record.rows.find((r) => r.key === "integrated_gradients")?.mean).toBeCloseTo(mean, 12);
  });

  it("downloads a chart as SVG and as PNG", async () => {
    const svg = (await downloadFromToolbar(page, "auc-distribution", "svg")).bytes.toString("utf8");
    expect(svg.startsWith("<svg")).toBe(true);
    expect(svg.trimEnd().endsWith("</svg>")).toBe(true);
    expect(svg).toContain('xmlns="http://www.w3.org/2000/svg"');
    expect(svg).toContain("<desc>");
    const png = (await downloadFromToolbar(page, "judge-charts", "png")).bytes;
    expect([...png.subarray(0, 8)]).toEqual([137, 80, 78, 71, 13, 10, 26, 10]);
  });

  it("shows a chart's rows as a table and copies the link", async () => {
    const bar = '[data-testid="take-home"][data-figure="paired-comparison"]';
    await page.click(`${bar} [data-action="table"]`);
    const rows = await page.$$eval('figure[data-figure="paired-comparison"] [data-testid="figure-tables"] tbody tr', (els) => els.length);
    expect(rows).toBe(20);
    await page.click(`${bar} [data-action="link"]`);
    await page.waitForSelector(`${bar} [data-testid="take-home-status"][data-link]`);
    expect(await page.getAttribute(`${bar} [data-testid="take-home-status"]`, "data-link")).toBe(page.url());
  });
});

describe("Dataset and model", () => {
  it("downloads the gallery's CSV: one line per card", async () => {
    const {page} = await openPage(browser, `${site.url}/pages/dataset-and-model`);
    await page.waitForSelector('[data-testid="take-home"][data-figure="gallery-predictions"]', {timeout: 120_000});
    const cards = await page.locator('[data-testid="gallery-item"]').count();
    const rows = csvRows((await downloadFromToolbar(page, "gallery-predictions", "csv")).bytes);
    expect(rows).toHaveLength(cards);
    expect(rows[0].file).toMatch(/\.JPEG$/i);
    await page.close();
  });
});
