// Integrated gradients with a black baseline: average the gradient of the
// originally predicted class's logit along the straight path from the image
// to black, multiply by (image - baseline).
import * as tf from "@tensorflow/tfjs";
import {batchSizeOf, checkAborted, imageLogits, logitGradient, type Explanation, type MethodOptions, type RunOptions} from "./explanation.js";
import {channelNorm, normalizeMax} from "./image.js";
import type {ResNet18} from "./resnet18.js";

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

/** The handout's `prepare_integrated_gradients(img, M)`: images `img * a`, a = linspace(1, 0, M); optionally only `start .. start+count-1`. */
export function prepareIntegratedGradients(image: tf.Tensor3D, steps: number, start = 0, count = steps - start): tf.Tensor4D {
  const alphas = pathAlphas(steps).slice(start, start + count);
  return tf.tidy(() => tf.mul(image.expandDims(0), tf.tensor4d(alphas, [count, 1, 1, 1])) as tf.Tensor4D);
}

export interface IntegratedGradientsOptions extends MethodOptions {
  /** Path images M (>= 2). */
  steps?: number;
}

export interface IntegratedGradientsExplanation extends Explanation {
  /** (image - baseline) * mean gradient, [224*224*3] HWC, before the norm. */
  attributions: Float32Array;
  steps: number;
}

/**
 * Sum of the gradients of logit[target] over the path images with the given
 * indices (into linspace(1, 0, M)), batch by batch. The caller disposes it.
 */
export async function pathGradientSum(model: ResNet18, image: tf.Tensor3D, steps: number, target: number, indices: number[], options: RunOptions = {}): Promise<tf.Tensor3D> {
  const alphas = pathAlphas(steps);
  const batchSize = batchSizeOf(options);
  let sum = tf.zeros(image.shape) as tf.Tensor3D;
  try {
    for (let start = 0; start < indices.length; start += batchSize) {
      checkAborted(options.signal);
      const chunk = indices.slice(start, start + batchSize);
      const next = tf.tidy(() => {
        const path = tf.mul(image.expandDims(0), tf.tensor4d(chunk.map((i) => alphas[i]), [chunk.length, 1, 1, 1])) as tf.Tensor4D;
        return tf.add(sum, tf.sum(logitGradient(model, path, target), 0)) as tf.Tensor3D;
      });
      sum.dispose();
      sum = next;
      await sum.data(); // one batch at a time on the GPU, and a chance to abort
      options.onProgress?.(start + chunk.length, indices.length);
    }
    checkAborted(options.signal);
    return sum;
  } catch (e) {
    sum.dispose();
    throw e;
  }
}

/** From the summed path gradients: attributions (image - black) * mean gradient, and relevance = normalize_max(L2 over RGB). */
export function integratedGradientsRelevance(image: tf.Tensor3D, gradientSum: tf.Tensor3D, steps: number): {attributions: tf.Tensor3D; relevance: tf.Tensor2D} {
  const attributions = tf.tidy(() => tf.mul(image, tf.div(gradientSum, steps)) as tf.Tensor3D);
  const relevance = tf.tidy(() => normalizeMax(channelNorm<tf.Tensor2D>(attributions)));
  return {attributions, relevance};
}

export async function integratedGradients(model: ResNet18, image: tf.Tensor3D, options: IntegratedGradientsOptions = {}): Promise<IntegratedGradientsExplanation> {
  const steps = options.steps ?? 20;
  pathAlphas(steps); // validates `steps` before any work
  const {logits, predicted} = await imageLogits(model, image);
  const target = options.target ?? predicted;
  const sum = await pathGradientSum(model, image, steps, target, Array.from({length: steps}, (_, i) => i), options);
  const ig = integratedGradientsRelevance(image, sum, steps);
  sum.dispose();
  const [attributions, relevance] = (await Promise.all([ig.attributions.data(), ig.relevance.data()])) as Float32Array[];
  tf.dispose([ig.attributions, ig.relevance]);
  return {logits, predicted, target, relevance, attributions, steps};
}
