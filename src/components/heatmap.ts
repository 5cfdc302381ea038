// Heatmaps on canvas: relevance over the photo, and plain maps (per-channel
// gradients, GradCAM's 7x7 grid). Colours come from colour-maps.ts, the same
// tables the colour keys (colour-key.ts) draw, so a key matches the pixels:
// - signed relevance: a diverging map, ColorBrewer RdBu (positive red,
//   negative blue) or PuOr (positive orange, negative purple), white at 0;
// - magnitudes: "magma" (sequential, perceptually uniform), or the reader's
//   choice of sequential map (viridis, greys, cividis).
// The reader's display options (display-options.ts: signed or absolute,
// colour maps, opacity, percentile clipping) apply to every heatmap and
// legend, which repaint in place when they change.
// Plain DOM; callers pass arrays already read back from tensors.
import {COLOUR_MAP_INFO, colourAt, colourTable, cssColourAt, textColourOn, type ColourMapName} from "./colour-maps.js";
import {colourKey} from "./colour-key.js";
import {displaySettings, followDisplay, type DisplaySettings, type SequentialScheme} from "./display-options.js";
import {paintRgb} from "./image-grid.js";
import {paintWhenDue} from "./paint-queue.js";
import {summarizeRelevance} from "../lib/relevance-summary.js";

export const IMAGE_SIZE = 224;

/** "signed" stands for the reader's diverging map, "magma" (any sequential name) for their sequential map. */
export type SchemeName = "signed" | SequentialScheme;

/** The colour map a scheme is drawn in under the reader's settings. */
export function drawnMap(scheme: SchemeName, display: DisplaySettings): ColourMapName {
  return scheme === "signed" ? display.diverging : display.colormap;
}

function lookup(lut: Uint8ClampedArray, t: number): number {
  // t in [0, 1] -> LUT offset
  const i = Math.max(0, Math.min(255, Math.round((Number.isFinite(t) ? t : 0.5) * 255)));
  return 3 * i;
}

export interface OverlayOptions {
  /** Opacity of the colour where |relevance| reaches the end of the scale (default: the reader's display setting, 0.85). */
  opacity?: number;
  /** Opacity grows like |r|^gamma (default 0.7: faint values stay visible). */
  gamma?: number;
  /** Side of the square image (default 224). */
  size?: number;
  /** What the map explains, for its text alternative (e.g. the class "church"). */
  subject?: string;
}

/**
 * The value of |relevance| that maps to the end of the colour scale: 1 (the
 * map is normalized to [-1, 1]) without clipping, else the `clip` percentile
 * of |relevance| (outliers saturate instead of washing out the rest).
 */
export function clipScale(relevance: ArrayLike<number>, clip: number): number {
  if (!(clip < 100)) return 1;
  const q = quantileAbs(relevance, clip / 100);
  return q > 0 && Number.isFinite(q) ? q : 1;
}

/**
 * The photo (uint8 RGB, HWC), desaturated and lightened so colours stand
 * out, with relevance in [-1, 1] (normalize_max) painted over it: signed
 * (RdBu or PuOr) or absolute (the chosen sequential map), per the reader's display
 * settings; transparent where relevance is 0. NaN paints as 0.
 * Its text alternative says in words where the relevance is, computed from
 * the map (src/lib/relevance-summary.ts).
 * Test hook: data-testid="heatmap".
 */
export function overlayCanvas(photo: Uint8Array, relevance: ArrayLike<number>, {opacity, gamma = 0.7, size = IMAGE_SIZE, subject}: OverlayOptions = {}): HTMLCanvasElement {
  const canvas = document.createElement("canvas");
  canvas.width = canvas.height = size;
  canvas.dataset.testid = "heatmap";
  canvas.classList.add("heatmap");
  canvas.setAttribute("role", "img");
  canvas.setAttribute("aria-label", `Heatmap${subject ? ` explaining “${subject}”` : ""}. ${summarizeRelevance(relevance, size).text}`);
  return followDisplay(canvas, (display) => paintOverlay(canvas, photo, relevance, size, gamma, {...display, opacity: opacity ?? display.opacity}));
}

function paintOverlay(canvas: HTMLCanvasElement, photo: Uint8Array, relevance: ArrayLike<number>, size: number, gamma: number, display: DisplaySettings): void {
  const absolute = display.sign === "absolute";
  const lut = colourTable(absolute ? display.colormap : display.diverging);
  const scale = clipScale(relevance, display.clip);
  const image = new ImageData(size, size);
  const out = image.data;
  for (let p = 0; p < size * size; p++) {
    const r = photo[3 * p], g = photo[3 * p + 1], b = photo[3 * p + 2];
    const grey = 0.299 * r + 0.587 * g + 0.114 * b;
    const raw = Number.isFinite(relevance[p]) ? relevance[p] / scale : 0;
    const v = Math.max(-1, Math.min(1, absolute ? Math.abs(raw) : raw));
    const a = display.opacity * Math.pow(Math.abs(v), gamma);
    const k = lookup(lut, absolute ? v : (v + 1) / 2);
    // Base: 40% colour, 60% grey, lightened by 15%.
    const base = (c: number) => 38 + 0.85 * (0.4 * c + 0.6 * grey);
    out[4 * p] = (1 - a) * base(r) + a * lut[k];
    out[4 * p + 1] = (1 - a) * base(g) + a * lut[k + 1];
    out[4 * p + 2] = (1 - a) * base(b) + a * lut[k + 2];
    out[4 * p + 3] = 255;
  }
  canvas.getContext("2d")!.putImageData(image, 0, 0);
  canvas.dataset.display = `${display.sign},${display.colormap},${display.opacity},${display.clip}`;
  canvas.dataset.map = absolute ? display.colormap : display.diverging;
}

export interface MapOptions {
  scheme?: SchemeName;
  /** Values mapped to the ends of the scheme (default [0, max] for magma, [-max|x|, max|x|] for signed). */
  domain?: [number, number];
  /** Channel stride and offset: read values[p * stride + offset] (e.g. 3 and 1 for the green channel of HWC). */
  stride?: number;
  offset?: number;
  /** Show each value as a sharp block when scaled up (small grids). */
  pixelated?: boolean;
  /** Map |value| instead of the value (magnitudes of signed data). */
  abs?: boolean;
}

/**
 * A height x width map as a canvas in a colour scheme. "magma" stands for
 * the reader's sequential colour map; a "signed" map is drawn as |value| in
 * that map when the reader chose absolute display. Without a `domain`, the
 * reader's percentile clipping applies.
 */
export function mapCanvas(values: ArrayLike<number>, height: number, width: number, {scheme = "magma", domain, stride = 1, offset = 0, pixelated = false, abs = false}: MapOptions = {}): HTMLCanvasElement {
  const canvas = document.createElement("canvas");
  canvas.width = width;
  canvas.height = height;
  canvas.classList.add("heatmap");
  if (pixelated) canvas.classList.add("heatmap--pixelated");
  return followDisplay(canvas, (display) => {
    const absolute = abs || (scheme === "signed" && display.sign === "absolute");
    const signed = scheme === "signed" && !absolute;
    const lut = colourTable(signed ? display.diverging : display.colormap);
    let [lo, hi] = domain ?? defaultDomain(values, signed, stride, offset);
    if (!domain && display.clip < 100) {
      const q = quantileAbs(values, display.clip / 100, stride, offset);
      if (q > 0) [lo, hi] = signed ? [-q, q] : [0, q];
    }
    const span = hi - lo || 1;
    const image = new ImageData(width, height);
    const out = image.data;
    for (let p = 0; p < width * height; p++) {
      const v = values[p * stride + offset];
      const k = lookup(lut, ((absolute ? Math.abs(v) : v) - lo) / span);
      out[4 * p] = lut[k];
      out[4 * p + 1] = lut[k + 1];
      out[4 * p + 2] = lut[k + 2];
      out[4 * p + 3] = 255;
    }
    canvas.getContext("2d")!.putImageData(image, 0, 0);
    canvas.dataset.map = signed ? display.diverging : display.colormap;
  });
}

function defaultDomain(values: ArrayLike<number>, signed: boolean, stride: number, offset: number): [number, number] {
  let max = 0;
  for (let i = offset; i < values.length; i += stride) max = Math.max(max, Math.abs(values[i]));
  return signed ? [-max || -1, max || 1] : [0, max || 1];
}

/** Largest |value| over every `stride`-th element from `offset` (e.g. one channel of HWC). */
export function maxAbs(values: ArrayLike<number>, stride = 1, offset = 0): number {
  let max = 0;
  for (let i = offset; i < values.length; i += stride) max = Math.max(max, Math.abs(values[i]));
  return max;
}

/** The q-quantile (0..1) of |value| over every `stride`-th element from `offset`. */
export function quantileAbs(values: ArrayLike<number>, q: number, stride = 1, offset = 0): number {
  const n = Math.max(0, Math.floor((values.length - offset + stride - 1) / stride));
  if (n === 0) return 0;
  // The k-th smallest |value| as sorting would give it (NaN sorts last), found
  // by selection: sorting 150 528 gradient values took ~40 ms of a figure's drawing.
  const a = new Float32Array(n);
  let finite = 0;
  for (let i = 0; i < n; i++) {
    const v = Math.abs(values[offset + i * stride]);
    if (!Number.isNaN(v)) a[finite++] = v;
  }
  const k = Math.min(n - 1, Math.max(0, Math.round(q * (n - 1))));
  return k < finite ? selectKth(a, k, finite) : NaN;
}

/** The k-th smallest of a[0..n) (Hoare's selection, median of three pivots); reorders a. */
function selectKth(a: Float32Array, k: number, n: number): number {
  let lo = 0;
  let hi = n - 1;
  while (hi > lo) {
    const mid = (lo + hi) >> 1;
    // Median of three: a[lo] <= a[mid] <= a[hi], pivot a[mid].
    if (a[mid] < a[lo]) swap(a, mid, lo);
    if (a[hi] < a[lo]) swap(a, hi, lo);
    if (a[hi] < a[mid]) swap(a, hi, mid);
    const pivot = a[mid];
    let i = lo;
    let j = hi;
    while (i <= j) {
      while (a[i] < pivot) i++;
      while (a[j] > pivot) j--;
      if (i <= j) swap(a, i++, j--);
    }
    if (k <= j) hi = j;
    else if (k >= i) lo = i;
    else return a[k];
  }
  return a[k];
}

function swap(a: Float32Array, i: number, j: number): void {
  const t = a[i];
  a[i] = a[j];
  a[j] = t;
}

/**
 * A colour key (colour-key.ts: the ramp and, in words, what its ends mean)
 * for a scheme over `domain`; it follows the reader's display settings like
 * the heatmaps do ("magma" = the chosen sequential map, "signed" = the chosen
 * diverging map; a "signed" key without a domain describes normalized
 * overlays and turns into |relevance| when the reader shows absolute values).
 * `quantity` names what a sequential key shows ("low |gradient|").
 */
export function legend(scheme: SchemeName, label: string, domain?: [number, number], {width = 240, tickFormat, quantity}: {width?: number; tickFormat?: string | ((x: number) => string); quantity?: string} = {}): HTMLElement {
  const wrap = document.createElement("div");
  wrap.className = "heatmap-legend-wrap";
  return followDisplay(wrap, (display) => {
    let signed = scheme === "signed";
    let text = label;
    let range = domain;
    if (signed && !domain && display.sign === "absolute") {
      signed = false;
      range = [0, 1];
      text = `|${label}|`;
    }
    if (!domain && display.clip < 100) text += ` · clipped at the ${display.clip}th percentile of |r|`;
    const map = signed ? display.diverging : display.colormap;
    wrap.replaceChildren(colourKey(map, signed, {label: text, domain: range, width, tickFormat, quantity}));
  });
}

/**
 * The reader's word for one end of a colour map, kept current: "red" or
 * "orange" for the high (positive) end of the signed map, "bright" or "dark"
 * for the high end of the sequential map. For prose and notes that name
 * colours ("${colourWord("signed", "high")}: the probability falls").
 */
export function colourWord(scheme: SchemeName, end: "low" | "high", {capitalized = false}: {capitalized?: boolean} = {}): HTMLSpanElement {
  const span = document.createElement("span");
  span.className = "colour-word";
  const write = (display: DisplaySettings) => {
    const word = COLOUR_MAP_INFO[drawnMap(scheme, display)][end];
    span.textContent = capitalized ? word[0].toUpperCase() + word.slice(1) : word;
  };
  write(displaySettings());
  return followDisplay(span, write);
}

/** What a Plot chart of a map needs to colour its cells like the heatmaps: the colour scale, and black or white text on a cell of value v. */
export interface ChartColours {
  scale: {type: "linear"; domain: [number, number]; interpolate: (t: number) => string};
  textOn: (v: number) => "black" | "white";
}

/**
 * A Plot chart of map values (a grid of cells) coloured with the reader's
 * colour map for `scheme` over `domain`, redrawn in place when the display
 * settings change. `draw` makes the chart from the colours.
 */
export function mapChart(scheme: SchemeName, domain: [number, number], draw: (colours: ChartColours) => Node): HTMLElement {
  const wrap = document.createElement("div");
  wrap.className = "map-chart";
  wrap.dataset.testid = "map-chart";
  return followDisplay(wrap, (display) => {
    const map = drawnMap(scheme, display);
    const [lo, hi] = domain;
    const t = (v: number) => (v - lo) / (hi - lo || 1);
    wrap.dataset.map = map;
    wrap.replaceChildren(draw({scale: {type: "linear", domain, interpolate: (x) => cssColourAt(map, x)}, textOn: (v) => textColourOn(colourAt(map, t(v)))}));
  });
}

/** The photo alone (uint8 RGB, HWC) as a canvas. */
export function photoCanvas(photo: Uint8Array, size = IMAGE_SIZE): HTMLCanvasElement {
  const canvas = document.createElement("canvas");
  canvas.width = canvas.height = size;
  canvas.classList.add("photo");
  paintWhenDue(canvas, () => paintRgb(canvas, photo));
  return canvas;
}

/** A canvas from float RGB in [0, 1] (HWC), e.g. a thumbnail read back from a tensor; `index` picks one image of a stack. */
export function floatCanvas(values: ArrayLike<number>, size: number, index = 0): HTMLCanvasElement {
  const canvas = document.createElement("canvas");
  canvas.width = canvas.height = size;
  paintWhenDue(canvas, () => {
    const image = new ImageData(size, size);
    const offset = index * size * size * 3;
    for (let p = 0; p < size * size; p++) {
      image.data[4 * p] = 255 * values[offset + 3 * p];
      image.data[4 * p + 1] = 255 * values[offset + 3 * p + 1];
      image.data[4 * p + 2] = 255 * values[offset + 3 * p + 2];
      image.data[4 * p + 3] = 255;
    }
    canvas.getContext("2d")!.putImageData(image, 0, 0);
  });
  return canvas;
}

/**
 * A row of labelled panels (photo, maps, overlays) that wraps on narrow
 * screens. Each panel: a canvas (or any element) and a caption.
 */
export function panelRow(panels: {content: Node; label: string | Node; note?: string | Node; attributes?: Record<string, string>}[], {minWidth = 160, maxWidth = 260}: {minWidth?: number; maxWidth?: number} = {}): HTMLElement {
  const row = document.createElement("div");
  row.className = "panel-row";
  row.style.setProperty("--panel-min", `${minWidth}px`);
  row.style.setProperty("--panel-max", `${maxWidth}px`);
  for (const {content, label, note, attributes} of panels) row.append(panel(content, label, note, attributes));
  return row;
}

/** One labelled panel (a canvas or any element, a label, an optional note) as panelRow lays them out. */
export function panel(content: Node, label: string | Node, note?: string | Node, attributes: Record<string, string> = {}): HTMLElement {
  const figure = document.createElement("figure");
  figure.className = "panel";
  for (const [k, v] of Object.entries(attributes)) figure.setAttribute(k, v);
  const frame = document.createElement("div");
  frame.className = "panel__frame";
  frame.append(content);
  const caption = document.createElement("figcaption");
  const title = document.createElement("div");
  title.className = "panel__label";
  title.append(label);
  caption.append(title);
  if (note !== undefined) {
    const n = document.createElement("div");
    n.className = "panel__note";
    n.append(note);
    caption.append(n);
  }
  figure.append(frame, caption);
  return figure;
}
