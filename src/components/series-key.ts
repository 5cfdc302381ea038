// How a series (a method's curve, a baseline's points) looks in every chart,
// so that colour is never the only thing that tells series apart: each method
// has a colour, a stroke dash pattern and a dot symbol, the same on every
// page, and the keys draw the dash and the symbol as well as the colour.
//
// - METHOD_STYLES: the five methods and the random map (Okabe & Ito's
//   colour-blind-safe palette, grey for the random map).
// - seriesStyle(key, i): a method's style, or the i-th style of a cycle for
//   other series (the baselines of integrated gradients).
// - seriesKey(entries): a legend list, each entry a swatch (the line with its
//   dash, the symbol) and its label.
// Test hooks: each key entry li.series-key__entry with data-series and
// data-dash ("none" for a solid line).

export interface SeriesStyle {
  colour: string;
  /** SVG stroke-dasharray; "none" for a solid line. */
  dash: string;
  /** Plot's dot symbol. */
  symbol: "circle" | "square" | "diamond" | "triangle" | "cross" | "times" | "star" | "wye";
}

/** The same colour, dash and symbol means the same method on every page. */
export const METHOD_STYLES: Record<string, SeriesStyle> = {
  occlusion: {colour: "#E69F00", dash: "none", symbol: "circle"},
  grad: {colour: "#56B4E9", dash: "2,3", symbol: "square"},
  grad_x_input: {colour: "#009E73", dash: "8,3", symbol: "diamond"},
  integrated_gradients: {colour: "#CC79A7", dash: "10,3,2,3", symbol: "triangle"},
  grad_cam: {colour: "#D55E00", dash: "14,3,2,3,2,3", symbol: "cross"},
  random: {colour: "#777777", dash: "1,4", symbol: "times"},
};

/** For series that are not methods: distinct in colour (Okabe & Ito), dash and symbol. */
const CYCLE: SeriesStyle[] = [
  {colour: "#0072B2", dash: "none", symbol: "circle"},
  {colour: "#D55E00", dash: "8,3", symbol: "square"},
  {colour: "#009E73", dash: "2,3", symbol: "diamond"},
  {colour: "#CC79A7", dash: "10,3,2,3", symbol: "triangle"},
  {colour: "#E69F00", dash: "14,3,2,3,2,3", symbol: "times"},
  {colour: "#56B4E9", dash: "5,5", symbol: "star"},
];

/** A method's style, else the `index`-th of the cycle (wrapping). */
export function seriesStyle(key: string, index = 0): SeriesStyle {
  return METHOD_STYLES[key] ?? CYCLE[((index % CYCLE.length) + CYCLE.length) % CYCLE.length];
}

/** Plot's line options for a style (a solid line gets no dash array). */
export function lineStyle(style: SeriesStyle): {stroke: string; strokeDasharray?: string} {
  return style.dash === "none" ? {stroke: style.colour} : {stroke: style.colour, strokeDasharray: style.dash};
}

const SVG = "http://www.w3.org/2000/svg";

/**
 * A small drawing of a series: a stretch of its line (colour and dash) with
 * its symbol in the middle, or (`line` false) the symbol alone, filled, as
 * dots of that series are drawn. Decorative: the label says which series it is.
 */
export function seriesSwatch(style: SeriesStyle, {width = 34, symbol = true, line: drawLine = true}: {width?: number; symbol?: boolean; line?: boolean} = {}): SVGSVGElement {
  if (!drawLine) width = 12;
  const svg = document.createElementNS(SVG, "svg");
  svg.setAttribute("width", String(width));
  svg.setAttribute("height", "12");
  svg.setAttribute("viewBox", `0 0 ${width} 12`);
  svg.setAttribute("aria-hidden", "true");
  svg.classList.add("series-swatch");
  const line = document.createElementNS(SVG, "line");
  for (const [k, v] of Object.entries({x1: "0", y1: "6", x2: String(width), y2: "6", stroke: style.colour, "stroke-width": "2.5", "stroke-dasharray": style.dash})) line.setAttribute(k, v);
  if (drawLine) svg.append(line);
  if (symbol || !drawLine) {
    const mark = document.createElementNS(SVG, "path");
    mark.setAttribute("d", SYMBOL_PATHS[style.symbol] ?? SYMBOL_PATHS.circle);
    mark.setAttribute("transform", `translate(${width / 2},6)`);
    mark.setAttribute("fill", drawLine ? "white" : style.colour);
    mark.setAttribute("stroke", style.colour);
    mark.setAttribute("stroke-width", "1.5");
    svg.append(mark);
  }
  return svg;
}

/** Symbols of radius ~3.5 around (0, 0), drawn like Plot's. */
const SYMBOL_PATHS: Record<string, string> = {
  circle: "M3.5,0A3.5,3.5,0,1,1,-3.5,0A3.5,3.5,0,1,1,3.5,0",
  square: "M-3,-3h6v6h-6Z",
  diamond: "M0,-4L4,0L0,4L-4,0Z",
  triangle: "M0,-4L3.5,3L-3.5,3Z",
  cross: "M-4,-1.3h2.7v-2.7h2.6v2.7h2.7v2.6h-2.7v2.7h-2.6v-2.7h-2.7Z",
  times: "M-3,-3L3,3M3,-3L-3,3",
  star: "M0,-4L1,-1.2L4,-1.2L1.6,0.6L2.5,3.6L0,1.8L-2.5,3.6L-1.6,0.6L-4,-1.2L-1,-1.2Z",
  wye: "M0,-4V0M0,0L3.5,2M0,0L-3.5,2",
};

export interface KeyEntry {
  /** The series' key (a method name, a baseline): data-series. */
  key: string;
  label: string | Node;
  style: SeriesStyle;
  /** Appended after the label (e.g. "AUC 0.123"). */
  extra?: (string | Node)[];
  /** More attributes of the entry (test hooks). */
  attributes?: Record<string, string>;
}

/** A legend: one entry per series, its swatch (colour, dash, symbol) and label. */
export function seriesKey(entries: KeyEntry[], {className = "auc-legend", symbols = true, lines = true}: {className?: string; symbols?: boolean; lines?: boolean} = {}): HTMLUListElement {
  const list = document.createElement("ul");
  list.className = `${className} series-key`;
  for (const {key, label, style, extra = [], attributes = {}} of entries) {
    const item = document.createElement("li");
    item.className = "series-key__entry";
    for (const [k, v] of Object.entries(attributes)) item.setAttribute(k, v);
    item.dataset.series = key;
    item.dataset.dash = style.dash;
    item.append(seriesSwatch(style, {symbol: symbols, line: lines}), label, ...extra);
    list.append(item);
  }
  return list;
}
