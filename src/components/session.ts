// What every chapter page needs besides its own teaching code: the model on
// the chosen backend, the gallery photos as tensors, the explanation methods
// with a small in-page cache (moving the deletion slider does not recompute
// integrated gradients; curves are cached by metric-curves.ts), and live
// figures whose captions name the backend.
//
// Pages create one with `await startSession(rt, gallery, pixels)`, where rt
// is the runtime bundle (`import * as rt from "../_bundle/runtime.js"`).
// A photo id is a gallery file name or the reader's upload ("upload-<hash>",
// see upload.ts): index/photo/tensor resolve both, so every method and the
// deletion curve run on an uploaded photo exactly as on a gallery photo. The
// caches are keyed by id, and an upload's id is a hash of its pixels, so a
// new upload never gets an older photo's results.
// Components never import the bundle themselves (only its types), so the
// type check works before the bundle is built.
import type * as tfjs from "@tensorflow/tfjs";
import type * as Runtime from "./tf-runtime.js";
import type {GalleryMeta} from "../data/_loaders.js";
import {galleryIndex, photoPixels} from "./image-picker.js";
import {syncUpload} from "./upload.js";
import {LiveFigure, type LiveOptions} from "./live.js";
import {randomSmoothMap} from "./random-map.js";
import {yieldingReads} from "./yielding-reads.js";

export type RuntimeModule = typeof Runtime;
export type MethodKey = Runtime.MethodName;

/** A result with the milliseconds it took (the first time) and whether it came from the cache. */
export interface Timed<T> {
  value: T;
  ms: number;
  cached: boolean;
}

export interface ExplainOptions {
  /** Occlusion grid S or integrated-gradients steps M; ignored by the other methods. */
  steps?: number;
  target?: number;
  signal?: AbortSignal;
  onProgress?: (done: number, total: number) => void;
}

export interface Session {
  rt: RuntimeModule;
  tf: typeof tfjs;
  model: Runtime.ResNet18;
  backend: Runtime.BackendInfo;
  /**
   * Whether occlusion recomputes only what each patch changes (the same
   * numbers): on the CPU backends (wasm, cpu), where arithmetic dominates and
   * it is ~2x faster at S = 6; on a GPU the many small crops cost more
   * dispatches than they save.
   */
  incrementalOcclusion: boolean;
  gallery: GalleryMeta;
  pixels: Uint8Array;
  /** Gallery index of a photo (0 if unknown); the reader's upload is the last entry, label -1. */
  index(id: string): number;
  /** uint8 RGB (HWC) of a photo (gallery or upload). */
  photo(id: string): Uint8Array;
  /** The photo as a float32 [224,224,3] tensor in [0,1]; the caller disposes it. */
  tensor(id: string): tfjs.Tensor3D;
  /** Runs `fn` with the photo's tensor and disposes it afterwards. */
  withImage<T>(id: string, fn: (image: tfjs.Tensor3D) => Promise<T>): Promise<T>;
  /** A method's explanation of a photo (cached per method, photo, steps and target). */
  explain(method: MethodKey, id: string, options?: ExplainOptions): Promise<Timed<Runtime.Explanation>>;
  /** The handout's random smooth relevance map (7x7 uniform, bilinear to 224, [0,1]) for `seed`. */
  randomMap(seed: number): Float32Array;
  /** A live figure whose caption names this session's backend. */
  live<P, R>(options: Omit<LiveOptions<P, R>, "backend">): LiveFigure<P, R>;
  /** "tench, 97.1%" */
  classLabel(index: number, probability?: number): string;
}

const CACHE_LIMIT = 48;

export async function startSession(rt: RuntimeModule, gallery: GalleryMeta, pixels: Uint8Array): Promise<Session> {
  syncUpload(gallery); // a photo uploaded in another chapter of this tab
  const {model, backend} = await rt.loadModel();
  const tf = rt.tf;
  // On wasm/cpu, let input and painting in between batches (see yielding-reads.ts).
  yieldingReads(tf);
  const explanations = new Map<string, Timed<Runtime.Explanation>>();
  const remember = <T>(cache: Map<string, T>, key: string, value: T) => {
    cache.set(key, value);
    if (cache.size > CACHE_LIMIT) cache.delete(cache.keys().next().value!);
  };

  const session: Session = {
    rt,
    tf,
    model,
    backend,
    incrementalOcclusion: tf.getBackend() === "wasm" || tf.getBackend() === "cpu",
    gallery,
    pixels,
    index: (id) => galleryIndex(gallery, id),
    photo: (id) => photoPixels(gallery, pixels, galleryIndex(gallery, id)),
    tensor: (id) => rt.imageFromBytes(session.photo(id)),
    async withImage(id, fn) {
      const image = session.tensor(id);
      try {
        return await fn(image);
      } finally {
        image.dispose();
      }
    },
    async explain(method, id, {steps, target, signal, onProgress} = {}) {
      const info = rt.METHODS[method];
      const s = info.steps ? steps ?? info.steps.default : undefined;
      const key = `${method}|${id}|${s ?? "-"}|${target ?? "-"}`;
      const hit = explanations.get(key);
      if (hit) {
        onProgress?.(1, 1);
        return {...hit, cached: true};
      }
      const t0 = performance.now();
      const incremental = session.incrementalOcclusion;
      const value = await session.withImage(id, (image) => rt.explain(method, model, image, {steps: s, target, signal, onProgress, incremental}));
      const result = {value, ms: performance.now() - t0, cached: false};
      remember(explanations, key, result);
      return result;
    },
    randomMap: (seed) => randomSmoothMap(seed, rt.resizeMapArray),
    live: (options) => new LiveFigure({...options, backend: () => tf.getBackend()}),
    classLabel(index, probability) {
      const name = gallery.classes[index]?.name ?? `class ${index}`;
      return probability === undefined ? name : `${name}, ${(100 * probability).toFixed(1)}%`;
    },
  };
  return session;
}
