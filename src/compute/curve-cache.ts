// Deletion and insertion curves on any substrate, for the compute functions
// of the chapters (`curves` in their scope): a small cache (switching back
// to a metric or a substrate already computed is instant) and the
// thumbnails of the image sequence the model sees.
//
// The curves are the library's `metricCurve` (deletionCurve for deletion,
// insertionCurve for insertion), so the numbers shown are the library's.
// Use: `await curves.get("grad_cam|-", id, relevance, {metric, substrate, steps, target})`.
import type * as tfjs from "@tensorflow/tfjs";
import {deletionStepOfPixel, metricCurve, prepareDeletion, prepareSubstituted, substrateImage, type AnySubstrateName, type CurvePartial, type MetricName, type MetricResult, type RoadOptions, type SubstrateName} from "../lib/index.js";
import type {Timed} from "./contract.js";
import {thumbnails, type Thumbnails} from "./thumbnail-batches.js";
import {LruCache} from "./lru-cache.js";
import {retained} from "./transfer.js";
import type {WorkerSession} from "./worker-session.js";

export interface CurveRequest {
  metric: MetricName;
  /** black, mean, blur, or ROAD's imputation ("road", with `road`'s seed and noise). */
  substrate: AnySubstrateName;
  road?: RoadOptions;
  /** Images on the curve, S. */
  steps: number;
  /** Class followed; undefined = the class predicted for the photo. */
  target?: number;
  signal?: AbortSignal;
  onProgress?: (done: number, total: number) => void;
  /** The curve so far, after each batch (not called for a cached curve). */
  onPartial?: (partial: CurvePartial) => void;
}

export interface MetricCurves {
  /** The curve of `relevance` on photo `id` (cached under key, photo, metric, substrate, steps and target). */
  get(key: string, id: string, relevance: ArrayLike<number>, request: CurveRequest): Promise<Timed<MetricResult>>;
  /** Thumbnails of images `shown` of the sequence (deletion or insertion onto the substrate). */
  images(id: string, relevance: ArrayLike<number>, request: Pick<CurveRequest, "metric" | "steps" | "signal"> & {substrate: SubstrateName}, shown: number[], size?: number): Promise<Thumbnails>;
}

const CACHE_LIMIT = 64;

export function metricCurves(session: WorkerSession): MetricCurves {
  const {tf, model} = session;
  const cache = new LruCache<Timed<MetricResult>>(CACHE_LIMIT);
  return {
    async get(key, id, relevance, {metric, substrate, road, steps, target, signal, onProgress, onPartial}) {
      const fullKey = `${key}|${id}|${metric}|${substrate}|${substrate === "road" ? JSON.stringify(road ?? {}) : ""}|${steps}|${target ?? "-"}`;
      const hit = cache.get(fullKey);
      if (hit) {
        onProgress?.(1, 1);
        return {...hit, cached: true};
      }
      const t0 = performance.now();
      const value = await session.withImage(id, (image) => metricCurve(model, image, relevance, {metric, substrate, road, steps, target, signal, onProgress, onPartial}));
      const result = retained({value, ms: performance.now() - t0, cached: false});
      cache.set(fullKey, result);
      return result;
    },
    images(id, relevance, {metric, substrate, steps, signal}, shown, size = 56) {
      return session.withImage(id, async (image) => {
        const stepOfPixel = deletionStepOfPixel(relevance, steps);
        // The substrate is made once for all thumbnails (a blur is not free).
        const background: tfjs.Tensor3D = substrateImage(image, substrate);
        try {
          return await thumbnails(tf, shown, (start, count) =>
            metric === "deletion" && substrate === "black"
              ? prepareDeletion(image, relevance, steps, start, count, stepOfPixel)
              : prepareSubstituted(metric, image, background, stepOfPixel, start, count),
            {size, signal},
          );
        } finally {
          background.dispose();
        }
      });
    },
  };
}
