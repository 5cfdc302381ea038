// Gradient norm and gradient x input: the gradient of the explained class's
// logit w.r.t. the [0,1] image (before mean/std normalization), reduced to one
// value per pixel by the L2 norm over RGB.
import * as tf from "@tensorflow/tfjs";
import {imageLogits, logitGradient, type Explanation, type MethodOptions} from "./explanation.js";
import {channelNorm, normalizeMax} from "./image.js";
import type {ResNet} from "./resnet.js";

export interface GradientExplanation extends Explanation {
  /** The raw gradient [224*224*3] (HWC), for showing per-channel magnitudes. */
  gradient: Float32Array;
}

/** Relevance of gradient norm from a gradient [H,W,3]. */
export function gradRelevance(gradient: tf.Tensor3D): tf.Tensor2D {
  return tf.tidy(() => normalizeMax(channelNorm<tf.Tensor2D>(gradient)));
}

/** Relevance of gradient x input from a gradient [H,W,3] and the image. */
export function gradXInputRelevance(gradient: tf.Tensor3D, image: tf.Tensor3D): tf.Tensor2D {
  return tf.tidy(() => normalizeMax(channelNorm<tf.Tensor2D>(tf.mul(gradient, image))));
}

async function explainWithGradient(
  model: ResNet,
  image: tf.Tensor3D,
  options: MethodOptions,
  toRelevance: (gradient: tf.Tensor3D) => tf.Tensor2D,
): Promise<GradientExplanation> {
  // The logits come from the plain (fused) forward pass, as every other
  // method's do: inside tf.grad tfjs un-fuses conv + ReLU, which rounds the
  // logits differently (by ~1e-6), and a method's numbers must not depend on
  // which pass reported them.
  const {logits, predicted} = await imageLogits(model, image);
  const target = options.target ?? predicted;
  const gradientTensor = tf.tidy(() => logitGradient(model, image.expandDims(0) as tf.Tensor4D, target).squeeze([0]) as tf.Tensor3D);
  const relevanceTensor = toRelevance(gradientTensor);
  const [gradient, relevance] = (await Promise.all([gradientTensor.data(), relevanceTensor.data()])) as Float32Array[];
  tf.dispose([gradientTensor, relevanceTensor]);
  options.onProgress?.(1, 1);
  return {logits, predicted, target, relevance, gradient};
}

/** Gradient norm: |d logit / d x| (L2 over RGB), normalize_max. */
export function grad(model: ResNet, image: tf.Tensor3D, options: MethodOptions = {}): Promise<GradientExplanation> {
  return explainWithGradient(model, image, options, gradRelevance);
}

/** Gradient x input: |x * d logit / d x| (L2 over RGB), normalize_max. */
export function gradXInput(model: ResNet, image: tf.Tensor3D, options: MethodOptions = {}): Promise<GradientExplanation> {
  return explainWithGradient(model, image, options, (g) => gradXInputRelevance(g, image));
}
