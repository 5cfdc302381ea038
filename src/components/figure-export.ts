// The pictures a figure's toolbar downloads (take-home.ts), drawn from what
// the figure already shows, never recomputed:
// - heatmaps: one PNG of the figure's canvases at full resolution (a
//   224 x 224 cell each; smaller canvases, a 7 x 7 map or a thumbnail, are
//   scaled up without smoothing), its charts below them, a colour key with
//   words and a caption (method, settings, class, photo, model);
// - charts (Observable Plot): one SVG of the figure's charts, and the same
//   as PNG at twice its size.
// The colour key comes from heatmap.ts's colour table and the reader's
// display settings, so it is the one the heatmaps are painted with.
import {colourKeyCanvas} from "./colour-key.js";
import {displaySettings} from "./display-options.js";

/** The side of a map's cell in the PNG, and the space around and between cells. */
export const CELL = 224;
export const GAP = 16;
const FONT = "13px system-ui, sans-serif";
const SVG_NS = "http://www.w3.org/2000/svg";

/** The canvases a figure shows (heatmaps, photos, thumbnails), in reading order. */
export function figureCanvases(body: Element): HTMLCanvasElement[] {
  return [...body.querySelectorAll("canvas")].filter((c) => c.width > 0 && c.height > 0);
}

/** The figure's charts: Plot's SVGs, not its colour legends. */
export function figureCharts(body: Element): SVGSVGElement[] {
  return [...body.querySelectorAll("svg")].filter(
    (svg) => !svg.parentElement?.closest("svg") && !svg.closest(".heatmap-legend-wrap") && [...svg.classList].some((c) => /^plot(-[0-9a-f]+)?$/.test(c)) && (svg.width.baseVal.value || 0) >= 120,
  );
}

/** The label the page gives a canvas (its panel's label), or "". */
function canvasLabel(canvas: HTMLCanvasElement): string {
  const panel = canvas.closest(".panel");
  const label = panel?.querySelector(".panel__label")?.textContent ?? canvas.closest(".thumb")?.querySelector("figcaption, .thumb__label")?.textContent ?? "";
  return label.trim();
}

/** Lines of at most `width` pixels in the canvas's font. */
function wrapText(ctx: CanvasRenderingContext2D, text: string, width: number): string[] {
  const lines: string[] = [];
  let line = "";
  // A word wider than a line (a long address) is cut where it reaches the edge.
  const words = text.split(/\s+/).filter(Boolean).flatMap((word) => {
    const parts: string[] = [];
    let rest = word;
    while (ctx.measureText(rest).width > width && rest.length > 1) {
      let n = rest.length - 1;
      while (n > 1 && ctx.measureText(rest.slice(0, n)).width > width) n--;
      parts.push(rest.slice(0, n));
      rest = rest.slice(n);
    }
    return [...parts, rest];
  });
  for (const word of words) {
    const next = line ? `${line} ${word}` : word;
    if (line && ctx.measureText(next).width > width) {
      lines.push(line);
      line = word;
    } else line = next;
  }
  if (line) lines.push(line);
  return lines;
}

/**
 * Draws the colour key of the heatmaps as the reader sees them now (their
 * colour map, signed or absolute, the same words as on the page) at (x, y),
 * `width` wide; returns its height.
 */
function drawColourKey(ctx: CanvasRenderingContext2D, x: number, y: number, width: number): number {
  const display = displaySettings();
  const signed = display.sign !== "absolute";
  const clip = display.clip < 100 ? `, the scale clipped at the ${display.clip}th percentile of |relevance|` : "";
  const label = `${signed ? "relevance" : "|relevance|"} (normalized)${clip}`;
  const key = colourKeyCanvas(signed ? display.diverging : display.colormap, signed, {label, width}, 2);
  const height = key.height / 2;
  ctx.drawImage(key, x, y, width, height);
  return height;
}

/** An SVG element as a loaded image (for drawing onto a canvas). */
async function svgImage(svgText: string): Promise<HTMLImageElement> {
  const url = URL.createObjectURL(new Blob([svgText], {type: "image/svg+xml"}));
  try {
    const image = new Image();
    image.decoding = "sync";
    await new Promise<void>((resolve, reject) => {
      image.onload = () => resolve();
      image.onerror = () => reject(new Error("the chart could not be drawn as an image"));
      image.src = url;
    });
    return image;
  } finally {
    URL.revokeObjectURL(url);
  }
}

export interface SheetLayout {
  columns: number;
  width: number;
}

/** How many cells per row, and the PNG's width, for `cells` maps and charts of the given widths. */
export function sheetLayout(cells: number, chartWidths: number[]): SheetLayout {
  const columns = Math.max(1, Math.min(4, cells));
  const cellsWidth = cells ? columns * CELL + (columns - 1) * GAP : 0;
  return {columns, width: 2 * GAP + Math.max(cellsWidth, CELL * 2, ...chartWidths)};
}

/**
 * One PNG of the figure: its canvases in a grid of 224 x 224 cells with their
 * labels, its charts below, the colour key (if it has heatmaps) and the
 * caption lines.
 */
export async function figurePng(body: Element, captionLines: string[]): Promise<Blob> {
  const canvases = figureCanvases(body);
  const charts = await Promise.all(figureCharts(body).map(async (svg) => ({image: await svgImage(chartSvg([svg])), width: svg.width.baseVal.value, height: svg.height.baseVal.value})));
  const {columns, width} = sheetLayout(canvases.length, charts.map((c) => c.width));
  const out = document.createElement("canvas");
  const measure = out.getContext("2d")!;
  measure.font = FONT;
  const text = captionLines.flatMap((line) => wrapText(measure, line, width - 2 * GAP));
  const rows = Math.ceil(canvases.length / columns);
  const rowHeight = CELL + 22;
  // The colour key only where there are heatmaps (not for photos or thumbnails alone).
  const heatmaps = canvases.some((c) => c.classList.contains("heatmap"));
  const keyHeight = heatmaps ? 72 : 0;
  out.width = width;
  out.height = GAP + rows * (rowHeight + GAP) + charts.reduce((h, c) => h + c.height + GAP, 0) + keyHeight + text.length * 18 + GAP;
  const ctx = out.getContext("2d")!;
  ctx.fillStyle = "#fff";
  ctx.fillRect(0, 0, out.width, out.height);
  ctx.font = FONT;
  ctx.textBaseline = "top";
  canvases.forEach((canvas, k) => {
    const x = GAP + (k % columns) * (CELL + GAP);
    const y = GAP + Math.floor(k / columns) * (rowHeight + GAP);
    // Small canvases (a 7 x 7 map, thumbnails) scaled up as blocks, not blurred.
    ctx.imageSmoothingEnabled = canvas.width >= CELL;
    const scale = CELL / Math.max(canvas.width, canvas.height);
    ctx.drawImage(canvas, x, y, canvas.width * scale, canvas.height * scale);
    ctx.fillStyle = "#111";
    ctx.fillText(canvasLabel(canvas), x, y + CELL + 4, CELL);
  });
  let y = GAP + rows * (rowHeight + GAP);
  for (const chart of charts) {
    ctx.drawImage(chart.image, GAP, y, chart.width, chart.height);
    y += chart.height + GAP;
  }
  if (heatmaps) y += drawColourKey(ctx, GAP, y, Math.min(448, width - 2 * GAP)) + GAP;
  ctx.fillStyle = "#111";
  for (const line of text) {
    ctx.fillText(line, GAP, y);
    y += 18;
  }
  return canvasBlob(out);
}

function canvasBlob(canvas: HTMLCanvasElement): Promise<Blob> {
  return new Promise((resolve, reject) => canvas.toBlob((blob) => (blob ? resolve(blob) : reject(new Error("the PNG could not be made"))), "image/png"));
}

/**
 * The charts as one standalone SVG document, one below the other, with a
 * title and a description (`describe`: the caption and the curves in words).
 */
export function chartSvg(charts: SVGSVGElement[], {title, describe}: {title?: string; describe?: string} = {}): string {
  const width = Math.max(1, ...charts.map((svg) => svg.width.baseVal.value));
  const height = charts.reduce((h, svg) => h + svg.height.baseVal.value, 0) + GAP * Math.max(0, charts.length - 1);
  const root = document.createElementNS(SVG_NS, "svg");
  root.setAttribute("xmlns", SVG_NS);
  root.setAttribute("width", String(width));
  root.setAttribute("height", String(height));
  root.setAttribute("viewBox", `0 0 ${width} ${height}`);
  root.setAttribute("font-family", "system-ui, sans-serif");
  if (title) root.append(Object.assign(document.createElementNS(SVG_NS, "title"), {textContent: title}));
  if (describe) root.append(Object.assign(document.createElementNS(SVG_NS, "desc"), {textContent: describe}));
  const background = document.createElementNS(SVG_NS, "rect");
  for (const [k, v] of Object.entries({width: "100%", height: "100%", fill: "white"})) background.setAttribute(k, v);
  root.append(background);
  let y = 0;
  for (const svg of charts) {
    const copy = svg.cloneNode(true) as SVGSVGElement;
    copy.setAttribute("x", "0");
    copy.setAttribute("y", String(y));
    // Plot draws text in currentColor: black on a white page.
    copy.setAttribute("color", "black");
    root.append(copy);
    y += svg.height.baseVal.value + GAP;
  }
  return new XMLSerializer().serializeToString(root);
}

/** The charts as PNG at `scale` times their size. */
export async function chartPng(svgText: string, width: number, height: number, scale = 2): Promise<Blob> {
  const image = await svgImage(svgText);
  const canvas = document.createElement("canvas");
  canvas.width = Math.round(width * scale);
  canvas.height = Math.round(height * scale);
  const ctx = canvas.getContext("2d")!;
  ctx.fillStyle = "#fff";
  ctx.fillRect(0, 0, canvas.width, canvas.height);
  ctx.drawImage(image, 0, 0, canvas.width, canvas.height);
  return canvasBlob(canvas);
}

/** Saves a blob under `filename` (an <a download> clicked; the object URL is freed a minute later). */
export function saveBlob(blob: Blob, filename: string): void {
  const url = URL.createObjectURL(blob);
  const link = document.createElement("a");
  link.href = url;
  link.download = filename;
  link.hidden = true;
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 60_000);
}
