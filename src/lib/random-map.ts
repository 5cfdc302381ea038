// The handout's random smooth relevance map for the deletion demo: a 7x7
// grid of uniform random numbers, upsampled bilinearly to 224x224 and
// normalized to [0, 1]. Seeded (mulberry32), so a seed always gives the same
// map: a link with `seed=3` shows the same curve to every reader.
// Pure TypeScript, no TensorFlow.js: the page imports it as well as the
// compute worker. The bilinear resize is passed in (the library's
// resizeMapArray), so this file does not pull in the tensor code.

import {seededRandom} from "./statistics.js";

/** mulberry32: a small, fast 32-bit PRNG; uniform floats in [0, 1) (the library's seededRandom). */
export const mulberry32 = seededRandom;

export type Resize = (map: ArrayLike<number>, h: number, w: number, outH: number, outW: number) => Float32Array;

/** The coarse grid (side x side uniform numbers) for `seed`. */
export function randomGrid(seed: number, side = 7): Float32Array {
  const next = mulberry32(seed);
  return Float32Array.from({length: side * side}, () => next());
}

/** 224x224 smooth random relevance in [0, 1] for `seed`. */
export function randomSmoothMap(seed: number, resize: Resize, {side = 7, size = 224}: {side?: number; size?: number} = {}): Float32Array {
  const map = resize(randomGrid(seed, side), side, side, size, size);
  let lo = Infinity, hi = -Infinity;
  for (const v of map) {
    lo = Math.min(lo, v);
    hi = Math.max(hi, v);
  }
  const range = hi - lo || 1;
  return map.map((v) => Math.min(1, Math.max(0, (v - lo) / range)));
}
