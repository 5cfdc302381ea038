// Parity with the reference: integrated gradients, M = 20 and M = 8, on every
// fixture image, under the one rule for gradient-based maps
// (helpers/gradient-parity.ts): within 1e-3 except on at most 0.1% of the
// pixels, where rounding decides a gradient's route (a stem max-pool window
// whose two largest inputs differ by about one ulp, a ReLU input within
// rounding of zero) on some path image; those stay within 2e-2 and the map's
// deletion AUC within 1e-3. IG sums such routes over its path images, so it
// meets them more often than a single gradient. When a map needs the
// exception, the test prints how many of its off pixels lie under such
// windows of the path images.
import {beforeAll, describe, expect, it} from "vitest";
import type * as TF from "@tensorflow/tfjs";
import {deletionCurve} from "../src/lib/deletion.js";
import {integratedGradients, pathAlphas, prepareIntegratedGradients} from "../src/lib/integrated-gradients.js";
import type {ResNet18} from "../src/lib/resnet18.js";
import {extent, maxAbsDiff} from "./helpers/fixtures.js";
import {expectGradientMapParity, explainRoundingRoutes} from "./helpers/gradient-parity.js";
import {FIXTURE_COUNT, fixtureImage, fixtureRow, setup} from "./helpers/model.js";

let tf: typeof TF;
let model: ResNet18;
beforeAll(async () => ({tf, model} = await setup()));

describe.each(Array.from({length: FIXTURE_COUNT}, (_, i) => i))("fixture image %i", (i) => {
  it("integrated gradients M=20 and M=8", async () => {
    const image = fixtureImage(i);
    for (const [name, steps] of [["integrated_gradients", 20], ["integrated_gradients_steps8", 8]] as const) {
      const result = await integratedGradients(model, image, {steps, batchSize: 10});
      await expectGradientMapParity(result.relevance, fixtureRow(`relevance_${name}`, i), {
        name: `image ${i} ${name}`,
        deletion: () => deletionCurve(model, image, result.relevance, {steps: 10, batchSize: 10}),
        referenceCurve: fixtureRow(`deletion_${name}_steps10`, i),
        referenceAuc: fixtureRow(`auc_${name}_steps10`, i)[0],
        diagnose: async () => {
          const path = prepareIntegratedGradients(image, steps);
          try {
            return await explainRoundingRoutes(tf, model, path);
          } finally {
            path.dispose();
          }
        },
      });
    }
    image.dispose();
  });
});

it("path images run from the image (a=1) to black (a=0), both ends included", async () => {
  expect(Array.from(pathAlphas(5))).toEqual([1, 0.75, 0.5, 0.25, 0]);
  // float32, filled from both ends like torch.linspace
  expect(pathAlphas(8)[3]).toBe(Math.fround(1 + 3 * Math.fround(-1 / 7)));
  expect(pathAlphas(8)[4]).toBe(Math.fround(-3 * Math.fround(-1 / 7)));
  const image = fixtureImage(1);
  const path = prepareIntegratedGradients(image, 4);
  const values = await path.data();
  const original = await image.data();
  expect(maxAbsDiff(values.subarray(0, original.length), original)).toBe(0);
  expect(extent(values.subarray(3 * original.length))).toEqual([0, 0]);
  expect(() => pathAlphas(1)).toThrow(RangeError);
  tf.dispose([image, path]);
});
