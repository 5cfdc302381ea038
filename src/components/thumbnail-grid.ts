// Thumbnails of the image batches the methods feed to the model (occluded
// copies, integrated-gradients path images, deletion steps), laid out in a
// grid. They are computed in the compute worker (`thumbnails` in a compute
// function's scope: src/compute/thumbnail-batches.ts).
import {floatCanvas} from "./heatmap.js";
import type {Thumbnails} from "../compute/thumbnail-batches.js";

export {spread, thumbnails, type Thumbnails} from "../compute/thumbnail-batches.js";

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
