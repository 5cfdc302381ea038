// ROAD's noisy linear imputation (Rong, Leemann, Borisov, Kasneci and
// Kasneci, "A Consistent and Efficient Evaluation Strategy for Attribution
// Methods", ICML 2022): a removed pixel is not painted black (a colour the
// model never saw in that place, and whose shape betrays which pixels were
// removed) but filled in from its neighbourhood:
//
//   x_i = sum_j w_ij x_j / sum_j w_ij  (+ noise),  j over the 8 neighbours of i inside the image,
//
// with w = 1/6 for the 4 direct neighbours and 1/12 for the 4 diagonal ones.
// These are the weights of the authors' reference implementation
// (tleemann/road_evaluation, imputations.py, `neighbors_weights`; the same
// file is vendored in pytorch-grad-cam), which produced the paper's numbers,
// so we take them as the definition: a direct neighbour counts twice as much
// as a diagonal one, and the 8 weights sum to 1. At the image's border the
// weights of the neighbours that exist are renormalized to sum to 1, as that
// code does (`sum_neighbors` = 1 minus the weights of neighbours outside).
// Removed neighbours are unknowns too, so all removed pixels are solved
// together: a sparse linear system A x = b per channel, where
//   A_ii = sum of i's in-image neighbour weights, A_ij = -w_ij for removed neighbours j,
//   b_i  = sum over i's known neighbours j of w_ij x_j.
// A is a principal submatrix of the weighted graph Laplacian of the pixel
// grid, so it is symmetric, and positive definite whenever at least one pixel
// is known (the 8-neighbour grid is connected: every group of removed pixels
// touches a known one). We solve it in float64 by conjugate gradients,
// preconditioned by one multigrid V-cycle (Gauss-Seidel smoothing, 2x2
// aggregates, Galerkin coarse operators; see `vCycle`), down to a relative
// residual ||b - A x|| / ||b|| of 1e-12 (float32 images carry about 7
// significant digits), checked on the recomputed residual. Measured on
// 224x224 masks (11% to all but one pixel removed, test/road.test.ts): 21-31
// iterations, 0.03-0.5 s of CPU for the three channels (2-core VM, under load).
// When every pixel is removed nothing is known: b = 0 and A is singular
// (constants are in its null space); we take the minimum-norm solution, 0,
// which is also what conjugate gradients started from 0 returns.
//
// Noise: as the authors' code, the system is solved without noise and then
// N(0, sigma^2) noise is added to every imputed value (not to known pixels),
// sigma = ROAD_NOISE = 0.01 by default, their `noise=0.01` ("absolute"),
// here in the units of the library's [0, 1] images. The values are not
// clipped (neither does the reference). The noise is drawn in JavaScript
// from the project's seeded PRNG (baselines.ts): one N(0, sigma^2) field over
// the whole image per seed, of which only the removed pixels' values are used,
// so a pixel's noise does not depend on which other pixels are removed, and
// Node and every browser backend get the same numbers.
import * as tf from "@tensorflow/tfjs";
import {gaussianNoise, sampleSeed} from "./baselines.js";
import {seededRandom} from "./statistics.js";
import type {MetricName} from "./substrate.js";

/** Weight of each of the 4 direct neighbours (left, right, up, down). */
export const ROAD_DIRECT_WEIGHT = 1 / 6;
/** Weight of each of the 4 diagonal neighbours. */
export const ROAD_DIAGONAL_WEIGHT = 1 / 12;
/** Standard deviation of the noise added to imputed values (the reference's default), in [0, 1] image units. */
export const ROAD_NOISE = 0.01;
/** The solver stops when ||b - A x|| <= tolerance * ||b|| (per channel). */
export const ROAD_TOLERANCE = 1e-12;

export interface RoadOptions {
  /** Noise standard deviation sigma (>= 0, default ROAD_NOISE); 0: the plain linear imputation. */
  noise?: number;
  /** Seed of the noise (integer, default 0). */
  seed?: number;
}

export interface ImputationOptions {
  /** Noise standard deviation (default ROAD_NOISE). */
  noise?: number;
  /** The noise's random stream (uniform [0, 1)); required when noise > 0. */
  random?: () => number;
  /** Relative residual to reach (default ROAD_TOLERANCE). */
  tolerance?: number;
}

export interface Imputation {
  /** The image with removed pixels imputed, [H*W*C] HWC like the input. */
  values: Float32Array;
  /** Number of removed pixels (unknowns per channel). */
  unknowns: number;
  /** Conjugate-gradient iterations, the largest over the channels. */
  iterations: number;
  /** ||b - A x|| / ||b|| of the noise-free solution, recomputed from scratch, the largest over the channels (0 when b = 0). */
  residual: number;
}

// Neighbour offsets (row, column) and weights; the first four come before the
// pixel in row-major order (the Gauss-Seidel sweeps rely on that order).
const OFFSETS: [number, number, number][] = [
  [-1, -1, ROAD_DIAGONAL_WEIGHT], [-1, 0, ROAD_DIRECT_WEIGHT], [-1, 1, ROAD_DIAGONAL_WEIGHT], [0, -1, ROAD_DIRECT_WEIGHT],
  [0, 1, ROAD_DIRECT_WEIGHT], [1, -1, ROAD_DIAGONAL_WEIGHT], [1, 0, ROAD_DIRECT_WEIGHT], [1, 1, ROAD_DIAGONAL_WEIGHT],
];

/**
 * The system A x = b of one mask on one level of the multigrid hierarchy:
 * unknown u sits at (row, column) of a grid `gridWidth` wide and couples to
 * at most 8 neighbours, in slots 0..7 of the OFFSETS order (slots 0..3 come
 * earlier in row-major order): A_uu = diagonal[u], A_uv = -weights[8u+k] for
 * v = columns[8u+k]. A slot without a neighbour points at the sentinel
 * unknown `size` with weight 0: vectors have size + 1 entries, the last 0, so
 * the loops need no branches (2-3x faster in V8). Level 0 is the pixel grid.
 */
interface Level {
  size: number;
  rows: Int32Array;
  cols: Int32Array;
  gridWidth: number;
  diagonal: Float64Array;
  columns: Int32Array;
  weights: Float64Array;
  /** The aggregate (unknown of the next level) each unknown belongs to. */
  aggregate: Int32Array | null;
  next: Level | null;
  /** The coarsest level: the Cholesky factor of its dense matrix (row-major lower triangle). */
  cholesky: Float64Array | null;
  /** Work vectors of the V-cycle. */
  residual: Float64Array;
  correction: Float64Array;
}

function newLevel(size: number, gridWidth: number): Level {
  return {
    size, gridWidth, rows: new Int32Array(size), cols: new Int32Array(size), diagonal: new Float64Array(size),
    columns: new Int32Array(8 * size).fill(size), weights: new Float64Array(8 * size), aggregate: null, next: null, cholesky: null,
    residual: new Float64Array(size + 1), correction: new Float64Array(size + 1),
  };
}

/** Level 0: the removed pixels, with ROAD's weights (renormalized at the image border). */
function pixelLevel(removed: Uint8Array, height: number, width: number): {level: Level; pixels: Int32Array; unknownOf: Int32Array} {
  const unknownOf = new Int32Array(height * width).fill(-1);
  let n = 0;
  for (let p = 0; p < removed.length; p++) if (removed[p]) unknownOf[p] = n++;
  const level = newLevel(n, width);
  const pixels = new Int32Array(n);
  for (let p = 0, u = 0; p < removed.length; p++) {
    if (!removed[p]) continue;
    pixels[u] = p;
    const y = Math.floor(p / width);
    const x = p - y * width;
    level.rows[u] = y;
    level.cols[u] = x;
    let sum = 0;
    for (let k = 0; k < 8; k++) {
      const [dy, dx, w] = OFFSETS[k];
      const ny = y + dy;
      const nx = x + dx;
      if (ny < 0 || ny >= height || nx < 0 || nx >= width) continue;
      sum += w;
      const q = ny * width + nx;
      if (unknownOf[q] >= 0) {
        level.columns[8 * u + k] = unknownOf[q];
        level.weights[8 * u + k] = w;
      }
    }
    level.diagonal[u] = sum;
    u++;
  }
  return {level, pixels, unknownOf};
}

// Below this many unknowns a level is solved exactly (dense Cholesky).
const COARSEST_SIZE = 64;

/**
 * The next level: unknowns aggregated by 2x2 blocks of the grid, with the
 * Galerkin operator P^T A P of the piecewise-constant prolongation P (an
 * aggregate's entry is the sum of its members' entries), again a 3x3 stencil
 * on a grid half as wide. Recursively down to COARSEST_SIZE unknowns.
 */
function coarsen(level: Level): void {
  if (level.size <= COARSEST_SIZE) {
    level.cholesky = denseCholesky(level);
    return;
  }
  const n = level.size;
  const coarseWidth = Math.ceil(level.gridWidth / 2);
  const cellOf = new Map<number, number>();
  const aggregate = new Int32Array(n);
  let m = 0;
  // Unknowns are in row-major order, but cells of a row pair are not: number the cells in row-major order first.
  const cells: number[] = [];
  for (let u = 0; u < n; u++) {
    const cell = (level.rows[u] >> 1) * coarseWidth + (level.cols[u] >> 1);
    if (!cellOf.has(cell)) {
      cellOf.set(cell, -1);
      cells.push(cell);
    }
  }
  cells.sort((a, b) => a - b);
  for (const cell of cells) cellOf.set(cell, m++);
  const coarse = newLevel(m, coarseWidth);
  cells.forEach((cell, a) => {
    coarse.rows[a] = Math.floor(cell / coarseWidth);
    coarse.cols[a] = cell - coarse.rows[a] * coarseWidth;
  });
  for (let u = 0; u < n; u++) aggregate[u] = cellOf.get((level.rows[u] >> 1) * coarseWidth + (level.cols[u] >> 1))!;
  for (let u = 0; u < n; u++) {
    const a = aggregate[u];
    coarse.diagonal[a] += level.diagonal[u];
    for (let k = 0; k < 8; k++) {
      const v = level.columns[8 * u + k];
      if (v === n) continue;
      const w = level.weights[8 * u + k];
      const b = aggregate[v];
      if (b === a) {
        coarse.diagonal[a] -= w; // a coupling inside the aggregate
        continue;
      }
      const slot = SLOT[(coarse.rows[b] - coarse.rows[a] + 1) * 3 + (coarse.cols[b] - coarse.cols[a] + 1)];
      coarse.columns[8 * a + slot] = b;
      coarse.weights[8 * a + slot] += w;
    }
  }
  level.aggregate = aggregate;
  level.next = coarse;
  coarsen(coarse);
}

// Slot of the neighbour at (dy, dx), indexed (dy + 1) * 3 + (dx + 1); the centre (4) is not a slot.
const SLOT = [0, 1, 2, 3, -1, 4, 5, 6, 7];

function denseCholesky(level: Level): Float64Array {
  const n = level.size;
  const a = new Float64Array(n * n);
  for (let u = 0; u < n; u++) {
    a[u * n + u] = level.diagonal[u];
    for (let k = 0; k < 8; k++) {
      const v = level.columns[8 * u + k];
      if (v < n) a[u * n + v] -= level.weights[8 * u + k];
    }
  }
  for (let j = 0; j < n; j++) {
    let d = a[j * n + j];
    for (let k = 0; k < j; k++) d -= a[j * n + k] * a[j * n + k];
    if (!(d > 0)) throw new Error("noisy linear imputation: the coarsest system is not positive definite");
    const l = Math.sqrt(d);
    a[j * n + j] = l;
    for (let i = j + 1; i < n; i++) {
      let s = a[i * n + j];
      for (let k = 0; k < j; k++) s -= a[i * n + k] * a[j * n + k];
      a[i * n + j] = s / l;
    }
  }
  return a;
}

/** y = A x on a level (x and y with the sentinel entry). */
function multiply(level: Level, x: Float64Array, y: Float64Array): void {
  const {size, diagonal, columns: c, weights: w} = level;
  for (let u = 0, e = 0; u < size; u++, e += 8) {
    y[u] = diagonal[u] * x[u] - (w[e] * x[c[e]] + w[e + 1] * x[c[e + 1]] + w[e + 2] * x[c[e + 2]] + w[e + 3] * x[c[e + 3]]
      + w[e + 4] * x[c[e + 4]] + w[e + 5] * x[c[e + 5]] + w[e + 6] * x[c[e + 6]] + w[e + 7] * x[c[e + 7]]);
  }
}

// The coarse-grid correction is scaled by this factor: piecewise-constant
// aggregates approximate smooth errors poorly (their energy is too high), and
// over-correcting compensates (a common remedy for unsmoothed aggregation).
// Measured on 224x224 masks (deletion and insertion masks of GradCAM,
// gradient and occlusion maps at 10-90% removed, random masks, everything but
// one pixel): 8-31 iterations with 1.6, 7-62 with 1 (no scaling).
const COARSE_CORRECTION_SCALE = 1.6;

/**
 * z = M^-1 r for the multigrid V-cycle preconditioner: a forward
 * Gauss-Seidel sweep from 0, the coarse-grid correction, a backward sweep. The
 * two sweeps mirror each other, so M is symmetric; conjugate gradients checks
 * that it is positive definite as it goes (r.z > 0).
 */
function vCycle(level: Level, r: Float64Array, z: Float64Array): void {
  const {size, diagonal, columns: c, weights: w} = level;
  if (level.cholesky) {
    const l = level.cholesky;
    for (let i = 0; i < size; i++) {
      let s = r[i];
      for (let k = 0; k < i; k++) s -= l[i * size + k] * z[k];
      z[i] = s / l[i * size + i];
    }
    for (let i = size - 1; i >= 0; i--) {
      let s = z[i];
      for (let k = i + 1; k < size; k++) s -= l[k * size + i] * z[k];
      z[i] = s / l[i * size + i];
    }
    return;
  }
  // Forward Gauss-Seidel from z = 0: only earlier neighbours (slots 0..3) are nonzero yet.
  for (let u = 0, e = 0; u < size; u++, e += 8) {
    z[u] = (r[u] + w[e] * z[c[e]] + w[e + 1] * z[c[e + 1]] + w[e + 2] * z[c[e + 2]] + w[e + 3] * z[c[e + 3]]) / diagonal[u];
  }
  const next = level.next!;
  const aggregate = level.aggregate!;
  const coarseResidual = next.residual;
  const coarseCorrection = next.correction;
  coarseResidual.fill(0);
  // The residual r - A z, summed over each aggregate (P^T). After the forward
  // sweep, only the later neighbours (slots 4..7) contribute to it.
  for (let u = 0, e = 0; u < size; u++, e += 8) {
    coarseResidual[aggregate[u]] += w[e + 4] * z[c[e + 4]] + w[e + 5] * z[c[e + 5]] + w[e + 6] * z[c[e + 6]] + w[e + 7] * z[c[e + 7]];
  }
  vCycle(next, coarseResidual, coarseCorrection);
  for (let u = 0; u < size; u++) z[u] += COARSE_CORRECTION_SCALE * coarseCorrection[aggregate[u]];
  // Backward Gauss-Seidel.
  for (let u = size - 1, e = 8 * (size - 1); u >= 0; u--, e -= 8) {
    z[u] = (r[u] + w[e] * z[c[e]] + w[e + 1] * z[c[e + 1]] + w[e + 2] * z[c[e + 2]] + w[e + 3] * z[c[e + 3]]
      + w[e + 4] * z[c[e + 4]] + w[e + 5] * z[c[e + 5]] + w[e + 6] * z[c[e + 6]] + w[e + 7] * z[c[e + 7]]) / diagonal[u];
  }
}

function dot(a: Float64Array, b: Float64Array, n: number): number {
  let s = 0;
  for (let i = 0; i < n; i++) s += a[i] * b[i];
  return s;
}

// A safety bound: the solver needs 20-31 iterations on 224x224 masks.
const MAX_ITERATIONS = 500;

/**
 * Conjugate gradients for A x = b from x = 0, preconditioned by the V-cycle.
 * Ends on the true residual b - A x (recomputed, not the recurrence's, which
 * can drift from it), restarting from it if needed; throws if the tolerance is
 * not reached or the preconditioner turns out not positive definite.
 */
function solve(level: Level, b: Float64Array, tolerance: number): {x: Float64Array; iterations: number; residual: number} {
  const n = level.size;
  // n + 1 entries: the sentinel (always 0) of the level's layout.
  const x = new Float64Array(n + 1);
  const r = new Float64Array(n + 1);
  const z = new Float64Array(n + 1);
  const p = new Float64Array(n + 1);
  const q = new Float64Array(n + 1);
  r.set(b.subarray(0, n));
  const bNorm = Math.sqrt(dot(r, r, n));
  if (bNorm === 0) return {x, iterations: 0, residual: 0};
  const target = tolerance * bNorm;
  let iterations = 0;
  for (let restart = 0; restart < 3; restart++) {
    vCycle(level, r, z);
    p.set(z);
    let rz = dot(r, z, n);
    let rr = dot(r, r, n);
    while (rr > target * target && iterations < MAX_ITERATIONS) {
      if (!(rz > 0)) throw new Error("noisy linear imputation: the multigrid preconditioner is not positive definite");
      multiply(level, p, q);
      const alpha = rz / dot(p, q, n);
      rr = 0;
      for (let i = 0; i < n; i++) {
        x[i] += alpha * p[i];
        r[i] -= alpha * q[i];
        rr += r[i] * r[i];
      }
      vCycle(level, r, z);
      const rzNext = dot(r, z, n);
      const beta = rzNext / rz;
      rz = rzNext;
      for (let i = 0; i < n; i++) p[i] = z[i] + beta * p[i];
      iterations++;
    }
    multiply(level, x, q);
    for (let i = 0; i < n; i++) r[i] = b[i] - q[i];
    const residual = Math.sqrt(dot(r, r, n));
    if (residual <= target) return {x, iterations, residual: residual / bNorm};
    if (iterations >= MAX_ITERATIONS) break;
  }
  throw new Error(`noisy linear imputation: conjugate gradients did not reach a relative residual of ${tolerance} (${n} unknowns, ${iterations} iterations)`);
}

/**
 * ROAD's noisy linear imputation of the pixels where `removed` is 1, in an
 * HWC image `pixels` ([height*width*channels]); see the top of this file.
 * Known pixels are copied unchanged. Plain TypeScript, no tensors.
 */
export function noisyLinearImputation(pixels: ArrayLike<number>, height: number, width: number, channels: number, removed: Uint8Array, options: ImputationOptions = {}): Imputation {
  const noise = options.noise ?? ROAD_NOISE;
  if (!(noise >= 0) || !Number.isFinite(noise)) throw new RangeError(`imputation noise must be a finite number >= 0, got ${noise}`);
  if (noise > 0 && !options.random) throw new RangeError("imputation noise needs a seeded random stream (options.random)");
  const tolerance = options.tolerance ?? ROAD_TOLERANCE;
  if (removed.length !== height * width) throw new RangeError(`mask has ${removed.length} entries for a ${height}x${width} image`);
  if (pixels.length !== height * width * channels) throw new RangeError(`image has ${pixels.length} values, expected ${height}x${width}x${channels}`);
  const values = Float32Array.from(pixels);
  const {level, pixels: unknownPixels, unknownOf} = pixelLevel(removed, height, width);
  const n = level.size;
  let iterations = 0;
  let residual = 0;
  if (n === removed.length) {
    // Nothing known: the minimum-norm solution, 0 (see the top of the file); A is singular, so no solve.
    for (let u = 0; u < n; u++) for (let c = 0; c < channels; c++) values[unknownPixels[u] * channels + c] = 0;
  } else if (n > 0) {
    coarsen(level);
    const b = new Float64Array(n);
    for (let c = 0; c < channels; c++) {
      // b_u: the weighted known neighbours of unknown u.
      for (let u = 0; u < n; u++) {
        const p = unknownPixels[u];
        const y = level.rows[u];
        const x = level.cols[u];
        let s = 0;
        for (let k = 0; k < 8; k++) {
          const [dy, dx, w] = OFFSETS[k];
          const ny = y + dy;
          const nx = x + dx;
          if (ny < 0 || ny >= height || nx < 0 || nx >= width) continue;
          const q = p + dy * width + dx;
          if (unknownOf[q] < 0) s += w * pixels[q * channels + c];
        }
        b[u] = s;
      }
      const solution = solve(level, b, tolerance);
      iterations = Math.max(iterations, solution.iterations);
      residual = Math.max(residual, solution.residual);
      for (let u = 0; u < n; u++) values[unknownPixels[u] * channels + c] = solution.x[u];
    }
  }
  if (n > 0 && noise > 0) {
    // One noise field over the whole image: a pixel's noise does not depend on the mask.
    const field = gaussianNoise(options.random!, height * width * channels, noise);
    for (let u = 0; u < n; u++) {
      const at = unknownPixels[u] * channels;
      for (let c = 0; c < channels; c++) values[at + c] = Math.fround(values[at + c] + field[at + c]);
    }
  }
  return {values, unknowns: n, iterations, residual};
}

/** The checked noise level and seed of ROAD options. */
export function roadSettings(options: RoadOptions = {}): {noise: number; seed: number} {
  const noise = options.noise ?? ROAD_NOISE;
  if (!(noise >= 0) || !Number.isFinite(noise)) throw new RangeError(`ROAD noise must be a finite number >= 0, got ${noise}`);
  const seed = options.seed ?? 0;
  if (!Number.isInteger(seed)) throw new RangeError(`ROAD seed must be an integer, got ${seed}`);
  return {noise, seed};
}

/**
 * Images `start .. start+count-1` of a deletion or insertion sequence whose
 * removed pixels are imputed (ROAD), as a [count,H,W,C] tensor the caller
 * disposes. `pixels`: the photo's HWC values (read back once per curve);
 * `stepOfPixel` as in prepareSubstituted: image s removes the pixels with
 * stepOfPixel <= s (deletion) or > s (insertion). Image s's noise comes from
 * the stream sampleSeed(seed, s), so an image does not depend on the batch it
 * is made in. An image with nothing removed is the photo exactly.
 * `images`: the images to make instead of `start .. start+count-1` (a padded
 * batch repeats its last image, see batchItems: an image listed twice is
 * imputed once and copied).
 */
export function prepareImputed(metric: MetricName, pixels: Float32Array, shape: [number, number, number], stepOfPixel: Int32Array, start: number, count: number, options: RoadOptions = {}, images?: number[]): tf.Tensor4D {
  const [h, w, c] = shape;
  if (stepOfPixel.length !== h * w) throw new RangeError(`stepOfPixel has ${stepOfPixel.length} entries for a ${h}x${w} image`);
  const {noise, seed} = roadSettings(options);
  const list = images ?? Array.from({length: count}, (_, k) => start + k);
  const size = h * w * c;
  const all = new Float32Array(list.length * size);
  const removed = new Uint8Array(h * w);
  list.forEach((s, k) => {
    if (k > 0 && list[k - 1] === s) {
      all.copyWithin(k * size, (k - 1) * size, k * size);
      return;
    }
    for (let i = 0; i < removed.length; i++) removed[i] = (metric === "deletion" ? stepOfPixel[i] <= s : stepOfPixel[i] > s) ? 1 : 0;
    const {values} = noisyLinearImputation(pixels, h, w, c, removed, {noise, random: seededRandom(sampleSeed(seed, s))});
    all.set(values, k * size);
  });
  return tf.tensor4d(all, [list.length, h, w, c]);
}
