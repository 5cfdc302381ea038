// End-to-end: the reader's own model. On the GradCAM chapter (wasm, the
// smallest settings) a .pth file and a names file are given to the "use
// your own model" control as a reader would (setInputFiles): the page
// starts again with it, the badge and the captions name it with its short
// sha256, the prediction and the class picker use its names, a figure
// computes; the occlusion chapter opens with it too (kept for the tab);
// a truncated file gets a message and the model stays; "back to the
// handout's model" restores the site's model, its names and its numbers.
// The model file is the site's own checkpoint (../shared/models), so the
// numbers are the site's and only the names and the provenance tell the
// two apart. A second test gives the sanity-check chapter a tiny seeded
// ResNet-50-style model (Bottleneck [3, 4, 6, 3]): its cascade has the 19
// stages of that depth, and the last one computes. Needs dist/
// (`npm run build`) and Chromium (see helpers.ts).
import crypto from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import {afterAll, beforeAll, describe, expect, it} from "vitest";
import type {Browser, BrowserContext, Page} from "playwright-core";
import {closeSharedSite, openSharedSite, requireDist, settled, type SiteUnderTest, watchProblems} from "./helpers.js";
import {captions, QUICK_VIEW, setRange, waitForFigures} from "./handout-helpers.js";
import {SHARED} from "../helpers/fixtures.js";
import {pthOf, TINY_BOTTLENECK, tinyStateDict} from "../helpers/tiny-resnet.js";

const MODEL = path.join(SHARED, "models/resnet18-imagenette.pth");
const NAMES = Array.from({length: 10}, (_, i) => `mine ${i}`);

let site: SiteUnderTest;
let browser: Browser;
let context: BrowserContext;
let tmp: string;
let sha: string;
let siteSha: string;

beforeAll(async () => {
  requireDist();
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), "explain-own-model-e2e-"));
  const bytes = fs.readFileSync(MODEL);
  sha = crypto.createHash("sha256").update(bytes).digest("hex");
  fs.writeFileSync(path.join(tmp, "names.txt"), NAMES.join("\n") + "\n");
  // Cut short: the zip's central directory is gone (WeightsError "corrupt").
  fs.writeFileSync(path.join(tmp, "truncated.pth"), bytes.subarray(0, 1 << 20));
  fs.writeFileSync(path.join(tmp, "tiny-resnet50.pth"), pthOf(tinyStateDict(TINY_BOTTLENECK)));
  ({site, browser} = await openSharedSite());
  context = await browser.newContext({viewport: {width: 1200, height: 900}});
});

afterAll(async () => {
  await context?.close();
  await closeSharedSite(site, browser);
  if (tmp) fs.rmSync(tmp, {recursive: true, force: true});
});

interface Badge {
  origin: string;
  sha: string;
  text: string;
}

async function badge(page: Page): Promise<Badge> {
  return page.$eval('[data-testid="backend-badge"]', (el) => ({origin: el.getAttribute("data-model-origin") ?? "", sha: el.getAttribute("data-model-sha256") ?? "", text: el.querySelector("summary")?.textContent ?? ""}));
}

/** Waits for the badge to name a model of `origin`, then for the figures. */
async function ready(page: Page, origin: "site" | "reader"): Promise<Badge> {
  await settled(page);
  await page.waitForFunction((o) => document.querySelector('[data-testid="backend-badge"]')?.getAttribute("data-model-origin") === o, origin, {timeout: 120_000});
  await waitForFigures(page, {figure: "grad-cam"});
  return badge(page);
}

async function prediction(page: Page): Promise<string> {
  return (await page.textContent('[data-testid="prediction"]')) ?? "";
}

describe("your own model", () => {
  it("loads, names itself everywhere, stays across chapters, survives a bad file, and goes back", async () => {
    const page = await context.newPage();
    const problems = watchProblems(page);
    const t0 = Date.now();
    await page.goto(`${site.url}/pages/grad-cam?backend=wasm#${QUICK_VIEW}`, {waitUntil: "load"});
    const before = await ready(page, "site");
    siteSha = before.sha;
    const sitePrediction = await prediction(page);
    expect(sitePrediction).toMatch(/tench/);

    // The names first, then the model: the page starts again with it.
    await page.setInputFiles('[data-testid="model-names-input"]', path.join(tmp, "names.txt"));
    await Promise.all([page.waitForEvent("load", {timeout: 120_000}), page.setInputFiles('[data-testid="model-file-input"]', MODEL)]);
    const mine = await ready(page, "reader");
    expect(mine.sha).toBe(sha);
    expect(mine.text).toContain(`your model: resnet18, 10 classes, sha256 ${sha.slice(0, 12)}`);
    const caps = await captions(page);
    expect(caps.some((c) => c.state === "ready" && c.text.includes(`your resnet18, 10 classes, sha256 ${sha.slice(0, 12)}`))).toBe(true);
    // The same weights: the same probabilities, under the reader's names.
    const minePrediction = await prediction(page);
    expect(minePrediction).toContain("mine 0");
    expect(minePrediction.replace(/mine (\d)/g, "#$1")).toBe(sitePrediction.replace(/tench|English springer|cassette player|chain saw|church|French horn|garbage truck|gas pump|golf ball|parachute/g, (n) => `#${["tench", "English springer", "cassette player", "chain saw", "church", "French horn", "garbage truck", "gas pump", "golf ball", "parachute"].indexOf(n)}`));
    const options = await page.$$eval('[data-testid="target-picker"] option', (els) => els.map((e) => e.textContent));
    expect(options).toContain("mine 9");
    expect(await page.getAttribute('[data-testid="model-control"]', "data-state")).toBe("reader");

    // Another chapter opens with it.
    await page.goto(`${site.url}/pages/occlusion?backend=wasm#${QUICK_VIEW}`, {waitUntil: "load"});
    await settled(page);
    await page.waitForFunction(() => document.querySelector('[data-testid="backend-badge"]')?.getAttribute("data-model-origin") === "reader", null, {timeout: 120_000});
    await waitForFigures(page, {figure: "occlusion-map"});
    expect((await badge(page)).sha).toBe(sha);
    expect((await captions(page)).filter((c) => c.state === "ready").every((c) => c.text.includes(sha.slice(0, 12)))).toBe(true);

    // A truncated file, back on GradCAM: a message, and the model stays.
    await page.goto(`${site.url}/pages/grad-cam?backend=wasm#${QUICK_VIEW}`, {waitUntil: "load"});
    await ready(page, "reader");
    await page.setInputFiles('[data-testid="model-file-input"]', path.join(tmp, "truncated.pth"));
    await page.waitForFunction(() => document.querySelector('[data-testid="model-control"]')?.getAttribute("data-state") === "error", null, {timeout: 60_000});
    const message = (await page.textContent('[data-testid="model-message"]')) ?? "";
    expect(message).toMatch(/“truncated\.pth” was not loaded: the file is damaged or truncated/);
    expect(message).toMatch(/unchanged/);
    expect(await page.getAttribute('[data-testid="model-message"]', "role")).toBe("alert");
    expect((await badge(page)).sha).toBe(sha);

    // Back to the handout's model, with one click.
    await Promise.all([page.waitForEvent("load", {timeout: 120_000}), page.click('[data-testid="model-reset"]')]);
    const back = await ready(page, "site");
    expect(back.sha).toBe(siteSha);
    expect(await prediction(page)).toBe(sitePrediction);
    expect(await page.isHidden('[data-testid="model-reset"]')).toBe(true);
    expect(problems).toEqual([]);
    console.log(`own model e2e: ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    await page.close();
  });

  it("sanity checks: a ResNet-50-style model has 19 stages (0 to 18), and its last one computes", async () => {
    const page = await context.newPage();
    const problems = watchProblems(page);
    const t0 = Date.now();
    await page.goto(`${site.url}/pages/sanity-checks?backend=wasm#stage=3`, {waitUntil: "load"});
    await settled(page);
    await page.waitForFunction(() => document.querySelectorAll('[data-testid="stages-table"] thead th').length > 1, null, {timeout: 120_000});
    // The handout's ResNet-18: stages 0..10 (and the corner cell).
    expect(await page.$$eval('[data-testid="stages-table"] thead th', (ths) => ths.length)).toBe(12);
    await Promise.all([page.waitForEvent("load", {timeout: 120_000}), page.setInputFiles('[data-testid="model-file-input"]', path.join(tmp, "tiny-resnet50.pth"))]);
    await settled(page);
    await page.waitForFunction(() => document.querySelector('[data-testid="backend-badge"]')?.getAttribute("data-model-origin") === "reader", null, {timeout: 120_000});
    await page.waitForFunction(() => document.querySelectorAll('[data-testid="stages-table"] thead th').length > 1, null, {timeout: 120_000});
    const heads = await page.$$eval('[data-testid="stages-table"] thead th', (ths) => ths.map((th) => th.textContent));
    expect(heads).toEqual(["stage", ...Array.from({length: 19}, (_, i) => String(i))]);
    const cells = await page.$$eval('[data-testid="stages-table"] tbody td', (tds) => tds.map((td) => td.textContent));
    expect(cells[1]).toBe("fc");
    expect(cells[2]).toBe("layer4.2");
    expect(cells[18]).toBe("conv1/bn1: all");
    const max = await page.$eval('form input[type="range"]', (el) => (el as HTMLInputElement).max);
    expect(max).toBe("18");
    // The last stage re-initializes every weight, down to layer1.0 and the stem.
    await setRange(page, "stage", 18);
    await page.waitForFunction(() => ["grad", "grad_x_input", "grad_cam"].every((m) => document.querySelector(`[data-testid="sanity-map"][data-method="${m}"][data-stage="18"][data-ready="true"]`)), null, {timeout: 300_000});
    expect(await page.textContent('[data-testid="stage-description"]')).toContain("every weight random");
    expect(await page.textContent('[data-testid="stage-description"]')).toContain("layer1.0");
    // Back to the handout's model for whoever uses this context next.
    await Promise.all([page.waitForEvent("load", {timeout: 120_000}), page.click('[data-testid="model-reset"]')]);
    await settled(page);
    await page.waitForFunction(() => document.querySelectorAll('[data-testid="stages-table"] thead th').length === 12, null, {timeout: 120_000});
    expect(problems).toEqual([]);
    console.log(`own model, sanity checks e2e: ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    await page.close();
  });
});
