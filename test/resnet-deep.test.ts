// Deeper ResNets, for which no reference ships: tiny seeded networks of
// resnet34's shape (BasicBlock [3,4,6,3]) and resnet50's (Bottleneck
// [3,4,6,3], a projection in every stage's first block), on 64 x 64 inputs.
// Checked against themselves: the same outputs from .pth and .safetensors
// files, input gradients against central finite differences, integrated
// gradients' completeness, incremental occlusion against full passes,
// GradCAM on the last stage, and one randomization stage per block.
import {beforeAll, describe, expect, it} from "vitest";
import type * as TF from "@tensorflow/tfjs";
import {initTf} from "../src/data/node/tf.js";
import {logitGradient} from "../src/lib/explanation.js";
import {gradCam} from "../src/lib/grad-cam.js";
import {integratedGradients} from "../src/lib/integrated-gradients.js";
import {occlusion} from "../src/lib/occlusion.js";
import {randomizationGroups, randomizedStateDict} from "../src/lib/randomization.js";
import {ResNet} from "../src/lib/resnet.js";
import type {ResNetArchitecture} from "../src/lib/resnet-architecture.js";
import {writeSafetensors} from "../src/lib/safetensors.js";
import {seededRandom} from "../src/lib/statistics.js";
import {readWeightFile} from "../src/lib/weight-file.js";
import {maxAbsDiff} from "./helpers/fixtures.js";
import {pthOf, TINY_BASIC, TINY_BOTTLENECK, tinyStateDict} from "./helpers/tiny-resnet.js";

const SIZE = 64;
let tf: typeof TF;
beforeAll(async () => {
  tf = await initTf();
});

/** A seeded 64 x 64 photo-like image in [0,1]: smooth gradients plus noise. */
function image(seed: number, size = SIZE): TF.Tensor3D {
  const random = seededRandom(seed);
  const data = Float32Array.from({length: size * size * 3}, (_, i) => {
    const [y, x, c] = [Math.floor(i / (size * 3)), Math.floor(i / 3) % size, i % 3];
    return Math.min(1, Math.max(0, 0.5 + 0.3 * Math.sin((x + 7 * c) / 9) * Math.cos(y / 11) + 0.2 * (random() - 0.5)));
  });
  return tf.tensor3d(data, [size, size, 3]);
}

async function logitsOf(model: ResNet, x: TF.Tensor3D): Promise<Float32Array> {
  const t = model.logits(x.expandDims(0) as TF.Tensor4D);
  const out = (await t.data()) as Float32Array;
  t.dispose();
  return out;
}

for (const [label, arch] of [["resnet34-style (BasicBlock [3,4,6,3])", TINY_BASIC], ["resnet50-style (Bottleneck [3,4,6,3])", TINY_BOTTLENECK]] as [string, ResNetArchitecture][]) {
  describe(label, () => {
    const sd = tinyStateDict(arch, 7);

    it("reads its architecture from the file, .pth and .safetensors giving identical outputs", async () => {
      const fromPth = new ResNet(readWeightFile(pthOf(sd)).tensors);
      const fromSafetensors = new ResNet(readWeightFile(writeSafetensors(sd)).tensors);
      try {
        expect(fromPth.architecture).toEqual(arch);
        expect(fromPth.numClasses).toBe(arch.classCount);
        expect(fromPth.blocks).toHaveLength(16);
        expect(fromPth.blocks[0].convs).toHaveLength(arch.block === "basic" ? 2 : 3);
        const x = image(1);
        const a = await logitsOf(fromPth, x);
        const b = await logitsOf(fromSafetensors, x);
        expect(a).toHaveLength(arch.classCount);
        expect(Array.from(a)).toEqual(Array.from(b)); // bit for bit
        expect(a.every(Number.isFinite)).toBe(true);
        // float16 files: the same weights rounded, both formats alike.
        const halfPth = new ResNet(readWeightFile(pthOf(sd, {half: true})).tensors);
        const halfSafetensors = new ResNet(readWeightFile(writeSafetensors(sd, {dtype: "F16"})).tensors);
        const h = await logitsOf(halfPth, x);
        expect(Array.from(h)).toEqual(Array.from(await logitsOf(halfSafetensors, x)));
        expect(maxAbsDiff(h, a)).toBeLessThan(0.05 * Math.max(...a.map(Math.abs)));
        halfPth.dispose();
        halfSafetensors.dispose();
        x.dispose();
      } finally {
        fromPth.dispose();
        fromSafetensors.dispose();
      }
    });

    // The network is piecewise linear (ReLU, max pool), so a central
    // difference f(x + eps e) - f(x - eps e) is exactly the integral of the
    // gradient along the segment, even where a ReLU turns on or off inside
    // it (at eps = 1e-2 that happens at about a third of these points on such
    // thin layers). Compared: the central difference (eps 1e-2) with the mean
    // of the analytic gradient at K = 20 midpoints of the segment. Errors:
    // float32 rounding of the logits (~1e-6 relative) over 2 eps = 0.02, and
    // the midpoint rule's error at a kink (the jump / K). Tolerance: 5e-4 +
    // 2% of |gradient| per pixel channel, at 6 pixels x 3 channels.
    it("input gradients match central finite differences (eps 1e-2) at a few pixels", async () => {
      const model = new ResNet(sd);
      const x = image(2);
      const target = 1;
      const eps = 1e-2;
      const K = 20;
      const base = (await x.data()) as Float32Array;
      const pixels = [[5, 9], [20, 31], [33, 12], [40, 50], [58, 3], [31, 31]];
      let largest = 0;
      for (const [py, px] of pixels) {
        for (let c = 0; c < 3; c++) {
          const at = (py * SIZE + px) * 3 + c;
          const shifted = (ds: number[]) => {
            const batch = new Float32Array(ds.length * base.length);
            ds.forEach((d, k) => {
              batch.set(base, k * base.length);
              batch[k * base.length + at] += d;
            });
            return tf.tensor4d(batch, [ds.length, SIZE, SIZE, 3]);
          };
          const ends = shifted([eps, -eps]);
          const endLogits = model.logits(ends);
          const [fPlus, fMinus] = [(await endLogits.data())[target], (await endLogits.data())[arch.classCount + target]];
          const fd = (fPlus - fMinus) / (2 * eps);
          const path = shifted(Array.from({length: K}, (_, k) => -eps + ((k + 0.5) * 2 * eps) / K));
          const g = logitGradient(model, path, target);
          const grads = (await g.data()) as Float32Array;
          let mean = 0;
          for (let k = 0; k < K; k++) mean += grads[k * base.length + at] / K;
          tf.dispose([ends, endLogits, path, g]);
          largest = Math.max(largest, Math.abs(mean));
          expect(Math.abs(fd - mean)).toBeLessThanOrEqual(5e-4 + 0.02 * Math.abs(mean));
        }
      }
      expect(largest).toBeGreaterThan(1e-3); // not a dead network
      x.dispose();
      model.dispose();
    });

    // Completeness: sum of attributions = f(x) - f(black) for the exact
    // integral; M = 256 steps of the handout's rule. Tolerance: 2% of
    // |f(x) - f(black)| + 1e-3.
    it("integrated gradients are complete at large M", async () => {
      const model = new ResNet(sd);
      const x = image(3);
      const ig = await integratedGradients(model, x, {steps: 256, completeness: true});
      const {attributionSum, scoreDifference} = ig.completeness!;
      expect(Math.abs(scoreDifference)).toBeGreaterThan(1e-2);
      expect(Math.abs(attributionSum - scoreDifference)).toBeLessThanOrEqual(0.02 * Math.abs(scoreDifference) + 1e-3);
      expect(ig.logits).toHaveLength(arch.classCount);
      x.dispose();
      model.dispose();
    });

    // 128 x 128 and S = 8: a patch's change stays under half of the map
    // through layer3, so every kind of block runs on regions.
    it("incremental occlusion equals full passes; GradCAM uses the last stage; no tensor leaks", async () => {
      const model = new ResNet(sd);
      const big = image(4, 128);
      const before = tf.memory().numTensors;
      const incremental = await occlusion(model, big, {steps: 8, incremental: true});
      const full = await occlusion(model, big, {steps: 8, incremental: false});
      big.dispose();
      const x = image(4);
      expect(maxAbsDiff(incremental.grid, full.grid)).toBeLessThanOrEqual(1e-5);
      expect(incremental.predicted).toBe(full.predicted);
      const cam = await gradCam(model, x, {target: 2});
      expect(cam.camSize).toBe(SIZE / 32); // the last stage's map: stride 32
      expect(cam.relevance).toHaveLength(SIZE * SIZE);
      x.dispose();
      expect(tf.memory().numTensors).toBe(before - 1);
      model.dispose();
    });

    it("randomizes one block per stage of the cascade, down to every weight", async () => {
      const groups = randomizationGroups(arch.blocks);
      expect(groups).toHaveLength(18);
      const x = image(5);
      const trained = await logitsOf(new ResNet(sd), x);
      const last = new ResNet(randomizedStateDict(sd, groups.length));
      const random = await logitsOf(last, x);
      expect(Array.from(random)).not.toEqual(Array.from(trained));
      expect(() => randomizedStateDict(sd, groups.length + 1)).toThrow(RangeError);
      last.dispose();
      x.dispose();
    });
  });
}
