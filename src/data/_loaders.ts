// Shared code of the data loaders in this folder (Framework runs each
// `<name>.<ext>.ts` with tsx; the file starts with "_" so it is not a page or
// a loader itself). Loaders write their output to stdout and progress to
// stderr, and exit non-zero with a message that says what to do.
import fs from "node:fs";
import path from "node:path";
import {checkpointSource, IMAGENETTE_CLASSES, loadCheckpoint} from "./node/model.js";
import {readImage224, resolveImagenetteVal, resolveWeightsFile, SHARED_DIR} from "./node/sources.js";
import {encodeWeights} from "../lib/weights.js";
import type {ImagenetteClass} from "../lib/weights.js";

/** Runs a loader: its output goes to stdout; an error becomes a message on stderr and exit code 1. */
export async function runLoader(name: string, produce: () => Promise<Uint8Array | string>): Promise<void> {
  const t0 = performance.now();
  try {
    const out = await produce();
    process.stdout.write(out);
    log(`${name}: ${typeof out === "string" ? out.length : out.byteLength} bytes in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  } catch (e) {
    process.stderr.write(`\n${name} failed: ${e instanceof Error ? e.message : String(e)}\n\n`);
    process.exitCode = 1;
  }
}

export function log(message: string): void {
  process.stderr.write(message + "\n");
}

/** The model's 10-class weights in the browser format (src/lib/weights.ts). */
export async function siteWeights() {
  const file = await resolveWeightsFile();
  log(`weights: reading ${file}`);
  const checkpoint = loadCheckpoint(file);
  return encodeWeights(checkpoint.stateDict, {architecture: checkpoint.architecture.name, classes: checkpoint.classes, source: checkpointSource(checkpoint)});
}

// ---------------------------------------------------------------------------
// The gallery: a deterministic choice of validation images.
//
// For each class, in class order: the first GALLERY_PER_CLASS file names of
// its folder (plain code-point sort), plus every fixture image
// (../shared/fixtures/index.json -> meta.images) that lies in that folder,
// sorted by file name. Fixture images are reference points for the tests;
// where the fixtures are missing the gallery is just the first images.
// ---------------------------------------------------------------------------

export const GALLERY_PER_CLASS = 4;
export const GALLERY_RULE = `per class (in class order): the first ${GALLERY_PER_CLASS} file names of the validation folder in sorted order, plus the fixture images (../shared/fixtures) of that class, sorted by file name`;

// The gallery's types are the contract between this loader and the pages.
export type {GalleryImage, GalleryMeta} from "../shared/gallery-data.js";
import type {GalleryImage, GalleryMeta} from "../shared/gallery-data.js";

const IMAGE_FILE = /\.(jpe?g|png)$/i;

/** The gallery's images and where their files are. */
export async function galleryImages(): Promise<{meta: GalleryMeta; files: string[]}> {
  const valDir = await resolveImagenetteVal();
  const fix = "put the Imagenette validation split (imagenette2/val/<wnid>/*.JPEG) in ../shared, or set EXPLAIN_IMAGES to such a folder (see README, \"Data sources\")";
  if (!fs.existsSync(valDir)) throw new Error(`Imagenette images not found at ${valDir}: ${fix}`);
  const fixtures = fixtureImageNames();
  const images: GalleryImage[] = [];
  const files: string[] = [];
  const found = new Set<string>();
  for (const c of IMAGENETTE_CLASSES) {
    const dir = path.join(valDir, c.wnid);
    if (!fs.existsSync(dir)) throw new Error(`class folder ${dir} (${c.name}) is missing: ${fix}`);
    const names = fs.readdirSync(dir).filter((n) => IMAGE_FILE.test(n)).sort(byCodePoint);
    if (names.length < GALLERY_PER_CLASS) throw new Error(`${dir} has ${names.length} images, the gallery needs ${GALLERY_PER_CLASS}: ${fix}`);
    const chosen = new Set(names.slice(0, GALLERY_PER_CLASS));
    for (const n of names) if (fixtures.has(n)) (chosen.add(n), found.add(n));
    for (const id of [...chosen].sort(byCodePoint)) {
      images.push({id, wnid: c.wnid, label: c.index, className: c.name, fixture: fixtures.has(id)});
      files.push(path.join(dir, id));
    }
  }
  const missing = [...fixtures].filter((n) => !found.has(n));
  if (missing.length) log(`gallery: ${missing.length} fixture image(s) not in ${valDir}, left out: ${missing.join(", ")}`);
  return {meta: {size: 224, classes: IMAGENETTE_CLASSES, selection: GALLERY_RULE, images}, files};
}

/** uint8 [N,224,224,3] RGB, the gallery's images in order. */
export async function galleryPixels(files: string[]): Promise<Uint8Array> {
  const size = 224 * 224 * 3;
  const out = new Uint8Array(files.length * size);
  for (const [i, file] of files.entries()) {
    const pixels = await readImage224(file);
    if (pixels.length !== size) throw new Error(`${file} decoded to ${pixels.length} bytes, expected ${size} (224x224 RGB)`);
    out.set(pixels, i * size);
    if ((i + 1) % 10 === 0 || i + 1 === files.length) log(`gallery: ${i + 1}/${files.length} images`);
  }
  return out;
}

/** meta.images of ../shared/fixtures/index.json, or none. */
function fixtureImageNames(): Set<string> {
  const file = path.join(SHARED_DIR, "fixtures", "index.json");
  if (!fs.existsSync(file)) return new Set();
  const index = JSON.parse(fs.readFileSync(file, "utf8")) as {meta?: {images?: string[]}};
  return new Set(index.meta?.images ?? []);
}

function byCodePoint(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
