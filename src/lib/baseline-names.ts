// The baselines' names, alone in a module without TensorFlow.js, so that the
// pages can name and sort them without pulling in tfjs; baselines.ts
// re-exports them with the baselines themselves.

export const BASELINE_NAMES = ["black", "white", "blur", "uniform", "gaussian"] as const;
export type BaselineName = (typeof BASELINE_NAMES)[number];

export function isBaselineName(name: string): name is BaselineName {
  return (BASELINE_NAMES as readonly string[]).includes(name);
}

/** Whether the baseline is random (averaged over samples). */
export function isNoiseBaseline(name: BaselineName): boolean {
  return name === "uniform" || name === "gaussian";
}
