// Parity with the reference: integrated gradients, M = 20 and M = 8, on every
// fixture image, max |diff| <= 1e-3.
//
// Known exception, stated and checked rather than hidden: on some images the
// stem's 3x3 max pool has windows whose two largest inputs are equal in exact
// arithmetic (relative gap ~1e-7, one float32 ulp) on every path image. Which
// one is "first" is then decided by rounding noise, in PyTorch as here, and
// the gradient flows to a different pixel. For such an image the test checks
// that every pixel off by more than 1e-3 lies in the receptive field of such
// a tied window (and that the map's deletion AUC still matches). Any other
// difference fails the test.
import {beforeAll, describe, expect, it} from "vitest";
import type * as TF from "@tensorflow/tfjs";
import {deletionCurve} from "../src/lib/deletion.js";
import {integratedGradients, pathAlphas, prepareIntegratedGradients} from "../src/lib/integrated-gradients.js";
import type {ResNet18} from "../src/lib/resnet18.js";
import {extent, maxAbsDiff} from "./helpers/fixtures.js";
import {FIXTURE_COUNT, fixtureImage, fixtureRow, setup} from "./helpers/model.js";

let tf: typeof TF;
let model: ResNet18;
beforeAll(async () => ({tf, model} = await setup()));

const TOLERANCE = 1e-3;
/** Relative gap between a window's two largest values below which we call it a rounding tie. */
const TIE_GAP = 2e-6;

/** Input pixels (flat indices) in the receptive field of a stem max-pool window that is a rounding tie on some path image. */
async function tiedFootprint(image: TF.Tensor3D, steps: number): Promise<Set<number>> {
  const footprint = new Set<number>();
  for (const a of pathAlphas(steps)) {
    const stem = tf.tidy(() => model.stemActivations(image.mul(a).expandDims(0) as TF.Tensor4D));
    const v = (await stem.data()) as Float32Array;
    stem.dispose();
    for (let oy = 0; oy < 56; oy++) for (let ox = 0; ox < 56; ox++) for (let c = 0; c < 64; c++) {
      let first = -Infinity;
      let second = -Infinity;
      for (let y = 2 * oy - 1; y <= 2 * oy + 1; y++) for (let x = 2 * ox - 1; x <= 2 * ox + 1; x++) {
        if (y < 0 || x < 0 || y >= 112 || x >= 112) continue;
        const value = v[(y * 112 + x) * 64 + c];
        if (value > first) [first, second] = [value, first];
        else if (value > second) second = value;
      }
      if (first > 0 && first !== second && (first - second) / first < TIE_GAP) {
        // Stem rows 2oy-1..2oy+1 see input rows 2(2oy-1)-3 .. 2(2oy+1)+3.
        for (let y = Math.max(0, 4 * oy - 5); y <= Math.min(223, 4 * oy + 5); y++) for (let x = Math.max(0, 4 * ox - 5); x <= Math.min(223, 4 * ox + 5); x++) footprint.add(y * 224 + x);
      }
    }
  }
  return footprint;
}

describe.each(Array.from({length: FIXTURE_COUNT}, (_, i) => i))("fixture image %i", (i) => {
  it("integrated gradients M=20 and M=8", async () => {
    const image = fixtureImage(i);
    for (const [name, steps] of [["integrated_gradients", 20], ["integrated_gradients_steps8", 8]] as const) {
      const result = await integratedGradients(model, image, {steps, batchSize: 10});
      const reference = fixtureRow(`relevance_${name}`, i);
      const diff = maxAbsDiff(result.relevance, reference);
      if (diff <= TOLERANCE) continue;
      const footprint = await tiedFootprint(image, steps);
      const unexplained: number[] = [];
      for (let p = 0; p < reference.length; p++) {
        if (Math.abs(result.relevance[p] - reference[p]) > TOLERANCE && !footprint.has(p)) unexplained.push(p);
      }
      console.warn(`image ${i} ${name}: max diff ${diff.toExponential(2)} > ${TOLERANCE}, on ${reference.length - countWithin(result.relevance, reference)} pixels, all within rounding-tied max-pool windows: ${unexplained.length === 0}`);
      expect(unexplained.map((p) => `(${Math.floor(p / 224)},${p % 224})`), `${name}: pixels off by > ${TOLERANCE} outside tied windows`).toEqual([]);
      const ours = await deletionCurve(model, image, result.relevance, {steps: 10, batchSize: 10});
      expect(Math.abs(ours.auc - fixtureRow(`auc_${name}_steps10`, i)[0]), `${name} deletion AUC`).toBeLessThanOrEqual(TOLERANCE);
    }
    image.dispose();
  });
});

function countWithin(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let n = 0;
  for (let p = 0; p < a.length; p++) if (Math.abs(a[p] - b[p]) <= TOLERANCE) n++;
  return n;
}

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
