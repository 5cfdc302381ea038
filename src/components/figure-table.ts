// "Show as table": the numbers behind a figure as real tables with headers
// (take-home.ts toggles them under the figure), built from the figure's
// record (src/lib/figure-record.ts), so they hold exactly what the JSON and
// CSV downloads hold:
// - each curve: share of pixels removed (or put back) against the score,
//   with its AUC and its description in words (src/lib/curve-summary.ts);
// - each map: a coarse summary, the mean of 14 x 14 blocks (16 x 16 pixels
//   of a 224 x 224 map; a smaller grid, such as occlusion's S x S drops,
//   as it is), and the map in words (src/lib/relevance-summary.ts);
// - the other numbers (AUCs, drops, logits) by name.
// Wide tables scroll in a wrapper that joins the tab order (as elsewhere on
// the pages), so nothing makes the page scroll sideways at 200% zoom.
import type {FigureCurve, FigureMap, FigureRecord} from "../lib/figure-record.js";
import {coarseMap} from "../lib/figure-csv.js";
import {summarizeCurve} from "../lib/curve-summary.js";
import {summarizeRelevance} from "../lib/relevance-summary.js";
import {rowColumns, type Cell, type FlatRow} from "../lib/figure-rows.js";

const format = (v: number | null) => (v === null || !Number.isFinite(v) ? "–" : Math.abs(v) >= 1000 || (v !== 0 && Math.abs(v) < 0.001) ? v.toExponential(3) : v.toFixed(4));

function element<K extends keyof HTMLElementTagNameMap>(tag: K, text?: string, attributes: Record<string, string> = {}): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  if (text !== undefined) el.textContent = text;
  for (const [k, v] of Object.entries(attributes)) el.setAttribute(k, v);
  return el;
}

/** A table with a caption, a header row and rows whose first cell is a row header. */
function table(caption: string, headers: string[], rows: {head: string; cells: string[]}[]): HTMLElement {
  const t = element("table", undefined, {class: "take-home-table"});
  t.append(element("caption", caption));
  const head = element("thead");
  const headRow = element("tr");
  headers.forEach((h) => headRow.append(element("th", h, {scope: "col"})));
  head.append(headRow);
  const body = element("tbody");
  for (const row of rows) {
    const tr = element("tr");
    tr.append(element("th", row.head, {scope: "row"}), ...row.cells.map((c) => element("td", c)));
    body.append(tr);
  }
  t.append(head, body);
  // Keyboard users can scroll a wide table: the wrapper is focusable and named.
  const wrap = element("div", undefined, {class: "take-home-table-wrap", tabindex: "0", role: "region", "aria-label": caption});
  wrap.append(t);
  return wrap;
}

/** A curve's table: fraction removed against score. Several curves of the same length share one table. */
function curveTables(curves: FigureCurve[]): HTMLElement[] {
  const groups = new Map<number, FigureCurve[]>();
  for (const c of curves) groups.set(c.scores.length, [...(groups.get(c.scores.length) ?? []), c]);
  return [...groups.values()].map((group) => {
    const removed = group[0].metric === "insertion" ? "put back" : "removed";
    const words = group.map((c) => `${c.name}: ${summarizeCurve(c.scores, {auc: c.auc, metric: c.metric === "insertion" ? "insertion" : "deletion"}).text}`).join(" ");
    const wrap = table(
      `${group[0].metric} curve${group.length > 1 ? "s" : ""}: share of pixels ${removed} against the probability of the class. ${words}`,
      [`share of pixels ${removed}`, ...group.map((c) => `${c.name} (AUC ${format(c.auc)})`)],
      group[0].fractions.map((f, i) => ({head: `${Math.round(100 * f)}%`, cells: group.map((c) => format(c.scores[i]))})),
    );
    return wrap;
  });
}

function mapTable(map: FigureMap): HTMLElement {
  const {rows, rowRanges, columnRanges} = coarseMap(map.values, map.height, map.width);
  const coarse = rowRanges.length < map.height;
  const range = ([a, b]: [number, number]) => (b - a > 1 ? `${a}–${b - 1}` : String(a));
  const words = map.height === map.width && map.height >= 7 ? ` ${summarizeRelevance(map.values, map.height).text}` : "";
  const caption = coarse
    ? `${map.name}: mean of each block of the ${map.height} × ${map.width} map (${rowRanges.length} × ${columnRanges.length} blocks; rows and columns are pixel ranges).${words}`
    : `${map.name}: the ${map.height} × ${map.width} values (row i, column j).${words}`;
  return table(caption, ["row \\ column", ...columnRanges.map(range)], rows.map((cells, i) => ({head: range(rowRanges[i]), cells: cells.map(format)})));
}

function numberTable(record: FigureRecord): HTMLElement | null {
  const rows = [
    ...Object.entries(record.numbers).map(([name, v]) => ({head: name, cells: [format(v)]})),
    ...Object.entries(record.arrays).map(([name, values]) => ({head: name, cells: [values.map(format).join(", ")]})),
  ];
  return rows.length ? table("The figure's other numbers", ["name", "value"], rows) : null;
}

/** The tables of a figure's record (at most `maxMaps` map tables: a long figure lists the rest by name). */
export function recordTables(record: FigureRecord, {maxMaps = 6}: {maxMaps?: number} = {}): HTMLElement {
  const wrap = element("div", undefined, {class: "take-home-tables", "data-testid": "figure-tables"});
  wrap.append(...curveTables(record.curves));
  record.maps.slice(0, maxMaps).forEach((map) => wrap.append(mapTable(map)));
  if (record.maps.length > maxMaps) wrap.append(element("p", `${record.maps.length - maxMaps} more maps are in the CSV and JSON downloads: ${record.maps.slice(maxMaps).map((m) => m.name).join(", ")}.`, {class: "figure-note"}));
  const numbers = numberTable(record);
  if (numbers) wrap.append(numbers);
  if (!wrap.childElementCount) wrap.append(element("p", "This figure shows pictures only (no numbers): the PNG download keeps them.", {class: "figure-note"}));
  return wrap;
}

/** A static figure's rows as one table (its first column as row headers), for "Show as table". */
export function rowsTables(caption: string, rows: FlatRow[]): HTMLElement {
  const wrap = element("div", undefined, {class: "take-home-tables", "data-testid": "figure-tables"});
  const [first, ...rest] = rowColumns(rows);
  const cell = (v: Cell | undefined) => (typeof v === "number" ? format(v) : v === null || v === undefined ? "–" : String(v));
  if (first !== undefined) wrap.append(table(caption, [first, ...rest], rows.map((row) => ({head: cell(row[first]), cells: rest.map((c) => cell(row[c]))}))));
  return wrap;
}
