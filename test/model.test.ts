import {beforeAll, describe, expect, it} from "vitest";
import type * as TF from "@tensorflow/tfjs";
import {initTf} from "../src/data/node/tf.js";
import {loadModel} from "../src/data/node/model.js";
import {readPth} from "../src/lib/pth.js";
import {imagenetteStateDict, IMAGENETTE_IMAGENET_INDICES, ResNet18, resnet18Shapes} from "../src/lib/resnet18.js";
import {decodeWeights, encodeWeights} from "../src/lib/weights.js";
import {extent, fixture, maxAbsDiff, WEIGHTS} from "./helpers/fixtures.js";
import fs from "node:fs";

let tf: typeof TF;
let model: ResNet18;

beforeAll(async () => {
  tf = await initTf("wasm");
  model = loadModel(WEIGHTS).model;
});

describe("ResNet-18 from the .pth checkpoint", () => {
  it("matches every fixture logit within 1e-3", async () => {
    const images = fixture("images");
    const expected = fixture("logits");
    const n = images.shape[0];
    const x = tf.tidy(() => tf.tensor4d(Float32Array.from(images.data, (v) => v / 255), [n, 224, 224, 3]));
    const {maxLogit, logits} = model.logitsFn(x);
    const got = await logits.data();
    expect(maxAbsDiff(got, expected.data)).toBeLessThanOrEqual(1e-3);
    const max = await maxLogit.data();
    for (let i = 0; i < n; i++) expect(max[i]).toBe(Math.max(...got.slice(i * 10, i * 10 + 10)));
    tf.dispose([x, maxLogit, logits]);
  });

  it("splits into backbone (layer4, 7x7x512) and head with the same logits", async () => {
    const images = fixture("images");
    const x = tf.tidy(() => tf.tensor4d(Float32Array.from(images.data.subarray(0, 224 * 224 * 3), (v) => v / 255), [1, 224, 224, 3]));
    const features = model.features(x);
    expect(features.shape).toEqual([1, 7, 7, 512]);
    expect(extent(await features.data())[0]).toBeGreaterThanOrEqual(0); // after the last ReLU
    const logits = model.head(features);
    expect(maxAbsDiff(await logits.data(), fixture("logits").data.subarray(0, 10))).toBeLessThanOrEqual(1e-3);
    tf.dispose([x, features, logits]);
  });

  it("round-trips through the browser weight format", async () => {
    const stateDict = imagenetteStateDict(readPth(new Uint8Array(fs.readFileSync(WEIGHTS))));
    const {manifest, data} = encodeWeights(stateDict, {classes: [], source: {file: "x.pth", sha256: "0", head: "imagenette-10"}});
    const decoded = decodeWeights(JSON.parse(JSON.stringify(manifest)), data.slice().buffer);
    for (const [name, t] of stateDict) {
      expect(decoded.get(name)!.shape).toEqual(t.shape);
      expect(maxAbsDiff(decoded.get(name)!.data, t.data)).toBe(0);
    }
    expect(() => decodeWeights(manifest, data.slice(0, 100).buffer)).toThrow(/rebuild/);
  });
});

describe("1000-class torchvision head", () => {
  it("keeps the Imagenette rows 0, 217, 482, 491, 497, 566, 569, 571, 574, 701 in order", async () => {
    const stateDict = readPth(new Uint8Array(fs.readFileSync(WEIGHTS)));
    // Synthetic ImageNet head: row r holds the value r everywhere (bias r too),
    // except the Imagenette rows, which hold the real 10-class head.
    const fc = stateDict.get("fc.weight")!;
    const bias = stateDict.get("fc.bias")!;
    const weight1000 = new Float32Array(1000 * 512);
    const bias1000 = new Float32Array(1000);
    for (let r = 0; r < 1000; r++) {
      weight1000.fill(r, r * 512, (r + 1) * 512);
      bias1000[r] = r;
    }
    IMAGENETTE_IMAGENET_INDICES.forEach((row, i) => {
      weight1000.set(fc.data.subarray(i * 512, (i + 1) * 512), row * 512);
      bias1000[row] = bias.data[i];
    });
    const big = new Map(stateDict);
    big.set("fc.weight", {shape: [1000, 512], data: weight1000});
    big.set("fc.bias", {shape: [1000], data: bias1000});
    const reduced = imagenetteStateDict(big);
    expect(reduced.get("fc.weight")!.shape).toEqual([10, 512]);
    expect(maxAbsDiff(reduced.get("fc.weight")!.data, fc.data)).toBe(0);
    expect(maxAbsDiff(reduced.get("fc.bias")!.data, bias.data)).toBe(0);

    const model1000 = new ResNet18(big);
    const images = fixture("images");
    const x = tf.tidy(() => tf.tensor4d(Float32Array.from(images.data.subarray(0, 2 * 224 * 224 * 3), (v) => v / 255), [2, 224, 224, 3]));
    const logits = model1000.logits(x);
    expect(maxAbsDiff(await logits.data(), fixture("logits").data.subarray(0, 20))).toBeLessThanOrEqual(1e-3);
    tf.dispose([x, logits]);
    model1000.dispose();
  });

  it("rejects other architectures with a message that names the fix", () => {
    const stateDict = readPth(new Uint8Array(fs.readFileSync(WEIGHTS)));
    const resnet34ish = new Map(stateDict);
    resnet34ish.set("layer1.2.conv1.weight", {shape: [64, 64, 3, 3], data: new Float32Array(64 * 64 * 9)});
    expect(() => imagenetteStateDict(resnet34ish)).toThrow(/not a torchvision ResNet-18.*unexpected tensors.*resnet18-imagenette\.pth/);
    const wrongHead = new Map(stateDict);
    wrongHead.set("fc.weight", {shape: [7, 512], data: new Float32Array(7 * 512)});
    expect(() => imagenetteStateDict(wrongHead)).toThrow(/7 outputs/);
    expect(resnet18Shapes(10).size).toBe(102);
  });
});
