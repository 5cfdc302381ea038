// End-to-end: "explain the class". Choosing a class other than the
// predicted one recomputes the map for that class, says so, and the choice
// follows the reader to the next chapter (and into the address).
// Needs dist/ (`npm run build`) and Chromium (see helpers.ts).
import {afterAll, beforeAll, expect, it} from "vitest";
import type {Browser} from "playwright-core";
import {closeSharedSite, openPage, openSharedSite, screenshot, settled, type SiteUnderTest} from "./helpers.js";
import {canvasDigest, waitForFigures, SITE_DIR} from "./handout-helpers.js";

let site: SiteUnderTest;
let browser: Browser;
beforeAll(async () => {
  ({site, browser} = await openSharedSite());
});
afterAll(() => closeSharedSite(site, browser));

it("a chosen class is explained on occlusion, named on the page, and kept for gradient norm", async () => {
  const {page, problems} = await openPage(browser, `${site.url}/pages/occlusion#S=3&target=-1`);
  const map = (all: Awaited<ReturnType<typeof waitForFigures>>, figure = "occlusion-map") => all.find((c) => c.figure === figure)!;
  const before = map(await waitForFigures(page, {figure: "occlusion-map", params: {S: 3, target: -1}, timeout: 240_000}));
  const heatmap = '[data-figure="occlusion-map"] canvas[data-testid="heatmap"]';
  const digest = await canvasDigest(page, heatmap);
  const predictedText = (await page.textContent('[data-figure="occlusion-map"] [data-testid="prediction"]'))!;
  expect(predictedText).toMatch(/^The model says/);
  // Choose a class the model did not predict: the first option that is not in the prediction line.
  const options = await page.$$eval('[data-testid="target-picker"] select option', (os) => os.map((o) => ({value: (o as HTMLOptionElement).value, text: o.textContent ?? ""})));
  const other = options.find((o) => o.value !== "-1" && !predictedText.includes(o.text))!;
  await page.selectOption('[data-testid="target-picker"] select', other.value);
  const after = map(await waitForFigures(page, {figure: "occlusion-map", params: {S: 3, target: Number(other.value)}, timeout: 240_000}));
  expect(after.text).toContain(`occlusion (${other.text})`);
  expect(before.text).not.toContain(`(${other.text})`);
  expect(await page.textContent('[data-figure="occlusion-map"] [data-testid="prediction"]')).toContain(`Explaining ${other.text}`);
  expect(await canvasDigest(page, heatmap)).not.toBe(digest);
  expect(new URL(page.url()).hash).toContain(`target=${other.value}`);
  await screenshot(page, "target-occlusion.png");
  expect(problems()).toEqual([]);

  // The next chapter, opened from the sidebar (no hash), explains the same class.
  await page.goto(`${site.url}/pages/gradient-norm`);
  await settled(page);
  const gradient = map(await waitForFigures(page, {figure: "gradient-norm", timeout: 240_000}), "gradient-norm");
  expect(gradient.params).toMatchObject({target: Number(other.value)});
  expect(await page.$eval('[data-testid="target-picker"] select', (s) => (s as HTMLSelectElement).value)).toBe(other.value);
  expect(await page.textContent('[data-figure="gradient-norm"] [data-testid="prediction"]')).toContain(`explaining ${other.text}`);
  expect(problems()).toEqual([]);
  await page.close();
});
