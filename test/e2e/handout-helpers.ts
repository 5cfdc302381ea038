// Helpers for the end-to-end tests of the method chapters (occlusion ...
// side by side): waiting for live figures, reading their captions, moving
// sliders, hashing canvas pixels. The server and browser come from
// helpers.ts.
import fs from "node:fs";
import path from "node:path";
import type {Page} from "playwright-core";
import type * as TF from "@tensorflow/tfjs";
import type {GalleryMeta} from "../../src/compute/contract.js";
import {initTf} from "../../src/data/node/tf.js";
import {imageFromBytes} from "../../src/lib/image.js";
import type {NamedTensors} from "../../src/lib/pth.js";
import {ResNet18} from "../../src/lib/resnet18.js";
import {decodeWeights, type WeightsManifest} from "../../src/lib/weights.js";
import {ARTIFACTS, DIST} from "./helpers.js";

/** The built site: dist/, or $EXPLAIN_DIST (see helpers.ts). */
export const SITE_DIR = DIST;

/** The chapters of one method each, or of the deletion score, in sidebar order (path under /pages/): handout-pages.test.ts computes each. */
export const METHOD_CHAPTERS = ["occlusion", "gradient-norm", "gradient-x-input", "integrated-gradients", "grad-cam", "deletion-score"] as const;

/** The chapters this suite covers, in sidebar order (path under /pages/). */
export const HANDOUT_PAGES = [...METHOD_CHAPTERS, "side-by-side"] as const;

/**
 * The address of a view with the smallest settings that keep every figure
 * and control on the page (occlusion 3 x 3, integrated gradients 4 steps,
 * deletion 4 steps, SmoothGrad 2 samples, the judges' smallest samples).
 * For tests of what does not depend on the numbers (accessibility, backend
 * fallbacks): the same page in seconds instead of minutes on a CPU backend.
 */
export const QUICK_VIEW = "S=3&M=4&D=4&samples=2&subsets=10&subsetSize=16&perturbations=1";

export interface Caption {
  figure: string;
  state: string;
  text: string;
  ms: number;
  backend: string;
  params: Record<string, unknown> | null;
}

/** Every live figure's caption on the page. */
export async function captions(page: Page): Promise<Caption[]> {
  return page.$$eval('[data-testid="figure-caption"]', (els) =>
    els.map((el) => ({
      figure: el.getAttribute("data-figure") ?? "",
      state: el.getAttribute("data-state") ?? "",
      text: (el.textContent ?? "").trim(),
      ms: Number(el.getAttribute("data-ms")),
      backend: el.getAttribute("data-backend") ?? "",
      params: el.getAttribute("data-params") ? JSON.parse(el.getAttribute("data-params")!) : null,
    })),
  );
}

/**
 * Waits until every live figure on the page has finished (ready; a heavy
 * figure waiting for its button is left alone), or until `figure` shows a
 * result whose parameters include `params` (clicking its button if it waits
 * for one). Fails early if a figure reports an error. Returns every caption,
 * those of `figure` first (the page's other figures may still be computing).
 */
export async function waitForFigures(page: Page, {figure, params, timeout = 300_000}: {figure?: string; params?: Record<string, unknown>; timeout?: number} = {}): Promise<Caption[]> {
  await page.waitForFunction(
    ([figure, params]) => {
      const all = [...document.querySelectorAll('[data-testid="figure-caption"]')];
      if (all.some((c) => c.getAttribute("data-state") === "error")) return true;
      // A heavy figure waits for a click on the CPU backends (live.ts): the one
      // asked for is started, as a reader would; the others count as settled.
      if (figure) (document.querySelector(`[data-testid="figure-start"][data-figure="${figure}"]`) as HTMLButtonElement | null)?.click();
      const wanted = figure ? all.filter((c) => c.getAttribute("data-figure") === figure) : all.filter((c) => c.getAttribute("data-state") !== "waiting");
      if (!wanted.length) return false;
      return wanted.every((c) => {
        if (c.getAttribute("data-state") !== "ready") return false;
        if (!params) return true;
        const shown = JSON.parse(c.getAttribute("data-params") ?? "{}");
        return Object.entries(params).every(([k, v]) => JSON.stringify(shown[k]) === JSON.stringify(v));
      });
    },
    [figure, params ?? null] as const,
    {timeout, polling: 250},
  ).catch(async (error: Error) => {
    // Say what the figures were doing when time ran out.
    const states = await captions(page).catch(() => []);
    const status = await page.$$eval(".live-figure__status", (els) => els.map((e) => (e.textContent ?? "").trim()).filter(Boolean)).catch(() => []);
    throw new Error(`${error.message}\nwaiting for ${figure ?? "every figure"} ${params ? JSON.stringify(params) : ""}; figures: ${states.map((c) => `${c.figure}=${c.state} ${JSON.stringify(c.params)}`).join("; ")}; status lines: ${status.join(" | ")}`);
  });
  const all = await captions(page);
  const failed = all.filter((c) => c.state === "error");
  if (failed.length) {
    const messages = await page.$$eval(".live-figure__error", (els) => els.map((e) => e.textContent));
    throw new Error(`figure(s) failed: ${failed.map((c) => c.figure).join(", ")}: ${messages.join(" | ")}`);
  }
  return figure ? [...all.filter((c) => c.figure === figure), ...all.filter((c) => c.figure !== figure)] : all;
}

/** Sets the first Inputs.range whose label contains `label` to `value`, as a reader dragging it would. */
export async function setRange(page: Page, label: string, value: number): Promise<void> {
  await page.evaluate(
    ([label, value]) => {
      const form = [...document.querySelectorAll("form")].find((f) => f.querySelector("label")?.textContent?.includes(label) && f.querySelector('input[type="range"]'));
      if (!form) throw new Error(`no slider labelled ${label}`);
      const range = form.querySelector('input[type="range"]') as HTMLInputElement;
      range.value = String(value);
      range.dispatchEvent(new Event("input", {bubbles: true}));
    },
    [label, value] as const,
  );
}

/** A hash (FNV-1a, hex) of a canvas's pixels. */
export async function canvasDigest(page: Page, selector: string): Promise<string> {
  return page.$eval(selector, (el) => {
    const canvas = el as HTMLCanvasElement;
    const data = canvas.getContext("2d")!.getImageData(0, 0, canvas.width, canvas.height).data;
    let h = 0x811c9dc5;
    for (let i = 0; i < data.length; i++) {
      h ^= data[i];
      h = Math.imul(h, 0x01000193) >>> 0;
    }
    return h.toString(16);
  });
}

/** A file of the built site under dist/_file/data, whose name is `<stem>.<hash>.<ext>`. */
export function distDataFile(stem: string, ext: string): string {
  const dir = path.join(SITE_DIR, "_file", "data");
  const name = fs.readdirSync(dir).find((f) => f.startsWith(`${stem}.`) && f.endsWith(`.${ext}`) && f.split(".").length === 3);
  if (!name) throw new Error(`no ${stem}.*.${ext} in ${dir}: build the site first (npm run build)`);
  return path.join(dir, name);
}

/** The built site's gallery description (gallery.json). */
export function builtGallery(): GalleryMeta {
  return JSON.parse(fs.readFileSync(distDataFile("gallery", "json"), "utf8")) as GalleryMeta;
}

/** The built site's URL path of that file (for fetch in the page). */
export function distDataUrl(stem: string, ext: string): string {
  return `/_file/data/${path.basename(distDataFile(stem, ext))}`;
}

/** The built site's model and photos in Node (wasm): to compare what a page shows with the library. */
export interface SiteInNode {
  tf: typeof TF;
  /** The site's weights (weights.json + weights.bin). */
  weights: NamedTensors;
  model: ResNet18;
  gallery: GalleryMeta;
  /** A gallery photo as a [224,224,3] tensor in [0,1]; the caller disposes it. */
  photo(id: string): TF.Tensor3D;
}

export async function siteInNode(): Promise<SiteInNode> {
  const tf = await initTf("wasm");
  const manifest = JSON.parse(fs.readFileSync(distDataFile("weights", "json"), "utf8")) as WeightsManifest;
  const bin = fs.readFileSync(distDataFile("weights", "bin"));
  const weights = decodeWeights(manifest, bin.buffer.slice(bin.byteOffset, bin.byteOffset + bin.byteLength));
  const gallery = builtGallery();
  const pixels = new Uint8Array(fs.readFileSync(distDataFile("gallery", "bin")));
  const n = gallery.size * gallery.size * 3;
  return {
    tf,
    weights,
    model: new ResNet18(weights),
    gallery,
    photo(id) {
      const i = gallery.images.findIndex((im) => im.id === id);
      if (i < 0) throw new Error(`no photo ${id} in the built gallery`);
      return imageFromBytes(pixels.subarray(i * n, (i + 1) * n));
    },
  };
}

/** Clicks a take-home toolbar button of `figure` and returns the file it downloads (kept in test-artifacts/take-home/, e.g. for `npm run explain -- --from`). */
export async function downloadFromToolbar(page: Page, figure: string, action: string): Promise<{name: string; bytes: Buffer}> {
  const [file] = await Promise.all([page.waitForEvent("download", {timeout: 60_000}), page.click(`[data-testid="take-home"][data-figure="${figure}"] [data-action="${action}"]`)]);
  const chunks: Buffer[] = [];
  for await (const chunk of (await file.createReadStream())!) chunks.push(chunk as Buffer);
  const bytes = Buffer.concat(chunks);
  fs.mkdirSync(path.join(ARTIFACTS, "take-home"), {recursive: true});
  fs.writeFileSync(path.join(ARTIFACTS, "take-home", file.suggestedFilename()), bytes);
  return {name: file.suggestedFilename(), bytes};
}
