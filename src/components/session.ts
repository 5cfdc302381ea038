// What every chapter page needs besides its own teaching code: the gallery
// photos, the page's compute service (a worker that owns TensorFlow.js and
// the model, src/compute), and live figures whose computations run there and
// whose captions name where they ran.
//
// Pages create one with `await startSession(rt, gallery, pixels)`, where rt
// is the runtime bundle (`import * as rt from "../_bundle/runtime.js"`).
// A photo id is a gallery file name or the reader's upload ("upload-<hash>",
// see upload.ts): index and photo resolve both; the compute service sends an
// upload's pixels to the worker the first time a request names it.
//
// A figure's `compute(params, {signal, onProgress, partial})` runs in the
// compute worker, with the names of src/compute/scope.ts (tf, model, the
// worker's `session`, the library): the page ships its source. Functions of
// the page that it calls go in `uses`. What it returns (typed arrays moved,
// not copied) is what `render` draws on the page.
// Components never import the bundle themselves (only its types), so the
// type check works before the bundle is built.
import type * as Runtime from "./tf-runtime.js";
import type {ComputeReport, GalleryMeta} from "../compute/contract.js";
import type {ComputeClient, RunOptions} from "../compute/client.js";
import {galleryIndex, photoPixels} from "./image-picker.js";
import {syncUpload} from "./upload.js";
import {LiveFigure, type LiveOptions} from "./live.js";
import {randomSmoothMap} from "../lib/random-map.js";

export type RuntimeModule = typeof Runtime;
export type MethodKey = Runtime.MethodName;
export type {Timed} from "../compute/contract.js";

/** A live figure whose computation runs in the compute worker. */
export interface ComputeFigureOptions<P, R> extends Omit<LiveOptions<P, R>, "backend" | "compute" | "startOnClick" | "renderPartial"> {
  /** Runs in the compute worker (see scope.ts): self-contained but for `uses`. */
  compute: (params: P, context: {signal: AbortSignal; onProgress: (done: number, total: number, label?: string) => void; partial: (value: any) => void}) => Promise<R>;
  /** Functions of the page that `compute` calls, and values it reads. */
  uses?: RunOptions["uses"];
  /** Draws a partial result sent by `compute` through `partial(value)`. */
  renderPartial?: (value: any, params: P) => Node;
  /**
   * A heavy extra (several seconds on the CPU): on the CPU backends it waits
   * for a click on a button with this label before its first computation;
   * later changes recompute at once. On a GPU backend it computes at once.
   */
  heavy?: (params: P) => string;
}

export interface Session {
  rt: RuntimeModule;
  compute: ComputeClient;
  /**
   * Names of the compute worker (src/compute/scope.ts) that a page's compute
   * functions use: `const {tf, model} = session` names them on the page too,
   * so the code reads as it runs. On the page they are stand-ins that say
   * where the real ones are if touched.
   */
  tf: WorkerOnly;
  model: WorkerOnly;
  curves: WorkerOnly;
  trainedWeights: WorkerOnly;
  gallery: GalleryMeta;
  pixels: Uint8Array;
  /** Gallery index of a photo (0 if unknown); the reader's upload is the last entry, label -1. */
  index(id: string): number;
  /** uint8 RGB (HWC) of a photo (gallery or upload). */
  photo(id: string): Uint8Array;
  /** The handout's random smooth relevance map (7x7 uniform, bilinear to 224, [0,1]) for `seed`. */
  randomMap(seed: number): Float32Array;
  /** A live figure computed in the compute worker. */
  live<P, R>(options: ComputeFigureOptions<P, R>): LiveFigure<P, R>;
  /** Runs one computation in the compute worker (see ComputeClient.run). */
  run<R>(fn: (...args: never[]) => Promise<R>, params: unknown, options?: RunOptions): Promise<R>;
  /** Runs an async generator function in the compute worker and yields what it yields. */
  stream<T>(fn: (...args: never[]) => AsyncGenerator<T>, args: unknown[], options?: Omit<RunOptions, "onPartial">): AsyncGenerator<T>;
  /** "wasm, 2 threads" / "webgpu" / "wasm on the main thread": where the figures compute. */
  where(): string;
  /** "tench, 97.1%" */
  classLabel(index: number, probability?: number): string;
}

export async function startSession(rt: RuntimeModule, gallery: GalleryMeta, pixels: Uint8Array): Promise<Session> {
  syncUpload(gallery); // a photo uploaded in another chapter of this tab
  const client = rt.compute();
  client.setPhotoSource((id) => (gallery.images.some((image) => image.id === id && image.uploaded) ? photoPixels(gallery, pixels, galleryIndex(gallery, id)) : null));
  const where = () => describeWhere(client.report);
  // On GPU backends, the engine compiles this chapter's programs once it is
  // idle (src/compute/warm-up.ts); each new engine (after a crash) again.
  client.onReport(() => void client.warmUp(location.pathname).catch(() => undefined));
  const session: Session = {
    rt,
    compute: client,
    tf: workerOnly("tf"),
    model: workerOnly("model"),
    curves: workerOnly("curves"),
    trainedWeights: workerOnly("trainedWeights"),
    gallery,
    pixels,
    index: (id) => galleryIndex(gallery, id),
    photo: (id) => photoPixels(gallery, pixels, galleryIndex(gallery, id)),
    randomMap: (seed) => randomSmoothMap(seed, rt.resizeMapArray),
    live<P, R>({compute, uses, renderPartial, heavy, ...options}: ComputeFigureOptions<P, R>) {
      return new LiveFigure<P, R>({
        ...options,
        renderPartial,
        backend: where,
        compute: (params, context) =>
          client.run<R>(compute as (...args: never[]) => unknown, params, {
            uses,
            signal: context.signal,
            onProgress: context.onProgress,
            onPartial: renderPartial ? context.partial : undefined,
          }),
        startOnClick: heavy && (async (params: P) => ((await client.ready()) && isCpu(client.report) ? heavy(params) : null)),
      });
    },
    run: (fn, params, options) => client.run(fn, params, options),
    stream: (fn, args, options) => client.stream(fn, args, options),
    where,
    classLabel(index, probability) {
      const name = gallery.classes[index]?.name ?? `class ${index}`;
      return probability === undefined ? name : `${name}, ${(100 * probability).toFixed(1)}%`;
    },
  };
  return session;
}

/** Stand-ins for the compute worker's names, for a page without a session (see Session.tf). */
export function workerNames(): {tf: WorkerOnly; model: WorkerOnly} {
  return {tf: workerOnly("tf"), model: workerOnly("model")};
}

/** A page-side stand-in for a name that exists only in the compute worker. */
export type WorkerOnly = {readonly [key: string]: never};

function workerOnly(name: string): WorkerOnly {
  const fail = (): never => {
    throw new Error(`\`${name}\` lives in the compute worker: use it inside a figure's compute function (see src/compute/scope.ts)`);
  };
  // The runtime and the browser look at values (is it a promise? a generator? a DOM node?): answer them.
  const inspected = new Set(["then", "next", "return", "throw", "constructor", "toJSON", "nodeType", "valueOf", "toString", "length", "name", "prototype"]);
  return new Proxy(function () {} as object, {
    get: (_, key) => (typeof key === "symbol" || inspected.has(key) ? undefined : fail()),
    apply: fail,
    construct: fail,
  }) as WorkerOnly;
}

function isCpu(report: ComputeReport | null): boolean {
  return !report || report.backend.name === "wasm" || report.backend.name === "cpu";
}

/** "wasm, 2 threads", "webgpu", "wasm, 1 thread, main thread". */
export function describeWhere(report: ComputeReport | null): string {
  if (!report) return "starting";
  const parts: string[] = [report.backend.name];
  if (report.threads !== null) parts.push(`${report.threads} thread${report.threads === 1 ? "" : "s"}`);
  if (report.where === "page") parts.push("main thread");
  return parts.join(", ");
}
