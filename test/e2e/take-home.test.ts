// End-to-end: "Take it home", the toolbar under every live figure
// (src/components/take-home.ts), in headless Chromium at the smallest
// settings (QUICK_VIEW). On a heatmap chapter (Gradient norm) and a chart
// chapter (Deletion score): one toolbar per figure; the PNG is a PNG of the
// expected size; the SVG is an SVG; the CSV and JSON parse and hold the
// numbers the figure shows (its data-params, the AUCs of its legend, the
// logit of its text, the heatmap's words computed from the map, the model of
// the compute hook); "show as table" opens a table with headers; "copy link"
// gives the address with the view's hash. That every chapter has as many
// toolbars as figures is checked by accessibility.test.ts, which opens them
// all (at no extra cost; here it would take minutes).
// Needs dist/ (`npm run build`) and Chromium (see helpers.ts).
import {afterAll, beforeAll, describe, expect, it} from "vitest";
import type {Browser, Page} from "playwright-core";
import {closeSharedSite, openPage, openSharedSite, type SiteUnderTest} from "./helpers.js";
import {captions, downloadFromToolbar, QUICK_VIEW, waitForFigures} from "./handout-helpers.js";
import type {FigureRecord} from "../../src/lib/figure-record.js";
import {parseCsv} from "../../src/lib/figure-csv.js";
import {summarizeRelevance} from "../../src/lib/relevance-summary.js";

let site: SiteUnderTest;
let browser: Browser;

beforeAll(async () => {
  ({site, browser} = await openSharedSite());
});

afterAll(() => closeSharedSite(site, browser));

/** Width and height from a PNG's header (after checking its signature). */
function pngSize(bytes: Buffer): {width: number; height: number} {
  expect([...bytes.subarray(0, 8)]).toEqual([137, 80, 78, 71, 13, 10, 26, 10]);
  expect(bytes.subarray(12, 16).toString("latin1")).toBe("IHDR");
  return {width: bytes.readUInt32BE(16), height: bytes.readUInt32BE(20)};
}

async function toolbarsAndFigures(page: Page): Promise<{toolbars: number; figures: number}> {
  return page.evaluate(() => ({toolbars: document.querySelectorAll('[data-testid="take-home"]').length, figures: document.querySelectorAll("figure.live-figure").length}));
}

/** The table toggle, then the copy-link button: a table with headers; the address with the view's hash. */
async function tableAndLink(page: Page, figure: string): Promise<void> {
  const bar = `[data-testid="take-home"][data-figure="${figure}"]`;
  await page.click(`${bar} [data-action="table"]`);
  expect(await page.getAttribute(`${bar} [data-action="table"]`, "aria-expanded")).toBe("true");
  const headers = await page.$$eval(`figure[data-figure="${figure}"] [data-testid="figure-tables"] table th`, (els) => els.length);
  expect(headers).toBeGreaterThan(2);
  await page.click(`${bar} [data-action="link"]`);
  await page.waitForSelector(`${bar} [data-testid="take-home-status"][data-link]`);
  const link = await page.getAttribute(`${bar} [data-testid="take-home-status"]`, "data-link");
  expect(link).toBe(page.url());
  expect(link).toMatch(/#image=[^&]+&/);
}

describe("a heatmap chapter: Gradient norm", () => {
  let page: Page;
  beforeAll(async () => {
    ({page} = await openPage(browser, `${site.url}/pages/gradient-norm#${QUICK_VIEW}`));
    await waitForFigures(page, {figure: "gradient-norm", timeout: 240_000});
  });
  afterAll(() => page?.close());

  it("has a toolbar under every figure, with labelled buttons", async () => {
    const {toolbars, figures} = await toolbarsAndFigures(page);
    expect(figures).toBeGreaterThan(0);
    expect(toolbars).toBe(figures);
    const names = await page.$$eval('[data-testid="take-home"][data-figure="gradient-norm"] button:not([hidden])', (els) => els.map((b) => b.getAttribute("aria-label") ?? b.textContent));
    expect(names).toEqual(["Download PNG image", "Download CSV of the numbers", "Download JSON of the numbers and settings", "Show as table", "Copy link to this view"]);
  });

  it("downloads a PNG of the maps at full resolution", async () => {
    const canvases = await page.$$eval('figure[data-figure="gradient-norm"] .live-figure__body canvas', (els) => els.length);
    const {name, bytes} = await downloadFromToolbar(page, "gradient-norm", "png");
    expect(name).toMatch(/^gradient-norm-.*\.png$/);
    const columns = Math.min(4, canvases);
    const {width, height} = pngSize(bytes);
    expect(width).toBe(2 * 16 + Math.max(columns * 224 + (columns - 1) * 16, 448));
    expect(height).toBeGreaterThan(Math.ceil(canvases / columns) * 224);
  });

  it("downloads JSON and CSV with the numbers the figure shows", async () => {
    const [caption] = (await captions(page)).filter((c) => c.figure === "gradient-norm");
    const record = JSON.parse((await downloadFromToolbar(page, "gradient-norm", "json")).bytes.toString("utf8")) as FigureRecord;
    expect(record.figure).toBe("gradient-norm");
    expect(record.settings).toEqual(caption.params);
    expect(record.caption).toBe(caption.text);
    expect(record.reproduce).toMatchObject({method: "grad", map: "relevance"});
    const model = await page.evaluate(() => (globalThis as unknown as {__explainCompute: {report: {model: unknown}}}).__explainCompute.report.model);
    expect(record.model).toEqual(model);
    expect(record.photo?.id).toBe(caption.params!.id);
    // The map: its words on the page are computed from the same numbers.
    const map = record.maps.find((m) => m.name === "relevance")!;
    expect([map.height, map.width]).toEqual([224, 224]);
    const label = await page.getAttribute('figure[data-figure="gradient-norm"] canvas[data-testid="heatmap"]', "aria-label");
    expect(label).toContain(summarizeRelevance(map.values, 224).text);
    // The logit of the explained class, as the figure's text prints it.
    const line = await page.textContent('figure[data-figure="gradient-norm"] [data-testid="prediction"]');
    expect(line).toContain(`logit ${record.arrays.logits[record.explainedClass!.index]!.toFixed(2)}`);
    const rows = parseCsv((await downloadFromToolbar(page, "gradient-norm", "csv")).bytes.toString("utf8"));
    expect(rows[0]).toEqual(["kind", "name", "i", "j", "fraction", "value"]);
    const values = rows.filter((r) => r[0] === "map" && r[1] === "relevance").map((r) => Number(r[5]));
    expect(values).toEqual(map.values);
    expect(rows.find((r) => r[0] === "model" && r[1] === "sha256")?.[5]).toBe(record.model!.sha256);
  });

  it("shows the numbers as a table and copies the link of the view", () => tableAndLink(page, "gradient-norm"));
});

describe("a chart chapter: Deletion score", () => {
  let page: Page;
  beforeAll(async () => {
    ({page} = await openPage(browser, `${site.url}/pages/deletion-score#method=grad&${QUICK_VIEW}`));
    await waitForFigures(page, {figure: "deletion-method", timeout: 240_000});
  });
  afterAll(() => page?.close());

  it("has a toolbar under every figure; the curves are described in words", async () => {
    const {toolbars, figures} = await toolbarsAndFigures(page);
    expect(figures).toBeGreaterThanOrEqual(2);
    expect(toolbars).toBe(figures);
    const words = await page.textContent('figure[data-figure="deletion-method"] [data-testid="curve-summary"]');
    expect(words).toMatch(/AUC \d\.\d\d; the score (falls|rises|does not change)/);
  });

  it("downloads the chart as SVG, and the figure as PNG", async () => {
    const svg = (await downloadFromToolbar(page, "deletion-method", "svg")).bytes.toString("utf8");
    expect(svg.startsWith("<svg")).toBe(true);
    expect(svg.trimEnd().endsWith("</svg>")).toBe(true);
    expect(svg).toContain('xmlns="http://www.w3.org/2000/svg"');
    expect(svg).toContain("<desc>");
    const {width} = pngSize((await downloadFromToolbar(page, "deletion-method", "png")).bytes);
    expect(width).toBeGreaterThanOrEqual(448);
  });

  it("downloads JSON and CSV with the curves and AUCs the chart shows", async () => {
    const auc = await page.$eval('figure[data-figure="deletion-method"] [data-testid="deletion-auc"]', (el) => ({auc: Number(el.getAttribute("data-auc")), random: Number(el.getAttribute("data-random-auc"))}));
    const record = JSON.parse((await downloadFromToolbar(page, "deletion-method", "json")).bytes.toString("utf8")) as FigureRecord;
    const curve = record.curves.find((c) => c.name === "curve")!;
    expect(curve.auc).toBe(auc.auc);
    expect(record.curves.find((c) => c.name === "random")!.auc).toBe(auc.random);
    expect(curve.scores).toHaveLength(4);
    expect(curve.fractions).toEqual([0, 1 / 3, 2 / 3, 1]);
    expect(record.reproduce).toMatchObject({method: "grad", curve: {name: "curve", steps: 4}});
    const rows = parseCsv((await downloadFromToolbar(page, "deletion-method", "csv")).bytes.toString("utf8"));
    expect(Number(rows.find((r) => r[0] === "auc" && r[1] === "curve")![5])).toBe(auc.auc);
    expect(rows.filter((r) => r[0] === "curve" && r[1] === "curve").map((r) => Number(r[5]))).toEqual(curve.scores);
  });

  it("shows the curve as a table (share removed against score) and copies the link", async () => {
    await tableAndLink(page, "deletion-method");
    const head = await page.$$eval('figure[data-figure="deletion-method"] [data-testid="figure-tables"] th[scope="col"]', (els) => els.map((e) => e.textContent));
    expect(head[0]).toBe("share of pixels removed");
  });
});
