// Calling a method again and again must not leak tensors.
import {beforeAll, expect, it} from "vitest";
import type * as TF from "@tensorflow/tfjs";
import {deletionCurve} from "../src/lib/deletion.js";
import {gradCam} from "../src/lib/grad-cam.js";
import {grad, gradXInput} from "../src/lib/gradient.js";
import {integratedGradients} from "../src/lib/integrated-gradients.js";
import {occlusion} from "../src/lib/occlusion.js";
import type {ResNet18} from "../src/lib/resnet18.js";
import {fixtureImage, setup} from "./helpers/model.js";

let tf: typeof TF;
let model: ResNet18;
beforeAll(async () => ({tf, model} = await setup()));

it("10 calls of each method leave tf.memory().numTensors unchanged", async () => {
  // A 64x64 image (the model is fully convolutional): same code paths, 12x less work.
  const full = fixtureImage(5);
  const image = tf.image.resizeBilinear(full, [64, 64]) as TF.Tensor3D;
  full.dispose();
  const calls: [string, () => Promise<{relevance: Float32Array}>][] = [
    ["occlusion", () => occlusion(model, image, {steps: 2, batchSize: 3})],
    ["grad", () => grad(model, image)],
    ["grad_x_input", () => gradXInput(model, image)],
    ["grad_cam", () => gradCam(model, image)],
    ["integrated_gradients", () => integratedGradients(model, image, {steps: 2, batchSize: 2})],
  ];
  for (const [name, call] of calls) {
    const {relevance} = await call(); // warm-up: backends may cache constants on first use
    const before = tf.memory().numTensors;
    for (let k = 0; k < 10; k++) await call();
    expect(tf.memory().numTensors, name).toBe(before);
    if (name === "grad") {
      const deletionBefore = tf.memory().numTensors;
      for (let k = 0; k < 10; k++) await deletionCurve(model, image, relevance, {steps: 3, batchSize: 2});
      expect(tf.memory().numTensors, "deletion").toBe(deletionBefore);
    }
  }
  image.dispose();
});

it("an aborted run rejects and leaks nothing", async () => {
  const image = fixtureImage(6);
  const before = tf.memory().numTensors;
  const controller = new AbortController();
  const run = occlusion(model, image, {steps: 4, batchSize: 2, signal: controller.signal, onProgress: (done) => done >= 4 && controller.abort(new Error("slider moved"))});
  await expect(run).rejects.toThrow("slider moved");
  const ig = integratedGradients(model, image, {steps: 6, batchSize: 2, signal: AbortSignal.abort(new Error("stale"))});
  await expect(ig).rejects.toThrow("stale");
  expect(tf.memory().numTensors).toBe(before);
  image.dispose();
});
