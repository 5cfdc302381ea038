// The random-logit test (Sixt, Granz and Landgraf, "When Explanations Lie:
// Why Many Modified BP Attributions Fail", ICML 2020): explain the same photo
// for another class, drawn at random, and compare the two maps. A map that
// explains the model's decision should change with the class; one that
// mostly shows the photo (edges, texture) barely does. Score: the Spearman
// rank correlation of the two normalized maps (statistics.ts; NaN when a map
// is constant, e.g. an all-zero GradCAM). Lower is better (as Quantus's
// RandomLogit reads its similarity score).
// The other class is uniform over the classes other than the explained one,
// from the seeded stream sampleSeed(seed, 0): the same on every backend, and
// never the explained class.
import type * as tf from "@tensorflow/tfjs";
import {sampleSeed} from "./baselines.js";
import {checkAborted, imageLogits, type MethodOptions} from "./explanation.js";
import type {MapFunction} from "./methods.js";
import type {ResNet} from "./resnet.js";
import {seededRandom, spearman} from "./statistics.js";

export interface RandomLogitOptions extends MethodOptions {
  /** The explanation method: image, class -> normalized map (see methods.ts mapFunction). */
  method: MapFunction;
  /** Seed of the class drawn (integer, default 0). */
  seed?: number;
  /** Number of classes to draw from (default: the model's, `model.numClasses`). */
  classes?: number;
}

export interface RandomLogit {
  spearman: number;
  target: number;
  /** The class drawn, never `target`. */
  otherClass: number;
  seed: number;
  /** The map for `otherClass`. */
  otherRelevance: Float32Array;
}

/** A class drawn uniformly from 0..classes-1 without `target`, seeded (`classes` default 10: the Imagenette model's). */
export function randomOtherClass(target: number, seed: number, classes = 10): number {
  if (!Number.isInteger(classes) || classes < 2) throw new RangeError(`the random-logit test needs >= 2 classes, got ${classes}`);
  if (!Number.isInteger(target) || target < 0 || target >= classes) throw new RangeError(`class ${target} is not one of 0..${classes - 1}`);
  if (!Number.isInteger(seed)) throw new RangeError(`seed must be an integer, got ${seed}`);
  const k = Math.floor(seededRandom(sampleSeed(seed, 0))() * (classes - 1)); // 0 .. classes-2
  return k < target ? k : k + 1;
}

/** Spearman correlation between `relevance` (the map for the explained class) and the map for a random other class. */
export async function randomLogitTest(model: ResNet, image: tf.Tensor3D, relevance: ArrayLike<number>, options: RandomLogitOptions): Promise<RandomLogit> {
  if (typeof options.method !== "function") throw new TypeError("the random-logit test needs the explanation method (options.method)");
  const seed = options.seed ?? 0;
  const target = options.target ?? (await imageLogits(model, image)).predicted;
  const otherClass = randomOtherClass(target, seed, options.classes ?? model.numClasses);
  checkAborted(options.signal);
  const otherRelevance = await options.method(image, otherClass, {batchSize: options.batchSize, signal: options.signal, onProgress: options.onProgress});
  return {spearman: spearman(relevance, otherRelevance), target, otherClass, seed, otherRelevance};
}
