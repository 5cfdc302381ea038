// Unit tests of the plain-TypeScript parts of the chapter pages: the view
// state in the URL hash (src/components/view-state.ts) and the seeded random
// smooth relevance map of the deletion demo (src/lib/random-map.ts).
import {describe, expect, it} from "vitest";
import {sanitizeDisplay} from "../src/components/display-options.js";
import {targetOption} from "../src/components/target-picker.js";
import {DEFAULT_STATE, formatHash, nearestValid, parseHash, RANGES} from "../src/components/view-state.js";
import {mulberry32, randomGrid, randomSmoothMap} from "../src/lib/random-map.js";
import {resizeMapArray} from "../src/lib/image.js";

describe("view state in the URL hash", () => {
  it("reads the keys it knows, URL-decoded", () => {
    expect(parseHash("#image=ILSVRC2012_val_00009111.JPEG&S=6&M=40&D=25&method=grad&seed=7&target=3&compare=a.JPEG,b.JPEG")).toEqual({
      image: "ILSVRC2012_val_00009111.JPEG",
      S: 6,
      M: 40,
      D: 25,
      method: "grad",
      seed: 7,
      target: 3,
      compare: ["a.JPEG", "b.JPEG"],
    });
  });

  it("clamps numbers to the sliders' ranges and drops invalid values", () => {
    expect(parseHash("#S=1000&M=1&D=abc&method=nope&image=../x")).toEqual({S: RANGES.S[1], M: RANGES.M[0]});
    expect(parseHash("#S=4.6")).toEqual({S: 5});
    expect(parseHash("#compare=")).toEqual({compare: []});
  });

  it("leaves a plain anchor (table of contents) alone", () => {
    expect(parseHash("#how-to-read-it")).toEqual({});
    expect(parseHash("")).toEqual({});
  });

  it("writes the keys a page uses, in a fixed order, and reads them back", () => {
    const state = {...DEFAULT_STATE, image: "ILSVRC2012_val_00009111.JPEG", S: 8, compare: ["x.JPEG", "y.JPEG"]};
    const hash = formatHash(state, ["S", "image", "compare"]);
    expect(hash).toBe("image=ILSVRC2012_val_00009111.JPEG&compare=x.JPEG,y.JPEG&S=8");
    expect(parseHash(`#${hash}`)).toEqual({image: state.image, compare: state.compare, S: 8});
  });

  it("has the handout's settings as defaults", () => {
    expect(DEFAULT_STATE).toMatchObject({S: 6, M: 20, D: 10, seed: 1, target: -1});
    expect(DEFAULT_STATE).toMatchObject({metric: "deletion", substrate: "black", baseline: "black", sign: "signed", colormap: "magma", diverging: "RdBu", opacity: 85, clip: 100, stage: 0});
  });

  it("reads the options beyond the handout, dropping unknown choices and clamping numbers", () => {
    expect(parseHash("#metric=insertion&substrate=blur&baseline=gaussian&noise=20&samples=5&stage=3&sign=absolute&colormap=cividis&diverging=PuOr&opacity=40&clip=99")).toEqual({
      metric: "insertion", substrate: "blur", baseline: "gaussian", noise: 20, samples: 5, stage: 3, sign: "absolute", colormap: "cividis", diverging: "PuOr", opacity: 40, clip: 99,
    });
    expect(parseHash("#metric=area&substrate=red&baseline=&sign=both&colormap=jet&diverging=rainbow&noise=-5&samples=0&stage=99&opacity=250&clip=12&target=-2")).toEqual({
      noise: RANGES.noise[0], samples: RANGES.samples[0], stage: RANGES.stage[1], opacity: 100, clip: RANGES.clip[0],
    });
    expect(parseHash("#M=256")).toEqual({M: 256});
    // Any class of any head (a reader's model may have 1000): the class picker keeps the model's classes.
    expect(parseHash("#target=420")).toEqual({target: 420});
    expect(parseHash("#target=1.5")).toEqual({});
  });
});

describe("odd values typed by readers", () => {
  it("a number typed into a slider's box becomes the nearest valid value", () => {
    expect(nearestValid(0, 2, 32, 1)).toBe(2);
    expect(nearestValid(-3, 2, 32, 1)).toBe(2);
    expect(nearestValid(2.5, 2, 32, 1)).toBe(3);
    expect(nearestValid(2.4, 2, 32, 1)).toBe(2);
    expect(nearestValid(1e9, 2, 32, 1)).toBe(32);
    expect(nearestValid(Infinity, 2, 32, 1)).toBe(32);
    expect(nearestValid(NaN, 2, 32, 1)).toBeUndefined();
    expect(nearestValid(0.33, 0, 1, 0.05)).toBe(0.35);
    expect(nearestValid(99.9, 90, 100, 0.5)).toBe(100);
    expect(nearestValid(7, 0, 10, 3)).toBe(6); // 0, 3, 6, 9: 7 -> 6
    expect(nearestValid(9.8, 0, 10, 3)).toBe(9); // 12 would exceed the maximum
  });

  it("display settings are clamped and completed", () => {
    expect(sanitizeDisplay({})).toEqual({sign: "signed", colormap: "magma", diverging: "RdBu", opacity: 0.85, clip: 100});
    expect(sanitizeDisplay({sign: "absolute", colormap: "greys", diverging: "PuOr", opacity: 7, clip: -1})).toEqual({sign: "absolute", colormap: "greys", diverging: "PuOr", opacity: 1, clip: RANGES.clip[0]});
    expect(sanitizeDisplay({sign: "x", colormap: "jet", diverging: "jet", opacity: "a", clip: NaN})).toEqual({sign: "signed", colormap: "magma", diverging: "RdBu", opacity: 0.85, clip: 100});
    expect(sanitizeDisplay({colormap: "cividis"}).colormap).toBe("cividis");
  });

  it("the explained class: -1 (or anything invalid) means the predicted class", () => {
    expect(targetOption(-1)).toBeUndefined();
    expect(targetOption(3)).toBe(3);
    expect(targetOption(2.5)).toBeUndefined();
    expect(targetOption(NaN)).toBeUndefined();
  });
});

describe("random smooth relevance map", () => {
  it("is reproducible for a seed and differs between seeds", () => {
    expect(Array.from(randomGrid(3))).toEqual(Array.from(randomGrid(3)));
    expect(Array.from(randomGrid(3))).not.toEqual(Array.from(randomGrid(4)));
    const next = mulberry32(1);
    const values = Array.from({length: 1000}, next);
    expect(Math.min(...values)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...values)).toBeLessThan(1);
    expect(values.reduce((a, b) => a + b, 0) / values.length).toBeCloseTo(0.5, 1);
  });

  it("is a 7x7 grid upsampled bilinearly to 224x224 and rescaled to [0, 1]", () => {
    const map = randomSmoothMap(5, resizeMapArray);
    expect(map.length).toBe(224 * 224);
    expect(Math.min(...map)).toBe(0);
    expect(Math.max(...map)).toBeCloseTo(1, 6);
    // The same as resizing the grid and normalizing by hand.
    const grid = randomGrid(5);
    const resized = resizeMapArray(grid, 7, 7, 224, 224);
    const lo = Math.min(...resized), hi = Math.max(...resized);
    for (const p of [0, 1234, 25000, 50175]) expect(map[p]).toBeCloseTo((resized[p] - lo) / (hi - lo), 6);
    // Smooth: neighbouring pixels differ by at most one 32-pixel cell's slope.
    let step = 0;
    for (let y = 0; y < 224; y++) for (let x = 1; x < 224; x++) step = Math.max(step, Math.abs(map[y * 224 + x] - map[y * 224 + x - 1]));
    expect(step).toBeLessThan(1 / 16);
  });
});

describe("quantileAbs (the heatmaps' clipping)", () => {
  // The sort it replaced: the k-th |value| of the sorted copy, NaN last.
  const bySorting = (values: ArrayLike<number>, q: number, stride = 1, offset = 0) => {
    const a = Float32Array.from({length: Math.floor((values.length - offset + stride - 1) / stride)}, (_, i) => Math.abs(values[offset + i * stride])).sort();
    return a[Math.min(a.length - 1, Math.max(0, Math.round(q * (a.length - 1))))] ?? 0;
  };

  it("equals sorting for every quantile, with ties, strides and NaN", async () => {
    const {quantileAbs} = await import("../src/components/heatmap.js");
    const random = mulberry32(11);
    const cases: Float32Array[] = [
      Float32Array.from({length: 1001}, () => random() * 2 - 1),
      Float32Array.from({length: 500}, () => Math.round(random() * 6) - 3), // many ties
      Float32Array.from({length: 300}, (_, i) => (i % 7 === 0 ? NaN : random())),
      Float32Array.from({length: 64}, (_, i) => (i < 60 ? NaN : i)),
      Float32Array.of(5),
      Float32Array.from({length: 100}, (_, i) => i), // sorted already
      Float32Array.from({length: 100}, (_, i) => 100 - i),
    ];
    for (const values of cases) {
      for (const q of [0, 0.01, 0.25, 0.5, 0.9, 0.99, 0.995, 1]) {
        expect(quantileAbs(values, q)).toEqual(bySorting(values, q));
        expect(quantileAbs(values, q, 3, 1)).toEqual(bySorting(values, q, 3, 1));
      }
    }
    expect(quantileAbs(new Float32Array(0), 0.5)).toBe(0);
  });
});
