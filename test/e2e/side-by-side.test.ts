// End-to-end: "Side by side" in headless Chromium against the library in
// Node. The page explains two gallery photos with the five methods and
// scores each map with a deletion curve; the five AUCs per photo in its
// legends must equal the AUCs the same library code computes in Node (wasm
// backend) for the same photo bytes, weights and settings, within 1e-3.
// Small settings (occlusion 3 x 3, 4 IG steps, 6 deletion steps) keep it
// well under two minutes; the page and Node compute at the same time.
// Needs dist/ (`npm run build`) and Chromium (see helpers.ts).
import {afterAll, beforeAll, describe, expect, it} from "vitest";
import type {Browser, Page} from "playwright-core";
import {deletionCurve} from "../../src/lib/deletion.js";
import {explain, METHOD_NAMES, methodSteps, type MethodName} from "../../src/lib/methods.js";
import {closeSharedSite, openPage, openSharedSite, requireDist, screenshot, type SiteUnderTest} from "./helpers.js";
import {builtGallery, siteInNode, waitForFigures} from "./handout-helpers.js";

const SETTINGS = {S: 3, M: 4, D: 6};
const TOLERANCE = 1e-3;


let site: SiteUnderTest;
let browser: Browser;
let page: Page;
let problems: () => string[];
let ids: string[];
let nodeAucs: Promise<Map<string, Record<MethodName, number>>>;

/** The same computation as the page, with the library in Node, on the site's own weights and photo bytes. */
async function aucsInNode(photoIds: string[]): Promise<Map<string, Record<MethodName, number>>> {
  const {tf, model, photo} = await siteInNode();
  const out = new Map<string, Record<MethodName, number>>();
  for (const id of photoIds) {
    const image = photo(id);
    const aucs = {} as Record<MethodName, number>;
    for (const method of METHOD_NAMES) {
      const steps = methodSteps(method, SETTINGS);
      const e = await explain(method, model, image, {steps});
      aucs[method] = (await deletionCurve(model, image, e.relevance, {steps: SETTINGS.D, target: e.predicted})).auc;
    }
    image.dispose();
    out.set(id, aucs);
  }
  model.dispose();
  tf.disposeVariables();
  return out;
}

beforeAll(async () => {
  requireDist();
  const gallery = builtGallery();
  // The first photo and a photo of another class (a fixture image where there is one).
  const first = gallery.images[0];
  const second = gallery.images.find((im) => im.label !== first.label && im.fixture) ?? gallery.images.find((im) => im.label !== first.label)!;
  ids = [first.id, second.id];
  ({site, browser} = await openSharedSite());
  const hash = `image=${ids[0]}&compare=${ids[1]}&S=${SETTINGS.S}&M=${SETTINGS.M}&D=${SETTINGS.D}`;
  ({page, problems} = await openPage(browser, `${site.url}/pages/side-by-side#${hash}`, {width: 1200, height: 900}));
  // Node computes while the browser does.
  nodeAucs = aucsInNode(ids);
  nodeAucs.catch(() => undefined);
  await waitForFigures(page, {figure: "side-by-side", params: {ids, ...SETTINGS}, timeout: 240_000});
});

afterAll(() => closeSharedSite(site, browser));

describe("Side by side page", () => {
  it("shows one row per photo with five maps and five AUCs", async () => {
    const rows = await page.$$eval('[data-testid="sbs-row"]', (els) => els.map((el) => ({id: el.getAttribute("data-image"), done: el.getAttribute("data-done"), maps: el.querySelectorAll('canvas[data-testid="heatmap"]').length})));
    expect(rows).toEqual(ids.map((id) => ({id, done: "true", maps: 5})));
    for (const id of ids) {
      const legend = await page.$$eval(`.sbs-row__curves[data-image="${id}"] [data-testid="auc"]`, (els) => els.map((el) => el.getAttribute("data-method")));
      expect(legend).toEqual(["occlusion", "grad", "grad_x_input", "integrated_gradients", "grad_cam"]);
      expect(Number(await page.getAttribute(`.sbs-row__curves[data-image="${id}"] [data-testid="deletion-chart"]`, "data-points"))).toBe(SETTINGS.D);
    }
  });

  it(`its AUCs equal the library's in Node within ${TOLERANCE}`, async () => {
    const expected = await nodeAucs;
    for (const id of ids) {
      const shown = await page.$$eval(`.sbs-row__curves[data-image="${id}"] [data-testid="auc"]`, (els) => els.map((el) => ({method: el.getAttribute("data-method")!, auc: Number(el.getAttribute("data-auc")), text: el.textContent})));
      for (const {method, auc, text} of shown) {
        const want = expected.get(id)![method as MethodName];
        expect(Math.abs(auc - want), `${id} ${method}: page ${auc}, Node ${want}`).toBeLessThanOrEqual(TOLERANCE);
        expect(text).toContain(auc.toFixed(3));
      }
      console.log(`${id}: ${shown.map((s) => `${s.method} ${s.auc.toFixed(4)} (Node ${expected.get(id)![s.method as MethodName].toFixed(4)})`).join(", ")}`);
    }
  });

  it("loads without console errors or failed requests; screenshot", async () => {
    const caption = await page.textContent('[data-testid="figure-caption"][data-figure="side-by-side"]');
    console.log(`side-by-side: ${caption}`);
    await screenshot(page, "side-by-side.png");
    expect(problems()).toEqual([]);
  });
});
