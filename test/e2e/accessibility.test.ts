// End-to-end: WCAG 2.2 AA on every page of the built site, in headless
// Chromium. Each page (the index and every chapter of observablehq.config.ts)
// is audited once its figures are ready (the heavy ones started with their
// buttons, as a reader would): one take-home toolbar per figure, axe-core
// with the rules tagged wcag2a, wcag2aa, wcag21a, wcag21aa, wcag22aa and
// best-practice must find nothing (the first figure's table open), and at
// 200% zoom (640 CSS pixels wide) no page scrolls sideways
// (accessibility-audit.ts). This file opens the pages that no other file
// computes, at the smallest settings; the chapters whose figures another
// file computes anyway are audited there (AUDITED_ELSEWHERE), and this file
// checks that they are. Then what axe cannot see: the keyboard reaches and
// moves a slider and the figure recomputes, focus is visible, figures
// announce their results politely, reduced motion turns transitions off.
// Needs dist/ (`npm run build`) and Chromium (see helpers.ts).
import fs from "node:fs";
import {afterAll, beforeAll, describe, expect, it} from "vitest";
import type {Browser, BrowserContext, Page} from "playwright-core";
import config from "../../observablehq.config.js";
import {closeSharedSite, openSharedSite, settled, type SiteUnderTest, watchProblems} from "./helpers.js";
import {auditAccessibility, AUDITED_ELSEWHERE} from "./accessibility-audit.js";
import {captions, QUICK_VIEW, waitForFigures, SITE_DIR} from "./handout-helpers.js";

/** The index and the chapters, in sidebar order. */
const PAGES = ["/", ...config.pages.map((p) => p.path)];
/** The pages this file opens and audits itself. */
const AUDITED_HERE = PAGES.filter((p) => !(p in AUDITED_ELSEWHERE));

let site: SiteUnderTest;
let browser: Browser;
let context: BrowserContext;

/** Opens a path of the site in the shared context and records problems. */
async function open(path: string, ctx = context): Promise<{page: Page; problems: string[]}> {
  const page = await ctx.newPage();
  const problems = watchProblems(page);
  await page.goto(site.url + path, {waitUntil: "load"});
  await settled(page);
  return {page, problems};
}

/** What a page without live figures shows last (the others wait for their figures). */
const READY: Record<string, string> = {
  "/": '[data-testid="backend-badge"]:not([data-backend="pending"])',
  "/pages/dataset-and-model": '[data-testid="gallery-accuracy"][data-done="true"]',
  "/pages/dataset-wide-results": '[data-testid="per-class-table"]',
};

/** Waits until the page is complete: its backend known, its figures ready (the heavy ones started, as a reader would). */
async function pageReady(page: Page, path: string): Promise<void> {
  await page.waitForSelector('[data-testid="backend-badge"]:not([data-backend="pending"])', {timeout: 120_000});
  if (READY[path]) {
    await page.waitForSelector(READY[path], {timeout: 300_000});
    if (!(await page.$('[data-testid="figure-caption"]'))) return;
  }
  await waitForFigures(page, {timeout: 240_000});
  for (const start of await page.$$('[data-testid="figure-start"]')) await start.click();
  await waitForFigures(page, {timeout: 240_000});
}

beforeAll(async () => {
  ({site, browser} = await openSharedSite());
  context = await browser.newContext({viewport: {width: 1200, height: 900}});
});

afterAll(() => closeSharedSite(site, browser));

describe("axe-core: WCAG 2.2 AA and best practice", () => {
  for (const path of AUDITED_HERE) {
    it(`${path}: no violations once the figures are ready; no sideways scrolling at 200% zoom`, async () => {
      const t0 = Date.now();
      const {page, problems} = await open(`${path}#${QUICK_VIEW}`);
      await pageReady(page, path);
      console.log(`${path}: ready for the audit after ${((Date.now() - t0) / 1000).toFixed(1)} s`);
      await auditAccessibility(page, path);
      expect(problems).toEqual([]);
      await page.close();
    });
  }

  it("every other page is audited by the file that computes its figures", () => {
    expect([...AUDITED_HERE, ...Object.keys(AUDITED_ELSEWHERE)].sort()).toEqual([...PAGES].sort());
    for (const [page, file] of Object.entries(AUDITED_ELSEWHERE)) {
      const source = fs.readFileSync(new URL(`./${file}`, import.meta.url), "utf8");
      expect(source, `${file} audits ${page}`).toMatch(/await auditAccessibility\(/);
    }
  });
});

describe("beyond axe", () => {
  it("occlusion: the keyboard reaches the photo picker and the grid slider, ArrowRight moves it and the figure recomputes; focus is visible", async () => {
    const {page, problems} = await open("/pages/occlusion");
    await waitForFigures(page, {figure: "occlusion-map"});
    // The first Tab stop skips the sidebar.
    await page.keyboard.press("Tab");
    expect(await page.evaluate(() => document.activeElement?.className)).toBe("skip-link");
    expect(await page.evaluate(() => document.activeElement?.getAttribute("href"))).toBe("#observablehq-main");
    // Tab on until the grid slider's range input has the focus, passing the picker.
    const seen = new Set<string>();
    let onSlider = false;
    for (let i = 0; i < 200 && !onSlider; i++) {
      await page.keyboard.press("Tab");
      const where = await page.evaluate(() => {
        const el = document.activeElement as HTMLElement | null;
        if (!el) return {picker: false, slider: false, outline: ""};
        const style = getComputedStyle(el);
        const slider = el instanceof HTMLInputElement && el.type === "range" && (el.getAttribute("aria-label") ?? "").includes("grid size S");
        return {picker: !!el.closest('[data-testid="image-picker"]'), slider, outline: `${style.outlineStyle} ${style.outlineWidth}`};
      });
      if (where.picker) seen.add("picker");
      // Every stop shows where the focus is.
      expect(where.outline, `focus outline at Tab stop ${i}`).toMatch(/^(solid|auto) [2-9]/);
      onSlider = where.slider;
    }
    expect(seen.has("picker"), "Tab reaches the photo picker before the slider").toBe(true);
    expect(onSlider, "Tab reaches the grid size slider").toBe(true);
    const S0 = (await captions(page)).find((c) => c.figure === "occlusion-map")!.params!.S as number;
    await page.keyboard.press(S0 < 16 ? "ArrowRight" : "ArrowLeft");
    const S1 = S0 < 16 ? S0 + 1 : S0 - 1;
    const [map] = await waitForFigures(page, {figure: "occlusion-map", params: {S: S1}});
    expect(map.state).toBe("ready");
    expect(problems).toEqual([]);
    await page.close();
  });

  it("figures announce their results politely, not their progress; heatmaps have a text alternative", async () => {
    const {page} = await open("/pages/gradient-norm");
    await waitForFigures(page);
    const live = await page.$$eval(".live-figure", (figures) =>
      figures.map((f) => ({
        caption: f.querySelector('[data-testid="figure-caption"]')?.getAttribute("aria-live"),
        status: f.querySelector(".live-figure__status")?.getAttribute("aria-live") ?? f.querySelector(".live-figure__status")?.getAttribute("role") ?? null,
      })),
    );
    expect(live.length).toBeGreaterThan(0);
    for (const f of live) expect(f).toEqual({caption: "polite", status: null});
    // Each heatmap says in words where its relevance is (src/lib/relevance-summary.ts).
    const heatmaps = await page.$$eval('canvas[data-testid="heatmap"]', (els) => els.map((el) => ({role: el.getAttribute("role"), label: el.getAttribute("aria-label") ?? ""})));
    expect(heatmaps.length).toBeGreaterThan(0);
    for (const h of heatmaps) {
      expect(h.role).toBe("img");
      expect(h.label).toMatch(/^Heatmap.*Relevance concentrates in the (upper|lower|top|bottom|left|right|centre).* the top 5% of pixels hold \d+% of the total\. The map is (mostly positive|mostly negative|mixed)/);
    }
    console.log(`gradient-norm heatmap: ${heatmaps[0].label}`);
    await page.close();
  });

  it("prefers-reduced-motion: no transitions or animations", async () => {
    const ctx = await browser.newContext({viewport: {width: 1200, height: 900}, reducedMotion: "reduce"});
    const {page} = await open("/pages/occlusion", ctx);
    await waitForFigures(page);
    const moving = await page.evaluate(() =>
      [...document.querySelectorAll("*")]
        .map((el) => ({el, style: getComputedStyle(el)}))
        .filter(({style}) => style.transitionDuration.split(",").some((d) => parseFloat(d) > 0) || style.animationDuration.split(",").some((d) => parseFloat(d) > 0))
        .map(({el}) => el.id || el.className || el.tagName),
    );
    expect(moving).toEqual([]);
    await ctx.close();
  });
});
