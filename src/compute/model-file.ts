// The reader's own model in the compute worker: a .pth or .safetensors file
// (its bytes moved from the page, never sent anywhere) read with the
// library's readers, built into a ResNet, and the ModelInfo that names it in
// the badge and the captions. Which reader reads it is decided by the bytes,
// not the file name: a safetensors header (a length, then "{"), else a
// torch.save file (zip or legacy pickle). Every failure is a WeightsError
// (src/lib/weights-error.ts) whose kind the page shows in words; the model
// in use stays until the new one is built.
import {isWeightsError, readWeightFile, ResNet, type BatchPolicy, type NamedTensors} from "../lib/index.js";
import type {ModelInfo} from "./contract.js";

export interface LoadedModel {
  model: ResNet;
  weights: NamedTensors;
  info: ModelInfo;
}

export interface LoadOptions {
  /** Refuse (WeightsError "too-large") before decoding when the file and its float32 tensors would take more. */
  maxDecodedBytes: number;
  batchPolicy: BatchPolicy;
  /** Called between the steps: hash, read, build. */
  onProgress?: (done: number, total: number, label: string) => void;
}

/** Hex sha256 of `bytes` (Web Crypto: in workers and pages of a secure context, and in Node). */
export async function sha256Hex(bytes: Uint8Array<ArrayBuffer>): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", bytes);
  return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, "0")).join("");
}

/** Reads, checks and builds the reader's model; throws a WeightsError (or a plain Error for what no reader foresaw). */
export async function loadModelFile(bytes: Uint8Array<ArrayBuffer>, file: string, {maxDecodedBytes, batchPolicy, onProgress}: LoadOptions): Promise<LoadedModel> {
  onProgress?.(0, 3, "checking the file's fingerprint (sha256)");
  const sha256 = await sha256Hex(bytes);
  onProgress?.(1, 3, "reading the weights");
  await breathe();
  const {tensors: weights} = readWeightFile(bytes, {memoryBudget: maxDecodedBytes});
  onProgress?.(2, 3, "building the model");
  await breathe();
  const model = new ResNet(weights, {batchPolicy});
  onProgress?.(3, 3, "ready");
  return {model, weights, info: describeResNet(model, {sha256, file}, "reader")};
}

/** The ModelInfo of a built model: its architecture from the weights, its checkpoint, and whose it is. */
export function describeResNet(model: ResNet, source: {sha256: string; file: string}, origin: ModelInfo["origin"]): ModelInfo {
  const {name, blocks, outChannels} = model.architecture;
  return {architecture: name, classCount: model.numClasses, blocks: [...blocks], features: outChannels[outChannels.length - 1], sha256: source.sha256, file: source.file, origin};
}

/** The error's name as the page receives it: "WeightsError:<kind>", so the page can word it without parsing messages. */
export function errorName(e: unknown): string {
  return isWeightsError(e) ? `WeightsError:${e.kind}` : e instanceof Error ? e.name : "Error";
}

/** Lets the progress message out before a long synchronous step. */
function breathe(): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, 0));
}
