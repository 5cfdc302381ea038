// End-to-end: every control of a chapter works from the keyboard alone
// (WCAG 2.2 AA: 2.1.1 Keyboard, 2.4.7 Focus Visible), in headless Chromium.
// One page, the Gradient norm chapter on the wasm backend with small
// settings, driven with Tab, Shift+Tab, Enter, Space, the arrows and Home
// only (no clicks, no events sent by script), in the order its controls come:
//   - "Use your own photo…": Enter opens the file chooser, the photo is used;
//   - the photo strip (a listbox): one Tab stop, the arrows and Home move
//     among the photos, Enter chooses one and the figures compute on it;
//   - "Use your own model…": Space opens the file chooser;
//   - "explain the class": an arrow chooses a class, the figures follow it;
//   - the take-home toolbar: "Show as table" toggles with Enter, CSV
//     downloads with Enter;
//   - the heavy SmoothGrad figure's start button: Space starts it;
//   - the "Heatmap display" panel: Enter opens it, arrows change the colour
//     map and the sign; the choice is kept and the heatmaps repaint.
// Each control shows where the focus is (an outline or a shadow) when it has it.
// Needs dist/ (`npm run build`) and Chromium (see helpers.ts).
import os from "node:os";
import path from "node:path";
import sharp from "sharp";
import {afterAll, beforeAll, describe, expect, it} from "vitest";
import type {Browser, FileChooser, Page} from "playwright-core";
import {closeSharedSite, openPage, openSharedSite, type SiteUnderTest} from "./helpers.js";
import {canvasDigest, QUICK_VIEW, waitForFigures} from "./handout-helpers.js";
import {pattern} from "../helpers/upload-files.js";

let site: SiteUnderTest;
let browser: Browser;
let page: Page;
let problems: () => string[];
let png: string;

const FIGURE = '[data-testid="figure-caption"][data-figure="gradient-norm"]';
const HEATMAP = '.live-figure:has([data-figure="gradient-norm"]) canvas[data-testid="heatmap"]';

interface Focus {
  /** What has the focus: tag, test id, text. */
  what: string;
  outline: string;
  boxShadow: string;
}

/**
 * Presses `key` (Tab or Shift+Tab) until the focused element matches
 * `selector`, and returns how the focus shows there. An invisible file input
 * shows its focus on its visible label (inputs.css).
 */
async function tabTo(selector: string, {key = "Tab", max = 600}: {key?: string; max?: number} = {}): Promise<Focus> {
  for (let i = 0; i < max; i++) {
    await page.keyboard.press(key);
    const focus = await page.evaluate((selector) => {
      const el = document.activeElement as HTMLElement | null;
      if (!el || !el.matches(selector)) return null;
      const shown = el.matches(".image-picker__upload-button input") ? el.closest("label")! : el;
      const style = getComputedStyle(shown);
      return {what: `${el.tagName.toLowerCase()} ${el.dataset.testid ?? ""} ${(el.textContent ?? "").trim().slice(0, 40)}`, outline: `${style.outlineStyle} ${style.outlineWidth}`, boxShadow: style.boxShadow};
    }, selector);
    if (focus) return focus;
  }
  throw new Error(`${key} did not reach ${selector} in ${max} presses`);
}

/** A focus indicator: an outline at least 1 pixel wide, or a box shadow. */
function expectVisible(focus: Focus): void {
  const [style, width] = focus.outline.split(" ");
  const outlined = style !== "none" && parseFloat(width) >= 1;
  expect(outlined || focus.boxShadow !== "none", `focus indicator on ${focus.what}: outline ${focus.outline}, box-shadow ${focus.boxShadow}`).toBe(true);
}

/**
 * The file choosers the page opened, in order. Listened to from the start,
 * so that Playwright intercepts choosers before the first key is pressed
 * (a listener added with the key press may miss a chooser that opens at once).
 */
const choosers: FileChooser[] = [];

/** Presses `key` and returns the file chooser it opens. */
async function chooserAfter(key: string): Promise<FileChooser> {
  const before = choosers.length;
  await page.keyboard.press(key);
  await expect.poll(() => choosers.length, {timeout: 30_000, message: `${key} opens a file chooser`}).toBeGreaterThan(before);
  return choosers[before];
}

/** The gradient-norm figure's parameters once it is ready again. */
async function figureParams(): Promise<Record<string, unknown>> {
  return page.$eval(FIGURE, (c) => JSON.parse(c.getAttribute("data-params") ?? "{}"));
}

beforeAll(async () => {
  ({site, browser} = await openSharedSite());
  png = path.join(os.tmpdir(), `keyboard-photo-${process.pid}.png`);
  await sharp(pattern(96, 64), {raw: {width: 96, height: 64, channels: 3}}).png().toFile(png);
  ({page, problems} = await openPage(browser, `${site.url}/pages/gradient-norm?backend=wasm#${QUICK_VIEW}&target=-1&sign=signed&diverging=RdBu&colormap=magma`));
  page.on("filechooser", (chooser) => choosers.push(chooser));
  await waitForFigures(page, {timeout: 240_000});
}, 300_000);

afterAll(() => closeSharedSite(site, browser));

describe("the keyboard alone", () => {
  it("opens the photo upload's file chooser with Enter, and the photo is used", async () => {
    // The first Tab stop is the skip link; the upload comes before the photo strip.
    const focus = await tabTo('[data-testid="image-upload-input"]');
    expectVisible(focus);
    const chooser = await chooserAfter("Enter");
    await chooser.setFiles(png);
    await page.waitForFunction(() => document.querySelector('[data-testid="image-upload-message"]')?.getAttribute("data-state") === "ok", null, {timeout: 120_000});
    const id = await page.$eval('[data-testid="image-picker"]', (el) => el.getAttribute("data-value") ?? "");
    expect(id).toMatch(/^upload-/);
    await waitForFigures(page, {figure: "gradient-norm", params: {id}, timeout: 240_000});
  }, 300_000);

  it("chooses a gallery photo in the strip: one Tab stop, arrows and Home move, Enter chooses", async () => {
    const strip = '[data-testid="image-picker-thumb"]';
    // The strip's Tab stop is the chosen photo (the upload, last in the strip).
    const focus = await tabTo(strip);
    expectVisible(focus);
    expect(await page.evaluate(() => document.activeElement?.getAttribute("aria-selected"))).toBe("true");
    expect(await page.evaluate(() => document.activeElement?.classList.contains("image-picker__thumb--upload"))).toBe(true);
    const photo0 = await canvasDigest(page, ".image-picker__current");
    await page.keyboard.press("Home");
    await page.keyboard.press("ArrowRight");
    const id = await page.evaluate(() => (document.activeElement as HTMLElement).dataset.id ?? "");
    expectVisible(await focusNow());
    // Moving chose nothing yet.
    expect(await page.$eval('[data-testid="image-picker"]', (el) => el.getAttribute("data-value"))).toMatch(/^upload-/);
    await page.keyboard.press("Enter");
    expect(await page.$eval('[data-testid="image-picker"]', (el) => el.getAttribute("data-value"))).toBe(id);
    expect(await page.evaluate(() => location.hash)).toContain(`image=${encodeURIComponent(id)}`);
    expect(await canvasDigest(page, ".image-picker__current")).not.toBe(photo0);
    await waitForFigures(page, {figure: "gradient-norm", params: {id}, timeout: 240_000});
    // Tab leaves the strip at once (one stop), Shift+Tab comes back to the chosen photo.
    await page.keyboard.press("Tab");
    expect(await page.evaluate(() => !!document.activeElement?.matches('[data-testid="image-picker-thumb"]'))).toBe(false);
    await page.keyboard.press("Shift+Tab");
    expect(await page.evaluate(() => (document.activeElement as HTMLElement).dataset.id)).toBe(id);
  }, 300_000);

  it("opens the own model's file chooser with Space", async () => {
    const focus = await tabTo('[data-testid="model-file-input"]');
    expectVisible(focus);
    const chooser = await chooserAfter("Space");
    expect(chooser.isMultiple()).toBe(false);
    // No file given: the model in use stays.
    expect(await page.$eval('[data-testid="model-control"]', (el) => el.getAttribute("data-state"))).toBe("site");
  }, 60_000);

  it("chooses the class to explain with an arrow key; the figures recompute for it", async () => {
    const focus = await tabTo('[data-testid="target-picker"] select');
    expectVisible(focus);
    await page.keyboard.press("ArrowDown"); // from "the predicted class" to the first class
    expect(await page.$eval('[data-testid="target-picker"] select', (s) => (s as HTMLSelectElement).value)).toBe("0");
    await page.waitForFunction(() => /(^|[#&])target=0(&|$)/.test(location.hash), null, {timeout: 10_000});
    await waitForFigures(page, {figure: "gradient-norm", params: {target: 0}, timeout: 240_000});
    expect((await figureParams()).target).toBe(0);
  }, 300_000);

  it("the take-home toolbar: Show as table toggles with Enter, CSV downloads with Enter", async () => {
    const toolbar = '[data-testid="take-home"][data-figure="gradient-norm"]';
    const table = await tabTo(`${toolbar} [data-action="table"]`);
    expectVisible(table);
    await page.keyboard.press("Enter");
    const shown = (button: string) => page.$eval(button, (b) => {
      const tables = document.getElementById(b.getAttribute("aria-controls") ?? "");
      return {expanded: b.getAttribute("aria-expanded"), tables: tables && !tables.hidden ? tables.querySelectorAll("table").length : 0};
    });
    const button = `${toolbar} [data-action="table"]`;
    await page.waitForFunction((b) => document.getElementById(document.querySelector(b)?.getAttribute("aria-controls") ?? "")?.querySelector("table"), button, {timeout: 30_000});
    const open = await shown(button);
    expect(open.expanded).toBe("true");
    expect(open.tables).toBeGreaterThan(0);
    await page.keyboard.press("Enter");
    expect(await shown(button)).toEqual({expanded: "false", tables: 0});
    const csv = await tabTo(`${toolbar} [data-action="csv"]`, {key: "Shift+Tab", max: 10});
    expectVisible(csv);
    const [download] = await Promise.all([page.waitForEvent("download", {timeout: 60_000}), page.keyboard.press("Enter")]);
    expect(download.suggestedFilename()).toMatch(/\.csv$/);
  }, 120_000);

  it("starts the heavy SmoothGrad figure with Space", async () => {
    await page.waitForSelector('[data-testid="figure-caption"][data-figure="gradient-smoothgrad"][data-state="waiting"]', {timeout: 120_000});
    const focus = await tabTo('[data-testid="figure-start"][data-figure="gradient-smoothgrad"]');
    expectVisible(focus);
    await page.keyboard.press("Space");
    await page.waitForFunction(() => document.querySelector('[data-testid="figure-caption"][data-figure="gradient-smoothgrad"]')?.getAttribute("data-state") !== "waiting", null, {timeout: 10_000});
    // The button is gone; the focus stays on its figure instead of going back to the top of the page.
    expect(await page.evaluate(() => !!document.activeElement?.querySelector('[data-testid="figure-caption"][data-figure="gradient-smoothgrad"]'))).toBe(true);
    const [smooth] = await waitForFigures(page, {figure: "gradient-smoothgrad", timeout: 240_000});
    expect(smooth.state).toBe("ready");
  }, 300_000);

  it("the Heatmap display panel: Enter opens it, arrows change the colour map and the sign; kept and repainted", async () => {
    const panel = '[data-testid="display-options"]';
    // The panel is the page's last Tab stop (it is added at the end of the body).
    const summary = await tabTo(`${panel} summary`);
    expectVisible(summary);
    await page.keyboard.press("Enter");
    expect(await page.$eval(panel, (d) => (d as HTMLDetailsElement).open)).toBe(true);
    const signed = await canvasDigest(page, HEATMAP);

    expectVisible(await tabTo(`${panel} select[name="colour map of signed r"]`, {max: 5}));
    await page.keyboard.press("ArrowDown"); // RdBu -> PuOr
    await page.waitForFunction((h) => document.querySelector(h)?.getAttribute("data-map") === "PuOr", HEATMAP, {timeout: 10_000});
    const puor = await canvasDigest(page, HEATMAP);
    expect(puor).not.toBe(signed);

    expectVisible(await tabTo(`${panel} select[name="values"]`, {key: "Shift+Tab", max: 5}));
    await page.keyboard.press("ArrowDown"); // signed -> absolute
    await page.waitForFunction((h) => document.querySelector(h)?.getAttribute("data-map") === "magma", HEATMAP, {timeout: 10_000});
    expect(await canvasDigest(page, HEATMAP)).not.toBe(puor);

    // Kept in localStorage (view-state.ts): the next chapter opens with it.
    const stored = await page.evaluate(() => JSON.parse(localStorage.getItem("explanation-methods-live:view") ?? "{}"));
    expect(stored).toMatchObject({diverging: "PuOr", sign: "absolute"});
    // Only the drawing changed.
    expect((await figureParams()).target).toBe(0);
    expect(problems()).toEqual([]);
  }, 120_000);
});

/** How the focus shows where it is now. */
async function focusNow(): Promise<Focus> {
  return page.evaluate(() => {
    const el = document.activeElement as HTMLElement;
    const style = getComputedStyle(el);
    return {what: `${el.tagName.toLowerCase()} ${el.dataset.testid ?? ""}`, outline: `${style.outlineStyle} ${style.outlineWidth}`, boxShadow: style.boxShadow};
  });
}
