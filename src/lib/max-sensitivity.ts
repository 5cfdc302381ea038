// Max-sensitivity (Yeh, Hsieh, Suggala, Inouye and Ravikumar, "On the
// (In)fidelity and Sensitivity of Explanations", NeurIPS 2019): how much can
// the map change when the input changes by an amount nobody would notice?
// The paper's max over the ball of radius r is estimated, as Quantus does, by
// the largest change over N random perturbations:
//
//   max-sensitivity = max_j || map(x + d_j) - map(x) ||_F / || map(x) ||_F,   d_j ~ U(-r, r) per value,
//
// on the method's normalized map (the same normalization as the map shown),
// for the class explained at x. Lower is better (a robust explanation).
// Perturbation j comes from its own seeded stream, sampleSeed(seed, j), made
// in JavaScript (the same on every backend; the first N do not depend on N);
// x + d is not clipped to [0, 1] (as SmoothGrad's noisy copies).
// An all-zero map(x) has no scale: the relative change is 0 if every
// perturbed map is all-zero as well, and +Infinity otherwise.
import * as tf from "@tensorflow/tfjs";
import {sampleSeed} from "./baselines.js";
import {checkAborted, imageLogits, type MethodOptions} from "./explanation.js";
import type {MapFunction} from "./methods.js";
import type {ResNet} from "./resnet.js";
import {seededRandom} from "./statistics.js";

export const SENSITIVITY_SAMPLES = 10;
/** Default radius r, in [0, 1] image units: 0.02, about 5 of 255 grey levels, a change nobody sees. */
export const SENSITIVITY_RADIUS = 0.02;

export interface MaxSensitivityOptions extends MethodOptions {
  /** The explanation method: image, class -> normalized map (see methods.ts mapFunction). */
  method: MapFunction;
  /** Number of perturbations N (integer >= 1, default 10). */
  samples?: number;
  /** Radius r: each value moves by U(-r, r) (finite, >= 0, default 0.02). */
  radius?: number;
  /** Seed of the perturbations (integer, default 0). */
  seed?: number;
}

export interface MaxSensitivity {
  maxSensitivity: number;
  /** The relative change under each perturbation. */
  sensitivities: Float64Array;
  samples: number;
  radius: number;
  seed: number;
  target: number;
}

/** Perturbation j: `size` values U(-radius, radius) from the stream sampleSeed(seed, j). */
export function uniformPerturbation(size: number, radius: number, seed: number, j: number): Float32Array {
  const random = seededRandom(sampleSeed(seed, j));
  const out = new Float32Array(size);
  for (let i = 0; i < size; i++) out[i] = radius * (2 * random() - 1);
  return out;
}

/** ||a - b||_F / ||b||_F in float64; see the top of the file for b = 0. */
export function relativeChange(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new RangeError(`maps of different sizes (${a.length} != ${b.length})`);
  let difference = 0;
  let reference = 0;
  for (let i = 0; i < a.length; i++) {
    difference += (a[i] - b[i]) ** 2;
    reference += b[i] * b[i];
  }
  if (reference === 0) return difference === 0 ? 0 : Infinity;
  return Math.sqrt(difference / reference);
}

/**
 * Max-sensitivity of `relevance` (the method's map of `image`), by N calls of
 * `options.method` on perturbed copies, one after the other (each is batched
 * by the method itself, with this call's batchSize and signal); onProgress
 * counts perturbations.
 */
export async function maxSensitivity(model: ResNet, image: tf.Tensor3D, relevance: ArrayLike<number>, options: MaxSensitivityOptions): Promise<MaxSensitivity> {
  const samples = options.samples ?? SENSITIVITY_SAMPLES;
  if (!Number.isInteger(samples) || samples < 1) throw new RangeError(`max-sensitivity needs an integer number of samples >= 1, got ${samples}`);
  const radius = options.radius ?? SENSITIVITY_RADIUS;
  if (!(radius >= 0) || !Number.isFinite(radius)) throw new RangeError(`max-sensitivity radius must be a finite number >= 0, got ${radius}`);
  const seed = options.seed ?? 0;
  if (!Number.isInteger(seed)) throw new RangeError(`seed must be an integer, got ${seed}`);
  if (typeof options.method !== "function") throw new TypeError("max-sensitivity needs the explanation method (options.method)");
  const target = options.target ?? (await imageLogits(model, image)).predicted;
  const sensitivities = new Float64Array(samples);
  const runOptions = {batchSize: options.batchSize, signal: options.signal};
  for (let j = 0; j < samples; j++) {
    checkAborted(options.signal);
    const delta = uniformPerturbation(image.size, radius, seed, j);
    const perturbed = tf.tidy(() => tf.add(image, tf.tensor3d(delta, image.shape)) as tf.Tensor3D);
    try {
      sensitivities[j] = relativeChange(await options.method(perturbed, target, runOptions), relevance);
    } finally {
      perturbed.dispose();
    }
    options.onProgress?.(j + 1, samples);
  }
  checkAborted(options.signal);
  return {maxSensitivity: Math.max(...sensitivities), sensitivities, samples, radius, seed, target};
}
