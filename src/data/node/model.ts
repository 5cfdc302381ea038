// Loads a ResNet checkpoint (.pth or .safetensors) from disk for Node-side
// code, checking its sha256 against the model card beside it (or a known
// torchvision hash prefix). The site's ResNet-18 goes through its own check
// (imagenetteStateDict); any other torchvision ResNet is read as what its
// tensors hold, with a 1000-class ImageNet head cut to the Imagenette rows.
// Another dataset's model (EXPLAIN_IMAGES) is any ResNet whose head has one
// output per class of that dataset.
import {createHash} from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import type {NamedTensors} from "../../lib/pth.js";
import {inferArchitecture, type ResNetArchitecture} from "../../lib/resnet-architecture.js";
import {imagenetteStateDict, IMAGENETTE_IMAGENET_INDICES, ResNet, ResNet18} from "../../lib/resnet18.js";
import {readWeightFile} from "../../lib/weight-file.js";
import type {ImagenetteClass, WeightsManifest} from "../../lib/weights.js";
import {headMismatchMessage, IMAGENETTE_CLASSES, isImagenette} from "./dataset.js";

export {IMAGENETTE_CLASSES};

/** What a checkpoint is loaded for: the classes of the images it will see (default: its model card's, else Imagenette's). */
export interface CheckpointOptions {
  /** The dataset's classes in logit order (dataset.ts); the head must have one output per class. */
  classes?: readonly ImagenetteClass[];
  /** The image folder they came from, for the error message. */
  imagesDir?: string;
}

export interface LoadedCheckpoint {
  file: string;
  sha256: string;
  classes: ImagenetteClass[];
  head: WeightsManifest["source"]["head"];
  /** The state_dict with one output per class (a 1000-class ImageNet head already reduced to Imagenette's rows). */
  stateDict: NamedTensors;
  /** What the state_dict holds (after the head's reduction). */
  architecture: ResNetArchitecture;
}

export function sha256(bytes: Uint8Array): string {
  return createHash("sha256").update(bytes).digest("hex");
}

/** Reads and checks a checkpoint. Errors say what to do. */
export function loadCheckpoint(file: string, options: CheckpointOptions = {}): LoadedCheckpoint {
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
  // Without classes given or a model card, a head of other than 10 (or ImageNet's 1000) outputs has numbers for names.
  const classes = options.classes ? [...options.classes] : (card?.classes ?? (rows === undefined || rows === 10 || rows === 1000 ? IMAGENETTE_CLASSES : numberedClasses(rows)));
  if (isImagenette(classes) && (rows === undefined || rows === 10 || rows === 1000)) {
    // Imagenette: the site's ResNet-18 keeps its own check (which also says what is wrong with a file that is no ResNet);
    // any other depth is read as its tensors say; a 1000-class ImageNet head is cut to the ten rows.
    const stateDict = isResNet18(raw) ? imagenetteStateDict(raw) : imagenetteHead(raw);
    return {file, sha256: digest, classes, head: rows === 1000 ? "imagenet-1000" : "imagenette-10", stateDict, architecture: inferArchitecture(stateDict)};
  }
  // Another dataset's model may be any ResNet: its tensors are checked (the first missing or unexpected key named) before its head is compared with the classes.
  const stateDict: NamedTensors = new Map([...raw].filter(([name]) => !name.endsWith("num_batches_tracked")));
  const architecture = inferArchitecture(stateDict);
  if (rows !== classes.length) throw new Error(headMismatchMessage(file, rows ?? 0, {dir: options.imagesDir, classes}));
  return {file, sha256: digest, classes, head: "dataset", stateDict, architecture};
}

function numberedClasses(count: number): ImagenetteClass[] {
  return Array.from({length: count}, (_, index) => ({index, wnid: "", name: `class ${index}`}));
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

export function loadModel(file: string, options: CheckpointOptions = {}): {model: ResNet; checkpoint: LoadedCheckpoint} {
  const checkpoint = loadCheckpoint(file, options);
  // Imagenette's ResNet-18 goes through ResNet18's check, as before; any other model is the ResNet its tensors describe.
  const {name} = checkpoint.architecture;
  const model = name === "resnet18" && checkpoint.head !== "dataset" ? new ResNet18(checkpoint.stateDict) : new ResNet(checkpoint.stateDict);
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
