// End-to-end: the reader's own photo and the upload part of the
// fault suite: "not an image, zero bytes, 8000x8000 pixels,
// 16-bit PNG, grayscale, CMYK JPEG, PNG with alpha, animated GIF", plus a
// file over the pixel limit, a too-thin one and an EXIF-rotated JPEG. Each
// file is generated with sharp (test/helpers/upload-files.ts) and given to
// the picker's file input as a reader would (setInputFiles), or dropped on
// it. Each case asserts what the reader sees: a clear message, or a photo
// converted correctly (its 224 x 224 pixels checked against Node: the
// loader's readImage224, or the expected conversion), GradCAM computed on it
// with finite numbers, the true class shown as unknown; never a blank page,
// NaN on screen or a console error. Then the upload in other chapters
// (occlusion, deletion score, the dataset page's accuracy), the fallback
// when the stored photo is missing, "forget my photo", drag and drop, and
// that the photo is never sent over the network.
// Needs dist/ (`npm run build`) and Chromium (see helpers.ts).
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import {afterAll, beforeAll, describe, expect, it} from "vitest";
import type {Browser, BrowserContext, Page, Request} from "playwright-core";
import {closeSharedSite, openSharedSite, requireDist, screenshot, settled, type SiteUnderTest, watchProblems} from "./helpers.js";
import {builtGallery, captions, distDataFile, QUICK_VIEW, waitForFigures} from "./handout-helpers.js";
import {readImage224} from "../../src/data/node/sources.js";
import {toPhotoPixels, UPLOAD_CLASS_NAME, UPLOAD_STORAGE_KEY} from "../../src/components/upload.js";
import {SHARED} from "../helpers/fixtures.js";
import {pattern, writeUploadFiles, type UploadFiles} from "../helpers/upload-files.js";
import sharp from "sharp";

const PHOTO_BYTES = 224 * 224 * 3;
const SHARED_PHOTO = path.join(SHARED, "imagenette2/val/n01440764/ILSVRC2012_val_00009111.JPEG");

let site: SiteUnderTest;
let browser: Browser;
let context: BrowserContext;
let tmp: string;
let files: UploadFiles;

beforeAll(async () => {
  requireDist();
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), "explain-upload-e2e-"));
  const t0 = Date.now();
  files = await writeUploadFiles(tmp);
  console.log(`fault files written in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  ({site, browser} = await openSharedSite());
  context = await browser.newContext({viewport: {width: 1200, height: 900}});
});

afterAll(async () => {
  await closeSharedSite(site, browser);
  if (tmp) fs.rmSync(tmp, {recursive: true, force: true});
});

/** Console errors, uncaught exceptions, failed requests, HTTP errors; and every request made. */
function watch(page: Page): {problems: string[]; requests: Request[]} {
  const problems = watchProblems(page);
  const requests: Request[] = [];
  page.on("request", (r) => requests.push(r));
  return {problems, requests};
}

/** Text on screen that shows a broken number (the pages' visible code, which may say `undefined`, excepted). */
async function brokenNumbers(page: Page): Promise<string[]> {
  return page.evaluate(() => {
    const root = document.querySelector("main") ?? document.body;
    const walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT, {
      acceptNode: (node) => (node.parentElement?.closest("pre, code, script, style") ? NodeFilter.FILTER_REJECT : NodeFilter.FILTER_ACCEPT),
    });
    const bad: string[] = [];
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
      const text = node.textContent ?? "";
      if (/\bNaN\b|\bundefined\b|Infinity/.test(text)) bad.push(text.trim());
    }
    return bad;
  });
}

/** The page is not blank: its title, the picker and some figure are on screen. */
async function notBlank(page: Page): Promise<void> {
  const state = await page.evaluate(() => ({
    h1: document.querySelector("main h1")?.textContent ?? "",
    picker: !!document.querySelector('[data-testid="image-picker"]'),
    figures: document.querySelectorAll('[data-testid="figure-caption"]').length,
    text: (document.querySelector("main")?.innerText ?? "").length,
  }));
  expect(state.h1).not.toBe("");
  expect(state.picker).toBe(true);
  expect(state.figures).toBeGreaterThan(0);
  expect(state.text).toBeGreaterThan(1000);
}

interface UploadOutcome {
  state: string;
  message: string;
  ms: number;
  value: string;
  info: string;
}

/** Gives `file` to the picker's file input and waits for its verdict. */
async function upload(page: Page, file: string): Promise<UploadOutcome> {
  const t0 = Date.now();
  await page.setInputFiles('[data-testid="image-upload-input"]', file);
  return verdict(page, t0);
}

async function verdict(page: Page, t0: number): Promise<UploadOutcome> {
  await page.waitForFunction(() => ["ok", "error"].includes(document.querySelector('[data-testid="image-upload-message"]')?.getAttribute("data-state") ?? ""), null, {timeout: 120_000});
  const ms = Date.now() - t0;
  const [state, message, value, info] = await page.evaluate(() => [
    document.querySelector('[data-testid="image-upload-message"]')!.getAttribute("data-state")!,
    document.querySelector('[data-testid="image-upload-message"]')!.textContent ?? "",
    document.querySelector('[data-testid="image-picker"]')!.getAttribute("data-value") ?? "",
    document.querySelector('[data-testid="image-picker-info"]')!.textContent ?? "",
  ]);
  // Reset the status line so the next upload's verdict is its own.
  await page.evaluate(() => document.querySelector('[data-testid="image-upload-message"]')!.setAttribute("data-state", "idle"));
  return {state, message, ms, value, info};
}

/** The 224 x 224 RGB pixels of the current upload, as kept in sessionStorage. */
async function storedPixels(page: Page): Promise<{id: string; pixels: Uint8Array} | null> {
  const json = await page.evaluate((key) => sessionStorage.getItem(key), UPLOAD_STORAGE_KEY);
  if (!json) return null;
  const stored = JSON.parse(json);
  return {id: stored.id, pixels: new Uint8Array(Buffer.from(stored.pixels, "base64"))};
}

function diff(a: Uint8Array, b: Uint8Array): {max: number; mean: number; differing: number} {
  expect(a.length).toBe(b.length);
  let max = 0, sum = 0, differing = 0;
  for (let i = 0; i < a.length; i++) {
    const d = Math.abs(a[i] - b[i]);
    max = Math.max(max, d);
    sum += d;
    if (d) differing++;
  }
  return {max, mean: sum / a.length, differing};
}

/** Waits for GradCAM on photo `id` and returns its prediction line. */
async function gradCamOn(page: Page, id: string): Promise<string> {
  const [cam] = await waitForFigures(page, {figure: "grad-cam", params: {id}, timeout: 240_000});
  expect(cam.state).toBe("ready");
  const prediction = (await page.textContent('[data-testid="prediction"]')) ?? "";
  expect(prediction).toMatch(/The model says .+, \d+\.\d%/);
  const sum = (await page.textContent('[data-testid="gradcam-sum"]')) ?? "";
  for (const number of sum.match(/-?\d+\.\d+/g) ?? []) expect(Number.isFinite(Number(number))).toBe(true);
  const notes = await page.$$eval(".panel__note", (els) => els.map((e) => e.textContent ?? ""));
  expect(notes).toContain(UPLOAD_CLASS_NAME);
  return prediction;
}

/** The fault table, filled as the cases run and printed at the end. */
const table: string[] = [];
function record(fault: string, outcome: UploadOutcome, extra = ""): void {
  table.push(`| ${fault} | ${outcome.state === "ok" ? "converted" : "refused"} in ${outcome.ms} ms: ${outcome.message}${extra ? ` (${extra})` : ""} |`);
}

describe("uploads on the GradCAM page (fault suite)", () => {
  let page: Page;
  let watched: ReturnType<typeof watch>;
  let firstGalleryPhoto = "";

  beforeAll(async () => {
    page = await context.newPage();
    watched = watch(page);
    await page.goto(`${site.url}/pages/grad-cam`, {waitUntil: "load"});
    await settled(page);
    await waitForFigures(page, {timeout: 240_000});
    firstGalleryPhoto = (await page.getAttribute('[data-testid="image-picker"]', "data-value")) ?? "";
    expect(firstGalleryPhoto).toMatch(/\.JPEG$/);
  });

  afterAll(() => {
    console.log(["| fault | what happens now |", "|---|---|", ...table].join("\n"));
  });

  /** A refused file: a message that names the file and the problem, the photo unchanged, the page intact. */
  async function refused(fault: string, file: string, expected: RegExp): Promise<void> {
    const before = await page.getAttribute('[data-testid="image-picker"]', "data-value");
    const outcome = await upload(page, file);
    record(fault, outcome);
    expect(outcome.state).toBe("error");
    expect(outcome.message).toContain(path.basename(file));
    expect(outcome.message).toMatch(expected);
    expect(outcome.message).toMatch(/The photo shown is unchanged\.$/);
    expect(outcome.value).toBe(before);
    await notBlank(page);
    expect(await brokenNumbers(page)).toEqual([]);
    expect(watched.problems).toEqual([]);
  }

  /** An accepted file: converted, shown, explained; returns its stored pixels. */
  async function accepted(fault: string, file: string, note: RegExp | null, extra?: (pixels: Uint8Array) => Promise<string> | string): Promise<Uint8Array> {
    const outcome = await upload(page, file);
    expect(outcome.state, outcome.message).toBe("ok");
    expect(outcome.message).toContain(path.basename(file));
    if (note) expect(outcome.message).toMatch(note);
    expect(outcome.value).toMatch(/^upload-[0-9a-f]{8}$/);
    expect(outcome.info).toMatch(/^true class: unknown \(your photo/);
    const stored = await storedPixels(page);
    expect(stored?.id).toBe(outcome.value);
    expect(stored!.pixels.length).toBe(PHOTO_BYTES);
    const prediction = await gradCamOn(page, outcome.value);
    await notBlank(page);
    expect(await brokenNumbers(page)).toEqual([]);
    expect(new URL(page.url()).hash).toContain(`image=${outcome.value}`);
    const more = extra ? await extra(stored!.pixels) : "";
    record(fault, outcome, [more, prediction.replace(/\s+/g, " ").trim()].filter(Boolean).join("; GradCAM: "));
    expect(watched.problems).toEqual([]);
    return stored!.pixels;
  }

  it("not an image (a text file named .jpg): refused with a message", async () => {
    await refused("not an image (text named notes.jpg)", files.text, /is not an image/);
  });

  it("zero bytes: refused with a message", async () => {
    await refused("zero bytes", files.empty, /is empty \(0 bytes\)/);
  });

  it("12000 x 12000 pixels (over the 100-megapixel limit): refused before decoding", async () => {
    await refused("12000 × 12000 PNG (over the limit)", files.tooLarge, /12000 × 12000 pixels \(144\.0 megapixels\); photos up to 100 megapixels/);
  });

  it("2000 x 1 pixels: refused as too thin", async () => {
    await refused("2000 × 1 PNG (too thin)", files.thin, /2000 × 1 pixels: too thin/);
  });

  it("a 480 x 320 PNG: exactly the pixels the build's loader makes of it (resize with pad, bit for bit)", async () => {
    const expected = await readImage224(files.wide);
    await accepted("480 × 320 PNG (the dataset's size)", files.wide, /padded with black bands above and below/, (pixels) => {
      const d = diff(pixels, expected);
      expect(d.max).toBe(0);
      return "bit-identical to the loader";
    });
  });

  it("an Imagenette photo from ../shared: exactly its gallery pixels, and the same prediction as the gallery photo", async () => {
    if (!fs.existsSync(SHARED_PHOTO)) return void console.log(`skipped: ${SHARED_PHOTO} not found`);
    const gallery = builtGallery();
    const bin = fs.readFileSync(distDataFile("gallery", "bin"));
    const i = gallery.images.findIndex((im) => im.id === path.basename(SHARED_PHOTO));
    expect(i).toBeGreaterThanOrEqual(0);
    const galleryPixels = new Uint8Array(bin.subarray(i * PHOTO_BYTES, (i + 1) * PHOTO_BYTES));
    // The gallery photo's prediction first.
    await page.click(`[data-testid="image-picker-thumb"][data-id="${gallery.images[i].id}"]`);
    await waitForFigures(page, {figure: "grad-cam", params: {id: gallery.images[i].id}, timeout: 240_000});
    const galleryPrediction = (await page.textContent('[data-testid="prediction"]'))!.replace(/Explained:.*/, "");
    await accepted("an Imagenette JPEG (224 × 224)", SHARED_PHOTO, null, async (pixels) => {
      const d = diff(pixels, galleryPixels);
      expect(d.max).toBe(0);
      const prediction = (await page.textContent('[data-testid="prediction"]'))!.replace(/Explained:.*/, "");
      expect(prediction).toBe(galleryPrediction);
      return "bit-identical to its gallery pixels, same prediction";
    });
  });

  it("16-bit PNG: reduced to 8 bits, as the loader does", async () => {
    const expected = await readImage224(files.deep);
    await accepted("16-bit PNG (300 × 200)", files.deep, /16 bits per channel: reduced to 8/, (pixels) => {
      const d = diff(pixels, expected);
      expect(d.max).toBeLessThanOrEqual(1); // 16 -> 8 bits: the browser and libvips may round differently
      return `max difference to the loader ${d.max}`;
    });
  });

  it("grayscale PNG and JPEG: R = G = B, the loader's pixels", async () => {
    for (const [fault, file] of [["grayscale PNG", files.gray], ["grayscale JPEG", files.grayJpeg]] as const) {
      const expected = await readImage224(file);
      await accepted(fault, file, /grayscale: copied to red, green and blue/, (pixels) => {
        for (let p = 0; p < 224 * 224; p++) {
          if (pixels[3 * p] !== pixels[3 * p + 1] || pixels[3 * p] !== pixels[3 * p + 2]) throw new Error(`pixel ${p} is not gray`);
        }
        const d = diff(pixels, expected);
        expect(d.max).toBeLessThanOrEqual(1);
        return `R = G = B, max difference to the loader ${d.max}`;
      });
    }
  });

  it("CMYK JPEG (without and with a colour profile): converted to RGB, close to the original colours", async () => {
    const original = toPhotoPixels(pattern(300, 200), 300, 200);
    const inverted = original.map((v, i) => (Math.floor(i / 3 / 224) < 37 || Math.floor(i / 3 / 224) >= 186 ? 0 : 255 - v));
    for (const [fault, file] of [["CMYK JPEG, no profile", files.cmyk], ["CMYK JPEG with its ICC profile", files.cmykIcc]] as const) {
      await accepted(fault, file, /CMYK: converted to RGB/, (pixels) => {
        const d = diff(pixels, original);
        // The round trip through CMYK loses the saturated colours of the pattern; an inverted or
        // black conversion would be off by about 100 on average.
        expect(d.mean).toBeLessThan(25);
        expect(diff(pixels, inverted).mean).toBeGreaterThan(60);
        return `mean difference to the RGB original ${d.mean.toFixed(1)} (max ${d.max})`;
      });
    }
  });

  it("PNG with alpha: composited over black (transparent -> 0, opaque unchanged, half -> half)", async () => {
    await accepted("PNG with alpha (224 × 224)", files.alpha, /transparent parts: composited over black/, (pixels) => {
      let worst = 0;
      for (let p = 0; p < 224 * 224; p++) {
        const a = files.alphaRgba[4 * p + 3];
        for (let c = 0; c < 3; c++) {
          const want = Math.round((files.alphaRgba[4 * p + c] * a) / 255);
          const got = pixels[3 * p + c];
          if (a === 0 || a === 255) expect(got).toBe(want);
          worst = Math.max(worst, Math.abs(got - want));
        }
      }
      expect(worst).toBeLessThanOrEqual(1); // premultiplied canvas storage: +-1 where 0 < alpha < 255
      return `max difference to value × alpha / 255: ${worst}`;
    });
  });

  it("animated GIF: the first frame (red), not the second (blue)", async () => {
    const expected = await readImage224(files.animated);
    await accepted("animated GIF (64 × 48, red then blue)", files.animated, /animated: the first frame is used/, (pixels) => {
      expect(diff(pixels, expected).max).toBe(0);
      const centre = (112 * 224 + 112) * 3;
      expect([...pixels.subarray(centre, centre + 3)]).toEqual([255, 0, 0]);
      return "first frame, bit-identical to the loader";
    });
  });

  it("EXIF orientation 6: turned upright as a photo viewer shows it", async () => {
    const file = path.join(tmp, "rotated-exif6.jpg");
    await sharp(pattern(64, 32), {raw: {width: 64, height: 32, channels: 3}}).withMetadata({orientation: 6}).jpeg({quality: 100}).toFile(file);
    const upright = await sharp(file).rotate().raw().toBuffer({resolveWithObject: true});
    expect([upright.info.width, upright.info.height]).toEqual([32, 64]);
    const expected = toPhotoPixels(new Uint8Array(upright.data), 32, 64);
    await accepted("JPEG with EXIF orientation 6 (64 × 32 stored)", file, /bands left and right/, (pixels) => {
      const d = diff(pixels, expected);
      expect(d.max).toBeLessThanOrEqual(1);
      return `upright, max difference to sharp's rotate() ${d.max}`;
    });
    // A large one (a phone photo's case): shrunk first, still upright and in proportion.
    const large = path.join(tmp, "rotated-exif6-large.jpg");
    await sharp(pattern(1600, 800), {raw: {width: 1600, height: 800, channels: 3}}).withMetadata({orientation: 6}).jpeg({quality: 95}).toFile(large);
    const uprightLarge = await sharp(large).rotate().resize(336, 672, {kernel: "lanczos3"}).raw().toBuffer();
    const expectedLarge = toPhotoPixels(new Uint8Array(uprightLarge), 336, 672);
    const sideways = toPhotoPixels(new Uint8Array(await sharp(large).resize(672, 336, {kernel: "lanczos3"}).raw().toBuffer()), 672, 336);
    await accepted("JPEG with EXIF orientation 6, 1600 × 800 stored", large, /\(800 × 1600 JPEG\)[^]*first shrunk smoothly to 336 × 672[^]*bands left and right/, (pixels) => {
      const d = diff(pixels, expectedLarge);
      expect(d.mean).toBeLessThan(5);
      expect(diff(pixels, sideways).mean).toBeGreaterThan(20);
      return `upright, mean difference to sharp's rotate() and lanczos3 shrink ${d.mean.toFixed(2)}`;
    });
  });

  it("8000 x 8000 pixels: shrunk smoothly by the browser first, within seconds", async () => {
    const big = await sharp(files.huge).resize(672, 672, {kernel: "lanczos3"}).raw().toBuffer();
    const expected = toPhotoPixels(new Uint8Array(big), 672, 672);
    const naive = await readImage224(files.huge); // resize_with_pad alone, no smoothing: aliased
    const pixels = await accepted("8000 × 8000 JPEG (64 megapixels)", files.huge, /8000 × 8000 JPEG\), resized with pad to 224 × 224: larger than 672 pixels: first shrunk smoothly to 672 × 672/, (pixels) => {
      // The fine stripes of the right half (test/helpers/upload-files.ts, `striped`) become grey
      // when shrunk smoothly, and false coarse stripes without smoothing: the two differ by about 40 on average.
      const smooth = diff(pixels, expected);
      const aliased = diff(pixels, naive);
      expect(smooth.mean).toBeLessThan(5);
      expect(aliased.mean).toBeGreaterThan(20);
      return `mean difference to sharp's lanczos3 shrink ${smooth.mean.toFixed(2)} (max ${smooth.max}), to resize_with_pad without smoothing ${aliased.mean.toFixed(1)}`;
    });
    expect(pixels.length).toBe(PHOTO_BYTES);
    const last = table[table.length - 1];
    expect(Number(/converted in (\d+) ms/.exec(last)![1])).toBeLessThan(30_000);
    await screenshot(page, "upload-grad-cam.png");
  });

  it("the photo never leaves the browser: no request carries it", async () => {
    // Only GETs of the site's own files, and of blob: URLs (the file itself, read in memory by the
    // <img> that measures it); nothing with a body, nothing to another host.
    const blobs = watched.requests.filter((r) => r.url().startsWith(`blob:${site.url}/`));
    expect(blobs.length).toBeGreaterThan(0);
    const sent = watched.requests.filter((r) => r.method() !== "GET" || r.postData() || !(r.url().startsWith(`${site.url}/`) || r.url().startsWith(`blob:${site.url}/`)));
    expect(sent.map((r) => `${r.method()} ${r.url()}`)).toEqual([]);
  });
});

describe("the upload in other chapters", () => {
  it("occlusion -> deletion score -> dataset page in one tab: computed on the upload, true class unknown, not counted in the accuracy", async () => {
    const page = await context.newPage();
    const {problems} = watch(page);
    // The smallest settings (they persist to the next chapters): the upload's path is the point, not the numbers.
    await page.goto(`${site.url}/pages/occlusion#${QUICK_VIEW}`, {waitUntil: "load"});
    await settled(page);
    await waitForFigures(page, {timeout: 300_000});
    const outcome = await upload(page, files.tall);
    expect(outcome.state, outcome.message).toBe("ok");
    const id = outcome.value;
    const figures = await waitForFigures(page, {figure: "occlusion-map", params: {id}, timeout: 300_000});
    expect(figures[0].state).toBe("ready");
    await waitForFigures(page, {timeout: 300_000});
    for (const c of await captions(page)) expect(c.params?.id, c.figure).toBe(id);
    const prediction = (await page.textContent('[data-testid="prediction"]')) ?? "";
    expect(prediction).toMatch(/Largest drop: -?\d\.\d{3} at patch \(\d, \d\)/);
    expect(await page.$$eval(".panel__note", (els) => els.map((e) => e.textContent))).toContain(UPLOAD_CLASS_NAME);
    expect(await brokenNumbers(page)).toEqual([]);
    await screenshot(page, "upload-occlusion.png");

    // The next chapter opens on the same photo (sessionStorage of this tab).
    await page.goto(`${site.url}/pages/deletion-score`, {waitUntil: "load"});
    await settled(page);
    await page.waitForSelector('[data-testid="image-picker"]');
    expect(await page.getAttribute('[data-testid="image-picker"]', "data-value")).toBe(id);
    const all = await waitForFigures(page, {timeout: 400_000});
    for (const c of all) expect(c.params?.id, c.figure).toBe(id);
    const aucs = await page.$$eval('[data-testid="auc"]', (els) => els.map((e) => e.textContent ?? ""));
    expect(aucs.length).toBeGreaterThan(0);
    for (const a of aucs) expect(a).toMatch(/AUC \d\.\d{3}/);
    expect(await brokenNumbers(page)).toEqual([]);
    console.log(`deletion score on the upload: ${aucs.join("; ")}; ${all.map((c) => c.text).join("; ")}`);

    // The dataset page's gallery and accuracy know nothing of the upload.
    const gallery = builtGallery();
    await page.goto(`${site.url}/pages/dataset-and-model`, {waitUntil: "load"});
    await settled(page);
    await page.waitForSelector('[data-testid="gallery-accuracy"][data-done="true"]', {timeout: 400_000});
    expect(await page.$$eval('[data-testid="gallery-item"]', (els) => els.length)).toBe(gallery.images.length);
    const accuracy = (await page.textContent('[data-testid="gallery-accuracy"]')) ?? "";
    expect(accuracy).toContain(String(gallery.images.length));
    expect(await page.textContent("main")).not.toContain(UPLOAD_CLASS_NAME);
    expect(await brokenNumbers(page)).toEqual([]);
    expect(problems).toEqual([]);
    await page.close();
  });

  it("a new tab (no stored photo) or an address naming an unknown upload opens on the first gallery photo, without errors", async () => {
    for (const address of ["grad-cam", "grad-cam#image=upload-0badf00d"]) {
      const page = await context.newPage(); // new tab: empty sessionStorage, shared localStorage (image = the upload's id)
      const {problems} = watch(page);
      await page.goto(`${site.url}/pages/${address}`, {waitUntil: "load"});
      await settled(page);
      const [cam] = await waitForFigures(page, {figure: "grad-cam", timeout: 240_000});
      expect(cam.params?.id, address).toMatch(/^ILSVRC2012_val_\d+\.JPEG$/);
      expect(await page.getAttribute('[data-testid="image-picker"]', "data-value")).toBe(cam.params?.id);
      expect(await page.$$eval('[data-testid="image-picker-thumb"].image-picker__thumb--upload', (els) => els.length)).toBe(0);
      expect(await brokenNumbers(page)).toEqual([]);
      expect(problems).toEqual([]);
      await page.close();
    }
  });

  it("drag and drop a file on the picker; 'forget my photo' goes back to the gallery and clears the storage", async () => {
    const page = await context.newPage();
    const {problems} = watch(page);
    await page.goto(`${site.url}/pages/grad-cam`, {waitUntil: "load"});
    await settled(page);
    await waitForFigures(page, {timeout: 240_000});
    const bytes = [...fs.readFileSync(files.animated)];
    const t0 = Date.now();
    const dataTransfer = await page.evaluateHandle((bytes) => {
      const dt = new DataTransfer();
      dt.items.add(new File([new Uint8Array(bytes)], "dropped.gif", {type: "image/gif"}));
      return dt;
    }, bytes);
    const zone = '[data-testid="image-picker"]';
    await page.dispatchEvent(zone, "dragenter", {dataTransfer});
    await page.dispatchEvent(zone, "dragover", {dataTransfer});
    expect(await page.$eval(zone, (el) => el.classList.contains("image-picker--drop"))).toBe(true);
    await page.dispatchEvent(zone, "drop", {dataTransfer});
    const outcome = await verdict(page, t0);
    expect(outcome.state, outcome.message).toBe("ok");
    expect(outcome.message).toContain("dropped.gif");
    expect(await page.$eval(zone, (el) => el.classList.contains("image-picker--drop"))).toBe(false);
    await gradCamOn(page, outcome.value);
    // A drop of text (no file) gets a message.
    const textDrop = await page.evaluateHandle(() => {
      const dt = new DataTransfer();
      dt.setData("text/plain", "https://example.com/cat.jpg");
      return dt;
    });
    const t1 = Date.now();
    await page.dispatchEvent(zone, "drop", {dataTransfer: textDrop});
    const text = await verdict(page, t1);
    expect(text.state).toBe("error");
    expect(text.message).toMatch(/Drop an image file/);
    expect(text.value).toBe(outcome.value);

    await page.click('[data-testid="image-upload-forget"]');
    await page.waitForFunction(() => /^ILSVRC/.test(document.querySelector('[data-testid="image-picker"]')?.getAttribute("data-value") ?? ""));
    expect(await page.evaluate((key) => sessionStorage.getItem(key), UPLOAD_STORAGE_KEY)).toBeNull();
    expect(await page.$$eval('[data-testid="image-picker-thumb"].image-picker__thumb--upload', (els) => els.length)).toBe(0);
    expect(await page.isHidden('[data-testid="image-upload-forget"]')).toBe(true);
    const [cam] = await waitForFigures(page, {figure: "grad-cam", timeout: 240_000});
    expect(cam.params?.id).toMatch(/^ILSVRC2012_val_\d+\.JPEG$/);
    expect(await brokenNumbers(page)).toEqual([]);
    expect(problems).toEqual([]);
    await page.close();
  });
});
