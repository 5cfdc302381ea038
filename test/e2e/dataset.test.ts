// End-to-end: the built "Dataset and model" page in headless Chromium. The
// model runs in the browser; its predictions for the fixture images must
// match the reference logits (../shared/fixtures), the accuracy line must
// agree with the cards, and the page must load without errors.
// Needs dist/ (`npm run build`) and Chromium (see helpers.ts).
import {afterAll, beforeAll, describe, expect, it} from "vitest";
import type {Browser, Page} from "playwright-core";
import {fixture, index} from "../helpers/fixtures.js";
import {closeSharedSite, openPage, openSharedSite, screenshot, type SiteUnderTest} from "./helpers.js";

const BACKENDS = ["webgpu", "webgl", "wasm", "cpu"];

let site: SiteUnderTest;
let browser: Browser;
let page: Page;
let problems: () => string[];

interface Card {
  id: string;
  label: number;
  predicted: number | null;
}

beforeAll(async () => {
  ({site, browser} = await openSharedSite());
  ({page, problems} = await openPage(browser, `${site.url}/pages/dataset-and-model`));
  // All predictions are in once the accuracy line says it is done.
  await page.waitForSelector('[data-testid="gallery-accuracy"][data-done="true"]', {timeout: 300_000});
});

afterAll(() => closeSharedSite(site, browser));

async function cards(): Promise<Card[]> {
  return page.$$eval('[data-testid="gallery-item"]', (els) =>
    els.map((el) => ({
      id: el.getAttribute("data-id")!,
      label: Number(el.getAttribute("data-label")),
      predicted: el.hasAttribute("data-predicted") ? Number(el.getAttribute("data-predicted")) : null,
    })),
  );
}

describe("Dataset and model page", () => {
  it("predicts the fixture images like the reference model", async () => {
    const all = await cards();
    const logits = fixture("logits");
    const classes = logits.shape[1];
    const byId = new Map(all.map((c) => [c.id, c]));
    expect(index.meta.images.length).toBeGreaterThan(0);
    for (const [i, id] of index.meta.images.entries()) {
      const row = Array.from(logits.data.subarray(i * classes, (i + 1) * classes));
      const expected = row.indexOf(Math.max(...row));
      const card = byId.get(id);
      expect(card, `fixture image ${id} is in the gallery`).toBeDefined();
      expect(card!.predicted, `prediction for ${id}`).toBe(expected);
    }
  });

  it("shows the accuracy of the cards", async () => {
    const all = await cards();
    expect(all.length).toBeGreaterThanOrEqual(40);
    expect(all.every((c) => c.predicted !== null)).toBe(true);
    const correct = all.filter((c) => c.predicted === c.label).length;
    const text = (await page.textContent('[data-testid="gallery-accuracy"]'))!;
    const percent = `${((100 * correct) / all.length).toFixed(1)}%`;
    expect(text).toContain(`${correct} of ${all.length}`);
    expect(text).toContain(percent);
    console.log(`gallery accuracy: ${text.trim()}`);
  });

  it("names the backend and the time to first prediction", async () => {
    const badge = page.locator('[data-testid="backend-badge"]');
    const backend = (await badge.getAttribute("data-backend"))!;
    expect(BACKENDS).toContain(backend);
    expect(await badge.locator("summary").textContent()).toMatch(new RegExp(`^backend: ${backend}\\b`));
    const first = page.locator('[data-testid="first-prediction"]');
    expect(await first.getAttribute("data-backend")).toBe(backend);
    const ms = Number(await first.getAttribute("data-ms"));
    expect(ms).toBeGreaterThan(0);
    console.log(`backend: ${backend}; first prediction after ${(ms / 1000).toFixed(1)} s; ${await badge.getAttribute("title")}`);
  });

  it("loads without console errors or failed requests", async () => {
    expect(problems()).toEqual([]);
  });

  it("saves a screenshot", async () => {
    const file = await screenshot(page, "dataset-and-model.png");
    console.log(`screenshot: ${file}`);
  });
});
