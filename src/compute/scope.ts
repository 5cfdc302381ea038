// The names a chapter's compute function can use in the compute worker.
//
// A live figure's `compute` is written on the page, next to the prose it
// illustrates, as if TensorFlow.js ran there:
//
//   const explainByOcclusion = ({id, S, target}, {signal, onProgress}) =>
//     session.withImage(id, (image) => occlusion(model, image, {steps: S, ...}));
//
// The page sends its source to the worker (like greenlet or workerize do),
// which compiles it once with these names in scope:
//
//   tf                 TensorFlow.js, on the worker's backend
//   model              the ResNet-18 (src/lib/resnet18.ts) with the site's weights
//   trainedWeights     its state dict (NamedTensors), for models built from it
//   session            the worker's session (worker-session.ts): withImage,
//                      tensor, photo, explain (cached), randomMap,
//                      incrementalOcclusion, keep (state between requests)
//   curves             deletion and insertion curves, cached (curve-cache.ts)
//   gallery            the gallery's description (gallery.json; the reader's
//                      upload is its last entry, as on the page)
//   rt                 the library (src/lib) as one namespace, plus the helpers below
//   every export of the library by its own name: occlusion, grad, smoothGrad, ...
//   targetOption, thumbnails, spread, StageModels    the chapters' helpers
//
// plus the functions and values a figure passes in `uses` (other functions of
// the page it calls, constants). Nothing else of the page is visible there:
// the function runs in another thread, and its only way back is its result
// (and `partial`). Anything it needs from the page comes in `params`.
//
// The result moves its typed arrays to the page (no copy), except the arrays
// the worker keeps (its caches, the photos), which are copied. Partial
// results (`partial(value)`, the values an async generator yields) are
// copied: they are small snapshots, often sent again as they grow.
import type * as tfjs from "@tensorflow/tfjs";
import * as lib from "../lib/index.js";
import type {NamedTensors, ResNet18} from "../lib/index.js";
import type {ShippedFunction, Uses} from "./contract.js";
import {targetOption} from "./target.js";
import {StageModels} from "./stage-models.js";
import {spread, thumbnails} from "./thumbnail-batches.js";
import type {WorkerSession} from "./worker-session.js";

export interface ComputeScope {
  tf: typeof tfjs;
  model: ResNet18;
  session: WorkerSession;
  weights: NamedTensors;
}

const HELPERS = {targetOption, thumbnails, spread, StageModels};

/** Every name of the scope and its value. */
export function scopeNames(scope: ComputeScope): Record<string, unknown> {
  const {default: _default, ...library} = lib as typeof lib & {default?: unknown};
  return {
    ...library,
    ...HELPERS,
    rt: {...library, ...HELPERS},
    tf: scope.tf,
    model: scope.model,
    trainedWeights: scope.weights,
    session: scope.session,
    gallery: scope.session.gallery,
    curves: scope.session.curves,
  };
}

type Factory = (...args: unknown[]) => unknown;
const factories = new Map<string, Factory>();
let names: {keys: string[]; values: unknown[]} | null = null;
let namesOf: ComputeScope | null = null;

/**
 * Compiles `fn` with the scope and `uses` (cached per source), and returns
 * the function. Errors name the problem: a syntax error in the shipped
 * source, or a name the worker does not have.
 */
export function compileCompute(fn: ShippedFunction, uses: Uses, scope: ComputeScope): (...args: unknown[]) => unknown {
  if (namesOf !== scope) {
    const all = scopeNames(scope);
    names = {keys: Object.keys(all), values: Object.values(all)};
    namesOf = scope;
  }
  const used = Object.entries(uses);
  const key = JSON.stringify([fn.source, used.map(([name, u]) => ("source" in u ? [name, u.source] : [name]))]);
  let factory = factories.get(key);
  if (!factory) {
    const lines = used.map(([name, u]) => ("source" in u ? `const ${name} = (${u.source});` : `const ${name} = __values[${JSON.stringify(name)}];`));
    const body = `"use strict";\n${lines.join("\n")}\nreturn (${fn.source});`;
    try {
      factory = new Function(...names!.keys, "__values", body) as Factory;
    } catch (e) {
      throw new SyntaxError(`the compute function could not be compiled in the worker: ${(e as Error).message}`);
    }
    factories.set(key, factory);
  }
  const values = Object.fromEntries(used.filter(([, u]) => "value" in u).map(([name, u]) => [name, (u as {value: unknown}).value]));
  const compiled = factory(...names!.values, values) as (...args: unknown[]) => unknown;
  return (...args: unknown[]) => {
    try {
      const out = compiled(...args);
      return out instanceof Promise ? out.catch((e: unknown) => Promise.reject(explainMissing(e))) : out;
    } catch (e) {
      throw explainMissing(e);
    }
  };
}

/** A ReferenceError in shipped code most likely names something that stayed on the page. */
function explainMissing(e: unknown): unknown {
  if (e instanceof ReferenceError) {
    return new ReferenceError(`${e.message} in the compute worker: a compute function sees only its parameters, the worker's names (src/compute/scope.ts) and what its figure passes in \`uses\``);
  }
  return e;
}
