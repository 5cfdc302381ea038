// The handout's published Task 11 table beside this site's dataset-wide
// results: both tables, and how the two rankings of the methods compare
// (pair by pair, and Spearman's correlation of the ranks). The handout's
// numbers are quoted as published; ours come from the page's summary.
import type {MethodName} from "../lib/methods.js";
import {spearman} from "../lib/statistics.js";

/** Task 11 of the handout, as published (mean ± std of the deletion AUC). */
export const HANDOUT_TASK11 = {
  images: 1600,
  split: "train",
  weights: "torchvision's ImageNet ResNet-18",
  deletionSteps: 10,
  results: {
    occlusion: {mean: 0.329, std: 0.227},
    grad: {mean: 0.258, std: 0.232},
    grad_x_input: {mean: 0.22, std: 0.186},
    grad_cam: {mean: 0.307, std: 0.206},
    integrated_gradients: {mean: 0.211, std: 0.185},
  } satisfies Record<MethodName, {mean: number; std: number}>,
} as const;

/** One method's summary on this site (the page computes it from the rows). */
export interface MethodSummary {
  key: MethodName;
  mean: number;
  std: number;
  /** 95% bootstrap interval of the mean. */
  lower: number;
  upper: number;
}

export interface PairComparison {
  /** The method the handout ranks better (lower mean AUC). */
  handoutBetter: MethodName;
  handoutWorse: MethodName;
  /** Does this site rank the pair the same way? */
  agree: boolean;
  /** Do this site's 95% intervals of the two means overlap? */
  oursOverlap: boolean;
}

export interface RankingComparison {
  /** Most faithful (lowest mean AUC) first. */
  handoutOrder: MethodName[];
  ourOrder: MethodName[];
  /** The 10 pairs of methods, in the handout's order. */
  pairs: PairComparison[];
  /** Spearman's correlation of the two rankings (1: the same order). */
  spearman: number;
}

export function compareRankings(ours: readonly MethodSummary[]): RankingComparison {
  const methods = ours.map((m) => m.key);
  const handout = HANDOUT_TASK11.results;
  const byKey = new Map(ours.map((m) => [m.key, m]));
  const handoutOrder = [...methods].sort((a, b) => handout[a].mean - handout[b].mean);
  const ourOrder = [...methods].sort((a, b) => byKey.get(a)!.mean - byKey.get(b)!.mean);
  const pairs: PairComparison[] = [];
  for (let i = 0; i < handoutOrder.length; i++) {
    for (let j = i + 1; j < handoutOrder.length; j++) {
      const better = byKey.get(handoutOrder[i])!;
      const worse = byKey.get(handoutOrder[j])!;
      pairs.push({
        handoutBetter: better.key,
        handoutWorse: worse.key,
        agree: better.mean < worse.mean,
        oursOverlap: better.lower <= worse.upper && worse.lower <= better.upper,
      });
    }
  }
  return {handoutOrder, ourOrder, pairs, spearman: spearman(methods.map((m) => handout[m].mean), methods.map((m) => byKey.get(m)!.mean))};
}

/** The two tables side by side: mean ± std and rank of each method, the handout's and ours. */
export function comparisonTable(ours: readonly MethodSummary[], labels: Record<MethodName, string>, ourImages: number): HTMLTableElement {
  const {handoutOrder, ourOrder} = compareRankings(ours);
  const table = document.createElement("table");
  table.className = "handout-comparison";
  table.dataset.testid = "handout-comparison";
  const head = table.createTHead().insertRow();
  for (const text of ["Method", `Handout (${HANDOUT_TASK11.images.toLocaleString("en-US")} ${HANDOUT_TASK11.split} images)`, "Rank", `Here (${ourImages.toLocaleString("en-US")} validation images)`, "Rank", "Here: 95% CI of the mean"]) {
    const th = document.createElement("th");
    th.textContent = text;
    head.append(th);
  }
  const body = table.createTBody();
  for (const key of handoutOrder) {
    const m = ours.find((o) => o.key === key)!;
    const h = HANDOUT_TASK11.results[key];
    const row = body.insertRow();
    row.dataset.method = key;
    for (const text of [labels[key], `${h.mean.toFixed(3)} ± ${h.std.toFixed(3)}`, String(handoutOrder.indexOf(key) + 1), `${m.mean.toFixed(3)} ± ${m.std.toFixed(3)}`, String(ourOrder.indexOf(key) + 1), `${m.lower.toFixed(3)} – ${m.upper.toFixed(3)}`]) {
      row.insertCell().textContent = text;
    }
  }
  return table;
}

/** Sentences comparing the rankings: the two orders, the pairs that agree, the ones that do not and whether our data can tell. */
export function rankingSentences(ours: readonly MethodSummary[], labels: Record<MethodName, string>): string[] {
  const c = compareRankings(ours);
  const order = (keys: MethodName[]) => keys.map((k) => labels[k]).join(" < ");
  const agreeing = c.pairs.filter((p) => p.agree).length;
  const out = [
    `Most faithful first (lower mean AUC), the handout: ${order(c.handoutOrder)}; here: ${order(c.ourOrder)}.`,
    agreeing === c.pairs.length
      ? `All ${c.pairs.length} pairs of methods are in the same order in both tables (Spearman's correlation of the rankings: ${c.spearman.toFixed(2)}).`
      : `${agreeing} of the ${c.pairs.length} pairs of methods are in the same order in both tables; Spearman's correlation of the two rankings is ${c.spearman.toFixed(2)} (1 would be the same order).`,
  ];
  const swapped = c.pairs.filter((p) => !p.agree);
  if (swapped.length) {
    const name = (p: PairComparison) => `${labels[p.handoutBetter]} vs ${labels[p.handoutWorse]}`;
    const apart = swapped.filter((p) => !p.oursOverlap);
    const overlapping = swapped.filter((p) => p.oursOverlap);
    out.push(
      `In a different order: ${swapped.map(name).join("; ")}. ` +
        (apart.length === 0
          ? `Our 95% intervals of the means overlap for ${swapped.length > 1 ? "each of these pairs" : "this pair"}: with these images we cannot tell ${swapped.length > 1 ? "them" : "the two"} apart, so the swap may be chance.`
          : overlapping.length === 0
            ? `Our 95% intervals of the means do not overlap for ${swapped.length > 1 ? "any of these pairs" : "this pair"}: the reverse order here is unlikely to be an accident of which photos were picked.`
            : `Our 95% intervals overlap for ${overlapping.map(name).join("; ")} (not resolved here), but not for ${apart.map(name).join("; ")}: there the reverse order is unlikely to be chance.`),
    );
  }
  return out;
}
