// Occlusion's incremental forward (src/lib/occlusion-forward.ts): region
// arithmetic, stacking crops, and logits equal to the full forward on occluded
// copies for grids whose patches differ in size, touch the borders, span
// several layers' spread or stop spreading early, in batches of mixed
// positions. Fixture parity of the incremental path (S = 6, all fixture
// images) is in methods-gradients.test.ts.
import {afterAll, beforeAll, describe, expect, it} from "vitest";
import type * as TF from "@tensorflow/tfjs";
import {commonSize, OcclusionForward, spread, stackCrops} from "../src/lib/occlusion-forward.js";
import {occlusionGrid, patchRegions, prepareOcclusions} from "../src/lib/occlusion.js";
import type {ResNet18} from "../src/lib/resnet18.js";
import {maxAbsDiff} from "./helpers/fixtures.js";
import {setup, smallFixtureImage} from "./helpers/model.js";

let tf: typeof TF;
let model: ResNet18;
beforeAll(async () => ({tf, model} = await setup()));

describe("regions", () => {
  it("spread: the outputs whose window meets a region (brute force over every window)", () => {
    for (const [k, s, p, size] of [[7, 2, 3, 32], [3, 2, 1, 16], [3, 1, 1, 12], [1, 2, 0, 16], [3, 2, 1, 15]]) {
      const out = Math.floor((size + 2 * p - k) / s) + 1;
      for (let y0 = 0; y0 < size; y0++) {
        for (let y1 = y0 + 1; y1 <= size; y1++) {
          const hit = Array.from({length: out}, (_, o) => o * s - p <= y1 - 1 && o * s - p + k - 1 >= y0);
          const first = hit.indexOf(true);
          const end = hit.lastIndexOf(true) + 1;
          const r = spread({y0, y1, x0: y0, x1: y1}, k, s, p, out, out);
          expect([r.y0, r.y1], `k${k} s${s} p${p} rows ${y0}..${y1}`).toEqual(first < 0 ? [r.y0, r.y0] : [first, end]);
        }
      }
    }
  });

  it("commonSize: every region grows to the largest, stays inside the map and keeps what it covered", () => {
    const regions = [{y0: 0, y1: 3, x0: 5, x1: 7}, {y0: 8, y1: 10, x0: 0, x1: 4}, {y0: 4, y1: 6, x0: 9, x1: 10}];
    const grown = commonSize(regions, 10, 10);
    grown.forEach((g, i) => {
      expect([g.y1 - g.y0, g.x1 - g.x0]).toEqual([3, 4]);
      expect(g.y0 >= 0 && g.x0 >= 0 && g.y1 <= 10 && g.x1 <= 10).toBe(true);
      expect(g.y0 <= regions[i].y0 && g.y1 >= regions[i].y1 && g.x0 <= regions[i].x0 && g.x1 >= regions[i].x1).toBe(true);
    });
  });

  it("stackCrops: crops of a map with each copy's changed values written over them, clipping what falls outside", async () => {
    // A 4 x 5 map of zeros; two copies, each with a 2 x 3 block of ones (copy 0) or twos (copy 1).
    const base = tf.zeros([1, 4, 5, 2]) as TF.Tensor4D;
    const changed = tf.concat([tf.ones([1, 2, 3, 2]), tf.fill([1, 2, 3, 2], 2)]) as TF.Tensor4D;
    const expectCells = async (t: TF.Tensor, want: number[][][]) => {
      expect(t.shape).toEqual([want.length, want[0].length, want[0][0].length, 2]);
      const v = await t.data();
      expect(Array.from(v).filter((_, i) => i % 2 === 0)).toEqual(want.flat(2));
      expect(Array.from(v).filter((_, i) => i % 2 === 1)).toEqual(want.flat(2));
      t.dispose();
    };
    // Full maps: copy 0's block at (1, 1); copy 1's at (-1, 3): only its bottom-left 1 x 2 lands.
    await expectCells(stackCrops(base, changed, [{crop: {y: 0, x: 0}, changedAt: {y: 1, x: 1}}, {crop: {y: 0, x: 0}, changedAt: {y: -1, x: 3}}], 4, 5), [
      [[0, 0, 0, 0, 0], [0, 1, 1, 1, 0], [0, 1, 1, 1, 0], [0, 0, 0, 0, 0]],
      [[0, 0, 0, 2, 2], [0, 0, 0, 0, 0], [0, 0, 0, 0, 0], [0, 0, 0, 0, 0]],
    ]);
    // Two copies at the same place (one run), and a block entirely outside its crop.
    await expectCells(stackCrops(base, changed, [{crop: {y: 0, x: 0}, changedAt: {y: 2, x: 2}}, {crop: {y: 0, x: 0}, changedAt: {y: 2, x: 2}}], 4, 5), [
      [[0, 0, 0, 0, 0], [0, 0, 0, 0, 0], [0, 0, 1, 1, 1], [0, 0, 1, 1, 1]],
      [[0, 0, 0, 0, 0], [0, 0, 0, 0, 0], [0, 0, 2, 2, 2], [0, 0, 2, 2, 2]],
    ]);
    // 2 x 3 crops at different places of a map numbered 10..29.
    const numbered = tf.tensor4d(Array.from({length: 40}, (_, i) => Math.floor(i / 2) + 10), [1, 4, 5, 2]);
    await expectCells(stackCrops(numbered, changed, [{crop: {y: 2, x: 2}, changedAt: {y: 1, x: 2}}, {crop: {y: 0, x: 1}, changedAt: {y: 2, x: 0}}], 2, 3), [
      [[22, 23, 24], [27, 28, 1]],
      [[11, 12, 13], [16, 17, 18]],
    ]);
    // fill: one value over a block of each copy's own size.
    const black = tf.fill([1, 1, 1, 2], 7) as TF.Tensor4D;
    await expectCells(stackCrops(numbered, black, [{crop: {y: 1, x: 1}, changedAt: {y: 0, x: 1}}, {crop: {y: 1, x: 1}, changedAt: {y: 1, x: 0}}], 2, 3, [{h: 1, w: 2}, {h: 5, w: 1}]), [
      [[16, 7, 7], [21, 22, 23]],
      [[16, 17, 18], [7, 22, 23]],
    ]);
    expect(() => stackCrops(base, changed, [{crop: {y: 3, x: 0}, changedAt: {y: 0, x: 0}}], 2, 2)).toThrow(RangeError);
    tf.dispose([base, changed, numbered, black]);
  });
});

describe("logits equal the full forward on the occluded copies", () => {
  const images: TF.Tensor3D[] = [];
  afterAll(() => tf.dispose(images));

  // 64 px: the model is fully convolutional, and every spread reaches a border or stops early.
  it.each([[2, 4], [3, 9], [5, 7], [7, 8], [12, 16]])("S=%i, batches of %i", async (steps, batchSize) => {
    const image = smallFixtureImage(1, 64);
    images.push(image);
    const full = tf.tidy(() => model.logits(prepareOcclusions(image, steps)));
    const photo = new OcclusionForward(model, image);
    const patches = patchRegions(64, 64, steps);
    const parts: Float32Array[] = [];
    for (let start = 0; start < patches.length; start += batchSize) {
      const logits = photo.logits(patches.slice(start, start + batchSize));
      parts.push((await logits.data()) as Float32Array);
      logits.dispose();
    }
    const ours = new Float32Array(parts.reduce((n, p) => n + p.length, 0));
    parts.reduce((at, p) => (ours.set(p, at), at + p.length), 0);
    expect(ours.length).toBe(steps * steps * 10);
    expect(maxAbsDiff(ours, await full.data())).toBeLessThanOrEqual(1e-5);
    photo.dispose();
    full.dispose();
  });

  it("occlusionGrid: incremental equals full copies, and leaves no tensor behind", async () => {
    const image = smallFixtureImage(3, 96);
    images.push(image);
    const full = await occlusionGrid(model, image, 6, 4, 1, {batchSize: 8});
    const before = tf.memory().numTensors;
    const incremental = await occlusionGrid(model, image, 6, 4, 1, {batchSize: 8, incremental: true});
    expect(maxAbsDiff(incremental, full)).toBeLessThanOrEqual(1e-6);
    expect(tf.memory().numTensors).toBe(before);
  });
});
