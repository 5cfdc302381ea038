// `npm run explain -- --from figure.json`: recomputes a figure the reader took
// home from a page (its JSON download, src/lib/figure-record.ts) with the
// same settings (method, steps, explained class, photo; the curve's metric,
// substrate and steps) and compares the numbers with the file's. The photo
// is the gallery's validation file (by file name, in the Imagenette folder the
// build reads: ../shared/imagenette2/val or EXPLAIN_IMAGES) or, for the
// reader's own photo, the 224 x 224 pixels stored in the file.
// scripts/explain.ts calls it; test/take-home.test.ts calls recomputeFigure.
import fs from "node:fs";
import path from "node:path";
import type {ResNet18} from "../src/lib/resnet18.js";
import {imageFromBytes} from "../src/lib/image.js";
import {explain} from "../src/lib/methods.js";
import {metricCurve} from "../src/lib/insertion.js";
import {checkFigureRecord, fromBase64, type FigureRecord} from "../src/lib/figure-record.js";
import type {AnySubstrateName} from "../src/lib/substrate.js";

/** The file's numbers and the recomputed ones agree within this (absolute) by default. */
export const DEFAULT_TOLERANCE = 1e-6;

export interface Difference {
  /** What was compared: the map's or the curve's name in the record, or "<curve> auc". */
  name: string;
  /** The largest absolute difference. */
  maxDifference: number;
  within: boolean;
}

export interface Recomputed {
  figure: string;
  method: string;
  steps: number | null;
  target: number;
  relevance: Float32Array;
  curve?: {curve: Float32Array; auc: number};
  differences: Difference[];
  /** Every difference within the tolerance. */
  agrees: boolean;
  /** A line per comparison, for people. */
  report: string[];
}

/** Reads and checks a figure record. */
export function readFigureRecord(file: string): FigureRecord {
  return checkFigureRecord(JSON.parse(fs.readFileSync(file, "utf8")));
}

/**
 * The photo of a record as 224 x 224 x 3 uint8 pixels: an upload's from the
 * record, a gallery photo's read from `imagesDir` (`<wnid>/<file>`, or any
 * class folder holding the file) by `readImage`, the build's decoder.
 */
export async function recordPixels(record: FigureRecord, imagesDir: string, readImage: (file: string) => Promise<Uint8Array>): Promise<Uint8Array> {
  const photo = record.photo;
  if (!photo) throw new Error(`figure "${record.figure}" names no photo`);
  if (photo.uploaded) {
    if (!photo.pixels) throw new Error("the reader's photo is not stored in the file (no photo.pixels)");
    const pixels = fromBase64(photo.pixels);
    if (pixels.length !== 224 * 224 * 3) throw new Error(`photo.pixels holds ${pixels.length} bytes, not 224 x 224 x 3`);
    return pixels;
  }
  const file = photo.file ?? photo.id;
  const candidates = [photo.wnid ? path.join(imagesDir, photo.wnid, file) : "", ...fs.readdirSync(imagesDir).map((dir) => path.join(imagesDir, dir, file))].filter(Boolean);
  const found = candidates.find((candidate) => fs.existsSync(candidate));
  if (!found) throw new Error(`photo ${file} is not in ${imagesDir} (<wnid>/${file}); set EXPLAIN_IMAGES to the validation folder that holds it`);
  return readImage(found);
}

function compare(name: string, expected: ArrayLike<number | null>, actual: ArrayLike<number>, tolerance: number): Difference {
  if (expected.length !== actual.length) return {name, maxDifference: Infinity, within: false};
  let max = 0;
  for (let i = 0; i < actual.length; i++) {
    const e = expected[i];
    const d = e === null ? (Number.isFinite(actual[i]) ? Infinity : 0) : Math.abs(e - actual[i]);
    if (!(d <= max)) max = d; // NaN counts as a difference
  }
  return {name, maxDifference: max, within: max <= tolerance};
}

/** Recomputes a record's map (and its curve) on `pixels` and compares them with the record's numbers. */
export async function recomputeFigure(record: FigureRecord, model: ResNet18, pixels: Uint8Array, {tolerance = DEFAULT_TOLERANCE, batchSize}: {tolerance?: number; batchSize?: number} = {}): Promise<Recomputed> {
  const how = record.reproduce;
  if (!how) throw new Error(`figure "${record.figure}" is not one method's map: nothing to recompute (its numbers are in the file as they are)`);
  const image = imageFromBytes(pixels);
  try {
    const explanation = await explain(how.method, model, image, {steps: how.steps ?? undefined, target: how.target, batchSize});
    const map = record.maps.find((m) => m.name === how.map);
    if (!map) throw new Error(`the file has no map "${how.map}"`);
    const differences = [compare(map.name, map.values, explanation.relevance, tolerance)];
    let curve: Recomputed["curve"];
    if (how.curve) {
      const recorded = record.curves.find((c) => c.name === how.curve!.name);
      const result = await metricCurve(model, image, explanation.relevance, {
        steps: how.curve.steps, target: explanation.target, batchSize,
        metric: how.curve.metric === "insertion" ? "insertion" : "deletion", substrate: how.curve.substrate as AnySubstrateName,
      });
      curve = {curve: result.curve, auc: result.auc};
      if (recorded) differences.push(compare(recorded.name, recorded.scores, result.curve, tolerance), compare(`${recorded.name} auc`, [recorded.auc], [result.auc], tolerance));
    }
    const report = differences.map((d) => `${d.name}: largest difference ${d.maxDifference.toExponential(2)} (${d.within ? "within" : "over"} ${tolerance})`);
    return {figure: record.figure, method: how.method, steps: how.steps, target: explanation.target, relevance: explanation.relevance, curve, differences, agrees: differences.every((d) => d.within), report};
  } finally {
    image.dispose();
  }
}
