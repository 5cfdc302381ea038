// MoRF, LeRF and the area between their curves (ABPC): the two removal
// orders of perturbation tests (most / least relevant first; ROAD, Rong et
// al., ICML 2022, reports both), and one score that needs a map to be right
// about both ends of its ranking.
//  - MoRF, most relevant first, is the deletion metric (deletion.ts): a
//    faithful map makes the class probability fall fast, a SMALL area.
//  - LeRF, least relevant first, is the deletion protocol applied to
//    -relevance: the same steps, chunks and tie rule (on -r: descending -r,
//    ties broken by the later flat index first; NaN still first), the same
//    substrate. A faithful map removes the unimportant pixels first and the
//    probability stays up: a LARGE area.
//  - ABPC = LeRF AUC - MoRF AUC: higher is better. A map whose order carries
//    no information has MoRF and LeRF curves with the same distribution, so
//    ABPC is 0 on average.
import type * as tf from "@tensorflow/tfjs";
import {deletionCurve, type DeletionOptions, type DeletionResult} from "./deletion.js";
import {imageLogits} from "./explanation.js";
import type {ResNet} from "./resnet.js";

/** -relevance, value by value (float64, so every input value negates exactly). */
export function negatedRelevance(relevance: ArrayLike<number>): Float64Array {
  return Float64Array.from(relevance, (v) => -v);
}

/** MoRF: the deletion curve itself (most relevant pixels removed first). */
export function morfCurve(model: ResNet, image: tf.Tensor3D, relevance: ArrayLike<number>, options: DeletionOptions = {}): Promise<DeletionResult> {
  return deletionCurve(model, image, relevance, options);
}

/** LeRF: the deletion curve of -relevance (least relevant pixels removed first). */
export function lerfCurve(model: ResNet, image: tf.Tensor3D, relevance: ArrayLike<number>, options: DeletionOptions = {}): Promise<DeletionResult> {
  return deletionCurve(model, image, negatedRelevance(relevance), options);
}

export interface AreaBetweenCurves {
  morf: DeletionResult;
  lerf: DeletionResult;
  /** LeRF AUC - MoRF AUC. */
  abpc: number;
  target: number;
}

/**
 * MoRF and LeRF curves (same steps, substrate and class) and the area
 * between them. 2 S images through the model; onProgress counts both curves'
 * images; the target (default: the predicted class) is computed once.
 */
export async function areaBetweenCurves(model: ResNet, image: tf.Tensor3D, relevance: ArrayLike<number>, options: DeletionOptions = {}): Promise<AreaBetweenCurves> {
  const steps = options.steps ?? 10;
  const target = options.target ?? (await imageLogits(model, image)).predicted;
  const progress = (offset: number) => options.onProgress && ((done: number) => options.onProgress!(offset + done, 2 * steps));
  const morf = await morfCurve(model, image, relevance, {...options, target, onProgress: progress(0)});
  const lerf = await lerfCurve(model, image, relevance, {...options, target, onProgress: progress(steps)});
  return {morf, lerf, abpc: lerf.auc - morf.auc, target};
}
