// Which ResNet a state_dict holds, read from its keys and shapes alone (no
// flag): torchvision's resnet18/34/50/101/152 (and wide_resnet50_2/101_2),
// and timm's ResNets, which use the same key names. A stage is `layerK`, a
// block `layerK.i` with conv1/bn1, conv2/bn2 (BasicBlock) and conv3/bn3
// (Bottleneck), the first block of a stage a `downsample.0/1` projection
// where the shape changes; the stem is conv1/bn1, the head fc.
import {WeightsError} from "./weights-error.js";

export type BlockKind = "basic" | "bottleneck";

export interface ResNetArchitecture {
  /** "resnet18", "resnet50", ...; with non-standard widths "resnet50-w128-256-512-1024". */
  name: string;
  block: BlockKind;
  /** Output channels of the stem (conv1): 64 in torchvision. */
  stemWidth: number;
  /** Blocks per stage: [2,2,2,2] for resnet18, [3,4,6,3] for resnet34 and resnet50, ... */
  blocks: number[];
  /** Per stage, the width of the block's inner convolutions (conv1's output channels). */
  widths: number[];
  /** Per stage, the block's output channels (BasicBlock: the width; Bottleneck: 4 x the width in torchvision). */
  outChannels: number[];
  /** Rows of fc: the number of classes. */
  classCount: number;
}

/** What inference reads of a tensor: its shape. */
type Shapes = Map<string, {shape: number[]}>;

const STANDARD_WIDTHS = [64, 128, 256, 512];
const WHAT_TO_DO = "Use a torchvision or timm ResNet state_dict (resnet18, 34, 50, 101 or 152; any number of classes) saved with torch.save(model.state_dict()) or as .safetensors.";

/** The first block of stage s > 0 halves the map (torchvision: stride 2 on conv1 of a BasicBlock, conv2 of a Bottleneck, and the projection). */
export function stageStride(stage: number): number {
  return stage === 0 ? 1 : 2;
}

/** Key prefixes of the blocks, in forward order: "layer1.0", "layer1.1", ... */
export function blockPrefixes(arch: Pick<ResNetArchitecture, "blocks">): string[] {
  return arch.blocks.flatMap((n, s) => Array.from({length: n}, (_, b) => `layer${s + 1}.${b}`));
}

/** Input channels of stage `stage`'s first block. */
function stageInput(arch: ResNetArchitecture, stage: number): number {
  return stage === 0 ? arch.stemWidth : arch.outChannels[stage - 1];
}

/** Whether block 0 of `stage` has a downsample projection (torchvision's rule: stride != 1 or channels change). */
export function hasDownsample(arch: ResNetArchitecture, stage: number): boolean {
  return stageStride(stage) !== 1 || stageInput(arch, stage) !== arch.outChannels[stage];
}

/** Every tensor of the architecture's state_dict (num_batches_tracked aside), with its shape, in torchvision's order. */
export function resnetShapes(arch: ResNetArchitecture): Map<string, number[]> {
  const shapes = new Map<string, number[]>();
  const bn = (prefix: string, c: number) => {
    for (const p of ["weight", "bias", "running_mean", "running_var"]) shapes.set(`${prefix}.${p}`, [c]);
  };
  shapes.set("conv1.weight", [arch.stemWidth, 3, 7, 7]);
  bn("bn1", arch.stemWidth);
  arch.blocks.forEach((count, s) => {
    const [width, out] = [arch.widths[s], arch.outChannels[s]];
    for (let b = 0; b < count; b++) {
      const p = `layer${s + 1}.${b}`;
      const cin = b === 0 ? stageInput(arch, s) : out;
      if (arch.block === "basic") {
        shapes.set(`${p}.conv1.weight`, [width, cin, 3, 3]);
        bn(`${p}.bn1`, width);
        shapes.set(`${p}.conv2.weight`, [out, width, 3, 3]);
        bn(`${p}.bn2`, out);
      } else {
        shapes.set(`${p}.conv1.weight`, [width, cin, 1, 1]);
        bn(`${p}.bn1`, width);
        shapes.set(`${p}.conv2.weight`, [width, width, 3, 3]);
        bn(`${p}.bn2`, width);
        shapes.set(`${p}.conv3.weight`, [out, width, 1, 1]);
        bn(`${p}.bn3`, out);
      }
      if (b === 0 && hasDownsample(arch, s)) {
        shapes.set(`${p}.downsample.0.weight`, [out, cin, 1, 1]);
        bn(`${p}.downsample.1`, out);
      }
    }
  });
  shapes.set("fc.weight", [arch.classCount, arch.outChannels[arch.outChannels.length - 1]]);
  shapes.set("fc.bias", [arch.classCount]);
  return shapes;
}

/** The name torchvision gives the architecture, from its depth (convolutions and fc along the main path). */
export function architectureName(arch: Omit<ResNetArchitecture, "name">): string {
  const perBlock = arch.block === "basic" ? 2 : 3;
  const depth = 2 + perBlock * arch.blocks.reduce((a, b) => a + b, 0);
  const expansion = arch.block === "basic" ? 1 : 4;
  const standard = arch.stemWidth === 64 && arch.widths.length === 4 && arch.widths.every((w, i) => w === STANDARD_WIDTHS[i] && arch.outChannels[i] === w * expansion);
  return standard ? `resnet${depth}` : `resnet${depth}-w${arch.widths.join("-")}`;
}

/** The architecture of the standard torchvision ResNets, e.g. `standardArchitecture("resnet50", 1000)`. */
export function standardArchitecture(name: "resnet18" | "resnet34" | "resnet50" | "resnet101" | "resnet152", classCount: number): ResNetArchitecture {
  const table = {resnet18: ["basic", [2, 2, 2, 2]], resnet34: ["basic", [3, 4, 6, 3]], resnet50: ["bottleneck", [3, 4, 6, 3]], resnet101: ["bottleneck", [3, 4, 23, 3]], resnet152: ["bottleneck", [3, 8, 36, 3]]} as const;
  const [block, blocks] = table[name];
  const expansion = block === "basic" ? 1 : 4;
  return {name, block, stemWidth: 64, blocks: [...blocks], widths: [...STANDARD_WIDTHS], outChannels: STANDARD_WIDTHS.map((w) => w * expansion), classCount};
}

function shapeOf(stateDict: Shapes, key: string, what: string): number[] {
  const t = stateDict.get(key);
  if (!t) throw new WeightsError("not-resnet", `not a ResNet state_dict: the first missing key is ${key} (${what}). ${WHAT_TO_DO}`);
  return t.shape;
}

/**
 * Reads the architecture from the state_dict's keys and shapes, and checks
 * every tensor against it. Throws a WeightsError: "not-resnet" naming the
 * first missing key (in torchvision's order) or else the first unexpected
 * one (in the file's order); "shape-mismatch" naming the first tensor whose
 * shape differs, with the expected and the found shape.
 */
export function inferArchitecture(stateDict: Shapes): ResNetArchitecture {
  const stemWidth = shapeOf(stateDict, "conv1.weight", "the stem convolution")[0];
  shapeOf(stateDict, "fc.weight", "the classifier");
  let stages = 0;
  for (const key of stateDict.keys()) {
    const m = /^layer(\d+)\./.exec(key);
    if (m) stages = Math.max(stages, Number(m[1]));
  }
  if (stages === 0) shapeOf(stateDict, "layer1.0.conv1.weight", "the first block");
  const block: BlockKind = stateDict.has("layer1.0.conv3.weight") ? "bottleneck" : "basic";
  const blocks: number[] = [];
  const widths: number[] = [];
  const outChannels: number[] = [];
  for (let s = 0; s < stages; s++) {
    let count = 0;
    const prefix = `layer${s + 1}.`;
    for (const key of stateDict.keys()) {
      const m = key.startsWith(prefix) ? /^(\d+)\./.exec(key.slice(prefix.length)) : null;
      if (m) count = Math.max(count, Number(m[1]) + 1);
    }
    widths.push(shapeOf(stateDict, `${prefix}0.conv1.weight`, `the first block of stage ${s + 1}`)[0]);
    outChannels.push(shapeOf(stateDict, `${prefix}0.${block === "basic" ? "conv2" : "conv3"}.weight`, `the last convolution of a ${block === "basic" ? "BasicBlock" : "Bottleneck"}`)[0]);
    blocks.push(count);
  }
  const classCount = stateDict.get("fc.weight")!.shape[0];
  const partial = {block, stemWidth, blocks, widths, outChannels, classCount};
  const arch: ResNetArchitecture = {name: architectureName(partial), ...partial};
  checkTensors(stateDict, arch);
  return arch;
}

/** Every tensor of `arch` is there with its shape, and nothing else (num_batches_tracked aside). */
export function checkTensors(stateDict: Shapes, arch: ResNetArchitecture): void {
  const expected = resnetShapes(arch);
  const kind = `a ${arch.block === "basic" ? "BasicBlock" : "Bottleneck"} ResNet with [${arch.blocks}] blocks`;
  for (const key of expected.keys()) {
    if (!stateDict.has(key)) throw new WeightsError("not-resnet", `not a ResNet state_dict: the first missing key is ${key} (the keys read as ${kind}). ${WHAT_TO_DO}`);
  }
  for (const key of stateDict.keys()) {
    if (!expected.has(key) && !key.endsWith("num_batches_tracked")) {
      throw new WeightsError("not-resnet", `not a ResNet state_dict: the first unexpected key is ${key} (the keys read as ${kind}). ${WHAT_TO_DO}`);
    }
  }
  for (const [key, shape] of expected) {
    const found = stateDict.get(key)!.shape;
    if (found.join("x") !== shape.join("x")) {
      throw new WeightsError("shape-mismatch", `${key} has shape [${found.join(", ")}], expected [${shape.join(", ")}] for ${kind} (stem width ${arch.stemWidth}, widths [${arch.widths}], ${arch.classCount} classes): the tensors do not fit one network. Re-save the model's state_dict unchanged.`);
    }
  }
}
