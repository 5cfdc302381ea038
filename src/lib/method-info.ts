// The five methods' names, labels and settings, alone in a module without
// TensorFlow.js, so that code the pages import directly (the page runtime,
// ranking.ts, the dataset-wide results) can use them without pulling in
// tfjs; methods.ts re-exports them with the methods themselves.
export const METHOD_NAMES = ["occlusion", "grad", "grad_x_input", "grad_cam", "integrated_gradients"] as const;
export type MethodName = (typeof METHOD_NAMES)[number];

/** The handout's settings: occlusion grid 6, IG 20 steps, deletion 10 steps. */
export const HANDOUT_SETTINGS = {occlusionSteps: 6, integratedGradientsSteps: 20, deletionSteps: 10} as const;

/** The chapters' letter for a method's steps: the occlusion grid S, integrated gradients' path steps M. */
export type StepsSymbol = "S" | "M";

export interface MethodInfo {
  name: MethodName;
  label: string;
  /** What `steps` means for this method, or null if it has none. */
  steps: {symbol: StepsSymbol; label: string; default: number; min: number; max: number} | null;
}

export const METHODS: Record<MethodName, MethodInfo> = {
  occlusion: {name: "occlusion", label: "Occlusion", steps: {symbol: "S", label: "grid size S", default: HANDOUT_SETTINGS.occlusionSteps, min: 2, max: 32}},
  grad: {name: "grad", label: "Gradient norm", steps: null},
  grad_x_input: {name: "grad_x_input", label: "Gradient x input", steps: null},
  grad_cam: {name: "grad_cam", label: "GradCAM", steps: null},
  integrated_gradients: {name: "integrated_gradients", label: "Integrated gradients", steps: {symbol: "M", label: "steps M", default: HANDOUT_SETTINGS.integratedGradientsSteps, min: 2, max: 256}},
};

export function isMethodName(name: string): name is MethodName {
  return (METHOD_NAMES as readonly string[]).includes(name);
}

/**
 * The `steps` of method `name` among the chapters' settings (S for
 * occlusion, M for integrated gradients), or undefined for a method without
 * steps.
 */
export function methodSteps(name: MethodName, settings: Record<StepsSymbol, number>): number | undefined {
  const steps = METHODS[name].steps;
  return steps ? settings[steps.symbol] : undefined;
}

/** "S = 6" for occlusion, "M = 20" for integrated gradients, undefined for a method without steps. */
export function methodSetting(name: MethodName, settings: Record<StepsSymbol, number>): string | undefined {
  const steps = METHODS[name].steps;
  return steps ? `${steps.symbol} = ${settings[steps.symbol]}` : undefined;
}
