// The compute worker's changes to TensorFlow.js itself, all in one place.
// Each reaches into internals that tfjs does not promise to keep, so each
// first checks that the installed tfjs is the version they were written and
// tested for (package.json pins it to that minor version), and fails loudly
// otherwise: a patch that silently stopped working would leave a cancelled
// request running, a page that stops responding, or one WebAssembly thread.
//
// 1. Kernel abort (engine.runKernelFunc). The library checks its AbortSignal
//    between batches, but one batch of model calls on the CPU backends takes
//    up to a second, during which the worker cannot even receive the page's
//    "cancel" message (a worker handles one message at a time). On a
//    cross-origin isolated page the page and the worker share a small
//    SharedArrayBuffer: the page writes the id of the request to stop into
//    it, and every kernel checks it first (Atomics.load, no message needed).
//    A kernel that finds its request stopped throws an AbortError before it
//    starts, so no kernel is left half done; tf.tidy and the gradient tape
//    clean up on the way out, as for any exception.
//
// 2. Yielding reads (backend.read). The library reads every batch back with
//    `await tensor.data()`. On WebGPU and WebGL that read waits for the GPU,
//    so the browser handles input in between. On the wasm and cpu backends,
//    `data()` resolves as a microtask: a long computation (occlusion with
//    S = 32 is 1,025 forward passes) then never returns to the event loop,
//    the progress bar never repaints, and a slider moved meanwhile cannot
//    abort it. Their `read` is wrapped so that every read also waits for one
//    macrotask. Reads on GPU backends are left alone.
//
// 3. WebAssembly threads (navigator.hardwareConcurrency). tfjs-backend-wasm
//    caps its thread count at navigator.hardwareConcurrency / 2
//    (tfjs-backend-wasm/src/cc/backend.cc: "Many x86-64 processors have 2
//    threads per core"), read once when the WebAssembly module starts: on a
//    2-core machine, one thread whatever setThreadsCount says (reported
//    upstream to tfjs). The worker's own navigator therefore reports
//    twice the threads wanted, before the backend starts; the page's
//    navigator is untouched.
import type * as tfjs from "@tensorflow/tfjs";
import {version_wasm} from "@tensorflow/tfjs-backend-wasm";
import {nextTask} from "./next-task.js";

/** The tfjs minor version these patches were written for and tested with. */
export const PATCHED_TFJS_MINOR = "4.22";

/** Throws unless `version` (of package `name`) is of the minor version PATCHED_TFJS_MINOR. */
export function assertPatchedVersion(name: string, version: string): void {
  if (version.split(".").slice(0, 2).join(".") !== PATCHED_TFJS_MINOR) {
    throw new Error(`${name} is version ${version}, but the compute worker's patches to its internals (src/compute/tfjs-patches.ts) were written for ${PATCHED_TFJS_MINOR}.x: check them against this version, then update PATCHED_TFJS_MINOR and the pin in package.json`);
  }
}

const ABORT_INSTALLED = Symbol.for("explanation-methods-live.kernel-abort");
const READS_PATCHED = Symbol.for("explanation-methods-live.yielding-reads");

/** Makes every kernel throw an AbortError while `flag[0]` holds the id `active()` returns (>= 0). Idempotent. */
export function installKernelAbort(tf: typeof tfjs, flag: Int32Array, active: () => number): void {
  assertPatchedVersion("@tensorflow/tfjs-core", tf.version_core);
  const engine = tf.engine() as unknown as {runKernelFunc: (params: unknown) => unknown; [ABORT_INSTALLED]?: true};
  if (engine[ABORT_INSTALLED]) return;
  const runKernelFunc = engine.runKernelFunc.bind(engine);
  engine.runKernelFunc = (params: unknown) => {
    const id = active();
    if (id >= 0 && Atomics.load(flag, 0) === id) throw new DOMException("cancelled: a newer request replaced it", "AbortError");
    return runKernelFunc(params);
  };
  engine[ABORT_INSTALLED] = true;
}

/** Makes `read` of the current backend wait for the next macrotask if it is wasm or cpu. Idempotent. */
export function yieldingReads(tf: typeof tfjs): void {
  const name = tf.getBackend();
  if (name !== "wasm" && name !== "cpu") return;
  assertPatchedVersion("@tensorflow/tfjs-core", tf.version_core);
  const backend = tf.backend() as unknown as {read(dataId: object): Promise<unknown>; [READS_PATCHED]?: true};
  if (backend[READS_PATCHED]) return;
  const read = backend.read.bind(backend);
  backend.read = async (dataId: object) => {
    const values = await read(dataId);
    await nextTask();
    return values;
  };
  backend[READS_PATCHED] = true;
}

/**
 * Makes `navigator` (and every object sharing its prototype: the worker's
 * Navigator) report 2 * `threads` cores, so that the wasm backend, started
 * after this, runs `threads` threads. Call it with setThreadsCount(threads).
 */
export function reportThreadsForWasm(threads: number, nav: object = navigator): void {
  assertPatchedVersion("@tensorflow/tfjs-backend-wasm", version_wasm);
  Object.defineProperty(Object.getPrototypeOf(nav) as object, "hardwareConcurrency", {configurable: true, get: () => 2 * threads});
}
