// A live figure's numbers as one record, for the reader to take home: the
// maps, the curves and their AUCs, the other numbers of the result, and what
// reproduces it (the figure's settings, the photo, the explained class, the
// model). The page builds it from the result the figure already shows
// (src/components/take-home.ts: no recomputation); `npm run explain -- --from
// figure.json` reads it back and recomputes (scripts/explain-from.ts). Pure:
// no DOM, no tfjs, so the page, the command line and the tests share it.
//
// The result of a figure is any object its compute function returned; the
// record finds its parts by their shape: a square array of numbers is a map
// (224 x 224 relevance, an S x S occlusion grid, a 7 x 7 GradCAM map), an
// object with `curve` and `auc` is a deletion or insertion curve, a short
// array of numbers (logits) and single numbers are kept by their path in the
// result ("explanation.logits"). Pixels (uint8 arrays) and long non-square
// arrays (a 224 x 224 x 3 gradient) are left out and named in `omitted`.
import {isMethodName, methodSteps, type MethodName} from "./method-info.js";
import {curveFraction} from "./curve-summary.js";

export const FIGURE_FORMAT = "explanation-methods-live/figure";
export const FIGURE_VERSION = 1;

/** The model that computed the figure (the shape of ModelInfo in src/compute/contract.ts). */
export interface RecordModel {
  architecture: string;
  classCount: number;
  sha256: string;
  file: string;
  origin: "site" | "reader";
}

export interface FigureMap {
  /** Where it is in the result, e.g. "relevance", "explanation.relevance", "grid". */
  name: string;
  height: number;
  width: number;
  /** Row-major. */
  values: number[];
}

export interface FigureCurve {
  name: string;
  /** "deletion" or "insertion". */
  metric: string;
  /** What removed pixels became ("black" when the result does not say). */
  substrate: string;
  /** The class whose probability the curve follows (null when the result does not say). */
  target: number | null;
  /** The share of pixels removed (or put back) at each point: i / (n - 1). */
  fractions: number[];
  /** The probability of the class at each point. */
  scores: number[];
  auc: number;
}

export interface FigurePhoto {
  /** The page's photo id: a gallery file name, or "upload-<hash>" for the reader's photo. */
  id: string;
  /** The validation file (gallery photos), e.g. "ILSVRC2012_val_00009111.JPEG"; null for an upload. */
  file: string | null;
  /** The ImageNet class folder of a gallery photo. */
  wnid: string | null;
  /** Its true class (gallery), or "your photo". */
  className: string;
  uploaded: boolean;
  /** An upload's 224 x 224 x 3 uint8 pixels (HWC), base64: the photo travels with the record. */
  pixels?: string;
}

export interface FigureClass {
  index: number;
  name: string;
}

/** What `npm run explain -- --from` recomputes: one method's map, and its curve if the figure has one. */
export interface Reproduction {
  method: MethodName;
  /** The method's steps (occlusion S, integrated-gradients M), null for a method without. */
  steps: number | null;
  /** The class explained. */
  target: number;
  /** The name of the map (in `maps`) the method computed. */
  map: string;
  /** The name of a curve (in `curves`) computed on that map, with its settings. */
  curve?: {name: string; metric: string; substrate: string; steps: number};
}

export interface FigureRecord {
  format: typeof FIGURE_FORMAT;
  version: typeof FIGURE_VERSION;
  /** The figure's name (data-figure on the page). */
  figure: string;
  /** The page's path and the address of the view (its hash holds the settings). */
  page: string;
  link: string;
  /** The figure's caption on the page: what was computed, how long it took, where. */
  caption: string;
  /** The figure's parameters (the sliders, menus and photo id it was computed for). */
  settings: Record<string, unknown>;
  photo: FigurePhoto | null;
  explainedClass: FigureClass | null;
  predictedClass: FigureClass | null;
  model: RecordModel | null;
  maps: FigureMap[];
  curves: FigureCurve[];
  /** The result's other numbers, by path (AUCs, drops, correlations, ...); null where not finite. */
  numbers: Record<string, number | null>;
  /** Its short arrays of numbers (logits, scores per step), by path. */
  arrays: Record<string, (number | null)[]>;
  /** Parts of the result left out (pixels, long arrays), by path. */
  omitted: string[];
  /** Null when the figure is not one method's map (the command line then has nothing to recompute). */
  reproduce: Reproduction | null;
}

export interface FigureInput {
  figure: string;
  page: string;
  link: string;
  caption: string;
  params: unknown;
  result: unknown;
  model: RecordModel | null;
  /** A photo id's record (pixels only for an upload), or null if unknown. */
  photo: (id: string) => FigurePhoto | null;
  /** A class index's name. */
  className: (index: number) => string;
}

/** The figures whose result is one method's map, and how their parameters name the method and its steps. */
const METHOD_FIGURES: Record<string, (p: Record<string, unknown>) => {method: string; steps?: number} | null> = {
  "occlusion-map": (p) => ({method: "occlusion", steps: Number(p.S)}),
  "gradient-norm": () => ({method: "grad"}),
  "gradient-x-input": () => ({method: "grad_x_input"}),
  "grad-cam": () => ({method: "grad_cam"}),
  // The library's default baseline is the handout's (black); the others are the page's extension.
  "ig-map": (p) => (p.baseline === undefined || p.baseline === "black" ? {method: "integrated_gradients", steps: Number(p.M)} : null),
  "deletion-method": (p) => {
    const method = String(p.method);
    return isMethodName(method) ? {method, steps: methodSteps(method, {S: Number(p.S), M: Number(p.M)})} : null;
  },
};

const MAX_ARRAY = 4096;
const MAX_DEPTH = 8;

type Found = Pick<FigureRecord, "maps" | "curves" | "numbers" | "arrays" | "omitted"> & {explanation?: {path: string; predicted: number; target: number}};

function isNumberArray(value: unknown): value is ArrayLike<number> {
  return ArrayBuffer.isView(value) && !(value instanceof DataView) ? !(value instanceof BigInt64Array || value instanceof BigUint64Array) : Array.isArray(value) && value.length > 0 && value.every((v) => typeof v === "number");
}

const finite = (v: number): number | null => (Number.isFinite(v) ? v : null);
const join = (path: string, key: string) => (path ? `${path}.${key}` : key);

/** Walks a result and sorts its parts into maps, curves, numbers and arrays. */
export function findParts(result: unknown): Found {
  const found: Found = {maps: [], curves: [], numbers: {}, arrays: {}, omitted: []};
  const walk = (value: unknown, path: string, key: string, depth: number): void => {
    if (typeof value === "number") {
      found.numbers[path || "value"] = finite(value);
    } else if (value instanceof Uint8Array || value instanceof Uint8ClampedArray) {
      found.omitted.push(`${path} (${value.length} pixel values)`);
    } else if (isNumberArray(value)) {
      const side = Math.round(Math.sqrt(value.length));
      if (side * side === value.length && (side >= 7 || key === "grid")) found.maps.push({name: path, height: side, width: side, values: Array.from(value, Number)});
      else if (value.length <= MAX_ARRAY) found.arrays[path] = Array.from(value, (v) => finite(Number(v)));
      else found.omitted.push(`${path} (${value.length} values)`);
    } else if (value && typeof value === "object" && depth < MAX_DEPTH) {
      const object = value as Record<string, unknown>;
      if (isNumberArray(object.curve) && typeof object.auc === "number") {
        found.curves.push(curveOf(path, object));
        return;
      }
      if (isNumberArray(object.relevance) && isNumberArray(object.logits) && typeof object.predicted === "number" && typeof object.target === "number") {
        found.explanation ??= {path: join(path, "relevance"), predicted: object.predicted, target: object.target};
      }
      const entries = value instanceof Map ? [...value.entries()].map(([k, v]) => [String(k), v] as const) : Object.entries(object);
      for (const [k, v] of entries) walk(v, join(path, k), k, depth + 1);
    }
  };
  walk(result, "", "", 0);
  return found;
}

function curveOf(path: string, object: Record<string, unknown>): FigureCurve {
  const curve = object.curve as ArrayLike<number>;
  const scores = Array.from(curve, Number);
  return {
    name: path || "curve",
    metric: typeof object.metric === "string" ? object.metric : "deletion",
    substrate: typeof object.substrate === "string" ? object.substrate : "black",
    target: typeof object.target === "number" ? object.target : null,
    fractions: scores.map((_, i) => curveFraction(i, scores.length)),
    scores,
    auc: object.auc as number,
  };
}

/** The id of the photo a figure's parameters name (`id`, or the first of `ids`). */
export function photoIdOf(params: unknown): string | null {
  const p = (params ?? {}) as Record<string, unknown>;
  if (typeof p.id === "string") return p.id;
  if (Array.isArray(p.ids) && typeof p.ids[0] === "string") return p.ids[0];
  return null;
}

/** The record of a figure's result: what the page's "JSON" and "CSV" buttons download. */
export function buildFigureRecord(input: FigureInput): FigureRecord {
  const {explanation, ...parts} = findParts(input.result);
  const settings = {...((input.params ?? {}) as Record<string, unknown>)};
  const id = photoIdOf(settings);
  const classOf = (index: number): FigureClass => ({index, name: input.className(index)});
  const curveTarget = parts.curves.find((c) => c.target !== null)?.target ?? null;
  const targetIndex = explanation?.target ?? (typeof parts.numbers.target === "number" ? parts.numbers.target : curveTarget);
  const predictedIndex = explanation?.predicted ?? (typeof parts.numbers.predicted === "number" ? parts.numbers.predicted : null);
  return {
    format: FIGURE_FORMAT,
    version: FIGURE_VERSION,
    figure: input.figure,
    page: input.page,
    link: input.link,
    caption: input.caption,
    settings,
    photo: id === null ? null : input.photo(id),
    explainedClass: targetIndex === null ? null : classOf(targetIndex),
    predictedClass: predictedIndex === null ? null : classOf(predictedIndex),
    model: input.model,
    ...parts,
    reproduce: reproductionOf(input.figure, settings, parts, explanation),
  };
}

function reproductionOf(figure: string, settings: Record<string, unknown>, parts: Omit<Found, "explanation">, explanation: Found["explanation"]): Reproduction | null {
  const how = METHOD_FIGURES[figure]?.(settings);
  if (!how || !explanation || !isMethodName(how.method)) return null;
  const map = parts.maps.find((m) => m.name === explanation.path);
  if (!map) return null;
  // The curve computed on this map follows the explained class; others (the random map's) do not reproduce from it.
  const curve = parts.curves.find((c) => c.name === "curve");
  return {
    method: how.method,
    steps: how.steps ?? null,
    target: explanation.target,
    map: map.name,
    ...(curve ? {curve: {name: curve.name, metric: curve.metric, substrate: curve.substrate, steps: curve.scores.length}} : {}),
  };
}

/** Checks that a parsed JSON value is a figure record this version reads; throws with the reason. */
export function checkFigureRecord(value: unknown): FigureRecord {
  const record = value as Partial<FigureRecord> | null;
  if (!record || typeof record !== "object" || record.format !== FIGURE_FORMAT) throw new Error(`not a figure record (expected "format": "${FIGURE_FORMAT}")`);
  if (record.version !== FIGURE_VERSION) throw new Error(`figure record version ${record.version}: this version reads ${FIGURE_VERSION}`);
  if (!Array.isArray(record.maps) || !Array.isArray(record.curves)) throw new Error("figure record without maps or curves");
  return record as FigureRecord;
}

const BASE64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/** Standard base64 (with padding) of bytes: the same text in the page and in Node. */
export function toBase64(bytes: Uint8Array): string {
  let out = "";
  for (let i = 0; i < bytes.length; i += 3) {
    const n = (bytes[i] << 16) | ((bytes[i + 1] ?? 0) << 8) | (bytes[i + 2] ?? 0);
    out += BASE64[(n >> 18) & 63] + BASE64[(n >> 12) & 63] + (i + 1 < bytes.length ? BASE64[(n >> 6) & 63] : "=") + (i + 2 < bytes.length ? BASE64[n & 63] : "=");
  }
  return out;
}

export function fromBase64(text: string): Uint8Array {
  const clean = text.replace(/[^A-Za-z0-9+/]/g, "");
  const out = new Uint8Array(Math.floor((clean.length * 3) / 4));
  let o = 0;
  for (let i = 0; i < clean.length; i += 4) {
    const n = [0, 1, 2, 3].reduce((acc, k) => (acc << 6) | (i + k < clean.length ? BASE64.indexOf(clean[i + k]) : 0), 0);
    for (let k = 0; k < 3 && o < out.length; k++) out[o++] = (n >> (16 - 8 * k)) & 255;
  }
  return out;
}
