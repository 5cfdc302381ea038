// The heatmaps' text alternative (src/lib/relevance-summary.ts): it must name
// the part of the photo where a map's relevance is, the share the top pixels
// hold, and the map's sign, from the numbers alone.
import {describe, expect, it} from "vitest";
import {regionName, summarizeRelevance} from "../src/lib/relevance-summary.js";

const SIZE = 30;

/** A map that is `value` inside the square [x0, x1) x [y0, y1) (pixels) and `rest` elsewhere. */
function blob(x0: number, x1: number, y0: number, y1: number, value = 1, rest = 0): Float32Array {
  const map = new Float32Array(SIZE * SIZE).fill(rest);
  for (let y = y0; y < y1; y++) for (let x = x0; x < x1; x++) map[y * SIZE + x] = value;
  return map;
}

describe("regionName", () => {
  it("names the nine parts of the photo", () => {
    expect(regionName(0.1, 0.1)).toBe("upper left");
    expect(regionName(0.5, 0.1)).toBe("top centre");
    expect(regionName(0.9, 0.1)).toBe("upper right");
    expect(regionName(0.1, 0.5)).toBe("left side");
    expect(regionName(0.5, 0.5)).toBe("centre");
    expect(regionName(0.9, 0.5)).toBe("right side");
    expect(regionName(0.1, 0.9)).toBe("lower left");
    expect(regionName(0.5, 0.9)).toBe("bottom centre");
    expect(regionName(0.9, 0.9)).toBe("lower right");
  });
});

describe("summarizeRelevance", () => {
  it("finds a blob in the upper left, holding all the relevance, positive", () => {
    const s = summarizeRelevance(blob(2, 8, 1, 7), SIZE);
    expect(s.region).toBe("upper left");
    expect(s.share).toBeCloseTo(1, 6); // 36 pixels of relevance, 45 in the top 5%
    expect(s.sign).toBe("positive");
    expect(s.text).toContain("upper left");
    expect(s.text).toContain("100%");
  });

  it("finds a blob on the right side among faint noise, and the share it holds", () => {
    const map = blob(24, 29, 12, 17, 1, 0.01); // 25 strong pixels, 875 faint ones
    const s = summarizeRelevance(map, SIZE);
    expect(s.region).toBe("right side");
    const total = 25 + 875 * 0.01;
    expect(s.share).toBeCloseTo((25 + 20 * 0.01) / total, 6); // the top 45: the blob and 20 faint pixels
  });

  it("names an object that fills one side by that side, and two spots by both places", () => {
    // A tall band down the left third, its values varying over it like a
    // real map's (the top pixels are spread from top to bottom): its centre
    // of mass is the left side, not a corner.
    const band = new Float32Array(SIZE * SIZE);
    for (let y = 0; y < SIZE; y++) for (let x = 0; x < 9; x++) band[y * SIZE + x] = 1 + ((x * 7 + y * 13) % 10) / 100;
    expect(summarizeRelevance(band, SIZE).region).toBe("left side");
    // Two equal spots, upper left and right side: their centre of mass is in the empty centre.
    const two = blob(1, 6, 1, 6);
    for (let y = 12; y < 17; y++) for (let x = 24; x < 29; x++) two[y * SIZE + x] = 0.9;
    const s = summarizeRelevance(two, SIZE);
    expect(s.region).toBe("upper left and the right side");
    expect(s.text).toContain("concentrates in the upper left and the right side of the photo");
  });

  it("tells a negative map and a mixed one", () => {
    expect(summarizeRelevance(blob(10, 20, 10, 20, -1), SIZE).sign).toBe("negative");
    const mixed = blob(0, 10, 20, 30, 1);
    for (let p = 0; p < 50; p++) mixed[p] = -0.5;
    const s = summarizeRelevance(mixed, SIZE);
    expect(s.sign).toBe("mixed");
    expect(s.negativeShare).toBeCloseTo(25 / 125, 6);
    expect(s.region).toBe("lower left");
    expect(s.text).toContain("20% of the relevance is negative");
  });

  it("says so when the map is empty, and ignores NaN", () => {
    expect(summarizeRelevance(new Float32Array(SIZE * SIZE), SIZE).text).toMatch(/empty/);
    const map = blob(0, 5, 0, 5);
    map[SIZE * SIZE - 1] = NaN;
    expect(summarizeRelevance(map, SIZE).region).toBe("upper left");
  });

  it("refuses a map of the wrong size", () => {
    expect(() => summarizeRelevance(new Float32Array(10), SIZE)).toThrow(/needs 900 values/);
  });
});
