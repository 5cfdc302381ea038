// Keeps the page responsive while the CPU backends compute.
//
// The library reads every batch back with `await tensor.data()` and checks
// its AbortSignal between batches. On WebGPU and WebGL that read waits for
// the GPU, so the browser handles input in between. On the wasm and cpu
// backends, `data()` resolves as a microtask: a long computation (occlusion
// with S = 32 is 1,025 forward passes) then never returns to the event loop,
// the progress bar never repaints, and a slider moved meanwhile cannot abort
// it. This wraps those backends' `read` so that every read also waits for
// one macrotask: input events, timers and painting get their turn between
// batches. Reads on GPU backends are left alone.
//
// (The library could do the same itself, by yielding in its batch loops.)
import type * as tfjs from "@tensorflow/tfjs";

const PATCHED = Symbol.for("explanation-methods-live.yielding-reads");

/** A macrotask later (MessageChannel: not clamped like nested setTimeout). */
export function nextTask(): Promise<void> {
  return new Promise((resolve) => {
    const channel = new MessageChannel();
    channel.port1.onmessage = () => {
      channel.port1.close();
      resolve();
    };
    channel.port2.postMessage(null);
  });
}

/** Makes `read` of the current backend yield to the event loop if it is wasm or cpu. Idempotent. */
export function yieldingReads(tf: typeof tfjs): void {
  const name = tf.getBackend();
  if (name !== "wasm" && name !== "cpu") return;
  const backend = tf.backend() as unknown as {read(dataId: object): Promise<unknown>; [PATCHED]?: true};
  if (backend[PATCHED]) return;
  const read = backend.read.bind(backend);
  backend.read = async (dataId: object) => {
    const values = await read(dataId);
    await nextTask();
    return values;
  };
  backend[PATCHED] = true;
}
