// Entry module of the browser runtime bundle (`npm run bundle` writes it to
// src/_bundle/runtime.js with esbuild; pages import it from there). It holds
// everything that needs TensorFlow.js: tfjs with its WebGPU and wasm backends,
// the library (src/lib), backend selection and model loading.
//
// Pages must not import tfjs or this file directly: Framework's own bundling
// of tfjs breaks seedrandom ("alea is not a function"). Always import
// "../_bundle/runtime.js".
//
// "observablehq:stdlib" stays external (esbuild leaves the import alone), so
// Framework sees the literal FileAttachment paths below, relative to
// src/_bundle/runtime.js, and ships those files with the site.
import * as tf from "@tensorflow/tfjs";
import "@tensorflow/tfjs-backend-webgpu";
import {setWasmPaths} from "@tensorflow/tfjs-backend-wasm";
import {FileAttachment} from "observablehq:stdlib";
import {decodeWeights, ResNet18, setDefaultBatchSize, type WeightsManifest} from "../lib/index.js";
import {selectBackend, type BackendInfo} from "./backend.js";

export {tf};
export * from "../lib/index.js";
export * from "./backend.js";

// The wasm binaries are copied next to the bundle by scripts/bundle-runtime.ts.
setWasmPaths({
  "tfjs-backend-wasm.wasm": FileAttachment("../_bundle/tfjs-backend-wasm.wasm").href,
  "tfjs-backend-wasm-simd.wasm": FileAttachment("../_bundle/tfjs-backend-wasm-simd.wasm").href,
  "tfjs-backend-wasm-threaded-simd.wasm": FileAttachment("../_bundle/tfjs-backend-wasm-threaded-simd.wasm").href,
});

let backendPromise: Promise<BackendInfo> | undefined;

/**
 * Images per model call on this page: `?batch=N` in the page URL (e.g. 1 or 2
 * on a GPU with little memory), else the library's default (8). An invalid
 * value is ignored with a console warning.
 */
export const batchSize: number = (() => {
  const raw = new URLSearchParams(location.search).get("batch");
  if (raw === null) return setDefaultBatchSize(8);
  try {
    return setDefaultBatchSize(Number(raw));
  } catch (e) {
    console.warn(`?batch=${raw} ignored: ${(e as Error).message}`);
    return setDefaultBatchSize(8);
  }
})();

/**
 * The backend for this page, chosen once (see backend.ts). `?backend=wasm`
 * (or webgpu, webgl, cpu) in the page URL tries that one first.
 */
export function backend(): Promise<BackendInfo> {
  return (backendPromise ??= selectBackend(new URLSearchParams(location.search).get("backend")));
}

export interface LoadedModel {
  model: ResNet18;
  manifest: WeightsManifest;
  backend: BackendInfo;
  /** Milliseconds from the call to a model ready on the backend. */
  ms: number;
}

let modelPromise: Promise<LoadedModel> | undefined;

/** The ResNet-18 with the site's weights (src/data/weights.*), on the chosen backend. Loaded once per page. */
export function loadModel(): Promise<LoadedModel> {
  return (modelPromise ??= (async () => {
    const t0 = performance.now();
    const [info, manifest, buffer] = await Promise.all([
      backend(),
      FileAttachment("../data/weights.json").json() as Promise<WeightsManifest>,
      FileAttachment("../data/weights.bin").arrayBuffer(),
    ]);
    const model = new ResNet18(decodeWeights(manifest, buffer));
    return {model, manifest, backend: info, ms: performance.now() - t0};
  })());
}
