// The five methods by name: `explain` dispatches to them, with the settings
// of method-info.ts (the METHODS table, the handout's settings, the steps S
// and M). Pages, the CLI, the benchmark and the dataset statistics all go
// through this table.
import type * as tf from "@tensorflow/tfjs";
import type {Explanation, MethodOptions, RunOptions} from "./explanation.js";
import {gradCam} from "./grad-cam.js";
import {grad, gradXInput} from "./gradient.js";
import {integratedGradients} from "./integrated-gradients.js";
import {occlusion} from "./occlusion.js";
import {METHODS, type MethodName} from "./method-info.js";
import type {ResNet} from "./resnet.js";

export * from "./method-info.js";

/**
 * Runs method `name`; `steps` is the occlusion grid or the IG steps (ignored
 * by the others); `incremental`: occlusion's local recomputation (see
 * OcclusionGridOptions), ignored by the others.
 */
export function explain(name: MethodName, model: ResNet, image: tf.Tensor3D, options: MethodOptions & {steps?: number; incremental?: boolean} = {}): Promise<Explanation> {
  const steps = options.steps ?? METHODS[name].steps?.default;
  switch (name) {
    case "occlusion": return occlusion(model, image, {...options, steps});
    case "grad": return grad(model, image, options);
    case "grad_x_input": return gradXInput(model, image, options);
    case "grad_cam": return gradCam(model, image, options);
    case "integrated_gradients": return integratedGradients(model, image, {...options, steps});
  }
}

/** An explanation method as a function: the normalized 224*224 map of `image` for class `target`. */
export type MapFunction = (image: tf.Tensor3D, target: number, options?: RunOptions) => Promise<Float32Array>;

/**
 * Method `name` with fixed settings (`steps`: occlusion grid or IG steps,
 * default the handout's; `incremental`: occlusion's local recomputation) as a MapFunction, for the metrics that explain
 * other images (max-sensitivity) or other classes (random-logit test).
 */
export function mapFunction(name: MethodName, model: ResNet, settings: {steps?: number; incremental?: boolean} = {}): MapFunction {
  return async (image, target, options = {}) => (await explain(name, model, image, {...options, steps: settings.steps, incremental: settings.incremental, target})).relevance;
}
