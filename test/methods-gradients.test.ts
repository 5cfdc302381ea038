// Parity with the reference: gradient norm, gradient x input, GradCAM and
// occlusion (S = 6 and 5) on every fixture image, max |diff| <= 1e-3; the
// two input gradients under the fixtures' one exception for routes that
// rounding decides (helpers/gradient-parity.ts).
// Occlusion S = 6 runs incrementally (occlusion-forward.ts: the dataset
// statistics' path), S = 5 on full copies (the browser's default path).
import {beforeAll, describe, expect, it} from "vitest";
import type * as TF from "@tensorflow/tfjs";
import {grad, gradXInput} from "../src/lib/gradient.js";
import {gradCam} from "../src/lib/grad-cam.js";
import {occlusion, prepareOcclusions} from "../src/lib/occlusion.js";
import type {ResNet18} from "../src/lib/resnet18.js";
import {deletionCurve} from "../src/lib/deletion.js";
import {fixture, maxAbsDiff} from "./helpers/fixtures.js";
import {expectGradientMapParity, explainRoundingRoutes} from "./helpers/gradient-parity.js";
import {FIXTURE_COUNT, fixtureImage, fixtureRow, setup} from "./helpers/model.js";

let tf: typeof TF;
let model: ResNet18;
beforeAll(async () => ({tf, model} = await setup()));

const TOLERANCE = 1e-3;

/** The routes rounding decides at the photo itself, where both gradients are taken. */
async function explainAt(image: TF.Tensor3D) {
  const batch = image.expandDims(0) as TF.Tensor4D;
  try {
    return await explainRoundingRoutes(tf, model, batch);
  } finally {
    batch.dispose();
  }
}
const images = Array.from({length: FIXTURE_COUNT}, (_, i) => i);

describe.each(images)("fixture image %i", (i) => {
  it("gradient norm, gradient x input, GradCAM", async () => {
    const image = fixtureImage(i);
    const logits = fixtureRow("logits", i);
    for (const [name, method] of [["grad", grad], ["grad_x_input", gradXInput]] as const) {
      const result = await method(model, image);
      expect(maxAbsDiff(result.logits, logits), `${name} logits`).toBeLessThanOrEqual(TOLERANCE);
      await expectGradientMapParity(result.relevance, fixtureRow(`relevance_${name}`, i), {
        name: `image ${i} ${name}`,
        deletion: () => deletionCurve(model, image, result.relevance, {steps: 10, batchSize: 10}),
        referenceCurve: fixtureRow(`deletion_${name}_steps10`, i),
        referenceAuc: fixtureRow(`auc_${name}_steps10`, i)[0],
        diagnose: () => explainAt(image),
      });
    }
    // GradCAM's gradient stops at layer4's output: no route for rounding to decide.
    const cam = await gradCam(model, image);
    expect(maxAbsDiff(cam.logits, logits), "grad_cam logits").toBeLessThanOrEqual(TOLERANCE);
    expect(maxAbsDiff(cam.relevance, fixtureRow("relevance_grad_cam", i)), "grad_cam relevance").toBeLessThanOrEqual(TOLERANCE);
    image.dispose();
  });

  it("occlusion S=6 (incremental) and S=5 (full copies)", async () => {
    const image = fixtureImage(i);
    for (const [name, steps, incremental] of [["occlusion", 6, true], ["occlusion_steps5", 5, false]] as const) {
      const result = await occlusion(model, image, {steps, batchSize: 13, incremental});
      expect(result.grid.length).toBe(steps * steps);
      expect(maxAbsDiff(result.relevance, fixtureRow(`relevance_${name}`, i)), name).toBeLessThanOrEqual(TOLERANCE);
    }
    image.dispose();
  });
});

it("prepareOcclusions(img0, 3) equals the reference batch exactly", async () => {
  const image = fixtureImage(0);
  const batch = prepareOcclusions(image, 3);
  expect(batch.shape).toEqual([9, 224, 224, 3]);
  expect(maxAbsDiff(await batch.data(), fixture("occlusions_steps3_img0").data)).toBeLessThanOrEqual(1e-6);
  // Any window of the batch equals the same slice of the whole.
  const part = prepareOcclusions(image, 3, 4, 3);
  expect(maxAbsDiff(await part.data(), (await batch.data()).subarray(4 * 150528, 7 * 150528))).toBe(0);
  tf.dispose([image, batch, part]);
});
