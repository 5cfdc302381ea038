// Integrated gradients with a black baseline: average the gradient of the
// originally predicted class's logit along the straight path from the image
// to black, multiply by (image - baseline).
import * as tf from "@tensorflow/tfjs";
import {checkAborted, imageLogits, logitGradient, type Explanation, type MethodOptions} from "./explanation.js";
import {channelNorm, normalizeMax} from "./image.js";
import type {ResNet18} from "./resnet18.js";

/** The path coefficients linspace(1, 0, M), both ends included. */
export function pathAlphas(steps: number): Float32Array {
  if (!Number.isInteger(steps) || steps < 2) throw new RangeError(`integrated gradients needs an integer number of steps >= 2, got ${steps}`);
  // numpy's linspace: start + i * step, with the last value exactly `stop`.
  return Float32Array.from({length: steps}, (_, i) => (i === steps - 1 ? 0 : 1 + i * (-1 / (steps - 1))));
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

export async function integratedGradients(model: ResNet18, image: tf.Tensor3D, options: IntegratedGradientsOptions = {}): Promise<IntegratedGradientsExplanation> {
  const steps = options.steps ?? 20;
  pathAlphas(steps); // validates `steps` before any work
  const {logits, predicted} = await imageLogits(model, image);
  const target = options.target ?? predicted;
  const batchSize = Math.max(1, Math.floor(options.batchSize ?? 8));
  // Sum of gradients over the path, accumulated batch by batch.
  let sum = tf.zeros(image.shape) as tf.Tensor3D;
  try {
    for (let start = 0; start < steps; start += batchSize) {
      checkAborted(options.signal);
      const count = Math.min(batchSize, steps - start);
      const next = tf.tidy(() => tf.add(sum, tf.sum(logitGradient(model, prepareIntegratedGradients(image, steps, start, count), target), 0)) as tf.Tensor3D);
      sum.dispose();
      sum = next;
      await sum.data(); // one batch at a time on the GPU, and a chance to abort
      options.onProgress?.(start + count, steps);
    }
    checkAborted(options.signal);
    const attributionsTensor = tf.tidy(() => tf.mul(image, tf.div(sum, steps)) as tf.Tensor3D);
    const relevanceTensor = tf.tidy(() => normalizeMax(channelNorm<tf.Tensor2D>(attributionsTensor)));
    const [attributions, relevance] = (await Promise.all([attributionsTensor.data(), relevanceTensor.data()])) as Float32Array[];
    tf.dispose([attributionsTensor, relevanceTensor]);
    return {logits, predicted, target, relevance, attributions, steps};
  } finally {
    sum.dispose();
  }
}
