// Judging the judges: each evaluation metric ranks the methods, and Kendall's
// tau between two metrics' rankings says whether those two judges agree
// (+1: the same order, -1: reversed, 0: unrelated).
// method-info.js, not methods.js: pages import this module directly, without tfjs.
import {METHOD_NAMES} from "./method-info.js";

/** Which values a metric prefers. */
export type Better = "lower" | "higher";

export interface EvaluationMetric {
  label: string;
  better: Better;
  /** Why that direction is the better one. */
  why: string;
}

export const EVALUATION_METRICS = {
  deletion_auc: {label: "Deletion (MoRF) AUC", better: "lower", why: "removing the most relevant pixels first should make the probability fall fast"},
  lerf_auc: {label: "LeRF AUC", better: "higher", why: "removing the least relevant pixels first should leave the probability up"},
  abpc: {label: "ABPC (LeRF - MoRF)", better: "higher", why: "a map right about both ends of its ranking separates the two curves"},
  insertion_auc: {label: "Insertion AUC", better: "higher", why: "putting back the most relevant pixels first should make the probability rise fast"},
  faithfulness_correlation: {label: "Faithfulness correlation", better: "higher", why: "relevance summed over a subset should predict the probability drop when it is removed"},
  max_sensitivity: {label: "Max-sensitivity", better: "lower", why: "an invisible change of the input should barely change the map"},
  random_logit_spearman: {label: "Random-logit Spearman", better: "lower", why: "the map for another class should differ from the map for this one"},
  sparseness: {label: "Sparseness (Gini)", better: "higher", why: "a concentrated map is easier to read (Chalasani et al. 2020)"},
  complexity: {label: "Complexity (entropy)", better: "lower", why: "a map with less entropy is simpler (Bhatt et al. 2020)"},
} as const satisfies Record<string, EvaluationMetric>;

export type EvaluationMetricName = keyof typeof EVALUATION_METRICS;
export const EVALUATION_METRIC_NAMES = Object.keys(EVALUATION_METRICS) as EvaluationMetricName[];

/**
 * Ranks 1..n of `values`, 1 the best by `better`; tied values share the mean
 * of their ranks (so tau-b sees them as ties). NaN (a metric undefined for a
 * method, e.g. a correlation with a constant map) ranks after every number,
 * the NaNs tied among themselves.
 */
export function rankValues(values: ArrayLike<number>, better: Better): Float64Array {
  const n = values.length;
  const key = (i: number) => (Number.isNaN(values[i]) ? Infinity : better === "lower" ? values[i] : -values[i]);
  const missing = (i: number) => Number.isNaN(values[i]);
  const order = Array.from({length: n}, (_, i) => i).sort((a, b) => Number(missing(a)) - Number(missing(b)) || key(a) - key(b) || 0);
  const same = (a: number, b: number) => (missing(a) && missing(b)) || values[a] === values[b];
  const ranks = new Float64Array(n);
  for (let start = 0; start < n; ) {
    let end = start + 1;
    while (end < n && same(order[end], order[start])) end++;
    for (let k = start; k < end; k++) ranks[order[k]] = (start + 1 + end) / 2;
    start = end;
  }
  return ranks;
}

/**
 * Kendall's tau-b of two paired samples: (concordant - discordant) pairs over
 * sqrt((n0 - ties in a) (n0 - ties in b)), n0 = n (n - 1) / 2 (scipy.stats.kendalltau's
 * default). Without ties it is tau-a. NaN when either sample is all ties (no
 * order to compare) or has fewer than 2 values. O(n^2): meant for rankings of
 * a few methods.
 */
export function kendallTau(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new RangeError(`Kendall's tau needs samples of the same length (${a.length} != ${b.length})`);
  const n = a.length;
  let concordant = 0;
  let discordant = 0;
  let tiesA = 0;
  let tiesB = 0;
  for (let i = 0; i < n; i++) {
    for (let j = i + 1; j < n; j++) {
      const da = Math.sign(a[i] - a[j]);
      const db = Math.sign(b[i] - b[j]);
      if (Number.isNaN(da) || Number.isNaN(db)) throw new RangeError("Kendall's tau of NaN values (rank them first: rankValues)");
      if (da === 0) tiesA++;
      if (db === 0) tiesB++;
      if (da !== 0 && db !== 0) {
        if (da === db) concordant++;
        else discordant++;
      }
    }
  }
  const pairs = (n * (n - 1)) / 2;
  const denominator = Math.sqrt((pairs - tiesA) * (pairs - tiesB));
  if (!(denominator > 0)) return NaN;
  return (concordant - discordant) / denominator;
}

export interface MethodMetricTable {
  /** Rows of `values` and `ranks`: the methods, in the given order. */
  methods: string[];
  /** Columns: the metrics, in the given order. */
  metrics: EvaluationMetricName[];
  /** values[m][k]: metric k's value for method m. */
  values: number[][];
  /** ranks[m][k]: method m's rank by metric k (1 = best, ties averaged, NaN last). */
  ranks: number[][];
  /** tau[k][l]: Kendall's tau-b between the rankings of metrics k and l (1 on the diagonal unless all tied). */
  tau: number[][];
}

/**
 * The method x metric table of one photo (or of per-method summaries):
 * `values[metric][method]` -> ranks per metric and Kendall's tau per pair of
 * metrics. `methods` defaults to the five methods, `metrics` to those present
 * in `values`, in EVALUATION_METRICS order.
 */
export function methodMetricTable(values: Partial<Record<EvaluationMetricName, Record<string, number>>>, methods: readonly string[] = METHOD_NAMES, metrics: readonly EvaluationMetricName[] = EVALUATION_METRIC_NAMES.filter((k) => values[k])): MethodMetricTable {
  const columns = metrics.map((metric) => {
    const byMethod = values[metric];
    if (!byMethod) throw new RangeError(`no values for metric ${metric}`);
    if (!(metric in EVALUATION_METRICS)) throw new RangeError(`unknown metric ${metric}`);
    const column = methods.map((method) => {
      if (!(method in byMethod)) throw new RangeError(`metric ${metric} has no value for method ${method}`);
      return byMethod[method];
    });
    return {column, ranks: rankValues(column, EVALUATION_METRICS[metric].better)};
  });
  return {
    methods: [...methods],
    metrics: [...metrics],
    values: methods.map((_, m) => columns.map(({column}) => column[m])),
    ranks: methods.map((_, m) => columns.map(({ranks}) => ranks[m])),
    tau: columns.map((a) => columns.map((b) => kendallTau(a.ranks, b.ranks))),
  };
}
