// A deletion or insertion curve in words, computed from its numbers: its area
// (AUC) and the step where the score changes fastest. It is the text
// alternative of every curve chart (src/components/deletion-chart.ts), as
// relevance-summary.ts is for heatmaps: a reader who cannot see the chart
// learns what it shows, e.g. "AUC 0.21; the score falls fastest between 10%
// and 20% removed".

export interface CurveSummary {
  /** Trapezoidal area over x = linspace(0, 1, n) (NaN points skipped: a partial curve). */
  auc: number;
  /** The share of pixels removed (or put back) where the fastest change starts and ends, in [0, 1]; NaN with fewer than 2 points. */
  from: number;
  to: number;
  /** The change of the score over that step (negative: it falls). */
  change: number;
  /** One sentence for screen readers. */
  text: string;
}

/** The x of point i of an n-point curve: i / (n - 1). */
export function curveFraction(i: number, n: number): number {
  return n > 1 ? i / (n - 1) : 0;
}

/** Trapezoidal area of the finite points of a curve over [0, 1]. */
export function curveArea(curve: ArrayLike<number>): number {
  const n = curve.length;
  let area = 0;
  for (let i = 0; i + 1 < n; i++) {
    if (Number.isFinite(curve[i]) && Number.isFinite(curve[i + 1])) area += ((curve[i] + curve[i + 1]) / 2) * (curveFraction(i + 1, n) - curveFraction(i, n));
  }
  return area;
}

const percent = (x: number) => `${Math.round(100 * x)}%`;

/**
 * Summarizes a curve of the probability of the class at n evenly spaced
 * shares of pixels removed (deletion: the score falls) or put back
 * (insertion: it rises). `auc` defaults to the curve's trapezoidal area
 * (pass the library's to quote exactly the number the chart shows).
 */
export function summarizeCurve(curve: ArrayLike<number>, {auc = curveArea(curve), metric = "deletion"}: {auc?: number; metric?: "deletion" | "insertion"} = {}): CurveSummary {
  const n = curve.length;
  const removed = metric === "insertion" ? "put back" : "removed";
  const wanted = metric === "insertion" ? 1 : -1; // the direction the curve is expected to go
  let best = -1;
  let bestChange = 0;
  for (let i = 0; i + 1 < n; i++) {
    const change = curve[i + 1] - curve[i];
    if (!Number.isFinite(change)) continue;
    if (best < 0 || change * wanted > bestChange * wanted) {
      best = i;
      bestChange = change;
    }
  }
  const aucText = Number.isFinite(auc) ? `AUC ${auc.toFixed(2)}` : "AUC not known yet";
  if (best < 0) return {auc, from: NaN, to: NaN, change: NaN, text: `${aucText}; too few points to say where the score changes.`};
  const from = curveFraction(best, n);
  const to = curveFraction(best + 1, n);
  const verb = bestChange < 0 ? "falls" : bestChange > 0 ? "rises" : "changes";
  const where = bestChange === 0 ? "the score does not change" : `the score ${verb} fastest between ${percent(from)} and ${percent(to)} ${removed} (by ${Math.abs(bestChange).toFixed(2)})`;
  return {auc, from, to, change: bestChange, text: `${aucText}; ${where}.`};
}
