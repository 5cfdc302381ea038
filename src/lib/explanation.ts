// What every attribution method shares: its options, its result, and the
// batched, cancellable loop that pushes many images through the model.
import * as tf from "@tensorflow/tfjs";
import type {ResNet} from "./resnet.js";
import {argmax, softmax} from "./softmax.js";

export {argmax, softmax};

export interface RunOptions {
  /** Images per model call (occlusion patches, IG path images, deletion steps); default: the model's batch policy. */
  batchSize?: number;
  /**
   * Images in the first model call (default: the model's batch policy, see
   * BatchPolicy): a small first batch lets a figure show a first partial
   * result soon. Results do not depend on it (images are independent).
   */
  firstBatchSize?: number;
  /** Called after each batch with (images done, images in total). */
  onProgress?: (done: number, total: number) => void;
  /** Abort to stop between batches (a slider moved again): the promise rejects with the abort reason. */
  signal?: AbortSignal;
}

export interface MethodOptions extends RunOptions {
  /** Class to explain; default: the class the model predicts for the image. */
  target?: number;
}

export interface Explanation {
  /** The logits of the unmodified image (one per class of the model). */
  logits: Float32Array;
  /** argmax of `logits`. */
  predicted: number;
  /** The class explained (the target, or `predicted`). */
  target: number;
  /** 224*224 relevance, row-major, after the method's normalization. */
  relevance: Float32Array;
}

export const DEFAULT_BATCH_SIZE = 8;

/**
 * How a model's calls cut their batches on the backend it runs on (the
 * browser's compute worker chooses it per backend when it builds the model;
 * Node code keeps the default):
 *  - `size`: images per model call of a call that gives no `batchSize`
 *    (the page's `?batch=` parameter sets it, to test or relieve GPU memory
 *    pressure);
 *  - `first`: images in the first batch of a call without `firstBatchSize`
 *    (null: a full batch). On the CPU backends a small first batch shows a
 *    first partial result sooner;
 *  - `pad`: a last batch smaller than the batch size is padded (with copies
 *    of its last image, whose results are dropped) to the full size. A GPU
 *    backend compiles its programs per tensor shape: a remainder batch would
 *    compile a second set. On a CPU backend it would only waste work.
 * None changes any result: the images of a batch are independent.
 */
export interface BatchPolicy {
  size: number;
  first: number | null;
  pad: boolean;
}

/** Batches of 8, the first one full, nothing padded. */
export const DEFAULT_BATCH_POLICY: Readonly<BatchPolicy> = Object.freeze({size: DEFAULT_BATCH_SIZE, first: null, pad: false});

/**
 * A batch policy: `policy` over the default, checked. A non-integer size is
 * floored; a size below 1, a non-number, or a first batch that is not an
 * integer >= 1 (or null) throws a RangeError.
 */
export function makeBatchPolicy(policy: Partial<BatchPolicy> = {}): BatchPolicy {
  const size = Math.floor(policy.size ?? DEFAULT_BATCH_POLICY.size);
  if (!Number.isFinite(size) || size < 1) throw new RangeError(`batch size must be a number >= 1, got ${policy.size}`);
  const first = policy.first === undefined ? DEFAULT_BATCH_POLICY.first : policy.first;
  if (first !== null && !(Number.isInteger(first) && first >= 1)) throw new RangeError(`first batch size must be an integer >= 1 or null, got ${first}`);
  return {size, first, pad: policy.pad ?? DEFAULT_BATCH_POLICY.pad};
}

/** What batching needs of a model: its batch policy, if it has one (else the default). ResNet is one. */
export interface BatchedModel {
  readonly batchPolicy?: BatchPolicy;
}

/** The batches of one call: its own `batchSize` and `firstBatchSize` over the model's policy. */
export interface Batches {
  /** Images per model call (at least 1). */
  size: number;
  /** Images in the first model call (1 .. size). */
  first: number;
  /** Whether a smaller last batch is padded to `size`. */
  pad: boolean;
}

export function batchesOf(model: BatchedModel, options: RunOptions): Batches {
  const policy = model.batchPolicy ?? DEFAULT_BATCH_POLICY;
  const size = Math.max(1, Math.floor(options.batchSize ?? policy.size));
  const first = Math.min(size, Math.max(1, Math.floor(options.firstBatchSize ?? policy.first ?? size)));
  return {size, first, pad: policy.pad};
}

/** The [start, count] of each batch of `total` items: a first batch of `batches.first`, then full batches. */
export function batchPlan(total: number, batches: Batches): [number, number][] {
  const plan: [number, number][] = [];
  for (let start = 0; start < total; ) {
    const count = Math.min(start === 0 ? batches.first : batches.size, total - start);
    plan.push([start, count]);
    start += count;
  }
  return plan;
}

/**
 * The items of one batch, `start .. start+count-1`, padded to the batch size
 * by repeating the last item when `batches.pad` and the batch is smaller:
 * batch makers that build their images in JavaScript (masks, path
 * coefficients, noise) make the padded rows themselves, so every tensor of a
 * padded batch has the batch's full size and no op sees a remainder shape (a
 * GPU backend compiles its programs per shape: a tensor of `count` rows, even
 * a small mask, would compile new programs).
 */
export function batchItems(start: number, count: number, batches: Batches): number[] {
  const rows = batches.pad ? Math.max(count, batches.size) : count;
  return Array.from({length: rows}, (_, k) => start + Math.min(k, count - 1));
}

/**
 * `batch` ([count, ...]) padded to the batch size with copies of its last
 * image when `batches.pad` and it is smaller; returns it unchanged otherwise.
 * The caller keeps only the first `count` results. (For batches whose maker
 * does not pad itself, see batchItems.)
 */
export function padBatch<T extends tf.Tensor>(batch: T, batches: Batches): T {
  const count = batch.shape[0];
  const size = batches.size;
  if (!batches.pad || count >= size) return batch;
  return tf.tidy(() => {
    const last = tf.slice(batch, [count - 1], [1]);
    return tf.concat([batch, tf.tile(last, [size - count, ...Array(batch.rank - 1).fill(1)])], 0) as T;
  });
}

/** The first `count` rows of `t` (after padBatch). */
export function unpadRows<T extends tf.Tensor>(t: T, count: number): T {
  return t.shape[0] === count ? t : (tf.slice(t, [0], [count]) as T);
}

/**
 * [rows, 1] weights, 1 for the first `count` rows and 0 for the padding: a
 * gradient seed multiplied by it gives the padded rows an exactly zero
 * gradient, so a sum over all rows is the sum over the real ones, with no
 * slice of a remainder shape. Null when nothing is padded.
 */
export function realRows(rows: number, count: number): tf.Tensor2D | null {
  return rows === count ? null : tf.tensor2d(Float32Array.from({length: rows}, (_, k) => (k < count ? 1 : 0)), [rows, 1]);
}

export function checkAborted(signal?: AbortSignal): void {
  if (signal?.aborted) throw signal.reason ?? new DOMException("aborted", "AbortError");
}

/** Logits of one [224,224,3] image, read back. */
export async function imageLogits(model: ResNet, image: tf.Tensor3D): Promise<{logits: Float32Array; predicted: number}> {
  const t = tf.tidy(() => model.logits(image.expandDims(0) as tf.Tensor4D));
  const logits = (await t.data()) as Float32Array;
  t.dispose();
  return {logits, predicted: argmax(logits)};
}

/**
 * Runs `makeBatch(start, count, items)` -> `compute(batch)` over `total`
 * items in batches (batchPlan, with `model`'s batch policy), reading each
 * result back before the next (so the browser stays responsive and GPU
 * memory stays bounded). `items` lists the batch's items, padded per the
 * policy (batchItems): a maker builds one image per entry; a maker that
 * makes only `count` images is padded with padBatch. All rows are read back
 * and the padding's values dropped in JavaScript (no slice of a remainder
 * shape on the backend). Returns each batch's values; `onBatch(start,
 * values)` sees them as they arrive.
 */
export async function runBatched(
  model: BatchedModel,
  total: number,
  makeBatch: (start: number, count: number, items: number[]) => tf.Tensor,
  compute: (batch: tf.Tensor) => tf.Tensor,
  options: RunOptions = {},
  onBatch?: (start: number, values: Float32Array) => void,
): Promise<Float32Array[]> {
  const batches = batchesOf(model, options);
  const results: Float32Array[] = [];
  for (const [start, count] of batchPlan(total, batches)) {
    checkAborted(options.signal);
    const items = batchItems(start, count, batches);
    const out = tf.tidy(() => compute(padBatch(makeBatch(start, count, items), batches)));
    const rows = out.shape[0];
    const all = (await out.data()) as Float32Array;
    out.dispose();
    const values = rows === count ? all : all.subarray(0, (all.length / rows) * count);
    results.push(values);
    onBatch?.(start, values);
    options.onProgress?.(start + count, total);
  }
  checkAborted(options.signal);
  return results;
}

export function concat(parts: Float32Array[]): Float32Array {
  const out = new Float32Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** A [N,classes] mask selecting `target` in each row: picks logits without `gather` (its gradient is missing on wasm). */
export function oneHotRows(n: number, target: number, classes: number): tf.Tensor2D {
  return tf.oneHot(tf.fill([n], target, "int32") as tf.Tensor1D, classes).toFloat() as tf.Tensor2D;
}

/**
 * Gradient of logit[target] w.r.t. each [0,1] input image of `images`
 * ([N,224,224,3]). Images are independent (eval mode), so one backward pass
 * of the summed logits gives every image's own gradient. `rows` ([N,1], from
 * realRows): weights of the rows' seeds (0: a padded row, whose gradient is
 * then exactly 0).
 */
export function logitGradient(model: ResNet, images: tf.Tensor4D, target: number, rows: tf.Tensor2D | null = null): tf.Tensor4D {
  return tf.tidy(() => {
    const mask = rows ? tf.mul(oneHotRows(images.shape[0], target, model.numClasses), rows) : oneHotRows(images.shape[0], target, model.numClasses);
    return tf.grad((x) => tf.sum(tf.mul(model.logits(x as tf.Tensor4D), mask)))(images) as tf.Tensor4D;
  });
}
