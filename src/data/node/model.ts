// Loads a ResNet-18 checkpoint from disk for Node-side code, checking its
// sha256 against the model card beside it (or a known torchvision hash prefix).
import {createHash} from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import {readPth, type NamedTensors} from "../../lib/pth.js";
import {imagenetteStateDict, IMAGENETTE_IMAGENET_INDICES, ResNet, ResNet18} from "../../lib/resnet18.js";
import {inferArchitecture} from "../../lib/resnet-architecture.js";
import type {ImagenetteClass, WeightsManifest} from "../../lib/weights.js";
import {headMismatchMessage, IMAGENETTE_CLASSES, isImagenette} from "./dataset.js";

export {IMAGENETTE_CLASSES};

/** What a checkpoint is loaded for: the classes of the images it will see (default: Imagenette's, or its model card's). */
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
  /** "resnet18" on Imagenette; another dataset's model: the ResNet its tensors describe ("resnet50", ...). */
  architecture: string;
  head: WeightsManifest["source"]["head"];
  /** The state_dict with one output per class (a 1000-class ImageNet head already reduced to Imagenette's rows). */
  stateDict: NamedTensors;
}

export function sha256(bytes: Uint8Array): string {
  return createHash("sha256").update(bytes).digest("hex");
}

/** Reads and checks a checkpoint. Errors say what to do. */
export function loadCheckpoint(file: string, options: CheckpointOptions = {}): LoadedCheckpoint {
  if (!fs.existsSync(file)) {
    throw new Error(`weights file not found: ${file}. Put resnet18-imagenette.pth in ../shared/models, or set EXPLAIN_WEIGHTS to a torchvision ResNet-18 .pth (see README).`);
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
    raw = readPth(bytes);
  } catch (e) {
    throw new Error(`cannot read ${file}: ${(e as Error).message}`);
  }
  const classes = options.classes ? [...options.classes] : (card?.classes ?? IMAGENETTE_CLASSES);
  const rows = raw.get("fc.weight")?.shape[0];
  if (rows === undefined) throw new Error(`cannot read ${file}: not a torchvision ResNet state_dict (it has no fc.weight)`);
  // Another dataset's model may be any ResNet; its tensors are checked before the head is compared with the classes.
  const architecture = isImagenette(classes) ? "resnet18" : inferArchitecture(raw).name;
  const imagenette = isImagenette(classes);
  // torchvision's ImageNet model on Imagenette: the ten rows of its 1000-class head.
  if (rows === 1000 && imagenette) return {file, sha256: digest, classes, architecture, head: "imagenet-1000", stateDict: imagenetteStateDict(raw)};
  if (rows !== classes.length) throw new Error(headMismatchMessage(file, rows, {dir: options.imagesDir, classes}));
  if (imagenette) return {file, sha256: digest, classes, architecture, head: "imagenette-10", stateDict: imagenetteStateDict(raw)};
  const stateDict: NamedTensors = new Map([...raw].filter(([name]) => !name.endsWith("num_batches_tracked")));
  return {file, sha256: digest, classes, architecture, head: "dataset", stateDict};
}

export function loadModel(file: string, options: CheckpointOptions = {}): {model: ResNet; checkpoint: LoadedCheckpoint} {
  const checkpoint = loadCheckpoint(file, options);
  // Imagenette's checkpoints go through ResNet18's check, as before; another dataset's model is any ResNet.
  const model = checkpoint.head === "dataset" ? new ResNet(checkpoint.stateDict) : new ResNet18(checkpoint.stateDict);
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

/** The JSON card beside `x.pth` (`x.json`), if any. */
export function readModelCard(file: string): ModelCard | null {
  const cardPath = file.replace(/\.pth$/, ".json");
  if (cardPath === file || !fs.existsSync(cardPath)) return null;
  return JSON.parse(fs.readFileSync(cardPath, "utf8")) as ModelCard;
}
