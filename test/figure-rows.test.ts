// The rows behind a figure drawn from fixed numbers (src/lib/figure-rows.ts):
// nested objects become columns, named arrays become rows, missing and
// non-finite values are empty, and the CSV reads back to the same table.
import {describe, expect, it} from "vitest";
import {buildStaticRecord, figureRows, rowColumns, rowsToCsv, STATIC_FIGURE_FORMAT} from "../src/lib/figure-rows.js";
import {parseCsv} from "../src/lib/figure-csv.js";

describe("figure rows", () => {
  it("flattens nested objects into columns, in the order they first appear", () => {
    const rows = figureRows([{class: "tench", means: {grad: 0.1, occlusion: NaN}, best: "grad"}, {class: "church, 2", means: {grad: 0.2}, extra: true}]);
    expect(rows[0]).toEqual({class: "tench", "means.grad": 0.1, "means.occlusion": null, best: "grad"});
    expect(rowColumns(rows)).toEqual(["class", "means.grad", "means.occlusion", "best", "extra"]);
  });

  it("makes one row per index of named arrays", () => {
    expect(figureRows({x: [1, 2, 3], y: Float64Array.from([4, 5])})).toEqual([{x: 1, y: 4}, {x: 2, y: 5}, {x: 3, y: null}]);
  });

  it("writes CSV with a header and one line per row, quoted where needed", () => {
    const rows = figureRows([{name: 'a "quoted", name', value: 0.1 + 0.2}, {name: "b", value: Infinity}]);
    const parsed = parseCsv(rowsToCsv(rows));
    expect(parsed).toEqual([["name", "value"], ['a "quoted", name', String(0.1 + 0.2)], ["b", ""]]);
  });

  it("builds a record with its rows, columns and origin", () => {
    const record = buildStaticRecord({figure: "f", page: "/p", link: "/p#x", caption: "c", settings: {deletionSteps: 10}, model: {file: "m.pth", sha256: "ab"}, source: null, data: [{a: 1}]});
    expect(record).toMatchObject({format: STATIC_FIGURE_FORMAT, columns: ["a"], rows: [{a: 1}], settings: {deletionSteps: 10}});
  });
});
