// Stopping a cancelled request in the middle of a batch. The library checks
// its AbortSignal between batches, but one batch of model calls on the CPU
// backends takes up to a second, during which the worker cannot even receive
// the page's "cancel" message (a worker handles one message at a time).
// On a cross-origin isolated page the page and the worker share a small
// SharedArrayBuffer: the page writes the id of the request to stop into it,
// and every TensorFlow.js kernel checks it first (Atomics.load, no message
// needed). A kernel that finds its request stopped throws an AbortError
// before it starts, so no kernel is left half done; tf.tidy and the gradient
// tape clean up on the way out, as for any exception.
import type * as tfjs from "@tensorflow/tfjs";

const INSTALLED = Symbol.for("explanation-methods-live.kernel-abort");

/** Makes every kernel throw while `flag[0]` holds the id `active()` returns. Idempotent. */
export function installKernelAbort(tf: typeof tfjs, flag: Int32Array, active: () => number): void {
  const engine = tf.engine() as unknown as {runKernelFunc: (params: unknown) => unknown; [INSTALLED]?: true};
  if (engine[INSTALLED]) return;
  const runKernelFunc = engine.runKernelFunc.bind(engine);
  engine.runKernelFunc = (params: unknown) => {
    const id = active();
    if (id >= 0 && Atomics.load(flag, 0) === id) throw new DOMException("cancelled: a newer request replaced it", "AbortError");
    return runKernelFunc(params);
  };
  engine[INSTALLED] = true;
}
