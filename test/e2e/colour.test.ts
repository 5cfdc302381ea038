// End-to-end: the colour-blind-safe display options. On the GradCAM chapter
// the reader picks PuOr for signed maps: the heatmap's strongest pixel turns
// from RdBu's darkest red to PuOr's darkest orange (at full opacity the
// pixel is the colour map's end exactly), the 7 x 7 grid and the colour keys
// follow, and the keys say in words what the ends mean; then cividis for
// absolute maps. The choice is still there on another chapter. On the
// deletion chapter the curves and their legend entries have distinct dash
// patterns. The numbers never change: the figure is not recomputed.
// Needs dist/ (`npm run build`) and Chromium (see helpers.ts).
import {afterAll, beforeAll, describe, expect, it} from "vitest";
import type {Browser, Page} from "playwright-core";
import {closeSharedSite, openSharedSite, screenshot, settled, type SiteUnderTest, watchProblems} from "./helpers.js";
import {captions, QUICK_VIEW, waitForFigures} from "./handout-helpers.js";
import {colourAt, type ColourMapName} from "../../src/components/colour-maps.js";

let site: SiteUnderTest;
let browser: Browser;

beforeAll(async () => {
  ({site, browser} = await openSharedSite());
});

afterAll(() => closeSharedSite(site, browser));

const HEATMAP = '[data-figure="grad-cam"] canvas[data-testid="heatmap"]';
const PANEL = '[data-testid="display-options"]';

/** Whether the canvas has a pixel within 1 of `rgb` in every channel. */
async function hasPixel(page: Page, selector: string, rgb: number[]): Promise<boolean> {
  return page.$eval(
    selector,
    (el, rgb) => {
      const canvas = el as HTMLCanvasElement;
      const d = canvas.getContext("2d")!.getImageData(0, 0, canvas.width, canvas.height).data;
      for (let i = 0; i < d.length; i += 4) if (Math.abs(d[i] - rgb[0]) <= 1 && Math.abs(d[i + 1] - rgb[1]) <= 1 && Math.abs(d[i + 2] - rgb[2]) <= 1) return true;
      return false;
    },
    rgb,
  );
}

/** The colour map's end (t = 1), where a normalized map's largest value is painted at full opacity. */
const end = (map: ColourMapName) => colourAt(map, 1);

async function choose(page: Page, name: string, value: string): Promise<void> {
  await page.selectOption(`${PANEL} select[name="${name}"]`, value);
}

async function keyWords(page: Page): Promise<string[]> {
  return page.$$eval('[data-testid="colour-key-words"]', (els) => els.map((e) => (e.textContent ?? "").trim()));
}

describe("colour for everyone", () => {
  it("PuOr and cividis repaint heatmaps, grids and keys (with words), persist across chapters; series have distinct dashes", async () => {
    const context = await browser.newContext({viewport: {width: 1200, height: 900}});
    const page = await context.newPage();
    const problems = watchProblems(page);
    await page.goto(`${site.url}/pages/grad-cam`, {waitUntil: "load"});
    await settled(page);
    await waitForFigures(page, {figure: "grad-cam", timeout: 240_000});
    const before = (await captions(page)).find((c) => c.figure === "grad-cam")!;

    // Full opacity: the largest relevance (1 after normalization) is the map's end colour exactly.
    await page.click(`${PANEL} summary`);
    await page.$eval(`${PANEL} input[name="overlay opacity"]`, (el) => {
      (el as HTMLInputElement).value = "100";
      el.dispatchEvent(new Event("input", {bubbles: true}));
    });
    expect(await hasPixel(page, HEATMAP, end("RdBu"))).toBe(true);
    expect(await keyWords(page)).toContain("blue: against the class · white: 0 · red: for the class");

    await choose(page, "colour map of signed r", "PuOr");
    expect(await page.$eval(HEATMAP, (c) => c.getAttribute("data-map"))).toBe("PuOr");
    expect(await hasPixel(page, HEATMAP, end("PuOr"))).toBe(true);
    expect(await hasPixel(page, HEATMAP, end("RdBu"))).toBe(false);
    const keys = await keyWords(page);
    expect(keys).toContain("purple: against the class · white: 0 · orange: for the class");
    expect(keys.join(" ")).not.toMatch(/\bred\b|\bblue\b/);
    // The 7 x 7 grid before the ReLU follows: its cells are PuOr's colours.
    const gridMaps = await page.$$eval('[data-figure="grad-cam"] [data-testid="map-chart"]', (els) => els.map((e) => e.getAttribute("data-map")));
    expect(gridMaps).toEqual(["PuOr", "magma"]);
    const fills = await page.$$eval('[data-figure="grad-cam"] [data-testid="map-chart"] rect', (els) => els.map((e) => e.getAttribute("fill")));
    expect(fills.some((f) => f === `rgb(${end("PuOr").join(", ")})` || f === `rgb(${colourAt("PuOr", 0).join(", ")})`)).toBe(true);
    await screenshot(page, "colour-puor.png");

    await choose(page, "values", "absolute");
    await choose(page, "colour map of |r|", "cividis");
    expect(await hasPixel(page, HEATMAP, end("cividis"))).toBe(true);
    expect(await hasPixel(page, HEATMAP, end("magma"))).toBe(false);
    expect(await keyWords(page)).toContain("dark: low relevance · bright: high relevance");
    await screenshot(page, "colour-cividis.png");
    // Only the drawing changed: the figure was not recomputed.
    expect((await captions(page)).find((c) => c.figure === "grad-cam")!.text).toBe(before.text);
    expect(problems).toEqual([]);

    // Another chapter opens with the same choice (localStorage), signed again.
    const next = await context.newPage();
    const nextProblems = watchProblems(next);
    await next.goto(`${site.url}/pages/deletion-score#${QUICK_VIEW}&sign=signed`, {waitUntil: "load"});
    await settled(next);
    await waitForFigures(next, {figure: "deletion-method", timeout: 240_000});
    const figure = '[data-figure="deletion-method"]';
    expect(await next.$eval(`${figure} canvas[data-testid="heatmap"]`, (c) => c.getAttribute("data-map"))).toBe("PuOr");
    expect(await next.$eval(`${PANEL} select[name="colour map of signed r"]`, (s) => (s as HTMLSelectElement).value)).toBe("PuOr");
    expect(await next.$eval(`${PANEL} select[name="colour map of |r|"]`, (s) => (s as HTMLSelectElement).value)).toBe("cividis");
    expect(await keyWords(next)).toContain("purple: against the class · white: 0 · orange: for the class");

    // The method's curve and the random map's differ in dash pattern, in the chart and in its legend.
    const chart = `${figure} [data-testid="deletion-chart"]`;
    const legendDashes = await next.$$eval(`${chart} .series-key__entry`, (els) => els.map((e) => e.getAttribute("data-dash")));
    expect(legendDashes).toHaveLength(2);
    expect(new Set(legendDashes).size).toBe(2);
    const swatchDashes = await next.$$eval(`${chart} .series-swatch line`, (els) => els.map((e) => e.getAttribute("stroke-dasharray")));
    expect(swatchDashes).toEqual(legendDashes);
    const lineDashes = await next.$$eval(`${chart} svg g[aria-label="line"]`, (els) => els.map((e) => e.getAttribute("stroke-dasharray") ?? "none"));
    expect(lineDashes).toEqual(legendDashes);
    expect(nextProblems).toEqual([]);
    await context.close();
  });
});
