// Cascading model randomization (Adebayo et al., "Sanity Checks for Saliency
// Maps", NeurIPS 2018): re-initialize the ResNet's layers one group at a
// time, from the classifier down to the first convolution, and compare each
// explanation of the damaged model with the explanation of the trained one.
// A method whose maps barely change while the model is destroyed explains
// the photo (edges, texture), not the model.
//
// One stage per residual block, for any ResNet (randomizationGroups); the
// ResNet-18's stages (cumulative, top down):
//   0 trained model            6 + layer2.1
//   1 fc re-initialized        7 + layer2.0
//   2 + layer4.1               8 + layer1.1
//   3 + layer4.0               9 + layer1.0
//   4 + layer3.1              10 + conv1 / bn1 (every weight random)
//   5 + layer3.0
//
// Re-initialization follows a freshly constructed torchvision resnet18:
// - conv weights: kaiming_normal_(mode="fan_out", nonlinearity="relu"),
//   i.e. N(0, 2 / fan_out) with fan_out = out_channels * kh * kw;
// - BatchNorm: weight 1, bias 0, and the running statistics of a new module,
//   running_mean 0 and running_var 1. In eval mode such a BatchNorm is the
//   identity (up to eps), exactly as in a freshly built resnet18().eval().
//   Keeping the trained running statistics instead would normalize the
//   random conv's outputs with the mean and variance of the *trained* conv's
//   outputs: after folding, bias = -running_mean / sqrt(running_var), a
//   per-channel offset learned in training (up to 2.9 in layer2.0.bn1 of the
//   Imagenette model), so a "random" layer would still carry trained numbers
//   that shift whole channels on or off. Both choices
//   keep activations finite here (test/randomization.test.ts measures the
//   layer4 output: with fresh statistics its RMS grows from 0.35 (trained)
//   to about 12 at stage 9, as expected of residual sums without
//   normalization, and is about 2 at stage 10; with kept statistics it stays
//   1-2), so the choice is about what "re-initialized" means, not numerics.
// - fc: PyTorch's nn.Linear default, weight and bias U(-1/sqrt(in), 1/sqrt(in)), in = 512 for a ResNet-18
//   (kaiming_uniform_ with a = sqrt(5) gives exactly that bound for the weight).
//
// Random numbers come from a seeded PRNG, one stream per layer group, seeded
// by (seed, group): a stage is reproducible, and stage k+1 keeps the random
// tensors of stage k (the cascade) without having to replay earlier stages.
import type {NamedTensor, NamedTensors} from "./pth.js";
import {inferArchitecture, resnetShapes} from "./resnet-architecture.js";
import {seededRandom} from "./statistics.js";
import {MAX_RANDOMIZATION_STAGE, RANDOMIZATION_GROUPS, RANDOMIZATION_STAGES, randomizationGroups, randomizationStages, type RandomizationStage} from "./randomization-stages.js";

export {MAX_RANDOMIZATION_STAGE, RANDOMIZATION_GROUPS, RANDOMIZATION_STAGES, randomizationGroups, randomizationStages, type RandomizationStage};

/** Default seed of the page and the tests. */
export const RANDOMIZATION_SEED = 2018;

/** The layer groups of the ResNet `stateDict` holds (throws a WeightsError if it is none), checked against `stage`. */
function groupsFor(stateDict: NamedTensors, stage: number): string[] {
  const groups = randomizationGroups(inferArchitecture(stateDict).blocks);
  if (!Number.isInteger(stage) || stage < 0 || stage > groups.length) {
    throw new RangeError(`randomization stage must be an integer in [0, ${groups.length}], got ${stage}`);
  }
  return groups;
}

/** Whether tensor `name` (torchvision key) belongs to layer group `group`. */
function inGroup(name: string, group: string): boolean {
  if (group === "conv1") return name.startsWith("conv1.") || name.startsWith("bn1.");
  if (group === "fc") return name.startsWith("fc.");
  return name.startsWith(`${group}.`);
}

/** The torchvision keys re-initialized at `stage` (cumulative), in state-dict order. */
export function reinitializedTensorNames(stateDict: NamedTensors, stage: number): string[] {
  const groups = groupsFor(stateDict, stage).slice(0, stage);
  return [...stateDict.keys()].filter((name) => groups.some((g) => inGroup(name, g)));
}

/** Standard normal samples from a uniform [0, 1) source (Box-Muller, both outputs used). */
export function gaussianSampler(uniform: () => number): () => number {
  let spare: number | null = null;
  return () => {
    if (spare !== null) {
      const s = spare;
      spare = null;
      return s;
    }
    // 1 - u is in (0, 1]: log never sees 0.
    const radius = Math.sqrt(-2 * Math.log(1 - uniform()));
    const angle = 2 * Math.PI * uniform();
    spare = radius * Math.sin(angle);
    return radius * Math.cos(angle);
  };
}

/** A 32-bit seed for the stream of (seed, group index): distinct groups get unrelated streams. */
function streamSeed(seed: number, group: number): number {
  let h = (seed ^ 0x9e3779b9) >>> 0;
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b) >>> 0;
  h = (h + Math.imul(group + 1, 0xc2b2ae35)) >>> 0;
  h = Math.imul(h ^ (h >>> 13), 0x27d4eb2f) >>> 0;
  return (h ^ (h >>> 16)) >>> 0;
}

/** The value a fresh torchvision module gives one tensor (`next*` draw from the group's stream). */
function freshTensor(name: string, shape: number[], inFeatures: number, uniform: () => number, normal: () => number): NamedTensor {
  const size = shape.reduce((a, b) => a * b, 1);
  const data = new Float32Array(size);
  if (name.startsWith("fc.")) {
    // nn.Linear: weight and bias U(-1/sqrt(in_features), 1/sqrt(in_features)).
    const bound = 1 / Math.sqrt(inFeatures);
    for (let i = 0; i < size; i++) data[i] = (2 * uniform() - 1) * bound;
  } else if (name.endsWith(".running_var") || (shape.length === 1 && name.endsWith(".weight"))) {
    data.fill(1); // BatchNorm weight (gamma) and running_var
  } else if (shape.length === 1) {
    // BatchNorm bias (beta) and running_mean stay 0.
  } else {
    // Conv OIHW: kaiming_normal_(mode="fan_out", nonlinearity="relu").
    const [out, , kh, kw] = shape;
    const std = Math.sqrt(2 / (out * kh * kw));
    for (let i = 0; i < size; i++) data[i] = normal() * std;
  }
  return {shape: [...shape], data};
}

export interface RandomizationOptions {
  /** Seed of the random weights (default RANDOMIZATION_SEED). */
  seed?: number;
  /**
   * Keep the trained BatchNorm running_mean / running_var of re-initialized
   * layers instead of a fresh module's 0 / 1 (default false). Only for the
   * comparison in the tests: the page and the default use fresh statistics.
   */
  keepRunningStats?: boolean;
}

/**
 * The state dict of stage `stage`: the trained tensors, with the layer groups
 * of stages 1..stage replaced by fresh torchvision initializations. Tensors
 * that are not re-initialized are the trained ones (shared, not copied).
 * `trained`: a torchvision ResNet state dict (any depth, any number of
 * classes); the result holds the architecture's tensors only (no
 * num_batches_tracked). Throws a WeightsError if it is not a ResNet.
 */
export function randomizedStateDict(trained: NamedTensors, stage: number, {seed = RANDOMIZATION_SEED, keepRunningStats = false}: RandomizationOptions = {}): NamedTensors {
  const groups = groupsFor(trained, stage);
  const expected = resnetShapes(inferArchitecture(trained));
  // In the architecture's order: the random streams draw tensor after tensor.
  const sd: NamedTensors = new Map([...expected.keys()].map((name) => [name, trained.get(name)!]));
  const out: NamedTensors = new Map(sd);
  const inFeatures = expected.get("fc.weight")![1];
  groups.slice(0, stage).forEach((group, g) => {
    // One stream per group; tensors drawn in state-dict order, so the group's
    // values depend only on (seed, group) and not on the stage.
    const uniform = seededRandom(streamSeed(seed, g));
    const normal = gaussianSampler(uniform);
    for (const [name, t] of sd) {
      if (!inGroup(name, group)) continue;
      if (keepRunningStats && (name.endsWith(".running_mean") || name.endsWith(".running_var"))) continue;
      out.set(name, freshTensor(name, t.shape, inFeatures, uniform, normal));
    }
  });
  return out;
}
