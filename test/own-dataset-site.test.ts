// The site built from a dataset and a model of one's own (EXPLAIN_IMAGES,
// EXPLAIN_WEIGHTS), end to end: three class folders named "fish", "dog" and
// "radio" (Imagenette photos, renamed, with a classes.json), and a 3-class
// model made from the shared ResNet-18 by keeping its head's rows of those
// three classes, written as a PyTorch .pth. The site is built into its own
// folder (EXPLAIN_DIST) with its own cache (EXPLAIN_CACHE), then every page
// is opened in Chromium: every chapter computes with the three classes and
// no page names a class of Imagenette.
//
// Minutes (a whole build, then every page): only with EXPLAIN_HEAVY_TESTS=1
// (npm run test:heavy), not in npm test. The build replaces Framework's
// cached loader outputs; the next default build notices (npm run
// forget-data) and makes its own again.
import {spawnSync} from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import {afterAll, beforeAll, describe, expect, it} from "vitest";
import type {Browser, Page} from "playwright-core";
import config from "../observablehq.config.js";
import {readPth} from "../src/lib/pth.js";
import {launchBrowser, ROOT, serveDist, settled, watchProblems} from "./e2e/helpers.js";
import {QUICK_VIEW, waitForFigures} from "./e2e/handout-helpers.js";
import {float32Storage, zipCheckpoint, type StorageSpec, type TensorSpec} from "./helpers/torch-save.js";

const HEAVY = !!process.env.EXPLAIN_HEAVY_TESTS;
const SHARED = path.resolve(ROOT, "../shared");
const VAL = path.join(SHARED, "imagenette2", "val");
/** The three classes: folder and name, in the model's logit order, and the Imagenette folder (and head row) their photos come from. */
const CLASSES = [
  {folder: "fish", name: "fish", from: "n01440764", row: 0},
  {folder: "dog", name: "dog", from: "n02102040", row: 1},
  {folder: "radio", name: "radio", from: "n02979186", row: 2},
];
const PHOTOS_PER_CLASS = 5;
/** Any of Imagenette's class names, or its name: none may appear on the pages. */
const IMAGENETTE_WORDS = /tench|springer|cassette|chain ?saw|church|french horn|garbage|gas pump|golf|parachute|imagenette|\bten classes|\b10 classes/i;
const DIST_DIR = path.join(ROOT, "dist-own-dataset");
const PAGES = ["/", ...config.pages.map((p) => p.path)];

let tmp: string;
let site: {url: string; close: () => Promise<void>} | undefined;
let browser: Browser | undefined;

/** The shared model with only the head rows of the three classes, as torch.save writes it. */
function threeClassCheckpoint(): Uint8Array {
  const shared = readPth(new Uint8Array(fs.readFileSync(path.join(SHARED, "models", "resnet18-imagenette.pth"))));
  const storages: StorageSpec[] = [];
  const tensors: TensorSpec[] = [];
  for (const [name, t] of shared) {
    if (name.endsWith("num_batches_tracked")) continue;
    let {shape, data} = t;
    if (name === "fc.weight" || name === "fc.bias") {
      const width = name === "fc.weight" ? shape[1] : 1;
      data = Float32Array.from(CLASSES.flatMap((c) => [...data.subarray(c.row * width, (c.row + 1) * width)]));
      shape = name === "fc.weight" ? [CLASSES.length, width] : [CLASSES.length];
    }
    const key = String(storages.length);
    storages.push(float32Storage(key, data));
    tensors.push({name, storage: key, shape});
  }
  return zipCheckpoint(tensors, storages);
}

function dataFile(stem: string, ext: string): string {
  const dir = path.join(DIST_DIR, "_file", "data");
  const name = fs.readdirSync(dir).find((f) => f.startsWith(`${stem}.`) && f.endsWith(`.${ext}`));
  if (!name) throw new Error(`no ${stem}.*.${ext} in ${dir}`);
  return path.join(dir, name);
}

/** Waits until the page is complete: backend known, its own last element drawn, every figure ready (heavy ones started). */
async function pageReady(page: Page, pagePath: string): Promise<void> {
  await page.waitForSelector('[data-testid="backend-badge"]:not([data-backend="pending"])', {timeout: 120_000});
  const last: Record<string, string> = {
    "/pages/dataset-and-model": '[data-testid="gallery-accuracy"][data-done="true"]',
    "/pages/dataset-wide-results": '[data-testid="per-class-table"]',
  };
  if (last[pagePath]) await page.waitForSelector(last[pagePath], {timeout: 300_000});
  if (!(await page.$('[data-testid="figure-caption"]'))) return;
  await waitForFigures(page, {timeout: 400_000});
  for (const start of await page.$$('[data-testid="figure-start"]')) await start.click();
  await waitForFigures(page, {timeout: 400_000});
}

describe.skipIf(!HEAVY)("a site built from three class folders and a 3-class model", () => {
  beforeAll(() => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), "own-dataset-"));
    const images = path.join(tmp, "images");
    for (const c of CLASSES) {
      fs.mkdirSync(path.join(images, c.folder), {recursive: true});
      const photos = fs.readdirSync(path.join(VAL, c.from)).sort().slice(0, PHOTOS_PER_CLASS);
      for (const p of photos) fs.copyFileSync(path.join(VAL, c.from, p), path.join(images, c.folder, p));
    }
    fs.writeFileSync(path.join(images, "classes.json"), JSON.stringify(CLASSES.map(({folder, name}) => ({folder, name})), null, 1));
    const weights = path.join(tmp, "resnet18-fish-dog-radio.pth");
    fs.writeFileSync(weights, threeClassCheckpoint());

    const t0 = Date.now();
    const build = spawnSync("npm", ["run", "build"], {
      cwd: ROOT,
      encoding: "utf8",
      env: {...process.env, EXPLAIN_IMAGES: images, EXPLAIN_WEIGHTS: weights, EXPLAIN_DIST: path.relative(ROOT, DIST_DIR), EXPLAIN_CACHE: path.join(tmp, "cache"), EXPLAIN_STATS_IMAGES: "3"},
    });
    console.log(`own dataset: built in ${((Date.now() - t0) / 1000).toFixed(0)} s`);
    if (build.status !== 0) throw new Error(`the build failed (${build.status}):\n${(build.stdout + build.stderr).slice(-4000)}`);
  });

  afterAll(async () => {
    await browser?.close();
    await site?.close();
    if (tmp) fs.rmSync(tmp, {recursive: true, force: true});
  });

  it("the built data: the three classes in the gallery, the weights (a 3-row head) and the statistics", () => {
    const expected = CLASSES.map((c, index) => ({index, wnid: c.folder, name: c.name}));
    const gallery = JSON.parse(fs.readFileSync(dataFile("gallery", "json"), "utf8"));
    expect(gallery.classes).toEqual(expected);
    expect(gallery.images).toHaveLength(CLASSES.length * 4);
    expect(gallery.images.every((i: {fixture: boolean}) => !i.fixture)).toBe(true);
    expect(fs.statSync(dataFile("gallery", "bin")).size).toBe(CLASSES.length * 4 * 224 * 224 * 3);
    const weights = JSON.parse(fs.readFileSync(dataFile("weights", "json"), "utf8"));
    expect(weights.classes).toEqual(expected);
    expect(weights.source.head).toBe("dataset");
    expect(weights.tensors.find((t: {name: string}) => t.name === "fc.weight").shape).toEqual([3, 512]);
    const stats = JSON.parse(fs.readFileSync(dataFile("deletion-stats", "json"), "utf8"));
    expect(stats.classes).toEqual(expected);
    expect(stats.rows.map((r: {wnid: string}) => r.wnid)).toEqual(["fish", "dog", "radio"]);
    for (const row of stats.rows) expect(row.predicted).toBeLessThan(3);
  });

  it("every page computes with the three classes and names no class of Imagenette", async () => {
    site = await serveDist(DIST_DIR);
    browser = await launchBrowser();
    const context = await browser.newContext({viewport: {width: 1200, height: 900}});
    for (const pagePath of PAGES) {
      const t0 = Date.now();
      const page = await context.newPage();
      const problems = watchProblems(page);
      await page.goto(`${site.url}${pagePath}#${QUICK_VIEW}`, {waitUntil: "load"});
      await settled(page);
      await pageReady(page, pagePath);
      const text = await page.evaluate(() => document.querySelector("main")!.innerText);
      expect(text.match(IMAGENETTE_WORDS)?.[0], `${pagePath} names an Imagenette class`).toBeUndefined();
      const menus = await page.$$eval('[data-testid="target-picker"] select', (selects) => selects.map((s) => [...(s as HTMLSelectElement).options].map((o) => o.text)));
      for (const options of menus) expect(options.filter((o) => ["fish", "dog", "radio"].includes(o))).toEqual(["fish", "dog", "radio"]);
      if (pagePath === "/pages/dataset-and-model") {
        expect(text).toMatch(/the three classes/);
        expect(text).toMatch(/fish, dog and radio/);
        expect(await page.$$eval('[data-testid="gallery-item"]', (cards) => cards.length)).toBe(CLASSES.length * 4);
      }
      if (pagePath === "/pages/dataset-wide-results") {
        expect(await page.textContent('[data-testid="stats-provenance"]')).toMatch(/3 images .*balanced across the three classes/);
        expect(await page.$$eval('[data-testid="per-class-table"] tbody tr', (rows) => rows.map((r) => r.querySelector("td")!.textContent))).toEqual(expect.arrayContaining(["fish", "dog", "radio"]));
      }
      expect(problems, pagePath).toEqual([]);
      console.log(`own dataset: ${pagePath} ready in ${((Date.now() - t0) / 1000).toFixed(0)} s`);
      await page.close();
    }
  });
});
