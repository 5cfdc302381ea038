// ROAD's noisy linear imputation (src/lib/road.ts): the linear system against
// an independent dense solve of its definition (weights 1/6 and 1/12,
// renormalized at the border), a linear image reproduced exactly inside a
// removed region away from the border, the degenerate masks, convergence and
// speed on 224x224 masks, the noise's properties, and the "road" substrate
// of the deletion and insertion curves (reproducible, batch-independent,
// leak-free). Cheap: 64x64 images except for the 224x224 solver timings.
import {beforeAll, describe, expect, it} from "vitest";
import type * as TF from "@tensorflow/tfjs";
import {deletionCurve, deletionStepOfPixel} from "../src/lib/deletion.js";
import {insertionCurve} from "../src/lib/insertion.js";
import {gradCam} from "../src/lib/grad-cam.js";
import {noisyLinearImputation, prepareImputed, ROAD_DIAGONAL_WEIGHT, ROAD_DIRECT_WEIGHT, ROAD_NOISE, ROAD_TOLERANCE} from "../src/lib/road.js";
import type {ResNet18} from "../src/lib/resnet18.js";
import {sampleSeed} from "../src/lib/baselines.js";
import {seededRandom} from "../src/lib/statistics.js";
import {fixtureRow, setup, smallFixtureImage} from "./helpers/model.js";
import {fixture} from "./helpers/fixtures.js";

let tf: typeof TF;
let model: ResNet18;
beforeAll(async () => ({tf, model} = await setup()));

/** The imputation by its definition: for each removed pixel, x_i * (sum of its in-image weights) - sum of removed neighbours' w x_j = sum of known neighbours' w x_j; dense Gaussian elimination with partial pivoting. */
function denseImputation(pixels: Float32Array, h: number, w: number, channels: number, removed: Uint8Array): Float64Array {
  const unknowns: number[] = [];
  removed.forEach((r, p) => r && unknowns.push(p));
  const index = new Map(unknowns.map((p, u) => [p, u]));
  const n = unknowns.length;
  const out = Float64Array.from(pixels);
  for (let c = 0; c < channels; c++) {
    const a = Array.from({length: n}, () => new Float64Array(n + 1));
    unknowns.forEach((p, u) => {
      const y = Math.floor(p / w), x = p % w;
      for (let dy = -1; dy <= 1; dy++) {
        for (let dx = -1; dx <= 1; dx++) {
          if ((dy === 0 && dx === 0) || y + dy < 0 || y + dy >= h || x + dx < 0 || x + dx >= w) continue;
          const weight = dy === 0 || dx === 0 ? 1 / 6 : 1 / 12;
          const q = (y + dy) * w + (x + dx);
          a[u][u] += weight;
          if (removed[q]) a[u][index.get(q)!] -= weight;
          else a[u][n] += weight * pixels[q * channels + c];
        }
      }
    });
    for (let col = 0; col < n; col++) {
      let pivot = col;
      for (let r = col + 1; r < n; r++) if (Math.abs(a[r][col]) > Math.abs(a[pivot][col])) pivot = r;
      [a[col], a[pivot]] = [a[pivot], a[col]];
      for (let r = 0; r < n; r++) {
        if (r === col) continue;
        const f = a[r][col] / a[col][col];
        if (f !== 0) for (let k = col; k <= n; k++) a[r][k] -= f * a[col][k];
      }
    }
    unknowns.forEach((p, u) => (out[p * channels + c] = a[u][n] / a[u][u]));
  }
  return out;
}

function randomImage(h: number, w: number, channels: number, seed: number): Float32Array {
  const random = seededRandom(seed);
  return Float32Array.from({length: h * w * channels}, () => random());
}

function maxDifference(a: ArrayLike<number>, b: ArrayLike<number>, where?: (i: number) => boolean): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) if (!where || where(i)) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

describe("the linear system", () => {
  it("uses 1/6 for direct and 1/12 for diagonal neighbours, summing to 1", () => {
    expect(ROAD_DIRECT_WEIGHT).toBe(1 / 6);
    expect(ROAD_DIAGONAL_WEIGHT).toBe(1 / 12);
    expect(4 * ROAD_DIRECT_WEIGHT + 4 * ROAD_DIAGONAL_WEIGHT).toBeCloseTo(1, 15);
  });

  it("equals a dense solve of the definition on random masks, border pixels included (12x10, 3 channels)", () => {
    const [h, w] = [12, 10];
    for (const [seed, fraction] of [[1, 0.2], [2, 0.6], [3, 0.95]]) {
      const pixels = randomImage(h, w, 3, seed);
      const random = seededRandom(100 + seed);
      const removed = Uint8Array.from({length: h * w}, () => (random() < fraction ? 1 : 0));
      const got = noisyLinearImputation(pixels, h, w, 3, removed, {noise: 0});
      const want = denseImputation(pixels, h, w, 3, removed);
      expect(got.unknowns).toBe(removed.reduce((a, b) => a + b, 0));
      expect(got.residual).toBeLessThanOrEqual(ROAD_TOLERANCE);
      // float32 output of a float64 solution: within float32 rounding.
      expect(maxDifference(got.values, want), `fraction ${fraction}`).toBeLessThanOrEqual(1e-6);
      // Known pixels are copied exactly.
      for (let p = 0; p < h * w; p++) if (!removed[p]) for (let c = 0; c < 3; c++) expect(got.values[p * 3 + c]).toBe(pixels[p * 3 + c]);
    }
  });

  it("each imputed value is the weighted mean of its 8 (in-image) neighbours: a corner pixel's 3 neighbours renormalized", () => {
    // 3x3, only the top-left corner removed: its neighbours right (1/6), below (1/6), diagonal (1/12), weights / (5/12).
    const pixels = Float32Array.from([0, 0.25, 0, 0.5, 1, 0, 0, 0, 0]);
    const removed = Uint8Array.from([1, 0, 0, 0, 0, 0, 0, 0, 0]);
    const {values} = noisyLinearImputation(pixels, 3, 3, 1, removed, {noise: 0});
    expect(values[0]).toBeCloseTo(((1 / 6) * 0.25 + (1 / 6) * 0.5 + (1 / 12) * 1) / (5 / 12), 7);
  });

  it("reproduces a linear image exactly inside a removed region away from the border (noise 0)", () => {
    const [h, w] = [64, 64];
    // Dyadic values (multiples of 2^-10, exactly float32) of a different plane per channel, in [0, 1].
    const plane = (y: number, x: number, c: number) => [(y + 2 * x + 3) / 1024, (3 * y + x + 100) / 1024, (700 - 2 * y - 3 * x) / 1024][c];
    const pixels = new Float32Array(h * w * 3);
    for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) for (let c = 0; c < 3; c++) pixels[(y * w + x) * 3 + c] = plane(y, x, c);
    const random = seededRandom(9);
    const inside = (y: number, x: number) => y > 0 && x > 0 && y < h - 1 && x < w - 1;
    const masks: [string, (y: number, x: number) => boolean][] = [
      ["a disc", (y, x) => (y - 30) ** 2 + (x - 34) ** 2 < 20 ** 2],
      ["everything but the border ring", inside],
      ["random interior pixels (70%)", (y, x) => inside(y, x) && random() < 0.7],
      ["two bands", (y, x) => inside(y, x) && (y % 16 < 7 || x % 20 < 3)],
    ];
    for (const [name, isRemoved] of masks) {
      const removed = new Uint8Array(h * w);
      for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) removed[y * w + x] = isRemoved(y, x) ? 1 : 0;
      const {values, residual, unknowns} = noisyLinearImputation(pixels, h, w, 3, removed, {noise: 0});
      expect(unknowns, name).toBeGreaterThan(300);
      expect(residual, name).toBeLessThanOrEqual(ROAD_TOLERANCE);
      // The plane solves every equation (a symmetric stencil's weighted mean of a linear function is its centre value),
      // and the solver is within ~1e-11 of it, far below half a float32 ulp of these values: exact equality.
      expect(Array.from(values), name).toEqual(Array.from(pixels));
    }
    // Not vacuous: a region touching the border is NOT reproduced (the renormalized border weights are not symmetric).
    const corner = new Uint8Array(h * w);
    for (let y = 0; y < 10; y++) for (let x = 0; x < 10; x++) corner[y * w + x] = 1;
    expect(maxDifference(noisyLinearImputation(pixels, h, w, 3, corner, {noise: 0}).values, pixels)).toBeGreaterThan(1e-3);
  });

  it("every pixel removed: nothing is known, the solution is 0 (plus noise); one pixel known: the image becomes that colour", () => {
    const [h, w] = [40, 48];
    const pixels = randomImage(h, w, 3, 4);
    const all = new Uint8Array(h * w).fill(1);
    const none = noisyLinearImputation(pixels, h, w, 3, all, {noise: 0});
    expect(none.values.every((v) => v === 0)).toBe(true);
    expect(none.iterations).toBe(0);
    const one = Uint8Array.from(all);
    one[17 * w + 5] = 0;
    const {values, residual} = noisyLinearImputation(pixels, h, w, 3, one, {noise: 0});
    expect(residual).toBeLessThanOrEqual(ROAD_TOLERANCE);
    const colour = pixels.subarray((17 * w + 5) * 3, (17 * w + 5) * 3 + 3);
    for (let p = 0; p < h * w; p++) for (let c = 0; c < 3; c++) expect(Math.abs(values[p * 3 + c] - colour[c])).toBeLessThanOrEqual(1e-6);
    // Nothing removed: the photo, unchanged.
    expect(Array.from(noisyLinearImputation(pixels, h, w, 3, new Uint8Array(h * w), {noise: 0}).values)).toEqual(Array.from(pixels));
  });

  it("converges to a relative residual <= 1e-12 on 224x224 masks from 10% to everything-but-one pixel removed (timed)", () => {
    const pixels = Float32Array.from((fixture("images").data as Uint8Array).subarray(0, 224 * 224 * 3), (v) => v / 255);
    const step = deletionStepOfPixel(fixtureRow("relevance_grad_cam", 0), 10);
    const random = seededRandom(5);
    const masks: [string, Uint8Array][] = [
      ["GradCAM deletion, 11% removed", Uint8Array.from(step, (s) => (s <= 1 ? 1 : 0))],
      ["GradCAM deletion, 89% removed", Uint8Array.from(step, (s) => (s <= 8 ? 1 : 0))],
      ["random, 99% removed", Uint8Array.from(step, () => (random() < 0.99 ? 1 : 0))],
      ["all but one corner pixel", Uint8Array.from(step, (_, p) => (p === 0 ? 0 : 1))],
    ];
    for (const [name, removed] of masks) {
      const cpu = process.cpuUsage();
      const t0 = performance.now();
      const result = noisyLinearImputation(pixels, 224, 224, 3, removed, {noise: 0});
      const ms = performance.now() - t0;
      const cpuMs = process.cpuUsage(cpu).user / 1000;
      console.log(`ROAD imputation 224x224, ${name}: ${result.unknowns} unknowns, ${result.iterations} iterations, residual ${result.residual.toExponential(1)}, ${ms.toFixed(0)} ms (${cpuMs.toFixed(0)} ms CPU)`);
      expect(result.residual, name).toBeLessThanOrEqual(ROAD_TOLERANCE);
      expect(result.iterations, name).toBeLessThanOrEqual(60);
      expect(result.values.every(Number.isFinite)).toBe(true);
    }
  });
});

describe("the noise", () => {
  it("is N(0, sigma^2) on removed pixels only, seeded, and a pixel's noise does not depend on the mask", () => {
    const [h, w] = [64, 64];
    const pixels = randomImage(h, w, 3, 6);
    const random = seededRandom(7);
    const removedA = Uint8Array.from({length: h * w}, () => (random() < 0.5 ? 1 : 0));
    const removedB = Uint8Array.from({length: h * w}, () => (random() < 0.5 ? 1 : 0));
    const sigma = 0.05;
    const clean = noisyLinearImputation(pixels, h, w, 3, removedA, {noise: 0}).values;
    const noisy = noisyLinearImputation(pixels, h, w, 3, removedA, {noise: sigma, random: seededRandom(11)}).values;
    const again = noisyLinearImputation(pixels, h, w, 3, removedA, {noise: sigma, random: seededRandom(11)}).values;
    const other = noisyLinearImputation(pixels, h, w, 3, removedA, {noise: sigma, random: seededRandom(12)}).values;
    expect(Array.from(again)).toEqual(Array.from(noisy));
    expect(maxDifference(other, noisy)).toBeGreaterThan(0.01);
    const deviations: number[] = [];
    for (let p = 0; p < h * w; p++) {
      for (let c = 0; c < 3; c++) {
        const k = p * 3 + c;
        if (removedA[p]) deviations.push(noisy[k] - clean[k]);
        else expect(noisy[k]).toBe(pixels[k]);
      }
    }
    const m = deviations.length; // ~6000
    const mean = deviations.reduce((a, b) => a + b, 0) / m;
    const sd = Math.sqrt(deviations.reduce((a, b) => a + (b - mean) ** 2, 0) / (m - 1));
    // Mean within 5 standard errors of 0; sd within 5% of sigma (its standard error is sigma / sqrt(2m), under 1%).
    expect(Math.abs(mean)).toBeLessThanOrEqual((5 * sigma) / Math.sqrt(m));
    expect(Math.abs(sd / sigma - 1)).toBeLessThanOrEqual(0.05);
    // Same stream, another mask: the pixels removed in both get the same noise.
    const cleanB = noisyLinearImputation(pixels, h, w, 3, removedB, {noise: 0}).values;
    const noisyB = noisyLinearImputation(pixels, h, w, 3, removedB, {noise: sigma, random: seededRandom(11)}).values;
    let both = 0;
    for (let p = 0; p < h * w; p++) {
      if (!(removedA[p] && removedB[p])) continue;
      both++;
      for (let c = 0; c < 3; c++) expect(Math.abs((noisyB[p * 3 + c] - cleanB[p * 3 + c]) - (noisy[p * 3 + c] - clean[p * 3 + c]))).toBeLessThanOrEqual(1e-6);
    }
    expect(both).toBeGreaterThan(500);
  });

  it("needs a seeded stream and a valid level", () => {
    const pixels = randomImage(4, 4, 3, 1);
    const removed = new Uint8Array(16).fill(1);
    expect(() => noisyLinearImputation(pixels, 4, 4, 3, removed)).toThrow(/seeded random stream/);
    expect(() => noisyLinearImputation(pixels, 4, 4, 3, removed, {noise: -1, random: Math.random})).toThrow(RangeError);
    expect(() => noisyLinearImputation(pixels, 4, 4, 3, new Uint8Array(15))).toThrow(RangeError);
    expect(ROAD_NOISE).toBe(0.01);
  });
});

describe("the road substrate of deletion and insertion", () => {
  it("deletion images: image 0 the photo, the last noise only; each image imputed from its kept pixels; the same in any batch", async () => {
    const image = smallFixtureImage(2);
    const relevance = (await gradCam(model, image)).relevance;
    const steps = 5;
    const stepOfPixel = deletionStepOfPixel(relevance, steps);
    const pixels = (await image.data()) as Float32Array;
    const all = prepareImputed("deletion", pixels, image.shape, stepOfPixel, 0, steps, {seed: 3});
    const part = prepareImputed("deletion", pixels, image.shape, stepOfPixel, 2, 2, {seed: 3});
    const values = await all.data();
    const size = pixels.length;
    expect(Array.from(values.subarray(0, size))).toEqual(Array.from(pixels));
    expect(Array.from(await part.data())).toEqual(Array.from(values.subarray(2 * size, 4 * size)));
    // The last image: every pixel removed, so 0 + N(0, 0.01^2).
    const last = values.subarray((steps - 1) * size);
    const rms = Math.sqrt(Array.from(last).reduce((a, v) => a + v * v, 0) / size);
    expect(rms).toBeGreaterThan(0.009);
    expect(rms).toBeLessThan(0.011);
    // Image 2, by the imputation itself with sample 2's stream.
    const removed = Uint8Array.from(stepOfPixel, (s) => (s <= 2 ? 1 : 0));
    const {values: want} = noisyLinearImputation(pixels, 64, 64, 3, removed, {noise: ROAD_NOISE, random: seededRandom(sampleSeed(3, 2))});
    expect(Array.from(values.subarray(2 * size, 3 * size))).toEqual(Array.from(want));
    tf.dispose([all, part, image]);
  });

  it("deletion and insertion curves with road: reproducible, independent of the batch size, seeded; nothing leaks", async () => {
    const image = smallFixtureImage(4);
    const relevance = (await gradCam(model, image)).relevance;
    await deletionCurve(model, image, relevance, {steps: 4, substrate: "road"}); // warm-up
    const before = tf.memory().numTensors;
    const a = await deletionCurve(model, image, relevance, {steps: 6, substrate: "road", batchSize: 6});
    const b = await deletionCurve(model, image, relevance, {steps: 6, substrate: "road", batchSize: 1});
    const c = await deletionCurve(model, image, relevance, {steps: 6, substrate: "road", batchSize: 4, road: {seed: 1}});
    const black = await deletionCurve(model, image, relevance, {steps: 6});
    expect(Array.from(b.curve)).toEqual(Array.from(a.curve));
    expect(a.substrate).toBe("road");
    expect(a.road).toEqual({noise: ROAD_NOISE, seed: 0});
    expect(Array.from(c.curve)).not.toEqual(Array.from(a.curve));
    expect(a.curve[0]).toBe(black.curve[0]); // image 0 is the photo for every substrate
    expect(Array.from(a.curve)).not.toEqual(Array.from(black.curve));
    const ins = await insertionCurve(model, image, relevance, {steps: 6, substrate: "road", batchSize: 4});
    const ins1 = await insertionCurve(model, image, relevance, {steps: 6, substrate: "road", batchSize: 1});
    expect(Array.from(ins1.curve)).toEqual(Array.from(ins.curve));
    expect(ins.curve[5]).toBe(a.curve[0]); // insertion's last image is the photo
    expect(tf.memory().numTensors).toBe(before);
    await expect(deletionCurve(model, image, relevance, {steps: 4, substrate: "road", road: {noise: -1}})).rejects.toThrow(RangeError);
    await expect(deletionCurve(model, image, relevance, {steps: 4, substrate: "nope" as "road"})).rejects.toThrow(/unknown substrate/);
    const controller = new AbortController();
    const run = deletionCurve(model, image, relevance, {steps: 6, substrate: "road", batchSize: 2, signal: controller.signal, onProgress: () => controller.abort(new Error("moved"))});
    await expect(run).rejects.toThrow("moved");
    expect(tf.memory().numTensors).toBe(before);
    image.dispose();
  });
});
