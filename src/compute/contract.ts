// The contract of the compute service: the messages between a page and its
// compute worker, and what the worker reports. Pages and components import
// these types; the worker implements them (engine.ts). The gallery's shape,
// which the loaders in src/data produce, is src/shared/gallery-data.ts.
//
// The service in one paragraph: a page's live figures describe their
// computation as a plain function, `compute(params, {signal, onProgress,
// partial}, scope)`. The page (client.ts) sends the function's source and its
// parameters to a dedicated worker that owns TensorFlow.js, the backend and
// the model; the worker (engine.ts) runs the function there, passing what
// the chapters' code uses as its third parameter (the worker's session, tf,
// the model, the library: WorkerScope, scope.ts), and sends back progress,
// partial results and the result, typed arrays transferred rather than
// copied. A newer request cancels the older one.
import type {BackendName} from "./backend.js";

// ---------------------------------------------------------------------------
// Build-time data, as the browser sees it.
// ---------------------------------------------------------------------------

// The gallery's types and the upload's entry live in src/shared/gallery-data.ts
// (the loaders, the page and the worker share them); re-exported here for
// the code that reads the contract.
export type {GalleryImage, GalleryMeta} from "../shared/gallery-data.js";
export {UPLOAD_CLASS_NAME, UPLOAD_ID_PATTERN} from "../shared/gallery-data.js";

// ---------------------------------------------------------------------------
// Where the computation runs, as the badge reports it.
// ---------------------------------------------------------------------------

/**
 * The reason a GPU backend gets when a worker lacks what it needs (backend.ts);
 * the page may still have it, and then runs the engine itself (worker-host.ts).
 * Here, not in backend.ts, so that the page reads it without loading tfjs.
 */
export const IN_WORKER_UNAVAILABLE = "not available in a worker in this browser";

export interface BackendReport {
  /** The TensorFlow.js backend in use. */
  name: BackendName;
  /** The backends tried before it, and why each was skipped. */
  skipped: {name: BackendName; reason: string}[];
  /** Milliseconds spent choosing (initialization + checks). */
  ms: number;
}

export interface ComputeReport {
  backend: BackendReport;
  /** "worker": a dedicated worker; "page": the page's main thread (a fallback, see `why`). */
  where: "worker" | "page";
  /** Why the computation is not in a worker, or why it has fewer threads than cores. */
  notes: string[];
  /** wasm: threads of the backend (1 without cross-origin isolation); null on the other backends. */
  threads: number | null;
  /** `navigator.hardwareConcurrency` of the page (null if unknown). */
  cores: number | null;
  /** Whether the page is cross-origin isolated (SharedArrayBuffer, threaded wasm). */
  isolated: boolean;
  /** Milliseconds from the start of the service to a model ready to compute. */
  readyMs: number;
  /** Images per model call. */
  batchSize: number;
  /** The model the figures are computed with. */
  model: ModelInfo;
}

/** Which model computes: named in the badge, the captions and every downloaded figure. */
export interface ModelInfo {
  /** "resnet18", ... */
  architecture: string;
  /** Number of classes of the model's head (logits). */
  classCount: number;
  /** Blocks per stage ([2, 2, 2, 2] for a ResNet-18): the sanity checks' layer groups. */
  blocks: number[];
  /** Feature maps of the last stage, the inputs of fc (512 for a ResNet-18, 2048 for a ResNet-50). */
  features: number;
  /** sha256 (hex) of the checkpoint the weights came from. */
  sha256: string;
  /** The checkpoint's file name. */
  file: string;
  /** "site": the model the site was built with; "reader": a file the reader chose. */
  origin: "site" | "reader";
}

// ---------------------------------------------------------------------------
// Messages.
// ---------------------------------------------------------------------------

/** Where the worker finds its files (URLs of the built site, from the page's FileAttachments). */
export interface ComputeFiles {
  weightsJson: string;
  weightsBin: string;
  galleryJson: string;
  galleryBin: string;
  wasm: {"tfjs-backend-wasm.wasm": string; "tfjs-backend-wasm-simd.wasm": string; "tfjs-backend-wasm-threaded-simd.wasm": string};
}

export interface InitRequest {
  type: "init";
  files: ComputeFiles;
  /** `?backend=` of the page: tried first. */
  preferBackend: string | null;
  /** Whether the page has navigator.gpu (to tell "no WebGPU in this browser" from "none in its workers"). */
  pageHasWebGPU: boolean;
  /** wasm threads to use (from `?threads=` or the cores), when the page is cross-origin isolated. */
  threads: number;
  /** `?batch=` of the page, or null (the library's default). */
  batchSize: number | null;
  /** WebGL: shapes as shader uniforms (fewer programs, engine.ts); false with `?shape-uniforms=off`. */
  shapeUniforms: boolean;
  /** Int32Array on a SharedArrayBuffer (cross-origin isolated pages): [0] = id of a request to stop at once. */
  abortFlag: Int32Array | null;
  /** wasm without its threaded module (one thread): set when an engine with threads did not start (worker-host.ts). */
  singleThread?: boolean;
}

/** A function shipped by source: compiled in the worker, where it gets a WorkerScope (scope.ts). */
export interface ShippedFunction {
  source: string;
}

/** What a figure passes to its compute function in `scope.uses`: other shipped functions (called with the scope first), or plain values. */
export type Uses = Record<string, ShippedFunction | {value: unknown}>;

export interface RunRequest {
  type: "run";
  id: number;
  /** The compute function, `(params, {signal, onProgress, partial}, scope) => result` (an async generator function for `stream`). */
  fn: ShippedFunction;
  uses: Uses;
  /** The compute function's first argument (for `stream`: the array of the client's arguments). */
  params: unknown;
  /** "call": one result; "stream": an async generator whose values arrive as partials. */
  kind: "call" | "stream";
}

export interface CancelRequest {
  type: "cancel";
  id: number;
}

/** The reader's uploaded photo, which the worker's gallery does not have. */
export interface PhotoRequest {
  type: "photo";
  id: string;
  pixels: Uint8Array;
}

/** Test hook: the worker throws outside any request, as a crash would (see client.ts). */
export interface CrashRequest {
  type: "crash";
}

/**
 * A request to the engine itself, not to page code: answered with a result
 * like a run, but a new engine after a restart does not get it again (the
 * page asks again if it still wants it).
 */
export type ControlRequest = InspectRequest | WarmUpRequest | LoadModelRequest | SiteModelRequest;

/**
 * The reader's weight file (.pth or .safetensors), moved (not copied) to the
 * engine, which reads it with the library's readers, builds the ResNet and
 * computes every later request with it. Answered with its ModelInfo, or an
 * error (a WeightsError's kind in the error's name: "WeightsError:corrupt");
 * the model in use stays on an error.
 */
export interface LoadModelRequest {
  type: "control";
  kind: "load-model";
  id: number;
  bytes: ArrayBuffer;
  file: string;
  /** Refuse before decoding when the float32 tensors would take more (the page's memory budget, model-memory.ts). */
  maxDecodedBytes: number;
}

/** Back to the model the site was built with; answered with its ModelInfo. */
export interface SiteModelRequest {
  type: "control";
  kind: "site-model";
  id: number;
}

/** Tests and benchmarks: what the backend holds (answered with a result: Inspection). */
export interface InspectRequest {
  type: "control";
  kind: "inspect";
  id: number;
}

/**
 * Compile a chapter's GPU programs while the engine is idle (warm-up.ts),
 * on a gallery photo at `size` x `size` (the chapters: 224). Answered with
 * a result (WarmUpReport) once every step has run, or at once where there is
 * nothing to compile (CPU backends) or the engine runs on the page.
 */
export interface WarmUpRequest {
  type: "control";
  kind: "warm-up";
  id: number;
  /** The chapter's path (e.g. location.pathname) or name. */
  chapter: string;
  size: number;
}

export interface WarmUpReport {
  chapter: string;
  /** Steps run (each once, however often it was interrupted). */
  steps: number;
  /** Milliseconds the steps took in all (idle time). */
  ms: number;
  /** GPU programs compiled meanwhile. */
  programs: number | null;
  /** Why nothing ran, if nothing did. */
  skipped?: string;
  /** Steps that failed, and why (each is tried once). */
  errors?: string[];
}

export interface Inspection {
  backend: string;
  numTensors: number;
  numBytes: number;
  /** GPU programs compiled so far (webgpu pipelines, webgl binaries); null on the CPU backends. */
  programs: number | null;
}

export type PageMessage = InitRequest | RunRequest | CancelRequest | PhotoRequest | CrashRequest | ControlRequest;

export interface ReadyMessage {
  type: "ready";
  report: Omit<ComputeReport, "where" | "notes" | "cores" | "readyMs"> & {notes: string[]};
}

export interface FailedMessage {
  type: "failed";
  /** The service cannot compute at all (no backend, no model). */
  message: string;
  skipped?: BackendReport["skipped"];
}

export interface ProgressMessage {
  type: "progress";
  id: number;
  done: number;
  total: number;
  label?: string;
}

export interface PartialMessage {
  type: "partial";
  id: number;
  value: unknown;
}

export interface ResultMessage {
  type: "result";
  id: number;
  value: unknown;
}

export interface ErrorMessage {
  type: "error";
  id: number;
  name: string;
  message: string;
  /** True when the request stopped because it was cancelled. */
  cancelled: boolean;
}

/** How far the engine's start has got (the worker host names the last one if the start never ends). */
export interface StartingMessage {
  type: "starting";
  stage: string;
}

export type WorkerMessage = StartingMessage | ReadyMessage | FailedMessage | ProgressMessage | PartialMessage | ResultMessage | ErrorMessage;

/** A compute function's second argument. */
export interface ComputeContext {
  /** Aborted when a newer request replaces this one: pass it to the library's `signal`. */
  signal: AbortSignal;
  /** Pass as the library's `onProgress`; `label` overrides the status text. */
  onProgress: (done: number, total: number, label?: string) => void;
  /** Sends an intermediate result to the page (the figure's `renderPartial` draws it). */
  partial: (value: unknown) => void;
}

/** A result with the milliseconds it took (the first time) and whether it came from a cache. */
export interface Timed<T> {
  value: T;
  ms: number;
  cached: boolean;
}
