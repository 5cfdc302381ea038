// "Take it home": a figure's JSON, built as the page builds it
// (buildFigureRecord of src/lib/figure-record.ts, from the result the page's
// compute function returns), read back by `npm run explain -- --from`
// (scripts/explain-from.ts), which recomputes the same map and curve: the
// numbers agree within 1e-6. Small settings keep it quick (the gradient, one
// pass; occlusion S = 3; a deletion curve of 3 images). Also the CSV format,
// the curve in words, base64 and the coarse table of a map.
import {describe, expect, it} from "vitest";
import path from "node:path";
import {setup, PIXELS} from "./helpers/model.js";
import {fixture, SHARED} from "./helpers/fixtures.js";
import {imageFromBytes} from "../src/lib/image.js";
import {readImage224} from "../src/data/node/sources.js";
import {grad} from "../src/lib/gradient.js";
import {occlusion} from "../src/lib/occlusion.js";
import {metricCurve} from "../src/lib/insertion.js";
import {buildFigureRecord, checkFigureRecord, fromBase64, toBase64, type FigurePhoto, type FigureRecord} from "../src/lib/figure-record.js";
import {coarseMap, CSV_HEADER, parseCsv, recordToCsv} from "../src/lib/figure-csv.js";
import {summarizeCurve} from "../src/lib/curve-summary.js";
import {recomputeFigure, recordPixels} from "../scripts/explain-from.js";

const IMAGES = path.join(SHARED, "imagenette2", "val");
const FILE = "ILSVRC2012_val_00009111.JPEG"; // a gallery photo (tench), the first fixture image
const MODEL = {architecture: "resnet18", classCount: 10, sha256: "0".repeat(64), file: "resnet18-imagenette.pth", origin: "site" as const};
const CLASSES = ["tench", "English springer", "cassette player", "chain saw", "church", "French horn", "garbage truck", "gas pump", "golf ball", "parachute"];

const galleryPhoto = (id: string): FigurePhoto => ({id, file: id, wnid: "n01440764", className: "tench", uploaded: false});

/** A record as the page makes it, through JSON text and back, as a download would travel. */
function pageRecord(figure: string, params: Record<string, unknown>, result: unknown, photo: (id: string) => FigurePhoto | null = galleryPhoto): FigureRecord {
  const record = buildFigureRecord({figure, page: "/pages/test", link: "http://127.0.0.1/pages/test#image=x", caption: `${figure}: test`, params, result, model: MODEL, photo, className: (i) => CLASSES[i]});
  return checkFigureRecord(JSON.parse(JSON.stringify(record)));
}

describe("a downloaded figure recomputes from its JSON", () => {
  it("gradient norm of a gallery photo: the same map within 1e-6", async () => {
    const {model} = await setup();
    const image = imageFromBytes(await readImage224(path.join(IMAGES, "n01440764", FILE)));
    const result = await grad(model, image, {}); // the page's explainByGradient
    image.dispose();
    const record = pageRecord("gradient-norm", {id: FILE, target: "predicted"}, result);
    expect(record.reproduce).toMatchObject({method: "grad", steps: null, target: result.target, map: "relevance"});
    expect(record.omitted.some((o) => o.startsWith("gradient"))).toBe(true); // 224 x 224 x 3: not a map
    expect(record.explainedClass).toEqual({index: result.target, name: CLASSES[result.target]});
    const again = await recomputeFigure(record, model, await recordPixels(record, IMAGES, readImage224));
    expect(again.agrees).toBe(true);
    expect(again.differences[0].maxDifference).toBeLessThanOrEqual(1e-6);
  });

  it("occlusion S = 3 and its deletion curve (the deletion chapter's figure), the reader's photo stored in the file", async () => {
    const {model} = await setup();
    const bytes = (fixture("images").data as Uint8Array).slice(PIXELS * 3, 2 * PIXELS * 3);
    const id = "upload-0123abcd";
    const photo = (wanted: string): FigurePhoto | null => (wanted === id ? {id, file: null, wnid: null, className: "your photo", uploaded: true, pixels: toBase64(bytes)} : null);
    // The page's scoreMethod: the map, then its curve, then the random map's (left out of the reproduction).
    const stored = await recordPixels(pageRecord("gradient-norm", {id}, {}, photo), "", readImage224);
    expect(stored).toEqual(bytes);
    const input = imageFromBytes(stored);
    const explanation = await occlusion(model, input, {steps: 3, target: 2});
    const curve = await metricCurve(model, input, explanation.relevance, {steps: 3, target: explanation.target, metric: "deletion", substrate: "black"});
    input.dispose();
    const record = pageRecord("deletion-method", {id, D: 3, method: "occlusion", S: 3, M: 4, seed: 1, metric: "deletion", substrate: "black", target: 2}, {explanation, curve, random: {...curve, curve: new Float32Array([1, 0.5, 0]), auc: 0.5}, steps: 3, cached: false}, photo);
    expect(record.reproduce).toEqual({method: "occlusion", steps: 3, target: 2, map: "explanation.relevance", curve: {name: "curve", metric: "deletion", substrate: "black", steps: 3}});
    expect(record.maps.map((m) => [m.name, m.height])).toEqual([["explanation.relevance", 224], ["explanation.grid", 3]]);
    expect(record.curves.map((c) => c.name)).toEqual(["curve", "random"]);
    const again = await recomputeFigure(record, model, await recordPixels(record, IMAGES, readImage224));
    expect(again.differences.map((d) => d.name)).toEqual(["explanation.relevance", "curve", "curve auc"]);
    for (const d of again.differences) expect(d.maxDifference, d.name).toBeLessThanOrEqual(1e-6);
    expect(again.agrees).toBe(true);
  });

  it("a figure that is not one method's map says there is nothing to recompute", async () => {
    const {model} = await setup();
    const record = pageRecord("deletion-random", {id: FILE, D: 3}, {relevance: new Float32Array(224 * 224), curve: {steps: 3, curve: new Float32Array([0.9, 0.4, 0.1]), auc: 0.45, target: 0}});
    expect(record.reproduce).toBeNull();
    await expect(recomputeFigure(record, model, new Uint8Array(224 * 224 * 3))).rejects.toThrow(/nothing to recompute/);
  });
});

describe("the CSV download", () => {
  const record = pageRecord("occlusion-map", {id: FILE, S: 2, target: "a, \"quoted\" value"}, {
    logits: new Float32Array([1.5, -2, 0, 0, 0, 0, 0, 0, 0, 0.25]),
    predicted: 0,
    target: 0,
    grid: new Float32Array([0.5, -0.25, 0, 1]),
    steps: 2,
    relevance: Float32Array.from({length: 224 * 224}, (_, p) => (p % 224) / 223),
    curve: {steps: 3, curve: new Float32Array([0.9, 0.4, 0.1]), auc: 0.45, target: 0, metric: "deletion", substrate: "black"},
  });
  const rows = parseCsv(recordToCsv(record));
  const of = (kind: string, name?: string) => rows.filter((r) => r[0] === kind && (name === undefined || r[1] === name));

  it("has one header and six columns on every row", () => {
    expect(rows[0]).toEqual([...CSV_HEADER]);
    for (const row of rows) expect(row).toHaveLength(6);
  });

  it("holds the settings, the photo, the class and the model", () => {
    expect(of("setting", "S")[0][5]).toBe("2");
    expect(of("setting", "target")[0][5]).toBe('a, "quoted" value');
    expect(of("photo", "id")[0][5]).toBe(FILE);
    expect(of("class", "explained")[0][5]).toBe("0 tench");
    expect(Object.fromEntries(of("model").map((r) => [r[1], r[5]]))).toEqual({architecture: "resnet18", classCount: "10", sha256: MODEL.sha256, file: MODEL.file, origin: "site"});
  });

  it("holds every map value by row and column, the curve by step and fraction, and its AUC", () => {
    const map = of("map", "relevance");
    expect(map).toHaveLength(224 * 224);
    const at = (i: number, j: number) => Number(map.find((r) => r[2] === String(i) && r[3] === String(j))![5]);
    expect(at(5, 223)).toBe(record.maps.find((m) => m.name === "relevance")!.values[5 * 224 + 223]);
    expect(Math.fround(at(100, 0))).toBe(0);
    expect(of("map", "grid").map((r) => Number(r[5]))).toEqual([0.5, -0.25, 0, 1]);
    expect(of("curve", "curve").map((r) => [Number(r[2]), Number(r[4]), Number(r[5])])).toEqual([[0, 0, Math.fround(0.9)], [1, 0.5, Math.fround(0.4)], [2, 1, Math.fround(0.1)]]);
    expect(Number(of("auc", "curve")[0][5])).toBe(0.45);
    expect(of("array", "logits").map((r) => Number(r[5]))).toEqual(Array.from(new Float32Array([1.5, -2, 0, 0, 0, 0, 0, 0, 0, 0.25])));
  });
});

describe("curves in words", () => {
  it("names the AUC and where a deletion curve falls fastest", () => {
    const s = summarizeCurve([0.9, 0.85, 0.3, 0.2, 0.1, 0.1], {auc: 0.2134});
    expect(s.from).toBeCloseTo(0.2);
    expect(s.to).toBeCloseTo(0.4);
    expect(s.text).toBe("AUC 0.21; the score falls fastest between 20% and 40% removed (by 0.55).");
  });

  it("an insertion curve rises; its default AUC is the trapezoid; NaN points (partial curves) are skipped", () => {
    const s = summarizeCurve([0, 0.1, 0.9, NaN], {metric: "insertion"});
    expect(s.text).toMatch(/^AUC 0\.18; the score rises fastest between 33% and 67% put back/);
    expect(summarizeCurve([0.5]).text).toMatch(/too few points/);
  });
});

describe("helpers", () => {
  it("base64 round-trips any length", () => {
    for (const n of [0, 1, 2, 3, 4, 5, 300]) {
      const bytes = Uint8Array.from({length: n}, (_, i) => (i * 37) % 256);
      expect(fromBase64(toBase64(bytes))).toEqual(bytes);
    }
    expect(toBase64(new TextEncoder().encode("Man"))).toBe("TWFu");
    expect(toBase64(new TextEncoder().encode("Ma"))).toBe("TWE=");
  });

  it("coarseMap: 14 x 14 block means of a 224 x 224 map; a small grid as it is", () => {
    const values = Float32Array.from({length: 224 * 224}, (_, p) => Math.floor(p / 224));
    const {rows, rowRanges} = coarseMap(values, 224, 224);
    expect(rows).toHaveLength(14);
    expect(rowRanges[1]).toEqual([16, 32]);
    expect(rows[1][0]).toBeCloseTo(23.5);
    expect(coarseMap([1, 2, 3, 4], 2, 2).rows).toEqual([[1, 2], [3, 4]]);
  });
});
