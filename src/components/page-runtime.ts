// Entry module of the page runtime bundle (`npm run bundle` writes it to
// src/_bundle/runtime.js with esbuild; pages import it from there): the
// page's compute service (src/compute/client.ts) and the library's plain
// values and functions that the pages draw with (METHODS, softmax, ...).
// TensorFlow.js computes in the compute worker (src/_bundle/compute-worker.js),
// which this module starts; this bundle holds no tfjs (the bundle test
// checks it), so everything exported here comes from the library's pure
// modules (no tfjs import, direct or indirect).
//
// Pages must not import tfjs or this file directly: Framework's own bundling
// of tfjs breaks seedrandom ("alea is not a function"). Always import
// "../_bundle/runtime.js".
//
// "observablehq:stdlib" stays external (esbuild leaves the import alone), so
// Framework sees the literal FileAttachment paths below, relative to
// src/_bundle/runtime.js, and ships those files with the site.
import {FileAttachment} from "observablehq:stdlib";
import {ComputeClient} from "../compute/client.js";
import {ensureIsolation} from "../compute/isolation.js";

export {HANDOUT_SETTINGS, isMethodName, METHOD_NAMES, METHODS, methodSetting, methodSteps} from "../lib/method-info.js";
export {argmax, softmax} from "../lib/softmax.js";
export {BASELINE_NAMES, isNoiseBaseline} from "../lib/baseline-names.js";
export {RANDOMIZATION_STAGES, randomizationStages} from "../lib/randomization-stages.js";
export {EVALUATION_METRIC_NAMES, EVALUATION_METRICS, methodMetricTable} from "../lib/ranking.js";
export {spearman} from "../lib/statistics.js";
export {datasetWords} from "../shared/dataset-words.js";
// Types cost nothing in the bundle: components name the library's types through this module.
export type * from "../lib/index.js";
export {ComputeClient};
export type {ComputeReport, Inspection} from "../compute/contract.js";

// A page that is not cross-origin isolated gets a service worker that makes
// it so (threaded WebAssembly needs SharedArrayBuffer); it reloads the page
// once, the first time. See src/compute/isolation.ts.
const isolation = ensureIsolation(new URL("../../coi-sw.js", import.meta.url).href, new URLSearchParams(location.search));

/** URL of ImageNet's 1000 class names (a JSON array; src/data/imagenet-labels.json.ts): the names of a reader's 1000-class model. */
export function imagenetLabelsUrl(): string {
  return FileAttachment("../data/imagenet-labels.json").href;
}

let client: ComputeClient | undefined;

/**
 * The page's compute service (one per page): a worker that owns TensorFlow.js
 * and the model. `?backend=wasm` (or webgpu, webgl, cpu) tries that backend
 * first; `?batch=N` sets the images per model call; `?threads=N` the
 * WebAssembly threads (default: the CPU cores).
 */
export function compute(): ComputeClient {
  if (client) return client;
  client = new ComputeClient({
    workerUrl: FileAttachment("../_bundle/compute-worker.js").href,
    files: {
      weightsJson: FileAttachment("../data/weights.json").href,
      weightsBin: FileAttachment("../data/weights.bin").href,
      galleryJson: FileAttachment("../data/gallery.json").href,
      galleryBin: FileAttachment("../data/gallery.bin").href,
      wasm: {
        "tfjs-backend-wasm.wasm": FileAttachment("../_bundle/tfjs-backend-wasm.wasm").href,
        "tfjs-backend-wasm-simd.wasm": FileAttachment("../_bundle/tfjs-backend-wasm-simd.wasm").href,
        "tfjs-backend-wasm-threaded-simd.wasm": FileAttachment("../_bundle/tfjs-backend-wasm-threaded-simd.wasm").href,
      },
    },
    search: new URLSearchParams(location.search),
    isolation,
  });
  // Test and benchmark hook: the page's compute service (report, inspect(), crashForTest()).
  (globalThis as {__explainCompute?: ComputeClient}).__explainCompute = client;
  return client;
}
