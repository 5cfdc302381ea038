// Max-sensitivity (src/lib/max-sensitivity.ts): 0 for a method whose map does
// not depend on the input; the known relative change of a map that is linear
// in the input; seeded uniform perturbations in [-r, r); the real methods'
// values are finite, positive and reproducible; progress, abort, no leaks.
import {beforeAll, describe, expect, it} from "vitest";
import type * as TF from "@tensorflow/tfjs";
import {maxSensitivity, relativeChange, SENSITIVITY_RADIUS, SENSITIVITY_SAMPLES, uniformPerturbation} from "../src/lib/max-sensitivity.js";
import {mapFunction, type MapFunction} from "../src/lib/methods.js";
import type {ResNet18} from "../src/lib/resnet18.js";
import {setup, smallFixtureImage} from "./helpers/model.js";

let tf: typeof TF;
let model: ResNet18;
beforeAll(async () => ({tf, model} = await setup()));

describe("known answers", () => {
  it("is 0 for a method whose map does not depend on the input", async () => {
    const image = smallFixtureImage(0);
    const fixed = Float32Array.from({length: 64 * 64}, (_, i) => Math.sin(i));
    let calls = 0;
    const constantMethod: MapFunction = async () => (calls++, Float32Array.from(fixed));
    const result = await maxSensitivity(model, image, fixed, {method: constantMethod, samples: 5, radius: 0.1, target: 0});
    expect(calls).toBe(5);
    expect(result.maxSensitivity).toBe(0);
    expect(Array.from(result.sensitivities)).toEqual([0, 0, 0, 0, 0]);
    image.dispose();
  });

  it("a map linear in the input (its channel sum): the largest ||sum_c d_j|| / ||sum_c x|| over the seeded perturbations", async () => {
    const image = smallFixtureImage(1);
    const channelSum: MapFunction = async (x) => {
      const t = tf.sum(x, -1);
      const values = (await t.data()) as Float32Array;
      t.dispose();
      return values;
    };
    const relevance = await channelSum(image, 0);
    const result = await maxSensitivity(model, image, relevance, {method: channelSum, samples: 4, radius: 0.05, seed: 7, target: 0});
    const expected = Array.from({length: 4}, (_, j) => {
      const delta = uniformPerturbation(64 * 64 * 3, 0.05, 7, j);
      let num = 0;
      let den = 0;
      for (let p = 0; p < 64 * 64; p++) {
        num += (delta[3 * p] + delta[3 * p + 1] + delta[3 * p + 2]) ** 2;
        den += relevance[p] ** 2;
      }
      return Math.sqrt(num / den);
    });
    for (let j = 0; j < 4; j++) expect(result.sensitivities[j]).toBeCloseTo(expected[j], 5);
    expect(result.maxSensitivity).toBe(Math.max(...result.sensitivities));
    expect(result.maxSensitivity).toBeGreaterThan(0.01);
    image.dispose();
  });

  it("perturbations: U(-r, r) per value, seeded per sample; relative change of an all-zero map", () => {
    const a = uniformPerturbation(20000, 0.3, 1, 0);
    expect(Array.from(uniformPerturbation(20000, 0.3, 1, 0))).toEqual(Array.from(a));
    expect(Array.from(uniformPerturbation(20000, 0.3, 1, 1))).not.toEqual(Array.from(a));
    expect(Array.from(uniformPerturbation(20000, 0.3, 2, 0))).not.toEqual(Array.from(a));
    expect(Math.min(...a)).toBeGreaterThanOrEqual(-0.3);
    expect(Math.max(...a)).toBeLessThanOrEqual(0.3);
    expect(Math.min(...a)).toBeLessThan(-0.29);
    expect(Math.max(...a)).toBeGreaterThan(0.29);
    const mean = a.reduce((s, v) => s + v, 0) / a.length;
    expect(Math.abs(mean)).toBeLessThan(0.01); // sd of the mean: 0.3 / sqrt(3 * 20000) = 0.0012
    expect(relativeChange([0, 0], [0, 0])).toBe(0);
    expect(relativeChange([0, 1e-9], [0, 0])).toBe(Infinity);
    expect(relativeChange([3, 4], [0, 5])).toBeCloseTo(Math.sqrt(10) / 5, 14);
  });
});

describe("with the methods (64x64 copies)", () => {
  it("gradient norm and GradCAM: finite, positive, reproducible; defaults; progress; abort; no leaks", async () => {
    const image = smallFixtureImage(2);
    for (const name of ["grad", "grad_cam"] as const) {
      const method = mapFunction(name, model);
      const relevance = await method(image, 3);
      const a = await maxSensitivity(model, image, relevance, {method, samples: 3, seed: 1, target: 3});
      const b = await maxSensitivity(model, image, relevance, {method, samples: 3, seed: 1, target: 3});
      expect(a.maxSensitivity, name).toBe(b.maxSensitivity);
      expect(a.maxSensitivity, name).toBeGreaterThan(0);
      expect(Number.isFinite(a.maxSensitivity), name).toBe(true);
      expect([a.samples, a.radius, a.seed]).toEqual([3, SENSITIVITY_RADIUS, 1]);
    }
    const method = mapFunction("grad", model);
    const relevance = await method(image, 3);
    await maxSensitivity(model, image, relevance, {method, samples: 1}); // warm-up
    const before = tf.memory().numTensors;
    const progress: [number, number][] = [];
    const result = await maxSensitivity(model, image, relevance, {method, samples: 3, onProgress: (done, total) => progress.push([done, total])});
    expect(progress).toEqual([[1, 3], [2, 3], [3, 3]]);
    expect(result.sensitivities.length).toBe(3);
    const controller = new AbortController();
    const run = maxSensitivity(model, image, relevance, {method, samples: 5, signal: controller.signal, onProgress: () => controller.abort(new Error("moved"))});
    await expect(run).rejects.toThrow("moved");
    expect(tf.memory().numTensors).toBe(before);
    expect(SENSITIVITY_SAMPLES).toBe(10);
    await expect(maxSensitivity(model, image, relevance, {method, samples: 0})).rejects.toThrow(RangeError);
    await expect(maxSensitivity(model, image, relevance, {method, radius: -1})).rejects.toThrow(RangeError);
    image.dispose();
  });
});
