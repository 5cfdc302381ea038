// Parity with the reference for the deletion metric (curves and AUCs, S = 10
// and 25, from each method's reference relevance), the random-relevance demo,
// and the properties the metric must keep.
import {beforeAll, describe, expect, it} from "vitest";
import type * as TF from "@tensorflow/tfjs";
import {chunkSizes, deletionCurve, deletionOrder, deletionStepOfPixel, prepareDeletion, trapezoidAuc} from "../src/lib/deletion.js";
import {patchBounds, prepareOcclusions} from "../src/lib/occlusion.js";
import type {ResNet18} from "../src/lib/resnet18.js";
import {extent, fixture, maxAbsDiff} from "./helpers/fixtures.js";
import {FIXTURE_COUNT, fixtureImage, fixtureRow, setup} from "./helpers/model.js";

let tf: typeof TF;
let model: ResNet18;
beforeAll(async () => ({tf, model} = await setup()));

const METHODS = ["occlusion", "occlusion_steps5", "grad", "grad_x_input", "grad_cam", "integrated_gradients", "integrated_gradients_steps8"];
const STEPS = (process.env.DELETION_STEPS ?? "10,25").split(",").map(Number);

describe.each(STEPS)("deletion curves, S=%i", (steps) => {
  it.each(Array.from({length: FIXTURE_COUNT}, (_, i) => i))("image %i, every method", async (i) => {
    const image = fixtureImage(i);
    for (const method of METHODS) {
      const result = await deletionCurve(model, image, fixtureRow(`relevance_${method}`, i), {steps, batchSize: 13});
      expect(maxAbsDiff(result.curve, fixtureRow(`deletion_${method}_steps${steps}`, i)), `${method} curve`).toBeLessThanOrEqual(1e-3);
      expect(Math.abs(result.auc - fixtureRow(`auc_${method}_steps${steps}`, i)[0]), `${method} auc`).toBeLessThanOrEqual(1e-3);
    }
    image.dispose();
  });
});

describe("random smooth relevance (the handout's demo)", () => {
  it("prepare_deletion(img0, random, 8), its curve and AUC", async () => {
    const image = fixtureImage(0);
    const relevance = fixture("random_relevance").data;
    const batch = prepareDeletion(image, relevance, 8);
    expect(maxAbsDiff(await batch.data(), fixture("deletion_images_random_steps8_img0").data)).toBeLessThanOrEqual(1e-6);
    const result = await deletionCurve(model, image, relevance, {steps: 8, batchSize: 3});
    expect(maxAbsDiff(result.curve, fixture("deletion_random_steps8_img0").data)).toBeLessThanOrEqual(1e-3);
    expect(Math.abs(result.auc - fixture("auc_random_steps8_img0").data[0])).toBeLessThanOrEqual(1e-3);
    tf.dispose([image, batch]);
  });
});

describe("properties", () => {
  it("deletion images darken monotonically, image 0 is the input and the last is black", async () => {
    const image = fixtureImage(2);
    const relevance = fixtureRow("relevance_grad", 2);
    for (const steps of [2, 3, 7, 25]) {
      const batch = prepareDeletion(image, relevance, steps);
      const values = await batch.data();
      const size = 224 * 224 * 3;
      expect(maxAbsDiff(values.subarray(0, size), await image.data())).toBe(0);
      expect(extent(values.subarray((steps - 1) * size))).toEqual([0, 0]);
      for (let s = 1; s < steps; s++) {
        for (let k = 0; k < size; k++) {
          const previous = values[(s - 1) * size + k];
          const current = values[s * size + k];
          if (!(current === previous || current === 0)) throw new Error(`step ${s} changed pixel ${k} to a value other than 0`);
        }
      }
      batch.dispose();
    }
    image.dispose();
  });

  it("chunk sizes follow numpy.array_split and each step deletes its chunk", () => {
    expect(chunkSizes(10, 3)).toEqual([4, 3, 3]);
    expect(chunkSizes(50176, 9)).toEqual([5576, 5575, 5575, 5575, 5575, 5575, 5575, 5575, 5575]);
    for (const steps of [2, 3, 10, 25, 100]) {
      const sizes = chunkSizes(50176, steps - 1);
      expect(sizes.reduce((a, b) => a + b, 0)).toBe(50176);
      expect(Math.max(...sizes) - Math.min(...sizes)).toBeLessThanOrEqual(1);
      expect([...sizes].sort((a, b) => b - a)).toEqual(sizes); // longer chunks first
      const step = deletionStepOfPixel(fixtureRow("relevance_grad_cam", 3), steps);
      const counts = new Array(steps).fill(0);
      step.forEach((s) => counts[s]++);
      expect(counts).toEqual([0, ...sizes]);
    }
  });

  it("order: descending relevance, ties broken by the later index first, NaN first", () => {
    expect(Array.from(deletionOrder([0.5, 0.9, 0.5, 0.1, 0.9]))).toEqual([4, 1, 2, 0, 3]);
    expect(Array.from(deletionOrder([0, 0, 0]))).toEqual([2, 1, 0]);
    expect(Array.from(deletionOrder([0.2, NaN, 1]))).toEqual([1, 2, 0]);
  });

  it("order: the packed float32 sort equals a comparison sort on ties, signed zeros, infinities, NaN and tiny values", () => {
    const comparisonOrder = (r: ArrayLike<number>) => {
      const key = (v: number) => (Number.isNaN(v) ? Infinity : v);
      const nan = (v: number) => (Number.isNaN(v) ? 1 : 0);
      return Array.from({length: r.length}, (_, i) => i).sort((a, b) => nan(r[b]) - nan(r[a]) || key(r[b]) - key(r[a]) || b - a);
    };
    const specials = [0, -0, NaN, Infinity, -Infinity, 1, -1, 2, 1e-40, -1e-40, 3.4e38, -3.4e38, 0.1];
    let seed = 7;
    const random = () => ((seed = (seed * 16807) % 2147483647) - 1) / 2147483646;
    const map = Float32Array.from({length: 50176}, () => (random() < 0.5 ? specials[Math.floor(random() * specials.length)] : (random() - 0.5) * 10 ** (random() * 20 - 10)));
    expect(Array.from(deletionOrder(map))).toEqual(comparisonOrder(map));
    // Values that are not float32 take the comparison sort: 1 + 1e-12 must stay above 1.
    expect(Array.from(deletionOrder([1, 1 + 1e-12, 1]))).toEqual([1, 2, 0]);
    expect(Array.from(deletionOrder([-0, 0, -0]))).toEqual([2, 1, 0]);
  });

  it("all-zero, constant and NaN-containing maps give finite curves with a defined order", async () => {
    const image = fixtureImage(4);
    const zero = new Float32Array(50176);
    const constant = new Float32Array(50176).fill(0.3);
    const withNaN = Float32Array.from(fixtureRow("relevance_grad", 4));
    withNaN[100] = NaN;
    const results = [];
    for (const relevance of [zero, constant, withNaN]) {
      const result = await deletionCurve(model, image, relevance, {steps: 4});
      expect(result.curve.every(Number.isFinite)).toBe(true);
      expect(Number.isFinite(result.auc)).toBe(true);
      results.push(result.auc);
    }
    expect(results[0]).toBe(results[1]); // both: reverse flat order
    const black = tf.zeros([224, 224, 3]) as TF.Tensor3D;
    const onBlack = await deletionCurve(model, black, fixtureRow("relevance_grad", 4), {steps: 3});
    expect(onBlack.curve.every(Number.isFinite)).toBe(true);
    tf.dispose([image, black]);
  });

  it("trapezoid AUC on linspace(0, 1, S)", () => {
    expect(trapezoidAuc([1, 1])).toBe(1);
    expect(trapezoidAuc([1, 0])).toBe(0.5);
    expect(trapezoidAuc([1, 0.5, 0])).toBeCloseTo(0.5, 12);
    expect(trapezoidAuc([0, 1, 1, 1, 0])).toBeCloseTo(0.75, 12);
  });

  it("occlusion patches tile the image exactly once for every S in 2..32", async () => {
    for (let steps = 2; steps <= 32; steps++) {
      for (const n of [224, 37]) {
        const bounds = patchBounds(n, steps);
        expect(bounds[0][0]).toBe(0);
        expect(bounds[steps - 1][1]).toBe(n);
        for (let i = 1; i < steps; i++) expect(bounds[i][0]).toBe(bounds[i - 1][1]);
      }
      // On a small image, every pixel is black in exactly one of the S*S copies.
      const ones = tf.ones([37, 37, 3]) as TF.Tensor3D;
      const blackCount = tf.tidy(() => tf.sub(steps * steps, tf.sum(prepareOcclusions(ones, steps), 0)));
      const counts = await blackCount.data();
      expect(Math.min(...counts)).toBe(1);
      expect(Math.max(...counts)).toBe(1);
      tf.dispose([ones, blackCount]);
    }
  });
});
