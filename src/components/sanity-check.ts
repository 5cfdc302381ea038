// Plumbing of the sanity-check chapter (cascading model randomization, see
// src/lib/randomization.ts): the models of the stages, the maps computed so
// far with their rank correlations, and the figures (maps of one stage, the
// Spearman-versus-stage chart, the table of numbers).
//
// - The stages' models live in the compute worker (src/compute/stage-models.ts,
//   `lib.StageModels` in a compute function's scope).
// - SanityResults caches every map by (photo, stage, method), so returning to
//   a stage or filling the chart recomputes nothing, and tells listeners (the
//   chart, the table) when a map arrives.
//
// Test hooks: [data-testid="sanity-map"] panels with data-method, data-stage,
// data-ready, data-ms (time of the map), data-spearman (|r|, full precision, "NaN" if undefined) and
// data-spearman-signed; [data-testid="spearman-chart"] (data-points: the
// points drawn); [data-testid="spearman-table"] cells td[data-method][data-stage].
// Components never import the bundle (only its types).
import * as Plot from "@observablehq/plot";
import type * as Runtime from "./page-runtime.js";
import {METHOD_COLOURS, METHOD_SYMBOLS} from "./deletion-chart.js";
import {lineStyle, METHOD_STYLES, seriesKey} from "./series-key.js";
import {crossTable, headerCell} from "./cross-table.js";
import {overlayCanvas, panel, photoCanvas} from "./heatmap.js";
import {formatMs} from "./live.js";

type RuntimeModule = typeof Runtime;
export type MethodKey = Runtime.MethodName;
/** The stages of the model that computes (rt.randomizationStages of its blocks): 11 for a ResNet-18, 19 for a ResNet-50. */
type Stages = readonly Runtime.RandomizationStage[];

/** Gradient methods first (< 1 s each on wasm), then the slow ones (IG ~16 s, occlusion ~9 s). */
export const FAST_METHODS: MethodKey[] = ["grad", "grad_x_input", "grad_cam"];
export const SLOW_METHODS: MethodKey[] = ["integrated_gradients", "occlusion"];
export const SANITY_METHODS: MethodKey[] = [...FAST_METHODS, ...SLOW_METHODS];

export interface StageMap {
  relevance: Float32Array;
  /** The stage model's logits for the photo (its own prediction may differ from the target). */
  logits: Float32Array;
  target: number;
  ms: number;
}

export interface Correlation {
  /** Spearman of |original| and |this map| (Adebayo et al.'s choice); NaN if a map is constant. */
  abs: number;
  /** Spearman of the signed maps. */
  signed: number;
}

type Listener = () => void;

export class SanityResults {
  private readonly maps = new Map<string, StageMap>();
  private readonly correlations = new Map<string, Correlation>();
  private readonly listeners = new Set<Listener>();

  /** `correlate(original, map)`: the page's rank correlations of two maps. */
  constructor(private readonly correlate: (original: Float32Array, map: Float32Array) => Correlation) {}

  private key(id: string, stage: number, method: MethodKey): string {
    return `${id}|${stage}|${method}`;
  }

  get(id: string, stage: number, method: MethodKey): StageMap | undefined {
    return this.maps.get(this.key(id, stage, method));
  }

  set(id: string, stage: number, method: MethodKey, map: StageMap): void {
    this.maps.set(this.key(id, stage, method), map);
    for (const listener of this.listeners) listener();
  }

  /** The rank correlation of a stage's map with stage 0's, if both are computed. */
  correlation(id: string, stage: number, method: MethodKey): Correlation | undefined {
    const key = this.key(id, stage, method);
    const hit = this.correlations.get(key);
    if (hit) return hit;
    const original = this.get(id, 0, method);
    const map = this.get(id, stage, method);
    if (!original || !map) return undefined;
    const result = this.correlate(original.relevance, map.relevance);
    this.correlations.set(key, result);
    return result;
  }

  /** Calls `listener` whenever a map arrives; returns the unsubscribe function. */
  onChange(listener: Listener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
}

/** "0.412", or "n/a" when the correlation is undefined (a constant map). */
export function formatRho(rho: number): string {
  return Number.isNaN(rho) ? "n/a" : rho.toFixed(3);
}

function pending(text = "…"): HTMLElement {
  const el = document.createElement("div");
  el.className = "sanity-pending";
  el.textContent = text;
  return el;
}

export interface MapsFigureOptions {
  rt: RuntimeModule;
  results: SanityResults;
  stages: Stages;
  id: string;
  stage: number;
  photo: Uint8Array;
  photoLabel: string;
  classLabel: (index: number, probability?: number) => string;
  /** Milliseconds the stage's model took to build (shown in the row's head). */
  buildMs?: number;
}

/**
 * Two rows of maps: the trained model's (stage 0) and the chosen stage's,
 * with the rank correlation under each map of the stage. Methods not
 * computed yet show "…".
 */
export function mapsFigure({rt, results, stages: allStages, id, stage, photo, photoLabel, classLabel, buildMs}: MapsFigureOptions): HTMLElement {
  const root = document.createElement("div");
  root.className = "sanity-maps";
  root.dataset.testid = "sanity-maps";
  root.dataset.stage = String(stage);
  const stages = stage === 0 ? [0] : [0, stage];
  for (const s of stages) {
    const info = allStages[s];
    const head = document.createElement("h3");
    head.className = "sanity-maps__head";
    if (s > 0 && buildMs !== undefined) head.dataset.buildMs = buildMs.toFixed(0);
    const any = SANITY_METHODS.map((m) => results.get(id, s, m)).find(Boolean);
    const what = s === 0 ? "Trained model (stage 0)" : `Stage ${s}: ${s === 1 ? "fc" : `fc … ${info.label}`} re-initialized`;
    head.append(what);
    if (any) {
      const p = rt.softmax(any.logits);
      const predicted = rt.argmax(any.logits);
      const small = document.createElement("small");
      small.textContent = s === 0
        ? ` — the model says ${classLabel(predicted, p[predicted])}; every map below explains this class`
        : ` — this model says ${classLabel(predicted, p[predicted])}; p(${classLabel(any.target)}) = ${(100 * p[any.target]).toFixed(1)}%${buildMs !== undefined ? `; random weights drawn and model built in ${formatMs(buildMs)}` : ""}`;
      head.append(small);
    }
    const row = document.createElement("div");
    row.className = "sanity-maps__row";
    row.append(panel(photoCanvas(photo), "photo", photoLabel));
    for (const m of SANITY_METHODS) {
      const map = results.get(id, s, m);
      const rho = s > 0 ? results.correlation(id, s, m) : undefined;
      const note = document.createElement("span");
      if (map) {
        note.append(formatMs(map.ms));
        if (rho) {
          note.append(document.createElement("br"), "ρ = ");
          const strong = document.createElement("strong");
          strong.textContent = formatRho(rho.abs);
          note.append(strong);
          note.title = `Spearman rank correlation with the trained model's map: ${formatRho(rho.abs)} on |relevance|, ${formatRho(rho.signed)} on signed relevance`;
        }
      }
      const attributes: Record<string, string> = {"data-testid": "sanity-map", "data-method": m, "data-stage": String(s), "data-ready": String(Boolean(map))};
      if (map) attributes["data-ms"] = map.ms.toFixed(0);
      if (rho) {
        attributes["data-spearman"] = String(rho.abs);
        attributes["data-spearman-signed"] = String(rho.signed);
      }
      row.append(panel(map ? overlayCanvas(photo, map.relevance) : pending(), rt.METHODS[m].label, note, attributes));
    }
    root.append(head, row);
  }
  return root;
}

/** Spearman (|r|) versus stage, one line per method, only over the stages computed (gaps stay gaps). */
export function spearmanChart(rt: RuntimeModule, results: SanityResults, id: string, {stages, stage, width = 640, height = 300}: {stages: Stages; stage: number; width?: number; height?: number}): HTMLElement {
  const labels = stages.map((s) => s.label);
  const rows: {method: MethodKey; label: string; stage: number; rho: number}[] = [];
  for (const method of SANITY_METHODS) {
    for (const s of stages) {
      const c = results.correlation(id, s.stage, method);
      // NaN (not computed, or undefined for a constant map) breaks the line: Plot leaves a gap.
      rows.push({method, label: rt.METHODS[method].label, stage: s.stage, rho: c ? c.abs : NaN});
    }
  }
  const drawn = rows.filter((r) => Number.isFinite(r.rho));
  const low = Math.min(0, ...drawn.map((r) => r.rho));
  const chart = Plot.plot({
    width,
    height,
    marginLeft: 48,
    marginBottom: 56,
    x: {domain: [0, labels.length - 1], ticks: labels.length, tickFormat: (d: number) => labels[d] ?? "", tickRotate: -30, label: "layers re-initialized, from the classifier down →", labelOffset: 50},
    y: {domain: [low, 1], label: "↑ Spearman ρ with the trained model's map (|relevance|)", grid: true},
    color: {domain: SANITY_METHODS, range: SANITY_METHODS.map((m) => METHOD_COLOURS[m])},
    symbol: {domain: SANITY_METHODS, range: SANITY_METHODS.map((m) => METHOD_SYMBOLS[m])},
    marks: [
      Plot.ruleY([0]),
      Plot.ruleX([stage], {stroke: "currentColor", strokeOpacity: 0.25, strokeWidth: 8}),
      // Each method's colour and dash pattern (series-key.ts): colour is not the only difference.
      ...SANITY_METHODS.map((m) => Plot.line(rows.filter((r) => r.method === m), {x: "stage", y: "rho", ...lineStyle(METHOD_STYLES[m]), strokeWidth: 2})),
      Plot.dot(drawn, {x: "stage", y: "rho", stroke: "method", symbol: "method", fill: "white", r: 3.5}),
      Plot.tip(drawn, Plot.pointer({x: "stage", y: "rho", title: (d: (typeof rows)[number]) => `${d.label}, stage ${d.stage} (${labels[d.stage]})\nρ = ${d.rho.toFixed(3)}`})),
    ],
  }) as unknown as HTMLElement;
  const wrap = document.createElement("div");
  wrap.className = "spearman-chart";
  wrap.dataset.testid = "spearman-chart";
  wrap.dataset.points = String(drawn.length);
  wrap.append(seriesKey(SANITY_METHODS.map((m) => ({key: m, label: rt.METHODS[m].label, style: METHOD_STYLES[m]}))), chart);
  return wrap;
}

/** Every number behind the chart: rows = methods, columns = stages; "·" = not computed yet. */
export function spearmanTable(rt: RuntimeModule, results: SanityResults, id: string, {stages, stage}: {stages: Stages; stage: number}): HTMLElement {
  const {table, head, body} = crossTable("spearman-table", "spearman-table", "method \\ stage");
  for (const s of stages) {
    const th = headerCell(String(s.stage), s.label);
    if (s.stage === stage) th.className = "spearman-table__current";
    head.append(th);
  }
  for (const m of SANITY_METHODS) {
    const row = body.insertRow();
    row.append(headerCell(rt.METHODS[m].label));
    for (const s of stages) {
      const td = row.insertCell();
      td.dataset.method = m;
      td.dataset.stage = String(s.stage);
      if (s.stage === stage) td.className = "spearman-table__current";
      const c = results.correlation(id, s.stage, m);
      const map = results.get(id, s.stage, m);
      if (c) {
        td.textContent = formatRho(c.abs);
        td.dataset.spearman = String(c.abs);
        td.title = `|r|: ${formatRho(c.abs)}, signed: ${formatRho(c.signed)}; map computed in ${formatMs(map!.ms)}`;
      } else {
        td.textContent = "·";
        td.title = "not computed yet";
      }
    }
  }
  return table;
}

/**
 * The stages and what each re-initializes, one column per stage (a
 * ResNet-152's 53 scroll sideways: the wrapper is focusable, so the keyboard
 * scrolls it too).
 */
export function stagesTable(stages: Stages): HTMLElement {
  const {table, head, body} = crossTable("stages-table", "stages-table", "stage");
  const row = body.insertRow();
  row.append(headerCell("re-initialized up to"));
  for (const s of stages) {
    head.append(headerCell(String(s.stage)));
    row.insertCell().textContent = s.stage === 0 ? "nothing (trained)" : s.stage === stages.length - 1 ? `${s.label}: all` : s.label;
  }
  const wrap = document.createElement("div");
  wrap.className = "stages-table-wrap";
  wrap.tabIndex = 0;
  wrap.setAttribute("role", "region");
  wrap.setAttribute("aria-label", "the stages of the randomization");
  wrap.append(table);
  return wrap;
}
