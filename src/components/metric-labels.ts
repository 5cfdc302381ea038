// The words the pages use for the deletion and insertion metrics and their
// substrates. The curves themselves are computed in the compute worker
// (`curves` in a compute function's scope: src/compute/curve-cache.ts).
import type * as Runtime from "./page-runtime.js";

export type Metric = Runtime.MetricName;
export type Substrate = Runtime.SubstrateName;

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
