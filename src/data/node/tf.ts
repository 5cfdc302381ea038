// TensorFlow.js for Node-side code (loaders, CLI, tests, benchmarks). The
// caller picks the backend; wasm (SIMD, one thread in Node) is the fastest
// that installs here, `cpu` is the portable fallback.
import * as tf from "@tensorflow/tfjs";
import {setWasmPaths} from "@tensorflow/tfjs-backend-wasm";
import {createRequire} from "node:module";
import path from "node:path";

export type NodeBackend = "wasm" | "cpu";

let silenced = false;

export async function initTf(backend: NodeBackend = (process.env.TFJS_BACKEND as NodeBackend) || "wasm"): Promise<typeof tf> {
  if (!silenced) {
    // tfjs suggests installing tfjs-node on every start: it cannot install here.
    tf.env().set("IS_NODE", true);
    silenced = true;
  }
  if (backend === "wasm") {
    const require = createRequire(import.meta.url);
    const dist = path.dirname(require.resolve("@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm"));
    setWasmPaths(dist + path.sep);
  } else if (backend !== "cpu") {
    throw new Error(`unknown backend ${backend}: use wasm or cpu`);
  }
  if (tf.getBackend() !== backend) {
    if (!(await tf.setBackend(backend))) throw new Error(`tfjs backend ${backend} failed to initialize`);
  }
  await tf.ready();
  return tf;
}
