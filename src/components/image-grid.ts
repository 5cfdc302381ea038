// Image cards and grids: the building blocks of every figure that shows
// images (the gallery here; heatmap overlays in later chapters). Plain DOM,
// no tfjs: callers pass pixels they already read back.

export const IMAGE_SIZE = 224;

/**
 * A canvas showing image `index` of a uint8 RGB (HWC) stack
 * `[N, height, width, 3]`.
 */
export function rgbCanvas(pixels: Uint8Array, index = 0, width = IMAGE_SIZE, height = IMAGE_SIZE): HTMLCanvasElement {
  const canvas = document.createElement("canvas");
  canvas.width = width;
  canvas.height = height;
  paintRgb(canvas, pixels, index);
  return canvas;
}

/** Fills `canvas` (width x height) with image `index` of `pixels` (uint8 RGB, HWC). */
export function paintRgb(canvas: HTMLCanvasElement, pixels: Uint8Array, index = 0): void {
  const {width, height} = canvas;
  const image = new ImageData(width, height);
  const offset = index * width * height * 3;
  for (let p = 0, q = offset; p < width * height * 4; p += 4, q += 3) {
    image.data[p] = pixels[q];
    image.data[p + 1] = pixels[q + 1];
    image.data[p + 2] = pixels[q + 2];
    image.data[p + 3] = 255;
  }
  canvas.getContext("2d")!.putImageData(image, 0, 0);
}

export type CardStatus = "right" | "wrong" | "pending" | "neutral";

export interface ImageCardOptions {
  /** The picture: usually a canvas from rgbCanvas. */
  image: HTMLElement;
  /** Drawn over the picture (e.g. a heatmap canvas with transparency). */
  overlay?: HTMLElement;
  /** Bold first caption line. */
  title?: string;
  /** Further caption lines. */
  lines?: (string | Node)[];
  /** right: green frame, wrong: red frame, pending: dimmed caption. */
  status?: CardStatus;
  /** Extra attributes, e.g. {"data-testid": "gallery-item", "data-id": ...}. */
  attributes?: Record<string, string | number | undefined>;
  /** Tooltip. */
  tooltip?: string;
}

/** A figure with a picture (plus optional overlay) and a caption. */
export function imageCard({image, overlay, title, lines = [], status = "neutral", attributes = {}, tooltip}: ImageCardOptions): HTMLElement {
  const card = document.createElement("figure");
  card.className = `image-card image-card--${status}`;
  for (const [name, value] of Object.entries(attributes)) if (value !== undefined) card.setAttribute(name, String(value));
  if (tooltip) card.title = tooltip;
  const frame = document.createElement("div");
  frame.className = "image-card__frame";
  image.classList.add("image-card__image");
  frame.append(image);
  if (overlay) {
    overlay.classList.add("image-card__overlay");
    frame.append(overlay);
  }
  const caption = document.createElement("figcaption");
  if (title) {
    const t = document.createElement("div");
    t.className = "image-card__title";
    t.textContent = title;
    caption.append(t);
  }
  for (const line of lines) {
    const l = document.createElement("div");
    l.append(line);
    caption.append(l);
  }
  card.append(frame, caption);
  return card;
}

/** A responsive grid of cards (columns at least `minWidth` pixels wide). */
export function imageGrid(cards: HTMLElement[], {minWidth = 150, attributes = {}}: {minWidth?: number; attributes?: Record<string, string>} = {}): HTMLElement {
  const grid = document.createElement("div");
  grid.className = "image-grid";
  grid.style.setProperty("--image-grid-min", `${minWidth}px`);
  for (const [name, value] of Object.entries(attributes)) grid.setAttribute(name, value);
  grid.append(...cards);
  return grid;
}
