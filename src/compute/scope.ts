// What a chapter's compute function receives in the compute worker.
//
// A live figure's `compute` is written on the page, next to the prose it
// illustrates, and names what it uses in its parameters:
//
//   const explainByOcclusion = ({id, S, target}, {signal, onProgress}, {worker, model, lib: {occlusion, targetOption}}) =>
//     worker.withImage(id, (image) => occlusion(model, image, {steps: S, ...}));
//
// The page sends its source to the worker (like greenlet or workerize do),
// which compiles it once and calls it with three arguments:
//
//   params    what the page passes (the figure's settings: photo id, S, ...)
//   context   ComputeContext (contract.ts): signal, onProgress, partial
//   scope     a WorkerScope, below: the worker's session, TensorFlow.js, the
//             model, the library, and what the figure passes in `uses`
//
// The function sees no other names of the page or the worker: it runs in
// another thread, and its only way back is its result (and `partial`).
// test/compute-scope.test.ts compiles every page's compute functions
// against these types, so a misspelt name fails the tests, not the reader's
// browser.
//
// `uses`: values of the page (constants) and other functions of the page
// that a compute function calls. Such a function gets the scope as its first
// parameter, before what its callers pass; it sees the figure's values in
// `scope.uses` (not the other functions):
//
//   const buildStageModel = ({trainedWeights, lib: {ResNet, randomizedStateDict}}, stage) => ...
//   ... uses: {buildStageModel}, and in the compute function: buildStageModel(3)
//
// The result moves its typed arrays to the page (no copy), except the arrays
// the worker keeps (its caches, the photos), which are copied. Partial
// results (`partial(value)`, the values an async generator yields) are
// copied: they are small snapshots, often sent again as they grow.
import type * as tfjs from "@tensorflow/tfjs";
import * as library from "../lib/index.js";
import type {NamedTensors, ResNet} from "../lib/index.js";
import type {ComputeContext, ShippedFunction, Uses} from "./contract.js";
import type {MetricCurves} from "./curve-cache.js";
import {StageModels} from "./stage-models.js";
import {targetOption} from "./target.js";
import {spread, thumbnails} from "./thumbnail-batches.js";
import type {WorkerSession} from "./worker-session.js";

/** The chapters' helpers that run in the worker, besides the library. */
const HELPERS = {targetOption, thumbnails, spread, StageModels};

/** The library (src/lib) as one namespace, plus the chapters' helpers (targetOption, thumbnails, spread, StageModels). */
export type Library = typeof library & typeof HELPERS;

export const LIBRARY: Library = {...library, ...HELPERS};

export interface WorkerScope<U = {}> {
  /** The worker's session (worker-session.ts): withImage, tensor, photo, index, explain (cached), randomMap, keep, incrementalOcclusion, gallery. */
  worker: WorkerSession;
  /** Deletion and insertion curves, cached (curve-cache.ts). */
  curves: MetricCurves;
  /** TensorFlow.js, on the worker's backend. */
  tf: typeof tfjs;
  /** The model with the site's weights: a ResNet (src/lib/resnet.ts) of the architecture its tensors hold, the ResNet-18 by default. */
  model: ResNet;
  /** Its state dict, for models built from it (the sanity checks' randomized stages). */
  trainedWeights: NamedTensors;
  lib: Library;
  /** What the figure passes in `uses`. */
  uses: U;
}

/** A figure's compute function: `(params, context, scope) => result` (an async generator function for a stream). */
export type ComputeFunction<U = {}> = (params: any, context: ComputeContext, scope: WorkerScope<U>) => unknown;

/** A function of the page passed in `uses`: the scope first (with the figure's values in `uses`), then its callers' arguments. */
export type UsedFunction<V = {}> = (scope: WorkerScope<V>, ...args: any[]) => unknown;

/** A used function as its callers see it: without the scope, which the worker passes. */
export type Bound<F> = F extends (scope: any, ...args: infer A) => infer R ? (...args: A) => R : never;

/** What the worker has for every request (the scope without a figure's `uses`). */
export type WorkerNames = Omit<WorkerScope, "uses">;

type Compiled = (...args: unknown[]) => unknown;
const compiled = new Map<string, Compiled>();

/** The function of `source`, compiled once per source. Errors name the problem: a syntax error in the shipped source. */
function compile(source: string, what: string): Compiled {
  let fn = compiled.get(source);
  if (!fn) {
    try {
      fn = new Function(`"use strict";\nreturn (${source});`)() as Compiled;
    } catch (e) {
      throw new SyntaxError(`${what} could not be compiled in the worker: ${(e as Error).message}`);
    }
    if (typeof fn !== "function") throw new TypeError(`${what} is not a function`);
    compiled.set(source, fn);
  }
  return fn;
}

/**
 * Compiles `fn` and the functions of `uses` (each once per source), and
 * returns `fn` as `(params, context) => result`, called with the scope: the
 * worker's names and the figure's `uses`, the used functions bound to that
 * scope.
 */
export function compileCompute(fn: ShippedFunction, uses: Uses, names: WorkerNames): (params: unknown, context: ComputeContext) => unknown {
  const compute = compile(fn.source, "the compute function");
  const used: Record<string, unknown> = {};
  const scope: WorkerScope<Record<string, unknown>> = {...names, uses: used};
  for (const [name, u] of Object.entries(uses)) {
    if ("source" in u) {
      const usedFn = compile(u.source, `\`${name}\` (in uses)`);
      used[name] = (...args: unknown[]) => usedFn(scope, ...args);
    } else {
      used[name] = u.value;
    }
  }
  return (params, context) => {
    try {
      const out = compute(params, context, scope);
      return out instanceof Promise ? out.catch((e: unknown) => Promise.reject(explainMissing(e))) : out;
    } catch (e) {
      throw explainMissing(e);
    }
  };
}

/** A ReferenceError in shipped code most likely names something that stayed on the page. */
function explainMissing(e: unknown): unknown {
  if (e instanceof ReferenceError) {
    return new ReferenceError(`${e.message} in the compute worker: a compute function sees only its parameters (params, context, and the scope of src/compute/scope.ts: worker, curves, tf, model, trainedWeights, lib, uses)`);
  }
  return e;
}
