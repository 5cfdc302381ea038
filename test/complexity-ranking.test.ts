// Sparseness (Gini), complexity (entropy), method rankings and Kendall's tau
// (src/lib/complexity.ts, src/lib/ranking.ts): known answers, an independent
// O(n^2) Gini formula, the degenerate maps, ties and NaN in rankings.
import {describe, expect, it} from "vitest";
import {complexity, sparseness} from "../src/lib/complexity.js";
import {EVALUATION_METRICS, kendallTau, methodMetricTable, rankValues} from "../src/lib/ranking.js";
import {seededRandom} from "../src/lib/statistics.js";

const N = 224 * 224;

describe("sparseness (Gini index of |r|)", () => {
  it("is 0 for a constant map and 1 - 1/n for a one-hot map (n = 224 * 224)", () => {
    expect(sparseness(new Float32Array(N).fill(0.37))).toBe(0);
    expect(sparseness(new Float32Array(N).fill(-2))).toBe(0);
    const oneHot = new Float32Array(N);
    oneHot[12345] = -0.8; // magnitudes: the sign does not matter
    expect(sparseness(oneHot)).toBeCloseTo(1 - 1 / N, 15);
    expect(sparseness([0, 0, 0, 5])).toBe(0.75);
  });

  it("equals the mean-absolute-difference formula sum_ij |a_i - a_j| / (2 n sum a) on random maps", () => {
    const random = seededRandom(1);
    for (const n of [7, 100, 1001]) {
      const map = Float32Array.from({length: n}, () => (random() - 0.3) ** 3);
      const a = Array.from(map, Math.abs);
      let pairs = 0;
      for (const x of a) for (const y of a) pairs += Math.abs(x - y);
      const want = pairs / (2 * n * a.reduce((s, v) => s + v, 0));
      expect(Math.abs(sparseness(map) - want)).toBeLessThanOrEqual(1e-12);
    }
  });

  it("degenerate maps: all-zero counts as uniform (0); NaN gives NaN; scale does not matter", () => {
    expect(sparseness(new Float32Array(N))).toBe(0);
    expect(sparseness([1, NaN, 2])).toBeNaN();
    const random = seededRandom(2);
    const map = Float64Array.from({length: 500}, () => random());
    expect(sparseness(map.map((v) => v * 8))).toBeCloseTo(sparseness(map), 14);
    expect(() => sparseness([])).toThrow(RangeError);
  });
});

describe("complexity (entropy of |r|)", () => {
  it("is ln n for a uniform map and 0 for a one-hot map", () => {
    expect(complexity(new Float32Array(N).fill(0.2))).toBeCloseTo(Math.log(N), 14);
    const signs = Float32Array.from({length: N}, (_, i) => (i % 2 ? 0.5 : -0.5));
    expect(complexity(signs)).toBeCloseTo(Math.log(N), 14);
    const oneHot = new Float32Array(N);
    oneHot[7] = 3;
    expect(complexity(oneHot)).toBe(0);
    expect(complexity([1, 1, 0, 0])).toBeCloseTo(Math.log(2), 15);
    expect(complexity([1, 3])).toBeCloseTo(-(0.25 * Math.log(0.25) + 0.75 * Math.log(0.75)), 15);
  });

  it("degenerate maps: all-zero counts as uniform (ln n); NaN gives NaN", () => {
    expect(complexity(new Float32Array(N))).toBe(Math.log(N));
    expect(complexity([NaN, 1])).toBeNaN();
    expect(() => complexity([])).toThrow(RangeError);
  });
});

describe("rankings", () => {
  it("rank 1 is the best by each metric's direction; ties share their mean rank; NaN ranks last", () => {
    expect(Array.from(rankValues([0.3, 0.1, 0.2], "lower"))).toEqual([3, 1, 2]);
    expect(Array.from(rankValues([0.3, 0.1, 0.2], "higher"))).toEqual([1, 3, 2]);
    expect(Array.from(rankValues([0.5, 0.1, 0.5, 0.9], "higher"))).toEqual([2.5, 4, 2.5, 1]);
    expect(Array.from(rankValues([NaN, 0.1, NaN, 0.2, -1], "higher"))).toEqual([4.5, 2, 4.5, 1, 3]);
    expect(Array.from(rankValues([Infinity, 1, Infinity], "lower"))).toEqual([2.5, 1, 2.5]);
    expect(EVALUATION_METRICS.deletion_auc.better).toBe("lower");
    expect(EVALUATION_METRICS.insertion_auc.better).toBe("higher");
    expect(EVALUATION_METRICS.max_sensitivity.better).toBe("lower");
  });

  it("Kendall's tau: tau-a without ties, tau-b with ties (scipy.stats.kendalltau's values)", () => {
    expect(kendallTau([1, 2, 3, 4, 5], [1, 2, 3, 4, 5])).toBe(1);
    expect(kendallTau([1, 2, 3, 4, 5], [5, 4, 3, 2, 1])).toBe(-1);
    expect(kendallTau([1, 2, 3, 4, 5], [1, 2, 3, 5, 4])).toBeCloseTo(0.8, 15);
    // scipy.stats.kendalltau([1, 2, 2, 3], [1, 2, 3, 4]).statistic = 0.912870929175277 (scipy 1.x, run once)
    expect(kendallTau([1, 2, 2, 3], [1, 2, 3, 4])).toBeCloseTo(0.912870929175277, 15);
    // scipy.stats.kendalltau([1, 1, 2, 3, 3], [2, 1, 1, 3, 3]).statistic = 0.6249999999999999: (6 - 1) / sqrt(8 * 8)
    expect(kendallTau([1, 1, 2, 3, 3], [2, 1, 1, 3, 3])).toBeCloseTo(0.625, 15);
    expect(kendallTau([1, 1, 1], [1, 2, 3])).toBeNaN();
    expect(() => kendallTau([1, 2], [1])).toThrow(RangeError);
  });

  it("the method x metric table: values, ranks per metric and the tau matrix", () => {
    const methods = ["a", "b", "c", "d"];
    const table = methodMetricTable({
      deletion_auc: {a: 0.1, b: 0.2, c: 0.3, d: 0.4},
      insertion_auc: {a: 0.9, b: 0.8, c: 0.7, d: 0.6},
      sparseness: {a: 0.1, b: 0.2, c: 0.3, d: 0.4},
    }, methods);
    expect(table.metrics).toEqual(["deletion_auc", "insertion_auc", "sparseness"]);
    expect(table.values[0]).toEqual([0.1, 0.9, 0.1]);
    expect(table.ranks.map((r) => r[0])).toEqual([1, 2, 3, 4]);
    expect(table.ranks.map((r) => r[1])).toEqual([1, 2, 3, 4]);
    expect(table.ranks.map((r) => r[2])).toEqual([4, 3, 2, 1]);
    expect(table.tau).toEqual([[1, 1, -1], [1, 1, -1], [-1, -1, 1]]);
    expect(() => methodMetricTable({deletion_auc: {a: 1}}, methods)).toThrow(/no value for method b/);
  });
});
