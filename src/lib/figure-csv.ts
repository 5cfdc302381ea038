// A figure record (figure-record.ts) as one CSV table, for spreadsheets: one
// row per number, in long form, so maps, curves, AUCs and settings share one
// header:
//
//   kind,name,i,j,fraction,value
//   setting,S,,,,6
//   photo,id,,,,ILSVRC2012_val_00009111.JPEG
//   class,explained,,,,0
//   model,sha256,,,,5c1e…
//   number,explanation.predicted,,,,0
//   array,explanation.logits,0,,,3.21
//   map,relevance,0,0,,0.125            (i = row, j = column)
//   curve,curve,0,,0,0.97              (i = step, fraction = share of pixels removed)
//   auc,curve,,,,0.213
//
// Numbers are written in full (JavaScript's shortest round-trip form); text
// is quoted when it holds a comma, a quote or a line break.
import type {FigureRecord} from "./figure-record.js";

export const CSV_HEADER = ["kind", "name", "i", "j", "fraction", "value"] as const;

/** One CSV field: quoted when it must be. */
export function csvField(value: unknown): string {
  if (value === null || value === undefined) return "";
  const text = typeof value === "string" ? value : typeof value === "number" || typeof value === "boolean" ? String(value) : JSON.stringify(value);
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

type Row = [kind: string, name: string, i: number | "", j: number | "", fraction: number | "", value: unknown];

function* rowsOf(record: FigureRecord): Generator<Row> {
  yield ["figure", record.figure, "", "", "", record.caption];
  for (const [key, value] of Object.entries(record.settings)) yield ["setting", key, "", "", "", value];
  if (record.photo) {
    for (const key of ["id", "file", "wnid", "className", "uploaded"] as const) yield ["photo", key, "", "", "", record.photo[key]];
  }
  if (record.explainedClass) yield ["class", "explained", "", "", "", `${record.explainedClass.index} ${record.explainedClass.name}`];
  if (record.predictedClass) yield ["class", "predicted", "", "", "", `${record.predictedClass.index} ${record.predictedClass.name}`];
  if (record.model) for (const [key, value] of Object.entries(record.model)) yield ["model", key, "", "", "", value];
  for (const [name, value] of Object.entries(record.numbers)) yield ["number", name, "", "", "", value];
  for (const [name, values] of Object.entries(record.arrays)) for (let i = 0; i < values.length; i++) yield ["array", name, i, "", "", values[i]];
  for (const curve of record.curves) {
    for (let i = 0; i < curve.scores.length; i++) yield ["curve", curve.name, i, "", curve.fractions[i], curve.scores[i]];
    yield ["auc", curve.name, "", "", "", curve.auc];
  }
  for (const map of record.maps) {
    for (let i = 0; i < map.height; i++) for (let j = 0; j < map.width; j++) yield ["map", map.name, i, j, "", map.values[i * map.width + j]];
  }
}

/** The record as CSV text (a header, then one row per number; lines end with \n). */
export function recordToCsv(record: FigureRecord): string {
  const lines = [CSV_HEADER.join(",")];
  for (const row of rowsOf(record)) lines.push(row.map(csvField).join(","));
  return lines.join("\n") + "\n";
}

/** Parses CSV text written by recordToCsv (or any CSV with quoted fields) into rows of strings. */
export function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = "";
  let quoted = false;
  for (let k = 0; k < text.length; k++) {
    const c = text[k];
    if (quoted) {
      if (c === '"' && text[k + 1] === '"') (field += '"'), k++;
      else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"') quoted = true;
    else if (c === ",") row.push(field), (field = "");
    else if (c === "\n" || c === "\r") {
      if (c === "\r" && text[k + 1] === "\n") k++;
      row.push(field), rows.push(row), (row = []), (field = "");
    } else field += c;
  }
  if (field !== "" || row.length) row.push(field), rows.push(row);
  return rows;
}

/**
 * A coarse summary of a height x width map: the mean of each block of a
 * cells x cells grid (blocks as even as the sides allow; a map with fewer
 * rows or columns than cells keeps its own). What "show as table" lists for
 * a heatmap: 14 x 14 means of 16 x 16 pixels for a 224 x 224 map.
 */
export function coarseMap(values: ArrayLike<number>, height: number, width: number, cells = 14): {rows: number[][]; rowRanges: [number, number][]; columnRanges: [number, number][]} {
  const edges = (side: number) => {
    const n = Math.min(cells, side);
    return Array.from({length: n}, (_, k) => [Math.floor((k * side) / n), Math.floor(((k + 1) * side) / n)] as [number, number]);
  };
  const rowRanges = edges(height);
  const columnRanges = edges(width);
  const rows = rowRanges.map(([r0, r1]) =>
    columnRanges.map(([c0, c1]) => {
      let sum = 0, count = 0;
      for (let i = r0; i < r1; i++) for (let j = c0; j < c1; j++) {
        const v = values[i * width + j];
        if (Number.isFinite(v)) (sum += v), count++;
      }
      return count ? sum / count : NaN;
    }),
  );
  return {rows, rowRanges, columnRanges};
}
