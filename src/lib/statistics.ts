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
