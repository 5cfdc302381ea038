// The live figures of each chapter, declared once: the figure's name (the
// `name` its page gives it) and the library calls it makes, with the
// handout's settings. The compute engine's warm-up (warm-up.ts) runs these
// calls while the reader reads, to compile a GPU backend's programs before
// a control needs them; a test checks that every live figure of every page
// is declared here, so a new chapter or figure cannot be forgotten.
//
// A call stands for a figure's computation with fewer images where the
// count makes no difference to the programs: a curve of 2 images is one
// padded batch, as a curve of 10 is two (GPU backends pad every batch to the
// batch size: BatchPolicy). The class menus need only the gradient methods
// run for another class: gradients of a chosen class take other ops than
// the predicted class's (a one-hot mask instead of the largest logit);
// occlusion, GradCAM and integrated gradients use the same ops for any class.
import {
  ALL_SUBSTRATE_NAMES, explain, faithfulnessCorrelations, integratedGradients, mapFunction, maxSensitivity, metricCurve, METHOD_NAMES, METHODS, smoothGrad,
  type AnySubstrateName, type BaselineName, type MethodName, type MetricName, type SmoothGradMethod,
} from "../lib/index.js";
import type {WarmUpStep} from "./warm-up.js";

export interface FigureDeclaration {
  /** The figure's name on its page. */
  name: string;
  /**
   * The library calls that compile what the figure and its controls need, in
   * the order a reader is likely to need them; empty when the figure's first
   * drawing already compiled all of it (said why in `note`).
   */
  warmUp: WarmUpStep[];
  note?: string;
}

/** A class to explain instead of the predicted one (the class menus): any fixed class works. */
const OTHER_CLASS = 3;

/** Integrated gradients' handout steps (what SmoothGrad of IG and the baselines use). */
const IG_STEPS = METHODS.integrated_gradients.steps?.default;

/** Any map: only the programs matter (a ramp, so the images of a sequence differ). */
function ramp(image: {shape: number[]}): Float32Array {
  const [h, w] = image.shape;
  return Float32Array.from({length: h * w}, (_, i) => i / (h * w));
}

/** The method's map (target: undefined, the predicted class, or a chosen one), its steps the handout's (METHODS). */
function method(name: MethodName, target?: number): WarmUpStep {
  return {label: `${name}${target === undefined ? "" : `, class ${target}`}`, run: ({model, image, signal}) => explain(name, model, image, {target, signal})};
}

const ALL_METHODS: WarmUpStep[] = METHOD_NAMES.map((name) => method(name));

/** A deletion or insertion curve on a substrate: 2 images, one padded batch (the programs of any number of steps). */
function curve(metric: MetricName, substrate: AnySubstrateName): WarmUpStep {
  return {label: `${metric} curve, ${substrate}`, run: ({model, image, signal}) => metricCurve(model, image, ramp(image), {metric, substrate, steps: 2, signal})};
}

/** The deletion chapter's curves: deletion and insertion, on each fixed substrate. */
const CURVES: WarmUpStep[] = (["deletion", "insertion"] as MetricName[]).flatMap((metric) => (["black", "mean", "blur"] as AnySubstrateName[]).map((substrate) => curve(metric, substrate)));

/** SmoothGrad with one noisy copy (padded to the batch size: the programs of any n). */
function smooth(name: SmoothGradMethod): WarmUpStep {
  return {label: `SmoothGrad ${name}`, run: ({model, image, signal}) => smoothGrad(model, image, {method: name, samples: 1, steps: IG_STEPS, signal})};
}

/** Integrated gradients from a baseline, with the completeness check (one noise sample: the programs of any K). */
function baseline(name: BaselineName): WarmUpStep {
  return {label: `integrated gradients, ${name} baseline`, run: ({model, image, signal}) => integratedGradients(model, image, {baseline: name, steps: IG_STEPS, baselineSamples: 1, completeness: true, signal})};
}

/** Faithfulness correlation on a substrate with 2 subsets (one padded batch: the programs of any N and k). */
function faithfulness(substrate: AnySubstrateName): WarmUpStep {
  return {label: `faithfulness correlation, ${substrate}`, run: ({model, image, signal}) => faithfulnessCorrelations(model, image, {ramp: ramp(image)}, {subsets: 2, subsetSize: 16, substrate, signal})};
}

/** Max-sensitivity with one perturbation of the gradient norm: the perturbation's programs (each method's own are compiled by its map). */
const SENSITIVITY: WarmUpStep = {
  label: "max-sensitivity, one perturbation",
  run: ({model, image, signal}) => maxSensitivity(model, image, ramp(image), {method: mapFunction("grad", model), samples: 1, signal}),
};

/** Each chapter's live figures, by the chapter's path under /pages/ (as in observablehq.config.ts). */
export const CHAPTER_FIGURES: Record<string, FigureDeclaration[]> = {
  occlusion: [
    {name: "occluded-batch", warmUp: [], note: "the occluded copies are made and shrunk by the same programs for any grid"},
    {name: "occlusion-map", warmUp: [method("occlusion")]},
  ],
  "gradient-norm": [
    {name: "gradient-norm", warmUp: [method("grad"), method("grad", OTHER_CLASS)]},
    {name: "gradient-smoothgrad", warmUp: [smooth("grad")]},
  ],
  "gradient-x-input": [
    {name: "gradient-x-input", warmUp: [method("grad_x_input"), method("grad_x_input", OTHER_CLASS)]},
    {name: "gradient-x-input-smoothgrad", warmUp: [smooth("grad_x_input")]},
  ],
  "integrated-gradients": [
    {name: "ig-path", warmUp: [], note: "its baselines are compiled by the map's baseline steps, its thumbnails by its first drawing"},
    {name: "ig-saturation", warmUp: [], note: "eleven images in one call whatever the baseline; the baselines are compiled by the map's steps"},
    {name: "ig-map", warmUp: [method("integrated_gradients"), baseline("white"), baseline("blur"), baseline("uniform"), baseline("gaussian")]},
    {name: "ig-smoothgrad", warmUp: [smooth("integrated_gradients")]},
  ],
  "grad-cam": [
    {name: "grad-cam", warmUp: [method("grad_cam")]},
  ],
  "deletion-score": [
    {name: "deletion-random", warmUp: CURVES},
    {name: "deletion-method", warmUp: ALL_METHODS},
  ],
  "side-by-side": [
    {name: "side-by-side", warmUp: [...ALL_METHODS, ...CURVES]},
  ],
  "judging-explanations": [
    {name: "judge-maps", warmUp: ALL_METHODS},
    {name: "judge-morf-lerf", warmUp: ALL_SUBSTRATE_NAMES.map((substrate) => curve("deletion", substrate))},
    {name: "judge-faithfulness", warmUp: ALL_SUBSTRATE_NAMES.map(faithfulness)},
    {name: "judge-sensitivity", warmUp: [SENSITIVITY]},
    {name: "judge-random-logit", warmUp: [method("grad", OTHER_CLASS), method("grad_x_input", OTHER_CLASS)]},
  ],
  "sanity-checks": [
    {name: "sanity-maps", warmUp: ALL_METHODS, note: "a stage's model runs the trained model's programs"},
  ],
};
