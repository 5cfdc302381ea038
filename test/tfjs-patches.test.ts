// The compute worker's patches to TensorFlow.js (src/compute/tfjs-patches.ts),
// on the tfjs this project pins, in Node (wasm): each one does what the
// worker relies on, and all of them refuse another tfjs minor version.
import {beforeAll, describe, expect, it} from "vitest";
import type * as TF from "@tensorflow/tfjs";
import {version_wasm} from "@tensorflow/tfjs-backend-wasm";
import {assertPatchedVersion, installKernelAbort, PATCHED_TFJS_MINOR, reportThreadsForWasm, yieldingReads} from "../src/compute/tfjs-patches.js";
import {nextTask} from "../src/compute/next-task.js";
import {initTf} from "../src/data/node/tf.js";

let tf: typeof TF;
beforeAll(async () => void (tf = await initTf("wasm")));

describe("the version guard", () => {
  it("accepts the installed tfjs packages, which the patches were written for", () => {
    expect(tf.version_core.startsWith(`${PATCHED_TFJS_MINOR}.`)).toBe(true);
    expect(() => assertPatchedVersion("@tensorflow/tfjs-core", tf.version_core)).not.toThrow();
    expect(() => assertPatchedVersion("@tensorflow/tfjs-backend-wasm", version_wasm)).not.toThrow();
  });

  it("refuses another minor version, naming the expected one", () => {
    expect(() => assertPatchedVersion("@tensorflow/tfjs-core", "4.23.0")).toThrow(`written for ${PATCHED_TFJS_MINOR}.x`);
    expect(() => assertPatchedVersion("@tensorflow/tfjs-core", "5.22.0")).toThrow(/4\.22\.x/);
    expect(() => assertPatchedVersion("@tensorflow/tfjs-core", `${PATCHED_TFJS_MINOR}.9`)).not.toThrow();
  });
});

describe("kernel abort", () => {
  it("stops every kernel of the active request once the shared flag names it, and no other", () => {
    const flag = new Int32Array(new SharedArrayBuffer(4));
    let active = -1;
    installKernelAbort(tf, flag, () => active);
    const a = tf.tensor1d([1, 2, 3]);
    const sum = () => {
      const s = tf.add(a, a);
      const values = Array.from(s.dataSync());
      s.dispose();
      return values;
    };
    expect(sum()).toEqual([2, 4, 6]);
    active = 7;
    expect(sum()).toEqual([2, 4, 6]);
    Atomics.store(flag, 0, 3); // another request's id: this one goes on
    expect(sum()).toEqual([2, 4, 6]);
    Atomics.store(flag, 0, 7);
    const before = tf.memory().numTensors;
    let error: unknown;
    try {
      tf.tidy(() => tf.mul(tf.add(a, a), 2));
    } catch (e) {
      error = e;
    }
    expect((error as DOMException).name).toBe("AbortError");
    expect(tf.memory().numTensors).toBe(before);
    active = -1; // the request ended: kernels run again
    expect(sum()).toEqual([2, 4, 6]);
    Atomics.store(flag, 0, 0);
    a.dispose();
  });
});

describe("yielding reads", () => {
  /** Whether a macrotask queued before `data()` has run by the time it resolves. */
  async function readLetsTaskRun(): Promise<boolean> {
    const t = tf.tensor1d([1, 2, 3]);
    let ran = false;
    void nextTask().then(() => (ran = true));
    const values = await t.data();
    t.dispose();
    expect(Array.from(values)).toEqual([1, 2, 3]);
    return ran;
  }

  it("makes a wasm read wait for the event loop (it resolved as a microtask before)", async () => {
    expect(tf.getBackend()).toBe("wasm");
    expect(await readLetsTaskRun()).toBe(false);
    yieldingReads(tf);
    expect(await readLetsTaskRun()).toBe(true);
    yieldingReads(tf); // idempotent: still one wrapper, same values
    expect(await readLetsTaskRun()).toBe(true);
  });
});

describe("WebAssembly threads", () => {
  it("makes the navigator, and every navigator of its kind, report twice the threads asked for", () => {
    class FakeNavigator {
      get hardwareConcurrency(): number {
        return 2;
      }
    }
    const nav = new FakeNavigator();
    const other = new FakeNavigator();
    expect(nav.hardwareConcurrency).toBe(2);
    reportThreadsForWasm(4, nav);
    expect(nav.hardwareConcurrency).toBe(8);
    expect(other.hardwareConcurrency).toBe(8);
    reportThreadsForWasm(1, nav);
    expect(nav.hardwareConcurrency).toBe(2);
  });
});
