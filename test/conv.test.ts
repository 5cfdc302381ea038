// The forward-kernel input gradient of a convolution (src/lib/conv.ts) equals
// tfjs's own conv gradient, for every stride/padding the model uses, on the
// polyphase path (stride 2, even sizes: four correlations, or one combined
// correlation for <= 4 input channels like the stem) and the zero-dilation
// path (odd sizes).
import {expect, it} from "vitest";
import {initTf} from "../src/data/node/tf.js";
import {Conv, DILATED_GRADIENT} from "../src/lib/conv.js";
import {stemMaxPool} from "../src/lib/max-pool.js";

it.each([
  [7, 3, 2, 32, 3], [7, 3, 2, 33, 3], [3, 1, 2, 16, 3], [3, 1, 2, 15, 3], [1, 0, 2, 16, 3], [1, 0, 2, 13, 3], [3, 1, 1, 12, 3],
  [7, 3, 2, 32, 6], [3, 1, 2, 16, 6], [1, 0, 2, 16, 6], [3, 1, 1, 12, 6],
])("kernel %i, pad %i, stride %i, size %i, %i input channels", async (k, pad, stride, size, channels) => {
  const tf = await initTf("cpu");
  const filter = tf.randomNormal([k, k, channels, 5], 0, 1, "float32", 7) as import("@tensorflow/tfjs").Tensor4D;
  const conv = new Conv({filter, bias: tf.randomNormal([5], 0, 1, "float32", 8) as import("@tensorflow/tfjs").Tensor1D, stride, pad, relu: true});
  const x = tf.randomNormal([2, size, size, channels], 0, 1, "float32", 9);
  const out = Math.floor((size + 2 * pad - k) / stride) + 1;
  const weights = tf.randomNormal([2, out, out, 5], 0, 1, "float32", 10);
  const reference = tf.grad((input) => tf.relu(tf.add(tf.conv2d(input as import("@tensorflow/tfjs").Tensor4D, filter, stride, [[0, 0], [pad, pad], [pad, pad], [0, 0]]), conv.spec.bias)).mul(weights).sum())(x);
  for (const dilated of [false, true]) {
    DILATED_GRADIENT.value = dilated;
    const ours = tf.grad((input) => conv.apply(input as import("@tensorflow/tfjs").Tensor4D).mul(weights).sum())(x);
    expect(tf.max(tf.abs(tf.sub(ours, reference))).dataSync()[0], `dilated=${dilated}`).toBeLessThan(1e-4);
  }
  DILATED_GRADIENT.value = false;
});

it("the stem max pool routes a tied window's gradient to its first maximum, like PyTorch", async () => {
  const tf = await initTf("cpu");
  const g = tf.grad((x) => stemMaxPool(x as import("@tensorflow/tfjs").Tensor4D).sum())(tf.ones([1, 4, 4, 1]));
  // Windows (padded rows/cols 0-2 and 2-4) all tie at 1: each picks its first element.
  expect(Array.from(g.dataSync())).toEqual([1, 1, 0, 0, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
  const x = tf.randomUniform([2, 9, 7, 3], 0, 1, "float32", 3);
  const w = tf.randomUniform([2, 5, 4, 3], 0, 1, "float32", 4);
  const ours = tf.grad((v) => stemMaxPool(v as import("@tensorflow/tfjs").Tensor4D).mul(w).sum())(x);
  const builtin = tf.grad((v) => tf.maxPool(tf.pad(v as import("@tensorflow/tfjs").Tensor4D, [[0, 0], [1, 1], [1, 1], [0, 0]]), 3, 2, "valid").mul(w).sum())(x);
  expect(tf.max(tf.abs(tf.sub(ours, builtin))).dataSync()[0]).toBeLessThan(1e-6); // no ties in random data
});
