// Occlusion: black out one patch of an S x S grid at a time and record how
// much the probability of the explained class drops.
import * as tf from "@tensorflow/tfjs";
import {concat, imageLogits, runBatched, softmax, type Explanation, type MethodOptions, type RunOptions} from "./explanation.js";
import type {ResNet} from "./resnet.js";
import {OcclusionForward, type Region} from "./occlusion-forward.js";
import {normalizeMax, resizeMap} from "./image.js";

/** Patch bounds along one axis: [int(i*n/S), int((i+1)*n/S)) for i < S. */
export function patchBounds(n: number, steps: number): [number, number][] {
  return Array.from({length: steps}, (_, i) => [Math.floor((i * n) / steps), Math.floor(((i + 1) * n) / steps)]);
}

/** [patches.length, H, W, 1] masks: 0 inside patch patches[k] (row-major over the S x S grid), 1 elsewhere. */
function patchMasks(height: number, width: number, steps: number, patches: number[]): tf.Tensor4D {
  const rowBounds = patchBounds(height, steps);
  const colBounds = patchBounds(width, steps);
  const count = patches.length;
  const rows = new Float32Array(count * height);
  const cols = new Float32Array(count * width);
  patches.forEach((patch, k) => {
    const i = Math.floor(patch / steps);
    const j = patch % steps;
    rows.fill(1, k * height + rowBounds[i][0], k * height + rowBounds[i][1]);
    cols.fill(1, k * width + colBounds[j][0], k * width + colBounds[j][1]);
  });
  return tf.tidy(() => {
    const inside = tf.mul(tf.tensor4d(rows, [count, height, 1, 1]), tf.tensor4d(cols, [count, 1, width, 1]));
    return tf.sub(1, inside) as tf.Tensor4D;
  });
}

/**
 * The handout's `prepare_occlusions(img, S)`, flattened: images
 * `start .. start+count-1` of the S*S occluded copies (copy i*S+j has patch
 * (i, j) set to 0). Default: all S*S. `patches`: the copies to make instead
 * (a padded batch repeats its last patch, see batchItems).
 */
export function prepareOcclusions(image: tf.Tensor3D, steps: number, start = 0, count = steps * steps - start, patches?: number[]): tf.Tensor4D {
  checkSteps(steps);
  const [h, w] = image.shape;
  const list = patches ?? Array.from({length: count}, (_, k) => start + k);
  return tf.tidy(() => tf.mul(image.expandDims(0), patchMasks(h, w, steps, list)) as tf.Tensor4D);
}

export interface OcclusionOptions extends MethodOptions {
  /** Grid size S (S x S patches), 2..224. */
  steps?: number;
  /** See OcclusionGridOptions. */
  incremental?: boolean;
  /** See OcclusionGridOptions. */
  onPartial?: (partial: OcclusionPartial) => void;
}

/** The grid being computed: drops of patches 0 .. done-1, row-major (NaN after). */
export interface OcclusionPartial {
  grid: Float32Array;
  steps: number;
  done: number;
  total: number;
}

export interface OcclusionExplanation extends Explanation {
  /** S x S probability drops before upsampling (row-major). */
  grid: Float32Array;
  steps: number;
}

/** The S x S patches, row-major: patch (i, j) covers rows [int(i*H/S), int((i+1)*H/S)) and the same of columns. */
export function patchRegions(height: number, width: number, steps: number): Region[] {
  const rows = patchBounds(height, steps);
  const cols = patchBounds(width, steps);
  return rows.flatMap(([y0, y1]) => cols.map(([x0, x1]) => ({y0, y1, x0, x1})));
}

export interface OcclusionGridOptions extends RunOptions {
  /**
   * Recompute only what each patch changes in the early layers
   * (occlusion-forward.ts): the same numbers up to float rounding, 35-45%
   * faster at S = 6 on wasm, where compute dominates; on a GPU backend the
   * many small crops cost more dispatches than they save. Default false.
   */
  incremental?: boolean;
  /** With `incremental`: the photo's activations, already computed (kept: the caller disposes them). */
  photo?: OcclusionForward;
  /** Called after each batch with the grid so far (a figure that fills in batch by batch). */
  onPartial?: (partial: OcclusionPartial) => void;
}

/** The S x S drops `p - p_occluded(i, j)` of the target class's probability `p`. */
export async function occlusionGrid(model: ResNet, image: tf.Tensor3D, steps: number, target: number, p: number, options: OcclusionGridOptions = {}): Promise<Float32Array> {
  checkSteps(steps);
  const incremental = options.incremental ? (options.photo ?? new OcclusionForward(model, image)) : null;
  const patches = patchRegions(image.shape[0], image.shape[1], steps);
  const total = steps * steps;
  const partial = options.onPartial && new Float32Array(total).fill(NaN);
  const onBatch = partial && ((start: number, values: Float32Array) => {
    values.forEach((q, k) => (partial[start + k] = p - q));
    options.onPartial!({grid: partial.slice(), steps, done: start + values.length, total});
  });
  const probability = (logits: tf.Tensor) => tf.softmax(logits).slice([0, target], [-1, 1]).reshape([-1]);
  try {
    const probabilities = concat(await (incremental
      // The incremental forward pass starts from the patches' regions, not from images.
      ? runBatched(model, total, (start, count) => incremental.logits(patches.slice(start, start + count)), probability, options, onBatch)
      : runBatched(model, total, (start, count, items) => prepareOcclusions(image, steps, start, count, items), (batch) => probability(model.logits(batch as tf.Tensor4D)), options, onBatch)));
    return Float32Array.from(probabilities, (q) => p - q);
  } finally {
    if (incremental !== options.photo) incremental?.dispose();
  }
}

/** The grid upsampled bilinearly to the image and normalized by max |x|. */
export function occlusionRelevance(grid: Float32Array, steps: number, size: number): tf.Tensor2D {
  return tf.tidy(() => normalizeMax(resizeMap(tf.tensor2d(grid, [steps, steps]), size)));
}

export async function occlusion(model: ResNet, image: tf.Tensor3D, options: OcclusionOptions = {}): Promise<OcclusionExplanation> {
  const steps = options.steps ?? 6;
  checkSteps(steps);
  // Incremental: the photo's forward pass, kept for the copies, also gives its logits.
  const photo = options.incremental ? new OcclusionForward(model, image) : null;
  try {
    const {logits, predicted} = photo ? await photo.photoLogits() : await imageLogits(model, image);
    const target = options.target ?? predicted;
    const grid = await occlusionGrid(model, image, steps, target, softmax(logits)[target], {...options, photo: photo ?? undefined});
    const relevanceTensor = occlusionRelevance(grid, steps, image.shape[0]);
    const relevance = (await relevanceTensor.data()) as Float32Array;
    relevanceTensor.dispose();
    return {logits, predicted, target, relevance, grid, steps};
  } finally {
    photo?.dispose();
  }
}

function checkSteps(steps: number): void {
  if (!Number.isInteger(steps) || steps < 1 || steps > 224) throw new RangeError(`occlusion grid size must be an integer from 1 to 224, got ${steps}`);
}
