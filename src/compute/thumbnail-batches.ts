// Thumbnails of the image batches the methods feed to the model (occluded
// copies, integrated-gradients path images, deletion steps), computed in the
// compute worker: made with the library's prepare* functions, shrunk on the
// backend by an exact box filter (average pooling) and read back. The page
// lays them out (src/components/thumbnail-grid.ts).
import type * as tfjs from "@tensorflow/tfjs";

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

/** `count` indices spread evenly over 0 .. n-1 (both ends included), or all of them if n <= count. */
export function spread(n: number, count: number): number[] {
  if (n <= count) return Array.from({length: n}, (_, i) => i);
  return Array.from({length: count}, (_, k) => Math.round((k * (n - 1)) / (count - 1)));
}
