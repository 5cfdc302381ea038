// The numbers behind a figure drawn from fixed data (the build's statistics,
// not a live result): the rows the chart or table draws, flattened into
// columns, as CSV (one line per row, so a spreadsheet gets the table the
// figure shows) and as a JSON record with what produced them (the
// statistics' settings, model and provenance). The page's toolbar
// (src/components/static-take-home.ts) downloads them. Pure: no DOM.
import {csvField} from "./figure-csv.js";

export const STATIC_FIGURE_FORMAT = "explanation-methods-live/static-figure";

/** A row's cell: numbers, text, booleans (null where missing or not finite). */
export type Cell = number | string | boolean | null;
export type FlatRow = Record<string, Cell>;

/** The figure's data: rows (objects), or named arrays of equal length (one row per index). */
export type FigureData = readonly object[] | Readonly<Record<string, ArrayLike<unknown>>>;

function cellOf(value: unknown): Cell {
  if (typeof value === "number") return Number.isFinite(value) ? value : null;
  if (typeof value === "string" || typeof value === "boolean") return value;
  if (value === null || value === undefined) return null;
  return JSON.stringify(value);
}

/** One row's columns: nested objects become "means.grad"-style columns (two levels deep). */
function flatten(row: object, prefix = "", depth = 0, out: FlatRow = {}): FlatRow {
  for (const [key, value] of Object.entries(row)) {
    const name = prefix ? `${prefix}.${key}` : key;
    if (value && typeof value === "object" && !Array.isArray(value) && !ArrayBuffer.isView(value) && depth < 2) flatten(value, name, depth + 1, out);
    else out[name] = cellOf(value);
  }
  return out;
}

/** The data as flat rows. */
export function figureRows(data: FigureData): FlatRow[] {
  if (Array.isArray(data)) return (data as object[]).map((row) => flatten(row));
  const columns = Object.entries(data as Record<string, ArrayLike<unknown>>);
  const length = Math.max(0, ...columns.map(([, values]) => values.length));
  return Array.from({length}, (_, i) => Object.fromEntries(columns.map(([name, values]) => [name, cellOf(values[i])])));
}

/** Every column of the rows, in the order they first appear. */
export function rowColumns(rows: FlatRow[]): string[] {
  const columns = new Set<string>();
  for (const row of rows) for (const key of Object.keys(row)) columns.add(key);
  return [...columns];
}

/** The rows as CSV: a header, then one line per row (lines end with \n). */
export function rowsToCsv(rows: FlatRow[]): string {
  const columns = rowColumns(rows);
  const lines = [columns.map(csvField).join(",")];
  for (const row of rows) lines.push(columns.map((c) => csvField(row[c])).join(","));
  return lines.join("\n") + "\n";
}

export interface StaticFigureRecord {
  format: typeof STATIC_FIGURE_FORMAT;
  figure: string;
  page: string;
  link: string;
  caption: string;
  /** The settings the numbers were computed with (the statistics' settings). */
  settings: Record<string, unknown>;
  /** The model that computed them ({file, sha256} of the statistics). */
  model: Record<string, unknown> | null;
  /** Where the numbers come from (the statistics' provenance, images). */
  source: Record<string, unknown> | null;
  columns: string[];
  rows: FlatRow[];
}

export function buildStaticRecord(input: Omit<StaticFigureRecord, "format" | "columns" | "rows"> & {data: FigureData}): StaticFigureRecord {
  const {data, ...rest} = input;
  const rows = figureRows(data);
  return {format: STATIC_FIGURE_FORMAT, ...rest, columns: rowColumns(rows), rows};
}
