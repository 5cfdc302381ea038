// Loads a ResNet-18 checkpoint from disk for Node-side code, checking its
// sha256 against the model card beside it (or a known torchvision hash prefix).
import {createHash} from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import {readPth, type NamedTensors} from "../../lib/pth.js";
import {imagenetteStateDict, IMAGENETTE_IMAGENET_INDICES, ResNet18} from "../../lib/resnet18.js";
import type {ImagenetteClass, WeightsManifest} from "../../lib/weights.js";
import {IMAGENETTE_WNIDS} from "./imagenette.js";

/** The 10 classes in handout order, as the weights manifest stores them. */
export const IMAGENETTE_CLASSES: ImagenetteClass[] = IMAGENETTE_WNIDS.map(({wnid, name}, index) => ({index, wnid, name}));

export interface LoadedCheckpoint {
  file: string;
  sha256: string;
  classes: ImagenetteClass[];
  head: WeightsManifest["source"]["head"];
  /** The 10-class state_dict (1000-class heads already reduced). */
  stateDict: NamedTensors;
}

export function sha256(bytes: Uint8Array): string {
  return createHash("sha256").update(bytes).digest("hex");
}

/** Reads and checks a checkpoint. Errors say what to do. */
export function loadCheckpoint(file: string): LoadedCheckpoint {
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
  const head = raw.get("fc.weight")?.shape[0] === 1000 ? "imagenet-1000" : "imagenette-10";
  return {file, sha256: digest, classes: card?.classes ?? IMAGENETTE_CLASSES, head, stateDict: imagenetteStateDict(raw)};
}

export function loadModel(file: string): {model: ResNet18; checkpoint: LoadedCheckpoint} {
  const checkpoint = loadCheckpoint(file);
  return {model: new ResNet18(checkpoint.stateDict), checkpoint};
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
