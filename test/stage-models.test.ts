// The sanity checks' stage models in the compute worker
// (src/compute/stage-models.ts): at most one randomized model alive, and each
// batches as the trained model does on its backend (its batch policy).
import {describe, expect, it} from "vitest";
import {StageModels} from "../src/compute/stage-models.js";
import {makeBatchPolicy} from "../src/lib/explanation.js";
import type {ResNet18} from "../src/lib/resnet18.js";

/** A stand-in model: its batch policy and whether it was disposed. */
function fakeModel(policy = makeBatchPolicy()): ResNet18 & {disposed: boolean} {
  const model = {batchPolicy: policy, disposed: false, dispose: () => void (model.disposed = true)};
  return model as unknown as ResNet18 & {disposed: boolean};
}

describe("StageModels", () => {
  it("gives a stage's model the trained model's batch policy", async () => {
    const trained = fakeModel(makeBatchPolicy({size: 4, pad: true}));
    const models = new StageModels(trained, () => fakeModel());
    const {model} = await models.get(3);
    expect(model).not.toBe(trained);
    expect(model.batchPolicy).toEqual({size: 4, first: null, pad: true});
    expect((await models.get(0)).model).toBe(trained);
  });

  it("keeps one randomized model: moving to another stage disposes the previous one", async () => {
    const trained = fakeModel();
    const built: (ResNet18 & {disposed: boolean})[] = [];
    const models = new StageModels(trained, () => (built.push(fakeModel()), built[built.length - 1]));
    const first = (await models.get(2)).model;
    expect((await models.get(2)).model).toBe(first);
    expect(models.ready(2)).toBe(true);
    await models.get(5);
    expect(built.map((m) => m.disposed)).toEqual([true, false]);
    expect(models.ready(2)).toBe(false);
    models.release();
    expect(built[1].disposed).toBe(true);
    expect(trained.disposed).toBe(false);
  });
});
