// Compiling a chapter's GPU programs while the reader reads.
//
// Why: a GPU backend compiles a program (a WebGL shader, a WebGPU pipeline)
// the first time an op meets a new shape or configuration. A chapter's
// figures compile theirs when the page opens, but the choices a reader
// makes next (another class, another baseline, substrate, metric or method,
// SmoothGrad) each need programs of their own, so the first move of such a
// control would pay for compilation (seconds on some GPUs) on top of the
// computation. So, once the page's own requests are done and the engine is
// idle (engine.ts), it runs each of the chapter's computations once on a
// gallery photo and throws the results away: the programs stay in tfjs's
// cache. The slider values themselves need no new program: batches are
// padded to the batch size on GPU backends (setBatchPolicy, batchItems).
//
// A step is the library call a figure makes, with the handout's settings,
// or fewer images where the count makes no difference to the programs (a
// curve of 2 images is one padded batch, as a curve of 10 is two). Steps
// are cancelled between batches when a request arrives, and run again
// later. Only on GPU backends: on wasm and cpu there is nothing to compile.
import type * as tfjs from "@tensorflow/tfjs";
import {explain, HANDOUT_SETTINGS, integratedGradients, metricCurve, smoothGrad, type BaselineName, type MethodName, type MetricName, type ResNet18, type SmoothGradMethod, type SubstrateName} from "../lib/index.js";

export interface WarmUpContext {
  model: ResNet18;
  /** A gallery photo at the chapter's size, [size, size, 3] in [0, 1] (the step must not dispose it). */
  image: tfjs.Tensor3D;
  signal: AbortSignal;
}

export interface WarmUpStep {
  label: string;
  run: (context: WarmUpContext) => Promise<unknown>;
}

/** A class to explain instead of the predicted one (the class menus): any fixed class works. */
const OTHER_CLASS = 3;

const steps = (method: MethodName) => (method === "occlusion" ? HANDOUT_SETTINGS.occlusionSteps : method === "integrated_gradients" ? HANDOUT_SETTINGS.integratedGradientsSteps : undefined);

/** The method's map (target: undefined, the predicted class, or a chosen one). */
function method(name: MethodName, target?: number): WarmUpStep {
  return {label: `${name}${target === undefined ? "" : `, class ${target}`}`, run: ({model, image, signal}) => explain(name, model, image, {steps: steps(name), target, signal})};
}

/** A deletion or insertion curve on a substrate: 2 images, one padded batch (the programs of any number of steps). */
function curve(metric: MetricName, substrate: SubstrateName): WarmUpStep {
  return {
    label: `${metric} curve, ${substrate}`,
    run: ({model, image, signal}) => {
      const [h, w] = image.shape;
      // Any map: only the programs matter (a ramp, so the two images differ).
      const relevance = Float32Array.from({length: h * w}, (_, i) => i / (h * w));
      return metricCurve(model, image, relevance, {metric, substrate, steps: 2, signal});
    },
  };
}

/** SmoothGrad with one noisy copy (padded to the batch size: the programs of any n). */
function smooth(name: SmoothGradMethod): WarmUpStep {
  return {label: `SmoothGrad ${name}`, run: ({model, image, signal}) => smoothGrad(model, image, {method: name, samples: 1, steps: HANDOUT_SETTINGS.integratedGradientsSteps, signal})};
}

/** Integrated gradients from a baseline, with the completeness check (one noise sample: the programs of any K). */
function baseline(name: BaselineName): WarmUpStep {
  return {label: `integrated gradients, ${name} baseline`, run: ({model, image, signal}) => integratedGradients(model, image, {baseline: name, steps: HANDOUT_SETTINGS.integratedGradientsSteps, baselineSamples: 1, completeness: true, signal})};
}

const ALL_METHODS: MethodName[] = ["occlusion", "grad", "grad_x_input", "integrated_gradients", "grad_cam"];
const CURVES: WarmUpStep[] = (["deletion", "insertion"] as MetricName[]).flatMap((metric) => (["black", "mean", "blur"] as SubstrateName[]).map((substrate) => curve(metric, substrate)));

/**
 * Each chapter's computations (its path under /pages/), in the order a
 * reader is likely to need them: the figures' defaults first (already
 * compiled when the page computed them: cheap), then the menus' choices.
 */
export const CHAPTER_WARM_UPS: Record<string, WarmUpStep[]> = {
  occlusion: [method("occlusion")],
  // Gradients of a chosen class take other ops than the predicted class's
  // (a one-hot mask instead of the largest logit); occlusion, GradCAM and
  // integrated gradients use the same ops for any class.
  "gradient-norm": [method("grad"), smooth("grad"), method("grad", OTHER_CLASS)],
  "gradient-x-input": [method("grad_x_input"), smooth("grad_x_input"), method("grad_x_input", OTHER_CLASS)],
  "integrated-gradients": [method("integrated_gradients"), baseline("white"), baseline("blur"), baseline("uniform"), baseline("gaussian"), smooth("integrated_gradients")],
  "grad-cam": [method("grad_cam")],
  "deletion-score": [...ALL_METHODS.map((m) => method(m)), ...CURVES],
  "side-by-side": [...ALL_METHODS.map((m) => method(m)), ...CURVES],
  "sanity-checks": ALL_METHODS.map((m) => method(m)),
};

/** The warm-up of a chapter (by its path, e.g. "/pages/occlusion" or "occlusion"); empty for pages without live figures. */
export function chapterWarmUp(chapter: string): WarmUpStep[] {
  const name = chapter.replace(/\.html$/, "").split("/").filter(Boolean).pop() ?? "";
  return CHAPTER_WARM_UPS[name] ?? [];
}
