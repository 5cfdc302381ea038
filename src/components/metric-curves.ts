// Deletion and insertion curves for the pages, on any substrate: a small
// in-page cache (switching back to a metric or a substrate already computed
// is instant), the thumbnails of the image sequence the model sees, and the
// words the pages use for metrics and substrates.
//
// The curves are the library's `metricCurve` (deletionCurve for deletion,
// insertionCurve for insertion), so the numbers shown are the library's.
// Use: `const curves = metricCurves(session)`, then
// `await curves.get("grad_cam|-", id, relevance, {metric, substrate, steps, target})`.
import type * as tfjs from "@tensorflow/tfjs";
import type * as Runtime from "./tf-runtime.js";
import type {Session, Timed} from "./session.js";
import {thumbnails, type Thumbnails} from "./thumbnails.js";

export type Metric = Runtime.MetricName;
export type Substrate = Runtime.SubstrateName;

export interface CurveRequest {
  metric: Metric;
  substrate: Substrate;
  /** Images on the curve, S. */
  steps: number;
  /** Class followed; undefined = the class predicted for the photo. */
  target?: number;
  signal?: AbortSignal;
  onProgress?: (done: number, total: number) => void;
}

export const METRIC_LABELS: Record<Metric, string> = {
  deletion: "deletion",
  insertion: "insertion",
};

export const SUBSTRATE_LABELS: Record<Substrate, string> = {
  black: "black (the handout)",
  mean: "dataset mean colour",
  blur: "blurred copy",
};

/** Short forms for captions and legends. */
export const SUBSTRATE_SHORT: Record<Substrate, string> = {
  black: "black",
  mean: "mean colour",
  blur: "blurred copy",
};

/** "lower is better" / "higher is better". */
export function betterWhen(metric: Metric): string {
  return metric === "insertion" ? "higher is better" : "lower is better";
}

export interface MetricCurves {
  /** The curve of `relevance` on photo `id` (cached under key, photo, metric, substrate, steps and target). */
  get(key: string, id: string, relevance: ArrayLike<number>, request: CurveRequest): Promise<Timed<Runtime.MetricResult>>;
  /** Thumbnails of images `shown` of the sequence (deletion or insertion onto the substrate). */
  images(id: string, relevance: ArrayLike<number>, request: Pick<CurveRequest, "metric" | "substrate" | "steps" | "signal">, shown: number[], size?: number): Promise<Thumbnails>;
}

const CACHE_LIMIT = 64;

export function metricCurves(session: Session): MetricCurves {
  const {rt, tf, model} = session;
  const cache = new Map<string, Timed<Runtime.MetricResult>>();
  return {
    async get(key, id, relevance, {metric, substrate, steps, target, signal, onProgress}) {
      const fullKey = `${key}|${id}|${metric}|${substrate}|${steps}|${target ?? "-"}`;
      const hit = cache.get(fullKey);
      if (hit) {
        onProgress?.(1, 1);
        return {...hit, cached: true};
      }
      const t0 = performance.now();
      const value = await session.withImage(id, (image) => rt.metricCurve(model, image, relevance, {metric, substrate, steps, target, signal, onProgress}));
      const result = {value, ms: performance.now() - t0, cached: false};
      cache.set(fullKey, result);
      if (cache.size > CACHE_LIMIT) cache.delete(cache.keys().next().value!);
      return result;
    },
    images(id, relevance, {metric, substrate, steps, signal}, shown, size = 56) {
      return session.withImage(id, async (image) => {
        const stepOfPixel = rt.deletionStepOfPixel(relevance, steps);
        // The substrate is made once for all thumbnails (a blur is not free).
        const background: tfjs.Tensor3D = rt.substrateImage(image, substrate);
        try {
          return await thumbnails(tf, shown, (start, count) =>
            metric === "deletion" && substrate === "black"
              ? rt.prepareDeletion(image, relevance, steps, start, count, stepOfPixel)
              : rt.prepareSubstituted(metric, image, background, stepOfPixel, start, count),
            {size, signal},
          );
        } finally {
          background.dispose();
        }
      });
    },
  };
}
