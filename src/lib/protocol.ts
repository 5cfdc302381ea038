// The dataset-wide deletion protocol for one image: all five methods at the
// handout's settings, then each method's deletion curve and AUC, and the
// cheap evaluation metrics of each map (stats-format.ts PROTOCOL_METRIC_NAMES):
// its LeRF AUC (morf-lerf.ts), its insertion AUC onto black (insertion.ts),
// its sparseness and complexity (complexity.ts). It computes exactly what
// running the methods and the metrics one by one computes, but shares the
// work they have in common:
//  - one forward pass gives the logits, the prediction, GradCAM's layer4
//    features and the activations occlusion starts from: each occluded copy
//    recomputes only what its patch changes (occlusion-forward.ts);
//  - one backward pass gives the gradient used by gradient norm, gradient x
//    input and the first (a = 1) integrated-gradients path image;
//  - the last IG path image (a = 0) and the last deletion image are both the
//    black image, identical for every photo: its logits and its gradient per
//    class are computed once and cached;
//  - the first deletion image is the photo itself, whose probability is known;
//  - the deletion images of all five methods go through the model together,
//    in full batches;
//  - LeRF's first and last images are deletion's (the photo, black), and
//    insertion's are the same two the other way round (black, the photo):
//    only their S-2 inner images are new, and those of all five methods and
//    both metrics go through the model together, after deletion's (so the
//    deletion images are batched exactly as before the metrics existed).
// Per image, at S deletion steps: 3 (S-2) images per method (S = 10: 120),
// against S-2 (40) for the deletion AUCs alone. LeRF's image k and
// insertion's image S-1-k nearly coincide (both keep the most relevant
// pixels on black) but are not the same image: they differ by a pixel when
// S-1 does not divide the pixel count (224 x 224 in 9 chunks: 5,575 k
// pixels against 5,575 k + 1), and tied values are taken in opposite
// orders; so both are computed.
import * as tf from "@tensorflow/tfjs";
import {complexity, sparseness} from "./complexity.js";
import {deletionKeepMasks, deletionStepOfPixel, trapezoidAuc} from "./deletion.js";
import {checkAborted, concat, logitGradient, runBatched, softmax, type RunOptions} from "./explanation.js";
import {gradCamFromFeatures} from "./grad-cam.js";
import {gradRelevance, gradXInputRelevance} from "./gradient.js";
import {insertionKeepMasks} from "./insertion.js";
import {integratedGradientsRelevance, pathGradientSum} from "./integrated-gradients.js";
import {HANDOUT_SETTINGS, METHOD_NAMES, type MethodName} from "./methods.js";
import {negatedRelevance} from "./morf-lerf.js";
import {occlusionGrid, occlusionRelevance} from "./occlusion.js";
import {OcclusionForward} from "./occlusion-forward.js";
import type {ResNet} from "./resnet.js";
import type {ProtocolMetricName} from "./stats-format.js";

export interface ProtocolSettings {
  occlusionSteps: number;
  integratedGradientsSteps: number;
  deletionSteps: number;
}

export const DEFAULT_PROTOCOL_SETTINGS: ProtocolSettings = {...HANDOUT_SETTINGS};

/**
 * Version of the protocol's per-image results. Bump it with any change that
 * alters a row of the dataset statistics (an AUC, the prediction, the
 * confidence) for the same model and settings: it is part of the per-image
 * cache key, and `npm run stats:merge` and EXPLAIN_STATS_FROM refuse files of
 * another version, so numbers of two protocols never end up in one table.
 * 1: deletion AUCs; 2: plus LeRF and insertion AUCs, sparseness, complexity.
 */
export const PROTOCOL_VERSION = 2;

export interface ProtocolResult {
  logits: Float32Array;
  predicted: number;
  /** Softmax probability of the predicted class. */
  confidence: number;
  /** Deletion (MoRF) AUC of each method. */
  auc: Record<MethodName, number>;
  /** Deletion curves: the probability of the predicted class on each of the S images. */
  curves: Record<MethodName, Float32Array>;
  /** LeRF curves: the deletion protocol on -relevance (morf-lerf.ts lerfCurve), black. */
  lerfCurves: Record<MethodName, Float32Array>;
  /** Insertion curves onto black (insertion.ts insertionCurve). */
  insertionCurves: Record<MethodName, Float32Array>;
  /** LeRF and insertion AUCs, sparseness and complexity of each method's map. */
  metrics: Record<ProtocolMetricName, Record<MethodName, number>>;
  relevance: Record<MethodName, Float32Array>;
  /**
   * Milliseconds spent per stage: the methods, "deletion" (all deletion
   * curves), "lerf_insertion" (all LeRF and insertion curves), "concentration"
   * (sparseness and complexity of all maps).
   */
  timings: Record<MethodName | "forward" | "deletion" | "lerf_insertion" | "concentration", number>;
}

export class DeletionProtocol {
  private black: {logits: Float32Array; gradients: Map<number, tf.Tensor3D>} | null = null;

  constructor(
    private readonly model: ResNet,
    readonly settings: ProtocolSettings = DEFAULT_PROTOCOL_SETTINGS,
    private readonly options: RunOptions = {},
  ) {
    if (settings.integratedGradientsSteps < 2) throw new RangeError("integrated gradients needs >= 2 steps");
    if (settings.deletionSteps < 2) throw new RangeError("deletion needs >= 2 steps");
  }

  /** Logits of the black image, and the gradient of each class's logit there (computed once). */
  private async blackImage(target: number): Promise<{logits: Float32Array; gradient: tf.Tensor3D}> {
    if (!this.black) {
      const t = tf.tidy(() => this.model.logits(tf.zeros([1, 224, 224, 3])));
      this.black = {logits: (await t.data()) as Float32Array, gradients: new Map()};
      t.dispose();
    }
    let gradient = this.black.gradients.get(target);
    if (!gradient) {
      gradient = tf.tidy(() => logitGradient(this.model, tf.zeros([1, 224, 224, 3]), target).squeeze([0]) as tf.Tensor3D);
      this.black.gradients.set(target, gradient);
    }
    return {logits: this.black.logits, gradient};
  }

  async run(image: tf.Tensor3D): Promise<ProtocolResult> {
    const timings = {} as ProtocolResult["timings"];
    let t0 = performance.now();
    const lap = (key: keyof ProtocolResult["timings"]) => {
      const now = performance.now();
      timings[key] = now - t0;
      t0 = now;
    };

    // Forward pass, keeping the activations occlusion reuses: logits,
    // prediction, layer4 features for GradCAM.
    const batch = image.expandDims(0) as tf.Tensor4D;
    const photo = new OcclusionForward(this.model, image);
    const {logits, predicted} = await photo.photoLogits();
    const probability = softmax(logits)[predicted];
    lap("forward");

    try {
      const relevance = await this.relevances(image, batch, photo, predicted, probability, lap);
      const pBlack = softmax((await this.blackImage(predicted)).logits)[predicted];
      const {curves, auc, stepOfPixel} = await this.deletionCurves(image, relevance, predicted, probability, pBlack);
      lap("deletion");
      const {lerfCurves, insertionCurves, metrics} = await this.lerfAndInsertionCurves(image, relevance, stepOfPixel, predicted, probability, pBlack);
      lap("lerf_insertion");
      for (const m of METHOD_NAMES) {
        metrics.sparseness[m] = sparseness(relevance[m]);
        metrics.complexity[m] = complexity(relevance[m]);
      }
      lap("concentration");
      checkAborted(this.options.signal);
      return {logits, predicted, confidence: probability, auc, curves, lerfCurves, insertionCurves, metrics, relevance, timings};
    } finally {
      photo.dispose();
      batch.dispose();
    }
  }

  /** The five methods' relevance maps for the predicted class, each stage timed by `lap`. */
  private async relevances(image: tf.Tensor3D, batch: tf.Tensor4D, photo: OcclusionForward, predicted: number, probability: number, lap: (key: MethodName) => void): Promise<ProtocolResult["relevance"]> {
    const {model, settings, options} = this;
    const relevance = {} as ProtocolResult["relevance"];
    relevance.grad_cam = (await gradCamFromFeatures(model, photo.features, predicted, image.shape[0])).relevance;
    lap("grad_cam");

    // One backward pass for gradient norm, gradient x input and IG's a = 1 image.
    const gradient = tf.tidy(() => logitGradient(model, batch, predicted).squeeze([0]) as tf.Tensor3D);
    try {
      relevance.grad = await readAndDispose(gradRelevance(gradient));
      lap("grad");
      relevance.grad_x_input = await readAndDispose(gradXInputRelevance(gradient, image));
      lap("grad_x_input");

      const steps = settings.integratedGradientsSteps;
      const black = await this.blackImage(predicted);
      const interior = Array.from({length: steps - 2}, (_, k) => k + 1);
      const interiorSum = await pathGradientSum(model, image, steps, predicted, interior, options);
      const sum = tf.tidy(() => tf.addN([gradient, black.gradient, interiorSum]) as tf.Tensor3D);
      interiorSum.dispose();
      const ig = integratedGradientsRelevance(image, sum, steps);
      sum.dispose();
      relevance.integrated_gradients = await readAndDispose(ig.relevance);
      ig.attributions.dispose();
      lap("integrated_gradients");
    } finally {
      gradient.dispose();
    }

    const grid = await occlusionGrid(model, image, settings.occlusionSteps, predicted, probability, {...options, incremental: true, photo});
    relevance.occlusion = await readAndDispose(occlusionRelevance(grid, settings.occlusionSteps, image.shape[0]));
    lap("occlusion");
    return relevance;
  }

  /** Deletion: images 1 .. S-2 of every method, batched together; the curves, their AUCs, and each method's deletion order. */
  private async deletionCurves(image: tf.Tensor3D, relevance: ProtocolResult["relevance"], predicted: number, probability: number, pBlack: number) {
    const {model, options} = this;
    const s = this.settings.deletionSteps;
    const stepOfPixel = Object.fromEntries(METHOD_NAMES.map((m) => [m, deletionStepOfPixel(relevance[m], s)])) as Record<MethodName, Int32Array>;
    const jobs = METHOD_NAMES.flatMap((m) => Array.from({length: Math.max(s - 2, 0)}, (_, k) => ({method: m, step: k + 1})));
    const probabilities = concat(await runBatched(
      model,
      jobs.length,
      (start, count) => tf.mul(image.expandDims(0), tf.tensor4d(
        deletionKeepMasks(jobs.slice(start, start + count).map(({method, step}) => ({stepOfPixel: stepOfPixel[method], step}))),
        [count, image.shape[0], image.shape[1], 1])),
      (images) => tf.softmax(model.logits(images as tf.Tensor4D)).slice([0, predicted], [-1, 1]).reshape([-1]),
      options,
    ));
    const curves = {} as ProtocolResult["curves"];
    const auc = {} as ProtocolResult["auc"];
    METHOD_NAMES.forEach((m, i) => {
      const curve = new Float32Array(s);
      curve[0] = probability;
      curve.set(probabilities.subarray(i * (s - 2), (i + 1) * (s - 2)), 1);
      curve[s - 1] = pBlack;
      curves[m] = curve;
      auc[m] = trapezoidAuc(curve);
    });
    return {curves, auc, stepOfPixel};
  }

  /**
   * LeRF (deletion of -relevance: lerfCurve's order, negatedRelevance then
   * deletionStepOfPixel) and insertion onto black (deletion's order; image k
   * keeps the pixels deletion has removed by image k). Images 1 .. S-2 of
   * every method and both metrics, batched together; LeRF runs from the
   * photo to black, insertion from black to the photo. The metrics come back
   * with their AUCs filled in.
   */
  private async lerfAndInsertionCurves(image: tf.Tensor3D, relevance: ProtocolResult["relevance"], stepOfPixel: Record<MethodName, Int32Array>, predicted: number, probability: number, pBlack: number) {
    const {model, options} = this;
    const s = this.settings.deletionSteps;
    const lerfStepOfPixel = Object.fromEntries(METHOD_NAMES.map((m) => [m, deletionStepOfPixel(negatedRelevance(relevance[m]), s)])) as Record<MethodName, Int32Array>;
    const inner = Array.from({length: Math.max(s - 2, 0)}, (_, k) => k + 1);
    const curveJobs = [
      ...METHOD_NAMES.flatMap((method) => inner.map((step) => ({metric: "lerf" as const, method, step}))),
      ...METHOD_NAMES.flatMap((method) => inner.map((step) => ({metric: "insertion" as const, method, step}))),
    ];
    const size = image.shape[0] * image.shape[1];
    const curveProbabilities = concat(await runBatched(
      model,
      curveJobs.length,
      (start, count) => {
        const batchJobs = curveJobs.slice(start, start + count);
        const masks = new Float32Array(count * size);
        batchJobs.forEach(({metric, method, step}, k) => {
          masks.set(metric === "lerf" ? deletionKeepMasks([{stepOfPixel: lerfStepOfPixel[method], step}]) : insertionKeepMasks([{stepOfPixel: stepOfPixel[method], step}]), k * size);
        });
        return tf.mul(image.expandDims(0), tf.tensor4d(masks, [count, image.shape[0], image.shape[1], 1]));
      },
      (images) => tf.softmax(model.logits(images as tf.Tensor4D)).slice([0, predicted], [-1, 1]).reshape([-1]),
      options,
    ));
    const lerfCurves = {} as ProtocolResult["lerfCurves"];
    const insertionCurves = {} as ProtocolResult["insertionCurves"];
    const metrics = {lerf_auc: {}, insertion_auc: {}, sparseness: {}, complexity: {}} as ProtocolResult["metrics"];
    const innerCount = inner.length;
    METHOD_NAMES.forEach((m, i) => {
      const lerf = new Float32Array(s);
      lerf[0] = probability;
      lerf.set(curveProbabilities.subarray(i * innerCount, (i + 1) * innerCount), 1);
      lerf[s - 1] = pBlack;
      lerfCurves[m] = lerf;
      metrics.lerf_auc[m] = trapezoidAuc(lerf);
      const insertion = new Float32Array(s);
      insertion[0] = pBlack;
      const offset = (METHOD_NAMES.length + i) * innerCount;
      insertion.set(curveProbabilities.subarray(offset, offset + innerCount), 1);
      insertion[s - 1] = probability;
      insertionCurves[m] = insertion;
      metrics.insertion_auc[m] = trapezoidAuc(insertion);
    });
    return {lerfCurves, insertionCurves, metrics};
  }

  dispose(): void {
    this.black?.gradients.forEach((g) => g.dispose());
    this.black = null;
  }
}

async function readAndDispose(t: tf.Tensor): Promise<Float32Array> {
  const values = (await t.data()) as Float32Array;
  t.dispose();
  return values;
}
