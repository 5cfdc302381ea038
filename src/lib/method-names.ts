// The five methods' names, alone in a module without TensorFlow.js, so that
// code the pages import directly (ranking.ts, the dataset-wide results) can
// use them without pulling in tfjs; methods.ts re-exports them with the rest.
export const METHOD_NAMES = ["occlusion", "grad", "grad_x_input", "grad_cam", "integrated_gradients"] as const;
export type MethodName = (typeof METHOD_NAMES)[number];
