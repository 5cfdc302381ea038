// SmoothGrad on gradient norm, gradient x input and integrated gradients.
//  - n = 1 with noise 0 is exactly the plain method;
//  - the noise has the standard deviation asked for (generator and noisy copies);
//  - seeded: the same seed gives the same map, another seed another one;
//  - it does smooth: the map's pixel-to-pixel variation drops (measured);
//  - batching does not change the result; onProgress counts gradients;
//  - no leaks, aborts, and bad arguments throw RangeError.
import {beforeAll, describe, expect, it} from "vitest";
import type * as TF from "@tensorflow/tfjs";
import {gaussianNoise, sampleSeed} from "../src/lib/baselines.js";
import {grad, gradXInput} from "../src/lib/gradient.js";
import {integratedGradients} from "../src/lib/integrated-gradients.js";
import type {ResNet18} from "../src/lib/resnet18.js";
import {prepareSmoothGrad, smoothGrad, smoothGradNoise} from "../src/lib/smoothgrad.js";
import {mean, seededRandom, std} from "../src/lib/statistics.js";
import {maxAbsDiff} from "./helpers/fixtures.js";
import {fixtureImage, setup, smallFixtureImage} from "./helpers/model.js";

let tf: typeof TF;
let model: ResNet18;
beforeAll(async () => ({tf, model} = await setup()));

const smallImage = smallFixtureImage;

function differing(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let n = 0;
  for (let i = 0; i < a.length; i++) if (!(a[i] === b[i])) n++;
  return n;
}

/** Mean |R(y, x) - R(y, x+1)| over the mean of R: how grainy a 224x224 map is. */
function graininess(r: Float32Array): number {
  let variation = 0;
  for (let y = 0; y < 224; y++) for (let x = 0; x < 223; x++) variation += Math.abs(r[y * 224 + x] - r[y * 224 + x + 1]);
  return variation / (223 * 224) / mean(r);
}

describe("n = 1, noise 0 is the plain method, exactly", () => {
  it("gradient norm and gradient x input (full-size photo)", async () => {
    const image = fixtureImage(0);
    const plain = {grad: await grad(model, image), grad_x_input: await gradXInput(model, image)};
    for (const method of ["grad", "grad_x_input"] as const) {
      const smooth = await smoothGrad(model, image, {method, samples: 1, noise: 0});
      expect(smooth.predicted).toBe(plain[method].predicted);
      expect(differing(smooth.logits, plain[method].logits)).toBe(0);
      expect(differing(smooth.relevance, plain[method].relevance), method).toBe(0);
    }
    // The raw attribution of grad is the gradient itself.
    const smooth = await smoothGrad(model, image, {method: "grad", samples: 1, noise: 0});
    expect(differing(smooth.attributions, plain.grad.gradient)).toBe(0);
    image.dispose();
  });

  it("integrated gradients (M = 3, full-size photo)", async () => {
    const image = fixtureImage(1);
    const plain = await integratedGradients(model, image, {steps: 3});
    const smooth = await smoothGrad(model, image, {method: "integrated_gradients", samples: 1, noise: 0, steps: 3});
    expect(differing(smooth.attributions, plain.attributions)).toBe(0);
    expect(differing(smooth.relevance, plain.relevance)).toBe(0);
    image.dispose();
  });
});

describe("the noise", () => {
  it("the generator: N(0, sigma^2), seeded, one stream per sample", () => {
    const n = 224 * 224 * 3;
    for (const sigma of [0.15, 0.5]) {
      const noise = gaussianNoise(seededRandom(42), n, sigma);
      // Standard errors: mean sigma/sqrt(n) = 0.0026 sigma; std ~ sigma/sqrt(2n) = 0.0018 sigma.
      expect(Math.abs(mean(noise))).toBeLessThan(0.01 * sigma);
      expect(Math.abs(std(noise) / sigma - 1)).toBeLessThan(0.01);
      // Gaussian shape: 68.27% within one sigma, 95.45% within two.
      const within = (k: number) => noise.filter((v) => Math.abs(v) < k * sigma).length / n;
      expect(Math.abs(within(1) - 0.6827)).toBeLessThan(0.005);
      expect(Math.abs(within(2) - 0.9545)).toBeLessThan(0.003);
    }
    expect(gaussianNoise(seededRandom(42), 10, 0.2)).toEqual(gaussianNoise(seededRandom(42), 10, 0.2));
    expect(gaussianNoise(seededRandom(1), 5, 0).every((v) => v === 0)).toBe(true);
    // Sample i has its own stream: it does not depend on the other samples.
    expect(smoothGradNoise(6, 0.1, 3, 2)).toEqual(gaussianNoise(seededRandom(sampleSeed(3, 2)), 6, 0.1));
    expect(differing(smoothGradNoise(1000, 0.1, 3, 0), smoothGradNoise(1000, 0.1, 3, 1))).toBe(1000);
  });

  it("the noisy copies: x + N(0, sigma^2), sigma = noise level x range 1, not clipped", async () => {
    const image = fixtureImage(2);
    const photo = (await image.data()) as Float32Array;
    const n = photo.length;
    const batch = prepareSmoothGrad(image, 0.2, 0, 3, 9);
    expect(batch.shape).toEqual([3, 224, 224, 3]);
    const copies = (await batch.data()) as Float32Array;
    batch.dispose();
    for (let j = 0; j < 3; j++) {
      const noise = Float32Array.from(copies.subarray(j * n, (j + 1) * n), (v, k) => v - photo[k]);
      expect(Math.abs(std(noise) / 0.2 - 1), `copy ${j}`).toBeLessThan(0.01);
      expect(Math.abs(mean(noise))).toBeLessThan(0.002);
    }
    expect(copies.some((v) => v < 0) && copies.some((v) => v > 1)).toBe(true); // not clipped
    // Copy 2 alone equals copy 2 of the batch.
    const third = prepareSmoothGrad(image, 0.2, 2, 1, 9);
    expect(differing(await third.data(), copies.subarray(2 * n))).toBe(0);
    third.dispose();
    image.dispose();
  });
});

describe("SmoothGrad maps", () => {
  it("are reproducible with a seed, change with another seed, and do not depend on the batch size", async () => {
    const image = smallImage(3);
    for (const method of ["grad", "grad_x_input", "integrated_gradients"] as const) {
      const options = {method, samples: 3, noise: 0.15, steps: 2};
      const a = await smoothGrad(model, image, {...options, seed: 1, batchSize: 2});
      const again = await smoothGrad(model, image, {...options, seed: 1, batchSize: 2});
      const other = await smoothGrad(model, image, {...options, seed: 2, batchSize: 2});
      const batched = await smoothGrad(model, image, {...options, seed: 1, batchSize: 8});
      expect(differing(a.relevance, again.relevance), method).toBe(0);
      expect(maxAbsDiff(a.relevance, other.relevance), method).toBeGreaterThan(0.01);
      expect(maxAbsDiff(a.relevance, batched.relevance), method).toBeLessThanOrEqual(1e-5);
      expect(a.sigma).toBe(0.15);
    }
    image.dispose();
  });

  it("are smoother than the plain maps (n = 10, noise 15%, one photo)", async () => {
    // Measured on fixture image 0 (wasm): graininess grad 0.481 -> SmoothGrad 0.370,
    // gradient x input 0.514 -> 0.434. Asserted: at least 10% less.
    const image = fixtureImage(0);
    const plain = {grad: await grad(model, image), grad_x_input: await gradXInput(model, image)};
    for (const method of ["grad", "grad_x_input"] as const) {
      const smooth = await smoothGrad(model, image, {method, samples: 10, noise: 0.15});
      const [before, after] = [graininess(plain[method].relevance), graininess(smooth.relevance)];
      console.log(`${method}: graininess ${before.toFixed(4)} -> SmoothGrad ${after.toFixed(4)}`);
      expect(after, method).toBeLessThan(0.9 * before);
      // Noise changes the map but it still explains the same class.
      expect(smooth.target).toBe(plain[method].predicted);
    }
    image.dispose();
  });

  it("onProgress counts gradients: n, or n x M for integrated gradients", async () => {
    const image = smallImage(4);
    const calls: [number, number][] = [];
    await smoothGrad(model, image, {samples: 5, batchSize: 2, onProgress: (d, t) => calls.push([d, t])});
    expect(calls).toEqual([[2, 5], [4, 5], [5, 5]]);
    calls.length = 0;
    await smoothGrad(model, image, {method: "integrated_gradients", samples: 2, steps: 3, batchSize: 2, onProgress: (d, t) => calls.push([d, t])});
    expect(calls).toEqual([[2, 6], [3, 6], [5, 6], [6, 6]]);
    image.dispose();
  });
});

describe("resources and arguments", () => {
  it("no leaks, also when aborted", async () => {
    const image = smallImage(5);
    for (const method of ["grad", "grad_x_input", "integrated_gradients"] as const) {
      const call = () => smoothGrad(model, image, {method, samples: 3, noise: 0.1, steps: 2, batchSize: 2});
      await call();
      const before = tf.memory().numTensors;
      for (let k = 0; k < 3; k++) await call();
      expect(tf.memory().numTensors, method).toBe(before);
      const controller = new AbortController();
      const run = smoothGrad(model, image, {method, samples: 4, noise: 0.1, steps: 2, batchSize: 1, signal: controller.signal, onProgress: (done) => done >= 2 && controller.abort(new Error("slider moved"))});
      await expect(run).rejects.toThrow("slider moved");
      expect(tf.memory().numTensors, `${method}, aborted`).toBe(before);
      const prepared = prepareSmoothGrad(image, 0.1, 0, 2);
      prepared.dispose();
      expect(tf.memory().numTensors).toBe(before);
    }
    image.dispose();
  });

  it("bad arguments throw RangeError before any work", async () => {
    const image = smallImage(6);
    const before = tf.memory().numTensors;
    const bad = [
      {samples: 0},
      {samples: 2.5},
      {noise: -0.1},
      {noise: NaN},
      {noise: Infinity},
      {seed: 0.5},
      {method: "occlusion"},
      {method: "integrated_gradients", steps: 1},
    ];
    for (const options of bad) await expect(smoothGrad(model, image, options as never), JSON.stringify(options)).rejects.toThrow(RangeError);
    expect(() => prepareSmoothGrad(image, -1, 0, 1)).toThrow(RangeError);
    expect(() => prepareSmoothGrad(image, 0.1, 0, 0)).toThrow(RangeError);
    expect(tf.memory().numTensors).toBe(before);
    image.dispose();
  });
});
