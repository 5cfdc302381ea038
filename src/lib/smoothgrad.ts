// SmoothGrad (Smilkov, Thorat, Kim, Viégas and Wattenberg, 2017): average an
// attribution over noisy copies of the image, x + N(0, sigma^2), to wash out
// the gradient's pixel-to-pixel grain.
//
// Precisely, for n samples eps_i ~ N(0, sigma^2) per value (seeded, see
// baselines.ts), sigma = noise level * the input range (1 for [0, 1] images):
//  - grad:                 mean_i  grad f_c(x + eps_i)
//  - grad_x_input:         mean_i  (x + eps_i) * grad f_c(x + eps_i)
//  - integrated_gradients: mean_i  IG(x + eps_i), black baseline, M steps
// that is, the paper's generic rule "average the method's own raw
// (signed, per channel) attribution at each noisy copy", then the method's
// usual reduction: L2 norm over RGB, divided by the maximum. The noisy copies
// are not clipped to [0, 1] (as in the paper). The class c is the one
// predicted for the clean image (or the given target), the same for every
// copy. With n = 1 and noise 0 the result is exactly the plain method's.
import * as tf from "@tensorflow/tfjs";
import {gaussianNoise, sampleSeed} from "./baselines.js";
import {batchesOf, batchItems, checkAborted, imageLogits, logitGradient, realRows, type Explanation, type MethodOptions} from "./explanation.js";
import {channelNorm, normalizeMax} from "./image.js";
import {pathAlphas, pathGradientSum} from "./integrated-gradients.js";
import type {ResNet} from "./resnet.js";
import {seededRandom} from "./statistics.js";

export const SMOOTHGRAD_METHODS = ["grad", "grad_x_input", "integrated_gradients"] as const;
export type SmoothGradMethod = (typeof SMOOTHGRAD_METHODS)[number];

/** The [0, 1] images' range: sigma = noise level * INPUT_RANGE. */
export const INPUT_RANGE = 1;

export interface SmoothGradOptions extends MethodOptions {
  /** The attribution averaged (default "grad"). */
  method?: SmoothGradMethod;
  /** Noisy copies n (integer >= 1, default 10). */
  samples?: number;
  /** Noise level: sigma as a fraction of the input range (>= 0, default 0.15; the paper finds 0.1-0.2 best). */
  noise?: number;
  /** Seed of the noise (default 0): copy i is the same for every n. */
  seed?: number;
  /** Integrated gradients: path images M per copy (default 20). */
  steps?: number;
}

export interface SmoothGradExplanation extends Explanation {
  method: SmoothGradMethod;
  samples: number;
  /** The noise level asked for, and sigma = noise * INPUT_RANGE. */
  noise: number;
  sigma: number;
  /** The averaged raw attribution, [224*224*3] HWC, before the norm. */
  attributions: Float32Array;
}

function checkOptions(options: SmoothGradOptions): {method: SmoothGradMethod; samples: number; noise: number; seed: number; steps: number} {
  const method = options.method ?? "grad";
  if (!(SMOOTHGRAD_METHODS as readonly string[]).includes(method)) throw new RangeError(`SmoothGrad works on ${SMOOTHGRAD_METHODS.join(", ")}, not ${String(method)}`);
  const samples = options.samples ?? 10;
  if (!Number.isInteger(samples) || samples < 1) throw new RangeError(`SmoothGrad needs an integer number of samples >= 1, got ${samples}`);
  const noise = options.noise ?? 0.15;
  if (!(noise >= 0) || !Number.isFinite(noise)) throw new RangeError(`SmoothGrad noise level must be a finite number >= 0, got ${noise}`);
  const seed = options.seed ?? 0;
  if (!Number.isInteger(seed)) throw new RangeError(`seed must be an integer, got ${seed}`);
  const steps = options.steps ?? 20;
  if (method === "integrated_gradients") pathAlphas(steps); // validates M
  return {method, samples, noise, seed, steps};
}

/** The noise of copy i: N(0, sigma^2) per value, from the seeded stream of sample i. */
export function smoothGradNoise(size: number, sigma: number, seed: number, i: number): Float32Array {
  return gaussianNoise(seededRandom(sampleSeed(seed, i)), size, sigma);
}

/**
 * Noisy copies `start .. start+count-1` of `image`: x + N(0, sigma^2),
 * sigma = noise * INPUT_RANGE, not clipped. [count, H, W, 3]; the caller
 * disposes it. `copies`: the copies to make instead of `start .. start+count-1`
 * (a padded batch repeats its last copy, see batchItems).
 */
export function prepareSmoothGrad(image: tf.Tensor3D, noise: number, start: number, count: number, seed = 0, copies?: number[]): tf.Tensor4D {
  if (!(noise >= 0) || !Number.isFinite(noise)) throw new RangeError(`SmoothGrad noise level must be a finite number >= 0, got ${noise}`);
  if (!Number.isInteger(start) || !Number.isInteger(count) || start < 0 || count < 1) throw new RangeError(`bad range of noisy copies: start ${start}, count ${count}`);
  const sigma = noise * INPUT_RANGE;
  const size = image.size;
  const list = copies ?? Array.from({length: count}, (_, j) => start + j);
  const all = new Float32Array(list.length * size);
  list.forEach((i, j) => all.set(j > 0 && list[j - 1] === i ? all.subarray((j - 1) * size, j * size) : smoothGradNoise(size, sigma, seed, i), j * size));
  return tf.tidy(() => tf.add(image.expandDims(0), tf.tensor4d(all, [list.length, ...image.shape])) as tf.Tensor4D);
}

/**
 * SmoothGrad of `method` (see the top of this file). Work: n gradients for
 * grad and grad_x_input, n * M for integrated gradients, in batches of
 * `batchSize` images; onProgress counts gradients.
 */
export async function smoothGrad(model: ResNet, image: tf.Tensor3D, options: SmoothGradOptions = {}): Promise<SmoothGradExplanation> {
  const {method, samples, noise, seed, steps} = checkOptions(options);
  const {logits, predicted} = await imageLogits(model, image);
  const target = options.target ?? predicted;
  let sum = tf.zeros(image.shape) as tf.Tensor3D;
  try {
    if (method === "integrated_gradients") {
      const all = Array.from({length: steps}, (_, i) => i);
      for (let i = 0; i < samples; i++) {
        checkAborted(options.signal);
        const noisy = tf.tidy(() => prepareSmoothGrad(image, noise, i, 1, seed).squeeze([0]) as tf.Tensor3D);
        try {
          const onProgress = options.onProgress && ((done: number) => options.onProgress!(i * steps + done, samples * steps));
          const gradientSum = await pathGradientSum(model, noisy, steps, target, all, {...options, onProgress});
          // IG of the noisy copy, black baseline: (x + eps) * mean gradient, as integratedGradientsRelevance.
          const next = tf.tidy(() => tf.add(sum, tf.mul(noisy, tf.div(gradientSum, steps))) as tf.Tensor3D);
          gradientSum.dispose();
          sum.dispose();
          sum = next;
        } finally {
          noisy.dispose();
        }
      }
    } else {
      const batches = batchesOf(model, options);
      const batchSize = batches.size;
      for (let start = 0; start < samples; start += batchSize) {
        checkAborted(options.signal);
        const count = Math.min(batchSize, samples - start);
        // Padded to the batch size per the batch policy (batchItems); the
        // padded copies' gradients are exactly 0 (realRows), so the sum over
        // all rows is the sum over the real copies.
        const copies = batchItems(start, count, batches);
        const next = tf.tidy(() => {
          const noisy = prepareSmoothGrad(image, noise, start, count, seed, copies);
          const gradient = logitGradient(model, noisy, target, realRows(copies.length, count));
          const raw = method === "grad" ? gradient : tf.mul(noisy, gradient);
          return tf.add(sum, tf.sum(raw, 0)) as tf.Tensor3D;
        });
        sum.dispose();
        sum = next;
        await sum.data(); // one batch at a time, and a chance to abort
        options.onProgress?.(start + count, samples);
      }
    }
    checkAborted(options.signal);
  } catch (e) {
    sum.dispose();
    throw e;
  }
  const meanTensor = tf.tidy(() => tf.div(sum, samples) as tf.Tensor3D);
  sum.dispose();
  const relevanceTensor = tf.tidy(() => normalizeMax(channelNorm<tf.Tensor2D>(meanTensor)));
  const [attributions, relevance] = (await Promise.all([meanTensor.data(), relevanceTensor.data()])) as Float32Array[];
  tf.dispose([meanTensor, relevanceTensor]);
  return {logits, predicted, target, relevance, attributions, method, samples, noise, sigma: noise * INPUT_RANGE};
}
