// How concentrated a map is, from its magnitudes |r| alone (no model calls):
//  - sparseness (Chalasani, Chen, Chowdhury, Wu and Jha, ICML 2020): the Gini
//    index of |r|,
//      G = sum_i (2i - n - 1) a_(i) / (n sum_i a_(i)),  a_(1) <= ... <= a_(n) the sorted |r|,
//    0 when every pixel has the same magnitude, 1 - 1/n when one pixel holds
//    it all. Higher is sparser (Chalasani et al.: better).
//  - complexity (Bhatt, Weller and Moura, IJCAI 2020): the entropy of the
//    magnitudes as a distribution,
//      H = -sum_i p_i ln p_i,  p_i = |r_i| / sum_j |r_j|  (0 ln 0 = 0),
//    from 0 (one pixel) to ln n (uniform). Lower is simpler (Bhatt et al.: better).
// n is the map's length (224 * 224 for the methods' maps).
// Degenerate maps: an all-zero map is the limit of a constant map c -> 0, so
// it counts as uniform: G = 0 and H = ln n (no pixel stands out). A map
// with NaN gives NaN. Both are computed in float64, with compensated sums.

/**
 * A running sum with Neumaier's compensation: the error of summing 50,176
 * terms stays at a few ulps instead of growing with n (a uniform map's
 * entropy is ln n to ~1e-15, not ~1e-12).
 */
class CompensatedSum {
  private sum = 0;
  private compensation = 0;
  add(v: number): void {
    const t = this.sum + v;
    this.compensation += Math.abs(this.sum) >= Math.abs(v) ? this.sum - t + v : v - t + this.sum;
    this.sum = t;
  }
  get value(): number {
    return this.sum + this.compensation;
  }
}

function magnitudes(relevance: ArrayLike<number>): {a: Float64Array; sum: number; hasNaN: boolean} {
  const a = new Float64Array(relevance.length);
  const sum = new CompensatedSum();
  let hasNaN = false;
  for (let i = 0; i < a.length; i++) {
    const v = Math.abs(relevance[i]);
    if (Number.isNaN(v)) hasNaN = true;
    a[i] = v;
    sum.add(v);
  }
  return {a, sum: sum.value, hasNaN};
}

/**
 * Sparseness: the Gini index of |r| (see the top of the file). The sum is
 * taken over symmetric pairs, sum_{i <= n/2} (n + 1 - 2i) (a_(n+1-i) - a_(i)):
 * the same value, but each term is >= 0, so G >= 0 always and a constant map
 * gives exactly 0 (every difference is exactly 0).
 */
export function sparseness(relevance: ArrayLike<number>): number {
  const n = relevance.length;
  if (n === 0) throw new RangeError("sparseness of an empty map");
  const {a, sum, hasNaN} = magnitudes(relevance);
  if (hasNaN) return NaN;
  if (sum === 0) return 0;
  a.sort();
  const weighted = new CompensatedSum();
  for (let i = 1; 2 * i <= n; i++) weighted.add((n + 1 - 2 * i) * (a[n - i] - a[i - 1]));
  return weighted.value / (n * sum);
}

/** Complexity: the entropy (natural log) of |r| / sum |r| (see the top of the file). */
export function complexity(relevance: ArrayLike<number>): number {
  const n = relevance.length;
  if (n === 0) throw new RangeError("complexity of an empty map");
  const {a, sum, hasNaN} = magnitudes(relevance);
  if (hasNaN) return NaN;
  if (sum === 0) return Math.log(n);
  const h = new CompensatedSum();
  for (let i = 0; i < n; i++) {
    if (a[i] === 0) continue;
    const p = a[i] / sum;
    h.add(-p * Math.log(p));
  }
  return h.value;
}
