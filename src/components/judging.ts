// The figures of "Judging explanations": MoRF and LeRF curves with the area
// between them, faithfulness-correlation scatter plots, and the method x
// metric table with each metric's ranking and the Kendall's tau between the
// metrics' rankings. The numbers come from the compute worker (the page's
// compute functions); the ranks and taus from the library (ranking.ts).
//
// JudgedMetrics collects the metrics' values per photo and settings as the
// figures compute them, and tells the table when one arrives.
// Test hooks: [data-testid="metric-table"] (td[data-metric][data-method] with
// data-value and data-rank), [data-testid="tau-matrix"] (data-taus: JSON of
// the matrix, metric order in data-metrics), [data-testid="morf-lerf"]
// panels with data-method, data-morf, data-lerf, data-abpc.
import * as Plot from "@observablehq/plot";
import type * as Runtime from "./page-runtime.js";
import {METHOD_COLOURS} from "./deletion-chart.js";
import {crossTable, headerCell} from "./cross-table.js";

type RuntimeModule = typeof Runtime;
type MetricName = Runtime.EvaluationMetricName;

/** The frame of one chart of the small multiples (a method's curves, its faithfulness scatter). */
const SMALL_MULTIPLE = {width: 220, height: 170, marginBottom: 32};

type Listener = () => void;

/** The metrics' values of one photo (and class, and settings), by metric and method. */
export class JudgedMetrics {
  private readonly byKey = new Map<string, Partial<Record<MetricName, Record<string, number>>>>();
  private readonly listeners = new Set<Listener>();

  /** Records `values` (method -> value) of `metric` for the photo and settings `key`. */
  set(key: string, metric: MetricName, values: Record<string, number>): void {
    const entry = this.byKey.get(key) ?? {};
    entry[metric] = {...values};
    this.byKey.set(key, entry);
    for (const listener of this.listeners) listener();
  }

  get(key: string): Partial<Record<MetricName, Record<string, number>>> {
    return this.byKey.get(key) ?? {};
  }

  onChange(listener: Listener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
}

export interface CurvePair {
  method: string;
  label: string;
  morf: {curve: ArrayLike<number>; auc: number};
  lerf: {curve: ArrayLike<number>; auc: number};
}

/** One small chart per method: MoRF (solid) and LeRF (dashed), the area between them shaded. */
export function morfLerfCharts(pairs: CurvePair[], {metricLabel = "probability of the class"}: {metricLabel?: string} = {}): HTMLElement {
  const wrap = document.createElement("div");
  wrap.className = "judge-curves";
  for (const pair of pairs) {
    const n = pair.morf.curve.length;
    const rows = Array.from({length: n}, (_, i) => ({x: n > 1 ? i / (n - 1) : 0, morf: pair.morf.curve[i], lerf: pair.lerf.curve[i]})).filter((r) => Number.isFinite(r.morf) || Number.isFinite(r.lerf));
    const both = rows.filter((r) => Number.isFinite(r.morf) && Number.isFinite(r.lerf));
    const colour = METHOD_COLOURS[pair.method] ?? "#555";
    const chart = Plot.plot({
      ...SMALL_MULTIPLE,
      marginLeft: 36,
      x: {domain: [0, 1], tickFormat: "%", ticks: 3, label: "share removed →"},
      y: {domain: [0, 1], ticks: 3, label: `↑ ${metricLabel}`, grid: true},
      marks: [
        Plot.areaY(both, {x: "x", y1: "morf", y2: "lerf", fill: colour, fillOpacity: 0.18}),
        Plot.line(rows.filter((r) => Number.isFinite(r.lerf)), {x: "x", y: "lerf", stroke: colour, strokeWidth: 2, strokeDasharray: "5,3"}),
        Plot.line(rows.filter((r) => Number.isFinite(r.morf)), {x: "x", y: "morf", stroke: colour, strokeWidth: 2}),
        Plot.ruleY([0]),
      ],
    }) as unknown as HTMLElement;
    const abpc = pair.lerf.auc - pair.morf.auc;
    const figure = document.createElement("figure");
    figure.className = "panel judge-curves__panel";
    figure.dataset.testid = "morf-lerf";
    figure.dataset.method = pair.method;
    figure.dataset.morf = String(pair.morf.auc);
    figure.dataset.lerf = String(pair.lerf.auc);
    figure.dataset.abpc = String(abpc);
    const caption = document.createElement("figcaption");
    const label = document.createElement("div");
    label.className = "panel__label";
    label.textContent = pair.label;
    const note = document.createElement("div");
    note.className = "panel__note";
    note.textContent = Number.isFinite(abpc) ? `MoRF ${pair.morf.auc.toFixed(3)} · LeRF ${pair.lerf.auc.toFixed(3)} · ABPC ${abpc.toFixed(3)}` : "computing…";
    caption.append(label, note);
    figure.append(chart, caption);
    wrap.append(figure);
  }
  return wrap;
}

export interface ScatterPanel {
  method: string;
  label: string;
  relevanceSums: ArrayLike<number>;
  drops: ArrayLike<number>;
  correlation: number;
}

/** One scatter per method: relevance summed over each random subset against the probability lost when it is removed. */
export function faithfulnessScatters(panels: ScatterPanel[]): HTMLElement {
  const wrap = document.createElement("div");
  wrap.className = "judge-curves";
  for (const p of panels) {
    const points = Array.from(p.drops, (drop, j) => ({sum: p.relevanceSums[j], drop}));
    const colour = METHOD_COLOURS[p.method] ?? "#555";
    const chart = Plot.plot({
      ...SMALL_MULTIPLE,
      marginLeft: 44,
      x: {label: "Σ relevance on the subset →", ticks: 3},
      y: {label: "↑ probability lost", ticks: 3, grid: true},
      marks: [Plot.dot(points, {x: "sum", y: "drop", r: 2, fill: colour, fillOpacity: 0.7}), Plot.linearRegressionY(points, {x: "sum", y: "drop", stroke: colour})],
    }) as unknown as HTMLElement;
    const figure = document.createElement("figure");
    figure.className = "panel judge-curves__panel";
    figure.dataset.testid = "faithfulness-scatter";
    figure.dataset.method = p.method;
    figure.dataset.correlation = String(p.correlation);
    const caption = document.createElement("figcaption");
    caption.innerHTML = `<div class="panel__label"></div><div class="panel__note"></div>`;
    caption.children[0].textContent = p.label;
    caption.children[1].textContent = `Pearson r = ${Number.isFinite(p.correlation) ? p.correlation.toFixed(3) : "n/a (a constant column)"}`;
    figure.append(chart, caption);
    wrap.append(figure);
  }
  return wrap;
}

/** "0.123", "n/a", "∞". */
export function formatValue(v: number): string {
  if (Number.isNaN(v)) return "n/a";
  if (!Number.isFinite(v)) return v > 0 ? "∞" : "−∞";
  return Math.abs(v) >= 100 ? v.toFixed(1) : v.toFixed(3);
}

/**
 * The method x metric table of the metrics computed so far (values, with each
 * metric's rank of the method in small type; the best per metric in bold),
 * and the Kendall's tau matrix between the metrics' rankings.
 */
export function judgeTable(rt: RuntimeModule, values: Partial<Record<MetricName, Record<string, number>>>, methods: readonly string[]): HTMLElement {
  const wrap = document.createElement("div");
  wrap.className = "judge-table";
  const metrics = rt.EVALUATION_METRIC_NAMES.filter((m) => values[m] && methods.every((method) => method in values[m]!));
  if (!metrics.length) {
    wrap.className = "live-figure__placeholder";
    wrap.textContent = "The table fills in as the metrics above are computed.";
    return wrap;
  }
  const table = rt.methodMetricTable(values, methods, metrics);
  const {table: el, head, body} = crossTable("metric-table", "metric-table", "method \\ metric");
  for (const m of metrics) {
    const info = rt.EVALUATION_METRICS[m];
    const th = headerCell(info.label, `${info.better} is better: ${info.why}`);
    const small = document.createElement("small");
    small.textContent = info.better === "lower" ? " ↓" : " ↑";
    th.append(small);
    head.append(th);
  }
  table.methods.forEach((method, i) => {
    const row = body.insertRow();
    const th = headerCell(rt.METHODS[method as Runtime.MethodName]?.label ?? method);
    th.style.borderLeft = `4px solid ${METHOD_COLOURS[method] ?? "#555"}`;
    row.append(th);
    metrics.forEach((metric, k) => {
      const td = row.insertCell();
      const value = table.values[i][k];
      const rank = table.ranks[i][k];
      td.dataset.metric = metric;
      td.dataset.method = method;
      td.dataset.value = String(value);
      td.dataset.rank = String(rank);
      const strong = document.createElement(rank === 1 ? "strong" : "span");
      strong.textContent = formatValue(value);
      const small = document.createElement("small");
      small.className = "metric-table__rank";
      small.textContent = ` #${Number.isInteger(rank) ? rank : rank.toFixed(1)}`;
      td.append(strong, small);
    });
  });
  wrap.append(el);
  if (metrics.length >= 2) wrap.append(tauMatrix(rt, table.metrics, table.tau));
  return wrap;
}

/** Kendall's tau between every two metrics' rankings, as a small diverging heatmap. */
export function tauMatrix(rt: RuntimeModule, metrics: readonly MetricName[], tau: number[][]): HTMLElement {
  const labels = metrics.map((m) => rt.EVALUATION_METRICS[m].label);
  const cells = metrics.flatMap((a, i) => metrics.map((b, j) => ({a: labels[i], b: labels[j], tau: tau[i][j]})));
  const chart = Plot.plot({
    width: 120 + 46 * metrics.length,
    height: 90 + 30 * metrics.length,
    marginLeft: 170,
    marginBottom: 110,
    padding: 0.04,
    x: {domain: labels, tickRotate: -40, label: null},
    y: {domain: labels, label: null},
    color: {type: "diverging", scheme: "RdBu", domain: [-1, 1], legend: true, label: "Kendall's τ"},
    marks: [
      Plot.cell(cells.filter((c) => Number.isFinite(c.tau)), {x: "a", y: "b", fill: "tau", tip: true, title: (d: {a: string; b: string; tau: number}) => `${d.a} vs ${d.b}: τ = ${d.tau.toFixed(2)}`}),
      Plot.text(cells, {x: "a", y: "b", text: (d: {tau: number}) => (Number.isFinite(d.tau) ? d.tau.toFixed(1) : "n/a"), fontSize: 10, fill: (d: {tau: number}) => (Math.abs(d.tau) > 0.6 ? "white" : "black")}),
    ],
  }) as unknown as HTMLElement;
  const figure = document.createElement("figure");
  figure.className = "judge-tau";
  figure.dataset.testid = "tau-matrix";
  figure.dataset.metrics = JSON.stringify(metrics);
  figure.dataset.taus = JSON.stringify(tau.map((row) => row.map((v) => (Number.isFinite(v) ? v : null))));
  figure.append(chart);
  return figure;
}
