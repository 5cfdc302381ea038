// Do the judges agree over a whole dataset? Each evaluation metric ranks the
// methods by their mean over the images; Kendall's tau between two metrics'
// rankings says whether those two judges order the methods alike. Both the
// ranking and the tau are statistics of the sample of images, so both get a
// percentile bootstrap over the images: every resample draws images with
// replacement and keeps each image's values of every metric and method
// together (they were measured on the same photo), recomputes every mean,
// every ranking and every tau.
// Two different questions, two taus:
//  - the tau of the rankings of the MEANS: do the two metrics crown the same
//    methods over the dataset? With five methods it takes 11 values from -1
//    to 1, and two random orders reach 0.6 or more with probability 14/120;
//  - the MEAN over images of the per-image tau: on a typical photo, do the
//    two metrics order the methods alike? (What "Judging explanations"
//    shows for one photo.) Means can agree while single photos disagree.
// Pure TypeScript (no tfjs): the Dataset-wide results page imports it.
import {EVALUATION_METRICS, kendallTau, rankValues, type EvaluationMetricName} from "./ranking.js";
import {quantileSorted, seededRandom, type Interval} from "./statistics.js";

export interface AgreementOptions {
  /** Bootstrap resamples (default 2000, like statistics.ts's bootstrap). */
  resamples?: number;
  /** Confidence level of the intervals (default 0.95). */
  level?: number;
  /** Seed of the resampling (default 1, statistics.ts's: the means' intervals equal meanInterval's). */
  seed?: number;
}

export interface RankingAgreement {
  metrics: EvaluationMetricName[];
  methods: string[];
  /** Images. */
  n: number;
  resamples: number;
  /** means[k][m]: the mean of metric k for method m over the images, with its bootstrap interval. */
  means: Interval[][];
  /** ranks[k][m]: method m's rank by the mean of metric k (1 = best in the metric's direction; ties share the mean rank). */
  ranks: number[][];
  /** tauOfMeans[k][l]: Kendall's tau-b between the rankings of the means by metrics k and l, with its bootstrap interval. */
  tauOfMeans: Interval[][];
  /** sameOrder[k][l]: the share of resamples in which metrics k and l rank the means in exactly the same order (tau = 1). */
  sameOrder: number[][];
  /** meanImageTau[k][l]: the mean over images of the tau between the two metrics' rankings on that image, with its bootstrap interval. */
  meanImageTau: Interval[][];
  /** undefinedImageTau[k][l]: images left out of meanImageTau[k][l] because a metric tied every method there (tau undefined). */
  undefinedImageTau: number[][];
}

/**
 * `values[k][m][i]`: metric `metrics[k]` of method `methods[m]` on image i
 * (every array of the same length n >= 1, the images in the same order).
 * The estimates use all images; the intervals come from `resamples` bootstrap
 * resamples of the images (NaN with fewer than 2 images).
 */
export function rankingAgreement(metrics: readonly EvaluationMetricName[], methods: readonly string[], values: readonly (readonly ArrayLike<number>[])[], options: AgreementOptions = {}): RankingAgreement {
  const {resamples = 2000, level = 0.95, seed = 1} = options;
  const M = methods.length;
  const {n, better} = checkedShape(metrics, M, values);

  // Per image: each metric's ranking of the methods, and the tau per pair.
  const pairs = metrics.flatMap((_, k) => metrics.map((__, l) => [k, l] as const)).filter(([k, l]) => k < l);
  const imageTau = pairs.map(() => new Float64Array(n));
  const column = new Float64Array(M);
  for (let i = 0; i < n; i++) {
    const ranks = values.map((row, k) => {
      for (let m = 0; m < M; m++) column[m] = row[m][i];
      return rankValues(column, better[k]);
    });
    pairs.forEach(([k, l], p) => (imageTau[p][i] = kendallTau(ranks[k], ranks[l])));
  }

  // One statistic vector per (re)sample: the K x M means, the taus of their rankings, the mean image taus.
  const statistics = (indices: ArrayLike<number>) => {
    const means = values.map((row) => row.map((v) => {
      let s = 0;
      for (let j = 0; j < indices.length; j++) s += v[indices[j]];
      return s / indices.length;
    }));
    const ranks = means.map((row, k) => rankValues(row, better[k]));
    const tau = pairs.map(([k, l]) => kendallTau(ranks[k], ranks[l]));
    const imageMeans = imageTau.map((t) => {
      let s = 0;
      let count = 0;
      for (let j = 0; j < indices.length; j++) {
        const v = t[indices[j]];
        if (!Number.isNaN(v)) (s += v), count++;
      }
      return count ? s / count : NaN;
    });
    return {means, ranks, tau, imageMeans};
  };

  const all = Int32Array.from({length: n}, (_, i) => i);
  const estimate = statistics(all);
  // Same draws as statistics.ts's bootstrap (same PRNG, seed and order of
  // draws), so each mean's interval is meanInterval's for that column.
  const draws = n < 2 ? 0 : resamples;
  const meanDraws = values.map((row) => row.map(() => new Float64Array(draws)));
  const tauDraws = pairs.map(() => new Float64Array(draws));
  const imageDraws = pairs.map(() => new Float64Array(draws));
  const random = seededRandom(seed);
  const sample = new Int32Array(n);
  for (let r = 0; r < draws; r++) {
    for (let i = 0; i < n; i++) sample[i] = Math.floor(random() * n);
    const s = statistics(sample);
    s.means.forEach((row, k) => row.forEach((v, m) => (meanDraws[k][m][r] = v)));
    s.tau.forEach((v, p) => (tauDraws[p][r] = v));
    s.imageMeans.forEach((v, p) => (imageDraws[p][r] = v));
  }
  const interval = (value: number, draws: Float64Array) => bootstrapInterval(value, draws, (1 - level) / 2);

  const square = <T>(diagonal: () => T, pair: (p: number) => T): T[][] =>
    metrics.map((_, k) => metrics.map((__, l) => (k === l ? diagonal() : pair(pairs.findIndex(([a, b]) => a === Math.min(k, l) && b === Math.max(k, l))))));
  const diagonalTau = (): Interval => ({estimate: 1, lower: 1, upper: 1});
  return {
    metrics: [...metrics],
    methods: [...methods],
    n,
    resamples: draws,
    means: estimate.means.map((row, k) => row.map((v, m) => interval(v, meanDraws[k][m]))),
    ranks: estimate.ranks.map((r) => Array.from(r)),
    tauOfMeans: square(diagonalTau, (p) => interval(estimate.tau[p], tauDraws[p])),
    sameOrder: square(() => 1, (p) => (draws ? tauDraws[p].filter((t) => t === 1).length / draws : NaN)),
    meanImageTau: square(diagonalTau, (p) => interval(estimate.imageMeans[p], imageDraws[p])),
    undefinedImageTau: square(() => 0, (p) => imageTau[p].filter(Number.isNaN).length),
  };
}

/** The number of images, and whether each metric is better higher or lower; a RangeError if `values` is not metrics x methods x images. */
function checkedShape(metrics: readonly EvaluationMetricName[], M: number, values: readonly (readonly ArrayLike<number>[])[]) {
  const K = metrics.length;
  if (values.length !== K || values.some((row) => row.length !== M)) throw new RangeError(`values must be metrics x methods (${K} x ${M}) arrays of per-image values`);
  const n = values[0]?.[0]?.length ?? 0;
  if (values.some((row) => row.some((v) => v.length !== n))) throw new RangeError("every metric and method needs a value for every image");
  if (n < 1) throw new RangeError("no images");
  const better = metrics.map((metric) => {
    if (!(metric in EVALUATION_METRICS)) throw new RangeError(`unknown metric ${metric}`);
    return EVALUATION_METRICS[metric].better;
  });
  return {n, better};
}

/** The estimate with the `alpha` and 1 - `alpha` quantiles of its bootstrap draws (NaN bounds without draws). */
function bootstrapInterval(value: number, draws: Float64Array, alpha: number): Interval {
  if (!draws.length) return {estimate: value, lower: NaN, upper: NaN};
  // NaN (a resample where the statistic is undefined) sorts last in a typed array: leave them out of the quantiles.
  const sorted = draws.slice().sort();
  const firstNaN = sorted.findIndex(Number.isNaN);
  const defined = firstNaN === -1 ? sorted : sorted.subarray(0, firstNaN);
  return {estimate: value, lower: quantileSorted(defined, alpha), upper: quantileSorted(defined, 1 - alpha)};
}
