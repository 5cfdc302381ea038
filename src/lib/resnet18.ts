// The site's ResNet-18: torchvision's resnet18 with the 10 Imagenette
// classes, the generic ResNet (resnet.ts) behind a check of the state_dict
// that names the two checkpoints the site is built with.
import type {NamedTensors} from "./pth.js";
import {ResNet, type ResNetOptions} from "./resnet.js";
import {resnetShapes, standardArchitecture} from "./resnet-architecture.js";
import {WeightsError} from "./weights-error.js";

export {INPUT_MEAN, INPUT_STD, ResNet, residualBlock, type Block, type LogitsOutput, type ResNetOptions} from "./resnet.js";

/** The ImageNet class indices of the 10 Imagenette classes, in handout order. */
export const IMAGENETTE_IMAGENET_INDICES = [0, 217, 482, 491, 497, 566, 569, 571, 574, 701];

/** Every tensor torchvision's resnet18 state_dict holds (num_batches_tracked aside), with its shape. */
export function resnet18Shapes(numClasses: number): Map<string, number[]> {
  return resnetShapes(standardArchitecture("resnet18", numClasses));
}

/**
 * Checks that `stateDict` is a torchvision ResNet-18 and returns the tensors
 * the 10-class model needs. A 1000-class ImageNet head keeps the rows of the
 * Imagenette classes; a 10-class head is kept as is.
 */
export function imagenetteStateDict(stateDict: NamedTensors): NamedTensors {
  const fc = stateDict.get("fc.weight");
  if (!fc) throw new WeightsError("not-resnet", "not a torchvision ResNet-18 state_dict: it has no fc.weight");
  const numClasses = fc.shape[0];
  if (numClasses !== 10 && numClasses !== 1000) {
    throw new WeightsError("shape-mismatch", `fc.weight has ${numClasses} outputs: expected 10 (Imagenette head) or 1000 (torchvision ImageNet head)`);
  }
  const expected = resnet18Shapes(numClasses);
  const problems: string[] = [];
  let onlyShapes = true;
  for (const [name, shape] of expected) {
    const t = stateDict.get(name);
    if (!t) {
      problems.push(`missing ${name}`);
      onlyShapes = false;
    } else if (t.shape.join("x") !== shape.join("x")) problems.push(`${name} has shape [${t.shape}], expected [${shape}]`);
  }
  const extra = [...stateDict.keys()].filter((k) => !expected.has(k) && !k.endsWith("num_batches_tracked"));
  if (extra.length) onlyShapes = false;
  if (extra.length) problems.push(`unexpected tensors (${extra.slice(0, 3).join(", ")}${extra.length > 3 ? ", ..." : ""})`);
  if (problems.length) {
    throw new WeightsError(onlyShapes ? "shape-mismatch" : "not-resnet", `not a torchvision ResNet-18 state_dict: ${problems.slice(0, 4).join("; ")}${problems.length > 4 ? `; and ${problems.length - 4} more` : ""}. Use resnet18-imagenette.pth or torchvision's resnet18-f37072fd.pth.`);
  }
  const out: NamedTensors = new Map();
  for (const name of expected.keys()) out.set(name, stateDict.get(name)!);
  if (numClasses === 1000) {
    const weight = fc.data;
    const bias = stateDict.get("fc.bias")!.data;
    const w = new Float32Array(10 * 512);
    IMAGENETTE_IMAGENET_INDICES.forEach((row, i) => w.set(weight.subarray(row * 512, (row + 1) * 512), i * 512));
    out.set("fc.weight", {shape: [10, 512], data: w});
    out.set("fc.bias", {shape: [10], data: Float32Array.from(IMAGENETTE_IMAGENET_INDICES, (row) => bias[row])});
  }
  return out;
}

/**
 * The site's model: a torchvision ResNet-18 with the 10 Imagenette classes
 * (a 1000-class ImageNet head is cut to the Imagenette rows,
 * imagenetteStateDict). The generic ResNet with that check in front: every
 * method takes either.
 */
export class ResNet18 extends ResNet {
  /**
   * `stateDict`: a torchvision ResNet-18 state_dict (10- or 1000-class head);
   * `batchPolicy`: over the default (DEFAULT_BATCH_POLICY), see BatchPolicy.
   */
  constructor(stateDict: NamedTensors, options: ResNetOptions = {}) {
    super(imagenetteStateDict(stateDict), options);
  }
}
