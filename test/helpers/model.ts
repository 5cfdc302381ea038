// The model on the backend tests use: wasm (TFJS_BACKEND=cpu to compare).
// Loaded once per process: the files that load it share their vitest worker
// (the "model" project, isolate: false, in vitest.config.ts), so the second
// file of a worker gets the same model without reading the weights again.
import type * as TF from "@tensorflow/tfjs";
import {initTf} from "../../src/data/node/tf.js";
import {loadModel} from "../../src/data/node/model.js";
import {imageFromBytes} from "../../src/lib/image.js";
import type {ResNet18} from "../../src/lib/resnet18.js";
import {fixture, WEIGHTS} from "./fixtures.js";

export const PIXELS = 224 * 224;

let model: ResNet18 | null = null;
let modelBackend = "";

export async function setup(): Promise<{tf: typeof TF; model: ResNet18}> {
  // The backend again for each file: another file may have chosen one.
  const tf = await initTf();
  // The weights on that backend (a model made on another would keep its tensors there).
  if (model === null || modelBackend !== tf.getBackend()) {
    model?.dispose();
    model = loadModel(WEIGHTS).model;
    modelBackend = tf.getBackend();
  }
  return {tf, model};
}

/** Fixture image i as a [224,224,3] tensor in [0,1]. */
export function fixtureImage(i: number): TF.Tensor3D {
  const bytes = fixture("images").data as Uint8Array;
  return imageFromBytes(bytes.subarray(i * PIXELS * 3, (i + 1) * PIXELS * 3));
}

/** A size x size copy of fixture image i (the model is fully convolutional: same code paths, much less work); the caller disposes it. */
export function smallFixtureImage(i: number, size = 64): TF.Tensor3D {
  const full = fixtureImage(i);
  const small = full.resizeBilinear([size, size]) as TF.Tensor3D;
  full.dispose();
  return small;
}

/** Row i of a fixture array whose first axis is the image. */
export function fixtureRow(name: string, i: number): Float32Array | Float64Array {
  const {data, shape} = fixture(name);
  const size = shape.slice(1).reduce((a, b) => a * b, 1);
  return data.subarray(i * size, (i + 1) * size) as Float32Array | Float64Array;
}

export const FIXTURE_COUNT = fixture("labels").shape[0];
