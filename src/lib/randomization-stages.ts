// The stages of the cascading randomization (randomization.ts), alone in a
// module without TensorFlow.js, so that the pages can label them without
// pulling in tfjs; randomization.ts re-exports them with the randomization.

export interface RandomizationStage {
  /** 0 .. the number of groups (10 for a ResNet-18) */
  stage: number;
  /** The layer group re-initialized at this stage ("" for stage 0). */
  group: string;
  /** Short label for axes and captions. */
  label: string;
}

/**
 * The layer groups of a ResNet with `blocks` blocks per stage, top down: fc,
 * each block from the last to the first ("layer4.1", ...), conv1 (with bn1).
 * Stage k re-initializes groups 1..k.
 */
export function randomizationGroups(blocks: readonly number[]): string[] {
  const names = blocks.flatMap((n, s) => Array.from({length: n}, (_, b) => `layer${s + 1}.${b}`));
  return ["fc", ...names.reverse(), "conv1"];
}

/** The stages of a ResNet with `blocks` blocks per stage: 0 (trained), then one per group. */
export function randomizationStages(blocks: readonly number[]): RandomizationStage[] {
  return stagesOf(randomizationGroups(blocks));
}

function stagesOf(groups: readonly string[]): RandomizationStage[] {
  return [{stage: 0, group: "", label: "trained"}, ...groups.map((group, i) => ({stage: i + 1, group, label: group === "conv1" ? "conv1/bn1" : group}))];
}

/** The layer groups of the ResNet-18 (randomizationGroups([2, 2, 2, 2])), top down: stage k re-initializes groups 1..k. */
export const RANDOMIZATION_GROUPS = ["fc", "layer4.1", "layer4.0", "layer3.1", "layer3.0", "layer2.1", "layer2.0", "layer1.1", "layer1.0", "conv1"] as const;

/** The ResNet-18's stages (the sanity-check page's). */
export const RANDOMIZATION_STAGES: RandomizationStage[] = stagesOf(RANDOMIZATION_GROUPS);

/** The ResNet-18's last stage (every weight random). */
export const MAX_RANDOMIZATION_STAGE = RANDOMIZATION_GROUPS.length;
