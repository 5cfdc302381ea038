// Picks the TensorFlow.js backend for the reader's browser, in the compute
// worker (or on the page, where no worker can run: see engine.ts). The
// library (src/lib) never chooses a backend.
//
// Order: webgpu, webgl, wasm, cpu. A backend is used only if it initializes
// AND computes a small convolution + matrix product correctly, read back with
// `await data()` (a backend can initialize and still return garbage, e.g. a
// broken GPU driver; `dataSync()` returns zeros on WebGPU, so it is never
// used). A GPU backend that the browser emulates in software (SwiftShader,
// llvmpipe, ...) is skipped too: on a machine without a usable GPU, Chromium
// still offers WebGL on SwiftShader, which runs this model more than ten
// times slower than the wasm backend. Why each earlier backend was skipped is
// kept for the badge.
import * as tf from "@tensorflow/tfjs";
import {IN_WORKER_UNAVAILABLE} from "./contract.js";
import {makeBatchPolicy, type BatchPolicy} from "../lib/explanation.js";

export type BackendName = "webgpu" | "webgl" | "wasm" | "cpu";

export const BACKEND_ORDER: BackendName[] = ["webgpu", "webgl", "wasm", "cpu"];

export interface BackendInfo {
  /** The backend in use. */
  name: BackendName;
  /** The backends tried before it, and why each was skipped. */
  skipped: {name: BackendName; reason: string}[];
  /** Milliseconds spent choosing (initialization + checks). */
  ms: number;
}

/** First batch on the CPU backends: a partial result after ~2 images' work. */
export const CPU_FIRST_BATCH = 2;

/** Whether `name` runs on the CPU (nothing to compile; reads that resolve at once). */
export function isCpuBackend(name: BackendName): boolean {
  return name === "wasm" || name === "cpu";
}

/**
 * How the model's calls batch on backend `name` (the model carries it, see
 * BatchPolicy), with `size` images per call (default 8): on the CPU
 * backends a small first batch, for an early partial result; on the GPU
 * backends every batch padded to the full size, so a remainder batch
 * compiles no second set of programs. The numbers are the same either way.
 */
export function batchPolicyFor(name: BackendName, size?: number | null): BatchPolicy {
  return makeBatchPolicy({size: size ?? undefined, ...(isCpuBackend(name) ? {first: CPU_FIRST_BATCH, pad: false} : {first: null, pad: true})});
}

export class NoBackendError extends Error {
  constructor(readonly skipped: BackendInfo["skipped"]) {
    super(`No TensorFlow.js backend works in this browser: ${skipped.map((s) => `${s.name}: ${s.reason}`).join("; ")}`);
    this.name = "NoBackendError";
  }
}

/**
 * Tries the backends in order and returns the first one that works.
 * `prefer` (e.g. from `?backend=wasm` in the page URL) is tried first.
 * Throws NoBackendError (with every reason) if none works. `onStage` hears
 * each step (the worker host names the last one if a start never ends).
 */
export async function selectBackend(prefer?: string | null, page: PageApis = {webgpu: true}, onStage: (stage: string) => void = () => undefined): Promise<BackendInfo> {
  const t0 = performance.now();
  const order = [...BACKEND_ORDER];
  if (prefer && (order as string[]).includes(prefer)) {
    order.splice(order.indexOf(prefer as BackendName), 1);
    order.unshift(prefer as BackendName);
  }
  const skipped: BackendInfo["skipped"] = [];
  for (const name of order) {
    const reason = await tryBackend(name, name === prefer, page, onStage);
    if (reason === null) return {name, skipped, ms: performance.now() - t0};
    skipped.push({name, reason});
  }
  throw new NoBackendError(skipped);
}

/** null if `name` works, otherwise why not. `allowSoftware`: use a software GPU too. */
async function tryBackend(name: BackendName, allowSoftware: boolean, page: PageApis, onStage: (stage: string) => void): Promise<string | null> {
  const precheck = await unavailable(name, allowSoftware, page);
  if (precheck) return precheck;
  onStage(`${name}: initializing (tf.setBackend)`);
  try {
    if (!(await tf.setBackend(name))) return `failed to initialize${name === "webgl" ? webglRefusal() : ""} (see the browser console for the cause)`;
    await tf.ready();
  } catch (e) {
    return `failed to initialize: ${message(e)}`;
  }
  onStage(`${name}: a test computation`);
  try {
    return await checkArithmetic();
  } catch (e) {
    return `a test computation threw: ${message(e)}`;
  }
}

/** Cheap reasons a backend cannot work here, found before asking tfjs. */
async function unavailable(name: BackendName, allowSoftware: boolean, page: PageApis): Promise<string | null> {
  if (!tf.findBackendFactory(name)) {
    // tfjs registers WebGPU only where navigator.gpu exists; some browsers have it on the page but not in workers.
    if (name === "webgpu") return typeof document === "undefined" && page.webgpu ? `${IN_WORKER_UNAVAILABLE} (navigator.gpu is missing here)` : "this browser has no WebGPU (navigator.gpu is missing)";
    return "not registered in this build";
  }
  if (name === "webgpu") {
    const gpu = (navigator as Navigator & {gpu?: {requestAdapter(): Promise<GpuAdapterLike | null>}}).gpu;
    let adapter: GpuAdapterLike | null;
    try {
      adapter = gpu ? await gpu.requestAdapter() : null;
    } catch (e) {
      return `requesting a WebGPU adapter failed: ${message(e)}`;
    }
    if (!adapter) return "the browser offers no WebGPU adapter";
    const info = adapter.info ?? {};
    const description = [info.vendor, info.architecture, info.description].filter(Boolean).join(" ");
    if (!allowSoftware && (info.isFallbackAdapter || adapter.isFallbackAdapter || SOFTWARE_RENDERER.test(description))) {
      return `WebGPU runs in software here (${description || "fallback adapter"}): slower than WebAssembly`;
    }
  }
  if (name === "webgl" && typeof document === "undefined" && typeof OffscreenCanvas === "undefined") {
    return IN_WORKER_UNAVAILABLE;
  }
  if (name === "webgl" && !allowSoftware) {
    const renderer = webglRenderer();
    if (renderer && SOFTWARE_RENDERER.test(renderer)) return `WebGL runs in software here (${renderer}): slower than WebAssembly`;
  }
  return null;
}

/** What the page (not the worker) has: a worker without navigator.gpu on a page with it lacks WebGPU only in workers. */
export interface PageApis {
  webgpu: boolean;
}


const SOFTWARE_RENDERER = /swiftshader|llvmpipe|softpipe|software|basic render driver/i;

interface GpuAdapterLike {
  info?: {vendor?: string; architecture?: string; description?: string; isFallbackAdapter?: boolean};
  isFallbackAdapter?: boolean;
}

/** The WebGL renderer's name (e.g. "ANGLE (..., SwiftShader ...)"), or null if unknown. */
function webglRenderer(): string | null {
  try {
    // A worker has no document: WebGL there needs an OffscreenCanvas.
    const canvas = typeof document !== "undefined" ? document.createElement("canvas") : new OffscreenCanvas(1, 1);
    const gl = (canvas.getContext("webgl2") ?? canvas.getContext("webgl")) as WebGLRenderingContext | null;
    if (!gl) return null;
    const debug = gl.getExtension("WEBGL_debug_renderer_info");
    const renderer = String(gl.getParameter(debug ? debug.UNMASKED_RENDERER_WEBGL : gl.RENDERER) ?? "");
    gl.getExtension("WEBGL_lose_context")?.loseContext();
    return renderer || null;
  } catch {
    return null;
  }
}

/**
 * Why TensorFlow.js may get no WebGL context where the browser has WebGL:
 * it asks for one with failIfMajorPerformanceCaveat, which a browser refuses
 * when WebGL runs in software while the GPU process is on (e.g. headless
 * Chromium with GPU flags on a machine whose GPU it cannot use). "" if that
 * is not the reason.
 */
function webglRefusal(): string {
  try {
    const canvas = () => (typeof document !== "undefined" ? document.createElement("canvas") : new OffscreenCanvas(1, 1));
    const strict = canvas().getContext("webgl2", {failIfMajorPerformanceCaveat: true}) as WebGL2RenderingContext | null;
    if (strict) {
      strict.getExtension("WEBGL_lose_context")?.loseContext();
      return "";
    }
    const relaxed = canvas().getContext("webgl2") as WebGL2RenderingContext | null;
    if (!relaxed) return ": the browser gives no WebGL 2 context";
    relaxed.getExtension("WEBGL_lose_context")?.loseContext();
    return `: WebGL runs here only with a major performance caveat (software${webglRenderer() ? `: ${webglRenderer()}` : ""}), and TensorFlow.js asks for a context without one`;
  } catch {
    return "";
  }
}

/**
 * A 3x3 convolution (the model's main operation) and a matrix product on
 * small known inputs, compared with the same arithmetic in plain JavaScript.
 * Returns null if they agree within 1e-3, otherwise what went wrong.
 */
async function checkArithmetic(): Promise<string | null> {
  const h = 5, w = 5, cin = 2, cout = 3;
  const x = Float32Array.from({length: h * w * cin}, (_, i) => ((i * 7) % 11) / 10 - 0.5);
  const f = Float32Array.from({length: 3 * 3 * cin * cout}, (_, i) => ((i * 5) % 13) / 13 - 0.4);
  const y = tf.tidy(() => {
    const conv = tf.conv2d(tf.tensor4d(x, [1, h, w, cin]), tf.tensor4d(f, [3, 3, cin, cout]), 1, "same");
    // [25, 3] x [3, 2]
    return tf.matMul(conv.reshape([h * w, cout]), tf.tensor2d([1, -2, 0.5, 3, -1, 0.25], [cout, 2]));
  });
  const got = await y.data();
  y.dispose();
  // The same in JavaScript.
  const expected = new Float32Array(h * w * 2);
  const m = [1, -2, 0.5, 3, -1, 0.25];
  for (let r = 0; r < h; r++) {
    for (let c = 0; c < w; c++) {
      for (let o = 0; o < cout; o++) {
        let s = 0;
        for (let dr = -1; dr <= 1; dr++) {
          for (let dc = -1; dc <= 1; dc++) {
            const rr = r + dr, cc = c + dc;
            if (rr < 0 || rr >= h || cc < 0 || cc >= w) continue;
            for (let i = 0; i < cin; i++) s += x[(rr * w + cc) * cin + i] * f[(((dr + 1) * 3 + (dc + 1)) * cin + i) * cout + o];
          }
        }
        expected[(r * w + c) * 2] += s * m[o * 2];
        expected[(r * w + c) * 2 + 1] += s * m[o * 2 + 1];
      }
    }
  }
  let worst = 0;
  for (let i = 0; i < expected.length; i++) {
    const d = Math.abs(got[i] - expected[i]);
    if (!(d <= worst)) worst = Number.isNaN(d) ? Infinity : d;
  }
  return worst <= 1e-3 ? null : `initialized but computed wrong numbers (a test convolution is off by ${worst.toPrecision(3)})`;
}

function message(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
