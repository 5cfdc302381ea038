// The compute worker's session, `worker` in a compute function's scope
// (scope.ts): the photos (the gallery's and the reader's upload) as tensors,
// the methods with a small cache (moving the deletion slider does not
// recompute integrated gradients), deletion and insertion curves (`curves`,
// cached too), state kept between requests, and whether occlusion
// recomputes only what each patch changes. The page draws with its own
// object (src/components/chapter.ts), which holds no tensors.
import type * as tfjs from "@tensorflow/tfjs";
import {explain, imageFromBytes, METHODS, resizeMapArray, type Explanation, type MethodName, type ResNet} from "../lib/index.js";
import {randomSmoothMap} from "../lib/random-map.js";
import type {GalleryMeta, Timed} from "./contract.js";
import {photoAt, photoIndex, withUpload} from "../shared/gallery-data.js";
import {metricCurves, type MetricCurves} from "./curve-cache.js";
import {LruCache} from "./lru-cache.js";
import {retained} from "./transfer.js";

export interface ExplainOptions {
  /** Occlusion grid S or integrated-gradients steps M; ignored by the other methods. */
  steps?: number;
  target?: number;
  signal?: AbortSignal;
  onProgress?: (done: number, total: number) => void;
}

const CACHE_LIMIT = 48;
const PIXELS = 224 * 224 * 3;

export class WorkerSession {
  readonly tf: typeof tfjs;
  /** The model the methods explain: the site's, or the reader's (useModel). */
  model: ResNet;
  readonly gallery: GalleryMeta;
  /**
   * Whether occlusion recomputes only what each patch changes (the same
   * numbers): on the CPU backends (wasm, cpu), where arithmetic dominates and
   * it is ~2x faster at S = 6; on a GPU the many small crops cost more
   * dispatches than they save.
   */
  readonly incrementalOcclusion: boolean;
  /** Deletion and insertion curves on any substrate, cached (curve-cache.ts). */
  curves: MetricCurves;
  private readonly pixels: Uint8Array;
  private readonly uploads = new Map<string, Uint8Array>();
  private readonly explanations = new LruCache<Timed<Explanation>>(CACHE_LIMIT);
  private readonly kept = new Map<string, unknown>();

  constructor({tf, model, gallery, pixels, incrementalOcclusion}: {tf: typeof tfjs; model: ResNet; gallery: GalleryMeta; pixels: Uint8Array; incrementalOcclusion: boolean}) {
    this.tf = tf;
    this.model = model;
    this.gallery = gallery;
    this.pixels = pixels;
    this.incrementalOcclusion = incrementalOcclusion;
    this.curves = metricCurves(this);
  }

  /**
   * The reader's uploaded photo (the page sends it before the first request
   * that names it). Like on the page, it becomes the gallery's last entry
   * (label -1: its true class is unknown).
   */
  addPhoto(id: string, pixels: Uint8Array): void {
    if (pixels.length !== PIXELS) throw new RangeError(`photo ${id} has ${pixels.length} bytes, expected ${PIXELS}`);
    this.uploads.set(id, retained(pixels));
    this.gallery.images = [...withUpload(this.gallery.images, id)];
  }

  /** Gallery index of a photo (the upload: the last entry; an unknown id: the first photo, 0). */
  index(id: string): number {
    return photoIndex(this.gallery, id);
  }

  /** uint8 RGB (HWC) of a photo (gallery or upload). Kept by the worker: never transferred. */
  photo(id: string): Uint8Array {
    return this.uploads.get(id) ?? photoAt(this.gallery, this.pixels, this.index(id), (upload) => this.uploads.get(upload));
  }

  /** The photo as a float32 [224,224,3] tensor in [0,1]; the caller disposes it. */
  tensor(id: string): tfjs.Tensor3D {
    return imageFromBytes(this.photo(id));
  }

  /** Runs `fn` with the photo's tensor and disposes it afterwards. */
  async withImage<T>(id: string, fn: (image: tfjs.Tensor3D) => Promise<T>): Promise<T> {
    const image = this.tensor(id);
    try {
      return await fn(image);
    } finally {
      image.dispose();
    }
  }

  /** A method's explanation of a photo (cached per method, photo, steps and target). */
  async explain(method: MethodName, id: string, {steps, target, signal, onProgress}: ExplainOptions = {}): Promise<Timed<Explanation>> {
    const info = METHODS[method];
    const s = info.steps ? steps ?? info.steps.default : undefined;
    const key = `${method}|${id}|${s ?? "-"}|${target ?? "-"}`;
    const hit = this.explanations.get(key);
    if (hit) {
      onProgress?.(1, 1);
      return {...hit, cached: true};
    }
    const t0 = performance.now();
    const value = await this.withImage(id, (image) => explain(method, this.model, image, {steps: s, target, signal, onProgress, incremental: this.incrementalOcclusion}));
    const result = retained({value, ms: performance.now() - t0, cached: false});
    this.explanations.set(key, result);
    return result;
  }

  /** Computes with `model` from now on: the caches of the previous model's results are emptied. */
  useModel(model: ResNet): void {
    this.model = model;
    this.explanations.clear();
    // Kept state built from the old model (the sanity checks' stage models) frees its tensors.
    for (const value of this.kept.values()) (value as {release?: () => void} | null)?.release?.();
    this.kept.clear();
    this.curves = metricCurves(this);
  }

  /**
   * State a chapter keeps in the worker from one request to the next (the
   * sanity checks' stage models, say): `make()` the first time, the same
   * object after.
   */
  keep<T>(key: string, make: () => T): T {
    if (!this.kept.has(key)) this.kept.set(key, make());
    return this.kept.get(key) as T;
  }

  /** The handout's random smooth relevance map (7x7 uniform, bilinear to 224, [0,1]) for `seed`. */
  randomMap(seed: number): Float32Array {
    return randomSmoothMap(seed, resizeMapArray);
  }
}
