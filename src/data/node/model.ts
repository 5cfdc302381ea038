// Loads a ResNet checkpoint (.pth or .safetensors) from disk for Node-side
// code, checking its sha256 against the model card beside it (or a known
// torchvision hash prefix). The site's ResNet-18 goes through its own check
// (imagenetteStateDict); any other torchvision ResNet is read as what its
// tensors hold, with a 1000-class ImageNet head cut to the Imagenette rows.
import {createHash} from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import type {NamedTensors} from "../../lib/pth.js";
import {inferArchitecture, type ResNetArchitecture} from "../../lib/resnet-architecture.js";
import {imagenetteStateDict, IMAGENETTE_IMAGENET_INDICES, ResNet, ResNet18} from "../../lib/resnet18.js";
import {readWeightFile} from "../../lib/weight-file.js";
import type {ImagenetteClass, WeightsManifest} from "../../lib/weights.js";
import {IMAGENETTE_WNIDS} from "./imagenette.js";

/** The 10 classes in handout order, as the weights manifest stores them. */
export const IMAGENETTE_CLASSES: ImagenetteClass[] = IMAGENETTE_WNIDS.map(({wnid, name}, index) => ({index, wnid, name}));

export interface LoadedCheckpoint {
  file: string;
  sha256: string;
  classes: ImagenetteClass[];
  head: WeightsManifest["source"]["head"];
  /** The state_dict the model is built from (1000-class heads already reduced to the 10 Imagenette rows). */
  stateDict: NamedTensors;
  /** What the state_dict holds (after the head's reduction). */
  architecture: ResNetArchitecture;
}

export function sha256(bytes: Uint8Array): string {
  return createHash("sha256").update(bytes).digest("hex");
}

/** Reads and checks a checkpoint. Errors say what to do. */
export function loadCheckpoint(file: string): LoadedCheckpoint {
  if (!fs.existsSync(file)) {
    throw new Error(`weights file not found: ${file}. Put resnet18-imagenette.pth in ../shared/models, or set EXPLAIN_WEIGHTS to a torchvision ResNet .pth or .safetensors (see README).`);
  }
  const bytes = new Uint8Array(fs.readFileSync(file));
  const digest = sha256(bytes);
  const card = readModelCard(file);
  if (card?.sha256 && card.sha256 !== digest) {
    throw new Error(`weights file ${file} has sha256 ${digest}, its model card says ${card.sha256}: the file is corrupt or truncated; copy or download it again.`);
  }
  // torchvision names its files <arch>-<first 8 hex of sha256>.pth and checks that prefix.
  const hashPrefix = /-([0-9a-f]{8,})\.pth$/.exec(path.basename(file))?.[1];
  if (!card && hashPrefix && !digest.startsWith(hashPrefix)) {
    throw new Error(`weights file ${file} has sha256 ${digest.slice(0, 16)}..., its name promises ${hashPrefix}: the download is corrupt; delete it and download again.`);
  }
  let raw: NamedTensors;
  try {
    raw = readWeightFile(bytes).tensors;
  } catch (e) {
    throw new Error(`cannot read ${file}: ${(e as Error).message}`);
  }
  const rows = raw.get("fc.weight")?.shape[0];
  const head = rows === 1000 ? "imagenet-1000" : rows === 10 || rows === undefined ? "imagenette-10" : `${rows}-class`;
  const stateDict = isResNet18(raw) ? imagenetteStateDict(raw) : imagenetteHead(raw);
  const architecture = inferArchitecture(stateDict);
  // Without a model card, a head of other than 10 classes has numbers for names.
  const classes = card?.classes ?? (architecture.classCount === 10 ? IMAGENETTE_CLASSES : Array.from({length: architecture.classCount}, (_, index) => ({index, wnid: "", name: `class ${index}`})));
  return {file, sha256: digest, classes, head, stateDict, architecture};
}

/** Whether the tensors are the site's ResNet-18 (10 or 1000 classes), or no ResNet at all: the ResNet-18's check then says what is wrong, as it always did. */
function isResNet18(raw: NamedTensors): boolean {
  try {
    const arch = inferArchitecture(raw);
    return arch.name === "resnet18" && (arch.classCount === 10 || arch.classCount === 1000);
  } catch {
    return !raw.has("layer1.0.conv3.weight") && !raw.has("layer1.2.conv1.weight");
  }
}

/** A 1000-class ImageNet head cut to the rows of the 10 Imagenette classes; other heads as they are. */
function imagenetteHead(raw: NamedTensors): NamedTensors {
  const fc = raw.get("fc.weight");
  const bias = raw.get("fc.bias");
  if (!fc || !bias || fc.shape[0] !== 1000) return raw;
  const width = fc.shape[1];
  const out: NamedTensors = new Map(raw);
  const w = new Float32Array(10 * width);
  IMAGENETTE_IMAGENET_INDICES.forEach((row, i) => w.set(fc.data.subarray(row * width, (row + 1) * width), i * width));
  out.set("fc.weight", {shape: [10, width], data: w});
  out.set("fc.bias", {shape: [10], data: Float32Array.from(IMAGENETTE_IMAGENET_INDICES, (row) => bias.data[row])});
  return out;
}

export function loadModel(file: string): {model: ResNet; checkpoint: LoadedCheckpoint} {
  const checkpoint = loadCheckpoint(file);
  const {name, classCount} = checkpoint.architecture;
  const model = name === "resnet18" && classCount === 10 ? new ResNet18(checkpoint.stateDict) : new ResNet(checkpoint.stateDict);
  return {model, checkpoint};
}

export function checkpointSource(c: LoadedCheckpoint): WeightsManifest["source"] {
  return {
    file: path.basename(c.file),
    sha256: c.sha256,
    head: c.head,
    ...(c.head === "imagenet-1000" ? {imagenetIndices: IMAGENETTE_IMAGENET_INDICES} : {}),
  };
}

interface ModelCard {
  sha256?: string;
  classes?: ImagenetteClass[];
}

/** The JSON card beside `x.pth` or `x.safetensors` (`x.json`), if any. */
export function readModelCard(file: string): ModelCard | null {
  const cardPath = file.replace(/\.(pth|safetensors)$/, ".json");
  if (cardPath === file || !fs.existsSync(cardPath)) return null;
  return JSON.parse(fs.readFileSync(cardPath, "utf8")) as ModelCard;
}
