// Summary statistics for the dataset-wide deletion scores: mean, standard
// deviation, percentile-bootstrap confidence intervals and paired comparisons.
// Deterministic (seeded) so a page shows the same numbers on every load.

/** A small deterministic PRNG (mulberry32): uniform in [0, 1). */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function mean(xs: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < xs.length; i++) s += xs[i];
  return xs.length ? s / xs.length : NaN;
}

/** Sample standard deviation (n - 1). */
export function std(xs: ArrayLike<number>): number {
  if (xs.length < 2) return NaN;
  const m = mean(xs);
  let s = 0;
  for (let i = 0; i < xs.length; i++) s += (xs[i] - m) ** 2;
  return Math.sqrt(s / (xs.length - 1));
}

/** Linear-interpolated quantile (numpy's default) of sorted values. */
export function quantileSorted(sorted: ArrayLike<number>, q: number): number {
  if (!sorted.length) return NaN;
  const at = (sorted.length - 1) * q;
  const lo = Math.floor(at);
  const hi = Math.min(lo + 1, sorted.length - 1);
  return sorted[lo] + (sorted[hi] - sorted[lo]) * (at - lo);
}

export interface Interval {
  estimate: number;
  lower: number;
  upper: number;
}

/**
 * Percentile bootstrap CI of `statistic` over resamples of the indices
 * 0..n-1 (resampling indices keeps pairs together for paired statistics).
 */
export function bootstrap(n: number, statistic: (indices: Int32Array) => number, {resamples = 2000, level = 0.95, seed = 1} = {}): Interval {
  const all = Int32Array.from({length: n}, (_, i) => i);
  const estimate = statistic(all);
  if (n < 2) return {estimate, lower: NaN, upper: NaN};
  const random = seededRandom(seed);
  const stats = new Float64Array(resamples);
  const sample = new Int32Array(n);
  for (let r = 0; r < resamples; r++) {
    for (let i = 0; i < n; i++) sample[i] = Math.floor(random() * n);
    stats[r] = statistic(sample);
  }
  stats.sort();
  const alpha = (1 - level) / 2;
  return {estimate, lower: quantileSorted(stats, alpha), upper: quantileSorted(stats, 1 - alpha)};
}

/** 95% bootstrap CI of the mean. */
export function meanInterval(xs: ArrayLike<number>, options?: Parameters<typeof bootstrap>[2]): Interval {
  return bootstrap(xs.length, (idx) => {
    let s = 0;
    for (let i = 0; i < idx.length; i++) s += xs[idx[i]];
    return s / idx.length;
  }, options);
}

/**
 * Paired comparison of two methods' AUCs on the same images: the share of
 * images where `a` is better (lower deletion AUC) than `b`, ties counted
 * half, with a bootstrap CI.
 */
export function shareBetter(a: ArrayLike<number>, b: ArrayLike<number>, options?: Parameters<typeof bootstrap>[2]): Interval {
  if (a.length !== b.length) throw new Error("paired comparison needs the same images for both methods");
  const wins = Float64Array.from({length: a.length}, (_, i) => (a[i] < b[i] ? 1 : a[i] === b[i] ? 0.5 : 0));
  return meanInterval(wins, options);
}

/**
 * Ranks 1..n of `xs`, ties sharing the average of the ranks they span
 * (scipy.stats.rankdata's "average"): [10, 20, 20, 30] -> [1, 2.5, 2.5, 4].
 * NaN is not allowed (it has no rank): it throws.
 */
export function averageRanks(xs: ArrayLike<number>): Float64Array {
  const n = xs.length;
  const order = Uint32Array.from({length: n}, (_, i) => i);
  for (let i = 0; i < n; i++) if (Number.isNaN(xs[i])) throw new RangeError(`cannot rank NaN (at index ${i})`);
  order.sort((a, b) => xs[a] - xs[b]);
  const ranks = new Float64Array(n);
  for (let start = 0; start < n; ) {
    let end = start + 1;
    while (end < n && xs[order[end]] === xs[order[start]]) end++;
    const rank = (start + 1 + end) / 2; // mean of ranks start+1 .. end
    for (let k = start; k < end; k++) ranks[order[k]] = rank;
    start = end;
  }
  return ranks;
}

/** Pearson correlation of two equal-length samples; NaN when either is constant (the correlation is undefined). */
export function pearson(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`correlation needs samples of the same length (${a.length} != ${b.length})`);
  const n = a.length;
  if (n < 2) return NaN;
  const ma = mean(a);
  const mb = mean(b);
  let sab = 0, saa = 0, sbb = 0;
  for (let i = 0; i < n; i++) {
    const da = a[i] - ma;
    const db = b[i] - mb;
    sab += da * db;
    saa += da * da;
    sbb += db * db;
  }
  if (saa === 0 || sbb === 0) return NaN;
  return Math.max(-1, Math.min(1, sab / Math.sqrt(saa * sbb)));
}

/**
 * Spearman's rank correlation: the Pearson correlation of the average ranks
 * (ties share their mean rank, like scipy.stats.spearmanr). In [-1, 1]; NaN
 * when either sample is constant (every value tied: no ranking to compare,
 * as scipy), e.g. a GradCAM map that is zero everywhere.
 */
export function spearman(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`correlation needs samples of the same length (${a.length} != ${b.length})`);
  return pearson(averageRanks(a), averageRanks(b));
}
