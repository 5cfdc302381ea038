// The colour key of a heatmap: a ramp of the colour map with its ticks and a
// line that says in words what the ends mean ("blue: against the class ·
// white: 0 · red: for the class", "dark: low relevance · bright: high
// relevance"), so the key is readable without telling colours apart.
//
// Both functions take only the map and whether it is signed, and draw
// nothing else: heatmap.ts's `legend` wraps colourKey to follow the reader's
// display settings, and colourKeyCanvas draws the same key on a canvas (for
// an image that must carry its own key, such as a downloaded figure).
// Test hook: [data-testid="colour-key"] with data-map and data-signed; its
// words in [data-testid="colour-key-words"].
import * as Plot from "@observablehq/plot";
import {COLOUR_MAP_INFO, cssColourAt, type ColourMapName} from "./colour-maps.js";

export interface ColourKeyOptions {
  /** The title above the ramp (e.g. "relevance (normalized)"). */
  label?: string;
  /** Values at the ends of the ramp (default [-1, 1] signed, [0, 1] otherwise). */
  domain?: [number, number];
  /** Width of the ramp in CSS pixels (default 240). */
  width?: number;
  tickFormat?: string | ((x: number) => string);
  /** What a sequential map shows, in its words (default "relevance"). */
  quantity?: string;
}

/** The key's words: what each end (and 0, for a signed map) means. */
export function colourKeyWords(map: ColourMapName, signed: boolean, quantity = "relevance"): string {
  const {low, high} = COLOUR_MAP_INFO[map];
  return signed ? `${low}: against the class · white: 0 · ${high}: for the class` : `${low}: low ${quantity} · ${high}: high ${quantity}`;
}

/** The key as DOM: Plot's ramp legend coloured by colourAt, then the words. */
export function colourKey(map: ColourMapName, signed: boolean, {label, domain, width = 240, tickFormat, quantity}: ColourKeyOptions = {}): HTMLElement {
  const key = document.createElement("div");
  key.className = "colour-key";
  key.dataset.testid = "colour-key";
  key.dataset.map = map;
  key.dataset.signed = String(signed);
  const ramp = Plot.legend({
    color: {type: "linear", domain: domain ?? (signed ? [-1, 1] : [0, 1]), interpolate: (t: number) => cssColourAt(map, t), label, width, ticks: 5, tickFormat, marginLeft: 12, marginRight: 12},
  } as unknown as Plot.LegendOptions) as HTMLElement;
  ramp.classList.add("heatmap-legend");
  const words = document.createElement("p");
  words.className = "colour-key__words";
  words.dataset.testid = "colour-key-words";
  words.textContent = colourKeyWords(map, signed, quantity);
  key.append(ramp, words);
  return key;
}

/**
 * The same key drawn on a canvas (`scale` device pixels per CSS pixel, shown
 * `width` CSS pixels wide): the label, the ramp, the values at its ends and
 * the words (one line, or one line per part where they do not fit), black on
 * white.
 */
export function colourKeyCanvas(map: ColourMapName, signed: boolean, {label, domain, width = 240, tickFormat, quantity}: ColourKeyOptions = {}, scale = 2): HTMLCanvasElement {
  const words = colourKeyWords(map, signed, quantity);
  const [lo, hi] = domain ?? (signed ? [-1, 1] : [0, 1]);
  const format = typeof tickFormat === "function" ? tickFormat : (x: number) => String(+x.toPrecision(3)).replace("-", "−");
  const canvas = document.createElement("canvas");
  const font = "10px sans-serif";
  const measure = canvas.getContext("2d")!;
  measure.font = font;
  const lines = measure.measureText(words).width <= width ? [words] : words.split(" · ");
  const top = label ? 18 : 2;
  const height = top + 27 + 13 * lines.length;
  canvas.width = Math.ceil(width * scale);
  canvas.height = Math.ceil(height * scale);
  canvas.style.width = `${width}px`;
  canvas.style.height = `${height}px`;
  canvas.setAttribute("role", "img");
  canvas.setAttribute("aria-label", `Colour key${label ? ` of ${label}` : ""}: ${words}`);
  const ctx = canvas.getContext("2d")!;
  ctx.scale(scale, scale);
  ctx.fillStyle = "white";
  ctx.fillRect(0, 0, width, height);
  ctx.fillStyle = "black";
  ctx.font = font;
  ctx.textBaseline = "top";
  if (label) ctx.fillText(label, 0, 2, width);
  for (let x = 0; x < width; x++) {
    ctx.fillStyle = cssColourAt(map, x / Math.max(1, width - 1));
    ctx.fillRect(x, top, 1, 10);
  }
  ctx.fillStyle = "black";
  ctx.fillText(format(lo), 0, top + 13);
  ctx.textAlign = "right";
  ctx.fillText(format(hi), width, top + 13);
  ctx.textAlign = "left";
  lines.forEach((line, i) => ctx.fillText(line, 0, top + 27 + 13 * i, width));
  return canvas;
}
