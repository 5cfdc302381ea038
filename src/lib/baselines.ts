// Baselines for integrated gradients, and the seeded noise that the noise
// baselines and SmoothGrad share.
//
// A baseline is the "image without information" the path starts from. Each
// choice says something different about what "absent" means:
//  - black (0): the handout's baseline; a black pixel can never be relevant;
//  - white (1): the opposite choice; a white pixel can never be relevant;
//  - blur: the photo blurred (Gaussian, sigma 5 px, see blur.ts): colours and
//    coarse layout stay, detail goes, so IG attributes the detail;
//  - uniform: U(0, 1) noise, a fresh draw per sample, independent of the photo;
//  - gaussian: the photo plus N(0, sigma^2) noise, clipped to [0, 1] so the
//    baseline is still an image (as in Sturmfels, Lundberg and Lee, "Visualizing
//    the Impact of Feature Attribution Baselines", Distill 2020).
// The two noise baselines are random: integrated gradients averages the
// attributions over K samples. The noise comes from a seeded PRNG (mulberry32
// from statistics.ts, Box-Muller for normals) generated in JavaScript, so a
// seed gives bit-identical baselines in Node and in every browser backend.
import * as tf from "@tensorflow/tfjs";
import {BLUR_SIGMA, gaussianBlur} from "./blur.js";
import {seededRandom} from "./statistics.js";
import {BASELINE_NAMES, isBaselineName, isNoiseBaseline, type BaselineName} from "./baseline-names.js";

export {BASELINE_NAMES, isBaselineName, isNoiseBaseline, type BaselineName};

/** Standard deviation of the Gaussian baseline's noise, in units of the [0, 1] input range. */
export const GAUSSIAN_BASELINE_SIGMA = 0.5;

/**
 * The seed of sample `k` of a run seeded with `seed`: sample k's noise does
 * not depend on how many samples are drawn (K = 4 uses the first 4 of K = 8).
 */
export function sampleSeed(seed: number, k: number): number {
  if (!Number.isInteger(seed) || !Number.isInteger(k) || k < 0) throw new RangeError(`seed and sample index must be integers (k >= 0), got ${seed}, ${k}`);
  // A murmur3-style mix of (seed, k): neighbouring seeds or samples get unrelated streams.
  let h = Math.imul((seed >>> 0) ^ 0x9e3779b9, 0x85ebca6b) ^ Math.imul(k + 1, 0xc2b2ae35);
  h ^= h >>> 16;
  h = Math.imul(h, 0x7feb352d);
  h ^= h >>> 15;
  return h >>> 0;
}

/** `count` values U(0, 1) from `random`. */
export function uniformNoise(random: () => number, count: number): Float32Array {
  const out = new Float32Array(count);
  for (let i = 0; i < count; i++) out[i] = random();
  return out;
}

/**
 * `count` values N(0, sigma^2) from `random` (Box-Muller: two uniforms give
 * two normals, so `count` values use `count` uniforms, rounded up to even).
 */
export function gaussianNoise(random: () => number, count: number, sigma = 1): Float32Array {
  if (!(sigma >= 0) || !Number.isFinite(sigma)) throw new RangeError(`noise sigma must be a finite number >= 0, got ${sigma}`);
  const out = new Float32Array(count);
  for (let i = 0; i < count; i += 2) {
    const u1 = 1 - random(); // (0, 1]: log(u1) is finite
    const u2 = random();
    const r = sigma * Math.sqrt(-2 * Math.log(u1));
    out[i] = r * Math.cos(2 * Math.PI * u2);
    if (i + 1 < count) out[i + 1] = r * Math.sin(2 * Math.PI * u2);
  }
  return out;
}

export interface BaselineOptions {
  /** Seed of the noise baselines (default 0). */
  seed?: number;
  /** Gaussian baseline: noise standard deviation (default GAUSSIAN_BASELINE_SIGMA). */
  sigma?: number;
}

/**
 * Sample `k` of baseline `name` for `image` ([H,W,3] in [0,1]), a new tensor
 * the caller disposes. Deterministic baselines ignore `k`. Black is zeros
 * (integrated gradients itself keeps the handout's x * alpha path for it).
 */
export function baselineImage(name: BaselineName, image: tf.Tensor3D, k = 0, {seed = 0, sigma = GAUSSIAN_BASELINE_SIGMA}: BaselineOptions = {}): tf.Tensor3D {
  if (!isBaselineName(name)) throw new RangeError(`unknown baseline ${name}: use one of ${BASELINE_NAMES.join(", ")}`);
  switch (name) {
    case "black":
      return tf.zerosLike(image);
    case "white":
      return tf.onesLike(image);
    case "blur":
      return gaussianBlur(image, BLUR_SIGMA);
    case "uniform":
      return tf.tensor3d(uniformNoise(seededRandom(sampleSeed(seed, k)), image.size), image.shape);
    case "gaussian": {
      const noise = gaussianNoise(seededRandom(sampleSeed(seed, k)), image.size, sigma);
      return tf.tidy(() => tf.clipByValue(tf.add(image, tf.tensor3d(noise, image.shape)), 0, 1) as tf.Tensor3D);
    }
  }
}
