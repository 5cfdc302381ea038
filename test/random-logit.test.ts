// The random-logit test (src/lib/random-logit.ts): the other class is never
// the explained one, uniform over the others, seeded; the score is the
// Spearman correlation with that class's map, computed by hand here; no leaks.
import {beforeAll, describe, expect, it} from "vitest";
import type * as TF from "@tensorflow/tfjs";
import {mapFunction} from "../src/lib/methods.js";
import {randomLogitTest, randomOtherClass} from "../src/lib/random-logit.js";
import type {ResNet18} from "../src/lib/resnet18.js";
import {spearman} from "../src/lib/statistics.js";
import {setup, smallFixtureImage} from "./helpers/model.js";

let tf: typeof TF;
let model: ResNet18;
beforeAll(async () => ({tf, model} = await setup()));

describe("the other class", () => {
  it("is never the explained class and uniform over the other 9 (9000 seeds per class)", () => {
    for (let target = 0; target < 10; target++) {
      const counts = new Array(10).fill(0);
      for (let seed = 0; seed < 9000; seed++) counts[randomOtherClass(target, seed)]++;
      expect(counts[target]).toBe(0);
      // 1000 expected per class, binomial sd ~30: within 5 sd.
      for (let c = 0; c < 10; c++) if (c !== target) expect(Math.abs(counts[c] - 1000), `target ${target}, class ${c}`).toBeLessThanOrEqual(150);
    }
    expect(randomOtherClass(4, 17)).toBe(randomOtherClass(4, 17));
    expect(randomOtherClass(0, 3, 2)).toBe(1);
    expect(() => randomOtherClass(10, 0)).toThrow(RangeError);
    expect(() => randomOtherClass(0, 0.5)).toThrow(RangeError);
  });
});

describe("the test (64x64 copies)", () => {
  it("is the Spearman correlation of the two classes' maps; seeded; no leaks", async () => {
    const image = smallFixtureImage(5);
    for (const name of ["grad_x_input", "grad_cam"] as const) {
      const method = mapFunction(name, model);
      const relevance = await method(image, 2);
      const result = await randomLogitTest(model, image, relevance, {method, seed: 4, target: 2});
      expect(result.otherClass).toBe(randomOtherClass(2, 4));
      expect(result.otherClass).not.toBe(2);
      const other = await method(image, result.otherClass);
      expect(Array.from(result.otherRelevance)).toEqual(Array.from(other));
      expect(result.spearman).toBe(spearman(relevance, other));
      expect(result.spearman).toBeLessThan(1);
    }
    // Default target: the predicted class.
    const method = mapFunction("grad", model);
    const byDefault = await randomLogitTest(model, image, await method(image, 0), {method});
    const logits = tf.tidy(() => model.logits(image.expandDims(0) as TF.Tensor4D).argMax(-1).dataSync()[0]);
    expect(byDefault.target).toBe(logits);
    expect(byDefault.seed).toBe(0);
    const before = tf.memory().numTensors;
    for (let k = 0; k < 3; k++) await randomLogitTest(model, image, byDefault.otherRelevance, {method, seed: k});
    expect(tf.memory().numTensors).toBe(before);
    await expect(randomLogitTest(model, image, byDefault.otherRelevance, {method, signal: AbortSignal.abort(new Error("stale"))})).rejects.toThrow("stale");
    image.dispose();
  });
});
