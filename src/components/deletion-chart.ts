// Deletion and insertion curves with Observable Plot: the probability of the
// explained class as more and more of the most relevant pixels are removed
// (deletion) or put back (insertion), one line per map, its area (AUC) in the
// legend. Each method keeps its colour, dash pattern and symbol on every
// chart (series-key.ts), and the legend shows all three.
// Test hooks: [data-testid="deletion-chart"] with data-points (points of the
// longest curve), data-series and data-metric (deletion | insertion); each
// legend entry [data-testid="auc"] with data-method and data-auc (full precision).
import * as Plot from "@observablehq/plot";
import {summarizeCurve} from "../lib/curve-summary.js";
import {lineStyle, METHOD_STYLES, seriesKey, seriesStyle} from "./series-key.js";

export interface CurveSeries {
  /** Method key (occlusion, grad, ..., random). */
  key: string;
  label: string;
  colour: string;
  /** Probabilities at x = linspace(0, 1, S). */
  curve: ArrayLike<number>;
  auc: number;
  /** Shade the area under this curve. */
  shade?: boolean;
}

/** Each method's colour (series-key.ts: Okabe & Ito's palette, grey for the random map). */
export const METHOD_COLOURS: Record<string, string> = Object.fromEntries(Object.entries(METHOD_STYLES).map(([k, s]) => [k, s.colour]));
export const METHOD_SYMBOLS: Record<string, string> = Object.fromEntries(Object.entries(METHOD_STYLES).map(([k, s]) => [k, s.symbol]));

export function deletionChart(series: CurveSeries[], {width = 520, height = 260, title, metric = "deletion"}: {width?: number; height?: number; title?: string; metric?: "deletion" | "insertion"} = {}): HTMLElement {
  const done = metric === "insertion" ? "inserted" : "deleted";
  // Points not computed yet (a partial curve) are NaN: no dot, a gap in the line.
  const rows = series.flatMap((s) => Array.from(s.curve, (p, i) => ({key: s.key, label: s.label, x: s.curve.length > 1 ? i / (s.curve.length - 1) : 0, p}))).filter((r) => Number.isFinite(r.p));
  const points = Math.max(0, ...series.map((s) => s.curve.length));
  const colour = {domain: series.map((s) => s.key), range: series.map((s) => s.colour)};
  const marks: Plot.Markish[] = [];
  for (const s of series.filter((s) => s.shade)) {
    marks.push(Plot.areaY(rows.filter((r) => r.key === s.key), {x: "x", y: "p", fill: s.colour, fillOpacity: 0.15}));
  }
  marks.push(
    Plot.ruleY([0]),
    // The method's dash pattern (its colour from the series), so colour is not the only difference.
    ...series.map((s, i) => Plot.line(rows.filter((r) => r.key === s.key), {x: "x", y: "p", ...lineStyle({...seriesStyle(s.key, i), colour: s.colour}), strokeWidth: 2})),
  );
  if (points <= 40) {
    marks.push(Plot.dot(rows, {x: "x", y: "p", stroke: "key", symbol: (d: {key: string}) => METHOD_SYMBOLS[d.key] ?? "circle", r: 3, fill: "white"}));
  }
  marks.push(Plot.tip(rows, Plot.pointer({x: "x", y: "p", title: (d: {label: string; x: number; p: number}) => `${d.label}\n${(100 * d.x).toFixed(0)}% ${done}: p = ${d.p.toFixed(3)}`})));
  const chart = Plot.plot({
    width,
    height,
    marginLeft: 44,
    marginBottom: 38,
    x: {domain: [0, 1], label: `share of pixels ${done} (most relevant first) →`, tickFormat: "%", grid: true},
    y: {domain: [0, 1], label: "↑ probability of the class", grid: true},
    color: colour,
    symbol: {domain: series.map((s) => s.key), range: series.map((s) => METHOD_SYMBOLS[s.key] ?? "circle")},
    marks,
  }) as unknown as HTMLElement;

  const wrap = document.createElement("div");
  wrap.className = "deletion-chart";
  wrap.dataset.testid = "deletion-chart";
  wrap.dataset.points = String(points);
  wrap.dataset.series = String(series.length);
  wrap.dataset.metric = metric;
  if (title) {
    const t = document.createElement("div");
    t.className = "deletion-chart__title";
    t.textContent = title;
    wrap.append(t);
  }
  wrap.append(aucLegend(series), chart, curveWords(series, metric));
  return wrap;
}

/**
 * The curves in words, computed from their numbers (src/lib/curve-summary.ts):
 * the chart's text alternative, shown under it for every reader.
 * Test hook: [data-testid="curve-summary"].
 */
function curveWords(series: CurveSeries[], metric: "deletion" | "insertion"): HTMLElement {
  const words = document.createElement("p");
  words.className = "figure-note deletion-chart__words";
  words.dataset.testid = "curve-summary";
  words.textContent = series.map((s) => `${s.label}: ${summarizeCurve(s.curve, {auc: s.auc, metric}).text}`).join(" ");
  return words;
}

/** The legend: a swatch per curve (colour, dash, symbol) with its label and "AUC 0.123". */
export function aucLegend(series: CurveSeries[]): HTMLElement {
  return seriesKey(
    series.map((s, i) => {
      const value = document.createElement("strong");
      // A curve still being computed (a partial result) has no area yet.
      value.textContent = Number.isFinite(s.auc) ? s.auc.toFixed(3) : "…";
      return {key: s.key, label: `${s.label}: AUC `, style: {...seriesStyle(s.key, i), colour: s.colour}, extra: [value], attributes: {"data-testid": "auc", "data-method": s.key, "data-auc": String(s.auc)}};
    }),
  );
}
