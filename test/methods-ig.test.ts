// Parity with the reference: integrated gradients, M = 20 and M = 8, on every
// fixture image, max |diff| <= 1e-3.
import {beforeAll, describe, expect, it} from "vitest";
import type * as TF from "@tensorflow/tfjs";
import {integratedGradients, pathAlphas, prepareIntegratedGradients} from "../src/lib/integrated-gradients.js";
import type {ResNet18} from "../src/lib/resnet18.js";
import {maxAbsDiff} from "./helpers/fixtures.js";
import {FIXTURE_COUNT, fixtureImage, fixtureRow, setup} from "./helpers/model.js";

let tf: typeof TF;
let model: ResNet18;
beforeAll(async () => ({tf, model} = await setup()));

describe.each(Array.from({length: FIXTURE_COUNT}, (_, i) => i))("fixture image %i", (i) => {
  it("integrated gradients M=20 and M=8", async () => {
    const image = fixtureImage(i);
    for (const [name, steps] of [["integrated_gradients", 20], ["integrated_gradients_steps8", 8]] as const) {
      const result = await integratedGradients(model, image, {steps, batchSize: 10});
      expect(maxAbsDiff(result.relevance, fixtureRow(`relevance_${name}`, i)), name).toBeLessThanOrEqual(1e-3);
    }
    image.dispose();
  });
});

it("path images run from the image (a=1) to black (a=0), both ends included", async () => {
  expect(Array.from(pathAlphas(5))).toEqual([1, 0.75, 0.5, 0.25, 0]);
  const image = fixtureImage(1);
  const path = prepareIntegratedGradients(image, 4);
  const values = await path.data();
  const original = await image.data();
  expect(maxAbsDiff(values.subarray(0, original.length), original)).toBe(0);
  expect(Math.max(...values.subarray(3 * original.length))).toBe(0);
  expect(() => pathAlphas(1)).toThrow(RangeError);
  tf.dispose([image, path]);
});
