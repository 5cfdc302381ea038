// The colour tables heatmaps paint with (src/components/colour-maps.ts):
// the published values at the ends and the middle, cividis's lightness
// rising monotonically, and the words the colour keys print.
import {describe, expect, it} from "vitest";
import {CIVIDIS, colourAt, colourTable, cssColourAt, DIVERGING_MAPS, PUOR_11, RDBU_11, SEQUENTIAL_MAPS, textColourOn} from "../src/components/colour-maps.js";
import {colourKeyWords} from "../src/components/colour-key.js";
import {COLORMAP_KEYS, DIVERGING_KEYS} from "../src/components/view-state.js";
import {METHOD_STYLES, seriesStyle} from "../src/components/series-key.js";

const hex = (rgb: number[]) => `#${rgb.map((c) => c.toString(16).padStart(2, "0")).join("")}`;

/** CIE L* (D65) of sRGB in [0, 1]. */
function lightness([r, g, b]: readonly number[]): number {
  const lin = (c: number) => (c <= 0.04045 ? c / 12.92 : Math.pow((c + 0.055) / 1.055, 2.4));
  const y = 0.2126729 * lin(r) + 0.7151522 * lin(g) + 0.072175 * lin(b);
  return y > 216 / 24389 ? 116 * Math.cbrt(y) - 16 : (24389 / 27) * y;
}

describe("colour maps", () => {
  it("cividis is the published table: 256 entries, its ends and middle as published", () => {
    expect(CIVIDIS).toHaveLength(256);
    expect(CIVIDIS[0]).toEqual([0, 0.135112, 0.304751]);
    expect(CIVIDIS[127]).toEqual([0.485141, 0.482451, 0.470384]);
    expect(CIVIDIS[128]).toEqual([0.488697, 0.485318, 0.471008]);
    expect(CIVIDIS[255]).toEqual([0.995737, 0.909344, 0.217772]);
    expect(colourAt("cividis", 0)).toEqual([0, 34, 78]);
    expect(colourAt("cividis", 1)).toEqual([254, 232, 56]);
    for (const rgb of CIVIDIS) for (const c of rgb) expect(c >= 0 && c <= 1).toBe(true);
  });

  it("cividis's lightness rises monotonically (so does the painted table)", () => {
    const L = CIVIDIS.map(lightness);
    for (let i = 1; i < L.length; i++) expect(L[i]).toBeGreaterThan(L[i - 1]);
    const table = colourTable("cividis");
    const painted = Array.from({length: 256}, (_, i) => lightness([table[3 * i] / 255, table[3 * i + 1] / 255, table[3 * i + 2] / 255]));
    // Rounding to 8 bits may lower L* by a hair (at most 0.02) between neighbours: no visible step back.
    for (let i = 1; i < painted.length; i++) expect(painted[i]).toBeGreaterThan(painted[i - 1] - 0.05);
    expect(L[0]).toBeLessThan(20);
    expect(L[255]).toBeGreaterThan(85);
  });

  it("PuOr and RdBu: ColorBrewer's 11 classes exactly at t = k/10, white at 0, purple/blue negative, orange/red positive", () => {
    expect(PUOR_11[0]).toBe("#2d004b");
    expect(PUOR_11[5]).toBe("#f7f7f7");
    expect(PUOR_11[10]).toBe("#7f3b08");
    expect(RDBU_11[0]).toBe("#053061");
    expect(RDBU_11[10]).toBe("#67001f");
    for (const [map, table] of [["PuOr", PUOR_11], ["RdBu", RDBU_11]] as const) {
      for (let k = 0; k <= 10; k++) expect(hex(colourAt(map, k / 10))).toBe(table[k]);
      expect(hex(colourAt(map, 0.5))).toBe("#f7f7f7");
      // Out of range clamps; NaN is the middle.
      expect(colourAt(map, -3)).toEqual(colourAt(map, 0));
      expect(colourAt(map, 7)).toEqual(colourAt(map, 1));
      expect(hex(colourAt(map, NaN))).toBe("#f7f7f7");
    }
  });

  it("magma, viridis and greys are Plot's schemes; every table has 256 entries at t = i/255", () => {
    expect(hex(colourAt("magma", 0))).toBe("#000004");
    expect(hex(colourAt("viridis", 0))).toBe("#440154");
    expect(hex(colourAt("viridis", 1))).toBe("#fde725");
    expect(lightness(colourAt("greys", 0).map((c) => c / 255))).toBeGreaterThan(lightness(colourAt("greys", 1).map((c) => c / 255)));
    for (const map of [...SEQUENTIAL_MAPS, ...DIVERGING_MAPS]) {
      const table = colourTable(map);
      expect(table).toHaveLength(768);
      expect(Array.from(table.slice(0, 3))).toEqual(colourAt(map, 0));
      expect(Array.from(table.slice(765))).toEqual(colourAt(map, 1));
      expect(cssColourAt(map, 0.25)).toBe(`rgb(${colourAt(map, 0.25).join(", ")})`);
    }
  });

  it("the view's keys name exactly the maps of colour-maps.ts", () => {
    expect([...COLORMAP_KEYS]).toEqual([...SEQUENTIAL_MAPS]);
    expect([...DIVERGING_KEYS]).toEqual([...DIVERGING_MAPS]);
  });

  it("text on a cell is black or white, whichever contrasts more", () => {
    expect(textColourOn([247, 247, 247])).toBe("black");
    expect(textColourOn(colourAt("PuOr", 0))).toBe("white");
    expect(textColourOn(colourAt("cividis", 1))).toBe("black");
    expect(textColourOn(colourAt("greys", 1))).toBe("white");
  });

  it("colour keys say in words what the ends mean", () => {
    expect(colourKeyWords("RdBu", true)).toBe("blue: against the class · white: 0 · red: for the class");
    expect(colourKeyWords("PuOr", true)).toBe("purple: against the class · white: 0 · orange: for the class");
    expect(colourKeyWords("cividis", false)).toBe("dark: low relevance · bright: high relevance");
    expect(colourKeyWords("greys", false)).toBe("light: low relevance · dark: high relevance");
    expect(colourKeyWords("magma", false, "|gradient|")).toBe("dark: low |gradient| · bright: high |gradient|");
  });

  it("every method (and the random map) has its own colour, dash pattern and symbol; other series cycle through distinct ones", () => {
    const styles = Object.values(METHOD_STYLES);
    expect(Object.keys(METHOD_STYLES)).toEqual(["occlusion", "grad", "grad_x_input", "integrated_gradients", "grad_cam", "random"]);
    for (const part of ["colour", "dash", "symbol"] as const) expect(new Set(styles.map((s) => s[part])).size).toBe(styles.length);
    const cycle = [0, 1, 2, 3, 4, 5].map((i) => seriesStyle("a baseline", i));
    expect(new Set(cycle.map((s) => s.dash)).size).toBe(6);
    expect(seriesStyle("grad", 3)).toBe(METHOD_STYLES.grad);
  });
});
