// The insertion metric (Petsiuk et al., "RISE", 2018), deletion's mirror
// image: start from the substrate (a black, mean-colour or blurred image, or
// ROAD's imputation from the pixels inserted so far; see substrate.ts) and
// put the photo's pixels back in order of decreasing relevance, following the
// probability of the explained class. A faithful map makes it rise fast: a
// LARGE area under the curve.
// Same order, chunks and tie-breaking as deletion (deletionStepOfPixel): the
// pixels deletion removes in image s are exactly those insertion has put back
// in image s, so with the same fixed substrate (black, mean, blur) the two
// images of step s split the photo between them (ROAD imputes each image from
// its own kept pixels).
import * as tf from "@tensorflow/tfjs";
import {curvePartials, deletionCurve, deletionStepOfPixel, trapezoidAuc, type DeletionOptions, type DeletionResult} from "./deletion.js";
import {concat, imageLogits, runBatched} from "./explanation.js";
import type {ResNet} from "./resnet.js";
import {prepareImputed, roadSettings} from "./road.js";
import {checkAnySubstrate, prepareSubstituted, substrateImage, type MetricName} from "./substrate.js";

/**
 * Images `start .. start+count-1` of the insertion sequence: image s has the
 * first s chunks of pixels (by relevance) from `image`, the rest from
 * `substrate` ([H,W,3]); image 0 is the substrate, image S-1 the photo.
 */
export function prepareInsertion(image: tf.Tensor3D, substrate: tf.Tensor3D, relevance: ArrayLike<number>, steps: number, start = 0, count = steps - start, stepOfPixel = deletionStepOfPixel(relevance, steps)): tf.Tensor4D {
  checkInsertionSteps(steps);
  return prepareSubstituted("insertion", image, substrate, stepOfPixel, start, count);
}

/**
 * 0/1 masks of insertion images onto black, one per (order, image) pair,
 * concatenated: 1 where the pixel has been put back in that image (its step
 * is at most the image's), deletionKeepMasks' complement. The photo times
 * such a mask is, value for value, prepareInsertion's image onto a black
 * substrate (each value is the photo's or 0), without the tensor ops (the
 * dataset protocol batches many orders' images: protocol.ts).
 */
export function insertionKeepMasks(images: {stepOfPixel: Int32Array; step: number}[]): Float32Array {
  const size = images[0]?.stepOfPixel.length ?? 0;
  const masks = new Float32Array(images.length * size);
  images.forEach(({stepOfPixel, step}, k) => {
    const offset = k * size;
    for (let i = 0; i < size; i++) if (stepOfPixel[i] <= step) masks[offset + i] = 1;
  });
  return masks;
}

/** Deletion or insertion, with its substrate. */
export interface MetricOptions extends DeletionOptions {
  /** "deletion" (default) or "insertion". */
  metric?: MetricName;
}

export interface MetricResult extends DeletionResult {
  metric: MetricName;
}

/**
 * The insertion curve: S forward passes, the probability of the target class
 * (default: the class predicted for `image`) on each image of the sequence,
 * and its area by the trapezoid rule on linspace(0, 1, S). Higher is better.
 */
export async function insertionCurve(model: ResNet, image: tf.Tensor3D, relevance: ArrayLike<number>, options: DeletionOptions = {}): Promise<MetricResult> {
  const steps = options.steps ?? 10;
  checkInsertionSteps(steps);
  const substrateName = checkAnySubstrate(options.substrate ?? "black");
  const road = substrateName === "road" ? roadSettings(options.road) : null;
  const stepOfPixel = deletionStepOfPixel(relevance, steps);
  const target = options.target ?? (await imageLogits(model, image)).predicted;
  // ROAD: each image's missing pixels imputed from the pixels inserted so far (road.ts).
  const substrate = substrateName === "road" ? null : substrateImage(image, substrateName);
  const pixels = road ? ((await image.data()) as Float32Array) : null;
  try {
    const curve = concat(await runBatched(
      model,
      steps,
      (start, count, items) => (pixels ? prepareImputed("insertion", pixels, image.shape, stepOfPixel, start, count, road!, items) : prepareSubstituted("insertion", image, substrate!, stepOfPixel, start, count, items)),
      (batch) => tf.softmax(model.logits(batch as tf.Tensor4D)).slice([0, target], [-1, 1]).reshape([-1]),
      options,
      curvePartials(steps, options.onPartial),
    ));
    return {steps, curve, auc: trapezoidAuc(curve), target, substrate: substrateName, metric: "insertion", ...(road ? {road} : {})};
  } finally {
    substrate?.dispose();
  }
}

/** `deletionCurve` or `insertionCurve`, by `options.metric`. */
export async function metricCurve(model: ResNet, image: tf.Tensor3D, relevance: ArrayLike<number>, options: MetricOptions = {}): Promise<MetricResult> {
  const metric = options.metric ?? "deletion";
  if (metric === "insertion") return insertionCurve(model, image, relevance, options);
  if (metric !== "deletion") throw new RangeError(`unknown metric ${JSON.stringify(metric)}: use deletion or insertion`);
  return {...(await deletionCurve(model, image, relevance, options)), metric};
}

function checkInsertionSteps(steps: number): void {
  if (!Number.isInteger(steps) || steps < 2) throw new RangeError(`insertion needs an integer number of steps >= 2, got ${steps}`);
}
