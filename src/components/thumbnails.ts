// Thumbnails of the image batches the methods feed to the model (occluded
// copies, integrated-gradients path images, deletion steps): computed with
// the library's prepare* functions, shrunk on the backend by an exact box
// filter (average pooling), read back, and laid out in a grid.
import type * as tfjs from "@tensorflow/tfjs";
import {floatCanvas} from "./heatmap.js";

type TF = typeof tfjs;

/** Thumbnail sides that divide 224 exactly (box filter 2, 4, 7 or 8). */
export const THUMB_SIDES = [112, 56, 32, 28] as const;

export interface Thumbnails {
  /** Side in pixels. */
  size: number;
  /** [count, size, size, 3] floats in [0, 1]. */
  pixels: Float32Array;
  count: number;
}

/**
 * Runs `makeBatch(start, count)` for the items `indices` (in chunks of
 * `chunk`), shrinks each [n,224,224,3] batch to `size` pixels, and reads the
 * result back. Tensors are disposed; `signal` stops between chunks.
 */
export async function thumbnails(tf: TF, indices: number[], makeBatch: (start: number, count: number) => tfjs.Tensor4D, {size = 56, chunk = 16, signal}: {size?: number; chunk?: number; signal?: AbortSignal} = {}): Promise<Thumbnails> {
  const factor = 224 / size;
  if (!Number.isInteger(factor)) throw new RangeError(`thumbnail size ${size} does not divide 224`);
  const pixels = new Float32Array(indices.length * size * size * 3);
  let at = 0;
  // Consecutive runs of indices are made in one call.
  for (let i = 0; i < indices.length; ) {
    if (signal?.aborted) throw signal.reason ?? new DOMException("aborted", "AbortError");
    let j = i + 1;
    while (j < indices.length && j - i < chunk && indices[j] === indices[j - 1] + 1) j++;
    const small = tf.tidy(() => {
      const batch = makeBatch(indices[i], j - i);
      return factor === 1 ? batch : tf.avgPool(batch, factor, factor, "valid");
    });
    const data = await small.data();
    small.dispose();
    pixels.set(data as Float32Array, at);
    at += data.length;
    i = j;
  }
  return {size, pixels, count: indices.length};
}

export interface ThumbItem {
  label?: string | Node;
  /** Extra class on the item (e.g. to highlight it). */
  className?: string;
}

/**
 * A grid of thumbnails. `columns`: a fixed number of columns (e.g. S for the
 * S x S occlusion grid), which shrink with the page; otherwise as many
 * `minWidth`-wide columns as fit.
 */
export function thumbnailGrid(thumbs: Thumbnails, items: ThumbItem[] = [], {columns, minWidth = 72, maxWidth, testid}: {columns?: number; minWidth?: number; maxWidth?: number; testid?: string} = {}): HTMLElement {
  const grid = document.createElement("div");
  grid.className = "thumb-grid";
  if (columns) grid.style.gridTemplateColumns = `repeat(${columns}, minmax(0, 1fr))`;
  else grid.style.gridTemplateColumns = `repeat(auto-fill, minmax(${minWidth}px, 1fr))`;
  if (maxWidth) grid.style.maxWidth = `${maxWidth}px`;
  if (testid) grid.dataset.testid = testid;
  grid.dataset.count = String(thumbs.count);
  for (let i = 0; i < thumbs.count; i++) {
    const item = document.createElement("figure");
    item.className = `thumb ${items[i]?.className ?? ""}`.trim();
    const canvas = floatCanvas(thumbs.pixels, thumbs.size, i);
    canvas.className = "thumb__image";
    item.append(canvas);
    const label = items[i]?.label;
    if (label !== undefined) {
      const caption = document.createElement("figcaption");
      caption.append(label);
      item.append(caption);
    }
    grid.append(item);
  }
  return grid;
}

/** `count` indices spread evenly over 0 .. n-1 (both ends included), or all of them if n <= count. */
export function spread(n: number, count: number): number[] {
  if (n <= count) return Array.from({length: n}, (_, i) => i);
  return Array.from({length: count}, (_, k) => Math.round((k * (n - 1)) / (count - 1)));
}
