// GradCAM on the last stage (layer4 in torchvision): weight each of its
// feature maps (7x7; 512 in a ResNet-18, 2048 in a ResNet-50) by the mean
// gradient of the class logit w.r.t. it, sum, ReLU, upsample to the image.
import * as tf from "@tensorflow/tfjs";
import {argmax, oneHotRows, type Explanation, type MethodOptions} from "./explanation.js";
import {normalizeMax, resizeMap} from "./image.js";
import type {ResNet} from "./resnet.js";

export interface GradCamExplanation extends Explanation {
  /** ReLU(sum_k alpha_k A_k) on the 7x7 grid, before upsampling. */
  cam: Float32Array;
  camSize: number;
}

/** GradCAM from the last stage's features [1,7,7,C] already computed; `size`: the image side to upsample to. */
export async function gradCamFromFeatures(model: ResNet, features: tf.Tensor4D, target: number, size: number): Promise<{cam: Float32Array; camSize: number; relevance: Float32Array}> {
  const camTensor = tf.tidy(() => {
    const mask = oneHotRows(1, target, model.numClasses);
    const dA = tf.grad((a) => tf.sum(tf.mul(model.head(a as tf.Tensor4D), mask)))(features);
    const alpha = tf.mean(dA, [1, 2], true); // [1,1,1,C]: mean gradient per feature map
    return tf.relu(tf.sum(tf.mul(alpha, features), -1)).squeeze([0]) as tf.Tensor2D; // [7,7]
  });
  const relevanceTensor = tf.tidy(() => normalizeMax(resizeMap(camTensor, size)));
  const [cam, relevance] = (await Promise.all([camTensor.data(), relevanceTensor.data()])) as Float32Array[];
  const camSize = camTensor.shape[0];
  tf.dispose([camTensor, relevanceTensor]);
  return {cam, camSize, relevance};
}

export async function gradCam(model: ResNet, image: tf.Tensor3D, options: MethodOptions = {}): Promise<GradCamExplanation> {
  const features = tf.tidy(() => model.features(image.expandDims(0) as tf.Tensor4D));
  try {
    const logitsTensor = model.head(features);
    const logits = (await logitsTensor.data()) as Float32Array;
    logitsTensor.dispose();
    const predicted = argmax(logits);
    const target = options.target ?? predicted;
    const {cam, camSize, relevance} = await gradCamFromFeatures(model, features, target, image.shape[0]);
    options.onProgress?.(1, 1);
    return {logits, predicted, target, relevance, cam, camSize};
  } finally {
    features.dispose();
  }
}
