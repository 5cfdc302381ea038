// Integrated gradients: average the gradient of the originally predicted
// class's logit along the straight path from a baseline to the image, multiply
// by (image - baseline). The handout's baseline is black, whose path is
// `image * alpha`; other baselines (white, blurred, noise; see baselines.ts)
// use the path `image * alpha + baseline * (1 - alpha)`, which is exactly the
// image at alpha = 1 and exactly the baseline at alpha = 0.
import * as tf from "@tensorflow/tfjs";
import {baselineImage, BASELINE_NAMES, GAUSSIAN_BASELINE_SIGMA, isBaselineName, isNoiseBaseline, type BaselineName} from "./baselines.js";
import {batchesOf, batchItems, batchPlan, checkAborted, imageLogits, oneHotRows, realRows, type Explanation, type MethodOptions, type RunOptions} from "./explanation.js";
import {channelNorm, normalizeMax} from "./image.js";
import type {ResNet} from "./resnet.js";

/** Samples of a noise baseline (uniform, gaussian) averaged by default. */
export const DEFAULT_BASELINE_SAMPLES = 4;

/** The path coefficients linspace(1, 0, M), both ends included. */
export function pathAlphas(steps: number): Float32Array {
  if (!Number.isInteger(steps) || steps < 2) throw new RangeError(`integrated gradients needs an integer number of steps >= 2, got ${steps}`);
  // float32 arithmetic, filled from both ends like torch.linspace(1, 0, M)
  // (the reference's): the first half is 1 + i*step, the second 0 - (M-1-i)*step.
  const f = Math.fround;
  const step = f(-1 / (steps - 1));
  const half = Math.floor(steps / 2);
  return Float32Array.from({length: steps}, (_, i) => (i < half ? f(1 + f(step * i)) : f(0 - f(step * (steps - 1 - i)))));
}

/**
 * Path images for the coefficients `alphas`: `image * alpha` for the black
 * baseline (no baseline given: the handout's arithmetic, unchanged), else
 * `image * alpha + baseline * (1 - alpha)`.
 */
function pathImages(image: tf.Tensor3D, alphas: ArrayLike<number>, baseline?: tf.Tensor3D | null): tf.Tensor4D {
  return tf.tidy(() => {
    const a = tf.tensor4d(Array.from(alphas), [alphas.length, 1, 1, 1]);
    if (!baseline) return tf.mul(image.expandDims(0), a) as tf.Tensor4D;
    const rest = tf.tensor4d(Array.from(alphas, (v) => Math.fround(1 - v)), [alphas.length, 1, 1, 1]);
    return tf.add(tf.mul(image.expandDims(0), a), tf.mul(baseline.expandDims(0), rest)) as tf.Tensor4D;
  });
}

/**
 * The handout's `prepare_integrated_gradients(img, M)`: images `img * a`, a = linspace(1, 0, M); optionally only `start .. start+count-1`.
 * With a `baseline` image: `img * a + baseline * (1 - a)` instead.
 */
export function prepareIntegratedGradients(image: tf.Tensor3D, steps: number, start = 0, count = steps - start, baseline?: tf.Tensor3D | null): tf.Tensor4D {
  const alphas = pathAlphas(steps).slice(start, start + count);
  return pathImages(image, alphas, baseline);
}

export interface IntegratedGradientsOptions extends MethodOptions {
  /** Path images M (>= 2). */
  steps?: number;
  /** The baseline (default "black", the handout's). */
  baseline?: BaselineName;
  /** Noise baselines: samples K whose attributions are averaged (default 4); ignored by the others. */
  baselineSamples?: number;
  /** Noise baselines: seed of the noise (default 0); sample k is the same for every K. */
  seed?: number;
  /** Gaussian baseline: noise standard deviation (default GAUSSIAN_BASELINE_SIGMA = 0.5). */
  baselineSigma?: number;
  /** Also compute the completeness check (one forward pass per baseline sample). */
  completeness?: boolean;
  /**
   * Called after each batch with the map of the gradients so far: the running
   * sum's attributions, normalized like the final map (for a noise baseline,
   * the average over the samples begun). Costs one stem transposed
   * convolution per batch.
   */
  onPartial?: (partial: IntegratedGradientsPartial) => void;
}

/** The map of the first `done` of `total` path gradients (total = K x M for a noise baseline). */
export interface IntegratedGradientsPartial {
  relevance: Float32Array;
  done: number;
  total: number;
}

/** The completeness check: the attributions should add up to f_c(image) - f_c(baseline). */
export interface Completeness {
  /** Sum of the attributions over all pixels and channels (float64 sum of the float32 values). */
  attributionSum: number;
  /** f_c(image): the target logit of the image. */
  imageScore: number;
  /** f_c(baseline), averaged over the samples of a noise baseline. */
  baselineScore: number;
  /** imageScore - baselineScore. */
  scoreDifference: number;
  /** attributionSum - scoreDifference: zero for the exact integral. */
  gap: number;
}

export interface IntegratedGradientsExplanation extends Explanation {
  /** (image - baseline) * mean gradient, [224*224*3] HWC, before the norm (averaged over the samples of a noise baseline). */
  attributions: Float32Array;
  steps: number;
  baseline: BaselineName;
  /** Baseline samples averaged: K for a noise baseline, else 1. */
  baselineSamples: number;
  /** Present when `completeness: true` was asked for. */
  completeness?: Completeness;
}

/**
 * Sum of the gradients of logit[target] over the path images with the given
 * indices (into linspace(1, 0, M)), batch by batch. The caller disposes it.
 * Without `baseline` the path is the handout's `image * alpha` (black).
 *
 * The sum is taken at the stem's pre-activation, and carried back to the
 * input once: that last step (the stem's transposed convolution and the
 * input normalization) is linear, so its sum equals the sum of its results,
 * and it costs one image instead of M (about 7% of a gradient each).
 */
export async function pathGradientSum(model: ResNet, image: tf.Tensor3D, steps: number, target: number, indices: number[], options: RunOptions = {}, baseline?: tf.Tensor3D | null, onSum?: (inputGradientSum: tf.Tensor3D, done: number) => Promise<void>): Promise<tf.Tensor3D> {
  const alphas = pathAlphas(steps);
  const batches = batchesOf(model, options);
  const toInput = (sum: tf.Tensor4D) => tf.tidy(() => model.inputGradientFromStem(sum, [1, ...image.shape]).squeeze([0]) as tf.Tensor3D);
  let stemSum: tf.Tensor4D | null = null;
  try {
    for (const [start, count] of batchPlan(indices.length, batches)) {
      checkAborted(options.signal);
      // Positions into `indices`, padded to the batch size per the batch
      // policy (repeating the last path image): the padded rows' gradient
      // seed is 0, so their gradients are exactly 0 and the sum over all
      // rows is the sum over the real ones.
      const items = batchItems(start, count, batches);
      const previous: tf.Tensor4D | null = stemSum;
      const next: tf.Tensor4D = tf.tidy(() => {
        const pre = model.stemPreActivation(pathImages(image, items.map((k) => alphas[indices[k]]), baseline));
        const valid = realRows(items.length, count);
        const mask = valid ? tf.mul(oneHotRows(items.length, target, model.numClasses), valid) : oneHotRows(items.length, target, model.numClasses);
        const dPre = tf.grad((p) => tf.sum(tf.mul(model.logitsFromStem(p as tf.Tensor4D), mask)))(pre);
        const batchSum = tf.sum(dPre, 0, true) as tf.Tensor4D;
        return previous ? (tf.add(previous, batchSum) as tf.Tensor4D) : batchSum;
      });
      previous?.dispose();
      stemSum = next;
      await next.data(); // one batch at a time on the GPU, and a chance to abort
      if (onSum) {
        const partial = toInput(next);
        await onSum(partial, start + count).finally(() => partial.dispose());
      }
      options.onProgress?.(start + count, indices.length);
    }
    checkAborted(options.signal);
    const sum = stemSum;
    if (!sum) return tf.zeros(image.shape) as tf.Tensor3D;
    return toInput(sum);
  } finally {
    (stemSum as tf.Tensor4D | null)?.dispose();
  }
}

/** From the summed path gradients: attributions (image - black) * mean gradient, and relevance = normalize_max(L2 over RGB). */
export function integratedGradientsRelevance(image: tf.Tensor3D, gradientSum: tf.Tensor3D, steps: number): {attributions: tf.Tensor3D; relevance: tf.Tensor2D} {
  const attributions = tf.tidy(() => tf.mul(image, tf.div(gradientSum, steps)) as tf.Tensor3D);
  const relevance = tf.tidy(() => normalizeMax(channelNorm<tf.Tensor2D>(attributions)));
  return {attributions, relevance};
}

function checkOptions(options: IntegratedGradientsOptions): {steps: number; baseline: BaselineName; samples: number; seed: number; sigma: number} {
  const steps = options.steps ?? 20;
  pathAlphas(steps); // validates `steps` before any work
  const baseline = options.baseline ?? "black";
  if (!isBaselineName(baseline)) throw new RangeError(`unknown baseline ${String(baseline)}: use one of ${BASELINE_NAMES.join(", ")}`);
  const samples = options.baselineSamples ?? DEFAULT_BASELINE_SAMPLES;
  if (!Number.isInteger(samples) || samples < 1) throw new RangeError(`baseline samples must be an integer >= 1, got ${samples}`);
  const seed = options.seed ?? 0;
  if (!Number.isInteger(seed)) throw new RangeError(`seed must be an integer, got ${seed}`);
  const sigma = options.baselineSigma ?? GAUSSIAN_BASELINE_SIGMA;
  if (!(sigma >= 0) || !Number.isFinite(sigma)) throw new RangeError(`baseline sigma must be a finite number >= 0, got ${sigma}`);
  return {steps, baseline, samples: isNoiseBaseline(baseline) ? samples : 1, seed, sigma};
}

/** logit[target] of one image. */
async function targetLogit(model: ResNet, image: tf.Tensor3D, target: number): Promise<number> {
  const t = tf.tidy(() => model.logits(image.expandDims(0) as tf.Tensor4D));
  const logits = await t.data();
  t.dispose();
  return logits[target];
}

function sumOf(values: Float32Array): number {
  let s = 0;
  for (let i = 0; i < values.length; i++) s += values[i];
  return s;
}

/**
 * Integrated gradients with M steps from a baseline (default black: exactly
 * the handout's computation). For a noise baseline the attributions
 * (image - b_k) * mean gradient along the path from b_k are averaged over K
 * samples b_k, then reduced like any other: relevance = normalize_max(L2 over
 * RGB). `completeness: true` adds the completeness check.
 */
export async function integratedGradients(model: ResNet, image: tf.Tensor3D, options: IntegratedGradientsOptions = {}): Promise<IntegratedGradientsExplanation> {
  const {steps, baseline, samples, seed, sigma} = checkOptions(options);
  const {logits, predicted} = await imageLogits(model, image);
  const target = options.target ?? predicted;
  const all = Array.from({length: steps}, (_, i) => i);
  let attributionsTensor: tf.Tensor3D;
  let relevanceTensor: tf.Tensor2D;
  const baselineScores: number[] = [];
  // The running map: attributions of the gradients so far (`earlier`: the
  // finished samples' attributions, summed), normalized like the final map.
  const partialMap = options.onPartial && (async (difference: tf.Tensor3D, gradientSum: tf.Tensor3D, done: number, earlier: tf.Tensor3D | null, k: number) => {
    const map = tf.tidy(() => {
      let attributions = tf.mul(difference, tf.div(gradientSum, done)) as tf.Tensor3D;
      if (earlier) attributions = tf.div(tf.add(earlier, attributions), k + 1) as tf.Tensor3D;
      return normalizeMax(channelNorm<tf.Tensor2D>(attributions));
    });
    const relevance = (await map.data()) as Float32Array;
    map.dispose();
    options.onPartial!({relevance, done: k * steps + done, total: samples * steps});
  });
  if (baseline === "black") {
    // The handout's path and arithmetic, unchanged (fixture parity).
    const onSum = partialMap && ((sum: tf.Tensor3D, done: number) => partialMap(image, sum, done, null, 0));
    const sum = await pathGradientSum(model, image, steps, target, all, options, null, onSum);
    const ig = integratedGradientsRelevance(image, sum, steps);
    sum.dispose();
    ({attributions: attributionsTensor, relevance: relevanceTensor} = ig);
    if (options.completeness) {
      const black = tf.zerosLike(image);
      baselineScores.push(await targetLogit(model, black, target).finally(() => black.dispose()));
    }
  } else {
    let total = tf.zeros(image.shape) as tf.Tensor3D;
    try {
      for (let k = 0; k < samples; k++) {
        const b = baselineImage(baseline, image, k, {seed, sigma});
        try {
          const onProgress = options.onProgress && ((done: number) => options.onProgress!(k * steps + done, samples * steps));
          const difference = partialMap && (tf.sub(image, b) as tf.Tensor3D);
          const onSum = partialMap && ((sum: tf.Tensor3D, done: number) => partialMap(difference!, sum, done, k > 0 ? total : null, k));
          const sum = await pathGradientSum(model, image, steps, target, all, {...options, onProgress}, b, onSum).finally(() => difference?.dispose());
          const next = tf.tidy(() => tf.add(total, tf.mul(tf.sub(image, b), tf.div(sum, steps))) as tf.Tensor3D);
          sum.dispose();
          total.dispose();
          total = next;
          if (options.completeness) baselineScores.push(await targetLogit(model, b, target));
        } finally {
          b.dispose();
        }
      }
    } catch (e) {
      total.dispose();
      throw e;
    }
    attributionsTensor = samples === 1 ? total : tf.tidy(() => tf.div(total, samples) as tf.Tensor3D);
    if (samples !== 1) total.dispose();
    relevanceTensor = tf.tidy(() => normalizeMax(channelNorm<tf.Tensor2D>(attributionsTensor)));
  }
  const [attributions, relevance] = (await Promise.all([attributionsTensor.data(), relevanceTensor.data()])) as Float32Array[];
  tf.dispose([attributionsTensor, relevanceTensor]);
  const result: IntegratedGradientsExplanation = {logits, predicted, target, relevance, attributions, steps, baseline, baselineSamples: samples};
  if (options.completeness) {
    const attributionSum = sumOf(attributions);
    const imageScore = logits[target];
    const baselineScore = baselineScores.reduce((a, b) => a + b, 0) / baselineScores.length;
    const scoreDifference = imageScore - baselineScore;
    result.completeness = {attributionSum, imageScore, baselineScore, scoreDifference, gap: attributionSum - scoreDifference};
  }
  return result;
}
