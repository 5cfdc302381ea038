// Dataset-wide agreement between the metrics' rankings (src/lib/metric-agreement.ts):
// the means and their intervals are meanInterval's, directions are applied,
// the tau of the means and the mean per-image tau answer different questions,
// undefined per-image taus are left out and counted, and it is seeded.
import {describe, expect, it} from "vitest";
import {rankingAgreement} from "../src/lib/metric-agreement.js";
import {kendallTau, rankValues} from "../src/lib/ranking.js";
import {meanInterval, seededRandom} from "../src/lib/statistics.js";

const METHODS = ["a", "b", "c", "d", "e"];

/** n images of per-method values: method m's mean is base[m], plus noise of scale `noise`. */
function sample(n: number, base: number[], noise: number, seed: number): Float64Array[] {
  const random = seededRandom(seed);
  return base.map((b) => Float64Array.from({length: n}, () => b + noise * (random() - 0.5)));
}

describe("rankingAgreement", () => {
  it("the means and their intervals are meanInterval's, the ranks follow each metric's direction, the taus those of the ranked means", () => {
    // Deletion: a clear order (a best). Insertion: the same order of true means, but noisy.
    // Complexity: the reverse order (lower is better: e best), sharp.
    const deletion = sample(40, [0.1, 0.2, 0.3, 0.4, 0.5], 0.3, 1);
    const insertion = sample(40, [0.9, 0.8, 0.7, 0.6, 0.5], 1.2, 2);
    const complexity = sample(40, [10.5, 10.4, 10.3, 10.2, 10.1], 0.05, 3);
    const values = [deletion, insertion, complexity];
    const metrics = ["deletion_auc", "insertion_auc", "complexity"] as const;
    const agreement = rankingAgreement(metrics, METHODS, values);
    expect(agreement.n).toBe(40);
    expect(agreement.resamples).toBe(2000);
    values.forEach((metric, k) => metric.forEach((v, m) => expect(agreement.means[k][m]).toEqual(meanInterval(v))));
    // Lower deletion is better: a first; lower complexity is better: e first.
    expect(agreement.ranks[0]).toEqual([1, 2, 3, 4, 5]);
    expect(agreement.ranks[2]).toEqual([5, 4, 3, 2, 1]);
    // The taus are those of the ranked means, computed here by hand.
    const better = ["lower", "higher", "lower"] as const;
    const ranks = values.map((metric, k) => rankValues(metric.map((v) => v.reduce((s, x) => s + x, 0) / v.length), better[k]));
    expect(Array.from(ranks[1])).toEqual(agreement.ranks[1]);
    for (let k = 0; k < 3; k++) for (let l = 0; l < 3; l++) expect(agreement.tauOfMeans[k][l].estimate, `${k} ${l}`).toBeCloseTo(k === l ? 1 : kendallTau(ranks[k], ranks[l]), 12);
    expect(agreement.tauOfMeans[0][0]).toEqual({estimate: 1, lower: 1, upper: 1});
    expect(agreement.tauOfMeans[0][2]).toEqual({estimate: -1, lower: -1, upper: -1}); // two sharp orders, reversed in every resample
    expect(agreement.sameOrder[0][2]).toBe(0);
    // The noisy insertion: its ranking of the means is uncertain, and the interval and the share say so.
    const noisy = agreement.tauOfMeans[0][1];
    expect(noisy.lower).toBeLessThan(noisy.upper);
    expect(noisy.lower).toBeLessThanOrEqual(noisy.estimate);
    expect(noisy.upper).toBeGreaterThanOrEqual(noisy.estimate);
    expect(agreement.sameOrder[0][1]).toBeGreaterThan(0.05);
    expect(agreement.sameOrder[0][1]).toBeLessThan(0.95);
    expect(agreement.sameOrder[1][0]).toBe(agreement.sameOrder[0][1]);
    // Photo by photo the noisy metric agrees far less than its means do.
    expect(agreement.meanImageTau[0][1].upper).toBeLessThan(noisy.lower);
    expect(agreement.meanImageTau[0][1].lower).toBeGreaterThan(0);
    expect(rankingAgreement(metrics, METHODS, values)).toEqual(agreement); // seeded
  });

  it("the tau of the means and the mean per-image tau differ: agreeing means, photos that disagree half the time", () => {
    // Two images. Metric A (lower better) orders a < b < c < d < e on both.
    // Metric B agrees on image 0 and reverses on image 1, by less than its
    // spread on image 0: its means keep A's order.
    const a = METHODS.map((_, m) => Float64Array.of(m + 1, m + 1));
    const b = METHODS.map((_, m) => Float64Array.of(m + 1, 5.5 - m / 10));
    const agreement = rankingAgreement(["deletion_auc", "complexity"], METHODS, [a, b], {resamples: 500});
    expect(agreement.tauOfMeans[0][1].estimate).toBe(1);
    expect(agreement.meanImageTau[0][1].estimate).toBe(0);
    expect(agreement.undefinedImageTau[0][1]).toBe(0);
    // Per image, by hand.
    const rank = (values: number[]) => rankValues(values, "lower");
    expect(kendallTau(rank([1, 2, 3, 4, 5]), rank([5.5, 5.4, 5.3, 5.2, 5.1]))).toBe(-1);
  });

  it("images where a metric ties every method are left out of the mean per-image tau, and counted", () => {
    // Image 2: metric B gives every method the same value (tau undefined there).
    const a = METHODS.map((_, m) => Float64Array.of(m, m, m));
    const b = METHODS.map((_, m) => Float64Array.of(m, -m, 7));
    const agreement = rankingAgreement(["deletion_auc", "sparseness"], METHODS, [a, b], {resamples: 300});
    expect(agreement.undefinedImageTau[0][1]).toBe(1);
    expect(agreement.undefinedImageTau[1][0]).toBe(1);
    // Image 0: deletion (lower) a first; sparseness (higher) e first: tau -1. Image 1: both a first: tau 1.
    expect(agreement.meanImageTau[0][1].estimate).toBe(0);
    expect(Number.isFinite(agreement.meanImageTau[0][1].lower)).toBe(true);
  });

  it("one image: estimates, no intervals; wrong shapes are refused", () => {
    const one = METHODS.map((_, m) => Float64Array.of(m));
    const agreement = rankingAgreement(["deletion_auc", "lerf_auc"], METHODS, [one, one]);
    expect(agreement.resamples).toBe(0);
    expect(agreement.tauOfMeans[0][1].estimate).toBe(-1);
    expect(agreement.tauOfMeans[0][1].lower).toBeNaN();
    expect(agreement.sameOrder[0][1]).toBeNaN();
    expect(() => rankingAgreement(["deletion_auc"], METHODS, [one.slice(1)])).toThrow(/metrics x methods/);
    expect(() => rankingAgreement(["deletion_auc", "lerf_auc"], METHODS, [one, METHODS.map(() => Float64Array.of(1, 2))])).toThrow(/every image/);
  });
});
