// The largest settings the sliders allow (occlusion 32 x 32, integrated
// gradients with 256 steps, deletion with 100 steps) complete by chunking on
// a small batch size, report progress batch by batch, stay finite and leave
// no tensors behind ("GPU memory pressure", the library side; the
// browser side is in test/e2e/faults.test.ts).
//
// In CI the photo is shrunk to 64 x 64 (the model is fully convolutional:
// the same code paths, ~12x less work). EXPLAIN_HEAVY_TESTS=1 runs the real
// 224 x 224 photo (`npm run test:heavy`; ~10 min on 2 cores).
import {beforeAll, describe, expect, it} from "vitest";
import type * as TF from "@tensorflow/tfjs";
import {deletionCurve} from "../src/lib/deletion.js";
import {integratedGradients} from "../src/lib/integrated-gradients.js";
import {occlusion} from "../src/lib/occlusion.js";
import type {ResNet18} from "../src/lib/resnet18.js";
import {fixtureImage, setup} from "./helpers/model.js";

const HEAVY = process.env.EXPLAIN_HEAVY_TESTS === "1";
const SIZE = HEAVY ? 224 : 64;
const BATCH = 4;

let tf: typeof TF;
let model: ResNet18;
let image: TF.Tensor3D;
beforeAll(async () => {
  ({tf, model} = await setup());
  const full = fixtureImage(2);
  image = SIZE === 224 ? full : (tf.image.resizeBilinear(full, [SIZE, SIZE]) as TF.Tensor3D);
  if (image !== full) full.dispose();
  // Warm-up: the first gradient caches constant kernels (max-pool pickers,
  // flipped filters) that later calls reuse; they are not leaks.
  await integratedGradients(model, image, {steps: 2});
});

/** Records onProgress calls and checks they are batch-sized steps up to the total. */
function progressRecorder() {
  const calls: [number, number][] = [];
  return {
    onProgress: (done: number, total: number) => void calls.push([done, total]),
    check(total: number) {
      expect(calls.length).toBe(Math.ceil(total / BATCH));
      expect(calls.at(-1)).toEqual([total, total]);
      calls.forEach(([done, t], k) => {
        expect(t).toBe(total);
        expect(done).toBe(Math.min(total, (k + 1) * BATCH));
      });
    },
  };
}

function expectFinite(values: ArrayLike<number>): void {
  let bad = 0;
  for (let i = 0; i < values.length; i++) if (!Number.isFinite(values[i])) bad++;
  expect(bad).toBe(0);
}

describe(`the largest settings on a ${SIZE} x ${SIZE} photo in batches of ${BATCH}`, () => {
  it("occlusion with a 32 x 32 grid: 1,024 occluded copies", async () => {
    const before = tf.memory().numTensors;
    const progress = progressRecorder();
    const t0 = performance.now();
    const result = await occlusion(model, image, {steps: 32, batchSize: BATCH, onProgress: progress.onProgress});
    console.log(`occlusion S=32, ${SIZE}px, batch ${BATCH}: ${((performance.now() - t0) / 1000).toFixed(1)} s`);
    progress.check(1024);
    expect(result.grid.length).toBe(1024);
    expect(result.relevance.length).toBe(SIZE * SIZE);
    expectFinite(result.grid);
    expectFinite(result.relevance);
    expect(tf.memory().numTensors).toBe(before);
  });

  it("integrated gradients with 256 steps", async () => {
    const before = tf.memory().numTensors;
    const progress = progressRecorder();
    const t0 = performance.now();
    const result = await integratedGradients(model, image, {steps: 256, batchSize: BATCH, onProgress: progress.onProgress});
    console.log(`IG M=256, ${SIZE}px, batch ${BATCH}: ${((performance.now() - t0) / 1000).toFixed(1)} s`);
    progress.check(256);
    expectFinite(result.relevance);
    expect(Math.max(...Array.from(result.relevance, Math.abs))).toBeCloseTo(1, 6);
    expect(tf.memory().numTensors).toBe(before);
  });

  it("a deletion curve with 100 steps", async () => {
    const relevance = (await occlusion(model, image, {steps: 4})).relevance;
    const before = tf.memory().numTensors;
    const progress = progressRecorder();
    const t0 = performance.now();
    const result = await deletionCurve(model, image, relevance, {steps: 100, batchSize: BATCH, onProgress: progress.onProgress});
    console.log(`deletion S=100, ${SIZE}px, batch ${BATCH}: ${((performance.now() - t0) / 1000).toFixed(1)} s, AUC ${result.auc.toFixed(4)}`);
    progress.check(100);
    expect(result.curve.length).toBe(100);
    expectFinite(result.curve);
    expect(result.auc).toBeGreaterThanOrEqual(0);
    expect(result.auc).toBeLessThanOrEqual(1);
    expect(tf.memory().numTensors).toBe(before);
  });
});
