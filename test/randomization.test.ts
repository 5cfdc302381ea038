// Cascading model randomization (src/lib/randomization.ts) and Spearman's
// rank correlation (src/lib/statistics.ts): which tensors each stage
// re-initializes, with what distribution, reproducibly and cumulatively; and
// that the sanity check separates a trained model from a random one.
import {beforeAll, describe, expect, it} from "vitest";
import type * as TF from "@tensorflow/tfjs";
import {loadCheckpoint} from "../src/data/node/model.js";
import {grad} from "../src/lib/gradient.js";
import {explain} from "../src/lib/methods.js";
import type {NamedTensors} from "../src/lib/pth.js";
import {gaussianSampler, MAX_RANDOMIZATION_STAGE, RANDOMIZATION_GROUPS, RANDOMIZATION_SEED, RANDOMIZATION_STAGES, randomizedStateDict, reinitializedTensorNames} from "../src/lib/randomization.js";
import {ResNet18} from "../src/lib/resnet18.js";
import {averageRanks, mean, seededRandom, spearman, std} from "../src/lib/statistics.js";
import {WEIGHTS} from "./helpers/fixtures.js";
import {fixtureImage, setup} from "./helpers/model.js";

let tf: typeof TF;
let trainedModel: ResNet18;
let trained: NamedTensors;
beforeAll(async () => {
  ({tf, model: trainedModel} = await setup());
  trained = loadCheckpoint(WEIGHTS).stateDict;
});

const sameData = (a: Float32Array, b: Float32Array) => a.length === b.length && a.every((v, i) => Object.is(v, b[i]));
const absolute = (r: Float32Array) => r.map(Math.abs);

/**
 * The prefixes of each stage's group, written out independently of the
 * library, with the number of tensors each group holds in torchvision's
 * state dict (conv weights + 4 per BatchNorm; num_batches_tracked is not loaded):
 * fc 2; a block without downsample 2 convs + 2 BN = 10; with downsample 15;
 * conv1 + bn1 = 5. 2 + 10 + 15 + 10 + 15 + 10 + 15 + 10 + 10 + 5 = 102 = all.
 */
const GROUPS: [string[], number][] = [
  [["fc."], 2],
  [["layer4.1."], 10],
  [["layer4.0."], 15],
  [["layer3.1."], 10],
  [["layer3.0."], 15],
  [["layer2.1."], 10],
  [["layer2.0."], 15],
  [["layer1.1."], 10],
  [["layer1.0."], 10],
  [["conv1.", "bn1."], 5],
];

describe("stages", () => {
  it("lists 11 stages, top down, and every tensor of the model is re-initialized by stage 10", () => {
    expect(RANDOMIZATION_STAGES.map((s) => s.stage)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    expect(MAX_RANDOMIZATION_STAGE).toBe(10);
    expect(RANDOMIZATION_GROUPS).toEqual(["fc", "layer4.1", "layer4.0", "layer3.1", "layer3.0", "layer2.1", "layer2.0", "layer1.1", "layer1.0", "conv1"]);
    expect(trained.size).toBe(102);
    expect(reinitializedTensorNames(trained, 10).length).toBe(102);
    expect(reinitializedTensorNames(trained, 0)).toEqual([]);
    expect(() => randomizedStateDict(trained, 11)).toThrow(RangeError);
    expect(() => randomizedStateDict(trained, 1.5)).toThrow(RangeError);
  });

  it("stage 0 is the trained state dict, and its model gives exactly the trained logits", async () => {
    const sd = randomizedStateDict(trained, 0);
    for (const [name, t] of trained) expect(sd.get(name), name).toBe(t);
    const model = new ResNet18(sd);
    const image = fixtureImage(0);
    const [a, b] = tf.tidy(() => [model.logits(image.expandDims(0) as TF.Tensor4D), trainedModel.logits(image.expandDims(0) as TF.Tensor4D)]);
    expect(Array.from(await a.data())).toEqual(Array.from(await b.data()));
    tf.dispose([a, b, image]);
    model.dispose();
  });

  it("stage k re-initializes exactly the tensors of groups 1..k and leaves every other tensor identical", () => {
    let expectedNames = new Set<string>();
    for (let stage = 1; stage <= 10; stage++) {
      const [prefixes, count] = GROUPS[stage - 1];
      const group = [...trained.keys()].filter((n) => prefixes.some((p) => n.startsWith(p)));
      expect(group.length, `stage ${stage}`).toBe(count);
      expectedNames = new Set([...expectedNames, ...group]);
      expect(new Set(reinitializedTensorNames(trained, stage))).toEqual(expectedNames);
      const sd = randomizedStateDict(trained, stage);
      expect([...sd.keys()]).toEqual([...trained.keys()]);
      for (const [name, t] of trained) {
        const r = sd.get(name)!;
        expect(r.shape, name).toEqual(t.shape);
        if (!expectedNames.has(name)) {
          expect(r, `${name} untouched at stage ${stage}`).toBe(t);
          continue;
        }
        // Re-initialized: a fresh torchvision module's value.
        expect(r, name).not.toBe(t);
        if (name.endsWith(".running_mean") || (name.endsWith(".bias") && !name.startsWith("fc."))) {
          expect(r.data.every((v) => v === 0), `${name} = 0`).toBe(true);
        } else if (name.endsWith(".running_var") || (name.endsWith(".weight") && t.shape.length === 1)) {
          expect(r.data.every((v) => v === 1), `${name} = 1`).toBe(true);
        } else {
          // conv and fc weights, fc bias: random, and none of the trained values kept.
          expect(r.data.some((v, i) => v === t.data[i]), `${name} differs everywhere from the trained tensor`).toBe(false);
        }
      }
    }
  });

  it("is cascading: stage k+1 keeps stage k's random tensors and adds one group", () => {
    let previous = randomizedStateDict(trained, 1);
    for (let stage = 2; stage <= 10; stage++) {
      const current = randomizedStateDict(trained, stage);
      for (const name of reinitializedTensorNames(trained, stage - 1)) {
        expect(sameData(current.get(name)!.data, previous.get(name)!.data), `${name} at stage ${stage}`).toBe(true);
      }
      const added = reinitializedTensorNames(trained, stage).filter((n) => !reinitializedTensorNames(trained, stage - 1).includes(n));
      expect(added.every((n) => n.startsWith(GROUPS[stage - 1][0][0]) || n.startsWith(GROUPS[stage - 1][0][1] ?? "\0"))).toBe(true);
      previous = current;
    }
  });

  it("is deterministic by seed: the same seed gives the same weights, another seed other weights", () => {
    const a = randomizedStateDict(trained, 3, {seed: 7});
    const b = randomizedStateDict(trained, 3, {seed: 7});
    const c = randomizedStateDict(trained, 3, {seed: 8});
    const d = randomizedStateDict(trained, 3);
    const e = randomizedStateDict(trained, 3, {seed: RANDOMIZATION_SEED});
    for (const name of reinitializedTensorNames(trained, 3)) {
      expect(sameData(a.get(name)!.data, b.get(name)!.data), name).toBe(true);
      expect(sameData(d.get(name)!.data, e.get(name)!.data), name).toBe(true);
      const random = name.startsWith("fc.") || a.get(name)!.shape.length === 4;
      if (random) expect(sameData(a.get(name)!.data, c.get(name)!.data), `${name} seed 7 vs 8`).toBe(false);
    }
    // Different groups draw from different streams: the two fc tensors and the two
    // 3x3 convs of a block are not copies of one another.
    const w1 = a.get("layer4.1.conv1.weight")!.data;
    const w2 = a.get("layer4.1.conv2.weight")!.data;
    expect(sameData(w1, w2)).toBe(false);
    expect(w1[0]).not.toBe(a.get("layer4.0.conv1.weight")!.data[0]);
  });
});

describe("distributions", () => {
  it("each re-initialized conv is N(0, 2/fan_out): std within 3% of sqrt(2/fan_out), mean ~ 0, 68% within 1 std", () => {
    const sd = randomizedStateDict(trained, 10);
    const convs = [...sd].filter(([, t]) => t.shape.length === 4);
    expect(convs.length).toBe(20); // conv1 + 16 block convs + 3 downsample convs
    for (const [name, t] of convs) {
      const [out, , kh, kw] = t.shape;
      const expected = Math.sqrt(2 / (out * kh * kw));
      const s = std(t.data);
      const m = mean(t.data);
      const within = t.data.filter((v) => Math.abs(v) <= expected).length / t.data.length;
      expect(Math.abs(s / expected - 1), `${name}: std ${s} vs ${expected}`).toBeLessThan(0.03);
      // Standard error of the mean: std / sqrt(n); 5 of them.
      expect(Math.abs(m), `${name}: mean ${m}`).toBeLessThan((5 * expected) / Math.sqrt(t.data.length));
      expect(Math.abs(within - 0.6827), `${name}: share within 1 std ${within}`).toBeLessThan(0.02);
    }
  });

  it("the fc layer is U(-1/sqrt(512), 1/sqrt(512)) for weight and bias", () => {
    const sd = randomizedStateDict(trained, 1);
    const bound = 1 / Math.sqrt(512);
    const weight = sd.get("fc.weight")!;
    const bias = sd.get("fc.bias")!;
    expect(weight.shape).toEqual([10, 512]);
    expect(bias.shape).toEqual([10]);
    for (const t of [weight, bias]) expect(t.data.every((v) => Math.abs(v) <= bound)).toBe(true);
    // 5120 uniform values fill the interval: the extremes are within 1% of the bounds,
    // the std is bound/sqrt(3) within 5%.
    expect(Math.min(...weight.data)).toBeLessThan(-0.99 * bound);
    expect(Math.max(...weight.data)).toBeGreaterThan(0.99 * bound);
    expect(Math.abs(std(weight.data) / (bound / Math.sqrt(3)) - 1)).toBeLessThan(0.05);
    // The bias is random too (not zeros, not all equal).
    expect(new Set(bias.data).size).toBe(10);
  });

  it("the Gaussian sampler (Box-Muller) has mean 0, variance 1 and normal tails", () => {
    const normal = gaussianSampler(seededRandom(3));
    const xs = Float64Array.from({length: 200_000}, normal);
    expect(Math.abs(mean(xs))).toBeLessThan(0.01);
    expect(Math.abs(std(xs) - 1)).toBeLessThan(0.01);
    const beyond2 = xs.filter((x) => Math.abs(x) > 2).length / xs.length; // 4.55%
    expect(Math.abs(beyond2 - 0.0455)).toBeLessThan(0.003);
    expect(xs.every(Number.isFinite)).toBe(true);
  });
});

describe("Spearman rank correlation", () => {
  it("ranks ties by their average rank", () => {
    expect(Array.from(averageRanks([10, 20, 20, 30]))).toEqual([1, 2.5, 2.5, 4]);
    expect(Array.from(averageRanks([3, 1, 3, 3, 0]))).toEqual([4, 2, 4, 4, 1]);
    expect(Array.from(averageRanks([-0, 0]))).toEqual([1.5, 1.5]);
    expect(() => averageRanks([1, NaN])).toThrow(RangeError);
  });

  it("is 1 for identical rankings, -1 for reversed ones, whatever the scale", () => {
    const a = Float32Array.from({length: 1000}, (_, i) => Math.sin(i) * 10);
    expect(spearman(a, a)).toBeCloseTo(1, 12);
    expect(spearman(a, a.map((v) => Math.exp(v / 5)))).toBeCloseTo(1, 12); // monotone transform
    expect(spearman(a, a.map((v) => -3 * v))).toBeCloseTo(-1, 12);
    expect(spearman([1, 2, 3, 4], [40, 30, 20, 10])).toBe(-1);
  });

  it("matches hand-computed values with ties", () => {
    // a = [1, 2, 2, 3] -> ranks [1, 2.5, 2.5, 4]; b = [1, 3, 2, 4] -> ranks [1, 3, 2, 4].
    // Both rank means are 2.5: deviations da = [-1.5, 0, 0, 1.5], db = [-1.5, 0.5, -0.5, 1.5].
    // sum da*db = 2.25 + 2.25 = 4.5; sum da^2 = 4.5; sum db^2 = 2.25 + 0.25 + 0.25 + 2.25 = 5.
    // rho = 4.5 / sqrt(4.5 * 5) = sqrt(0.9) = 0.9486833.
    expect(spearman([1, 2, 2, 3], [1, 3, 2, 4])).toBeCloseTo(Math.sqrt(0.9), 12);
    // a = [0, 0, 0, 1] -> ranks [2, 2, 2, 4]; b = [1, 0, 0, 1] -> ranks [3.5, 1.5, 1.5, 3.5].
    // Means 2.5 and 2.5: da = [-0.5, -0.5, -0.5, 1.5], db = [1, -1, -1, 1].
    // sum da*db = -0.5 + 0.5 + 0.5 + 1.5 = 2; sum da^2 = 0.75 + 2.25 = 3; sum db^2 = 4.
    // rho = 2 / sqrt(12) = 1 / sqrt(3) = 0.5773503.
    expect(spearman([0, 0, 0, 1], [1, 0, 0, 1])).toBeCloseTo(1 / Math.sqrt(3), 12);
  });

  it("without ties equals 1 - 6 sum d^2 / (n (n^2 - 1)) on random samples", () => {
    const random = seededRandom(11);
    for (let trial = 0; trial < 20; trial++) {
      const n = 5 + Math.floor(random() * 200);
      const a = Float64Array.from({length: n}, random);
      const b = Float64Array.from({length: n}, (_, i) => (trial % 2 ? a[i] + random() : random()));
      const ra = averageRanks(a);
      const rb = averageRanks(b);
      let d2 = 0;
      for (let i = 0; i < n; i++) d2 += (ra[i] - rb[i]) ** 2;
      expect(spearman(a, b)).toBeCloseTo(1 - (6 * d2) / (n * (n * n - 1)), 10);
    }
  });

  it("is NaN when a sample is constant (no ranking to correlate), and checks lengths", () => {
    expect(spearman([2, 2, 2, 2], [1, 2, 3, 4])).toBeNaN();
    expect(spearman([1, 2, 3, 4], new Float32Array(4))).toBeNaN();
    expect(spearman([1], [1])).toBeNaN();
    expect(() => spearman([1, 2], [1, 2, 3])).toThrow();
  });
});

describe("the sanity check on the model", () => {
  it("re-initialized BatchNorm statistics (0/1) keep activations finite at every stage; kept statistics too (measured, see randomization.ts)", async () => {
    const image = fixtureImage(0);
    const rms: Record<string, number[]> = {fresh: [], kept: []};
    for (const [label, keepRunningStats] of [["fresh", false], ["kept", true]] as const) {
      for (const stage of [0, 1, 2, 5, 9, 10]) {
        const model = new ResNet18(randomizedStateDict(trained, stage, {keepRunningStats}));
        const [features, logits] = tf.tidy(() => {
          const f = model.features(image.expandDims(0) as TF.Tensor4D);
          return [f, model.head(f)];
        });
        const f = await features.data();
        const l = await logits.data();
        tf.dispose([features, logits]);
        model.dispose();
        expect(f.every(Number.isFinite) && l.every(Number.isFinite), `${label} stage ${stage}`).toBe(true);
        rms[label].push(Math.sqrt(mean(f.map((v) => v * v))));
      }
    }
    console.log(`layer4 RMS at stages 0,1,2,5,9,10: fresh statistics ${rms.fresh.map((v) => v.toFixed(2)).join(", ")}; kept ${rms.kept.map((v) => v.toFixed(2)).join(", ")}`);
    // Stages 0 and 1 do not touch any BatchNorm: both options agree there.
    expect(rms.fresh.slice(0, 2)).toEqual(rms.kept.slice(0, 2));
    // Fresh statistics: no normalization, residual sums grow the scale (measured 0.35 -> ~12 at stage 9), nothing explodes.
    for (const v of rms.fresh) {
      expect(v).toBeGreaterThan(0.05);
      expect(v).toBeLessThan(100);
    }
    expect(rms.fresh[4]).toBeGreaterThan(rms.fresh[0]);
    // The option does what it says: kept statistics give another network from stage 2 on.
    expect(rms.kept[2]).not.toBe(rms.fresh[2]);
    image.dispose();
  });

  it("the gradient map of the fully random model ranks pixels clearly differently; GradCAM already at stage 1", async () => {
    // Measured on this photo (tench, ILSVRC2012_val_00009111, wasm): grad
    // rho(|r|) = 0.304 at stage 10; GradCAM 0.060 at stage 1.
    const image = fixtureImage(0);
    const original = await grad(trainedModel, image);
    const originalCam = await explain("grad_cam", trainedModel, image);
    const target = original.target;
    const stage1 = new ResNet18(randomizedStateDict(trained, 1));
    const cam1 = await explain("grad_cam", stage1, image, {target});
    stage1.dispose();
    const stage10 = new ResNet18(randomizedStateDict(trained, 10));
    const random = await grad(stage10, image, {target});
    stage10.dispose();
    // The same gradient computed again is the same map: a drop is the model's doing, not noise.
    const again = await grad(trainedModel, image);
    image.dispose();
    expect(spearman(absolute(original.relevance), absolute(again.relevance))).toBeCloseTo(1, 9);
    expect(random.target).toBe(target); // the class of the trained model, not the random model's own
    const rhoGrad = spearman(absolute(original.relevance), absolute(random.relevance));
    const rhoCam = spearman(absolute(originalCam.relevance), absolute(cam1.relevance));
    console.log(`Spearman |r|: grad stage 10 ${rhoGrad.toFixed(3)}, grad_cam stage 1 ${rhoCam.toFixed(3)}`);
    expect(rhoGrad).toBeLessThan(0.7);
    expect(rhoCam).toBeLessThan(0.5);
  });

  it("building, using and disposing stage models leaks no tensors", async () => {
    const image = fixtureImage(1);
    const small = tf.image.resizeBilinear(image, [64, 64]) as TF.Tensor3D;
    image.dispose();
    // Warm-up (backends may cache constants on first use).
    const warm = new ResNet18(randomizedStateDict(trained, 4));
    await grad(warm, small);
    warm.dispose();
    const before = tf.memory().numTensors;
    for (const stage of [0, 3, 10]) {
      const sd = randomizedStateDict(trained, stage);
      expect(tf.memory().numTensors).toBe(before); // the state dict is plain arrays
      const model = new ResNet18(sd);
      await grad(model, small, {target: 2});
      await explain("grad_cam", model, small, {target: 2});
      model.dispose();
      expect(tf.memory().numTensors, `stage ${stage}`).toBe(before);
    }
    small.dispose();
  });
});
