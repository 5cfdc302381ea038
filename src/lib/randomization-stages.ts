// The stages of the cascading randomization (randomization.ts), alone in a
// module without TensorFlow.js, so that the pages can label them without
// pulling in tfjs; randomization.ts re-exports them with the randomization.

export interface RandomizationStage {
  /** 0 .. 10 */
  stage: number;
  /** The layer group re-initialized at this stage ("" for stage 0). */
  group: string;
  /** Short label for axes and captions. */
  label: string;
}

/** The layer groups, top down: stage k re-initializes groups 1..k. */
export const RANDOMIZATION_GROUPS = ["fc", "layer4.1", "layer4.0", "layer3.1", "layer3.0", "layer2.1", "layer2.0", "layer1.1", "layer1.0", "conv1"] as const;

export const RANDOMIZATION_STAGES: RandomizationStage[] = [
  {stage: 0, group: "", label: "trained"},
  ...RANDOMIZATION_GROUPS.map((group, i) => ({stage: i + 1, group, label: group === "conv1" ? "conv1/bn1" : group})),
];

export const MAX_RANDOMIZATION_STAGE = RANDOMIZATION_GROUPS.length;
