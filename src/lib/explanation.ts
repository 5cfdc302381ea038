// What every attribution method shares: its options, its result, and the
// batched, cancellable loop that pushes many images through the model.
import * as tf from "@tensorflow/tfjs";
import type {ResNet18} from "./resnet18.js";

export interface RunOptions {
  /** Images per model call (occlusion patches, IG path images, deletion steps). */
  batchSize?: number;
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
  /** The 10 logits of the unmodified image. */
  logits: Float32Array;
  /** argmax of `logits`. */
  predicted: number;
  /** The class explained (the target, or `predicted`). */
  target: number;
  /** 224*224 relevance, row-major, after the method's normalization. */
  relevance: Float32Array;
}

export const DEFAULT_BATCH_SIZE = 8;

let defaultBatchSize = DEFAULT_BATCH_SIZE;

/**
 * The batch size of calls that do not give one (the browser runtime sets it
 * from the page's `?batch=` parameter, to test or relieve GPU memory
 * pressure). Non-integers are floored; values below 1 or non-numbers throw.
 */
export function setDefaultBatchSize(size: number): number {
  const n = Math.floor(size);
  if (!Number.isFinite(n) || n < 1) throw new RangeError(`batch size must be a number >= 1, got ${size}`);
  defaultBatchSize = n;
  return n;
}

/** The batch size a call uses: its own `batchSize`, else the default (at least 1). */
export function batchSizeOf(options: RunOptions): number {
  return Math.max(1, Math.floor(options.batchSize ?? defaultBatchSize));
}

export function argmax(values: ArrayLike<number>): number {
  let best = 0;
  for (let i = 1; i < values.length; i++) if (values[i] > values[best]) best = i;
  return best;
}

export function softmax(logits: ArrayLike<number>): Float32Array {
  const max = Math.max(...Array.from(logits));
  const exps = Array.from(logits, (v) => Math.exp(v - max));
  const sum = exps.reduce((a, b) => a + b, 0);
  return Float32Array.from(exps, (e) => e / sum);
}

export function checkAborted(signal?: AbortSignal): void {
  if (signal?.aborted) throw signal.reason ?? new DOMException("aborted", "AbortError");
}

/** Logits of one [224,224,3] image, read back. */
export async function imageLogits(model: ResNet18, image: tf.Tensor3D): Promise<{logits: Float32Array; predicted: number}> {
  const t = tf.tidy(() => model.logits(image.expandDims(0) as tf.Tensor4D));
  const logits = (await t.data()) as Float32Array;
  t.dispose();
  return {logits, predicted: argmax(logits)};
}

/**
 * Runs `makeBatch(start, count)` -> `compute(batch)` over `total` items in
 * batches, reading each result back before the next (so the browser stays
 * responsive and GPU memory stays bounded). Returns the concatenated values.
 */
export async function runBatched(
  total: number,
  makeBatch: (start: number, count: number) => tf.Tensor,
  compute: (batch: tf.Tensor) => tf.Tensor,
  options: RunOptions = {},
): Promise<Float32Array[]> {
  const batchSize = batchSizeOf(options);
  const results: Float32Array[] = [];
  for (let start = 0; start < total; start += batchSize) {
    checkAborted(options.signal);
    const count = Math.min(batchSize, total - start);
    const out = tf.tidy(() => compute(makeBatch(start, count)));
    results.push((await out.data()) as Float32Array);
    out.dispose();
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

/** A [N,10] mask selecting `target` in each row: picks logits without `gather` (its gradient is missing on wasm). */
export function oneHotRows(n: number, target: number): tf.Tensor2D {
  return tf.oneHot(tf.fill([n], target, "int32") as tf.Tensor1D, 10).toFloat() as tf.Tensor2D;
}

/**
 * Gradient of logit[target] w.r.t. each [0,1] input image of `images`
 * ([N,224,224,3]). Images are independent (eval mode), so one backward pass
 * of the summed logits gives every image's own gradient.
 */
export function logitGradient(model: ResNet18, images: tf.Tensor4D, target: number): tf.Tensor4D {
  return tf.tidy(() => {
    const mask = oneHotRows(images.shape[0], target);
    return tf.grad((x) => tf.sum(tf.mul(model.logits(x as tf.Tensor4D), mask)))(images) as tf.Tensor4D;
  });
}
