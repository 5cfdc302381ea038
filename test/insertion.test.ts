// The insertion metric and the deletion substrates (black, dataset mean
// colour, blurred copy): the black deletion through the new options is the
// handout's deletion, bit for bit; the insertion images start at the
// substrate, end at the photo and switch every pixel exactly once, at its
// deletion step; the substrates are what they claim to be; a GradCAM map
// inserts faster than its reversal; nothing leaks; bad arguments throw.
// Cheap by design (a few short curves): the fixture parity of the black
// deletion is test/deletion.test.ts's job.
import {beforeAll, describe, expect, it} from "vitest";
import type * as TF from "@tensorflow/tfjs";
import {deletionCurve, deletionStepOfPixel, prepareDeletion} from "../src/lib/deletion.js";
import {imageLogits, softmax} from "../src/lib/explanation.js";
import {insertionCurve, metricCurve, prepareInsertion} from "../src/lib/insertion.js";
import {INPUT_MEAN, type ResNet18} from "../src/lib/resnet18.js";
import {prepareSubstituted, substrateImage, SUBSTRATE_NAMES} from "../src/lib/substrate.js";
import {maxAbsDiff} from "./helpers/fixtures.js";
import {fixtureImage, fixtureRow, PIXELS, setup} from "./helpers/model.js";

let tf: typeof TF;
let model: ResNet18;
beforeAll(async () => ({tf, model} = await setup()));

const SIZE = PIXELS * 3;

/** Exact equality of two float arrays: the index of the first difference, or -1. */
function firstDifference(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`length ${a.length} != ${b.length}`);
  for (let i = 0; i < a.length; i++) if (!Object.is(a[i], b[i]) && a[i] !== b[i]) return i;
  return -1;
}

describe("black deletion is the handout's deletion", () => {
  it("deletionCurve / metricCurve with substrate black equal deletionCurve without it, exactly (fixture image 3, GradCAM map)", async () => {
    const image = fixtureImage(3);
    const relevance = fixtureRow("relevance_grad_cam", 3);
    const handout = await deletionCurve(model, image, relevance, {steps: 5, batchSize: 5});
    const viaOption = await deletionCurve(model, image, relevance, {steps: 5, batchSize: 5, substrate: "black"});
    const viaMetric = await metricCurve(model, image, relevance, {steps: 5, batchSize: 5, metric: "deletion", substrate: "black"});
    expect(Array.from(viaOption.curve)).toEqual(Array.from(handout.curve));
    expect(Array.from(viaMetric.curve)).toEqual(Array.from(handout.curve));
    expect(viaMetric.auc).toBe(handout.auc);
    expect(viaMetric.metric).toBe("deletion");
    expect(viaMetric.substrate).toBe("black");
    image.dispose();
  });

  it("the substrate code path onto a black image builds the handout's images exactly", async () => {
    const image = fixtureImage(3);
    const relevance = fixtureRow("relevance_grad", 3);
    const black = substrateImage(image, "black");
    const steps = 6;
    const handout = prepareDeletion(image, relevance, steps);
    const general = prepareSubstituted("deletion", image, black, deletionStepOfPixel(relevance, steps), 0, steps);
    expect(firstDifference(await general.data(), await handout.data())).toBe(-1);
    tf.dispose([image, black, handout, general]);
  });
});

describe("insertion images", () => {
  it("image 0 is the substrate and image S-1 the photo, exactly, for every substrate", async () => {
    const image = fixtureImage(1);
    const relevance = fixtureRow("relevance_occlusion", 1);
    const photo = await image.data();
    for (const name of SUBSTRATE_NAMES) {
      const substrate = substrateImage(image, name);
      const values = await substrate.data();
      for (const steps of [2, 5]) {
        const batch = prepareInsertion(image, substrate, relevance, steps);
        const images = await batch.data();
        expect(firstDifference(images.subarray(0, SIZE), values), `${name}, S = ${steps}: image 0`).toBe(-1);
        expect(firstDifference(images.subarray((steps - 1) * SIZE), photo), `${name}, S = ${steps}: image S-1`).toBe(-1);
        batch.dispose();
      }
      // Not a vacuous check: the substrates differ from the photo.
      expect(maxAbsDiff(values, photo), name).toBeGreaterThan(0.1);
      substrate.dispose();
    }
    image.dispose();
  });

  it("every pixel switches from the substrate to the photo exactly once, at its deletion step", async () => {
    const image = fixtureImage(2);
    const relevance = fixtureRow("relevance_integrated_gradients", 2);
    const steps = 7;
    const stepOfPixel = deletionStepOfPixel(relevance, steps);
    const photo = await image.data();
    for (const name of ["mean", "blur"] as const) {
      const substrate = substrateImage(image, name);
      const sub = await substrate.data();
      // A sub-range (start 2, count 4) must be the same images as the full sequence.
      const full = await prepareInsertion(image, substrate, relevance, steps).data();
      const part = await prepareInsertion(image, substrate, relevance, steps, 2, 4, stepOfPixel).data();
      expect(firstDifference(part, full.subarray(2 * SIZE, 6 * SIZE))).toBe(-1);
      let distinguishable = 0;
      for (let p = 0; p < PIXELS; p++) {
        const switchAt = stepOfPixel[p];
        expect(switchAt >= 1 && switchAt <= steps - 1).toBe(true);
        for (let c = 0; c < 3; c++) {
          const k = p * 3 + c;
          if (photo[k] !== sub[k]) distinguishable++;
          for (let s = 0; s < steps; s++) {
            const want = s >= switchAt ? photo[k] : sub[k];
            if (full[s * SIZE + k] !== want) throw new Error(`${name}: image ${s}, pixel ${p}, channel ${c} is ${full[s * SIZE + k]}, expected ${want} (switch at ${switchAt})`);
          }
        }
      }
      expect(distinguishable, `${name}: values where photo and substrate differ`).toBeGreaterThan(0.9 * SIZE);
      substrate.dispose();
    }
    image.dispose();
  });

  it("black: insertion image s + deletion image s is the photo, exactly", async () => {
    const image = fixtureImage(4);
    const relevance = fixtureRow("relevance_grad_x_input", 4);
    const black = substrateImage(image, "black");
    for (const steps of [3, 10]) {
      const sum = tf.tidy(() => tf.add(prepareInsertion(image, black, relevance, steps), prepareDeletion(image, relevance, steps)));
      const tiled = tf.tidy(() => tf.tile(image.expandDims(0), [steps, 1, 1, 1]));
      expect(firstDifference(await sum.data(), await tiled.data()), `S = ${steps}`).toBe(-1);
      tf.dispose([sum, tiled]);
    }
    tf.dispose([image, black]);
  });
});

describe("substrates", () => {
  it("mean: the ImageNet mean colour, which the model's normalization maps to 0", async () => {
    const image = fixtureImage(0);
    const mean = substrateImage(image, "mean");
    expect(mean.shape).toEqual([224, 224, 3]);
    const values = await mean.data();
    for (let c = 0; c < 3; c++) expect(values[5 * 3 + c]).toBe(Math.fround(INPUT_MEAN[c]));
    // The model's own constants (private fields, read here on purpose).
    const {mean: modelMean, std: modelStd} = model as unknown as {mean: TF.Tensor1D; std: TF.Tensor1D};
    const normalized = tf.tidy(() => mean.sub(modelMean).div(modelStd));
    expect(maxAbsDiff(await normalized.data(), new Float32Array(SIZE))).toBeLessThanOrEqual(1e-6);
    // Through the network: a zero input makes conv1's output the same at every
    // position, borders included (the padding is 0 too) — only if the input is 0.
    const stem = model.stemActivations(mean.expandDims(0) as TF.Tensor4D);
    const spread = tf.tidy(() => tf.sub(tf.max(stem, [0, 1, 2]), tf.min(stem, [0, 1, 2])));
    expect(Math.max(...(await spread.data()))).toBeLessThanOrEqual(1e-6);
    tf.dispose([image, mean, normalized, stem, spread]);
  });

  it("blur: a constant image stays that constant; a photo gets smoother", async () => {
    const constant = tf.fill([224, 224, 3], 0.3) as TF.Tensor3D;
    const blurred = substrateImage(constant, "blur");
    expect(maxAbsDiff(await blurred.data(), new Float32Array(SIZE).fill(0.3))).toBeLessThanOrEqual(1e-6);
    const image = fixtureImage(5);
    const photoBlur = substrateImage(image, "blur");
    // Total variation along rows drops a lot.
    const tv = (t: TF.Tensor3D) => tf.tidy(() => tf.sum(tf.abs(tf.sub(t.slice([0, 1, 0], [-1, -1, -1]), t.slice([0, 0, 0], [-1, 223, -1])))));
    const [before, after] = [tv(image), tv(photoBlur)];
    expect((await after.data())[0]).toBeLessThan(0.5 * (await before.data())[0]);
    tf.dispose([constant, blurred, image, photoBlur, before, after]);
  });

  it("black is zeros; an unknown name throws RangeError", async () => {
    const image = fixtureImage(0);
    const black = substrateImage(image, "black");
    expect(maxAbsDiff(await black.data(), new Float32Array(SIZE))).toBe(0);
    expect(() => substrateImage(image, "grey" as never)).toThrow(RangeError);
    tf.dispose([image, black]);
  });
});

describe("insertion curves", () => {
  it("follow the target class: the last point is p_target(photo), the first p_target(substrate)", async () => {
    const image = fixtureImage(6);
    const relevance = fixtureRow("relevance_grad", 6);
    const {logits, predicted} = await imageLogits(model, image);
    const target = (predicted + 3) % 10; // not the predicted class
    const result = await insertionCurve(model, image, relevance, {steps: 4, batchSize: 4, substrate: "blur", target});
    expect(result.target).toBe(target);
    expect(result.metric).toBe("insertion");
    expect(result.substrate).toBe("blur");
    expect(Math.abs(result.curve[3] - softmax(logits)[target])).toBeLessThanOrEqual(1e-5);
    const substrate = substrateImage(image, "blur");
    const onSubstrate = softmax((await imageLogits(model, substrate)).logits)[target];
    expect(Math.abs(result.curve[0] - onSubstrate)).toBeLessThanOrEqual(1e-5);
    // Default: the predicted class.
    const byDefault = await insertionCurve(model, image, relevance, {steps: 2, substrate: "blur"});
    expect(byDefault.target).toBe(predicted);
    expect(Math.abs(byDefault.curve[1] - softmax(logits)[predicted])).toBeLessThanOrEqual(1e-5);
    tf.dispose([image, substrate]);
  });

  it("GradCAM's map inserts faster than its reversal (fixture image 1, blurred substrate, S = 10)", async () => {
    // Measured before writing this: 0.823 vs 0.548 (black: 0.615 vs 0.195).
    const image = fixtureImage(1);
    const relevance = fixtureRow("relevance_grad_cam", 1);
    const reversed = Float32Array.from(relevance, (v) => -v);
    const forward = await metricCurve(model, image, relevance, {metric: "insertion", substrate: "blur", steps: 10});
    const backward = await metricCurve(model, image, reversed, {metric: "insertion", substrate: "blur", steps: 10});
    console.log(`insertion AUC, GradCAM ${forward.auc.toFixed(4)}, reversed ${backward.auc.toFixed(4)}`);
    expect(forward.auc).toBeGreaterThan(backward.auc + 0.1);
    // Both curves end at the photo: the same last point.
    expect(forward.curve[9]).toBe(backward.curve[9]);
    image.dispose();
  });
});

describe("resources and arguments", () => {
  it("repeated insertion and substrate-deletion curves leave tf.memory().numTensors unchanged; an abort leaks nothing", async () => {
    // 64 x 64 (the model is fully convolutional): same code paths, less work.
    const full = fixtureImage(7);
    const image = tf.image.resizeBilinear(full, [64, 64]) as TF.Tensor3D;
    full.dispose();
    const relevance = Float32Array.from({length: 64 * 64}, (_, i) => Math.sin(i));
    await insertionCurve(model, image, relevance, {steps: 3, substrate: "blur"}); // warm-up
    const before = tf.memory().numTensors;
    for (const substrate of SUBSTRATE_NAMES) {
      for (let k = 0; k < 3; k++) {
        await insertionCurve(model, image, relevance, {steps: 3, batchSize: 2, substrate});
        await deletionCurve(model, image, relevance, {steps: 3, batchSize: 2, substrate});
      }
    }
    expect(tf.memory().numTensors).toBe(before);
    const controller = new AbortController();
    const run = insertionCurve(model, image, relevance, {steps: 5, batchSize: 1, substrate: "mean", signal: controller.signal, onProgress: (done) => done >= 2 && controller.abort(new Error("slider moved"))});
    await expect(run).rejects.toThrow("slider moved");
    const deletion = deletionCurve(model, image, relevance, {steps: 5, batchSize: 1, substrate: "blur", signal: AbortSignal.abort(new Error("stale"))});
    await expect(deletion).rejects.toThrow("stale");
    expect(tf.memory().numTensors).toBe(before);
    image.dispose();
  });

  it("bad steps, substrates and metrics throw RangeError", async () => {
    const image = fixtureImage(0);
    const relevance = new Float32Array(PIXELS);
    const black = substrateImage(image, "black");
    const before = tf.memory().numTensors;
    for (const steps of [1, 0, -3, 2.5, NaN, Infinity]) {
      await expect(insertionCurve(model, image, relevance, {steps}), `steps ${steps}`).rejects.toThrow(RangeError);
      await expect(deletionCurve(model, image, relevance, {steps, substrate: "mean"}), `steps ${steps}`).rejects.toThrow(RangeError);
      expect(() => prepareInsertion(image, black, relevance, steps)).toThrow(RangeError);
    }
    await expect(insertionCurve(model, image, relevance, {substrate: "noise" as never})).rejects.toThrow(RangeError);
    await expect(deletionCurve(model, image, relevance, {substrate: "noise" as never})).rejects.toThrow(RangeError);
    await expect(metricCurve(model, image, relevance, {metric: "addition" as never})).rejects.toThrow(RangeError);
    expect(() => prepareSubstituted("insertion", image, black, new Int32Array(10), 0, 1)).toThrow(RangeError);
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose([image, black]);
  });
});
