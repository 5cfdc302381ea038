// The reader's own model in the compute worker (src/compute/model-file.ts),
// in Node: a tiny seeded resnet50-style net from .safetensors and .pth
// becomes a ResNet with its ModelInfo (architecture, classes, the file's
// sha256); a damaged file, a non-ResNet and a budget too small fail with the
// error name the page words ("WeightsError:<kind>").
import crypto from "node:crypto";
import {beforeAll, describe, expect, it} from "vitest";
import {initTf} from "../src/data/node/tf.js";
import {errorName, loadModelFile} from "../src/compute/model-file.js";
import {makeBatchPolicy} from "../src/lib/explanation.js";
import {writeSafetensors} from "../src/lib/safetensors.js";
import {pthOf, TINY_BOTTLENECK, tinyStateDict} from "./helpers/tiny-resnet.js";

const options = {maxDecodedBytes: 2 ** 30, batchPolicy: makeBatchPolicy()};
const fresh = (bytes: Uint8Array) => new Uint8Array(bytes) as Uint8Array<ArrayBuffer>;

async function failure(bytes: Uint8Array, opts = options): Promise<string> {
  try {
    (await loadModelFile(fresh(bytes), "x", opts)).model.dispose();
    return "loaded";
  } catch (e) {
    return errorName(e);
  }
}

beforeAll(async () => {
  await initTf();
});

describe("loadModelFile", () => {
  const weights = tinyStateDict(TINY_BOTTLENECK);

  it("builds the model from .safetensors and .pth, named by architecture, classes and sha256", async () => {
    for (const [file, bytes] of [["tiny.safetensors", writeSafetensors(weights)], ["tiny.pth", pthOf(weights)]] as const) {
      const steps: string[] = [];
      const {model, info} = await loadModelFile(fresh(bytes), file, {...options, onProgress: (_d, _t, label) => steps.push(label)});
      expect(info).toEqual({architecture: TINY_BOTTLENECK.name, classCount: 6, blocks: [3, 4, 6, 3], features: TINY_BOTTLENECK.outChannels[3], sha256: crypto.createHash("sha256").update(bytes).digest("hex"), file, origin: "reader"});
      expect(model.numClasses).toBe(6);
      expect(steps.at(-1)).toBe("ready");
      model.dispose();
    }
  });

  it("names what is wrong: damaged, not a ResNet, too large", async () => {
    const bytes = writeSafetensors(weights);
    expect(await failure(bytes.subarray(0, bytes.length - 100))).toBe("WeightsError:corrupt");
    expect(await failure(writeSafetensors(new Map([["encoder.weight", {shape: [2, 2], data: new Float32Array(4)}]])))).toBe("WeightsError:not-resnet");
    expect(await failure(bytes, {...options, maxDecodedBytes: 1000})).toBe("WeightsError:too-large");
  });
});
