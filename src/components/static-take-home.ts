// "Take it home" for figures drawn from fixed numbers (the build's
// statistics on Dataset-wide results): the same toolbar as the live figures
// (take-home.ts), fed with the rows the chart or table draws instead of a
// live result. SVG and PNG of the figure's Plot charts (hidden for a table),
// CSV and JSON of its rows with the statistics' settings, model and
// provenance (src/lib/figure-rows.ts), "Show as table" for a chart, and
// "Copy link". Use: display(staticFigure(Plot.plot(...), {name, caption, data, stats})).
import {attachTakeHome} from "./take-home.js";
import {rowsTables} from "./figure-table.js";
import {buildStaticRecord, rowsToCsv, type FigureData, type StaticFigureRecord} from "../lib/figure-rows.js";

/** The part of a statistics file (deletion-stats.json) that says how its numbers were made. */
export interface StatsOrigin {
  settings?: Record<string, unknown>;
  model?: Record<string, unknown> | null;
  provenance?: unknown;
  images?: unknown;
}

export interface StaticFigureSpec {
  /** The figure's name: data-figure, and the downloads' file names. */
  name: string;
  /** What it shows, in one sentence (the SVG's title, the JSON's caption). */
  caption: string;
  /** The rows the figure draws (or named arrays of equal length). */
  data: FigureData;
  /** The statistics the numbers come from. */
  stats?: StatsOrigin;
  /** The figure is a table already (no "Show as table", no SVG). */
  table?: boolean;
}

function captionOf(record: StaticFigureRecord): string[] {
  const settings = Object.entries(record.settings).map(([k, v]) => `${k} = ${typeof v === "string" ? v : JSON.stringify(v)}`).join(", ");
  const model = record.model ? `${record.model.file ?? "–"}${typeof record.model.sha256 === "string" ? ` (sha256 ${record.model.sha256.slice(0, 16)}…)` : ""}` : "–";
  return [`${record.figure}: ${record.caption}`, `Settings: ${settings || "–"}`, `Model: ${model}`, `${record.rows.length} rows`, `Explanation methods, live: ${record.link}`];
}

/** Wraps `content` (a chart, a table, or several) in a figure with the toolbar under it; returns the figure. */
export function staticFigure(content: Node | Node[], spec: StaticFigureSpec): HTMLElement {
  const figure = document.createElement("figure");
  figure.className = "static-figure";
  figure.dataset.figure = spec.name;
  figure.append(...(Array.isArray(content) ? content : [content]));
  const record = (): StaticFigureRecord =>
    buildStaticRecord({
      figure: spec.name,
      page: location.pathname,
      link: location.href,
      caption: spec.caption,
      settings: spec.stats?.settings ?? {},
      model: spec.stats?.model ?? null,
      source: spec.stats ? {provenance: spec.stats.provenance ?? null, images: spec.stats.images ?? null} : null,
      data: spec.data,
    });
  attachTakeHome({
    name: spec.name,
    element: figure,
    shown: () => ({result: spec.data, params: spec.stats?.settings ?? {}}),
    onShown: () => {},
    model: () => null,
    photo: () => null,
    className: String,
    isTable: spec.table === true,
    files: () => {
      const r = record();
      return {stem: spec.name.replace(/[^A-Za-z0-9._-]+/g, "_"), json: r, csv: () => rowsToCsv(r.rows), caption: captionOf(r), tables: () => rowsTables(spec.caption, r.rows), recomputable: false};
    },
  });
  return figure;
}
