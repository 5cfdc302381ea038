// One entry for every weight file the library reads: the format is sniffed
// from the bytes, not the name (a zip .pth, the legacy torch.save format, or
// .safetensors), and a file too large for the memory budget is refused
// before any tensor is decoded.
import {byteSize, readPth} from "./pth.js";
import type {NamedTensors} from "./pth.js";
import {looksLikeSafetensors, readSafetensors, readSafetensorsHeader, safetensorsDecodedBytes} from "./safetensors.js";
import {WeightsError} from "./weights-error.js";
import {isZip} from "./zip.js";

export type WeightFormat = "pth-zip" | "pth-legacy" | "safetensors";

/** The format of a weight file, from its first bytes: a zip (torch >= 1.6), safetensors, else the legacy torch.save format (or not a weight file: the reader says so). */
export function sniffWeightFormat(bytes: Uint8Array): WeightFormat {
  if (isZip(bytes)) return "pth-zip";
  if (looksLikeSafetensors(bytes)) return "safetensors";
  return "pth-legacy";
}

export interface ReadWeightFileOptions {
  /**
   * Bytes the file and its decoded float32 tensors may take together
   * (default: no limit). Over it: WeightsError("too-large"), thrown before
   * any tensor is decoded. A float16 file decodes to twice its size.
   */
  memoryBudget?: number;
}

/** Reads a .pth or .safetensors file into named float32 tensors (throws a WeightsError saying what is wrong). */
export function readWeightFile(bytes: Uint8Array, {memoryBudget = Infinity}: ReadWeightFileOptions = {}): {format: WeightFormat; tensors: NamedTensors} {
  if (bytes.length > memoryBudget) {
    throw new WeightsError("too-large", `the weight file is ${byteSize(bytes.length)}, over the ${byteSize(memoryBudget)} memory budget: use a smaller model (e.g. ResNet-18 or -50), or raise the memory budget.`);
  }
  const format = sniffWeightFormat(bytes);
  const left = memoryBudget - bytes.length;
  if (format !== "safetensors") return {format, tensors: readPth(bytes, {maxDecodedBytes: left})};
  const header = readSafetensorsHeader(bytes);
  const decoded = safetensorsDecodedBytes(header);
  if (decoded > left) {
    throw new WeightsError("too-large", `the weights take ${byteSize(decoded)} as float32 beside the ${byteSize(bytes.length)} file, over the ${byteSize(memoryBudget)} memory budget: use a smaller model, or raise the memory budget.`);
  }
  return {format, tensors: readSafetensors(bytes, header)};
}
