// Faithfulness correlation (Bhatt, Weller and Moura, "Evaluating and
// Aggregating Feature-based Model Explanations", IJCAI 2020): if a map is
// faithful, removing a set of pixels should lower the class's score by about
// as much as the relevance on those pixels adds up to. Over N random subsets
// S_1..S_N of k pixels each:
//
//   correlation = Pearson( sum_{i in S_j} r_i ,  f(x) - f(x with S_j replaced by the substrate) ),  j = 1..N
//
// f is the class's softmax probability by default (the "drop in the class
// probability"); the score function is pluggable (`score`): with a linear
// model f(x) = sum w.x, relevance = gradient x input summed over channels and
// a zero substrate, the two columns are equal and the correlation is 1.
// Higher is better; NaN when either column is constant.
//
// Subset j is drawn from its own seeded stream, sampleSeed(seed, j), by a
// partial Fisher-Yates shuffle: uniform over the k-subsets of the pixels, the
// same on every backend, and the first N subsets do not depend on N (a
// slider moved from 50 to 100 keeps the first 50). A removed pixel is
// replaced in all three channels, by the substrate's pixel (black, mean,
// blur) or by ROAD's imputation (its noise from the same stream, after the
// subset).
import * as tf from "@tensorflow/tfjs";
import {sampleSeed} from "./baselines.js";
import {argmax, concat, runBatched, type BatchedModel, type MethodOptions} from "./explanation.js";
import {noisyLinearImputation, roadSettings, type RoadOptions} from "./road.js";
import {pearson, seededRandom} from "./statistics.js";
import {checkAnySubstrate, substrateImage, type AnySubstrateName} from "./substrate.js";

/** What the metrics need of a model: [N,H,W,3] images in [0,1] -> [N,classes] logits, and its batch policy if it has one (ResNet is one). */
export interface Classifier extends BatchedModel {
  logits(images: tf.Tensor4D): tf.Tensor2D;
}

/** A class's score for each image of a batch: [N,H,W,3] -> [N]. */
export type ClassScore = (model: Classifier, images: tf.Tensor4D, target: number) => tf.Tensor1D;

/** The class's softmax probability (the default score, as deletion and insertion use). */
export const classProbability: ClassScore = (model, images, target) =>
  tf.tidy(() => tf.softmax(model.logits(images)).slice([0, target], [-1, 1]).reshape([-1]) as tf.Tensor1D);

/** The class's logit. */
export const classLogit: ClassScore = (model, images, target) =>
  tf.tidy(() => model.logits(images).slice([0, target], [-1, 1]).reshape([-1]) as tf.Tensor1D);

export const FAITHFULNESS_SUBSETS = 100;
export const FAITHFULNESS_SUBSET_SIZE = 224;

export interface FaithfulnessCorrelationOptions extends MethodOptions {
  /** Number of random subsets N (integer >= 2, default 100, as Quantus). */
  subsets?: number;
  /** Pixels per subset k (1 .. pixels, default 224, as Quantus). */
  subsetSize?: number;
  /** Seed of the subsets (integer, default 0). */
  seed?: number;
  /** What removed pixels become (default "black": 0 in every channel). */
  substrate?: AnySubstrateName;
  /** The "road" substrate's noise (its seed is the subsets' streams). */
  road?: Pick<RoadOptions, "noise">;
  /** The score whose drop is measured (default classProbability). */
  score?: ClassScore;
}

/** The settings of a set of random subsets, and the score they are measured against. */
export interface SubsetSettings {
  subsets: number;
  subsetSize: number;
  seed: number;
  substrate: AnySubstrateName;
  target: number;
  /** f(x), the unperturbed image's score. */
  score: number;
}

export interface FaithfulnessCorrelation extends SubsetSettings {
  correlation: number;
  /** Per subset: the relevance summed over it (float64) ... */
  relevanceSums: Float64Array;
  /** ... and f(x) - f(x with the subset replaced). */
  drops: Float64Array;
}

/** k distinct indices of 0..n-1, uniformly, by a partial Fisher-Yates shuffle driven by `random`. */
export function randomSubset(n: number, k: number, random: () => number): Uint32Array {
  if (!Number.isInteger(k) || k < 1 || k > n) throw new RangeError(`subset size must be an integer from 1 to ${n}, got ${k}`);
  const pool = new Uint32Array(n);
  for (let i = 0; i < n; i++) pool[i] = i;
  for (let i = 0; i < k; i++) {
    const j = i + Math.floor(random() * (n - i));
    const t = pool[i];
    pool[i] = pool[j];
    pool[j] = t;
  }
  return pool.slice(0, k);
}

function checkOptions(options: FaithfulnessCorrelationOptions, pixels: number): {subsets: number; subsetSize: number; seed: number} {
  const subsets = options.subsets ?? FAITHFULNESS_SUBSETS;
  if (!Number.isInteger(subsets) || subsets < 2) throw new RangeError(`faithfulness correlation needs an integer number of subsets >= 2, got ${subsets}`);
  const subsetSize = options.subsetSize ?? Math.min(FAITHFULNESS_SUBSET_SIZE, pixels);
  if (!Number.isInteger(subsetSize) || subsetSize < 1 || subsetSize > pixels) throw new RangeError(`subset size must be an integer from 1 to ${pixels}, got ${subsetSize}`);
  const seed = options.seed ?? 0;
  if (!Number.isInteger(seed)) throw new RangeError(`seed must be an integer, got ${seed}`);
  return {subsets, subsetSize, seed};
}

/** The N subsets and the score drops when each is removed: the part of the metric that does not depend on the map. */
export interface SubsetDrops extends SubsetSettings {
  /** The pixels (flat indices) of each subset. */
  chosen: Uint32Array[];
  /** f(x) - f(x with subset j replaced). */
  drops: Float64Array;
}

/** N forward passes: the drops of the class's score when each seeded subset is replaced by the substrate. */
export async function subsetDrops(model: Classifier, image: tf.Tensor3D, options: FaithfulnessCorrelationOptions = {}): Promise<SubsetDrops> {
  const [h, w, channels] = image.shape;
  const pixelCount = h * w;
  const {subsets, subsetSize, seed} = checkOptions(options, pixelCount);
  const substrateName = checkAnySubstrate(options.substrate ?? "black");
  const noise = substrateName === "road" ? roadSettings(options.road).noise : 0;
  const score = options.score ?? classProbability;
  let target = options.target;
  if (target === undefined) {
    const logits = tf.tidy(() => model.logits(image.expandDims(0) as tf.Tensor4D));
    target = argmax((await logits.data()) as Float32Array);
    logits.dispose();
  }
  const scoreTensor = tf.tidy(() => score(model, image.expandDims(0) as tf.Tensor4D, target!));
  const original = (await scoreTensor.data())[0];
  scoreTensor.dispose();

  // The subsets, drawn up front (cheap: N partial shuffles).
  const streams = Array.from({length: subsets}, (_, j) => seededRandom(sampleSeed(seed, j)));
  const chosen = streams.map((random) => randomSubset(pixelCount, subsetSize, random));
  const substrate = substrateName === "black" || substrateName === "road" ? null : substrateImage(image, substrateName);
  const pixels = substrateName === "road" ? ((await image.data()) as Float32Array) : null;
  try {
    const scores = concat(await runBatched(
      model,
      subsets,
      (start, count) => {
        if (pixels) {
          const all = new Float32Array(count * pixels.length);
          for (let k = 0; k < count; k++) {
            const removed = new Uint8Array(pixelCount);
            for (const i of chosen[start + k]) removed[i] = 1;
            all.set(noisyLinearImputation(pixels, h, w, channels, removed, {noise, random: streams[start + k]}).values, k * pixels.length);
          }
          return tf.tensor4d(all, [count, h, w, channels]);
        }
        const keep = new Float32Array(count * pixelCount).fill(1);
        for (let k = 0; k < count; k++) for (const i of chosen[start + k]) keep[k * pixelCount + i] = 0;
        const mask = tf.tensor4d(keep, [count, h, w, 1]);
        // Black: the photo times a 0/1 mask, as the deletion metric; others: pixels copied from the substrate.
        return substrate ? tf.where(tf.cast(mask, "bool"), image.expandDims(0), substrate.expandDims(0)) : tf.mul(image.expandDims(0), mask);
      },
      (batch) => score(model, batch as tf.Tensor4D, target!),
      options,
    ));
    return {subsets, subsetSize, seed, substrate: substrateName, target, score: original, chosen, drops: Float64Array.from(scores, (s) => original - s)};
  } finally {
    substrate?.dispose();
  }
}

/** The metric for one map, from the drops already measured. */
export function correlationWithDrops(drops: SubsetDrops, relevance: ArrayLike<number>): FaithfulnessCorrelation {
  const relevanceSums = Float64Array.from(drops.chosen, (subset) => {
    let s = 0;
    for (const i of subset) s += relevance[i];
    return s;
  });
  const {subsets, subsetSize, seed, substrate, target, score} = drops;
  return {correlation: pearson(relevanceSums, drops.drops), subsets, subsetSize, seed, substrate, target, score, relevanceSums, drops: drops.drops};
}

export async function faithfulnessCorrelation(model: Classifier, image: tf.Tensor3D, relevance: ArrayLike<number>, options: FaithfulnessCorrelationOptions = {}): Promise<FaithfulnessCorrelation> {
  const [h, w] = image.shape;
  if (relevance.length !== h * w) throw new RangeError(`relevance has ${relevance.length} values for a ${h}x${w} image`);
  return correlationWithDrops(await subsetDrops(model, image, options), relevance);
}

/**
 * The metric for several maps of the same image and class (the five methods):
 * the subsets and their drops depend only on the image, the class, N, k, the
 * seed and the substrate, so the N forward passes are made once for all maps.
 */
export async function faithfulnessCorrelations<K extends string>(model: Classifier, image: tf.Tensor3D, relevances: Record<K, ArrayLike<number>>, options: FaithfulnessCorrelationOptions = {}): Promise<Record<K, FaithfulnessCorrelation>> {
  const [h, w] = image.shape;
  for (const [key, relevance] of Object.entries(relevances) as [K, ArrayLike<number>][]) {
    if (relevance.length !== h * w) throw new RangeError(`relevance ${key} has ${relevance.length} values for a ${h}x${w} image`);
  }
  const drops = await subsetDrops(model, image, options);
  return Object.fromEntries((Object.entries(relevances) as [K, ArrayLike<number>][]).map(([key, relevance]) => [key, correlationWithDrops(drops, relevance)])) as Record<K, FaithfulnessCorrelation>;
}
