// Faithfulness correlation (src/lib/faithfulness-correlation.ts): exactly 1
// (up to float rounding) for a linear model explained by gradient x input
// with a zero substrate; each subset's drop is the score of the image built
// by hand; the subsets are uniform, distinct and seeded (the first N do not
// depend on N); every substrate works; nothing leaks; abort works.
import {beforeAll, describe, expect, it} from "vitest";
import type * as TF from "@tensorflow/tfjs";
import {sampleSeed} from "../src/lib/baselines.js";
import {classLogit, classProbability, faithfulnessCorrelation, faithfulnessCorrelations, randomSubset, type Classifier} from "../src/lib/faithfulness-correlation.js";
import {grad, gradXInput} from "../src/lib/gradient.js";
import {noisyLinearImputation, ROAD_NOISE} from "../src/lib/road.js";
import type {ResNet18} from "../src/lib/resnet18.js";
import {pearson, seededRandom} from "../src/lib/statistics.js";
import {substrateImage} from "../src/lib/substrate.js";
import {setup, smallFixtureImage} from "./helpers/model.js";

let tf: typeof TF;
let model: ResNet18;
beforeAll(async () => ({tf, model} = await setup()));

describe("a linear model", () => {
  it("gradient x input summed over channels, zero substrate: correlation 1 up to float rounding", async () => {
    const image = smallFixtureImage(2);
    const random = seededRandom(42);
    const weights = tf.tensor4d(Float32Array.from({length: 64 * 64 * 3}, () => random() - 0.5), [1, 64, 64, 3]);
    // f(x) = sum w x: one output, "class" 0.
    const linear: Classifier = {logits: (images) => tf.tidy(() => tf.sum(tf.mul(images, weights), [1, 2, 3]).reshape([-1, 1]) as TF.Tensor2D)};
    const relevance = tf.tidy(() => {
      const gradient = tf.grad((x) => tf.sum(linear.logits(x as TF.Tensor4D)))(image.expandDims(0));
      return tf.sum(tf.mul(gradient, image.expandDims(0)), [0, 3]).dataSync() as Float32Array; // sum over channels of g * x
    });
    const before = tf.memory().numTensors;
    const result = await faithfulnessCorrelation(linear, image, relevance, {target: 0, score: classLogit, subsets: 40, subsetSize: 400, seed: 5, batchSize: 16});
    expect(tf.memory().numTensors).toBe(before);
    console.log(`linear model: 1 - correlation = ${(1 - result.correlation).toExponential(2)}`);
    expect(Math.abs(1 - result.correlation)).toBeLessThanOrEqual(1e-6);
    // Each drop equals the subset's relevance sum (float32 sums of ~12k terms: ~1e-5 relative).
    for (let j = 0; j < 40; j++) expect(Math.abs(result.drops[j] - result.relevanceSums[j])).toBeLessThanOrEqual(1e-4 * (1 + Math.abs(result.relevanceSums[j])));
    // Not vacuous: the same drops against a shuffled map do not correlate.
    const shuffled = Float32Array.from(relevance);
    for (let i = shuffled.length - 1; i > 0; i--) {
      const j = Math.floor(random() * (i + 1));
      [shuffled[i], shuffled[j]] = [shuffled[j], shuffled[i]];
    }
    const other = await faithfulnessCorrelation(linear, image, shuffled, {target: 0, score: classLogit, subsets: 40, subsetSize: 400, seed: 5});
    expect(Array.from(other.drops)).toEqual(Array.from(result.drops));
    expect(Math.abs(other.correlation)).toBeLessThan(0.6);
    tf.dispose([image, weights]);
  });
});

describe("the subsets", () => {
  it("are k distinct pixels, uniform over the image, seeded per subset", () => {
    const random = seededRandom(3);
    const counts = new Float64Array(100);
    for (let r = 0; r < 2000; r++) {
      const subset = randomSubset(100, 10, random);
      expect(new Set(subset).size).toBe(10);
      for (const i of subset) counts[i]++;
    }
    // Each index is chosen 200 times on average (binomial sd ~13.4): all within 6 sd.
    for (const c of counts) expect(Math.abs(c - 200)).toBeLessThanOrEqual(80);
    expect(Array.from(randomSubset(5, 5, seededRandom(1))).sort()).toEqual([0, 1, 2, 3, 4]);
    expect(() => randomSubset(5, 6, Math.random)).toThrow(RangeError);
    expect(() => randomSubset(5, 0, Math.random)).toThrow(RangeError);
  });
});

describe("on the ResNet-18 (64x64 copies)", () => {
  it("each drop is the probability lost by the image built by hand, for every substrate; the first N subsets do not depend on N", async () => {
    const image = smallFixtureImage(1);
    const {relevance, target} = await gradXInput(model, image);
    const pixels = (await image.data()) as Float32Array;
    const original = tf.tidy(() => classProbability(model, image.expandDims(0) as TF.Tensor4D, target).dataSync()[0]);
    for (const substrate of ["black", "mean", "blur", "road"] as const) {
      const result = await faithfulnessCorrelation(model, image, relevance, {subsets: 6, subsetSize: 300, seed: 9, substrate, batchSize: 4});
      expect(result.target).toBe(target);
      expect(result.score).toBe(original);
      expect(Number.isFinite(result.correlation)).toBe(true);
      // Subset 4, by hand: its pixels replaced by the substrate's (or ROAD's imputation, noise from the same stream).
      const random = seededRandom(sampleSeed(9, 4));
      const subset = randomSubset(64 * 64, 300, random);
      let relevanceSum = 0;
      for (const i of subset) relevanceSum += relevance[i];
      expect(result.relevanceSums[4]).toBe(relevanceSum);
      let perturbed: Float32Array;
      if (substrate === "road") {
        const removed = new Uint8Array(64 * 64);
        for (const i of subset) removed[i] = 1;
        perturbed = noisyLinearImputation(pixels, 64, 64, 3, removed, {noise: ROAD_NOISE, random}).values;
      } else {
        const fill = substrateImage(image, substrate);
        const values = (await fill.data()) as Float32Array;
        fill.dispose();
        perturbed = Float32Array.from(pixels);
        for (const i of subset) for (let c = 0; c < 3; c++) perturbed[i * 3 + c] = values[i * 3 + c];
      }
      const score = tf.tidy(() => classProbability(model, tf.tensor4d(perturbed, [1, 64, 64, 3]), target).dataSync()[0]);
      expect(Math.abs(result.drops[4] - (original - score)), substrate).toBeLessThanOrEqual(1e-6);
      // N = 3 gives the first 3 subsets of N = 6, exactly.
      const fewer = await faithfulnessCorrelation(model, image, relevance, {subsets: 3, subsetSize: 300, seed: 9, substrate, batchSize: 2});
      expect(Array.from(fewer.drops)).toEqual(Array.from(result.drops.subarray(0, 3)));
      expect(fewer.correlation).toBe(pearson(fewer.relevanceSums, fewer.drops));
    }
    image.dispose();
  });

  it("seeded: same seed same numbers, another seed other subsets; progress, abort and no leaks", async () => {
    const image = smallFixtureImage(3);
    const {relevance} = await gradXInput(model, image);
    await faithfulnessCorrelation(model, image, relevance, {subsets: 4}); // warm-up
    const before = tf.memory().numTensors;
    const a = await faithfulnessCorrelation(model, image, relevance, {subsets: 8, subsetSize: 100, seed: 1});
    const b = await faithfulnessCorrelation(model, image, relevance, {subsets: 8, subsetSize: 100, seed: 1, batchSize: 3});
    const c = await faithfulnessCorrelation(model, image, relevance, {subsets: 8, subsetSize: 100, seed: 2});
    expect(b.correlation).toBe(a.correlation);
    expect(Array.from(b.drops)).toEqual(Array.from(a.drops));
    expect(Array.from(c.relevanceSums)).not.toEqual(Array.from(a.relevanceSums));
    expect(a.subsetSize).toBe(100);
    const defaults = await faithfulnessCorrelation(model, image, relevance, {subsets: 2});
    expect([defaults.subsetSize, defaults.seed, defaults.substrate]).toEqual([224, 0, "black"]);
    const progress: number[] = [];
    await faithfulnessCorrelation(model, image, relevance, {subsets: 5, batchSize: 2, onProgress: (done) => progress.push(done)});
    expect(progress).toEqual([2, 4, 5]);
    const controller = new AbortController();
    const run = faithfulnessCorrelation(model, image, relevance, {subsets: 10, batchSize: 2, signal: controller.signal, onProgress: () => controller.abort(new Error("moved"))});
    await expect(run).rejects.toThrow("moved");
    expect(tf.memory().numTensors).toBe(before);
    await expect(faithfulnessCorrelation(model, image, relevance, {subsets: 1})).rejects.toThrow(RangeError);
    await expect(faithfulnessCorrelation(model, image, relevance, {subsetSize: 64 * 64 + 1})).rejects.toThrow(RangeError);
    await expect(faithfulnessCorrelation(model, image, relevance.subarray(1))).rejects.toThrow(RangeError);
    image.dispose();
  });

  it("several maps at once (the chapter's five methods) give each map's own result, from one set of forward passes", async () => {
    const image = smallFixtureImage(2);
    const maps = {grad: (await grad(model, image)).relevance, grad_x_input: (await gradXInput(model, image)).relevance};
    let passes = 0;
    const options = {subsets: 6, subsetSize: 200, seed: 3, batchSize: 6, onProgress: (done: number) => (passes = done)};
    const together = await faithfulnessCorrelations(model, image, maps, options);
    expect(passes).toBe(6); // one batch of 6 subsets for both maps
    for (const key of ["grad", "grad_x_input"] as const) {
      const alone = await faithfulnessCorrelation(model, image, maps[key], options);
      expect(together[key].correlation).toBe(alone.correlation);
      expect(Array.from(together[key].relevanceSums)).toEqual(Array.from(alone.relevanceSums));
      expect(Array.from(together[key].drops)).toEqual(Array.from(alone.drops));
    }
    image.dispose();
  });
});
