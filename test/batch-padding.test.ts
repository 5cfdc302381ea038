// The GPU backends' batch policy (a model built with {batchPolicy: {pad:
// true}}, as the compute worker builds it on webgpu and webgl): a last batch smaller than the batch
// size is padded to it, so a GPU backend meets one batch shape and compiles
// one set of programs. Checked here on wasm, in Node:
//  - every tensor a batched method sends through the model has the full
//    batch size (the batch makers pad in JavaScript, batchItems), for
//    occlusion, integrated gradients (every baseline), SmoothGrad, and
//    deletion and insertion on every substrate;
//  - padding changes no result: the same maps, curves and AUCs as without
//    (padded rows are dropped, or get an exactly zero gradient);
//  - without padding (the CPU policy) nothing is padded.
// On a 64 x 64 copy of a fixture photo (the network is fully convolutional).
import {afterEach, beforeAll, describe, expect, it} from "vitest";
import type * as TF from "@tensorflow/tfjs";
import {batchPolicyFor} from "../src/compute/backend.js";
import {batchesOf, batchItems, batchPlan, DEFAULT_BATCH_POLICY, makeBatchPolicy, runBatched} from "../src/lib/explanation.js";
import {integratedGradients} from "../src/lib/integrated-gradients.js";
import {metricCurve} from "../src/lib/insertion.js";
import {occlusion} from "../src/lib/occlusion.js";
import type {ResNet18} from "../src/lib/resnet18.js";
import {smoothGrad} from "../src/lib/smoothgrad.js";
import {ALL_SUBSTRATE_NAMES} from "../src/lib/substrate.js";
import {setup, smallFixtureImage} from "./helpers/model.js";

let tf: typeof TF;
let model: ResNet18;
beforeAll(async () => ({tf, model} = await setup()));
afterEach(() => void (model.batchPolicy = makeBatchPolicy()));

const BATCH = 4;

/** Runs `fn` with the model's forward pass recording the batch size of every call. */
async function batchSizes<T>(fn: () => Promise<T>): Promise<{value: T; sizes: number[]}> {
  const sizes: number[] = [];
  const normalize = model.normalize.bind(model);
  model.normalize = (images: TF.Tensor4D) => {
    sizes.push(images.shape[0]);
    return normalize(images);
  };
  try {
    return {value: await fn(), sizes};
  } finally {
    model.normalize = normalize;
  }
}

function maxDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let d = 0;
  for (let i = 0; i < a.length; i++) d = Math.max(d, Math.abs(a[i] - b[i]));
  return d;
}

describe("batchItems and runBatched", () => {
  it("pads the last batch's items with its last item, only when the policy pads", () => {
    expect(batchItems(8, 3, {size: 4, first: 4, pad: false})).toEqual([8, 9, 10]);
    expect(batchItems(8, 3, {size: 4, first: 4, pad: true})).toEqual([8, 9, 10, 10]);
    expect(batchItems(0, 4, {size: 4, first: 4, pad: true})).toEqual([0, 1, 2, 3]);
  });

  it("hands the padded items to the maker and drops the padding's values", async () => {
    const seen: number[][] = [];
    const parts = await runBatched(
      {batchPolicy: makeBatchPolicy({pad: true})},
      6,
      (_start, _count, items) => (seen.push(items), tf.tensor1d(items.map((i) => 10 * i))),
      (batch) => tf.add(batch, 1),
      {batchSize: 4},
    );
    expect(seen).toEqual([[0, 1, 2, 3], [4, 5, 5, 5]]);
    expect(parts.map((p) => Array.from(p))).toEqual([[1, 11, 21, 31], [41, 51]]);
  });
});

describe("the batch policy a model carries", () => {
  it("fills in the default and checks its values", () => {
    expect(makeBatchPolicy()).toEqual(DEFAULT_BATCH_POLICY);
    expect(makeBatchPolicy({size: 4.7, first: 2})).toEqual({size: 4, first: 2, pad: false});
    expect(() => makeBatchPolicy({size: 0})).toThrow(RangeError);
    expect(() => makeBatchPolicy({size: Number.NaN})).toThrow(RangeError);
    expect(() => makeBatchPolicy({first: 0})).toThrow(RangeError);
    expect(() => makeBatchPolicy({first: 1.5})).toThrow(RangeError);
  });

  it("cuts a call's batches by the model's policy, the call's own sizes first", () => {
    const cpu = {batchPolicy: makeBatchPolicy({size: 4, first: 2})};
    const gpu = {batchPolicy: makeBatchPolicy({size: 4, pad: true})};
    expect(batchesOf(cpu, {})).toEqual({size: 4, first: 2, pad: false});
    expect(batchesOf(gpu, {})).toEqual({size: 4, first: 4, pad: true});
    expect(batchesOf({}, {})).toEqual({size: 8, first: 8, pad: false});
    expect(batchesOf(cpu, {batchSize: 3})).toEqual({size: 3, first: 2, pad: false});
    expect(batchesOf(cpu, {batchSize: 6, firstBatchSize: 9})).toEqual({size: 6, first: 6, pad: false});
    expect(batchPlan(9, batchesOf(cpu, {}))).toEqual([[0, 2], [2, 4], [6, 3]]);
    expect(batchPlan(9, batchesOf(gpu, {}))).toEqual([[0, 4], [4, 4], [8, 1]]);
  });

  it("is chosen per backend: a small first batch on the CPU ones, padding on the GPU ones", () => {
    for (const name of ["wasm", "cpu"] as const) expect(batchPolicyFor(name)).toEqual({size: 8, first: 2, pad: false});
    for (const name of ["webgpu", "webgl"] as const) expect(batchPolicyFor(name, 4)).toEqual({size: 4, first: null, pad: true});
    expect(batchPolicyFor("webgpu", null).size).toBe(8);
    expect(() => batchPolicyFor("wasm", 0)).toThrow(RangeError);
  });

  it("two models on the same thread keep their own policies", async () => {
    const calls = (policy: Parameters<typeof makeBatchPolicy>[0]) => {
      const sizes: number[] = [];
      return runBatched({batchPolicy: makeBatchPolicy(policy)}, 5, (_start, _count, items) => tf.tensor1d(items), (batch) => (sizes.push(batch.shape[0]), tf.add(batch, 0))).then(() => sizes);
    };
    const [cpu, gpu] = await Promise.all([calls({size: 4, first: 2}), calls({size: 4, pad: true})]);
    expect(cpu).toEqual([2, 3]);
    expect(gpu).toEqual([4, 4]);
  });
});

describe("padded batches give the same results (wasm, 64 x 64, batches of 4)", () => {
  const cases: [string, (image: TF.Tensor3D) => Promise<{values: ArrayLike<number>; auc?: number}>, number][] = [
    // [name, computation, images it sends through the model (padding aside)]
    ["occlusion, S = 3", async (image) => ({values: (await occlusion(model, image, {steps: 3, batchSize: BATCH})).relevance}), 9],
    ["integrated gradients, M = 5", async (image) => ({values: (await integratedGradients(model, image, {steps: 5, batchSize: BATCH})).attributions}), 5],
    ["integrated gradients, uniform baseline, M = 3, K = 2", async (image) => ({values: (await integratedGradients(model, image, {steps: 3, baseline: "uniform", baselineSamples: 2, batchSize: BATCH})).attributions}), 6],
    ["integrated gradients, blur baseline, M = 3", async (image) => ({values: (await integratedGradients(model, image, {steps: 3, baseline: "blur", batchSize: BATCH})).attributions}), 3],
    ["SmoothGrad grad, n = 5", async (image) => ({values: (await smoothGrad(model, image, {method: "grad", samples: 5, batchSize: BATCH})).attributions}), 5],
    ["SmoothGrad grad x input, n = 3", async (image) => ({values: (await smoothGrad(model, image, {method: "grad_x_input", samples: 3, batchSize: BATCH})).attributions}), 3],
    ...(["deletion", "insertion"] as const).flatMap((metric) => ALL_SUBSTRATE_NAMES.map((substrate): [string, (image: TF.Tensor3D) => Promise<{values: ArrayLike<number>; auc: number}>, number] => [
      `${metric}, ${substrate}, S = 6`,
      async (image) => {
        const [h, w] = image.shape;
        const relevance = Float32Array.from({length: h * w}, (_, i) => Math.sin(i * 0.37) + (i % 7) / 7);
        const c = await metricCurve(model, image, relevance, {metric, substrate, steps: 6, batchSize: BATCH});
        return {values: c.curve, auc: c.auc};
      },
      6,
    ])),
  ];

  it.each(cases)("%s", async (_name, compute, images) => {
    const image = smallFixtureImage(0);
    try {
      model.batchPolicy = makeBatchPolicy({pad: false});
      const plain = await batchSizes(() => compute(image));
      model.batchPolicy = makeBatchPolicy({pad: true});
      const padded = await batchSizes(() => compute(image));
      // The same model calls; with padding each remainder batch has BATCH images, and nothing else changes.
      expect(padded.sizes.length).toBe(plain.sizes.length);
      padded.sizes.forEach((n, i) => expect(n === plain.sizes[i] || (plain.sizes[i] < BATCH && n === BATCH), `call ${i}: ${plain.sizes[i]} images, padded ${n}`).toBe(true));
      const remainders = plain.sizes.filter((n, i) => n !== padded.sizes[i]).length;
      expect(remainders > 0).toBe(images % BATCH !== 0);
      expect(padded.sizes.filter((n) => n === BATCH).length).toBeGreaterThanOrEqual(Math.ceil(images / BATCH));
      const scale = Math.max(...Array.from(plain.value.values, Math.abs));
      expect(maxDiff(padded.value.values, plain.value.values)).toBeLessThanOrEqual(1e-6 * scale);
      if (plain.value.auc !== undefined) expect(Math.abs(padded.value.auc! - plain.value.auc)).toBeLessThanOrEqual(1e-7);
    } finally {
      image.dispose();
    }
  });

  it("leaves no tensors behind", async () => {
    const image = smallFixtureImage(1);
    model.batchPolicy = makeBatchPolicy({pad: true});
    await occlusion(model, image, {steps: 3, batchSize: BATCH}); // caches of the first calls
    await integratedGradients(model, image, {steps: 5, batchSize: BATCH});
    const before = tf.memory().numTensors;
    await occlusion(model, image, {steps: 3, batchSize: BATCH});
    await integratedGradients(model, image, {steps: 5, batchSize: BATCH});
    await smoothGrad(model, image, {method: "grad", samples: 5, batchSize: BATCH});
    await metricCurve(model, image, new Float32Array(64 * 64).map((_, i) => i), {substrate: "road", steps: 6, batchSize: BATCH});
    expect(tf.memory().numTensors).toBe(before);
    image.dispose();
  });
});
